"""A recorded session replayed through the live path, against the file analysis's report.

    .venv/bin/python bench/live_replay.py FILE.csv [FILE.csv ...] [--tick-s 1.0] [--out-json P]
    .venv/bin/python bench/live_replay.py --people 15,29 [--set default] [--length "1 min"]

Each session (a canonical recording with its sidecar, or a population person's session,
``analysis.simulation.population``) is analysed as ``stretchguard analyse`` does
(:func:`stretchguard.analyse`: the file's rule statuses, episodes and uncertain angles) and fed
to the live path at its own clock as ``stretchguard live`` runs it: every ``--tick-s`` of
session time the samples that arrived are pushed into a
:class:`~analysis.angles.live_redecide.RedecidingPipeline` and ``step()`` is called;
``calibrate()`` with the file's calibration windows once the movements are over (their end +
0.5 s). The envelope monitor (:class:`~analysis.envelope.monitor.EnvelopeMonitor`, the file's
profile, side and marks) is told the uncertain angles in the order ``cli.live_angles`` tells
them (the calibration's or the newest re-decision's, the twist doubts, the provisional pelvis
angles, the session's doubts) and the columns of the sensors out (``cli.live_angles.open_gaps``),
fed each step's angles, and its state judged for the sensors out as the screen judges it
(``judge_outages``); ``carried_s`` are the first and last steps with an engagement requirement
carried through a sensor's open gap (``MonitorState.carried``); ``stand_in_s`` the runs
(``[first, last]`` step) in which the thigh's tilt decided the engagement while the pelvis was
out (``cli.live_angles.stand_in_column``: the screen says so then).

Counted per session (rows after the live calibration only):

* ``cues_on_file_uncertain``: live cues of a rule the file's report calls ``uncertain``;
* ``cues_unconfirmed``: live cues no confirmed episode of the file's report has (the rule's
  episode between 1 s before its start and 1 s after its end): a cue the report withdraws;
* ``status_disagree``: rules whose live outcome (``cued``: a cue was said; else ``uncertain``
  when shown so at the last step; else ``ok``) differs from the file's (``violated``,
  ``uncertain``, else ``ok``; rules not measured either way are left out);
* ``cost``: the live pipeline's CPU ms per session second and µs per sample fed (the
  re-decisions' background work included), and the monitor's CPU ms per session second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _seeds import parse_seed_spec

from analysis.angles.live_redecide import RedecidingPipeline
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.recording.streams import CalibrationWindows, Recording
from cli.live_angles import judge_outages, open_gaps, stand_in_column
from stretchguard import analyse, load_recording

LENGTHS = {"1 min": None, "10 min": 600.0, "1 h": 3600.0}


def rate_of(recording: Recording) -> float:
    """The fastest stream's rate (Hz) from its median sample spacing."""
    rates = [
        1.0 / float(np.median(np.diff(s.t_s))) for s in recording.streams.values() if len(s) > 2
    ]
    return round(max(rates), 2)


def _told(live: RedecidingPipeline, told: dict[str, Any]) -> dict[str, Mapping[str, str]]:
    """The monitor's uncertain angles now, in ``cli.live_angles``'s order.

    ``told`` carries what was told so far (switches seen, provisional, session doubts).
    """
    n = len(live.switches)
    if n > told["switches"]:
        told["switches"] = n
        told["base"] = dict(live.switches[-1].uncertain)
    out = dict(told["base"])
    for c, v in live.twist_doubts().items():
        told["twists"].setdefault(c, v)
    for group in (told["twists"], live.provisional, getattr(live, "session_doubts", {})):
        out.update({c: v for c, v in group.items() if c not in out})
    return out


