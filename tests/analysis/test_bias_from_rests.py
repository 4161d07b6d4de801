"""The offline filter's gyroscope bias from the sensor's own rests, VQF's rest estimate slowed.

A slow turn about the vertical (a sway, a fidget) leaves the accelerometer as it is, so VQF
takes it for rest and all of its rate for bias; the pipeline's rests read only the bias
across the vertical, which a turn about it cannot fake, and VQF learns the rest slowly.
"""

from __future__ import annotations

import numpy as np

from analysis.angles import pipeline
from analysis.angles.orientation import OrientationTask, estimate_orientation
from analysis.angles.timebase import UniformSession, UniformStream

G = 9.80665
RATE_HZ = 50.0
STAND_S = 30.0


def _heading_deg(q: np.ndarray) -> np.ndarray:
    """Heading (deg, unwrapped) of the sensor's x axis in the earth frame (``q`` ``w, x, y, z``)."""
    w, x, y, z = q.T
    east = 1.0 - 2.0 * (y * y + z * z)
    north = 2.0 * (x * y + w * z)
    return np.rad2deg(np.unwrap(np.arctan2(north, east)))


def _slow_turn(seconds: float, rate_dps: float) -> tuple[np.ndarray, np.ndarray]:
    """A level sensor still for :data:`STAND_S` (its stand), then turning steadily about the
    vertical for ``seconds``: rates (rad/s) and gravity (m/s²)."""
    still, n = int(STAND_S * RATE_HZ), int(seconds * RATE_HZ)
    gyr = np.zeros((still + n, 3))
    gyr[still:, 2] = np.deg2rad(rate_dps)
    return gyr, np.tile([0.0, 0.0, G], (still + n, 1))


def _turned_deg(gyr: np.ndarray, acc: np.ndarray, seconds: float, **kw: object) -> float:
    """The filtered heading's change (deg) over the last ``seconds`` of the series."""
    heading = _heading_deg(estimate_orientation(gyr, acc, rate_hz=RATE_HZ, **kw).q_E_S)
    return float(heading[-1] - heading[-int(seconds * RATE_HZ) - 1])


def test_vqf_takes_a_slow_turn_about_the_vertical_for_bias():
    """The mechanism: with VQF's own rest estimate the heading stops short of the turn."""
    gyr, acc = _slow_turn(60.0, 0.5)
    assert _turned_deg(gyr, acc, 60.0) < 0.25 * 30.0  # the truth is 30°


def test_the_slowed_rest_estimate_keeps_several_times_more_of_the_turn():
    gyr, acc = _slow_turn(60.0, 0.5)
    for offline in (True, False):
        default = _turned_deg(gyr, acc, 60.0, offline=offline)
        slowed = _turned_deg(gyr, acc, 60.0, offline=offline, params=pipeline.BIAS_FROM_RESTS_VQF)
        assert 3.0 * default < slowed <= 30.5


def test_the_slowed_rest_estimate_still_learns_a_lasting_bias():
    """A still sensor whose gyroscope is 0.3 °/s off about the vertical after the stand (which
    no rest across the vertical reads): ten minutes on, its heading has all but stopped."""
    gyr, acc = _slow_turn(600.0, 0.3)
    for offline in (True, False):
        last_minute = _turned_deg(
            gyr, acc, 60.0, offline=offline, params=pipeline.BIAS_FROM_RESTS_VQF
        )
        assert abs(last_minute) < 0.1 * 0.3 * 60.0


def _session(gyr: np.ndarray, acc: np.ndarray) -> UniformSession:
    n = gyr.shape[0]
    stream = UniformStream("pelvis", acc, gyr, np.ones(n, dtype=bool))
    return UniformSession(np.arange(n) / RATE_HZ, RATE_HZ, {"pelvis": stream}, ())


def test_grid_blocks_take_out_the_bias_across_the_vertical_and_keep_the_vertical_rate():
    """A level, still sensor whose gyroscope drifted (0.4, −0.3, 0.2) °/s since the stand:
    its rests read the two horizontal parts; the vertical one (a turn, as far as they can
    tell) is left to the rates."""
    rng = np.random.default_rng(3)
    n = int(60 * RATE_HZ)
    drift = np.deg2rad([0.4, -0.3, 0.2])
    gyr = drift + rng.normal(0.0, np.deg2rad(0.05), (n, 3))
    acc = np.tile([0.0, 0.0, G], (n, 1)) + rng.normal(0.0, 0.01, (n, 3))
    session = _session(gyr, acc)
    stand = {"pelvis": np.zeros(3)}
    rest = pipeline._rest_biases(session, stand, ["pelvis"])
    task = OrientationTask("pelvis", 0, n, RATE_HZ, True)
    debiased, acc_out = pipeline._GridBlocks(session.streams, stand, rest)(task)
    mean_dps = np.rad2deg(debiased[int(10 * RATE_HZ) :].mean(axis=0))
    assert np.allclose(mean_dps[:2], 0.0, atol=0.02)
    assert abs(mean_dps[2] - 0.2) < 0.02
    assert np.array_equal(acc_out, acc)
    plain, _ = pipeline._GridBlocks(session.streams, stand)(task)
    assert np.allclose(plain, gyr)


def test_rest_biases_are_zero_for_a_sensor_that_never_rests():
    rng = np.random.default_rng(4)
    n = int(30 * RATE_HZ)
    gyr = rng.normal(0.0, np.deg2rad(20.0), (n, 3))
    acc = np.tile([0.0, 0.0, G], (n, 1)) + rng.normal(0.0, 1.0, (n, 3))
    rest = pipeline._rest_biases(_session(gyr, acc), {"pelvis": np.zeros(3)}, ["pelvis"])
    assert np.all(rest["pelvis"].rows(0, n) == 0.0)
