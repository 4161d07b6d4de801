"""``stretchguard analyse INPUT... --out DIR``: angles, the envelope verdict and a report.

Reads a recording (or vendor exports), estimates the joint angles (``analysis.pipeline``),
judges them against the exercise profile (``analysis.envelope``) and writes a new folder:

* ``angles.csv``   — ``t_s`` + every measured angle in degrees, uniform grid;
* ``envelope.json`` — the verdict per rule, episodes with cues, holds, marks (docs/envelope.md);
* ``report.html``  — one self-contained page with plots (docs/report.md).

A short summary goes to stdout, messages to stderr. Nothing existing is overwritten.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from analysis.envelope import EnvelopeResult, check_envelope
from analysis.errors import ConfigError, OutputExistsError
from analysis.pipeline import AngleResult, PipelineOptions, analyse_recording
from analysis.profiles import (
    Profile,
    builtin_profile_names,
    load_builtin_profile,
    parse_profile,
    profile_for_exercise,
)
from analysis.recording import CalibrationWindows, Recording
from analysis.schema import SIDES, T_S, split_placement
from cli.common import add_input_arguments, load_inputs
from cli.main import EXIT_OK, EXIT_VIOLATION
from cli.memory import give_back_memory
from sensors.formats.canonical import open_new, write_new_file

DEFAULT_EXERCISE = "standing_hamstring"
PROGRESS_MIN_S = 120.0
"""Recordings longer than this show a progress bar on stderr."""


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

Exercises (--exercise; default: the recording's sidecar, else {DEFAULT_EXERCISE}):
{_exercise_lines()}

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


def with_windows(
    recording: Recording,
    *,
    stand: tuple[float, float] | None,
    movements: tuple[float, float] | None,
) -> Recording:
    """The recording with calibration windows from the command line (others kept)."""
    if stand is None and movements is None:
        return recording
    old = recording.meta.calibration or CalibrationWindows()
    windows = CalibrationWindows(
        static_s=stand if stand is not None else old.static_s,
        functional_s=movements if movements is not None else old.functional_s,
    )
    return recording.replace(meta=replace(recording.meta, calibration=windows))


def resolve_profile(
    recording: Recording,
    *,
    profile_path: str | None,
    exercise: str | None,
    notice: Callable[[str], None],
) -> Profile:
    """The profile to judge with: ``--profile`` over ``--exercise`` over the sidecar."""
    name = exercise or recording.meta.exercise
    base = profile_for_exercise(name) if name else None
    if profile_path is not None:
        path = Path(profile_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the profile ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a UTF-8 text file (expected a TOML profile)") from None
        if base is None and "extends" not in text and "name" not in text:
            base = load_builtin_profile(DEFAULT_EXERCISE)
            notice(f"profile {path} names no exercise; changing {DEFAULT_EXERCISE}")
        return parse_profile(text, source=str(path), base=base)
    if base is not None:
        return base
    notice(
        f"the recording names no exercise; judging it as {DEFAULT_EXERCISE} "
        "(use --exercise NAME to choose)"
    )
    return load_builtin_profile(DEFAULT_EXERCISE)


def resolve_side(recording: Recording, *, side: str | None) -> str:
    """The exercised leg: ``--side``, else the sidecar, else the only leg with sensors."""
    if side:
        return side
    if recording.meta.side in SIDES:
        return str(recording.meta.side)
    legs = {split_placement(p)[0] for p in recording.placements} - {None}
    if len(legs) == 1:
        return str(next(iter(legs)))
    worn = ", ".join(recording.placements) or "none"
    raise ConfigError(
        f"which leg was exercised? The recording has no sidecar side and sensors on "
        f"{'both legs' if legs else 'no leg'} ({worn}); pass --side left or --side right"
    )


# --- the work ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisOutput:
    """What one analysis produced (files written into ``folder``)."""

    folder: Path
    angles: AngleResult
    envelope: EnvelopeResult
    summary: str


def write_angles_csv(angles: pd.DataFrame, fh: IO[bytes], *, chunk_rows: int = 500_000) -> None:
    """Write ``angles.csv``: ``t_s`` to 1 µs, angles to 0.001°, NaN as an empty cell.

    Written in row chunks, so a 10-hour session's text never sits in memory at once.
    """
    names = [str(c) for c in angles.columns]
    fh.write((",".join(names) + "\n").encode("utf-8"))
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    for a in range(0, len(angles), chunk_rows):
        part = angles.iloc[a : a + chunk_rows]
        arrays = []
        for col in names:
            values = part[col].to_numpy(dtype=np.float64)
            decimals = 6 if col == T_S else 3
            arrays.append(pa.array(np.round(values, decimals) + 0.0, from_pandas=True))
        pacsv.write_csv(pa.table(arrays, names=names), fh, options)


def angles_csv(angles: pd.DataFrame) -> bytes:
    """``angles.csv`` as bytes (see :func:`write_angles_csv`)."""
    buf = io.BytesIO()
    write_angles_csv(angles, buf)
    return buf.getvalue()


TRIM_MIN_SAMPLES = 4_000_000
"""From this many samples (all sensors; ≈ 2.8 h of 4 sensors at 100 Hz) freed memory is
handed back between stages, keeping a 10-hour session within 1 GB."""


@contextmanager
def _progress(enabled: bool, *, trim: bool) -> Iterator[Callable[[str, float], None]]:
    """A progress callback (a bar on stderr when ``enabled``); with ``trim`` it also gives
    memory freed by the finished stage back to the system when the pipeline moves on (worth
    it on long sessions; on short ones re-faulting the pages costs more than it saves)."""
    last = [""]

    def between_stages(stage: str) -> None:
        if trim and stage != last[0]:
            last[0] = stage
            give_back_memory()

    if not enabled:
        yield lambda stage, _fraction: between_stages(stage)
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("[progress.description]{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("analysing", total=1.0)

        def update(stage: str, fraction: float) -> None:
            between_stages(stage)
            bar.update(task, completed=min(max(fraction, 0.0), 1.0), description=stage)

        yield update


def _package_version() -> str:
    try:
        return version("stretchguard")
    except PackageNotFoundError:
        return ""


def _write_angles_file(path: Path, angles: pd.DataFrame) -> None:
    with open_new(path) as fh:
        write_angles_csv(angles, fh)


def analyse_to_folder(
    recording: Recording,
    out_dir: str | Path,
    *,
    profile_path: str | None = None,
    exercise: str | None = None,
    side: str | None = None,
    source_name: str | None = None,
    notice: Callable[[str], None] | None = None,
) -> AnalysisOutput:
    """Analyse ``recording`` and write angles.csv, envelope.json and report.html.

    ``out_dir`` must not exist or be empty (it is checked before the analysis starts and
    created once the angles are computed); files are opened exclusively, never replaced.
    """
    say = notice or (lambda msg: print(f"stretchguard: {msg}", file=sys.stderr))
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(out)
    profile = resolve_profile(recording, profile_path=profile_path, exercise=exercise, notice=say)
    leg = resolve_side(recording, side=side)
    for w in profile.warnings:
        say(f"profile: {w}")
    name = source_name or (recording.path.name if recording.path else "<recording>")
    placements = recording.placements
    long_session = recording.n_samples > TRIM_MIN_SAMPLES
    if long_session:
        give_back_memory()  # what reading freed, before the analysis allocates anew
    with _progress(recording.duration_s > PROGRESS_MIN_S, trim=long_session) as update:
        # the pipeline takes the sample arrays over and frees them as it goes
        result = analyse_recording(
            recording,
            progress=update,
            consume=True,
            options=PipelineOptions(keep_orientations=False),
        )
    envelope = check_envelope(
        result.angles,
        profile,
        side=leg,
        markers=recording.meta.markers,
        absent=result.absent,
        uncertain=result.uncertain,
    )
    out.mkdir(parents=True, exist_ok=True)
    # angles.csv is written (Arrow's writer, mostly outside the interpreter lock) while the
    # report is drawn
    writer = ThreadPoolExecutor(max_workers=1)
    angles_done = writer.submit(_write_angles_file, out / "angles.csv", result.angles)

    from analysis.report import ReportContext, build_report_html, summary_text

    context = ReportContext(
        source_name=name,
        started_at=recording.meta.started_at,
        exercise=recording.meta.exercise,
        notes=recording.meta.notes,
        rate_hz=result.rate_hz,
        sensors=placements,
        calibration_lines=tuple(result.calibration.summary_lines()),
        calibration=result.calibration.to_dict(),
        absent=dict(result.absent),
        warnings=tuple(result.warnings),
        version=_package_version(),
    )
    html_text = build_report_html(result.angles, envelope, context)
    angles_done.result()
    writer.shutdown()
    write_new_file(out / "envelope.json", envelope.to_json().encode("utf-8"))
    write_new_file(out / "report.html", html_text.encode("utf-8"))
    return AnalysisOutput(
        folder=out,
        angles=result,
        envelope=envelope,
        summary=summary_text(envelope, source_name=name),
    )


def run(args: argparse.Namespace) -> int:
    """Analyse the input and write the report folder."""
    recording = with_windows(
        load_inputs(args, device_ticks=False),
        stand=getattr(args, "stand", None),
        movements=getattr(args, "movements", None),
    )
    for w in recording.warnings:
        print(f"stretchguard: warning: {w}", file=sys.stderr)
    inputs = list(getattr(args, "inputs", []) or [])
    source = None
    if recording.path is None and inputs:
        source = Path(inputs[0]).name if len(inputs) == 1 else f"{len(inputs)} input files"
    output = analyse_to_folder(
        recording,
        args.out,
        profile_path=args.profile,
        exercise=args.exercise,
        side=args.side,
        source_name=source,
    )
    print(output.summary, file=sys.stdout)
    print(f"stretchguard: wrote {output.folder / 'report.html'}", file=sys.stderr)
    if args.fail_on_violation and output.envelope.verdict == "outside":
        return EXIT_VIOLATION
    return EXIT_OK
