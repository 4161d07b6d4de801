"""A pelvis axis from standing leans: its precision and the hip angles it cannot pin."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import lean_axis as la
from analysis.recording.doubts import precision_bound_deg

RATE_HZ = 100.0


def _upright(n: int = 10_000) -> dict[str, np.ndarray]:
    """Both hips' flexion per row: 0° (resting legs standing)."""
    return {"left": np.zeros(n), "right": np.zeros(n)}


def _session_tilt(lean_deg: float, lean_share: float, n: int = 10_000) -> np.ndarray:
    """Rows standing (0°) and leaning (``lean_deg``), the leans ``lean_share`` of them."""
    tilt = np.zeros(n)
    tilt[: round(lean_share * n)] = lean_deg
    return tilt


def test_tilt_from_stand_reads_the_superior_axis_angle_from_vertical() -> None:
    share = np.cos(np.radians([0.0, 10.0, 90.0, np.nan]))
    got = la.tilt_from_stand_deg(share)
    assert got[:3] == pytest.approx([0.0, 10.0, 90.0], abs=1e-9)
    assert np.isnan(got[3])
    assert la.tilt_from_stand_deg(np.array([1.0 + 1e-9]))[0] == 0.0  # rounding past 1


def test_precision_is_the_hitch_over_the_whole_turn() -> None:
    assert la.lean_axis_precision_deg(17.0, 6.0) == pytest.approx(np.degrees(np.arcsin(6 / 17)))
    assert la.lean_axis_precision_deg(90.0, 6.0) == pytest.approx(3.82, abs=0.01)
    assert la.lean_axis_precision_deg(5.0, 6.0) == 90.0  # no larger than the hitch: anywhere


def test_a_hitched_lean_turns_about_an_axis_off_by_at_most_the_precision() -> None:
    # ISB pelvis: tilt about z, obliquity about x; the hitch moves with the lean
    tilt, hitch = 15.65, 5.5
    turn = Rotation.from_euler("YXZ", [0.0, hitch, -tilt], degrees=True).as_rotvec()
    lean = np.degrees(np.linalg.norm(turn))
    off = np.degrees(np.arccos(abs(turn[2]) / np.linalg.norm(turn)))
    assert off == pytest.approx(la.lean_axis_precision_deg(lean, hitch), abs=0.2)
    assert 18.0 < off < la.lean_axis_precision_deg(lean)  # the prior's 6° bounds it
    # read as a pure tilt about that axis, the obliquity hidden is the lean times sin(off)
    assert la.hidden_hitch_deg(np.array([lean]), off)[0] == pytest.approx(hitch, abs=0.15)


def test_hidden_hitch_grows_with_the_tilt_and_reads_nan_as_zero() -> None:
    got = la.hidden_hitch_deg(np.array([0.0, 10.0, np.nan]), 30.0)
    assert got == pytest.approx([0.0, 5.0, 0.0])


def test_lean_tilt_is_the_median_of_the_rows_leaning() -> None:
    assert la.lean_tilt_deg(np.array([0.0, 1.0, 10.0, 12.0, 20.0])) == 12.0
    assert la.lean_tilt_deg(np.array([0.0, 2.0, np.nan])) is None


def test_lying_down_is_not_a_lean() -> None:
    tilt = _session_tilt(85.0, 0.5)
    assert la.lay_far(tilt, RATE_HZ)
    assert la.lean_axis_precision_of("session", tilt, RATE_HZ) is None
    assert la.lean_axis_doubts("session", tilt, RATE_HZ, _upright()) == {}
    assert not la.lay_far(np.full(99, 70.0), RATE_HZ)  # under a second


def test_long_leans_leave_the_resting_hips_adduction_uncertain_with_its_bound() -> None:
    tilt = _session_tilt(17.0, 0.7)
    got = la.lean_axis_doubts("session", tilt, RATE_HZ, _upright())
    assert sorted(got) == ["left_hip_adduction_deg", "right_hip_adduction_deg"]
    bound = precision_bound_deg(got["right_hip_adduction_deg"])
    assert bound == pytest.approx(la.HITCH_MAX_DEG)
    assert "leans into the stretch" in got["right_hip_adduction_deg"]["reason"]


def test_a_hip_flexed_on_the_support_takes_the_hitch_as_rotation() -> None:
    tilt = _session_tilt(17.0, 0.7)
    flexed = np.where(tilt > 0.0, 80.0, 0.0)
    got = la.lean_axis_doubts("session", tilt, RATE_HZ, {"right": flexed})
    assert sorted(got) == ["right_hip_internal_rotation_deg"]
    bound = precision_bound_deg(got["right_hip_internal_rotation_deg"])
    assert bound == pytest.approx(la.HITCH_MAX_DEG * np.sin(np.radians(80.0)))


