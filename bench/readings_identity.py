"""Show that the lazy other readings change no output, and what they save.

    .venv/bin/python bench/readings_identity.py --people 60 --sets default,full,pair

Every session of the population bench's list (``bench/population.py``'s people and sets) and
the demo session is analysed twice in this process, as ``stretchguard analyse`` does
(``stretchguard.analysing.analyse``): once as shipped, the other readings of a doubted segment
computed only when an uncertain rule has an episode to confirm and only on the chain its
columns need (``analysis.angles.pipeline.lazy_readings``), once with every segment's readings
computed at once over every sensor (:func:`eager_readings`, the eager way). Compared
byte for byte: ``angles.csv``, ``envelope.json`` and the population bench's record of the
session (RMSE, uncertain angles, sign decisions, envelope verdicts, as JSON). Prints each
difference, the process CPU time of both ways and exits 1 if anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.angles import chain, pipeline
from analysis.angles.calibration import CalibrationResult
from analysis.simulation.population import generate_person, generate_session
from bench.population import (
    DEFAULT_SETS,
    LENGTHS,
    angle_rmse,
    envelope_verdicts,
    sign_decisions,
    tasks,
)
from stretchguard.analysing import analyse, angles_csv

LAZY = pipeline.lazy_readings
FloatArray = pipeline.FloatArray


def eager_readings(
    t_s: FloatArray,
    q_E_S: Mapping[str, FloatArray],
    calibration: CalibrationResult,
    **steps: Any,
) -> dict[str, tuple[dict[str, FloatArray], ...]]:
    """Per segment with other discrete readings, the angles that depend on it under each.

    Each reading is the calibration with that segment's ``q_S_B`` exchanged for one of its
    ``other_frames`` (``SegmentCalibration``) and its dependents' for their frames under it
    (``dependent_frames``), every other step as for the angles themselves
    (:func:`segment_orientations` with ``steps``, on a copy of ``q_E_S``, which is left
    whole). Only the columns :func:`reading_columns` names are kept; none without such a
    segment. Every segment at once over every sensor: the reference
    ``pipeline.lazy_readings`` must equal.
    """
    out: dict[str, tuple[dict[str, FloatArray], ...]] = {}
    for p, seg in calibration.segments.items():
        columns = pipeline.reading_columns(calibration, p)
        found = []
        for k in range(len(seg.other_frames)):
            cal = pipeline._swapped(calibration, p, k)
            ja = chain.isb_angles(pipeline.segment_orientations(t_s, dict(q_E_S), cal, **steps))
            found.append({c: ja.columns[c] for c in columns if c in ja.columns})
        if found:
            out[p] = tuple(found)
    return out


@contextmanager
def eager() -> Iterator[None]:
    """Every segment's other readings computed at once, over every sensor."""
    pipeline.lazy_readings = eager_readings  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline.lazy_readings = LAZY


def _outputs(make: Callable[[], Any], ses: Any | None) -> tuple[dict[str, bytes], float]:
    """The session's outputs as bytes and the CPU seconds of the analysis."""
    t0 = time.process_time()
    a = make()
    cpu = time.process_time() - t0
    out = {
        "angles.csv": angles_csv(a.angles.angles),
        "envelope.json": a.envelope.to_json().encode(),
    }
    if ses is not None:
        record = {
            "rmse_deg": angle_rmse(ses, a.angles),
            "uncertain_angles": sorted(a.angles.uncertain),
            "signs": sign_decisions(ses, a.angles),
            "envelope": envelope_verdicts(ses, a.angles),
        }
        out["population record"] = json.dumps(record, sort_keys=True, default=str).encode()
    return out, cpu


def compare(name: str, make: Callable[[], Any], ses: Any | None) -> tuple[list[str], float, float]:
    """Differences between the two ways on one session, and their CPU seconds."""
    with eager():
        before, cpu_eager = _outputs(make, ses)
    after, cpu_lazy = _outputs(make, ses)
    diff = [f"{name}: {k} differs" for k in before if before[k] != after[k]]
    return diff, cpu_eager, cpu_lazy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=60)
    ap.add_argument("--first-person", type=int, default=0)
    ap.add_argument("--sets", default=",".join(DEFAULT_SETS))
    ap.add_argument("--no-demo", action="store_true")
    args = ap.parse_args(argv)
    todo = tasks(args.people, 0, args.first_person, sets=args.sets.split(","))
    diffs: list[str] = []
    total = [0.0, 0.0]
    with_readings = 0
    for person_seed, seed, length, sensors in todo:
        person = generate_person(person_seed)
        ses = generate_session(person, seed, LENGTHS[length], sensors)
        name = f"{person_seed} {length} {sensors}"
        d, ce, cl = compare(name, lambda s=ses: analyse(s.recording(), workers=1, notice=str), ses)
        diffs += d
        total[0] += ce
        total[1] += cl
        if ce - cl > 0.01:
            with_readings += 1
        print(f"{name}: eager {ce:.2f} s, lazy {cl:.2f} s{' DIFFERS' if d else ''}", flush=True)
    if not args.no_demo:
        from cli.common import DEMO_SESSION, fixture_path
        from sensors.formats.canonical import read_recording

        path = fixture_path(DEMO_SESSION)
        d, ce, cl = compare("demo", lambda: analyse(read_recording(path), notice=str), None)
        diffs += d
        print(f"demo: eager {ce:.2f} s, lazy {cl:.2f} s{' DIFFERS' if d else ''}")
    print(
        f"{len(todo)} sessions: CPU eager {total[0]:.1f} s, lazy {total[1]:.1f} s "
        f"(saved {total[0] - total[1]:.1f} s; {with_readings} sessions > 0.01 s faster)"
    )
    print("\n".join(diffs) if diffs else "identical: angles.csv, envelope.json, records")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
