"""A flexion axis carried from the segment a sensor moved with as one.

The trunk's (and head's) flexion axis is found from its own turn in the calibration
movements. A person who does no bow keeps the trunk still on the pelvis: the trunk then
turns only with the pelvis, about whatever axis the pelvis turned about, and its "own" axis
is the pelvis's movement axis seen from the trunk sensor. Where the pelvis's movement axis
was rejected for the thighs' carried through the hip centre (knee bends and leg swings rock
the pelvis about its long or fore-aft axis), the trunk's would stay that far off unnoticed:
held-out person 82015 (full set, 1 min, no bow) kept a trunk axis 66° off, lumbar flexion
3.4° and neck flexion 4.3° RMSE, trusted.

Two sensors that turned as one relate their axes by one fixed rotation. Both superior axes
are the stand's vertical and both movement axes are the one turn, so that rotation maps the
partner's frame ``(y, a, y × a)`` onto the segment's, and the partner's chosen flexion axis,
``cos φ a + sin φ (y × a)`` in the partner's frame, is the same combination in the
segment's. The sign of either movement axis only turns the result round (sign free).

Sensor frames throughout; angles in degrees unless named ``_rad``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot

FloatArray = NDArray[np.float64]

CARRIED_PREFIX: Final = "moved with the "
"""``axis_source`` of a segment whose axis was carried from its partner: this prefix and the
partner's placement (``"moved with the pelvis"``)."""

MOVED_AS_ONE_MAX: Final = 0.3
"""The largest RMS difference between two sensors' turns (each since the movements' first
sample), as a share of the partner's RMS turn, for which they moved as one. 82015's trunk
and pelvis: 0.12; a trunk that bowed on its own (82025, bow 0 but turning with the head):
1.16."""


def turn_since_start_deg(q_E_S: FloatArray) -> FloatArray:
    """Per row, how far (°) the sensor has turned since the first row (any frame)."""
    q = np.asarray(q_E_S, dtype=np.float64)
    return np.rad2deg(rot.angle_between(q[0], q))


def turn_share_apart(q_partner: FloatArray, q_segment: FloatArray) -> float:
    """RMS difference of two sensors' turns over the same rows, over the partner's RMS turn.

    0 when they turned as one (a rigid pair: the angle a sensor turns through is the same in
    any frame); ``inf`` when the partner did not turn at all or no row is known in both.
    """
    q_p = np.asarray(q_partner, dtype=np.float64)
    q_s = np.asarray(q_segment, dtype=np.float64)
    known = np.all(np.isfinite(q_p), axis=1) & np.all(np.isfinite(q_s), axis=1)
    if not known.any():
        return float("inf")
    a = turn_since_start_deg(q_p[known])
    b = turn_since_start_deg(q_s[known])
    scale = float(np.sqrt(np.mean(a**2))) if a.size else 0.0
    if not scale > 0.0:
        return float("inf")
    return float(np.sqrt(np.mean((b - a) ** 2)) / scale)


def _across(v: FloatArray, y: FloatArray) -> FloatArray:
    """``v`` with its part along unit ``y`` removed, made unit."""
    v = np.asarray(v, dtype=np.float64) - (np.asarray(v) @ y) * y
    return v / np.linalg.norm(v)


def carried_axis(
    own_partner_S: FloatArray,
    used_partner_S: FloatArray,
    y_partner_S: FloatArray,
    own_segment_S: FloatArray,
    y_segment_S: FloatArray,
) -> FloatArray:
    """The segment's flexion axis (unit, segment sensor frame, sign free) carried from its partner.

    ``own_*``: each sensor's movement axis; ``used_partner_S``: the partner's chosen flexion
    axis; ``y_*``: each sensor's superior axis at the stand (unit). The partner's chosen axis
    lies ``φ`` from its movement axis about ``y``; the segment's lies as far from its own.
    """
    y_p = np.asarray(y_partner_S, dtype=np.float64)
    y_s = np.asarray(y_segment_S, dtype=np.float64)
    a_p = _across(own_partner_S, y_p)
    a_s = _across(own_segment_S, y_s)
    used = _across(used_partner_S, y_p)
    cos_phi = float(used @ a_p)
    sin_phi = float(used @ np.cross(y_p, a_p))
    z = cos_phi * a_s + sin_phi * np.cross(y_s, a_s)
    return z / np.linalg.norm(z)
