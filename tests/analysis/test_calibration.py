"""Calibration, step by step, on synthetic strapping: axes, the sign table, the result."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import BOW_WORDS, Q_G_E, angle_dependencies, calibrate
from analysis.angles.calibration_axes import estimate_axes, flexion_axis, stand_vertical
from analysis.angles.calibration_signs import (
    AXIS_PLANARITY_MIN,
    SIGN_RULES,
    SignRule,
    Tilts,
    decide_sign,
    rules_for,
)
from analysis.angles.calibration_windows import Windows
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.errors import CalibrationError
from analysis.recording.schema import GRAVITY_M_S2
from tests.analysis.builders import sensor_axes

RATE_HZ = 100.0
Q_E_G = rot.conjugate(Q_G_E)

# sensor mountings q_B_S (sensor frame in segment coordinates)
MOUNTS = {
    "aligned": np.array([1.0, 0.0, 0.0, 0.0]),
    "upside_down": rot.from_axis_angle([1.0, 0.0, 0.0], np.pi),
    "facing_backwards": rot.from_axis_angle([0.0, 1.0, 0.0], np.pi),
    "outside_of_thigh": rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2),
    "skewed": rot.normalize(np.array([0.7, 0.3, -0.5, 0.4])),
}


def _tilt_series(kind: str, n: int) -> np.ndarray:
    """Sagittal tilt (rad) of a segment over a synthetic session: stand 4 s, then movement."""
    t = np.arange(n) / RATE_HZ
    move = np.clip(t - 4.0, 0.0, None)
    if kind == "thigh":  # flexes to +40°, extends to −10°
        return np.deg2rad(
            np.where(t < 4, 0.0, 25 * np.sin(0.8 * move) ** 2 - 10 * np.sin(0.4 * move) ** 2)
        )
    if kind == "pelvis_still":
        return np.zeros(n)
    if kind == "pelvis_bow":  # anterior tilt is a negative tilt
        return np.deg2rad(np.where(t < 4, 0.0, -20 * np.sin(0.5 * move) ** 2))
    raise ValueError(kind)


def _stream(tilt_rad: np.ndarray, q_B_S: np.ndarray, heading_rad: float, seed: int):
    """Samples and orientation of a sensor strapped as ``q_B_S`` on a segment tilting in the
    sagittal plane, facing ``heading_rad`` in its own earth frame."""
    rng = np.random.default_rng(seed)
    q_G_B = rot.from_axis_angle([0.0, 0.0, 1.0], tilt_rad)
    q_E_B = rot.turn_about_z(rot.multiply(Q_E_G, q_G_B), heading_rad)
    q_E_S = rot.multiply(q_E_B, q_B_S)
    rate = np.gradient(tilt_rad, 1.0 / RATE_HZ)
    gyr = rot.rotate(rot.conjugate(q_B_S), np.column_stack([0 * rate, 0 * rate, rate]))
    acc = rot.rotate(rot.conjugate(q_E_S), [0.0, 0.0, GRAVITY_M_S2])
    gyr = gyr + rng.normal(0, 0.002, gyr.shape)
    acc = acc + rng.normal(0, 0.02, acc.shape)
    stream = UniformStream(
        placement="x", acc_m_s2=acc, gyr_rad_s=gyr, valid=np.ones(tilt_rad.size, bool)
    )
    return stream, q_E_S, q_E_B


def _session(segments: dict[str, tuple[str, str]], n: int = 3000):
    streams, q_E_S, q_E_B = {}, {}, {}
    for k, (label, (kind, mount)) in enumerate(segments.items()):
        s, qs, qb = _stream(_tilt_series(kind, n), MOUNTS[mount], 0.7 * k + 0.3, seed=k)
        streams[label] = UniformStream(
            placement=label, acc_m_s2=s.acc_m_s2, gyr_rad_s=s.gyr_rad_s, valid=s.valid
        )
        q_E_S[label], q_E_B[label] = qs, qb
    t = np.arange(n) / RATE_HZ
    session = UniformSession(t_s=t, rate_hz=RATE_HZ, streams=streams, gaps=())
    windows = Windows(static_s=(0.0, 3.8), functional_s=(4.0, t[-1]), source="sidecar")
    return session, q_E_S, q_E_B, windows


def _frame_error_deg(q_S_B: np.ndarray, q_B_S: np.ndarray) -> float:
    return float(np.rad2deg(rot.angle_between(q_S_B, rot.conjugate(q_B_S))))


# --- axes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mount", sorted(MOUNTS))
def test_axes_recover_the_strapping_up_to_the_sign(mount):
    session, q_E_S, _, _windows = _session({"right_thigh": ("thigh", mount)})
    s = session.streams["right_thigh"]
    stand = session.t_s < 3.8
    move = session.t_s >= 4.0
    up_S = rot.rotate(rot.conjugate(q_E_S["right_thigh"][move]), [0.0, 0.0, 1.0])
    ax = estimate_axes(
        stand_acc_m_s2=s.acc_m_s2[stand],
        stand_gyr_rad_s=s.gyr_rad_s[stand],
        move_gyr_rad_s=s.gyr_rad_s[move],
        move_up_S=up_S,
        rate_hz=RATE_HZ,
    )
    y_true = rot.rotate(rot.conjugate(MOUNTS[mount]), [0.0, 1.0, 0.0])
    z_true = rot.rotate(rot.conjugate(MOUNTS[mount]), [0.0, 0.0, 1.0])
    assert np.rad2deg(np.arccos(np.clip(ax.y_S @ y_true, -1, 1))) < 1.0
    assert abs(abs(float(ax.z_S @ z_true)) - 1.0) < 1e-3  # the axis, either sign
    assert ax.planarity_ratio > 0.99
    assert ax.rotation_deg > 100
    assert ax.well_defined


def test_stand_vertical_removes_the_accelerometer_bias():
    acc = np.tile([0.0, 0.0, GRAVITY_M_S2 + 0.3], (50, 1))
    y, g = stand_vertical(acc, np.array([0.0, 0.0, 0.3]))
    np.testing.assert_allclose(y, [0, 0, 1])
    assert g == pytest.approx(GRAVITY_M_S2)


def test_a_rotation_about_the_superior_axis_is_no_flexion_axis():
    # the segment spins about its own long axis (stand vertical = sensor z) while the earth's
    # vertical is sensor x: nothing is removed as turning, and nothing is left as flexion
    gyr = np.tile([0.0, 0.0, 1.0], (100, 1))
    up = np.tile([1.0, 0.0, 0.0], (100, 1))
    with pytest.raises(CalibrationError, match="vertical"):
        flexion_axis(gyr, up, np.array([0.0, 0.0, 1.0]), rate_hz=RATE_HZ)


# --- the sign table --------------------------------------------------------------------------


def test_the_table_decides_partners_before_the_segments_that_use_them():
    worn = ("right_foot", "pelvis", "right_shank", "trunk", "right_thigh", "left_thigh")
    order = [r.segment for r in rules_for(worn)]
    assert order == ["left_thigh", "right_thigh", "pelvis", "trunk", "right_shank", "right_foot"]
    for row in SIGN_RULES:
        assert row.fallback_sign in (-1.0, 0.0, 1.0)
    pelvis = next(r for r in SIGN_RULES if r.segment == "pelvis")
    assert pelvis.partners == ("left_thigh", "right_thigh")
    trunk = next(r for r in SIGN_RULES if r.segment == "trunk")
    assert (trunk.partners, trunk.correlate_with) == (("pelvis",), "pelvis")


def _tilts(move_deg, session_deg=None, sagittal=None) -> Tilts:
    move = np.deg2rad(np.asarray(move_deg, dtype=float))
    sess = move if session_deg is None else np.deg2rad(np.asarray(session_deg, dtype=float))
    sag = np.ones(sess.size, bool) if sagittal is None else np.asarray(sagittal)
    return Tilts(move=move, session=sess, sagittal=sag)


def _pair(move_deg, session_deg=None) -> tuple[Tilts, Tilts]:
    a = _tilts(move_deg, session_deg)
    b = _tilts(
        -np.asarray(move_deg, float),
        None if session_deg is None else -np.asarray(session_deg, float),
    )
    return a, b


PELVIS = next(r for r in SIGN_RULES if r.segment == "pelvis")


def test_hip_limit_decides_a_pelvis_that_bowed():
    thigh = _tilts(np.zeros(200))  # thighs vertical during the bow
    bow = -30 * np.sin(np.linspace(0, np.pi, 200))  # true anterior tilt (negative tilt)
    d = decide_sign(PELVIS, _pair(bow), {"right_thigh": thigh}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")
    d = decide_sign(PELVIS, _pair(-bow), {"right_thigh": thigh}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (1, "high")


def test_lying_down_later_decides_a_pelvis_kept_still_in_the_calibration():
    still = np.zeros(200)
    session = np.r_[np.zeros(100), np.full(300, 90.0)]  # supine: pelvis and thigh both +90°
    thigh = _tilts(np.zeros(200), session)
    d = decide_sign(PELVIS, _pair(still, session), {"left_thigh": thigh}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")
    assert "over the session" in d.rule
    # where neither sign breaks the hip's range, the session does not decide
    thigh_lean = _tilts(np.zeros(200), np.r_[np.zeros(100), np.full(300, 20.0)])
    lean = np.r_[np.zeros(100), np.full(300, -8.0)]
    d = decide_sign(PELVIS, _pair(still, lean), {"left_thigh": thigh_lean}, session_rate_hz=10.0)
    assert d.confidence == "low"


def test_a_still_pelvis_without_partners_is_never_confident():
    rng = np.random.default_rng(3)
    for k in range(20):
        noise = rng.normal(0, 1.5, 300) + (k - 10) * 0.3
        d = decide_sign(
            PELVIS, _pair(noise), {"right_thigh": _tilts(np.zeros(300))}, session_rate_hz=10.0
        )
        assert d.confidence == "low", d


def _lean_session(lean_deg: float, n_still: int = 100, n_lean: int = 300) -> np.ndarray:
    """A standing session's pelvis tilt: still, then the lean into the stretch and back."""
    ramp = np.sin(np.linspace(0, np.pi, n_lean)) ** 0.3
    wobble = 0.3 * np.sin(np.linspace(0, 40, n_still + n_lean))
    return np.r_[np.zeros(n_still), lean_deg * ramp] + wobble


