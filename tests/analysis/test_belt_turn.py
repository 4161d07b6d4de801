"""analysis.angles.belt_turn: a pelvis sensor turned on its belt after the calibration."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import belt_turn as bt
from analysis.angles import rotations as rot
from analysis.angles.heading import AnchorRuns

RATE_HZ = 50.0
T_S = np.arange(0.0, 100.0, 1.0 / RATE_HZ)
STANDING = rot.from_axis_angle([1.0, 0.0, 0.0], np.pi / 2)  # segment y (long axis) up


def _facing(heading_deg: np.ndarray | float) -> np.ndarray:
    """Standing segments turned ``heading_deg`` about the vertical, one per time."""
    h = np.broadcast_to(np.deg2rad(heading_deg), T_S.shape)
    return rot.turn_about_z(np.broadcast_to(STANDING, (T_S.size, 4)), h)


def _knock(at_s: float, deg: float, ramp_s: float = 0.3) -> np.ndarray:
    """A heading that turns ``deg`` over ``ramp_s`` from ``at_s`` and stays."""
    return deg * np.clip((T_S - at_s) / ramp_s, 0.0, 1.0)


def _runs(*values_deg: float) -> AnchorRuns:
    """Anchors at 0–5 s and 75–80 s (and 90–95 s for a third value)."""
    spans = [(0.0, 5.0), (75.0, 80.0), (90.0, 95.0)][: len(values_deg)]
    return AnchorRuns(
        np.array([a for a, _ in spans]),
        np.array([b for _, b in spans]),
        np.deg2rad(np.asarray(values_deg)),
    )


def _segments(pelvis_deg, thigh_deg=0.0, shank_deg=0.0, side="right"):
    return {
        "pelvis": _facing(pelvis_deg),
        f"{side}_thigh": _facing(thigh_deg),
        f"{side}_shank": _facing(shank_deg),
    }


def test_a_knock_the_anchors_agree_with_is_a_belt_turn_at_its_time():
    q = _segments(_knock(40.0, -15.0))
    (turn,) = bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ)
    assert turn.at_s == pytest.approx(40.0, abs=bt.KNOCK_S)
    assert turn.turn_deg == pytest.approx(-15.0)


def test_a_slow_drift_between_the_same_anchors_is_not_a_turn():
    drift = -15.0 * np.clip((T_S - 5.0) / 70.0, 0.0, 1.0)
    q = _segments(drift)
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ) == []


def test_a_quick_turn_the_next_stand_does_not_keep_is_not_a_turn():
    there_and_back = _knock(40.0, -15.0) - _knock(50.0, -15.0)
    q = _segments(there_and_back)
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, 0.5)}, rate_hz=RATE_HZ) == []


def test_a_knock_the_knee_shows_too_is_the_thighs_strap():
    # the thigh's sensor turned (+15° against the pelvis and the shank alike)
    q = _segments(0.0, thigh_deg=_knock(40.0, 15.0))
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ) == []


def test_a_hip_turned_out_with_its_knee_is_not_a_belt_turn():
    # in-sample person 57: thigh and shank turned +15° together (the knee's heading holds),
    # the pelvis stayed: the pelvis–thigh heading steps as in a knock, but the hip turned
    q = _segments(0.0, thigh_deg=_knock(40.0, 15.0), shank_deg=_knock(40.0, 15.0))
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ) == []
    # the same step with the pelvis sensor turning is the belt
    q = _segments(_knock(40.0, -15.0))
    assert len(bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ)) == 1


def test_heading_step_is_the_segments_own_turn_about_the_vertical():
    assert bt.heading_step_deg(_facing(_knock(40.0, -15.0))[1990:2020]) == pytest.approx(-15.0)
    assert bt.heading_step_deg(_facing(0.0)[:1]) == 0.0


def test_without_the_shank_a_knock_is_not_taken_for_the_belt():
    # the same knock as a belt turn, but no knee to rule out the thigh's own strap
    q = _segments(_knock(40.0, -15.0))
    del q["right_shank"]
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ) == []


def test_a_knock_much_smaller_than_the_anchors_step_is_not_a_turn():
    q = _segments(_knock(40.0, -5.0))
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ) == []


def test_with_two_thighs_the_turn_must_show_on_both():
    q = {**_segments(0.0, side="left"), **_segments(_knock(40.0, -15.0))}
    both = {"right_thigh": _runs(0.0, -15.0), "left_thigh": _runs(0.0, -15.0)}
    (turn,) = bt.find_belt_turns(T_S, q, both, rate_hz=RATE_HZ)
    assert turn.turn_deg == pytest.approx(-15.0)
    # the left thigh turned with the pelvis (its hip's anchors do not step): one thigh's hip
    q["left_thigh"] = _facing(_knock(40.0, -15.0))
    one = {"right_thigh": _runs(0.0, -15.0), "left_thigh": _runs(0.0, 0.0)}
    assert bt.find_belt_turns(T_S, q, one, rate_hz=RATE_HZ) == []


def test_no_pelvis_no_turn():
    q = _segments(_knock(40.0, -15.0))
    del q["pelvis"]
    assert bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ) == []


def test_fastest_step_finds_the_largest_change_over_the_rows():
    d = np.array([0.0, 0.0, 1.0, -4.0, -4.0, -3.5])
    assert bt.fastest_step(d, 2) == (2, -5.0)
    assert bt.fastest_step(d[:2], 2) == (0, 0.0)


def test_relative_heading_is_the_proximal_less_the_distal_unwrapped():
    d = bt.relative_heading_deg(_facing(np.linspace(0.0, 400.0, T_S.size)), _facing(0.0))
    assert d[0] == pytest.approx(0.0, abs=1e-9)
    assert d[-1] == pytest.approx(400.0)


def _turn(at_s=40.0, deg=-15.0):
    return bt.BeltTurn(at_s=at_s, turn_deg=deg, before_s=2.5, after_s=77.5)


def test_a_knock_found_is_placed_between_the_stands_around_it():
    q = _segments(_knock(40.0, -15.0))
    (turn,) = bt.find_belt_turns(T_S, q, {"right_thigh": _runs(0.0, -15.0)}, rate_hz=RATE_HZ)
    assert (turn.before_s, turn.after_s) == (2.5, 77.5)


def _hip_heading_deg(pelvis, thigh):
    """The thigh's heading against the pelvis's (°), each z axis's azimuth."""
    return -bt.relative_heading_deg(pelvis, thigh)


