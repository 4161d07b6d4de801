"""Speed of ``stretchguard analyse``: end to end against ``pandas.read_csv``, per stage, hot spots.

    .venv/bin/python bench/speed.py [--runs 3] [--sessions "1.7 min,10 min,1 h,3 h,10 h"]
                                    [--stage-session "1 h"] [--no-profile]

1. **End to end**: ``stretchguard analyse FILE.csv --out DIR`` as a separate process under
   ``/usr/bin/time -v`` (wall, CPU, peak RSS) on the cached seeded sessions of
   ``bench/_sessions.py``; the baseline is a process that imports pandas and runs
   ``pandas.read_csv(FILE.csv)`` (default C engine) on the same file. Growth with length:
   least-squares line and log-log exponent.
2. **Per stage** (in process, in the CLI's order): read, the pipeline's own stages
   (delimited by its progress reports: resampling and biases, orientation, calibration,
   angles), envelope, report (of which plot), writing outputs; the sum is checked against
   one ``load_recording`` + ``analyse_to_folder`` call.
3. **Hot spots**: cProfile of ``analyse_to_folder`` on the same session, top functions by
   self time and project functions by cumulative time (file:function, share of the total).

Results go to ``bench/out/speed.json`` (rendered into docs/benchmarks.md by
``bench/run_all.py``). Output folders are created fresh under ``bench/out/runs/`` and removed
after each run; nothing outside ``bench/out/`` is written.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _measure import machine, run_timed, summarise_runs, time_call, write_json
from _sessions import (
    OUT_DIR,
    ROOT,
    SESSIONS,
    SessionSpec,
    ensure_session,
    session,
    stretchguard_exe,
)

Log = Callable[[str], None]
RUNS_DIR = OUT_DIR / "runs"
RESULT = OUT_DIR / "speed.json"
SAMPLES_PER_S = 4 * 100.0
"""Samples per second of session in the benchmark recordings (4 sensors at 100 Hz)."""

TARGETS = {
    "e2e_1h_wall_s": 2.0,
    "e2e_1h_samples_per_s": 700_000.0,
    "e2e_1h_over_pandas": 3.0,
    "e2e_10h_peak_rss_mb": 1000.0,
}


def _fresh_dir(name: str) -> Path:
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    path = RUNS_DIR / f"{name}-{time.time_ns()}"
    if path.exists():
        raise FileExistsError(path)
    return path


def _rows(csv: Path) -> int:
    with csv.open("rb") as fh:
        return sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b"")) - 1


# --- 1. end to end --------------------------------------------------------------------------


def analyse_process(spec: SessionSpec, runs: int) -> dict[str, Any]:
    """``stretchguard analyse`` on ``spec`` as a whole process, ``runs`` times."""
    csv = ensure_session(spec)
    exe = stretchguard_exe()
    out = []
    for _ in range(runs):
        folder = _fresh_dir("analyse")
        try:
            out.append(run_timed([str(exe), "analyse", str(csv), "--out", str(folder)]))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return summarise_runs(out)


PANDAS_SNIPPET = "import sys, pandas; pandas.read_csv(sys.argv[1])"


def pandas_process(spec: SessionSpec, runs: int) -> dict[str, Any]:
    """A process that imports pandas and reads ``spec``'s CSV (default C engine)."""
    csv = ensure_session(spec)
    out = [run_timed([sys.executable, "-c", PANDAS_SNIPPET, str(csv)]) for _ in range(runs)]
    return summarise_runs(out)


def pandas_in_process(spec: SessionSpec, runs: int) -> float:
    """Median seconds of ``pandas.read_csv`` alone (pandas already imported)."""
    import pandas as pd

    csv = ensure_session(spec)
    return statistics.median(time_call(lambda: pd.read_csv(csv))[0] for _ in range(runs))


def startup_process(runs: int) -> dict[str, Any]:
    """Interpreter start plus importing everything ``analyse`` imports (no work)."""
    cmd = [sys.executable, "-c", "import cli.main, cli.cmd_analyse, analysis.report.figures"]
    # cwd outside the checkout: `python -c` puts the cwd first on sys.path
    return summarise_runs([run_timed(cmd, cwd=OUT_DIR) for _ in range(runs)])


