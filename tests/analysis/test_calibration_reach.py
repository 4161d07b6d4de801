"""The shank's sign from where the foot travels between still poses (calibration_reach).

Synthetic strapping: a leg of two equal segments (hip, knee, ankle in the sagittal plane),
moved between still poses; the foot and pelvis sensors' displacements are what the chain
puts them through, each seen in its own earth frame (an arbitrary heading).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analysis.angles import calibration_reach
from analysis.angles import rotations as rot
from analysis.angles.calibration_reach import (
    FIT_M,
    MIN_VOTES,
    MISS_M,
    SEGMENT_M,
    STILL_MIN_S,
    MovingSensor,
    ReachEvidence,
    ReachMove,
    displacement_m,
    gathered,
    pose_tilts,
    reach_evidence,
    reach_moves,
    span_batches,
    still_runs,
)
from analysis.angles.calibration_signs import SIGN_RULES, Tilts, decide_sign
from tests.analysis.builders import min_jerk_step

RATE_HZ = 100.0
G = 9.80665
SHANK = next(r for r in SIGN_RULES if r.segment == "{side}_shank").expand("left")


def _moving(displacement_m_E, *, q_E_S, bias_S, still_s=1.0, move_s=2.0):
    """A sensor at rest, moved by ``displacement_m_E`` (earth) in ``move_s``, at rest again."""
    t = np.arange(0.0, 2 * still_s + move_s, 1.0 / RATE_HZ)
    pos = np.stack([min_jerk_step(t, still_s, still_s + move_s, d) for d in displacement_m_E], 1)
    acc_E = np.gradient(np.gradient(pos, 1.0 / RATE_HZ, axis=0), 1.0 / RATE_HZ, axis=0)
    q = np.broadcast_to(q_E_S, (t.size, 4))
    acc_S = rot.rotate(rot.conjugate(q), acc_E + np.array([0.0, 0.0, G])) + bias_S
    return t, acc_S, np.array(q)


def test_a_sensor_s_displacement_survives_a_bias_and_any_orientation():
    q = rot.normalize(np.array([0.8, 0.3, -0.4, 0.2]))
    _, acc, qq = _moving([0.4, -0.3, 0.2], q_E_S=q, bias_S=np.array([0.05, -0.08, 0.1]))
    d = displacement_m(acc, qq, RATE_HZ)
    np.testing.assert_allclose(d, [0.4, -0.3, 0.2], atol=0.01)


def test_still_runs_need_every_sensor_still_long_enough():
    n = 400
    a, b = np.zeros(n), np.zeros(n)
    a[100:200] = 1.0  # a moves
    b[250:260] = np.nan  # b unknown: moving
    b[300:302] = 1.0  # a blip: 260–300 is still for 0.4 s only
    runs = still_runs([a, b], RATE_HZ)
    assert 40 < STILL_MIN_S * RATE_HZ <= 50
    assert [(r.start, r.stop) for r in runs] == [(0, 100), (200, 250), (302, 400)]


def _heading(psi_deg: float) -> np.ndarray:
    return rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(psi_deg))


def _chain_moves(poses_deg, *, segment_m=0.45, hip_moves=True):
    """Still poses (thigh, shank tilts, °) → the moves between them and the tilts.

    The ankle is at ``L (sin t + sin s, −cos t − cos s)`` from the hip (forward, up). With
    ``hip_moves`` the foot stays on the floor when it is below the hip's reach (knee bends:
    the hip goes down and back); else the hip stays and the foot travels (a leg lifted).
    Each sensor's displacement is turned into its own earth frame by an arbitrary heading.
    """
    poses = np.deg2rad(np.asarray(poses_deg, dtype=float))
    ankle = segment_m * np.stack(
        [np.sin(poses[:, 0]) + np.sin(poses[:, 1]), -np.cos(poses[:, 0]) - np.cos(poses[:, 1])], 1
    )
    moves, thigh, shank = [], [], []
    for k in range(len(poses) - 1):
        rel = ankle[k + 1] - ankle[k]  # the ankle's change relative to the hip
        foot, hip = (np.zeros(2), -rel) if hip_moves else (rel, np.zeros(2))
        to3 = lambda v, psi: rot.rotate(_heading(psi), [v[0], 0.0, v[1]])  # noqa: E731
        moves.append(ReachMove(slice(0, 1), slice(1, 2), to3(foot, 37.0), to3(hip, -121.0)))
        thigh.append(poses[k : k + 2, 0])
        shank.append(poses[k : k + 2, 1])
    return moves, np.array(thigh), np.array(shank)


BENDS = [(0, 0), (45, -20), (0, 0), (50, -25), (0, 0)]
"""Knee bends, foot flat: the thigh flexes and the shank tips forward (knee over toes)."""
ONTO_SUPPORT = [(0, 0), (70, 50), (0, 0), (65, 45), (0, 0)]
"""The leg lifted onto a support: the thigh flexes and the shank tips its foot forward."""


@pytest.mark.parametrize(("poses", "hip_moves"), [(BENDS, True), (ONTO_SUPPORT, False)])
@pytest.mark.parametrize("facing_back", [False, True])
def test_the_foot_s_travel_picks_the_shank_s_sign(poses, hip_moves, facing_back):
    moves, thigh, shank = _chain_moves(poses, hip_moves=hip_moves)
    cands = (-shank, shank) if facing_back else (shank, -shank)
    ev = reach_evidence(moves, thigh, cands)
    assert ev is not None
    assert ev.choice == int(facing_back), ev
    assert ev.votes[int(facing_back)] >= MIN_VOTES
    assert ev.segment_m == pytest.approx(0.45, abs=0.01)


def test_sitting_back_on_a_straight_leg_is_told_from_knee_bends():
    """The tilts of the bends with the shank reversed (the leg straight, leaning back over
    the foot): the same candidate tilts as the bends, but the hip travels twice as far back,
    and the sign that says so wins."""
    sit_back = [(t, -s) for t, s in BENDS]
    moves, thigh, shank = _chain_moves(sit_back)
    ev = reach_evidence(moves, thigh, (shank, -shank))
    assert ev is not None
    assert ev.choice == 0, ev


def test_a_foot_and_pelvis_that_moved_otherwise_decide_nothing():
    """Displacements that neither sign explains (a step to the side): no decision."""
    moves, thigh, shank = _chain_moves(ONTO_SUPPORT, hip_moves=False)
    stepped = [
        ReachMove(m.before, m.after, m.foot_m + np.array([0.0, 1.2, 0.0]), m.pelvis_m)
        for m in moves
    ]
    ev = reach_evidence(stepped, thigh, (shank, -shank))
    assert ev is None or ev.choice is None


def test_an_implausible_segment_length_gives_no_evidence():
    moves, thigh, shank = _chain_moves(ONTO_SUPPORT, segment_m=SEGMENT_M[1] + 0.2, hip_moves=False)
    assert reach_evidence(moves, thigh, (shank, -shank)) is None


def test_a_wrong_sign_that_misses_by_less_than_the_margin_decides_nothing():
    """Shallow bends: the two signs' predictions lie closer than the margins."""
    moves, thigh, shank = _chain_moves([(0, 0), (20, -4), (0, 0), (20, -4), (0, 0)])
    ev = reach_evidence(moves, thigh, (shank, -shank))
    assert ev is None or ev.choice is None


