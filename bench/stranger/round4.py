"""Round 4: the clinician's "nerve or muscle?" test in a hold, other hamstring stretches people
do, a strap that slips, a sensor that drops out and clocks that drift.

From the public docs only (README, ``stretchguard analyse --help``, docs/envelope.md "Marks"
and "How a session is judged" 7, docs/conventions.md, docs/vendor-formats.md, DESIGN §4):

* ``diff_test`` — during a standing hold the person moves the remote joint a few times with
  the hip held still: toes up and away (ankle to +8…+16° and back) or looking down and up
  (neck to +25…+35°, then −10…−20°). 60 % write the test's marks (``diff_start`` labelled
  "ankle test" / "neck test", ``diff_end`` with an answer) as the live guide's ``a``/``l``
  keys would, into the canonical file's sidecar; the others do it on their own, unmarked
  (then the movement is a real excursion past the rule's edge, scored as a scripted break).
  A quarter of the tests are done badly: the thigh sinks 8–12° while the joint moves (the
  docs' "your hip moved 8°, the test does not count").
* ``low_step`` — the heel on a low step (thigh at 40–55° instead of 55–80°), leaning in
  further (10–30° of pelvis tilt).
* ``door_frame`` — lying on the back, the leg resting up a door frame: the supine profile,
  one static hold of 60–120 s, fidgeting half as much (the leg rests on the frame).
* ``strap_slip`` — one sensor's strap (thigh, shank or the pelvis's belt) turns 5–20° round
  its segment's long axis after the calibration: at once (a knock, 0.2–0.4 s) or creeping
  over 20–60 s. The truth (the segments) does not move.
* ``dropout`` — one default-set sensor's rows are missing for 2–20 s inside a hold (out of
  range), and every sensor's time stamps come from its own clock: started 0–40 ms late and
  running 50–200 ppm fast or slow.

My assumptions (not in the docs): the sizes above; that a slipped strap turns about the
segment's long axis; that a sensor out of range loses its rows (nothing is buffered).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.stranger import compare, protocol
from bench.stranger.exercises import (
    BREAK_TARGETS,
    SUPINE_BREAKS,
    into_standing_stretch,
    out_of_standing_stretch,
    scripted_breaks,
    sides,
)
from bench.stranger.person import BREAK_KINDS, Person
from bench.stranger.rounds import canonical_set_jobs, n_breaks, run_round_seed, set_placements
from bench.stranger.script import Script

STYLES = ("diff_test", "low_step", "door_frame", "strap_slip", "dropout")


def round4_plan(seed: int, minutes: float | None) -> dict:
    """Round 4's session of ``seed``: the style (seed mod 5) and its draws."""
    rng = np.random.default_rng([seed, 4, 1])
    style = STYLES[seed % len(STYLES)]
    supine = style == "door_frame"
    duration = minutes * 60.0 if minutes else 120.0 if supine else float(rng.choice([120.0, 180.0]))
    breaks = []
    if seed % 2:
        kinds = sorted(SUPINE_BREAKS) if supine else list(BREAK_KINDS)
        n = n_breaks(duration)
        breaks = [str(k) for k in rng.choice(kinds, size=n, replace=n > len(kinds))]
    plan = {
        "exercise": "supine" if supine else "standing",
        "style": style,
        "variants": [],
        "exact": False,
        "duration_s": duration,
        "breaks": breaks,
        "vendor": None,
    }
    if style == "diff_test":
        plan["test"] = {
            "movement": str(rng.choice(["ankle", "neck"])),
            "marked": bool(rng.random() < 0.6),
            "hip_moves": bool(rng.random() < 0.25),
            "answer": str(rng.choice(["more", "less", "same"])),
        }
    elif style == "strap_slip":
        plan["slip"] = {
            "segment": str(rng.choice(["thigh", "shank", "pelvis"])),
            "deg": float(rng.choice([-1.0, 1.0]) * rng.uniform(5.0, 20.0)),
            "ramp_s": float(rng.uniform(0.2, 0.4) if rng.random() < 0.5 else rng.uniform(20, 60)),
            "at": float(rng.uniform(0.1, 0.6)),  # fraction of the time after the movements
        }
    elif style == "dropout":
        plan["dropout"] = {
            "segment": str(rng.choice(["pelvis", "thigh", "shank", "foot"])),
            "len_s": float(rng.uniform(2.0, 20.0)),
            "at": float(rng.uniform(0.0, 1.0)),
        }
        plan["clocks"] = [
            (float(rng.uniform(0.0, 0.04)), float(rng.choice([-1, 1]) * rng.uniform(50, 200)))
            for _ in range(9)
        ]
    return plan


