"""The input policy (``docs/input-policy.md``): which files are read and which values are kept.

Everything a user hands to stretchguard passes these checks at the edge where it is read:

* **Files**: only regular files are opened (a FIFO would block the open, a device never ends,
  a folder is not a file); a symlink is judged by what it points to. Small documents (sidecars,
  profiles) are read with a size cap: at most ``cap + 1`` bytes are ever read.
* **Samples**: every measurement is checked against the limits of the sensors this tool reads
  (``SAMPLE_LIMITS``) *before* it is narrowed to float32, so 1e39 never becomes ``inf``.
* **Time**: ``t_s`` lies in ``[MIN_T_S, MAX_SESSION_S]``, the median sample interval of a
  sensor is no shorter than ``1 / MAX_RATE_HZ`` and a pause longer than ``WARN_GAP_S`` is
  accepted as a gap with a warning (the time base marks it invalid; angles are never
  interpolated across it). Backward steps and duplicates are refused by the readers.

The functions here are pure NumPy (no file formats): readers call them with their own line
numbers and error types.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.recording.schema import ACC_COLUMNS, GYR_COLUMNS, MAG_COLUMNS, QUAT_COLUMNS

GRAVITY_M_S2 = 9.80665

ACC_LIMIT_M_S2 = 20.0 * GRAVITY_M_S2
"""Largest accepted |specific force| per axis: the ±16 g full scale of the supported sensors
plus 25 % (a saturated axis reads at most full scale; anything beyond is corruption)."""

GYR_LIMIT_RAD_S = float(np.deg2rad(2500.0))
"""Largest accepted |angular rate| per axis: ±2000 °/s full scale plus 25 % (43.6 rad/s)."""

MAG_LIMIT_UT = 5000.0
"""Largest accepted |magnetic field| per axis in µT (sensor ranges end near 4900 µT; Earth's
field is 25–65 µT)."""

QUAT_NORM_TOLERANCE = 0.05
"""A stored quaternion's norm must be within 5 % of 1 (it is normalised when used)."""

MIN_T_S = -1.0
"""``t_s`` counts from the session start: earlier than one second before it is refused."""

MAX_SESSION_S = 24 * 3600.0
"""Longest accepted session (and largest ``t_s``): 24 h."""

MAX_RATE_HZ = 2000.0
"""Highest accepted sample rate (nominal, or from the median sample interval)."""

MAX_UNIX_S = 1e10
"""Latest Unix time accepted in a vendor file's clock (seconds; the year 2286)."""

WARN_GAP_S = 5.0
"""A sensor silent for longer than this is accepted as a gap, with a warning."""

SIDECAR_MAX_BYTES = 1 << 20
"""Largest sidecar ``NAME.json`` read (1 MiB; a real one is a few kB)."""

PROFILE_MAX_BYTES = 256 << 10
"""Largest exercise profile read (256 KiB; the built-in ones are about 3 kB)."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of lists/objects accepted in a sidecar (a real one nests 3 levels)."""

SAMPLE_LIMITS: Mapping[str, float] = {
    **dict.fromkeys(ACC_COLUMNS, ACC_LIMIT_M_S2),
    **dict.fromkeys(GYR_COLUMNS, GYR_LIMIT_RAD_S),
    **dict.fromkeys(MAG_COLUMNS, MAG_LIMIT_UT),
    **dict.fromkeys(QUAT_COLUMNS, 1.0 + QUAT_NORM_TOLERANCE),
}
"""Canonical column → largest accepted absolute value."""

_UNIT = {
    **dict.fromkeys(ACC_COLUMNS, "m/s²"),
    **dict.fromkeys(GYR_COLUMNS, "rad/s"),
    **dict.fromkeys(MAG_COLUMNS, "µT"),
    **dict.fromkeys(QUAT_COLUMNS, ""),
}

FloatArray = NDArray[np.float64]


def shorten(text: object, limit: int = 40) -> str:
    """``repr`` of ``text`` cut to about ``limit`` characters (for cells shown in messages)."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def short_names(names: list[str], limit: int = 40) -> str:
    """Column names joined for a message, each cut to ``limit`` characters."""
    return ", ".join(n if len(n) <= limit else n[: limit - 3] + "..." for n in names)


# --- files -----------------------------------------------------------------------------------


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file_problem(path: str | Path) -> str | None:
    """Why ``path`` may not be read as a file (one phrase), or None for a regular file.

    Symlinks are followed: a link to ``/dev/zero`` is "a device". Never opens the path.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return "dangling symlink" if p.is_symlink() else "file not found"
    except NotADirectoryError:
        return "file not found (a parent is not a folder)"
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    if stat.S_ISREG(st.st_mode):
        return None
    return f"is {_kind_of(st.st_mode)}, expected a regular file"


