"""An engagement requirement on an uncertain angle: the time it alone leaves out is said.

The standing stretch needs the knee no more than 60° bent (a seat bends it ≈ 90°). Where the
knee reading is uncertain (a re-strapped shank read 45° too bent), that requirement cannot
decide: the time is not counted as stretching (a seat must never be), but the report says a
stretch may have been left out and why.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from analysis.envelope import check_envelope
from analysis.envelope.checker import (
    _criterion_toward_met,
    _possibly_met,
    _with_uncovered,
    holds_within,
    possible_stretch_spans,
    without_requirements,
)
from analysis.envelope.profiles import EngagedCriterion, load_builtin_profile
from analysis.envelope.results import Hold, PossibleStretch
from analysis.recording.doubts import TimedDoubt, bounded

STANDING = load_builtin_profile("standing_hamstring")
KNEE = "right_knee_flexion_deg"
UNCERTAIN_KNEE = {KNEE: {"reason": "the shank sensor turned on its strap", "redo": "re-strap"}}
KNEE_AT_MOST_60 = EngagedCriterion(angle="knee_flexion", max_deg=60.0, hysteresis_deg=5.0)


def _session(knee_deg: float, seconds: float = 30.0) -> pd.DataFrame:
    """Quiet stand 3 s, hip 65° and the knee at ``knee_deg`` for ``seconds``, stand again."""
    t = np.arange(0.0, seconds + 6.0, 0.01)
    on = (t >= 3.0) & (t < 3.0 + seconds)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": np.where(on, 65.0, 0.0),
            KNEE: np.where(on, knee_deg, 0.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
            "pelvis_anterior_tilt_deg": np.where(on, 8.0, 0.0),
        }
    )


def test_possibly_met_without_doubt_is_none():
    assert _possibly_met(np.array([70.0, 20.0]), KNEE_AT_MOST_60, None, None) is None


def test_an_unbounded_doubt_leaves_the_requirement_possibly_met_where_measured():
    x = np.array([90.0, 20.0, np.nan])
    got = _possibly_met(x, KNEE_AT_MOST_60, UNCERTAIN_KNEE[KNEE], None)
    assert got is not None
    assert got.tolist() == [True, True, False]


def test_a_bounded_doubt_moves_the_reading_toward_met_by_its_margin():
    why = bounded("measured to about ±8°", "calibrate again", 8.0)
    got = _possibly_met(np.array([66.0, 75.0]), KNEE_AT_MOST_60, why, None)
    assert got is not None
    assert got.tolist() == [True, False]


def test_a_timed_doubt_moves_the_reading_per_sample():
    timed = TimedDoubt(bound_deg=[0.0, 10.0], reason="strap slipped", redo="re-strap")
    got = _possibly_met(np.array([66.0, 66.0]), KNEE_AT_MOST_60, None, timed)
    assert got is not None
    assert got.tolist() == [False, True]


def test_spans_are_possible_and_not_engaged_and_long_enough():
    t = np.arange(10) * 1.0
    possible = np.array([0, 1, 1, 1, 1, 0, 1, 0, 1, 1], dtype=bool)
    engaged = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    assert possible_stretch_spans(possible, engaged, t, t + 1.0, 2.0) == [(1.0, 3.0), (8.0, 10.0)]


def test_a_misread_uncertain_knee_leaves_the_stretch_out_and_says_so():
    res = check_envelope(_session(knee_deg=66.0), STANDING, side="right", uncertain=UNCERTAIN_KNEE)
    assert res.verdict == "not_engaged"  # never counted as stretching
    assert not res.holds
    [p] = res.possible_stretches
    assert abs(p.start_s - 3.0) < 0.05
    assert abs(p.end_s - 33.0) < 0.05
    assert p.columns == (KNEE,)
    assert "knee flexion ≤ 60°" in p.text()
    assert "turned on its strap" in p.text()
    doc = json.loads(res.to_json())
    assert doc["possible_stretches"][0]["columns"] == [KNEE]


def test_a_possible_stretch_is_timed_as_its_holds_would_be_and_still_not_counted():
    # stranger round 5 seed 2284's DOT file: the hold inside the possible stretch, timed
    df = _session(knee_deg=66.0)
    moving = (df["t_s"] >= 18.0) & (df["t_s"] < 20.0)  # leaned 10° deeper, at 5°/s
    df.loc[moving, HIP] = 65.0 + 5.0 * (df["t_s"][moving] - 18.0)
    df.loc[(df["t_s"] >= 20.0) & (df["t_s"] < 33.0), HIP] = 75.0
    res = check_envelope(df, STANDING, side="right", uncertain=UNCERTAIN_KNEE)
    assert res.verdict == "not_engaged"
    assert not res.holds
    [p] = res.possible_stretches
    assert len(p.holds) == 2
    (a0, b0), (a1, b1) = p.holds
    assert abs(a0 - 3.0) < 0.1
    assert abs(b0 - 18.0) < 0.2
    assert abs(a1 - 20.0) < 0.2
    assert abs(b1 - 33.0) < 0.1
    assert "if it was one, it was held 15 s (0:03–0:18) and 13 s (0:20–0:33)" in p.text()
    held = json.loads(res.to_json())["possible_stretches"][0]["holds"]
    assert [h["start_s"] for h in held] == [round(a0, 3), round(a1, 3)]


def test_a_possible_stretch_broken_by_a_trusted_rule_holds_only_where_the_rule_held():
    df = _session(knee_deg=66.0)
    df.loc[(df["t_s"] >= 15.0) & (df["t_s"] < 20.0), "right_ankle_dorsiflexion_deg"] = 12.0
    [p] = check_envelope(df, STANDING, side="right", uncertain=UNCERTAIN_KNEE).possible_stretches
    assert len(p.holds) == 2
    assert p.holds[0][1] <= 15.5
    assert p.holds[1][0] >= 19.5


def test_a_requirement_left_out_by_column_and_side():
    out = without_requirements(STANDING, "right", {KNEE})
    assert out.engaged.require == ()
    assert without_requirements(STANDING, "left", {KNEE}).engaged.require == (
        STANDING.engaged.require
    )
    assert out.rules == STANDING.rules


def test_holds_within_a_span_keep_only_those_inside_it():
    span = PossibleStretch(start_s=10.0, end_s=40.0, columns=(KNEE,), needs=("n",), reason="r")
    holds = [
        Hold(start_s=s0, end_s=e0, rating="short") for s0, e0 in ((5, 12), (10, 20), (30, 40.04))
    ]
    assert holds_within(holds, span) == ((10, 20), (30, 40.04))
    assert holds_within(holds, span, slack_s=0.0) == ((10, 20),)


def test_a_trusted_knee_bent_like_a_seat_leaves_nothing_possible():
    res = check_envelope(_session(knee_deg=90.0), STANDING, side="right")
    assert res.verdict == "not_engaged"
    assert res.possible_stretches == ()
    assert json.loads(res.to_json())["possible_stretches"] == []


def test_an_uncertain_knee_that_meets_the_requirement_changes_nothing():
    plain = check_envelope(_session(knee_deg=20.0), STANDING, side="right")
    doubted = check_envelope(
        _session(knee_deg=20.0), STANDING, side="right", uncertain=UNCERTAIN_KNEE
    )
    assert doubted.possible_stretches == ()
    assert [(h.start_s, h.end_s) for h in doubted.holds] == [
        (h.start_s, h.end_s) for h in plain.holds
    ]


HIP = "right_hip_flexion_deg"
UNCERTAIN_HIP = {HIP: {"reason": "the pelvis sensor's forward direction is not established"}}


def _hip_read_backwards() -> pd.DataFrame:
    """The stretch held 30 s with the hip read the wrong way round (−65° for 65°)."""
    df = _session(knee_deg=20.0)
    df[HIP] = -df[HIP]
    return df


def test_no_stretch_on_an_uncertain_deciding_angle_says_where_one_may_have_been():
    res = check_envelope(_hip_read_backwards(), STANDING, side="right", uncertain=UNCERTAIN_HIP)
    assert res.verdict == "not_engaged"  # still nothing judged on it
    assert not res.holds
    [p] = res.possible_stretches
    assert p.by_criterion
    assert p.columns == (HIP,)
    # an unbounded doubt: possibly met wherever the angle is measured
    assert p.start_s <= 3.0
    assert p.end_s >= 33.0
    assert "recognised by hip flexion" in p.text()
    assert "forward direction is not established" in p.text()
    assert json.loads(res.to_json())["possible_stretches"][0]["by_criterion"] is True


def test_a_trusted_deciding_angle_read_away_from_the_stretch_says_nothing():
    res = check_envelope(_hip_read_backwards(), STANDING, side="right")
    assert res.verdict == "not_engaged"
    assert res.possible_stretches == ()


def test_an_uncertain_deciding_angle_that_finds_the_stretch_adds_nothing():
    res = check_envelope(_session(knee_deg=20.0), STANDING, side="right", uncertain=UNCERTAIN_HIP)
    assert res.verdict != "not_engaged"
    assert res.possible_stretches == ()


def test_a_bounded_deciding_angle_is_read_toward_met_by_its_margin_only():
    df = _session(knee_deg=20.0)
    df[HIP] = np.where(df[HIP] > 0.0, 40.0, 0.0)  # 5° short of the 45° criterion
    near = check_envelope(df, STANDING, side="right", uncertain={HIP: bounded("b", "r", 6.0)})
    far = check_envelope(df, STANDING, side="right", uncertain={HIP: bounded("b", "r", 3.0)})
    assert [p.by_criterion for p in near.possible_stretches] == [True]
    assert far.possible_stretches == ()


def _two_stretches_second_read_half() -> tuple[pd.DataFrame, TimedDoubt, dict]:
    """A stretch at 3–33 s read right; a thigh turned at 40 s reads the second (50–80 s) half.

    The hip (the deciding angle) reads 32° where it is 65°; its timed doubt from 40 s on is
    how far the turn moved each reading (33° at 32°, 0 at the stand), and its session mark has
    no ± (the strap turn): the stranger's round 5 seed 2679, in small.
    """
    t = np.arange(0.0, 90.0, 0.01)
    first = (t >= 3.0) & (t < 33.0)
    second = (t >= 50.0) & (t < 80.0)
    df = pd.DataFrame(
        {
            "t_s": t,
            HIP: np.select([first, second], [65.0, 32.0], 0.0),
            KNEE: np.where(first | second, 20.0, 0.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
            "pelvis_anterior_tilt_deg": np.where(first | second, 8.0, 0.0),
        }
    )
    bound = np.where(t >= 40.0, np.where(second, 33.0, 0.0), 0.0)
    timed = TimedDoubt(bound_deg=bound, reason="the thigh sensor turned", redo="re-strap")
    return df, timed, {HIP: {"reason": "the thigh sensor turned", "redo": "re-strap"}}


def test_a_stretch_hidden_by_a_timed_doubt_is_said_and_timed_though_another_was_found():
    df, timed, why = _two_stretches_second_read_half()
    res = check_envelope(df, STANDING, side="right", uncertain=why, timed_doubts={HIP: timed})
    assert [(round(h.start_s), round(h.end_s)) for h in res.holds] == [(3, 33)]
    [p] = res.possible_stretches  # the stand and the calibration are not possible stretches
    assert p.by_criterion
    assert abs(p.start_s - 50.0) < 0.05
    assert abs(p.end_s - 80.0) < 0.05
    [(a, b)] = p.holds
    assert abs(a - 50.0) < 0.1
    assert abs(b - 80.0) < 0.1
    assert "if it was one, it was held 30 s (0:50–1:20)" in p.text()
    assert res.verdict == "inside"  # nothing counted there


def test_a_found_stretch_with_an_untimed_deciding_doubt_says_no_possible_stretch():
    # a session-wide doubt with no ± would make every moment possible: only a timed one reads
    df, _, why = _two_stretches_second_read_half()
    res = check_envelope(df, STANDING, side="right", uncertain=why)
    assert res.possible_stretches == ()


def test_criterion_toward_met_moves_the_deciding_angle_by_its_timed_bound():
    df, timed, _ = _two_stretches_second_read_half()
    data = {c: df[c].to_numpy() for c in df.columns if c != "t_s"}
    moved = _criterion_toward_met(STANDING, "right", data, {HIP: timed})
    assert set(moved) == {HIP}
    assert moved[HIP][6000] == 65.0  # 60 s: 32° read, 33° moved
    assert moved[HIP][500] == 65.0  # before the turn: as read
    assert _criterion_toward_met(STANDING, "right", data, {KNEE: timed}) == {}


def test_a_bend_at_the_hips_within_a_criterion_stretch_is_said_once():
    crit = PossibleStretch(
        start_s=10.0, end_s=40.0, columns=(HIP,), needs=("n",), reason="r", by_criterion=True
    )
    inside = PossibleStretch(start_s=12.0, end_s=38.0, columns=(HIP,), needs=(), reason="b")
    later = PossibleStretch(start_s=50.0, end_s=60.0, columns=(HIP,), needs=(), reason="b")
    assert _with_uncovered((crit,), (inside, later)) == (crit, later)
    left = dataclasses.replace(crit, by_criterion=False)
    assert _with_uncovered((left,), (inside,)) == (left, inside)