def person_changes(plan: dict, p: Person, seed: int) -> dict:
    """What the style changes about the drawn person."""
    rng = np.random.default_rng([seed, 4, 2])
    if plan["style"] == "low_step":
        return {"support_incl_deg": rng.uniform(40.0, 55.0), "lean_deg": rng.uniform(10.0, 30.0)}
    if plan["style"] == "door_frame":
        return {
            "hold_s": rng.uniform(60.0, 120.0),
            "fidget": p.fidget * 0.5,
            "n_stretches": 1,
            "stretch_knee_deg": rng.uniform(12.0, 22.0),
        }
    return {}


def _remote_test(sc: Script, p: Person, rng: np.random.Generator, test: dict) -> None:
    """The remote joint moved 2–4 times (hip still, or the thigh sinking 8–12° when done badly),
    between the test's marks."""
    ex, _ = sides(p)
    chan = f"ankle_{ex}" if test["movement"] == "ankle" else "neck"
    rest = sc.value(chan)
    kw = {"label": f"{test['movement']} test", "movement": test["movement"]}
    rule = "neck_flexion" if chan == "neck" else "ankle_dorsiflexion"
    incl = sc.value(f"incl_{ex}")
    sc.mark("diff_start", **kw, marked=int(test["marked"]))
    if not test["marked"]:
        sc.mark("break_start", rule=rule)
    sc.hold(rng.uniform(0.4, 0.8))
    if test["hip_moves"]:
        sc.ramp(sc.t_s, rng.uniform(1.0, 1.5), **{f"incl_{ex}": incl - rng.uniform(8.0, 12.0)})
    for _ in range(int(rng.integers(2, 5))):
        up = rng.uniform(8.0, 16.0) if chan != "neck" else rng.uniform(25.0, 35.0)
        sc.move(rng.uniform(0.8, 1.2), **{chan: up})
        sc.hold(rng.uniform(0.8, 1.5))
        down = rest if chan != "neck" else -rng.uniform(10.0, 20.0)
        sc.move(rng.uniform(0.8, 1.2), **{chan: down})
        sc.hold(rng.uniform(0.5, 1.0))
    sc.move(rng.uniform(0.6, 1.0), **{chan: rest})
    if test["hip_moves"]:
        sc.move(rng.uniform(1.0, 1.5), **{f"incl_{ex}": incl})
    sc.hold(rng.uniform(0.5, 1.5))
    if not test["marked"]:
        sc.mark("break_end", rule=rule)
    sc.mark("diff_end", **kw, marked=int(test["marked"]), answer=test["answer"])


def stretch_with_test(
    sc: Script, p: Person, rng: np.random.Generator, breaks: list[str], test: dict
) -> None:
    """protocol.one_stretch with hold marks and a "nerve or muscle?" test after its breaks."""
    into_standing_stretch(sc, p, rng)
    hold_start = sc.t_s
    sc.mark("hold_start")
    if breaks:
        scripted_breaks(sc, p, rng, breaks, BREAK_TARGETS, ramp_first=True)
    else:
        sc.hold(rng.uniform(5.0, 8.0))
    _remote_test(sc, p, rng, test)
    sc.hold(max(hold_start + p.hold_s * rng.uniform(0.9, 1.1) - sc.t_s, 5.0))
    sc.mark("hold_end")
    out_of_standing_stretch(sc, p)


def session_with_tests(test: dict):
    """A ``session.generate`` script builder: the protocol, then stretches, each with a test."""

    def build(p: Person, *, duration_s: float, breaks: list[str], seed: int, **_) -> Script:
        rng = np.random.default_rng([seed, 4, 3])
        sc = Script({"flat_r": 1.0, "flat_l": 1.0, "w_r": 0.5})
        protocol._protocol(sc, p, rng, ())
        pending, done = list(breaks), 0
        while done < p.n_stretches or sc.t_s < duration_s - 50.0:
            per, pending = pending[:2], pending[2:]
            stretch_with_test(sc, p, rng, per, test)
            sc.hold(rng.uniform(4.0, 15.0))
            done += 1
        return sc

    return build


def generate_kwargs(plan: dict, seed: int) -> dict:
    """``session.generate``'s arguments for a round-4 plan (every sensor its own draws)."""
    from bench.stranger.person import draw_person

    p = draw_person(seed, n_stretches=1 if plan["duration_s"] < 80 else None)
    kw = {
        "duration_s": plan["duration_s"],
        "breaks": plan["breaks"],
        "exercise": plan["exercise"],
        "person_changes": person_changes(plan, p, seed) or None,
        "devices": {},
    }
    if plan["style"] == "diff_test":
        kw["builder"] = session_with_tests(plan["test"])
    return kw


