"""The analyse use case: one recording → joint angles, the envelope verdict and the three files.

Moved out of ``cli/cmd_analyse.py`` so the CLI (``analyse``, ``demo``, ``batch``,
``history``), the benchmarks and notebooks run one path:

* :func:`analyse` — the pipeline and the envelope, in memory (:class:`SessionAnalysis`);
* :func:`write_outputs` — ``angles.csv``, ``envelope.json`` and ``report.html`` into a new
  folder (files created exclusively, never replaced);
* :func:`analyse_to_folder` — both, checking the folder is free before the work starts.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.angles.pipeline import AngleResult, PipelineOptions, analyse_recording
from analysis.envelope.checker import EnvelopeResult, check_envelope
from analysis.envelope.posture import check_posture, posture_doubts
from analysis.envelope.profiles import (
    Profile,
    load_builtin_profile,
    parse_profile,
    profile_for_exercise,
    read_profile_text,
)
from analysis.envelope.unchecked import unworn_leg_reasons
from analysis.errors import ConfigError, OutputExistsError
from analysis.recording.schema import SIDES, T_S, split_placement
from analysis.recording.streams import CalibrationWindows, Recording, SensorStream, SessionMeta
from sensors.formats.canonical import new_temp_beside, publish_new
from stretchguard.memory import give_back_memory
from stretchguard.paths import check_new_output
from stretchguard.text import echo

__all__ = [
    "DEFAULT_EXERCISE",
    "AnalysisOutput",
    "SessionAnalysis",
    "analyse",
    "analyse_to_folder",
    "angles_csv",
    "calibration_quality",
    "check_profile",
    "load_profile",
    "resolve_profile",
    "resolve_side",
    "with_windows",
    "write_angles_csv",
    "write_outputs",
]

DEFAULT_EXERCISE = "standing_hamstring"
PROGRESS_MIN_S = 120.0
"""Recordings longer than this show a progress bar on stderr (``progress=None``)."""

TRIM_MIN_SAMPLES = 4_000_000
"""From this many samples (all sensors; ≈ 2.8 h of 4 sensors at 100 Hz) freed memory is
handed back between stages, keeping a 10-hour session within 1 GB."""

Notice = Callable[[str], None]


def _stderr_notice(msg: str) -> None:
    echo(f"stretchguard: {msg}", err=True)


# --- choices -----------------------------------------------------------------------------


def with_windows(
    recording: Recording,
    *,
    stand: tuple[float, float] | None,
    movements: tuple[float, float] | None,
) -> Recording:
    """The recording with the calibration windows given (seconds, half-open; others kept).

    A window outside the data (by more than 2 s, as a sidecar's) raises ConfigError.
    """
    if stand is None and movements is None:
        return recording
    spans = [(float(s.t_s[0]), float(s.t_s[-1])) for s in recording.streams.values() if len(s)]
    if spans:
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        for option, win in (("--stand", stand), ("--movements", movements)):
            if win is not None and (win[0] < first - 2.0 or win[1] > last + 2.0):
                raise ConfigError(
                    f"{option} {win[0]:g},{win[1]:g}: expected a window inside the data "
                    f"({first:.3f}–{last:.3f} s)"
                )
    old = recording.meta.calibration or CalibrationWindows()
    windows = CalibrationWindows(
        static_s=stand if stand is not None else old.static_s,
        functional_s=movements if movements is not None else old.functional_s,
    )
    return recording.replace(meta=replace(recording.meta, calibration=windows))


def load_profile(source: str | Path, *, base: Profile | None = None) -> Profile:
    """An exercise profile: a built-in name (e.g. ``"standing_hamstring"``) or a TOML file.

    A file without ``extends``/``name`` changes ``base`` (default: the standing stretch).
    """
    path = Path(source)
    if path.suffix.lower() != ".toml" and not path.exists():
        return profile_for_exercise(str(source))
    return _profile_file(path, base=base, notice=None)


def _profile_file(path: Path, *, base: Profile | None, notice: Notice | None) -> Profile:
    """A profile file read under the input policy.

    One naming no exercise changes the standing stretch when there is no ``base`` (said
    through ``notice``).
    """
    text = read_profile_text(path)  # a regular file, capped, UTF-8
    if base is None and "extends" not in text and "name" not in text:
        base = load_builtin_profile(DEFAULT_EXERCISE)
        if notice is not None:
            notice(f"profile {path} names no exercise; changing {DEFAULT_EXERCISE}")
    return parse_profile(text, source=str(path), base=base)


def resolve_profile(
    recording: Recording,
    *,
    profile_path: str | None,
    exercise: str | None,
    notice: Notice,
) -> Profile:
    """The profile to judge with: ``profile_path`` over ``exercise`` over the sidecar."""
    name = exercise or recording.meta.exercise
    base = profile_for_exercise(name) if name else None
    if profile_path is not None:
        return _profile_file(Path(profile_path), base=base, notice=notice)
    if base is not None:
        return base
    notice(
        f"the recording names no exercise; judging it as {DEFAULT_EXERCISE} "
        "(use --exercise NAME to choose)"
    )
    return load_builtin_profile(DEFAULT_EXERCISE)


def resolve_side(recording: Recording, *, side: str | None) -> str:
    """The exercised leg: ``side``, else the sidecar, else the only leg with sensors."""
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


# --- angles.csv --------------------------------------------------------------------------


ANGLES_CSV_CHUNK_ROWS = 1 << 15
"""Rows of ``angles.csv`` formatted at a time (about 1.5 MB of text; a 1-h session is 11)."""

ANGLES_CSV_THREADS = 2
"""Chunks formatted at once: Arrow's CSV writer runs outside the interpreter lock, so two
chunks take two cores. At most twice this many chunks' text is held before it is written."""


def _angles_csv_chunk(angles: pd.DataFrame, names: list[str], rows: range) -> pa.Buffer:
    """The text of ``angles`` rows ``rows`` (no header), as Arrow formats it."""
    part = angles.iloc[rows.start : rows.stop]
    arrays = []
    for col in names:
        values = part[col].to_numpy(dtype=np.float64)
        decimals = 6 if col == T_S else 3
        arrays.append(pa.array(np.round(values, decimals) + 0.0, from_pandas=True))
    sink = pa.BufferOutputStream()
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    pacsv.write_csv(pa.table(arrays, names=names), sink, options)
    return sink.getvalue()


def write_angles_csv(
    angles: pd.DataFrame,
    fh: IO[bytes],
    *,
    chunk_rows: int = ANGLES_CSV_CHUNK_ROWS,
    threads: int = ANGLES_CSV_THREADS,
) -> None:
    """Write ``angles.csv``: ``t_s`` to 1 µs, angles (degrees) to 0.001°, NaN as an empty cell.

    Formatted in row chunks, ``threads`` at a time and written in order, so a 10-hour
    session's text never sits in memory at once; each value's text does not depend on the
    chunking or the threads.
    """
    names = [str(c) for c in angles.columns]
    fh.write((",".join(names) + "\n").encode("utf-8"))
    chunks = [range(a, min(len(angles), a + chunk_rows)) for a in range(0, len(angles), chunk_rows)]
    if threads <= 1 or len(chunks) <= 1:
        for rows in chunks:
            fh.write(_angles_csv_chunk(angles, names, rows))
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[pa.Buffer]] = deque()
        for rows in chunks:
            pending.append(pool.submit(_angles_csv_chunk, angles, names, rows))
            if len(pending) >= 2 * threads:
                fh.write(pending.popleft().result())
        while pending:
            fh.write(pending.popleft().result())


