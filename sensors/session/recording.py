"""Record a live session from start to sidecar: the part of ``stretchguard live`` without a screen.

:func:`record_session` checks the output first (nothing is ever overwritten), starts the
session, opens the recording and its sidecar, starts the guided protocol, pumps the recorder
(and refreshes the sidecar about once a second) until the duration is reached, ``stop`` is
set or the task is cancelled (Ctrl-C), and always stops the sensors and writes the final
sidecar — calibration windows the user completed, markers, gaps and packet statistics.
Displays and the angle pipeline hook in through ``on_tick`` and
:meth:`~sensors.session.live.LiveSession.add_sink`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.recording.streams import SessionMeta
from sensors.session.live import LiveSession
from sensors.session.protocol import GuidedProtocol
from sensors.session.recorder import Recorder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordingResult:
    """What :func:`record_session` wrote: paths, the sidecar content and how it ended."""

    csv_path: Path
    sidecar_path: Path
    meta: SessionMeta
    rows: int
    ended_by: str
    duration_s: float
    after_end: Mapping[str, int] = field(default_factory=dict)
    """Per sensor, samples that arrived after the recording's end (while stopping): not
    written."""


# long: half of it is the parameters' docstring; the try/finally must hold the start, the
# recorder and the final sidecar together so every exit stops the sensors and writes the
# sidecar (the tick loop is already its own function, _record_until)
async def record_session(
    session: LiveSession,
    out: str | Path,
    *,
    duration_s: float | None = None,
    protocol: GuidedProtocol | None = None,
    stop: asyncio.Event | None = None,
    on_streaming: Callable[[], Any] | None = None,
    on_tick: Callable[[], Any] | None = None,
    tick_s: float = 0.1,
    notes: str | None = None,
    extra: dict[str, Any] | None = None,
) -> RecordingResult:
    """Run ``session`` and record it to ``out`` (CSV) and its sidecar.

    Parameters
    ----------
    session
        A session not started yet.
    out
        The recording path (``NAME.csv``); it and ``NAME.json`` must not exist.
    duration_s
        Session seconds to record after the protocol starts (None: until ``stop``). No sample
        later than that is written: what arrives while the sensors are being stopped —
        seconds of stop commands and disconnections, hundreds of session seconds at a
        virtual ``--speed 50`` — is counted per sensor in the sidecar's
        ``recorder.after_end``, and gaps are cut there. (A recording ended by ``stop`` keeps
        every sample received.)
    protocol
        The guided prompts (default: stand 5 s, move 15 s, exercise).
    stop
        Set it to end the recording.
    on_streaming
        Called once every sensor streams, just as the protocol starts (virtual sensors
        start their scripted movement here).
    on_tick
        Called every ``tick_s`` real seconds while recording (display refresh).
    extra
        More sidecar extras, read at every sidecar write (a caller may add to it, e.g.
        the signal that stopped the recording).
    """
    protocol = protocol or GuidedProtocol()
    # flushes and sidecar updates keep pace with the session clock when it runs faster than
    # real time (virtual sensors), so a kill loses the same session seconds at any speed
    pace = 1.0 / max(1.0, session.clock.scale)
    recorder = Recorder(
        out,
        clock=session.clock,
        flush_interval_s=0.1 * pace,
        sidecar_interval_s=max(0.1, 1.0 * pace),
    )
    session.add_sink(recorder)
    ended_by = "duration"
    start_s = 0.0
    pump: asyncio.Task[None] | None = None
    streamed = False

    def meta_now(ended: str) -> SessionMeta:
        now = session.now_s() if recorder.end_s is None else min(session.now_s(), recorder.end_s)
        meta = session.session_meta(
            calibration=protocol.calibration(now),
            notes=notes,
            extra={**(extra or {}), **protocol.sidecar_extra(), "ended_by": ended},
        )
        return meta if recorder.end_s is None else _gaps_until(meta, recorder.end_s)

    try:
        await session.start()
        streamed = True
        recorder.open(session.recording_columns(), meta=meta_now("unfinished"))
        start_s = session.now_s()
        protocol.start(start_s)
        if duration_s is not None:
            recorder.end_at(start_s + duration_s)  # nothing later is written, however late
        if on_streaming is not None:
            on_streaming()
        pump = asyncio.get_running_loop().create_task(recorder.run(interval_s=0.1 * pace))
        ended_by = await _record_until(
            session,
            recorder,
            meta_now,
            start_s=start_s,
            duration_s=duration_s,
            stop=stop,
            on_tick=on_tick,
            tick_s=tick_s,
        )
    except asyncio.CancelledError:
        ended_by = "interrupted"
        raise
    finally:
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        await asyncio.shield(session.stop())
        end_s = session.now_s()
        meta = meta_now(ended_by)
        # a session that never streamed leaves no file behind
        side = recorder.finish(meta) if streamed else None
        log.info("recording ended (%s) after %.1f s", ended_by, end_s - start_s)
    assert side is not None
    return RecordingResult(
        csv_path=recorder.path,
        sidecar_path=side,
        meta=meta,
        rows=recorder.rows_written,
        ended_by=ended_by,
        duration_s=(end_s if recorder.end_s is None else min(end_s, recorder.end_s)) - start_s,
        after_end=dict(recorder.after_end),
    )


def _gaps_until(meta: SessionMeta, end_s: float) -> SessionMeta:
    """``meta`` with its gaps cut at ``end_s`` (the recording's end: nothing after it)."""
    gaps = tuple(
        dataclasses.replace(g, end_s=min(g.end_s, round(end_s, 6)))
        for g in meta.gaps
        if g.start_s < end_s
    )
    return meta if gaps == meta.gaps else dataclasses.replace(meta, gaps=gaps)


async def _record_until(
    session: LiveSession,
    recorder: Recorder,
    meta_now: Callable[[str], SessionMeta],
    *,
    start_s: float,
    duration_s: float | None,
    stop: asyncio.Event | None,
    on_tick: Callable[[], Any] | None,
    tick_s: float,
) -> str:
    """Tick (display, sidecar refresh) until the duration is over or ``stop`` is set.

    The duration ends ``duration_s`` session seconds after ``start_s``. Returns
    ``"duration"`` or ``"stopped"``; a sensor's failure is raised.
    """
    while True:
        if on_tick is not None:
            on_tick()
        if recorder.sidecar_due():
            recorder.update_sidecar(meta_now("unfinished"))
        failure = session.failure()
        if failure is not None:
            raise failure
        if stop is not None and stop.is_set():
            return "stopped"
        if duration_s is not None and session.now_s() - start_s >= duration_s:
            return "duration"
        await asyncio.sleep(tick_s)
