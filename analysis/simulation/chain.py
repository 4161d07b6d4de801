"""Kinematic chain of the simulated body, propagated analytically.

It gives segment orientations, angular velocities and accelerations, and point positions,
velocities and accelerations.

Frames (docs/conventions.md): ``E`` is ENU with z up; ``G`` is the subject's level frame
(x forward, y up, z right) at the compass heading ``facing_deg``; every segment frame is ISB
(x anterior, y superior, z right) and equals ``G`` in the neutral standing pose.

Joint rotations use exactly the decomposition of :mod:`analysis.angles.rotations`, so
``rotations.joint_angles_rad`` applied to the true segment orientations returns the driving
angles:

- pelvis relative to G: Y-X'-Z'' = heading, obliquity, ``Rz(−anterior_tilt)``;
- thigh relative to pelvis: Z-X'-Y'' = flexion, ±adduction, ±internal rotation (left side:
  X and Y negated, i.e. mirrored);
- knee ``Rz(−knee_flexion)``, ankle ``Rz(+dorsiflexion)``, lumbar ``Rz(−lumbar_flexion)``,
  neck ``Rz(−neck_flexion)``.

Each joint is a product of elementary rotations about body axes. For ``child = parent ⊗ R_u(θ)``
with ``u`` the rotation axis in world coordinates::

    ω_child = ω_parent + θ̇ u
    α_child = α_parent + θ̈ u + ω_parent × (θ̇ u)

and for a point ``r`` fixed in a segment with world offset ``d = R_E_B r`` from its origin::

    v = v_origin + ω × d,    a = a_origin + α × d + ω × (ω × d).

Root motion: one segment point is *anchored* (fixed in the world) at a time, e.g. the sole of the
stance foot while standing or the pelvis while lying or seated; the pelvis position follows from
the anchor, so a knee bend really lowers the pelvis. A change of anchor blends the two candidate
root trajectories with a minimum-jerk weight, which keeps position, velocity and acceleration
continuous.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.angles import rotations
from analysis.errors import ConfigError
from analysis.simulation.body import BodyModel
from analysis.simulation.trajectories import Constant, Motion, Trajectory, minimum_jerk

FloatArray = NDArray[np.float64]

__all__ = [
    "CHANNELS",
    "JOINTS",
    "SEGMENTS",
    "AnchorSwitch",
    "ChainEvaluation",
    "FrameMotion",
    "KinematicModel",
    "PointMotion",
    "cross",
    "level_frame",
    "offset_point",
    "rotate_frame",
]

_AXIS_INDEX: Final = {"x": 0, "y": 1, "z": 2}

JOINTS: Final[dict[str, tuple[str | None, tuple[tuple[str, str, float], ...]]]] = {
    "pelvis": (
        None,
        (
            ("y", "pelvis_heading", 1.0),
            ("x", "pelvis_obliquity", 1.0),
            ("z", "pelvis_anterior_tilt", -1.0),
        ),
    ),
    "trunk": ("pelvis", (("z", "lumbar_flexion", -1.0),)),
    "head": ("trunk", (("z", "neck_flexion", -1.0),)),
    **{
        f"{side}_thigh": (
            "pelvis",
            (
                ("z", f"{side}_hip_flexion", 1.0),
                ("x", f"{side}_hip_adduction", mirror),
                ("y", f"{side}_hip_internal_rotation", mirror),
            ),
        )
        for side, mirror in (("right", 1.0), ("left", -1.0))
    },
    **{
        f"{side}_shank": (f"{side}_thigh", (("z", f"{side}_knee_flexion", -1.0),))
        for side in ("right", "left")
    },
    **{
        f"{side}_foot": (f"{side}_shank", (("z", f"{side}_ankle_dorsiflexion", 1.0),))
        for side in ("right", "left")
    },
}
"""Segment → (parent, elementary rotations (body axis, driving channel, sign) in order)."""

SEGMENTS: Final = tuple(JOINTS)
CHANNELS: Final = tuple(ch for _, rots in JOINTS.values() for _, ch, _ in rots)
"""The driving degrees of freedom (rad inside; the anatomical angle of the same name)."""


@dataclass(frozen=True)
class FrameMotion:
    """Orientation and angular motion of a frame B relative to E, at N times.

    ``q_E_B`` ``(N, 4)`` scalar-first (B → E); ``omega_E_rad_s`` and ``alpha_E_rad_s2`` ``(N, 3)``
    are B's angular velocity and acceleration relative to E, in E coordinates.
    """

    q_E_B: FloatArray
    omega_E_rad_s: FloatArray
    alpha_E_rad_s2: FloatArray


@dataclass(frozen=True)
class PointMotion:
    """Position (m), velocity (m/s) and acceleration (m/s²) of a point, ``(N, 3)`` in E."""

    p_E_m: FloatArray
    v_E_m_s: FloatArray
    a_E_m_s2: FloatArray

    def __add__(self, other: PointMotion) -> PointMotion:
        return PointMotion(
            self.p_E_m + other.p_E_m, self.v_E_m_s + other.v_E_m_s, self.a_E_m_s2 + other.a_E_m_s2
        )

    def __neg__(self) -> PointMotion:
        return PointMotion(-self.p_E_m, -self.v_E_m_s, -self.a_E_m_s2)

    def take(self, index: NDArray[np.intp]) -> PointMotion:
        """Rows ``index`` of every array."""
        return PointMotion(self.p_E_m[index], self.v_E_m_s[index], self.a_E_m_s2[index])

    @staticmethod
    def zeros(n: int) -> PointMotion:
        """A point at rest at the origin."""
        return PointMotion(np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3)))


def cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise cross product of ``(N, 3)`` arrays (faster than ``np.cross`` for this shape)."""
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = ay * bz - az * by
    out[..., 1] = az * bx - ax * bz
    out[..., 2] = ax * by - ay * bx
    return out


