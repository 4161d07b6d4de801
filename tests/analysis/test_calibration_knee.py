"""The knee centre tells a shank its front from the thigh's (test 2c, synthetic legs).

A thigh and a shank move in the sagittal plane either with the foot planted (knee bends: the
shank turns about the still ankle, its knee going forward while the thigh flexes) or hanging
from a still hip (leg swings: the shank follows the thigh). Each sensor is strapped in its
own way (upside down, facing backwards, skewed…) and has its own earth-frame heading, as a
6-D orientation does; the accelerations are the second derivative of each sensor's position
plus gravity. Nothing tells the test which motion it is.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E, CalibrationResult, calibrate
from analysis.angles.calibration_centre import CentreVote
from analysis.angles.calibration_knee import (
    KneeCentreEvidence,
    SensorSeries,
    knee_centre_evidence,
)
from analysis.angles.calibration_signs import SignRule, _by_knee_centre
from analysis.angles.calibration_windows import Windows
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.recording.schema import GRAVITY_M_S2

RATE_HZ = 100.0
N = 3600
Q_E_G = rot.conjugate(Q_G_E)
MOUNTS = {
    "aligned": np.array([1.0, 0.0, 0.0, 0.0]),
    "upside_down": rot.from_axis_angle([1.0, 0.0, 0.0], np.pi),
    "facing_backwards": rot.from_axis_angle([0.0, 1.0, 0.0], np.pi),
    "outside": rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2),
    "skewed": rot.normalize(np.array([0.7, 0.3, -0.5, 0.4])),
}
THIGH_M, SHANK_M = 0.42, 0.40
SITE_B = {  # sensor sites from the segment's distal joint, segment (ISB) coordinates (m)
    "right_thigh": np.array([0.06, 0.22, 0.07]),
    "right_shank": np.array([0.05, 0.18, 0.04]),
}
HEADING_RAD = {"right_thigh": 0.7, "right_shank": 2.9}


def _tilts(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Thigh and shank tilts (rad, + = thigh flexion / foot ahead of the knee) over N samples.

    ``bends``: knee bends with the foot planted from 4 s on (the shank tips its knee forward,
    negative), of changing depth, the thigh leading the shank; ``swings``: the leg swings
    forward and back from a still hip, never behind the vertical, the knee bending a little
    (the shank tips positive all the time, so the habit of the knee bends would choose the
    wrong sign); ``still``: a quiet stand throughout. One movement repeated
    exactly would not do: a shank and a thigh turning in fixed proportion are one rigid
    motion, and the lever arms could then fit either heading.
    """
    t = np.arange(N) / RATE_HZ
    on = t >= 4.0
    if kind == "still":
        return np.zeros(N), np.zeros(N)
    depth = 1.0 + 0.3 * np.sin(2 * np.pi * t / 11.0)
    if kind == "bends":
        dip = np.where(on, np.sin(np.pi * (t - 4.0) / 4.0) ** 2, 0.0)
        lead = np.where(on, np.sin(np.pi * (t - 3.8) / 4.0) ** 2, 0.0)
        return np.deg2rad(55.0) * depth * lead, -np.deg2rad(30.0) * dip / depth
    phase = 2 * np.pi * (t - 4.0) / 3.0
    swing = np.where(on, np.deg2rad(22.0) * depth * (1.0 - np.cos(phase)), 0.0)
    knee = np.where(on, np.deg2rad(5.0) * (1.0 - np.cos(phase + 1.0)), 0.0)
    return swing, swing - knee


def _positions(kind: str, thigh: np.ndarray, shank: np.ndarray) -> dict[str, np.ndarray]:
    """Each segment's distal joint (knee, ankle) path (m, E) and orientation ``q_E_B``."""
    q = {
        "right_thigh": rot.multiply(Q_E_G, rot.from_axis_angle([0.0, 0.0, 1.0], thigh)),
        "right_shank": rot.multiply(Q_E_G, rot.from_axis_angle([0.0, 0.0, 1.0], shank)),
    }
    up_shank = rot.rotate(q["right_shank"], [0.0, SHANK_M, 0.0])
    up_thigh = rot.rotate(q["right_thigh"], [0.0, THIGH_M, 0.0])
    if kind == "swings":  # the hip stays put
        knee = -up_thigh
        ankle = knee - up_shank
    else:  # the ankle stays put
        ankle = np.zeros((N, 3))
        knee = up_shank
    return {"right_thigh": knee, "right_shank": ankle, "q": q}  # type: ignore[dict-item]


def _leg(kind: str, shank_mount: str, thigh_mount: str = "outside", seed: int = 0):
    """{placement: (acc_S, gyr_S, q_E_S)} of the thigh and shank sensors."""
    thigh, shank = _tilts(kind)
    paths = _positions(kind, thigh, shank)
    tilts = {"right_thigh": thigh, "right_shank": shank}
    mounts = {"right_thigh": MOUNTS[thigh_mount], "right_shank": MOUNTS[shank_mount]}
    rng = np.random.default_rng(seed)
    out = {}
    for p in ("right_thigh", "right_shank"):
        q_E_B = paths["q"][p]
        q_E_S = rot.multiply(q_E_B, mounts[p])
        pos = paths[p] + rot.rotate(q_E_B, SITE_B[p])
        acc_E = np.gradient(np.gradient(pos, 1 / RATE_HZ, axis=0), 1 / RATE_HZ, axis=0)
        acc_S = rot.rotate(rot.conjugate(q_E_S), acc_E + np.array([0.0, 0.0, GRAVITY_M_S2]))
        w = np.gradient(tilts[p], 1 / RATE_HZ)
        gyr_S = rot.rotate(rot.conjugate(mounts[p]), np.column_stack([0 * w, 0 * w, w]))
        acc_S = acc_S + rng.normal(0, 0.02, acc_S.shape)
        gyr_S = gyr_S + rng.normal(0, 0.002, gyr_S.shape)
        out[p] = (acc_S, gyr_S, rot.turn_about_z(q_E_S, HEADING_RAD[p]))
    return out, mounts


