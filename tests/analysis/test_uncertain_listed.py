"""Every place a user reads lists the same uncertain angles.

The pipeline adds doubts after the calibration (joints read beyond any range, the resting
leg's imprecise tilt); ``envelope.json``, the verdict box, the terminal summary and the
report's calibration section must all name those too, whether a rule reads the angle or not.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.angles.pipeline import AngleResult
from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import (
    ReportContext,
    _calibration_section,
    summary_text,
    uncertain_lines,
    unread_uncertain_lines,
)
from tests.analysis.test_conditional_holds import KNEE_UNSURE, straightened_knee_session

STANDING = load_builtin_profile("standing_hamstring")
RESTING_KNEE = "left_knee_flexion_deg"
RESTING = {RESTING_KNEE: {"reason": "resting knee measured to about ±3°", "redo": "stand still"}}


def _with_resting_knee() -> pd.DataFrame:
    df = straightened_knee_session()
    df[RESTING_KNEE] = np.zeros(len(df))
    return df


def test_an_uncertain_angle_no_rule_reads_is_in_envelope_json():
    unsure = {**KNEE_UNSURE, **RESTING, "neck_flexion_deg": {"reason": "x", "redo": "y"}}
    res = check_envelope(_with_resting_knee(), STANDING, side="right", uncertain=unsure)
    doc = json.loads(res.to_json())
    # the neck is not a column of the table: dropped; the resting knee has no rule: kept
    assert list(doc["uncertain_angles"]) == ["right_knee_flexion_deg", RESTING_KNEE]
    assert doc["uncertain_angles"][RESTING_KNEE] == RESTING[RESTING_KNEE]
    assert [u["column"] for u in doc["uncertain"]] == ["right_knee_flexion_deg"]


def test_without_doubts_the_list_is_empty():
    res = check_envelope(_with_resting_knee(), STANDING, side="right")
    assert json.loads(res.to_json())["uncertain_angles"] == {}
    assert uncertain_lines(res) == []


def test_the_verdict_and_the_summary_name_the_unread_angle():
    res = check_envelope(
        _with_resting_knee(), STANDING, side="right", uncertain={**KNEE_UNSURE, **RESTING}
    )
    (line,) = unread_uncertain_lines(res)
    assert RESTING_KNEE in line
    assert "resting knee measured to about ±3°" in line
    assert "right_knee_flexion_deg" not in line  # its rule already says it
    lines = uncertain_lines(res)
    assert lines[0].startswith("Uncertain, not judged: knee")
    assert lines[-1] == line
    assert f"  {line}" in summary_text(res, source_name="s").splitlines()


def test_angles_of_one_reason_share_a_sentence():
    both = dict.fromkeys((RESTING_KNEE, "left_hip_flexion_deg"), RESTING[RESTING_KNEE])
    df = _with_resting_knee()
    df["left_hip_flexion_deg"] = np.zeros(len(df))
    res = check_envelope(df, STANDING, side="right", uncertain=both)
    (line,) = unread_uncertain_lines(res)
    assert f"{RESTING_KNEE}, left_hip_flexion_deg —" in line


def test_calibration_dict_lists_the_doubts_found_after_the_calibration(calibration_of):
    cal = calibration_of({"pelvis": {}, "right_thigh": {}})
    assert cal.to_dict()["uncertain_angles"] == {}  # the calibration alone doubts nothing
    doubted = {"right_thigh": "the hip read beyond any range for 4 s"}
    unsure = {
        c: {"reason": doubted["right_thigh"], "redo": "r"} for c in cal.uncertain_angles(doubted)
    }
    result = AngleResult(
        angles=pd.DataFrame({"t_s": [0.0, 0.01]}),
        rate_hz=100.0,
        absent={},
        calibration=cal,
        uncertain=unsure,
        doubted=doubted,
    )
    doc = result.calibration_dict()
    assert list(doc["uncertain_angles"]) == list(unsure) != []
    assert doc["doubted_segments"] == doubted
    assert doc["segments"] == cal.to_dict()["segments"]
    json.dumps(doc, allow_nan=False)  # plain JSON values


def test_the_report_s_calibration_section_lists_them():
    cal = {"stand_gyro_rms_deg_s": 0.2, "segments": {}, "uncertain_angles": RESTING}
    html = _calibration_section(
        ReportContext(source_name="s", calibration_lines=("stand",), calibration=cal)
    )
    assert "Calibration quality: <b>check the notes below</b>" in html
    assert "Uncertain angles (never judged as outside" in html
    assert RESTING_KNEE in html
    sure = _calibration_section(
        ReportContext(
            source_name="s",
            calibration_lines=("stand",),
            calibration={**cal, "uncertain_angles": {}},
        )
    )
    assert "Calibration quality: <b>good</b>" in sure
    assert "Uncertain angles" not in sure


def test_a_thigh_tilt_doubt_is_said_beside_the_pelvis_s(calibration_of):
    cal = calibration_of(
        {
            "pelvis": {"sign_confidence": "low"},
            "left_thigh": {"tilt_doubt": "the left thigh's axis rests on one movement"},
        }
    )
    out = cal.uncertain_angles()
    for column in ("left_hip_adduction_deg", "left_hip_internal_rotation_deg"):
        reason = out[column]["reason"]
        assert reason.startswith(cal.doubts()["pelvis"])
        assert reason.endswith("; the left thigh's axis rests on one movement")
    assert "rests on one movement" not in out["left_hip_flexion_deg"]["reason"]
