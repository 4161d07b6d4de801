"""ISB joint angles from segment orientations that share one earth frame.

Input: per placement, ``q_E_B`` ``(K, 4)`` — the segment's ISB frame (x anterior, y superior,
z right) in a common earth frame. Output: the angle columns of ``analysis.recording.schema`` in
degrees; an angle whose segments are not both worn is absent, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.chunks import map_rows, map_threads
from analysis.recording.schema import (
    HEAD_FLEXION_REL_PELVIS,
    angle_column,
    thigh_inclination_column,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# (joint, proximal, distal) per side; motions exported per joint
_LEG_JOINTS = (
    ("hip", "pelvis", "thigh", ("flexion", "adduction", "internal_rotation")),
    ("knee", "thigh", "shank", ("flexion",)),
    ("ankle", "shank", "foot", ("dorsiflexion",)),
)


@dataclass(frozen=True)
class JointAngles:
    """Angle columns (deg, ``(K,)`` each) and, per absent column, why it is absent."""

    columns: dict[str, FloatArray]
    absent: dict[str, str]


def _placement(segment: str, side: str) -> str:
    return segment if segment == "pelvis" else f"{side}_{segment}"


def joint_angles_deg(
    q_E_B: Mapping[str, FloatArray],
    *,
    q_G_E: FloatArray,
    sides: tuple[str, ...] = ("right", "left"),
    threads: int = 1,
) -> JointAngles:
    """Every angle the worn segments allow (float32 columns, computed in row chunks).

    Parameters
    ----------
    q_E_B
        Segment orientations in one earth frame, keyed by placement.
    q_G_E
        Rotation from the earth frame (z up) into a level frame with y up, for the
        heading-free attitudes (pelvis tilt, thigh inclination).
    sides
        Legs to report (a leg with no sensor at all is left out silently).
    threads
        A leg's joints are computed this many at a time (the same numbers on any number).
    """
    cols: dict[str, FloatArray] = {}
    absent: dict[str, str] = {}
    for side in sides:
        if any(f"{side}_{s}" in q_E_B for s in ("thigh", "shank", "foot")):
            _leg_angles(q_E_B, q_G_E, side, cols, absent, threads=threads)
    _trunk_angles(q_E_B, q_G_E, cols, absent)
    return JointAngles(columns=cols, absent=absent)


def _missing_text(placements: tuple[str, ...], q_E_B: Mapping[str, FloatArray]) -> str:
    """Why an angle is absent: the placements among ``placements`` that are not worn."""
    missing = [x for x in placements if x not in q_E_B]
    return f"needs a {' and a '.join(missing)} sensor"


def _leg_angles(
    q_E_B: Mapping[str, FloatArray],
    q_G_E: FloatArray,
    side: str,
    cols: dict[str, FloatArray],
    absent: dict[str, str],
    *,
    threads: int = 1,
) -> None:
    """Add one leg's hip, knee and ankle columns (deg), or why each is absent.

    With a thigh but no pelvis sensor the thigh's inclination to gravity stands in for the hip.
    The joints whose segments are both worn are computed ``threads`` at a time.
    """
    worn = [j for j in _LEG_JOINTS if all(_placement(s, side) in q_E_B for s in j[1:3])]

    def one(spec: tuple[str, str, str, tuple[str, ...]]) -> FloatArray:
        joint, prox, dist, motions = spec

        def rows(qp: FloatArray, qd: FloatArray) -> FloatArray:
            ang = rot.joint_angles_rad(qp, qd, joint=joint, side=side)
            return np.rad2deg(np.stack([ang[m] for m in motions], axis=1))

        p, d = _placement(prox, side), _placement(dist, side)
        return map_rows(rows, q_E_B[p], q_E_B[d], width=len(motions))

    done = dict(zip((j[0] for j in worn), map_threads(one, worn, threads=threads), strict=True))
    for joint, prox, dist, motions in _LEG_JOINTS:
        p, d = _placement(prox, side), _placement(dist, side)
        names = [angle_column(side, joint, m) for m in motions]
        if joint in done:
            for k, name in enumerate(names):
                cols[name] = done[joint][:, k]
        else:
            for name in names:
                absent[name] = _missing_text((p, d), q_E_B)
    thigh = f"{side}_thigh"
    if thigh not in q_E_B:  # the engagement's stand-in angle names its sensor too
        absent[thigh_inclination_column(side)] = f"needs a {thigh} sensor"
    if thigh in q_E_B and "pelvis" not in q_E_B:
        cols[thigh_inclination_column(side)] = map_rows(
            lambda q: _level_thigh_inclination_deg(q, q_G_E), q_E_B[thigh], width=None
        )
        for m in ("flexion", "adduction", "internal_rotation"):
            absent[angle_column(side, "hip", m)] = (
                "needs a pelvis sensor; thigh inclination to gravity is reported instead"
            )


def pelvis_gap_inclinations_deg(
    q_E_B: Mapping[str, FloatArray],
    *,
    q_G_E: FloatArray,
    sides: tuple[str, ...] = ("right", "left"),
) -> dict[str, FloatArray]:
    """Each thigh's inclination to gravity (deg) inside the pelvis's dropouts, else NaN.

    With a pelvis worn, the hips have no angle where the pelvis sensor sent nothing for a
    while (a dropout: rows without an orientation between two with one); the thigh's own
    inclination (:func:`thigh_inclination_deg`, as reported when no pelvis is worn) stands in
    for the hip there, for the engagement only. The rows before the pelvis's first orientation
    and after its last (the sensors starting and stopping apart; a pelvis that never came
    back) have no far side and get none, as an engagement requirement's gap gets none. A leg
    gets a column only when its thigh has an orientation in such a dropout; ``{}`` without a
    pelvis (the thigh inclination is then a column of its own) or without such rows.
    """
    if "pelvis" not in q_E_B:
        return {}
    has_pelvis = np.isfinite(np.asarray(q_E_B["pelvis"])).all(axis=1)
    rows_with = np.flatnonzero(has_pelvis)
    if rows_with.size == 0:
        return {}
    no_pelvis = ~has_pelvis
    no_pelvis[: rows_with[0]] = False
    no_pelvis[rows_with[-1] + 1 :] = False
    every = thigh_inclinations_on_deg(q_E_B, no_pelvis, q_G_E=q_G_E, sides=sides)
    return {c: v for c, v in every.items() if np.isfinite(v).any()}


def thigh_inclinations_on_deg(
    q_E_B: Mapping[str, FloatArray],
    rows: BoolArray,
    *,
    q_G_E: FloatArray,
    sides: tuple[str, ...] = ("right", "left"),
) -> dict[str, FloatArray]:
    """Each worn thigh's inclination to gravity (deg) on ``rows`` (bool mask), NaN elsewhere.

    One column per worn thigh (:func:`thigh_inclination_column`), NaN also where the thigh
    has no orientation; :func:`thigh_inclination_deg` of its sagittal tilt in the level frame.
    """
    out: dict[str, FloatArray] = {}
    for side in sides:
        q_thigh = q_E_B.get(f"{side}_thigh")
        if q_thigh is None:
            continue
        here = rows & np.isfinite(np.asarray(q_thigh)).all(axis=1)
        col = np.full(here.size, np.nan, dtype=np.float64)
        if here.any():
            q = np.asarray(q_thigh[here], dtype=np.float64)
            col[here] = _level_thigh_inclination_deg(q, q_G_E)
        out[thigh_inclination_column(side)] = col
    return out


def _level_thigh_inclination_deg(q_E_thigh: FloatArray, q_G_E: FloatArray) -> FloatArray:
    """A thigh's inclination (deg, :func:`thigh_inclination_deg`) from its orientations.

    ``q_E_thigh``: rows of w, x, y, z in the sensor-fusion frame, turned into the level frame
    by ``q_G_E``.
    """
    return thigh_inclination_deg(rot.segment_tilt_rad(rot.multiply(q_G_E, q_E_thigh)))


def thigh_inclination_deg(tilt_rad: FloatArray) -> FloatArray:
    """A thigh's sagittal tilt (rad, :func:`rotations.segment_tilt_rad`) in degrees, −135…225°.

    0° standing, 90° level in front (sitting, or lying with the leg flat), −90° level behind
    (standing with the back leg raised), 180° pointing up (lying with the leg raised
    vertical). The tilt itself wraps at ±180°, right where a leg raised past vertical while
    lying passes; the cut is moved to where no thigh goes (45° past level behind the body,
    or 45° past vertical lying on the back).
    """
    return (np.rad2deg(tilt_rad) + 135.0) % 360.0 - 135.0


def _trunk_angles(
    q_E_B: Mapping[str, FloatArray],
    q_G_E: FloatArray,
    cols: dict[str, FloatArray],
    absent: dict[str, str],
) -> None:
    """Add pelvis tilt, lumbar, neck and head-relative-to-pelvis columns (deg), or why absent."""
    if "pelvis" in q_E_B:
        cols["pelvis_anterior_tilt_deg"] = map_rows(
            lambda q: -np.rad2deg(rot.segment_tilt_rad(rot.multiply(q_G_E, q))),
            q_E_B["pelvis"],
            width=None,
        )
    else:
        absent["pelvis_anterior_tilt_deg"] = "needs a pelvis sensor"
    for name, prox, dist, joint in (
        ("lumbar_flexion_deg", "pelvis", "trunk", "lumbar"),
        ("neck_flexion_deg", "trunk", "head", "neck"),
    ):
        if prox in q_E_B and dist in q_E_B:
            cols[name] = map_rows(
                lambda qp, qd, joint=joint: np.rad2deg(
                    rot.joint_angles_rad(qp, qd, joint=joint, side=None)["flexion"]
                ),
                q_E_B[prox],
                q_E_B[dist],
                width=None,
            )
        else:
            absent[name] = _missing_text((prox, dist), q_E_B)
    _head_rel_pelvis(q_E_B, q_G_E, cols, absent)


def _head_rel_pelvis(
    q_E_B: Mapping[str, FloatArray],
    q_G_E: FloatArray,
    cols: dict[str, FloatArray],
    absent: dict[str, str],
) -> None:
    """Add ``head_flexion_rel_pelvis_deg`` (head forward tilt minus pelvis forward tilt).

    Heading-free: both tilts are taken about the segments' own right axes relative to the
    level frame, so no relative heading between head and pelvis is needed. Positive = the
    head bent forward relative to the pelvis (neck flexion plus any lumbar flexion).
    """
    if "head" not in q_E_B or "pelvis" not in q_E_B:
        missing = [x for x in ("pelvis", "head") if x not in q_E_B]
        absent[HEAD_FLEXION_REL_PELVIS] = f"needs a {' and a '.join(missing)} sensor"
        if "neck_flexion_deg" in absent and "trunk" not in q_E_B:
            absent["neck_flexion_deg"] = "needs a head sensor, with one on the upper back or pelvis"
        return

    def rows(qp: FloatArray, qh: FloatArray) -> FloatArray:
        tilt_p = rot.segment_tilt_rad(rot.multiply(q_G_E, qp))
        tilt_h = rot.segment_tilt_rad(rot.multiply(q_G_E, qh))
        d = tilt_p - tilt_h
        return np.rad2deg((d + np.pi) % (2.0 * np.pi) - np.pi)  # wrapped to [−180°, 180°)

    cols[HEAD_FLEXION_REL_PELVIS] = map_rows(rows, q_E_B["pelvis"], q_E_B["head"], width=None)
