"""The bound a filter's heading turn puts on lumbar and neck flexion (angles.spine_turn)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.spine_turn import (
    lean_from_vertical_deg,
    lean_turn_bound_deg,
    spine_turn_doubts,
    turn_since_rad,
)


def test_lean_from_vertical_reads_upright_leaning_and_lying() -> None:
    z = np.array([1.0, np.cos(np.radians(30.0)), 0.0, np.nan])
    lean = lean_from_vertical_deg(z)
    assert lean[:3] == pytest.approx([0.0, 30.0, 90.0], abs=1e-9)
    assert np.isnan(lean[3])


def test_lean_turn_bound_is_the_chord_of_the_turned_lean() -> None:
    # a 20° lean turned 60° about the vertical moves its direction by a 20° chord (equilateral)
    assert lean_turn_bound_deg(np.array([20.0]), np.array([np.radians(60.0)]))[0] == pytest.approx(
        20.0
    )
    # turned half way round, a lean reads as the same lean the other way: twice the lean
    assert lean_turn_bound_deg(np.array([17.0]), np.array([np.pi]))[0] == pytest.approx(34.0)
    # upright, or not turned, or no reading: nothing
    out = lean_turn_bound_deg(np.array([0.0, 15.0, np.nan]), np.array([2.0, 0.0, 1.0]))
    assert out == pytest.approx([0.0, 0.0, 0.0])


def test_lean_turn_bound_covers_the_flexion_a_turned_trunk_reads() -> None:
    """The bound covers the flexion error of a trunk leaned λ whose heading is turned ψ."""
    for lean_deg in (5.0, 17.0, 40.0):
        for psi_deg in (10.0, 90.0, 168.0):
            tilt = rot.from_axis_angle([0.0, 0.0, 1.0], np.radians(lean_deg))  # lean about z
            turned = rot.multiply(rot.from_axis_angle([0.0, 1.0, 0.0], np.radians(psi_deg)), tilt)
            # the leaned trunk's superior axis (y), seen with a heading turned about earth y-up
            y_true = rot.frame_axis(tilt, 1)
            y_read = rot.frame_axis(turned, 1)
            # flexion read in the sagittal (x-y) plane: the angle of the axis's x part
            flex_true = np.degrees(np.arctan2(-y_true[0], y_true[1]))
            flex_read = np.degrees(np.arctan2(-y_read[0], y_read[1]))
            bound = lean_turn_bound_deg(np.array([lean_deg]), np.array([np.radians(psi_deg)]))
            assert abs(flex_read - flex_true) <= bound[0] + 1e-6


def test_turn_since_counts_only_after_the_stand() -> None:
    t = np.arange(0.0, 10.0, 1.0)
    turn = 0.1 * t
    out = turn_since_rad(turn, t, 3.5)
    assert out[:4] == pytest.approx(0.0)
    assert out[4] == pytest.approx(0.1)  # 0.4 - 0.3 (the last sample at or before 3.5 s)
    assert out[-1] == pytest.approx(0.6)


def test_spine_turn_doubts_mark_a_turned_lean_and_leave_an_upright_one() -> None:
    t = np.arange(0.0, 100.0, 0.5)
    lean = np.where(t > 50.0, 17.0, 0.0)
    psi = np.radians(1.4) * t  # 1.4 °/s, seed 3010's trunk
    timed, mark = spine_turn_doubts(
        t, lean_turn_bound_deg(lean, psi), "lumbar_flexion", "trunk", "pelvis"
    )
    assert timed is not None
    assert mark is not None
    assert np.all(np.asarray(timed.bound_deg)[t <= 50.0] == 0.0)
    assert np.max(timed.bound_deg) > 4.0
    assert mark.trace_only
    assert mark.precision_deg is not None
    assert mark.precision_deg > 4.0
    assert "trunk" in mark.reason
    assert "approximate" in mark.reason
    # upright throughout: however far the heading turned, nothing is doubted
    timed, mark = spine_turn_doubts(
        t, lean_turn_bound_deg(np.zeros_like(t), psi), "neck_flexion", "head", "trunk"
    )
    assert timed is None
    assert mark is None


def test_spine_turn_doubts_time_a_short_excess_without_a_session_mark() -> None:
    t = np.arange(0.0, 100.0, 1.0)
    bound = np.where((t > 40.0) & (t < 45.0), 6.0, 1.0)
    timed, mark = spine_turn_doubts(t, bound, "neck_flexion", "head", "trunk")
    assert timed is not None
    assert np.count_nonzero(np.asarray(timed.bound_deg)) == 4
    assert mark is None  # RMS over the session ≈ 1.7° < 4°
