"""Sign decisions and uncertain verdicts on the simulated population (the trust issue's check).

    .venv/bin/python bench/trust_population.py [--people 40] [--hours 0] [--workers 2]

Runs ``bench/population.py``'s sessions (same people, both sensor sets) and prints, per
segment, how many flexion-axis signs were confident, confident and wrong, and uncertain;
then the envelope per sensor set with the calibration's uncertainty passed to the checker
(``check_envelope(uncertain=...)``): scripted violations found, correct sessions with a
false gating episode, verdicts that are uncertain. Works on an older checkout too (no
``uncertain`` support: the envelope runs without it), for before/after comparisons.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

import bench.population as pop
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.simulation.population import generate_person, generate_session

try:
    from analysis.angles.calibration import angle_dependencies

    DEPS = angle_dependencies()
except ImportError:  # an older checkout
    DEPS = {}
HAS_UNCERTAIN = "uncertain" in inspect.signature(check_envelope).parameters


def _final_doubts(res) -> set[str]:
    """Segments whose angles reach the verdict as uncertain (or low confidence, before)."""
    if hasattr(res, "doubted"):
        return set(res.doubted)
    return {p for p, s in res.calibration.segments.items() if s.sign_confidence != "high"}


def run_one(task: tuple[int, int, str, str]) -> dict[str, Any]:
    """One session: signs against the true strapping, envelope with uncertainty."""
    person_seed, seed, length, sensors = task
    person = generate_person(person_seed)
    ses = generate_session(person, seed, pop.LENGTHS[length], sensors)
    rec: dict[str, Any] = {
        "person": person_seed,
        "length": length,
        "sensors": sensors,
        "literal": person.literal,
        "exercise": person.exercise,
        "violations": [v.name for v in ses.violations],
    }
    try:
        res = analyse_recording(
            ses.recording(), options=PipelineOptions(keep_orientations=False, workers=1)
        )
    except Exception as exc:  # recorded, not raised: a bench of many sessions
        rec["error"] = f"{type(exc).__name__}: {exc}"
        return rec
    rec["rmse_deg"] = pop.angle_rmse(ses, res)
    signs = pop.sign_decisions(ses, res)
    doubts = _final_doubts(res)
    for d in signs:
        d["trusted"] = d["placement"] not in doubts
    rec["doubted"] = sorted(doubts)
    rec["signs"] = signs
    profile = load_builtin_profile(ses.profile_name)
    kw = {"uncertain": dict(getattr(res, "uncertain", {}))} if HAS_UNCERTAIN else {}
    est = check_envelope(res.angles, profile, side=ses.side, absent=res.absent, **kw)
    truth_cols = [c for c in res.angles.columns if c in ses.truth]
    tru = check_envelope(ses.truth[truth_cols], profile, side=ses.side)
    rec["verdict"], rec["truth_verdict"] = est.verdict, tru.verdict
    rec["uncertain_rules"] = [r.rule for r in est.rules if r.status == "uncertain"]
    tru_eps = [(e.rule, e.start_s, e.end_s) for e in tru.episodes if not e.advisory]
    false = []
    for e in est.episodes:
        if e.advisory:
            continue
        if not any(
            r == e.rule and e.start_s < b + 1.0 and e.end_s > a - 1.0 for r, a, b in tru_eps
        ):
            false.append(e.rule)
    rec["false_gating"] = false
    found = []
    for rule, a, b, _peak in pop.truth_violations(ses, profile):
        spec = profile.rule(rule)
        if spec is None or spec.advisory:
            continue
        near = [e for e in est.episodes if e.rule == rule and e.start_s < b + 2 and e.end_s > a - 1]
        ok = len(near) == 1 and abs(near[0].start_s - a) <= 0.5 + spec.dwell_s
        found.append({"rule": rule, "found": ok, "uncertain": rule in rec["uncertain_rules"]})
    rec["est_episodes"] = [(e.rule, round(e.start_s, 2), round(e.end_s, 2)) for e in est.episodes]
    rec["scripted"] = found
    holds = [(h.start_s, h.end_s) for h in tru.holds]
    est_h = [(h.start_s, h.end_s) for h in est.holds]
    rec["holds"] = (
        len(holds),
        sum(any(abs(a - c) <= 1 and abs(b - d) <= 1 for c, d in est_h) for a, b in holds),
    )
    return rec


def tables(records: list[dict[str, Any]]) -> str:
    acc: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in records:
        for d in r.get("signs", []):
            seg = d["placement"].removeprefix("left_").removeprefix("right_")
            for key in (("all", seg), (r["sensors"], seg)):
                a = acc[key]
                a["n"] += 1
                if d["trusted"]:
                    a["confident"] += 1
                    a["confident_wrong"] += d["wrong"]
                else:
                    a["uncertain"] += 1
                    a["uncertain_wrong"] += d["wrong"]
    out = [
        "| sensors | segment | decisions | confident | confident and wrong "
        "| uncertain (of which wrong) |",
        "|---|---|---|---|---|---|",
    ]
    for key in sorted(acc):
        a = acc[key]
        out.append(
            f"| {key[0]} | {key[1]} | {a['n']} | {a['confident']} | {a['confident_wrong']} "
            f"| {a['uncertain']} ({a['uncertain_wrong']}) |"
        )
    out.append("")
    out.append(
        "| sensors | sessions | errors | scripted gating violations on trusted rules found once "
        "| scripted violations whose rule was uncertain "
        "| correct sessions with a false gating episode | sessions with an uncertain rule "
        "| verdict = truth | holds within 1 s |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|")
    for s in pop.SETS:
        rs = [r for r in records if r["sensors"] == s]
        ok = [r for r in rs if "error" not in r]
        sc = [v for r in ok for v in r["scripted"] if not v["uncertain"]]
        scu = [v for r in ok for v in r["scripted"] if v["uncertain"]]
        correct = [r for r in ok if not r["violations"]]
        out.append(
            f"| {s} | {len(rs)} | {len(rs) - len(ok)} | {sum(v['found'] for v in sc)}/{len(sc)} "
            f"| {len(scu)} | {sum(bool(r['false_gating']) for r in correct)}/{len(correct)} "
            f"| {sum(bool(r['uncertain_rules']) for r in ok)} | "
            f"{sum(r['verdict'] == r['truth_verdict'] for r in ok)}/{len(ok)} | "
            f"{sum(r['holds'][1] for r in ok)}/{sum(r['holds'][0] for r in ok)} |"
        )
    out.append("")
    out.append("| sensors | angle | median / p95 / worst RMSE (all) | same, trusted angles only |")
    out.append("|---|---|---|---|")
    for s in pop.SETS:
        for m in (
            "hip_flexion",
            "hip_adduction",
            "hip_internal_rotation",
            "pelvis_anterior_tilt",
            "lumbar_flexion",
            "knee_flexion",
        ):
            v, vt = [], []
            for r in records:
                if r["sensors"] != s or "rmse_deg" not in r:
                    continue
                bad = set(r.get("doubted", []))
                for col, x in r["rmse_deg"].items():
                    if pop._motion(col) == m:
                        v.append(x)
                        if not (set(DEPS.get(col, ())) & bad):
                            vt.append(x)

            def f(a):
                return (
                    "—"
                    if not a
                    else f"{np.median(a):.2f} / {np.percentile(a, 95):.2f} / {max(a):.2f} "
                    f"(n={len(a)})"
                )

            out.append(f"| {s} | {m} | {f(v)} | {f(vt)} |")
    errs = [f"- {r['person']} {r['sensors']}: {r['error']}" for r in records if "error" in r]
    return "\n".join(out + errs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=40)
    ap.add_argument("--hours", type=int, default=0)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out-json", type=Path)
    ap.add_argument("--persons", type=int, nargs="*", help="only these people")
    a = ap.parse_args()
    todo = pop.tasks(a.people, a.hours, a.first)
    if a.persons:
        todo = [t for t in todo if t[0] in a.persons]
    with ProcessPoolExecutor(max_workers=a.workers) as ex:
        records = list(ex.map(run_one, todo, chunksize=1))
    if a.out_json:
        a.out_json.write_text(json.dumps(records), encoding="utf-8")
    print(f"uncertain support: {HAS_UNCERTAIN}; {len(records)} sessions", file=sys.stderr)
    print(tables(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
