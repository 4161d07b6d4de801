"""pipeline._with_hip_bounds: the hips' bounded doubts joined to the session's imprecise angles."""

from __future__ import annotations

from analysis.angles.pipeline import _with_hip_bounds
from analysis.recording.doubts import UncertainAngle


def _doubt(reason: str) -> UncertainAngle:
    return UncertainAngle(reason=reason, redo="redo the calibration")


def test_a_hitch_replaces_a_tilt_only_fills_and_neither_touches_an_uncertain_angle():
    before = {"right_hip_adduction_deg": _doubt("session"), "left_knee_flexion_deg": _doubt("k")}
    uncertain = {"left_hip_adduction_deg": _doubt("sign")}
    hitched = {"right_hip_adduction_deg": _doubt("hitch"), "left_hip_adduction_deg": _doubt("h")}
    tilted = {
        "right_hip_adduction_deg": _doubt("tilt"),
        "right_hip_internal_rotation_deg": _doubt("tilt"),
        "left_hip_adduction_deg": _doubt("tilt"),
    }
    out = _with_hip_bounds(before, uncertain, hitched, tilted)
    assert out["right_hip_adduction_deg"]["reason"] == "hitch"
    assert out["right_hip_internal_rotation_deg"]["reason"] == "tilt"
    assert out["left_knee_flexion_deg"]["reason"] == "k"
    assert "left_hip_adduction_deg" not in out
    assert before["right_hip_adduction_deg"]["reason"] == "session"  # a new dict
