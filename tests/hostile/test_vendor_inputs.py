"""Mangled vendor exports: a stray quote, a clock past the u32 range.

The shared table reader (``sensors.formats.vendor.parse_table``) hands the rows to Arrow's CSV
parser. A stray ``"`` at the start of one row of a file larger than Arrow's 1 MB block made
it swallow thousands of rows without an error (a WitMotion export of 88 000 rows lost 2 678
of them, 6.7 s of all four sensors, silently); the Python csv module then named the line
before the bad one.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.metabase import read_metabase
from sensors.formats.movella_dot import read_movella_dot
from sensors.formats.vendor import parse_table
from stretchguard.inputs import load_recording
from tests.vendor_writers import write_metabase, write_movella_dot


def _table(rows: int, quote_at: int) -> str:
    header = ",".join(f"h{i}" for i in range(28))
    body = [",".join(str(i * 1000 + j) for j in range(28)) for i in range(rows)]
    body[quote_at] = '"' + body[quote_at]
    return header + "\n" + "\n".join(body) + "\n"


@pytest.mark.parametrize(("rows", "quote_at"), [(20_000, 10_000), (20_000, 100), (3_000, 1_500)])
def test_a_stray_quote_is_an_error_at_its_line_never_rows_lost(rows: int, quote_at: int) -> None:
    text = _table(rows, quote_at)
    with pytest.raises(RecordingFormatError, match=f":{quote_at + 2}: "):  # header is line 1
        parse_table(text, path=Path("x.csv"), header_line=1, delimiter=",", numeric=["h1"])


def test_a_clean_table_of_many_blocks_keeps_every_row() -> None:
    text = _table(20_000, 0).replace('"', "", 1)
    table = parse_table(text, path=Path("x.csv"), header_line=1, delimiter=",", numeric=["h1"])
    assert table.floats("h1").shape == (20_000,)
    assert table.floats("h1")[-1] == 19_999_001.0


def test_a_dot_clock_past_the_u32_range_is_shown_as_a_number(tmp_path: Path) -> None:
    t = np.arange(200) / 60.0
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (200, 1))
    free = np.zeros((200, 3))
    path = write_movella_dot(tmp_path / "dot.csv", t_s=t, quat=quat, free_acc_m_s2=free)
    lines = path.read_bytes().split(b"\n")
    row = next(i for i, ln in enumerate(lines) if ln.startswith(b"PacketCounter")) + 100
    cells = lines[row].split(b",")
    cells[1] = b"4294980249"
    lines[row] = b",".join(cells)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(RecordingFormatError) as err:
        read_movella_dot(path)
    assert "4294980249 is not an unsigned 32-bit integer" in str(err.value)
    assert "np." not in str(err.value)


@pytest.mark.parametrize("offset", ["99:00", "-24:00", "12:60", "+24:00"])
def test_a_metabase_time_zone_no_clock_has_is_an_error_at_the_header(
    tmp_path: Path, offset: str
) -> None:
    # "time (99:00)" ended in an internal error (Python's timezone takes less than 24 h);
    # "12:60" was read as 13:00 without a word.
    t = 1_700_000_000.0 + np.arange(50) / 50.0
    path = write_metabase(
        tmp_path, "Accelerometer", t, np.tile([0.0, 0.0, 9.8], (50, 1)), rate_hz=50.0
    )
    path.write_text(path.read_text().replace("time (01:00)", f"time ({offset})", 1))
    with pytest.raises(
        RecordingFormatError, match=r":1: header .time \(.*\).: not a time zone; expected"
    ):
        read_metabase(path)


@pytest.mark.parametrize(("scale", "shift_ms"), [(1000.0, 0.0), (1e6, 0.0), (1.0, -1e14)])
def test_a_metabase_clock_that_is_no_unix_time_in_ms_is_an_error_at_its_line(
    tmp_path: Path, scale: float, shift_ms: float
) -> None:
    # epoch (ms) written in microseconds (×1000) put the start in the year 55840 (and 1e14 ms
    # before 1970 in the year -1200): the start time's datetime ended in an internal error
    # before round 16
    t = 1_700_000_000.0 + np.arange(50) / 50.0
    path = write_metabase(
        tmp_path, "Accelerometer", t, np.tile([0.0, 0.0, 9.8], (50, 1)), rate_hz=50.0
    )
    lines = path.read_text().splitlines(keepends=True)
    body = [
        f"{int(ln.split(',', 1)[0]) * scale + shift_ms:.0f},{ln.split(',', 1)[1]}"
        for ln in lines[1:]
    ]
    path.write_text(lines[0] + "".join(body))
    with pytest.raises(
        RecordingFormatError,
        match=r":2: column 'epoch \(ms\)': .* is not a Unix time in milliseconds",
    ):
        read_metabase(path)


@pytest.mark.parametrize(
    ("offset", "minutes"), [("-13:00", -780), ("+14:00", 840), ("05:45", 345), ("-23:59", -1439)]
)
def test_every_time_zone_in_use_is_read(tmp_path: Path, offset: str, minutes: int) -> None:
    t = 1_700_000_000.0 + np.arange(50) / 50.0
    path = write_metabase(
        tmp_path, "Accelerometer", t, np.tile([0.0, 0.0, 9.8], (50, 1)), rate_hz=50.0
    )
    path.write_text(path.read_text().replace("time (01:00)", f"time ({offset})", 1))
    stream = read_metabase(path)
    assert stream.started_at is not None
    offset_s = datetime.fromisoformat(stream.started_at).utcoffset()
    assert offset_s is not None
    assert offset_s.total_seconds() == minutes * 60


def test_special_files_among_a_folders_exports_are_named_never_dropped_silently(
    tmp_path: Path,
) -> None:
    # A FIFO, a link to /dev/zero, a dangling link and a folder named like exports were passed
    # over without a word (the folder's other .csv files were read, the sidecar's notes did not
    # say what was left out), though an unreadable .csv there is an error. The commands' reader
    # also dropped the note on a .txt that is no export (a licence) the docs promise.
    t = np.arange(200) / 60.0
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (200, 1))
    write_movella_dot(tmp_path / "Pelvis_1.csv", t_s=t, quat=quat, free_acc_m_s2=0 * quat[:, 1:])
    os.mkfifo(tmp_path / "RFemur_2.csv")
    (tmp_path / "RTibia_3.csv").symlink_to("/dev/zero")
    (tmp_path / "RFoot_4.csv").symlink_to(tmp_path / "gone.csv")
    (tmp_path / "LFemur_5.csv").mkdir()
    (tmp_path / "LICENSE.txt").write_text("MIT")
    rec = load_recording([tmp_path])
    assert list(rec.streams) == ["pelvis"]
    assert "ignored LICENSE.txt: not a supported export (a .txt file in the folder)" in rec.warnings
    skipped = [w for w in rec.warnings if "not a regular file: skipped" in w]
    assert [w.split(":")[0] for w in skipped] == [
        "ignored LFemur_5.csv",
        "ignored RFemur_2.csv",
        "ignored RFoot_4.csv",
        "ignored RTibia_3.csv",
    ]
    assert "named pipe" in skipped[1]


def test_a_whole_read_of_a_long_export_takes_every_byte_past_one_preads_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linux's pread returns at most about 2 GiB: the whole read of a 2.2-GB export (its
    # error path: a stray quote, a block that is not UTF-8) said "the file changed while it
    # was read" before round 16. Here pread is cut at 1000 bytes, as Linux cuts at 2 GiB.
    from sensors.formats import vendor

    path = tmp_path / "long.csv"
    data = b"".join(b"%d,%d\n" % (i, i * 7) for i in range(100_000))
    path.write_bytes(data)
    pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, at: pread(fd, min(n, 1000), at))
    text = vendor.FileBytes(path, os.open(path, os.O_RDONLY), len(data))
    assert bytes(text) == data
    assert text[5:123_456] == data[5:123_456]
