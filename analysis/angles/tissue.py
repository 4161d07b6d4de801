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
Frames and units: the knee's flexion angle as the angle table reads it (degrees, 0 at the
quiet stand, flexion positive).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.heading import past_target_doubt
from analysis.recording.doubts import TimedDoubt
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
