"""What a virtual sensor measures: a sample stream on a regular grid, and the shared world clock.

A :class:`SampleSource` holds one placement's samples on the grid ``t_s = k / rate_hz``
(scenario time, seconds). A virtual sensor streaming at that rate sends sample ``k`` when its
own clock reaches it; before the scenario starts (the world is still at rest, waiting for the
session) it measures the first second over and over — the wearer standing still, with the
sensor's noise (``sensors.virtual.sensor.STILL_LOOP_S``).

The :class:`WorldClock` is the scenario time all sensors of one rig share. It runs ``speed``
times faster than real time (tests use ``speed > 1``; the session's clock then runs with the
same scale so recorded rates stay right) and only starts when :meth:`WorldClock.start` is
called, so a session can start its guided protocol exactly when the scripted movement starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from analysis.angles.rotations import conjugate, from_rotation, rotate
from analysis.recording.schema import (
    ACC_COLUMNS,
    GRAVITY_M_S2,
    GYR_COLUMNS,
    MAG_COLUMNS,
    QUAT_COLUMNS,
    SENSOR,
    T_S,
)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SampleSource:
    """One sensor's measured samples on a regular grid (sensor frame, SI units).

    Attributes
    ----------
    rate_hz
        Grid rate: sample ``k`` is measured at scenario time ``k / rate_hz`` seconds.
    acc_m_s2, gyr_rad_s
        ``(K, 3)`` specific force (m/s², +9.81 on the up axis at rest) and angular rate (rad/s).
    mag_ut, quat
        ``(K, 3)`` magnetic field (µT) and ``(K, 4)`` scalar-first orientation sensor → earth,
        or None.
    """

    rate_hz: float
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_ut: FloatArray | None = None
    quat: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.acc_m_s2.shape[0]
        if n == 0 or self.acc_m_s2.shape != (n, 3) or self.gyr_rad_s.shape != (n, 3):
            raise ValueError("a sample source needs (K, 3) acc and gyro arrays with K > 0")
        if self.mag_ut is not None and self.mag_ut.shape != (n, 3):
            raise ValueError("mag_ut must be (K, 3) like acc")
        if self.quat is not None and self.quat.shape != (n, 4):
            raise ValueError("quat must be (K, 4) like acc")
        if not self.rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {self.rate_hz!r}")

    def __len__(self) -> int:
        return int(self.acc_m_s2.shape[0])

    @property
    def duration_s(self) -> float:
        """Scenario length covered, ``K / rate_hz``."""
        return len(self) / self.rate_hz

    def index_at(self, scenario_t_s: float) -> int:
        """Grid index of the sample measured at ``scenario_t_s`` (clamped to the source).

        Before the start the first sample (index 0) is returned; after the end, the last.
        """
        if not scenario_t_s > 0:
            return 0
        k = round(scenario_t_s * self.rate_hz)
        return min(k, len(self) - 1)

    @classmethod
    def from_samples(cls, samples: pd.DataFrame, placement: str, *, rate_hz: float) -> SampleSource:
        """The ``placement`` rows of a canonical sample table, taken as sample ``k`` = row ``k``.

        The table should be on a regular grid at ``rate_hz`` (a simulator run without clock
        errors or dropped samples); its ``t_s`` values are not used beyond ordering.
        """
        rows = samples[samples[SENSOR].astype(str) == placement].sort_values(T_S, kind="stable")
        if rows.empty:
            raise ValueError(f"no samples for sensor {placement!r}")

        def block(cols: tuple[str, ...]) -> FloatArray | None:
            if not all(c in rows.columns for c in cols):
                return None
            arr = rows[list(cols)].to_numpy(dtype=np.float64)
            return None if np.isnan(arr).any() else arr

        acc, gyr = block(ACC_COLUMNS), block(GYR_COLUMNS)
        if acc is None or gyr is None:
            raise ValueError(f"sensor {placement!r}: acc/gyro columns missing or NaN")
        return cls(
            rate_hz=rate_hz,
            acc_m_s2=acc,
            gyr_rad_s=gyr,
            mag_ut=block(MAG_COLUMNS),
            quat=block(QUAT_COLUMNS),
        )


class WorldClock:
    """Scenario time shared by a rig's virtual sensors.

    ``world_s()`` runs continuously from creation at ``speed`` × real time (device clocks derive
    from it); ``scenario_s()`` is negative until :meth:`start` (or the first stream, with
    ``start_with_first_stream``) and then advances with the world.
    """

    def __init__(
        self,
        *,
        speed: float = 1.0,
        start_with_first_stream: bool = False,
        host_ns: Callable[[], int] | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        self.speed = speed
        self.start_with_first_stream = start_with_first_stream
        loop = asyncio.get_running_loop()
        self.host_ns = host_ns
        """The host clock (ns) the world runs on; None: the event loop's."""
        self._host_s = loop.time if host_ns is None else (lambda: host_ns() * 1e-9)
        """Real seconds now: the event loop's monotonic clock, or the session's paced one."""
        self._origin = self._host_s()
        self._scenario_origin_s: float | None = None
        self._replays: list[tuple[float, float]] = []
        """``(from world s, scenario origin world s)`` of each replay, in order."""
        self.started = asyncio.Event()

    def world_s(self) -> float:
        """Seconds of world time since the clock was made (``speed`` × real seconds)."""
        return (self._host_s() - self._origin) * self.speed

    def start(self) -> float:
        """Start the scenario now (idempotent); return the world time at which it started."""
        if self._scenario_origin_s is None:
            self._scenario_origin_s = self.world_s()
            self.started.set()
        return self._scenario_origin_s

    def stream_started(self) -> None:
        """Note that a sensor started streaming; may start the scenario.

        The scenario starts if the clock was made with ``start_with_first_stream`` (sensors
        served to another process, which cannot call :meth:`start`).
        """
        if self.start_with_first_stream:
            self.start()

    def scenario_s(self, world_s: float) -> float:
        """Scenario time at world time ``world_s`` (``-inf`` before the start)."""
        if self._scenario_origin_s is None:
            return float("-inf")
        origin = self._scenario_origin_s
        for from_s, replay_origin in self._replays:
            if world_s < from_s:
                break
            origin = replay_origin
        return world_s - origin

    def replay(self, world_s: float, scenario_t_s: float) -> None:
        """From world time ``world_s`` on, go on with the script from ``scenario_t_s``.

        The wearer does part of the script again (e.g. the movements, when the guide asks
        for them once more). Samples measured before ``world_s`` keep the script as it was;
        ``world_s`` must not precede the start or an earlier replay.
        """
        if self._scenario_origin_s is None:
            raise ValueError("the scenario has not started")
        last_s = self._replays[-1][0] if self._replays else self._scenario_origin_s
        if world_s < last_s:
            raise ValueError(f"a replay at world {world_s:.3f} s precedes {last_s:.3f} s")
        self._replays.append((world_s, world_s - scenario_t_s))

    def real_s(self, world_dt_s: float) -> float:
        """Real seconds for a world interval."""
        return world_dt_s / self.speed


