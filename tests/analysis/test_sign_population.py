"""Is the calibration's confidence calibrated? On generated people it did not see, every
segment it trusts has the right flexion-axis sign; the ones it cannot decide are uncertain.

The people come from ``analysis.simulation.population`` (written independently of the
calibration and of the scenario scripts): a rocking pelvis, people who follow the older
protocol (no bows) literally, lying down for the supine stretch or keeping the pelvis still
and stretching standing (the hip centre their knee bends move decides their pelvis sign;
where it does not, the sign must be reported uncertain), and one who does the README's bows.
``bench/population.py`` runs the same check on many more people (its "signs" table).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.simulation.population import generate_person, generate_session

PEOPLE = {
    0: "standing, pelvis rocks in the knee bends",
    13: "older literal protocol (no bows), supine stretch",
    5: "older literal protocol (no bows), standing stretch, pelvis still",
    46: "older literal protocol (no bows), standing, pelvis still, the hip centre barely moves",
    25: "standing stretch, pelvis still, no bow",
    34: "README protocol done literally (two bows), standing stretch",
}


@pytest.fixture(scope="module", params=sorted(PEOPLE))
def analysed(request):
    person = generate_person(request.param)
    ses = generate_session(person, 0, None, "default")
    res = analyse_recording(ses.recording(), options=PipelineOptions(keep_orientations=False))
    return request.param, ses, res


def _sign_right(ses, res, placement: str) -> bool:
    z_est = rot.rotate(res.calibration.segments[placement].q_S_B, [0.0, 0.0, 1.0])
    z_true = rot.rotate(ses.mounting[placement], [0.0, 0.0, 1.0])
    return float(np.dot(z_est, z_true)) > 0.0


def test_every_trusted_sign_is_right(analysed):
    who, ses, res = analysed
    for placement, seg in res.calibration.segments.items():
        if placement not in res.doubted:
            assert _sign_right(ses, res, placement), (who, PEOPLE[who], placement, seg.sign_rule)
    # a wrong pelvis sign never reaches a verdict: its angles are uncertain
    if not _sign_right(ses, res, "pelvis"):
        assert "pelvis_anterior_tilt_deg" in res.uncertain
        assert any(c.endswith("hip_flexion_deg") for c in res.uncertain)


def test_lying_down_decides_the_pelvis_of_a_literal_protocol_person(analysed):
    who, _ses, res = analysed
    if who != 13:
        pytest.skip("only the supine person")
    seg = res.calibration.segments["pelvis"]
    assert seg.sign_confidence == "high"
    assert "over the session" in seg.sign_rule
    assert "pelvis_anterior_tilt_deg" not in res.uncertain


def test_the_hip_centre_decides_a_still_pelvis_standing(analysed):
    who, ses, res = analysed
    if who != 5:
        pytest.skip("only the literal standing person")
    seg = res.calibration.segments["pelvis"]
    assert _sign_right(ses, res, "pelvis")
    assert seg.sign_confidence == "high"
    assert "centre" in seg.sign_rule
    assert "pelvis_anterior_tilt_deg" not in res.uncertain


def test_an_undecided_pelvis_says_what_to_redo(analysed):
    _who, _ses, res = analysed
    if "pelvis" not in res.doubted:
        pytest.skip("the pelvis was decided")
    why = res.uncertain["pelvis_anterior_tilt_deg"]
    assert "pelvis" in why["reason"]
    assert "bows forward from the hips" in why["redo"]
