"""Run every speed benchmark and write docs/benchmarks.md.

    .venv/bin/pip install -e '.[bench,opensim]'     # peers; OpenSense is optional
    .venv/bin/python bench/run_all.py                # about 30–40 min on 2 cores
    .venv/bin/python bench/run_all.py --render-only  # rewrite the page from bench/out/*.json
    .venv/bin/python bench/run_all.py --commit HEAD  # measure a committed snapshot
    .venv/bin/python bench/run_all.py --render-only --baseline bench/out/baseline-REV

Runs ``bench/speed.py``, ``bench/peers.py``, ``bench/live_path.py`` and
``bench/live_web_latency.py`` one after the other (never in parallel: they time each other
otherwise), each writing ``bench/out/NAME.json``, then renders the page from those files. The
first run also generates and caches the seeded sessions (``bench/_sessions.py``; the 10-hour
one takes a few minutes and 1.2 GB).

Other engineers edit the same checkout while a run takes half an hour; ``--commit REV``
measures a frozen copy instead (``git archive REV`` of analysis/, sensors/, cli/ and
fixtures/ into ``bench/out/code-REV/``, put first on ``PYTHONPATH`` for every benchmark
process). ``--baseline DIR`` adds a table comparing the headline numbers with an earlier
run's JSON files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from _sessions import OUT_DIR, ROOT, SCENARIO, SEED
from live_web_latency import render_section as live_web_section

DOC = ROOT / "docs" / "benchmarks.md"
BENCHES = ("speed", "peers", "live_path", "live_web_latency")
PY = ".venv/bin/python"
EQUAL_TOL_DEG = 0.05
"""RMSE differences up to this count as equal accuracy."""
LINEAR_TOLERANCE = 0.25
"""Time counts as linear when every marginal slope is within this of the fitted slope."""


def _load(name: str, folder: Path = OUT_DIR) -> dict[str, Any] | None:
    path = folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def snapshot(rev: str) -> Path:
    """A frozen copy of the project's packages at ``rev`` under ``bench/out/code-REV/``."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = OUT_DIR / f"code-{commit}"
    if not (dest / "COMMIT").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "analysis", "sensors", "cli", "fixtures"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        (dest / "COMMIT").write_text(commit + "\n", encoding="utf-8")
    return dest


def _f(x: float | None, nd: int = 2) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    return f"{x:,.{nd}f}"


def _range(s: dict[str, float], nd: int = 2) -> str:
    return f"{_f(s['median'], nd)} ({_f(s['low'], nd)}–{_f(s['high'], nd)})"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


# --- sections -------------------------------------------------------------------------------


def machine_section(m: dict[str, Any]) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    return [
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, **{m['cores']} cores**, {m['memory_gb']} GB RAM; {m['platform']}",
        f"- Python {m['python']}; {libs}",
        f"- Code: commit `{m.get('code', {}).get('commit', '?')}`"
        + (
            f" plus uncommitted changes in {', '.join(m['code']['uncommitted'])}"
            if m.get("code", {}).get("uncommitted")
            else ""
        )
        + " (other engineers work in the same checkout).",
        f"- Measured {m['date']}. The machine is shared with other engineers' test runs "
        "(1-minute load average is recorded before every whole-process run in "
        "`bench/out/speed.json`); wall-clock figures are therefore noisy, so CPU time "
        "(user + system) is given beside them and the min–max of the runs after the median.",
        "",
    ]


