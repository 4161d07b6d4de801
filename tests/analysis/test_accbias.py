"""Accelerometer bias from still poses (norm constraint)."""

from __future__ import annotations

import numpy as np

from analysis.angles import rotations as rot
from analysis.angles.accbias import (
    MAX_ACC_BIAS_M_S2,
    AccCorrection,
    cluster_poses,
    estimate_acc_bias,
    estimate_acc_correction,
    pose_labels,
    still_pose_means,
)
from analysis.recording.schema import GRAVITY_M_S2


def _poses(rng, directions, bias, *, per_pose=1, noise=0.01, wobble_deg=0.3):
    """Still-window means: gravity along each direction (sensor frame) plus bias and noise."""
    out = []
    for d in directions:
        d = np.asarray(d, float) / np.linalg.norm(d)
        for _ in range(per_pose):
            tilt = rot.from_axis_angle(rng.normal(size=3), np.deg2rad(wobble_deg) * rng.normal())
            out.append(GRAVITY_M_S2 * rot.rotate(tilt, d) + bias + rng.normal(0, noise, 3))
    return np.array(out)


def test_recovers_the_bias_from_varied_poses(rng):
    bias = np.array([0.12, -0.08, 0.05])
    dirs = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0.6, 0.6, 0.5]]
    est = estimate_acc_bias(_poses(rng, dirs, bias, per_pose=20))
    assert est.poses == 5
    assert np.linalg.norm(est.bias_m_s2 - bias) < 0.02


def test_two_poses_with_many_windows_stay_bounded(rng):
    """Regression: 1600 windows in two poses once drove the fit to a 3 m/s² 'bias'.

    Inside each pose the windows fan out by ±2° and their magnitude drifts with the fan angle
    (posture-related acceleration, bias drift). Counted as 1600 independent equations, that
    trend was fitted through the one direction the two verticals do not observe.
    """
    bias = np.array([-0.17, -0.07, -0.03])
    m = []
    for d, axis, n in (([0.0, 1.0, 0.0], [0, 0, 1], 400), ([1.0, 0.1, 0.0], [0, 1, 0], 1200)):
        d = np.asarray(d) / np.linalg.norm(d)
        for a in rng.uniform(-1.0, 1.0, n):
            turned = rot.rotate(rot.from_axis_angle(axis, np.deg2rad(2.0) * a), d)
            m.append(turned * (GRAVITY_M_S2 + 0.03 * a) + bias + rng.normal(0, 0.01, 3))
    est = estimate_acc_bias(np.array(m))
    assert est.poses == 2
    assert np.linalg.norm(est.bias_m_s2) < 0.3
    # the components along both verticals are observed and must be right
    for d in ([0.0, 1.0, 0.0], [1.0, 0.1, 0.0]):
        u = np.asarray(d) / np.linalg.norm(d)
        assert abs((est.bias_m_s2 - bias) @ u) < 0.03
    # the unobserved direction (normal to both verticals) stays at the prior
    assert abs(est.bias_m_s2[2]) < 0.05


def test_one_pose_gives_no_estimate(rng):
    est = estimate_acc_bias(_poses(rng, [[0, 0, 1]], np.array([0.1, 0.1, 0.1]), per_pose=50))
    assert np.all(est.bias_m_s2 == 0)


def test_implausible_fit_is_refused(rng):
    # windows that are not really still (0.8 m/s² of motion in one pose) must not become a bias
    m = _poses(rng, [[0, 0, 1], [1, 0, 0], [0, 1, 0]], np.zeros(3), per_pose=5)
    m[:5] *= 1.2
    assert np.all(estimate_acc_bias(m).bias_m_s2 == 0)


def test_clustering_and_still_windows(rng):
    m = _poses(rng, [[0, 0, 1], [1, 0, 0]], np.zeros(3), per_pose=30, wobble_deg=2.0)
    assert cluster_poses(m).shape == (2, 3)
    acc = np.tile([0.0, 0.0, GRAVITY_M_S2], (1000, 1))
    gyr = np.zeros((1000, 3))
    gyr[500:700] = 1.0  # a movement: those windows are not still
    means = still_pose_means(acc, gyr, rate_hz=100.0)
    assert means.shape == (8, 3)


# --- bias and gain (scale, cross-axis sensitivity) ------------------------------------------


def _read(directions, gain_error, bias, *, turn=None):
    """Still-pose means of a sensor whose readings are ``(I + gain_error)·f + bias``.

    ``turn`` (a quaternion) turns every gravity direction, so that the poses are not aligned
    with the sensor's axes (as on a randomly strapped sensor).
    """
    out = []
    for d in directions:
        u = np.asarray(d, float) / np.linalg.norm(d)
        if turn is not None:
            u = rot.rotate(turn, u)
        out.append((np.eye(3) + gain_error) @ (GRAVITY_M_S2 * u) + bias)
    return np.array(out)


