"""Peak memory and time of ``stretchguard import`` / ``analyse`` on long vendor exports.

Builds long exports in a scratch folder (never in the project) and runs each command as a
whole process under ``/usr/bin/time -v`` (``bench._measure.run_timed``):

- **dot**: Movella DOT Extended (Quaternion) files, one per sensor, made from the real
  samples (``../shared/vendor-samples/movella``, or ``--dot-samples``): each file's data rows
  played forwards, then backwards, then forwards … (so the quaternions stay continuous),
  ``PacketCounter`` counting on and ``SampleTimeFine`` advancing 16667 µs a row from the
  file's own first tick (wrapping at 2³² µs, as the sensor's does). The preamble is the real
  file's.
- **witmotion**: one WitMotion PC-software export (the documented 28 columns, CRLF) holding
  several devices' rows interleaved in time, made from the shipped demo session's sensors
  (``fixtures/demo_standing_stretch.csv.gz``), each played forwards and backwards (the
  angular rate negated backwards), resampled to ``--wit-rate``.
- **phyphox**: one phyphox ZIP (``Accelerometer.csv``, ``Gyroscope.csv``,
  ``meta/time.csv``) of the demo's right thigh made the same way, at ``--phyphox-rate``.

Example (about 4 × 143 MB of DOT files for 7.6 h)::

    python bench/long_exports.py --work /tmp/long --hours 7.6 --dot Pelvis,RFemur,LTibia,RTibia
    python bench/long_exports.py --work /tmp/long --hours 4 --witmotion 2 --phyphox --analyse

Prints one line per run: export, command, peak RSS (MB = 10⁶ bytes), CPU and wall seconds;
``--out-json`` keeps them. The outputs of each run stay in ``WORK/out-*`` for ``cmp``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._measure import run_timed
from bench.stranger.writers import WIT_HEADER  # the WitMotion app's export header

ROOT = Path(__file__).resolve().parents[1]
DOT_SAMPLES = ROOT.parent / "shared" / "vendor-samples" / "movella"
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"
DOT_STEP_US = 16667
U32 = 2**32
G = 9.80665


def _ping_pong(n_src: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Source row of each output row (forwards, backwards, …) and whether it runs backwards."""
    period = 2 * (n_src - 1)
    k = np.arange(n_out) % period
    back = k >= n_src
    return np.where(back, period - k, k), back


def build_dot(sample: Path, out: Path, hours: float) -> Path:
    """A DOT export of ``hours`` from a real one (see the module doc)."""
    text = sample.read_text(encoding="utf-8")
    lines = text.split("\n")
    h = next(i for i, ln in enumerate(lines) if ln.startswith("PacketCounter,"))
    rows = [ln.split(",") for ln in lines[h + 1 :] if ln]
    tick0 = int(rows[0][1])
    rest = np.array([",".join(r[2:]) for r in rows], dtype=object)
    n = round(hours * 3600 * 60)
    src, _ = _ping_pong(len(rows), n)
    ticks = (tick0 + np.arange(n, dtype=np.int64) * DOT_STEP_US) % U32
    with out.open("x", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(lines[: h + 1]) + "\n")
        for a in range(0, n, 1 << 16):
            b = min(n, a + (1 << 16))
            body = "\n".join(
                f"{c},{t},{r}"
                for c, t, r in zip(
                    range(a + 1, b + 1), ticks[a:b].tolist(), rest[src[a:b]], strict=True
                )
            )
            fh.write(body + ("\n" if b < n else ""))  # no final newline, as the app writes
    return out


def _demo_sensors() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The demo session's ``placement → (t_s, acc m/s², gyr rad/s)``."""
    with gzip.open(DEMO, "rt", encoding="utf-8") as fh:
        head = fh.readline().strip().split(",")
        body = [ln.rstrip("\n").split(",") for ln in fh]
    col = {c: i for i, c in enumerate(head)}
    out = {}
    for name in sorted({r[col["sensor"]] for r in body}):
        mine = [r for r in body if r[col["sensor"]] == name]
        num = np.array(
            [[float(r[col[c]]) for c in head if c.endswith(("_m_s2", "_rad_s"))] for r in mine]
        )
        t = np.array([float(r[col["t_s"]]) for r in mine])
        out[name] = (t, num[:, :3], num[:, 3:6])
    return out


