"""A hip whose two sensors' headings are their maker's keeps its first stand's heading offset.

Stranger round 2 seed 1700 (a Movella DOT export): later stands' snapshots of the maker's
heading, followed from stand to stand, put hip adduction 5° off in the raised leg.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.heading import AnchorRuns, held_runs, turn_about_vertical
from analysis.angles.pipeline import segment_orientations

RATE_HZ = 50.0
Q_E_G = rot.conjugate(Q_G_E)


def test_held_runs_keeps_the_first_value_and_the_times():
    runs = AnchorRuns(
        np.array([0.0, 40.0, 90.0]), np.array([4.0, 45.0, 95.0]), np.array([0.01, -0.1, 0.07])
    )
    held = held_runs(runs)
    np.testing.assert_array_equal(held.start_s, runs.start_s)
    np.testing.assert_array_equal(held.end_s, runs.end_s)
    np.testing.assert_allclose(held.values_rad, [0.01, 0.01, 0.01])
    t = np.linspace(0.0, 120.0, 50)
    np.testing.assert_allclose(held.offsets(t), 0.01)


def test_held_runs_of_no_run_is_no_run():
    empty = AnchorRuns(np.zeros(0), np.zeros(0), np.zeros(0))
    assert held_runs(empty).values_rad.size == 0


def _stands_with_a_heading_step():
    """Standing still and upright at 0–3 s and 25–30 s; the thigh sensor's heading stands 8°
    off the pelvis's from 10 s on (a maker's heading error caught by the second stand)."""
    n = round(30.0 * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    upright = np.tile(Q_E_G, (n, 1))
    step = np.where(t >= 10.0, np.deg2rad(8.0), 0.0)
    q_E_S = {
        "pelvis": upright.copy(),
        "right_thigh": turn_about_vertical(upright.copy(), step),
    }
    still = (t < 3.0) | (t >= 25.0)
    return t, q_E_S, still


@pytest.mark.parametrize("referenced", [(), ("pelvis", "right_thigh"), ("right_thigh",)])
def test_a_referenced_hip_does_not_follow_a_later_stand(referenced, calibration_of):
    t, q_E_S, still = _stands_with_a_heading_step()
    cal = calibration_of(
        {"pelvis": {}, "right_thigh": {}}, static_s=(0.5, 2.5), functional_s=(3.0, 4.0)
    )
    q = segment_orientations(
        t,
        q_E_S,
        cal,
        rate_hz=RATE_HZ,
        valid={p: np.ones(t.size, dtype=bool) for p in q_E_S},
        still=still,
        posture=False,
        hinge=False,
        referenced=referenced,
    )
    ang = rot.joint_angles_rad(q["pelvis"], q["right_thigh"], joint="hip", side="right")
    at_second_stand = abs(float(np.rad2deg(ang["internal_rotation"][-1])))
    if set(referenced) == {"pelvis", "right_thigh"}:
        assert at_second_stand > 7.5  # the first stand's offset held: the step stays
    else:
        assert at_second_stand < 0.5  # a thigh alone or no maker's heading: anchored there
