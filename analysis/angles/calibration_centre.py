"""Which way the pelvis faces, from the hip joint centre it shares with the thigh.

A pelvis kept still through the calibration movements cannot tell its front from its back
by itself: a sensor facing backwards on a pelvis that tips forward reads what a sensor facing
forwards reads on one that tips back. The hip joint links it to the thigh, whose flexion axis
and sign the leg's own movements establish. The joint centre is one point of both segments,
so its acceleration is the same vector whichever sensor it is computed from (the constraint
Seel, Schauer & Raisch 2012 use to locate joint centres).

Each 6-D orientation has its own earth frame with an arbitrary heading; the two frames differ
by a turn ψ about the vertical. Seen from sensor k at lever arm ``r_k`` from the centre
(sensor coordinates, unknown), the centre accelerates by ``a_k − Γ_k r_k``
(``Γ = [ω]×[ω]× + [ω̇]×``, specific force ``a_k``), which ``R_k = R(q_E_S)`` turns into
earth coordinates. For a trial ψ, the lever arms and a constant offset (accelerometer biases,
a tilt misalignment) are a linear least-squares fit, and the residual RMS is how badly the two
sensors disagree about the centre (:func:`centre_mismatch`).

The stand lines up the pelvis's flexion axis with the thigh's (``analysis.angles.heading``), so the
two sign candidates of the pelvis axis ask for two headings 180° apart
(:func:`candidate_headings`); the one whose centre accelerations agree is the pelvis's front
(:func:`centre_evidence`). Knee bends move the hip centre down and back even when the pelvis
does not tip; leg swings turn the thigh about a still centre and so pin its lever arm. When
the centre does not move (no knee bends, a supine stretch) both candidates fit equally well
and the test does not decide.

Frames: ``E_k`` earth frame of sensor k (z up), ``S`` sensor; accelerations m/s², rates rad/s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot

FloatArray = NDArray[np.float64]

SMOOTH_S: Final = 0.1
"""Moving-mean window (s) applied to rates and accelerations before differentiating."""
RIDGE: Final = 1e-3
"""Ridge on the lever arms (per sample, (m/s²)²/m²): keeps a still sensor's arm finite."""
VENDOR_TILT_WANDER_DEG: Final = 0.3
"""How far (RMS, about each horizontal axis) a vendor's own fusion lets its tilt wander
during a session (a few tenths of a degree: the Movella DOT). Its exported orientation turns
gravity by that much, a horizontal acceleration of ``g · sin(0.3°)`` ≈ 0.05 m/s² per axis that
changes as the error does (the fit's constant offset takes only its mean); the sensor's
acceleration and rates are derived from the same orientation, so nothing in the data shows it.
A still pelvis's hip centre moves by less than that in the calibration: the error alone can
make one heading fit better (:func:`vendor_tilt_noise`, :attr:`CentreEvidence.floor_m_s2`)."""


def vendor_tilt_noise(gravity_m_s2: float = 9.81) -> float:
    """RMS vector length (m/s²) of the horizontal acceleration a vendor's tilt wander adds."""
    return float(gravity_m_s2 * np.sin(np.deg2rad(VENDOR_TILT_WANDER_DEG)) * np.sqrt(2.0))


@dataclass(frozen=True)
class CentreTerms:
    """One sensor's view of a joint centre.

    ``acc_E`` (n, 3) is the specific force in the sensor's earth frame (m/s²); ``lever_E``
    (n, 3, 3) is ``R Γ``, mapping a lever arm (m, sensor frame) to the acceleration it adds
    (m/s², earth frame). ``tilt_noise_m_s2``: the RMS acceleration (vector length) that the
    orientation's own wandering tilt error adds to ``acc_E`` (gravity turned by it), where
    that error is not ours to know (:data:`VENDOR_TILT_WANDER_DEG`); 0 for our own fusion.
    """

    acc_E: FloatArray
    lever_E: FloatArray
    tilt_noise_m_s2: float = 0.0


