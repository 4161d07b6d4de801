"""Read and write the canonical recording (DESIGN §4): ``NAME.csv`` plus optional ``NAME.json``.

The CSV is UTF-8, comma-separated, one header row, one row per sample of one sensor, rows
sorted by ``t_s``. ``NAME.csv.gz`` is read and written transparently. Values are written
rounded to fixed decimals per column (``COLUMN_DECIMALS``), in the shortest form that
round-trips, so files are small and byte-reproducible.

Reading is strict where the contract is (every violation raises RecordingFormatError naming
the file, line and column) and lenient in one place only: a final line cut off mid-row by a
killed writer is dropped with a warning, so a crashed recording stays analysable.
"""

from __future__ import annotations

import csv
import errno
import gzip
import io
import json
import math
import mmap
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.errors import OutputExistsError, RecordingFormatError
from analysis.recording import inputs
from analysis.recording.config_files import parse_json, read_text
from analysis.recording.schema import (
    ACC_COLUMNS,
    ALL_COLUMNS,
    DEVICE_TICKS,
    GYR_COLUMNS,
    MAG_COLUMNS,
    PLACEMENTS,
    QUAT_COLUMNS,
    REQUIRED_COLUMNS,
    SENSOR,
    T_S,
)
from analysis.recording.streams import (
    Recording,
    SensorStream,
    SessionMeta,
    check_meta_against_data,
    samples_from_streams,
    streams_from_samples,
    validate_samples,
)

if TYPE_CHECKING:  # pandas is imported where it is used: reading needs none of it
    import pandas as pd

COLUMN_DECIMALS: dict[str, int] = {
    T_S: 6,
    **dict.fromkeys(ACC_COLUMNS, 5),
    **dict.fromkeys(GYR_COLUMNS, 6),
    **dict.fromkeys(MAG_COLUMNS, 4),
    **dict.fromkeys(QUAT_COLUMNS, 7),
}
"""Decimals written per column: 1 µs, 10 µm/s², 1 µrad/s, 0.1 nT, 1e-7."""

_NULLS = ["", "NaN", "nan", "NA", "N/A", "null", "NULL", "None"]
_NON_SPACE = re.compile(rb"\S")


def sidecar_path(csv_path: str | Path) -> Path:
    """``NAME.json`` beside ``NAME.csv`` or ``NAME.csv.gz``."""
    p = Path(csv_path)
    name = p.name
    for suffix in (".csv.gz", ".csv"):
        if name.endswith(suffix):
            return p.with_name(name[: -len(suffix)] + ".json")
    return p.with_name(name + ".json")


GZIP_MAX_BYTES = 1 << 30
"""A ``.gz`` file read whole may unpack to at most this many bytes (1 GiB, the cap of a ZIP
member too): a few megabytes of gzip can unpack to many gigabytes."""


def read_file_bytes(path: Path, *, cap_bytes: int | None = None) -> bytes:
    """The bytes of ``path`` (``.gz`` decompressed); unreadable files raise RecordingFormatError.

    Only regular files are read (``analysis.recording.inputs.read_regular_file``): a FIFO, device,
    folder or socket is refused before it is opened for reading. ``cap_bytes`` bounds the file
    and, for ``.gz``, what it unpacks to (at most :data:`GZIP_MAX_BYTES` in any case).
    """
    raw = inputs.read_regular_file(
        path, fail=lambda why: RecordingFormatError(path, why), cap_bytes=cap_bytes
    )
    if path.name.endswith(".gz"):
        cap = GZIP_MAX_BYTES if cap_bytes is None else min(cap_bytes, GZIP_MAX_BYTES)
        raw = _gunzip_capped(raw, path, cap)
    return raw


def _gunzip_capped(raw: bytes, path: Path, cap_bytes: int) -> bytes:
    """``raw`` gunzipped (every member), refusing output beyond ``cap_bytes``."""
    out = bytearray()
    rest = raw
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += d.decompress(rest, cap_bytes + 1 - len(out))
            if len(out) > cap_bytes or d.unconsumed_tail:
                raise RecordingFormatError(
                    path, f"unpacks to more than {cap_bytes} bytes; expected at most that"
                )
            if not d.eof:
                raise RecordingFormatError(path, "not a readable gzip file (truncated)")
            rest = d.unused_data.lstrip(b"\0")  # members may follow; padding is zeros
    except zlib.error as exc:
        raise RecordingFormatError(path, f"not a readable gzip file ({exc})") from None
    return bytes(out)


def csv_cells(line: str, *, delimiter: str = ",", source: str | Path | None = None) -> list[str]:
    """The cells of one CSV line; a line the csv module cannot split raises RecordingFormatError."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise RecordingFormatError(source, f"cannot split the line into cells ({exc})") from None


def normalise_newlines(data: bytes) -> bytes:
    """``data`` with CR-LF and lone CR line ends turned into LF (old Mac files, mixed ends)."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
_NEW_FILE_FLAGS |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
"""Exclusive creation: fails if the name exists, even as a symlink (dangling or not)."""


def create_new(path: Path, mode: int = 0o666) -> int:
    """A write-only descriptor of the new file ``path`` (OutputExistsError if the name exists).

    ``O_CREAT | O_EXCL | O_NOFOLLOW``: the check and the creation are one system call, and a
    symlink planted at ``path`` is refused rather than followed.
    """
    try:
        return os.open(path, _NEW_FILE_FLAGS, mode)
    except FileExistsError:
        raise OutputExistsError(path) from None