def test_hip_share_splits_an_obliquity_by_the_hip_flexion() -> None:
    phi = np.array([0.0, 60.0, 90.0, np.nan])
    assert la.hip_share("adduction", phi) == pytest.approx([1.0, 0.5, 0.0, 1.0], abs=1e-12)
    assert la.hip_share("internal_rotation", phi) == pytest.approx(
        [0.0, np.sqrt(3) / 2, 1.0, 1.0], abs=1e-12
    )


def test_the_split_matches_a_turn_about_the_pelvis_x_seen_by_a_flexed_thigh() -> None:
    phi, delta = 70.0, 5.0
    hip = Rotation.from_euler("ZXY", [phi, 0.0, 0.0], degrees=True)
    turned = Rotation.from_euler("X", delta, degrees=True) * hip
    _, add, rot = turned.as_euler("ZXY", degrees=True)
    assert abs(add) == pytest.approx(delta * la.hip_share("adduction", np.array([phi]))[0], abs=0.1)
    assert abs(rot) == pytest.approx(
        delta * la.hip_share("internal_rotation", np.array([phi]))[0], abs=0.1
    )


def test_short_leans_or_an_axis_from_the_movements_are_trusted() -> None:
    assert la.lean_axis_doubts("session", _session_tilt(17.0, 0.3), RATE_HZ, _upright()) == {}
    assert la.lean_axis_doubts("movements", _session_tilt(17.0, 0.7), RATE_HZ, _upright()) == {}
    assert la.lean_axis_doubts("session", np.zeros(100), RATE_HZ, _upright(100)) == {}


def test_only_the_worn_hips_are_listed() -> None:
    up = _upright()
    got = la.lean_axis_doubts("session", _session_tilt(17.0, 0.7), RATE_HZ, {"left": up["left"]})
    assert sorted(got) == ["left_hip_adduction_deg"]


def test_a_witness_that_agrees_bounds_the_axis_by_its_distance_and_tail() -> None:
    tail = la.WITNESS_SPREAD_TAIL
    assert la.witness_precision_deg(2.0, 4.0) == pytest.approx(2.0 + tail * 4.0)
    assert la.witness_precision_deg(0.0, 4.0) == pytest.approx(tail * 4.0)


def test_a_witness_that_disagrees_or_is_missing_pins_nothing() -> None:
    tail = la.WITNESS_SPREAD_TAIL
    assert la.witness_precision_deg(tail * 4.0 + 0.1, 4.0) is None  # one of the two is off
    assert la.witness_precision_deg(None, 4.0) is None
    assert la.witness_precision_deg(2.0, None) is None
    assert la.witness_precision_deg(2.0, float("inf")) is None


def test_the_precision_is_the_narrower_of_the_prior_and_the_witness() -> None:
    tilt = _session_tilt(17.0, 0.7)
    prior = la.lean_axis_precision_deg(17.0)
    assert la.lean_axis_precision_of("session", tilt, RATE_HZ) == pytest.approx(prior)
    assert la.lean_axis_precision_of("session", tilt, RATE_HZ, 5.0) == pytest.approx(5.0)
    assert la.lean_axis_precision_of("session", tilt, RATE_HZ, 40.0) == pytest.approx(prior)
    assert la.lean_axis_precision_of("movements", tilt, RATE_HZ, 5.0) is None


def test_a_sharp_witness_in_agreement_leaves_the_hips_trusted() -> None:
    tilt = _session_tilt(17.0, 0.7)
    flexed = {"right": np.full(tilt.size, 70.0)}
    assert sorted(la.lean_axis_doubts("session", tilt, RATE_HZ, flexed)) == [
        "right_hip_internal_rotation_deg"
    ]
    # 0.5° from the axis with a 3° spread: the axis is within 5°, 17·sin 5° ≈ 1.5° of hitch
    assert la.lean_axis_doubts("session", tilt, RATE_HZ, flexed, (0.5, 3.0)) == {}


def test_a_loose_or_disagreeing_witness_keeps_the_prior_and_says_which_bound() -> None:
    tilt = _session_tilt(17.0, 0.7)
    flexed = {"right": np.full(tilt.size, 70.0)}
    prior = la.lean_axis_doubts("session", tilt, RATE_HZ, flexed)
    far = la.lean_axis_doubts("session", tilt, RATE_HZ, flexed, (10.0, 4.0))  # disagrees
    assert far == prior
    assert "up to 6°" in far["right_hip_internal_rotation_deg"]["reason"]
    # leans of 25° (prior: asin(6/25) = 13.9°); a witness that agrees but places the axis
    # only to within 2 + 1.5·7 = 12.5° narrows the bound without clearing the angle
    tilt = _session_tilt(25.0, 0.8)
    prior = la.lean_axis_doubts("session", tilt, RATE_HZ, flexed)
    loose = la.lean_axis_doubts("session", tilt, RATE_HZ, flexed, (2.0, 7.0))
    got = loose["right_hip_internal_rotation_deg"]
    assert "hip centre places it only to within 12°" in got["reason"]
    assert precision_bound_deg(got) < precision_bound_deg(prior["right_hip_internal_rotation_deg"])
