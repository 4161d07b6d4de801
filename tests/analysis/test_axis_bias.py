"""The accelerometer's bias along the knee's hinge axis (analysis.angles.axis_bias).

A synthetic thigh turns about its horizontal flexion axis from the stand to the leg raised
almost vertically (the supine stretch), its accelerometer biased along that axis. The fused
orientation is built independently of the module (TRIAD from the biased specific force and
the axis), as a filter at rest converges to it.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.axis_bias import (
    MAX_AXIS_BIAS_M_S2,
    axis_bias_g,
    gyro_flexion_axis,
    halfway_axis,
    reframe,
    tipped_far,
    untilt,
)
from analysis.recording.schema import GRAVITY_M_S2

UP_E = np.array([0.0, 0.0, 1.0])
AXIS_E = np.array([1.0, 0.0, 0.0])  # the flexion axis in the earth frame: horizontal


def _q_E_B(phi_rad: float) -> np.ndarray:
    """The segment turned by ``phi_rad`` about its flexion axis from the stand (z = AXIS_E)."""
    stand = rot.from_matrix(np.column_stack([np.cross(UP_E, AXIS_E), UP_E, AXIS_E]))
    return rot.multiply(rot.from_axis_angle(AXIS_E, phi_rad), stand)


def _triad(first_S: np.ndarray, second_S: np.ndarray) -> np.ndarray:
    """``q_E_S`` putting ``first_S`` exactly on the vertical and ``second_S`` towards AXIS_E."""

    def basis(a, b):
        t1 = a / np.linalg.norm(a)
        t2 = np.cross(t1, b)
        t2 /= np.linalg.norm(t2)
        return np.column_stack([t1, t2, np.cross(t1, t2)])

    return rot.from_matrix(basis(UP_E, AXIS_E) @ basis(first_S, second_S).T)


def _thigh(bias_deg: float, seed: int = 3):
    """True mounting, the hinge axis in sensor coordinates and a fused-orientation maker."""
    rng = np.random.default_rng(seed)
    q_S_B = rot.normalize(rng.normal(size=4))
    hinge_S = rot.rotate(q_S_B, [0.0, 0.0, 1.0])
    bias_S = GRAVITY_M_S2 * np.sin(np.deg2rad(bias_deg)) * hinge_S

    def fused(phi_rad: float) -> np.ndarray:
        q_E_S = rot.multiply(_q_E_B(phi_rad), rot.conjugate(q_S_B))
        f_S = rot.rotate(rot.conjugate(q_E_S), GRAVITY_M_S2 * UP_E) + bias_S
        return _triad(f_S, rot.rotate(rot.conjugate(q_E_S), AXIS_E))

    return q_S_B, hinge_S, fused


def _stand_calibration(q_E_S_stand: np.ndarray, hinge_S: np.ndarray) -> np.ndarray:
    """y from the stand's gravity, z the hinge axis made orthogonal to it (the usual frame)."""
    y = rot.rotate(rot.conjugate(q_E_S_stand), UP_E)
    z = hinge_S - (hinge_S @ y) * y
    z /= np.linalg.norm(z)
    return rot.from_matrix(np.column_stack([np.cross(y, z), y, z]))


def _error_deg(q_E_B_est: np.ndarray, phi_rad: float) -> float:
    return float(np.rad2deg(rot.angle_between(q_E_B_est, _q_E_B(phi_rad))))


RAISED = np.deg2rad(170.0)


def test_a_stand_calibration_doubles_the_bias_with_the_leg_raised():
    """The problem: right at the stand, twice the bias's tilt once turned 170°."""
    _, hinge_S, fused = _thigh(2.5)
    q_S_B = _stand_calibration(fused(0.0), hinge_S)
    assert _error_deg(rot.multiply(fused(0.0), q_S_B), 0.0) < 0.01
    raised = _error_deg(rot.multiply(fused(RAISED), q_S_B), RAISED)
    assert raised == pytest.approx(2 * 2.5 * np.sin(RAISED / 2), abs=0.1)


