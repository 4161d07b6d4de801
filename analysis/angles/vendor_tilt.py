"""A vendor's fused orientation with the accelerometer's offset taken out of its tilt.

A sensor's own fusion (Movella DOT, WitMotion, MetaWear) aligns its gravity with what its
accelerometer reads at rest, offset, scale and cross-axis errors included: its quaternion
carries those errors as a tilt of a few tenths of a degree to a degree or two, which changes
with the sensor's orientation (only the part of the offset across gravity tilts it). The
stand calibration absorbs the tilt of the stand pose and no other; a thigh raised or a person
lying reads the rest as joint angle. The export's specific force (for a DOT, derived from the
quaternion and the free acceleration) is that same accelerometer, so the still poses of the
session give its correction (``analysis.angles.accbias``) as they do for raw data.

:func:`correct_vendor_tilt` turns each vendor orientation by the smallest rotation that takes
the gravity direction the vendor assumed (``q_E_S* ⊗ ẑ ⊗ q_E_S``, the direction its
accelerometer read) to where the corrected accelerometer would point: the vendor's tilt as if
its fusion had seen the corrected accelerometer. The heading is left as the vendor gave it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.accbias import AccCorrection
from analysis.angles.chunks import map_rows
from analysis.errors import DataError
from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]


def corrected_up(
    up_seen: FloatArray, correction: AccCorrection, *, gravity_m_s2: float = GRAVITY_M_S2
) -> FloatArray:
    """Unit gravity directions ``(K, 3)`` (sensor frame) after the accelerometer correction.

    ``up_seen`` are the unit directions the uncorrected accelerometer reads at rest. The
    reading itself is ``k · up_seen`` with ``k`` unknown (the fusion keeps the direction
    only); ``k`` is the one for which the corrected reading ``gain · (k·u − bias)`` has the
    length of gravity, as a still accelerometer's corrected reading does.
    """
    u = np.asarray(up_seen, dtype=np.float64)
    w = u @ correction.gain.T
    c = correction.gain @ correction.bias_m_s2
    ww = np.einsum("ki,ki->k", w, w)
    wc = w @ c
    disc = np.maximum(wc * wc - ww * (c @ c - gravity_m_s2**2), 0.0)
    k = (wc + np.sqrt(disc)) / ww
    v = k[:, None] * w - c
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def correct_vendor_tilt(
    q_E_S: NDArray[np.floating],
    correction: AccCorrection,
    *,
    gravity_m_s2: float = GRAVITY_M_S2,
) -> NDArray[np.floating]:
    """Vendor orientations ``(K, 4)`` re-tilted to the corrected accelerometer (module doc).

    ``q_new = q ⊗ c*`` with ``c`` the shortest rotation taking the vendor's gravity direction
    ``u = q* ⊗ ẑ ⊗ q`` to :func:`corrected_up` ``v``, so that ``q_new* ⊗ ẑ ⊗ q_new = v``.
    The identity correction returns the orientations unchanged; rows with NaN stay NaN.
    Storage type kept.
    """
    q_in = np.asarray(q_E_S)
    if np.allclose(correction.bias_m_s2, 0.0) and np.allclose(correction.gain, np.eye(3)):
        return q_in
    # row by row, a chunk at a time: a long session's float64 temporaries stay small
    return map_rows(
        lambda q: _retilted(q, correction, gravity_m_s2), q_in, width=4, dtype=q_in.dtype
    )


def _retilted(
    q_in: NDArray[np.floating], correction: AccCorrection, gravity_m_s2: float
) -> FloatArray:
    """:func:`correct_vendor_tilt` of some rows (float64)."""
    q = q_in.astype(np.float64)
    u = rot.rotate(rot.conjugate(q), np.array([0.0, 0.0, 1.0]))
    v = corrected_up(u, correction, gravity_m_s2=gravity_m_s2)
    axis = np.cross(u, v)
    sin = np.linalg.norm(axis, axis=1)
    angle = np.arctan2(sin, np.einsum("ki,ki->k", u, v))
    unit = axis / np.maximum(sin, 1e-15)[:, None]
    half = 0.5 * angle[:, None]
    c = np.concatenate([np.cos(half), np.sin(half) * unit], axis=1)
    return rot.multiply(q, rot.conjugate(c))


STILL_WINDOW_S = 0.5
"""Length of the still windows the vendor's gravity is compared in (the pipeline's pose
windows, ``ACC_POSE_WINDOW_S``), with ``accbias.still_pose_means``'s stillness test."""

MIN_STILL_FORCE_M_S2 = 0.5 * GRAVITY_M_S2
"""A still sensor reads gravity; a still window whose mean specific force (raw or corrected)
is shorter than this holds no reading of it (a zeroed or dead accelerometer)."""


