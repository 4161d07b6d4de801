"""A simulated population: many people doing the hamstring stretch their own way.

Written independently of the scenario scripts (:mod:`analysis.simulation.scenarios`): only the
physics is shared (kinematic chain, trajectories, IMU synthesis, session plumbing). Each
person (:func:`generate_person`) has a body, an exercised leg, an exercise (standing stretch
with the heel on a support, or lying on the back) and a *movement style*: how long they stand
still, how deep and how fast they bend their knees, whether the pelvis rocks in those bends or
stays still, fast or slow leg swings, whether they add a trunk bow, skip steps or do them
sloppily, fidget, sit down in between. "Literal" people follow the README's protocol and
nothing more (quiet stand ≥ 3 s, a few slow knee bends and leg swings, then the stretch) and
keep the pelvis still while doing it.

Each session (:func:`generate_session`) straps the sensors anew (any orientation, several
sites per segment, upside down or backwards), draws sensor errors (bias, bias walk, noise,
scale, misalignment, soft-tissue wobble) and scripts 1…n exercise blocks, each with or
without one violation of the envelope (ankle dorsiflexion, knee locked, slump, pelvis
tucked/curled, hip adduction, hip internal rotation). The session carries the recording
(samples and sidecar, the sidecar sometimes without calibration windows, like a vendor
export), the true angles (``analysis.recording.schema.ANGLE_COLUMNS``), the true strapping and the
scripted violation windows; :func:`truth_violations` turns those into true episodes against
a profile's edges.

Angles in degrees, signs of docs/conventions.md; everything is seeded.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.angles import rotations
from analysis.envelope.profiles import Profile, angle_column_for
from analysis.errors import ConfigError
from analysis.recording.schema import PLACEMENTS
from analysis.recording.streams import Recording, SessionMeta, streams_from_samples
from analysis.simulation.body import SEGMENT_OF_PLACEMENT, BodyModel
from analysis.simulation.chain import CHANNELS, AnchorSwitch, KinematicModel
from analysis.simulation.imu import (
    ImuErrorModel,
    SensorParameters,
    SensorSamples,
    SensorSynthesizer,
    SoftTissueModel,
    with_preset,
)
from analysis.simulation.poses import Interval, PoseTimeline
from analysis.simulation.scenarios import TruthEvent
from analysis.simulation.synthesis import SessionSimulator, SimulationConfig
from analysis.simulation.trajectories import Sum, SumOfSines, Trajectory, Windowed

FloatArray = NDArray[np.float64]

__all__ = [
    "EXERCISE_PROFILES",
    "SENSOR_SETS",
    "Person",
    "PopulationSession",
    "generate_person",
    "generate_session",
    "sensor_set",
    "simulate_motion",
    "truth_violations",
]

EXERCISE_PROFILES: Final = {"standing": "standing_hamstring", "supine": "supine_hamstring"}
"""Exercise of a person → the built-in profile that judges it."""

_SET_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "default": ("pelvis", "{x}_thigh", "{x}_shank", "{x}_foot"),
    "default+trunk": ("pelvis", "trunk", "{x}_thigh", "{x}_shank", "{x}_foot"),
    "pair": ("{x}_thigh", "{x}_shank"),
    # sets people wear that the first benches did not measure ({x}: stretched leg, {o}: other)
    "thigh+shank+foot": ("{x}_thigh", "{x}_shank", "{x}_foot"),
    "pelvis+thigh+shank": ("pelvis", "{x}_thigh", "{x}_shank"),
    "shank+foot": ("{x}_shank", "{x}_foot"),
    "default+head": ("pelvis", "head", "{x}_thigh", "{x}_shank", "{x}_foot"),
    "legs": ("left_thigh", "left_shank", "left_foot", "right_thigh", "right_shank", "right_foot"),
    "other-leg": ("pelvis", "{o}_thigh", "{o}_shank", "{o}_foot"),
    "thigh": ("{x}_thigh",),
}
"""Named sets as placements, ``{x}`` the stretched leg's side and ``{o}`` the other's."""

SENSOR_SETS: Final = (*_SET_TEMPLATES, "full")
"""Named sensor sets: the 4-sensor default (pelvis and the stretched leg), plus the trunk,
the thigh-and-shank pair, all nine placements, and partial sets: the stretched leg without
the pelvis (``thigh+shank+foot``), without the foot (``pelvis+thigh+shank``), the ankle only
(``shank+foot``), the default plus the head, both legs without the pelvis (``legs``), the
default strapped to the resting leg (``other-leg``) and one thigh sensor (``thigh``)."""

VIOLATION_RULES: Final = (
    "ankle_dorsiflexion",
    "knee_flexion",
    "lumbar_flexion",
    "pelvis_anterior_tilt",
    "hip_adduction",
    "hip_internal_rotation",
)

LEG_MOTIONS: Final = (
    "hip_flexion",
    "hip_adduction",
    "hip_internal_rotation",
    "knee_flexion",
    "ankle_dorsiflexion",
)


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Person:
    """Body, exercise and movement style of one simulated person (angles in degrees)."""

    seed: int
    body: BodyModel
    side: Literal["left", "right"]
    exercise: Literal["standing", "supine"]
    literal: bool
    """Follows the protocol and nothing more, pelvis still in the knee bends and swings; with
    ``trunk_bows`` 2 the README's as it is now, with 0 the older one that had no bows."""
    stand_s: float
    bends: int
    bend_knee_deg: float
    bend_hip_ratio: float
    bend_pelvis_deg: float
    """Pelvis tilt at the bottom of a knee bend (≈ 0: the pelvis stays still)."""
    bend_half_s: float
    swing_sides: tuple[str, ...]
    swings: int
    swing_forward_deg: float
    swing_back_deg: float
    swing_half_s: float
    swing_pelvis_deg: float
    trunk_bow_deg: float
    """Pelvis tilt of the trunk bow; 0 = no bow."""
    swings_first: bool
    sloppy_deg: float
    """Out-of-plane wander (hip adduction/rotation, pelvis obliquity) in the movements."""
    fidgets: bool
    sits_after_calibration: bool
    flexibility_deg: float
    """Extra hip flexion this person reaches in the stretch."""
    lean_pelvis_deg: float
    lean_lumbar_deg: float
    stretch_knee_deg: float
    stretch_ankle_deg: float
    wobble_scale: float
    trunk_bows: int = 1
    """How many trunk bows of ``trunk_bow_deg`` (when that is not 0)."""
    hold_obliquity_deg: float = 0.0
    """Pelvic obliquity held during the standing stretch (positive about the pelvis's +x,
    the raised leg's side going up when it is the left); the stance leg stays vertical."""
    seated_opening_s: float = 0.0
    """Seconds the session opens seated still on a chair (hips and knees near 90°, feet
    flat) before the person stands up for the quiet stand of ``stand_s``: a calibration
    done sitting. 0 (every drawn person): the session opens with the stand."""


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _body(rng: np.random.Generator) -> BodyModel:
    return BodyModel(
        height_m=_u(rng, 1.50, 1.98),
        hip_half_width_m=_u(rng, 0.075, 0.11),
        thigh_fraction=0.245 * _u(rng, 0.93, 1.07),
        shank_fraction=0.246 * _u(rng, 0.93, 1.07),
        foot_length_fraction=0.152 * _u(rng, 0.94, 1.06),
        trunk_fraction=0.288 * _u(rng, 0.94, 1.06),
    )


