"""The issue's per-angle accuracy targets live in one table the analysis and benches read."""

from __future__ import annotations

import pytest

from analysis.angles import heading, tilt_precision
from analysis.recording.targets import RMSE_TARGET_DEG
from tests.bench_scripts import load_bench_script

ISSUE = {
    **dict.fromkeys(
        ("hip_flexion", "knee_flexion", "ankle_dorsiflexion", "pelvis_anterior_tilt"), 2.0
    ),
    **dict.fromkeys(
        ("hip_adduction", "hip_internal_rotation", "lumbar_flexion", "neck_flexion"), 4.0
    ),
}


def test_the_table_is_the_issue_s():
    assert dict(RMSE_TARGET_DEG) == ISSUE
    with pytest.raises(TypeError):
        RMSE_TARGET_DEG["hip_adduction"] = 5.0  # type: ignore[index]


def test_the_analysis_reads_its_targets_from_the_table():
    assert RMSE_TARGET_DEG["hip_adduction"] == heading.HIP_DRIFT_TARGET_DEG
    assert RMSE_TARGET_DEG["hip_internal_rotation"] == heading.HIP_DRIFT_TARGET_DEG
    assert {
        k: RMSE_TARGET_DEG[k] for k in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")
    } == tilt_precision.TARGET_DEG


def test_the_benches_mark_rows_against_the_same_table():
    population = load_bench_script("population", module_name="population_targets_bench")
    assert {k: population.TARGETS[k] for k in RMSE_TARGET_DEG} == dict(RMSE_TARGET_DEG)
    accuracy = load_bench_script("accuracy", module_name="accuracy_targets_bench")
    assert {k: RMSE_TARGET_DEG[k] for k in accuracy.TARGETS} == accuracy.TARGETS


def test_the_live_bench_reads_the_table():
    bench = load_bench_script("live_posture", module_name="live_posture_targets_bench")
    for motion, target in RMSE_TARGET_DEG.items():
        assert bench.target_deg(f"right_{motion}_deg") == target
