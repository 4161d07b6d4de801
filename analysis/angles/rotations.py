"""Quaternions, rotation matrices and the joint-angle decomposition: the one place for both.

Storage convention: quaternions are ``(..., 4)`` arrays in **scalar-first** order
``[w, x, y, z]`` (the ``q_w, q_x, q_y, q_z`` columns), Hamilton product, and a quaternion
``q_A_B`` rotates vectors from frame B into frame A: ``v_A = q_A_B ⊗ v_B ⊗ q_A_B*``. A
sensor's fused orientation is ``q_E_S`` (sensor → earth, ENU). SciPy's ``Rotation`` is
scalar-last; convert only through :func:`to_rotation` / :func:`from_rotation`.

Joint angles (ISB, Wu et al. 2002): the orientation of the distal segment relative to the
proximal one, decomposed as intrinsic Z-X'-Y'' Euler angles (z: flexion axis pointing right,
x: anterior, y: superior). For the left side the result is mirrored through the sagittal
plane (the X and Y angles change sign) so that every angle keeps its anatomical meaning.
All functions work in radians on arrays; degrees exist only at the edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from scipy.spatial.transform import Rotation

FloatArray = NDArray[np.float64]

# Which Euler angle is which anatomical angle, with its sign, for a right-side joint
# (intrinsic Z-X'-Y''): index into (z, x, y) and the factor that gives the anatomical sign.
JOINT_SIGNS: dict[str, dict[str, tuple[int, float]]] = {
    # thigh relative to pelvis: +Z lifts the knee forward (flexion), +X tips the distal end
    # towards the midline (adduction), +Y turns the anterior axis medially (internal rotation)
    "hip": {"flexion": (0, 1.0), "adduction": (1, 1.0), "internal_rotation": (2, 1.0)},
    # shank relative to thigh: the shank's distal end moves posterior about -Z
    "knee": {"flexion": (0, -1.0), "adduction": (1, 1.0), "internal_rotation": (2, 1.0)},
    # foot relative to shank: toes up about +Z
    "ankle": {"dorsiflexion": (0, 1.0), "inversion": (1, 1.0), "internal_rotation": (2, 1.0)},
    # trunk relative to pelvis, head relative to trunk: bending forward is -Z
    "lumbar": {"flexion": (0, -1.0), "lateral_bending": (1, 1.0), "axial_rotation": (2, 1.0)},
    "neck": {"flexion": (0, -1.0), "lateral_bending": (1, 1.0), "axial_rotation": (2, 1.0)},
}


def as_quat(q: ArrayLike) -> FloatArray:
    """Return ``q`` as a float array of shape ``(..., 4)``; raise ValueError otherwise."""
    arr = np.asarray(q, dtype=np.float64)
    if arr.shape[-1:] != (4,):
        raise ValueError(f"quaternions need a last axis of length 4 [w,x,y,z], got {arr.shape}")
    return arr


ROW_NORM_MAX_TERMS = 4
"""Vectors up to this long take :func:`row_norm`'s column path. NumPy sums fewer than 8
terms of a reduction one after the other (pairwise summation starts at 8), so there the
column path gives its numbers exactly; longer vectors go to ``np.linalg.norm`` itself."""


def row_norm(v: ArrayLike) -> NDArray[np.floating]:
    """Euclidean length of each vector along the last axis (``(..., k)`` → ``(...)``).

    The same numbers as ``np.linalg.norm(v, axis=-1)`` bit for bit (the squares summed in
    the same order, then the square root), in the input's floating type. For 2 to
    :data:`ROW_NORM_MAX_TERMS` components it works column by column, several times faster
    on whole-session arrays than NumPy's reduction over a short last axis.
    """
    arr = np.asarray(v)
    if not np.issubdtype(arr.dtype, np.inexact):
        arr = arr.astype(np.float64)
    if not 2 <= arr.shape[-1] <= ROW_NORM_MAX_TERMS or np.iscomplexobj(arr):
        return np.linalg.norm(arr, axis=-1)
    col = arr[..., 0]
    total = col * col
    for j in range(1, arr.shape[-1]):
        col = arr[..., j]
        total = total + col * col
    return np.sqrt(total)


def normalize(q: ArrayLike) -> FloatArray:
    """Unit quaternions (``(..., 4)``); a zero quaternion raises ValueError."""
    arr = as_quat(q)
    norm = row_norm(arr)[..., None]
    if np.any(norm == 0):
        raise ValueError("cannot normalise a zero quaternion")
    return arr / norm


def multiply(q1: ArrayLike, q2: ArrayLike) -> FloatArray:
    """Hamilton product ``q1 ⊗ q2`` (broadcasting over leading axes)."""
    a, b = as_quat(q1), as_quat(q2)
    w1, x1, y1, z1 = np.moveaxis(a, -1, 0)
    w2, x2, y2, z2 = np.moveaxis(b, -1, 0)
    return np.stack(
        (
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ),
        axis=-1,
    )


def conjugate(q: ArrayLike) -> FloatArray:
    """Conjugate (the inverse of a unit quaternion)."""
    arr = as_quat(q)
    return arr * np.array([1.0, -1.0, -1.0, -1.0])


def rotate(q: ArrayLike, v: ArrayLike) -> FloatArray:
    """Rotate vectors ``v`` (``(..., 3)``) by unit quaternions ``q``: ``q ⊗ v ⊗ q*``."""
    arr = as_quat(q)
    vec = np.asarray(v, dtype=np.float64)
    w = arr[..., :1]
    u = arr[..., 1:]
    t = 2.0 * np.cross(u, vec)
    return vec + w * t + np.cross(u, t)


def from_axis_angle(axis: ArrayLike, angle_rad: ArrayLike) -> FloatArray:
    """Quaternions for rotations by ``angle_rad`` about unit ``axis`` (broadcasting)."""
    ax = np.asarray(axis, dtype=np.float64)
    ax = ax / np.linalg.norm(ax, axis=-1, keepdims=True)
    half = 0.5 * np.asarray(angle_rad, dtype=np.float64)[..., None]
    return np.concatenate((np.cos(half), np.sin(half) * ax), axis=-1)


def angle_between(q1: ArrayLike, q2: ArrayLike) -> FloatArray:
    """Rotation angle (rad, in [0, π]) of ``q1* ⊗ q2``; insensitive to the q/−q double cover."""
    d = multiply(conjugate(normalize(q1)), normalize(q2))
    # atan2 form: accurate for small angles, where arccos(|w|) loses half the digits
    return 2.0 * np.arctan2(np.linalg.norm(d[..., 1:], axis=-1), np.abs(d[..., 0]))


def to_rotation(q: ArrayLike) -> Rotation:
    """SciPy ``Rotation`` from scalar-first quaternions (SciPy imported on first use)."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_quat(as_quat(q), scalar_first=True)


