"""A hip rotation lying or sitting that the data cannot decide: the calibration's error about
the thigh's long axis or a leg turned that far. Its hip angles are uncertain, with the other
reading, offline and live."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.anchors import CausalTwist
from analysis.angles.heading import (
    MAX_TWIST_DEG,
    UNDECIDED_MAX_TWIST_DEG,
    UNDECIDED_MIN_TWIST_DEG,
    twist_undecided,
    undecided_twist_words,
    untwist,
)
from analysis.angles.live import LiveAnglePipeline
from analysis.angles.pipeline import (
    PipelineOptions,
    TwistSource,
    _undecided_twists,
    analyse_recording,
    segment_orientations,
)
from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.simulation.population import generate_person, generate_session
from cli.live_angles import LiveAngles
from sensors.session.protocol import GuidedProtocol
from tests.analysis.builders import lying_and_raising
from tests.analysis.test_envelope import standing_session
from tests.analysis.test_every_reading import STANDING, _with_rotation

IR, ADD = "right_hip_internal_rotation_deg", "right_hip_adduction_deg"


@pytest.mark.parametrize(
    ("deg", "undecided"),
    [(0.0, False), (3.5, False), (-4.0, False), (4.5, True), (-8.8, True), (11.9, True)],
)
def test_undecided_between_what_the_calibration_can_get_wrong_and_a_clear_posture(deg, undecided):
    assert twist_undecided(np.deg2rad(deg)) is undecided
    assert not twist_undecided(np.deg2rad(UNDECIDED_MAX_TWIST_DEG + 0.5))  # a posture
    assert UNDECIDED_MIN_TWIST_DEG < MAX_TWIST_DEG < UNDECIDED_MAX_TWIST_DEG


def _hip(q: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ang = rot.joint_angles_rad(q["pelvis"], q["right_thigh"], joint="hip", side="right")
    return np.rad2deg(ang["internal_rotation"]), np.rad2deg(ang["adduction"])


def test_the_rotation_read_lying_is_reported_and_can_be_decided_the_other_way(calibration_of):
    t, q_E_S, cal, steps = lying_and_raising(calibration_of, 8.0)
    twists: dict[str, float] = {}
    q = segment_orientations(t, dict(q_E_S), cal, twists=twists, **steps)
    assert np.rad2deg(twists["right_thigh"]) == pytest.approx(8.0, abs=0.05)
    lying = t >= 5.0
    rotation, _ = _hip(q)
    # 8° is more than MAX_TWIST_DEG: taken as a posture and left as it reads
    assert np.abs(rotation[lying] - 8.0).max() < 0.05
    flipped = segment_orientations(t, dict(q_E_S), cal, flip_twist=("right_thigh",), **steps)
    rotation, adduction = _hip(flipped)
    assert np.abs(rotation[lying]).max() < 0.05  # the other reading: the sensor's error
    assert np.abs(adduction[lying]).max() < 0.05


def _undecided(calibration_of, axis_error_deg: float, uncertain=None):
    t, q_E_S, cal, steps = lying_and_raising(calibration_of, axis_error_deg)
    twists: dict[str, float] = {}
    q = segment_orientations(t, dict(q_E_S), cal, twists=twists, **steps)
    rotation, adduction = _hip(q)
    columns = {IR: rotation, ADD: adduction}
    source = TwistSource(t, q_E_S, cal, steps)
    return t, columns, _undecided_twists(columns, twists, uncertain or {}, source)


def test_an_undecided_twist_makes_hip_rotation_uncertain_with_its_other_reading(calibration_of):
    t, columns, (uncertain, readings) = _undecided(calibration_of, 8.0)
    assert set(uncertain) == {IR}  # adduction: both readings within 2° RMS of each other
    assert "read 8° of rotation" in uncertain[IR]["reason"]
    assert "cannot tell apart" in uncertain[IR]["reason"]
    assert "kneecaps pointing up" in uncertain[IR]["redo"]
    (words, (other,)) = readings["right_thigh twist"]
    assert "rotation lying or sitting" in words
    assert set(other) == {IR}
    lying = t >= 5.0
    assert np.abs(other[IR][lying]).max() < 0.05
    assert np.abs(columns[IR][lying] - other[IR][lying] - 8.0).max() < 0.05


def test_a_decided_twist_leaves_the_hip_trusted(calibration_of):
    for error_deg in (3.0, 15.0):  # within what decides either way; a clear posture
        _, _, (uncertain, readings) = _undecided(calibration_of, error_deg)
        assert uncertain == {}
        assert readings == {}


def test_an_angle_already_uncertain_keeps_its_reason_and_gets_no_twist_reading(calibration_of):
    why = {IR: {"reason": "the right thigh's tilt is not established", "redo": "bows"}}
    _, _, (uncertain, readings) = _undecided(calibration_of, 8.0, why)
    assert uncertain == {}
    assert readings == {}


def test_without_the_sensors_both_hip_angles_are_uncertain_without_a_reading(calibration_of):
    t, _q_E_S, cal, steps = lying_and_raising(calibration_of, 8.0)
    twists = {"right_thigh": np.deg2rad(8.0)}
    columns = {IR: np.zeros(t.size), ADD: np.zeros(t.size)}
    uncertain, readings = _undecided_twists(columns, twists, {}, TwistSource(t, {}, cal, steps))
    assert set(uncertain) == {IR, ADD}
    assert readings == {}


def test_the_envelope_judges_rotation_uncertain_unless_both_readings_break_it():
    why = undecided_twist_words("right", 8.0)
    for rise, status in ((11.0, "uncertain"), (24.0, "violated")):  # 10° edge, 8° apart
        df = standing_session()
        df[IR] = _with_rotation(df, [(25.0, 35.0, rise)])
        group = {"right_thigh twist": ("found whether …", ({IR: df[IR].to_numpy() - 8.0},))}
        res = check_envelope(df, STANDING, side="right", uncertain={IR: why}, other_readings=group)
        rule = res.rule("hip_internal_rotation")
        assert rule is not None
        assert rule.status == status
        assert rule.reason == why["reason"]
        assert rule.redo == why["redo"]
        assert res.to_dict()["uncertain_angles"][IR] == why


# --- live ---------------------------------------------------------------------------------------


def _lying(n: int, twist_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis and thigh lying flat, the thigh's frame twisted ``twist_deg`` about its long axis."""
    q_E_G = rot.conjugate(rot.from_axis_angle([1.0, 0.0, 0.0], np.pi / 2))
    down = np.tile(rot.multiply(q_E_G, rot.from_axis_angle([0.0, 0.0, 1.0], -np.pi / 2)), (n, 1))
    return down, untwist(down.copy(), -np.deg2rad(twist_deg))