def test_reach_moves_integrates_between_still_runs():
    q_foot, q_pelvis = _heading(30.0), _heading(-75.0)
    t, acc_f, qf = _moving([0.6, 0.0, 0.3], q_E_S=q_foot, bias_S=np.zeros(3))
    _, acc_p, qp = _moving([0.0, 0.0, 0.0], q_E_S=q_pelvis, bias_S=np.array([0.0, 0.1, 0.0]))
    still = (t < 1.0) | (t > 3.0)
    runs = still_runs([np.where(still, 0.0, 1.0)], RATE_HZ)
    ones = np.ones(t.size, bool)
    foot = MovingSensor(acc_m_s2=acc_f, q_E_S=qf, valid=ones, acc_bias_m_s2=np.zeros(3))
    pelvis = MovingSensor(acc_m_s2=acc_p, q_E_S=qp, valid=ones, acc_bias_m_s2=np.zeros(3))
    (move,) = reach_moves(runs, foot, pelvis, RATE_HZ)
    assert np.hypot(*move.foot_m[:2]) == pytest.approx(0.6, abs=0.01)
    assert move.foot_m[2] == pytest.approx(0.3, abs=0.01)
    assert np.linalg.norm(move.pelvis_m) < 0.01
    gap = ones.copy()
    gap[150] = False  # one invalid sample in the movement: not integrated
    broken = MovingSensor(acc_m_s2=acc_f, q_E_S=qf, valid=gap, acc_bias_m_s2=np.zeros(3))
    assert reach_moves(runs, broken, pelvis, RATE_HZ) == []


