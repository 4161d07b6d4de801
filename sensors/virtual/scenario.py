"""Virtual sensors driven by the simulator's scenarios, and a whole virtual recording.

:func:`scenario_sources` simulates a scenario (``analysis.simulation``) once per sample rate
the sensors' families stream at, with the simulator's IMU errors (noise, biases, soft
tissue) but without its clock errors, jitter and dropouts: a virtual sensor has its own
device clock and the BLE link is where samples get lost. :func:`record_virtual_session` is
``stretchguard live --virtual`` without a screen: a rig on a fresh air, a live session over
the bumble backend, the recorder, and the guided protocol timed like the scenario's script,
so the recording's calibration windows are the simulated ones (shifted to session time).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.recording.streams import SessionMeta
from analysis.simulation import ImuErrorModel, SimulatedSession, SimulationConfig, simulate
from sensors.ble.air import VirtualAir
from sensors.ble.backend import bumble_backend
from sensors.families import codec_for
from sensors.families.base import Family, StreamRequest
from sensors.session.config import SessionConfig
from sensors.session.live import LiveSession
from sensors.session.protocol import GuidedProtocol, default_steps, steps_from_windows
from sensors.session.recording import RecordingResult, record_session
from sensors.virtual.rig import MIXED_FAMILIES, VirtualRig
from sensors.virtual.sensor import Faults
from sensors.virtual.source import PacedHostClock, SampleSource, WorldClock

VIRTUAL_SENSOR_ERRORS = dataclasses.replace(
    ImuErrorModel(),
    clock_drift_sigma_ppm=0.0,
    start_offset_max_s=0.0,
    jitter_sigma_s=0.0,
    drop_probability=0.0,
    burst_rate_per_min=0.0,
)
"""The simulator's default IMU errors minus its clock and sample-loss errors (see above)."""


VIRTUAL_TIMEOUT_S = 20.0
"""Scan and connect bound (real seconds) of a virtual session's sensors."""


@dataclass(frozen=True)
class ScenarioSources:
    """What each virtual sensor of a scenario measures, with the simulations behind it.

    ``simulated`` maps each sample rate to the simulation at that rate (all rates share the
    scripted movement: the plan depends on the seed, not the rate); ``meta`` is the
    scenario's own sidecar (calibration windows and markers in scenario seconds).
    """

    scenario: str
    sources: Mapping[str, SampleSource]
    simulated: Mapping[float, SimulatedSession]
    meta: SessionMeta


def scenario_sources(
    scenario: str,
    families: Mapping[str, Family],
    *,
    seed: int = 0,
    rates_hz: Mapping[str, float] | None = None,
    errors: ImuErrorModel = VIRTUAL_SENSOR_ERRORS,
    duration_s: float | None = None,
    with_mag: bool = False,
) -> ScenarioSources:
    """Simulate ``scenario`` for the placements in ``families``.

    Each placement is simulated at ``rates_hz[placement]`` if given, else at its family's
    nearest supported rate to the default (the rate the session will configure).
    """
    by_rate: dict[float, list[str]] = {}
    for placement, family in families.items():
        codec = codec_for(family)
        requested = (rates_hz or {}).get(placement)
        rate = codec.configure(StreamRequest(requested)).rate_hz
        by_rate.setdefault(rate, []).append(placement)
    simulated: dict[float, SimulatedSession] = {}
    sources: dict[str, SampleSource] = {}
    for rate, placements in sorted(by_rate.items()):
        sim = simulate(
            scenario,
            config=SimulationConfig(
                rate_hz=rate,
                sensors=tuple(placements),
                seed=seed,
                errors=errors,
                duration_s=duration_s,
                with_mag=with_mag,
            ),
        )
        simulated[rate] = sim
        for p in placements:
            sources[p] = SampleSource.from_samples(sim.samples, p, rate_hz=rate)
    meta = next(iter(simulated.values())).meta
    return ScenarioSources(scenario=scenario, sources=sources, simulated=simulated, meta=meta)


def scenario_protocol(meta: SessionMeta) -> GuidedProtocol:
    """Guided prompts timed like the scenario's calibration windows (default steps if none)."""
    cal = meta.calibration
    if cal is not None and cal.static_s is not None and cal.functional_s is not None:
        return GuidedProtocol(steps_from_windows(cal.static_s, cal.functional_s))
    return GuidedProtocol(default_steps())


