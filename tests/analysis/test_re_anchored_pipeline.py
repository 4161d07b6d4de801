"""pipeline._re_anchored: a slip found by the strap check turned back where it is well read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import pipeline
from analysis.angles import rotations as rot
from analysis.angles import strap_slip as ss
from analysis.angles.timebase import UniformSession, UniformStream

RATE_HZ = 50.0


@dataclass(frozen=True)
class _Seg:
    q_S_B: np.ndarray
    acc_axis_bias_g: np.ndarray | None = None
    other_frames: tuple = ()


@dataclass(frozen=True)
class _Cal:
    segments: dict


def _mount(euler_deg) -> np.ndarray:
    return np.roll(Rotation.from_euler("xyz", euler_deg, degrees=True).inv().as_quat(), 1)


def _session(turn_deg: float, wobble_deg: float = 0.0):
    """A left knee bending for 240 s; the thigh strap turned ``turn_deg`` (hinge's sign) at
    120–123 s, about the thigh's long axis; ``wobble_deg``: the strap also creeps that much
    back and forth after it, so the hinge windows disagree."""
    t = np.arange(0.0, 240.0, 1.0 / RATE_HZ)
    rng = np.random.default_rng(3)
    w_thigh = np.zeros((t.size, 3))
    for k, (amp, f) in enumerate(((0.4, 0.31), (0.3, 0.23), (1.2, 0.17))):
        w_thigh[:, k] = amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    knee = 1.5 * np.sin(2 * np.pi * 0.41 * t) + 0.8 * np.sin(2 * np.pi * 0.13 * t + 1.0)
    w_shank = w_thigh + knee[:, None] * np.array([0.0, 0.0, 1.0])
    q = {"left_thigh": _mount([20.0, -35.0, 70.0]), "left_shank": _mount([-15.0, 50.0, 10.0])}
    # the strap's own turn about the segment's y (against the leg: −turn of the hinge's read)
    strap = -turn_deg * np.clip((t - 120.0) / 3.0, 0.0, 1.0)
    strap = strap + wobble_deg * np.sin(2 * np.pi * t / 40.0) * (t > 130.0)
    strap_rate = np.gradient(np.deg2rad(strap), t)
    mount_t = Rotation.from_quat(np.roll(q["left_thigh"], -1))
    turned = mount_t * Rotation.from_rotvec(np.deg2rad(-strap)[:, None] * [0.0, 1.0, 0.0])
    gyr_t = turned.apply(w_thigh + strap_rate[:, None] * [0.0, 1.0, 0.0])
    gyr_s = Rotation.from_quat(np.roll(q["left_shank"], -1)).apply(w_shank)
    ones = np.ones(t.size, dtype=bool)
    streams = {
        "left_thigh": UniformStream("left_thigh", np.zeros((t.size, 3)), gyr_t, ones),
        "left_shank": UniformStream("left_shank", np.zeros((t.size, 3)), gyr_s, ones),
    }
    session = UniformSession(t_s=t, rate_hz=RATE_HZ, streams=streams, gaps=())
    return session, _Cal(segments={p: _Seg(q_S_B=v) for p, v in q.items()})


def _found(session, cal):
    gyr = {p: s.gyr_rad_s for p, s in session.streams.items()}
    q = {p: s.q_S_B for p, s in cal.segments.items()}
    return ss.find_slips(session.t_s, gyr, q, from_s=40.0, rate_hz=RATE_HZ)


def _level(session):
    """Every sensor's orientation the identity at every row."""
    n = session.t_s.size
    return {p: np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)) for p in session.streams}


def _re_anchor(session, cal, slips, q_E_S):
    """:func:`pipeline._re_anchored` with no gyroscope bias."""
    zero = {p: np.zeros(3) for p in session.streams}
    return pipeline._re_anchored(session, zero, cal, slips, q_E_S)


def test_a_well_read_thigh_turn_is_turned_back_from_when_it_happened():
    session, cal = _session(40.0)
    slips = _found(session, cal)
    assert [s.placement for s in slips] == ["left_thigh"]
    q_E_S = _level(session)
    out, cal_out, anchored, left = _re_anchor(session, cal, slips, q_E_S)
    assert left == []
    ((slip, span),) = anchored
    assert slip.turn_deg == pytest.approx(40.0, abs=1.0)
    assert 119.5 <= span.start_s <= 121.0
    assert 122.0 <= span.end_s <= 123.5
    t = session.t_s
    # before: untouched; after: turned back by the turn about the thigh's long axis
    assert np.all(out["left_thigh"][t < span.start_s] == [1.0, 0.0, 0.0, 0.0])
    long_S = ss.long_axis_in_sensor(cal.segments["left_thigh"].q_S_B)
    want = rot.from_axis_angle(long_S, np.deg2rad(slip.turn_deg))
    assert np.allclose(out["left_thigh"][t > span.end_s], want)
    np.testing.assert_array_equal(out["left_shank"], q_E_S["left_shank"])
    assert cal_out.segments["left_thigh"].acc_axis_bias_g is None
    words = pipeline.re_anchor_words(slip, span)
    assert span.middle_s == pytest.approx(121.5, abs=0.5)
    when = ss.clock_words(span.middle_s)
    assert f"left thigh sensor seems to have turned on its strap at about {when}" in words
    assert "by about 40°" in words


