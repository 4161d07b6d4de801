"""``stretchguard simulate SCENARIO --out FILE``: a simulated session with its ground truth.

Writes, never overwriting anything:

- ``FILE`` (``NAME.csv`` or ``NAME.csv.gz``): the canonical recording, in the exact bytes
  ``sensors.formats.canonical.write_recording`` produces, generated and written in chunks so a
  10-hour session needs little memory;
- ``NAME.json``: its sidecar (exercise, side, sensors, calibration windows, marks, gaps);
- ``NAME.truth.csv`` (``.csv.gz`` if FILE is gzipped): ``t_s`` on the uniform grid plus every
  true angle column in degrees;
- ``NAME.truth.json``: events (phases, holds, violations, marks, repetitions), each sensor's
  mounting, site, biases and clock, and the options that made the session.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import queue
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.errors import ConfigError, OutputExistsError
from analysis.recording.schema import PLACEMENTS, T_S
from analysis.simulation import (
    DEFAULT_SENSORS,
    ImuErrorModel,
    SessionSimulator,
    SimulationConfig,
    list_scenarios,
    natural_duration_s,
    scenario_summary,
)
from analysis.simulation.imu import ERROR_PRESETS, with_preset
from sensors.formats.canonical import (
    format_samples,
    new_temp_beside,
    publish_new,
    sidecar_path,
    write_new_file,
    write_sidecar,
)

DESCRIPTION = """\
Simulate a stretching session with body-worn IMUs and write it as a canonical recording with
its ground truth. A kinematic body model (pelvis, trunk, head, both legs) follows a scripted
scenario: the session protocol (quiet stand, knee bends, leg swings, trunk bow), then the
exercise. Each worn sensor's accelerometer and gyroscope (optionally magnetometer) signals are
computed from the body's motion, with a realistic, seeded error model: noise, biases and bias
drift, per-sensor clocks, time-stamp jitter, dropped samples and soft-tissue wobble; sensors
are strapped on at random orientations unless --aligned.

Files written next to FILE (nothing is ever overwritten):
  FILE                 canonical recording (NAME.csv or NAME.csv.gz)
  NAME.json            sidecar: exercise, side, sensors, calibration windows, marks, gaps
  NAME.truth.csv[.gz]  t_s + true joint angles in degrees on the uniform grid
  NAME.truth.json      phases, holds, violations, marks; sensor mountings, biases, clocks
"""
EPILOG = """\
examples:
  stretchguard simulate --list
  stretchguard simulate standing_dorsiflexion --out demo.csv.gz --seed 7
  stretchguard simulate seated_slider --out s.csv --sensors pelvis,right_shank,right_foot
  stretchguard simulate standing_correct --out long.csv.gz --duration-s 36000
  stretchguard simulate standing_l --out c.csv --imu-errors commodity
"""

log = logging.getLogger("stretchguard.simulate")

TRUTH_DECIMALS = 3
"""Decimals of the angle columns in ``NAME.truth.csv`` (1 mdeg: far below any IMU error)."""

FAST_GZIP_ABOVE_S = 3600.0
"""Sessions longer than this are gzipped at level 4 instead of 9 (speed over size)."""

_PROGRESS_MIN_S = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``simulate``."""
    parser.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", help="scenario name (see --list)"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--out", metavar="FILE", help="recording to write: NAME.csv or NAME.csv.gz (required)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--rate-hz", type=float, default=100.0, help="sample rate of every sensor (default 100)"
    )
    parser.add_argument(
        "--sensors",
        default=",".join(DEFAULT_SENSORS),
        metavar="LIST",
        help=f"comma-separated placements, or 'all' (default {','.join(DEFAULT_SENSORS)}); "
        f"any of {', '.join(PLACEMENTS)}",
    )
    parser.add_argument(
        "--duration-s",
        type=float,
        default=None,
        metavar="D",
        help="session length, at most 24 h; longer than the scenario repeats the exercise with "
        "10 s rests (default: the scenario's natural length)",
    )
    parser.add_argument(
        "--perfect",
        action="store_true",
        help="ideal sensors: no noise, bias, clock error, jitter, dropouts or soft-tissue wobble",
    )
    parser.add_argument(
        "--imu-errors",
        choices=ERROR_PRESETS,
        default=None,
        metavar="PRESET",
        help="add a sensor error preset on top of the default errors; commodity: the offsets "
        "and sensitivity errors of commodity IMU datasheets, 1 sigma per axis (gyro offset "
        "3 deg/s, accelerometer offset 40 mg, scale 1 %%, cross-axis 1 %%; docs/simulator.md)",
    )
    parser.add_argument(
        "--aligned",
        action="store_true",
        help="sensor axes aligned with the segment axes (default: random mounting orientations)",
    )
    parser.add_argument("--with-mag", action="store_true", help="add magnetometer columns")
    parser.add_argument("--chunk-s", type=float, default=60.0, help=argparse.SUPPRESS)


