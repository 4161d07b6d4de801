"""``stretchguard history INPUT... --out FILE.html``: one person's sessions over weeks."""

from __future__ import annotations

import argparse

from cli.main import EXIT_OK
from cli.text import echo, printable
from stretchguard.history import write_history

DESCRIPTION = """\
Draw one person's sessions over time in one self-contained page: per exercise, the longest
hold, the time outside each limit, the cues that came up, the symptom marks by place and kind,
and straight-leg-raise P1/P2 hip angles where recorded, each over calendar dates, with the
sessions listed and what changed in plain words.

INPUT: folders written by `stretchguard batch` (or their envelope.json files; the date comes
from session.json beside it, or a YYYY-MM-DD in the path), or recordings (analysed on the way,
nothing written for them). The page is a new file: an existing one is never replaced.
"""

EPILOG = """\
exit codes: 0 ok, 4 data error (e.g. a session without a date), 5 nothing found.
stretchguard informs; it does not diagnose.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``history``."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="session folders or recordings")
    parser.add_argument("--out", required=True, metavar="FILE.html", help="the page to write")


def run(args: argparse.Namespace) -> int:
    """Collect the sessions and write the history page."""
    path, records = write_history(
        args.inputs, args.out, notice=lambda m: echo(f"stretchguard: {m}", err=True)
    )
    echo(
        f"stretchguard: {len(records)} session(s); wrote {printable(path, multiline=False)}",
        err=True,
    )
    return EXIT_OK
