"""The stranger's round 5 (bench/stranger/round5.py): deterministic per seed, and each style's
truth does what the style says (the glides move the ankle, the slump test slumps, the towel
pulls split the holds, a cough does not, a re-strap turns the sensor and not the truth), and
the vendor files' clocks are written as planned."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from scipy.signal import find_peaks

from bench.stranger import compare, round5, writers

SEED = 2100  # glide (slider); 2101 slump, 2102 towel, 2103 interrupt, 2104 restrap


@functools.cache
def _session(seed: int, placements: tuple[str, ...] = (), restrap_deg: float | None = None):
    plan = round5.round5_plan(seed, 1.0)
    if restrap_deg is not None:
        plan = {**plan, "restrap": {**plan["restrap"], "deg": restrap_deg}}
    return round5.generate_session(seed, plan, placements), plan


def _truth(s) -> pd.DataFrame:
    return pd.DataFrame({"t_s": s.truth_t_s, **s.truth})


def _between(s, start: str, end: str) -> list[np.ndarray]:
    """Boolean masks of the truth's time between each ``start`` event and its ``end``."""
    a = [e["t_s"] for e in s.events if e["kind"] == start]
    b = [e["t_s"] for e in s.events if e["kind"] == end]
    return [(s.truth_t_s >= x) & (s.truth_t_s <= y) for x, y in zip(a, b, strict=True)]


def test_plans_are_deterministic_and_cycle_through_styles_and_vendors():
    plans = [round5.round5_plan(s, None) for s in range(SEED, SEED + 10)]
    assert [p["style"] for p in plans] == list(round5.STYLES) * 2
    assert plans == [round5.round5_plan(s, None) for s in range(SEED, SEED + 10)]
    assert [p["vendor"] for p in plans] == ["movella_dot"] * 5 + ["metabase"] * 5
    assert [p["exercise"] for p in plans[:5]] == ["standing", "seated", "supine"] + ["standing"] * 2
    assert plans[0]["glide"]["kind"] == "slider"
    assert plans[5]["glide"]["kind"] == "tensioner"
    assert plans[1]["breaks"]
    assert plans[6]["breaks"]
    assert all(30.0 <= abs(p["restrap"]["deg"]) <= 90.0 for p in (plans[4], plans[9]))
    assert plans[4]["duration_s"] >= 180.0


def test_a_slider_pumps_the_ankle_short_of_its_edge_with_the_knee_bending():
    s, _ = _session(SEED)
    side = s.person.side
    ankle, knee = s.truth[f"{side}_ankle_dorsiflexion_deg"], s.truth[f"{side}_knee_flexion_deg"]
    hip = s.truth[f"{side}_hip_flexion_deg"]
    (glide,) = _between(s, "glide_start", "glide_end")
    peaks, _ = find_peaks(ankle[glide], prominence=8.0)
    assert 6 <= len(peaks) <= 10  # the ankle really moves, every repetition
    assert ankle[glide].max() < -1.0  # never past the standing edge (0°)
    assert knee[glide].min() > 10.0
    assert np.ptp(knee[glide]) > 8.0
    assert np.ptp(hip[glide]) < 3.0  # the hip stays: a glide, not a new stretch
    assert not [e for e in s.events if e["kind"] == "break_start"]


def test_a_tensioner_passes_the_ankle_and_knee_edges_every_repetition():
    s, plan = _session(SEED + 5)
    assert plan["glide"] == {"kind": "tensioner", "movement": "ankle"}
    onsets = compare.scripted_onsets(_truth(s), s.events, s.person.side)
    reps = [e for e in s.events if e["kind"] == "break_start"]
    assert len(onsets) == len(reps) >= 12
    assert {b["rule"] for b in onsets} == {"ankle_dorsiflexion", "knee_flexion"}
    assert all(b["onset_s"] is not None for b in onsets)  # every top is past the edge


