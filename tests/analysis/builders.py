"""Plain builders shared by the analysis tests (importable, unlike conftest fixtures)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E, CalibrationResult, calibrate
from analysis.angles.calibration_axes import SensorAxes
from analysis.angles.calibration_signs import Tilts
from analysis.angles.calibration_windows import Windows
from analysis.angles.heading import turn_about_vertical
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.envelope.monitor import MonitorState
from analysis.envelope.pauses import engagement_speed
from analysis.envelope.results import Episode, NearLatchRun
from analysis.recording.schema import GRAVITY_M_S2

UP = np.array([0.0, 0.0, 1.0])


def sensor_axes(
    z_S: Any,
    y_S: Any = UP,
    *,
    rotation_deg: float,
    planarity: float,
    **fields: Any,
) -> SensorAxes:
    """A :class:`SensorAxes` with flexion axis ``z_S`` and superior axis ``y_S`` (sensor
    frame); an ideal quiet stand (gravity 9.80665 m/s², no rate, no acceleration spread) and
    a level axis unless ``fields`` say otherwise."""
    base: dict[str, Any] = {
        "axis_elevation_deg": 0.0,
        "stand_gravity_m_s2": GRAVITY_M_S2,
        "stand_gyro_rms_rad_s": 0.0,
        "stand_acc_std_m_s2": 0.0,
    }
    return SensorAxes(
        y_S=np.asarray(y_S, dtype=float),
        z_S=np.asarray(z_S, dtype=float),
        planarity_ratio=planarity,
        rotation_deg=rotation_deg,
        **{**base, **fields},
    )


def feed_live(
    live: Any, streams: dict[str, Any], pos: dict[str, int], now_s: float, *, side: str = "right"
) -> None:
    """Push every stream's samples up to ``now_s`` (s) not yet pushed into ``live``.

    ``pos`` holds each stream's next sample index and is advanced; ``side`` is
    ``numpy.searchsorted``'s: "right" includes a sample at exactly ``now_s``.
    """
    for p, s in streams.items():
        j = int(np.searchsorted(s.t_s, now_s, side=side))
        if j > pos[p]:
            live.push(p, s.t_s[pos[p] : j], s.acc_m_s2[pos[p] : j], s.gyr_rad_s[pos[p] : j])
            pos[p] = j


def run_live(
    live: Any,
    streams: dict[str, Any],
    calibration: Any,
    *,
    until_s: float = np.inf,
    tick_s: float,
    each_step: Callable[[Any], None] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Feed ``live`` the streams in ``tick_s`` steps up to ``until_s`` (s); its angles joined.

    ``live.calibrate(calibration)`` is called at the first step from the end of the
    functional window + 0.5 s; ``each_step`` sees every step's non-empty output. Returns
    times (s) and columns.
    """
    end = min(until_s, max(float(s.t_s[-1]) for s in streams.values()))
    cal_at = calibration.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    parts = []
    for now in np.union1d(np.arange(0.0, end, tick_s), [cal_at, end]):
        feed_live(live, streams, pos, now)
        out = live.step()
        if out is not None and out.columns:
            parts.append(out)
            if each_step is not None:
                each_step(out)
        if not live.calibrated and now >= cal_at:
            live.calibrate(calibration)
    t = np.concatenate([o.t_s for o in parts])
    return t, {c: np.concatenate([o.columns[c] for o in parts]) for c in parts[0].columns}


def with_gyro_bias(stream: Any, up_S: np.ndarray, after_s: float, bias_deg_s: float) -> Any:
    """``stream`` with a gyroscope bias of ``bias_deg_s`` (deg/s) about ``up_S`` (sensor frame,
    any length) added after ``after_s`` (s): a heading drift a tilt cannot see."""
    gyr = stream.gyr_rad_s.copy()
    gyr[stream.t_s > after_s] += np.deg2rad(bias_deg_s) * up_S / np.linalg.norm(up_S)
    return dataclasses.replace(stream, gyr_rad_s=gyr)


