"""The hip centre's session votes (test 3) and a turn on the spot: a known weakness, pinned.

A turn on the spot turns pelvis and thigh as one about the vertical: both candidate headings
fit the hip centre's accelerations alike, so only the sensors' own errors can pick one. The
knee-centre test (2c) asks its stretches to tip; the hip's cannot simply do the same, since
sitting down and standing up move the hip centre back and down (a translation, evidence the
heading test reads) while the thigh turns slowly (``test_session_centre``'s sit: 0.22 rad/s²
RMS, under the knee's 0.43). Until a condition that tells a turn on the spot from a
translation exists, the first test records that such a stretch votes today (strict xfail).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import session_centre_votes
from analysis.angles.timebase import UniformSession, UniformStream

RATE_HZ = 100.0
N = 1000
G_E = np.array([0.0, 0.0, 9.81])


def _turn(axis_E: np.ndarray, amp_rad: float, period_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Rates (sensor frame) and quaternions of a sensor turning ``amp · sin(2πt/T)`` about
    the fixed earth axis ``axis_E`` from a tilted start."""
    t = np.arange(N) / RATE_HZ
    w = 2.0 * np.pi / period_s
    q0 = rot.from_axis_angle([0.3, 1.0, 0.2], 0.8)
    angles = amp_rad * np.sin(w * t)
    q = np.array([rot.multiply(rot.from_axis_angle(axis_E, a), q0) for a in angles])
    rate = amp_rad * w * np.cos(w * t)
    gyr_S = np.einsum("nji,j->ni", rot.to_matrix(q), np.asarray(axis_E, float)) * rate[:, None]
    return gyr_S, q


def _session(axis_E: np.ndarray, amp_rad: float, period_s: float):
    """Pelvis and left thigh moving as one, each with the same offset fixed in its sensor's
    frame (an accelerometer bias): one of the two headings fits those offsets exactly."""
    gyr, q = _turn(axis_E, amp_rad, period_s)
    r = rot.to_matrix(q)
    acc = np.einsum("nji,j->ni", r, G_E) + r[0].T @ np.array([0.08, 0.0, 0.0])
    ok = np.ones(N, dtype=bool)
    streams = {p: UniformStream(p, acc, gyr, ok) for p in ("pelvis", "left_thigh")}
    session = UniformSession(np.arange(N) / RATE_HZ, RATE_HZ, streams, ())
    z_E = {"pelvis": np.array([-1.0, 0.0, 0.0]), "left_thigh": np.array([1.0, 0.0, 0.0])}
    return session, dict.fromkeys(streams, q), z_E


@pytest.mark.xfail(
    strict=True,
    reason="known weakness: a stretch that only turns about the vertical still votes (test 3)",
)
def test_a_turn_on_the_spot_casts_no_hip_centre_vote():
    session, q, z_E = _session(np.array([0.0, 0.0, 1.0]), 1.2, 5.0)
    stand = np.ones(N, dtype=bool)
    assert session_centre_votes(session, q, stand, {}, "pelvis", z_E) == []


def test_a_stretch_that_tips_may_still_vote():
    """The same offsets while the pair rocks about a horizontal axis: the stretch is read
    (it votes; which way is the offset's business here, not the test's)."""
    session, q, z_E = _session(np.array([0.0, 1.0, 0.0]), 0.4, 2.0)
    stand = np.ones(N, dtype=bool)
    votes = session_centre_votes(session, q, stand, {}, "pelvis", z_E)
    assert len(votes) >= 1
