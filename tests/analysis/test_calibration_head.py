"""The head's sign without a trunk sensor: its tilt follows the pelvis's (test 5)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import calibrate
from analysis.angles.calibration_signs import SIGN_RULES, Tilts, decide_sign
from analysis.angles.calibration_windows import Windows
from analysis.angles.timebase import UniformSession, UniformStream
from tests.analysis.test_calibration import MOUNTS, RATE_HZ, _stream

HEAD = next(r for r in SIGN_RULES if r.segment == "head")


def _tilts(move_deg, session_deg=None) -> Tilts:
    move = np.deg2rad(np.asarray(move_deg, dtype=float))
    sess = move if session_deg is None else np.deg2rad(np.asarray(session_deg, dtype=float))
    return Tilts(move=move, session=sess, sagittal=np.ones(sess.size, bool))


def _cands(true_deg, session_deg=None, *, reversed_mount: bool = False) -> tuple[Tilts, Tilts]:
    """Candidate 0 (z as estimated) and 1 (reversed); a reversed mount swaps them."""
    true_deg = np.asarray(true_deg, float)
    sess = None if session_deg is None else np.asarray(session_deg, float)
    right = _tilts(true_deg, sess)
    wrong = _tilts(-true_deg, None if sess is None else -sess)
    return (wrong, right) if reversed_mount else (right, wrong)


PHASE = np.linspace(0, 3 * np.pi, 300)
PELVIS_BOW_DEG = -12 * np.sin(PHASE) ** 2  # anterior tilt is a negative tilt
NOD_DEG = 6 * np.sin(5.3 * PHASE)  # the neck moving on its own


@pytest.mark.parametrize(("reversed_mount", "choice"), [(False, 0), (True, 1)])
def test_the_pelvis_decides_the_head_when_no_trunk_is_worn(reversed_mount, choice):
    # the lean into the stretch: the head goes face-down with the pelvis, further (lumbar and
    # neck flex too), while the neck also nods on its own
    head = 1.8 * PELVIS_BOW_DEG + NOD_DEG
    d = decide_sign(
        HEAD,
        _cands(head, reversed_mount=reversed_mount),
        {"pelvis": _tilts(PELVIS_BOW_DEG)},
        session_rate_hz=10.0,
    )
    assert (d.choice, d.confidence, d.based_on) == (choice, "high", ("pelvis",))
    assert "pelvis" in d.rule
    assert "no trunk sensor" in d.rule


def test_a_head_kept_still_is_not_decided_by_the_pelvis():
    # the person keeps the head level (a wobble of a degree) while the pelvis bows
    still = 0.5 * np.sin(7.0 * PHASE)
    d = decide_sign(HEAD, _cands(still), {"pelvis": _tilts(PELVIS_BOW_DEG)}, session_rate_hz=10.0)
    assert d.confidence == "low"
    assert "pelvis" not in d.rule


def test_a_window_against_the_session_vetoes():
    # against the pelvis in the calibration (kept level in its rocking), with it over the session
    head = 1.8 * PELVIS_BOW_DEG
    d = decide_sign(
        HEAD,
        _cands(head, -head),
        {"pelvis": _tilts(PELVIS_BOW_DEG)},
        session_rate_hz=10.0,
    )
    assert d.confidence == "low"
    assert "pelvis" not in d.rule


def test_the_window_s_rocking_alone_decides_nothing():
    # in the calibration the head follows the pelvis's small rocking, but over the session
    # (the lean into the stretch) it moves independently of it: no decision from the pelvis
    rock = 4 * np.sin(PHASE)
    pelvis = _tilts(rock, np.r_[rock, -15 * np.sin(np.linspace(0, 9 * np.pi, 600)) ** 2])
    head = np.r_[1.5 * rock, 10 * np.sin(np.linspace(0, 7 * np.pi, 600))]
    d = decide_sign(HEAD, _cands(1.5 * rock, head), {"pelvis": pelvis}, session_rate_hz=10.0)
    assert "pelvis" not in d.rule


def test_a_worn_trunk_keeps_its_say_over_the_pelvis():
    # the trunk is worn but its tilt does not correlate with the head's: the pelvis is not
    # asked in its place
    head = 1.8 * PELVIS_BOW_DEG
    trunk = _tilts(8 * np.sin(2.1 * PHASE))
    d = decide_sign(
        HEAD, _cands(head), {"pelvis": _tilts(PELVIS_BOW_DEG), "trunk": trunk}, session_rate_hz=10.0
    )
    assert "pelvis" not in d.rule


def test_a_head_decided_against_a_doubted_pelvis_is_itself_doubted():
    head = 1.8 * PELVIS_BOW_DEG
    d = decide_sign(
        HEAD,
        _cands(head),
        {"pelvis": _tilts(PELVIS_BOW_DEG)},
        session_rate_hz=10.0,
        confidence={"pelvis": "low"},
    )
    assert (d.choice, d.confidence, d.based_on) == (0, "low", ("pelvis",))


def _bow_session(head_mount: str, n: int = 3000):
    """Pelvis bowing, thigh flexing, head following the bow and nodding; stand 4 s first."""
    t = np.arange(n) / RATE_HZ
    move = np.clip(t - 4.0, 0.0, None)
    pelvis = np.deg2rad(np.where(t < 4, 0.0, -20 * np.sin(0.5 * move) ** 2))
    thigh = np.deg2rad(
        np.where(t < 4, 0.0, 25 * np.sin(0.8 * move) ** 2 - 10 * np.sin(0.4 * move) ** 2)
    )
    head = 1.6 * pelvis + np.deg2rad(np.where(t < 4, 0.0, 5 * np.sin(2.3 * move)))
    worn = {
        "pelvis": (pelvis, "aligned"),
        "right_thigh": (thigh, "aligned"),
        "head": (head, head_mount),
    }
    streams, q_E_S = {}, {}
    for k, (label, (tilt, mount)) in enumerate(worn.items()):
        s, qs, _ = _stream(tilt, MOUNTS[mount], 0.7 * k + 0.3, seed=40 + k)
        streams[label] = UniformStream(
            placement=label, acc_m_s2=s.acc_m_s2, gyr_rad_s=s.gyr_rad_s, valid=s.valid
        )
        q_E_S[label] = qs
    session = UniformSession(t_s=t, rate_hz=RATE_HZ, streams=streams, gaps=())
    windows = Windows(static_s=(0.0, 3.8), functional_s=(4.0, t[-1]), source="sidecar")
    return session, q_E_S, windows


@pytest.mark.parametrize("mount", ["aligned", "facing_backwards", "upside_down"])
def test_calibrate_finds_the_head_s_front_from_the_pelvis_without_a_trunk(mount):
    session, q_E_S, windows = _bow_session(mount)
    cal = calibrate(session, q_E_S, windows=windows)
    head = cal.segments["head"]
    assert head.sign_confidence == "high", head
    assert "pelvis" in head.sign_rule
    err = np.rad2deg(rot.angle_between(head.q_S_B, rot.conjugate(MOUNTS[mount])))
    assert float(err) < 1.5