def rmse_to_truth(truth: Any, t_s: np.ndarray, values: np.ndarray, column: str, rows: Any) -> float:
    """RMSE (deg) of ``values`` at ``rows`` against the truth's ``column`` at ``t_s``; every
    value must be finite."""
    err = values[rows] - np.interp(t_s[rows], truth["t_s"], truth[column])
    assert np.isfinite(err).all()
    return float(np.sqrt(np.mean(err**2)))


def min_jerk_step(t: np.ndarray, start_s: float, end_s: float, height: float) -> np.ndarray:
    """Minimum-jerk transition from 0 to ``height`` over ``[start_s, end_s]`` (``t`` in s)."""
    s = np.clip((t - start_s) / (end_s - start_s), 0.0, 1.0)
    return height * (10 * s**3 - 15 * s**4 + 6 * s**5)


STRETCH_POSE_DEG: dict[str, float] = {
    "right_hip_flexion_deg": 70.0,
    "right_hip_adduction_deg": 0.0,
    "right_hip_internal_rotation_deg": 2.0,
    "right_knee_flexion_deg": 18.0,
    "right_ankle_dorsiflexion_deg": -15.0,
    "pelvis_anterior_tilt_deg": 12.0,
}
"""A correct standing stretch's pose (deg) for :func:`held_stretch`, right leg."""


def held_stretch(
    pose_deg: Mapping[str, float] = STRETCH_POSE_DEG,
    dips_deg: Mapping[str, tuple[float, float, float]] | None = None,
) -> pd.DataFrame:
    """A standing stretch at 100 Hz over 0–80 s: each column of ``pose_deg`` moves from 0 to
    its angle (deg) over 10–12 s and back over 60–62 s (minimum jerk), so held 12→60 s.

    ``dips_deg`` maps a column to ``(start_s, end_s, by_deg)``: that angle lowered by
    ``by_deg`` over ``start_s``→``start_s`` + 0.5 s and raised back over ``end_s``→``end_s``
    + 0.5 s.
    """
    t = np.arange(0.0, 80.0, 0.01)
    columns: dict[str, np.ndarray] = {"t_s": t}
    for name, value in pose_deg.items():
        angle = min_jerk_step(t, 10.0, 12.0, value) - min_jerk_step(t, 60.0, 62.0, value)
        if dips_deg and name in dips_deg:
            start_s, end_s, by_deg = dips_deg[name]
            angle = (
                angle
                - min_jerk_step(t, start_s, start_s + 0.5, by_deg)
                + min_jerk_step(t, end_s, end_s + 0.5, by_deg)
            )
        columns[name] = angle
    return pd.DataFrame(columns)


def knee_dip_session(knee_in_dip_deg: float) -> pd.DataFrame:
    """:func:`held_stretch` whose knee (18°) reads ``knee_in_dip_deg`` over 30→36 s."""
    knee = "right_knee_flexion_deg"
    return held_stretch(dips_deg={knee: (30.0, 36.0, STRETCH_POSE_DEG[knee] - knee_in_dip_deg)})


def episode(
    rule: str,
    start_s: float,
    end_s: float,
    *,
    peak_deg: float = 3.0,
    peak_t_s: float | None = None,
    advisory: bool = False,
) -> Episode:
    """A clear :class:`Episode` of ``rule`` over ``[start_s, end_s)`` (s) with no cue, its peak
    ``peak_deg`` at ``peak_t_s`` (its start unless given)."""
    return Episode(
        rule=rule,
        start_s=start_s,
        end_s=end_s,
        peak_deg=peak_deg,
        peak_t_s=start_s if peak_t_s is None else peak_t_s,
        cue="",
        severity="clear",
        advisory=advisory,
    )


def near_latch_run(
    start_s: float, end_s: float, *, rule: str = "knee_flexion", closest_deg: float = 8.66
) -> NearLatchRun:
    """A :class:`NearLatchRun` of ``rule`` over ``[start_s, end_s)`` (s) on the standing knee
    rule's numbers: limit 10°, latch point 8.5°, measuring error 2°, closest ``closest_deg``."""
    return NearLatchRun(
        rule=rule,
        start_s=start_s,
        end_s=end_s,
        closest_deg=closest_deg,
        limit_deg=10.0,
        latch_deg=8.5,
        precision_deg=2.0,
    )


