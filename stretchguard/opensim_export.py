"""A session for OpenSim: OpenSense orientations (``.sto``) and joint angles (``.mot``).

Frames (docs/opensim.md). This project's earth frame ``E`` is ENU (x east, y north, z up);
OpenSim's ground ``O`` has y up. The export rotates every orientation by

    ``q_O_E`` = −90° about x:  E x → O x,  E z (up) → O y,  E y (north) → O −z,

and first turns the whole session about the vertical so the pelvis faces ground +x during the
quiet stand (the pose in which every model coordinate is 0, which OpenSense's ``IMUPlacer``
assumes for its calibration frame). Each sensor's orientation is ``q_O_S = q_O_E ⊗ Rz(δ) ⊗
q_E_B ⊗ q_S_B*``: stretchguard's segment orientation (headings made consistent) times the
calibrated mounting, i.e. what the sensor would have reported in one common frame.

Joint angles are written with OpenSim's coordinate names (gait2392 / Rajagopal) and signs,
in degrees, relative to the quiet stand (stretchguard's zero), not to a model's default pose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analysis.angles import rotations as rot
from analysis.angles.heading import turn_about_vertical
from analysis.angles.pipeline import AngleResult, PipelineOptions, analyse_recording
from analysis.errors import ConfigError, OutputExistsError
from analysis.recording.schema import T_S
from analysis.recording.streams import Recording
from sensors.formats.canonical import write_new_file
from stretchguard.text import printable

__all__ = [
    "BODY_OF",
    "Q_O_E",
    "OpenSimExport",
    "coordinates_table",
    "export_opensim",
    "mot_text",
    "orientations_in_opensim",
    "sto_text",
]

Q_O_E = rot.from_axis_angle([1.0, 0.0, 0.0], -math.pi / 2.0)
"""ENU earth (z up) → OpenSim ground (y up): −90° about x."""

BODY_OF: Mapping[str, str] = {
    "pelvis": "pelvis",
    "trunk": "torso",
    "head": "head",
    "right_thigh": "femur_r",
    "left_thigh": "femur_l",
    "right_shank": "tibia_r",
    "left_shank": "tibia_l",
    "right_foot": "calcn_r",
    "left_foot": "calcn_l",
}
"""Placement → OpenSim body (gait2392 / Rajagopal names); its IMU column is ``<body>_imu``."""

KneeConvention = Literal["gait2392", "rajagopal"]


def _coordinate_map(knee: KneeConvention) -> list[tuple[str, str, float]]:
    """(stretchguard column, OpenSim coordinate, sign)."""
    knee_sign = -1.0 if knee == "gait2392" else 1.0
    out = [
        ("pelvis_anterior_tilt_deg", "pelvis_tilt", -1.0),
        ("lumbar_flexion_deg", "lumbar_extension", -1.0),
    ]
    for side, s in (("right", "r"), ("left", "l")):
        out += [
            (f"{side}_hip_flexion_deg", f"hip_flexion_{s}", 1.0),
            (f"{side}_hip_adduction_deg", f"hip_adduction_{s}", 1.0),
            (f"{side}_hip_internal_rotation_deg", f"hip_rotation_{s}", 1.0),
            (f"{side}_knee_flexion_deg", f"knee_angle_{s}", knee_sign),
            (f"{side}_ankle_dorsiflexion_deg", f"ankle_angle_{s}", 1.0),
        ]
    return out


def coordinates_table(angles: pd.DataFrame, *, knee: KneeConvention = "gait2392") -> pd.DataFrame:
    """The computed joint angles as OpenSim coordinates (degrees; ``time`` in s).

    Signs: hip flexion, adduction, internal rotation (``hip_rotation``) and ankle dorsiflexion
    as in OpenSim (+); ``knee_angle`` is −flexion in gait2392 (range −120°…10°) and +flexion in
    Rajagopal 2015 (``knee="rajagopal"``); ``pelvis_tilt`` is −anterior tilt (OpenSim's +tilt
    about z lifts the front of the pelvis) and ``lumbar_extension`` −lumbar flexion. Only the
    angles that were measured are written.
    """
    out = {"time": angles[T_S].to_numpy(dtype=np.float64)}
    for column, name, sign in _coordinate_map(knee):
        if column in angles.columns:
            out[name] = sign * angles[column].to_numpy(dtype=np.float64)
    return pd.DataFrame(out)


def _table_rows(table: pd.DataFrame) -> str:
    body = table.to_csv(sep="\t", index=False, header=False, float_format="%.6f", na_rep="NaN")
    return "\t".join(str(c) for c in table.columns) + "\n" + body


def mot_text(table: pd.DataFrame, *, name: str = "stretchguard") -> str:
    """An OpenSim motion file (``.mot``, degrees) of ``table`` (first column ``time``).

    ``name`` (from the recording's file name) is written on one line, its controls as codes: a
    newline in it would add header lines of its own (``nRows=…``, ``endheader``).
    """
    header = (
        f"{printable(name, multiline=False)}\nversion=1\nnRows={len(table)}\n"
        f"nColumns={len(table.columns)}\ninDegrees=yes\nendheader\n"
    )
    return header + _table_rows(table)


def sto_text(t_s: np.ndarray, q_O_S: Mapping[str, np.ndarray]) -> str:
    """An OpenSense orientations table: ``<body>_imu`` columns of ``w,x,y,z`` quaternions."""
    rate = (len(t_s) - 1) / (t_s[-1] - t_s[0]) if len(t_s) > 1 else 100.0
    labels = [f"{BODY_OF[p]}_imu" for p in q_O_S]
    header = (
        f"DataRate={rate:.6f}\nDataType=Quaternion\nversion=3\nOpenSimVersion=4.5\nendheader\n"
        + "\t".join(["time", *labels])
        + "\n"
    )
    cols = [np.char.mod("%.6f", np.asarray(t_s, dtype=np.float64))]
    for q in q_O_S.values():
        parts = [np.char.mod("%.8f", np.asarray(q[:, i], dtype=np.float64)) for i in range(4)]
        cols.append(_join(parts, ","))
    return header + "\n".join(_join(cols, "\t").tolist()) + "\n"


def _join(parts: Sequence[np.ndarray], sep: str) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.char.add(np.char.add(out, sep), part)
    return out


def orientations_in_opensim(result: AngleResult) -> dict[str, np.ndarray]:
    """Each worn sensor's orientation ``q_O_S`` in OpenSim's ground.

    The pelvis (else the first segment) faces ground +x over the quiet stand. ``(N, 4)``
    float64, ``w,x,y,z``.
    """
    q_E_B = result.segment_orientations
    if not q_E_B:
        raise ConfigError("the analysis kept no segment orientations (keep_orientations=False)")
    t = result.angles[T_S].to_numpy(dtype=np.float64)
    a, b = result.calibration.static_s
    stand = (t >= a) & (t < b)
    if not stand.any():
        stand[: max(1, min(len(t), 100))] = True
    ref = "pelvis" if "pelvis" in q_E_B else next(iter(q_E_B))
    forward = rot.frame_axis(np.asarray(q_E_B[ref][stand], dtype=np.float64), 0)
    heading = math.atan2(float(np.nanmean(forward[:, 1])), float(np.nanmean(forward[:, 0])))
    out = {}
    for p in (p for p in BODY_OF if p in q_E_B):
        q_B = turn_about_vertical(np.asarray(q_E_B[p], dtype=np.float64), -heading)
        q_S_B = result.calibration.segments[p].q_S_B
        q_E_S = rot.multiply(q_B, rot.conjugate(q_S_B))
        out[p] = rot.normalize(rot.multiply(Q_O_E, q_E_S))
    return out


@dataclass(frozen=True)
class OpenSimExport:
    """Files written by :func:`export_opensim`."""

    orientations: Path
    """OpenSense orientations on the grid (points where a sensor had no data left out)."""
    calibration: Path
    """OpenSense calibration orientations: the quiet stand's mean (for ``IMUPlacer``)."""
    coordinates: Path
    """Joint angles as OpenSim coordinates (``.mot``, degrees)."""


def _stand_mean(t: np.ndarray, q: np.ndarray, static_s: tuple[float, float]) -> np.ndarray:
    valid = np.isfinite(q).all(axis=1) & (np.linalg.norm(q, axis=1) > 0.5)
    mask = (t >= static_s[0]) & (t < static_s[1]) & valid
    return rot.from_rotation(rot.to_rotation(q[mask] if mask.any() else q[valid][:1]).mean())


def export_opensim(
    recording: Recording,
    out_dir: str | Path,
    *,
    stem: str = "session",
    knee: KneeConvention = "gait2392",
    workers: int | None = None,
) -> OpenSimExport:
    """Analyse ``recording`` and write the three OpenSim files into ``out_dir``.

    They are ``<stem>_orientations.sto``, ``<stem>_calibration.sto`` and ``<stem>_ik.mot``
    (new files only).
    """
    out = Path(out_dir)
    names = ("_orientations.sto", "_calibration.sto", "_ik.mot")
    for taken in (out / f"{stem}{n}" for n in names):
        if taken.exists():  # checked before the work: no half-written export
            raise OutputExistsError(taken)
    result = analyse_recording(recording, options=PipelineOptions(workers=workers))
    out.mkdir(parents=True, exist_ok=True)
    t = result.angles[T_S].to_numpy(dtype=np.float64)
    q = orientations_in_opensim(result)
    static_s = result.calibration.static_s
    mean = {p: _stand_mean(t, qp, static_s) for p, qp in q.items()}
    t_cal = np.array([t[0], t[0] + 1.0 / result.rate_hz])
    files = OpenSimExport(
        orientations=out / f"{stem}_orientations.sto",
        calibration=out / f"{stem}_calibration.sto",
        coordinates=out / f"{stem}_ik.mot",
    )
    # grid points where any sensor had no data (a dropout) are left out: IK needs every IMU
    whole = np.all([np.isfinite(qp).all(axis=1) for qp in q.values()], axis=0)
    kept = {p: qp[whole] for p, qp in q.items()}
    cal = {p: np.vstack([m, m]) for p, m in mean.items()}
    table = coordinates_table(result.angles, knee=knee)
    texts = [
        (files.orientations, sto_text(t[whole], kept)),
        (files.calibration, sto_text(t_cal, cal)),
        (files.coordinates, mot_text(table, name=f"{stem}_ik")),
    ]
    _write_all_or_none(texts)
    return files


def _write_all_or_none(texts: list[tuple[Path, str]]) -> None:
    """Each ``(path, text)`` written under a hidden name; the names given once all are written.

    Each file's ``before_publish`` writes the next one, so a full disk or an error while any is
    written leaves none named (before round 16 the ``.sto`` files stayed when the ``.mot``
    failed).
    """
    if not texts:
        return
    (path, text), rest = texts[0], texts[1:]
    write_new_file(path, text.encode("utf-8"), before_publish=lambda: _write_all_or_none(rest))
