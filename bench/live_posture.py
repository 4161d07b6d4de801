"""The live path against the offline pipeline on sessions where the person lies or sits.

    .venv/bin/python bench/live_posture.py [--people 2,11,35|150-159] [--length "10 min",...]
        [--set full,...] [--variants live_stand,live_once,live] [--tick-s 1.0] [--cues] [--holds]
        [--out-json PATH]

Each population session (``analysis.simulation.population``) is fed to
``LiveAnglePipeline`` as a live session would: every ``--tick-s`` of session time the samples
that arrived are pushed and ``step()`` is called; ``calibrate()`` once the protocol's
movements are over (their end + 0.5 s). The same recording goes through ``analyse_recording``
with the options ``stretchguard analyse`` uses. Per angle, RMSE (deg) against the truth over
the rows the live path returned (everything after its calibration) and over the lying rows
among them (true pelvis tilt below −60°), for:

* ``offline``: the offline pipeline;
* ``live_stand``: the live pipeline with its stand anchors only (``posture_anchors=False``);
* ``live_once``: the live pipeline calibrated once (no re-decisions);
* ``live``: the live pipeline as ``stretchguard live`` runs it (posture anchors on, the
  calibration re-decided, ``analysis.angles.live_redecide``);
* ``live_exact``: as ``live``, with every raw sample kept for the re-decisions instead of
  the compact history (``RedecidingPipeline(exact_history=True)``);
* ``live_960``: as ``live_exact``, re-decided only up to :data:`SHORT_AFTER_S` after the
  calibration (the schedule before the compact history).

Also per angle the RMSE over the rows the live path showed as confident and how many of them
were more than 4° off, and per live run its CPU time per session second (the re-decisions'
background work included) and what it held every :data:`MEMORY_EVERY_S` of session.

``--holds``: the holds the live envelope showed (each as last timed, its other readings
included), with and without the live pipeline's ``rate_mixing``, against the offline
report's (:func:`hold_check`).

``--cues``: the cues ``stretchguard live`` would say — the live envelope
(``analysis.envelope.monitor.EnvelopeMonitor``, the person's profile and side, told the
uncertain angles of the calibration in force) fed the angles of each step — against the
offline report's episodes and against the truth's: missed, extra, late (:func:`match_cues`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _seeds import parse_seed_spec

from analysis.angles.live_redecide import RedecidingPipeline
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.envelope.checker import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile, measured_column_for
from analysis.recording.streams import CalibrationWindows
from analysis.recording.targets import RMSE_TARGET_DEG
from analysis.simulation.population import PopulationSession, generate_person, generate_session

FloatArray = NDArray[np.float64]
LENGTHS = {"1 min": None, "10 min": 600.0, "1 h": 3600.0}
LYING_TILT_DEG = -60.0
"""Rows whose true pelvis tilt is below this are counted as lying."""
VARIANTS = ("live_stand", "live_once", "live", "live_exact", "live_960")
SHORT_AFTER_S = 960.0
"""``live_960``: re-decisions up to this long after the calibration (``live``: the default)."""
REDECIDING = ("live", "live_exact", "live_960")
TARGET_DEG = RMSE_TARGET_DEG
"""Per angle (column without side and unit) the issue's RMSE target; the others 4°."""


def target_deg(column: str) -> float:
    """The RMSE target (deg) of an angle column: 2° or 4° (``TARGET_DEG``)."""
    name = column.removesuffix("_deg").removeprefix("left_").removeprefix("right_")
    return TARGET_DEG.get(name, 4.0)


def feed(live: RedecidingPipeline, streams: Mapping[str, Any], pos: dict[str, int], now: float):
    """Push every stream's samples up to ``now`` (s) not pushed yet."""
    for p, s in streams.items():
        j = int(np.searchsorted(s.t_s, now, side="right"))
        if j > pos[p]:
            live.push(p, s.t_s[pos[p] : j], s.acc_m_s2[pos[p] : j], s.gyr_rad_s[pos[p] : j])
            pos[p] = j


MEMORY_EVERY_S = 300.0
"""Session seconds between two memory samples of a live run (:func:`held_mb`)."""