def parse_sensors(text: str) -> tuple[str, ...]:
    """``"pelvis, right_thigh"`` → placements; ``"all"`` → every placement."""
    if text.strip().lower() == "all":
        return tuple(PLACEMENTS)
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    if not names:
        raise ConfigError("--sensors: expected a comma-separated list of placements")
    return names


def output_paths(out: str | Path) -> dict[str, Path]:
    """The four files of a simulated session, keyed ``recording/sidecar/truth_csv/truth_json``."""
    p = Path(out)
    name = p.name
    if name.endswith(".csv.gz"):
        stem, gz = name[: -len(".csv.gz")], True
    elif name.endswith(".csv"):
        stem, gz = name[: -len(".csv")], False
    else:
        raise ConfigError(f"--out {p}: expected a file name ending in .csv or .csv.gz")
    if not stem:
        raise ConfigError(f"--out {p}: the file name needs a stem before .csv")
    return {
        "recording": p,
        "sidecar": sidecar_path(p),
        "truth_csv": p.with_name(stem + ".truth.csv" + (".gz" if gz else "")),
        "truth_json": p.with_name(stem + ".truth.json"),
    }


def format_truth(truth: pd.DataFrame, *, header: bool) -> bytes:
    """CSV bytes of truth rows: ``t_s`` to 1 µs, angles to ``TRUTH_DECIMALS`` decimals."""
    arrays = []
    for col in truth.columns:
        decimals = 6 if col == T_S else TRUTH_DECIMALS
        arrays.append(pa.array(np.round(truth[col].to_numpy(dtype=np.float64), decimals) + 0.0))
    table = pa.Table.from_arrays(arrays, names=list(truth.columns))
    buf = io.BytesIO()
    if header:
        buf.write((",".join(truth.columns) + "\n").encode())
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return buf.getvalue()


class _GzipStream:
    """Streaming gzip writer; at level 9 its output equals ``gzip.compress(data, 9, mtime=0)``.

    ``gzip.compress`` with ``mtime=0`` is zlib's own gzip wrapper (``wbits=31``); streaming the
    same deflate state chunk by chunk gives the same bytes as compressing all data at once.
    """

    def __init__(self, raw: IO[bytes], level: int) -> None:
        self._raw = raw
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> None:
        self._raw.write(self._z.compress(data))

    def close(self) -> None:
        self._raw.write(self._z.flush())


@contextlib.contextmanager
def _partial(final: Path, *, level: int) -> Iterator[tuple[Path, IO[bytes] | _GzipStream]]:
    """A new hidden temporary file beside ``final``, with a random name.

    It is created exclusively (never through a symlink); a gzip stream if ``final`` ends in .gz.
    """
    tmp, fd = new_temp_beside(final)
    raw = os.fdopen(fd, "wb")
    try:
        if final.name.endswith(".gz"):
            gz = _GzipStream(raw, level)
            yield tmp, gz
            gz.close()
        else:
            yield tmp, raw
    finally:
        raw.close()


def _publish(tmp: Path, final: Path) -> None:
    """Move ``tmp`` to ``final`` without ever replacing an existing file (see publish_new)."""
    publish_new(tmp, final)


