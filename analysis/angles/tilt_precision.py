"""How precisely the still poses pin each sagittal angle: the accelerometer fit's own posterior.

The pose fit of :mod:`analysis.angles.accbias` estimates each accelerometer's bias and
symmetric gain from the norm of its still poses. What the poses do not observe stays
uncertain, and turns into a tilt error wherever the segment is far from its quiet-stand pose
(the stand itself is absorbed by the sensor-to-segment calibration). A segment still in only
two poses — the leg resting on the floor in the supine stretch: standing, then lying — is
the typical case: each pose's norm fixes only the sum of the bias and the scale along its own
vertical, and the cross-axis term between the two verticals is not seen at all, yet all of
them tilt the lying segment about its flexion axis.

This module propagates the fit's posterior covariance (Gauss–Newton at the estimate, the
same priors and pose noise as the fit) to the tilt error about the segment's flexion axis at
every moment of the session, relative to the stand, and from there to the expected RMSE of a
joint's flexion angle over the session (the two segments' errors are independent). Angles
whose error at :data:`COVERAGE_SIGMA` standard deviations can exceed their target are
reported with their predicted precision (:func:`precision_doubts`). Frames: sensor frame for
the accelerometer; the flexion axis is the segment's z in that frame (``q_S_B``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.accbias import (
    ACC_BIAS_PRIOR_SD_M_S2,
    GAIN_TERMS,
    AccCorrection,
    _norm_jacobian,
    cluster_poses,
    still_pose_means,
)
from analysis.angles.rotations import conjugate, rotate
from analysis.angles.turn_witness import Turn, still_blocks, turns_lbf, widest_turn, witness_turns
from analysis.recording.doubts import UncertainAngle, bounded, trace_bounded
from analysis.recording.schema import GRAVITY_M_S2, SIDES, angle_column, thigh_inclination_column
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]

COVERAGE_SIGMA: Final = 3.0
"""An angle is reported as not pinned to its target when this many predicted standard
deviations of its session RMSE exceed the target (3σ: the error is a constant offset per
pose, drawn once per sensor, so a 2σ bound would leave about one angle in twenty past it)."""

TARGET_DEG: Final = {
    k: RMSE_TARGET_DEG[k] for k in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")
}
"""The RMSE each judged joint angle is trusted to (issue targets, docs/accuracy.md)."""

PLAIN_NAME: Final = {
    "hip_flexion": "hip bend",
    "knee_flexion": "knee",
    "ankle_dorsiflexion": "ankle",
}
"""How the notes and reasons name each angle."""

BLOCK_S: Final = 0.5
"""Gravity direction is averaged over blocks of this length (the pose fit's still window)."""


PRIOR_TEST_P: Final = 0.01
"""A sensor's two still poses contradict the fit's prior when their gravity norms are this
improbable under it (:func:`prior_misfit`): the sensor's errors are larger than the prior says
(e.g. an MPU-6050-class part, ±3 % sensitivity), and its prediction is scaled up
(:func:`prior_scale`)."""


PART_PRIOR_SCALE: Final = MappingProxyType({"witmotion": 3.0, "thingy52": 3.0})
"""Factor on the fit's prior for the prediction, per sensor family the recording names (the
sidecar's ``sensors[placement].family``: a vendor file's reader or the live session writes it).
WitMotion and Nordic Thingy:52 carry MPU-6050-class parts (MPU-6050 / MPU-9250: zero-g offset
±50–80 mg, sensitivity ±3 %, cross-axis ±2 %, taken as 2σ: about three times the prior's 15 mg
and 0.5 %). Two or three still poses leave part of the offset–gain split at the prior, and a
sensor of such a part errs there as its datasheet says, whatever its norms show (stranger seed
1470's thigh: a 4 % gain whose two norms fit the prior). A family not listed, or none (a
canonical file without a sidecar, a simulation), keeps the prior unless its still norms read
as such a part's (:func:`inferred_part`)."""


UNNAMED_GAIN_SD: Final = 0.015
"""Accelerometer gain error (1σ, each of the fit's six gain terms) that a sensor whose file
does not name its part may carry. The widest part this tool reads is the MPU-6050 class
(WitMotion, Thingy:52): its datasheet gives a sensitivity initial calibration tolerance of
±3 % and a cross-axis sensitivity of ±2 % (InvenSense PS-MPU-6000A-00 rev. 3.4, §6.2), taken
as 2σ. Still poses pin only what their verticals load; along a direction they never turned
to, the offset–gain split stays at this prior, and a leg held far from every still pose (lying
with the leg up: thigh and shank turned 150–175° from the stand) is tilted by it
(:func:`gain_prior_doubts`). The fit itself keeps its narrower prior."""


PART_UNSTATED: Final = MappingProxyType({"movella_dot": "Movella DOT"})
"""Families whose files name the product but not its accelerometer part, nor a gain or
cross-axis tolerance for it, with how the reasons name the product. Their sensors' gain is as
unknown as an unnamed part's (:data:`UNNAMED_GAIN_SD`, :func:`gain_prior_doubts`). A Movella
DOT's quaternion takes its tilt from its own accelerometer, gain and cross-axis errors
included, as a raw part's fusion would; its export's specific force is that accelerometer
(``analysis.angles.vendor_tilt``), and its still poses leave the same offset–gain split
unmeasured (docs/accuracy.md, round 23: stranger round 5 seed 2742's DOT knee, 2.00° off,
2.00 → 0.94° with the accelerometer's gain and cross-axis errors left out)."""


ACC_OFFSET_WALK_M_S2_SQRT_S: Final = 1e-4 * GRAVITY_M_S2
"""How fast an accelerometer's offset wanders during a session (m/s² per √s, per axis; about
0.1 mg/√s: 2.5 mg after 10 min, 6 mg after an hour). The pose fit takes each offset as
constant, so what it wanders after the quiet stand stays in every later pose, and its part
across gravity tilts the segment as an offset does; no still norm sees that part (a norm
sees only the part along gravity). The size is an assumption, of the order of consumer
datasheets' offset over temperature (BMI160: ±1 mg/K typical) on a sensor that warms on the
skin by a few kelvin; the simulator's offset walk has the same value (docs/simulator.md)."""


ACC_OFFSET_WALK_SPAN_S: Final = 3600.0
"""How long after the quiet stand the offset's walk goes on growing (s); later it is taken as
reached: a worn part's offset drifts with its warming (BMI160 ±1 mg/K typical) over a few
kelvin, reached within minutes on the skin, so its drift is bounded, not a √t without end
(at constant temperature consumer parts' Allan deviation shows ~0.01 mg/√s, a tenth of
:data:`ACC_OFFSET_WALK_M_S2_SQRT_S`). An hour of the walk, 6 mg, covers such a warming; a
1-h session's prediction is unchanged, a 10-h one's no longer grows to 19 mg."""


def walk_tilt_cov3(
    u: FloatArray,
    since_stand_s: FloatArray,
    q_S_B: FloatArray,
    walk_m_s2_sqrt_s: float,
    span_s: float = ACC_OFFSET_WALK_SPAN_S,
) -> FloatArray:
    """``(k, 3, 3)``: covariance (rad²) of the tilt an offset's walk since the stand leaves.

    ``u``: unit mean specific force per block ``(k, 3)`` (sensor frame); ``since_stand_s``:
    each block's time from the quiet stand (s, ≥ 0); ``q_S_B``: segment to sensor. An offset
    wandered by ``δ`` (isotropic, variance ``walk² · Δt`` per axis, ``Δt`` at most ``span_s``:
    :data:`ACC_OFFSET_WALK_SPAN_S`) turns the measured gravity by the rotation vector
    ``u × δ / g`` (:func:`tilt_gradient`), whose covariance is ``walk² Δt / g² · (I − u uᵀ)``;
    returned in the segment's axes (x anterior, y superior, z lateral) as
    :func:`segment_tilt_cov3`. NaN where ``u`` is.
    """
    axes = np.stack([rotate(q_S_B, a) for a in np.eye(3)])  # rows: segment axes in S
    along = u @ axes.T  # (k, 3): gravity along each segment axis
    perp = axes @ axes.T - np.einsum("na,nb->nab", along, along)
    walked_s = np.minimum(np.asarray(since_stand_s, dtype=np.float64), span_s)
    scale = walk_m_s2_sqrt_s**2 * walked_s / GRAVITY_M_S2**2
    return perp * scale[:, None, None]


def since_stand_s(
    t_s: FloatArray, rows: NDArray[np.intp], static_s: tuple[float, float]
) -> FloatArray:
    """Time (s, ≥ 0) of grid ``rows`` from the quiet stand ``static_s`` (0 inside it)."""
    t = np.asarray(t_s, dtype=np.float64)[rows]
    return np.maximum(0.0, np.maximum(static_s[0] - t, t - static_s[1]))


def part_prior_scale(family: str | None) -> float:
    """:data:`PART_PRIOR_SCALE` of a sensor family (1 for one not listed or None)."""
    return PART_PRIOR_SCALE.get(family or "", 1.0)


@dataclass(frozen=True)
class PriorMisfit:
    """How well a sensor's raw still poses agree with the pose fit's prior.

    ``z2``: Mahalanobis² of the poses' gravity norms ``|ā_k| − g`` under the prior predictive
    (the prior's offsets and gains, linearised, plus the pose noise); ``poses``: distinct still
    poses (its degrees of freedom); ``worst_pct``: the norm furthest from ``g``, in percent;
    ``commodity_lbf``: the natural log of how much likelier the norms are under a prior
    :data:`COMMODITY_PRIOR_SCALE` times wider than under the fit's (a Bayes factor; > 0: the
    norms read as a commodity MPU-6050-class part's rather than as the prior's);
    ``turns_lbf``: the same factor on the norms and the gyroscope's turns between still poses
    together (:func:`analysis.angles.turn_witness.turns_lbf`; None: no turn to read);
    ``turn_deg``: the turn whose two readings differ most, as (accelerometer, gyroscope)
    degrees (None: no turn).
    """

    z2: float
    poses: int
    worst_pct: float
    commodity_lbf: float = 0.0
    turns_lbf: float | None = None
    turn_deg: tuple[float, float] | None = None

    @property
    def commodity(self) -> bool:
        """The norms, or the norms with the turns, favour the commodity part's prior.

        Over the fit's (:func:`inferred_part`): a sensor whose norms call for it keeps it.
        """
        return self.commodity_lbf > 0.0 or self.turns_commodity

    @property
    def turns_commodity(self) -> bool:
        """The turns, not the norms alone, call for the commodity part's prior."""
        return self.commodity_lbf <= 0.0 and self.turns_lbf is not None and self.turns_lbf > 0.0


NO_MISFIT: Final = PriorMisfit(0.0, 0, 0.0)
"""No still pose: nothing contradicts the prior."""


COMMODITY_PRIOR_SCALE: Final = 3.0
"""The prior's width for a commodity MPU-6050-class part (as :data:`PART_PRIOR_SCALE`), against
which a sensor's still norms are weighed when the file does not name its part
(:func:`inferred_part`)."""


INFERRED_PART: Final = "commodity"
"""``SegmentPrecision.part`` of a sensor whose still norms, not its file, call for the commodity
prior (:func:`inferred_part`)."""


def prior_misfit(
    raw_pose_means_m_s2: FloatArray,
    *,
    prior_sd_m_s2: float = ACC_BIAS_PRIOR_SD_M_S2,
    prior_gain_sd: float = 0.005,
    pose_sd_m_s2: float = 0.02,
    turns: Sequence[Turn] = (),
) -> PriorMisfit:
    """:class:`PriorMisfit` of the *uncorrected* still-pose means ``(J, 3)`` (sensor frame).

    Under the fit's prior each pose's norm is ``g + J_k θ + noise`` with ``θ`` (offsets, gain
    terms) drawn from the prior: the norms are Gaussian with covariance ``J P Jᵀ + σ_pose² I``.
    What a few poses cannot observe (the split of offset and gain) the prior decides, so the
    prediction is only as honest as the prior; the norms themselves can still show that the
    prior is too narrow for this sensor. ``turns``: the raw accelerometer's turns between still
    poses with their Jacobians (:func:`analysis.angles.turn_witness.witness_turns`), read with
    the norms for ``turns_lbf``.
    """
    m = cluster_poses(np.asarray(raw_pose_means_m_s2, dtype=np.float64))
    m = m[np.all(np.isfinite(m), axis=1)]
    if m.shape[0] == 0:
        return NO_MISFIT
    r = np.linalg.norm(m, axis=1) - GRAVITY_M_S2
    _, jac = _norm_jacobian(m, np.zeros(3), np.eye(3), True)
    prior = np.concatenate(
        [np.full(3, prior_sd_m_s2**2), np.full(len(GAIN_TERMS), prior_gain_sd**2)]
    )
    noise = pose_sd_m_s2**2 * np.eye(r.size)
    cov = (jac * prior) @ jac.T + noise
    z2 = float(r @ np.linalg.solve(cov, r))
    wide = (jac * (COMMODITY_PRIOR_SCALE**2 * prior)) @ jac.T + noise
    lbf = _log_likelihood(r, wide) - _log_likelihood(r, cov)
    worst = float(100.0 * np.max(np.abs(r)) / GRAVITY_M_S2)
    widest = widest_turn(turns)
    if widest is None:
        return PriorMisfit(z2, int(r.size), worst, lbf)
    both = turns_lbf(r, jac, turns, prior, pose_sd_m_s2=pose_sd_m_s2)
    return PriorMisfit(z2, int(r.size), worst, lbf, both, (widest.acc_deg, widest.gyr_deg))


def _log_likelihood(r: FloatArray, cov: FloatArray) -> float:
    """Log density of zero-mean Gaussian residuals ``r`` under ``cov`` (without the 2π term)."""
    _, logdet = np.linalg.slogdet(cov)
    return float(-0.5 * (r @ np.linalg.solve(cov, r) + logdet))


def inferred_part(family: str | None, misfit: PriorMisfit) -> str | None:
    """The part whose prior the prediction takes: the named family's, else one the norms show.

    A family of :data:`PART_PRIOR_SCALE` is taken as named. Otherwise (a file that does not
    name its part, as a canonical CSV without a sidecar, or a family taken to carry a part the
    prior fits) the still poses' norms decide: where they are likelier under the commodity
    part's wider prior than under the fit's (:attr:`PriorMisfit.commodity`, even odds), the
    part is taken as such (:data:`INFERRED_PART`). A part of ±3 % gain shows in the norms
    only as often as its errors happen to lie along the poses' verticals: this catches some
    such parts, not all, and a ±1 % part with large offsets can read as one too.
    """
    if part_prior_scale(family) > 1.0:
        return family
    return INFERRED_PART if misfit.commodity else None


def chi2_two_dof_quantile(q: float) -> float:
    """The χ² quantile ``q`` with two degrees of freedom, ``−2 ln(1 − q)`` (exact in closed form).

    The same value as ``scipy.stats.chi2.ppf(q, 2)``, without importing ``scipy.stats``, whose
    import costs ``stretchguard analyse`` about 36 MB of memory and 0.3–0.5 s of CPU.
    """
    return -2.0 * math.log1p(-q)


def prior_scale(misfit: PriorMisfit, *, p: float = PRIOR_TEST_P) -> float:
    """Factor on the prior's standard deviations that two poses call for: 1 unless they reject it.

    Two still poses whose norms exceed the χ² quantile ``1 − p`` (two degrees of freedom): the
    prior is scaled so that they are typical under it (``√(z²/2)``, the maximum-likelihood
    scale of the linearised model; an estimate from two numbers, a lower bound as often as
    not). Two norms fix only the sum of offset and scale along each vertical, so what the
    misfit shows is left wholly to the prior's split. From a third pose on the prior is kept:
    datasheet-sized offsets (40 mg on a ±1 % part) reject it as often as a ±3 % gain does, and
    the fit finds them where the poses observe them (docs/accuracy.md, "An accelerometer
    prior two poses reject").
    """
    if misfit.poses != 2 or misfit.z2 <= chi2_two_dof_quantile(1.0 - p):
        return 1.0
    return max(1.0, float(np.sqrt(misfit.z2 / misfit.poses)))


@dataclass(frozen=True)
class SegmentPrecision:
    """Predicted tilt error of one segment about its flexion axis, per block, in radians².

    ``var_rad2``: variance of the tilt error relative to the quiet stand, one value per block of
    :data:`BLOCK_S` (NaN where the sensor has no data); ``poses``: distinct still poses seen;
    ``misfit``: how far its raw poses are from the fit's prior (:func:`prior_misfit`), whose
    :func:`prior_scale` widened the prior behind ``var_rad2``; ``part``: the sensor family
    whose part widened it (:data:`PART_PRIOR_SCALE`), :data:`INFERRED_PART` where the norms
    called for a commodity part's prior (:func:`inferred_part`), None if neither did;
    ``cov3_rad2``: ``(k, 3, 3)`` per block, the covariance of the whole tilt error relative to
    the stand as a rotation vector in the segment's axes (x anterior, y superior, z lateral;
    ``var_rad2`` is its z–z entry), or None where not computed (:func:`segment_tilt_cov3`);
    ``gain_var_rad2``: ``var_rad2`` with the gain terms' prior at least
    :data:`UNNAMED_GAIN_SD` (a sensor whose file does not name its part, or names only a
    product of :data:`PART_UNSTATED`; None otherwise); ``product``: that product's name in
    the reasons (None: unnamed, or its part named).
    """

    var_rad2: FloatArray
    poses: int
    misfit: PriorMisfit = NO_MISFIT
    part: str | None = None
    cov3_rad2: FloatArray | None = None
    gain_var_rad2: FloatArray | None = None
    product: str | None = None

    @property
    def prior_rejected(self) -> bool:
        """Two still poses whose norms reject the fit's prior (:func:`prior_scale`).

        The sensor's errors are larger than the prior says, and two poses cannot tell which
        kind they are: the cross-axis term between the two verticals, which tilts the second
        pose about the flexion axis, is not seen at all.
        """
        return prior_scale(self.misfit) > 1.0

    @property
    def prior_widened(self) -> bool:
        """Predicted under a prior wider than the fit's.

        Its poses rejected the fit's (:attr:`prior_rejected`) or its part calls for one
        (``part``).
        """
        return self.part is not None or self.prior_rejected


def posterior_covariance(
    pose_means_m_s2: FloatArray,
    *,
    fitted: bool,
    prior_sd_m_s2: float = ACC_BIAS_PRIOR_SD_M_S2,
    prior_gain_sd: float = 0.005,
    pose_sd_m_s2: float = 0.02,
    scale: float = 1.0,
    gain_sd_floor: float = 0.0,
) -> FloatArray:
    """Covariance ``(9, 9)`` of (bias m/s², six gain terms) after the pose fit.

    ``pose_means_m_s2`` are still-pose means of the *corrected* accelerometer (sensor frame),
    so the Jacobian is taken at the estimate. ``fitted`` False (no correction was applied:
    poses too close together or the fit rejected): the prior itself. ``scale`` multiplies the
    prior's standard deviations (:func:`prior_scale`): what the poses do not observe is as
    uncertain as the sensor's errors are large, whatever the fit assumed. ``gain_sd_floor``:
    the gain terms' prior standard deviation is at least this (:data:`UNNAMED_GAIN_SD`; 0: as
    scaled).
    """
    prior_sd_m_s2 = scale * prior_sd_m_s2
    prior_gain_sd = max(scale * prior_gain_sd, gain_sd_floor)
    prior = np.concatenate(
        [np.full(3, prior_sd_m_s2**-2), np.full(len(GAIN_TERMS), prior_gain_sd**-2)]
    )
    m = cluster_poses(np.asarray(pose_means_m_s2, dtype=np.float64))
    if not fitted or m.shape[0] == 0:
        return np.diag(1.0 / prior)
    _, jac = _norm_jacobian(m, np.zeros(3), np.eye(3), True)
    return np.linalg.inv(jac.T @ jac / pose_sd_m_s2**2 + np.diag(prior))


def tilt_gradient(u: FloatArray, z: FloatArray) -> FloatArray:
    """``(N, 9)``: tilt error about ``z`` (rad) per unit of each fit parameter, gravity ``u``.

    The fit corrects ``f = gain·(a − bias)`` (:class:`~analysis.angles.accbias.AccCorrection`):
    an error ``Δb`` in its bias and ``ΔK`` in its gain leave the specific force off by
    ``δ = g·ΔK·u − Δb`` (a bias estimated too high makes the force too low), which turns the
    measured gravity direction by ``u × δ / g``; its part about the flexion axis ``z`` is
    ``δ · (z × u) / g``. The sign matters: the posterior's bias–gain covariances enter with it.
    """
    w = np.cross(z, u)
    cols = [-w / GRAVITY_M_S2]
    for i, j in GAIN_TERMS:
        cols.append(
            (u[:, i] * w[:, i])[:, None]
            if i == j
            else (u[:, i] * w[:, j] + u[:, j] * w[:, i])[:, None]
        )
    return np.concatenate(cols, axis=1)


@dataclass(frozen=True)
class PoseEvidence:
    """What a segment's still poses and quiet stand give, before its calibration is known.

    ``cov``: the fit's posterior covariance; ``poses``: distinct still poses; ``u``: unit
    mean specific force per :data:`BLOCK_S` block ``(k, 3)``; ``u0``: the stand's (None when
    there are no blocks or no usable stand sample); ``misfit``: the raw poses against the
    fit's prior (:func:`prior_misfit`; ``cov`` is taken under the prior it calls for, or
    under the part's, :func:`inferred_part`, whichever is wider); ``part``: the family
    whose part widened the prior, or :data:`INFERRED_PART` (None: none did);
    ``since_stand_s``: each block's time from the quiet stand (s), over which the offset
    walks (:func:`walk_tilt_cov3`; None: no walk counted); ``gain_cov``: the posterior with
    the gain terms' prior at least :data:`UNNAMED_GAIN_SD`, for a sensor whose file does not
    name its part, or names only a product of :data:`PART_UNSTATED` (None: named, or no pose
    fit); ``product``: that product's name in the reasons (None otherwise).
    """

    cov: FloatArray
    poses: int
    u: FloatArray
    u0: FloatArray | None
    misfit: PriorMisfit = NO_MISFIT
    part: str | None = None
    since_stand_s: FloatArray | None = None
    gain_cov: FloatArray | None = None
    product: str | None = None


def uncorrected(means_m_s2: FloatArray, correction: AccCorrection | None) -> FloatArray:
    """The raw accelerometer's means of corrected means ``f = gain·(a − bias)`` (``(J, 3)``)."""
    if correction is None:
        return means_m_s2
    return means_m_s2 @ np.linalg.inv(correction.gain).T + correction.bias_m_s2


def raw_turns(
    acc_m_s2: NDArray[np.floating],
    gyr_rad_s: NDArray[np.floating],
    rate_hz: float,
    gyr_bias_rad_s: FloatArray,
    correction: AccCorrection | None,
) -> list[Turn]:
    """The raw accelerometer's turns between still poses against the gyroscope's.

    One per pair of poses, with its Jacobians (:func:`analysis.angles.turn_witness.witness_turns`).

    ``acc_m_s2`` is the corrected accelerometer (``correction`` applied; None: none): the
    window means are taken back to the raw ones (the correction is affine, so the raw means
    are the corrected means uncorrected).
    """
    blocks = still_blocks(acc_m_s2, gyr_rad_s, rate_hz, gyr_bias_rad_s)
    with np.errstate(invalid="ignore"):
        ends = uncorrected(blocks.acc_m_s2, correction)
    return witness_turns(gyr_rad_s, blocks, ends, rate_hz)


def pose_evidence(
    acc_m_s2: NDArray[np.floating],
    gyr_rad_s: NDArray[np.floating],
    *,
    rate_hz: float,
    gyr_bias_rad_s: FloatArray,
    static_s: tuple[float, float],
    t_s: FloatArray,
    fitted: bool,
    prior_gain_sd: float = 0.005,
    correction: AccCorrection | None = None,
    family: str | None = None,
) -> PoseEvidence:
    """The part of :func:`segment_precision` that needs no calibration (the whole-session passes).

    Arguments as :func:`segment_precision`; ``correction``: the one applied to ``acc_m_s2``
    (None: none), to test the raw poses against the prior (:func:`prior_misfit`); ``family``:
    the sensor's family as the recording names it (:func:`inferred_part`: a part not named
    may still be inferred from the norms).
    """
    acc = np.asarray(acc_m_s2)  # a long session's float32 stays so: no full float64 copy
    gyr = np.asarray(gyr_rad_s)
    means = _still_means(acc, gyr, rate_hz, gyr_bias_rad_s)
    turns = (
        raw_turns(acc, gyr, rate_hz, gyr_bias_rad_s, correction)
        if part_prior_scale(family) == 1.0
        else []
    )
    misfit = prior_misfit(uncorrected(means, correction), prior_gain_sd=prior_gain_sd, turns=turns)
    widened = inferred_part(family, misfit)
    part = COMMODITY_PRIOR_SCALE if widened == INFERRED_PART else part_prior_scale(family)
    scale = max(part, prior_scale(misfit))
    cov = posterior_covariance(means, fitted=fitted, prior_gain_sd=prior_gain_sd, scale=scale)
    gain_cov = (
        posterior_covariance(
            means,
            fitted=fitted,
            prior_gain_sd=prior_gain_sd,
            scale=scale,
            gain_sd_floor=UNNAMED_GAIN_SD,
        )
        if family is None or family in PART_UNSTATED
        else None
    )
    product = PART_UNSTATED.get(family or "")
    poses = int(cluster_poses(means).shape[0]) if means.size else 0
    a, b = np.searchsorted(t_s, static_s)
    n = max(1, round(BLOCK_S * rate_hz))
    k = acc.shape[0] // n
    stand = np.asarray(acc[a:b], dtype=np.float64)
    stand = stand[np.all(np.isfinite(stand), axis=1)]
    if k == 0 or stand.shape[0] == 0:
        u = np.full((max(k, 0), 3), np.nan)
        return PoseEvidence(
            cov, poses, u, None, misfit, widened, gain_cov=gain_cov, product=product
        )
    u = acc[: k * n].reshape(k, n, 3).mean(axis=1, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        u = u / np.linalg.norm(u, axis=1, keepdims=True)
    u0 = stand.mean(axis=0)
    since = since_stand_s(t_s, block_rows(k * n, rate_hz), static_s)
    return PoseEvidence(
        cov, poses, u, u0 / np.linalg.norm(u0), misfit, widened, since, gain_cov, product
    )


def precision_of(evidence: PoseEvidence, q_S_B: FloatArray) -> SegmentPrecision:
    """:func:`segment_precision` from its :func:`pose_evidence` and the segment's calibration."""
    if evidence.u0 is None:
        var = np.full(evidence.u.shape[0], np.nan)
        return SegmentPrecision(
            var, evidence.poses, evidence.misfit, evidence.part, product=evidence.product
        )
    walk = (
        0.0
        if evidence.since_stand_s is None
        else walk_tilt_cov3(evidence.u, evidence.since_stand_s, q_S_B, ACC_OFFSET_WALK_M_S2_SQRT_S)
    )
    cov3 = segment_tilt_cov3(evidence.u, evidence.u0, evidence.cov, q_S_B) + walk
    gain_var = None
    if evidence.gain_cov is not None:
        gained = segment_tilt_cov3(evidence.u, evidence.u0, evidence.gain_cov, q_S_B) + walk
        gain_var = gained[:, 2, 2]
    return SegmentPrecision(
        cov3[:, 2, 2],
        evidence.poses,
        evidence.misfit,
        evidence.part,
        cov3,
        gain_var,
        evidence.product,
    )


def segment_tilt_cov3(
    u: FloatArray, u0: FloatArray, cov: FloatArray, q_S_B: FloatArray
) -> FloatArray:
    """``(k, 3, 3)``: covariance of a segment's tilt error, relative to its stand, in its axes.

    ``u``: unit mean specific force per block ``(k, 3)`` and ``u0`` the stand's (sensor
    frame); ``cov``: the pose fit's posterior ``(9, 9)`` (:func:`posterior_covariance`);
    ``q_S_B``: segment to sensor. The fit's errors turn the measured gravity, and with it the
    segment, by a rotation vector ``u × δ / g`` (:func:`tilt_gradient`); the calibration takes
    the stand's as the segment's, so what is left at each block is the difference, whose
    components about the segment's x (anterior), y (superior) and z (lateral) axes are
    rad², NaN where ``u`` is. Its z–z entry is :attr:`SegmentPrecision.var_rad2`; the others
    are what the same errors do to the angles about the other axes (e.g. hip adduction of a
    thigh raised far from its stand).
    """
    rows = []
    for axis in np.eye(3):
        a = rotate(q_S_B, axis)
        rows.append(tilt_gradient(u, a) - tilt_gradient(u0[None, :], a))
    d = np.stack(rows, axis=1)  # (k, 3, 9)
    return np.einsum("nai,ij,nbj->nab", d, cov, d)


def segment_precision(
    acc_m_s2: NDArray[np.floating],
    gyr_rad_s: NDArray[np.floating],
    *,
    rate_hz: float,
    gyr_bias_rad_s: FloatArray,
    static_s: tuple[float, float],
    t_s: FloatArray,
    q_S_B: FloatArray,
    fitted: bool,
    prior_gain_sd: float = 0.005,
) -> SegmentPrecision:
    """Predicted tilt-error variance about the flexion axis, per :data:`BLOCK_S` block.

    ``acc_m_s2``: the corrected accelerometer on the grid (sensor frame); ``static_s``: the
    quiet stand, whose pose the calibration absorbs; ``q_S_B``: segment to sensor rotation.
    (:func:`pose_evidence`, then :func:`precision_of`.)
    """
    evidence = pose_evidence(
        acc_m_s2,
        gyr_rad_s,
        rate_hz=rate_hz,
        gyr_bias_rad_s=gyr_bias_rad_s,
        static_s=static_s,
        t_s=t_s,
        fitted=fitted,
        prior_gain_sd=prior_gain_sd,
    )
    return precision_of(evidence, q_S_B)


CHUNK_ROWS: Final = 360_000
"""Rows of the grid taken at a time by :func:`_still_means` (1 h of 100 Hz in ten parts)."""


def _still_means(
    acc_m_s2: NDArray[np.floating],
    gyr_rad_s: NDArray[np.floating],
    rate_hz: float,
    gyr_bias_rad_s: FloatArray,
) -> FloatArray:
    """:func:`still_pose_means` of :data:`BLOCK_S` blocks, a whole number of blocks at a time.

    The same blocks and means as one call over the session, without its session-long
    temporaries (a 10-h session's would cost hundreds of MB).
    """
    n = max(2, round(BLOCK_S * rate_hz))
    step = max(n, CHUNK_ROWS // n * n)
    parts = [
        still_pose_means(
            acc_m_s2[i : i + step],
            gyr_rad_s[i : i + step],
            rate_hz=rate_hz,
            gyr_bias_rad_s=gyr_bias_rad_s,
            window_s=BLOCK_S,
            tremor=True,
        )
        for i in range(0, acc_m_s2.shape[0], step)
    ]
    return np.concatenate(parts) if parts else np.empty((0, 3))


def _joints(side: str) -> dict[str, tuple[str, str, str]]:
    """The sagittal angles of one leg: ``{column: (name, proximal, distal segment)}``."""
    thigh, shank, foot = (f"{side}_{s}" for s in ("thigh", "shank", "foot"))
    return {
        angle_column(side, "hip", "flexion"): ("hip_flexion", "pelvis", thigh),
        angle_column(side, "knee", "flexion"): ("knee_flexion", thigh, shank),
        angle_column(side, "ankle", "dorsiflexion"): ("ankle_dorsiflexion", shank, foot),
    }


def predicted_rmse_deg(segments: Mapping[str, SegmentPrecision]) -> dict[str, float]:
    """Expected RMSE (deg) over the session of each hip, knee and ankle flexion.

    Only angles whose two segments both have a precision are given.

    The two segments' errors are independent: their variances add at every block; the RMSE
    is the root of the mean over the blocks where both have data.
    """
    out: dict[str, float] = {}
    for side in SIDES:
        for column, (_, p, q) in _joints(side).items():
            if p not in segments or q not in segments:
                continue
            va, vb = segments[p].var_rad2, segments[q].var_rad2
            m = min(va.size, vb.size)
            v = va[:m] + vb[:m]
            v = v[np.isfinite(v)]
            if v.size:
                out[column] = float(np.degrees(np.sqrt(v.mean())))
    return out


PRECISION_REDO: Final = (
    "next time, raise this leg once too and hold it still for a few seconds half-way up and "
    "again at the top: still poses at new tilts let its sensors check themselves"
)
"""Poses standing, lying, the leg half raised and raised upright leave about two thirds of
the two-pose error per segment (the fit's posterior: 0.48° against 0.71° for a sensor turned
90° about its flexion axis between standing and lying; a pause every 10° of the raise,
0.19°). (Round 13 wrote 0.34°: that was with the bias's tilt taken with the wrong sign.)"""


def other_side(side: str | None) -> str | None:
    """The leg that was not exercised: ``"left"`` for ``"right"`` and back; None if unknown."""
    if side not in SIDES:
        return None
    return next(s for s in SIDES if s != side)


def plus_minus_deg(value_deg: float, target_deg: float) -> str:
    """A ± past ``target_deg`` as the reasons write it (degrees, no sign or unit).

    One decimal; two where one would not show it past the target (2.04° beside a 2° target
    is written "2.04", not "2.0").
    """
    one = f"{value_deg:.1f}"
    return one if float(one) > target_deg else f"{value_deg:.2f}"


def precision_doubts(
    rmse_deg: Mapping[str, float],
    segments: Mapping[str, SegmentPrecision],
    *,
    sides: tuple[str, ...] = SIDES,
) -> dict[str, UncertainAngle]:
    """Hip, knee and ankle flexion on ``sides`` not pinned to their target.

    Returns ``{column: {"reason": …, "redo": …}}``, each entry carrying its ± as the whole
    doubt (:func:`~analysis.recording.doubts.bounded`).

    An angle is listed when :data:`COVERAGE_SIGMA` times its predicted RMSE exceeds the target.
    """
    out: dict[str, UncertainAngle] = {}
    for side in sides:
        for column, (name, p, q) in _joints(side).items():
            sd = rmse_deg.get(column)
            if sd is None or COVERAGE_SIGMA * sd <= TARGET_DEG[name]:
                continue
            a, b = (s.removeprefix(f"{side}_") for s in (p, q))
            reason = (
                f"the {side} leg's {PLAIN_NAME[name]} is measured to about "
                f"±{plus_minus_deg(COVERAGE_SIGMA * sd, TARGET_DEG[name])}° here, more than the "
                f"{TARGET_DEG[name]:.0f}° "
                f"this tool trusts: its {a} and {b} sensors were still in only "
                f"{segments[p].poses} and {segments[q].poses} positions (e.g. standing and "
                "lying flat), which cannot tell the sensors' offset from their gain, nor see "
                "the offset drift as the session goes on"
            )
            out[column] = bounded(reason, PRECISION_REDO, COVERAGE_SIGMA * sd)
    return out


MISFIT_REDO: Final = (
    "next time, hold the leg still for a few seconds in more positions (standing, half raised, "
    "raised, resting), or use sensors whose accelerometers are calibrated: still poses at new "
    "tilts let its sensors check themselves"
)
"""What to redo when a sensor's own poses showed errors larger than the fit assumes."""


PART_NAME: Final = {"witmotion": "WitMotion", "thingy52": "Thingy:52"}
"""How the reasons name each family of :data:`PART_PRIOR_SCALE`."""


def _positions(n: int) -> str:
    """``"1 still position"``, ``"3 still positions"``."""
    return f"{n} still position" + ("" if n == 1 else "s")


def _misfit_reason(worst: str, seg: SegmentPrecision, what: str, sd: float, target: float) -> str:
    name, m = worst.replace("_", " "), seg.misfit
    if seg.prior_rejected:
        why = (
            f"the {name} sensor's accelerometer read gravity {m.worst_pct:.1f} % off while "
            f"still, larger errors than this tool's correction assumes, and its {m.poses} "
            "still positions cannot tell its offset from its gain"
        )
    elif seg.part == INFERRED_PART and m.turns_commodity and m.turn_deg is not None:
        acc_deg, gyr_deg = m.turn_deg
        why = (
            f"the {name} sensor's gyroscope turned {gyr_deg:.0f}° between two of its still "
            f"positions where its accelerometer read {acc_deg:.0f}°, as the accelerometer of a "
            "low-cost part (MPU-6050 class: about ±3 % gain and ±50 mg offset errors) can and "
            "more than this tool's correction assumes; the file does not say which part it is, "
            f"and its {_positions(seg.poses)} leave part of its offset and gain unmeasured"
        )
    elif seg.part == INFERRED_PART:
        why = (
            f"the {name} sensor read gravity up to {m.worst_pct:.1f} % off in its "
            f"{_positions(seg.poses)}, as the accelerometer of a low-cost part "
            "(MPU-6050 class: about ±3 % gain and ±50 mg offset errors) does and more than this "
            "tool's correction assumes; the file does not say which part it is, and so few "
            "positions leave part of its offset and gain unmeasured"
        )
    else:
        part = PART_NAME.get(seg.part or "", seg.part)
        why = (
            f"the {name} sensor is a {part}, whose accelerometer's gain and offset errors "
            "(about ±3 % and ±50 mg) are larger than this tool's correction assumes, and its "
            f"{seg.poses} still positions leave part of its offset and gain unmeasured"
        )
    return (
        f"{why}: {what} is measured to about ±{plus_minus_deg(COVERAGE_SIGMA * sd, target)}° "
        "here, more than the "
        f"{target:.0f}° this tool trusts"
    )


def _mean_var(seg: SegmentPrecision) -> float:
    """A segment's predicted tilt variance over the session (rad², 0 without data)."""
    v = seg.var_rad2[np.isfinite(seg.var_rad2)]
    return float(v.mean()) if v.size else 0.0


def misfit_doubts(
    rmse_deg: Mapping[str, float],
    segments: Mapping[str, SegmentPrecision],
    *,
    sides: tuple[str, ...] = SIDES,
) -> dict[str, UncertainAngle]:
    """Leg flexions past their target on a sensor predicted under a wider prior than the fit's.

    ``rmse_deg`` is predicted under the prior each sensor's poses or part call for
    (:func:`prior_scale`, :func:`part_prior_scale`); a hip, knee or ankle flexion is listed
    when one of its two sensors was still in two poses only and they rejected the fit's prior
    (:attr:`SegmentPrecision.prior_rejected`) or is of a part whose errors exceed the prior
    (``part``), and :data:`COVERAGE_SIGMA` times its predicted RMSE exceeds the target (the
    reason names the one of such sensors whose predicted error is the larger); so is
    the thigh's inclination (the thigh's tilt alone, reported
    when no pelvis sensor is worn: the caller keeps the columns it has). Angles of both legs:
    the exercised leg's too, whose rules then read uncertain within that ± of their edge.
    Returns ``{column: {"reason": …, "redo": …}}``, each entry carrying its ± as the whole
    doubt (:func:`~analysis.recording.doubts.bounded`).
    """
    out: dict[str, UncertainAngle] = {}
    for side in sides:
        for column, (name, p, q) in _joints(side).items():
            sd = rmse_deg.get(column)
            bad = [s for s in (p, q) if s in segments and segments[s].prior_widened]
            if sd is None or not bad or COVERAGE_SIGMA * sd <= TARGET_DEG[name]:
                continue
            worst = max(bad, key=lambda s: (_mean_var(segments[s]), segments[s].misfit.worst_pct))
            what = f"the {side} leg's {PLAIN_NAME[name]}"
            reason = _misfit_reason(worst, segments[worst], what, sd, TARGET_DEG[name])
            out[column] = bounded(reason, MISFIT_REDO, COVERAGE_SIGMA * sd)
        thigh = segments.get(f"{side}_thigh")
        var = thigh.var_rad2[np.isfinite(thigh.var_rad2)] if thigh is not None else None
        if thigh is None or not thigh.prior_widened or var is None or var.size == 0:
            continue
        sd = float(np.degrees(np.sqrt(var.mean())))
        if COVERAGE_SIGMA * sd > TARGET_DEG["hip_flexion"]:
            what = f"the {side} thigh's inclination"
            reason = _misfit_reason(f"{side}_thigh", thigh, what, sd, 2.0)
            out[thigh_inclination_column(side)] = bounded(reason, MISFIT_REDO, COVERAGE_SIGMA * sd)
    return out


HIP_TILT_TARGET_DEG: Final = RMSE_TARGET_DEG["hip_adduction"]
"""Hip adduction's RMSE target (degrees), which :func:`hip_tilt_doubts` holds it to."""


def block_rows(n_rows: int, rate_hz: float) -> NDArray[np.intp]:
    """The grid row at the middle of each :data:`BLOCK_S` block (the blocks of the evidence)."""
    n = max(1, round(BLOCK_S * rate_hz))
    return np.arange(n_rows // n, dtype=np.intp) * n + n // 2


def floating_axes(q_E_pelvis: FloatArray, q_E_thigh: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per row, the hip's adduction (floating) axis in the pelvis's and in the thigh's axes.

    The joint coordinate system's floating axis is the pelvis's z (lateral) crossed with the
    thigh's y (superior), both in the earth frame; it is returned as a unit vector in each
    segment's own axes (x anterior, y superior, z lateral), ``(N, 3)`` each; NaN where the two
    axes are parallel. Its sign does not matter to a variance.
    """
    z_p = rotate(q_E_pelvis, [0.0, 0.0, 1.0])
    y_t = rotate(q_E_thigh, [0.0, 1.0, 0.0])
    e = np.cross(z_p, y_t)
    size = np.linalg.norm(e, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.where(size > 1e-6, e / size, np.nan)
    return rotate(conjugate(q_E_pelvis), e), rotate(conjugate(q_E_thigh), e)


def along_var_rad2(cov3_rad2: FloatArray, axis: FloatArray) -> FloatArray:
    """Per block, the variance (rad²) of a tilt error ``cov3_rad2`` ``(k, 3, 3)`` about ``axis``.

    ``axis``: ``(k, 3)`` unit vectors in the same segment axes.
    """
    return np.einsum("na,nab,nb->n", axis, cov3_rad2, axis)


def hip_adduction_sd_deg(
    pelvis: SegmentPrecision, thigh: SegmentPrecision, a_pelvis: FloatArray, a_thigh: FloatArray
) -> float | None:
    """Predicted RMSE (deg) of hip adduction over the session from the two sensors' fits.

    Each segment's tilt error relative to its stand (``cov3_rad2``) taken about the hip's
    floating axis in its own axes per block (``a_pelvis``, ``a_thigh``: :func:`floating_axes`
    at :func:`block_rows`); the two are independent, so their variances add; the root of the
    mean over the blocks where both are known. None if either has no ``cov3_rad2``.
    """
    if pelvis.cov3_rad2 is None or thigh.cov3_rad2 is None:
        return None
    m = min(pelvis.cov3_rad2.shape[0], thigh.cov3_rad2.shape[0], a_pelvis.shape[0])
    v = along_var_rad2(pelvis.cov3_rad2[:m], a_pelvis[:m])
    v = v + along_var_rad2(thigh.cov3_rad2[:m], a_thigh[:m])
    v = v[np.isfinite(v)]
    return float(np.degrees(np.sqrt(v.mean()))) if v.size else None


def hip_tilt_doubts(
    segments: Mapping[str, SegmentPrecision],
    axes: Mapping[str, tuple[FloatArray, FloatArray]],
) -> dict[str, UncertainAngle]:
    """Hip adductions past their target on a sensor predicted under a wider prior than the fit's.

    ``axes``: per side, the hip's floating axis in the pelvis's and the thigh's axes per block
    (:func:`floating_axes`). The errors :func:`misfit_doubts` sizes for the hip's flexion tilt
    the segments about every horizontal axis, not only the flexion axis: a thigh raised far
    from its stand (lying, the leg up) is tilted sideways as well, which is hip adduction
    (stranger seed 1599: a low-cost thigh part, the hip bend ±4.8°, the adduction ±12°, off
    by 7° with the leg up). Listed, as there, where the pelvis or the thigh is of such a part
    (:attr:`SegmentPrecision.prior_widened`) and :data:`COVERAGE_SIGMA` times the predicted
    RMSE (:func:`hip_adduction_sd_deg`) exceeds :data:`HIP_TILT_TARGET_DEG`. Returns
    ``{column: entry}``, each carrying its ± as the whole doubt.
    """
    out: dict[str, UncertainAngle] = {}
    for side, (a_pelvis, a_thigh) in axes.items():
        pelvis, thigh = segments.get("pelvis"), segments.get(f"{side}_thigh")
        if pelvis is None or thigh is None:
            continue
        bad = [n for n, s in (("pelvis", pelvis), (f"{side}_thigh", thigh)) if s.prior_widened]
        sd = hip_adduction_sd_deg(pelvis, thigh, a_pelvis, a_thigh)
        if sd is None or not bad or COVERAGE_SIGMA * sd <= HIP_TILT_TARGET_DEG:
            continue
        worst = max(bad, key=lambda n: segments[n].misfit.worst_pct)
        what = f"the {side} hip's sideways angle (adduction)"
        reason = _misfit_reason(worst, segments[worst], what, sd, HIP_TILT_TARGET_DEG)
        out[angle_column(side, "hip", "adduction")] = bounded(
            reason, MISFIT_REDO, COVERAGE_SIGMA * sd
        )
    return out


def precision_notes(
    rmse_deg: Mapping[str, float],
    flagged: Mapping[str, object],
    *,
    sides: tuple[str, ...] = SIDES,
) -> tuple[str, ...]:
    """One plain sentence per leg of ``sides`` with flagged angles: the leg resting on the floor.

    ``flagged``: the columns :func:`precision_doubts` listed (its keys are read).
    """
    notes = []
    for side in sides:
        parts = [
            f"{PLAIN_NAME[name]} measured to about "
            f"±{plus_minus_deg(COVERAGE_SIGMA * rmse_deg[column], TARGET_DEG[name])}°"
            for column, (name, _, _) in _joints(side).items()
            if column in flagged and column in rmse_deg
        ]
        if parts:
            notes.append(
                f"The {side} leg (not the exercised one, e.g. resting on the floor): "
                f"{', '.join(parts)} — shown, but not held to the 2° this tool aims for; "
                f"{PRECISION_REDO}."
            )
    return tuple(notes)


THIGH_INCLINATION: Final = "thigh_inclination"
"""The name :func:`gain_prior_rows_deg` gives a thigh's inclination (its tilt to gravity,
reported in place of the hip when no pelvis sensor is worn)."""

GAIN_PRIOR_ANGLES: Final = (
    "hip_flexion",
    "knee_flexion",
    "ankle_dorsiflexion",
    THIGH_INCLINATION,
)
"""The angles :func:`gain_prior_doubts` marks: the hip, knee and ankle flexions (their two
sensors' tilts about the flexion axis add; since round 25 the ankle too: a heel up on a stool
or a long sit holds the shank and the foot level, far from their stand, stranger round 7 seed
3245) and a thigh's inclination, the thigh's tilt alone."""

GAIN_PRIOR_TARGET_DEG: Final = {
    "hip_flexion": RMSE_TARGET_DEG["hip_flexion"],
    "knee_flexion": RMSE_TARGET_DEG["knee_flexion"],
    "ankle_dorsiflexion": RMSE_TARGET_DEG["ankle_dorsiflexion"],
    THIGH_INCLINATION: RMSE_TARGET_DEG["hip_flexion"],
}
"""The RMSE (deg) each of :data:`GAIN_PRIOR_ANGLES` is trusted to; the thigh's inclination
stands in for the hip bend and is held to its target."""


GAIN_PRIOR_REDO: Final = (
    "next time, after the knee bends, hold the leg still for a few seconds in the stretch's "
    "own position (lying with the leg raised, or up the door frame) before stretching, or "
    "record with sensors the file names: a still moment near the stretch's position lets "
    "each sensor's gain be checked where it matters"
)
"""What to redo for :func:`gain_prior_doubts`: a still pose near the held one pins the
offset–gain split along the verticals the hold loads."""


def _gain_prior_var_rad2(a: SegmentPrecision, b: SegmentPrecision) -> FloatArray | None:
    """Per block, a joint's flexion variance (rad²) under the unnamed part's prior.

    Each segment's ``gain_var_rad2`` where it has one, else its ``var_rad2``; None when
    neither segment has one (both files name their parts).
    """
    if a.gain_var_rad2 is None and b.gain_var_rad2 is None:
        return None
    va = a.var_rad2 if a.gain_var_rad2 is None else a.gain_var_rad2
    vb = b.var_rad2 if b.gain_var_rad2 is None else b.gain_var_rad2
    m = min(va.size, vb.size)
    return va[:m] + vb[:m]


def _gain_prior_joints(
    segments: Mapping[str, SegmentPrecision], sides: tuple[str, ...] = SIDES
) -> dict[str, tuple[str, FloatArray]]:
    """Each hip, knee and ankle flexion's per-block variance under the unnamed part's prior.

    ``{column: (angle name, variance rad²)}`` where :func:`_gain_prior_var_rad2` gives one.
    """
    out: dict[str, tuple[str, FloatArray]] = {}
    for side in sides:
        for column, (name, p, q) in _joints(side).items():
            a, b = segments.get(p), segments.get(q)
            v = None if a is None or b is None else _gain_prior_var_rad2(a, b)
            if v is not None:
                out[column] = (name, v)
    return out


def _gain_prior_thighs(
    segments: Mapping[str, SegmentPrecision], sides: tuple[str, ...] = SIDES
) -> dict[str, tuple[str, FloatArray]]:
    """Each thigh's inclination's per-block variance (rad²) under the unnamed part's prior.

    The inclination is the thigh's own tilt to gravity about its flexion axis, relative to
    the stand (where it reads upright), so its variance is the thigh's ``gain_var_rad2``
    alone. ``{column: (THIGH_INCLINATION, variance rad²)}`` for the thighs that have one;
    the caller keeps the columns its session reports (none where a pelvis is worn).
    """
    out: dict[str, tuple[str, FloatArray]] = {}
    for side in sides:
        thigh = segments.get(f"{side}_thigh")
        if thigh is not None and thigh.gain_var_rad2 is not None:
            out[thigh_inclination_column(side)] = (THIGH_INCLINATION, thigh.gain_var_rad2)
    return out


def _gain_prior_angles(
    segments: Mapping[str, SegmentPrecision],
) -> dict[str, tuple[str, FloatArray]]:
    """Per-block variances under the unnamed part's prior of leg flexions and thighs' tilts.

    :func:`_gain_prior_joints` and :func:`_gain_prior_thighs` together.
    """
    return {**_gain_prior_joints(segments), **_gain_prior_thighs(segments)}


def gain_prior_rmse_deg(segments: Mapping[str, SegmentPrecision]) -> dict[str, float]:
    """Expected RMSE (deg) of leg flexions and thigh inclinations under the unnamed part's prior.

    As :func:`predicted_rmse_deg`, each segment's variance per block taken from
    ``gain_var_rad2`` where it has one (its file names no part), else from ``var_rad2``; only
    angles of which at least one segment has ``gain_var_rad2`` are given (a thigh's
    inclination: :func:`_gain_prior_thighs`).
    """
    out: dict[str, float] = {}
    for column, (_, v) in _gain_prior_angles(segments).items():
        v = v[np.isfinite(v)]
        if v.size:
            out[column] = float(np.degrees(np.sqrt(v.mean())))
    return out


def gain_prior_rows_deg(
    segments: Mapping[str, SegmentPrecision], n_rows: int, rate_hz: float
) -> dict[str, tuple[str, FloatArray]]:
    """Per hip, knee and ankle flexion and thigh inclination, how far the gain prior puts it off.

    Per row, under the unnamed part's gain prior.

    :data:`COVERAGE_SIGMA` times the joint's standard deviation at each :data:`BLOCK_S` block
    (:func:`_gain_prior_var_rad2`, not averaged over the session: a leg held far from every
    still pose is off there and not elsewhere), each of ``n_rows`` grid rows at ``rate_hz``
    given its block's (rows past the last block the last one's); 0 where unknown. Returns
    ``{column: (angle name, bound deg (n_rows,))}``.
    """
    n = max(1, round(BLOCK_S * rate_hz))
    out: dict[str, tuple[str, FloatArray]] = {}
    for column, (name, v) in _gain_prior_angles(segments).items():
        if name not in GAIN_PRIOR_ANGLES or v.size == 0:
            continue
        sd_deg = np.degrees(np.sqrt(np.where(np.isfinite(v), v, 0.0)))
        block = np.minimum(np.arange(n_rows) // n, v.size - 1)
        out[column] = (name, COVERAGE_SIGMA * sd_deg[block])
    return out


def _unstated_part(a: SegmentPrecision, b: SegmentPrecision, a_name: str, b_name: str) -> str:
    """How a reason says the two sensors' part is not known: unnamed, or only a product named.

    ``a_name``, ``b_name``: the segments as the reason names them (``"thigh"``).
    """
    product = a.product or b.product
    if product is None:
        return f"the file does not say which part the {a_name} and {b_name} sensors are"
    return (
        f"the file names the {a_name} and {b_name} sensors as {product}s but not their "
        "accelerometer part, nor how far its gain may be off"
    )


def unstated_product(segments: Mapping[str, SegmentPrecision], column: str) -> str | None:
    """The product (:data:`PART_UNSTATED`) named for a leg angle's sensors, if any.

    A hip or knee flexion's two sensors, or a thigh inclination's thigh sensor.

    ``column``: an angle column (``"left_knee_flexion_deg"``); None when neither of its two
    segments' files (the thigh's, for its inclination) names such a product (unnamed, named
    parts, or not a leg flexion).
    """
    for side in SIDES:
        if column == thigh_inclination_column(side):
            thigh = segments.get(f"{side}_thigh")
            return None if thigh is None else thigh.product
        joint = _joints(side).get(column)
        if joint is not None:
            found = [segments[s].product for s in joint[1:] if s in segments]
            return next((x for x in found if x is not None), None)
    return None


def gain_prior_doubts(
    rmse_deg: Mapping[str, float],
    segments: Mapping[str, SegmentPrecision],
    *,
    sides: tuple[str, ...] = SIDES,
) -> dict[str, UncertainAngle]:
    """Leg flexions and thigh inclinations the unnamed part's gain takes past target.

    ``rmse_deg``: :func:`gain_prior_rmse_deg`. Listed where :data:`COVERAGE_SIGMA` times it
    exceeds the target: the still poses cannot tell a gain error from an offset along the
    directions they never turned to, and a leg held far from them (upside down against the
    stand) is tilted by what the datasheet allows there (:data:`UNNAMED_GAIN_SD`). Each entry
    is trace-only (:func:`~analysis.recording.doubts.trace_bounded`): the reading is given its
    precision and its rules are decided on the per-time bound (:func:`gain_prior_rows_deg`),
    since the mark is a property of the part the file does not name, not a fault seen in this
    session. Returns ``{column: entry}``.
    """
    out: dict[str, UncertainAngle] = {}
    for side in sides:
        for column, (name, p, q) in _joints(side).items():
            sd = rmse_deg.get(column)
            if name not in GAIN_PRIOR_ANGLES or sd is None:
                continue
            if COVERAGE_SIGMA * sd <= TARGET_DEG[name]:
                continue
            a, b = (s.removeprefix(f"{side}_") for s in (p, q))
            plus = plus_minus_deg(COVERAGE_SIGMA * sd, TARGET_DEG[name])
            reason = (
                f"{_unstated_part(segments[p], segments[q], a, b)}, and a low-cost "
                "part's accelerometer gain can be off by up to 3 % (MPU-6050 datasheet); their "
                f"{segments[p].poses} and {segments[q].poses} still positions cannot tell that "
                "from an offset along directions they never turned to, so with the leg held far "
                f"from every still position the {side} leg's {PLAIN_NAME[name]} is measured to "
                f"about ±{plus}° over the session, more than the {TARGET_DEG[name]:.0f}° this "
                "tool trusts; its rules are decided where the reading clears what the gain "
                "could do there"
            )
            out[column] = trace_bounded(reason, GAIN_PRIOR_REDO, COVERAGE_SIGMA * sd)
    return {**out, **_thigh_gain_doubts(rmse_deg, segments, sides)}


def _thigh_gain_doubts(
    rmse_deg: Mapping[str, float],
    segments: Mapping[str, SegmentPrecision],
    sides: tuple[str, ...],
) -> dict[str, UncertainAngle]:
    """Thigh inclinations the unnamed part's gain prior leaves past the hip bend's target.

    As :func:`gain_prior_doubts` for a leg flexion, with the thigh's sensor alone
    (:func:`_gain_prior_thighs`); trace-only entries. ``{column: entry}``.
    """
    out: dict[str, UncertainAngle] = {}
    target = GAIN_PRIOR_TARGET_DEG[THIGH_INCLINATION]
    for side in sides:
        column, thigh = thigh_inclination_column(side), segments.get(f"{side}_thigh")
        sd = rmse_deg.get(column)
        if thigh is None or sd is None or COVERAGE_SIGMA * sd <= target:
            continue
        unsaid = (
            "the file does not say which part the thigh sensor is"
            if thigh.product is None
            else f"the file names the thigh sensor as a {thigh.product} but not its "
            "accelerometer part, nor how far its gain may be off"
        )
        reason = (
            f"{unsaid}, and a low-cost part's accelerometer gain can be off by up to 3 % "
            f"(MPU-6050 datasheet); its {thigh.poses} still positions cannot tell that from an "
            "offset along directions they never turned to, so with the thigh held far from "
            f"every still position the {side} thigh's inclination is measured to about "
            f"±{plus_minus_deg(COVERAGE_SIGMA * sd, target)}° over the session, more than the "
            f"{target:.0f}° this tool trusts; its rules are decided where the reading clears "
            "what the gain could do there"
        )
        out[column] = trace_bounded(reason, GAIN_PRIOR_REDO, COVERAGE_SIGMA * sd)
    return out
