"""The canonical recording: writer/reader round trip and every kind of bad input."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from analysis.errors import OutputExistsError, RecordingFormatError
from analysis.recording.schema import ACC_COLUMNS, GYR_COLUMNS, REQUIRED_COLUMNS
from analysis.recording.streams import CalibrationWindows, Marker, SessionMeta, samples_from_streams
from sensors.formats.canonical import (
    CanonicalAppender,
    read_recording,
    sidecar_path,
    write_new_file,
    write_recording,
)

HEADER = ",".join(REQUIRED_COLUMNS)


def _samples(n: int = 20, sensors=("right_thigh", "right_shank")) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for k, label in enumerate(sensors):
        t = np.arange(n) / 100.0 + k * 0.001
        df = pd.DataFrame({"t_s": t, "sensor": label})
        for c in (*ACC_COLUMNS, *GYR_COLUMNS):
            df[c] = rng.normal(size=n)
        rows.append(df)
    return pd.concat(rows, ignore_index=True).sort_values("t_s", kind="stable", ignore_index=True)


def _write(tmp_path, text: str, name: str = "rec.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_round_trip_with_sidecar(tmp_path):
    df = _samples()
    df["q_w"], df["q_x"], df["q_y"], df["q_z"] = 1.0, 0.0, 0.0, 0.0
    df["device_ticks"] = np.arange(len(df))
    meta = SessionMeta(
        exercise="standing_hamstring",
        side="right",
        calibration=CalibrationWindows(static_s=(0.0, 0.1), functional_s=(0.1, 0.19)),
        markers=(Marker(t_s=0.05, label="heel"),),
        extra={"packets": {"corrupt": 2}},
    )
    path = write_recording(tmp_path / "s.csv", df, meta)
    rec = read_recording(path)
    assert rec.placements == ("right_thigh", "right_shank")
    assert rec.n_samples == len(df)
    s = rec.stream("right_shank")
    ref = df[df.sensor == "right_shank"]
    assert np.allclose(s.acc_m_s2, ref[list(ACC_COLUMNS)].to_numpy(), atol=1e-5)
    assert np.allclose(s.gyr_rad_s, ref[list(GYR_COLUMNS)].to_numpy(), atol=1e-6)
    assert s.quat is not None
    assert s.mag_ut is None
    assert rec.meta.markers[0].label == "heel"
    assert rec.meta.calibration.functional_s == (0.1, 0.19)
    assert rec.meta.extra == {"packets": {"corrupt": 2}}
    assert json.loads(sidecar_path(path).read_text())["format"] == "stretchguard-session/1"


def test_gzip_round_trip_is_byte_stable(tmp_path):
    df = _samples()
    a = write_recording(tmp_path / "a.csv.gz", df)
    b = write_recording(tmp_path / "b.csv.gz", df)
    assert a.read_bytes() == b.read_bytes()
    assert read_recording(a).n_samples == len(df)


def test_never_overwrites(tmp_path):
    df = _samples()
    p = write_recording(tmp_path / "s.csv", df)
    before = p.read_bytes()
    with pytest.raises(OutputExistsError, match="refusing to overwrite"):
        write_recording(p, df.iloc[:3])
    with pytest.raises(OutputExistsError):
        CanonicalAppender(p)
    assert p.read_bytes() == before


def test_appender_output_reads_back(tmp_path):
    p = tmp_path / "live.csv"
    with CanonicalAppender(p) as app:
        app.append(
            {
                "t_s": i / 50,
                "sensor": "pelvis",
                **dict.fromkeys(ACC_COLUMNS, 0.1),
                **dict.fromkeys(GYR_COLUMNS, 0.0),
            }
            for i in range(10)
        )
        app.flush()
        assert read_recording(p).n_samples == 10
    assert app.rows_written == 10


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"rec.csv:1: file is empty"),
        ("\n\n", r"rec.csv:1: file is empty"),
        (
            "t_s,sensor,acc_x_m_s2,acc_y_m_s2,acc_z_m_s2,gyr_x_rad_s,gyr_y_rad_s\n0,pelvis,0,0,9.8,0,0\n",
            r"rec.csv:1: missing required column\(s\) gyr_z_rad_s",
        ),
        (
            "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n1,2,3,4,5,6\n",
            r"rec.csv:1: not a stretchguard recording",
        ),
        (HEADER + "\n", r"rec.csv:2: no samples"),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,abc,9.8,0,0,0\n",
            r"rec.csv:3: column 'acc_y_m_s2': 'abc' is not a number",
        ),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,elbow,0,0,9.8,0,0,0\n",
            r"rec.csv:3: column 'sensor': unknown sensor label 'elbow'",
        ),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,0,9.8,0,,0\n",
            r"rec.csv:3: column 'gyr_y_rad_s': empty, NaN",
        ),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,0,NaN,0,0,0\n",
            r"rec.csv:3: column 'acc_z_m_s2': empty, NaN",
        ),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.02,pelvis,0,0,9.8,0,0,0\n"
            "0.02,right_foot,0,0,9.8,0,0,0\n0.01,pelvis,0,0,9.8,0,0,0\n",
            r"rec.csv:5: column 't_s': time of sensor 'pelvis' does not increase: 0.01 s after "
            r"0.02 s at line 3",
        ),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,0,9.8,0,0,0,7\n",
            r"rec.csv:3: row has 9 fields; expected 8",
        ),
        (
            HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n\n0.01,pelvis,0,x,9.8,0,0,0\n",
            r"rec.csv:4: column 'acc_y_m_s2'",
        ),
        (HEADER + ",t_s\n0,pelvis,0,0,9.8,0,0,0,0\n", r"rec.csv:1: duplicate column\(s\) t_s"),
    ],
    ids=[
        "empty",
        "blank",
        "missing-column",
        "foreign-csv",
        "header-only",
        "non-numeric",
        "unknown-sensor",
        "empty-required",
        "nan-required",
        "time-backwards",
        "extra-field",
        "blank-line-numbering",
        "duplicate-column",
    ],
)
def test_bad_input_names_file_line_and_column(tmp_path, text, pattern):
    with pytest.raises(RecordingFormatError, match=pattern):
        read_recording(_write(tmp_path, text))


def test_truncated_last_row_is_dropped_with_warning(tmp_path):
    text = HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,0,9.8,0,0,0\n0.02,pelv"
    rec = read_recording(_write(tmp_path, text))
    assert rec.n_samples == 2
    assert any("incomplete last row" in w for w in rec.warnings)


def test_missing_newline_on_complete_last_row_is_kept(tmp_path):
    text = HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,0,9.8,0,0,0"
    assert read_recording(_write(tmp_path, text)).n_samples == 2


def test_unknown_columns_are_ignored_with_warning(tmp_path):
    text = HEADER + ",temperature_c\n0.00,pelvis,0,0,9.8,0,0,0,31\n"
    rec = read_recording(_write(tmp_path, text))
    assert "temperature_c" not in samples_from_streams(rec.streams).columns
    assert any("temperature_c" in w for w in rec.warnings)


def test_rows_unsorted_across_sensors_are_sorted(tmp_path):
    text = HEADER + "\n0.02,pelvis,0,0,9.8,0,0,0\n0.01,right_foot,0,0,9.8,0,0,0\n"
    rec = read_recording(_write(tmp_path, text))
    assert list(samples_from_streams(rec.streams).t_s) == [0.01, 0.02]


def test_bad_sidecar(tmp_path):
    p = _write(tmp_path, HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n")
    sidecar_path(p).write_text('{"format": "stretchguard-session/1",\n "side": "up"}')
    with pytest.raises(
        RecordingFormatError, match=r"rec\.json: key 'side': expected 'left' or 'right', found "
    ):
        read_recording(p)
    sidecar_path(p).write_text('{"calibration": {"static_s": [3, 1]}}')
    with pytest.raises(RecordingFormatError, match=r"calibration\.static_s"):
        read_recording(p)
    sidecar_path(p).write_text('{"format": ')
    with pytest.raises(RecordingFormatError, match=r"rec.json:1: invalid JSON"):
        read_recording(p)


def test_not_gzip(tmp_path):
    p = tmp_path / "x.csv.gz"
    p.write_bytes(b"plain text")
    with pytest.raises(RecordingFormatError, match="not a readable gzip"):
        read_recording(p)
    q = tmp_path / "y.csv.gz"
    q.write_bytes(gzip.compress(b""))
    with pytest.raises(RecordingFormatError, match="file is empty"):
        read_recording(q)


@pytest.mark.parametrize("name", ["fast.csv", "fast.csv.gz"])
def test_fast_reader_matches_the_strict_parser(tmp_path, name):
    from analysis.recording.streams import Recording, streams_from_samples
    from sensors.formats.canonical import parse_canonical_csv, read_file_bytes

    df = _samples(n=300, sensors=("pelvis", "right_thigh", "right_foot"))
    df["mag_x_ut"], df["mag_y_ut"], df["mag_z_ut"] = 20.0, -3.0, -40.0
    df.loc[df.sensor == "pelvis", ["mag_x_ut", "mag_y_ut", "mag_z_ut"]] = np.nan  # no mag there
    df["device_ticks"] = np.arange(len(df))
    path = write_recording(tmp_path / name, df)
    fast = read_recording(path)
    strict = Recording(
        streams=streams_from_samples(parse_canonical_csv(read_file_bytes(path), source=path)[0])
    )
    assert fast.stream("pelvis").acc_m_s2.dtype == np.float32  # the fast path was taken
    assert fast.placements == strict.placements
    for label in fast.placements:
        a, b = fast.stream(label), strict.stream(label)
        assert np.array_equal(a.t_s, b.t_s)
        assert np.allclose(a.acc_m_s2, b.acc_m_s2, atol=1e-6)
        assert np.allclose(a.gyr_rad_s, b.gyr_rad_s, atol=1e-6)
        assert (a.mag_ut is None) == (b.mag_ut is None) == (label == "pelvis")
        assert np.array_equal(a.device_ticks, b.device_ticks)
    assert len(samples_from_streams(fast.streams)) == len(df)  # the long table, made on demand


def test_whole_file_read_equals_the_streamed_read(tmp_path, monkeypatch):
    """A small plain file is parsed at once on Arrow's threads: the same arrays as streamed."""
    import sensors.formats.canonical as canonical

    df = _samples(n=30_000, sensors=("pelvis", "right_thigh", "right_shank", "right_foot"))
    path = write_recording(tmp_path / "whole.csv", df)
    monkeypatch.setattr(canonical, "_FAST_BLOCK_BYTES", 1 << 16)  # many blocks, both ways
    whole = read_recording(path)
    monkeypatch.setattr(canonical, "PARALLEL_READ_MAX_BYTES", 0)
    streamed = read_recording(path)
    assert whole.placements == streamed.placements
    assert whole.warnings == streamed.warnings
    for label in whole.placements:
        a, b = whole.stream(label), streamed.stream(label)
        for field in ("t_s", "acc_m_s2", "gyr_rad_s"):
            x, y = getattr(a, field), getattr(b, field)
            assert x.dtype == y.dtype, (label, field)
            assert np.array_equal(x, y), (label, field)
    assert whole.stream("pelvis").acc_m_s2.dtype == np.float32  # the fast reader, not the strict


