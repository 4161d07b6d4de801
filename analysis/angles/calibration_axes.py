"""Per-sensor calibration axes: superior axis from the quiet stand, flexion axis from movement.

Pure functions of one sensor's samples; no decision about the flexion axis's sign is taken
here (that is :mod:`analysis.angles.calibration_signs`). Frames: every vector is in the sensor's own
coordinates (``_S``); y is the segment's superior axis, z its flexion axis (ISB: right).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.errors import CalibrationError
from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]

MIN_AXIS_HORIZONTAL = 0.2
"""A dominant rotation axis closer than this (sine) to the vertical is no flexion axis."""

POORLY_DEFINED_ROTATION_DEG = 20.0
"""Below this much rotation in the functional window a flexion axis is poorly defined."""


@dataclass(frozen=True, kw_only=True)
class AxisEstimate:
    """An estimate of a flexion axis that was not kept, and its quality.

    ``z_S`` is a unit axis in sensor coordinates (sign free); ``source`` says where it came
    from (``movements`` or ``session``); the other fields as in :class:`SensorAxes`.
    """

    z_S: FloatArray
    source: str
    planarity_ratio: float
    axis_elevation_deg: float
    rotation_deg: float


@dataclass(frozen=True, kw_only=True)
class SensorAxes:
    """One sensor's segment axes in sensor coordinates and the quality of their estimate.

    ``y_S`` is the superior axis (unit), ``z_S`` the flexion axis (unit, orthogonal to y, sign
    not yet decided). ``planarity_ratio`` is the share of the functional angular-velocity
    energy about the flexion axis (1 = planar), ``axis_elevation_deg`` how far the dominant
    rotation axis was from horizontal, ``rotation_deg`` how much the segment turned about it.
    ``stand_*`` describe the quiet stand: gravity magnitude (m/s²), rate RMS (rad/s) and
    acceleration SD (m/s²) after removing their means.
    """

    y_S: FloatArray
    z_S: FloatArray
    planarity_ratio: float
    axis_elevation_deg: float
    rotation_deg: float
    stand_gravity_m_s2: float
    stand_gyro_rms_rad_s: float
    stand_acc_std_m_s2: float
    axis_source: str = "movements"
    """``movements``: the functional window; ``session``: the whole session, used when the
    segment barely turned in the functional window (see :func:`with_session_axis`)."""
    tilt_doubt: str | None = None
    """Why the axis's tilt out of the sagittal plane is not established (None: it is). A
    well-defined axis can still rest on one movement, which any abduction or rotation made
    with it tilts unseen; the out-of-plane angles (hip adduction and rotation) then take
    that tilt times the flexion and are reported as uncertain."""
    axis_doubt: str | None = None
    """Why the flexion axis itself is not established although the segment turned enough
    (None: it is): two independent estimates of it disagree (:func:`settle_axis`).
    Every angle that depends on the segment is then uncertain."""
    rival: AxisEstimate | None = None
    """Another estimate of the flexion axis, not kept, that clashes with ``z_S`` (≥
    :data:`AXIS_CLASH_DEG`; the pelvis's movements' or session's axis, see
    :func:`with_session_axis`). :func:`settle_axis` judges it; None: no such estimate."""
    witness_S: FloatArray | None = None
    """The independent witness :func:`settle_axis` was given (sensor frame, sign free), kept
    when the axis stays doubted: with ``z_S`` and ``rival`` it is one of the discrete readings
    the doubt is between (:func:`candidate_axes`). None: no witness, or the axis is not doubted."""
    witness_apart_deg: float | None = None
    """How far (°, 0…90) the independent witness :func:`settle_axis` was given lay from the
    axis it left without doubt (:func:`with_witness_check`); None: no witness of known
    spread, or the axis is doubted. With :attr:`witness_spread_deg` it bounds how far the
    axis itself may be off (:func:`analysis.angles.lean_axis.witness_precision_deg`)."""
    witness_spread_deg: float | None = None
    """That witness's own spread (°): how far it can be from the true axis
    (:func:`analysis.angles.calibration.centre_witness`); None with no such witness."""
    hinge_S: FloatArray | None = None
    """The knee's hinge axis as fitted from the gyroscopes (unit, sensor frame, sign of z),
    before it was made orthogonal to y; None when the axis is not the knee's. Its lean from
    the plane ⟂ y is the accelerometer's bias along it (:mod:`analysis.angles.axis_bias`);
    a thigh's is cut to the lean its own gyroscope axis shares
    (:func:`analysis.angles.axis_bias.shared_lean_axis`)."""

    @property
    def well_defined(self) -> bool:
        """True when the segment turned enough for its flexion axis to be trusted."""
        return self.rotation_deg >= POORLY_DEFINED_ROTATION_DEG


def stand_vertical(
    acc_m_s2: FloatArray, acc_bias_m_s2: FloatArray | None = None
) -> tuple[FloatArray, float]:
    """Superior axis (unit, sensor frame) and gravity magnitude from quiet-stand accelerations.

    Standing upright every segment's superior axis points up, which is where the (specific
    force of) gravity points in the accelerometer's frame.
    """
    mean_acc = acc_m_s2.mean(axis=0, dtype=np.float64)
    if acc_bias_m_s2 is not None:
        mean_acc = mean_acc - acc_bias_m_s2
    g = float(np.linalg.norm(mean_acc))
    if g < 1e-6:
        raise CalibrationError("the quiet stand shows no gravity (accelerometer reads zero)")
    return mean_acc / g, g


def flexion_axis(
    gyr_rad_s: FloatArray, up_S: FloatArray, y_S: FloatArray, *, rate_hz: float
) -> tuple[FloatArray, float, float, float]:
    """The dominant horizontal rotation axis of a segment during sagittal movements.

    Parameters
    ----------
    gyr_rad_s
        ``(n, 3)`` angular rate (rad/s, sensor frame), stand bias removed.
    up_S
        ``(n, 3)`` the earth's vertical in sensor coordinates at each sample: turning about
        the vertical (walking, turning round) is not flexion and is removed first.
    y_S
        The segment's superior axis; the returned axis is made orthogonal to it.
    rate_hz
        Sample rate (for the accumulated rotation).

    Returns
    -------
    z_S, planarity_ratio, axis_elevation_deg, rotation_deg
        Unit axis (sign arbitrary) and its quality figures (see :class:`SensorAxes`).
    """
    w = gyr_rad_s - np.sum(gyr_rad_s * up_S, axis=1, keepdims=True) * up_S
    evals, evecs = np.linalg.eigh(w.T @ w)
    a = evecs[:, -1]
    planarity = float(evals[-1] / max(float(evals.sum()), 1e-12))
    rotation_deg = float(np.rad2deg(np.abs(w @ a).sum() / rate_hz))
    z = a - (a @ y_S) * y_S
    nz = float(np.linalg.norm(z))
    if nz < MIN_AXIS_HORIZONTAL:
        raise CalibrationError(
            "its dominant rotation during the functional movements is about the vertical, "
            "not a flexion axis; repeat slow knee bends and leg swings"
        )
    elevation = float(np.rad2deg(np.arcsin(min(1.0, abs(float(a @ y_S))))))
    return z / nz, planarity, elevation, rotation_deg


def estimate_axes(
    *,
    stand_acc_m_s2: FloatArray,
    stand_gyr_rad_s: FloatArray,
    move_gyr_rad_s: FloatArray,
    move_up_S: FloatArray,
    rate_hz: float,
    acc_bias_m_s2: FloatArray | None = None,
) -> SensorAxes:
    """Both axes of one sensor from its quiet-stand and functional-window samples.

    The stand's mean rate is removed from the movement rates before the axis search.
    """
    y_S, g = stand_vertical(stand_acc_m_s2, acc_bias_m_s2)
    bias = stand_gyr_rad_s.mean(axis=0, dtype=np.float64)
    z_S, planarity, elevation, rotation_deg = flexion_axis(
        move_gyr_rad_s - bias, move_up_S, y_S, rate_hz=rate_hz
    )
    mean_acc = stand_acc_m_s2.mean(axis=0, dtype=np.float64)
    return SensorAxes(
        y_S=y_S,
        z_S=z_S,
        planarity_ratio=planarity,
        axis_elevation_deg=elevation,
        rotation_deg=rotation_deg,
        stand_gravity_m_s2=g,
        stand_gyro_rms_rad_s=float(np.sqrt(np.mean(np.sum((stand_gyr_rad_s - bias) ** 2, axis=1)))),
        stand_acc_std_m_s2=float(
            np.sqrt(np.mean(np.sum((stand_acc_m_s2 - mean_acc) ** 2, axis=1)))
        ),
    )


SESSION_AXIS_MIN_ROTATION_DEG = 60.0
SESSION_AXIS_MIN_PLANARITY = 0.6
SESSION_AXIS_PLANAR_ROTATION_DEG = 30.0
SESSION_AXIS_PLANAR = 0.9
SESSION_AXIS_PLANARITY_GAIN = 0.02
AXIS_CLASH_DEG = 10.0
"""Two estimates of one flexion axis this far apart (signs ignored) do not establish it."""
RIVAL_MIN_ROTATION_DEG = 10.0
"""A movements' axis turned at least this much (half the defined bar) can contradict another."""
WITNESS_CLASH_DEG = 30.0
"""An independent witness of the axis (the thighs' through the hip centre) this far from
the kept axis says the axis is not established, however loose the witness (a sharper one
says so nearer: :func:`witness_clash_deg`)."""