class PacedHostClock:
    """Host time of virtual sensors sharing a process with the session: paced by the loop.

    Real sensors measure in real time however busy the host is; virtual ones in the same
    process as the session only measure when the process runs, and a host too busy to
    process the stream at ``speed`` would fall behind without bound, so that what a test
    sees depends on the load. Here a step of the event loop advances time by at most
    ``max_step_s``: while the loop keeps up (rounds shorter than that) this is the monotonic
    clock itself; a starved or blocked loop slows the world, the sensors and the session
    clock alike, so every part sees the same session, only later. :meth:`run` paces it.

    A loop that keeps up can still be behind: the sensors' notifications may wait in their
    BLE stacks faster than the link carries them (``--speed 50``: thousands of packets,
    tens of world seconds, which every later packet — a stop command's answer too — waited
    behind). ``hold`` (e.g. :meth:`~sensors.virtual.rig.VirtualRig.backlogged`) is asked at
    every pace: while it says so, time stands still (counted in ``slowed_ns``), so the
    world waits for the link as it waits for a starved loop.
    """

    def __init__(
        self,
        *,
        max_step_s: float = 0.02,
        period_s: float = 0.005,
        hold: Callable[[], bool] | None = None,
    ) -> None:
        self.max_step_ns = round(max_step_s * 1e9)
        self.period_s = period_s
        self.hold = hold
        """Asked at every pace: True holds time still until the next pace (None: never)."""
        self._real_ns = time.monotonic_ns()
        self._base_ns = self._real_ns
        self._held = False
        self.slowed_ns = 0
        """Real time the clock has fallen behind the monotonic one (ns)."""

    def now_ns(self) -> int:
        """Paced monotonic time (ns): never more than one step past the last pace."""
        if self._held:
            return self._base_ns
        return self._base_ns + min(time.monotonic_ns() - self._real_ns, self.max_step_ns)

    def pace(self) -> None:
        """Advance by the real time since the last pace, at most one step (none while held)."""
        real = time.monotonic_ns()
        step = 0 if self._held else min(real - self._real_ns, self.max_step_ns)
        self.slowed_ns += real - self._real_ns - step
        self._base_ns += step
        self._real_ns = real
        self._held = self.hold is not None and bool(self.hold())

    async def run(self) -> None:
        """Pace every ``period_s`` (or as soon as the loop gets to it) until cancelled."""
        while True:
            await asyncio.sleep(self.period_s)
            self.pace()


def synthetic_source(
    rate_hz: float, duration_s: float, *, seed: int = 0, with_mag: bool = True
) -> SampleSource:
    """A smooth, physically plausible test signal (not a biomechanical model).

    The sensor sways about its x and y axes (a few degrees, 0.2–1 Hz) and turns slowly
    about z; ``quat`` is that orientation (sensor → earth), ``acc_m_s2`` the specific force
    of gravity in the sensor frame plus a small sinusoidal acceleration, ``gyr_rad_s`` the
    angle rates, ``mag_ut`` an earth field of (0, 20, −44) µT in the sensor frame. Seeded.
    """
    rng = np.random.default_rng(seed)
    n = max(1, round(duration_s * rate_hz))
    t = np.arange(n) / rate_hz
    amp = np.deg2rad(rng.uniform(3.0, 15.0, size=3))
    freq = rng.uniform(0.2, 1.0, size=3)
    phase = rng.uniform(0.0, 2 * np.pi, size=3)
    ang = amp * np.sin(2 * np.pi * freq * t[:, None] + phase)
    rate = amp * 2 * np.pi * freq * np.cos(2 * np.pi * freq * t[:, None] + phase)
    q_E_S = from_rotation(Rotation.from_euler("xyz", ang))
    q_S_E = conjugate(q_E_S)
    sway = 0.3 * np.sin(2 * np.pi * 1.3 * t)[:, None] * np.array([1.0, 0.5, 0.2])
    acc = rotate(q_S_E, np.array([0.0, 0.0, GRAVITY_M_S2])) + sway
    mag = rotate(q_S_E, np.array([0.0, 20.0, -44.0])) if with_mag else None
    return SampleSource(rate_hz=rate_hz, acc_m_s2=acc, gyr_rad_s=rate, mag_ut=mag, quat=q_E_S)
