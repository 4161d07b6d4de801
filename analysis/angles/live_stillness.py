"""A sensor's stillness with a tremor's shaking apart, causally: the live stand anchors' test.

Offline, the hips', lumbar and neck stand anchors take a row as still where the sensor turns
slower than the limit, or where, with a tremor's 3–18 Hz shaking taken out, it does while that
shaking is seen (:func:`~analysis.angles.calibration_windows.turning_slower_than`, round 24): an
elderly person's trembling knee turns the shank at up to 0.2 rad/s about a pose that does not
change. That test reads centred windows, about half a second past each row. Live, a row is
judged when it arrives, so :class:`CausalStillness` takes it as still where

* its own rate is under the limit (as before: without a tremor nothing else counts), or
* the offline test passed on the row :attr:`CausalStillness.lag` rows before (exactly, on the
  rows so far), a tremor was seen then (a row of the :data:`~analysis.angles.
  calibration_windows.STILL_WINDOW_S` before it passed only with the shaking taken out), and
  the rate's mean over the last :data:`~analysis.angles.calibration_windows.TREMOR_SMOOTH_S`
  is under the limit (the pose is not turning now: a movement that starts after a trembling
  stand is not taken for it beyond its first few rows).

A row not sent (rates not finite) never passes. Each row's answer depends on the rows up to
it alone, not on how they were chunked.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analysis.angles.calibration_windows import (
    STILL_WINDOW_S,
    TREMOR_SMOOTH_S,
    turning_slower_than,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def trailing_any(x: BoolArray, n: int) -> BoolArray:
    """Per row, whether any of the ``n`` rows up to and including it is True."""
    c = np.concatenate([[0], np.cumsum(np.asarray(x, dtype=np.int64))])
    i = np.arange(x.shape[0])
    return (c[i + 1] - c[np.maximum(i - n + 1, 0)]) > 0


def trailing_mean(x: FloatArray, n: int) -> FloatArray:
    """Per row, the mean of ``x`` (``(N, 3)``) over the ``n`` rows up to it (fewer at first)."""
    c = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    i = np.arange(x.shape[0])
    lo = np.maximum(i - n + 1, 0)
    return (c[i + 1] - c[lo]) / (i + 1 - lo)[:, None]


class CausalStillness:
    """One sensor's live stillness, a tremor apart (module docstring).

    ``rate_hz``: the grid rate; ``limit_rad_s``: the stillness limit (the stand anchors'
    ``NEUTRAL_STILL_RAD_S``). :meth:`update` with each next run of grid rows' rates (bias
    already taken out) returns their mask. Memory: :attr:`keep` rows of rates.
    """

    def __init__(self, *, rate_hz: float, limit_rad_s: float) -> None:
        k = max(1, round(TREMOR_SMOOTH_S * rate_hz))
        n = max(1, round(STILL_WINDOW_S * rate_hz))
        self.rate_hz = float(rate_hz)
        self.limit_rad_s = float(limit_rad_s)
        self.lag = 2 * (k - k // 2 - 1) + (n - n // 2 - 1)
        """Rows the offline test reads past a row (its double mean and its spread's window)."""
        self._seen_rows = n  # a tremor seen within this many rows up to the lagged row
        self._steady_rows = k  # the rate's trailing mean over this many rows
        back = 2 * (k // 2) + n // 2  # rows the offline test reads before a row
        self.keep = self.lag + self._seen_rows + back
        """Rows of rates kept from one update to the next (the offline test exact on them)."""
        self._tail = np.empty((0, 3))

    def update(self, gyr_rad_s: FloatArray) -> BoolArray:
        """Still or not, per next row; ``gyr_rad_s``: ``(m, 3)`` rates (rad/s), bias removed."""
        new = np.asarray(gyr_rad_s, dtype=np.float64).reshape(-1, 3)
        rates = np.concatenate([self._tail, new])
        first = self._tail.shape[0]
        self._tail = rates[-self.keep :]
        seen = np.all(np.isfinite(rates), axis=1)
        rates = np.where(seen[:, None], rates, 0.0)
        raw = seen & (np.linalg.norm(rates, axis=1) < self.limit_rad_s)
        calm = turning_slower_than(rates, np.zeros(3), self.rate_hz, self.limit_rad_s) & seen
        shaking = trailing_any(calm & ~raw, self._seen_rows)
        steady = np.linalg.norm(trailing_mean(rates, self._steady_rows), axis=1)
        late = _lagged(calm & shaking, self.lag) & (steady < self.limit_rad_s) & seen
        return (raw | late)[first:]


def _lagged(x: BoolArray, rows: int) -> BoolArray:
    """``x`` moved ``rows`` later (False where nothing precedes)."""
    out = np.zeros_like(x)
    if rows < x.shape[0]:
        out[rows:] = x[: x.shape[0] - rows]
    return out
