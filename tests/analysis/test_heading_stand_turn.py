"""A turn about the vertical the stand took for bias, and how far it may run a hip's heading."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles.heading import (
    STAND_TURN_WORDS,
    AnchorRuns,
    hip_drift_doubts,
    hip_drift_timed,
    stand_axis_up,
    stand_turn_bound_rad,
    stand_turn_rate_rad_s,
)

RATE_HZ = 10.0


def _runs(*spans: tuple[float, float]) -> AnchorRuns:
    a = np.array(spans, dtype=np.float64)
    return AnchorRuns(a[:, 0], a[:, 1], np.zeros(a.shape[0]))


def test_the_turn_all_sensors_share_is_the_smallest_of_their_vertical_rates() -> None:
    assert stand_turn_rate_rad_s([0.006, 0.008]) == pytest.approx(0.006)
    assert stand_turn_rate_rad_s([-0.008, -0.003]) == pytest.approx(-0.003)


def test_sensors_turning_opposite_ways_share_no_turn() -> None:
    assert stand_turn_rate_rad_s([0.006, -0.008]) == 0.0
    assert stand_turn_rate_rad_s([0.006, 0.0]) == 0.0
    assert stand_turn_rate_rad_s([]) == 0.0


def test_the_stand_axis_is_up_while_standing_and_level_when_tipped_90_degrees() -> None:
    standing = Rotation.identity(3)
    tipped = Rotation.from_euler("x", np.full((3, 1), 90.0), degrees=True)
    q = np.vstack([standing.as_quat(), tipped.as_quat()])[:, [3, 0, 1, 2]]
    up = stand_axis_up(q, np.array([0.0, 0.0, 2.0]))  # any length
    assert up[:3] == pytest.approx(np.ones(3))
    assert up[3:] == pytest.approx(np.zeros(3), abs=1e-12)


def test_the_bound_runs_only_after_the_last_run_and_only_where_the_axes_part() -> None:
    t = np.arange(0.0, 100.0, 1.0 / RATE_HZ)
    runs = _runs((0.0, 5.0), (30.0, 35.0))
    up_thigh = np.where(t < 50.0, 1.0, 0.0)  # the thigh lies level from 50 s
    up_pelvis = np.ones(t.size)
    bound = stand_turn_bound_rad(t, runs, -0.005, up_thigh, up_pelvis)
    assert np.all(bound[t < 50.0] == 0.0)  # standing alike: the anchors' blind spot, no run
    assert bound[-1] == pytest.approx(0.005 * (t[-1] - 50.0), rel=0.01)


def test_no_shared_turn_or_no_run_gives_no_bound() -> None:
    t = np.arange(0.0, 50.0, 1.0 / RATE_HZ)
    level, upright = np.zeros(t.size), np.ones(t.size)
    assert not stand_turn_bound_rad(t, _runs((0.0, 5.0)), 0.0, level, upright).any()
    empty = AnchorRuns(np.zeros(0), np.zeros(0), np.zeros(0))
    assert not stand_turn_bound_rad(t, empty, 0.01, level, upright).any()


def test_the_stand_turn_leaves_a_level_hip_adduction_uncertain_and_timed() -> None:
    t = np.arange(0.0, 130.0, 1.0 / RATE_HZ)
    runs = _runs((0.0, 6.0), (33.0, 35.0))  # two stands that agree: no drift seen
    thigh_up = np.where(t < 40.0, 1.0, 0.0)  # then a long sit, the thigh level
    assert hip_drift_doubts(t, thigh_up, runs, "right") == {}
    turned = stand_turn_bound_rad(t, runs, 0.006, thigh_up, np.ones(t.size))
    found = hip_drift_doubts(t, thigh_up, runs, "right", turned)
    assert set(found) == {"adduction"}
    assert STAND_TURN_WORDS in found["adduction"]["reason"]
    timed = hip_drift_timed(t, thigh_up, runs, "right", None, turned)
    assert set(timed) == {"adduction"}
    late = t > 40.0 + np.deg2rad(4.0) / 0.006 + 1.0  # level from 40 s
    assert np.all(timed["adduction"].bound_deg[late] > 4.0)
    assert np.all(timed["adduction"].bound_deg[t < 35.0] == 0.0)
