"""What every vendor-export reader returns, and the table parsing they share.

A vendor reader turns one export file into one or more :class:`VendorStream`: the file's
samples in SI units (specific force m/s², angular rate rad/s, magnetic field µT, quaternion
scalar-first sensor → earth) on the **file's own clock** (``t_s`` in seconds on ``clock``), with
the gaps it found and the file line of every sample. ``sensors.formats.merge`` groups streams
into sensors, puts them on one time base and builds the canonical ``Recording``.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from analysis.errors import RecordingFormatError
from analysis.recording.inputs import hole_problem, regular_file_problem, shorten

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

GAP_FACTOR = 1.5
"""A sample interval longer than ``GAP_FACTOR`` nominal periods is a gap (lost samples)."""


@dataclass(frozen=True, kw_only=True)
class ClockGap:
    """Samples missing from a stream, on the stream's clock.

    ``[start_s, end_s)`` runs from the time the first missing sample was due to the time of the
    next sample present (half-open, DESIGN §3); ``missing`` is the number of lost samples
    (from a packet counter when the format has one, else from the clock and nominal rate).
    """

    start_s: float
    end_s: float
    missing: int
    line: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class VendorStream:
    """One vendor file's samples (or one device's rows of a file) in SI units.

    Attributes
    ----------
    path, format
        Source file and format name (``metabase``, ``movella_dot``, ``witmotion``, ``phyphox``).
    device_id
        Key that groups files into one worn sensor (MAC address, DOT tag, device name, phone
        export folder).
    clock
        Clock domain of ``t_s``: streams with the same ``clock`` share one time base.
    t_s
        ``(N,)`` sample times in seconds on ``clock`` (strictly increasing).
    unix_offset_s
        Add to ``t_s`` to get Unix time (wall clock), or None when the file does not say.
    clock_wrap_s
        Period after which the device clock wraps (DOT: 2³² µs), or None.
    acc_m_s2, gyr_rad_s, mag_ut
        ``(N, 3)`` specific force (+g on an axis pointing up at rest), angular rate and magnetic
        field in the sensor frame, or None when the file does not hold them.
    quat
        ``(N, 4)`` the vendor's fused orientation, scalar first, sensor → earth, or None.
    derived
        Channel name → how it was derived when it is not a measurement of the sensor (e.g.
        angular rate differentiated from quaternions).
    device_ticks
        ``(N,)`` raw counter or device time as written in the file, or None.
    lines
        ``(N,)`` 1-based file line of each sample.
    name_hints
        Names that may tell the placement (DOT tag, file-name words), most specific first.
    """

    path: Path
    format: str
    device_id: str
    clock: str
    t_s: FloatArray
    lines: IntArray
    unix_offset_s: float | None = None
    clock_wrap_s: float | None = None
    acc_m_s2: FloatArray | None = None
    gyr_rad_s: FloatArray | None = None
    mag_ut: FloatArray | None = None
    quat: FloatArray | None = None
    derived: Mapping[str, str] = field(default_factory=dict)
    device_ticks: IntArray | None = None
    nominal_rate_hz: float | None = None
    gaps: tuple[ClockGap, ...] = ()
    name_hints: tuple[str, ...] = ()
    started_at: str | None = None
    info: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    description: str = ""

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def channels(self) -> tuple[str, ...]:
        """Names of the channels present: ``acc``, ``gyr``, ``mag``, ``quat``."""
        present = (
            ("acc", self.acc_m_s2),
            ("gyr", self.gyr_rad_s),
            ("mag", self.mag_ut),
            ("quat", self.quat),
        )
        return tuple(name for name, arr in present if arr is not None)

    @property
    def rate_hz(self) -> float:
        """Nominal rate if the file states one, else the median-interval rate."""
        if self.nominal_rate_hz is not None:
            return float(self.nominal_rate_hz)
        if len(self) < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.t_s)))


# --- reading text --------------------------------------------------------------------------


def decode_text(raw: bytes | FileBytes, path: Path) -> str:
    """UTF-8 text without a byte-order mark; other encodings raise RecordingFormatError."""
    raw = bytes(raw)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        if exc.reason == "unexpected end of data" and exc.start > line_start:
            # a file cut inside a character of its last line (a killed recorder), after some
            # of that line: the line is cut off anyway, and the table reader drops it with a
            # warning (before round 16 the whole file was refused). A last line of nothing
            # but the broken character stays an error (Latin-1 text?)
            return decode_text(raw[: exc.start], path)
        line = raw[: exc.start].count(b"\n") + 1
        raise RecordingFormatError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected a CSV export", line=line
        ) from None
    if "\r" in text:  # CR-LF and lone CR (old Mac) line ends both end a line
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_header(line: str, delimiter: str, *, path: Path | None = None) -> list[str]:
    """Header cells of one line, unquoted and stripped."""
    return [c.strip() for c in csv_cells(line, delimiter, path=path)]


def csv_cells(line: str, delimiter: str, *, path: Path | None = None, lineno: int = 1) -> list[str]:
    """Cells of one CSV line; what the csv module cannot split raises RecordingFormatError."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise RecordingFormatError(
            path, f"cannot split the line into cells ({exc})", line=lineno
        ) from None