class _Writer:
    """Writes (and compresses) chunks on a background thread while the next one is generated.

    zlib releases the GIL, so compression overlaps with generation on a second core. At most
    two chunks wait in the queue (bounded memory).
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, bytes] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="simulate-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    item[0].write(item[1])
                except BaseException as exc:  # re-raised in the main thread
                    self._error = exc

    def write(self, stream: Any, data: bytes) -> None:
        """Queue ``data`` for ``stream``; raises an earlier write error."""
        if self._error is not None:
            raise self._error
        self._queue.put((stream, data))

    def close(self) -> None:
        """Wait until everything queued is written; raises a write error."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def write_session(
    sim: SessionSimulator,
    out: str | Path,
    *,
    chunk_s: float = 60.0,
    show_progress: bool = False,
    gzip_level: int | None = None,
) -> dict[str, Path]:
    """Generate ``sim`` in chunks and write its four files; return their paths.

    ``gzip_level`` None means 9 (the bytes of ``write_recording``) for sessions up to
    ``FAST_GZIP_ABOVE_S`` and 4 above (about 7× faster, 9 % larger; same content). Refuses
    (OutputExistsError) if any of the files exists; on failure, removes what it wrote.
    """
    level = (
        gzip_level if gzip_level is not None else (9 if sim.duration_s <= FAST_GZIP_ABOVE_S else 4)
    )
    paths = output_paths(out)
    for p in paths.values():
        if p.exists():
            raise OutputExistsError(p)
    paths["recording"].parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    temps: list[Path] = []
    try:
        with contextlib.ExitStack() as stack:
            rec_tmp, rec = stack.enter_context(_partial(paths["recording"], level=level))
            temps.append(rec_tmp)
            tru_tmp, tru = stack.enter_context(_partial(paths["truth_csv"], level=level))
            temps.append(tru_tmp)
            writer = _Writer()
            progress = _progress(sim.duration_s) if show_progress else None
            task = None
            if progress is not None:
                stack.enter_context(progress)
                task = progress.add_task("simulating", total=sim.duration_s)
            first = True
            try:
                for chunk in sim.chunks(chunk_s=chunk_s):
                    data = format_samples(chunk.samples)
                    writer.write(rec, data if first else data[data.index(b"\n") + 1 :])
                    writer.write(tru, format_truth(chunk.truth, header=first))
                    first = False
                    if progress is not None and task is not None:
                        progress.update(task, completed=chunk.end_s)
            finally:
                writer.close()
        # the recording gets its name last: a kill never leaves it without its sidecar (read
        # without exercise, marks and gaps) or its truth; every file is whole or absent
        truth_text = json.dumps(sim.truth_document(), indent=2, ensure_ascii=False) + "\n"
        written.append(write_new_file(paths["truth_json"], truth_text.encode("utf-8")))
        written.append(write_sidecar(paths["recording"], sim.meta))
        for key, tmp in (("truth_csv", tru_tmp), ("recording", rec_tmp)):
            _publish(tmp, paths[key])
            written.append(paths[key])
        temps.clear()
    except BaseException:
        for p in temps + written:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        raise
    return paths


def _progress(total_s: float):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal or total_s < _PROGRESS_MIN_S:
        return None
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} / {task.total:,.0f} s of session"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def list_lines() -> list[str]:
    """One line per scenario: name, natural length and what it shows."""
    return [
        f"{name:<26} {natural_duration_s(name):6.1f} s  {scenario_summary(name)}"
        for name in list_scenarios()
    ]


def _errors(args: argparse.Namespace) -> ImuErrorModel:
    """The error model of ``--perfect`` or the defaults, with ``--imu-errors``'s preset on top."""
    preset = getattr(args, "imu_errors", None)
    if preset is not None and args.perfect:
        raise ConfigError("--imu-errors adds sensor errors; it cannot go with --perfect")
    errors = ImuErrorModel.perfect() if args.perfect else ImuErrorModel()
    return errors if preset is None else with_preset(errors, preset)


def run(args: argparse.Namespace) -> int:
    """List scenarios or simulate one to files."""
    if args.list:
        print("\n".join(list_lines()))
        return 0
    if not args.scenario or not args.out:
        print(
            "stretchguard simulate: error: give a SCENARIO and --out FILE (or --list)",
            file=sys.stderr,
        )
        return 2
    config = SimulationConfig(
        rate_hz=args.rate_hz,
        sensors=parse_sensors(args.sensors),
        seed=args.seed,
        errors=_errors(args),
        mounting="aligned" if args.aligned else "random",
        with_mag=args.with_mag,
        duration_s=args.duration_s,
    )
    paths = output_paths(args.out)  # validate the name before any work
    sim = SessionSimulator(args.scenario, config=config)
    show = sys.stderr.isatty()
    log.info(
        "simulating %s: %.1f s, %d sensors", args.scenario, sim.duration_s, len(config.sensors)
    )
    paths = write_session(sim, args.out, chunk_s=args.chunk_s, show_progress=show)
    n_gaps = len(sim.meta.gaps)
    print(
        f"wrote {paths['recording']} ({sim.duration_s:.1f} s, {len(config.sensors)} sensors at "
        f"{config.rate_hz:g} Hz, {n_gaps} dropout gap(s)), {paths['sidecar'].name}, "
        f"{paths['truth_csv'].name}, {paths['truth_json'].name}"
    )
    return 0
