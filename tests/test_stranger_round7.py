"""The stranger's round 7 (bench/stranger/round7.py): deterministic per seed, a style per seed,
each style's truth and marks do what the style says (a chair with the other knee bent, a step
with the standing knee bent, ankle pumps short of neutral, neck and ankle together or against
each other, legs swapped), a correct session breaks no rule, and the recordings (a sensor on
the table, a gap, BLE stamps, a tab-separated WitMotion file) are what the plan draws."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from bench.stranger import compare, round7, writers
from bench.stranger.session import on_table_first

SEED = 3000  # chair; +1 step, +2 strap_pumps, +3 tensioner, +4 swap; odd seeds break
GATING = ("ankle_dorsiflexion", "knee_flexion", "lumbar_flexion", "neck_flexion")


@functools.cache
def _session(seed: int, placements: tuple[str, ...] = ()):
    plan = round7.round7_plan(seed, 1.0)
    return round7.generate_session(seed, plan, placements), plan


def _truth(s) -> pd.DataFrame:
    return pd.DataFrame({"t_s": s.truth_t_s, **s.truth})


def _between(s, start: str, end: str) -> list[np.ndarray]:
    a = [e["t_s"] for e in s.events if e["kind"] == start]
    b = [e["t_s"] for e in s.events if e["kind"] == end]
    assert a
    assert len(a) == len(b)
    return [(s.truth_t_s >= x) & (s.truth_t_s <= y) for x, y in zip(a, b, strict=True)]


def _breaches_when_engaged(s, exercise: str) -> dict[str, float]:
    """Seconds of the documented latch's breach, engaged, after the protocol's movements."""
    truth, side = _truth(s), s.person.side
    t_mov = next(e["t_s"] for e in s.events if e["kind"] == "movements_end")
    eng = compare.truth_engaged(truth, side, exercise) & (truth["t_s"] > t_mov).to_numpy()
    out = {}
    for rule in GATING:
        col = truth[compare.column_for(rule, side)].to_numpy()
        out[rule] = float((compare.truth_breach(col, rule, exercise, 100) & eng).sum() / 100)
    return out


def test_plans_are_deterministic_a_style_per_seed_and_break_only_on_odd_seeds():
    plans = [round7.round7_plan(s, None) for s in range(SEED, SEED + 40)]
    assert plans == [round7.round7_plan(s, None) for s in range(SEED, SEED + 40)]
    assert [p["style"] for p in plans] == list(round7.STYLES) * 8
    assert all(not p["breaks"] for p in plans[::2])
    assert all(2 <= len(p["breaks"]) <= 6 for p in plans[1::2])
    assert {p["recording"] for p in plans} == set(round7.RECORDINGS)
    for p in plans:
        assert set(p["breaks"]) <= set(round7.STYLE_BREAKS[p["style"]])
        assert (p["exercise"] == "supine") == (p["style"] == "strap_pumps")
        if p["vendor"]:
            assert (p["family"], p["rate_hz"]) == ("witmotion", 100.0)
        else:
            assert p["family"] in round7.round6.RATE_FAMILIES[p["rate_hz"]]
        assert (p["recording"] == "table") == ("table" in p)


@pytest.mark.parametrize("offset", range(0, 10, 2))
def test_a_correct_session_of_each_style_breaks_no_gating_rule(offset):
    s, plan = _session(SEED + 10 + offset)
    assert not plan["breaks"]
    # at most a passing touch while sitting down or standing up (shorter than the 1-s dwell)
    assert all(v < 1.0 for v in _breaches_when_engaged(s, plan["exercise"]).values())


def test_on_odd_seeds_every_scripted_break_passes_its_edge():
    for seed in range(SEED + 1, SEED + 10, 2):
        s, plan = _session(seed)
        onsets = compare.scripted_onsets(_truth(s), s.events, s.person.side, plan["exercise"])
        assert onsets, seed
        assert all(b["onset_s"] is not None for b in onsets), seed


def test_the_chair_stretch_keeps_the_other_knee_bent_and_the_stretched_one_soft():
    s, plan = _session(SEED)
    assert plan["style"] == "chair"
    side, other = s.person.side, "left" if s.person.side == "right" else "right"
    for hold in _between(s, "hold_start", "hold_end"):
        assert np.all(np.abs(s.truth[f"{other}_knee_flexion_deg"][hold] - 90.0) < 15.0)
        assert np.all(s.truth[f"{side}_knee_flexion_deg"][hold] > 4.0)
        assert np.all(s.truth[f"{side}_knee_flexion_deg"][hold] < 25.0)
        assert np.all(s.truth[f"{side}_hip_flexion_deg"][hold] > 70.0)


def test_the_step_bends_the_standing_knee_and_the_lower_heel_needs_a_lean():
    s, plan = _session(SEED + 1)
    assert plan["style"] == "step"
    assert 0.12 <= plan["step_m"] <= 0.22
    other = "left" if s.person.side == "right" else "right"
    for hold in _between(s, "hold_start", "hold_end"):
        knee = s.truth[f"{other}_knee_flexion_deg"][hold]
        assert np.median(knee) == pytest.approx(plan["stand_knee_deg"], abs=3.0)
    p = round7.draw_person(SEED + 1)
    low = round7.step_pose(p, np.random.default_rng(0))
    assert low["support_incl_deg"] < 55.0
    assert low["lean_deg"] >= 8.0


def test_the_ankle_pumps_stay_short_of_neutral_in_the_raised_leg():
    s, plan = _session(SEED + 2)
    assert plan["style"] == "strap_pumps"
    ankle = s.truth[f"{s.person.side}_ankle_dorsiflexion_deg"]
    for pumps in _between(s, "pumps_start", "pumps_end"):
        assert np.ptp(ankle[pumps]) > 15.0
        assert ankle[pumps].max() < -2.0
        assert np.all(s.truth[f"{s.person.side}_hip_flexion_deg"][pumps] > 40.0)


@pytest.mark.parametrize("tensioner", [True, False])
def test_neck_and_ankle_move_together_in_a_tensioner_and_against_in_a_slider(tensioner):
    from bench.stranger.script import Script

    sc = Script({"neck": 2.0, "ankle_r": -20.0})
    round7.neural_cycles(sc, np.random.default_rng(3), "ankle_r", tensioner)
    t = np.arange(0.0, sc.t_s, 0.01)
    ch = sc.sample(t)
    r = np.corrcoef(ch["neck"], ch["ankle_r"])[0, 1]
    assert (r > 0.8) if tensioner else (r < -0.8)
    assert ch["neck"].max() <= round7.NECK_PEAK_DEG[1]
    assert ch["ankle_r"].max() <= round7.PUMP_PEAK_DEG[1]
    assert sc.events[0]["mode"] == ("tensioner" if tensioner else "slider")


def test_the_swap_stretches_the_other_leg_between_the_exercised_legs_holds():
    s, plan = _session(SEED + 4)
    assert plan["style"] == "swap"
    side, other = s.person.side, "left" if s.person.side == "right" else "right"
    for span in _between(s, "other_leg_start", "other_leg_end"):
        assert np.median(s.truth[f"{other}_hip_flexion_deg"][span]) > 45.0
        assert np.median(s.truth[f"{side}_hip_flexion_deg"][span]) < 45.0
    assert compare.truth_engaged(_truth(s), side, "standing").any()


def test_a_sensor_on_the_table_lies_still_then_is_carried_to_its_strap():
    t = np.arange(0.0, 20.0, 0.01)
    body = Rotation.from_euler("xz", np.column_stack([np.full(t.size, 80.0), 10 * np.sin(t)]), True)
    p = np.column_stack([np.zeros(t.size), np.zeros(t.size), np.full(t.size, 0.9)])
    table = {"until_s": 5.0, "pickup_s": 3.0, "yaw_deg": 40.0, "face_down": True}
    r, pos = on_table_first(t, body, p, {**table, "offset_m": [0.4, 0.0, -0.1]})
    before, after = t < 5.0, t > 8.0
    assert np.allclose(r[before].as_quat(), r[0].as_quat())
    assert r[0].apply([0, 0, 1])[2] == pytest.approx(-1.0)  # on its face
    assert np.allclose((r[after].inv() * body[after]).magnitude(), 0.0, atol=1e-9)
    assert np.allclose(pos[before], [0.4, 0.0, 0.8])
    assert np.allclose(pos[after], p[after])
    assert np.all(np.diff((r[:-1].inv() * r[1:]).magnitude()) < 0.01)  # no jump


def test_a_table_plan_leaves_its_sensor_still_before_the_person_stands():
    seed = next(s for s in range(SEED, SEED + 40) if round7.round7_plan(s, 1.0).get("table"))
    plan = round7.round7_plan(seed, 1.0)
    place = next(iter(round7.table_device(plan, round7.draw_person(seed).side)))
    s, _ = _session(seed, (place,))
    sd = s.sensors[place]
    still = sd.t_s < plan["table"]["until_s"] - 0.1
    assert np.ptp(sd.acc_m_s2[still], axis=0).max() < 1.0  # noise only
    (ev,) = [e for e in s.events if e["kind"] == "on_table"]
    strapped = next(e["t_s"] for e in s.events if e["kind"] == "strapped")
    stand_end = next(e["t_s"] for e in s.events if e["kind"] == "stand_end")
    assert ev["end_s"] < strapped < stand_end


def test_a_gap_lies_in_a_hold_on_any_sensor_of_the_nine():
    seed = next(s for s in range(SEED, SEED + 40) if round7.round7_plan(s, 1.0).get("gap"))
    s, _ = _session(seed)
    (gap,) = [e for e in s.events if e["kind"] == "dropout"]
    from bench.stranger import body

    assert gap["sensor"] in body.SEGMENTS
    assert 1.0 <= gap["end_s"] - gap["t_s"] <= 20.0
    holds = compare.truth_holds(_truth(s), s.person.side, "standing", set())
    assert any(a <= gap["t_s"] and gap["end_s"] <= b for a, b in holds)


def test_ble_stamps_rise_come_after_the_sample_and_bunch_after_a_late_event():
    t = 0.013 + np.arange(2000) / 100.0
    ble = {"interval_s": 0.015, "per_packet": 3, "retry_p": 0.05}
    st = round7.ble_stamps(t, 100.0, ble, np.random.default_rng(1))
    assert np.all(np.diff(st) > 0)
    assert np.all(st >= t - 1e-6)
    lag = st - t
    on_time = round7.ble_stamps(t, 100.0, {**ble, "retry_p": 0.0}, np.random.default_rng(1))
    assert lag.max() > (on_time - t).max() + 0.005  # some retried notifications
    assert np.median(lag) < 0.03
    assert np.mean(np.diff(st)) == pytest.approx(0.01, rel=0.01)
    assert np.diff(st).min() < 0.009  # bunched behind a late one


@pytest.mark.parametrize("per_packet", [1, 4])
def test_ble_stamps_of_notifications_sharing_an_event_do_not_collide(per_packet):
    t = 0.002 + np.arange(4000) / 200.0  # 200 Hz, 30-ms events: several notifications each
    ble = {"interval_s": 0.030, "per_packet": per_packet, "retry_p": 0.05}
    st = round7.ble_stamps(t, 200.0, ble, np.random.default_rng(2))
    assert np.diff(st).min() >= 9e-4
    assert np.mean(np.diff(st)) == pytest.approx(0.005, rel=0.01)
    assert np.all(st >= t - 1e-6)


def test_the_witmotion_file_can_be_written_with_tabs(tmp_path):
    from sensors.formats.detect import detect_format

    s, _ = _session(SEED + 3, ("pelvis",))
    mapping, _ = writers.write_witmotion(
        s, ("pelvis",), tmp_path / "w.txt", start_epoch_s=1.76e9, sep="\t"
    )
    head = (tmp_path / "w.txt").read_text(encoding="utf-8").splitlines()[:2]
    assert "," not in head[0]
    assert head[0].startswith("Time\tDevice name\t")
    assert head[1].count("\t") == head[0].count("\t")
    assert detect_format(tmp_path / "w.txt") == "witmotion"
    assert list(mapping.values()) == ["pelvis"]


def test_a_gap_in_the_other_legs_sensor_does_not_break_the_truths_hold():
    ev = [
        {"kind": "dropout", "sensor": "left_shank", "t_s": 1.0, "end_s": 2.0},
        {"kind": "dropout", "sensor": "trunk", "t_s": 3.0, "end_s": 4.0},
        {"kind": "dropout", "sensor": "right_foot", "t_s": 5.0, "end_s": 6.0},
        {"kind": "hold_start", "t_s": 0.0},
    ]
    full = ("pelvis", "trunk", "head", "right_shank", "left_shank", "right_foot")
    assert [e["sensor"] for e in compare.hold_gaps(ev, full, "right")] == ["trunk", "right_foot"]
    assert [e["sensor"] for e in compare.hold_gaps(ev, full, "left")] == ["left_shank", "trunk"]
    assert compare.hold_gaps(ev, ("right_shank",), "right") == []
