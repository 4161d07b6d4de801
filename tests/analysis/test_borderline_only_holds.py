"""A hold that only a reading with a borderline episode inside has is said, not lost.

A borderline episode's peak passed the edge by less than the rule's warn margin: the checker
itself says the angle may have stayed inside. When such an episode covers a whole held
stretch, no hold is read there, so no hold carries the reading with the episode inside
(stranger round 5 seed 2292's DOT file: the pelvis read 0.6° past the truth, peak −101.6°
against the −101.5° latch, for the whole second stretch; round 2 seed 1611 likewise). The
holds of that reading that overlap no hold as read are listed as ``possible_holds``.

Synthetic: the ankle (edge 0°, warn +5°, band 3°) sits at ``level_deg`` from 4 s to 55 s,
over a held standing stretch (hip at 50° from 7 s to 50 s).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import BorderlineAlternative, Hold
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
DT = 0.01


def _session(level_deg: float) -> pd.DataFrame:
    t = np.arange(0.0, 60.0, DT)
    hip = min_jerk_step(t, 5.0, 7.0, 50.0) + min_jerk_step(t, 50.0, 52.0, -50.0)
    ankle = (
        -10.0
        + min_jerk_step(t, 3.5, 4.5, level_deg + 10.0)
        + min_jerk_step(t, 54.5, 55.5, -10.0 - level_deg)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )


def test_a_borderline_episode_over_the_whole_stretch_gives_a_possible_hold():
    env = check_envelope(_session(level_deg=3.0), STANDING, side="right")
    (episode,) = env.rule("ankle_dorsiflexion").episodes
    assert episode.severity == "borderline"
    assert env.holds == ()
    (possible,) = env.possible_holds
    assert possible.episodes == (episode,)
    assert (possible.limits_deg, possible.warns_deg) == ((0.0,), (5.0,))
    # the hold the same angles give with the ankle inside
    (inside,) = check_envelope(_session(level_deg=-10.0), STANDING, side="right").holds
    assert possible.start_s == pytest.approx(inside.start_s)
    assert possible.end_s == pytest.approx(inside.end_s)


def test_a_clear_episode_over_the_whole_stretch_gives_none():
    env = check_envelope(_session(level_deg=7.0), STANDING, side="right")
    (episode,) = env.rule("ankle_dorsiflexion").episodes
    assert episode.severity == "clear"
    assert env.holds == ()
    assert env.possible_holds == ()


def test_a_reading_a_hold_as_read_carries_is_not_repeated():
    from tests.analysis.test_borderline_holds import _session as splitting

    env = check_envelope(splitting(peak_deg=3.0), STANDING, side="right")
    assert len(env.holds) == 2
    assert env.possible_holds == ()


def test_envelope_json_and_the_words():
    env = check_envelope(_session(level_deg=3.0), STANDING, side="right")
    (item,) = json.loads(env.to_json())["possible_holds"]
    (ep,) = item["borderline_episodes"]
    assert ep["rule"] == "ankle_dorsiflexion"
    assert (ep["limit_deg"], ep["warn_deg"]) == (0.0, 5.0)
    assert item["duration_s"] == pytest.approx(item["end_s"] - item["start_s"], abs=2e-3)
    text = item["text"]
    assert "may have been a hold that is not counted" in text
    assert "past its limit of 0° but short of 5°" in text
    assert "for all that time or part of it" in text
    assert text == env.possible_holds[0].hold_text()


def test_a_borderline_reading_of_a_hold_says_its_edge_may_lie_between():
    ep = check_envelope(_session(level_deg=3.0), STANDING, side="right").possible_holds[0]
    alt = BorderlineAlternative(
        episodes=ep.episodes,
        limits_deg=ep.limits_deg,
        warns_deg=ep.warns_deg,
        start_s=10.0,
        end_s=40.0,
    )
    hold = Hold(start_s=10.0, end_s=12.0, rating="short", timing_alternatives=(alt,))
    text = hold.timing_text()
    assert "or 30 s (0:10–0:40) if the ankle at 0:0" in text
    assert "for all that time or part of it" in text
    assert "anywhere between these readings" in text
