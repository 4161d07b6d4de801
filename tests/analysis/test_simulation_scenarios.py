"""Scenarios: protocol, exercise poses, scripted violations, holds, events, long sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ConfigError
from analysis.recording.schema import ANGLE_COLUMNS, RULE_NAMES
from analysis.simulation import (
    RULE_LIMITS_DEG,
    SessionSimulator,
    SimulationConfig,
    TruthEvent,
    list_scenarios,
    natural_duration_s,
    simulate,
)

NAMES = (
    "standing_correct",
    "standing_dorsiflexion",
    "standing_knee_locked",
    "standing_slump",
    "standing_hip_ir_adduction",
    "standing_looking_down",
    "standing_differentiation",
    "slr_test",
    "supine_correct",
    "seated_slider",
    "runners_active",
    "standing_l",
)
SAGITTAL = {
    "ankle_dorsiflexion",
    "knee_flexion",
    "lumbar_flexion",
    "pelvis_anterior_tilt",
    "neck_flexion",
}
HYSTERESIS_DEG = {r: 3.0 if r in SAGITTAL else 5.0 for r in RULE_NAMES}  # DESIGN §5


def _column(rule: str, side: str | None) -> str:
    return f"{rule}_deg" if side is None else f"{side}_{rule}_deg"


def _between(truth: pd.DataFrame, a: float, b: float) -> pd.DataFrame:
    return truth[(truth["t_s"] >= a) & (truth["t_s"] < b)]


@pytest.fixture(scope="module")
def sessions() -> dict[str, SessionSimulator]:
    """Every scenario's simulator (truth only is evaluated; sensors are cheap to skip)."""
    return {n: SessionSimulator(n, config=SimulationConfig(sensors=("pelvis",))) for n in NAMES}