def _tilt_deg(measured, true_dir):
    """Angle between a measured specific force and the true gravity direction (degrees)."""
    m = measured / np.linalg.norm(measured)
    t = np.asarray(true_dir, float) / np.linalg.norm(true_dir)
    return float(np.rad2deg(np.arccos(np.clip(m @ t, -1.0, 1.0))))


def _relative_tilt_deg(corrected, directions, turn):
    """Largest tilt error of any pose once the first pose's error is calibrated away.

    The quiet stand absorbs the accelerometer's error in the standing pose into the
    sensor-to-segment rotation; what is left in another pose is the difference of the two
    direction errors (small rotations, so rotation vectors subtract).
    """
    truth = [rot.rotate(turn, np.asarray(d, float) / np.linalg.norm(d)) for d in directions]
    errs = []
    for m, t in zip(corrected, truth, strict=True):
        m = m / np.linalg.norm(m)
        errs.append(np.cross(t, m))
    return max(float(np.rad2deg(np.linalg.norm(e - errs[0]))) for e in errs)


# a thigh through a session: stand, bends, lying flat, raised, sitting, turned out
_MANY_POSES = [
    [0, 1, 0],
    [0.5, 0.87, 0],
    [1, 0, 0],
    [0.7, -0.7, 0],
    [-0.26, -0.97, 0],
    [0.3, 0.2, 0.93],
    [-0.6, 0.1, -0.79],
]
_CROSS_AXIS = np.array([[0.008, -0.009, 0.006], [-0.009, -0.006, 0.007], [0.006, 0.007, 0.004]])


def test_gain_and_bias_are_recovered_from_many_poses(rng):
    """Fifteen distinct still poses observe all nine terms: every pose's gravity direction
    comes out right (to 0.3°, the prior still pulls a little), where the bias alone leaves
    the cross-axis error's tilt in every pose."""
    turn = rot.from_axis_angle([0.3, -0.5, 0.8], np.deg2rad(50.0))
    bias = np.array([0.11, -0.07, 0.05])
    poses = _MANY_POSES + [list(d) for d in rng.normal(size=(8, 3))]
    means = _read(poses, _CROSS_AXIS, bias, turn=turn)
    est = estimate_acc_correction(means)
    assert est.poses == len(poses)
    assert np.allclose(est.gain, est.gain.T)
    assert np.abs(est.gain - np.eye(3) + _CROSS_AXIS).max() < 0.004
    assert np.linalg.norm(est.bias_m_s2 - bias) < 0.03
    bias_only = means - estimate_acc_bias(means).bias_m_s2
    assert _relative_tilt_deg(bias_only, poses, turn) > 0.6
    assert _relative_tilt_deg(est.apply(means), poses, turn) < 0.3


def test_a_sessions_poses_halve_the_tilt_left_by_the_bias_alone():
    """Seven poses (fewer than the nine terms): not all is observed, but the tilt error left
    in the poses away from the stand is well under the bias-only fit's."""
    turn = rot.from_axis_angle([0.3, -0.5, 0.8], np.deg2rad(50.0))
    means = _read(_MANY_POSES, _CROSS_AXIS, np.array([0.11, -0.07, 0.05]), turn=turn)
    bias_only = means - estimate_acc_bias(means).bias_m_s2
    corrected = estimate_acc_correction(means).apply(means)
    assert _relative_tilt_deg(bias_only, _MANY_POSES, turn) > 1.2
    assert _relative_tilt_deg(corrected, _MANY_POSES, turn) < 0.6 * _relative_tilt_deg(
        bias_only, _MANY_POSES, turn
    )


def test_over_many_sensors_the_gain_fit_leaves_less_tilt(rng):
    """Sensors with datasheet-sized errors (bias σ ≈ 13 mg, scale ±1 %, cross-axis ±0.7°)
    resting in a leg's three poses of a supine session (standing, lying flat, raised): the
    bias-only fit turns scale errors into a bias and leaves more tilt than the gain fit."""
    poses = [[0, 1, 0], [1, 0, 0], [-0.26, -0.97, 0]]
    left = {"bias": [], "gain": []}
    for _ in range(200):
        turn = rot.normalize(rng.normal(size=4))
        off = np.deg2rad(rng.uniform(-0.7, 0.7, (3, 3)))
        np.fill_diagonal(off, 0.0)
        error = np.diag(rng.uniform(-0.01, 0.01, 3)) + (off + off.T) / 2
        means = _read(poses, error, rng.normal(0.0, 0.13, 3), turn=turn)
        means += rng.normal(0.0, 0.005, means.shape)
        bias_only = means - estimate_acc_bias(means).bias_m_s2
        left["bias"].append(_relative_tilt_deg(bias_only, poses, turn))
        left["gain"].append(
            _relative_tilt_deg(estimate_acc_correction(means).apply(means), poses, turn)
        )
    assert np.mean(left["gain"]) < 0.8 * np.mean(left["bias"])
    assert np.percentile(left["gain"], 95) < 0.8 * np.percentile(left["bias"], 95)