def targets_section(speed: dict | None, peers: dict | None, live: dict | None) -> list[str]:
    rows = []
    if speed:
        e2e = {r["label"]: r for r in speed["end_to_end"]["sessions"]}
        t = speed["targets"]
        one = e2e.get("1 h")
        if one:
            wall = one["analyse"]["wall_s"]["median"]
            cpu = one["analyse"]["cpu_s"]["median"]
            rows.append(
                (
                    "1 h, 4 sensors, 100 Hz end to end",
                    f"≤ {t['e2e_1h_wall_s']:g} s wall",
                    f"{_f(wall)} s wall (CPU {_f(cpu)} s)",
                    f"{_verdict(wall <= t['e2e_1h_wall_s'])}: {wall / t['e2e_1h_wall_s']:.1f}× "
                    "the target",
                )
            )
            sps = one["samples_per_s"]
            rows.append(
                (
                    "throughput, 1 h",
                    "≥ 700 k samples/s",
                    f"{sps / 1e3:,.0f} k samples/s",
                    f"{_verdict(sps >= t['e2e_1h_samples_per_s'])}: "
                    f"{sps / t['e2e_1h_samples_per_s']:.2f}× the target",
                )
            )
            rp, rr = one["ratio_vs_pandas_process"], one["ratio_vs_pandas_read"]
            rows.append(
                (
                    "analyse / pandas-alone read, 1 h",
                    f"≤ {t['e2e_1h_over_pandas']:g}×",
                    f"{rp:.1f}× a pandas process; {rr:.0f}× `read_csv` alone",
                    f"{_verdict(rp <= t['e2e_1h_over_pandas'])} "
                    f"({rp / t['e2e_1h_over_pandas']:.1f}× over)"
                    if rp > t["e2e_1h_over_pandas"]
                    else _verdict(True),
                )
            )
        ten = e2e.get("10 h")
        if ten:
            rss = ten["analyse"]["peak_rss_mb"]["median"]
            rows.append(
                (
                    "peak memory, 10 h",
                    "≤ 1 GB",
                    f"{rss / 1e3:.2f} GB",
                    f"{_verdict(rss <= t['e2e_10h_peak_rss_mb'])}: "
                    f"{rss / t['e2e_10h_peak_rss_mb']:.2f}× the limit",
                )
            )
        g = speed["end_to_end"]["growth"].get("wall_s")
        if g:
            dev = g["max_marginal_deviation"]
            slopes = ", ".join(f"{m:.1f}" for m in g["marginal_per_hour"])
            rows.append(
                (
                    "time linear in length",
                    "constant cost per hour",
                    f"{g['intercept']:.1f} s + {g['per_hour']:.2f} s/h; marginal s/h between "
                    f"sessions {slopes}",
                    f"{_verdict(dev <= LINEAR_TOLERANCE)}: marginal slopes within "
                    f"{100 * dev:.0f} % of the fit",
                )
            )
    if peers and "opensense" in peers and "vqf_heading_reset" in peers["opensense"]:
        o = peers["opensense"]["vqf_heading_reset"]
        ours = peers["stretchguard"]["rmse_deg"]
        worse = [
            c for c in ours if c in o["rmse_deg"] and ours[c] > o["rmse_deg"][c] + EQUAL_TOL_DEG
        ]
        speedup = o["speedup_vs_stretchguard"]
        target = peers["opensense"]["target_speedup"]
        rows.append(
            (
                "vs OpenSense IK",
                f"≥ {target:g}× faster, equal or better angles",
                f"{speedup:,.0f}× faster; RMSE worse (by > {EQUAL_TOL_DEG:g}°) on {len(worse)} "
                f"of {len(ours)} angles",
                (
                    f"speed **at the target** ({speedup / target:.2f}× it: within run-to-run noise)"
                    if abs(speedup / target - 1.0) < 0.05
                    else f"speed {_verdict(speedup >= target)}"
                )
                + "; accuracy "
                + _verdict(not worse)
                + (
                    ""
                    if not worse
                    else " ("
                    + ", ".join(
                        f"{c.removeprefix('right_').removesuffix('_deg')} "
                        f"{ours[c]:.2f}° vs {o['rmse_deg'][c]:.2f}°"
                        for c in worse
                    )
                    + ")"
                ),
            )
        )
    if live:
        live_code = live.get("machine", {}).get("code", {}).get("commit")
        page_code = (speed or peers or live).get("machine", {}).get("code", {}).get("commit")
        at = f" (commit {live_code})" if live_code != page_code else ""
        fam = live["families"]
        worst = max(fam, key=lambda r: r["notification_ms"]["p99"])
        worst_cpu = max(fam, key=lambda r: r["notification_cpu_ms"]["p99"])
        p99, p99c = worst["notification_ms"]["p99"], worst_cpu["notification_cpu_ms"]["p99"]
        rows.append(
            (
                "live: per notification",
                "p99 ≤ 1 ms",
                f"worst family p99 {p99:.2f} ms wall ({worst['family']}), "
                f"{p99c:.3f} ms CPU ({worst_cpu['family']}){at}",
                f"{_verdict(max(p99, p99c) <= 1.0)}"
                + (f": {max(p99, p99c):.1f}× the target" if max(p99, p99c) > 1.0 else "")
                + (
                    "; CPU time ≈ wall, so it is the code, not the machine"
                    if p99c > 0.8 * p99 and max(p99, p99c) > 1.0
                    else ""
                ),
            )
        )
        six = [r for r in live.get("sustained", []) if r["sensors"] == 6 and r["rate_hz"] == 200.0]
        if six:
            r = six[0]
            rows.append(
                (
                    "live: sustained on one core",
                    "6 sensors × 200 Hz",
                    f"real-time ×{r['real_time_factor']:.1f} (CPU ×"
                    f"{r['real_time_factor_cpu']:.1f}) over {r['session_s'] / 60:.0f} min{at}",
                    _verdict(r["sustained"]),
                )
            )
    out = [
        "## Targets",
        "",
        "| target | wanted | measured | verdict |",
        "|---|---|---|---|",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return [*out, ""]


def refit(speed: dict) -> None:
    """Recompute the growth fits from the session rows (one definition: ``speed.growth``)."""
    from speed import growth

    rows = [r for r in speed["end_to_end"]["sessions"] if r["length_s"] >= 600.0]
    if len(rows) < 2:
        return
    hours = [r["length_s"] / 3600.0 for r in rows]
    fits = {}
    for key, get in (
        ("wall_s", lambda r: r["analyse"]["wall_s"]["median"]),
        ("cpu_s", lambda r: r["analyse"]["cpu_s"]["median"]),
        ("peak_rss_mb", lambda r: r["analyse"]["peak_rss_mb"]["median"]),
        ("pandas_wall_s", lambda r: r["pandas_process"]["wall_s"]["median"]),
    ):
        fits[key] = growth(hours, [get(r) for r in rows])
    speed["end_to_end"]["growth"] = fits


def findings_section(speed: dict | None, peers: dict | None) -> list[str]:
    """Where the 1 h end-to-end time goes, in numbers taken from the results."""
    out = ["## Where the time goes (1 h session)", ""]
    if speed and "per_stage" in speed:
        one = {r["label"]: r for r in speed["end_to_end"]["sessions"]}.get("1 h")
        st = speed["per_stage"]["stages_s"]
        start = speed["end_to_end"]["startup"]["wall_s"]["median"]
        if one:
            wall = one["analyse"]["wall_s"]["median"]
            inproc = speed["per_stage"]["analyse_to_folder_s"]
            rest = wall - start - inproc
            sys_s = one["analyse"].get("sys_s", {}).get("median")
            rss_gb = one["analyse"]["peak_rss_mb"]["median"] / 1e3
            kernel = (
                f" (the process spends {sys_s:.2f} s in the kernel, mostly first-touch page "
                f"faults of its {rss_gb:.1f} GB working set)"
                if sys_s is not None
                else ""
            )
            read_s = st.get("read (load_recording)", 0.0)
            budget = speed["targets"]["e2e_1h_wall_s"]
            out.append(
                f"- Whole process {wall:.2f} s = start-up (imports) {start:.2f} s + "
                f"`load_recording` + `analyse_to_folder` {inproc:.2f} s (warm, in process) + "
                f"{rest:.2f} s more in a fresh process{kernel}. Start-up and reading alone "
                f"take {start + read_s:.2f} s of the {budget:g} s budget."
            )
        read = st.get("read (load_recording)")
        if read is not None and one:
            out.append(
                f"- Reading the CSV takes {read:.2f} s in process against "
                f"{one['pandas_read_s']:.2f} s for `pandas.read_csv` alone."
            )
        big = sorted(
            ((k, v) for k, v in st.items() if not k.startswith("  ") and not k.startswith("read")),
            key=lambda kv: kv[1],
            reverse=True,
        )[:3]
        out.append(
            "- Largest computing stages: " + "; ".join(f"{k} {v:.2f} s" for k, v in big) + "."
        )
        ten = {r["label"]: r for r in speed["end_to_end"]["sessions"]}.get("10 h")
        g = speed["end_to_end"]["growth"].get("peak_rss_mb")
        if ten and g:
            raw_mb = ten["rows"] * 6 * 8 / 1e6
            peak = ten["analyse"]["peak_rss_mb"]["median"]
            out.append(
                f"- Memory grows by ≈{g['per_hour']:,.0f} MB per session-hour; the 10 h peak "
                f"({peak / 1e3:.2f} GB) is {peak / raw_mb:.1f}× the size of the raw acc + gyro "
                f"samples as float64 ({raw_mb:,.0f} MB)"
                + (": the session is held in several copies at once." if peak > 2 * raw_mb else ".")
            )
    if peers and "vqf_heading_reset" in peers.get("opensense", {}):
        o = peers["opensense"]["vqf_heading_reset"]["rmse_deg"]
        ours = peers["stretchguard"]["rmse_deg"]
        better = [c for c in ours if c in o and o[c] < ours[c] - 0.05]
        if better:
            out.append(
                "- Accuracy beside OpenSense: on the same VQF orientations OpenSense's "
                "constrained IK (pin knee and ankle, all segments solved together) is more "
                "accurate on "
                + ", ".join(
                    f"{c.removeprefix('right_').removesuffix('_deg').replace('_', ' ')} "
                    f"({o[c]:.2f}° vs {ours[c]:.2f}°)"
                    for c in better
                )
                + ". Simulated data with an exactly neutral quiet stand favours OpenSense's "
                "stand-pose calibration; the difference is a lead for the hip angles."
            )
    return [*out, ""]


def end_to_end_section(speed: dict) -> list[str]:
    e = speed["end_to_end"]
    out = [
        "## 1. End to end: `stretchguard analyse` against `pandas.read_csv`",
        "",
        f"Sessions: `stretchguard simulate {SCENARIO} --seed {SEED} --duration-s D` (4 sensors "
        "at 100 Hz: pelvis, right thigh, shank, foot; plain CSV), cached under "
        "`bench/out/sessions/`. The shortest is the scenario's natural length (it cannot be "
        "shorter than its protocol plus one exercise block). Each cell is the median of "
        f"{speed['runs']} whole-process runs under `/usr/bin/time -v` (min–max in brackets):",
        "",
        "- analyse: `stretchguard analyse FILE.csv --out NEW_DIR` (CSV in; angles.csv, "
        "envelope.json, report.html out);",
        "- pandas process: `python -c 'import sys, pandas; pandas.read_csv(sys.argv[1])' "
        "FILE.csv` (default C engine; interpreter start and the pandas import included, as "
        "in analyse);",
        "- read_csv: `pandas.read_csv(FILE.csv)` alone inside a running interpreter.",
        "",
        "| session | rows | CSV MB | analyse wall s | analyse CPU s | peak RSS MB | "
        "samples/s | pandas process wall s | read_csv s | analyse / pandas process | "
        "analyse / read_csv |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in e["sessions"]:
        a = r["analyse"]
        out.append(
            f"| {r['label']} | {r['rows']:,} | {r['csv_mb']:,.0f} | {_range(a['wall_s'])} | "
            f"{_range(a['cpu_s'])} | {_range(a['peak_rss_mb'], 0)} | "
            f"{r['samples_per_s'] / 1e3:,.0f} k | {_range(r['pandas_process']['wall_s'])} | "
            f"{_f(r['pandas_read_s'])} | {r['ratio_vs_pandas_process']:.1f}× | "
            f"{r['ratio_vs_pandas_read']:.0f}× |"
        )
    out += ["", "**Growth with length** (least squares over the 10 min … 10 h points):", ""]
    out += [
        "| quantity | fixed part | per hour | marginal per hour between sessions | worst "
        "residual | log-log exponent |"
    ]
    out += ["|---|---|---|---|---|---|"]
    names = {
        "wall_s": "analyse wall (s)",
        "cpu_s": "analyse CPU (s)",
        "peak_rss_mb": "analyse peak RSS (MB)",
        "pandas_wall_s": "pandas process wall (s)",
    }
    for key, g in e["growth"].items():
        slopes = ", ".join(_f(m, 1) for m in g["marginal_per_hour"])
        out.append(
            f"| {names.get(key, key)} | {_f(g['intercept'])} | {_f(g['per_hour'])} | {slopes} | "
            f"{100 * g['max_rel_residual']:.0f} % | {g['loglog_exponent']:.2f} |"
        )
    s = e["startup"]
    out += [
        "",
        "Linear growth = a constant marginal cost per hour (the log-log exponent of the raw "
        "values stays below 1 because of the fixed start-up part, so it is not the test). "
        "**Start-up** (interpreter + everything `analyse` "
        f"imports, no work): wall {_range(s['wall_s'])} s, CPU {_range(s['cpu_s'])} s "
        "(`python -c 'import cli.main, cli.cmd_analyse, analysis.report'`). Heaviest imports "
        "(`python -X importtime -c 'import cli.main, cli.cmd_analyse'`, inclusive times, "
        "nested ones counted where first imported):",
        "",
        "| module | s | share of import time |",
        "|---|---|---|",
    ]
    for r in e.get("import_times", []):
        out.append(
            f"| `{r['module']}` | {r['cumulative_s']:.3f} | {100 * r['share_of_import']:.0f} % |"
        )
    return [*out, ""]


def stages_section(speed: dict) -> list[str]:
    p = speed["per_stage"]
    total = p["sum_s"]
    out = [
        f"## 2. Per stage ({p['session']} session, in process)",
        "",
        "What `stretchguard analyse` does, in its order, timed with `time.perf_counter` "
        f"(median of {speed['runs']} passes): the public calls it makes, and inside "
        "`analyse_recording` the stages its own progress callback reports. Sum "
        f"{_f(total)} s against {_f(p['analyse_to_folder_s'])} s for one "
        "`load_recording` + `analyse_to_folder` call; the whole process adds the start-up "
        "above.",
        "",
        "| stage | s | share |",
        "|---|---|---|",
    ]
    for k, v in p["stages_s"].items():
        share = "" if k.startswith("  ") else f"{100 * v / total:.0f} %"
        out.append(f"| {k.strip()} | {_f(v, 3)} | {share} |")
    return [*out, ""]


_SNAPSHOT = re.compile(r"bench/out/code-[0-9a-f]+/")


def hot_spots_section(speed: dict) -> list[str]:
    h = speed.get("hot_spots")
    if not h:
        return []
    out = [
        f"## 3. Hot spots ({h['session']} session, cProfile)",
        "",
        f"cProfile of `load_recording` + `analyse_to_folder` ({_f(h['profiled_wall_s'])} s "
        f"under the profiler, {_f(h['total_self_s'])} s of self time in total). "
        "Self time = time in the function itself:",
        "",
        "| function (file:line:function) | self s | share | calls |",
        "|---|---|---|---|",
    ]
    for r in h["self"][:15]:
        out.append(
            f"| `{_SNAPSHOT.sub('', r['where'])}` | {r['self_s']:.3f} | "
            f"{100 * r['share']:.1f} % | {r['calls']:,} |"
        )
    if any("acquire" in r["where"] for r in h["self"][:15]):
        out += [
            "",
            "`_thread.lock.acquire` is the main process waiting for the orientation worker "
            "processes (the pipeline forks two on long sessions); cProfile does not see "
            "inside them, so the orientation stage's own cost is in §2, not here.",
        ]
    out += [
        "",
        "Project functions by cumulative time (callees included):",
        "",
        "| function | cumulative s | share |",
        "|---|---|---|",
    ]
    for r in h["cumulative_project"][:15]:
        out.append(
            f"| `{_SNAPSHOT.sub('', r['where'])}` | {r['cum_s']:.3f} | {100 * r['share']:.1f} % |"
        )
    if speed.get("pyinstrument_tree"):
        out += [
            "",
            f"A pyinstrument call tree of the same run is written to "
            f"`{speed['pyinstrument_tree']}` (not committed).",
        ]
    return [*out, ""]


def peers_section(peers: dict, reference: dict | None = None) -> list[str]:
    s = peers["session"]
    out = [
        "## 4. Orientation peers and OpenSense (same data)",
        "",
        *_code_note(peers, reference),
        f"Session: `{s['scenario']}`, seed {s['seed']}, {s['duration_s'] / 60:.1f} min, "
        f"{len(s['sensors'])} sensors at {s['rate_hz']:g} Hz ({s['grid_points']:,} grid "
        "points each), simulated in memory so every sample's true orientation is known. "
        "Every filter gets exactly the data stretchguard's VQF gets (resampled, stand gyro "
        "bias and accelerometer bias removed), 6-D, library defaults except the sample rate. "
        "Inclination RMSE (heading ignored, first 10 s skipped) against the true sensor "
        "orientation, mean of the 4 sensors. Fast filters: median of 3 runs; pure-Python "
        "ones: one run.",
        "",
        "| filter | package | implementation | s (4 sensors) | samples/s | s per sensor-hour | "
        "inclination RMSE ° |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in peers["filters"]:
        if "skipped" in r:
            out.append(f"| {r['name']} | {r['package']} | skipped: {r['skipped']} | | | | |")
            continue
        out.append(
            f"| {r['name']} | {r['package']} | {r['implementation']} | {r['time_s']:.3f} | "
            f"{r['samples_per_s']:,.0f} | {r['s_per_sensor_hour']:.2f} | "
            f"{r['inclination_rmse_mean_deg']:.2f} |"
        )
    ours = peers["stretchguard"]
    o = peers.get("opensense", {})
    cols = list(ours["rmse_deg"])
    short = {
        "right_hip_flexion_deg": "hip flex",
        "right_hip_adduction_deg": "hip add",
        "right_hip_internal_rotation_deg": "hip rot",
        "right_knee_flexion_deg": "knee flex",
        "right_ankle_dorsiflexion_deg": "ankle DF",
    }
    out += [
        "",
        "**Full pipelines**: joint-angle RMSE (°, right leg) against the simulator's truth, "
        "and time for the session. stretchguard = `analyse_recording` on the in-memory "
        "recording (median of 3). OpenSense = `opensim` `IMUPlacer` (calibrated on the mean "
        "orientation of the quiet stand, where every model coordinate is 0) + "
        "`IMUInverseKinematicsTool` on a lower-body model built in code (free pelvis, "
        "Z-X'-Y'' hip CustomJoint, pin knee and ankle), fed VQF sensor orientations turned so "
        "the pelvis faces ground +x at the stand (OpenSense's base-heading step; randomly "
        "strapped sensors have no forward axis to name, so stretchguard's calibration gives "
        "the pelvis heading). OpenSense time = VQF + placer + IK.",
        "",
        "| pipeline | input | s | " + " | ".join(short.get(c, c) for c in cols) + " |",
        "|---|---|---|" + "---|" * len(cols),
    ]
    out.append(
        f"| stretchguard | recording | {ours['time_s']:.2f} | "
        + " | ".join(f"{ours['rmse_deg'][c]:.2f}" for c in cols)
        + " |"
    )
    if "skipped" in o:
        out.append(f"| OpenSense | skipped: {o['skipped']} | | " + " | " * len(cols))
    else:
        tc = o.get("truth_check")
        for key in ("vqf_heading_reset", "vqf_raw"):
            r = o.get(key)
            if not r:
                continue
            secs = r["vqf_input_s"] + r["placer_s"] + r["ik_s"]
            out.append(
                f"| OpenSense | {r['input']} | {secs:.1f} | "
                + " | ".join(f"{r['rmse_deg'].get(c, float('nan')):.2f}" for c in cols)
                + " |"
            )
        if tc:
            out.append(
                f"| OpenSense (harness check) | true sensor orientations, first "
                f"{tc['end_s']:.0f} s | {tc['placer_s'] + tc['ik_s']:.1f} | "
                + " | ".join(f"{tc['rmse_deg'].get(c, float('nan')):.3f}" for c in cols)
                + " |"
            )
        r = o.get("vqf_heading_reset")
        if r:
            out += [
                "",
                f"OpenSense IK: {r['frames_per_s']:,.0f} frames/s = "
                f"{r['ik_s_per_session_hour'] / 60:.1f} min per session-hour (placer "
                f"{r['placer_s']:.2f} s). stretchguard is **{r['speedup_vs_stretchguard']:,.0f}×** "
                f"faster for the same session (target ≥ {o['target_speedup']:g}×).",
            ]
    return [*out, ""]


def _code_note(result: dict, reference: dict | None) -> list[str]:
    """A line naming the code of ``result`` when it differs from the page's (Machine)."""
    code = result.get("machine", {}).get("code", {})
    ref = (reference or {}).get("machine", {}).get("code", {})
    if not code or code.get("commit") == ref.get("commit"):
        return []
    return [f"Measured on commit `{code.get('commit')}` ({result['machine']['date']}).", ""]


def live_section(live: dict, reference: dict | None = None) -> list[str]:
    out = [
        "## 5. Live path",
        "",
        *_code_note(live, reference),
        f"A {live['minutes']:g}-min session per run, encoded beforehand into each family's "
        "real wire format by its own device emulator (`sensors.families`). Timed per "
        "notification: `decoder.feed` → `ClockAligner.align` → `AlignedBatch.from_samples` → "
        f"`LiveAnglePipeline.push`; `step()` every {live['step_s']:g} s of session time "
        "(angles after the one-off `calibrate()`, timed apart), then the live envelope "
        "`analysis.envelope.monitor.EnvelopeMonitor.update` with the step's new angles (standing "
        "hamstring profile, default 90 s window). Single thread. Wall = "
        "`perf_counter`, CPU = `thread_time` (excludes time the scheduler gave to other "
        "processes on this shared machine).",
        "",
        "| family | rate Hz | samples/notification | notification median / p99 / max ms "
        "(wall) | p99 ms (CPU) | step median / p99 ms (wall) | monitor median / p99 ms "
        "(wall) | calibrate ms | real-time factor (wall / CPU / CPU without monitor) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in live["families"]:
        n, nc, st = r["notification_ms"], r["notification_cpu_ms"], r["step_ms"]
        mon = r.get("monitor_ms") or {"median": float("nan"), "p99": float("nan")}
        out.append(
            f"| {r['family']} | {r['rate_hz']:g} | {r['samples_per_notification']:.1f} | "
            f"{n['median']:.3f} / {n['p99']:.3f} / {n['max']:.1f} | {nc['p99']:.3f} | "
            f"{st['median']:.2f} / {st['p99']:.2f} | {mon['median']:.2f} / {mon['p99']:.2f} | "
            f"{r['calibrate_ms']:.0f} | ×{r['real_time_factor']:.0f} / "
            f"×{r['real_time_factor_cpu']:.0f} / "
            f"×{_f(r.get('real_time_factor_cpu_without_monitor'), 0)} |"
        )
    if any("breakdown_cpu_ms" in r for r in live["families"]):
        out += [
            "",
            "Per-notification CPU by part (a second pass with a timer around each call): "
            "median / p99 ms.",
            "",
            "| family | decode | clock align | batch | push |",
            "|---|---|---|---|---|",
        ]
        for r in live["families"]:
            b = r.get("breakdown_cpu_ms")
            if b:
                cells = " | ".join(
                    f"{b[k]['median']:.3f} / {b[k]['p99']:.3f}"
                    for k in ("decode", "align", "batch", "push")
                )
                out.append(f"| {r['family']} | {cells} |")
    out += [
        "",
        "**Sustained sensors × rate on one core** (MetaWear packets: acc and gyro in separate "
        "notifications up to 100 Hz, packed 3 samples per notification above):",
        "",
        "| sensors | rate Hz | samples/s | busy s (wall / CPU) per "
        f"{live['minutes']:g} min | of which monitor (CPU) | real-time factor (wall / CPU) | "
        "notification p99 ms (wall / CPU) | sustained |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in live.get("sustained", []):
        n, nc = r["notification_ms"], r["notification_cpu_ms"]
        share = r.get("monitor_cpu_share")
        out.append(
            f"| {r['sensors']} | {r['rate_hz']:g} | {r['sample_rate_total_hz']:,.0f} | "
            f"{r['busy_s']:.1f} / {r['busy_cpu_s']:.1f} | "
            f"{'—' if share is None else f'{100 * share:.0f} %'} | "
            f"×{r['real_time_factor']:.1f} / ×{r['real_time_factor_cpu']:.1f} | "
            f"{n['p99']:.3f} / {nc['p99']:.3f} | {'yes' if r['sustained'] else 'no'} |"
        )
    if not live.get("sustained"):
        return [*out, ""]
    best = max(live["sustained"], key=lambda r: r["sample_rate_total_hz"])
    cap = best["samples"] / best["busy_cpu_s"]
    limit = (
        "That is about the limit"
        if best["real_time_factor"] < 1.5
        else "The limit lies beyond the sweep (extrapolated: about that many samples per "
        "second on one core)"
    )
    out += [
        "",
        f"The largest load tried, {best['sensors']} sensors × {best['rate_hz']:g} Hz "
        f"({best['sample_rate_total_hz']:,.0f} samples/s), still runs ×"
        f"{best['real_time_factor']:.1f} faster than real time: one core handles about "
        f"{cap:,.0f} samples per CPU-second with MetaWear's packing (3 samples per "
        f"notification). {limit}; the chain's cost is paid per notification as well as per "
        "sample, so families that carry fewer samples per notification reach it earlier.",
    ]
    out.append("")
    return out


def commands_section() -> list[str]:
    return [
        "## Reproduce",
        "",
        "```sh",
        ".venv/bin/pip install -e '.[bench]'        # ahrs, imufusion",
        ".venv/bin/pip install -e '.[opensim]'      # optional: OpenSense (222 MB)",
        f"{PY} bench/run_all.py                # everything below, then this page",
        f"{PY} bench/speed.py                  # §1–3  → bench/out/speed.json",
        f"{PY} bench/peers.py                  # §4    → bench/out/peers.json",
        f"{PY} bench/live_path.py              # §5    → bench/out/live_path.json",
        f"{PY} bench/live_web_latency.py       # §6    → bench/out/live_web_latency.json",
        f"{PY} bench/live_web_latency.py --realtime  # §6, SCHED_FIFO (root)",
        f"{PY} bench/run_all.py --render-only  # this page from the JSON files",
        f"{PY} bench/run_all.py --commit HEAD  # a frozen copy of a commit (shared checkout)",
        f"{PY} bench/run_all.py --render-only --baseline bench/out/baseline-REV  # vs earlier",
        "```",
        "",
        "Single numbers by hand (session files are created by the first run):",
        "",
        "```sh",
        f"stretchguard simulate {SCENARIO} --seed {SEED} --duration-s 3600 \\",
        f"    --out bench/out/sessions/{SCENARIO}_seed{SEED}_3600s.csv",
        "/usr/bin/time -v stretchguard analyse "
        f"bench/out/sessions/{SCENARIO}_seed{SEED}_3600s.csv --out /tmp/a1h",
        "/usr/bin/time -v .venv/bin/python -c 'import sys, pandas; pandas.read_csv(sys.argv[1])' "
        f"bench/out/sessions/{SCENARIO}_seed{SEED}_3600s.csv",
        "```",
        "",
    ]


def headline(speed: dict | None, peers: dict | None, live: dict | None) -> dict[str, float]:
    """The numbers a before/after table compares."""
    out: dict[str, float] = {}
    if speed:
        e2e = {r["label"]: r for r in speed["end_to_end"]["sessions"]}
        for label in ("1 h", "10 h"):
            r = e2e.get(label)
            if r:
                out[f"{label} end to end wall (s)"] = r["analyse"]["wall_s"]["median"]
                out[f"{label} peak RSS (MB)"] = r["analyse"]["peak_rss_mb"]["median"]
                out[f"{label} analyse / pandas process (×)"] = r["ratio_vs_pandas_process"]
        out["start-up wall (s)"] = speed["end_to_end"]["startup"]["wall_s"]["median"]
        for k, v in speed.get("per_stage", {}).get("stages_s", {}).items():
            if k.startswith("read"):
                out["1 h read, in process (s)"] = v
    if peers:
        out["pipeline on 10 min in memory (s)"] = peers["stretchguard"]["time_s"]
        for c, v in peers["stretchguard"]["rmse_deg"].items():
            out[f"10 min {c.removeprefix('right_').removesuffix('_deg')} RMSE (°)"] = v
    if live:
        for r in live["families"]:
            out[f"live p99 per notification, {r['family']} (ms)"] = r["notification_ms"]["p99"]
    return out


def baseline_section(now: dict[str, float], base: dict[str, float], code: str) -> list[str]:
    out = [
        f"## Against the baseline ({code})",
        "",
        "| quantity | baseline | now | now / baseline |",
        "|---|---|---|---|",
    ]
    for k, v in now.items():
        if k in base:
            b = base[k]
            ratio = f"{v / b:.2f}" if b else "—"
            out.append(f"| {k} | {b:,.2f} | {v:,.2f} | {ratio} |")
    return [*out, ""]


def render(
    speed: dict | None,
    peers: dict | None,
    live: dict | None,
    *,
    baseline: dict[str, dict | None] | None = None,
    live_web: dict | None = None,
) -> str:
    """The benchmarks page from whatever results exist."""
    first = speed or peers or live
    lines = [
        "# Benchmarks: speed",
        "",
        "Speed of the offline analyser end to end and per stage, the orientation filters and "
        "OpenSense beside it on the same data, and the live path. Accuracy of the joint angles "
        "on their own is in `docs/accuracy.md`. Every number below was produced by the "
        "commands at the end of this page (`bench/run_all.py` regenerates the page).",
        "",
    ]
    if first:
        lines += machine_section(first["machine"])
    lines += targets_section(speed, peers, live)
    if baseline:
        b_first = baseline["speed"] or baseline["peers"] or baseline["live_path"] or {}
        code = b_first.get("machine", {}).get("code", {})
        label = f"commit {code.get('commit', '?')}"
        if code.get("note"):
            label += f", {code['note']}"
        lines += baseline_section(
            headline(speed, peers, live),
            headline(baseline["speed"], baseline["peers"], baseline["live_path"]),
            label,
        )
    lines += findings_section(speed, peers)
    if speed:
        lines += end_to_end_section(speed)
        if "per_stage" in speed:
            lines += stages_section(speed)
        lines += hot_spots_section(speed)
    if peers:
        lines += peers_section(peers, first)
    if live:
        lines += live_section(live, first)
    lines += live_web_section(live_web)
    batch = _load("batch")
    if batch:  # bench/batch.py (run on its own: python bench/batch.py)
        from batch import batch_section

        lines += batch_section(batch)
    lines += commands_section()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks (unless ``--render-only``) and write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--render-only", action="store_true", help="only rewrite the page")
    parser.add_argument(
        "--only", default=",".join(BENCHES), help=f"benchmarks to run, from {BENCHES}"
    )
    parser.add_argument("--out", type=Path, default=DOC, help="page to write")
    parser.add_argument(
        "--commit", metavar="REV", help="measure a frozen copy of REV, not the working tree"
    )
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="earlier results to compare with"
    )
    args = parser.parse_args(argv)
    if not args.render_only:
        env = dict(os.environ)
        if args.commit:
            code = snapshot(args.commit)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(code), env.get("PYTHONPATH", "")) if p
            )
            print(f"measuring {code}", file=sys.stderr, flush=True)
        for name in (n.strip() for n in args.only.split(",") if n.strip()):
            if name not in BENCHES:
                parser.error(f"unknown benchmark {name!r}; choose from {BENCHES}")
            print(f"== bench/{name}.py", file=sys.stderr, flush=True)
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / f"{name}.py")], check=True, env=env
            )
    speed = _load("speed")
    if speed:
        refit(speed)
    base = None
    if args.baseline:
        base = {n: _load(n, args.baseline) for n in BENCHES}
        if base["speed"]:
            refit(base["speed"])
    text = render(
        speed,
        _load("peers"),
        _load("live_path"),
        baseline=base,
        live_web=_load("live_web_latency"),
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
