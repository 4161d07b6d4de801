"""Holds timed on an uncertain engagement angle give the readings at half and twice its rate.

Synthetic standing stretch: placing the leg (fast), a slow lean deeper right after it whose
rate peaks under the 2.5 °/s release rate, the hold, lowering. Read as measured, the lean is
part of the hold; were the angle moving twice as fast (an uncertain pelvis reading a lean at
half its size), it would join the placement and the hold would start after it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope import check_envelope
from analysis.envelope.checker import RATE_DOUBT_FACTOR
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import RateAlternative, ReadingAlternative
from tests.analysis.builders import LEAN_END_S, LEAN_START_S, lean_peak_deg_s, leaning_hold

STANDING = load_builtin_profile("standing_hamstring")
HIP = "right_hip_flexion_deg"
DOUBT = {HIP: {"reason": "the pelvis turned only 8° during the calibration", "redo": "bow"}}


def test_a_lean_under_the_release_rate_on_an_uncertain_angle_gives_the_faster_reading():
    angles = leaning_hold(2.4)
    release = STANDING.hold.still_rate_deg_s
    assert release is not None
    # the premise: the lean reads under the release rate, but over it at twice its rate
    assert (
        lean_peak_deg_s(angles, STANDING.hold)
        < release
        < RATE_DOUBT_FACTOR * lean_peak_deg_s(angles, STANDING.hold)
    )
    (hold,) = check_envelope(angles, STANDING, side="right", uncertain=DOUBT).holds
    assert hold.start_s < LEAN_START_S + 0.5  # as measured, the lean is part of the hold
    faster = [a for a in hold.timing_alternatives if a.rate_factor == RATE_DOUBT_FACTOR]
    assert len(faster) == 1
    assert isinstance(faster[0], RateAlternative)
    assert faster[0].start_s == pytest.approx(LEAN_END_S, abs=0.5)
    assert faster[0].end_s == pytest.approx(hold.end_s, abs=0.5)
    assert faster[0].duration_s == pytest.approx(faster[0].end_s - faster[0].start_s)
    assert hold.timing_flagged
    text = hold.timing_text()
    assert text is not None
    assert "if the uncertain angle that times it moved twice as fast as read" in text


def test_a_trusted_angle_gives_one_reading():
    (hold,) = check_envelope(leaning_hold(2.4), STANDING, side="right").holds
    assert hold.timing_alternatives == ()
    assert not hold.timing_flagged


def test_a_hold_that_does_not_move_with_the_rate_is_not_flagged():
    # no lean: read at half or twice the rate the hold starts and ends within half a second
    (hold,) = check_envelope(leaning_hold(0.0), STANDING, side="right", uncertain=DOUBT).holds
    assert hold.timing_alternatives == ()


def test_the_rate_reading_is_in_envelope_json_with_its_factor():
    env = check_envelope(leaning_hold(2.4), STANDING, side="right", uncertain=DOUBT)
    (item,) = json.loads(env.to_json())["holds"]
    assert item["timing_flagged"] is True
    rate = [a for a in item["timing_alternatives"] if a["rate_factor"] == RATE_DOUBT_FACTOR]
    assert len(rate) == 1
    assert rate[0]["pause_s"] is None
    assert rate[0]["start_s"] == pytest.approx(env.holds[0].timing_alternatives[-1].start_s)
    # a pause's reading says it has no rate factor
    plain = json.loads(check_envelope(leaning_hold(2.4), STANDING, side="right").to_json())
    assert plain["holds"][0]["timing_alternatives"] == []


READINGS = "found whichever of the pelvis's two flexion axes (from a, b) is right"


def _timed_under(readings: list[pd.DataFrame]):
    angles = leaning_hold(2.4)
    others = {"pelvis": (READINGS, tuple({HIP: r[HIP].to_numpy()} for r in readings))}
    env = check_envelope(angles, STANDING, side="right", uncertain=DOUBT, other_readings=others)
    (hold,) = env.holds
    return env, hold


def test_a_discrete_doubt_times_the_hold_under_each_reading_instead_of_the_rate():
    """Every reading reads the lean slow enough to be held (a rival axis reading it 10 %
    smaller): the readings agree within 1 s, so the hold is reported as it is, where the
    rate's ×2 would have flagged it."""
    smaller = leaning_hold(2.4 * 0.9)
    env, hold = _timed_under([smaller])
    assert hold.start_s < LEAN_START_S + 0.5
    assert hold.timing_alternatives == ()
    assert not hold.timing_flagged
    assert json.loads(env.to_json())["holds"][0]["timing_alternatives"] == []


def test_a_reading_that_moves_the_hold_flags_it_with_that_reading():
    """A reading whose lean is fast enough to join the placement (twice as large) starts the
    hold after the lean: more than 1 s off, so the hold is flagged with that reading."""
    larger = leaning_hold(4.8)
    env, hold = _timed_under([leaning_hold(2.4 * 0.9), larger])
    (alt,) = hold.timing_alternatives
    assert isinstance(alt, ReadingAlternative)
    assert alt.reading == READINGS
    assert alt.start_s == pytest.approx(LEAN_END_S, abs=0.5)
    assert hold.timing_flagged
    text = hold.timing_text()
    assert text is not None
    assert "under another calibration of the angle that times it" in text
    (item,) = json.loads(env.to_json())["holds"][0]["timing_alternatives"]
    assert item["reading"] == READINGS
    assert item["rate_factor"] is None
    assert item["pause_s"] is None


def test_readings_that_do_not_hold_the_engagement_angle_leave_the_rate_readings():
    angles = leaning_hold(2.4)
    others = {"pelvis": (READINGS, ({"pelvis_anterior_tilt_deg": np.zeros(len(angles))},))}
    env = check_envelope(angles, STANDING, side="right", uncertain=DOUBT, other_readings=others)
    (hold,) = env.holds
    assert [a.rate_factor for a in hold.timing_alternatives] == [RATE_DOUBT_FACTOR]
