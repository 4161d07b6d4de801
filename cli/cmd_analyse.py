"""``stretchguard analyse INPUT... --out DIR``: angles, the envelope verdict and a report.

Reads a recording (or vendor exports), estimates the joint angles (``analysis.angles.pipeline``),
judges them against the exercise profile (``analysis.envelope.checker``) and writes a new folder:

* ``angles.csv``   — ``t_s`` + every measured angle in degrees, uniform grid;
* ``envelope.json`` — the verdict per rule, episodes with cues, holds, marks (docs/envelope.md);
* ``report.html``  — one self-contained page with plots (docs/report.md).

A short summary goes to stdout, messages to stderr. Nothing existing is overwritten.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path

from analysis.envelope.profiles import builtin_profile_names, load_builtin_profile
from analysis.recording.schema import SIDES
from analysis.recording.streams import take_streams
from cli.common import add_input_arguments, load_inputs
from cli.main import EXIT_OK, EXIT_VIOLATION
from cli.text import echo, printable

# The use case lives in stretchguard.analysing (one path for the CLI, batch, bench and
# notebooks); these names are re-exported for existing callers.
from stretchguard.analysing import (
    DEFAULT_EXERCISE,
    TRIM_MIN_SAMPLES,
    AnalysisOutput,
    analyse_to_folder,
    angles_csv,
    resolve_profile,
    resolve_side,
    with_windows,
    write_angles_csv,
)
from stretchguard.memory import arrow_on_c_heap, keep_freed_memory

__all__ = [
    "AnalysisOutput",
    "add_arguments",
    "analyse_to_folder",
    "angles_csv",
    "resolve_profile",
    "resolve_side",
    "run",
    "window_arg",
    "with_windows",
    "write_angles_csv",
]


def _exercise_lines() -> str:
    lines = []
    for name in builtin_profile_names():
        prof = load_builtin_profile(name)
        lines.append(f"  {name:<20} {prof.title} — {prof.kind}")
    return "\n".join(lines)


DESCRIPTION = f"""\
Analyse one session: estimate hip, knee, ankle, pelvis and lumbar angles from the worn
sensors, check them against the nerve-friendly envelope of the exercise, and write
DIR/angles.csv, DIR/envelope.json and a self-contained DIR/report.html.

Record every session like this (the analysis depends on it):
  1. stand still, upright, knees straight, feet flat, looking ahead, for 3 s or more —
     this defines every angle's zero;
  2. a few slow knee bends and leg swings, forward and back, then two slow bows forward
     from the hips, back straight (the pelvis must tip forward) — this finds each
     segment's flexion axis;
  3. the exercise.
The windows are taken from the sidecar or found automatically; give them with
--stand START,END and --movements START,END (seconds) when neither works.

Exercises (--exercise; default: the recording's sidecar, else {DEFAULT_EXERCISE}, or
supine_hamstring when the pelvis sensor shows the session lying on the back):
{_exercise_lines()}
A named exercise whose posture the pelvis contradicts (lying judged as standing, or the
reverse) is kept, but its rules are reported uncertain and the summary says which
--exercise fits.

The envelope (defaults; their basis is in docs/envelope.md): toes pointed away (ankle
dorsiflexion ≤ 0°), a slight knee bend (≥ 10°), a long spine (lumbar flexion ≤ 10°), pelvis
tipped forward (≥ neutral), hip internal rotation ≤ 10° and adduction ≤ 5° (advisory), held
about 30 s. Only the time you are actually in the stretch is judged. --profile FILE
changes it: a TOML file with `extends = "standing_hamstring"` and the values to change:

  extends = "standing_hamstring"
  [rules.knee_flexion]
  min_deg = 15

(a file without `name` modifies the session's exercise profile; see docs/envelope.md).
"""

EPILOG = """\
exit codes: 0 ok, 4 data error, 5 profile/configuration error, 6 envelope left (only with
--fail-on-violation). stretchguard informs; it does not diagnose.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``analyse``."""
    add_input_arguments(parser)
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="new output folder (must not exist or be empty)"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="exercise profile TOML (overrides/extends a built-in)"
    )
    parser.add_argument(
        "--exercise",
        metavar="NAME",
        help="exercise profile name (default: from the sidecar); one of "
        + ", ".join(builtin_profile_names()),
    )
    parser.add_argument(
        "--side", choices=SIDES, help="the exercised leg (default: from the sidecar / sensors)"
    )
    parser.add_argument(
        "--stand",
        type=window_arg,
        metavar="START,END",
        help="the quiet stand in seconds, e.g. 0,4 (overrides the sidecar and detection)",
    )
    parser.add_argument(
        "--movements",
        type=window_arg,
        metavar="START,END",
        help="the slow calibration movements in seconds, e.g. 4,30 (overrides the sidecar)",
    )
    parser.add_argument(
        "--fail-on-violation",
        action="store_true",
        help=f"exit with code {EXIT_VIOLATION} when the envelope was left",
    )


# --- choices -----------------------------------------------------------------------------


def window_arg(text: str) -> tuple[float, float]:
    """``START,END`` (or ``START:END``) in seconds → a half-open window; usage error otherwise."""
    parts = text.replace(":", ",").split(",")
    try:
        start, end = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START,END in seconds (e.g. 0,4), got {text!r}"
        ) from None
    if not (math.isfinite(start) and math.isfinite(end)) or not 0 <= start < end:
        raise argparse.ArgumentTypeError(f"expected 0 ≤ START < END, got {text!r}")
    return start, end


_LATER_MODULES = (
    "analysis.report.page",
    "pyarrow.pandas_compat",
    "importlib.readers",
    "email.parser",
)
"""Modules the end of an analysis imports (the report, Arrow's table from the angles, the
built-in profiles' folder, the package metadata's parser for the report's version).
:func:`run` imports them before the read, while the file given to ``analyse`` is still being
parsed on Arrow's threads (``canonical.start_early_read``), rather than on the way to the
files, beside the ``angles.csv`` writer."""


def run(args: argparse.Namespace) -> int:
    """Analyse the input and write the report folder."""
    arrow_on_c_heap()  # one session, then exit: Arrow allocates via malloc (stretchguard.memory)
    for name in _LATER_MODULES:
        importlib.import_module(name)
    recording = with_windows(
        load_inputs(args, device_ticks=False),
        stand=getattr(args, "stand", None),
        movements=getattr(args, "movements", None),
    )
    if recording.n_samples <= TRIM_MIN_SAMPLES:
        keep_freed_memory()  # one session, then exit: reuse freed pages (stretchguard.memory)
    for w in recording.warnings:
        echo(f"stretchguard: warning: {w}", err=True)
    inputs = list(getattr(args, "inputs", []) or [])
    source = None
    if recording.path is None and inputs:
        source = Path(inputs[0]).name if len(inputs) == 1 else f"{len(inputs)} input files"
    # hand the sample arrays over: the pipeline frees each sensor's once it is on the grid
    streams, recording = take_streams(recording)
    output = analyse_to_folder(
        recording,
        args.out,
        profile_path=args.profile,
        exercise=args.exercise,
        side=args.side,
        source_name=source,
        streams=streams,
        # a bar only where it can be seen: on a pipe or file it would draw nothing
        progress=None if sys.stderr.isatty() else False,
    )
    echo(output.summary)
    echo(
        f"stretchguard: wrote {printable(output.folder / 'report.html', multiline=False)}", err=True
    )
    if args.fail_on_violation and output.envelope.verdict == "outside":
        return EXIT_VIOLATION
    return EXIT_OK