def _flat(n: int = 20) -> Tilts:
    return Tilts(move=np.zeros(n), session=np.zeros(n), sagittal=np.ones(n, bool))


@pytest.mark.parametrize("choice", [0, 1])
def test_decide_sign_takes_the_reach_before_the_fallback(choice):
    votes = (3, 0) if choice == 0 else (0, 3)
    ev = ReachEvidence(votes=votes, segment_m=0.44)
    d = decide_sign(
        SHANK, (_flat(), _flat()), {"left_thigh": _flat()}, session_rate_hz=10.0, reach=ev
    )
    assert (d.choice, d.confidence) == (choice, "high"), d
    assert "left_foot moved from the hip" in d.rule
    assert d.based_on == ("left_thigh",)


def test_votes_for_both_signs_or_too_few_decide_nothing():
    for votes in ((3, 1), (1, 0)):
        ev = ReachEvidence(votes=votes, segment_m=0.44)
        d = decide_sign(
            SHANK, (_flat(), _flat()), {"left_thigh": _flat()}, session_rate_hz=10.0, reach=ev
        )
        assert d.confidence == "low", (votes, d)


def test_the_margins_leave_room_between_fit_and_miss():
    assert MISS_M >= 2 * FIT_M


def test_person_85_left_shank_is_decided_by_the_foot_s_travel():
    """1 min, default set: on main the shank's sign was a guess (right) and its knee and
    ankle rules uncertain; the leg lifted onto the support and back decides it."""
    from analysis.angles.pipeline import PipelineOptions, analyse_recording
    from analysis.simulation.population import generate_person, generate_session

    ses = generate_session(generate_person(85), 0, None, "default")
    res = analyse_recording(ses.recording(), options=PipelineOptions(keep_orientations=False))
    seg = res.calibration.segments["left_shank"]
    z_est = rot.rotate(seg.q_S_B, [0.0, 0.0, 1.0])
    z_true = rot.rotate(ses.mounting["left_shank"], [0.0, 0.0, 1.0])
    assert float(np.dot(z_est, z_true)) > 0.0
    assert seg.sign_confidence == "high"
    assert "left_foot moved from the hip" in seg.sign_rule
    assert "left_knee_flexion_deg" not in res.uncertain


# --- many short spans evaluated together (calibration_reach.span_batches) ------------------


def test_span_batches_keep_order_and_size():
    spans = [slice(0, 30), slice(40, 60), slice(60, 130), slice(200, 205)]
    groups = list(span_batches(spans, max_rows=50))
    assert [s for g in groups for s in g] == spans
    assert groups == [[slice(0, 30), slice(40, 60)], [slice(60, 130)], [slice(200, 205)]]
    assert list(span_batches([], max_rows=50)) == []


def test_gathered_rows_map_back_to_each_span():
    spans = [slice(5, 8), slice(2, 4), slice(6, 9)]  # out of order and overlapping
    rows, where = gathered(spans)
    for span, w in zip(spans, where, strict=True):
        np.testing.assert_array_equal(rows[w], np.arange(span.start, span.stop))
    rows, where = gathered([])
    assert rows.size == 0
    assert where == []


