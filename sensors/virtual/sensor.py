"""A virtual BLE IMU: a bumble peripheral that looks and talks like a real sensor family.

:class:`VirtualSensor` serves the family's GATT profile (services, characteristics,
properties; bumble adds the CCCDs), advertises like the device, forwards every client read,
write and CCCD change to the family's device emulator (``sensors.families``), and — while the
emulator says it streams — measures its :class:`~sensors.virtual.source.SampleSource` on its
own crystal clock and notifies the exact payloads the family encoder makes, paced on the
rig's :class:`~sensors.virtual.source.WorldClock`. :class:`Faults` injects what tests need:
a peripheral-initiated disconnect at given scenario times (then silence, then advertising
again), damaged or truncated data notifications at a given rate, and a sensor frozen on one
sample for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from bumble.att import Attribute, AttributeValue
from bumble.device import Connection, Device, DeviceConfiguration
from bumble.gatt import Characteristic, Service
from bumble.hci import Address, HCI_ErrorCode
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink

from sensors.ble.air import VirtualAir, VirtualController
from sensors.families.base import (
    CharSpec,
    DeviceEmulator,
    FamilyCodec,
    ImuSample,
    Notification,
    StreamConfig,
    normalize_uuid,
)
from sensors.session.battery import (
    BATTERY_LEVEL_UUID,
    BATTERY_SERVICE_UUID,
    FAMILY_BATTERY_UUIDS,
)
from sensors.virtual.advertising import advertising_payload, scan_response_payload
from sensors.virtual.source import SampleSource, WorldClock

log = logging.getLogger(__name__)

TICK_S = 0.0075
"""Real seconds between two notification bursts (one BLE connection interval, 7.5 ms)."""

STILL_LOOP_S = 1.0
"""Before the scenario starts (and after it ends) a virtual sensor measures the scenario's
first (last) this many seconds over and over: the wearer standing still, with sensor noise."""

_PROPERTY_FLAGS = {
    "read": Characteristic.Properties.READ,
    "write": Characteristic.Properties.WRITE,
    "write-without-response": Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
    "notify": Characteristic.Properties.NOTIFY,
    "indicate": Characteristic.Properties.INDICATE,
}


@dataclass(frozen=True, kw_only=True)
class Faults:
    """Faults a virtual sensor injects (all off by default).

    Attributes
    ----------
    drop_at_s
        Scenario times (s) at which the sensor ends the connection itself.
    offline_s
        World seconds it then stays silent (not advertising) before advertising again.
    corrupt_rate, truncate_rate
        Probability per data notification of sending garbage of the same length (all bytes
        ``0xFF``: an invalid header, NaN floats or an all-ones timestamp, depending on the
        family) or only the first half of the payload. Whether a decoder can tell depends on
        the wire format (a Thingy raw packet has no header: garbage decodes as values).
    seed
        Seed of the fault RNG.
    frozen_s
        Scenario intervals ``(from_s, to_s)`` in which the sensor goes on streaming but
        measures nothing new: every sample repeats the one measured at ``from_s`` (a stalled
        sensor or firmware; only its device clock advances).
    """

    drop_at_s: tuple[float, ...] = ()
    offline_s: float = 0.5
    corrupt_rate: float = 0.0
    truncate_rate: float = 0.0
    seed: int = 0
    frozen_s: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class SentNotification:
    """A notification as it left the virtual sensor.

    ``fault``: None, "corrupt", "truncate"; ``connection``: 1 for the first connection, 2
    after the first reconnect, ...
    """

    world_s: float
    sent_ns: int
    char_uuid: str
    payload: bytes
    fault: str | None = None
    connection: int = 1


@dataclass
class VirtualSensorStats:
    """Counters of one virtual sensor."""

    connections: int = 0
    drops: int = 0
    measured: int = 0
    notifications: int = 0
    corrupt: int = 0
    truncated: int = 0
    sent: list[SentNotification] = field(default_factory=list)
    measured_index: list[int] = field(default_factory=list)
    measured_device_s: list[float] = field(default_factory=list)


class VirtualSensor:
    """A bumble peripheral on ``air`` serving ``codec``'s GATT profile and wire format.

    Parameters
    ----------
    air
        The in-process radio it joins.
    codec
        The family codec (GATT facts, device emulator, encoder).
    source
        What it measures (scenario time grid).
    world
        The rig's shared clock (pacing and the device clock).
    name, address
        Advertised name (default: the family's example name) and static random address.
    device_clock_offset_s, drift_ppm
        The device clock: ``device_s = offset + (1 + drift_ppm·1e-6) · world_s``.
    faults
        Faults to inject.
    record
        Keep every sent notification and measured source index in ``stats`` (tests).
    emulator_options
        Passed to ``codec.emulator(**options)``.
    """

    def __init__(
        self,
        air: VirtualAir,
        codec: FamilyCodec,
        source: SampleSource,
        *,
        world: WorldClock,
        name: str | None = None,
        address: str | None = None,
        device_clock_offset_s: float = 1000.0,
        drift_ppm: float = 0.0,
        faults: Faults | None = None,
        record: bool = False,
        adv_interval_ms: float = 20.0,
        emulator_options: dict[str, object] | None = None,
        battery_start_pct: float = 87.0,
        battery_drain_pct_per_min: float = 0.5,
    ) -> None:
        self.air = air
        self.codec = codec
        self.spec = codec.spec
        self.source = source
        self.world = world
        self.name = name or self.spec.example_name
        self.address = address or air.next_address("C0:5E")
        self.device_clock_offset_s = device_clock_offset_s
        self.drift_ppm = drift_ppm
        self.faults = faults = faults or Faults()
        self.record = record
        self.adv_interval_ms = adv_interval_ms
        self.battery_start_pct = battery_start_pct
        self.battery_drain_pct_per_min = battery_drain_pct_per_min
        self.emulator: DeviceEmulator = codec.emulator(**(emulator_options or {}))
        self.stats = VirtualSensorStats()
        self._rng = np.random.default_rng(faults.seed)
        self._drops = sorted(faults.drop_at_s)
        self._controller: VirtualController | None = None
        self._device: Device | None = None
        self._chars: dict[str, Characteristic] = {}
        self._indicate: set[str] = set()
        self._connection: Connection | None = None
        self._pump: asyncio.Task[None] | None = None
        self._readvertise: asyncio.Task[None] | None = None
        self._closing = False
        self._dropping = False
        self._adv_lock = asyncio.Lock()
        self._replies: set[asyncio.Task[None]] = set()
        self.connected = asyncio.Event()

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def family(self) -> str:
        """The family name (``Family`` value)."""
        return str(self.spec.family)

    @property
    def streaming(self) -> bool:
        """True while the emulator streams to a connected client."""
        return self._pump is not None and not self._pump.done()

    async def start(self) -> None:
        """Switch on: power the controller and start advertising."""
        controller = self.air.new_controller(self.name)
        device = Device(
            config=DeviceConfiguration(name=self.name, address=Address(self.address)),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        device.add_services([self._service(s.uuid, s.characteristics) for s in self.spec.services])
        if not set(self.spec.characteristics()) & set(FAMILY_BATTERY_UUIDS):
            device.add_service(self._battery_service())
        device.on(device.EVENT_CONNECTION, self._on_connection)
        device.on("characteristic_subscription", self._on_subscription)
        self._controller, self._device = controller, device
        await device.power_on()
        await self._advertise()
        self.air.register(self)

    async def close(self) -> None:
        """Switch off (idempotent): stop streaming, disconnect, leave the air."""
        if self._closing:
            return
        self._closing = True
        for task in (self._pump, self._readvertise):
            if task is not None and not task.done():
                task.cancel()
                # in-flight HCI commands finish (shielded): cancelling one mid-way leaves
                # bumble's host with a stale pending response
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        device = self._device
        if device is None:
            return
        connection = self._connection
        if connection is not None:
            try:
                await asyncio.wait_for(asyncio.shield(connection.disconnect()), 1.0)
            except Exception as exc:  # best effort while switching off (incl. TimeoutError)
                log.debug("%s: disconnect on close: %s", self.name, exc)
        async with self._adv_lock:
            await device.stop_advertising()
        await device.power_off()
        if self._controller is not None:
            self.air.detach(self._controller)

    async def _advertise(self) -> None:
        assert self._device is not None
        async with self._adv_lock:
            if self._closing:
                return
            await self._device.start_advertising(
                advertising_data=advertising_payload(self.name, self.spec.advertised_service_uuids),
                scan_response_data=scan_response_payload(self.name),
                advertising_interval_min=self.adv_interval_ms,
                advertising_interval_max=self.adv_interval_ms,
            )

    # --- GATT ----------------------------------------------------------------------------

    def battery_pct(self) -> int:
        """The battery level now (%): it drains slowly with world time."""
        drained = self.battery_drain_pct_per_min * self.world.world_s() / 60.0
        return int(max(0.0, min(100.0, self.battery_start_pct - drained)))

    def _battery_service(self) -> Service:
        """The standard Battery Service with a readable Battery Level (0x180F / 0x2A19)."""
        level = Characteristic(
            BATTERY_LEVEL_UUID,
            Characteristic.Properties.READ | Characteristic.Properties.NOTIFY,
            Attribute.READABLE,
            AttributeValue(read=lambda _c: bytes([self.battery_pct()])),
        )
        return Service(BATTERY_SERVICE_UUID, [level])

    def _read(self, char_uuid: str) -> bytes:
        if char_uuid in FAMILY_BATTERY_UUIDS:  # level %, then the emulator's other bytes
            return bytes([self.battery_pct()]) + bytes(self.emulator.read(char_uuid))[1:]
        return bytes(self.emulator.read(char_uuid))

    def _service(self, uuid: str, chars: Iterable[CharSpec]) -> Service:
        out = []
        for spec in chars:
            props = Characteristic.Properties(0)
            for p in spec.properties:
                props |= _PROPERTY_FLAGS[p]
            perms = Attribute.Permissions(0)
            if "read" in spec.properties:
                perms |= Attribute.READABLE
            if spec.properties & {"write", "write-without-response"}:
                perms |= Attribute.WRITEABLE
            char = Characteristic(
                spec.uuid,
                props,
                perms,
                AttributeValue(
                    read=lambda _c, u=spec.uuid: self._read(u),
                    write=lambda _c, value, u=spec.uuid: self._on_write(u, value),
                ),
            )
            self._chars[spec.uuid] = char
            out.append(char)
        return Service(uuid, out)

    async def _on_write(self, char_uuid: str, value: bytes) -> None:
        replies = self.emulator.write(char_uuid, bytes(value))
        await self._send(replies, data=False)
        self._update_streaming()

    def _on_subscription(
        self, _connection: Connection, char: Characteristic, notify: bool, indicate: bool
    ) -> None:
        uuid = normalize_uuid(char.uuid.to_hex_str("-"))
        if uuid not in self._chars:
            return
        if indicate and not notify:
            self._indicate.add(uuid)
        else:
            self._indicate.discard(uuid)
        replies = self.emulator.set_notify(uuid, notify or indicate)
        if replies:
            task = asyncio.get_running_loop().create_task(self._send(replies, data=False))
            self._replies.add(task)  # keep a reference until it is done
            task.add_done_callback(self._replies.discard)
        self._update_streaming()

    async def _send(self, notifications: Iterable[Notification], *, data: bool) -> None:
        device = self._device
        if device is None:
            return
        for n in notifications:
            connection = self._connection
            if connection is None:
                return  # the link dropped: the rest is never sent
            char = self._chars.get(n.char_uuid)
            if char is None:
                log.warning("%s: no characteristic %s to send on", self.name, n.char_uuid)
                continue
            payload, fault = self._damage(n.payload) if data else (n.payload, None)
            self.stats.notifications += 1
            if self.record:
                self.stats.sent.append(
                    SentNotification(
                        self.world.world_s(),
                        time.monotonic_ns(),
                        n.char_uuid,
                        payload,
                        fault,
                        self.stats.connections,
                    )
                )
            # to this one connection: a notification goes out before the first suspension
            if n.char_uuid in self._indicate:
                await device.indicate_subscriber(connection, char, payload)
            else:
                await device.notify_subscriber(connection, char, payload)

    def _damage(self, payload: bytes) -> tuple[bytes, str | None]:
        f = self.faults
        if f.corrupt_rate <= 0 and f.truncate_rate <= 0:
            return payload, None
        u = self._rng.random()
        if u < f.corrupt_rate:
            self.stats.corrupt += 1
            return b"\xff" * len(payload), "corrupt"
        if u < f.corrupt_rate + f.truncate_rate and len(payload) > 1:
            self.stats.truncated += 1
            return payload[: len(payload) // 2], "truncate"
        return payload, None

    # --- connection and streaming --------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        self.stats.connections += 1
        self.connected.set()
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        dropped = self._dropping
        self._connection = None
        self.connected.clear()
        self.emulator.disconnect()
        self._indicate.clear()
        pump, self._pump = self._pump, None
        if pump is not None and pump is not asyncio.current_task():
            pump.cancel()
        if self._closing:
            return
        delay = self.faults.offline_s if dropped else 0.0
        self._readvertise = asyncio.get_running_loop().create_task(self._advertise_after(delay))

    async def _advertise_after(self, delay_s: float) -> None:
        """Advertise again ``delay_s`` world seconds from now."""
        until_s = self.world.world_s() + delay_s
        while self.world.world_s() < until_s:
            await asyncio.sleep(max(TICK_S, self.world.real_s(until_s - self.world.world_s())))
        self._dropping = False
        if not self._closing:
            await asyncio.shield(self._advertise())

    def _update_streaming(self) -> None:
        wants = self.emulator.rate_hz is not None and self._connection is not None
        if wants and not self.streaming:
            self.world.stream_started()
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())
        elif not wants and self._pump is not None:
            self._pump.cancel()
            self._pump = None

    def backlog_packets(self) -> int:
        """Notifications waiting in this sensor's BLE stack beyond its controller's buffers.

        bumble's host queues every packet the controller has no buffer for, without bound:
        the pump measures on the world clock, so a link slower than the world (``--speed
        50`` on a busy computer) piled thousands of notifications up here — data arriving
        ever later, and every answer to the client (a stop command's) queued behind them.
        0 when nothing waits (or not connected).
        """
        device = self._device
        queue = None if device is None else device.host.le_acl_packet_queue
        if queue is None or self._connection is None:
            return 0
        return max(0, queue.pending - queue.max_in_flight)

    def device_time_s(self, world_s: float) -> float:
        """The device clock at world time ``world_s``."""
        return self.device_clock_offset_s + (1.0 + self.drift_ppm * 1e-6) * world_s

    def _index(self, world_s: float) -> int:
        """Index of the source sample measured at world time ``world_s``.

        Before the scenario starts (and after its end) the wearer stands still as at its
        start (its end): the source's first (last) :data:`STILL_LOOP_S` over and over, so
        the sensor's noise goes on as a real sensor's does — one sample repeated exactly for
        a second is a sensor that stopped measuring (``timebase.FrozenWatch``), which only
        the ``frozen_s`` fault emulates.
        """
        src = self.source
        scenario_s = self.world.scenario_s(world_s)
        for a, b in self.faults.frozen_s:
            if a <= scenario_s < b:
                scenario_s = a  # frozen: the sample measured at its start, again
        loop = max(1, min(len(src), round(src.rate_hz * STILL_LOOP_S)))
        k = round(world_s * src.rate_hz) % loop
        if not scenario_s >= 0.0:
            return k
        i = round(scenario_s * src.rate_hz)
        return i if i < len(src) else len(src) - loop + k

    def _measure(self, world_s: float) -> ImuSample:
        i = self._index(world_s)
        src = self.source
        self.stats.measured += 1
        device_s = self.device_time_s(world_s)
        if self.record:
            self.stats.measured_index.append(i)
            self.stats.measured_device_s.append(device_s)
        return ImuSample(
            device_time_s=device_s,
            acc_m_s2=_vec3(src.acc_m_s2[i]),
            gyr_rad_s=_vec3(src.gyr_rad_s[i]),
            mag_ut=None if src.mag_ut is None else _vec3(src.mag_ut[i]),
            quat_wxyz=None if src.quat is None else _quat(src.quat[i]),
        )

    async def _run_pump(self) -> None:
        """Measure and notify at the emulator's rate until it stops or the link drops."""
        next_world_s = self.world.world_s()
        while True:
            rate = self.emulator.rate_hz
            if rate is None or self._connection is None:
                return
            period_world_s = 1.0 / (rate * (1.0 + self.drift_ppm * 1e-6))
            now = self.world.world_s()
            batch = []
            while next_world_s <= now:
                batch.append(self._measure(next_world_s))
                next_world_s += period_world_s
            if batch:
                await self._send(self.emulator.encode(batch), data=True)
            if self._drops and self.world.scenario_s(now) >= self._drops[0]:
                self._drops.pop(0)
                await self.drop()
                return
            await asyncio.sleep(TICK_S)

    async def drop(self) -> None:
        """End the connection from the sensor's side, stay silent ``offline_s``, re-advertise."""
        connection = self._connection
        if connection is None:
            return
        self.stats.drops += 1
        self._dropping = True
        self._connection = None  # nothing more is sent on it
        await connection.disconnect(HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR)

    def replay_sent(self, config: StreamConfig) -> tuple[list[ImuSample], dict[str, int]]:
        """Decode every notification this sensor sent (needs ``record=True``).

        Decoded as a client streaming ``config`` would: a fresh decoder per connection,
        receipt time = send time.

        Returns the samples and the decoders' summed counters — what a lossless link
        delivers, to compare a session's recording with.
        """
        samples: list[ImuSample] = []
        totals: dict[str, int] = {}
        by_connection: dict[int, list[SentNotification]] = {}
        for n in self.stats.sent:
            by_connection.setdefault(n.connection, []).append(n)
        for sent in by_connection.values():
            decoder = self.codec.decoder(config)
            for n in sent:
                samples += decoder.feed(n.char_uuid, n.payload, n.sent_ns)
            samples += decoder.flush()
            for k, v in decoder.counts().items():
                totals[k] = totals.get(k, 0) + v
        return samples, totals

    def __repr__(self) -> str:
        return f"VirtualSensor({self.family}, {self.name!r}, {self.address})"


def _vec3(row: np.ndarray) -> tuple[float, float, float]:
    return (float(row[0]), float(row[1]), float(row[2]))


def _quat(row: np.ndarray) -> tuple[float, float, float, float]:
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