def held_mb(live: RedecidingPipeline) -> dict[str, float]:
    """What a live run holds now (MB): the raw samples kept for the re-decisions, the grid
    rows the pipeline in force holds (6 floats each), and the process's resident set."""
    raw = live.history_bytes()
    rss = Path("/proc/self/statm")
    pages = int(rss.read_text().split()[1]) if rss.exists() else 0
    return {
        "raw_mb": raw / 1e6,
        "rows_mb": live.held_rows() * 48 / 1e6,
        "rss_mb": pages * 4096 / 1e6,
    }


def run_live(
    ses: PopulationSession,
    *,
    posture: bool,
    tick_s: float,
    redecide: bool = False,
    last_after_s: float | None = None,
    exact_history: bool = False,
) -> tuple[FloatArray, dict[str, FloatArray], list[tuple[FloatArray, dict[str, FloatArray]]], Any]:
    """Angles of the live pipeline fed in ``tick_s`` steps: times, columns, the steps, and
    the pipeline (its calibration and re-decisions, ``RedecidingPipeline``).

    The pipeline also carries what the run cost (``bench_cost``: CPU seconds of the whole
    process, re-decisions included, per session second fed; memory samples every
    :data:`MEMORY_EVERY_S`) and, per step, how many re-decisions were known after it
    (``bench_known``: what the live envelope would judge the step's rows by).
    """
    streams = ses.recording().streams
    # the guided protocol knows its windows (a recording's sidecar may not have them)
    cal = CalibrationWindows(static_s=ses.static_s, functional_s=ses.functional_s)
    extra: dict[str, Any] = {} if last_after_s is None else {"last_after_s": last_after_s}
    live = RedecidingPipeline(
        streams,
        rate_hz=100.0,
        t0_s=0.0,
        posture_anchors=posture,
        redecide=redecide,
        exact_history=exact_history,
        **extra,
    )
    end = max(float(s.t_s[-1]) for s in streams.values())
    cal_at = cal.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    steps, known, memory, provisional, doubts = [], [], [], [], []
    cpu0, next_mem = time.process_time(), 0.0
    for now in np.union1d(np.arange(0.0, end, tick_s), [cal_at, end + 1e-6]):
        feed(live, streams, pos, now)
        out = live.step(wait=True)
        if out is not None and out.columns:
            steps.append((out.t_s, out.columns, out.rate_mixing))
            known.append(len(live.switches))
            provisional.append(dict(getattr(live, "provisional", {})))
            doubts.append(
                (
                    dict(getattr(live, "session_doubts", {})),
                    dict(getattr(live, "timed_words", {})),
                    dict(getattr(out, "doubt_bounds", {})),
                )
            )
        if not live.calibrated and now >= cal_at:
            live.calibrate(cal)
        if now >= next_mem:
            memory.append({"t_s": float(now), **held_mb(live)})
            next_mem += MEMORY_EVERY_S
    memory.append({"t_s": float(end), **held_mb(live)})
    cpu = time.process_time() - cpu0
    t = np.concatenate([s[0] for s in steps])
    cols = {c: np.concatenate([s[1][c] for s in steps]) for c in steps[0][1]}
    live.close()
    live.bench_cost = {"cpu_ms_per_s": 1e3 * cpu / end, "memory": memory}
    live.bench_known = known
    live.bench_provisional = provisional
    live.bench_doubts = doubts
    return t, cols, steps, live


def uncertain_rows(live: Any, t: FloatArray, column: str) -> NDArray[np.bool_]:
    """Rows (times ``t``) at which the live path showed ``column`` as uncertain.

    Under the calibration, then under each re-decision from its first row on; while the
    pelvis axis was provisional (``RedecidingPipeline.provisional_log``); and while the
    session's doubts held it (``RedecidingPipeline.session_doubts_log``).
    """
    first = live.switches[0].at_s if live.switches else np.inf
    initial = live.initial_uncertain
    out = np.full(t.shape, column in initial) & (t < first - 0.005)
    for k, sw in enumerate(live.switches):
        end = live.switches[k + 1].at_s if k + 1 < len(live.switches) else np.inf
        if column in sw.uncertain:
            out |= (t >= sw.at_s - 0.005) & (t < end - 0.005)
    # the angles about a pelvis axis from the bows alone, until a re-decision confirms it
    # and the session's doubts so far (a thigh's hinge lean, a pelvis axis from the leans)
    for name in ("provisional_log", "session_doubts_log"):
        log = getattr(live, name, [])
        for k, (from_s, doubted) in enumerate(log):
            end = log[k + 1][0] if k + 1 < len(log) else np.inf
            if column in doubted:
                out |= (t >= from_s - 0.005) & (t < end - 0.005)
    return out