def _moving_mean(x: FloatArray, n: int) -> FloatArray:
    if n <= 1:
        return x
    c = np.cumsum(np.concatenate([np.zeros((1, x.shape[1])), x]), axis=0)
    k = np.arange(x.shape[0])
    lo = np.clip(k - n // 2, 0, x.shape[0])
    hi = np.clip(k - n // 2 + n, 0, x.shape[0])
    return (c[hi] - c[lo]) / (hi - lo)[:, None]


def _skew(v: FloatArray) -> FloatArray:
    out = np.zeros((v.shape[0], 3, 3))
    out[:, 0, 1], out[:, 0, 2] = -v[:, 2], v[:, 1]
    out[:, 1, 0], out[:, 1, 2] = v[:, 2], -v[:, 0]
    out[:, 2, 0], out[:, 2, 1] = -v[:, 1], v[:, 0]
    return out


_PATHS: dict[tuple[str, tuple[tuple[int, ...], ...]], list[Any]] = {}
"""Contraction orders :func:`_einsum` has found, by subscripts and operand shapes."""


def _einsum(subscripts: str, *operands: FloatArray) -> FloatArray:
    """``np.einsum(subscripts, *operands, optimize=True)``, its order searched once per shape.

    The order ``optimize=True`` finds depends on the operands' shapes only; given the order
    it would find, ``np.einsum`` does the same contractions, so the numbers are the same.
    """
    key = (subscripts, tuple(o.shape for o in operands))
    path = _PATHS.get(key)
    if path is None:
        path = np.einsum_path(subscripts, *operands, optimize=True)[0]
        _PATHS[key] = path
    return np.einsum(subscripts, *operands, optimize=path)


def centre_terms(
    acc_m_s2: FloatArray, gyr_rad_s: FloatArray, q_E_S: FloatArray, *, rate_hz: float
) -> CentreTerms:
    """The terms of one sensor (biases removed by the caller; consecutive samples)."""
    r_e_s = rot.to_matrix(np.asarray(q_E_S, dtype=np.float64))
    return rotated_centre_terms(acc_m_s2, gyr_rad_s, r_e_s, rate_hz=rate_hz)


def rotated_centre_terms(
    acc_m_s2: FloatArray, gyr_rad_s: FloatArray, r_E_S: FloatArray, *, rate_hz: float
) -> CentreTerms:
    """:func:`centre_terms` from the orientation matrices ``r_E_S`` (n, 3, 3) instead.

    The matrices are per sample, so a caller judging many stretches of one session can
    build them once for the session and pass slices: the same numbers bit for bit.
    """
    n = max(1, round(SMOOTH_S * rate_hz))
    acc = _moving_mean(np.asarray(acc_m_s2, dtype=np.float64), n)
    gyr = _moving_mean(np.asarray(gyr_rad_s, dtype=np.float64), n)
    w = _skew(gyr)
    gamma = w @ w + _skew(np.gradient(gyr, 1.0 / rate_hz, axis=0))
    return CentreTerms(acc_E=np.einsum("nij,nj->ni", r_E_S, acc), lever_E=r_E_S @ gamma)


def _rz(psi_rad: float) -> FloatArray:
    c, s = np.cos(psi_rad), np.sin(psi_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def centre_mismatch(psi_rad: float, a: CentreTerms, b: CentreTerms) -> float:
    """RMS disagreement (m/s²) of ``a`` and ``b`` about the centre's acceleration.

    ``a``'s earth frame is turned by ``psi_rad`` about the vertical into ``b``'s.

    Unknowns fitted: both lever arms (ridge :data:`RIDGE`) and a constant offset.
    """
    return MismatchForm(a, b)(psi_rad)


_TURN_PARTS: Final = np.array(
    [
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
        [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
    ]
)
"""``Rz(ψ) = C₀ + cos ψ · C₁ + sin ψ · C₂``."""


class MismatchForm:
    """:func:`centre_mismatch` of one pair of terms at any heading, from sums taken once.

    The least-squares problem's normal matrix, right-hand side and target energy are linear
    in ``(1, cos ψ, sin ψ)`` (``Rz(ψ)ᵀ Rz(ψ) = I``), so their parts are summed over the
    samples once (:data:`_TURN_PARTS`) and each heading costs one 9×9 solve: the same
    residual as building the design at every heading, up to rounding.
    """

    def __init__(self, a: CentreTerms, b: CentreTerms) -> None:
        la, lb = a.lever_E, b.lever_E
        n = la.shape[0]
        parts = _TURN_PARTS
        # per part k: Σ Laᵀ Ckᵀ Lb, Σ Laᵀ Ckᵀ, Σ Laᵀ Ckᵀ acc_b, Σ Lbᵀ Ck acc_a, Ck Σ acc_a,
        # Σ acc_bᵀ Ck acc_a (La, Lb: the lever terms of a and b)
        sum_la = la.sum(axis=0)
        self._ab = _einsum("nji,klj,nlm->kim", la, parts, lb)
        self._ai = np.einsum("ji,klj->kil", sum_la, parts)
        self._ua = _einsum("nji,klj,nl->ki", la, parts, b.acc_E)
        self._wb = _einsum("nji,kjl,nl->ki", lb, parts, a.acc_E)
        self._ia = np.einsum("kij,j->ki", parts, a.acc_E.sum(axis=0))
        self._tt = _einsum("ni,kij,nj->k", b.acc_E, parts, a.acc_E)
        self._aa = np.einsum("nji,njl->il", la, la)
        self._bb = np.einsum("nji,njl->il", lb, lb)
        self._bi = lb.sum(axis=0).T
        self._va = np.einsum("nji,nj->i", la, a.acc_E)
        self._vb = np.einsum("nji,nj->i", lb, b.acc_E)
        self._sb = b.acc_E.sum(axis=0)
        self._energy = float(np.sum(a.acc_E**2) + np.sum(b.acc_E**2))
        self._n = n
        self._ridge = RIDGE * n * np.diag([1.0] * 6 + [0.0] * 3)
        # the normal matrix's blocks that do not turn with the heading
        self._fixed = np.zeros((9, 9))
        self._fixed[:3, :3] = self._aa
        self._fixed[3:6, 3:6] = self._bb
        self._fixed[3:6, 6:] = self._bi
        self._fixed[6:, 3:6] = self._bi.T
        self._fixed[6:, 6:] = n * np.eye(3)

    def __call__(self, psi_rad: float) -> float:
        """RMS residual (m/s²) at the heading ``psi_rad``."""
        w = np.array([1.0, np.cos(psi_rad), np.sin(psi_rad)])
        ab = -(w @ self._ab.reshape(3, 9)).reshape(3, 3)
        ai = -(w @ self._ai.reshape(3, 9)).reshape(3, 3)
        normal = self._fixed.copy()
        normal[:3, 3:6] = ab
        normal[3:6, :3] = ab.T
        normal[:3, 6:] = ai
        normal[6:, :3] = ai.T
        rhs = np.concatenate(
            [
                self._va - w @ self._ua,
                self._vb - w @ self._wb,
                self._sb - w @ self._ia,
            ]
        )
        x = np.linalg.solve(normal + self._ridge, rhs)
        energy = self._energy - 2.0 * float(w @ self._tt)
        resid = energy - 2.0 * float(x @ rhs) + float(x @ normal @ x)
        return float(np.sqrt(max(resid, 0.0) / self._n))


def candidate_headings(z_a_E: FloatArray, z_b_E: FloatArray) -> tuple[float, float]:
    """The turns (rad) about the vertical that align ``z_a_E`` with ``z_b_E``.

    The first points ``z_a_E``'s horizontal part along ``z_b_E``'s, the second against it.
    """
    psi = float(np.arctan2(z_b_E[1], z_b_E[0]) - np.arctan2(z_a_E[1], z_a_E[0]))
    return psi, psi + np.pi


@dataclass(frozen=True)
class CentreEvidence:
    """Centre mismatch (m/s² RMS) of the segment's flexion axis as estimated and reversed.

    ``floor_m_s2``: the mismatch the two sensors' orientation errors alone may put on either
    candidate (root-sum-square of their :attr:`CentreTerms.tilt_noise_m_s2`): a difference
    between the candidates smaller than that may be those errors, not the hip centre
    (:attr:`beyond_floor`).
    """

    as_estimated: float
    reversed: float
    floor_m_s2: float = 0.0

    @property
    def beyond_floor(self) -> bool:
        """True when the candidates' mismatches differ by more than :attr:`floor_m_s2`."""
        return abs(self.reversed - self.as_estimated) > self.floor_m_s2

    @property
    def choice(self) -> int:
        """0: keep the axis as estimated; 1: reverse it."""
        return int(self.reversed < self.as_estimated)

    @property
    def ratio(self) -> float:
        """How many times worse the rejected candidate fits (1 = no evidence)."""
        lo = min(self.as_estimated, self.reversed)
        return max(self.as_estimated, self.reversed) / max(lo, 1e-9)

    def __add__(self, other: CentreEvidence) -> CentreEvidence:
        """Evidence of two partners together (root-sum-square of the mismatches)."""
        return CentreEvidence(
            float(np.hypot(self.as_estimated, other.as_estimated)),
            float(np.hypot(self.reversed, other.reversed)),
            float(np.hypot(self.floor_m_s2, other.floor_m_s2)),
        )


def centre_evidence(
    segment: CentreTerms, partner: CentreTerms, z_segment_E: FloatArray, z_partner_E: FloatArray
) -> CentreEvidence:
    """How well each sign of the segment's flexion axis fits the shared joint centre.

    ``z_segment_E`` is the segment's flexion axis (as estimated) and ``z_partner_E`` the
    partner's (sign decided), each in its own sensor's earth frame at the quiet stand.
    """
    keep, flip = candidate_headings(z_segment_E, z_partner_E)
    form = MismatchForm(segment, partner)
    floor = float(np.hypot(segment.tilt_noise_m_s2, partner.tilt_noise_m_s2))
    return CentreEvidence(form(keep), form(flip), floor)


HEADING_STEP_DEG: Final = 5.0
"""Grid step of the heading search (:func:`best_heading`)."""
HEADING_TOL_DEG: Final = 0.2
"""The grid's best heading is refined to this tolerance between its neighbours: a half
step (2.5°) of heading error would turn the partner's axis as much in the segment's frame."""
AWAY_DEG: Final = 45.0
"""Headings at least this far from the best one are its rivals (:func:`best_heading`)."""


def best_heading(
    a: CentreTerms, b: CentreTerms, form: MismatchForm | None = None
) -> tuple[float, float]:
    """The turn ψ (rad) of ``a``'s earth frame into ``b``'s that best fits the shared centre.

    A 5° grid finds the best heading, refined between its neighbours to
    :data:`HEADING_TOL_DEG` (:func:`golden_min`); ``form``: the pair's :class:`MismatchForm`
    when already built. Also returns its sharpness: the smallest
    mismatch of any grid heading ≥ 45° away, over the best grid one's (1 = the centre's
    movements do not define the heading).
    """
    form = form or MismatchForm(a, b)
    grid = np.deg2rad(np.arange(0.0, 360.0, HEADING_STEP_DEG))
    mismatch = np.array([form(float(x)) for x in grid])
    k = int(np.argmin(mismatch))
    away = np.abs(np.angle(np.exp(1j * (grid - grid[k])))) >= np.deg2rad(AWAY_DEG)
    sharpness = float(mismatch[away].min() / max(float(mismatch[k]), 1e-9))
    step = np.deg2rad(HEADING_STEP_DEG)
    psi, low = golden_min(
        form,
        float(grid[k]) - step,
        float(grid[k]) + step,
        tol=np.deg2rad(HEADING_TOL_DEG),
    )
    psi = psi if low <= mismatch[k] else float(grid[k])
    return float(np.mod(psi, 2.0 * np.pi)), sharpness


GOLDEN: Final = (np.sqrt(5.0) - 1.0) / 2.0
"""The golden section's ratio: each step of :func:`golden_min` keeps this share of its bracket."""


def golden_min(
    f: Callable[[float], float], lo: float, hi: float, *, tol: float
) -> tuple[float, float]:
    """A minimum of ``f`` on ``[lo, hi]`` by golden-section search: ``(x, f(x))``.

    Exact for a function with one minimum in the bracket, to within ``tol`` in ``x``.
    """
    c, d = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
    fc, fd = f(c), f(d)
    while hi - lo > tol:
        if fc <= fd:
            hi, d, fd = d, c, fc
            c = hi - GOLDEN * (hi - lo)
            fc = f(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + GOLDEN * (hi - lo)
            fd = f(d)
    return (c, fc) if fc <= fd else (d, fd)


HEADING_RISE: Final = 0.05
"""The share by which a wrong heading must raise the centre mismatch's square before the
fit can tell it from the best (:func:`heading_spread_deg`)."""


def heading_spread_deg(sharpness: float) -> float:
    """How far (°) the best heading can be from the true one, given its sharpness.

    The mismatch's square grows about quadratically with the heading's error ``e``,
    ``m(e)² ≈ m₀² (1 + (S² − 1)(e / 45°)²)`` for a sharpness ``S`` measured at 45°
    (:func:`best_heading`). The residual ``m₀`` is not noise alone (soft tissue, the thighs'
    own axis errors, unmodelled biases move the minimum), so a heading is placed no better
    than to the turn that raises the square by :data:`HEADING_RISE`:
    ``45° · √(HEADING_RISE / (S² − 1))``. Infinite for ``S ≤ 1`` (no heading defined).
    """
    if not sharpness > 1.0:
        return float("inf")
    return float(AWAY_DEG * np.sqrt(HEADING_RISE / (sharpness**2 - 1.0)))


def axis_from_partner(
    psi_rad: float, z_partner_E: FloatArray, r_E_S: FloatArray, y_S: FloatArray
) -> FloatArray:
    """The partner's flexion axis (its earth frame) as a unit axis of this sensor.

    ``r_E_S`` is this sensor's orientation matrix at the stand, ``psi_rad`` the turn of this
    sensor's earth frame into the partner's (:func:`best_heading`); the result is made
    orthogonal to this segment's superior axis ``y_S`` (at the stand the hip is neutral, so
    pelvis and thigh share their flexion axis, as ``analysis.angles.heading`` assumes too).
    """
    z = r_E_S.T @ _rz(-psi_rad) @ np.asarray(z_partner_E, dtype=np.float64)
    z = z - (z @ y_S) * y_S
    return z / max(float(np.linalg.norm(z)), 1e-12)


SESSION_CHUNK_S: Final = 10.0
"""The whole-session centre test judges the session in stretches this long…"""
SESSION_STEP_S: Final = 5.0
"""…starting this far apart (a movement cut by one stretch's edge is whole in the next)."""
VOTE_SHARPNESS: Final = 1.5
"""A stretch votes only when its own centre defines the heading this sharply…"""
VOTE_OFF_DEG: Final = 20.0
"""…within this of one of the two candidate headings (the stand's axes carry a few degrees
of error each, the sensors' earth frames drift apart slowly; a heading nearer neither
candidate is a fit of something else, e.g. soft tissue on a turn on the spot)…"""
VOTE_RATIO: Final = 1.3
"""…and that candidate fits this many times better than the other (the window's ``high``)."""


@dataclass(frozen=True)
class CentreVote:
    """One stretch of the session on a segment's sign, through the shared centre.

    ``choice`` 0 keeps the axis as estimated, 1 reverses it; ``ratio`` is how many times
    worse the other candidate fits; ``sharpness`` the stretch's own heading sharpness
    (:func:`best_heading`); ``off_deg`` its best heading's distance from the chosen candidate.
    """

    start_s: float
    choice: int
    ratio: float
    sharpness: float
    off_deg: float


def centre_vote(
    segment: CentreTerms,
    partner: CentreTerms,
    z_segment_E: FloatArray,
    z_partner_E: FloatArray,
    *,
    start_s: float = 0.0,
) -> CentreVote | None:
    """One stretch's vote on the segment's sign (None: the stretch does not decide).

    Unlike the functional window's test (:func:`centre_evidence`), a stretch must do more
    than prefer one candidate: its centre must fix the heading by itself (sharpness
    ≥ :data:`VOTE_SHARPNESS`), at one of the two candidates (within :data:`VOTE_OFF_DEG`),
    and that candidate must fit ≥ :data:`VOTE_RATIO` times better than the other.
    """
    keep, flip = candidate_headings(z_segment_E, z_partner_E)
    form = MismatchForm(segment, partner)
    ev = CentreEvidence(form(keep), form(flip))
    if not ev.ratio >= VOTE_RATIO:
        return None
    psi, sharpness = best_heading(segment, partner, form)
    if sharpness < VOTE_SHARPNESS:
        return None
    off = float(np.rad2deg(abs(np.angle(np.exp(1j * (psi - (keep, flip)[ev.choice]))))))
    if off > VOTE_OFF_DEG:
        return None
    return CentreVote(start_s, ev.choice, ev.ratio, sharpness, off)
