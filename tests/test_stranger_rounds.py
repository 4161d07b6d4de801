"""The steps the stranger's rounds 4–6 share (bench/stranger/rounds.py): the breaks a plan
draws, the sensors its sets need, each set's canonical file and one seed's run."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from bench.stranger import rounds, run, writers


def test_n_breaks_two_a_minute_from_2_to_6():
    assert [rounds.n_breaks(s) for s in (30.0, 60.0, 119.9, 120.0, 180.0, 600.0)] == [
        2,
        2,
        2,
        4,
        6,
        6,
    ]


def test_set_placements_the_union_of_the_sets_sorted_for_the_exercised_side():
    assert rounds.set_placements("left", ("pair",)) == ("left_shank", "left_thigh")
    both = rounds.set_placements("right", ("pair", "default"))
    assert both == ("pelvis", "right_foot", "right_shank", "right_thigh")
    assert rounds.set_placements("right", ()) == ()
    assert set(rounds.set_placements("left", ("full",))) >= {"pelvis", "left_foot", "right_foot"}


def _session(side: str = "right") -> SimpleNamespace:
    return SimpleNamespace(person=SimpleNamespace(side=side), events=[{"kind": "x"}])


def test_canonical_set_jobs_one_file_a_set_and_a_sidecar_only_with_marks(monkeypatch, tmp_path):
    written: list[tuple] = []

    def fake_write(s, places, path, **kw):
        written.append((places, path.name, kw))
        return path

    monkeypatch.setattr(writers, "write_canonical", fake_write)
    monkeypatch.setattr(
        writers, "write_sidecar", lambda path, marks: written.append(("sidecar", path.name, marks))
    )
    jobs = rounds.canonical_set_jobs(_session("left"), tmp_path, ("pair", "default"), gaps={})
    assert jobs == [
        ("pair", [tmp_path / "pair.csv"], [], 0.0),
        ("default", [tmp_path / "default.csv"], [], 0.0),
    ]
    assert written == [
        (("left_thigh", "left_shank"), "pair.csv", {"gaps": {}}),
        (("pelvis", "left_thigh", "left_shank", "left_foot"), "default.csv", {"gaps": {}}),
    ]
    written.clear()
    rounds.canonical_set_jobs(_session(), tmp_path, ("pair",), marks=[{"t_s": 1.0}])
    assert written == [
        (("right_thigh", "right_shank"), "pair.csv", {}),
        ("sidecar", "pair.csv", [{"t_s": 1.0}]),
    ]


@pytest.mark.parametrize("by_set", [True, False])
def test_run_round_seed_analyses_each_job_and_judges_the_ones_that_ran(
    monkeypatch, tmp_path: Path, by_set: bool
):
    s = _session()
    calls, judged = [], []

    def seed_folder(seed, s_, plan, work, t0):
        return work, pd.DataFrame({"t_s": [0.0]}), {"seed": seed, "sets": {}}

    def cli(inputs, out, side, extra):
        calls.append((inputs, out.name, side, extra))
        return {"rc": 0 if out.name == "out_pair" else 2}

    def evaluate(out, truth, events, side, offset, exercise, placements):
        judged.append((out.name, side, offset, exercise, placements, events))
        return {"judged": True}

    monkeypatch.setattr(run, "_seed_folder", seed_folder)
    monkeypatch.setattr(run, "run_cli", cli)
    monkeypatch.setattr(run, "evaluate", evaluate)
    jobs = [("pair", [Path("p.csv")], [], 0.0), ("dot", [Path("dot")], ["--sensor", "a=b"], 1.5)]
    plan = {"exercise": "supine"}
    rec = rounds.run_round_seed(7, plan, tmp_path, lambda: s, lambda s_, f: jobs, by_set=by_set)
    ex = ["--exercise", "supine_hamstring"]
    assert calls == [
        ([Path("p.csv")], "out_pair", "right", ex),
        ([Path("dot")], "out_dot", "right", ["--sensor", "a=b", *ex]),
    ]
    places = ("right_thigh", "right_shank") if by_set else None
    assert judged == [("out_pair", "right", 0.0, "supine", places, s.events)]
    assert rec["sets"]["pair"] == {"cli": {"rc": 0}, "t_offset_s": 0.0, "judged": True}
    assert rec["sets"]["dot"] == {"cli": {"rc": 2}, "t_offset_s": 1.5}
    assert json.dumps(rec)  # a record the runner can write
