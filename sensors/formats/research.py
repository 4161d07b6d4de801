"""Readers for public research recordings used to validate stretchguard (``../shared/datasets``).

Each returns plain arrays or a :class:`Recording` in stretchguard's units (m/s², rad/s, µT,
scalar-first quaternions). Formats, frames and units are those documented in each dataset's
README; the files themselves are never copied into the project.

* BROAD (Laidig et al. 2021, CC BY 4.0): one IMU with optical orientation truth (.mat).
* qmt full-body example (MIT): 16 IMUs, standing → sitting → standing → running (.mat).
* gaitmap example (MIT): two foot IMUs (deg/s) with optical foot markers (mm) (.csv).
* scikit-kinematics walking (BSD): thigh + shank Xsens export (tab-separated .txt).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io
from numpy.typing import NDArray

from analysis.errors import RecordingFormatError
from analysis.recording.streams import (
    CalibrationWindows,
    Recording,
    SensorStream,
    SessionMeta,
)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BroadTrial:
    """One BROAD trial: IMU data, optical truth ``q_E_S`` (NaN where occluded), movement mask."""

    name: str
    rate_hz: float
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_ut: FloatArray
    opt_q_E_S: FloatArray
    movement: NDArray[np.bool_]


def _loadmat(path: Path) -> dict:
    try:
        return scipy.io.loadmat(path, simplify_cells=True)
    except (OSError, ValueError) as exc:
        raise RecordingFormatError(path, f"not a readable MATLAB file ({exc})") from None


def read_broad_trial(path: str | Path) -> BroadTrial:
    """A BROAD ``.mat`` trial (``imu_acc`` m/s², ``imu_gyr`` rad/s, ``opt_quat`` w,x,y,z)."""
    p = Path(path)
    d = _loadmat(p)
    return BroadTrial(
        name=p.stem,
        rate_hz=float(d["sampling_rate"]),
        acc_m_s2=np.asarray(d["imu_acc"], dtype=np.float64),
        gyr_rad_s=np.asarray(d["imu_gyr"], dtype=np.float64),
        mag_ut=np.asarray(d["imu_mag"], dtype=np.float64),
        opt_q_E_S=np.asarray(d["opt_quat"], dtype=np.float64),
        movement=np.asarray(d["movement"]).astype(bool),
    )


QMT_PLACEMENTS = {
    "hip": "pelvis",
    "upper_back": "trunk",
    "head": "head",
    "upper_leg_left": "left_thigh",
    "upper_leg_right": "right_thigh",
    "lower_leg_left": "left_shank",
    "lower_leg_right": "right_shank",
    "foot_left": "left_foot",
    "foot_right": "right_foot",
}
"""qmt segment names → placements (``upper_back`` stands for the trunk sensor)."""

QMT_STAND_S = (40.5, 44.0)
QMT_MOVEMENTS_S = (44.5, 84.0)
"""Quiet stand and the sit-down/sit/stand-up movements used as the functional window."""


def read_qmt_full_body(path: str | Path, *, placements: tuple[str, ...] | None = None) -> Recording:
    """The qmt full-body example as a recording (``t`` in s, acc m/s², gyr rad/s).

    The upstream ``quat`` field is not gravity-consistent (dataset README) and is ignored.
    The sidecar holds the stand and movement windows of the dataset's timeline.
    """
    p = Path(path)
    d = _loadmat(p)
    t = np.asarray(d["t"], dtype=np.float64)
    streams = {}
    for key, label in QMT_PLACEMENTS.items():
        if placements is not None and label not in placements:
            continue
        streams[label] = SensorStream(
            placement=label,
            t_s=t,
            acc_m_s2=np.asarray(d[key]["acc"], dtype=np.float64),
            gyr_rad_s=np.asarray(d[key]["gyr"], dtype=np.float64),
        )
    meta = SessionMeta(
        calibration=CalibrationWindows(static_s=QMT_STAND_S, functional_s=QMT_MOVEMENTS_S),
        notes="qmt full-body example (dlaidig/qmt, MIT)",
    )
    return Recording(streams=streams, meta=meta, path=p)


@dataclass(frozen=True)
class GaitmapFeet:
    """The gaitmap example: per foot (``left``/``right``) IMU data and marker positions.

    IMU at ``imu_rate_hz`` in the gaitmap foot frame (x to the toe, y left, z up); marker
    positions in m at ``mocap_rate_hz``.
    """

    imu_rate_hz: float
    mocap_rate_hz: float
    acc_m_s2: dict[str, FloatArray]
    gyr_rad_s: dict[str, FloatArray]
    toe_m: dict[str, FloatArray]
    heel_m: dict[str, FloatArray]


def read_gaitmap_example(folder: str | Path) -> GaitmapFeet:
    """``imu_sample.csv`` (gyro in deg/s → rad/s) and ``mocap_sample.csv`` (mm → m)."""
    base = Path(folder)
    imu = pd.read_csv(base / "imu_sample.csv", header=[0, 1], index_col=0)
    moc = pd.read_csv(base / "mocap_sample.csv", header=[0, 1], index_col=0)
    acc, gyr, toe, heel = {}, {}, {}, {}
    for side, sensor, m in (("left", "left_sensor", "L"), ("right", "right_sensor", "R")):
        acc[side] = imu[sensor][["acc_x", "acc_y", "acc_z"]].to_numpy(dtype=np.float64)
        gyr[side] = np.deg2rad(imu[sensor][["gyr_x", "gyr_y", "gyr_z"]].to_numpy(np.float64))
        toe[side] = moc[f"{m}_TOE"].to_numpy(dtype=np.float64) / 1000.0
        heel[side] = moc[f"{m}_FCC"].to_numpy(dtype=np.float64) / 1000.0
    return GaitmapFeet(
        imu_rate_hz=204.8, mocap_rate_hz=100.0, acc_m_s2=acc, gyr_rad_s=gyr, toe_m=toe, heel_m=heel
    )


SKINEMATICS_STAND_S = (0.5, 3.0)
SKINEMATICS_WALK_S = (3.6, 29.0)


def read_skinematics_walking(folder: str | Path, *, side: str = "right") -> Recording:
    """Thigh (``walking_xsens_upperLeg.txt``) and shank (``…lowerLeg.txt``), 120 Hz.

    The side is not documented upstream; it is assigned as ``side``. The sidecar holds the
    standing window and the walking bout (used as the functional window).
    """
    base = Path(folder)
    streams = {}
    for segment, name in (("thigh", "upperLeg"), ("shank", "lowerLeg")):
        path = base / f"walking_xsens_{name}.txt"
        d = pd.read_csv(path, sep="\t", skiprows=4)
        t = (d["Counter"].to_numpy(dtype=np.float64) - float(d["Counter"].iloc[0])) / 120.0
        label = f"{side}_{segment}"
        streams[label] = SensorStream(
            placement=label,
            t_s=t,
            acc_m_s2=d[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy(dtype=np.float64),
            gyr_rad_s=d[["Gyr_X", "Gyr_Y", "Gyr_Z"]].to_numpy(dtype=np.float64),
        )
    meta = SessionMeta(
        calibration=CalibrationWindows(
            static_s=SKINEMATICS_STAND_S, functional_s=SKINEMATICS_WALK_S
        ),
        notes="scikit-kinematics walking example (BSD)",
    )
    return Recording(streams=streams, meta=meta, path=base)