def read_regular_file(
    path: str | Path, *, fail: Callable[[str], Exception], cap_bytes: int | None = None
) -> bytes:
    """The bytes of the regular file ``path``, reading at most ``cap_bytes + 1`` of them.

    ``fail(phrase)`` builds the error raised for a file that is not regular, cannot be read or
    is larger than ``cap_bytes``. The file is opened non-blocking and checked again after the
    open, so a FIFO swapped in after the first check neither blocks nor is read.
    """
    problem = regular_file_problem(path)
    if problem is not None:
        raise fail(problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail(f"is {_kind_of(st.st_mode)}, expected a regular file")
        if cap_bytes is not None and st.st_size > cap_bytes:
            raise fail(_too_big(st.st_size, cap_bytes))
        hole = hole_problem(fd, st.st_size)
        if hole is not None:
            raise fail(hole)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read() if cap_bytes is None else fh.read(cap_bytes + 1)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if cap_bytes is not None and len(data) > cap_bytes:
        raise fail(_too_big(len(data), cap_bytes))
    return data


def hole_problem(fd: int, size: int) -> str | None:
    """Why the open regular file ``fd`` of ``size`` bytes is no text export, or None.

    A sparse file's hole (bytes never written, e.g. ``truncate -s 2G``, or a copy or a disk
    that lost them) reads as zeros, which no CSV export holds. The file system says where the
    first one is (``SEEK_HOLE``) without reading anything, so a 2-GB sparse file is refused at
    once rather than read whole into memory first (before round 16: 2.1 GB and 53 s, then
    "out of memory"). Where the system cannot tell, None. The file position is left at 0.
    """
    seek_hole = getattr(os, "SEEK_HOLE", None)
    if seek_hole is None or size <= 0:
        return None
    try:
        hole = os.lseek(fd, 0, seek_hole)
    except OSError:
        return None
    finally:
        with suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
    if hole >= size:
        return None
    return (
        f"holds a hole at byte {hole} (bytes never written, which read as zeros: a sparse "
        "or damaged file); expected a text export"
    )


def _too_big(size: int, cap: int) -> str:
    return f"file is too large ({size} bytes or more); expected at most {cap} bytes"


def json_depth_problem(text: str, limit: int = MAX_JSON_DEPTH) -> int | None:
    """Offset of the first bracket nested deeper than ``limit`` in JSON text, else None.

    Counts ``[``/``{`` outside strings, so a hostile ``[[[[…`` is refused before the JSON
    parser recurses into it.
    """
    depth = 0
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth -= 1
    return None


# --- samples ---------------------------------------------------------------------------------


def first_out_of_range(column: str, values: FloatArray) -> int | None:
    """Index of the first finite value of ``column`` beyond its limit (or ±inf), else None.

    NaN (an empty optional cell) passes; ``values`` must be float64 (checked before any
    narrowing to float32). Columns without a limit pass.
    """
    limit = SAMPLE_LIMITS.get(column)
    if limit is None:
        return None
    with np.errstate(invalid="ignore"):
        bad = np.abs(values) > limit
    if not bad.any():
        return None
    return int(np.argmax(bad))


MAX_DEVICE_TICK: Final = float(2**53)
"""Largest ``device_ticks`` value: a sample counter read as float64 is exact up to 2⁵³."""


def first_bad_tick(values: FloatArray) -> int | None:
    """Index of the first ``device_ticks`` value beyond ±2⁵³ (or ±inf), else None.

    NaN (an empty cell) passes, as for the other optional columns; 1e308 made the strict
    parser's cast to Int64 raise TypeError and the fast reader keep a meaningless integer.
    """
    with np.errstate(invalid="ignore"):
        bad = np.abs(values) > MAX_DEVICE_TICK
    return int(np.argmax(bad)) if bad.any() else None


def out_of_range_message(column: str, value: float) -> str:
    """One phrase: the value found, and the accepted range of ``column``."""
    limit = SAMPLE_LIMITS[column]
    unit = _UNIT[column]
    return (
        f"{value!r} {unit} is outside the sensor range; expected |value| ≤ {limit:.4g} {unit} "
        "(corrupt value?)"
    ).replace("  ", " ")


def quat_norm_bad(quat: FloatArray) -> int | None:
    """Index of the first complete quaternion row whose norm is not within tolerance of 1."""
    with np.errstate(invalid="ignore"):
        norm = np.sqrt(np.einsum("ij,ij->i", quat, quat))
        bad = np.abs(norm - 1.0) > QUAT_NORM_TOLERANCE
    if not bad.any():
        return None
    return int(np.argmax(bad))


def vector_limit(kind: str) -> float | None:
    """The per-axis limit of a vector channel (``acc``, ``gyr``, ``mag``), or None."""
    return {"acc": ACC_LIMIT_M_S2, "gyr": GYR_LIMIT_RAD_S, "mag": MAG_LIMIT_UT}.get(kind)


# --- time ------------------------------------------------------------------------------------


def first_time_out_of_range(t_s: FloatArray) -> int | None:
    """Index of the first ``t_s`` outside ``[MIN_T_S, MAX_SESSION_S]``, else None."""
    bad = ~((t_s >= MIN_T_S) & (t_s <= MAX_SESSION_S))
    if not bad.any():
        return None
    return int(np.argmax(bad))


def time_range_message(value: float) -> str:
    """One phrase for a ``t_s`` outside the accepted range."""
    return (
        f"t_s {value!r} s is outside the session; expected seconds since the session start in "
        f"[{MIN_T_S:g}, {MAX_SESSION_S:g}] (a clock jump or a shifted column?)"
    )


def rate_problem(t_s: FloatArray, dt_s: FloatArray | None = None) -> str | None:
    """Why the sample times of one sensor imply an implausible rate, or None.

    ``dt_s`` is ``np.diff(t_s)`` when the caller has it already.
    """
    if t_s.size < 3:
        return None
    dt = np.diff(t_s) if dt_s is None else dt_s
    if np.count_nonzero(dt * MAX_RATE_HZ < 1.0) * 2 < dt.size:
        return None  # at least half the intervals are long enough: the median is too
    median_dt = float(np.median(dt))
    if not median_dt > 0.0:  # times that stand still (or run back): no rate at all
        return (
            f"median sample interval {median_dt!r} s: the sample times do not increase "
            "(a clock that stands still, or times too large for their steps?)"
        )
    if median_dt * MAX_RATE_HZ < 1.0:
        return (
            f"median sample interval {median_dt!r} s is {1.0 / median_dt:.4g} Hz; expected at "
            f"most {MAX_RATE_HZ:g} Hz (t_s in milliseconds instead of seconds?)"
        )
    return None


def long_pauses(t_s: FloatArray, dt_s: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Indices ``j`` with ``t_s[j + 1] - t_s[j] > WARN_GAP_S``, and those pauses in seconds."""
    dt = np.diff(t_s) if dt_s is None else dt_s
    idx = np.flatnonzero(dt > WARN_GAP_S)
    return idx, dt[idx]


def pause_warnings(
    label: str,
    t_s: FloatArray,
    line_of: Callable[[int], int] | None = None,
    dt_s: FloatArray | None = None,
) -> list[str]:
    """Warnings for pauses longer than ``WARN_GAP_S`` in one sensor's times (first three)."""
    idx, dt = long_pauses(t_s, dt_s)
    out = []
    for j, d in zip(idx[:3], dt[:3], strict=True):
        at = f"line {line_of(int(j) + 1)}: " if line_of is not None else ""
        out.append(
            f"{at}sensor '{label}' has no samples for {float(d):.1f} s after t_s = "
            f"{float(t_s[j]):.3f} s: kept as a gap (no angles there)"
        )
    if idx.size > 3:
        out.append(f"sensor '{label}': {idx.size - 3} more pause(s) longer than {WARN_GAP_S:g} s")
    return out


def coverage_warnings(spans: Mapping[str, tuple[float, float]]) -> list[str]:
    """Warnings for sensors whose samples start or end more than ``WARN_GAP_S`` inside the session.

    ``spans`` maps each sensor to its first and last sample time. A vendor file cut short (or a
    sensor switched on late) leaves the angles that need it empty there, as a pause does; a
    pause inside a sensor's times is warned, and so is this, at its ends.
    """
    if len(spans) < 2:
        return []
    lo = min(a for a, _ in spans.values())
    hi = max(b for _, b in spans.values())
    out = []
    for label, (a, b) in spans.items():
        missing = (a - lo) + (hi - b)
        if a - lo > WARN_GAP_S or hi - b > WARN_GAP_S:
            out.append(
                f"sensor '{label}' has samples only from {a:.3f} to {b:.3f} s of the session's "
                f"{lo:.3f}–{hi:.3f} s: no angles that need it for {missing:.1f} s (a file cut "
                "short, or a sensor started late?)"
            )
    return out


def is_plausible_rate(value: float) -> bool:
    """True for a finite rate in ``(0, MAX_RATE_HZ]``."""
    return bool(np.isfinite(value) and 0.0 < value <= MAX_RATE_HZ)
