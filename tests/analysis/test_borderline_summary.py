"""A verdict set only by borderline episodes says so in the terminal summary.

docs/envelope.md 5: an episode whose peak lies between the edge and the warn level is
``borderline`` — within the sensors' error of the edge. The report's table and figure show
it; the terminal said only "outside". The stranger's round 2, seed 39: a pelvis 0.7° lower
than the truth, at the supine edge, set the verdict for 38 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import BORDERLINE_WORDS, summary_text
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")


def _session(ankle_peak_deg: float) -> pd.DataFrame:
    """Hold the stretch 7–45 s; the ankle rises to ``ankle_peak_deg`` from 20 s to 26 s."""
    t = np.arange(0.0, 60.0, 0.01)
    hip = min_jerk_step(t, 5.0, 7.0, 50.0) + min_jerk_step(t, 45.0, 47.0, -50.0)
    ankle = -3.0 + min_jerk_step(t, 20.0, 21.0, ankle_peak_deg + 3.0)
    ankle = ankle - min_jerk_step(t, 25.0, 26.0, ankle_peak_deg + 3.0)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )


def test_a_verdict_set_by_borderline_episodes_only_says_so():
    env = check_envelope(_session(2.5), STANDING, side="right")
    assert env.verdict == "outside"
    assert [e.severity for e in env.episodes] == ["borderline"]
    text = summary_text(env, source_name="x")
    verdict = next(line for line in text.splitlines() if "verdict:" in line)
    assert f"borderline: {BORDERLINE_WORDS}" in verdict
    assert any(line.endswith("(borderline)") for line in text.splitlines())


def test_a_clear_episode_is_said_as_before():
    env = check_envelope(_session(9.0), STANDING, side="right")
    assert [e.severity for e in env.episodes] == ["clear"]
    text = summary_text(env, source_name="x")
    assert "borderline" not in text
