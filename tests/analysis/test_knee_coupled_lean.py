"""A knee whose deep bends misfit the hinge: the lean is the coupling's whichever axis is kept.

A tibia turning with the knee leans the thigh's view of the knee's axis toward the thigh's
long axis by ``c·mean(cos θ)`` over the bends fitted, whether or not its turn in the level
plane is large enough to replace the axis; the bias step must not take that lean for the
thigh accelerometer's bias (the stranger's round-2 seed 1440: a 5.6° lean taken whole on its
DOT file, 5.5° of hip adduction; on the canonical file 6.4°, over the bias limit, left).
Where only the bends at most 10° show the misfit (the stranger's round-1 seed 1313), the
thigh's tilt is doubted and its axis kept. These tests give ``calibration._small_bends_fit``
and ``_straight_bends_misfit`` fits per bend limit, and check the frame of a synthetic knee
with the decision forced.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis.angles import calibration as cal
from analysis.angles import rotations as rot
from analysis.angles.calibration_axes import SensorAxes
from analysis.angles.calibration_hinge import (
    COUPLED_RESIDUAL_RATIO,
    FIRM_BEND_LIMITS_DEG,
    SMALL_BEND_DEG,
    STRAIGHT_BEND_DEG,
    HingeFit,
)
from tests.analysis.builders import calibrated_knee

X, Y, Z = np.eye(3)
RATE_HZ = 100.0
MOUNT_THIGH = rot.normalize(np.array([0.7, 0.3, -0.5, 0.4]))  # q_B_S, any strapping
MOUNT_SHANK = rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2)
WHOLE_RESID = 0.004


def _fit(turn_deg: float, *, resid: float, weakest: float = 0.1) -> tuple[HingeFit, float]:
    """A knee fit (and 80° of knee turn) whose thigh axis is Z turned ``turn_deg`` about Y."""
    a = np.deg2rad(turn_deg)
    fit = HingeFit(
        j_prox_S=np.cos(a) * Z + np.sin(a) * X,
        j_dist_S=Z,
        residual_rad_s=resid,
        spread_rad_s=0.1,
        weakest_rad_s=weakest,
        samples=500,
        weakest_dist_rad_s=0.1,
    )
    return fit, 80.0


def _axes() -> dict[str, SensorAxes]:
    return {
        "right_thigh": SensorAxes(
            y_S=Y,
            z_S=Z,
            planarity_ratio=1.0,
            axis_elevation_deg=0.0,
            rotation_deg=90.0,
            stand_gravity_m_s2=9.81,
            stand_gyro_rms_rad_s=0.0,
            stand_acc_std_m_s2=0.0,
            axis_source="knee hinge",
        )
    }


def _decide(monkeypatch, fits: dict[float, tuple[HingeFit, float]]):
    """``_small_bends_fit`` with the knee's fit over each bend limit given, and the limits
    it asked for."""
    asked: list[float] = []

    def bends_within(*_args):
        def fit(limit_deg: float):
            asked.append(limit_deg)
            return fits.get(limit_deg)

        return fit

    monkeypatch.setattr(cal, "_bends_within", bends_within)
    axes = _axes()
    whole = _fit(-4.0, resid=WHOLE_RESID)
    got = cal._small_bends_fit(None, ("right_thigh", "right_shank"), (None, None), axes, {}, whole)
    return whole, got, asked


# a residual the deep bends misfit by (more than COUPLED_RESIDUAL_RATIO), and one they do not
MISFIT = WHOLE_RESID / COUPLED_RESIDUAL_RATIO * 0.8
FIT = WHOLE_RESID / COUPLED_RESIDUAL_RATIO * 1.1


def test_a_misfit_the_15_degree_bends_show_is_a_coupling_even_with_the_whole_axis_kept(
    monkeypatch,
):
    # the small bends' axis lies within 1° of the whole window's: nothing to turn, but the
    # residual shows the coupling, whose lean the thigh must not take for a bias
    fits = {lim: _fit(-3.5, resid=MISFIT) for lim in FIRM_BEND_LIMITS_DEG}
    whole, (fit, doubt, misfit), asked = _decide(monkeypatch, fits)
    assert fit is whole
    assert doubt is None
    assert misfit
    assert asked[0] == SMALL_BEND_DEG


def test_no_misfit_is_no_coupling(monkeypatch):
    fits = {lim: _fit(-3.0, resid=FIT) for lim in FIRM_BEND_LIMITS_DEG}
    whole, (fit, doubt, misfit), asked = _decide(monkeypatch, fits)
    assert fit is whole
    assert doubt is None
    assert not misfit
    assert asked == [SMALL_BEND_DEG]


def test_a_firm_15_degree_fit_turned_from_the_whole_one_is_taken_as_before(monkeypatch):
    fits = {lim: _fit(-2.0, resid=MISFIT, weakest=0.03) for lim in FIRM_BEND_LIMITS_DEG}
    _, (fit, doubt, misfit), _ = _decide(monkeypatch, fits)
    assert fit[0] is fits[SMALL_BEND_DEG][0]
    assert doubt is None
    assert misfit


def _bends(n: int = 2500) -> tuple[np.ndarray, np.ndarray]:
    """An exact hinge: 4 s of stand, 6 knee bends of 2 s to 70° (the foot planted), then leg
    swings of ±30° with the knee nearly straight."""
    t = np.arange(n) / RATE_HZ
    bend = np.clip((t - 4.0) / 2.0, 0.0, 6.0)
    swing = np.clip((t - 16.0) / 2.0, 0.0, 4.0)
    knee = np.deg2rad(70.0) * np.sin(np.pi * (bend % 1.0)) * (bend < 6.0)
    knee = knee + np.deg2rad(5.0) * np.sin(np.pi * (swing % 1.0)) ** 2 * (swing < 4.0)
    flex = (0.25 + 0.1 * np.floor(bend)) * knee * (t < 16.0)
    flex = flex + np.deg2rad(30.0) * np.sin(np.pi * swing / 2.0) * (t >= 16.0)
    q_thigh = rot.from_axis_angle(Z, flex)
    return q_thigh, rot.multiply(q_thigh, rot.from_axis_angle(Z, -knee))


def _lean_deg(seg) -> float:
    """The calibrated thigh frame's z leaned toward the thigh's true long axis (°)."""
    v = rot.rotate(MOUNT_THIGH, rot.to_matrix(seg.q_S_B)[:, 2])
    return float(np.rad2deg(np.arcsin(abs(v[1]))))


@pytest.mark.parametrize("misfit", [False, True])
def test_a_coupling_shown_takes_none_of_the_hinge_s_lean_for_a_bias(monkeypatch, misfit):
    # a 3° bias along the axis of an exact hinge: found whole (the frame level) where no
    # coupling is shown; where one is (forced here), the lean stays in the frame, as round
    # 12's coupled thigh (the price: a real bias on a coupled knee is not removed)
    real = cal._small_bends_fit

    def forced(*args, **kwargs):
        fit, doubt, _ = real(*args, **kwargs)
        return fit, doubt, misfit

    monkeypatch.setattr(cal, "_small_bends_fit", forced)
    q_t, q_s = _bends()
    result, _ = calibrated_knee(q_t, q_s, (MOUNT_THIGH, MOUNT_SHANK), bias_deg=3.0)
    seg = result.segments["right_thigh"]
    assert seg.axis_source == "knee hinge"
    if misfit:
        assert abs(_lean_deg(seg) - 3.0) < 0.5
    else:
        assert _lean_deg(seg) < 0.5


def _straight(monkeypatch, small: tuple[HingeFit, float] | None) -> str | None:
    """``_straight_bends_misfit`` with the knee's fit over the bends at most 10° given."""

    def bends_within(*_args):
        def fit(limit_deg: float):
            assert limit_deg == STRAIGHT_BEND_DEG
            return small

        return fit

    monkeypatch.setattr(cal, "_bends_within", bends_within)
    whole = _fit(-4.0, resid=WHOLE_RESID)
    pair = ("right_thigh", "right_shank")
    return cal._straight_bends_misfit(None, pair, (None, None), _axes(), {}, whole)


