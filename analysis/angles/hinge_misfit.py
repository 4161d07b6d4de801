"""How far the thigh's and shank's tilts disagree about the knee's hinge: a witness of their errors.

A knee bends about its flexion axis z, which the thigh's and the shank's segment frames share
(ISB: z to the right in both). Whatever the posture, turning about that shared axis leaves
gravity's component along it unchanged, so gravity's angle above the hinge plane,
``asin(u·z)`` with ``u`` the vertical ("up") seen in a segment's frame, is the same in the
thigh's and in the shank's frame. The difference of the two, the knee's *hinge misfit*, is
zero at the quiet stand by construction (the calibration takes both frames there) and stays
zero for a rigid hinge read by exact sensors. Two things move it in a session:

* the tibia turning about its long axis as the knee bends (the screw-home coupling, up to
  about :data:`COUPLING_PER_DEG` of the knee's flexion, as
  ``analysis.angles.calibration_hinge.SMALL_BEND_DEG``'s note takes it): a turn ``ψ`` about
  the shank's long axis moves the shank's ``u·z`` by about ``ψ · u_x`` (its forward share);
* errors of the two sensors' tilt: an accelerometer's offset, gain or cross-axis error, or a
  bias correction that was not one, tilts a segment's vertical by an amount that grows with
  the segment's turn from its stand (twice an offset's with the segment upside down, as the
  thigh of a leg raised lying).

The misfit sees only the component of the two tilt errors that moves gravity across the
hinge plane; their component about z, which is what the knee's flexion and the hip's (the
thigh) or the ankle's (the shank) read, the hinge cannot see. Taken as one draw of the same
error scale (the sensors' errors have no preferred axis), the part of the misfit the coupling
cannot explain gives a standard deviation of the flexion error at each moment
(``√(π/2)`` times its size: the mean absolute value of a normal draw is ``σ·√(2/π)``). Where
its RMS over the session passes an angle's target, that angle is measured to about that ±
(:func:`hinge_misfit_doubts`).

Frames and units: ``up`` vectors are unit vectors in the segment's own frame (x anterior,
y superior, z right), the knee's flexion in degrees as the angle table reads it, angles out in
degrees.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.recording.doubts import UncertainAngle, bounded
from analysis.recording.schema import angle_column
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

COUPLING_PER_DEG: Final = 0.1
"""The largest turn of the tibia about its long axis per degree of knee flexion the misfit
allows for (the project's own bound, ``analysis.angles.calibration_hinge``: ``c`` up to
about 0.1)."""

FLOOR_DEG: Final = 0.5
"""A misfit this small (degrees) is not read as a tilt error (filter noise, a knee's small
off-hinge play)."""

SD_PER_MISFIT: Final = math.sqrt(math.pi / 2.0)
"""A normal error's standard deviation over its expected absolute value: one draw of the
misfit, taken as the error scale of the component the hinge cannot see."""

BLOCK_S: Final = 1.0
"""The misfit is read as its median over blocks of this length (a filter's transients in a
movement do not count)."""

REDO: Final = (
    "next time, hold the leg still for a few seconds in more positions (standing, half raised, "
    "raised, resting), or use sensors whose accelerometers are calibrated: still poses at new "
    "tilts let its sensors check themselves"
)
"""What to redo (the words of the pose fit's own doubts)."""


def up_in_segment(q_E_B: NDArray[np.floating]) -> FloatArray:
    """Per row, the earth's vertical (unit, up) in the segment's own frame (NaN rows stay NaN)."""
    q = np.asarray(q_E_B, dtype=np.float64)
    return np.asarray(rot.rotate(rot.conjugate(q), [0.0, 0.0, 1.0]), dtype=np.float64)


def hinge_misfit_deg(up_thigh: FloatArray, up_shank: FloatArray) -> FloatArray:
    """Per row, gravity's angle above the hinge plane in the thigh's frame minus the shank's (°).

    ``up_*``: (N, 3) unit verticals in each segment's frame (:func:`up_in_segment`); zero for
    two frames that differ by a turn about their shared z.
    """
    zt = np.clip(np.asarray(up_thigh, dtype=np.float64)[:, 2], -1.0, 1.0)
    zs = np.clip(np.asarray(up_shank, dtype=np.float64)[:, 2], -1.0, 1.0)
    return np.degrees(np.arcsin(zt) - np.arcsin(zs))


def block_median(x: FloatArray, rows: int) -> FloatArray:
    """``x`` replaced by its NaN-median over consecutive blocks of ``rows`` samples.

    A block without a finite sample stays NaN; ``rows`` < 2 returns a copy.
    """
    v = np.asarray(x, dtype=np.float64)
    if rows < 2 or v.size == 0:
        return v.copy()
    out = np.full(v.size, np.nan)
    for a in range(0, v.size, rows):
        part = v[a : a + rows]
        if np.isfinite(part).any():
            out[a : a + rows] = np.nanmedian(part)
    return out


def coupling_allowance_deg(knee_deg: FloatArray, up_shank: FloatArray) -> FloatArray:
    """Per row, the misfit a tibia turning with the knee and a small play can explain (°).

    ``COUPLING_PER_DEG · |knee| · |u_x|`` (the shank's vertical's forward share) plus
    :data:`FLOOR_DEG`; NaN where the knee or the vertical is NaN.
    """
    knee = np.abs(np.asarray(knee_deg, dtype=np.float64))
    forward = np.abs(np.asarray(up_shank, dtype=np.float64)[:, 0])
    return COUPLING_PER_DEG * knee * forward + FLOOR_DEG


def misfit_sd_deg(
    misfit_deg: FloatArray, stand: BoolArray, allowance_deg: FloatArray
) -> FloatArray:
    """Per row, the flexion error's standard deviation the misfit shows (°, ≥ 0; NaN unread).

    The misfit relative to its median over ``stand`` (the quiet stand's rows), less
    ``allowance_deg``, times :data:`SD_PER_MISFIT`; all NaN when the stand has no finite row.
    """
    m = np.asarray(misfit_deg, dtype=np.float64)
    at_stand = m[np.asarray(stand, dtype=bool)]
    if not np.isfinite(at_stand).any():
        return np.full(m.size, np.nan)
    off = np.abs(m - float(np.nanmedian(at_stand))) - np.asarray(allowance_deg, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return SD_PER_MISFIT * np.where(np.isnan(off), np.nan, np.maximum(off, 0.0))


def turn_from_stand_deg(up: FloatArray, stand: BoolArray) -> FloatArray:
    """Per row, how far (°) the segment's vertical lies from its mean over ``stand``.

    NaN rows stay NaN; all NaN when the stand has no finite row.
    """
    u = np.asarray(up, dtype=np.float64)
    ref = u[np.asarray(stand, dtype=bool)]
    ref = ref[np.isfinite(ref).all(axis=1)]
    if not ref.size:
        return np.full(len(u), np.nan)
    r = ref.mean(axis=0)
    r = r / np.linalg.norm(r)
    return np.degrees(np.arccos(np.clip(u @ r, -1.0, 1.0)))


def rms_deg(sd_deg: FloatArray) -> float:
    """The root of the mean square over the finite rows (0 with none)."""
    v = np.asarray(sd_deg, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(np.sqrt(np.mean(v**2))) if v.size else 0.0


def hinge_misfit_doubts(
    sd_deg: FloatArray,
    turn_thigh_deg: FloatArray,
    turn_shank_deg: FloatArray,
    side: str,
    columns: Collection[str],
) -> dict[str, UncertainAngle]:
    """The flexion angles of one leg the knee's hinge misfit puts past their targets.

    ``sd_deg``: :func:`misfit_sd_deg` per row; ``turn_*``: :func:`turn_from_stand_deg` of the
    thigh and the shank. The knee carries the whole of it; the hip's flexion the rows where the
    thigh lies at least as far from its stand as the shank (the misfit may then be the thigh's
    alone: an error grows with the turn), the ankle the rows where the shank lies further.
    Each angle of ``columns`` whose RMS of that per-row ± over the session passes its target
    is measured to about that ± (:func:`bounded`: a rule is still decided beyond it).
    """
    sd = np.asarray(sd_deg, dtype=np.float64)
    tt = np.asarray(turn_thigh_deg, dtype=np.float64)
    ts = np.asarray(turn_shank_deg, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        thigh_further = tt >= ts
    share = {
        ("knee", "flexion"): sd,
        ("hip", "flexion"): np.where(thigh_further, sd, np.where(np.isnan(sd), np.nan, 0.0)),
        ("ankle", "dorsiflexion"): np.where(thigh_further, np.where(np.isnan(sd), np.nan, 0.0), sd),
    }
    finite = sd[np.isfinite(sd)]
    worst = float(finite.max() / SD_PER_MISFIT) if finite.size else 0.0
    out: dict[str, UncertainAngle] = {}
    for (joint, motion), per_row in share.items():
        column = angle_column(side, joint, motion)
        target = RMSE_TARGET_DEG[f"{joint}_{motion}"]
        bound = rms_deg(per_row)
        if column not in columns or bound <= target:
            continue
        name = {"knee": "knee", "hip": "hip bend", "ankle": "ankle"}[joint]
        reason = (
            f"held in some positions, the {side} thigh and shin sensors disagree on how the "
            f"knee's hinge lies against gravity by up to {worst:.0f}° more than a shin turning "
            "as the knee bends explains: their tilts are read that far off there, and the bend, "
            f"which the hinge cannot check, may be off as much: the {side} leg's {name} is "
            f"measured to about ±{bound:.1f}° here, more than the {target:.0f}° this tool trusts"
        )
        out[column] = bounded(reason, REDO, bound)
    return out