def follows_raw_accelerometer(
    q_E_S: NDArray[np.floating],
    acc_m_s2: NDArray[np.floating],
    gyr_rad_s: NDArray[np.floating],
    correction: AccCorrection,
    *,
    rate_hz: float,
    max_gyro_rad_s: float = 0.05,
    max_acc_sd_m_s2: float = 0.1,
    label: str = "sensor",
    start_s: float = 0.0,
) -> bool | None:
    """Whether the vendor's gravity follows the raw accelerometer rather than the corrected.

    ``acc_m_s2`` is the corrected specific force (the raw one is ``gain⁻¹·acc + bias``),
    ``gyr_rad_s`` debiased. In every still window of :data:`STILL_WINDOW_S` the angle between
    the vendor's gravity direction and each reading's mean is taken; True when the raw
    reading lies closer on average (a fusion that aligns gravity with its own accelerometer,
    as the DOT's: :func:`correct_vendor_tilt` applies), False when the corrected one does (a
    fusion that already knows its offsets: nothing to correct), None without a still window.

    Raises
    ------
    DataError
        A still window whose mean specific force, raw or corrected, is under
        :data:`MIN_STILL_FORCE_M_S2` (or not finite): no direction to compare, so no answer
        either way. The message names ``label`` and the window's time (``start_s`` is the
        time of the first row).
    """
    n = max(2, round(STILL_WINDOW_S * rate_hz))
    k = acc_m_s2.shape[0] // n
    if k == 0:
        return None
    acc = np.asarray(acc_m_s2[: k * n], dtype=np.float64).reshape(k, n, 3)
    gyr = np.asarray(gyr_rad_s[: k * n], dtype=np.float64).reshape(k, n, 3)
    with np.errstate(invalid="ignore"):
        still = (np.linalg.norm(gyr, axis=2).max(axis=1) < max_gyro_rad_s) & (
            np.sqrt(acc.var(axis=1).sum(axis=1)) < max_acc_sd_m_s2
        )
    if not still.any():
        return None
    q = np.asarray(q_E_S[: k * n], dtype=np.float64).reshape(k, n, 4)[still]
    up = rot.rotate(rot.conjugate(q), np.array([0.0, 0.0, 1.0])).mean(axis=1)
    cor = acc[still].mean(axis=1)
    raw = np.linalg.solve(correction.gain, cor.T).T + correction.bias_m_s2
    _refuse_no_gravity(raw, cor, np.flatnonzero(still) * n / rate_hz + start_s, n / rate_hz, label)

    def off(v: FloatArray) -> float:
        cos = np.sum(up * v, axis=1) / np.linalg.norm(up, axis=1) / np.linalg.norm(v, axis=1)
        return float(np.mean(np.arccos(np.clip(cos, -1.0, 1.0))))

    return off(raw) <= off(cor)


def _refuse_no_gravity(
    raw: FloatArray, cor: FloatArray, starts_s: FloatArray, length_s: float, label: str
) -> None:
    """DataError for the first still window that reads no gravity (``follows_raw_...``)."""
    force = np.minimum(np.linalg.norm(raw, axis=1), np.linalg.norm(cor, axis=1))
    bad = np.flatnonzero(~(force >= MIN_STILL_FORCE_M_S2))
    if bad.size == 0:
        return
    i = int(bad[0])
    raise DataError(
        f"{label}: the accelerometer reads {float(force[i]):.2f} m/s² while the sensor is still "
        f"({float(starts_s[i]):.2f}–{float(starts_s[i]) + length_s:.2f} s, {bad.size} such "
        f"{'window' if bad.size == 1 else 'windows'} of {length_s:g} s; a zeroed or dead "
        f"accelerometer?); expected about {GRAVITY_M_S2:.2f} m/s² (gravity) at rest, to check the "
        "vendor's orientation against"
    )


def vendor_orientation(
    label: str,
    q_E_S: NDArray[np.floating],
    correction: AccCorrection,
    *,
    follows_raw: bool | None = True,
) -> tuple[NDArray[np.floating], str]:
    """A vendor sensor's orientation for the pipeline (:func:`correct_vendor_tilt`) and a note.

    The note says how far the tilt was turned, or why it was not (the still poses did not
    span enough orientations to estimate the offset; ``follows_raw`` False: the vendor's
    gravity already follows the corrected accelerometer, :func:`follows_raw_accelerometer`;
    docs/vendor-formats.md).
    """
    if follows_raw is False:
        return q_E_S, (
            f"{label}: orientation from the vendor's sensor fusion, left as it is: at rest its "
            "gravity lies nearer the accelerometer corrected for its offset than the raw one"
        )
    fixed = correct_vendor_tilt(q_E_S, correction)
    if fixed is q_E_S:
        return fixed, (
            f"{label}: orientation from the vendor's sensor fusion, whose tilt may carry its "
            f"accelerometer's offset (typically up to 1°); the session's still poses "
            f"({correction.poses}, {correction.spread_deg:.0f}° apart) cannot estimate that "
            "offset, so angles far from the stand pose may be off by that much"
        )
    turned = map_rows(
        lambda a, b: rot.angle_between(np.asarray(a, dtype=np.float64), b),
        q_E_S,
        fixed,
        width=None,
        dtype=np.float64,
    )
    return fixed, (
        f"{label}: orientation from the vendor's sensor fusion, its tilt turned by "
        f"{np.rad2deg(np.nanmedian(turned)):.2f}° (median; up to "
        f"{np.rad2deg(np.nanmax(turned)):.2f}°) to the accelerometer offset the still poses "
        f"found ({correction.poses} poses)"
    )


def vendor_heading_note(labels: list[str]) -> str | None:
    """The note for two or more sensors oriented by their vendor's fusion (None for fewer).

    Their headings are the vendor's (from a magnetometer, bent indoors), which may wander
    against each other by a degree or two. The knee's hinge re-aligns the shank's heading to
    the thigh's; nothing re-aligns the thigh's to the pelvis's, so hip adduction and rotation
    read that wander (on the stranger generator's DOT files, 1.5° of heading wander: hip
    adduction median RMSE 1.25° against 0.83° from the same samples as raw data).
    """
    if len(labels) < 2:
        return None
    return (
        f"{', '.join(labels)}: headings from the vendor's sensor fusion (a magnetometer's, "
        "which indoors may wander by a degree or two between sensors); hip adduction and "
        "rotation may carry that on top of their usual error"
    )
