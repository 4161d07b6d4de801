"""Live posture anchors: the hip, lumbar and neck headings re-taken lying flat or sitting still.

The offline pipeline anchors those headings where the subject lies flat or sits still
(``pipeline._posture_untwist``, ``pipeline._lying_spine_anchors``); the live pipeline takes
the same rows (:func:`analysis.angles.live.posture_rows`) as anchors of its causal stand
anchors, counted from the rows already seen.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.anchors import CausalStandAnchors, CausalTwist
from analysis.angles.calibration import Q_G_E
from analysis.angles.heading import (
    hip_twist_rad,
    hip_twist_read,
    turn_about_vertical,
    untwist,
    wrap_rad,
)
from analysis.angles.live import LiveAnglePipeline, posture_rows, untwist_rows
from analysis.recording.streams import streams_from_samples
from analysis.simulation import SimulationConfig, simulate
from tests.analysis.builders import rmse_to_truth, run_live, with_gyro_bias

RATE_HZ = 100.0
Q_E_G = rot.conjugate(Q_G_E)
_Y, _Z = [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]


def _about(axis: list[float], deg: float) -> np.ndarray:
    return rot.from_axis_angle(axis, np.deg2rad(deg))


def _segment(tilt_deg: float, n: int, hip_deg: float = 0.0) -> np.ndarray:
    """``q_E_B`` rows tipped ``tilt_deg`` about the segment's z (−90: on the back), then
    flexed ``hip_deg`` more about it."""
    return np.tile(rot.multiply(Q_E_G, _about(_Z, tilt_deg + hip_deg)), (n, 1))


def _body(tilts: list[tuple[int, float]]) -> dict[str, np.ndarray]:
    """Pelvis, trunk, head, right thigh and shank rows: each part ``(rows, tilt)`` tips them all."""
    names = ("pelvis", "trunk", "head", "right_thigh", "right_shank")
    return {p: np.concatenate([_segment(tilt, n) for n, tilt in tilts]) for p in names}


def test_posture_rows_are_lying_flat_still_with_data_per_joint():
    q = _body([(50, 0.0), (100, -90.0)])  # standing, then lying on the back
    n = 150
    present = {p: np.ones(n, dtype=bool) for p in q}
    still = {p: np.ones(n, dtype=bool) for p in q}
    turns = dict.fromkeys(q, 0.0)
    lying = np.arange(n) >= 50
    rows = posture_rows(q, turns, present, still)
    assert set(rows) == {"right_thigh", "trunk", "head"}
    for seg in rows:
        np.testing.assert_array_equal(rows[seg], lying, err_msg=seg)
    # the head turning (not still) stops every joint's anchor: the subject is not at rest
    still["head"][100:110] = False
    rows = posture_rows(q, turns, present, still)
    assert not rows["right_thigh"][100:110].any()
    assert rows["right_thigh"][110:].all()
    # ... unless the head has no data there: a sensor out holds only its own joints
    present["head"][100:110] = False
    rows = posture_rows(q, turns, present, still)
    assert rows["right_thigh"][100:110].all()
    assert rows["trunk"][100:110].all()
    assert not rows["head"][100:110].any()
    # the shank, when worn, must have data (it tells a chair from a raised leg)
    present["right_shank"][120:130] = False
    assert not posture_rows(q, turns, present, still)["right_thigh"][120:130].any()


def test_posture_rows_compare_the_hip_in_the_turned_frame():
    q = _body([(100, -90.0)])
    q["right_thigh"] = turn_about_vertical(q["right_thigh"], np.pi)  # its own earth frame
    present = {p: np.ones(100, dtype=bool) for p in q}
    still = dict(present)
    turns = dict.fromkeys(q, 0.0)
    assert not posture_rows(q, turns, present, still)["right_thigh"].any()
    turns["right_thigh"] = -np.pi  # the heading turn found so far puts it back
    assert posture_rows(q, turns, present, still)["right_thigh"].all()


def test_posture_rows_sitting_needs_a_vertical_shank():
    n = 100
    q = {
        "pelvis": _segment(0.0, n),
        "right_thigh": _segment(0.0, n, hip_deg=90.0),
        "right_shank": _segment(0.0, n),  # knee at 90°: sitting on a chair
    }
    ones = {p: np.ones(n, dtype=bool) for p in q}
    assert posture_rows(q, dict.fromkeys(q, 0.0), ones, ones)["right_thigh"].all()
    q["right_shank"] = _segment(0.0, n, hip_deg=80.0)  # leg raised onto a support
    assert not posture_rows(q, dict.fromkeys(q, 0.0), ones, ones)["right_thigh"].any()


def _drifted(n: int, drift_deg: float) -> dict[str, np.ndarray]:
    """Pelvis and right thigh lying flat, the thigh's heading off by ``drift_deg``."""
    q = {"pelvis": _segment(-90.0, n), "right_thigh": _segment(-90.0, n)}
    q["right_thigh"] = turn_about_vertical(q["right_thigh"], np.deg2rad(drift_deg))
    return q