def generate_person(seed: int) -> Person:
    """A random person (seeded): body, leg, exercise and movement style.

    About a third are *literal* (README protocol only, pelvis still during the calibration
    movements); the others rock the pelvis or not, bend shallow or deep, swing fast or slow,
    add a trunk bow or not, skip or rush steps, fidget, sit down after calibrating.
    """
    if not (isinstance(seed, int) and seed >= 0):
        raise ConfigError(f"seed must be an integer ≥ 0, got {seed!r}")
    person = _draw_person(seed)
    # drawn apart so that adding them left every other draw of the population unchanged
    apart = np.random.default_rng([seed, 0x0B1])
    hitch = _u(apart, -6.0, 6.0)
    if person.literal and apart.random() < 0.5:  # the README's two bows, done as asked
        return dataclasses.replace(
            person, trunk_bow_deg=_u(apart, 15.0, 30.0), trunk_bows=2, hold_obliquity_deg=hitch
        )
    return dataclasses.replace(person, hold_obliquity_deg=hitch)


def _draw_person(seed: int) -> Person:
    rng = np.random.default_rng([seed, 0x9E0])
    literal = bool(rng.random() < 0.35)
    side: Literal["left", "right"] = "right" if rng.random() < 0.6 else "left"
    other = "left" if side == "right" else "right"
    exercise: Literal["standing", "supine"] = "supine" if rng.random() < 0.3 else "standing"
    skip = rng.random()
    if literal:
        bends, swing_sides, pelvis = int(rng.integers(2, 4)), (side, other), _u(rng, -1.0, 1.0)
    else:
        bends = 0 if skip < 0.12 else int(rng.integers(1, 5))
        swing_sides = () if 0.12 <= skip < 0.22 else ((side,) if skip > 0.8 else (side, other))
        rocks = rng.random() < 0.6
        pelvis = _u(rng, 4.0, 15.0) * (1 if rng.random() < 0.8 else -0.6) if rocks else 0.0
    return Person(
        seed=seed,
        body=_body(rng),
        side=side,
        exercise=exercise,
        literal=literal,
        stand_s=_u(rng, 3.0, 3.6) if literal else _u(rng, 2.0, 8.0),
        bends=bends,
        bend_knee_deg=_u(rng, 25.0, 95.0),
        bend_hip_ratio=_u(rng, 0.45, 0.85),
        bend_pelvis_deg=pelvis,
        bend_half_s=_u(rng, 1.4, 2.6) if literal else _u(rng, 0.7, 2.6),
        swing_sides=tuple(swing_sides),
        swings=int(rng.integers(2, 4)) if literal else int(rng.integers(1, 6)),
        swing_forward_deg=_u(rng, 15.0, 50.0),
        swing_back_deg=_u(rng, -20.0, -3.0),
        swing_half_s=_u(rng, 1.0, 2.0) if literal else _u(rng, 0.45, 2.0),
        swing_pelvis_deg=_u(rng, 0.0, 0.8) if literal else _u(rng, 0.0, 6.0),
        trunk_bow_deg=0.0 if literal or rng.random() < 0.6 else _u(rng, 12.0, 35.0),
        swings_first=(not literal) and rng.random() < 0.2,
        sloppy_deg=0.0 if literal else _u(rng, 0.0, 6.0),
        fidgets=(not literal) and rng.random() < 0.5,
        sits_after_calibration=exercise == "standing" and rng.random() < 0.2,
        flexibility_deg=_u(rng, -10.0, 15.0),
        lean_pelvis_deg=_u(rng, 4.0, 16.0),
        lean_lumbar_deg=_u(rng, -3.0, 5.0),
        stretch_knee_deg=_u(rng, 14.0, 30.0),
        stretch_ankle_deg=_u(rng, -25.0, -6.0),
        wobble_scale=_u(rng, 0.5, 3.0),
    )


# --- the script -------------------------------------------------------------------------------


def _legs(**targets: float) -> dict[str, float]:
    """Both legs to the same targets, e.g. ``_legs(hip_flexion=40)``."""
    return {f"{s}_{k}": v for s in ("left", "right") for k, v in targets.items()}


def _sloppy(p: Person, rng: np.random.Generator, side: str | None = None) -> dict[str, float]:
    if p.sloppy_deg <= 0:
        return {}
    sides = (side,) if side else ("left", "right")
    out = {"pelvis_obliquity": _u(rng, -0.5, 0.5) * p.sloppy_deg}
    for s in sides:
        out[f"{s}_hip_adduction"] = _u(rng, -1.0, 1.0) * p.sloppy_deg
        out[f"{s}_hip_internal_rotation"] = _u(rng, -1.5, 1.5) * p.sloppy_deg
    return out


def _neutral(tl: PoseTimeline) -> dict[str, float]:
    """Every channel back to 0 except the heading (free ankles too)."""
    return {ch: 0.0 for ch in CHANNELS if ch != "pelvis_heading"}


