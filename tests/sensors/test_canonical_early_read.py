"""Parsing a canonical CSV early (while the analyser imports): the same recording, or none."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest

import sensors.formats.canonical as canonical
from analysis.errors import RecordingFormatError
from analysis.recording.schema import ACC_COLUMNS, GYR_COLUMNS
from sensors.formats.canonical import read_recording, start_early_read, write_recording


def _samples(n: int = 2_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k, label in enumerate(("pelvis", "right_thigh")):
        df = pd.DataFrame({"t_s": np.arange(n) / 100.0 + k * 0.001, "sensor": label})
        for c in (*ACC_COLUMNS, *GYR_COLUMNS):
            df[c] = rng.normal(size=n)
        df["device_ticks"] = np.arange(n)
        rows.append(df)
    return pd.concat(rows, ignore_index=True).sort_values("t_s", kind="stable", ignore_index=True)


@pytest.fixture
def parses(monkeypatch):
    """How many times Arrow parsed a whole file."""
    calls = []
    real = pacsv.read_csv

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(canonical.pacsv, "read_csv", counting)
    yield calls
    canonical._EARLY_READS.clear()


def _same(a, b) -> None:
    assert a.placements == b.placements
    assert a.warnings == b.warnings
    for label in a.placements:
        x, y = a.stream(label), b.stream(label)
        for field in ("t_s", "acc_m_s2", "gyr_rad_s"):
            assert getattr(x, field).dtype == getattr(y, field).dtype
            assert np.array_equal(getattr(x, field), getattr(y, field)), (label, field)
        assert (x.device_ticks is None) == (y.device_ticks is None)


@pytest.mark.parametrize("device_ticks", [False, True])
def test_the_early_table_is_used_once_and_gives_the_same_recording(tmp_path, parses, device_ticks):
    path = write_recording(tmp_path / "s.csv", _samples())
    usual = read_recording(path, device_ticks=device_ticks)
    assert len(parses) == 1
    assert start_early_read(path, device_ticks=device_ticks)
    early = read_recording(path, device_ticks=device_ticks)
    assert len(parses) == 2  # the early parse, taken by the read instead of its own
    _same(early, usual)
    again = read_recording(path, device_ticks=device_ticks)  # nothing left over: parses anew
    assert len(parses) == 3
    _same(again, usual)


def test_other_columns_are_not_served_the_early_table(tmp_path, parses):
    path = write_recording(tmp_path / "s.csv", _samples())
    assert start_early_read(path, device_ticks=False)
    rec = read_recording(path, device_ticks=True)
    assert len(parses) == 2  # the early table lacks device_ticks: parsed again
    assert rec.stream("pelvis").device_ticks is not None


def test_a_file_replaced_after_the_start_is_read_as_it_is_now(tmp_path, parses):
    path = write_recording(tmp_path / "s.csv", _samples(seed=1))
    assert start_early_read(path, device_ticks=False)
    new = tmp_path / "new.csv"
    write_recording(new, _samples(seed=2))
    new.replace(path)  # another inode (and size or time): not the parsed file
    rec = read_recording(path, device_ticks=False)
    _same(rec, read_recording(path, device_ticks=False))
    other = _samples(seed=2)
    first = other[other.sensor == "pelvis"]["acc_x_m_s2"].to_numpy()[:5]
    assert np.allclose(rec.stream("pelvis").acc_m_s2[:5, 0], first, atol=1e-5)


def test_a_bad_file_reports_the_same_error_as_without(tmp_path, parses):
    df = _samples(n=50)
    path = write_recording(tmp_path / "bad.csv", df)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[7] = lines[7].replace(",", ",x", 1)  # an unknown sensor label on line 8
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(RecordingFormatError) as usual:
        read_recording(path)
    assert start_early_read(path, device_ticks=True)
    with pytest.raises(RecordingFormatError) as early:
        read_recording(path)
    assert str(early.value) == str(usual.value)
    assert "bad.csv:8:" in str(early.value)


def test_not_started_where_the_read_would_not_parse_whole(tmp_path, parses, monkeypatch):
    df = _samples(n=50)
    gz = write_recording(tmp_path / "s.csv.gz", df)
    assert not start_early_read(gz)
    torn = write_recording(tmp_path / "torn.csv", df)
    torn.write_bytes(torn.read_bytes()[:-5])  # ends mid-row
    assert not start_early_read(torn)
    other = tmp_path / "vendor.csv"
    other.write_text("time,ax,ay,az\n0,1,2,3\n", encoding="utf-8")
    assert not start_early_read(other)
    assert not start_early_read(tmp_path / "missing.csv")
    assert not start_early_read(tmp_path)  # a folder
    big = write_recording(tmp_path / "big.csv", df)
    monkeypatch.setattr(canonical, "PARALLEL_READ_MAX_BYTES", big.stat().st_size - 1)
    assert not start_early_read(big)
    assert parses == []
    assert gzip.decompress(gz.read_bytes())  # untouched
