"""A tremor does not hide a still pose from the accelerometer fit; a change of pose stays one."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.accbias import still_pose_means
from analysis.angles.tremor_poses import tremor_still_windows
from analysis.recording.schema import GRAVITY_M_S2

RATE_HZ = 100.0
RADIUS_M = 0.3  # sensor below the joint the tremor turns (a shank's sensor below the knee)
LIMITS = {"max_gyro_rad_s": 0.05, "max_acc_sd_m_s2": 0.1}


def _sensor(
    t_s: np.ndarray, pose_rad: np.ndarray, tremor_deg: float, tremor_hz: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Specific force (m/s²) and rate (rad/s) of a sensor whose segment turns about its z by
    ``pose_rad`` plus a sine tremor, with the tremor's tangential acceleration and noise."""
    w = 2 * np.pi * tremor_hz
    amp = np.radians(tremor_deg)
    angle = pose_rad + amp * np.sin(w * t_s)
    rate = np.gradient(pose_rad, t_s) + amp * w * np.cos(w * t_s)
    tangential = RADIUS_M * (
        np.gradient(np.gradient(pose_rad, t_s), t_s) - amp * w * w * np.sin(w * t_s)
    )
    acc = np.column_stack(
        [
            GRAVITY_M_S2 * np.sin(angle) + tangential,
            GRAVITY_M_S2 * np.cos(angle),
            np.zeros_like(t_s),
        ]
    )
    gyr = np.column_stack([np.zeros_like(t_s), np.zeros_like(t_s), rate])
    rng = np.random.default_rng(seed)
    return acc + rng.normal(0.0, 0.02, acc.shape), gyr + rng.normal(0.0, 0.002, gyr.shape)


def _windows(acc: np.ndarray, gyr: np.ndarray) -> np.ndarray:
    return tremor_still_windows(acc, gyr, n=round(0.5 * RATE_HZ), rate_hz=RATE_HZ, **LIMITS)


@pytest.mark.parametrize(("deg", "hz"), [(0.12, 7.0), (0.13, 4.9), (0.3, 5.9)])
def test_a_held_pose_with_a_tremor_is_still(deg: float, hz: float) -> None:
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    acc, gyr = _sensor(t, np.full_like(t, np.radians(80.0)), deg, hz)
    assert still_pose_means(acc, gyr, rate_hz=RATE_HZ, window_s=0.5).shape[0] == 0
    found = _windows(acc, gyr)
    assert found[1:-1].all()
    means = still_pose_means(acc, gyr, rate_hz=RATE_HZ, window_s=0.5, tremor=True)
    assert means.shape[0] >= found.size - 2
    tilt_deg = np.degrees(np.arctan2(means[:, 0], means[:, 1]))
    assert np.abs(tilt_deg - 80.0).max() < 0.3


def test_a_slow_swing_with_a_tremor_is_movement() -> None:
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    swing = np.radians(5.0) * np.sin(2 * np.pi * 0.5 * t)
    acc, gyr = _sensor(t, swing, 0.12, 7.0)
    assert not _windows(acc, gyr).any()
    assert still_pose_means(acc, gyr, rate_hz=RATE_HZ, window_s=0.5, tremor=True).shape[0] == 0


def test_a_steady_slow_turn_is_movement() -> None:
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    acc, gyr = _sensor(t, 0.08 * t, 0.12, 7.0)
    assert not _windows(acc, gyr).any()


def test_no_tremor_leaves_the_test_as_it_was() -> None:
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    acc, gyr = _sensor(t, np.zeros_like(t), 0.0, 7.0)
    assert not _windows(acc, gyr).any()  # nothing for the tremor band to see
    plain = still_pose_means(acc, gyr, rate_hz=RATE_HZ, window_s=0.5)
    with_tremor = still_pose_means(acc, gyr, rate_hz=RATE_HZ, window_s=0.5, tremor=True)
    np.testing.assert_array_equal(plain, with_tremor)


def test_a_gap_is_never_still() -> None:
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    acc, gyr = _sensor(t, np.zeros_like(t), 0.12, 7.0)
    acc[500:560] = np.nan
    found = _windows(acc, gyr)
    assert not found[10]
    assert not found[11]
    assert found[2:8].all()


def test_groups_give_the_same_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    t = np.arange(0.0, 30.0, 1.0 / RATE_HZ)
    pose = np.where(t < 15.0, 0.0, np.radians(60.0))
    acc, gyr = _sensor(t, pose, 0.2, 5.5)
    whole = _windows(acc, gyr)
    monkeypatch.setattr("analysis.angles.tremor_poses.GROUP_WINDOWS", 7)
    np.testing.assert_array_equal(whole, _windows(acc, gyr))
