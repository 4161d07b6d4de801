"""A thigh's knee-hinge lean taken for its accelerometer's bias, and the hip it may put off.

The stranger's seed 2122 (towel round the foot, lying, ideal sensors): a squatting person's
knee bends lean the thigh's hinge and own axes alike by the tibia's turn (4.2°), taken for a
73-mg bias of a bias-free accelerometer; hip adduction then read +8° with the leg raised and
≈ 0 standing or lying flat (``analysis.angles.hinge_lean``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles import pipeline
from analysis.angles.hinge_lean import (
    HIP_LEAN_TARGET_DEG,
    hip_lean_doubts,
    lean_deg,
    lean_error_deg,
)
from analysis.recording.doubts import TimedDoubt

ADD = "right_hip_adduction_deg"
ROT = "right_hip_internal_rotation_deg"


def _raised_lying(n_flat: int, n_raised: int) -> np.ndarray:
    """A thigh's superior axis's vertical share: standing, lying flat, the leg raised past 90°."""
    return np.concatenate([np.ones(50), np.zeros(n_flat), np.full(n_raised, -0.98)])


def test_lean_deg_is_the_arcsine_of_the_bias_over_gravity_and_zero_without_one():
    assert lean_deg(None) == 0.0
    assert lean_deg(np.array([0.0, 0.0, np.sin(np.deg2rad(4.2))])) == pytest.approx(4.2)
    # 2122's thigh: (0.0032, 0.0579, -0.0454) g
    assert lean_deg(np.array([0.0032, 0.0579, -0.0454])) == pytest.approx(4.22, abs=0.01)


@pytest.mark.parametrize(
    ("up", "adduction", "rotation"),
    [
        (1.0, 0.0, 0.0),  # the stand: both readings agree
        (0.0, np.sqrt(2.0), np.sqrt(2.0)),  # lying flat: turned 90° about the flexion axis
        (np.cos(np.deg2rad(77.1)), 1.246, 1.246),  # 1742's thigh in its standing stretch
        (-1.0, 2.0, 2.0),  # the leg raised vertically lying: twice the lean
    ],
)
def test_lean_error_grows_with_the_turn_from_the_stand(up, adduction, rotation):
    """Adduction gets the whole turn between the readings, as rotation does: the headings move
    it between the two (the stranger's 1742: 5.4–5.8° of adduction at 77° from the stand for a
    4.6° lean, more than its 3.6° share along the thigh's anterior axis)."""
    off = lean_error_deg(3.0, np.array([up]))
    assert off["adduction"][0] == pytest.approx(3.0 * adduction, rel=1e-3)
    assert off["internal_rotation"][0] == pytest.approx(3.0 * rotation, rel=1e-3)


def test_lean_error_has_no_bound_where_the_thigh_has_no_reading():
    off = lean_error_deg(-4.0, np.array([np.nan, -1.0]))
    assert off["adduction"].tolist() == pytest.approx([0.0, 8.0])


def test_a_lean_under_half_the_target_doubts_nothing():
    up = _raised_lying(100, 300)
    t = np.arange(up.size) / 10.0
    assert hip_lean_doubts(t, up, HIP_LEAN_TARGET_DEG / 2.0 - 0.01, "right") == ({}, {})


def test_a_raised_leg_on_a_large_lean_leaves_hip_adduction_uncertain_and_timed():
    up = _raised_lying(100, 300)
    t = np.arange(up.size) / 10.0
    whole, timed = hip_lean_doubts(t, up, 3.4, "right")
    assert set(whole) == {"adduction", "internal_rotation"}
    assert "3° from level" in whole["adduction"]["reason"]
    bound = np.asarray(timed["adduction"].bound_deg)
    assert np.all(bound[:50] == 0.0)  # standing: the readings agree
    assert np.all(bound[50:150] == pytest.approx(3.4 * np.sqrt(2.0), abs=1e-4))  # lying flat
    assert np.all(bound[150:] == pytest.approx(3.4 * np.sqrt(2.0 * 1.98), abs=1e-4))
    rotation = np.asarray(timed["internal_rotation"].bound_deg)
    assert np.array_equal(rotation, bound)
    assert "5–45 s" in timed["adduction"].reason


def test_a_short_raise_is_timed_without_leaving_the_angle_uncertain():
    up = _raised_lying(400, 30)
    t = np.arange(up.size) / 10.0
    whole, timed = hip_lean_doubts(t, up, 2.5, "left")
    assert "adduction" not in whole  # RMS over the session within the target
    assert np.count_nonzero(np.asarray(timed["adduction"].bound_deg)) == 30
    assert "left knee" in timed["adduction"].reason


def _angles(up: np.ndarray) -> pd.DataFrame:
    t = np.arange(up.size) / 10.0
    return pd.DataFrame({"t_s": t, ADD: np.zeros(up.size), ROT: np.zeros(up.size)})


def test_leaned_hips_add_their_reason_and_take_the_columns_out_of_other_readings():
    up = _raised_lying(100, 300)
    angles = _angles(up)
    twist = {"reason": "a twist", "redo": "lie still"}
    other = {ADD: np.ones(up.size), ROT: np.ones(up.size)}
    uncertain, readings, timed = pipeline._leaned_hips(
        angles, {"right_thigh": (4.2, up)}, {ROT: twist}, {"x": ("w", (other,))}
    )
    assert uncertain[ROT]["reason"].startswith("a twist; the right knee's axis")
    assert "the right knee's axis" in uncertain[ADD]["reason"]
    assert readings["x"][1] == ({},)
    assert set(timed) == {ADD, ROT}
    same = pipeline._leaned_hips(angles, {}, {ROT: twist}, {"x": ("w", (other,))})
    assert same[0] == {ROT: twist}
    assert set(same[1]["x"][1][0]) == {ADD, ROT}
    assert same[2] == {}


def test_merged_timed_doubts_add_their_bounds_and_join_their_words():
    a = {ADD: TimedDoubt(bound_deg=np.array([0.0, 5.0]), reason="drift", redo="stand")}
    b = {
        ADD: TimedDoubt(bound_deg=np.array([6.0, 6.0]), reason="lean", redo="bend"),
        ROT: TimedDoubt(bound_deg=np.array([0.0, 6.0]), reason="lean", redo="bend"),
    }
    out = pipeline._merged_timed(a, b)
    assert np.asarray(out[ADD].bound_deg).tolist() == [6.0, 11.0]
    assert out[ADD].reason == "drift; lean"
    assert out[ADD].redo == "stand; bend"
    assert out[ROT] is b[ROT]


def test_an_undecided_twist_adds_its_move_to_the_leans_adduction_bound():
    """The stranger's 2027 (lying, the leg up a door frame): a 2.5° lean alone bounds hip
    adduction within 4° RMS, its undecided 3° twist moves it by up to 2° more; together past
    the target. Rotation's bound is the lean's alone (the twist doubts it already)."""
    up = _raised_lying(100, 300)
    t = np.arange(up.size) / 10.0
    alone, _ = hip_lean_doubts(t, up, 2.2, "right")
    assert "adduction" not in alone
    twist = np.where(up < -0.5, 1.0, 0.0)
    whole, timed = hip_lean_doubts(t, up, 2.2, "right", twist)
    assert "adduction" in whole
    assert "moves hip adduction by up to 1° more" in whole["adduction"]["reason"]
    bound = np.asarray(timed["adduction"].bound_deg)
    assert bound[-1] == pytest.approx(2.2 * np.sqrt(2.0 * 1.98) + 1.0, abs=1e-4)
    assert "internal_rotation" not in whole or "moves" not in whole["internal_rotation"]["reason"]
    rotation = np.asarray(timed["internal_rotation"].bound_deg)
    assert rotation[-1] == pytest.approx(2.2 * np.sqrt(2.0 * 1.98), abs=1e-4)


def test_leaned_hips_take_the_twists_move_per_thigh():
    up = _raised_lying(100, 300)
    angles = _angles(up)
    move = {"right_thigh": np.where(up < -0.5, 1.0, 0.0)}
    without, _, _ = pipeline._leaned_hips(angles, {"right_thigh": (2.2, up)}, {}, {})
    assert ADD not in without
    with_twist, _, _ = pipeline._leaned_hips(angles, {"right_thigh": (2.2, up)}, {}, {}, move)
    assert ADD in with_twist
