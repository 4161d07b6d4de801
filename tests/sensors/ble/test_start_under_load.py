"""A session's start under load: the first sensors' notifications reach the host late while
the later sensors start (docs/ble.md §9, measured 0.2–0.7 s at real time).

The delay is injected at the seam where it happens: the notification callback, which stamps
the receipt time. While a later sensor is started (every sensor is connected first, then
started one by one), the host runs no callbacks for ``stall_s``
(as a busy event loop would not); what arrived meanwhile is then delivered in a burst, stamped
late, in order. Nothing else is slowed, and no busy loop competes for the CPU.

Truth: every virtual sensor keeps the device time of each sample it measured, and its device
clock is a known function of the world clock, which runs on the same monotonic clock as the
session. So the instant each recorded sample was measured is known on the session clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest

from sensors.ble import BleBackend, VirtualAir
from sensors.families.base import Family
from sensors.session import LiveSession
from sensors.session.link import SensorLink
from sensors.virtual import VirtualRig
from sensors.virtual.source import synthetic_source

# started in placement order: the two device-time sensors first, so their first
# notifications arrive while the other sensors start
FAMILIES = {
    "pelvis": Family.MOVESENSE,
    "right_thigh": Family.MOVELLA_DOT,
    "right_shank": Family.METAWEAR,
    "right_foot": Family.POLAR_PMD,
}
CHECKED = ("pelvis", "right_thigh")  # device time, one sample per measured sample, in order
STREAM_S = 2.0


class _Stall:
    """The host not running notification callbacks while a later sensor starts."""

    def __init__(self, stall_s: float) -> None:
        self.stall_s = stall_s
        self.until = 0.0
        self.waiting: list[Callable[[], None]] = []
        self.connects = 0

    def begin(self) -> None:
        loop = asyncio.get_running_loop()
        self.until = loop.time() + self.stall_s
        loop.call_at(self.until, self.end)

    def end(self) -> None:
        if asyncio.get_running_loop().time() < self.until:
            return  # another stall began meanwhile
        waiting, self.waiting = self.waiting, []
        for call in waiting:  # the backlog in a burst, in order, each stamped now
            call()

    def defer(self, call: Callable[[], None]) -> None:
        if self.waiting or asyncio.get_running_loop().time() < self.until:
            self.waiting.append(call)
        else:
            call()


def _stall_while_connecting(monkeypatch: pytest.MonkeyPatch, stall: _Stall) -> None:
    callback = SensorLink._callback
    start = SensorLink.start_streaming

    def late_callback(self: SensorLink, uuid: str) -> Callable[[object, bytearray], None]:
        inner = callback(self, uuid)  # stamps time.monotonic_ns() when it runs

        def on_notification(char: object, data: bytearray) -> None:
            payload = bytearray(data)
            stall.defer(lambda: inner(char, payload))

        return on_notification

    async def busy_start(self: SensorLink) -> None:
        stall.connects += 1
        if stall.connects > 1:  # the earlier sensors stream meanwhile
            stall.begin()
            await asyncio.sleep(stall.stall_s)  # the start takes as long as the stall
        await start(self)

    monkeypatch.setattr(SensorLink, "_callback", late_callback)
    monkeypatch.setattr(SensorLink, "start_streaming", busy_start)


@pytest.mark.parametrize("stall_s", [0.3, 0.7])
async def test_first_samples_are_timed_as_measured_when_the_start_is_late(
    monkeypatch: pytest.MonkeyPatch, air: VirtualAir, ble: BleBackend, stall_s: float
):
    stall = _Stall(stall_s)
    _stall_while_connecting(monkeypatch, stall)
    sources = {p: synthetic_source(100.0, 30.0, seed=i) for i, p in enumerate(FAMILIES)}
    rig = VirtualRig(air, sources, FAMILIES, speed=1.0, seed=3, record=True)
    await rig.start()
    rig.start_world()  # the sources move: each recorded sample can be matched to its source
    session = LiveSession(rig.session_config(scan_timeout_s=5.0), backend=ble)
    batches: dict[str, list] = {p: [] for p in FAMILIES}

    class Sink:
        def on_samples(self, batch):
            batches[batch.placement].append(batch)

        def on_gap(self, gap):
            raise AssertionError(f"unexpected gap {gap}")

    session.add_sink(Sink())
    async with session:
        await asyncio.sleep(STREAM_S)
    assert stall.connects == len(FAMILIES)
    for placement, link in session.links.items():
        # every sensor, host time too: spaced as measured, nothing squeezed into 10 µs steps
        t_s = np.concatenate([b.t_s for b in batches[placement]])
        assert np.diff(t_s).min() > 0.5 / link.rate_hz, placement
    clocks = session.session_meta().extra["clock_alignment"]
    world_origin_s = rig.world._origin - session.clock.start_ns * 1e-9  # session seconds
    for placement in CHECKED:
        sensor = rig.sensors[placement]
        t_s = np.concatenate([b.t_s for b in batches[placement]])
        acc = np.concatenate([b.acc_m_s2 for b in batches[placement]])
        measured_d = np.asarray(sensor.stats.measured_device_s[: t_s.size])
        index = np.asarray(sensor.stats.measured_index[: t_s.size])
        assert t_s.size == measured_d.size > 100
        # the i-th recorded sample is the i-th measured one (no sample lost or reordered)
        np.testing.assert_allclose(acc, sensor.source.acc_m_s2[index], atol=1e-3)
        world_s = (measured_d - sensor.device_clock_offset_s) / (1.0 + sensor.drift_ppm * 1e-6)
        late_s = t_s - (world_origin_s + world_s)
        # every sample placed as measured plus the link's least latency (a 7.5 ms connection
        # interval and the host's wake-up), not as late as its delayed notification arrived
        assert late_s.min() > -1e-3, placement
        assert late_s.max() < 0.05, (placement, late_s.max())
        # a late start is no device-clock jump
        assert clocks[placement]["segments"] == 1, placement