def _z_S(q_B_S: np.ndarray) -> np.ndarray:
    return rot.rotate(rot.conjugate(q_B_S), [0.0, 0.0, 1.0])


def _series(acc, gyr, q) -> SensorSeries:
    return SensorSeries(acc, gyr, rot.to_matrix(q), np.ones(acc.shape[0], dtype=bool))


def _evidence(kind: str, shank_mount: str, shank_sign: float) -> KneeCentreEvidence | None:
    """Test 2c's evidence with the shank's axis as estimated = ``shank_sign`` × the true one."""
    data, mounts = _leg(kind, shank_mount)
    z = {
        "right_shank": rot.rotate(
            data["right_shank"][2][100], shank_sign * _z_S(mounts["right_shank"])
        ),
        "right_thigh": rot.rotate(data["right_thigh"][2][100], _z_S(mounts["right_thigh"])),
    }
    return knee_centre_evidence(
        _series(*data["right_shank"]),
        _series(*data["right_thigh"]),
        (z["right_shank"], z["right_thigh"]),
        window=slice(400, N),
        t_s=np.arange(N) / RATE_HZ,
        rate_hz=RATE_HZ,
    )


@pytest.mark.parametrize("kind", ["bends", "swings"])
@pytest.mark.parametrize("shank_mount", ["aligned", "upside_down", "facing_backwards", "skewed"])
@pytest.mark.parametrize("shank_sign", [1.0, -1.0])
def test_every_stretch_votes_for_the_true_shank_sign(kind, shank_mount, shank_sign):
    ev = _evidence(kind, shank_mount, shank_sign)
    assert ev is not None
    right = 0 if shank_sign > 0 else 1
    assert len(ev.votes) >= 3
    assert {v.choice for v in ev.votes} == {right}
    assert ev.window is None or ev.window.choice == right


def test_a_leg_that_never_moves_casts_no_vote():
    ev = _evidence("still", "upside_down", 1.0)
    assert ev is not None
    assert ev.votes == ()


RULE = SignRule(segment="right_shank", relation="knee", centre_with="right_thigh")


def _vote(start_s: float, choice: int) -> CentreVote:
    return CentreVote(start_s, choice, ratio=2.0, sharpness=2.0, off_deg=3.0)


def test_two_separate_stretches_and_none_against_decide_with_confidence():
    ev = KneeCentreEvidence(_vote(0.0, 1), (_vote(0.0, 1), _vote(10.0, 1)))
    found, used = _by_knee_centre(RULE, lambda: ev)
    assert found is not None
    assert (found.choice, found.confidence) == (1, "high")
    assert used == ("right_thigh",)
    assert "2 separate stretches" in found.rule


@pytest.mark.parametrize(
    "votes",
    [
        (_vote(0.0, 1), _vote(5.0, 1)),  # overlapping stretches: one movement
        (_vote(0.0, 1), _vote(10.0, 1), _vote(20.0, 0)),  # one against
        (),
    ],
)
def test_overlapping_or_disagreeing_stretches_decide_nothing(votes):
    ev = KneeCentreEvidence(None, votes)
    assert _by_knee_centre(RULE, lambda: ev) == (None, ())


def test_a_window_that_votes_the_other_sign_leaves_only_a_guess():
    votes = (_vote(0.0, 0), _vote(10.0, 0), _vote(20.0, 0))
    found, _ = _by_knee_centre(RULE, lambda: KneeCentreEvidence(_vote(4.0, 1), votes))
    assert found is not None
    assert (found.choice, found.confidence) == (0, "low")
    assert "the other sign fits" in found.rule
    found, _ = _by_knee_centre(RULE, lambda: KneeCentreEvidence(None, votes))  # window silent
    assert found is not None
    assert (found.choice, found.confidence) == (0, "high")


def test_rows_without_a_knee_partner_never_ask_for_the_evidence():
    def boom() -> KneeCentreEvidence:
        raise AssertionError("asked")

    assert _by_knee_centre(SignRule(segment="right_foot"), boom) == (None, ())


def _calibrated(data: dict) -> CalibrationResult:
    streams = {
        p: UniformStream(placement=p, acc_m_s2=a, gyr_rad_s=g, valid=np.ones(N, bool))
        for p, (a, g, _q) in data.items()
    }
    session = UniformSession(t_s=np.arange(N) / RATE_HZ, rate_hz=RATE_HZ, streams=streams, gaps=())
    windows = Windows(static_s=(0.0, 3.8), functional_s=(4.0, 36.0), source="sidecar")
    return calibrate(session, {p: q for p, (_a, _g, q) in data.items()}, windows=windows)


@pytest.mark.parametrize("kind", ["bends", "swings"])
@pytest.mark.parametrize("shank_mount", ["upside_down", "facing_backwards", "skewed"])
def test_a_thigh_and_shank_alone_get_the_shank_sign_from_the_knee_centre(kind, shank_mount):
    data, mounts = _leg(kind, shank_mount)
    seg = _calibrated(data).segments["right_shank"]
    z_est = rot.rotate(seg.q_S_B, [0.0, 0.0, 1.0])
    assert float(z_est @ _z_S(mounts["right_shank"])) > 0.0, seg.sign_rule
    assert seg.sign_confidence == "high", seg.sign_rule
    assert "knee centre" in seg.sign_rule
