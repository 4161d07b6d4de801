"""Speed and memory of the simulator and of ``stretchguard simulate`` (run on demand).

    .venv/bin/python bench/bench_simulate.py [--minutes 30] [--hours 10] [--skip-cli]

1. In memory: generates a ``standing_dorsiflexion`` session of ``--minutes`` with 4 sensors
   (pelvis, right thigh, shank, foot) at 100 Hz and the default error model, chunk by chunk,
   and reports sensor samples per second (truth rows included in the work). Median of 3.
2. The CLI: writes a ``--hours`` session as ``.csv.gz`` and as ``.csv`` into a temporary
   folder in a child process and reports wall time, peak resident memory of the child and the
   file sizes. Numbers go to docs/simulator.md ("Speed"). Note the machine's load: the timing
   is wall-clock on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.simulation import SessionSimulator, SimulationConfig

SENSORS = ("pelvis", "right_thigh", "right_shank", "right_foot")


def in_memory(minutes: float) -> tuple[float, int]:
    """Median seconds and sample count of generating the session in 60-s chunks."""
    times, n = [], 0
    for _ in range(3):
        sim = SessionSimulator(
            "standing_dorsiflexion",
            config=SimulationConfig(sensors=SENSORS, duration_s=60.0 * minutes),
        )
        t0 = time.perf_counter()
        n = sum(len(chunk.samples) for chunk in sim.chunks(chunk_s=60.0))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), n


def cli(hours: float, suffix: str, folder: Path) -> tuple[float, float, int]:
    """Wall seconds, peak child RSS (MB) and bytes written for one CLI run."""
    out = folder / f"long{suffix}"
    cmd = [
        sys.executable, "-m", "cli.main", "simulate", "standing_dorsiflexion",
        "--out", str(out), "--duration-s", str(3600.0 * hours),
        "--sensors", ",".join(SENSORS),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    size = sum(p.stat().st_size for p in folder.iterdir() if p.name.startswith("long"))
    for p in folder.iterdir():
        p.unlink()
    return wall, peak_kb / 1024.0, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    secs, n = in_memory(args.minutes)
    print(
        f"in memory: {args.minutes:g} min, 4 sensors, 100 Hz: {n:,} samples in {secs:.2f} s "
        f"= {n / secs:,.0f} samples/s (→ {10 * 60 / args.minutes * secs:.0f} s per 10 h)"
    )
    if args.skip_cli:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv.gz", ".csv"):
            wall, rss, size = cli(args.hours, suffix, Path(tmp))
            print(
                f"stretchguard simulate --duration-s {3600 * args.hours:g} → {suffix}: "
                f"{wall:.0f} s wall, peak RSS {rss:.0f} MB, {size / 1e6:,.0f} MB written"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
