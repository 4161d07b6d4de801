"""Uniform grid: interpolation, validity, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.timebase import outside_gaps, session_rate_hz, to_uniform_grid
from analysis.errors import InsufficientDataError
from analysis.recording.streams import SensorStream


def _stream(label, t, f=lambda t: np.sin(t)):
    v = np.column_stack([f(t), 2 * f(t), -f(t)])
    return SensorStream(placement=label, t_s=t, acc_m_s2=v, gyr_rad_s=v / 10)


def test_jittered_streams_resample_onto_one_grid(rng):
    t_a = np.arange(0, 10, 0.01) + rng.normal(0, 0.0005, 1000)
    t_b = np.arange(0.503, 10, 0.01)
    s = to_uniform_grid(
        {"pelvis": _stream("pelvis", np.sort(t_a)), "right_thigh": _stream("right_thigh", t_b)}
    )
    assert s.rate_hz == pytest.approx(100.0, abs=0.1)
    assert np.allclose(np.diff(s.t_s), 1 / s.rate_hz)
    u = s.streams["right_thigh"]
    ok = u.valid
    assert np.allclose(u.acc_m_s2[ok, 0], np.sin(s.t_s[ok]), atol=1e-3)
    # the thigh starts 0.5 s late: grid points before its first sample are invalid
    assert not u.valid[s.t_s < 0.49].any()
    assert u.valid[s.t_s > 0.51].all()


def test_gap_is_reported_and_invalid():
    t = np.arange(0, 10, 0.01)
    keep = (t < 4) | (t > 5)
    s = to_uniform_grid({"pelvis": _stream("pelvis", t[keep])}, rate_hz=100.0)
    assert len(s.gaps) == 1
    g = s.gaps[0]
    assert g.start_s == pytest.approx(3.99)
    assert g.end_s == pytest.approx(5.01)
    inside = (s.t_s > 3.995) & (s.t_s < 5.005)
    assert not s.streams["pelvis"].valid[inside].any()
    assert s.streams["pelvis"].valid[~inside].all()


def test_mixed_rates_use_the_highest():
    a = _stream("pelvis", np.arange(0, 5, 1 / 60))
    b = _stream("right_thigh", np.arange(0, 5, 1 / 104))
    assert session_rate_hz({"pelvis": a, "right_thigh": b}) == pytest.approx(104.0)


def test_too_little_data():
    with pytest.raises(InsufficientDataError):
        to_uniform_grid({"pelvis": _stream("pelvis", np.array([0.0]))})


def test_outside_gaps_keeps_the_gap_edges_and_drops_its_inside():
    t = np.arange(0.0, 2.0, 0.1)
    ok = outside_gaps(t, [(0.3, 0.8), (1.5, 1.6)], rate_hz=10.0)
    inside = (t > 0.3 + 0.025) & (t < 0.8 - 0.025)
    np.testing.assert_array_equal(ok, ~inside)  # a gap one step long removes no point
    assert outside_gaps(t, [], rate_hz=10.0).all()
    # no rounding to the nearer sample: live shows a point just after a sensor's last sample
    # without it before the next sample can say whether there was a gap, and offline agrees
    near = np.array([0.3 + 0.02, 0.8 - 0.02])
    assert not outside_gaps(near, [(0.3, 0.8)], rate_hz=10.0).any()


def test_repeats_held_back_are_received_not_silence():
    """``FrozenWatch.held_to_s``: the newest repeat held back while a run is undecided.

    The live pipeline counts it as received, so a sensor repeating one sample is never
    called out (silent) before it is called frozen (round 16: "out since" flashed first when
    its data arrived a little later than the others').
    """
    from analysis.angles.timebase import FrozenWatch

    watch = FrozenWatch(min_s=1.0)
    t = np.arange(0.0, 0.5, 0.01)
    rows = np.random.default_rng(0).normal(size=(t.size, 3))
    watch.feed(t, rows, rows + 1.0)
    assert watch.held_to_s is None  # nothing repeated
    rep = np.arange(0.5, 1.2, 0.01)
    kept_t, _acc, _gyr = watch.feed(
        rep, np.tile(rows[-1], (rep.size, 1)), np.tile(rows[-1] + 1.0, (rep.size, 1))
    )
    assert kept_t.size == 0  # held back: frozen or not is undecided
    assert watch.held_to_s == pytest.approx(rep[-1])
    assert watch.since_s is None
    more = np.arange(1.2, 1.6, 0.01)
    watch.feed(more, np.tile(rows[-1], (more.size, 1)), np.tile(rows[-1] + 1.0, (more.size, 1)))
    assert watch.since_s == pytest.approx(t[-1])  # frozen: the repeated sample
    assert watch.held_to_s is None  # dropped, not held: now the sensor looks silent
