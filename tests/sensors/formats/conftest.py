"""Sessions to write in vendor formats, with exact signals and known orientations.

``make_session(rate_hz)`` runs the project's simulator (``standing_correct``, right thigh and
shank, perfect sensors, random mounting) when ``analysis.simulation`` is installed; on a tree
without it, a small kinematic stand-in (the same two sensors on a hip/knee flexion chain, pure
rotation, exact gyro/acc/quat) keeps the format tests running.

``make_session`` returns a :class:`Session`: the canonical sample table, calibration windows
and each sensor's true orientation ``q_E_S`` (needed to write quaternion formats).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from analysis.angles import rotations as rot
from analysis.recording.schema import GRAVITY_M_S2
from analysis.recording.streams import (
    CalibrationWindows,
    Recording,
    SensorStream,
    SessionMeta,
    samples_from_streams,
    streams_from_samples,
)

try:
    from analysis.simulation import ImuErrorModel, SimulationConfig, simulate
except ImportError:  # pragma: no cover - only on a tree without the simulator
    simulate = None  # type: ignore[assignment]

# ENU earth; subject facing north: G x (forward) = E y, G y (up) = E z, G z (right) = E x
Q_E_G = rot.from_matrix(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))


@dataclass(frozen=True)
class Session:
    """A recording to export: samples (canonical table), windows and true ``q_E_S``."""

    samples: pd.DataFrame
    calibration: CalibrationWindows
    q_E_S: Mapping[str, np.ndarray]
    source: str

    def recording(self) -> Recording:
        return Recording(
            streams=streams_from_samples(self.samples),
            meta=SessionMeta(calibration=self.calibration),
        )

    def stream(self, placement: str) -> SensorStream:
        return self.recording().stream(placement)


def _smooth_step(t: np.ndarray, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-jerk step 0 → 1 between t0 and t1, and its derivative (1/s)."""
    s = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return 10 * s**3 - 15 * s**4 + 6 * s**5, (30 * s**2 - 60 * s**3 + 30 * s**4) / (t1 - t0)


def _joint_angles(t: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Hip and knee flexion (rad) and rates: stand 0-4 s, 2 slow knee bends 4-14 s, hold."""
    hip = np.zeros_like(t)
    hip_d = np.zeros_like(t)
    knee = np.zeros_like(t)
    knee_d = np.zeros_like(t)
    for start in (4.0, 9.0):  # a bend down over 2.5 s and back up over 2.5 s
        up, up_d = _smooth_step(t, start, start + 2.5)
        down, down_d = _smooth_step(t, start + 2.5, start + 5.0)
        hip += np.deg2rad(40) * (up - down)
        hip_d += np.deg2rad(40) * (up_d - down_d)
        knee += np.deg2rad(70) * (up - down)
        knee_d += np.deg2rad(70) * (up_d - down_d)
    hold, hold_d = _smooth_step(t, 14.0, 16.0)
    hip += np.deg2rad(30) * hold
    hip_d += np.deg2rad(30) * hold_d
    knee += np.deg2rad(15) * hold
    knee_d += np.deg2rad(15) * hold_d
    return {"hip": (hip, hip_d), "knee": (knee, knee_d)}


def stand_in_session(rate_hz: float, *, duration_s: float = 22.0, seed: int = 7) -> Session:
    """Right thigh and shank sensors, arbitrarily mounted, on a hip/knee flexion chain.

    Pure rotation about the sensors' own origins (no linear acceleration), so
    ``acc = R_S_E · [0, 0, g]`` and ``gyr = R_S_B · ω_B`` are exact.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    ang = _joint_angles(t)
    hip, hip_d = ang["hip"]
    knee, knee_d = ang["knee"]
    z = np.array([0.0, 0.0, 1.0])
    q_B = {
        "right_thigh": (rot.multiply(Q_E_G, rot.from_axis_angle(z, hip)), hip_d),
        "right_shank": (
            rot.multiply(Q_E_G, rot.from_axis_angle(z, hip - knee)),
            hip_d - knee_d,
        ),
    }
    streams = {}
    q_E_S = {}
    for label, (q_E_B, rate_z) in q_B.items():
        q_B_S = rot.normalize(rng.normal(size=4))  # sensor strapped on at random
        q_S_B = rot.conjugate(q_B_S)
        q = rot.multiply(q_E_B, q_B_S)
        q = np.where(q[:, :1] < 0, -q, q)
        gyr = rot.rotate(q_S_B, np.outer(rate_z, z))
        acc = rot.rotate(rot.conjugate(q), np.array([0.0, 0.0, GRAVITY_M_S2]))
        streams[label] = SensorStream(
            placement=label, t_s=t.copy(), acc_m_s2=acc, gyr_rad_s=gyr, quat=None
        )
        q_E_S[label] = q
    windows = CalibrationWindows(static_s=(0.5, 3.5), functional_s=(4.0, 14.0))
    return Session(samples_from_streams(streams), windows, q_E_S, "stand-in chain")


def simulated_session(rate_hz: float) -> Session:
    """The simulator's ``standing_correct`` session: right thigh and shank, perfect sensors."""
    config = SimulationConfig(
        rate_hz=rate_hz,
        sensors=("right_thigh", "right_shank"),
        errors=ImuErrorModel.perfect(),
        seed=3,
    )
    sim = simulate("standing_correct", config=config)
    assert sim.meta.calibration is not None
    q = {p: np.asarray(truth.q_E_S) for p, truth in sim.sensor_truth.items()}
    return Session(sim.samples, sim.meta.calibration, q, "simulator: standing_correct")


@pytest.fixture
def make_session() -> Callable[[float], Session]:
    """``make_session(rate_hz)`` → :class:`Session` (see module docstring)."""
    return stand_in_session if simulate is None else simulated_session


@pytest.fixture
def angle_diff() -> Callable[[Recording, Recording], dict[str, float]]:
    """:func:`angle_differences_deg` as a fixture (test modules cannot import conftest)."""
    return angle_differences_deg


@pytest.fixture
def replace_meta() -> Callable[..., Recording]:
    """:func:`with_meta` as a fixture."""
    return with_meta


def with_meta(rec: Recording, **changes: object) -> Recording:
    """A copy of ``rec`` with sidecar fields replaced."""
    return rec.replace(meta=dataclasses.replace(rec.meta, **changes))


def angle_differences_deg(reference: Recording, other: Recording) -> dict[str, float]:
    """Largest |difference| per angle column between the pipeline's angles of two recordings.

    Both are analysed with ``analysis.angles.pipeline.analyse_recording``; rows are matched on
    ``t_s`` (to 1 ms). A column missing from ``other`` gives ``inf``.
    """
    from analysis.angles.pipeline import analyse_recording

    a = analyse_recording(reference).angles
    b = analyse_recording(other).angles
    merged = pd.merge(
        a.assign(key=np.round(a["t_s"] * 1000).astype(np.int64)),
        b.assign(key=np.round(b["t_s"] * 1000).astype(np.int64)),
        on="key",
        suffixes=("", "_other"),
    )
    out = {}
    for col in a.columns:
        if col == "t_s":
            continue
        if f"{col}_other" not in merged:
            out[col] = float("inf")
            continue
        diff = np.abs(merged[col] - merged[f"{col}_other"]).to_numpy()
        out[col] = float(np.nanmax(diff)) if np.isfinite(diff).any() else float("inf")
    assert len(merged) > 0.9 * min(len(a), len(b)), "the two time bases hardly overlap"
    return out
