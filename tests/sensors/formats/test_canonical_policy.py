"""The canonical reader under the input policy: fast path kept, limits, times, sidecar vs data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.canonical import read_recording

HEADER = "t_s,sensor,acc_x_m_s2,acc_y_m_s2,acc_z_m_s2,gyr_x_rad_s,gyr_y_rad_s,gyr_z_rad_s"


def _rows(n: int = 300, rate_hz: float = 100.0) -> list[str]:
    rows = []
    for k in range(n):
        for j, label in enumerate(("pelvis", "right_thigh")):
            t = k / rate_hz + j * 0.002
            rows.append(f"{t:.6f},{label},0.1,9.81,0.2,0.01,-0.02,{0.001 * (k % 7):.3f}")
    return rows


def _write(tmp_path: Path, rows: list[str], *, end: str = "\n", name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + "\n" + "\n".join(rows) + end, encoding="utf-8")
    return p


def test_torn_last_line_is_dropped_on_the_fast_path(tmp_path: Path) -> None:
    rows = _rows()
    p = _write(tmp_path, [*rows, "3.000000,pelvis,0.1,9."], end="")
    rec = read_recording(p)
    # streamed into float32 arrays, not the in-memory strict parser (float64)
    assert rec.stream("pelvis").acc_m_s2.dtype == np.float32
    assert rec.n_samples == len(rows)
    assert any("incomplete last row dropped" in w for w in rec.warnings)
    whole = read_recording(_write(tmp_path, rows, name="w.csv"))
    np.testing.assert_array_equal(rec.stream("pelvis").t_s, whole.stream("pelvis").t_s)


def test_a_complete_last_row_without_newline_is_kept(tmp_path: Path) -> None:
    rows = _rows()
    rec = read_recording(_write(tmp_path, rows, end=""))
    assert rec.n_samples == len(rows)
    assert rec.warnings == ()


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_cr_and_crlf_line_ends_read_like_lf(tmp_path: Path, ending: str) -> None:
    rows = _rows()
    lf = read_recording(_write(tmp_path, rows, name="lf.csv"))
    p = tmp_path / "cr.csv"
    p.write_text(ending.join([HEADER, *rows]) + ending, encoding="utf-8", newline="")
    other = read_recording(p)
    fast = other.stream("pelvis").acc_m_s2.dtype == np.float32  # the fast path reads float32
    assert fast == (ending == "\r\n")  # CR-LF stays on the fast path
    for label in lf.placements:
        # float64 (strict path) against float32 (fast path): equal to float32 resolution
        np.testing.assert_allclose(other.stream(label).acc_m_s2, lf.stream(label).acc_m_s2, 1e-7)


@pytest.mark.parametrize(
    ("cell", "column", "words"),
    [
        ("1e39", "acc_y_m_s2", "outside the sensor range"),
        ("3.5e38", "acc_y_m_s2", "outside the sensor range"),
        ("-197", "acc_y_m_s2", "outside the sensor range"),
        ("1e400", "acc_y_m_s2", "infinite"),
    ],
)
def test_values_beyond_the_sensor_range_name_line_and_column(
    tmp_path: Path, cell: str, column: str, words: str
) -> None:
    rows = _rows()
    cells = rows[100].split(",")
    cells[3] = cell
    rows[100] = ",".join(cells)
    with pytest.raises(RecordingFormatError, match=words) as info:
        read_recording(_write(tmp_path, rows))
    assert (info.value.line, info.value.column) == (102, column)


def test_gyro_at_full_scale_is_accepted(tmp_path: Path) -> None:
    rows = _rows()
    rows[100] = rows[100].rsplit(",", 1)[0] + ",34.9"  # 2000 °/s
    assert read_recording(_write(tmp_path, rows)).n_samples == len(rows)


@pytest.mark.parametrize(
    ("t_value", "words"),
    [("1000000000", "outside the session"), ("-50", "outside the session")],
)
def test_absurd_times_are_refused(tmp_path: Path, t_value: str, words: str) -> None:
    rows = _rows()
    rows[-1] = t_value + "," + rows[-1].split(",", 1)[1]
    with pytest.raises(RecordingFormatError, match=words):
        read_recording(_write(tmp_path, rows))


def test_a_long_pause_is_kept_as_a_gap_with_a_warning(tmp_path: Path) -> None:
    rows = _rows(n=200)
    later = [f"{float(r.split(',')[0]) + 1000:.6f},{r.split(',', 1)[1]}" for r in _rows(n=200)]
    rec = read_recording(_write(tmp_path, [*rows, *later]))
    assert sum("kept as a gap" in w for w in rec.warnings) == 2  # one per sensor


def test_milliseconds_instead_of_seconds_is_refused(tmp_path: Path) -> None:
    rows = _rows(rate_hz=1e5)
    with pytest.raises(RecordingFormatError, match="at most 2000 Hz"):
        read_recording(_write(tmp_path, rows))


def _sidecar(p: Path, **doc: object) -> None:
    p.with_suffix(".json").write_text(json.dumps(doc), encoding="utf-8")


def test_calibration_window_outside_the_data_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, _rows())
    _sidecar(p, calibration={"static_s": [50.0, 55.0]})
    with pytest.raises(RecordingFormatError, match=r"calibration\.static_s.*inside the data"):
        read_recording(p)


def test_markers_and_gaps_outside_the_data_are_dropped_with_a_warning(tmp_path: Path) -> None:
    p = _write(tmp_path, _rows())
    _sidecar(
        p,
        markers=[{"t_s": 1.0, "label": "ok"}, {"t_s": 5000.0, "label": "late"}],
        gaps=[{"sensor": "head", "start_s": 1.0, "end_s": 2.0}],
    )
    rec = read_recording(p)
    assert [m.label for m in rec.meta.markers] == ["ok"]
    assert rec.meta.gaps == ()
    assert len(rec.warnings) == 2


@pytest.mark.parametrize("kind", ["fifo", "folder", "dev_zero"])
def test_a_sidecar_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    p = _write(tmp_path, _rows())
    side = p.with_suffix(".json")
    if kind == "fifo":
        os.mkfifo(side)
    elif kind == "folder":
        side.mkdir()
    else:
        side.symlink_to("/dev/zero")
    with pytest.raises(RecordingFormatError, match="sidecar is"):
        read_recording(p)


def test_a_fifo_recording_is_refused_without_blocking(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    os.mkfifo(p)
    with pytest.raises(RecordingFormatError, match="named pipe"):
        read_recording(p)


def test_a_sensor_mapping_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    from analysis.errors import ConfigError
    from sensors.formats.merge import SensorMapping

    p = tmp_path / "map.toml"
    os.mkfifo(p)
    with pytest.raises(ConfigError, match="sensor mapping is a named pipe"):
        SensorMapping.from_toml(p)
