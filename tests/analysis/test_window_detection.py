"""Calibration windows found in sessions without a sidecar (vendor exports).

The stand must be a pose the calibration movements return to: a long stillness in another
pose (the stretch hold) is no stand, and what follows the last return (lying down) is no
calibration movement. Synthetic sensors tilt about their x axis through scripted angles.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.calibration_windows import (
    POSE_MATCH_DEG,
    _stand_trim,
    bridge_short_breaks,
    detect_windows,
    first_return_start,
    last_return_run,
    resolve_windows,
    stand_pose_distance_deg,
)
from analysis.angles.timebase import UniformSession, UniformStream, to_uniform_grid
from analysis.errors import CalibrationError
from analysis.recording.schema import GRAVITY_M_S2
from analysis.simulation.population import generate_person, generate_session

RATE_HZ = 100.0


def _stream(label: str, angle_rad: np.ndarray, seed: int) -> UniformStream:
    """A sensor tilted by ``angle_rad`` about its x axis (gravity along y at 0), with noise."""
    rng = np.random.default_rng(seed)
    zero = np.zeros_like(angle_rad)
    acc = np.column_stack([zero, np.cos(angle_rad), np.sin(angle_rad)]) * GRAVITY_M_S2
    gyr = np.column_stack([np.gradient(angle_rad) * RATE_HZ, zero, zero])
    return UniformStream(
        placement=label,
        acc_m_s2=acc + rng.normal(0.0, 0.02, acc.shape),
        gyr_rad_s=gyr + rng.normal(0.0, 0.003, gyr.shape),
        valid=np.ones(angle_rad.size, dtype=bool),
    )


def _session(angles_deg: dict[str, np.ndarray]) -> UniformSession:
    n = next(iter(angles_deg.values())).size
    streams = {p: _stream(p, np.radians(a), k) for k, (p, a) in enumerate(angles_deg.items())}
    return UniformSession(t_s=np.arange(n) / RATE_HZ, rate_hz=RATE_HZ, streams=streams, gaps=())


def _script(*steps: tuple[str, float, float]) -> np.ndarray:
    """Angle (deg) at 100 Hz: ``("stay", s, _)``, ``("go", s, target)`` (cosine ramp) or
    ``("bends", s, depth)`` (down and up again every 4 s)."""
    out = [np.zeros(1)]
    for kind, seconds, value in steps:
        k = np.arange(1, round(seconds * RATE_HZ) + 1) / RATE_HZ
        last = out[-1][-1]
        if kind == "stay":
            out.append(np.full(k.size, last))
        elif kind == "go":
            out.append(last + (value - last) * (1.0 - np.cos(np.pi * k / seconds)) / 2.0)
        else:
            out.append(last + value * (1.0 - np.cos(2.0 * np.pi * k / 4.0)) / 2.0)
    return np.concatenate(out)


def _two(thigh: np.ndarray, pelvis_scale: float = 0.2) -> UniformSession:
    return _session({"pelvis": thigh * pelvis_scale, "thigh": thigh})


# a short opening stand, bends back to upright, a short pause, then a long stretch hold
SHORT_STAND_THEN_HOLD = (
    ("stay", 2.4, 0.0),
    ("bends", 12.0, 50.0),
    ("stay", 1.5, 0.0),
    ("go", 2.0, 65.0),
    ("stay", 25.0, 0.0),
    ("go", 2.0, 0.0),
    ("stay", 10.0, 0.0),
)


def test_the_distance_from_the_stand_is_the_tilt():
    a = _script(("stay", 3.0, 0.0), ("go", 2.0, 30.0), ("stay", 3.0, 0.0))
    d = stand_pose_distance_deg(_session({"thigh": a, "pelvis": 0.5 * a}), (0, 250))
    assert np.nanmax(d[:250]) < 1.0
    # the larger tilt of the two sensors counts
    assert d[-150:] == pytest.approx(30.0, abs=1.0)


def _return_end(d: np.ndarray) -> int | None:
    run = last_return_run(d, 0, 1000, RATE_HZ)
    return None if run is None else run[1]


def test_a_return_needs_leaving_first_and_staying_back():
    d = np.zeros(1000)
    assert _return_end(d) is None  # never left
    d[100:400] = 40.0
    d[450:470] = 40.0  # back for 0.5 s in between: a return; then out again for 0.2 s
    d[470:] = np.nan  # no data after: not a return
    assert _return_end(d) == 450
    d[400:450] = POSE_MATCH_DEG + 1.0  # never back within the match angle
    assert _return_end(d) is None
    d[400:420] = 0.0  # back for only 0.2 s: a swing passing through neutral
    assert _return_end(d) is None


def test_a_short_opening_stand_beats_a_long_hold_in_another_pose():
    session = _two(_script(*SHORT_STAND_THEN_HOLD))
    static_s, functional_s = detect_windows(session)
    assert 0.2 <= static_s[0] < static_s[1] <= 2.4
    assert static_s[1] - static_s[0] >= 1.3
    assert 2.2 <= functional_s[0] <= 2.8
    # movements end at the last return to upright: the lean into the hold starts at 15.9 s
    # and is 10° away 0.5 s later (the hold's stillness, which used to end them, at 17.9 s)
    assert 15.9 <= functional_s[1] <= 16.6


def test_short_breaks_between_still_runs_are_bridged():
    mask = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0], dtype=bool)
    out = bridge_short_breaks(mask, 2)
    # the 2-sample break is bridged, the 3-sample one is not, the ends are left alone
    assert out.tolist() == [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0]
    assert mask.tolist() == [0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0]  # input untouched


def test_a_head_that_sways_once_does_not_split_the_stand():
    # generated person 8019 (full set, vendor export: no windows) stands 3.0 s; the swaying
    # head breaks "every sensor still" for 0.1 s at 1.4 s, and neither half is a stand alone
    person = generate_person(8019)
    session = to_uniform_grid(generate_session(person, 0, None, "full").recording().streams)
    static_s, functional_s = detect_windows(session)
    assert static_s[0] < 0.5
    assert static_s[1] > 2.5
    assert functional_s[0] >= static_s[1]


def test_the_short_stand_is_noted():
    windows = resolve_windows(_two(_script(*SHORT_STAND_THEN_HOLD)), None)
    assert windows.source == "detected"
    assert any("only about 2.4 s" in note for note in windows.notes)
    long = resolve_windows(_two(_script(("stay", 4.0, 0.0), *SHORT_STAND_THEN_HOLD[1:])), None)
    assert not any("only about" in note for note in long.notes)


def test_a_hold_the_movements_never_return_to_is_no_stand():
    # the opening stillness is too short; the only long stillness is the stretch hold
    steps = (("stay", 1.5, 0.0), *SHORT_STAND_THEN_HOLD[1:])
    with pytest.raises(CalibrationError, match="no quiet stand"):
        detect_windows(_two(_script(*steps)))


def test_a_short_stillness_later_in_the_session_is_no_stand():
    # movement from the start, then 2.4 s still: only an opening stand may be that short
    steps = (("go", 1.5, 20.0), ("go", 1.5, 0.0), *SHORT_STAND_THEN_HOLD[:3])
    with pytest.raises(CalibrationError, match="no quiet stand"):
        detect_windows(_two(_script(*steps)))


def test_lying_down_after_the_movements_is_cut_off():
    steps = (
        ("stay", 4.0, 0.0),
        ("bends", 12.0, 50.0),
        ("stay", 1.0, 0.0),
        ("go", 3.0, 90.0),  # lie down
        ("stay", 30.0, 0.0),
    )
    static_s, functional_s = detect_windows(_session({"pelvis": _script(*steps)}))
    assert static_s[1] <= 4.0
    # lying down starts at 17 s and is 10° away 0.65 s later (lying still from 20 s)
    assert 17.0 <= functional_s[1] <= 17.9


def _slow_then_bow(pause_s: float, swing_half_s: float) -> UniformSession:
    """Slow leg swings (thigh only), a pause upright, knee bends, a bow (pelvis and thigh
    tip together), then the lean into a 30-s stretch hold. The bow ends at 4 + 15·half +
    pause + 12 + 6 s."""
    swings = [("go", swing_half_s, 35.0 if k % 2 == 0 else -15.0) for k in range(15)]
    thigh = _script(
        ("stay", 4.0, 0.0),
        *swings,
        ("go", 1.0, 0.0),
        ("stay", pause_s, 0.0),
        ("bends", 12.0, 50.0),
        ("go", 3.0, 25.0),  # the bow
        ("go", 3.0, 0.0),
        ("stay", 1.0, 0.0),
        ("go", 2.0, 65.0),  # the lean into the hold
        ("stay", 30.0, 0.0),
    )
    pelvis = _script(
        ("stay", 4.0 + 15 * swing_half_s + 1.0 + pause_s + 12.0, 0.0),
        ("go", 3.0, 25.0),
        ("go", 3.0, 0.0),
        ("stay", 1.0, 0.0),
        ("go", 2.0, 20.0),
        ("stay", 30.0, 0.0),
    )
    return _session({"pelvis": pelvis, "thigh": thigh})


@pytest.mark.parametrize(("pause_s", "swing_half_s"), [(0.5, 3.0), (4.0, 1.0)])
def test_slow_movements_and_pauses_upright_stay_in_the_window(pause_s, swing_half_s):
    # 45 s of swings (longer than the movements' old 40-s limit), or a 4-s pause upright
    # between the steps: the bow after them belongs to the movements, the lean does not
    session = _slow_then_bow(pause_s, swing_half_s)
    bow_end_s = 4.0 + 15 * swing_half_s + 1.0 + pause_s + 12.0 + 6.0
    _, functional_s = detect_windows(session)
    # the lean starts 1 s after the bow and is 10° away about 0.6 s later
    assert bow_end_s - 0.5 <= functional_s[1] <= bow_end_s + 1.8


def test_standing_about_after_the_movements_is_cut_off():
    # back upright after the bends, then 12 s of standing about (a slow turn on the spot:
    # the gravity direction stays put), then the lean into the hold
    thigh = _script(("stay", 4.0, 0.0), ("bends", 12.0, 50.0), ("stay", 12.0, 0.0))
    thigh = np.concatenate([thigh, _script(("go", 2.0, 65.0), ("stay", 30.0, 0.0))[1:]])
    session = _session({"pelvis": 0.2 * thigh, "thigh": thigh})
    turn = np.zeros(thigh.size)
    turn[1700:2700] = 0.5  # rad/s about the sensor's y, gravity's axis: no tilt
    session.streams["pelvis"].gyr_rad_s[:, 1] += turn
    _, functional_s = detect_windows(session)
    # the bends are back upright from about 15.5 s; the movements end within 5 s of it,
    # not when the person leaves for the lean at 28 s
    assert 15.5 <= functional_s[1] <= 16.0 + 5.0


def test_without_a_settled_pose_the_old_limit_holds():
    # the movements go on and on: no stillness in another pose, so the first stillness of
    # any pose within 40 s ends them
    thigh = _script(("stay", 4.0, 0.0), ("bends", 48.0, 50.0), ("stay", 5.0, 0.0))
    _, functional_s = detect_windows(_session({"pelvis": 0.2 * thigh, "thigh": thigh}))
    assert 43.0 <= functional_s[1] <= 44.5


def _seen_steps(ses) -> list[tuple[float, float]]:
    """Scripted calibration movements the worn sensors see: a set without the other thigh
    cannot see that leg's swings."""
    other = "left" if ses.side == "right" else "right"
    unseen = {"quiet_stand"}
    if f"{other}_thigh" not in ses.sensors:
        unseen.add(f"leg_swings_{other}")
    return [
        (i.start_s, i.end_s)
        for i in ses.intervals
        if i.kind == "calibration" and i.name not in unseen
    ]


