"""Batch throughput: many 10-minute sessions with 1 and 2 local workers and on a dask cluster.

Sessions: scenario ``standing_dorsiflexion`` repeated to ``--length-s`` (default 600 s), 4 body
sensors at 100 Hz, made with ``stretchguard simulate`` for ``--seeds`` seeds (default 4) and
linked under distinct names up to ``--sessions`` (default 40): the analysis cost depends on
length and sensors, not on which seed, so the copies cost exactly what new sessions would.
Cached under ``bench/out/batch/`` (git-ignored).

Each configuration runs ``stretchguard batch`` as a whole process into a fresh output folder:
wall time (sessions per minute), CPU time, and the peak of the summed resident memory of
the process tree (sampled every 0.1 s from /proc; ``/usr/bin/time`` would give only the largest
single process). The dask run starts a ``LocalCluster`` (2 worker processes, 1 thread each)
in this process and passes its address with ``--scheduler``; the cluster's start-up is not
counted, its workers' memory is (they are this process's children).

    python bench/batch.py [--sessions 40] [--length-s 600] [--no-dask] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import machine
from _sessions import OUT_DIR, SCENARIO, stretchguard_exe

BATCH_DIR = OUT_DIR / "batch"
PAGE = 4096


def _tree_rss_bytes(root: int) -> int:
    """Summed resident memory of ``root`` and all its descendants (Linux /proc)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        proc = Path(f"/proc/{pid}")
        try:
            total += int((proc / "statm").read_text(encoding="ascii").split()[1]) * PAGE
            for task in (proc / "task").iterdir():
                children = (task / "children").read_text(encoding="ascii")
                todo.extend(int(c) for c in children.split())
        except (OSError, ValueError):
            continue
    return total


def run_sampled(cmd: list[str], *, extra_roots: tuple[int, ...] = ()) -> dict[str, float]:
    """Run ``cmd``; wall seconds, CPU seconds of the tree and its peak summed RSS (MB)."""
    start = os.times()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss = _tree_rss_bytes(proc.pid) + sum(_tree_rss_bytes(r) for r in extra_roots)
            peak[0] = max(peak[0], rss)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    end = os.times()
    if proc.returncode not in (0,):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-800:]}")
    cpu = (end.children_user - start.children_user) + (end.children_system - start.children_system)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak[0] / 1e6}


def make_sessions(n: int, length_s: float, seeds: int) -> Path:
    """``n`` recordings of ``length_s`` under ``BATCH_DIR/in-<n>x<length>``, made once."""
    folder = BATCH_DIR / f"in-{n}x{length_s:.0f}s"
    if folder.is_dir() and len(list(folder.glob("*.csv"))) == n:
        return folder
    src = BATCH_DIR / "sources"
    src.mkdir(parents=True, exist_ok=True)
    for seed in range(seeds):
        stem = src / f"{SCENARIO}_seed{seed}_{length_s:.0f}s"
        if not stem.with_suffix(".csv").exists():
            cmd = [str(stretchguard_exe()), "simulate", SCENARIO, "--seed", str(seed)]
            cmd += ["--duration-s", f"{length_s:g}", "--out", str(stem.with_suffix(".csv"))]
            print("generating", stem.name, flush=True)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(n):
        stem = src / f"{SCENARIO}_seed{i % seeds}_{length_s:.0f}s"
        for suffix in (".csv", ".json"):
            os.link(stem.with_suffix(suffix), folder / f"session{i:03d}{suffix}")
    return folder


def _batch_cmd(inputs: Path, out: Path, *options: str) -> list[str]:
    return [str(stretchguard_exe()), "batch", str(inputs), "--out", str(out), *options]


def measure(inputs: Path, n: int, *, dask: bool) -> dict[str, Any]:
    """Throughput with 1 and 2 local workers and (``dask``) a 2-worker LocalCluster."""
    results: dict[str, Any] = {}
    configs = [("1 worker", ("--workers", "1")), ("2 workers", ("--workers", "2"))]
    for label, options in configs:
        out = BATCH_DIR / "out" / label.replace(" ", "_")
        shutil.rmtree(out, ignore_errors=True)
        print(f"batch, {label} ...", flush=True)
        r = run_sampled(_batch_cmd(inputs, out, *options))
        r["sessions_per_min"] = n / r["wall_s"] * 60.0
        r["load_1min_after"] = os.getloadavg()[0]
        results[label] = r
        print(f"  {r}", flush=True)
    if dask:
        results["dask LocalCluster (2 workers)"] = _measure_dask(inputs, n)
    one = results["1 worker"]["wall_s"]
    for r in results.values():
        r["speedup_vs_1_worker"] = one / r["wall_s"]
    return results


def _measure_dask(inputs: Path, n: int) -> dict[str, Any]:
    from distributed import LocalCluster

    out = BATCH_DIR / "out" / "dask"
    shutil.rmtree(out, ignore_errors=True)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        print("batch, dask LocalCluster ...", flush=True)
        r = run_sampled(
            _batch_cmd(inputs, out, "--scheduler", cluster.scheduler_address),
            extra_roots=(os.getpid(),),
        )
    r["sessions_per_min"] = n / r["wall_s"] * 60.0
    r["note"] = "peak RSS includes this benchmark process (scheduler + nannies + workers)"
    print(f"  {r}", flush=True)
    return r


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--length-s", type=float, default=600.0)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "batch.json")
    args = parser.parse_args()
    inputs = make_sessions(args.sessions, args.length_s, args.seeds)
    load_before = os.getloadavg()[0]
    results = measure(inputs, args.sessions, dask=not args.no_dask)
    doc = {
        "sessions": args.sessions,
        "length_s": args.length_s,
        "load_1min_before": load_before,
        "machine": machine(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
