"""``stretchguard import`` end to end, and the input loader shared by commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ConfigError
from analysis.recording.streams import samples_from_streams
from cli.common import load_recording
from cli.main import EXIT_CONFIG, EXIT_DATA, EXIT_OK, main
from sensors.formats.canonical import read_recording, write_recording
from tests.vendor_writers import write_metabase

MAC = "C4:27:32:BE:25:5C"


def _metabase_export(folder: Path, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    t = 1_700_000_000.0 + np.arange(n) / 50.0
    acc = rng.normal(size=(n, 3)) + np.array([0.0, 0.0, 9.81])
    gyr = rng.normal(scale=0.5, size=(n, 3))
    folder.mkdir(parents=True, exist_ok=True)
    write_metabase(folder, "Accelerometer", t, acc, rate_hz=50.0, mac=MAC)
    write_metabase(folder, "Gyroscope", t, gyr, rate_hz=50.0, mac=MAC)
    return acc, gyr


def test_import_writes_recording_and_sidecar(tmp_path, capsys):
    acc, gyr = _metabase_export(tmp_path / "in")
    out = tmp_path / "rec.csv.gz"
    code = main(
        [
            "import",
            str(tmp_path / "in"),
            "--sensor",
            f"{MAC}=right_shank",
            "--out",
            str(out),
            "--side",
            "right",
        ]
    )
    assert code == EXIT_OK
    stdout = capsys.readouterr().out
    assert "right_shank" in stdout
    assert "wrote" in stdout
    rec = read_recording(out)
    s = rec.stream("right_shank")
    # MetaBase rounding (0.001 g, 0.001 deg/s) plus the canonical file's (1e-5, 1e-6)
    np.testing.assert_allclose(s.acc_m_s2, acc, atol=0.0005 * 9.80665 + 5e-6)
    np.testing.assert_allclose(s.gyr_rad_s, gyr, atol=np.deg2rad(0.0005) + 5e-7)
    side = json.loads((tmp_path / "rec.json").read_text())
    assert side["side"] == "right"
    assert side["sensors"]["right_shank"]["family"] == "mbientlab"
    assert {x["format"] for x in side["import"]["sources"]} == {"metabase"}
    assert rec.meta.extra["import"]["sources"][0]["rows"] == 300


def test_import_never_overwrites(tmp_path, capsys):
    _metabase_export(tmp_path / "in")
    out = tmp_path / "rec.csv"
    out.write_text("precious\n")
    code = main(
        ["import", str(tmp_path / "in"), "--sensor", f"{MAC}=right_shank", "--out", str(out)]
    )
    assert code == EXIT_DATA
    assert "refusing to overwrite" in capsys.readouterr().err
    assert out.read_text() == "precious\n"
    assert not (tmp_path / "rec.json").exists()


def test_import_errors_exit_codes(tmp_path, capsys):
    _metabase_export(tmp_path / "in")
    out = str(tmp_path / "o.csv")
    assert main(["import", str(tmp_path / "in"), "--out", out]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("stretchguard: error: no placement for sensor(s) C4:27:32:BE:25:5C")
    assert err.count("\n") == 1
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    assert main(["import", str(junk), "--out", out]) == EXIT_DATA
    assert "junk.csv:1: unknown file format" in capsys.readouterr().err
    bad = ["import", str(tmp_path / "in"), "--sensor", f"{MAC}=right_shank", "--out"]
    assert main([*bad, str(tmp_path / "o.txt")]) == EXIT_CONFIG
    assert not Path(out).exists()


def test_import_with_a_toml_mapping(tmp_path):
    _metabase_export(tmp_path / "in")
    toml = tmp_path / "sensors.toml"
    toml.write_text(f'[sensors]\n"{MAC}" = "left_thigh"\n"RTibia*" = "right_shank"\n')
    out = tmp_path / "r.csv"
    assert main(["import", str(tmp_path / "in"), "--sensor-map", str(toml), "--out", str(out)]) == 0
    assert read_recording(out).placements == ("left_thigh",)


@pytest.mark.shared
def test_import_real_dot_export(shared_dir: Path, tmp_path, capsys):
    out = tmp_path / "dot.csv"
    assert main(["import", str(shared_dir / "vendor-samples" / "movella"), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "left_thigh: 138 gap(s)" in stdout
    side = json.loads((tmp_path / "dot.json").read_text())
    assert len([g for g in side["gaps"] if g["sensor"] == "left_thigh"]) == 138
    assert side["orientation_source"]["left_thigh"] == "vendor_quaternion"
    rec = read_recording(out)
    assert rec.stream("left_thigh").quat is not None
    assert len(rec.stream("left_thigh")) == 195


def test_load_recording_accepts_one_canonical_file_or_vendor_files(tmp_path):
    _metabase_export(tmp_path / "in")
    from cli.common import SensorMapping

    rec = load_recording([tmp_path / "in"], mapping=SensorMapping.from_options([f"{MAC}=pelvis"]))
    assert rec.placements == ("pelvis",)
    canon = write_recording(tmp_path / "c.csv", samples_from_streams(rec.streams))
    assert load_recording(canon).placements == ("pelvis",)
    with pytest.raises(ConfigError, match="give it alone"):
        load_recording([canon, *sorted((tmp_path / "in").iterdir())])
