"""Compare stretchguard's outputs (angles.csv, envelope.json) with the generator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: documented edges (docs/envelope.md, standing_hamstring): (column stem, sense, edge, hysteresis)
EDGES = {
    "ankle_dorsiflexion": ("ankle_dorsiflexion_deg", "above", 0.0, 3.0),
    "knee_flexion": ("knee_flexion_deg", "below", 10.0, 3.0),
    "hip_internal_rotation": ("hip_internal_rotation_deg", "above", 10.0, 5.0),
    "hip_adduction": ("hip_adduction_deg", "above", 5.0, 5.0),
    "lumbar_flexion": ("lumbar_flexion_deg", "above", 10.0, 3.0),
    "pelvis_anterior_tilt": ("pelvis_anterior_tilt_deg", "below", -3.0, 3.0),
    "neck_flexion": ("neck_flexion_deg", "above", 15.0, 3.0),
}
ONSET_TOL_S = 1.5  # 0.5 s + the 1-s dwell


def column_for(rule: str, side: str) -> str:
    """The angles.csv column a rule reads."""
    stem = EDGES[rule][0]
    return stem if stem.startswith(("lumbar", "neck", "pelvis")) else f"{side}_{stem}"


def rmse_table(est: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """RMSE (degrees) of every estimated angle column the truth also has, over valid samples."""
    out = {}
    for col in est.columns:
        if col == "t_s" or col not in truth.columns:
            continue
        ref = np.interp(est["t_s"].to_numpy(), truth["t_s"].to_numpy(), truth[col].to_numpy())
        err = est[col].to_numpy() - ref
        ok = np.isfinite(err)
        if ok.sum() > 10:
            out[col] = float(np.sqrt(np.mean(err[ok] ** 2)))
    return out


def past_edge(values: np.ndarray, rule: str) -> np.ndarray:
    """Where an angle is past the rule's edge itself."""
    _, sense, edge, _ = EDGES[rule]
    return values > edge if sense == "above" else values < edge


def truth_engaged(truth: pd.DataFrame, side: str) -> np.ndarray:
    """Standing stretch engagement on the truth: hip ≥ 45° and knee ≤ 60°."""
    return (truth[f"{side}_hip_flexion_deg"].to_numpy() >= 45.0) & (
        truth[f"{side}_knee_flexion_deg"].to_numpy() <= 60.0
    )


def truth_breach_intervals(truth: pd.DataFrame, rule: str, side: str) -> list[tuple[float, float]]:
    """Where the truth is past the edge by half the hysteresis band while engaged, ≥ 1 s."""
    _, sense, edge, hyst = EDGES[rule]
    v = truth[column_for(rule, side)].to_numpy()
    deep = v > edge + hyst / 2 if sense == "above" else v < edge - hyst / 2
    mask = deep & truth_engaged(truth, side)
    t = truth["t_s"].to_numpy()
    runs, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if not m and start is not None:
            if t[i - 1] - t[start] >= 1.0:
                runs.append((float(t[start]), float(t[i - 1])))
            start = None
    if start is not None and t[-1] - t[start] >= 1.0:
        runs.append((float(t[start]), float(t[-1])))
    return runs


def scripted_onsets(truth: pd.DataFrame, events: list[dict], side: str) -> list[dict]:
    """Each scripted break with its truth onset (first crossing of the documented edge)."""
    out = []
    starts = [e for e in events if e["kind"] == "break_start"]
    ends = [e for e in events if e["kind"] == "break_end"]
    t = truth["t_s"].to_numpy()
    for b, e in zip(starts, ends, strict=True):
        rule = b["rule"]
        win = (t >= b["t_s"]) & (t <= e["t_s"])
        past = past_edge(truth[column_for(rule, side)].to_numpy(), rule) & win
        onset = float(t[np.argmax(past)]) if past.any() else None
        out.append({"rule": rule, "start_s": b["t_s"], "end_s": e["t_s"], "onset_s": onset})
    return out


def rule_episodes(env: dict, rule: str) -> tuple[str, list[dict]]:
    """A rule's status and all its episodes (confirmed and unconfirmed)."""
    for r in env["rules"]:
        if r["rule"] == rule:
            eps = list(r.get("episodes", [])) + list(r.get("unconfirmed_episodes", []))
            return r["status"], eps
    return "absent", []


def judge_breaks(env: dict, onsets: list[dict]) -> list[dict]:
    """Whether each scripted break was found (one episode starting within 1.5 s of onset)."""
    out = []
    uncertain_rules = {
        u.get("rule") if isinstance(u, dict) else u for u in env.get("uncertain", []) or []
    }
    for b in onsets:
        status, eps = rule_episodes(env, b["rule"])
        hits = [
            ep
            for ep in eps
            if b["onset_s"] is not None and abs(ep["start_s"] - b["onset_s"]) <= ONSET_TOL_S
        ]
        over = [
            ep
            for ep in eps
            if ep["start_s"] < b["end_s"] + 1.0 and ep["end_s"] > b["start_s"] - 1.0
        ]
        if status == "not_measured" or status == "absent":
            verdict = "not_measured"
        elif status == "uncertain" or b["rule"] in uncertain_rules:
            verdict = "uncertain_found" if hits else "uncertain_missed"
        else:
            verdict = "found" if hits else "missed"
        out.append(
            {
                **b,
                "status": status,
                "verdict": verdict,
                "n_overlapping": len(over),
                "est_starts": [ep["start_s"] for ep in over],
            }
        )
    return out


def false_episodes(env: dict, truth: pd.DataFrame, side: str) -> list[dict]:
    """Estimated episodes with no truth breach (past the edge while engaged) within 1.5 s."""
    out = []
    t = truth["t_s"].to_numpy()
    for r in env["rules"]:
        rule = r["rule"]
        if rule not in EDGES or column_for(rule, side) not in truth.columns:
            continue
        near = past_edge(truth[column_for(rule, side)].to_numpy(), rule) & truth_engaged(
            truth, side
        )
        for kind in ("episodes", "unconfirmed_episodes"):
            for ep in r.get(kind, []):
                win = (t >= ep["start_s"] - ONSET_TOL_S) & (t <= ep["end_s"] + ONSET_TOL_S)
                if not near[win].any():
                    out.append(
                        {
                            "rule": rule,
                            "kind": kind,
                            "status": r["status"],
                            "advisory": r.get("advisory"),
                            "start_s": ep["start_s"],
                            "end_s": ep["end_s"],
                            "peak_deg": ep.get("peak_deg"),
                        }
                    )
    return out
