"""The stranger's round 6 (bench/stranger/round6.py): deterministic per seed, and each style's
truth does what the style says (the floor sit sits with soft knees, the heel's height sets the
thigh, the fold and the hinge keep the feet flat and the ankle pointed, contract–relax pushes
down then goes further), a correct session breaks no rule, and the people, rates and straps
are what the plan draws."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from bench.stranger import compare, round6
from bench.stranger.person import draw_person
from bench.stranger.script import Script

SEED = 1310  # long_sit; +1 high_heel, +2 fold, +3 hinge, +4 pnf, +5 long_sit …; odd seeds break
GATING = ("ankle_dorsiflexion", "knee_flexion", "lumbar_flexion", "neck_flexion")


@functools.cache
def _session(seed: int, placements: tuple[str, ...] = ()):
    plan = round6.round6_plan(seed, 1.0)
    return round6.generate_session(seed, plan, placements), plan


def _truth(s) -> pd.DataFrame:
    return pd.DataFrame({"t_s": s.truth_t_s, **s.truth})


def _holds(s) -> list[np.ndarray]:
    a = [e["t_s"] for e in s.events if e["kind"] == "hold_start"]
    b = [e["t_s"] for e in s.events if e["kind"] == "hold_end"]
    return [(s.truth_t_s >= x) & (s.truth_t_s <= y) for x, y in zip(a, b, strict=True)]


def _breaches_when_engaged(s, exercise: str, rules=GATING) -> dict[str, float]:
    """Seconds of the documented latch's breach, engaged, after the protocol's movements."""
    truth, side = _truth(s), s.person.side
    t_mov = next(e["t_s"] for e in s.events if e["kind"] == "movements_end")
    eng = compare.truth_engaged(truth, side, exercise) & (truth["t_s"] > t_mov).to_numpy()
    out = {}
    for rule in rules:
        col = truth[compare.column_for(rule, side)].to_numpy()
        out[rule] = float((compare.truth_breach(col, rule, exercise, 100) & eng).sum() / 100)
    return out


def test_plans_are_deterministic_cycle_through_styles_and_break_only_on_odd_seeds():
    plans = [round6.round6_plan(s, None) for s in range(SEED, SEED + 10)]
    assert plans == [round6.round6_plan(s, None) for s in range(SEED, SEED + 10)]
    assert [p["style"] for p in plans] == list(round6.STYLES) * 2
    assert [p["exercise"] for p in plans[:5]] == ["standing"] * 4 + ["supine"]
    assert all(not p["breaks"] for p in plans[::2])
    assert all(2 <= len(p["breaks"]) <= 6 for p in plans[1::2])
    for p in plans:
        assert p["family"] in round6.RATE_FAMILIES[p["rate_hz"]]
        assert p["mount"]["thigh"] in ("lateral", "anterior")
        assert set(p["breaks"]) <= set(round6.STYLE_BREAKS[p["style"]])


def test_the_heel_higher_up_raises_the_thigh_and_at_hip_height_it_is_level():
    incl = [round6.heel_thigh_incl_deg(h, 0.43, 0.43, 20.0) for h in (0.4, 0.6, 0.9)]
    assert incl == sorted(incl)
    assert 50.0 < incl[0] < 70.0
    assert round6.heel_thigh_incl_deg(0.93, 0.43, 0.43, 0.0) == pytest.approx(90.0, abs=0.5)


@pytest.mark.parametrize("t0_s", [0.0, 1000.0])
def test_the_tremor_overlay_shakes_its_channels_at_its_frequency_only(t0_s):
    t = t0_s + np.arange(0.0, 20.0, 1.0 / 400.0)
    overlay = round6.tremor(5.0, 0.2, ("knee_r",), np.random.default_rng(0))
    ch = {"knee_r": np.full(t.shape, 15.0), "incl_r": np.full(t.shape, 60.0)}
    overlay(t, ch)
    assert 0.3 < np.ptp(ch["knee_r"]) < 0.5
    assert np.ptp(ch["incl_r"]) == 0.0
    spec = np.abs(np.fft.rfft(ch["knee_r"] - 15.0))
    freq_hz = np.fft.rfftfreq(len(t), 1.0 / 400.0)
    assert 4.5 < freq_hz[np.argmax(spec)] < 5.5
    assert spec[freq_hz > 7.0].max() < 0.05 * spec.max()  # no sweep up late in a session


def test_the_people_are_drawn_widely():
    p = draw_person(SEED)
    tall = round6.person_changes({"kind": "tall", "style": "fold"}, p, SEED)
    assert 1.95 <= tall["height_m"] <= 2.05
    assert tall["thigh_m"] / p.thigh_m == pytest.approx(tall["height_m"] / p.height_m)
    old = round6.person_changes({"kind": "elderly", "style": "fold"}, p, SEED)
    assert old["speed"] <= 0.6
    quick = round6.person_changes({"kind": "quick", "style": "fold"}, p, SEED)
    assert quick["speed"] >= 1.7
    assert quick["sloppiness"] >= 0.85


def test_the_long_sit_sits_on_the_floor_with_soft_knees_and_breaks_nothing():
    s, plan = _session(SEED)
    assert plan["style"] == "long_sit"
    assert not plan["breaks"]
    side = s.person.side
    for hold in _holds(s):
        assert s.truth[f"{side}_hip_flexion_deg"][hold].min() > 65.0
        assert s.truth[f"{side}_knee_flexion_deg"][hold].min() > 10.0
        assert s.truth["pelvis_anterior_tilt_deg"][hold].min() > -3.0
    assert not any(_breaches_when_engaged(s, "standing").values())


def test_a_higher_heel_for_a_flexible_person_raises_the_thigh_past_horizontal():
    p = draw_person(SEED + 1)
    plan = {"flex": 1.0}
    rng = np.random.default_rng(0)
    pose = round6.high_heel_pose(plan, p, rng)
    assert 0.4 <= pose["heel_m"] <= 0.9
    assert pose["support_incl_deg"] + pose["lean_deg"] <= 75.0 + 45.0 + 1e-9
    stiff = round6.high_heel_pose({"flex": 0.0}, p, np.random.default_rng(0))
    assert stiff["support_incl_deg"] + stiff["lean_deg"] <= 75.0 + 1e-9
    assert stiff["lean_deg"] >= 2.0


@pytest.mark.parametrize("seed", [SEED + 2, SEED + 8])
def test_the_fold_and_the_hinge_keep_the_feet_flat_and_the_ankle_pointed(seed):
    s, plan = _session(seed)
    assert plan["style"] in ("fold", "hinge")
    assert not plan["breaks"]
    side, other = s.person.side, "left" if s.person.side == "right" else "right"
    for hold in _holds(s):
        assert s.truth[f"{side}_ankle_dorsiflexion_deg"][hold].max() < -1.0
        assert s.truth[f"{side}_knee_flexion_deg"][hold].min() > 10.0
        assert s.truth[f"{side}_hip_flexion_deg"][hold].min() > 50.0
        if plan["style"] == "hinge":  # the other leg a step back
            assert s.truth[f"{other}_hip_flexion_deg"][hold].max() < 0.8 * (
                s.truth[f"{side}_hip_flexion_deg"][hold].min()
            )
    assert not any(_breaches_when_engaged(s, "standing").values())


def test_contract_relax_pushes_down_then_the_partner_takes_the_leg_further():
    s, plan = _session(SEED + 4)
    assert plan["exercise"] == "supine"
    assert not plan["breaks"]
    side = s.person.side
    hip, t = s.truth[f"{side}_hip_flexion_deg"], s.truth_t_s
    starts = [e["t_s"] for e in s.events if e["kind"] == "contract_start"]
    pushes = [e["t_s"] for e in s.events if e["kind"] == "partner_push"]
    assert len(starts) == len(pushes) >= 2
    for a, b in zip(starts, pushes, strict=True):
        before = hip[(t > a - 1.0) & (t < a)].mean()
        during = hip[(t > a + 1.5) & (t < a + 3.5)].mean()
        after = hip[(t > b + 4.5) & (t < b + 7.5)].mean()
        assert 0.5 < before - during < 4.0  # the push down into the hand gives a little
        assert 3.0 < after - before < 10.0  # then the partner takes it further
    assert s.truth["pelvis_anterior_tilt_deg"].min() > -100.0
    rules = (*GATING, "pelvis_anterior_tilt")
    assert not any(_breaches_when_engaged(s, "supine", rules).values())


def test_on_odd_seeds_every_scripted_break_passes_its_edge():
    for seed in range(SEED + 1, SEED + 10, 2):
        s, plan = _session(seed)
        onsets = compare.scripted_onsets(_truth(s), s.events, s.person.side, plan["exercise"])
        assert onsets, seed
        assert all(b["onset_s"] is not None for b in onsets), seed


def test_the_sensors_run_at_the_plans_rate_strapped_where_it_says():
    s0, plan = _session(SEED)
    side = s0.person.side
    s, _ = _session(SEED, (f"{side}_thigh",))
    sensor = s.sensors[f"{side}_thigh"]
    assert sensor.rate_hz == plan["rate_hz"]
    assert np.median(np.diff(sensor.t_s)) == pytest.approx(1.0 / plan["rate_hz"], rel=1e-3)
    site = sensor.strap.site_m
    if plan["mount"]["thigh"] == "lateral":  # on the side: off the thigh's front
        assert abs(site[2]) > abs(site[0])
    else:
        assert abs(site[0]) > abs(site[2])


def test_a_script_overlay_is_sampled():
    sc = Script({})
    sc.overlays.append(round6.tremor(6.0, 0.3, ("neck",), np.random.default_rng(1)))
    sc.hold(2.0)
    assert np.ptp(sc.sample(np.arange(0.0, 2.0, 0.0025))["neck"]) > 0.5


def test_a_thigh_past_the_vertical_lying_stays_one_truth_hold():
    """The truth's thigh inclination wraps at 180°; the thigh-only engagement angle does not."""
    t = np.arange(0.0, 40.0, 0.01)
    incl = 170.0 + 15.0 * np.clip((t - 10.0) / 10.0, 0.0, 1.0)  # 170° -> 185°, 1.5 °/s
    truth = pd.DataFrame(
        {
            "t_s": t,
            "left_thigh_inclination_deg": (incl + 180.0) % 360.0 - 180.0,
            "left_knee_flexion_deg": np.full(t.shape, 15.0),
        }
    )
    ang = compare.engagement_angle(truth, "left", "supine", thigh=True)
    np.testing.assert_allclose(ang, incl, atol=1e-9)
    assert compare.truth_holds(truth, "left", "supine", set(), thigh=True) == [(0.0, 39.99)]
