"""The live-versus-offline bench's scoring (``bench/live_posture.py``): RMSE over chosen rows,
live cues against a report's episodes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.bench_scripts import load_bench_script

B = load_bench_script("live_posture", module_name="live_posture_bench")


def test_rmse_is_over_the_rows_asked_and_skips_gaps():
    truth = pd.DataFrame({"t_s": [0.0, 1.0, 2.0, 3.0], "x_deg": [0.0, 0.0, 0.0, 0.0]})
    t = np.array([0.0, 1.0, 2.0, 3.0])
    values = np.array([3.0, np.nan, 4.0, 100.0])
    rows = np.array([True, True, True, False])
    assert B.rmse(truth, t, values, "x_deg", rows) == pytest.approx(np.sqrt(12.5))
    assert np.isnan(B.rmse(truth, t, values, "x_deg", np.zeros(4, dtype=bool)))


def test_match_cues_finds_missed_extra_and_late_cues():
    eps = [
        {"rule": "a", "start_s": 10.0, "end_s": 14.0},  # cued in time
        {"rule": "a", "start_s": 30.0, "end_s": 35.0},  # cued 3 s late
        {"rule": "b", "start_s": 40.0, "end_s": 42.0},  # never cued
        {"rule": "b", "start_s": 2.0, "end_s": 3.0},  # before the live rows: not asked
    ]
    cues = [
        {"rule": "a", "said_s": 11.5},
        {"rule": "a", "said_s": 33.0},
        {"rule": "b", "said_s": 20.0},  # no episode
        {"rule": "a", "said_s": 41.0},  # another rule's episode
    ]
    out = B.match_cues(cues, eps, {"a": 1.0, "b": 1.0}, from_s=5.0, tick_s=0.25)
    assert [e["start_s"] for e in out["missed"]] == [40.0]
    assert [(e["start_s"], e["lag_s"]) for e in out["late"]] == [(30.0, 3.0)]
    assert [c["said_s"] for c in out["extra"]] == [20.0, 41.0]
