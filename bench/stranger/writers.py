"""Files as a user would hand them to stretchguard: canonical CSV (DESIGN §4) and MetaBase.

Never overwrites: every file is opened with exclusive create ("x").
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from bench.stranger.session import Session

G_M_S2 = 9.80665
ACC_SKIP = 3
"""MetaBase accelerometer files start this many samples after the gyroscope's."""


def jittered_times(t_s: np.ndarray, jitter_s: float, rng: np.random.Generator) -> np.ndarray:
    """Time stamps a logger writes (round 3): the sample times plus Gaussian jitter of sd
    ``jitter_s`` (clipped to ±0.4 of a period, so they stay in order)."""
    if not jitter_s:
        return t_s
    half = 0.4 * float(np.median(np.diff(t_s)))
    return t_s + np.clip(rng.normal(0.0, jitter_s, len(t_s)), -half, half)


def write_canonical(
    session: Session,
    placements: tuple[str, ...],
    path: Path,
    jitter_s: float = 0.0,
    *,
    gaps: dict | None = None,
    clocks: dict | None = None,
) -> Path:
    """Long-format canonical recording: one row per sample of one sensor, sorted by ``t_s``
    (``jitter_s``: time stamps with jitter, ``jittered_times``).

    Round 4: ``gaps`` = ``{placement: (start_s, end_s)}``, that sensor's rows in
    [start, end) missing (out of range); ``clocks`` = ``{placement: (offset_s, ppm)}``, its
    time stamps from its own clock, started ``offset_s`` late and running ``ppm`` fast
    (``t_s`` written = offset + t · (1 + ppm·1e-6); ``device_ticks`` still count every sample).
    """
    frames = []
    rng = np.random.default_rng([session.person.seed, 41])
    for name in placements:
        s = session.sensors[name]
        t_w = jittered_times(s.t_s, jitter_s, rng)
        if clocks and name in clocks:
            offset_s, ppm = clocks[name]
            t_w = offset_s + t_w * (1.0 + ppm * 1e-6)
        keep = np.ones(len(s.t_s), bool)
        if gaps and name in gaps:
            keep = (s.t_s < gaps[name][0]) | (s.t_s >= gaps[name][1])
        frames.append(
            pd.DataFrame(
                {
                    "t_s": np.round(t_w, 6),
                    "sensor": name,
                    "acc_x_m_s2": np.round(s.acc_m_s2[:, 0], 5),
                    "acc_y_m_s2": np.round(s.acc_m_s2[:, 1], 5),
                    "acc_z_m_s2": np.round(s.acc_m_s2[:, 2], 5),
                    "gyr_x_rad_s": np.round(s.gyr_rad_s[:, 0], 6),
                    "gyr_y_rad_s": np.round(s.gyr_rad_s[:, 1], 6),
                    "gyr_z_rad_s": np.round(s.gyr_rad_s[:, 2], 6),
                    "device_ticks": np.arange(len(s.t_s)),
                }
            )[keep]
        )
    df = pd.concat(frames).sort_values("t_s", kind="stable")
    with path.open("x", newline="") as fh:
        df.to_csv(fh, index=False)
    return path


def write_sidecar(csv_path: Path, markers: list[dict], **fields) -> Path:
    """The canonical recording's sidecar ``NAME.json`` (DESIGN §4): ``format``, the ``markers``
    (``t_s``, ``label``, ``kind`` and optional ``answer``) and any other field given."""
    meta = {"format": "stretchguard-session/1", **fields, "markers": markers}
    path = csv_path.with_suffix(".json")
    with path.open("x") as fh:
        json.dump(meta, fh, indent=1)
    return path


def fake_mac(session: Session, placement: str) -> str:
    """A stable made-up MAC address per session and placement."""
    rng = np.random.default_rng([session.person.seed, sum(map(ord, placement))])
    return ":".join(f"{b:02X}" for b in rng.integers(0, 256, 6))


def mac_in_name(mac: str) -> str:
    """The MAC as MetaBase writes it in file names: 12 hex digits, no separators."""
    return mac.replace(":", "")


