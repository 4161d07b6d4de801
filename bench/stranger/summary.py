"""Markdown tables from the runner's records: RMSE per angle and set, scripted-break verdicts."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

ANGLES = (
    "hip_flexion",
    "hip_adduction",
    "hip_internal_rotation",
    "knee_flexion",
    "ankle_dorsiflexion",
    "pelvis_anterior_tilt",
    "lumbar_flexion",
    "neck_flexion",
    "thigh_inclination",
)
TARGET_DEG = {
    "hip_adduction": 4.0,
    "hip_internal_rotation": 4.0,
    "lumbar_flexion": 4.0,
    "neck_flexion": 4.0,
}


def _exercised(col: str, side: str) -> str | None:
    """The angle name of a column: exercised leg or spine as is, the other leg ``other_…``."""
    name = col.removesuffix("_deg")
    if name.startswith(("left_", "right_")):
        other = not name.startswith(side + "_")
        name = ("other_" if other else "") + name.split("_", 1)[1]
    return name


def rmse_rows(records: list[dict], set_name: str) -> list[str]:
    """One markdown row per angle: n, median, p95, worst (seed), trusted worst."""
    vals: dict[str, list[tuple[float, int, bool]]] = defaultdict(list)
    for r in records:
        res = r["sets"].get(set_name, {})
        unc = res.get("uncertain_angles") or {}
        for col, v in res.get("rmse_deg", {}).items():
            name = _exercised(col, r["side"])
            if name:
                vals[name].append((v, r["seed"], col in unc))
    rows = []
    for name in (*ANGLES, *(f"other_{a}" for a in ANGLES)):
        if name not in vals:
            continue
        v = np.array([x[0] for x in vals[name]])
        worst = max(vals[name])
        trusted = [x for x in vals[name] if not x[2]]
        tw = max(trusted) if trusted else None
        target = TARGET_DEG.get(name.removeprefix("other_"), 2.0)
        over = sum(1 for x in trusted if x[0] > target)
        rows.append(
            f"| {set_name} | {name} | {len(v)} | {np.median(v):.2f} | {np.percentile(v, 95):.2f} | "
            f"{worst[0]:.2f} (seed {worst[1]}{', uncertain' if worst[2] else ''}) | "
            f"{(f'{tw[0]:.2f} (seed {tw[1]})') if tw else '—'} | {over} |"
        )
    return rows


def _unconfirmed(f: dict) -> bool:
    """Whether a false episode is an unconfirmed one (said with its reason, never counted)."""
    return f.get("kind") == "unconfirmed_episodes"


def verdict_rows(records: list[dict], set_name: str) -> list[str]:
    """Counts of scripted-break verdicts per rule, and false episodes on correct sessions."""
    per: dict[str, Counter] = defaultdict(Counter)
    false_correct = Counter()
    false_any = Counter()
    for r in records:
        res = r["sets"].get(set_name, {})
        for b in res.get("scripted", []):
            per[b["rule"]][b["verdict"]] += 1
        for f in res.get("false", []):
            key = f"{f['rule']} ({'advisory' if f['advisory'] else f['status']})"
            if _unconfirmed(f):
                key += ", unconfirmed: said, not counted"
            false_any[key] += 1
            if not r["breaks"]:
                false_correct[key] += 1
    rows = []
    for rule, c in sorted(per.items()):
        rows.append(
            f"| {set_name} | {rule} | " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())) + " |"
        )
    rows.append(f"| {set_name} | false episodes, correct sessions | {dict(false_correct) or 0} |")
    rows.append(f"| {set_name} | false episodes, all sessions | {dict(false_any) or 0} |")
    return rows


def hold_rows(records: list[dict], set_name: str) -> list[str]:
    """Truth holds (≥ 10 s) against the analyser's: found, both ends within 1 s, flagged."""
    c: Counter = Counter()
    worst = []
    for r in records:
        for h in r["sets"].get(set_name, {}).get("hold_check", []):
            c["truth holds"] += 1
            if not h["found"]:
                c["not found"] += 1
                if h.get("possible"):
                    c["not found, said possibly left out"] += 1
                if h.get("said_as"):
                    c["not found, said as a hold that may have been"] += 1
                worst.append((99.0, r["seed"], "not found"))
                continue
            c["within 1 s"] += h["within_1s"]
            if not h["within_1s"]:
                c["off, another reading within 1 s" if h["said_so"] else "off, not said"] += 1
                off = max(abs(h["d_start_s"]), abs(h["d_end_s"]))
                worst.append((off, r["seed"], "said" if h["said_so"] else "not said"))
    worst.sort(reverse=True)
    text = ", ".join(f"{k} {v}" for k, v in c.items())
    w = "; ".join(f"seed {sd} {o:.1f} s ({how})" for o, sd, how in worst[:4])
    return [f"| {set_name} | {text or '—'} | {w or '—'} |"]