def test_rereferenced_pelvis_undoes_the_turn_and_the_anchors_share_of_it():
    # the sensor turned −15° at 40 s; the anchors gave the thigh the interpolated share of it
    # (2.5 s → 0, 77.5 s → −15°), so the hip reads a heading that is wrong in between
    turn = _turn()
    pelvis = _facing(_knock(39.99, -15.0, ramp_s=1e-3))
    thigh = _facing(-15.0 * bt.anchor_share(T_S, turn))
    assert np.max(np.abs(_hip_heading_deg(pelvis, thigh))) > 7.0
    fixed = bt.rereferenced_pelvis(T_S, pelvis, turn)
    assert np.max(np.abs(_hip_heading_deg(fixed, thigh))) == pytest.approx(0.0, abs=1e-6)


def test_rereferenced_pelvis_turns_about_its_own_long_axis_where_it_tilts():
    # after the next stand, the pelvis tilted forward 12°: the anchors' turn about the vertical
    # and the belt's about the tilted long axis differ; the re-referenced pelvis is the true one
    turn = _turn()
    tilt = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(12.0))
    true = rot.multiply(_facing(0.0), tilt)
    sensor = rot.multiply(true, rot.from_axis_angle([0.0, 1.0, 0.0], np.deg2rad(-15.0)))
    read = rot.turn_about_z(sensor, np.deg2rad(15.0))  # the anchors' whole share, late rows
    late = np.greater(T_S, turn.after_s)
    fixed = bt.rereferenced_pelvis(T_S, sensor, turn)
    # the thigh was turned −15° by the anchors: the same as the pelvis turned +15°
    error = rot.angle_between(rot.turn_about_z(fixed[late], np.deg2rad(15.0)), true[late])
    assert np.max(np.rad2deg(error)) == pytest.approx(0.0, abs=1e-6)
    assert np.max(np.rad2deg(rot.angle_between(read[late], true[late]))) > 2.0


def test_runs_without_turn_lower_only_the_later_stands():
    runs = bt.runs_without_turn(_runs(0.0, -15.0, -15.5), _turn())
    assert np.rad2deg(runs.values_rad) == pytest.approx([0.0, 0.0, -0.5])


def test_without_belt_turns_changes_only_the_pelvis():
    q = _segments(_knock(40.0, -15.0))
    runs = {"right_thigh": _runs(0.0, -15.0)}
    assert bt.without_belt_turns(T_S, q, runs, []) == (q, runs)
    out_q, out_runs = bt.without_belt_turns(T_S, q, runs, [_turn()])
    assert out_q["right_thigh"] is q["right_thigh"]
    assert not np.allclose(out_q["pelvis"], q["pelvis"])
    assert np.rad2deg(out_runs["right_thigh"].values_rad) == pytest.approx([0.0, 0.0])
    assert "turned on its belt at about 0:40 (by about 15°)" in bt.belt_words(_turn())
