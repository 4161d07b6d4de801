"""MbientLab MetaBase CSV exports: one file per sensor of a MetaMotion board.

Format (verified with real exports, ``docs/vendor-formats.md``)::

    epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)
    1547472169751,2019-01-14T14:22:49.751,0.000,-0.147,0.702,-0.276

``epoch (ms)`` is Unix time in ms (the phone's clock, so files of one session and of several
boards share it); ``time (±HH:MM)`` is local wall time with the UTC offset only in the header
(no ``+`` for positive offsets in MetaBase itself, a signed offset and ``HH-mm-ss`` time from
other exporters); ``elapsed (s)`` restarts at 0 in every file. Data columns by sensor:
accelerometer ``(g)``, gyroscope ``(deg/s)``, magnetometer ``(T)``, quaternion ``(number)``
``w,x,y,z``; Euler angles, linear acceleration and gravity exports are recognised but carry no
canonical channel. File name: ``[label_]MetaWear_<local start>_<MAC>_<Sensor>_<rate>Hz_<fw>.csv``
(the MAC groups the files of one board).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from analysis.errors import RecordingFormatError
from analysis.recording.inputs import MAX_UNIX_S, is_plausible_rate
from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats.canonical import read_file_bytes
from sensors.formats.vendor import (
    FloatArray,
    IntArray,
    VendorStream,
    check_increasing,
    checked_rate,
    csv_cells,
    decode_text,
    find_clock_gaps,
    line_at,
    long_or_whole_text,
    parse_table,
    split_header,
    unit_quaternions,
)

FORMAT = "metabase"

HEADER_RE = re.compile(r"^epoch \(ms\),time \(([+-]?\d{1,2}:\d{2})\),elapsed \(s\),")
"""First line of a MetaBase export (the time-zone offset in the second column)."""

NAME_RE = re.compile(
    r"^(?P<prefix>.*?)_?(?P<start>\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.\d{3})_"
    r"(?P<mac>[0-9A-Fa-f]{12})_(?P<sensor>[A-Za-z][A-Za-z ]*?)_(?P<rate>\d+(?:\.\d+)?)Hz"
    r"(?:_(?P<firmware>[\w.]+))?$"
)

# data columns (header cells stripped) → sensor kind
_KINDS: dict[tuple[str, ...], str] = {
    ("x-axis (g)", "y-axis (g)", "z-axis (g)"): "g",
    ("x-axis (deg/s)", "y-axis (deg/s)", "z-axis (deg/s)"): "gyroscope",
    ("x-axis (T)", "y-axis (T)", "z-axis (T)"): "magnetometer",
    ("w (number)", "x (number)", "y (number)", "z (number)"): "quaternion",
    ("pitch (deg)", "roll (deg)", "yaw (deg)", "heading (deg)"): "euler",
}
SENSOR_FILE_NAMES = {
    "accelerometer": "Accelerometer",
    "gyroscope": "Gyroscope",
    "magnetometer": "Magnetometer",
    "quaternion": "Quaternion",
}
"""Sensor word in MetaBase file names for the channels this module reads and writes."""


def is_metabase_header(first_line: str) -> bool:
    """True if ``first_line`` is a MetaBase header (any offset spelling)."""
    return HEADER_RE.match(first_line.strip().lstrip("\ufeff")) is not None


def _kind(data_cols: tuple[str, ...], sensor_word: str | None, path: Path) -> tuple[str, str]:
    """(kind, warning) from the data header and the sensor word of the file name."""
    kind = _KINDS.get(data_cols)
    if kind is None:
        raise RecordingFormatError(
            path,
            f"unknown MetaBase data columns {','.join(data_cols)}; expected x/y/z-axis in "
            "(g), (deg/s) or (T), w/x/y/z (number) or pitch/roll/yaw/heading (deg)",
            line=1,
        )
    if kind != "g":
        return kind, ""
    word = (sensor_word or "").lower().replace(" ", "")
    if "linear" in word:
        return "linear_acceleration", ""
    if "gravity" in word:
        return "gravity", ""
    if "accelerometer" in word or "acc" in word:
        return "accelerometer", ""
    return "accelerometer", (
        "file name does not say which sensor wrote the (g) columns: read as Accelerometer "
        "(MetaBase names it …_Accelerometer_<rate>Hz_…)"
    )


def _offset(text: str, path: Path) -> timezone:
    """The header's UTC offset; one no clock uses (``99:00``, ``12:60``) is an error at line 1."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes = (int(x) for x in text.lstrip("+-").split(":"))
    if minutes >= 60 or hours >= 24:
        raise RecordingFormatError(
            path,
            f"header 'time ({text})': not a time zone; expected a UTC offset from -23:59 to +23:59",
            line=1,
        )
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def read_metabase(path: str | Path) -> VendorStream:
    """Read one MetaBase export file into SI units on the Unix clock.

    Accelerometer g → m/s² (× 9.80665), gyroscope deg/s → rad/s, magnetometer T → µT,
    quaternion (w, x, y, z) as written (sensor → earth of MetaWear sensor fusion). ``t_s`` is
    ``epoch (ms)`` / 1000 (Unix seconds). Euler-angle, linear-acceleration and gravity files
    return a stream without channels and a warning saying why.
    """
    p = Path(path)
    text, first = _text_and_header(p)
    m = HEADER_RE.match(first)
    if m is None:
        raise RecordingFormatError(
            p,
            f"not a MetaBase export: header {first[:80]!r}; expected 'epoch (ms),time (HH:MM),"
            "elapsed (s),…'",
            line=1,
        )
    tz = _offset(m.group(1), p)
    header = split_header(first, ",", path=p)
    data_cols = tuple(header[3:])
    name = NAME_RE.match(_stem(p))
    kind, note = _kind(data_cols, name.group("sensor") if name else None, p)
    warnings = [note] if note else []
    table = parse_table(
        text,
        path=p,
        header_line=1,
        delimiter=",",
        numeric=(header[0], *data_cols),
    )
    first_time = _first_time(text, table.lines[0])
    del text
    warnings += table.warnings
    epoch_ms = table.floats(header[0])
    _check_unix_ms(epoch_ms, table.lines, path=p, column=header[0])
    t_s = epoch_ms / 1000.0
    check_increasing(t_s, table.lines, path=p, column=header[0])
    values = np.column_stack([table.floats(c) for c in data_cols])

    rate = float(name.group("rate")) if name else None
    if rate is not None and not is_plausible_rate(rate):
        rate = None
    mac = _mac(name.group("mac")) if name else None
    device_id = mac or f"{p.parent.name}/{_stem(p)}"
    hints = tuple(
        h
        for h in (name.group("prefix") if name else _stem(p),)
        if h and h.lower() not in {"metawear", ""}
    )
    stream_kw = _channel(kind, values, table.lines, p, warnings)
    nominal, notes = checked_rate(t_s, table.lines, path=p, nominal_hz=rate, column=header[0])
    warnings += notes
    gaps = find_clock_gaps(t_s, table.lines, rate_hz=nominal) if len(t_s) > 1 else ()
    started = datetime.fromtimestamp(float(t_s[0]), UTC).astimezone(tz)
    return VendorStream(
        path=p,
        format=FORMAT,
        device_id=device_id,
        clock="unix",
        unix_offset_s=0.0,
        t_s=t_s,
        lines=table.lines,
        device_ticks=np.round(epoch_ms).astype(np.int64),
        nominal_rate_hz=rate,
        gaps=gaps,
        name_hints=hints,
        started_at=started.isoformat(timespec="milliseconds"),
        info={
            "sensor": kind,
            "utc_offset": m.group(1),
            "first_time": first_time,
            **({"firmware": name.group("firmware")} if name and name.group("firmware") else {}),
        },
        warnings=tuple(warnings),
        description=f"MetaBase {kind} {mac or ''}".strip(),
        **stream_kw,  # type: ignore[arg-type]
    )


