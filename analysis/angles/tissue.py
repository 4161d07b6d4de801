"""How far the soft tissue under the thigh and shank sensors may put the knee off as it bends.

A strapped sensor sits on skin, fat and muscle, which slide and bulge over the bone as the
joint beneath them bends. One of the thigh's main soft-tissue modes is a rotation about the
segment's medial-lateral axis, the knee's flexion axis, and it follows the knee's flexion
closely (J Biomech 62:21–26, 2017: high-density marker sets in walking; skin-marker against
bone-pin knee rotations differ by up to 4.4° on average in walking, Benoit et al. 2006, Gait
Posture 24:152–164). A sensor turned on its segment by a share ``s`` of the knee's flexion,
about an axis fixed in the segment, reads a knee that is ``1 + s`` times the true one to first
order: a rigid hinge, which nothing in the session can tell from the true knee (the
calibration pins the stand, where the knee reads 0°, and no pose measures the bent knee
independently). Its error grows with the bend: 3.7 % of a seated 90° is 3.3°.

The share is not measured here; it is stated as a precision: each of the two sensors turns
by :data:`TISSUE_SHARE_SD` of the knee's flexion (one standard deviation; independent), so
the knee's tissue error has a standard deviation of ``√2 · s · |knee|`` at each moment.
Nothing in a session shows how much tissue it has (docs/accuracy.md, round 19), so a knee
held bent for much of the session (a seated one) cannot be promised to its target: its trace
is then given that precision (:func:`knee_tissue_precision`), while its rules are decided on
the per-time bound (:func:`knee_tissue_timed`), where near straight the tissue adds nothing.
Frames and units: the knee's flexion angle as the angle table reads it (degrees, 0 at the
quiet stand, flexion positive).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.heading import past_target_doubt
from analysis.recording.doubts import TimedDoubt, UncertainAngle, trace_bounded
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]

TISSUE_SHARE_SD: Final = 0.01
"""One standard deviation of a thigh or shank sensor's turn on its segment per unit of knee
flexion (a fraction: 0.01 = 1 % of the bend). Published rigid artefacts of thigh marker
clusters are larger (about 10° in the gait of knee-replacement patients, fluoroscopy, a knee
that bends about 60°); a sensor strapped mid-segment moves less, and 1 % per sensor makes 3σ
of the knee 4.2 % of its bend. An assumption stated as one (docs/accuracy.md, round 18)."""

SENSORS: Final = 2
"""Sensors whose tissue turns with the knee: the thigh's and the shank's (independent)."""

COVERAGE_SIGMA: Final = 3.0
"""Standard deviations a bound covers (as the tilt precision's)."""

TARGET_DEG: Final = RMSE_TARGET_DEG["knee_flexion"]
"""The knee's RMSE target (degrees)."""

TISSUE_REDO: Final = (
    "strap the thigh and shin sensors firmly on the flat of the bone, away from the knee (the "
    "front-outer middle of the thigh, the flat front-inner face of the shin), where the soft "
    "tissue moves least as the knee bends"
)
"""What to redo: a mid-anterolateral thigh site moves least in deep knee bends (Bland–Altman
study of six thigh clusters in squats and kneeling, 2021)."""


def tissue_sd_deg(knee_deg: FloatArray, share_sd: float = TISSUE_SHARE_SD) -> FloatArray:
    """Per sample, the standard deviation (degrees) of the knee's soft-tissue error.

    ``knee_deg``: the knee's flexion as read (degrees; NaN: no reading, NaN out);
    ``√SENSORS · share_sd · |knee_deg|``.
    """
    knee = np.asarray(knee_deg, dtype=np.float64)
    return math.sqrt(SENSORS) * share_sd * np.abs(knee)


def tissue_rmse_deg(knee_deg: FloatArray, share_sd: float = TISSUE_SHARE_SD) -> float:
    """The expected RMSE (degrees) the soft tissue adds to the knee over the session.

    The root of the mean of :func:`tissue_sd_deg`'s square over the samples read (0 with none).
    """
    sd = tissue_sd_deg(knee_deg, share_sd)
    sd = sd[np.isfinite(sd)]
    return float(np.sqrt(np.mean(sd**2))) if sd.size else 0.0


def with_tissue_deg(predicted_deg: float | None, tissue_deg: float) -> float:
    """A predicted RMSE (degrees; None: none) with the tissue's added (independent errors)."""
    pose = 0.0 if predicted_deg is None else float(predicted_deg)
    return float(math.hypot(pose, tissue_deg))


def tissue_timed_bound_deg(knee_deg: FloatArray, share_sd: float = TISSUE_SHARE_SD) -> FloatArray:
    """Per sample, how far the knee may be off (degrees), 0 where trusted as read.

    :data:`COVERAGE_SIGMA` times :func:`tissue_sd_deg` where that passes :data:`TARGET_DEG`,
    else 0; a NaN reading gives 0.
    """
    bound = COVERAGE_SIGMA * tissue_sd_deg(knee_deg, share_sd)
    bound = np.where(np.isfinite(bound), bound, 0.0)
    return np.where(bound > TARGET_DEG, bound, 0.0)


def knee_tissue_timed(t_s: FloatArray, knee_deg: FloatArray, side: str) -> TimedDoubt | None:
    """When the soft tissue may put the knee past its target, and by how far.

    ``t_s`` (s) and ``knee_deg`` (degrees) the angle table's; ``side`` names the leg in the
    words. The per-sample bound of :func:`tissue_timed_bound_deg` where it passes
    :data:`TARGET_DEG` at some time (a rule on the knee is decided there only beyond it), else
    None. The knee itself is not marked uncertain over the session for it: a knee read mostly
    bent would be, and that is every seated session (docs/accuracy.md, round 18).
    """
    bound = tissue_timed_bound_deg(np.asarray(knee_deg, dtype=np.float64))
    return past_target_doubt(
        np.asarray(t_s, dtype=np.float64),
        bound,
        TARGET_DEG,
        what=(
            f"the soft tissue under the {side} thigh and shin sensors moves as the knee bends "
            "(a few percent of the bend, which the sensors cannot measure): bent far, the "
            f"{side} knee"
        ),
        redo=TISSUE_REDO,
    )


def knee_bent_deg(knee_deg: FloatArray) -> float:
    """How far the knee was bent for much of the session (degrees).

    The 90th percentile of ``|knee_deg|``, NaN readings left out; 0 with none.
    """
    knee = np.abs(np.asarray(knee_deg, dtype=np.float64))
    knee = knee[np.isfinite(knee)]
    return float(np.percentile(knee, 90)) if knee.size else 0.0


def knee_tissue_precision(
    knee_deg: FloatArray,
    predicted_deg: float | None,
    side: str,
    share_sd: float = TISSUE_SHARE_SD,
) -> UncertainAngle | None:
    """The knee's trace precision over the session when the soft tissue alone passes its target.

    ``knee_deg`` the angle table's knee flexion (degrees); ``predicted_deg`` the poses'
    predicted RMSE of this knee (degrees; None: none). An entry when :data:`COVERAGE_SIGMA`
    times the tissue's own RMSE over the session (:func:`tissue_rmse_deg`) passes
    :data:`TARGET_DEG` (the knee read past about 47° RMS), else None: the poses' precision
    alone doubts no exercised leg here. Its ± is that many σ of the RMSE with the poses'
    added. The entry is trace-only (:func:`~analysis.recording.doubts.trace_bounded`): the
    knee's rules stay decided on :func:`knee_tissue_timed`'s per-time bound.
    """
    knee = np.asarray(knee_deg, dtype=np.float64)
    return tissue_precision_entry(
        tissue_rmse_deg(knee, share_sd), predicted_deg, knee_bent_deg(knee), side
    )


def tissue_precision_entry(
    tissue_deg: float, predicted_deg: float | None, bent_deg: float, side: str
) -> UncertainAngle | None:
    """:func:`knee_tissue_precision`'s entry from its parts (None: the target is kept).

    ``tissue_deg`` the tissue's own RMSE over the rows read (:func:`tissue_rmse_deg`),
    ``predicted_deg`` the poses' predicted RMSE (None: none), ``bent_deg`` how far the knee
    was bent for much of them (:func:`knee_bent_deg`), all degrees; ``side`` names the leg.
    """
    if not COVERAGE_SIGMA * tissue_deg > TARGET_DEG:
        return None
    plus_minus = COVERAGE_SIGMA * with_tissue_deg(predicted_deg, tissue_deg)
    reason = (
        f"the {side} knee was bent about {bent_deg:.0f}° for much of the session, "
        f"and the soft tissue under the {side} thigh and shin sensors moves as the knee bends "
        "(a few percent of the bend, which the sensors cannot measure): its reading is "
        f"approximate at deep bends, measured to about ±{plus_minus:.1f}° over the session, "
        f"more than the {TARGET_DEG:.0f}° this tool trusts. Its rule verdicts stand: a rule on "
        "it is decided only where the reading clears what the tissue could do at that bend "
        "(near straight the tissue adds nothing)"
    )
    return trace_bounded(reason, TISSUE_REDO, plus_minus)
