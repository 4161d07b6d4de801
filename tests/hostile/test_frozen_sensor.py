"""A sensor that stops measuring and repeats its last sample: a recorded gap, not a reading.

A frozen sensor (its firmware or exporter repeating one row) was analysed as if it measured:
with the demo's right shank frozen for 20 s, the ankle read a steady 13° there and the verdict
was confident. Repeats of all six axes for a second or more are now a gap (reason "frozen"):
the angles that need the sensor are left empty there and the report says so.
"""

from __future__ import annotations

import gzip
import itertools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.angles.timebase import (
    FrozenWatch,
    frozen_runs,
    to_uniform_grid,
    without_frozen,
)
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


# --- the same rule live, sample batch by sample batch ----------------------------------------


def _fed(s: SensorStream, cuts: list[int]) -> tuple[FrozenWatch, np.ndarray, np.ndarray]:
    """``s`` fed to a :class:`FrozenWatch` in batches cut at ``cuts``: what it passed on."""
    watch = FrozenWatch()
    t_out, rows_out = [], []
    for a, b in itertools.pairwise([0, *cuts, len(s)]):
        t, acc, gyr = watch.feed(s.t_s[a:b], s.acc_m_s2[a:b], s.gyr_rad_s[a:b])
        t_out.append(t)
        rows_out.append(np.column_stack([acc, gyr]))
    return watch, np.concatenate(t_out), np.concatenate(rows_out)


@pytest.mark.parametrize("cuts", [[], [120], [101, 102, 180, 250, 251], list(range(7, 500, 7))])
def test_the_live_watch_drops_what_the_offline_rule_drops(cuts: list[int]) -> None:
    s = _frozen(_frozen(_noisy(), 100, 250), 300, 340)  # 1.5 s frozen, then 0.4 s of repeats
    kept, spans = without_frozen(s)
    watch, t, rows = _fed(s, cuts)
    np.testing.assert_array_equal(t, kept.t_s)
    np.testing.assert_array_equal(rows, np.column_stack([kept.acc_m_s2, kept.gyr_rad_s]))
    assert watch.spans == spans == [(1.0, 2.51)]
    assert watch.since_s is None


def test_the_live_watch_says_frozen_from_the_first_second_of_repeats() -> None:
    s = _frozen(_noisy(), 100, 499)
    watch = FrozenWatch()
    since = []
    for a in range(0, len(s), 10):
        watch.feed(s.t_s[a : a + 10], s.acc_m_s2[a : a + 10], s.gyr_rad_s[a : a + 10])
        since.append((float(s.t_s[a + 9]), watch.since_s))
    assert all(x is None for t, x in since if t < 1.99)  # the repeats' first second: held
    assert all(x == 1.0 for t, x in since if t >= 2.0)
    assert watch.finish() == (1.0, 4.99)
    # an ideal sensor at rest (its gyroscope all zeros) never freezes
    rest = FrozenWatch()
    rest.feed(np.arange(300) / 100.0, np.tile([0, 0, 9.81], (300, 1)), np.zeros((300, 3)))
    assert rest.since_s is None
