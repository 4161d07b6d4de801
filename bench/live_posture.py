"""The live path against the offline pipeline on sessions where the person lies or sits.

    .venv/bin/python bench/live_posture.py [--people 2,11,35|150-159] [--length "10 min",...]
        [--set full,...] [--variants live_stand,live_once,live] [--tick-s 1.0] [--cues]
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
* ``live``: the live pipeline as ``stretchguard live`` runs it (posture anchors on).

``--cues``: the live envelope (``analysis.envelope.monitor.EnvelopeMonitor``, the person's
profile and side) is fed the angles of each step, and its cues are counted — for the truth
angles, the offline angles and both live variants, so a cue that only drift makes shows.
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

from analysis.angles.live_redecide import RedecidingPipeline
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.streams import CalibrationWindows
from analysis.simulation.population import PopulationSession, generate_person, generate_session

FloatArray = NDArray[np.float64]
LENGTHS = {"1 min": None, "10 min": 600.0, "1 h": 3600.0}
LYING_TILT_DEG = -60.0
"""Rows whose true pelvis tilt is below this are counted as lying."""
VARIANTS = ("live_stand", "live_once", "live")
TARGET_DEG = {
    "hip_flexion": 2.0,
    "knee_flexion": 2.0,
    "ankle_dorsiflexion": 2.0,
    "pelvis_anterior_tilt": 2.0,
}
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


def run_live(
    ses: PopulationSession, *, posture: bool, tick_s: float, redecide: bool = False
) -> tuple[FloatArray, dict[str, FloatArray], list[tuple[FloatArray, dict[str, FloatArray]]], Any]:
    """Angles of the live pipeline fed in ``tick_s`` steps: times, columns, the steps, and
    the pipeline (its calibration and re-decisions, ``RedecidingPipeline``)."""
    streams = ses.recording().streams
    # the guided protocol knows its windows (a recording's sidecar may not have them)
    cal = CalibrationWindows(static_s=ses.static_s, functional_s=ses.functional_s)
    live = RedecidingPipeline(
        streams, rate_hz=100.0, t0_s=0.0, posture_anchors=posture, redecide=redecide
    )
    end = max(float(s.t_s[-1]) for s in streams.values())
    cal_at = cal.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    steps = []
    for now in np.union1d(np.arange(0.0, end, tick_s), [cal_at, end + 1e-6]):
        feed(live, streams, pos, now)
        out = live.step(wait=True)
        if out is not None and out.columns:
            steps.append((out.t_s, out.columns))
        if not live.calibrated and now >= cal_at:
            live.calibrate(cal)
    t = np.concatenate([s[0] for s in steps])
    cols = {c: np.concatenate([s[1][c] for s in steps]) for c in steps[0][1]}
    live.close()
    return t, cols, steps, live


def uncertain_rows(live: Any, t: FloatArray, column: str) -> NDArray[np.bool_]:
    """Rows (times ``t``) at which the live path showed ``column`` as uncertain.

    Under the calibration, then under each re-decision from its first row on.
    """
    first = live.switches[0].at_s if live.switches else np.inf
    initial = live.initial_uncertain
    out = np.full(t.shape, column in initial) & (t < first - 0.005)
    for k, sw in enumerate(live.switches):
        end = live.switches[k + 1].at_s if k + 1 < len(live.switches) else np.inf
        if column in sw.uncertain:
            out |= (t >= sw.at_s - 0.005) & (t < end - 0.005)
    return out


def rmse(truth: Any, t: FloatArray, values: FloatArray, column: str, rows: Any) -> float:
    """RMSE (deg) of ``values`` at times ``t`` against the truth column, over ``rows``."""
    ref = np.interp(t, truth["t_s"].to_numpy(), truth[column].to_numpy())
    err = (values - ref)[rows]
    err = err[np.isfinite(err)]
    return float(np.sqrt(np.mean(err * err))) if err.size else float("nan")


def count_cues(ses: PopulationSession, steps: list[tuple[FloatArray, dict[str, FloatArray]]]):
    """Cues the live envelope says when fed ``steps``: (count, rules cued)."""
    profile = load_builtin_profile(ses.profile_name)
    monitor = EnvelopeMonitor(profile, side=ses.side)
    cues: list[str] = []
    for t, cols in steps:
        state = monitor.update(t, cols)
        if state is not None:
            cues.extend(
                r.rule for r in state.rules if r.cue is not None and r.cue in state.new_cues
            )
    return len(cues), sorted(set(cues))


def _steps_of(t_all: FloatArray, cols: Mapping[str, FloatArray], like: list) -> list:
    """``cols`` (on ``t_all``) cut into the live run's steps (same times)."""
    out, k = [], 0
    for t, _c in like:
        out.append((t, {c: v[k : k + t.size] for c, v in cols.items()}))
        k += t.size
    return out


def one_session(
    person_seed: int,
    length: str,
    sensors: str,
    *,
    tick_s: float,
    cues: bool,
    variants: tuple[str, ...] = VARIANTS,
):
    """RMSE per angle of offline and live variants (after the live calibration; lying rows)."""
    t0 = time.perf_counter()
    person = generate_person(person_seed)
    ses = generate_session(person, 0, LENGTHS[length], sensors)
    res = analyse_recording(
        ses.recording(), options=PipelineOptions(keep_orientations=False, workers=1)
    )
    runs = {
        v: run_live(ses, posture=v != "live_stand", tick_s=tick_s, redecide=v == "live")
        for v in variants
    }
    t, _c, steps, _l = runs[variants[-1]]
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
        if lying.any():
            record["lying_rmse_deg"][col] = {
                k: rmse(ses.truth, t, x, col, lying) for k, x in series.items()
            }
    if cues:
        truth_cols = {
            c: np.interp(t, ses.truth["t_s"].to_numpy(), ses.truth[c].to_numpy())
            for c in runs[variants[-1]][1]
        }
        record["cues"] = {
            "truth": count_cues(ses, _steps_of(t, truth_cols, steps)),
            "offline": count_cues(ses, _steps_of(t, offline, steps)),
            **{v: count_cues(ses, r[2]) for v, r in runs.items()},
        }
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
    if "cues" in rec:
        print("  cues:", rec["cues"])


def _people(spec: str) -> list[int]:
    """``"2,11,35"`` or ranges ``"150-159"`` (inclusive), mixed."""
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


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
            for seed in _people(args.people):
                rec = one_session(
                    seed, length, sensors, tick_s=args.tick_s, cues=args.cues, variants=variants
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
