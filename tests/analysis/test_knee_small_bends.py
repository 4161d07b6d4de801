"""A tibia that turns as the knee bends: the thigh's axis from the knee's small bends.

Seen from the thigh, a knee whose tibia turns by ``c`` × its flexion θ turns about
``z + c·(sin θ, cos θ, 0)``: the fit over deep bends turns the thigh's flexion axis in the
level plane by ``c·mean(sin θ)`` (read as hip adduction whenever the hip is flexed) and leans
it by ``c·mean(cos θ)`` (which the bias step would take for the thigh accelerometer's bias).
These tests build a thigh and a shank sensor on such a knee (``tests/analysis/builders``'s
strapped streams, the knee bending to 70° while the thigh swings) and check the calibrated
thigh frame against the truth, and the two pure functions the step rests on.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration_hinge import (
    COUPLED_DOUBT_TURN_DEG,
    COUPLED_RESIDUAL_RATIO,
    COUPLED_TURN_DEG,
    SMALL_BEND_DEG,
    SMALL_BENDS_MIN_ROTATION_DEG,
    SMALL_BENDS_MIN_WEAKEST_RAD_S,
    HingeFit,
    bent_at_most,
    coupling_fixed,
    coupling_shown,
    loose_coupling_deg,
)
from tests.analysis.builders import calibrated_knee

RATE_HZ = 100.0
X, Y, Z = np.eye(3)
MOUNT_THIGH = rot.normalize(np.array([0.7, 0.3, -0.5, 0.4]))  # q_B_S, any strapping
MOUNT_SHANK = rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2)


def _leg(n: int, coupling: float, knee_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """``q_G_thigh``, ``q_G_shank``: 4 s of stand, 6 knee bends of 2 s to ``knee_deg`` with
    the foot planted (the thigh flexes by 25–75 % of the bend, the shank tips forward by the
    rest, and the tibia's turn is the thigh's, about its long axis; each bend leaves and
    returns to the straight knee at speed, as a squat does), then leg swings of ±30° with the
    knee nearly straight."""
    t = np.arange(n) / RATE_HZ
    bend = np.clip((t - 4.0) / 2.0, 0.0, 6.0)
    swing = np.clip((t - 16.0) / 2.0, 0.0, 4.0)
    knee = np.deg2rad(knee_deg) * np.sin(np.pi * (bend % 1.0)) * (bend < 6.0)
    knee = knee + np.deg2rad(5.0) * np.sin(np.pi * (swing % 1.0)) ** 2 * (swing < 4.0)
    flex = (0.25 + 0.1 * np.floor(bend)) * knee * (t < 16.0)  # the hip's share varies
    flex = flex + np.deg2rad(30.0) * np.sin(np.pi * swing / 2.0) * (t >= 16.0)
    turn = -coupling * knee * (t < 16.0)  # the planted tibia's turn, taken by the thigh
    q_thigh = rot.multiply(rot.from_axis_angle(Z, flex), rot.from_axis_angle(Y, turn))
    q_knee = rot.multiply(rot.from_axis_angle(Z, -knee), rot.from_axis_angle(Y, coupling * knee))
    return q_thigh, rot.multiply(q_thigh, q_knee)


def _thigh_frame_error(coupling: float, bias_deg: float = 0.0, knee_deg: float = 70.0):
    """The calibrated thigh frame's z against the truth: (level-plane turn, lean) in degrees."""
    n = 2500
    q_t, q_s = _leg(n, coupling, knee_deg)
    cal, _ = calibrated_knee(q_t, q_s, (MOUNT_THIGH, MOUNT_SHANK), bias_deg=bias_deg)
    seg = cal.segments["right_thigh"]
    z = rot.to_matrix(seg.q_S_B)[:, 2]
    # the frame's z in the thigh's true coordinates (x forward, y up, z right)
    v = rot.rotate(MOUNT_THIGH, z)
    v = v if v[2] >= 0.0 else -v
    turn = float(np.rad2deg(np.arctan2(v[0], v[2])))
    lean = float(np.rad2deg(np.arcsin(v[1])))
    return seg, turn, lean


@pytest.mark.parametrize("coupling", [0.05, 0.1])
def test_a_coupled_knee_no_longer_turns_the_thigh_s_axis(coupling):
    # the tibia turning 0.05–0.1° per degree of flexion, bends to 70°: the whole window's
    # fit turns the thigh's axis 1.7–3.4° in the level plane and leans it 3.3–6.7° (main:
    # the frame leaned 3.3° at 0.05, doubted at 0.1); over the small bends it is the knee's
    seg, turn, lean = _thigh_frame_error(coupling=coupling)
    assert seg.axis_source == "knee hinge"
    assert seg.tilt_doubt is None
    assert abs(turn) < 1.5
    assert abs(lean) < 0.5


