"""The gyroscope's turn between two still poses as a witness of an accelerometer's errors.

    PYTHONPATH=. .venv/bin/python -m bench.turn_witness --files A.csv [B.csv …] [--out-json P]
    PYTHONPATH=. .venv/bin/python -m bench.turn_witness --people 40 [--first-person 0]
        [--imu-errors commodity] [--out-json P]

Runs each analysis as ``stretchguard analyse`` / ``bench/population.py`` run it and prints,
per pelvis and leg sensor, what the analysis's own witness read
(:mod:`analysis.angles.turn_witness`, since round 18 part of ``tilt_precision.pose_evidence``):
the still poses, the norms' log Bayes factor (``PriorMisfit.commodity_lbf``), the norms and
turns together (``PriorMisfit.turns_lbf``) and the turn whose two readings differ most. With
``--people`` also each sensor whose turns call for the commodity part while its norms do not,
with its angles' RMSE and whether they were uncertain. (Round 17 measured the witness here
before it was built, with a second, posterior form; docs/accuracy.md, rounds 17 and 18.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.angles import pipeline
from analysis.angles import tilt_precision as tp


def install() -> Callable[[], dict[str, dict[str, Any]]]:
    """Wrap the pipeline's pose evidence; returns a function taking the last session's table."""
    seen: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    orig_pe, orig_all = pipeline.pose_evidence, pipeline._pose_evidence

    def pose_evidence(acc_m_s2: Any, gyr_rad_s: Any, **kw: Any) -> tp.PoseEvidence:
        ev = orig_pe(acc_m_s2, gyr_rad_s, **kw)
        m = ev.misfit
        seen.append(
            {
                "poses": ev.poses,
                "part": ev.part,
                "norm_lbf": m.commodity_lbf,
                "joint_lbf": m.turns_lbf,
                "turns_new": m.turns_commodity,
                "turn_deg": m.turn_deg,
            }
        )
        return ev

    def all_evidence(session: Any, *a: Any, **k: Any) -> dict[str, tp.PoseEvidence]:
        seen.clear()
        out = orig_all(session, *a, **k)
        last.clear()
        last.update(zip(list(out), list(seen), strict=True))
        return out

    pipeline.pose_evidence = pose_evidence
    pipeline._pose_evidence = all_evidence
    return lambda: dict(last)


def _line(name: str, d: Mapping[str, Any]) -> str:
    joint = "—" if d["joint_lbf"] is None else f"{d['joint_lbf']:+.2f}"
    widest = (
        ""
        if d["turn_deg"] is None
        else " [widest: {:.1f}° acc vs {:.1f}° gyro]".format(*d["turn_deg"])
    )
    return (
        f"{name}: {d['poses']} poses, norms {d['norm_lbf']:+.2f}, norms+turns {joint}, "
        f"part {d['part']}{' (by the turns)' if d['turns_new'] else ''}{widest}"
    )


def run_files(files: Sequence[Path]) -> dict[str, Any]:
    from cli.main import main as cli_main

    take = install()
    out: dict[str, Any] = {}
    for f in files:
        tmp = Path(tempfile.mkdtemp())
        try:
            cli_main(["analyse", str(f), "--out", str(tmp / "out")])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        out[str(f)] = take()
        for p, d in out[str(f)].items():
            print(_line(f"{f.parent.name}/{f.name} {p}", d))
    return out


_SEGMENTS = {"hip": ("pelvis", "thigh"), "knee": ("thigh", "shank"), "ankle": ("shank", "foot")}


def _angles_of(record: Mapping[str, Any], placement: str) -> list[str]:
    side = None if placement == "pelvis" else placement.split("_")[0]
    out = []
    for c, v in sorted(record.get("rmse_deg", {}).items()):
        joint = [k for k in _SEGMENTS if f"_{k}_" in c and ("flexion" in c or "dorsi" in c)]
        if not joint or (side and not c.startswith(side)):
            continue
        if any(placement.endswith(s) for s in _SEGMENTS[joint[0]]):
            mark = "uncertain" if c in record.get("uncertain_angles", []) else "trusted"
            out.append(f"{c.removesuffix('_deg')} {v:.2f}° {mark}")
    return out


def run_people(
    people: int, first: int, preset: str | None, sets: tuple[str, ...] = ("default",)
) -> list[dict[str, Any]]:
    from bench import population

    take = install()
    todo: list[Any] = population.tasks(people, 0, first, sets=sets)
    if preset:
        todo = [(*t, preset) for t in todo]
    records = []
    for task in todo:
        rec = population.run_one(task)
        rec["witness"] = take()
        records.append(rec)
    sensors = [(r, p, d) for r in records for p, d in r["witness"].items()]
    norms = [1 for _, _, d in sensors if d["norm_lbf"] > 0.0]
    new = [(r, p, d) for r, p, d in sensors if d["turns_new"]]
    print(
        f"\n{len(sensors)} sensors: {len(norms)} called for the commodity part by their norms, "
        f"{len(new)} more by their turns"
    )
    for r, p, d in new:
        print(
            f"  person {r['person']} ({r['sensors']}, {r['length']}) {p}: {d['poses']} poses, "
            f"norms {d['norm_lbf']:+.2f}, norms+turns {d['joint_lbf']:+.2f}: "
            f"{', '.join(_angles_of(r, p))}"
        )
    return records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", nargs="*", type=Path)
    ap.add_argument("--people", type=int)
    ap.add_argument("--first-person", type=int, default=0)
    ap.add_argument("--imu-errors", choices=("commodity",))
    ap.add_argument("--sets", default="default")
    ap.add_argument("--out-json", type=Path)
    args = ap.parse_args(argv)
    if args.files:
        out: Any = run_files(args.files)
    elif args.people:
        out = run_people(
            args.people, args.first_person, args.imu_errors, tuple(args.sets.split(","))
        )
    else:
        ap.error("give --files or --people")
    if args.out_json:
        args.out_json.write_text(json.dumps(out, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
