"""Vectorised building blocks on per-sample boolean masks and series.

Debounce, latch, hysteresis, running mean, peaks per interval (the runs themselves come
from :mod:`analysis.recording.runs`). Times are seconds, widths are samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from analysis.recording.runs import value_runs

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def end_times(t_s: FloatArray) -> FloatArray:
    """``t_end[i]`` = time at which sample i's interval ends (next sample; last + median dt)."""
    dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.0
    return np.append(t_s[1:], t_s[-1] + dt)


def debounce(
    mask: BoolArray,
    t_end: FloatArray,
    t_s: FloatArray,
    *,
    on_s: float,
    off_s: float,
    flip: Sequence[int] = (),
):
    """Accept a change of state only once it has persisted (minimum dwell).

    A run of True counts when it lasts ≥ ``on_s``, a run of False when it lasts ≥ ``off_s``;
    shorter runs take the value of the last run that counted (initially False). So a brief
    excursion never starts an episode and a brief return never ends one, and an accepted
    episode starts where its persisting run began (durations in seconds on ``t_s``).
    ``flip``: the first samples of runs decided the other way than their length says (a run
    whose length is within its precision of the dwell, read as the other side of it).
    """
    starts, ends, values = value_runs(mask)
    if starts.size == 0:
        return mask.copy()
    duration = t_end[ends - 1] - t_s[starts]
    decisive = np.where(values, duration >= on_s - 1e-9, duration >= off_s - 1e-9)
    if len(flip):
        turned = np.isin(starts, np.asarray(flip, dtype=np.intp))
        decisive = decisive ^ turned
    idx = np.where(decisive, np.arange(starts.size), -1)
    idx = np.maximum.accumulate(idx)
    effective = np.where(idx >= 0, values[np.maximum(idx, 0)], False)
    return np.repeat(effective, ends - starts)


def latch(on: BoolArray, off: BoolArray, valid: BoolArray) -> BoolArray:
    """A set/reset latch: True from an ``on`` sample until an ``off`` sample.

    Samples that are neither keep the state. Each run of ``valid`` starts fresh (True only
    if its first sample is ``on``); invalid samples are False. ``on`` and ``off`` must not
    both hold at one sample.
    """
    on = on & valid
    off = off & valid
    first = valid & ~np.concatenate(([False], valid[:-1]))
    decisive = on | off | first | ~valid
    idx = np.where(decisive, np.arange(on.size), -1)
    idx = np.maximum.accumulate(idx)
    return np.where(idx >= 0, on[np.maximum(idx, 0)], False) & valid


def carried_over_gaps(met: BoolArray, valid: BoolArray) -> BoolArray:
    """``met`` with each gap in ``valid`` that has valid samples on both sides filled.

    A gap takes True only when ``met`` holds at the last valid sample before it and at the
    first one after it; a gap at either end of the series has no after (or before) and stays
    False, as do gaps between a met and an unmet side. Per sample, same length as ``met``.
    Why: a condition whose angle went missing for a while (a sensor that sent nothing) and
    held on both sides of it is read as having held through it, not as broken.
    """
    out = met & valid
    starts, ends, values = value_runs(valid)
    for k in np.flatnonzero(~values):
        a, b = int(starts[k]), int(ends[k])
        if a > 0 and b < met.size and out[a - 1] and out[b]:
            out[a:b] = True
    return out


def carried_to_end(met: BoolArray, valid: BoolArray) -> BoolArray:
    """Where a gap in ``valid`` at the end of the series keeps ``met`` of the sample before it.

    True only on the trailing invalid samples, and only when the last valid sample before
    them meets ``met``; False everywhere else (a series that ends valid, or has no valid
    sample, gives all False). Per sample, same length as ``met``. Why: live, an angle whose
    sensor is out right now has a gap whose far side has not been sent; the condition is
    carried from the last sample seen until the sensor is back and
    :func:`carried_over_gaps` settles the gap on both sides.
    """
    out = np.zeros(met.size, dtype=bool)
    seen = np.flatnonzero(valid)
    if seen.size and seen[-1] < met.size - 1 and bool(met[seen[-1]]):
        out[seen[-1] + 1 :] = True
    return out


def hysteresis(
    x: FloatArray, valid: BoolArray, *, limit: float, release: float, upper: bool
) -> BoolArray:
    """Outside-state of ``x`` against an edge with hysteresis, restarted in each valid run.

    ``upper``: outside once ``x > limit``, back inside once ``x < release`` (release ≤
    limit). Otherwise mirrored: outside once ``x < limit``, inside once ``x > release``. In
    between, the state is kept. Each run of ``valid`` starts fresh (outside only if already
    past the edge); invalid samples are never outside.
    """
    with np.errstate(invalid="ignore"):
        beyond = (x > limit) if upper else (x < limit)
        back = (x < release) if upper else (x > release)
    return latch(beyond, back, valid)


def running_mean(x: FloatArray, width: int) -> FloatArray:
    """Centred running mean over ``width`` samples, edges padded with the end values.

    The window of sample ``i`` is ``[i − width // 2, i − width // 2 + width)`` (the same
    alignment as ``scipy.ndimage.uniform_filter1d(mode="nearest")``, without importing it).
    """
    if width <= 1 or x.size == 0:
        return x.astype(np.float64, copy=True)
    left, right = width // 2, width - 1 - width // 2
    padded = np.concatenate([np.full(left, x[0]), x, np.full(right, x[-1])])
    c = np.concatenate([[0.0], np.cumsum(padded, dtype=np.float64)])
    return (c[width:] - c[:-width]) / width


def reduce_peak(x: FloatArray, starts, ends, *, upper: bool) -> tuple[FloatArray, NDArray]:
    """Worst value and its index in each ``[start, end)`` (NaN ignored)."""
    fill = -np.inf if upper else np.inf
    y = np.where(np.isfinite(x), x, fill)
    peaks = np.empty(starts.size)
    where = np.empty(starts.size, dtype=np.intp)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        seg = y[a:b]
        j = int(np.argmax(seg) if upper else np.argmin(seg))
        peaks[k], where[k] = seg[j], a + j
    return peaks, where
