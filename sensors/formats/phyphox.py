"""phyphox CSV exports (a phone's own IMU, or a BLE device read by a phyphox experiment).

Column names come from the official experiment definitions (``accelerometer.phyphox``,
``gyroscope.phyphox``, ``magnetometer.phyphox``, ``linear_accelerometer.phyphox``)::

    "Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)",
    "Absolute acceleration (m/s^2)"
    "Time (s)","Gyroscope x (rad/s)",…        "Time (s)","Magnetic Field x (µT)",…

``Time (s)`` is seconds since the experiment started (pauses not counted). The export is a
ZIP (or its unpacked folder) with one CSV per export set and ``meta/time.csv`` holding the
START/PAUSE events with the phone's Unix time (``"event","experiment time","system time",
"system time text"``); with it, experiment time is mapped to Unix time (and pauses become
gaps), so phyphox files line up with other wall-clock sources. The user chooses the separator
(comma, tab, semicolon) and decimal mark (point or comma); all are read. Values are already SI.
"Acceleration without g" (linear acceleration) is not a specific force and is not imported.
Layout details beyond the column names are UNVERIFIED against a real export (no sample file).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from analysis.errors import RecordingFormatError
from analysis.recording import inputs
from sensors.formats.canonical import read_file_bytes
from sensors.formats.vendor import (
    ClockGap,
    FloatArray,
    VendorStream,
    check_increasing,
    checked_rate,
    csv_cells,
    decode_text,
    find_clock_gaps,
    line_at,
    long_plain_text,
    parse_table,
    split_header,
)

FORMAT = "phyphox"
TIME_COLUMN = "Time (s)"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
"""An archive without members starts with its end record."""

_VECTOR_RE: Mapping[str, re.Pattern[str]] = {
    "acc": re.compile(r"^Acceleration ([xyz]) \((m/s\^2|m/s²)\)$", re.IGNORECASE),
    "linear": re.compile(r"^Linear Acceleration ([xyz]) \((m/s\^2|m/s²)\)$", re.IGNORECASE),
    "gyr": re.compile(r"^Gyroscope ([xyz]) \(rad/s\)$", re.IGNORECASE),
    "mag": re.compile(r"^Magnetic Field ([xyz]) \((µT|μT|uT)\)$", re.IGNORECASE),
}


@dataclass(frozen=True)
class TimeEvent:
    """A START or PAUSE of the experiment: experiment time and the phone's Unix time (s)."""

    event: str
    experiment_s: float
    system_unix_s: float


def is_phyphox_header(first_line: str) -> bool:
    """True if the header starts with ``Time (s)`` and names a known phyphox column."""
    line = first_line.strip().lstrip("\ufeff")
    for delim in (",", "\t", ";"):
        try:
            cells = split_header(line, delim)
        except RecordingFormatError:  # a line the csv module cannot split
            return False
        if cells and cells[0] == TIME_COLUMN and len(cells) > 1:
            known = any(r.match(c) for c in cells[1:] for r in _VECTOR_RE.values())
            return known or any(c.startswith("Absolute") for c in cells)
    return False


def _dialect(first_line: str, body: str) -> tuple[str, bool]:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    delim = max(counts, key=lambda d: counts[d])
    decimal_comma = delim != "," and "," in body
    return delim, decimal_comma


def parse_time_csv(text: str, *, source: str | Path) -> tuple[TimeEvent, ...]:
    """The START/PAUSE events of ``meta/time.csv`` (other event names are ignored).

    Experiment times must lie in [0, ``MAX_SESSION_S``] and system times be Unix seconds in
    [0, :data:`MAX_UNIX_S`]; anything else (``nan``, ``1e300``) raises RecordingFormatError.
    """
    lines = text.splitlines()
    if not lines:
        return ()
    delim, dec_comma = _dialect(lines[0], "\n".join(lines[1:]))
    events = []
    for lineno, line in enumerate(lines[1:], start=2):
        row = csv_cells(line, delim, path=Path(str(source)), lineno=lineno)
        if len(row) < 3 or row[0].strip().upper() not in ("START", "PAUSE"):
            continue
        a, b = (row[i].strip().replace(",", ".") if dec_comma else row[i].strip() for i in (1, 2))
        try:
            exp_s, unix_s = float(a), float(b)
        except ValueError:
            raise RecordingFormatError(
                source, f"times {row[1]!r}, {row[2]!r} are not numbers", line=lineno
            ) from None
        if not (0.0 <= exp_s <= inputs.MAX_SESSION_S and 0.0 <= unix_s <= MAX_UNIX_S):
            raise RecordingFormatError(
                source,
                f"experiment time {row[1][:40]!r}, system time {row[2][:40]!r}: expected "
                f"seconds in [0, {inputs.MAX_SESSION_S:g}] and Unix seconds in "
                f"[0, {MAX_UNIX_S:g}]",
                line=lineno,
            )
        events.append(TimeEvent(row[0].strip().upper(), exp_s, unix_s))
    return tuple(events)


