"""Virtual sensors of every family, through bleak and bumble: what arrives is what was measured.

The client side is the families' own plan (notifications, start writes) and decoder; the
device side is the family emulator inside a bumble peripheral. Each test streams a second
or two of world time at 10× speed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner

from sensors.ble import BleBackend, VirtualAir
from sensors.families import CODECS, codec_for, identify
from sensors.families.base import Family, ImuSample, StreamRequest
from sensors.session.scan import scan_sensors
from sensors.virtual import Faults, VirtualSensor, WorldClock
from sensors.virtual.source import synthetic_source

SPEED = 10.0

# Largest decoding error allowed per family: one quantisation step of its wire format
# (acc in m/s², gyro in rad/s) for the default configuration.
G0 = 9.80665
DPS = np.pi / 180
TOLERANCE = {
    Family.METAWEAR: (G0 / 2048, DPS / 16.4),  # ±16 g, ±2000 dps int16
    Family.MOVESENSE: (1e-5, 1e-6),  # float32
    Family.WITMOTION: (16 * G0 / 32768, 2000 * DPS / 32768),  # int16 of ±16 g, ±2000 °/s
    Family.MOVELLA_DOT: (1e-5, 1e-6),  # float32
    Family.THINGY52: (G0 / 1024, DPS / 32),  # Q6.10 g, Q11.5 dps
    Family.POLAR_PMD: (G0 * 1e-3 * 1.01, DPS * 0.07),  # mG counts × factor, gyro counts × factor
}


WAIT_S = 60.0
"""Bound of every wait on the link (real seconds): only a broken link reaches it; a loaded
host takes seconds where a quiet one takes milliseconds, so no test waits a fixed time."""


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds (polled on the event loop), at most ``WAIT_S``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        assert loop.time() < deadline, f"{what}: not within {WAIT_S:g} s"
        await asyncio.sleep(0.01)


async def _stream(
    ble: BleBackend, sensor: VirtualSensor, world_s: float
) -> tuple[list[ImuSample], dict[str, int], int]:
    """Connect with plain bleak, run the family's plan, decode ``world_s`` of streaming.

    The stream lasts until the sensor has measured ``world_s`` of samples on its own clock.
    After the stop commands (some families stream until the link ends), it is decoded once
    every notification sent until then has arrived, however slow the host: what arrived is
    exactly what the sensor sent, in order, nothing lost or added. Returns the decoded
    samples, the decoder's counters and how many notifications were decoded.
    """
    codec = sensor.codec
    device = await BleakScanner.find_device_by_address(sensor.address, WAIT_S, backend=ble.scanner)
    assert device is not None
    received: list[tuple[str, int, bytes]] = []
    out: list[ImuSample] = []
    async with BleakClient(device, backend=ble.client, timeout=WAIT_S) as client:
        info = {u: bytes(await client.read_gatt_char(u)) for u in codec.spec.info_read_uuids}
        config = codec.configure(StreamRequest(None, device_info=info))
        plan = codec.plan(config)
        decoder = codec.decoder(config)
        for uuid in plan.notify_uuids:
            await client.start_notify(
                uuid, lambda _c, d, u=uuid: received.append((u, time.monotonic_ns(), bytes(d)))
            )
        for w in plan.start:
            await client.write_gatt_char(w.char_uuid, w.data, response=w.with_response)
        sensor.world.start()
        wanted = int(np.ceil(world_s * config.rate_hz))
        await _until(lambda: sensor.stats.measured >= wanted, "measuring")
        for w in plan.stop:
            await client.write_gatt_char(w.char_uuid, w.data, response=w.with_response)
        sent = len(sensor.stats.sent)
        await _until(lambda: len(received) >= sent, "delivery")
        got = list(received)
    sent_payloads = [(n.char_uuid, n.payload) for n in sensor.stats.sent[: len(got)]]
    assert [(u, p) for u, _ns, p in got] == sent_payloads
    for uuid, ns, payload in got:
        out += decoder.feed(uuid, payload, ns)
    out += decoder.flush()
    return out, decoder.counts(), len(got)


@pytest.mark.parametrize("family", list(Family))
async def test_decoded_samples_equal_the_measured_ones(
    air: VirtualAir, ble: BleBackend, family: Family
):
    codec = codec_for(family)
    rate = codec.spec.default_rate_hz
    source = synthetic_source(rate, 30.0, seed=int(rate))
    world = WorldClock(speed=SPEED)
    sensor = VirtualSensor(air, codec, source, world=world, record=True, drift_ppm=25.0)
    await sensor.start()
    samples, counts, _n = await _stream(ble, sensor, world_s=1.5)

    assert sensor.emulator.log == []  # every command the client wrote was understood
    assert counts["corrupt"] == counts["truncated"] == counts["unknown"] == 0
    assert sensor.stats.measured >= 1.5 * rate
    assert len(samples) >= 0.8 * 1.5 * rate
    acc = np.array([s.acc_m_s2 for s in samples])
    gyr = np.array([s.gyr_rad_s for s in samples])
    measured = np.asarray(sensor.stats.measured_index)
    tol = TOLERANCE[family]
    if codec.spec.has_device_time:
        # match by device clock: each decoded sample is the one measured at that time
        d = np.array([s.device_time_s for s in samples])
        dm = np.asarray(sensor.stats.measured_device_s)
        j = np.searchsorted(dm, d).clip(1, len(dm) - 1)
        j = np.where(np.abs(dm[j - 1] - d) < np.abs(dm[j] - d), j - 1, j)
        assert np.abs(dm[j] - d).max() < 0.2 / rate
        assert np.all(np.diff(d) > 0)
        assert np.median(np.diff(d)) == pytest.approx(1.0 / rate, rel=1e-3)
    else:
        # no device clock: the decoded samples are the measured ones in order (a pairing
        # of separate acc/gyro notifications may skip a few at the start)
        j = _subsequence(acc, gyr, source.acc_m_s2[measured], source.gyr_rad_s[measured], tol)
    assert np.all(np.diff(j) > 0)
    assert j[0] <= _unpaired_at_start(sensor, family)
    assert np.abs(acc - source.acc_m_s2[measured[j]]).max() <= tol[0]
    assert np.abs(gyr - source.gyr_rad_s[measured[j]]).max() <= tol[1]


def _unpaired_at_start(sensor: VirtualSensor, family: Family) -> int:
    """How many measured samples may go undecoded at the start: 3, or for Polar every one
    measured before its gyroscope stream's first frame was sent (its accelerometer stream
    starts first; a sample is decoded once both have it, and on a loaded machine the second
    start command comes later in the sensor's sped-up world)."""
    if family is not Family.POLAR_PMD:
        return 3
    first: dict[bytes, float] = {}
    for n in sensor.stats.sent:
        first.setdefault(n.payload[:1], n.world_s)  # a PMD data frame starts with its type
    device_s = sensor.device_time_s(max(first.values(), default=0.0))
    return max(3, int(np.searchsorted(np.asarray(sensor.stats.measured_device_s), device_s)))


