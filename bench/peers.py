"""Orientation peers and OpenSense IMU IK beside stretchguard, on the same simulated session.

    .venv/bin/python bench/peers.py [--duration-s 600] [--no-opensense]

Peers need ``pip install -e '.[bench]'`` (ahrs, imufusion) and, for OpenSense,
``pip install -e '.[opensim]'``; a peer that is not installed is skipped with a note.

1. **Orientation filters.** The session is the speed benchmarks' (``standing_dorsiflexion``,
   seed 7, 4 sensors at 100 Hz), simulated in memory so the true sensor orientation of every
   sample is known. Every filter gets exactly what stretchguard's VQF gets: the resampled
   session with the stand gyroscope bias and the accelerometer bias removed
   (``bench/_stages.py``), 6-D (no magnetometer), library defaults apart from the sample rate.
   Time covers the filter call over all 4 sensors (unit conversion included for imufusion,
   whose API is one Python call per sample); fast filters are the median of 3 runs, the
   pure-Python ones one run. Accuracy: inclination RMSE (heading ignored, first 10 s skipped)
   against the simulator's true ``q_E_S`` interpolated (slerp) to the grid.
2. **Full pipelines.** stretchguard's ``analyse_recording`` against OpenSense
   (``opensim`` IMUPlacer + IMUInverseKinematicsTool) fed the same VQF sensor orientations:
   a lower-body model built in code (free pelvis, 3-DoF hip as a CustomJoint with Z-X'-Y''
   axes = the project's hip angles, pin knee, pin ankle), calibrated on the mean orientation
   of the quiet stand (the pose in which every model coordinate is 0), then IK over the
   whole session. Joint-angle RMSE of both against the simulator's true angles.

Results go to ``bench/out/peers.json``; work files to a fresh folder under ``bench/out/``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _measure import machine, package_version, time_call, write_json
from _sessions import OUT_DIR, ROOT, SCENARIO, SEED
from _stages import orientations, prepared
from numpy.typing import NDArray
from scipy.spatial.transform import Slerp

from analysis.angles import rotations as rot
from analysis.angles.calibration import CalibrationResult
from analysis.angles.calibration_windows import Windows
from analysis.angles.heading import axis_azimuth, stand_offsets, turn_about_vertical
from analysis.angles.pipeline import analyse_recording
from analysis.angles.timebase import UniformSession
from analysis.recording.schema import GRAVITY_M_S2
from analysis.recording.streams import Recording, streams_from_samples
from analysis.simulation import SimulatedSession, SimulationConfig, simulate
from analysis.simulation.metrics import angle_error, inclination_error_deg, rmse

FloatArray = NDArray[np.float64]
Log = Callable[[str], None]
RESULT = OUT_DIR / "peers.json"
SKIP_S = 10.0
"""Filter start-up excluded from the inclination RMSE."""
ANGLES = (
    "right_hip_flexion_deg",
    "right_hip_adduction_deg",
    "right_hip_internal_rotation_deg",
    "right_knee_flexion_deg",
    "right_ankle_dorsiflexion_deg",
)
TARGET_SPEEDUP = 200.0


# --- data -----------------------------------------------------------------------------------


def truth_on_grid(sim: SimulatedSession, placement: str, t_s: FloatArray) -> FloatArray:
    """True ``q_E_S`` of ``placement`` at grid times (slerp between its recorded samples).

    The simulator's truth belongs to each sample's recorded stamp: that is the time the
    pipeline puts the sample at, so the comparison carries no clock error of its own.
    """
    st = sim.sensor_truth[placement]
    t, keep = np.unique(st.t_s, return_index=True)
    slerp = Slerp(t, rot.to_rotation(st.q_E_S[keep]))
    return rot.from_rotation(slerp(np.clip(t_s, t[0], t[-1])))


def inclination_rmse(q_est: FloatArray, q_true: FloatArray, t_s: FloatArray) -> float:
    """RMSE (deg) of the inclination error after the first ``SKIP_S`` seconds."""
    keep = t_s >= t_s[0] + SKIP_S
    return rmse(inclination_error_deg(q_est[keep], q_true[keep]))


# --- orientation filters --------------------------------------------------------------------

Filter = Callable[[FloatArray, FloatArray, float], FloatArray]
"""(gyr_rad_s (K,3), acc_m_s2 (K,3), rate_hz) -> q_E_S (K,4), sensor → earth, z up."""


def _vqf(offline: bool) -> Filter:
    from analysis.angles.orientation import estimate_orientation

    def run(gyr: FloatArray, acc: FloatArray, rate_hz: float) -> FloatArray:
        return estimate_orientation(gyr, acc, rate_hz=rate_hz, offline=offline).q_E_S

    return run


def _ahrs(name: str) -> Filter:
    from ahrs import filters

    cls = getattr(filters, name)

    def run(gyr: FloatArray, acc: FloatArray, rate_hz: float) -> FloatArray:
        # ahrs returns q sensor → earth (earth z up for the 6-D update), scalar first
        return np.asarray(cls(gyr=gyr, acc=acc, frequency=rate_hz).Q, dtype=np.float64)

    return run


def _imufusion() -> Filter:
    import imufusion

    def run(gyr: FloatArray, acc: FloatArray, rate_hz: float) -> FloatArray:
        ahrs = imufusion.Ahrs()
        ahrs.set_settings(imufusion.AhrsSettings(sample_rate=rate_hz))
        gyr_dps = np.ascontiguousarray(np.rad2deg(gyr))
        acc_g = np.ascontiguousarray(acc / GRAVITY_M_S2)
        out = np.empty((gyr.shape[0], 4))
        update, get = ahrs.update_no_magnetometer, ahrs.get_quaternion
        for k in range(gyr.shape[0]):
            update(gyr_dps[k], acc_g[k])
            out[k] = get()  # scalar first, sensor → earth (NWU: z up)
        return out

    return run


PEERS: tuple[tuple[str, str, str, str, Callable[[], Filter]], ...] = (
    ("stretchguard VQF offline", "vqf", "C++ (Cython), batch, acausal", "fast", lambda: _vqf(True)),
    ("stretchguard VQF causal", "vqf", "C++ (Cython), batch", "fast", lambda: _vqf(False)),
    ("imufusion Ahrs", "imufusion", "C, one Python call per sample", "fast", _imufusion),
    ("ahrs Madgwick", "ahrs", "pure Python, per-sample loop", "slow", lambda: _ahrs("Madgwick")),
    ("ahrs Mahony", "ahrs", "pure Python, per-sample loop", "slow", lambda: _ahrs("Mahony")),
)
"""(name, package, implementation, fast/slow, factory)."""


def compare_filters(
    session: UniformSession, sim: SimulatedSession, *, runs: int, log: Log
) -> list[dict[str, Any]]:
    """Item 1: time and inclination RMSE of every installed filter on the same data."""
    t = session.t_s
    truth = {p: truth_on_grid(sim, p, t) for p in session.streams}
    n_samples = sum(s.gyr_rad_s.shape[0] for s in session.streams.values())
    sensor_hours = n_samples / session.rate_hz / 3600.0
    rows: list[dict[str, Any]] = []
    for name, package, impl, speed, factory in PEERS:
        version = package_version(package)
        if version == "not installed":
            rows.append({"name": name, "package": package, "skipped": "not installed"})
            log(f"{name}: skipped ({package} not installed: pip install -e '.[bench]')")
            continue
        fn = factory()
        fn(
            session.streams[next(iter(session.streams))].gyr_rad_s[:500],
            session.streams[next(iter(session.streams))].acc_m_s2[:500],
            session.rate_hz,
        )  # warm-up (imports, first-call costs)

        def all_sensors(fn: Filter = fn) -> dict[str, FloatArray]:
            return {
                p: fn(
                    np.ascontiguousarray(s.gyr_rad_s),
                    np.ascontiguousarray(s.acc_m_s2),
                    session.rate_hz,
                )
                for p, s in session.streams.items()
            }

        n_runs = runs if speed == "fast" else 1
        times, q = [], {}
        for _ in range(n_runs):
            secs, q = time_call(all_sensors)
            times.append(secs)
        secs = statistics.median(times)
        per_sensor = {p: inclination_rmse(q[p], truth[p], t) for p in q}
        rows.append(
            {
                "name": name,
                "package": f"{package} {version}",
                "implementation": impl,
                "runs": n_runs,
                "time_s": secs,
                "samples": n_samples,
                "samples_per_s": n_samples / secs,
                "s_per_sensor_hour": secs / sensor_hours,
                "inclination_rmse_deg": per_sensor,
                "inclination_rmse_mean_deg": float(np.mean(list(per_sensor.values()))),
            }
        )
        log(
            f"{name}: {secs:.3f} s ({n_samples / secs:,.0f} samples/s), inclination RMSE "
            f"{rows[-1]['inclination_rmse_mean_deg']:.2f}°"
        )
    return rows


# --- full pipelines -------------------------------------------------------------------------


def angle_rmse(angles: pd.DataFrame, sim: SimulatedSession) -> dict[str, float]:
    """RMSE (deg) of each right-leg angle, estimate interpolated to the truth grid."""
    out = {}
    for col in ANGLES:
        if col in angles and col in sim.truth:
            est = np.interp(sim.truth.t_s, angles.t_s, angles[col], left=np.nan, right=np.nan)
            out[col] = angle_error(est, sim.truth[col]).rmse_deg
    return out


def ours(
    recording: Recording, sim: SimulatedSession, *, runs: int
) -> tuple[dict[str, Any], CalibrationResult]:
    """stretchguard's whole angle pipeline (in process, recording already in memory): time,
    angle RMSE, and its sensor-to-segment calibration."""
    times, res = [], None
    for _ in range(runs):
        secs, res = time_call(lambda: analyse_recording(recording))
        times.append(secs)
    if res is None:
        raise ValueError("runs must be at least 1")
    summary = {
        "time_s": statistics.median(times),
        "runs": runs,
        "rmse_deg": angle_rmse(res.angles, sim),
    }
    return summary, res.calibration


# --- OpenSense ------------------------------------------------------------------------------

BODY_OF = {
    "pelvis": "pelvis",
    "right_thigh": "femur_r",
    "right_shank": "tibia_r",
    "right_foot": "calcn_r",
}
"""Placement → model body; the IMU of body B must be called ``B_imu`` for OpenSense."""

Q_O_E = rot.from_axis_angle([1.0, 0.0, 0.0], -math.pi / 2.0)
"""Earth frame (ENU, z up) → OpenSim ground (y up): −90° about x maps z onto y."""


def _owned(fn: Any) -> Any:
    # The C++ side adopts a function passed to a TransformAxis; letting Python free it too
    # crashes at exit (double free, ../shared/reference/anchors.md §3.4).
    fn.thisown = False
    return fn


def build_leg_model(osim: Any, *, thigh_m: float, shank_m: float) -> Any:
    """Lower-body model: free pelvis, Z-X'-Y'' hip (CustomJoint), pin knee and ankle (z).

    Body frames follow ISB (x anterior, y superior, z right), so with every coordinate 0 the
    model stands in the quiet-stand pose; hip coordinates equal the project's hip flexion,
    adduction and internal rotation (right side), the knee coordinate is −knee flexion and
    the ankle coordinate +dorsiflexion.
    """
    model = osim.Model()
    model.setName("stretchguard_leg")
    ground = model.getGround()

    def body(name: str, mass_kg: float) -> Any:
        b = osim.Body(name, mass_kg, osim.Vec3(0), osim.Inertia(0.05, 0.05, 0.05))
        model.addBody(b)
        return b

    pelvis, femur = body("pelvis", 11.0), body("femur_r", 8.0)
    tibia, calcn = body("tibia_r", 3.5), body("calcn_r", 1.2)
    zero = osim.Vec3(0)
    model.addJoint(osim.FreeJoint("ground_pelvis", ground, zero, zero, pelvis, zero, zero))
    transform = osim.SpatialTransform()
    for i, (name, axis) in enumerate(
        (
            ("hip_flexion_r", (0, 0, 1)),
            ("hip_adduction_r", (1, 0, 0)),
            ("hip_rotation_r", (0, 1, 0)),
        )
    ):
        ax = transform.updTransformAxis(i)
        names = osim.ArrayStr()
        names.append(name)
        ax.setCoordinateNames(names)
        ax.set_axis(osim.Vec3(*axis))
        ax.set_function(_owned(osim.LinearFunction(1.0, 0.0)))
    for i, axis in zip((3, 4, 5), ((1, 0, 0), (0, 1, 0), (0, 0, 1)), strict=True):
        ax = transform.updTransformAxis(i)
        ax.set_axis(osim.Vec3(*axis))
        ax.set_function(_owned(osim.Constant(0.0)))
    hip_in_pelvis = osim.Vec3(-0.07, -0.07, 0.085)
    model.addJoint(
        osim.CustomJoint("hip_r", pelvis, hip_in_pelvis, zero, femur, zero, zero, transform)
    )
    model.addJoint(
        osim.PinJoint("knee_r", femur, osim.Vec3(0, -thigh_m, 0), zero, tibia, zero, zero)
    )
    model.addJoint(
        osim.PinJoint("ankle_r", tibia, osim.Vec3(0, -shank_m, 0), zero, calcn, zero, zero)
    )
    model.finalizeConnections()
    coords = model.getCoordinateSet()
    for i in range(coords.getSize()):
        c = coords.get(i)
        c.setRangeMin(-math.pi)
        c.setRangeMax(math.pi)
        c.setDefaultClamped(False)
    return model


def write_orientations_sto(path: Path, t_s: FloatArray, q_O_S: Mapping[str, FloatArray]) -> None:
    """An OpenSim quaternion table (``B_imu`` columns, ``w,x,y,z`` cells) at ``t_s``."""
    labels = [f"{BODY_OF[p]}_imu" for p in q_O_S]
    rate = (len(t_s) - 1) / (t_s[-1] - t_s[0]) if len(t_s) > 1 else 100.0
    header = (
        f"DataRate={rate:.6f}\nDataType=Quaternion\nversion=3\nOpenSimVersion=4.6\nendheader\n"
        + "\t".join(["time", *labels])
        + "\n"
    )
    cells = [np.char.mod("%.9f", t_s)]
    for q in q_O_S.values():
        parts = [np.char.mod("%.9f", q[:, i]) for i in range(4)]
        joined = parts[0]
        for part in parts[1:]:
            joined = np.char.add(np.char.add(joined, ","), part)
        cells.append(joined)
    rows = cells[0]
    for c in cells[1:]:
        rows = np.char.add(np.char.add(rows, "\t"), c)
    path.write_text(header + "\n".join(rows.tolist()) + "\n", encoding="utf-8")


def read_mot(path: Path) -> pd.DataFrame:
    """An OpenSim .mot/.sto table (header up to ``endheader``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "endheader") + 1
    return pd.read_csv(path, sep="\t", skiprows=start, skipinitialspace=True)