MAX_UNIX_S = inputs.MAX_UNIX_S
"""Latest system time accepted in ``meta/time.csv`` (Unix seconds, the year 2286)."""


def time_events_problem(events: Sequence[TimeEvent], t_exp_s: FloatArray) -> str | None:
    """Why the START events cannot map ``t_exp_s`` to Unix time, or None.

    The STARTs must come in experiment-time order, and the mapped times must keep increasing:
    a phone clock set back between two runs (or events out of order) would otherwise put
    samples at wrong or backward Unix times.
    """
    starts = np.array([e.experiment_s for e in events if e.event == "START"])
    if np.any(np.diff(starts) < 0):
        return "its START events are not in experiment-time order"
    t = experiment_to_unix(t_exp_s, events)
    back = np.flatnonzero(np.diff(t) <= 0)
    if back.size:
        j = int(back[0]) + 1
        return (
            f"it maps experiment time {float(t_exp_s[j]):.6g} s to a Unix time "
            f"{float(t[j - 1] - t[j]):.6g} s before the sample's predecessor (the phone's "
            "clock set back between two runs?)"
        )
    return None


def experiment_to_unix(t_exp_s: FloatArray, events: Sequence[TimeEvent]) -> FloatArray:
    """Map experiment time to Unix time with the START events (each run is a straight line)."""
    starts = [e for e in events if e.event == "START"]
    if not starts:
        raise ValueError("no START event")
    exp0 = np.array([e.experiment_s for e in starts])
    sys0 = np.array([e.system_unix_s for e in starts])
    k = np.clip(np.searchsorted(exp0, t_exp_s, side="right") - 1, 0, len(starts) - 1)
    return sys0[k] + (t_exp_s - exp0[k])


def read_phyphox(path: str | Path) -> tuple[VendorStream, ...]:
    """Read a phyphox CSV export file, or every data CSV of an export ZIP.

    For a CSV file, ``meta/time.csv`` in the same folder (the unpacked ZIP) is used when
    present. Returns one stream per data file.
    """
    p = Path(path)
    raw = read_file_bytes(p)
    if raw.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return _read_zip(p, raw)
    events: tuple[TimeEvent, ...] = ()
    time_csv = p.parent / "meta" / "time.csv"
    if time_csv.is_file():
        raw_events = read_file_bytes(time_csv, cap_bytes=TIME_CSV_MAX_BYTES)
        events = parse_time_csv(decode_text(raw_events, time_csv), source=time_csv)
    text = _text(raw, p)
    del raw
    return (_read_text(text, path=p, group=str(p.parent), events=events, hint=p.parent.name),)


def _text(raw: bytes, path: Path) -> str | bytes:
    """A data CSV's text for :func:`parse_table`.

    A long plain one's bytes as they are (``vendor.long_plain_text``: decoded a block at a
    time), else the decoded text.
    """
    return long_plain_text(raw) or decode_text(raw, path)


def _read_zip(p: Path, raw: bytes) -> tuple[VendorStream, ...]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise RecordingFormatError(p, f"not a readable ZIP file ({exc})") from None
    with zf:
        events = _zip_time_events(zf, p)
        data = _zip_data_members(zf, p)
        streams = []
        for info in data:
            member = Path(f"{p}!{info.filename}")
            text = _text(_member(zf, info, p), member)
            streams.append(
                _read_text(text, path=member, group=str(p), events=events, hint=_stem(p))
            )
            del text  # a long member's bytes, before the next one is unpacked beside them
    if not streams:
        raise RecordingFormatError(
            p, 'ZIP holds no phyphox data CSV (a header starting "Time (s)")'
        )
    return tuple(streams)


