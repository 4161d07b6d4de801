"""The straight-leg raise (P1/P2 with and without dorsiflexion) and "nerve or muscle?" tests.

Issue 13: SLR P1/P2 hip angles within 1° of the truth; differentiation tests classified
valid/invalid as scripted (a hip that moves 8° during the ankle change is invalid).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from analysis.angles.pipeline import analyse_recording
from analysis.envelope.checker import EnvelopeResult, check_envelope
from analysis.envelope.clinical import DifferentiationTest, differentiation_tests, slr_result
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.streams import Marker, Recording, streams_from_samples
from analysis.report.page import ReportContext, build_report_html, summary_text
from analysis.simulation import DEFAULT_SENSORS, SimulatedSession, SimulationConfig, simulate
from analysis.simulation.scenarios import SLR_TRUTH_DEG

WITH_HEAD = (*DEFAULT_SENSORS, "head")


@cache
def _session(name: str, sensors: tuple[str, ...]) -> SimulatedSession:
    return simulate(name, config=SimulationConfig(sensors=sensors, seed=5))


@cache
def _estimated(name: str, sensors: tuple[str, ...]) -> tuple[EnvelopeResult, object]:
    sim = _session(name, sensors)
    res = analyse_recording(Recording(streams=streams_from_samples(sim.samples), meta=sim.meta))
    env = check_envelope(
        res.angles,
        load_builtin_profile(str(sim.meta.exercise)),
        side="right",
        markers=sim.meta.markers,
        absent=res.absent,
    )
    return env, res.angles


def _truth_at(sim: SimulatedSession, column: str, t_s: float) -> float:
    return float(np.interp(t_s, sim.truth["t_s"], sim.truth[column]))


# --- straight-leg raise ---------------------------------------------------------------------


def test_slr_hip_angles_within_1_deg_of_truth():
    sim = _session("slr_test", DEFAULT_SENSORS)
    env, _ = _estimated("slr_test", DEFAULT_SENSORS)
    slr = env.slr
    assert slr is not None
    assert [(r.point, r.condition) for r in slr.readings] == [
        ("P1", "without_dorsiflexion"),
        ("P2", "without_dorsiflexion"),
        ("P1", "with_dorsiflexion"),
        ("P2", "with_dorsiflexion"),
    ]
    scripted = [*SLR_TRUTH_DEG["PF"], *SLR_TRUTH_DEG["DF"]]
    for r, want in zip(slr.readings, scripted, strict=True):
        truth = _truth_at(sim, "right_hip_flexion_deg", r.t_s)
        assert abs(truth - want) < 1.0  # the script put the hip there (sway aside)
        assert r.hip_flexion_deg is not None
        assert abs(r.hip_flexion_deg - truth) <= 1.0, (r, truth)
    assert slr.difference_deg["P1"] == pytest.approx(5.5, abs=1.5)
    assert slr.difference_deg["P2"] == pytest.approx(10.0, abs=1.5)
    doc = env.to_dict()["slr"]
    assert doc["dorsiflexion_effect_deg"]["P1"] == pytest.approx(slr.difference_deg["P1"], 0.01)
    assert env.verdict == "inside"
    assert [e.rule for e in env.episodes] == []


def test_slr_report_and_summary_show_p1_p2():
    env, angles = _estimated("slr_test", DEFAULT_SENSORS)
    text = summary_text(env, source_name="slr.csv")
    assert "SLR P1: hip" in text
    assert "SLR P2: hip" in text
    page = build_report_html(angles, env, ReportContext(source_name="slr.csv"))
    assert "Straight-leg raise: hip flexion at P1" in page
    assert "difference (dorsiflexion effect)" in page


def test_slr_none_without_marks_and_unclear_ankle():
    t = np.arange(0.0, 10.0, 0.01)
    data = {"right_hip_flexion_deg": 5.0 * t, "right_ankle_dorsiflexion_deg": np.full(t.size, 2.0)}
    assert slr_result(t, data, [], side="right") is None
    res = slr_result(t, data, [Marker(t_s=4.0, label="", kind="p1")], side="right")
    assert res is not None
    (r,) = res.readings
    assert r.point == "P1"
    assert r.hip_flexion_deg == pytest.approx(20.0)
    assert r.condition == "unclear"  # +2° is neither relaxed nor pulled up
    assert res.difference_deg == {"P1": None, "P2": None}


# --- nerve or muscle? -------------------------------------------------------------------------


@pytest.mark.parametrize("sensors", [WITH_HEAD, (*DEFAULT_SENSORS, "trunk", "head")])
def test_differentiation_classified_as_scripted(sensors):
    env, _ = _estimated("standing_differentiation", sensors)
    ankle, neck = env.differentiation
    assert ankle.movement == "ankle"
    assert not ankle.valid
    assert ankle.why == "your hip moved 8°, the test does not count; try again"
    assert ankle.hip_shift_deg == pytest.approx(8.0, abs=1.0)
    assert ankle.reading == "does not count"
    assert neck.movement == "neck"
    assert neck.valid, neck.why
    assert neck.remote_change_deg == pytest.approx(30.0, abs=3.0)
    assert neck.answer == "same"
    assert neck.reading == "no change with the remote movement: points to the muscle"
    items = env.to_dict()["differentiation"]
    assert [i["valid"] for i in items] == [False, True]
    assert "NOT VALID (your hip moved 8°" in summary_text(env, source_name="d.csv")


def test_differentiation_without_head_sensor_cannot_check_the_neck():
    env, _ = _estimated("standing_differentiation", DEFAULT_SENSORS)
    _, neck = env.differentiation
    assert not neck.valid
    assert neck.why == "the neck was not measured, so the movement cannot be checked"


def _ramp_data(hip_wobble: float, ankle_range: float) -> tuple[np.ndarray, dict]:
    t = np.arange(0.0, 10.0, 0.01)
    bump = np.clip(1.0 - np.abs(t - 5.0), 0.0, None)  # 0 → 1 → 0 around 5 s
    data = {
        "right_hip_flexion_deg": 80.0 + hip_wobble * bump,
        "right_knee_flexion_deg": np.full(t.size, 15.0),
        "right_ankle_dorsiflexion_deg": -15.0 + ankle_range * bump,
    }
    return t, data


def _marks(answer: str | None) -> list[Marker]:
    return [
        Marker(t_s=3.0, label="ankle", kind="diff_start"),
        Marker(t_s=7.0, label="answer", kind="diff_end", answer=answer),
    ]


def test_differentiation_rules_and_readings():
    t, data = _ramp_data(hip_wobble=2.0, ankle_range=25.0)
    (d,) = differentiation_tests(t, data, _marks("more"), side="right")
    assert isinstance(d, DifferentiationTest)
    assert d.valid
    assert d.reading.endswith("suggests the nerve is involved")
    (d,) = differentiation_tests(t, data, _marks(None), side="right")
    assert d.reading == "no answer recorded"
    t, data = _ramp_data(hip_wobble=0.0, ankle_range=6.0)
    (d,) = differentiation_tests(t, data, _marks("less"), side="right")
    assert not d.valid
    assert d.why.startswith("the ankle moved only 6°")
    # an end without a start, or a start without an end, is no test
    assert differentiation_tests(t, data, _marks("more")[::-1][:1], side="right") == ()
    assert differentiation_tests(t, data, _marks("more")[:1], side="right") == ()


def test_differentiation_report_section():
    env, angles = _estimated("standing_differentiation", WITH_HEAD)
    page = build_report_html(angles, env, ReportContext(source_name="d.csv"))
    assert "Nerve or muscle? (structural differentiation)" in page
    assert "informs and does not diagnose" in page
    assert "<b>not valid</b>" in page