@dataclass(frozen=True)
class VirtualSessionResult:
    """A virtual recording and everything behind it (for tests and demos)."""

    recording: RecordingResult
    rig: VirtualRig
    scenario: ScenarioSources
    world_start_s: float
    """World time at which the scripted movement started (scenario time 0)."""
    scenario_start_s: float
    """Session time (the recording's ``t_s``) of scenario time 0: ``t_s = scenario_t +
    scenario_start_s``, for comparing the recording with the simulation's truth."""
    slowed_s: float = 0.0
    """Real seconds the paced world waited for this process (``PacedHostClock.slowed_ns``;
    0 unpaced): the session ran that much later than ``speed`` asks."""


def _virtual_session_config(
    rig: VirtualRig, sources: ScenarioSources, rates_hz: Mapping[str, float] | None
) -> SessionConfig:
    """The session configuration for the rig's sensors (each at ``rates_hz`` when given)."""
    # generous bounds: on a loaded machine the in-process stack on both sides of the
    # virtual link is slow to scan and connect (an absent sensor is tested elsewhere)
    config = rig.session_config(
        scan_timeout_s=VIRTUAL_TIMEOUT_S,
        connect_timeout_s=VIRTUAL_TIMEOUT_S,
        exercise=sources.meta.exercise,
        side=sources.meta.side,
    )
    if rates_hz:
        config = dataclasses.replace(
            config,
            sensors=tuple(
                dataclasses.replace(s, rate_hz=rates_hz.get(s.placement)) for s in config.sensors
            ),
        )
    return config


def _host_clock(stack: contextlib.AsyncExitStack) -> PacedHostClock:
    """A paced host clock, paced until ``stack`` closes."""
    host = PacedHostClock()
    stack.callback(asyncio.get_running_loop().create_task(host.run()).cancel)
    return host


async def _session_for(
    rig: VirtualRig, sources: ScenarioSources, rates_hz: Mapping[str, float] | None
) -> LiveSession:
    """Start the rig's sensors; a session for them on the rig's air and host clock."""
    await rig.start()
    backend = await bumble_backend(rig.air)
    return LiveSession(
        _virtual_session_config(rig, sources, rates_hz),
        backend=backend,
        clock_scale=rig.speed,
        settle_s=0.0,
        host_ns=rig.world.host_ns or time.monotonic_ns,
    )


