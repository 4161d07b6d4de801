"""A hold across an uncertain rule whose angle has other calibration readings says what each
leaves of it: the pelvis sensor facing the other way may put the tuck somewhere else."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import Episode, Hold, ReadingEpisodes, parts_clear_of
from analysis.report.page import conditional_hold_lines, longest_hold_lines, summary_text
from tests.analysis.builders import STRETCH_POSE_DEG, episode, held_stretch
from tests.analysis.builders import min_jerk_step as step
from tests.bench_scripts import load_bench_script

STANDING = load_builtin_profile("standing_hamstring")
PELVIS = "pelvis_anterior_tilt_deg"
DOUBT = {
    PELVIS: {"reason": "the pelvis sensor's forward direction is not established", "redo": "bows"}
}
WORDS = "found whichever way the pelvis sensor faces"


def tucked_session() -> tuple[pd.DataFrame, np.ndarray]:
    """A standing stretch held 12→60 s; the pelvis tucks under (+8° → −11°) from 30 s to 40 s.

    Returns the angles as a pelvis sensor facing backwards reads them (the pelvis tilt
    reversed: tucked everywhere but 30→40 s) and the true pelvis tilt (the other reading).
    """
    df = held_stretch({**STRETCH_POSE_DEG, PELVIS: 8.0}, dips_deg={PELVIS: (30.0, 40.0, 19.0)})
    pelvis = df[PELVIS].to_numpy()
    return df.assign(**{PELVIS: -pelvis}), pelvis


def _judged(df: pd.DataFrame, readings: list[np.ndarray] | None):
    others = None if readings is None else {"pelvis": (WORDS, tuple({PELVIS: r} for r in readings))}
    return check_envelope(df, STANDING, side="right", uncertain=DOUBT, other_readings=others)


def test_the_other_reading_s_tuck_is_kept_with_the_parts_it_leaves():
    df, truth = tucked_session()
    res = _judged(df, [truth])
    (hold,) = res.holds  # the uncertain pelvis breaks no hold
    assert hold.unconfirmed  # as read: tucked before 30 s and after 40 s
    (other,) = hold.reading_episodes
    assert other.reading == WORDS
    (tuck,) = other.episodes
    assert tuck.rule == "pelvis_anterior_tilt"
    assert tuck.start_s == pytest.approx(30.2, abs=0.3)
    assert tuck.end_s == pytest.approx(40.3, abs=0.3)
    # what the true pelvis alone gives, a trusted rule breaking the hold
    trusted = check_envelope(df.assign(**{PELVIS: truth}), STANDING, side="right")
    (parts,) = hold.reading_parts
    assert len(parts) == len(trusted.holds) == 2
    for (a, b), h in zip(parts, trusted.holds, strict=True):
        assert a == pytest.approx(h.start_s, abs=0.05)
        assert b == pytest.approx(h.end_s, abs=0.05)
    # whichever way the sensor faces, the pelvis was tucked somewhere: nothing much is sure
    assert hold.sure_s < 1.0
    assert hold.parts_as_read != parts


def test_without_other_readings_the_hold_is_as_before():
    df, _ = tucked_session()
    res = _judged(df, None)
    (hold,) = res.holds
    assert hold.reading_episodes == ()
    assert hold.sure_parts == hold.parts_as_read
    text = hold.condition_text()
    assert text is not None
    assert "another calibration" not in text


def test_a_reading_that_leaves_the_same_parts_is_not_listed():
    df, truth = tucked_session()
    again = df[PELVIS].to_numpy() - 0.2  # the measured tucks, 0.2° further out
    res = _judged(df, [again, truth, truth + 0.1])
    (hold,) = res.holds
    assert hold.unconfirmed  # not every reading shows them: not confirmed
    (other,) = hold.reading_episodes  # the first leaves the parts as read, the third the second's
    (tuck,) = other.episodes
    assert tuck.start_s == pytest.approx(30.2, abs=0.3)


def test_a_reading_that_breaks_nothing_in_the_hold_is_not_listed():
    df, truth = tucked_session()
    res = _judged(df, [np.abs(truth) + 5.0])  # never tucked under that reading
    (hold,) = res.holds
    assert hold.reading_episodes == ()


def test_an_advisory_rule_s_other_reading_makes_no_hold_conditional():
    df, _ = tucked_session()
    df[PELVIS] = -df[PELVIS]  # the pelvis read right: no tuck before 30 s or after 40 s…
    df[PELVIS] = np.maximum(df[PELVIS], 5.0 * (df[PELVIS] != 0))  # … nor at all
    rot = "right_hip_internal_rotation_deg"
    t = df["t_s"].to_numpy()
    turned = df[rot].to_numpy() + step(t, 30.0, 31.0, 14.0) - step(t, 38.0, 39.0, 14.0)
    unsure = {rot: {"reason": "hip axis", "redo": "redo"}}
    res = check_envelope(
        df,
        STANDING,
        side="right",
        uncertain=unsure,
        other_readings={"p": (WORDS, ({rot: turned},))},
    )
    assert res.holds
    assert not any(h.reading_episodes or h.conditional for h in res.holds)


def test_parts_clear_of_episodes():
    def ep(a: float, b: float) -> Episode:
        return episode("knee_flexion", a, b)

    assert parts_clear_of(10.0, 30.0, []) == ((10.0, 30.0),)
    assert parts_clear_of(10.0, 30.0, [ep(12.0, 14.0), ep(13.0, 16.0)]) == (
        (10.0, 12.0),
        (16.0, 30.0),
    )
    assert parts_clear_of(10.0, 30.0, [ep(5.0, 31.0)]) == ()
    assert parts_clear_of(10.0, 30.0, [ep(25.0, 40.0), ep(10.0, 12.0)]) == ((12.0, 25.0),)
    hold = Hold(
        start_s=10.0,
        end_s=30.0,
        rating="under_target",
        reading_episodes=(ReadingEpisodes(reading=WORDS, episodes=(ep(10.0, 22.0),)),),
    )
    assert hold.conditional
    assert hold.parts_as_read == ((10.0, 30.0),)
    assert hold.reading_parts == (((22.0, 30.0),),)
    assert hold.sure_parts == ((22.0, 30.0),)
    text = hold.condition_text()
    assert text is not None
    assert text.startswith("held 20 s; the knee reading is uncertain and, as read, does not")
    assert "its longest part is 8 s (0:22–0:30)" in text


def test_the_words_name_each_reading_and_what_it_leaves():
    df, truth = tucked_session()
    (hold,) = _judged(df, [truth]).holds
    text = hold.condition_text()
    assert text is not None
    assert text.startswith(f"held {hold.duration_s:.0f} s; the pelvis reading is uncertain")
    # two tucks as read ("and 1 more time"), so "any of that"
    assert "(and 1 more time) — if any of that was real, the hold was broken there" in text
    assert "its longest sure part is" in text
    assert (
        "; under another calibration the data allow, the pelvis reading points to tucking "
        "the pelvis under 18 s into the hold, for 10 s — if that was right, the hold was "
        "broken there and its longest part is 20 s (0:40–1:00)"
    ) in text


def test_envelope_json_terminal_and_report_say_it():
    df, truth = tucked_session()
    res = _judged(df, [truth])
    (hold,) = res.holds
    (item,) = json.loads(res.to_json())["holds"]
    (other,) = item["other_readings"]
    assert other["reading"] == WORDS
    assert [e["rule"] for e in other["episodes"]] == ["pelvis_anterior_tilt"]
    assert other["parts"] == [[round(a, 3), round(b, 3)] for a, b in hold.reading_parts[0]]
    assert other["longest_s"] == pytest.approx(20.0, abs=0.3)
    assert item["sure_s"] == pytest.approx(hold.sure_s, abs=1e-3)
    assert item["condition"] == hold.condition_text()
    plain = json.loads(_judged(df, None).to_json())["holds"]
    assert all(h["other_readings"] == [] for h in plain)
    (line,) = conditional_hold_lines(res, limit=5)
    assert "under another calibration the data allow" in line
    assert line in summary_text(res, source_name="s.csv")
    second = longest_hold_lines(res)[1]
    assert second.endswith(f"does not depend on an uncertain reading: {hold.sure_s:.0f} s.")


def test_the_population_bench_counts_a_part_under_the_other_reading_as_said():
    bench = load_bench_script("population", module_name="population_bench")
    df, truth = tucked_session()
    est = _judged(df, [truth])
    tru = check_envelope(df.assign(**{PELVIS: truth}), STANDING, side="right")
    tru_eps = [{"rule": e.rule, "start_s": e.start_s, "end_s": e.end_s} for e in tru.episodes]
    holds_est = [(h.start_s, h.end_s) for h in est.holds]
    reasons = [bench.hold_reason((h.start_s, h.end_s), holds_est, est, tru_eps) for h in tru.holds]
    assert reasons == [bench.HOLD_REASONS[15]] * 2
    # as read, the parts left are other ones: without the reading the holds are off, unsaid
    plain = _judged(df, None)
    unsaid = [bench.hold_reason((h.start_s, h.end_s), holds_est, plain, tru_eps) for h in tru.holds]
    assert unsaid == [bench.HOLD_REASONS[3]] * 2
    # a hold that matches as measured stays matched whatever its condition says
    (h,) = est.holds
    assert bench.hold_reason((h.start_s, h.end_s), holds_est, est, []) == bench.HOLD_REASONS[0]


def test_the_stranger_bench_counts_a_part_under_the_other_reading_as_said():
    from bench.stranger import compare

    env = {
        "holds": [
            {
                "start_s": 57.0,
                "end_s": 80.6,
                "other_readings": [{"parts": [[66.4, 80.6]]}],
            }
        ]
    }
    (judged,) = compare.judge_holds(env, [(66.43, 80.57)])
    assert judged["said_so"]
    env["holds"][0]["other_readings"] = []
    (judged,) = compare.judge_holds(env, [(66.43, 80.57)])
    assert not judged["said_so"]