@pytest.fixture(scope="module")
def truths(sessions: dict[str, SessionSimulator]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, sim in sessions.items():
        out[name] = sim.truth_angles(np.arange(sim.n_truth) / sim.config.rate_hz)
    return out


def test_scenario_names_are_exact():
    assert list_scenarios() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_protocol_comes_first_and_is_neutral_then_moves(name, sessions, truths):
    sim, truth = sessions[name], truths[name]
    phases = {e.name: e for e in sim.events if e.kind == "phase"}
    quiet, functional, exercise = phases["quiet_stand"], phases["functional"], phases["exercise"]
    assert quiet.start_s == 0.0
    assert quiet.end_s - quiet.start_s >= 3.0
    assert quiet.end_s <= functional.start_s < functional.end_s <= exercise.start_s
    assert sim.meta.calibration.static_s == (quiet.start_s, quiet.end_s)
    assert sim.meta.calibration.functional_s == (functional.start_s, functional.end_s)
    still = _between(truth, quiet.start_s, quiet.end_s)[list(ANGLE_COLUMNS)]
    assert still.abs().to_numpy().max() < 1.5  # upright, knees straight, feet flat (sway only)
    moves = {e.name: e for e in sim.events if e.kind == "movement"}
    assert set(moves) == {"knee_bends", "leg_swings_right", "leg_swings_left", "trunk_bow"}
    bends = _between(truth, moves["knee_bends"].start_s, moves["knee_bends"].end_s)
    for side in ("right", "left"):
        assert bends[f"{side}_hip_flexion_deg"].max() > 30
        assert bends[f"{side}_knee_flexion_deg"].max() > 45
        assert bends[f"{side}_ankle_dorsiflexion_deg"].max() > 15
        swing = moves[f"leg_swings_{side}"]
        sw = _between(truth, swing.start_s, swing.end_s)
        assert np.ptp(sw[f"{side}_hip_flexion_deg"]) > 40  # forward and back
        assert sw[f"{side}_knee_flexion_deg"].max() > 20
    assert bends["pelvis_anterior_tilt_deg"].max() > 5
    bow = _between(truth, moves["trunk_bow"].start_s, moves["trunk_bow"].end_s)
    assert bow["pelvis_anterior_tilt_deg"].max() > 20
    assert bow["lumbar_flexion_deg"].max() > 15
    # the session ends standing in the neutral pose, so blocks can repeat
    end = truth.iloc[-50:][list(ANGLE_COLUMNS)]
    assert end.abs().to_numpy().max() < 1.5


@pytest.mark.parametrize("name", NAMES)
def test_violations_are_far_outside_and_holds_far_inside_the_envelope(name, sessions, truths):
    sim, truth = sessions[name], truths[name]
    violations = [e for e in sim.events if e.kind == "violation"]
    for v in violations:
        assert v.rule in RULE_NAMES
        limit, direction = RULE_LIMITS_DEG[v.rule]
        assert v.limit_deg == limit
        values = _between(truth, v.start_s, v.end_s)[_column(v.rule, v.side)]
        sign = 1.0 if direction == "above" else -1.0
        assert (sign * (values - limit) > 0).all()  # violating over the whole event
        plateau = _between(truth, v.start_s + 1.0, v.end_s - 1.0)[_column(v.rule, v.side)]
        margin = HYSTERESIS_DEG[v.rule] + 3.0
        assert (sign * (plateau - limit) > margin).all(), (v.rule, plateau.min(), plateau.max())
        assert v.end_s - v.start_s > 4.0  # longer than any dwell time
    for hold in (e for e in sim.events if e.kind == "hold"):
        seg = _between(truth, hold.start_s, hold.end_s)
        rules = ["ankle_dorsiflexion", "knee_flexion", "hip_internal_rotation", "hip_adduction"]
        for rule in rules:
            limit, direction = RULE_LIMITS_DEG[rule]
            sign = 1.0 if direction == "above" else -1.0
            values = seg[_column(rule, "right")]
            # strictly inside apart from the first/last 0.6 s next to a violation
            core = values[(seg["t_s"] > hold.start_s + 0.6) & (seg["t_s"] < hold.end_s - 0.6)]
            assert (sign * (core - limit) < -HYSTERESIS_DEG[rule]).all(), (rule, core.describe())
        if name != "supine_correct":  # lying: pelvis tilt is −85° relative to upright
            core = seg[(seg["t_s"] > hold.start_s + 0.6) & (seg["t_s"] < hold.end_s - 0.6)]
            assert (core["lumbar_flexion_deg"] < 10.0 - 3.0).all()
            assert (core["pelvis_anterior_tilt_deg"] > 0.0 + 3.0).all()


EXPECTED_VIOLATIONS = {
    "standing_correct": set(),
    "standing_dorsiflexion": {("ankle_dorsiflexion", "right")},
    "standing_knee_locked": {("knee_flexion", "right")},
    "standing_slump": {("lumbar_flexion", None), ("pelvis_anterior_tilt", None)},
    "standing_hip_ir_adduction": {("hip_internal_rotation", "right"), ("hip_adduction", "right")},
    "standing_looking_down": {("neck_flexion", None)},
    "standing_differentiation": {("ankle_dorsiflexion", "right"), ("neck_flexion", None)},
    "slr_test": set(),
    "supine_correct": set(),
    "seated_slider": set(),
    "runners_active": set(),
    "standing_l": set(),
}


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_scripts_exactly_its_violations(name, sessions):
    found = {(e.rule, e.side) for e in sessions[name].events if e.kind == "violation"}
    assert found == EXPECTED_VIOLATIONS[name]


@pytest.mark.parametrize("name", ["standing_correct", "supine_correct"])
def test_correct_holds_last_at_least_30_s(name, sessions):
    holds = [e for e in sessions[name].events if e.kind == "hold"]
    assert len(holds) == 1
    assert holds[0].end_s - holds[0].start_s >= 30.0


def test_dorsiflexion_scenario_has_one_violation_then_a_symptom_mark_then_a_full_hold(sessions):
    sim = sessions["standing_dorsiflexion"]
    (v,) = [e for e in sim.events if e.kind == "violation"]
    (mark,) = [e for e in sim.events if e.kind == "marker"]
    assert v.start_s < mark.start_s < v.end_s
    assert 1.5 < mark.start_s - v.start_s < 3.0  # about 2 s after the ankle comes up
    assert mark.label == "tingling in the heel"
    assert [(m.t_s, m.label, m.kind) for m in sim.meta.markers] == [
        (mark.start_s, mark.label, "symptom")
    ]
    holds = sorted((e for e in sim.events if e.kind == "hold"), key=lambda e: e.start_s)
    assert len(holds) == 2
    assert holds[0].end_s == pytest.approx(v.start_s)
    assert holds[1].start_s == pytest.approx(v.end_s)
    assert holds[1].end_s - holds[1].start_s >= 30.0


def test_supine_lies_on_the_back_with_the_leg_raised(sessions, truths):
    sim, truth = sessions["supine_correct"], truths["supine_correct"]
    (hold,) = [e for e in sim.events if e.kind == "hold"]
    seg = _between(truth, hold.start_s, hold.end_s)
    assert seg["pelvis_anterior_tilt_deg"].between(-87, -83).all()
    assert seg["right_hip_flexion_deg"].between(60, 70).all()
    assert seg["right_knee_flexion_deg"].between(10, 20).all()
    assert seg["right_ankle_dorsiflexion_deg"].between(-20, -10).all()
    assert seg["left_thigh_inclination_deg"].between(85, 95).all()  # lying flat on the floor
    # pelvis is anchored on the floor while lying
    ev = sim.model.evaluate(seg["t_s"].to_numpy()[::50])
    z = ev.root().p_E_m[:, 2]
    assert np.ptp(z) < 1e-9
    assert -0.05 < z[0] < 0.2


def test_seated_slider_oscillates_the_ankle_with_the_knee_bent(sessions, truths):
    sim, truth = sessions["seated_slider"], truths["seated_slider"]
    reps = [e for e in sim.events if e.kind == "repetition"]
    assert len(reps) == 15
    seg = _between(truth, reps[1].start_s, reps[-1].end_s - 1.0)
    ankle = seg["right_ankle_dorsiflexion_deg"].to_numpy()
    assert ankle.min() == pytest.approx(-20.0, abs=1.0)
    assert ankle.max() == pytest.approx(10.0, abs=1.0)
    assert seg["right_knee_flexion_deg"].between(30, 40).all()
    spectrum = np.abs(np.fft.rfft(ankle - ankle.mean()))
    freqs = np.fft.rfftfreq(ankle.size, d=0.01)
    assert freqs[np.argmax(spectrum)] == pytest.approx(0.5, abs=0.05)
    assert seg["right_hip_flexion_deg"].between(85, 105).all()  # seated


def test_runners_active_repeats_knee_extension_with_toes_up(sessions, truths):
    sim, truth = sessions["runners_active"], truths["runners_active"]
    reps = [e for e in sim.events if e.kind == "repetition"]
    assert len(reps) == 8
    for r in reps:
        seg = _between(truth, r.start_s, r.end_s)
        assert seg["right_knee_flexion_deg"].max() > 40
        assert seg["right_knee_flexion_deg"].min() < 8
        straight = seg[seg["right_knee_flexion_deg"] < 8]
        assert (straight["right_ankle_dorsiflexion_deg"] > 10).all()  # toes pulled up
        assert (seg["pelvis_anterior_tilt_deg"] > 40).all()  # hip-hinged


def test_standing_l_holds_the_back_leg_at_hip_height_while_the_knee_works(sessions, truths):
    sim, truth = sessions["standing_l"], truths["standing_l"]
    reps = [e for e in sim.events if e.kind == "repetition"]
    assert len(reps) == 8
    seg = _between(truth, reps[0].start_s, reps[-1].end_s)
    assert seg["left_thigh_inclination_deg"].between(-95, -85).all()  # horizontal, behind
    assert seg["pelvis_anterior_tilt_deg"].between(75, 85).all()  # trunk hinged
    for r in reps:
        knee = _between(truth, r.start_s, r.end_s)["right_knee_flexion_deg"]
        assert knee.max() > 30
        assert knee.min() < 8


def test_long_sessions_repeat_the_exercise_block():
    name = "standing_knee_locked"
    natural = natural_duration_s(name)
    cfg = SimulationConfig(sensors=("right_shank",), duration_s=natural + 130.0)
    sim = SessionSimulator(name, config=cfg)
    assert sim.duration_s == pytest.approx(natural + 130.0)
    assert sim.n_truth == round((natural + 130.0) * 100)
    exercises = [e for e in sim.events if e.kind == "phase" and e.name == "exercise"]
    block_s = exercises[0].end_s - exercises[0].start_s + 10.0
    assert len(exercises) == 1 + int(130.0 // block_s) >= 2
    assert [e.block for e in exercises] == list(range(len(exercises)))
    rests = [e for e in sim.events if e.kind == "phase" and e.name == "rest"]
    assert len(rests) == len(exercises) - 1
    assert all(r.end_s - r.start_s == pytest.approx(10.0) for r in rests)
    violations = [e for e in sim.events if e.kind == "violation"]
    assert [v.block for v in violations] == list(range(len(exercises)))
    # every block is the same movement, shifted in time
    d = violations[1].start_s - violations[0].start_s
    assert violations[1].end_s - d == pytest.approx(violations[0].end_s, abs=0.01)
    assert sum(1 for e in sim.events if e.kind == "phase" and e.name == "quiet_stand") == 1
    s = sim.run()
    assert s.truth["t_s"].iloc[-1] == pytest.approx(sim.duration_s - 0.01)


def test_too_short_duration_is_refused():
    with pytest.raises(ConfigError, match="shorter than scenario"):
        SessionSimulator("standing_l", config=SimulationConfig(duration_s=30.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sensors": ("left_knee",)}, "unknown sensor placement"),
        ({"sensors": ("pelvis", "pelvis")}, "twice"),
        ({"sensors": ()}, "at least one"),
        ({"rate_hz": 0.0}, "rate_hz"),
        ({"rate_hz": float("nan")}, "rate_hz"),
        ({"seed": -1}, "seed"),
        ({"mounting": "glued"}, "mounting"),
        ({"duration_s": float("inf")}, "duration_s"),
        ({"sway_scale": -1.0}, "sway_scale"),
    ],
)
def test_invalid_configs_raise_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        SimulationConfig(**kwargs)


def test_unknown_scenario_names_the_valid_ones():
    with pytest.raises(ConfigError, match="standing_correct"):
        simulate("standing_wrong")


def test_events_serialise_without_nones():
    e = TruthEvent(kind="hold", name="hold", start_s=1.0, end_s=2.0)
    assert e.to_dict() == {"kind": "hold", "name": "hold", "start_s": 1.0, "end_s": 2.0, "block": 0}
