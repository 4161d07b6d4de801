"""Many sessions at once: find them, analyse each in its own task, write a summary.

Every session becomes one :class:`BatchTask`; :func:`run_task` analyses it completely inside
one process (``workers=1``: the pipeline starts no processes of its own, so a pool never nests)
and returns one summary row. The tasks run in a local process pool (``forkserver``/``spawn``
context, never ``fork``), or on a dask.distributed cluster (:func:`run_batch` with
``scheduler``), or in this process (``workers=1``).

Output layout (docs/batch.md)::

    DIR/<session>/angles.csv, envelope.json, report.html   the usual three files
    DIR/<session>/session.json                              where it came from (for history)
    DIR/summary.csv                                         one row per session

A session is written into a hidden ``DIR/.partial-<session>-*`` folder and renamed to
``DIR/<session>`` only when complete, so a finished folder is always whole; a second run
skips finished sessions; no file is ever replaced (a new ``summary-2.csv`` … per run).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import ConfigError, DataError, RecordingFormatError, StretchguardError
from analysis.recording.config_files import parse_json, read_text
from analysis.recording.inputs import MAX_JSON_DEPTH
from analysis.recording.streams import take_streams
from sensors.formats.canonical import write_new_file
from sensors.formats.detect import detect_format
from stretchguard.analysing import analyse, calibration_quality, write_outputs
from stretchguard.inputs import load_recording, load_sensor_map

__all__ = [
    "SESSION_FILE",
    "BatchOptions",
    "BatchTask",
    "find_sessions",
    "finished_task_row",
    "plan_tasks",
    "run_batch",
    "run_task",
    "summary_row",
    "write_summary",
]

SCHEDULER_TIMEOUT_S = 20.0
"""How long to try reaching a dask scheduler before giving up."""
SESSION_FILE = "session.json"
"""Per-session provenance written by ``batch`` next to the three usual files."""
PARTIAL_PREFIX = ".partial-"
DATA_SUFFIXES = (".csv.gz", ".csv", ".zip", ".txt")
TRUTH_SUFFIXES = (".truth.csv", ".truth.csv.gz")
"""The simulator's ground-truth tables beside its recordings (not sessions)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Row = dict[str, Any]


@dataclass(frozen=True)
class FoundSession:
    """One session found under the inputs: a canonical recording, or a folder of exports."""

    name: str
    """Folder name under the output directory (unique, file-system safe)."""
    inputs: tuple[str, ...]
    kind: str
    """``"recording"`` (canonical, with its sidecar) or ``"vendor"`` (exports to merge)."""
    size_bytes: int = 0


@dataclass(frozen=True)
class BatchOptions:
    """Choices applied to every session of a batch (``None``: the session's own)."""

    sensor_map: str | None = None
    sensor_options: tuple[str, ...] = ()
    exercise: str | None = None
    profile_path: str | None = None
    side: str | None = None


@dataclass(frozen=True)
class BatchTask:
    """Everything one worker needs (plain data: it is pickled to the worker)."""

    session: FoundSession
    out_dir: str
    options: BatchOptions = field(default_factory=BatchOptions)
    run_id: str = ""
    """The batch run this task belongs to (written to ``session.json`` as ``batch_run``)."""


# --- finding the sessions --------------------------------------------------------------------


def _stem(path: Path) -> str:
    name = path.name
    for suffix in DATA_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip("._") or "session"
    return cleaned[:120]


def _format_of(path: Path) -> str | None:
    try:
        return detect_format(path)
    except (RecordingFormatError, OSError):
        return None


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and any(f.name.lower().endswith(s) for s in DATA_SUFFIXES)
    )


