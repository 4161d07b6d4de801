"""A coupled knee whose small bends do not fix its axis: the axis from the bends' trend.

A tibia turning ``c`` per unit of knee flexion turns the thigh's view of the knee's axis in
the level plane by about ``c·mean(sin θ)`` over the bends fitted, so the fits over the bends at
most 15, 20, … 40° lie on a line that runs toward the whole window's axis as the limit grows;
at a limit of 0 it is the straight knee's axis
(:func:`analysis.angles.calibration_hinge.coupling_trend_axis`). These tests give it fits
whose thigh axes lie on such a line and check what it reads, and when it refuses.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration_hinge import (
    COUPLED_TURN_DEG,
    LOOSE_AXIS_SLACK_DEG,
    MIN_KNEE_ROTATION_DEG,
    TREND_BEND_LIMITS_DEG,
    HingeFit,
    coupling_trend_axis,
    deep_bends_misfit,
    signed_level_turn_deg,
    turned_about,
)
from tests.analysis.builders import calibrated_knee

X, Y, Z = np.eye(3)
RATE_HZ = 100.0
MOUNT_THIGH = rot.normalize(np.array([0.7, 0.3, -0.5, 0.4]))  # q_B_S, any strapping
MOUNT_SHANK = rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2)


def _fit(turn_deg: float, *, lean_deg: float = 5.0, weakest: float = 0.1, resid: float = 0.001):
    """A knee fit whose thigh axis is Z turned ``turn_deg`` about Y (up) and leaned toward it."""
    level = turned_about(Z, Y, turn_deg)
    lean = np.deg2rad(lean_deg)
    j = np.cos(lean) * level + np.sin(lean) * Y
    return HingeFit(
        j_prox_S=j,
        j_dist_S=Z,
        residual_rad_s=resid,
        spread_rad_s=0.1,
        weakest_rad_s=weakest,
        samples=500,
        weakest_dist_rad_s=0.1,
    )


def test_signed_level_turn_and_turned_about_agree():
    for deg in (-40.0, -3.0, 0.0, 2.5, 60.0):
        v = turned_about(Z + 0.3 * Y, Y, deg)  # the lean is dropped, the turn kept
        assert abs(float(v @ Y)) < 1e-12
        assert signed_level_turn_deg(Z, v, Y) == pytest.approx(deg, abs=1e-9)
        assert signed_level_turn_deg(Z, -v, Y) == pytest.approx(deg, abs=1e-9)  # signs free


@pytest.mark.parametrize("straight_deg", [0.0, 2.0, -3.0])
@pytest.mark.parametrize("per_deg", [0.08, -0.06])
def test_the_trend_read_at_a_straight_knee(straight_deg, per_deg):
    # the fits' turns grow with the bend limit by ``per_deg`` per degree from the straight
    # knee's axis; the whole window's lies farther along (its bends the deepest)
    whole = _fit(straight_deg + per_deg * 60.0, resid=0.01)
    fits = [(lim, _fit(straight_deg + per_deg * lim), 80.0) for lim in TREND_BEND_LIMITS_DEG]
    found = coupling_trend_axis(whole, fits, Y)
    assert found is not None
    axis, base = found
    assert signed_level_turn_deg(Z, axis, Y) == pytest.approx(straight_deg, abs=1e-6)
    assert abs(float(axis @ Y)) < 1e-12  # level: the lean is the coupling's
    assert base is fits[0][1]  # the smallest limit's fit gives the rest


def test_the_smallest_bends_need_not_be_firm():
    whole = _fit(4.0, resid=0.01)
    fits = [(lim, _fit(0.05 * lim), 80.0) for lim in TREND_BEND_LIMITS_DEG]
    fits[0] = (fits[0][0], _fit(3.0, weakest=0.005), 80.0)  # loose, and off the line
    axis, base = coupling_trend_axis(whole, fits, Y)
    assert signed_level_turn_deg(Z, axis, Y) == pytest.approx(0.0, abs=1e-6)
    assert base is fits[1][1]


def test_too_few_firm_fits_read_no_trend():
    whole = _fit(4.0, resid=0.01)
    line = [(lim, _fit(0.05 * lim), 80.0) for lim in TREND_BEND_LIMITS_DEG]
    assert coupling_trend_axis(whole, line, Y) is not None
    # slack: 0.01 · spread / weakest past the loose limit
    weak = 0.01 * 0.1 / np.deg2rad(LOOSE_AXIS_SLACK_DEG) * 0.9
    loose = [(lim, _fit(0.05 * lim, weakest=weak), 80.0) for lim in TREND_BEND_LIMITS_DEG]
    assert coupling_trend_axis(whole, line[:2] + loose[2:], Y) is None
    little = MIN_KNEE_ROTATION_DEG - 1.0
    assert coupling_trend_axis(whole, [(lim, f, little) for lim, f, _ in line], Y) is None
    assert coupling_trend_axis(whole, line[:2], Y) is None


def test_a_trend_away_from_the_whole_window_is_no_coupling_s():
    # seed 944's kind: the whole window's axis off one way, the deeper bends turning the other
    whole = _fit(-8.0, resid=0.01)
    fits = [(lim, _fit(0.1 * lim), 80.0) for lim in TREND_BEND_LIMITS_DEG]
    assert coupling_trend_axis(whole, fits, Y) is None


def test_a_trend_that_ends_at_the_whole_window_s_axis_changes_nothing():
    # the line at 0 within COUPLED_TURN_DEG of the whole window's axis: no coupling to remove
    whole = _fit(0.8 * COUPLED_TURN_DEG, resid=0.01)
    near = [(lim, _fit(0.8 * COUPLED_TURN_DEG * lim / 60.0), 80.0) for lim in TREND_BEND_LIMITS_DEG]
    assert coupling_trend_axis(whole, near, Y) is None
    start = 0.8 * COUPLED_TURN_DEG - 1.3 * COUPLED_TURN_DEG  # the line at 0: 1.3× from the whole
    far = [
        (lim, _fit(start + 1.3 * COUPLED_TURN_DEG * lim / 60.0), 80.0)
        for lim in TREND_BEND_LIMITS_DEG
    ]
    axis, _ = coupling_trend_axis(whole, far, Y)
    assert signed_level_turn_deg(Z, axis, Y) == pytest.approx(start, abs=1e-6)


def test_deep_bends_misfit_is_the_residual_test_alone():
    small = _fit(0.0, weakest=0.001, resid=0.001)  # loose: coupling_shown would refuse it
    assert deep_bends_misfit(_fit(0.5, resid=0.0025), small)  # whatever the turn
    assert not deep_bends_misfit(_fit(3.0, resid=0.0015), small)  # residual ratio ≤ 2


def _two_fast_bends(coupling: float) -> tuple[np.ndarray, np.ndarray]:
    """``q_G_thigh``, ``q_G_shank``: 4 s of stand, two knee bends of 1 s to 90° with the foot
    planted (the tibia's turn taken by the thigh, about its long axis), one leg swing of ±30°
    with the knee nearly straight: the bends pass their first 15° too fast to fix the axis."""
    n = int(9.0 * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    bend = np.clip(t - 4.0, 0.0, 2.0)
    swing = np.clip((t - 6.0) / 2.0, 0.0, 1.0)
    knee = np.deg2rad(90.0) * np.sin(np.pi * (bend % 1.0)) * (bend < 2.0)
    knee = knee + np.deg2rad(5.0) * np.sin(np.pi * (swing % 1.0)) ** 2 * (swing < 1.0)
    flex = (0.25 + 0.1 * np.floor(bend)) * knee * (t < 6.0)
    flex = flex + np.deg2rad(30.0) * np.sin(np.pi * swing / 2.0) * (t >= 6.0)
    turn = -coupling * knee * (t < 6.0)
    q_thigh = rot.multiply(rot.from_axis_angle(Z, flex), rot.from_axis_angle(Y, turn))
    q_knee = rot.multiply(rot.from_axis_angle(Z, -knee), rot.from_axis_angle(Y, coupling * knee))
    return q_thigh, rot.multiply(q_thigh, q_knee)


@pytest.mark.parametrize("coupling", [0.0, 0.1])
def test_a_coupled_knee_with_loose_small_bends_gets_the_straight_knee_s_axis(coupling):
    # coupling 0.1: the whole window's fit turns the thigh's axis 8.8° (main: kept, and the
    # thigh's tilt doubted by the loose coupling); the bends' trend reads it within 0.5°
    q_t, q_s = _two_fast_bends(coupling)
    cal, _ = calibrated_knee(q_t, q_s, (MOUNT_THIGH, MOUNT_SHANK), bias_deg=0.0)
    seg = cal.segments["right_thigh"]
    v = rot.rotate(MOUNT_THIGH, rot.to_matrix(seg.q_S_B)[:, 2])
    v = v if v[2] >= 0.0 else -v
    assert seg.axis_source == "knee hinge"
    assert seg.tilt_doubt is None
    assert abs(np.rad2deg(np.arctan2(v[0], v[2]))) < 0.5
    assert abs(np.rad2deg(np.arcsin(v[1]))) < 0.5
