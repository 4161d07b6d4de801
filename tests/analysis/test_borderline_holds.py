"""A hold that a borderline episode ends or splits gives its reading with that episode inside.

A borderline episode's peak passed the edge by less than the rule's warn margin: the checker
itself says the angle may have stayed inside. The stranger's generator, round 2, seed 1668:
the pelvis estimate lay 0.3–0.5° past the truth and passed its −101.5° edge for 30 s (peak
−102°), ending a hold 26 s early with no other reading.

Synthetic: the ankle (edge 0°, warn +5°, band 3°) goes to ``peak_deg`` from 25 s to 30 s in a
held standing stretch (hip at 50° from 7 s to 50 s).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import BorderlineAlternative
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
DT = 0.01


def _session(peak_deg: float, back_deg: float = -10.0) -> pd.DataFrame:
    t = np.arange(0.0, 60.0, DT)
    hip = min_jerk_step(t, 5.0, 7.0, 50.0) + min_jerk_step(t, 50.0, 52.0, -50.0)
    ankle = (
        -10.0
        + min_jerk_step(t, 24.5, 25.5, peak_deg + 10.0)
        + min_jerk_step(t, 29.5, 30.5, back_deg - peak_deg)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )


def _check(angles: pd.DataFrame):
    env = check_envelope(angles, STANDING, side="right")
    (episode,) = env.rule("ankle_dorsiflexion").episodes
    return env, episode


def _borderline(hold) -> list[BorderlineAlternative]:
    return [a for a in hold.timing_alternatives if isinstance(a, BorderlineAlternative)]


def test_a_borderline_episode_that_splits_a_hold_gives_the_whole_hold():
    env, episode = _check(_session(peak_deg=3.0))
    assert episode.severity == "borderline"
    first, second = sorted(env.holds, key=lambda h: h.start_s)
    assert first.end_s == pytest.approx(episode.start_s)
    assert second.start_s == pytest.approx(episode.end_s)
    for hold in (first, second):
        (alt,) = _borderline(hold)
        assert alt.episodes == (episode,)
        assert (alt.limits_deg, alt.warns_deg) == ((0.0,), (5.0,))
        assert alt.start_s == pytest.approx(first.start_s)
        assert alt.end_s == pytest.approx(second.end_s)
        assert hold.timing_flagged
    text = first.timing_text()
    assert "if the ankle at 0:2" in text
    assert "past its limit of 0° but short of 5°" in text
    assert "was really inside" in text


def test_a_clear_episode_gives_no_such_reading():
    env, episode = _check(_session(peak_deg=7.0))
    assert episode.severity == "clear"
    assert not any(_borderline(h) for h in env.holds)


def test_envelope_json_carries_the_borderline_episodes():
    env, episode = _check(_session(peak_deg=3.0))
    doc = json.loads(env.to_json())
    alts = [a for h in doc["holds"] for a in h["timing_alternatives"]]
    assert len(alts) == 2
    for alt in alts:
        (ep,) = alt["borderline_episodes"]
        assert ep["rule"] == "ankle_dorsiflexion"
        assert ep["start_s"] == pytest.approx(episode.start_s, abs=1e-3)
        assert (ep["limit_deg"], ep["warn_deg"]) == (0.0, 5.0)
        assert ep["severity"] == "borderline"
        assert alt["band_rule"] is None
        assert alt["pause_s"] is None


def test_borderline_runs_keeps_only_runs_of_one_borderline_episode():
    from analysis.envelope.checker import _borderline_runs

    env, episode = _check(_session(peak_deg=3.0))
    testing = np.zeros(env.t_s.size, dtype=bool)
    t_end = np.append(env.t_s[1:], env.t_s[-1] + DT)
    (run,) = _borderline_runs(env.rules, env.outside, testing, env.t_s, t_end)
    assert run.episode == episode
    assert env.t_s[run.a] == pytest.approx(episode.start_s)
    assert not run.others.any()
    env, _ = _check(_session(peak_deg=7.0))
    assert _borderline_runs(env.rules, env.outside, testing, env.t_s, t_end) == []


def test_what_else_breaks_a_hold_is_a_test_movement_or_another_gating_rule():
    from analysis.envelope import checker

    testing = np.array([False, True, False, False])
    outside = {
        "ankle_dorsiflexion": np.array([True, False, False, False]),
        "knee_flexion": np.array([False, False, True, False]),
        "hip_adduction": np.array([False, False, False, True]),
    }
    got = checker._breaking_besides(
        "ankle_dorsiflexion", testing, outside, {"ankle_dorsiflexion", "knee_flexion"}, slice(0, 4)
    )
    # not the rule itself, not an advisory (non-gating) rule
    assert got.tolist() == [False, True, True, False]


def _chain_session(peak_deg: float = 3.0) -> pd.DataFrame:
    """Three ankle episodes to ``peak_deg`` (14–18 s, 24–28 s, 34–38 s) in one held stretch."""
    angles = _session(peak_deg=-10.0)
    t = angles["t_s"].to_numpy()
    ankle = np.full(t.size, -10.0)
    for up_s in (14.0, 24.0, 34.0):
        ankle += min_jerk_step(t, up_s - 0.5, up_s + 0.5, peak_deg + 10.0)
        ankle += min_jerk_step(t, up_s + 3.5, up_s + 4.5, -(peak_deg + 10.0))
    angles["right_ankle_dorsiflexion_deg"] = ankle
    return angles


def test_a_chain_of_borderline_episodes_gives_the_reading_with_all_of_them_inside():
    env = check_envelope(_chain_session(), STANDING, side="right")
    episodes = env.rule("ankle_dorsiflexion").episodes
    assert len(episodes) == 3
    assert all(e.severity == "borderline" for e in episodes)
    holds = sorted(env.holds, key=lambda h: h.start_s)
    assert len(holds) == 4
    whole = (holds[0].start_s, holds[-1].end_s)
    for hold in holds:
        alts = _borderline(hold)
        # the neighbours' reading first, then the chain's (each episode taken once)
        assert 1 <= len(alts) <= 2
        last = alts[-1]
        assert last.episodes == tuple(sorted(episodes, key=lambda e: e.start_s))
        assert (last.start_s, last.end_s) == pytest.approx(whole)
        assert all(len(set(a.episodes)) == len(a.episodes) for a in alts)
    # the first hold's neighbour reading stops at the second episode
    first = _borderline(holds[0])[0]
    assert first.episodes == (episodes[0],)
    assert first.end_s == pytest.approx(holds[1].end_s)


def test_a_chain_stops_at_a_clear_episode():
    angles = _chain_session()
    t = angles["t_s"].to_numpy()
    ankle = angles["right_ankle_dorsiflexion_deg"].to_numpy()
    clear = (t >= 33.0) & (t < 39.0)
    angles["right_ankle_dorsiflexion_deg"] = np.where(clear, ankle + 4.0, ankle)
    env = check_envelope(angles, STANDING, side="right")
    severities = [e.severity for e in env.rule("ankle_dorsiflexion").episodes]
    assert severities == ["borderline", "borderline", "clear"]
    holds = sorted(env.holds, key=lambda h: h.start_s)
    for hold in holds[:3]:
        for alt in _borderline(hold):
            assert all(e.severity == "borderline" for e in alt.episodes)
            assert alt.end_s <= holds[2].end_s + 1e-6


def test_chained_reading_takes_each_run_once():
    from analysis.envelope import checker

    spec = STANDING.rules[0]
    runs = []
    for k, (s0, s1) in enumerate(((10.0, 12.0), (20.0, 22.0), (30.0, 32.0))):
        ep = dataclasses.replace(_check(_session(peak_deg=3.0))[1], start_s=s0, end_s=s1)
        runs.append(checker._Borderline(spec, ep, k, k + 1, np.zeros(1, dtype=bool)))
    calls = []

    def read(taken):
        calls.append(len(taken))
        # every run taken inside joins the hold up to the next run's start
        end = {1: 20.0, 2: 30.0, 3: 40.0}[len(taken)]
        return [(0.0, 10.0), (12.0, end)] if len(taken) == 0 else [(0.0, end)]

    taken, best = checker._chained_reading((0.0, 10.0), runs, read, dwell_s=1.0)
    assert taken == runs
    assert best == (0.0, 40.0)
    assert calls == [1, 2, 3]


def test_a_chain_names_the_rule_once_with_each_time_and_peak():
    env = check_envelope(_chain_session(), STANDING, side="right")
    first = min(env.holds, key=lambda h: h.start_s)
    text = first.timing_text()
    assert (
        "if the ankle at 0:14, 0:24 and 0:34 (peaks 3°, 3° and 3°, past its limit of 0° but "
        "short of 5°, within what the sensors can tell apart) were really inside"
    ) in text
    assert "if the ankle at 0:14 (peak 3°," in text  # the neighbour's reading, one episode


def test_and_list():
    from analysis.envelope.results import _and_list

    assert _and_list(["a"]) == "a"
    assert _and_list(["a", "b"]) == "a and b"
    assert _and_list(["a", "b", "c"]) == "a, b and c"
