"""``angles.csv`` text does not depend on how its rows are chunked or on the threads."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from stretchguard.analysing import write_angles_csv


def _angles(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    knee = (rng.normal(0.0, 40.0, n)).astype(np.float32)
    knee[::37] = np.nan
    knee[5:6] = -0.0004  # rounds to -0.0: written as 0
    hip = rng.normal(20.0, 30.0, n).astype(np.float32)
    return pd.DataFrame(
        {"t_s": np.arange(n) * 0.01 + 1e-7, "right_knee_flexion_deg": knee, "hip_deg": hip}
    )


def _text(angles: pd.DataFrame, **kw: int) -> bytes:
    buf = io.BytesIO()
    write_angles_csv(angles, buf, **kw)
    return buf.getvalue()


def test_chunks_and_threads_give_the_same_bytes():
    angles = _angles(1_001)
    one = _text(angles, chunk_rows=10_000, threads=1)
    for chunk_rows, threads in ((7, 2), (100, 2), (1_000, 3), (1, 1), (64, 4)):
        assert _text(angles, chunk_rows=chunk_rows, threads=threads) == one, (chunk_rows, threads)


def test_text_of_the_values():
    lines = _text(_angles(40), chunk_rows=3, threads=2).decode("utf-8").splitlines()
    assert lines[0] == "t_s,right_knee_flexion_deg,hip_deg"
    assert len(lines) == 41
    t, knee, _hip = lines[1 + 37].split(",")
    assert knee == ""  # NaN: an empty cell
    assert float(t) == round(37 * 0.01 + 1e-7, 6)
    assert lines[1 + 5].split(",")[1] == "0"  # -0.0004 rounds to zero, written without a sign


def test_empty_table_is_the_header_alone():
    assert _text(_angles(0), chunk_rows=4, threads=2) == b"t_s,right_knee_flexion_deg,hip_deg\n"
