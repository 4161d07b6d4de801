"""``stretchguard demo [--out DIR]``: the full analysis of the embedded demo session.

Analyses the fixture session ``cli.common.DEMO_SESSION`` (made by stretchguard's simulator:
a standing hamstring stretch with one clear dorsiflexion episode and a symptom mark) exactly
as ``stretchguard analyse`` would, and writes the report folder it names on the terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.errors import DataError, OutputExistsError
from cli.cmd_analyse import analyse_to_folder
from cli.common import DEMO_SESSION, fixture_path
from cli.text import echo
from sensors.formats.canonical import read_recording

DEFAULT_STEM = "stretchguard-demo-report"

DESCRIPTION = f"""\
Run the whole analysis on a session that ships with stretchguard: a simulated standing
hamstring stretch (right leg elevated, sensors on pelvis, trunk, thigh, shank and foot)
recorded with the session protocol — quiet stand, slow knee bends and leg swings, then the
stretch — in which the ankle is pulled into dorsiflexion for a few seconds and the user
marks "tingling in the heel".

It writes angles.csv, envelope.json and report.html into a new folder (default
./{DEFAULT_STEM}, or {DEFAULT_STEM}-2, -3, … if that exists; never overwritten) and
prints the folder's name. Open report.html in any browser; it works offline.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``demo``."""
    parser.add_argument(
        "--out",
        metavar="DIR",
        help=f"output folder (default: a new ./{DEFAULT_STEM}* in the current folder)",
    )


def free_folder(parent: Path, stem: str = DEFAULT_STEM, *, limit: int = 1000) -> Path:
    """``parent/stem``, or ``stem-2``, ``stem-3`` … — the first name not taken."""
    for i in range(1, limit + 1):
        candidate = parent / (stem if i == 1 else f"{stem}-{i}")
        if not candidate.exists():
            return candidate
    raise OutputExistsError(parent / f"{stem}-{limit}")


def run(args: argparse.Namespace) -> int:
    """Analyse the demo session into a new folder and say where it is."""
    try:
        path = fixture_path(DEMO_SESSION)
    except ModuleNotFoundError:
        raise DataError(
            f"the embedded demo session {DEMO_SESSION} is not installed (package "
            "stretchguard_fixtures is missing from this install); reinstall stretchguard"
        ) from None
    recording = read_recording(path)
    out = Path(args.out) if args.out else free_folder(Path.cwd())
    print(f"stretchguard: analysing the demo session {DEMO_SESSION} …", file=sys.stderr)
    output = analyse_to_folder(recording, out, source_name=DEMO_SESSION)
    echo(output.summary)
    print(f"\nreport folder: {output.folder}", file=sys.stdout)
    print(f"open {output.folder / 'report.html'} in a browser", file=sys.stdout)
    return 0
