"""A strap slip's doubt joins an angle's other doubts and takes it out of the other readings."""

from __future__ import annotations

import numpy as np

from analysis.angles import pipeline
from analysis.recording.doubts import UncertainAngle

HIP_ADD = "right_hip_adduction_deg"
KNEE = "right_knee_flexion_deg"
SLIP = UncertainAngle(reason="the right thigh sensor seems to have turned", redo="fasten it")


def test_an_angle_doubted_already_keeps_its_reason_and_redo_with_the_slips_added():
    pelvis = {"reason": "the pelvis's flexion axis is not established", "redo": "bow twice"}
    out = pipeline._with_slips({HIP_ADD: pelvis}, {HIP_ADD: SLIP, KNEE: SLIP})
    assert out[HIP_ADD]["reason"] == f"{pelvis['reason']}; {SLIP['reason']}"
    assert out[HIP_ADD]["redo"] == f"{pelvis['redo']}; {SLIP['redo']}"
    assert out[KNEE] == SLIP
    # joined once only
    again = pipeline._with_slips(out, {HIP_ADD: SLIP})
    assert again[HIP_ADD]["reason"] == out[HIP_ADD]["reason"]


def test_no_other_reading_keeps_a_slipped_angle():
    x = np.zeros(3)
    readings = {"pelvis": ("the pelvis's two axes", ({HIP_ADD: x, KNEE: x}, {HIP_ADD: x + 1.0}))}
    out = pipeline._slips_unread(readings, {HIP_ADD: SLIP})
    words, group = out["pelvis"]
    assert words == "the pelvis's two axes"
    assert all(HIP_ADD not in r for r in group)
    assert KNEE in group[0]
    assert pipeline._slips_unread(readings, {}) == readings


def test_hip_doubts_join_on_the_sides_columns_the_angles_have():
    import pandas as pd

    angles = pd.DataFrame({"t_s": [0.0], HIP_ADD: [0.0]})
    was = {"reason": "drift", "redo": "stand"}
    doubts = {HIP_ADD: was}
    whys = {
        "adduction": {"reason": "lean", "redo": "bend heel to buttock"},
        "internal_rotation": {"reason": "lean", "redo": "bend heel to buttock"},
    }
    joined = pipeline._join_hip_doubts(doubts, "right", whys, angles)
    assert joined == {HIP_ADD}  # the rotation column is not in the angles
    assert doubts[HIP_ADD] == {"reason": "drift; lean", "redo": "stand; bend heel to buttock"}
