"""Vendor cells that Python's ``float`` takes but that are no decimal numbers; overflows.

The shared table reader (``sensors.formats.vendor.parse_table``) lets Arrow convert a
column; when Arrow refuses a cell, the whole column went through Python's ``float``, which
reads ``1_0`` as 10 and the Arabic-Indic or full-width digit one as 1. A DOT, MetaBase,
WitMotion or phyphox export with such a cell was imported without a word, with the sample
changed (the canonical reader refuses the same cells).

A MetaBase or WitMotion value of 1e308 g (or T) overflows when converted to m/s² (µT): the
import was refused, but NumPy's RuntimeWarning put two lines of source code on stderr first.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.merge import read_streams
from sensors.formats.vendor import parse_table
from tests.vendor_writers import write_metabase, write_witmotion

TEXT = "t,acc\n0.00,1.5\n0.01,{cell}\n0.02,1.5\n"


@pytest.mark.parametrize("cell", ["1_0", "1e1_0", "\u0661", "\uff11", "2\u00b75"])
def test_a_cell_python_reads_but_csv_does_not_is_an_error_at_its_line(cell: str) -> None:
    with pytest.raises(RecordingFormatError, match=r":3: column 'acc': .* is not a finite number"):
        parse_table(
            TEXT.format(cell=cell),
            path=Path("x.csv"),
            header_line=1,
            delimiter=",",
            numeric=["t", "acc"],
        )


@pytest.mark.parametrize(("cell", "value"), [(" 2.5 ", 2.5), ("+2.5", 2.5), ("-2e-1", -0.2)])
def test_plain_decimal_cells_still_read(cell: str, value: float) -> None:
    table = parse_table(
        TEXT.format(cell=cell),
        path=Path("x.csv"),
        header_line=1,
        delimiter=",",
        numeric=["t", "acc"],
    )
    assert table.floats("acc")[1] == value


def _set_cell(path: Path, row: int, col: int, value: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def _metabase(folder: Path, sensor: str) -> Path:
    t = 1_700_000_000.0 + np.arange(300) / 100.0
    values = np.column_stack([0 * t, 0 * t, 1e-5 + 0 * t])
    return write_metabase(folder, sensor, t, values, rate_hz=100.0)


def _witmotion(folder: Path) -> Path:
    t = np.arange(300) / 50.0
    acc = np.column_stack([0 * t, 0 * t, 9.81 + 0 * t])
    return write_witmotion(folder / "wit.csv", t_s=t, acc_m_s2=acc, gyr_rad_s=0 * acc)


@pytest.mark.parametrize(
    ("make", "col"),
    [
        (lambda d: _metabase(d, "Accelerometer"), 3),
        (lambda d: _metabase(d, "Magnetometer"), 5),
        (_witmotion, 4),
    ],
    ids=["metabase_acc_g", "metabase_mag_tesla", "witmotion_acc_g"],
)
def test_a_value_that_overflows_in_si_units_is_one_error_and_no_numpy_warning(
    tmp_path: Path, make, col: int
) -> None:
    path = make(tmp_path)
    _set_cell(path, 150, col, "1e308")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning printed two more lines on stderr
        with pytest.raises(RecordingFormatError, match=r":151: .*outside the sensor range"):
            read_streams(path)
