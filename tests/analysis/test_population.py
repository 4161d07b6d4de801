"""The population generator: deterministic, the truth it claims is the truth it simulated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis.angles import rotations
from analysis.envelope.profiles import load_builtin_profile
from analysis.errors import ConfigError
from analysis.recording.schema import ANGLE_COLUMNS, PLACEMENTS
from analysis.simulation.population import (
    Person,
    PopulationSession,
    generate_person,
    generate_session,
    sensor_set,
    simulate_motion,
    truth_violations,
)
from analysis.simulation.poses import PoseTimeline

_CACHE: dict[tuple, PopulationSession] = {}


def session(person_seed: int, seed: int = 0, sensors: str = "default") -> PopulationSession:
    key = (person_seed, seed, sensors)
    if key not in _CACHE:
        _CACHE[key] = generate_session(generate_person(person_seed), seed, None, sensors)
    return _CACHE[key]


def first_person(pred, limit: int = 200) -> Person:
    for s in range(limit):
        p = generate_person(s)
        if pred(p):
            return p
    raise AssertionError("no such person in the first seeds")


def test_person_and_session_are_deterministic() -> None:
    assert generate_person(7) == generate_person(7)
    assert generate_person(7) != generate_person(8)
    a = generate_session(generate_person(7), 3)
    b = generate_session(generate_person(7), 3)
    assert a.samples.equals(b.samples)
    assert a.truth.equals(b.truth)
    for p in a.mounting:
        np.testing.assert_array_equal(a.mounting[p], b.mounting[p])
    c = generate_session(generate_person(7), 4)
    assert not np.allclose(a.mounting["pelvis"], c.mounting["pelvis"])


def test_sensor_sets() -> None:
    s = session(1)
    side = s.side
    expected = {"pelvis", f"{side}_thigh", f"{side}_shank", f"{side}_foot"}
    assert set(s.sensors) == expected
    assert set(s.samples["sensor"].astype(str).unique()) == expected
    assert set(sensor_set("full", "left")) == set(PLACEMENTS)
    assert "trunk" in sensor_set("default+trunk", "right")
    with pytest.raises(ConfigError):
        sensor_set("seven", "right")


def test_truth_has_every_angle_column() -> None:
    s = session(2)
    assert list(s.truth.columns) == ["t_s", *ANGLE_COLUMNS]
    assert np.isfinite(s.truth[list(ANGLE_COLUMNS)].to_numpy()).all()
    assert s.truth["t_s"].iloc[-1] == pytest.approx(s.duration_s - 0.01)


def test_strapping_is_random_but_reproducible() -> None:
    how = {generate_session(generate_person(3), k).strapping["pelvis"] for k in range(12)}
    assert len(how) >= 4  # several sites, axes and orientations
    ups = []
    for k in range(12):
        q = generate_session(generate_person(3), k).mounting[f"{generate_person(3).side}_thigh"]
        ups.append(rotations.rotate(q, [0.0, 1.0, 0.0]))  # segment "up" in sensor axes
    ups = np.array(ups)
    # some sensors have the segment's up along a negative sensor axis (upside down)
    assert (ups.min(axis=1) < -0.7).any()
    assert (ups.max(axis=1) > 0.7).any()


def test_quiet_stand_gravity_matches_true_mounting() -> None:
    """In the stand every segment is upright: each accelerometer sees gravity along the
    segment's superior axis, expressed in sensor axes through the true mounting."""
    s = session(4, 1, "full")
    _t0, t1 = s.static_s
    for p in s.sensors:
        rows = s.samples[(s.samples["sensor"] == p) & (s.samples["t_s"] < t1 - 0.5)]
        acc = rows[["acc_x_m_s2", "acc_y_m_s2", "acc_z_m_s2"]].to_numpy().mean(axis=0)
        up_S = rotations.rotate(s.mounting[p], [0.0, 1.0, 0.0])
        cos = float(acc @ up_S / np.linalg.norm(acc))
        assert np.degrees(np.arccos(min(1.0, cos))) < 4.0, p


def test_literal_person_keeps_the_pelvis_still_while_calibrating() -> None:
    p = first_person(lambda p: p.literal and p.trunk_bows != 2)
    s = session(p.seed)
    t = s.truth["t_s"].to_numpy()
    cal = t < s.functional_s[1]
    tilt = s.truth["pelvis_anterior_tilt_deg"].to_numpy()[cal]
    assert np.ptp(tilt) < 4.0
    knee = s.truth[f"{p.side}_knee_flexion_deg"].to_numpy()[cal]
    assert knee.max() > 20.0  # the knee bends and leg swings did happen