def monitor_state(**fields: Any) -> MonitorState:
    """A live :class:`MonitorState` at 50 s: engaged, inside, no rules, no hold in progress
    (target 30 s), no new cues, unless ``fields`` say otherwise."""
    base: dict[str, Any] = {
        "t_s": 50.0,
        "engaged": True,
        "outside": False,
        "rules": (),
        "hold_s": 0.0,
        "hold_target_s": 30.0,
        "new_cues": (),
    }
    return MonitorState(**{**base, **fields})


LEAN_START_S, LEAN_END_S = 7.0, 9.0
"""When :func:`leaning_hold` leans into the stretch (s)."""


def leaning_hold(lean_deg: float, hip: str = "right_hip_flexion_deg") -> pd.DataFrame:
    """A 60-s standing stretch at 100 Hz: the leg placed 5–7 s (hip 0 → 50°), a lean of
    ``lean_deg`` 7–9 s, the leg lowered 45–47 s; knee 20°, ankle −10° throughout."""
    t = np.arange(0.0, 60.0, 0.01)
    angle = (
        min_jerk_step(t, 5.0, LEAN_START_S, 50.0)
        + min_jerk_step(t, LEAN_START_S, LEAN_END_S, lean_deg)
        + min_jerk_step(t, 45.0, 47.0, -50.0 - lean_deg)
    )
    return pd.DataFrame(
        {
            "t_s": t,
            hip: angle,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )


def lean_peak_deg_s(angles: pd.DataFrame, spec: Any, hip: str = "right_hip_flexion_deg") -> float:
    """The peak engagement speed (°/s) of :func:`leaning_hold`'s lean, as the hold reads it."""
    t = angles["t_s"].to_numpy()
    speed = engagement_speed(angles[hip].to_numpy(), t, spec)
    return float(speed[(t > LEAN_START_S + 0.6) & (t < LEAN_END_S)].max())


Q_E_G = rot.from_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]))
"""The tests' earth frame (z up) from the body's global frame (y up), for legs built y-up."""


def strapped_stream(
    label: str,
    q_G_B: np.ndarray,
    q_B_S: np.ndarray,
    *,
    heading_rad: float,
    seed: int,
    rate_hz: float = 100.0,
    acc_bias_S: np.ndarray | None = None,
) -> tuple[UniformStream, np.ndarray]:
    """A sensor strapped as ``q_B_S`` on a segment moving as ``q_G_B``: its stream and its
    orientation ``q_E_S`` in its own earth frame (turned by ``heading_rad`` about vertical).

    Body rate from successive orientations, ``ω_S = 2·vec(q_k* ⊗ q_k+1)·rate_hz`` (rad/s),
    plus 0.002 rad/s of white noise; specific force ``R_SE·(0, 0, g)`` plus ``acc_bias_S``
    (m/s², sensor frame) and 0.02 m/s² of white noise; every sample valid.
    """
    rng = np.random.default_rng(seed)
    q_E_S = rot.turn_about_z(rot.multiply(Q_E_G, rot.multiply(q_G_B, q_B_S)), heading_rad)
    d = rot.multiply(rot.conjugate(q_E_S[:-1]), q_E_S[1:])
    d = d * np.sign(d[:, :1])
    gyr = 2.0 * d[:, 1:] * rate_hz
    gyr = np.vstack([gyr, gyr[-1:]]) + rng.normal(0.0, 0.002, (q_E_S.shape[0], 3))
    acc = rot.rotate(rot.conjugate(q_E_S), [0.0, 0.0, GRAVITY_M_S2])
    if acc_bias_S is not None:
        acc = acc + acc_bias_S
    acc = acc + rng.normal(0.0, 0.02, acc.shape)
    valid = np.ones(q_E_S.shape[0], dtype=bool)
    return UniformStream(placement=label, acc_m_s2=acc, gyr_rad_s=gyr, valid=valid), q_E_S


