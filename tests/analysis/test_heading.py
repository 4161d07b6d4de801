"""Heading reconciliation: moving sums, wrapping, hinge tracking and stand anchors."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.chunks import CHUNK_ROWS
from analysis.angles.heading import (
    _moving_sum,
    anchor_offsets,
    axis_azimuth,
    axis_azimuth_float32,
    hinge_heading,
    turn_about_vertical,
    wrap_rad,
)


def _reference_moving_sum(x, n):
    c = np.concatenate([[0.0], np.cumsum(x)])
    k = np.arange(x.shape[0])
    lo = np.clip(k - n // 2, 0, x.shape[0])
    hi = np.clip(k - n // 2 + n, 0, x.shape[0])
    return c[hi] - c[lo]


@pytest.mark.parametrize(("size", "n"), [(100, 1), (100, 8), (100, 150), (5, 3), (1, 1), (10, 11)])
def test_moving_sum_is_the_clipped_centred_window(rng, size, n):
    x = rng.normal(size=size)
    assert np.allclose(_moving_sum(x, n), _reference_moving_sum(x, n))


def test_wrap_is_half_open_and_periodic():
    x = np.linspace(-20, 20, 4001)
    w = wrap_rad(x)
    assert np.all((w > -np.pi) & (w <= np.pi))
    assert np.allclose(np.cos(w), np.cos(x))
    assert np.allclose(np.sin(w), np.sin(x))
    assert wrap_rad(-np.pi) == pytest.approx(np.pi)


def _hinge_pair(rng, n=6000, rate=100.0, drift_deg_per_s=0.05):
    """Thigh and shank of a hinge knee; the shank's earth frame drifts in heading."""
    t = np.arange(n) / rate
    thigh = rot.from_euler_zxy(
        np.column_stack(
            [np.deg2rad(30 * np.sin(0.5 * t)), np.zeros(n), np.deg2rad(10 * np.sin(0.1 * t))]
        )
    )
    knee = np.deg2rad(40 + 30 * np.sin(1.3 * t))
    shank = rot.multiply(thigh, rot.from_axis_angle([0, 0, 1], -knee))
    drift = np.deg2rad(drift_deg_per_s) * t + np.deg2rad(7.0)
    return t, thigh, turn_about_vertical(shank, -drift), drift


def test_hinge_heading_recovers_the_drift(rng):
    _, thigh, shank, drift = _hinge_pair(rng)
    delta = hinge_heading(thigh, shank, rate_hz=100.0, window_s=5.0)
    core = slice(500, -500)
    assert np.max(np.abs(wrap_rad(delta[core] - drift[core]))) < np.deg2rad(0.3)
    fixed = turn_about_vertical(shank, delta)
    knee = rot.joint_angles_rad(thigh, fixed, joint="knee", side="right")
    assert np.allclose(np.rad2deg(knee["internal_rotation"][core]), 0.0, atol=0.5)


def test_anchor_offsets_interpolate_between_neutral_stands():
    t = np.arange(0, 100, 0.1)
    pelvis = np.tile(rot.conjugate(Q_G_E), (t.size, 1))  # standing: z axis horizontal
    drift = np.deg2rad(0.2) * t  # thigh heading drifts 0.2 °/s
    thigh = turn_about_vertical(pelvis, -drift)
    anchors = (t < 5) | ((t > 50) & (t < 55)) | (t > 95)
    delta = anchor_offsets(pelvis, thigh, anchors, t_s=t)
    # measured at each anchor's middle (2.5, 52.5, 97.5 s), linear in between (the drift here
    # is linear, so exact there), held before the first and after the last
    inside = (t >= 2.5) & (t <= 97.5)
    assert np.allclose(delta[inside], drift[inside], atol=np.deg2rad(0.05))
    assert np.allclose(delta[t < 2.5], np.deg2rad(0.2 * 2.45), atol=np.deg2rad(0.05))
    assert np.allclose(delta[t > 97.5], np.deg2rad(0.2 * 97.45), atol=np.deg2rad(0.05))
    assert np.all(anchor_offsets(pelvis, thigh, np.zeros(t.size, bool), t_s=t) == 0)


def test_the_float32_azimuths_are_the_float64_ones_narrowed(rng):
    # over more than one chunk of rows, and on float32 storage as a long session keeps it
    q = rot.normalize(rng.normal(size=(CHUNK_ROWS + 1000, 4))).astype(np.float32)
    az, horiz = axis_azimuth_float32(q)
    az64, horiz64 = axis_azimuth(q)
    assert az.dtype == horiz.dtype == np.float32
    assert az.flags.c_contiguous
    assert horiz.flags.c_contiguous
    assert np.array_equal(az, az64.astype(np.float32))
    assert np.array_equal(horiz, horiz64.astype(np.float32))