def from_rotation(rot: Rotation) -> FloatArray:
    """Scalar-first quaternions from a SciPy ``Rotation``."""
    return np.asarray(rot.as_quat(scalar_first=True), dtype=np.float64)


def to_matrix(q: ArrayLike) -> FloatArray:
    """Rotation matrices ``(..., 3, 3)``; columns are the rotated frame's axes."""
    arr = normalize(q)
    w, x, y, z = np.moveaxis(arr, -1, 0)
    return np.stack(
        (
            np.stack((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)), -1),
            np.stack((2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)), -1),
            np.stack((2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)), -1),
        ),
        axis=-2,
    )


def from_matrix(m: ArrayLike) -> FloatArray:
    """Unit quaternions (w ≥ 0) from rotation matrices ``(..., 3, 3)``.

    Shepperd's method: of w, x, y, z the largest is taken from the matrix trace or a diagonal
    element (numerically safe), the other three from the off-diagonal sums and differences.
    """
    r = np.asarray(m, dtype=np.float64)
    m00, m11, m22 = r[..., 0, 0], r[..., 1, 1], r[..., 2, 2]
    cand = np.stack((m00 + m11 + m22, m00, m11, m22), axis=-1)
    k = np.argmax(cand, axis=-1)
    d21, d02, d10 = (
        r[..., 2, 1] - r[..., 1, 2],
        r[..., 0, 2] - r[..., 2, 0],
        r[..., 1, 0] - r[..., 0, 1],
    )
    s21, s02, s10 = (
        r[..., 2, 1] + r[..., 1, 2],
        r[..., 0, 2] + r[..., 2, 0],
        r[..., 1, 0] + r[..., 0, 1],
    )
    # k = 0: w largest
    t = np.sqrt(np.maximum(1.0 + m00 + m11 + m22, 1e-300)) * 2.0
    q0 = np.stack((0.25 * t, d21 / t, d02 / t, d10 / t), axis=-1)
    t = np.sqrt(np.maximum(1.0 + m00 - m11 - m22, 1e-300)) * 2.0
    q1 = np.stack((d21 / t, 0.25 * t, s10 / t, s02 / t), axis=-1)
    t = np.sqrt(np.maximum(1.0 - m00 + m11 - m22, 1e-300)) * 2.0
    q2 = np.stack((d02 / t, s10 / t, 0.25 * t, s21 / t), axis=-1)
    t = np.sqrt(np.maximum(1.0 - m00 - m11 + m22, 1e-300)) * 2.0
    q3 = np.stack((d10 / t, s02 / t, s21 / t, 0.25 * t), axis=-1)
    q = np.choose(k[..., None], (q0, q1, q2, q3))
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def euler_zxy(q: ArrayLike) -> FloatArray:
    """Intrinsic Z-X'-Y'' angles ``(..., 3)`` = (z, x, y) in rad of rotations ``q``.

    With ``R = Rz(a) Rx(b) Ry(c)``: ``b = asin(R[2,1])`` in [−π/2, π/2]; ``a`` and ``c`` in
    (−π, π]. Gimbal lock at ``|b| = π/2`` (a joint adducted by 90°) returns ``c = 0``. Only the
    five matrix elements used are formed.
    """
    w, x, y, z = np.moveaxis(normalize(q), -1, 0)
    m21 = 2 * (y * z + w * x)
    m01 = 2 * (x * y - w * z)
    m11 = 1 - 2 * (x * x + z * z)
    m20 = 2 * (x * z - w * y)
    m22 = 1 - 2 * (x * x + y * y)
    b = np.arcsin(np.clip(m21, -1.0, 1.0))
    a = np.arctan2(-m01, m11)
    c = np.arctan2(-m20, m22)
    return np.stack((a, b, c), axis=-1)


