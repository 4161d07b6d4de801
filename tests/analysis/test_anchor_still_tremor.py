"""A trembling knee stands as still as its pose for the heading anchors (turning_slower_than)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import calibration_windows as cw
from analysis.angles.calibration_windows import turning_slower_than
from analysis.angles.pipeline import NEUTRAL_STILL_RAD_S, _all_still
from analysis.angles.timebase import UniformSession, UniformStream
from tests.analysis.builders import tremor_rates

LIMIT = NEUTRAL_STILL_RAD_S


@pytest.mark.parametrize(("rate_hz", "hz", "deg"), [(25.0, 6.35, 0.284), (200.0, 4.07, 0.276)])
def test_a_trembling_still_shank_passes_where_its_raw_rate_does_not(rate_hz, hz, deg):
    """Stranger round 6's 2893 and 2898: the shank's raw rate passes 0.1 rad/s most of the time."""
    g = tremor_rates(rate_hz, 20.0, tremor_deg=deg, tremor_hz=hz)
    raw = np.linalg.norm(g, axis=1) < LIMIT
    mask = turning_slower_than(g, np.zeros(3), rate_hz, LIMIT)
    inner = slice(round(rate_hz), -round(rate_hz))
    assert raw[inner].mean() < 0.7
    assert mask[inner].all()


def test_a_slow_turn_under_a_tremor_is_still_a_turn():
    """Only the rows whose raw rate the tremor takes under the limit pass, as before."""
    g = tremor_rates(100.0, 20.0, tremor_deg=0.28, tremor_hz=6.0, turn_rad_s=1.5 * LIMIT)
    mask = turning_slower_than(g, np.zeros(3), 100.0, LIMIT)
    assert np.array_equal(mask, np.linalg.norm(g, axis=1) < LIMIT)
    longest = max(len(run) for run in np.split(mask, np.flatnonzero(np.diff(mask)) + 1) if run[0])
    assert longest < 20  # never a fifth of a second: no anchor run (2 s) from it


def test_without_a_tremor_the_mask_is_the_rawtremor_rates():
    """Noise, a still stretch and a movement of the pose: row for row the raw rate's mask."""
    rate_hz = 100.0
    t = np.arange(3000) / rate_hz
    g = tremor_rates(rate_hz, 30.0, seed=3)
    g[:, 1] += np.where((t > 10) & (t < 20), 0.3 * np.sin(2 * np.pi * 0.5 * (t - 10)), 0.0)
    raw = np.linalg.norm(g - 0.01, axis=1) < LIMIT
    assert not raw.all()
    assert raw.any()
    assert np.array_equal(turning_slower_than(g, np.full(3, 0.01), rate_hz, LIMIT), raw)


def test_the_offset_is_taken_out_first():
    g = tremor_rates(100.0, 10.0, tremor_deg=0.25, tremor_hz=5.0) + np.array([0.0, 0.2, 0.0])
    assert not turning_slower_than(g, np.zeros(3), 100.0, LIMIT)[100:-100].any()
    assert turning_slower_than(g, np.array([0.0, 0.2, 0.0]), 100.0, LIMIT)[100:-100].all()


def test_chunks_give_the_whole_series_mask(monkeypatch):
    g = tremor_rates(100.0, 60.0, tremor_deg=0.2, tremor_hz=5.0, seed=1)
    g[:, 2] += np.where(np.arange(g.shape[0]) % 1700 < 400, 0.12, 0.0)  # turns that come and go
    whole = turning_slower_than(g, np.zeros(3), 100.0, LIMIT)
    monkeypatch.setattr(cw, "TREMOR_CHUNK_ROWS", 257)
    assert np.array_equal(turning_slower_than(g, np.zeros(3), 100.0, LIMIT), whole)
    assert whole.any()
    assert not whole.all()


def test_rows_not_sent_never_pass():
    g = tremor_rates(100.0, 10.0, tremor_deg=0.25, tremor_hz=5.0)
    g[400:450] = np.nan
    mask = turning_slower_than(g.astype(np.float32), np.zeros(3), 100.0, LIMIT)
    assert not mask[400:450].any()
    assert mask[600:900].all()


def test_the_hips_stand_still_with_a_trembling_knee():
    """``_all_still``: pelvis and thigh still, the shank shaking 0.28° at 6 Hz."""
    rate_hz, n = 100.0, 2000
    t = np.arange(n) / rate_hz
    still_g = tremor_rates(rate_hz, n / rate_hz, seed=5)
    streams = {
        p: UniformStream(
            placement=p,
            acc_m_s2=np.tile([0.0, 9.81, 0.0], (n, 1)),
            gyr_rad_s=g,
            valid=np.ones(n, dtype=bool),
        )
        for p, g in (
            ("pelvis", still_g),
            ("left_thigh", tremor_rates(rate_hz, n / rate_hz, seed=6)),
            ("left_shank", tremor_rates(rate_hz, n / rate_hz, tremor_deg=0.28, tremor_hz=6.0)),
        )
    }
    session = UniformSession(t_s=t, rate_hz=rate_hz, streams=streams, gaps=())
    still, legs = _all_still(session, {p: np.zeros(3) for p in streams})
    assert still[100:-100].all()
    assert legs[100:-100].all()
