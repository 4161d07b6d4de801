"""The flexion axis from a turn to lying, confirmed by gravity (`axis_bias.lying_turn_axis`).

Sensor frame = segment frame: y superior, z the flexion axis. The segment rocks upright about
an axis 25° off z (as a pelvis rocking sideways in sloppy knee bends), then lies down by a
quarter turn about z and gets up again.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.axis_bias import (
    LYING_AXIS_AGREE_DEG,
    LYING_AXIS_MAX_CHANGE_DEG,
    gyro_flexion_axis,
    lying_turn_axis,
)

RATE_HZ = 25.0
Y_S = np.array([0.0, 1.0, 0.0])
Z_S = np.array([0.0, 0.0, 1.0])


def _about_y(v: np.ndarray, deg: float) -> np.ndarray:
    """``v`` turned by ``deg`` about the superior axis y."""
    c, s = np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg))
    return np.array([c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]])


def _session() -> tuple[np.ndarray, np.ndarray]:
    """Rates (rad/s) and the vertical (sensor frame) per sample: rocking, then lying and back."""
    rock_axis = _about_y(Z_S, 25.0)
    rock = np.outer(0.6 * np.sign(np.sin(np.linspace(0, 12 * np.pi, 300))), rock_axis)
    rock_up = np.tile(Y_S, (300, 1))
    phi = np.deg2rad(
        np.concatenate([np.linspace(0, 90, 50), np.full(75, 90.0), np.linspace(90, 0, 50)])
    )
    rate = np.gradient(phi) * RATE_HZ
    turn = np.outer(rate, Z_S)
    turn_up = np.column_stack([np.sin(phi), np.cos(phi), np.zeros_like(phi)])
    return np.vstack([rock, turn]), np.vstack([rock_up, turn_up])


def test_the_whole_session_is_not_clean_enough_but_the_turn_to_lying_is() -> None:
    gyr, up = _session()
    own = _about_y(Z_S, 10.6)
    assert gyro_flexion_axis(gyr, up, own, rate_hz=RATE_HZ) is None
    axis = lying_turn_axis(gyr, up, (Y_S, own), Z_S, rate_hz=RATE_HZ)
    assert axis is not None
    assert np.rad2deg(np.arccos(min(1.0, float(axis @ Z_S)))) < 0.5  # sign of own, on z


def test_gravity_must_confirm_the_turn() -> None:
    gyr, up = _session()
    own = _about_y(Z_S, 10.6)
    rolled = _about_y(Z_S, 2 * LYING_AXIS_AGREE_DEG)  # lying rolled onto one side
    assert lying_turn_axis(gyr, up, (Y_S, own), rolled, rate_hz=RATE_HZ) is None
    assert lying_turn_axis(gyr, up, (Y_S, own), None, rate_hz=RATE_HZ) is None
    near = _about_y(Z_S, 0.5 * LYING_AXIS_AGREE_DEG)
    assert lying_turn_axis(gyr, up, (Y_S, own), -near, rate_hz=RATE_HZ) is not None  # sign free


@pytest.mark.parametrize("off_deg", [LYING_AXIS_MAX_CHANGE_DEG + 5.0, 60.0])
def test_a_turn_far_from_the_calibration_axis_is_another_axis(off_deg: float) -> None:
    gyr, up = _session()
    own = _about_y(Z_S, off_deg)
    assert lying_turn_axis(gyr, up, (Y_S, own), Z_S, rate_hz=RATE_HZ) is None


def test_upright_rocking_alone_gives_nothing() -> None:
    gyr, up = _session()
    assert lying_turn_axis(gyr[:300], up[:300], (Y_S, Z_S), Z_S, rate_hz=RATE_HZ) is None
