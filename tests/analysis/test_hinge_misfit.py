"""analysis.angles.hinge_misfit: the thigh's and shank's tilts checked against the knee's hinge."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.angles import hinge_misfit as hm
from analysis.angles import rotations as rot
from analysis.angles.pipeline import _hinge_misfits, _with_hip_bounds
from analysis.recording.doubts import UncertainAngle, precision_bound_deg

KNEE = "right_knee_flexion_deg"
HIP = "right_hip_flexion_deg"
ANKLE = "right_ankle_dorsiflexion_deg"


def _about(axis: list[float], deg: float | np.ndarray) -> np.ndarray:
    return rot.from_axis_angle(np.asarray(axis, dtype=np.float64), np.radians(deg))


def test_the_vertical_in_a_segment_frame():
    up = hm.up_in_segment(np.array([[1.0, 0.0, 0.0, 0.0], [np.nan] * 4]))
    assert np.allclose(up[0], [0.0, 0.0, 1.0])
    assert np.isnan(up[1]).all()
    # a segment turned 90 deg about the earth's x has its y axis up
    q = _about([1.0, 0.0, 0.0], 90.0)
    assert np.allclose(hm.up_in_segment(q[None, :])[0], [0.0, 1.0, 0.0], atol=1e-12)


def test_a_turn_about_the_shared_hinge_leaves_no_misfit_a_sideways_tilt_does():
    rng = np.random.default_rng(3)
    q_thigh = rot.normalize(rng.normal(size=(50, 4)))
    knee = rng.uniform(0.0, 120.0, 50)
    q_shank = rot.multiply(q_thigh, _about([0.0, 0.0, 1.0], -knee))
    up_t, up_s = hm.up_in_segment(q_thigh), hm.up_in_segment(q_shank)
    assert np.allclose(hm.hinge_misfit_deg(up_t, up_s), 0.0, atol=1e-9)
    # the thigh upright, the shank's vertical tipped 5 deg toward its z (sideways)
    up_t = np.array([[0.0, 1.0, 0.0]])
    up_s = np.array([[0.0, math.cos(math.radians(5.0)), math.sin(math.radians(5.0))]])
    assert hm.hinge_misfit_deg(up_t, up_s)[0] == pytest.approx(-5.0, abs=1e-9)


def test_block_medians_and_a_block_without_readings():
    x = np.array([1.0, 5.0, 2.0, np.nan, np.nan, np.nan, 7.0])
    out = hm.block_median(x, 3)
    assert np.allclose(out[:3], 2.0)
    assert np.isnan(out[3:6]).all()
    assert out[6] == 7.0
    assert np.array_equal(hm.block_median(x, 1), x, equal_nan=True)


def test_what_a_tibia_turning_with_the_knee_explains():
    up_s = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0]])
    allow = hm.coupling_allowance_deg(np.array([30.0, 30.0, -20.0]), up_s)
    assert allow == pytest.approx(
        [3.0 + hm.FLOOR_DEG, hm.FLOOR_DEG, 0.1 * 20.0 * 0.6 + hm.FLOOR_DEG]
    )


def test_the_sd_is_taken_from_the_stand_less_the_allowance_and_never_negative():
    misfit = np.array([1.0, 1.0, 1.2, 4.0, -3.0, np.nan])
    stand = np.array([True, True, False, False, False, False])
    sd = hm.misfit_sd_deg(misfit, stand, np.full(6, 1.0))
    assert sd[:3] == pytest.approx([0.0, 0.0, 0.0])
    assert sd[3] == pytest.approx(2.0 * math.sqrt(math.pi / 2.0))
    assert sd[4] == pytest.approx(3.0 * math.sqrt(math.pi / 2.0))
    assert np.isnan(sd[5])
    assert np.isnan(hm.misfit_sd_deg(misfit, np.zeros(6, bool), np.ones(6))).all()


def test_the_turn_from_the_stand():
    up = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [np.nan] * 3])
    turn = hm.turn_from_stand_deg(up, np.array([True, False, False, False]))
    assert turn[:3] == pytest.approx([0.0, 90.0, 180.0])
    assert np.isnan(turn[3])


def test_the_knee_takes_the_whole_misfit_the_hip_where_the_thigh_turned_further():
    sd = np.array([0.0, 0.0, 6.0, 6.0])
    turn_t = np.array([0.0, 0.0, 160.0, 90.0])
    turn_s = np.array([0.0, 0.0, 130.0, 120.0])
    out = hm.hinge_misfit_doubts(sd, turn_t, turn_s, "right", {KNEE, HIP, ANKLE})
    assert precision_bound_deg(out[KNEE]) == pytest.approx(math.sqrt(36.0 * 2 / 4))
    assert precision_bound_deg(out[HIP]) == pytest.approx(3.0)  # one row of four
    assert precision_bound_deg(out[ANKLE]) == pytest.approx(3.0)
    assert "right thigh and shin sensors disagree on how the knee's hinge" in out[KNEE]["reason"]
    assert "knee is measured to about ±4.2°" in out[KNEE]["reason"]
    assert out[KNEE]["redo"] == hm.REDO
    # within the targets, or a column the table does not have: nothing
    assert hm.hinge_misfit_doubts(sd / 4.0, turn_t, turn_s, "right", {KNEE, HIP}) == {}
    assert list(hm.hinge_misfit_doubts(sd, turn_t, turn_s, "right", {HIP})) == [HIP]


def _leg(n: int, raised: slice, tilt_deg: float, tilted: str) -> dict[str, np.ndarray]:
    """A thigh standing, then turned 160 deg about its flexion axis (the leg raised lying); the
    knee bent 20 deg throughout; the ``tilted`` segment's vertical tipped sideways while raised
    (it then lies further from its stand than the other)."""
    flex = np.zeros(n)
    flex[raised] = 160.0
    q = {"right_thigh": _about([0.0, 0.0, 1.0], flex)}
    q["right_shank"] = rot.multiply(q["right_thigh"], _about([0.0, 0.0, 1.0], np.full(n, -20.0)))
    tilt = np.zeros(n)
    tilt[raised] = tilt_deg
    q[tilted] = rot.multiply(_about([1.0, 0.0, 0.0], tilt), q[tilted])
    return q


def test_the_pipeline_step_doubts_a_knee_whose_shank_tilts_off_the_hinge_when_raised():
    rate = 100.0
    n = 6000
    t_s = np.arange(n) / rate
    columns = {KNEE: np.full(n, 20.0), HIP: np.zeros(n), ANKLE: np.zeros(n)}
    q = _leg(n, slice(1000, n), 8.0, "right_shank")
    out = _hinge_misfits(t_s, q, columns, (0.0, 3.0), rate)
    assert set(out) == {KNEE, ANKLE}
    assert precision_bound_deg(out[KNEE]) > 2.0
    thigh = _hinge_misfits(t_s, _leg(n, slice(1000, n), 8.0, "right_thigh"), columns, (0, 3), rate)
    assert set(thigh) == {KNEE, HIP}
    # an exact hinge: nothing
    exact = _leg(n, slice(1000, n), 0.0, "right_shank")
    assert _hinge_misfits(t_s, exact, columns, (0.0, 3.0), rate) == {}
    # no shank: nothing
    only_thigh = {"right_thigh": q["right_thigh"]}
    assert _hinge_misfits(t_s, only_thigh, columns, (0.0, 3.0), rate) == {}


def test_a_misfit_doubt_only_fills_a_gap():
    def doubt(reason: str) -> UncertainAngle:
        return UncertainAngle(reason=reason, redo="r")

    out = _with_hip_bounds(
        {KNEE: doubt("pose")},
        {HIP: doubt("sign")},
        {},
        {},
        {KNEE: doubt("misfit"), HIP: doubt("misfit"), ANKLE: doubt("misfit")},
    )
    assert out[KNEE]["reason"] == "pose"
    assert HIP not in out
    assert out[ANKLE]["reason"] == "misfit"
