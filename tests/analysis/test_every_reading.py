"""An uncertain angle judged under every reading its calibration doubt allows.

Where the doubt is between discrete calibrations (a pelvis flexion axis and its rival or
witness, a sign decided with low confidence), an episode found under each reading is a
violation whichever reading is right; one found under only some stays unconfirmed.
"""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import CalibrationResult, SegmentCalibration, other_frames
from analysis.angles.calibration_axes import AxisEstimate, SensorAxes, candidate_axes
from analysis.angles.calibration_signs import SignDecision
from analysis.angles.pipeline import covered_readings
from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import (
    ReportContext,
    build_report_html,
    confirmed_lines,
    summary_text,
    uncertain_lines,
)
from tests.analysis.builders import min_jerk_step as step
from tests.analysis.test_envelope import standing_session

STANDING = load_builtin_profile("standing_hamstring")
ROT = "right_hip_internal_rotation_deg"
DOUBT = {ROT: {"reason": "the pelvis's flexion axis lies 29° from …", "redo": "redo it"}}
WORDS = "found whichever of the pelvis's two flexion axes (from a, b) is right"


def _with_rotation(df: pd.DataFrame, episodes: list[tuple[float, float, float]]) -> np.ndarray:
    """The hip rotation of ``df`` plus a raised plateau per ``(start_s, end_s, rise_deg)``."""
    t = df["t_s"].to_numpy()
    x = df[ROT].to_numpy().copy()
    for a, b, rise in episodes:
        x += step(t, a, a + 1.0, rise) - step(t, b, b + 1.0, rise)
    return x


def _judge(df: pd.DataFrame, readings: list[np.ndarray] | None):
    others = None if readings is None else {"pelvis": (WORDS, tuple({ROT: r} for r in readings))}
    res = check_envelope(df, STANDING, side="right", uncertain=DOUBT, other_readings=others)
    rule = res.rule("hip_internal_rotation")
    assert rule is not None
    return res, rule


def test_an_episode_under_both_readings_is_a_violation_with_its_reason():
    df = standing_session()
    df[ROT] = _with_rotation(df, [(25.0, 35.0, 16.0)])  # 2° → 18°, limit 10°
    rival = _with_rotation(standing_session(), [(25.5, 34.0, 13.0)])  # the rival reads less
    res, rule = _judge(df, [rival])
    assert rule.status == "violated"
    assert rule.confirmed_by == WORDS
    (ep,) = rule.episodes
    assert 25.0 < ep.start_s < 26.0  # the angles' own episode is reported
    assert not rule.unconfirmed
    assert rule.reason == DOUBT[ROT]["reason"]  # the angle itself stays uncertain
    doc = json.loads(json.dumps(res.to_dict()))
    (item,) = [r for r in doc["rules"] if r["rule"] == "hip_internal_rotation"]
    assert item["confirmed_by"] == WORDS
    assert item["status"] == "violated"
    assert ROT in doc["uncertain_angles"]


def test_an_episode_under_only_one_reading_stays_unconfirmed():
    df = standing_session()
    df[ROT] = _with_rotation(df, [(25.0, 35.0, 16.0)])
    rival = _with_rotation(standing_session(), [(25.0, 35.0, 6.0)])  # 8°: inside the edge
    _res, rule = _judge(df, [rival])
    assert rule.status == "uncertain"
    assert rule.confirmed_by is None
    assert len(rule.unconfirmed) == 1
    assert not rule.episodes


def test_an_episode_elsewhere_in_time_does_not_confirm():
    df = standing_session()
    df[ROT] = _with_rotation(df, [(25.0, 30.0, 16.0)])
    rival = _with_rotation(standing_session(), [(40.0, 45.0, 16.0)])
    _, rule = _judge(df, [rival])
    assert rule.status == "uncertain"


def test_each_episode_is_judged_on_its_own_and_every_reading_must_show_it():
    df = standing_session()
    df[ROT] = _with_rotation(df, [(20.0, 26.0, 16.0), (40.0, 46.0, 16.0)])
    both = _with_rotation(standing_session(), [(20.0, 26.0, 14.0), (40.0, 46.0, 14.0)])
    first = _with_rotation(standing_session(), [(20.0, 26.0, 14.0)])
    res, rule = _judge(df, [both, first])
    assert rule.status == "violated"
    (ep,) = rule.episodes
    (left,) = rule.unconfirmed
    assert ep.start_s < 21.0 < 40.0 < left.start_s
    assert res.verdict == "inside"  # hip rotation is advisory: it never gates


