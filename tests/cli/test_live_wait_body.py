"""``LiveAngles._wait_for_the_body`` on synthetic rows: it holds the guide, says why, lets go.

The rows so far come from a stand-in for the angle pipeline's history (synthetic grids as in
``tests/analysis/test_off_body.py``); the guide and the screen's problem line are the real ones.
"""

from __future__ import annotations

import numpy as np

from analysis.angles.timebase import UniformSession, UniformStream
from analysis.envelope.profiles import load_builtin_profile
from cli.live_angles import APART_WAIT_MAX_S, LiveAngles
from sensors.session.protocol import GuidedProtocol, default_steps

RATE = 100.0
PLACES = ("pelvis", "right_thigh", "right_shank", "right_foot")


def _grid(n: int, pickup_at: int | None, seed: int = 2) -> UniformSession:
    """Three swaying sensors; the shank lies still, picked up (90°, 4 s) at row ``pickup_at``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    gyr = {}
    for p in PLACES:
        if p == "right_shank":
            g = rng.normal(0.0, 0.001, (n, 3))
            if pickup_at is not None:
                m = round(4.0 * RATE)
                u = np.arange(m) / m
                g[pickup_at : pickup_at + m, 0] += (
                    np.radians(90.0) / 4.0 * (1 - np.cos(2 * np.pi * u))
                )
        else:
            f = rng.uniform(0.2, 0.6, 3)
            g = 0.005 * np.sin(2 * np.pi * f * t[:, None]) + rng.normal(0.0, 0.001, (n, 3))
        gyr[p] = g
    acc = np.tile([0.0, 0.0, 9.81], (n, 1))
    streams = {
        p: UniformStream(placement=p, acc_m_s2=acc, gyr_rad_s=g, valid=np.ones(n, dtype=bool))
        for p, g in gyr.items()
    }
    return UniformSession(t_s=t, rate_hz=RATE, streams=streams, gaps=())


class _History:
    """The pipeline's rows so far: a prefix of ``full``, as far as ``now_s``."""

    def __init__(self, full: UniformSession) -> None:
        self.full, self.now_s = full, 0.0

    def history_session(self) -> UniformSession:
        k = int(np.searchsorted(self.full.t_s, self.now_s))
        streams = {
            p: UniformStream(p, s.acc_m_s2[:k], s.gyr_rad_s[:k], s.valid[:k])
            for p, s in self.full.streams.items()
        }
        return UniformSession(self.full.t_s[:k], RATE, streams, ())


def _live(full: UniformSession) -> tuple[LiveAngles, _History, GuidedProtocol]:
    protocol = GuidedProtocol(default_steps(stand_s=5.0, move_s=15.0))
    protocol.start(0.0)
    live = LiveAngles(
        PLACES,
        rate_hz=lambda: RATE,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=protocol,
    )
    history = _History(full)
    live.pipeline = history  # type: ignore[assignment]
    return live, history, protocol


def _run(live: LiveAngles, history: _History, until_s: float) -> dict[float, bool]:
    waiting = {}
    for now in np.arange(0.5, until_s, 0.5):
        history.now_s = float(now)
        waiting[round(float(now), 1)] = live._wait_for_the_body(float(now))
    return waiting


def test_the_guide_waits_for_a_table_sensor_and_starts_once_it_settled() -> None:
    live, history, protocol = _live(_grid(round(25 * RATE), pickup_at=round(10 * RATE)))
    waiting = _run(live, history, 8.0)
    assert waiting[7.5]
    assert live.problem is not None
    assert live.problem.startswith("the right shank sensor is not on the body yet")
    step, _ = protocol.current(7.5)
    assert step is not None
    assert step.key == "static"  # the stand starts afresh while it waits
    waiting = _run(live, history, 24.0)
    assert not waiting[23.5]
    assert live.problem is None
    windows = protocol.calibration(100.0)
    assert windows is not None
    assert windows.static_s is not None
    assert 13.5 <= windows.static_s[0] <= 15.0  # from when the shank settled (as offline)


def test_a_sensor_never_touched_is_not_waited_for_past_the_bound() -> None:
    n = round((APART_WAIT_MAX_S + 12.0) * RATE)
    live, history, _protocol = _live(_grid(n, pickup_at=None))
    waiting = _run(live, history, 10.0)
    assert waiting[9.5]
    waiting = _run(live, history, APART_WAIT_MAX_S + 11.0)
    assert not waiting[round(APART_WAIT_MAX_S + 10.5, 1)]
    assert live.problem is None
    assert live.apart == {}


def test_an_unrelated_problem_line_is_kept() -> None:
    live, _history, _protocol = _live(_grid(round(10 * RATE), pickup_at=None, seed=3))
    live.problem = "calibration failed: something else"
    live._say_apart(None)
    assert live.problem == "calibration failed: something else"