def session_axis_defined(rotation_deg: float, planarity: float, *, one_lean: bool = False) -> bool:
    """True when a whole-session rotation defines a flexion axis.

    It does at ≥ 60° with planarity ≥ 0.6; with ``one_lean`` (the pelvis, whose session
    turns are the leans into the stretch) also at ≥ 30° with planarity ≥ 0.9 (one lean in
    and out, nothing else).
    """
    return (
        rotation_deg >= SESSION_AXIS_MIN_ROTATION_DEG and planarity >= SESSION_AXIS_MIN_PLANARITY
    ) or (
        one_lean
        and rotation_deg >= SESSION_AXIS_PLANAR_ROTATION_DEG
        and planarity >= SESSION_AXIS_PLANAR
    )


def apart_deg(z_a_S: FloatArray, z_b_S: FloatArray) -> float:
    """Angle (°) between two axes, signs ignored (0…90)."""
    cos = abs(float(np.dot(z_a_S, z_b_S))) / max(
        float(np.linalg.norm(z_a_S) * np.linalg.norm(z_b_S)), 1e-12
    )
    return float(np.rad2deg(np.arccos(min(1.0, cos))))


def axis_clash_doubt(z_a_S: FloatArray, z_b_S: FloatArray, what: str) -> str | None:
    """Why a flexion axis is not established when two estimates of it clash.

    ``z_a_S`` and ``z_b_S`` are unit axes in sensor coordinates (signs ignored). Two
    estimates ≥ :data:`AXIS_CLASH_DEG` apart cannot both be the flexion axis: at least one
    took a rotation that was not flexion for flexion (sideways rocking in sloppy knee bends,
    a hip hitched in proportion to the lean into the stretch), and their planarity does not
    say which. None when they agree.
    """
    clash_deg = apart_deg(z_a_S, z_b_S)
    if clash_deg < AXIS_CLASH_DEG:
        return None
    return (
        f"the {what}'s flexion axis from the calibration movements and from the whole "
        f"session lie {clash_deg:.0f}° apart"
    )


