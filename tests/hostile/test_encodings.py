"""Exports in another text encoding than UTF-8.

A spreadsheet's "Unicode text" export (and some Windows tools) write UTF-16. The format
detection decoded the first bytes as UTF-8, saw NUL bytes and called the file
``'<binary data>'`` of an unknown format; it now says what the file is and what to do.
Latin-1 files keep their error naming the line and the byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.detect import detect_format
from sensors.formats.merge import read_streams
from tests.vendor_writers import write_movella_dot, write_phyphox


def _dot_text(folder: Path) -> str:
    t = np.arange(120) / 60.0
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (120, 1))
    acc = np.tile([0.0, 0.0, 9.81], (120, 1))
    p = write_movella_dot(folder / "src.csv", t_s=t, quat=quat, acc_m_s2=acc, gyr_rad_s=0 * acc)
    return p.read_text(encoding="utf-8")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_export_is_named_as_utf16(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "dot.csv"
    path.write_bytes(_dot_text(tmp_path).encode(codec))
    with pytest.raises(RecordingFormatError, match=r"dot\.csv:1: UTF-16 text .*expected UTF-8"):
        detect_format(path)


def test_a_latin1_export_names_the_line_and_byte(tmp_path: Path) -> None:
    t = np.arange(50) / 100.0
    path = write_phyphox(tmp_path / "acc.csv", t_s=t, values=np.zeros((50, 3)), kind="acc")
    path.write_bytes(path.read_bytes().replace(b"(m/s^2)", "(m/s²)".encode("latin-1"), 1))
    with pytest.raises(RecordingFormatError, match=r"acc\.csv:1: not UTF-8 text \(byte 0xb2\)"):
        read_streams(path)


def test_a_utf8_export_is_still_detected(tmp_path: Path) -> None:
    path = tmp_path / "dot.csv"
    path.write_text(_dot_text(tmp_path), encoding="utf-8")
    assert detect_format(path) == "movella_dot"


@pytest.mark.parametrize("rows", [200, 40_000])  # one block, and the long (block) reader
def test_an_export_cut_inside_a_character_of_its_last_row_loses_that_row_only(
    tmp_path: Path, rows: int
) -> None:
    # a recorder killed while writing a device name "Küche": the file ends inside the "ü".
    # Before round 16 the whole file was refused ("not UTF-8 text (byte 0xc3)").
    from sensors.formats.witmotion import read_witmotion
    from tests.vendor_writers import write_witmotion

    t = np.arange(rows) / 100.0
    acc = np.tile([0.0, 0.0, 9.81], (rows, 1))
    path = write_witmotion(
        tmp_path / "wit.csv", t_s=t, acc_m_s2=acc, gyr_rad_s=0 * acc, device="WT901-Küche"
    )
    raw = path.read_bytes()
    cut = raw.rfind("ü".encode()) + 1  # inside the last row's ü
    path.write_bytes(raw[:cut])
    (stream,) = read_witmotion(path)
    assert len(stream.t_s) == rows - 1
    assert any("incomplete last row dropped" in w for w in stream.warnings)


def test_a_broken_character_before_the_last_line_is_still_an_error(tmp_path: Path) -> None:
    t = np.arange(50) / 100.0
    path = write_phyphox(tmp_path / "acc.csv", t_s=t, values=np.zeros((50, 3)), kind="acc")
    raw = path.read_bytes()
    path.write_bytes(raw[:-30] + b"\xc3" + raw[-30:])
    with pytest.raises(RecordingFormatError, match=r"acc\.csv:51: not UTF-8 text \(byte 0xc3\)"):
        read_streams(path)
