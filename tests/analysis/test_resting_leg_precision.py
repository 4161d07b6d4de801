"""The leg resting on the floor in the supine stretch: its precision is said, verdicts unchanged.

Person 5069 of the population bench (1-min block, all nine sensors) stretches the left leg;
the right leg lies on the floor, its thigh and shank still only standing and lying. Their
accelerometers' cross-axis terms and bias/scale split are unobservable from those two poses
and the right knee came out 2.7° RMSE against a 2° target while trusted.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.envelope import check_envelope, load_builtin_profile
from analysis.simulation.population import generate_person, generate_session
from stretchguard.analysing import SessionAnalysis, _report_html

pytestmark = pytest.mark.slow  # two analyses of a 1.5-min session

RESTING = ("right_knee_flexion_deg", "right_ankle_dorsiflexion_deg")
EXERCISED = ("left_knee_flexion_deg", "left_ankle_dorsiflexion_deg")


@pytest.fixture(scope="module")
def supine():
    session = generate_session(generate_person(5069), 0, None, "full")
    rec = session.recording()
    result = analyse_recording(rec, options=PipelineOptions(keep_orientations=False))
    return session, rec, result


def _rmse(session, result, column: str) -> float:
    t = session.truth["t_s"].to_numpy()
    est = np.interp(t, result.angles["t_s"].to_numpy(), result.angles[column].to_numpy())
    return float(np.sqrt(np.nanmean((est - session.truth[column].to_numpy()) ** 2)))


def test_the_resting_knee_over_its_target_is_no_longer_trusted(supine):
    session, _, result = supine
    assert session.side == "left"
    assert session.person.exercise == "supine"
    assert _rmse(session, result, "right_knee_flexion_deg") > 2.0  # the defect this fixes
    for column in RESTING:
        assert column in result.uncertain
        assert "measured to about ±" in result.uncertain[column]["reason"]
    for column in EXERCISED:
        # judged by the rules: no resting leg's precision doubt. (Since round 16 the left
        # shank's three still norms, up to 2.8 % off g, read as a low-cost part's,
        # tilt_precision.inferred_part: knee 0.97° and ankle 0.29° true are shown with that
        # part's ± and reason, a cost of inferring the part from the norms.)
        reason = result.uncertain.get(column, {"reason": "does not say which part"})["reason"]
        assert "does not say which part" in reason
        assert column in result.predicted_rmse_deg
    (note,) = result.precision_notes
    assert note.startswith("The right leg (not the exercised one")


def test_the_verdict_and_every_rule_are_unchanged(supine):
    session, rec, result = supine
    profile = load_builtin_profile("supine_hamstring")
    before = {c: v for c, v in result.uncertain.items() if c not in RESTING}
    args = {"side": session.side, "absent": result.absent}
    with_doubts = check_envelope(result.angles, profile, uncertain=result.uncertain, **args)
    without = check_envelope(result.angles, profile, uncertain=before, **args)
    assert with_doubts.verdict == without.verdict
    assert [(r.rule, r.status) for r in with_doubts.rules] == [
        (r.rule, r.status) for r in without.rules
    ]
    done = SessionAnalysis(rec.meta, tuple(rec.placements), result, with_doubts, "s")
    assert done.summary.splitlines()[-1] == f"  {result.precision_notes[0]}"
    html = _report_html(done)
    assert "(not the exercised one, e.g. resting on the floor): " in html
    assert "knee measured to about ±" in html


def test_the_exercised_side_option_names_the_other_leg(supine):
    _, rec, _ = supine
    swapped = analyse_recording(
        rec, options=PipelineOptions(keep_orientations=False, exercised_side="right")
    )
    assert not any(c in swapped.uncertain for c in RESTING)


def test_every_output_lists_the_same_uncertain_angles(supine):
    # the precision step's doubts come after the calibration: the calibration's own list
    # lacks them, the outputs a user reads must not
    session, rec, result = supine
    assert not set(RESTING) & set(result.calibration.to_dict()["uncertain_angles"])
    env = check_envelope(
        result.angles,
        load_builtin_profile("supine_hamstring"),
        side=session.side,
        absent=result.absent,
        uncertain=result.uncertain,
    )
    listed = set(result.uncertain)
    assert set(env.to_dict()["uncertain_angles"]) == listed
    assert set(result.calibration_dict()["uncertain_angles"]) == listed
    done = SessionAnalysis(rec.meta, tuple(rec.placements), result, env, "s")
    html = _report_html(done)
    by_rule = {r.column for r in env.rules if r.status == "uncertain"}
    for column in listed:
        assert column in html
        assert column in done.summary or column in by_rule
    for r in env.rules:
        if r.status == "uncertain":
            assert r.rule in done.summary
