"""The gyroscope's turn between two still poses as a witness of an accelerometer's errors.

Between two still windows of one sensor the gyroscope's rotation carries the first window's
gravity direction onto the second's. An accelerometer whose gains or offsets are off reads the
angle between the two poses wrongly even where its two norms look right (a gain error across
the two verticals changes the directions, not the lengths). The residual is the accelerometer's
direction at the second pose minus the carried one (two components in the plane normal to it,
radians, sensor frame).

Its linearised model: ``residual = J_acc θ_acc + J_gyr θ_gyr + ε``, with ``θ_acc`` the pose fit's
nine terms (offsets m/s², six symmetric gain terms: :mod:`analysis.angles.accbias`),
``θ_gyr`` the gyroscope's symmetric sensitivity error (σ :data:`GYR_GAIN_SD`) and its
misalignment against the accelerometer (σ :data:`GYR_SKEW_SD`), and ``ε`` :data:`EPS_RAD` plus
:data:`EPS_REL` of the turn. :func:`turns_lbf` weighs the raw norms and turns together under the
fit's prior against a prior :data:`WIDER` times wider (docs/accuracy.md, round 17 and 18).

Frames: sensor frame throughout; the gyroscope's rates are body rates, so the rotation from
window ``i`` to ``j`` is ``R_ij = ∏ exp(ω_k dt)`` in time order and a direction fixed in the
world, read at ``i`` as ``u_i``, reads ``R_ijᵀ u_i`` at ``j``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from analysis.angles.accbias import GAIN_TERMS, _gain_matrix, pose_labels

FloatArray = NDArray[np.float64]

WINDOW_S: Final = 0.5
"""Still windows are this long (the pose fit's)."""

MAX_GYRO_RAD_S: Final = 0.05
"""A window is still when no sample turns faster than this (after the gyroscope's bias) …"""

MAX_ACC_SD_M_S2: Final = 0.1
"""… and its specific force varies by less than this (root of the three variances)."""

MAX_GAP_S: Final = 20.0
"""At most this much movement between two still windows: the gyroscope's drift stays small."""

MIN_TURN_DEG: Final = 20.0
"""Two windows at least this far apart: a smaller turn tells the gains nothing the noise hides."""

BIAS_NEAR_S: Final = 30.0
"""The gyroscope's offset over a transition: the median rate of every still window this near."""

POSE_RADIUS_DEG: Final = 8.0
"""Transitions join a pair of poses when their ends are within this of the poses' first ends."""

MAX_PER_PAIR: Final = 25
"""At most this many transitions of a pair of poses are integrated (spread evenly over the
session): the median of 25 is as good a witness, and a 10-h session has thousands."""

GYR_GAIN_SD: Final = 0.015
"""The gyroscope's sensitivity error per symmetric term (1σ): the MPU-6050's ±3 % as 2σ, the
widest of the parts this tool assumes (WitMotion, Thingy:52)."""

GYR_SKEW_SD: Final = 0.01
"""The gyroscope's misalignment against the accelerometer per axis (1σ, rad, ≈ 0.6°)."""

EPS_RAD: Final = float(np.radians(0.3))
"""A transition's own noise: 0.3° …"""

EPS_REL: Final = 0.005
"""… plus this share of the turn (the integration's and the drift's)."""

WIDER: Final = 3.0
"""The commodity part's prior against the fit's (``tilt_precision.COMMODITY_PRIOR_SCALE``)."""


@dataclass(frozen=True)
class StillBlocks:
    """Per :data:`WINDOW_S` window of one sensor: still or not, its mean force and rate.

    ``still`` ``(k,)``, mean specific force ``acc_m_s2`` ``(k, 3)`` and mean rate ``gyr_rad_s``
    ``(k, 3)``; ``n`` samples per window.
    """

    n: int
    still: NDArray[np.bool_]
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray


@dataclass(frozen=True)
class Turn:
    """One still-to-still transition, windows ``i`` → ``j``.

    ``ends_m_s2`` ``(2, 3)``: the two windows' mean specific force as the residual reads it;
    ``rotation``: the gyroscope's ``R_ij``; ``acc_deg``/``gyr_deg``: the angle between the two
    gravity directions as the accelerometer and as the gyroscope read it; ``residual_rad``
    ``(2,)`` in ``basis`` ``(2, 3)``; ``j_acc``/``j_gyr`` ``(2, 9)`` (:func:`with_jacobians`;
    None until then).
    """

    i: int
    j: int
    ends_m_s2: FloatArray
    rotation: Rotation
    basis: FloatArray
    residual_rad: FloatArray
    acc_deg: float
    gyr_deg: float
    j_acc: FloatArray | None = None
    j_gyr: FloatArray | None = None


def still_blocks(
    acc_m_s2: NDArray[np.floating],
    gyr_rad_s: NDArray[np.floating],
    rate_hz: float,
    gyr_bias_rad_s: FloatArray,
    *,
    chunk_blocks: int = 4_000,
) -> StillBlocks:
    """:class:`StillBlocks` of one sensor, a bounded number of windows at a time (float32 kept)."""
    n = max(2, round(WINDOW_S * rate_hz))
    k = acc_m_s2.shape[0] // n
    still = np.zeros(k, dtype=bool)
    acc = np.full((k, 3), np.nan)
    gyr = np.full((k, 3), np.nan)
    bias = np.asarray(gyr_bias_rad_s, dtype=np.float64)
    for s in range(0, k, chunk_blocks):
        e = min(k, s + chunk_blocks)
        a = np.asarray(acc_m_s2[s * n : e * n], dtype=np.float64).reshape(e - s, n, 3)
        g = np.asarray(gyr_rad_s[s * n : e * n], dtype=np.float64).reshape(e - s, n, 3)
        d = g - bias
        with np.errstate(invalid="ignore"):
            turning = np.sqrt(np.einsum("kni,kni->kn", d, d)).max(axis=1)
            sd = np.sqrt(a.var(axis=1).sum(axis=1))
            still[s:e] = (turning < MAX_GYRO_RAD_S) & (sd < MAX_ACC_SD_M_S2)
        acc[s:e] = a.mean(axis=1)
        gyr[s:e] = g.mean(axis=1)
    return StillBlocks(n, still, acc, gyr)


def integrate_rad_s(w_rad_s: FloatArray, dt_s: float) -> Rotation:
    """Body rates ``(N, 3)`` integrated in time order: ``R(t_end) = R(t_0) · result``."""
    if w_rad_s.shape[0] == 0:
        return Rotation.identity()
    r = Rotation.from_rotvec(w_rad_s * dt_s)
    while len(r) > 1:
        if len(r) % 2:
            r = Rotation.concatenate([r, Rotation.identity()])
        r = r[0::2] * r[1::2]
    return r[0]


def local_rate_bias_rad_s(blocks: StillBlocks, i: int, j: int) -> FloatArray:
    """The gyroscope's offset over windows ``i``…``j`` (rad/s).

    The median rate of every still window within :data:`BIAS_NEAR_S` of either end. A window
    that turns slowly still passes as still; its own mean alone would take that turn out of
    the whole transition.
    """
    near = round(BIAS_NEAR_S / WINDOW_S)
    idx = np.flatnonzero(blocks.still)
    idx = idx[(idx >= i - near) & (idx <= j + near)]
    return np.median(blocks.gyr_rad_s[idx], axis=0)


def _unit(v: FloatArray) -> FloatArray:
    return v / np.linalg.norm(v)


def angle_deg(a: FloatArray, b: FloatArray) -> float:
    """The angle between two vectors (degrees, 0–180)."""
    return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b)))


