"""Sparse files (a hole, bytes never written, is refused before it is read) and a recording
cut off inside its header row (round 16).

``truncate -s 2G rec.csv`` (or a copy or disk that lost its blocks) leaves a file whose
bytes read as zeros. Before round 16 the readers read such a file whole before finding
anything wrong: a 2-GB canonical file with a good first block took 2.1 GB and 53 s and ended
in "out of memory", a 2-GB DOT export 2.1 GB and 39 s and "the file changed while it was
read", and a file that is all hole was called UTF-16. The file system says where a hole is
(``SEEK_HOLE``) without reading it; the tests use 64 MiB holes (the same path as 2 GB).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.canonical import read_recording
from sensors.formats.detect import detect_format
from sensors.formats.merge import read_streams
from tests.vendor_writers import write_movella_dot

HOLE_BYTES = 64 << 20

HEADER = "t_s,sensor,acc_x_m_s2,acc_y_m_s2,acc_z_m_s2,gyr_x_rad_s,gyr_y_rad_s,gyr_z_rad_s\n"


def _canonical_text(rows: int = 400) -> str:
    lines = [f"{i / 100:.2f},right_thigh,0.1,0.2,9.8,0.01,0.02,0.03\n" for i in range(rows)]
    return HEADER + "".join(lines)


def _with_hole(path: Path) -> Path:
    """``path`` extended by a hole of HOLE_BYTES (skipped where the file system has none)."""
    os.truncate(path, path.stat().st_size + HOLE_BYTES)
    fd = os.open(path, os.O_RDONLY)
    try:
        has_hole = os.lseek(fd, 0, getattr(os, "SEEK_HOLE", os.SEEK_END)) < os.fstat(fd).st_size
    finally:
        os.close(fd)
    if not has_hole:
        pytest.skip("this file system does not report holes")
    return path


def test_a_canonical_recording_with_a_hole_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text())
    _with_hole(path)
    start = time.monotonic()
    with pytest.raises(RecordingFormatError, match=r"rec\.csv: holds a hole at byte \d+ "):
        read_recording(path)
    assert time.monotonic() - start < 5.0


def test_a_file_that_is_all_hole_is_no_utf16(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.touch()
    _with_hole(path)
    with pytest.raises(RecordingFormatError, match=r"holds a hole at byte 0 "):
        detect_format(path)


def test_a_vendor_export_with_a_hole_is_refused_unread(tmp_path: Path) -> None:
    t = np.arange(600) / 60.0
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (600, 1))
    acc = np.tile([0.0, 0.0, 9.81], (600, 1))
    path = write_movella_dot(
        tmp_path / "dot.csv", t_s=t, quat=quat, acc_m_s2=acc, gyr_rad_s=0 * acc
    )
    _with_hole(path)
    with pytest.raises(RecordingFormatError, match=r"dot\.csv: holds a hole at byte \d+ "):
        read_streams(path)


def test_a_sidecar_with_a_hole_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text())
    side = tmp_path / "rec.json"
    side.write_text('{"format": "stretchguard-session/1"}')
    os.truncate(side, 200 << 10)  # under the sidecar's 1 MiB cap
    fd = os.open(side, os.O_RDONLY)
    try:
        if os.lseek(fd, 0, getattr(os, "SEEK_HOLE", os.SEEK_END)) >= os.fstat(fd).st_size:
            pytest.skip("this file system does not report holes")
    finally:
        os.close(fd)
    with pytest.raises(RecordingFormatError, match=r"rec\.json: sidecar holds a hole at byte \d+ "):
        read_recording(path)


def test_a_file_without_a_hole_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text())
    rec = read_recording(path)
    assert len(rec.streams["right_thigh"]) == 400


@pytest.mark.parametrize("cut", [25, len(HEADER) - 1])
def test_a_recording_cut_in_its_header_says_so(tmp_path: Path, cut: int) -> None:
    # before round 16: "cannot parse as CSV (Could not skip initial 1 rows from CSV file,
    # either file is too short or header is larger than block size)", Arrow's words
    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text()[:cut])
    with pytest.raises(RecordingFormatError, match=r"rec\.csv:1: the file ends in its header row"):
        read_recording(path)


def test_a_sensor_of_a_single_sample_is_left_out_with_a_warning(tmp_path: Path) -> None:
    # before round 16 the analysis refused the whole session ("sensor 'right_foot' has fewer
    # than 2 samples"): the other sensors' data was lost with it
    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text() + "4.005,right_foot,0.1,0.2,9.8,0.0,0.0,0.0\n")
    rec = read_recording(path)
    assert sorted(rec.streams) == ["right_thigh"]
    assert any("'right_foot' has a single sample (at 4.005 s): left out" in w for w in rec.warnings)


def test_a_recording_of_one_sample_is_still_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text(rows=1))
    assert len(read_recording(path).streams["right_thigh"]) == 1


def test_info_of_a_one_sample_recording_shows_no_rate_not_nan(tmp_path: Path) -> None:
    from cli.cmd_info import summarise

    path = tmp_path / "rec.csv"
    path.write_text(_canonical_text(rows=1))
    text = summarise(read_recording(path))
    assert "nan" not in text
    assert "1 samples  no rate" in text
