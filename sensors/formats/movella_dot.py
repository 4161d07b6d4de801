"""Movella (Xsens) DOT app CSV exports: one file per sensor.

Layout (verified with real exports, ``docs/vendor-formats.md``)::

    sep=,
    DeviceTag:,zdt
    ...                                       (Key:,value lines; "StartTime: " has a space)
    OutputRate:,60Hz
    Measurement Mode:,Sensor fusion Mode - Extended(Quaternion)
    StartTime: ,2021-08-20_20:21:13_829 GMT+8
    © Xsens Technologies B. V. 2005-2021

    PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,FreeAcc_X,FreeAcc_Y,FreeAcc_Z,Status
    1,3343444552,0.411830,-0.431467,-0.561427,-0.573619,0.016456,0.019243,-0.046306,0

``PacketCounter`` counts +1 per sample (a skip is lost packets); ``SampleTimeFine`` is the
sensor clock in µs (u32, wraps every 71.6 min), shared by sensors the app synchronised
(``SyncStatus: Synced``). ``Quat_*`` is the orientation sensor → local earth frame (ENU, the
frame of ``docs/conventions.md``), ``FreeAcc_*`` the acceleration in that earth frame with
gravity removed (m/s²), ``Acc_*`` specific force (m/s²), ``Gyr_*`` angular rate (deg/s),
``Mag_*`` magnetic field in arbitrary units (not read), ``dq_*``/``dv[i]`` orientation and
velocity increments per sample.

The Extended (Quaternion) payload has **no raw accelerometer or gyroscope**. The canonical
recording needs both, so they are *derived* and flagged (``VendorStream.derived``):

- angular rate from successive quaternions: ``ω_S(t_k) = rotvec(q_{k-1}* ⊗ q_{k+1}) /
  (t_{k+1} − t_{k-1})`` (exact for a constant body rate; one-sided at both ends);
- specific force from free acceleration: ``a_S = q_E_S* ⊗ (a_free,E + g·ẑ) ⊗ q_E_S`` with
  g = 9.80665 m/s².

Joint angles from such a file should use the vendor quaternions (the derived channels only
restate them); the session sidecar says so (``docs/vendor-formats.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from analysis.angles.rotations import conjugate, multiply, rotate, to_rotation
from analysis.errors import RecordingFormatError
from analysis.recording.inputs import is_plausible_rate
from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats.canonical import read_file_bytes
from sensors.formats.vendor import (
    FloatArray,
    IntArray,
    Table,
    VendorStream,
    decode_text,
    find_clock_gaps,
    line_at,
    long_or_whole_text,
    parse_table,
    split_header,
    unit_quaternions,
    unwrap_counter,
)

FORMAT = "movella_dot"
TIME_COLUMN = "SampleTimeFine"
COUNTER_COLUMN = "PacketCounter"
U32 = 2**32
CLOCK_WRAP_S = U32 * 1e-6
"""SampleTimeFine wraps after 2³² µs ≈ 4295 s."""
ROWS_PER_BLOCK = 1 << 16
"""Rows derived at a time (row-wise maths: the same numbers as all at once)."""

GROUPS: Mapping[str, tuple[str, ...]] = {
    "quat": ("Quat_W", "Quat_X", "Quat_Y", "Quat_Z"),
    "free_acc": ("FreeAcc_X", "FreeAcc_Y", "FreeAcc_Z"),
    "acc": ("Acc_X", "Acc_Y", "Acc_Z"),
    "gyr": ("Gyr_X", "Gyr_Y", "Gyr_Z"),
    "mag": ("Mag_X", "Mag_Y", "Mag_Z"),
    "euler": ("Euler_X", "Euler_Y", "Euler_Z"),
    "dq": ("dq_W", "dq_X", "dq_Y", "dq_Z"),
    "dv": ("dv[1]", "dv[2]", "dv[3]"),
}
"""Column groups of DOT exports (order of the non-quaternion modes: UNVERIFIED)."""

DERIVED_GYR = (
    "angular rate differentiated from successive vendor quaternions "
    "(rotvec(q[k-1]* q[k+1]) / (t[k+1] - t[k-1]))"
)
DERIVED_ACC = "specific force = free acceleration + g·z (ENU) rotated into the sensor frame"
DERIVED_GYR_DQ = "angular rate = rotation vector of dq / sample period"
DERIVED_ACC_DV = "specific force = dv / sample period"

_START_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2}):(\d{2})_(\d{1,3})(?:\s*GMT([+-]\d{1,2})(?::?(\d{2}))?)?$"
)


def is_dot_preamble(head_lines: list[str]) -> bool:
    """True if the first lines look like a DOT export (``sep=,`` + ``DeviceTag:`` or header)."""
    stripped = [ln.strip().lstrip("\ufeff") for ln in head_lines]
    if any(ln.startswith(f"{COUNTER_COLUMN},{TIME_COLUMN}") for ln in stripped):
        return True
    return (
        bool(stripped)
        and stripped[0] == "sep=,"
        and any(ln.startswith("DeviceTag:") for ln in stripped)
    )


def _parse_start(value: str) -> datetime | None:
    m = _START_RE.match(value.strip())
    if m is None:
        return None
    y, mo, d, hh, mi, ss, ms = (int(g) for g in m.groups()[:7])
    off_h = int(m.group(8) or 0)
    off_m = int(m.group(9) or 0) * (1 if off_h >= 0 else -1)
    tz = timezone(timedelta(hours=off_h, minutes=off_m))
    return datetime(y, mo, d, hh, mi, ss, ms * 1000, tzinfo=tz)


def read_movella_dot(path: str | Path) -> VendorStream:
    """Read one DOT app export: SI units on the sensor clock (SampleTimeFine, seconds).

    Gaps are found from PacketCounter skips (and SampleTimeFine jumps); they are recorded,
    never interpolated. Missing raw channels are derived from the quaternion (see module doc).
    """
    p = Path(path)
    text, info, header_idx, start = _text_and_preamble(p)
    header_line = header_idx + 1
    header = split_header(line_at(text, start)[0], ",", path=p)
    if TIME_COLUMN not in header:
        raise RecordingFormatError(
            p, f"no '{TIME_COLUMN}' column; expected the DOT sensor clock", line=header_line
        )
    present = {g: cols for g, cols in GROUPS.items() if all(c in header for c in cols)}
    _refuse_partial_groups(header, p, header_line)
    numeric = [c for c in (COUNTER_COLUMN, TIME_COLUMN) if c in header]
    numeric += [c for cols in present.values() for c in cols]
    table = parse_table(
        text,
        path=p,
        header_line=header_line,
        delimiter=",",
        numeric=numeric,
        expect_final_newline=False,
        start=start,
    )
    del text
    warnings = list(table.warnings)
    row_lines = table.lines
    ticks, t_s, counter = _clock(table, p)

    rate = _stated_rate(info, t_s, warnings)
    gaps = (
        find_clock_gaps(
            t_s,
            row_lines,
            rate_hz=rate,
            counter=counter,
            counter_name=COUNTER_COLUMN,
            reason="packet loss",
        )
        if len(t_s) > 1
        else ()
    )
    acc, gyr, quat, derived = _channels(table, present, t_s, rate, p)
    if "mag" in present:
        warnings.append("Mag_X..Z are in arbitrary units (not µT): not imported")
    if quat is None and "euler" in present:
        warnings.append("Euler_X..Z without Quat_*: orientation not imported (export quaternions)")
    for ch, how in derived.items():
        warnings.append(f"{ch} derived, not measured: {how}")

    tag, file_tag, device_id, synced = _identity(info, p, warnings)
    start = _parse_start(info.get("StartTime", ""))
    unix_offset = None if start is None else start.timestamp() - float(t_s[0])
    return VendorStream(
        path=p,
        format=FORMAT,
        device_id=device_id,
        clock="movella_dot:synced" if synced else f"movella_dot:{device_id}",
        clock_wrap_s=CLOCK_WRAP_S,
        unix_offset_s=unix_offset,
        t_s=t_s,
        lines=row_lines,
        acc_m_s2=acc,
        gyr_rad_s=gyr,
        quat=quat,
        derived=derived,
        device_ticks=ticks.astype(np.int64),
        nominal_rate_hz=rate,
        gaps=gaps,
        name_hints=tuple(h for h in (file_tag, tag) if h),
        started_at=None if start is None else start.isoformat(timespec="milliseconds"),
        info=info,
        warnings=tuple(warnings),
        description=f"Movella DOT {tag or file_tag}",
    )


def _identity(info: dict[str, str], p: Path, warnings: list[str]) -> tuple[str, str, str, bool]:
    """Device tag, file-name tag, device id and whether the clock was synced (warns if not)."""
    tag = info.get("DeviceTag") or ""
    synced = info.get("SyncStatus", "").strip().lower() == "synced"
    stem = p.name.split(".")[0]
    file_tag = re.split(r"_\d", stem, maxsplit=1)[0]
    device_id = f"DOT {tag}" if tag else f"DOT {file_tag}"
    if not synced:
        warnings.append(
            f"SyncStatus is {info.get('SyncStatus', 'missing')!r}, not 'Synced': this sensor's "
            "clock is aligned to others by StartTime only (±10 ms or worse)"
        )
    return tag, file_tag, device_id, synced


_PREAMBLE_LINES = 60
"""The column header is looked for in this many first lines."""


def _text_and_preamble(p: Path) -> tuple[str | bytes, dict[str, str], int, int]:
    """The file's text, its preamble, and the column header's line index and offset.

    A long plain export's text is read from the file as parsed (``vendor.long_or_whole_text``).
    """
    text = long_or_whole_text(p, read_file_bytes)
    try:
        lines, starts = _first_lines(text, _PREAMBLE_LINES + 1)
    except UnicodeDecodeError:
        decode_text(text, p)  # type: ignore[arg-type]  (raises, naming the line)
        raise
    info, header_idx = _preamble(lines, p)
    return text, info, header_idx, starts[header_idx]


def _first_lines(text: str | bytes, n: int) -> tuple[list[str], list[int]]:
    """The first ``n`` lines of ``text`` (str, or UTF-8 bytes) and where each starts.

    As splitting at every newline and keeping ``n`` lines, without splitting the rest of a
    long export. Bytes that are not UTF-8 raise UnicodeDecodeError.
    """
    lines: list[str] = []
    starts: list[int] = []
    pos = 0
    while len(lines) < n and pos <= len(text):
        starts.append(pos)
        line, pos = line_at(text, pos)
        lines.append(line)
    return lines, starts


def _preamble(lines: list[str], p: Path) -> tuple[dict[str, str], int]:
    """The ``Key:,value`` lines before the column header, and the header's index."""
    info: dict[str, str] = {}
    for i, raw in enumerate(lines[:_PREAMBLE_LINES]):
        ln = raw.rstrip("\r")
        if ln.startswith(f"{COUNTER_COLUMN},") or ln.startswith(f"{TIME_COLUMN},"):
            return info, i
        key, sep, value = ln.partition(",")
        if sep and key.strip().endswith(":"):
            info[key.strip().rstrip(":").strip()] = value.strip()
    raise RecordingFormatError(
        p,
        f"no DOT column header (a line starting '{COUNTER_COLUMN},{TIME_COLUMN},') in the "
        f"first {_PREAMBLE_LINES} lines; expected a Movella DOT app export",
    )


