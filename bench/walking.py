"""Knee and hip during gait: what the method contributes and what soft tissue does.

    .venv/bin/python bench/walking.py

1. **Real Xsens walking** (``../shared/datasets/opensense_example_xsens``: 8 MTw sensors,
   5 s standing then 19 s walking; accelerometer and the sensors' own fused orientation, no
   gyroscope). The same recording is analysed twice: with the vendor's orientations
   (``orientation_source = vendor_quaternion``) and with stretchguard's own fusion fed the
   accelerometer and the angular rate derived from successive orientations. Both share the
   calibration step, so the difference is what fusion, heading tracking and the hinge/stand
   corrections do during gait. Each pipeline option is switched off in turn.
2. **Simulated gait** (treadmill-like: pelvis fixed, both legs walking at 1.1 s per stride with
   a textbook sagittal pattern plus a little knee rotation and hip adduction): rigid ideal
   sensors (the method alone), default sensor errors without and with soft-tissue wobble,
   and a wobble three times larger.

Prints markdown; ``bench/accuracy.py`` puts the same lines into docs/accuracy.md.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation

from analysis.angles import rotations
from analysis.angles.calibration import Q_G_E, CalibrationResult
from analysis.angles.isb import joint_angles_deg
from analysis.angles.pipeline import (
    AngleResult,
    PipelineOptions,
    analyse_recording,
    segment_orientations,
)
from analysis.recording.schema import ORIENTATION_FROM_VENDOR
from analysis.recording.streams import CalibrationWindows, Recording, SensorStream, SessionMeta
from analysis.simulation.imu import ImuErrorModel, SoftTissueModel
from analysis.simulation.population import simulate_motion
from analysis.simulation.trajectories import SumOfSines, Trajectory, Windowed

ROOT = Path(__file__).resolve().parents[1]
OPENSENSE_IDS = {
    "00B42279": "pelvis",
    "00B42268": "trunk",
    "00B4227C": "right_thigh",
    "00B421EE": "left_thigh",
    "00B4227D": "right_shank",
    "00B421ED": "left_shank",
    "00B421EF": "right_foot",
    "00B421E6": "left_foot",
}
OPENSENSE_STAND_S = (0.5, 5.0)
OPENSENSE_WALK_S = (6.0, 23.5)
COLUMNS = (
    "right_knee_flexion_deg",
    "left_knee_flexion_deg",
    "right_hip_flexion_deg",
    "left_hip_flexion_deg",
    "right_hip_adduction_deg",
    "right_hip_internal_rotation_deg",
)


def read_opensense(folder: Path, *, vendor: bool) -> Recording:
    """The OpenSense example trial; angular rate derived from successive orientations.

    ``vendor=True`` also hands over the orientations (sensor → Xsens earth, z up) and marks
    them as the orientation source.
    """
    files = {p: folder / f"MT_012005D6_009-001_{i}.txt" for i, p in OPENSENSE_IDS.items()}
    tables = {p: pd.read_csv(f, sep="\t", skiprows=5) for p, f in files.items()}
    n = min(len(d) for d in tables.values())
    streams = {}
    for p, d in tables.items():
        d = d.iloc[:n]
        cols = [f"Mat[{r}][{c}]" for r in (1, 2, 3) for c in (1, 2, 3)]
        rot = Rotation.from_matrix(d[cols].to_numpy(dtype=np.float64).reshape(-1, 3, 3))
        step = (rot[:-1].inv() * rot[1:]).as_rotvec() * 100.0  # sensor frame, rad/s
        gyr = np.vstack([step[:1], 0.5 * (step[1:] + step[:-1]), step[-1:]])
        streams[p] = SensorStream(
            placement=p,
            t_s=np.arange(n) / 100.0,
            acc_m_s2=d[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy(dtype=np.float64),
            gyr_rad_s=gyr,
            quat=rot.as_quat()[:, [3, 0, 1, 2]] if vendor else None,
        )
    extra = {"orientation_source": dict.fromkeys(streams, ORIENTATION_FROM_VENDOR)}
    meta = SessionMeta(
        calibration=CalibrationWindows(static_s=OPENSENSE_STAND_S, functional_s=OPENSENSE_WALK_S),
        extra=extra if vendor else {},
    )
    return Recording(streams=streams, meta=meta)


def _diff(a: pd.DataFrame, b: pd.DataFrame, col: str, sel: np.ndarray) -> str:
    d = (a[col] - b[col]).to_numpy()[sel]
    return f"{d.mean():+.2f} / {math.sqrt(float(np.mean(d * d))):.2f}"


def _stand_axis_angles(rec: Recording, res: AngleResult) -> dict[str, float]:
    """Angle (deg) between each segment's calibrated flexion axis and the pelvis's, in the
    vendor's common earth frame, averaged over the stand (hips neutral: ideally ≈ 0°)."""
    streams = rec.streams
    k = (streams["pelvis"].t_s >= OPENSENSE_STAND_S[0]) & (
        streams["pelvis"].t_s < OPENSENSE_STAND_S[1]
    )

    def z_earth(p: str) -> np.ndarray:
        q = streams[p].quat
        assert q is not None
        z_S = rotations.rotate(res.calibration.segments[p].q_S_B, [0.0, 0.0, 1.0])
        z = rotations.rotate(q[k], np.broadcast_to(z_S, (int(k.sum()), 3))).mean(axis=0)
        return z / np.linalg.norm(z)

    zp = z_earth("pelvis")
    return {
        p: float(np.degrees(np.arccos(np.clip(z_earth(p) @ zp, -1.0, 1.0))))
        for p in ("trunk", "left_thigh", "right_thigh")
    }


