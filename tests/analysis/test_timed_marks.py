"""A per-time doubt whose bound, as an RMS over the session, passes the target marks its angle.

Stranger round 5 seed 2850 (DOT files): the hip drift's bound between stands doubted the
adduction rules at times but left the angle trusted, and it read 4.95° off over the session
(``analysis.angles.timed_marks``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles import pipeline
from analysis.angles.timed_marks import (
    column_target_deg,
    session_rms_deg,
    timed_mark,
    timed_marks,
)
from analysis.recording.doubts import TimedDoubt, decided_doubts, is_trace_only

ADD = "right_hip_adduction_deg"
KNEE = "left_knee_flexion_deg"


def _doubt(bound_deg: np.ndarray) -> TimedDoubt:
    return TimedDoubt(bound_deg=bound_deg, reason="the hip may be off", redo="stand still")


def test_column_target_reads_the_motion_without_side_or_unit():
    assert column_target_deg(ADD) == 4.0
    assert column_target_deg(KNEE) == 2.0
    assert column_target_deg("pelvis_anterior_tilt_deg") == 2.0
    assert column_target_deg("neck_flexion_deg") == 4.0
    assert column_target_deg("right_thigh_inclination_deg") is None


def test_session_rms_counts_only_read_samples():
    bound = np.array([3.0, 4.0, 100.0, np.nan])
    read = np.array([True, True, False, True])
    assert session_rms_deg(bound, read) == pytest.approx(np.sqrt((9.0 + 16.0) / 2.0))
    assert session_rms_deg(bound, np.zeros(4, dtype=bool)) == 0.0


def test_a_bound_past_the_target_for_long_enough_marks_the_angle_approximate():
    read = np.ones(100, dtype=bool)
    bound = np.where(np.arange(100) < 50, 6.0, 0.0)  # RMS 6/√2 = 4.24° > 4°
    mark = timed_mark(ADD, _doubt(bound), read, 4.0)
    assert mark is not None
    assert mark.precision_deg == pytest.approx(6.0 / np.sqrt(2.0))
    assert is_trace_only(mark)  # reported, its rules left to the per-time bound
    assert decided_doubts({ADD: mark}) == {}
    assert "the hip may be off" in mark["reason"]
    assert "±4.2° RMS" in mark["reason"]
    assert "approximate" in mark["reason"]
    assert mark["redo"] == "stand still"


def test_a_bound_past_the_target_only_briefly_leaves_the_angle_trusted():
    read = np.ones(100, dtype=bool)
    bound = np.where(np.arange(100) < 40, 6.0, 0.0)  # RMS 3.79° ≤ 4°
    assert timed_mark(ADD, _doubt(bound), read, 4.0) is None
    assert timed_mark(ADD, _doubt(np.full(100, 4.0)), read, 4.0) is None  # at, not past


def test_timed_marks_skip_doubted_absent_and_targetless_columns():
    n = 50
    angles = pd.DataFrame(
        {
            "t_s": np.arange(n, dtype=float),
            ADD: np.zeros(n),
            KNEE: np.zeros(n),
            "right_thigh_inclination_deg": np.zeros(n),
        }
    )
    big = _doubt(np.full(n, 9.0))
    timed = {ADD: big, KNEE: big, "right_thigh_inclination_deg": big, "neck_flexion_deg": big}
    assert set(timed_marks(angles, timed, ())) == {ADD, KNEE}
    assert set(timed_marks(angles, timed, {ADD})) == {KNEE}


def test_timed_marks_read_the_bound_only_where_the_angle_is_read():
    n = 100
    add = np.where(np.arange(n) < 50, 0.0, np.nan)  # read on the first half only
    angles = pd.DataFrame({"t_s": np.arange(n, dtype=float), ADD: add})
    bound = np.where(np.arange(n) < 50, 0.0, 9.0)  # past the target only where unread
    assert timed_marks(angles, {ADD: _doubt(bound)}, ()) == {}


def test_pipeline_keeps_marked_words_and_adds_the_timed_mark():
    n = 40
    angles = pd.DataFrame({"t_s": np.arange(n, dtype=float), ADD: np.zeros(n), KNEE: np.zeros(n)})
    timed = {ADD: _doubt(np.full(n, 5.0)), KNEE: _doubt(np.full(n, 3.0))}
    kept = {KNEE: {"reason": "a knee doubt", "redo": "redo"}}
    out = pipeline._with_timed_marks(angles, timed, kept)
    assert out[KNEE] == kept[KNEE]
    assert set(out) == {ADD, KNEE}
    assert out[ADD].precision_deg == pytest.approx(5.0)