def test_the_slump_test_slumps_nods_and_straightens_the_knee_while_sitting():
    s, plan = _session(SEED + 1)
    assert plan["exercise"] == "seated"
    truth = _truth(s)
    onsets = compare.scripted_onsets(truth, s.events, s.person.side, "seated")
    rules = [b["rule"] for b in onsets]
    assert rules[:2] == ["lumbar_flexion", "neck_flexion"]
    assert all(b["onset_s"] is not None for b in onsets)
    a, b = onsets[0]["start_s"], onsets[0]["end_s"]
    win = (s.truth_t_s >= a) & (s.truth_t_s <= b)
    side = s.person.side
    assert s.truth["lumbar_flexion_deg"][win].max() > 18.0
    assert s.truth["neck_flexion_deg"][win].max() > 28.0
    assert s.truth["neck_flexion_deg"][win].min() < 5.0  # looking up again inside the test
    assert s.truth[f"{side}_knee_flexion_deg"][win].min() < 27.0  # straightened from ~90°
    assert compare.truth_engaged(truth, side, "seated")[win].all()  # sitting throughout


@pytest.mark.parametrize("seed", [SEED + 2, SEED + 7])
def test_the_towel_pulls_split_the_truth_holds_and_on_the_ball_of_the_foot_lift_the_ankle(seed):
    s, plan = _session(seed)
    side = s.person.side
    truth = _truth(s)
    pulls = [e["t_s"] for e in s.events if e["kind"] == "pull_start"]
    assert pulls
    holds = compare.truth_holds(truth, side, "supine", set())
    for t in pulls:  # a pull is a movement: no truth hold runs through it
        assert not any(a < t + 0.9 < b for a, b in holds)
    hip = s.truth[f"{side}_hip_flexion_deg"]
    for t in pulls:
        before = hip[(s.truth_t_s > t - 1.0) & (s.truth_t_s < t)].mean()
        after = hip[(s.truth_t_s > t + 2.3) & (s.truth_t_s < t + 3.5)].mean()
        assert 6.0 < after - before < 14.0
    onsets = compare.scripted_onsets(truth, s.events, side, "supine")
    if plan["towel"]["ball_of_foot"]:
        assert len(onsets) == len(pulls)
        assert all(b["onset_s"] is not None for b in onsets)
    else:
        assert onsets == []
        (hold,) = _between(s, "hold_start", "hold_end")
        assert s.truth[f"{side}_ankle_dorsiflexion_deg"][hold].max() < -1.0


def test_a_cough_jerks_the_trunk_briefly_without_breaking_a_rule():
    s, plan = _session(SEED + 8)
    assert plan["interrupt"]["kind"] == "cough"
    truth, side = _truth(s), s.person.side
    (cough,) = _between(s, "cough_start", "cough_end")
    hip = s.truth[f"{side}_hip_flexion_deg"]
    assert np.ptp(hip[cough]) > 2.5  # the pelvis really jerks
    t = s.truth_t_s[cough]
    assert t[-1] - t[0] < 4.5  # a burst of 2–4 coughs
    holds = compare.truth_holds(truth, side, "standing", {"lumbar_flexion", "neck_flexion"})
    # the truth's hold goes on within the dwell of the last cough (split or bridged)
    assert any(a <= t[-1] + 1.5 and b > t[-1] + 5.0 for a, b in holds)
    assert any(a < t[0] - 3.0 and b >= t[0] - 0.5 for a, b in holds)
    for rule in ("lumbar_flexion", "neck_flexion"):
        breach = compare.truth_breach(
            truth[compare.column_for(rule, side)].to_numpy(), rule, "standing", 100
        )
        assert not breach[cough].any()


