"""WitMotion PC-software CSV exports (BWT901BLECL / WT901BLE family). **UNVERIFIED** layout.

No real export was available; the 28 columns come from third-party analysis code
(``../shared/reference/sensor-protocols.md`` §7.3)::

    Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g),
    Angular velocity X(°/s),…,ShiftX(mm),…,SpeedX(mm/s),…,Angle X(°),…,
    Magnetic field X(ʯt),…,Temperature(℃),Quaternions 0(),…,Quaternions 3(),Raw power(),
    Power Percent(%)()

``Time`` is the PC's time of day at receipt (`` 16:44:16.689``); ``Chip Time()`` the sensor's
date-time (``2024-3-19 16:44:16.689``, one parser assumes ``…:16:689``). Columns are found by
name and unit (units in the parentheses are converted: g, m/s², °/s, rad/s, µT spelt ``ʯt``,
mG, G, T), so a reordered or shortened export still reads; comma or tab separated. Quaternion
``0..3`` is taken as ``w, x, y, z`` (sensor → earth, WitMotion's earth frame; UNVERIFIED).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from analysis.errors import RecordingFormatError
from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats.canonical import read_file_bytes
from sensors.formats.vendor import (
    FloatArray,
    Table,
    VendorStream,
    decode_text,
    find_clock_gaps,
    line_at,
    long_or_whole_text,
    parse_table,
    split_header,
    unit_quaternions,
)

FORMAT = "witmotion"
HOST_TIME = "Time"
CHIP_TIME = "Chip Time()"
DEVICE = "Device name"

_VECTOR_RE = {
    "acc": re.compile(r"^Acceleration ([XYZ])\s*\((.*)\)$", re.IGNORECASE),
    "gyr": re.compile(r"^Angular velocity ([XYZ])\s*\((.*)\)$", re.IGNORECASE),
    "mag": re.compile(r"^Magnetic field ([XYZ])\s*\((.*)\)$", re.IGNORECASE),
}
_QUAT_RE = re.compile(r"^Quaternions ([0-3])\s*\(\)$", re.IGNORECASE)

_ACC_UNITS = {"g": GRAVITY_M_S2, "m/s²": 1.0, "m/s2": 1.0, "m/s^2": 1.0}
_GYR_UNITS = {"°/s": np.pi / 180.0, "deg/s": np.pi / 180.0, "dps": np.pi / 180.0, "rad/s": 1.0}
_MAG_UNITS = {
    "ʯt": 1.0,
    "µt": 1.0,
    "μt": 1.0,
    "ut": 1.0,
    "nt": 1e-3,
    "mg": 0.1,
    "g": 100.0,
    "gauss": 100.0,
    "t": 1e6,
}
"""Magnetic-field unit → µT factor (1 G = 100 µT; ``ʯt`` is how the software spells µT)."""

_VectorSpec = tuple[tuple[str, str, str], str] | None
"""(x, y, z column names, unit) of one vector quantity, or None when absent."""

_CHIP_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.:](\d{1,6}))?\s*$"
)
_TOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.:](\d{1,6}))?\s*$")


def is_witmotion_header(first_line: str) -> bool:
    """True for the header of a WitMotion PC-software export (comma or tab separated)."""
    line = first_line.strip().lstrip("\ufeff")
    for delim in (",", "\t"):
        try:
            cells = split_header(line, delim)
        except RecordingFormatError:  # a line the csv module cannot split
            return False
        if DEVICE in cells and any(_VECTOR_RE["acc"].match(c) for c in cells):
            return True
    return False


def _delimiter(first_line: str) -> str:
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def _vector_columns(header: list[str], kind: str, path: Path) -> _VectorSpec:
    found: dict[str, tuple[str, str]] = {}
    for c in header:
        m = _VECTOR_RE[kind].match(c)
        if m:
            found[m.group(1).upper()] = (c, m.group(2).strip())
    if not found:
        return None
    if set(found) != {"X", "Y", "Z"}:
        raise RecordingFormatError(
            path, f"incomplete {kind} columns {sorted(found)}; expected X, Y and Z", line=1
        )
    units = {u for _, u in found.values()}
    if len(units) != 1:
        raise RecordingFormatError(path, f"{kind} columns mix units {sorted(units)}", line=1)
    cols = (found["X"][0], found["Y"][0], found["Z"][0])
    return cols, units.pop()


def _parse_times(cells: np.ndarray, regex: re.Pattern[str]) -> tuple[FloatArray, int | None]:
    """Seconds (naive clock) per cell, and the index of the first unparseable cell."""
    out = np.empty(cells.size)
    for i, cell in enumerate(cells):
        m = regex.match(str(cell))
        if m is None:
            return out, i
        g = m.groups()
        frac = float("0." + g[-1]) if g[-1] else 0.0
        if regex is _CHIP_RE:
            try:
                dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]))
            except ValueError:
                return out, i
            out[i] = dt.replace(tzinfo=UTC).timestamp() + frac
        else:
            out[i] = int(g[0]) * 3600 + int(g[1]) * 60 + int(g[2]) + frac
    return out, None


def read_witmotion(path: str | Path) -> tuple[VendorStream, ...]:
    """Read a WitMotion export: one stream per ``Device name`` in the file.

    Time base: ``Chip Time()`` (sensor clock) when every row parses and increases, else the
    PC receipt time ``Time`` (midnight roll-over handled), with a warning saying why.
    """
    p = Path(path)
    text = long_or_whole_text(p, read_file_bytes)  # a long export: read as parsed
    try:
        first = line_at(text, 0)[0]
    except UnicodeDecodeError:
        decode_text(text, p)  # type: ignore[arg-type]  (raises, naming the line)
        raise
    if not is_witmotion_header(first):
        raise RecordingFormatError(
            p,
            f"not a WitMotion export: header {first[:80]!r}; expected 'Time,Device name,Chip "
            "Time(),Acceleration X(g),…'",
            line=1,
        )
    delim = _delimiter(first)
    header = split_header(first, delim, path=p)
    vectors = {k: _vector_columns(header, k, p) for k in _VECTOR_RE}
    quat_cols = sorted((c for c in header if _QUAT_RE.match(c)), key=lambda c: c)
    numeric = [c for v in vectors.values() if v is not None for c in v[0]]
    if len(quat_cols) == 4:
        numeric += quat_cols
    text_cols = [c for c in (HOST_TIME, CHIP_TIME, DEVICE) if c in header]
    if HOST_TIME not in header and CHIP_TIME not in header:
        raise RecordingFormatError(
            p, f"no time column; expected '{HOST_TIME}' or '{CHIP_TIME}'", line=1
        )
    table = parse_table(
        text, path=p, header_line=1, delimiter=delim, numeric=numeric, text_columns=text_cols
    )
    devices = (
        _device_names(table.columns[DEVICE])
        if DEVICE in table.columns
        else np.full(len(table.lines), p.stem, dtype=object)
    )
    streams = []
    for device in dict.fromkeys(devices):
        idx = np.flatnonzero(devices == device)
        streams.append(_device_stream(p, table, idx, str(device), vectors, quat_cols))
    return tuple(streams)


def _device_names(column: pa.ChunkedArray) -> np.ndarray:
    """Each row's device name, stripped (one ``str`` per distinct name, shared by its rows)."""
    coded = column.combine_chunks().dictionary_encode()
    names = np.asarray([str(d).strip() for d in coded.dictionary.to_pylist()], dtype=object)
    return names[coded.indices.to_numpy(zero_copy_only=False)]


