"""An uncertain rule's angle without data: listed in ``gaps``, and a hold across it is said.

Stranger round 7 seeds 3027 and 3028 (round 24): a head sensor out for 5.5 s and 16 s while the
neck rule was uncertain all session was neither listed in ``envelope.json`` ``gaps`` nor said
to leave the hold across it in doubt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.envelope.checker import check_envelope, unmeasured_runs
from analysis.envelope.document import envelope_document
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import Hold, UnmeasuredRun
from tests.analysis.builders import STRETCH_POSE_DEG, held_stretch

STANDING = load_builtin_profile("standing_hamstring")
KNEE = "right_knee_flexion_deg"
KNEE_UNSURE = {KNEE: {"reason": "knee sign", "redo": "redo the knee bends"}}


def knee_gap_session(start_s: float = 30.0, end_s: float = 36.0) -> pd.DataFrame:
    """A correct standing stretch held 12→60 s whose knee angle has no data over [start, end)."""
    df = held_stretch(STRETCH_POSE_DEG)
    t = df["t_s"].to_numpy()
    df.loc[(t >= start_s) & (t < end_s), KNEE] = np.nan
    return df


def test_a_trusted_rules_gap_breaks_the_hold_and_is_listed():
    res = check_envelope(knee_gap_session(), STANDING, side="right")
    assert len(res.holds) == 2
    ((a, b, cols),) = res.gaps
    assert KNEE in cols
    assert a == pytest.approx(30.0, abs=0.02)
    assert b == pytest.approx(36.0, abs=0.02)


def test_an_uncertain_rules_gap_is_listed_too():
    res = check_envelope(knee_gap_session(), STANDING, side="right", uncertain=KNEE_UNSURE)
    assert res.rule("knee_flexion").status == "uncertain"
    ((a, b, cols),) = res.gaps
    assert cols == (KNEE,)
    assert a == pytest.approx(30.0, abs=0.02)
    assert b == pytest.approx(36.0, abs=0.02)
    doc = envelope_document(res)
    assert [g["columns"] for g in doc["gaps"]] == [[KNEE]]


def test_the_hold_across_it_is_kept_conditional_and_its_sure_parts_are_the_trusted_holds():
    df = knee_gap_session()
    trusted = check_envelope(df, STANDING, side="right")
    res = check_envelope(df, STANDING, side="right", uncertain=KNEE_UNSURE)
    (hold,) = res.holds
    assert hold.conditional
    assert not hold.unconfirmed
    (run,) = hold.unmeasured
    assert (run.rule, run.column) == ("knee_flexion", KNEE)
    assert run.start_s == pytest.approx(30.0, abs=0.02)
    assert run.end_s == pytest.approx(36.0, abs=0.02)
    for (a, b), h in zip(hold.sure_parts, trusted.holds, strict=True):
        assert a == pytest.approx(h.start_s, abs=0.05)
        assert b == pytest.approx(h.end_s, abs=0.05)
    text = hold.condition_text()
    assert text is not None
    assert "the knee angle had no data 18 s into the hold, for 6 s" in text
    assert f"longest sure part is {hold.sure_s:.0f} s" in text
    (item,) = envelope_document(res)["holds"][0]["unmeasured_runs"]
    assert item["rule"] == "knee_flexion"
    assert item["column"] == KNEE


def test_an_uncertain_rule_with_no_gap_leaves_the_hold_unconditional():
    res = check_envelope(
        held_stretch(STRETCH_POSE_DEG), STANDING, side="right", uncertain=KNEE_UNSURE
    )
    (hold,) = res.holds
    assert not hold.unmeasured
    assert not hold.conditional
    assert res.gaps == ()


def test_an_uncertain_advisory_rules_gap_is_listed_but_makes_no_hold_conditional():
    df = held_stretch(STRETCH_POSE_DEG)
    t = df["t_s"].to_numpy()
    col = "right_hip_adduction_deg"
    df.loc[(t >= 30.0) & (t < 36.0), col] = np.nan
    unsure = {col: {"reason": "hip axis", "redo": "redo"}}
    res = check_envelope(df, STANDING, side="right", uncertain=unsure)
    assert [cols for *_, cols in res.gaps] == [(col,)]
    assert res.holds
    assert not any(h.conditional for h in res.holds)


def test_unmeasured_runs_are_each_masks_runs_by_time():
    t = np.arange(10) * 0.5
    t_end = t + 0.5
    knee = np.array([0, 0, 1, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
    neck = np.array([1, 0, 0, 0, 0, 1, 1, 0, 0, 0], dtype=bool)
    runs = unmeasured_runs({("knee_flexion", "k"): knee, ("neck_flexion", "n"): neck}, t, t_end)
    assert [(r.rule, r.start_s, r.end_s) for r in runs] == [
        ("neck_flexion", 0.0, 0.5),
        ("knee_flexion", 1.0, 2.0),
        ("neck_flexion", 2.5, 3.5),
        ("knee_flexion", 3.5, 4.0),
    ]
    assert unmeasured_runs({("knee_flexion", "k"): np.zeros(10, bool)}, t, t_end) == ()


def test_sure_parts_leave_out_every_unmeasured_run():
    hold = Hold(
        start_s=10.0,
        end_s=70.0,
        rating="target",
        unmeasured=(
            UnmeasuredRun(rule="neck_flexion", column="n", start_s=20.0, end_s=25.0),
            UnmeasuredRun(rule="neck_flexion", column="n", start_s=60.0, end_s=62.0),
        ),
    )
    assert hold.conditional
    assert hold.sure_parts == ((10.0, 20.0), (25.0, 60.0), (62.0, 70.0))
    assert hold.sure_s == pytest.approx(35.0)
    text = hold.condition_text()
    assert text is not None
    assert "the neck angle had no data 10 s into the hold, for 5 s (and 1 more time)" in text
    assert text.endswith("longest sure part is 35 s")


def test_a_gap_shorter_than_the_dwell_breaks_no_hold_and_leaves_none_conditional():
    df = knee_gap_session(30.0, 30.3)
    trusted = check_envelope(df, STANDING, side="right")
    assert len(trusted.holds) == 1  # a trusted angle's 0.3-s gap breaks no hold
    res = check_envelope(df, STANDING, side="right", uncertain=KNEE_UNSURE)
    (hold,) = res.holds
    assert not hold.unmeasured
    assert not hold.conditional
    assert [cols for *_, cols in res.gaps] == [(KNEE,)]  # but it is listed


def test_unmeasured_runs_leave_out_runs_shorter_than_min_s():
    t = np.arange(10) * 0.5
    mask = np.array([1, 0, 0, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    runs = unmeasured_runs({("knee_flexion", "k"): mask}, t, t + 0.5, min_s=1.0)
    assert [(r.start_s, r.end_s) for r in runs] == [(1.5, 3.0)]
