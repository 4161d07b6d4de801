"""The live guide after a calibration that left angles uncertain: it says why and what to do
next time, and the envelope monitor reports those rules as uncertain."""

from __future__ import annotations

from types import SimpleNamespace

from analysis.angles.calibration import PELVIS_REDO
from analysis.angles.live_redecide import Switch
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.doubts import UncertainAngle
from cli.live_angles import LiveAngles
from sensors.session.protocol import GuidedProtocol


def _angles() -> LiveAngles:
    return LiveAngles(
        ("pelvis", "right_thigh", "right_shank", "right_foot"),
        rate_hz=lambda: 100.0,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=GuidedProtocol(),
    )


def test_an_uncertain_pelvis_asks_for_the_bows_next_time():
    live = _angles()
    why = {"reason": "the pelvis turned only 4° during the calibration movements"}
    live._check_calibration({"pelvis_anterior_tilt_deg": {**why, "redo": PELVIS_REDO}})
    assert live.again is not None
    assert live.again.startswith("uncertain for this session: the pelvis turned only 4°")
    assert "Next time: redo the calibration with two slow bows" in live.again
    assert "turned only 4°" in live.again
    assert "pelvis_anterior_tilt_deg" in live.monitor.uncertain


def test_a_good_calibration_asks_nothing_again():
    live = _angles()
    live._check_calibration({})
    assert live.again is None
    assert live.monitor.uncertain == {}


def test_a_redecided_calibration_changes_what_is_uncertain_and_goes_to_the_sidecar():
    live = _angles()
    live._check_calibration({})  # the movements' calibration trusted everything
    assert live.sidecar() is None
    why = {"reason": "the pelvis sensor's forward direction is not established"}
    switch = Switch(
        at_s=57.0,
        data_to_s=55.0,
        changed={"pelvis": "now uncertain (the pelvis sensor's forward direction ...)"},
        uncertain={"pelvis_anterior_tilt_deg": {**why, "redo": PELVIS_REDO}},
    )
    live.pipeline = SimpleNamespace(switches=[switch])  # the pipeline switched in a step
    live._take_redecisions()
    assert "pelvis_anterior_tilt_deg" in live.monitor.uncertain
    assert live.again is not None
    assert live.again.startswith("uncertain for this session: the pelvis sensor's forward")
    assert live.sidecar() == [switch.to_dict()]
    assert live.sidecar()[0]["uncertain_angles"] == ["pelvis_anterior_tilt_deg"]
    settled = Switch(at_s=92.0, data_to_s=90.0, changed={"pelvis": "now trusted"}, uncertain={})
    live.pipeline.switches.append(settled)
    live._take_redecisions()
    assert live.monitor.uncertain == {}
    assert live.again is None
    assert [s["at_s"] for s in live.sidecar()] == [57.0, 92.0]


def test_angles_about_a_pelvis_axis_from_the_bows_alone_are_uncertain_until_confirmed():
    live = _angles()
    live._check_calibration({})  # the movements' calibration trusted everything
    why = UncertainAngle(reason="the pelvis's flexion axis rests on the bows alone", redo="")
    provisional = {"pelvis_anterior_tilt_deg": why, "right_hip_flexion_deg": why}
    live.pipeline = SimpleNamespace(switches=[], provisional=provisional, twist_doubts=dict)
    live._take_redecisions()
    live._take_provisional()
    assert set(live.monitor.uncertain) == set(provisional)
    assert live.again is not None
    assert live.again.startswith("uncertain for now: the pelvis's flexion axis rests on")
    # a switch that leaves it provisional: still told (the switch replaced the uncertain set)
    switch = Switch(at_s=40.0, data_to_s=38.0, changed={"right_foot": "now trusted"}, uncertain={})
    live.pipeline.switches.append(switch)
    live._take_redecisions()
    live._take_provisional()
    assert set(live.monitor.uncertain) == set(provisional)
    # confirmed by a re-decision: judged again, the words gone
    live.pipeline.provisional = {}
    live._take_provisional()
    assert live.monitor.uncertain == {}
    assert live.again is None


def test_a_provisional_pelvis_angle_already_uncertain_keeps_its_own_reason():
    live = _angles()
    own = {"reason": "the pelvis sensor's forward direction is not established", "redo": ""}
    live._check_calibration({"pelvis_anterior_tilt_deg": own})
    why = UncertainAngle(reason="the pelvis's flexion axis rests on the bows alone", redo="")
    live.pipeline = SimpleNamespace(switches=[], provisional={"pelvis_anterior_tilt_deg": why})
    live._take_provisional()
    assert live.monitor.uncertain == {"pelvis_anterior_tilt_deg": own}
    live.pipeline.provisional = {}
    live._take_provisional()
    assert live.monitor.uncertain == {"pelvis_anterior_tilt_deg": own}


def test_the_sessions_doubts_join_the_uncertain_angles_and_follow_the_pipeline():
    live = _angles()
    live._check_calibration({})
    lean = UncertainAngle(reason="the right knee's axis leaned 4° … 5° RMS so far", redo="bend")
    live.pipeline = SimpleNamespace(session_doubts={"right_hip_adduction_deg": lean})
    live._take_session_doubts()
    assert live.monitor.uncertain["right_hip_adduction_deg"] is lean
    assert live.again is not None
    assert live.again.startswith("uncertain for this session: the right knee's axis leaned 4°")
    # the RMS so far grew: the new words replace the old ones
    grown = UncertainAngle(reason="the right knee's axis leaned 4° … 6° RMS so far", redo="bend")
    live.pipeline = SimpleNamespace(session_doubts={"right_hip_adduction_deg": grown})
    live._take_session_doubts()
    assert live.monitor.uncertain["right_hip_adduction_deg"] is grown
    # an angle uncertain for another reason keeps it
    other = {"reason": "the pelvis sensor's forward direction is not established", "redo": "bows"}
    live.monitor.uncertain["right_hip_internal_rotation_deg"] = other
    rotation = UncertainAngle(reason="lean", redo="bend")
    live.pipeline = SimpleNamespace(session_doubts={"right_hip_internal_rotation_deg": rotation})
    live._take_session_doubts()
    assert live.monitor.uncertain["right_hip_internal_rotation_deg"] is other
    assert "right_hip_adduction_deg" not in live.monitor.uncertain
