"""A pelvis whose two flexion-axis estimates name different axes: its angles are uncertain.

Sloppy knee bends can rock the pelvis sideways (obliquity) more than they tip it: the
movements' dominant axis is then the antero-posterior one, planar enough to keep, while the
whole session's leans into the stretch turn it about the true flexion axis. Neither
planarity says which is right; two estimates ≥ 10° apart say that one is wrong, and only a
third, independent one (the thighs' axis through the hip centre) can say which.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from analysis.angles.calibration import CalibrationResult
from analysis.angles.calibration_axes import (
    AXIS_CLASH_DEG,
    SensorAxes,
    axis_clash_doubt,
    settle_axis,
    with_session_axis,
)
from tests.analysis.builders import sensor_axes

RATE_HZ = 25.0
FLEX_Z = np.array([np.cos(0.3), np.sin(0.3), 0.0])  # the true flexion axis (sensor frame)
ROCK_Z = np.array([-np.sin(0.3), np.cos(0.3), 0.0])  # the antero-posterior axis
UP = np.array([0.0, 0.0, 1.0])


def _axes(z_S: np.ndarray, *, rotation_deg: float, planarity: float) -> SensorAxes:
    return sensor_axes(z_S, UP, rotation_deg=rotation_deg, planarity=planarity)


def _leans(rock: float, *, seed: int) -> np.ndarray:
    """Six 40-s leans of 20° about the flexion axis, each rocking ``rock`` × as far sideways."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(240 * RATE_HZ)) / RATE_HZ
    tip = np.deg2rad(20.0) * np.pi / 40.0 * np.sin(2 * np.pi * t / 40.0)
    side = rock * np.deg2rad(20.0) * np.pi / 40.0 * np.sin(2 * np.pi * t / 17.0)
    return tip[:, None] * FLEX_Z + side[:, None] * ROCK_Z + rng.normal(0, 0.01, (t.size, 3))


def test_two_axes_apart_by_the_clash_angle_or_more_are_doubted_whatever_their_signs():
    def at(deg: float) -> np.ndarray:
        a = np.deg2rad(deg)
        return np.cos(a) * FLEX_Z + np.sin(a) * ROCK_Z

    assert axis_clash_doubt(FLEX_Z, at(AXIS_CLASH_DEG - 1.0), "pelvis") is None
    assert axis_clash_doubt(FLEX_Z, -FLEX_Z, "pelvis") is None  # signs are not axes
    why = axis_clash_doubt(FLEX_Z, -at(80.0), "pelvis")
    assert why is not None
    assert "pelvis" in why
    assert "80°" in why
    assert axis_clash_doubt(FLEX_Z, at(AXIS_CLASH_DEG + 1.0), "pelvis") is not None


def test_a_rocking_pelvis_keeps_its_planar_movements_axis_but_it_is_doubted():
    # the movements turned the pelvis 25° about the AP axis at planarity 0.95; the leans are
    # less planar (sideways sway), so the movements' axis is kept, as before — now doubted
    rocked = _axes(ROCK_Z, rotation_deg=25.0, planarity=0.95)
    leans = _leans(0.5, seed=3)
    got = with_session_axis(
        rocked, leans, np.tile(UP, (len(leans), 1)), rate_hz=RATE_HZ, prefer_more_planar=True
    )
    assert got.axis_source == "movements"
    assert got.planarity_ratio == rocked.planarity_ratio
    assert got.rival is not None
    assert got.rival.source == "session"
    assert abs(float(got.rival.z_S @ FLEX_Z)) > 0.99
    # no witness to say which: doubted
    settled = settle_axis(got, None, what="pelvis", witness="the hip centre")
    assert settled.axis_source == "movements"
    assert settled.axis_doubt is not None
    assert int(re.search(r"lie (\d+)° apart", settled.axis_doubt).group(1)) >= 85


