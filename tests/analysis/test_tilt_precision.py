"""The pose fit's posterior, carried to the tilt about a segment's flexion axis."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import tilt_precision
from analysis.angles.accbias import (
    GAIN_TERMS,
    AccCorrection,
    _gain_matrix,
    estimate_acc_correction,
)
from analysis.angles.tilt_precision import (
    COVERAGE_SIGMA,
    SegmentPrecision,
    other_side,
    posterior_covariance,
    precision_doubts,
    precision_notes,
    predicted_rmse_deg,
    tilt_gradient,
)
from analysis.recording.schema import GRAVITY_M_S2

G = GRAVITY_M_S2
Z = np.array([0.0, 0.0, 1.0])  # flexion axis in the sensor frame
STAND = np.array([0.0, 1.0, 0.0])  # gravity direction standing (sensor frame)
LYING = np.array([1.0, 0.0, 0.0])  # lying flat: turned 90° about the flexion axis


def _tilt_about_z(f: np.ndarray, u: np.ndarray) -> float:
    """Angle (rad) about Z from the true gravity direction ``u`` to the measured ``f``."""
    return float(Z @ np.cross(u, f / np.linalg.norm(f)))


def _measured(u: np.ndarray, bias: np.ndarray, k: np.ndarray) -> np.ndarray:
    return _gain_matrix(k) @ (G * u) + bias


def _corrected_tilt(theta: np.ndarray, u: np.ndarray, z: np.ndarray) -> float:
    """Tilt (rad) about ``z`` of the fit's corrected force ``gain·(a − bias)`` from the true
    gravity direction ``u``, for an exact raw reading ``a = g·u`` and fit parameters ``theta``
    (bias m/s², gain terms) off by ``theta`` from the truth (the correction a fit applies,
    ``AccCorrection.apply``)."""
    bias, k = theta[:3], theta[3:]
    f = AccCorrection(bias, _gain_matrix(k), 2, 0.0).apply((G * u)[None, :])[0]
    return float(z @ np.cross(u, f / np.linalg.norm(f)))


def test_gradient_is_the_finite_difference_of_the_fits_corrected_tilt():
    """Every column (bias and gain terms) against a central difference of the corrected
    force's tilt, at random gravity directions and flexion axes: a bias estimated too high
    makes the force too low, so the bias columns carry the opposite sign of ``z × u``."""
    rng = np.random.default_rng(3)
    h = 1e-6
    for _ in range(6):
        u, z = rng.normal(size=(2, 3))
        u, z = u / np.linalg.norm(u), z / np.linalg.norm(z)
        grad = tilt_gradient(u[None, :], z)[0]
        numeric = np.array(
            [
                (_corrected_tilt(h * e, u, z) - _corrected_tilt(-h * e, u, z)) / (2 * h)
                for e in np.eye(3 + len(GAIN_TERMS))
            ]
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9)
    # the bias column itself: a bias along ``z × u`` estimated too high turns the force back
    u = STAND
    assert tilt_gradient(u[None, :], Z)[0, :3] @ np.cross(Z, u) < 0.0


def test_no_fit_leaves_the_prior():
    cov = posterior_covariance(np.array([G * STAND, G * LYING]), fitted=False)
    assert np.allclose(np.sqrt(np.diag(cov)), [0.15] * 3 + [0.005] * len(GAIN_TERMS))


def _lying_sd_deg(means: np.ndarray) -> float:
    cov = posterior_covariance(means, fitted=True)
    d = tilt_gradient(LYING[None, :], Z) - tilt_gradient(STAND[None, :], Z)
    return float(np.degrees(np.sqrt(d @ cov @ d.T)[0, 0]))


def test_two_poses_leave_the_lying_tilt_open_and_many_poses_pin_it():
    rng = np.random.default_rng(4)
    two = _lying_sd_deg(np.array([G * STAND, G * LYING]))
    dirs = rng.normal(size=(14, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    many = _lying_sd_deg(G * np.vstack([STAND, LYING, dirs]))
    assert two > 0.5  # the cross-axis term between the two verticals is never seen
    assert many < 0.5 * two
    # the redo advice: the leg raised upright, with a pause half-way up from lying
    half_up = (LYING - STAND) / np.sqrt(2.0)
    raised = _lying_sd_deg(G * np.array([STAND, LYING, -STAND, half_up]))
    # 0.48° against 0.71°: two thirds (the bound was 0.6 while the bias's tilt had the wrong
    # sign in ``tilt_gradient``, which made these four poses look like a halving)
    assert raised < 0.7 * two


def test_predicted_sd_matches_the_spread_of_real_fits():
    """Draw bias and gain from the fit's own prior, fit two poses, compare with the truth."""
    rng = np.random.default_rng(5)
    z_scores = []
    for _ in range(300):
        bias = rng.normal(size=3) * 0.15
        k = rng.normal(size=len(GAIN_TERMS)) * 0.005
        raw = [_measured(u, bias, k) + rng.normal(size=3) * 0.005 for u in (STAND, LYING)]
        fit = estimate_acc_correction(np.array(raw))
        corrected = [fit.apply(a[None, :])[0] for a in raw]
        error = _tilt_about_z(corrected[1], LYING) - _tilt_about_z(corrected[0], STAND)
        z_scores.append(np.degrees(error) / _lying_sd_deg(np.array(corrected)))
    sd = float(np.std(z_scores))
    assert 0.8 < sd < 1.25, sd


