"""Live holds say what the report's say when the pelvis tips sideways as it tilts.

Offline, a hold timed on a trusted angle turned about the pelvis's axis is also timed at the
share of its rate that axis's error may add (``analysis.angles.rate_mixing``): held-out person
18073's lean was read 22 % slow, and the hold says "or 33 s if the angle that times it moved
24 % faster than read". Live, the pipeline gives the same series row by row
(``CausalRateMixing``, each row's from the row before it) and the envelope monitor times its
holds at it: the newest hold carries the same reading, the same numbers over the same rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.rate_mixing import CausalRateMixing, pelvis_rate_mixing, rate_mixing_columns
from analysis.envelope import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import RateAlternative
from tests.analysis.builders import LEAN_END_S, LEAN_START_S, leaning_hold, min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
HIP = "right_hip_flexion_deg"
COLUMNS = (HIP, "right_knee_flexion_deg", "pelvis_anterior_tilt_deg", "lumbar_flexion_deg")


def _offline_mixing(angles) -> np.ndarray:
    """A mixing series 0.4 of the lean's own rate (°/s), nothing elsewhere (offline's rows)."""
    t = angles["t_s"].to_numpy()
    lean = min_jerk_step(t, LEAN_START_S, LEAN_END_S, 1.0)
    return 0.4 * np.abs(np.gradient(lean, t)) * 2.2


def _live(angles, mixing: np.ndarray | None, chunk: int = 37):
    """Feed ``angles`` (and the live pipeline's form of ``mixing``) to a monitor in chunks."""
    monitor = EnvelopeMonitor(STANDING, side="right")
    # the live form: each row's value from the row before it (offline's shifted by one row)
    live = None if mixing is None else np.concatenate([mixing[:1], mixing[:-1]])
    states = []
    for i in range(0, len(angles), chunk):
        part = angles.iloc[i : i + chunk]
        given = None if live is None else {HIP: live[i : i + chunk]}
        st = monitor.update(
            part.t_s.to_numpy(),
            {HIP: part[HIP].to_numpy(), **{c: part[c].to_numpy() for c in part.columns[2:]}},
            given,
        )
        if st is not None:
            states.append(st)
    return states


def test_a_live_hold_gives_the_reports_reading_at_the_pelvis_axis_share():
    angles = leaning_hold(2.2)
    mixing = _offline_mixing(angles)
    (offline,) = check_envelope(angles, STANDING, side="right", rate_mixing={HIP: mixing}).holds
    (alt,) = offline.timing_alternatives
    assert isinstance(alt, RateAlternative)
    states = _live(angles, mixing)
    held = [s for s in states if s.hold_s > 0]
    assert held
    # at the end of the session the newest hold is the report's, reading for reading
    assert states[-1].hold == offline
    assert states[-1].hold_timing == offline.timing_text()
    # while it was held, once the lean and 10 s after it were seen, it said so
    late = [s for s in held if s.t_s > LEAN_END_S + 10.5]
    assert late
    assert all(s.hold is not None and s.hold.timing_alternatives for s in late)
    assert all("moved 40 % faster than read" in (s.hold_timing or "") for s in late)


def test_without_the_series_the_live_hold_says_nothing_more():
    """The premise: without the pelvis's sideways rate this hold has no other reading."""
    angles = leaning_hold(2.2)
    states = _live(angles, None)
    assert states[-1].hold is not None
    assert states[-1].hold.timing_alternatives == ()
    assert all(s.hold_timing is None for s in states)


def _tipping_pelvis(n: int) -> np.ndarray:
    """A pelvis tilting and tipping sideways at changing rates (segment → earth)."""
    t = np.arange(n) / 100.0
    tilt = np.radians(10.0) * np.sin(0.7 * t)
    side = np.radians(4.0) * np.sin(1.3 * t + 0.4)
    q_tilt = rot.from_axis_angle(np.array([0.0, 0.0, 1.0]), tilt)
    q_side = rot.from_axis_angle(np.array([1.0, 0.0, 0.0]), side)
    return rot.multiply(q_tilt, q_side)


@pytest.mark.parametrize("chunk", [1, 7, 250])
def test_the_causal_series_is_offlines_one_row_later(chunk):
    q = _tipping_pelvis(1000)
    offline = rate_mixing_columns({"pelvis": q}, 100.0, COLUMNS)
    assert set(offline) == {HIP, "pelvis_anterior_tilt_deg", "lumbar_flexion_deg"}
    causal = CausalRateMixing(100.0)
    parts = [causal.update({"pelvis": q[i : i + chunk]}, COLUMNS) for i in range(0, 1000, chunk)]
    live = np.concatenate([p[HIP] for p in parts])
    assert set(parts[0]) == set(offline)
    assert live[0] == 0.0
    np.testing.assert_allclose(live[1:], pelvis_rate_mixing(q, 100.0)[:-1], rtol=1e-5, atol=1e-6)
    assert CausalRateMixing(100.0).update({"right_thigh": q}, COLUMNS) == {}
