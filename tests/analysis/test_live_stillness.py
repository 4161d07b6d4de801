"""The live stand anchors' stillness, a tremor apart, judged on the rows so far."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.calibration_windows import turning_slower_than
from analysis.angles.live_stillness import CausalStillness, trailing_any, trailing_mean
from analysis.angles.pipeline import NEUTRAL_STILL_RAD_S
from tests.analysis.builders import tremor_rates

LIMIT = NEUTRAL_STILL_RAD_S


def _still(rates: np.ndarray, rate_hz: float, chunks: list[int] | None = None) -> np.ndarray:
    live = CausalStillness(rate_hz=rate_hz, limit_rad_s=LIMIT)
    if chunks is None:
        return live.update(rates)
    cuts = np.cumsum(chunks)
    return np.concatenate([live.update(part) for part in np.split(rates, cuts)])


def test_trailing_helpers_look_back_only():
    x = np.array([False, True, False, False, False])
    assert trailing_any(x, 2).tolist() == [False, True, True, False, False]
    m = trailing_mean(np.arange(12.0).reshape(4, 3), 2)
    assert np.allclose(m[:, 0], [0.0, 1.5, 4.5, 7.5])


@pytest.mark.parametrize(("rate_hz", "hz", "deg"), [(25.0, 6.35, 0.284), (200.0, 4.07, 0.276)])
def test_a_trembling_still_shank_is_still_live(rate_hz, hz, deg):
    """Stranger round 6's 2893 and 2898: most rows fail on the raw rate, none live after the lag."""
    g = tremor_rates(rate_hz, 20.0, tremor_deg=deg, tremor_hz=hz)
    raw = np.linalg.norm(g, axis=1) < LIMIT
    live = CausalStillness(rate_hz=rate_hz, limit_rad_s=LIMIT)
    mask = live.update(g)
    settled = slice(live.lag + round(rate_hz), None)  # a second past the offline test's reach
    assert raw[settled].mean() < 0.7
    assert mask[settled].mean() > 0.97


def test_without_a_tremor_the_live_mask_is_the_rawtremor_rates():
    """Noise, a still stretch and a 0.5-Hz movement of the pose: row for row the raw test."""
    rate_hz = 100.0
    t = np.arange(3000) / rate_hz
    g = tremor_rates(rate_hz, 30.0, seed=3)
    g[1000:2000, 1] += 0.6 * np.sin(np.pi * t[1000:2000])
    g[2300:2600, 2] += 0.4  # a steady turn that starts and stops at once
    raw = np.linalg.norm(g, axis=1) < LIMIT
    assert np.array_equal(_still(g, rate_hz), raw)


def test_a_movement_after_a_trembling_stand_is_not_taken_for_it():
    """Past its first quarter second (the rate's trailing mean), a movement is not still."""
    rate_hz = 100.0
    g = tremor_rates(rate_hz, 20.0, tremor_deg=0.28, tremor_hz=6.0)
    g[1000:, 0] += 0.3  # the pose starts turning at 10 s, the tremor goes on
    mask = _still(g, rate_hz)
    assert mask[800:1000].mean() > 0.97
    assert not mask[1000 + 25 :].any()


def test_a_slow_turn_under_a_tremor_is_still_a_turn():
    g = tremor_rates(100.0, 20.0, tremor_deg=0.28, tremor_hz=6.0, turn_rad_s=1.5 * LIMIT)
    assert np.array_equal(_still(g, 100.0), np.linalg.norm(g, axis=1) < LIMIT)


def test_the_mask_does_not_depend_on_how_the_rows_were_chunked():
    rate_hz = 100.0
    g = tremor_rates(rate_hz, 20.0, tremor_deg=0.28, tremor_hz=6.0)
    g[600:900, 0] += 0.3
    g[1500:1503] = np.nan  # rows not sent never pass
    whole = _still(g, rate_hz)
    rng = np.random.default_rng(1)
    sizes = rng.integers(1, 40, size=200).tolist()
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), g.shape[0]))]
    assert np.array_equal(_still(g, rate_hz, sizes), whole)
    assert not whole[1500:1503].any()


def test_the_lagged_part_is_the_offline_test_of_the_rows_so_far():
    """Where the live test passes but the raw rate does not, the offline test passed ``lag``
    rows before (and a tremor was seen then)."""
    rate_hz = 100.0
    g = tremor_rates(rate_hz, 20.0, tremor_deg=0.28, tremor_hz=6.0)
    g[1200:, 0] += 0.3
    live = CausalStillness(rate_hz=rate_hz, limit_rad_s=LIMIT)
    mask = live.update(g)
    offline = turning_slower_than(g, np.zeros(3), rate_hz, LIMIT)
    raw = np.linalg.norm(g, axis=1) < LIMIT
    extra = np.flatnonzero(mask & ~raw)
    assert extra.size > 500
    assert offline[extra - live.lag].all()