def real_lines(shared: Path) -> list[str]:
    """Section 1: our fusion against the vendor's, and each option switched off."""
    folder = shared / "datasets" / "opensense_example_xsens"
    vendor_rec = read_opensense(folder, vendor=True)
    vendor_res = analyse_recording(vendor_rec)
    vendor = vendor_res.angles
    t = vendor["t_s"].to_numpy()
    walk = (t >= OPENSENSE_WALK_S[0]) & (t < OPENSENSE_WALK_S[1])
    head = "| analysis (real Xsens walking, 17.5 s) | " + " | ".join(
        c.removesuffix("_deg").replace("_", " ") for c in COLUMNS
    )
    lines = [head + " |", "|---|" + "---|" * len(COLUMNS)]
    lines.append(
        "| vendor orientation: mean during walking | "
        + " | ".join(f"{vendor[c].to_numpy()[walk].mean():.1f}°" for c in COLUMNS)
        + " |"
    )
    variants = {
        "own fusion (default options)": PipelineOptions(),
        "own fusion, causal filter": PipelineOptions(offline_orientation=False),
        "own fusion, no hinge heading": PipelineOptions(hinge_heading=False),
        "own fusion, no stand anchors": PipelineOptions(stand_anchors=False),
        "vendor orientation, no hinge heading": PipelineOptions(hinge_heading=False),
    }
    for name, opts in variants.items():
        rec = read_opensense(folder, vendor=name.startswith("vendor"))
        a = analyse_recording(rec, options=opts).angles
        cells = [_diff(a, vendor, c, walk) for c in COLUMNS]
        lines.append(f"| {name} − vendor: mean / RMS | " + " | ".join(cells) + " |")
    axes = _stand_axis_angles(vendor_rec, vendor_res)
    seg = vendor_res.calibration.segments["pelvis"]
    lines += [
        "",
        "Pelvis calibration from the walking: the pelvis's flexion axis lies "
        + ", ".join(f"{v:.0f}° from the {p.replace('_', ' ')}'s" for p, v in axes.items())
        + " in the stand (hips neutral; ideally ≈ 0°, ± the heading noise of the vendor's "
        f"magnetometer); planarity {seg.planarity_ratio:.2f}, sign {seg.sign_confidence} "
        f"({seg.sign_rule}); the pelvis's angles are "
        + ("marked uncertain" if "pelvis" in getattr(vendor_res, "doubted", {}) else "trusted")
        + ".",
    ]
    return lines


