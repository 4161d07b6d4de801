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
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from analysis.errors import RecordingFormatError
from analysis.recording.inputs import is_plausible_rate
from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats.canonical import read_file_bytes, write_new_file
from sensors.formats.vendor import (
    VendorStream,
    check_increasing,
    checked_rate,
    decode_text,
    find_clock_gaps,
    parse_table,
    split_header,
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


def _offset(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def read_metabase(path: str | Path) -> VendorStream:
    """Read one MetaBase export file into SI units on the Unix clock.

    Accelerometer g → m/s² (× 9.80665), gyroscope deg/s → rad/s, magnetometer T → µT,
    quaternion (w, x, y, z) as written (sensor → earth of MetaWear sensor fusion). ``t_s`` is
    ``epoch (ms)`` / 1000 (Unix seconds). Euler-angle, linear-acceleration and gravity files
    return a stream without channels and a warning saying why.
    """
    p = Path(path)
    text = decode_text(read_file_bytes(p), p)
    first = text.split("\n", 1)[0].rstrip("\r")
    m = HEADER_RE.match(first)
    if m is None:
        raise RecordingFormatError(
            p,
            f"not a MetaBase export: header {first[:80]!r}; expected 'epoch (ms),time (HH:MM),"
            "elapsed (s),…'",
            line=1,
        )
    tz = _offset(m.group(1))
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
        text_columns=(header[1],),
    )
    warnings += table.warnings
    epoch_ms = table.floats(header[0])
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
    stream_kw: dict[str, object] = {}
    if kind == "accelerometer":
        stream_kw["acc_m_s2"] = values * GRAVITY_M_S2
    elif kind == "gyroscope":
        stream_kw["gyr_rad_s"] = np.deg2rad(values)
    elif kind == "magnetometer":
        stream_kw["mag_ut"] = values * 1e6
    elif kind == "quaternion":
        norm = np.linalg.norm(values, axis=1)
        bad = np.flatnonzero(~(np.abs(norm - 1.0) < 0.1))
        if bad.size:
            i = int(bad[0])
            raise RecordingFormatError(
                p,
                f"quaternion norm {norm[i]:.3f}; expected a unit quaternion (w, x, y, z)",
                line=int(table.lines[i]),
            )
        stream_kw["quat"] = values / norm[:, None]
    else:
        warnings.append(
            f"MetaBase {kind.replace('_', ' ')} export carries no canonical channel (needs "
            "Accelerometer and Gyroscope, optional Magnetometer/Quaternion): not used"
        )
    nominal, notes = checked_rate(t_s, table.lines, path=p, nominal_hz=rate, column=header[0])
    warnings += notes
    gaps = find_clock_gaps(t_s, table.lines, rate_hz=nominal) if len(t_s) > 1 else ()
    first_time = str(table.columns[header[1]][0]).strip()
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


def _stem(p: Path) -> str:
    name = p.name
    for suffix in (".csv.gz", ".csv"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return p.stem


def _mac(text: str) -> str:
    t = text.upper()
    return ":".join(t[i : i + 2] for i in range(0, 12, 2))


# --- writer (tests and interoperability) ----------------------------------------------------


def metabase_file_name(
    *,
    sensor: str,
    start_unix_s: float,
    utc_offset_min: int,
    mac: str,
    rate_hz: float,
    prefix: str = "MetaWear",
    firmware: str = "1.4.4",
) -> str:
    """The file name MetaBase gives an export (``prefix`` is the device name)."""
    local = datetime.fromtimestamp(start_unix_s, UTC) + timedelta(minutes=utc_offset_min)
    start = local.strftime("%Y-%m-%dT%H.%M.%S.") + f"{local.microsecond // 1000:03d}"
    mac_hex = mac.replace(":", "").upper()
    return f"{prefix}_{start}_{mac_hex}_{sensor}_{rate_hz:.3f}Hz_{firmware}.csv"


def write_metabase(
    folder: str | Path,
    sensor: str,
    t_unix_s: ArrayLike,
    values: ArrayLike,
    *,
    mac: str = "C4:27:32:BE:25:5C",
    rate_hz: float,
    utc_offset_min: int = 60,
    prefix: str = "MetaWear",
    signed_offset: bool = False,
) -> Path:
    """Write one MetaBase-style export file (a **test / interoperability writer**).

    Parameters
    ----------
    folder
        Existing folder; the file gets MetaBase's name (see :func:`metabase_file_name`).
        An existing file is never overwritten (OutputExistsError).
    sensor
        ``Accelerometer`` (values: specific force m/s², written in g), ``Gyroscope`` (rad/s,
        written in deg/s), ``Magnetometer`` (µT, written in T) or ``Quaternion`` (w, x, y, z).
    t_unix_s
        ``(N,)`` Unix times in seconds, written as ``epoch (ms)`` (rounded to 1 ms).
    signed_offset
        Write the offset as ``+01:00`` and times as ``HH-mm-ss`` (a third-party variant).

    Values are rounded like MetaBase: 3 decimals (g, deg/s, quaternion), 9 decimals (T).
    """
    kinds = {v: k for k, v in SENSOR_FILE_NAMES.items()}
    if sensor not in kinds:
        raise ValueError(f"sensor must be one of {sorted(kinds)}, got {sensor!r}")
    t = np.asarray(t_unix_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    kind = kinds[sensor]
    if kind == "accelerometer":
        out, cols, dec = v / GRAVITY_M_S2, ("x-axis (g)", "y-axis (g)", "z-axis (g)"), 3
    elif kind == "gyroscope":
        out, cols, dec = np.rad2deg(v), ("x-axis (deg/s)", "y-axis (deg/s)", "z-axis (deg/s)"), 3
    elif kind == "magnetometer":
        out, cols, dec = v * 1e-6, ("x-axis (T)", "y-axis (T)", "z-axis (T)"), 9
    else:
        out, cols, dec = v, ("w (number)", "x (number)", "y (number)", "z (number)"), 3
    epoch_ms = np.round(t * 1000.0).astype(np.int64)
    sign = "-" if utc_offset_min < 0 else ("+" if signed_offset else "")
    off = f"{sign}{abs(utc_offset_min) // 60:02d}:{abs(utc_offset_min) % 60:02d}"
    tz = timezone(timedelta(minutes=utc_offset_min))
    time_fmt = "%Y-%m-%dT%H-%M-%S" if signed_offset else "%Y-%m-%dT%H:%M:%S"
    p = Path(folder) / metabase_file_name(
        sensor=sensor,
        start_unix_s=float(epoch_ms[0]) / 1000.0,
        utc_offset_min=utc_offset_min,
        mac=mac,
        rate_hz=rate_hz,
        prefix=prefix,
    )
    lines = [f"epoch (ms),time ({off}),elapsed (s),{','.join(cols)}"]
    for ms, row in zip(epoch_ms, out, strict=True):
        local = datetime.fromtimestamp(int(ms) // 1000, tz)
        stamp = local.strftime(time_fmt) + f".{int(ms) % 1000:03d}"
        elapsed = (int(ms) - int(epoch_ms[0])) / 1000.0
        cells = ",".join(_fixed(x, dec) for x in row)
        lines.append(f"{int(ms)},{stamp},{elapsed:.3f},{cells}")
    return write_new_file(p, ("\n".join(lines) + "\n").encode("utf-8"))


def _fixed(x: float, decimals: int) -> str:
    s = f"{x:.{decimals}f}"
    return "0." + "0" * decimals if s.startswith("-") and float(s) == 0.0 else s


def write_metabase_session(
    folder: str | Path,
    *,
    t_unix_s: Sequence[ArrayLike],
    acc_m_s2: ArrayLike,
    gyr_rad_s: ArrayLike,
    rates_hz: tuple[float, float],
    mac: str = "C4:27:32:BE:25:5C",
    prefix: str = "MetaWear",
) -> tuple[Path, Path]:
    """Write the Accelerometer and Gyroscope files of one board (test writer).

    ``t_unix_s`` holds the two time vectors (acc, gyro); ``rates_hz`` the rates in the names.
    """
    a = write_metabase(
        folder, "Accelerometer", t_unix_s[0], acc_m_s2, mac=mac, rate_hz=rates_hz[0], prefix=prefix
    )
    g = write_metabase(
        folder, "Gyroscope", t_unix_s[1], gyr_rad_s, mac=mac, rate_hz=rates_hz[1], prefix=prefix
    )
    return a, g


__all__ = [
    "FORMAT",
    "is_metabase_header",
    "metabase_file_name",
    "read_metabase",
    "write_metabase",
    "write_metabase_session",
]
