"""Still poses through a tremor: windows whose spread is a tremor's, not a change of pose.

The accelerometer pose fit (:mod:`analysis.angles.accbias`) takes a window as a still pose
when its rate and its acceleration barely spread. A tremor of 4–7 Hz and 0.1–0.3° in the knee
and ankle (stranger round 6's elderly people) spreads both without moving the pose: 0.12° at
7 Hz is a rate of ±5 °/s and, 0.3 m below the knee, ±0.6 m/s², so no window of the shank or
the foot was still and their accelerometers went uncorrected all session (docs/accuracy.md,
round 24: a long sit's ankle 3.4° off). Here a window is still too when, with the tremor taken
out (:func:`~analysis.angles.calibration_windows.tremor_free`), its rate and spread pass the
same limits, and the part taken out is itself large (a tremor is seen), as the quiet stand's
search judges it (:func:`~analysis.angles.calibration_windows.stillness_mask`). A change of
pose (under 1 Hz) is kept by the smoothing and stays movement.

Frames and units: sensor frame; rates in rad/s, specific force in m/s².
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.calibration_windows import TREMOR_MIN_SHARE, TREMOR_SMOOTH_S, tremor_free

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

GROUP_WINDOWS: Final = 4096
"""Windows smoothed at a time (with a margin of the smoothing on each side): a 10-h session's
temporaries stay small."""


def _window_spreads(
    x: FloatArray, smooth: FloatArray, k: int, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per window of ``n`` rows (``k`` windows): the smoothed signal's peak, spread, band RMS.

    The peak is the smoothed signal's largest norm, the spread the root of its summed per-axis
    variance, the band RMS the RMS norm of what the smoothing took out (the tremor).
    """
    s = smooth[: k * n].reshape(k, n, 3)
    band = (x[: k * n] - smooth[: k * n]).reshape(k, n, 3)
    with np.errstate(invalid="ignore"):
        peak = np.sqrt(np.einsum("kni,kni->kn", s, s)).max(axis=1)
        spread = np.sqrt(s.var(axis=1, dtype=np.float64).sum(axis=1))
        rms = np.sqrt(np.einsum("kni,kni->k", band, band) / n)
    return peak, spread, rms


def tremor_still_windows(
    acc_m_s2: FloatArray,
    gyr_rad_s: FloatArray,
    *,
    n: int,
    rate_hz: float,
    max_gyro_rad_s: float,
    max_acc_sd_m_s2: float,
) -> BoolArray:
    """Which non-overlapping windows of ``n`` rows are still once a tremor is taken out.

    ``gyr_rad_s``: rates with the resting offset already removed. A window passes when its
    tremor-free rate stays under ``max_gyro_rad_s`` throughout, its tremor-free specific force
    spreads less than ``max_acc_sd_m_s2``, and the tremor band (signal less its tremor-free
    part) reaches :data:`~analysis.angles.calibration_windows.TREMOR_MIN_SHARE` of one of those
    limits (RMS). Returns ``(k,)`` booleans, ``k = rows // n``; a window with a NaN fails.
    """
    rows = acc_m_s2.shape[0]
    k = rows // n
    m = max(1, round(TREMOR_SMOOTH_S * rate_hz))
    margin = 2 * m
    out = np.zeros(k, dtype=bool)
    for w0 in range(0, k, GROUP_WINDOWS):
        w1 = min(k, w0 + GROUP_WINDOWS)
        lo, hi = max(0, w0 * n - margin), min(rows, w1 * n + margin)
        a, g = acc_m_s2[lo:hi], gyr_rad_s[lo:hi]
        cut = slice(w0 * n - lo, w0 * n - lo + (w1 - w0) * n)
        a_s, g_s = tremor_free(a, m)[cut], tremor_free(g, m)[cut]
        g_peak, _, g_band = _window_spreads(g[cut], g_s, w1 - w0, n)
        _, a_spread, a_band = _window_spreads(a[cut], a_s, w1 - w0, n)
        with np.errstate(invalid="ignore"):
            seen = (g_band >= TREMOR_MIN_SHARE * max_gyro_rad_s) | (
                a_band >= TREMOR_MIN_SHARE * max_acc_sd_m_s2
            )
            out[w0:w1] = (g_peak < max_gyro_rad_s) & (a_spread < max_acc_sd_m_s2) & seen
    return out