def _session_like(n: int, seed: int):
    """A sensor with random orientations and forces, a few invalid and NaN samples."""
    rng = np.random.default_rng(seed)
    q = rot.normalize(rng.normal(size=(n, 4))).astype(np.float32)
    acc = (rng.normal(size=(n, 3)) + np.array([0.0, 0.0, G])).astype(np.float32)
    valid = np.ones(n, bool)
    valid[rng.choice(n, 3, replace=False)] = False
    acc[rng.choice(n, 2, replace=False), 1] = np.nan
    return MovingSensor(acc_m_s2=acc, q_E_S=q, valid=valid, acc_bias_m_s2=np.array([0.1, 0, 0]))


def _runs(n: int, seed: int) -> list[slice]:
    rng = np.random.default_rng(seed)
    edges = np.cumsum(rng.integers(50, 400, size=60))
    edges = edges[edges < n]
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1:2], edges[1::2], strict=False)]


@pytest.mark.parametrize("batch_rows", [1, 700, 1 << 15])
def test_reach_moves_in_batches_equal_one_span_at_a_time(monkeypatch, batch_rows):
    n = 12_000
    foot, pelvis = _session_like(n, 1), _session_like(n, 2)
    runs = _runs(n, 3)
    monkeypatch.setattr(calibration_reach, "BATCH_ROWS", batch_rows)
    got = reach_moves(runs, foot, pelvis, RATE_HZ)
    # the reference: every movement integrated on its own, as displacement_m does
    margin, pose = round(0.25 * RATE_HZ), round(STILL_MIN_S * RATE_HZ)
    want = []
    for before, after in itertools.pairwise(runs):
        if (after.start - before.stop) / RATE_HZ > 6.0:
            continue
        span = slice(before.stop - margin, after.start + margin)
        disp = []
        for s in (foot, pelvis):
            a = np.asarray(s.acc_m_s2[span], np.float64) - s.acc_bias_m_s2
            q = np.asarray(s.q_E_S[span], np.float64)
            if s.valid[span].all() and np.isfinite(a).all():
                disp.append(displacement_m(a, q, RATE_HZ))
        if len(disp) == 2:
            want.append((before.stop - pose, after.start, *disp))
    assert 0 < len(want) < len(runs) - 1  # some movements dropped for a bad sample
    assert len(got) == len(want)
    for m, (b, a, f, p) in zip(got, want, strict=True):
        assert (m.before, m.after) == (slice(b, b + pose), slice(a, a + pose))
        np.testing.assert_array_equal(m.foot_m, f)  # bit for bit
        np.testing.assert_array_equal(m.pelvis_m, p)


@pytest.mark.parametrize("batch_rows", [1, 130, 1 << 15])
def test_pose_tilts_in_batches_equal_each_pose_alone(monkeypatch, batch_rows):
    rng = np.random.default_rng(4)
    tilt = rng.normal(size=5_000)
    tilt[rng.choice(5_000, 40, replace=False)] = np.nan
    tilt[1000:1050] = np.nan  # a pose with no known tilt
    moves = [
        ReachMove(slice(s, s + 50), slice(s + 300, s + 350), np.zeros(3), np.zeros(3))
        for s in (100, 700, 1000, 2200, 4000)
    ]
    monkeypatch.setattr(calibration_reach, "BATCH_ROWS", batch_rows)
    got = pose_tilts(lambda rows: tilt[rows], moves)
    assert got.shape == (5, 2)
    for k, m in enumerate(moves):
        for j, where in enumerate((m.before, m.after)):
            x = tilt[where]
            x = x[np.isfinite(x)]
            want = x.mean() if x.size else np.nan
            np.testing.assert_array_equal(got[k, j], want)
    assert np.isnan(got[2, 0])
    assert pose_tilts(lambda rows: tilt[rows], []).shape == (0, 2)