def _clock(table: Table, p: Path) -> tuple[FloatArray, FloatArray, IntArray | None]:
    """SampleTimeFine ticks, their unwrapped time in s, and the unwrapped PacketCounter."""
    row_lines = table.lines
    ticks = table.take(TIME_COLUMN)
    _check_integer(ticks, row_lines, p, TIME_COLUMN)
    t_us = unwrap_counter(ticks.astype(np.int64), U32)
    _check_steps(t_us, row_lines, p, TIME_COLUMN)
    counter = None
    if COUNTER_COLUMN in table.columns:
        raw_counter = table.take(COUNTER_COLUMN)
        _check_integer(raw_counter, row_lines, p, COUNTER_COLUMN)
        counter = unwrap_counter(raw_counter.astype(np.int64), U32)
        _check_steps(counter, row_lines, p, COUNTER_COLUMN)
    return ticks, t_us * 1e-6, counter


def _channels(
    table: Table, present: dict[str, tuple[str, ...]], t_s: FloatArray, rate: float, p: Path
) -> tuple[FloatArray | None, FloatArray | None, FloatArray | None, dict[str, str]]:
    """Specific force (m/s²), angular rate (rad/s), unit quaternion and derivations.

    The last maps each channel that was not measured to how it was derived
    (``{"acc"|"gyr": how}``).
    """

    def block(group: str) -> FloatArray | None:
        cols = present.get(group)
        if cols is None:
            return None
        out = np.empty((len(t_s), len(cols)))
        for i, c in enumerate(cols):  # column by column: each freed as it is copied
            out[:, i] = table.take(c)
        return out

    quat = block("quat")
    if quat is not None:
        quat = unit_quaternions(
            quat,
            table.lines,
            path=p,
            tolerance=0.05,
            expected="a unit quaternion Quat_W..Quat_Z",
            in_place=True,
        )
    derived: dict[str, str] = {}
    acc = block("acc")
    gyr = block("gyr")
    gyr = None if gyr is None else np.deg2rad(gyr)
    if gyr is None and "dq" in present:
        gyr = to_rotation(block("dq")).as_rotvec() * rate  # type: ignore[arg-type]
        derived["gyr"] = DERIVED_GYR_DQ
    if acc is None and "dv" in present:
        acc = block("dv") * rate  # type: ignore[operator]
        derived["acc"] = DERIVED_ACC_DV
    if gyr is None and quat is not None and len(t_s) > 1:
        gyr = angular_rate_from_quaternions(t_s, quat)
        derived["gyr"] = DERIVED_GYR
    free = block("free_acc")
    if acc is None and quat is not None and free is not None:
        acc = specific_force_from_free_acc(quat, free)
        derived["acc"] = DERIVED_ACC
    return acc, gyr, quat, derived


