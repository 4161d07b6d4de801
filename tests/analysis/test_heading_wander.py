"""The heading a 6-D filter's bias estimate puts in, and its bound between anchor runs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles.heading import AnchorRuns, filter_turn_rad, hip_drift_timed, wander_bound_rad

RATE_HZ = 100.0


def _wxyz(r: Rotation) -> np.ndarray:
    return r.as_quat()[:, [3, 0, 1, 2]]


def _tilted_sensor(n: int) -> Rotation:
    """A sensor lying on its side (its x axis up), so a vertical rate is about its x axis."""
    return Rotation.from_euler("y", np.full((n, 1), -90.0), degrees=True)


def test_a_filter_that_follows_its_rates_adds_no_turn() -> None:
    n = 1000
    t = np.arange(n) / RATE_HZ
    heading = Rotation.from_euler("z", 0.2 * t[:, None])  # 0.2 rad/s about the vertical
    r = heading * _tilted_sensor(n)
    gyr = np.tile([0.2, 0.0, 0.0], (n, 1))  # the vertical rate, in the tilted sensor's axes
    turn = filter_turn_rad(_wxyz(r), gyr, RATE_HZ)
    assert np.max(np.abs(turn)) < 1e-6


def test_a_filter_that_holds_its_heading_against_the_rates_turns_by_their_sum() -> None:
    n = 1000
    r = _tilted_sensor(n)  # the filter's heading held still
    gyr = np.tile([0.01, 0.0, 0.0], (n, 1))  # while the rates turn it 0.01 rad/s about up
    turn = filter_turn_rad(_wxyz(r), gyr, RATE_HZ)
    assert turn[-1] == pytest.approx(0.01 * (n - 1) / RATE_HZ, rel=1e-6)


def test_a_horizontal_rate_the_filter_does_not_follow_is_no_heading() -> None:
    n = 500
    r = Rotation.identity(n)  # upright sensor; its tilt corrections are about x or y
    gyr = np.tile([0.05, -0.03, 0.0], (n, 1))
    assert np.max(np.abs(filter_turn_rad(_wxyz(r), gyr, RATE_HZ))) < 1e-9


def test_rows_without_orientation_add_nothing() -> None:
    n = 300
    q = _wxyz(Rotation.identity(n))
    q[100:150] = np.nan
    gyr = np.tile([0.0, 0.0, 0.02], (n, 1))
    turn = filter_turn_rad(q, gyr, RATE_HZ)
    assert np.isfinite(turn).all()
    assert turn[-1] == pytest.approx(0.02 * (n - 1 - 51) / RATE_HZ, rel=1e-6)


def _runs() -> AnchorRuns:
    return AnchorRuns(np.array([0.0, 60.0]), np.array([4.0, 64.0]), np.array([0.0, 0.0]))


def test_a_turn_away_and_back_between_two_runs_bounds_the_whole_gap_by_its_largest() -> None:
    t = np.arange(0.0, 70.0, 0.1)
    away = np.deg2rad(4.0) * np.sin(np.pi * np.clip((t - 4.0) / 56.0, 0.0, 1.0))
    bound = wander_bound_rad(t, _runs(), away)
    early = np.argmin(np.abs(t - 6.0))  # the turn is still small there: the gap's largest
    assert np.rad2deg(bound[early]) == pytest.approx(4.0, abs=0.05)
    assert np.all(bound[(t <= 4.0) | (t >= 60.0)] == 0.0)


def test_a_turn_along_the_line_between_the_runs_is_no_doubt() -> None:
    t = np.arange(0.0, 70.0, 0.1)
    steady = 0.002 * t  # a bias the filter tracked steadily: the runs' line follows it
    assert np.max(wander_bound_rad(t, _runs(), steady)) < 0.003


def test_one_run_gives_no_bound() -> None:
    t = np.arange(0.0, 30.0, 0.1)
    one = AnchorRuns(np.array([0.0]), np.array([4.0]), np.array([0.0]))
    assert np.all(wander_bound_rad(t, one, np.deg2rad(10.0) * np.ones_like(t)) == 0.0)


def test_the_wander_doubts_hip_adduction_of_a_raised_thigh() -> None:
    t = np.arange(0.0, 70.0, 0.1)
    runs = _runs()
    up = np.where((t > 10.0) & (t < 50.0), np.cos(np.deg2rad(72.0)), 1.0)
    wander = np.where((t > 10.0) & (t < 50.0), np.deg2rad(6.0), 0.0)
    assert hip_drift_timed(t, up, runs, "left") == {}
    timed = hip_drift_timed(t, up, runs, "left", wander)
    assert set(timed) == {"adduction"}
    bound = np.asarray(timed["adduction"].bound_deg)
    assert bound[np.argmin(np.abs(t - 30.0))] == pytest.approx(6.0 * np.sin(np.deg2rad(72.0)), 0.01)
    assert "filters turned it" in timed["adduction"].reason


def test_the_pipeline_takes_the_thigh_filter_turn_less_the_pelvis_one() -> None:
    import pandas as pd

    from analysis.angles.pipeline import _timed_hips

    t = np.arange(0.0, 70.0, 0.1)
    angles = pd.DataFrame(
        {"t_s": t, "left_hip_adduction_deg": 0.0, "left_hip_internal_rotation_deg": 0.0}
    )
    up = np.where((t > 10.0) & (t < 50.0), 0.0, 1.0)  # the thigh level between the stands
    drift = {"left_thigh": (_runs(), up)}
    away = np.where((t > 10.0) & (t < 50.0), np.deg2rad(6.0), 0.0)
    both = {"pelvis": 0.5 * away, "left_thigh": away}  # 3° between them
    same = {"pelvis": away, "left_thigh": away}  # the two filters turned alike: no doubt
    assert _timed_hips(angles, drift) == {}
    assert _timed_hips(angles, drift, {"left_thigh": away}) == {}  # no pelvis turn: none
    assert _timed_hips(angles, drift, same) == {}
    assert _timed_hips(angles, drift, both) == {}  # 3° is within the 4° target
    timed = _timed_hips(angles, drift, {"pelvis": -away, "left_thigh": away})  # 12° apart
    # the whole gap between the stands: rotation where the thigh is upright in it, too
    assert set(timed) == {"left_hip_adduction_deg", "left_hip_internal_rotation_deg"}
    assert float(np.max(timed["left_hip_adduction_deg"].bound_deg)) == pytest.approx(12.0, 0.01)
    rotation = np.asarray(timed["left_hip_internal_rotation_deg"].bound_deg)
    assert rotation[np.argmin(np.abs(t - 30.0))] == 0.0  # level thigh: none of it is rotation


def test_a_stand_bias_given_apart_is_taken_out_of_the_rates() -> None:
    n = 400
    r = _tilted_sensor(n)
    gyr = np.tile([0.03, 0.0, 0.0], (n, 1))
    turn = filter_turn_rad(_wxyz(r), gyr, RATE_HZ, np.array([0.03, 0.0, 0.0]))
    assert np.max(np.abs(turn)) < 1e-9
