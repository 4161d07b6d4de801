"""Quaternion helpers and the ISB joint-angle decomposition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from analysis.angles import rotations as rot

angles = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)
# keep X inside (−π/2, π/2) so Z-X'-Y'' is unique
mid = st.floats(min_value=-1.4, max_value=1.4, allow_nan=False)


def test_scalar_first_matches_scipy():
    q = rot.from_axis_angle([0, 0, 1], np.pi / 2)
    assert np.allclose(q, [np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)])
    r = rot.to_rotation(q)
    assert np.allclose(r.apply([1, 0, 0]), [0, 1, 0])
    assert np.allclose(rot.rotate(q, [1, 0, 0]), [0, 1, 0])
    assert np.allclose(rot.from_rotation(r), q)


@settings(max_examples=200, deadline=None)
@given(a=angles, b=mid, c=angles)
def test_euler_zxy_round_trip(a, b, c):
    q = rot.from_euler_zxy([a, b, c])
    got = rot.euler_zxy(q)
    assert np.allclose(got, [a, b, c], atol=1e-9)
    # and agrees with scipy's intrinsic "ZXY"
    ref = Rotation.from_euler("ZXY", [a, b, c])
    assert rot.angle_between(q, rot.from_rotation(ref)) < 1e-9


@settings(max_examples=200, deadline=None)
@given(a=angles, b=mid, c=angles)
def test_euler_yxz_round_trip(a, b, c):
    q = rot.from_rotation(Rotation.from_euler("YXZ", [a, b, c]))
    assert np.allclose(rot.euler_yxz(q), [a, b, c], atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    q1=st.lists(st.floats(-1, 1), min_size=4, max_size=4),
    q2=st.lists(st.floats(-1, 1), min_size=4, max_size=4),
)
def test_multiply_matches_scipy(q1, q2):
    if np.linalg.norm(q1) < 1e-3 or np.linalg.norm(q2) < 1e-3:
        return
    a, b = rot.normalize(q1), rot.normalize(q2)
    ref = rot.from_rotation(rot.to_rotation(a) * rot.to_rotation(b))
    assert rot.angle_between(rot.multiply(a, b), ref) < 1e-7
    assert np.allclose(rot.to_matrix(a), rot.to_rotation(a).as_matrix())


def test_joint_angle_signs_right_side():
    """Anatomical signs from the ISB frame definitions (x anterior, y up, z right)."""
    ident = np.array([1.0, 0, 0, 0])
    deg = np.deg2rad
    # hip flexion: the thigh rotates about +z; its long axis (+y, to the hip) tilts posterior
    thigh = rot.from_axis_angle([0, 0, 1], deg(30))
    assert np.allclose(rot.rotate(thigh, [0, 1, 0])[0], -np.sin(deg(30)))
    out = rot.joint_angles_rad(ident, thigh, joint="hip", side="right")
    assert np.isclose(out["flexion"], deg(30))
    # knee flexion: shank rotates about −z relative to the thigh
    shank = rot.from_axis_angle([0, 0, 1], -deg(20))
    assert np.isclose(
        rot.joint_angles_rad(ident, shank, joint="knee", side="right")["flexion"], deg(20)
    )
    # ankle dorsiflexion: toes (+x) rotate towards +y
    foot = rot.from_axis_angle([0, 0, 1], deg(10))
    assert rot.rotate(foot, [1, 0, 0])[1] > 0
    assert np.isclose(
        rot.joint_angles_rad(ident, foot, joint="ankle", side="right")["dorsiflexion"], deg(10)
    )
    # right hip adduction: the knee (−y end) moves to the left (−z, the midline)
    add = rot.from_axis_angle([1, 0, 0], deg(8))
    assert rot.rotate(add, [0, -1, 0])[2] < 0
    assert np.isclose(
        rot.joint_angles_rad(ident, add, joint="hip", side="right")["adduction"], deg(8)
    )
    # right hip internal rotation: the anterior axis turns medially (towards −z)
    ir = rot.from_axis_angle([0, 1, 0], deg(12))
    assert rot.rotate(ir, [1, 0, 0])[2] < 0
    out = rot.joint_angles_rad(ident, ir, joint="hip", side="right")
    assert np.isclose(out["internal_rotation"], deg(12))
    # lumbar flexion: trunk's superior axis tilts anterior
    trunk = rot.from_axis_angle([0, 0, 1], -deg(15))
    assert rot.rotate(trunk, [0, 1, 0])[0] > 0
    assert np.isclose(
        rot.joint_angles_rad(ident, trunk, joint="lumbar", side=None)["flexion"], deg(15)
    )


def test_left_side_is_mirrored():
    """A left hip adducted toward the midline (+z for the left leg) reads + adduction."""
    ident = np.array([1.0, 0, 0, 0])
    # left leg: midline is +z; knee end (−y) moving to +z is a rotation about −x
    add = rot.from_axis_angle([1, 0, 0], -np.deg2rad(8))
    assert rot.rotate(add, [0, -1, 0])[2] > 0
    out = rot.joint_angles_rad(ident, add, joint="hip", side="left")
    assert np.isclose(out["adduction"], np.deg2rad(8))


@settings(max_examples=100, deadline=None)
@given(a=mid, b=st.floats(-0.6, 0.6), c=st.floats(-0.6, 0.6))
def test_mirror_symmetry_of_left_and_right(a, b, c):
    """Mirroring a right-leg pose through the sagittal plane gives the same anatomical angles."""
    q_right = rot.from_euler_zxy([a, b, c])
    m = np.diag([1.0, 1.0, -1.0])
    mat_left = m @ rot.to_matrix(q_right) @ m
    q_left = rot.from_matrix(mat_left)
    ident = np.array([1.0, 0, 0, 0])
    right = rot.joint_angles_rad(ident, q_right, joint="hip", side="right")
    left = rot.joint_angles_rad(ident, q_left, joint="hip", side="left")
    for k in right:
        assert np.isclose(right[k], left[k], atol=1e-9), k


def test_tilt_is_heading_free():
    tilt = rot.from_axis_angle([0, 0, 1], np.deg2rad(25))
    for heading in np.deg2rad([0, 40, 170, -120]):
        q = rot.multiply(rot.from_axis_angle([0, 1, 0], heading), tilt)
        assert np.isclose(rot.segment_tilt_rad(q), np.deg2rad(25))


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="length 4"):
        rot.as_quat([1, 2, 3])
    with pytest.raises(ValueError, match="zero quaternion"):
        rot.normalize([0, 0, 0, 0])
    with pytest.raises(ValueError, match="unknown joint"):
        rot.joint_angles_rad([1, 0, 0, 0], [1, 0, 0, 0], joint="elbow", side=None)


@settings(max_examples=100, deadline=None)
@given(
    q=st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(lambda v: np.linalg.norm(v) > 0.1),
    angle=angles,
)
def test_closed_forms_match_the_generic_ones(q, angle):
    u = rot.normalize(q)
    for axis in range(3):
        e = np.eye(3)[axis]
        assert np.allclose(rot.frame_axis(u, axis), rot.rotate(u, e), atol=1e-12)
    turned = rot.multiply(rot.from_axis_angle([0, 0, 1], angle), u)
    assert rot.angle_between(rot.turn_about_z(u, angle), turned) < 1e-7


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize("lead", [(), (1,), (7,), (3000,), (2, 50)])
def test_row_norm_is_numpy_s_norm_bit_for_bit(dtype, k, lead):
    rng = np.random.default_rng(k + 10 * len(lead))
    scale = rng.lognormal(sigma=3.0, size=(*lead, 1))
    v = (rng.normal(size=(*lead, k)) * scale * 10).astype(dtype)
    want = np.linalg.norm(v, axis=-1)
    got = rot.row_norm(v)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_row_norm_of_strided_and_special_rows():
    v = np.array([[np.nan, 1, 2], [np.inf, 1, 2], [3, 4, 0], [0, 0, 0], [-0.0, 0, 0]])
    np.testing.assert_array_equal(rot.row_norm(v), [np.nan, np.inf, 5.0, 0.0, 0.0])
    wide = np.random.default_rng(3).normal(size=(40, 8))
    for view in (wide[:, ::2], wide[:, :3].T.copy().T, wide[::3, 1:4]):
        np.testing.assert_array_equal(rot.row_norm(view), np.linalg.norm(view, axis=-1))
