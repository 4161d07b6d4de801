"""The soft tissue under the thigh and shank sensors, turning them as the knee bends.

The stranger's seed 2151 (seated slump test): each sensor turned on its segment by 3 % of the
knee's flexion read a knee 3.7 % larger than the true one, 3.3° off at the seated 90°, a rigid
hinge nothing in the session tells from the true knee (``analysis.angles.tissue``). The knee's
predicted RMSE carries the tissue's share, and a rule on the knee is decided, while the knee is
bent far, only beyond the bound the tissue puts on it then.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from analysis.angles import pipeline
from analysis.angles.tissue import (
    COVERAGE_SIGMA,
    TARGET_DEG,
    TISSUE_REDO,
    TISSUE_SHARE_SD,
    knee_bent_deg,
    knee_tissue_precision,
    knee_tissue_timed,
    tissue_rmse_deg,
    tissue_sd_deg,
    tissue_timed_bound_deg,
    with_tissue_deg,
)
from analysis.envelope.checker import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.doubts import (
    TimedDoubt,
    bounded,
    decided_doubts,
    is_trace_only,
    precision_bound_deg,
    trace_bounded,
    trace_precision_deg,
)
from analysis.report.page import approximate_lines, unread_uncertain_lines
from tests.analysis.builders import min_jerk_step as step
from tests.analysis.test_envelope import standing_session

KNEE = "right_knee_flexion_deg"
STANDING = load_builtin_profile("standing_hamstring")


def test_the_tissue_sd_grows_with_the_bend_from_the_stand_both_ways():
    sd = tissue_sd_deg(np.array([0.0, 90.0, -10.0, np.nan]), share_sd=0.01)
    assert sd[0] == 0.0
    assert sd[1] == pytest.approx(math.sqrt(2.0) * 0.9)
    assert sd[2] == pytest.approx(math.sqrt(2.0) * 0.1)
    assert np.isnan(sd[3])


def test_the_tissue_rmse_is_the_root_mean_square_over_the_samples_read():
    knee = np.array([0.0, 90.0, np.nan])
    expected = math.sqrt(2.0) * TISSUE_SHARE_SD * math.sqrt((0.0 + 90.0**2) / 2.0)
    assert tissue_rmse_deg(knee) == pytest.approx(expected)
    assert tissue_rmse_deg(np.array([np.nan])) == 0.0


def test_independent_errors_add_in_quadrature():
    assert with_tissue_deg(0.3, 0.4) == pytest.approx(0.5)
    assert with_tissue_deg(None, 0.4) == pytest.approx(0.4)


def test_the_timed_bound_is_zero_where_the_knee_is_trusted_as_read():
    knee = np.array([5.0, 30.0, 90.0, np.nan])
    bound = tissue_timed_bound_deg(knee)
    assert bound[0] == 0.0
    assert bound[1] == 0.0
    assert bound[3] == 0.0
    assert bound[2] == pytest.approx(COVERAGE_SIGMA * math.sqrt(2.0) * TISSUE_SHARE_SD * 90.0)
    assert bound[2] > TARGET_DEG


def _t(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) * 0.1


def test_a_knee_bent_far_is_doubted_while_bent_only():
    knee = np.concatenate([np.zeros(200), np.full(800, 88.0)])  # stand, then seated
    timed = knee_tissue_timed(_t(knee.size), knee, "right")
    assert timed is not None
    bound = np.asarray(timed.bound_deg)
    assert np.all(bound[:200] == 0.0)
    assert np.all(bound[200:] > TARGET_DEG)
    assert "soft tissue" in timed.reason
    assert "20–100 s" in timed.reason


def test_a_knee_that_stays_near_straight_carries_no_tissue_doubt():
    knee = np.concatenate([np.zeros(500), np.full(500, 20.0)])
    assert knee_tissue_timed(_t(knee.size), knee, "right") is None


def _knee_drop(reads_deg: float, a: float = 25.0, b: float = 35.0) -> pd.DataFrame:
    """The standing session with the knee (18° while engaged) falling to ``reads_deg``."""
    df = standing_session()
    t = df["t_s"].to_numpy()
    drop = 18.0 - reads_deg
    df[KNEE] = df[KNEE].to_numpy() - step(t, a, a + 1.0, drop) + step(t, b, b + 1.0, drop)
    return df


def test_a_rule_on_the_knee_is_decided_beyond_the_tissue_bound_at_its_time():
    df = _knee_drop(2.0)  # 8° past the ≥ 10° edge while engaged (25–35 s)
    t = df["t_s"].to_numpy()
    past = np.where((t > 20.0) & (t < 40.0), 1.5, 0.0)  # the bound then: the break is beyond
    wide = np.where((t > 20.0) & (t < 40.0), 9.0, 0.0)  # a bound wider than the break
    rules = {}
    for name, bound in (("none", None), ("past", past), ("wide", wide)):
        timed = None
        if bound is not None:
            timed = {KNEE: TimedDoubt(bound_deg=bound, reason="bent far", redo="strap it")}
        res = check_envelope(df, STANDING, side="right", timed_doubts=timed)
        rules[name] = res.rule("knee_flexion")
    assert rules["none"].status == "violated"
    assert rules["past"].status == "violated"
    assert rules["wide"].status == "uncertain"


def test_the_pipeline_adds_the_tissue_to_each_knee_and_times_the_bent_one():
    t = _t(1000)
    seated = np.concatenate([np.zeros(200), np.full(800, 88.0)])
    angles = pd.DataFrame({"t_s": t, KNEE: seated, "left_knee_flexion_deg": np.zeros(1000)})
    predicted = {KNEE: 0.2, "left_knee_flexion_deg": 0.2}
    out, whole, timed = pipeline._tissue_knees(angles, predicted, ())
    assert out[KNEE] == pytest.approx(with_tissue_deg(0.2, tissue_rmse_deg(seated)))
    assert out["left_knee_flexion_deg"] == pytest.approx(0.2)
    assert set(timed) == {KNEE}
    assert set(whole) == {KNEE}
    assert is_trace_only(whole[KNEE])


def test_the_pipeline_keeps_a_doubted_knee_s_own_words():
    t = _t(1000)
    seated = np.concatenate([np.zeros(200), np.full(800, 88.0)])
    angles = pd.DataFrame({"t_s": t, KNEE: seated})
    _, whole, timed = pipeline._tissue_knees(angles, {KNEE: 0.2}, {KNEE})
    assert whole == {}
    assert set(timed) == {KNEE}  # its rules still decided on the per-time bound


# --- the trace's precision over the session (round 21) ---


def test_the_bend_for_much_of_the_session_is_its_90th_percentile():
    knee = np.concatenate([np.zeros(100), np.full(900, -80.0), [np.nan]])
    assert knee_bent_deg(knee) == pytest.approx(80.0)
    assert knee_bent_deg(np.array([np.nan])) == 0.0


def test_a_seated_knee_s_trace_is_measured_to_the_tissue_and_poses_together():
    knee = np.concatenate([np.zeros(200), np.full(800, 88.0)])
    entry = knee_tissue_precision(knee, 0.3, "right")
    assert entry is not None
    expected = COVERAGE_SIGMA * with_tissue_deg(0.3, tissue_rmse_deg(knee))
    assert entry.precision_deg == pytest.approx(expected)
    assert expected > TARGET_DEG
    assert is_trace_only(entry)
    assert entry["redo"] == TISSUE_REDO
    assert f"±{expected:.1f}°" in entry["reason"]
    assert "approximate at deep bends" in entry["reason"]
    assert "rule verdicts stand" in entry["reason"]


def test_a_knee_read_near_straight_has_no_trace_doubt():
    knee = np.concatenate([np.zeros(500), np.full(500, 40.0)])  # 3σ RMS 1.2°
    assert knee_tissue_precision(knee, 0.2, "right") is None


def test_the_poses_precision_alone_is_no_trace_doubt():
    knee = np.concatenate([np.zeros(500), np.full(500, 20.0)])
    assert knee_tissue_precision(knee, 0.9, "right") is None  # 3σ 2.7° from the poses


def test_the_mark_starts_where_the_tissue_s_own_3_sigma_rms_passes_the_target():
    edge_deg = TARGET_DEG / (COVERAGE_SIGMA * math.sqrt(2.0) * TISSUE_SHARE_SD)  # ≈ 47°
    assert knee_tissue_precision(np.full(100, edge_deg * 0.99), None, "left") is None
    assert knee_tissue_precision(np.full(100, edge_deg * 1.01), None, "left") is not None


def test_a_trace_only_entry_is_no_longer_one_once_other_words_join_it():
    entry = trace_bounded("bent far", "strap it", 2.5)
    assert is_trace_only(entry)
    assert precision_bound_deg(entry) == pytest.approx(2.5)
    joined = dataclasses.replace(entry, reason="bent far; the axis is undecided")
    assert not is_trace_only(joined)
    assert not is_trace_only(bounded("imprecise", "redo", 3.0))
    assert not is_trace_only({"reason": "bent far", "redo": "strap it"})
    assert not is_trace_only(None)


def test_the_decided_doubts_leave_the_trace_only_entries_out():
    other = bounded("imprecise", "redo", 3.0)
    given = {KNEE: trace_bounded("bent far", "strap it", 2.5), "x_deg": other}
    assert decided_doubts(given) == {"x_deg": other}
    assert decided_doubts(None) == {}
    assert trace_precision_deg(given) == {KNEE: pytest.approx(2.5)}


def _decisions(doc: dict) -> dict:
    """An ``envelope.json`` without what only reports the angles' doubts."""
    return {k: v for k, v in doc.items() if k not in ("uncertain_angles", "angle_precision")}


