"""The stranger's hold check: a conditional hold breaks at its uncertain episode under each of
its readings (stranger round 5 seed 2239: the hold read 199.2–235.7 s, or from 195.0 s if a
slow movement was part of it, and broken at an uncertain ankle episode from 218.7 s; the
truth's hold is 195.0–218.7 s)."""

from __future__ import annotations

from bench.stranger import compare

TRUTH = [(194.95, 218.66)]


def _env(alternatives: list[dict]) -> dict:
    ankle = {"rule": "ankle_dorsiflexion", "start_s": 218.662, "end_s": 223.942}
    hold = {
        "start_s": 199.182,
        "end_s": 235.732,
        "timing_alternatives": alternatives,
        "unconfirmed_episodes": [ankle],
    }
    return {"holds": [hold]}


def test_an_earlier_start_reading_broken_at_the_uncertain_episode_is_said():
    movement = {"start_s": 194.982, "end_s": 235.732, "parts": []}
    (check,) = compare.judge_holds(_env([movement]), TRUTH)
    assert check["said_so"]
    assert not check["within_1s"]


def test_without_that_reading_it_is_not():
    (check,) = compare.judge_holds(_env([]), TRUTH)
    assert not check["said_so"]


def test_a_reading_without_times_is_skipped():
    none = {"start_s": None, "end_s": None, "parts": []}
    (check,) = compare.judge_holds(_env([none]), TRUTH)
    assert not check["said_so"]
