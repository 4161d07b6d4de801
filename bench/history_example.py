"""The history example of docs/history.md: a simulated person, eight sessions over six weeks.

Simulates the sessions (``analysis.simulation``, each with its own date and seed), analyses
them with ``stretchguard batch``'s library call and draws ``stretchguard history``. With
``--screenshots`` it renders the page with headless Chromium at desktop and phone width.

    python bench/history_example.py OUT_DIR [--screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analysis.simulation import SimulationConfig, simulate
from sensors.formats.canonical import write_recording
from stretchguard.batch import run_batch
from stretchguard.history import write_history

START = datetime(2026, 1, 5, 18, 30, tzinfo=UTC)
PLAN = (
    # (day, scenario): ankle pulled up with heel tingling early on, then the knee locked, a
    # slump, and from week four the stretch as advised
    (0, "standing_dorsiflexion"),
    (3, "standing_dorsiflexion"),
    (8, "standing_knee_locked"),
    (14, "standing_dorsiflexion"),
    (19, "standing_slump"),
    (26, "standing_correct"),
    (33, "standing_correct"),
    (40, "standing_correct"),
)


def simulate_person(folder: Path) -> list[Path]:
    """Write the eight recordings (with sidecars) into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (day, scenario) in enumerate(PLAN):
        when = START + timedelta(days=day, minutes=7 * i)
        cfg = SimulationConfig(seed=100 + i, started_at=when.isoformat())
        sim = simulate(scenario, config=cfg)
        name = f"{when.date().isoformat()}_{scenario}.csv.gz"
        paths.append(write_recording(folder / name, sim.samples, sim.meta))
    return paths


def screenshot(page: Path, png: Path, width: int) -> None:
    """Render ``page`` with headless Chromium at ``width`` px into ``png``."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise SystemExit("chromium not found (apt-get install -y chromium)")
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={png}",
            f"--window-size={width},{4300 if width < 600 else 2100}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def main() -> None:
    """Simulate, analyse and draw (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--screenshots", action="store_true")
    args = parser.parse_args()
    recordings = simulate_person(args.out / "recordings")
    rows, summary = run_batch([recordings[0].parent], args.out / "analysed", workers=2)
    print(f"analysed {len(rows)} sessions; {summary}")
    page, _ = write_history([args.out / "analysed"], args.out / "history.html")
    print(f"wrote {page}")
    if args.screenshots:
        for width in (1280, 414):
            png = args.out / f"history-{width}.png"
            screenshot(page, png, width)
            print(f"wrote {png}")


if __name__ == "__main__":
    main()
