"""A knee fit whose shank side the data leave free, on a session of the population generator.

Held-out person 22082 (full set, right leg exercised) bends the knees keeping the shanks near
upright (the shank turns little): the functional window's knee fit fixes the thigh's axis just
above its floor and leaves the shank's free (its weakest direction 0.0014 rad/s), its shank side 61°
from the truth at a residual that looks excellent. The knee's fit over the whole session fixes
both; the right knee read 5.1° RMSE and the ankle 8.8°, trusted, from the window's fit.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import SESSION_KNEE
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.simulation.population import generate_person, generate_session


def _axis_error_deg(ses, res, placement: str) -> float:
    z_est = rot.rotate(res.calibration.segments[placement].q_S_B, [0.0, 0.0, 1.0])
    z_true = rot.rotate(ses.mounting[placement], [0.0, 0.0, 1.0])
    return float(np.rad2deg(np.arccos(min(1.0, abs(float(z_est @ z_true))))))


def _rmse_deg(ses, res, col: str) -> float:
    t = ses.truth["t_s"].to_numpy()
    est = np.interp(t, res.angles["t_s"].to_numpy(), res.angles[col].to_numpy())
    return float(np.sqrt(np.nanmean((est - ses.truth[col].to_numpy()) ** 2)))


@pytest.mark.slow
def test_a_shank_the_window_s_knee_fit_leaves_free_takes_the_session_s_fit():
    ses = generate_session(generate_person(22082), 0, None, "full")
    res = analyse_recording(ses.recording(), options=PipelineOptions(keep_orientations=False))
    shank = res.calibration.segments["right_shank"]
    assert shank.axis_source == SESSION_KNEE
    assert _axis_error_deg(ses, res, "right_shank") < 3.0
    assert _axis_error_deg(ses, res, "right_foot") < 3.0
    for col in ("right_knee_flexion_deg", "right_ankle_dorsiflexion_deg"):
        assert col in res.uncertain or _rmse_deg(ses, res, col) <= 2.0