def carried_residual_rad(
    theta: FloatArray, ends_m_s2: FloatArray, rotation: Rotation, basis: FloatArray
) -> FloatArray:
    """Measured minus carried gravity direction at the second end, in ``basis`` ``(2, 3)``.

    ``theta`` ``(9,)``: a correction ``f = gain·(a − offset)`` applied to both ends (offsets
    m/s², then the six gain terms of :data:`~analysis.angles.accbias.GAIN_TERMS`); zero: none.
    """
    gain = _gain_matrix(theta[3:])
    fi, fj = (gain @ (e - theta[:3]) for e in ends_m_s2)
    return basis @ (_unit(fj) - rotation.inv().apply(_unit(fi)))


def turn_between(
    ends_m_s2: FloatArray, w_rad_s: FloatArray, dt_s: float, i: int = 0, j: int = 0
) -> Turn | None:
    """The :class:`Turn` of two still ends ``(2, 3)`` and the debiased rates between them.

    The residual is read in the plane normal to the second end: along the normal of the two
    ends' plane (out of it) and within it (the angle between the two poses). None where the
    two ends are parallel (no plane).
    """
    rot = integrate_rad_s(w_rad_s, dt_s)
    mi, mj = _unit(ends_m_s2[0]), _unit(ends_m_s2[1])
    carried = rot.inv().apply(mi)
    t1 = np.cross(mj, mi)
    if np.linalg.norm(t1) < 1e-9:
        return None
    t1 = _unit(t1)
    basis = np.stack([t1, np.cross(mj, t1)])
    r0 = carried_residual_rad(np.zeros(9), ends_m_s2, rot, basis)
    acc_deg = angle_deg(ends_m_s2[0], ends_m_s2[1])
    return Turn(i, j, ends_m_s2, rot, basis, r0, acc_deg, angle_deg(mi, carried))


