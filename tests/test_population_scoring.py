"""The population bench's scoring (``bench/population.py``): why a scripted violation or a
true hold was missed, classified from what the pipeline saw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from tests.bench_scripts import load_bench_script

P = load_bench_script("population", module_name="population_bench")
R = P.MISS_REASONS


def _item(**kw):
    base = {
        "found_once": False,
        "truth_found_once": True,
        "uncertain": False,
        "unconfirmed_found_once": False,
        "engaged": 1.0,
        "est_peak_deg": 12.0,
        "limit_deg": 0.0,
        "release_half_deg": 1.5,
        "upper": True,
        "n_episodes": 0,
    }
    base.update(kw)
    return base


def test_found_comes_first():
    assert P.miss_reason(_item(found_once=True, uncertain=True)) == R[0]


def test_a_miss_the_truth_envelope_shares_is_the_bench_s():
    assert P.miss_reason(_item(truth_found_once=False, uncertain=True)) == R[1]


def test_uncertain_rules_split_by_what_their_angle_shows():
    assert P.miss_reason(_item(uncertain=True, unconfirmed_found_once=True)) == R[2]
    assert P.miss_reason(_item(uncertain=True)) == R[3]


def test_not_engaged_before_angle_error():
    assert P.miss_reason(_item(engaged=0.2, est_peak_deg=0.5)) == R[4]


def test_angle_never_past_the_edge_by_half_the_band():
    assert P.miss_reason(_item(est_peak_deg=1.4)) == R[5]
    assert P.miss_reason(_item(est_peak_deg=9.0, upper=False, limit_deg=10.0)) == R[5]
    assert P.miss_reason(_item(est_peak_deg=1.6)) == P.MISS_REASONS[-1]  # crossed, no episode


def test_split_and_late():
    assert P.miss_reason(_item(n_episodes=2)) == R[6]
    assert P.miss_reason(_item(n_episodes=1)) == R[7]


def _hold_session():
    """Hip flexed 60° from 5 s to 55 s; the ankle dorsiflexes 10° from 20 s to 30 s."""
    t = np.arange(0.0, 60.0, 0.01)
    hip = np.where((t >= 5) & (t < 55), 60.0, 0.0)
    ankle = np.where((t >= 20) & (t < 30), 10.0, -10.0)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )


def test_hold_merged_across_an_uncertain_rule_is_named_so():
    profile = load_builtin_profile("standing_hamstring")
    angles = _hold_session()
    tru = check_envelope(angles, profile, side="right")
    doubt = {"right_ankle_dorsiflexion_deg": {"reason": "foot sign", "redo": "again"}}
    est = check_envelope(angles, profile, side="right", uncertain=doubt)
    tru_eps = [{"rule": e.rule, "start_s": e.start_s, "end_s": e.end_s} for e in tru.episodes]
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    assert len(tru.holds) == 2
    assert len(holds_est) == 1
    reasons = [P.hold_reason((h.start_s, h.end_s), holds_est, est, tru_eps) for h in tru.holds]
    # the estimated hold says it depends on the uncertain ankle, and its sure parts are the
    # true holds
    assert reasons == [P.HOLD_REASONS[6]] * 2
    (merged,) = est.holds
    assert merged.conditional
    assert len(merged.sure_parts) == 2
    same = [(h.start_s, h.end_s) for h in tru.holds]
    assert P.hold_reason(same[0], same, tru, tru_eps) == P.HOLD_REASONS[0]
    assert P.hold_reason(same[0], [], est, tru_eps) == P.HOLD_REASONS[2]


def test_the_trusted_rmse_table_leaves_out_only_the_uncertain_angles():
    records = [
        {
            "sensors": "default",
            "length": "1 min",
            "rmse_deg": {"pelvis_anterior_tilt_deg": 0.5, "right_knee_flexion_deg": 0.4},
            "uncertain_angles": [],
        },
        {
            "sensors": "default",
            "length": "1 min",
            "rmse_deg": {"pelvis_anterior_tilt_deg": 30.0, "right_knee_flexion_deg": 0.6},
            "uncertain_angles": ["pelvis_anterior_tilt_deg"],
        },
    ]
    every = {ln.split(" | ")[0]: ln for ln in P.rmse_table(records)}
    trusted = {ln.split(" | ")[0]: ln for ln in P.rmse_table(records, trusted_only=True)}
    assert "/ 30° ✗" in every["| pelvis anterior tilt"]
    assert "0.50° / 0.50° / 0.50° (1 out)" in trusted["| pelvis anterior tilt"]
    assert "0.60°" in trusted["| knee flexion"]
    assert "out" not in trusted["| knee flexion"]


def test_the_rmse_table_gives_the_other_leg_its_own_rows():
    records = [
        {
            "sensors": "full",
            "length": "1 min",
            "side": "right",
            "rmse_deg": {"right_knee_flexion_deg": 0.4, "left_knee_flexion_deg": 3.0},
            "uncertain_angles": ["left_knee_flexion_deg"],
        },
        {
            "sensors": "default",
            "length": "1 min",
            "side": "left",
            "rmse_deg": {"left_knee_flexion_deg": 0.5, "pelvis_anterior_tilt_deg": 0.2},
            "uncertain_angles": [],
        },
    ]
    every = {ln.split(" | ")[0]: ln.split(" | ")[2:] for ln in P.rmse_table(records)}
    trusted = {
        ln.split(" | ")[0]: ln.split(" | ")[2:] for ln in P.rmse_table(records, trusted_only=True)
    }
    # columns: default 1 min, full 1 min
    assert every["| knee flexion"][0].startswith("0.50° / 0.50° / 0.50°")
    assert every["| knee flexion"][1].startswith("0.40° / 0.40° / 0.40°")
    assert every["| knee flexion, other leg"][0] == "—"
    assert every["| knee flexion, other leg"][1].startswith("3.00° / 3.00° / 3.00° ✗")
    assert "out" not in trusted["| knee flexion"][1]
    assert trusted["| knee flexion, other leg"][1].startswith("— (1 out)")
    # a motion no set measures on the other leg has no other-leg row
    assert "| ankle dorsiflexion, other leg" not in every
    assert "| pelvis anterior tilt, other leg" not in every


def _lean_session(gap_s: float) -> pd.DataFrame:
    """Place the leg (50° over 2 s from 5 s), pause ``gap_s``, lean 4° over 2 s, hold to 45 s."""
    from tests.analysis.builders import min_jerk_step

    t = np.arange(0.0, 60.0, 0.01)
    lean = 7.0 + gap_s
    hip = (
        min_jerk_step(t, 5.0, 7.0, 50.0)
        + min_jerk_step(t, lean, lean + 2.0, 4.0)
        + min_jerk_step(t, 45.0, 47.0, -54.0)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )


def test_a_hold_flagged_for_a_pause_at_the_dwell_is_never_counted_as_matched():
    profile = load_builtin_profile("standing_hamstring")
    # the pause measures just under the dwell in one, just over it in the other
    est = check_envelope(_lean_session(0.35), profile, side="right")
    tru = check_envelope(_lean_session(0.40), profile, side="right")
    (h_est,), (h_tru,) = est.holds, tru.holds
    assert h_est.timing_flagged
    assert abs(h_est.start_s - h_tru.start_s) > 1.0  # the nominal readings disagree
    holds_est = [(h_est.start_s, h_est.end_s)]
    true_hold = (h_tru.start_s, h_tru.end_s)
    assert P.hold_reason(true_hold, holds_est, est, []) == P.HOLD_REASONS[7]
    # even where the nominal reading matches, a flagged hold is counted as flagged
    own = (h_est.start_s, h_est.end_s)
    assert P.hold_reason(own, holds_est, est, []) == P.HOLD_REASONS[7]
    # a hold clear of the dwell still matches
    plain = check_envelope(_lean_session(0.0), profile, side="right")
    (h_plain,) = plain.holds
    same = [(h_plain.start_s, h_plain.end_s)]
    assert P.hold_reason(same[0], same, plain, []) == P.HOLD_REASONS[0]


def test_a_hold_flagged_for_an_uncertain_angles_rate_is_counted_apart_never_as_matched():
    from analysis.envelope.checker import RATE_DOUBT_FACTOR
    from tests.analysis.builders import min_jerk_step

    profile = load_builtin_profile("standing_hamstring")
    t = np.arange(0.0, 60.0, 0.01)
    # placing the leg, then a 2.4° lean over 2 s (peak ≈ 2.3 °/s, under the release rate)
    hip = (
        min_jerk_step(t, 5.0, 7.0, 50.0)
        + min_jerk_step(t, 7.0, 9.0, 2.4)
        + min_jerk_step(t, 45.0, 47.0, -52.4)
    )
    angles = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )
    doubt = {"right_hip_flexion_deg": {"reason": "pelvis axis not found", "redo": "bow"}}
    est = check_envelope(angles, profile, side="right", uncertain=doubt)
    (h,) = est.holds
    (alt,) = [a for a in h.timing_alternatives if a.rate_factor == RATE_DOUBT_FACTOR]
    holds_est = [(h.start_s, h.end_s)]
    true_hold = (alt.start_s, alt.end_s)  # the truth as the faster reading has it
    assert abs(true_hold[0] - h.start_s) > 1.0
    assert P.hold_reason(true_hold, holds_est, est, []) == P.HOLD_REASONS[8]
    assert P.hold_reason((h.start_s, h.end_s), holds_est, est, []) == P.HOLD_REASONS[8]
    # trusted, the same angles give one reading, matched
    plain = check_envelope(angles, profile, side="right")
    (hp,) = plain.holds
    same = [(hp.start_s, hp.end_s)]
    assert P.hold_reason(same[0], same, plain, []) == P.HOLD_REASONS[0]


def test_a_hold_flagged_for_a_lean_at_the_rate_limit_is_counted_apart_never_as_matched():
    from analysis.envelope.pauses import engagement_speed
    from tests.analysis.builders import min_jerk_step

    profile = load_builtin_profile("standing_hamstring")
    t = np.arange(0.0, 60.0, 0.01)
    unit = engagement_speed(min_jerk_step(t, 10.0, 14.0, 1.0), t, profile.hold).max()

    def session(peak_deg_s: float) -> pd.DataFrame:
        """Place the leg (5–7 s), a lean 10–14 s peaking at ``peak_deg_s``, lower at 50 s."""
        lean = peak_deg_s / unit
        hip = (
            min_jerk_step(t, 5.0, 7.0, 50.0)
            + min_jerk_step(t, 10.0, 14.0, lean)
            + min_jerk_step(t, 50.0, 52.0, -50.0 - lean)
        )
        return pd.DataFrame(
            {
                "t_s": t,
                "right_hip_flexion_deg": hip,
                "right_knee_flexion_deg": np.full(t.size, 20.0),
                "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
            }
        )

    # the estimate reads the lean a little over 5 °/s, the truth a little under it
    est = check_envelope(session(5.05), profile, side="right")
    tru = check_envelope(session(4.95), profile, side="right")
    h_est = max(est.holds, key=lambda h: h.duration_s)
    h_tru = max(tru.holds, key=lambda h: h.duration_s)
    assert h_est.start_s - h_tru.start_s > 1.0
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    true_hold = (h_tru.start_s, h_tru.end_s)
    assert P.hold_reason(true_hold, holds_est, est, []) == P.HOLD_REASONS[10]
    # a lean clear of the limit gives one reading, matched
    plain = check_envelope(session(3.0), profile, side="right")
    (hp,) = plain.holds
    same = [(hp.start_s, hp.end_s)]
    assert P.hold_reason(same[0], same, plain, []) == P.HOLD_REASONS[0]


def test_a_hold_flagged_for_an_episode_the_hysteresis_band_keeps_open_is_counted_apart():
    from tests.analysis.test_band_tail_holds import _session

    profile = load_builtin_profile("standing_hamstring")
    est = check_envelope(_session(dip_deg=0.01), profile, side="right")
    hold = max(est.holds, key=lambda h: h.duration_s)
    (alt,) = hold.timing_alternatives
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    # the truth's hold starts where the angle came back inside the edge: the other reading
    true_hold = (alt.start_s, alt.end_s)
    assert abs(true_hold[0] - hold.start_s) > 1.0
    assert P.hold_reason(true_hold, holds_est, est, []) == P.HOLD_REASONS[13]


def test_each_part_of_a_split_reading_and_a_combined_reading_count_as_said():
    from tests.analysis.test_hold_combined_readings import _session

    profile = load_builtin_profile("standing_hamstring")
    # a lean read at 4.98 °/s, the truth's at 5.02: the truth splits the hold in two
    est = check_envelope(_session(4.98, 0.5), profile, side="right")
    tru = check_envelope(_session(5.02, 0.5), profile, side="right")
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    first, second = ((h.start_s, h.end_s) for h in tru.holds)
    assert P.hold_reason(first, holds_est, est, []) == P.HOLD_REASONS[10]
    assert P.hold_reason(second, holds_est, est, []) == P.HOLD_REASONS[10]
    # with a pause at the dwell read the other way too, only both decided together match
    est = check_envelope(_session(4.98, 0.12), profile, side="right")
    tru = check_envelope(_session(5.02, 0.18), profile, side="right")
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    for h in tru.holds:
        assert P.hold_reason((h.start_s, h.end_s), holds_est, est, []) == P.HOLD_REASONS[7]


def test_a_break_said_by_an_episode_at_the_engagement_dwell_is_said_not_missed():
    assert P.miss_reason(_item(gate_said=True, uncertain=True)) == R[8]
    assert P.miss_reason(_item(gate_said=True, found_once=True)) == R[0]
    assert R[-1] == "other"


def test_a_hold_a_borderline_episode_splits_is_counted_apart_when_its_reading_matches():
    from tests.analysis.test_borderline_holds import _session

    profile = load_builtin_profile("standing_hamstring")
    est = check_envelope(_session(peak_deg=3.0), profile, side="right")
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    alt = est.holds[0].timing_alternatives[0]
    # the truth's ankle stayed inside: one hold, the reading with the episode inside
    true_hold = (alt.start_s, alt.end_s)
    assert P.hold_reason(true_hold, holds_est, est, []) == P.HOLD_REASONS[14]
    # a clear episode gives no such reading: the truth's one hold is split
    est = check_envelope(_session(peak_deg=7.0), profile, side="right")
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    assert P.hold_reason(true_hold, holds_est, est, []) == P.HOLD_REASONS[5]


def test_a_hold_not_found_on_an_uncertain_deciding_angle_is_said_by_the_time_given():
    t = np.arange(0.0, 40.0, 0.01)
    on = (t >= 3.0) & (t < 33.0)
    angles = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": np.where(on, 65.0, 0.0),
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
            "pelvis_anterior_tilt_deg": np.where(on, 8.0, 0.0),
        }
    )
    profile = load_builtin_profile("standing_hamstring")
    tru = check_envelope(angles, profile, side="right")
    (hold,) = [(h.start_s, h.end_s) for h in tru.holds]
    backwards = angles.assign(right_hip_flexion_deg=-angles["right_hip_flexion_deg"])
    doubt = {"right_hip_flexion_deg": {"reason": "pelvis forward direction", "redo": "bow"}}
    said = check_envelope(backwards, profile, side="right", uncertain=doubt)
    unsaid = check_envelope(backwards, profile, side="right")
    assert P.hold_reason(hold, [], said, []) == P.HOLD_REASONS[16]
    assert P.hold_reason(hold, [], unsaid, []) == P.HOLD_REASONS[1]


def test_a_hold_across_a_run_near_the_latch_is_said_by_the_part_clear_of_it():
    from tests.analysis.test_near_latch_holds import grazing_knee_session

    profile = load_builtin_profile("standing_hamstring")
    est = check_envelope(grazing_knee_session(8.8), profile, side="right")
    broken = check_envelope(grazing_knee_session(7.0), profile, side="right")
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    first = (broken.holds[0].start_s, broken.holds[0].end_s)
    assert P.hold_reason(first, holds_est, est, []) == P.HOLD_REASONS[17]
    plain = check_envelope(grazing_knee_session(14.0), profile, side="right")
    plain_holds = [(h.start_s, h.end_s) for h in plain.holds]
    assert P.hold_reason(first, plain_holds, plain, []) == P.HOLD_REASONS[4]


def test_the_verdict_doubt_table_counts_said_unsaid_and_the_price():
    def rec(verdict: str, truth: str, undecided: bool) -> dict:
        env = {"verdict": verdict, "truth_verdict": truth, "verdict_undecided": undecided}
        return {"sensors": "default", "envelope": env}

    rows = P.verdict_doubt_table(
        [
            rec("inside", "outside", True),
            rec("inside", "outside", False),
            rec("inside", "inside", True),
            rec("outside", "outside", False),
        ]
    )
    assert rows[2] == "| default | 4 | 2 | 1 | 1 | 1 |"
