"""How far a vendor fusion's heading may put the hip off, per time.

A sensor whose orientation is its vendor's fusion output (a Movella DOT export: its angular
rate is derived from the quaternion, so nothing in the file can check the heading) carries
that fusion's heading error, which the vendor states as an RMS. The hip's adduction and
rotation read the heading of the thigh against the pelvis: with both sensors vendor-fused
and independent, that difference errs by ``√2`` times the stated RMS. A turn ``ε`` about the
vertical seen by a thigh flexed ``φ`` from hanging (``cos φ``: the vertical component of its
superior axis) is hip adduction ``ε·|sin φ|`` and hip rotation ``ε·|cos φ|`` (checked with
``scipy.spatial.transform`` on the ISB hip sequence, docs/accuracy.md round 18). Where the
stand anchors measure the heading difference (their runs) it is known; elsewhere a rule on
the angle is decided only beyond ``COVERAGE`` times that share.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from numpy.typing import NDArray

from analysis.angles.heading import AnchorRuns, past_target_doubt
from analysis.recording.doubts import TimedDoubt, UncertainAngle, trace_bounded
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

VENDOR_HEADING_RMS_DEG = 2.0
"""A vendor fusion's heading error per sensor (degrees RMS): Xsens' stated dynamic
orientation accuracy, 2° RMS (static heading 1.0°; MTi/MTx user manual MT0100P, §4.2). The
DOT's own data sheet was not at hand (docs/accuracy.md round 18)."""

COVERAGE = 2.0
"""How many RMS a rule's episode must clear to be confirmed (about 95 % of a normal error)."""

HIP_HEADING_TARGET_DEG = RMSE_TARGET_DEG["hip_adduction"]  # = hip internal rotation's
"""Hip adduction's and rotation's accuracy target (degrees): a bound past it, at some time,
leaves a rule on the angle undecided there unless the angle clears it."""


HEADING_REDO = (
    "record with the sensors' raw gyroscope and accelerometer (not the maker's orientation "
    "only), then analyse again"
)
"""What to redo when a vendor fusion's heading leaves a hip angle in doubt."""


def relative_heading_rms_deg(
    fused: int, per_sensor_rms_deg: float = VENDOR_HEADING_RMS_DEG
) -> float:
    """RMS (degrees) of the heading difference of two segments, ``fused`` of them vendor-fused.

    Independent errors add in quadrature: ``√fused · per_sensor_rms_deg`` (0 for none).
    """
    return float(np.sqrt(max(int(fused), 0)) * per_sensor_rms_deg)


def heading_share_deg(heading_deg: float, thigh_up: FloatArray) -> dict[str, FloatArray]:
    """Per sample, hip adduction's and rotation's share of a heading error ``heading_deg``.

    ``thigh_up``: the vertical component of the thigh's superior axis (``cos φ``; NaN: no
    reading, share 0). ``{"adduction": h·|sin φ|, "internal_rotation": h·|cos φ|}``, degrees.
    """
    up = np.asarray(thigh_up, dtype=np.float64)
    seen = np.isfinite(up)
    up = np.clip(np.abs(np.where(seen, up, 0.0)), 0.0, 1.0)
    size = abs(float(heading_deg))
    return {
        "adduction": np.where(seen, size * np.sqrt(1.0 - up * up), 0.0),
        "internal_rotation": np.where(seen, size * up, 0.0),
    }


def anchored_mask(t_s: FloatArray, runs: AnchorRuns | None) -> BoolArray:
    """True at the grid times inside one of ``runs`` (where the heading difference is measured)."""
    t = np.asarray(t_s, dtype=np.float64)
    out = np.zeros(t.shape[0], dtype=bool)
    if runs is None:
        return out
    for a, b in zip(runs.start_s, runs.end_s, strict=True):
        out |= (t >= a) & (t <= b)
    return out