def _device_stream(
    p: Path,
    table: Table,
    idx: np.ndarray,
    device: str,
    vectors: dict[str, _VectorSpec],
    quat_cols: list[str],
) -> VendorStream:
    warnings = list(table.warnings)
    lines = table.lines[idx]
    t_s, clock = _times(p, table, idx, warnings)

    def block(kind: str, units: dict[str, float]) -> FloatArray | None:
        spec = vectors[kind]
        if spec is None:
            return None
        cols, unit = spec
        factor = units.get(unit.lower() if kind == "mag" else unit)
        if factor is None:
            warnings.append(f"{kind} unit {unit!r} not recognised: {kind} not imported")
            return None
        with np.errstate(over="ignore"):  # 1e308 g is inf m/s², refused at its line
            values = np.column_stack([table.floats(c)[idx] for c in cols]) * factor
        if not np.any(values):
            warnings.append(f"{kind} columns are all zero (output not enabled): not imported")
            return None
        return values

    quat = _quaternion(p, table, idx, quat_cols)
    rate = float(1.0 / np.median(np.diff(t_s))) if len(t_s) > 1 else float("nan")
    # receipt times jitter with BLE connection events: a gap needs 3 periods without data
    factor = 1.5 if clock == "witmotion:chip" else 3.0
    gaps = find_clock_gaps(t_s, lines, rate_hz=rate, factor=factor) if len(t_s) > 2 else ()
    name = re.sub(r"\s+", " ", device)
    hints = tuple(h for h in (name, re.split(r"[_(]", p.stem.strip("_"))[0]) if h)
    return VendorStream(
        path=p,
        format=FORMAT,
        device_id=f"WitMotion {name}",
        clock=clock,
        t_s=t_s,
        lines=lines,
        acc_m_s2=block("acc", _ACC_UNITS),
        gyr_rad_s=block("gyr", _GYR_UNITS),
        mag_ut=block("mag", _MAG_UNITS),
        quat=quat,
        nominal_rate_hz=None,
        gaps=gaps,
        name_hints=hints,
        info={"device": device, "clock": clock},
        warnings=tuple(warnings),
        description=f"WitMotion {name}",
    )


