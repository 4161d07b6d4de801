"""The off-hinge measure of the stranger's soft tissue (bench.stranger.tissue_offaxis)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from bench.stranger.tissue_offaxis import isotropic_marks, off_hinge, truth_shares

KNEE_DEG = np.concatenate([np.linspace(0.0, 95.0, 200), np.linspace(95.0, 0.0, 200)])
THIGH = Rotation.from_rotvec([0.3, -1.1, 0.5])  # sensor axes in the thigh, any
SHANK = Rotation.from_rotvec([-0.7, 0.2, 1.4])


def _rel(thigh_turn: Rotation, shank_turn: Rotation) -> Rotation:
    """Thigh sensor → shank sensor: tissue turns in each segment, the knee about z."""
    knee = Rotation.from_rotvec(np.radians(KNEE_DEG)[:, None] * [0.0, 0.0, 1.0])
    return (thigh_turn * THIGH).inv() * knee * shank_turn * SHANK


def _turn(gain: float, axis: list[float]) -> Rotation:
    return Rotation.from_rotvec(gain * np.radians(KNEE_DEG)[:, None] * np.asarray(axis))


def test_a_rigid_hinge_has_no_drift_and_its_own_scale():
    m = off_hinge(_rel(_turn(0.0, [1, 0, 0]), _turn(0.0, [1, 0, 0])), KNEE_DEG)
    assert m["scale"] == pytest.approx(1.0, abs=1e-9)
    assert m["drift"] < 1e-9
    assert m["resid_deg"] < 1e-6


def test_a_turn_about_the_hinge_is_a_scale_no_drift_shows():
    m = off_hinge(_rel(_turn(0.0, [1, 0, 0]), _turn(0.03, [0, 0, 1])), KNEE_DEG)
    assert m["scale"] == pytest.approx(1.03, abs=1e-6)
    assert m["drift"] < 1e-9


def test_a_thigh_turn_off_the_hinge_drifts_by_half_its_share():
    m = off_hinge(_rel(_turn(0.03, [1, 0, 0]), _turn(0.0, [1, 0, 0])), KNEE_DEG)
    assert m["drift"] == pytest.approx(0.015, rel=0.2)
    assert m["scale"] == pytest.approx(1.0, abs=0.002)


def test_truth_shares_split_the_axes_at_the_hinge():
    on, off = truth_shares(0.02, np.array([0.0, 0.6, 0.8]), np.array([1.0, 0.0, 0.0]))
    assert on == pytest.approx(-0.016)
    assert off == pytest.approx(0.02 * np.hypot(0.6, 1.0))


def test_isotropic_marks_a_wide_mark_catches_all_and_marks_the_rest_too():
    wide = isotropic_marks(53.5, 100.0, n=20_000)
    assert wide["caught"] == pytest.approx(1.0)
    assert wide["marked_under"] > 0.95
    none = isotropic_marks(5.0, 3.0, n=20_000)  # a knee barely bent: no tissue reaches 2°
    assert none["over"] == 0.0
    assert none["marked_under"] == 0.0
