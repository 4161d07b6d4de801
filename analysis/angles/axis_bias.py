"""An accelerometer's bias along its segment's flexion axis, read from a gyroscope-only axis.

A bias ``b`` along the flexion axis z escapes the norm constraint of
:mod:`analysis.angles.accbias` whenever the segment only ever rests in poses reached by
turning about z (the stand, knee bends, lying down, the leg raised in the supine stretch):
the axis stays horizontal, ``|g·u + b| ≈ g`` for every pose ``u ⟂ b``. The fusion then
rolls the sensor by ``b/g`` about the horizontal axis across z, a tilt fixed in the *earth*
while the segment turns about z. The stand calibration takes the superior axis y from the
stand's gravity and so folds that tilt into ``q_S_B``, a rotation fixed in the *segment*:
right at the stand, but turned by φ about z the two part by ``2·sin(φ/2)·b/g`` — twice the
bias with the leg raised vertically while lying, where it reads as hip adduction.

The knee's hinge axis (:mod:`analysis.angles.calibration_hinge`) is fitted from the two
gyroscopes alone, which no accelerometer bias touches. The calibration's premise is that
the flexion axis is horizontal in the quiet stand (it makes z ⟂ y); taking it of the hinge
axis rather than of the biased gravity, the stand gravity's component along that axis is
the bias, ``b = g·sin ε`` with ``ε`` its angle from horizontal. It is removed from both
places the bias went: the superior axis (made orthogonal to the hinge axis, which becomes
z) and the fused orientation (turned per sample so that the vertical, seen by the sensor,
no longer leans along the axis: :func:`untilt`). At the stand the result is unchanged;
elsewhere the earth-fixed tilt is gone.

The pelvis has no hinge; where it turned a quarter turn about one horizontal axis its own
rates give the axis (:func:`gyro_flexion_axis`), used the same way when it lay far from its
stand's vertical (:func:`tipped_far`: lying down); over leans alone, which a hitched hip
tilts, it is split half-way with the calibration's axis (:func:`halfway_axis`).

A knee is not an exact hinge: the tibia turns about its long axis as the knee bends (a few
degrees over 0–60°), so the knee's functional axis leans from the flexion axis in both
sensors' coordinates — by the coupling's whole angle in the shank's, by its average over the
bends in the thigh's — and that lean is no bias. The thigh reads hip adduction through its
frame's roll, so its bias is taken only as far as a second gyroscope-only axis of the same
sensor shares it (:func:`shared_lean_axis`): the thigh's own rotation axis over the
functional movements (:func:`own_gyro_axis`: the leg swings and bends turn the thigh at the
hip, where the knee's coupling does not reach). An accelerometer bias leans both equally
(each is read against the same stand vertical); the knee's coupling leans only the hinge,
rotation made with the swings only the own axis. Where the knee's fit shows the coupling
itself (:func:`analysis.angles.calibration_hinge.coupling_shown`) the own axis is no witness
either — with the foot planted the tibia's turn is the thigh's, about its long axis — and
none of the hinge's lean is taken (``analysis.angles.calibration._coupled_lean_dropped``).

Beyond :data:`MAX_AXIS_BIAS_M_S2` (past consumer accelerometer specifications) the lean is
not taken for a bias: the knee's axis was not horizontal, or the fit is off, and nothing is
changed. Misalignment between the accelerometer and gyroscope triads (a fraction of a degree
on consumer parts) is read as bias too, an error of that size.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]

MAX_AXIS_BIAS_M_S2 = 1.0
"""Largest bias along one axis (≈ 100 mg) taken for a bias: consumer parts give typical
offsets up to ±80 mg per axis (e.g. the MPU-6050's z)."""


def axis_bias_g(y_S: FloatArray, hinge_S: FloatArray) -> FloatArray | None:
    """The accelerometer bias along a hinge axis over the stand's specific force, sensor frame.

    ``y_S`` is the stand's specific-force direction (unit, sensor frame), ``hinge_S`` the
    hinge axis fitted from the gyroscopes (any length, sign irrelevant). Returns
    ``sin ε · ĥ`` (ε the axis's angle from horizontal at the stand, ĥ the unit axis): the
    bias divided by the magnitude of the specific force it was read with (≈ g), or None when
    that bias would exceed :data:`MAX_AXIS_BIAS_M_S2`.
    """
    h = np.asarray(hinge_S, dtype=np.float64)
    h = h / np.linalg.norm(h)
    s = float(np.asarray(y_S, dtype=np.float64) @ h)
    if abs(s) * GRAVITY_M_S2 > MAX_AXIS_BIAS_M_S2:
        return None
    return s * h


def reframe(q_S_B: FloatArray, bias_g_S: FloatArray) -> FloatArray:
    """``q_S_B`` with its superior axis freed of the bias along ``bias_g_S``.

    The z axis becomes the bias's direction (the hinge axis, with the sign of the frame's z)
    and y the frame's y with its component along that axis removed; x = y × z.
    """
    b = np.asarray(bias_g_S, dtype=np.float64)
    nb = float(np.linalg.norm(b))
    if nb == 0.0:
        return np.asarray(q_S_B, dtype=np.float64)
    m = rot.to_matrix(q_S_B)
    z = b / nb if float(b @ m[:, 2]) >= 0.0 else -b / nb
    y = m[:, 1] - float(m[:, 1] @ z) * z
    y = y / np.linalg.norm(y)
    return rot.from_matrix(np.column_stack([np.cross(y, z), y, z]))


def untilt(q_E_S: NDArray[np.floating], bias_g_S: FloatArray) -> NDArray[np.floating]:
    """Sensor orientations with the tilt a known accelerometer bias gave them removed.

    The fusion aligns the vertical seen in sensor coordinates, ``ũ``, with the specific force
    ``(g·u + b)/|g·u + b|``; ``bias_g_S`` is ``b`` over that magnitude (:func:`axis_bias_g`),
    so the true vertical is ``u ∝ ũ − bias_g_S`` (exactly when ``b ⟂ u``). Each row is
    turned, in sensor coordinates, by the smallest rotation taking ``u`` onto ``ũ``
    (``q' = q ⊗ Δ``), so that its vertical becomes ``u``. Rows keep the input's storage
    type; NaN rows stay NaN.
    """
    q = np.asarray(q_E_S, dtype=np.float64)
    up_est = rot.rotate(rot.conjugate(q), [0.0, 0.0, 1.0])
    up = up_est - np.asarray(bias_g_S, dtype=np.float64)
    up = up / rot.row_norm(up)[..., None]
    # half-way quaternion from up to up_est: [1 + u·ũ, u × ũ], normalised
    delta = np.concatenate(
        [1.0 + np.sum(up * up_est, axis=-1, keepdims=True), np.cross(up, up_est)], axis=-1
    )
    delta = delta / rot.row_norm(delta)[..., None]
    out = rot.multiply(q, delta)
    return out.astype(np.asarray(q_E_S).dtype, copy=False)


GYRO_AXIS_MIN_ROTATION_DEG = 60.0
"""A segment without a hinge lends its own rotation axis only when it turned this much
about it over the session (lying down, sitting: a quarter turn)."""
GYRO_AXIS_MIN_PLANARITY = 0.98
"""… and that rotation was this planar (its share of the selected rates' energy)."""
GYRO_AXIS_MAX_CHANGE_DEG = 10.0
"""… and the axis lies this close to the calibration's own flexion axis (a refinement of
the same axis, not a different one)."""
GYRO_AXIS_MAX_VERTICAL_SHARE = 0.3
"""Samples whose rate has more than this share about the vertical (turning round, walking)
are left out of the gyroscope axis; the rest are kept whole, not projected."""
GYRO_AXIS_MIN_RATE_RAD_S = 0.2
"""Samples turning slower than this carry mostly noise and bias."""
GYRO_AXIS_MIN_EXCURSION_DEG = 60.0
"""A segment without a hinge lends its axis only when it actually lay this far from its
stand's vertical (lying down, a deep bow), not when many small leans add up to the turn
(:func:`tipped_far`)."""
GYRO_AXIS_MIN_EXCURSION_S = 1.0
"""… for at least this long."""


def gyro_flexion_axis(
    gyr_rad_s: FloatArray,
    up_S: FloatArray,
    own_z_S: FloatArray,
    *,
    rate_hz: float,
    max_change_deg: float = GYRO_AXIS_MAX_CHANGE_DEG,
) -> FloatArray | None:
    """A segment's flexion axis from its gyroscope alone, where it turned about one axis.

    ``gyr_rad_s`` ``(n, 3)`` rates (rad/s, sensor frame, stand bias removed), ``up_S`` the
    fused vertical per sample (sensor frame), ``own_z_S`` the calibration's flexion axis.
    The fused vertical only *selects* the samples that turn about a horizontal axis
    (:data:`GYRO_AXIS_MAX_VERTICAL_SHARE`); the axis is the dominant direction of their rates
    as measured, so no accelerometer bias leans it — unlike an axis found after removing
    each sample's part about the (biased) vertical. Returns the unit axis with the sign of
    ``own_z_S``, or None unless the segment turned ≥ :data:`GYRO_AXIS_MIN_ROTATION_DEG`
    about it with planarity ≥ :data:`GYRO_AXIS_MIN_PLANARITY` and it lies within
    ``max_change_deg`` of ``own_z_S``.
    """
    w = _turns_off_vertical(gyr_rad_s, up_S)
    if w is None:
        return None
    evals, evecs = np.linalg.eigh(w.T @ w)
    a = evecs[:, -1]
    planarity = float(evals[-1] / max(float(evals.sum()), 1e-12))
    rotation_deg = float(np.rad2deg(np.abs(w @ a).sum() / rate_hz))
    own = np.asarray(own_z_S, dtype=np.float64)
    a = a if float(a @ own) >= 0.0 else -a
    change_deg = float(np.rad2deg(np.arccos(min(1.0, float(a @ own)))))
    if (
        rotation_deg < GYRO_AXIS_MIN_ROTATION_DEG
        or planarity < GYRO_AXIS_MIN_PLANARITY
        or change_deg > max_change_deg
    ):
        return None
    return a


def tipped_far(up_S: FloatArray, y_S: FloatArray, *, rate_hz: float) -> bool:
    """True when a segment lay ≥ :data:`GYRO_AXIS_MIN_EXCURSION_DEG` from its stand's vertical.

    ``up_S`` ``(n, 3)`` is the fused vertical per sample (sensor frame, NaN rows ignored),
    ``y_S`` the superior axis at the quiet stand (unit, sensor frame), ``rate_hz`` the rows'
    rate; the tip must last :data:`GYRO_AXIS_MIN_EXCURSION_S`. Leans into a standing stretch
    tip the pelvis 5–25°, and a hip hitched sideways in proportion to the lean (a few degrees
    of obliquity) turns it about an axis ``atan(obliquity / tilt)`` off its flexion axis, as
    planar as a clean lean: 6° of obliquity in a 40° lean is 8.5° off, inside
    :data:`GYRO_AXIS_MAX_CHANGE_DEG`, and many leans add up to the turn that
    :func:`gyro_flexion_axis` asks for. Lying down (a quarter turn) the same hitch tilts it
    ``atan(6 / 90) ≈ 4°``.
    """
    up = np.asarray(up_S, dtype=np.float64)
    up = up[np.all(np.isfinite(up), axis=1)]
    if not up.size:
        return False
    cos = up @ np.asarray(y_S, dtype=np.float64)
    far = cos <= np.cos(np.deg2rad(GYRO_AXIS_MIN_EXCURSION_DEG))
    return bool(int(far.sum()) >= max(1, round(GYRO_AXIS_MIN_EXCURSION_S * rate_hz)))


LYING_TURN_MIN_TILT_DEG = 20.0
"""The turn to lying is read from the samples this far from the stand's vertical, past the
few degrees the calibration movements rock the pelvis (:func:`lying_turn_axis`)."""
LYING_AXIS_MAX_CHANGE_DEG = 20.0
"""The turn to lying may move the calibration's axis this far when gravity confirms it."""
LYING_AXIS_AGREE_DEG = 3.0
"""Gravity's turn axis confirms the gyroscope's within this angle (five of our generator's
people lying on their backs: the two 0.5–2.1° apart)."""


def lying_turn_axis(
    gyr_rad_s: FloatArray,
    up_S: FloatArray,
    axes_S: tuple[FloatArray, FloatArray],
    gravity_S: FloatArray | None,
    *,
    rate_hz: float,
) -> FloatArray | None:
    """A flexion axis from the turn to lying alone, where the whole session's is not clean.

    Calibration movements that rock the pelvis about a tilted axis (sideways as it tips) spoil
    the session's planarity, and so :func:`gyro_flexion_axis`; the quarter turn to lying and
    back is clean. ``gyr_rad_s`` and ``up_S`` are as in :func:`gyro_flexion_axis`,
    ``axes_S`` the stand's superior axis and the calibration's flexion axis (unit, sensor
    frame). Over the samples tipped ≥ :data:`LYING_TURN_MIN_TILT_DEG` from that superior
    axis the gyroscope's axis is taken, up to :data:`LYING_AXIS_MAX_CHANGE_DEG` from the
    calibration's, only when ``gravity_S`` — the axis gravity alone shows the turn was about
    (:func:`analysis.angles.calibration_axes.gravity_turn_axis`, sign free) — lies within
    :data:`LYING_AXIS_AGREE_DEG` of it: two estimates that share no sensor error (held-out
    person 22072: the calibration's axis 10.7° off, these two within 0.9° of the truth).
    None otherwise (sign of the calibration's axis). Lying rolled onto one side tilts
    gravity's axis by the roll, so a disagreement leaves the calibration's axis as it was.
    """
    if gravity_S is None:
        return None
    y_S, own_z_S = axes_S
    up = np.asarray(up_S, dtype=np.float64)
    tipped = up @ np.asarray(y_S, dtype=np.float64) <= np.cos(np.deg2rad(LYING_TURN_MIN_TILT_DEG))
    axis = gyro_flexion_axis(
        np.asarray(gyr_rad_s)[tipped],
        up[tipped],
        own_z_S,
        rate_hz=rate_hz,
        max_change_deg=LYING_AXIS_MAX_CHANGE_DEG,
    )
    if axis is None:
        return None
    g = np.asarray(gravity_S, dtype=np.float64)
    cos = abs(float(axis @ g)) / max(float(np.linalg.norm(g)), 1e-12)
    return axis if np.rad2deg(np.arccos(min(1.0, cos))) <= LYING_AXIS_AGREE_DEG else None


def halfway_axis(own_z_S: FloatArray, gyro_S: FloatArray, y_S: FloatArray) -> FloatArray:
    """A flexion axis half-way between the calibration's and the leans' gyroscope axis.

    ``own_z_S`` is the calibration's axis (unit, ⟂ ``y_S``, the stand's superior axis),
    ``gyro_S`` the gyroscope's over the session (:func:`gyro_flexion_axis`, with the sign of
    ``own_z_S``). Over leans alone (not :func:`tipped_far`) either may be the one tilted by
    sideways motion made with it — rocking in the calibration's knee bends, a hip hitched
    in proportion to the lean — and nothing says which; half-way, the axis is off by at
    most half their angle when one of them is right. Its lean out of the plane ⟂ ``y_S``
    (the accelerometer's bias, :func:`axis_bias_g`) is the gyroscope axis's, whole.
    Returns a unit axis in sensor coordinates.
    """
    y = np.asarray(y_S, dtype=np.float64)
    a = np.asarray(gyro_S, dtype=np.float64) / np.linalg.norm(gyro_S)
    sin_lean = float(np.clip(a @ y, -1.0, 1.0))
    flat = [v - float(v @ y) * y for v in (np.asarray(own_z_S, dtype=np.float64), a)]
    h = sum(v / np.linalg.norm(v) for v in flat)
    h = h / np.linalg.norm(h)
    return np.sqrt(1.0 - sin_lean**2) * h + sin_lean * y


OWN_AXIS_MIN_ROTATION_DEG = 30.0
"""The thigh's own axis witnesses its hinge axis's lean only when it turned this much about
it over the functional movements (selected samples, :func:`own_gyro_axis`)…"""
OWN_AXIS_MAX_TURN_DEG = 8.0
"""… and points the same way as the hinge axis in the plane ⟂ the superior axis within this
angle. The knee's tibial rotation turns the thigh's view of the hinge axis toward the
forward axis by its average over the bends (``c·mean(sin θ)``: ≈ 4.5° at 0.12° of rotation
per degree of flexion over bends to 90°), the fits' own scatter and soft tissue add a few
degrees. Farther apart, the thigh's own rotation carries abduction or rotation made with
it (sloppy swings and bends, which is why the knee's hinge gives the thigh its axis), and
it is no witness of the lean either (:func:`level_turn_deg`)."""


def level_turn_deg(a_S: FloatArray, b_S: FloatArray, y_S: FloatArray) -> float:
    """Angle (°) between two axes in the plane ⟂ ``y_S`` (unit), signs ignored (0…90)."""
    y = np.asarray(y_S, dtype=np.float64)
    flat = []
    for v in (a_S, b_S):
        u = np.asarray(v, dtype=np.float64)
        u = u - float(u @ y) * y
        flat.append(u / np.linalg.norm(u))
    return float(np.rad2deg(np.arccos(min(1.0, abs(float(flat[0] @ flat[1]))))))


def own_gyro_axis(
    gyr_rad_s: FloatArray, up_S: FloatArray, near_S: FloatArray, *, rate_hz: float
) -> FloatArray | None:
    """A segment's dominant rotation axis from its gyroscope alone, with the sign of ``near_S``.

    Like :func:`gyro_flexion_axis` the fused vertical (``up_S``, sensor frame per sample)
    only selects the samples that turn about a horizontal axis and faster than
    :data:`GYRO_AXIS_MIN_RATE_RAD_S`; the axis is the dominant direction of their rates as
    measured, so an accelerometer bias does not lean it. None unless the segment turned
    ≥ :data:`OWN_AXIS_MIN_ROTATION_DEG` about it.
    """
    w = _turns_off_vertical(gyr_rad_s, up_S)
    if w is None:
        return None
    a = np.linalg.eigh(w.T @ w)[1][:, -1]
    a = a if float(a @ np.asarray(near_S, dtype=np.float64)) >= 0.0 else -a
    if float(np.rad2deg(np.abs(w @ a).sum() / rate_hz)) < OWN_AXIS_MIN_ROTATION_DEG:
        return None
    return a


def shared_lean_axis(
    hinge_S: FloatArray, witness_S: FloatArray, y_S: FloatArray
) -> FloatArray | None:
    """``hinge_S`` with its lean from the plane ⟂ ``y_S`` cut to the lean ``witness_S`` shares.

    ``hinge_S`` (the knee's hinge axis in the thigh sensor) and ``witness_S`` (the thigh's own
    gyroscope axis, :func:`own_gyro_axis`) are two gyroscope-only views of one flexion axis;
    ``y_S`` is the stand's superior axis (unit). The shared lean is the smaller of the two
    when they lean the same way, none when they lean opposite ways: an accelerometer bias
    leans both alike, what each movement adds leans one. The axis keeps its direction in the
    plane ⟂ ``y_S``. Returns a unit axis in sensor coordinates, or None when the two point
    more than :data:`OWN_AXIS_MAX_TURN_DEG` apart in that plane (the witness is no witness).
    """
    y = np.asarray(y_S, dtype=np.float64)
    if level_turn_deg(hinge_S, witness_S, y) > OWN_AXIS_MAX_TURN_DEG:
        return None
    h = np.asarray(hinge_S, dtype=np.float64) / np.linalg.norm(hinge_S)
    w = np.asarray(witness_S, dtype=np.float64) / np.linalg.norm(witness_S)
    w = w if float(w @ h) >= 0.0 else -w
    s_h, s_w = float(np.clip(h @ y, -1.0, 1.0)), float(np.clip(w @ y, -1.0, 1.0))
    flat_h = h - s_h * y
    flat_h = flat_h / np.linalg.norm(flat_h)
    shared = float(np.sign(s_h)) * min(abs(s_h), abs(s_w)) if s_h * s_w > 0.0 else 0.0
    return np.sqrt(1.0 - shared**2) * flat_h + shared * y


HINGE_DOUBT_TURN_DEG = 5.5
"""A knee's hinge axis that points farther than this from the thigh's own axis in the level
plane turns the thigh's frame by as much; at the 55–80° of hip flexion of a standing stretch
a turn δ reads ≈ δ·sin φ of hip adduction, past the 4° target from about here on
(:func:`hinge_turn_doubted`)."""
OWN_AXIS_CLEAN_PLANARITY = 0.99
"""… when the thigh's own rotation was this planar (its share of the selected rates' energy):
one clean axis over swings and bends alike. Sloppy movements made with the swings scatter it
below (stranger sessions with sloppy swings: 0.976–0.983)…"""
HINGE_DOUBT_RESIDUAL_SHARE = 0.05
"""… and the knee's fit left more than this share of the rate across its axes unexplained
(``residual_rad_s / spread_rad_s``): exact hinges fit at 0.01–0.03, a tibia turning with the
knee or tissue moving under a sensor leaves more."""


def own_axis_planarity(gyr_rad_s: FloatArray, up_S: FloatArray) -> float:
    """The share of the rates' energy about their dominant axis, 0…1.

    Over the samples :func:`own_gyro_axis` uses; 0 when too few of them turn.
    """
    w = _turns_off_vertical(gyr_rad_s, up_S)
    if w is None:
        return 0.0
    evals = np.linalg.eigvalsh(w.T @ w)
    return float(evals[-1] / max(float(evals.sum()), 1e-12))


def hinge_turn_doubted(
    hinge_S: FloatArray,
    own_S: FloatArray,
    y_S: FloatArray,
    *,
    own_planarity: float,
    residual_share: float,
) -> bool:
    """True when a thigh's hinge axis and its own axis disagree beyond what either explains.

    The knee's hinge gives the thigh its flexion axis because sloppy swings and bends turn
    the thigh's own axis (:data:`OWN_AXIS_MAX_TURN_DEG`); a knee that is not an exact hinge
    (the tibia turning with its flexion, tissue moving under a sensor) turns the hinge's axis
    in the level plane instead, by its coupling averaged over the bends. Both are turns about
    the thigh's long axis and nothing at the stand tells them apart. Each leaves a mark,
    though: sloppy movement scatters the thigh's own rotation (its planarity falls), a knee
    that is no hinge leaves its fit a residual. When the own axis is clean
    (``own_planarity`` ≥ :data:`OWN_AXIS_CLEAN_PLANARITY`), the knee's fit is not
    (``residual_share`` > :data:`HINGE_DOUBT_RESIDUAL_SHARE`) and the two point more than
    :data:`HINGE_DOUBT_TURN_DEG` apart in the plane ⟂ ``y_S``, either can be the turned one:
    the thigh's tilt is doubted. The hinge is still used (it is right more often: a clean
    own axis far from a clean hinge is the swings' abduction).
    """
    return (
        own_planarity >= OWN_AXIS_CLEAN_PLANARITY
        and residual_share > HINGE_DOUBT_RESIDUAL_SHARE
        and level_turn_deg(hinge_S, own_S, y_S) > HINGE_DOUBT_TURN_DEG
    )


def _turns_off_vertical(gyr_rad_s: FloatArray, up_S: FloatArray) -> FloatArray | None:
    """Rates of turn (rad/s, sensor frame) that are not mostly about the vertical.

    Above :data:`GYRO_AXIS_MIN_RATE_RAD_S`, with a share about ``up_S`` under
    :data:`GYRO_AXIS_MAX_VERTICAL_SHARE`; None when fewer than 10 remain.
    """
    w = np.asarray(gyr_rad_s, dtype=np.float64)
    up = np.asarray(up_S, dtype=np.float64)
    rate = rot.row_norm(w)
    with np.errstate(invalid="ignore"):
        keep = (rate > GYRO_AXIS_MIN_RATE_RAD_S) & (
            np.abs(np.sum(w * up, axis=1)) < GYRO_AXIS_MAX_VERTICAL_SHARE * rate
        )
    w = w[keep]
    return w if w.shape[0] >= 10 else None
