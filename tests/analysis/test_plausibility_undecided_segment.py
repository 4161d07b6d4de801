"""A resting joint beyond range on a segment whose forward direction is undecided doubts it alone.

The stranger's round-2 seed 943 (seated, full set): the resting left thigh barely turned in the
calibration movements, its sign was a low-confidence guess and wrong, and the left hip read
−94° for 72 s. The hip's segments are the pelvis and the thigh, so the pelvis was doubted, and
with it the exercised hip, pelvis tilt, lumbar and neck, which the default set of the same
session trusts (each within 0.5° of the truth). A thigh whose forward direction is not
established can turn the hip's reading anywhere: the hip says nothing of the pelvis then.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis.angles.calibration import SegmentCalibration
from analysis.angles.pipeline import _implausible
from analysis.angles.plausibility import doubted_segments
from tests.analysis.test_plausibility_resting_leg import RATE_HZ, WORN

FLEXION = "left_hip_flexion_deg"
REASON = {FLEXION: "left hip flexion reads -94° for 72 s"}


def test_a_resting_hip_on_an_undecided_thigh_leaves_the_pelvis_alone():
    doubted = doubted_segments(REASON, WORN, windows_detected=True, resting_side="left")
    assert set(doubted) == {"pelvis", "left_thigh"}  # a decided thigh: the pelvis as well
    doubted = doubted_segments(
        REASON, WORN, windows_detected=True, resting_side="left", undecided=["left_thigh"]
    )
    assert doubted == {"left_thigh": REASON[FLEXION]}


def test_an_undecided_pelvis_is_the_one_doubted_and_the_exercised_leg_still_speaks_for_all():
    doubted = doubted_segments(
        REASON, WORN, windows_detected=True, resting_side="left", undecided=["pelvis"]
    )
    assert set(doubted) == {"pelvis"}
    # the exercised leg's hip: windows that do not fit turn every frame, undecided or not
    doubted = doubted_segments(
        REASON, WORN, windows_detected=True, resting_side="right", undecided=["left_thigh"]
    )
    assert set(doubted) == set(WORN)


def _segment(placement: str, confidence: str) -> SegmentCalibration:
    return SegmentCalibration(
        placement=placement,
        q_S_B=np.array([1.0, 0.0, 0.0, 0.0]),
        planarity_ratio=0.99,
        axis_elevation_deg=0.0,
        rotation_deg=90.0,
        sign_rule="test",
        sign_confidence=confidence,
    )


def test_the_pipeline_passes_the_segments_whose_sign_is_a_guess():
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    angles = pd.DataFrame({"t_s": t, FLEXION: np.full(t.size, -94.0)})
    guessed = {p: _segment(p, "low" if p == "left_thigh" else "high") for p in WORN}
    cal = SimpleNamespace(segments=guessed, source="detected")
    assert set(_implausible(cal, angles, RATE_HZ, exercised="right")) == {"left_thigh"}
    sure = {p: _segment(p, "high") for p in WORN}
    cal = SimpleNamespace(segments=sure, source="detected")
    assert set(_implausible(cal, angles, RATE_HZ, exercised="right")) == {"pelvis", "left_thigh"}
