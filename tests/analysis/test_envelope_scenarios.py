"""The envelope on every simulator scenario: truth angles and the pipeline's estimates.

What must hold (issue 4 §6): every scripted violation is one episode of its rule with an onset
within 0.5 s (plus the rule's dwell) of the truth; correct sessions give no episode at all;
the per-sample verdicts from estimated and from true angles agree on ≥ 98 % of samples; hold
durations are within 1 s of the truth.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from analysis.angles.pipeline import analyse_recording
from analysis.envelope.checker import EnvelopeResult, check_envelope
from analysis.envelope.clinical import TEST_RULES
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.streams import Recording, streams_from_samples
from analysis.simulation import (
    DEFAULT_SENSORS,
    SimulatedSession,
    SimulationConfig,
    list_scenarios,
    simulate,
)

SENSORS = (*DEFAULT_SENSORS, "trunk", "head")  # trunk and head: lumbar and neck measured
ONSET_TOLERANCE_S = 0.5
HOLD_TOLERANCE_S = 1.0
MIN_AGREEMENT = 0.98


@cache
def _session(name: str) -> SimulatedSession:
    return simulate(name, config=SimulationConfig(sensors=SENSORS, seed=7))


@cache
def _judged(name: str, source: str) -> EnvelopeResult:
    sim = _session(name)
    profile = load_builtin_profile(str(sim.meta.exercise))
    side = str(sim.meta.side)
    if source == "truth":
        return check_envelope(sim.truth, profile, side=side, markers=sim.meta.markers)
    result = analyse_recording(Recording(streams=streams_from_samples(sim.samples), meta=sim.meta))
    return check_envelope(
        result.angles, profile, side=side, markers=sim.meta.markers, absent=result.absent
    )


def _violations(sim: SimulatedSession):
    return [e for e in sim.events if e.kind == "violation"]


def _expected_holds(sim: SimulatedSession, env: EnvelopeResult) -> list[tuple[float, float]]:
    """Truth holds, joined across violations of advisory rules (they do not break a hold)."""
    advisory = {r.name for r in env.profile.rules if r.advisory}
    merged: list[tuple[float, float]] = []
    for a, b in sorted((e.start_s, e.end_s) for e in sim.events if e.kind == "hold"):
        if merged:
            between = [
                v for v in _violations(sim) if v.start_s < a + 0.5 and v.end_s > merged[-1][1] - 0.5
            ]
            if between and all(v.rule in advisory for v in between):
                merged[-1] = (merged[-1][0], b)
                continue
        merged.append((a, b))
    return merged


SCENARIOS = list_scenarios()
SOURCES = ("truth", "estimated")
HOLD_SCENARIOS = [
    n for n in SCENARIOS if n.startswith(("standing_", "supine")) and n != "standing_l"
]


def test_every_scenario_has_a_profile():
    for name in SCENARIOS:
        assert load_builtin_profile(str(_session(name).meta.exercise)).name


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scripted_violations_are_single_episodes_and_nothing_else(name, source):
    sim = _session(name)
    env = _judged(name, source)
    expected = _violations(sim)
    assert env.verdict != "not_engaged", env.engaged_reason
    # a scripted deviation that is a performed "nerve or muscle?" test's movement is no
    # violation: it shows once among the rule's test episodes (standing_differentiation)
    tested = [v for v in expected if _in_a_test(env, v)]
    for v in tested:
        rule = env.rule(str(v.rule))
        assert rule is not None
        assert not rule.episodes, rule.episodes
        assert len(rule.excused) == 1, rule.excused
        assert abs(rule.excused[0].start_s - v.start_s) <= ONSET_TOLERANCE_S + rule.spec.dwell_s
    expected = [v for v in expected if v not in tested]
    for v in expected:
        rule = env.rule(str(v.rule))
        assert rule is not None, f"profile does not judge {v.rule}"
        assert rule.status == "violated", f"{v.rule} not found ({source})"
        assert len(rule.episodes) == 1, rule.episodes
        (ep,) = rule.episodes
        assert abs(ep.start_s - v.start_s) <= ONSET_TOLERANCE_S + rule.spec.dwell_s, (ep, v)
        assert ep.end_s > v.end_s - ONSET_TOLERANCE_S - rule.spec.dwell_s
        assert ep.cue
    scripted = {str(v.rule) for v in expected}
    extra = [e for e in env.episodes if e.rule not in scripted]
    assert not extra, f"unexpected episodes ({source}): {extra}"
    gating = any(not env.profile.rule(r).advisory for r in scripted)  # type: ignore[union-attr]
    assert env.verdict == ("outside" if gating else "inside")


def _in_a_test(env: EnvelopeResult, v) -> bool:
    return any(
        d.performed
        and TEST_RULES[d.movement] == v.rule
        and d.start_s - 1.0 <= v.start_s
        and v.end_s <= d.end_s + 1.0
        for d in env.differentiation
    )


def test_the_differentiation_scenario_has_tests_to_excuse():
    env = _judged("standing_differentiation", "estimated")
    assert [d.performed for d in env.differentiation] == [True, True]
    assert env.verdict == "inside"
    assert {r.rule for r in env.rules if r.excused} == {"ankle_dorsiflexion", "neck_flexion"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_estimated_and_true_verdicts_agree_per_sample(name):
    est = _judged(name, "estimated")
    tru = _judged(name, "truth")
    dt = tru.t_s[1] - tru.t_s[0]
    idx = np.clip(np.round((est.t_s - tru.t_s[0]) / dt).astype(int), 0, tru.t_s.size - 1)
    same_time = np.abs(tru.t_s[idx] - est.t_s) <= dt / 2
    assert same_time.mean() > 0.99
    agreement = np.mean(est.state[same_time] == tru.state[idx[same_time]])
    assert agreement >= MIN_AGREEMENT
    assert est.verdict == tru.verdict


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", HOLD_SCENARIOS)
def test_holds_match_the_truth(name, source):
    sim = _session(name)
    env = _judged(name, source)
    assert env.profile.kind == "hold"
    expected = _expected_holds(sim, env)
    got = [(h.start_s, h.end_s) for h in env.holds]
    assert len(got) == len(expected), (got, expected)
    for (a, b), (ea, eb) in zip(got, expected, strict=True):
        assert abs((b - a) - (eb - ea)) <= HOLD_TOLERANCE_S
        assert abs(a - ea) <= HOLD_TOLERANCE_S
        assert abs(b - eb) <= HOLD_TOLERANCE_S


@pytest.mark.parametrize("source", SOURCES)
def test_slider_and_repetitions_match_the_script(source):
    slider = _judged("seated_slider", source).slider
    assert slider is not None
    reps_truth = [e for e in _session("seated_slider").events if e.kind == "repetition"]
    assert slider.ok
    assert abs(slider.cycles - len(reps_truth)) <= 1
    assert slider.rate_hz == pytest.approx(0.5, abs=0.02)  # scripted 0.5 Hz
    assert slider.amplitude_deg == pytest.approx(30.0, abs=3.0)  # scripted −20…+10°
    for name in ("runners_active", "standing_l"):
        reps = _judged(name, source).repetitions
        assert reps is not None
        scripted = [e for e in _session(name).events if e.kind == "repetition"]
        assert reps.count == len(scripted)
        assert reps.ok


@pytest.mark.parametrize("source", SOURCES)
def test_symptom_mark_during_dorsiflexion_is_outside(source):
    env = _judged("standing_dorsiflexion", source)
    (mark,) = env.marks
    assert mark.label == "tingling in the heel"
    assert not mark.inside
    assert mark.rules_outside == ("ankle_dorsiflexion",)
    assert mark.angles_deg["right_ankle_dorsiflexion_deg"] > 8.0
    assert 60.0 < mark.angles_deg["right_hip_flexion_deg"] < 100.0
