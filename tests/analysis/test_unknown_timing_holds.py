"""A hold timed on an angle whose segment's forward direction is not established says so.

Held-out person 18013 (1 min): the pelvis sensor's forward direction was not established,
its axis 88° off, so a 12° lean of the pelvis after placing the leg read as none at all
(``cos 88°`` ≈ 0.03 of it); the hold started 2.2 s before the true one, ended 2.1 s after,
and no reading at half or twice the rate moved it. Synthetic: the same hold with the lean
invisible in the angle; the hold's start and end are then said not to be known.
"""

from __future__ import annotations

import json

import bench.population as pop
from analysis.envelope import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.doubts import DoubtKind, UncertainAngle, doubt_kinds
from tests.analysis.builders import leaning_hold

STANDING = load_builtin_profile("standing_hamstring")
HIP = "right_hip_flexion_deg"
NO_SCALE = {
    HIP: UncertainAngle(
        reason="the pelvis sensor's forward direction is not established",
        redo="x",
        kinds=frozenset({DoubtKind.FORWARD_UNKNOWN}),
    )
}
SOME_SCALE = {
    HIP: {"reason": "the pelvis turned only 15° during the calibration movements", "redo": "x"}
}


def test_the_calibration_marks_a_forward_direction_it_could_not_tell(calibration_of):
    cal = calibration_of(
        {
            "pelvis": {"sign_confidence": "low"},
            "right_thigh": {"based_on": ("pelvis",)},
            "right_shank": {"rotation_deg": 5.0},  # a doubt with a scale
        }
    )
    assert cal.segments["pelvis"].doubt_kinds == {DoubtKind.FORWARD_UNKNOWN}
    assert cal.segments["right_shank"].doubt_kinds == frozenset()
    uncertain = cal.uncertain_angles()
    hip, knee = uncertain[HIP], uncertain["right_knee_flexion_deg"]
    assert hip["reason"] == (
        "the pelvis sensor's forward direction is not established; its sign was decided "
        "against the pelvis (the pelvis sensor's forward direction is not established)"
    )
    assert doubt_kinds(hip) == {DoubtKind.FORWARD_UNKNOWN}  # the thigh's, carried along
    assert doubt_kinds(knee) == {DoubtKind.FORWARD_UNKNOWN}  # the thigh's, with the shank's
    assert "turned only 5°" in knee["reason"]
    # read as a mapping the entry is its two texts, as envelope.json writes them
    assert dict(hip) == {"reason": hip.reason, "redo": hip.redo}
    assert hip == {"reason": hip.reason, "redo": hip.redo}
    # a doubt found after the calibration has no kinds, nor the signs decided against it
    cal = calibration_of({"pelvis": {}, "right_thigh": {"based_on": ("pelvis",)}})
    later = cal.uncertain_angles({"pelvis": "a joint read beyond any range"})
    assert "its sign was decided against the pelvis (a joint" in later[HIP]["reason"]
    assert doubt_kinds(later[HIP]) == frozenset()


def test_an_invisible_lean_leaves_the_hold_timing_unknown_and_said():
    truth = check_envelope(leaning_hold(10.0), STANDING, side="right")
    est = check_envelope(leaning_hold(0.0), STANDING, side="right", uncertain=NO_SCALE)
    (th,), (eh,) = truth.holds, est.holds
    # the premise (18013): the estimate starts the hold over a second before the truth, and
    # neither its own timing nor any reading at another rate is within 1 s of it
    assert th.start_s - eh.start_s > 1.0
    assert all(abs((a.start_s or 0.0) - th.start_s) > 1.0 for a in eh.timing_alternatives)
    assert eh.timing_unknown == NO_SCALE[HIP]["reason"]
    assert eh.timing_flagged
    text = eh.timing_text()
    assert text is not None
    assert "not known to within a second" in text
    item = json.loads(est.to_json())["holds"][0]
    assert item["timing_unknown"] == NO_SCALE[HIP]["reason"]
    assert item["timing_flagged"] is True
    # the bench counts it as said, never as matched
    true_hold = (th.start_s, th.end_s)
    assert pop.hold_reason(true_hold, [(eh.start_s, eh.end_s)], est, []) == pop.HOLD_REASONS[11]


def test_a_doubt_with_a_scale_keeps_the_rate_readings_only():
    est = check_envelope(leaning_hold(0.0), STANDING, side="right", uncertain=SOME_SCALE)
    (eh,) = est.holds
    assert eh.timing_unknown is None
    assert json.loads(est.to_json())["holds"][0]["timing_unknown"] is None


def test_a_trusted_angle_has_known_timing():
    (eh,) = check_envelope(leaning_hold(0.0), STANDING, side="right").holds
    assert eh.timing_unknown is None
    assert not eh.timing_flagged
    assert eh.timing_text() is None


def test_discrete_readings_time_the_hold_instead():
    others = {"pelvis": ("found whichever axis", ({HIP: leaning_hold(0.0)[HIP].to_numpy()},))}
    est = check_envelope(
        leaning_hold(0.0), STANDING, side="right", uncertain=NO_SCALE, other_readings=others
    )
    (eh,) = est.holds
    assert eh.timing_unknown is None
