"""A hold across a run near a rule's latch point is conditional: it may have ended there.

A trusted knee reading past its 10° edge but short of 8.5° (where a break counts), within its
2° error of that point, breaks no hold as read; the truth may have passed 8.5° there, so the
hold says it may have ended at the run and what is left clear of it.
"""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from analysis.envelope.checker import _with_near_latch, check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import Hold
from tests.analysis.builders import episode, knee_dip_session, near_latch_run

STANDING = load_builtin_profile("standing_hamstring")


def grazing_knee_session(knee_in_run_deg: float) -> pd.DataFrame:
    """A standing stretch held 12→60 s, knee 18°, at ``knee_in_run_deg`` over 30→36 s."""
    return knee_dip_session(knee_in_run_deg)


def test_a_hold_across_a_grazing_knee_is_conditional_with_the_parts_clear_of_it():
    res = check_envelope(grazing_knee_session(8.8), STANDING, side="right")
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "uncertain"
    assert knee.near_latch
    (hold,) = res.holds  # the run breaks no hold as read
    assert hold.conditional
    (run,) = hold.near_latch
    assert hold.start_s <= run.start_s < run.end_s <= hold.end_s
    # what is left if the run was a break: the same parts a knee read past 8.5° gives
    broken = check_envelope(grazing_knee_session(7.0), STANDING, side="right")
    assert len(broken.holds) == 2
    parts = hold.near_latch_parts
    assert len(parts) == 2
    for (a, b), h in zip(parts, broken.holds, strict=True):
        assert abs(a - h.start_s) < 1.0
        assert abs(b - h.end_s) < 1.0
    assert hold.sure_parts == parts
    assert hold.sure_s == pytest.approx(max(b - a for a, b in parts))


def test_a_knee_well_inside_leaves_the_hold_unconditional():
    res = check_envelope(grazing_knee_session(14.0), STANDING, side="right")
    (hold,) = res.holds
    assert not hold.near_latch
    assert not hold.conditional
    assert hold.condition_text() is None


def test_the_runs_are_clipped_to_the_hold_and_an_advisory_rules_runs_are_left_out():
    res = check_envelope(grazing_knee_session(8.8), STANDING, side="right")
    knee = res.rule("knee_flexion")
    assert knee is not None
    (run,) = knee.near_latch
    short = Hold(start_s=run.start_s + 1.0, end_s=run.end_s + 5.0, rating="short")
    (clipped,) = _with_near_latch([short], res.rules)[0].near_latch
    assert (clipped.start_s, clipped.end_s) == (run.start_s + 1.0, run.end_s)
    assert clipped.closest_deg == run.closest_deg
    advisory = [
        dataclasses.replace(r, spec=dataclasses.replace(r.spec, advisory=True)) for r in res.rules
    ]
    assert _with_near_latch([short], advisory)[0].near_latch == ()


def test_condition_text_names_the_run_and_what_is_left():
    hold = Hold(
        start_s=100.0,
        end_s=140.0,
        rating="target",
        near_latch=(near_latch_run(119.0, 131.0),),
    )
    assert hold.condition_text() == (
        "held 40 s; the knee read 8.7° 19 s into the hold, for 12 s, within its measuring "
        "error (2°) of 8.5°, the point where a break counts — if the limit was broken there, "
        "the hold ended there and its longest sure part is 19 s"
    )
    two = Hold(
        start_s=100.0,
        end_s=140.0,
        rating="target",
        near_latch=(
            near_latch_run(105.0, 107.0),
            near_latch_run(119.0, 131.0),
        ),
    )
    assert "for 2 s (and 1 more time)" in (two.condition_text() or "")


def test_condition_text_with_an_unconfirmed_episode_and_a_run_says_both():
    ep = episode("ankle_dorsiflexion", 102.0, 104.0, peak_deg=8.0, peak_t_s=103.0)
    hold = Hold(
        start_s=100.0,
        end_s=140.0,
        rating="target",
        unconfirmed=(ep,),
        near_latch=(near_latch_run(119.0, 131.0),),
    )
    text = hold.condition_text() or ""
    assert "the ankle reading is uncertain" in text
    assert "; the knee read 8.7° 19 s into the hold" in text
    assert hold.sure_parts == ((100.0, 102.0), (104.0, 119.0), (131.0, 140.0))
    assert hold.sure_s == pytest.approx(15.0)


def test_envelope_json_lists_a_holds_runs_only_when_it_has_some():
    res = check_envelope(grazing_knee_session(8.8), STANDING, side="right")
    (item,) = json.loads(res.to_json())["holds"]
    assert item["conditional"] is True
    (run,) = item["near_latch_runs"]
    assert run["latch_deg"] == 8.5
    assert "the hold ended there" in item["condition"]
    plain = check_envelope(grazing_knee_session(14.0), STANDING, side="right")
    (item,) = json.loads(plain.to_json())["holds"]
    assert "near_latch_runs" not in item  # additive: absent when there is none
