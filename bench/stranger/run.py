"""Generate stranger sessions, run ``stretchguard analyse`` on each (a subprocess, one at a time)
and compare with the truth.

    .venv/bin/python -m bench.stranger.run --seeds 0-39 --work /tmp/stranger --out-json r.json
    .venv/bin/python -m bench.stranger.run --seeds 500-502 --minutes 10 --work ... --out-json ...
    .venv/bin/python -m bench.stranger.run --summarise r.json [more.json ...]

Odd seeds carry 2 scripted rule breaks per stretch (drawn from the six kinds), even seeds are
correct sessions. Sets: default (pelvis + exercised thigh, shank, foot), pair (thigh +
shank), full (all nine); every third seed also as MetaBase exports of the default set.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.stranger import compare, writers
from bench.stranger.person import BREAK_KINDS
from bench.stranger.session import generate, sensor_set

CLI = Path(sys.executable).with_name("stretchguard")


def session_plan(seed: int, minutes: float | None) -> tuple[float, list[str]]:
    """Duration (s) and the scripted breaks of a seed."""
    rng = np.random.default_rng([seed, 99])
    duration = minutes * 60.0 if minutes else float(rng.choice([60.0, 120.0, 180.0]))
    if seed % 2 == 0:
        return duration, []
    n = max(2, int(duration // 60) * 2)
    return duration, [
        str(k) for k in rng.choice(BREAK_KINDS, size=min(n, 12), replace=n > len(BREAK_KINDS))
    ]


def run_cli(inputs: list[Path], out: Path, side: str, extra: list[str]) -> dict:
    """``stretchguard analyse`` as a user runs it; returns exit code, seconds and stderr tail."""
    cmd = [str(CLI), "analyse", *map(str, inputs), "--out", str(out), "--side", side, *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    return {
        "rc": proc.returncode,
        "s": round(time.perf_counter() - t0, 2),
        "stderr": proc.stderr[-800:],
        "stdout": proc.stdout[-1500:],
    }


def evaluate(
    out: Path, truth: pd.DataFrame, events: list[dict], side: str, t_offset_s: float = 0.0
) -> dict:
    """RMSE per angle, scripted-break verdicts and false episodes of one analysed set.

    ``t_offset_s``: where the analysed file's ``t_s = 0`` lies on the generator's clock (vendor
    files start their session clock at their earliest sample).
    """
    if t_offset_s:
        truth = truth.assign(t_s=truth["t_s"] - t_offset_s)
        events = [{**e, "t_s": e["t_s"] - t_offset_s} for e in events]
    est = pd.read_csv(out / "angles.csv")
    env = json.loads((out / "envelope.json").read_text())
    onsets = compare.scripted_onsets(truth, events, side)
    return {
        "rmse_deg": compare.rmse_table(est, truth),
        "uncertain_angles": env.get("uncertain_angles", []),
        "uncertain": env.get("uncertain"),
        "verdict": env["verdict"],
        "scripted": compare.judge_breaks(env, onsets),
        "false": compare.false_episodes(env, truth, side),
        "rule_status": {r["rule"]: r["status"] for r in env["rules"]},
        "holds": env.get("holds", []),
    }


def one_seed(seed: int, minutes: float | None, work: Path) -> dict:
    """Generate, write, analyse and judge every set of one seed."""
    duration, breaks = session_plan(seed, minutes)
    t0 = time.perf_counter()
    s = generate(seed, duration_s=duration, breaks=breaks)
    folder = work / f"s{seed}"
    folder.mkdir(parents=True)
    writers.write_truth(s, folder / "truth.csv")
    truth = pd.read_csv(folder / "truth.csv")
    rec = {
        "seed": seed,
        "side": s.person.side,
        "family": s.family,
        "length_s": float(s.truth_t_s[-1]),
        "breaks": breaks,
        "gen_s": round(time.perf_counter() - t0, 1),
        "person": vars(s.person),
        "sets": {},
    }
    side = s.person.side
    jobs = [
        (name, [writers.write_canonical(s, sensor_set(s, name), folder / f"{name}.csv")], [], 0.0)
        for name in ("default", "pair", "full")
    ]
    if seed % 3 == 0:
        mapping = writers.write_metabase(
            s, sensor_set(s, "default"), folder / "metabase", start_epoch_s=1.76e9 + seed
        )
        opts = [x for mac, place in mapping.items() for x in ("--sensor", f"{mac}={place}")]
        # the reader keeps the span both files of a sensor cover: t_s = 0 at the earliest
        # accelerometer row (each gyroscope file starts 3 rows earlier)
        first_s = min(float(s.sensors[p].t_s[writers.ACC_SKIP]) for p in sensor_set(s, "default"))
        jobs.append(("metabase_default", [folder / "metabase"], opts, first_s))
    for name, inputs, opts, offset in jobs:
        cli = run_cli(inputs, folder / f"out_{name}", side, opts)
        res = {"cli": cli}
        if cli["rc"] == 0:
            res.update(evaluate(folder / f"out_{name}", truth, s.events, side, offset))
        rec["sets"][name] = res
    return rec


def parse_seeds(text: str) -> list[int]:
    """``0-39`` or ``1,5,9``."""
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds")
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--out-json", type=Path)
    ap.add_argument("--summarise", nargs="*", type=Path)
    args = ap.parse_args(argv)
    if args.summarise:
        from bench.stranger.summary import summarise

        print(summarise([r for f in args.summarise for r in json.loads(f.read_text())]))
        return 0
    records = []
    for seed in parse_seeds(args.seeds):
        rec = one_seed(seed, args.minutes, args.work)
        records.append(rec)
        print(
            seed, rec["length_s"], {k: v["cli"]["rc"] for k, v in rec["sets"].items()}, flush=True
        )
        args.out_json.write_text(json.dumps(records, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
