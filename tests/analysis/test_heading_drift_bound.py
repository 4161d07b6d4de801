"""The hip's relative heading before the first and after the last anchor: a bound, not a guess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.angles import pipeline
from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.heading import (
    DRIFT_MIN_GAP_S,
    HIP_DRIFT_TARGET_DEG,
    AnchorRuns,
    anchor_runs_from_axes,
    axis_azimuth,
    hip_drift_doubts,
    turn_about_vertical,
)
from analysis.recording.schema import T_S


def _runs(t, drift_deg_s, anchors):
    pelvis = np.tile(rot.conjugate(Q_G_E), (t.size, 1))  # standing: z axis horizontal
    thigh = turn_about_vertical(pelvis, -np.deg2rad(drift_deg_s) * t)
    az_p, h_p = axis_azimuth(pelvis)
    az_t, h_t = axis_azimuth(thigh)
    return anchor_runs_from_axes(az_p, h_p, az_t, h_t, anchors, t_s=t)


def test_the_runs_measure_the_rate_and_bound_the_time_after_the_last():
    t = np.arange(0, 60, 0.01)
    anchors = (t < 3) | ((t > 14) & (t < 17)) | ((t > 26) & (t < 30))
    runs = _runs(t, 0.3, anchors)
    assert runs.values_rad.size == 3
    assert np.isclose(np.rad2deg(runs.drift_rate_rad_s()), 0.3, atol=0.005)
    bound = np.rad2deg(runs.drift_bound_rad(t))
    assert np.all(bound[t <= runs.end_s[-1]] == 0)  # measured up to the last run's end
    assert np.isclose(bound[-1], 0.3 * (t[-1] - runs.end_s[-1]), atol=0.01)


def test_a_step_between_close_stands_is_no_rate():
    # a stand's own posture moves the reading: 2° between runs 5 s apart is read as 2° over
    # the shortest gap a rate is taken over, not 0.4 °/s
    t = np.arange(0, 20, 0.01)
    values = np.deg2rad([0.0, 2.0])
    runs = AnchorRuns(np.array([0.0, 5.0]), np.array([2.0, 7.0]), values)
    assert np.isclose(np.rad2deg(runs.drift_rate_rad_s()), 2.0 / DRIFT_MIN_GAP_S)
    one = AnchorRuns(np.array([0.0]), np.array([3.0]), np.zeros(1))
    assert one.drift_rate_rad_s() == 0.0
    assert np.all(one.drift_bound_rad(t) == 0)


def test_a_flexed_hip_after_the_last_stand_doubts_adduction_not_rotation():
    t = np.arange(0, 60, 0.01)
    anchors = (t < 3) | ((t > 14) & (t < 17)) | ((t > 26) & (t < 30))
    runs = _runs(t, 0.3, anchors)
    up = np.where(t > 32, np.cos(np.deg2rad(70.0)), 1.0)  # the thigh raised 70° in a hold
    doubts = hip_drift_doubts(t, up, runs, "right")
    # 0.3 °/s from 30 s: 9° by the end, RMS over the session 0.3·30/√3·√(30/60) ≈ 3.7° as
    # rotation upright, ≈ 3.5° as adduction at 70°: neither past the target
    assert doubts == {}
    fast = _runs(t, 0.5, anchors)
    doubts = hip_drift_doubts(t, up, fast, "right")
    assert set(doubts) == {"adduction"}  # × cos 70°: rotation well under the target
    first = fast.end_s[-1] + HIP_DRIFT_TARGET_DEG / (0.5 * np.sin(np.deg2rad(70)))
    assert f"from {first:.0f} s" in doubts["adduction"]["reason"]
    # the same hold with a stand after it: nothing left unmeasured
    ended = _runs(t, 0.5, anchors | (t > 57))
    assert hip_drift_doubts(t, up, ended, "right") == {}
    # standing upright after the last stand: the drift is all rotation
    upright = hip_drift_doubts(t, np.ones(t.size), fast, "right")
    assert set(upright) == {"internal_rotation"}
    # samples without data (NaN) are not counted
    assert hip_drift_doubts(t, np.full(t.size, np.nan), fast, "right") == {}


def test_a_drifted_hip_keeps_its_other_doubt_and_no_other_reading_confirms_it():
    t = np.arange(0, 60, 0.01)
    anchors = (t < 3) | ((t > 14) & (t < 17)) | ((t > 26) & (t < 30))
    runs = _runs(t, 0.5, anchors)
    up = np.where(t > 32, np.cos(np.deg2rad(70.0)), 1.0).astype(np.float32)
    add, rot_ = "right_hip_adduction_deg", "right_hip_internal_rotation_deg"
    angles = pd.DataFrame({T_S: t, add: np.zeros(t.size), rot_: np.zeros(t.size)})
    twist = {"reason": "twist undecided", "redo": "lie still"}
    other = {add: np.ones(t.size), rot_: np.ones(t.size)}
    uncertain, readings = pipeline._drifted_hips(
        angles, {"right_thigh": (runs, up)}, {add: twist}, {"right_thigh twist": ("w", (other,))}
    )
    assert uncertain[add]["reason"].startswith("twist undecided; the right leg's heading")
    assert rot_ not in uncertain
    (kept,) = readings["right_thigh twist"][1]
    assert set(kept) == {rot_}  # the drifted column left the other reading
    # nothing drifted: everything as it was
    same, again = pipeline._drifted_hips(angles, {}, {add: twist}, {"x": ("w", (other,))})
    assert same == {add: twist}
    assert again == {"x": ("w", (other,))}