def _metabase_file(
    path: Path, epoch_ms: np.ndarray, values: np.ndarray, unit: str, offset: str
) -> None:
    """One MetaBase CSV: epoch (ms), local time, elapsed (s), x/y/z in ``unit``."""
    sign = -1 if offset.startswith("-") else 1
    hh, mm = offset.lstrip("+-").split(":")
    tz = dt.timezone(sign * dt.timedelta(hours=int(hh), minutes=int(mm)))
    # the real export: local time with colons in the column (dots only in the file name)
    times = [
        dt.datetime.fromtimestamp(e / 1000.0, tz).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        for e in epoch_ms
    ]
    elapsed = (epoch_ms - epoch_ms[0]) / 1000.0
    lines = [
        f"epoch (ms),time ({offset}),elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})"
    ]
    lines += [
        f"{e},{tm},{el:.3f},{v[0]:.3f},{v[1]:.3f},{v[2]:.3f}"
        for e, tm, el, v in zip(epoch_ms, times, elapsed, values, strict=True)
    ]
    with path.open("x", newline="") as fh:  # LF and a final newline, as the real sample
        fh.write("\n".join(lines) + "\n")


def write_metabase(
    session: Session, placements: tuple[str, ...], folder: Path, *, start_epoch_s: float
) -> dict[str, str]:
    """MetaBase exports (accelerometer and gyroscope file per sensor); returns MAC → placement.

    The gyroscope file starts a few samples before the accelerometer's, as real exports do.
    """
    folder.mkdir(parents=True, exist_ok=True)
    offset = "01:00"  # as the real sample's header writes it: `time (01:00)`
    tz = dt.timezone(dt.timedelta(hours=1))
    mapping = {}
    for name in placements:
        s = session.sensors[name]
        mac = fake_mac(session, name)
        mapping[mac] = name
        epoch = np.round((start_epoch_s + s.t_s) * 1000.0).astype(np.int64)
        stamp = dt.datetime.fromtimestamp(epoch[0] / 1000.0, tz).strftime("%Y-%m-%dT%H.%M.%S.%f")[
            :-3
        ]
        rate = f"{s.rate_hz:.3f}Hz"
        acc_keep = slice(ACC_SKIP, None)
        _metabase_file(
            folder / f"MetaWear_{stamp}_{mac_in_name(mac)}_Accelerometer_{rate}_1.7.3.csv",
            epoch[acc_keep],
            s.acc_m_s2[acc_keep] / G_M_S2,
            "g",
            offset,
        )
        _metabase_file(
            folder / f"MetaWear_{stamp}_{mac_in_name(mac)}_Gyroscope_{rate}_1.7.3.csv",
            epoch,
            np.degrees(s.gyr_rad_s),
            "deg/s",
            offset,
        )
    return mapping


def write_truth(session: Session, path: Path) -> None:
    """Truth angles (degrees, docs/conventions.md definitions) at 100 Hz, plus a JSON of events."""
    df = pd.DataFrame(
        {
            "t_s": np.round(session.truth_t_s, 4),
            **{k: np.round(v, 4) for k, v in session.truth.items()},
        }
    )
    with path.open("x", newline="") as fh:
        df.to_csv(fh, index=False)
    meta = {
        "seed": session.person.seed,
        "side": session.person.side,
        "family": session.family,
        "breaks": session.breaks,
        "events": session.events,
        "person": dict(vars(session.person)),
    }
    with path.with_suffix(".json").open("x") as fh:
        json.dump(meta, fh, indent=1)