@pytest.mark.parametrize("reads_deg", [2.0, 9.5, 18.0])
@pytest.mark.parametrize("bound_deg", [0.0, 1.5, 9.0])
def test_a_trace_only_knee_changes_no_rule_verdict_episode_or_hold(reads_deg, bound_deg):
    df = _knee_drop(reads_deg)
    t = df["t_s"].to_numpy()
    timed = {KNEE: TimedDoubt(np.where((t > 20.0) & (t < 40.0), bound_deg, 0.0), "bent", "s")}
    entry = trace_bounded("bent far", "strap it", 2.5)
    plain = check_envelope(df, STANDING, side="right", timed_doubts=timed)
    marked = check_envelope(df, STANDING, side="right", timed_doubts=timed, uncertain={KNEE: entry})
    assert _decisions(marked.to_dict()) == _decisions(plain.to_dict())
    assert np.array_equal(marked.state, plain.state)
    assert np.array_equal(marked.in_hold, plain.in_hold)
    assert marked.to_dict()["uncertain_angles"] == {
        KNEE: {"reason": "bent far", "redo": "strap it"}
    }
    assert marked.to_dict()["angle_precision"] == {
        KNEE: {"precision_deg": 2.5, "rules": "per_time"}
    }
    assert plain.to_dict()["angle_precision"] == {}


