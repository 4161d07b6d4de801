"""The gyroscope's turn between still poses as a witness of accelerometer gains.

Stranger seed 1470 (round 1): a thigh whose accelerometer read 82.0° between two still poses
the gyroscope turned 77.8°; its two norms fit the fit's prior (log Bayes factor −0.40), so the
norms alone did not call for the commodity part's prior and its hip flexion (3.46°) was trusted
against a 2° target. A cross-axis gain between the two poses' verticals turns both gravity
directions and leaves their lengths nearly as they were: the norms cannot see it, the turn can.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import turn_witness as tw
from analysis.angles.accbias import GAIN_TERMS, _norm_jacobian
from analysis.angles.tilt_precision import (
    INFERRED_PART,
    PriorMisfit,
    SegmentPrecision,
    inferred_part,
    misfit_doubts,
    predicted_rmse_deg,
    prior_misfit,
    raw_turns,
)
from analysis.recording.schema import GRAVITY_M_S2

G = GRAVITY_M_S2
RATE_HZ = 100.0
CROSS_XY = 3 + GAIN_TERMS.index((0, 1))  # offsets first


def _session(
    gain: np.ndarray, *, turns: int = 4, turn_deg: float = 90.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Raw accelerometer and gyroscope (sensor frame) of a sensor turned ``turn_deg`` about its
    z and back, ``turns`` times, 4 s still before and after each 1-s turn; gravity along its x
    at the start. The accelerometer reads ``gain`` times the true specific force."""
    rng = np.random.default_rng(seed)
    rate = np.radians(turn_deg)
    w = []
    for k in range(turns):
        w += [0.0] * 400 + [rate if k % 2 == 0 else -rate] * 100
    w += [0.0] * 400
    wz = np.asarray(w)
    angle = np.concatenate([[0.0], np.cumsum(wz[:-1] / RATE_HZ)])
    f_true = Rotation.from_rotvec(np.outer(angle, [0.0, 0.0, 1.0])).inv().apply([G, 0.0, 0.0])
    acc = f_true @ gain.T + rng.normal(size=f_true.shape) * 0.003
    gyr = np.zeros((wz.size, 3))
    gyr[:, 2] = wz
    return acc, gyr


def _cross_gain(k: float) -> np.ndarray:
    return np.array([[1.0, k, 0.0], [k, 1.0, 0.0], [0.0, 0.0, 1.0]])


def test_integrated_rates_turn_a_world_direction_the_other_way_in_the_sensor_frame():
    rot = tw.integrate_rad_s(np.tile([0.0, 0.0, np.radians(90.0)], (100, 1)), 0.01)
    assert np.degrees(rot.magnitude()) == pytest.approx(90.0, abs=1e-9)
    # gravity along x at the start reads along −y after a 90° turn about z
    assert rot.inv().apply([1.0, 0.0, 0.0]) == pytest.approx([0.0, -1.0, 0.0], abs=1e-9)
    assert tw.integrate_rad_s(np.empty((0, 3)), 0.01).magnitude() == 0.0


def test_still_blocks_in_chunks_equal_one_pass():
    acc, gyr = _session(np.eye(3))
    one = tw.still_blocks(acc, gyr, RATE_HZ, np.zeros(3), chunk_blocks=10_000)
    few = tw.still_blocks(acc.astype(np.float32), gyr, RATE_HZ, np.zeros(3), chunk_blocks=7)
    assert np.array_equal(one.still, few.still)
    assert few.acc_m_s2 == pytest.approx(one.acc_m_s2, abs=1e-5)
    # the windows inside a turn are not still, those between are
    assert not one.still[8:10].any()
    assert one.still[:8].all()