def level_frame(facing_deg: float) -> FloatArray:
    """Orientation of the level frame G in ENU for a subject facing ``facing_deg``.

    ``facing_deg`` is the compass azimuth of the subject's forward direction (0 = north,
    90 = east). G has x forward, y up, z to the subject's right.
    """
    az = math.radians(facing_deg)
    forward = np.array([math.sin(az), math.cos(az), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    right = cross(forward, up)
    return rotations.from_matrix(np.stack((forward, up, right), axis=-1))


def _axis_column(q: FloatArray, k: int) -> FloatArray:
    """Column ``k`` of the rotation matrix of unit quaternions ``q``: body axis ``k`` in E."""
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    out = np.empty((*q.shape[:-1], 3))
    if k == 0:
        out[..., 0] = 1.0 - 2.0 * (y * y + z * z)
        out[..., 1] = 2.0 * (x * y + w * z)
        out[..., 2] = 2.0 * (x * z - w * y)
    elif k == 1:
        out[..., 0] = 2.0 * (x * y - w * z)
        out[..., 1] = 1.0 - 2.0 * (x * x + z * z)
        out[..., 2] = 2.0 * (y * z + w * x)
    else:
        out[..., 0] = 2.0 * (x * z + w * y)
        out[..., 1] = 2.0 * (y * z - w * x)
        out[..., 2] = 1.0 - 2.0 * (x * x + y * y)
    return out


def _times_axis_rotation(q: FloatArray, k: int, angle_rad: FloatArray) -> FloatArray:
    """``q ⊗ R_k(angle)`` for a rotation about body axis ``k`` (Hamilton product, expanded)."""
    c, s = np.cos(0.5 * angle_rad), np.sin(0.5 * angle_rad)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    out = np.empty(q.shape)
    if k == 0:
        out[..., 0], out[..., 1] = w * c - x * s, w * s + x * c
        out[..., 2], out[..., 3] = y * c + z * s, z * c - y * s
    elif k == 1:
        out[..., 0], out[..., 1] = w * c - y * s, x * c - z * s
        out[..., 2], out[..., 3] = w * s + y * c, z * c + x * s
    else:
        out[..., 0], out[..., 1] = w * c - z * s, x * c + y * s
        out[..., 2], out[..., 3] = y * c - x * s, w * s + z * c
    return out


def rotate_frame(
    parent: FrameMotion, axis: str, motion: Motion, *, sign: float = 1.0
) -> FrameMotion:
    """Child frame ``parent ⊗ R_axis(sign · θ)`` with its angular velocity and acceleration.

    ``axis`` is a body axis of the parent (``"x"``, ``"y"`` or ``"z"``); ``motion`` gives θ, θ̇
    and θ̈ (rad, rad/s, rad/s²) at the parent's N times. The parent quaternions must be unit.
    """
    k = _AXIS_INDEX[axis]
    angle = sign * motion.angle_rad
    rate = (sign * motion.rate_rad_s)[..., None]
    accel = (sign * motion.accel_rad_s2)[..., None]
    u = _axis_column(parent.q_E_B, k)
    q = _times_axis_rotation(parent.q_E_B, k, angle)
    rate_u = rate * u
    omega = parent.omega_E_rad_s + rate_u
    alpha = parent.alpha_E_rad_s2 + accel * u + cross(parent.omega_E_rad_s, rate_u)
    return FrameMotion(q, omega, alpha)


def offset_point(frame: FrameMotion, origin: PointMotion, r_B_m: ArrayLike) -> PointMotion:
    """Motion of the point fixed at ``r_B_m`` (segment coordinates, m) from the frame's origin."""
    r = np.broadcast_to(np.asarray(r_B_m, dtype=np.float64), frame.omega_E_rad_s.shape)
    d = rotations.rotate(frame.q_E_B, r)
    w, al = frame.omega_E_rad_s, frame.alpha_E_rad_s2
    w_x_d = cross(w, d)
    return PointMotion(
        origin.p_E_m + d,
        origin.v_E_m_s + w_x_d,
        origin.a_E_m_s2 + cross(al, d) + cross(w, w_x_d),
    )


@dataclass(frozen=True, kw_only=True)
class AnchorSwitch:
    """From ``end_s`` on, the point ``point_m`` (segment frame) of ``segment`` is world-fixed.

    During ``[start_s, end_s]`` the root blends from the previous anchor to this one. The new
    anchor's world position is where the previous anchor puts it at ``agree_s`` (``start_s`` for
    a foot that is already on the ground, ``end_s`` for a pelvis that lands on a seat), so both
    candidate roots coincide there; ``height_m``, if given, pins the anchor's world height
    (a sole or heel is on the floor at height 0, so repeated blocks cannot climb or sink). The
    first anchor of a schedule has ``start_s = end_s = agree_s = −inf`` and sits at the world
    origin.
    """

    start_s: float
    end_s: float
    segment: str
    point_m: tuple[float, float, float]
    agree_s: float
    height_m: float | None = None


class KinematicModel:
    """The body's kinematics as a function of time: trajectories, geometry and anchors.

    Parameters
    ----------
    body
        Segment geometry.
    trajectories
        Channel name (:data:`CHANNELS`) → trajectory in rad; missing channels stay 0.
    anchors
        Anchor schedule in time order; the first entry holds from −∞.
    facing_deg
        Compass azimuth of the subject's forward direction (defines ``q_E_G``).
    """

    def __init__(
        self,
        *,
        body: BodyModel,
        trajectories: Mapping[str, Trajectory],
        anchors: Sequence[AnchorSwitch],
        facing_deg: float = 0.0,
    ) -> None:
        unknown = sorted(set(trajectories) - set(CHANNELS))
        if unknown:
            raise ConfigError(f"unknown channel(s) {unknown}; expected names from {CHANNELS}")
        if not anchors:
            raise ConfigError("a kinematic model needs at least one anchor")
        for a in anchors:
            if a.segment not in JOINTS:
                raise ConfigError(f"anchor on unknown segment {a.segment!r}")
        ends = [a.end_s for a in anchors[1:]]
        if any(
            not (a.start_s < a.end_s and a.start_s <= a.agree_s <= a.end_s) for a in anchors[1:]
        ) or any(b.start_s < a.end_s for a, b in itertools.pairwise(anchors)):
            raise ConfigError("anchor switches must have start < end and must not overlap")
        self.body = body
        self.trajectories = {ch: trajectories.get(ch, Constant(0.0)) for ch in CHANNELS}
        self.anchors = tuple(anchors)
        self.facing_deg = float(facing_deg)
        self.q_E_G = level_frame(self.facing_deg)
        self._switch_start = np.array([a.start_s for a in anchors[1:]], dtype=np.float64)
        self._switch_end = np.array(ends, dtype=np.float64)
        self.anchor_world_m = self._resolve_anchor_positions()

    def _resolve_anchor_positions(self) -> FloatArray:
        """World position of every anchor point.

        The first is at the origin, each next one where the previous anchor puts it at the
        switch's ``agree_s``.
        """
        n = len(self.anchors)
        world = np.zeros((n, 3))
        if n == 1:
            return world
        t_agree = np.array([a.agree_s for a in self.anchors[1:]], dtype=np.float64)
        ev = ChainEvaluation(self, t_agree)
        rel_before = np.stack(
            [ev.point_rel(a.segment, a.point_m).p_E_m[j] for j, a in enumerate(self.anchors[:-1])]
        )
        rel_after = np.stack(
            [ev.point_rel(a.segment, a.point_m).p_E_m[j] for j, a in enumerate(self.anchors[1:])]
        )
        for k, a in enumerate(self.anchors[1:]):
            world[k + 1] = world[k] + rel_after[k] - rel_before[k]
            if a.height_m is not None:
                world[k + 1, 2] = a.height_m
        return world

    def evaluate(self, t_s: ArrayLike) -> ChainEvaluation:
        """Lazy evaluation of the chain at times ``t_s`` (1-D, seconds)."""
        return ChainEvaluation(self, np.asarray(t_s, dtype=np.float64).ravel())


class ChainEvaluation:
    """The chain at N fixed times; frames and points are computed on demand and cached."""

    def __init__(self, model: KinematicModel, t_s: FloatArray) -> None:
        self.model = model
        self.t_s = t_s
        self._channels: dict[str, Motion] = {}
        self._frames: dict[str, FrameMotion] = {}
        self._origins: dict[str, PointMotion] = {}
        self._root: PointMotion | None = None

    @property
    def n(self) -> int:
        """Number of times."""
        return int(self.t_s.shape[0])

    def channel(self, name: str) -> Motion:
        """A driving channel's angle (rad), rate and acceleration."""
        if name not in self._channels:
            self._channels[name] = self.model.trajectories[name].evaluate(self.t_s)
        return self._channels[name]

    def frame(self, segment: str) -> FrameMotion:
        """World orientation ``q_E_B``, angular velocity and acceleration of ``segment``."""
        if segment not in self._frames:
            parent, rots = JOINTS[segment]
            if parent is None:
                q0 = np.broadcast_to(self.model.q_E_G, (self.n, 4)).copy()
                state = FrameMotion(q0, np.zeros((self.n, 3)), np.zeros((self.n, 3)))
            else:
                state = self.frame(parent)
            for axis, ch, sign in rots:
                state = rotate_frame(state, axis, self.channel(ch), sign=sign)
            self._frames[segment] = state
        return self._frames[segment]

    def origin_rel(self, segment: str) -> PointMotion:
        """Motion of the segment origin relative to the pelvis origin (root held still)."""
        if segment not in self._origins:
            parent = JOINTS[segment][0]
            if parent is None:
                self._origins[segment] = PointMotion.zeros(self.n)
            else:
                self._origins[segment] = offset_point(
                    self.frame(parent),
                    self.origin_rel(parent),
                    self.model.body.joint_offset_m(segment),
                )
        return self._origins[segment]

    def point_rel(self, segment: str, r_B_m: ArrayLike) -> PointMotion:
        """Motion of a point fixed in ``segment`` relative to the pelvis origin (root still)."""
        return offset_point(self.frame(segment), self.origin_rel(segment), r_B_m)

    def root(self) -> PointMotion:
        """World motion of the pelvis origin, derived from the anchor schedule."""
        if self._root is None:
            self._root = self._compute_root()
        return self._root

    def point(self, segment: str, r_B_m: ArrayLike) -> PointMotion:
        """World motion of a point fixed at ``r_B_m`` in ``segment``."""
        return self.root() + self.point_rel(segment, r_B_m)

    def _candidate(self, j: int, index: NDArray[np.intp]) -> PointMotion:
        """Root motion implied by anchor ``j`` at the samples ``index``."""
        a = self.model.anchors[j]
        rel = self.point_rel(a.segment, a.point_m).take(index)
        return PointMotion(self.model.anchor_world_m[j] - rel.p_E_m, -rel.v_E_m_s, -rel.a_E_m_s2)

    def _compute_root(self) -> PointMotion:
        m = self.model
        t = self.t_s
        settled = np.searchsorted(m._switch_end, t, side="right")  # anchors fully in effect
        out = PointMotion.zeros(self.n)
        blend_idx = np.zeros(self.n, dtype=np.intp)
        in_blend = np.zeros(self.n, dtype=bool)
        if m._switch_start.size:
            nxt = np.minimum(settled, m._switch_start.size - 1)
            in_blend = (settled < m._switch_start.size) & (t >= m._switch_start[nxt])
            blend_idx = nxt
        for j in np.unique(settled):
            rows = np.flatnonzero((settled == j) & ~in_blend)
            if rows.size:
                c = self._candidate(int(j), rows)
                out.p_E_m[rows], out.v_E_m_s[rows], out.a_E_m_s2[rows] = (
                    c.p_E_m,
                    c.v_E_m_s,
                    c.a_E_m_s2,
                )
        for k in np.unique(blend_idx[in_blend]):
            rows = np.flatnonzero(in_blend & (blend_idx == k))
            prev, new = self._candidate(int(k), rows), self._candidate(int(k) + 1, rows)
            span = m._switch_end[k] - m._switch_start[k]
            s, ds, dds = minimum_jerk((t[rows] - m._switch_start[k]) / span)
            s, ds, dds = s[:, None], (ds / span)[:, None], (dds / (span * span))[:, None]
            dp = new.p_E_m - prev.p_E_m
            dv = new.v_E_m_s - prev.v_E_m_s
            da = new.a_E_m_s2 - prev.a_E_m_s2
            out.p_E_m[rows] = prev.p_E_m + s * dp
            out.v_E_m_s[rows] = prev.v_E_m_s + ds * dp + s * dv
            out.a_E_m_s2[rows] = prev.a_E_m_s2 + dds * dp + 2.0 * ds * dv + s * da
        return out
