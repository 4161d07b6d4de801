"""The shank's sign when the calibration holds knee bends only: a guess, never trusted.

In knee bends with the foot flat the thigh tips forward and the shank tips forward (knee
over toes), against the thigh's sense of rotation. A person who sits back on a straight front
leg with the foot flat (a staggered-stance hamstring stretch, the weight on the rear leg)
tips the thigh forward and the shank back, with it. One sensor cannot tell its front from its
back, so both movements give the same two candidate tilt series, with the truth on opposite
sides: whatever the sign table decides from them alone, it must not be sure of it. The
fallback guesses "knee over toes" (the protocol's bends) and the angles stay uncertain; where
the foot went between still poses (a foot and a pelvis sensor worn) is other evidence
(tests/analysis/test_calibration_reach.py), and so are the knee centre's accelerations seen
from thigh and shank (tests/analysis/test_calibration_knee.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles.calibration_signs import SIGN_RULES, Tilts, decide_sign
from tests.analysis.builders import sagittal_tilts

SHANK = next(r for r in SIGN_RULES if r.segment == "{side}_shank").expand("left")
RATE_HZ = 10.0


def _strapped(shank_move_deg, shank_session_deg, *, facing_back: bool) -> tuple[Tilts, Tilts]:
    """The two candidates a sensor gives: its z as strapped (0) and reversed (1).

    A sensor strapped facing backwards reads the segment's tilt reversed.
    """
    s = -1.0 if facing_back else 1.0
    move, sess = np.asarray(shank_move_deg, float), np.asarray(shank_session_deg, float)
    return sagittal_tilts(s * move, s * sess), sagittal_tilts(-s * move, -s * sess)


def _thigh_and_shank(n_bends: int = 5, depth_deg: float = 40.0, shank_share: float = 0.6):
    """Thigh tilt and the shank's forward tilt (knee over toes, > 0) through the bends.

    Tilts from the stand, about each segment's flexion axis (+ = the thigh's flexion, so a
    shank tipped forward has a negative tilt). Window: ``n_bends`` bends; session: the
    window then a still stand.
    """
    bend = np.sin(np.linspace(0.0, n_bends * np.pi, 60 * n_bends)) ** 2
    thigh = depth_deg * bend
    forward = shank_share * depth_deg * bend
    return thigh, forward, np.r_[thigh, np.zeros(100)], np.r_[forward, np.zeros(100)]


def _decide(thigh_move, thigh_sess, cands):
    return decide_sign(
        SHANK,
        cands,
        {"left_thigh": sagittal_tilts(thigh_move, thigh_sess)},
        session_rate_hz=RATE_HZ,
    )


@pytest.mark.parametrize("facing_back", [False, True])
def test_knee_bends_alone_give_a_guess_of_knee_over_toes(facing_back):
    thigh, fwd, thigh_s, fwd_s = _thigh_and_shank()
    d = _decide(thigh, thigh_s, _strapped(-fwd, -fwd_s, facing_back=facing_back))
    assert d.choice == int(facing_back), d  # the guess is right for the protocol's bends…
    assert d.confidence == "low", d  # …and not trusted
    assert d.rule == SHANK.fallback_rule


@pytest.mark.parametrize("facing_back", [False, True])
def test_sitting_back_on_a_straight_leg_is_not_read_confidently_as_a_knee_bend(facing_back):
    """The thigh tips forward and the shank with it (knee straight): the truth is the other
    candidate from the bends', and no test may be sure of the bends' reading."""
    thigh, fwd, thigh_s, fwd_s = _thigh_and_shank(shank_share=1.0)
    d = _decide(thigh, thigh_s, _strapped(fwd, fwd_s, facing_back=facing_back))
    assert d.confidence == "low", d
    # the knee the chosen sign reads: the bends' deep knee, not the straight leg
    chosen = d.choice ^ int(facing_back)  # 0: the sign as strapped, i.e. the truth
    assert chosen == 1


def test_the_two_movements_give_the_same_candidates():
    """Bends strapped facing forward and the sit-back strapped facing backwards: identical
    inputs, opposite truths: evidence from these tilts alone can never be confident."""
    thigh, fwd, thigh_s, fwd_s = _thigh_and_shank(shank_share=1.0)
    bends = _strapped(-fwd, -fwd_s, facing_back=False)
    sit_back = _strapped(fwd, fwd_s, facing_back=True)
    for a, b in zip(bends, sit_back, strict=True):
        np.testing.assert_array_equal(a.move, b.move)
        np.testing.assert_array_equal(a.session, b.session)
    assert _decide(thigh, thigh_s, bends) == _decide(thigh, thigh_s, sit_back)


def test_a_backward_leg_swing_still_decides_with_confidence():
    """The bends and a swing of the leg backwards: the other sign would read the knee bent
    backwards (hyperextended) there, beyond its limit (the table's joint-limit test)."""
    thigh, fwd, _, _ = _thigh_and_shank()
    swing = -20.0 * np.sin(np.linspace(0.0, np.pi, 40)) ** 2  # thigh and shank tip back
    thigh_move = np.r_[thigh, swing]
    shank_move = np.r_[-fwd, 0.8 * swing]
    sess = np.zeros(100)
    d = _decide(thigh_move, sess, _strapped(shank_move, sess, facing_back=True))
    assert (d.choice, d.confidence) == (1, "high"), d
    assert "beyond" in d.rule
