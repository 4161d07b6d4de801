"""A gyroscope bias read at the sensor's rests, and the heading a filter tracking it makes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles.heading import (
    AnchorRuns,
    bias_turn_rad,
    fast_turn_rad,
    filter_turn_rad,
    rest_bias_rad_s,
    wander_bound_rad,
)

RATE_HZ = 100.0
G = 9.81


def _wxyz(r: Rotation) -> np.ndarray:
    return r.as_quat()[:, [3, 0, 1, 2]]


def _still(n: int, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An upright sensor at rest for ``n`` rows: its specific force and its rates (the bias)."""
    return np.tile([0.0, 0.0, G], (n, 1)), np.tile(bias, (n, 1))


def _on_side(n: int, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A sensor at rest on its side (its x axis up) for ``n`` rows."""
    return np.tile([G, 0.0, 0.0], (n, 1)), np.tile(bias, (n, 1))


def test_a_rest_reads_the_bias_across_its_vertical_only() -> None:
    n = 1000  # 10 s upright at rest, reading 0.01, 0.02 and 0.03 rad/s less the stand's
    acc, gyr = _still(n, np.array([0.01, 0.02, 0.03]))
    b = rest_bias_rad_s(acc, gyr, np.ones(n, bool), RATE_HZ, np.array([0.0, 0.0, 0.0]))
    # about z (up here) a slow turn of the limb reads the same: left as the stand's (0)
    assert b[500] == pytest.approx([0.01, 0.02, 0.0], rel=0.02)


def test_rests_in_two_postures_read_the_whole_bias_and_a_far_one_is_kept() -> None:
    n = 1000
    bias = np.array([0.01, 0.02, 0.03])
    acc1, gyr1 = _still(n, bias + 0.005)  # the stand's bias 0.005 about every axis
    acc2, gyr2 = _on_side(n, bias + 0.005)
    rng = np.random.default_rng(1)
    acc_m = np.tile([0.0, 0.0, G], (n, 1)) + rng.normal(0.0, 1.0, (n, 3))
    gyr_m = rng.normal(0.0, 0.5, (n, 3))
    acc = np.vstack([acc1, acc_m, acc2])
    gyr = np.vstack([gyr1, gyr_m, gyr2])
    b = rest_bias_rad_s(acc, gyr, np.ones(3 * n, bool), RATE_HZ, np.full(3, 0.005))
    assert b[1500] == pytest.approx(bias, rel=0.02)
    # 10 min of movement between the two rests: half way, no rest within a minute, the
    # upright rest's reading is kept (its z unread)
    far_acc = np.vstack([acc1, np.tile(acc_m, (60, 1)), acc2])
    far_gyr = np.vstack([gyr1, np.tile(gyr_m, (60, 1)), gyr2])
    b = rest_bias_rad_s(
        far_acc, far_gyr, np.ones(far_acc.shape[0], bool), RATE_HZ, np.full(3, 0.005)
    )
    assert b[31000] == pytest.approx([0.01, 0.02, 0.0], rel=0.02)


def test_a_moving_or_short_or_invalid_stretch_reads_nothing() -> None:
    n = 1000
    rng = np.random.default_rng(2)
    acc = np.tile([0.0, 0.0, G], (n, 1)) + rng.normal(0.0, 1.0, (n, 3))
    gyr = 0.02 + rng.normal(0.0, 0.5, (n, 3))
    assert not rest_bias_rad_s(acc, gyr, np.ones(n, bool), RATE_HZ).any()
    acc[400:600], gyr[400:600] = _still(200, np.array([0.05, 0.0, 0.0]))  # 2 s: too short
    assert not rest_bias_rad_s(acc, gyr, np.ones(n, bool), RATE_HZ).any()
    acc[400:800], gyr[400:800] = _still(400, np.array([0.05, 0.0, 0.0]))  # 4 s
    read = rest_bias_rad_s(acc, gyr, np.ones(n, bool), RATE_HZ)[600, 0]
    assert read == pytest.approx(0.05, rel=0.03)
    valid = np.ones(n, bool)
    valid[::50] = False  # a gap in every block
    assert not rest_bias_rad_s(acc, gyr, valid, RATE_HZ).any()


def test_a_bias_turns_the_heading_by_its_vertical_component_only() -> None:
    n = 500
    side = _wxyz(Rotation.from_euler("y", np.full((n, 1), -90.0), degrees=True))  # x axis up
    bias = np.tile([0.01, 0.02, 0.0], (n, 1))
    assert bias_turn_rad(side, bias, RATE_HZ)[-1] == pytest.approx(0.01 * (n - 1) / RATE_HZ)
    upright = _wxyz(Rotation.identity(n))
    assert np.max(np.abs(bias_turn_rad(upright, bias, RATE_HZ))) < 1e-12


def _tracked_bias_across_a_tilt() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A sensor whose bias moved 0.6 °/s since the stand (about its own x axis), upright
    for 100 s, then lying on its side (x up) for 100 s, then upright again, at rest throughout;
    a filter that tracked that bias rightly holds its heading. Returns t, q, acc, gyr."""
    n = 10000
    t = np.arange(3 * n) / RATE_HZ
    tilt = np.zeros(3 * n)
    tilt[n : 2 * n] = -90.0
    r = Rotation.from_euler("y", tilt[:, None], degrees=True)
    up_in_sensor = r.inv().apply([0.0, 0.0, G])
    gyr = np.tile(np.deg2rad([0.6, 0.0, 0.0]), (3 * n, 1))
    return t, _wxyz(r), up_in_sensor, gyr


def test_a_rightly_tracked_bias_across_a_tilt_is_no_wander() -> None:
    t, q, acc, gyr = _tracked_bias_across_a_tilt()
    runs = AnchorRuns(np.array([0.0, 290.0]), np.array([4.0, 299.0]), np.zeros(2))
    turn = filter_turn_rad(q, gyr, RATE_HZ)
    # the bias turns the heading only while its axis is up: a straight line over two
    # minutes cannot follow that, so the filter's turn alone reads as wander
    assert np.rad2deg(wander_bound_rad(t, runs, turn)).max() > 4.0
    rest = rest_bias_rad_s(acc, gyr, np.ones(t.size, bool), RATE_HZ)
    left = turn - bias_turn_rad(q, rest, RATE_HZ)
    assert np.rad2deg(np.max(np.abs(fast_turn_rad(t, left)))) < 0.05
    assert np.rad2deg(wander_bound_rad(t, runs, left)).max() < 0.05


def test_a_filter_swing_while_the_sensor_rests_stays() -> None:
    """A filter that turned its heading away and back while its (ideal) sensor rested."""
    n = 20000
    t = np.arange(n) / RATE_HZ
    swing = np.deg2rad(5.0) * np.sin(np.pi * np.clip((t - 40.0) / 40.0, 0.0, 1.0))
    q = _wxyz(Rotation.from_euler("z", -swing[:, None]))
    acc, gyr = _still(n, np.zeros(3))
    rest = rest_bias_rad_s(acc, gyr, np.ones(n, bool), RATE_HZ)
    left = filter_turn_rad(q, gyr, RATE_HZ) - bias_turn_rad(q, rest, RATE_HZ)
    runs = AnchorRuns(np.array([0.0, 190.0]), np.array([4.0, 199.0]), np.zeros(2))
    assert np.rad2deg(wander_bound_rad(t, runs, left)).max() > 3.0


def test_a_slow_tilt_at_rest_is_no_bias() -> None:
    """0.05 °/s about the sensor's x axis for 20 s: its spreads pass, its accelerometer tilts."""
    n = 2000
    t = np.arange(n) / RATE_HZ
    omega = np.deg2rad(0.05)
    r = Rotation.from_euler("x", omega * t[:, None])
    acc = r.inv().apply([0.0, 0.0, G])
    gyr = np.tile([omega + 0.002, 0.0, 0.0], (n, 1))  # the turn and a bias of 0.002 rad/s
    b = rest_bias_rad_s(acc, gyr, np.ones(n, bool), RATE_HZ)
    assert b[1000, 0] == pytest.approx(0.002, abs=2e-5)
