"""The stranger's scorer and a run near the latch point: said only where it overlaps the break.

Round 5 seed 2356: the seated knee read 8.7–8.9° over 119–131 s while the truth was at
7.4–7.7° (a breach by the documented latch at 8.5°); the analyser says that run (the knee
rule ``uncertain``, ``near_latch_runs``) instead of ``ok``. The break counts as said, not
found, only when such a run overlaps it in time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.stranger import compare, summary

BREAK = {
    "rule": "knee_flexion",
    "start_s": 117.0,
    "end_s": 133.0,
    "onset_s": 118.9,
    "run_start_s": 118.9,
    "breach": True,
}


def _env(runs: list[tuple[float, float]], *, status: str = "uncertain", unc=None) -> dict:
    rule = {
        "rule": "knee_flexion",
        "status": status,
        "column": "right_knee_flexion_deg",
        "episodes": [],
        "near_latch_runs": [
            {"start_s": a, "end_s": b, "closest_deg": 8.66, "latch_deg": 8.5} for a, b in runs
        ],
    }
    return {"rules": [rule], "uncertain_angles": unc or {}, "uncertain": [{"rule": "knee_flexion"}]}


def test_a_break_under_a_run_near_the_latch_is_said():
    (b,) = compare.judge_breaks(_env([(119.0, 131.0)]), [BREAK])
    assert b["verdict"] == "near_latch_said"
    assert b["near_latch"] == [[119.0, 131.0]]


def test_a_run_elsewhere_does_not_say_it():
    (b,) = compare.judge_breaks(_env([(20.0, 31.0)]), [BREAK])
    assert b["verdict"] == "missed"


def test_an_uncertain_angle_is_scored_as_before():
    env = _env([(20.0, 31.0)], unc={"right_knee_flexion_deg": {"reason": "x"}})
    (b,) = compare.judge_breaks(env, [BREAK])
    assert b["verdict"] == "uncertain_missed"


def test_the_truth_under_a_run_gives_its_closest_approach_and_breach():
    t = np.round(np.arange(0.0, 200.0, 0.01), 6)
    knee = np.where((t >= 119.0) & (t < 131.0), 7.5, 30.0)
    truth = pd.DataFrame(
        {
            "t_s": t,
            "right_knee_flexion_deg": knee,
            "right_hip_flexion_deg": np.full(t.size, 90.0),
        }
    )
    (g,) = compare.near_latch_truth(_env([(119.0, 131.0)]), truth, "right", "seated")
    assert g["breach"]
    assert abs(g["truth_closest_deg"] - 7.5) < 1e-9
    assert abs(g["truth_past_latch_deg"] - 1.0) < 1e-9
    (g,) = compare.near_latch_truth(_env([(40.0, 50.0)]), truth, "right", "seated")
    assert not g["breach"]
    assert abs(g["truth_past_latch_deg"] + 21.5) < 1e-9


def test_the_summary_counts_said_breaks_and_runs_without_a_breach():
    res = {
        "cli": {"rc": 0},
        "scripted": [{**BREAK, "verdict": "near_latch_said"}],
        "near_latch": [{"breach": True}, {"breach": False}],
    }
    rec = {"seed": 2356, "side": "right", "breaks": [], "sets": {"default": res}}
    (row,) = summary.run_rows([rec], "R5")
    assert "1 said near the latch" in row
    assert "2 runs near the latch, 1 with no breach" in row
    assert summary.failures([rec]) == []


def test_a_hold_across_a_run_near_the_latch_is_said_when_the_part_before_it_matches():
    run = {"rule": "knee_flexion", "start_s": 119.01, "end_s": 131.26}
    hold = {"start_s": 100.0, "end_s": 140.0, "timing_alternatives": []}
    (said,) = compare.judge_holds({"holds": [{**hold, "near_latch_runs": [run]}]}, [(100.2, 119.5)])
    assert said["said_so"]
    assert not said["within_1s"]
    (unsaid,) = compare.judge_holds({"holds": [hold]}, [(100.2, 119.5)])
    assert not unsaid["said_so"]
