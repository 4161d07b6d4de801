"""A hold read otherwise by a lean at the rate limit AND a pause at the dwell, together.

Synthetic engagement angles: placing the leg (fast), a still stretch of 3.7 s, a slow lean
deeper whose smoothed rate peaks at about the 5 °/s limit, the hold, a slow lean back out
(peak 4 °/s: over the release rate, under the limit), a pause at about the 1-s dwell, then
lowering (fast). The lean in decides whether the hold starts at placing (part of the hold)
or after it (a movement, and then the still stretch before it is a short hold of its own:
the reading splits the hold in two); the pause decides whether the lean out joins the
lowering (the hold ends before the lean out) or the hold (it ends at the lowering).

Held-out person 62041 (default set, 10 min): the truth split a hold at a lean its estimate
read at 4.998 °/s (truth 5.017 °/s); the reading with that lean a movement was given as its
longer part only, so the short first hold was "off" with nothing said. A truth on the other
side of both edges at once (each within its precision) is read only with both decided the
other way together.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope import check_envelope
from analysis.envelope.masks import end_times
from analysis.envelope.pauses import (
    borderline_movements,
    borderline_pauses,
    engagement_speed,
    rate_scale_precision,
)
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import CombinedAlternative, HoldAlternative, PeakAlternative
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
SPEC = STANDING.hold
DT = 0.01
LEAN_IN_S = (10.0, 13.0)
LEAN_OUT_S = (40.0, 43.0)


def _amplitude(peak_deg_s: float, t0: float, t1: float) -> float:
    """The step (deg) over ``[t0, t1]`` whose smoothed rate peaks at ``peak_deg_s``."""
    t = np.arange(0.0, 60.0, DT)
    return peak_deg_s / float(engagement_speed(min_jerk_step(t, t0, t1, 1.0), t, SPEC).max())


def _session(lean_in_peak: float, gap_out_s: float) -> pd.DataFrame:
    """The session above; the lowering starts ``gap_out_s`` after the lean out ends."""
    t = np.arange(0.0, 60.0, DT)
    lean_in = _amplitude(lean_in_peak, *LEAN_IN_S)
    lean_out = _amplitude(4.0, *LEAN_OUT_S)
    low = LEAN_OUT_S[1] + gap_out_s
    hip = (
        min_jerk_step(t, 5.0, 7.0, 50.0)
        + min_jerk_step(t, *LEAN_IN_S, lean_in)
        - min_jerk_step(t, *LEAN_OUT_S, lean_out)
        + min_jerk_step(t, low, low + 2.0, -50.0 - lean_in + lean_out)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )


def _edges(angles: pd.DataFrame):
    t = angles["t_s"].to_numpy()
    x = angles["right_hip_flexion_deg"].to_numpy()
    speed = engagement_speed(x, t, SPEC)
    scale = rate_scale_precision(STANDING, "right", "right_hip_flexion_deg")
    args = (speed, x, t, end_times(t), SPEC)
    return (
        borderline_pauses(*args, scale=scale, dwell_s=1.0),
        borderline_movements(*args, scale=scale, dwell_s=1.0),
    )


def _readings(hold) -> list[list[tuple[float, float]]]:
    """Each reading of ``hold`` as its list of holds (a split: several)."""
    out = [[(hold.start_s, hold.end_s)]]
    for alt in hold.timing_alternatives:
        out.append(list(alt.parts) or [(alt.start_s, alt.end_s)])
    return out


def _same(a: list[tuple[float, float]], b: list[tuple[float, float]], tol: float) -> bool:
    return len(a) == len(b) and all(
        abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol for p, q in zip(a, b, strict=True)
    )


def test_the_two_edges_are_each_within_their_precision():
    # estimate: lean 4.98 °/s (not a movement), pause 0.97 s (part of the lowering);
    # truth: 5.02 °/s and 1.03 s, each on the other side, each within its ± of the estimate's
    (pause,), (move,) = _edges(_session(4.98, 0.12))
    (t_pause,), (t_move,) = _edges(_session(5.02, 0.18))
    assert pause.bridged
    assert not t_pause.bridged
    assert not move.moving
    assert t_move.moving
    assert abs(t_pause.duration_s - pause.duration_s) <= pause.precision_s
    assert abs(t_move.peak_deg_s - move.peak_deg_s) <= move.precision_deg_s


def test_a_lean_read_under_the_limit_gives_the_split_the_truth_has():
    est = check_envelope(_session(4.98, 0.5), STANDING, side="right")
    tru = check_envelope(_session(5.02, 0.5), STANDING, side="right")
    truth = [(h.start_s, h.end_s) for h in tru.holds]
    assert len(truth) == 2  # a short hold before the lean, the long one after it
    (hold,) = est.holds
    (alt,) = hold.timing_alternatives
    assert isinstance(alt, PeakAlternative)
    assert _same(list(alt.parts), truth, 0.05)
    assert (alt.start_s, alt.end_s) == alt.parts[1]  # the longer part overlaps most


def test_a_lean_and_a_pause_decided_together_give_the_truth():
    est = check_envelope(_session(4.98, 0.12), STANDING, side="right")
    tru = check_envelope(_session(5.02, 0.18), STANDING, side="right")
    truth = [(h.start_s, h.end_s) for h in tru.holds]
    (hold,) = est.holds
    kinds = [type(a) for a in hold.timing_alternatives]
    assert kinds == [HoldAlternative, PeakAlternative, CombinedAlternative]
    # neither edge alone reads the truth; both at once do, within 0.1 s
    single = _readings(hold)[1:]
    assert not any(_same(r, truth, 1.0) for r in single[:2])
    assert _same(single[2], truth, 0.1)
    combined = hold.timing_alternatives[2]
    assert [type(x) for x in combined.of] == [PeakAlternative, HoldAlternative]
    assert all(x.start_s is None and x.end_s is None for x in combined.of)


def test_a_lone_edge_gives_no_combined_reading():
    # the lean in alone (the pause far from the dwell): its single reading, nothing combined
    (hold,) = check_envelope(_session(4.98, 0.5), STANDING, side="right").holds
    assert not any(isinstance(a, CombinedAlternative) for a in hold.timing_alternatives)


def test_the_combined_reading_is_said_in_words_and_json():
    env = check_envelope(_session(4.98, 0.12), STANDING, side="right")
    (hold,) = env.holds
    text = hold.timing_text()
    assert text is not None
    assert (
        "or holds of 4 s (0:07–0:11) and 31 s (0:12–0:43) if the slow movement at 0:11 "
        "(peak 4.98 ± 0.50 °/s; 5 °/s or more counts as moving) was a movement and the "
        "1.0-s pause at 0:42 (measured 0.97 ± 0.09 s; a pause of 1 s or more counts as a "
        "stop) was a stop"
    ) in text
    items = json.loads(env.to_json())["holds"][0]["timing_alternatives"]
    assert items[0]["combined"] is None
    assert items[0]["parts"] == []
    assert len(items[1]["parts"]) == 2
    combined = items[2]["combined"]
    assert [c["peak_rate_deg_s"] is not None for c in combined] == [True, False]
    assert combined[1]["pause_s"] == pytest.approx(0.97, abs=0.01)
    assert items[2]["parts"][1][1] == pytest.approx(hold.timing_alternatives[2].end_s, abs=1e-3)


PAUSE_LEAN_S = 6.9


def _session_short_pause(lean_in_peak: float) -> pd.DataFrame:
    """A slow placing (engaged 1 s before it ends), a pause of about the dwell, a lean in."""
    t = np.arange(0.0, 60.0, DT)
    start = PAUSE_LEAN_S
    lean_in = _amplitude(lean_in_peak, start, start + 3.0)
    hip = (
        min_jerk_step(t, 2.0, 7.0, 60.0)
        + min_jerk_step(t, start, start + 3.0, lean_in)
        + min_jerk_step(t, 45.0, 47.0, -60.0 - lean_in)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )


def test_a_lean_joined_to_placing_stays_a_movement_when_its_own_peak_is_under_the_limit():
    # held-out 62041, full set: the estimate split the hold (a 1.04-s pause after placing,
    # the lean read over the limit); read with the pause shorter than the dwell AND the lean
    # under the limit, the lean is joined to placing, which passes the limit: one movement
    angles = _session_short_pause(5.02)
    (pause,), (move,) = _edges(angles)
    assert not pause.bridged
    assert move.moving
    first, _ = check_envelope(angles, STANDING, side="right").holds
    assert first.duration_s == pytest.approx(1.0, abs=0.1)
    placed = first.start_s
    for alt in first.timing_alternatives:
        assert alt.start_s is None or alt.start_s >= placed - 0.05
    assert not any(isinstance(a, CombinedAlternative) for a in first.timing_alternatives)
