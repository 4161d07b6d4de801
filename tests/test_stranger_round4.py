"""The stranger's round 4 (bench/stranger/round4.py): deterministic per seed, and the truth
agrees with what is written (the test's marks, a slipped strap, a dropout, drifting clocks)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from bench.stranger import compare, round4, writers
from bench.stranger.session import generate

SEED = 1900  # diff_test; 1901 low_step, 1902 door_frame, 1903 strap_slip, 1904 dropout


def _integrate(t_s: np.ndarray, gyr_rad_s: np.ndarray, r0: Rotation) -> Rotation:
    """Body-frame gyro integration, midpoint rate per step."""
    mid = 0.5 * (gyr_rad_s[1:] + gyr_rad_s[:-1]) * np.diff(t_s)[:, None]
    out = [r0]
    for step in Rotation.from_rotvec(mid):
        out.append(out[-1] * step)
    return Rotation.concatenate(out)


def test_plans_are_deterministic_and_cycle_through_the_styles():
    plans = [round4.round4_plan(s, None) for s in range(SEED, SEED + 10)]
    assert [p["style"] for p in plans] == list(round4.STYLES) * 2
    assert plans == [round4.round4_plan(s, None) for s in range(SEED, SEED + 10)]
    assert all(
        bool(p["breaks"]) == bool(s % 2) for s, p in zip(range(SEED, SEED + 10), plans, strict=True)
    )
    assert plans[2]["exercise"] == "supine"
    assert plans[2]["duration_s"] == 120.0
    assert all(50.0 <= abs(ppm) <= 200.0 for _, ppm in plans[4]["clocks"])


def _test_session(test: dict):
    plan = {**round4.round4_plan(SEED, 1.0), "test": test}
    kw = round4.generate_kwargs(plan, SEED)
    return generate(SEED, ideal=True, placements=(), **kw), plan


@pytest.mark.parametrize(
    "test",
    [
        {"movement": "ankle", "marked": True, "hip_moves": False, "answer": "more"},
        {"movement": "neck", "marked": True, "hip_moves": True, "answer": "same"},
        {"movement": "ankle", "marked": False, "hip_moves": False, "answer": "less"},
    ],
)
def test_the_nerve_or_muscle_test_moves_the_remote_joint_between_its_marks(test):
    s, _ = _test_session(test)
    side = s.person.side
    start = next(e for e in s.events if e["kind"] == "diff_start")
    end = next(e for e in s.events if e["kind"] == "diff_end")
    hold = next(e["t_s"] for e in s.events if e["kind"] == "hold_start")
    assert hold < start["t_s"] < end["t_s"]
    win = (s.truth_t_s >= start["t_s"]) & (s.truth_t_s <= end["t_s"])
    col = "neck_flexion_deg" if test["movement"] == "neck" else f"{side}_ankle_dorsiflexion_deg"
    remote = s.truth[col]
    assert np.ptp(remote[win]) >= 15.0
    assert remote[win].max() > (25.0 if test["movement"] == "neck" else 8.0)  # past the edge
    before = (s.truth_t_s > hold) & (s.truth_t_s < start["t_s"])
    assert np.ptp(remote[before]) < 2.0  # still before the test: it is all between the marks
    hip = s.truth[f"{side}_hip_flexion_deg"][win]
    shift = np.abs(hip - hip[0]).max()
    assert (8.0 <= shift <= 12.5) if test["hip_moves"] else shift < 2.0
    marks = round4.markers(s.events)
    breaks = [e for e in s.events if e["kind"].startswith("break_")]
    if test["marked"]:
        assert [m["kind"] for m in marks] == ["diff_start", "diff_end"]
        assert marks[0]["label"] == f"{test['movement']} test"
        assert marks[1]["answer"] == test["answer"]
        assert not breaks
    else:  # done unmarked: a scripted excursion past the ankle's edge, scored as a break
        assert marks == []
        assert [(e["kind"], e["rule"]) for e in breaks] == [
            ("break_start", "ankle_dorsiflexion"),
            ("break_end", "ankle_dorsiflexion"),
        ]


def test_the_marks_go_into_the_sidecar_and_the_tests_are_judged_from_the_truth(tmp_path):
    s, _ = _test_session(
        {"movement": "ankle", "marked": True, "hip_moves": False, "answer": "more"}
    )
    csv = tmp_path / "x.csv"
    csv.write_text("t_s\n")
    writers.write_sidecar(csv, round4.markers(s.events))
    meta = json.loads(csv.with_suffix(".json").read_text())
    assert meta["format"] == "stretchguard-session/1"
    assert [m["kind"] for m in meta["markers"]] == ["diff_start", "diff_end"]
    truth = pd.DataFrame({"t_s": s.truth_t_s, **s.truth})
    a, b = (m["t_s"] for m in meta["markers"])
    ep = {"start_s": a + 1.0, "end_s": a + 2.0}
    diff = {"start_s": a, "end_s": b, "remote_change_deg": 20.0, "valid": True}
    rules = [{"rule": "ankle_dorsiflexion", "status": "violated", "episodes": [ep]}]
    env = {"rules": rules, "differentiation": [diff]}
    (t,) = compare.judge_tests(env, truth, s.events, s.person.side)
    assert t["found"]
    assert t["truth_valid"]
    assert t["as_violation"] == [a + 1.0]
    rules = [{"rule": "ankle_dorsiflexion", "status": "ok", "episodes": [], "test_episodes": [ep]}]
    env = {"rules": rules}
    (t,) = compare.judge_tests(env, truth, s.events, s.person.side)
    assert not t["found"]
    assert t["as_violation"] == []


def test_a_slipped_strap_turns_the_sensor_round_its_segment_and_not_the_truth():
    seed = SEED + 3
    plan = round4.round4_plan(seed, None)
    kw = {**round4.generate_kwargs(plan, seed), "duration_s": 60.0, "ideal": True}
    side = generate(seed, placements=(), **kw).person.side
    seg = f"{side}_thigh"
    slip = {seg: {"t0_s": 45.0, "ramp_s": 0.3, "deg": -15.0}}
    plain = generate(seed, placements=(seg,), **kw)
    slipped = generate(seed, placements=(seg,), **{**kw, "devices": {"slip": slip}})
    for k, v in plain.truth.items():
        np.testing.assert_array_equal(v, slipped.truth[k])
    a, b = plain.sensors[seg], slipped.sensors[seg]
    turn = np.degrees((a.r_e_s.inv() * b.r_e_s).magnitude())
    assert turn[a.t_s < 45.0].max() < 1e-6
    np.testing.assert_allclose(turn[a.t_s > 45.4], 15.0, atol=1e-6)
    # about the thigh's long axis: the segment's y, seen in the sensor's frame
    rel = (a.r_e_s.inv() * b.r_e_s)[a.t_s > 45.4].as_rotvec()
    y_s = a.strap.r_seg_s.inv().apply([0.0, 1.0, 0.0])
    np.testing.assert_allclose(rel / np.radians(-15.0), np.tile(y_s, (len(rel), 1)), atol=0.05)
    keep = (b.t_s > 40.0) & (b.t_s < 55.0)  # the gyroscope follows the knock
    est = _integrate(b.t_s[keep], b.gyr_rad_s[keep], b.r_e_s[keep][0])
    assert np.degrees((est.inv() * b.r_e_s[keep]).magnitude()).max() < 0.5


def test_a_dropout_and_drifting_clocks_are_written_as_planned(tmp_path):
    s = generate(SEED + 4, duration_s=60.0, ideal=True, placements=("pelvis", "right_foot"))
    gaps = {"right_foot": (30.0, 41.5)}
    clocks = {"pelvis": (0.02, 150.0), "right_foot": (0.0, -80.0)}
    path = writers.write_canonical(
        s, ("pelvis", "right_foot"), tmp_path / "d.csv", gaps=gaps, clocks=clocks
    )
    df = pd.read_csv(path)
    assert (np.diff(df["t_s"]) >= 0).all()
    foot = df[df["sensor"] == "right_foot"]
    t_true = s.sensors["right_foot"].t_s
    kept = (t_true < 30.0) | (t_true >= 41.5)
    np.testing.assert_allclose(foot["t_s"], np.round(t_true[kept] * (1 - 80e-6), 6), atol=2e-6)
    np.testing.assert_array_equal(foot["device_ticks"], np.flatnonzero(kept))
    pelvis = df[df["sensor"] == "pelvis"]
    t_p = s.sensors["pelvis"].t_s
    assert len(pelvis) == len(t_p)
    np.testing.assert_allclose(pelvis["t_s"], 0.02 + t_p * (1 + 150e-6), atol=2e-6)


def test_a_dropout_lies_inside_the_longest_hold_and_breaks_the_truth_hold():
    seed = SEED + 4
    plan = round4.round4_plan(seed, None)
    s = round4.generate_session(seed, plan, ())
    (d,) = [e for e in s.events if e["kind"] == "dropout"]
    assert 2.0 <= d["end_s"] - d["t_s"] <= 20.0
    truth = pd.DataFrame({"t_s": s.truth_t_s, **s.truth})
    holds = compare.truth_holds(truth, s.person.side, "standing", set())
    assert any(a < d["t_s"] and d["end_s"] < b for a, b in holds)
    split = compare.truth_holds(
        truth, s.person.side, "standing", set(), gaps=[(d["t_s"], d["end_s"])]
    )
    assert len(split) == len(holds) + 1
    assert not any(a < d["t_s"] + 0.5 < b for a, b in split)


def test_low_step_and_door_frame_change_the_person():
    from bench.stranger.person import draw_person

    low = round4.round4_plan(SEED + 1, None)
    ch = round4.person_changes(low, draw_person(SEED + 1), SEED + 1)
    assert 40.0 <= ch["support_incl_deg"] <= 55.0
    door = round4.round4_plan(SEED + 2, None)
    p = draw_person(SEED + 2)
    ch = round4.person_changes(door, p, SEED + 2)
    assert 60.0 <= ch["hold_s"] <= 120.0
    assert ch["n_stretches"] == 1
    s = generate(SEED + 2, placements=(), ideal=True, **round4.generate_kwargs(door, SEED + 2))
    hold = [e["t_s"] for e in s.events if e["kind"] in ("hold_start", "hold_end")]
    assert len(hold) == 2
    assert 54.0 <= hold[1] - hold[0] <= 132.0
    lying = (s.truth_t_s > hold[0]) & (s.truth_t_s < hold[1])
    assert s.truth["pelvis_anterior_tilt_deg"][lying].max() < -60.0
    assert s.truth[f"{p.side}_hip_flexion_deg"][lying].min() > 40.0  # the supine engagement
    assert dataclasses.replace(p, **ch).fidget == pytest.approx(p.fidget * 0.5)


def test_a_break_inside_a_dropout_of_a_sensor_its_rule_needs_is_in_gap_not_missed():
    from bench.stranger.summary import failures

    drop = [{"kind": "dropout", "sensor": "left_thigh", "t_s": 62.6, "end_s": 81.9}]
    foot = [{"kind": "dropout", "sensor": "left_foot", "t_s": 62.6, "end_s": 81.9}]
    b = {"rule": "hip_internal_rotation", "onset_s": 70.2, "verdict": "missed", "est_starts": []}
    (x,) = compare.breaks_in_gaps([b], drop)
    assert x["verdict"] == "in_gap"  # the thigh out: the hip is neither engaged nor measured
    (y,) = compare.breaks_in_gaps([b], foot)
    assert y["verdict"] == "missed"  # the foot out does not hide the hip's rotation
    (z,) = compare.breaks_in_gaps([{**b, "onset_s": 85.0}], drop)
    assert z["verdict"] == "missed"
    res = {"cli": {"rc": 0, "stderr": ""}, "rmse_deg": {}, "scripted": [x], "false": []}
    assert failures([{"seed": 1929, "side": "left", "sets": {"default": res}}]) == []
