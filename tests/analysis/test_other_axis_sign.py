"""A doubted axis's sign decided again on each other estimate before it is carried there.

A segment whose flexion axis is doubted between discrete estimates is read on each. The
sign was decided on the used axis; it is carried to another estimate only where the same
row, decided again on that estimate, is confident of the same sign. Elsewhere the other
estimate is read both ways round.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import (
    _decided_on_other_axes,
    _reading_frames,
    _side_frames,
    decide_signs,
    other_frames,
)
from analysis.angles.calibration_axes import AxisEstimate, SensorAxes, candidate_axes
from analysis.angles.calibration_signs import SignDecision
from tests.analysis.test_calibration import RATE_HZ, _axes_with, _session
from tests.analysis.test_every_reading import _axes, _turned


def _rival(deg: float) -> AxisEstimate:
    return AxisEstimate(
        z_S=-_turned(deg),  # sign free: given reversed
        source="session",
        planarity_ratio=0.8,
        axis_elevation_deg=3.0,
        rotation_deg=30.0,
    )


def _decision(confidence: str = "high", choice: int = 0, sure=()) -> SignDecision:
    return SignDecision(choice=choice, rule="r", confidence=confidence, others_sure=sure)  # type: ignore[arg-type]


def _z(q: np.ndarray) -> np.ndarray:
    return rot.rotate(q, [0.0, 0.0, 1.0])


def _bowing_pelvis(rival_deg: float) -> tuple[SensorAxes, SignDecision]:
    """A pelvis sensor aligned with its segment bows forward 20° from the hips; its axis is
    doubted between the true one (used) and a rival ``rival_deg`` away about the superior
    axis. Only the bow test decides (no thighs, no hip centre)."""
    session, q_E_S, _, _ = _session({"pelvis": ("pelvis_bow", "aligned")})
    move = session.t_s >= 4.0
    good = _axes_with([0.0, 0.0, 1.0], rotation_deg=60.0, planarity=0.99)
    good = dataclasses.replace(good, y_S=np.array([0.0, 1.0, 0.0]))
    ax = dataclasses.replace(good, rival=_rival(rival_deg), axis_doubt="x")
    _, d, used = decide_signs(q_E_S, {"pelvis": ax}, move, rate_hz=RATE_HZ)["pelvis"]
    assert len(candidate_axes(used)) == 2
    return used, d


def test_a_bow_clear_on_both_axes_carries_the_sign_to_the_other():
    # 30° off, the bow still tips the pelvis about 17° forward and not back on the rival
    _, d = _bowing_pelvis(30.0)
    assert (d.choice, d.confidence) == (0, "high")
    assert d.others_sure == (True,)


def test_a_bow_seen_edge_on_from_the_other_axis_leaves_its_sign_open_there():
    # 80° off, the rival's sagittal plane is nearly the frontal one: the bow barely tips the
    # pelvis about it, and no test is sure of the sign there
    _, d = _bowing_pelvis(80.0)
    assert (d.choice, d.confidence) == (0, "high")
    assert d.others_sure == (False,)


def _fixed(*again: SignDecision):
    """A ``decide_on`` that answers ``again`` in turn and records the axes it was given."""
    asked: list[SensorAxes] = []

    def decide_on(ax: SensorAxes):
        asked.append(ax)
        return None, again[len(asked) - 1]

    return decide_on, asked


def test_the_sign_is_sure_on_another_axis_only_when_decided_confident_and_the_same_there():
    ax = _axes(rival=_rival(15.0), witness_S=_turned(-20.0), axis_doubt="x")
    decide_on, asked = _fixed(_decision("high", 1), _decision("high", 1))
    assert _decided_on_other_axes(_decision("high", 1), ax, decide_on).others_sure == (True, True)
    # each other estimate, with the used axis's direction and the superior axis kept
    assert [a.z_S @ ax.z_S > 0.0 for a in asked] == [True, True]
    assert asked[0].z_S == pytest.approx(_turned(15.0))
    assert all(a.y_S is ax.y_S for a in asked)
    low_there = _fixed(_decision("low", 1), _decision("high", 1))[0]
    assert _decided_on_other_axes(_decision("high", 1), ax, low_there).others_sure == (
        False,
        True,
    )
    other_way = _fixed(_decision("high", 0), _decision("high", 1))[0]
    assert _decided_on_other_axes(_decision("high", 1), ax, other_way).others_sure == (
        False,
        True,
    )


def test_an_unsure_sign_or_an_undoubted_axis_is_not_decided_again():
    never, asked = _fixed()
    ax = _axes(rival=_rival(15.0), axis_doubt="x")
    low = _decision("low")
    assert _decided_on_other_axes(low, ax, never) is low
    sure = _decision("high")
    assert _decided_on_other_axes(sure, _axes(rival=_rival(15.0)), never) is sure
    poor = _axes(rotation_deg=10.0, rival=_rival(15.0), axis_doubt="x")
    assert _decided_on_other_axes(sure, poor, never) is sure
    assert asked == []


def test_the_other_axis_is_read_both_ways_round_only_where_its_sign_is_not_sure():
    ax = _axes(rival=_rival(15.0), witness_S=_turned(-20.0), axis_doubt="x")
    q = rot.from_matrix(np.eye(3))
    sure = _reading_frames(q, ax, _decision("high", 0, (True, False)))
    assert [_z(f) for f in sure] == [
        pytest.approx(_turned(15.0)),  # sure there: the carried sign alone
        pytest.approx(_turned(-20.0)),
        pytest.approx(-_turned(-20.0)),
    ]
    # not decided again (the old behaviour): both ways round on each other axis
    assert len(_reading_frames(q, ax, _decision("high", 0))) == 4
    # an unsure sign reads every axis both ways round, whatever was decided again, and the
    # used axis turned to either side
    assert len(_reading_frames(q, ax, _decision("low", 0, (True, True)))) == 7


def test_the_words_say_the_sign_was_decided_again_on_each_axis():
    ax = _axes(axis_doubt="x", witness_S=_turned(30.0))
    chosen = (rot.from_matrix(np.eye(3)), _decision("high", 0, (True,)), ax)
    frames, words = other_frames(None, "trunk", np.zeros((1, 4)), np.ones(1, bool), chosen)  # type: ignore[arg-type]
    ((q_alt, bias),) = frames
    assert bias is None
    assert _z(q_alt) == pytest.approx(_turned(30.0))
    assert words == (
        "found whichever of the trunk's two flexion axes (from the calibration movements, "
        "the hip centre) is right (the trunk sensor's sign decided again on each axis)"
    )


@pytest.mark.parametrize("off_deg", [0.0, 30.0, 70.0, 110.0, 160.0, -135.0])
def test_an_unsure_sign_s_four_readings_read_most_of_a_flexion_about_any_heading(off_deg):
    """A flexion about the true axis, turned ``off_deg`` from the used one about the long
    axis, reads as its share along each reading's flexion axis: one of the used frame, its
    reversal and its two sides reads at least cos 45° of it, and of the same sign."""
    used = rot.from_matrix(np.eye(3))
    frames = [used, rot.multiply(used, [0.0, 0.0, 1.0, 0.0]), *_side_frames(used)]
    a = np.radians(off_deg)
    true_z = np.array([np.sin(a), 0.0, np.cos(a)])  # about y, the long axis
    shares = [float(_z(f) @ true_z) for f in frames]
    assert max(shares) >= np.cos(np.pi / 4) - 1e-9
    for f in _side_frames(used):  # the sides keep the long axis
        assert rot.rotate(f, [0.0, 1.0, 0.0]) == pytest.approx([0.0, 1.0, 0.0])
        assert abs(float(_z(f) @ _z(used))) == pytest.approx(0.0, abs=1e-12)
