"""``stretchguard batch INPUT... --out DIR``: every session under the inputs, in parallel."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from analysis.recording.schema import SIDES
from cli.main import EXIT_DATA, EXIT_OK
from cli.text import echo, printable
from stretchguard.batch import BatchOptions, BatchTask, FoundSession, run_batch

DESCRIPTION = """\
Analyse many sessions: every stretchguard recording (with its sidecar) found under the inputs,
and every folder of vendor exports (placements from --sensor-map), each into its own folder
DIR/<session>/ with angles.csv, envelope.json, report.html (and session.json, where it came
from). DIR/summary.csv has one row per session: exercise, side, verdict, longest hold,
episodes per rule, marks, calibration quality, and the error of a session that failed.

A failing session never stops the batch. Run it again to resume: finished sessions are skipped
and nothing is ever overwritten (a second summary is written as summary-2.csv).

Sessions run in parallel in --workers processes on this machine, or on a dask cluster with
--scheduler tcp://HOST:PORT (pip install 'stretchguard[cluster]'; the workers must see the
inputs and DIR at the same paths). See docs/batch.md.
"""

EPILOG = """\
exit codes: 0 every session analysed (or already done), 4 at least one session failed (see
the summary), 5 profile/configuration error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``batch``."""
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="recordings or folders (searched recursively)"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="processes on this machine (default: the number of cores)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the sessions on a dask.distributed cluster instead",
    )
    parser.add_argument(
        "--sensor-map",
        metavar="TOML",
        help='placements of vendor exports: a [sensors] table, e.g. "RTibia*.csv" = "right_shank"',
    )
    parser.add_argument(
        "--sensor",
        action="append",
        default=[],
        metavar="FILE_OR_GLOB=PLACEMENT",
        help="placement of a vendor file or device (repeatable)",
    )
    parser.add_argument("--exercise", metavar="NAME", help="exercise of every session")
    parser.add_argument("--profile", metavar="FILE", help="exercise profile TOML for every session")
    parser.add_argument("--side", choices=SIDES, help="the exercised leg of every session")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


class _Reporter:
    """Progress on stderr: a bar with an ETA on a terminal, one line per session otherwise.

    The bar advances by input bytes, so the ETA weighs long sessions by their length.
    """

    def __init__(self, bar: Progress | None) -> None:
        self.bar = bar
        self.task: Any = None
        self.count = 0
        self.total = 0

    def plan(
        self, todo: list[BatchTask], finished: list[FoundSession], passed_over: list[Path]
    ) -> None:
        self.total = len(todo)
        if passed_over:
            shown = ", ".join(str(p) for p in passed_over[:3])
            more = f" and {len(passed_over) - 3} more" if len(passed_over) > 3 else ""
            _say(f"passed over {len(passed_over)} file(s) in no supported format: {shown}{more}")
        if finished:
            _say(f"{len(finished)} session(s) already done in the output folder; skipped")
        if self.bar is not None:
            size = sum(max(t.session.size_bytes, 1) for t in todo)
            self.task = self.bar.add_task("sessions", total=size or 1, n=0, of=self.total)

    def done(self, row: dict[str, Any], session: FoundSession) -> None:
        self.count += 1
        what = row.get("error") or row.get("verdict") or row.get("status")
        line = f"[{self.count}/{self.total}] {session.name}: {what}"
        if self.bar is None:
            _say(line)
            return
        if row.get("status") == "error":
            self.bar.console.print(
                f"stretchguard: {printable(line)}", markup=False, highlight=False
            )
        self.bar.update(self.task, advance=max(session.size_bytes, 1), n=self.count)


def _say(msg: str) -> None:
    echo(f"stretchguard: {msg}", err=True)


@contextmanager
def reporter(console: Console | None = None) -> Iterator[_Reporter]:
    """Progress for a batch on ``console`` (default: stderr)."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield _Reporter(None)
        return
    columns = (
        TextColumn("{task.fields[n]}/{task.fields[of]} sessions"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, refresh_per_second=4) as bar:
        yield _Reporter(bar)


def run(args: argparse.Namespace) -> int:
    """Analyse every session under the inputs and write DIR/summary.csv."""
    options = BatchOptions(
        sensor_map=args.sensor_map,
        sensor_options=tuple(args.sensor or ()),
        exercise=args.exercise,
        profile_path=args.profile,
        side=args.side,
    )
    workers = args.workers or os.cpu_count() or 1
    with reporter() as report:
        rows, summary = run_batch(
            args.inputs,
            args.out,
            options=options,
            workers=workers,
            scheduler=args.scheduler,
            on_done=report.done,
            on_plan=report.plan,
        )
    failed = [r for r in rows if r.get("status") == "error"]
    _say(f"{len(rows)} session(s), {len(failed)} failed; wrote {summary}")
    return EXIT_DATA if failed else EXIT_OK
