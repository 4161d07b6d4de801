"""Gravity shows the flexion axis of a segment that lay down (synthetic strapping).

A trunk that barely turned in the calibration has a flexion axis set by noise (low
planarity), so its sign is never trusted on it. Lying on the back later turns it 90° about
its flexion axis; the vertical seen by the sensor then shows that axis whatever the strapping
and the heading, and a sign the session decides (the lumbar spine would read ~180° reversed)
is trusted again. Lying on the side, a mix of poses, or too short a lie show nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E, axis_shown_by_gravity
from analysis.angles.calibration_axes import apart_deg, gravity_turn_axis
from analysis.angles.calibration_signs import SIGN_RULES, Tilts, decide_sign
from tests.analysis.builders import sensor_axes

RATE_HZ = 100.0
STEP = 10
Q_E_G = rot.conjugate(Q_G_E)
MOUNTS = {
    "aligned": np.array([1.0, 0.0, 0.0, 0.0]),
    "upside_down": rot.from_axis_angle([1.0, 0.0, 0.0], np.pi),
    "facing_backwards": rot.from_axis_angle([0.0, 1.0, 0.0], np.pi),
    "on_the_side": rot.from_axis_angle([0.0, 1.0, 0.0], np.pi / 2),
    "skewed": rot.normalize(np.array([0.7, 0.3, -0.5, 0.4])),
}
"""Sensor in segment coordinates (``q_B_S``); segment axes x anterior, y superior, z right."""


def _in_sensor(q_B_S: np.ndarray, v_B) -> np.ndarray:
    return rot.rotate(rot.conjugate(q_B_S), np.asarray(v_B, dtype=float))


def _turn(n_stand: int, n_turned: int, axis_B, deg: float) -> np.ndarray:
    """Segment orientation in the segment's stand frame: still, then turned ``deg`` about
    ``axis_B`` (held)."""
    angle = np.r_[np.zeros(n_stand), np.full(n_turned, np.deg2rad(deg))]
    return rot.from_axis_angle(np.asarray(axis_B, dtype=float), angle)


def _q_E_S(q_B0_B: np.ndarray, q_B_S: np.ndarray, heading_rad: float) -> np.ndarray:
    """Sensor orientation in its own earth frame (z up, arbitrary heading)."""
    q = rot.multiply(Q_E_G, rot.multiply(q_B0_B, q_B_S))
    return rot.turn_about_z(q, heading_rad)


def _up_S(q_E_S: np.ndarray) -> np.ndarray:
    return rot.rotate(rot.conjugate(q_E_S), [0.0, 0.0, 1.0])


def _axes(q_B_S: np.ndarray, z_B) -> object:
    return sensor_axes(
        _in_sensor(q_B_S, z_B),
        _in_sensor(q_B_S, [0.0, 1.0, 0.0]),
        rotation_deg=5.0,
        planarity=0.6,
    )


@pytest.mark.parametrize("mount", list(MOUNTS))
@pytest.mark.parametrize("deg", [90.0, -90.0, 70.0])
def test_lying_on_the_back_shows_the_flexion_axis(mount, deg):
    q_B_S = MOUNTS[mount]
    q = _q_E_S(_turn(100, 300, [0.0, 0.0, 1.0], deg), q_B_S, 1.7)
    found = gravity_turn_axis(_up_S(q), _in_sensor(q_B_S, [0.0, 1.0, 0.0]), min_n=20)
    assert found is not None
    assert apart_deg(found[0], _in_sensor(q_B_S, [0.0, 0.0, 1.0])) < 0.5
    assert found[1] > 0.99


@pytest.mark.parametrize("mount", ["aligned", "skewed"])
def test_lying_on_the_side_shows_the_other_axis(mount):
    q_B_S = MOUNTS[mount]
    q = _q_E_S(_turn(100, 300, [1.0, 0.0, 0.0], 90.0), q_B_S, -0.4)
    found = gravity_turn_axis(_up_S(q), _in_sensor(q_B_S, [0.0, 1.0, 0.0]), min_n=20)
    assert found is not None
    assert apart_deg(found[0], _in_sensor(q_B_S, [1.0, 0.0, 0.0])) < 0.5
    z_S = _axes(q_B_S, [0.0, 0.0, 1.0])
    assert not axis_shown_by_gravity(q, z_S, step=1, rate_hz=10.0)


def test_poses_that_show_no_single_axis_show_none():
    q_B_S = MOUNTS["skewed"]
    y_S = _in_sensor(q_B_S, [0.0, 1.0, 0.0])
    back = _turn(0, 200, [0.0, 0.0, 1.0], 90.0)
    side = _turn(0, 200, [1.0, 0.0, 0.0], 90.0)
    mixed = _q_E_S(np.concatenate([back, side]), q_B_S, 0.3)
    assert gravity_turn_axis(_up_S(mixed), y_S, min_n=20) is None  # share ~0.5
    short = _q_E_S(_turn(300, 19, [0.0, 0.0, 1.0], 90.0), q_B_S, 0.3)
    assert gravity_turn_axis(_up_S(short), y_S, min_n=20) is None  # under 2 s at 10 Hz
    bow = _q_E_S(_turn(100, 300, [0.0, 0.0, 1.0], -45.0), q_B_S, 0.3)
    assert gravity_turn_axis(_up_S(bow), y_S, min_n=20) is None  # tipped less than 60°
    flipped = _q_E_S(_turn(100, 300, [0.0, 0.0, 1.0], 178.0), q_B_S, 0.3)
    assert gravity_turn_axis(_up_S(flipped), y_S, min_n=20) is None  # upside down


@pytest.mark.parametrize("mount", list(MOUNTS))
def test_the_axis_gravity_shows_confirms_only_an_axis_near_it(mount):
    q_B_S = MOUNTS[mount]
    # 100 Hz, read every STEP samples: 3 s on the back after 10 s of stand
    q = _q_E_S(_turn(1000, 300, [0.0, 0.0, 1.0], 88.0), q_B_S, 2.5)
    near = [0.0, 0.0, 1.0]
    assert axis_shown_by_gravity(q, _axes(q_B_S, near), step=STEP, rate_hz=RATE_HZ)
    off = [np.sin(np.deg2rad(30.0)), 0.0, np.cos(np.deg2rad(30.0))]  # 30° toward anterior
    assert not axis_shown_by_gravity(q, _axes(q_B_S, off), step=STEP, rate_hz=RATE_HZ)
    brief = _q_E_S(_turn(1000, 150, [0.0, 0.0, 1.0], 88.0), q_B_S, 2.5)  # 1.5 s
    assert not axis_shown_by_gravity(brief, _axes(q_B_S, near), step=STEP, rate_hz=RATE_HZ)
    unknown = np.full((50, 4), np.nan)
    assert not axis_shown_by_gravity(unknown, _axes(q_B_S, near), step=1, rate_hz=10.0)


def _tilts(move_deg, session_deg) -> Tilts:
    sess = np.deg2rad(np.asarray(session_deg, dtype=float))
    return Tilts(move=np.deg2rad(np.asarray(move_deg, float)), session=sess, sagittal=sess == sess)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_lying_trunk_on_an_axis_gravity_shows_is_trusted_despite_a_low_planarity(sign):
    # supine after a calibration the trunk stood still in: a reversed trunk reads ~180° from
    # the pelvis; on an axis of planarity 0.65 that is low unless gravity showed the axis
    trunk = next(r for r in SIGN_RULES if r.segment == "trunk")
    still = np.zeros(200)
    lying = sign * np.r_[np.zeros(100), np.full(300, 88.0)]
    cands = (_tilts(still, lying), _tilts(still, -lying))
    pelvis = _tilts(still, np.r_[np.zeros(100), np.full(300, 85.0)])
    kwargs = {"session_rate_hz": 10.0, "planarity": 0.65}
    loose = decide_sign(trunk, cands, {"pelvis": pelvis}, **kwargs)
    assert (loose.choice, loose.confidence) == (0 if sign > 0 else 1, "low")
    shown = decide_sign(trunk, cands, {"pelvis": pelvis}, axis_by_gravity=True, **kwargs)
    assert (shown.choice, shown.confidence) == (0 if sign > 0 else 1, "high")
    assert "lumbar spine stays within" in shown.rule
    assert "not determined" not in shown.rule
