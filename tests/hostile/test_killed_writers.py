"""A kill while ``simulate`` or ``import`` gives their files their names.

Each file was already whole or absent (written under a hidden name, then linked), but the
recording was linked *first*: a kill in the next moments (about 1 s for a 1-h simulated
session, while the truth document was encoded) left ``NAME.csv`` without ``NAME.json``, and
``analyse`` then read it without a word about the missing exercise, side, calibration windows,
marks and gaps (for a DOT Extended import, also without "use the vendor quaternion"); a rerun
refused to replace it. ``simulate`` also wrote ``NAME.truth.json`` straight under its name.

Here the process ends (``os._exit``, like SIGKILL: no clean-up runs) right after its n-th file
gets a name, for every n: a recording that exists has its sidecar (and, simulated, its truth).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.vendor_writers import write_movella_dot

ROOT = Path(__file__).resolve().parents[2]

_KILL_AFTER_LINK = """
import os, sys
n = int(sys.argv[1])
real_link = os.link
def link(src, dst, *a, **k):
    global n
    real_link(src, dst, *a, **k)
    n -= 1
    if n == 0:
        os._exit(9)  # killed: nothing else runs
os.link = link
from cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _run_killed(n: int, args: list[str]) -> int:
    run = subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_LINK, str(n), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode


def _visible(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_a_simulated_recording_never_appears_without_its_sidecar_and_truth(
    tmp_path: Path, n: int
) -> None:
    out = tmp_path / "s.csv"
    code = _run_killed(n, ["simulate", "standing_correct", "--out", str(out)])
    assert code == 9  # four files, four links: killed after the n-th
    names = _visible(tmp_path)
    if "s.csv" in names:
        assert {"s.json", "s.truth.csv", "s.truth.json"} <= names, names
    for doc in ("s.json", "s.truth.json"):
        if doc in names:
            json.loads((tmp_path / doc).read_text(encoding="utf-8"))  # whole


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2])
def test_an_imported_recording_never_appears_without_its_sidecar(tmp_path: Path, n: int) -> None:
    t = np.arange(600) / 60.0
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (600, 1))
    acc = np.tile([0.0, 0.0, 9.81], (600, 1))
    dot = write_movella_dot(
        tmp_path / "dot.csv", t_s=t, quat=quat, acc_m_s2=acc, gyr_rad_s=0 * acc, tag="pelvis"
    )
    out = tmp_path / "rec.csv"
    code = _run_killed(n, ["import", str(dot), "--out", str(out)])
    assert code == 9  # two files, two links: killed after the n-th
    names = _visible(tmp_path)
    if "rec.csv" in names:
        assert "rec.json" in names, names