@pytest.mark.parametrize("person_seed", [26, 19])
def test_population_vendor_exports_find_their_windows(person_seed):
    # person 26 stands 2.1 s (the stretch hold was taken for the stand); person 19 lies down
    # for the supine stretch after the movements (it was counted as a calibration movement)
    ses = generate_session(generate_person(person_seed), 0, None, "default")
    static_s, functional_s = detect_windows(to_uniform_grid(ses.recording().streams))
    # the stand may reach 0.3 s into the first slow movement: still by every measure
    assert 0.0 <= static_s[0] < static_s[1] <= ses.static_s[1] + 0.3
    assert ses.functional_s[0] - 0.1 <= functional_s[0] <= ses.functional_s[0] + 0.6
    _assert_movements_all_in(ses, functional_s)


def test_slow_leg_swings_keep_the_bends_and_bows_after_them():
    # person 1120 (full set) swings its legs for 38 s, then bends the knees and bows: the
    # movements' old 40-s limit cut both off, and the trunk's axis came from the swings
    ses = generate_session(generate_person(1120), 0, None, "full")
    _, functional_s = detect_windows(to_uniform_grid(ses.recording().streams))
    assert ses.functional_s[1] - ses.functional_s[0] > 50.0  # as slow as described
    _assert_movements_all_in(ses, functional_s)