def rmse(truth: Any, t: FloatArray, values: FloatArray, column: str, rows: Any) -> float:
    """RMSE (deg) of ``values`` at times ``t`` against the truth column, over ``rows``."""
    ref = np.interp(t, truth["t_s"].to_numpy(), truth[column].to_numpy())
    err = (values - ref)[rows]
    err = err[np.isfinite(err)]
    return float(np.sqrt(np.mean(err * err))) if err.size else float("nan")


def live_cues(ses: PopulationSession, steps: list, live: Any) -> list[dict[str, Any]]:
    """The cues ``stretchguard live`` says over a live run, as ``cli.live_angles`` judges:
    the envelope told the calibration's uncertain angles, then each re-decision's from the
    step after which it was known. Each: rule, when said (the step's newest row), and the
    start of the episode it was said for."""
    out: list[dict[str, Any]] = []
    for state in _monitored(ses, steps, live):
        for r in state.rules:
            if r.cue is not None and r.cue in state.new_cues:
                out.append({"rule": r.rule, "said_s": state.t_s})
    return out


def _monitored(ses: PopulationSession, steps: list, live: Any, *, mixing: bool = True):
    """The live envelope's state after each step, as ``cli.live_angles`` judges: told the
    calibration's uncertain angles, then each re-decision's from the step after which it was
    known, and (``mixing``) the pipeline's ``rate_mixing`` with the angles."""
    profile = load_builtin_profile(ses.profile_name)
    monitor = EnvelopeMonitor(profile, side=ses.side, uncertain=live.initial_uncertain)
    told = zip(steps, live.bench_known, live.bench_provisional, live.bench_doubts, strict=True)
    for (t, cols, mix), k, provisional, (session, timed, bounds) in told:
        base = dict(live.switches[k - 1].uncertain) if k else dict(live.initial_uncertain)
        monitor.uncertain = {**session, **provisional, **base}
        monitor.timed = timed
        state = monitor.update(t, cols, mix if mixing else None, bounds)
        if state is not None:
            yield state


def _hold_dict(h: Any) -> dict[str, Any]:
    """A hold's start, end and other readings (kind, rate factor, start, end)."""
    return {
        "start_s": h.start_s,
        "end_s": h.end_s,
        "readings": [
            [type(a).__name__, getattr(a, "rate_factor", None), a.start_s, a.end_s]
            for a in h.timing_alternatives
        ],
        "timing_unknown": h.timing_unknown is not None,
    }


def live_holds(ses: PopulationSession, steps: list, live: Any, *, mixing: bool) -> list:
    """The holds the live envelope showed, each as last timed while in its window (a newer
    timing of a hold replaces the one before; ``SessionTally`` keeps the longest so).

    Only ended holds count, as ``SessionTally`` counts them: one still open at a step
    (``MonitorState.hold_open``) is not decided yet. One open at the last step is listed
    with ``in_progress`` set."""
    out: list[Any] = []
    state = None
    for state in _monitored(ses, steps, live, mixing=mixing):
        h = state.hold
        if h is None or state.hold_open:
            continue
        if out and h.start_s < out[-1].end_s and out[-1].start_s < h.end_s:
            out[-1] = h
        elif not out or h.start_s >= out[-1].end_s:
            out.append(h)
    held = [_hold_dict(h) for h in out]
    if state is not None and state.hold is not None and state.hold_open:
        held.append({**_hold_dict(state.hold), "in_progress": True})
    return held


def offline_envelope(ses: PopulationSession, res: Any) -> Any:
    """The envelope ``stretchguard analyse`` gives the session: its doubts, other readings
    and ``rate_mixing`` passed as the command passes them."""
    return check_envelope(
        res.angles,
        load_builtin_profile(ses.profile_name),
        side=ses.side,
        absent=res.absent,
        uncertain=res.uncertain,
        other_readings=res.other_readings,
        rate_mixing=res.rate_mixing,
    )


