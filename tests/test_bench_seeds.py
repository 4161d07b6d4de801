"""The benches' seed lists (``bench/_seeds.py``)."""

from __future__ import annotations

import pytest

from tests.bench_scripts import load_bench_script

S = load_bench_script("_seeds", module_name="bench_seeds")


def test_single_seeds_ranges_and_mixed_lists_keep_their_order() -> None:
    assert S.parse_seed_spec("7") == [7]
    assert S.parse_seed_spec("3-5") == [3, 4, 5]
    assert S.parse_seed_spec("1611, 1300-1302,9") == [1611, 1300, 1301, 1302, 9]


def test_repeated_seeds_are_run_once() -> None:
    assert S.parse_seed_spec("1-3,2,3-4") == [1, 2, 3, 4]


@pytest.mark.parametrize("text", ["", "a", "5-3", "1-2-3", "-4", "1,,2"])
def test_a_part_that_is_no_seed_is_named_in_the_error(text: str) -> None:
    with pytest.raises(ValueError, match="seed"):
        S.parse_seed_spec(text)
