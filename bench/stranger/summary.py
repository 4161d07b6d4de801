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