def _flat(n_stand: int, n_lying: int, lying_sd_deg: float) -> SegmentPrecision:
    var = np.r_[np.zeros(n_stand), np.full(n_lying, np.radians(lying_sd_deg) ** 2)]
    return SegmentPrecision(var, 2)


def test_joint_rmse_adds_both_segments_over_the_session():
    segs = {"left_thigh": _flat(10, 30, 0.6), "left_shank": _flat(10, 30, 0.8)}
    rmse = predicted_rmse_deg(segs)
    assert list(rmse) == ["left_knee_flexion_deg"]  # no foot: no ankle
    assert rmse["left_knee_flexion_deg"] == pytest.approx(np.sqrt(0.75) * 1.0)


def test_only_the_named_leg_past_its_target_is_doubted_and_said_in_plain_words():
    segs = {
        f"{side}_{s}": _flat(5, 95, 0.8 if side == "right" else 0.3)
        for side in ("left", "right")
        for s in ("thigh", "shank", "foot")
    }
    rmse = predicted_rmse_deg(segs)
    assert COVERAGE_SIGMA * rmse["right_knee_flexion_deg"] > 2.0
    both = precision_doubts(rmse, segs)
    assert sorted(both) == ["right_ankle_dorsiflexion_deg", "right_knee_flexion_deg"]
    assert precision_doubts(rmse, segs, sides=("left",)) == {}
    reason = both["right_knee_flexion_deg"]["reason"]
    assert "measured to about ±" in reason
    assert "2 and 2 positions" in reason
    (note,) = precision_notes(rmse, both)
    assert note.startswith("The right leg (not the exercised one, e.g. resting on the floor)")
    assert f"knee measured to about ±{COVERAGE_SIGMA * rmse['right_knee_flexion_deg']:.1f}°" in note


def test_the_resting_hip_bend_adds_the_pelvis_and_the_thigh():
    """Lying down after the stand turns the pelvis and the resting thigh alike: the hip's
    flexion carries both sensors' unpinned tilt, as the knee carries the thigh's and shank's."""
    segs = {"pelvis": _flat(5, 95, 0.7), "right_thigh": _flat(5, 95, 0.6)}
    rmse = predicted_rmse_deg(segs)
    assert list(rmse) == ["right_hip_flexion_deg"]  # no shank: no knee
    assert rmse["right_hip_flexion_deg"] == pytest.approx(np.sqrt(0.95 * (0.49 + 0.36)))
    doubts = precision_doubts(rmse, segs, sides=("right",))
    reason = doubts["right_hip_flexion_deg"]["reason"]
    assert "the right leg's hip bend is measured to about ±" in reason
    assert "its pelvis and thigh sensors" in reason
    (note,) = precision_notes(rmse, doubts)
    assert "hip bend measured to about ±" in note
    # a pelvis pinned as well as the knee's segments keeps the hip within its target
    calm = {"pelvis": _flat(5, 95, 0.2), "right_thigh": _flat(5, 95, 0.2)}
    assert precision_doubts(predicted_rmse_deg(calm), calm) == {}


def test_other_side():
    assert other_side("left") == "right"
    assert other_side("right") == "left"
    assert other_side(None) is None


def test_still_means_in_chunks_equal_one_call_over_the_session(monkeypatch) -> None:
    """Chunked by whole blocks, the still-pose means are those of one call, bit for bit."""
    rng = np.random.default_rng(3)
    n_rows = 5_003  # not a whole number of blocks or chunks
    acc = np.tile([0.0, 0.0, 9.81], (n_rows, 1)) + rng.normal(0.0, 0.01, (n_rows, 3))
    gyr = rng.normal(0.0, 0.005, (n_rows, 3))
    gyr[1_000:1_400] += 1.0  # a movement: those blocks are not still
    bias = np.zeros(3)
    whole = tilt_precision.still_pose_means(
        acc, gyr, rate_hz=100.0, gyr_bias_rad_s=bias, window_s=tilt_precision.BLOCK_S
    )
    monkeypatch.setattr(tilt_precision, "CHUNK_ROWS", 730)  # 14 blocks of 50 rows a chunk
    chunked = tilt_precision._still_means(acc, gyr, 100.0, bias)
    assert whole.shape[0] == 100 - 8
    np.testing.assert_array_equal(chunked, whole)
