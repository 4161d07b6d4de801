"""A rule on an angle whose whole doubt is a ± in degrees: decided beyond that margin.

An angle measured to about ±b (a sensor's unmeasured accelerometer gain, the tilt precision's
doubt) still decides its rules where the reading is past the edge, or inside it, by more than
b; only within b of the edge does the rule stay uncertain. Any other doubt (a plain reason, an
undecided forward direction, a bound whose words were added to) leaves the rule uncertain.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.doubts import (
    DoubtKind,
    UncertainAngle,
    bounded,
    precision_bound_deg,
)
from tests.analysis.builders import min_jerk_step as step
from tests.analysis.test_envelope import standing_session

STANDING = load_builtin_profile("standing_hamstring")
KNEE = "right_knee_flexion_deg"  # the rule: knee flexion ≥ 10° while engaged (11–61 s)
REASON = "the right leg's knee flexion is measured to about ±3.7° here"
BOUND = bounded(REASON, "redo it", 3.7)


def _knee_drop(reads_deg: float, a: float = 25.0, b: float = 35.0) -> pd.DataFrame:
    """The standing session with the knee (18° while engaged) falling to ``reads_deg``."""
    df = standing_session()
    t = df["t_s"].to_numpy()
    drop = 18.0 - reads_deg
    df[KNEE] = df[KNEE].to_numpy() - step(t, a, a + 1.0, drop) + step(t, b, b + 1.0, drop)
    return df


def _knee_rule(df: pd.DataFrame, why):
    res = check_envelope(df, STANDING, side="right", uncertain={KNEE: why})
    rule = res.rule("knee_flexion")
    assert rule is not None
    return res, rule


def test_a_reading_past_the_edge_by_more_than_the_bound_is_a_violation_saying_the_margin():
    res, rule = _knee_rule(_knee_drop(0.0), BOUND)  # 10° past a 10° edge, ±3.7°
    assert rule.status == "violated"
    (ep,) = rule.episodes
    assert 25.0 < ep.start_s < 27.0
    assert rule.confirmed_by is not None
    assert "±3.7°" in rule.confirmed_by
    assert rule.reason == REASON  # the angle itself stays uncertain
    assert res.verdict == "outside"
    assert KNEE in res.uncertain_angles


def test_a_reading_past_the_edge_within_the_bound_stays_uncertain():
    res, rule = _knee_rule(_knee_drop(8.0), BOUND)  # 2° past the edge, ±3.7°
    assert rule.status == "uncertain"
    assert len(rule.unconfirmed) == 1
    assert res.verdict == "inside"


def test_a_reading_inside_by_more_than_the_bound_is_ok():
    _, rule = _knee_rule(standing_session(), BOUND)  # 18° against ≥ 10°: 8° inside
    assert rule.status == "ok"
    assert not rule.unconfirmed


def test_a_reading_inside_within_the_bound_stays_uncertain():
    _, rule = _knee_rule(_knee_drop(12.0), BOUND)  # 2° inside the edge, ±3.7°
    assert rule.status == "uncertain"
    assert not rule.unconfirmed


def test_a_wider_bound_leaves_the_same_break_uncertain():
    _, rule = _knee_rule(_knee_drop(4.0), bounded(REASON, "redo it", 2.0))  # 6° past, ±2°
    assert rule.status == "violated"
    _, rule = _knee_rule(_knee_drop(4.0), bounded(REASON, "redo it", 7.0))  # 6° past, ±7°
    assert rule.status == "uncertain"


def test_an_unbounded_doubt_stays_uncertain_however_far_past_the_edge():
    df = _knee_drop(-20.0)  # 30° past the edge
    plain = {"reason": "the thigh sensor's forward direction is not established", "redo": "r"}
    forward = UncertainAngle(
        reason=plain["reason"], redo="r", kinds=frozenset({DoubtKind.FORWARD_UNKNOWN})
    )
    for why in (plain, forward):
        res, rule = _knee_rule(df, why)
        assert rule.status == "uncertain"
        assert res.verdict == "inside"
    _, inside = _knee_rule(standing_session(), plain)
    assert inside.status == "uncertain"  # nor is an unbounded doubt's rule ever ok


def test_a_bound_no_longer_the_whole_doubt_is_dropped():
    added = dataclasses.replace(BOUND, reason=f"{REASON}; the pelvis turned only 18°")
    assert precision_bound_deg(BOUND) == 3.7
    assert precision_bound_deg(added) is None
    assert precision_bound_deg({"reason": REASON, "redo": "r"}) is None
    with_kind = dataclasses.replace(BOUND, kinds=frozenset({DoubtKind.FORWARD_UNKNOWN}))
    assert precision_bound_deg(with_kind) is None
    assert precision_bound_deg(bounded(REASON, "r", float("nan"))) is None
    _, rule = _knee_rule(_knee_drop(0.0), added)
    assert rule.status == "uncertain"


def test_the_bounded_entry_reads_as_its_words():
    assert dict(BOUND) == {"reason": REASON, "redo": "redo it"}
    assert BOUND == {"reason": REASON, "redo": "redo it"}
    assert np.isclose(BOUND.precision_deg or 0.0, 3.7)