def test_a_cross_gain_across_the_two_verticals_shows_in_the_turn_not_in_the_norms():
    """Gravity along x then along y: the x–y gain term turns each end by about its size and
    changes the norms only to second order."""
    ends = np.array([[G, 0.0, 0.0], [0.0, -G, 0.0]])
    turn = tw.turn_between(ends, np.tile([0.0, 0.0, np.radians(90.0)], (100, 1)), 0.01)
    assert turn is not None
    j_acc = tw.acc_jacobian(turn)
    assert np.linalg.norm(j_acc[:, CROSS_XY]) == pytest.approx(2.0, rel=1e-3)
    _, j_norm = _norm_jacobian(ends, np.zeros(3), np.eye(3), True)
    assert np.abs(j_norm[:, CROSS_XY]).max() < 1e-6


def test_the_gyroscope_gain_about_the_turn_axis_moves_the_residual_by_the_turn():
    ends = np.array([[G, 0.0, 0.0], [0.0, -G, 0.0]])
    w = np.tile([0.0, 0.0, np.radians(90.0)], (100, 1))
    turn = tw.turn_between(ends, w, 0.01)
    assert turn is not None
    assert np.linalg.norm(turn.residual_rad) < 1e-9
    j_gyr = tw.gyr_jacobian(turn, w, 0.01)
    assert np.linalg.norm(j_gyr[:, 2]) == pytest.approx(np.pi / 2, rel=1e-2)  # z–z sensitivity
    assert np.linalg.norm(j_gyr[:, 0]) < 1e-6  # x–x: no rate about x


def test_the_turns_read_an_accelerometer_gain_error_the_norms_fit():
    """A 5 % x–y gain: the accelerometer reads about 95.7° where the gyroscope turned 90°; the
    norms (0.1 % off g) favour the fit's prior, the norms with the turn the commodity part's.
    (At 4 % the turn's 4.6° is not enough beside norms this exact: −0.63.)"""
    acc, gyr = _session(_cross_gain(0.05))
    turns = raw_turns(acc, gyr, RATE_HZ, np.zeros(3), None)
    assert len(turns) == 1
    assert turns[0].gyr_deg == pytest.approx(90.0, abs=0.1)
    assert turns[0].acc_deg == pytest.approx(90.0 + np.degrees(2 * 0.05), abs=0.2)
    means = tw.still_blocks(acc, gyr, RATE_HZ, np.zeros(3))
    still = means.acc_m_s2[means.still]
    misfit = prior_misfit(still, turns=turns)
    assert misfit.commodity_lbf <= 0.0
    assert misfit.turns_lbf is not None
    assert misfit.turns_lbf > 0.0
    assert misfit.turns_commodity
    assert misfit.commodity
    assert misfit.turn_deg == pytest.approx((turns[0].acc_deg, turns[0].gyr_deg))
    assert inferred_part(None, misfit) == INFERRED_PART


def test_a_sound_accelerometer_turns_as_its_gyroscope_does():
    acc, gyr = _session(np.eye(3))
    turns = raw_turns(acc, gyr, RATE_HZ, np.zeros(3), None)
    means = tw.still_blocks(acc, gyr, RATE_HZ, np.zeros(3))
    misfit = prior_misfit(means.acc_m_s2[means.still], turns=turns)
    assert misfit.turns_lbf is not None
    assert misfit.turns_lbf < 0.0
    assert not misfit.commodity


def test_a_gyroscope_gain_within_its_budget_is_not_read_as_the_accelerometer():
    """A gyroscope 1.5 % fast (its own 1σ) on a sound accelerometer: 1.35° on 90°, no mark."""
    acc, gyr = _session(np.eye(3))
    turns = raw_turns(acc, gyr * 1.015, RATE_HZ, np.zeros(3), None)
    means = tw.still_blocks(acc, gyr, RATE_HZ, np.zeros(3))
    assert not prior_misfit(means.acc_m_s2[means.still], turns=turns).commodity


def test_turns_under_twenty_degrees_give_no_transition():
    acc, gyr = _session(_cross_gain(0.05), turn_deg=15.0)
    assert raw_turns(acc, gyr, RATE_HZ, np.zeros(3), None) == []


