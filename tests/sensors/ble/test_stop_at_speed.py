"""A virtual world faster than real time keeps no backlog in the sensors' BLE stacks: every
sensor's samples reach the recording in time, and the stop is prompt.

Before: at ``--speed 50`` bumble's host queued every notification its controller had no buffer
for, without bound (thousands of packets, tens of world seconds per sensor). Every later
packet waited behind them, a stop command's answer too, and the four sensors were stopped one
after another: the stop took 27–40 real s. The MetaWear thigh, timed by its arrival (its raw
acc/gyro stream carries no device time), had 60 % of the samples it measured within
``--duration-s`` timed after the end. Now the paced world holds still while any sensor's
stack has notifications waiting (``VirtualRig.backlogged``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from sensors.formats.canonical import read_recording
from sensors.session.live import LiveSession
from sensors.virtual import source
from sensors.virtual.scenario import record_virtual_session
from sensors.virtual.source import PacedHostClock

DURATION_S = 10.0
SHARE_MIN = 0.9
"""Each sensor's rows within ``[end − duration, end]``, as a share of its rate × duration (the
thigh had 37–45 % before; the other sensors 100 %)."""
AFTER_END_MAX_WORLD_S = 60.0
"""Samples counted after the end, per sensor, at most this many seconds of its rate (before:
110–300 s of the shank's and the foot's, the world running on through the slow stop)."""
STOP_MAX_S = 15.0
"""Real seconds the session's stop may take (before: 27–40 s on the loaded 2-core machine;
after: 2–5 s)."""


@pytest.mark.slow
async def test_at_speed_50_every_sensor_delivers_its_samples_in_time_and_stops_at_once(
    tmp_path: Path,
):
    out = tmp_path / "rec.csv"
    stops: list[float] = []

    def observe(session: LiveSession, _protocol: object):
        plain = session.stop

        async def timed_stop() -> None:
            began = time.monotonic()
            try:
                await plain()
            finally:
                stops.append(time.monotonic() - began)

        session.stop = timed_stop  # type: ignore[method-assign]
        return lambda: None

    await record_virtual_session(
        out, "standing_dorsiflexion", duration_s=DURATION_S, speed=50.0, observe=observe
    )
    side = json.loads(out.with_suffix(".json").read_text())
    end_s = side["recorder"]["end_s"]
    rec = read_recording(out)
    for placement, info in side["sensors"].items():
        t = rec.stream(placement).t_s
        due = info["rate_hz"] * DURATION_S
        share = np.count_nonzero((t >= end_s - DURATION_S) & (t <= end_s)) / due
        assert share >= SHARE_MIN, (placement, share)
        after = side["recorder"]["after_end"].get(placement, 0)
        assert after <= AFTER_END_MAX_WORLD_S * info["rate_hz"], (placement, after)
        # nothing lost: every decoded sample is a row or counted after the end
        assert t.size + after == side["packets"][placement]["samples"], placement
    assert stops
    assert stops[0] < STOP_MAX_S


def test_a_held_paced_clock_stands_still_and_counts_the_wait(monkeypatch):
    real = [10_000_000_000]
    monkeypatch.setattr(source.time, "monotonic_ns", lambda: real[0])
    backlog = [False]
    clock = PacedHostClock(max_step_s=0.02, hold=lambda: backlog[0])
    seen = [clock.now_ns()]

    def advance(ms: float, *, pace: bool = True) -> int:
        real[0] += round(ms * 1e6)
        now = clock.now_ns()
        seen.append(now)
        if pace:
            clock.pace()
            seen.append(clock.now_ns())
        return now - seen[0]

    assert advance(5) == 5_000_000  # not held: the monotonic clock
    backlog[0] = True
    assert advance(5) == 10_000_000  # the pace that finds the backlog keeps what was shown
    assert advance(50, pace=False) == 10_000_000  # then stands still
    assert advance(0) == 10_000_000
    assert clock.slowed_ns == 50_000_000
    backlog[0] = False
    assert advance(10) == 10_000_000  # held until this pace
    assert clock.slowed_ns == 60_000_000
    assert advance(5) == 15_000_000  # runs again
    assert seen == sorted(seen)  # never backwards
    assert clock.slowed_ns == 60_000_000
