"""An ankle past 45° with its foot flat is a deep knee bend, not a calibration misfit.

Held-out person 11005's calibration knee bends (knee 100°, heels down) tipped the shanks 53°
forward; the ankles read it to 0.2°, and the 2 s past the 45° bound doubted both legs and,
two joints at once, the whole calibration. With the foot flat as in the stand its
calibration cannot move the reading, so those samples are not counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.angles import rotations as rot
from analysis.angles.plausibility import (
    FLAT_FOOT_DEG,
    doubted_segments,
    flat_foot_mask,
    implausible_joints,
)

RATE_HZ = 100.0


def _ankle_session(peak_deg: float, seconds_past: float) -> pd.DataFrame:
    """20 s of a right ankle at 10°, ``seconds_past`` of it at ``peak_deg``."""
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    ankle = np.where((t >= 5.0) & (t < 5.0 + seconds_past), peak_deg, 10.0)
    return pd.DataFrame({"t_s": t, "right_ankle_dorsiflexion_deg": ankle})


def test_an_ankle_past_its_range_with_the_foot_lifted_is_still_implausible():
    angles = _ankle_session(53.0, 3.0)
    lifted = np.zeros(len(angles), dtype=bool)
    found = implausible_joints(angles, rate_hz=RATE_HZ, foot_flat={"right_foot": lifted})
    assert "right_ankle_dorsiflexion_deg" in found
    assert "right_ankle_dorsiflexion_deg" in implausible_joints(angles, rate_hz=RATE_HZ)


def test_an_ankle_past_its_range_with_the_foot_flat_says_nothing_about_the_calibration():
    angles = _ankle_session(53.0, 3.0)
    flat = np.ones(len(angles), dtype=bool)
    assert implausible_joints(angles, rate_hz=RATE_HZ, foot_flat={"right_foot": flat}) == {}
    # only the flat samples are excused: 3 s past the bound with the foot up half of it
    half = flat.copy()
    half[500:600] = False  # 1 s lifted: below the 2 s that count
    assert implausible_joints(angles, rate_hz=RATE_HZ, foot_flat={"right_foot": half}) == {}
    half[500:750] = False  # 2.5 s lifted
    assert "right_ankle_dorsiflexion_deg" in implausible_joints(
        angles, rate_hz=RATE_HZ, foot_flat={"right_foot": half}
    )


def test_a_flat_foot_does_not_excuse_other_joints():
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    angles = pd.DataFrame({"t_s": t, "right_knee_flexion_deg": np.full(t.size, -40.0)})
    flat = np.ones(t.size, dtype=bool)
    found = implausible_joints(angles, rate_hz=RATE_HZ, foot_flat={"right_foot": flat})
    assert "right_knee_flexion_deg" in found


def test_two_deep_squatting_ankles_no_longer_doubt_the_whole_calibration():
    angles = _ankle_session(53.0, 3.0)
    angles["left_ankle_dorsiflexion_deg"] = angles["right_ankle_dorsiflexion_deg"]
    worn = ("pelvis", "left_shank", "left_foot", "right_shank", "right_foot")
    plain = doubted_segments(implausible_joints(angles, rate_hz=RATE_HZ), worn)
    assert set(plain) == set(worn)  # the cause: two joints at once doubt every segment
    flat = np.ones(len(angles), dtype=bool)
    feet = {"left_foot": flat, "right_foot": flat}
    assert doubted_segments(implausible_joints(angles, rate_hz=RATE_HZ, foot_flat=feet), worn) == {}


def test_flat_foot_mask_reads_the_tilt_of_the_superior_axis():
    tilts = np.array([0.0, FLAT_FOOT_DEG - 0.5, FLAT_FOOT_DEG + 0.5, 30.0, 90.0])
    # upright (segment y on earth z), tipped about earth x, then turned about the vertical
    upright = rot.from_axis_angle([1.0, 0.0, 0.0], np.deg2rad(90.0))
    tip = rot.from_axis_angle(np.array([[1.0, 0.0, 0.0]]), np.deg2rad(tilts))
    heading = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(70.0))
    q = rot.multiply(heading, rot.multiply(tip, upright))
    assert np.allclose(rot.rotate(upright, [0.0, 1.0, 0.0]), [0.0, 0.0, 1.0])
    assert flat_foot_mask(q).tolist() == [True, True, False, False, False]
    assert not flat_foot_mask(np.full((2, 4), np.nan)).any()


def test_a_joint_read_after_its_sensor_turned_on_its_strap_is_not_held_against_the_calibration():
    """The stranger's round-5 seed 2149: the right thigh re-strapped 85° read the hip's
    adduction at +57° from then on; the turn explains it, the calibration is not doubted."""
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    angles = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_adduction_deg": np.where(t >= 10.0, 57.0, 1.0),
            "right_ankle_dorsiflexion_deg": np.where(t >= 10.0, 50.0, 1.0),
        }
    )
    assert set(implausible_joints(angles, rate_hz=RATE_HZ)) == {
        "right_hip_adduction_deg",
        "right_ankle_dorsiflexion_deg",
    }
    turned = implausible_joints(angles, rate_hz=RATE_HZ, turned_since_s={"right_thigh": 8.0})
    assert set(turned) == {"right_ankle_dorsiflexion_deg"}  # not a joint of the thigh
    # beyond range before the turn: still the calibration's
    late = implausible_joints(angles, rate_hz=RATE_HZ, turned_since_s={"right_thigh": 15.0})
    assert "right_hip_adduction_deg" in late
