"""How far a thigh's hinge lean, taken for its accelerometer's bias, may put the hip off.

The thigh's flexion axis comes from the knee's hinge, fitted from the gyroscopes alone; its
lean from level at the quiet stand is taken for a bias of the accelerometer along that axis
(:mod:`analysis.angles.axis_bias`), as far as the thigh's own rotation axis shares it. A knee
whose tibia turns as it bends leans the hinge axis too, and with the foot planted in the knee
bends (a squat) the tibia's turn is the thigh's, about its long axis, which leans the own axis
alike: the witness then shares a lean no accelerometer has (the stranger's seed 2122, ideal
sensors: 4.2° taken for a 73-mg bias; the same session with its knee bends done heel toward
the buttock instead shows the coupling, and none is taken). Nothing the accelerometer sees
tells the two apart: a bias along an axis that stays horizontal escapes every still pose's
norm.

Whichever way it is decided, the two readings agree at the stand (the calibration makes them)
and part as the thigh turns by φ about its flexion axis from there: the bias's tilt is fixed
in the earth, its correction in the segment, so they differ by a rotation of
``2·sin(φ/2)·lean`` about an axis in the thigh's sagittal-transverse (x–y) plane. Of that,
``lean·(1 − cos φ)`` lies along the thigh's anterior axis (hip adduction: twice the lean with
the leg raised vertically while lying, where ``cos φ = −1``) and ``lean·sin φ`` along its long
axis (hip rotation, lying flat). The headings move the error between the two: the anchors
lying flat, and away from them the knee's hinge and the stands, which correct a heading about
the vertical whatever the thigh's inclination. So each of hip rotation and hip adduction is
bounded by the whole ``2·sin(φ/2)·lean``, not by its share along the thigh's axes: the
stranger's seed 1742 (a standing stretch, the thigh 77° from its stand, ideal sensors, a
4.6° lean) read hip adduction 3.4–4.2° off in its first hold (the anterior share, 3.6°) and
5.4–5.8° in its second (the whole, 5.7°). ``cos φ`` is the vertical component of the thigh's
superior axis (1 standing, 0 lying flat, −1 the leg raised past the vertical lying on the
back).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analysis.angles.heading import past_target_doubt
from analysis.recording.doubts import TimedDoubt
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]

HIP_LEAN_TARGET_DEG = RMSE_TARGET_DEG["hip_adduction"]  # = hip internal rotation's
"""Hip adduction's and rotation's accuracy target (RMSE, degrees): a lean that may put them
past it leaves them uncertain (over the session) or a rule on them undecided (per time)."""

MOTIONS = ("adduction", "internal_rotation")


def lean_deg(bias_g_S: FloatArray | None) -> float:
    """The lean (degrees) of a hinge axis from level that was taken for a bias of ``bias_g_S``.

    ``bias_g_S``: the bias over the specific force's magnitude, sensor frame
    (``SegmentCalibration.acc_axis_bias_g``, ``sin ε · ĥ``); 0 for None.
    """
    if bias_g_S is None:
        return 0.0
    s = float(np.linalg.norm(np.asarray(bias_g_S, dtype=np.float64)))
    return float(np.rad2deg(np.arcsin(min(s, 1.0))))


def lean_error_deg(lean: float, thigh_up: FloatArray) -> dict[str, FloatArray]:
    """Per sample, how far hip adduction and rotation may be off for a lean decided wrongly.

    ``lean`` (degrees): the hinge lean taken for (or not for) the bias; ``thigh_up``: per
    sample, the vertical component of the thigh's superior axis (``cos φ``; NaN: no reading,
    bound 0). Both motions get the whole turn between the two readings, ``2·sin(φ/2)·lean``
    (the module docstring: the headings move it between them), degrees, non-negative.
    """
    up = np.asarray(thigh_up, dtype=np.float64)
    up = np.clip(np.where(np.isfinite(up), up, 1.0), -1.0, 1.0)
    whole = abs(float(lean)) * np.sqrt(2.0 * (1.0 - up))
    return dict.fromkeys(MOTIONS, whole)


def lean_cause_words(side: str, lean: float) -> str:
    """Why a hip angle of ``side`` is doubted for a thigh's hinge lean of ``lean`` degrees."""
    return (
        f"the {side} knee's axis leaned {abs(lean):.0f}° from level at the stand, taken "
        f"for the {side} thigh sensor's accelerometer offset; a shin that turns as the knee "
        "bends leans it alike, which the data cannot tell apart"
    )


