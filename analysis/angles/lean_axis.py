"""How far a pelvis flexion axis taken from standing leans may be off, and what it turns into.

A pelvis kept still in the calibration movements takes its flexion axis from the whole
session (``calibration_axes.with_session_axis``): standing, that is the leans into the
stretch. A hip hitched sideways in proportion to the lean turns the pelvis about one fixed
axis ``atan(obliquity / tilt)`` off its flexion axis, as planar as a clean lean, so nothing in
the pelvis's own data tells the two apart: the axis absorbs the hitch. The hips then read the
pelvis as tilting only, and the hitch is missing from their adduction and rotation (our
population's person 67020, the other-leg set: 5.5° of obliquity in a 15.7° lean, the axis
19.2° off, the resting hip's adduction 4.20° RMSE, trusted).

The hitch is not measured by the pelvis, only bounded by a prior (:data:`HITCH_MAX_DEG`); the
lean's tilt is measured. From them, the axis's precision (:func:`lean_axis_precision_deg`) and,
per row, how far the hips' adduction and rotation may be off (:func:`hidden_hitch_deg`). Where
the thighs' flexion axis carried through the hip centre (the calibration's witness, which a
hitch does not turn) agrees with the axis, it places the axis more narrowly than the prior
(:func:`witness_precision_deg`): the precision is the narrower of the two. Frames: the
pelvis's superior axis is vertical at the quiet stand (ISB y up); angles in degrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.axis_bias import GYRO_AXIS_MIN_EXCURSION_DEG, GYRO_AXIS_MIN_EXCURSION_S
from analysis.angles.calibration import BOW_WORDS, CENTRE_WITNESS_WORDS
from analysis.angles.calibration_axes import WITNESS_SPREAD_TAIL
from analysis.recording.doubts import UncertainAngle, bounded
from analysis.recording.schema import SIDES, angle_column
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]

HITCH_MAX_DEG: Final = 6.0
"""The largest pelvic obliquity (deg) assumed to move with a lean into a standing stretch (the
raised leg's side hitched up, the stance leg kept upright). A prior, not a measurement: it is
the range our population generator draws (−6…6°, docs/accuracy.md) and the size of the hitch
that made the axes of this class 13–20° off; the stranger's generator draws less (its leans'
obliquity 2° SD times the person's sloppiness). Nothing in the pelvis's data bounds it."""

LEAN_MIN_DEG: Final = 5.0
"""Rows tipped at least this far (deg) from the stand's vertical are the leans whose typical
tilt :func:`lean_tilt_deg` takes (below: standing, and the few degrees of sway)."""

HITCH_MIXED_MOTIONS: Final = ("adduction", "internal_rotation")
"""The hip motions the missing obliquity goes to: adduction by ``cos`` of the hip's flexion
and internal rotation by its ``sin`` (the stretched leg flexed ~70° on the support takes most
of it as rotation, the resting leg as adduction); each is bounded by the whole of it."""

LEAN_AXIS_REDO: Final = (
    f"next time, calibrate with {BOW_WORDS}: they show the pelvis's flexion axis without the "
    "sideways hitch of the stretch's lean"
)
"""What to redo when the pelvis's axis rests on the stretch's leans."""


def tilt_from_stand_deg(vertical_share: FloatArray) -> FloatArray:
    """Per row, how far (deg, ≥ 0) a segment's superior axis lies from the vertical.

    ``vertical_share``: the earth-vertical component of the segment's unit superior (y) axis
    per row (1 upright as at the quiet stand; NaN rows stay NaN).
    """
    share = np.clip(np.asarray(vertical_share, dtype=np.float64), -1.0, 1.0)
    return np.degrees(np.arccos(share))


def lay_far(tilt_deg: FloatArray, rate_hz: float) -> bool:
    """True when the segment lay ≥ 60° from the vertical for ≥ 1 s (lying down, not leans).

    The same limits as :func:`analysis.angles.axis_bias.tipped_far`, on the rows' tilt (deg).
    """
    far = np.asarray(tilt_deg, dtype=np.float64) >= GYRO_AXIS_MIN_EXCURSION_DEG
    return bool(int(np.count_nonzero(far)) >= max(1, round(GYRO_AXIS_MIN_EXCURSION_S * rate_hz)))


def lean_tilt_deg(tilt_deg: FloatArray) -> float | None:
    """The leans' typical tilt (deg): the median of the rows tipped ≥ :data:`LEAN_MIN_DEG`.

    None when no row is tipped that far (the pelvis never leaned).
    """
    tilt = np.asarray(tilt_deg, dtype=np.float64)
    leaning = tilt[np.isfinite(tilt) & (tilt >= LEAN_MIN_DEG)]
    return float(np.median(leaning)) if leaning.size else None


def lean_axis_precision_deg(lean_deg: float, hitch_deg: float = HITCH_MAX_DEG) -> float:
    """How far (deg, 0…90) a flexion axis taken from leans of ``lean_deg`` may be off.

    ``lean_deg`` is how far the pelvis turned from its stand in the leans, tilt and hitch
    together (the angle of its superior axis from the vertical). Turned that far about an
    axis ``θ`` off its flexion axis it hitched ``lean · sin θ``; a hitch of at most
    ``hitch_deg`` gives ``θ ≤ asin(hitch / lean)`` (90° when the lean is no larger).
    """
    lean = abs(float(lean_deg))
    if lean <= abs(hitch_deg):
        return 90.0
    return float(np.degrees(np.arcsin(abs(hitch_deg) / lean)))


def hidden_hitch_deg(tilt_deg: FloatArray, precision_deg: float) -> FloatArray:
    """Per row, the obliquity (deg, ≥ 0) an axis ``precision_deg`` off may hide from the hips.

    Turned ``tilt_deg`` from the stand about an axis ``θ`` off its flexion axis, the pelvis
    made ``tilt · sin θ`` of obliquity that the axis reads as tilt. NaN rows read 0.
    """
    tilt = np.nan_to_num(np.asarray(tilt_deg, dtype=np.float64), nan=0.0)
    return tilt * float(np.sin(np.radians(precision_deg)))


def witness_precision_deg(apart_deg: float | None, spread_deg: float | None) -> float | None:
    """How far (deg) an axis may be off by a witness ``apart_deg`` from it; None: not pinned.

    The witness (the thighs' flexion axis carried through the hip centre) lies within
    :data:`~analysis.angles.calibration_axes.WITNESS_SPREAD_TAIL` of its ``spread_deg`` from
    the true axis (its measured 95th percentile), so an axis ``apart_deg`` from it is off by at
    most ``apart + tail · spread``. A witness farther than that tail from the axis disagrees
    with it: one of the two is off and nothing says which, so it pins nothing (None); so
    without a witness or its spread.
    """
    if apart_deg is None or spread_deg is None or not np.isfinite(spread_deg):
        return None
    tail_deg = WITNESS_SPREAD_TAIL * abs(float(spread_deg))
    if abs(float(apart_deg)) > tail_deg:
        return None
    return abs(float(apart_deg)) + tail_deg


def lean_axis_precision_of(
    axis_source: str,
    tilt_deg: FloatArray,
    rate_hz: float,
    witness_deg: float | None = None,
) -> float | None:
    """The pelvis axis's own precision (deg) where it rests on standing leans, else None.

    The prior's (:func:`lean_axis_precision_deg` at the leans' typical tilt), or
    ``witness_deg`` (:func:`witness_precision_deg`) where that is narrower.
    """
    if axis_source != "session" or lay_far(tilt_deg, rate_hz):
        return None
    lean = lean_tilt_deg(tilt_deg)
    if lean is None:
        return None
    prior = lean_axis_precision_deg(lean)
    return prior if witness_deg is None else min(prior, float(witness_deg))


def hip_share(motion: str, hip_flexion_deg: FloatArray) -> FloatArray:
    """Per row, the share (0…1) of an obliquity about the pelvis's x that a hip ``motion`` takes.

    A turn ``δ`` about the pelvis's antero-posterior axis, seen by a thigh flexed ``φ``, is
    ``δ cos φ`` of adduction and ``δ sin φ`` of internal rotation (to first order). ``motion``:
    ``"adduction"`` or ``"internal_rotation"``; NaN rows take the whole (1).
    """
    phi = np.radians(np.asarray(hip_flexion_deg, dtype=np.float64))
    share = np.abs(np.cos(phi) if motion == "adduction" else np.sin(phi))
    return np.where(np.isfinite(share), share, 1.0)


def bound_words(lean_deg: float, precision_deg: float, witnessed: bool) -> str:
    """Why the axis may be off ``precision_deg``, in the user's words."""
    leans = (
        "the pelvis's flexion axis was taken from the leans into the stretch "
        f"({lean_deg:.0f}° typical)"
    )
    if witnessed:
        return (
            f"{leans}, and {CENTRE_WITNESS_WORDS} places it only to within "
            f"{precision_deg:.0f}° (a hip hitched sideways with the leans may tilt it that far)"
        )
    return (
        f"{leans}: a hip hitched sideways with them (up to {HITCH_MAX_DEG:.0f}°) may tilt it "
        f"by up to {precision_deg:.0f}°"
    )


def lean_axis_doubts(
    axis_source: str,
    tilt_deg: FloatArray,
    rate_hz: float,
    hip_flexion_deg: Mapping[str, FloatArray],
    witness: tuple[float | None, float | None] = (None, None),
) -> dict[str, UncertainAngle]:
    """The hip adductions and rotations a pelvis axis from standing leans cannot pin.

    ``axis_source``: where the trusted pelvis's flexion axis came from (only ``"session"`` is
    judged: the movements' axis, the bows, is made without the stretch's hitch; lying down,
    :func:`lay_far`, the quarter turn tilts it by at most ``atan(6 / 90) ≈ 4°``); ``tilt_deg``:
    the pelvis's tilt from the stand per row (:func:`tilt_from_stand_deg`);
    ``hip_flexion_deg``: per side the session reports hips of, that hip's flexion per row;
    ``witness``: how far (deg) the hip centre's witness lay from the axis and its spread
    (None, None: none; :func:`witness_precision_deg`). Per row the obliquity
    :func:`hidden_hitch_deg` at the precision (:func:`lean_axis_precision_of`) may hide is
    shared between the hip's adduction and rotation by its flexion (:func:`hip_share`); an
    angle is listed when the RMS of its share over the session exceeds its target, with the
    95th percentile of its share as its ± (the envelope decides a rule beyond it).
    """
    witnessed_deg = witness_precision_deg(*witness)
    precision = lean_axis_precision_of(axis_source, tilt_deg, rate_hz, witnessed_deg)
    lean = lean_tilt_deg(tilt_deg)
    if precision is None or lean is None:
        return {}
    why = bound_words(lean, precision, witnessed_deg is not None and precision == witnessed_deg)
    hidden = hidden_hitch_deg(tilt_deg, precision)
    out: dict[str, UncertainAngle] = {}
    for side in SIDES:
        if side not in hip_flexion_deg or not hidden.size:
            continue
        for motion in HITCH_MIXED_MOTIONS:
            err = hidden * hip_share(motion, hip_flexion_deg[side])
            rms = float(np.sqrt(np.mean(err**2)))
            if rms <= RMSE_TARGET_DEG[f"hip_{motion}"]:
                continue
            bound = float(np.percentile(err, 95.0))
            reason = (
                f"{why}, which would put the {side} hip's {motion.replace('_', ' ')} off by "
                f"{rms:.1f}° RMS, up to ±{bound:.1f}°"
            )
            out[angle_column(side, "hip", motion)] = bounded(reason, LEAN_AXIS_REDO, bound)
    return out