def _as_estimate(axes: SensorAxes) -> AxisEstimate:
    return AxisEstimate(
        z_S=axes.z_S,
        source=axes.axis_source,
        planarity_ratio=axes.planarity_ratio,
        axis_elevation_deg=axes.axis_elevation_deg,
        rotation_deg=axes.rotation_deg,
    )


def _can_contradict(est: AxisEstimate) -> bool:
    """True when an estimate carries enough rotation to contradict another axis."""
    if est.source == "session":
        return (
            est.rotation_deg >= SESSION_AXIS_PLANAR_ROTATION_DEG
            and est.planarity_ratio >= SESSION_AXIS_MIN_PLANARITY
        )
    return est.rotation_deg >= RIVAL_MIN_ROTATION_DEG


def with_session_axis(
    axes: SensorAxes,
    gyr_rad_s: FloatArray,
    up_S: FloatArray,
    *,
    rate_hz: float,
    prefer_more_planar: bool = False,
) -> SensorAxes:
    """The flexion axis from the whole session when the functional window left it undefined.

    A pelvis kept still during the knee bends and leg swings still tips when its person
    leans into the stretch, sits or lies down. If over the session (``gyr_rad_s`` stand bias
    removed, ``up_S`` the vertical per sample, both possibly decimated by ``rate_hz``) the
    segment turned about a horizontal axis enough to define it (:func:`session_axis_defined`),
    that axis replaces an undefined functional one. ``prefer_more_planar`` (the pelvis) also
    accepts one planar lean, and replaces a defined axis whose planarity is lower by more
    than 0.02 (sloppy calibration movements that rocked the pelvis sideways as it tipped);
    otherwise ``axes`` is returned unchanged. With ``prefer_more_planar``, the estimate not
    kept becomes the result's ``rival`` when it clashes with the kept one
    (:func:`axis_clash_doubt`) and carries some rotation (the movements' ≥
    :data:`RIVAL_MIN_ROTATION_DEG`, the session's ≥ 30° at planarity ≥ 0.6):
    :func:`settle_axis` then judges the two.
    """
    if axes.well_defined and not prefer_more_planar:
        return axes
    try:
        z_S, planarity, elevation, rotation_deg = flexion_axis(
            gyr_rad_s, up_S, axes.y_S, rate_hz=rate_hz
        )
    except CalibrationError:
        return axes
    session = AxisEstimate(
        z_S=z_S,
        source="session",
        planarity_ratio=planarity,
        axis_elevation_deg=elevation,
        rotation_deg=rotation_deg,
    )
    defined = session_axis_defined(rotation_deg, planarity, one_lean=prefer_more_planar)
    if not defined or (
        axes.well_defined and planarity < axes.planarity_ratio + SESSION_AXIS_PLANARITY_GAIN
    ):
        if prefer_more_planar and axes.well_defined and _clashing(session, axes.z_S):
            return dataclasses.replace(axes, rival=session)
        return axes
    own = _as_estimate(axes)
    return dataclasses.replace(
        axes,
        z_S=z_S,
        planarity_ratio=planarity,
        axis_elevation_deg=elevation,
        rotation_deg=rotation_deg,
        axis_source="session",
        rival=own if prefer_more_planar and _clashing(own, z_S) else None,
    )


