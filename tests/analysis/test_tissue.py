"""The soft tissue under the thigh and shank sensors, turning them as the knee bends.

The stranger's seed 2151 (seated slump test): each sensor turned on its segment by 3 % of the
knee's flexion read a knee 3.7 % larger than the true one, 3.3° off at the seated 90°, a rigid
hinge nothing in the session tells from the true knee (``analysis.angles.tissue``). The knee's
predicted precision carries the tissue's share as a ± that grows with the bend; its rules are
decided per time on the bound at that time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.angles import pipeline
from analysis.angles.tissue import (
    COVERAGE_SIGMA,
    TARGET_DEG,
    TISSUE_SHARE_SD,
    knee_tissue_doubts,
    tissue_rmse_deg,
    tissue_sd_deg,
    tissue_timed_bound_deg,
    with_tissue_deg,
)
from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.doubts import TimedDoubt, bounded, precision_bound_deg
from tests.analysis.builders import min_jerk_step as step
from tests.analysis.test_envelope import standing_session

KNEE = "right_knee_flexion_deg"
STANDING = load_builtin_profile("standing_hamstring")


def test_the_tissue_sd_grows_with_the_bend_from_the_stand_both_ways():
    sd = tissue_sd_deg(np.array([0.0, 90.0, -10.0, np.nan]), share_sd=0.01)
    assert sd[0] == 0.0
    assert sd[1] == pytest.approx(math.sqrt(2.0) * 0.9)
    assert sd[2] == pytest.approx(math.sqrt(2.0) * 0.1)
    assert np.isnan(sd[3])


def test_the_tissue_rmse_is_the_root_mean_square_over_the_samples_read():
    knee = np.array([0.0, 90.0, np.nan])
    expected = math.sqrt(2.0) * TISSUE_SHARE_SD * math.sqrt((0.0 + 90.0**2) / 2.0)
    assert tissue_rmse_deg(knee) == pytest.approx(expected)
    assert tissue_rmse_deg(np.array([np.nan])) == 0.0


def test_independent_errors_add_in_quadrature():
    assert with_tissue_deg(0.3, 0.4) == pytest.approx(0.5)
    assert with_tissue_deg(None, 0.4) == pytest.approx(0.4)


def test_the_timed_bound_is_zero_where_the_knee_is_trusted_as_read():
    knee = np.array([5.0, 30.0, 90.0, np.nan])
    bound = tissue_timed_bound_deg(knee)
    assert bound[0] == 0.0
    assert bound[1] == 0.0
    assert bound[3] == 0.0
    assert bound[2] == pytest.approx(COVERAGE_SIGMA * math.sqrt(2.0) * TISSUE_SHARE_SD * 90.0)
    assert bound[2] > TARGET_DEG


def _t(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) * 0.1


def test_a_knee_read_mostly_at_ninety_degrees_is_not_promised_its_target():
    knee = np.concatenate([np.zeros(200), np.full(800, 88.0)])  # stand, then seated
    whole, timed = knee_tissue_doubts(_t(knee.size), knee, 0.2, "right")
    assert whole is not None
    assert timed is not None
    bound = precision_bound_deg(whole)
    assert bound is not None
    assert bound > TARGET_DEG
    assert "soft tissue" in whole["reason"]
    assert "88°" in whole["reason"]
    assert timed.whole_of == whole["reason"]
    assert np.all(np.asarray(timed.bound_deg)[:200] == 0.0)
    assert np.all(np.asarray(timed.bound_deg)[200:] > TARGET_DEG)


def test_a_knee_that_stays_near_straight_carries_no_tissue_doubt():
    knee = np.concatenate([np.zeros(500), np.full(500, 20.0)])
    assert knee_tissue_doubts(_t(knee.size), knee, 0.2, "right") == (None, None)


def test_the_poses_precision_alone_is_no_tissue_doubt():
    knee = np.concatenate([np.zeros(500), np.full(500, 20.0)])
    whole, timed = knee_tissue_doubts(_t(knee.size), knee, 0.9, "right")  # 3σ 2.7° by poses
    assert whole is None
    assert timed is None


def test_a_short_deep_bend_doubts_the_rule_there_only():
    knee = np.concatenate([np.zeros(950), np.full(50, 95.0)])  # 5 % of the time bent
    whole, timed = knee_tissue_doubts(_t(knee.size), knee, 0.2, "right")
    assert whole is None
    assert timed is not None
    assert timed.whole_of is None
    assert np.count_nonzero(np.asarray(timed.bound_deg)) == 50


def _knee_drop(reads_deg: float, a: float = 25.0, b: float = 35.0) -> pd.DataFrame:
    """The standing session with the knee (18° while engaged) falling to ``reads_deg``."""
    df = standing_session()
    t = df["t_s"].to_numpy()
    drop = 18.0 - reads_deg
    df[KNEE] = df[KNEE].to_numpy() - step(t, a, a + 1.0, drop) + step(t, b, b + 1.0, drop)
    return df


def _rule(df: pd.DataFrame, why, timed: TimedDoubt | None):
    res = check_envelope(
        df,
        STANDING,
        side="right",
        uncertain={KNEE: why},
        timed_doubts={KNEE: timed} if timed is not None else None,
    )
    rule = res.rule("knee_flexion")
    assert rule is not None
    return res, rule


def test_a_rule_on_a_tissue_doubted_knee_is_decided_on_the_bound_at_its_time():
    df = _knee_drop(8.0)  # 2° past the ≥ 10° edge while engaged, the knee near straight
    why = bounded("the soft tissue … measured to about ±3.7° here", "strap it", 3.7)
    quiet = np.zeros(len(df), dtype=np.float32)  # the knee never bent far: no bound then
    whole = TimedDoubt(bound_deg=quiet, reason="bent far", redo="strap it", whole_of=why.reason)
    _, under_margin = _rule(df, why, None)
    assert under_margin.status == "uncertain"  # the session's ± alone leaves it undecided
    res, rule = _rule(df, why, whole)
    assert rule.status == "violated"
    assert res.verdict == "outside"
    assert KNEE in res.uncertain_angles  # the angle itself stays uncertain
    other = TimedDoubt(bound_deg=quiet, reason="bent far", redo="strap it", whole_of="else")
    _, unnamed = _rule(df, why, other)
    assert unnamed.status == "uncertain"  # a timed doubt of another entry decides nothing


def test_the_pipeline_adds_the_tissue_to_each_knee_and_doubts_the_seated_one():
    t = _t(1000)
    seated = np.concatenate([np.zeros(200), np.full(800, 88.0)])
    angles = pd.DataFrame({"t_s": t, KNEE: seated, "left_knee_flexion_deg": np.zeros(1000)})
    predicted = {KNEE: 0.2, "left_knee_flexion_deg": 0.2}
    out, whole, timed = pipeline._tissue_knees(angles, predicted, set())
    assert out[KNEE] == pytest.approx(with_tissue_deg(0.2, tissue_rmse_deg(seated)))
    assert out["left_knee_flexion_deg"] == pytest.approx(0.2)
    assert set(whole) == {KNEE}
    assert set(timed) == {KNEE}
    _, doubted, timed = pipeline._tissue_knees(angles, predicted, {KNEE})
    assert doubted == {}  # an angle doubted already keeps its own words and ±
    assert timed[KNEE].whole_of is None