def _sessions_in_folder(
    folder: Path, label: str, passed_over: list[Path]
) -> Iterator[tuple[str, tuple[Path, ...], str]]:
    """(name, files, kind) of the sessions directly in ``folder`` (not its subfolders)."""
    vendor: list[Path] = []
    for f in _data_files(folder):
        fmt = _format_of(f)
        if fmt is None:
            if not f.name.lower().endswith(TRUTH_SUFFIXES):
                passed_over.append(f)
        elif fmt == "canonical":
            yield (f"{label}__{_stem(f)}" if label else _stem(f)), (f,), "recording"
        else:
            vendor.append(f)
    if vendor:
        yield (label or folder.name), tuple(vendor), "vendor"


def _walk(
    root: Path, passed_over: list[Path], exclude: tuple[Path, ...] = ()
) -> Iterator[tuple[str, tuple[Path, ...], str]]:
    folders = [root, *sorted(p for p in root.rglob("*") if p.is_dir())]
    skip = {e.resolve() for e in exclude}
    for folder in folders:
        if any(part.startswith(".") for part in folder.relative_to(root).parts):
            continue  # hidden folders (e.g. a batch's own partial output)
        resolved = folder.resolve()
        if resolved in skip or any(parent in skip for parent in resolved.parents):
            continue  # the batch's own output folder inside an input folder
        label = "__".join(folder.relative_to(root).parts)
        yield from _sessions_in_folder(folder, label, passed_over)


def find_sessions(
    inputs: Sequence[str | Path],
    *,
    passed_over: list[Path] | None = None,
    exclude: Sequence[str | Path] = (),
) -> list[FoundSession]:
    """The sessions under ``inputs``, in a stable order with unique names.

    A canonical recording (found by content, not name) is one session; the vendor exports
    directly inside one folder are one session (merged; their placements come from the
    sensor map). Folders are searched recursively; files in them in no supported format are
    passed over (appended to ``passed_over``; a simulator's ``*.truth.csv.gz`` silently). A
    file given by name in no supported format, or a path that does not exist, raises
    ``RecordingFormatError``. Folders in ``exclude`` (e.g. the output folder) are not searched.
    """
    excluded = tuple(Path(e) for e in exclude)
    found: list[tuple[str, tuple[Path, ...], str]] = []
    loose: dict[Path, list[Path]] = {}
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found.extend(_walk(p, passed_over if passed_over is not None else [], excluded))
        elif p.is_file():
            fmt = detect_format(p)  # a named file must be readable: its error is the message
            if fmt == "canonical":
                found.append((_stem(p), (p,), "recording"))
            else:
                loose.setdefault(p.parent, []).append(p)
        else:
            raise RecordingFormatError(p, "file or folder not found")
    for parent, files in loose.items():
        found.append((parent.name or "exports", tuple(files), "vendor"))
    return _unique(found)


def _unique(found: Iterable[tuple[str, tuple[Path, ...], str]]) -> list[FoundSession]:
    out: list[FoundSession] = []
    taken: set[str] = set()
    seen_files: set[tuple[Path, ...]] = set()
    for name, files, kind in found:
        key = tuple(f.resolve() for f in files)
        if key in seen_files:
            continue  # the same session reached twice (a file and its folder)
        seen_files.add(key)
        base = _safe(name)
        unique, n = base, 2
        while unique.lower() in taken:
            unique, n = f"{base}-{n}", n + 1
        taken.add(unique.lower())
        size = sum(f.stat().st_size for f in files)
        out.append(FoundSession(unique, tuple(str(f) for f in files), kind, size))
    return out


def plan_tasks(
    sessions: Sequence[FoundSession],
    out_dir: str | Path,
    options: BatchOptions,
    run_id: str = "",
) -> tuple[list[BatchTask], list[FoundSession]]:
    """Split ``sessions`` into tasks still to do and sessions already finished in ``out_dir``."""
    out = Path(out_dir)
    todo, done = [], []
    for s in sessions:
        if (out / s.name / "envelope.json").is_file():
            done.append(s)
        else:
            todo.append(BatchTask(s, str(out), options, run_id))
    return todo, done


# --- one task ----------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, StretchguardError):
        return text
    return f"internal error ({type(exc).__name__}): {text}"


