"""Row-chunked evaluation of per-sample functions: bounded temporaries on long sessions.

The quaternion and angle functions work on whole ``(N, k)`` arrays and create several float64
temporaries of that size; on a 10-hour session at 100 Hz each is hundreds of MB. Evaluating
them over row chunks writes the same results into one preallocated output (often float32)
while the temporaries stay at the chunk's size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

CHUNK_ROWS = 1 << 18
"""Rows per chunk (≈ 262 k: a few MB per temporary)."""


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
