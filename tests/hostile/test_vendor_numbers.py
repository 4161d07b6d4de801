"""Vendor cells that Python's ``float`` takes but that are no decimal numbers.

The shared table reader (``sensors.formats.vendor.parse_table``) lets Arrow convert a
column; when Arrow refuses a cell, the whole column went through Python's ``float``, which
reads ``1_0`` as 10 and the Arabic-Indic or full-width digit one as 1. A DOT, MetaBase,
WitMotion or phyphox export with such a cell was imported without a word, with the sample
changed (the canonical reader refuses the same cells).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.vendor import parse_table

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
