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
    (None: it is): two independent estimates of it disagree (:func:`axis_clash_doubt`).
    Every angle that depends on the segment is then uncertain."""
    hinge_S: FloatArray | None = None
    """The knee's hinge axis as fitted from the gyroscopes (unit, sensor frame, sign of z),
    before it was made orthogonal to y; None when the axis is not the knee's. Its lean from
    the plane ⟂ y is the accelerometer's bias along it (:mod:`analysis.angles.axis_bias`)."""

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
AXIS_CLASH_DEG = 45.0
"""Two defined estimates of one flexion axis this far apart name different axes."""


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


def axis_clash_doubt(z_a_S: FloatArray, z_b_S: FloatArray, what: str) -> str | None:
    """Why a flexion axis is not established when two defined estimates of it clash.

    ``z_a_S`` and ``z_b_S`` are unit axes in sensor coordinates (signs ignored). Two
    estimates ≥ :data:`AXIS_CLASH_DEG` apart are nearer a different axis than each other: at
    least one took a rotation that was not flexion for flexion, and their planarity does not
    say which (sideways rocking in sloppy knee bends can be as planar as a lean). None when
    they agree.
    """
    cos = min(1.0, abs(float(np.dot(z_a_S, z_b_S))))
    clash_deg = float(np.rad2deg(np.arccos(cos)))
    if clash_deg < AXIS_CLASH_DEG:
        return None
    return (
        f"the {what}'s flexion axis from the calibration movements and from the whole "
        f"session lie {clash_deg:.0f}° apart"
    )


def with_session_axis(
    axes: SensorAxes,
    gyr_rad_s: FloatArray,
    up_S: FloatArray,
    *,
    rate_hz: float,
    prefer_more_planar: bool = False,
    what: str = "segment",
) -> SensorAxes:
    """The flexion axis from the whole session when the functional window left it undefined.

    A pelvis kept still during the knee bends and leg swings still tips when its person
    leans into the stretch, sits or lies down. If over the session (``gyr_rad_s`` stand bias
    removed, ``up_S`` the vertical per sample, both possibly decimated by ``rate_hz``) the
    segment turned about a horizontal axis enough to define it (:func:`session_axis_defined`),
    that axis replaces an undefined functional one. ``prefer_more_planar`` (the pelvis) also
    accepts one planar lean, and replaces a defined axis whose planarity is lower by more
    than 0.02 (sloppy calibration movements that rocked the pelvis sideways as it tipped);
    otherwise ``axes`` is returned unchanged. With ``prefer_more_planar``, when both axes are
    defined and clash (:func:`axis_clash_doubt`, ``what`` names the segment), the axis
    returned, whichever it is, carries that doubt (an undefined movements' axis is no
    estimate: a pelvis kept still turns about anything).
    """
    if axes.well_defined and not prefer_more_planar:
        return axes
    try:
        z_S, planarity, elevation, rotation_deg = flexion_axis(
            gyr_rad_s, up_S, axes.y_S, rate_hz=rate_hz
        )
    except CalibrationError:
        return axes
    if not session_axis_defined(rotation_deg, planarity, one_lean=prefer_more_planar):
        return axes
    both = prefer_more_planar and axes.well_defined
    doubt = axis_clash_doubt(axes.z_S, z_S, what) if both else None
    if doubt is not None:
        axes = dataclasses.replace(axes, axis_doubt=doubt)
    if axes.well_defined and planarity < axes.planarity_ratio + SESSION_AXIS_PLANARITY_GAIN:
        return axes
    return dataclasses.replace(
        axes,
        z_S=z_S,
        planarity_ratio=planarity,
        axis_elevation_deg=elevation,
        rotation_deg=rotation_deg,
        axis_source="session",
    )


def gravity_is_plausible(g_m_s2: float) -> bool:
    """True when a stand's gravity magnitude is within 1.5 m/s² of 9.81."""
    return abs(g_m_s2 - GRAVITY_M_S2) <= 1.5
