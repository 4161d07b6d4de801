"""The session's posture against the profile's, and the report clock's rounding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope.posture import (
    PostureCheck,
    check_posture,
    posture_doubts,
    session_posture,
)
from analysis.report.page import _clock


def _angles(tilts: list[tuple[float, float]], rate_hz: float = 10.0) -> pd.DataFrame:
    """A table whose pelvis tilt is each ``(seconds, degrees)`` in turn."""
    values = np.concatenate([np.full(round(s * rate_hz), d) for s, d in tilts])
    return pd.DataFrame(
        {"t_s": np.arange(values.size) / rate_hz, "pelvis_anterior_tilt_deg": values}
    )


def test_a_lying_session_after_its_standing_calibration_is_lying():
    # the stranger's supine recordings: a minute upright for the calibration, then lying
    seen = session_posture(_angles([(60.0, 0.0), (45.0, -91.0)]))
    assert seen is not None
    assert seen[0] == "lying"
    assert round(seen[1], 2) == 0.43


def test_an_upright_session_is_upright_and_a_short_lie_changes_nothing():
    assert session_posture(_angles([(120.0, 5.0)])) == ("upright", 1.0)
    # lying down for 20 % of the session: neither posture is sure
    assert session_posture(_angles([(80.0, 5.0), (20.0, -90.0)])) is None


def test_no_pelvis_or_too_little_of_it_says_nothing():
    assert session_posture(pd.DataFrame({"t_s": np.arange(100) / 10.0})) is None
    assert session_posture(_angles([(5.0, -90.0)])) is None


def test_standing_profile_on_a_lying_session_is_a_mismatch_with_suggestions():
    check = check_posture(_angles([(30.0, 0.0), (90.0, -90.0)]), "standing_hamstring")
    assert isinstance(check, PostureCheck)
    assert not check.matches
    assert check.suggest[0] == "supine_hamstring"
    assert "--exercise supine_hamstring" in check.text()
    doubts = posture_doubts(check, {"pelvis_anterior_tilt": "pelvis_anterior_tilt_deg"})
    assert "standing_hamstring" in doubts["pelvis_anterior_tilt_deg"]["reason"]
    assert check.to_dict()["matches"] is False


def test_matching_or_unknown_profiles_raise_no_doubt():
    lying = _angles([(30.0, 0.0), (90.0, -90.0)])
    check = check_posture(lying, "supine_hamstring")
    assert check is not None
    assert check.matches
    assert posture_doubts(check, {"knee_flexion": "right_knee_flexion_deg"}) == {}
    assert check.to_dict()["text"] is None
    assert check_posture(lying, "my_own_profile") is None


def test_clock_rounds_before_splitting_the_minutes():
    assert _clock(59.97) == "1:00.0"
    assert _clock(119.96) == "2:00.0"
    assert _clock(3599.97) == "1:00:00.0"
    assert _clock(65.31) == "1:05.3"
