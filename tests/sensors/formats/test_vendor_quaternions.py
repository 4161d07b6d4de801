"""unit_quaternions: the one norm check and normalisation of the vendor readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.vendor import unit_quaternions

PATH = Path("export.csv")


def test_rows_are_scaled_to_unit_norm():
    quat = np.array([[1.02, 0.0, 0.0, 0.0], [0.0, 0.0, 0.6, 0.78]])
    out = unit_quaternions(quat, np.array([2, 3]), path=PATH, tolerance=0.05)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert np.allclose(out[1], quat[1] / np.linalg.norm(quat[1]))


def test_the_first_row_off_by_the_tolerance_is_named_by_its_line():
    quat = np.array([[1.0, 0, 0, 0], [1.2, 0, 0, 0], [2.0, 0, 0, 0]])
    with pytest.raises(RecordingFormatError, match=r":8: quaternion norm 1\.200; expected x$"):
        unit_quaternions(
            quat, np.array([7, 8, 9]), path=PATH, tolerance=0.1, expected="x", digits=3
        )
    # a norm 1.08 passes at 0.1 and fails at 0.05
    ok = np.array([[1.08, 0, 0, 0]])
    assert unit_quaternions(ok, np.array([1]), path=PATH, tolerance=0.1)[0, 0] == pytest.approx(1)
    with pytest.raises(RecordingFormatError, match=r"quaternion norm 1\.0800; expected a unit"):
        unit_quaternions(ok, np.array([1]), path=PATH, tolerance=0.05)


def test_a_nan_row_is_not_a_unit_quaternion():
    quat = np.array([[1.0, 0, 0, 0], [np.nan, 0, 0, 0]])
    with pytest.raises(RecordingFormatError, match=":5: quaternion norm nan"):
        unit_quaternions(quat, np.array([4, 5]), path=PATH, tolerance=0.05)
