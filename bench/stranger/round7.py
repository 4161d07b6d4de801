"""Round 7: hamstring stretches and recordings rounds 1–6 do not cover.

Written from public exercise sheets (cited in docs/accuracy.md, round 23) and the project's
public docs (README, docs/envelope.md, docs/vendor-formats.md); no analysis code read.

Styles (seed mod 5):

* ``chair`` — sitting on the edge of a chair, the exercised leg out in front with the heel on
  a low stool (the knee soft, 8–20°; the toes pointed down, as the sheets ask), leaning the
  chest forward from the hips (the pelvis tips 12–32° from its sitting tilt, the back long);
  the other knee stays bent about 90° with its foot flat. Judged as ``standing_hamstring``
  (no chair profile; hip ≥ 45° with the knee ≤ 60° holds for the whole sit).
* ``step`` — standing, the exercised heel on a stair step 12–22 cm high, the standing knee
  bent 15–35° (the hips drop, so the heel is relatively higher), then a slight bend forward
  from the hips.
* ``strap_pumps`` — lying on the back, the raised leg held by a strap or towel in the hands,
  and ankle pumps during the hold: 6–12 slow cycles of pointing the foot and pulling it back
  (0.25–0.6 Hz), the pull stopping short of neutral (peak −12…−4°: the ankle rule's edge
  is 0°).
* ``tensioner`` — the long sit of round 6 (legs out, knees soft, reaching from the pelvis),
  the knee held while the neck and the ankle move: a *tensioner* (chin down as the toes come
  up, both ends loading the nerve) or a *slider* (chin up as the toes come up), 5–10 cycles at
  0.15–0.35 Hz, inside the neck's 15° and the ankle's 0° edges.
* ``swap`` — the standing heel-on-a-support stretch, but the person changes legs after each
  stretch (the other leg up, the exercised leg standing), as the sheets' "swap sides".

Recordings (drawn per seed, independent of the style):

* ``table`` — one sensor of the default set lies still on the table for the first 5–14 s
  (on its back or face, any heading), then is picked up and strapped on over 3–5 s, and only
  then does the person stand still for the protocol (the person stands still meanwhile).
* ``gap`` — one of the nine sensors loses 2–20 s of rows inside the longest hold (out of
  range), any sensor of the full set (round 4: the default set's only).
* ``ble_jitter`` — the canonical file's stamps as a host writes them on BLE arrival: the
  samples travel 1–4 per notification, each notification arrives at the next connection event
  (interval 7.5–30 ms) and 1–8 % of them one to four events later (a retransmission), each
  sample stamped back from its notification's arrival by the nominal period (strictly
  increasing per sensor).
* ``plain`` — none of these.

Vendor file: a quarter of the seeds are WitMotion sessions (100 Hz) whose default set is also
written as a WitMotion PC-software export **tab-separated** (docs/vendor-formats.md: the
reader takes comma or tab; the writers so far wrote commas only).

People, rates, strapping and protocol as round 6 (without its tremor). Odd seeds add 2–6
scripted breaks in the holds (each style's own kinds), even seeds none.

My assumptions (not in the sources): every size above; that the pumping ankle and the moving
neck stay inside their edges on a correct session; the BLE timing figures.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from bench.stranger import compare, exercises, protocol, round6, writers
from bench.stranger.exercises import (
    BREAK_TARGETS,
    SUPINE_BREAKS,
    into_standing_stretch,
    out_of_standing_stretch,
    scripted_breaks,
    sides,
)
from bench.stranger.person import Person, draw_person
from bench.stranger.script import Script

STYLES = ("chair", "step", "strap_pumps", "tensioner", "swap")
RECORDINGS = ("plain", "table", "gap", "ble_jitter")
#: each style's scripted break kinds (the step's standing foot is flat, but the exercised foot
#: is free on the step: every kind)
STYLE_BREAKS = {
    "chair": tuple(sorted(BREAK_TARGETS)),
    "step": tuple(sorted(BREAK_TARGETS)),
    "strap_pumps": tuple(sorted(set(SUPINE_BREAKS) - {"ankle_dorsiflexion"})),
    "tensioner": tuple(sorted(set(BREAK_TARGETS) - {"ankle_dorsiflexion", "neck_flexion"})),
    "swap": tuple(sorted(BREAK_TARGETS)),
}
#: the ankle pumps' and the tensioner's peaks stay this far inside the rules' edges (degrees)
PUMP_PEAK_DEG = (-12.0, -4.0)
NECK_PEAK_DEG = (6.0, 11.0)


def round7_plan(seed: int, minutes: float | None) -> dict:
    """Round 7's session of ``seed``: style (seed mod 5), recording, person, rate, strapping."""
    rng = np.random.default_rng([seed, 7, 1])
    style = STYLES[seed % len(STYLES)]
    drawn = float(rng.choice([120.0, 180.0]))
    kind = str(rng.choice(list(round6.PEOPLE)))
    protocol_style = str(rng.choice(["literal", "sloppy", "plain"], p=[0.35, 0.35, 0.3]))
    variants = {"literal": ["literal"], "plain": []}.get(protocol_style)
    if variants is None:
        variants = [str(rng.choice(round6.SLOPPY))]
    vendor = "witmotion_tab" if rng.random() < 0.25 else None
    rate = 100.0 if vendor else float(rng.choice(sorted(round6.RATE_FAMILIES)))
    family = "witmotion" if vendor else str(rng.choice(round6.RATE_FAMILIES[rate]))
    mount = {"thigh": str(rng.choice(["lateral", "anterior"]))}
    if rng.random() < 0.5:
        mount["shank"] = mount["thigh"]
    recording = str(rng.choice(RECORDINGS))
    plan = {
        "exercise": "supine" if style == "strap_pumps" else "standing",
        "style": style,
        "recording": recording,
        "variants": variants,
        "protocol": protocol_style,
        "exact": False,
        "duration_s": minutes * 60.0 if minutes else drawn,
        "breaks": [],
        "vendor": vendor,
        "kind": kind,
        "flex": round6._flex_range(kind, rng),
        "rate_hz": rate,
        "family": family,
        "mount": mount,
    }
    if seed % 2:
        n = max(2, min(int(plan["duration_s"] // 60) * 2, 6))
        plan["breaks"] = [str(k) for k in rng.choice(STYLE_BREAKS[style], size=n)]
    if recording == "table":
        plan["table"] = {
            "segment": str(rng.choice(["pelvis", "thigh", "shank", "foot"])),
            "until_s": float(rng.uniform(5.0, 14.0)),
            "pickup_s": float(rng.uniform(3.0, 5.0)),
            "yaw_deg": float(rng.uniform(-180.0, 180.0)),
            "face_down": bool(rng.random() < 0.3),
            "offset_m": [float(rng.uniform(0.2, 0.6)), float(rng.uniform(-0.4, 0.4)), -0.1],
        }
    elif recording == "gap":
        plan["gap"] = {
            "sensor": int(rng.integers(0, 9)),
            "len_s": float(rng.uniform(2.0, 20.0)),
            "at": float(rng.uniform(0.0, 1.0)),
        }
    elif recording == "ble_jitter":
        plan["ble"] = {
            "interval_s": float(rng.choice([0.0075, 0.015, 0.030])),
            "per_packet": int(rng.integers(1, 5)),
            "retry_p": float(rng.uniform(0.01, 0.08)),
        }
    return plan


def person_changes(plan: dict, p: Person, seed: int) -> dict:
    """What the person's kind changes (round 6's, without the tremor), and the step's
    heel height."""
    out = round6.person_changes({**plan, "style": "round7"}, p, seed)
    rng = np.random.default_rng([seed, 7, 2])
    if plan["style"] == "step":
        q = dataclasses.replace(p, **out)
        out.update(step_pose(q, rng))
    return out


def step_pose(p: Person, rng: np.random.Generator) -> dict:
    """The heel on a stair step 12–22 cm high with the standing knee bent 15–35°: the hips drop
    by what that bend shortens the standing leg (thigh and shank each tipped half the bend), so
    the heel is that much higher relative to them; the thigh's inclination follows
    (``round6.heel_thigh_incl_deg``), the lean is a slight bend at the hips."""
    step_m = rng.uniform(0.12, 0.22)
    bend = rng.uniform(15.0, 35.0)
    drop = (p.thigh_m + p.shank_m) * (1.0 - math.cos(math.radians(bend / 2.0)))
    incl = round6.heel_thigh_incl_deg(step_m + drop, p.thigh_m, p.shank_m, p.stretch_knee_deg)
    lean = float(np.clip(52.0 - incl + rng.uniform(0.0, 15.0), 8.0, 40.0))
    return {"support_incl_deg": incl, "lean_deg": lean, "step_m": step_m, "stand_knee_deg": bend}


def chair_stretch(sc: Script, p: Person, rng: np.random.Generator, flex: float, breaks):
    """Heel onto the stool (the knee soft, toes down), lean from the hips, hold, sit back."""
    ex, _ = sides(p)
    seat = {k: sc.value(k) for k in ("tilt", "lumbar", "neck", f"incl_{ex}", f"knee_{ex}")}
    knee = rng.uniform(8.0, 20.0)
    sc.move(0.4, **{f"flat_{ex}": 0.0})
    sc.move(
        rng.uniform(1.5, 2.5) / p.speed,
        **{
            f"incl_{ex}": 90.0 - rng.uniform(4.0, 14.0),
            f"knee_{ex}": knee,
            f"ankle_{ex}": -rng.uniform(5.0, 20.0),
        },
    )
    sc.hold(rng.uniform(1.0, 2.0))
    sc.move(
        rng.uniform(2.5, 4.0) / p.speed,
        tilt=seat["tilt"] + 12.0 + 20.0 * flex * rng.uniform(0.8, 1.0),
        lumbar=rng.uniform(2.0, 7.0),
        neck=rng.uniform(0.0, 10.0),
    )
    round6._hold(sc, p, rng, breaks, BREAK_TARGETS)
    sc.move(rng.uniform(2.5, 4.0) / p.speed, tilt=seat["tilt"], lumbar=seat["lumbar"], neck=0.0)
    sc.move(
        rng.uniform(1.5, 2.5) / p.speed,
        **{f"incl_{ex}": seat[f"incl_{ex}"], f"knee_{ex}": seat[f"knee_{ex}"], f"ankle_{ex}": 0.0},
    )
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.hold(rng.uniform(4.0, 10.0))


def step_stretch(sc: Script, p: Person, rng: np.random.Generator, stand_knee_deg: float, breaks):
    """The standing knee bends, the heel onto the step, a slight lean, hold, back down."""
    _, st = sides(p)
    sc.move(1.0 / p.speed, **{f"knee_{st}": stand_knee_deg, f"incl_{st}": stand_knee_deg / 2})
    into_standing_stretch(sc, p, rng)
    round6._hold(sc, p, rng, breaks, BREAK_TARGETS)
    out_of_standing_stretch(sc, p)
    sc.move(1.0 / p.speed, **{f"knee_{st}": 0.0, f"incl_{st}": 0.0})
    sc.hold(rng.uniform(4.0, 12.0))


def ankle_pumps(sc: Script, p: Person, rng: np.random.Generator, chan: str) -> None:
    """6–12 slow cycles of pointing the foot and pulling it back short of neutral."""
    rest = sc.value(chan)
    half = 0.5 / rng.uniform(0.25, 0.6)
    sc.mark("pumps_start")
    for _ in range(int(rng.integers(6, 13))):
        sc.move(half * rng.uniform(0.9, 1.1), **{chan: rng.uniform(*PUMP_PEAK_DEG)})
        sc.move(half * rng.uniform(0.9, 1.1), **{chan: -rng.uniform(25.0, 35.0)})
    sc.move(half, **{chan: rest})
    sc.mark("pumps_end")


def strap_stretch(sc: Script, p: Person, rng: np.random.Generator, pose: dict, flex, breaks):
    """The leg raised with a strap in the hands; pumps in the hold; lowered (hold marks round
    all of it)."""
    ex, _ = sides(p)
    hold_start = round6.raise_leg_lying(sc, p, rng, pose, 35.0 * flex, (10.0, 22.0), (15.0, 25.0))
    sc.hold(rng.uniform(3.0, 6.0))
    ankle_pumps(sc, p, rng, f"ankle_{ex}")
    if breaks:
        scripted_breaks(sc, p, rng, breaks, SUPINE_BREAKS)
    sc.hold(max(hold_start + p.hold_s * rng.uniform(0.9, 1.1) - sc.t_s, 3.0))
    sc.mark("hold_end")
    sc.move(rng.uniform(2.5, 4.0) / p.speed, **{k: pose[k] for k in ("tilt", f"incl_{ex}")})
    sc.move(1.0, **{k: pose[k] for k in (f"knee_{ex}", f"ankle_{ex}", f"rot_{ex}")})
    sc.hold(rng.uniform(4.0, 10.0))


def neural_cycles(sc: Script, rng: np.random.Generator, ankle: str, tensioner: bool) -> None:
    """5–10 cycles of the ankle pulled up (short of neutral) and pointed, the neck flexing with
    it (tensioner) or extending (slider)."""
    ankle0, neck0 = sc.value(ankle), sc.value("neck")
    half = 0.5 / rng.uniform(0.15, 0.35)
    sc.mark("neural_start", mode="tensioner" if tensioner else "slider")
    for _ in range(int(rng.integers(5, 11))):
        up = rng.uniform(*PUMP_PEAK_DEG)
        neck = rng.uniform(*NECK_PEAK_DEG) if tensioner else -rng.uniform(10.0, 20.0)
        sc.move(half * rng.uniform(0.9, 1.1), **{ankle: up, "neck": neck})
        down = -rng.uniform(20.0, 30.0)
        neck = -rng.uniform(10.0, 20.0) if tensioner else rng.uniform(*NECK_PEAK_DEG)
        sc.move(half * rng.uniform(0.9, 1.1), **{ankle: down, "neck": neck})
    sc.move(half, **{ankle: ankle0, "neck": neck0})
    sc.mark("neural_end")


def tensioner_reach(sc: Script, p: Person, rng: np.random.Generator, pose: dict, breaks):
    """Reach from the pelvis, hold with the neck and ankle cycling, sit tall."""
    ex, _ = sides(p)
    sc.move(
        rng.uniform(2.5, 4.0) / p.speed,
        tilt=pose["tilt"] + pose["reach"] * rng.uniform(0.8, 1.0),
        lumbar=rng.uniform(2.0, 7.0),
        neck=rng.uniform(0.0, 6.0),
    )
    hold_start = sc.t_s
    sc.mark("hold_start")
    sc.hold(rng.uniform(3.0, 5.0))
    neural_cycles(sc, rng, f"ankle_{ex}", bool(rng.random() < 0.5))
    if breaks:
        scripted_breaks(sc, p, rng, breaks, BREAK_TARGETS, ramp_first=True)
    sc.hold(max(hold_start + p.hold_s * rng.uniform(0.9, 1.1) - sc.t_s, 4.0))
    sc.mark("hold_end")
    sc.move(rng.uniform(2.5, 4.0) / p.speed, tilt=pose["tilt"], lumbar=pose["lumbar"], neck=0.0)
    sc.hold(rng.uniform(5.0, 12.0))


def swap_stretch(sc: Script, p: Person, rng: np.random.Generator, leg: str, breaks) -> None:
    """One heel-on-the-support stretch of ``leg`` ("exercised" or "other"); the other leg's has
    no scripted breaks (the rules read the exercised leg)."""
    q = p
    if leg == "other":
        q = dataclasses.replace(p, side="left" if p.side == "right" else "right")
    into_standing_stretch(sc, q, rng)
    if leg == "other":
        sc.mark("other_leg_start")
        sc.hold(p.hold_s * rng.uniform(0.9, 1.1))
        sc.mark("other_leg_end")
    else:
        round6._hold(sc, p, rng, breaks, BREAK_TARGETS)
    out_of_standing_stretch(sc, q)
    sc.hold(rng.uniform(4.0, 12.0))


def build_round7(plan: dict):
    """A ``session.generate`` script builder for the plan's style (and its table pre-roll)."""
    style, flex = plan["style"], plan["flex"]

    def build(p: Person, *, duration_s: float, breaks: list[str], seed: int, **_) -> Script:
        rng = np.random.default_rng([seed, 7, 3])
        sc = Script({"flat_r": 1.0, "flat_l": 1.0, "w_r": 0.5})
        if plan.get("table"):  # standing by while the sensor is fetched and strapped on
            sc.hold(plan["table"]["until_s"] + plan["table"]["pickup_s"] + 0.5)
            sc.mark("strapped")
        protocol._protocol(sc, p, rng, tuple(plan["variants"]))
        pose = None
        if style == "strap_pumps":
            pose = exercises.lie_down(sc, p, rng)
        elif style == "tensioner":
            pose = round6.sit_on_floor(sc, p, rng, flex)
        elif style == "chair":
            exercises.sit_down(sc, p, rng)
        pending, done = list(breaks), 0
        while done < p.n_stretches or sc.t_s < duration_s - 50.0:
            per, pending = pending[:2], pending[2:]
            if style == "chair":
                chair_stretch(sc, p, rng, flex, per)
            elif style == "step":
                step_stretch(sc, p, rng, plan["stand_knee_deg"], per)
            elif style == "strap_pumps":
                strap_stretch(sc, p, rng, pose, flex, per)
            elif style == "tensioner":
                tensioner_reach(sc, p, rng, pose, per)
            else:
                swap_stretch(sc, p, rng, "exercised", per)
                swap_stretch(sc, p, rng, "other", [])
            done += 1
        return sc

    return build


def table_device(plan: dict, side: str) -> dict:
    """``devices["table"]`` for a table plan (its placement on the exercised leg)."""
    t = dict(plan["table"])
    seg = t.pop("segment")
    return {seg if seg == "pelvis" else f"{side}_{seg}": t}


def generate_session(seed: int, plan: dict, placements: tuple[str, ...]):
    """The plan's session with only ``placements``' sensors (each its own draws), at the
    plan's rate and strapping; a gap placed in the longest hold (its event added)."""
    from bench.stranger import body
    from bench.stranger.round4 import place_dropout
    from bench.stranger.session import generate

    p0 = draw_person(seed)
    changes = person_changes(plan, p0, seed)
    for k in ("step_m", "stand_knee_deg"):
        if k in changes:
            plan[k] = changes.pop(k)  # recorded with the plan
    devices = {"rate_hz": plan["rate_hz"], "mount": plan["mount"]}
    if plan.get("table"):
        devices["table"] = table_device(plan, p0.side)
    s = generate(
        seed,
        duration_s=plan["duration_s"],
        breaks=plan["breaks"],
        exercise=plan["exercise"],
        variants=tuple(plan["variants"]),
        placements=placements,
        person_changes=changes or None,
        family=plan["family"],
        devices=devices,
        builder=build_round7(plan),
    )
    if plan.get("table"):
        ((seg, t),) = devices["table"].items()
        s.events.append({"kind": "on_table", "sensor": seg, "t_s": 0.0, "end_s": t["until_s"]})
    if plan.get("gap"):
        g = plan["gap"]
        truth = pd.DataFrame({"t_s": s.truth_t_s, **s.truth})
        ev = place_dropout(
            {"dropout": {"segment": "pelvis", "len_s": g["len_s"], "at": g["at"]}, **plan},
            truth,
            s.events,
            s.person.side,
        )
        ev["sensor"] = body.SEGMENTS[g["sensor"]]
        s.events.append(ev)
    return s


def ble_stamps(t_s: np.ndarray, rate_hz: float, ble: dict, rng: np.random.Generator):
    """Host stamps of BLE notifications: ``per_packet`` samples a notification, sent at the
    first connection event after its last sample (a ``retry_p`` share 1–4 events later; the
    link delivers in order, so the ones behind it wait too). The samples that arrive at one
    connection event are stamped evenly from the previous event's last stamp up to this
    arrival (at most the nominal period apart, the last one at the arrival): strictly
    increasing, bunched after a late event."""
    k, ci = ble["per_packet"], ble["interval_s"]
    period = 1.0 / rate_hz
    idx = np.arange(len(t_s))
    last = np.minimum((idx // k + 1) * k - 1, len(t_s) - 1)
    firsts = np.arange(0, len(t_s), k)
    delay = np.where(rng.random(len(firsts)) < ble["retry_p"], rng.integers(1, 5, len(firsts)), 0)
    arrive_pk = np.ceil(np.round(t_s[last[firsts]] / ci, 9)) * ci + delay * ci
    arrive = np.maximum.accumulate(arrive_pk)[idx // k]
    starts = np.flatnonzero(np.r_[True, np.diff(arrive) > 1e-9])
    ends = np.r_[starts[1:], len(t_s)]
    stamps = np.empty(len(t_s))
    prev = t_s[0] - period
    for a, b in zip(starts, ends, strict=True):
        n = b - a
        step = max(min(period, (arrive[a] - prev) / n), 1e-5)
        stamps[a:b] = arrive[a] - step * np.arange(n - 1, -1, -1)
        prev = stamps[b - 1]
    return np.round(stamps, 6)


def write_set(s, plan: dict, name: str, folder: Path) -> Path:
    """One canonical set's file with the plan's recording quirks (gap rows cut, BLE stamps)."""
    from bench.stranger.session import sensor_set

    places = sensor_set(s, name)
    gaps = {e["sensor"]: (e["t_s"], e["end_s"]) for e in s.events if e["kind"] == "dropout"}
    if not plan.get("ble"):
        return writers.write_canonical(s, places, folder / f"{name}.csv", gaps=gaps)
    rng = np.random.default_rng([s.person.seed, 7, 4])
    kept = {}
    for place in places:
        sd = s.sensors[place]
        kept[place] = sd.t_s
        stamped = ble_stamps(sd.t_s, sd.rate_hz, plan["ble"], rng)
        s.sensors[place] = dataclasses.replace(sd, t_s=stamped)
    try:
        return writers.write_canonical(s, places, folder / f"{name}.csv", gaps=gaps)
    finally:
        for place, t in kept.items():
            s.sensors[place] = dataclasses.replace(s.sensors[place], t_s=t)


def vendor_job(s, seed: int, folder: Path) -> tuple:
    """The default set as a tab-separated WitMotion export, with its ``--sensor`` options."""
    from bench.stranger.session import sensor_set

    mapping, first_s = writers.write_witmotion(
        s, sensor_set(s, "default"), folder / "witmotion.txt", start_epoch_s=1.76e9 + seed, sep="\t"
    )
    opts = [x for dev, place in mapping.items() for x in ("--sensor", f"{dev}={place}")]
    return ("witmotion_tab_default", [folder / "witmotion.txt"], opts, first_s)


def run_seed(seed: int, minutes: float | None, work: Path, sets: tuple[str, ...]) -> dict:
    """One round-7 seed: generate, write the canonical sets (and the vendor file), analyse
    each (``stretchguard analyse``, one at a time), judge."""
    import time

    from bench.stranger import run
    from bench.stranger.session import SENSOR_SETS, sensor_set

    plan = round7_plan(seed, minutes)
    t0 = time.perf_counter()
    side = draw_person(seed).side
    places = tuple(sorted({x.format(ex=side) for n in sets for x in SENSOR_SETS[n]}))
    s = generate_session(seed, plan, places)
    folder, truth, rec = run._seed_folder(seed, s, plan, work, t0)
    ex_opt = ["--exercise", compare.PROFILE_NAME[plan["exercise"]]]
    jobs = [(name, [write_set(s, plan, name, folder)], [], 0.0, name) for name in sets]
    if plan["vendor"] and "default" in sets:
        jobs.append((*vendor_job(s, seed, folder), None))  # written whole: no gap in it
    for name, inputs, opts, offset, set_name in jobs:
        cli = run.run_cli(inputs, folder / f"out_{name}", side, opts + ex_opt)
        res = {"cli": cli, "t_offset_s": offset}
        if cli["rc"] == 0:
            res.update(
                run.evaluate(
                    folder / f"out_{name}",
                    truth,
                    s.events,
                    side,
                    offset,
                    plan["exercise"],
                    sensor_set(s, set_name) if set_name else (),
                )
            )
        rec["sets"][name] = res
    return rec