def _stated_rate(info: Mapping[str, str], t_s: FloatArray, warnings: list[str]) -> float:
    """The header's OutputRate, else the rate of the time stamps (with a warning)."""
    rate = _rate(info.get("OutputRate"))
    if rate is None:
        rate = float(1.0 / np.median(np.diff(t_s))) if len(t_s) > 1 else float("nan")
        stated = info.get("OutputRate")
        why = "no OutputRate" if not stated else f"OutputRate {stated!r} is not a plausible rate"
        warnings.append(f"{why} in the header: rate {rate:.2f} Hz from the time stamps")
    return rate


def _rate(value: str | None) -> float | None:
    if not value:
        return None
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*Hz\s*$", value, re.IGNORECASE)
    if m is None or not is_plausible_rate(float(m.group(1))):
        return None
    return float(m.group(1))


def _refuse_partial_groups(header: list[str], path: Path, line: int) -> None:
    """A channel group with some but not all of its columns (e.g. Quat_W renamed) raises."""
    for cols in GROUPS.values():
        have = [c for c in cols if c in header]
        if have and len(have) < len(cols):
            missing = [c for c in cols if c not in header]
            raise RecordingFormatError(
                path,
                f"column(s) {', '.join(missing)} missing beside {', '.join(have)}; expected "
                "the whole group (a renamed or deleted column?)",
                line=line,
            )