def hip_heading_timed(
    t_s: FloatArray,
    thigh_up: FloatArray,
    fused: Collection[str],
    side: str,
    anchored: BoolArray | None = None,
) -> dict[str, TimedDoubt]:
    """When a vendor fusion's heading may put ``side``'s hip adduction or rotation off.

    ``fused``: which of the hip's two segments (pelvis, ``side`` thigh) are vendor-fused;
    ``thigh_up`` as in :func:`heading_share_deg`; ``anchored``: samples where the stand
    anchors measure the heading difference (bound 0 there). The bound is :data:`COVERAGE`
    times :func:`relative_heading_rms_deg`'s share; where it passes
    :data:`HIP_HEADING_TARGET_DEG`, ``{motion: TimedDoubt}`` with the bound there (0
    elsewhere). Empty for no fused segment or a bound that never passes the target.
    """
    rms = relative_heading_rms_deg(len(fused))
    if COVERAGE * rms <= HIP_HEADING_TARGET_DEG:
        return {}
    free = np.ones(np.asarray(t_s).shape[0], dtype=bool) if anchored is None else ~anchored
    which = " and ".join(sorted(p.replace("_", " ") for p in fused))
    out = {}
    for motion, off in heading_share_deg(COVERAGE * rms, thigh_up).items():
        doubt = past_target_doubt(
            t_s,
            np.where(free, off, 0.0),
            HIP_HEADING_TARGET_DEG,
            what=(
                f"the {which} sensors' orientation is their maker's own, whose heading its "
                f"maker gives to about {VENDOR_HEADING_RMS_DEG:.0f}° and this file cannot "
                f"check: hip {motion.replace('_', ' ')}"
            ),
            redo=HEADING_REDO,
        )
        if doubt is not None:
            out[motion] = doubt
    return out


def hip_heading_doubts(
    thigh_up: FloatArray,
    fused: Collection[str],
    side: str,
    anchored: BoolArray | None = None,
) -> dict[str, UncertainAngle]:
    """Hip angles a vendor fusion's heading leaves measured to no better than their target.

    The session-long counterpart of :func:`hip_heading_timed`: per sample with a reading
    (``thigh_up`` finite), the heading difference's RMS share (:func:`heading_share_deg`),
    0 where ``anchored``; its RMS over those samples is the angle's expected error over the
    session. Where :data:`COVERAGE` times that passes :data:`HIP_HEADING_TARGET_DEG`, the
    angle is approximate: ``{motion: entry}``, each trace-only
    (:func:`~analysis.recording.doubts.trace_bounded`), its rules left to the per-time bound,
    as an unnamed part's gain (``tilt_precision.gain_prior_doubts``). Empty with no fused
    segment or no reading.
    """
    rms = relative_heading_rms_deg(len(fused))
    up = np.asarray(thigh_up, dtype=np.float64)
    seen = np.isfinite(up)
    if rms == 0.0 or not seen.any():
        return {}
    free = seen if anchored is None else seen & ~np.asarray(anchored, dtype=bool)
    which = " and ".join(sorted(p.replace("_", " ") for p in fused))
    out = {}
    for motion, off in heading_share_deg(rms, up).items():
        session_deg = COVERAGE * float(np.sqrt(np.mean(np.where(free, off, 0.0)[seen] ** 2)))
        if session_deg <= HIP_HEADING_TARGET_DEG:
            continue
        reason = (
            f"the {which} sensors' orientation is their maker's own, whose heading its maker "
            f"gives to about {VENDOR_HEADING_RMS_DEG:.0f}° and this file cannot check: away from "
            f"the still stands the {side} hip's {motion.replace('_', ' ')} is measured to about "
            f"±{session_deg:.0f}° over the session, more than the "
            f"{HIP_HEADING_TARGET_DEG:.0f}° this tool trusts; its rules are decided where the "
            "reading clears what the heading could do there"
        )
        out[motion] = trace_bounded(reason, HEADING_REDO, session_deg)
    return out
