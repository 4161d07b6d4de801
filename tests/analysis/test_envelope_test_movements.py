"""A "nerve or muscle?" test's movement is no violation: the toes pulled up (or the chin
dropped) between the test's marks, as the guide asks, shows among the rule's test episodes,
sets no verdict and gives no cue, but interrupts the hold. What goes on past the test counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope import EnvelopeMonitor, check_envelope
from analysis.envelope.monitor import OPEN_TEST_MAX_S, with_open_test
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.streams import Marker

STANDING = load_builtin_profile("standing_hamstring")


def _stretch(df_peak: float, df_from: float, df_to: float, base: float = -12.0) -> pd.DataFrame:
    """In the stretch from 2 s to 58 s; the ankle at ``df_peak`` over [df_from, df_to), at
    ``base`` otherwise."""
    t = np.arange(0.0, 60.0, 0.01)
    on = (t >= 2.0) & (t < 58.0)
    ankle = np.where((t >= df_from) & (t < df_to), df_peak, base)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": np.where(on, 65.0, 0.0),
            "right_knee_flexion_deg": np.where(on, 20.0, 0.0),
            "right_ankle_dorsiflexion_deg": ankle,
            "pelvis_anterior_tilt_deg": np.where(on, 6.0, 0.0),
        }
    )


def _marks(a: float, b: float) -> list[Marker]:
    return [
        Marker(t_s=a, label="ankle test", kind="diff_start"),
        Marker(t_s=b, label="answer", kind="diff_end", answer="same"),
    ]


def test_the_test_movement_is_excused_but_breaks_the_hold():
    res = check_envelope(_stretch(15.0, 20.5, 24.0), STANDING, side="right", markers=_marks(20, 25))
    rule = res.rule("ankle_dorsiflexion")
    assert rule is not None
    assert rule.status == "ok"
    assert not rule.episodes
    assert len(rule.excused) == 1
    assert rule.excused[0].start_s == 20.5
    assert res.verdict == "inside"
    assert len(res.holds) == 2  # before and after the test
    doc = res.to_dict()
    (item,) = [r for r in doc["rules"] if r["rule"] == "ankle_dorsiflexion"]
    assert len(item["test_episodes"]) == 1
    assert doc["differentiation"][0]["valid"] is True


def test_without_the_marks_it_is_a_violation():
    res = check_envelope(_stretch(15.0, 20.5, 24.0), STANDING, side="right")
    assert res.verdict == "outside"
    assert len(res.rule("ankle_dorsiflexion").episodes) == 1  # type: ignore[union-attr]


def test_staying_dorsiflexed_after_the_test_is_a_violation():
    res = check_envelope(_stretch(15.0, 20.5, 34.0), STANDING, side="right", markers=_marks(20, 25))
    rule = res.rule("ankle_dorsiflexion")
    assert rule is not None
    assert rule.status == "violated"
    assert not rule.excused


def test_a_movement_too_small_to_be_the_test_is_judged_as_usual():
    # −3° → +6°: 9° moved, under the 10° a test needs, yet 6° past the edge
    data = _stretch(6.0, 20.5, 24.0, base=-3.0)
    res = check_envelope(data, STANDING, side="right", markers=_marks(20, 25))
    assert not res.differentiation[0].performed
    rule = res.rule("ankle_dorsiflexion")
    assert rule is not None
    assert len(rule.episodes) == 1
    assert not rule.excused
    assert res.verdict == "outside"


def _live_cues(data: pd.DataFrame, answer_at_s: float | None) -> list[str]:
    """Feed the monitor 0.5-s chunks; the test starts at 20 s (answered at ``answer_at_s``)."""
    marks: list[Marker] = []
    monitor = EnvelopeMonitor(STANDING, side="right", markers=marks)
    cues = []
    for a in range(0, len(data), 50):
        chunk = data.iloc[a : a + 50]
        now = float(chunk["t_s"].iloc[-1])
        if now >= 20.0 and not marks:
            marks.append(Marker(t_s=20.0, label="ankle test", kind="diff_start"))
        if answer_at_s is not None and now >= answer_at_s and len(marks) == 1:
            marks.append(Marker(t_s=answer_at_s, label="answer", kind="diff_end", answer="same"))
        cols = {c: chunk[c].to_numpy() for c in data.columns[1:]}
        st = monitor.update(chunk["t_s"].to_numpy(), cols)
        if st is not None:
            cues.extend(st.new_cues)
    return cues


def test_the_live_monitor_says_nothing_during_a_test_in_progress():
    assert _live_cues(_stretch(15.0, 20.5, 24.0), answer_at_s=25.0) == []


def test_a_test_never_answered_stops_excusing_after_30_s():
    cues = _live_cues(_stretch(15.0, 20.5, 56.0), answer_at_s=None)
    assert cues == ["ankle dorsiflexed 15° — point your toes away"]


def test_open_test_gets_a_provisional_end():
    start = Marker(t_s=10.0, label="ankle test", kind="diff_start")
    assert [m.kind for m in with_open_test([start], 12.0)] == ["diff_start", "diff_end"]
    assert with_open_test([start], 12.0)[-1].t_s == 12.0
    assert len(with_open_test([start], 10.0 + OPEN_TEST_MAX_S + 0.1)) == 1
    end = Marker(t_s=11.0, label="answer", kind="diff_end", answer="same")
    assert len(with_open_test([start, end], 12.0)) == 2