def _clashing(est: AxisEstimate, z_S: FloatArray) -> bool:
    return _can_contradict(est) and apart_deg(est.z_S, z_S) >= AXIS_CLASH_DEG


def _take(axes: SensorAxes, est: AxisEstimate) -> SensorAxes:
    """``axes`` with ``est`` as its flexion axis and the axis it had as the rival."""
    return dataclasses.replace(
        axes,
        z_S=est.z_S,
        planarity_ratio=est.planarity_ratio,
        axis_elevation_deg=est.axis_elevation_deg,
        rotation_deg=est.rotation_deg,
        axis_source=est.source,
        rival=_as_estimate(axes),
    )


def _corroborated(axes: SensorAxes) -> SensorAxes:
    """``axes`` whose axis the witness confirmed, credited with its rival's rotation about it.

    The rival (the axis given up) turned the segment about an axis ``a`` degrees away, so
    about ``cos a`` of its rotation was about this one: a few degrees of rocking in the
    calibration movements, confirmed by the witness to within its spread, is the axis the
    whole session's leans turned the segment about, less the hitch that tilted them.
    """
    if axes.rival is None:
        return axes
    about_deg = axes.rival.rotation_deg * float(
        np.cos(np.deg2rad(apart_deg(axes.z_S, axes.rival.z_S)))
    )
    if about_deg <= axes.rotation_deg:
        return axes
    return dataclasses.replace(axes, rotation_deg=about_deg)


def witness_clash_deg(spread_deg: float) -> float:
    """How far (°) a witness of spread ``spread_deg`` may lie from an unrivalled axis.

    Three spreads, but no nearer than :data:`AXIS_CLASH_DEG` (two estimates that close are
    not told apart) and no farther than :data:`WITNESS_CLASH_DEG` (a witness so loose is
    no witness).
    """
    return float(np.clip(3.0 * spread_deg, AXIS_CLASH_DEG, WITNESS_CLASH_DEG))