def test_a_plain_bounded_entry_is_still_decided_by_its_margin_and_listed():
    # 0.5° inside the ≥ 10° edge: within a ±2.5° margin (and, unlike a reading past the edge,
    # no near-the-break-point stretch of a trusted knee, which is uncertain by itself)
    df = _knee_drop(10.5)
    res = check_envelope(df, STANDING, side="right", uncertain={KNEE: bounded("b", "r", 2.5)})
    assert res.rule("knee_flexion").status == "uncertain"
    assert res.to_dict()["angle_precision"] == {
        KNEE: {"precision_deg": 2.5, "rules": "beyond_margin"}
    }
    traced = {KNEE: trace_bounded("b", "r", 2.5)}
    as_read = check_envelope(df, STANDING, side="right").rule("knee_flexion").status
    assert as_read != "uncertain"
    assert (
        check_envelope(df, STANDING, side="right", uncertain=traced).rule("knee_flexion").status
        == as_read
    )


def test_the_words_say_the_knee_is_approximate_and_its_verdicts_stand():
    df = _knee_drop(18.0)
    entry = trace_bounded("bent far", "strap it", 2.5)
    res = check_envelope(df, STANDING, side="right", uncertain={KNEE: entry})
    assert unread_uncertain_lines(res) == []  # a rule does judge it
    (line,) = approximate_lines(res)
    assert "rule verdicts on them stand" in line
    assert KNEE in line
    assert "bent far" in line
    assert "strap it" in line


def test_the_live_monitor_cues_a_trace_only_knee_as_a_trusted_one():
    df = _knee_drop(2.0)  # a knee break well past its edge while engaged
    entry = {KNEE: trace_bounded("bent far", "strap it", 2.5)}
    runs = {}
    for name, uncertain in (("plain", None), ("marked", entry)):
        monitor = EnvelopeMonitor(STANDING, side="right", uncertain=uncertain)
        cues, last = [], None
        for i in range(0, len(df), 20):
            part = df.iloc[i : i + 20]
            state = monitor.update(
                part.t_s.to_numpy(), {c: part[c].to_numpy() for c in df.columns[1:]}
            )
            if state is not None:
                cues.extend(state.new_cues)
                last = state
        runs[name] = (cues, last)
    assert runs["marked"][0] == runs["plain"][0]
    assert runs["plain"][0]  # the break is cued
    assert runs["marked"][1].rules == runs["plain"][1].rules
    assert runs["marked"][1].hold_s == runs["plain"][1].hold_s
