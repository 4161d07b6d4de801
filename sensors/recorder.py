"""The recorder: a live session's samples to a canonical recording, as they arrive.

Rows leave sorted by ``t_s`` across sensors: each sample waits in a heap until the session
clock has moved ``hold_s`` past it (later samples of other sensors can still arrive before
it), then it is appended with :class:`~sensors.formats.canonical.CanonicalAppender`. The file
is flushed to the operating system every ``flush_interval_s`` of real time, so a killed
process loses at most ``hold_s / clock scale + flush_interval_s`` ≤ 1 s of data. A sample
that arrives after rows later than it were written (BLE delivered it more than ``hold_s``
late) is still written, out of order, and counted in ``late_rows``; readers sort.

:meth:`Recorder.finish` writes what is left and the sidecar (``NAME.json``). Neither file is
ever overwritten: both are checked when the recorder is made, and the CSV is created
exclusively.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from analysis.errors import OutputExistsError
from analysis.recording import Gap, SessionMeta
from analysis.schema import (
    ACC_COLUMNS,
    DEVICE_TICKS,
    GYR_COLUMNS,
    MAG_COLUMNS,
    QUAT_COLUMNS,
    REQUIRED_COLUMNS,
    SENSOR,
    T_S,
)
from sensors.formats.canonical import CanonicalAppender, sidecar_path, write_sidecar
from sensors.session.clock import SessionClock
from sensors.session.types import AlignedBatch

log = logging.getLogger(__name__)


class Recorder:
    """Write a live session to ``path`` (CSV) and its sidecar.

    Parameters
    ----------
    path
        The recording, ``NAME.csv`` (``.csv.gz`` is not written live).
    clock
        The session clock (for the hold watermark).
    hold_s
        Session seconds a sample waits for slower sensors before it is written.
    flush_interval_s
        Real seconds between flushes to the operating system.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: SessionClock,
        hold_s: float = 0.5,
        flush_interval_s: float = 0.25,
    ) -> None:
        self.path = Path(path)
        if self.path.name.endswith(".gz"):
            raise ValueError("the live recorder writes plain .csv (compress afterwards)")
        for p in (self.path, sidecar_path(self.path)):
            if p.exists():
                raise OutputExistsError(p)
        self.clock = clock
        self.hold_s = hold_s
        self.flush_interval_s = flush_interval_s
        self.rows_written = 0
        self.late_rows = 0
        self.gaps: list[Gap] = []
        self._appender: CanonicalAppender | None = None
        self._columns: tuple[str, ...] | None = None
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = itertools.count()
        self._last_written_t = -math.inf
        self._last_flush = time.monotonic()
        self._finished = False

    # --- lifecycle -----------------------------------------------------------------------

    def open(self, columns: Sequence[str] = (*REQUIRED_COLUMNS, DEVICE_TICKS)) -> None:
        """Create the CSV with ``columns`` (samples received before are kept and written)."""
        if self._appender is not None:
            return
        self._appender = CanonicalAppender(self.path, columns=columns)
        self._columns = self._appender.columns
        self._appender.flush()
        self._last_flush = time.monotonic()

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`finish`."""
        return self._appender is not None

    def finish(self, meta: SessionMeta | None = None) -> Path | None:
        """Write every held row, close the CSV and write the sidecar (``meta``); idempotent.

        Returns the sidecar path, or None without ``meta``.
        """
        if self._finished:
            return None
        self._finished = True
        if self._appender is None:
            self.open()
        self._write_until(math.inf)
        assert self._appender is not None
        self._appender.close()
        self._appender = None
        if meta is None:
            return None
        extra = dict(meta.extra)
        extra["recorder"] = {"rows": self.rows_written, "late_rows": self.late_rows}
        return write_sidecar(self.path, _with_extra(meta, extra))

    # --- SessionSink ---------------------------------------------------------------------

    def on_samples(self, batch: AlignedBatch) -> None:
        """Queue a batch's rows (written once the clock is ``hold_s`` past them)."""
        if self._finished:
            return
        heap, seq = self._heap, self._seq
        for i in range(len(batch)):
            row: dict[str, Any] = {T_S: float(batch.t_s[i]), SENSOR: batch.placement}
            acc, gyr = batch.acc_m_s2[i], batch.gyr_rad_s[i]
            for j, c in enumerate(ACC_COLUMNS):
                row[c] = float(acc[j])
            for j, c in enumerate(GYR_COLUMNS):
                row[c] = float(gyr[j])
            if batch.mag_ut is not None:
                for j, c in enumerate(MAG_COLUMNS):
                    row[c] = float(batch.mag_ut[i, j])
            if batch.quat is not None:
                for j, c in enumerate(QUAT_COLUMNS):
                    row[c] = float(batch.quat[i, j])
            if batch.device_ticks is not None:
                row[DEVICE_TICKS] = batch.device_ticks[i]
            heapq.heappush(heap, (row[T_S], next(seq), row))

    def on_gap(self, gap: Gap) -> None:
        """Gaps go to the sidecar through the session's metadata; kept here for reference."""
        self.gaps.append(gap)

    # --- writing -------------------------------------------------------------------------

    def pump(self) -> int:
        """Write rows older than the hold window; flush when due. Returns rows written."""
        if self._appender is None or self._finished:
            return 0
        n = self._write_until(self.clock.now_s() - self.hold_s)
        now = time.monotonic()
        if now - self._last_flush >= self.flush_interval_s:
            self._appender.flush()
            self._last_flush = now
        return n

    async def run(self, *, interval_s: float = 0.1) -> None:
        """Pump every ``interval_s`` real seconds until cancelled."""
        while True:
            self.pump()
            await asyncio.sleep(interval_s)

    def _write_until(self, watermark_s: float) -> int:
        heap = self._heap
        out = []
        while heap and heap[0][0] < watermark_s:
            t, _, row = heapq.heappop(heap)
            if t < self._last_written_t:
                self.late_rows += 1
            else:
                self._last_written_t = t
            out.append(row)
        if out:
            assert self._appender is not None
            self._appender.append(out)
            self.rows_written += len(out)
        return len(out)


def _with_extra(meta: SessionMeta, extra: dict[str, Any]) -> SessionMeta:
    return replace(meta, extra=extra)