def run_task(task: BatchTask) -> Row:
    """Analyse one session into ``out_dir/<name>``; always returns its summary row.

    Runs entirely in the calling process (the pipeline is told to start no processes). Any
    error becomes the row's ``error``; the partial folder is then removed.
    """
    s = task.session
    out = Path(task.out_dir)
    final = out / s.name
    earlier = finished_task_row(task)
    if earlier is not None:
        return earlier
    notes: list[str] = []
    partial = out / f"{PARTIAL_PREFIX}{s.name}-{uuid.uuid4().hex[:12]}"
    partial.mkdir()  # exclusive; permissions from the umask, like any other output folder
    try:
        _analyse_into(task, partial, notes)
        if final.exists():
            raise StretchguardError(f"{final}: appeared while analysing; left it untouched")
        partial.rename(final)  # atomic: the finished folder appears whole or not at all
    except Exception as exc:  # one session's failure is a row, never the batch's end
        return _error_row(s, _one_line(exc), notes)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return finished_row(s, out, status="analysed", notes=notes)


def finished_task_row(task: BatchTask) -> Row | None:
    """The row of ``task`` if its session folder is already whole, else ``None``.

    A whole folder written by this batch run (an earlier attempt whose worker died after the
    atomic rename, or a cluster's retry) is ``analysed``: it was, in this run, and it is not
    analysed twice. One written by another run is ``already done``.
    """
    out = Path(task.out_dir)
    folder = out / task.session.name
    if not (folder / "envelope.json").is_file():
        return None
    ours = bool(task.run_id) and _read_json(folder / SESSION_FILE).get("batch_run") == task.run_id
    return finished_row(task.session, out, status="analysed" if ours else "already done")


def _analyse_into(task: BatchTask, folder: Path, notes: list[str]) -> None:
    opts = task.options
    mapping = load_sensor_map(opts.sensor_map, opts.sensor_options)
    recording = load_recording(list(task.session.inputs), mapping=mapping, device_ticks=False)
    notes.extend(recording.warnings)
    streams, recording = take_streams(recording)  # the pipeline frees them as it goes
    done = analyse(
        recording,
        streams=streams,
        profile_path=opts.profile_path,
        exercise=opts.exercise,
        side=opts.side,
        source_name=task.session.name,
        notice=notes.append,
        progress=False,
        workers=1,
    )
    write_outputs(done, folder)
    meta = done.recording_meta
    info = {
        "session": task.session.name,
        "inputs": list(task.session.inputs),
        "kind": task.session.kind,
        "started_at": meta.started_at,
        "exercise": meta.exercise,
        "duration_s": round(float(done.angles.angles["t_s"].iloc[-1]), 3)
        if len(done.angles.angles)
        else 0.0,
        "calibration": calibration_quality(done),
        "notes": notes,
        "batch_run": task.run_id,
    }
    write_new_file(folder / SESSION_FILE, json.dumps(info, indent=2).encode("utf-8"))


# --- summary rows ------------------------------------------------------------------------------

