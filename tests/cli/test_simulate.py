"""``stretchguard simulate``: files written, never overwritten, same bytes as write_recording."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from analysis.recording.schema import ANGLE_COLUMNS, GRAVITY_M_S2
from analysis.simulation import SimulationConfig, list_scenarios, simulate
from cli.cmd_simulate import output_paths
from cli.main import main
from sensors.formats.canonical import read_recording, write_recording

SENSORS = "pelvis,right_thigh,right_shank"


def test_list_names_every_scenario_once(capsys):
    assert main(["simulate", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == list(list_scenarios())
    assert all(" s  " in ln for ln in lines)  # natural duration then the description


def test_help_explains_the_outputs(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in (
        "truth.csv",
        "truth.json",
        "sidecar",
        "--perfect",
        "--aligned",
        "--duration-s",
        "--imu-errors",
    ):
        assert word in out


def test_writes_recording_sidecar_and_truth(tmp_path, capsys):
    out = tmp_path / "sess.csv.gz"
    rc = main(
        [
            "simulate",
            "standing_dorsiflexion",
            "--out",
            str(out),
            "--seed",
            "3",
            "--sensors",
            SENSORS,
        ]
    )
    assert rc == 0
    assert "wrote" in capsys.readouterr().out
    paths = output_paths(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())
    rec = read_recording(out)
    assert rec.placements == ("pelvis", "right_thigh", "right_shank")
    assert rec.meta.exercise == "standing_hamstring"
    assert rec.meta.side == "right"
    assert rec.meta.calibration is not None
    assert rec.meta.calibration.static_s == (0.0, 4.0)
    assert [m.label for m in rec.meta.markers] == ["tingling in the heel"]
    assert {info.family for info in rec.meta.sensors.values()} == {"simulator"}
    truth = pd.read_csv(paths["truth_csv"])
    assert list(truth.columns) == ["t_s", *ANGLE_COLUMNS]
    np.testing.assert_allclose(truth["t_s"], np.arange(len(truth)) / 100.0, atol=1e-9)
    doc = json.loads(paths["truth_json"].read_text(encoding="utf-8"))
    assert doc["format"] == "stretchguard-truth/1"
    assert doc["scenario"] == "standing_dorsiflexion"
    kinds = {e["kind"] for e in doc["events"]}
    assert {"phase", "movement", "hold", "violation", "marker"} <= kinds
    assert set(doc["sensors"]) == set(rec.placements)
    assert doc["config"]["seed"] == 3


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_bytes_equal_write_recording_of_the_in_memory_session(tmp_path, suffix):
    out = tmp_path / f"a{suffix}"
    # a small chunk size exercises the chunked writer
    args = ["simulate", "seated_slider", "--out", str(out), "--seed", "5", "--sensors", SENSORS]
    assert main([*args, "--chunk-s", "7"]) == 0
    s = simulate(
        "seated_slider",
        config=SimulationConfig(seed=5, sensors=("pelvis", "right_thigh", "right_shank")),
    )
    ref = tmp_path / "ref" / f"b{suffix}"
    ref.parent.mkdir()
    write_recording(ref, s.samples, s.meta)
    assert out.read_bytes() == ref.read_bytes()
    assert output_paths(out)["sidecar"].read_text() == output_paths(ref)["sidecar"].read_text()


def test_never_overwrites_and_leaves_nothing_behind(tmp_path, capsys):
    out = tmp_path / "x.csv"
    truth_json = output_paths(out)["truth_json"]
    truth_json.write_text("precious", encoding="utf-8")
    rc = main(["simulate", "standing_l", "--out", str(out), "--sensors", "pelvis"])
    assert rc == 4
    assert "refusing to overwrite" in capsys.readouterr().err
    assert truth_json.read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.truth.json"]


def test_perfect_aligned_sensor_reads_gravity_on_its_up_axis(tmp_path):
    out = tmp_path / "p.csv"
    assert (
        main(
            [
                "simulate",
                "standing_correct",
                "--out",
                str(out),
                "--perfect",
                "--aligned",
                "--sensors",
                "pelvis",
                "--rate-hz",
                "50",
            ]
        )
        == 0
    )
    rec = read_recording(out)
    s = rec.stream("pelvis")
    assert s.median_rate_hz == pytest.approx(50.0)
    quiet = s.t_s < 4.0
    # sway moves the pelvis a little; the aligned y axis points up
    np.testing.assert_allclose(s.acc_m_s2[quiet].mean(axis=0), [0.0, GRAVITY_M_S2, 0.0], atol=0.05)
    assert not any(g.sensor == "pelvis" for g in rec.meta.gaps)


def test_magnetometer_columns_on_request(tmp_path):
    out = tmp_path / "m.csv"
    assert (
        main(["simulate", "standing_l", "--out", str(out), "--with-mag", "--sensors", "right_foot"])
        == 0
    )
    s = read_recording(out).stream("right_foot")
    assert s.mag_ut is not None
    field = np.linalg.norm(s.mag_ut, axis=1)
    assert np.median(field) == pytest.approx(np.hypot(20.0, 44.0), abs=3.0)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["simulate"], 2, "give a SCENARIO"),
        (["simulate", "standing_l"], 2, "give a SCENARIO"),
        (["simulate", "nope", "--out", "{d}/a.csv"], 5, "unknown scenario"),
        (["simulate", "standing_l", "--out", "{d}/a.txt"], 5, "expected a file name ending"),
        (["simulate", "standing_l", "--out", "{d}/a.csv", "--sensors", "knee"], 5, "placement"),
        (["simulate", "standing_l", "--out", "{d}/a.csv", "--duration-s", "10"], 5, "shorter"),
        (["simulate", "standing_l", "--out", "{d}/a.csv", "--rate-hz", "-1"], 5, "rate_hz"),
    ],
)
def test_bad_arguments_fail_cleanly(tmp_path, capsys, args, code, message):
    argv = [a.replace("{d}", str(tmp_path)) for a in args]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_long_session_uses_fast_compression_but_same_content(tmp_path, monkeypatch):
    import cli.cmd_simulate as cmd

    monkeypatch.setattr(cmd, "FAST_GZIP_ABOVE_S", 10.0)
    a, b = tmp_path / "fast.csv.gz", tmp_path / "ref" / "slow.csv"
    b.parent.mkdir()
    common = ["simulate", "standing_l", "--sensors", "right_shank", "--seed", "2"]
    assert main([*common, "--out", str(a)]) == 0
    assert main([*common, "--out", str(b)]) == 0
    assert gzip.decompress(a.read_bytes()) == b.read_bytes()
    assert a.read_bytes()[9:10] == b"\x03"  # zlib's gzip header, as gzip.compress writes


def test_imu_errors_commodity_adds_the_datasheet_preset(tmp_path, capsys):
    base = ["standing_l", "--seed", "4", "--sensors", "pelvis,right_shank"]
    assert main(["simulate", *base, "--out", str(tmp_path / "d.csv")]) == 0
    assert (
        main(["simulate", *base, "--out", str(tmp_path / "c.csv"), "--imu-errors", "commodity"])
        == 0
    )
    plain = json.loads(output_paths(tmp_path / "d.csv")["truth_json"].read_text(encoding="utf-8"))
    comm = json.loads(output_paths(tmp_path / "c.csv")["truth_json"].read_text(encoding="utf-8"))
    errors = comm["config"]["errors"]
    assert errors["acc_bias_sigma_m_s2"] == pytest.approx(0.040 * GRAVITY_M_S2)
    assert errors["gyr_bias_sigma_rad_s"] == pytest.approx(np.deg2rad(3.0))
    assert errors["acc_scale_sigma"] == errors["acc_cross_axis_sigma"] == 0.01
    assert "acc_scale_sigma" not in plain["config"]["errors"]
    # the same session otherwise: same truth, other sensor readings
    d = pd.read_csv(output_paths(tmp_path / "d.csv")["truth_csv"])
    c = pd.read_csv(output_paths(tmp_path / "c.csv")["truth_csv"])
    pd.testing.assert_frame_equal(d, c)
    a_d = read_recording(tmp_path / "d.csv").stream("right_shank").acc_m_s2
    a_c = read_recording(tmp_path / "c.csv").stream("right_shank").acc_m_s2
    assert a_d.shape == a_c.shape
    assert not np.allclose(a_d, a_c, atol=0.01)


def test_imu_errors_refuses_perfect_and_unknown_presets(tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert (
        main(
            ["simulate", "standing_l", "--out", str(out), "--perfect", "--imu-errors", "commodity"]
        )
        == 5  # a configuration error
    )
    assert "--perfect" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "standing_l", "--out", str(out), "--imu-errors", "cheap"])
    assert exc.value.code == 2
    assert "commodity" in capsys.readouterr().err
