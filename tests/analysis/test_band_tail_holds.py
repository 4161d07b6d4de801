"""A hold whose start hangs on an episode the hysteresis band keeps open gives both readings.

A breach ends only once the angle is half the hysteresis band back inside the edge, and its
extent runs to the last sample past the edge before that release. An angle that comes back
inside the edge and hovers between it and the release, dipping past the edge by a hair, keeps
the episode open to that dip, and the hold starts there. The stranger's generator, round 2,
seed 1347: the pelvis came back inside its −100° edge at 132.7 s and hovered 0.03–1.04°
inside it; a 0.007° dip at 143.5 s ended the episode, and the hold started 11 s late unsaid.

Synthetic: the ankle (edge 0°, band 3°: breach at +1.5°, release at −1.5°) breaks to +5° in a
held standing stretch, comes back to −0.5° at 20 s and hovers there.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import BandAlternative
from analysis.report.page import pause_hold_lines
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
DT = 0.01
BACK_S = 20.0  # the ankle is back inside its edge (at −0.5°) from here
DIP_S = 28.0  # a 0.2-s dip to ``dip_deg`` while it hovers
RELEASED_S = 33.0  # the ankle goes back to −10°, past the release


def _session(dip_deg: float | None, hover_deg: float = -0.5) -> pd.DataFrame:
    t = np.arange(0.0, 60.0, DT)
    hip = min_jerk_step(t, 5.0, 7.0, 50.0) + min_jerk_step(t, 50.0, 52.0, -50.0)
    ankle = (
        -10.0
        + min_jerk_step(t, 14.0, 15.0, 15.0)
        + min_jerk_step(t, 19.0, BACK_S, hover_deg - 5.0)
        + min_jerk_step(t, RELEASED_S, RELEASED_S + 1.0, -10.0 - hover_deg)
    )
    if dip_deg is not None:
        dip = (t >= DIP_S) & (t < DIP_S + 0.2)
        ankle[dip] = dip_deg
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )


def _return_s(angles: pd.DataFrame) -> float:
    """The first sample back inside the edge (0°) after the break."""
    t = angles["t_s"].to_numpy()
    back = (t > 15.0) & (angles["right_ankle_dorsiflexion_deg"].to_numpy() <= 0.0)
    return float(t[np.flatnonzero(back)[0]])


def _check(angles: pd.DataFrame):
    env = check_envelope(angles, STANDING, side="right")
    (episode,) = env.rule("ankle_dorsiflexion").episodes
    return env, episode, max(env.holds, key=lambda h: h.duration_s)


def test_a_hair_past_the_edge_while_hovering_gives_the_hold_from_the_return():
    angles = _session(dip_deg=0.01)
    env, episode, hold = _check(angles)
    # as before: the episode runs to the dip and the hold starts after it
    assert episode.end_s == pytest.approx(DIP_S + 0.2, abs=0.02)
    assert hold.start_s == pytest.approx(DIP_S + 0.2, abs=0.02)
    (alt,) = hold.timing_alternatives
    assert isinstance(alt, BandAlternative)
    assert alt.rule == "ankle_dorsiflexion"
    assert alt.return_s == pytest.approx(_return_s(angles))
    assert alt.until_s == pytest.approx(episode.end_s)
    assert (alt.limit_deg, alt.release_deg) == (0.0, -1.5)
    assert alt.past_deg == pytest.approx(0.01)
    assert alt.start_s == pytest.approx(alt.return_s)
    assert alt.end_s == pytest.approx(hold.end_s)
    assert hold.timing_flagged
    text = hold.timing_text()
    assert "if the ankle episode ended at 0:20, when the angle came back inside its limit" in text
    assert "stayed short of the \u22121.5° an episode ends at" in text
    assert "by 0.01° at most, until 0:28" in text
    assert pause_hold_lines(env, limit=3) == [f"Hold 2: {text}."]


def test_envelope_json_carries_the_band_keys():
    env, _, _ = _check(_session(dip_deg=0.01))
    doc = json.loads(env.to_json())
    alts = [a for h in doc["holds"] for a in h["timing_alternatives"]]
    (alt,) = alts
    assert alt["band_rule"] == "ankle_dorsiflexion"
    assert alt["band_limit_deg"] == 0.0
    assert alt["band_release_deg"] == -1.5
    assert alt["band_past_deg"] == pytest.approx(0.01)
    assert alt["band_until_s"] == pytest.approx(DIP_S + 0.2, abs=0.02)
    assert alt["pause_s"] is None
    assert alt["rate_factor"] is None


def test_no_dip_no_reading_the_episode_ends_at_the_return():
    angles = _session(dip_deg=None)
    _, episode, hold = _check(angles)
    assert episode.end_s == pytest.approx(_return_s(angles))
    assert hold.start_s == pytest.approx(episode.end_s)
    assert not hold.timing_flagged


def test_a_dip_far_enough_to_start_a_breach_is_no_band_tail():
    """Past half the band (+1.5°) the dip could be a breach of its own: no other reading."""
    _, episode, hold = _check(_session(dip_deg=2.0))
    assert episode.end_s == pytest.approx(DIP_S + 0.2, abs=0.02)
    assert not any(isinstance(a, BandAlternative) for a in hold.timing_alternatives)


def test_a_tail_shorter_than_the_dwell_gives_no_reading():
    angles = _session(dip_deg=None)
    ankle = angles["right_ankle_dorsiflexion_deg"].to_numpy().copy()
    t = angles["t_s"].to_numpy()
    ankle[(t >= BACK_S + 0.3) & (t < BACK_S + 0.5)] = 0.01  # a dip 0.5 s after the return
    angles["right_ankle_dorsiflexion_deg"] = ankle
    _, episode, hold = _check(angles)
    assert episode.end_s == pytest.approx(BACK_S + 0.5, abs=0.02)
    assert not hold.timing_flagged