@pytest.mark.parametrize("bias_deg", [-3.0, 0.7, 2.5, 5.0])
def test_the_bias_read_from_the_hinge_removes_the_tilt_in_every_pose(bias_deg):
    _, hinge_S, fused = _thigh(bias_deg)
    q_S_B = _stand_calibration(fused(0.0), hinge_S)
    y_S = rot.rotate(q_S_B, [0.0, 1.0, 0.0])
    bias_g = axis_bias_g(y_S, -hinge_S)  # the sign of the fitted axis does not matter
    assert bias_g is not None
    sin_b = np.sin(np.deg2rad(abs(bias_deg)))  # the bias over the stand's |specific force|:
    assert np.linalg.norm(bias_g) == pytest.approx(sin_b / np.hypot(1.0, sin_b), rel=1e-9)
    fixed = reframe(q_S_B, bias_g)
    for phi in (0.0, np.deg2rad(45.0), np.deg2rad(90.0), RAISED):
        assert _error_deg(rot.multiply(untilt(fused(phi), bias_g), fixed), phi) < 0.05


def test_a_lean_past_any_accelerometer_bias_is_not_taken_for_one():
    hinge_S = np.array([0.0, 0.0, 1.0])
    limit_deg = np.rad2deg(np.arcsin(MAX_AXIS_BIAS_M_S2 / GRAVITY_M_S2))
    for deg, expected in ((limit_deg - 0.2, True), (limit_deg + 0.2, False)):
        y_S = np.array([0.0, np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg))])
        assert (axis_bias_g(y_S, hinge_S) is not None) is expected


