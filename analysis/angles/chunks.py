"""Row-chunked evaluation of per-sample functions: bounded temporaries on long sessions.

The quaternion and angle functions work on whole ``(N, k)`` arrays and create several float64
temporaries of that size; on a 10-hour session at 100 Hz each is hundreds of MB. Evaluating
them over row chunks writes the same results into one preallocated output (often float32)
while the temporaries stay at the chunk's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

CHUNK_ROWS = 1 << 18
"""Rows per chunk (≈ 262 k: a few MB per temporary)."""

_In = TypeVar("_In")
_Out = TypeVar("_Out")


def map_rows(
    fn: Callable[..., NDArray[np.floating]],
    *arrays: NDArray[np.floating] | NDArray[np.bool_],
    width: int | None,
    dtype: type[np.floating] | type[np.bool_] = np.float32,
    chunk: int = CHUNK_ROWS,
) -> NDArray[np.floating]:
    """``fn(*arrays)`` evaluated over row chunks into an ``(N, width)`` (or ``(N,)``) array.

    Every argument has N rows; ``fn`` must treat rows independently (and may broadcast
    constants it closes over).
    """
    n = arrays[0].shape[0]
    out = np.empty((n,) if width is None else (n, width), dtype=dtype)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        out[a:b] = fn(*(x[a:b] for x in arrays))
    return out


def map_threads(fn: Callable[[_In], _Out], items: Iterable[_In], *, threads: int = 1) -> list[_Out]:
    """``[fn(x) for x in items]``, on ``threads`` threads when more than one.

    For independent per-sensor (or per-joint) work on whole-session arrays: NumPy releases
    the interpreter lock inside its loops, so two sensors' arithmetic runs on two cores. Each
    item is computed exactly as it would be alone (same code, same data), so the results do
    not depend on ``threads``; only the memory of the items in flight adds up.
    """
    todo = list(items)
    if threads <= 1 or len(todo) <= 1:
        return [fn(x) for x in todo]
    with ThreadPoolExecutor(max_workers=min(threads, len(todo))) as pool:
        return list(pool.map(fn, todo))
