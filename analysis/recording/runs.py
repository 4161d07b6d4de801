"""Runs in per-sample masks: the one run finder every stage uses.

A run is a maximal stretch of consecutive samples, given as the half-open sample range
``[start, end)``: ``end`` is the first sample after the run (``len(mask)`` for a run that
reaches the end), so ``end - start`` is its length in samples. Turning a run into times
is the caller's choice (the first sample's time, the last sample's, or where its interval
ends), so this module deals in sample indices only. Pure and vectorised.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


def value_runs(values: ArrayLike) -> tuple[IntArray, IntArray, NDArray]:
    """Runs of equal values: ``(starts, ends, value of each run)``, half-open ranges.

    ``values`` is 1-D (booleans, integers, ...); an empty input gives three empty arrays.
    The runs tile the input: ``starts[0] == 0``, ``ends[-1] == len(values)`` and
    ``starts[1:] == ends[:-1]``.
    """
    x = np.asarray(values)
    n = x.size
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, x[:0]
    change = np.flatnonzero(x[1:] != x[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.intp)
    ends = np.concatenate((change, [n])).astype(np.intp)
    return starts, ends, x[starts]


def true_intervals(mask: ArrayLike, min_len: int = 1) -> tuple[IntArray, IntArray]:
    """``(starts, ends)`` of the runs of True in ``mask`` at least ``min_len`` samples long.

    Half-open sample ranges ``[start, end)`` in increasing order; an empty mask, or one
    without True, gives two empty arrays.
    """
    m = np.asarray(mask, dtype=bool)
    edges = np.diff(m.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if min_len > 1:
        long_enough = ends - starts >= min_len
        starts, ends = starts[long_enough], ends[long_enough]
    return starts, ends


def true_runs(mask: ArrayLike, min_len: int = 1) -> list[tuple[int, int]]:
    """:func:`true_intervals` as a list of ``(start, end)`` Python ints, for loops."""
    starts, ends = true_intervals(mask, min_len)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
