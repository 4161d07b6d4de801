"""Live stand anchors: the hip, lumbar and neck headings re-taken at each later quiet stand.

A simulated session of two stretch blocks with ten seconds of quiet standing between them
(the default IMU error model). After the calibration the head's gyroscope takes on a bias
of 1 °/s about the axis that was vertical at the stand (a sensor warming on the skin): the
stand's bias removal cannot know it, and where the causal VQF does not learn it at rest the
head's heading runs away from the trunk's, which reads as less neck flexion whenever the
upper body leans (docs/architecture.md, "Offline and live").
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.anchors import CausalStandAnchors
from analysis.angles.live import LiveAnglePipeline, stand_rows
from analysis.recording.streams import streams_from_samples
from analysis.simulation import SimulationConfig, simulate
from tests.analysis.builders import rmse_to_truth, run_live, with_gyro_bias

SENSORS = ("pelvis", "trunk", "head", "right_thigh", "left_thigh")
RATE_HZ = 100.0
HEAD_BIAS_DEG_S = 1.0
NECK_TARGET_DEG = 4.0


@pytest.fixture(scope="module")
def session():
    cfg = SimulationConfig(seed=5, sensors=SENSORS, duration_s=180.0)
    sim = simulate("standing_looking_down", config=cfg)
    streams = streams_from_samples(sim.samples)
    cal = sim.meta.calibration
    head = streams["head"]
    stand = (head.t_s >= cal.static_s[0]) & (head.t_s < cal.static_s[1])
    up = head.acc_m_s2[stand].mean(axis=0)
    streams["head"] = with_gyro_bias(head, up, cal.functional_s[1], HEAD_BIAS_DEG_S)
    return sim, streams


def _run(session, *, anchors: bool, until_s: float = np.inf, tick_s: float = 1.0):
    """Angles of the live pipeline fed ``tick_s`` chunks of the data up to ``until_s``.

    Returns times, columns, the pipeline and, per step, (rows returned, stands so far).
    """
    sim, streams = session
    live = LiveAnglePipeline(streams, rate_hz=RATE_HZ, t0_s=0.0, stand_anchors=anchors)
    steps: list[tuple[int, int]] = []
    t, cols = run_live(
        live,
        streams,
        sim.meta.calibration,
        until_s=until_s,
        tick_s=tick_s,
        each_step=lambda out: steps.append((out.t_s.size, live._anchors.stands)),
    )
    return t, cols, live, steps


@pytest.fixture(scope="module")
def runs(session):
    return {anchors: _run(session, anchors=anchors) for anchors in (False, True)}


def _rmse(session, t, values, column, where):
    return rmse_to_truth(session[0].truth, t, values, column, where)


def _first_later_stand(steps) -> int:
    """The step whose rows first follow a stand after the calibration's.

    The stands before it are those of the buffered history (the calibration's quiet stand),
    which the pipeline runs its anchors over when it calibrates.
    """
    return next(i for i, (_n, stands) in enumerate(steps) if stands > steps[0][1])


def test_later_stands_take_the_drift_out_of_the_neck(session, runs):
    t, off, _live, _steps = runs[False]
    t_on, on, live, steps = runs[True]
    np.testing.assert_array_equal(t, t_on)
    assert steps[0][1] >= 1  # the calibration's stand, from the history
    assert live._anchors.stands >= steps[0][1] + 2  # between the blocks, and at the end
    later = _first_later_stand(steps)
    anchored = np.zeros(t.size, dtype=bool)
    anchored[sum(n for n, _s in steps[:later]) :] = True
    neck = "neck_flexion_deg"
    without = _rmse(session, t, off[neck], neck, anchored)
    with_anchors = _rmse(session, t, on[neck], neck, anchored)
    assert without > NECK_TARGET_DEG  # the drift is there: beyond the neck's target
    assert with_anchors < 0.5 * NECK_TARGET_DEG
    for column in ("lumbar_flexion_deg", "right_hip_internal_rotation_deg"):
        # the other anchored joints: no worse than without
        assert (
            _rmse(session, t, on[column], column, anchored)
            <= _rmse(session, t, off[column], column, anchored) + 0.05
        ), column


def test_anchors_are_causal_and_chunk_invariant(session, runs):
    """Fed only the data up to the middle of a later stand, in other chunks, the pipeline
    returns exactly the rows it returned there with all the data: no row depends on a later
    one, and the stand's correction applies from where it was taken."""
    t, cols, _live, steps = runs[True]
    later = _first_later_stand(steps)
    until_s = float(t[sum(n for n, _s in steps[: later + 1]) - 1]) + 0.5
    t_cut, cut, live, _ = _run(session, anchors=True, until_s=until_s, tick_s=0.137)
    assert live._anchors.stands == steps[later][1]
    n = t_cut.size
    np.testing.assert_array_equal(t_cut, t[:n])
    for column, values in cut.items():
        np.testing.assert_array_equal(values, cols[column][:n], err_msg=column)


def test_a_stand_must_last_two_seconds_and_sets_the_mean_heading_difference():
    anchors = CausalStandAnchors(("pelvis", "trunk"), rate_hz=10.0)  # 2 s: 21 rows at 10 Hz
    level = np.tile([1.0, 0.0, 0.0, 0.0], (10, 1))  # z axes vertical: no heading to read
    lying = np.tile([np.sqrt(0.5), 0.0, np.sqrt(0.5), 0.0], (10, 1))  # z axes horizontal
    still = np.ones(10, dtype=bool)
    for q in (level, lying):  # rows 1–20 of one still run: too short to set anything
        turns = {"pelvis": 0.0, "trunk": 0.0}
        anchors.add_turns({"pelvis": q, "trunk": q}, turns, still)
        assert np.all(turns["trunk"] == 0.0)
    assert anchors.stands == 0
    turns = {"pelvis": 0.0, "trunk": np.full(10, 0.3)}  # the trunk's heading now 0.3 rad off
    anchors.add_turns({"pelvis": lying, "trunk": lying}, turns, still)  # rows 21–30
    assert anchors.stands == 1
    # from row 21 on: the circular mean of the heading difference over the run so far,
    # weighted by the horizontal lengths of the z axes (the level rows count for nothing)
    n = np.arange(1, 11)
    expect = np.angle(10.0 + n * np.exp(-0.3j))
    np.testing.assert_allclose(turns["trunk"], 0.3 + expect, atol=1e-12)
    # the run ends: the correction holds
    turns = {"pelvis": 0.0, "trunk": 0.0}
    anchors.add_turns({"pelvis": lying, "trunk": lying}, turns, np.zeros(10, dtype=bool))
    np.testing.assert_allclose(turns["trunk"], expect[-1], atol=1e-12)
    assert anchors.stands == 1


def test_a_sensor_out_holds_only_its_own_joints():
    """The head out: the lumbar joint (pelvis + trunk) is re-anchored at the stand, the neck
    (trunk + head) keeps the correction it had."""
    anchors = CausalStandAnchors(("pelvis", "trunk", "head"), rate_hz=10.0)
    lying = np.tile([np.sqrt(0.5), 0.0, np.sqrt(0.5), 0.0], (30, 1))  # z axes horizontal
    q_B = {"pelvis": lying, "trunk": lying, "head": np.full((30, 4), np.nan)}
    present = {"pelvis": np.ones(30, bool), "trunk": np.ones(30, bool), "head": np.zeros(30, bool)}
    turns = {"pelvis": 0.0, "trunk": np.full(30, 0.3), "head": np.full(30, 0.3)}
    anchors.add_turns(q_B, turns, np.ones(30, dtype=bool), present)
    assert anchors.stands == 1
    lumbar, neck = anchors.corrections_rad
    assert lumbar == pytest.approx(-0.3, abs=1e-12)
    assert neck == 0.0
    # the trunk and, carried by the lumbar joint, the head turn back from row 21 on
    np.testing.assert_allclose(turns["trunk"][20:], 0.0, atol=1e-12)
    np.testing.assert_allclose(turns["head"][:20], 0.3, atol=1e-12)
    np.testing.assert_allclose(turns["head"][20:], 0.0, atol=1e-12)


def _upright(n: int) -> np.ndarray:
    return np.tile(_about_x(np.pi / 2), (n, 1))  # the superior (y) axis vertical


def _about_x(angle_rad: float) -> np.ndarray:
    return np.array([np.cos(angle_rad / 2), np.sin(angle_rad / 2), 0.0, 0.0])


def test_stand_rows_ask_only_the_sensors_with_data():
    n = 4
    worn = ("pelvis", "right_thigh", "right_shank", "head")
    q_B = {p: _upright(n) for p in worn}
    present = {p: np.ones(n, dtype=bool) for p in worn}
    still = {p: np.ones(n, dtype=bool) for p in worn}
    assert stand_rows(q_B, present, still).all()
    # a shank (or the head) out, its orientation unknown: the others still show the stand
    q_B["right_shank"] = np.full((n, 4), np.nan)
    present["right_shank"][:] = False
    still["right_shank"][:] = False
    assert stand_rows(q_B, present, still).all()
    # a sensor with data that turns, or a leg segment with data that is not upright, vetoes
    still["head"][1] = False
    q_B["right_thigh"][2] = _about_x(np.pi / 2 + 0.2)  # tipped 11.5° (upright: within 6°)
    np.testing.assert_array_equal(stand_rows(q_B, present, still), [True, False, False, True])
    # the pelvis or a thigh out: a still raised knee or a seat looks the same, no stand
    present["right_thigh"][3] = False
    np.testing.assert_array_equal(stand_rows(q_B, present, still), [True, False, False, False])