def test_a_phone_check_is_a_neck_break_and_the_pelvis_eases_back():
    s, plan = _session(SEED + 3)
    assert plan["interrupt"]["kind"] == "phone"
    truth, side = _truth(s), s.person.side
    phone = [
        b for b in compare.scripted_onsets(truth, s.events, side) if b["rule"] == "neck_flexion"
    ]
    assert phone
    assert all(b["onset_s"] is not None for b in phone)
    b = phone[-1]
    win = (s.truth_t_s >= b["start_s"]) & (s.truth_t_s <= b["end_s"])
    assert s.truth["neck_flexion_deg"][win].max() > 28.0
    tilt = s.truth["pelvis_anterior_tilt_deg"]
    before = tilt[(s.truth_t_s > b["start_s"] - 1.0) & (s.truth_t_s < b["start_s"])].mean()
    assert 1.5 < before - tilt[win].min() < 7.0


def test_a_restrap_turns_the_sensor_round_the_leg_in_the_break_and_not_the_truth():
    s0, plan = _session(SEED + 4)
    seg = f"{s0.person.side}_{plan['restrap']['segment']}"
    s, _ = _session(SEED + 4, (seg,))
    plain, _ = _session(SEED + 4, (seg,), restrap_deg=0.0)
    for k, v in plain.truth.items():
        np.testing.assert_array_equal(v, s.truth[k])
    (slip,) = [e for e in s.events if e["kind"] == "slip"]
    ends = [e["t_s"] for e in s.events if e["kind"] == "hold_end"]
    starts = [e["t_s"] for e in s.events if e["kind"] == "hold_start"]
    assert ends[0] < slip["t0_s"]
    assert slip["t0_s"] + slip["ramp_s"] < starts[1]
    a, b = plain.sensors[seg], s.sensors[seg]
    turn = np.degrees((a.r_e_s.inv() * b.r_e_s).magnitude())
    assert turn[a.t_s < slip["t0_s"]].max() < 1e-6
    after = a.t_s > slip["t0_s"] + slip["ramp_s"]
    np.testing.assert_allclose(turn[after], abs(plan["restrap"]["deg"]), atol=1e-6)
    rel = (a.r_e_s.inv() * b.r_e_s)[after].as_rotvec()
    y_s = a.strap.r_seg_s.inv().apply([0.0, 1.0, 0.0])  # round the segment's long axis
    np.testing.assert_allclose(
        rel / np.radians(plan["restrap"]["deg"]), np.tile(y_s, (len(rel), 1)), atol=0.05
    )


def test_streamed_metabase_stamps_jitter_but_never_repeat_or_go_back():
    t = 0.013 + np.arange(3000) / 100.0
    quirk = {"per_packet": 3, "latency_s": 0.02, "jitter_s": 0.005}
    st = round5.streamed_stamps(t, quirk, np.random.default_rng(0))
    d = np.diff(st)
    assert d.min() >= 0.001 - 1e-9  # strictly increasing, whole milliseconds
    np.testing.assert_allclose(st * 1000.0, np.round(st * 1000.0), atol=1e-6)
    assert np.std(d) > 0.001  # the rate seen in the stamps jitters
    lag = st - t
    assert 0.015 < lag.mean() < 0.03
    assert lag.max() < 0.04


def test_a_dot_clock_wraps_mid_session_as_planned(tmp_path):
    s, plan = _session(SEED, ("pelvis",))
    plan = {**plan, "quirk": {"wrap_at": 0.5, "loss": 0.0}}
    round5.vendor_job(s, SEED, plan, tmp_path, ("pelvis",))
    (f,) = (tmp_path / "dot").glob("*.csv")
    ticks = pd.read_csv(f, skiprows=11)["SampleTimeFine"].to_numpy(np.int64)
    back = np.flatnonzero(np.diff(ticks) < 0)
    assert len(back) == 1  # one wrap ...
    assert 0.45 < back[0] / len(ticks) < 0.55  # ... half-way
    unwrapped = np.concatenate([ticks[: back[0] + 1], ticks[back[0] + 1 :] + 2**32])
    np.testing.assert_allclose(np.diff(unwrapped), 1e6 / s.sensors["pelvis"].rate_hz, atol=60)
    assert writers.G_M_S2 > 9.8