@pytest.mark.parametrize("bias_deg", [2.0, -2.0])
def test_an_exact_hinge_is_fitted_as_before(bias_deg):
    # no coupling: the small bends' fit is not taken, a real bias is still found whole
    _, turn, lean = _thigh_frame_error(coupling=0.0, bias_deg=bias_deg)
    assert abs(turn) < 0.3
    assert abs(lean) < 0.3


@pytest.mark.parametrize("bias_deg", [2.0, -2.0])
def test_a_coupled_knee_s_real_bias_stays_in_the_frame(bias_deg):
    # the price: with a coupling shown, none of the hinge's lean is taken for a bias, so a
    # real 2° bias along the axis leans the frame by its own size (main: 7° by the coupling's)
    _, turn, lean = _thigh_frame_error(coupling=0.1, bias_deg=bias_deg)
    assert abs(turn) < 1.5
    assert abs(abs(lean) - 2.0) < 0.5


def _tilted(tilt_deg: np.ndarray, about: np.ndarray) -> np.ndarray:
    """The vertical seen by a sensor (superior axis y) tipped ``tilt_deg`` about ``about``."""
    q = rot.from_axis_angle(about, np.deg2rad(tilt_deg))
    return rot.rotate(rot.conjugate(q), Y)


def test_bent_at_most_bounds_the_knee_from_the_tilts():
    rng = np.random.default_rng(3)
    n = 2000
    # thigh and shank each tipped about a random level axis: the knee (the angle between
    # their long axes) is never more than the two tilts together
    a_t, a_s = rng.uniform(0.0, 40.0, n), rng.uniform(0.0, 40.0, n)
    dirs = rng.uniform(0.0, 2 * np.pi, (2, n))
    axes_t = np.column_stack([np.cos(dirs[0]), np.zeros(n), np.sin(dirs[0])])
    axes_s = np.column_stack([np.cos(dirs[1]), np.zeros(n), np.sin(dirs[1])])
    up_t = np.array([_tilted(a, ax) for a, ax in zip(a_t, axes_t, strict=True)])
    up_s = np.array([_tilted(a, ax) for a, ax in zip(a_s, axes_s, strict=True)])
    # long axes in a common level frame: each tilt turns y by the same rotation
    long_t = np.array(
        [
            rot.rotate(rot.from_axis_angle(ax, np.deg2rad(a)), Y)
            for a, ax in zip(a_t, axes_t, strict=True)
        ]
    )
    long_s = np.array(
        [
            rot.rotate(rot.from_axis_angle(ax, np.deg2rad(a)), Y)
            for a, ax in zip(a_s, axes_s, strict=True)
        ]
    )
    knee = np.rad2deg(np.arccos(np.clip(np.sum(long_t * long_s, axis=1), -1.0, 1.0)))
    small = bent_at_most(up_t, up_s, Y, Y)
    assert small.any()
    assert not small.all()
    assert np.all(knee[small] <= SMALL_BEND_DEG + 1e-9)
    np.testing.assert_array_equal(small, a_t + a_s <= SMALL_BEND_DEG)
    # a squat (thigh and shank tipped opposite ways) is bent by the sum: caught
    squat = bent_at_most(_tilted(np.array([20.0]), Z), _tilted(np.array([-20.0]), Z), Y, Y)
    assert not squat[0]
    # no vertical: not counted as small
    up_t[0] = np.nan
    assert not bent_at_most(up_t, up_s, Y, Y)[0]


