"""The named scenarios: scripted sessions of key poses, anchors, phases and ground-truth events.

Every scenario follows the session protocol of DESIGN §4: a quiet stand (4 s, every angle 0),
slow sagittal calibration movements (two knee bends, leg swings of each leg, a trunk bow), a
short pause, then the exercise, and it ends standing in the neutral pose so that it can be
repeated. Angles in scripts are in degrees (the edge); the trajectories they produce are in
radians.

Scripted violations stay far outside the envelope defaults of DESIGN §5 (hysteresis included)
and correct holds far inside, so downstream tests are unambiguous; docs/simulator.md has the
table. A violation's ``start_s``/``end_s`` are the instants the *truth* angle (sway included)
crosses the rule's default limit; a hold is an interval in the stretch pose with no violation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np

from analysis.errors import ConfigError
from analysis.recording.schema import RULE_NAMES
from analysis.simulation.body import BodyModel
from analysis.simulation.chain import CHANNELS, AnchorSwitch
from analysis.simulation.trajectories import (
    Keyframes,
    Sum,
    SumOfSines,
    Trajectory,
    Windowed,
    oscillation,
)

__all__ = [
    "RULE_LIMITS_DEG",
    "SCENARIOS",
    "ScenarioInfo",
    "ScenarioPlan",
    "Script",
    "TruthEvent",
    "build_plan",
    "list_scenarios",
]

RULE_LIMITS_DEG: Final = {
    "ankle_dorsiflexion": (0.0, "above"),
    "knee_flexion": (10.0, "below"),
    "hip_internal_rotation": (10.0, "above"),
    "hip_adduction": (5.0, "above"),
    "lumbar_flexion": (10.0, "above"),
    "pelvis_anterior_tilt": (0.0, "below"),
    "neck_flexion": (15.0, "above"),
}
"""Default envelope limits of DESIGN §5 (deg) and on which side a value violates them."""

REST_BETWEEN_BLOCKS_S: Final = 10.0
"""Quiet standing between repetitions of the exercise block in long sessions."""

FINAL_REST_S: Final = 3.0
"""Quiet standing at the end of a session."""

_SWAY_RAMP_S: Final = 0.5


@dataclass(frozen=True, kw_only=True)
class TruthEvent:
    """One ground-truth event of a simulated session (times in seconds, half-open).

    ``kind`` is ``"phase"`` (name: ``quiet_stand``, ``functional``, ``exercise``, ``rest``),
    ``"movement"`` (a calibration movement), ``"hold"`` (in the stretch pose and inside the
    envelope), ``"violation"`` (``rule`` from ``schema.RULE_NAMES``, ``side`` or None for axial
    rules, ``limit_deg`` crossed, ``peak_deg`` the scripted extreme), ``"marker"`` (a symptom
    mark at ``start_s`` with ``label``) or ``"repetition"``. ``block`` counts the repetitions of
    the exercise block in long sessions.
    """

    kind: Literal["phase", "movement", "hold", "violation", "marker", "repetition"]
    name: str
    start_s: float
    end_s: float
    rule: str | None = None
    side: str | None = None
    limit_deg: float | None = None
    peak_deg: float | None = None
    label: str | None = None
    block: int = 0
    where: str | None = None
    what: str | None = None
    answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; None fields are left out."""
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class _ViolationSpec:
    rule: str
    side: str | None
    channel: str
    peak_deg: float
    window_s: tuple[float, float]
    block: int


# --- the script builder ---------------------------------------------------------------------


def leg(
    side: str,
    *,
    hip: float | None = None,
    add: float | None = None,
    rot: float | None = None,
    knee: float | None = None,
    ankle: float | None = None,
) -> dict[str, float]:
    """Targets (deg) for one leg's channels; None leaves a channel where it is."""
    names = {
        "hip_flexion": hip,
        "hip_adduction": add,
        "hip_internal_rotation": rot,
        "knee_flexion": knee,
        "ankle_dorsiflexion": ankle,
    }
    return {f"{side}_{k}": v for k, v in names.items() if v is not None}


def both_legs(**targets: float) -> dict[str, float]:
    """The same targets for both legs."""
    return {**leg("right", **targets), **leg("left", **targets)}


def axial(
    *,
    tilt: float | None = None,
    lumbar: float | None = None,
    neck: float | None = None,
) -> dict[str, float]:
    """Targets (deg) for pelvis anterior tilt, lumbar flexion and neck flexion."""
    names = {"pelvis_anterior_tilt": tilt, "lumbar_flexion": lumbar, "neck_flexion": neck}
    return {k: v for k, v in names.items() if v is not None}


