"""A vendor's fused orientation re-tilted to the corrected accelerometer (vendor_tilt)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.accbias import NO_CORRECTION, AccCorrection
from analysis.angles.pipeline import analyse_recording
from analysis.angles.vendor_tilt import (
    correct_vendor_tilt,
    corrected_up,
    follows_raw_accelerometer,
    vendor_heading_note,
    vendor_orientation,
)
from analysis.errors import DataError
from analysis.recording.schema import GRAVITY_M_S2
from analysis.recording.streams import CalibrationWindows
from sensors.formats.merge import read_vendor_session
from sensors.formats.movella_dot import free_acc_from_specific_force
from tests.vendor_writers import write_movella_dot

UP = np.array([0.0, 0.0, 1.0])


def _own_gravity(q_true: np.ndarray, acc_seen: np.ndarray) -> np.ndarray:
    """What a sensor's own fusion outputs: the truth tilted (shortest rotation) so that its
    gravity lies along the accelerometer's reading, as the DOT's does (horizontal free
    acceleration ≈ 0 at rest in the real files)."""
    up_true = rot.rotate(rot.conjugate(q_true), UP)
    seen = acc_seen / np.linalg.norm(acc_seen, axis=1, keepdims=True)
    axis = np.cross(seen, up_true)
    sin = np.linalg.norm(axis, axis=1)
    ang = np.arctan2(sin, np.sum(seen * up_true, axis=1))
    d = rot.from_axis_angle(axis / np.maximum(sin, 1e-15)[:, None], ang)
    return rot.normalize(rot.multiply(q_true, d))


def _tilt_deg(q: np.ndarray, q_true: np.ndarray) -> np.ndarray:
    u = rot.rotate(rot.conjugate(q), UP)
    v = rot.rotate(rot.conjugate(q_true), UP)
    return np.rad2deg(np.arccos(np.clip(np.sum(u * v, axis=1), -1.0, 1.0)))


def test_an_offset_carried_as_tilt_is_taken_out_in_every_orientation():
    rng = np.random.default_rng(4)
    q_true = rot.normalize(rng.normal(size=(500, 4)))
    bias = np.array([0.18, -0.12, 0.15])
    gain = np.eye(3) + np.array([[0.01, 0.004, 0.0], [0.004, -0.008, 0.002], [0.0, 0.002, 0.005]])
    # the accelerometer reads gain⁻¹ · (true specific force) + bias at rest
    acc_seen = np.linalg.solve(gain, rot.rotate(rot.conjugate(q_true), [0, 0, GRAVITY_M_S2]).T).T
    acc_seen += bias
    q_vendor = _own_gravity(q_true, acc_seen)
    assert _tilt_deg(q_vendor, q_true).max() > 1.0  # the offset is seen as tilt
    fixed = correct_vendor_tilt(q_vendor, AccCorrection(bias, gain, 6, 120.0))
    assert _tilt_deg(fixed, q_true).max() < 1e-4  # arccos near 1: ~1e-6° of rounding
    # only the tilt is turned: fixed ⊗ vendor* turns about a level earth axis, never about up
    turn = rot.multiply(fixed, rot.conjugate(q_vendor))
    np.testing.assert_allclose(turn[:, 3], 0.0, atol=1e-12)


def test_the_identity_correction_and_the_storage_type():
    q = rot.normalize(np.random.default_rng(1).normal(size=(20, 4))).astype(np.float32)
    assert correct_vendor_tilt(q, NO_CORRECTION) is q
    out = correct_vendor_tilt(q, AccCorrection(np.array([0.1, 0.0, 0.0]), np.eye(3), 3, 90.0))
    assert out.dtype == np.float32
    nan = correct_vendor_tilt(np.full((2, 4), np.nan), AccCorrection(np.ones(3), np.eye(3), 3, 90))
    assert np.isnan(nan).all()


def test_the_note_says_whether_the_tilt_was_corrected():
    q = rot.normalize(np.random.default_rng(3).normal(size=(30, 4)))
    same, note = vendor_orientation("pelvis", q, AccCorrection(np.zeros(3), np.eye(3), 1, 0.0))
    assert same is q
    assert note.startswith("pelvis: orientation from the vendor's sensor fusion")
    assert "cannot estimate" in note
    assert "(1, 0° apart)" in note
    turned, note = vendor_orientation(
        "pelvis", q, AccCorrection(np.array([0.2, 0, 0]), np.eye(3), 3, 90)
    )
    assert "its tilt turned by" in note
    assert "(3 poses)" in note
    assert 0.0 < rot.angle_between(q, turned).max() < np.deg2rad(1.2)


def test_corrected_up_is_the_corrected_reading_of_gravity_length():
    u = rot.rotate(rot.conjugate(rot.normalize(np.random.default_rng(2).normal(size=(50, 4)))), UP)
    c = AccCorrection(np.array([0.3, -0.2, 0.1]), np.eye(3) * 1.01, 4, 90.0)
    v = corrected_up(u, c)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    # g·v = gain·(k·u − bias) for some k > 0: the raw reading g·gain⁻¹·v + bias lies along u
    raw = np.linalg.solve(c.gain, (GRAVITY_M_S2 * v).T).T + c.bias_m_s2
    np.testing.assert_allclose(np.cross(raw, u), 0.0, atol=1e-9)
    assert (np.sum(raw * u, axis=1) > 0).all()


def _chain(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hip and knee flexion (rad): stand, a slow bend, a hold with the thigh raised, stand,
    a second hold with the knee bent, stand again."""

    def step(t0: float, t1: float) -> np.ndarray:
        s = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        return 10 * s**3 - 15 * s**4 + 6 * s**5

    hip = np.deg2rad(60) * (step(5, 8) - step(18, 21)) + np.deg2rad(20) * (
        step(26, 28) - step(36, 38)
    )
    knee = np.deg2rad(20) * (step(5, 8) - step(18, 21)) + np.deg2rad(80) * (
        step(26, 28) - step(36, 38)
    )
    return hip, knee


