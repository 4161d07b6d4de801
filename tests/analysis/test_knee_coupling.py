"""A knee that is not an exact hinge, and the thigh accelerometer bias read from its axis.

The tibia turns about its long axis as the knee bends (here 0.1° per degree of flexion), so
the knee's functional axis leans from the flexion axis in both sensors' coordinates. Read as
the thigh accelerometer's bias along the axis (:mod:`analysis.angles.axis_bias`) that lean
rolls the thigh's frame, which reads as hip adduction whenever the hip is flexed. These
tests build the rates and stand gravity of a thigh and a shank sensor on such a knee, with
and without a real bias along the thigh's axis, and check which lean the calibration takes
for the bias.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.axis_bias import OWN_AXIS_MAX_TURN_DEG, own_gyro_axis, shared_lean_axis
from analysis.angles.calibration import SESSION_KNEE
from tests.analysis.builders import calibrated_knee

RATE_HZ = 100.0
X, Y, Z = np.eye(3)
"""Level frame G (x forward, y up, z right) in ENU earth axes."""
MOUNT_THIGH = rot.normalize(np.array([0.7, 0.3, -0.5, 0.4]))  # q_B_S, any strapping
MOUNT_SHANK = rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2)


def _leg(n: int, coupling: float, abduction: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``q_G_thigh``, ``q_G_shank``: 4 s of stand, then leg swings while the knee bends.

    The shank turns about its own long axis by ``coupling`` × the knee's flexion (a tibia
    rotating with knee flexion); the thigh's own motion is flexion at the hip, with
    ``abduction`` × the flexion of abduction made with it (a swing out of its plane).
    """
    t = np.arange(n) / RATE_HZ
    move = np.clip(t - 4.0, 0.0, None)
    shape = np.sin(np.pi * (move % 1.5) / 1.5) ** 2 * (t >= 4.0)
    flex = np.deg2rad(np.where(np.floor(move / 1.5) % 2 == 0, 35.0, -12.0)) * shape
    knee = np.deg2rad(70.0) * np.sin(0.5 * move) ** 2 * (t >= 4.0)
    q_thigh = rot.multiply(rot.from_axis_angle(Z, flex), rot.from_axis_angle(X, abduction * flex))
    q_knee = rot.multiply(rot.from_axis_angle(Z, -knee), rot.from_axis_angle(Y, coupling * knee))
    return q_thigh, rot.multiply(q_thigh, q_knee)


def _calibrated(coupling: float, bias_deg: float, n: int = 3000, abduction: float = 0.0):
    """The calibration of a thigh and shank; the thigh's accelerometer is biased along its
    flexion axis by ``g·sin(bias_deg)``. Returns it and the thigh's z in sensor coordinates."""
    q_t, q_s = _leg(n, coupling, abduction)
    cal, z_S = calibrated_knee(q_t, q_s, (MOUNT_THIGH, MOUNT_SHANK), bias_deg=bias_deg)
    return cal, z_S


def _bias_read_deg(cal, z_S: np.ndarray) -> float:
    """The thigh's bias the calibration removed, as a lean (°) toward its true z."""
    b = cal.segments["right_thigh"].acc_axis_bias_g
    return 0.0 if b is None else float(np.rad2deg(np.arcsin(float(b @ z_S))))


def _hinge_lean_deg(coupling: float) -> float:
    """The lean the shank's side of the knee's functional axis has (the whole coupling)."""
    return float(np.rad2deg(np.arctan(coupling)))


def test_the_knee_s_coupling_is_not_read_as_the_thigh_s_bias():
    cal, z_S = _calibrated(coupling=0.1, bias_deg=0.0)
    assert cal.segments["right_thigh"].axis_source == "knee hinge"
    # the coupling turns the knee's axis 5.2° from the thigh's in the level plane, and the
    # fit's other minima lie on both sides of the truth, 9.9° from the kept one
    # (`HingeFit.rival_prox_deg`): the thigh's tilt is doubted, not its bias
    assert "two readings of it" in str(cal.segments["right_thigh"].tilt_doubt)
    # the hinge axis leans by about the coupling (a 5.7° lean at the shank); none of it is
    # the thigh accelerometer's
    assert abs(_bias_read_deg(cal, z_S)) < 0.5


