"""An unnamed part's gain prior on a thigh's inclination (a thigh + shank file, no pelvis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles import pipeline
from analysis.angles.tilt_precision import (
    COVERAGE_SIGMA,
    SegmentPrecision,
    gain_prior_doubts,
    gain_prior_rmse_deg,
    gain_prior_rows_deg,
    unstated_product,
)
from analysis.recording.doubts import is_trace_only, precision_bound_deg

INCL = "right_thigh_inclination_deg"


def _seg(sd_deg: list[float], gain_sd_deg: list[float] | None, **kw) -> SegmentPrecision:
    """A segment with the fit's sd and the gain prior's sd per 0.5-s block (degrees)."""
    var = np.radians(np.array(sd_deg)) ** 2
    gain = None if gain_sd_deg is None else np.radians(np.array(gain_sd_deg)) ** 2
    return SegmentPrecision(var, kw.pop("poses", 3), gain_var_rad2=gain, **kw)


def test_the_thigh_inclination_rmse_is_the_thighs_own_gain_prior_alone():
    segs = {
        "right_thigh": _seg([0.2, 0.2], [0.3, 0.9]),
        "right_shank": _seg([0.2, 0.2], [5.0, 5.0]),  # the shank never enters the thigh's
    }
    out = gain_prior_rmse_deg(segs)
    assert out[INCL] == pytest.approx(np.sqrt((0.3**2 + 0.9**2) / 2))
    assert "left_thigh_inclination_deg" not in out  # no left thigh
    named = {"right_thigh": _seg([0.2, 0.2], None), "right_shank": segs["right_shank"]}
    assert INCL not in gain_prior_rmse_deg(named)  # a named thigh part: nothing to add


def test_a_thigh_inclination_past_two_degrees_is_a_trace_only_mark_in_plain_words():
    segs = {
        "right_thigh": _seg([0.3] * 4, [0.8] * 4, poses=4),
        "right_shank": _seg([0.3] * 4, None),
    }
    out = gain_prior_doubts(gain_prior_rmse_deg(segs), segs)
    assert set(out) == {INCL, "right_knee_flexion_deg"}
    entry = out[INCL]
    assert is_trace_only(entry)
    assert precision_bound_deg(entry) == pytest.approx(COVERAGE_SIGMA * 0.8)
    assert "does not say which part the thigh sensor is" in entry["reason"]
    assert "its 4 still positions" in entry["reason"]
    assert "right thigh's inclination is measured to about ±2.4°" in entry["reason"]
    assert "decided where the reading clears" in entry["reason"]
    # at the target: none (3 × 0.66 = 1.98°)
    segs["right_thigh"] = _seg([0.3] * 4, [0.66] * 4)
    assert INCL not in gain_prior_doubts(gain_prior_rmse_deg(segs), segs)


def test_a_dot_thighs_mark_and_product_name_the_product():
    dot = _seg([0.3] * 4, [1.0] * 4, product="Movella DOT")
    segs = {"right_thigh": dot}
    assert unstated_product(segs, INCL) == "Movella DOT"
    assert unstated_product(segs, "left_thigh_inclination_deg") is None
    entry = gain_prior_doubts(gain_prior_rmse_deg(segs), segs)[INCL]
    assert (
        "names the thigh sensor as a Movella DOT but not its accelerometer part"
        in (entry["reason"])
    )


def test_the_rows_and_the_pipeline_bound_the_inclination_only_where_the_gain_passes():
    segs = {"right_thigh": _seg([0.1, 0.1, 0.1, 0.1], [0.1, 1.0, 0.1, 0.1])}
    name, bound = gain_prior_rows_deg(segs, 20, 10.0)[INCL]
    assert name == "thigh_inclination"
    assert bound[5:10] == pytest.approx(COVERAGE_SIGMA * 1.0)
    assert bound[:5] == pytest.approx(COVERAGE_SIGMA * 0.1)
    angles = pd.DataFrame({"t_s": np.arange(20) / 10.0, INCL: np.zeros(20)})
    out = pipeline._gain_prior_timed(segs, angles, 10.0)
    timed = np.asarray(out[INCL].bound_deg)
    assert np.all(timed[:5] == 0)
    assert np.all(timed[10:] == 0)
    assert timed[5:10] == pytest.approx(COVERAGE_SIGMA * 1.0, rel=1e-5)
    assert "does not say which part this sensor is" in out[INCL].reason
    assert "the right thigh's inclination" in out[INCL].reason
    # a session with a pelvis reports no inclination column: nothing is added for it
    with_pelvis = pd.DataFrame({"t_s": angles["t_s"], "right_hip_flexion_deg": np.zeros(20)})
    assert INCL not in pipeline._gain_prior_timed(segs, with_pelvis, 10.0)
    assert pipeline._gain_prior_flexions(segs, {}, ["right_hip_flexion_deg"]) == {}
    marks = pipeline._gain_prior_flexions({"right_thigh": _seg([0.1] * 4, [1.0] * 4)}, {}, [INCL])
    assert set(marks) == {INCL}
    assert (
        pipeline._gain_prior_flexions(
            {"right_thigh": _seg([0.1] * 4, [1.0] * 4)}, {INCL: {}}, [INCL]
        )
        == {}
    )  # a column another doubt already marks keeps that doubt's words
