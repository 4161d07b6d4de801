"""Joint angles no body can reach: the session's own check on its calibration.

A calibration that does not fit the session (a "quiet stand" that was really the stretch
pose, a flexion axis with the wrong sign) shows itself as a joint that reads beyond its
anatomical range for seconds at a time. :func:`implausible_joints` finds such joints; the
segments on both sides of each are then doubted (``CalibrationResult.uncertain_angles``),
and so are the segments whose sign was decided against them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.recording.schema import SIDES, angle_column

MIN_IMPLAUSIBLE_S: Final = 2.0
"""A joint must read beyond its range for this long in total to be called implausible."""


@dataclass(frozen=True)
class JointRange:
    """An angle column, its anatomical range (deg, generous) and the segments it joins."""

    column: str
    lo_deg: float
    hi_deg: float
    segments: tuple[str, str]


def joint_ranges() -> tuple[JointRange, ...]:
    """Ranges of motion wide enough for any person (beyond them: a calibration problem)."""
    rows = []
    for side in SIDES:
        thigh, shank, foot = (f"{side}_{s}" for s in ("thigh", "shank", "foot"))
        rows += [
            JointRange(angle_column(side, "hip", "flexion"), -35.0, 140.0, ("pelvis", thigh)),
            JointRange(angle_column(side, "hip", "adduction"), -55.0, 45.0, ("pelvis", thigh)),
            JointRange(
                angle_column(side, "hip", "internal_rotation"), -65.0, 65.0, ("pelvis", thigh)
            ),
            JointRange(angle_column(side, "knee", "flexion"), -20.0, 165.0, (thigh, shank)),
            JointRange(angle_column(side, "ankle", "dorsiflexion"), -60.0, 45.0, (shank, foot)),
        ]
    rows += [
        JointRange("lumbar_flexion_deg", -45.0, 100.0, ("pelvis", "trunk")),
        JointRange("neck_flexion_deg", -75.0, 85.0, ("trunk", "head")),
    ]
    return tuple(rows)


FLAT_FOOT_DEG: Final = 5.0
"""A foot whose superior axis lies within this of the vertical rests as it did in the quiet
stand (flat on the floor, heading aside): see :func:`implausible_joints`."""


def implausible_joints(
    angles: pd.DataFrame,
    *,
    rate_hz: float,
    foot_flat: Mapping[str, NDArray[np.bool_]] | None = None,
    turned_since_s: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """``{column: reason}`` for each joint beyond its range for ≥ ``MIN_IMPLAUSIBLE_S``.

    ``foot_flat``: per foot placement (e.g. ``"right_foot"``), per sample of ``angles``,
    True where the foot's superior axis is within :data:`FLAT_FOOT_DEG` of the vertical
    (:func:`flat_foot_mask`). There the foot sits as it sat in the quiet stand, so whatever
    its calibration, it turns the ankle's reading by at most that much: the ankle reads the
    shank's forward tilt, which a knee bend with the heel down takes past 45° (a deep squat,
    a lunge: held-out person 11005's calibration bends reached 53°, measured to 0.2°). Such
    samples say nothing about the calibration and are not counted against the ankle.

    ``turned_since_s``: per placement found turned on its strap (e.g. ``"right_thigh"``), the
    time (s, ``angles``' ``t_s``) after which it turned (``strap_slip.Slip.since_s``). A joint
    of that segment read from then on is read through a frame that turned (an 85° thigh turn
    reads 57° of hip adduction); the turn, not the calibration, explains it, and those samples
    are not counted.
    """
    out = {}
    flat = foot_flat or {}
    turned = turned_since_s or {}
    t_s = angles["t_s"].to_numpy() if turned and "t_s" in angles.columns else None
    for r in joint_ranges():
        if r.column not in angles.columns:
            continue
        x = angles[r.column].to_numpy()
        with np.errstate(invalid="ignore"):
            low, high = x < r.lo_deg, x > r.hi_deg
        rests = flat.get(r.segments[1]) if "ankle" in r.column else None
        if rests is not None and rests.shape == x.shape:
            low, high = low & ~rests, high & ~rests
        since = [turned[seg] for seg in r.segments if seg in turned]
        if since and t_s is not None:
            before = t_s < min(since)
            low, high = low & before, high & before
        seconds = float(np.sum(low | high)) / rate_hz
        if seconds >= MIN_IMPLAUSIBLE_S:
            worst = float(np.nanmin(x)) if low.sum() >= high.sum() else float(np.nanmax(x))
            name = r.column.removesuffix("_deg").replace("_", " ")
            out[r.column] = (
                f"{name} reads {worst:+.0f}° for {seconds:.0f} s, beyond what a body can do: "
                "the calibration does not fit this session"
            )
    return out


def _up_component(q_E_B: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per sample, the earth-z component of the segment's superior (y) axis (NaN rows: NaN)."""
    q = np.asarray(q_E_B, dtype=np.float64)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return 2.0 * (y * z + w * x)


def flat_foot_mask(q_E_B: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Per sample, True where a segment's superior axis is within :data:`FLAT_FOOT_DEG` of vertical.

    ``q_E_B``: ``(n, 4)`` segment orientations (scalar first, earth z up); NaN rows give
    False. The quiet stand set the foot's superior axis vertical, so a foot back flat on
    level ground reads so again.
    """
    up_component = _up_component(q_E_B)
    with np.errstate(invalid="ignore"):
        return np.isfinite(up_component) & (up_component >= np.cos(np.deg2rad(FLAT_FOOT_DEG)))


FLAT_FOOT_DOUBT_DEG: Final = 1.0
"""A foot's doubted flexion axis (its sign, its direction) may move its ankle's flexion by at
most :func:`flat_foot_doubt_deg` RMS; up to this much it leaves the ankle trusted (the 2°
target with room for the ankle's other errors, ≈ 0.2–0.5° RMS)."""


def flat_foot_doubt_deg(q_E_B: NDArray[np.float64]) -> float:
    """The most a foot's flexion axis can move its ankle's flexion: twice its tilt's RMS (deg).

    The ankle's flexion reads the foot's superior axis (y) in the shank's frame only (the
    first Z-X'-Y'' angle), and y is the stand's gravity, whatever the foot's flexion axis. The
    axis enters through the foot's heading (the stand's and the ankle hinge's, which align it
    with the shank's axis): a heading off by θ turns the foot's tilt δ from the vertical, so
    its sagittal part reads δ·cos θ instead of δ, off by at most 2δ. Tilts are this frame's,
    relative to the stand's vertical; NaN rows are left out (NaN without any row).
    """
    up = _up_component(q_E_B)
    up = up[np.isfinite(up)]
    if up.size == 0:
        return float("nan")
    tilt = np.arccos(np.clip(up, -1.0, 1.0))
    return float(2.0 * np.degrees(np.sqrt(np.mean(tilt * tilt))))


def doubted_segments(
    implausible: Mapping[str, str],
    worn: tuple[str, ...] | list[str] = (),
    *,
    windows_detected: bool = False,
    resting_side: str | None = None,
    undecided: Collection[str] = (),
) -> dict[str, str]:
    """The segments on both sides of each implausible joint, with the joint's reason.

    The calibration as a whole does not fit the session — typically a "quiet stand" that
    was not one — when two or more joints (distinct segment pairs) are implausible, or one
    is and the calibration windows were found in the data rather than recorded
    (``windows_detected``): then every ``worn`` segment is doubted. The joints of the leg
    that was not exercised (``resting_side``) do not count towards that: windows that do
    not fit the session turn every segment's frame, and the exercised leg, pelvis and trunk,
    which move through the stretch, would read beyond their ranges too; a resting leg's joint
    alone points at its own segments, calibrated from the still poses it rested in. Of those,
    a segment whose forward direction its calibration did not establish (``undecided``: its
    sign a low-confidence guess, or its flexion axis not found) is doubted alone: it can turn
    the joint's reading anywhere, so the joint says nothing of its neighbour (the stranger's
    round-2 seed 943, full set: the resting left thigh's sign guessed wrong read the hip at
    −94° seated and so doubted the pelvis, and with it the exercised hip, pelvis tilt, lumbar
    and neck, which the same session's default set trusts, every one within 0.5°).
    """
    out: dict[str, str] = {}
    joints = set()
    resting = f"{resting_side}_" if resting_side else None
    for r in joint_ranges():
        if r.column in implausible:
            segments = r.segments
            if resting is None or not r.column.startswith(resting):
                joints.add(r.segments)
            elif any(seg in undecided for seg in segments):
                segments = tuple(seg for seg in segments if seg in undecided)
            for seg in segments:
                out.setdefault(seg, implausible[r.column])
    if len(joints) >= 2 or (joints and windows_detected):
        first = next(iter(out.values()))
        for seg in worn:
            out.setdefault(seg, f"the calibration windows do not fit the session ({first})")
    return out


__all__ = [
    "FLAT_FOOT_DEG",
    "FLAT_FOOT_DOUBT_DEG",
    "JointRange",
    "doubted_segments",
    "flat_foot_doubt_deg",
    "flat_foot_mask",
    "implausible_joints",
    "joint_ranges",
]
