"""One sensor's connection: connect, stream, decode, align, and reconnect after a drop.

Plain bleak all the way (``BleakClient``, ``start_notify``, ``write_gatt_char``,
``disconnected_callback``); the backend classes only come in through ``backend=``.

Data path: the notification callback stamps the host time (``time.monotonic_ns()``) and puts
``(char_uuid, host_rx_ns, payload)`` on the link's queue — nothing else. The link's consumer
task decodes with the family decoder, aligns the samples' times
(:class:`~sensors.session.clock.ClockAligner`), records gaps, and hands
:class:`~sensors.session.types.AlignedBatch` es to the session's sinks. Control items on the
same queue (a new connection's decoder, a drop, the end) keep their order with the data, so
every notification received before a drop is decoded before the gap opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from bleak import BleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError, BleakError

from analysis.angles.timebase import FrozenWatch
from analysis.recording.streams import Gap
from sensors.ble.backend import BleBackend
from sensors.ble.mtu import att_mtu
from sensors.errors import DeviceNotFoundError, SensorError
from sensors.families.base import (
    Decoder,
    FamilyCodec,
    ImuSample,
    StreamConfig,
    StreamPlan,
    StreamRequest,
)
from sensors.session.battery import BATTERY_PERIOD_S, battery_warning, read_battery_pct
from sensors.session.clock import AlignerConfig, ClockAligner, SessionClock
from sensors.session.config import SensorAssignment
from sensors.session.types import AlignedBatch, LinkState, SensorStatus

log = logging.getLogger(__name__)

RATE_WINDOW_S = 2.0
"""Session seconds over which the displayed sample rate is measured."""

GAP_PERIODS = 2.5
"""A step between two samples longer than this many sample periods is a recorded gap."""


@dataclass(frozen=True)
class _NewDecoder:
    decoder: Decoder


@dataclass(frozen=True)
class _Dropped:
    host_ns: int


@dataclass(frozen=True, eq=False)
class _Observed:
    """Samples of one notification, their sample-clock times and the aligner's segment."""

    samples: list[ImuSample]
    sample_clock_s: np.ndarray
    segment: int


_END = object()
_NEW_CONNECTION = object()