def hold_check(ses: PopulationSession, res: Any, runs: Mapping[str, Any]) -> dict[str, Any]:
    """The offline report's holds (timed at ``rate_mixing``, as ``stretchguard analyse``)
    against each live variant's, with and without the live ``rate_mixing``."""
    env = offline_envelope(ses, res)
    out: dict[str, Any] = {"offline": [_hold_dict(h) for h in env.holds]}
    for v, r in runs.items():
        out[v] = {
            "with_mixing": live_holds(ses, r[2], r[3], mixing=True),
            "without": live_holds(ses, r[2], r[3], mixing=False),
        }
    return out


def offline_episodes(ses: PopulationSession, res: Any) -> list[dict[str, Any]]:
    """The offline report's episodes (confirmed, uncertain rules' under every reading), as
    ``stretchguard analyse`` judges the same session."""
    est = offline_envelope(ses, res)
    return [
        {"rule": e.rule, "start_s": e.start_s, "end_s": e.end_s, "advisory": e.advisory}
        for e in est.episodes
    ]


def match_cues(
    cues: list[dict[str, Any]],
    episodes: list[dict[str, Any]],
    dwell_s: Mapping[str, float],
    *,
    from_s: float,
    tick_s: float,
) -> dict[str, list[dict[str, Any]]]:
    """Live cues against the offline episodes starting at ``from_s`` or later (the live
    rows' first): ``missed`` (an episode no cue of its rule was said for between its start
    and 1 s after its end), ``extra`` (a cue no episode matches), ``late`` (the first cue of
    an episode said more than 0.5 s + the rule's dwell + ``tick_s`` — the bench's feed step,
    which delays every cue — after the episode's start)."""
    used: set[int] = set()
    out: dict[str, list[dict[str, Any]]] = {"missed": [], "extra": [], "late": []}
    for e in episodes:
        if e["start_s"] < from_s:
            continue
        near = [
            i
            for i, c in enumerate(cues)
            if c["rule"] == e["rule"] and e["start_s"] - 1.0 <= c["said_s"] <= e["end_s"] + 1.0
        ]
        if not near:
            out["missed"].append(e)
            continue
        used.update(near)
        lag = cues[near[0]]["said_s"] - e["start_s"]
        if lag > 0.5 + dwell_s.get(e["rule"], 0.0) + tick_s:
            out["late"].append({**e, "lag_s": lag})
    out["extra"] = [c for i, c in enumerate(cues) if i not in used]
    return out


def off_rows(truth: Any, t: FloatArray, values: FloatArray, column: str, rows: Any) -> int:
    """How many of ``rows`` are more than 4° from the truth."""
    ref = np.interp(t, truth["t_s"].to_numpy(), truth[column].to_numpy())
    err = np.abs(values - ref)[rows]
    return int(np.sum(err[np.isfinite(err)] > 4.0))


def cue_check(
    ses: PopulationSession, res: Any, runs: Mapping[str, Any], from_s: float, tick_s: float
) -> dict[str, Any]:
    """Per live variant, its cues (as ``stretchguard live`` says them) against the offline
    report's episodes and against the truth's (:func:`match_cues`)."""
    profile = load_builtin_profile(ses.profile_name)
    dwell = {r.name: r.dwell_s for r in profile.rules}
    cols = [c for c in res.angles.columns if c in ses.truth]
    tru = check_envelope(ses.truth[cols], profile, side=ses.side)
    truth_eps = [
        {"rule": e.rule, "start_s": e.start_s, "end_s": e.end_s, "advisory": e.advisory}
        for e in tru.episodes
    ]
    off = offline_episodes(ses, res)
    out: dict[str, Any] = {
        "offline_episodes": [e for e in off if e["start_s"] >= from_s],
        "truth_episodes": [e for e in truth_eps if e["start_s"] >= from_s],
    }
    for v, r in runs.items():
        cues = live_cues(ses, r[2], r[3])
        out[v] = {
            "cues": cues,
            "vs_offline": match_cues(cues, off, dwell, from_s=from_s, tick_s=tick_s),
            "vs_truth": match_cues(cues, truth_eps, dwell, from_s=from_s, tick_s=tick_s),
        }
        for key in ("vs_offline", "vs_truth"):
            for e in out[v][key]["missed"]:
                e["shown_uncertain"] = shown_uncertain(r[3], ses.side, r[1], e)
    return out


