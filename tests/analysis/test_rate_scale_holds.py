"""A trusted angle's lean at about the release rate: the hold's reading at the rate's precision.

Held-out person 18073 (10 min, full set): after placing the leg the person leaned in at
≈ 3 °/s; the estimate read the lean 20 % slow (peak 2.48 °/s), under the 2.5 °/s release
rate, so the lean became part of the hold and the hold started 1.8 s early, with no pause to
flag it. Synthetic: the lean peaks just under the release rate; read within the rate's
precision (``rate_scale_precision``) faster it joins the placement, and the hold says so.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import bench.population as pop
from analysis.envelope import check_envelope
from analysis.envelope.pauses import engagement_speed, rate_scale_precision
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import RateAlternative
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
HIP = "right_hip_flexion_deg"
LEAN_START_S, LEAN_END_S = 7.0, 9.0


def _session(lean_deg: float) -> pd.DataFrame:
    t = np.arange(0.0, 60.0, 0.01)
    hip = (
        min_jerk_step(t, 5.0, LEAN_START_S, 50.0)
        + min_jerk_step(t, LEAN_START_S, LEAN_END_S, lean_deg)
        + min_jerk_step(t, 45.0, 47.0, -50.0 - lean_deg)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            HIP: hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )


def _lean_peak(angles: pd.DataFrame) -> float:
    t = angles["t_s"].to_numpy()
    speed = engagement_speed(angles[HIP].to_numpy(), t, STANDING.hold)
    return float(speed[(t > LEAN_START_S + 0.6) & (t < LEAN_END_S)].max())


def test_a_lean_just_under_the_release_rate_gives_the_faster_reading():
    angles = _session(2.6)
    release = STANDING.hold.still_rate_deg_s
    scale = rate_scale_precision(STANDING, "right", HIP)
    assert release is not None
    # the premise: read as measured the lean is under the release rate, within precision of it
    assert _lean_peak(angles) < release < (1.0 + scale) * _lean_peak(angles)
    env = check_envelope(angles, STANDING, side="right")
    (hold,) = env.holds
    assert hold.start_s < LEAN_START_S + 0.5  # as measured, the lean is part of the hold
    (alt,) = hold.timing_alternatives
    assert isinstance(alt, RateAlternative)
    assert alt.rate_factor == pytest.approx(1.0 + scale)
    # faster, the lean joins the placement: the hold starts where it falls under the release
    assert alt.start_s is not None
    assert hold.start_s + 0.5 <= alt.start_s <= LEAN_END_S
    assert alt.end_s == pytest.approx(hold.end_s, abs=0.1)
    assert hold.timing_flagged
    text = hold.timing_text()
    assert text is not None
    assert f"moved {scale * 100:.0f} % faster than read" in text
    (item,) = json.loads(env.to_json())["holds"][0]["timing_alternatives"]
    assert item["rate_factor"] == pytest.approx(1.0 + scale)
    # the bench: a true hold after the lean is flagged, never matched
    true_hold = (alt.start_s, alt.end_s)
    holds_est = [(hold.start_s, hold.end_s)]
    assert pop.hold_reason(true_hold, holds_est, env, []) == pop.HOLD_REASONS[12]


def test_a_lean_well_under_the_release_rate_gives_one_reading():
    angles = _session(1.6)
    release = STANDING.hold.still_rate_deg_s
    assert release is not None
    assert (1.0 + rate_scale_precision(STANDING, "right", HIP)) * _lean_peak(angles) < release
    (hold,) = check_envelope(angles, STANDING, side="right").holds
    assert hold.timing_alternatives == ()
    assert not hold.timing_flagged
