"""The virtual world's clocks: scenario time a rig measures, movements done again, pacing."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from analysis.recording.streams import CalibrationWindows, SessionMeta
from sensors.session.protocol import GuidedProtocol, steps_from_windows
from sensors.virtual.scenario import _do_movements_again
from sensors.virtual.source import PacedHostClock, WorldClock


async def test_a_replay_goes_back_in_the_script_from_its_world_time_on():
    world = WorldClock(speed=2.0)
    assert world.scenario_s(5.0) == -math.inf
    with pytest.raises(ValueError, match="not started"):
        world.replay(5.0, 1.0)
    origin = world.start()
    assert world.scenario_s(origin + 30.0) == pytest.approx(30.0)
    world.replay(origin + 25.0, 17.0)
    # before the replay the script as it was, from it on the script again from 17 s
    assert world.scenario_s(origin + 24.9) == pytest.approx(24.9)
    assert world.scenario_s(origin + 25.0) == pytest.approx(17.0)
    assert world.scenario_s(origin + 30.0) == pytest.approx(22.0)
    with pytest.raises(ValueError, match="precedes"):
        world.replay(origin + 20.0, 0.0)
    world.replay(origin + 40.0, 4.0)
    assert world.scenario_s(origin + 39.0) == pytest.approx(31.0)
    assert world.scenario_s(origin + 41.0) == pytest.approx(5.0)


def _meta() -> SessionMeta:
    cal = CalibrationWindows(static_s=(0.0, 4.0), functional_s=(4.0, 34.0))
    return SessionMeta(calibration=cal)


async def test_movements_asked_again_are_replayed_to_end_with_the_step():
    world = WorldClock(speed=2.0)
    origin = world.start()
    protocol = GuidedProtocol(steps_from_windows((0.0, 4.0), (4.0, 21.0)))
    protocol.start(100.0)  # session time of scenario time 0: world `origin`
    started = [origin, 100.0]
    redone: set[float] = set()
    _do_movements_again(protocol, _meta(), world, started, redone)
    assert world.scenario_s(origin + 40.0) == pytest.approx(40.0)  # nothing asked again
    # judged late (session 129.5, a lagging app): the step runs 29.5–46.5 protocol seconds
    assert protocol.judge(129.5, "the pelvis barely tipped")
    _do_movements_again(protocol, _meta(), world, started, redone)
    _do_movements_again(protocol, _meta(), world, started, redone)  # answered once
    assert redone == {29.5}
    # the script's last 17 s of movements (17–34 s) fill the step, then the script goes on
    assert world.scenario_s(origin + 29.4) == pytest.approx(29.4)
    assert world.scenario_s(origin + 29.5) == pytest.approx(17.0)
    assert world.scenario_s(origin + 46.5) == pytest.approx(34.0)


async def test_the_paced_clock_is_real_time_while_the_loop_keeps_up_and_slows_when_blocked():
    host = PacedHostClock(max_step_s=0.02)
    pacer = asyncio.get_running_loop().create_task(host.run())
    try:
        await asyncio.sleep(0.05)
        real0, paced0 = time.monotonic_ns(), host.now_ns()
        time.sleep(0.3)  # the loop is blocked (a busy host, a long computation)
        assert host.now_ns() - paced0 <= 0.02e9  # one step at most
        await asyncio.sleep(0.05)  # the loop runs again: real time again, behind by the block
        real1, paced1 = time.monotonic_ns(), host.now_ns()
        assert paced1 > paced0 + 0.02e9
        assert (real1 - real0) - (paced1 - paced0) >= 0.25e9
        assert host.slowed_ns >= 0.25e9
        # monotonic
        seen = [host.now_ns() for _ in range(1000)]
        assert seen == sorted(seen)
    finally:
        pacer.cancel()
    world = WorldClock(speed=2.0, host_ns=host.now_ns)
    a = world.world_s()
    time.sleep(0.1)
    assert world.world_s() - a <= 2.0 * 0.02 + 1e-9
