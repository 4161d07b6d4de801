"""The hip centre over the whole session decides a pelvis the calibration leaves open.

A pelvis kept still through knee bends that drop the hip centre straight down cannot tell
its front from its back in the functional window (``test_calibration_centre``). Later in
the session the person sits down and stands up: the hip centre travels back and down and
returns, and the centre's acceleration seen from the pelvis and from the thigh agrees at one
heading only. The synthetic sensors are built as in ``test_calibration_centre`` (own
earth-frame heading per sensor, accelerations the second derivative of each site's path).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import joint_centre_terms, session_centre_votes
from analysis.angles.calibration_centre import (
    RIDGE,
    SESSION_CHUNK_S,
    SESSION_STEP_S,
    VOTE_RATIO,
    CentreTerms,
    CentreVote,
    MismatchForm,
    centre_terms,
    centre_vote,
)
from analysis.angles.calibration_signs import (
    SESSION_VOTES_MIN,
    _by_session_centre,
    rules_for,
)
from analysis.angles.timebase import UniformSession, UniformStream
from tests.analysis.test_calibration_centre import (
    LEVER_B,
    MOUNTS,
    RATE_HZ,
    _calibrated,
    _sensor,
    _z_S,
)

N = 6000
"""60 s: stand 0–4 s, bends 4–16 s, swings 16–28 s, then the rest of the session."""


def _ramp(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before ``t0``, 1 after ``t1``, a smooth (cosine) step between."""
    x = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _session(pelvis_mount: str, thigh_mount: str, *, sits: bool):
    """Sensors of a session whose calibration leaves the pelvis open; ``sits``: it sits
    down (30–33 s) and stands up again (42–45 s) later."""
    t = np.arange(N) / RATE_HZ
    bends = (t >= 4.0) & (t < 16.0)
    dip = np.where(bends, np.sin(np.pi * (t - 4.0) / 4.0) ** 2, 0.0)
    swings = (t >= 16.0) & (t < 28.0)
    swing = np.where(swings, np.deg2rad(30.0) * np.sin(2 * np.pi * (t - 16.0) / 3.0), 0.0)
    seat = _ramp(t, 30.0, 33.0) - _ramp(t, 42.0, 45.0) if sits else np.zeros(N)
    thigh = np.deg2rad(50.0) * dip + swing + np.deg2rad(60.0) * seat
    # sitting, the pelvis tips back a little; at 50–56 s a lean into the stretch (forward is a
    # negative tilt here) gives its axis, not its sign
    lean = np.where((t >= 50.0) & (t < 56.0), np.sin(np.pi * (t - 50.0) / 3.0) ** 2, 0.0)
    pelvis = np.deg2rad(8.0) * seat - np.deg2rad(25.0) * lean
    centre = np.zeros((N, 3))
    centre[:, 2] = -0.15 * dip - 0.35 * seat  # the bends only lower the centre
    centre[:, 0] = -0.30 * seat  # sitting down moves it back (E x is forward)
    mounts = {"pelvis": MOUNTS[pelvis_mount], "right_thigh": MOUNTS[thigh_mount]}
    tilts = {"pelvis": pelvis, "right_thigh": thigh}
    data = {
        p: _sensor(tilts[p], centre, LEVER_B[p], mounts[p], 1.1 + 2.3 * k, seed=k)
        for k, p in enumerate(("pelvis", "right_thigh"))
    }
    return data, mounts


@pytest.mark.parametrize(
    ("pelvis_mount", "thigh_mount"),
    [("facing_backwards", "outside_of_thigh"), ("aligned", "upside_down"), ("skewed", "aligned")],
)
def test_sitting_down_later_decides_a_pelvis_the_calibration_left_open(pelvis_mount, thigh_mount):
    data, mounts = _session(pelvis_mount, thigh_mount, sits=True)
    pelvis = _calibrated(data, N).segments["pelvis"]
    z_est = rot.rotate(pelvis.q_S_B, [0.0, 0.0, 1.0])
    assert float(z_est @ _z_S(mounts["pelvis"])) > 0.95, pelvis.sign_rule
    assert pelvis.sign_confidence == "high", pelvis.sign_rule
    assert "separate stretches of the session" in pelvis.sign_rule


