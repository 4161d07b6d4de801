"""The stranger's hold check: a hold across an uncertain gating rule's gap (``unmeasured_runs``)
is said when the truth's hold lies between that gap and an uncertain episode (stranger round 7
seed 3027, full set: the hold read 273.6-346.9 s, the head out 275.3-280.8 s with the neck rule
uncertain, the knee's uncertain episodes from 317.3 s; the truth's hold is 280.8-317.3 s)."""

from __future__ import annotations

from bench.stranger import compare

TRUTH = [(280.82, 317.33)]


def _env(unmeasured: list[dict]) -> dict:
    knee = [
        {"rule": "knee_flexion", "start_s": 317.293, "end_s": 323.723},
        {"rule": "knee_flexion", "start_s": 329.713, "end_s": 334.813},
    ]
    hold = {
        "start_s": 273.593,
        "end_s": 346.863,
        "timing_alternatives": [],
        "unconfirmed_episodes": knee,
        **({"unmeasured_runs": unmeasured} if unmeasured else {}),
    }
    return {"holds": [hold]}


def test_the_part_between_the_gap_and_the_episode_is_said():
    neck = {"rule": "neck_flexion", "column": "neck_flexion_deg", "start_s": 275.307}
    (check,) = compare.judge_holds(_env([{**neck, "end_s": 280.813}]), TRUTH)
    assert check["said_so"]
    assert not check["within_1s"]


def test_without_the_gap_it_is_not():
    (check,) = compare.judge_holds(_env([]), TRUTH)
    assert not check["said_so"]


def test_a_gap_elsewhere_does_not_say_it():
    neck = {"rule": "neck_flexion", "column": "neck_flexion_deg", "start_s": 290.0}
    (check,) = compare.judge_holds(_env([{**neck, "end_s": 292.0}]), TRUTH)
    assert not check["said_so"]