WITNESS_SPREAD_TAIL = 1.5
"""How many of its claimed spreads (:func:`analysis.angles.calibration.centre_witness`) the
hip centre's witness of the pelvis's axis can lie from the true axis. Set after measuring
it: over the 242 sessions of people 0–149 (default and full sets, 1 and 10 min) that had a
witness, its true error over its spread was beyond 1 in 18 %, its 95th percentile 1.44
(1.6 with one thigh, the default set; 1.28 with both), rounded up to a tenth. A rival axis
farther than this from the witness is ruled out by it."""


def _witness_keeps(kept_deg: float, rival_deg: float, spread_deg: float | None) -> bool:
    """True when a witness confirms the kept axis over its rival (:func:`settle_axis`).

    The witness lies ``kept_deg`` and ``rival_deg`` from the two axes and within about
    ``spread_deg`` of the truth. It confirms the kept axis when nearer it than the rival by
    its spread, or when the kept axis lies within its spread and the rival beyond
    :data:`WITNESS_SPREAD_TAIL` spreads, as far as the witness is almost never off (an
    unknown spread rules nothing out). Merely nearer, or the kept axis outside its spread
    with the rival just beyond it, it cannot tell them apart: held-out person 43005's
    witness (spread 6.6°) lay 8.9° from a kept axis 19° off and 9.6° from the true rival;
    itself 10.1° (1.5 spreads) off.
    """
    spread = AXIS_CLASH_DEG if spread_deg is None else spread_deg
    if kept_deg + spread <= rival_deg:
        return True
    if spread_deg is None:
        return False
    return kept_deg <= spread_deg and rival_deg > WITNESS_SPREAD_TAIL * spread_deg


def settle_axis(
    axes: SensorAxes,
    witness_z_S: FloatArray | None,
    *,
    what: str,
    witness: str,
    spread_deg: float | None = None,
) -> SensorAxes:
    """Keep, exchange or doubt a flexion axis by its rival estimate and an independent witness.

    ``witness_z_S`` is a third, independent estimate of the axis (sensor frame, sign free;
    the thighs' flexion axis carried through the hip centre, described by ``witness``), or
    None; ``spread_deg`` is how far it can be from the true axis (None: unknown, taken as
    :data:`AXIS_CLASH_DEG` and never confirming). Without a rival
    (:attr:`SensorAxes.rival`) the axis stands unless the witness lies
    :func:`witness_clash_deg` from it; then a witness of known spread takes its place, still
    doubted (:func:`_witness_taken`), unless the axis came from a planar turn (planarity
    ≥ :data:`SESSION_AXIS_PLANAR`: a clean turn about one axis defines it, however small;
    held-out person 9042's 16° pelvis bow at planarity 1.0 lay 1.8° from the truth and the
    witness 50°). With a rival, the witness decides when it lies
    within :data:`AXIS_CLASH_DEG` of one of them and nearer it than the other by its spread
    (a witness looser than the two axes are apart cannot pick either): of the kept axis,
    which then stands (or when the kept axis is within its spread and the rival is ruled
    out: :func:`_witness_keeps`), or of the rival, which then replaces it (the
    replaced axis becomes the rival; when the witness lies within its spread of it, the
    replaced axis's rotation about it counts too: :func:`_corroborated`). Otherwise the axis
    carries an ``axis_doubt``.
    """
    kept_deg = None if witness_z_S is None else apart_deg(witness_z_S, axes.z_S)
    spread = AXIS_CLASH_DEG if spread_deg is None else spread_deg
    if axes.rival is None:
        if kept_deg is None or kept_deg < witness_clash_deg(spread):
            return axes
        doubt = f"the {what}'s flexion axis lies {kept_deg:.0f}° from {witness}"
        if spread_deg is None or witness_z_S is None or axes.planarity_ratio >= SESSION_AXIS_PLANAR:
            return dataclasses.replace(axes, axis_doubt=doubt)
        return _witness_taken(axes, witness_z_S, kept_deg, doubt=doubt)
    if kept_deg is not None:
        rival_deg = apart_deg(witness_z_S, axes.rival.z_S)
        if kept_deg < AXIS_CLASH_DEG and _witness_keeps(kept_deg, rival_deg, spread_deg):
            return axes
        if rival_deg < AXIS_CLASH_DEG and rival_deg + spread <= kept_deg:
            taken = _take(axes, axes.rival)
            confirms = spread_deg is not None and rival_deg <= spread_deg
            return _corroborated(taken) if confirms else taken
        if kept_deg >= witness_clash_deg(spread) > rival_deg:
            return _rival_doubted(axes, kept_deg, rival_deg, what=what, witness=witness)
    why = axis_clash_doubt(axes.z_S, axes.rival.z_S, what)
    return dataclasses.replace(axes, axis_doubt=f"{why}, and {witness} does not say which is right")


