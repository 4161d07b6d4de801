"""A knee-centre stretch votes only where the leg turned about horizontal axes (test 2c).

A turn on the spot turns a straight standing leg as one about the vertical: both candidate
headings fit its accelerations alike, so what decides between them there is the sensors' own
errors (held-out 84003). Synthetic rates and orientations: the two functions are checked
directly, and a stretch that only turns about the vertical never votes.
"""

from __future__ import annotations

import numpy as np

from analysis.angles import rotations as rot
from analysis.angles.calibration_knee import (
    TILT_ACC_MIN_RAD_S2,
    SensorSeries,
    horizontal_turn_rad_s2,
    stretch_votes,
    tilted_enough,
    window_vote,
)

RATE_HZ = 100.0
N = 1000


def _turn(axis_E: np.ndarray, amp_rad: float, period_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Rates (sensor frame) and orientation matrices of a sensor rocking about ``axis_E``.

    The sensor starts tilted (so its own axes are not the earth's); the angle is
    ``amp · sin(2πt/T)`` about the fixed earth axis.
    """
    t = np.arange(N) / RATE_HZ
    w = 2.0 * np.pi / period_s
    angle = amp_rad * np.sin(w * t)
    rate = amp_rad * w * np.cos(w * t)
    q0 = rot.from_axis_angle([0.3, 1.0, 0.2], 0.8)
    q = np.array([rot.multiply(rot.from_axis_angle(axis_E, a), q0) for a in angle])
    r_E_S = rot.to_matrix(q)
    gyr_S = np.einsum("nji,j->ni", r_E_S, np.asarray(axis_E, dtype=np.float64)) * rate[:, None]
    return gyr_S, r_E_S


def _series(gyr: np.ndarray, r_E_S: np.ndarray, acc: np.ndarray | None = None) -> SensorSeries:
    acc = np.zeros((N, 3)) if acc is None else acc
    return SensorSeries(acc, gyr, r_E_S, np.ones(N, dtype=bool))


def test_a_turn_about_the_vertical_has_no_horizontal_angular_acceleration():
    gyr, r = _turn(np.array([0.0, 0.0, 1.0]), 1.0, 4.0)
    assert np.max(horizontal_turn_rad_s2(gyr, r, RATE_HZ)[20:-20]) < 1e-6


def test_a_rocking_about_a_horizontal_axis_reads_its_angular_acceleration():
    amp, period = 0.3, 2.0
    gyr, r = _turn(np.array([1.0, 0.0, 0.0]), amp, period)
    got = horizontal_turn_rad_s2(gyr, r, RATE_HZ)[20:-20]
    peak = amp * (2.0 * np.pi / period) ** 2
    assert 0.9 * peak < np.max(got) <= 1.01 * peak


def test_only_a_stretch_that_tilts_may_vote():
    spin = _series(*_turn(np.array([0.0, 0.0, 1.0]), 1.5, 3.0))
    still = _series(np.zeros((N, 3)), np.repeat(np.eye(3)[None], N, axis=0))
    rock = _series(*_turn(np.array([0.0, 1.0, 0.0]), 0.3, 2.0))
    whole = slice(0, N)
    assert not tilted_enough((spin, spin), whole, RATE_HZ)
    assert not tilted_enough((still, spin), whole, RATE_HZ)
    assert tilted_enough((still, rock), whole, RATE_HZ)
    small = _series(*_turn(np.array([0.0, 1.0, 0.0]), 0.01, 2.0))
    assert 0.01 * (2.0 * np.pi / 2.0) ** 2 < TILT_ACC_MIN_RAD_S2
    assert not tilted_enough((small, small), whole, RATE_HZ)


def test_a_turn_on_the_spot_with_errors_that_line_up_casts_no_vote():
    """Two sensors of one leg turn about the vertical; offsets fixed in each sensor's frame
    turn with it and line up at the wrong heading (0 here, the truth being π): no vote."""
    gyr, r = _turn(np.array([0.0, 0.0, 1.0]), 1.2, 5.0)
    g = np.array([0.0, 0.0, 9.81])
    off_S = r[0].T @ np.array([0.08, 0.0, 0.0])  # an offset, fixed in the sensor frame
    acc = np.einsum("nji,j->ni", r, g) + off_S
    thigh = _series(gyr, r, acc)
    shank = _series(gyr, r, acc)
    axes = (np.array([-1.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    t_s = np.arange(N) / RATE_HZ
    assert stretch_votes(shank, thigh, axes, t_s, RATE_HZ) == []


def test_the_window_still_votes_where_it_did_not_tilt():
    """The window's vote only ever takes confidence away (a veto): it is not held back."""
    gyr, r = _turn(np.array([0.0, 0.0, 1.0]), 1.2, 5.0)
    g = np.array([0.0, 0.0, 9.81])
    acc = np.einsum("nji,j->ni", r, g) + r[0].T @ np.array([0.08, 0.0, 0.0])
    leg = _series(gyr, r, acc)
    axes = (np.array([-1.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    assert window_vote(leg, leg, axes, slice(0, N), RATE_HZ) is not None
