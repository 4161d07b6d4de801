"""A set of virtual sensors worn on one simulated person, sharing one air and one world clock.

:class:`VirtualRig` puts one :class:`~sensors.virtual.sensor.VirtualSensor` per placement on
a :class:`~sensors.ble.air.VirtualAir`, each of its own family, each measuring its
placement's :class:`~sensors.virtual.source.SampleSource`, with its own device clock (seeded
offset and crystal drift, so clock alignment has something to do). :meth:`session_config`
gives the matching session configuration (sensors by address).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from sensors.ble.air import VirtualAir
from sensors.families import codec_for
from sensors.families.base import Family
from sensors.session.config import SensorAssignment, SessionConfig
from sensors.virtual.sensor import Faults, VirtualSensor
from sensors.virtual.source import SampleSource, WorldClock

MIXED_FAMILIES: Final[Mapping[str, Family]] = MappingProxyType(
    {
        "pelvis": Family.POLAR_PMD,
        "right_thigh": Family.METAWEAR,
        "right_shank": Family.MOVESENSE,
        "right_foot": Family.MOVELLA_DOT,
    }
)
"""The default virtual set-up: four placements, four families."""


class VirtualRig:
    """Virtual sensors of several families on one air, driven by one world clock.

    Parameters
    ----------
    air
        The in-process radio.
    sources
        What each placement measures.
    families
        The family of each placement's sensor (keys as ``sources``).
    speed
        World seconds per real second.
    faults
        Faults per placement (default none).
    seed
        Seeds the device clocks (offset 100–5000 s, drift within ±40 ppm).
    record
        Keep every sent notification (tests).
    adv_interval_ms
        Advertising interval of every sensor (real sensors: 20 ms to 1 s).
    start_with_first_stream
        Start the scripted movement when the first sensor starts streaming (sensors served
        to another process); otherwise :meth:`start_world` starts it.
    host_ns
        The world's real time in ns (default the event loop's clock; a session in the same
        process may share a :class:`~sensors.virtual.source.PacedHostClock`).
    """

    def __init__(
        self,
        air: VirtualAir,
        sources: Mapping[str, SampleSource],
        families: Mapping[str, Family],
        *,
        speed: float = 1.0,
        faults: Mapping[str, Faults] | None = None,
        seed: int = 0,
        record: bool = False,
        start_with_first_stream: bool = False,
        adv_interval_ms: float = 20.0,
        host_ns: Callable[[], int] | None = None,
    ) -> None:
        missing = sorted(set(sources) - set(families))
        if missing:
            raise ValueError(f"no family given for {missing}")
        self.air = air
        self.world = WorldClock(
            speed=speed, start_with_first_stream=start_with_first_stream, host_ns=host_ns
        )
        rng = np.random.default_rng(seed)
        self.sensors: dict[str, VirtualSensor] = {}
        for placement, source in sources.items():
            self.sensors[placement] = VirtualSensor(
                air,
                codec_for(families[placement]),
                source,
                world=self.world,
                device_clock_offset_s=float(rng.uniform(100.0, 5000.0)),
                drift_ppm=float(rng.uniform(-40.0, 40.0)),
                faults=(faults or {}).get(placement),
                record=record,
                adv_interval_ms=adv_interval_ms,
            )

    @property
    def speed(self) -> float:
        """World seconds per real second."""
        return self.world.speed

    async def start(self) -> None:
        """Switch every sensor on (advertising)."""
        for sensor in self.sensors.values():
            await sensor.start()

    def backlogged(self) -> bool:
        """True while a sensor's notifications wait in its BLE stack (its link is behind).

        A paced world holds still meanwhile (``PacedHostClock(hold=rig.backlogged)``): the
        sensors measure only what the link carries, as at a slower ``speed``.
        """
        return any(s.backlog_packets() > 0 for s in self.sensors.values())

    def start_world(self) -> float:
        """Start the scripted movement now; returns the world time it started at."""
        return self.world.start()

    async def close(self) -> None:
        """Switch every sensor off."""
        for sensor in self.sensors.values():
            await sensor.close()

    def session_config(self, **options: Any) -> SessionConfig:
        """A session configuration for these sensors (by address)."""
        sensors = tuple(
            SensorAssignment(placement=p, address=s.address) for p, s in self.sensors.items()
        )
        return SessionConfig(sensors=sensors, **options)