def _intersect(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> list:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi > lo:
                out.append((lo, hi))
    return sorted(out)


def _complement(a: Sequence[tuple[float, float]], end_s: float) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for a0, a1 in sorted(a):
        if a0 > t:
            out.append((t, a0))
        t = max(t, a1)
    if end_s > t:
        out.append((t, end_s))
    return out


class Script:
    """Builds a session: key poses per channel, anchors, flat-foot constraints and events.

    The cursor ``t_s`` advances with :meth:`move` and :meth:`wait`. A foot marked *flat* keeps
    its sole level: every move retargets its ankle to ``tilt − hip + knee`` (the sagittal
    angles of pelvis, thigh and shank sum to zero), with the same timing, so the relation holds
    at every instant.
    """

    def __init__(self) -> None:
        self.t_s = 0.0
        self.block = 0
        self._keys: dict[str, list[tuple[float, float]]] = {ch: [(0.0, 0.0)] for ch in CHANNELS}
        self._flat: dict[str, float | None] = {"left": 0.0, "right": 0.0}
        self._flat_windows: dict[str, list[tuple[float, float]]] = {"left": [], "right": []}
        self._standing_since: float | None = 0.0
        self._standing_windows: list[tuple[float, float]] = []
        self.anchors: list[tuple[float, float, float, str, str]] = [
            (-math.inf, -math.inf, -math.inf, "left_foot", "sole")
        ]
        self.events: list[TruthEvent] = []
        self.violations: list[_ViolationSpec] = []
        self.holds: list[tuple[float, float, int]] = []
        self.oscillations: list[tuple[str, float, float, float, float, float]] = []
        self.static_s: tuple[float, float] | None = None
        self.functional_s: tuple[float, float] | None = None

    # --- state ---------------------------------------------------------------------------------

    def value(self, channel: str) -> float:
        """Current key value (deg) of a channel."""
        return self._keys[channel][-1][1]

    def _flat_ankle(self, side: str, targets: Mapping[str, float]) -> float:
        def get(ch: str) -> float:
            return targets.get(ch, self.value(ch))

        return (
            get("pelvis_anterior_tilt") - get(f"{side}_hip_flexion") + get(f"{side}_knee_flexion")
        )

    def set_flat(self, side: str, flat: bool) -> None:
        """Mark a foot as flat on the ground (its ankle is then derived) or free."""
        if flat and self._flat[side] is None:
            derived = self._flat_ankle(side, {})
            if abs(derived - self.value(f"{side}_ankle_dorsiflexion")) > 1e-9:
                raise ConfigError(
                    f"script error at {self.t_s:.2f} s: {side} foot set flat with ankle "
                    f"{self.value(f'{side}_ankle_dorsiflexion')}° but the pose needs {derived}°"
                )
            self._flat[side] = self.t_s
        elif not flat and self._flat[side] is not None:
            start = self._flat[side]
            assert start is not None
            self._flat_windows[side].append((start, self.t_s))
            self._flat[side] = None

    def _set_standing(self, standing: bool, t_s: float) -> None:
        if standing and self._standing_since is None:
            self._standing_since = t_s
        elif not standing and self._standing_since is not None:
            self._standing_windows.append((self._standing_since, t_s))
            self._standing_since = None

    # --- movements -----------------------------------------------------------------------------

    def move(
        self,
        duration_s: float,
        targets: Mapping[str, float],
        *,
        anchor: tuple[str, str] | None = None,
        standing: bool | None = None,
    ) -> None:
        """Minimum-jerk move of the listed channels to ``targets`` (deg) over ``duration_s``.

        ``anchor`` (segment, ``"sole"``/``"heel"``/``"origin"``) becomes the fixed point at the
        end of the move, blended over the move: a foot or heel stays where it is at the start of
        the move (it is already on the ground), the pelvis lands where it is at the end (on a
        seat or the floor). ``standing=False`` on a move that sits or lies down turns postural
        sway off by its end, ``True`` on the move that gets up turns it on.
        """
        unknown = set(targets) - set(CHANNELS)
        if unknown:
            raise ConfigError(f"script error: unknown channel(s) {sorted(unknown)}")
        t0, t1 = self.t_s, self.t_s + duration_s
        goal = dict(targets)
        for side in ("left", "right"):
            if self._flat[side] is not None:
                ch = f"{side}_ankle_dorsiflexion"
                if ch in targets:
                    raise ConfigError(f"script error: {ch} is derived while the foot is flat")
                goal[ch] = self._flat_ankle(side, targets)
        for ch, v in goal.items():
            keys = self._keys[ch]
            if keys[-1][0] < t0:
                keys.append((t0, keys[-1][1]))
            keys.append((t1, float(v)))
        if anchor is not None:
            agree = t1 if anchor[0] == "pelvis" else t0
            self.anchors.append((t0, t1, agree, anchor[0], anchor[1]))
        if standing is False:
            self._set_standing(False, t1)
        elif standing is True:
            self._set_standing(True, t0)
        self.t_s = t1

    def wait(self, duration_s: float, *, anchor: tuple[str, str] | None = None) -> None:
        """Stay still for ``duration_s`` (optionally handing the anchor over meanwhile)."""
        if anchor is not None:
            t0, t1 = self.t_s, self.t_s + duration_s
            self.anchors.append((t0, t1, 0.5 * (t0 + t1), anchor[0], anchor[1]))
        self.t_s += duration_s

    def oscillate(
        self,
        channel: str,
        *,
        amplitude_deg: float,
        frequency_hz: float,
        duration_s: float,
        ramp_s: float,
    ) -> None:
        """Add a sinusoid around the channel's current value for ``duration_s`` (cursor moves)."""
        if self._flat.get(channel.split("_", 1)[0]) is not None and "ankle" in channel:
            raise ConfigError(f"script error: cannot oscillate {channel} while the foot is flat")
        start = self.t_s
        self.oscillations.append(
            (channel, amplitude_deg, frequency_hz, start, start + duration_s, ramp_s)
        )
        self.t_s += duration_s

    # --- events --------------------------------------------------------------------------------

    @contextmanager
    def phase(self, kind: Literal["phase", "movement"], name: str) -> Iterator[None]:
        """Record the commands inside the block as one phase or movement event."""
        start = self.t_s
        yield
        self.events.append(
            TruthEvent(kind=kind, name=name, start_s=start, end_s=self.t_s, block=self.block)
        )

    def mark(
        self,
        label: str,
        *,
        at_s: float,
        kind: str = "symptom",
        where: str | None = None,
        what: str | None = None,
        answer: str | None = None,
    ) -> None:
        """A mark at ``at_s``: a symptom (optionally where/what was felt) or a test event."""
        self.events.append(
            TruthEvent(
                kind="marker",
                name=kind,
                start_s=at_s,
                end_s=at_s,
                label=label,
                block=self.block,
                where=where,
                what=what,
                answer=answer,
            )
        )

    def repetition(self, start_s: float, end_s: float) -> None:
        """One repetition of a dynamic exercise."""
        self.events.append(
            TruthEvent(
                kind="repetition",
                name="repetition",
                start_s=start_s,
                end_s=end_s,
                block=self.block,
            )
        )

    def hold(self, start_s: float, end_s: float) -> None:
        """The stretch pose is held over ``[start_s, end_s)`` (violations are cut out later)."""
        self.holds.append((start_s, end_s, self.block))

    def violation(
        self,
        rule: str,
        *,
        side: str | None,
        peak_deg: float,
        window_s: tuple[float, float],
    ) -> None:
        """A scripted violation of ``rule`` somewhere inside ``window_s``."""
        if rule not in RULE_NAMES:
            raise ConfigError(f"script error: unknown rule {rule!r}")
        channel = rule if side is None else f"{side}_{rule}"
        if (rule == "knee_flexion" or rule.startswith(("hip_", "ankle_"))) and side is None:
            raise ConfigError(f"script error: rule {rule} needs a side")
        self.violations.append(_ViolationSpec(rule, side, channel, peak_deg, window_s, self.block))

    # --- output --------------------------------------------------------------------------------

    def finish(self) -> None:
        """Close open flat/standing windows at the cursor."""
        for side in ("left", "right"):
            start = self._flat[side]
            if start is not None:
                self._flat_windows[side].append((start, self.t_s))
                self._flat[side] = self.t_s
        if self._standing_since is not None:
            self._standing_windows.append((self._standing_since, self.t_s))
            self._standing_since = self.t_s

    def keyframes(self, channel: str) -> Keyframes:
        """The channel's key poses as a trajectory in rad (repeated values merged)."""
        keys = self._keys[channel]
        t = np.array([k[0] for k in keys])
        v = np.array([k[1] for k in keys])
        keep = np.ones(t.size, dtype=bool)
        # drop the middle of three equal values in a row (a hold), keep the ends
        if t.size > 2:
            keep[1:-1] = ~((v[1:-1] == v[:-2]) & (v[1:-1] == v[2:]))
        return Keyframes(t[keep], np.radians(v[keep]))

    def standing_windows(self) -> list[tuple[float, float]]:
        """Intervals in which the subject stands (postural sway on)."""
        return list(self._standing_windows)

    def flat_windows(self, side: str) -> list[tuple[float, float]]:
        """Intervals in which the foot of ``side`` is flat on the ground."""
        return list(self._flat_windows[side])


# --- scenarios ------------------------------------------------------------------------------

NEUTRAL: Final = {**axial(tilt=0.0, lumbar=0.0, neck=0.0), **both_legs(hip=0.0, knee=0.0)}


def _leg_swings(s: Script, side: str) -> None:
    s.set_flat(side, False)
    s.move(1.0, leg(side, hip=30.0, knee=15.0, ankle=-5.0))
    for _ in range(2):
        s.move(1.3, leg(side, hip=-15.0, knee=35.0, ankle=-10.0))
        s.move(1.3, leg(side, hip=30.0, knee=15.0, ankle=-5.0))
    s.move(1.0, leg(side, hip=0.0, knee=0.0, ankle=0.0))
    s.set_flat(side, True)
    s.wait(0.5)


def protocol(s: Script) -> None:
    """Quiet stand (4 s) and the functional calibration movements of DESIGN §4."""
    with s.phase("phase", "quiet_stand"):
        s.wait(4.0)
    s.static_s = (0.0, s.t_s)
    start = s.t_s
    with s.phase("phase", "functional"):
        with s.phase("movement", "knee_bends"):
            for _ in range(2):
                s.move(1.8, {**axial(tilt=8.0, lumbar=4.0), **both_legs(hip=40.0, knee=55.0)})
                s.wait(0.4)
                s.move(1.8, {**axial(tilt=0.0, lumbar=0.0), **both_legs(hip=0.0, knee=0.0)})
                s.wait(0.6)
        with s.phase("movement", "leg_swings_right"):
            _leg_swings(s, "right")
        s.wait(0.5, anchor=("right_foot", "sole"))
        with s.phase("movement", "leg_swings_left"):
            _leg_swings(s, "left")
        s.wait(0.5, anchor=("left_foot", "sole"))
        with s.phase("movement", "trunk_bow"):
            bow = {**axial(tilt=25.0, lumbar=20.0, neck=10.0), **both_legs(hip=25.0)}
            s.move(2.0, bow)
            s.wait(0.5)
            s.move(2.0, {**axial(tilt=0.0, lumbar=0.0, neck=0.0), **both_legs(hip=0.0)})
    s.functional_s = (start, s.t_s)
    s.wait(2.0)


StandingVariant = Literal[
    "correct",
    "dorsiflexion",
    "knee_locked",
    "slump",
    "hip_ir_adduction",
    "looking_down",
    "differentiation",
]


def standing_stretch(s: Script, variant: StandingVariant) -> None:
    """Standing hamstring stretch, right heel on a support, with one scripted variant."""
    lean = {
        **axial(tilt=15.0),
        **leg("right", hip=83.0, add=-2.0),  # slightly abducted: 7° inside the 5° limit
        **leg("left", hip=15.0, knee=3.0),
    }
    with s.phase("phase", "exercise"):
        s.set_flat("right", False)
        s.move(1.8, leg("right", hip=75.0, knee=45.0, ankle=-10.0))  # lift the leg
        s.move(1.4, leg("right", hip=68.0, knee=18.0, ankle=-15.0))  # heel onto the support
        s.move(2.2, lean)  # lean in: anterior pelvic tilt, neutral spine
        hold_start = s.t_s
        hold = _STANDING_HOLDS.get(variant)
        if hold is None:  # pragma: no cover - guarded by the registry
            raise ConfigError(f"unknown standing variant {variant!r}")
        hold(s, lean)
        s.hold(hold_start, s.t_s)
        s.move(
            2.0,
            {
                **axial(tilt=0.0),
                **leg("right", hip=68.0, add=0.0),
                **leg("left", hip=0.0, knee=0.0),
            },
        )
        s.move(1.4, leg("right", hip=75.0, knee=45.0, ankle=-10.0))
        s.move(1.8, leg("right", hip=0.0, knee=0.0, ankle=0.0))  # leg down
        s.set_flat("right", True)
        s.wait(1.0)


def _differentiation_tests(s: Script) -> None:
    """Two "nerve or muscle?" tests mid-hold, one invalid and one valid.

    First toes up then away with the hip dropping 8° and coming back (invalid), then look down
    and up with hip and knee still (valid).
    """
    s.wait(8.0)
    w0 = s.t_s
    s.mark("ankle test", at_s=w0, kind="diff_start")
    s.move(1.0, leg("right", ankle=12.0, hip=75.0))  # toes up; the hip drops 8°
    s.wait(4.0)
    s.move(1.0, leg("right", ankle=-15.0, hip=83.0))  # toes away; the hip comes back
    s.violation("ankle_dorsiflexion", side="right", peak_deg=12.0, window_s=(w0, s.t_s))
    s.wait(0.5)
    s.mark("answer: more", at_s=s.t_s, kind="diff_end", answer="more")
    s.wait(8.0)
    w0 = s.t_s
    s.mark("neck test", at_s=w0, kind="diff_start")
    s.move(1.0, axial(neck=30.0))  # look down
    s.wait(4.0)
    s.move(1.0, axial(neck=0.0))  # and up
    s.violation("neck_flexion", side=None, peak_deg=30.0, window_s=(w0, s.t_s))
    s.wait(0.5)
    s.mark("answer: same", at_s=s.t_s, kind="diff_end", answer="same")
    s.wait(25.0)


def _hold_correct(s: Script, lean: dict[str, float]) -> None:
    """The hold done right: 40 s still in the lean."""
    s.wait(40.0)


def _hold_dorsiflexion(s: Script, lean: dict[str, float]) -> None:
    """The ankle pulled up for 8 s mid-hold, with a tingling-in-the-heel mark."""
    s.wait(10.0)
    w0 = s.t_s
    s.move(0.8, leg("right", ankle=12.0))
    s.mark("tingling in the heel", at_s=s.t_s + 2.0, where="heel", what="tingling")
    s.wait(8.0)
    s.move(0.8, leg("right", ankle=-15.0))
    s.violation("ankle_dorsiflexion", side="right", peak_deg=12.0, window_s=(w0, s.t_s))
    s.wait(31.0)


def _hold_knee_locked(s: Script, lean: dict[str, float]) -> None:
    """The knee straightened to 1° for most of the hold."""
    s.wait(4.0)
    w0 = s.t_s
    s.move(1.0, leg("right", knee=1.0))
    s.wait(36.0)
    s.move(1.0, leg("right", knee=18.0))
    s.violation("knee_flexion", side="right", peak_deg=1.0, window_s=(w0, s.t_s))
    s.wait(2.0)


def _hold_slump(s: Script, lean: dict[str, float]) -> None:
    """A slump for 8 s: lumbar and neck flexed, the pelvis tipped back."""
    s.wait(10.0)
    w0 = s.t_s
    slump = {
        **axial(tilt=-8.0, lumbar=25.0, neck=10.0),
        **leg("right", hip=60.0),
        **leg("left", hip=-8.0),
    }
    s.move(1.5, slump)
    s.wait(8.0)
    s.move(1.5, {**lean, **axial(lumbar=0.0, neck=0.0)})
    s.violation("lumbar_flexion", side=None, peak_deg=25.0, window_s=(w0, s.t_s))
    s.violation("pelvis_anterior_tilt", side=None, peak_deg=-8.0, window_s=(w0, s.t_s))
    s.wait(31.0)


def _hold_looking_down(s: Script, lean: dict[str, float]) -> None:
    """Chin to the chest (neck flexed 30°) for 8 s, looking at the raised leg."""
    s.wait(10.0)
    w0 = s.t_s
    s.move(1.0, axial(neck=30.0))
    s.wait(8.0)
    s.move(1.0, axial(neck=0.0))
    s.violation("neck_flexion", side=None, peak_deg=30.0, window_s=(w0, s.t_s))
    s.wait(31.0)


def _hold_differentiation(s: Script, lean: dict[str, float]) -> None:
    """The two "nerve or muscle?" tests (:func:`_differentiation_tests`)."""
    _differentiation_tests(s)


def _hold_hip_ir_adduction(s: Script, lean: dict[str, float]) -> None:
    """The hip turned in 20° and adducted 14° for 8 s."""
    s.wait(10.0)
    w0 = s.t_s
    s.move(1.2, leg("right", add=14.0, rot=20.0))
    s.wait(8.0)
    s.move(1.2, leg("right", add=-2.0, rot=0.0))
    s.violation("hip_internal_rotation", side="right", peak_deg=20.0, window_s=(w0, s.t_s))
    s.violation("hip_adduction", side="right", peak_deg=14.0, window_s=(w0, s.t_s))
    s.wait(31.0)


# What happens between "lean in" and "come back" for each standing variant.
_STANDING_HOLDS: dict[str, Callable[[Script, dict[str, float]], None]] = {
    "correct": _hold_correct,
    "dorsiflexion": _hold_dorsiflexion,
    "knee_locked": _hold_knee_locked,
    "slump": _hold_slump,
    "looking_down": _hold_looking_down,
    "differentiation": _hold_differentiation,
    "hip_ir_adduction": _hold_hip_ir_adduction,
}


SLR_TRUTH_DEG: Final = {"PF": (55.0, 66.0), "DF": (49.5, 56.0)}
"""Hip flexion (deg) scripted at P1 and P2 of the straight-leg-raise scenario, ankle pointed
(−15°) and pulled up (+12°): dorsiflexion lowers P1 by 5.5° and P2 by 10° (Boyd 2009)."""


SQUAT: Final = {**axial(tilt=25.0, lumbar=15.0), **both_legs(hip=95.0, knee=110.0)}
"""The crouch on the way down to the floor and back up."""
LYING: Final = {**axial(tilt=-85.0, lumbar=0.0), **both_legs(hip=5.0, knee=0.0, ankle=-10.0)}
"""Lying on the back, legs straight, ankles relaxed."""


def _lie_down(s: Script) -> None:
    """From standing through a crouch to lying on the back, then 3 s still."""
    s.move(2.5, SQUAT)
    s.set_flat("right", False)
    s.set_flat("left", False)
    s.move(3.5, LYING, anchor=("pelvis", "origin"), standing=False)
    s.wait(3.0)


def _get_up(s: Script) -> None:
    """From lying through a crouch (feet flat) back to standing, then 1 s still."""
    s.move(3.5, {**SQUAT, **both_legs(ankle=40.0)}, anchor=("left_foot", "sole"), standing=True)
    s.set_flat("right", True)
    s.set_flat("left", True)
    s.move(2.5, NEUTRAL)
    s.wait(1.0)


def slr_test(s: Script) -> None:
    """Lie down; two straight-leg raises with P1/P2 marks: ankle pointed, then pulled up."""
    with s.phase("phase", "exercise"):
        _lie_down(s)
        for ankle, (p1, p2) in ((-15.0, SLR_TRUTH_DEG["PF"]), (12.0, SLR_TRUTH_DEG["DF"])):
            s.move(1.0, leg("right", ankle=ankle))
            s.wait(1.0)
            s.move(4.0, leg("right", hip=p1))  # slow raise, knee straight
            s.wait(1.0)
            s.mark("first symptom", at_s=s.t_s - 0.5, kind="P1")
            s.move(2.0, leg("right", hip=p2))
            s.wait(1.0)
            s.mark("most tolerated", at_s=s.t_s - 0.5, kind="P2")
            s.move(3.0, leg("right", hip=5.0))
            s.wait(2.0)
        s.move(1.0, leg("right", ankle=-10.0))
        s.wait(1.0)
        _get_up(s)


def supine(s: Script) -> None:
    """Lie down, raise the right leg (hip 65°, knee 15°, ankle −15°), hold 35 s, get up."""
    with s.phase("phase", "exercise"):
        _lie_down(s)
        s.move(2.5, leg("right", hip=65.0, add=-2.0, knee=15.0, ankle=-15.0))
        hold_start = s.t_s
        s.wait(35.0)
        s.hold(hold_start, s.t_s)
        s.move(2.5, leg("right", hip=5.0, add=0.0, knee=0.0, ankle=-10.0))
        s.wait(2.0)
        _get_up(s)


def seated_slider(s: Script) -> None:
    """Sit, extend the right knee to 35° and slide the ankle −20°…+10° at 0.5 Hz for 30 s."""
    with s.phase("phase", "exercise"):
        seated = {**axial(tilt=5.0, lumbar=0.0), **both_legs(hip=95.0, knee=90.0)}
        s.move(3.0, seated, anchor=("pelvis", "origin"), standing=False)
        s.wait(2.0)
        s.set_flat("right", False)
        s.move(2.0, leg("right", knee=35.0, ankle=-5.0))
        s.wait(1.0)
        start = s.t_s
        s.oscillate(
            "right_ankle_dorsiflexion",
            amplitude_deg=15.0,
            frequency_hz=0.5,
            duration_s=30.0,
            ramp_s=1.0,
        )
        for k in range(15):
            s.repetition(start + 2.0 * k, start + 2.0 * (k + 1))
        s.wait(1.0)
        s.move(2.0, leg("right", knee=90.0, ankle=0.0))
        s.set_flat("right", True)
        s.wait(1.0)
        s.move(3.0, NEUTRAL, anchor=("left_foot", "sole"), standing=True)
        s.wait(1.0)


def runners_active(s: Script) -> None:
    """Active runner's stretch: hinge, right heel down, knee 45° → 5° with toes up, 8 times."""
    with s.phase("phase", "exercise"):
        s.set_flat("right", False)
        s.move(1.5, leg("right", hip=40.0, knee=30.0, ankle=0.0))  # step forward onto the heel
        s.set_flat("left", False)
        hinge = {
            **axial(tilt=50.0, lumbar=5.0),
            **leg("right", hip=90.0, knee=45.0, ankle=5.0),
            **leg("left", hip=35.0, knee=15.0, ankle=10.0),
        }
        s.move(2.5, hinge, anchor=("right_foot", "heel"))
        s.wait(1.0)
        for _ in range(8):
            r0 = s.t_s
            s.move(1.5, {**axial(tilt=55.0), **leg("right", knee=5.0, ankle=15.0)})
            s.wait(1.0)
            s.move(1.5, {**axial(tilt=50.0), **leg("right", knee=45.0, ankle=5.0)})
            s.wait(0.5)
            s.repetition(r0, s.t_s)
        back = {
            **axial(tilt=0.0, lumbar=0.0),
            **leg("right", hip=40.0, knee=30.0, ankle=0.0),
            **leg("left", hip=0.0, knee=0.0, ankle=0.0),
        }
        s.move(2.5, back, anchor=("left_foot", "sole"))
        s.set_flat("left", True)
        s.move(1.5, leg("right", hip=0.0, knee=0.0, ankle=0.0))
        s.set_flat("right", True)
        s.wait(1.0)


def standing_l(s: Script) -> None:
    """Standing "L": hinge, left leg back at hip height, right knee 5° ↔ 35°, 8 times."""
    with s.phase("phase", "exercise"):
        s.wait(0.5, anchor=("right_foot", "sole"))
        s.set_flat("left", False)
        ell = {
            **axial(tilt=80.0, lumbar=5.0),
            **leg("right", hip=80.0, knee=5.0),
            **leg("left", hip=-10.0, knee=0.0, ankle=-10.0),
        }
        s.move(3.5, ell)
        s.wait(1.0)
        for _ in range(8):
            r0 = s.t_s
            s.move(1.2, leg("right", hip=95.0, knee=35.0))  # bend
            s.move(2.0, leg("right", hip=80.0, knee=5.0))  # straighten slowly (eccentric)
            s.wait(0.5)
            s.repetition(r0, s.t_s)
        s.move(3.5, {**NEUTRAL, **leg("left", ankle=0.0)})
        s.set_flat("left", True)
        s.wait(0.5, anchor=("left_foot", "sole"))
        s.wait(0.5)


@dataclass(frozen=True)
class ScenarioInfo:
    """A named scenario: what it shows, the exercise profile it belongs to and its script."""

    name: str
    summary: str
    exercise: str
    side: str
    block: Callable[[Script], None]


def _standing(variant: StandingVariant) -> Callable[[Script], None]:
    def block(s: Script) -> None:
        standing_stretch(s, variant)

    return block


SCENARIOS: Final[dict[str, ScenarioInfo]] = {
    info.name: info
    for info in (
        ScenarioInfo(
            "standing_correct",
            "standing stretch, right heel on a support, knee 18°, toes pointed −15°, 40 s hold",
            "standing_hamstring",
            "right",
            _standing("correct"),
        ),
        ScenarioInfo(
            "standing_dorsiflexion",
            "standing stretch with the ankle pulled to +12° for 8 s mid-hold; heel tingling mark",
            "standing_hamstring",
            "right",
            _standing("dorsiflexion"),
        ),
        ScenarioInfo(
            "standing_knee_locked",
            "standing stretch with the knee locked straight (1°) for 36 s of the hold",
            "standing_hamstring",
            "right",
            _standing("knee_locked"),
        ),
        ScenarioInfo(
            "standing_slump",
            "standing stretch with an 8-s slump mid-hold: lumbar +25°, pelvis tilted back to −8°",
            "standing_hamstring",
            "right",
            _standing("slump"),
        ),
        ScenarioInfo(
            "standing_hip_ir_adduction",
            "standing stretch with hip internal rotation +20° and adduction +14° for 8 s mid-hold",
            "standing_hamstring",
            "right",
            _standing("hip_ir_adduction"),
        ),
        ScenarioInfo(
            "standing_looking_down",
            "standing stretch looking down (neck +30°) for 8 s mid-hold; needs a head sensor",
            "standing_hamstring",
            "right",
            _standing("looking_down"),
        ),
        ScenarioInfo(
            "standing_differentiation",
            "standing stretch with two nerve-or-muscle tests: toes up with the hip dropping 8° "
            "(invalid), look down and up with hip and knee still (valid)",
            "standing_hamstring",
            "right",
            _standing("differentiation"),
        ),
        ScenarioInfo(
            "slr_test",
            "lying, two straight-leg raises with P1/P2 marks: ankle pointed, then pulled up",
            "slr_test",
            "right",
            slr_test,
        ),
        ScenarioInfo(
            "supine_correct",
            "lying on the back, right leg raised to hip 65°, knee 15°, ankle −15°, 35 s hold",
            "supine_hamstring",
            "right",
            supine,
        ),
        ScenarioInfo(
            "seated_slider",
            "seated nerve slider: right knee 35°, ankle −20°…+10° at 0.5 Hz for 30 s",
            "seated_slider",
            "right",
            seated_slider,
        ),
        ScenarioInfo(
            "runners_active",
            "active runner's stretch: hinged, right knee 45° → 5° with toes up, 8 repetitions",
            "runners_active",
            "right",
            runners_active,
        ),
        ScenarioInfo(
            "standing_l",
            "standing L: hinged, left leg back at hip height, right knee 5° ↔ 35°, 8 repetitions",
            "standing_l",
            "right",
            standing_l,
        ),
    )
}


def list_scenarios() -> tuple[str, ...]:
    """Names of every scenario, in a fixed order."""
    return tuple(SCENARIOS)


def get_scenario(name: str) -> ScenarioInfo:
    """The scenario called ``name``; ConfigError naming the valid ones otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(
            f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}"
        ) from None


# --- plans: scripts turned into trajectories and events -------------------------------------


@dataclass(frozen=True)
class ScenarioPlan:
    """Everything the kinematic model and the session need from a scenario script."""

    info: ScenarioInfo
    duration_s: float
    natural_duration_s: float
    trajectories: Mapping[str, Trajectory]
    anchors: tuple[AnchorSwitch, ...]
    events: tuple[TruthEvent, ...]
    static_s: tuple[float, float]
    functional_s: tuple[float, float]
    blocks: int
    sway: Mapping[str, float] = field(default_factory=dict)


def _script(info: ScenarioInfo, blocks: int, pad_to_s: float | None) -> Script:
    s = Script()
    protocol(s)
    for b in range(blocks):
        s.block = b
        if b > 0:
            with s.phase("phase", "rest"):
                s.wait(REST_BETWEEN_BLOCKS_S)
        info.block(s)
    s.block = max(0, blocks - 1)
    end = pad_to_s if pad_to_s is not None else s.t_s + FINAL_REST_S
    s.wait(end - s.t_s)
    s.finish()
    return s


def natural_duration_s(name: str) -> float:
    """Length (s) of one run of the scenario: protocol, one exercise block, final rest."""
    return _script(get_scenario(name), 1, None).t_s


def _sway_terms(
    s: Script, *, rng: np.random.Generator, scale: float, end_s: float
) -> tuple[dict[str, list[Trajectory]], dict[str, float]]:
    """Postural sway and micro-motion, gated to where they make sense.

    Anterior-posterior sway is an inverted pendulum about the flat feet: the same small angle
    is added to pelvis tilt and to the ankle of every flat foot (so the feet stay flat) while
    standing. Lumbar and neck get independent micro-motion; a free (not flat) leg gets it at
    hip, knee and ankle.
    """
    terms: dict[str, list[Trajectory]] = {ch: [] for ch in CHANNELS}
    amplitudes: dict[str, float] = {}
    if scale <= 0:
        return terms, amplitudes

    def sines(total_deg: float, f_lo: float, f_hi: float) -> SumOfSines:
        freqs = rng.uniform(f_lo, f_hi, size=3)
        phases = rng.uniform(0.0, 2.0 * math.pi, size=3)
        amps = np.radians(total_deg * scale * np.array([0.6, 0.3, 0.1]))
        return SumOfSines(amps, frequencies_hz=freqs, phases_rad=phases)

    def gated(part: Trajectory, windows: Sequence[tuple[float, float]]) -> Trajectory | None:
        ok = [w for w in windows if w[1] - w[0] >= 2.0 * _SWAY_RAMP_S + 1e-9]
        return Windowed(part, ok, ramp_s=_SWAY_RAMP_S) if ok else None

    standing = s.standing_windows()
    ap = sines(0.4, 0.08, 0.5)
    amplitudes["ap_sway_deg"] = 0.4 * scale
    g = gated(ap, standing)
    if g is not None:
        terms["pelvis_anterior_tilt"].append(g)
    for side in ("left", "right"):
        g = gated(ap, _intersect(standing, s.flat_windows(side)))
        if g is not None:
            terms[f"{side}_ankle_dorsiflexion"].append(g)
    terms["lumbar_flexion"].append(sines(0.3, 0.1, 0.8))
    terms["neck_flexion"].append(sines(0.6, 0.1, 1.0))
    amplitudes["lumbar_deg"], amplitudes["neck_deg"] = 0.3 * scale, 0.6 * scale
    for side in ("left", "right"):
        free = _complement(s.flat_windows(side), end_s)
        for motion, total in (
            ("hip_flexion", 0.3),
            ("hip_adduction", 0.2),
            ("hip_internal_rotation", 0.3),
            ("knee_flexion", 0.3),
            ("ankle_dorsiflexion", 0.5),
        ):
            g = gated(sines(total, 0.2, 1.5), free)
            if g is not None:
                terms[f"{side}_{motion}"].append(g)
    amplitudes["free_leg_deg"] = 0.5 * scale
    return terms, amplitudes


def _crossings(
    traj: Trajectory, *, limit_rad: float, above: bool, window_s: tuple[float, float]
) -> tuple[float, float] | None:
    """First entry into and last exit from the violating side within ``window_s``.

    Found on a 1 ms grid with linear interpolation.
    """
    t = np.arange(window_s[0] - 0.5, window_s[1] + 0.5, 1e-3)
    x = traj.evaluate(t).angle_rad - limit_rad
    bad = x > 0 if above else x < 0
    if not bad.any():
        return None
    i0, i1 = int(np.flatnonzero(bad)[0]), int(np.flatnonzero(bad)[-1])

    def cross(i: int, j: int) -> float:
        return float(t[i] + (t[j] - t[i]) * x[i] / (x[i] - x[j]))

    start = cross(i0 - 1, i0) if i0 > 0 else float(t[0])
    end = cross(i1, i1 + 1) if i1 + 1 < t.size else float(t[-1])
    return start, end


def build_plan(
    name: str,
    *,
    duration_s: float | None,
    body: BodyModel,
    seed: int,
    sway_scale: float = 1.0,
) -> ScenarioPlan:
    """Script, trajectories (rad), anchors and resolved events of a scenario.

    ``duration_s`` None gives the natural length; a longer one repeats the exercise block with
    10 s of quiet standing between blocks and pads the end with quiet standing. A duration
    shorter than the natural length raises ConfigError.
    """
    info = get_scenario(name)
    natural = natural_duration_s(name)
    script = _scripted(info, name, duration_s=duration_s, natural_s=natural)
    end = script.t_s
    rng = np.random.default_rng([seed, 7_100])
    sway, amplitudes = _sway_terms(script, rng=rng, scale=sway_scale, end_s=end)
    trajectories = _channel_trajectories(script, sway)
    anchors = _world_anchors(script, body)
    events = _truth_events(script, trajectories)
    assert script.static_s is not None
    assert script.functional_s is not None
    return ScenarioPlan(
        info=info,
        duration_s=end,
        natural_duration_s=natural,
        trajectories=trajectories,
        anchors=anchors,
        events=tuple(events),
        static_s=script.static_s,
        functional_s=script.functional_s,
        blocks=script.block + 1,
        sway=amplitudes,
    )


def _scripted(
    info: ScenarioInfo, name: str, *, duration_s: float | None, natural_s: float
) -> Script:
    """The scenario's script, with as many exercise blocks as ``duration_s`` (s) holds.

    None gives one block; a duration shorter than ``natural_s`` raises ConfigError.
    """
    if duration_s is None:
        return _script(info, 1, None)
    if not (math.isfinite(duration_s) and duration_s >= natural_s - 1e-9):
        raise ConfigError(
            f"duration_s={duration_s!r} is shorter than scenario {name!r} "
            f"({natural_s:.1f} s: protocol, one exercise block and {FINAL_REST_S:g} s rest)"
        )
    one = _script(info, 1, None)
    two = _script(info, 2, None)
    block_s = two.t_s - one.t_s
    blocks = 1 + math.floor((duration_s - natural_s) / block_s + 1e-9)
    return _script(info, blocks, duration_s)


def _channel_trajectories(
    script: Script, sway: Mapping[str, Sequence[Trajectory]]
) -> dict[str, Trajectory]:
    """Per channel (rad): the keyframes plus sway plus the scripted oscillations."""
    by_channel: dict[str, list[tuple[str, float, float, float, float, float]]] = {}
    for osc in script.oscillations:
        by_channel.setdefault(osc[0], []).append(osc)
    trajectories: dict[str, Trajectory] = {}
    for ch in CHANNELS:
        parts: list[Trajectory] = [script.keyframes(ch), *sway[ch]]
        for _, amp, freq, t0, t1, ramp in by_channel.get(ch, []):
            parts.append(
                oscillation(
                    amplitude_rad=math.radians(amp),
                    frequency_hz=freq,
                    start_s=t0,
                    end_s=t1,
                    ramp_s=ramp,
                )
            )
        trajectories[ch] = parts[0] if len(parts) == 1 else Sum(parts)
    return trajectories


def _world_anchors(script: Script, body: BodyModel) -> tuple[AnchorSwitch, ...]:
    """The script's anchor spans with their body points (m, segment frame) filled in."""
    points = {"sole": body.sole_point_m(), "heel": body.heel_point_m(), "origin": np.zeros(3)}
    return tuple(
        AnchorSwitch(
            start_s=a,
            end_s=b,
            segment=seg,
            point_m=(float(points[pt][0]), float(points[pt][1]), float(points[pt][2])),
            agree_s=c,
            height_m=None if seg == "pelvis" else 0.0,
        )
        for a, b, c, seg, pt in script.anchors
    )


def _truth_events(script: Script, trajectories: Mapping[str, Trajectory]) -> list[TruthEvent]:
    """The script's events plus violations (where a trajectory crosses its limit) and holds.

    A hold is cut where a violation of the same block overlaps it; sorted by start, end, kind.
    """
    events = list(script.events)
    violations: dict[int, list[tuple[float, float]]] = {}
    for v in script.violations:
        limit, direction = RULE_LIMITS_DEG[v.rule]
        span = _crossings(
            trajectories[v.channel],
            limit_rad=math.radians(limit),
            above=direction == "above",
            window_s=v.window_s,
        )
        if span is None:  # pragma: no cover - a script bug, caught by tests
            raise ConfigError(f"script error: violation {v.rule} never crosses {limit}°")
        violations.setdefault(v.block, []).append(span)
        events.append(
            TruthEvent(
                kind="violation",
                name=v.rule,
                rule=v.rule,
                side=v.side,
                start_s=span[0],
                end_s=span[1],
                limit_deg=limit,
                peak_deg=v.peak_deg,
                block=v.block,
            )
        )
    for h0, h1, block in script.holds:
        cuts = sorted(violations.get(block, []))
        pieces = _complement([(max(h0, a), min(h1, b)) for a, b in cuts if b > h0 and a < h1], h1)
        for a, b in pieces:
            a = max(a, h0)
            if b - a > 1e-6:
                events.append(TruthEvent(kind="hold", name="hold", start_s=a, end_s=b, block=block))
    events.sort(key=lambda e: (e.start_s, e.end_s, e.kind))
    return events