def _tiled(sensor: tuple[np.ndarray, ...], rate: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples at ``rate`` of a demo sensor played forwards and backwards."""
    t, acc, gyr = sensor
    grid = np.arange(t[0], t[-1], 1.0 / rate)
    acc_r = np.column_stack([np.interp(grid, t, acc[:, i]) for i in range(3)])
    gyr_r = np.column_stack([np.interp(grid, t, gyr[:, i]) for i in range(3)])
    src, back = _ping_pong(len(grid), n)
    return acc_r[src], np.where(back[:, None], -gyr_r[src], gyr_r[src])


WIT_PLACEMENTS = ("right_thigh", "right_shank", "pelvis", "right_foot")
START = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


def _clock_text(ms: np.ndarray, with_date: bool) -> list[str]:
    """``HH:MM:SS.mmm`` (with ``YYYY-M-D`` before it) of milliseconds since ``START``."""
    day = START.replace(hour=0)
    ms_of_day = ms + (START - day).seconds * 1000
    days, rest = np.divmod(ms_of_day, 86_400_000)
    hh, rest = np.divmod(rest, 3_600_000)
    mm, rest = np.divmod(rest, 60_000)
    ss, mss = np.divmod(rest, 1000)
    out = [
        f"{h:02d}:{m:02d}:{s:02d}.{x:03d}"
        for h, m, s, x in zip(hh.tolist(), mm.tolist(), ss.tolist(), mss.tolist(), strict=True)
    ]
    if not with_date:
        return out
    dates = {d: day + dt.timedelta(days=d) for d in set(days.tolist())}
    return [
        f"{dates[d].year}-{dates[d].month}-{dates[d].day} {c}"
        for d, c in zip(days.tolist(), out, strict=True)
    ]


def build_witmotion(out: Path, hours: float, devices: int, rate: float) -> Path:
    """A WitMotion export of ``devices`` sensors for ``hours`` (see the module doc)."""
    demo = _demo_sensors()
    n = round(hours * 3600 * rate)
    chip_ms = np.round(np.arange(n) * 1000.0 / rate).astype(np.int64)
    with out.open("x", encoding="utf-8", newline="") as fh:
        fh.write(WIT_HEADER + "\r\n")
        parts = [_tiled(demo[p], rate, n) for p in WIT_PLACEMENTS[:devices]]
        for a in range(0, n, 1 << 15):
            b = min(n, a + (1 << 15))
            pc = _clock_text(chip_ms[a:b] + 20, with_date=False)
            chip = _clock_text(chip_ms[a:b], with_date=True)
            rows = []
            for k in range(b - a):
                for d, (acc, gyr) in enumerate(parts):
                    ag = acc[a + k] / G
                    gd = np.degrees(gyr[a + k])
                    rows.append(
                        f"{pc[k]},WT901BLE{d + 10}({d}),{chip[k]},"
                        f"{ag[0]:.4f},{ag[1]:.4f},{ag[2]:.4f},{gd[0]:.3f},{gd[1]:.3f},{gd[2]:.3f},"
                        "0,0,0,0,0,0,0.000,0.000,0.000,0,0,0,25.00,1.00000,0.00000,0.00000,"
                        "0.00000,0,100\r\n"
                    )
            fh.write("".join(rows))
    return out


def _phyphox_number(x: np.ndarray) -> list[str]:
    return [
        f"{v:.9E}".replace("E+0", "E").replace("E-0", "E-").replace("E+", "E") for v in x.tolist()
    ]


def build_phyphox(out: Path, hours: float, rate: float) -> Path:
    """A phyphox ZIP of the demo's right thigh for ``hours`` (see the module doc)."""
    demo = _demo_sensors()
    n = round(hours * 3600 * rate)
    acc, gyr = _tiled(demo["right_thigh"], rate, n)
    t = np.arange(n) / rate
    with zipfile.ZipFile(out, "x", zipfile.ZIP_DEFLATED) as zf:
        for name, what, unit, v in (
            ("Accelerometer.csv", "Acceleration", "m/s^2", acc),
            ("Gyroscope.csv", "Gyroscope", "rad/s", gyr),
        ):
            buf = io.StringIO()
            buf.write(",".join(['"Time (s)"', *(f'"{what} {a} ({unit})"' for a in "xyz")]) + "\n")
            for a in range(0, n, 1 << 16):
                cols = [_phyphox_number(x) for x in (t[a : a + (1 << 16)], *v[a : a + (1 << 16)].T)]
                buf.write("".join(",".join(r) + "\n" for r in zip(*cols, strict=True)))
            zf.writestr(name, buf.getvalue())
        stamp = START.timestamp()
        zf.writestr(
            "meta/time.csv",
            '"event","experiment time","system time","system time text"\n'
            f'"START",0.000000000E0,{stamp:.3f},"2026-03-02 10:00:00.000 UTC+01:00"\n',
        )
    return out


ANALYSE_ARGS = ["--side", "right", "--stand", "0.1,1.5", "--movements", "1.5,5.8"]
"""Where the DOT samples' stand and squats are (the first pass of each long file)."""


def measure(
    name: str, inputs: list[Path], work: Path, analyse: bool, extra: list[str]
) -> list[dict]:
    """``import`` (and ``analyse``) of ``inputs`` under ``/usr/bin/time -v``."""
    cli = [sys.executable, "-m", "cli.main"]  # this checkout's code (run from ROOT)
    out: list[dict] = []
    runs = [
        ("import", ["import", *map(str, inputs), *extra, "--out", str(work / f"out-{name}.csv")])
    ]
    if analyse:
        runs.append(
            (
                "analyse",
                [
                    "analyse",
                    *map(str, inputs),
                    *extra,
                    *ANALYSE_ARGS,
                    "--out",
                    str(work / f"out-{name}"),
                ],
            )
        )
    for command, args in runs:
        try:
            run = run_timed([*cli, *args], cwd=ROOT)
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr or "").strip().splitlines()
            print(f"{name:>12} {command:>8}: failed: {last[-1] if last else exc}", flush=True)
            continue
        row = {"export": name, "command": command, **run.__dict__}
        print(
            f"{name:>12} {command:>8}: peak RSS {run.peak_rss_mb:7.0f} MB, CPU {run.cpu_s:6.1f} s, "
            f"wall {run.wall_s:6.1f} s (load {run.load_1min:.1f})",
            flush=True,
        )
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, required=True, help="scratch folder (made if missing)")
    ap.add_argument("--hours", type=float, default=7.6)
    ap.add_argument("--dot", default="", help="DOT sample names to lengthen, e.g. Pelvis,RFemur")
    ap.add_argument("--dot-samples", type=Path, default=DOT_SAMPLES)
    ap.add_argument("--witmotion", type=int, default=0, help="devices in a WitMotion export")
    ap.add_argument("--wit-rate", type=float, default=50.0)
    ap.add_argument("--phyphox", action="store_true")
    ap.add_argument("--phyphox-rate", type=float, default=100.0)
    ap.add_argument("--analyse", action="store_true", help="also run analyse")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--out-json", type=Path)
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, list[Path], list[str]]] = []
    tag = f"{args.hours:g}h"
    if args.dot:
        folder = args.work / f"dot-{tag}"
        folder.mkdir(exist_ok=True)
        files = []
        for name in args.dot.split(","):
            sample = next(args.dot_samples.glob(f"{name}_*.csv"))
            f = folder / sample.name
            files.append(f if f.exists() else build_dot(sample, f, args.hours))
        jobs.append((f"dot{len(files)}-{tag}", files, []))
    if args.witmotion:
        f = args.work / f"wit{args.witmotion}-{args.wit_rate:g}hz-{tag}.csv"
        f = f if f.exists() else build_witmotion(f, args.hours, args.witmotion, args.wit_rate)
        placements = [
            f"WT901BLE{d + 10}({d})={p}" for d, p in enumerate(WIT_PLACEMENTS[: args.witmotion])
        ]
        jobs.append((f.stem, [f], [a for p in placements for a in ("--sensor", p)]))
    if args.phyphox:
        f = args.work / f"phyphox-{args.phyphox_rate:g}hz-{tag}.zip"
        f = f if f.exists() else build_phyphox(f, args.hours, args.phyphox_rate)
        jobs.append((f.stem, [f], ["--sensor", "*phyphox*=right_thigh"]))
    results = []
    for name, files, extra in jobs:
        mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"{name}: {len(files)} file(s), {mb:.0f} MB", flush=True)
        if not args.build_only:
            for old in args.work.glob(f"out-{name}*"):
                raise SystemExit(f"{old} exists: remove the old outputs first")
            results += measure(name, files, args.work, args.analyse, extra)
    if args.out_json:
        args.out_json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