def facing_ground_x(
    q_E_S: Mapping[str, FloatArray],
    q_E_B: Mapping[str, FloatArray],
    stand: NDArray[np.bool_],
    *,
    per_sensor: bool,
) -> dict[str, FloatArray]:
    """Sensor orientations turned about the vertical for OpenSense's calibration.

    OpenSense's placer takes the static pose to be the model's default pose, in which the
    pelvis faces ground +x; a subject facing elsewhere must be turned first (its own
    ``base_imu_label``/``base_heading_axis`` step, which needs a sensor axis that points
    forward — randomly strapped sensors have none, so the segment frames ``q_E_B`` supply
    the heading). ``per_sensor``: also align every sensor's heading with the pelvis at the
    stand (a heading reset; 6-D filters give each sensor its own arbitrary heading).
    """
    offsets = (
        stand_offsets(q_E_B, stand, reference="pelvis") if per_sensor else dict.fromkeys(q_E_B, 0.0)
    )
    az, _ = axis_azimuth(q_E_B["pelvis"][stand])
    pelvis_az = float(np.angle(np.mean(np.exp(1j * az))))
    # ENU → OpenSim ground (Q_O_E) sends earth −y to ground +z: the pelvis's right (z) axis
    # must point along earth −y, i.e. azimuth −90°
    turn = -math.pi / 2.0 - (pelvis_az + offsets["pelvis"])
    return {p: turn_about_vertical(q, offsets[p] + turn) for p, q in q_E_S.items()}


