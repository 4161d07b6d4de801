"""Seeded benchmark sessions, generated once with ``stretchguard simulate`` and cached.

Every speed benchmark reads the same files: scenario ``standing_dorsiflexion`` (protocol,
stretch with a scripted ankle dorsiflexion violation and a symptom mark; repeated with 10 s
rests for longer sessions), seed 7, 4 sensors (pelvis, right thigh, shank, foot) at 100 Hz,
written as plain ``.csv`` (the analyser's own input format) with sidecar and truth files
under ``bench/out/sessions/`` (git-ignored). A session is generated only when its four
files are missing; generation goes through the CLI so the bytes are exactly what a user of
``stretchguard simulate`` gets.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench" / "out"
SESSION_DIR = OUT_DIR / "sessions"
SCENARIO = "standing_dorsiflexion"
SEED = 7


@dataclass(frozen=True)
class SessionSpec:
    """One benchmark session: a label and its length in seconds (None: natural length)."""

    label: str
    duration_s: float | None

    @property
    def length_s(self) -> float:
        """Session length in seconds."""
        if self.duration_s is None:
            from analysis.simulation import natural_duration_s

            return natural_duration_s(SCENARIO)
        return self.duration_s

    @property
    def stem(self) -> str:
        """File stem under ``SESSION_DIR``."""
        length = "natural" if self.duration_s is None else f"{self.duration_s:.0f}s"
        return f"{SCENARIO}_seed{SEED}_{length}"

    @property
    def csv(self) -> Path:
        """The canonical recording."""
        return SESSION_DIR / f"{self.stem}.csv"

    @property
    def truth_csv(self) -> Path:
        """True joint angles on the uniform grid (degrees)."""
        return SESSION_DIR / f"{self.stem}.truth.csv"


SESSIONS: tuple[SessionSpec, ...] = (
    SessionSpec("1.7 min", None),
    SessionSpec("10 min", 600.0),
    SessionSpec("1 h", 3600.0),
    SessionSpec("3 h", 10800.0),
    SessionSpec("10 h", 36000.0),
)
"""The end-to-end lengths (the shortest the scenario allows stands in for "1 min")."""


def stretchguard_exe() -> Path:
    """The ``stretchguard`` console script of the running interpreter's environment."""
    exe = Path(sys.executable).parent / "stretchguard"
    if not exe.exists():
        raise FileNotFoundError(
            f"{exe} not found: install the project into this environment (pip install -e .)"
        )
    return exe


def ensure_session(spec: SessionSpec, *, log: Callable[[str], None] = print) -> Path:
    """Path of ``spec``'s recording, generating it (and its sidecar/truth) if missing."""
    stem = SESSION_DIR / spec.stem
    files = [
        spec.csv,
        stem.with_suffix(".json"),
        spec.truth_csv,
        SESSION_DIR / f"{spec.stem}.truth.json",
    ]
    if all(f.exists() for f in files):
        return spec.csv
    present = [f for f in files if f.exists()]
    if present:
        # a run was interrupted between files: the set is incomplete, never half-used
        raise FileExistsError(
            f"incomplete cached session {spec.stem}: {', '.join(p.name for p in present)} exist "
            f"without the rest; delete them from {SESSION_DIR} and run again"
        )
    SESSION_DIR.mkdir(parents=True, exist_ok=True)
    cmd = [str(stretchguard_exe()), "simulate", SCENARIO, "--out", str(spec.csv)]
    cmd += ["--seed", str(SEED)]
    if spec.duration_s is not None:
        cmd += ["--duration-s", f"{spec.duration_s:g}"]
    log(f"generating {spec.label} session: {' '.join(cmd[1:])}")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    log(f"  done in {time.perf_counter() - t0:.0f} s ({spec.csv.stat().st_size / 1e6:.0f} MB)")
    return spec.csv


def session(label: str) -> SessionSpec:
    """The spec with ``label`` (e.g. ``"1 h"``)."""
    for s in SESSIONS:
        if s.label == label:
            return s
    raise KeyError(f"no benchmark session {label!r}; known: {[s.label for s in SESSIONS]}")


if __name__ == "__main__":
    for spec in SESSIONS:
        ensure_session(spec)
