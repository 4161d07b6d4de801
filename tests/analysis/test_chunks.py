"""Row chunks and per-sensor threads: the same numbers however the work is cut."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.chunks import map_rows, map_threads


def test_map_rows_equals_the_whole_array_call():
    rng = np.random.default_rng(3)
    q = rot.normalize(rng.normal(size=(1000, 4)))
    whole = rot.euler_zxy(q)
    chunked = map_rows(rot.euler_zxy, q, width=3, dtype=np.float64, chunk=97)
    assert np.array_equal(whole, chunked)


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_map_threads_keeps_order_and_values(threads):
    rng = np.random.default_rng(4)
    items = [rot.normalize(rng.normal(size=(500 + 10 * k, 4))) for k in range(5)]
    serial = [rot.euler_zxy(x) for x in items]
    out = map_threads(rot.euler_zxy, items, threads=threads)
    assert len(out) == len(serial)
    for a, b in zip(serial, out, strict=True):
        assert np.array_equal(a, b)


def test_map_threads_uses_threads_only_when_asked():
    seen: set[int] = set()

    def who(_x: int) -> int:
        seen.add(threading.get_ident())
        return threading.get_ident()

    map_threads(who, range(4), threads=1)
    assert seen == {threading.get_ident()}
    barrier = threading.Barrier(2, timeout=10)
    # two items that wait for each other finish only if they run at once
    assert len(set(map_threads(lambda _x: barrier.wait() is not None, range(2), threads=2))) == 1


def test_map_threads_raises_the_first_failure():
    def fail_on_two(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x

    with pytest.raises(ValueError, match="two"):
        map_threads(fail_on_two, range(4), threads=2)
