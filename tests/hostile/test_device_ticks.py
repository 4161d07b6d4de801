"""The canonical ``device_ticks`` column beyond what a float64 counter can hold.

A ``device_ticks`` of 1e308 ended in an internal error ("cannot safely cast non-equivalent
float64 to int64") wherever the strict parser read the file (a torn ``.csv.gz``, any row the
fast reader hands over), after a NumPy ``RuntimeWarning`` on stderr; the fast reader kept it
as a meaningless integer.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.canonical import parse_canonical_csv, read_recording

HEADER = (
    "t_s,sensor,acc_x_m_s2,acc_y_m_s2,acc_z_m_s2,gyr_x_rad_s,gyr_y_rad_s,gyr_z_rad_s,device_ticks"
)


def _rows(tick: str, n: int = 50) -> str:
    rows = [f"{i / 50:.3f},pelvis,0,0,9.81,0,0,0,{i}" for i in range(n)]
    rows[10] = rows[10].rsplit(",", 1)[0] + "," + tick
    return HEADER + "\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("tick", ["1e308", "-1e300", "9007199254740993e3", "inf"])
def test_a_tick_no_counter_holds_is_an_error_at_its_cell(tick: str, tmp_path: Path) -> None:
    text = _rows(tick)
    with pytest.raises(
        RecordingFormatError, match=r":12: column 'device_ticks': .* sample counter"
    ):
        parse_canonical_csv(text.encode(), source="rec.csv")
    plain = tmp_path / "rec.csv"
    plain.write_text(text)
    with pytest.raises(RecordingFormatError, match=r"rec\.csv:12: column 'device_ticks'"):
        read_recording(plain)
    torn = tmp_path / "torn.csv.gz"  # through the strict parser
    torn.write_bytes(gzip.compress(text.encode()[:-5]))
    with pytest.raises(RecordingFormatError, match=r"torn\.csv\.gz:12: column 'device_ticks'"):
        read_recording(torn)


def test_ticks_a_counter_holds_and_empty_ones_are_read(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.write_text(_rows(str(2**53)))
    assert int(read_recording(path).stream("pelvis").device_ticks[10]) == 2**53