def test_extra_rows_anchor_once_their_run_is_long_enough_then_hold():
    n, rate = 600, 100.0
    q = _drifted(n, 30.0)
    extra = np.zeros(n, dtype=bool)
    extra[100:400] = True  # 3 s lying still
    anchors = CausalStandAnchors(("pelvis", "right_thigh"), rate_hz=rate)
    turns = {"pelvis": 0.0, "right_thigh": 0.0}
    neutral = np.zeros(n, dtype=bool)
    anchors.add_turns(q, turns, neutral, extra={"right_thigh": extra})
    correction = np.rad2deg(wrap_rad(np.asarray(turns["right_thigh"])))
    first = 100 + anchors.min_rows - 1  # the run has lasted 2 s (as offline's shortest)
    np.testing.assert_allclose(correction[:first], 0.0, atol=1e-9)
    np.testing.assert_allclose(correction[first:], -30.0, atol=1e-6)  # then held
    assert anchors.stands == 1


def test_extra_rows_are_counted_across_chunks():
    n, rate = 600, 100.0
    q = _drifted(n, -20.0)
    extra = np.zeros(n, dtype=bool)
    extra[100:400] = True
    whole = CausalStandAnchors(("pelvis", "right_thigh"), rate_hz=rate)
    turns = {"pelvis": 0.0, "right_thigh": 0.0}
    whole.add_turns(q, turns, np.zeros(n, dtype=bool), extra={"right_thigh": extra})
    parts = CausalStandAnchors(("pelvis", "right_thigh"), rate_hz=rate)
    out = []
    for a in range(0, n, 37):  # chunks that cut the run anywhere
        b = min(a + 37, n)
        t = {"pelvis": 0.0, "right_thigh": 0.0}
        chunk = {p: v[a:b] for p, v in q.items()}
        parts.add_turns(chunk, t, np.zeros(b - a, dtype=bool), extra={"right_thigh": extra[a:b]})
        out.append(np.broadcast_to(t["right_thigh"], (b - a,)))
    np.testing.assert_allclose(np.concatenate(out), turns["right_thigh"], atol=1e-12)
    # the correction in force is what in_force() adds for the rows still to come
    assert parts.in_force({"pelvis": 0.0, "right_thigh": 0.0})["right_thigh"] == pytest.approx(
        float(np.asarray(turns["right_thigh"])[-1])
    )