def shown_uncertain(live: Any, side: str, columns: Mapping[str, Any], e: Mapping[str, Any]) -> bool:
    """Whether the live path showed episode ``e``'s rule as uncertain at the episode's start
    (its angle uncertain under the calibration in force then): not cued, by design."""
    column = measured_column_for(e["rule"], side, columns)
    return bool(uncertain_rows(live, np.array([e["start_s"]]), column)[0])


def one_session(
    person_seed: int,
    length: str,
    sensors: str,
    *,
    tick_s: float,
    cues: bool,
    variants: tuple[str, ...] = VARIANTS,
    holds: bool = False,
):
    """RMSE per angle of offline and live variants (after the live calibration; lying rows)."""
    t0 = time.perf_counter()
    person = generate_person(person_seed)
    ses = generate_session(person, 0, LENGTHS[length], sensors)
    res = analyse_recording(
        ses.recording(), options=PipelineOptions(keep_orientations=False, workers=1)
    )
    runs = {
        v: run_live(
            ses,
            posture=v != "live_stand",
            tick_s=tick_s,
            redecide=v in REDECIDING,
            last_after_s=SHORT_AFTER_S if v == "live_960" else None,
            exact_history=v in ("live_exact", "live_960"),
        )
        for v in variants
    }
    t = runs[variants[-1]][0]
    # the offline angles on the live rows (the grids may start apart by a fraction of a step)
    t_off = res.angles["t_s"].to_numpy()
    offline = {c: np.interp(t, t_off, res.angles[c].to_numpy()) for c in res.angles.columns[1:]}
    tilt = np.interp(t, ses.truth["t_s"].to_numpy(), ses.truth["pelvis_anterior_tilt_deg"])
    lying = tilt < LYING_TILT_DEG
    record: dict[str, Any] = {
        "person": person_seed,
        "length": length,
        "sensors": sensors,
        "exercise": person.exercise,
        "side": person.side,
        "violations": [v.name for v in ses.violations],
        "lying_s": float(lying.sum() / 100.0),
        "after_cal_s": float(t.size / 100.0),
        "rmse_deg": {},
        "lying_rmse_deg": {},
        "offline_uncertain": sorted(res.uncertain),
        "confident_rmse_deg": {},
        "uncertain_share": {},
        "confident_rows_over_4": {},
        "cost": {v: r[3].bench_cost for v, r in runs.items()},
        "switches": {v: [sw.to_dict() for sw in r[3].switches] for v, r in runs.items()},
    }
    for col in offline:
        if col not in ses.truth:
            continue
        series = {"offline": offline[col], **{v: r[1][col] for v, r in runs.items()}}
        record["rmse_deg"][col] = {
            k: rmse(ses.truth, t, x, col, slice(None)) for k, x in series.items()
        }
        doubted = {v: uncertain_rows(r[3], t, col) for v, r in runs.items()}
        doubted["offline"] = np.full(t.shape, col in res.uncertain)
        record["confident_rmse_deg"][col] = {
            k: rmse(ses.truth, t, x, col, ~doubted[k]) for k, x in series.items()
        }
        record["uncertain_share"][col] = {k: float(d.mean()) for k, d in doubted.items()}
        record["confident_rows_over_4"][col] = {
            k: off_rows(ses.truth, t, x, col, ~doubted[k]) for k, x in series.items()
        }
        if lying.any():
            record["lying_rmse_deg"][col] = {
                k: rmse(ses.truth, t, x, col, lying) for k, x in series.items()
            }
    if cues:
        record["cue_check"] = cue_check(ses, res, runs, t[0], tick_s)
    if holds:
        record["hold_check"] = hold_check(ses, res, runs)
    record["seconds"] = time.perf_counter() - t0
    return record


