"""``stretchguard export --opensim``: OpenSense orientations and OpenSim coordinates.

The round trip runs OpenSense (``opensim`` extra) on the exported orientations of a simulated
session and compares its hip and knee with stretchguard's; it skips when opensim is absent.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.angles import rotations as rot
from analysis.simulation import SimulationConfig, simulate
from cli.main import EXIT_DATA, EXIT_OK, main
from sensors.formats.canonical import write_recording
from stretchguard.opensim_export import Q_O_E, coordinates_table

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOLERANCE_DEG = {
    "hip_flexion_r": 0.5,
    "hip_adduction_r": 0.5,
    "hip_rotation_r": 0.5,
    "knee_angle_r": 0.5,
    "ankle_angle_r": 0.5,
}
"""OpenSense IK on the exported orientations vs stretchguard's angles: RMS difference (deg)
over 40 s of the exercise, hip, knee and ankle (measured: 0.03–0.12°)."""


def _read_table(path: Path) -> pd.DataFrame:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "endheader") + 1
    return pd.read_csv(path, sep="\t", skiprows=start)


def test_q_O_E_sends_up_to_y_and_north_to_minus_z():
    np.testing.assert_allclose(rot.rotate(Q_O_E, [0.0, 0.0, 1.0]), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(rot.rotate(Q_O_E, [0.0, 1.0, 0.0]), [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(rot.rotate(Q_O_E, [1.0, 0.0, 0.0]), [1, 0, 0], atol=1e-12)


def test_coordinate_names_and_signs():
    angles = pd.DataFrame(
        {
            "t_s": [0.0, 0.01],
            "right_hip_flexion_deg": [30.0, 31.0],
            "right_knee_flexion_deg": [20.0, 21.0],
            "right_ankle_dorsiflexion_deg": [-10.0, -9.0],
            "pelvis_anterior_tilt_deg": [5.0, 6.0],
            "lumbar_flexion_deg": [8.0, 7.0],
        }
    )
    table = coordinates_table(angles)
    assert list(table.columns) == [
        "time",
        "pelvis_tilt",
        "lumbar_extension",
        "hip_flexion_r",
        "knee_angle_r",
        "ankle_angle_r",
    ]
    assert table.loc[0, "knee_angle_r"] == -20.0  # gait2392: flexion negative
    assert coordinates_table(angles, knee="rajagopal").loc[0, "knee_angle_r"] == 20.0
    assert table.loc[0, "pelvis_tilt"] == -5.0
    assert table.loc[0, "lumbar_extension"] == -8.0
    assert table.loc[0, "ankle_angle_r"] == -10.0


def test_export_writes_three_new_files(tmp_path, capsys):
    src = FIXTURES / "demo_standing_stretch.csv.gz"
    code = main(["export", str(src), "--opensim", "--out", str(tmp_path)])
    assert code == EXIT_OK
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "demo_standing_stretch_calibration.sto",
        "demo_standing_stretch_ik.mot",
        "demo_standing_stretch_orientations.sto",
    ]
    sto = _read_table(tmp_path / "demo_standing_stretch_orientations.sto")
    assert list(sto.columns) == [
        "time",
        "pelvis_imu",
        "torso_imu",
        "femur_r_imu",
        "tibia_r_imu",
        "calcn_r_imu",
    ]
    q = np.array([[float(v) for v in cell.split(",")] for cell in sto["femur_r_imu"]])
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
    mot = _read_table(tmp_path / "demo_standing_stretch_ik.mot")
    assert "knee_angle_r" in mot.columns
    # the hold: knee bent ~18° → knee_angle_r ≈ −18 (gait2392 sign)
    hold = (mot["time"] > 65) & (mot["time"] < 85)
    assert -25 < mot.loc[hold, "knee_angle_r"].median() < -10
    # never overwritten, and nothing half-written when one of the three exists
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert main(["export", str(src), "--opensim", "--out", str(tmp_path)]) == EXIT_DATA
    assert "already exists" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "demo_standing_stretch_ik.mot").write_text("mine")
    assert main(["export", str(src), "--opensim", "--out", str(other)]) == EXIT_DATA
    assert sorted(p.name for p in other.iterdir()) == ["demo_standing_stretch_ik.mot"]


# --- OpenSense round trip -----------------------------------------------------------------


def _owned(fn):
    fn.thisown = False  # the joint adopts the function; Python must not free it too
    return fn


def _leg_model(osim, *, thigh_m: float, shank_m: float):
    """Free pelvis, Z-X'-Y'' hip (hip_flexion_r, hip_adduction_r, hip_rotation_r), pin knee
    (knee_angle_r, −flexion) and pin ankle (ankle_angle_r); ISB body frames, so every
    coordinate 0 is the quiet stand."""
    model = osim.Model()
    zero = osim.Vec3(0)

    def body(name: str, mass: float):
        b = osim.Body(name, mass, zero, osim.Inertia(0.05, 0.05, 0.05))
        model.addBody(b)
        return b

    pelvis, femur, tibia, calcn = (
        body("pelvis", 11),
        body("femur_r", 8),
        body("tibia_r", 3.5),
        body("calcn_r", 1.2),
    )
    model.addJoint(
        osim.FreeJoint("ground_pelvis", model.getGround(), zero, zero, pelvis, zero, zero)
    )
    st = osim.SpatialTransform()
    for i, (name, axis) in enumerate(
        (
            ("hip_flexion_r", (0, 0, 1)),
            ("hip_adduction_r", (1, 0, 0)),
            ("hip_rotation_r", (0, 1, 0)),
        )
    ):
        ax = st.updTransformAxis(i)
        names = osim.ArrayStr()
        names.append(name)
        ax.setCoordinateNames(names)
        ax.set_axis(osim.Vec3(*axis))
        ax.set_function(_owned(osim.LinearFunction(1.0, 0.0)))
    for i, axis in zip((3, 4, 5), ((1, 0, 0), (0, 1, 0), (0, 0, 1)), strict=True):
        ax = st.updTransformAxis(i)
        ax.set_axis(osim.Vec3(*axis))
        ax.set_function(_owned(osim.Constant(0.0)))
    hip = osim.Vec3(-0.07, -0.07, 0.085)
    model.addJoint(osim.CustomJoint("hip_r", pelvis, hip, zero, femur, zero, zero, st))
    knee = osim.PinJoint("knee_r", femur, osim.Vec3(0, -thigh_m, 0), zero, tibia, zero, zero)
    ankle = osim.PinJoint("ankle_r", tibia, osim.Vec3(0, -shank_m, 0), zero, calcn, zero, zero)
    model.addJoint(knee)
    model.addJoint(ankle)
    model.finalizeConnections()
    knee.getCoordinate().setName("knee_angle_r")
    ankle.getCoordinate().setName("ankle_angle_r")
    coords = model.getCoordinateSet()
    for i in range(coords.getSize()):
        c = coords.get(i)
        c.setRangeMin(-math.pi)
        c.setRangeMax(math.pi)
        c.setDefaultClamped(False)
    return model


@pytest.mark.slow
def test_opensense_ik_on_the_export_agrees_with_stretchguard(tmp_path):
    osim = pytest.importorskip("opensim", reason="opensim not installed (extra 'opensim')")
    osim.Logger.setLevelString("error")
    sensors = ("pelvis", "right_thigh", "right_shank", "right_foot")
    sim = simulate("standing_correct", config=SimulationConfig(sensors=sensors, seed=21))
    rec = write_recording(tmp_path / "s.csv.gz", sim.samples, sim.meta)
    out = tmp_path / "osim"
    assert main(["export", str(rec), "--opensim", "--out", str(out)]) == EXIT_OK
    body = sim.config.body
    model = _leg_model(osim, thigh_m=body.thigh_length_m, shank_m=body.shank_length_m)
    model.printToXML(str(tmp_path / "leg.osim"))
    placer = osim.IMUPlacer()
    placer.set_model_file(str(tmp_path / "leg.osim"))
    placer.set_orientation_file_for_calibration(str(out / "s_calibration.sto"))
    placer.set_sensor_to_opensim_rotations(osim.Vec3(0, 0, 0))
    placer.set_output_model_file(str(tmp_path / "leg_calibrated.osim"))
    assert placer.run(False)
    ik = osim.IMUInverseKinematicsTool()
    ik.set_model_file(str(tmp_path / "leg_calibrated.osim"))
    ik.set_orientations_file(str(out / "s_orientations.sto"))
    ik.set_sensor_to_opensim_rotations(osim.Vec3(0, 0, 0))
    ik.set_results_directory(str(tmp_path / "ik"))
    start, end = 40.0, 80.0  # into the stretch and the hold
    ik.set_time_range(0, start)
    ik.set_time_range(1, end)
    ik.run(False)
    theirs = _read_table(next((tmp_path / "ik").glob("ik_*.mot")))
    ours = _read_table(out / "s_ik.mot")
    # OpenSense's IK writes its coordinates at the orientation file's times
    merged = pd.merge_asof(theirs, ours, on="time", suffixes=("_ik", ""), tolerance=0.006)
    for name, tol in TOLERANCE_DEG.items():
        diff = (merged[f"{name}_ik"] - merged[name]).dropna()
        assert len(diff) > 0.9 * len(theirs)
        rms = float(np.sqrt(np.mean(diff**2)))
        print(f"{name}: OpenSense vs stretchguard RMS {rms:.3f} deg over {len(diff)} frames")
        assert rms < tol, f"{name}: OpenSense vs stretchguard RMS {rms:.2f}° (limit {tol}°)"
    shutil.rmtree(tmp_path / "ik", ignore_errors=True)
