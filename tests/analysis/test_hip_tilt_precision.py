"""A low-cost part's accelerometer errors tilt a raised thigh sideways: hip adduction's doubt.

Stranger seed 1599 (round 2, supine, a Thingy:52-class thigh): the part prior made the hip
*flexion* uncertain (the tilt about the flexion axis, ±4.8°) while the same fit's errors
tilted the raised thigh about its other horizontal axis, and hip adduction read 7° off with
the leg up, trusted. The fit's posterior gives the whole tilt error as a rotation vector in
the segment's axes; its part about the hip's floating axis is adduction's.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.rotations import from_axis_angle
from analysis.angles.tilt_precision import (
    COVERAGE_SIGMA,
    HIP_TILT_TARGET_DEG,
    NO_MISFIT,
    PriorMisfit,
    SegmentPrecision,
    along_var_rad2,
    block_rows,
    floating_axes,
    hip_adduction_sd_deg,
    hip_tilt_doubts,
    pose_evidence,
    precision_of,
    segment_tilt_cov3,
)
from analysis.recording.doubts import precision_bound_deg
from analysis.recording.schema import GRAVITY_M_S2

G = GRAVITY_M_S2
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def _stand_then_raised(rate_hz: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """20 s standing (gravity's reaction along +y), 20 s lying with the leg raised past the
    vertical (turned 160° about z), still: acc, gyr, t in the sensor (= segment) frame."""
    n = int(20 * rate_hz)
    a = np.radians(160.0)
    raised = [G * np.sin(a), G * np.cos(a), 0.0]
    acc = np.vstack([np.tile([0.0, G, 0.0], (n, 1)), np.tile(raised, (n, 1))])
    acc += np.random.default_rng(3).normal(0.0, 0.01, acc.shape)
    return acc, np.zeros_like(acc), np.arange(2 * n) / rate_hz


def _evidence(family: str | None = "thingy52"):
    acc, gyr, t = _stand_then_raised()
    return pose_evidence(
        acc,
        gyr,
        rate_hz=100.0,
        gyr_bias_rad_s=np.zeros(3),
        static_s=(1.0, 15.0),
        t_s=t,
        fitted=True,
        family=family,
    )


def test_the_flexion_axis_entry_is_the_flexion_precision():
    ev = _evidence()
    prec = precision_of(ev, IDENTITY)
    assert prec.cov3_rad2 is not None
    assert prec.cov3_rad2.shape == (prec.var_rad2.shape[0], 3, 3)
    assert np.allclose(prec.cov3_rad2[:, 2, 2], prec.var_rad2, rtol=1e-9, atol=1e-15)


def test_the_raised_pose_is_tilted_sideways_as_well_and_the_stand_not_at_all():
    ev = _evidence()
    cov3 = segment_tilt_cov3(ev.u, ev.u0, ev.cov, IDENTITY)
    stand, raised = cov3[10], cov3[-10]  # 5 s in, 5 s before the end
    assert np.degrees(np.sqrt(np.abs(stand).max())) < 0.01  # only the poses' noise
    sd_x, sd_z = np.degrees(np.sqrt([raised[0, 0], raised[2, 2]]))
    assert sd_x > 0.3  # the sideways tilt is not pinned ...
    assert sd_x > 0.5 * sd_z  # ... nearly as loosely as the flexion tilt, or more
    # symmetric and positive semi-definite
    assert np.allclose(raised, raised.T)
    assert np.linalg.eigvalsh(raised).min() > -1e-15


def test_floating_axes_of_a_straight_and_of_a_flexed_hip():
    a_p, a_t = floating_axes(IDENTITY[None, :], IDENTITY[None, :])
    assert np.allclose(np.abs(a_p), [[1.0, 0.0, 0.0]])
    assert np.allclose(np.abs(a_t), [[1.0, 0.0, 0.0]])
    flexed = from_axis_angle([0.0, 0.0, 1.0], np.radians(90.0))[None, :]
    a_p, a_t = floating_axes(IDENTITY[None, :], flexed)
    assert np.allclose(np.abs(a_p), [[0.0, 1.0, 0.0]], atol=1e-12)  # the pelvis's y ...
    assert np.allclose(np.abs(a_t), [[1.0, 0.0, 0.0]], atol=1e-12)  # ... the thigh's x
    sideways = from_axis_angle([1.0, 0.0, 0.0], np.radians(90.0))[None, :]
    a_p, a_t = floating_axes(IDENTITY[None, :], sideways)  # thigh's y along the pelvis's z
    assert np.all(np.isnan(a_p))
    assert np.all(np.isnan(a_t))


def test_along_var_takes_the_component_about_the_axis():
    cov = np.diag([1.0, 4.0, 9.0])[None, :, :].repeat(3, axis=0)
    axes = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0] / np.sqrt(2.0)])
    assert np.allclose(along_var_rad2(cov, axes), [1.0, 4.0, 2.5])


def test_block_rows_are_the_middles_of_the_evidence_blocks():
    assert block_rows(230, 100.0).tolist() == [25, 75, 125, 175]
    assert block_rows(10, 100.0).size == 0


def _seg(sd_deg: float, part: str | None = None, misfit: PriorMisfit = NO_MISFIT, k: int = 100):
    cov3 = np.zeros((k, 3, 3))
    cov3[k // 10 :] = np.eye(3) * np.radians(sd_deg) ** 2  # the first tenth at the stand
    return SegmentPrecision(cov3[:, 2, 2].copy(), 2, misfit, part, cov3)


def _axes(k: int = 100) -> tuple[np.ndarray, np.ndarray]:
    x = np.tile([1.0, 0.0, 0.0], (k, 1))
    return x, x


def test_hip_adduction_sd_adds_the_two_segments_variances():
    sd = hip_adduction_sd_deg(_seg(1.0), _seg(2.0), *_axes())
    assert sd == pytest.approx(np.sqrt(0.9 * (1.0 + 4.0)), rel=1e-9)
    assert hip_adduction_sd_deg(SegmentPrecision(np.zeros(100), 2), _seg(2.0), *_axes()) is None


def test_a_low_cost_thigh_that_cannot_pin_adduction_leaves_it_uncertain():
    fits = PriorMisfit(z2=4.0, poses=4, worst_pct=4.2, commodity_lbf=1.0)
    segs = {"pelvis": _seg(0.3), "right_thigh": _seg(3.8, "commodity", fits)}
    doubts = hip_tilt_doubts(segs, {"right": _axes()})
    assert list(doubts) == ["right_hip_adduction_deg"]
    entry = doubts["right_hip_adduction_deg"]
    sd = hip_adduction_sd_deg(segs["pelvis"], segs["right_thigh"], *_axes())
    assert precision_bound_deg(entry) == pytest.approx(COVERAGE_SIGMA * sd)
    assert "right hip's sideways angle (adduction)" in entry["reason"]
    assert "read gravity up to 4.2 % off" in entry["reason"]
    assert f"more than the {HIP_TILT_TARGET_DEG:.0f}°" in entry["reason"]
    # the same errors on a part the fit's prior fits: its own precision, not this doubt
    plain = {"pelvis": _seg(0.3), "right_thigh": _seg(3.8)}
    assert hip_tilt_doubts(plain, {"right": _axes()}) == {}
    # a low-cost part pinned within the target keeps adduction trusted
    calm = {"pelvis": _seg(0.3), "right_thigh": _seg(1.0, "commodity", fits)}
    assert hip_tilt_doubts(calm, {"right": _axes()}) == {}
    # no thigh on that side: nothing
    assert hip_tilt_doubts(segs, {"left": _axes()}) == {}


def test_the_pipeline_takes_the_floating_axis_per_block_from_the_orientations():
    from analysis.angles.pipeline import _hip_tilt_doubts

    rows = 1000  # 10 s at 100 Hz: 20 blocks of 0.5 s
    flexed = from_axis_angle([0.0, 0.0, 1.0], np.radians(90.0))
    q_E_B = {"pelvis": np.tile(IDENTITY, (rows, 1)), "left_thigh": np.tile(flexed, (rows, 1))}
    fits = PriorMisfit(z2=4.0, poses=3, worst_pct=4.5, commodity_lbf=1.0)
    cov3 = np.zeros((20, 3, 3))
    cov3[:, 0, 0] = np.radians(3.0) ** 2  # loose about the thigh's x: its adduction axis here
    thigh = SegmentPrecision(np.zeros(20), 3, fits, "commodity", cov3)
    pelvis = SegmentPrecision(np.zeros(20), 3, NO_MISFIT, None, np.zeros((20, 3, 3)))
    doubts = _hip_tilt_doubts({"pelvis": pelvis, "left_thigh": thigh}, q_E_B, 100.0)
    assert list(doubts) == ["left_hip_adduction_deg"]
    assert precision_bound_deg(doubts["left_hip_adduction_deg"]) == pytest.approx(9.0)
    # the same error about the thigh's y (its rotation axis) is not adduction's
    cov3_y = np.zeros((20, 3, 3))
    cov3_y[:, 1, 1] = np.radians(3.0) ** 2
    thigh_y = SegmentPrecision(np.zeros(20), 3, fits, "commodity", cov3_y)
    assert _hip_tilt_doubts({"pelvis": pelvis, "left_thigh": thigh_y}, q_E_B, 100.0) == {}
    # no pelvis orientation: no hip
    assert (
        _hip_tilt_doubts(
            {"pelvis": pelvis, "left_thigh": thigh}, {"left_thigh": q_E_B["left_thigh"]}, 100.0
        )
        == {}
    )
