"""analysis.angles.re_anchor: a sensor turned on its strap, read again as it sits after."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import re_anchor as ra
from analysis.angles import rotations as rot
from analysis.angles import strap_slip as ss

RATE_HZ = 100.0


def _q(r: Rotation) -> np.ndarray:
    """A scipy rotation as the pipeline's quaternions (scalar first)."""
    return np.roll(r.as_quat(), 1, axis=-1)


def test_twist_is_the_turned_sensors_rate_about_its_long_axis_less_the_others():
    long_a, long_b = np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0])
    a = np.array([[0.3, 1.0, 0.2], [0.0, 0.5, 0.0], [np.nan, 0.0, 0.0]])
    b = np.array([[0.4, 0.1, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])
    out = ra.long_axis_twist_rad_s(a, b, long_a, long_b)
    # 1.0 − 0.4; the leg turning about both long axes alike: nothing; a missing row: nothing
    np.testing.assert_allclose(out, [0.6, 0.0, 0.0])


def _twist(turn_deg: float, at_s: float = 20.0, ramp_s: float = 3.0, seed: int = 1):
    """A 60-s twist: a ramp of ``turn_deg`` at ``at_s`` over ``ramp_s``, slow sway and noise."""
    t = np.arange(0.0, 60.0, 1.0 / RATE_HZ)
    rng = np.random.default_rng(seed)
    w = 0.05 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0.0, 0.01, t.size)
    ramp = (t >= at_s) & (t < at_s + ramp_s)
    w[ramp] += np.deg2rad(turn_deg) / ramp_s
    return t, w


def test_turn_span_finds_when_and_how_far_the_sensor_turned():
    t, w = _twist(-40.0)
    # the hinge reads the turn the other way round (+40°)
    span = ra.turn_span(t, w, start_s=5.0, end_s=55.0, turn_deg=40.0)
    assert span is not None
    assert 19.0 <= span.start_s <= 20.1
    assert 22.9 <= span.end_s <= 24.0
    assert span.middle_s == pytest.approx(21.5, abs=0.3)
    assert span.twist_deg == pytest.approx(-40.0, abs=1.5)
    assert ra.twist_agrees(span.twist_deg, 40.0)


def test_turn_span_finds_no_step_the_other_way_to_agree():
    t, w = _twist(-40.0)
    span = ra.turn_span(t, w, start_s=5.0, end_s=55.0, turn_deg=-40.0)
    assert span is None or not ra.twist_agrees(span.twist_deg, -40.0)
    assert ra.turn_span(t, w, start_s=70.0, end_s=80.0, turn_deg=40.0) is None


@pytest.mark.parametrize(
    ("twist", "turn", "agree"),
    [(-40.0, 40.0, True), (-36.1, 40.0, True), (-35.9, 40.0, False), (-86.0, 90.0, True),
     (-85.9, 90.0, False), (47.05, -52.6, False), (40.0, 40.0, False)],
)  # fmt: skip
def test_twist_agrees_within_twice_the_precision(twist, turn, agree):
    assert ra.twist_agrees(twist, turn) is agree


def _steps(values, t0=(100.0, 110.0, 130.0, 150.0)):
    return tuple(ss.AxisTurn(t0_s=t, turn_deg=v) for t, v in zip(t0, values, strict=True))


def test_settled_turn_leaves_out_the_window_that_straddles_the_turn():
    settled = ra.settled_turn(_steps([13.0, 63.7, 62.4, 62.3]), after_s=105.0)
    assert settled is not None
    # 110, 130 and 150 s: 20-s windows that do not overlap, three separate reads
    assert settled.windows == 3
    assert settled.turn_deg == pytest.approx(62.4)
    sd = np.std([63.7, 62.4, 62.3], ddof=1)
    assert settled.precision_deg == pytest.approx(2.0 * sd / np.sqrt(3.0))


def test_settled_turn_refuses_a_turn_read_loosely_or_in_one_stretch():
    # two separate windows 2.9° apart (the stranger's 2109): ± 2.9°, over 2°
    loose = _steps([32.97, 30.09], t0=(132.0, 172.0))
    assert ra.settled_turn(loose, after_s=0.0) is None
    # one window after the turn only
    assert ra.settled_turn(_steps([13.0, 63.7, 62.4, 62.3]), after_s=140.0) is None
    # two overlapping windows: one stretch of bending
    assert ra.settled_turn(_steps([62.0, 62.2], t0=(100.0, 110.0)), after_s=0.0) is None


def test_flexion_turn_is_the_turn_error_that_moves_a_flexion_by_1_degree():
    assert ss.flexion_error_bound_deg(ra.FLEXION_TURN_DEG) == pytest.approx(1.0)
    assert 15.0 < ra.FLEXION_TURN_DEG < 15.1