@pytest.mark.parametrize(
    ("pelvis_mount", "thigh_mount"),
    [("facing_backwards", "outside_of_thigh"), ("aligned", "upside_down")],
)
def test_a_session_whose_hip_centre_never_travels_leaves_the_pelvis_low(pelvis_mount, thigh_mount):
    data, _mounts = _session(pelvis_mount, thigh_mount, sits=False)
    pelvis = _calibrated(data, N).segments["pelvis"]
    assert pelvis.sign_confidence == "low", pelvis.sign_rule


def _sit_terms(pelvis_mount: str = "facing_backwards", thigh_mount: str = "outside_of_thigh"):
    """The centre terms of the sitting-down stretch and both axes at the stand (earth)."""
    data, mounts = _session(pelvis_mount, thigh_mount, sits=True)
    sl = slice(2900, 3900)
    terms = {p: centre_terms(a[sl], g[sl], q[sl], rate_hz=RATE_HZ) for p, (a, g, q) in data.items()}
    z_e = {p: rot.rotate(data[p][2][100], _z_S(mounts[p])) for p in data}
    return terms, z_e


def test_a_stretch_votes_for_the_true_sign_either_way_round():
    terms, z_e = _sit_terms()
    keep = centre_vote(terms["pelvis"], terms["right_thigh"], z_e["pelvis"], z_e["right_thigh"])
    flip = centre_vote(terms["pelvis"], terms["right_thigh"], -z_e["pelvis"], z_e["right_thigh"])
    assert keep is not None
    assert flip is not None
    assert (keep.choice, flip.choice) == (0, 1)
    assert keep.ratio >= VOTE_RATIO
    assert keep.off_deg < 5.0


def test_a_stretch_whose_heading_lies_at_neither_candidate_does_not_vote():
    # the partner's axis turned 90° about the vertical: the centre fixes a heading sharply,
    # but 90° from both candidates — what a fit of something else (soft tissue) looks like
    terms, z_e = _sit_terms()
    quarter = rot.from_axis_angle([0.0, 0.0, 1.0], np.pi / 2)
    z_turned = rot.rotate(quarter, z_e["right_thigh"])
    assert centre_vote(terms["pelvis"], terms["right_thigh"], z_e["pelvis"], z_turned) is None


def test_a_still_stretch_does_not_vote():
    data, mounts = _session("facing_backwards", "outside_of_thigh", sits=False)
    sl = slice(3000, 4000)
    terms = {p: centre_terms(a[sl], g[sl], q[sl], rate_hz=RATE_HZ) for p, (a, g, q) in data.items()}
    z_e = {p: rot.rotate(data[p][2][100], _z_S(mounts[p])) for p in data}
    assert (
        centre_vote(terms["pelvis"], terms["right_thigh"], z_e["pelvis"], z_e["right_thigh"])
        is None
    )


PELVIS = next(r for r in rules_for(("pelvis", "right_thigh")) if r.segment == "pelvis")


def _vote(start_s: float, choice: int) -> CentreVote:
    return CentreVote(start_s=start_s, choice=choice, ratio=2.0, sharpness=2.0, off_deg=3.0)


def test_votes_decide_only_from_separate_stretches_all_one_way():
    apart = [_vote(10.0 + k * SESSION_CHUNK_S, 1) for k in range(SESSION_VOTES_MIN)]
    d = _by_session_centre(PELVIS, apart)
    assert d is not None
    assert (d.choice, d.confidence) == (1, "high")
    # two overlapping stretches of one movement count once
    overlapping = [_vote(10.0, 1), _vote(10.0 + SESSION_CHUNK_S / 2, 1)]
    assert _by_session_centre(PELVIS, overlapping) is None
    # one stretch the other way and the session does not decide
    assert _by_session_centre(PELVIS, [*apart, _vote(100.0, 0)]) is None
    assert _by_session_centre(PELVIS, []) is None
    assert _by_session_centre(PELVIS, None) is None


