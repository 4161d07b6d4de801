"""A flexion axis carried from the partner a sensor turned with as one (held-out 82015)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import rotations as rot
from analysis.angles.calibration import moved_with_partner
from analysis.angles.calibration_axes import SensorAxes, apart_deg
from analysis.angles.calibration_signs import rules_for
from analysis.angles.carried_axis import (
    CARRIED_PREFIX,
    MOVED_AS_ONE_MAX,
    carried_axis,
    turn_share_apart,
)


def _unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def _mount(seed: int) -> np.ndarray:
    """A random rotation from the partner's sensor frame to the segment's."""
    return Rotation.random(random_state=seed).as_matrix()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("flip", [1.0, -1.0])
def test_carried_axis_is_the_partners_chosen_axis_seen_from_the_segment(seed, flip):
    # partner frame: superior y, the true flexion axis z; its movements turned it about an axis
    # 66° away round y (knee bends rocking the pelvis), as 82015's pelvis
    y_p = np.array([0.0, 1.0, 0.0])
    z_true = np.array([0.0, 0.0, 1.0])
    own_p = Rotation.from_rotvec(np.deg2rad(66.0) * y_p).apply(z_true)
    m = _mount(seed)
    z = carried_axis(own_p, z_true, y_p, flip * (m @ own_p), m @ y_p)
    assert apart_deg(z, m @ z_true) < 1e-6


def test_carried_axis_keeps_an_own_axis_that_was_right():
    y = _unit([0.1, 1.0, 0.0])
    own = _unit(np.cross(y, [1.0, 0.0, 0.0]))
    m = _mount(7)
    z = carried_axis(own, own, y, m @ own, m @ y)
    assert apart_deg(z, m @ own) < 1e-6


def _turns(axis, deg, n=200):
    """Orientations turning about ``axis`` from 0 to ``deg`` and back (rows of quaternions)."""
    angle = np.deg2rad(deg) * np.sin(np.linspace(0.0, np.pi, n))
    return rot.from_axis_angle(np.broadcast_to(_unit(axis), (n, 3)), angle)


def test_turn_share_apart_is_zero_for_sensors_that_turned_as_one():
    q_p = _turns([1.0, 0.2, 0.0], 20.0)
    # the other sensor is mounted at another angle: its frame differs, its turn does not
    mount = rot.from_axis_angle([0.3, 0.5, 0.8], 1.1)
    q_s = rot.multiply(q_p, np.broadcast_to(mount, q_p.shape))
    assert turn_share_apart(q_p, q_s) < 1e-6


def test_turn_share_apart_is_large_for_a_trunk_that_bowed_on_its_own():
    q_p = _turns([1.0, 0.0, 0.0], 10.0)
    q_s = _turns([1.0, 0.0, 0.0], 35.0)
    assert turn_share_apart(q_p, q_s) > MOVED_AS_ONE_MAX


def test_turn_share_apart_skips_unknown_rows_and_a_still_partner():
    q_p = _turns([0.0, 0.0, 1.0], 15.0)
    q_s = q_p.copy()
    q_s[50:60] = np.nan
    assert turn_share_apart(q_p, q_s) < 1e-6
    still = np.tile([1.0, 0.0, 0.0, 0.0], (200, 1))
    assert turn_share_apart(still, q_s) == float("inf")
    assert turn_share_apart(np.full((5, 4), np.nan), q_p[:5]) == float("inf")


def _axes(z_S, *, source="movements", rotation_deg=22.0) -> SensorAxes:
    return SensorAxes(
        y_S=np.array([0.0, 1.0, 0.0]),
        z_S=_unit(z_S),
        planarity_ratio=0.82,
        axis_elevation_deg=0.1,
        rotation_deg=rotation_deg,
        stand_gravity_m_s2=9.81,
        stand_gyro_rms_rad_s=0.005,
        stand_acc_std_m_s2=0.04,
        axis_source=source,
    )


def _trunk_case(pelvis_source: str, trunk_turn_deg: float):
    """Pelvis and trunk sensors worn alike; the pelvis's movements turned it 66° off."""
    own = Rotation.from_rotvec(np.deg2rad(66.0) * np.array([0.0, 1.0, 0.0])).apply([0, 0, 1])
    axes = {"pelvis": _axes(own), "trunk": _axes(own)}
    chosen = dataclasses.replace(axes["pelvis"], z_S=np.array([0.0, 0.0, 1.0]))
    chosen = dataclasses.replace(chosen, axis_source=pelvis_source)
    out = {"pelvis": (np.array([1.0, 0.0, 0.0, 0.0]), None, chosen)}
    q = {"pelvis": _turns(own, 20.0), "trunk": _turns(own, trunk_turn_deg)}
    move = np.ones(200, dtype=bool)
    row = next(r for r in rules_for(("pelvis", "trunk")) if r.segment == "trunk")
    return row, axes, out, q, move


def test_moved_with_partner_carries_the_hip_centres_axis_to_a_trunk_that_did_not_bow():
    row, axes, out, q, move = _trunk_case("hip centre", 20.0)
    ax = moved_with_partner(row, axes["trunk"], axes, out, q, move)
    assert ax.axis_source == f"{CARRIED_PREFIX}pelvis"
    assert apart_deg(ax.z_S, [0.0, 0.0, 1.0]) < 1e-6


def test_moved_with_partner_leaves_a_trunk_whose_pelvis_kept_its_movements_axis():
    row, axes, out, q, move = _trunk_case("movements", 20.0)
    assert moved_with_partner(row, axes["trunk"], axes, out, q, move) is axes["trunk"]


def test_moved_with_partner_leaves_a_trunk_that_bowed_on_its_own():
    row, axes, out, q, move = _trunk_case("hip centre", 45.0)
    assert moved_with_partner(row, axes["trunk"], axes, out, q, move) is axes["trunk"]
