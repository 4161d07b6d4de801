"""Generate stranger sessions, run ``stretchguard analyse`` on each (a subprocess, one at a time)
and compare with the truth.

    .venv/bin/python -m bench.stranger.run --seeds 0-39 --work /tmp/stranger --out-json r.json
    .venv/bin/python -m bench.stranger.run --seeds 500-502 --minutes 10 --work ... --out-json ...
    .venv/bin/python -m bench.stranger.run --summarise r.json [more.json ...]
    .venv/bin/python -m bench.stranger.run --summarise r.json --failures   # one line each

Odd seeds carry 2 scripted rule breaks per stretch (drawn from the six kinds), even seeds are
correct sessions. Sets: default (pelvis + exercised thigh, shank, foot), pair (thigh +
shank), full (all nine); every third seed also as MetaBase exports of the default set.

``--round2``: the supine stretch, the seated slider and the standing stretch after a sloppy
protocol (no bows, one knee bend, rushed, fidgeting, swings with the other leg), some cut at
exactly 1 min; the default set also as Movella DOT (seeds ≡ 0 mod 4) or WitMotion (≡ 1)
exports; holds judged against the truth's (``compare.truth_holds``).

``--round4`` (bench.stranger.round4): a "nerve or muscle?" test in each standing hold (marked
in the sidecar or not), a low step, a door frame lying, a strap that slips, a sensor that
drops out with drifting clocks; canonical files only; ``--summarise … --round4`` tables per
style.

``--round5`` (bench.stranger.round5): nerve glides in the hold, the seated slump test, a towel
round the foot lying, a cough or a phone check in the hold, a sensor re-strapped after a break;
the default set also as DOT files whose clock wraps or MetaBase files with streamed stamps;
``--summarise … --round5`` tables per style.

``--round6`` (bench.stranger.round6): a long sit on the floor, the heel on a chair or bench, a
standing forward fold, a split-stance hip hinge, contract–relax with a partner lying; people
drawn widely (tall/short, stiff/flexible, elderly with a tremor, quick and sloppy), the thigh's
sensor on the side or the front, 25–200 Hz; canonical files only; ``--summarise … --round6``
tables per style.

``--round7`` (bench.stranger.round7): a chair stretch (heel on a stool), a stair-step stretch
with the standing knee bent, a strap stretch lying with ankle pumps in the hold, a long sit
with neck and ankle as tensioner or slider, legs swapped between stretches; recordings that
begin with a sensor on the table, a gap in any sensor mid-hold, BLE arrival stamps, and a
tab-separated WitMotion export of the default set; ``--summarise … --round7`` tables per style.
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

from bench._seeds import parse_seed_spec
from bench.stranger import compare, writers
from bench.stranger.person import BREAK_KINDS, draw_person
from bench.stranger.rounds import set_placements
from bench.stranger.session import SENSOR_SETS, Session, generate, sensor_set

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


SLOPPY = ("no_bows", "one_bend", "rush", "fidget", "other_leg")


def round2_plan(seed: int, minutes: float | None) -> dict:
    """Round 2's sessions: the exercise (supine, seated or standing done sloppily), sloppy
    variants, the vendor export (DOT for seeds ≡ 0 mod 4, WitMotion ≡ 1), exact 1-min ones."""
    from bench.stranger.exercises import SEATED_BREAKS, SUPINE_BREAKS

    rng = np.random.default_rng([seed, 2])
    exercise = ("supine", "seated", "standing")[seed % 3]
    n_var = int(rng.integers(1, 3)) if exercise == "standing" else int(rng.integers(0, 2))
    variants = [str(v) for v in rng.choice(SLOPPY, size=n_var, replace=False)]
    exact = minutes is None and rng.random() < 0.3
    if exact and "rush" not in variants:
        variants.append("rush")
    duration = minutes * 60.0 if minutes else 60.0 if exact else float(rng.choice([120.0, 180.0]))
    kinds = {"supine": SUPINE_BREAKS, "seated": SEATED_BREAKS}.get(exercise, BREAK_KINDS)
    breaks = []
    if seed % 2:
        n = max(2, int(duration // 60) * 2)
        kinds = sorted(kinds)
        breaks = [str(k) for k in rng.choice(kinds, size=min(n, 12), replace=n > len(kinds))]
    vendor = {0: "movella_dot", 1: "witmotion"}.get(seed % 4)
    return {
        "exercise": exercise,
        "variants": variants,
        "exact": exact,
        "duration_s": duration,
        "breaks": breaks,
        "vendor": vendor,
    }


MOUNT_HABITS = (
    {"thigh": "lateral", "shank": "anterior", "foot": "laces", "pelvis": "sacrum"},
    {"thigh": "anterior+upside_down", "shank": "medial", "foot": "heel", "pelvis": "sacrum"},
    {
        "thigh": "medial",
        "shank": "lateral+upside_down",
        "foot": "laces+upside_down",
        "pelvis": "sacrum+upside_down",
    },
    {"thigh": "lateral", "shank": "lateral", "foot": "heel+upside_down", "pelvis": "sacrum"},
)


def round3_plan(seed: int, minutes: float | None) -> dict:
    """Round 3's sessions: walking to the support before each stretch (1-h: walking about,
    sitting, standing about between 3–5 stretches), the protocol done literally or sloppily
    (incl. a calibration done sitting), strapping by habit (side of the leg, laces or heel,
    upside down), other output rates, jittered time stamps, and MetaBase files (seeds ≡ 1
    mod 3) or MetaBase legs with a phyphox phone on the pelvis (≡ 2 mod 3)."""
    rng = np.random.default_rng([seed, 3, 1])
    style = str(rng.choice(["literal", "sloppy", "sit_cal", "plain"], p=[0.35, 0.25, 0.15, 0.25]))
    variants = {"literal": ["literal"], "sit_cal": ["sit_cal"], "plain": []}.get(style)
    if variants is None:
        variants = [str(v) for v in rng.choice(("no_bows", "one_bend", "fidget"), size=1)]
    duration = minutes * 60.0 if minutes else float(rng.choice([120.0, 180.0]))
    breaks = []
    if seed % 2:
        n = max(2, min(int(duration // 60) * 2, 8))
        breaks = [str(k) for k in rng.choice(BREAK_KINDS, size=n, replace=n > len(BREAK_KINDS))]
    vendor = {1: "metabase", 2: "mixed"}.get(seed % 3)
    rate = float(rng.choice([50.0, 52.0, 100.0, 104.0, 200.0]))
    if vendor:
        rate = float(rng.choice([50.0, 100.0, 200.0]))  # MetaMotion's output rates
    return {
        "exercise": "standing",
        "variants": variants,
        "exact": False,
        "duration_s": duration,
        "breaks": breaks,
        "vendor": vendor,
        "hour": bool(minutes and minutes >= 30),
        "mount": MOUNT_HABITS[int(rng.integers(0, len(MOUNT_HABITS)))]
        if rng.random() < 0.7
        else None,
        "rate_hz": rate,
        "jitter_s": float(rng.choice([0.0, 0.001, 0.003])),
    }


def _round3_vendor_job(s, seed: int, plan: dict, folder: Path) -> tuple:
    """MetaBase files of the default set, or MetaBase legs + a phyphox phone on the pelvis."""
    places = sensor_set(s, "default")
    start = 1.76e9 + seed
    legs = places[1:] if plan["vendor"] == "mixed" else places
    mapping = writers.write_metabase(s, legs, folder / "vendor", start_epoch_s=start)
    firsts = [float(s.sensors[p].t_s[writers.ACC_SKIP]) for p in legs]
    opts = [x for mac, place in mapping.items() for x in ("--sensor", f"{mac}={place}")]
    if plan["vendor"] == "mixed":
        offset = float(np.random.default_rng([seed, 43]).uniform(-0.05, 0.05))
        first = writers.write_phyphox(
            s,
            "pelvis",
            folder / "vendor" / "phyphox_pelvis_export.zip",
            start_epoch_s=start,
            clock_offset_s=offset,
        )
        firsts.append(first + offset)
        opts += ["--sensor", "*phyphox_pelvis_export*=pelvis"]
        plan["phyphox_clock_offset_s"] = offset
    return (f"{plan['vendor']}_default", [folder / "vendor"], opts, min(firsts))


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
    out: Path,
    truth: pd.DataFrame,
    events: list[dict],
    side: str,
    t_offset_s: float = 0.0,
    exercise: str = "standing",
    placements: tuple[str, ...] | None = None,
) -> dict:
    """RMSE per angle, scripted-break verdicts, false episodes and holds of one analysed set.

    ``t_offset_s``: where the analysed file's ``t_s = 0`` lies on the generator's clock (vendor
    files start their session clock at their earliest sample). ``placements``: the set's
    sensors (round 4: a dropout of one of them breaks the truth's holds).
    """
    if t_offset_s:
        truth = truth.assign(t_s=truth["t_s"] - t_offset_s)
        events = [
            {**e, **{k: e[k] - t_offset_s for k in ("t_s", "end_s") if k in e}} for e in events
        ]
    est = pd.read_csv(out / "angles.csv")
    env = json.loads((out / "envelope.json").read_text())
    drops = compare.hold_gaps(events, placements or (), side)
    onsets = compare.scripted_onsets(truth, events, side, exercise)
    measured = {
        r["rule"]
        for r in env["rules"]
        if r["status"] != "not_measured" and r["rule"] not in compare.ADVISORY[exercise]
    }
    holds = (
        compare.judge_holds(
            env,
            compare.truth_holds(
                truth,
                side,
                exercise,
                measured,
                thigh=f"{side}_hip_flexion_deg" not in est,
                gaps=[(e["t_s"], e["end_s"]) for e in drops],
            ),
        )
        if exercise != "seated"
        else []
    )
    return {
        "rmse_deg": compare.rmse_table(est, truth),
        "uncertain_angles": env.get("uncertain_angles", []),
        "uncertain": env.get("uncertain"),
        "verdict": env["verdict"],
        "profile": env.get("profile"),
        "scripted": compare.breaks_in_gaps(compare.judge_breaks(env, onsets), drops),
        "false": compare.false_episodes(env, truth, side, exercise),
        "near_latch": compare.near_latch_truth(env, truth, side, exercise),
        "rule_status": {r["rule"]: r["status"] for r in env["rules"]},
        "holds": env.get("holds", []),
        "gaps": env.get("gaps", []),
        "hold_check": holds,
        "slider": env.get("slider"),
        "slider_scripted": [e["n"] for e in events if e["kind"] == "slider_cycles"],
        "tests": compare.judge_tests(env, truth, events, side),
    }


def _vendor_job(s, seed: int, vendor: str, folder: Path) -> tuple:
    """The default set written as the vendor app would, with its ``--sensor`` options."""
    places = sensor_set(s, "default")
    if vendor == "movella_dot":
        loss = float(np.random.default_rng([seed, 5]).choice([0.0, 0.0, 0.01, 0.05]))
        mapping = writers.write_movella_dot(
            s, places, folder / "dot", start_epoch_s=1.76e9 + seed, loss=loss
        )
        inputs, first_s = [folder / "dot"], float(s.sensors[places[0]].t_s[0])
    else:
        mapping, first_s = writers.write_witmotion(
            s, places, folder / "witmotion.csv", start_epoch_s=1.76e9 + seed
        )
        inputs = [folder / "witmotion.csv"]
    opts = [x for dev, place in mapping.items() for x in ("--sensor", f"{dev}={place}")]
    return (f"{vendor}_default", inputs, opts, first_s)


def one_seed(
    seed: int,
    minutes: float | None,
    work: Path,
    round2: bool | str = False,
    sets: tuple[str, ...] = ("default", "pair", "full"),
) -> dict:
    """Generate, write, analyse and judge every set of one seed (``round2="round3"``: round
    3's plan)."""
    if round2 == "round4":
        from bench.stranger import round4

        return round4.run_seed(seed, minutes, work, sets)
    if round2 == "round5":
        from bench.stranger import round5

        return round5.run_seed(seed, minutes, work, sets)
    if round2 == "round6":
        from bench.stranger import round6

        return round6.run_seed(seed, minutes, work, sets)
    if round2 == "round7":
        from bench.stranger import round7

        return round7.run_seed(seed, minutes, work, sets)
    if round2 == "round3":
        plan = round3_plan(seed, minutes)
    elif round2:
        plan = round2_plan(seed, minutes)
    else:
        duration, breaks = session_plan(seed, minutes)
        plan = {"exercise": "standing", "variants": [], "exact": False, "vendor": None}
        plan.update(duration_s=duration, breaks=breaks)
    t0 = time.perf_counter()
    vendor = plan["vendor"]
    r3 = round2 == "round3"
    extra = {}
    if r3:
        fam_of = {"pelvis": "phone"} if vendor == "mixed" else {}
        extra = {
            "day": {"hour": plan["hour"]},
            "devices": {"family_of": fam_of, "rate_hz": plan["rate_hz"], "mount": plan["mount"]},
        }
    if r3:  # only the sensors the sets analysed need
        side = draw_person(seed).side
        extra["placements"] = set_placements(side, sets)
    s = generate(
        seed,
        duration_s=plan["duration_s"],
        breaks=plan["breaks"],
        exercise=plan["exercise"],
        variants=tuple(plan["variants"]),
        exact=plan["exact"],
        family=("metamotion_s" if vendor else None) if r3 else vendor,
        shared_clock=vendor == "movella_dot",
        **extra,
    )
    folder, truth, rec = _seed_folder(seed, s, plan, work, t0)
    side = s.person.side
    jitter = plan.get("jitter_s", 0.0)
    jobs = [
        (
            name,
            [writers.write_canonical(s, sensor_set(s, name), folder / f"{name}.csv", jitter)],
            [],
            0.0,
        )
        for name in sets
    ]
    if r3 and vendor:
        jobs.append(_round3_vendor_job(s, seed, plan, folder))
    elif vendor:
        jobs.append(_vendor_job(s, seed, vendor, folder))
    elif seed % 3 == 0 and not round2:
        mapping = writers.write_metabase(
            s, sensor_set(s, "default"), folder / "metabase", start_epoch_s=1.76e9 + seed
        )
        opts = [x for mac, place in mapping.items() for x in ("--sensor", f"{mac}={place}")]
        # the reader keeps the span both files of a sensor cover: t_s = 0 at the earliest
        # accelerometer row (each gyroscope file starts 3 rows earlier)
        first_s = min(float(s.sensors[p].t_s[writers.ACC_SKIP]) for p in sensor_set(s, "default"))
        jobs.append(("metabase_default", [folder / "metabase"], opts, first_s))
    ex_opt = ["--exercise", compare.PROFILE_NAME[plan["exercise"]]] if round2 else []
    for name, inputs, opts, offset in jobs:
        cli = run_cli(inputs, folder / f"out_{name}", side, opts + ex_opt)
        res = {"cli": cli, "t_offset_s": offset}
        if cli["rc"] == 0:
            res.update(
                evaluate(folder / f"out_{name}", truth, s.events, side, offset, plan["exercise"])
            )
        rec["sets"][name] = res
    return rec


def _seed_folder(
    seed: int, s: Session, plan: dict, work: Path, t0: float
) -> tuple[Path, pd.DataFrame, dict]:
    """A seed's folder with its truth written, the truth read back and the seed's record."""
    folder = work / f"s{seed}"
    folder.mkdir(parents=True)
    writers.write_truth(s, folder / "truth.csv")
    rec = {
        "seed": seed,
        "side": s.person.side,
        "family": s.family,
        "length_s": float(s.truth_t_s[-1]),
        "breaks": plan["breaks"],
        "plan": plan,
        "gen_s": round(time.perf_counter() - t0, 1),
        "person": vars(s.person),
        "sets": {},
    }
    return folder, pd.read_csv(folder / "truth.csv"), rec


def _fit_offset(est: pd.DataFrame, truth: pd.DataFrame, side: str) -> float:
    """A vendor file's ``t_s = 0`` on the generator's clock, fitted (0–60 ms, 1-ms steps) by
    the knee angle (for records made before the runner stored it)."""
    col = f"{side}_knee_flexion_deg"
    grid = np.arange(0.0, 0.061, 0.001)
    cost = [
        np.nanmean((np.interp(est["t_s"] + o, truth["t_s"], truth[col]) - est[col]) ** 2)
        for o in grid
    ]
    return float(grid[int(np.argmin(cost))])


def rescore(rec: dict, work: Path) -> None:
    """Recompute a record's comparisons from its files (after the comparison changed)."""
    folder = work / f"s{rec['seed']}"
    truth = pd.read_csv(folder / "truth.csv")
    meta = json.loads((folder / "truth.json").read_text())
    exercise = rec.get("plan", {}).get("exercise", "standing")
    for name, res in rec["sets"].items():
        out = folder / f"out_{name}"
        if res["cli"]["rc"] or not (out / "angles.csv").exists():
            continue
        offset = res.get("t_offset_s")
        if offset is None:
            offset = 0.0
            if name in ("movella_dot_default", "witmotion_default", "metabase_default"):
                offset = _fit_offset(pd.read_csv(out / "angles.csv"), truth, rec["side"])
        places = tuple(x.format(ex=rec["side"]) for x in SENSOR_SETS.get(name, ()))
        res.update(evaluate(out, truth, meta["events"], rec["side"], offset, exercise, places))


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--seeds", type=parse_seed_spec, help="seeds: 0-39, 1,5,9 or mixed 1300-1330,1611"
    )
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--out-json", type=Path)
    ap.add_argument("--summarise", nargs="*", type=Path)
    ap.add_argument(
        "--round2",
        action="store_true",
        help="supine, seated and sloppy standing sessions, DOT and WitMotion exports",
    )
    ap.add_argument(
        "--round3",
        action="store_true",
        help="walking, 1 h (with --minutes 60), literal/sloppy/seated calibration, strapping by "
        "habit, other rates, jitter, MetaBase and MetaBase + phyphox files",
    )
    ap.add_argument(
        "--round4",
        action="store_true",
        help="a 'nerve or muscle?' test in the hold (marked or not), a low step, a door frame "
        "lying, a strap that slips, a sensor that drops out and drifting clocks",
    )
    ap.add_argument(
        "--round5",
        action="store_true",
        help="nerve glides in the hold, the seated slump test, a towel round the foot lying, a "
        "cough or a phone in the hold, a re-strapped sensor; DOT (clock wraps) and MetaBase "
        "(streamed stamps) files of the default set",
    )
    ap.add_argument(
        "--round6",
        action="store_true",
        help="a long sit on the floor, the heel on a chair or bench, a forward fold, a "
        "split-stance hinge, contract-relax with a partner lying; people tall/short, stiff/"
        "flexible, elderly with a tremor, quick and sloppy; thigh sensors on the side or the "
        "front; 25/52/100/200 Hz",
    )
    ap.add_argument(
        "--round7",
        action="store_true",
        help="a chair stretch, a stair step with the standing knee bent, a strap stretch with "
        "ankle pumps, a long sit with neck and ankle as tensioner or slider, legs swapped; a "
        "sensor on the table at the start, a gap in any sensor, BLE stamps, a tab-separated "
        "WitMotion file",
    )
    ap.add_argument("--sets", default="default,pair,full", help="canonical sets to analyse")
    ap.add_argument(
        "--failures",
        action="store_true",
        help="with --summarise: list every failure against the issue's targets instead",
    )
    args = ap.parse_args(argv)
    if args.summarise:
        from bench.stranger.summary import failures, summarise, summarise_by_exercise

        records = [r for f in args.summarise for r in json.loads(f.read_text())]
        if args.work:  # recompute from the files (the comparison changed since the run)
            for r in records:
                rescore(r, args.work)
        if args.failures:
            print("\n".join(failures(records)) or "no failures")
        elif args.round4 or args.round5 or args.round6 or args.round7:
            from bench.stranger.summary import summarise_by_style

            if args.round7:
                from bench.stranger.round7 import STYLES

                print(summarise_by_style(records, STYLES))
            elif args.round6:
                from bench.stranger.round6 import STYLES

                print(summarise_by_style(records, STYLES))
            elif args.round5:
                from bench.stranger.round5 import STYLES

                print(summarise_by_style(records, STYLES))
            else:
                print(summarise_by_style(records))
        elif args.round2 or args.round3:
            print(summarise_by_exercise(records))
        else:
            print(summarise(records))
        return 0
    records = []
    for seed in args.seeds:
        which = "round4" if args.round4 else "round3" if args.round3 else args.round2
        which = "round5" if args.round5 else which
        which = "round6" if args.round6 else which
        which = "round7" if args.round7 else which
        rec = one_seed(seed, args.minutes, args.work, which, tuple(args.sets.split(",")))
        records.append(rec)
        print(
            seed, rec["length_s"], {k: v["cli"]["rc"] for k, v in rec["sets"].items()}, flush=True
        )
        args.out_json.write_text(json.dumps(records, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