@pytest.mark.parametrize(("sign", "choice"), [(1.0, 0), (-1.0, 1)])
def test_a_pelvis_still_in_the_calibration_guesses_from_its_lean_but_stays_uncertain(sign, choice):
    # the older protocol: no bows, the pelvis still (±1°) in the window; only the lean into
    # the stretch (forward: negative tilt) tips it, with the thighs still (hip in range)
    rng = np.random.default_rng(7)
    still = rng.normal(0.0, 0.4, 200)
    lean = sign * _lean_session(-12.0)
    thigh = _tilts(np.zeros(200), np.zeros(lean.size))
    d = decide_sign(PELVIS, _pair(still, lean), {"right_thigh": thigh}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (choice, "low")
    assert d.rule.endswith("over the session")


def test_a_pelvis_that_never_tips_keeps_the_window_guess():
    # nothing tips more than the wobble, in the window or later: no session habit to read
    still = 0.5 * np.sin(np.linspace(0, 9, 200))
    session = 0.5 * np.sin(np.linspace(0, 30, 400))
    thigh = _tilts(np.zeros(200), np.zeros(400))
    d = decide_sign(PELVIS, _pair(still, session), {"right_thigh": thigh}, session_rate_hz=10.0)
    assert d.confidence == "low"
    assert not d.rule.endswith("over the session")


def test_a_trusted_habit_is_never_trusted_over_the_session():
    # the thigh's own habit is trusted in the window only: a thigh that did not tip there
    # but flexes later (sitting) is a guess
    row = SignRule(segment="x", fallback_sign=1.0, fallback_rule="r", fallback_trusted=True)
    session = np.r_[np.zeros(100), np.full(300, 80.0)]
    d = decide_sign(row, _pair(np.zeros(100), session), {}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "low")
    d = decide_sign(row, _pair(np.zeros(100), -session), {}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (1, "low")


TRUNK = next(r for r in SIGN_RULES if r.segment == "trunk")


def test_the_pelvis_partner_decides_the_trunk_by_correlation():
    # the hip hinge of the stretch: pelvis and trunk tip forward together (negative tilts)
    pelvis = _tilts(-12 * np.sin(np.linspace(0, 3 * np.pi, 300)) ** 2)
    trunk_true = 1.4 * pelvis.move * 180 / np.pi
    d = decide_sign(TRUNK, _pair(trunk_true), {"pelvis": pelvis}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")
    assert "pelvis" in d.rule
    d = decide_sign(TRUNK, _pair(-trunk_true), {"pelvis": pelvis}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (1, "high")


def test_lying_down_decides_a_trunk_that_stood_still():
    # supine after the calibration: pelvis and trunk both tilt back about 90°; reversed, the
    # trunk reads about 180° from the pelvis
    still = np.zeros(200)
    session = np.r_[np.zeros(100), np.full(300, 88.0)]
    pelvis = _tilts(still, np.r_[np.zeros(100), np.full(300, 85.0)])
    for sign, choice in ((1.0, 0), (-1.0, 1)):
        d = decide_sign(
            TRUNK, _pair(still, sign * session), {"pelvis": pelvis}, session_rate_hz=10.0
        )
        assert (d.choice, d.confidence) == (choice, "high")
        assert "lumbar spine stays within" in d.rule


def test_a_still_trunk_is_never_confident_on_its_own_habit():
    # no pelvis worn, a trunk that mostly leans one way: the guess is kept, but low
    lean = -20 * np.sin(np.linspace(0, np.pi, 100))
    d = decide_sign(TRUNK, _pair(lean), {}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "low")


def test_a_trunk_decided_against_a_doubted_pelvis_is_itself_doubted():
    pelvis = _tilts(-12 * np.sin(np.linspace(0, 3 * np.pi, 300)) ** 2)
    trunk_true = 1.4 * pelvis.move * 180 / np.pi
    d = decide_sign(
        TRUNK,
        _pair(trunk_true),
        {"pelvis": pelvis},
        session_rate_hz=10.0,
        confidence={"pelvis": "low"},
    )
    assert (d.choice, d.confidence, d.based_on) == (0, "low", ("pelvis",))


@pytest.mark.parametrize("segment", ["trunk", "head"])
def test_a_sign_on_an_undetermined_trunk_or_head_axis_is_never_confident(segment):
    # the tilts correlate perfectly with the partner's, but about an axis that carried only
    # 65 % of the rotation (a bow mixed with a side bend): the axis may be far off, so the
    # sign decided on it is no better than a guess
    row = next(r for r in SIGN_RULES if r.segment == segment)
    partner = _tilts(-12 * np.sin(np.linspace(0, 3 * np.pi, 300)) ** 2)
    own = 1.4 * partner.move * 180 / np.pi
    decided = {row.correlate_with: partner}
    sure = decide_sign(row, _pair(own), decided, session_rate_hz=10.0, planarity=0.95)
    assert (sure.choice, sure.confidence) == (0, "high")
    d = decide_sign(row, _pair(own), decided, session_rate_hz=10.0, planarity=0.65)
    assert (d.choice, d.confidence) == (0, "low")
    assert "flexion axis is not determined: planarity 0.65" in d.rule
    assert row.min_planarity == AXIS_PLANARITY_MIN


def test_the_planarity_gate_leaves_rows_without_it_alone():
    # the thigh's axis comes from the knee hinge; its own planarity does not gate its sign
    thigh = next(r for r in SIGN_RULES if r.segment == "{side}_thigh").expand("left")
    assert thigh.min_planarity is None
    flex = 30 * np.sin(np.linspace(0, np.pi, 100))
    d = decide_sign(thigh, _pair(flex), {}, session_rate_hz=10.0, planarity=0.3)
    assert (d.choice, d.confidence) == (0, "high")


def test_decide_signs_weighs_the_planarity_of_the_axis_it_decided_on():
    import dataclasses

    from analysis.angles.calibration import decide_signs

    # pelvis and trunk bow together, both sensors aligned: z_S is the true flexion axis
    session, q_E_S, _, _ = _session(
        {"pelvis": ("pelvis_bow", "aligned"), "trunk": ("pelvis_bow", "aligned")}
    )
    move = session.t_s >= 4.0
    good = dataclasses.replace(
        _axes_with([0.0, 0.0, 1.0], rotation_deg=60.0, planarity=0.99),
        y_S=np.array([0.0, 1.0, 0.0]),
    )
    out = decide_signs(q_E_S, {"pelvis": good, "trunk": good}, move, rate_hz=RATE_HZ)
    assert out["trunk"][1].confidence == "high"
    loose = dataclasses.replace(good, planarity_ratio=0.65)
    out = decide_signs(q_E_S, {"pelvis": good, "trunk": loose}, move, rate_hz=RATE_HZ)
    assert out["pelvis"][1].confidence == "high"
    assert out["trunk"][1].confidence == "low"
    assert "not determined" in out["trunk"][1].rule


def test_a_foot_without_a_shank_is_not_determinable():
    foot = next(r for r in SIGN_RULES if r.segment == "{side}_foot").expand("right")
    d = decide_sign(foot, _pair(np.linspace(-10, 10, 50)), {}, session_rate_hz=10.0)
    assert d.confidence == "low"
    assert "not determinable" in d.rule


def test_an_own_fallback_is_trusted_only_for_the_segments_whose_habit_it_is():
    row = SignRule(segment="x", fallback_sign=1.0, fallback_rule="r", fallback_trusted=False)
    flex = 30 * np.sin(np.linspace(0, np.pi, 100))
    assert decide_sign(row, _pair(flex), {}, session_rate_hz=10.0).confidence == "low"
    trusted = SignRule(segment="x", fallback_sign=1.0, fallback_rule="r", fallback_trusted=True)
    d = decide_sign(trusted, _pair(flex), {}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")
    d = decide_sign(trusted, _pair(-flex), {}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (1, "high")


# --- the whole calibration -------------------------------------------------------------------


@pytest.mark.parametrize("mount", ["upside_down", "facing_backwards", "outside_of_thigh", "skewed"])
def test_calibrate_recovers_each_strapping(mount):
    session, q_E_S, _, windows = _session(
        {"pelvis": ("pelvis_bow", mount), "right_thigh": ("thigh", mount)}
    )
    cal = calibrate(session, q_E_S, windows=windows)
    for label in ("pelvis", "right_thigh"):
        seg = cal.segments[label]
        assert seg.sign_confidence == "high", seg
        assert _frame_error_deg(seg.q_S_B, MOUNTS[mount]) < 1.5
        assert seg.trusted
    assert cal.uncertain_angles() == {}
    assert cal.to_dict()["segments"]["pelvis"]["trusted"] is True


def test_a_still_pelvis_makes_its_angles_uncertain_with_what_to_redo():
    session, q_E_S, _, windows = _session(
        {"pelvis": ("pelvis_still", "facing_backwards"), "right_thigh": ("thigh", "aligned")}
    )
    cal = calibrate(session, q_E_S, windows=windows)
    assert not cal.segments["pelvis"].trusted
    assert cal.segments["right_thigh"].trusted
    unsure = cal.uncertain_angles()
    assert set(unsure) == {
        "pelvis_anterior_tilt_deg",
        "right_hip_flexion_deg",
        "right_hip_adduction_deg",
        "right_hip_internal_rotation_deg",
    }
    assert BOW_WORDS in unsure["pelvis_anterior_tilt_deg"]["redo"]
    assert "pelvis" in unsure["right_hip_flexion_deg"]["reason"]


def test_angle_dependencies_name_both_segments_of_each_joint():
    deps = angle_dependencies()
    assert deps["left_knee_flexion_deg"] == ("left_thigh", "left_shank")
    assert deps["lumbar_flexion_deg"] == ("pelvis", "trunk")
    assert deps["right_thigh_inclination_deg"] == ("right_thigh",)


def _axes_with(z_S, rotation_deg: float, planarity: float):
    return sensor_axes(z_S, rotation_deg=rotation_deg, planarity=planarity)


def test_the_session_defines_an_axis_the_movements_left_undefined():
    from analysis.angles.calibration_axes import with_session_axis

    rng = np.random.default_rng(5)
    true_z = np.array([np.cos(0.3), np.sin(0.3), 0.0])  # horizontal in the sensor frame
    rate = np.sin(np.linspace(0, 20, 2000))[:, None] * true_z + rng.normal(0, 0.01, (2000, 3))
    up = np.tile([0.0, 0.0, 1.0], (2000, 1))
    still = _axes_with([0.0, 1.0, 0.0], rotation_deg=5.0, planarity=0.5)
    got = with_session_axis(still, rate, up, rate_hz=25.0)
    assert got.axis_source == "session"
    assert abs(float(got.z_S @ true_z)) > 0.999
    assert got.well_defined
    # a defined axis stays unless asked to prefer a more planar one, and only if it is
    good = _axes_with([0.0, 1.0, 0.0], rotation_deg=80.0, planarity=0.9)
    assert with_session_axis(good, rate, up, rate_hz=25.0) is good
    assert with_session_axis(good, rate, up, rate_hz=25.0, prefer_more_planar=True).axis_source == (
        "session"
    )
    planar = _axes_with([0.0, 1.0, 0.0], rotation_deg=80.0, planarity=0.999)
    kept = with_session_axis(planar, rate, up, rate_hz=25.0, prefer_more_planar=True)
    assert kept.axis_source == "movements"
    assert kept.z_S is planar.z_S
    assert kept.rival is not None  # but the two axes lie 73° apart: the rival is kept
    assert kept.rival.source == "session"
    near = _axes_with(true_z, rotation_deg=80.0, planarity=0.999)
    assert with_session_axis(near, rate, up, rate_hz=25.0, prefer_more_planar=True) is near
    # a session that never turned much about one axis decides nothing
    tiny = rate * 0.01
    assert with_session_axis(still, tiny, up, rate_hz=25.0) is still


@pytest.mark.parametrize(
    ("rock", "defined"), [(0.0, True), (0.6, False)], ids=["planar", "rocking"]
)
def test_one_lean_defines_a_still_pelvis_axis_only_if_it_is_planar(rock, defined):
    from analysis.angles.calibration_axes import session_axis_defined, with_session_axis

    # one lean into the stretch and back: 2 × 20° about the flexion axis, in 10 s at 25 Hz
    rng = np.random.default_rng(7)
    true_z = np.array([np.cos(0.3), np.sin(0.3), 0.0])
    t = np.arange(250) / 25.0
    tilt_rate = np.deg2rad(20.0) * np.pi / 10.0 * np.sin(2 * np.pi * t / 10.0)
    side_z = np.array([-np.sin(0.3), np.cos(0.3), 0.0])  # the other horizontal axis
    side = rock * np.deg2rad(20.0) * np.pi / 10.0 * np.cos(2 * np.pi * t / 10.0)
    rate = tilt_rate[:, None] * true_z + side[:, None] * side_z + rng.normal(0, 0.03, (250, 3))
    up = np.tile([0.0, 0.0, 1.0], (250, 1))
    still = _axes_with([0.0, 1.0, 0.0], rotation_deg=8.0, planarity=0.9)
    got = with_session_axis(still, rate, up, rate_hz=25.0, prefer_more_planar=True)
    assert (got.axis_source == "session") is defined
    assert got.well_defined is defined
    if defined:
        assert abs(float(got.z_S @ true_z)) > 0.99
        assert 30.0 <= got.rotation_deg < 60.0  # the old bar (60°) would have refused it
    assert session_axis_defined(35.0, 0.95, one_lean=True)
    assert not session_axis_defined(35.0, 0.95)  # other segments need 60°: a foot's 35° can
    assert not session_axis_defined(35.0, 0.85, one_lean=True)  # be anything but flexion
    assert session_axis_defined(65.0, 0.65)
    assert not session_axis_defined(25.0, 0.99, one_lean=True)
    if defined:  # without the pelvis's licence the same lean leaves the axis undefined
        assert with_session_axis(still, rate, up, rate_hz=25.0) is still


def test_a_correlation_of_tilts_under_a_few_degrees_decides_nothing():
    # knee bends with the pelvis held still: sub-degree tilts (wobble, a slightly skewed axis)
    # may correlate either way; they must not set the trunk's sign
    wobble = 0.6 * np.sin(np.linspace(0, 6 * np.pi, 300))
    pelvis = _tilts(wobble)
    d = decide_sign(TRUNK, _pair(-wobble), {"pelvis": pelvis}, session_rate_hz=10.0)
    assert d.confidence == "low"
    assert "pelvis" not in d.rule


def test_the_protocol_s_bows_decide_the_pelvis():
    # knee bends with the pelvis still, then two 20° bows (forward = negative pelvis tilt)
    still = 0.3 * np.sin(np.linspace(0, 8 * np.pi, 300))
    bows = -20 * np.sin(np.linspace(0, 2 * np.pi, 120)) ** 2
    window = np.r_[still, bows]
    thigh = _tilts(np.zeros(window.size))
    for sign, choice in ((1.0, 0), (-1.0, 1)):
        d = decide_sign(PELVIS, _pair(sign * window), {"right_thigh": thigh}, session_rate_hz=10)
        assert (d.choice, d.confidence) == (choice, "high")
        assert "bows" in d.rule


def test_samples_without_orientation_are_no_bow():
    bows = -20 * np.sin(np.linspace(0, 2 * np.pi, 120)) ** 2
    window = np.r_[np.full(200, np.nan), bows]
    thigh = _tilts(np.zeros(window.size))
    d = decide_sign(PELVIS, _pair(window), {"right_thigh": thigh}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")
    unknown = np.full(window.size, np.nan)
    d = decide_sign(PELVIS, _pair(unknown), {"right_thigh": thigh}, session_rate_hz=10.0)
    assert "bows" not in d.rule


def test_a_pelvis_that_rocks_both_ways_is_no_bow():
    rock = 14 * np.sin(np.linspace(0, 6 * np.pi, 300))  # as far back as forward
    shallow = -9 * np.sin(np.linspace(0, 2 * np.pi, 300)) ** 2  # one way, but under 12°
    thigh = _tilts(np.zeros(300))
    for tilt in (rock, shallow):
        d = decide_sign(PELVIS, _pair(tilt), {"right_thigh": thigh}, session_rate_hz=10.0)
        assert d.confidence == "low"
        assert "bows" not in d.rule


THIGH = next(r for r in SIGN_RULES if r.segment == "{side}_thigh").expand("right")


def test_sitting_decides_the_thigh_through_the_knee_whatever_the_shank_s_sign():
    # leg swings too small for the thigh's habit, then sitting: thigh +85°, knee 90°
    swing = 4 * np.sin(np.linspace(0, 6 * np.pi, 100))
    thigh_s = np.r_[swing, np.full(200, 85.0)]
    shank_s = np.r_[0.5 * swing, np.full(200, -5.0)]
    shank = _pair(np.zeros(100), shank_s)
    for sign, choice in ((1.0, 0), (-1.0, 1)):
        d = decide_sign(
            THIGH, _pair(sign * swing, sign * thigh_s), {}, session_rate_hz=10.0, pair=shank
        )
        assert (d.choice, d.confidence) == (choice, "high"), d
        assert "knee stays within" in d.rule
        flipped = (shank[1], shank[0])  # the shank's own sign does not matter
        d = decide_sign(
            THIGH, _pair(sign * swing, sign * thigh_s), {}, session_rate_hz=10.0, pair=flipped
        )
        assert d.choice == choice


def test_a_thigh_that_never_tips_while_the_knee_bends_is_not_decided_by_the_knee():
    still = np.zeros(300)
    bends = 40 * np.sin(np.linspace(0, 6 * np.pi, 300)) ** 2  # the shank swings back
    d = decide_sign(
        THIGH, _pair(still), {}, session_rate_hz=10.0, pair=_pair(np.zeros(300), -bends)
    )
    assert d.confidence == "low"
    assert "knee" not in d.rule


def test_the_vertical_in_the_sensor_widens_float32_orientations_row_by_row():
    """A long session's float32 orientations give the float64 vertical of their widened rows,
    whole or a chunk of rows at a time (the session axis no longer keeps a float64 copy)."""
    from analysis.angles import calibration as cal_mod
    from analysis.angles.chunks import map_rows

    rng = np.random.default_rng(3)
    q = rng.normal(size=(1000, 4))
    q32 = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
    wide = cal_mod._up_in_sensor(q32.astype(np.float64))
    got = cal_mod._up_in_sensor(q32)
    assert got.dtype == np.float64
    assert np.array_equal(got, wide)
    assert np.array_equal(
        map_rows(cal_mod._up_in_sensor, q32, width=3, dtype=np.float64, chunk=64), wide
    )
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0)