def _slow_error(t_s: np.ndarray, sd_deg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slowly wandering small rotation vector (rad): on-board fusion's error (my assumption)."""
    knots = np.arange(0.0, t_s[-1] + 20.0, 10.0)
    vals = rng.normal(0.0, 1.0, (len(knots), 3)) * np.radians(sd_deg)
    return np.column_stack([np.interp(t_s, knots, vals[:, i]) for i in range(3)])


#: sd (degrees) of the vendor fusion's wandering error about earth x, y (tilt) and z (heading)
FUSION_ERROR_DEG = (0.3, 0.3, 1.5)


def vendor_orientation(
    session: Session, name: str, rng: np.random.Generator, sd_deg=FUSION_ERROR_DEG
):
    """The sensor's own fused orientation (sensor → ENU earth): truth off by a wandering tilt
    of ~0.3° and heading of ~1.5° (datasheet-sized; the heading from a magnetometer indoors)."""
    from scipy.spatial.transform import Rotation

    s = session.sensors[name]
    err = Rotation.from_rotvec(_slow_error(s.t_s, np.asarray(sd_deg, dtype=float), rng))
    return err * s.r_e_s * _own_gravity(s)


def _own_gravity(s):
    """The tilt a sensor's own fusion takes from its accelerometer: it aligns gravity with
    what the accelerometer reads at rest (scale, cross-axis, offset), so its quaternion and
    free acceleration agree with its accelerometer (free acceleration ≈ 0 at rest, as in the
    real DOT files), not with the truth."""
    from scipy.spatial.transform import Rotation

    em = s.errors
    warm = em.warm_k * (1.0 - np.exp(-s.t_s / 300.0))[:, None]
    bias = em.acc_bias0 + warm * em.acc_bias_tc
    up_true = s.r_e_s.inv().apply([0.0, 0.0, 1.0])
    up_seen = (up_true * G_M_S2) @ em.acc_m.T + bias
    up_seen /= np.linalg.norm(up_seen, axis=1, keepdims=True)
    # D with D·up_seen = up_true: then (R·D)ᵀ ẑ = up_seen
    axis = np.cross(up_seen, up_true)
    sin = np.linalg.norm(axis, axis=1, keepdims=True)
    ang = np.arctan2(sin, np.sum(up_seen * up_true, axis=1, keepdims=True))
    return Rotation.from_rotvec(axis / np.maximum(sin, 1e-12) * ang)


DOT_TAGS = {
    "pelvis": "Pelvis",
    "trunk": "Sternum",
    "head": "Head",
    "right_thigh": "RFemur",
    "left_thigh": "LFemur",
    "right_shank": "RTibia",
    "left_shank": "LTibia",
    "right_foot": "RFoot",
    "left_foot": "LFoot",
}


def _dot_lines(tag: str, start: dt.datetime, ticks: np.ndarray, q: np.ndarray, free: np.ndarray):
    head = [
        "sep=,",
        f"DeviceTag:,{tag}",
        "FirmwareVersion:,2.0.0",
        "AppVersion:,2021.0",
        "SyncStatus:,Synced",
        "OutputRate:,60Hz",
        "FilterProfile:,General",
        "Measurement Mode:,Sensor fusion Mode - Extended(Quaternion)",
        f"StartTime: ,{start.strftime('%Y-%m-%d_%H:%M:%S')}_{start.microsecond // 1000:03d} GMT+8",
        "\u00a9 Xsens Technologies B. V. 2005-2021",
        "",
        "PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,FreeAcc_X,FreeAcc_Y,FreeAcc_Z,"
        "Status",
    ]
    rows = [
        f"{c},{tk},{w:.6f},{x:.6f},{y:.6f},{z:.6f},{fx:.6f},{fy:.6f},{fz:.6f},0"
        for c, tk, (w, x, y, z), (fx, fy, fz) in zip(ticks[:, 0], ticks[:, 1], q, free, strict=True)
    ]
    return head + rows


def write_movella_dot(
    session: Session,
    placements: tuple[str, ...],
    folder: Path,
    *,
    start_epoch_s: float,
    loss: float = 0.0,
    fusion_error_deg=FUSION_ERROR_DEG,
    tick0: int | None = None,
) -> dict[str, str]:
    """Movella DOT app exports, Extended (Quaternion), synchronised, one file per sensor.

    Byte layout as the real app writes (docs/vendor-formats.md and the five real files):
    ``sep=,``, eight ``Key:,value`` lines, the © line, an empty line, the header, data, LF
    line endings, no final newline. Quaternion sensor → ENU with the sensor's own fusion error
    (``vendor_orientation``); FreeAcc = earth-frame specific force minus g. ``loss``: fraction
    of packets lost at random (their rows are missing; counters and times skip). Returns
    DeviceTag → placement (the files are named by tag, as the app does: ``Tag_date_time_ms``).
    ``tick0``: ``SampleTimeFine`` at the generator's t = 0 (round 5: a counter that wraps
    mid-session); drawn at random otherwise.
    """
    folder.mkdir(parents=True, exist_ok=False)
    rng = np.random.default_rng([session.person.seed, 31])
    drawn = int(rng.integers(0, 2**32))  # drawn either way: every later draw stays the same
    tick0 = drawn if tick0 is None else tick0
    mapping = {}
    tz8 = dt.timezone(dt.timedelta(hours=8))
    for name in placements:
        s = session.sensors[name]
        tag = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 3))
        mapping[tag] = name
        q_rot = vendor_orientation(session, name, rng, fusion_error_deg)
        free = q_rot.apply(s.acc_m_s2) - np.array([0.0, 0.0, G_M_S2])
        q = q_rot.as_quat()[:, [3, 0, 1, 2]]
        q *= np.where(q[:, :1] < 0, -1.0, 1.0)
        counter = np.arange(1, len(s.t_s) + 1)
        ticks_us = (tick0 + np.round(s.t_s * 1e6).astype(np.int64)) % 2**32
        keep = rng.random(len(s.t_s)) >= loss
        keep[:2] = keep[-2:] = True
        start = dt.datetime.fromtimestamp(start_epoch_s + s.t_s[0] + rng.uniform(0, 0.03), tz8)
        lines = _dot_lines(
            tag, start, np.column_stack([counter, ticks_us])[keep], q[keep], free[keep]
        )
        stamp = start.strftime("%Y%m%d_%H%M%S") + f"_{start.microsecond // 1000:03d}"
        with (folder / f"{tag}_{stamp}.csv").open("x", encoding="utf-8", newline="") as fh:
            fh.write("\n".join(lines))
    return mapping