def test_two_poses_leave_the_gain_at_its_prior():
    """Two verticals cannot tell a cross-axis term from a bias: the gain stays near I."""
    turn = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(20.0))
    means = _read([[0, 1, 0], [1, 0, 0]], _CROSS_AXIS, np.array([0.05, -0.1, 0.02]), turn=turn)
    est = estimate_acc_correction(means)
    assert est.poses == 2
    assert np.max(np.abs(est.gain - np.eye(3))) < 0.004
    assert np.allclose(est.gain, est.gain.T)


def test_implausible_gain_is_refused(rng):
    # a pose 5 % too strong in every direction is motion, not a consumer-IMU gain error
    m = _poses(rng, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0.6, 0.6, 0.5]], np.zeros(3), per_pose=3)
    m[:3] *= 1.25
    est = estimate_acc_correction(m)
    assert np.all(est.bias_m_s2 == 0)
    assert np.all(est.gain == np.eye(3))


def test_correction_keeps_the_storage_type():
    c = AccCorrection(np.array([0.1, 0.0, 0.0]), np.diag([1.01, 1.0, 0.99]), 3, 90.0)
    a = np.tile(np.array([1.0, 2.0, 9.0], dtype=np.float32), (4, 1))
    out = c.apply(a)
    assert out.dtype == np.float32
    assert np.allclose(out[0], [0.909, 2.0, 8.91], atol=1e-5)


def test_a_large_bias_within_consumer_specifications_is_kept():
    """70 mg on one axis is within consumer parts' tolerance (up to ±80 mg): a shank resting
    in three poses (all in its y-z plane) must get back what they observe rather than have
    the fit refused."""
    bias = np.array([-0.16, -0.12, -0.69])
    poses = [[0, 1, 0], [0, 0, -1], [0, -0.84, -0.54]]
    est = estimate_acc_correction(_read(poses, np.zeros((3, 3)), bias))
    assert np.linalg.norm(est.bias_m_s2[1:] - bias[1:]) < 0.1


def _labels_row_by_row(u, cos_radius):
    """The greedy clustering one row at a time (the definition pose_labels must match)."""
    label = np.full(u.shape[0], -1)
    centres = []
    for i in range(u.shape[0]):
        for c, centre in enumerate(centres):
            if u[i] @ centre > cos_radius:
                label[i] = c
                break
        else:
            centres.append(u[i])
            label[i] = len(centres) - 1
    return label


def test_pose_labels_equal_the_row_by_row_clustering(rng):
    cos_r = np.cos(np.deg2rad(8.0))
    dirs = rng.normal(size=(6, 3))
    m = _poses(rng, dirs, np.zeros(3), per_pose=40, wobble_deg=5.0)
    m = m[rng.permutation(m.shape[0])]
    # rows exactly on the radius of the first row, and NaN rows, at random places
    u0 = m[0] / np.linalg.norm(m[0])
    side = np.cross(u0, [0.3, 0.5, 0.8])
    side /= np.linalg.norm(side)
    edge = [rot.rotate(rot.from_axis_angle(side, np.deg2rad(8.0) + e), u0) for e in (0, 1e-15)]
    m = np.insert(m, [5, 77, 150], np.vstack([edge, [[np.nan, 0.0, 1.0]]]), axis=0)
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    want = _labels_row_by_row(u, cos_r)
    got = pose_labels(u, cos_radius=cos_r)
    np.testing.assert_array_equal(got, want)
    assert want.max() >= 6  # several poses, split where the wobble crosses the radius
    expected = np.stack([m[want == c].mean(axis=0) for c in range(want.max() + 1)])
    np.testing.assert_array_equal(cluster_poses(m), expected)


def test_pose_labels_join_the_first_pose_in_reach():
    # row 2 is within reach of both centres (rows 0 and 1): it joins pose 0, the first made
    u = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5), 0.0]])
    np.testing.assert_array_equal(pose_labels(u, cos_radius=0.5), [0, 1, 0])
    np.testing.assert_array_equal(pose_labels(u[[1, 0, 2]], cos_radius=0.5), [0, 1, 0])
    np.testing.assert_array_equal(pose_labels(u, cos_radius=0.9), [0, 1, 2])


def test_a_large_commodity_offset_is_still_corrected(rng):
    """A 145-mg offset (3 σ of a commodity part's 40 mg on one axis) seen from well-spread
    poses is found, not refused as implausible; a fit past the limit still is refused."""
    bias = np.array([-0.376, 1.199, 0.663])
    dirs = [[0, 1, 0], [1, 0, 0], [-0.26, -0.97, 0], [0.3, 0.2, 0.93]]
    est = estimate_acc_correction(_poses(rng, dirs, bias, per_pose=5))
    assert np.linalg.norm(est.bias_m_s2 - bias) < 0.1 * np.linalg.norm(bias)
    assert np.linalg.norm(bias) < MAX_ACC_BIAS_M_S2
    too_far = 1.1 * MAX_ACC_BIAS_M_S2 * bias / np.linalg.norm(bias)
    assert np.all(estimate_acc_correction(_poses(rng, dirs, too_far, per_pose=5)).bias_m_s2 == 0)
