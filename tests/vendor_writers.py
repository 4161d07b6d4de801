"""Writers of vendor-app exports, for tests and benchmarks only (not part of the product).

Each writes one file the way the vendor's app does (MetaBase, Movella DOT, phyphox, WitMotion
PC software), from arrays in SI units, so the readers in ``sensors.formats`` can be tested on
files with a known truth. None overwrites a file (OutputExistsError). Imported as
``tests.vendor_writers`` (the repository root is on ``sys.path``: pytest's ``pythonpath``, and
``bench/`` puts it there itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats import metabase, phyphox
from sensors.formats import movella_dot as dot
from sensors.formats.canonical import write_new_file
from sensors.formats.phyphox import TimeEvent

# --- metabase ----------------------------------------------------------------------------------


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
    kinds = {v: k for k, v in metabase.SENSOR_FILE_NAMES.items()}
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


# --- movella_dot -------------------------------------------------------------------------------


def write_movella_dot(
    path: str | Path,
    *,
    t_s: ArrayLike,
    quat: ArrayLike,
    free_acc_m_s2: ArrayLike | None = None,
    acc_m_s2: ArrayLike | None = None,
    gyr_rad_s: ArrayLike | None = None,
    packet_counter: ArrayLike | None = None,
    tag: str = "dot",
    rate_hz: float = 60.0,
    sample_time_fine_start: int = 3_343_444_552,
    start_unix_s: float = 1_629_462_073.829,
    utc_offset_h: int = 8,
    synced: bool = True,
) -> Path:
    """Write a DOT-app-style export (a **test / interoperability writer**).

    Writes Extended (Quaternion) columns (quaternion + free acceleration) when
    ``free_acc_m_s2`` is given, else quaternion + ``Acc_*`` (m/s²) + ``Gyr_*`` (deg/s)
    (column order of that mode: UNVERIFIED). ``t_s`` (seconds from the first sample) becomes
    ``SampleTimeFine = start + round(t·1e6) mod 2³²``; ``packet_counter`` defaults to 1..N
    (pass the counters of the kept rows to simulate packet loss). Six decimals like the app;
    no newline after the last row. Never overwrites (OutputExistsError).
    """
    p = Path(path)
    t = np.asarray(t_s, dtype=np.float64)
    q = np.asarray(quat, dtype=np.float64)
    n = t.size
    counter = np.arange(1, n + 1) if packet_counter is None else np.asarray(packet_counter)
    stf = (sample_time_fine_start + np.round(t * 1e6).astype(np.int64)) % dot.U32
    if free_acc_m_s2 is not None:
        cols = [*dot.GROUPS["quat"], *dot.GROUPS["free_acc"], "Status"]
        data = np.column_stack((q, np.asarray(free_acc_m_s2, dtype=np.float64)))
        mode = "Sensor fusion Mode - Extended(Quaternion)"
    else:
        if acc_m_s2 is None or gyr_rad_s is None:
            raise ValueError("give free_acc_m_s2, or both acc_m_s2 and gyr_rad_s")
        cols = [*dot.GROUPS["quat"], *dot.GROUPS["acc"], *dot.GROUPS["gyr"], "Status"]
        data = np.column_stack((q, acc_m_s2, np.rad2deg(np.asarray(gyr_rad_s, dtype=float))))
        mode = "Sensor fusion Mode - Custom Mode 5"
    tz = timezone(timedelta(hours=utc_offset_h))
    start = datetime.fromtimestamp(start_unix_s, UTC).astimezone(tz)
    start_text = start.strftime("%Y-%m-%d_%H:%M:%S_") + f"{start.microsecond // 1000:03d}"
    head = [
        "sep=,",
        f"DeviceTag:,{tag}",
        "FirmwareVersion:,2.0.0",
        "AppVersion:,2021.0",
        f"SyncStatus:,{'Synced' if synced else 'Unsynced'}",
        f"OutputRate:,{rate_hz:g}Hz",
        "FilterProfile:,General",
        f"Measurement Mode:,{mode}",
        f"StartTime: ,{start_text} GMT{utc_offset_h:+d}",
        "© Xsens Technologies B. V. 2005-2021",
        "",
        ",".join((dot.COUNTER_COLUMN, dot.TIME_COLUMN, *cols)),
    ]
    rows = [
        f"{int(c)},{int(s)},{','.join(f'{x:.6f}' for x in row)},0"
        for c, s, row in zip(counter, stf, data, strict=True)
    ]
    return write_new_file(p, ("\n".join(head + rows)).encode("utf-8"))


# --- phyphox -----------------------------------------------------------------------------------

_HEADERS = {
    "acc": ("Acceleration {} (m/s^2)", "Absolute acceleration (m/s^2)"),
    "gyr": ("Gyroscope {} (rad/s)", "Absolute (rad/s)"),
    "mag": ("Magnetic Field {} (µT)", "Absolute field (µT)"),
}


def phyphox_number(x: float) -> str:
    """A number as phyphox writes it: scientific, 9 decimals (``-1.004321940E-1``)."""
    mant, exp = f"{x:.9E}".split("E")
    return f"{mant}E{int(exp)}"


def write_phyphox(
    path: str | Path,
    *,
    t_s: ArrayLike,
    values: ArrayLike,
    kind: str,
    delimiter: str = ",",
    decimal_comma: bool = False,
) -> Path:
    """Write one phyphox-style export CSV (a **test / interoperability writer**).

    ``kind`` is ``acc`` (specific force, m/s², the "Acceleration with g" columns), ``gyr``
    (rad/s) or ``mag`` (µT); ``t_s`` is experiment time. Quoted header, scientific numbers,
    ``delimiter`` and ``decimal_comma`` as the app's export options. Never overwrites.
    """
    if kind not in _HEADERS:
        raise ValueError(f"kind must be one of {sorted(_HEADERS)}, got {kind!r}")
    if decimal_comma and delimiter == ",":
        raise ValueError("a decimal comma needs a tab or semicolon delimiter")
    p = Path(path)
    t = np.asarray(t_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    axis, absolute = _HEADERS[kind]
    heads = [phyphox.TIME_COLUMN, *(axis.format(a) for a in "xyz"), absolute]
    data = np.column_stack((t, v, np.linalg.norm(v, axis=1)))

    def num(x: float) -> str:
        s = phyphox_number(float(x))
        return s.replace(".", ",") if decimal_comma else s

    rows = [delimiter.join(f'"{h}"' for h in heads)]
    rows += [delimiter.join(num(x) for x in row) for row in data]
    return write_new_file(p, ("\n".join(rows) + "\n").encode("utf-8"))


def write_phyphox_time_csv(folder: str | Path, events: Sequence[TimeEvent]) -> Path:
    """Write ``folder/meta/time.csv`` with the given START/PAUSE events (test writer)."""
    meta = Path(folder) / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    p = meta / "time.csv"
    rows = ['"event","experiment time","system time","system time text"']
    for e in events:
        stamp = datetime.fromtimestamp(e.system_unix_s, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append(
            f'"{e.event}",{phyphox_number(e.experiment_s)},{e.system_unix_s:.3f},'
            f'"{stamp[:-3]} UTC+00:00"'
        )
    return write_new_file(p, ("\n".join(rows) + "\n").encode("utf-8"))


# --- witmotion ---------------------------------------------------------------------------------

COLUMNS: tuple[str, ...] = (
    "Time",
    "Device name",
    "Chip Time()",
    *(f"Acceleration {a}(g)" for a in "XYZ"),
    *(f"Angular velocity {a}(°/s)" for a in "XYZ"),
    *(f"Shift{a}(mm)" for a in "XYZ"),
    *(f"Speed{a}(mm/s)" for a in "XYZ"),
    *(f"Angle {a}(°)" for a in "XYZ"),
    *(f"Magnetic field {a}(ʯt)" for a in "XYZ"),
    "Temperature(℃)",
    *(f"Quaternions {i}()" for i in range(4)),
    "Raw power()",
    "Power Percent(%)()",
)
"""The 28 columns of the PC software's export (from third-party code: UNVERIFIED)."""