def calibrated_knee(
    q_thigh: np.ndarray,
    q_shank: np.ndarray,
    mounts: tuple[np.ndarray, np.ndarray],
    *,
    bias_deg: float,
    rate_hz: float = 100.0,
    vendor_fused: frozenset[str] = frozenset(),
) -> tuple[CalibrationResult, np.ndarray]:
    """The calibration of a right thigh and shank moving as ``q_thigh`` / ``q_shank``.

    Strapped as ``mounts`` (``q_B_S`` of thigh and shank, :func:`strapped_stream`); the
    thigh's accelerometer is biased along its flexion axis by ``g·sin(bias_deg)``. Quiet
    stand 0–3.8 s, movements from 4 s to the end. ``vendor_fused``: the sensors the
    calibration is told carry rates derived from their maker's orientation. Returns the
    calibration and the thigh's true z in sensor coordinates.
    """
    mount_thigh, mount_shank = mounts
    z_S = rot.rotate(rot.conjugate(mount_thigh), [0.0, 0.0, 1.0])
    bias_S = GRAVITY_M_S2 * np.sin(np.deg2rad(bias_deg)) * z_S
    thigh, q_E_t = strapped_stream(
        "right_thigh", q_thigh, mount_thigh, heading_rad=0.3, seed=1, acc_bias_S=bias_S
    )
    shank, q_E_s = strapped_stream(
        "right_shank", q_shank, mount_shank, heading_rad=0.6, seed=2, acc_bias_S=np.zeros(3)
    )
    t = np.arange(q_thigh.shape[0]) / rate_hz
    session = UniformSession(
        t_s=t, rate_hz=rate_hz, streams={"right_thigh": thigh, "right_shank": shank}, gaps=()
    )
    windows = Windows(static_s=(0.0, 3.8), functional_s=(4.0, t[-1]), source="sidecar")
    q_E_S = {"right_thigh": q_E_t, "right_shank": q_E_s}
    return calibrate(session, q_E_S, windows=windows, vendor_fused=vendor_fused), z_S


def sagittal_tilts(move_deg: Any, session_deg: Any) -> Tilts:
    """A sign candidate's tilts (deg in, rad kept) over the window and the session, every
    session sample counted as sagittal."""
    session_rad = np.deg2rad(np.asarray(session_deg, dtype=float))
    return Tilts(
        move=np.deg2rad(np.asarray(move_deg, dtype=float)),
        session=session_rad,
        sagittal=np.ones(session_rad.size, bool),
    )


POSTURE_RATE_HZ = 100.0
"""The sample rate (Hz) of :func:`posture_rows`."""

_POSTURE_Q_E_G = rot.conjugate(Q_G_E)
_Z = [0.0, 0.0, 1.0]


def posture_pose(pelvis_tilt_deg: float, hip_deg: float, twist_deg: float = 0.0, n: int = 1):
    """Pelvis and thigh ``q_E_B`` (rows): the pelvis rotated about its z by ``pelvis_tilt_deg``
    (−90 lies on the back), the thigh flexed ``hip_deg`` from it and rotated ``twist_deg``
    about its own long axis (internal rotation)."""
    pelvis = rot.multiply(_POSTURE_Q_E_G, rot.from_axis_angle(_Z, np.deg2rad(pelvis_tilt_deg)))
    thigh = rot.multiply(
        rot.multiply(pelvis, rot.from_axis_angle(_Z, np.deg2rad(hip_deg))),
        rot.from_axis_angle([0.0, 1.0, 0.0], np.deg2rad(twist_deg)),
    )
    return np.tile(pelvis, (n, 1)), np.tile(thigh, (n, 1))