def test_reframe_takes_z_from_the_hinge_and_keeps_y_in_its_plane():
    rng = np.random.default_rng(7)
    q_S_B = rot.normalize(rng.normal(size=4))
    m = rot.to_matrix(q_S_B)
    lean = rot.rotate(rot.from_axis_angle(m[:, 0], np.deg2rad(3.0)), m[:, 2])
    out = rot.to_matrix(reframe(q_S_B, -0.05 * lean))
    assert np.allclose(out[:, 2], lean, atol=1e-12)  # the frame's sign of z is kept
    assert abs(out[:, 1] @ out[:, 2]) < 1e-12
    assert abs(out[:, 1] @ np.cross(m[:, 1], lean)) < 1e-12  # y turned towards the axis only
    assert np.allclose(out @ out.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(out) > 0
    assert np.allclose(rot.to_matrix(reframe(q_S_B, np.zeros(3))), m)


def test_untilt_keeps_storage_type_and_missing_rows():
    _, hinge_S, fused = _thigh(2.0)
    q = np.stack([fused(0.0), np.full(4, np.nan), fused(RAISED)]).astype(np.float32)
    out = untilt(q, 0.03 * hinge_S)
    assert out.dtype == np.float32
    assert out.shape == q.shape
    assert np.isnan(out[1]).all()
    assert np.isfinite(out[[0, 2]]).all()


@pytest.fixture(scope="module")
def raised_leg_session():
    """Population person 1015 (all sensors, supine stretch): the right thigh's accelerometer
    is biased ≈ 50 mg along the knee's axis, which no still pose of the session observes."""
    from analysis.simulation.population import generate_person, generate_session

    return generate_session(generate_person(1015), 0, None, "full")


def test_a_biased_thigh_no_longer_reads_adduction_in_the_leg_raise(raised_leg_session):
    from analysis.angles.pipeline import PipelineOptions, analyse_recording

    s = raised_leg_session
    res = analyse_recording(s.recording(), options=PipelineOptions(keep_orientations=False))
    thigh = res.calibration.segments["right_thigh"]
    assert thigh.axis_source == "knee hinge"
    assert thigh.acc_axis_bias_g is not None
    assert np.rad2deg(np.arcsin(np.linalg.norm(thigh.acc_axis_bias_g))) > 2.0
    # the frame is now the true mounting's to within the gyroscope's own misalignment (2.4° before)
    assert np.rad2deg(rot.angle_between(thigh.q_S_B, s.mounting["right_thigh"])) < 1.2
    column = "right_hip_adduction_deg"
    # since round 17 the lean is doubted all the same: a shin that turns as the knee bends
    # leans the hinge alike and nothing the accelerometer sees tells the two apart
    # (analysis.angles.hinge_lean); the reading itself is the bias-free one
    assert "knee's axis leaned" in res.uncertain[column]["reason"]
    t = s.truth["t_s"].to_numpy()
    est = np.interp(t, res.angles["t_s"].to_numpy(), res.angles[column].to_numpy())
    rmse = float(np.sqrt(np.nanmean((est - s.truth[column].to_numpy()) ** 2)))
    assert rmse < 2.5  # 5.6° before; target 4°


def _lying_down(axis_S: np.ndarray, up_S: np.ndarray, *, turn_deg: float, seed: int = 5):
    """Rates of a segment tipped by ``turn_deg`` about ``axis_S`` in 2 s, then turned round."""
    rng = np.random.default_rng(seed)
    rate_hz = 50.0
    tip = np.outer(np.full(100, np.deg2rad(turn_deg) / 2.0), axis_S)
    spin = np.outer(np.full(100, 0.8), up_S)  # turning round about the vertical
    gyr = np.concatenate([tip, spin]) + rng.normal(scale=0.01, size=(200, 3))
    up = np.tile(up_S, (200, 1))
    return gyr, up, rate_hz


def test_the_gyroscope_axis_is_not_leaned_by_the_fused_vertical():
    axis = np.array([0.0, 0.0, 1.0])
    lean = np.deg2rad(3.0)  # the fused vertical leans along the axis (a biased accelerometer)
    up = np.array([0.0, np.cos(lean), np.sin(lean)])
    own = np.array([0.0, -np.sin(lean), np.cos(lean)])  # ⟂ the leaned vertical, as calibrated
    gyr, up_rows, rate_hz = _lying_down(axis, np.array([0.0, 1.0, 0.0]), turn_deg=90.0)
    a = gyro_flexion_axis(gyr, np.tile(up, (200, 1)), own, rate_hz=rate_hz)
    assert a is not None
    assert np.rad2deg(np.arccos(min(1.0, abs(a @ axis)))) < 0.2
    assert np.rad2deg(np.arcsin(a @ up)) == pytest.approx(3.0, abs=0.2)  # the lean it reveals
    assert gyro_flexion_axis(gyr, up_rows, -own, rate_hz=rate_hz) @ own < 0  # sign of own


def test_the_gyroscope_axis_needs_a_large_planar_turn_near_the_own_axis():
    axis = np.array([0.0, 0.0, 1.0])
    up = np.array([0.0, 1.0, 0.0])
    gyr, up_rows, rate_hz = _lying_down(axis, up, turn_deg=40.0)
    assert gyro_flexion_axis(gyr, up_rows, axis, rate_hz=rate_hz) is None  # turned too little
    gyr, up_rows, rate_hz = _lying_down(axis, up, turn_deg=90.0)
    far = rot.rotate(rot.from_axis_angle(up, np.deg2rad(15.0)), axis)
    assert gyro_flexion_axis(gyr, up_rows, far, rate_hz=rate_hz) is None  # a different axis
    rng = np.random.default_rng(1)
    wobbly = gyr.copy()
    wobbly[:100, 0] += rng.normal(scale=0.3, size=100)  # as much rocking across the axis
    assert gyro_flexion_axis(wobbly, up_rows, axis, rate_hz=rate_hz) is None


def test_a_lying_pelvis_reads_its_bias_against_its_own_gyroscope_axis():
    """Population person 7 (default set, supine stretch): the pelvis's frame leaned 1.4° by
    its accelerometer and its axis 3° off; hip adduction and rotation were 3.6° RMSE."""
    from analysis.angles.pipeline import PipelineOptions, analyse_recording
    from analysis.simulation.population import generate_person, generate_session

    s = generate_session(generate_person(7), 0, None, "default")
    res = analyse_recording(s.recording(), options=PipelineOptions(keep_orientations=False))
    pelvis = res.calibration.segments["pelvis"]
    assert pelvis.acc_axis_bias_g is not None
    assert np.rad2deg(rot.angle_between(pelvis.q_S_B, s.mounting["pelvis"])) < 1.5  # 3.3° before
    t = s.truth["t_s"].to_numpy()
    for column in ("right_hip_adduction_deg", "right_hip_internal_rotation_deg"):
        assert column not in res.uncertain
        est = np.interp(t, res.angles["t_s"].to_numpy(), res.angles[column].to_numpy())
        assert np.sqrt(np.nanmean((est - s.truth[column].to_numpy()) ** 2)) < 2.0


def _tipped_rows(tip_deg: float, n_tipped: int, n: int = 200) -> np.ndarray:
    """The vertical in a sensor whose superior axis is +y: upright, then tipped about z."""
    up = np.tile([0.0, 1.0, 0.0], (n, 1))
    t = np.deg2rad(tip_deg)
    up[:n_tipped] = [np.sin(t), np.cos(t), 0.0]
    return up


def test_only_lying_far_from_the_stand_counts_as_tipped_far():
    y = np.array([0.0, 1.0, 0.0])
    assert tipped_far(_tipped_rows(90.0, 50), y, rate_hz=25.0)  # 2 s lying down
    assert not tipped_far(_tipped_rows(25.0, 150), y, rate_hz=25.0)  # a long lean: 25°
    assert not tipped_far(_tipped_rows(90.0, 10), y, rate_hz=25.0)  # 0.4 s: a glitch
    rows = _tipped_rows(90.0, 50)
    rows[:50] = np.nan  # unknown orientation is no tip
    assert not tipped_far(rows, y, rate_hz=25.0)


def test_the_halfway_axis_splits_the_heading_and_keeps_the_gyroscope_lean():
    y = np.array([0.0, 1.0, 0.0])
    own = np.array([0.0, 0.0, 1.0])
    # the gyroscope's axis: 8° away in the plane ⟂ y, leaning 2° out of it (a bias)
    turned = rot.rotate(rot.from_axis_angle(y, np.deg2rad(8.0)), own)
    lean = np.deg2rad(2.0)
    gyro = np.cos(lean) * turned + np.sin(lean) * y
    z = halfway_axis(own, gyro, y)
    assert np.linalg.norm(z) == pytest.approx(1.0)
    assert np.rad2deg(np.arcsin(z @ y)) == pytest.approx(2.0, abs=1e-6)
    flat = (z - (z @ y) * y) / np.linalg.norm(z - (z @ y) * y)
    assert np.rad2deg(np.arccos(flat @ own)) == pytest.approx(4.0, abs=1e-6)
    assert np.rad2deg(np.arccos(flat @ turned)) == pytest.approx(4.0, abs=1e-6)
    assert halfway_axis(own, own, y) == pytest.approx(own)


@pytest.mark.slow
@pytest.mark.parametrize(("person", "within_deg"), [(32, 5.0), (86, 3.0)])
def test_a_hitched_lean_no_longer_replaces_the_pelvis_axis(person, within_deg):
    """Population people 32 and 86 (default set, 10 min, standing): a hip hitched with each
    lean into the stretch turned the pelvis about an axis 9–10° off its flexion axis, planar
    and within 10° of the calibration's (0.8° and 1.1° off), which it replaced: 8.8° and 9.4°
    off, trusted. 32's are now split half-way; 86's leans were the rival the hip centre had
    set aside, and are not used."""
    from analysis.angles.pipeline import PipelineOptions, analyse_recording
    from analysis.simulation.population import generate_person, generate_session

    s = generate_session(generate_person(person), 0, 600.0, "default")
    res = analyse_recording(s.recording(), options=PipelineOptions(keep_orientations=False))
    pelvis = res.calibration.segments["pelvis"]
    z = rot.rotate(pelvis.q_S_B, [0.0, 0.0, 1.0])
    z_true = rot.rotate(s.mounting["pelvis"], [0.0, 0.0, 1.0])
    assert pelvis.trusted
    assert np.rad2deg(np.arccos(min(1.0, abs(float(z @ z_true))))) < within_deg