def slider_rows(records: list[dict], set_name: str) -> list[str]:
    """Slider cycles counted against the scripted ones (seated sessions)."""
    out = []
    for r in records:
        res = r["sets"].get(set_name, {})
        if res.get("slider") is not None and res.get("slider_scripted"):
            out.append(f"{r['seed']}: {res['slider'].get('cycles')}/{sum(res['slider_scripted'])}")
    return [f"| {set_name} | {', '.join(out) or '—'} |"]


def summarise_by_exercise(records: list[dict]) -> str:
    """The tables per exercise (records of ``run --round2``), then holds and slider counts."""
    out = []
    for ex in ("supine", "seated", "standing"):
        sub = [r for r in records if r.get("plan", {}).get("exercise", "standing") == ex]
        if sub:
            out += [f"### {ex}", "", summarise(sub), ""]
    sets = sorted({k for r in records for k in r["sets"]})
    out += ["| set | holds (truth ≥ 10 s) | worst |", "|---|---|---|"]
    for s in sets:
        out += hold_rows(records, s)
    out += ["", "| set | slider cycles counted / scripted |", "|---|---|"]
    for s in sets:
        out += slider_rows(records, s)
    return "\n".join(out)


def summarise(records: list[dict]) -> str:
    """Both tables as markdown text."""
    sets = sorted({k for r in records for k in r["sets"]})
    failed = [
        (r["seed"], k, v["cli"]["rc"])
        for r in records
        for k, v in r["sets"].items()
        if v["cli"]["rc"]
    ]
    lengths = [r["length_s"] for r in records]
    out = [
        f"{len(records)} sessions, {min(lengths):.0f}–{max(lengths):.0f} s; "
        f"CLI failures: {failed or 'none'}",
        "",
        "| set | angle | n | median | p95 | worst | worst trusted | trusted over target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in sets:
        out += rmse_rows(records, s)
    out += ["", "| set | rule | scripted breaks / false episodes |", "|---|---|---|"]
    for s in sets:
        out += verdict_rows(records, s)
    return "\n".join(out)


def _target(name: str) -> float:
    """An angle's RMSE target (issue #10): 4° frontal, transverse and spine, else 2°."""
    return TARGET_DEG.get(name.removeprefix("other_"), 2.0)


def _cli_failure(rec: dict, set_name: str, cli: dict) -> str:
    """A CLI run that did not finish: a refusal (a one-line error, exit 2–5) or a crash (exit 1,
    "internal error", a signal or a traceback)."""
    lines = (cli.get("stderr") or "").strip().splitlines()
    crash = cli["rc"] == 1 or cli["rc"] < 0 or any(x.startswith("Traceback") for x in lines)
    kind = "crash" if crash else "refused"
    return f"seed {rec['seed']} {set_name}: {kind}, exit {cli['rc']}: {lines[-1] if lines else ''}"


def _set_failures(rec: dict, set_name: str, res: dict) -> list[str]:
    """The failures of one analysed set against the issue's targets."""
    tag = f"seed {rec['seed']} {set_name}:"
    unc = res.get("uncertain_angles") or {}
    out = [
        f"{tag} trusted {name} {v:.2f}° > {_target(name):g}°"
        for col, v in res.get("rmse_deg", {}).items()
        if col not in unc and (name := _exercised(col, rec["side"])) and v > _target(name)
    ]
    out += [
        f"{tag} missed {b['rule']} (onset {b['onset_s']:.1f} s, episodes from "
        f"{', '.join(f'{s:.1f}' for s in b.get('est_starts', [])) or 'none'})"
        for b in res.get("scripted", [])
        if b["verdict"] == "missed"
    ]
    out += [
        f"{tag} false {'advisory ' if f['advisory'] else ''}{f['rule']} episode "
        f"{f['start_s']:.1f}–{f['end_s']:.1f} s"
        for f in res.get("false", [])
        if not _unconfirmed(f)
    ]
    for t in res.get("tests", []):  # round 4: a marked "nerve or muscle?" test
        what = f"{tag} {t['movement']} test at {t['start_s']:.1f} s"
        est = t["est"] or {}
        if not t["found"]:
            out.append(f"{what} not found")
        elif est.get("remote_change_deg") is not None and est.get("valid") != t["truth_valid"]:
            out.append(f"{what} valid {est.get('valid')}, truth {t['truth_valid']}")
        if t["as_violation"]:
            out.append(f"{what} counted as a violation")
    for h in res.get("hold_check", []):
        if not h["found"] and h.get("said_as"):
            continue  # said, with its times, as a hold that may have been
        if not h["found"]:
            said = h.get("possible")
            out.append(
                f"{tag} truth hold {h['truth'][0]:.1f}–{h['truth'][1]:.1f} s not found"
                + (f" (said: possibly left out, {said[0]:.1f}–{said[1]:.1f} s)" if said else "")
            )
        elif not h["within_1s"] and not h["said_so"]:
            out.append(
                f"{tag} hold off unsaid: start {h['d_start_s']:+.2f} s, end {h['d_end_s']:+.2f} s"
            )
    return out


def failures(records: list[dict]) -> list[str]:
    """One line per failure against the issue's targets: a trusted angle over its target, a
    scripted break missed on a trusted rule, a false episode (advisory ones said so), a truth
    hold not found or more than 1 s off without the report saying so, a CLI refusal or crash.
    Uncertain angles, breaks found on uncertain rules and unconfirmed episodes (said with their
    reason, never counted as a break: an uncertain rule's, or one that hangs on an engagement
    run at about the dwell) are not failures, as in ``bench/population.py``."""
    out = []
    for r in records:
        for name, res in r["sets"].items():
            if res["cli"]["rc"]:
                out.append(_cli_failure(r, name, res["cli"]))
            else:
                out += _set_failures(r, name, res)
    return out


CENSUS_ANGLES = (
    ("thigh_inclination", "thigh incl."),
    ("hip_flexion", "hip flex"),
    ("hip_adduction", "hip add"),
    ("hip_internal_rotation", "hip IR"),
    ("knee_flexion", "knee"),
    ("ankle_dorsiflexion", "ankle"),
    ("pelvis_anterior_tilt", "pelvis tilt"),
    ("lumbar_flexion", "lumbar"),
    ("neck_flexion", "neck"),
)


def _census_cell(vals: list[tuple[float, int, bool]], target: float) -> str:
    """``median / p95 / worst (seed)`` over the trusted values (✗ when the worst is over
    ``target``), then ``unc. ×n ≤ w`` for the uncertain ones."""
    trusted = [x for x in vals if not x[2]]
    unc = [x for x in vals if x[2]]
    parts = []
    if trusted:
        v = np.array([x[0] for x in trusted])
        w = max(trusted)
        mark = " ✗" if w[0] > target else ""
        parts.append(f"{np.median(v):.2f} / {np.percentile(v, 95):.2f} / {w[0]:.2f} ({w[1]}){mark}")
    if unc:
        parts.append(f"unc. ×{len(unc)} ≤ {max(unc)[0]:.2f}")
    return "; ".join(parts) or "—"


def census_table(records: list[dict]) -> list[str]:
    """The census format (docs/accuracy.md, round 14's census): per set, each exercised angle's
    trusted median / p95 / worst and its uncertain ones, and the other leg's worst."""
    out = [
        "| set | n | " + " | ".join(label for _, label in CENSUS_ANGLES) + " | other leg, worst |",
        "|---|---|" + "---|" * (len(CENSUS_ANGLES) + 1),
    ]
    for set_name in sorted({k for r in records for k in r["sets"]}):
        vals: dict[str, list] = defaultdict(list)
        n = 0
        for r in records:
            res = r["sets"].get(set_name, {})
            n += bool(res.get("rmse_deg"))
            unc = res.get("uncertain_angles") or {}
            for col, v in res.get("rmse_deg", {}).items():
                vals[_exercised(col, r["side"])].append((v, r["seed"], col in unc))
        cells = [_census_cell(vals[a], _target(a)) if vals[a] else "—" for a, _ in CENSUS_ANGLES]
        other = [x for k, xs in vals.items() if k.startswith("other_") for x in xs]
        w = max(other) if other else None
        ow = f"{w[0]:.2f} ({w[1]}{', unc.' if w[2] else ''})" if w else "—"
        out.append(f"| {set_name} | {n} | " + " | ".join(cells) + f" | {ow} |")
    return out


def run_rows(records: list[dict], label: str) -> list[str]:
    """One row per set: breaks found, false episodes, holds and CLI refusals (census format)."""
    out = []
    for set_name in sorted({k for r in records for k in r["sets"]}):
        c: Counter = Counter()
        for r in records:
            res = r["sets"].get(set_name)
            if res is None:
                continue
            c["n"] += 1
            rc = res["cli"]["rc"]
            c["refused" if rc not in (0, 1) and rc > 0 else "crashed" if rc else "ok"] += 1
            for b in res.get("scripted", []):
                c[b["verdict"]] += 1
            for f in res.get("false", []):  # an unconfirmed one is said, advisory or not
                kind = "false_adv" if f["advisory"] else "false_gate"
                c["false_said" if _unconfirmed(f) else kind] += 1
            for g in res.get("near_latch", []):  # said, not counted; without a breach: noise
                c["near_latch"] += 1
                c["near_latch_noise"] += not g["breach"]
            for h in res.get("hold_check", []):
                c["holds"] += 1
                key = "not_found" if not h["found"] else "within" if h["within_1s"] else "said"
                key = "unsaid" if key == "said" and not h["said_so"] else key
                key = "said" if key == "not_found" and h.get("said_as") else key
                c[key] += 1
        out.append(
            f"| {label} | {set_name} | {c['n']} | {c['found']}/{c['found'] + c['missed']} "
            f"trusted, {c['uncertain_found']}/{c['uncertain_found'] + c['uncertain_missed']} "
            f"uncertain, {c['not_measured']} not measured, {c['not_reached']} not reached, "
            f"{c['in_gap']} in a dropout, {c['near_latch_said']} said near the latch "
            f"({c['near_latch']} runs near the latch, {c['near_latch_noise']} with no breach) | "
            f"{c['false_gate']} / {c['false_adv']} ({c['false_said']} unconfirmed, said) | "
            f"{c['within']}/{c['holds']} within 1 s, "
            f"{c['said']} said, {c['unsaid']} unsaid, {c['not_found']} not found | "
            f"{c['refused']} / {c['crashed']} |"
        )
    return out


def test_rows(records: list[dict]) -> list[str]:
    """The marked "nerve or muscle?" tests: found, valid on the truth and in the report, the
    remote joint's range and the hip's shift (truth → report), and any counted as a violation."""
    out = [
        "| seed | set | test | truth: range / hip / knee, valid | report: range / hip, valid "
        "| as violation |",
        "|---|---|---|---|---|---|",
    ]
    for r in records:
        for set_name, res in sorted(r["sets"].items()):
            for t in res.get("tests", []):
                e = t["est"] or {}
                rng, hip = e.get("remote_change_deg"), e.get("hip_shift_deg")
                est = f"{_num(rng)} / {_num(hip)}, {e.get('valid')}" if t["found"] else "not found"
                out.append(
                    f"| {r['seed']} | {set_name} | {t['movement']} {t['start_s']:.1f} s | "
                    f"{t['truth_remote_deg']:.1f} / {t['truth_hip_shift_deg']:.1f} / "
                    f"{t['truth_knee_shift_deg']:.1f}, {t['truth_valid']} | {est} | "
                    f"{', '.join(f'{x:.1f}' for x in t['as_violation']) or '—'} |"
                )
    return out


def _num(x) -> str:
    return "—" if x is None else f"{x:.1f}"


ROUND4_STYLES = ("diff_test", "low_step", "door_frame", "strap_slip", "dropout")


def summarise_by_style(records: list[dict], styles: tuple[str, ...] = ROUND4_STYLES) -> str:
    """Round 4's (or 5's) tables: the census table per style, the verdict rows, the marked
    tests."""
    out = []
    rows = []
    for style in styles:
        sub = [r for r in records if r.get("plan", {}).get("style") == style]
        if sub:
            seeds = ", ".join(str(r["seed"]) for r in sub)
            out += [f"**{style}** ({len(sub)} sessions: {seeds})", "", *census_table(sub), ""]
            rows += run_rows(sub, style)
    out += [
        "| style | set | sessions | scripted breaks found | false episodes gating / advisory "
        "(unconfirmed: said, not counted) | holds (truth ≥ 10 s) | refused / crashed |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        *test_rows(records),
    ]
    return "\n".join(out)