@dataclass(frozen=True)
class Table:
    """Parsed data rows: text and float columns by header name, and each row's file line.

    A text column is held as Arrow strings (a long export's would take about 80 bytes a
    cell as Python strings): :meth:`text` gives its cells as Python strings.
    """

    columns: Mapping[str, Any]
    lines: IntArray
    warnings: tuple[str, ...]

    def text(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Text column ``name`` (of ``rows``, indices, when given) as an array of ``str``."""
        col = self.columns[name]
        if rows is not None:
            col = col.take(pa.array(np.asarray(rows, dtype=np.int64)))
        return np.asarray(col.to_pylist(), dtype=object)

    def floats(self, name: str) -> FloatArray:
        """Column ``name`` as float64."""
        return np.asarray(self.columns[name], dtype=np.float64)

    def take(self, name: str) -> FloatArray:
        """Column ``name`` as float64, removed from the table.

        A reader that takes its columns as it uses them frees a long file's as it goes.
        """
        return np.asarray(self.columns.pop(name), dtype=np.float64)  # type: ignore[attr-defined]


BLOCK_CHARS = 1 << 21
"""A table longer than this (characters after its header) is parsed a block of whole lines at
a time, so a long export never exists as a list of Python strings; any error is reported by
parsing it whole (the same message and line)."""


class _WholeTableError(Exception):
    """The block-wise parse cannot be sure to match the whole one: parse it whole."""


def parse_table(
    text: str | bytes,
    *,
    path: Path,
    header_line: int,
    delimiter: str,
    numeric: Sequence[str],
    text_columns: Sequence[str] = (),
    decimal_comma: bool = False,
    expect_final_newline: bool = True,
    start: int = 0,
) -> Table:
    """Parse the header line and data rows of a delimited export.

    Parameters
    ----------
    text
        File text; the header line (1-based line ``header_line`` of the file) starts at
        ``text[start]`` and the table runs to the end. Or the file's bytes as
        :func:`long_plain_text` keeps them (``start`` then counts bytes).
    numeric, text_columns
        Header names to return as float64 / as strings; other columns are not converted.
    decimal_comma
        Numbers use ``,`` as the decimal mark (only with a non-comma ``delimiter``).
    expect_final_newline
        The format ends every row with a newline: a file that stops without one was cut off
        mid-row, so its last row is dropped with a warning. Without this, only a last row with
        too few fields is dropped.

    Long tables (over :data:`BLOCK_CHARS`) are parsed in blocks of whole lines with the same
    result; a block that holds a quote, or any error, sends the table to the whole parse.

    Raises
    ------
    RecordingFormatError
        Naming the file line and column: a row with a wrong number of fields, a cell that is
        not a number, an empty or NaN value, no data rows.
    """
    spec = _Spec(path, header_line, delimiter, tuple(numeric), tuple(text_columns), decimal_comma)
    if len(text) - start > BLOCK_CHARS:
        try:
            return _parse_blocks(text, start, spec, expect_final_newline)
        except (_WholeTableError, RecordingFormatError):
            pass  # the whole parse below raises the error it always did (or succeeds)
    if not isinstance(text, str):
        start = len(text[:start].decode("utf-8"))
        text = decode_text(text, path)
    whole = text[start:] if start else text
    warnings: list[str] = []
    body = whole.split("\n")
    header = split_header(body[0].rstrip("\r"), delimiter, path=path)
    rows = _data_rows(
        whole,
        body,
        path=path,
        header_line=header_line,
        delimiter=delimiter,
        n_fields=len(header),
        expect_final_newline=expect_final_newline,
        warnings=warnings,
    )
    del body
    lines, out = _parse_rows(rows, header, spec)
    return Table(columns=out, lines=lines, warnings=tuple(warnings))


@dataclass(frozen=True)
class _Spec:
    """What :func:`parse_table` was asked for (shared by its whole and block-wise parses)."""

    path: Path
    header_line: int
    delimiter: str
    numeric: tuple[str, ...]
    text_columns: tuple[str, ...]
    decimal_comma: bool


def _parse_rows(
    rows: list[tuple[int, str]], header: list[str], spec: _Spec
) -> tuple[IntArray, dict[str, Any]]:
    """Each row's file line and the wanted columns of ``rows`` (``(line, text)`` pairs)."""
    path, delimiter = spec.path, spec.delimiter
    n_fields = len(header)
    lines = np.fromiter((n for n, _ in rows), dtype=np.int64, count=len(rows))
    data = "\n".join(ln for _, ln in rows) + "\n"
    if spec.decimal_comma:
        # a decimal comma only occurs with ';' or tab delimiters: make it a point
        data = data.replace(",", ".")
    wanted = list(dict.fromkeys([*spec.numeric, *spec.text_columns]))
    missing = [c for c in wanted if c not in header]
    if missing:
        raise RecordingFormatError(
            path, f"missing column(s) {', '.join(missing)} in the header", line=spec.header_line
        )
    names = [f"c{i}" for i in range(n_fields)]
    index = {h: i for i, h in reversed(list(enumerate(header)))}
    types: dict[str, pa.DataType] = {names[i]: pa.string() for i in range(n_fields)}
    try:
        table = pacsv.read_csv(
            io.BytesIO(data.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        _raise_field_count(data, delimiter, n_fields, lines, path)
        raise  # pragma: no cover  (_raise_field_count always raises)
    if table.num_rows != len(rows):  # a stray quote joined rows (Arrow does not always say)
        _raise_field_count(data, delimiter, n_fields, lines, path)
    del data
    out: dict[str, np.ndarray] = {}
    for name in spec.text_columns:  # compact Arrow strings of this column alone
        out[name] = pa.chunked_array(
            [pa.concat_arrays(table.column(names[index[name]]).chunks)], type=pa.string()
        )
    for name in spec.numeric:
        out[name] = _numeric_column(table.column(names[index[name]]), name, lines, path)
    return lines, out


class FileBytes:
    """A plain file's bytes, read from the file as they are asked for (``os.pread``).

    What :func:`parse_table`'s block-wise parse and :func:`line_at` use of ``bytes`` —
    ``len``, slices, ``find``/``rfind``/``count`` of a short pattern, ``startswith``/
    ``endswith``, ``in`` — so a long export is parsed without its bytes in memory. ``bytes()``
    of it reads it whole (the whole parse, an error's line). The length is the file's when it
    was opened; a file that shrinks while it is read raises RecordingFormatError.
    """

    CHUNK = 1 << 20
    CHUNK_MAX = 1 << 30

    def __init__(self, path: Path, fd: int, size: int) -> None:
        self.path = path
        self._fd = fd
        self._size = size

    def __del__(self) -> None:
        os.close(self._fd)

    def __len__(self) -> int:
        return self._size

    def _read(self, start: int, stop: int) -> bytes:
        start, stop = max(0, start), min(self._size, stop)
        if stop <= start:
            return b""
        # one pread returns at most about 2 GiB (Linux): a longer range is read in pieces
        # (before round 16 a whole read of a 2.2-GB export was "the file changed")
        pieces = []
        at = start
        while at < stop:
            piece = os.pread(self._fd, min(stop - at, self.CHUNK_MAX), at)
            if not piece:
                raise RecordingFormatError(self.path, "the file changed while it was read")
            pieces.append(piece)
            at += len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def __getitem__(self, key: slice) -> bytes:
        start, stop, step = key.indices(self._size)
        if step != 1:
            raise ValueError("FileBytes slices have step 1")
        return self._read(start, stop)

    def __bytes__(self) -> bytes:
        return self._read(0, self._size)

    def _chunks(self, start: int, end: int | None, overlap: int) -> Iterator[tuple[int, bytes]]:
        """``(offset, bytes)`` of ``[start, end)`` in chunks, each running ``overlap`` on."""
        end = self._size if end is None else min(end, self._size)
        for a in range(max(0, start), end, self.CHUNK):
            yield a, self._read(a, min(end, a + self.CHUNK + overlap))

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """As ``bytes.find``."""
        for a, data in self._chunks(start, end, len(sub) - 1):
            i = data.find(sub)
            if i >= 0:
                return a + i
        return -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """As ``bytes.rfind``."""
        stop = self._size if end is None else min(end, self._size)
        while stop > start:
            a = max(start, stop - self.CHUNK)
            i = self._read(a, stop).rfind(sub)
            if i >= 0:
                return a + i
            stop = a + len(sub) - 1 if a > start else start
        return -1

    def count(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Occurrences of ``sub``, a pattern that cannot overlap itself (a line end).

        Each chunk runs ``len(sub) - 1`` bytes on, so an occurrence is counted in the chunk
        where it starts.
        """
        return sum(data.count(sub) for _, data in self._chunks(start, end, len(sub) - 1))

    def startswith(self, prefix: bytes) -> bool:
        """As ``bytes.startswith``."""
        return self._read(0, len(prefix)) == prefix

    def endswith(self, suffix: bytes) -> bool:
        """As ``bytes.endswith``."""
        return self._read(self._size - len(suffix), self._size) == suffix

    def __contains__(self, sub: bytes) -> bool:
        return self.find(sub) >= 0


def long_plain_file(path: Path) -> FileBytes | None:
    """A long plain export as :class:`FileBytes`, when :func:`parse_table` can take it so.

    That is a regular file (not ``.gz``) over :data:`BLOCK_CHARS` without a byte-order mark,
    whose only carriage returns end CR-LF lines (:func:`long_plain_text`). Else None (and for
    anything the whole read should report: a file that is not regular or cannot be opened).
    """
    if path.name.lower().endswith(".gz") or regular_file_problem(path) is not None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if (
        not stat.S_ISREG(st.st_mode)
        or st.st_size <= BLOCK_CHARS
        or hole_problem(fd, st.st_size) is not None  # the whole read refuses it, unread
    ):
        os.close(fd)
        return None
    text = FileBytes(path, fd, st.st_size)
    return long_plain_text(text)  # type: ignore[return-value]


def long_or_whole_text(path: Path, read_whole: Callable[[Path], bytes]) -> str | bytes | FileBytes:
    """A vendor file's text for :func:`parse_table`.

    :func:`long_plain_file` when it can be read as parsed, else ``read_whole(path)``
    (``canonical.read_file_bytes``: a ``.gz`` unpacked, anything not a regular file refused)
    kept as bytes when long (:func:`long_plain_text`), else decoded (:func:`decode_text`).
    """
    text = long_plain_file(path)
    if text is not None:
        return text
    raw = read_whole(path)
    return long_plain_text(raw) or decode_text(raw, path)


def long_plain_text(raw: bytes) -> bytes | None:
    """``raw`` itself when :func:`parse_table` can take a long export's bytes as they are.

    That is a file over :data:`BLOCK_CHARS` without a byte-order mark whose carriage
    returns, if any, all end CR-LF lines: its lines, their carriage returns stripped, are
    those of :func:`decode_text`'s text; it is decoded a block at a time (a block that is not
    UTF-8 sends the file to :func:`decode_text`, which says where).
    Else None: decode the file.
    """
    long = len(raw) > BLOCK_CHARS and not raw.startswith(b"\xef\xbb\xbf")
    if long and (b"\r" not in raw or raw.count(b"\r") == raw.count(b"\r\n")):
        return raw
    return None


def line_at(text: str | bytes, start: int) -> tuple[str, int]:
    """The line of ``text`` (str, or UTF-8 bytes) at ``start``, and where the next starts.

    The line is without its line end; after the last line (no newline follows) the next
    start is ``len(text) + 1``, so lines are those of splitting at every newline. Bytes that
    are not UTF-8 raise UnicodeDecodeError.
    """
    end = text.find("\n" if isinstance(text, str) else b"\n", start)  # type: ignore[arg-type]
    piece = text[start:] if end < 0 else text[start:end]
    line = piece if isinstance(piece, str) else piece.decode("utf-8")
    return line.rstrip("\r"), len(text) + 1 if end < 0 else end + 1


def _parse_blocks(text: str | bytes, start: int, spec: _Spec, expect_final_newline: bool) -> Table:
    """:func:`parse_table` of a long table, :data:`BLOCK_CHARS` of whole lines at a time.

    Raises _WholeTableError where only the whole parse can say what it does (a quote, a line
    longer than a block, a last block without data) and lets any RecordingFormatError out.
    """
    nl = "\n" if isinstance(text, str) else b"\n"
    end_header = text.find(nl, start)  # type: ignore[arg-type]
    if end_header < 0:
        raise _WholeTableError
    header_text = _as_text(text[start:end_header])
    header = split_header(header_text.rstrip("\r"), spec.delimiter, path=spec.path)
    pos, line_no = end_header + 1, spec.header_line + 1
    # room for every line (blank ones included), filled block by block: no list of blocks
    # to join at the end, whose freed pieces the C heap would keep
    room = text.count(nl, pos) + 1  # type: ignore[arg-type]
    lines = np.empty(room, dtype=np.int64)
    out: dict[str, np.ndarray] = {c: np.empty(room) for c in spec.numeric}
    texts: dict[str, list[pa.Array]] = {c: [] for c in spec.text_columns}
    n = 0
    warnings: list[str] = []
    while pos < len(text):
        end = min(len(text), pos + BLOCK_CHARS)
        if end < len(text):
            end = text.rfind(nl, pos, end) + 1  # type: ignore[arg-type]
            if end <= pos:
                raise _WholeTableError
        block = _as_text(text[pos:end])
        if '"' in block:
            raise _WholeTableError
        pieces = block.split("\n")
        del block
        last = end == len(text)
        if not last:
            pieces.pop()  # the empty piece after the block's final newline
        rows = [(line_no + i, ln.rstrip("\r")) for i, ln in enumerate(pieces)]
        line_no += len(pieces)
        del pieces
        rows = [(n, ln) for n, ln in rows if ln.strip()]
        if last:
            if not rows:
                raise _WholeTableError
            rows = _without_cut_row(
                rows,
                ends_with_newline=text.endswith(nl),  # type: ignore[arg-type]
                delimiter=spec.delimiter,
                path=spec.path,
                n_fields=len(header),
                expect_final_newline=expect_final_newline,
                warnings=warnings,
            )
        if rows:
            block_lines, columns = _parse_rows(rows, header, spec)
            lines[n : n + len(rows)] = block_lines
            _store(columns, n, out, texts)
            n += len(rows)
        pos = end
    if n == 0:
        raise _WholeTableError
    kept: dict[str, Any] = {name: values[:n] for name, values in out.items()}
    kept |= {name: pa.chunked_array(parts, type=pa.string()) for name, parts in texts.items()}
    return Table(
        columns={n: kept[n] for n in dict.fromkeys([*spec.text_columns, *spec.numeric])},
        lines=lines[:n],
        warnings=tuple(warnings),
    )


def _store(
    columns: Mapping[str, Any], n: int, out: dict[str, np.ndarray], texts: dict[str, list[pa.Array]]
) -> None:
    """One block's columns into the table's: numbers from row ``n`` on, text appended."""
    for name, values in columns.items():
        if name in texts:
            texts[name] += values.chunks
        else:
            out[name][n : n + len(values)] = values


def _as_text(piece: str | bytes) -> str:
    """A block of whole lines as text (bytes that are not UTF-8: the whole parse says where)."""
    if isinstance(piece, str):
        return piece
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        raise _WholeTableError from None


def _without_cut_row(
    rows: list[tuple[int, str]],
    *,
    ends_with_newline: bool,
    delimiter: str,
    path: Path,
    n_fields: int,
    expect_final_newline: bool,
    warnings: list[str],
) -> list[tuple[int, str]]:
    """``rows`` without a last row the file cut off mid-row (``warnings`` says so)."""
    last_no, last = rows[-1]
    n_last = len(csv_cells(last, delimiter, path=path, lineno=last_no))
    if (expect_final_newline and not ends_with_newline) or n_last < n_fields:
        warnings.append(
            f"line {last_no}: incomplete last row dropped (the file ends mid-row: "
            f"{n_last} of {n_fields} fields{'' if ends_with_newline else ', no final newline'})"
        )
        return rows[:-1]
    return rows


def _data_rows(
    text: str,
    body: list[str],
    *,
    path: Path,
    header_line: int,
    delimiter: str,
    n_fields: int,
    expect_final_newline: bool,
    warnings: list[str],
) -> list[tuple[int, str]]:
    """The non-blank data lines with their file line numbers, without a cut-off last row."""
    # data lines with their file line numbers (blank lines are skipped, as a CSV reader does)
    rows = [(header_line + i, ln.rstrip("\r")) for i, ln in enumerate(body[1:], start=1)]
    rows = [(n, ln) for n, ln in rows if ln.strip()]
    if rows:
        rows = _without_cut_row(
            rows,
            ends_with_newline=text.endswith("\n"),
            delimiter=delimiter,
            path=path,
            n_fields=n_fields,
            expect_final_newline=expect_final_newline,
            warnings=warnings,
        )
    if not rows:
        raise RecordingFormatError(path, "no data rows after the header", line=header_line + 1)
    return rows


def _numeric_column(raw: pa.ChunkedArray, name: str, lines: IntArray, path: Path) -> FloatArray:
    """A text column as float64; an empty or non-finite cell raises (naming line and column)."""
    try:
        values = pc.cast(pc.utf8_trim_whitespace(raw), pa.float64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        values = _to_float(np.asarray(raw.to_pylist(), dtype=object))
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell = str(raw[i].as_py()).strip()
        what = "empty cell" if not cell else f"{shorten(cell)} is not a finite number"
        raise RecordingFormatError(
            path, f"{what}; expected a decimal number", line=int(lines[i]), column=name
        )
    return values


def _to_float(cells: np.ndarray) -> FloatArray:
    """Cells as float64, NaN where a cell is no plain decimal number.

    Python's ``float`` also takes ``1_0`` (10) and non-ASCII digits (``١``, ``１``): those are
    no numbers in a CSV export (and the canonical reader refuses them), so they are NaN too.
    """
    stripped = np.char.strip(cells.astype(str))
    values = np.full(stripped.shape, np.nan)
    for i, s in enumerate(stripped):
        if "_" in s or not s.isascii():
            continue
        try:
            values[i] = float(s)
        except ValueError:
            values[i] = np.nan
    return values


def _raise_field_count(
    data: str, delimiter: str, n_fields: int, lines: IntArray, path: Path
) -> None:
    i = 0  # the row being read (a csv.Error is about it, not the one before)
    try:
        for row in csv.reader(io.StringIO(data), delimiter=delimiter):
            if len(row) != n_fields:
                raise RecordingFormatError(
                    path,
                    f"row has {len(row)} fields; expected {n_fields} like the header",
                    line=int(lines[min(i, len(lines) - 1)]),
                )
            i += 1
    except csv.Error as exc:
        where = int(lines[min(i, len(lines) - 1)])
        raise RecordingFormatError(
            path, f"cannot split the row into cells ({exc})", line=where
        ) from None
    raise RecordingFormatError(path, "cannot parse the rows as CSV")


# --- clocks --------------------------------------------------------------------------------


def check_increasing(t: FloatArray, lines: IntArray, *, path: Path, column: str) -> None:
    """Raise RecordingFormatError at the first sample whose time does not increase."""
    dt = np.diff(t)
    bad = np.flatnonzero(~(dt > 0))
    if bad.size:
        j = int(bad[0])
        how = "repeats" if dt[j] == 0 else "goes backwards from"
        raise RecordingFormatError(
            path,
            f"time {how} the previous row (line {int(lines[j])}): {float(t[j + 1])!r} after "
            f"{float(t[j])!r}; "
            "expected strictly increasing time stamps (a clock reset or reordered rows)",
            line=int(lines[j + 1]),
            column=column,
        )


def unit_quaternions(
    quat: FloatArray,
    lines: IntArray,
    *,
    path: Path,
    tolerance: float,
    expected: str = "a unit quaternion",
    digits: int = 4,
    in_place: bool = False,
) -> FloatArray:
    """``quat`` ``(n, 4)`` scaled to unit norm, each row by its own norm.

    ``in_place`` scales ``quat`` itself (the same numbers without a second array). Raises
    RecordingFormatError at the first row whose norm is not within ``tolerance`` of 1
    (a NaN norm included): "quaternion norm N; expected ``expected``", N to ``digits``
    decimals, at that row's file line ``lines[i]``.
    """
    norm = np.linalg.norm(quat, axis=1)
    bad = np.flatnonzero(~(np.abs(norm - 1.0) < tolerance))
    if bad.size:
        i = int(bad[0])
        raise RecordingFormatError(
            path, f"quaternion norm {norm[i]:.{digits}f}; expected {expected}", line=int(lines[i])
        )
    if in_place:
        quat /= norm[:, None]
        return quat
    return quat / norm[:, None]


def find_clock_gaps(
    t_s: FloatArray,
    lines: IntArray,
    *,
    rate_hz: float,
    counter: IntArray | None = None,
    counter_name: str = "counter",
    reason: str = "lost samples",
    factor: float = GAP_FACTOR,
) -> tuple[ClockGap, ...]:
    """Gaps where the interval exceeds ``factor`` nominal periods (or the counter skips).

    With a ``counter`` (+1 per sample, already unwrapped) a skip of the counter defines the gap
    and the number missing; otherwise the clock does. Use a larger ``factor`` for jittery
    host-side time stamps.
    """
    period = 1.0 / rate_hz
    dt = np.diff(t_s)
    if counter is not None:
        step = np.diff(counter)
        idx = np.flatnonzero((step > 1) | (dt > factor * period))
    else:
        step = None
        idx = np.flatnonzero(dt > factor * period)
    gaps = []
    for j in idx:
        j = int(j)
        if step is not None and step[j] > 1:
            missing = int(step[j] - 1)
            detail = f"{counter_name} {int(counter[j])} → {int(counter[j + 1])}"  # type: ignore[index]
        else:
            missing = max(1, round(dt[j] * rate_hz) - 1)
            detail = f"{dt[j] * 1e3:.1f} ms between samples, {period * 1e3:.1f} ms expected"
        gaps.append(
            ClockGap(
                start_s=float(t_s[j] + min(period, dt[j] / 2)),
                end_s=float(t_s[j + 1]),
                missing=missing,
                line=int(lines[j + 1]),
                reason=f"{reason}: {missing} missing ({detail})",
            )
        )
    return tuple(gaps)


def checked_rate(
    t_s: FloatArray,
    lines: IntArray,
    *,
    path: Path,
    nominal_hz: float | None,
    column: str,
    spread: float = 1.5,
    has_counter: bool = False,
) -> tuple[float, list[str]]:
    """The rate to find gaps with, and warnings; a file that changes rate mid-way raises.

    The nominal rate (file name or header) is used unless the median interval disagrees by
    more than 10 % (then the measured rate, with a warning). Without a packet counter, more than
    20 % of intervals outside ``[1/spread, spread]`` periods means the rate changes within the
    file: RecordingFormatError naming the first line where the interval changes.
    """
    warnings: list[str] = []
    if t_s.size < 2:
        return (nominal_hz or float("nan")), warnings
    dt = np.diff(t_s)
    measured = float(1.0 / np.median(dt))
    rate = measured if nominal_hz is None else float(nominal_hz)
    if nominal_hz is not None and abs(measured / nominal_hz - 1.0) > 0.1:
        warnings.append(
            f"the file says {nominal_hz:g} Hz but samples are {1e3 / measured:.1f} ms apart "
            f"({measured:.2f} Hz): using the measured rate"
        )
        rate = measured
    period = 1.0 / rate
    off = (dt > spread * period) | (dt < period / spread)
    if not has_counter and dt.size >= 10 and off.mean() > 0.2:
        j = int(np.flatnonzero(off)[0])
        raise RecordingFormatError(
            path,
            f"mixed sample rates: intervals of {1e3 * dt[j]:.1f} ms from here, "
            f"{1e3 * period:.1f} ms typical ({100 * off.mean():.0f} % of intervals differ); "
            "expected one rate per file",
            line=int(lines[j + 1]),
            column=column,
        )
    return rate, warnings


def unwrap_counter(raw: IntArray, modulus: int) -> IntArray:
    """Unwrap a counter that wraps at ``modulus``.

    Each step is taken as the signed difference nearest zero modulo ``modulus`` (so a wrap
    from ``modulus - 1`` to 0 is +1, and a step backwards stays negative for the caller to
    report); the first value is kept.
    """
    if raw.size == 0:
        return raw.astype(np.int64)
    half = modulus // 2
    steps = (np.diff(raw.astype(np.int64)) + half) % modulus - half
    return np.concatenate(([int(raw[0])], int(raw[0]) + np.cumsum(steps))).astype(np.int64)
