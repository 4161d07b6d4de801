"""A resting leg's joint read beyond its range doubts that joint's segments, not every one.

The stranger's round-2 sessions 5 and 39 (full set, calibration windows detected) read the
resting right hip's internal rotation at +92° and −80°: one joint, windows found in the data,
so every worn segment was doubted and every angle and rule of the exercised leg, pelvis and
trunk came out uncertain. Windows that do not fit the session turn every segment's frame, so
the exercised leg, which moves through the stretch, would show it too; the resting leg's
joint alone doubts its own two segments.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis.angles.pipeline import _implausible
from analysis.angles.plausibility import doubted_segments

RATE_HZ = 100.0
WORN = (
    "pelvis",
    "left_thigh",
    "left_shank",
    "left_foot",
    "right_thigh",
    "right_shank",
    "right_foot",
    "trunk",
    "head",
)
ROTATION = "right_hip_internal_rotation_deg"
REASON = {ROTATION: "right hip internal rotation reads +92° for 21 s"}


def _session(**columns: float) -> pd.DataFrame:
    """20 s of constant joint angles."""
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    return pd.DataFrame({"t_s": t, **{c: np.full(t.size, v) for c, v in columns.items()}})


def test_a_resting_hip_beyond_range_doubts_its_own_segments_only():
    doubted = doubted_segments(REASON, WORN, windows_detected=True, resting_side="left")
    assert set(doubted) == set(WORN)  # the right leg exercised: its hip speaks for all
    doubted = doubted_segments(REASON, WORN, windows_detected=True, resting_side="right")
    assert set(doubted) == {"pelvis", "right_thigh"}
    assert doubted["right_thigh"] == REASON[ROTATION]


def test_an_exercised_joint_beyond_range_still_doubts_the_whole_calibration():
    both = {**REASON, "left_knee_flexion_deg": "left knee flexion reads -40° for 5 s"}
    doubted = doubted_segments(both, WORN, windows_detected=True, resting_side="right")
    assert set(doubted) == set(WORN)
    # two resting joints: still the resting leg's own segments (and the pelvis of its hip)
    rest = {**REASON, "right_ankle_dorsiflexion_deg": "right ankle reads +80° for 5 s"}
    doubted = doubted_segments(rest, WORN, windows_detected=True, resting_side="right")
    assert set(doubted) == {"pelvis", "right_thigh", "right_shank", "right_foot"}


def test_the_pipeline_tells_the_plausibility_check_which_leg_rests():
    angles = _session(
        right_hip_internal_rotation_deg=92.0,
        left_hip_internal_rotation_deg=5.0,
        left_knee_flexion_deg=30.0,
    )
    cal = SimpleNamespace(segments=dict.fromkeys(WORN), source="detected")
    unknown = _implausible(cal, angles, RATE_HZ)
    assert set(unknown) == set(WORN)
    resting = _implausible(cal, angles, RATE_HZ, exercised="left")
    assert set(resting) == {"pelvis", "right_thigh"}
