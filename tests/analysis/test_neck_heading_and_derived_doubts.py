"""The neck's heading re-anchored at stands; every derived angle doubted with its segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E, angle_dependencies
from analysis.angles.chain import isb_angles
from analysis.angles.pipeline import segment_orientations
from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.schema import ANGLE_COLUMNS, HEAD_FLEXION_REL_PELVIS
from analysis.report.page import summary_text

RATE_HZ = 20.0
Q_E_G = rot.conjugate(Q_G_E)
_Z = [0.0, 0.0, 1.0]


def _leaning_body(lean_deg: np.ndarray, head_drift_deg: np.ndarray) -> dict[str, np.ndarray]:
    """Pelvis, trunk and head ``q_E_S`` (identity mounts) of a body that leans forward as one
    piece (lumbar and neck flexion 0); the head sensor's heading drifts by ``head_drift_deg``."""
    lean = rot.from_axis_angle(_Z, -np.deg2rad(lean_deg))
    body = rot.multiply(Q_E_G, lean)
    drift = rot.from_axis_angle(_Z, np.deg2rad(head_drift_deg))  # about the earth's vertical
    return {"pelvis": body.copy(), "trunk": body.copy(), "head": rot.multiply(drift, body)}


def _session(drift_deg_s: float):
    """Stand 5 s, lean 30° forward twice with upright stands between and after (100 s)."""
    t = np.arange(0.0, 100.0, 1.0 / RATE_HZ)
    lean = np.zeros_like(t)
    for a, b in ((20.0, 40.0), (60.0, 80.0)):
        lean[(t >= a) & (t < b)] = 30.0
    upright_still = (t < 5.0) | ((t >= 45.0) & (t < 55.0)) | (t >= 85.0)
    return t, _leaning_body(lean, drift_deg_s * t), upright_still


@pytest.mark.parametrize("anchors", [True, False])
def test_a_drifting_head_heading_no_longer_reads_as_neck_flexion(anchors, calibration_of):
    t, q_E_S, still = _session(drift_deg_s=0.5)
    cal = calibration_of({p: {} for p in q_E_S}, static_s=(0.0, 5.0), functional_s=(5.0, 15.0))
    valid = {p: np.ones(t.size, dtype=bool) for p in q_E_S}
    q = segment_orientations(
        t, q_E_S, cal, rate_hz=RATE_HZ, valid=valid, still=still, hinge=False, anchors=anchors
    )
    cols = isb_angles(q).columns
    neck, lumbar = cols["neck_flexion_deg"], cols["lumbar_flexion_deg"]
    assert np.abs(lumbar).max() < 0.01
    assert np.abs(cols[HEAD_FLEXION_REL_PELVIS]).max() < 0.01  # heading-free either way
    leaning = (t >= 60.0) & (t < 80.0)  # the head's heading is 30–40° off by then
    if anchors:
        assert np.abs(neck).max() < 0.05
    else:  # 30° · (1 − cos 35°) ≈ 5° less flexion
        assert neck[leaning].min() < -4.0


def test_every_angle_column_names_the_segments_it_depends_on():
    deps = angle_dependencies()
    assert set(deps) == set(ANGLE_COLUMNS)
    assert deps[HEAD_FLEXION_REL_PELVIS] == ("pelvis", "head")


def _cal(calibration_of, doubted: str | None):
    segs = {p: {} for p in ("pelvis", "trunk", "head")}
    if doubted is not None:
        segs[doubted] = {"sign_confidence": "low"}
    return calibration_of(segs)


@pytest.mark.parametrize("doubted", ["pelvis", "head"])
def test_head_relative_to_pelvis_is_uncertain_when_either_segment_is(doubted, calibration_of):
    unsure = _cal(calibration_of, doubted).uncertain_angles()
    assert HEAD_FLEXION_REL_PELVIS in unsure
    assert doubted in unsure[HEAD_FLEXION_REL_PELVIS]["reason"]


def test_head_relative_to_pelvis_does_not_use_the_trunk(calibration_of):
    unsure = _cal(calibration_of, "trunk").uncertain_angles()
    assert {"lumbar_flexion_deg", "neck_flexion_deg"} <= set(unsure)
    assert HEAD_FLEXION_REL_PELVIS not in unsure
    assert _cal(calibration_of, None).uncertain_angles() == {}


def test_a_later_doubt_of_the_head_reaches_head_relative_to_pelvis(calibration_of):
    why = "neck flexion reads +120° for 30 s, beyond what a body can do"
    unsure = _cal(calibration_of, None).uncertain_angles({"head": why})
    assert unsure[HEAD_FLEXION_REL_PELVIS]["reason"] == why


def test_looking_down_without_a_trunk_sensor_is_uncertain_when_the_head_is(calibration_of):
    t = np.arange(0.0, 60.0, 0.01)
    rise = np.clip((t - 20.0) / 2.0, 0.0, 1.0) - np.clip((t - 40.0) / 2.0, 0.0, 1.0)
    frame = {
        "t_s": t,
        "right_hip_flexion_deg": 70.0 * rise,
        "right_hip_adduction_deg": 0.0 * t,
        "right_hip_internal_rotation_deg": 0.0 * t,
        "right_knee_flexion_deg": 18.0 * rise,
        "right_ankle_dorsiflexion_deg": -10.0 * rise,
        "pelvis_anterior_tilt_deg": 10.0 * rise,
        HEAD_FLEXION_REL_PELVIS: 45.0 * rise,  # looking down hard, no trunk worn
    }
    data = pd.DataFrame(frame)
    profile = load_builtin_profile("standing_hamstring")
    trusted = check_envelope(data, profile, side="right").rule("neck_flexion")
    assert trusted is not None
    assert trusted.status == "violated"
    cal = calibration_of(
        {p: {} for p in ("pelvis", "right_thigh", "right_shank", "right_foot")}
        | {"head": {"sign_confidence": "low"}}
    )
    unsure = {c: v for c, v in cal.uncertain_angles().items() if c in data}
    res = check_envelope(data, profile, side="right", uncertain=unsure)
    neck = res.rule("neck_flexion")
    assert neck is not None
    assert neck.column == HEAD_FLEXION_REL_PELVIS
    assert neck.status == "uncertain"
    assert neck.unconfirmed
    assert "head" in (neck.reason or "")
    assert "partial: " in summary_text(res, source_name="s")  # the summary follows the rule
    assert res.verdict != "outside"