def test_a_turn_the_windows_disagree_on_is_left_to_be_doubted():
    session, cal = _session(40.0, wobble_deg=10.0)
    slips = _found(session, cal)
    assert [s.placement for s in slips] == ["left_thigh"]
    q_E_S = _level(session)
    out, cal_out, anchored, left = _re_anchor(session, cal, slips, q_E_S)
    assert anchored == []
    assert [s.unread for s in left] == [pipeline.UNREAD_TURN]
    assert ss.slip_reason(left[0]).endswith(f"from then on ({pipeline.UNREAD_TURN})")
    assert out is q_E_S
    assert cal_out is cal


def test_a_turn_seen_in_one_stretch_of_bending_is_not_read_again():
    """A step the hinge windows of one stretch show alone (``Slip.one_stretch``) is doubted,
    never turned back: one stretch cannot say how the sensor sits now."""
    from dataclasses import replace

    session, cal = _session(40.0)
    slips = [replace(s, one_stretch=True) for s in _found(session, cal)]
    assert [s.placement for s in slips] == ["left_thigh"]
    q_E_S = _level(session)
    out, cal_out, anchored, left = _re_anchor(session, cal, slips, q_E_S)
    assert anchored == []
    assert left == slips
    assert out is q_E_S
    assert cal_out is cal


def test_a_thigh_turn_read_loosely_is_turned_back_and_doubted_as_far_as_it_may_be_off():
    """A 40° thigh turn whose strap then creeps ±5°: its windows read it too loosely to trust
    every angle (twice their standard error past 2°), but within 8° of their median, which
    moves a flexion by about 0.5° at most: the sensor is turned back, and the slip is kept to
    be doubted by that bound (hip adduction and rotation), not by the whole turn."""
    session, cal = _session(40.0, wobble_deg=5.0)
    slips = _found(session, cal)
    assert [s.placement for s in slips] == ["left_thigh"]
    q_E_S = _level(session)
    out, cal_out, anchored, left = _re_anchor(session, cal, slips, q_E_S)
    assert anchored == []
    ((slip,),) = (left,)
    assert slip.unread == ""
    assert slip.turn_deg == pytest.approx(40.0, abs=2.0)
    assert 2.0 < slip.reread_within_deg <= 15.1
    assert 120.0 <= slip.at_s <= 123.0  # when half the gyroscopes' step was made
    t = session.t_s
    assert np.all(out["left_thigh"][t < 119.0] == [1.0, 0.0, 0.0, 0.0])
    long_S = ss.long_axis_in_sensor(cal.segments["left_thigh"].q_S_B)
    want = rot.from_axis_angle(long_S, np.deg2rad(slip.turn_deg))
    assert np.allclose(out["left_thigh"][t > 124.0], want)
    assert cal_out.segments["left_thigh"].acc_axis_bias_g is None
    columns = [
        "left_hip_flexion_deg",
        "left_hip_adduction_deg",
        "left_hip_internal_rotation_deg",
        "left_knee_flexion_deg",
    ]
    assert sorted(ss.slip_uncertain([slip], columns)) == [
        "left_hip_adduction_deg",
        "left_hip_internal_rotation_deg",
    ]


def test_a_shank_turn_read_loosely_is_not_read_again():
    """A shank's slip doubts every angle it measures whatever its size: a rough reading is not
    tried (:func:`pipeline._rough_thigh_turn`)."""
    span = pipeline.TurnSpan(start_s=120.0, end_s=123.0, twist_deg=-40.0, middle_s=121.5)
    steps = tuple(ss.AxisTurn(t0_s=t0, turn_deg=v) for t0, v in ((130.0, 36.0), (160.0, 41.0)))
    thigh = ss.Slip(placement="left_thigh", at_s=130.0, turn_deg=38.5, steps=steps)
    assert pipeline._rough_thigh_turn(thigh, span) is not None
    shank = ss.Slip(placement="left_shank", at_s=130.0, turn_deg=38.5, steps=steps)
    assert pipeline._rough_thigh_turn(shank, span) is None
