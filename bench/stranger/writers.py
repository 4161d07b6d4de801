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


def write_canonical(session: Session, placements: tuple[str, ...], path: Path) -> Path:
    """Long-format canonical recording: one row per sample of one sensor, sorted by ``t_s``."""
    frames = []
    for name in placements:
        s = session.sensors[name]
        frames.append(
            pd.DataFrame(
                {
                    "t_s": np.round(s.t_s, 6),
                    "sensor": name,
                    "acc_x_m_s2": np.round(s.acc_m_s2[:, 0], 5),
                    "acc_y_m_s2": np.round(s.acc_m_s2[:, 1], 5),
                    "acc_z_m_s2": np.round(s.acc_m_s2[:, 2], 5),
                    "gyr_x_rad_s": np.round(s.gyr_rad_s[:, 0], 6),
                    "gyr_y_rad_s": np.round(s.gyr_rad_s[:, 1], 6),
                    "gyr_z_rad_s": np.round(s.gyr_rad_s[:, 2], 6),
                    "device_ticks": np.arange(len(s.t_s)),
                }
            )
        )
    df = pd.concat(frames).sort_values("t_s", kind="stable")
    with path.open("x", newline="") as fh:
        df.to_csv(fh, index=False)
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
    tz = dt.timezone(dt.timedelta(hours=int(offset[:3]), minutes=int(offset[0] + offset[4:])))
    times = [
        dt.datetime.fromtimestamp(e / 1000.0, tz).strftime("%Y-%m-%dT%H.%M.%S.%f")[:-3]
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
    with path.open("x", newline="") as fh:
        fh.write("\r\n".join(lines) + "\r\n")


def write_metabase(
    session: Session, placements: tuple[str, ...], folder: Path, *, start_epoch_s: float
) -> dict[str, str]:
    """MetaBase exports (accelerometer and gyroscope file per sensor); returns MAC → placement.

    The gyroscope file starts a few samples before the accelerometer's, as real exports do.
    """
    folder.mkdir(parents=True, exist_ok=False)
    offset = "+01:00"
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
