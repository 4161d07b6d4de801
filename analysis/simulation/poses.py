"""Whole-body pose timelines for the population generator.

A :class:`PoseTimeline` is a list of whole-body poses (every driving channel of
:mod:`analysis.simulation.chain`, degrees) at increasing key times; between keys every channel
follows the same minimum-jerk profile, so any *linear* relation between channels that holds at
the keys holds at every instant. That is how a foot stays flat on the floor: while a foot is
marked flat its ankle key is set to ``tilt − hip + knee`` (pelvis, thigh, shank and foot
sagittal angles then sum to zero in the level frame, see the chain's sign conventions).

The timeline also records who carries the body (anchor switches), when the person stands
(postural sway is added there) and labelled intervals (calibration steps, holds, scripted
violations). It knows nothing about exercises; :mod:`analysis.simulation.population` writes
the scripts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analysis.errors import ConfigError
from analysis.simulation.body import BodyModel
from analysis.simulation.chain import CHANNELS, AnchorSwitch
from analysis.simulation.trajectories import Keyframes, Trajectory

__all__ = ["Interval", "PoseTimeline"]

SIDES = ("left", "right")


@dataclass(frozen=True)
class Interval:
    """A labelled time interval ``[start_s, end_s)`` of the script (seconds)."""

    kind: str
    name: str
    start_s: float
    end_s: float
    side: str | None = None
    peak_deg: float | None = None


class PoseTimeline:
    """Whole-body key poses with flat-foot constraints, anchors, standing windows and labels.

    The person starts standing still in the neutral pose (every channel 0) on both feet, the
    body carried by the left sole.
    """

    def __init__(self) -> None:
        self.t_s = 0.0
        self.pose: dict[str, float] = dict.fromkeys(CHANNELS, 0.0)
        self.key_t: list[float] = [0.0]
        self.key_pose: list[dict[str, float]] = [dict(self.pose)]
        self.flat = {"left": True, "right": True}
        self.anchors: list[tuple[float, float, float, str, str]] = []
        self.carrier = ("left_foot", "sole")
        self._standing_since: float | None = 0.0
        self.standing: list[tuple[float, float]] = []
        self.intervals: list[Interval] = []

    # --- poses -----------------------------------------------------------------------------

    def start_in(self, targets: Mapping[str, float], *, standing: bool) -> None:
        """Open the session in another still pose (deg), before anything has happened.

        Flat feet keep their ankles as :meth:`go` does; ``standing`` False opens outside a
        standing window (no postural sway: e.g. seated on a chair, feet flat).
        """
        if self.t_s != 0.0 or len(self.key_t) != 1:
            raise ConfigError("script error: start_in only opens a timeline, at 0 s")
        new = self._posed(targets)
        self.pose = new
        self.key_pose[0] = dict(new)
        if not standing:
            self._standing_since = None

    def _posed(self, targets: Mapping[str, float]) -> dict[str, float]:
        """The pose now with ``targets`` (deg) set, flat feet keeping their soles level."""
        unknown = set(targets) - set(CHANNELS)
        if unknown:
            raise ConfigError(f"script error: unknown channel(s) {sorted(unknown)}")
        new = dict(self.pose)
        new.update({k: float(v) for k, v in targets.items()})
        for side in SIDES:
            if self.flat[side]:
                new[f"{side}_ankle_dorsiflexion"] = self._flat_ankle(side, new)
        return new

    def _flat_ankle(self, side: str, pose: Mapping[str, float]) -> float:
        return (
            pose["pelvis_anterior_tilt"]
            - pose[f"{side}_hip_flexion"]
            + pose[f"{side}_knee_flexion"]
        )

    def go(
        self,
        duration_s: float,
        targets: Mapping[str, float],
        *,
        carrier: tuple[str, str] | None = None,
        agree: str = "start",
    ) -> None:
        """Move every listed channel to its target (deg) over ``duration_s`` (minimum jerk).

        ``carrier`` hands the body over to a new fixed point (segment, ``"sole"``, ``"heel"``
        or ``"origin"``) during the move; ``agree`` says when both carriers coincide
        (``"start"``: the new point is already on the ground; ``"end"``: it lands).
        """
        if not duration_s > 0:
            raise ConfigError(f"script error: a move needs a positive duration, got {duration_s}")
        new = self._posed(targets)
        t0, t1 = self.t_s, self.t_s + duration_s
        if carrier is not None:
            self.anchors.append((t0, t1, t0 if agree == "start" else t1, *carrier))
            self.carrier = carrier
        self.key_t.append(t1)
        self.key_pose.append(new)
        self.pose = new
        self.t_s = t1

    def stay(self, duration_s: float, *, carrier: tuple[str, str] | None = None) -> None:
        """Keep the pose for ``duration_s`` (optionally handing the body to a new carrier)."""
        if duration_s <= 0:
            return
        if carrier is not None and carrier != self.carrier:
            t0, t1 = self.t_s, self.t_s + duration_s
            self.anchors.append((t0, t1, 0.5 * (t0 + t1), *carrier))
            self.carrier = carrier
        self.key_t.append(self.t_s + duration_s)
        self.key_pose.append(dict(self.pose))
        self.t_s += duration_s

    def set_flat(self, side: str, flat: bool) -> None:
        """Mark a foot as flat on the floor (its ankle follows the pose) or free."""
        if flat and not self.flat[side]:
            need = self._flat_ankle(side, self.pose)
            if abs(need - self.pose[f"{side}_ankle_dorsiflexion"]) > 1e-6:
                raise ConfigError(
                    f"script error at {self.t_s:.2f} s: {side} foot set flat with ankle "
                    f"{self.pose[f'{side}_ankle_dorsiflexion']:.1f}° but the pose needs {need:.1f}°"
                )
        self.flat[side] = flat

    def set_standing(self, standing: bool) -> None:
        """Start or end a standing window (postural sway is added while standing)."""
        if standing and self._standing_since is None:
            self._standing_since = self.t_s
        elif not standing and self._standing_since is not None:
            self.standing.append((self._standing_since, self.t_s))
            self._standing_since = None

    def label(
        self,
        kind: str,
        name: str,
        start_s: float,
        *,
        side: str | None = None,
        peak_deg: float | None = None,
    ) -> None:
        """Record ``[start_s, now)`` as a labelled interval."""
        self.intervals.append(Interval(kind, name, start_s, self.t_s, side, peak_deg))

    # --- output ----------------------------------------------------------------------------

    def finish(self) -> None:
        """Close the open standing window at the cursor."""
        if self._standing_since is not None:
            self.standing.append((self._standing_since, self.t_s))
            self._standing_since = None

    def trajectories(self) -> dict[str, Trajectory]:
        """Per channel, the key poses as a minimum-jerk trajectory in rad."""
        t = np.asarray(self.key_t)
        out: dict[str, Trajectory] = {}
        for ch in CHANNELS:
            v = np.radians([p[ch] for p in self.key_pose])
            out[ch] = Keyframes(t, v)
        return out

    def anchor_switches(self, body: BodyModel) -> tuple[AnchorSwitch, ...]:
        """The carrier schedule as chain anchors (the first one holds from −∞)."""
        points = {"sole": body.sole_point_m(), "heel": body.heel_point_m(), "origin": np.zeros(3)}
        first = AnchorSwitch(
            start_s=-math.inf,
            end_s=-math.inf,
            segment="left_foot",
            point_m=tuple(float(x) for x in points["sole"]),  # type: ignore[arg-type]
            agree_s=-math.inf,
            height_m=None,
        )
        out = [first]
        for a, b, c, seg, pt in self.anchors:
            out.append(
                AnchorSwitch(
                    start_s=a,
                    end_s=b,
                    segment=seg,
                    point_m=tuple(float(x) for x in points[pt]),  # type: ignore[arg-type]
                    agree_s=c,
                    height_m=None if seg == "pelvis" else 0.0,
                )
            )
        return tuple(out)
