"""Angles whose calibration is not established: judged, reported ``uncertain``, never violated."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.envelope.checker import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import summary_text, uncertain_lines
from tests.analysis.builders import STRETCH_POSE_DEG, held_stretch
from tests.analysis.builders import min_jerk_step as step

STANDING = load_builtin_profile("standing_hamstring")


def standing_session() -> pd.DataFrame:
    """Quiet stand, then a correct standing stretch (right leg) held 10→60 s."""
    return held_stretch({**STRETCH_POSE_DEG, "lumbar_flexion_deg": 2.0})


UNSURE = {
    "pelvis_anterior_tilt_deg": {
        "reason": "the pelvis sensor's forward direction is not established",
        "redo": "redo the calibration with two slow bows",
    }
}


def _reversed_pelvis():
    """A correct stretch whose pelvis reads reversed (+12° anterior shows as −12°)."""
    df = standing_session()
    df["pelvis_anterior_tilt_deg"] *= -1.0
    return df


def test_a_reversed_pelvis_is_a_violation_when_trusted_and_uncertain_when_not():
    df = _reversed_pelvis()
    trusted = check_envelope(df, STANDING, side="right")
    assert trusted.verdict == "outside"
    assert trusted.rule("pelvis_anterior_tilt").status == "violated"

    res = check_envelope(df, STANDING, side="right", uncertain=UNSURE)
    rule = res.rule("pelvis_anterior_tilt")
    assert rule.status == "uncertain"
    assert rule.episodes == ()
    assert len(rule.unconfirmed) == 1  # what the angle showed is kept, not counted
    assert res.verdict == "inside"
    (hold,) = res.holds  # the uncertain rule does not break the hold
    assert hold.duration_s > 45
    assert "pelvis_anterior_tilt" not in res.outside


def test_uncertain_rules_in_envelope_json_are_additive():
    res = check_envelope(_reversed_pelvis(), STANDING, side="right", uncertain=UNSURE)
    doc = json.loads(res.to_json())
    base = json.loads(check_envelope(standing_session(), STANDING, side="right").to_json())
    assert set(base) <= set(doc)  # nothing renamed or removed
    (item,) = doc["uncertain"]
    assert item["rule"] == "pelvis_anterior_tilt"
    assert item["column"] == "pelvis_anterior_tilt_deg"
    assert item["redo"].startswith("redo the calibration")
    rule = next(r for r in doc["rules"] if r["rule"] == "pelvis_anterior_tilt")
    assert rule["status"] == "uncertain"
    assert rule["episodes"] == []
    assert len(rule["unconfirmed_episodes"]) == 1
    assert doc["gating_rules_uncertain"] == 1
    assert base["uncertain"] == []


def test_a_real_violation_elsewhere_still_counts():
    df = _reversed_pelvis()
    t = df["t_s"].to_numpy()
    df["right_ankle_dorsiflexion_deg"] += step(t, 30.0, 31.0, 23.0) - step(t, 38.0, 39.0, 23.0)
    res = check_envelope(df, STANDING, side="right", uncertain=UNSURE)
    assert res.verdict == "outside"
    assert [e.rule for e in res.episodes] == ["ankle_dorsiflexion"]


def test_terminal_summary_and_report_lines_name_the_rule_reason_and_redo():
    res = check_envelope(_reversed_pelvis(), STANDING, side="right", uncertain=UNSURE)
    text = summary_text(res, source_name="s.csv")
    assert "pelvis_anterior_tilt" in text
    assert "uncertain" in text
    assert "partial: 1 gating rule(s) uncertain" in text
    assert "redo the calibration with two slow bows" in text
    (line,) = uncertain_lines(res)
    assert "not established" in line
    assert uncertain_lines(check_envelope(standing_session(), STANDING, side="right")) == []


def test_live_monitor_shows_uncertain_and_never_cues_it():
    df = _reversed_pelvis()
    mon = EnvelopeMonitor(STANDING, side="right", uncertain=UNSURE)
    cues, states = [], []
    t = df["t_s"].to_numpy()
    for a in range(0, t.size, 50):
        st = mon.update(t[a : a + 50], {c: df[c].to_numpy()[a : a + 50] for c in df.columns[1:]})
        if st is not None:
            cues.extend(st.new_cues)
            states.append(st)
    assert cues == []
    engaged = [s for s in states if s.engaged]
    assert engaged
    assert not any(s.outside for s in engaged)
    pelvis = [r for s in engaged for r in s.rules if r.rule == "pelvis_anterior_tilt"]
    assert {r.status for r in pelvis} == {"uncertain"}
    assert "redo the calibration" in pelvis[-1].reason
    assert max(s.hold_s for s in engaged) > 30
    assert np.isfinite(pelvis[-1].angle_deg)
