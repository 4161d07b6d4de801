"""Accelerometer bias from the static poses of a session (norm constraint |a − b| = g).

At rest an accelerometer measures gravity only, so every still pose gives one equation
``|ā_j − b| = g`` for the bias ``b``. The quiet stand alone pins only the bias component
along its own vertical; as soon as a segment also rests in other orientations (the leg raised
on a chair, lying, sitting) the components along those verticals become observable too —
exactly the ones that otherwise turn into a tilt error of a few degrees when the segment is
far from its calibration pose. Unobservable directions stay at the prior (zero) through a
Tikhonov term; this is the multi-position calibration idea (e.g. Frosio et al. 2009) reduced
to a bias-only model with a prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AccBias:
    """Estimated bias (m/s², sensor frame), the still poses used and their spread in degrees."""

    bias_m_s2: FloatArray
    poses: int
    spread_deg: float


def still_pose_means(
    acc_m_s2: FloatArray,
    gyr_rad_s: FloatArray,
    *,
    rate_hz: float,
    gyr_bias_rad_s: FloatArray | None = None,
    window_s: float = 1.0,
    max_gyro_rad_s: float = 0.05,
    max_acc_sd_m_s2: float = 0.1,
) -> FloatArray:
    """Mean specific force ``(J, 3)`` of each non-overlapping still window of ``window_s``.

    ``gyr_bias_rad_s`` (e.g. the quiet stand's mean rate) is removed before the stillness test.
    """
    n = max(2, round(window_s * rate_hz))
    k = acc_m_s2.shape[0] // n
    if k == 0:
        return np.empty((0, 3))
    a = acc_m_s2[: k * n].reshape(k, n, 3)
    g = gyr_rad_s[: k * n].reshape(k, n, 3)
    if gyr_bias_rad_s is not None:
        g = g - np.asarray(gyr_bias_rad_s, dtype=g.dtype)
    # windows with a NaN fail every comparison below and are never still
    with np.errstate(invalid="ignore"):
        turning = np.sqrt(np.einsum("kni,kni->kn", g, g)).max(axis=1)
        sd = np.sqrt(a.var(axis=1, dtype=np.float64).sum(axis=1))
        still = (turning < max_gyro_rad_s) & (sd < max_acc_sd_m_s2)
    return a[still].mean(axis=1, dtype=np.float64)


def cluster_poses(pose_means_m_s2: FloatArray, *, radius_deg: float = 8.0) -> FloatArray:
    """Average still windows whose gravity directions lie within ``radius_deg`` of each other.

    Windows of one pose are not independent evidence (the same bias, the same orientation);
    counting each pose once keeps the fit from becoming overconfident along the directions
    the poses do not observe.
    """
    m = np.asarray(pose_means_m_s2, dtype=np.float64)
    if m.shape[0] == 0:
        return m
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    cos_r = np.cos(np.deg2rad(radius_deg))
    label = np.full(m.shape[0], -1)
    centres: list[FloatArray] = []
    for i in range(m.shape[0]):
        for c, centre in enumerate(centres):
            if u[i] @ centre > cos_r:
                label[i] = c
                break
        else:
            centres.append(u[i])
            label[i] = len(centres) - 1
    return np.stack([m[label == c].mean(axis=0) for c in range(len(centres))])


def estimate_acc_bias(
    pose_means_m_s2: FloatArray,
    *,
    gravity_m_s2: float = GRAVITY_M_S2,
    prior_sd_m_s2: float = 0.15,
    pose_sd_m_s2: float = 0.02,
    min_spread_deg: float = 20.0,
    max_bias_m_s2: float = 0.6,
    iterations: int = 10,
) -> AccBias:
    """Bias minimising Σ_poses (|ā_k − b| − g)²/σ_pose² + |b|²/σ_prior² (Gauss–Newton).

    Still windows are first merged into distinct poses (:func:`cluster_poses`). Returns a
    zero bias when the poses span less than ``min_spread_deg`` (one orientation: nothing
    beyond the stand's vertical is observable, and the stand calibration absorbs that part)
    or when the fit ends beyond ``max_bias_m_s2`` (≈ 60 mg, past consumer-IMU specifications:
    the poses were not truly still and the estimate is not trusted).
    """
    m = cluster_poses(np.asarray(pose_means_m_s2, dtype=np.float64))
    if m.shape[0] < 2:
        return AccBias(np.zeros(3), int(m.shape[0]), 0.0)
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    spread = float(np.rad2deg(np.arccos(np.clip(np.min(u @ u.T), -1.0, 1.0))))
    if spread < min_spread_deg:
        return AccBias(np.zeros(3), int(m.shape[0]), spread)
    b = np.zeros(3)
    reg = (pose_sd_m_s2 / prior_sd_m_s2) ** 2
    for _ in range(iterations):
        d = m - b
        norm = np.linalg.norm(d, axis=1)
        r = norm - gravity_m_s2
        jac = -d / norm[:, None]  # ∂|m − b|/∂b
        lhs = jac.T @ jac + reg * np.eye(3)
        rhs = -(jac.T @ r) - reg * b
        step = np.linalg.solve(lhs, rhs)
        b = b + step
        if np.linalg.norm(step) < 1e-6:
            break
    if not np.all(np.isfinite(b)) or np.linalg.norm(b) > max_bias_m_s2:
        return AccBias(np.zeros(3), int(m.shape[0]), spread)
    return AccBias(b, int(m.shape[0]), spread)
