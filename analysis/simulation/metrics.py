"""Error metrics for validation and benchmarks (pure functions, degrees at the output)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.angles import rotations as rot

FloatArray = NDArray[np.float64]


def inclination_error_deg(q_E_S_est: ArrayLike, q_E_S_ref: ArrayLike) -> FloatArray:
    """Tilt part of the orientation error (deg), heading ignored.

    With the earth-frame error ``q_err = q_est ⊗ q_ref*`` (BROAD's definition), the
    inclination error is the angle between the earth vertical and ``q_err`` applied to it.
    """
    err = rot.multiply(q_E_S_est, rot.conjugate(q_E_S_ref))
    z = rot.rotate(err, [0.0, 0.0, 1.0])
    return np.rad2deg(np.arccos(np.clip(z[..., 2], -1.0, 1.0)))


def total_error_deg(q_E_S_est: ArrayLike, q_E_S_ref: ArrayLike) -> FloatArray:
    """Angle (deg) of the full orientation error."""
    return np.rad2deg(rot.angle_between(q_E_S_est, q_E_S_ref))


def rmse(err: ArrayLike) -> float:
    """Root mean square over finite values (NaN if there are none)."""
    e = np.asarray(err, dtype=np.float64)
    e = e[np.isfinite(e)]
    return float(np.sqrt(np.mean(e**2))) if e.size else float("nan")


@dataclass(frozen=True)
class AngleError:
    """RMSE and worst absolute error (deg) of one angle, and how many samples were compared."""

    rmse_deg: float
    max_abs_deg: float
    n: int


def angle_error(estimate_deg: ArrayLike, truth_deg: ArrayLike) -> AngleError:
    """Compare two angle series on the same time points (NaN in either is skipped)."""
    e = np.asarray(estimate_deg, dtype=np.float64) - np.asarray(truth_deg, dtype=np.float64)
    ok = np.isfinite(e)
    if not ok.any():
        return AngleError(float("nan"), float("nan"), 0)
    return AngleError(rmse(e[ok]), float(np.max(np.abs(e[ok]))), int(ok.sum()))


def pitch_from_axis_deg(q_E_S: ArrayLike, axis_S: ArrayLike) -> FloatArray:
    """Elevation (deg) of a sensor-frame axis above the horizontal, + when it points up."""
    v = rot.rotate(q_E_S, np.asarray(axis_S, dtype=np.float64))
    return np.rad2deg(np.arcsin(np.clip(v[..., 2], -1.0, 1.0)))


def pitch_from_points_deg(front_m: ArrayLike, back_m: ArrayLike) -> FloatArray:
    """Elevation (deg) of the vector back → front (z up), + when the front is higher."""
    v = np.asarray(front_m, dtype=np.float64) - np.asarray(back_m, dtype=np.float64)
    return np.rad2deg(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