def _twisted(n: int, twist_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis and thigh lying flat, the thigh's frame twisted ``twist_deg`` about its long axis."""
    pelvis = _segment(-90.0, n)
    return pelvis, untwist(_segment(-90.0, n), -np.deg2rad(twist_deg))


def test_twist_is_taken_once_a_posture_run_has_lasted_then_held():
    n, rate = 700, 100.0
    pelvis, thigh = _twisted(n, 4.0)
    anchor = np.zeros(n, dtype=bool)
    anchor[100:450] = True
    twists = CausalTwist(rate_hz=rate)
    out = np.concatenate(  # in chunks that cut the run anywhere
        [
            twists.update(pelvis[a : a + 53], thigh[a : a + 53], anchor[a : a + 53])
            for a in range(0, n, 53)
        ]
    )
    first = 100 + twists.min_rows - 1
    np.testing.assert_array_equal(out[:first], 0.0)
    # the offline function on the run's first 2 s: the same twist, from that row on
    expect = hip_twist_rad(pelvis[100 : first + 1], thigh[100 : first + 1], anchor[100 : first + 1])
    assert np.rad2deg(expect) == pytest.approx(4.0, abs=1e-6)
    np.testing.assert_allclose(out[first:], expect, atol=1e-12)
    # untwisted, the hip reads no rotation at the anchor any more
    fixed = untwist_rows(thigh, out)
    assert hip_twist_rad(pelvis[first:450], fixed[first:450], anchor[first:450]) == pytest.approx(
        0.0, abs=1e-9
    )
    np.testing.assert_array_equal(fixed[:first], thigh[:first])


def test_twist_follows_the_offline_limits_over_the_runs_so_far():
    rate = 100.0
    twists = CausalTwist(rate_hz=rate)
    run = np.ones(300, dtype=bool)
    gap = np.zeros(50, dtype=bool)
    p, t = _twisted(300, 4.0)
    assert np.rad2deg(twists.update(p, t, run)[-1]) == pytest.approx(4.0, abs=1e-6)
    twists.update(p[:50], t[:50], gap)
    # a second run 7° apart: the runs disagree (each 3.5° from their mean, more than
    # MAX_TWIST_SPREAD_DEG), nothing is trusted any more
    p2, t2 = _twisted(300, -3.0)
    assert twists.update(p2, t2, run)[-1] == 0.0
    # a rotated posture (beyond MAX_TWIST_DEG) is a posture, not an error
    big = CausalTwist(rate_hz=rate)
    p3, t3 = _twisted(300, 9.0)
    assert big.update(p3, t3, run)[-1] == 0.0


def test_twist_over_many_runs_is_the_offline_read_of_their_first_rows_and_keeps_a_float_each():
    rate = 100.0
    twists = CausalTwist(rate_hz=rate)
    m = twists.min_rows
    rng = np.random.default_rng(5)
    pelvis, thigh, anchor, firsts = [], [], [], []
    for k in range(40):  # runs of 2.5 s at twists 2–4°, each followed by 0.5 s off
        p, t = _twisted(250, 2.0 + 2.0 * rng.random())
        pelvis += [p, p[:50]]
        thigh += [t, t[:50]]
        anchor += [np.ones(250, dtype=bool), np.zeros(50, dtype=bool)]
        firsts.append((300 * k, 300 * k + m))
    pelvis, thigh, anchor = np.concatenate(pelvis), np.concatenate(thigh), np.concatenate(anchor)
    out = np.concatenate(
        [
            twists.update(pelvis[a : a + 77], thigh[a : a + 77], anchor[a : a + 77])
            for a in range(0, anchor.size, 77)
        ]
    )
    counted = np.zeros(anchor.size, dtype=bool)
    for i, j in firsts:
        counted[i:j] = True
    last = firsts[-1][1] - 1
    tau, _spread = hip_twist_read(pelvis, thigh, counted)
    assert out[last] == tau  # bit for bit: the read of every run's first 2 s together
    assert len(twists._kept) == 40
    assert all(isinstance(x, float) for x in twists._kept)


# --- the live pipeline on a simulated supine stretch -------------------------------------------

SENSORS = ("pelvis", "trunk", "head", "right_thigh", "left_thigh", "left_shank")
THIGH_BIAS_DEG_S = 0.5


@pytest.fixture(scope="module")
def supine():
    """``supine_correct`` (seed 3) whose left thigh's gyroscope takes on a bias after the
    calibration, about the axis that is vertical while the leg lies flat (a sensor warming
    on the skin: neither the stand's bias removal nor, lying, gravity sees it)."""
    cfg = SimulationConfig(seed=3, sensors=SENSORS, duration_s=None)
    sim = simulate("supine_correct", config=cfg)
    streams = streams_from_samples(sim.samples)
    cal = sim.meta.calibration
    thigh = streams["left_thigh"]
    truth = sim.truth
    tilt = np.interp(thigh.t_s, truth["t_s"], truth["pelvis_anterior_tilt_deg"])
    lying = tilt < -60.0
    up = thigh.acc_m_s2[lying].mean(axis=0)
    streams["left_thigh"] = with_gyro_bias(thigh, up, cal.functional_s[1], THIGH_BIAS_DEG_S)
    return sim, streams


def _run(supine, *, posture: bool, until_s: float = np.inf, tick_s: float = 0.5):
    sim, streams = supine
    live = LiveAnglePipeline(streams, rate_hz=RATE_HZ, posture_anchors=posture)
    return run_live(live, streams, sim.meta.calibration, until_s=until_s, tick_s=tick_s)


@pytest.fixture(scope="module")
def runs(supine):
    return {posture: _run(supine, posture=posture) for posture in (False, True)}


def _lying_rows(supine, t):
    truth = supine[0].truth
    return np.interp(t, truth["t_s"], truth["pelvis_anterior_tilt_deg"]) < -60.0


def _rmse(supine, t, values, column, rows):
    return rmse_to_truth(supine[0].truth, t, values, column, rows)


def test_lying_anchors_take_the_drift_out_of_the_resting_hip(supine, runs):
    t, off = runs[False]
    t_on, on = runs[True]
    np.testing.assert_array_equal(t, t_on)
    lying = _lying_rows(supine, t)
    col = "left_hip_adduction_deg"
    without = _rmse(supine, t, off[col], col, lying)
    with_posture = _rmse(supine, t, on[col], col, lying)
    assert without > 4.0  # the drift is there: beyond the hip adduction target
    assert with_posture < 0.5 * without
    for column in ("lumbar_flexion_deg", "neck_flexion_deg", "right_hip_adduction_deg"):
        assert _rmse(supine, t, on[column], column, lying) <= (
            _rmse(supine, t, off[column], column, lying) + 0.1
        ), column


def test_lying_anchors_are_causal(supine, runs):
    """Fed the data up to the middle of the lying, in other chunks, the pipeline returns the
    rows it returned there with all the data; before the first lying run has lasted 2 s
    nothing differs from the pipeline without posture anchors."""
    t, on = runs[True]
    _t, off = runs[False]
    lying = _lying_rows(supine, t)
    start = int(np.argmax(lying))
    until_s = float(t[start]) + 20.0
    t_cut, cut = _run(supine, posture=True, until_s=until_s, tick_s=0.37)
    k = t_cut.size
    assert k > start
    for c in on:
        np.testing.assert_allclose(cut[c], on[c][:k], atol=1e-6, err_msg=c)
    col = "left_hip_adduction_deg"
    first_diff = int(np.argmax(np.abs(on[col] - off[col]) > 1e-6))
    assert first_diff >= start + round(2.0 * RATE_HZ)