def sensitivity_lines(shared: Path) -> list[str]:
    """How the gait knee moves when the calibration is off by a known amount (real data)."""
    rec = read_opensense(shared / "datasets" / "opensense_example_xsens", vendor=True)
    res = analyse_recording(rec)
    streams = rec.streams
    t = streams["pelvis"].t_s
    walk = (t >= OPENSENSE_WALK_S[0]) & (t < OPENSENSE_WALK_S[1])

    def knee(cal: CalibrationResult) -> np.ndarray:
        q_E_S = {p: np.array(s.quat) for p, s in streams.items()}
        ok = {p: np.ones(t.size, dtype=bool) for p in q_E_S}
        q = segment_orientations(t, q_E_S, cal, rate_hz=100.0, valid=ok)
        return joint_angles_deg(q, q_G_E=Q_G_E).columns["right_knee_flexion_deg"][walk]

    ref = knee(res.calibration)
    cases = (
        ("shank flexion axis turned 10° about the shank's long axis", ("right_shank",), 1, 10.0),
        ("thigh flexion axis turned 10° about the thigh's long axis", ("right_thigh",), 1, 10.0),
        ("both turned 10°", ("right_shank", "right_thigh"), 1, 10.0),
        ("thigh long axis tipped 5° in the frontal plane", ("right_thigh",), 0, 5.0),
        (
            "shank zero tipped 5° in the sagittal plane (knee bent 5° in the stand)",
            ("right_shank",),
            2,
            5.0,
        ),
    )
    lines = ["| calibration error (right leg) | gait knee change: mean / RMS / max |", "|---|---|"]
    for name, segments, axis, deg in cases:
        segs = dict(res.calibration.segments)
        turn = rotations.from_axis_angle(np.eye(3)[axis], math.radians(deg))
        for p in segments:
            segs[p] = dataclasses.replace(segs[p], q_S_B=rotations.multiply(segs[p].q_S_B, turn))
        d = knee(dataclasses.replace(res.calibration, segments=segs)) - ref
        lines.append(
            f"| {name} | {np.nanmean(d):+.2f} / {math.sqrt(float(np.nanmean(d * d))):.2f} / "
            f"{np.nanmax(np.abs(d)):.2f} |"
        )
    return lines


# --- simulated gait ---------------------------------------------------------------------------

# (fraction of the stride, degrees): a textbook adult pattern (Winter 2009, rounded)
GAIT = {
    "hip_flexion": [(0.0, 28), (0.12, 25), (0.35, 8), (0.5, -8), (0.6, -4), (0.75, 20), (0.87, 30)],
    "knee_flexion": [(0.0, 4), (0.15, 18), (0.4, 4), (0.6, 38), (0.72, 62), (0.87, 30)],
    "ankle_dorsiflexion": [(0.0, 0), (0.08, -6), (0.45, 10), (0.62, -17), (0.75, -3), (0.9, 0)],
    "hip_adduction": [(0.0, 0), (0.15, 6), (0.5, 0), (0.7, -4), (0.9, -1)],
    "hip_internal_rotation": [(0.0, 2), (0.2, 5), (0.55, -3), (0.8, 0)],
}

PELVIS = {
    "pelvis_anterior_tilt": [(0.0, 1.5), (0.25, -1.5), (0.5, 1.5), (0.75, -1.5)],
    "pelvis_obliquity": [(0.0, 0.0), (0.2, 4.0), (0.5, 0.0), (0.7, -4.0)],
    "pelvis_heading": [(0.0, 5.0), (0.5, -5.0)],
}


def periodic(points: list[tuple[float, float]], *, stride_s: float, phase: float) -> SumOfSines:
    """A smooth periodic curve through ``points`` as its first 8 harmonics (and the mean)."""
    x = np.array([p for p, _ in points] + [1.0])
    y = np.array([v for _, v in points] + [points[0][1]], dtype=np.float64)
    spline = CubicSpline(x, y, bc_type="periodic")
    n = 256
    c = np.fft.rfft(spline(np.arange(n) / n)) / n
    amps, freqs, phases = [np.radians(c[0].real)], [0.0], [math.pi / 2]
    for k in range(1, 9):
        a = 2.0 * abs(c[k])
        # a cos(2π k s + arg) = a sin(2π k s + arg + π/2), s = t / stride + phase
        amps.append(math.radians(a))
        freqs.append(k / stride_s)
        phases.append(float(np.angle(c[k])) + math.pi / 2 + 2 * math.pi * k * phase)
    return SumOfSines(amps, frequencies_hz=freqs, phases_rad=phases)