def posture_rows(parts):
    """Concatenate ``(seconds, pelvis_tilt, hip, twist[, knee])`` parts into pelvis, thigh and
    shank rows at :data:`POSTURE_RATE_HZ` (knee flexion 0 unless given)."""
    ps, ts, ss = [], [], []
    for seconds, tilt, hip, twist, *knee in parts:
        p, t = posture_pose(tilt, hip, twist, round(seconds * POSTURE_RATE_HZ))
        ps.append(p)
        ts.append(t)
        ss.append(rot.multiply(t, rot.from_axis_angle(_Z, -np.deg2rad(knee[0] if knee else 0))))
    return np.concatenate(ps), np.concatenate(ts), np.concatenate(ss)


def lying_and_raising(
    calibration_of: Callable[..., CalibrationResult], axis_error_deg: float
) -> tuple[np.ndarray, dict[str, np.ndarray], CalibrationResult, dict[str, Any]]:
    """Stand 3 s, lie down, lie flat 10 s, raise the right leg 70° for 10 s, lie flat 5 s.

    Returns the time (s), the pelvis's and right thigh's sensor orientations ``q_E_S``
    (strapped at random, each earth frame with its own heading), a calibration that found
    the thigh's flexion axis ``axis_error_deg`` off about its long axis, and the steps of
    ``segment_orientations`` (``rate_hz``, ``valid``, ``still``: moving while lying down).
    """
    parts = [
        (3.0, 0.0, 0.0, 0.0),
        (2.0, -45.0, 45.0, 0.0),
        (10.0, -90.0, 0.0, 0.0),
        (10.0, -90.0, 70.0, 0.0),
        (5.0, -90.0, 0.0, 0.0),
    ]
    pelvis, thigh, _ = posture_rows(parts)
    n = pelvis.shape[0]
    still = np.ones(n, dtype=bool)
    still[300:500] = False
    mount_p = rot.normalize(np.array([0.3, 0.8, -0.2, 0.4]))
    mount_t = rot.normalize(np.array([0.6, -0.1, 0.5, 0.3]))
    q_E_S = {
        "pelvis": turn_about_vertical(rot.multiply(pelvis, rot.conjugate(mount_p)), 1.1),
        "right_thigh": turn_about_vertical(rot.multiply(thigh, rot.conjugate(mount_t)), -0.4),
    }
    err = rot.from_axis_angle([0.0, 1.0, 0.0], np.deg2rad(axis_error_deg))
    cal = calibration_of(
        {"pelvis": {"q_S_B": mount_p}, "right_thigh": {"q_S_B": rot.multiply(mount_t, err)}},
        static_s=(0.5, 2.5),
        functional_s=(3.0, 4.0),
    )
    steps = {"rate_hz": POSTURE_RATE_HZ, "valid": {p: np.ones(n, dtype=bool) for p in q_E_S}}
    steps["still"] = still
    return np.arange(n) / POSTURE_RATE_HZ, q_E_S, cal, steps


def still_pose_directions(rng: np.random.Generator, poses: int) -> tuple[np.ndarray, list]:
    """A random flexion axis ``z`` and ``poses`` unit gravity directions in the sensor frame:
    the stand's, then ones turned 40–110° from it about ``z`` (the still poses of the knee
    bends and leg swings)."""
    z = rng.normal(size=3)
    z /= np.linalg.norm(z)
    u0 = np.cross(z, rng.normal(size=3))
    u0 /= np.linalg.norm(u0)
    dirs = [u0] + [
        Rotation.from_rotvec(z * np.radians(a)).apply(u0) for a in rng.uniform(40, 110, poses - 1)
    ]
    return z, dirs


def tremor_rates(
    rate_hz: float,
    seconds: float,
    *,
    tremor_deg: float = 0.0,
    tremor_hz: float = 6.0,
    turn_rad_s: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Gyroscope rates (rad/s, sensor frame, about x) of a segment turning steadily at
    ``turn_rad_s`` and shaking by ``tremor_deg`` at ``tremor_hz``, with white noise."""
    t = np.arange(round(seconds * rate_hz)) / rate_hz
    w = 2 * np.pi * tremor_hz
    g = np.zeros((t.size, 3))
    g[:, 0] = turn_rad_s + np.radians(tremor_deg) * w * np.cos(w * t)
    return g + np.random.default_rng(seed).normal(0.0, 0.002, g.shape)