def _subsequence(acc, gyr, acc_m, gyr_m, tol) -> np.ndarray:
    """Indices into the measured samples that the decoded ones equal, in order."""
    out, p = [], 0
    for a, g in zip(acc, gyr, strict=True):
        while p < len(acc_m) and not (
            np.abs(a - acc_m[p]).max() <= tol[0] and np.abs(g - gyr_m[p]).max() <= tol[1]
        ):
            p += 1
        assert p < len(acc_m), "a decoded sample matches no measured one"
        out.append(p)
        p += 1
    return np.asarray(out)


async def test_scan_identifies_every_family(air: VirtualAir, ble: BleBackend):
    world = WorldClock(speed=SPEED)
    sensors = {}
    for family, codec in CODECS.items():
        s = VirtualSensor(air, codec, synthetic_source(50.0, 1.0), world=world)
        await s.start()
        sensors[s.address] = (family, s.name)
    # the ADV has the family's service UUID and a shortened name; the complete name comes in
    # the scan response
    found = await scan_sensors(
        ble,
        timeout_s=2.0,
        until=lambda f: all(a in f and f[a].name == n for a, (_, n) in sensors.items()),
    )
    for address, (family, name) in sensors.items():
        assert found[address].family is family
        assert found[address].name == name
        assert identify(name, found[address].service_uuids) is family


async def test_faults_damage_the_stated_share_of_data_notifications(
    air: VirtualAir, ble: BleBackend
):
    codec = codec_for(Family.MOVELLA_DOT)  # one sample per notification, parsed by mode
    world = WorldClock(speed=SPEED)
    faults = Faults(corrupt_rate=0.1, truncate_rate=0.1, seed=3)
    sensor = VirtualSensor(
        air, codec, synthetic_source(60.0, 30.0), world=world, faults=faults, record=True
    )
    await sensor.start()
    samples, counts, delivered = await _stream(ble, sensor, world_s=3.0)
    sent = sensor.stats.sent[:delivered]
    damaged = [n for n in sent if n.fault is not None]
    assert 0.1 * len(sent) < len(damaged) < 0.3 * len(sent)
    assert counts["corrupt"] + counts["truncated"] + counts["unknown"] == len(damaged)
    assert counts["truncated"] >= sum(n.fault == "truncate" for n in sent) > 0
    assert len(samples) == len(sent) - len(damaged)
