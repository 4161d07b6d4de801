"""An unnamed part's accelerometer gain prior carried to a leg held far from its still poses."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import pipeline
from analysis.angles.accbias import GAIN_TERMS
from analysis.angles.tilt_precision import (
    COVERAGE_SIGMA,
    UNNAMED_GAIN_SD,
    PoseEvidence,
    SegmentPrecision,
    gain_prior_doubts,
    gain_prior_rmse_deg,
    gain_prior_rows_deg,
    pose_evidence,
    posterior_covariance,
    precision_of,
    unstated_product,
)
from analysis.recording.doubts import is_trace_only, precision_bound_deg
from analysis.recording.schema import GRAVITY_M_S2

G = GRAVITY_M_S2
STAND = np.array([0.0, 1.0, 0.0])  # gravity standing (sensor frame = segment frame)
LYING = np.array([1.0, 0.0, 0.0])  # lying flat: turned 90° about the flexion axis z
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def _turned(deg: float) -> np.ndarray:
    """Gravity in a segment turned ``deg`` about its flexion axis z from the stand."""
    a = np.radians(deg)
    return np.array([np.sin(a), np.cos(a), 0.0])


def test_the_floor_widens_only_the_gain_terms():
    means = np.array([G * STAND, G * LYING])
    plain = posterior_covariance(means, fitted=False)
    floored = posterior_covariance(means, fitted=False, gain_sd_floor=UNNAMED_GAIN_SD)
    assert np.allclose(np.diag(floored)[:3], np.diag(plain)[:3])
    assert np.allclose(np.sqrt(np.diag(floored)[3:]), UNNAMED_GAIN_SD)
    # a prior already wider than the floor (a named part's ×3 at 0.5 %) is left as it is
    wide = posterior_covariance(means, fitted=True, scale=4.0)
    assert np.allclose(
        wide, posterior_covariance(means, fitted=True, scale=4.0, gain_sd_floor=0.015)
    )
    assert len(GAIN_TERMS) == 6


def _evidence(blocks: list[np.ndarray], floor: bool) -> PoseEvidence:
    means = np.array([G * STAND, G * LYING])
    cov = posterior_covariance(means, fitted=True)
    gain = posterior_covariance(means, fitted=True, gain_sd_floor=UNNAMED_GAIN_SD)
    return PoseEvidence(cov, 2, np.array(blocks), STAND, gain_cov=gain if floor else None)


def test_a_leg_turned_far_from_its_poses_is_tilted_by_the_gain_prior():
    """Two poses (standing, lying) pin the gains along their own verticals only: the stand
    carries no error; lying flat (the cross-axis term between the two verticals, which no
    norm sees) and upside down (165°) the gain prior's share is over twice the fit's."""
    seg = precision_of(_evidence([STAND, LYING, _turned(165.0)], floor=True), IDENTITY)
    assert seg.gain_var_rad2 is not None
    sd = np.degrees(np.sqrt(seg.var_rad2))
    gain_sd = np.degrees(np.sqrt(seg.gain_var_rad2))
    assert sd[0] == pytest.approx(0.0, abs=1e-9)
    assert gain_sd[0] == pytest.approx(0.0, abs=1e-9)
    assert np.all(gain_sd >= sd - 1e-12)
    assert gain_sd[2] > 2.0 * sd[2]
    assert gain_sd[1] > 2.0 * sd[1]
    named = precision_of(_evidence([STAND, _turned(165.0)], floor=False), IDENTITY)
    assert named.gain_var_rad2 is None


def test_pose_evidence_floors_the_gain_only_for_a_sensor_no_file_names():
    n = 2000
    acc = np.vstack([np.tile(G * STAND, (n, 1)), np.tile(G * LYING, (n, 1))])
    acc += np.random.default_rng(1).normal(0.0, 0.01, acc.shape)
    args = {
        "rate_hz": 100.0,
        "gyr_bias_rad_s": np.zeros(3),
        "static_s": (1.0, 15.0),
        "t_s": np.arange(2 * n) / 100.0,
        "fitted": True,
    }
    unnamed = pose_evidence(acc, np.zeros_like(acc), **args)
    assert unnamed.gain_cov is not None
    # the offset no pose loads (z) stays at its prior; those the poses load now share their
    # norms with a wider gain, so they are less pinned too
    assert unnamed.gain_cov[2, 2] == pytest.approx(unnamed.cov[2, 2])
    assert unnamed.gain_cov[0, 0] > unnamed.cov[0, 0]
    assert np.all(np.diag(unnamed.gain_cov)[3:] >= np.diag(unnamed.cov)[3:])
    assert unnamed.product is None
    for family in ("metawear", "witmotion", "simulator"):
        named = pose_evidence(acc, np.zeros_like(acc), family=family, **args)
        assert named.gain_cov is None
        assert named.product is None


def test_a_product_whose_file_names_no_part_takes_the_unnamed_gain_floor():
    # a Movella DOT export names the product, not its accelerometer part: the same floor as an
    # unnamed sensor's, and the product kept for the words
    n = 2000
    acc = np.vstack([np.tile(G * STAND, (n, 1)), np.tile(G * LYING, (n, 1))])
    acc += np.random.default_rng(1).normal(0.0, 0.01, acc.shape)
    args = {
        "rate_hz": 100.0,
        "gyr_bias_rad_s": np.zeros(3),
        "static_s": (1.0, 15.0),
        "t_s": np.arange(2 * n) / 100.0,
        "fitted": True,
    }
    unnamed = pose_evidence(acc, np.zeros_like(acc), **args)
    dot = pose_evidence(acc, np.zeros_like(acc), family="movella_dot", **args)
    assert dot.gain_cov is not None
    assert np.allclose(dot.gain_cov, unnamed.gain_cov)
    assert np.allclose(dot.cov, unnamed.cov)  # the fit's own prediction is left as it was
    assert dot.product == "Movella DOT"
    seg = precision_of(dot, IDENTITY)
    assert seg.product == "Movella DOT"
    assert seg.gain_var_rad2 is not None


def _seg(sd_deg: float, gain_sd_deg: float | None, poses: int = 2) -> SegmentPrecision:
    var = np.full(20, np.radians(sd_deg) ** 2)
    gain = None if gain_sd_deg is None else np.full(20, np.radians(gain_sd_deg) ** 2)
    return SegmentPrecision(var, poses, gain_var_rad2=gain)


def test_the_rmse_under_the_gain_prior_uses_it_where_a_sensor_has_it():
    segs = {
        "pelvis": _seg(0.1, None),
        "left_thigh": _seg(0.3, 0.6),
        "left_shank": _seg(0.4, None),
        "left_foot": _seg(0.1, None),
    }
    out = gain_prior_rmse_deg(segs)
    assert out["left_knee_flexion_deg"] == pytest.approx(np.hypot(0.6, 0.4))
    assert out["left_hip_flexion_deg"] == pytest.approx(np.hypot(0.1, 0.6))
    assert "left_ankle_dorsiflexion_deg" not in out  # neither sensor has the gain prior


def test_a_knee_past_its_target_under_the_gain_prior_is_a_trace_only_mark():
    segs = {
        "pelvis": _seg(0.1, 0.1),
        "right_thigh": _seg(0.4, 0.6, poses=5),
        "right_shank": _seg(0.4, 0.6, poses=3),
        "right_foot": _seg(0.1, 2.0),
    }
    rmse = gain_prior_rmse_deg(segs)
    out = gain_prior_doubts(rmse, segs)
    # the hip is within; the ankle, its foot's gain prior wide, past it (since round 25)
    assert set(out) == {"right_knee_flexion_deg", "right_ankle_dorsiflexion_deg"}
    entry = out["right_knee_flexion_deg"]
    assert is_trace_only(entry)
    assert precision_bound_deg(entry) == pytest.approx(COVERAGE_SIGMA * np.hypot(0.6, 0.6))
    assert "does not say which part" in entry["reason"]
    assert "5 and 3 still positions" in entry["reason"]
    assert "±2.5°" in entry["reason"]
    assert "decided where the reading clears" in entry["reason"]
    assert "still" in entry["redo"]
    # just within the target: none
    segs["right_thigh"] = segs["right_shank"] = _seg(0.4, 0.47)
    segs["right_foot"] = _seg(0.1, 0.1)
    assert gain_prior_doubts(gain_prior_rmse_deg(segs), segs) == {}


def test_the_mark_on_a_named_product_says_the_product_and_what_it_leaves_unsaid():
    dot = SegmentPrecision(
        np.full(20, np.radians(0.4) ** 2),
        6,
        gain_var_rad2=np.full(20, np.radians(0.6) ** 2),
        product="Movella DOT",
    )
    segs = {"pelvis": _seg(0.1, 0.1), "right_thigh": dot, "right_shank": dot}
    entry = gain_prior_doubts(gain_prior_rmse_deg(segs), segs)["right_knee_flexion_deg"]
    assert is_trace_only(entry)
    assert "names the thigh and shank sensors as Movella DOTs" in entry["reason"]
    assert "not their accelerometer part" in entry["reason"]
    assert "does not say which part" not in entry["reason"]
    assert "6 and 6 still positions" in entry["reason"]


def test_the_pipeline_step_keeps_other_doubts_words_and_the_sessions_columns():
    segs = {"left_thigh": _seg(0.4, 1.0), "left_shank": _seg(0.4, 1.0), "pelvis": _seg(0.1, 0.1)}
    knee, hip = "left_knee_flexion_deg", "left_hip_flexion_deg"
    both = pipeline._gain_prior_flexions(segs, {}, [knee, hip])
    assert set(both) == {knee, hip}
    assert set(pipeline._gain_prior_flexions(segs, {knee: {}}, [knee, hip])) == {hip}
    assert set(pipeline._gain_prior_flexions(segs, {}, [knee])) == {knee}


def _blocks(sd_deg: list[float]) -> SegmentPrecision:
    """A segment whose gain-prior sd is ``sd_deg`` per block (its fit's a tenth of that)."""
    var = np.radians(np.array(sd_deg)) ** 2
    return SegmentPrecision(var / 100.0, 2, gain_var_rad2=var)


def test_the_gain_bound_per_row_follows_each_block_and_holds_the_last():
    # 2 Hz blocks of 0.5 s at 10 Hz: 5 rows a block; the leg raised in the second block only
    thigh, shank = _blocks([0.1, 1.0, 0.1]), _blocks([0.0, 0.5, 0.0])
    segs = {"pelvis": _seg(0.1, None), "left_thigh": thigh, "left_shank": shank}
    rows = gain_prior_rows_deg(segs, 17, 10.0)
    name, knee = rows["left_knee_flexion_deg"]
    assert name == "knee_flexion"
    assert knee.shape == (17,)
    assert knee[5:10] == pytest.approx(COVERAGE_SIGMA * np.hypot(1.0, 0.5))
    assert knee[:5] == pytest.approx(COVERAGE_SIGMA * 0.1)
    assert knee[15:] == pytest.approx(knee[10])  # past the last block: the last one's
    assert "left_ankle_dorsiflexion_deg" not in rows  # never bounded by the gain prior


def test_the_pipeline_bounds_a_rule_only_where_the_gain_passes_the_target():
    import pandas as pd

    segs = {
        "pelvis": _seg(0.1, None),
        "left_thigh": _blocks([0.1, 1.0, 0.1, 0.1]),
        "left_shank": _blocks([0.1, 0.5, 0.1, 0.1]),
    }
    t = np.arange(20) / 10.0
    angles = pd.DataFrame({"t_s": t, "left_knee_flexion_deg": np.zeros(20)})
    out = pipeline._gain_prior_timed(segs, angles, 10.0)
    assert set(out) == {"left_knee_flexion_deg"}  # the hip is not a column of the table
    bound = np.asarray(out["left_knee_flexion_deg"].bound_deg)
    assert np.all(bound[:5] == 0)
    assert np.all(bound[10:] == 0)
    assert bound[5:10] == pytest.approx(COVERAGE_SIGMA * np.hypot(1.0, 0.5), rel=1e-5)
    assert "left knee" in out["left_knee_flexion_deg"].reason
    # within the target everywhere: no doubt
    segs["left_thigh"] = segs["left_shank"] = _blocks([0.1, 0.4, 0.1, 0.1])
    assert pipeline._gain_prior_timed(segs, angles, 10.0) == {}


def test_the_product_named_for_a_flexion_is_its_two_sensors_and_the_timed_words_say_it():
    import pandas as pd

    dot = SegmentPrecision(
        np.radians(np.array([0.1, 1.0, 0.1, 0.1])) ** 2 / 100.0,
        2,
        gain_var_rad2=np.radians(np.array([0.1, 1.0, 0.1, 0.1])) ** 2,
        product="Movella DOT",
    )
    segs = {"pelvis": _seg(0.1, None), "left_thigh": dot, "left_shank": dot}
    assert unstated_product(segs, "left_knee_flexion_deg") == "Movella DOT"
    assert unstated_product(segs, "left_hip_flexion_deg") == "Movella DOT"  # the thigh's
    assert unstated_product(segs, "right_knee_flexion_deg") is None  # no such sensors
    assert unstated_product(segs, "left_hip_adduction_deg") is None  # not a leg flexion
    t = np.arange(20) / 10.0
    angles = pd.DataFrame({"t_s": t, "left_knee_flexion_deg": np.zeros(20)})
    reason = pipeline._gain_prior_timed(segs, angles, 10.0)["left_knee_flexion_deg"].reason
    assert "names these sensors as Movella DOTs but not their accelerometer part" in reason
    unnamed = {**segs, "left_thigh": _blocks([0.1, 1.0, 0.1, 0.1])}
    unnamed["left_shank"] = unnamed["left_thigh"]
    reason = pipeline._gain_prior_timed(unnamed, angles, 10.0)["left_knee_flexion_deg"].reason
    assert "does not say which part these sensors are" in reason


def test_an_ankle_held_far_from_its_poses_is_marked_in_its_own_words():
    """Round 25 (stranger round 7 seed 3245: a heel on a stool holds the shank and foot level,
    the ankle 2.2° off from the shank's and foot's unnamed accelerometer gains): the ankle is
    marked like the knee, named as the ankle, and bounded per row where the gain passes 2°."""
    import pandas as pd

    segs = {
        "right_thigh": _seg(0.1, 0.1),
        "right_shank": _seg(0.3, 0.6, poses=4),
        "right_foot": _seg(0.3, 0.8, poses=3),
    }
    out = gain_prior_doubts(gain_prior_rmse_deg(segs), segs)
    assert set(out) == {"right_ankle_dorsiflexion_deg"}  # the knee's thigh is tight
    entry = out["right_ankle_dorsiflexion_deg"]
    assert is_trace_only(entry)
    assert precision_bound_deg(entry) == pytest.approx(COVERAGE_SIGMA * np.hypot(0.6, 0.8))
    assert "shank and foot sensors" in entry["reason"]
    assert "4 and 3 still positions" in entry["reason"]
    assert "right leg's ankle is measured to about" in entry["reason"]
    # tight gains: within the 2° target, no mark
    segs["right_shank"] = segs["right_foot"] = _seg(0.3, 0.4)
    assert gain_prior_doubts(gain_prior_rmse_deg(segs), segs) == {}
    # per row: bounded only in the block where the leg is held far from its poses
    segs = {"left_shank": _blocks([0.1, 1.0, 0.1, 0.1]), "left_foot": _blocks([0.1, 1.0, 0.1, 0.1])}
    t = np.arange(20) / 10.0
    angles = pd.DataFrame({"t_s": t, "left_ankle_dorsiflexion_deg": np.zeros(20)})
    timed = pipeline._gain_prior_timed(segs, angles, 10.0)
    bound = np.asarray(timed["left_ankle_dorsiflexion_deg"].bound_deg)
    assert np.all(bound[:5] == 0)
    assert bound[5:10] == pytest.approx(COVERAGE_SIGMA * np.hypot(1.0, 1.0), rel=1e-5)
    assert "the left ankle's bend" in timed["left_ankle_dorsiflexion_deg"].reason
    assert "dorsiflexion's" not in timed["left_ankle_dorsiflexion_deg"].reason