def from_euler_zxy(angles_rad: ArrayLike) -> FloatArray:
    """Quaternions of intrinsic Z-X'-Y'' rotations; ``angles_rad[..., :] = (z, x, y)``."""
    ang = np.asarray(angles_rad, dtype=np.float64)
    qz = from_axis_angle([0.0, 0.0, 1.0], ang[..., 0])
    qx = from_axis_angle([1.0, 0.0, 0.0], ang[..., 1])
    qy = from_axis_angle([0.0, 1.0, 0.0], ang[..., 2])
    return multiply(multiply(qz, qx), qy)


def euler_yxz(q: ArrayLike) -> FloatArray:
    """Intrinsic Y-X'-Z'' angles ``(..., 3)`` = (y, x, z) in rad (Baker 2001 pelvis order).

    With ``R = Ry(a) Rx(b) Rz(c)``: a rotation about the vertical (y) applied first, so the
    tilt ``c`` of a segment relative to a level frame does not depend on its heading.
    """
    w, x, y, z = np.moveaxis(normalize(q), -1, 0)
    m12 = 2 * (y * z - w * x)
    m02 = 2 * (x * z + w * y)
    m22 = 1 - 2 * (x * x + y * y)
    m10 = 2 * (x * y + w * z)
    m11 = 1 - 2 * (x * x + z * z)
    b = np.arcsin(np.clip(-m12, -1.0, 1.0))
    a = np.arctan2(m02, m22)
    c = np.arctan2(m10, m11)
    return np.stack((a, b, c), axis=-1)


