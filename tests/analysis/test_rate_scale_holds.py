"""A trusted angle's lean at about the release rate: the hold's reading at the rate's precision.

Held-out person 18073 (10 min, full set): after placing the leg the person leaned in at
≈ 3 °/s; the estimate read the lean 20 % slow (peak 2.48 °/s), under the 2.5 °/s release
rate, so the lean became part of the hold and the hold started 1.8 s early, with no pause to
flag it. Synthetic: the lean peaks just under the release rate; read within the rate's
precision (``rate_scale_precision``) faster it joins the placement, and the hold says so.
"""

from __future__ import annotations

import json

import pytest

import bench.population as pop
from analysis.envelope import check_envelope
from analysis.envelope.pauses import rate_scale_precision
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import RateAlternative
from tests.analysis.builders import LEAN_END_S, LEAN_START_S, lean_peak_deg_s, leaning_hold

STANDING = load_builtin_profile("standing_hamstring")
HIP = "right_hip_flexion_deg"


def test_a_lean_just_under_the_release_rate_gives_the_faster_reading():
    angles = leaning_hold(2.6)
    release = STANDING.hold.still_rate_deg_s
    scale = rate_scale_precision(STANDING, "right", HIP)
    assert release is not None
    # the premise: read as measured the lean is under the release rate, within precision of it
    assert (
        lean_peak_deg_s(angles, STANDING.hold)
        < release
        < (1.0 + scale) * lean_peak_deg_s(angles, STANDING.hold)
    )
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
    angles = leaning_hold(1.6)
    release = STANDING.hold.still_rate_deg_s
    assert release is not None
    assert (1.0 + rate_scale_precision(STANDING, "right", HIP)) * lean_peak_deg_s(
        angles, STANDING.hold
    ) < release
    (hold,) = check_envelope(angles, STANDING, side="right").holds
    assert hold.timing_alternatives == ()
    assert not hold.timing_flagged
