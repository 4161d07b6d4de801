"""A bend at the hips a thigh-led set cannot see: said as a possible stretch, never counted.

Without a pelvis sensor the standing stretch is recognised by the thigh's inclination. A
standing forward fold or a split-stance hinge tips the pelvis, not the thigh: the thigh held
still and tipped forward short of 45°, with the knee straight, may be a stretch with a locked
knee, which the knee rule must not call ``ok``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.envelope import check_envelope
from analysis.envelope.document import envelope_document
from analysis.envelope.hip_bend import (
    HIP_BEND_REDO,
    HIP_BEND_WORDS,
    LEAN_MIN_DEG,
    held_still,
    hidden_bend,
    past_latch_runs,
    spans_s,
)
from analysis.envelope.masks import end_times
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import _holds_section, summary_text

STANDING = load_builtin_profile("standing_hamstring")
THIGH = "right_thigh_inclination_deg"
KNEE = "right_knee_flexion_deg"


def _grid(seconds: float, dt: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, seconds, dt)
    return t, end_times(t)


def _pair(thigh_deg: float, knee_deg: float, seconds: float = 30.0) -> pd.DataFrame:
    """Stand 5 s, the thigh and the knee at the given angles for ``seconds``, stand 5 s."""
    t = np.arange(0.0, seconds + 10.0, 0.01)
    on = (t >= 5.0) & (t < 5.0 + seconds)
    return pd.DataFrame(
        {"t_s": t, THIGH: np.where(on, thigh_deg, 0.0), KNEE: np.where(on, knee_deg, 0.0)}
    )


def test_held_still_follows_the_rate_gate():
    t, _ = _grid(10.0)
    x = np.where(t < 5.0, 10.0, 10.0 + 20.0 * (t - 5.0))  # still, then 20 °/s
    still = held_still(x, t, max_rate_deg_s=5.0, window_s=0.5)
    assert still[t < 4.5].all()
    assert not still[t > 6.0].any()


def test_held_still_is_false_where_there_is_no_reading():
    t, _ = _grid(4.0)
    x = np.full(t.size, 10.0)
    x[100:200] = np.nan
    still = held_still(x, t, max_rate_deg_s=5.0, window_s=0.5)
    assert not still[100:200].any()
    assert still[:100].all()


def test_hidden_bend_needs_the_thigh_tipped_forward_short_of_the_criterion():
    t, t_end = _grid(10.0)
    everywhere = np.ones(t.size, dtype=bool)
    none = np.zeros(t.size, dtype=bool)
    for thigh, expected in ((0.0, False), (LEAN_MIN_DEG + 1.0, True), (50.0, False)):
        x = np.full(t.size, thigh)
        got = hidden_bend(
            x, everywhere, everywhere, none, criterion_deg=45.0, grid=(t, t_end), dwell_s=2.0
        )
        assert got.all() == expected, thigh


def test_hidden_bend_needs_still_standing_and_not_engaged_for_the_dwell():
    t, t_end = _grid(10.0)
    x = np.full(t.size, 20.0)
    ok = np.ones(t.size, dtype=bool)
    brief = t < 1.5  # shorter than the 2-s dwell
    for still, standing, engaged in ((brief, ok, ~ok), (ok, ~ok, ~ok), (ok, ok, ok)):
        got = hidden_bend(
            x, still, standing, engaged, criterion_deg=45.0, grid=(t, t_end), dwell_s=2.0
        )
        assert not got.any()


def test_past_latch_runs_counts_from_half_the_band_beyond_the_limit():
    t, t_end = _grid(10.0)
    x = np.where(t < 5.0, 9.0, 8.0)  # 9° is past 10° but short of 8.5°
    runs = past_latch_runs(
        x,
        np.ones(t.size, dtype=bool),
        limit_deg=10.0,
        hysteresis_deg=3.0,
        upper=False,
        grid=(t, t_end),
        dwell_s=1.0,
    )
    assert runs == [(500, 1000)]
    short = past_latch_runs(
        x,
        t < 5.5,
        limit_deg=10.0,
        hysteresis_deg=3.0,
        upper=False,
        grid=(t, t_end),
        dwell_s=1.0,
    )
    assert short == []


def test_spans_s_gives_start_and_end_times():
    t, t_end = _grid(1.0, dt=0.1)
    mask = np.zeros(t.size, dtype=bool)
    mask[2:5] = True
    assert spans_s(mask, (t, t_end)) == [(0.2, 0.5)]


def test_a_locked_knee_in_an_unseen_fold_is_uncertain_not_ok():
    res = check_envelope(_pair(thigh_deg=25.0, knee_deg=2.0), STANDING, side="right")
    assert res.verdict == "not_engaged"
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "uncertain"
    assert not knee.episodes
    assert not knee.unconfirmed
    assert HIP_BEND_WORDS in (knee.reason or "")
    assert knee.redo == HIP_BEND_REDO
    assert "0:05" in (knee.reason or "")
    bends = [p for p in res.possible_stretches if p.hip_bend]
    assert len(bends) == 1
    assert abs(bends[0].start_s - 5.0) < 0.6
    assert not res.holds


def test_a_soft_knee_in_an_unseen_fold_gives_a_possible_stretch_and_leaves_the_rule_ok():
    res = check_envelope(_pair(thigh_deg=25.0, knee_deg=15.0), STANDING, side="right")
    assert res.rule("knee_flexion").status == "ok"
    assert [p.hip_bend for p in res.possible_stretches] == [True]


def test_standing_upright_says_nothing():
    res = check_envelope(_pair(thigh_deg=1.0, knee_deg=1.0), STANDING, side="right")
    assert res.rule("knee_flexion").status == "ok"
    assert not res.possible_stretches


def test_a_seat_says_nothing():
    res = check_envelope(_pair(thigh_deg=30.0, knee_deg=90.0), STANDING, side="right")
    assert not res.possible_stretches
    assert res.rule("knee_flexion").status == "ok"


def test_a_pelvis_sensor_sees_the_bend_so_nothing_is_added():
    angles = _pair(thigh_deg=25.0, knee_deg=2.0)
    angles["right_hip_flexion_deg"] = angles[THIGH]  # the pelvis upright: hip = thigh
    angles["pelvis_anterior_tilt_deg"] = 0.0
    res = check_envelope(angles, STANDING, side="right")
    assert res.rule("knee_flexion").status == "ok"
    assert not res.possible_stretches


def test_exact_angles_are_judged_as_they_are():
    res = check_envelope(_pair(25.0, 2.0), STANDING, side="right", exact=True)
    assert res.rule("knee_flexion").status == "ok"
    assert not res.possible_stretches


def test_a_lying_profile_is_left_alone():
    supine = load_builtin_profile("supine_hamstring")
    res = check_envelope(_pair(thigh_deg=25.0, knee_deg=2.0), supine, side="right")
    assert not any(p.hip_bend for p in res.possible_stretches)


def test_the_stretch_counted_is_unchanged_and_the_words_reach_every_output():
    angles = _pair(thigh_deg=25.0, knee_deg=2.0)
    res = check_envelope(angles, STANDING, side="right")
    doc = json.loads(json.dumps(envelope_document(res)))
    item = doc["possible_stretches"][0]
    assert item["hip_bend"] is True
    assert HIP_BEND_WORDS in item["text"]
    assert doc["verdict"] == "not_engaged"
    assert HIP_BEND_WORDS in summary_text(res, source_name="x.csv")


def test_the_report_lists_the_time_that_may_have_been_a_stretch():
    res = check_envelope(_pair(thigh_deg=25.0, knee_deg=2.0), STANDING, side="right")
    html = _holds_section(res)
    assert "may have been a stretch" in html
    assert "wear the pelvis sensor for folds and hinges" in html