def _assert_movements_all_in(ses, functional_s: tuple[float, float]) -> None:
    """Every movement the sensors see is in the window, nothing after the scripted ones."""
    assert max(end for _, end in _seen_steps(ses)) - 0.5 <= functional_s[1]
    assert functional_s[1] <= ses.functional_s[1] + 1.5


# one quick knee bend after the opening stand, a pause upright, then a stretch hold in another
# pose with a twitch in it (the body leaves the hold's pose and comes back)
ONE_QUICK_BEND_THEN_HOLD = (
    ("stay", 4.0, 0.0),
    ("go", 1.2, 50.0),
    ("go", 1.2, 0.0),
    ("stay", 8.0, 0.0),
    ("go", 2.0, 65.0),
    ("stay", 12.0, 0.0),
    ("go", 1.0, 40.0),
    ("go", 1.0, 65.0),
    ("stay", 10.0, 0.0),
    ("go", 2.0, 0.0),
    ("stay", 5.0, 0.0),
)


def test_one_quick_bend_after_the_opening_stand_is_the_calibration():
    # the bend lasts 2.4 s, under MIN_MOVEMENTS_S: the opening stand still counts, and the
    # hold (which the twitch leaves and regains) is not taken for a stand
    windows = resolve_windows(_two(_script(*ONE_QUICK_BEND_THEN_HOLD)), None)
    assert windows.static_s[0] < 0.5
    assert 3.5 <= windows.static_s[1] <= 4.0
    assert 3.8 <= windows.functional_s[0] <= 4.3
    assert 6.0 <= windows.functional_s[1] <= 7.5
    assert any("movements lasted only about" in note for note in windows.notes)