def gait_trajectories(walk_s: tuple[float, float], stride_s: float) -> dict[str, Trajectory]:
    """Both legs walking half a stride apart inside ``walk_s``; standing still outside."""
    out: dict[str, Trajectory] = {}
    for side, phase in (("right", 0.0), ("left", 0.5)):
        for motion, points in GAIT.items():
            curve = periodic(points, stride_s=stride_s, phase=phase)
            out[f"{side}_{motion}"] = Windowed(curve, [walk_s], ramp_s=1.0)
    for channel, points in PELVIS.items():
        curve = periodic(points, stride_s=stride_s, phase=0.0)
        out[channel] = Windowed(curve, [walk_s], ramp_s=1.0)
    return out


def simulated_lines(seeds: int = 3) -> list[str]:
    """Section 2: knee and hip error during simulated gait, rigid sensors to heavy wobble."""
    walk = (8.0, 68.0)
    traj = gait_trajectories(walk, 1.1)
    base = ImuErrorModel()
    cases = {
        "ideal sensors, no wobble (the method alone)": ImuErrorModel.perfect(),
        "default errors, no wobble": dataclasses.replace(
            base, wobble=SoftTissueModel(static_deflection_s2=0.0)
        ),
        "default errors and wobble": base,
        "default errors, wobble × 3": dataclasses.replace(
            base,
            wobble=dataclasses.replace(
                base.wobble, static_deflection_s2=3 * base.wobble.static_deflection_s2
            ),
        ),
    }
    sensors = ("pelvis", "right_thigh", "right_shank", "right_foot", "left_thigh", "left_shank")
    axes: list[str] = []
    cols = ("right_knee_flexion_deg", "right_hip_flexion_deg", "right_ankle_dorsiflexion_deg")
    lines = [
        "| simulated gait (60 s, 3 strappings) | "
        + " | ".join(f"{c.removesuffix('_deg').replace('_', ' ')}: mean / RMS / peak" for c in cols)
        + " |",
        "|---|" + "---|" * len(cols),
    ]
    for name, errors in cases.items():
        acc: dict[str, list[np.ndarray]] = {c: [] for c in cols}
        peaks: dict[str, list[float]] = {c: [] for c in cols}
        axis_err: dict[str, list[float]] = {}
        for seed in range(seeds):
            rec, truth, mounting = simulate_motion(
                traj,
                duration_s=70.0,
                static_s=(1.0, 6.0),
                functional_s=walk,
                sensors=sensors,
                seed=seed,
                errors=errors,
            )
            res = analyse_recording(rec)
            est = res.angles
            for p, segcal in res.calibration.segments.items():
                z1 = rotations.rotate(segcal.q_S_B, [0.0, 0.0, 1.0])
                z0 = rotations.rotate(mounting[p], [0.0, 0.0, 1.0])
                ang = float(np.degrees(np.arccos(np.clip(z1 @ z0, -1.0, 1.0))))
                axis_err.setdefault(p, []).append(ang)
            t = truth["t_s"].to_numpy()
            sel = (t >= walk[0] + 2) & (t < walk[1] - 2)
            for c in cols:
                e = np.interp(t, est["t_s"], est[c]) - truth[c].to_numpy()
                acc[c].append(e[sel])
                peaks[c].append(
                    float(
                        np.interp(t, est["t_s"], est[c])[sel].max() - truth[c].to_numpy()[sel].max()
                    )
                )
        cells = []
        for c in cols:
            e = np.concatenate(acc[c])
            cells.append(
                f"{e.mean():+.2f} / {math.sqrt(float(np.mean(e * e))):.2f} / "
                f"{np.mean(peaks[c]):+.2f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        axes.append(
            f"{name}: "
            + ", ".join(f"{p.replace('_', ' ')} {max(v):.1f}°" for p, v in axis_err.items())
        )
        print(f"  walking: {name}", file=sys.stderr)
    lines += ["", "Largest calibrated flexion-axis error against the true strapping:", ""]
    lines += [f"- {a}" for a in axes]
    return lines


def main() -> int:
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        print("\n".join(real_lines(shared)))
        print()
        print("\n".join(sensitivity_lines(shared)))
        print()
    print("\n".join(simulated_lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