def _knee_bends(tl: PoseTimeline, p: Person, rng: np.random.Generator) -> None:
    start = tl.t_s
    for _ in range(p.bends):
        knee = p.bend_knee_deg * _u(rng, 0.85, 1.1)
        hip = knee * p.bend_hip_ratio
        tilt = p.bend_pelvis_deg * _u(rng, 0.8, 1.2) if p.bend_pelvis_deg else 0.0
        lumbar = _u(rng, 0.0, 0.15) * knee
        down = p.bend_half_s * _u(rng, 0.85, 1.15)
        pose = {"pelvis_anterior_tilt": tilt, "lumbar_flexion": lumbar}
        pose.update(_legs(hip_flexion=hip + tilt, knee_flexion=knee))
        pose.update(_sloppy(p, rng))
        tl.go(down, pose)
        tl.stay(_u(rng, 0.1, 0.8))
        tl.go(p.bend_half_s * _u(rng, 0.85, 1.15), _neutral(tl))
        tl.stay(_u(rng, 0.2, 1.0))
    if p.bends:
        tl.label("calibration", "knee_bends", start)


def _leg_swings(tl: PoseTimeline, p: Person, rng: np.random.Generator, side: str) -> None:
    other = "left" if side == "right" else "right"
    tl.stay(_u(rng, 0.3, 0.8), carrier=(f"{other}_foot", "sole"))
    start = tl.t_s
    tl.set_flat(side, False)
    for _ in range(p.swings):
        for hip, knee_lo, knee_hi, sgn in (
            (p.swing_forward_deg, 0.0, 25.0, -1.0),
            (p.swing_back_deg, 15.0, 45.0, 1.0),
        ):
            tilt = sgn * p.swing_pelvis_deg * _u(rng, 0.6, 1.2)
            pose = {
                f"{side}_hip_flexion": hip * _u(rng, 0.85, 1.15) + tilt,
                f"{side}_knee_flexion": _u(rng, knee_lo, knee_hi),
                f"{side}_ankle_dorsiflexion": _u(rng, -20.0, 5.0),
                "pelvis_anterior_tilt": tilt,
                f"{other}_hip_flexion": tilt,
            }
            pose.update(_sloppy(p, rng, side))
            tl.go(p.swing_half_s * _u(rng, 0.85, 1.15), pose)
    tl.go(_u(rng, 0.8, 1.4), _neutral(tl))
    tl.set_flat(side, True)
    tl.label("calibration", f"leg_swings_{side}", start)
    tl.stay(_u(rng, 0.3, 1.0))


def _trunk_bow(tl: PoseTimeline, p: Person, rng: np.random.Generator) -> None:
    """``p.trunk_bows`` bows from the hips; a literal person keeps the back straight."""
    start = tl.t_s
    tilt = p.trunk_bow_deg
    for _ in range(p.trunk_bows):
        back = _u(rng, -0.1, 0.3) if p.literal else _u(rng, 0.8, 1.6)
        pose = {"pelvis_anterior_tilt": tilt, "lumbar_flexion": back * tilt}
        pose.update(_legs(hip_flexion=tilt, knee_flexion=_u(rng, 0.0, 10.0)))
        tl.go(_u(rng, 1.5, 3.0), pose)
        tl.stay(_u(rng, 0.3, 1.0))
        tl.go(_u(rng, 1.5, 3.0), _neutral(tl))
        tl.stay(_u(rng, 0.3, 0.8))
    tl.label("calibration", "trunk_bow", start)


def _seated_opening(tl: PoseTimeline, p: Person) -> None:
    """Open seated still for ``p.seated_opening_s``, then stand up (feet flat throughout).

    Fixed poses and times, drawn from no generator, so the rest of the script is drawn as
    for the same person opening standing.
    """
    seat = {"pelvis_anterior_tilt": -6.0, "lumbar_flexion": 10.0}
    seat.update(_legs(hip_flexion=84.0, knee_flexion=90.0))
    tl.start_in(seat, standing=False)
    tl.stay(p.seated_opening_s)
    up = {"pelvis_anterior_tilt": 15.0, "lumbar_flexion": 15.0, **_legs(hip_flexion=100.0)}
    tl.go(1.0, up, carrier=(f"{p.side}_foot", "sole"), agree="start")
    tl.go(1.6, _neutral(tl))
    tl.set_standing(True)


def _calibration(tl: PoseTimeline, p: Person, rng: np.random.Generator) -> tuple[float, float]:
    """Quiet stand and the person's calibration movements; returns the functional window.

    With ``p.seated_opening_s`` the stand follows a seated opening (:func:`_seated_opening`).
    """
    if p.seated_opening_s > 0:
        _seated_opening(tl, p)
    stand_start = tl.t_s
    tl.stay(p.stand_s)
    tl.label("calibration", "quiet_stand", stand_start)
    start = tl.t_s
    steps = ["bends", "swings"] if not p.swings_first else ["swings", "bends"]
    for step in steps:
        if step == "bends":
            _knee_bends(tl, p, rng)
        else:
            for side in p.swing_sides:
                _leg_swings(tl, p, rng, side)
    if p.trunk_bow_deg:
        _trunk_bow(tl, p, rng)
    if tl.t_s - start < 2.5:  # nothing (or nearly nothing) done: a short idle stand
        tl.stay(2.5 - (tl.t_s - start))
    tl.stay(0.5)
    return (start, tl.t_s)


def _fidget(tl: PoseTimeline, p: Person, rng: np.random.Generator) -> None:
    """Weight shifts, a turn on the spot, a look around: standing, feet flat."""
    for _ in range(int(rng.integers(1, 4))):
        kind = rng.integers(0, 3)
        if kind == 0:
            shift = _u(rng, -3.0, 3.0)
            tl.go(_u(rng, 0.8, 1.5), {"pelvis_obliquity": shift, **_legs(hip_adduction=shift)})
            tl.stay(_u(rng, 1.0, 4.0))
            tl.go(_u(rng, 0.8, 1.5), {"pelvis_obliquity": 0.0, **_legs(hip_adduction=0.0)})
        elif kind == 1:
            turn = _u(rng, 20.0, 120.0) * (1 if rng.random() < 0.5 else -1)
            heading = tl.pose["pelvis_heading"] + turn
            tl.go(_u(rng, 1.5, 4.0), {"pelvis_heading": heading})
        else:
            tl.go(_u(rng, 0.6, 1.2), {"neck_flexion": _u(rng, -20.0, 30.0)})
            tl.stay(_u(rng, 0.5, 2.0))
            tl.go(_u(rng, 0.6, 1.2), {"neck_flexion": 0.0})
        tl.stay(_u(rng, 0.5, 2.0))