def write_witmotion(
    path: str | Path,
    *,
    t_s: ArrayLike,
    acc_m_s2: ArrayLike,
    gyr_rad_s: ArrayLike,
    mag_ut: ArrayLike | None = None,
    quat: ArrayLike | None = None,
    device: str = "WT901BLE68",
    start_unix_s: float = 1_710_866_656.0,
    host_delay_s: Sequence[float] | None = None,
) -> Path:
    """Write a WitMotion-PC-style export (a **test / interoperability writer**, UNVERIFIED).

    ``t_s`` (s from ``start_unix_s``) goes to ``Chip Time()`` (``YYYY-M-D HH:MM:SS.mmm``, ms);
    ``Time`` is the same instant plus ``host_delay_s`` (receipt delay, default 0). Acc in g
    (4 decimals), gyro in °/s (4), mag in µT (3), quaternion (5); other columns 0.
    Never overwrites (OutputExistsError).
    """
    p = Path(path)
    t = np.asarray(t_s, dtype=np.float64)
    n = t.size
    acc_g = np.asarray(acc_m_s2, dtype=np.float64) / GRAVITY_M_S2
    gyr_dps = np.rad2deg(np.asarray(gyr_rad_s, dtype=np.float64))
    mag = np.zeros((n, 3)) if mag_ut is None else np.asarray(mag_ut, dtype=np.float64)
    q = np.zeros((n, 4)) if quat is None else np.asarray(quat, dtype=np.float64)
    delay = np.zeros(n) if host_delay_s is None else np.asarray(host_delay_s, dtype=np.float64)
    rows = [",".join(COLUMNS)]
    for k in range(n):
        chip = _stamp(start_unix_s + t[k], date=True)
        host = " " + _stamp(start_unix_s + t[k] + delay[k], date=False)
        cells = [host, device, chip]
        cells += [f"{x:.4f}" for x in acc_g[k]] + [f"{x:.4f}" for x in gyr_dps[k]]
        cells += ["0.000"] * 9
        cells += [f"{x:.3f}" for x in mag[k]] + ["25.00"] + [f"{x:.5f}" for x in q[k]]
        cells += ["400", "100"]
        rows.append(",".join(cells))
    return write_new_file(p, ("\n".join(rows) + "\n").encode("utf-8"))


def _stamp(unix_s: float, *, date: bool) -> str:
    ms_total = round(unix_s * 1000.0)
    d = datetime.fromtimestamp(ms_total // 1000, UTC)
    tod = f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{ms_total % 1000:03d}"
    return f"{d.year}-{d.month}-{d.day} {tod}" if date else tod