def test_a_quick_return_after_a_later_stillness_is_no_calibration():
    # no opening stand (movement from the start); the first long stillness is followed by
    # one quick excursion and return: only an opening stand may be followed by so little
    steps = (("go", 1.5, 20.0), ("go", 1.5, 0.0), *ONE_QUICK_BEND_THEN_HOLD[:4])
    with pytest.raises(CalibrationError, match="no quiet stand"):
        detect_windows(_two(_script(*steps)))


def test_a_stillness_passed_over_for_the_stand_is_noted():
    # still upright, then still again 30° away: the bends return to the second stillness
    # only, which is taken for the stand; the report says the first was passed over
    steps = (("stay", 4.0, 0.0), ("go", 2.0, 30.0), ("stay", 5.0, 0.0), *SHORT_STAND_THEN_HOLD[1:])
    windows = resolve_windows(_two(_script(*steps)), None)
    assert windows.static_s[0] >= 6.0
    assert any("an earlier stillness (from 0.0 s)" in note for note in windows.notes)
    first = resolve_windows(_two(_script(*ONE_QUICK_BEND_THEN_HOLD)), None)
    assert not any("earlier stillness" in note for note in first.notes)
    assert windows.late_stand is None
    assert first.late_stand is None


def test_a_head_that_never_keeps_still_does_not_move_the_end_of_the_movements():
    # the stranger's round 2, seed 5: fidgeting, the full set's head and trunk were never
    # still together for the 2.5 s a settle takes, so its movements ended at the 40-s limit,
    # before the exercised thigh's, where the same session without them found the settle
    thigh = _script(("stay", 4.0, 0.0), ("bends", 12.0, 50.0), ("stay", 3.0, 0.0))
    thigh = np.concatenate([thigh, _script(("go", 2.0, 65.0), ("stay", 60.0, 0.0))[1:]])
    legs = {"pelvis": 0.2 * thigh, "thigh": thigh}
    _, without = detect_windows(_session(legs))
    t = np.arange(thigh.size) / RATE_HZ
    sway = 4.0 * np.sin(2.0 * np.pi * 0.5 * t) * (t > 5.0)  # looking about: up to 12.6 °/s
    _, with_head = detect_windows(_session({**legs, "head": sway, "trunk": 0.5 * sway}))
    assert with_head == pytest.approx(without, abs=0.02)
    assert without[1] < 24.0  # the bends' end, not the 40-s limit