BASE_COLUMNS = (
    "session",
    "inputs",
    "status",
    "started_at",
    "exercise",
    "side",
    "verdict",
    "longest_hold_s",
    "engaged_s",
    "marks",
    "mark_labels",
    "calibration",
    "error",
    "notes",
)


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object ``path``, or ``{}`` (missing, unreadable, not an object).

    Read like every input (``config_files.read_text``): a FIFO or a device planted in the
    output folder is never opened (resuming hung on a FIFO named ``session.json``).
    """
    try:
        text = read_text(path, what="document", cap_bytes=64 << 20, error=DataError)
        data = parse_json(text, path, error=DataError, max_depth=MAX_JSON_DEPTH)
    except (OSError, StretchguardError):
        return {}
    return data if isinstance(data, dict) else {}


def summary_row(envelope: Mapping[str, Any], info: Mapping[str, Any]) -> Row:
    """The summary fields of one finished session.

    Read from its ``envelope.json`` and ``session.json`` documents (missing optional fields
    are left empty).
    """
    holds = [h.get("duration_s") or 0.0 for h in envelope.get("holds", []) or []]
    marks = envelope.get("markers", []) or []
    row: Row = {
        "started_at": info.get("started_at") or "",
        "exercise": envelope.get("profile", ""),
        "side": envelope.get("side", ""),
        "verdict": envelope.get("verdict", ""),
        "longest_hold_s": round(max(holds), 1) if holds else 0.0,
        "engaged_s": envelope.get("engaged_s", ""),
        "marks": len(marks),
        "mark_labels": "; ".join(str(m.get("label", "")) for m in marks),
        "calibration": info.get("calibration", ""),
    }
    for rule in envelope.get("rules", []) or []:
        name = rule.get("rule", "?")
        measured = rule.get("status") not in (None, "not_measured", "not measured")
        row[f"episodes_{name}"] = len(rule.get("episodes", []) or []) if measured else ""
    return row


def finished_row(
    s: FoundSession, out_dir: Path, *, status: str = "already done", notes: Sequence[str] = ()
) -> Row:
    """The row of a session whose folder is complete in ``out_dir``."""
    folder = out_dir / s.name
    info = _read_json(folder / SESSION_FILE)
    row = {"session": s.name, "inputs": " ".join(s.inputs), "status": status}
    row |= summary_row(_read_json(folder / "envelope.json"), info)
    row["notes"] = " | ".join(notes or info.get("notes", []) or [])
    return row


def _error_row(s: FoundSession, message: str, notes: Sequence[str] = ()) -> Row:
    return {
        "session": s.name,
        "inputs": " ".join(s.inputs),
        "status": "error",
        "error": message,
        "notes": " | ".join(notes),
    }


def summary_csv(rows: Sequence[Row]) -> bytes:
    """The summary table as CSV bytes: base columns, then ``episodes_<rule>`` per rule seen."""
    extra: list[str] = []
    for row in rows:
        extra.extend(k for k in row if k not in BASE_COLUMNS and k not in extra)
    columns = [*BASE_COLUMNS[:11], *extra, *BASE_COLUMNS[11:]]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    """Spreadsheet-safe text: a cell starting with ``= + - @`` is not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_summary(rows: Sequence[Row], out_dir: str | Path) -> Path:
    """Write ``summary.csv`` (or ``summary-2.csv``, … if taken: nothing is replaced)."""
    out = Path(out_dir)
    data = summary_csv(rows)
    n = 1
    while True:
        path = out / ("summary.csv" if n == 1 else f"summary-{n}.csv")
        try:
            return write_new_file(path, data)
        except FileExistsError:
            n += 1


# --- running the tasks -------------------------------------------------------------------------

Progress = Callable[[Row, FoundSession], None]


def _pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_pool(tasks: Sequence[BatchTask], workers: int, done: Progress) -> list[BatchTask]:
    """Run ``tasks`` in one pool; return those lost when a worker process died."""
    lost: list[BatchTask] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        futures: dict[Future[Row], BatchTask] = {pool.submit(run_task, t): t for t in tasks}
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except BrokenProcessPool:
                lost.append(futures[fut])
                continue
            done(row, futures[fut].session)
    return lost


def _run_local(tasks: Sequence[BatchTask], workers: int, done: Progress) -> None:
    """Run ``tasks`` here (``workers`` ≤ 1) or in a process pool that survives a dead worker.

    A worker that dies (killed for memory, a crash in a C library) breaks the whole pool:
    every unfinished task is lost with it. Those go to a new pool; a task lost twice runs
    alone in a pool of its own, and if it takes that one down too, its row says so.
    """
    if workers <= 1:
        for task in tasks:
            done(run_task(task), task.session)
        return
    strikes: dict[str, int] = {}
    todo = list(tasks)
    while todo:
        lost = _unfinished(_run_pool(todo, workers, done), done)
        todo = []
        for task in lost:
            strikes[task.session.name] = strikes.get(task.session.name, 0) + 1
            if strikes[task.session.name] < 2:
                todo.append(task)
            elif _unfinished(_run_pool([task], 1, done), done):
                done(_error_row(task.session, WORKER_DIED), task.session)


