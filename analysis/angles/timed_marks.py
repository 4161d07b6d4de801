"""Angles a per-time doubt leaves approximate over the whole session.

A :class:`~analysis.recording.doubts.TimedDoubt` says, per sample of the angle table, how
far a trusted angle may be off (degrees; 0 where it passes no target), and the envelope
checker decides a rule on it only beyond that bound. The issue's targets are RMSEs over the
session's samples, so a bound whose RMS over the samples the angle is read on passes the
angle's target leaves the reading itself no better than approximate, whatever doubt the
bound comes from: the angle gets a trace-only entry
(:func:`~analysis.recording.doubts.trace_bounded`: its ± is reported, its rules stay decided
on the per-time bound). The bound is taken as it is given, 0 below the target, so the RMS
counts only the times it passes the target (it never overstates the doubt).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.angles.tilt_precision import plus_minus_deg
from analysis.recording.doubts import TimedDoubt, UncertainAngle, trace_bounded
from analysis.recording.schema import SIDES
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]


def column_target_deg(column: str) -> float | None:
    """The RMSE target (degrees) of an angle column, e.g. 4.0 for ``left_hip_adduction_deg``.

    None for a column without a target of its own (a thigh's inclination, the head against
    the pelvis).
    """
    name = column.removesuffix("_deg")
    for side in SIDES:
        name = name.removeprefix(f"{side}_")
    return RMSE_TARGET_DEG.get(name)


def session_rms_deg(bound_deg: FloatArray, read: NDArray[np.bool_]) -> float:
    """RMS (degrees) of a per-sample bound over the samples ``read`` (0.0 where none is)."""
    bound = np.asarray(bound_deg, dtype=np.float64)
    seen = np.asarray(read, dtype=bool) & np.isfinite(bound)
    if not seen.any():
        return 0.0
    return float(np.sqrt(np.mean(bound[seen] ** 2)))


def timed_mark(
    column: str, doubt: TimedDoubt, read: NDArray[np.bool_], target_deg: float
) -> UncertainAngle | None:
    """The approximate mark ``doubt`` leaves on ``column`` over the session, or None.

    ``read``: the samples the angle has a reading on. Where the RMS of ``doubt.bound_deg``
    over them (:func:`session_rms_deg`) passes ``target_deg``, a trace-only entry whose ± is
    that RMS and whose words are the doubt's with the session's figure; else None.
    """
    rms = session_rms_deg(np.asarray(doubt.bound_deg), read)
    if rms <= target_deg:
        return None
    name = column.removesuffix("_deg").replace("_", " ")
    reason = (
        f"{doubt.reason}; over the session that bound comes to about "
        f"±{plus_minus_deg(rms, target_deg)}° RMS, more than the {target_deg:.0f}° this tool "
        f"trusts, so the {name} reading is approximate"
    )
    return trace_bounded(reason, doubt.redo, rms)


def timed_marks(
    angles: pd.DataFrame,
    timed: Mapping[str, TimedDoubt],
    doubted: Collection[str],
) -> dict[str, UncertainAngle]:
    """Per column of ``timed`` not already ``doubted``, its session mark (:func:`timed_mark`).

    ``angles``: the angle table's columns (a column's finite samples are the ones read);
    ``timed``: every per-time doubt of a column together (their bounds added). Columns
    absent from ``angles`` or without a target (:func:`column_target_deg`) get none.
    """
    out = {}
    for column, doubt in timed.items():
        target = column_target_deg(column)
        if column in doubted or target is None or column not in angles:
            continue
        read = np.isfinite(np.asarray(angles[column], dtype=np.float64))
        mark = timed_mark(column, doubt, read, target)
        if mark is not None:
            out[column] = mark
    return out
