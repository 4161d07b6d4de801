"""The stranger's census seed 958: a seated session on MPU-6050-class sensors, read honestly.

Round 2 of the stranger's generator (``bench/stranger``), seated slider, left leg, WitMotion
family (±3 % sensitivity, ±2 % cross-axis typical). Its thigh was still standing and sitting
only, and its accelerometer's gain errors (up to 3.6 %) are several times the pose fit's
prior: the knee came out 2.4° and the hip bend 2.0° RMSE, trusted, against a predicted
0.65° and 0.50°. The thigh's seated pose reads gravity 4.9 % off, which the prior does not
allow; both angles are now uncertain, with that reason. The ankle's sensors agree with the
prior and take no such doubt (1.4°); since round 25 the unnamed part's gain prior marks the
ankle approximate, as it does the hip and knee of a file that names no part.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.recording.doubts import is_trace_only
from bench.stranger import writers
from bench.stranger.run import round2_plan
from bench.stranger.session import generate, sensor_set
from sensors.formats.canonical import read_recording

pytestmark = pytest.mark.slow  # a 142-s session of nine sensors generated, 4 and 2 analysed

SEED = 958


@pytest.fixture(scope="module")
def seated(tmp_path_factory):
    plan = round2_plan(SEED, None)
    s = generate(
        SEED,
        duration_s=plan["duration_s"],
        breaks=plan["breaks"],
        exercise=plan["exercise"],
        variants=tuple(plan["variants"]),
        exact=plan["exact"],
        family=plan["vendor"],
    )
    folder = tmp_path_factory.mktemp("s958")
    writers.write_truth(s, folder / "truth.csv")
    results = {}
    for name in ("default", "pair"):
        path = writers.write_canonical(s, sensor_set(s, name), folder / f"{name}.csv")
        results[name] = analyse_recording(
            read_recording(path), options=PipelineOptions(exercised_side=s.person.side)
        )
    return s, pd.read_csv(folder / "truth.csv"), results


@pytest.fixture(scope="module")
def pair(seated):
    s, truth, results = seated
    return s, truth, results["pair"]


@pytest.fixture(scope="module")
def default(seated):
    s, truth, results = seated
    return s, truth, results["default"]


def _rmse(truth: pd.DataFrame, result, column: str) -> float:
    est = result.angles
    ref = np.interp(est["t_s"], truth["t_s"], truth[column])
    return float(np.sqrt(np.nanmean((est[column].to_numpy() - ref) ** 2)))


def test_the_session_is_the_census_one(default):
    s, truth, result = default
    assert (s.person.side, s.family) == ("left", "witmotion")
    assert _rmse(truth, result, "left_knee_flexion_deg") > 2.0  # the defect: over target
    assert result.predicted_rmse_deg["left_knee_flexion_deg"] * 3.0 > 2.4


def test_the_knee_and_hip_bend_over_target_are_uncertain_with_the_thigh_as_reason(default):
    _, _, result = default
    for column in ("left_knee_flexion_deg", "left_hip_flexion_deg"):
        reason = result.uncertain[column]["reason"]
        assert "left thigh sensor's accelerometer read gravity" in reason
        assert "cannot tell its offset from its gain" in reason
    # the prediction under the prior the thigh's poses call for: 1.16° (0.65° under the
    # fit's own), half the knee's real 2.4°, but 3σ of it past the target
    assert result.predicted_rmse_deg["left_knee_flexion_deg"] > 1.0
    assert not result.precision_notes  # the note is the resting leg's; none is worn


def test_angles_whose_sensors_agree_with_the_prior_stay_trusted(default):
    _, truth, result = default
    for column in ("left_ankle_dorsiflexion_deg", "pelvis_anterior_tilt_deg"):
        assert _rmse(truth, result, column) < 2.0
    assert "pelvis_anterior_tilt_deg" not in result.uncertain
    # the ankle takes no doubt from the thigh's misfit; since round 25 the file's unnamed part
    # marks it approximate (the gain prior, trace-only: its rules are still decided)
    ankle = result.uncertain.get("left_ankle_dorsiflexion_deg")
    if ankle is not None:
        assert is_trace_only(ankle)
        assert "does not say which part the shank and foot sensors are" in ankle["reason"]
        assert "read gravity" not in ankle["reason"]


def test_the_pair_reads_its_knee_and_thigh_inclination_uncertain(pair):
    _, truth, result = pair
    for column in ("left_knee_flexion_deg", "left_thigh_inclination_deg"):
        assert _rmse(truth, result, column) > 2.0  # 2.42° and 2.07°: the census's
        reason = result.uncertain[column]["reason"]
        assert "left thigh sensor's accelerometer read gravity" in reason
