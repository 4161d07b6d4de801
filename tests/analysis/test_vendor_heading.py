"""A vendor fusion's heading, which a file cannot check, and the hip rules it may decide.

The stranger's seed 2203 (round 5, Movella DOT file): with the thigh at 81° of hip flexion a
heading difference of pelvis and thigh reads as hip adduction almost one for one, and two
advisory adduction episodes were confirmed where the truth kept 0°
(``analysis.angles.vendor_heading``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import pipeline
from analysis.angles.heading import AnchorRuns
from analysis.angles.vendor_heading import (
    COVERAGE,
    HIP_HEADING_TARGET_DEG,
    VENDOR_HEADING_RMS_DEG,
    anchored_mask,
    heading_share_deg,
    hip_heading_doubts,
    hip_heading_timed,
    relative_heading_rms_deg,
)

ADD = "right_hip_adduction_deg"
ROT = "right_hip_internal_rotation_deg"


def _up(flexion_deg: np.ndarray) -> np.ndarray:
    """The thigh's superior axis's vertical share for a standing hip flexed that much."""
    return np.cos(np.deg2rad(flexion_deg))


def test_relative_rms_adds_independent_sensors_in_quadrature():
    assert relative_heading_rms_deg(0) == 0.0
    assert relative_heading_rms_deg(1) == pytest.approx(VENDOR_HEADING_RMS_DEG)
    assert relative_heading_rms_deg(2, 1.5) == pytest.approx(1.5 * np.sqrt(2.0))


@pytest.mark.parametrize("flexion_deg", [0.0, 30.0, 60.0, 81.0, 90.0, 110.0])
def test_share_matches_the_isb_hip_angles_of_a_thigh_turned_about_the_vertical(flexion_deg):
    # segment axes x anterior, y superior (vertical when upright), z right; hip = Z X Y
    eps = 2.0
    thigh = Rotation.from_euler("y", eps, degrees=True) * Rotation.from_euler(
        "z", flexion_deg, degrees=True
    )
    _, adduction, rotation = thigh.as_euler("ZXY", degrees=True)
    share = heading_share_deg(eps, _up(np.array([flexion_deg])))
    assert share["adduction"][0] == pytest.approx(abs(adduction), abs=0.01)
    assert share["internal_rotation"][0] == pytest.approx(abs(rotation), abs=0.01)


def test_share_is_zero_without_a_reading():
    share = heading_share_deg(3.0, np.array([np.nan, 1.0]))
    assert share["adduction"].tolist() == [0.0, 0.0]
    assert share["internal_rotation"].tolist() == [0.0, 3.0]


def test_anchored_mask_marks_the_runs_only():
    t = np.arange(10.0)
    runs = AnchorRuns(np.array([2.0, 7.0]), np.array([3.0, 7.0]), np.zeros(2))
    assert anchored_mask(t, runs).tolist() == [t in (2.0, 3.0, 7.0) for t in t]
    assert not anchored_mask(t, None).any()


def test_one_fused_sensor_never_passes_the_target():
    t = np.arange(100.0)
    assert hip_heading_timed(t, _up(np.full(100, 90.0)), ["right_thigh"], "right") == {}


def test_both_fused_doubt_adduction_in_deep_flexion_and_rotation_upright_off_the_anchors():
    t = np.arange(300.0)
    flexion = np.r_[np.zeros(100), np.full(100, 81.0), np.zeros(100)]
    anchored = np.zeros(300, dtype=bool)
    anchored[:20] = True
    out = hip_heading_timed(t, _up(flexion), ["pelvis", "right_thigh"], "right", anchored)
    bound = COVERAGE * np.sqrt(2.0) * VENDOR_HEADING_RMS_DEG
    add = np.asarray(out["adduction"].bound_deg)
    assert add[150] == pytest.approx(bound * np.sin(np.deg2rad(81.0)), rel=1e-4)
    assert add[150] > HIP_HEADING_TARGET_DEG
    assert add[:100].max() == 0.0
    assert add[200:].max() == 0.0
    rot = np.asarray(out["internal_rotation"].bound_deg)
    assert rot[:20].max() == 0.0  # measured at the stand
    assert rot[50] == pytest.approx(bound, rel=1e-4)
    assert rot[150] == 0.0
    assert "100–199 s" in out["adduction"].reason


def test_pipeline_puts_the_doubt_on_the_hip_columns_of_fused_sensors_only():
    t = np.arange(200.0)
    angles = pd.DataFrame({"t_s": t, ADD: np.zeros(200), ROT: np.zeros(200)})
    up = _up(np.r_[np.zeros(100), np.full(100, 85.0)]).astype(np.float32)
    runs = AnchorRuns(np.array([0.0]), np.array([5.0]), np.zeros(1))
    drift = {"right_thigh": (runs, up)}
    out = pipeline._vendor_heading_hips(angles, drift, frozenset({"pelvis", "right_thigh"}))
    assert set(out) == {ADD, ROT}
    assert np.asarray(out[ADD].bound_deg)[150] > HIP_HEADING_TARGET_DEG
    assert pipeline._vendor_heading_hips(angles, drift, frozenset({"left_thigh"})) == {}
    assert pipeline._vendor_heading_hips(angles, drift, frozenset()) == {}


def test_session_mark_when_two_sided_sigma_over_the_session_passes_the_target():
    # both fused: 2 × 2.83° × the adduction share's RMS over the session; flexed 81° for a
    # share s of the samples (anchored nowhere) that is 5.59° × 0.988 × √s
    fused = ["pelvis", "right_thigh"]
    for held, expected in ((0.7, True), (0.4, False)):
        n_held = round(300 * held)
        up = _up(np.r_[np.zeros(300 - n_held), np.full(n_held, 81.0)])
        out = hip_heading_doubts(up, fused, "right")
        want = COVERAGE * np.sqrt(2.0) * VENDOR_HEADING_RMS_DEG * np.sin(np.deg2rad(81.0))
        want *= np.sqrt(n_held / 300)
        assert ("adduction" in out) is expected, held
        if expected:
            entry = out["adduction"]
            assert entry.trace_only
            assert entry.precision_deg == pytest.approx(want, rel=1e-4)
            assert "right hip's adduction" in entry.reason
            assert "raw gyroscope" in entry.redo
        rot = COVERAGE * np.sqrt(2.0) * VENDOR_HEADING_RMS_DEG * np.sqrt(np.mean(up * up))
        assert ("internal_rotation" in out) is bool(rot > HIP_HEADING_TARGET_DEG)  # 3.2°, 4.4°


def test_session_mark_counts_anchored_samples_as_measured_and_skips_one_fused():
    up = _up(np.full(300, 81.0))
    anchored = np.zeros(300, dtype=bool)
    assert "adduction" in hip_heading_doubts(up, ["pelvis", "right_thigh"], "right", anchored)
    anchored[:250] = True
    assert hip_heading_doubts(up, ["pelvis", "right_thigh"], "right", anchored) == {}
    assert hip_heading_doubts(up, ["right_thigh"], "right") == {}
    assert hip_heading_doubts(np.full(300, np.nan), ["pelvis", "right_thigh"], "right") == {}


def test_pipeline_marks_only_columns_not_already_doubted():
    t = np.arange(200.0)
    angles = pd.DataFrame({"t_s": t, ADD: np.zeros(200), ROT: np.zeros(200)})
    up = _up(np.full(200, 85.0)).astype(np.float32)
    runs = AnchorRuns(np.array([0.0]), np.array([5.0]), np.zeros(1))
    drift = {"right_thigh": (runs, up)}
    both = frozenset({"pelvis", "right_thigh"})
    assert set(pipeline._vendor_heading_marks(angles, drift, both, ())) == {ADD}
    assert pipeline._vendor_heading_marks(angles, drift, both, {ADD}) == {}
    assert pipeline._vendor_heading_marks(angles, drift, frozenset(), ()) == {}