def import_times(top: int = 12) -> list[dict[str, Any]]:
    """``python -X importtime`` of what ``analyse`` imports: the heaviest top-level modules."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import cli.main, cli.cmd_analyse"],
        cwd=OUT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if not cum.isdigit():
            continue
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((int(cum), name.strip(), depth))
    total = max(r[0] for r in rows)
    first_level = {}
    for cum, name, _depth in rows:
        own = name.split(".")[0] in ("analysis", "sensors", "cli")
        key = name if own else name.split(".")[0]
        if key in ("cli", "cli.main", "cli.cmd_analyse", "stretchguard", "analysis", "sensors"):
            continue  # totals, not culprits
        first_level[key] = max(first_level.get(key, 0), cum)
    ranked = sorted(first_level.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return [
        {"module": m, "cumulative_s": us / 1e6, "share_of_import": us / total} for m, us in ranked
    ] + [
        {
            "module": "(everything analyse imports)",
            "cumulative_s": total / 1e6,
            "share_of_import": 1.0,
        }
    ]


def growth(lengths_h: list[float], values: list[float]) -> dict[str, Any]:
    """Least-squares line ``a + b·hours``, marginal slopes between neighbours, log-log exponent.

    Linear growth shows as marginal slopes (Δvalue/Δhours between consecutive sessions) that
    agree with the fitted per-hour slope; the log-log exponent of the raw values is below 1
    whenever a fixed part (start-up) is present, so it is reported but not used as the test.
    """
    x, y = np.asarray(lengths_h), np.asarray(values)
    b, a = np.polyfit(x, y, 1)
    fit = a + b * x
    marginal = np.diff(y) / np.diff(x)
    return {
        "intercept": float(a),
        "per_hour": float(b),
        "max_rel_residual": float(np.max(np.abs(y - fit) / y)),
        "marginal_per_hour": [float(m) for m in marginal],
        "max_marginal_deviation": float(np.max(np.abs(marginal - b) / abs(b))),
        "loglog_exponent": float(np.polyfit(np.log(x), np.log(y), 1)[0]),
    }


def end_to_end(specs: list[SessionSpec], runs: int, log: Log) -> dict[str, Any]:
    """Item 1: every session end to end, with the pandas baseline and the growth fits."""
    rows = []
    for spec in specs:
        csv = ensure_session(spec, log=log)
        log(f"end to end: {spec.label} ({csv.stat().st_size / 1e6:.0f} MB)")
        analyse = analyse_process(spec, runs)
        pandas_proc = pandas_process(spec, runs)
        pandas_read = pandas_in_process(spec, runs)
        n = _rows(csv)
        wall = analyse["wall_s"]["median"]
        rows.append(
            {
                "label": spec.label,
                "length_s": spec.length_s,
                "csv": str(csv.relative_to(ROOT)),
                "csv_mb": csv.stat().st_size / 1e6,
                "rows": n,
                "analyse": analyse,
                "pandas_process": pandas_proc,
                "pandas_read_s": pandas_read,
                "samples_per_s": n / wall,
                "ratio_vs_pandas_process": wall / pandas_proc["wall_s"]["median"],
                "ratio_vs_pandas_read": wall / pandas_read,
            }
        )
        log(
            f"  analyse {wall:.2f} s (cpu {analyse['cpu_s']['median']:.2f} s, "
            f"{analyse['peak_rss_mb']['median']:.0f} MB); pandas process "
            f"{pandas_proc['wall_s']['median']:.2f} s, read_csv {pandas_read:.2f} s"
        )
    fit_rows = [r for r in rows if r["length_s"] >= 600.0]
    fits = {}
    if len(fit_rows) >= 2:
        hours = [r["length_s"] / 3600.0 for r in fit_rows]
        for key, get in (
            ("wall_s", lambda r: r["analyse"]["wall_s"]["median"]),
            ("cpu_s", lambda r: r["analyse"]["cpu_s"]["median"]),
            ("peak_rss_mb", lambda r: r["analyse"]["peak_rss_mb"]["median"]),
            ("pandas_wall_s", lambda r: r["pandas_process"]["wall_s"]["median"]),
        ):
            fits[key] = growth(hours, [get(r) for r in fit_rows])
    return {
        "sessions": rows,
        "growth": fits,
        "startup": startup_process(runs),
        "import_times": import_times(),
    }


# --- 2. per stage ---------------------------------------------------------------------------


def stage_times(spec: SessionSpec) -> tuple[dict[str, float], float]:
    """One pass of the CLI's work, timed per stage; returns (stage seconds, total seconds).

    Inside ``analyse_recording`` the stages are delimited by its own progress callback
    (the stage names it reports), so the split follows the pipeline as it is, whatever it
    does inside; reading, the envelope, the report and writing are timed around the public
    calls ``stretchguard analyse`` makes.
    """
    from analysis.angles.pipeline import analyse_recording
    from analysis.envelope.checker import check_envelope
    from analysis.report.figures import panel_svgs
    from analysis.report.page import ReportContext, build_report_html
    from stretchguard.analysing import angles_csv, resolve_profile, resolve_side
    from stretchguard.inputs import load_recording

    csv = ensure_session(spec)
    t: dict[str, float] = {}
    t["read (load_recording)"], rec = time_call(lambda: load_recording(csv))
    marks: list[tuple[str, float]] = []

    def progress(stage: str, _fraction: float) -> None:
        name = stage.split(" ", 1)[0]  # "orientation pelvis" → "orientation"
        if not marks or marks[-1][0] != name:
            marks.append((name, time.perf_counter()))

    t0 = time.perf_counter()
    result = analyse_recording(rec, progress=progress)
    t_end = time.perf_counter()
    bounds = [*marks, ("end", t_end)]
    if not marks or marks[0][1] - t0 > 1e-3:
        t["pipeline before its first progress report"] = (marks[0][1] if marks else t_end) - t0
    for (name, start), (_, stop) in itertools.pairwise(bounds):
        if name != "done":
            t[f"pipeline: {name}"] = t.get(f"pipeline: {name}", 0.0) + stop - start
    angles = result.angles

    def envelope():
        profile = resolve_profile(rec, profile_path=None, exercise=None, notice=lambda _m: None)
        leg = resolve_side(rec, side=None)
        return check_envelope(
            angles, profile, side=leg, markers=rec.meta.markers, absent=result.absent
        )

    t["envelope (check_envelope)"], env = time_call(envelope)
    context = ReportContext(
        source_name=csv.name,
        started_at=rec.meta.started_at,
        exercise=rec.meta.exercise,
        notes=rec.meta.notes,
        rate_hz=result.rate_hz,
        sensors=rec.placements,
        calibration_lines=tuple(result.calibration.summary_lines()),
        calibration=result.calibration.to_dict(),
        absent=dict(result.absent),
        warnings=tuple(result.warnings),
        version="",
    )
    t["report (build_report_html: plot + HTML)"], html = time_call(
        lambda: build_report_html(angles, env, context)
    )
    plot_s, _ = time_call(lambda: panel_svgs(angles, env))

    def write() -> None:
        folder = _fresh_dir("stages")
        try:
            folder.mkdir(parents=True)
            (folder / "angles.csv").write_bytes(angles_csv(angles))
            (folder / "envelope.json").write_bytes(env.to_json().encode("utf-8"))
            (folder / "report.html").write_bytes(html.encode("utf-8"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    t["writing outputs (angles.csv, envelope.json, report.html)"], _ = time_call(write)
    total = sum(t.values())
    t["  of the report: plot (panel_svgs)"] = plot_s
    return t, total


def whole_call(spec: SessionSpec) -> float:
    """Seconds of one in-process ``analyse_to_folder`` (read included)."""
    from stretchguard.analysing import analyse_to_folder
    from stretchguard.inputs import load_recording

    csv = ensure_session(spec)
    folder = _fresh_dir("whole")
    try:
        secs, _ = time_call(
            lambda: analyse_to_folder(load_recording(csv), folder, notice=lambda _m: None)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return secs


def per_stage(spec: SessionSpec, runs: int, log: Log) -> dict[str, Any]:
    """Item 2: median per-stage seconds over ``runs`` passes, and the whole call to check."""
    passes = []
    totals = []
    for i in range(runs):
        log(f"stages on {spec.label}: pass {i + 1}/{runs}")
        t, total = stage_times(spec)
        passes.append(t)
        totals.append(total)
    whole = [whole_call(spec) for _ in range(runs)]
    med = {k: statistics.median(p[k] for p in passes) for k in passes[0]}
    return {
        "session": spec.label,
        "stages_s": med,
        "sum_s": statistics.median(totals),
        "analyse_to_folder_s": statistics.median(whole),
        "analyse_to_folder_runs_s": whole,
    }


# --- 3. hot spots ---------------------------------------------------------------------------


def _where(key: tuple[str, int, str]) -> str:
    import analysis

    file, line, func = key
    path = Path(file)
    code_root = Path(analysis.__file__).resolve().parents[1]  # a snapshot or the checkout
    parts = path.parts
    if path.is_relative_to(code_root):
        file_s = str(path.resolve().relative_to(code_root))
    elif path.is_relative_to(ROOT):
        file_s = str(path.resolve().relative_to(ROOT))
    elif "site-packages" in parts:
        file_s = "/".join(parts[parts.index("site-packages") + 1 :])
    else:
        file_s = file
    return f"{file_s}:{line}:{func}" if line else f"{file_s}:{func}"


def hot_spots(spec: SessionSpec, *, top: int = 20) -> dict[str, Any]:
    """Item 3: cProfile of one in-process analysis (load + analyse_to_folder)."""
    from stretchguard.analysing import analyse_to_folder
    from stretchguard.inputs import load_recording

    csv = ensure_session(spec)
    folder = _fresh_dir("profile")
    prof = cProfile.Profile()
    try:
        t0 = time.perf_counter()
        prof.enable()
        analyse_to_folder(load_recording(csv), folder, notice=lambda _m: None)
        prof.disable()
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    stats = pstats.Stats(prof, stream=io.StringIO())
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    by_self = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    own = [
        kv
        for kv in raw.items()
        if any(f"/{pkg}/" in kv[0][0] for pkg in ("analysis", "sensors", "cli"))
        and ".venv" not in kv[0][0]
        and "/bench/speed.py" not in kv[0][0]
    ]
    by_cum = sorted(own, key=lambda kv: kv[1][3], reverse=True)[:top]
    return {
        "session": spec.label,
        "profiled_wall_s": wall,
        "total_self_s": total,
        "self": [
            {"where": _where(k), "self_s": v[2], "share": v[2] / total, "calls": v[1]}
            for k, v in by_self
        ],
        "cumulative_project": [
            {"where": _where(k), "cum_s": v[3], "share": v[3] / total, "calls": v[1]}
            for k, v in by_cum
        ],
    }


def pyinstrument_text(spec: SessionSpec) -> str | None:
    """A pyinstrument call tree of the same analysis (None when pyinstrument is absent)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    from stretchguard.analysing import analyse_to_folder
    from stretchguard.inputs import load_recording

    csv = ensure_session(spec)
    folder = _fresh_dir("pyinstrument")
    profiler = Profiler(interval=0.001)
    try:
        profiler.start()
        analyse_to_folder(load_recording(csv), folder, notice=lambda _m: None)
        profiler.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return profiler.output_text(unicode=True, color=False, show_all=False)