def test_rough_turn_bounds_the_turn_by_every_read_of_it():
    # the stranger's 2269 (left thigh -41.8°): windows 35.8, 41.79, 41.73 after the turn,
    # two of them separate, the gyroscopes' step -41.03: too loose for settled_turn
    steps = _steps([35.8, 41.79, 41.73], t0=(126.4, 166.4, 176.4))
    assert ra.settled_turn(steps, after_s=109.6) is None
    rough = ra.rough_turn(steps, after_s=109.6, twist_deg=-41.03)
    assert rough is not None
    assert rough.turn_deg == pytest.approx(41.73)
    assert rough.windows == 2
    # the farthest read, 35.8, lies 5.93° from the median; twice that for an error shared
    assert rough.precision_deg == pytest.approx(2.0 * (41.73 - 35.8))
    # the gyroscopes' step counts as a read: far off, the bound grows past the flexions' 15°
    assert ra.rough_turn(steps, after_s=109.6, twist_deg=-30.0) is None


def test_rough_turn_refuses_one_stretch_and_reads_too_far_apart():
    # two overlapping windows: one stretch of bending
    assert ra.rough_turn(_steps([62.0, 62.2], t0=(100.0, 110.0)), 0.0, -62.0) is None
    # windows 16° apart: each 8° from their median, a bound of 16°, past what keeps a
    # flexion within 1°; 14° apart: 14°, kept
    assert ra.rough_turn(_steps([60.0, 76.0], t0=(100.0, 130.0)), 0.0, -68.0) is None
    kept = ra.rough_turn(_steps([60.0, 74.0], t0=(100.0, 130.0)), 0.0, -67.0)
    assert kept is not None
    assert kept.precision_deg == pytest.approx(14.0)
    # the straddling window is left out: 13° is before after_s
    rough = ra.rough_turn(_steps([13.0, 63.7, 62.4, 62.3]), after_s=105.0, twist_deg=-62.4)
    assert rough is not None
    assert rough.precision_deg == pytest.approx(2.0 * 1.3)


def test_span_end_is_the_end_of_the_first_window_that_reads_the_turn():
    # the stranger's 2229 (MetaBase file): two windows straddling the re-strap read 173° and
    # 169°, the first that reads the 84° turn starts at 134.9 s
    steps = _steps([173.33, 169.18, 83.9, 82.34], t0=(94.9, 104.9, 134.9, 144.9))
    assert ra.span_end_s(steps, 83.9, 20.0) == pytest.approx(154.9)
    # a first window that reads it: its own end, as before
    assert ra.span_end_s(_steps([80.0, 83.9], t0=(94.9, 104.9)), 83.9, 20.0) == pytest.approx(114.9)
    assert ra.span_end_s((), 83.9, 20.0) == -np.inf


def test_turned_back_follows_the_gyroscopes_through_the_span():
    t, w = _twist(-40.0)
    span = ra.turn_span(t, w, start_s=5.0, end_s=55.0, turn_deg=40.0)
    back = ra.turned_back_deg(t, w, span, 41.0)
    assert np.all(back[t < span.start_s] == 0.0)
    assert np.all(back[t > span.end_s] == 41.0)
    inside = back[(t >= span.start_s) & (t <= span.end_s)]
    assert np.all((inside >= 0.0) & (inside <= 41.0))
    assert np.interp(span.middle_s, t, back) == pytest.approx(20.5, abs=1.5)


def test_turning_a_re_strapped_sensor_back_gives_the_segment_with_the_old_mounting():
    rng = np.random.default_rng(4)
    q_E_B = _q(Rotation.random(50, random_state=rng))
    mount = Rotation.from_euler("xyz", [20.0, -35.0, 70.0], degrees=True)
    q_S_B = _q(mount)
    theta = 57.0
    q_S_B_new = rot.multiply(q_S_B, rot.from_axis_angle([0.0, 1.0, 0.0], np.deg2rad(theta)))
    q_E_S = rot.multiply(q_E_B, rot.conjugate(q_S_B_new))
    # the hinge seen from the sensor turned by θ about the long axis (strap_slip's sign)
    j_old, j_new = ss.hinge_axis_in_sensor(q_S_B), ss.hinge_axis_in_sensor(q_S_B_new)
    long_S = ss.long_axis_in_sensor(q_S_B)
    assert ss.turn_about_long_axis_deg(j_new, j_old, long_S) == pytest.approx(theta)
    back = ra.turned_back(q_E_S, long_S, np.full(50, theta))
    assert np.max(np.rad2deg(rot.angle_between(rot.multiply(back, q_S_B), q_E_B))) < 1e-6
    # rows with nothing to turn back are left as they were
    same = ra.turned_back(q_E_S, long_S, np.zeros(50))
    np.testing.assert_array_equal(same, q_E_S)