def _sit_break(tl: PoseTimeline, p: Person, rng: np.random.Generator, seconds: float) -> None:
    """Sit on a chair for ``seconds`` and stand up again (feet stay flat)."""
    stance = f"{p.side}_foot"
    tl.set_standing(False)
    tilt = _u(rng, -15.0, 3.0)
    pose = {"pelvis_anterior_tilt": tilt, "lumbar_flexion": _u(rng, 0.0, 20.0)}
    pose.update(_legs(hip_flexion=90.0 + tilt, knee_flexion=_u(rng, 80.0, 100.0)))
    tl.go(_u(rng, 1.5, 2.5), pose, carrier=("pelvis", "origin"), agree="end")
    tl.stay(seconds)
    up = {"pelvis_anterior_tilt": 15.0, "lumbar_flexion": 15.0, **_legs(hip_flexion=100.0)}
    tl.go(_u(rng, 0.8, 1.5), up, carrier=(stance, "sole"), agree="start")
    tl.go(_u(rng, 1.2, 2.0), _neutral(tl))
    tl.set_standing(True)
    tl.stay(_u(rng, 1.0, 3.0))


def _lie_down(tl: PoseTimeline, rng: np.random.Generator) -> None:
    tl.set_standing(False)
    squat = {"pelvis_anterior_tilt": 10.0, "lumbar_flexion": 20.0}
    squat.update(_legs(hip_flexion=100.0, knee_flexion=100.0))
    tl.go(_u(rng, 1.5, 2.5), squat)
    sit = {"pelvis_anterior_tilt": -20.0, "lumbar_flexion": 10.0}
    sit.update(_legs(hip_flexion=70.0, knee_flexion=90.0))
    tl.go(_u(rng, 1.2, 2.0), sit, carrier=("pelvis", "origin"), agree="end")
    tl.set_flat("left", False)
    tl.set_flat("right", False)
    tl.go(_u(rng, 1.0, 2.0), _legs(hip_flexion=70.0, knee_flexion=5.0, ankle_dorsiflexion=-25.0))
    lie = {"pelvis_anterior_tilt": -90.0, "lumbar_flexion": 0.0}
    lie.update(_legs(hip_flexion=0.0, knee_flexion=_u(rng, 0.0, 6.0)))
    tl.go(_u(rng, 1.5, 3.0), lie)
    tl.stay(_u(rng, 1.0, 3.0))


def _violation_pose(
    rule: str, p: Person, pose: Mapping[str, float], rng: np.random.Generator
) -> tuple[dict[str, float], float]:
    """The pose change of a scripted violation and its peak (deg)."""
    x = p.side
    other = "left" if x == "right" else "right"
    if rule == "ankle_dorsiflexion":
        peak = _u(rng, 7.0, 16.0)
        return {f"{x}_ankle_dorsiflexion": peak}, peak
    if rule == "knee_flexion":
        peak = _u(rng, 0.0, 3.5)
        return {f"{x}_knee_flexion": peak}, peak
    if rule == "lumbar_flexion":
        peak = _u(rng, 17.0, 27.0)
        return {"lumbar_flexion": peak}, peak
    if rule == "hip_adduction":
        peak = _u(rng, 11.0, 17.0)
        return {f"{x}_hip_adduction": peak}, peak
    if rule == "hip_internal_rotation":
        peak = _u(rng, 16.0, 25.0)
        return {f"{x}_hip_internal_rotation": peak}, peak
    # pelvis: tucked under (standing) or curling up off the floor (lying); thighs stay put
    tilt = pose["pelvis_anterior_tilt"]
    peak = _u(rng, -13.0, -8.0) if p.exercise == "standing" else _u(rng, -114.0, -107.0)
    d = peak - tilt
    return {
        "pelvis_anterior_tilt": peak,
        f"{x}_hip_flexion": pose[f"{x}_hip_flexion"] + d,
        f"{other}_hip_flexion": pose[f"{other}_hip_flexion"] + d,
    }, peak


def _hold(
    tl: PoseTimeline, p: Person, rng: np.random.Generator, rule: str | None, hold_s: float
) -> None:
    """Hold the stretch ``hold_s`` seconds, with one scripted violation or none."""
    start = tl.t_s
    if rule is None:
        tl.stay(hold_s)
    else:
        dur = _u(rng, 4.0, 12.0)
        pre = _u(rng, 3.0, max(3.5, hold_s - dur - 5.0))
        tl.stay(pre)
        before = dict(tl.pose)
        change, peak = _violation_pose(rule, p, before, rng)
        v0 = tl.t_s
        tl.go(_u(rng, 0.6, 1.5), change)
        tl.stay(dur)
        back = {k: before[k] for k in change}
        tl.go(_u(rng, 0.6, 1.5), back)
        tl.label("violation", rule, v0, side=p.side if _is_leg(rule) else None, peak_deg=peak)
        tl.stay(max(3.0, hold_s - (tl.t_s - start)))
    tl.label("hold", "hold", start)


def _is_leg(rule: str) -> bool:
    return rule.startswith(("hip_", "knee_", "ankle_"))


def _hitched(obliquity_deg: float, *, stance: str) -> dict[str, float]:
    """Pelvic obliquity with the stance leg kept vertical in the frontal plane.

    The chain turns the right thigh by +adduction about the pelvis's x and the left by
    −adduction, so the stance hip takes ∓ the obliquity.
    """
    mirror = 1.0 if stance == "right" else -1.0
    return {"pelvis_obliquity": obliquity_deg, f"{stance}_hip_adduction": -mirror * obliquity_deg}


