"""A ball joint's heading correction stepped across rows a sensor lost between two stands.

Over a dropout a sensor's filter runs on interpolated rates, so a turn made then is never
integrated and the heading difference jumps there. A line between the stands around it spread
the jump over the whole stretch (stranger round 4 seed 2099: a thigh out for 17.6 s in a hold,
hip adduction up to 25° off on each side of it); the correction now takes the change only
over the rows lost.
"""

from __future__ import annotations

import numpy as np

from analysis.angles.heading import LOST_STEP_MIN_S, AnchorRuns, stepped_offsets_rad

# stands at 0–10 and 60–70 (30° apart), a third at 100–110 (no change)
RUNS = AnchorRuns(
    np.array([0.0, 60.0, 100.0]), np.array([10.0, 70.0, 110.0]), np.deg2rad([0.0, 30.0, 30.0])
)
T = np.arange(0.0, 110.0, 0.1)


def _at(x: np.ndarray, s: float) -> float:
    return float(np.rad2deg(x[np.searchsorted(T, s - 1e-9)]))


def test_without_lost_rows_the_correction_is_the_line_between_the_stands():
    lost = np.zeros(T.size, dtype=bool)
    out = stepped_offsets_rad(T, RUNS, lost)
    assert np.allclose(out, np.interp(T, RUNS.mid_s, RUNS.values_rad))
    assert np.isclose(_at(out, 35.0), 15.0)  # half way between the middles 5 and 65 s


def test_a_dropout_between_two_stands_takes_the_whole_change():
    lost = (T >= 30.0) & (T < 40.0)
    out = stepped_offsets_rad(T, RUNS, lost)
    assert np.isclose(_at(out, 20.0), 0.0)  # held at the first stand's value before it
    assert np.isclose(_at(out, 29.9), 0.0)
    assert np.isclose(_at(out, 35.0), 15.0, atol=0.35)  # spread over the lost rows
    assert np.isclose(_at(out, 45.0), 30.0)  # the second stand's value after it
    assert np.isclose(_at(out, 90.0), 30.0)  # the next pair has no loss: its own line


def test_two_dropouts_share_the_change_by_their_length():
    lost = ((T >= 20.0) & (T < 23.0)) | ((T >= 40.0) & (T < 49.0))
    out = stepped_offsets_rad(T, RUNS, lost)
    assert np.isclose(_at(out, 30.0), 30.0 * 3.0 / 12.0, atol=0.35)
    assert np.isclose(_at(out, 55.0), 30.0)


def test_a_loss_shorter_than_the_minimum_or_inside_a_stand_keeps_the_line():
    short = (T >= 30.0) & (T < 30.0 + 0.5 * LOST_STEP_MIN_S)
    in_stand = (T >= 62.0) & (T < 68.0)
    line = np.interp(T, RUNS.mid_s, RUNS.values_rad)
    assert np.allclose(stepped_offsets_rad(T, RUNS, short), line)
    assert np.allclose(stepped_offsets_rad(T, RUNS, in_stand), line)


def test_offsets_pass_the_lost_rows_on_and_wrap():
    lost = (T >= 30.0) & (T < 40.0)
    assert np.allclose(RUNS.offsets(T, lost), stepped_offsets_rad(T, RUNS, lost))
    assert np.allclose(RUNS.offsets(T), RUNS.offsets(T, np.zeros(T.size, dtype=bool)))


def _segment(heading_deg: np.ndarray) -> np.ndarray:
    """Scalar-first quaternions of a segment upright (its z axis horizontal) at ``heading_deg``."""
    from analysis.angles import rotations as rot

    base = rot.from_axis_angle([1.0, 0.0, 0.0], np.pi / 2.0)
    return rot.turn_about_z(np.broadcast_to(base, (heading_deg.size, 4)), np.deg2rad(heading_deg))


def test_the_pipeline_steps_the_hip_correction_across_the_thigh_rows_lost():
    """The thigh's filter lost 20° of turn in a dropout at 30–40 s; stands at 0–10 and 60–70."""
    from analysis.angles import pipeline

    thigh_heading = np.where(T < 35.0, 0.0, 20.0)
    q_B = {"pelvis": _segment(np.zeros(T.size)), "right_thigh": _segment(thigh_heading)}
    axes = {p: pipeline.axis_azimuth_float32(v) for p, v in q_B.items()}
    stands = ((T >= 0.0) & (T < 10.0)) | ((T >= 60.0) & (T < 70.0))
    valid = {"pelvis": np.ones(T.size, dtype=bool), "right_thigh": ~((T >= 30.0) & (T < 40.0))}
    for v, at_20, at_50 in ((None, -5.0, -15.0), (valid, 0.0, -20.0)):
        turn = {p: np.zeros(T.size, dtype=np.float32) for p in q_B}
        pipeline._add_anchor_turns(q_B, axes, turn, stands, t_s=T, valid=v)
        # the line between the stands' middles (5 s, 65 s) is 5° off at 20 s and at 50 s;
        # the step is not
        assert np.isclose(_at(turn["right_thigh"], 20.0), at_20, atol=0.1)
        assert np.isclose(_at(turn["right_thigh"], 50.0), at_50, atol=0.1)