def replay(
    recording: Recording, windows: CalibrationWindows, profile: Any, side: str, tick_s: float
) -> dict[str, Any]:
    """The live cues, the last rule states and the cost of one replay (module docstring)."""
    streams = recording.streams
    live = RedecidingPipeline(streams, rate_hz=rate_of(recording), t0_s=0.0)
    end = max(float(s.t_s[-1]) for s in streams.values())
    assert windows.functional_s is not None
    cal_at = windows.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    monitor: EnvelopeMonitor | None = None
    told: dict[str, Any] = {"switches": 0, "base": {}, "twists": {}}
    cues: list[dict[str, Any]] = []
    carried: list[float] = []
    stand_in: list[float] = []
    state = None
    cpu_live, cpu_monitor, fed = 0.0, 0.0, 0
    for now in np.union1d(np.arange(0.0, end, tick_s), [cal_at, end + 1e-6]):
        c0 = time.process_time()
        for p, s in streams.items():
            j = int(np.searchsorted(s.t_s, now, side="right"))
            if j > pos[p]:
                live.push(p, s.t_s[pos[p] : j], s.acc_m_s2[pos[p] : j], s.gyr_rad_s[pos[p] : j])
                fed += j - pos[p]
                pos[p] = j
        out = live.step(wait=True)
        if not live.calibrated and now >= cal_at:
            live.calibrate(windows)
            told["base"] = dict(live.initial_uncertain)
        cpu_live += time.process_time() - c0
        if out is None or not out.columns or not live.calibrated:
            continue
        c0 = time.process_time()
        if monitor is None:
            monitor = EnvelopeMonitor(profile, side=side, markers=recording.meta.markers)
        monitor.uncertain = _told(live, told)
        monitor.timed = dict(getattr(live, "timed_words", {}))
        outages = live.outages()
        monitor.open_gaps = open_gaps(outages)
        state = monitor.update(out.t_s, out.judged, out.rate_mixing, **_extra(out))
        cpu_monitor += time.process_time() - c0
        if state is None:
            continue
        state = judge_outages(state, outages, side=side, available=out.columns)
        if state.carried:
            carried.append(round(state.t_s, 2))
        newest = {c: float(v[-1]) for c, v in out.judged.items()}
        if stand_in_column(profile, side, outages, newest) is not None:
            stand_in.append(round(state.t_s, 2))
        for r in state.rules:
            if r.cue is not None and r.cue in state.new_cues:
                cues.append({"rule": r.rule, "said_s": round(state.t_s, 2)})
    live.close()
    last = {} if state is None else {r.rule: r.status for r in state.rules}
    return {
        "cues": cues,
        "last_status": last,
        "switches": [sw.to_dict() for sw in live.switches],
        "cpu_ms_per_s": 1e3 * cpu_live / end,
        "cpu_us_per_sample": 1e6 * cpu_live / max(fed, 1),
        "monitor_ms_per_s": 1e3 * cpu_monitor / end,
        "first_row_s": cal_at,
        "carried_s": [carried[0], carried[-1]] if carried else None,
        "stand_in_s": runs(stand_in, tick_s),
    }


def runs(times_s: list[float], tick_s: float) -> list[list[float]]:
    """``times_s`` (ascending, s) as ``[first, last]`` runs: a new run after a step > 1.5 ticks."""
    out: list[list[float]] = []
    for t in times_s:
        if out and t - out[-1][1] <= 1.5 * tick_s:
            out[-1][1] = t
        else:
            out.append([t, t])
    return out


def _extra(out: Any) -> dict[str, Any]:
    """The step's per-row doubt bounds for the monitor, when the live path gives them."""
    bounds = getattr(out, "doubt_bounds", None)
    return {} if bounds is None else {"doubt_bounds": bounds}


def file_view(res: Any) -> dict[str, Any]:
    """The file's rule statuses, confirmed episodes and uncertain angles."""
    env = res.envelope
    return {
        "status": {r.rule: r.status for r in env.rules},
        "episodes": [
            {"rule": r.rule, "start_s": e.start_s, "end_s": e.end_s}
            for r in env.rules
            if r.status != "uncertain"
            for e in r.episodes
        ],
        "uncertain_angles": sorted(res.angles.uncertain),
        "timed_doubts": sorted(res.angles.timed_doubts),
    }