def test_without_other_readings_nothing_changes():
    df = standing_session()
    df[ROT] = _with_rotation(df, [(25.0, 35.0, 16.0)])
    _, plain = _judge(df, None)
    assert plain.status == "uncertain"
    assert len(plain.unconfirmed) == 1
    # readings of another column leave this one as it was
    others = {"pelvis": (WORDS, ({"pelvis_anterior_tilt_deg": df[ROT].to_numpy()},))}
    res = check_envelope(df, STANDING, side="right", uncertain=DOUBT, other_readings=others)
    rule = res.rule("hip_internal_rotation")
    assert rule is not None
    assert rule.status == "uncertain"


def _axes(**kw) -> SensorAxes:
    base = {
        "y_S": np.array([0.0, 1.0, 0.0]),
        "z_S": np.array([0.0, 0.0, 1.0]),
        "planarity_ratio": 0.9,
        "axis_elevation_deg": 2.0,
        "rotation_deg": 40.0,
        "stand_gravity_m_s2": 9.81,
        "stand_gyro_rms_rad_s": 0.01,
        "stand_acc_std_m_s2": 0.01,
    }
    return SensorAxes(**{**base, **kw})


def _turned(deg: float) -> np.ndarray:
    """The z axis turned ``deg`` about y (sensor frame)."""
    a = np.deg2rad(deg)
    return np.array([np.sin(a), 0.0, np.cos(a)])


def test_candidate_axes_are_the_used_axis_its_rival_and_witness_with_one_sign():
    rival = AxisEstimate(
        z_S=-_turned(15.0),  # sign free: given reversed
        source="session",
        planarity_ratio=0.8,
        axis_elevation_deg=3.0,
        rotation_deg=30.0,
    )
    leaning = _turned(-20.0) + np.array([0.0, 0.3, 0.0])  # not yet orthogonal to y
    doubted = _axes(rival=rival, witness_S=leaning, axis_doubt="x")
    found = candidate_axes(doubted)
    assert [w for _, w in found] == [
        "the calibration movements",
        "the whole session",
        "the hip centre",
    ]
    for z, _ in found:
        assert np.linalg.norm(z) == pytest.approx(1.0)
        assert abs(z @ doubted.y_S) < 1e-12  # orthogonal to the superior axis
        assert z @ doubted.z_S > 0.0  # the used axis's sign
    assert np.degrees(np.arccos(found[1][0] @ found[0][0])) == pytest.approx(15.0)
    # no doubt: the used axis alone, whatever estimates lie about
    assert len(candidate_axes(_axes(rival=rival, witness_S=_turned(-20.0)))) == 1
    # a witness that is the used axis is the same reading
    same = _axes(witness_S=_turned(0.3), axis_doubt="x")
    assert len(candidate_axes(same)) == 1


def _frames(confidence: str, ax: SensorAxes):
    """:func:`other_frames` of a trunk sensor whose frame is the segment's (no session read:
    the trunk has no axis bias step)."""
    decision = SignDecision(choice=0, rule="r", confidence=confidence)  # type: ignore[arg-type]
    chosen = (rot.from_matrix(np.eye(3)), decision, ax)
    return other_frames(None, "trunk", np.zeros((1, 4)), np.ones(1, bool), chosen)  # type: ignore[arg-type]


def test_other_frames_of_a_trusted_or_poorly_defined_segment_are_none():
    assert _frames("high", _axes()) == ((), None)
    assert _frames("high", _axes(axis_doubt="x")) == ((), None)  # no estimate to turn to
    poor = _axes(rotation_deg=10.0, axis_doubt="x", witness_S=_turned(30.0))
    assert _frames("low", poor) == ((), None)


