"""A sensor whose accelerometer reads zeros: a clean one-line error, or no pose from the zeros.

A sensor switched off, unconnected or zeroed by its exporter (every raw sample 0) went through
the accelerometer's pose fit, whose still windows then had no gravity direction: NumPy's
division warnings (``invalid value encountered in divide``, three of them with file paths)
came out before the calibration's error about the quiet stand. A sensor that reads zeros only
for a while gave the same warnings and let the zeros into its pose fit.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from analysis.angles.accbias import estimate_acc_correction, still_pose_means
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"
ACC_X, GYR_Z = 2, 7  # columns of the canonical CSV: t_s, sensor, acc x y z, gyr x y z, ticks


def _zeroed(folder: Path, sensor: str, *, columns: range, between_s=(-1.0, 1e9)) -> Path:
    """The demo session with ``sensor``'s ``columns`` set to 0 between ``between_s``."""
    lines = gzip.decompress(DEMO.read_bytes()).decode().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[1] == sensor and between_s[0] < float(cells[0]) < between_s[1]:
            for c in columns:
                cells[c] = "0"
        out.append(",".join(cells))
    rec = folder / "rec.csv"
    rec.write_text("\n".join(out) + "\n")
    shutil.copy(DEMO.with_name("demo_standing_stretch.json"), folder / "rec.json")
    return rec


@pytest.mark.parametrize(
    "columns", [range(ACC_X, GYR_Z + 1), range(ACC_X, ACC_X + 3)], ids=["all", "accelerometer"]
)
def test_a_sensor_reading_zeros_throughout_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], columns: range
) -> None:
    rec = _zeroed(tmp_path, "right_shank", columns=columns)
    assert main(["analyse", str(rec), "--out", str(tmp_path / "out")]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "sensor 'right_shank'" in err
    assert "accelerometer reads 0" in err
    assert not (tmp_path / "out" / "angles.csv").exists()


def test_a_sensor_reading_zeros_for_a_while_gives_no_division_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _zeroed(tmp_path, "right_shank", columns=range(ACC_X, GYR_Z + 1), between_s=(40.0, 60.0))
    assert main(["analyse", str(rec), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "RuntimeWarning" not in err
    assert "Traceback" not in err


def test_still_windows_that_read_no_gravity_are_no_pose() -> None:
    rate_hz = 100.0
    acc = np.tile([0.1, -0.2, 9.8], (600, 1))
    acc[200:400] = 0.0  # two seconds of zeros: "still" (no rate, no spread) but no direction
    gyr = np.zeros((600, 3))
    means = still_pose_means(acc, gyr, rate_hz=rate_hz)
    assert means.shape == (4, 3)
    assert np.all(np.linalg.norm(means, axis=1) > 9.0)
    assert still_pose_means(acc[200:400], gyr[:200], rate_hz=rate_hz).shape == (0, 3)
    with np.errstate(all="raise"):
        fit = estimate_acc_correction(means)
    assert fit.poses == 1
