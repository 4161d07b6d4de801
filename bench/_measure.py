"""Timing helpers shared by the speed benchmarks: whole-process runs, medians, the machine.

Whole-process numbers come from ``/usr/bin/time -v`` (wall clock, user + system CPU, peak
resident set size); in-process numbers from ``time.perf_counter``. Every figure is the median
of the runs; the spread (min–max) is kept beside it because the machine is shared.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

TIME_BIN = Path("/usr/bin/time")

_WALL = re.compile(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)")
_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_USER = re.compile(r"User time \(seconds\): ([\d.]+)")
_SYS = re.compile(r"System time \(seconds\): ([\d.]+)")


@dataclass(frozen=True)
class ProcessRun:
    """One whole-process run: wall and CPU seconds (CPU = user + system; system alone, mostly
    page faults here, beside it), peak RSS (MB = 10⁶ bytes), 1-minute load average before."""

    wall_s: float
    cpu_s: float
    sys_s: float
    peak_rss_mb: float
    load_1min: float


@dataclass(frozen=True)
class Summary:
    """Median and range of repeated measurements (seconds or MB)."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """Summary of ``values`` (at least one)."""
        return cls(float(statistics.median(values)), min(values), max(values), len(values))


def _clock_s(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60.0 + p
    return seconds


def run_timed(cmd: Sequence[str], *, cwd: Path | None = None) -> ProcessRun:
    """Run ``cmd`` under ``/usr/bin/time -v``; raise CalledProcessError if it fails."""
    if not TIME_BIN.exists():
        raise FileNotFoundError(f"{TIME_BIN} is needed for timings (apt-get install time)")
    load = os.getloadavg()[0]
    proc = subprocess.run(
        [str(TIME_BIN), "-v", *cmd],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    err = proc.stderr
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=err[-2000:])
    wall, rss = _WALL.search(err), _RSS.search(err)
    user, sys_ = _USER.search(err), _SYS.search(err)
    if not (wall and rss and user and sys_):
        raise RuntimeError(f"cannot read /usr/bin/time -v output of {cmd}: {err[-500:]}")
    return ProcessRun(
        wall_s=_clock_s(wall.group(1)),
        cpu_s=float(user.group(1)) + float(sys_.group(1)),
        sys_s=float(sys_.group(1)),
        peak_rss_mb=int(rss.group(1)) * 1024 / 1e6,
        load_1min=load,
    )


def summarise_runs(runs: Sequence[ProcessRun]) -> dict[str, Any]:
    """Medians and ranges of wall, CPU and peak RSS, plus the raw runs."""
    return {
        "wall_s": asdict(Summary.of([r.wall_s for r in runs])),
        "cpu_s": asdict(Summary.of([r.cpu_s for r in runs])),
        "sys_s": asdict(Summary.of([r.sys_s for r in runs])),
        "peak_rss_mb": asdict(Summary.of([r.peak_rss_mb for r in runs])),
        "runs": [asdict(r) for r in runs],
    }


def time_call(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of one call of ``fn`` and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def package_version(name: str) -> str:
    """Installed version of ``name`` or ``"not installed"``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def code_state(root: Path | None = None) -> dict[str, Any]:
    """The code measured: where ``analysis`` is imported from, its commit, uncommitted files.

    A snapshot made by ``bench/run_all.py --commit REV`` carries its commit in a ``COMMIT``
    file; a git checkout is asked (other engineers work in the same one, so the files that
    differ from HEAD are listed).
    """
    if root is None:
        import analysis

        root = Path(analysis.__file__).resolve().parents[1]
    marker = root / "COMMIT"
    if marker.exists():
        return {"commit": marker.read_text().strip(), "uncommitted": [], "path": str(root)}

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return proc.stdout if proc.returncode == 0 else ""

    dirty = [
        line[3:]
        for line in git("status", "--porcelain", "--", "analysis", "sensors", "cli").splitlines()
        if line
    ]
    commit = git("rev-parse", "--short", "HEAD").strip()
    return {"commit": commit, "uncommitted": dirty, "path": str(root)}


def machine() -> dict[str, Any]:
    """The machine and library versions a result was measured with."""
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    libs = (
        "stretchguard",
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "vqf",
        "ahrs",
        "imufusion",
        "opensim",
    )
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {lib: package_version(lib) for lib in libs},
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "code": code_state(),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON (bench results are ours to replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