def acc_jacobian(turn: Turn) -> FloatArray:
    """``(2, 9)``: the residual per unit of each accelerometer term (central differences)."""
    out = np.empty((2, 9))
    for k in range(9):
        d = np.zeros(9)
        d[k] = 1e-3 if k < 3 else 1e-5
        plus = carried_residual_rad(d, turn.ends_m_s2, turn.rotation, turn.basis)
        minus = carried_residual_rad(-d, turn.ends_m_s2, turn.rotation, turn.basis)
        out[:, k] = (plus - minus) / (2.0 * d[k])
    return out


def gyro_perturbations(h: float) -> list[FloatArray]:
    """Nine ``(3, 3)`` changes of the gyroscope's sensitivity matrix, each of size ``h``.

    The six symmetric terms of :data:`~analysis.angles.accbias.GAIN_TERMS`, then three
    misalignments (antisymmetric, about x, y, z).
    """
    out = []
    for p, q in GAIN_TERMS:
        e = np.zeros((3, 3))
        e[p, q] += h
        if p != q:
            e[q, p] += h
        out.append(e)
    for p, q in ((1, 2), (0, 2), (0, 1)):
        e = np.zeros((3, 3))
        e[p, q], e[q, p] = h, -h
        out.append(e)
    return out


def gyr_jacobian(turn: Turn, w_rad_s: FloatArray, dt_s: float, *, h: float = 1e-3) -> FloatArray:
    """``(2, 9)``: the residual per unit of each gyroscope term (:func:`gyro_perturbations`).

    The rates ``w_rad_s`` are re-integrated once per term (forward differences).
    """
    cols = []
    for e in gyro_perturbations(h):
        rot = integrate_rad_s(w_rad_s @ (np.eye(3) + e).T, dt_s)
        r = carried_residual_rad(np.zeros(9), turn.ends_m_s2, rot, turn.basis)
        cols.append((r - turn.residual_rad) / h)
    return np.stack(cols, axis=1)