def angles_csv(angles: pd.DataFrame) -> bytes:
    """``angles.csv`` as bytes (see :func:`write_angles_csv`)."""
    buf = io.BytesIO()
    write_angles_csv(angles, buf)
    return buf.getvalue()


def _write_hidden(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """A hidden temporary file beside ``path`` filled by ``write``; removed if that fails.

    Only a finished file gets its name (:func:`publish_new`): a full disk, a file size limit
    or a kill never leaves a cut-off ``angles.csv`` that looks complete.
    """
    try:
        tmp, fd = new_temp_beside(path)
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
        except BaseException:
            with suppress(OSError):  # a folder made read-only keeps it: the first error counts
                tmp.unlink(missing_ok=True)
            raise
    except OutputExistsError:
        raise
    except OSError as exc:  # the error names the file asked for, not the hidden one
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    return tmp


def _write_angles_file(path: Path, angles: pd.DataFrame) -> Path:
    return _write_hidden(path, lambda fh: write_angles_csv(angles, fh))


# --- the work ----------------------------------------------------------------------------


@contextmanager
def _progress(enabled: bool, *, trim: bool) -> Iterator[Callable[[str, float], None]]:
    """A progress callback (a bar on stderr when ``enabled``).

    With ``trim`` it also gives memory freed by the finished stage back to the system when the
    pipeline moves on (worth it on long sessions; on short ones re-faulting the pages costs
    more than it saves).
    """
    last = [""]

    def between_stages(stage: str) -> None:
        if trim and stage != last[0]:
            last[0] = stage
            give_back_memory()

    if not enabled:
        yield lambda stage, _fraction: between_stages(stage)
        return
    from rich.console import Console  # only where a bar is shown (0.04 s to import)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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


@dataclass(frozen=True)
class SessionAnalysis:
    """One analysed session, in memory.

    Attributes
    ----------
    recording_meta
        The recording's metadata (sidecar: start time, exercise, side, marks, notes).
    placements
        The worn sensors.
    angles
        The pipeline's result: ``angles.angles`` is the DataFrame of ``t_s`` (s) and joint
        angles in degrees (signs in docs/conventions.md), plus calibration and gaps.
    envelope
        The verdict per rule, episodes with cues, holds and marks.
    source_name
        How the session is named in the report and the summary.
    """

    recording_meta: SessionMeta
    placements: tuple[str, ...]
    angles: AngleResult
    envelope: EnvelopeResult
    source_name: str

    @property
    def summary(self) -> str:
        """A few plain-text lines: verdict, rules, episodes with cues, holds."""
        from analysis.report.page import summary_text

        text = summary_text(self.envelope, source_name=self.source_name)
        notes = getattr(self.angles, "precision_notes", ())
        return "\n".join([text, *(f"  {n}" for n in notes)]) if notes else text


def analyse(
    recording: Recording,
    *,
    profile_path: str | None = None,
    exercise: str | None = None,
    side: str | None = None,
    source_name: str | None = None,
    notice: Notice | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    streams: dict[str, SensorStream] | None = None,
) -> SessionAnalysis:
    """Estimate the joint angles of ``recording`` and judge them against its exercise profile.

    Parameters
    ----------
    recording
        From :func:`stretchguard.load_recording`; left as it is.
    profile_path, exercise
        A profile TOML file, or a built-in exercise name; default: the sidecar's exercise,
        else ``standing_hamstring``.
    side
        The exercised leg (``"left"``/``"right"``); default: the sidecar, else the only leg
        with sensors.
    source_name
        The name shown in the report (default: the recording's file name).
    notice
        Called with one-line notices (default: printed to stderr).
    progress
        Show a progress bar on stderr (default: for recordings longer than 2 min).
    workers
        Processes for the orientation blocks of a long session (default: 2 from ~1.4 h of
        4 sensors on a machine with 2 cores, else 1). ``1`` never starts a process (use it
        inside a process pool).
    streams
        The sample arrays handed over, for a long session to stay within its memory budget:
        ``streams, recording = analysis.recording.take_streams(recording)`` and pass both.
        The pipeline empties this dict as each sensor reaches its grid, freeing arrays held
        nowhere else. Default: ``recording.streams``, read and left in place.

    Returns
    -------
    SessionAnalysis
    """
    say = notice or _stderr_notice
    # the decisions below read the data: the handed-over streams, held here until the pipeline
    whole = recording if streams is None else recording.replace(streams=streams)
    profile = resolve_profile(whole, profile_path=profile_path, exercise=exercise, notice=say)
    leg = _resolve_leg(whole, side, say)
    for w in profile.warnings:
        say(f"profile: {w}")
    name = source_name or (whole.path.name if whole.path else "<recording>")
    placements = tuple(whole.placements)
    meta = whole.meta
    long_session = whole.n_samples > TRIM_MIN_SAMPLES
    show = whole.duration_s > PROGRESS_MIN_S if progress is None else progress
    del whole
    if long_session:
        give_back_memory()  # what reading freed, before the analysis allocates anew
    with _progress(show, trim=long_session) as update:
        result = analyse_recording(
            recording,
            progress=update,
            streams=streams,
            options=PipelineOptions(keep_orientations=False, workers=workers, exercised_side=leg),
        )
    defaulted = profile_path is None and not (exercise or meta.exercise)
    envelope = _judge_with_posture(result, profile, leg, meta, placements, defaulted, say)
    late = result.calibration.late_stand
    if late is not None:  # a calibration done sitting: said beside the verdict
        envelope = replace(envelope, calibration_stand=late)
    return SessionAnalysis(meta, placements, result, envelope, name)


def _judge(
    result: AngleResult,
    profile: Profile,
    side: str,
    meta: SessionMeta,
    placements: tuple[str, ...],
    extra_doubts: dict[str, dict[str, str]] | None = None,
) -> EnvelopeResult:
    uncertain = {**result.uncertain, **(extra_doubts or {})}  # a wrong posture's words win
    return check_envelope(
        result.angles,
        profile,
        side=side,
        markers=meta.markers,
        absent={**unworn_leg_reasons(placements, side), **result.absent},
        uncertain=uncertain,
        other_readings=result.other_readings,
        rate_mixing=result.rate_mixing,
        timed_doubts=result.timed_doubts,
    )


def _judge_with_posture(
    result: AngleResult,
    profile: Profile,
    side: str,
    meta: SessionMeta,
    placements: tuple[str, ...],
    defaulted: bool,
    say: Notice,
) -> EnvelopeResult:
    """The envelope, after checking the session's posture against the profile's.

    A defaulted profile (no ``--exercise``, ``--profile`` or sidecar exercise) whose posture
    the pelvis contradicts is replaced by the first built-in exercise of the posture seen;
    a chosen one is kept, with every rule it judges marked uncertain (docs/envelope.md,
    "Posture").
    """
    envelope = _judge(result, profile, side, meta, placements)
    check = check_posture(result.angles, profile.name)
    if check is None or check.matches:
        return replace(envelope, posture=check)
    if defaulted:
        chosen = load_builtin_profile(check.suggest[0])
        switched = replace(
            check,
            profile=chosen.name,
            profile_posture=check.seen,
            switched_from=profile.name,
        )
        say(switched.text())
        envelope = _judge(result, chosen, side, meta, placements)
        return replace(envelope, posture=switched)
    say(check.text())
    read = {r.rule: r.column for r in envelope.rules if r.column}
    if envelope.engaged_by:
        read["engaged_by"] = envelope.engaged_by
    envelope = _judge(result, profile, side, meta, placements, posture_doubts(check, read))
    return replace(envelope, posture=check)


def _resolve_leg(recording: Recording, side: str | None, say: Notice) -> str:
    """:func:`resolve_side`, with a notice when the leg is taken from the sensors worn.

    A recording without a side whose sensors are all on one leg is judged on that leg; if
    they were strapped to the resting leg, the notice is what tells the user.
    """
    leg = resolve_side(recording, side=side)
    if not side and recording.meta.side not in SIDES:
        say(
            f"the recording names no exercised leg; judging the {leg} leg, the one with "
            "sensors (use --side left or --side right if the other leg was stretched)"
        )
    return leg


def check_profile(
    analysis: SessionAnalysis, profile: Profile | str | Path, *, side: str | None = None
) -> EnvelopeResult:
    """Judge an analysed session's angles against another profile (no re-analysis).

    ``profile`` is a :class:`analysis.envelope.profiles.Profile`, a built-in name or a TOML file.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    return check_envelope(
        analysis.angles.angles,
        prof,
        side=side or analysis.envelope.side,
        markers=analysis.recording_meta.markers,
        absent=analysis.angles.absent,
        uncertain=analysis.angles.uncertain,
        other_readings=analysis.angles.other_readings,
        rate_mixing=analysis.angles.rate_mixing,
        timed_doubts=analysis.angles.timed_doubts,
    )


def calibration_quality(analysis: SessionAnalysis) -> str:
    """One line on the calibration.

    It says where the windows came from, the stand's stillness and which segments' flexion sign
    is uncertain.
    """
    cal = analysis.angles.calibration
    low = sorted(p for p, s in cal.segments.items() if s.sign_confidence != "high")
    parts = [
        f"windows {cal.source}",
        f"stand gyro RMS {cal.stand_gyro_rms_deg_s:.2f} deg/s",
        "sign uncertain: " + ", ".join(low) if low else "signs sure",
    ]
    return "; ".join(parts)


def _report_html(analysis: SessionAnalysis) -> str:
    from analysis.report.page import ReportContext, build_report_html

    result = analysis.angles
    meta = analysis.recording_meta
    context = ReportContext(
        source_name=analysis.source_name,
        started_at=meta.started_at,
        exercise=meta.exercise,
        notes=meta.notes,
        rate_hz=result.rate_hz,
        sensors=analysis.placements,
        calibration_lines=(*result.calibration.summary_lines(), *result.precision_notes),
        calibration=result.calibration_dict(),
        absent=dict(result.absent),
        warnings=tuple(result.warnings),
        version=_package_version(),
    )
    return build_report_html(result.angles, analysis.envelope, context)


def write_outputs(analysis: SessionAnalysis, out_dir: str | Path) -> Path:
    """Write ``angles.csv``, ``envelope.json`` and ``report.html`` into ``out_dir``.

    The folder is created if needed; each file is created exclusively (an existing file is
    never replaced: ``OutputExistsError``). Returns the folder.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # angles.csv is written (Arrow's writer, mostly outside the interpreter lock) while the
    # report is drawn and envelope.json encoded; each file is written under a hidden name
    # and the three get their names only when all are complete, envelope.json last (what
    # `batch` and `history` take for a finished session): a full disk or an interruption
    # while any of them is written leaves no file under its name (before round 16 a report
    # that failed left angles.csv and envelope.json, a session that looked analysed)
    hidden: list[tuple[Path, Path]] = []
    with ThreadPoolExecutor(max_workers=1) as writer:
        angles_done = writer.submit(_write_angles_file, out / "angles.csv", analysis.angles.angles)
        try:
            html_text = _report_html(analysis)
            envelope_text = analysis.envelope.to_json()  # also while angles.csv is written
            hidden.append((angles_done.result(), out / "angles.csv"))
            for name, text in (("report.html", html_text), ("envelope.json", envelope_text)):
                hidden.append((_write_hidden_text(out / name, text), out / name))
            while hidden:
                publish_new(*hidden[0])  # removes the hidden file, named or not
                hidden.pop(0)
        finally:
            angles_done.add_done_callback(_remove_unpublished)
            for tmp, _final in hidden:
                with suppress(OSError):
                    tmp.unlink(missing_ok=True)
    return out


def _write_hidden_text(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    return _write_hidden(path, lambda fh: fh.write(data))


def _remove_unpublished(done: Future[Path]) -> None:
    """The writer's hidden file, if the run stopped before it was given its name."""
    if not done.cancelled() and done.exception() is None:
        with suppress(OSError):  # a folder made read-only meanwhile: the run's error is told
            done.result().unlink(missing_ok=True)


@dataclass(frozen=True)
class AnalysisOutput:
    """What one analysis produced (files written into ``folder``)."""

    folder: Path
    angles: AngleResult
    envelope: EnvelopeResult
    summary: str


def analyse_to_folder(
    recording: Recording,
    out_dir: str | Path,
    *,
    profile_path: str | None = None,
    exercise: str | None = None,
    side: str | None = None,
    source_name: str | None = None,
    notice: Notice | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    streams: dict[str, SensorStream] | None = None,
) -> AnalysisOutput:
    """Analyse ``recording`` and write the three files (:func:`write_outputs`).

    The analysis is :func:`analyse`, which also takes the handed-over ``streams``.

    ``out_dir`` must not exist or be empty (checked before the analysis starts; created once
    the angles are computed); files are opened exclusively, never replaced.
    """
    out = check_new_output(out_dir, folder=True)
    done = analyse(
        recording,
        profile_path=profile_path,
        exercise=exercise,
        side=side,
        source_name=source_name,
        notice=notice,
        progress=progress,
        workers=workers,
        streams=streams,
    )
    write_outputs(done, out)
    return AnalysisOutput(
        folder=out, angles=done.angles, envelope=done.envelope, summary=done.summary
    )
