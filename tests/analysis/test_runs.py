"""The one run finder (analysis/recording/runs.py): half-open runs of True and of equal values."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.recording.runs import true_intervals, true_runs, value_runs


def _loop_runs(mask: list[bool], min_len: int = 1) -> list[tuple[int, int]]:
    """A plain loop, written independently, as the reference."""
    out, start = [], None
    for i, m in enumerate([*mask, False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            if i - start >= min_len:
                out.append((start, i))
            start = None
    return out


def _mask(text: str) -> np.ndarray:
    return np.array([c == "1" for c in text], dtype=bool)


def test_empty_mask_has_no_runs():
    starts, ends = true_intervals(np.zeros(0, dtype=bool))
    assert starts.size == 0
    assert ends.size == 0
    assert starts.dtype == np.intp
    assert ends.dtype == np.intp
    assert true_runs(np.zeros(0, dtype=bool), 3) == []
    s, e, v = value_runs(np.zeros(0, dtype=bool))
    assert s.size == e.size == v.size == 0
    assert v.dtype == np.bool_


def test_all_false_has_no_runs_and_all_true_is_one():
    assert true_runs(_mask("0000")) == []
    assert true_runs(_mask("11111")) == [(0, 5)]
    assert true_runs(_mask("11111"), 5) == [(0, 5)]
    assert true_runs(_mask("11111"), 6) == []


def test_single_sample_runs_and_runs_at_both_ends():
    assert true_runs(_mask("1")) == [(0, 1)]
    assert true_runs(_mask("10101")) == [(0, 1), (2, 3), (4, 5)]
    assert true_runs(_mask("110011")) == [(0, 2), (4, 6)]
    assert true_runs(_mask("0110")) == [(1, 3)]


def test_minimum_length_drops_short_runs_only():
    mask = _mask("1011001110111100")
    assert true_runs(mask, 1) == [(0, 1), (2, 4), (6, 9), (10, 14)]
    assert true_runs(mask, 2) == [(2, 4), (6, 9), (10, 14)]
    assert true_runs(mask, 3) == [(6, 9), (10, 14)]
    assert true_runs(mask, 4) == [(10, 14)]
    assert true_runs(mask, 5) == []
    assert true_runs(mask, 0) == true_runs(mask, 1)


def test_list_form_holds_python_ints():
    (i, j), *_ = true_runs(_mask("0111"))
    assert type(i) is int
    assert type(j) is int


@pytest.mark.parametrize("min_len", [1, 2, 4])
def test_random_masks_match_a_plain_loop(min_len):
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 17, 500):
        for p_true in (0.1, 0.5, 0.9):
            mask = rng.random(n) < p_true
            expected = _loop_runs(mask.tolist(), min_len)
            assert true_runs(mask, min_len) == expected
            starts, ends = true_intervals(mask, min_len)
            assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == expected


def test_value_runs_tile_the_input_with_each_runs_value():
    x = np.array([3, 3, 1, 1, 1, 3, 7])
    starts, ends, values = value_runs(x)
    assert starts.tolist() == [0, 2, 5, 6]
    assert ends.tolist() == [2, 5, 6, 7]
    assert values.tolist() == [3, 1, 3, 7]
    assert value_runs(np.array([True]))[2].tolist() == [True]


def test_value_runs_of_a_mask_agree_with_the_true_runs():
    mask = np.random.default_rng(3).random(300) < 0.4
    starts, ends, values = value_runs(mask)
    assert np.array_equal(np.repeat(values, ends - starts), mask)
    t_starts, t_ends = true_intervals(mask)
    assert np.array_equal(starts[values], t_starts)
    assert np.array_equal(ends[values], t_ends)