class SensorLink:
    """The live connection of one worn sensor.

    Parameters
    ----------
    assignment
        Placement and identity from the session configuration.
    device
        The device as found by the scan.
    codec
        Its family codec.
    rate_hz
        Requested rate (the codec configures its nearest supported one); None: default.
    backend
        bleak backend classes (:data:`sensors.ble.backend.SYSTEM` for a real adapter).
    clock
        The session clock.
    connect_lock
        Shared by all links of a session: connections are made one at a time.
    deliver, on_gap
        Where aligned batches and closed gaps go.
    connect_timeout_s
        Bound of one connection attempt.
    reconnect, reconnect_give_up_s
        Reconnect after a drop, and for how long to keep trying (None: until stopped).
    hold_start
        Hold the samples of the start (deliver nothing) until :meth:`release`: the session
        releases every sensor once all stream and their clock fits have settled, so the first
        samples are timed with a line that has seen on-time notifications
        (:meth:`ClockAligner.hold`).
    """

    def __init__(
        self,
        assignment: SensorAssignment,
        *,
        device: BLEDevice,
        codec: FamilyCodec,
        rate_hz: float | None,
        backend: BleBackend,
        clock: SessionClock,
        connect_lock: asyncio.Lock,
        deliver: Callable[[AlignedBatch], None],
        on_gap: Callable[[Gap], None],
        connect_timeout_s: float = 10.0,
        reconnect: bool = True,
        reconnect_give_up_s: float | None = None,
        aligner_config: AlignerConfig | None = None,
        hold_start: bool = False,
    ) -> None:
        self.assignment = assignment
        self.placement = assignment.placement
        self.device = device
        self.codec = codec
        self.spec = codec.spec
        self.requested_rate_hz = rate_hz
        self.backend = backend
        self.clock = clock
        self.connect_timeout_s = connect_timeout_s
        self.reconnect = reconnect
        self.reconnect_give_up_s = reconnect_give_up_s
        self._connect_lock = connect_lock
        self._deliver = deliver
        self._on_gap = on_gap
        self._aligner_config = aligner_config
        self.state = LinkState.WAITING
        self.config: StreamConfig | None = None
        self.plan: StreamPlan | None = None
        self.aligner: ClockAligner | None = None
        self.client: BleakClient | None = None
        self.samples = 0
        self.reconnects = 0
        self.incomplete = 0
        self.orphans = 0
        self.gaps: list[Gap] = []
        self.last_error: str | None = None
        self._decoder: Decoder | None = None
        self._totals: dict[str, int] = {}
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._stopping = False
        self.battery_pct: int | None = None
        self._battery_task: asyncio.Task[None] | None = None
        self._last_t: float | None = None
        self._last_sample_clock: float | None = None
        self._last_segment = 0
        self._gap_start: float | None = None
        # a held start: what was decoded (and connection events), in order, until release()
        self._held: list[object] | None = [] if hold_start else None
        self._rate_window: deque[tuple[float, int]] = deque()
        self._frozen = FrozenWatch()
        """Repeats of one sample (a sensor that stopped measuring): recorded as gaps."""
        self.failure: BaseException | None = None

    # --- properties ----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The device address (as the scan reported it)."""
        return self.device.address

    @property
    def name(self) -> str | None:
        """The advertised name."""
        return self.device.name

    @property
    def rate_hz(self) -> float | None:
        """The configured sample rate (after the first connection)."""
        return None if self.config is None else self.config.rate_hz

    def counts(self) -> dict[str, int]:
        """Decoder counters summed over all connections, plus link counters."""
        out = dict(self._totals)
        if self._decoder is not None:
            for k, v in self._decoder.counts().items():
                out[k] = out.get(k, 0) + v
        out["incomplete"] = self.incomplete
        out["orphans"] = self.orphans
        out["reconnects"] = self.reconnects
        out["inferred_lost"] = self.aligner.inferred_lost if self.aligner is not None else 0
        return out

    def status(self) -> SensorStatus:
        """A snapshot for displays."""
        return SensorStatus(
            placement=self.placement,
            family=str(self.spec.family),
            name=self.name,
            address=self.address,
            state=self.state,
            rate_hz=self.rate_hz,
            measured_rate_hz=self._measured_rate(),
            samples=self.samples,
            last_t_s=self._last_t,
            reconnects=self.reconnects,
            gaps=len(self.gaps),
            counts=self.counts(),
            battery_pct=self.battery_pct,
        )

    def _measured_rate(self) -> float:
        w = self._rate_window
        if len(w) < 2:
            return 0.0
        span = w[-1][0] - w[0][0]
        n = sum(k for _, k in w) - w[0][1]
        return n / span if span > 0 else 0.0

    # --- connecting ----------------------------------------------------------------------

    async def start(self, *, stream: bool = True) -> None:
        """First connection (raises :class:`SensorError` when it fails).

        With ``stream=False`` the sensor is connected, configured and subscribed but not
        started: :meth:`start_streaming` starts it (a session connects every sensor before
        any streams, so a connection never waits behind the others' data).
        """
        self._consumer = asyncio.get_running_loop().create_task(self._consume())
        await self._connect_once(stream=stream)

    async def start_streaming(self) -> None:
        """Send the start commands of a sensor connected with ``start(stream=False)``."""
        client, plan = self.client, self.plan
        if client is None or plan is None or self.state is not LinkState.CONNECTING:
            raise RuntimeError(f"{self._who()}: not connected, or already streaming")
        try:
            await self._send_start(client, plan)
        except BaseException as exc:
            self.client = None
            await self._discard(client)
            self.state = LinkState.WAITING
            if isinstance(exc, BleakError | OSError | TimeoutError):
                raise SensorError(f"{self._who()}: {type(exc).__name__}: {exc}") from None
            raise
        self.state = LinkState.STREAMING
        self._watch_battery(client)

    async def _send_start(self, client: BleakClient, plan: StreamPlan) -> None:
        for write in plan.start:
            await client.write_gatt_char(write.char_uuid, write.data, response=write.with_response)
            if write.pause_after_s > 0:
                await asyncio.sleep(write.pause_after_s)

    async def _connect_once(self, *, stream: bool = True) -> None:
        self.state = LinkState.CONNECTING
        client = BleakClient(
            self.device,
            disconnected_callback=self._on_disconnected,
            timeout=self.connect_timeout_s,
            backend=self.backend.client,
        )
        try:
            async with self._connect_lock:
                await client.connect()
            info = {u: bytes(await client.read_gatt_char(u)) for u in self.spec.info_read_uuids}
            config = self.codec.configure(StreamRequest(self.requested_rate_hz, device_info=info))
            plan = self.codec.plan(config)
            if self.config is not None and config.rate_hz != self.config.rate_hz:
                log.warning("%s: rate changed on reconnect", self.placement)
            self.config, self.plan = config, plan
            if self.aligner is None:
                self.aligner = ClockAligner(
                    nominal_rate_hz=config.rate_hz,
                    uses_device_time=self.spec.has_device_time,
                    config=self._aligner_config,
                )
                if self._held is not None:
                    self.aligner.hold()
            self._queue.put_nowait(_NewDecoder(self.codec.decoder(config)))
            if att_mtu(client) < self.spec.min_att_mtu:
                log.warning(
                    "%s: ATT MTU %d below the %d the %s stream needs",
                    self.placement,
                    att_mtu(client),
                    self.spec.min_att_mtu,
                    self.spec.family,
                )
            for uuid in plan.notify_uuids:
                await client.start_notify(uuid, self._callback(uuid))
            if stream:
                await self._send_start(client, plan)
        except BaseException as exc:
            await self._discard(client)
            self.state = LinkState.WAITING
            if isinstance(exc, BleakDeviceNotFoundError | TimeoutError):
                raise DeviceNotFoundError(self._who(), self.connect_timeout_s) from None
            if isinstance(exc, BleakError | OSError):
                raise SensorError(f"{self._who()}: {type(exc).__name__}: {exc}") from None
            raise
        self.client = client
        if stream:
            self.state = LinkState.STREAMING
            self._watch_battery(client)

    def _watch_battery(self, client: BleakClient) -> None:
        """Read the battery level now and every ``BATTERY_PERIOD_S`` while connected."""
        if self._battery_task is not None:
            self._battery_task.cancel()
        self._battery_task = asyncio.get_running_loop().create_task(self._battery_loop(client))

    async def _battery_loop(self, client: BleakClient) -> None:
        """Read the battery level every ``BATTERY_PERIOD_S`` (session s) until stopped.

        A read under way is never cancelled (the task is, when the link stops or reconnects):
        bumble's GATT client sets the answer on its request's future without asking whether it
        was cancelled, so an answer arriving just after the cancellation raised
        ``InvalidStateError`` inside the stack (seen at ``--speed 50``, where a read is under
        way most of the time). The read is shielded: it ends on its own, its answer unused.
        """
        while client.is_connected and not self._stopping:
            pct = await asyncio.shield(read_battery_pct(client))
            if pct is None and self.battery_pct is None:
                return  # the device has no battery level
            if pct is not None:
                self.battery_pct = pct
                warning = battery_warning(self._who(), pct)
                if warning:
                    log.warning("%s", warning)
            await asyncio.sleep(BATTERY_PERIOD_S / self.clock.scale)

    def _who(self) -> str:
        return f"{self.assignment.identifier} ({self.placement})"

    def _callback(self, uuid: str) -> Callable[[object, bytearray], None]:
        put = self._queue.put_nowait
        host_ns = self.clock.host_now_ns

        def on_notification(_char: object, data: bytearray) -> None:
            put((uuid, host_ns(), bytes(data)))

        return on_notification

    async def _discard(self, client: BleakClient) -> None:
        with contextlib.suppress(BleakError, TimeoutError, OSError):
            await client.disconnect()

    def _on_disconnected(self, _client: BleakClient) -> None:
        if self._stopping or self.state is not LinkState.STREAMING:
            return
        self.state = LinkState.RECONNECTING
        self.client = None
        self.reconnects += 1
        self._queue.put_nowait(_Dropped(self.clock.host_now_ns()))
        log.info("%s: connection lost", self._who())
        if self.reconnect:
            self._reconnector = asyncio.get_running_loop().create_task(self._reconnect_loop())
        else:
            self.state = LinkState.FAILED

    async def _reconnect_loop(self) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        delay_s = 0.1
        while not self._stopping:
            try:
                await self._connect_once()
                log.info("%s: reconnected", self._who())
                return
            except SensorError as exc:
                self.last_error = str(exc)
                log.info("%s: reconnect failed: %s", self._who(), exc)
            self.state = LinkState.RECONNECTING
            give_up = self.reconnect_give_up_s
            if give_up is not None and loop.time() - began > give_up:
                self.state = LinkState.FAILED
                return
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2.0, 2.0)

    # --- stopping ------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop streaming, disconnect, decode what is queued, close an open gap."""
        self._stopping = True
        if self._battery_task is not None:
            self._battery_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._battery_task
        if self._reconnector is not None and not self._reconnector.done():
            self._reconnector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnector
        client = self.client
        if client is not None and client.is_connected and self.plan is not None:
            try:
                for write in self.plan.stop:
                    await client.write_gatt_char(
                        write.char_uuid, write.data, response=write.with_response
                    )
                for uuid in self.plan.notify_uuids:
                    await client.stop_notify(uuid)
            except (BleakError, TimeoutError) as exc:
                log.info("%s: stop commands failed: %s", self._who(), exc)
            await self._discard(client)
        self.client = None
        if self._consumer is not None:
            self._queue.put_nowait(_END)
            await self._consumer
            self._consumer = None
        self.release()
        if self._gap_start is not None:
            self._close_gap(self.clock.now_s(), "disconnected")
        self._frozen.finish()  # frozen to the end: a gap to its last sample
        self._frozen_gaps()
        if self.state is not LinkState.FAILED:
            self.state = LinkState.STOPPED

    # --- consumer ------------------------------------------------------------------------

    async def _consume(self) -> None:
        queue = self._queue
        try:
            while True:
                item = await queue.get()
                if type(item) is tuple:
                    uuid, host_ns, payload = item
                    if self._decoder is None:  # a straggler of a connection already closed
                        self.orphans += 1
                        continue
                    samples = self._decoder.feed(uuid, payload, host_ns)
                    if samples:
                        self._align_and_deliver(samples)
                elif isinstance(item, _NewDecoder):
                    self._retire_decoder()
                    self._decoder = item.decoder
                    self._handle(_NEW_CONNECTION)
                    if self.aligner is not None:
                        self.aligner.restart()
                elif isinstance(item, _Dropped):
                    self._retire_decoder()
                    self._handle(item)
                elif item is _END:
                    self._retire_decoder()
                    return
        except Exception as exc:
            self.failure = exc
            self.state = LinkState.FAILED
            raise

    def _retire_decoder(self) -> None:
        decoder, self._decoder = self._decoder, None
        if decoder is None:
            return
        rest = decoder.flush()
        if rest:
            self._align_and_deliver(rest)
        for k, v in decoder.counts().items():
            self._totals[k] = self._totals.get(k, 0) + v

    # --- a held start ----------------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """True while the start is held (see ``hold_start``)."""
        return self._held is not None

    def settled(self) -> bool:
        """True when this sensor's clock fit has seen on-time notifications (held start)."""
        return self.aligner is not None and self.aligner.settled()

    def release(self) -> None:
        """End a held start: commit the clock fit, then time and deliver what was held."""
        held, self._held = self._held, None
        if held is None:
            return
        if self.aligner is not None:
            self.aligner.commit()
        for item in held:
            self._handle(item)

    def _handle(self, item: object) -> None:
        """Deliver observed samples, or note a connection event, in order (or hold them)."""
        if self._held is not None:
            self._held.append(item)
        elif isinstance(item, _Observed):
            self._place(item)
        elif isinstance(item, _Dropped):
            start = self._last_t if self._last_t is not None else self.clock.t_s(item.host_ns)
            self._gap_start = start
        elif item is _NEW_CONNECTION:
            self._last_sample_clock = None  # a new connection: gaps are disconnections

    # --- aligning ------------------------------------------------------------------------

    def _align_and_deliver(self, samples: list[ImuSample]) -> None:
        good = [s for s in samples if s.acc_m_s2 is not None and s.gyr_rad_s is not None]
        self.incomplete += len(samples) - len(good)
        aligner = self.aligner
        if not good or aligner is None:
            return
        host_s = self.clock.t_s(max(s.host_rx_ns for s in good))
        device_s = None
        if aligner.uses_device_time:
            if any(s.device_time_s is None for s in good):
                self.incomplete += len(good)
                return
            device_s = np.array([s.device_time_s for s in good], dtype=np.float64)
        clock = aligner.observe(host_s, len(good), device_s)
        self._handle(_Observed(good, clock, aligner.segments))

    def _place(self, item: _Observed) -> None:
        """Time one notification's samples, record a dropout before them, deliver them."""
        aligner = self.aligner
        assert aligner is not None
        t = aligner.place(item.sample_clock_s, item.segment)
        clock = item.sample_clock_s
        if self._gap_start is not None:
            self._close_gap(float(t[0]), "disconnected")
        elif (
            self._last_t is not None
            and self._last_sample_clock is not None
            and item.segment == self._last_segment
            and clock[0] - self._last_sample_clock > GAP_PERIODS / aligner.rate_hz
        ):
            # samples missing on the sample clock (device time or count): a dropout
            self._gap_start = self._last_t
            self._close_gap(float(t[0]), "dropout")
        self._last_sample_clock = float(clock[-1])
        self._last_segment = item.segment
        self._last_t = float(t[-1])
        n = len(item.samples)
        self.samples += n
        self._rate_window.append((self._last_t, n))
        while self._rate_window and self._last_t - self._rate_window[0][0] > RATE_WINDOW_S:
            self._rate_window.popleft()
        batch = AlignedBatch.from_samples(self.placement, t, item.samples)
        self._frozen.feed(batch.t_s, batch.acc_m_s2, batch.gyr_rad_s)
        self._frozen_gaps()
        self._deliver(batch)

    def _frozen_gaps(self) -> None:
        """Record every frozen run that ended as a gap, as the offline analysis finds it.

        ``[the repeated sample, the first sample after)`` (``timebase.without_frozen``); all
        the samples stay in the recording.
        """
        for a, b in self._frozen.spans:
            gap = Gap(
                sensor=self.placement, start_s=round(a, 6), end_s=round(b, 6), reason="frozen"
            )
            if gap.end_s > gap.start_s:
                self.gaps.append(gap)
                self._on_gap(gap)
        self._frozen.spans.clear()

    def _close_gap(self, end_s: float, reason: str) -> None:
        start = self._gap_start
        self._gap_start = None
        if start is None or end_s <= start:
            return
        period = 1.0 / self.aligner.rate_hz if self.aligner is not None else 0.0
        # [first missing sample time, first sample after): half-open, seconds, rounded to
        # the 1 µs the recording writes so that the sample at end_s stays outside
        gap = Gap(
            sensor=self.placement,
            start_s=round(min(start + period, end_s), 6),
            end_s=round(end_s, 6),
            reason=reason,
        )
        if gap.end_s > gap.start_s:
            self.gaps.append(gap)
            self._on_gap(gap)
