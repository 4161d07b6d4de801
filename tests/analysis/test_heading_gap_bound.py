"""The hip's relative heading between two anchors: bounded by the rate the stands saw.

Round 15 bounded the drift only after the last anchor. A fidgeting person's heading also runs
between two stands, sometimes out and back (stranger seeds 1535, 1547, 1574: 14–20°): a line
between the stands says nothing of that, so the bound grows away from each stand at the
fastest rate any two consecutive stands saw (less a stand's own posture).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.angles import pipeline
from analysis.angles.heading import (
    DRIFT_POSTURE_DEG,
    HIP_DRIFT_TARGET_DEG,
    AnchorRuns,
    hip_drift_timed,
)
from analysis.recording.schema import T_S

# stands at 0–5, 45–50 (10° further: 8° past the posture over a 40-s gap: 0.2 °/s), 110–115
# (back to 10°: a drift that went out and came back shows no change), the last at 115 s
RUNS = AnchorRuns(
    np.array([0.0, 45.0, 110.0]), np.array([5.0, 50.0, 115.0]), np.deg2rad([0.0, 10.0, 10.0])
)


def test_the_gap_rate_is_the_fastest_change_less_the_posture():
    expected = (10.0 - DRIFT_POSTURE_DEG) / 40.0
    assert np.isclose(np.rad2deg(RUNS.gap_rate_rad_s()), expected)


def test_the_gap_bound_grows_away_from_each_stand_in_both_directions():
    t = np.arange(0.0, 115.0, 0.5)
    bound = np.rad2deg(RUNS.gap_bound_rad(t))
    rate = (10.0 - DRIFT_POSTURE_DEG) / 40.0
    at = lambda s: bound[np.searchsorted(t, s)]  # noqa: E731
    assert at(2.0) == 0.0
    assert at(47.0) == 0.0
    assert at(112.0) == 0.0
    assert np.isclose(at(25.0), rate * 20.0)  # midway: 20 s from either
    assert np.isclose(at(15.0), rate * 10.0)
    assert np.isclose(at(40.0), rate * 5.0)
    # the 60-s gap with no net change: the largest bound, where a line says nothing
    assert np.isclose(at(80.0), rate * 30.0)
    assert np.isclose(bound.max(), rate * 30.0)


def test_stands_that_differ_by_their_posture_alone_bound_nothing():
    still = AnchorRuns(
        np.array([0.0, 45.0, 110.0]),
        np.array([5.0, 50.0, 115.0]),
        np.deg2rad([0.0, DRIFT_POSTURE_DEG, 0.5]),
    )
    t = np.arange(0.0, 115.0, 0.5)
    assert still.gap_rate_rad_s() == 0.0
    assert np.all(still.gap_bound_rad(t) == 0.0)
    assert hip_drift_timed(t, np.zeros(t.size), still, "right") == {}


def test_a_flexed_hip_between_stands_doubts_adduction_for_that_time_only():
    t = np.arange(0.0, 115.0, 0.5)
    up = np.where((t > 55) & (t < 105), np.cos(np.deg2rad(80.0)), 1.0)  # a hold, thigh raised
    timed = hip_drift_timed(t, up, RUNS, "right")
    assert set(timed) == {"adduction"}  # rotation's share of a raised thigh stays small
    bound = np.asarray(timed["adduction"].bound_deg)
    doubted = bound > 0.0
    assert doubted.any()
    assert np.all(bound[doubted] > HIP_DRIFT_TARGET_DEG)
    # only inside the hold, where the bound's horizontal share passes the target
    assert t[doubted].min() > 55.0
    assert t[doubted].max() < 105.0
    assert "right leg" in timed["adduction"].reason
    assert " s" in timed["adduction"].reason


def test_the_pipeline_hands_the_timed_bound_to_the_hip_columns_it_has():
    t = np.arange(0.0, 115.0, 0.5)
    up = np.where((t > 55) & (t < 105), np.cos(np.deg2rad(80.0)), 1.0).astype(np.float32)
    add = "right_hip_adduction_deg"
    angles = pd.DataFrame({T_S: t, add: np.zeros(t.size)})
    timed = pipeline._timed_hips(angles, {"right_thigh": (RUNS, up)})
    assert set(timed) == {add}
    assert np.asarray(timed[add].bound_deg).shape == t.shape
    assert pipeline._timed_hips(angles, {}) == {}
