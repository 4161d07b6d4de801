"""The pelvis's sign with both thighs worn: whose evidence carries the joint-limit test.

With the full sensor set the pelvis's hip-limit test (test 1) looks at both thighs. When the
exercised thigh alone shows the other sign breaking the hip's limit, a resting thigh of
doubtful sign does not lower the decision; when the break needs the doubted thigh's tilts,
or the doubted thigh alone points the other way, it does.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.calibration_signs import SIGN_RULES, Tilts, decide_sign
from tests.analysis.builders import sagittal_tilts

PELVIS = next(r for r in SIGN_RULES if r.segment == "pelvis")

N = 200
BOW = np.zeros(N)
# two slow bows in the middle of the window: the pelvis tips 30° forward (negative here)
BOW[50:150] = -30.0 * np.sin(np.linspace(0, 2 * np.pi, 100)) ** 2
STILL = np.zeros(N)
SESSION = np.zeros(100)  # the session decides nothing (test 2 stays out of the way)


def _cands(*, reversed_mount: bool) -> tuple[Tilts, Tilts]:
    right = sagittal_tilts(BOW, SESSION)
    wrong = sagittal_tilts(-BOW, SESSION)
    return (wrong, right) if reversed_mount else (right, wrong)


def _thigh(move_deg) -> Tilts:
    return sagittal_tilts(move_deg, SESSION)


def _pelvis(left: Tilts, right: Tilts, trust: dict[str, str], *, reversed_mount: bool):
    return decide_sign(
        PELVIS,
        _cands(reversed_mount=reversed_mount),
        {"left_thigh": left, "right_thigh": right},
        session_rate_hz=10.0,
        confidence=trust,
    )


# the thigh stands still in the bows: the other sign puts the hip 30° into hyperextension
BREAKS = STILL
# a thigh that (in this synthetic case) tips against the pelvis: neither sign breaks the hip
NEUTRAL = -BOW


@pytest.mark.parametrize("resting", [BREAKS, NEUTRAL], ids=["resting-agrees", "resting-silent"])
@pytest.mark.parametrize(("reversed_mount", "choice"), [(False, 0), (True, 1)])
def test_a_doubted_resting_thigh_does_not_lower_what_the_exercised_thigh_decides(
    resting, reversed_mount, choice
):
    d = _pelvis(
        _thigh(BREAKS),
        _thigh(resting),
        {"left_thigh": "high", "right_thigh": "low"},
        reversed_mount=reversed_mount,
    )
    assert (d.choice, d.confidence) == (choice, "high")
    assert d.based_on == ("left_thigh",)
    assert "uncertain" not in d.rule


def test_the_break_that_needs_the_doubted_thigh_stays_low():
    # the exercised thigh alone decides nothing: the break is in the resting thigh's tilts
    d = _pelvis(
        _thigh(NEUTRAL),
        _thigh(BREAKS),
        {"left_thigh": "high", "right_thigh": "low"},
        reversed_mount=False,
    )
    assert (d.choice, d.confidence) == (0, "low")
    assert d.based_on == ("left_thigh", "right_thigh")
    assert "partner itself uncertain" in d.rule


def test_a_doubted_thigh_pointing_the_other_way_keeps_the_doubt():
    # the doubted thigh alone breaks the hip with the chosen sign (in a shorter stretch than
    # the exercised thigh's break with the other sign): the two thighs disagree
    against = NEUTRAL.copy()
    # near the first bow's deepest (the pelvis past 26° forward): the chosen sign's hip is
    # −5 × bow (past −25°), the other's 7 × bow wraps past 180° (inside the limit)
    against[71:79] = 6.0 * BOW[71:79]
    alone = _pelvis(_thigh(against), _thigh(against), {}, reversed_mount=False)
    assert alone.choice == 1  # by itself it points the other way
    d = _pelvis(
        _thigh(BREAKS),
        _thigh(against),
        {"left_thigh": "high", "right_thigh": "low"},
        reversed_mount=False,
    )
    assert (d.choice, d.confidence) == (0, "low")
    assert d.based_on == ("left_thigh", "right_thigh")


def test_two_confident_thighs_that_each_decide_are_both_relied_on():
    d = _pelvis(_thigh(BREAKS), _thigh(BREAKS), {}, reversed_mount=False)
    assert (d.choice, d.confidence) == (0, "high")
    assert d.based_on == ("left_thigh", "right_thigh")


def test_the_session_range_test_weighs_the_partners_alike():
    # test 1 silent (the window still); the session: lying/sitting bends the exercised hip
    # past the range with the other sign for 5 s, the doubted thigh's hip never
    session_pelvis = np.zeros(100)
    session_pelvis[20:70] = -40.0
    cands = (
        sagittal_tilts(STILL, session_pelvis),
        sagittal_tilts(STILL, -session_pelvis),
    )
    thigh = sagittal_tilts(STILL, np.zeros(100))
    resting = sagittal_tilts(STILL, -session_pelvis)  # neither sign leaves the range
    d = decide_sign(
        PELVIS,
        cands,
        {"left_thigh": thigh, "right_thigh": resting},
        session_rate_hz=10.0,
        confidence={"left_thigh": "high", "right_thigh": "low"},
    )
    assert (d.choice, d.confidence) == (0, "high")
    assert d.based_on == ("left_thigh",)
    assert "over the session" in d.rule
