"""Compare stretchguard's outputs (angles.csv, envelope.json) with the generator's truth."""

from __future__ import annotations

import itertools

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
#: the other profiles' edges (docs/envelope.md "The exercises"; hysteresis: the defaults, 3°
#: sagittal and 5° frontal/transverse, as the table does not say otherwise)
PROFILE_EDGES = {
    "standing": EDGES,
    "supine": {**EDGES, "pelvis_anterior_tilt": ("pelvis_anterior_tilt_deg", "below", -100.0, 3.0)},
    "seated": {
        "ankle_dorsiflexion": ("ankle_dorsiflexion_deg", "above", 20.0, 3.0),
        "knee_flexion": EDGES["knee_flexion"],
        "hip_internal_rotation": EDGES["hip_internal_rotation"],
        "hip_adduction": EDGES["hip_adduction"],
        "lumbar_flexion": EDGES["lumbar_flexion"],
        "neck_flexion": ("neck_flexion_deg", "above", 20.0, 3.0),
    },
}
#: rules that neither set the verdict nor break a hold, per exercise
ADVISORY = {
    "standing": {"hip_internal_rotation", "hip_adduction"},
    "supine": {"hip_internal_rotation", "hip_adduction"},
    "seated": {"hip_internal_rotation", "hip_adduction", "ankle_dorsiflexion", "neck_flexion"},
}
PROFILE_NAME = {
    "standing": "standing_hamstring",
    "supine": "supine_hamstring",
    "seated": "seated_slider",
}
ONSET_TOL_S = 1.5  # 0.5 s + the 1-s dwell


def column_for(rule: str, side: str) -> str:
    """The angles.csv column a rule reads."""
    stem = EDGES.get(rule, PROFILE_EDGES["supine"].get(rule))[0]
    return stem if stem.startswith(("lumbar", "neck", "pelvis")) else f"{side}_{stem}"


def hold_gaps(events: list[dict], placements: tuple[str, ...], side: str) -> list[dict]:
    """The dropouts that break the truth's holds: a sensor of the analysed set that the
    exercised leg's and the spine's rules read (round 7: a gap in the other leg's sensor, which
    no rule of the exercised side reads, leaves the hold whole)."""
    other = "left_" if side == "right" else "right_"
    return [
        e
        for e in events
        if e["kind"] == "dropout"
        and e["sensor"] in placements
        and not e["sensor"].startswith(other)
    ]