def test_other_frames_of_an_axis_doubt_and_a_sign_doubt():
    ax = _axes(axis_doubt="x", witness_S=_turned(30.0))
    frames, words = _frames("high", ax)
    (q_alt, bias), (q_alt_flip, _) = frames
    assert bias is None
    assert rot.rotate(q_alt, [0.0, 0.0, 1.0]) == pytest.approx(_turned(30.0))
    # the sign was decided on the used axis only: the other axis is read both ways round
    assert rot.rotate(q_alt_flip, [0.0, 0.0, 1.0]) == pytest.approx(-_turned(30.0))
    assert rot.rotate(q_alt_flip, [0.0, 1.0, 0.0]) == pytest.approx([0.0, 1.0, 0.0])
    assert words == (
        "found whichever of the trunk's two flexion axes (from the calibration movements, "
        "the hip centre) is right (whichever way the trunk sensor faces on an axis where its "
        "sign is not sure)"
    )
    frames, words = _frames("low", _axes())
    (q_flip, _), (q_left, _), (q_right, _) = frames
    assert rot.rotate(q_flip, [0.0, 0.0, 1.0]) == pytest.approx([0.0, 0.0, -1.0])
    assert rot.rotate(q_flip, [0.0, 1.0, 0.0]) == pytest.approx([0.0, 1.0, 0.0])
    # an unsure sign leaves the forward direction open: the used axis turned to either side
    assert rot.rotate(q_left, [0.0, 0.0, 1.0]) == pytest.approx([1.0, 0.0, 0.0])
    assert rot.rotate(q_right, [0.0, 0.0, 1.0]) == pytest.approx([-1.0, 0.0, 0.0])
    assert rot.rotate(q_left, [0.0, 1.0, 0.0]) == pytest.approx([0.0, 1.0, 0.0])
    assert words == "found whichever way the trunk sensor faces (forward, back or to either side)"
    frames, words = _frames("low", ax)
    assert len(frames) == 5  # two axes × two signs, the used one's two sides, less the one made
    assert words is not None
    assert words.endswith(
        "is right and whichever way the trunk sensor faces (forward, back or to either side)"
    )


def _segment(p: str, **kw) -> SegmentCalibration:
    base = {
        "placement": p,
        "q_S_B": np.array([1.0, 0.0, 0.0, 0.0]),
        "planarity_ratio": 0.9,
        "axis_elevation_deg": 1.0,
        "rotation_deg": 40.0,
        "sign_rule": "r",
        "sign_confidence": "high",
    }
    return SegmentCalibration(**{**base, **kw})


def _calibration(**segments: SegmentCalibration) -> CalibrationResult:
    return CalibrationResult(
        static_s=(0.0, 1.0),
        functional_s=(1.0, 2.0),
        source="sidecar",
        stand_gyro_rms_deg_s=0.1,
        stand_acc_std_m_s2=0.01,
        segments=segments,
    )


def test_only_columns_whose_whole_doubt_the_readings_cover_are_kept():
    frame = (np.array([1.0, 0.0, 0.0, 0.0]), None)
    pelvis = _segment(
        "pelvis", axis_doubt="axes apart", other_frames=(frame,), other_frames_words=WORDS
    )
    cal = _calibration(
        pelvis=pelvis,
        right_thigh=_segment("right_thigh", tilt_doubt="one movement"),
        trunk=_segment("trunk", based_on=("pelvis",)),
    )
    uncertain = cal.uncertain_angles()
    cols = ("right_hip_flexion_deg", ROT, "pelvis_anterior_tilt_deg", "lumbar_flexion_deg")
    others = {"pelvis": ({c: np.zeros(3) for c in cols},)}
    ((words, (reading,)),) = covered_readings(others, cal, {}, uncertain).values()
    assert words == WORDS
    # the rotation also carries the thigh's tilt doubt, the lumbar the trunk's inherited one
    assert sorted(reading) == ["pelvis_anterior_tilt_deg", "right_hip_flexion_deg"]
    # a joint read beyond any range doubts the pelvis beyond what the readings cover
    assert covered_readings(others, cal, {"pelvis": "hip beyond range"}, uncertain) == {}


def test_summary_and_verdict_box_say_how_a_confirmed_episode_was_found():
    df = standing_session()
    df[ROT] = _with_rotation(df, [(20.0, 26.0, 16.0), (40.0, 46.0, 16.0)])
    rival = _with_rotation(standing_session(), [(20.0, 26.0, 14.0)])
    res, _ = _judge(df, [rival])
    (line,) = confirmed_lines(res)
    assert line == (
        f"Hip internal rotation: 1 episode {WORDS}, though the angle itself is uncertain "
        f"({DOUBT[ROT]['reason']}); 1 more unconfirmed."
    )
    assert line in summary_text(res, source_name="s")
    assert not any("no rule judged" in x for x in uncertain_lines(res))
    page = build_report_html(df, res, ReportContext(source_name="s"))
    box = page[page.index("class='verdict") :]
    assert html.unescape(line) in html.unescape(box[: box.index("</div>")])
