"""analysis.angles.held_twist: a strap turned while the knee was held, seen as its twist."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import held_twist as ht
from analysis.angles.strap_slip import slip_reason

RATE_HZ = 50.0


def _wxyz(r: Rotation) -> np.ndarray:
    xyzw = r.as_quat()
    return np.concatenate([xyzw[..., 3:], xyzw[..., :3]], axis=-1)


def _leg(
    t_s: np.ndarray, knee_deg: np.ndarray, thigh_turn_deg: np.ndarray, hip_turn_deg: np.ndarray
):
    """Thigh and shank segment frames (as the pipeline reads them) of a hinge knee.

    The leg turns about the thigh's long axis by ``hip_turn_deg`` (a real hip rotation: both
    segments), the knee bends about z by ``knee_deg``; the thigh's frame alone is also turned
    about its long axis by ``thigh_turn_deg`` (its strap turned, the calibration not knowing).
    """
    n = t_s.size
    leg = Rotation.from_euler("x", np.full((n, 1), 60.0), degrees=True) * Rotation.from_rotvec(
        np.radians(hip_turn_deg)[:, None] * np.array([0.0, 1.0, 0.0])
    )
    thigh_true = leg
    shank = thigh_true * Rotation.from_rotvec(np.radians(knee_deg)[:, None] * [0.0, 0.0, -1.0])
    thigh_read = thigh_true * Rotation.from_rotvec(
        np.radians(thigh_turn_deg)[:, None] * np.array([0.0, 1.0, 0.0])
    )
    return _wxyz(thigh_read), _wxyz(shank)


def test_a_hinge_has_no_swing_whatever_its_bend():
    t = np.arange(0.0, 10.0, 1 / RATE_HZ)
    knee = 60.0 * np.sin(t)
    q_t, q_s = _leg(t, knee, np.zeros_like(t), 20.0 * np.sin(0.3 * t))
    assert np.abs(ht.off_hinge_swing_deg(q_t, q_s)).max() < 1e-6


@pytest.mark.parametrize("knee_deg", [0.0, 25.0, 80.0])
def test_a_thigh_turned_about_its_long_axis_swings_the_knee_by_the_turn(knee_deg):
    t = np.arange(0.0, 1.0, 1 / RATE_HZ)
    q_t, q_s = _leg(t, np.full_like(t, knee_deg), np.full_like(t, 12.0), np.zeros_like(t))
    swing = ht.off_hinge_swing_deg(q_t, q_s)
    assert np.linalg.norm(swing, axis=-1) == pytest.approx(12.0, abs=1e-6)


def _session(slip_deg: float, hip_deg: float):
    """60 s: bend to 25° by 10 s, hold to 50 s, straighten; a turn ramps over 15–45 s."""
    t = np.arange(0.0, 60.0, 1 / RATE_HZ)
    knee = np.interp(t, [0.0, 8.0, 10.0, 50.0, 52.0, 60.0], [0.0, 0.0, 25.0, 25.0, 0.0, 0.0])
    ramp = np.clip((t - 15.0) / 30.0, 0.0, 1.0)
    q_t, q_s = _leg(t, knee, slip_deg * ramp, hip_deg * ramp)
    return t, knee, q_t, q_s


def test_held_runs_are_the_knees_still_stretches():
    t, knee, _, _ = _session(0.0, 0.0)
    runs = ht.held_runs(t, knee, RATE_HZ)
    assert [(round(t[a]), round(t[b - 1])) for a, b in runs] == [
        (10, 50)
    ]  # the last 7 s: under MIN_HELD_S


def test_a_strap_creeping_in_a_hold_is_a_step_and_a_hip_rotation_is_not():
    t, knee, q_t, q_s = _session(12.6, 0.0)
    step = ht.held_swing_step(t, ht.off_hinge_swing_deg(q_t, q_s), knee, RATE_HZ)
    assert step is not None
    assert step.swing_deg == pytest.approx(12.6, abs=0.3)
    assert step.since_s == pytest.approx(10.0, abs=1.0)
    assert step.at_s == pytest.approx(30.0, abs=1.5)  # half the ramp
    t, knee, q_t, q_s = _session(0.0, 25.0)  # the whole leg turned at the hip
    assert ht.held_swing_step(t, ht.off_hinge_swing_deg(q_t, q_s), knee, RATE_HZ) is None
    t, knee, q_t, q_s = _session(4.0, 0.0)  # within the step
    assert ht.held_swing_step(t, ht.off_hinge_swing_deg(q_t, q_s), knee, RATE_HZ) is None


def test_own_long_turn_reads_a_sensors_turn_about_its_long_axis():
    r = Rotation.from_euler("x", [[0.0], [0.0]], degrees=True) * Rotation.from_rotvec(
        np.radians([[0.0, 0.0, 0.0], [0.0, 0.0, -9.0]])
    )
    assert ht.own_long_turn_deg(_wxyz(r), 0, 1, np.array([0.0, 0.0, 1.0])) == pytest.approx(-9.0)
    assert ht.own_long_turn_deg(_wxyz(r), 0, 1, np.array([1.0, 0.0, 0.0])) == pytest.approx(0.0)


def test_held_twist_slips_names_the_sensor_that_turned():
    t, knee, q_t, q_s = _session(12.6, 0.0)
    q_B = {"left_thigh": q_t, "left_shank": q_s}
    slips = ht.held_twist_slips(t, q_B, {"left": knee}, from_s=5.0, rate_hz=RATE_HZ)
    assert [s.placement for s in slips] == ["left_thigh"]
    assert slips[0].held
    assert abs(slips[0].turn_deg) == pytest.approx(12.6, abs=0.1)
    assert "while it was held still" in slip_reason(slips[0])
    # the hinge check found this knee's thigh already: not read twice
    found = ht.held_twist_slips(
        t, q_B, {"left": knee}, from_s=5.0, rate_hz=RATE_HZ, found={"left_thigh"}
    )
    assert found == []
    # the whole leg turned at the hip: nothing
    t, knee, q_t, q_s = _session(0.0, 25.0)
    q_B = {"left_thigh": q_t, "left_shank": q_s}
    none = ht.held_twist_slips(t, q_B, {"left": knee}, from_s=5.0, rate_hz=RATE_HZ)
    assert none == []


def test_a_shank_turned_in_a_hold_is_the_shanks():
    t, knee, q_t, _ = _session(0.0, 0.0)
    ramp = np.clip((t - 15.0) / 30.0, 0.0, 1.0)
    shank = Rotation.from_quat(np.concatenate([q_t[:, 1:], q_t[:, :1]], axis=1))
    bend = Rotation.from_rotvec(np.radians(knee)[:, None] * [0.0, 0.0, -1.0])
    turned = Rotation.from_rotvec(np.radians(-9.0 * ramp)[:, None] * [0.0, 1.0, 0.0])
    q_B = {"right_thigh": q_t, "right_shank": _wxyz(shank * bend * turned)}
    slips = ht.held_twist_slips(t, q_B, {"right": knee}, from_s=5.0, rate_hz=RATE_HZ)
    assert [s.placement for s in slips] == ["right_shank"]
    assert slips[0].turn_deg == pytest.approx(-9.0, abs=0.2)


@pytest.mark.parametrize("from_s", [59.8, 59.99, 61.0])
def test_a_recording_that_ends_within_a_second_of_the_calibration_is_read_without_error(
    from_s: float,
) -> None:
    # a real walk whose calibration window ends 31 samples before the file's end (120 Hz)
    # once failed here: the 1-s mean was longer than the rows left
    t, knee, q_t, q_s = _session(12.6, 0.0)
    q_B = {"left_thigh": q_t, "left_shank": q_s}
    assert ht.held_twist_slips(t, q_B, {"left": knee}, from_s=from_s, rate_hz=RATE_HZ) == []
    assert ht.held_runs(t[-31:], knee[-31:], 120.0) == []


def test_a_swing_step_with_no_turn_apart_about_the_long_axes_is_no_strap() -> None:
    # the thigh's frame tipped 10 deg about its forward axis (off the hinge, not about its long
    # axis) during the hold: the knee's swing steps, but no strap turns a frame that way
    t, knee, _, q_s = _session(0.0, 0.0)
    ramp = np.clip((t - 15.0) / 30.0, 0.0, 1.0)
    leg = Rotation.from_euler("x", np.full((t.size, 1), 60.0), degrees=True)
    tipped = leg * Rotation.from_rotvec(np.radians(10.0 * ramp)[:, None] * np.array([1.0, 0, 0]))
    swing = ht.off_hinge_swing_deg(_wxyz(tipped), q_s)
    assert ht.held_swing_step(t, swing, knee, RATE_HZ) is not None  # the swing does step
    q_B = {"left_thigh": _wxyz(tipped), "left_shank": q_s}
    assert ht.held_twist_slips(t, q_B, {"left": knee}, from_s=5.0, rate_hz=RATE_HZ) == []
