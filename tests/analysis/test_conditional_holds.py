"""A hold across an uncertain rule's episode is kept, but said to depend on that rule."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import Hold
from analysis.report.page import (
    ReportContext,
    build_report_html,
    conditional_hold_lines,
    hold_timing_line,
    longest_hold_lines,
    summary_text,
)
from tests.analysis.builders import episode as _episode
from tests.analysis.builders import knee_dip_session
from tests.analysis.builders import min_jerk_step as step

STANDING = load_builtin_profile("standing_hamstring")
KNEE_UNSURE = {"right_knee_flexion_deg": {"reason": "knee sign", "redo": "redo the knee bends"}}


def straightened_knee_session() -> pd.DataFrame:
    """A correct standing stretch held 12→60 s whose knee reads straight (3°) for 30→36 s."""
    return knee_dip_session(3.0)


def test_the_hold_is_kept_and_its_sure_parts_are_the_trusted_holds():
    df = straightened_knee_session()
    trusted = check_envelope(df, STANDING, side="right")
    assert len(trusted.holds) == 2  # a trusted knee rule breaks the hold
    assert not any(h.conditional for h in trusted.holds)

    res = check_envelope(df, STANDING, side="right", uncertain=KNEE_UNSURE)
    (hold,) = res.holds
    assert hold.conditional
    (e,) = hold.unconfirmed
    assert e.rule == "knee_flexion"
    assert hold.start_s <= e.start_s < e.end_s <= hold.end_s
    # what is left if the uncertain reading was right is what the trusted rule gives
    parts = hold.sure_parts
    assert len(parts) == 2
    for (a, b), h in zip(parts, trusted.holds, strict=True):
        assert abs(a - h.start_s) < 0.05
        assert abs(b - h.end_s) < 0.05
    assert hold.sure_s == pytest.approx(max(h.duration_s for h in trusted.holds), abs=0.05)


def test_condition_text_names_the_part_what_it_showed_when_and_what_is_left():
    res = check_envelope(straightened_knee_session(), STANDING, side="right", uncertain=KNEE_UNSURE)
    (hold,) = res.holds
    text = hold.condition_text()
    assert text is not None
    assert text.startswith(f"held {hold.duration_s:.0f} s; the knee reading is uncertain")
    assert "a locked-straight knee" in text
    into = res.holds[0].unconfirmed[0].start_s - hold.start_s
    assert f"{into:.0f} s into the hold" in text
    assert f"longest sure part is {hold.sure_s:.0f} s" in text
    trusted = check_envelope(straightened_knee_session(), STANDING, side="right")
    assert all(h.condition_text() is None for h in trusted.holds)


def test_an_uncertain_advisory_rule_makes_no_hold_conditional():
    df = straightened_knee_session()
    t = df["t_s"].to_numpy()
    df["right_hip_adduction_deg"] += step(t, 30.0, 30.5, 12.0) - step(t, 36.0, 36.5, 12.0)
    unsure = {"right_hip_adduction_deg": {"reason": "hip axis", "redo": "redo"}}
    res = check_envelope(df, STANDING, side="right", uncertain=unsure)
    assert res.rule("hip_adduction").unconfirmed  # the angle did show it
    assert res.holds
    assert not any(h.conditional for h in res.holds)  # advisory rules never break a hold


def test_sure_parts_of_overlapping_and_edge_episodes():
    eps = (
        _episode("knee_flexion", 10.0, 14.0),
        _episode("ankle_dorsiflexion", 12.0, 16.0),
        _episode("knee_flexion", 28.0, 30.0),
    )
    hold = Hold(start_s=10.0, end_s=30.0, rating="under_target", unconfirmed=eps)
    assert hold.sure_parts == ((16.0, 28.0),)
    assert hold.sure_s == pytest.approx(12.0)
    whole = Hold(start_s=10.0, end_s=30.0, rating="under_target")
    assert whole.sure_parts == ((10.0, 30.0),)
    assert not whole.conditional
    covered = Hold(start_s=10.0, end_s=12.0, rating="short", unconfirmed=(eps[0],))
    assert covered.sure_parts == ()
    assert covered.sure_s == 0.0
    text = hold.condition_text()
    assert text is not None
    # each rule named with its first episode: the knee's second one counted, the ankle's own
    assert "a locked-straight knee 0 s into the hold, for 4 s (and 1 more time)" in text
    assert ", and the ankle reading to toes pulled up 2 s into the hold, for 4 s" in text
    assert "if any of that was real" in text


def test_condition_text_names_a_second_rule_not_as_the_first_rules_again():
    eps = (_episode("knee_flexion", 10.0, 47.0), _episode("ankle_dorsiflexion", 29.0, 34.0))
    text = Hold(start_s=10.0, end_s=47.0, rating="target", unconfirmed=eps).condition_text()
    assert text == (
        "held 37 s; the knee reading is uncertain and points to a locked-straight knee 0 s "
        "into the hold, for 37 s, and the ankle reading to toes pulled up 19 s into the hold, "
        "for 5 s — if any of that was real, the hold was broken there and its longest sure "
        "part is 0 s"
    )


def test_envelope_json_holds_say_it_additively():
    res = check_envelope(straightened_knee_session(), STANDING, side="right", uncertain=KNEE_UNSURE)
    doc = json.loads(res.to_json())
    (item,) = doc["holds"]
    for key in ("start_s", "end_s", "duration_s", "rating"):
        assert key in item  # the contract's keys are all still there
    assert item["conditional"] is True
    assert item["sure_s"] == pytest.approx(res.holds[0].sure_s, abs=1e-3)
    (ep,) = item["unconfirmed_episodes"]
    assert ep["rule"] == "knee_flexion"
    assert {"start_s", "end_s", "peak_deg", "cue"} <= set(ep)
    assert item["condition"] == res.holds[0].condition_text()
    plain = json.loads(
        check_envelope(straightened_knee_session(), STANDING, side="right").to_json()
    )
    assert all(h["conditional"] is False and h["condition"] is None for h in plain["holds"])
    assert all(h["unconfirmed_episodes"] == [] for h in plain["holds"])


def test_terminal_summary_and_report_say_the_hold_is_not_sure():
    df = straightened_knee_session()
    res = check_envelope(df, STANDING, side="right", uncertain=KNEE_UNSURE)
    text = summary_text(res, source_name="s.csv")
    (line,) = conditional_hold_lines(res, limit=5)
    assert line.startswith("Hold 1 (")
    assert "is not sure: held" in line
    assert line in text
    first, second = longest_hold_lines(res)
    assert "target was reached" in first
    assert second.startswith("That hold is not sure: held")
    assert f"uncertain reading: {res.holds[0].sure_s:.0f} s." in second
    page = build_report_html(df, res, ReportContext(source_name="s.csv"))
    assert "Holds that count only if an uncertain reading was wrong" in page
    assert "That hold is not sure" in page
    trusted = check_envelope(df, STANDING, side="right")
    assert conditional_hold_lines(trusted, limit=5) == []
    assert len(longest_hold_lines(trusted)) == 1
    assert "not sure" not in summary_text(trusted, source_name="s.csv")


def test_holds_timed_on_an_uncertain_engagement_angle_say_so():
    df = straightened_knee_session()
    unsure = {"right_hip_flexion_deg": {"reason": "pelvis axes 40° apart", "redo": "bows"}}
    res = check_envelope(df, STANDING, side="right", uncertain=unsure)
    assert res.engaged_by == "right_hip_flexion_deg"
    assert res.hold_timing_doubt == "pelvis axes 40° apart"
    line = hold_timing_line(res)
    assert line is not None
    assert line.startswith("Hold times are read from the hip flexion (right) reading")
    assert "(pelvis axes 40° apart)" in line
    assert line in summary_text(res, source_name="s.csv")
    assert json.loads(res.to_json())["hold_timing_doubt"] == "pelvis axes 40° apart"
    page = build_report_html(df, res, ReportContext(source_name="s.csv"))
    assert "Hold times are read from the hip flexion (right) reading" in page
    trusted = check_envelope(df, STANDING, side="right", uncertain=KNEE_UNSURE)
    assert trusted.hold_timing_doubt is None
    assert hold_timing_line(trusted) is None
    assert json.loads(trusted.to_json())["hold_timing_doubt"] is None