def test_many_transitions_of_one_pose_pair_are_read_at_most_max_per_pair_times():
    acc, gyr = _session(np.eye(3), turns=2 * tw.MAX_PER_PAIR + 6)
    blocks = tw.still_blocks(acc, gyr, RATE_HZ, np.zeros(3))
    assert len(tw._candidates(blocks, blocks.acc_m_s2)) == 2 * tw.MAX_PER_PAIR + 6
    assert len(raw_turns(acc, gyr, RATE_HZ, np.zeros(3), None)) == 1


def test_norms_or_turns_a_sensor_whose_norms_call_for_the_part_keeps_it():
    norms = PriorMisfit(z2=3.9, poses=2, worst_pct=3.2, commodity_lbf=0.6)
    assert PriorMisfit(3.9, 2, 3.2, 0.6, turns_lbf=-2.0, turn_deg=(80.0, 80.2)).commodity
    assert norms.commodity
    assert not norms.turns_commodity
    neither = PriorMisfit(4.0, 2, 2.8, -0.4, turns_lbf=-0.1, turn_deg=(80.0, 80.2))
    assert not neither.commodity


def _segment(sd_deg: float, part: str | None, misfit: PriorMisfit, poses: int) -> SegmentPrecision:
    var = np.r_[np.zeros(10), np.full(90, np.radians(sd_deg) ** 2)]
    return SegmentPrecision(var, poses, misfit, part)


def test_a_hip_marked_by_the_turn_says_so_in_plain_words():
    turned = PriorMisfit(4.0, 2, 2.8, -0.40, turns_lbf=0.80, turn_deg=(82.0, 77.8))
    quiet = PriorMisfit(0.5, 3, 0.4, -1.0)
    segs = {
        "pelvis": _segment(0.3, None, quiet, 3),
        "left_thigh": _segment(1.2, INFERRED_PART, turned, 2),
        "left_shank": _segment(0.3, None, quiet, 3),
        "left_foot": _segment(0.3, None, quiet, 3),
    }
    doubts = misfit_doubts(predicted_rmse_deg(segs), segs)
    assert "left_hip_flexion_deg" in doubts
    reason = doubts["left_hip_flexion_deg"]["reason"]
    assert "gyroscope turned 78° between two of its still positions" in reason
    assert "its accelerometer read 82°" in reason
    assert "its 2 still positions leave part of its offset and gain unmeasured" in reason


def test_the_reason_names_the_sensor_whose_predicted_error_is_the_larger():
    """Stranger 1470: the pelvis's norms (5.0 % off g) and the thigh's turn both call for the
    part; the hip's doubt is the thigh's (two poses 82° apart), and the reason says so."""
    norms = PriorMisfit(3.0, 3, 5.0, 0.3)
    turned = PriorMisfit(4.0, 2, 2.8, -0.40, turns_lbf=0.80, turn_deg=(82.0, 77.8))
    quiet = PriorMisfit(0.5, 3, 0.4, -1.0)
    segs = {
        "pelvis": _segment(0.4, INFERRED_PART, norms, 3),
        "left_thigh": _segment(1.2, INFERRED_PART, turned, 2),
        "left_shank": _segment(0.3, None, quiet, 3),
        "left_foot": _segment(0.3, None, quiet, 3),
    }
    reason = misfit_doubts(predicted_rmse_deg(segs), segs)["left_hip_flexion_deg"]["reason"]
    assert reason.startswith("the left thigh sensor's gyroscope turned 78°")
    louder = {**segs, "pelvis": _segment(1.5, INFERRED_PART, norms, 3)}
    reason = misfit_doubts(predicted_rmse_deg(louder), louder)["left_hip_flexion_deg"]["reason"]
    assert reason.startswith("the pelvis sensor read gravity up to 5.0 % off")