def test_agreeing_or_undefined_estimates_raise_no_doubt():
    leans = _leans(0.1, seed=4)
    up = np.tile(UP, (len(leans), 1))
    tipped = np.cos(0.1) * FLEX_Z + np.sin(0.1) * ROCK_Z  # 6° off: the same axis
    for own in (
        _axes(tipped, rotation_deg=25.0, planarity=0.95),
        _axes(tipped, rotation_deg=5.0, planarity=0.6),
    ):
        assert (
            with_session_axis(own, leans, up, rate_hz=RATE_HZ, prefer_more_planar=True).axis_doubt
            is None
        )
    # a pelvis kept still in the movements (< 10°: no estimate) has no axis to clash with
    still = _axes(ROCK_Z, rotation_deg=8.0, planarity=0.7)
    got = with_session_axis(still, leans, up, rate_hz=RATE_HZ, prefer_more_planar=True)
    assert got.axis_source == "session"
    assert got.rival is None
    assert settle_axis(got, None, what="pelvis", witness="the hip centre") is got
    # one that turned 15° (undefined, but an estimate) does: it becomes the rival
    weak = _axes(ROCK_Z, rotation_deg=15.0, planarity=0.7)
    got = with_session_axis(weak, leans, up, rate_hz=RATE_HZ, prefer_more_planar=True)
    assert got.axis_source == "session"
    assert got.rival is not None
    assert got.rival.source == "movements"
    # a session that never leaned defines nothing to clash with
    rocked = _axes(ROCK_Z, rotation_deg=25.0, planarity=0.95)
    got = with_session_axis(rocked, leans * 0.01, up, rate_hz=RATE_HZ, prefer_more_planar=True)
    assert got is rocked
    # other segments are not checked (their session turns need not be flexion)
    assert with_session_axis(rocked, leans, up, rate_hz=RATE_HZ) is rocked


def _result(
    calibration_of: Callable[..., CalibrationResult], axis_doubt: str | None
) -> CalibrationResult:
    segments = {p: {} for p in ("pelvis", "left_thigh", "left_shank")}
    segments["pelvis"] = {"axis_doubt": axis_doubt}
    return calibration_of(segments, planarity_ratio=0.95, rotation_deg=25.0)


def test_a_doubted_pelvis_axis_makes_every_angle_on_the_pelvis_uncertain(calibration_of):
    why = "the pelvis's flexion axis from the calibration movements and … lie 86° apart"
    cal = _result(calibration_of, why)
    assert not cal.segments["pelvis"].trusted
    assert cal.segments["pelvis"].doubt == why
    out = cal.uncertain_angles()
    assert {"pelvis_anterior_tilt_deg", "left_hip_flexion_deg", "left_hip_adduction_deg"} <= set(
        out
    )
    assert out["pelvis_anterior_tilt_deg"]["reason"] == why
    assert "bows" in out["pelvis_anterior_tilt_deg"]["redo"]
    assert "left_knee_flexion_deg" not in out
    assert cal.to_dict()["segments"]["pelvis"]["axis_doubt"] == why
    assert _result(calibration_of, None).uncertain_angles() == {}


def test_a_generated_person_whose_pelvis_rocked_in_the_bends_is_no_longer_trusted():
    """Held-out population person 1053 (10 min, default set) rocked the pelvis sideways in
    the knee bends: its movements' axis came out 67° off (planarity 0.95) and hip flexion read
    7° off while trusted. The session's leans put the axis 86° from it: now uncertain."""
    from analysis.angles.pipeline import PipelineOptions, analyse_recording
    from analysis.simulation.population import generate_person, generate_session

    ses = generate_session(generate_person(1053), 0, 600.0, "default")
    res = analyse_recording(ses.recording(), options=PipelineOptions(keep_orientations=False))
    pelvis = res.calibration.segments["pelvis"]
    assert pelvis.axis_doubt is not None
    assert not pelvis.trusted
    assert {"pelvis_anterior_tilt_deg", "left_hip_flexion_deg"} <= set(res.uncertain)
    assert "left_knee_flexion_deg" not in res.uncertain
