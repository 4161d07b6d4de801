"""Long vendor exports are read and written a block at a time, with the same results.

``parse_table`` parses a table longer than ``BLOCK_CHARS`` in blocks of whole lines (a long
DOT export straight from its bytes), ``read_vendor_session`` checks the merged streams on the
arrays, and ``write_streams`` writes the canonical recording a window of rows at a time. Each
is compared here with the whole-table path it replaces, with the block sizes made small so
that short files cross many blocks.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from analysis.recording.streams import (
    SensorStream,
    check_streams,
    samples_from_streams,
    streams_from_samples,
    validate_samples,
)
from sensors.formats import canonical, merge, vendor
from sensors.formats.metabase import read_metabase
from sensors.formats.movella_dot import free_acc_from_specific_force, read_movella_dot
from sensors.formats.phyphox import read_phyphox
from sensors.formats.witmotion import read_witmotion
from tests.vendor_writers import write_metabase, write_movella_dot, write_phyphox, write_witmotion

WHOLE = 1 << 40
"""A block size no test table reaches: the whole parse."""


def _parse(text: str | bytes, blocks: int, monkeypatch: pytest.MonkeyPatch, **kw) -> object:
    monkeypatch.setattr(vendor, "BLOCK_CHARS", blocks)
    try:
        return vendor.parse_table(text, path=Path("x.csv"), delimiter=",", **kw)
    except RecordingFormatError as exc:
        return str(exc)


def _same_table(a: object, b: object) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert isinstance(a, vendor.Table)
    assert isinstance(b, vendor.Table)
    assert a.warnings == b.warnings
    np.testing.assert_array_equal(a.lines, b.lines)
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        np.testing.assert_array_equal(a.columns[name], b.columns[name])


def _table(rows: int, *, blank_every: int = 0, cut: bool = False) -> str:
    body = [f"{i},{i * 0.25:.2f},dev{i % 3}" for i in range(rows)]
    if blank_every:
        for k in range(len(body) - 1, 0, -blank_every):
            body.insert(k, "  ")
    text = "pre:,amble\na,b,c\n" + "\n".join(body) + "\n"
    return text + "99,1.5" if cut else text


@pytest.mark.parametrize("blocks", [40, 97, 1000])
@pytest.mark.parametrize(
    "text",
    [
        _table(500),
        _table(500, blank_every=7),
        _table(500, cut=True),
        _table(500).rstrip("\n"),
        _table(500) + "\n\n\n",
        _table(500).replace("\n", "\r\n"),
    ],
    ids=["plain", "blank lines", "cut last row", "no final newline", "blank tail", "crlf"],
)
def test_block_wise_parse_equals_the_whole_one(blocks, text, monkeypatch):
    start = text.index("a,b,c")
    kw = {"header_line": 2, "numeric": ["a", "b"], "text_columns": ["c"], "start": start}
    whole = _parse(text, WHOLE, monkeypatch, **kw)
    assert isinstance(whole, vendor.Table)
    _same_table(_parse(text, blocks, monkeypatch, **kw), whole)
    raw = text.encode()
    if vendor.long_plain_text(raw) is None and "\r" not in text:
        monkeypatch.setattr(vendor, "BLOCK_CHARS", blocks)
        assert vendor.long_plain_text(raw) == raw
    # a long export's bytes as the readers hand them over (CR-LF lines too)
    _same_table(_parse(raw, blocks, monkeypatch, **kw), whole)


@pytest.mark.parametrize(
    "bad",
    [
        ("400,100.00,dev1", "400,x,dev1"),  # not a number, late in the file
        ("400,100.00,dev1", "400,100.00"),  # a field missing
        ("400,100.00,dev1", '"400,100.00,dev1'),  # a stray quote
        ("300,75.00,dev0", "300,nan,dev0"),
    ],
    ids=["text", "fields", "quote", "nan"],
)
def test_block_wise_parse_reports_the_whole_parses_error(bad, monkeypatch):
    text = _table(500).replace(bad[0] + "\n", bad[1] + "\n")
    kw = {"header_line": 1, "numeric": ["a", "b"], "text_columns": ["c"], "start": 0}
    text = text[text.index("a,b,c") :]
    whole = _parse(text, WHOLE, monkeypatch, **kw)
    assert isinstance(whole, str)
    row = int(bad[0].split(",")[0])
    assert f":{row + 2}:" in whole  # the header is line 1
    assert _parse(text, 64, monkeypatch, **kw) == whole
    assert _parse(text.encode(), 64, monkeypatch, **kw) == whole


def _dot(tmp_path: Path, make_session, name: str = "RTibia_20260101_000000_000.csv") -> Path:
    session = make_session(60.0)
    st = session.stream("right_shank")
    q = session.q_E_S["right_shank"]
    free = free_acc_from_specific_force(q, st.acc_m_s2)
    return write_movella_dot(tmp_path / name, t_s=st.t_s, quat=q, free_acc_m_s2=free)


def _same_stream(a: vendor.VendorStream, b: vendor.VendorStream) -> None:
    for f in dataclasses.fields(vendor.VendorStream):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y, f.name


def test_a_long_dot_export_is_read_as_it_was_whole(tmp_path, make_session, monkeypatch):
    path = _dot(tmp_path, make_session)
    monkeypatch.setattr(vendor, "BLOCK_CHARS", WHOLE)
    whole = read_movella_dot(path)
    monkeypatch.setattr(vendor, "BLOCK_CHARS", 333)
    assert vendor.long_plain_text(path.read_bytes()) is not None  # the bytes path is taken
    _same_stream(read_movella_dot(path), whole)


def test_a_long_dot_export_that_is_not_utf8_names_the_line(tmp_path, make_session, monkeypatch):
    path = _dot(tmp_path, make_session)
    raw = path.read_bytes().split(b"\n")
    raw[300] = raw[300].replace(b",", b",\xff", 1)
    path.write_bytes(b"\n".join(raw))
    messages = []
    for blocks in (WHOLE, 333):
        monkeypatch.setattr(vendor, "BLOCK_CHARS", blocks)
        with pytest.raises(RecordingFormatError) as err:
            read_movella_dot(path)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert ":301:" in messages[0]
    assert "UTF-8" in messages[0]


def _streams() -> dict[str, SensorStream]:
    rng = np.random.default_rng(3)
    t = np.round(np.arange(0.0, 30.0, 0.01), 6)
    out = {}
    for k, label in enumerate(("pelvis", "right_thigh", "right_shank")):
        tk = t[k % 2 :: 1 + k % 2]  # two sensors share time stamps; one is at half the rate
        n = tk.size
        q = rng.normal(size=(n, 4))
        out[label] = SensorStream(
            placement=label,
            t_s=tk,
            acc_m_s2=rng.normal(0, 5, (n, 3)),
            gyr_rad_s=rng.normal(0, 2, (n, 3)),
            mag_ut=rng.normal(0, 30, (n, 3)) if label == "pelvis" else None,
            quat=q / np.linalg.norm(q, axis=1, keepdims=True) if k else None,
            device_ticks=None if label == "right_thigh" else np.arange(n, dtype=np.int64) + 7,
        )
    return out


@pytest.mark.parametrize("name", ["rec.csv", "rec.csv.gz"])
@pytest.mark.parametrize("rows", [257, 5000, 1 << 16])
def test_streams_written_a_window_at_a_time_are_the_same_bytes(tmp_path, monkeypatch, name, rows):
    streams = _streams()
    old = canonical.write_recording(tmp_path / "old" / name, samples_from_streams(streams))
    monkeypatch.setattr(canonical, "WRITE_ROWS", rows)
    new = canonical.write_streams(tmp_path / "new" / name, streams)
    assert new.read_bytes() == old.read_bytes()


@pytest.fixture(autouse=True)
def _folders(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()


def test_streams_checked_on_the_arrays_are_those_of_the_long_table():
    streams = _streams()
    checked = check_streams(streams)
    long = streams_from_samples(validate_samples(samples_from_streams(streams)))
    assert list(checked) == list(long)
    for label, s in long.items():
        for f in dataclasses.fields(SensorStream):
            x, y = getattr(checked[label], f.name), getattr(s, f.name)
            if isinstance(y, np.ndarray):
                assert x.dtype == y.dtype
                np.testing.assert_array_equal(x, y)
            else:
                assert x == y


@pytest.mark.parametrize(
    "spoil",
    [
        lambda s: dataclasses.replace(s, t_s=np.where(np.arange(len(s)) == 50, s.t_s[49], s.t_s)),
        lambda s: dataclasses.replace(s, acc_m_s2=np.where(s.acc_m_s2 > 9, 1e6, s.acc_m_s2)),
        lambda s: dataclasses.replace(s, gyr_rad_s=np.where(s.gyr_rad_s > 3, np.nan, s.gyr_rad_s)),
        lambda s: dataclasses.replace(s, quat=s.quat * 1.5),
    ],
    ids=["time repeats", "acc out of range", "gyro nan", "quaternion norm"],
)
def test_a_bad_merged_stream_fails_as_the_long_table_does(spoil):
    streams = _streams()
    streams["right_shank"] = spoil(streams["right_shank"])
    with pytest.raises(RecordingFormatError):
        check_streams(streams)
    with pytest.raises(RecordingFormatError) as long_error:
        validate_samples(samples_from_streams(streams))
    with pytest.raises(RecordingFormatError) as merged_error:
        merge._validated(streams)
    assert str(merged_error.value) == str(long_error.value)
    with pytest.raises(RecordingFormatError) as analysis_error:  # the analysis' read
        merge._validated(streams, float32=True)
    assert str(analysis_error.value) == str(long_error.value)


def test_a_long_metabase_export_is_read_as_it_was_whole(tmp_path, monkeypatch):
    t = 1_547_472_169.751 + np.arange(3000) / 100.0
    values = np.random.default_rng(5).normal(0, 1, (3000, 3))
    path = write_metabase(tmp_path, "Accelerometer", t, values, rate_hz=100.0)
    monkeypatch.setattr(vendor, "BLOCK_CHARS", WHOLE)
    whole = read_metabase(path)
    monkeypatch.setattr(vendor, "BLOCK_CHARS", 999)
    assert vendor.long_plain_text(path.read_bytes()) is not None  # the bytes path is taken
    _same_stream(read_metabase(path), whole)


def test_file_bytes_answer_as_the_bytes_do(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    data = bytes(rng.choice(list(b"ab\r\n,"), 20_000).tolist())
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    monkeypatch.setattr(vendor.FileBytes, "CHUNK", 97)  # many chunk edges
    monkeypatch.setattr(vendor, "BLOCK_CHARS", 10)
    fb = vendor.long_plain_file(path) or vendor.FileBytes(path, os.open(path, os.O_RDONLY), 20_000)
    for sub in (b"\n", b"\r\n", b"\r"):
        for a, b in ((0, None), (5, 4000), (123, 19_999), (15_000, None)):
            assert fb.find(sub, a, b) == data.find(sub, a, b)
            assert fb.rfind(sub, a, b) == data.rfind(sub, a, b)
            assert fb.count(sub, a, b) == data.count(sub, a, b)
    assert fb[10:300] == data[10:300]
    assert fb[19_990:] == data[19_990:]
    assert bytes(fb) == data
    assert fb.endswith(data[-3:])
    assert fb.startswith(data[:4])
    assert (b"abab" in fb) == (b"abab" in data)
    assert len(fb) == len(data)


def _crlf(path: Path) -> Path:
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def test_long_crlf_exports_are_read_from_the_file_as_they_were_whole(
    tmp_path, make_session, monkeypatch
):
    """A long export with CR-LF line ends (WitMotion's) is parsed from the file a block at a
    time, as the whole decoded text was; a lone CR still sends it to the whole parse."""
    session = make_session(60.0)
    st = session.stream("right_shank")
    wit = _crlf(
        write_witmotion(
            tmp_path / "wit.csv", t_s=st.t_s, acc_m_s2=st.acc_m_s2, gyr_rad_s=st.gyr_rad_s
        )
    )
    dot = _crlf(_dot(tmp_path, make_session))
    for path, read in ((wit, lambda p: read_witmotion(p)[0]), (dot, read_movella_dot)):
        monkeypatch.setattr(vendor, "BLOCK_CHARS", WHOLE)
        whole = read(path)
        monkeypatch.setattr(vendor, "BLOCK_CHARS", 333)
        assert isinstance(vendor.long_plain_file(path), vendor.FileBytes)  # read as parsed
        _same_stream(read(path), whole)
    raw = wit.read_bytes()
    assert vendor.long_plain_text(raw.replace(b"\r\n", b"\r", 1)) is None
    assert vendor.long_plain_text(b"\xef\xbb\xbf" + raw) is None


@pytest.mark.parametrize(
    ("delimiter", "decimal_comma"), [(",", False), (";", True)], ids=["comma", "decimal comma"]
)
def test_a_long_phyphox_export_is_read_as_it_was_whole(
    tmp_path, monkeypatch, delimiter, decimal_comma
):
    """A long phyphox CSV is parsed from its bytes a block at a time, not decoded whole."""
    t = np.arange(3000) / 100.0
    values = np.random.default_rng(7).normal(0, 1, (3000, 3))
    path = write_phyphox(
        tmp_path / "Gyroscope.csv",
        t_s=t,
        values=values,
        kind="gyr",
        delimiter=delimiter,
        decimal_comma=decimal_comma,
    )
    monkeypatch.setattr(vendor, "BLOCK_CHARS", WHOLE)
    (whole,) = read_phyphox(path)
    monkeypatch.setattr(vendor, "BLOCK_CHARS", 999)
    assert vendor.long_plain_text(path.read_bytes()) is not None  # the bytes path is taken
    (blocks,) = read_phyphox(path)
    _same_stream(blocks, whole)


def _resident_kb(arr: np.ndarray) -> int:
    """Resident kB of the mapping that holds ``arr`` (``/proc/self/smaps``)."""
    start = arr.__array_interface__["data"][0]
    kb, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and ":" not in head:
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= start < hi
        elif inside and head == "Rss:":
            kb = int(line.split()[1])
    return kb


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs /proc/self/smaps")
def test_import_spills_long_samples_and_writes_the_same_bytes(tmp_path, make_session, monkeypatch):
    """``import`` keeps a long session's samples in temporary files until they are written
    (``canonical.spilled``); the recording and sidecar are the bytes written from memory."""
    folder = tmp_path / "dot"
    folder.mkdir()
    _dot(folder, make_session)
    written = []
    for spill_from in (WHOLE, 0):
        monkeypatch.setattr(canonical, "SPILL_MIN_BYTES", spill_from)
        rec = merge.read_vendor_session([folder], spill=True)
        quat = rec.streams["right_shank"].quat
        assert (quat.base is not None and not quat.flags.writeable) == (spill_from == 0)
        out = tmp_path / f"spill{spill_from}.csv.gz"
        canonical.write_streams(out, rec.streams, rec.meta)
        if spill_from == 0:  # mapped from a file: the writer handed its pages back
            assert _resident_kb(quat) == 0
            assert np.isfinite(quat).all()  # read in again
            assert _resident_kb(quat) > 0
            canonical.release_spilled(quat)
            assert _resident_kb(quat) == 0
        np.testing.assert_array_equal(quat, rec.streams["right_shank"].quat)  # read again
        written.append((out.read_bytes(), canonical.sidecar_path(out).read_bytes()))
    assert written[0] == written[1]