WIT_HEADER = (
    "Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g),"
    "Angular velocity X(°/s),Angular velocity Y(°/s),Angular velocity Z(°/s),"
    "ShiftX(mm),ShiftY(mm),ShiftZ(mm),SpeedX(mm/s),SpeedY(mm/s),SpeedZ(mm/s),"
    "Angle X(°),Angle Y(°),Angle Z(°),"
    "Magnetic field X(ʯt),Magnetic field Y(ʯt),Magnetic field Z(ʯt),Temperature(℃),"
    "Quaternions 0(),Quaternions 1(),Quaternions 2(),Quaternions 3(),Raw power(),"
    "Power Percent(%)()"
)


def write_witmotion(
    session: Session,
    placements: tuple[str, ...],
    path: Path,
    *,
    start_epoch_s: float,
    sep: str = ",",
) -> dict[str, str]:
    """One WitMotion PC-software export holding every device (docs/vendor-formats.md columns;
    no real sample exists, so the layout is the documented, UNVERIFIED one).

    Rows of all devices interleaved in order of PC receipt; ``Time`` = PC receipt time of day
    (10–40 ms after the sample, in order per device), ``Chip Time()`` = the device's clock
    (set from the PC at connection: off by up to ±5 ms), ms resolution. Returns device name →
    placement, and where the file's earliest chip time lies on the generator's clock (the
    analysed ``t_s = 0``). ``sep``: the column separator (round 7: a tab, which the docs'
    reader also takes).
    """
    rng = np.random.default_rng([session.person.seed, 37])
    tz = dt.timezone(dt.timedelta(hours=1))
    rows, mapping, firsts = [], {}, []
    for i, name in enumerate(placements):
        s = session.sensors[name]
        dev = f"WT901BLE{int(rng.integers(10, 99))}({i})"
        mapping[dev] = name
        chip = start_epoch_s + s.t_s + rng.uniform(-0.005, 0.005)
        firsts.append(float(np.floor(chip[0] * 1000.0) / 1000.0 - start_epoch_s))
        # BLE delivers in order, several samples per connection event: receipt times never
        # go back, and may repeat to the millisecond
        pc = np.maximum.accumulate(start_epoch_s + s.t_s + rng.uniform(0.010, 0.040, len(s.t_s)))
        q_rot = vendor_orientation(session, name, rng)
        q = q_rot.as_quat()[:, [3, 0, 1, 2]]
        ang = q_rot.as_euler("ZYX", degrees=True)[:, ::-1]
        acc_g = s.acc_m_s2 / G_M_S2
        gyr = np.degrees(s.gyr_rad_s)
        temp = 25.0 + s.errors.warm_k * (1.0 - np.exp(-s.t_s / 300.0))
        for k in range(len(s.t_s)):
            c = dt.datetime.fromtimestamp(chip[k], tz)
            p = dt.datetime.fromtimestamp(pc[k], tz)
            rows.append(
                (
                    (pc[k], chip[k]),
                    f"{p:%H:%M:%S}.{p.microsecond // 1000:03d},{dev},"
                    f"{c.year}-{c.month}-{c.day} {c:%H:%M:%S}.{c.microsecond // 1000:03d},"
                    + ",".join(f"{v:.4f}" for v in acc_g[k])
                    + ","
                    + ",".join(f"{v:.3f}" for v in gyr[k])
                    + ",0,0,0,0,0,0,"
                    + ",".join(f"{v:.3f}" for v in ang[k])
                    + ",0,0,0,"
                    + f"{temp[k]:.2f},"
                    + ",".join(f"{v:.5f}" for v in q[k])
                    + ",0,100",
                )
            )
    rows.sort(key=lambda r: r[0])
    with path.open("x", encoding="utf-8", newline="") as fh:
        text = WIT_HEADER + "\r\n" + "\r\n".join(r[1] for r in rows) + "\r\n"
        fh.write(text if sep == "," else text.replace(",", sep))
    return mapping, min(firsts)