def frame_axis(q: ArrayLike, axis: int) -> FloatArray:
    """Where the rotated frame's x (0), y (1) or z (2) axis points: column ``axis`` of R.

    The same as ``rotate(q, e_axis)`` for unit ``q``, in closed form (no cross products).
    """
    w, x, y, z = np.moveaxis(as_quat(q), -1, 0)
    if axis == 0:
        cols = (1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y))
    elif axis == 1:
        cols = (2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x))
    elif axis == 2:
        cols = (2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y))
    else:
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    return np.stack(cols, axis=-1)


def turn_about_z(q: ArrayLike, angle_rad: ArrayLike) -> FloatArray:
    """``Rz(angle) ⊗ q`` in closed form (a rotation about the outer frame's z axis)."""
    arr = as_quat(q)
    half = 0.5 * np.asarray(angle_rad, dtype=np.float64)
    c, s = np.cos(half), np.sin(half)
    w, x, y, z = np.moveaxis(arr, -1, 0)
    return np.stack((c * w - s * z, c * x - s * y, c * y + s * x, c * z + s * w), axis=-1)


def mirror_left(angles_zxy: ArrayLike) -> FloatArray:
    """Mirror Z-X'-Y'' angles through the sagittal plane (negate X and Y).

    Reflecting a rotation through the plane z = 0 keeps rotations about z and reverses those
    about x and y, so a left joint expressed in right-handed ISB frames gets the anatomical
    signs of the right side.
    """
    ang = np.array(angles_zxy, dtype=np.float64, copy=True)
    ang[..., 1:] *= -1.0
    return ang


def joint_angles_rad(
    q_E_proximal: ArrayLike,
    q_E_distal: ArrayLike,
    *,
    joint: str,
    side: str | None,
) -> dict[str, FloatArray]:
    """Anatomical angles (rad) of ``joint`` from both segments' orientations in one frame.

    Parameters
    ----------
    q_E_proximal, q_E_distal
        ``(N, 4)`` scalar-first orientations of the proximal and distal ISB segment frames
        (segment → common frame E; headings must already agree).
    joint
        One of ``hip``, ``knee``, ``ankle``, ``lumbar``, ``neck``.
    side
        ``"left"`` mirrors the result (see :func:`mirror_left`); ``"right"`` or None do not.

    Returns
    -------
    dict
        Motion name → ``(N,)`` angle in rad with the anatomical sign of ``JOINT_SIGNS``.
    """
    if joint not in JOINT_SIGNS:
        raise ValueError(f"unknown joint {joint!r}; expected one of {sorted(JOINT_SIGNS)}")
    q_rel = multiply(conjugate(q_E_proximal), q_E_distal)
    ang = euler_zxy(q_rel)
    if side == "left":
        ang = mirror_left(ang)
    return {motion: sign * ang[..., idx] for motion, (idx, sign) in JOINT_SIGNS[joint].items()}


def segment_tilt_rad(q_G_segment: ArrayLike) -> FloatArray:
    """Sagittal tilt (rad) of a segment relative to a level frame G (y up), heading-free.

    Positive when the segment rotates about its own +z (right) axis, i.e. its superior end
    moves posterior: thigh flexion relative to gravity is positive, pelvis *anterior* tilt is
    negative. Uses the Y-X'-Z'' order so the heading (about y) is factored out first.
    """
    return euler_yxz(q_G_segment)[..., 2]