# long: 14 parameters and their docstring; the wearer's closures (markers, movements asked
# again) share the air's and the session's lifetime with the recording
async def record_virtual_session(
    out: str | Path,
    scenario: str,
    *,
    families: Mapping[str, Family] = MIXED_FAMILIES,
    duration_s: float = 20.0,
    speed: float = 5.0,
    seed: int = 0,
    faults: Mapping[str, Faults] | None = None,
    record: bool = False,
    rates_hz: Mapping[str, float] | None = None,
    sources: ScenarioSources | None = None,
    observe: Callable[[LiveSession, GuidedProtocol], Callable[[], None]] | None = None,
    stop: asyncio.Event | None = None,
    extra: dict[str, Any] | None = None,
    protocol: GuidedProtocol | None = None,
    paced: bool = True,
) -> VirtualSessionResult:
    """Record ``duration_s`` session seconds of ``scenario`` from virtual sensors to ``out``.

    Everything runs in the calling event loop on a fresh :class:`VirtualAir`: the rig
    advertises, a :class:`LiveSession` scans, connects (one at a time) and streams through
    the bumble backend, and :func:`record_session` writes the CSV and sidecar. ``speed``
    runs the world (and the session clock) faster than real time; both run on one
    :class:`~sensors.virtual.source.PacedHostClock`, which slows them when this process
    falls behind (a loaded host), so the session is the same at any load (``paced`` False:
    the real monotonic clock, as ``stretchguard live --virtual`` at ``--speed 1`` and the
    latency bench use: there the world runs in real time, as real sensors do; faster, the
    command paces it, and ``slowed_s`` of the result says how long it waited). The virtual wearer
    presses the symptom key where the script has a marker, and does the movements again
    when the guide asks for them (:func:`_do_movements_again`), so what the guide decides
    does not depend on how far behind the session's processing runs.

    ``sources`` reuses a :func:`scenario_sources` result; ``observe(session, protocol)`` is
    called before the session starts and returns a function called every tick while
    recording (a display); setting ``stop`` ends the recording early; ``extra`` goes to the
    sidecar's extras (see :func:`record_session`); ``protocol`` replaces the prompts timed like
    the scenario's calibration windows.
    """
    if sources is None:
        sources = scenario_sources(scenario, families, seed=seed, rates_hz=rates_hz)
    async with contextlib.AsyncExitStack() as stack:
        host = _host_clock(stack) if paced else None
        rig = VirtualRig(
            await stack.enter_async_context(VirtualAir()),
            sources.sources,
            families,
            speed=speed,
            faults=faults,
            seed=seed,
            record=record,
            host_ns=host.now_ns if host is not None else None,
        )
        if host is not None:
            host.hold = rig.backlogged  # the world waits for the link, not only for the loop
        session = await _session_for(rig, sources, rates_hz)
        started: list[float] = []
        pending = sorted(sources.meta.markers, key=lambda m: m.t_s)
        redone: set[float] = set()

        def begin() -> None:
            # called just after the protocol started: scenario time 0 is its start
            started.append(rig.start_world())
            started.append(protocol.start_s if protocol.start_s is not None else session.now_s())

        if protocol is None:
            protocol = scenario_protocol(sources.meta)
        view_tick = observe(session, protocol) if observe is not None else None

        def tick() -> None:
            # the virtual wearer marks symptoms when the script says so
            while started and pending and session.now_s() >= started[1] + pending[0].t_s:
                m = pending.pop(0)
                # the script's mark whole (label, kind, where/what/answer), on the session clock
                session.markers.append(dataclasses.replace(m, t_s=started[1] + m.t_s))
            if view_tick is not None:
                view_tick()
            if started:
                # the wearer starts the movements again as the guide asks for them
                _do_movements_again(protocol, sources.meta, rig.world, started, redone)

        result = await record_session(
            session,
            out,
            duration_s=duration_s,
            protocol=protocol,
            stop=stop,
            on_streaming=begin,
            on_tick=tick,
            notes=f"virtual sensors, scenario {scenario!r}, seed {seed}, speed {speed:g}x",
            extra=extra,
        )
    return VirtualSessionResult(
        recording=result,
        rig=rig,
        scenario=sources,
        world_start_s=started[0] if started else 0.0,
        scenario_start_s=started[1] if started else 0.0,
        slowed_s=host.slowed_ns / 1e9 if host is not None else 0.0,
    )


def _do_movements_again(
    protocol: GuidedProtocol,
    meta: SessionMeta,
    world: WorldClock,
    started: list[float],
    redone: set[float],
) -> None:
    """The virtual wearer's answer to movements asked again: do the script's ones again.

    The wearer follows the script, not the prompts, except here: from the moment the
    movement step asked again starts (its session time, so however late the app judged),
    the world replays the script's movements so that they end with that step (its last
    stretch when the step is shorter than the script's movements), then the script goes on.
    ``started`` is ``[world time, session time]`` of scenario time 0; ``redone`` holds the
    steps already answered (their start, protocol seconds).
    """
    cal = meta.calibration
    if protocol.start_s is None or cal is None or cal.functional_s is None:
        return
    again = [s for s in protocol.steps if s.again and s.end_s is not None]
    if not again or again[-1].start_s in redone:
        return
    step = again[-1]
    assert step.end_s is not None
    redone.add(step.start_s)
    first_s, end_s = cal.functional_s
    world_s = started[0] + (protocol.start_s + step.start_s - started[1])
    world.replay(world_s, max(first_s, end_s - (step.end_s - step.start_s)))


async def serve_virtual_sensors(
    transport: str,
    sources: ScenarioSources,
    families: Mapping[str, Family],
    *,
    speed: float = 1.0,
    seed: int = 0,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
) -> VirtualRig:
    """Serve virtual sensors to another process.

    The rig's air gets one more controller, reached through the bumble HCI ``transport``
    (e.g. ``tcp-server:_:9001``); the other process uses the bumble backend with
    ``tcp-client:127.0.0.1:9001`` as its adapter. The scripted movement starts with the
    first stream. Runs until ``duration_s`` (real seconds) passes or ``stop`` is set.
    """
    async with VirtualAir() as air:
        rig = VirtualRig(
            air, sources.sources, families, speed=speed, seed=seed, start_with_first_stream=True
        )
        await rig.start()
        await air.expose(transport)
        done = stop or asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), duration_s)
    return rig