def place_slip(plan: dict, events: list[dict], side: str) -> dict:
    """``devices["slip"]`` for a strap-slip plan: at its fraction of the time after the
    movements, before the session's last 20 s."""
    slip = plan["slip"]
    t_mov = next(e["t_s"] for e in events if e["kind"] == "movements_end")
    t_end = max(e["t_s"] for e in events)
    t0 = t_mov + 2.0 + slip["at"] * max(t_end - t_mov - 22.0, 1.0)
    seg = slip["segment"] if slip["segment"] == "pelvis" else f"{side}_{slip['segment']}"
    return {seg: {"t0_s": t0, "ramp_s": slip["ramp_s"], "deg": slip["deg"]}}


def place_dropout(plan: dict, truth: pd.DataFrame, events: list[dict], side: str) -> dict:
    """The dropout's window inside the truth's longest hold, clear of the scripted breaks by
    2 s where the hold allows (else its last part): ``{"sensor", "t_s", "end_s"}``."""
    d = plan["dropout"]
    holds = compare.truth_holds(truth, side, plan["exercise"], set())
    a, b = max(holds, key=lambda h: h[1] - h[0])
    length = min(d["len_s"], max(b - a - 2.0, 1.0))
    busy = [
        (e["t_s"] - 2.0, f["t_s"] + 2.0)
        for e, f in zip(
            [e for e in events if e["kind"] == "break_start"],
            [e for e in events if e["kind"] == "break_end"],
            strict=False,
        )
    ]
    starts = np.arange(a + 1.0, b - 1.0 - length, 0.1)
    free = [s for s in starts if all(s + length <= x or s >= y for x, y in busy)]
    pool = free or list(starts) or [a]
    t0 = float(pool[int(d["at"] * (len(pool) - 1))])
    seg = d["segment"] if d["segment"] == "pelvis" else f"{side}_{d['segment']}"
    return {"kind": "dropout", "sensor": seg, "t_s": t0, "end_s": t0 + length}


def markers(events: list[dict]) -> list[dict]:
    """The sidecar's marks of the tests the person marked."""
    out = []
    for e in events:
        if e["kind"] in ("diff_start", "diff_end") and e.get("marked"):
            m = {"t_s": round(e["t_s"], 3), "label": e["label"], "kind": e["kind"]}
            if e["kind"] == "diff_end":
                m["answer"] = e["answer"]
            out.append(m)
    return out


def canonical_jobs(s, plan: dict, folder: Path, sets: tuple[str, ...]) -> list[tuple]:
    """Each set's canonical file (gaps, clocks and the sidecar the plan asks for) as a runner
    job ``(name, inputs, options, t_offset_s)``."""
    from bench.stranger.session import SENSOR_SETS

    gaps = {e["sensor"]: (e["t_s"], e["end_s"]) for e in s.events if e["kind"] == "dropout"}
    clocks = None
    if plan.get("clocks"):
        clocks = {seg: tuple(c) for seg, c in zip(SENSOR_SETS["full"], plan["clocks"], strict=True)}
    return canonical_set_jobs(s, folder, sets, marks=markers(s.events), gaps=gaps, clocks=clocks)


def generate_session(seed: int, plan: dict, sets: tuple[str, ...]):
    """The plan's session, only the sensors ``sets`` need: a strap slip placed after the
    movements (from a first pass without sensors), a dropout inside the longest hold (its
    event added to ``events``, as the slip's is)."""
    from bench.stranger.person import draw_person
    from bench.stranger.session import generate

    side = draw_person(seed).side
    placements = set_placements(side, sets)
    kw = generate_kwargs(plan, seed)
    slip = None
    if plan["style"] == "strap_slip":
        slip = place_slip(plan, generate(seed, placements=(), **kw).events, side)
        kw["devices"] = {"slip": slip}
    s = generate(seed, placements=placements, **kw)
    if slip:
        ((seg, v),) = slip.items()
        s.events.append({"kind": "slip", "sensor": seg, "t_s": v["t0_s"], **v})
    if plan["style"] == "dropout":
        truth = pd.DataFrame({"t_s": s.truth_t_s, **s.truth})
        s.events.append(place_dropout(plan, truth, s.events, side))
    return s


def run_seed(seed: int, minutes: float | None, work: Path, sets: tuple[str, ...]) -> dict:
    """One round-4 seed: generate, write the canonical sets (gaps, clocks, sidecar), analyse
    each (``stretchguard analyse``, one at a time), judge."""
    plan = round4_plan(seed, minutes)
    return run_round_seed(
        seed,
        plan,
        work,
        lambda: generate_session(seed, plan, sets),
        lambda s, folder: canonical_jobs(s, plan, folder, sets),
        by_set=True,
    )