@pytest.mark.parametrize("bias_deg", [2.0, -2.0])
def test_a_real_bias_along_an_exact_hinge_is_still_removed(bias_deg):
    cal, z_S = _calibrated(coupling=0.0, bias_deg=bias_deg)
    assert cal.segments["right_thigh"].axis_source == "knee hinge"
    assert abs(_bias_read_deg(cal, z_S) - bias_deg) < 0.3


@pytest.mark.parametrize("bias_deg", [2.0, -2.0])
def test_with_both_the_bias_read_is_never_worse_than_none(bias_deg):
    cal, z_S = _calibrated(coupling=0.1, bias_deg=bias_deg)
    read = _bias_read_deg(cal, z_S)
    # a bias leaning the way the coupling leans the hinge is found whole; one leaning the
    # other way cancels part of the hinge's lean and is left (the smaller shared lean)
    assert abs(read - bias_deg) <= abs(bias_deg) + 0.3
    assert abs(read - bias_deg) < 0.3 or abs(read) < 0.3


def test_a_thigh_swung_out_of_its_plane_is_no_witness():
    # swings with abduction made in proportion turn the thigh's own axis by atan(0.2) ≈ 11°
    # in the level plane: it witnesses nothing, and the hinge's whole lean is the bias
    cal, z_S = _calibrated(coupling=0.0, bias_deg=2.0, abduction=0.2)
    seg = cal.segments["right_thigh"]
    # the window's fit has a second minimum (`HingeFit.rival_prox_deg`): the session's knee
    # fit, over the same movements, is asked and chooses the kept reading; either is the hinge
    assert seg.axis_source in ("knee hinge", SESSION_KNEE)
    assert seg.tilt_doubt is None
    assert abs(_bias_read_deg(cal, z_S) - 2.0) < 0.3


def test_the_shank_keeps_its_hinge_lean():
    # the step is the thigh's: the shank's frame (the knee's flexion) is left as it was
    cal, _ = _calibrated(coupling=0.1, bias_deg=0.0)
    b = cal.segments["right_shank"].acc_axis_bias_g
    assert b is not None
    assert abs(float(np.rad2deg(np.arcsin(np.linalg.norm(b)))) - _hinge_lean_deg(0.1)) < 1.5


def test_the_shared_lean_is_the_smaller_one_way_and_none_opposite():
    h = rot.rotate(rot.from_axis_angle(X, np.deg2rad(6.0)), Z)  # z leaned 6° out of level
    for w_deg, expected in ((2.0, 2.0), (9.0, 6.0), (-3.0, 0.0)):
        w = rot.rotate(rot.from_axis_angle(X, np.deg2rad(w_deg)), Z)
        out = shared_lean_axis(h, -w, Y)  # the witness's sign is free
        assert out is not None
        assert float(out @ Y) * float(h @ Y) >= 0.0  # the hinge's way, when any
        assert np.rad2deg(np.arcsin(abs(float(out @ Y)))) == pytest.approx(expected, abs=1e-6)
        # the direction in the level plane is the hinge's
        assert abs(float(out @ X)) < 1e-9


def test_a_witness_turned_away_in_the_level_plane_is_no_witness():
    h = rot.rotate(rot.from_axis_angle(X, np.deg2rad(5.0)), Z)
    turned = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(OWN_AXIS_MAX_TURN_DEG + 3.0)), Z)
    assert shared_lean_axis(h, turned, Y) is None
    near = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(OWN_AXIS_MAX_TURN_DEG - 3.0)), Z)
    assert shared_lean_axis(h, near, Y) is not None


def test_the_own_axis_needs_the_segment_to_turn():
    rng = np.random.default_rng(0)
    up = np.tile(Y, (400, 1))
    swing = np.outer(np.sin(np.linspace(0.0, 8 * np.pi, 400)), Z) + rng.normal(0, 0.01, (400, 3))
    a = own_gyro_axis(swing, up, -Z, rate_hz=RATE_HZ)
    assert a is not None
    assert float(a @ -Z) > 0.999  # the sign of the axis it was asked near
    assert own_gyro_axis(0.05 * swing, up, Z, rate_hz=RATE_HZ) is None