def test_a_literal_readme_person_does_two_bows_with_a_straight_back() -> None:
    p = first_person(lambda p: p.literal and p.trunk_bows == 2)
    s = session(p.seed)
    cal = s.truth["t_s"].to_numpy() < s.functional_s[1]
    tilt = s.truth["pelvis_anterior_tilt_deg"].to_numpy()[cal]
    lumbar = s.truth["lumbar_flexion_deg"].to_numpy()[cal]
    deep = tilt > 0.9 * p.trunk_bow_deg
    assert p.trunk_bow_deg >= 15.0
    assert np.count_nonzero(np.diff(deep.astype(int)) == 1) == 2  # two bows
    assert np.abs(lumbar[deep]).max() < 0.35 * p.trunk_bow_deg  # back straight


def test_rocking_person_moves_the_pelvis_in_the_bends() -> None:
    p = first_person(lambda p: p.bends > 0 and abs(p.bend_pelvis_deg) > 6)
    s = session(p.seed)
    cal = s.truth["t_s"].to_numpy() < s.functional_s[1]
    assert np.ptp(s.truth["pelvis_anterior_tilt_deg"].to_numpy()[cal]) > 5.0


@pytest.mark.parametrize("exercise", ["standing", "supine"])
def test_holds_are_in_the_stretch_pose(exercise: str) -> None:
    p = first_person(lambda p: p.exercise == exercise)
    s = session(p.seed)
    holds = [i for i in s.intervals if i.kind == "hold"]
    assert holds
    t = s.truth["t_s"].to_numpy()
    for h in holds:
        sel = (t >= h.start_s) & (t < h.end_s)
        hip = s.truth[f"{p.side}_hip_flexion_deg"].to_numpy()[sel]
        assert hip.min() > 40.0
        tilt = s.truth["pelvis_anterior_tilt_deg"].to_numpy()[sel]
        if exercise == "supine":
            assert tilt.max() < -60.0
        assert 20.0 <= h.end_s - h.start_s <= 50.0


def test_scripted_violations_cross_the_profile_edge() -> None:
    found = 0
    for seed in range(40):
        p = generate_person(seed)
        s = generate_session(p, 0)
        prof = load_builtin_profile(s.profile_name)
        true = truth_violations(s, prof)
        if not s.violations:
            assert true == []
            continue
        found += 1
        (v,) = s.violations
        ((rule, a, b, peak),) = true
        assert rule == v.name
        assert v.start_s - 1.0 <= a < b <= v.end_s + 1.0
        assert b - a > 3.0
        spec = prof.rule(rule)
        assert spec is not None
        assert (peak > spec.limit_deg) if spec.upper else (peak < spec.limit_deg)
        if found >= 4:
            break
    assert found >= 4


def test_some_sessions_look_like_vendor_exports() -> None:
    kinds = set()
    for k in range(12):
        s = generate_session(generate_person(5), k)
        if s.vendor_export:
            assert s.meta.calibration is None
        else:
            assert s.meta.calibration is not None
            assert s.meta.calibration.functional_s == s.functional_s
        kinds.add(s.vendor_export)
    assert kinds == {True, False}


def test_duration_is_honoured_and_blocks_repeat() -> None:
    s = generate_session(generate_person(6), 0, 300.0)
    assert s.duration_s == pytest.approx(300.0)
    assert s.blocks >= 2
    with pytest.raises(ConfigError):
        generate_session(generate_person(6), -1)


def test_truth_is_zero_in_the_quiet_stand_and_geometric_in_the_hold() -> None:
    """Angles are relative to the quiet stand (zero there, up to sway), and the thigh's
    inclination during the standing hold is hip flexion minus pelvis tilt (sagittal pose)."""
    p = first_person(lambda p: p.exercise == "standing")
    s = session(p.seed)
    t = s.truth["t_s"].to_numpy()
    stand = t < s.static_s[1]
    leg_and_axial = [c for c in ANGLE_COLUMNS if "inclination" not in c]
    assert np.abs(s.truth.loc[stand, leg_and_axial].to_numpy()).max() < 2.0
    hold = next(i for i in s.intervals if i.kind == "hold")
    sel = (t >= hold.start_s) & (t < hold.end_s)
    if s.violations:  # keep to the part of the hold before any scripted violation
        sel &= t < s.violations[0].start_s
    side = p.side
    incl = s.truth[f"{side}_thigh_inclination_deg"].to_numpy()[sel]
    sagittal = (
        s.truth[f"{side}_hip_flexion_deg"].to_numpy()[sel]
        - s.truth["pelvis_anterior_tilt_deg"].to_numpy()[sel]
    )
    np.testing.assert_allclose(incl, sagittal, atol=1.0)


