"""When the standing stretch is judged: a flexed hip with the knee no more than 60° bent.

Sitting on a chair flexes the hip as much as the stretch does; it must not be judged (a pelvis
resting tucked on a seat is not a "pelvis tucked under" in the stretch).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile

STANDING = load_builtin_profile("standing_hamstring")


def _session(hip: float, knee: float | None, pelvis: float, seconds: float = 20.0):
    """Quiet stand 3 s, then ``hip``/``knee``/``pelvis`` held for ``seconds``, stand again."""
    t = np.arange(0.0, seconds + 6.0, 0.01)
    on = (t >= 3.0) & (t < 3.0 + seconds)
    cols = {
        "t_s": t,
        "right_hip_flexion_deg": np.where(on, hip, 0.0),
        "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        "pelvis_anterior_tilt_deg": np.where(on, pelvis, 0.0),
    }
    if knee is not None:
        cols["right_knee_flexion_deg"] = np.where(on, knee, 0.0)
    return pd.DataFrame(cols)


def test_sitting_is_not_the_stretch():
    res = check_envelope(_session(hip=80.0, knee=90.0, pelvis=-12.0), STANDING, side="right")
    assert res.verdict == "not_engaged"
    assert not res.episodes
    assert res.engaged_reason is not None
    assert "knee flexion ≤ 60°" in res.engaged_reason
    assert "together" in res.engaged_reason


def test_the_stretch_with_a_slight_knee_bend_is_judged():
    res = check_envelope(_session(hip=65.0, knee=20.0, pelvis=-12.0), STANDING, side="right")
    assert res.engaged_s > 15.0
    assert [e.rule for e in res.episodes] == ["pelvis_anterior_tilt"]


def test_the_knee_condition_applies_only_where_the_knee_is_measured():
    res = check_envelope(_session(hip=65.0, knee=None, pelvis=5.0), STANDING, side="right")
    assert res.engaged_s > 15.0


def test_a_hip_that_never_stays_flexed_is_named_alone():
    res = check_envelope(
        _session(hip=65.0, knee=20.0, pelvis=0.0, seconds=1.5), STANDING, side="right"
    )
    assert res.verdict == "not_engaged"
    assert "never stayed at hip flexion ≥ 45° for 2 s" in (res.engaged_reason or "")