def _phyphox_number(x: float) -> str:
    """phyphox's CSV number format (``1.234567890E-2``)."""
    return f"{x:.9E}".replace("E+0", "E").replace("E-0", "E-").replace("E+", "E")


def write_phyphox(
    session: Session,
    placement: str,
    path: Path,
    *,
    start_epoch_s: float,
    clock_offset_s: float = 0.0,
) -> float:
    """A phone running phyphox strapped on ``placement``, exported as a ZIP (round 3).

    ``Accelerometer.csv`` (with g) and ``Gyroscope.csv`` with ``"Time (s)"`` on the experiment
    clock, plus ``meta/time.csv`` with the START event's system time (the phone's Unix clock,
    off the other devices' by ``clock_offset_s``). The container's layout is UNVERIFIED (the
    docs say so too); the accelerometer's first row comes 2 samples after the gyroscope's.
    Returns where the span both files cover starts on the generator's clock.
    """
    import zipfile

    s = session.sensors[placement]
    start = start_epoch_s + clock_offset_s
    acc_rows = [
        '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"'
    ]
    gyr_rows = ['"Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)"']
    for k, t in enumerate(s.t_s):
        if k >= 2:
            acc_rows.append(",".join(_phyphox_number(v) for v in (t, *s.acc_m_s2[k])))
        gyr_rows.append(",".join(_phyphox_number(v) for v in (t, *s.gyr_rad_s[k])))
    stamp = dt.datetime.fromtimestamp(start, dt.timezone(dt.timedelta(hours=1)))
    meta = [
        '"event","experiment time","system time","system time text"',
        f'"START",0.000000000E0,{start:.3f},'
        f'"{stamp:%Y-%m-%d %H:%M:%S}.{stamp.microsecond // 1000:03d} UTC+01:00"',
    ]
    with zipfile.ZipFile(path, "x") as zf:
        zf.writestr("Accelerometer.csv", "\n".join(acc_rows) + "\n")
        zf.writestr("Gyroscope.csv", "\n".join(gyr_rows) + "\n")
        zf.writestr("meta/time.csv", "\n".join(meta) + "\n")
    return float(s.t_s[2])
