"""The simulator's accelerometer bias walk stops after its span; an hour is drawn as before."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import analysis.simulation.imu as imu
from analysis.simulation.imu import ACC_BIAS_WALK_SPAN_S, ImuErrorModel, SensorSynthesizer


def _knots(duration_s: float, ppm: float, span_s: float, monkeypatch) -> tuple:
    """Bias knots of a 100-Hz thigh sensor of ``duration_s`` with the walk's span ``span_s``."""
    monkeypatch.setattr(imu, "ACC_BIAS_WALK_SPAN_S", span_s)
    period_s = 1.0 / (100.0 * (1.0 + ppm * 1e-6))
    fake = SimpleNamespace(
        n_total=int(np.ceil(duration_s / period_s)) + 2,
        _knot_step=100,
        seed=3,
        placement="right_thigh",
        period_s=period_s,
        errors=ImuErrorModel(),
        params=SimpleNamespace(gyr_bias_rad_s=np.zeros(3), acc_bias_m_s2=np.zeros(3)),
    )
    return SensorSynthesizer._bias_knots(fake)


def test_an_hour_is_drawn_as_an_endless_walk_would_draw_it(monkeypatch):
    for ppm in (-60.0, 0.0, 60.0):  # a slow clock, an exact one, a fast one
        gyr, acc = _knots(3600.0, ppm, ACC_BIAS_WALK_SPAN_S, monkeypatch)
        gyr_free, acc_free = _knots(3600.0, ppm, 1e9, monkeypatch)
        np.testing.assert_array_equal(acc, acc_free)
        np.testing.assert_array_equal(gyr, gyr_free)


def test_the_offset_stays_after_the_span_and_the_gyroscope_walks_on(monkeypatch):
    gyr, acc = _knots(3 * 3600.0, 0.0, ACC_BIAS_WALK_SPAN_S, monkeypatch)
    gyr_free, acc_free = _knots(3 * 3600.0, 0.0, 1e9, monkeypatch)
    hour = int(ACC_BIAS_WALK_SPAN_S) + 2  # the knot one past the span's
    np.testing.assert_array_equal(acc[:hour], acc_free[:hour])
    np.testing.assert_array_equal(acc[hour:], np.broadcast_to(acc[hour - 1], acc[hour:].shape))
    assert np.abs(acc_free[-1] - acc_free[hour - 1]).max() > 0.0  # the endless walk went on
    np.testing.assert_array_equal(gyr, gyr_free)