def with_witness_check(
    axes: SensorAxes, witness_z_S: FloatArray | None, spread_deg: float | None
) -> SensorAxes:
    """``axes`` with how far the witness :func:`settle_axis` was given lies from its axis.

    Only for an axis left without doubt and a witness of known spread (sensor frame, sign
    free); otherwise ``axes`` unchanged. Sets :attr:`SensorAxes.witness_apart_deg` and
    :attr:`SensorAxes.witness_spread_deg`.
    """
    if axes.axis_doubt is not None or witness_z_S is None or spread_deg is None:
        return axes
    return dataclasses.replace(
        axes,
        witness_apart_deg=apart_deg(witness_z_S, axes.z_S),
        witness_spread_deg=float(spread_deg),
    )


def _witness_taken(
    axes: SensorAxes, witness_z_S: FloatArray, kept_deg: float, *, doubt: str
) -> SensorAxes:
    """The witness in place of an unrivalled axis it rules out, with a doubt.

    The witness lies ``kept_deg`` from the kept axis, at least :func:`witness_clash_deg` of
    its spread: three times as far as the witness itself is expected to be off, so the kept
    axis is not the flexion axis and the witness is the estimate left (a pelvis kept still in
    the calibration rocks sideways as the weight shifts from foot to foot, so its few degrees
    of rotation there can lie near 90° off). A witness not sharp enough to replace the axis
    outright is not established either: the angles stay uncertain, measured about it. The
    axis given up becomes the rival; of its rotation, ``cos kept_deg`` counts about the
    witness (:func:`_corroborated`), whose own planarity and elevation are unknown (kept).
    ``witness_z_S`` is made orthogonal to ``axes.y_S`` (sign as given).
    """
    z_S = np.asarray(witness_z_S, dtype=np.float64)
    z_S = z_S - float(z_S @ axes.y_S) * axes.y_S
    if not np.linalg.norm(z_S) >= 0.5:  # a witness near the superior axis is no flexion axis
        return dataclasses.replace(axes, axis_doubt=doubt)
    return dataclasses.replace(
        axes,
        z_S=z_S / np.linalg.norm(z_S),
        rotation_deg=axes.rotation_deg * float(np.cos(np.deg2rad(kept_deg))),
        axis_source="hip centre",
        rival=_as_estimate(axes),
        axis_doubt=f"{doubt}, which is used instead but not established",
    )


def _rival_doubted(
    axes: SensorAxes, kept_deg: float, rival_deg: float, *, what: str, witness: str
) -> SensorAxes:
    """The rival in place of a kept axis that the witness rules out, with a doubt.

    The witness lies ``kept_deg`` from the kept axis, as far as it doubts an unrivalled one
    (:func:`witness_clash_deg`), and ``rival_deg`` from the rival, nearer than that but not
    near enough to decide (:func:`settle_axis`): the kept axis is not the flexion axis, the
    rival may be. The angles stay uncertain, measured about the rival.
    """
    taken = _take(axes, axes.rival) if axes.rival is not None else axes
    return dataclasses.replace(
        taken,
        axis_doubt=(
            f"the {what}'s flexion axis from the {axes.axis_source} lies {kept_deg:.0f}° from "
            f"{witness}; the one from the {taken.axis_source}, {rival_deg:.0f}° from it, is "
            "used but not established"
        ),
    )