def test_fast_reader_hands_irregular_files_to_the_strict_parser(tmp_path):
    text = HEADER + "\n0.00,pelvis,0,0,9.8,0,0,0\n0.01,pelvis,0,0,9.8,0,0,0\n0.02,pelv"
    gz = tmp_path / "cut.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    rec = read_recording(gz)
    assert rec.n_samples == 2
    assert any("incomplete last row" in w for w in rec.warnings)


def test_write_new_file_never_replaces_a_file(tmp_path):
    path = tmp_path / "report.html"
    assert write_new_file(path, b"first") == path
    with pytest.raises(OutputExistsError):
        write_new_file(path, b"second")
    assert path.read_bytes() == b"first"


def test_a_gzip_that_unpacks_past_the_cap_is_refused(tmp_path):
    import zlib

    from sensors.formats.canonical import GZIP_MAX_BYTES, read_file_bytes

    # a real (small) gzip bomb: 64 MiB of zeros in about 64 KB, read with a 1 MiB cap
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [comp.compress(bytes(1 << 20)) for _ in range(64)] + [comp.flush()]
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(b"".join(parts))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(RecordingFormatError, match=f"unpacks to more than {1 << 20} bytes"):
        read_file_bytes(bomb, cap_bytes=1 << 20)
    assert GZIP_MAX_BYTES <= 1 << 30  # the cap when none is given
    # two members, then zero padding: both are read
    two = tmp_path / "two.txt.gz"
    two.write_bytes(gzip.compress(b"a\n") + gzip.compress(b"b\n") + bytes(16))
    assert read_file_bytes(two) == b"a\nb\n"
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(gzip.compress(b"x" * 1000)[:-12])
    with pytest.raises(RecordingFormatError, match="not a readable gzip"):
        read_file_bytes(cut)