@contextmanager
def open_new(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for binary writing; it must not exist yet (else OutputExistsError)."""
    with os.fdopen(create_new(path), "wb") as fh:
        yield fh


def write_new_file(
    path: Path, data: bytes | Iterable[bytes], *, before_publish: Callable[[], object] | None = None
) -> Path:
    """Write ``data`` (bytes, or its pieces in order) to the new file ``path``.

    ``path`` must not exist yet (else OutputExistsError).

    Only the finished file gets the name (written under a hidden one, then
    :func:`publish_new`): a full disk, a file size limit or a kill never leaves a cut-off
    file there. An OSError names ``path``, not the hidden file. ``before_publish`` runs when
    the data are written, before the name is given (a recording's sidecar: a kill never
    leaves a recording without it).
    """
    try:
        tmp, fd = new_temp_beside(path)
        try:
            with os.fdopen(fd, "wb") as fh:
                for piece in (data,) if isinstance(data, bytes | bytearray) else data:
                    fh.write(piece)
            if before_publish is not None:
                before_publish()
        except BaseException:
            with suppress(OSError):  # a folder made read-only keeps it: the first error counts
                tmp.unlink()
            raise
        return publish_new(tmp, path)
    except OutputExistsError:
        raise
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None


def new_temp_beside(path: Path) -> tuple[Path, int]:
    """A new hidden temporary file in ``path``'s folder, random name, created exclusively.

    Returns its path and a write-only descriptor. A name that exists (or a planted symlink)
    is never opened: another random name is drawn.
    """
    for _ in range(16):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, create_new(tmp, 0o644)
        except OutputExistsError:
            continue
    raise OutputExistsError(path.with_name(f".{path.name}.*.tmp"))


def publish_new(tmp: Path, final: Path) -> Path:
    """Give the finished file ``tmp`` the name ``final``, which must not exist (never replaced).

    A hard link is created (``link`` fails if ``final`` exists, in the same system call), then
    ``tmp`` is removed. File systems without hard links get ``final`` created exclusively and
    the bytes copied. ``tmp`` is removed in every case.
    """
    try:
        try:
            os.link(tmp, final)
        except FileExistsError:
            raise OutputExistsError(final) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            created = False
            try:
                with tmp.open("rb") as src, open_new(final) as dst:
                    created = True
                    shutil.copyfileobj(src, dst)
            except BaseException:  # a disk full while copying: no cut-off file under the name
                if created:
                    with suppress(OSError):
                        final.unlink()
                raise
    finally:
        with suppress(OSError):  # gone, or a folder made read-only: the first error counts
            tmp.unlink()
    return final


def _line_mapper(data: bytes) -> Callable[[int], int]:
    """Map a data-row index (0 = first row after the header) to its 1-based file line."""
    lines = data.split(b"\n")
    nonblank = [i + 1 for i, ln in enumerate(lines) if ln.strip(b"\r\t ")]
    rows = nonblank[1:]  # first non-blank line is the header

    def line(i: int) -> int:
        return rows[i] if 0 <= i < len(rows) else i + 2

    return line


def _first_bad_row(data: bytes, n_fields: int) -> tuple[int, int] | None:
    """(line, field count) of the first line whose field count differs from the header."""
    text = data.decode("utf-8", errors="replace")
    rows = csv.reader(io.StringIO(text))
    lineno = 0
    try:
        for lineno, row in enumerate(rows, start=1):
            if lineno == 1 or not row:
                continue
            if len(row) != n_fields:
                return lineno, len(row)
    except csv.Error:
        return lineno + 1, -1
    return None


def _check_utf8(data: bytes, source: str | Path | None) -> None:
    """Refuse bytes that are not UTF-8, naming the line and the byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordingFormatError(
            source,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); expected a UTF-8 CSV file",
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None


def _canonical_header(data: bytes, source: str | Path | None) -> tuple[list[str], int]:
    """The header's column names and the offset of its newline (-1 for a one-line file).

    The names are checked: ``t_s`` and ``sensor`` present, no duplicates.
    """
    header_end = data.find(b"\n")
    header_line = data if header_end < 0 else data[:header_end]
    header = csv_cells(header_line.decode("utf-8", errors="replace"), source=source)
    header = [h.strip() for h in header]
    if T_S not in header or SENSOR not in header:
        shown = inputs.short_names(header[:8]) + (", ..." if len(header) > 8 else "")
        raise RecordingFormatError(
            source,
            f"not a stretchguard recording: the header has no '{T_S}'/'{SENSOR}' columns "
            f"(found: {shown}). Vendor exports are read with `stretchguard import` or by "
            "`stretchguard analyse` directly",
            line=1,
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise RecordingFormatError(source, f"duplicate column(s) {', '.join(dupes)}", line=1)
    return header, header_end


def _drop_incomplete_last_row(
    data: bytes, n_columns: int, source: str | Path | None, warnings: list[str]
) -> bytes:
    """``data`` without a last line (no final newline) that has fewer fields than the header."""
    last_start = data.rfind(b"\n") + 1
    fields = csv_cells(data[last_start:].decode("utf-8", errors="replace"), source=source)
    if len(fields) >= n_columns:
        return data
    n_line = data.count(b"\n") + 1
    warnings.append(
        f"line {n_line}: incomplete last row dropped (the file ends mid-row, e.g. the "
        "recorder was killed)"
    )
    return data[:last_start]


def parse_canonical_csv(
    data: bytes, *, source: str | Path | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Parse and validate canonical CSV bytes; return (clean samples, warnings)."""
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    data = normalise_newlines(data)
    _check_utf8(data, source)
    if _NON_SPACE.search(data) is None:
        raise RecordingFormatError(
            source,
            f"file is empty; expected a header row {','.join(REQUIRED_COLUMNS)} and samples",
            line=1,
        )
    header, header_end = _canonical_header(data, source)
    if header_end < 0:  # Arrow's own words were "Could not skip initial 1 rows …"
        raise RecordingFormatError(
            source,
            "the file ends in its header row (no newline, no samples: cut off?); expected a "
            "header row and samples",
            line=1,
        )
    # A killed writer leaves a final line without its newline and with fewer fields.
    if not data.endswith(b"\n") and header_end >= 0:
        data = _drop_incomplete_last_row(data, len(header), source, warnings)

    column_types: dict[str, pa.DataType] = {SENSOR: pa.dictionary(pa.int32(), pa.string())}
    if DEVICE_TICKS in header:
        column_types[DEVICE_TICKS] = pa.float64()
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                null_values=_NULLS,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        bad = _first_bad_row(data, len(header))
        if bad is not None:
            found = "cannot be split into fields" if bad[1] < 0 else f"has {bad[1]} fields"
            raise RecordingFormatError(
                source,
                f"row {found}; expected {len(header)} fields like the header",
                line=bad[0],
            ) from None
        raise RecordingFormatError(source, f"cannot parse as CSV ({exc})") from None
    df = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    unknown = [c for c in df.columns if c not in ALL_COLUMNS]
    if unknown:
        warnings.append(f"ignored unknown column(s): {inputs.short_names(unknown)}")
    mapper: Callable[[int], int] | None = None

    def line_of_row(i: int) -> int:
        nonlocal mapper
        if mapper is None:
            mapper = _line_mapper(data)
        return mapper(i)

    clean = validate_samples(df, source=source, line_of_row=line_of_row, warnings=warnings)
    return clean, tuple(warnings)


def read_sidecar(csv_path: str | Path) -> SessionMeta | None:
    """Parse ``NAME.json`` beside ``csv_path``; None if there is none.

    The sidecar must be a regular file of at most ``inputs.SIDECAR_MAX_BYTES``, UTF-8 JSON
    nested at most ``inputs.MAX_JSON_DEPTH`` deep; every key is checked by
    :meth:`SessionMeta.from_dict`. Anything else raises RecordingFormatError in one line.
    """
    path = sidecar_path(csv_path)
    if not os.path.lexists(path):
        return None
    text = read_text(
        path, what="sidecar", cap_bytes=inputs.SIDECAR_MAX_BYTES, error=RecordingFormatError
    )
    data = parse_json(text, path, max_depth=inputs.MAX_JSON_DEPTH)
    return SessionMeta.from_dict(data, source=path)


def read_recording(path: str | Path, *, device_ticks: bool = True) -> Recording:
    """Read and validate a canonical recording and its sidecar (if present).

    Well-formed files are streamed in blocks straight into per-sensor arrays (measurements
    as float32, times as float64), so a 10-hour file never exists in memory as text or as a
    long table. A last row cut off by a killed writer is left out with a warning and the
    block reader goes on. Anything irregular — a bad cell, an unknown label, time running
    backwards, a value outside the input policy (``recording.inputs``) — sends the file through
    :func:`parse_canonical_csv`, the strict parser that names the exact line and column.
    The sidecar is then checked against the data (``check_meta_against_data``).
    ``device_ticks=False`` leaves that column out (it is still validated on the strict path).
    """
    p = Path(path)
    problem = inputs.regular_file_problem(p)
    if problem is not None:
        raise RecordingFormatError(p, problem)
    meta = read_sidecar(p) or SessionMeta()
    try:
        streams, warnings = _read_streams_fast(p, device_ticks=device_ticks)
        rec = Recording(streams=streams, meta=meta, path=p, warnings=warnings)
    except _IrregularError:
        samples, warnings = parse_canonical_csv(read_file_bytes(p), source=p)
        rec = Recording(streams=streams_from_samples(samples), meta=meta, path=p, warnings=warnings)
    rec, dropped = _without_lone_samples(rec)
    checked, notes = check_meta_against_data(rec, source=sidecar_path(p))
    notes = [*dropped, *inputs.coverage_warnings(stream_spans(rec.streams)), *notes]
    if checked is meta and not notes:
        return rec
    return rec.replace(meta=checked, warnings=(*rec.warnings, *notes))


def _without_lone_samples(rec: Recording) -> tuple[Recording, list[str]]:
    """``rec`` without sensors of a single sample (no rate, no angle), and a warning each.

    Such a sensor (switched off at once, a file cut after its first row) made the analysis
    refuse the whole session before round 16 ("sensor 'right_foot' has fewer than 2
    samples"); it is now left out like a sensor that is not worn, and its angles are not
    measured. A recording whose every sensor has one sample is still refused by the analysis.
    """
    lone = [k for k, v in rec.streams.items() if len(v) == 1]
    if not lone or len(lone) == len(rec.streams):
        return rec, []
    kept = {k: v for k, v in rec.streams.items() if k not in lone}
    notes = [
        f"sensor {k!r} has a single sample (at {float(rec.streams[k].t_s[0]):.3f} s): "
        "left out, as if not worn (no angle that needs it)"
        for k in lone
    ]
    return rec.replace(streams=kept), notes


def stream_spans(streams: Mapping[str, SensorStream]) -> dict[str, tuple[float, float]]:
    """Each sensor's first and last sample time (sensors without samples left out)."""
    return {k: (float(v.t_s[0]), float(v.t_s[-1])) for k, v in streams.items() if len(v)}


class _IrregularError(Exception):
    """The fast reader met something the strict parser must judge (and word)."""


_FAST_BLOCK_BYTES = 1 << 20

PARALLEL_READ_MAX_BYTES = 256 << 20
"""Plain files up to this size (about 2 h of 4 sensors at 100 Hz) are parsed by Arrow's
threads at once (``pyarrow.csv.read_csv``), then split block by block as a streamed file is:
the same arrays, parsed on every core. Larger files (and ``.gz``) stream, one block at a
time, so a 10-hour file never sits in memory as a table."""


def _read_streams_fast(
    path: Path, *, device_ticks: bool = True
) -> tuple[dict[str, SensorStream], tuple[str, ...]]:
    """Per-sensor streams from a well-formed canonical CSV, read in blocks (see above)."""
    gz = path.name.endswith(".gz")
    warnings: list[str] = []
    with _open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(1 << 16)
        limit = size
        if not gz:
            tail_start = max(0, size - (1 << 16))
            fh.seek(tail_start)
            tail = fh.read()
            if not tail.endswith(b"\n"):
                limit, note = _torn_tail(tail, tail_start, size, head)
                if note:
                    warnings.append(note)
        if gz:
            try:
                head = _gunzip_head(path)
            except (OSError, EOFError, zlib.error):
                raise _IrregularError from None
        header, end = _fast_header(head)
        unknown = [c for c in header if c not in ALL_COLUMNS]
        if unknown:
            warnings.insert(0, f"ignored unknown column(s): {inputs.short_names(unknown)}")
        used = _used_columns(header, device_ticks=device_ticks)
        # Arrow reads the file natively (its own threads, no GIL), the one checked above
        # through its descriptor's name; a torn file is read through a memory map cut at its
        # last newline.
        name = str(path) if gz else _descriptor_path(fh, path)  # Arrow goes by the .gz
        if gz or limit == size:
            whole = not gz and size <= PARALLEL_READ_MAX_BYTES
            parts = _parse_blocks(name, header, used, _expected_rows(path, head, end), whole=whole)
        else:
            with pa.memory_map(name) as mm:
                source = pa.BufferReader(mm.read_buffer(limit))
                parts = _parse_blocks(source, header, used, _expected_rows(path, head, end))
    streams = {}
    for label in PLACEMENTS:
        if label in parts:
            streams[label] = _stream_from_parts(label, parts.pop(label), warnings)
    return streams, tuple(warnings)


_EARLY_READS: dict[tuple[Any, ...], Future[pa.Table]] = {}
"""Files being parsed and split by :func:`start_early_read`, by file identity and columns."""


def _early_key(path: str | Path, header: list[str], used: list[str]) -> tuple[Any, ...]:
    """Which file (and which version of it) and which columns; OSError if it is gone.

    The change time is part of it: a file rewritten in place to the same size with its time
    modified set back (``touch -d``, ``cp -p``, ``rsync -t --inplace``) still gets a new one.
    """
    p = Path(path)
    st = p.stat()
    ident = (str(p.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return (*ident, tuple(header), tuple(used))


def start_early_read(path: str | Path, *, device_ticks: bool = True) -> bool:
    """Begin parsing ``path`` on Arrow's threads now, for a later :func:`read_recording`.

    Arrow parses without the interpreter lock, so a command that is about to import its
    (slow to import) analysis modules can have the file parsed meanwhile; the parsed blocks
    are then split per sensor on the same thread, as the read would split them. Only a file
    that :func:`read_recording` would parse whole is started (plain, regular, at most
    :data:`PARALLEL_READ_MAX_BYTES`, ending in a newline, with a canonical header); the read
    takes the result only if the file is still the same one (device, inode, size, times
    modified and changed) and asks for the same columns, and otherwise parses as usual. A parse that
    fails is dropped: the read then parses again and reports the problem as always. Returns
    True when a parse was started.
    """
    p = Path(path)
    if p.name.endswith(".gz"):
        return False
    try:
        with _open_regular(p) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > PARALLEL_READ_MAX_BYTES:
                return False
            head = fh.read(1 << 16)
            fh.seek(max(0, size - 1))
            if fh.read(1) != b"\n":
                return False
        header, end = _fast_header(head)
        used = _used_columns(header, device_ticks=device_ticks)
        key = _early_key(p, header, used)
        expected = _expected_rows(p, head, end)
    except (OSError, RecordingFormatError, _IrregularError):
        return False
    parsed: Future[dict[str, _Growing]] = Future()
    options = _arrow_options(header, used)

    def parse() -> None:
        # split per sensor here too: NumPy's part of it runs while the modules import
        try:
            with _open_regular(p) as fh:  # the file checked above, whatever the name is now
                st = os.fstat(fh.fileno())
                if (st.st_dev, st.st_ino) != key[1:3]:
                    raise _IrregularError
                table = pacsv.read_csv(_descriptor_path(fh, p), **options)
            parts: dict[str, _Growing] = {}
            for batch in _batches(str(p), options, whole=True, early=table):
                _split_batch(batch, used, parts, expected_rows=expected)
            del table
            parsed.set_result(parts)
        except BaseException as exc:  # handed to the reader, which drops it
            parsed.set_exception(exc)

    _EARLY_READS.clear()
    _EARLY_READS[key] = parsed
    threading.Thread(target=parse, name="stretchguard-early-read").start()
    return True


def _descriptor_path(fh: BinaryIO, path: Path) -> str:
    """A name that opens the same file as ``fh`` (Linux's ``/proc/self/fd``), else ``path``.

    Arrow opens a path itself; through the descriptor's name it opens the file that was
    checked to be regular, even if ``path`` has since been replaced (by a FIFO, whose open
    would block the thread, and the exit waiting for it, for ever).
    """
    name = f"/proc/self/fd/{fh.fileno()}"
    return name if Path(name).exists() else str(path)


def _take_early_read(source: Any, header: list[str], used: list[str]) -> dict[str, _Growing] | None:
    """The per-sensor buffers :func:`start_early_read` filled from ``source``, if still valid."""
    if not _EARLY_READS or not isinstance(source, str):
        return None
    try:
        key = _early_key(source, header, used)
    except OSError:
        return None
    parsed = _EARLY_READS.pop(key, None)
    _EARLY_READS.clear()  # one read per process: nothing else waits for a table
    if parsed is None:
        return None
    try:
        return parsed.result()
    except Exception:  # the usual parse meets the same problem and reports it
        return None


def _fast_header(head: bytes) -> tuple[list[str], int]:
    """The header's column names and its newline's offset in ``head`` (the file's first bytes).

    Raises _IrregularError (the strict parser then words the error) for no newline, a BOM,
    an undecodable header, a duplicate name, or a missing ``t_s``, ``sensor`` or required
    column.
    """
    end = head.find(b"\n")
    if end < 0 or head.startswith(b"\xef\xbb\xbf"):
        raise _IrregularError
    try:
        header = [h.strip() for h in next(csv.reader([head[:end].decode("utf-8")]))]
    except (csv.Error, UnicodeDecodeError):
        raise _IrregularError from None
    if (
        T_S not in header
        or SENSOR not in header
        or len(set(header)) != len(header)
        or any(c not in header for c in REQUIRED_COLUMNS)
    ):
        raise _IrregularError
    return header, end


@contextmanager
def _open_regular(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for reading, refused unless it is a regular file (never blocks)."""
    problem = inputs.regular_file_problem(path)
    if problem is not None:
        raise RecordingFormatError(path, problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot read the file ({exc.strerror})") from None
    st = os.fstat(fd)
    problem = "is not a regular file, expected a file"
    if stat.S_ISREG(st.st_mode):
        problem = inputs.hole_problem(fd, st.st_size)  # a sparse file: refused unread
    if problem is not None:
        os.close(fd)
        raise RecordingFormatError(path, problem)
    with os.fdopen(fd, "rb") as fh:
        yield fh


def _torn_tail(tail: bytes, tail_start: int, size: int, head: bytes) -> tuple[int, str | None]:
    """Bytes to read and a warning for a file whose last line has no newline.

    A last line with fewer fields than the header is what a killed writer leaves: it is left
    out (read up to the last newline) with a warning. A complete last row is kept.
    """
    cut = tail.rfind(b"\n")
    if cut < 0 or head.find(b"\n") < 0:
        raise _IrregularError
    try:
        n_header = len(next(csv.reader([head[: head.find(b"\n")].decode("utf-8")])))
        n_last = len(next(csv.reader([tail[cut + 1 :].decode("utf-8", "replace")]), []))
    except (csv.Error, UnicodeDecodeError):
        raise _IrregularError from None
    if n_last >= n_header:
        return size, None
    n_line = head.count(b"\n") + 1 if size <= len(head) else None
    where = f"line {n_line}: " if n_line is not None else "last line: "
    return tail_start + cut + 1, (
        f"{where}incomplete last row dropped (the file ends mid-row, e.g. the recorder was killed)"
    )


def _used_columns(header: list[str], *, device_ticks: bool) -> list[str]:
    """The known columns of ``header`` that are read, in schema order."""
    return [c for c in ALL_COLUMNS if c in header and (device_ticks or c != DEVICE_TICKS)]


def _arrow_options(header: list[str], used: list[str]) -> dict[str, Any]:
    """Arrow's read, parse and convert options for a canonical file with ``header``."""
    types: dict[str, pa.DataType] = {c: pa.float64() for c in used if c != SENSOR}
    types[SENSOR] = pa.dictionary(pa.int32(), pa.string())
    return {
        "read_options": pacsv.ReadOptions(
            column_names=header, skip_rows=1, block_size=_FAST_BLOCK_BYTES
        ),
        "parse_options": pacsv.ParseOptions(newlines_in_values=False),
        "convert_options": pacsv.ConvertOptions(
            column_types=types,
            include_columns=used,
            null_values=_NULLS,
            strings_can_be_null=True,
        ),
    }


def _parse_blocks(
    source: Any, header: list[str], used: list[str], expected: int, *, whole: bool = False
) -> dict[str, _Growing]:
    """Stream the CSV through Arrow in blocks into per-sensor buffers; irregular rows raise.

    ``whole``: parse the file at once on Arrow's threads (:data:`PARALLEL_READ_MAX_BYTES`),
    then split its blocks in the same way.
    """
    options = _arrow_options(header, used)
    # the file parsed and split while the analyser's modules imported (start_early_read), if
    # it is still the same file: the same blocks split in the same way
    early = _take_early_read(source, header, used) if whole else None
    parts: dict[str, _Growing] = {} if early is None else early
    try:
        if early is None:
            for batch in _batches(source, options, whole=whole):
                _split_batch(batch, used, parts, expected_rows=expected)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
        raise _IrregularError from None
    if whole:  # the table's pages, kept by Arrow's allocator, back to the system
        pa.default_memory_pool().release_unused()
    if not parts:
        raise _IrregularError
    return parts


def _batches(
    source: Any, options: dict[str, Any], *, whole: bool, early: pa.Table | None = None
) -> Iterator[pa.RecordBatch]:
    """The CSV's record batches: streamed, or (``whole``) cut from the table read at once.

    The table lives only while its batches are taken (the generator's frame holds it).
    """
    if whole:
        table = early if early is not None else pacsv.read_csv(source, **options)
        del early
        yield from table.to_batches()
    else:
        yield from pacsv.open_csv(source, **options)


def _expected_rows(path: Path, head: bytes, header_end: int) -> int:
    """Rows the file probably holds, from its size and the first lines (for preallocation)."""
    body = head[header_end + 1 :]
    lines = body.count(b"\n")
    if lines == 0:
        return 1024
    per_row = len(body[: body.rfind(b"\n") + 1]) / lines
    size = path.stat().st_size
    if path.name.endswith(".gz"):
        size *= 4  # canonical text compresses about 3–4×; growth covers the rest
    return int(size / per_row) + 1


def _gunzip_head(path: Path, size: int = 1 << 16) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read(size)


_BLOCKS = {"acc": ACC_COLUMNS, "gyr": GYR_COLUMNS, "mag": MAG_COLUMNS, "quat": QUAT_COLUMNS}


class _Growing:
    """One sensor's samples, appended block by block into a few large arrays.

    Capacity grows by half each time it runs out, so a 10-hour sensor is a handful of big
    allocations (which the C library maps and unmaps as whole pages) rather than thousands
    of pieces that fragment the heap and keep the process's memory high after they are freed.
    """

    def __init__(self, keys: dict[str, int], capacity: int) -> None:
        self.n = 0
        self.arrays: dict[str, np.ndarray] = {}
        for key, width in keys.items():
            dtype = np.float64 if key in (T_S, DEVICE_TICKS) else np.float32
            shape = (capacity,) if width == 0 else (capacity, width)
            self.arrays[key] = np.empty(shape, dtype=dtype)

    def append(self, rows: int, fill: Callable[[str, np.ndarray], None]) -> None:
        if self.n + rows > next(iter(self.arrays.values())).shape[0]:
            grow = max(self.n + rows, int(1.5 * self.n) + 1024)
            for key, arr in self.arrays.items():
                bigger = np.empty((grow, *arr.shape[1:]), dtype=arr.dtype)
                bigger[: self.n] = arr[: self.n]
                self.arrays[key] = bigger
        for key, arr in self.arrays.items():
            fill(key, arr[self.n : self.n + rows])
        self.n += rows

    def finish(self, key: str) -> np.ndarray:
        """The filled part (a view: the spare capacity is a few percent at most)."""
        return self.arrays[key][: self.n]


def _split_batch(
    batch: pa.RecordBatch,
    used: list[str],
    parts: dict[str, _Growing],
    *,
    expected_rows: int,
) -> None:
    """Append one block's rows to the per-sensor buffers; irregular rows raise."""
    names = batch.schema.names
    col = batch.column(names.index(SENSOR))
    if col.null_count:
        raise _IrregularError
    labels = [str(v).strip() for v in col.dictionary.to_pylist()]
    codes = col.indices.to_numpy(zero_copy_only=False)
    values = {
        c: batch.column(names.index(c)).to_numpy(zero_copy_only=False) for c in used if c != SENSOR
    }
    _check_block(values)
    keys = {T_S: 0}
    keys.update({k: len(cols) for k, cols in _BLOCKS.items() if all(c in values for c in cols)})
    if DEVICE_TICKS in values:
        keys[DEVICE_TICKS] = 0
    for k, label in enumerate(labels):
        mine = codes == k
        if label not in PLACEMENTS:
            if mine.any():
                raise _IrregularError
            continue
        rows = np.flatnonzero(mine)
        if rows.size == 0:
            continue
        if label not in parts:
            share = rows.size / max(1, codes.size)
            parts[label] = _Growing(keys, capacity=int(share * expected_rows * 1.03) + 1024)

        def fill(key: str, out: np.ndarray, rows: np.ndarray = rows) -> None:
            if key in (T_S, DEVICE_TICKS):
                out[:] = values[key][rows]
            else:
                for j, c in enumerate(_BLOCKS[key]):
                    out[:, j] = values[c][rows]

        parts[label].append(rows.size, fill)


def _check_block(values: Mapping[str, np.ndarray]) -> None:
    """Raise _IrregularError for a block with a value the input policy refuses.

    The strict parser then words the error with line, column and limit.
    """
    for c in REQUIRED_COLUMNS:
        if c != SENSOR and not np.isfinite(values[c]).all():
            raise _IrregularError
    for c, v in values.items():  # the policy limits, on float64 before narrowing to float32
        if inputs.first_out_of_range(c, v) is not None:
            raise _IrregularError
    if inputs.first_time_out_of_range(values[T_S]) is not None:
        raise _IrregularError
    if DEVICE_TICKS in values and inputs.first_bad_tick(values[DEVICE_TICKS]) is not None:
        raise _IrregularError
    quat = [values[c] for c in QUAT_COLUMNS if c in values]
    if len(quat) == 4 and inputs.quat_norm_bad(np.column_stack(quat)) is not None:
        raise _IrregularError


def _stream_from_parts(label: str, store: _Growing, notes: list[str]) -> SensorStream:
    t = store.finish(T_S)
    dt = np.diff(t)
    if t.size < 1 or np.any(dt <= 0) or inputs.rate_problem(t, dt) is not None:
        raise _IrregularError  # the strict parser words the error (time not increasing)
    notes.extend(inputs.pause_warnings(label, t, dt_s=dt))

    def block(key: str) -> np.ndarray | None:
        if key not in store.arrays:
            return None
        arr = store.finish(key)
        return None if key in ("mag", "quat") and np.isnan(arr).all() else arr

    ticks = None
    if DEVICE_TICKS in store.arrays:
        raw = store.finish(DEVICE_TICKS)
        if np.isfinite(raw).all():
            ticks = np.round(raw).astype(np.int64)
    acc, gyr = block("acc"), block("gyr")
    if acc is None or gyr is None:  # cannot happen: required columns are checked first
        raise _IrregularError
    return SensorStream(
        placement=label,
        t_s=t,
        acc_m_s2=acc,
        gyr_rad_s=gyr,
        mag_ut=block("mag"),
        quat=block("quat"),
        device_ticks=ticks,
    )


# --- writing ---------------------------------------------------------------------------------


def _refuse_existing(*paths: Path) -> None:
    for p in paths:
        if p.exists():
            raise OutputExistsError(p)


def format_samples(samples: pd.DataFrame) -> bytes:
    """Canonical CSV bytes (header + rows) of a sample table, values rounded per column."""
    cols = [c for c in ALL_COLUMNS if c in samples.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise ValueError(f"sample table lacks required column(s) {missing}")
    import pandas as pd

    arrays: list[pa.Array] = []
    for c in cols:
        if c == SENSOR:
            arrays.append(pa.array(samples[c].astype(str).to_numpy(), type=pa.string()))
        elif c == DEVICE_TICKS:
            arrays.append(pa.array(pd.array(samples[c], dtype="Int64"), type=pa.int64()))
        else:
            v = np.round(samples[c].to_numpy(dtype=np.float64), COLUMN_DECIMALS[c]) + 0.0
            arrays.append(pa.array(v, mask=np.isnan(v)))
    table = pa.Table.from_arrays(arrays, names=cols)
    buf = io.BytesIO()
    buf.write((",".join(cols) + "\n").encode())
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return buf.getvalue()


def write_recording(
    path: str | Path,
    samples: pd.DataFrame,
    meta: SessionMeta | None = None,
) -> Path:
    """Write ``samples`` (sorted by ``t_s``) to ``path`` and ``meta`` to its sidecar.

    Never overwrites: raises OutputExistsError if the CSV or its sidecar exists (both are
    created exclusively; if the sidecar cannot be, the CSV just written is removed again).
    """
    p = Path(path)
    side = sidecar_path(p)
    _refuse_existing(p, *([side] if meta is not None else []))
    ordered = samples.sort_values(T_S, kind="stable", ignore_index=True)
    data = format_samples(ordered)
    if p.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    _write_with_sidecar(p, data, meta)
    return p


def _write_with_sidecar(p: Path, data: bytes | Iterable[bytes], meta: SessionMeta | None) -> None:
    """Write the recording ``p`` and its sidecar for ``meta`` (none without it).

    The recording gets its name last, once its sidecar is there (a kill in between left a
    recording read without its exercise, marks and gaps); if it cannot get it, the sidecar
    written is removed again.
    """
    written: list[Path] = []

    def sidecar() -> None:
        if meta is not None:
            written.append(write_sidecar(p, meta))

    try:
        write_new_file(p, data, before_publish=sidecar)
    except BaseException:
        for side in written:
            with suppress(OSError):
                side.unlink()
        raise


SPILL_MIN_BYTES = 1 << 24
"""Arrays smaller than this (16 MB: about 0.7 M samples of a vector) are not spilled."""


def spilled(arr: np.ndarray | None) -> np.ndarray | None:
    """``arr`` copied to an unlinked temporary file and mapped back read-only (the same values).

    Its pages are then the file's: they count as the process's memory only while they are
    mapped in, and :func:`release_spilled` hands them back (they are read again from the
    file when next used). For samples that must be kept whole but are used a window at a
    time (``import`` writing a long session). Small arrays, None, or a temporary file that
    cannot be written: ``arr`` as it is.
    """
    if arr is None or arr.nbytes < SPILL_MIN_BYTES:
        return arr
    data = np.ascontiguousarray(arr)
    try:
        with tempfile.TemporaryFile() as fh:
            fh.write(memoryview(data).cast("B"))
            fh.flush()
            mapped = mmap.mmap(fh.fileno(), data.nbytes, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return arr
    return np.frombuffer(mapped, dtype=data.dtype).reshape(data.shape)


def release_spilled(*arrays: np.ndarray | None) -> None:
    """Hand back the mapped-in pages of the :func:`spilled` arrays among ``arrays``."""
    for arr in arrays:
        base: Any = arr
        while base is not None and not isinstance(base, mmap.mmap):
            base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
        if base is not None and hasattr(mmap, "MADV_DONTNEED"):
            base.madvise(mmap.MADV_DONTNEED)


def _release_streams(streams: Mapping[str, SensorStream]) -> None:
    for s in streams.values():
        release_spilled(s.t_s, s.acc_m_s2, s.gyr_rad_s, s.mag_ut, s.quat, s.device_ticks)


WRITE_ROWS = 1 << 16
"""Rows (of all sensors) formatted at a time by :func:`write_streams`, on average."""


def write_streams(
    path: str | Path, streams: Mapping[str, SensorStream], meta: SessionMeta | None = None
) -> Path:
    """``write_recording(path, samples_from_streams(streams), meta)`` without the long table.

    The same bytes, formatted a time window of about :data:`WRITE_ROWS` rows at a time (and
    gzip-compressed as they come for ``.gz``), so a long session's table never exists whole.
    """
    p = Path(path)
    side = sidecar_path(p)
    _refuse_existing(p, *([side] if meta is not None else []))
    pieces = _csv_pieces(streams)
    _write_with_sidecar(p, _gzip_pieces(pieces) if p.name.endswith(".gz") else pieces, meta)
    return p


def _csv_pieces(streams: Mapping[str, SensorStream]) -> Iterator[bytes]:
    """Canonical CSV bytes of ``streams``, window by window of time (:func:`write_streams`).

    Rows of one window are the long table's rows with ``t_s`` in it, in the same order (the
    table's stable sort by ``t_s`` keeps the sensors' order among equal times), so the pieces
    join to ``format_samples(samples_from_streams(streams))``.
    """
    full = samples_from_streams({k: _rows(s, 0, 0) for k, s in streams.items()})
    cols = list(full.columns)
    header = (",".join(cols) + "\n").encode()
    n = sum(len(s) for s in streams.values())
    if n == 0:
        yield format_samples(full)
        return
    lo = min(float(s.t_s[0]) for s in streams.values() if len(s))
    hi = max(float(s.t_s[-1]) for s in streams.values() if len(s))
    edges = np.linspace(lo, hi, max(1, math.ceil(n / WRITE_ROWS)) + 1)[1:-1]
    starts = dict.fromkeys(streams, 0)
    yield header
    for edge in [*edges, math.inf]:
        window = {}
        for k, s in streams.items():
            end = len(s) if edge == math.inf else int(np.searchsorted(s.t_s, edge, "left"))
            window[k] = _rows(s, starts[k], end)
            starts[k] = end
        part = samples_from_streams(window)
        if len(part):
            for c in cols:
                if c not in part.columns:
                    part[c] = np.nan
            data = format_samples(part[cols])
            del part
            _release_streams(streams)  # spilled samples: this window's pages handed back
            yield data[len(header) :]


def _rows(s: SensorStream, a: int, b: int) -> SensorStream:
    """Rows ``a:b`` of a stream (views)."""

    def cut(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else x[a:b]

    return SensorStream(
        placement=s.placement,
        t_s=s.t_s[a:b],
        acc_m_s2=s.acc_m_s2[a:b],
        gyr_rad_s=s.gyr_rad_s[a:b],
        mag_ut=cut(s.mag_ut),
        quat=cut(s.quat),
        device_ticks=cut(s.device_ticks),
    )


def _gzip_pieces(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``gzip.compress(b"".join(pieces), compresslevel=9, mtime=0)``, piece by piece.

    (With ``mtime=0`` that is zlib's own gzip stream, which a compressor object writes the
    same way as it comes.)
    """
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    for piece in pieces:
        out = z.compress(piece)
        if out:
            yield out
    yield z.flush()


def sidecar_bytes(meta: SessionMeta) -> bytes:
    """The sidecar document of ``meta`` as written (indented UTF-8 JSON)."""
    return (json.dumps(meta.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_sidecar(
    csv_path: str | Path, meta: SessionMeta, *, replace: bool = False, sync: bool = True
) -> Path:
    """Write ``NAME.json`` atomically: readers see the old document or the new one, whole.

    The text goes to a new temporary file beside it (random name, created exclusively, never
    through a symlink) and is synced; then the temporary is linked to ``NAME.json`` — which
    refuses an existing name in the same call (OutputExistsError) — or, with ``replace`` (the
    recorder's updates of its own sidecar), renamed over it (a symlink there is replaced, not
    followed). ``sync=False`` skips the fsync (the recorder's frequent updates: a killed
    process loses nothing written, only a crashed computer would).
    """
    side = sidecar_path(csv_path)
    tmp, fd = new_temp_beside(side)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(sidecar_bytes(meta))
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        if replace:
            tmp.replace(side)
        else:
            publish_new(tmp, side)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()
    return side


def _fmt(value: Any, decimals: int | None) -> str:
    if value is None:
        return ""
    if decimals is None:
        return str(int(value))
    f = float(value)
    if math.isnan(f):
        return ""
    return repr(round(f, decimals) + 0.0)


class CanonicalAppender:
    """Append samples to a new canonical CSV as they arrive (the recorder's writer).

    Opens ``path`` exclusively (an existing file raises OutputExistsError), writes the header
    for ``columns`` (required columns plus any optional ones) and appends rows formatted like
    :func:`format_samples`. Call :meth:`flush` at least once a second; rows are line-buffered
    in Python and pushed to the OS on flush.
    """

    def __init__(self, path: str | Path, *, columns: Sequence[str] = REQUIRED_COLUMNS) -> None:
        bad = [c for c in columns if c not in ALL_COLUMNS]
        if bad:
            raise ValueError(f"unknown canonical column(s) {bad}")
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ValueError(f"columns lack required {missing}")
        self.path = Path(path)
        self.columns = tuple(c for c in ALL_COLUMNS if c in columns)
        self._decimals = [
            None if c == DEVICE_TICKS else COLUMN_DECIMALS.get(c) for c in self.columns
        ]
        fd = create_new(self.path)
        self._fh: IO[str] | None = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._fh.write(",".join(self.columns) + "\n")
        self.rows_written = 0

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows given as column → value mappings (missing optional values: empty)."""
        if self._fh is None:
            raise ValueError("appender is closed")
        out = []
        for row in rows:
            cells = []
            for c, d in zip(self.columns, self._decimals, strict=True):
                v = row.get(c)
                cells.append(str(v) if c == SENSOR else _fmt(v, d))
            out.append(",".join(cells))
        if out:
            self._fh.write("\n".join(out) + "\n")
            self.rows_written += len(out)

    def flush(self) -> None:
        """Push buffered rows to the operating system."""
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        """Flush and close; further appends raise."""
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
            self._fh = None

    def __enter__(self) -> CanonicalAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
