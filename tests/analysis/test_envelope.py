"""The envelope checker on synthetic angle series whose answer is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.envelope.checker import (
    STATE_INSIDE,
    STATE_NOT_ENGAGED,
    STATE_OUTSIDE,
    check_envelope,
    debounce,
    hysteresis,
)
from analysis.envelope.profiles import load_builtin_profile, parse_profile
from analysis.errors import DataError
from analysis.recording.schema import RULE_NAMES
from analysis.recording.streams import Marker
from tests.analysis.builders import min_jerk_step as step

RATE_HZ = 100.0


def standing_session(
    *,
    duration_s: float = 80.0,
    noise_deg: float = 0.0,
    rng: np.random.Generator | None = None,
    side: str = "right",
) -> pd.DataFrame:
    """Quiet stand, a leg swing, then a correct standing stretch held 10→60 s."""
    t = np.arange(0.0, duration_s, 1 / RATE_HZ)
    into, out = (10.0, 12.0), (60.0, 62.0)

    def pose(value: float) -> np.ndarray:
        return step(t, *into, value) - step(t, *out, value)

    swing = 50 * np.exp(-(((t - 5.0) / 0.3) ** 2))  # a brief calibration leg swing
    cols = {
        "hip_flexion": pose(70.0) + swing,
        "hip_adduction": pose(0.0),
        "hip_internal_rotation": pose(2.0),
        "knee_flexion": pose(18.0),
        "ankle_dorsiflexion": pose(-15.0),
    }
    data = {"t_s": t}
    for name, value in cols.items():
        data[f"{side}_{name}_deg"] = value
    data["pelvis_anterior_tilt_deg"] = pose(12.0)
    data["lumbar_flexion_deg"] = pose(2.0)
    data["neck_flexion_deg"] = pose(3.0)
    df = pd.DataFrame(data)
    if noise_deg:
        assert rng is not None
        for c in df.columns[1:]:
            df[c] += rng.normal(0.0, noise_deg, len(df))
    return df


STANDING = load_builtin_profile("standing_hamstring")


def test_correct_session_is_inside_with_one_hold():
    res = check_envelope(standing_session(), STANDING, side="right")
    assert res.verdict == "inside"
    assert not res.episodes
    assert [r.status for r in res.rules] == ["ok"] * len(RULE_NAMES)
    (hold,) = res.holds
    # engaged from the 45° crossing during the 2-s lift, released at 40° on the way down;
    # the hold is the held pose, 12→60 s: a movement spans its time above half the rate
    # limit, so the hold starts as the lift settles and ends as the lowering begins
    assert 11.9 < hold.start_s < 12.1
    assert 59.9 < hold.end_s < 60.2
    assert hold.rating == "target"
    (engaged,) = res.engaged_intervals
    assert engaged[0] == pytest.approx(11.0, abs=0.2)
    # the calibration swing to 50° (0.6 s wide) is not engagement
    assert not res.engaged[res.t_s < 9].any()


def test_dorsiflexion_episode_onset_peak_and_cue():
    df = standing_session()
    t = df["t_s"].to_numpy()
    col = "right_ankle_dorsiflexion_deg"
    df[col] += step(t, 30.0, 31.0, 23.0) - step(t, 38.0, 39.0, 23.0)  # −15° → +8°
    res = check_envelope(df, STANDING, side="right")
    assert res.verdict == "outside"
    rule = res.rule("ankle_dorsiflexion")
    assert rule is not None
    assert rule.status == "violated"
    (ep,) = rule.episodes
    crossing = t[np.argmax(df[col].to_numpy() > 0)]
    assert ep.start_s == pytest.approx(crossing, abs=0.011)
    assert ep.peak_deg == pytest.approx(8.0, abs=0.01)
    assert ep.cue == "ankle dorsiflexed 8° — point your toes away"
    assert ep.severity == "clear"
    assert 38.0 < ep.end_s < 39.0
    assert rule.time_outside_s == pytest.approx(ep.end_s - ep.start_s)
    # the violation splits the hold: both parts are under the 30-s target
    assert len(res.holds) == 2
    assert res.holds[0].end_s == pytest.approx(ep.start_s)
    assert res.holds[1].start_s == pytest.approx(ep.end_s, abs=0.02)
    assert all(h.rating == "under_target" for h in res.holds)
    inside = res.state == STATE_INSIDE
    assert not inside[(t >= ep.start_s) & (t < ep.end_s)].any()
    assert (res.state[(t >= ep.start_s) & (t < ep.end_s)] == STATE_OUTSIDE).all()


@pytest.mark.parametrize(("level_deg", "noise_deg", "expected"), [(-0.5, 1.0, 0), (2.5, 0.5, 1)])
def test_noise_at_the_edge_does_not_flicker(rng, level_deg, noise_deg, expected):
    """Ankle held at the 0° edge with noise: no flicker; just past it: one episode."""
    df = standing_session(noise_deg=noise_deg, rng=rng)
    t = df["t_s"].to_numpy()
    rise = 15.0 + level_deg
    df["right_ankle_dorsiflexion_deg"] += step(t, 30.0, 31.0, rise) - step(t, 40.0, 41.0, rise)
    res = check_envelope(df, STANDING, side="right")
    rule = res.rule("ankle_dorsiflexion")
    assert rule is not None
    assert len(rule.episodes) == expected
    if expected:
        (ep,) = rule.episodes
        assert ep.severity == "borderline"  # peak about +4°: past the edge, not past warn
        assert 30.0 < ep.start_s < 31.0
        assert 40.0 < ep.end_s < 41.0
    assert not [e for e in res.episodes if e.rule != "ankle_dorsiflexion"]


def test_short_excursion_is_below_the_dwell():
    df = standing_session()
    t = df["t_s"].to_numpy()
    df["right_ankle_dorsiflexion_deg"] += 30 * ((t >= 30.0) & (t < 30.7))
    res = check_envelope(df, STANDING, side="right")
    assert res.verdict == "inside"
    assert len(res.holds) == 1


def test_violation_outside_engagement_is_not_judged():
    df = standing_session()
    t = df["t_s"].to_numpy()
    df["right_ankle_dorsiflexion_deg"] += 20 * ((t >= 1.0) & (t < 8.0))  # during the stand
    df["right_knee_flexion_deg"] = np.where(t > 65, 0.0, df["right_knee_flexion_deg"])
    res = check_envelope(df, STANDING, side="right")
    assert res.verdict == "inside"
    assert (res.state[t < 9] == STATE_NOT_ENGAGED).all()


def test_advisory_rules_report_but_do_not_gate():
    df = standing_session()
    t = df["t_s"].to_numpy()
    df["right_hip_internal_rotation_deg"] += step(t, 30, 31, 16) - step(t, 36, 37, 16)
    res = check_envelope(df, STANDING, side="right")
    rule = res.rule("hip_internal_rotation")
    assert rule is not None
    assert rule.status == "violated"
    assert rule.episodes[0].advisory
    assert "turned in 18°" in rule.episodes[0].cue
    assert res.verdict == "inside"
    assert len(res.holds) == 1


def test_absent_angles_are_not_measured_never_passed():
    df = standing_session().drop(columns=["lumbar_flexion_deg", "right_hip_adduction_deg"])
    df["right_hip_internal_rotation_deg"] = np.nan
    why = {"lumbar_flexion_deg": "no trunk sensor"}
    res = check_envelope(df, STANDING, side="right", absent=why)
    status = {r.rule: r for r in res.rules}
    assert status["lumbar_flexion"].status == "not_measured"
    assert status["lumbar_flexion"].reason == "no trunk sensor"
    assert status["hip_adduction"].status == "not_measured"
    assert status["hip_internal_rotation"].status == "not_measured"
    assert status["knee_flexion"].status == "ok"
    doc = res.to_dict()
    assert {r["rule"]: r["status"] for r in doc["rules"]}["lumbar_flexion"] == "not_measured"


def test_thigh_inclination_stands_in_without_a_pelvis():
    df = standing_session()
    df["right_thigh_inclination_deg"] = df.pop("right_hip_flexion_deg") + 10
    df = df.drop(columns=["pelvis_anterior_tilt_deg", "lumbar_flexion_deg"])
    res = check_envelope(df, STANDING, side="right")
    assert res.engaged_by == "right_thigh_inclination_deg"
    assert res.verdict == "inside"
    assert len(res.holds) == 1


def test_no_engagement_angle_means_not_engaged_with_a_reason():
    df = standing_session().drop(columns=["right_hip_flexion_deg"])
    res = check_envelope(df, STANDING, side="right")
    assert res.verdict == "not_engaged"
    assert res.engaged_reason is not None
    assert "right_hip_flexion_deg" in res.engaged_reason
    assert not res.holds


def test_standing_only_is_not_engaged():
    df = standing_session(duration_s=9.0)
    res = check_envelope(df, STANDING, side="right")
    assert res.verdict == "not_engaged"
    assert "never stayed at hip flexion ≥ 45° for 2 s" in (res.engaged_reason or "")


def test_left_side_reads_left_columns():
    df = standing_session(side="left")
    t = df["t_s"].to_numpy()
    df["left_knee_flexion_deg"] = np.where((t > 30) & (t < 40), 1.0, df["left_knee_flexion_deg"])
    res = check_envelope(df, STANDING, side="left")
    rule = res.rule("knee_flexion")
    assert rule is not None
    assert rule.column == "left_knee_flexion_deg"
    (ep,) = rule.episodes
    assert ep.start_s == pytest.approx(30.01, abs=0.011)
    assert "knee locked straight (1°)" in ep.cue
    with pytest.raises(DataError, match="side"):
        check_envelope(df, STANDING, side="both")


def test_dropouts_short_bridge_long_split_and_are_recorded():
    df = standing_session()
    t = df["t_s"].to_numpy()
    col = "right_ankle_dorsiflexion_deg"
    df[col] += step(t, 20, 21, 25) - step(t, 50, 51, 25)
    short = (t >= 25.0) & (t < 25.4)
    long_ = (t >= 35.0) & (t < 38.0)
    df.loc[short | long_, col] = np.nan
    res = check_envelope(df, STANDING, side="right")
    rule = res.rule("ankle_dorsiflexion")
    assert rule is not None
    assert len(rule.episodes) == 2  # the 0.4-s gap is bridged, the 3-s gap splits
    assert rule.episodes[0].end_s == pytest.approx(35.0)
    assert rule.episodes[1].start_s == pytest.approx(38.0)
    spans = [(a, b) for a, b, cols in res.gaps if col in cols]
    assert spans == [(pytest.approx(25.0), pytest.approx(25.4)), (35.0, pytest.approx(38.0))]
    assert res.to_dict()["gaps"][1]["columns"] == [col]


def test_marks_give_angles_and_whether_the_envelope_held():
    df = standing_session()
    t = df["t_s"].to_numpy()
    df["right_ankle_dorsiflexion_deg"] += step(t, 30, 31, 25) - step(t, 40, 41, 25)
    marks = [
        Marker(t_s=20.004, label="stretch in the thigh"),
        Marker(t_s=35.0, label="tingling in the heel"),
        Marker(t_s=3.0, label="start", kind="event"),
        Marker(t_s=500.0, label="after the end"),
    ]
    res = check_envelope(df, STANDING, side="right", markers=marks)
    m3, m1, m2, m4 = res.marks  # sorted by time
    assert m1.inside
    assert m1.engaged
    assert m1.angles_deg["right_hip_flexion_deg"] == pytest.approx(70.0, abs=1e-6)
    assert not m2.inside
    assert m2.rules_outside == ("ankle_dorsiflexion",)
    assert m2.angles_deg["right_ankle_dorsiflexion_deg"] == pytest.approx(10.0, abs=1e-6)
    assert m3.inside
    assert not m3.engaged
    assert m3.angles_deg["right_hip_flexion_deg"] == pytest.approx(0.0, abs=1e-6)
    assert m4.angles_deg == {}
    assert m4.note is not None


def test_envelope_json_contract():
    df = standing_session()
    t = df["t_s"].to_numpy()
    df["right_knee_flexion_deg"] -= step(t, 30, 31, 17) - step(t, 40, 41, 17)
    df.loc[100:110, "right_knee_flexion_deg"] = np.nan
    res = check_envelope(df, STANDING, side="right", markers=[Marker(t_s=35, label='"><b>')])
    doc = json.loads(res.to_json())
    assert set(doc) >= {"profile", "verdict", "rules", "holds", "markers"}
    assert doc["profile"] == "standing_hamstring"
    assert doc["verdict"] in ("inside", "outside", "not_engaged")
    assert [r["rule"] for r in doc["rules"]] == list(RULE_NAMES)
    for r in doc["rules"]:
        assert r["status"] in ("ok", "violated", "not_measured")
        assert isinstance(r["time_outside_s"], float)
        for e in r["episodes"]:
            assert {k: type(e[k]) for k in ("start_s", "end_s", "peak_deg", "cue")} == {
                "start_s": float,
                "end_s": float,
                "peak_deg": float,
                "cue": str,
            }
    for h in doc["holds"]:
        assert all(isinstance(h[k], float) for k in ("start_s", "end_s", "duration_s"))
        assert h["duration_s"] == pytest.approx(h["end_s"] - h["start_s"], abs=2e-3)
    (m,) = doc["markers"]
    assert m["label"] == '"><b>'
    assert isinstance(m["inside"], bool)
    assert isinstance(m["t_s"], float)
    assert all(isinstance(v, float) for v in m["angles_deg"].values())
    knee = doc["rules"][RULE_NAMES.index("knee_flexion")]
    assert knee["status"] == "violated"
    assert knee["episodes"][0]["peak_deg"] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda df: df.drop(columns=["t_s"]), "no 't_s'"),
        (lambda df: df.iloc[:1], "at least 2"),
        (lambda df: df.iloc[::-1], "strictly increasing"),
        (lambda df: df.assign(t_s=df["t_s"].where(df.index != 5)), "finite"),
        (lambda df: df.assign(right_knee_flexion_deg="x"), "not numeric"),
    ],
)
def test_bad_angle_tables_raise_data_errors(mutate, match):
    with pytest.raises(DataError, match=match):
        check_envelope(mutate(standing_session(duration_s=5)), STANDING, side="right")


def test_debounce_and_hysteresis_building_blocks():
    t = np.arange(20) * 0.1
    t_end = t + 0.1
    mask = np.zeros(20, bool)
    mask[2:4] = True  # 0.2 s: too short
    mask[6:14] = True  # 0.8 s with a 0.1-s hole
    mask[9] = False
    out = debounce(mask, t_end, t, on_s=0.3, off_s=0.3)
    assert not out[:6].any()
    assert out[6:14].all()
    assert not out[14:].any()
    x = np.array([0, 2, 4, 3, 2, 0.5, 3, np.nan, 3.5, 4, 1.0])
    valid = np.isfinite(x)
    state = hysteresis(x, valid, limit=3.0, release=1.0, upper=True)
    assert state.tolist() == [0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]


def test_slider_amplitude_rate_and_knee_gate():
    prof = load_builtin_profile("seated_slider")
    t = np.arange(0.0, 60.0, 1 / RATE_HZ)
    seated = step(t, 5, 7, 90.0)
    ankle = np.where(t > 10, -5 + 15 * np.sin(2 * np.pi * 0.5 * (t - 10)), 0.0)
    ankle = np.where(t > 50, -5 + 3 * np.sin(2 * np.pi * 0.5 * (t - 10)), ankle)
    knee = step(t, 5, 7, 35.0) - step(t, 40, 41, 33.0) + step(t, 44, 45, 33.0)
    df = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": seated,
            "right_knee_flexion_deg": knee,
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )
    res = check_envelope(df, prof, side="right")
    assert res.slider is not None
    assert res.slider.amplitude_deg == pytest.approx(30.0, abs=0.5)
    assert res.slider.rate_hz == pytest.approx(0.5, abs=0.01)
    assert res.slider.cycles >= 19
    assert res.slider.ok
    kinds = [i.kind for i in res.slider.issues]
    assert kinds == ["small"]
    assert res.slider.issues[0].start_s >= 49.0
    knee_rule = res.rule("knee_flexion")
    assert knee_rule is not None
    (ep,) = knee_rule.episodes
    assert 40.0 < ep.start_s < 41.0
    assert res.verdict == "outside"
    assert res.holds == ()  # not a hold exercise
    ankle_rule = res.rule("ankle_dorsiflexion")
    assert ankle_rule is not None
    assert ankle_rule.status == "ok"  # +10° dorsiflexion is part of the slider


def test_repetitions_count_and_tempo():
    prof = load_builtin_profile("runners_active")
    t = np.arange(0.0, 70.0, 1 / RATE_HZ)
    hinge = step(t, 3, 5, 80.0)
    knee = step(t, 3, 5, 45.0)
    starts = 8.0 + 6.0 * np.arange(8)
    durations = [2.0] * 6 + [0.8, 0.8]  # the last two straightenings are rushed
    for a, d in zip(starts, durations, strict=True):
        knee -= step(t, a, a + d, 40.0) - step(t, a + 3.0, a + 5.0, 40.0)
    df = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hinge,
            "right_knee_flexion_deg": knee,
            "pelvis_anterior_tilt_deg": step(t, 3, 5, 30.0),
        }
    )
    res = check_envelope(df, prof, side="right")
    reps = res.repetitions
    assert reps is not None
    assert reps.count == 8
    # 10 %→90 % of a minimum-jerk move takes 0.507 of its duration
    assert [r.lengthening_s for r in reps.reps[:6]] == pytest.approx([1.013] * 6, abs=0.015)
    assert [r.ok for r in reps.reps] == [True] * 6 + [False, False]
    assert all(r.range_deg == pytest.approx(40.0, abs=0.1) for r in reps.reps)
    (issue,) = reps.issues
    assert issue.kind == "fast"
    assert issue.start_s == pytest.approx(starts[6] + 0.25 * 0.8, abs=0.02)
    assert issue.end_s == pytest.approx(starts[7] + 0.75 * 0.8, abs=0.02)
    assert reps.ok
    assert res.verdict == "inside"


def test_rule_specific_dwell_from_a_user_profile():
    text = 'extends = "standing_hamstring"\n[rules.ankle_dorsiflexion]\ndwell_s = 3.0\n'
    prof = parse_profile(text, source="p.toml")
    df = standing_session()
    t = df["t_s"].to_numpy()
    df["right_ankle_dorsiflexion_deg"] += 30 * ((t >= 30.0) & (t < 32.0))
    assert check_envelope(df, prof, side="right").verdict == "inside"
    assert check_envelope(df, STANDING, side="right").verdict == "outside"


def test_supine_engagement_requires_lying_down():
    """A squat on the way to the floor flexes the hip too; only lying + leg raised counts."""
    prof = load_builtin_profile("supine_hamstring")
    t = np.arange(0.0, 70.0, 1 / RATE_HZ)
    squat = step(t, 5, 7.5, 1.0) - step(t, 7.5, 11, 1.0)  # 0 → 1 → 0 (down to the floor)
    lying = step(t, 7.5, 11, 1.0) - step(t, 58, 61, 1.0)
    raise_ = step(t, 14, 16.5, 1.0) - step(t, 50, 52.5, 1.0)
    df = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": 95 * squat + 5 * lying + 60 * raise_,
            "pelvis_anterior_tilt_deg": 25 * squat - 85 * lying,
            "lumbar_flexion_deg": 15 * squat,  # would breach lumbar ≤ 10° if judged
            "right_knee_flexion_deg": 110 * squat + 15 * raise_,
            "right_ankle_dorsiflexion_deg": -15 * raise_,
        }
    )
    res = check_envelope(df, prof, side="right")
    assert res.verdict == "inside"
    (engaged,) = res.engaged_intervals
    assert 15.0 < engaged[0] < 16.0
    assert 50.5 < engaged[1] < 51.5
    (hold,) = res.holds
    assert hold.start_s == pytest.approx(16.5, abs=0.5)
    assert hold.end_s == pytest.approx(50.0, abs=0.5)
    # without the pelvis sensor the thigh inclination (hip − tilt) decides
    alt = df.assign(
        right_thigh_inclination_deg=df["right_hip_flexion_deg"] - df["pelvis_anterior_tilt_deg"]
    ).drop(columns=["right_hip_flexion_deg", "pelvis_anterior_tilt_deg"])
    res2 = check_envelope(alt, prof, side="right")
    assert res2.engaged_by == "right_thigh_inclination_deg"
    assert res2.verdict == "inside"
    (engaged2,) = res2.engaged_intervals
    assert engaged2[0] > 14.0


def test_missing_samples_at_the_start_do_not_stop_holds():
    """A NaN before the stretch must not poison the stillness filter for the whole session."""
    df = standing_session()
    df.loc[:3, "right_hip_flexion_deg"] = np.nan
    res = check_envelope(df, STANDING, side="right")
    (hold,) = res.holds
    assert hold.duration_s > 45