def _standing_block(
    tl: PoseTimeline, p: Person, rng: np.random.Generator, rule: str | None
) -> None:
    x = p.side
    other = "left" if x == "right" else "right"
    tl.stay(_u(rng, 0.4, 1.0), carrier=(f"{other}_foot", "sole"))
    start = tl.t_s
    tl.set_flat(x, False)
    elevation = _u(rng, 50.0, 72.0) + 0.3 * p.flexibility_deg
    lift = {f"{x}_hip_flexion": elevation + 15.0, f"{x}_knee_flexion": _u(rng, 40.0, 70.0)}
    tl.go(_u(rng, 0.8, 1.6), {**lift, f"{x}_ankle_dorsiflexion": -10.0})
    place = {
        f"{x}_hip_flexion": elevation,
        f"{x}_knee_flexion": p.stretch_knee_deg,
        f"{x}_ankle_dorsiflexion": p.stretch_ankle_deg,
    }
    tl.go(_u(rng, 0.8, 1.5), place)
    tilt = p.lean_pelvis_deg * _u(rng, 0.85, 1.15)
    lean = {
        "pelvis_anterior_tilt": tilt,
        "lumbar_flexion": p.lean_lumbar_deg,
        f"{other}_hip_flexion": tilt,
        f"{x}_hip_flexion": elevation + tilt,
        **_hitched(p.hold_obliquity_deg, stance=other),
    }
    tl.go(_u(rng, 1.5, 3.0), lean)
    _hold(tl, p, rng, rule, _u(rng, 22.0, 45.0))
    tl.go(
        _u(rng, 1.5, 2.5),
        {
            **place,
            "pelvis_anterior_tilt": 0.0,
            "lumbar_flexion": 0.0,
            f"{other}_hip_flexion": 0.0,
            **_hitched(0.0, stance=other),
        },
    )
    tl.go(_u(rng, 0.8, 1.5), lift)
    tl.go(_u(rng, 0.8, 1.5), _neutral(tl))
    tl.set_flat(x, True)
    tl.label("exercise", "standing_stretch", start)


def _supine_block(tl: PoseTimeline, p: Person, rng: np.random.Generator, rule: str | None) -> None:
    x = p.side
    start = tl.t_s
    raised = {
        f"{x}_hip_flexion": _u(rng, 68.0, 88.0) + 0.5 * p.flexibility_deg,
        f"{x}_knee_flexion": p.stretch_knee_deg,
        f"{x}_ankle_dorsiflexion": p.stretch_ankle_deg,
    }
    tl.go(_u(rng, 2.0, 3.5), raised)
    _hold(tl, p, rng, rule, _u(rng, 22.0, 45.0))
    tl.go(
        _u(rng, 2.0, 3.5),
        {f"{x}_hip_flexion": 0.0, f"{x}_knee_flexion": 3.0, f"{x}_ankle_dorsiflexion": -25.0},
    )
    tl.label("exercise", "supine_stretch", start)


def _rest(tl: PoseTimeline, p: Person, rng: np.random.Generator, long: bool) -> None:
    if p.exercise == "supine":
        tl.stay(_u(rng, 8.0, 60.0 if long else 25.0))
        return
    if p.fidgets:
        _fidget(tl, p, rng)
    if long and rng.random() < 0.25:
        _sit_break(tl, p, rng, _u(rng, 20.0, 150.0))
    tl.stay(_u(rng, 5.0, 60.0 if long else 20.0))


def _script(p: Person, rng: np.random.Generator, duration_s: float | None, trunk: bool):
    """The whole session as a timeline, the functional window and the block count."""
    tl = PoseTimeline()
    functional = _calibration(tl, p, rng)
    if p.fidgets and p.exercise == "standing":
        _fidget(tl, p, rng)
    if p.sits_after_calibration:
        _sit_break(tl, p, rng, _u(rng, 5.0, 30.0))
    if p.exercise == "supine":
        _lie_down(tl, rng)
    correct = rng.random() < 0.35
    long = duration_s is not None and duration_s > 900
    blocks = 0
    while True:
        rule = None if correct or rng.random() < 0.3 else str(rng.choice(VIOLATION_RULES))
        if rule == "lumbar_flexion" and not trunk:
            rule = "pelvis_anterior_tilt"  # a slump tucks the pelvis too; seen without a trunk
        (_standing_block if p.exercise == "standing" else _supine_block)(tl, p, rng, rule)
        blocks += 1
        if duration_s is None or tl.t_s > duration_s - 90.0:
            break
        _rest(tl, p, rng, long)
    end = max(tl.t_s + 3.0, duration_s or 0.0)
    tl.stay(end - tl.t_s)
    tl.finish()
    return tl, functional, blocks


def _sway(tl: PoseTimeline, rng: np.random.Generator, end_s: float) -> dict[str, Trajectory]:
    """Postural sway while standing: the pelvis rocks over fixed thighs; spine micro-motion."""

    def sines(total_deg: float, f_lo: float, f_hi: float) -> SumOfSines:
        amps = np.radians(total_deg * np.array([0.55, 0.3, 0.15]))
        return SumOfSines(
            amps,
            frequencies_hz=rng.uniform(f_lo, f_hi, 3),
            phases_rad=rng.uniform(0.0, 2.0 * math.pi, 3),
        )

    out: dict[str, Trajectory] = {}
    wins = [w for w in tl.standing if w[1] - w[0] >= 1.0]
    if wins:
        rock = Windowed(sines(_u(rng, 0.2, 0.7), 0.1, 0.6), wins, ramp_s=0.5)
        out["pelvis_anterior_tilt"] = rock
        out["left_hip_flexion"] = rock
        out["right_hip_flexion"] = rock
    out["lumbar_flexion"] = sines(_u(rng, 0.1, 0.5), 0.1, 0.8)
    out["neck_flexion"] = sines(_u(rng, 0.2, 1.0), 0.1, 1.0)
    return out


# --- strapping and sensor errors ------------------------------------------------------------


def _sites(
    placement: str, body: BodyModel, rng: np.random.Generator
) -> list[tuple[FloatArray, FloatArray]]:
    """Candidate (site, outward skin normal) pairs in the segment frame (ISB axes)."""
    side = -1.0 if placement.startswith("left_") else 1.0
    name = SEGMENT_OF_PLACEMENT[placement].removeprefix("left_").removeprefix("right_")
    a = np.array
    if name == "pelvis":
        return [
            (a([-0.12, 0.04, 0.0]), a([-1.0, 0, 0])),
            (a([0.0, 0.06, 0.15]), a([0, 0, 1.0])),
            (a([0.0, 0.06, -0.15]), a([0, 0, -1.0])),
            (a([0.11, 0.06, 0.0]), a([1.0, 0, 0])),
        ]
    if name == "trunk":
        return [(a([-0.09, 0.25, 0.0]), a([-1.0, 0, 0])), (a([0.10, 0.22, 0.0]), a([1.0, 0, 0]))]
    if name == "head":
        return [
            (a([0.04, 0.15, 0.075]), a([0, 0, 1.0])),
            (a([0.09, 0.13, 0.0]), a([1.0, 0, 0])),
            (a([-0.09, 0.12, 0.0]), a([-1.0, 0, 0])),
        ]
    if name == "thigh":
        y = -_u(rng, 0.3, 0.65) * body.thigh_length_m
        r = 0.075 / math.sqrt(2)
        return [
            (a([0.0, y, side * 0.075]), a([0, 0, side])),
            (a([0.075, y, 0.0]), a([1.0, 0, 0])),
            (a([r, y, side * r]), a([math.sqrt(0.5), 0, side * math.sqrt(0.5)])),
        ]
    if name == "shank":
        y = -_u(rng, 0.35, 0.8) * body.shank_length_m
        return [(a([0.01, y, side * 0.045]), a([0, 0, side])), (a([0.045, y, 0.0]), a([1.0, 0, 0]))]
    return [
        (a([0.07, -0.02, 0.0]), a([0, 1.0, 0])),
        (a([0.03, -0.04, side * 0.045]), a([0, 0, side])),
        (a([-0.07, -0.03, 0.0]), a([-1.0, 0, 0])),
    ]