def _seated_then(*steps: tuple[str, float, float]) -> np.ndarray:
    """A calibration done sitting: the thigh level (88°) for 5 s, then standing up."""
    return np.concatenate([np.full(500, 88.0), 88.0 + _script(("go", 1.5, -88.0), *steps)])


def test_a_short_stand_after_a_seated_opening_is_taken_and_noted():
    thigh = _seated_then(("stay", 1.5, 0.0), *SHORT_STAND_THEN_HOLD[1:])
    windows = resolve_windows(_session({"pelvis": thigh * 0.05, "thigh": thigh}), None)
    assert windows.source == "detected"
    assert 6.5 <= windows.static_s[0] < windows.static_s[1] <= 8.1
    assert windows.static_s[1] - windows.static_s[0] >= 0.5
    assert 7.5 <= windows.functional_s[0] <= 8.5
    assert any("opened still in another pose" in note for note in windows.notes)
    late = windows.late_stand  # the record envelope.json and the summary say
    assert late is not None
    assert late.stand_s == windows.static_s
    assert late.protocol_s == 3.0
    assert late.text in windows.notes
    assert late.opening_s == 0.0
    # the seated stillness alone stays refused by the protocol's own search
    with pytest.raises(CalibrationError, match="no quiet stand"):
        detect_windows(_session({"pelvis": thigh * 0.05, "thigh": thigh}))


def test_a_seated_opening_without_a_stand_after_it_stays_refused():
    # standing up straight into the bends: no standing stillness to zero on
    thigh = _seated_then(*SHORT_STAND_THEN_HOLD[1:])
    with pytest.raises(CalibrationError, match="no quiet stand"):
        resolve_windows(_session({"pelvis": thigh * 0.05, "thigh": thigh}), None)


def test_the_trim_leaves_the_least_stand_the_calibration_takes():
    assert _stand_trim(0, 300, 100.0) == 25
    assert _stand_trim(0, 40, 100.0) == 0
    for rate in (100.0, 100.0001, 59.97):  # a clock a little fast or slow
        t = np.arange(200) / rate
        for j in range(70, 200):  # the stand [t[trim], t[j - 1 - trim]) keeps ≥ 0.5 s
            trim = _stand_trim(0, j, rate)
            stand = (t >= t[trim]) & (t < t[j - 1 - trim])
            assert stand.sum() >= 0.5 * rate, (rate, j)


def test_a_seat_the_movements_come_back_to_only_after_a_later_stand_is_no_stand():
    # seated 5 s, stand up, stand 1.5 s, knee bends back to it, sit down again for 3 s (to lie
    # down, say), then hold a pose away: the protocol's search takes the seat, which the
    # movements come back to (once, at the end); the movements come home to the later stand
    # first, so that is the stand
    thigh = _seated_then(
        ("stay", 1.5, 0.0),
        ("bends", 12.0, 50.0),
        ("stay", 1.0, 0.0),
        ("go", 2.0, 0.0),
        ("stay", 3.0, 0.0),
        ("go", 2.0, 40.0),
        ("stay", 25.0, 0.0),
    )
    session = _session({"pelvis": thigh * 0.05, "thigh": thigh})
    assert detect_windows(session)[0][1] <= 5.0  # the seat, as before
    windows = resolve_windows(session, None)
    assert 6.5 <= windows.static_s[0] < windows.static_s[1] <= 8.1
    assert windows.late_stand is not None
    assert "came back to only at" in windows.late_stand.text
    # a stand the movements come back to first keeps the opening stillness
    standing = _script(
        ("stay", 4.0, 0.0), ("bends", 12.0, 50.0), ("go", 2.0, 60.0), ("stay", 25.0, 0.0)
    )
    kept = resolve_windows(_two(standing), None)
    assert kept.static_s[1] <= 4.0
    assert kept.late_stand is None


def test_the_first_return_to_the_stand_s_pose():
    d = np.array([0, 0, 20, 20, 5, 5, 5, 30, 2, 2, 2, 2], dtype=float)
    assert first_return_start(d, 0, d.size, 10.0) == 4  # 0.3 s back: 3 samples at 10 Hz
    assert first_return_start(d, 5, d.size, 10.0) == 8
    assert first_return_start(np.zeros(5), 0, 5, 10.0) is None