def test_simulate_motion_records_any_trajectories() -> None:
    from analysis.simulation.imu import ImuErrorModel
    from analysis.simulation.trajectories import Constant, Keyframes

    knee = Keyframes([3.0, 5.0, 7.0], np.radians([0.0, 60.0, 0.0]))
    rec, truth, mounting = simulate_motion(
        {"right_knee_flexion": knee, "pelvis_anterior_tilt": Constant(0.0)},
        duration_s=8.0,
        static_s=(0.0, 2.5),
        functional_s=(3.0, 7.0),
        sensors=("right_thigh", "right_shank"),
        errors=ImuErrorModel.perfect(),
    )
    assert set(mounting) == {"right_thigh", "right_shank"}
    assert rec.meta.calibration is not None
    assert rec.meta.calibration.functional_s == (3.0, 7.0)
    k = truth["right_knee_flexion_deg"].to_numpy()
    assert k.max() == pytest.approx(60.0, abs=0.01)
    # the shank sensor turns at the knee rate (thigh still): |ω| = knee rate
    shank = rec.streams["right_shank"]
    t = shank.t_s
    rate = np.degrees(np.linalg.norm(shank.gyr_rad_s, axis=1))
    true_rate = np.abs(np.gradient(np.interp(t, truth["t_s"], k), t))
    np.testing.assert_allclose(rate, true_rate, atol=1.0)


def test_the_pelvis_hitches_in_the_standing_hold_and_the_stance_leg_stays_upright() -> None:
    """The held pelvic obliquity shows as stance-hip adduction in the truth, while the
    stance thigh's sensor keeps the gravity direction of the quiet stand (leg vertical)."""
    p = first_person(lambda p: p.exercise == "standing" and abs(p.hold_obliquity_deg) > 4.0)
    s = session(p.seed, sensors="full")
    stance = "left" if p.side == "right" else "right"
    t = s.truth["t_s"].to_numpy()
    hold = next(i for i in s.intervals if i.kind == "hold")
    sel = (t >= hold.start_s + 1.0) & (t < hold.end_s - 1.0)
    if s.violations:
        sel &= t < s.violations[0].start_s
    adduction = s.truth[f"{stance}_hip_adduction_deg"].to_numpy()[sel]
    assert np.abs(np.abs(adduction) - abs(p.hold_obliquity_deg)).max() < 1.0

    rows = s.samples[s.samples["sensor"] == f"{stance}_thigh"]
    acc = rows[["acc_x_m_s2", "acc_y_m_s2", "acc_z_m_s2"]].to_numpy()
    ts = rows["t_s"].to_numpy()
    still = acc[ts < s.static_s[1] - 0.5].mean(axis=0)
    held = acc[(ts >= hold.start_s + 1.0) & (ts < t[sel][-1])].mean(axis=0)
    cos = float(still @ held / (np.linalg.norm(still) * np.linalg.norm(held)))
    assert np.degrees(np.arccos(min(1.0, cos))) < 2.5


def test_the_pair_set_is_the_stretched_leg_s_thigh_and_shank() -> None:
    assert sensor_set("pair", "left") == ("left_thigh", "left_shank")


def test_a_seated_opening_sits_still_then_stands_for_the_stand() -> None:
    """``seated_opening_s``: the session opens seated (hip and knee near 90°, still), the
    person stands up, and the quiet stand of ``stand_s`` follows; the sidecar's and the
    truth's stand is that later one, in which every angle is near zero."""
    p = dataclasses.replace(
        first_person(lambda p: p.exercise == "standing"), seated_opening_s=4.0, stand_s=1.5
    )
    s = generate_session(p, 0, None, "default")
    t = s.truth["t_s"].to_numpy()
    hip = s.truth[f"{p.side}_hip_flexion_deg"].to_numpy()
    knee = s.truth[f"{p.side}_knee_flexion_deg"].to_numpy()
    seated = t < 4.0
    assert np.all(np.abs(hip[seated] - 84.0) < 3.0)
    assert np.all(np.abs(knee[seated] - 90.0) < 3.0)
    a, b = s.static_s
    assert a == pytest.approx(4.0 + 2.6)
    assert b - a == pytest.approx(1.5)
    assert s.meta.calibration.static_s == pytest.approx((a, b))
    stand = (t >= a) & (t < b)
    leg_and_axial = [c for c in ANGLE_COLUMNS if "inclination" not in c]
    assert np.abs(s.truth.loc[stand, leg_and_axial].to_numpy()).max() < 2.0
    # the rest of the script is drawn as for the same person opening standing
    plain = generate_session(dataclasses.replace(p, seated_opening_s=0.0), 0, None, "default")
    assert [i.name for i in s.intervals] == [i.name for i in plain.intervals]
    assert s.intervals[-1].start_s - plain.intervals[-1].start_s == pytest.approx(4.0 + 2.6)


def test_a_timeline_opens_in_another_pose_only_at_its_start() -> None:
    tl = PoseTimeline()
    tl.start_in({"left_hip_flexion": 80.0, "left_knee_flexion": 90.0}, standing=False)
    assert tl.pose["left_ankle_dorsiflexion"] == pytest.approx(10.0)  # flat foot: knee − hip
    tl.stay(1.0)
    tl.finish()
    assert tl.standing == []  # seated: no standing window (no sway)
    with pytest.raises(ConfigError, match="start_in"):
        tl.start_in({}, standing=True)
