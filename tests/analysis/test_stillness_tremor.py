"""A tremor that leaves the pose where it is does not defeat the quiet-stand search."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.calibration_windows import (
    STILL_ACC_M_S2,
    detect_windows,
    oscillation_period_s,
    resolve_windows,
    stillness_mask,
    tremor_band,
    tremor_free,
    whole_cycles,
)
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.recording.schema import GRAVITY_M_S2

RATE_HZ = 100.0
RADIUS_M = 0.4  # sensor to the joint the segment turns about (a shank's length)


def _segment(t_s, pose_rad, tremor_deg, tremor_hz, *, seed, label):
    """A sensor on a segment at ``pose_rad`` (about its x; gravity along y at 0) plus a tremor
    of ``tremor_deg`` at ``tremor_hz``: its rate, gravity and the tremor's tangential and
    centripetal accelerations at :data:`RADIUS_M`."""
    w = 2 * np.pi * tremor_hz
    amp = np.radians(tremor_deg)
    angle = pose_rad + amp * np.sin(w * t_s)
    rate = np.gradient(pose_rad, t_s) + amp * w * np.cos(w * t_s)
    accel = np.gradient(np.gradient(pose_rad, t_s), t_s) - amp * w * w * np.sin(w * t_s)
    zero = np.zeros_like(t_s)
    acc = GRAVITY_M_S2 * np.column_stack([zero, np.cos(angle), np.sin(angle)])
    acc += np.column_stack([zero, -RADIUS_M * rate**2, RADIUS_M * accel])
    rng = np.random.default_rng(seed)
    return UniformStream(
        placement=label,
        acc_m_s2=acc + rng.normal(0.0, 0.02, acc.shape),
        gyr_rad_s=np.column_stack([rate, zero, zero]) + rng.normal(0.0, 0.003, (t_s.size, 3)),
        valid=np.ones(t_s.size, dtype=bool),
    )


def _bends(t_s, stand_s=4.0, amplitude_deg=40.0, period_s=4.0, moving_s=12.0):
    """Still until ``stand_s``, then knee bends (a raised cosine) for ``moving_s``, still."""
    move = (t_s >= stand_s) & (t_s < stand_s + moving_s)
    phase = 2 * np.pi * (t_s - stand_s) / period_s
    return np.where(move, np.radians(amplitude_deg) * 0.5 * (1 - np.cos(phase)), 0.0)


def _session(tremor_deg, tremor_hz, *, n=2500, pose=_bends):
    t = np.arange(n) / RATE_HZ
    streams = {
        p: _segment(t, pose(t), tremor_deg, tremor_hz, seed=k, label=p)
        for k, p in enumerate(("thigh", "shank"))
    }
    return UniformSession(t_s=t, rate_hz=RATE_HZ, streams=streams, gaps=())


def test_tremor_free_takes_out_a_tremor_and_keeps_a_movement():
    t = np.arange(3000) / RATE_HZ
    for hz, low, high in ((0.5, 0.9, 1.0), (1.0, 0.75, 0.85), (5.9, 0.0, 0.05), (16.0, 0, 0.02)):
        x = np.sin(2 * np.pi * hz * t)[:, None]
        kept = np.abs(tremor_free(x, 25)[500:-500]).max()
        assert low <= kept <= high, hz


@pytest.mark.parametrize(("deg", "hz"), [(0.1, 5.9), (0.3, 4.0), (0.3, 7.0), (0.05, 16.0)])
def test_a_stand_with_a_tremor_is_found_where_it_is_without(deg, hz):
    shaking = _session(deg, hz)
    stand = (int(0.5 * RATE_HZ), int(3.5 * RATE_HZ))
    # the tremor alone is past the stillness limit: the raw signals' spread refused it
    assert max(b.acc_rms_m_s2 for b in tremor_band(shaking, stand).values()) > STILL_ACC_M_S2
    assert stillness_mask(shaking)[: int(3.7 * RATE_HZ)].all()
    found = detect_windows(shaking)
    quiet = detect_windows(_session(0.0, hz))
    # the tremor blurs the stand's end by at most a tenth of a stillness window
    assert np.allclose(np.ravel(found), np.ravel(quiet), atol=0.05)


def test_a_slow_small_leg_swing_is_movement_with_or_without_a_tremor():
    # 5 degrees at 1 Hz: its rate (0.55 rad/s) keeps 80 % of itself through tremor_free
    def swing(t_s):
        return np.where(t_s >= 4.0, np.radians(5.0) * np.sin(2 * np.pi * 1.0 * t_s), 0.0)

    for deg in (0.0, 0.2):
        still = stillness_mask(_session(deg, 5.9, pose=swing))
        assert not still[int(4.5 * RATE_HZ) :].any()


def test_knee_bends_with_a_tremor_are_movement():
    still = stillness_mask(_session(0.3, 5.9))
    t = np.arange(2500) / RATE_HZ
    assert not still[(t > 4.6) & (t < 15.4)].any()


def _tilt_error_deg(shaking, quiet, window_s):
    """Largest angle (deg) between the two sessions' mean accelerations over ``window_s``."""
    worst = 0.0
    for p in shaking.streams:
        m = (shaking.t_s >= window_s[0]) & (shaking.t_s < window_s[1])
        g1 = shaking.streams[p].acc_m_s2[m].mean(axis=0)
        g0 = quiet.streams[p].acc_m_s2[m].mean(axis=0)
        cos = g1 @ g0 / (np.linalg.norm(g1) * np.linalg.norm(g0))
        worst = max(worst, float(np.degrees(np.arccos(min(1.0, cos)))))
    return worst


