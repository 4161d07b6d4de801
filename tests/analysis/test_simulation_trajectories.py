"""Trajectory building blocks: analytic derivatives agree with finite differences, continuity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.simulation.chain import (
    FrameMotion,
    PointMotion,
    cross,
    offset_point,
    rotate_frame,
)
from analysis.simulation.trajectories import (
    Combination,
    Keyframes,
    Motion,
    Sum,
    SumOfSines,
    Trajectory,
    Windowed,
    minimum_jerk,
    oscillation,
)


def _fd_check(traj: Trajectory, t: np.ndarray, *, h: float = 1e-6) -> tuple[float, float]:
    """Largest differences of the analytic rate/acceleration from central differences.

    Minimum-jerk keys have a jump in the third derivative, where a central difference errs by
    about h·Δjerk/2: a small step keeps that far below the tolerances used here.
    """
    m = traj.evaluate(t)
    plus, minus = traj.evaluate(t + h), traj.evaluate(t - h)
    rate_fd = (plus.angle_rad - minus.angle_rad) / (2 * h)
    acc_fd = (plus.rate_rad_s - minus.rate_rad_s) / (2 * h)
    return float(np.max(np.abs(m.rate_rad_s - rate_fd))), float(
        np.max(np.abs(m.accel_rad_s2 - acc_fd))
    )


def test_minimum_jerk_endpoints_and_shape():
    p, dp, ddp = minimum_jerk(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_allclose(p, [0.0, 0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(dp[[0, 1, 3, 4]], 0.0)
    np.testing.assert_allclose(ddp[[0, 1, 3, 4]], 0.0)
    assert dp[2] == pytest.approx(1.875)  # peak speed of a minimum-jerk move


def test_keyframes_hit_keys_at_rest_and_derivatives_match_finite_differences():
    key_t = [0.0, 1.0, 2.5, 4.0]
    key_v = [0.0, 0.8, 0.8, -0.3]
    kf = Keyframes(key_t, key_v)
    m = kf.evaluate(np.array(key_t))
    np.testing.assert_allclose(m.angle_rad, key_v)
    np.testing.assert_allclose(m.rate_rad_s, 0.0, atol=1e-12)
    np.testing.assert_allclose(m.accel_rad_s2, 0.0, atol=1e-12)
    t = np.linspace(-0.5, 4.5, 997)
    e_rate, e_acc = _fd_check(kf, t)
    assert e_rate < 1e-6
    assert e_acc < 1e-4
    # hold between equal keys, constant outside
    np.testing.assert_allclose(kf.evaluate(np.array([1.7, 9.0])).angle_rad, [0.8, -0.3])


@pytest.mark.parametrize(
    ("times", "values"),
    [([0.0, 0.0], [1.0, 2.0]), ([1.0, 0.0], [1.0, 2.0]), ([0.0, 1.0], [1.0]), ([0.0], [np.nan])],
)
def test_keyframes_reject_bad_keys(times, values):
    with pytest.raises(ValueError, match="key"):
        Keyframes(times, values)


def test_windowed_oscillation_is_smooth_and_zero_outside():
    osc = oscillation(amplitude_rad=0.3, frequency_hz=0.5, start_s=2.0, end_s=10.0, ramp_s=1.0)
    t = np.linspace(0.0, 12.0, 2401)
    e_rate, e_acc = _fd_check(osc, t)
    assert e_rate < 1e-6
    assert e_acc < 1e-4
    m = osc.evaluate(np.array([1.99, 10.01]))
    assert np.all(m.angle_rad == 0.0)
    assert np.all(m.rate_rad_s == 0.0)
    inside = osc.evaluate(np.linspace(3.0, 9.0, 601)).angle_rad
    assert inside.max() == pytest.approx(0.3, abs=1e-3)
    # the sine starts at phase 0 at start_s
    assert osc.evaluate(np.array([3.0])).angle_rad[0] == pytest.approx(0.3 * math.sin(math.pi))


def test_windowed_rejects_overlaps_and_short_windows():
    sine = SumOfSines([1.0], frequencies_hz=[1.0], phases_rad=[0.0])
    with pytest.raises(ValueError, match="overlap"):
        Windowed(sine, [(0.0, 5.0), (4.0, 8.0)], ramp_s=0.5)
    with pytest.raises(ValueError, match="2 \\* ramp_s"):
        Windowed(sine, [(0.0, 0.5)], ramp_s=0.5)


def test_sum_and_combination_are_linear():
    a = Keyframes([0.0, 2.0], [0.0, 1.0])
    b = SumOfSines([0.1, 0.05], frequencies_hz=[0.3, 1.1], phases_rad=[0.2, 1.0])
    t = np.linspace(-1.0, 3.0, 101)
    total = Sum([a, b]).evaluate(t)
    combo = Combination([(2.0, a), (-1.0, b)], constant_rad=0.5).evaluate(t)
    ma, mb = a.evaluate(t), b.evaluate(t)
    np.testing.assert_allclose(total.angle_rad, ma.angle_rad + mb.angle_rad)
    np.testing.assert_allclose(combo.accel_rad_s2, 2 * ma.accel_rad_s2 - mb.accel_rad_s2)
    np.testing.assert_allclose(combo.angle_rad, 0.5 + 2 * ma.angle_rad - mb.angle_rad)
    e_rate, e_acc = _fd_check(Sum([a, b]), t)
    assert e_rate < 1e-6
    assert e_acc < 1e-4


def _frame_from_motion(angle: Motion, n: int) -> FrameMotion:
    q0 = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
    base = FrameMotion(q0, np.zeros((n, 3)), np.zeros((n, 3)))
    f = rotate_frame(base, "y", angle)
    f = rotate_frame(
        f, "x", Motion(0.5 * angle.angle_rad, 0.5 * angle.rate_rad_s, 0.5 * angle.accel_rad_s2)
    )
    return rotate_frame(f, "z", angle, sign=-1.0)


def test_chain_propagation_matches_finite_differences():
    """ω from the recursion equals the rate of the quaternion; α and point acceleration too."""
    traj = SumOfSines([0.9, 0.3], frequencies_hz=[0.4, 1.3], phases_rad=[0.1, 2.0])
    h = 1e-5
    t = np.linspace(0.0, 3.0, 61)

    def frame(tt: np.ndarray) -> FrameMotion:
        return _frame_from_motion(traj.evaluate(tt), tt.size)

    f0, fp, fm = frame(t), frame(t + h), frame(t - h)
    # ω from quaternion derivative: ω_E = 2 q̇ ⊗ q*  (vector part)
    from analysis.angles import rotations

    qdot = (fp.q_E_B - fm.q_E_B) / (2 * h)
    omega_fd = 2 * rotations.multiply(qdot, rotations.conjugate(f0.q_E_B))[:, 1:]
    np.testing.assert_allclose(f0.omega_E_rad_s, omega_fd, atol=1e-8)
    alpha_fd = (fp.omega_E_rad_s - fm.omega_E_rad_s) / (2 * h)
    np.testing.assert_allclose(f0.alpha_E_rad_s2, alpha_fd, atol=1e-6)
    r = np.array([0.1, -0.4, 0.05])

    def point(tt: np.ndarray) -> PointMotion:
        return offset_point(frame(tt), PointMotion.zeros(tt.size), r)

    p0, pp, pm = point(t), point(t + 1e-4), point(t - 1e-4)
    a_fd = (pp.p_E_m - 2 * p0.p_E_m + pm.p_E_m) / 1e-8
    np.testing.assert_allclose(p0.a_E_m_s2, a_fd, atol=1e-4)


def test_cross_matches_numpy(rng):
    a, b = rng.standard_normal((50, 3)), rng.standard_normal((50, 3))
    np.testing.assert_allclose(cross(a, b), np.cross(a, b), atol=1e-15)