ZIP_MEMBER_MAX_BYTES = 1 << 30
"""Largest ZIP member unpacked (1 GiB: hours of phone sensor data; a bomb is refused)."""

ZIP_TOTAL_MAX_BYTES = 2 << 30
"""Largest sum of the data members unpacked (2 GiB), checked before any is unpacked."""

ZIP_HEAD_BYTES = 64 << 10
"""Bytes of a member unpacked to read its header (a member that is no data is skipped)."""

TIME_CSV_MAX_BYTES = 1 << 20
"""Largest ``meta/time.csv`` read (1 MiB: a few START/PAUSE lines are expected)."""


def _zip_time_events(zf: zipfile.ZipFile, p: Path) -> tuple[TimeEvent, ...]:
    """The events of the ZIP's one ``meta/time.csv`` (none without it; two are an error)."""
    meta = [i for i in zf.infolist() if i.filename.endswith("meta/time.csv")]
    if not meta:
        return ()
    if len(meta) > 1:
        raise RecordingFormatError(
            p,
            f"ZIP holds {len(meta)} meta/time.csv files "
            f"({', '.join(repr(i.filename) for i in meta[:3])}); expected one export per ZIP",
        )
    source = Path(f"{p}!{meta[0].filename}")
    raw = _member(zf, meta[0], p, cap=TIME_CSV_MAX_BYTES)
    return parse_time_csv(decode_text(raw, source), source=source)


def _zip_data_members(zf: zipfile.ZipFile, p: Path) -> list[zipfile.ZipInfo]:
    """The ``.csv`` members whose first line is a phyphox header, in name order.

    Only the first :data:`ZIP_HEAD_BYTES` of each member are unpacked to decide; the members
    kept may unpack to :data:`ZIP_TOTAL_MAX_BYTES` together (their stated sizes, checked
    before any is unpacked whole; a member unpacking to more than it states is refused by
    its CRC).
    """
    kept = []
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        name = info.filename
        if not name.lower().endswith(".csv") or "meta/" in name or info.is_dir():
            continue
        head = _member(zf, info, p, head=True)
        first = head.lstrip(b"\xef\xbb\xbf").replace(b"\r", b"\n").split(b"\n", 1)[0]
        if is_phyphox_header(first.decode("utf-8", errors="replace")):
            kept.append(info)
    total = sum(i.file_size for i in kept)
    if total > ZIP_TOTAL_MAX_BYTES:
        raise RecordingFormatError(
            p,
            f"ZIP data members unpack to {total} bytes ({len(kept)} files); expected at most "
            f"{ZIP_TOTAL_MAX_BYTES} together",
        )
    return kept


def _member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    p: Path,
    *,
    head: bool = False,
    cap: int = ZIP_MEMBER_MAX_BYTES,
) -> bytes:
    """One member's bytes (only its first :data:`ZIP_HEAD_BYTES` with ``head``).

    A broken, encrypted or oversized member raises RecordingFormatError.
    """
    name = info.filename
    if not head and info.file_size > cap:
        raise RecordingFormatError(
            p, f"ZIP member {name!r} unpacks to {info.file_size} bytes; expected ≤ {cap}"
        )
    try:
        with zf.open(info) as fh:
            return fh.read(ZIP_HEAD_BYTES) if head else fh.read()
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
        raise RecordingFormatError(p, f"cannot unpack ZIP member {name!r} ({exc})") from None


def _stem(p: Path) -> str:
    return p.name[: -len(p.suffix)] if p.suffix else p.name


def _vector_columns(header: list[str], path: Path) -> dict[str, tuple[str, str, str]]:
    """The x, y, z column names of each vector kind in the header (all three or none)."""
    cols: dict[str, tuple[str, str, str]] = {}
    for kind, regex in _VECTOR_RE.items():
        found = {m.group(1).lower(): c for c in header if (m := regex.match(c))}
        if not found:
            continue
        if set(found) != {"x", "y", "z"}:
            raise RecordingFormatError(
                path, f"incomplete {kind} columns {sorted(found)}; expected x, y and z", line=1
            )
        cols[kind] = (found["x"], found["y"], found["z"])
    return cols