def _fit(
    j: np.ndarray, residual: float = 0.003, samples: int = 500, weakest: float = 0.1
) -> HingeFit:
    return HingeFit(
        j_prox_S=j / np.linalg.norm(j),
        j_dist_S=Z,
        residual_rad_s=residual,
        spread_rad_s=0.1,
        weakest_rad_s=weakest,
        samples=samples,
    )


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_coupling_shown_needs_a_turn_a_better_fit_and_firm_small_bends(sign):
    turned = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(COUPLED_TURN_DEG + 1.5)), Z)
    near = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(COUPLED_TURN_DEG - 0.5)), Z)
    leaned = rot.rotate(rot.from_axis_angle(X, np.deg2rad(5.0)), Z)
    whole = _fit(turned, residual=0.03)
    ok = SMALL_BENDS_MIN_ROTATION_DEG + 10.0
    assert coupling_shown(whole, _fit(sign * Z), Y, small_turned_deg=ok)
    # the small bends fit no better, or not much better (in rad/s): no coupling shown
    assert not coupling_shown(whole, _fit(sign * Z, residual=0.04), Y, small_turned_deg=ok)
    slightly = _fit(sign * Z, residual=0.03 / (0.75 * COUPLED_RESIDUAL_RATIO))
    assert not coupling_shown(whole, slightly, Y, small_turned_deg=ok)
    # too little turn; a lean alone is no turn in the level plane
    assert not coupling_shown(_fit(near, residual=0.03), _fit(sign * Z), Y, small_turned_deg=ok)
    assert not coupling_shown(_fit(leaned, residual=0.03), _fit(sign * Z), Y, small_turned_deg=ok)
    # small bends that do not fix the axis on their own: too few samples, a loose direction,
    # too little turn of the knee
    assert not coupling_shown(whole, _fit(sign * Z, samples=5), Y, small_turned_deg=ok)
    loose = _fit(sign * Z, weakest=0.5 * SMALL_BENDS_MIN_WEAKEST_RAD_S)
    assert not coupling_shown(whole, loose, Y, small_turned_deg=ok)
    short = SMALL_BENDS_MIN_ROTATION_DEG - 10.0
    assert not coupling_shown(whole, _fit(sign * Z), Y, small_turned_deg=short)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_coupling_the_small_bends_cannot_fix_is_told(sign):
    far = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(COUPLED_DOUBT_TURN_DEG + 2.0)), Z)
    near = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(COUPLED_DOUBT_TURN_DEG - 1.0)), Z)
    loose = _fit(sign * Z, weakest=0.3 * SMALL_BENDS_MIN_WEAKEST_RAD_S)
    turned = loose_coupling_deg(_fit(far, residual=0.03), loose, Y)
    assert turned == pytest.approx(COUPLED_DOUBT_TURN_DEG + 2.0, abs=0.01)
    # a turn the hinge-turn doubt would not call one; a residual no better over small bends
    assert loose_coupling_deg(_fit(near, residual=0.03), loose, Y) is None
    assert loose_coupling_deg(_fit(far, residual=0.03), _fit(sign * Z, residual=0.02), Y) is None
    assert loose_coupling_deg(_fit(far, residual=0.03), _fit(sign * Z, samples=5), Y) is None


@pytest.mark.parametrize("coupling", [0.0, 0.1])
def test_an_exact_hinge_or_firm_small_bends_doubt_nothing(coupling):
    q_t, q_s = _leg(2500, coupling, 70.0)
    cal, _ = calibrated_knee(q_t, q_s, (MOUNT_THIGH, MOUNT_SHANK), bias_deg=0.0)
    assert cal.segments["right_thigh"].tilt_doubt is None


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_small_bends_never_fix_the_axis_on_rates_derived_from_a_maker_s_orientation(sign):
    # stranger round 5 seed 2203's DOT file: the maker's heading, which the file cannot check,
    # turned the small bends' fit 8.1 -> 11.5 deg from the whole window's and moved its weakest
    # direction over the floor (0.047 -> 0.074 rad/s); the same floors do not hold there
    turned = rot.rotate(rot.from_axis_angle(Y, np.deg2rad(COUPLED_TURN_DEG + 1.5)), Z)
    whole, small = _fit(turned, residual=0.03), _fit(sign * Z)
    ok = SMALL_BENDS_MIN_ROTATION_DEG + 10.0
    assert coupling_fixed(whole, small, Y, small_turned_deg=ok)
    assert not coupling_fixed(whole, small, Y, small_turned_deg=ok, derived_rates=True)
    # measured rates: exactly coupling_shown's answer
    loose = _fit(sign * Z, weakest=0.5 * SMALL_BENDS_MIN_WEAKEST_RAD_S)
    assert not coupling_fixed(whole, loose, Y, small_turned_deg=ok)


def test_a_coupling_on_a_maker_s_rates_is_doubted_where_measured_rates_fix_it():
    # a tibia turning 0.3 deg per degree of bend to 90 deg: the small bends lie 8 deg from the
    # whole window's; on measured rates they fix the thigh's axis (no doubt), on rates derived
    # from the maker's orientation the coupling is one they do not fix, and that is said
    q_t, q_s = _leg(2500, 0.3, 90.0)
    mounts = (MOUNT_THIGH, MOUNT_SHANK)
    measured, _ = calibrated_knee(q_t, q_s, mounts, bias_deg=0.0)
    assert measured.segments["right_thigh"].tilt_doubt is None
    fused = frozenset({"right_thigh", "right_shank"})
    derived, _ = calibrated_knee(q_t, q_s, mounts, bias_deg=0.0, vendor_fused=fused)
    doubt = derived.segments["right_thigh"].tilt_doubt
    assert doubt is not None
    assert "small bends alone do not fix it" in doubt
    assert "maker's own orientation" in doubt
    # the axis kept is the small bends' either way (the doubt is what changes)
    np.testing.assert_allclose(
        derived.segments["right_thigh"].q_S_B, measured.segments["right_thigh"].q_S_B, atol=1e-9
    )