@pytest.mark.parametrize(("deg", "hz"), [(0.3, 5.9), (0.2, 4.3), (0.05, 16.0)])
def test_the_stand_pose_is_not_biased_by_the_tremor(deg, hz):
    # the mean acceleration over the stand is each sensor's vertical in the calibration; over
    # a part cycle of the tremor its tangential acceleration tilts it (0.24 deg at 0.3 deg,
    # 5.9 Hz, on a 3.55-s stand), over whole cycles it does not
    shaking, quiet = _session(deg, hz), _session(0.0, hz)
    found = resolve_windows(shaking, None).static_s
    assert found[1] - found[0] > 3.0
    assert _tilt_error_deg(shaking, quiet, found) < 0.03


def test_tremor_band_measures_the_tremor():
    band = tremor_band(_session(0.2, 5.9), (50, 350))["shank"]
    rate_rms = np.radians(0.2) * 2 * np.pi * 5.9 / np.sqrt(2)
    assert band.gyro_rms_rad_s == pytest.approx(rate_rms, rel=0.1)
    assert 1.0 / band.period_s == pytest.approx(5.9, abs=0.05)
    quiet = tremor_band(_session(0.0, 5.9), (50, 350))["shank"]
    assert quiet.gyro_rms_rad_s < 0.1 * rate_rms


def test_the_report_says_a_tremor_was_in_the_stand():
    notes = resolve_windows(_session(0.2, 5.9), None).notes
    assert any("tremor" in n and "shank" in n for n in notes)
    assert not any("tremor" in n for n in resolve_windows(_session(0.0, 5.9), None).notes)


def test_oscillation_period_from_crossings():
    t = np.arange(400) / 52.0
    assert oscillation_period_s(np.sin(2 * np.pi * 5.9 * t + 0.3), 52.0) == pytest.approx(
        1 / 5.9, rel=0.005
    )
    assert np.isnan(oscillation_period_s(np.linspace(-1.0, 1.0, 400), 52.0))


def test_whole_cycles_shortens_the_end_only():
    assert whole_cycles((1.0, 4.5), 0.4) == pytest.approx((1.0, 4.2))
    assert whole_cycles((1.0, 4.5), float("nan")) == (1.0, 4.5)
    assert whole_cycles((1.0, 1.2), 0.4) == (1.0, 1.2)