def test_only_the_straightest_bends_showing_a_turned_coupling_doubt_the_tilt(monkeypatch):
    # seed 1313: ratio 2.4 over the bends at most 10°, their axis 1.7° from the whole one's
    doubt = _straight(monkeypatch, _fit(-2.3, resid=MISFIT))
    assert doubt is not None
    assert "1.7°" in doubt
    assert _straight(monkeypatch, _fit(-3.5, resid=MISFIT)) is None  # within 1°: no turn
    assert _straight(monkeypatch, _fit(-2.3, resid=FIT)) is None  # no misfit
    assert _straight(monkeypatch, None) is None


def test_the_straight_bends_doubt_keeps_an_earlier_reason_and_a_coupled_lean_drops():
    ax = _axes()["right_thigh"]
    assert cal._coupling_kept_out(ax, False, "hint").tilt_doubt == "hint"
    earlier = dataclasses.replace(ax, tilt_doubt="earlier")
    assert cal._coupling_kept_out(earlier, False, "hint").tilt_doubt == "earlier"
    own = dataclasses.replace(ax, axis_source="movements")
    assert cal._coupling_kept_out(own, False, "hint") is own
    leaned = dataclasses.replace(ax, hinge_S=np.array([0.0, 0.1, 1.0]) / np.hypot(0.1, 1.0))
    dropped = cal._coupling_kept_out(leaned, True, None)
    assert abs(float(dropped.hinge_S @ Y)) < 1e-12
    assert dropped.tilt_doubt is None
