"""The recorder: a live session's samples to a canonical recording, as they arrive.

Rows leave sorted by ``t_s`` across sensors: each sample waits in a heap until the session
clock has moved ``hold_s`` past it (later samples of other sensors can still arrive before
it), then it is appended with :class:`~sensors.formats.canonical.CanonicalAppender`. The file
is flushed to the operating system every ``flush_interval_s`` of real time, so a killed
process loses at most ``hold_s`` session seconds plus ``flush_interval_s`` real seconds of
data. A sample that arrives after rows later than it were written (BLE delivered it more
than ``hold_s`` late) is still written, out of order, and counted in ``late_rows``; readers
sort.

The sidecar (``NAME.json``) is written when the CSV is opened (sensors, exercise, side,
start time) and replaced atomically while recording, at most every ``sidecar_interval_s``
and only when its content changed (calibration windows, markers, gaps, packet statistics),
so a killed process leaves a sidecar at most a second or two old (``ended_by``:
``unfinished``). :meth:`Recorder.finish` writes what is left and the final sidecar. Neither
file is ever overwritten: both are checked when the recorder is made and created
exclusively (the sidecar's updates go through a new temporary file, see
:func:`~sensors.formats.canonical.write_sidecar`).
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
from analysis.recording.schema import (
    ACC_COLUMNS,
    DEVICE_TICKS,
    GYR_COLUMNS,
    MAG_COLUMNS,
    QUAT_COLUMNS,
    REQUIRED_COLUMNS,
    SENSOR,
    T_S,
)
from analysis.recording.streams import Gap, SessionMeta
from sensors.formats.canonical import (
    CanonicalAppender,
    sidecar_bytes,
    sidecar_path,
    write_sidecar,
)
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
    sidecar_interval_s
        Real seconds between two updates of the sidecar while recording (at most).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: SessionClock,
        hold_s: float = 0.5,
        flush_interval_s: float = 0.1,
        sidecar_interval_s: float = 1.0,
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
        self.sidecar_interval_s = sidecar_interval_s
        self.sidecar_updates = 0
        self._sidecar_written: bytes | None = None
        self._last_sidecar = -math.inf
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
        self.end_s: float | None = None
        """Session time the recording ends at (:meth:`end_at`); None: every sample is written."""
        self.after_end: dict[str, int] = {}
        """Per sensor, samples that arrived after :attr:`end_s` (not written)."""

    # --- lifecycle -----------------------------------------------------------------------

    def open(
        self,
        columns: Sequence[str] = (*REQUIRED_COLUMNS, DEVICE_TICKS),
        meta: SessionMeta | None = None,
    ) -> None:
        """Create the CSV with ``columns`` and, with ``meta``, the first sidecar.

        Samples received before are kept and written. If the sidecar cannot be created (its
        name was taken meanwhile) the CSV just created is removed and OutputExistsError raised.
        """
        if self._appender is not None:
            return
        self._appender = CanonicalAppender(self.path, columns=columns)
        self._columns = self._appender.columns
        self._appender.flush()
        self._last_flush = time.monotonic()
        if meta is not None:
            try:
                self.update_sidecar(meta, force=True)
            except BaseException:
                self._appender.close()
                self._appender = None
                self.path.unlink()
                raise

    def sidecar_due(self) -> bool:
        """True when the last sidecar update is ``sidecar_interval_s`` old (or none yet)."""
        return time.monotonic() - self._last_sidecar >= self.sidecar_interval_s

    def update_sidecar(self, meta: SessionMeta, *, force: bool = False) -> bool:
        """Write ``meta`` (plus the recorder's counters) as the sidecar; True if written.

        It is written if it changed and the last update is ``sidecar_interval_s`` old, or
        with ``force``.

        The first write creates the sidecar exclusively; later ones replace it atomically.
        """
        now = time.monotonic()
        if not force and not self.sidecar_due():
            return False
        full = self._with_counters(meta)
        data = sidecar_bytes(full)
        if data == self._sidecar_written:
            return False
        first = self._sidecar_written is None
        # synced when created and at the end; the updates in between only need to survive
        # the process (the kernel keeps what was written), so they skip the slow fsync
        write_sidecar(self.path, full, replace=not first, sync=first or force)
        self._sidecar_written = data
        self._last_sidecar = now
        self.sidecar_updates += 1
        return True

    def _with_counters(self, meta: SessionMeta) -> SessionMeta:
        extra = dict(meta.extra)
        counters: dict[str, Any] = {"rows": self.rows_written, "late_rows": self.late_rows}
        if self.end_s is not None:
            counters.update(end_s=round(self.end_s, 6), after_end=dict(self.after_end))
        extra["recorder"] = counters
        return replace(meta, extra=extra)

    def end_at(self, t_s: float) -> None:
        """End the recording at session time ``t_s``: no sample later than it is written.

        What still arrives while the sensors are being stopped (seconds of stop commands and
        disconnections, many session seconds when the session clock runs faster than real
        time) is counted per sensor in :attr:`after_end`, not written.
        """
        self.end_s = t_s
        kept = []
        for item in self._heap:
            if item[0] <= t_s:
                kept.append(item)
            else:
                self._count_after_end(item[2][SENSOR], 1)
        heapq.heapify(kept)
        self._heap = kept

    @property
    def after_end_rows(self) -> int:
        """Samples that arrived after :attr:`end_s`, all sensors (not written)."""
        return sum(self.after_end.values())

    def _count_after_end(self, placement: str, n: int) -> None:
        self.after_end[placement] = self.after_end.get(placement, 0) + n

    def finish(self, meta: SessionMeta | None = None) -> Path | None:
        """Write every held row, close the CSV and write the final sidecar (``meta``).

        Idempotent. Returns the sidecar path, or None without ``meta``.
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
        self.update_sidecar(meta, force=True)
        return sidecar_path(self.path)

    # --- SessionSink ---------------------------------------------------------------------

    def on_samples(self, batch: AlignedBatch) -> None:
        """Queue a batch's rows (written once the clock is ``hold_s`` past them)."""
        if self._finished:
            return
        heap, seq, end_s = self._heap, self._seq, self.end_s
        for i in range(len(batch)):
            if end_s is not None and batch.t_s[i] > end_s:
                self._count_after_end(batch.placement, 1)
                continue
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
