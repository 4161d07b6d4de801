"""The stranger's hold check counts each hold of a reading that splits an estimated hold."""

from __future__ import annotations

from bench.stranger import compare

TRUTH = [(50.0, 61.6), (62.8, 88.6)]  # a truth split at a lean read just under the limit


def _env(parts: list[list[float]]) -> dict:
    alt = {"start_s": 62.8, "end_s": 88.6, "parts": parts}
    return {"holds": [{"start_s": 50.0, "end_s": 88.6, "timing_alternatives": [alt]}]}


def test_the_first_part_of_a_split_reading_is_said():
    first, second = compare.judge_holds(_env([[50.0, 61.6], [62.8, 88.6]]), TRUTH)
    assert first["said_so"]
    assert second["said_so"]


def test_without_its_parts_only_the_longer_one_is():
    first, second = compare.judge_holds(_env([]), TRUTH)
    assert not first["said_so"]
    assert second["said_so"]
