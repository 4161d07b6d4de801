"""Test 5 of the sign table when the calibration window and the session disagree.

In a knee bend the pelvis may tuck under while the trunk leans forward over the knees; over
the session (the lean into the stretch) the trunk goes the pelvis's way. The session decides,
as a ``low`` guess.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.calibration_signs import SIGN_RULES, Tilts, decide_sign
from tests.analysis.builders import sagittal_tilts

TRUNK = next(r for r in SIGN_RULES if r.segment == "trunk")
HEAD = next(r for r in SIGN_RULES if r.segment == "head")

WINDOW = np.linspace(0, 4 * np.pi, 200)
LEAN = np.linspace(0, np.pi, 400)
# knee bends: the pelvis tucks 5° (a tilt about +z is posterior here: anterior is negative)
PELVIS_BENDS_DEG = 5.0 * np.sin(WINDOW) ** 2
# while the trunk leans 7° forward over the knees (negative)
TRUNK_BENDS_DEG = -7.0 * np.sin(WINDOW) ** 2
# the lean into the stretch: the pelvis tips 6° forward, the trunk 28° (the back slumps)
PELVIS_LEAN_DEG = -6.0 * np.sin(LEAN) ** 2
TRUNK_LEAN_DEG = -28.0 * np.sin(LEAN) ** 2


def _cands(move_deg, session_deg, *, reversed_mount: bool) -> tuple[Tilts, Tilts]:
    right = sagittal_tilts(move_deg, session_deg)
    wrong = sagittal_tilts(-np.asarray(move_deg), -np.asarray(session_deg))
    return (wrong, right) if reversed_mount else (right, wrong)


def _pelvis() -> Tilts:
    return sagittal_tilts(PELVIS_BENDS_DEG, np.r_[PELVIS_BENDS_DEG, PELVIS_LEAN_DEG])


@pytest.mark.parametrize(("reversed_mount", "choice"), [(False, 0), (True, 1)])
def test_the_session_decides_a_trunk_that_leans_against_a_tucking_pelvis(reversed_mount, choice):
    cands = _cands(
        TRUNK_BENDS_DEG, np.r_[TRUNK_BENDS_DEG, TRUNK_LEAN_DEG], reversed_mount=reversed_mount
    )
    d = decide_sign(TRUNK, cands, {"pelvis": _pelvis()}, session_rate_hz=10.0)
    assert d.choice == choice
    assert d.confidence == "low"
    assert "against it in the calibration movements" in d.rule
    assert d.based_on == ("pelvis",)


def test_window_and_session_agreeing_still_decide_confidently():
    # the trunk goes the pelvis's way in the bends too: the window decides, with confidence
    bends = 2.0 * PELVIS_BENDS_DEG
    cands = _cands(bends, np.r_[bends, TRUNK_LEAN_DEG], reversed_mount=False)
    d = decide_sign(TRUNK, cands, {"pelvis": _pelvis()}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")
    assert "against" not in d.rule


def test_a_session_too_weakly_correlated_leaves_the_window_s_say():
    # over the session the trunk moves on its own (|r| < 0.3): the window decides as before
    rng = np.random.default_rng(3)
    own = 20.0 * np.sin(np.linspace(0, 23 * np.pi, 400) + rng.uniform(0, 1))
    bends = 2.0 * PELVIS_BENDS_DEG
    cands = _cands(bends, np.r_[bends, own], reversed_mount=False)
    pelvis = _pelvis()
    r_session = np.corrcoef(cands[0].session, pelvis.session)[0, 1]
    assert abs(r_session) < 0.3  # the premise
    d = decide_sign(TRUNK, cands, {"pelvis": pelvis}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (0, "high")


def test_the_head_follows_the_same_rule_against_the_trunk():
    trunk = sagittal_tilts(TRUNK_BENDS_DEG, np.r_[TRUNK_BENDS_DEG, TRUNK_LEAN_DEG])
    # the head kept level against the trunk's lean in the bends, with it in the stretch
    head_bends = -0.6 * TRUNK_BENDS_DEG
    cands = _cands(head_bends, np.r_[head_bends, 1.2 * TRUNK_LEAN_DEG], reversed_mount=True)
    d = decide_sign(HEAD, cands, {"trunk": trunk}, session_rate_hz=10.0)
    assert (d.choice, d.confidence) == (1, "low")
