"""A sensor that stops measuring and repeats its last sample: a recorded gap, not a reading.

A frozen sensor (its firmware or exporter repeating one row) was analysed as if it measured:
with the demo's right shank frozen for 20 s, the ankle read a steady 13° there and the verdict
was confident. Repeats of all six axes for a second or more are now a gap (reason "frozen"):
the angles that need the sensor are left empty there and the report says so.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.angles.timebase import frozen_runs, to_uniform_grid, without_frozen
from analysis.recording.streams import SensorStream
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"


def _noisy(n: int = 500, rate_hz: float = 100.0, seed: int = 0) -> SensorStream:
    rng = np.random.default_rng(seed)
    acc = np.array([0.0, 0.0, 9.81]) + rng.normal(0.0, 0.02, (n, 3))
    gyr = rng.normal(0.0, 0.005, (n, 3))
    return SensorStream("right_shank", np.arange(n) / rate_hz, acc, gyr)


def _frozen(s: SensorStream, first: int, last: int) -> SensorStream:
    """``s`` with rows ``first + 1 .. last`` repeating row ``first``."""
    acc, gyr = s.acc_m_s2.copy(), s.gyr_rad_s.copy()
    acc[first + 1 : last + 1] = acc[first]
    gyr[first + 1 : last + 1] = gyr[first]
    return SensorStream(s.placement, s.t_s, acc, gyr)


def test_a_run_of_repeats_longer_than_a_second_is_found() -> None:
    s = _frozen(_noisy(), 100, 250)  # 1.5 s of repeats
    assert frozen_runs(s) == [(100, 251)]


def test_short_repeats_and_noise_are_not_frozen() -> None:
    assert frozen_runs(_noisy()) == []
    assert frozen_runs(_frozen(_noisy(), 100, 150)) == []  # 0.5 s


def test_an_ideal_sensor_at_rest_is_not_frozen() -> None:
    n = 500
    s = SensorStream(
        "pelvis", np.arange(n) / 100.0, np.tile([0, 0, 9.81], (n, 1)), np.zeros((n, 3))
    )
    assert frozen_runs(s) == []


def test_repeats_to_the_end_end_the_run_at_the_last_row() -> None:
    s = _frozen(_noisy(), 300, 499)
    assert frozen_runs(s) == [(300, 499)]
    kept, spans = without_frozen(s)
    assert len(kept) == 302
    assert spans == [(3.0, 4.99)]


def test_the_grid_marks_the_repeats_as_a_frozen_gap() -> None:
    s = _frozen(_noisy(), 100, 250)
    u = to_uniform_grid({"right_shank": s}, rate_hz=100.0)
    (gap,) = u.gaps
    assert (gap.reason, gap.start_s, gap.end_s) == ("frozen", 1.0, 2.51)
    valid = u.streams["right_shank"].valid
    assert valid[100]
    assert not valid[101:251].any()
    assert valid[251]
    # bridged like a dropout: the frozen rate is not integrated across the gap
    gyr = u.streams["right_shank"].gyr_rad_s
    assert not np.all(gyr[101:251] == s.gyr_rad_s[100])


def _frozen_demo(folder: Path, sensor: str, between_s: tuple[float, float]) -> Path:
    lines = gzip.decompress(DEMO.read_bytes()).decode().splitlines()
    out, held = [lines[0]], None
    for line in lines[1:]:
        cells = line.split(",")
        if cells[1] == sensor and between_s[0] <= float(cells[0]) < between_s[1]:
            held = held or cells[2:8]
            cells[2:8] = held
        out.append(",".join(cells))
    rec = folder / "rec.csv"
    rec.write_text("\n".join(out) + "\n")
    shutil.copy(DEMO.with_name("demo_standing_stretch.json"), folder / "rec.json")
    return rec


def test_a_frozen_shank_leaves_its_angles_empty_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _frozen_demo(tmp_path, "right_shank", (45.0, 65.0))
    assert main(["analyse", str(rec), "--out", str(tmp_path / "out")]) in (0, 1)
    assert "Traceback" not in capsys.readouterr().err
    report = (tmp_path / "out" / "report.html").read_text()
    assert "right_shank: the same sample repeated for 20.00 s from 45.00 s" in report
    angles = pd.read_csv(tmp_path / "out" / "angles.csv")
    inside = angles[(angles.t_s > 45.5) & (angles.t_s < 64.5)]
    assert inside["right_ankle_dorsiflexion_deg"].isna().all()
    assert inside["right_knee_flexion_deg"].isna().all()
    outside = angles[(angles.t_s > 66.0) & (angles.t_s < 70.0)]
    assert outside["right_knee_flexion_deg"].notna().all()
