"""An *inside* verdict under an uncertain rule's possible break is said to be not decided.

Held-out person 106049: the ankle read toes up (10°) through a 2.08-s stay in the stretch
position during the calibration, about the 2 s a stay must last to count, so the ankle rule
was uncertain and the session read "inside" while the truth was "outside". The verdict may
not be more confident than its rules: it says what may have been a break.
"""

from __future__ import annotations

import dataclasses
import json

from analysis.envelope.checker import _verdict_doubts, check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import Episode, NearLatchRun
from analysis.report.page import UNDECIDED_TITLE, _headline, summary_text
from tests.analysis.builders import episode
from tests.analysis.test_conditional_holds import KNEE_UNSURE, straightened_knee_session
from tests.analysis.test_near_latch_holds import grazing_knee_session

STANDING = load_builtin_profile("standing_hamstring")


def test_an_untrusted_knees_episode_leaves_an_inside_verdict_undecided():
    res = check_envelope(straightened_knee_session(), STANDING, side="right", uncertain=KNEE_UNSURE)
    assert res.verdict == "inside"  # the contract's verdict is unchanged
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert res.verdict_doubts == knee.unconfirmed
    text = res.verdict_doubt_text()
    assert text == (
        "Not decided: the knee reading points to a locked-straight knee at 0:30, for 6 s, and "
        "its rule is uncertain (below) — if that was a break, the stretch left the envelope "
        "there"
    )
    doc = json.loads(res.to_json())
    assert doc["verdict"] == "inside"
    assert doc["verdict_doubt"]["text"] == text
    (item,) = doc["verdict_doubt"]["may_have_broken"]
    assert item["rule"] == "knee_flexion"
    assert item["kind"] == "unconfirmed_episode"


def test_a_trusted_session_is_decided_and_says_nothing_new():
    res = check_envelope(straightened_knee_session(), STANDING, side="right")
    assert res.verdict == "outside"
    assert res.verdict_doubts == ()
    assert res.verdict_doubt_text() is None
    assert "verdict_doubt" not in res.to_dict()  # additive: absent when decided
    inside = check_envelope(grazing_knee_session(14.0), STANDING, side="right")
    assert inside.verdict == "inside"
    assert inside.verdict_doubts == ()
    assert _headline(inside)[0] != UNDECIDED_TITLE


def test_a_run_near_the_latch_point_leaves_the_verdict_undecided():
    res = check_envelope(grazing_knee_session(8.8), STANDING, side="right")
    assert res.verdict == "inside"
    (run,) = res.verdict_doubts
    assert isinstance(run, NearLatchRun)
    text = res.verdict_doubt_text() or ""
    assert "the knee read 8.8° at 0:30" in text
    assert "within its measuring error (2°) of 8.5°" in text
    assert res.to_dict()["verdict_doubt"]["may_have_broken"][0]["kind"] == "near_latch"


def test_the_headline_and_the_terminal_say_it():
    res = check_envelope(straightened_knee_session(), STANDING, side="right", uncertain=KNEE_UNSURE)
    assert _headline(res)[0] == UNDECIDED_TITLE
    text = summary_text(res, source_name="s.csv")
    assert f"verdict: {UNDECIDED_TITLE.lower()} [inside]" in text
    assert "Not decided: the knee reading points to a locked-straight knee" in text


def _episode(rule: str, start_s: float, *, advisory: bool = False) -> Episode:
    return episode(rule, start_s, start_s + 2.0, peak_deg=10.0, advisory=advisory)


def test_verdict_doubts_only_for_inside_and_gating_rules_in_time_order():
    res = check_envelope(straightened_knee_session(), STANDING, side="right", uncertain=KNEE_UNSURE)
    knee = res.rule("knee_flexion")
    ankle = res.rule("ankle_dorsiflexion")
    rot = res.rule("hip_internal_rotation")
    assert knee is not None
    assert ankle is not None
    assert rot is not None
    rules = [
        dataclasses.replace(knee, unconfirmed=(_episode("knee_flexion", 40.0),)),
        dataclasses.replace(
            ankle, status="uncertain", unconfirmed=(_episode("ankle_dorsiflexion", 5.0),)
        ),
        dataclasses.replace(
            rot, status="uncertain", unconfirmed=(_episode("hip_internal_rotation", 1.0),)
        ),
    ]
    got = _verdict_doubts("inside", rules)
    assert [(x.rule, x.start_s) for x in got] == [
        ("ankle_dorsiflexion", 5.0),
        ("knee_flexion", 40.0),
    ]
    assert _verdict_doubts("outside", rules) == ()
    assert _verdict_doubts("not_engaged", rules) == ()
    two = dataclasses.replace(res, verdict_doubts=got)
    assert "(and 1 more time)" in (two.verdict_doubt_text() or "")
    assert "if any of that was a break" in (two.verdict_doubt_text() or "")