def opensense(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    stand_s: tuple[float, float],
    sim: SimulatedSession,
    *,
    end_s: float | None = None,
    log: Log,
) -> dict[str, Any]:
    """OpenSense placer + IK on sensor orientations ``q_E_S`` (one earth frame, ENU).

    The placer calibrates on the mean orientation over the quiet stand; IK runs from the
    first grid point to ``end_s`` (default: the end). Returns times and angle RMSE.
    """
    import opensim as osim

    osim.Logger.setLevelString("error")
    work = OUT_DIR / f"opensense-{time.time_ns()}"
    work.mkdir(parents=True)
    try:
        body = sim.config.body
        model = build_leg_model(osim, thigh_m=body.thigh_length_m, shank_m=body.shank_length_m)
        model_file = work / "leg.osim"
        model.printToXML(str(model_file))
        t = session.t_s
        keep = t <= (t[-1] if end_s is None else end_s)
        t = t[keep]
        q_O_S = {p: rot.multiply(Q_O_E, q_E_S[p][keep]) for p in BODY_OF if p in q_E_S}
        stand = (t >= stand_s[0]) & (t < stand_s[1])
        mean = {p: rot.from_rotation(rot.to_rotation(q[stand]).mean()) for p, q in q_O_S.items()}
        cal_file = work / "calibration.sto"
        write_orientations_sto(
            cal_file,
            np.array([0.0, 1.0 / session.rate_hz]),
            {p: np.vstack([m, m]) for p, m in mean.items()},
        )
        orient_file = work / "orientations.sto"
        write_orientations_sto(orient_file, t, q_O_S)

        placer = osim.IMUPlacer()
        placer.set_model_file(str(model_file))
        placer.set_orientation_file_for_calibration(str(cal_file))
        placer.set_sensor_to_opensim_rotations(osim.Vec3(0, 0, 0))
        calibrated = work / "leg_calibrated.osim"
        placer.set_output_model_file(str(calibrated))
        placer_s, _ = time_call(lambda: placer.run(False))

        ik = osim.IMUInverseKinematicsTool()
        ik.set_model_file(str(calibrated))
        ik.set_orientations_file(str(orient_file))
        ik.set_sensor_to_opensim_rotations(osim.Vec3(0, 0, 0))
        ik.set_results_directory(str(work))
        ik.set_time_range(0, float(t[0]))
        ik.set_time_range(1, float(t[-1]))
        log(f"  OpenSense IK over {t.size:,} frames ...")
        ik_s, _ = time_call(lambda: ik.run(False))
        res = read_mot(next(work.glob("ik_*.mot")))
        angles = pd.DataFrame(
            {
                "t_s": res["time"].to_numpy(),
                "right_hip_flexion_deg": res["hip_flexion_r"].to_numpy(),
                "right_hip_adduction_deg": res["hip_adduction_r"].to_numpy(),
                "right_hip_internal_rotation_deg": res["hip_rotation_r"].to_numpy(),
                "right_knee_flexion_deg": -res["knee_r_coord_0"].to_numpy(),
                "right_ankle_dorsiflexion_deg": res["ankle_r_coord_0"].to_numpy(),
            }
        )
        return {
            "frames": int(t.size),
            "placer_s": placer_s,
            "ik_s": ik_s,
            "frames_per_s": t.size / ik_s,
            "ik_s_per_session_hour": ik_s / (t.size / session.rate_hz / 3600.0),
            "rmse_deg": angle_rmse(angles, sim),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def opensense_variants(
    session: UniformSession,
    windows: Windows,
    sim: SimulatedSession,
    *,
    calibration: CalibrationResult,
    ours_s: float,
    log: Log,
) -> dict[str, Any]:
    """OpenSense on true orientations (harness check), on VQF with and without heading reset.

    The VQF runs use stretchguard's sensor-to-segment ``calibration`` only to find each
    segment's heading at the quiet stand (which way the pelvis faces; the heading reset).
    """
    t = session.t_s
    stand = (t >= windows.static_s[0]) & (t < windows.static_s[1])
    out: dict[str, Any] = {"package": f"opensim {package_version('opensim')}"}

    true_S = {p: truth_on_grid(sim, p, t) for p in session.streams}
    true_B = {p: rot.multiply(q, sim.sensor_truth[p].q_S_B) for p, q in true_S.items()}
    check_end_s = float(t[0]) + 120.0
    log("OpenSense on the true sensor orientations (first 120 s: harness check)")
    out["truth_check"] = opensense(
        session,
        facing_ground_x(true_S, true_B, stand, per_sensor=False),
        windows.static_s,
        sim,
        end_s=check_end_s,
        log=log,
    )
    out["truth_check"]["end_s"] = check_end_s

    vqf_s, q_E_S = time_call(lambda: orientations(session, offline=True))
    q_B = {p: rot.multiply(q, calibration.segments[p].q_S_B) for p, q in q_E_S.items()}
    for key, per_sensor, what in (
        ("vqf_heading_reset", True, "VQF 6-D, every sensor's heading aligned at the stand"),
        ("vqf_raw", False, "VQF 6-D as filtered (each sensor its own heading)"),
    ):
        log(f"OpenSense on {what}")
        r = opensense(
            session,
            facing_ground_x(q_E_S, q_B, stand, per_sensor=per_sensor),
            windows.static_s,
            sim,
            log=log,
        )
        r["input"] = what
        r["vqf_input_s"] = vqf_s
        r["speedup_vs_stretchguard"] = (vqf_s + r["placer_s"] + r["ik_s"]) / ours_s
        out[key] = r
        log(f"  placer {r['placer_s']:.2f} s, IK {r['ik_s']:.1f} s, RMSE {r['rmse_deg']}")
    out["target_speedup"] = TARGET_SPEEDUP
    return out


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the peer comparison; write ``bench/out/peers.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration-s", type=float, default=600.0, help="session length")
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast candidates")
    parser.add_argument("--no-opensense", action="store_true", help="skip OpenSense")
    parser.add_argument("--out", type=Path, default=RESULT, help="result JSON")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    log(f"simulating {SCENARIO} seed {SEED}, {args.duration_s:g} s in memory")
    sim = simulate(SCENARIO, config=SimulationConfig(seed=SEED, duration_s=args.duration_s))
    recording = Recording(streams=streams_from_samples(sim.samples), meta=sim.meta)
    session, windows = prepared(recording)
    result: dict[str, Any] = {
        "machine": machine(),
        "session": {
            "scenario": SCENARIO,
            "seed": SEED,
            "duration_s": float(session.t_s[-1] - session.t_s[0]),
            "sensors": list(session.streams),
            "rate_hz": session.rate_hz,
            "grid_points": int(session.t_s.size),
        },
    }
    result["filters"] = compare_filters(session, sim, runs=args.runs, log=log)
    write_json(args.out, result)
    log("stretchguard pipeline ...")
    result["stretchguard"], calibration = ours(recording, sim, runs=args.runs)
    log(f"  {result['stretchguard']['time_s']:.2f} s, RMSE {result['stretchguard']['rmse_deg']}")
    write_json(args.out, result)
    if args.no_opensense:
        result["opensense"] = {"skipped": "--no-opensense"}
    elif package_version("opensim") == "not installed":
        result["opensense"] = {"skipped": "opensim not installed (pip install -e '.[opensim]')"}
        log("OpenSense skipped: opensim is not installed (pip install -e '.[opensim]')")
    else:
        result["opensense"] = opensense_variants(
            session,
            windows,
            sim,
            calibration=calibration,
            ours_s=result["stretchguard"]["time_s"],
            log=log,
        )
    result["finished"] = time.strftime("%Y-%m-%d %H:%M %Z")
    write_json(args.out, result)
    log(f"wrote {args.out} ({ROOT.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
