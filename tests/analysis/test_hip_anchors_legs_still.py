"""The hips' stand anchors need only the pelvis and the legs still (stranger round 2, seed 950)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.heading import turn_about_vertical
from analysis.angles.pipeline import NEUTRAL_STILL_RAD_S, _all_still, segment_orientations

RATE_HZ = 50.0
Q_E_G = rot.conjugate(Q_G_E)


def _standing_with_a_drifting_thigh(calibration_of):
    """30 s standing upright; the thigh sensor's heading drifts 10° against the pelvis's."""
    n = round(30.0 * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    upright = np.tile(Q_E_G, (n, 1))
    mount_p = rot.normalize(np.array([0.3, 0.8, -0.2, 0.4]))
    mount_t = rot.normalize(np.array([0.6, -0.1, 0.5, 0.3]))
    drift = np.deg2rad(10.0) * t / t[-1]
    q_E_S = {
        "pelvis": rot.multiply(upright, rot.conjugate(mount_p)),
        "right_thigh": turn_about_vertical(rot.multiply(upright, rot.conjugate(mount_t)), drift),
    }
    cal = calibration_of(
        {"pelvis": {"q_S_B": mount_p}, "right_thigh": {"q_S_B": mount_t}},
        static_s=(0.5, 2.5),
        functional_s=(3.0, 4.0),
    )
    return t, q_E_S, cal


@pytest.mark.parametrize("legs_still_too", [False, True])
def test_a_fidgeting_head_takes_no_stand_anchor_from_the_hips(legs_still_too, calibration_of):
    # standing still at 0–3 s and 25–30 s; in the second stand the head (not among q_E_S: it
    # moves no hip) fidgets, so not every sensor is still — the pelvis and legs are
    t, q_E_S, cal = _standing_with_a_drifting_thigh(calibration_of)
    still = (t < 3.0) | (t >= 25.0)
    every = still & (t < 25.0)  # the head moving in the second stand
    valid = {p: np.ones(t.size, dtype=bool) for p in q_E_S}
    q = segment_orientations(
        t,
        q_E_S,
        cal,
        rate_hz=RATE_HZ,
        valid=valid,
        still=every,
        legs_still=still if legs_still_too else None,
        posture=False,
    )
    ang = rot.joint_angles_rad(q["pelvis"], q["right_thigh"], joint="hip", side="right")
    rotation = np.abs(np.rad2deg(ang["internal_rotation"]))
    mid = np.argmin(np.abs(t - 27.5))  # the second stand's middle: 9.2° of drift
    if legs_still_too:
        assert rotation[mid] < 0.1  # anchored at the second stand
        assert rotation[t >= 25.0].max() < 0.9  # ± half the drift within it
    else:
        assert rotation[mid] > 8.5  # only the first stand: the drift stays


def test_all_still_gives_every_sensor_and_the_legs_alone():
    n = 200
    gyr = np.zeros((n, 3))
    moving = gyr.copy()
    moving[50:150, 2] = 3.0 * NEUTRAL_STILL_RAD_S
    streams = {p: SimpleNamespace(gyr_rad_s=gyr) for p in ("pelvis", "left_thigh", "left_shank")}
    streams["head"] = SimpleNamespace(gyr_rad_s=moving)
    session = SimpleNamespace(t_s=np.arange(n) / RATE_HZ, rate_hz=RATE_HZ, streams=streams)
    bias = {p: np.zeros(3) for p in streams}
    every, legs = _all_still(session, bias)
    assert legs.all()
    assert not every[50:150].any()
    assert every[:50].all()
    assert every[150:].all()
    streams["left_shank"] = SimpleNamespace(gyr_rad_s=moving)
    every, legs = _all_still(session, bias)
    assert not legs[50:150].any()
    assert legs[:50].all()