def rmse_table(est: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """RMSE (degrees) of every estimated angle column the truth also has, over valid samples."""
    out = {}
    for col in est.columns:
        if col == "t_s" or col not in truth.columns:
            continue
        ref = np.interp(
            est["t_s"].to_numpy(),
            truth["t_s"].to_numpy(),
            np.unwrap(truth[col].to_numpy(), period=360.0),
        )
        # the analyser's angles run on past ±180° (a thigh raised past vertical lying reads
        # 183°), the truth's Euler angles wrap: compare on the circle
        err = (est[col].to_numpy() - ref + 180.0) % 360.0 - 180.0
        ok = np.isfinite(err)
        if ok.sum() > 10:
            out[col] = float(np.sqrt(np.mean(err[ok] ** 2)))
    return out


def past_edge(values: np.ndarray, rule: str, exercise: str = "standing") -> np.ndarray:
    """Where an angle is past the rule's edge itself."""
    _, sense, edge, _ = PROFILE_EDGES[exercise][rule]
    return values > edge if sense == "above" else values < edge


def engagement_angle(
    truth: pd.DataFrame, side: str, exercise: str = "standing", thigh: bool = False
) -> np.ndarray:
    """The angle that engages and times the stretch on the truth (docs/envelope.md): hip
    flexion, standing with a tucked pelvis added back (``through_tuck``); the thigh's
    inclination when no pelvis sensor is worn (``thigh``), unwrapped: a raised leg lying that
    goes past the vertical reads 182°, not −178° (round 6's 2804: the wrap ended a hold)."""
    if thigh:
        incl = truth[f"{side}_thigh_inclination_deg"].to_numpy(dtype=float).copy()
        ok = np.isfinite(incl)  # a NaN would carry into every later sample's unwrap
        incl[ok] = np.degrees(np.unwrap(np.radians(incl[ok])))
        return incl
    hip = truth[f"{side}_hip_flexion_deg"].to_numpy()
    if exercise == "standing":
        return hip - np.minimum(truth["pelvis_anterior_tilt_deg"].to_numpy(), 0.0)
    return hip


def truth_engaged(
    truth: pd.DataFrame, side: str, exercise: str = "standing", thigh: bool = False
) -> np.ndarray:
    """Engagement on the truth: standing hip ≥ 45° and knee ≤ 60°; supine hip ≥ 40° and
    pelvis ≤ −60°; seated hip ≥ 60°. Without a pelvis sensor (``thigh``): thigh inclination
    ≥ 45°, 130° or 60°, the pelvis condition not measured."""
    ang = engagement_angle(truth, side, exercise, thigh)
    if exercise == "supine":
        if thigh:
            return ang >= 130.0
        return (ang >= 40.0) & (truth["pelvis_anterior_tilt_deg"].to_numpy() <= -60.0)
    if exercise == "seated":
        return ang >= 60.0
    return (ang >= 45.0) & (truth[f"{side}_knee_flexion_deg"].to_numpy() <= 60.0)


def scripted_onsets(
    truth: pd.DataFrame, events: list[dict], side: str, exercise: str = "standing"
) -> list[dict]:
    """Each scripted break with its truth onset (the first crossing of the documented edge in
    the break's window), ``run_start_s`` (where the truth's run past the edge that holds that
    crossing begins, or the documented latch's breach holding it, :func:`truth_onset`, if that
    began earlier: the documented extent, docs/envelope.md "How a session is judged" 4, when
    the person was already past the edge as the break began) and ``breach`` (whether the
    documented latch breaks the rule on the truth within the window: half the band past the
    edge for the 1-s dwell; a break that passes the edge by less is none)."""
    out = []
    starts = [e for e in events if e["kind"] == "break_start"]
    ends = [e for e in events if e["kind"] == "break_end"]
    t = truth["t_s"].to_numpy()
    n_dwell = max(int(1.0 / np.median(np.diff(t))), 1) if len(t) > 1 else 1  # as truth_holds
    # a recording cut at exactly 1 min may stop inside a break: it ends with the recording
    ends += [{"t_s": float(t[-1])}] * (len(starts) - len(ends))
    for b, e in zip(starts, ends, strict=True):
        rule = b["rule"]
        values = truth[column_for(rule, side)].to_numpy()
        win = (t >= b["t_s"]) & (t <= e["t_s"])
        past_all = past_edge(values, rule, exercise)
        past = past_all & win
        onset = run_start = None
        if past.any():
            i = int(np.argmax(past))
            onset = float(t[i])
            latched = truth_onset(values, rule, exercise, i, n_dwell)
            while i > 0 and past_all[i - 1]:
                i -= 1
            run_start = float(t[min(i, latched)])
        breach = bool((truth_breach(values, rule, exercise, n_dwell) & win).any())
        out.append(
            {
                "rule": rule,
                "start_s": b["t_s"],
                "end_s": e["t_s"],
                "onset_s": onset,
                "run_start_s": run_start,
                "breach": breach,
            }
        )
    return out


def rule_episodes(env: dict, rule: str) -> tuple[str, list[dict]]:
    """A rule's status and all its episodes (confirmed and unconfirmed)."""
    for r in env["rules"]:
        if r["rule"] == rule:
            eps = list(r.get("episodes", [])) + list(r.get("unconfirmed_episodes", []))
            return r["status"], eps
    return "absent", []


def confirmed_episodes(env: dict, rule: str) -> list[dict]:
    """A rule's confirmed episodes (``episodes``, not ``unconfirmed_episodes``)."""
    return next((list(r.get("episodes", [])) for r in env["rules"] if r["rule"] == rule), [])


def near_latch_of(env: dict, rule: str) -> list[dict]:
    """A rule's runs near its latch point (``near_latch_runs``: past the edge, short of the
    point where a breach counts, within the angle's precision of it); empty when none."""
    return next((list(r.get("near_latch_runs", [])) for r in env["rules"] if r["rule"] == rule), [])


def _grazing_only(env: dict, rule: str) -> bool:
    """Whether a rule is uncertain only for its runs near the latch point (its angle trusted)."""
    r = next((r for r in env["rules"] if r["rule"] == rule), {})
    unc = env.get("uncertain_angles") or {}
    return bool(r.get("near_latch_runs")) and r.get("column") not in unc


def judge_breaks(env: dict, onsets: list[dict]) -> list[dict]:
    """Whether each scripted break was found (one episode starting within 1.5 s of its onset,
    or of the start of the truth's run past the edge that the onset lies in); ``not_reached``
    when the truth never passes the rule's edge during the break, or passes it by less than the
    documented latch calls a breach (a scripted movement too small to violate: nothing to find,
    not a miss). On a rule not uncertain, a break only an unconfirmed episode shows is
    ``uncertain_found`` (said, not counted). A break no episode shows on a rule whose angle is
    trusted is ``near_latch_said`` (said, not counted) when one of the rule's runs near the
    latch point overlaps the break's window in time, else ``missed``: the run's doubt says
    nothing about a time it does not cover."""
    out = []
    uncertain_rules = {
        u.get("rule") if isinstance(u, dict) else u for u in env.get("uncertain", []) or []
    }
    for b in onsets:
        status, eps = rule_episodes(env, b["rule"])
        starts = [x for x in (b["onset_s"], b.get("run_start_s")) if x is not None]
        hits = [ep for ep in eps if any(abs(ep["start_s"] - x) <= ONSET_TOL_S for x in starts)]
        # a judged rule's unconfirmed episode (one that hangs on an engagement run at about the
        # dwell) says the break, but does not count it: found only on a confirmed one
        sure = [ep for ep in hits if ep in confirmed_episodes(env, b["rule"])]
        over = [
            ep
            for ep in eps
            if ep["start_s"] < b["end_s"] + 1.0 and ep["end_s"] > b["start_s"] - 1.0
        ]
        grazed = [
            g
            for g in near_latch_of(env, b["rule"])
            if g["start_s"] < b["end_s"] and g["end_s"] > b["start_s"]
        ]
        if b["onset_s"] is None or not b.get("breach", True):  # no violation to find
            verdict = "not_reached"
        elif status == "not_measured" or status == "absent":
            verdict = "not_measured"
        elif not hits and _grazing_only(env, b["rule"]):
            verdict = "near_latch_said" if grazed else "missed"
        elif status == "uncertain" or b["rule"] in uncertain_rules:
            verdict = "uncertain_found" if hits else "uncertain_missed"
        elif hits and not sure:
            verdict = "uncertain_found"
        else:
            verdict = "found" if hits else "missed"
        out.append(
            {
                **b,
                "status": status,
                "verdict": verdict,
                "n_overlapping": len(over),
                "near_latch": [[g["start_s"], g["end_s"]] for g in grazed],
                "est_starts": [ep["start_s"] for ep in over],
            }
        )
    return out


def false_episodes(
    env: dict, truth: pd.DataFrame, side: str, exercise: str = "standing"
) -> list[dict]:
    """Estimated episodes with no truth breach (past the edge while engaged) within 1.5 s."""
    out = []
    t = truth["t_s"].to_numpy()
    edges = PROFILE_EDGES[exercise]
    for r in env["rules"]:
        rule = r["rule"]
        if rule not in edges or column_for(rule, side) not in truth.columns:
            continue
        near = past_edge(truth[column_for(rule, side)].to_numpy(), rule, exercise) & truth_engaged(
            truth, side, exercise
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


def near_latch_truth(
    env: dict, truth: pd.DataFrame, side: str, exercise: str = "standing"
) -> list[dict]:
    """Each rule's run near its latch point (``near_latch_runs``) against the truth: the
    truth's closest approach to the latch point in the run (its most outward value,
    ``truth_closest_deg``; ``truth_past_latch_deg`` how far past that point, negative when
    short of it) and ``breach`` (whether the documented latch breaks the rule on the truth
    within the run, :func:`truth_breach`). A run with no breach on a session's correct rule is
    the price of saying such runs: a doubt the truth did not need."""
    out = []
    t = truth["t_s"].to_numpy()
    n_dwell = max(int(1.0 / np.median(np.diff(t))), 1) if len(t) > 1 else 1
    edges = PROFILE_EDGES[exercise]
    for r in env["rules"]:
        rule = r["rule"]
        runs = r.get("near_latch_runs", [])
        if not runs or rule not in edges or column_for(rule, side) not in truth.columns:
            continue
        _, sense, edge, hyst = edges[rule]
        sign = 1.0 if sense == "above" else -1.0
        values = truth[column_for(rule, side)].to_numpy()
        broken = truth_breach(values, rule, exercise, n_dwell)
        for g in runs:
            win = (t >= g["start_s"]) & (t < g["end_s"])
            past = sign * (values[win] - (edge + sign * hyst / 2))
            worst = float(np.max(past)) if past.size else float("nan")
            out.append(
                {
                    "rule": rule,
                    "status": r["status"],
                    "start_s": g["start_s"],
                    "end_s": g["end_s"],
                    "closest_deg": g["closest_deg"],
                    "latch_deg": g["latch_deg"],
                    "truth_closest_deg": edge + sign * hyst / 2 + sign * worst,
                    "truth_past_latch_deg": worst,
                    "breach": bool(broken[win].any()),
                }
            )
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index runs [a, b) where ``mask`` is true."""
    d = np.diff(np.concatenate(([0], mask.astype(int), [0])))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def _bridge(mask: np.ndarray, fill: bool, n_max: int) -> np.ndarray:
    """``mask`` with runs of ``not fill`` shorter than ``n_max`` samples between runs of
    ``fill`` set to ``fill``."""
    out = mask.copy()
    inv = out != fill
    for a, b in _runs(inv):
        if a > 0 and b < len(out) and b - a < n_max:
            out[a:b] = fill
    return out


def truth_breach(values: np.ndarray, rule: str, exercise: str, n_dwell: int) -> np.ndarray:
    """Where a rule is broken on the truth, by the documented latch (docs/envelope.md "How a
    session is judged" 2–4): a breach starts once the angle is half the hysteresis band past
    the edge and ends once it is half the band back inside; a change of state counts only
    when the new state lasts ``n_dwell`` samples (shorter runs take the last counted state);
    each breach's extent is the time past the edge itself, widened back to the last sample
    not past it and forward to the last sample past it. (Before round 17 a breach ended
    wherever the angle came back inside the edge itself: a person hovering within the band
    had holds and onsets the documented latch, and the analyser, do not.)"""
    _, sense, edge, hyst = PROFILE_EDGES[exercise][rule]
    sign = 1.0 if sense == "above" else -1.0
    over = sign * (np.asarray(values, dtype=float) - edge)  # > 0: past the edge
    state = np.zeros(len(over), bool)
    on = False
    for i, x in enumerate(over):
        on = x > hyst / 2 if not on else not x < -hyst / 2
        state[i] = on
    latched = _debounced(state, n_dwell)
    past = over > 0
    out = np.zeros(len(over), bool)
    for a, b in _runs(latched):
        while a > 0 and past[a - 1]:
            a -= 1
        inside = np.flatnonzero(past[a:b])
        if inside.size:
            out[a : a + inside[-1] + 1] = True
    return out


def _debounced(state: np.ndarray, n_dwell: int) -> np.ndarray:
    """``state`` with each run shorter than ``n_dwell`` samples given the state of the last run
    that lasted (the first runs, before any lasted: not breached)."""
    out = np.zeros(len(state), bool)
    counted = False
    start = 0
    for i in range(1, len(state) + 1):
        if i < len(state) and state[i] == state[start]:
            continue
        if i - start >= n_dwell:
            counted = bool(state[start])
        out[start:i] = counted
        start = i
    return out


def truth_onset(values: np.ndarray, rule: str, exercise: str, first_past: int, n_dwell: int) -> int:
    """Where the truth's breach holding sample ``first_past`` starts by the documented latch
    (:func:`truth_breach`): ``first_past`` itself when the latch has no breach there (a
    crossing too short or too shallow), an earlier sample when a breach the person hovered
    in was already open (stranger seed 1599: the pelvis within the band from 170 s, the
    scripted tuck at 173.4 s)."""
    breach = truth_breach(values, rule, exercise, n_dwell)
    if not breach[first_past]:
        return first_past
    a = first_past
    while a > 0 and breach[a - 1]:
        a -= 1
    return a


def truth_holds(
    truth: pd.DataFrame,
    side: str,
    exercise: str,
    gating: set[str],
    dwell_s: float = 1.0,
    thigh: bool = False,
    gaps: list[tuple[float, float]] = (),
) -> list[tuple[float, float]]:
    """Holds on the truth by the documented definition (docs/envelope.md "Holds"): engaged,
    no gating rule (of ``gating``, the ones the set measures) past its edge, the engagement
    angle still — a movement is a run of its rate (smoothed over 0.5 s) above 2.5 °/s, pauses
    under the dwell joined, that passes 5 °/s; interruptions under the dwell bridged.
    ``gaps``: [start, end) windows where a sensor the set's gating angles need sends nothing
    ("every gating angle measured")."""
    t = truth["t_s"].to_numpy()
    fs = 1.0 / np.median(np.diff(t))
    ang = engagement_angle(truth, side, exercise, thigh)
    rate = np.abs(np.gradient(ang, t))
    n = max(round(0.5 * fs), 1)
    rate = np.convolve(rate, np.ones(n) / n, mode="same")
    # runs above 2.5 °/s with the pauses under the dwell between them joined, then kept when
    # they pass 5 °/s somewhere (a lean peaking under 5 °/s that runs on into the leg coming
    # down is one movement)
    moving = np.zeros(len(t), bool)
    for a, b in _runs(_bridge(rate > 2.5, True, int(dwell_s * fs))):
        if rate[a:b].max() > 5.0:
            moving[a:b] = True
    ok = truth_engaged(truth, side, exercise, thigh) & ~moving
    for rule in gating:
        col = column_for(rule, side)
        if col in truth.columns:
            ok &= ~truth_breach(truth[col].to_numpy(), rule, exercise, int(dwell_s * fs))
    for g0, g1 in gaps:
        ok &= (t < g0) | (t >= g1)
    ok = _bridge(ok, True, int(dwell_s * fs))
    return [(float(t[a]), float(t[b - 1])) for a, b in _runs(ok) if t[b - 1] - t[a] >= 1.0]


#: the rules a sensor out leaves unjudged (round 4's dropout): a pelvis or thigh out takes the
#: hip flexion that engages the stretch, so nothing is judged; the shank's and the foot's
#: take their own joints
GAP_RULES = {
    "pelvis": None,
    "thigh": None,
    "shank": {"knee_flexion", "ankle_dorsiflexion"},
    "foot": {"ankle_dorsiflexion"},
}


def breaks_in_gaps(scripted: list[dict], dropouts: list[dict]) -> list[dict]:
    """``judge_breaks``'s verdicts with a break whose truth onset lies in a dropout of a sensor
    its rule needs (``GAP_RULES``) set to ``in_gap``: the rows are missing, nothing to find."""
    out = []
    for b in scripted:
        for d in dropouts:
            rules = GAP_RULES.get(d["sensor"].split("_")[-1])
            onset = b["onset_s"]
            if (
                onset is not None
                and d["t_s"] <= onset < d["end_s"]
                and (rules is None or b["rule"] in rules)
            ):
                b = {**b, "verdict": "in_gap"}
        out.append(b)
    return out


def judge_tests(env: dict, truth: pd.DataFrame, events: list[dict], side: str) -> list[dict]:
    """Each "nerve or muscle?" test the person marked (round 4) against the analyser's
    ``differentiation[]`` and its episodes. On the truth, between the marks, as
    docs/envelope.md "Marks" defines it: the remote joint's range, the hip's and the knee's
    largest departure from their start, valid when ≥ 10° and ≤ 5°, 5°. ``as_violation``: the
    test's own rule has a (confirmed) episode within the marks (1 s before, 2 s after), which
    the docs list as ``test_episodes`` instead."""
    t = truth["t_s"].to_numpy()
    starts = [e for e in events if e["kind"] == "diff_start" and e.get("marked")]
    ends = [e for e in events if e["kind"] == "diff_end" and e.get("marked")]
    out = []
    for a, b in zip(starts, ends, strict=False):
        win = (t >= a["t_s"]) & (t <= b["t_s"])
        col = "neck_flexion_deg" if a["movement"] == "neck" else f"{side}_ankle_dorsiflexion_deg"
        remote = truth[col].to_numpy()[win]
        shift = {
            j: float(np.abs(v - v[0]).max())
            for j in ("hip_flexion", "knee_flexion")
            if len(v := truth[f"{side}_{j}_deg"].to_numpy()[win])
        }
        rule = "neck_flexion" if a["movement"] == "neck" else "ankle_dorsiflexion"
        _, eps = rule_episodes({"rules": env["rules"]}, rule)
        confirmed = next((r.get("episodes", []) for r in env["rules"] if r["rule"] == rule), [])
        est = [
            d
            for d in env.get("differentiation", []) or []
            if abs(d.get("start_s", -99.0) - a["t_s"]) <= 0.5
        ]
        truth_valid = bool(np.ptp(remote) >= 10.0 and max(shift.values()) <= 5.0)
        out.append(
            {
                "movement": a["movement"],
                "start_s": a["t_s"],
                "end_s": b["t_s"],
                "truth_remote_deg": float(np.ptp(remote)),
                "truth_hip_shift_deg": shift["hip_flexion"],
                "truth_knee_shift_deg": shift["knee_flexion"],
                "truth_valid": truth_valid,
                "found": bool(est),
                "est": est[0] if est else None,
                "as_violation": [
                    ep["start_s"]
                    for ep in confirmed
                    if ep["start_s"] < b["t_s"] + 2.0 and ep["end_s"] > a["t_s"] - 1.0
                ],
                "n_episodes_any": len(eps),
            }
        )
    return out


def judge_holds(env: dict, truth_h: list[tuple[float, float]]) -> list[dict]:
    """Each truth hold of ≥ 10 s against the estimated hold that overlaps it most: start and
    end differences (s), and whether a reading the report gives (timing alternatives, a
    conditional hold's sure parts, the parts it leaves under another calibration reading)
    comes within 1 s. A hold not found that a possible stretch (``possible_stretches``: left
    out by an uncertain reading) covers to within 1 s gives that span as ``possible``; one
    that a possible hold (``possible_holds``: a hold only with borderline episodes inside,
    "for all that time or part of it") contains to within 1 s, or a hold a possible stretch
    would have had (``possible_stretches[].holds``) times to within 1 s at both ends, gives
    that hold as ``said_as``. A conditional hold's ``unmeasured_runs`` (an uncertain gating
    rule's angle without data) split it as its unconfirmed episodes do.
    A borderline reading of a found hold says its edges lie anywhere between the hold as read
    and that reading (the episode inside for part of its time): a truth hold whose start and
    end each lie in that range, to within 1 s, is said too, as is a hold the report says it
    cannot time (``timing_unknown``)."""
    out = []
    for a, b in truth_h:
        if b - a < 10.0:
            continue
        best, ov = None, 0.0
        for h in env.get("holds", []):
            o = min(b, h["end_s"]) - max(a, h["start_s"])
            if o > ov:
                best, ov = h, o
        if best is None:
            # the report may say a stretch was possibly left out there (an uncertain reading)
            said = [
                [p["start_s"], p["end_s"]]
                for p in env.get("possible_stretches", [])
                if p["start_s"] <= a + 1.0 and p["end_s"] >= b - 1.0
            ]
            held = [
                [p["start_s"], p["end_s"]]
                for p in env.get("possible_holds", [])
                if p["start_s"] - 1.0 <= a and b <= p["end_s"] + 1.0
            ]
            # … or time the holds it would have had, were it a stretch
            held += [
                [h["start_s"], h["end_s"]]
                for p in env.get("possible_stretches", [])
                for h in p.get("holds") or []
                if abs(h["start_s"] - a) <= 1.0 and abs(h["end_s"] - b) <= 1.0
            ]
            out.append(
                {
                    "truth": [a, b],
                    "found": False,
                    "possible": said[0] if said else None,
                    "said_as": held[0] if held else None,
                }
            )
            continue
        ds, de = best["start_s"] - a, best["end_s"] - b
        alts = [(x["start_s"], x["end_s"]) for x in best.get("timing_alternatives", [])]
        # a reading that splits the hold gives each of its holds
        alts += [
            tuple(p) for x in best.get("timing_alternatives", []) for p in x.get("parts") or []
        ]
        # a conditional hold says it would break at an uncertain rule's episode, whichever of
        # its readings holds: the hold as read and each timing alternative break there
        spans = [(best["start_s"], best["end_s"])] + [
            (x["start_s"], x["end_s"])
            for x in best.get("timing_alternatives", [])
            if x.get("start_s") is not None and x.get("end_s") is not None
        ]
        # an uncertain gating rule's angle without data (``unmeasured_runs``) splits the hold
        # as its episode would: the report says the hold may have ended there
        eps = sorted(
            [*best.get("unconfirmed_episodes", []), *best.get("unmeasured_runs", [])],
            key=lambda ep: ep["start_s"],
        )
        for ep in eps:
            alts += [(s0, ep["start_s"]) for s0, _ in spans if s0 < ep["start_s"]]
            alts += [(ep["end_s"], e0) for _, e0 in spans if e0 > ep["end_s"]]
        # … and, broken at each of them, the parts between two of them
        alts += [
            (a["end_s"], b["start_s"])
            for a, b in itertools.pairwise(eps)
            if a["end_s"] < b["start_s"]
        ]
        # … or end at a run near a trusted rule's latch point (a break the reading cannot rule
        # out): the hold as read and each timing alternative split there
        for run in best.get("near_latch_runs") or []:
            alts += [(s0, run["start_s"]) for s0, _ in spans if s0 < run["start_s"]]
            alts += [(run["end_s"], e0) for _, e0 in spans if e0 > run["end_s"]]
        # … or, under another calibration of that rule's angle, leave these parts
        alts += [tuple(p) for r in best.get("other_readings") or [] for p in r["parts"]]
        said = any(
            s is not None and e is not None and abs(s - a) <= 1.0 and abs(e - b) <= 1.0
            for s, e in alts
        )
        said |= any(
            _in_range(a, best["start_s"], x["start_s"]) and _in_range(b, best["end_s"], x["end_s"])
            for x in best.get("timing_alternatives", [])
            if x.get("borderline_episodes") and x.get("start_s") is not None
        )
        # an uncertain engagement angle: "may start or end a second or two off"
        said |= bool(env.get("hold_timing_doubt")) and max(abs(ds), abs(de)) <= 2.0
        # "its start and end are not known to within a second": the engagement angle's rate
        # has no established scale (the population bench counts it as said too)
        said |= bool(best.get("timing_unknown"))
        out.append(
            {
                "truth": [a, b],
                "found": True,
                "est": [best["start_s"], best["end_s"]],
                "d_start_s": ds,
                "d_end_s": de,
                "within_1s": abs(ds) <= 1.0 and abs(de) <= 1.0,
                "said_so": said,
                "flagged": bool(best.get("timing_flagged") or best.get("conditional")),
            }
        )
    return out


def _in_range(x: float, one: float, other: float) -> bool:
    """Whether ``x`` lies between ``one`` and ``other`` (either order), to within 1 s."""
    return min(one, other) - 1.0 <= x <= max(one, other) + 1.0
