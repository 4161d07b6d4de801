"""VQF wrapper: conventions, causal chunking equals batch, physics sanity."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from analysis.angles import rotations as rot
from analysis.angles.orientation import (
    CausalOrientation,
    block_bounds,
    estimate_orientation,
    stitch_blocks,
)

G = 9.80665


def _rotating_sensor(rng, n=3000, rate=100.0):
    """A sensor turning at a constant rate about a random axis, gravity only."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    w = np.deg2rad(30.0)
    t = np.arange(n) / rate
    q = rot.from_axis_angle(axis, w * t)  # q_E_S, starts at identity
    acc = rot.rotate(rot.conjugate(q), [0.0, 0.0, G])
    gyr = np.tile(axis * w, (n, 1))  # constant axis: body rate equals the earth-frame rate
    return t, q, gyr, acc


def test_quaternion_is_sensor_to_earth(rng):
    _, _, gyr, acc = _rotating_sensor(rng)
    q = estimate_orientation(gyr, acc, rate_hz=100.0).q_E_S
    up = rot.rotate(q, acc)  # specific force seen in the earth frame
    assert np.allclose(up[100:] / G, [0, 0, 1], atol=0.01)


def test_zero_input_keeps_orientation():
    acc = np.tile([0.0, 0.0, G], (500, 1))
    q = estimate_orientation(np.zeros((500, 3)), acc, rate_hz=100.0, offline=False).q_E_S
    assert np.all(rot.angle_between(q, [1.0, 0, 0, 0]) < 1e-6)


def test_constant_rate_rotates_by_the_integral(rng):
    _, q_true, gyr, acc = _rotating_sensor(rng)
    q = estimate_orientation(gyr, acc, rate_hz=100.0, offline=False).q_E_S
    # inclination is observable: the tilt part of the error must stay small
    err = rot.multiply(q, rot.conjugate(q_true))
    tilt_err = np.rad2deg(np.arccos(np.clip(rot.rotate(err, [0, 0, 1])[:, 2], -1, 1)))
    assert np.max(tilt_err) < 1.0


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 2999), min_size=1, max_size=8, unique=True))
def test_causal_chunks_equal_batch(cuts):
    rng = np.random.default_rng(7)
    _, _, gyr, acc = _rotating_sensor(rng)
    gyr = gyr + rng.normal(0, 0.01, gyr.shape)
    acc = acc + rng.normal(0, 0.05, acc.shape)
    batch = estimate_orientation(gyr, acc, rate_hz=100.0, offline=False).q_E_S
    f = CausalOrientation(rate_hz=100.0)
    edges = [0, *sorted(cuts), gyr.shape[0]]
    parts = [f.update(gyr[a:b], acc[a:b]) for a, b in itertools.pairwise(edges)]
    assert np.allclose(np.vstack(parts), batch, atol=1e-12)


def test_state_round_trip(rng):
    _, _, gyr, acc = _rotating_sensor(rng)
    a = CausalOrientation(rate_hz=100.0)
    a.update(gyr[:1000], acc[:1000])
    b = CausalOrientation(rate_hz=100.0)
    b.state = a.state
    assert np.allclose(a.update(gyr[1000:], acc[1000:]), b.update(gyr[1000:], acc[1000:]))


def test_stitched_blocks_undo_each_blocks_own_heading(rng):
    """Blocks whose earth frames differ by a heading turn are joined back into one series."""
    n = 3000
    t = np.arange(n) / 100.0
    rotvec = np.column_stack((0.4 * np.sin(0.7 * t), 0.3 * np.cos(0.5 * t), 0.9 * np.sin(0.2 * t)))
    truth = rot.from_rotation(Rotation.from_rotvec(rotvec))
    bounds = block_bounds(n, block=700, overlap=150)
    blocks = []
    for k, (a, b) in enumerate(bounds):
        yaw = 0.0 if k == 0 else rng.uniform(-np.pi, np.pi)
        turn = np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
        blocks.append(rot.multiply(turn, truth[a:b]).astype(np.float32))
    out = stitch_blocks(n, bounds, blocks)
    assert out.dtype == np.float32
    assert np.rad2deg(rot.angle_between(out, truth)).max() < 1e-3


def _heading_deg(q):
    """Heading (deg) of the sensor's x axis in the earth frame, unwrapped."""
    x = rot.frame_axis(q, 0)
    return np.rad2deg(np.unwrap(np.arctan2(x[:, 1], x[:, 0])))


def test_a_still_sensor_whose_gyro_drifted_3_deg_s_keeps_its_heading():
    """A 3 °/s bias (drift since the stand, past VQF's default 2 °/s clip) is still rest:
    the filter learns it and the heading stops, causally and offline."""
    rate, n = 50.0, 50 * 240
    acc = np.tile([0.0, 0.0, G], (n, 1))
    gyr = np.tile(np.deg2rad([0.0, 0.0, 3.0]), (n, 1))
    for offline in (False, True):
        q = estimate_orientation(gyr, acc, rate_hz=rate, offline=offline).q_E_S
        last_minute = _heading_deg(q[-int(60 * rate) :])
        assert abs(last_minute[-1] - last_minute[0]) < 3.0