def _check_integer(values: FloatArray, lines: np.ndarray, path: Path, column: str) -> None:
    bad = np.flatnonzero((values != np.round(values)) | (values < 0) | (values >= U32))
    if bad.size:
        i = int(bad[0])
        raise RecordingFormatError(
            path,
            f"{float(values[i]):.15g} is not an unsigned 32-bit integer",
            line=int(lines[i]),
            column=column,
        )


def _check_steps(values: np.ndarray, lines: np.ndarray, path: Path, column: str) -> None:
    step = np.diff(values)
    bad = np.flatnonzero(step <= 0)
    if bad.size:
        j = int(bad[0])
        how = "repeats" if step[j] == 0 else "goes backwards"
        raise RecordingFormatError(
            path,
            f"{column} {how}: {int(values[j + 1])} after {int(values[j])} at line "
            f"{int(lines[j])}; expected it to increase (a sensor reset or reordered rows)",
            line=int(lines[j + 1]),
            column=column,
        )


# --- derived channels (pure maths) -----------------------------------------------------------


def angular_rate_from_quaternions(t_s: ArrayLike, q_E_S: ArrayLike) -> FloatArray:
    """Angular rate (rad/s, sensor frame) from orientations sensor → earth.

    Central difference ``rotvec(q[k-1]* ⊗ q[k+1]) / (t[k+1] − t[k-1])`` inside, one-sided at
    the ends; exact for a constant rate about a sensor-fixed axis. ``(N, 4)`` in, ``(N, 3)``
    out; needs N ≥ 2.
    """
    t = np.asarray(t_s, dtype=np.float64)
    q = np.asarray(q_E_S, dtype=np.float64)
    if t.shape[0] < 2:
        raise ValueError("need at least two orientations to differentiate")
    out = np.empty((t.size, 3))
    for a in range(0, t.size, ROWS_PER_BLOCK):  # row by row: blocks keep a long file's copies small
        k = np.arange(a, min(t.size, a + ROWS_PER_BLOCK))
        lo = np.clip(k - 1, 0, t.size - 2)
        hi = np.clip(k + 1, 1, t.size - 1)
        rel = multiply(conjugate(q[lo]), q[hi])
        out[k] = to_rotation(rel).as_rotvec() / (t[hi] - t[lo])[:, None]
    return out


