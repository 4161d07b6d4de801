"""A thigh axis the calibration left free is fixed by the knee's hinge over the session.

One sloppy knee bend (abduction and rotation in proportion to the flexion) leaves the
thigh's axis tilted and the knee fit degenerate in the calibration window. Later in the
session the person lifts the leg onto the support: the hip flexes far more than the knee
there, a second movement pattern through the same knee hinge, which pins the axis down.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import SESSION_KNEE, CalibrationResult, calibrate
from analysis.angles.calibration_axes import SensorAxes
from analysis.angles.calibration_windows import Windows
from analysis.angles.timebase import UniformSession
from tests.analysis.builders import strapped_stream
from tests.analysis.test_thigh_tilt_doubt import (
    RATE_HZ,
    SHANK_MOUNT,
    THIGH_MOUNT,
    Z,
    _bends,
    _off_deg,
)

BEND_N = int(8.0 * RATE_HZ)  # 4 s stand, one bend of 2 s, 2 s still
LIFT_S = 10.0


def _lift(hip_deg: float, knee_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """``q_G_thigh``, ``q_G_shank``: 3 s up, 2 s held, 3 s down, 2 s still (sagittal)."""
    t = np.arange(int(LIFT_S * RATE_HZ)) / RATE_HZ
    up = np.clip(t / 3.0, 0.0, 1.0) - np.clip((t - 5.0) / 3.0, 0.0, 1.0)
    shape = np.sin(0.5 * np.pi * up) ** 2
    q_thigh = rot.from_axis_angle(Z, np.deg2rad(hip_deg) * shape)
    q_shank = rot.multiply(q_thigh, rot.from_axis_angle(Z, -np.deg2rad(knee_deg) * shape))
    return q_thigh, q_shank


def _calibrate(seed: int, *, lift_hip_deg: float, lift_knee_deg: float) -> CalibrationResult:
    session, q_E_S = _session(seed, lift_hip_deg=lift_hip_deg, lift_knee_deg=lift_knee_deg)
    # the calibration movements are the bend only; the lift comes after them
    windows = Windows(static_s=(0.0, 3.8), functional_s=(3.9, 7.9), source="sidecar")
    return calibrate(session, q_E_S, windows=windows)


def _session(seed: int, *, lift_hip_deg: float, lift_knee_deg: float):
    bend_t, bend_s = _bends(BEND_N, 1, seed=seed)
    lift_t, lift_s = _lift(lift_hip_deg, lift_knee_deg)
    q_t, q_s = np.vstack([bend_t, lift_t]), np.vstack([bend_s, lift_s])
    streams, q_E_S = {}, {}
    for k, (label, q, mount) in enumerate(
        (("right_thigh", q_t, THIGH_MOUNT), ("right_shank", q_s, SHANK_MOUNT))
    ):
        streams[label], q_E_S[label] = strapped_stream(
            label, q, mount, heading_rad=0.7 * k + 0.2, seed=20 + k
        )
    t = np.arange(q_t.shape[0]) / RATE_HZ
    return UniformSession(t_s=t, rate_hz=RATE_HZ, streams=streams, gaps=()), q_E_S


@pytest.mark.parametrize(("seed", "knee_deg"), [(1, 20.0), (2, 20.0), (3, 0.0)])
def test_a_leg_lift_later_in_the_session_fixes_the_thigh_axis(seed, knee_deg):
    # a knee kept straight in the lift helps too: thigh and shank then turn as one about
    # the true flexion axis, which the bend's sloppy axes do not share
    cal = _calibrate(seed, lift_hip_deg=60.0, lift_knee_deg=knee_deg)
    thigh = cal.segments["right_thigh"]
    assert thigh.axis_source == SESSION_KNEE
    assert _off_deg(thigh) < 2.0
    assert thigh.tilt_doubt is None
    assert any("knee's hinge over the whole session" in n for n in cal.notes)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_session_still_after_the_bend_leaves_the_doubt(seed):
    # nothing moves after the calibration: the session has nothing new to say
    cal = _calibrate(seed, lift_hip_deg=0.0, lift_knee_deg=0.0)
    thigh = cal.segments["right_thigh"]
    assert thigh.axis_source == "movements"
    assert thigh.tilt_doubt is not None
    assert any("hip adduction and rotation are uncertain" in n for n in cal.notes)


def test_a_long_session_scanned_at_a_stride_finds_the_same_axis(monkeypatch):
    # 1,800 samples scanned as if a long session: every 3rd, the turn integrated at a third
    # of the rate (it must still pass the 20° the knee has to turn)
    import analysis.angles.calibration as calibration

    monkeypatch.setattr(calibration, "SESSION_KNEE_SCAN", 600)
    cal = _calibrate(1, lift_hip_deg=60.0, lift_knee_deg=20.0)
    thigh = cal.segments["right_thigh"]
    assert thigh.axis_source == SESSION_KNEE
    assert _off_deg(thigh) < 2.0


def test_the_stride_keeps_the_knee_s_turn_in_degrees(monkeypatch):
    import analysis.angles.calibration as calibration

    session, q_E_S = _session(2, lift_hip_deg=60.0, lift_knee_deg=20.0)
    axes = {
        p: SensorAxes(
            y_S=rot.rotate(rot.conjugate(mount), [0.0, 1.0, 0.0]),
            z_S=rot.rotate(rot.conjugate(mount), Z),
            planarity_ratio=1.0,
            axis_elevation_deg=0.0,
            rotation_deg=60.0,
            stand_gravity_m_s2=9.81,
            stand_gyro_rms_rad_s=0.0,
            stand_acc_std_m_s2=0.0,
        )
        for p, mount in (("right_thigh", THIGH_MOUNT), ("right_shank", SHANK_MOUNT))
    }
    pair, stand = ("right_thigh", "right_shank"), session.t_s < 3.8
    _, whole = calibration._session_knee_fit(session, pair, stand, axes, q_E_S)
    monkeypatch.setattr(calibration, "SESSION_KNEE_SCAN", 600)
    _, strided = calibration._session_knee_fit(session, pair, stand, axes, q_E_S)
    # one bend of 25° and a lift of 20°, each there and back: ~90° of knee turn
    assert 80.0 < whole < 100.0
    assert abs(strided - whole) < 0.05 * whole