def _mark_pauses(gaps: tuple[ClockGap, ...], events: Sequence[TimeEvent]) -> tuple[ClockGap, ...]:
    """Gaps (on the Unix clock) that hold a PAUSE event get the reason "experiment paused"."""
    pauses = [e.system_unix_s for e in events if e.event == "PAUSE"]
    if not pauses:
        return gaps
    return tuple(
        replace(
            g,
            reason="experiment paused"
            if any(g.start_s - 1.0 <= s <= g.end_s for s in pauses)
            else g.reason,
        )
        for g in gaps
    )


def _clock(
    t_exp: FloatArray, events: Sequence[TimeEvent], group: str, warnings: list[str]
) -> tuple[FloatArray, str, float | None]:
    """Time stamps, clock name and Unix offset.

    The clock is Unix time when ``meta/time.csv`` has a START event, else the experiment
    time of this export (``group``).
    """
    if events and any(e.event == "START" for e in events):
        problem = time_events_problem(events, t_exp)
        if problem is None:
            return experiment_to_unix(t_exp, events), "unix", 0.0
        warnings.append(
            f"meta/time.csv not used: {problem}; experiment time only (files of other "
            "exports cannot be aligned with this one)"
        )
    if events is not None and not events:
        warnings.append(
            "no meta/time.csv next to the file: experiment time only (files of other "
            "phyphox exports cannot be aligned with this one)"
        )
    return t_exp, f"phyphox:{group}", None


def _read_text(
    text: str | bytes, *, path: Path, group: str, events: Sequence[TimeEvent], hint: str
) -> VendorStream:
    """One data CSV's stream; ``text`` as :func:`_text` gives it (a long one stays bytes)."""
    try:
        first, after = line_at(text, 0)
    except UnicodeDecodeError:
        decode_text(text, path)  # type: ignore[arg-type]  (raises, naming the line)
        raise
    body = text[after : after + 4096]  # enough to tell a decimal comma (no copy of the rest)
    body = body if isinstance(body, str) else body.decode("utf-8", "ignore")
    if not is_phyphox_header(first):
        raise RecordingFormatError(
            path,
            f"not a phyphox export: header {first[:80]!r}; expected '\"Time (s)\",…'",
            line=1,
        )
    delim, dec_comma = _dialect(first, body[:4096])
    header = split_header(first, delim, path=Path(path))
    warnings: list[str] = []
    cols = _vector_columns(header, path)
    if header.count(TIME_COLUMN) > 1:
        raise RecordingFormatError(
            path,
            f"{header.count(TIME_COLUMN)} '{TIME_COLUMN}' columns: export each sensor as its "
            "own file (one time column per file)",
            line=1,
        )
    if "linear" in cols:
        warnings.append(
            "'Linear Acceleration' (acceleration without g) is not a specific force: not "
            "imported; record 'Acceleration with g' for the accelerometer"
        )
    numeric = [TIME_COLUMN] + [c for k, v in cols.items() if k != "linear" for c in v]
    table = parse_table(
        text,
        path=path,
        header_line=1,
        delimiter=delim,
        numeric=numeric,
        decimal_comma=dec_comma,
    )
    warnings += table.warnings
    t_exp = table.take(TIME_COLUMN)
    check_increasing(t_exp, table.lines, path=path, column=TIME_COLUMN)

    def block(kind: str) -> FloatArray | None:
        if kind not in cols:
            return None
        return np.column_stack([table.take(c) for c in cols[kind]])

    rate, notes = checked_rate(
        t_exp, table.lines, path=path, nominal_hz=None, column=TIME_COLUMN, spread=3.0
    )
    warnings += notes
    t_s, clock, unix_offset = _clock(t_exp, events, group, warnings)
    # phone sensor time stamps jitter: a gap needs 3 periods without data
    gaps = find_clock_gaps(t_s, table.lines, rate_hz=rate, factor=3.0) if len(t_s) > 2 else ()
    if clock == "unix":
        gaps = _mark_pauses(gaps, events)
    return VendorStream(
        path=path,
        format=FORMAT,
        device_id=f"phyphox {group}",
        clock=clock,
        unix_offset_s=unix_offset,
        t_s=t_s,
        lines=table.lines,
        acc_m_s2=block("acc"),
        gyr_rad_s=block("gyr"),
        mag_ut=block("mag"),
        nominal_rate_hz=None,
        gaps=gaps,
        name_hints=(hint,),
        info={"columns": ",".join(header), "delimiter": delim, "decimal_comma": str(dec_comma)},
        warnings=tuple(warnings),
        description=f"phyphox {path.name}",
    )