def _dot_session(tmp_path: Path, seed: int, *, own_gravity: bool) -> tuple:
    """Two DOT files (right thigh, right shank) on the :func:`_chain`, each accelerometer off
    by 20 mg; the quaternion is the truth tilted to the accelerometer (``own_gravity``, as the
    DOT's fusion does) or the truth itself (a fusion that knows its offsets)."""
    rate = 60.0
    t = np.arange(int(44 * rate)) / rate
    hip, knee = _chain(t)
    q_e_g = rot.from_matrix(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    rng = np.random.default_rng(seed)
    segments = {"RFemur": hip, "RTibia": hip - knee}  # right thigh, right shank
    for k, (tag, angle) in enumerate(segments.items()):
        q_true = rot.multiply(
            rot.multiply(q_e_g, rot.from_axis_angle(UP, angle)), rot.normalize(rng.normal(size=4))
        )
        bias = rng.normal(size=3)
        bias *= 0.2 / np.linalg.norm(bias)  # 20 mg
        acc = rot.rotate(rot.conjugate(q_true), [0.0, 0.0, GRAVITY_M_S2]) + bias
        q_v = _own_gravity(q_true, acc) if own_gravity else q_true
        write_movella_dot(
            tmp_path / f"{tag}_20260101_000000_000.csv",
            t_s=t,
            quat=q_v,
            free_acc_m_s2=free_acc_from_specific_force(q_v, acc),
            tag=f"d{k}",
        )
    rec = read_vendor_session([tmp_path])
    rec = rec.replace(
        meta=dataclasses.replace(
            rec.meta, calibration=CalibrationWindows(static_s=(0.5, 4.5), functional_s=(5.0, 21.0))
        )
    )
    result = analyse_recording(rec)
    ti = np.searchsorted(t, result.angles["t_s"].to_numpy() - 1e-6)
    err = result.angles["right_knee_flexion_deg"].to_numpy() - np.rad2deg(knee[ti])
    held = (t[ti] > 28.5) & (t[ti] < 35.5)  # the knee bent to 80°, far from the stand
    return result, float(np.sqrt(np.nanmean(err[held] ** 2)))


@pytest.mark.parametrize("seed", [5, 11])
def test_dot_files_whose_fusion_carries_the_accelerometer_offset(tmp_path: Path, seed: int):
    """Each DOT's quaternion carries its accelerometer's offset (~1.1° at rest) as tilt. The
    still poses find the offsets; the knee then follows the truth (1.18° / 0.76° without)."""
    result, knee_rmse = _dot_session(tmp_path, seed, own_gravity=True)
    assert sum("its tilt turned by" in w for w in result.warnings) == 2
    assert sum("headings from the vendor's sensor fusion" in w for w in result.warnings) == 1
    assert knee_rmse < 0.3


def test_a_fusion_that_knows_its_offsets_is_left_alone(tmp_path: Path):
    """The same accelerometers under quaternions that are the truth: the vendor's gravity
    lies nearer the corrected accelerometer than the raw one, so nothing is turned."""
    result, knee_rmse = _dot_session(tmp_path, 5, own_gravity=False)
    assert sum("left as it is" in w for w in result.warnings) == 2
    assert knee_rmse < 0.3


def test_whether_the_vendor_follows_the_raw_accelerometer():
    rate = 50.0
    rng = np.random.default_rng(8)
    poses = rot.normalize(rng.normal(size=(4, 4)))
    q_true = np.repeat(poses, 100, axis=0)  # four still poses of 2 s
    corr = AccCorrection(np.array([0.15, -0.1, 0.2]), np.eye(3), 4, 120.0)
    true_acc = rot.rotate(rot.conjugate(q_true), [0.0, 0.0, GRAVITY_M_S2])
    own = _own_gravity(q_true, true_acc + corr.bias_m_s2)
    still = np.zeros((400, 3))
    assert follows_raw_accelerometer(own, true_acc, still, corr, rate_hz=rate) is True
    assert follows_raw_accelerometer(q_true, true_acc, still, corr, rate_hz=rate) is False
    turning = np.full((400, 3), 0.5)
    assert follows_raw_accelerometer(own, true_acc, turning, corr, rate_hz=rate) is None


def test_the_heading_note_needs_two_vendor_sensors():
    assert vendor_heading_note(["pelvis"]) is None
    note = vendor_heading_note(["pelvis", "left_thigh"])
    assert note is not None
    assert note.startswith("pelvis, left_thigh: headings from the vendor's sensor fusion")


def test_a_still_window_that_reads_no_gravity_is_an_error():
    """A zeroed accelerometer in one still window (its mean force 0: no direction) used to
    make the comparison NaN and the answer False (tilt left uncorrected, silently); now it is
    a one-line error naming the sensor and the window, whatever the other windows say."""
    rate = 50.0
    rng = np.random.default_rng(8)
    q_true = np.repeat(rot.normalize(rng.normal(size=(4, 4))), 100, axis=0)
    corr = AccCorrection(np.array([0.15, -0.1, 0.2]), np.eye(3), 4, 120.0)
    acc = rot.rotate(rot.conjugate(q_true), [0.0, 0.0, GRAVITY_M_S2])
    own = _own_gravity(q_true, acc + corr.bias_m_s2)
    still = np.zeros((400, 3))
    for corrected in (-corr.bias_m_s2, np.zeros(3)):  # the raw reading 0; the corrected one 0
        bad = acc.copy()
        bad[150:175] = corrected  # window 6 of 0.5 s: 3.0-3.5 s after the first row
        with pytest.raises(
            DataError,
            match=r"^left_shank: the accelerometer reads 0\.00 m/s² while the sensor is still "
            r"\(13\.00–13\.50 s, 1 such window of 0\.5 s; a zeroed or dead accelerometer\?\)",
        ):
            follows_raw_accelerometer(
                own, bad, still, corr, rate_hz=rate, label="left_shank", start_s=10.0
            )
    assert follows_raw_accelerometer(own, acc, still, corr, rate_hz=rate) is True