def compare(live: Mapping[str, Any], file: Mapping[str, Any]) -> dict[str, Any]:
    """The counts of the module docstring."""
    status = file["status"]
    on_uncertain = [c for c in live["cues"] if status.get(c["rule"]) == "uncertain"]
    unconfirmed = [
        c
        for c in live["cues"]
        if not any(
            e["rule"] == c["rule"] and e["start_s"] - 1.0 <= c["said_s"] <= e["end_s"] + 1.0
            for e in file["episodes"]
        )
    ]
    cued = {c["rule"] for c in live["cues"]}
    disagree = {}
    for rule, st in status.items():
        if st == "not_measured" or live["last_status"].get(rule, "not_measured") == "not_measured":
            continue
        mine = (
            "cued"
            if rule in cued
            else "uncertain"
            if live["last_status"].get(rule) == "uncertain"
            else "ok"
        )
        theirs = {"violated": "cued", "uncertain": "uncertain"}.get(st, "ok")
        if mine != theirs:
            disagree[rule] = f"live {mine}, file {st}"
    return {
        "cues_on_file_uncertain": on_uncertain,
        "cues_unconfirmed": unconfirmed,
        "status_disagree": disagree,
    }


def one(
    recording: Recording, name: str, tick_s: float, *, exercise: str | None, side: str | None
) -> dict[str, Any]:
    """Analyse ``recording`` as a file and replay it live; the record of the session."""
    t0 = time.perf_counter()
    res = analyse(recording, exercise=exercise, side=side, notice=lambda _m: None, workers=1)
    cal = res.angles.calibration
    windows = CalibrationWindows(static_s=cal.static_s, functional_s=cal.functional_s)
    file = file_view(res)
    live = replay(recording, windows, res.envelope.profile, res.envelope.side, tick_s)
    file["episodes"] = [e for e in file["episodes"] if e["end_s"] >= live["first_row_s"]]
    rec = {"session": name, "file": file, "live": live, **compare(live, file)}
    rec["seconds"] = time.perf_counter() - t0
    return rec


def population_length(seed: int) -> str:
    """The length ``bench/population.py`` gives person ``seed`` (``--hours``: from 10,000)."""
    if seed >= 10_000:
        return "1 h"
    return "10 min" if seed % 3 == 2 else "1 min"


def sessions(args: argparse.Namespace) -> Iterable[tuple[Recording, str, str | None, str | None]]:
    """``(recording, name, exercise, side)`` of the files, then of the people."""
    for f in args.files:
        yield load_recording(f), f"{Path(f).parent.name}/{Path(f).name}", None, None
    if args.people:
        from analysis.simulation.population import generate_person, generate_session

        for seed in parse_seed_spec(args.people):
            length = population_length(seed) if args.length == "auto" else args.length
            person = generate_person(seed)
            ses = generate_session(person, 0, LENGTHS[length], args.set)
            yield ses.recording(), f"person {seed} {args.set} {length}", ses.profile_name, ses.side


def _print(rec: Mapping[str, Any]) -> None:
    live = rec["live"]
    print(
        f"{rec['session']}: {len(live['cues'])} cues, {len(rec['cues_on_file_uncertain'])} on "
        f"file-uncertain rules, {len(rec['cues_unconfirmed'])} the file does not confirm, "
        f"{len(rec['status_disagree'])} rule(s) disagree {rec['status_disagree']}; file "
        f"uncertain {rec['file']['uncertain_angles']}; live cost "
        f"{live['cpu_us_per_sample']:.1f} µs/sample, monitor {live['monitor_ms_per_s']:.1f} "
        f"ms/s ({rec['seconds']:.0f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--people", default="")
    ap.add_argument("--set", default="default")
    ap.add_argument("--length", default="auto", choices=[*LENGTHS, "auto"])
    ap.add_argument("--tick-s", type=float, default=1.0)
    ap.add_argument("--out-json")
    args = ap.parse_args(argv)
    out = []
    for recording, name, exercise, side in sessions(args):
        rec = one(recording, name, args.tick_s, exercise=exercise, side=side)
        _print(rec)
        sys.stdout.flush()
        out.append(rec)
    if args.out_json:
        with Path(args.out_json).open("x", encoding="utf-8") as f:
            json.dump(out, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