def _check_unix_ms(epoch_ms: np.ndarray, lines: np.ndarray, *, path: Path, column: str) -> None:
    """Raise RecordingFormatError at the first time that is no Unix time in milliseconds.

    An ``epoch (ms)`` column in microseconds (or seconds far ahead) put the session in the
    year 55840: the start time's ``datetime`` raised an internal error before round 16.
    """
    bad = np.flatnonzero(~((epoch_ms >= 0.0) & (epoch_ms <= MAX_UNIX_S * 1000.0)))
    if bad.size:
        j = int(bad[0])
        raise RecordingFormatError(
            path,
            f"{float(epoch_ms[j]):g} is not a Unix time in milliseconds; expected 0 to "
            f"{MAX_UNIX_S * 1000.0:g} (1970 to 2286; a time in microseconds?)",
            line=int(lines[j]),
            column=column,
        )


def _text_and_header(p: Path) -> tuple[str | bytes, str]:
    """The file's text and its first line.

    A long plain export's text is read from the file as parsed (``vendor.long_or_whole_text``).
    """
    text = long_or_whole_text(p, read_file_bytes)
    try:
        return text, line_at(text, 0)[0]
    except UnicodeDecodeError:
        decode_text(text, p)  # type: ignore[arg-type]  (raises, naming the line)
        raise


def _first_time(text: str | bytes, line: int) -> str:
    """The ``time`` cell of the first data row (file line ``line``), stripped."""
    pos = 0
    for _ in range(line - 1):
        pos = line_at(text, pos)[1]
    return csv_cells(line_at(text, pos)[0], ",")[1].strip()


def _channel(
    kind: str, values: FloatArray, lines: IntArray, p: Path, warnings: list[str]
) -> dict[str, FloatArray]:
    """The file's values as the VendorStream channel they are, in SI units.

    ``{}`` with a warning for a kind that carries no canonical channel.
    """
    stream_kw: dict[str, FloatArray] = {}
    if kind == "accelerometer":
        with np.errstate(over="ignore"):  # 1e308 g is inf m/s², refused at its line
            stream_kw["acc_m_s2"] = values * GRAVITY_M_S2
    elif kind == "gyroscope":
        stream_kw["gyr_rad_s"] = np.deg2rad(values)
    elif kind == "magnetometer":
        with np.errstate(over="ignore"):
            stream_kw["mag_ut"] = values * 1e6
    elif kind == "quaternion":
        stream_kw["quat"] = unit_quaternions(
            values,
            lines,
            path=p,
            tolerance=0.1,
            expected="a unit quaternion (w, x, y, z)",
            digits=3,
        )
    else:
        warnings.append(
            f"MetaBase {kind.replace('_', ' ')} export carries no canonical channel (needs "
            "Accelerometer and Gyroscope, optional Magnetometer/Quaternion): not used"
        )
    return stream_kw


def _stem(p: Path) -> str:
    name = p.name
    for suffix in (".csv.gz", ".csv"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return p.stem


def _mac(text: str) -> str:
    t = text.upper()
    return ":".join(t[i : i + 2] for i in range(0, 12, 2))


__all__ = [
    "FORMAT",
    "is_metabase_header",
    "read_metabase",
]