def lean_redo_words(side: str) -> str:
    """What to redo so that ``side``'s thigh lean is told apart from an offset."""
    return (
        f"in the calibration movements, bend the {side} knee with the foot off the floor "
        "(heel toward the buttock, standing on the other leg) rather than in a squat, then "
        "record again"
    )


def twist_words(twist_deg: FloatArray | None) -> str:
    """The words added where an undecided twist's move (``twist_deg``, per sample) joins."""
    if twist_deg is None or not np.any(np.asarray(twist_deg) > 0.0):
        return ""
    top = float(np.nanmax(np.asarray(twist_deg, dtype=np.float64)))
    return (
        f", and the hip's rotation lying or sitting, which the data cannot decide either, "
        f"moves hip adduction by up to {top:.0f}° more"
    )


def hip_lean_doubts(
    t_s: FloatArray,
    thigh_up: FloatArray,
    lean: float,
    side: str,
    twist_adduction_deg: FloatArray | None = None,
) -> tuple[dict[str, dict[str, str]], dict[str, TimedDoubt]]:
    """The hip angles a thigh's hinge lean taken for its accelerometer's bias may put off.

    ``lean`` (degrees, :func:`lean_deg`) and ``thigh_up`` as in :func:`lean_error_deg`;
    ``side`` names the leg in the words. ``twist_adduction_deg``: per sample, how far the
    thigh's undecided twist lying or sitting moves hip adduction (its reading decided the
    other way less the one read, absolute; None: no such twist): a second error of the
    thigh's axes the data cannot decide, added to the lean's adduction bound. Returns
    ``(uncertain, timed)`` keyed by motion (``"adduction"``, ``"internal_rotation"``):
    ``uncertain`` where the bound's RMS over the samples passes :data:`HIP_LEAN_TARGET_DEG`
    (``{"reason", "redo"}``), ``timed`` where it passes it at some time (the bound there, 0
    elsewhere: a rule on the angle is decided there only beyond it). Both empty for a lean
    that never reaches the target.
    """
    uncertain: dict[str, dict[str, str]] = {}
    timed: dict[str, TimedDoubt] = {}
    if abs(lean) * 2.0 <= HIP_LEAN_TARGET_DEG:
        return uncertain, timed
    seen = np.isfinite(np.asarray(thigh_up, dtype=np.float64))
    offs = lean_error_deg(lean, thigh_up)
    if twist_adduction_deg is not None:
        extra = np.abs(np.asarray(twist_adduction_deg, dtype=np.float64))
        offs["adduction"] = offs["adduction"] + np.where(np.isfinite(extra), extra, 0.0)
    for motion, off in offs.items():
        name = f"hip {motion.replace('_', ' ')}"
        cause, redo = lean_cause_words(side, lean), lean_redo_words(side)
        if motion == "adduction":
            cause += twist_words(twist_adduction_deg)
        what = f"{cause}: with the thigh turned far from its stand, {name}"
        doubt = past_target_doubt(t_s, off, HIP_LEAN_TARGET_DEG, what=what, redo=redo)
        if doubt is None:
            continue
        timed[motion] = doubt
        rms = float(np.sqrt(np.mean(off[seen] ** 2))) if seen.any() else 0.0
        if rms > HIP_LEAN_TARGET_DEG:
            uncertain[motion] = {
                "reason": (
                    f"{cause}: {name} may be off by {rms:.0f}° RMS over the session, more "
                    f"than the {HIP_LEAN_TARGET_DEG:.0f}° this tool trusts"
                ),
                "redo": redo,
            }
    return uncertain, timed