def gravity_is_plausible(g_m_s2: float) -> bool:
    """True when a stand's gravity magnitude is within 1.5 m/s² of 9.81."""
    return abs(g_m_s2 - GRAVITY_M_S2) <= 1.5


GRAVITY_TURN_MIN_DEG = 60.0
"""A segment tipped at least this far from its stand's vertical (lying down, a deep bow) has
turned about a horizontal axis that gravity alone shows (:func:`gravity_turn_axis`)."""
GRAVITY_TURN_MIN_SHARE = 0.9
"""The turns' axes must agree: the principal direction carries at least this share of them."""


def gravity_turn_axis(
    up_S: FloatArray, y_S: FloatArray, *, min_n: int
) -> tuple[FloatArray, float] | None:
    """The axis about which a segment turned from its stand to where it lay, from gravity.

    ``up_S`` (n, 3) is the earth's vertical in sensor coordinates per sample, ``y_S`` the
    segment's superior axis (the vertical of the stand). At a sample tipped between
    :data:`GRAVITY_TURN_MIN_DEG` and 180° less that from it, the turn carrying ``y_S`` onto
    the vertical is about ``y_S × up`` (a horizontal axis of the segment). Returns the
    principal direction of those axes (unit, sign arbitrary) and its share (1: all alike), or
    None when fewer than ``min_n`` samples tipped that far or the axes disagree (share below
    :data:`GRAVITY_TURN_MIN_SHARE`: lying on the back and on the side, a bow with a twist).
    Heading-free and independent of the gyroscope: no drift, no functional window.
    """
    up = np.asarray(up_S, dtype=np.float64)
    up = up[np.all(np.isfinite(up), axis=1)]
    n = np.cross(y_S, up)
    size = np.linalg.norm(n, axis=1)
    # tipped 60…120° (upside down the turn's axis is not defined)
    tipped = size >= np.sin(np.deg2rad(GRAVITY_TURN_MIN_DEG))
    if int(tipped.sum()) < max(min_n, 1):
        return None
    n = n[tipped] / size[tipped, None]
    share, vec = np.linalg.eigh(n.T @ n / n.shape[0])
    if share[-1] < GRAVITY_TURN_MIN_SHARE:
        return None
    return vec[:, -1], float(share[-1])


AXIS_SOURCE_WORDS = {
    "movements": "the calibration movements",
    "session": "the whole session",
    "hip centre": "the hip centre",
}
"""Where a flexion axis came from, in the words of :func:`candidate_axes`' sources."""


def candidate_axes(axes: SensorAxes) -> list[tuple[FloatArray, str]]:
    """The discrete flexion axes a doubted axis is between: ``[(z_S, source words), …]``.

    The axis used first, then its rival (:attr:`SensorAxes.rival`) and the witness
    (:attr:`SensorAxes.witness_S`) where they exist, each made orthogonal to ``y_S`` (unit,
    sensor frame) with the used axis's sign (the two lie ≤ 90° apart, so the sign chosen for
    the used axis is the one a nearby axis shares). An estimate within 1° of one listed
    before it is the same reading and is left out; one near the superior axis is no flexion
    axis and is left out too. Only the used axis when ``axes`` carries no ``axis_doubt``.
    """
    found = [(axes.z_S, AXIS_SOURCE_WORDS.get(axes.axis_source, axes.axis_source))]
    if axes.axis_doubt is None:
        return found
    others = []
    if axes.rival is not None:
        others.append((axes.rival.z_S, AXIS_SOURCE_WORDS.get(axes.rival.source, axes.rival.source)))
    if axes.witness_S is not None:
        others.append((axes.witness_S, AXIS_SOURCE_WORDS["hip centre"]))
    for z, words in others:
        z = np.asarray(z, dtype=np.float64) - float(np.dot(z, axes.y_S)) * axes.y_S
        if not np.linalg.norm(z) >= 0.5:
            continue
        z = z / np.linalg.norm(z)
        z = z if float(z @ axes.z_S) >= 0.0 else -z
        if all(apart_deg(z, seen) >= 1.0 for seen, _ in found):
            found.append((z, words))
    return found
