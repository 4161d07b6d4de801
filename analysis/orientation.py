"""Sensor orientation with VQF (Laidig & Seel 2023): offline for files, causal for live.

Output quaternions are ``q_E_S`` (sensor → earth, scalar-first) in each sensor's *own* earth
frame: z up (from gravity), heading arbitrary and drifting slowly without a magnetometer. The
heading between sensors is reconciled later (``analysis.heading``). The magnetometer is off by
default: indoors, steel and electronics bend the field and mislead the heading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from vqf import VQF, offlineVQF

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class OrientationResult:
    """Orientation of one sensor on the grid: ``q_E_S`` ``(K, 4)``; bias estimate ``(K, 3)``
    in rad/s (sensor frame) and rest flags ``(K,)`` where the filter gives them."""

    q_E_S: FloatArray
    bias_rad_s: FloatArray | None = None
    rest: NDArray[np.bool_] | None = None


def _c(a: FloatArray) -> FloatArray:
    return np.ascontiguousarray(a, dtype=np.float64)


def estimate_orientation(
    gyr_rad_s: FloatArray,
    acc_m_s2: FloatArray,
    *,
    rate_hz: float,
    mag_ut: FloatArray | None = None,
    offline: bool = True,
    params: Mapping[str, Any] | None = None,
) -> OrientationResult:
    """Orientation of one sensor from uniformly sampled gyro and accelerometer data.

    Parameters
    ----------
    gyr_rad_s, acc_m_s2
        ``(K, 3)`` angular rate and specific force in the sensor frame.
    rate_hz
        Sample rate of the uniform grid.
    mag_ut
        ``(K, 3)`` magnetic field; when given, the 9-D (magnetometer) solution is returned.
    offline
        True: acausal forward-backward VQF (best for recordings). False: the causal filter,
        identical to what :class:`CausalOrientation` gives when fed the same data in chunks.
    params
        VQF parameters (e.g. ``tauAcc``), passed through.
    """
    gyr, acc = _c(gyr_rad_s), _c(acc_m_s2)
    mag = None if mag_ut is None else _c(mag_ut)
    ts = 1.0 / rate_hz
    key = "quat6D" if mag is None else "quat9D"
    if offline:
        out = offlineVQF(gyr, acc, mag, ts, dict(params) if params else None)
    else:
        f = VQF(ts, **dict(params or {}))
        out = f.updateBatch(gyr, acc, mag) if mag is not None else f.updateBatch(gyr, acc)
    return OrientationResult(
        q_E_S=np.asarray(out[key], dtype=np.float64),
        bias_rad_s=np.asarray(out["bias"], dtype=np.float64) if "bias" in out else None,
        rest=np.asarray(out["restDetected"], dtype=bool) if "restDetected" in out else None,
    )


class CausalOrientation:
    """Causal VQF for live use: feed chunks of any size, get the same result as one batch.

    ``state`` can be read and restored (e.g. to resume after a reconnect).
    """

    def __init__(self, *, rate_hz: float, params: Mapping[str, Any] | None = None) -> None:
        self.rate_hz = float(rate_hz)
        self._vqf = VQF(1.0 / self.rate_hz, **dict(params or {}))

    def update(self, gyr_rad_s: FloatArray, acc_m_s2: FloatArray) -> FloatArray:
        """Process ``(n, 3)`` samples; return their ``q_E_S`` ``(n, 4)``."""
        gyr, acc = _c(np.atleast_2d(gyr_rad_s)), _c(np.atleast_2d(acc_m_s2))
        if gyr.shape[0] == 0:
            return np.empty((0, 4))
        return np.asarray(self._vqf.updateBatch(gyr, acc)["quat6D"], dtype=np.float64)

    @property
    def state(self) -> dict[str, Any]:
        """The filter's full internal state (a copy)."""
        return dict(self._vqf.state)

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        self._vqf.state = dict(value)

    @property
    def bias_rad_s(self) -> FloatArray:
        """Current gyroscope bias estimate (sensor frame)."""
        bias, _sigma = self._vqf.getBiasEstimate()
        return np.asarray(bias, dtype=np.float64)
