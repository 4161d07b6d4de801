"""The hip's zero re-taken lying flat or sitting: anchors, the thigh's twist, the pipeline step."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.heading import (
    DOUBTED_MAX_TWIST_DEG,
    MAX_TWIST_DEG,
    hip_twist_rad,
    posture_anchor_mask,
    turn_about_vertical,
    untwist,
)
from analysis.angles.pipeline import segment_orientations
from tests.analysis.builders import POSTURE_RATE_HZ as RATE_HZ
from tests.analysis.builders import lying_and_raising, posture_pose, posture_rows

Q_E_G = rot.conjugate(Q_G_E)
_Z = [0.0, 0.0, 1.0]


def test_anchors_are_lying_flat_or_sitting_still_long_enough():
    parts = [
        (3.0, 0.0, 0.0, 0.0),  # standing: the stand's own anchors, not these
        (4.0, -90.0, 0.0, 0.0),  # lying flat
        (3.0, -90.0, 70.0, 0.0),  # lying, the leg raised in the stretch
        (3.0, 0.0, 90.0, 0.0, 90.0),  # sitting
        (1.0, 0.0, 0.0, 0.0),
        (1.0, -90.0, 0.0, 0.0),  # lying, too short
        (3.0, 0.0, 85.0, 0.0, 10.0),  # standing, the leg raised onto a support
    ]
    pelvis, thigh, shank = posture_rows(parts)
    still = np.ones(pelvis.shape[0], dtype=bool)
    still[1200:1250] = False  # moving for 0.5 s while sitting: 2.0 s and 0.5 s remain
    mask = posture_anchor_mask(
        pelvis, thigh, still, rate_hz=RATE_HZ, q_E_shank=shank, min_run_s=1.2
    )
    expect = np.zeros(pelvis.shape[0], dtype=bool)
    expect[300:700] = True
    expect[1000:1200] = True
    assert np.array_equal(mask, expect)
    # without a shank a chair cannot be told from a support: lying only
    expect[1000:1200] = False
    assert np.array_equal(posture_anchor_mask(pelvis, thigh, still, rate_hz=RATE_HZ), expect)


def test_anchors_need_the_headings_reconciled():
    # lying flat but the thigh's earth frame turned 180° away: not a neutral hip
    pelvis, thigh = posture_pose(-90.0, 0.0, n=400)
    still = np.ones(400, dtype=bool)
    assert posture_anchor_mask(pelvis, thigh, still, rate_hz=RATE_HZ).all()
    away = turn_about_vertical(thigh, np.pi)
    assert not posture_anchor_mask(pelvis, away, still, rate_hz=RATE_HZ).any()


@pytest.mark.parametrize(("tilt", "hip"), [(-90.0, 0.0), (-88.0, 4.0), (0.0, 90.0), (-10.0, 95.0)])
@pytest.mark.parametrize("twist_deg", [-7.0, 2.5, 10.0])
def test_the_twist_is_the_hip_rotation_read_at_the_anchors(tilt, hip, twist_deg):
    pelvis, thigh = posture_pose(tilt, hip, twist_deg, n=300)
    anchors = np.ones(300, dtype=bool)
    # a doubted thigh's bound, so that every twist here counts as a calibration error
    tau = hip_twist_rad(pelvis, thigh, anchors, max_twist_deg=DOUBTED_MAX_TWIST_DEG)
    assert np.rad2deg(tau) == pytest.approx(twist_deg, abs=1e-6)
    fixed = untwist(thigh, tau)
    ang = rot.joint_angles_rad(pelvis, fixed, joint="hip", side="right")
    assert np.allclose(ang["internal_rotation"], 0.0, atol=1e-9)
    assert np.allclose(np.rad2deg(ang["flexion"]), hip, atol=1e-6)


def test_a_turned_out_posture_or_disagreeing_periods_are_left_alone():
    anchors = np.ones(600, dtype=bool)
    # legs turned 20°: a posture, not an error
    pelvis, thigh = posture_pose(-90.0, 0.0, 20.0, n=600)
    assert hip_twist_rad(pelvis, thigh, anchors) == 0.0
    p1, t1 = posture_pose(-90.0, 0.0, 2.0, n=300)
    p2, t2 = posture_pose(0.0, 90.0, 9.0, n=300)
    pelvis, thigh = np.concatenate([p1, p2]), np.concatenate([t1, t2])
    split = anchors.copy()
    split[300] = False  # two periods, 2° and 9°: they disagree
    assert hip_twist_rad(pelvis, thigh, split) == 0.0
    p2, t2 = posture_pose(0.0, 90.0, 3.0, n=300)  # 2° and 3°: one mean, weighted by length
    pelvis, thigh = np.concatenate([p1, p2]), np.concatenate([t1, t2])
    assert np.rad2deg(hip_twist_rad(pelvis, thigh, split)) == pytest.approx(2.5, abs=0.01)
    assert hip_twist_rad(pelvis, thigh, np.zeros(600, dtype=bool)) == 0.0


@pytest.mark.parametrize(("tilt", "hip"), [(-90.0, 0.0), (0.0, 90.0)])
@pytest.mark.parametrize("twist_deg", [-8.0, 6.0, 10.0])
def test_more_twist_than_the_calibration_can_get_wrong_is_a_posture(tilt, hip, twist_deg):
    # legs relaxed on the floor turn out 8–15°, knees apart sitting: left as they read
    pelvis, thigh = posture_pose(tilt, hip, twist_deg, n=300)
    anchors = np.ones(300, dtype=bool)
    assert abs(twist_deg) > MAX_TWIST_DEG
    assert hip_twist_rad(pelvis, thigh, anchors) == 0.0
    small = np.copysign(MAX_TWIST_DEG - 0.5, twist_deg)
    pelvis, thigh = posture_pose(tilt, hip, small, n=300)
    assert np.rad2deg(hip_twist_rad(pelvis, thigh, anchors)) == pytest.approx(small, abs=1e-6)


def test_untwist_keeps_float32_rows():
    _, thigh = posture_pose(0.0, 30.0, 5.0, n=10)
    out = untwist(thigh.astype(np.float32), np.deg2rad(5.0))
    assert out.dtype == np.float32
    ang = rot.joint_angles_rad(
        posture_pose(0.0, 30.0, n=10)[0], out.astype(np.float64), joint="hip", side="right"
    )
    assert np.allclose(ang["internal_rotation"], 0.0, atol=1e-6)


@pytest.mark.parametrize("posture", [False, True])
def test_lying_down_no_longer_shows_the_thighs_axis_error_as_hip_rotation(posture, calibration_of):
    # stand 3 s, lie down, lie flat 10 s, raise the leg 70° for 10 s, lie flat 5 s; sensors
    # strapped at random, each earth frame with its own heading; the calibration found the
    # thigh's flexion axis 4° off about its long axis (within MAX_TWIST_DEG)
    t, q_E_S, cal, steps = lying_and_raising(calibration_of, 4.0)
    q = segment_orientations(t, q_E_S, cal, posture=posture, **steps)
    ang = rot.joint_angles_rad(q["pelvis"], q["right_thigh"], joint="hip", side="right")
    rotation, adduction = np.rad2deg(ang["internal_rotation"]), np.rad2deg(ang["adduction"])
    standing, lying = t < 3.0, t >= 5.0
    assert np.abs(rotation[standing]).max() < 0.01  # the stand hides the error either way
    if posture:
        assert np.abs(rotation[lying]).max() < 0.05
        assert np.abs(adduction[lying]).max() < 0.05
    else:
        flat = lying & ((t < 15.0) | (t >= 25.0))
        assert np.abs(rotation[flat] - 4.0).max() < 0.01  # the thigh's axis error, as rotation


@pytest.mark.parametrize("drift_deg", [-60.0, -25.0, 25.0, 60.0])
def test_a_heading_drift_lying_flat_does_not_hide_the_anchor(drift_deg):
    # the stranger's round 2, seed 603: lying, the thigh's heading drifted against the
    # pelvis's; the angle between their superior axes counted the drift as hip flexion, so
    # past 20° no anchor came again and hip adduction ran to +72°. The hip's flexion is read
    # from the two inclinations; only frames not reconciled at all (180°) are refused
    pelvis, thigh = posture_pose(-90.0, 0.0, n=400)
    still = np.ones(400, dtype=bool)
    drifted = turn_about_vertical(thigh, np.deg2rad(drift_deg))
    assert posture_anchor_mask(pelvis, drifted, still, rate_hz=RATE_HZ).all()


def test_lying_on_the_side_with_the_hips_bent_is_no_anchor():
    # on the side, the thigh's heading against the pelvis is hip flexion, not a drift
    side = rot.multiply(Q_E_G, rot.from_axis_angle([1.0, 0.0, 0.0], np.deg2rad(90.0)))
    for hip in (0.0, 30.0, 90.0):
        thigh = rot.multiply(side, rot.from_axis_angle(_Z, np.deg2rad(hip)))
        pelvis_rows, thigh_rows = np.tile(side, (400, 1)), np.tile(thigh, (400, 1))
        still = np.ones(400, dtype=bool)
        assert not posture_anchor_mask(pelvis_rows, thigh_rows, still, rate_hz=RATE_HZ).any()
    # on the back, the leg raised 30° (an inclination apart, whatever the headings): none
    pelvis, raised = posture_pose(-90.0, 30.0, n=400)
    assert not posture_anchor_mask(pelvis, raised, np.ones(400, bool), rate_hz=RATE_HZ).any()
