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
    q = q_in.astype(np.float64)
    u = rot.rotate(rot.conjugate(q), np.array([0.0, 0.0, 1.0]))
    v = corrected_up(u, correction, gravity_m_s2=gravity_m_s2)
    axis = np.cross(u, v)
    sin = np.linalg.norm(axis, axis=1)
    angle = np.arctan2(sin, np.einsum("ki,ki->k", u, v))
    unit = axis / np.maximum(sin, 1e-15)[:, None]
    half = 0.5 * angle[:, None]
    c = np.concatenate([np.cos(half), np.sin(half) * unit], axis=1)
    out = rot.multiply(q, rot.conjugate(c))
    return out.astype(q_in.dtype, copy=False)


def vendor_orientation(
    label: str, q_E_S: NDArray[np.floating], correction: AccCorrection
) -> tuple[NDArray[np.floating], str]:
    """A vendor sensor's orientation for the pipeline (:func:`correct_vendor_tilt`) and a note.

    The note says how far the tilt was turned, or why it was not (the still poses did not
    span enough orientations to estimate the offset, docs/vendor-formats.md).
    """
    fixed = correct_vendor_tilt(q_E_S, correction)
    if fixed is q_E_S:
        return fixed, (
            f"{label}: orientation from the vendor's sensor fusion, which tilts it by its "
            f"accelerometer's offset (typically up to 1°); the session's still poses "
            f"({correction.poses}, {correction.spread_deg:.0f}° apart) cannot estimate that "
            "offset, so angles far from the stand pose may be off by that much"
        )
    turned = rot.angle_between(np.asarray(q_E_S, dtype=np.float64), fixed)
    return fixed, (
        f"{label}: orientation from the vendor's sensor fusion, its tilt turned by "
        f"{np.rad2deg(np.nanmedian(turned)):.2f}° (median; up to "
        f"{np.rad2deg(np.nanmax(turned)):.2f}°) to the accelerometer offset the still poses "
        f"found ({correction.poses} poses)"
    )