def _times(p: Path, table: Table, idx: np.ndarray, warnings: list[str]) -> tuple[FloatArray, str]:
    """Time stamps in s and their clock.

    The chip time when readable and increasing, else the PC receipt time (a warning says
    why).
    """
    lines = table.lines[idx]
    why = ""
    if CHIP_TIME in table.columns:
        cells = table.text(CHIP_TIME, idx)
        t, bad = _parse_times(cells, _CHIP_RE)
        if bad is not None:
            why = f"'{CHIP_TIME}' {str(cells[bad]).strip()!r} at line {int(lines[bad])} unreadable"
        elif np.any(np.diff(t) <= 0):
            j = int(np.flatnonzero(np.diff(t) <= 0)[0])
            why = f"'{CHIP_TIME}' does not increase at line {int(lines[j + 1])}"
        else:
            return t, "witmotion:chip"
    if HOST_TIME not in table.columns:
        raise RecordingFormatError(p, f"{why}; and no '{HOST_TIME}' column to fall back on")
    cells = table.text(HOST_TIME, idx)
    t, bad = _parse_times(cells, _TOD_RE)
    if bad is not None:
        raise RecordingFormatError(
            p,
            f"{str(cells[bad]).strip()!r} is not a time of day HH:MM:SS.mmm",
            line=int(lines[bad]),
            column=HOST_TIME,
        )
    # time of day: a step back of more than 12 h is midnight
    t = t + 86400.0 * np.concatenate(([0], np.cumsum(np.diff(t) < -43200.0)))
    step = np.diff(t)
    if np.any(step <= 0):
        j = int(np.flatnonzero(step <= 0)[0])
        raise RecordingFormatError(
            p,
            f"time {str(cells[j + 1]).strip()} does not increase after "
            f"{str(cells[j]).strip()} (line {int(lines[j])}); expected increasing receipt "
            "times",
            line=int(lines[j + 1]),
            column=HOST_TIME,
        )
    if why:
        warnings.append(f"{why}: using the PC receipt time '{HOST_TIME}' instead")
    return t, "witmotion:host"


def _quaternion(p: Path, table: Table, idx: np.ndarray, quat_cols: list[str]) -> FloatArray | None:
    """The unit quaternions of the four ``Quaternions`` columns; None when absent or all zero."""
    if len(quat_cols) != 4:
        return None
    quat = np.column_stack([table.floats(c)[idx] for c in quat_cols])
    if np.all(np.linalg.norm(quat, axis=1) < 1e-9):
        return None  # quaternion output not enabled: the columns are all zero
    return unit_quaternions(quat, table.lines[idx], path=p, tolerance=0.05)