@pytest.mark.parametrize(("deg", "undecided", "taken"), [(3.0, False, 3.0), (8.0, True, 0.0)])
def test_the_live_twist_says_when_it_is_undecided(deg, undecided, taken):
    twist = CausalTwist(rate_hz=100.0)
    pelvis, thigh = _lying(300, deg)
    out = twist.update(pelvis, thigh, np.ones(300, dtype=bool))
    assert np.rad2deg(out[-1]) == pytest.approx(taken, abs=1e-6)
    assert np.rad2deg(twist.read_rad) == pytest.approx(deg, abs=1e-6)
    assert twist.undecided is undecided


def test_the_live_monitor_judges_hip_rotation_uncertain_once_the_twist_is_undecided():
    live = LiveAngles(
        ("pelvis", "right_thigh", "right_shank", "right_foot"),
        rate_hz=lambda: 100.0,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=GuidedProtocol(),
    )
    live._check_calibration({})
    doubts: dict[str, dict[str, str]] = {}
    live.pipeline = SimpleNamespace(twist_doubts=lambda: dict(doubts))
    live._take_twist_doubts()
    assert live.monitor.uncertain == {}
    assert live.again is None
    why = {"reason": "lying flat or sitting still, the right hip read 8° …", "redo": "lie …"}
    doubts[IR] = why
    live._take_twist_doubts()
    assert live.monitor.uncertain == {IR: why}
    assert live.again is not None
    assert "the right hip read 8°" in live.again
    # an angle already uncertain keeps its own reason
    live.monitor.uncertain = {IR: {"reason": "the thigh's tilt", "redo": "bows"}}
    live._take_twist_doubts()
    assert live.monitor.uncertain[IR]["reason"] == "the thigh's tilt"


# --- the population: a thigh axis once 8.8° off lying, and a neutral lying person ------------


@pytest.mark.parametrize(("person", "sensors"), [(17020, "other-leg"), (1, "default")])
def test_a_population_person_lying(person, sensors):
    """Neither reads a twist the calibration cannot tell from a posture. 17020's resting
    thigh read 8.8° of rotation lying with a neutral leg (its knee bends fixed the thigh's
    axis only loosely: hip rotation 7.7° RMSE, which this check made uncertain); since round
    13 the knee fit over the whole session fixes that axis (`thigh_side_loose`) and the hip
    reads within 1° of the truth. Person 1 lies supine, read under 4°."""
    ses = generate_session(generate_person(person), 0, None, sensors)
    res = analyse_recording(ses.recording(), options=PipelineOptions(workers=1, threads=1))
    reasons = {c: v["reason"] for c, v in res.uncertain.items()}
    assert not {c for c, why in reasons.items() if why.startswith("lying flat or sitting still")}
    if person != 17020:
        return
    n = min(len(res.angles), len(ses.truth))
    for col in ("right_hip_internal_rotation_deg", "right_hip_adduction_deg"):
        err = res.angles[col].to_numpy()[:n] - ses.truth[col].to_numpy()[:n]
        assert col not in res.uncertain
        assert float(np.sqrt(np.nanmean(err**2))) < 1.0


def test_the_live_pipeline_names_the_hip_rotation_of_an_undecided_thigh():
    live = LiveAnglePipeline(("pelvis", "left_thigh", "right_thigh"), rate_hz=100.0)
    assert live.twist_doubts() == {}  # before the calibration: no twist yet
    live._twists = {p: CausalTwist(rate_hz=100.0) for p in ("left_thigh", "right_thigh")}
    run = np.ones(300, dtype=bool)
    live._twists["left_thigh"].update(*_lying(300, -9.0), run)
    live._twists["right_thigh"].update(*_lying(300, 2.0), run)
    doubts = live.twist_doubts()
    assert set(doubts) == {"left_hip_internal_rotation_deg"}
    assert doubts["left_hip_internal_rotation_deg"] == undecided_twist_words("left", -9.0)


def test_an_undecided_twist_that_leaves_adduction_trusted_keeps_how_far_it_moves_it(
    calibration_of,
):
    """The per-sample move is kept for the hinge lean's bound (``adduction_moved_deg``)."""
    t, q_E_S, cal, steps = lying_and_raising(calibration_of, 8.0)
    twists: dict[str, float] = {}
    rotation, adduction = _hip(segment_orientations(t, dict(q_E_S), cal, twists=twists, **steps))
    columns = {IR: rotation, ADD: adduction}
    source = TwistSource(t, q_E_S, cal, steps)
    uncertain, _ = _undecided_twists(columns, twists, {}, source)
    assert set(uncertain) == {IR}
    moved = source.adduction_moved_deg["right_thigh"]
    assert moved.shape == adduction.shape
    assert np.all(moved >= 0.0)
    assert float(np.sqrt(np.mean(moved**2))) <= 2.0