def _rates_between(
    gyr_rad_s: NDArray[np.floating], blocks: StillBlocks, i: int, j: int
) -> FloatArray:
    """The debiased rates from window ``i``'s centre to window ``j``'s (rad/s, float64)."""
    n = blocks.n
    w = np.asarray(gyr_rad_s[i * n + n // 2 : j * n + n // 2], dtype=np.float64)
    return w - local_rate_bias_rad_s(blocks, i, j)


def _candidates(blocks: StillBlocks, ends_m_s2: FloatArray) -> list[tuple[int, int]]:
    """Consecutive still windows ``(i, j)`` with movement between.

    At most :data:`MAX_GAP_S` apart in time and at least :data:`MIN_TURN_DEG` apart in their
    ``ends_m_s2`` directions.
    """
    idx = np.flatnonzero(blocks.still)
    out = []
    for i, j in itertools.pairwise(idx):
        if j == i + 1 or (j - i - 1) * WINDOW_S > MAX_GAP_S:
            continue
        mi, mj = ends_m_s2[i], ends_m_s2[j]
        if not (np.all(np.isfinite(mi)) and np.all(np.isfinite(mj))):
            continue
        if angle_deg(mi, mj) >= MIN_TURN_DEG:
            out.append((int(i), int(j)))
    return out


def _pose_pairs(pairs: Sequence[tuple[int, int]], ends_m_s2: FloatArray) -> list[list[int]]:
    """Indices into ``pairs`` grouped by their (unordered) pair of poses."""
    if not pairs:
        return []
    e = ends_m_s2[np.asarray(pairs).ravel()]
    lab = pose_labels(
        e / np.linalg.norm(e, axis=1, keepdims=True),
        cos_radius=float(np.cos(np.deg2rad(POSE_RADIUS_DEG))),
    ).reshape(-1, 2)
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (a, b) in enumerate(lab):
        groups.setdefault((int(min(a, b)), int(max(a, b))), []).append(k)
    return list(groups.values())


def witness_turns(
    gyr_rad_s: NDArray[np.floating],
    blocks: StillBlocks,
    ends_m_s2: FloatArray,
    rate_hz: float,
) -> list[Turn]:
    """Per pair of poses, its transition of median ``acc_deg − gyr_deg``, with its Jacobians.

    ``blocks``: the sensor's :func:`still_blocks`; ``ends_m_s2`` ``(k, 3)``: the window means
    the residual reads (the raw accelerometer's, for :func:`turns_lbf`); ``gyr_rad_s``: the
    gyroscope on the same grid. At most :data:`MAX_PER_PAIR` transitions of a pair are read.
    """
    dt = 1.0 / rate_hz
    pairs = _candidates(blocks, ends_m_s2)
    out = []
    for group in _pose_pairs(pairs, ends_m_s2):
        if len(group) > MAX_PER_PAIR:
            group = [group[k] for k in np.linspace(0, len(group) - 1, MAX_PER_PAIR).astype(int)]
        turns = []
        for k in group:
            i, j = pairs[k]
            w = _rates_between(gyr_rad_s, blocks, i, j)
            if not np.all(np.isfinite(w)):
                continue
            t = turn_between(np.stack([ends_m_s2[i], ends_m_s2[j]]), w, dt, i, j)
            if t is not None:
                turns.append(t)
        if not turns:
            continue
        turns.sort(key=lambda t: t.acc_deg - t.gyr_deg)
        out.append(with_jacobians(turns[len(turns) // 2], gyr_rad_s, blocks, rate_hz))
    return out


def with_jacobians(
    turn: Turn, gyr_rad_s: NDArray[np.floating], blocks: StillBlocks, rate_hz: float
) -> Turn:
    """``turn`` with its :func:`acc_jacobian` and :func:`gyr_jacobian`."""
    w = _rates_between(gyr_rad_s, blocks, turn.i, turn.j)
    return Turn(
        turn.i,
        turn.j,
        turn.ends_m_s2,
        turn.rotation,
        turn.basis,
        turn.residual_rad,
        turn.acc_deg,
        turn.gyr_deg,
        acc_jacobian(turn),
        gyr_jacobian(turn, w, 1.0 / rate_hz),
    )


def turn_terms(turns: Sequence[Turn]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The turns' residuals, accelerometer Jacobian and the covariance of everything else.

    ``(2T,)``, ``(2T, 9)`` and ``(2T, 2T)``: the gyroscope's terms (:data:`GYR_GAIN_SD`,
    :data:`GYR_SKEW_SD`) and each turn's own noise (:data:`EPS_RAD`, :data:`EPS_REL`).
    """
    r = np.concatenate([t.residual_rad for t in turns])
    ja = np.concatenate([t.j_acc for t in turns if t.j_acc is not None])
    jg = np.concatenate([t.j_gyr for t in turns if t.j_gyr is not None])
    eps = np.repeat([EPS_RAD + EPS_REL * np.radians(t.gyr_deg) for t in turns], 2)
    sd = np.concatenate([np.full(6, GYR_GAIN_SD), np.full(3, GYR_SKEW_SD)])
    return r, ja, (jg * sd**2) @ jg.T + np.diag(eps**2)


def _log_likelihood(r: FloatArray, cov: FloatArray) -> float:
    """Log density of zero-mean Gaussian residuals ``r`` under ``cov`` (without the 2π term)."""
    _, logdet = np.linalg.slogdet(cov)
    return float(-0.5 * (r @ np.linalg.solve(cov, r) + logdet))


def turns_lbf(
    norm_residual_m_s2: FloatArray,
    norm_jacobian: FloatArray,
    turns: Sequence[Turn],
    prior_var: FloatArray,
    *,
    pose_sd_m_s2: float = 0.02,
) -> float:
    """Log Bayes factor of a prior :data:`WIDER` times the fit's, on the norms and turns.

    The raw still norms and the raw turns together, against the fit's prior.

    ``norm_residual_m_s2`` ``(J,)``: the poses' ``|ā| − g``, ``norm_jacobian`` ``(J, 9)`` their
    Jacobian (as ``tilt_precision.prior_misfit``); ``prior_var`` ``(9,)``: the fit's prior
    variances; ``turns`` with their Jacobians (:func:`witness_turns`). The gyroscope's terms
    and the noise are the same under both priors. > 0: the data read as a part whose
    accelerometer errors are about three times the prior's.
    """
    rt, ja, ct = turn_terms(turns)
    nn = norm_residual_m_s2.size
    r = np.concatenate([norm_residual_m_s2, rt])
    j = np.concatenate([norm_jacobian, ja])
    base = np.zeros((r.size, r.size))
    base[:nn, :nn] = pose_sd_m_s2**2 * np.eye(nn)
    base[nn:, nn:] = ct
    ll = [_log_likelihood(r, (j * (s**2 * prior_var)) @ j.T + base) for s in (1.0, WIDER)]
    return ll[1] - ll[0]


def widest_turn(turns: Sequence[Turn]) -> Turn | None:
    """The turn whose accelerometer and gyroscope angles differ most (for the reason)."""
    return max(turns, key=lambda t: abs(t.acc_deg - t.gyr_deg), default=None)