def _unfinished(lost: Sequence[BatchTask], done: Progress) -> list[BatchTask]:
    """Of the tasks ``lost`` with a dead pool, those to run again.

    A worker may die (or be stopped with its broken pool) after its session folder was
    renamed into place but before its row came back: that session is whole and analysed,
    and reported as such rather than analysed again.
    """
    again = []
    for task in lost:
        row = finished_task_row(task)
        if row is None:
            again.append(task)
        else:
            done(row, task.session)
    return again


WORKER_DIED = (
    "the worker process died while analysing this session (out of memory, or a crash); "
    "try it alone with stretchguard analyse"
)


def _run_dask(tasks: Sequence[BatchTask], scheduler: Any, done: Progress) -> None:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise StretchguardError(
            "--scheduler needs dask.distributed: pip install 'stretchguard[cluster]'"
        ) from None
    if isinstance(scheduler, Client):
        client = scheduler
    else:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(
                f"cannot reach the dask scheduler at {scheduler}: {_one_line(exc)}"
            ) from None
    try:
        futures = client.map(run_task, list(tasks), pure=False)
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for fut in dask_completed(futures):
            task = by_key[fut.key]
            try:
                row = fut.result()
            except Exception as exc:  # a lost worker or a task killed by the cluster
                row = _error_row(task.session, f"cluster: {_one_line(exc)}")
            done(row, task.session)
    finally:
        if client is not scheduler:
            client.close()


def run_batch(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    options: BatchOptions | None = None,
    workers: int = 1,
    scheduler: Any = None,
    on_done: Progress | None = None,
    on_plan: Callable[[list[BatchTask], list[FoundSession], list[Path]], None] | None = None,
) -> tuple[list[Row], Path]:
    """Analyse every session under ``inputs`` into ``out_dir``; write the summary.

    Parameters
    ----------
    inputs
        Recordings, folders of recordings, folders of vendor exports (searched recursively).
    out_dir
        Created if missing. Sessions already finished there are skipped.
    options
        Profile, exercise, side and sensor map applied to every session.
    workers
        Local processes (``1``: in this process).
    scheduler
        A dask.distributed scheduler address (``"tcp://host:8786"``) or ``Client``; the
        workers must see ``inputs`` and ``out_dir`` at the same paths (a shared filesystem).
    on_done, on_plan
        Called per finished session (its row) and once with the plan (to do, already done,
        files in folders passed over as no supported format).

    Returns
    -------
    (rows, summary_path)
        One row per session in discovery order; ``row["status"]`` is ``"analysed"``,
        ``"already done"`` or ``"error"`` (then ``row["error"]`` says why).
    """
    out = Path(out_dir)
    passed_over: list[Path] = []
    sessions = find_sessions(inputs, passed_over=passed_over, exclude=[out])
    out.mkdir(parents=True, exist_ok=True)
    todo, finished = plan_tasks(sessions, out, options or BatchOptions(), uuid.uuid4().hex)
    if on_plan is not None:
        on_plan(todo, finished, passed_over)
    rows: dict[str, Row] = {s.name: finished_row(s, out) for s in finished}

    def done(row: Row, session: FoundSession) -> None:
        rows[session.name] = row
        if on_done is not None:
            on_done(row, session)

    if scheduler is not None:
        _run_dask(todo, scheduler, done)
    else:
        _run_local(todo, workers, done)
    ordered = [rows[s.name] for s in sessions]
    return ordered, write_summary(ordered, out)


def task_as_dict(task: BatchTask) -> dict[str, Any]:
    """A task as plain JSON-ready data (for logs)."""
    return asdict(task)
