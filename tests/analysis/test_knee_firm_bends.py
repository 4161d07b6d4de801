"""A coupled knee whose small bends do not fix its axis: the smallest bends that do.

A tibia turning ``c`` per unit of knee flexion turns the thigh's view of the knee's axis in
the level plane by about ``c·mean(sin θ)`` over the bends fitted, so the fit over the bends at
most 15° is nearly the straight knee's; where those bends do not fix the axis as firmly as
round 12's rule asks, the bends at most 20 or 25° may
(:func:`analysis.angles.calibration_hinge.smallest_firm_bends`). These tests give it fits and
check which it takes, and a synthetic knee whose first 15° pass too fast.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration_hinge import (
    COUPLED_TURN_DEG,
    FIRM_BEND_LIMITS_DEG,
    LOOSE_AXIS_SLACK_DEG,
    MIN_KNEE_ROTATION_DEG,
    MIN_WEAKEST_RAD_S,
    HingeFit,
    deep_bends_misfit,
    firm_bends,
    smallest_firm_bends,
)
from tests.analysis.builders import calibrated_knee

X, Y, Z = np.eye(3)
RATE_HZ = 100.0
MOUNT_THIGH = rot.normalize(np.array([0.7, 0.3, -0.5, 0.4]))  # q_B_S, any strapping
MOUNT_SHANK = rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2)


def _fit(turn_deg: float, *, weakest: float = 0.1, resid: float = 0.001) -> HingeFit:
    """A knee fit whose thigh axis is Z turned ``turn_deg`` about Y (up), leaned 5° toward it."""
    a, lean = np.deg2rad(turn_deg), np.deg2rad(5.0)
    level = np.cos(a) * Z + np.sin(a) * X
    return HingeFit(
        j_prox_S=np.cos(lean) * level + np.sin(lean) * Y,
        j_dist_S=Z,
        residual_rad_s=resid,
        spread_rad_s=0.1,
        weakest_rad_s=weakest,
        samples=500,
        weakest_dist_rad_s=0.1,
    )


# slack = 0.01 · spread / weakest: just past the loose limit, and a firm one
LOOSE = 0.01 * 0.1 / math.radians(LOOSE_AXIS_SLACK_DEG) * 0.9
FIRM = 0.1


def test_firm_bends_are_the_window_fit_s_floors():
    assert firm_bends(_fit(0.0, weakest=FIRM), MIN_KNEE_ROTATION_DEG)
    assert not firm_bends(_fit(0.0, weakest=FIRM), MIN_KNEE_ROTATION_DEG - 1.0)
    assert not firm_bends(_fit(0.0, weakest=LOOSE), 80.0)  # slack past 2.5°
    assert not firm_bends(_fit(0.0, weakest=MIN_WEAKEST_RAD_S * 0.9, resid=0.0), 80.0)


def test_the_smallest_firm_bends_are_taken():
    whole = _fit(-4.0, resid=0.01)
    fits = [(_fit(0.4, weakest=LOOSE), 70.0), (_fit(-0.5), 94.0), (_fit(-0.7), 125.0)]
    assert smallest_firm_bends(whole, fits, Y) == fits[1]
    fits[0] = (_fit(0.4, weakest=FIRM), 70.0)
    assert smallest_firm_bends(whole, fits, Y) == fits[0]


def test_no_firm_bends_or_no_turn_to_remove_takes_nothing():
    whole = _fit(-4.0, resid=0.01)
    loose = [(_fit(0.0, weakest=LOOSE), 80.0) for _ in FIRM_BEND_LIMITS_DEG]
    assert smallest_firm_bends(whole, loose, Y) is None
    # the first firm fit lies within COUPLED_TURN_DEG of the whole window's: nothing to remove,
    # even where a deeper one lies farther
    near = [(_fit(-4.0 + 0.8 * COUPLED_TURN_DEG), 80.0), (_fit(0.0), 100.0)]
    assert smallest_firm_bends(whole, near, Y) is None


def test_only_as_many_fits_as_needed_are_made():
    made = []

    def fits():
        for limit in FIRM_BEND_LIMITS_DEG:
            made.append(limit)
            yield _fit(0.0), 80.0

    assert smallest_firm_bends(_fit(-4.0, resid=0.01), fits(), Y) is not None
    assert made == [FIRM_BEND_LIMITS_DEG[0]]


def test_deep_bends_misfit_is_the_residual_test_alone():
    small = _fit(0.0, weakest=0.001, resid=0.001)  # loose: coupling_shown would refuse it
    assert deep_bends_misfit(_fit(0.5, resid=0.0025), small)  # whatever the turn
    assert not deep_bends_misfit(_fit(3.0, resid=0.0015), small)  # residual ratio ≤ 2


def _two_fast_bends(coupling: float) -> tuple[np.ndarray, np.ndarray]:
    """``q_G_thigh``, ``q_G_shank``: 4 s of stand, two knee bends of 1 s to 90° with the foot
    planted (the tibia's turn taken by the thigh, about its long axis), one leg swing of ±30°
    with the knee nearly straight: the bends pass their first 15° too fast to fix the axis."""
    n = int(9.0 * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    bend = np.clip(t - 4.0, 0.0, 2.0)
    swing = np.clip((t - 6.0) / 2.0, 0.0, 1.0)
    knee = np.deg2rad(90.0) * np.sin(np.pi * (bend % 1.0)) * (bend < 2.0)
    knee = knee + np.deg2rad(5.0) * np.sin(np.pi * (swing % 1.0)) ** 2 * (swing < 1.0)
    flex = (0.25 + 0.1 * np.floor(bend)) * knee * (t < 6.0)
    flex = flex + np.deg2rad(30.0) * np.sin(np.pi * swing / 2.0) * (t >= 6.0)
    turn = -coupling * knee * (t < 6.0)
    q_thigh = rot.multiply(rot.from_axis_angle(Z, flex), rot.from_axis_angle(Y, turn))
    q_knee = rot.multiply(rot.from_axis_angle(Z, -knee), rot.from_axis_angle(Y, coupling * knee))
    return q_thigh, rot.multiply(q_thigh, q_knee)


@pytest.mark.parametrize(
    ("coupling", "within_deg", "doubted"),
    [(0.0, 0.5, False), (0.05, 1.5, False), (0.07, 2.0, False), (0.1, 2.5, True)],
)
def test_a_coupled_knee_with_loose_small_bends_takes_the_smallest_firm_ones(
    coupling, within_deg, doubted
):
    # main keeps the whole window's axis: 4.3°, 6.0° (trusted) and 8.8° off (doubted) at
    # 0.05, 0.07, 0.1; the smallest firm bends (at most 20–25°: the coupling's turn there is
    # c·sin θ ≤ 2.5°) read 1.3, 1.7, 2.2°. At 0.1 the small bends lie more than 5.5° from the
    # whole window's axis, so the loose-coupling doubt stays, as on main.
    q_t, q_s = _two_fast_bends(coupling)
    cal, _ = calibrated_knee(q_t, q_s, (MOUNT_THIGH, MOUNT_SHANK), bias_deg=0.0)
    seg = cal.segments["right_thigh"]
    v = rot.rotate(MOUNT_THIGH, rot.to_matrix(seg.q_S_B)[:, 2])
    v = v if v[2] >= 0.0 else -v
    assert seg.axis_source == "knee hinge"
    assert (seg.tilt_doubt is not None) == doubted
    assert abs(np.rad2deg(np.arctan2(v[0], v[2]))) < within_deg
    assert abs(np.rad2deg(np.arcsin(v[1]))) < 0.5
