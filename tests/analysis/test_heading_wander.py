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
    """Stands at 0–4 s, 60–64 s and 250–254 s."""
    return AnchorRuns(
        np.array([0.0, 60.0, 250.0]), np.array([4.0, 64.0, 254.0]), np.array([0.0, 0.0, 0.0])
    )


def _grid() -> np.ndarray:
    return np.arange(0.0, 260.0, 0.1)


def _hump_rad(t: np.ndarray, deg: float) -> np.ndarray:
    """A turn away and back over 10–50 s (peak ``deg``), as 2417's filters made."""
    return np.deg2rad(deg) * np.sin(np.pi * np.clip((t - 10.0) / 40.0, 0.0, 1.0))


def test_a_turn_away_and_back_between_two_runs_bounds_the_whole_gap_by_its_largest() -> None:
    t = _grid()
    bound = np.rad2deg(wander_bound_rad(t, _runs(), _hump_rad(t, 4.0)))
    first = (t > 4.0) & (t < 60.0)
    # the whole gap, even where the turn is still small; a straight line over two minutes
    # takes a little of a 40-s hump (3.1° of 4°)
    assert np.ptp(bound[first]) == 0.0
    assert 2.9 < bound[first][0] < 4.0
    assert np.all(bound[(t <= 4.0) | ((t >= 60.0) & (t <= 64.0))] == 0.0)
    assert np.max(bound[t > 64.0]) < 1.0


def test_a_filter_tracking_a_warming_bias_is_no_doubt() -> None:
    t = _grid()
    warming = 2e-5 * t * t  # its bias estimate rising steadily: 77° of turn over the session
    assert np.rad2deg(np.max(wander_bound_rad(t, _runs(), warming))) < 0.01


def test_one_run_gives_no_bound() -> None:
    t = np.arange(0.0, 30.0, 0.1)
    one = AnchorRuns(np.array([0.0]), np.array([4.0]), np.array([0.0]))
    assert np.all(wander_bound_rad(t, one, np.deg2rad(10.0) * np.ones_like(t)) == 0.0)


def test_the_wander_doubts_hip_adduction_of_a_raised_thigh() -> None:
    t = _grid()
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

    t = _grid()
    angles = pd.DataFrame(
        {"t_s": t, "left_hip_adduction_deg": 0.0, "left_hip_internal_rotation_deg": 0.0}
    )
    up = np.where((t > 8.0) & (t < 56.0), 0.0, 1.0)  # the thigh level between the stands
    drift = {"left_thigh": (_runs(), up)}
    away = _hump_rad(t, 6.0)
    assert _timed_hips(angles, drift) == {}
    assert _timed_hips(angles, drift, {"left_thigh": 2.0 * away}) == {}  # no pelvis: none
    assert _timed_hips(angles, drift, {"pelvis": away, "left_thigh": away}) == {}  # alike
    assert _timed_hips(angles, drift, {"pelvis": 0.5 * away, "left_thigh": away}) == {}  # 3°
    timed = _timed_hips(angles, drift, {"pelvis": -away, "left_thigh": away})  # 12° apart
    # the whole gap between the stands: rotation where the thigh is upright in it, too
    assert set(timed) == {"left_hip_adduction_deg", "left_hip_internal_rotation_deg"}
    assert 8.5 < float(np.max(timed["left_hip_adduction_deg"].bound_deg)) < 12.0
    rotation = np.asarray(timed["left_hip_internal_rotation_deg"].bound_deg)
    assert rotation[np.argmin(np.abs(t - 30.0))] == 0.0  # level thigh: none of it is rotation


def test_a_stand_bias_given_apart_is_taken_out_of_the_rates() -> None:
    n = 400
    r = _tilted_sensor(n)
    gyr = np.tile([0.03, 0.0, 0.0], (n, 1))
    turn = filter_turn_rad(_wxyz(r), gyr, RATE_HZ, np.array([0.03, 0.0, 0.0]))
    assert np.max(np.abs(turn)) < 1e-9