def _tangents(n: FloatArray) -> tuple[FloatArray, FloatArray]:
    helper = np.array([0.0, 1.0, 0.0]) if abs(n[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    t1 = np.cross(helper, n)
    t1 /= np.linalg.norm(t1)
    return t1, np.cross(n, t1)


def draw_strapping(
    placement: str, body: BodyModel, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray, str]:
    """A random strapping: ``(q_S_B, site_m, skin_normal, description)``.

    A site is picked among the segment's candidates (e.g. outside or front of the thigh);
    one sensor axis (any of ±x, ±y, ±z: vendors differ, and a case can sit upside down)
    points out of the skin, the sensor is turned by a uniform angle about the skin normal and
    tilted a few degrees off the skin plane; one strapping in seven is a uniformly random
    rotation instead.
    """
    sites = _sites(placement, body, rng)
    i = int(rng.integers(0, len(sites)))
    site, normal = sites[i]
    site = site + rng.normal(0.0, 0.01, 3)
    uniform = rng.random() < 1 / 7
    k = int(rng.integers(0, 3))
    sign = 1.0 if rng.random() < 0.5 else -1.0
    psi = _u(rng, 0.0, 2.0 * math.pi)
    tilt_axis = rotations.normalize(np.append(0.0, rng.normal(size=3)))[1:]
    tilt = math.radians(_u(rng, 0.0, 8.0))
    q_rand = rotations.normalize(rng.normal(size=4))
    t1, t2 = _tangents(normal)
    axes = np.zeros((3, 3))  # columns: sensor axes in segment coordinates
    axes[:, k] = sign * normal
    axes[:, (k + 1) % 3] = math.cos(psi) * t1 + math.sin(psi) * t2
    axes[:, (k + 2) % 3] = np.cross(axes[:, k], axes[:, (k + 1) % 3])
    q_B_S = rotations.from_matrix(axes)
    q_B_S = rotations.multiply(rotations.from_axis_angle(tilt_axis, tilt), q_B_S)
    if uniform:
        q_B_S = q_rand
    q_S_B = rotations.normalize(rotations.conjugate(q_B_S))
    if q_S_B[0] < 0:
        q_S_B = -q_S_B
    how = "uniform" if uniform else f"site {i}, axis {'+' if sign > 0 else '-'}{'xyz'[k]} out"
    return q_S_B, site, normal, how


def _error_model(rng: np.random.Generator, wobble_scale: float) -> ImuErrorModel:
    base = ImuErrorModel()
    w = base.wobble
    return dataclasses.replace(
        base,
        gyr_noise_density_rad_s_sqrt_hz=base.gyr_noise_density_rad_s_sqrt_hz * _u(rng, 1, 2),
        acc_noise_density_m_s2_sqrt_hz=base.acc_noise_density_m_s2_sqrt_hz * _u(rng, 1, 2),
        gyr_bias_sigma_rad_s=base.gyr_bias_sigma_rad_s * _u(rng, 0.5, 2.0),
        gyr_bias_walk_rad_s_sqrt_s=base.gyr_bias_walk_rad_s_sqrt_s * _u(rng, 1.0, 3.0),
        acc_bias_sigma_m_s2=base.acc_bias_sigma_m_s2 * _u(rng, 0.5, 1.5),
        acc_bias_walk_m_s2_sqrt_s=base.acc_bias_walk_m_s2_sqrt_s * _u(rng, 1.0, 2.0),
        wobble=SoftTissueModel(
            natural_frequency_hz=w.natural_frequency_hz * _u(rng, 0.7, 1.3),
            damping_ratio=w.damping_ratio * _u(rng, 0.7, 1.5),
            static_deflection_s2=w.static_deflection_s2 * wobble_scale,
            pivot_depth_m=w.pivot_depth_m * _u(rng, 0.5, 1.5),
        ),
    )


def _imperfection(rng: np.random.Generator, scale_max: float, misalign_deg: float) -> FloatArray:
    """``I + diag(scale) + small off-diagonal misalignment`` (applied to a sensor's readings)."""
    m = np.eye(3) + np.diag(rng.uniform(-scale_max, scale_max, 3))
    off = np.radians(rng.uniform(-misalign_deg, misalign_deg, (3, 3)))
    np.fill_diagonal(off, 0.0)
    return m + off


class _ImperfectSynthesizer(SensorSynthesizer):
    """The shared synthesizer plus scale-factor and axis-misalignment errors."""

    def __init__(self, *args: Any, acc_matrix: FloatArray, gyr_matrix: FloatArray, **kw: Any):
        super().__init__(*args, **kw)
        self.acc_matrix = acc_matrix
        self.gyr_matrix = gyr_matrix

    def synthesize(self, n0: int, n1: int) -> SensorSamples:
        s = super().synthesize(n0, n1)
        return dataclasses.replace(
            s, acc_m_s2=s.acc_m_s2 @ self.acc_matrix.T, gyr_rad_s=s.gyr_rad_s @ self.gyr_matrix.T
        )


# --- the session -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Info:
    exercise: str
    side: str


@dataclass(frozen=True)
class _Plan:
    """What :class:`SessionSimulator` reads from a plan (same attribute names)."""

    info: _Info
    duration_s: float
    natural_duration_s: float
    trajectories: Mapping[str, Trajectory]
    anchors: tuple
    events: tuple[TruthEvent, ...]
    static_s: tuple[float, float]
    functional_s: tuple[float, float]
    blocks: int
    sway: Mapping[str, float] = field(default_factory=dict)


class _PopulationSimulator(SessionSimulator):
    """The shared session plumbing driven by a population plan and drawn strapping."""

    def __init__(
        self,
        plan: _Plan,
        *,
        config: SimulationConfig,
        parameters: Mapping[str, SensorParameters],
        matrices: Mapping[str, tuple[FloatArray, FloatArray]],
        vendor_export: bool,
    ) -> None:
        self.config = config
        self.scenario = f"population:{plan.info.exercise}"
        self.plan = plan  # type: ignore[assignment]
        self.vendor_export = vendor_export
        self.n_truth = max(1, round(plan.duration_s * config.rate_hz))
        self.duration_s = self.n_truth / config.rate_hz
        self.model = KinematicModel(
            body=config.body,
            trajectories=plan.trajectories,
            anchors=plan.anchors,
            facing_deg=config.facing_deg,
        )
        self.parameters = dict(parameters)
        self._synth = {
            p: _ImperfectSynthesizer(
                params,
                model=self.model,
                errors=config.errors,
                rate_hz=config.rate_hz,
                seed=config.seed,
                duration_s=self.duration_s,
                acc_matrix=matrices[p][0],
                gyr_matrix=matrices[p][1],
            )
            for p, params in self.parameters.items()
        }

    @cached_property
    def meta(self) -> SessionMeta:  # type: ignore[override]
        """The sidecar; a vendor-like export has no calibration windows."""
        meta = SessionSimulator.meta.func(self)  # type: ignore[attr-defined]
        return dataclasses.replace(meta, calibration=None) if self.vendor_export else meta


@dataclass(frozen=True, kw_only=True, eq=False)
class PopulationSession:
    """One simulated session of one person, with its ground truth.

    ``samples``/``meta``: the recording; ``truth``: ``t_s`` and every ``ANGLE_COLUMNS`` column
    (deg) on the uniform grid; ``mounting``: true ``q_S_B`` per placement (segment → sensor);
    ``intervals``: scripted calibration steps, holds and violations (``peak_deg``) in seconds.
    """

    person: Person
    seed: int
    sensors: tuple[str, ...]
    profile_name: str
    samples: pd.DataFrame
    meta: SessionMeta
    truth: pd.DataFrame
    mounting: Mapping[str, FloatArray]
    strapping: Mapping[str, str]
    intervals: tuple[Interval, ...]
    static_s: tuple[float, float]
    functional_s: tuple[float, float]
    vendor_export: bool
    blocks: int
    duration_s: float

    @property
    def side(self) -> str:
        """The stretched leg."""
        return self.person.side

    @property
    def violations(self) -> tuple[Interval, ...]:
        """The scripted violations (the interval of the scripted deviation, not the crossing)."""
        return tuple(i for i in self.intervals if i.kind == "violation")

    def recording(self) -> Recording:
        """The session as a canonical recording (what ``stretchguard analyse`` reads)."""
        return Recording(streams=streams_from_samples(self.samples), meta=self.meta)


def sensor_set(name: str | Sequence[str], side: str) -> tuple[str, ...]:
    """Placements of a named set (:data:`SENSOR_SETS`) for the stretched ``side``, or a tuple."""
    if not isinstance(name, str):
        out = tuple(name)
        bad = [p for p in out if p not in PLACEMENTS]
        if bad or not out:
            raise ConfigError(f"unknown placement(s) {bad}; expected some of {PLACEMENTS}")
        return out
    if name == "full":
        return tuple(PLACEMENTS)
    if name not in _SET_TEMPLATES:
        raise ConfigError(f"unknown sensor set {name!r}; expected one of {SENSOR_SETS}")
    other = "left" if side == "right" else "right"
    return tuple(p.format(x=side, o=other) for p in _SET_TEMPLATES[name])


def _plan(
    p: Person, seed: int, duration_s: float | None, trunk: bool
) -> tuple[_Plan, PoseTimeline]:
    rng = np.random.default_rng([p.seed, seed, 1])
    tl, functional, blocks = _script(p, rng, duration_s, trunk)
    keyed = tl.trajectories()
    sway = _sway(tl, rng, tl.t_s)
    traj: dict[str, Trajectory] = {
        ch: Sum([keyed[ch], sway[ch]]) if ch in sway else keyed[ch] for ch in CHANNELS
    }
    events = tuple(
        TruthEvent(
            kind="violation"
            if i.kind == "violation"
            else ("hold" if i.kind == "hold" else "phase"),
            name=i.name,
            start_s=i.start_s,
            end_s=i.end_s,
            rule=i.name if i.kind == "violation" else None,
            side=i.side,
            peak_deg=i.peak_deg,
        )
        for i in tl.intervals
    )
    plan = _Plan(
        info=_Info(exercise=EXERCISE_PROFILES[p.exercise], side=p.side),
        duration_s=tl.t_s,
        natural_duration_s=tl.t_s,
        trajectories=traj,
        anchors=tl.anchor_switches(p.body),
        events=events,
        static_s=next((i.start_s, i.end_s) for i in tl.intervals if i.name == "quiet_stand"),
        functional_s=functional,
        blocks=blocks,
    )
    return plan, tl


def _sensor_parameters(
    body: BodyModel, sensors: Sequence[str], rng: np.random.Generator, errors: ImuErrorModel
) -> tuple[dict[str, SensorParameters], dict[str, tuple[FloatArray, FloatArray]], dict[str, str]]:
    params, matrices, how = {}, {}, {}
    for placement in sensors:
        q_S_B, site, normal, desc = draw_strapping(placement, body, rng)
        params[placement] = SensorParameters(
            placement=placement,
            q_S_B=q_S_B,
            site_m=site,
            skin_normal=normal,
            gyr_bias_rad_s=rng.normal(size=3) * errors.gyr_bias_sigma_rad_s,
            acc_bias_m_s2=rng.normal(size=3) * errors.acc_bias_sigma_m_s2,
            mag_bias_ut=rng.normal(size=3) * errors.mag_bias_sigma_ut,
            clock_drift_ppm=float(rng.normal()) * errors.clock_drift_sigma_ppm,
            start_offset_s=float(rng.random()) * errors.start_offset_max_s,
        )
        matrices[placement] = (_imperfection(rng, 0.01, 0.7), _imperfection(rng, 0.015, 0.7))
        how[placement] = desc
    return params, matrices, how


def _run(sim: SessionSimulator, chunk_s: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Samples and true angles of a whole session, synthesised chunk by chunk."""
    samples, truth = [], []
    for chunk in sim.chunks(chunk_s=chunk_s):
        samples.append(chunk.samples)
        truth.append(chunk.truth)
    return pd.concat(samples, ignore_index=True), pd.concat(truth, ignore_index=True)


def simulate_motion(
    trajectories: Mapping[str, Trajectory],
    *,
    duration_s: float,
    static_s: tuple[float, float],
    functional_s: tuple[float, float],
    sensors: Sequence[str],
    seed: int = 0,
    errors: ImuErrorModel | None = None,
    body: BodyModel | None = None,
    anchors: tuple | None = None,
    rate_hz: float = 100.0,
) -> tuple[Recording, pd.DataFrame, dict[str, FloatArray]]:
    """Record any motion (channel → trajectory in rad) with randomly strapped sensors.

    For experiments outside the population (e.g. gait in ``bench/walking.py``): the
    sensors are strapped and their errors drawn as in :func:`generate_session` (scale and
    misalignment only when ``errors`` has noise). ``anchors`` default: the pelvis origin is
    fixed in space (a treadmill-like gait). Returns the recording (sidecar with both
    calibration windows), the true angles and the true mounting per placement.
    """
    body = body or BodyModel()
    errors = ImuErrorModel() if errors is None else errors
    if anchors is None:
        anchors = (
            *PoseTimeline().anchor_switches(body)[:1],
            AnchorSwitch(
                start_s=-2.0, end_s=-1.0, segment="pelvis", point_m=(0.0, 0.0, 0.0), agree_s=-1.0
            ),
        )
    plan = _Plan(
        info=_Info(exercise="standing_hamstring", side="right"),
        duration_s=duration_s,
        natural_duration_s=duration_s,
        trajectories=dict(trajectories),
        anchors=anchors,
        events=(),
        static_s=static_s,
        functional_s=functional_s,
        blocks=1,
    )
    rng = np.random.default_rng([seed, 3])
    params, matrices, _ = _sensor_parameters(body, sensors, rng, errors)
    if errors.gyr_noise_density_rad_s_sqrt_hz == 0:
        matrices = {p: (np.eye(3), np.eye(3)) for p in matrices}
    config = SimulationConfig(
        rate_hz=rate_hz, sensors=tuple(sensors), seed=seed, errors=errors, body=body
    )
    sim = _PopulationSimulator(
        plan, config=config, parameters=params, matrices=matrices, vendor_export=False
    )
    samples, truth = _run(sim, 120.0)
    return (
        Recording(streams=streams_from_samples(samples), meta=sim.meta),
        truth,
        {p: v.q_S_B for p, v in params.items()},
    )


def generate_session(
    person: Person,
    seed: int,
    duration_s: float | None = None,
    sensor_set_name: str | Sequence[str] = "default",
    *,
    rate_hz: float = 100.0,
    chunk_s: float = 120.0,
    error_preset: str | None = None,
) -> PopulationSession:
    """One session of ``person`` (seeded by ``person.seed`` and ``seed``).

    ``duration_s`` None gives one exercise block (about 1–1.5 min); a longer one repeats
    blocks with rests (sitting breaks in sessions over 15 min) and pads with rest. The
    samples are synthesised in chunks of ``chunk_s`` (no per-sample sensor truth is kept), so
    a 1-h session needs memory only for its samples and truth angles. ``error_preset``
    (e.g. ``"commodity"``, :func:`analysis.simulation.imu.with_preset`) adds that preset's
    sensor errors on top of the person's; None (default) leaves every value as it was.
    """
    if not (isinstance(seed, int) and seed >= 0):
        raise ConfigError(f"seed must be an integer ≥ 0, got {seed!r}")
    sensors = sensor_set(sensor_set_name, person.side)
    plan, tl = _plan(person, seed, duration_s, "trunk" in sensors)
    rng = np.random.default_rng([person.seed, seed, 2])
    errors = _error_model(rng, person.wobble_scale)
    if error_preset is not None:
        errors = with_preset(errors, error_preset)
    params, matrices, how = _sensor_parameters(person.body, sensors, rng, errors)
    vendor = bool(rng.random() < 0.25)
    config = SimulationConfig(
        rate_hz=rate_hz,
        sensors=sensors,
        seed=person.seed * 100_003 + seed,
        errors=errors,
        body=person.body,
        facing_deg=_u(rng, 0.0, 360.0),
    )
    sim = _PopulationSimulator(
        plan, config=config, parameters=params, matrices=matrices, vendor_export=vendor
    )
    samples, truth = _run(sim, chunk_s)
    return PopulationSession(
        person=person,
        seed=seed,
        sensors=sensors,
        profile_name=EXERCISE_PROFILES[person.exercise],
        samples=samples,
        meta=sim.meta,
        truth=truth,
        mounting={p: v.q_S_B for p, v in params.items()},
        strapping=how,
        intervals=tuple(tl.intervals),
        static_s=plan.static_s,
        functional_s=plan.functional_s,
        vendor_export=vendor,
        blocks=plan.blocks,
        duration_s=sim.duration_s,
    )


def truth_violations(
    session: PopulationSession, profile: Profile
) -> list[tuple[str, float, float, float]]:
    """True episodes of the scripted violations: ``(rule, start_s, end_s, peak_deg)``.

    Each is where the *true* angle lies beyond the profile's edge, searched from 1 s before to
    1 s after the scripted deviation (first entry to last exit). Rules the profile does not
    judge are left out.
    """
    t = session.truth["t_s"].to_numpy()
    out = []
    for v in session.violations:
        spec = profile.rule(v.name)
        if spec is None:
            continue
        x = session.truth[angle_column_for(v.name, session.side)].to_numpy()
        win = (t >= v.start_s - 1.0) & (t < v.end_s + 1.0)
        bad = win & ((x > spec.limit_deg) if spec.upper else (x < spec.limit_deg))
        if not bad.any():
            continue
        idx = np.flatnonzero(bad)
        peak = float(x[idx].max() if spec.upper else x[idx].min())
        out.append((v.name, float(t[idx[0]]), float(t[idx[-1]]), peak))
    return out