def _print(rec: Mapping[str, Any]) -> None:
    print(
        f"person {rec['person']} {rec['length']} {rec['sensors']} {rec['exercise']} "
        f"lying {rec['lying_s']:.0f}/{rec['after_cal_s']:.0f} s ({rec['seconds']:.0f} s)"
    )
    for key in ("rmse_deg", "lying_rmse_deg"):
        for col, v in rec[key].items():
            if max(v.values()) < 0.5:
                continue
            vals = " ".join(f"{k} {x:.2f}" for k, x in v.items())
            print(f"  {key[:-9] or 'all'} {col}: {vals}")
    for v, c in rec.get("cue_check", {}).items():
        if isinstance(c, dict):
            n = {k: len(x) for k, x in c["vs_offline"].items()}
            print(f"  {v} cues vs offline: {len(c['cues'])} said, {n}")
    for v, c in rec.get("hold_check", {}).items():
        for h in c if v == "offline" else c["with_mixing"]:
            print(f"  {v} hold {h['start_s']:.2f}–{h['end_s']:.2f} readings {h['readings']}")
    for v, c in rec.get("cost", {}).items():
        mem = c["memory"][-1]
        print(
            f"  {v} cost: {c['cpu_ms_per_s']:.1f} ms CPU per session s; at the end raw "
            f"{mem['raw_mb']:.1f} MB, rows {mem['rows_mb']:.2f} MB, rss {mem['rss_mb']:.0f} MB"
        )


def summary(records: list[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per angle and series (offline, live variants): median, p95 and worst RMSE (deg).

    Also how many session-angles were over their target (``over_target``) and over 4°
    (``over_4``), and how many of them over the rows the series showed as confident
    (``confident_over_target``, ``confident_over_4``: the rows not marked uncertain).
    """
    per: dict[str, dict[str, list[float]]] = {}
    conf: dict[str, dict[str, list[float]]] = {}
    for rec in records:
        for col, v in rec["rmse_deg"].items():
            for k, x in v.items():
                if np.isfinite(x):
                    per.setdefault(col, {}).setdefault(k, []).append(x)
                    c = rec.get("confident_rmse_deg", {}).get(col, {}).get(k, x)
                    conf.setdefault(col, {}).setdefault(k, []).append(c)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for col, v in per.items():
        lim = target_deg(col)
        out[col] = {}
        for k, xs in v.items():
            cs = np.array(conf[col][k])
            out[col][k] = {
                "n": len(xs),
                "median": float(np.median(xs)),
                "p95": float(np.percentile(xs, 95)),
                "worst": float(np.max(xs)),
                "over_target": int(np.sum(np.array(xs) > lim)),
                "over_4": int(np.sum(np.array(xs) > 4.0)),
                "confident_over_target": int(np.sum(cs[np.isfinite(cs)] > lim)),
                "confident_over_4": int(np.sum(cs[np.isfinite(cs)] > 4.0)),
            }
    return out


def _print_summary(summ: Mapping[str, Any]) -> None:
    print("angle: series median / p95 / worst (deg), over target / over 4° (of them confident)")
    for col, v in summ.items():
        vals = "; ".join(
            f"{k} {s['median']:.2f} / {s['p95']:.2f} / {s['worst']:.2f}, "
            f"{s['over_target']} ({s['confident_over_target']}) / {s['over_4']} "
            f"({s['confident_over_4']})"
            for k, s in v.items()
        )
        print(f"  {col}: {vals}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", default="2,11,35", help="seeds: 2,11,35 or 150-159")
    ap.add_argument("--length", default="10 min", help="one or more of " + ", ".join(LENGTHS))
    ap.add_argument("--set", default="full", help="sensor set(s), comma-separated")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--tick-s", type=float, default=1.0)
    ap.add_argument("--cues", action="store_true")
    ap.add_argument("--holds", action="store_true", help="live holds against the report's")
    ap.add_argument("--out-json")
    args = ap.parse_args(argv)
    variants = tuple(v for v in args.variants.split(",") if v)
    if not set(variants) <= set(VARIANTS):
        ap.error(f"--variants: choose from {', '.join(VARIANTS)}")
    lengths = [x.strip() for x in args.length.split(",")]
    if not set(lengths) <= set(LENGTHS):
        ap.error(f"--length: choose from {', '.join(LENGTHS)}")
    out = []
    for sensors in args.set.split(","):
        for length in lengths:
            for seed in parse_seed_spec(args.people):
                rec = one_session(
                    seed,
                    length,
                    sensors,
                    tick_s=args.tick_s,
                    cues=args.cues,
                    variants=variants,
                    holds=args.holds,
                )
                _print(rec)
                sys.stdout.flush()
                out.append(rec)
    summ = summary(out)
    _print_summary(summ)
    if args.out_json:
        with Path(args.out_json).open("x", encoding="utf-8") as f:
            json.dump({"sessions": out, "summary": summ}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