def main(argv: list[str] | None = None) -> int:
    """Run the speed benchmark; write ``bench/out/speed.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per measurement")
    parser.add_argument(
        "--sessions",
        default=",".join(s.label for s in SESSIONS),
        help="comma-separated session labels for the end-to-end runs",
    )
    parser.add_argument("--stage-session", default="1 h", help="session of the per-stage run")
    parser.add_argument("--no-profile", action="store_true", help="skip the profilers")
    parser.add_argument("--out", type=Path, default=RESULT, help="result JSON")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    specs = [session(s.strip()) for s in args.sessions.split(",") if s.strip()]
    result: dict[str, Any] = {"machine": machine(), "runs": args.runs, "targets": TARGETS}
    result["end_to_end"] = end_to_end(specs, args.runs, log)
    write_json(args.out, result)
    stage_spec = session(args.stage_session)
    result["per_stage"] = per_stage(stage_spec, args.runs, log)
    write_json(args.out, result)
    if not args.no_profile:
        log(f"profiling {stage_spec.label}")
        result["hot_spots"] = hot_spots(stage_spec)
        text = pyinstrument_text(stage_spec)
        if text is not None:
            tree = OUT_DIR / "pyinstrument_1h.txt"
            tree.write_text(text, encoding="utf-8")
            result["pyinstrument_tree"] = str(tree.relative_to(ROOT))
    result["finished"] = time.strftime("%Y-%m-%d %H:%M %Z")
    write_json(args.out, result)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
