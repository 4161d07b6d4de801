"""Rules are judged in the stretch pose, not in a dip out of it that the engagement dwell bridges.

The leg lowered from the stretch and the person sitting down at once: the hip is below the
engagement edge for less than the 2-s engagement dwell, the standing knee is straight for
over a second in between. Not a "locked knee" — and the live monitor never cued it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope.checker import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from tests.analysis.builders import min_jerk_step as step

RATE_HZ = 100.0
STANDING = load_builtin_profile("standing_hamstring")


def lowered_then_seated(*, knee_violation: bool = False) -> pd.DataFrame:
    """Stretch 10→40 s (hip 70°, knee 18°), leg down by 41 s, seated from 42.8 s on.

    Between 40.5 and 42.3 s the hip is below 40° (1.8 s, under the 2-s engagement dwell)
    and the knee below 8.5° for ≈ 1.5 s (over the knee rule's 1-s dwell). With
    ``knee_violation`` the knee also straightens to 2° during the stretch, 25→31 s.
    """
    t = np.arange(0.0, 50.0, 1 / RATE_HZ)
    hip = step(t, 10, 12, 70) - step(t, 40, 41, 70) + step(t, 41.8, 42.8, 85)
    knee = step(t, 10, 12, 18) - step(t, 40, 41, 18) + step(t, 41.8, 42.8, 85)
    if knee_violation:
        knee = knee - step(t, 25, 26, 16) + step(t, 30, 31, 16)
    zero = 0.0 * t
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_hip_adduction_deg": zero,
            "right_hip_internal_rotation_deg": zero,
            "right_knee_flexion_deg": knee,
            "right_ankle_dorsiflexion_deg": -step(t, 10, 12, 15) + step(t, 40, 41, 15),
            "pelvis_anterior_tilt_deg": step(t, 10, 12, 5) - step(t, 40, 41, 5),
            "lumbar_flexion_deg": zero,
            "neck_flexion_deg": zero,
        }
    )


def test_the_precondition_holds():
    df = lowered_then_seated()
    t, hip, knee = df.t_s.to_numpy(), df.right_hip_flexion_deg, df.right_knee_flexion_deg
    below = (t > 39) & (hip < 40).to_numpy()
    assert 1.4 < below.sum() / RATE_HZ < 2.0  # bridged by the engagement dwell
    assert ((t > 39) & (knee < 8.5).to_numpy()).sum() / RATE_HZ > 1.1  # past the knee dwell
    res = check_envelope(df, STANDING, side="right")
    (engaged,) = res.engaged_intervals  # one stretch: the dip is bridged
    assert engaged[1] > 42.2


def test_a_straight_knee_in_a_bridged_dip_is_no_episode():
    res = check_envelope(lowered_then_seated(), STANDING, side="right")
    assert res.rule("knee_flexion").status == "ok"
    assert res.verdict == "inside"


def test_a_locked_knee_in_the_stretch_is_still_found_once():
    res = check_envelope(lowered_then_seated(knee_violation=True), STANDING, side="right")
    (episode,) = res.rule("knee_flexion").episodes
    assert 25.0 < episode.start_s < 26.0
    assert 30.0 < episode.end_s < 31.0
    assert episode.severity == "clear"


def test_the_live_monitor_agrees():
    df = lowered_then_seated(knee_violation=True)
    monitor = EnvelopeMonitor(STANDING, side="right")
    cued = []
    for i in range(0, len(df), 20):
        part = df.iloc[i : i + 20]
        state = monitor.update(part.t_s.to_numpy(), {c: part[c].to_numpy() for c in df.columns[1:]})
        if state is not None and state.new_cues:
            cued.append(state.t_s)
    offline = check_envelope(df, STANDING, side="right")
    assert len(cued) == len(offline.episodes) == 1
    assert offline.episodes[0].start_s < cued[0] < offline.episodes[0].start_s + 1.5
