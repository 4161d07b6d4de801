"""The live-versus-offline bench's scoring (``bench/live_posture.py``): RMSE over chosen rows,
angles cut into the live run's steps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.bench_scripts import load_bench_script

B = load_bench_script("live_posture", module_name="live_posture_bench")


def test_rmse_is_over_the_rows_asked_and_skips_gaps():
    truth = pd.DataFrame({"t_s": [0.0, 1.0, 2.0, 3.0], "x_deg": [0.0, 0.0, 0.0, 0.0]})
    t = np.array([0.0, 1.0, 2.0, 3.0])
    values = np.array([3.0, np.nan, 4.0, 100.0])
    rows = np.array([True, True, True, False])
    assert B.rmse(truth, t, values, "x_deg", rows) == pytest.approx(np.sqrt(12.5))
    assert np.isnan(B.rmse(truth, t, values, "x_deg", np.zeros(4, dtype=bool)))


def test_steps_of_cuts_columns_like_the_live_steps():
    t = np.arange(7.0)
    cols = {"a": np.arange(7.0) * 2}
    like = [(t[:3], {}), (t[3:4], {}), (t[4:], {})]
    out = B._steps_of(t, cols, like)
    assert [s[0].tolist() for s in out] == [[0.0, 1.0, 2.0], [3.0], [4.0, 5.0, 6.0]]
    assert np.concatenate([s[1]["a"] for s in out]).tolist() == cols["a"].tolist()
