"""Accelerometer bias and gain from the static poses of a session (norm constraint).

At rest an accelerometer measures gravity only, so every still pose gives one equation
``|gain · (ā_j − b)| = g`` for the bias ``b`` and the symmetric gain (per-axis scale and
cross-axis sensitivity, a percent or so on consumer parts). The quiet stand alone pins only
the error of its own pose (the stand calibration absorbs it); as soon as a segment also rests
in other orientations (the leg raised on a chair, lying, sitting) more terms become
observable — exactly those that otherwise turn into a tilt error of one to a few degrees when
the segment is far from its calibration pose. Unobservable terms stay at the prior (no
correction) through a Tikhonov term: the multi-position calibration of Frosio et al. (2009)
with a prior. The rotational part of an accelerometer's misalignment is not modelled: gravity
cannot observe it, and the sensor-to-segment calibration absorbs a constant rotation.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.tremor_poses import tremor_still_windows
from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]

ACC_BIAS_PRIOR_SD_M_S2 = 0.15
"""Prior standard deviation of each accelerometer offset component (≈ 15 mg). Smaller than
the zero-g offsets commodity datasheets give as typical (±40 mg, Bosch BMI160): it
regularises the directions the poses observe weakly. Along directions the poses do observe
(σ_pose 0.02 m/s²) it shrinks an offset of any size by under 2 %, so a 40-mg offset is still
found; a datasheet-sized prior of 0.4 m/s² instead let pose noise into the weak directions
(person 110 of the population: hip flexion RMSE 0.34° → 0.70°) without finding the
commodity offsets any better on the sessions examined (docs/accuracy.md)."""

MAX_ACC_BIAS_M_S2 = 1.6
"""Largest offset (norm, ≈ 160 mg) a fit may end at before it is not trusted (the poses were
not truly still). Three offsets of σ 40 mg (commodity datasheets' typical zero-g offset as
1 σ, docs/simulator.md) stay below it together for 999 sensors in 1000 (χ, 3 degrees of
freedom: 4.03 σ); it is past every commodity part's typical offsets together (e.g.
60/60/80 mg: 1.1 m/s²). The earlier 1.0 m/s² refused the fit of about one commodity sensor
in ten, which then kept its whole offset: a 145-mg thigh sensor left an 8° hip and knee
flexion error (population person 35, supine)."""


@dataclass(frozen=True)
class AccBias:
    """Estimated bias (m/s², sensor frame), the still poses used and their spread in degrees."""

    bias_m_s2: FloatArray
    poses: int
    spread_deg: float


MIN_POSE_NORM_M_S2: Final = 0.1
"""A still window whose mean specific force is shorter than this (m/s², about 0.01 g) reads no
gravity: no resting sensor does (a zeroed or dead channel does), and it has no direction."""


def still_pose_means(
    acc_m_s2: FloatArray,
    gyr_rad_s: FloatArray,
    *,
    rate_hz: float,
    gyr_bias_rad_s: FloatArray | None = None,
    window_s: float = 1.0,
    max_gyro_rad_s: float = 0.05,
    max_acc_sd_m_s2: float = 0.1,
    tremor: bool = False,
) -> FloatArray:
    """Mean specific force ``(J, 3)`` of each non-overlapping still window of ``window_s``.

    ``gyr_bias_rad_s`` (e.g. the quiet stand's mean rate) is removed before the stillness test.
    ``tremor``: a window that fails the test is still too when it passes with a tremor taken
    out (:func:`analysis.angles.tremor_poses.tremor_still_windows`; offline, whole recordings).
    A window whose mean reads no gravity (norm under :data:`MIN_POSE_NORM_M_S2`: a sensor
    reading zeros, not resting) is no pose and is left out: it has no direction.
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
    if tremor and not still.all():
        still |= tremor_still_windows(
            acc_m_s2[: k * n],
            g.reshape(k * n, 3),
            n=n,
            rate_hz=rate_hz,
            max_gyro_rad_s=max_gyro_rad_s,
            max_acc_sd_m_s2=max_acc_sd_m_s2,
        )
    means = a[still].mean(axis=1, dtype=np.float64)
    return means[np.einsum("ji,ji->j", means, means) >= MIN_POSE_NORM_M_S2**2]


def cluster_poses(pose_means_m_s2: FloatArray, *, radius_deg: float = 8.0) -> FloatArray:
    """Average still windows whose gravity directions lie within ``radius_deg`` of each other.

    Windows of one pose are not independent evidence (the same bias, the same orientation);
    counting each pose once keeps the fit from becoming overconfident along the directions
    the poses do not observe. The poses are those of :func:`pose_labels`.
    """
    m = np.asarray(pose_means_m_s2, dtype=np.float64)
    if m.shape[0] == 0:
        return m
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    label = pose_labels(u, cos_radius=np.cos(np.deg2rad(radius_deg)))
    return np.stack([m[label == c].mean(axis=0) for c in range(int(label.max()) + 1)])


_DOT_MARGIN = 1e-9
"""Dot products this close to the radius's cosine are recomputed as one row at a time."""


def pose_labels(u: FloatArray, *, cos_radius: float) -> NDArray[np.intp]:
    """Pose of each unit direction ``u`` ``(J, 3)``, by greedy clustering in row order.

    Row ``i`` joins the first pose (in order of creation) whose centre — the pose's first
    row — has ``u[i] @ centre > cos_radius``; otherwise it starts a new pose. Evaluated one
    pose at a time over all later rows; products within :data:`_DOT_MARGIN` of the threshold
    are recomputed with the row-by-row expression, so the labels are exactly those of the
    row-by-row loop. Rows with NaN start a pose of their own.
    """
    n = u.shape[0]
    label = np.full(n, -1, dtype=np.intp)
    pose = 0
    first = 0
    while first < n:
        centre = u[first]
        label[first] = pose
        rest = first + 1 + np.flatnonzero(label[first + 1 :] < 0)
        v = u[rest]
        dot = v[:, 0] * centre[0] + v[:, 1] * centre[1] + v[:, 2] * centre[2]
        near = dot > cos_radius
        for k in np.flatnonzero(np.abs(dot - cos_radius) <= _DOT_MARGIN):
            near[k] = bool(u[rest[k]] @ centre > cos_radius)
        label[rest[near]] = pose
        pose += 1
        free = np.flatnonzero(label < 0)
        first = int(free[0]) if free.size else n
    return label


GAIN_TERMS: tuple[tuple[int, int], ...] = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
"""Entries ``(i, j)`` of the symmetric gain correction, in the order of its parameters."""


@dataclass(frozen=True)
class AccCorrection:
    """Affine accelerometer correction: ``f = gain · (a − bias)`` (sensor frame, m/s²).

    ``gain`` is symmetric and near the identity: per-axis scale (diagonal) and cross-axis
    sensitivity (off-diagonal). The rotational part of a non-orthogonal triad is left out: a
    constant rotation of the accelerometer is absorbed by the sensor-to-segment calibration,
    and gravity alone cannot observe it. ``poses``: distinct still poses used; ``spread_deg``:
    the largest angle between two of them.
    """

    bias_m_s2: FloatArray
    gain: FloatArray
    poses: int
    spread_deg: float

    def apply(self, acc_m_s2: NDArray[np.floating]) -> NDArray[np.floating]:
        """Corrected specific force, same shape and storage type as ``acc_m_s2``."""
        out = (np.asarray(acc_m_s2, dtype=np.float64) - self.bias_m_s2) @ self.gain.T
        return out.astype(np.asarray(acc_m_s2).dtype, copy=False)


def _gain_matrix(k: FloatArray) -> FloatArray:
    m = np.eye(3)
    for (i, j), v in zip(GAIN_TERMS, k, strict=True):
        m[i, j] += v
        if i != j:
            m[j, i] += v
    return m


def _norm_jacobian(m: FloatArray, b: FloatArray, gain: FloatArray, fit_gain: bool):
    """Residuals ``|gain·(m − b)| − g`` and their Jacobian in (bias, gain terms)."""
    v = m - b
    d = v @ gain.T
    norm = np.linalg.norm(d, axis=1)
    u = d / norm[:, None]
    cols = [-(u @ gain)]  # ∂|d|/∂b
    if fit_gain:
        cols.append(
            np.stack(
                [u[:, i] * v[:, j] + (u[:, j] * v[:, i] if i != j else 0.0) for i, j in GAIN_TERMS],
                axis=1,
            )
        )
    return norm, np.concatenate(cols, axis=1)


def estimate_acc_correction(
    pose_means_m_s2: FloatArray,
    *,
    gravity_m_s2: float = GRAVITY_M_S2,
    prior_sd_m_s2: float = ACC_BIAS_PRIOR_SD_M_S2,
    prior_gain_sd: float | None = 0.005,
    pose_sd_m_s2: float = 0.02,
    min_spread_deg: float = 20.0,
    max_bias_m_s2: float = MAX_ACC_BIAS_M_S2,
    max_gain_error: float = 0.05,
    iterations: int = 20,
) -> AccCorrection:
    """Bias and symmetric gain from the norm constraint ``|gain·(ā_k − b)| = g`` (Gauss–Newton).

    Minimises Σ_poses (|gain·(ā_k − b)| − g)²/σ_pose² + |b|²/σ_prior² + Σ (gain − I)²/σ_gain²
    over the distinct still poses (:func:`cluster_poses`): the multi-position calibration of
    Frosio et al. (2009) with a prior, so that a term the poses do not observe stays at its
    prior (no correction) instead of absorbing the others' residuals. ``prior_gain_sd`` None
    fits the bias alone. Gives no correction when the poses span less than
    ``min_spread_deg`` (one orientation: the stand calibration absorbs its errors) or when the
    fit ends beyond ``max_bias_m_s2`` (:data:`MAX_ACC_BIAS_M_S2`) or ``max_gain_error`` (5 %)
    — past consumer-IMU specifications: the poses were not truly still and the estimate is
    not trusted.
    """
    return fit_pose_clusters(
        cluster_poses(np.asarray(pose_means_m_s2, dtype=np.float64)),
        gravity_m_s2=gravity_m_s2,
        prior_sd_m_s2=prior_sd_m_s2,
        prior_gain_sd=prior_gain_sd,
        pose_sd_m_s2=pose_sd_m_s2,
        min_spread_deg=min_spread_deg,
        max_bias_m_s2=max_bias_m_s2,
        max_gain_error=max_gain_error,
        iterations=iterations,
    )


def fit_pose_clusters(
    m: FloatArray,
    *,
    gravity_m_s2: float = GRAVITY_M_S2,
    prior_sd_m_s2: float = ACC_BIAS_PRIOR_SD_M_S2,
    prior_gain_sd: float | None = 0.005,
    pose_sd_m_s2: float = 0.02,
    min_spread_deg: float = 20.0,
    max_bias_m_s2: float = MAX_ACC_BIAS_M_S2,
    max_gain_error: float = 0.05,
    iterations: int = 20,
) -> AccCorrection:
    """:func:`estimate_acc_correction` of poses already clustered (:func:`cluster_poses`)."""
    none = AccCorrection(np.zeros(3), np.eye(3), int(m.shape[0]), 0.0)
    if m.shape[0] < 2:
        return none
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    spread = float(np.rad2deg(np.arccos(np.clip(np.min(u @ u.T), -1.0, 1.0))))
    none = AccCorrection(np.zeros(3), np.eye(3), int(m.shape[0]), spread)
    if spread < min_spread_deg:
        return none
    fit_gain = prior_gain_sd is not None
    reg = np.full(3, (pose_sd_m_s2 / prior_sd_m_s2) ** 2)
    if fit_gain:
        reg = np.concatenate([reg, np.full(len(GAIN_TERMS), (pose_sd_m_s2 / prior_gain_sd) ** 2)])
    theta = np.zeros(reg.size)
    for _ in range(iterations):
        gain = _gain_matrix(theta[3:]) if fit_gain else np.eye(3)
        norm, jac = _norm_jacobian(m, theta[:3], gain, fit_gain)
        lhs = jac.T @ jac + np.diag(reg)
        step = np.linalg.solve(lhs, -(jac.T @ (norm - gravity_m_s2)) - reg * theta)
        theta = theta + step
        if np.linalg.norm(step) < 1e-6:
            break
    b, k = theta[:3], theta[3:]
    ok = np.all(np.isfinite(theta)) and np.linalg.norm(b) <= max_bias_m_s2
    if not ok or (k.size and np.max(np.abs(k)) > max_gain_error):
        return none
    return AccCorrection(b, _gain_matrix(k) if fit_gain else np.eye(3), int(m.shape[0]), spread)


def estimate_acc_bias(
    pose_means_m_s2: FloatArray,
    *,
    gravity_m_s2: float = GRAVITY_M_S2,
    prior_sd_m_s2: float = ACC_BIAS_PRIOR_SD_M_S2,
    pose_sd_m_s2: float = 0.02,
    min_spread_deg: float = 20.0,
    max_bias_m_s2: float = 0.6,
    iterations: int = 10,
) -> AccBias:
    """Bias alone minimising Σ_poses (|ā_k − b| − g)²/σ_pose² + |b|²/σ_prior².

    :func:`estimate_acc_correction` with the gain fixed at the identity.
    """
    c = estimate_acc_correction(
        pose_means_m_s2,
        gravity_m_s2=gravity_m_s2,
        prior_sd_m_s2=prior_sd_m_s2,
        prior_gain_sd=None,
        pose_sd_m_s2=pose_sd_m_s2,
        min_spread_deg=min_spread_deg,
        max_bias_m_s2=max_bias_m_s2,
        iterations=iterations,
    )
    return AccBias(c.bias_m_s2, c.poses, c.spread_deg)


NO_CORRECTION = AccCorrection(np.zeros(3), np.eye(3), 0, 0.0)
"""The identity: no bias, unit gain."""


class _Poses:
    """Still windows' means clustered as they come: :func:`cluster_poses` of all of them.

    Per pose its first window's direction and the sum and count of its windows, added in
    window order — what ``cluster_poses`` computes over every window (the labels of
    :func:`pose_labels`' row-by-row loop, each pose's mean summed row after row), so
    :meth:`means` equals it bit for bit. Memory grows with the distinct poses (their
    directions at least 8° apart: a few hundred at most), not with the windows.
    """

    def __init__(self, radius_deg: float = 8.0) -> None:
        self._cos = np.cos(np.deg2rad(radius_deg))
        self._centres: list[FloatArray] = []
        self._sums: list[FloatArray] = []
        self._counts: list[int] = []
        self.windows = 0

    def add(self, means: FloatArray) -> None:
        """Add windows' means ``(k, 3)`` in order."""
        u = means / np.linalg.norm(means, axis=1, keepdims=True)
        for m, d in zip(means, u, strict=True):
            self.windows += 1
            for c, centre in enumerate(self._centres):
                if d @ centre > self._cos:
                    self._sums[c] = self._sums[c] + m
                    self._counts[c] += 1
                    break
            else:
                self._centres.append(d)
                self._sums.append(m.copy())
                self._counts.append(1)

    def means(self) -> FloatArray:
        """Each pose's mean ``(P, 3)``, in the order the poses were first seen."""
        if not self._sums:
            return np.empty((0, 3))
        return np.stack([s / n for s, n in zip(self._sums, self._counts, strict=True)])


class CausalAccCorrection:
    """:func:`estimate_acc_correction` from the still poses seen so far, refitted at fixed rows.

    The live pipeline's counterpart of the offline fit over the whole recording: rows arrive
    in order (grid rows from the session's first, so the still windows are the offline ones,
    :func:`still_pose_means`), and at every ``refit_rows``-th row the correction is refitted
    from every still window completed before it; it holds from that row on. The rows at which
    the correction changes depend only on the grid, never on how the rows were chunked.
    ``fits``: a memo of fits shared with other estimators fed the same rows (:meth:`_fit`).
    """

    def __init__(
        self,
        *,
        rate_hz: float,
        gyr_bias_rad_s: FloatArray,
        window_s: float,
        prior_gain_sd: float | None,
        refit_s: float = 2.0,
        fits: MutableMapping[bytes, AccCorrection] | None = None,
    ) -> None:
        self.rate_hz = float(rate_hz)
        self._fits = fits
        self._bias = np.asarray(gyr_bias_rad_s, dtype=np.float64)
        self._window_s = window_s
        self._n = max(2, round(window_s * rate_hz))
        self.refit_rows = max(self._n, round(refit_s * rate_hz / self._n) * self._n)
        self._prior_gain_sd = prior_gain_sd
        self._rest_acc = np.empty((0, 3))
        self._rest_gyr = np.empty((0, 3))
        self._poses = _Poses()
        self._fitted = 0  # still windows the correction in force was fitted from
        self.rows = 0  # rows added so far
        self.correction = NO_CORRECTION

    def rows_to_refit(self) -> int:
        """Rows still to come before the next refit row (at least 1)."""
        return self.refit_rows - self.rows % self.refit_rows

    def add(self, acc_m_s2: FloatArray, gyr_rad_s: FloatArray) -> bool:
        """Append rows (raw specific force and rates, sensor frame), never past a refit row.

        Returns True when this reached a refit row and the correction changed.
        """
        if acc_m_s2.shape[0] > self.rows_to_refit():
            raise ValueError("add() rows past the next refit row")
        a = np.concatenate([self._rest_acc, acc_m_s2])
        g = np.concatenate([self._rest_gyr, gyr_rad_s])
        k = a.shape[0] // self._n
        if k:
            self._poses.add(
                still_pose_means(
                    a[: k * self._n],
                    g[: k * self._n],
                    rate_hz=self.rate_hz,
                    gyr_bias_rad_s=self._bias,
                    window_s=self._window_s,
                )
            )
        self._rest_acc, self._rest_gyr = a[k * self._n :], g[k * self._n :]
        self.rows += acc_m_s2.shape[0]
        if self.rows % self.refit_rows:
            return False
        return self.refit()

    def _fit(self, poses: FloatArray) -> AccCorrection:
        """:func:`fit_pose_clusters` of the poses' means, looked up in ``fits`` when given.

        ``fits`` is shared by estimators fed the same still windows (a live session's
        re-decisions replay it from its start): a fit of the very same poses is not made
        again. The key is the poses' bytes, so the result is the fit's, bit for bit.
        """
        if self._fits is None:
            return fit_pose_clusters(poses, prior_gain_sd=self._prior_gain_sd)
        key = hashlib.blake2b(
            poses.tobytes() + repr(self._prior_gain_sd).encode(), digest_size=16
        ).digest()
        fit = self._fits.get(key)
        if fit is None:
            fit = fit_pose_clusters(poses, prior_gain_sd=self._prior_gain_sd)
            self._fits[key] = fit
        return fit

    def refit(self) -> bool:
        """Refit from every completed still window now; True when the correction changed."""
        if self._poses.windows == self._fitted:
            return False
        self._fitted = self._poses.windows
        new = self._fit(self._poses.means())
        old = self.correction
        self.correction = new
        return not (
            np.array_equal(new.bias_m_s2, old.bias_m_s2) and np.array_equal(new.gain, old.gain)
        )
