"""A live multi-sensor session: find the sensors, connect them one by one, stream them together.

::

    session = LiveSession(config, backend=SYSTEM)      # or a bumble backend
    session.add_sink(recorder)                         # and a display, an angle pipeline ...
    await session.start()                              # scan, connect, start streaming
    ...                                                # session.status(), add_marker()
    await session.stop()                               # stop commands, disconnect, flush
    meta = session.session_meta(calibration=...)       # sidecar content

Scanning stops as soon as every configured sensor was seen (plus ``settle_s``); a sensor
not seen within ``scan_timeout_s`` raises :class:`~sensors.errors.DeviceNotFoundError`, a
name matching two devices raises :class:`~analysis.errors.ConfigError`. Connections are
made one at a time (one pending LE connection per controller) and no sensor is started
before all are connected, so a connection never waits behind the others' data; streams
then run concurrently, each with its own consumer (``sensors.session.link``).

The start is held: while the later sensors connect, a busy host delivers the first sensors'
notifications late, and a clock fit made from them alone would time their first samples as
late. So no sample leaves a sensor until every sensor streams and each one's clock fit has
settled on on-time notifications (at most ``START_SETTLE_MAX_S``); then all are released at
once, their held samples timed with the settled fits (docs/ble.md §3, "Start under load").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from analysis.errors import ConfigError
from analysis.recording.schema import (
    DEVICE_TICKS,
    MAG_COLUMNS,
    PLACEMENTS,
    QUAT_COLUMNS,
    REQUIRED_COLUMNS,
)
from analysis.recording.streams import CalibrationWindows, Gap, Marker, SensorInfo, SessionMeta
from sensors.ble.backend import SYSTEM, BleBackend
from sensors.errors import DeviceNotFoundError, SensorError
from sensors.families import codec_for
from sensors.families.base import FamilyCodec
from sensors.session.clock import AlignerConfig, SessionClock
from sensors.session.config import SensorAssignment, SessionConfig
from sensors.session.link import SensorLink
from sensors.session.scan import FoundSensor, scan_sensors
from sensors.session.types import AlignedBatch, LinkState, SensorStatus, SessionSink

log = logging.getLogger(__name__)

START_SETTLE_MAX_S = 2.0
"""Real seconds, after every sensor streams, that the start waits at most for the clock fits to
settle (``ClockAligner.settled``); a sensor still unsettled then is released as it is."""

_SETTLE_POLL_S = 0.02


def match_sensors(
    config: SessionConfig, found: Mapping[str, FoundSensor]
) -> dict[str, FoundSensor]:
    """Which found device is which configured sensor, by placement.

    Raises ConfigError when a name matches several devices or a matched device belongs to
    no supported family (and the configuration names none); missing sensors are left out.
    """
    out: dict[str, FoundSensor] = {}
    for s in config.sensors:
        hits = [f for f in found.values() if s.matches(f.address, f.name)]
        if len(hits) > 1:
            listing = ", ".join(f"{f.address} ({f.name})" for f in hits)
            raise ConfigError(
                f"sensor name {s.name!r} ({s.placement}) matches {len(hits)} devices: {listing}; "
                "configure it by address instead"
            )
        if hits:
            out[s.placement] = hits[0]
    return out


class LiveSession:
    """Several BLE sensors streaming onto one session clock.

    Parameters
    ----------
    config
        Sensors, rates and timeouts.
    backend
        bleak backend classes (default: the computer's adapter).
    clock_scale
        Session seconds per real second (1; virtual sensors paced faster use their speed).
    settle_s
        Scan this much longer after all sensors were seen (to catch duplicate names).
    aligner_config
        Clock-alignment parameters for every sensor (default: ``AlignerConfig()``, its
        stall parameters stretched by ``clock_scale``).
    host_ns
        The host's monotonic time in ns (virtual sessions in one process: a paced one).
    """

    def __init__(
        self,
        config: SessionConfig,
        *,
        backend: BleBackend = SYSTEM,
        clock_scale: float = 1.0,
        settle_s: float = 0.5,
        aligner_config: AlignerConfig | None = None,
        host_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.config = config
        self.backend = backend
        self.clock_scale = clock_scale
        self.settle_s = settle_s
        if aligner_config is None and clock_scale > 1.0:
            aligner_config = AlignerConfig().for_clock_scale(clock_scale)
        self.aligner_config = aligner_config
        self.clock = SessionClock(scale=clock_scale, host_ns=host_ns)
        self.links: dict[str, SensorLink] = {}
        self.markers: list[Marker] = []
        self.gaps: list[Gap] = []
        self.started_at: datetime | None = None
        self._sinks: list[SessionSink] = []
        self._connect_lock = asyncio.Lock()
        self._started = False
        self._stopped = False

    # --- consumers -----------------------------------------------------------------------

    def add_sink(self, sink: SessionSink) -> None:
        """Send every aligned batch and gap to ``sink`` from now on."""
        self._sinks.append(sink)

    def _deliver(self, batch: AlignedBatch) -> None:
        for sink in self._sinks:
            sink.on_samples(batch)

    def _gap(self, gap: Gap) -> None:
        self.gaps.append(gap)
        for sink in self._sinks:
            sink.on_gap(gap)

    # --- lifecycle -----------------------------------------------------------------------

    async def find(self) -> dict[str, FoundSensor]:
        """Scan until every configured sensor was seen; raise for missing or ambiguous ones."""
        wanted = self.config.sensors

        def all_seen(found: Mapping[str, FoundSensor]) -> bool:
            return all(any(s.matches(f.address, f.name) for f in found.values()) for s in wanted)

        settle = self.settle_s if any(s.name is not None for s in wanted) else 0.0
        found = await scan_sensors(
            self.backend, timeout_s=self.config.scan_timeout_s, until=all_seen, settle_s=settle
        )
        matched = match_sensors(self.config, found)
        missing = [s for s in wanted if s.placement not in matched]
        if missing:
            ids = ", ".join(f"{s.identifier} ({s.placement})" for s in missing)
            raise DeviceNotFoundError(ids, self.config.scan_timeout_s)
        return matched

    def _codec(self, sensor: SensorAssignment, seen: FoundSensor) -> FamilyCodec:
        family = sensor.family or seen.family
        if family is None:
            raise SensorError(
                f"{seen.address} ({seen.name!r}, {sensor.placement}) is not a supported sensor "
                'family; set family = "..." for it in the session file if it is one'
            )
        return codec_for(family)

    async def start(self) -> None:
        """Find and connect every sensor (one at a time) and start streaming.

        On failure everything already connected is stopped and the error re-raised.
        """
        if self._started:
            raise RuntimeError("session already started")
        self._started = True
        matched = await self.find()
        self.clock.restart()
        self.started_at = datetime.now(UTC)
        order = sorted(self.config.sensors, key=lambda s: PLACEMENTS.index(s.placement))
        for sensor in order:
            seen = matched[sensor.placement]
            self.links[sensor.placement] = SensorLink(
                sensor,
                device=seen.device,
                codec=self._codec(sensor, seen),
                rate_hz=self.config.rate_for(sensor),
                backend=self.backend,
                clock=self.clock,
                connect_lock=self._connect_lock,
                deliver=self._deliver,
                on_gap=self._gap,
                connect_timeout_s=self.config.connect_timeout_s,
                reconnect=self.config.reconnect,
                reconnect_give_up_s=self.config.reconnect_give_up_s,
                aligner_config=self.aligner_config,
                hold_start=True,
            )
        try:
            # every sensor connected before any streams: a connection then never waits
            # behind the other sensors' data (on a busy host, or a busy radio)
            for link in self.links.values():
                await link.start(stream=False)
            for link in self.links.values():
                await link.start_streaming()
                log.info("%s: streaming from %s", link.placement, link.address)
            await self._settle()
        except BaseException:
            await self.stop()
            raise

    async def _settle(self) -> None:
        """Wait until every sensor's clock fit settled (bounded), then release them together.

        Released in one step, so every held sample reaches the sinks before any later one
        of another sensor: the recorder's rows stay in order.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_SETTLE_MAX_S
        while loop.time() < deadline and not all(link.settled() for link in self.links.values()):
            await asyncio.sleep(_SETTLE_POLL_S)
        unsettled = [p for p, link in self.links.items() if not link.settled()]
        if unsettled:
            log.info("clock fits not settled after %.1f s: %s", START_SETTLE_MAX_S, unsettled)
        for link in self.links.values():
            link.release()

    async def stop(self) -> None:
        """Stop every sensor (stop commands, disconnect) and decode what is still queued.

        One after another: stopped together (round 16, tried), the Linux stack in the BlueZ
        VM check (``.ci/bluez``) failed the stop commands ("Unlikely Error"), timed out two
        HCI disconnections and lost notifications still in flight.
        """
        if self._stopped:
            return
        self._stopped = True
        for link in self.links.values():
            await link.stop()

    async def __aenter__(self) -> LiveSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- during the session --------------------------------------------------------------

    def now_s(self) -> float:
        """Session seconds now."""
        return self.clock.now_s()

    def add_marker(
        self,
        label: str,
        *,
        kind: str = "symptom",
        t_s: float | None = None,
        where: str | None = None,
        what: str | None = None,
    ) -> Marker:
        """Record a symptom/event mark at ``t_s`` (default: now), with where/what if said."""
        marker = Marker(
            t_s=self.now_s() if t_s is None else t_s,
            label=label,
            kind=kind,
            where=where,
            what=what,
        )
        self.markers.append(marker)
        return marker

    def status(self) -> list[SensorStatus]:
        """Every sensor's state, in placement order."""
        return [link.status() for link in self.links.values()]

    def failure(self) -> BaseException | None:
        """The first internal error of a sensor's consumer (a bug or a sink failing), if any."""
        for link in self.links.values():
            if link.failure is not None:
                return link.failure
        return None

    @property
    def streaming(self) -> bool:
        """True while every sensor streams."""
        return bool(self.links) and all(
            link.state is LinkState.STREAMING for link in self.links.values()
        )

    # --- results -------------------------------------------------------------------------

    def recording_columns(self) -> tuple[str, ...]:
        """Canonical columns this session's sensors fill (required + what they carry)."""
        cols = list(REQUIRED_COLUMNS)
        configs = [link.config for link in self.links.values() if link.config is not None]
        if any(c.with_mag for c in configs):
            cols += MAG_COLUMNS
        if any(c.with_quat for c in configs):
            cols += QUAT_COLUMNS
        cols.append(DEVICE_TICKS)
        return tuple(cols)

    def session_meta(
        self,
        *,
        calibration: CalibrationWindows | None = None,
        notes: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> SessionMeta:
        """The sidecar: sensors, calibration windows, markers, gaps and packet statistics."""
        sensors = {
            p: SensorInfo(
                family=str(link.spec.family),
                address=link.address,
                name=link.name,
                rate_hz=link.rate_hz,
            )
            for p, link in self.links.items()
        }
        packets = {p: link.counts() for p, link in self.links.items()}
        clocks = {}
        for p, link in self.links.items():
            if link.aligner is not None:
                st = link.aligner.state
                clocks[p] = {
                    "source": "device" if link.aligner.uses_device_time else "host",
                    "drift_ppm": round(st.drift_ppm, 3),
                    "segments": st.segments,
                }
        more: dict[str, Any] = {"packets": packets, "clock_alignment": clocks}
        battery = {p: link.battery_pct for p, link in self.links.items()}
        if any(v is not None for v in battery.values()):
            more["battery_pct"] = battery  # the last level read, per sensor
        if self.clock_scale != 1.0:
            more["clock_scale"] = self.clock_scale
        more.update(extra or {})
        return SessionMeta(
            started_at=self.started_at.isoformat() if self.started_at else None,
            exercise=self.config.exercise,
            side=self.config.side,
            sensors=sensors,
            calibration=calibration,
            markers=tuple(sorted(self.markers, key=lambda m: m.t_s)),
            gaps=tuple(sorted(self.gaps, key=lambda g: (g.start_s, g.sensor))),
            notes=notes,
            extra=more,
        )
