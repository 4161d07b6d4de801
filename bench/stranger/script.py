"""Keyframed movement channels: what a person does, as smooth angle tracks.

Written from the public docs only (README, ``--help``, docs/conventions.md, docs/envelope.md):
none of the project's simulator code was read before this generator produced its sessions.

A :class:`Script` keeps one keyframe list per channel. ``move`` ramps the named channels to
new values with a minimum-jerk profile (all in parallel), ``hold`` lets time pass. Channels
are in degrees (angles) or plain numbers (the stance weight ``w_r``).
"""

from __future__ import annotations

import numpy as np

#: channels of the body model (degrees unless noted)
CHANNELS = (
    "incl_r",  # right thigh inclination in the sagittal plane (knee forward +)
    "incl_l",
    "add_r",  # hip adduction (toward the midline +)
    "add_l",
    "rot_r",  # hip internal rotation (toes in +)
    "rot_l",
    "knee_r",  # knee flexion (bent +)
    "knee_l",
    "ankle_r",  # ankle dorsiflexion of a free foot (toes up +)
    "ankle_l",
    "flat_r",  # 1: this foot is flat on the floor (ankle follows), 0: free (fraction)
    "flat_l",
    "tilt",  # pelvis anterior tilt (top forward +)
    "obliq",  # pelvis obliquity (frame X angle)
    "yaw",  # pelvis heading change
    "lumbar",  # lumbar flexion (slump +)
    "lumbar_lat",
    "lumbar_rot",
    "neck",  # neck flexion (looking down +)
    "neck_lat",
    "neck_rot",
    "w_r",  # share of the body weight on the right foot (fraction)
    "anc",  # 1: the pelvis rests on a seat or the floor at (anc_x, anc_y), 0: over the feet
    "anc_x",  # metres, forward of the stand
    "anc_y",  # metres, height of the mid-hip
    "anc_z",  # metres, to the right of the stand (round 3: a seat after walking)
    "step",  # 1: walking, a foot without weight moves its footprint with it (round 3)
)


def min_jerk(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk blend 0 → 1 of the normalised time ``u`` in [0, 1]."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)


class Script:
    """Keyframe lists per channel plus a time cursor (seconds)."""

    def __init__(self, start: dict[str, float]) -> None:
        self.t_s = 0.0
        self.keys: dict[str, list[tuple[float, float]]] = {
            name: [(0.0, float(start.get(name, 0.0)))] for name in CHANNELS
        }
        self.events: list[dict] = []
        #: functions ``f(t_s, channels)`` that change the sampled channels in place (the gait)
        self.overlays: list = []

    def value(self, name: str) -> float:
        """The channel's last keyframe value."""
        return self.keys[name][-1][1]

    def move(self, dur_s: float, **targets: float) -> None:
        """Ramp the given channels to their targets over ``dur_s`` (others hold)."""
        for name, target in targets.items():
            keys = self.keys[name]
            if keys[-1][0] < self.t_s:
                keys.append((self.t_s, keys[-1][1]))
            keys.append((self.t_s + dur_s, float(target)))
        self.t_s += dur_s

    def ramp(self, t0_s: float, dur_s: float, **targets: float) -> None:
        """Ramp channels from ``t0_s`` (at or after their last keyframe) without moving the cursor.

        For a movement that overlaps others already scripted (a knee straightening while the
        ankle keeps sliding).
        """
        for name, target in targets.items():
            keys = self.keys[name]
            if keys[-1][0] > t0_s:
                raise ValueError(f"{name}: keyframe at {keys[-1][0]} after {t0_s}")
            keys.append((t0_s, keys[-1][1]))
            keys.append((t0_s + dur_s, float(target)))

    def hold(self, dur_s: float) -> None:
        """Let ``dur_s`` pass with every channel where it is."""
        self.t_s += dur_s

    def mark(self, kind: str, **info: float | str) -> None:
        """Record an event (phase boundary or scripted break) at the cursor."""
        self.events.append({"kind": kind, "t_s": self.t_s, **info})

    def sample(self, t_s: np.ndarray) -> dict[str, np.ndarray]:
        """Every channel at the times ``t_s`` (minimum-jerk between keyframes)."""
        ch = {name: _eval_keys(keys, t_s) for name, keys in self.keys.items()}
        for overlay in self.overlays:
            overlay(t_s, ch)
        return ch


def _eval_keys(keys: list[tuple[float, float]], t_s: np.ndarray) -> np.ndarray:
    """Piecewise minimum-jerk interpolation of ``(t, value)`` keyframes."""
    times = np.array([k[0] for k in keys])
    vals = np.array([k[1] for k in keys])
    out = np.full(t_s.shape, vals[-1])
    idx = np.searchsorted(times, t_s, side="right") - 1
    inside = (idx >= 0) & (idx < len(times) - 1)
    i = idx[inside]
    span = np.maximum(times[i + 1] - times[i], 1e-9)
    u = (t_s[inside] - times[i]) / span
    out[inside] = vals[i] + (vals[i + 1] - vals[i]) * min_jerk(u)
    out[idx < 0] = vals[0]
    return out