def specific_force_from_free_acc(q_E_S: ArrayLike, free_acc_E_m_s2: ArrayLike) -> FloatArray:
    """Specific force in the sensor frame from free acceleration in the earth frame (ENU).

    ``a_S = q_E_S* ⊗ (a_free + [0, 0, g]) ⊗ q_E_S``: at rest it reads +g on the axis pointing
    up (docs/conventions.md).
    """
    free = np.asarray(free_acc_E_m_s2, dtype=np.float64)
    q = np.asarray(q_E_S, dtype=np.float64)
    g = np.array([0.0, 0.0, GRAVITY_M_S2])
    if free.ndim == 1 or q.ndim == 1:
        return rotate(conjugate(q), free + g)
    out = np.empty(np.broadcast_shapes(free.shape, (*q.shape[:-1], 3)))
    for a in range(0, out.shape[0], ROWS_PER_BLOCK):
        b = a + ROWS_PER_BLOCK
        out[a:b] = rotate(conjugate(q[a:b]), free[a:b] + g)
    return out


def free_acc_from_specific_force(q_E_S: ArrayLike, acc_S_m_s2: ArrayLike) -> FloatArray:
    """Inverse of :func:`specific_force_from_free_acc`: ``q ⊗ a_S ⊗ q* − [0, 0, g]``."""
    return rotate(q_E_S, acc_S_m_s2) - np.array([0.0, 0.0, GRAVITY_M_S2])