def _mismatch_by_design(psi: float, a: CentreTerms, b: CentreTerms) -> float:
    """The centre mismatch built sample by sample: design, ridge, solve, residual."""
    c, s = np.cos(psi), np.sin(psi)
    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    n = a.acc_E.shape[0]
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    design = np.concatenate([-(turn @ a.lever_E), b.lever_E, eye], axis=2).reshape(-1, 9)
    target = (b.acc_E - a.acc_E @ turn.T).reshape(-1)
    normal = design.T @ design + RIDGE * n * np.diag([1.0] * 6 + [0.0] * 3)
    resid = target - design @ np.linalg.solve(normal, design.T @ target)
    return float(np.sqrt(resid @ resid / n))


def test_the_mismatch_from_sums_equals_the_one_built_sample_by_sample():
    rng = np.random.default_rng(7)
    n = 400
    a = CentreTerms(rng.normal(size=(n, 3)) + np.array([0.0, 0.0, 9.8]), rng.normal(size=(n, 3, 3)))
    b = CentreTerms(rng.normal(size=(n, 3)) + np.array([0.0, 0.0, 9.8]), rng.normal(size=(n, 3, 3)))
    form = MismatchForm(a, b)
    for psi in np.linspace(-3.0, 3.0, 9):
        assert form(psi) == pytest.approx(_mismatch_by_design(psi, a, b), rel=1e-9)
    terms, _z = _sit_terms()
    form = MismatchForm(terms["pelvis"], terms["right_thigh"])
    for psi in (0.3, 2.3, 4.0):
        want = _mismatch_by_design(psi, terms["pelvis"], terms["right_thigh"])
        assert form(psi) == pytest.approx(want, rel=1e-6)


def _votes_by_masks(session, q_E_S, stand, acc_bias, segment, z_E) -> list[CentreVote]:
    """The session's votes built the slow, plain way: a whole-session mask per stretch."""
    t = session.t_s
    out = []
    last = max(float(t[-1]) - 0.5 * SESSION_CHUNK_S, float(t[0])) + 1e-9
    for t0 in np.arange(float(t[0]), last, SESSION_STEP_S):
        chunk = (t >= t0) & (t < t0 + SESSION_CHUNK_S)
        terms = joint_centre_terms(session, q_E_S, (stand, chunk), acc_bias)
        for p in z_E:
            if p != segment and segment in terms and p in terms:
                v = centre_vote(terms[segment], terms[p], z_E[segment], z_E[p], start_s=float(t0))
                out += [v] if v is not None else []
    return out


@pytest.mark.parametrize("t0_s", [0.0, 12.345])
def test_the_session_votes_from_slices_equal_those_from_whole_session_masks(t0_s):
    data, mounts = _session("facing_backwards", "outside_of_thigh", sits=True)
    valid = np.ones(N, bool)
    valid[3100:3130] = False  # a dropout inside the sitting down
    q_E_S = {p: q.copy() for p, (_a, _g, q) in data.items()}
    q_E_S["right_thigh"][4410:4420] = np.nan  # an orientation not known for a moment
    streams = {
        p: UniformStream(placement=p, acc_m_s2=a, gyr_rad_s=g, valid=valid)
        for p, (a, g, _q) in data.items()
    }
    t = t0_s + np.arange(N) / RATE_HZ
    session = UniformSession(t_s=t, rate_hz=RATE_HZ, streams=streams, gaps=())
    stand = t < t0_s + 3.8
    acc_bias = {"pelvis": np.array([0.02, -0.03, 0.05])}
    z_e = {p: rot.rotate(data[p][2][100], _z_S(mounts[p])) for p in data}
    fast = session_centre_votes(session, q_E_S, stand, acc_bias, "pelvis", z_e)
    slow = _votes_by_masks(session, q_E_S, stand, acc_bias, "pelvis", z_e)
    assert len(slow) >= 2
    assert fast == slow
