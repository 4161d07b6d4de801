"""Round 5: nerve glides in the hold, the seated slump test, a towel round the foot lying, a
hold interrupted by a cough or a phone, a sensor re-strapped after a break; every session's
default set also as vendor files with a clock quirk.

From the public docs only (README, ``stretchguard analyse --help``, docs/envelope.md "The
exercises" and "How a session is judged", docs/conventions.md, docs/vendor-formats.md):

* ``glide`` — standing, heel on the support: instead of a steady hold the person does a set
  of 6–10 nerve glides. Even seeds *sliders*: the ankle pumps from pointed (−30…−18°) up to just
  short of neutral (−8…−3°) while the knee bends 10–20° more (one end loads as the other
  unloads: no rule's edge is passed). Odd seeds *tensioners*: both ends load, the knee
  straightens to 2–7° while the ankle comes up to +5…+12° (or, 30 %, the head nods down to
  22–32°): each repetition's top is a real excursion past the rules' edges, scored as
  scripted breaks.
* ``slump`` — the seated slump test, sitting on a chair (the ``seated_slider`` profile,
  the only sitting one): slump (lumbar 20–32°, the pelvis rolling back 7°), chin to chest
  (neck 30–45°), straighten the knee as far as it goes (0–25°), pull the toes up (+5…+15°),
  look up again (neck −10…0°: the differentiation), then back, 1–3 times. The lumbar, the
  neck and (when it straightens past 10°) the knee are scripted breaks; the slump is the
  test, so every session has them.
* ``towel`` — lying on the back, the raised leg held with a towel or strap round the foot
  (supine profile): the head lifted a little (neck 5–12°), the person pulls the leg a further
  8–12° over 1.6–2.2 s every 8–12 s, holds it 2–4 s and eases back (contract–relax). Odd
  seeds have the towel over the ball of the foot: each pull also brings the ankle up to
  +4…+10° (scripted ankle breaks).
* ``interrupt`` — the standing stretch with one interruption per hold: 2–4 coughs (the trunk
  and pelvis jerk 3–8° in 0.12–0.2 s and back; under the dwell, not a break), or (odd seeds
  only) a phone check: the head goes down to 30–45° for 4–10 s while the pelvis eases back
  2–6° (a scripted neck break).
* ``restrap`` — the standing stretch done 2–3 times; in a 15–30-s break after the first the
  person takes the thigh's or the shank's strap off and puts it back 30–90° round the leg
  (over 2–5 s, standing), and does not calibrate again. The truth (the segments) does not
  move (``session.strap_slip`` with a large angle).

Vendor files (the default set): seeds with ``seed // 5`` even as Movella DOT exports whose
``SampleTimeFine`` (µs, u32) wraps 30–70 % into the session, with 0–3 % packet loss; odd as
MetaBase files *streamed* to the phone: each sample stamped back from the phone's receipt time
of its BLE packet (2–4 samples a packet, received 8–25 ms after its last one with 0–6 ms of
jitter) by the nominal period, in whole ms, never repeating (docs/vendor-formats.md refuses a
repeated stamp), so the rate seen in the stamps jitters.

My assumptions (not in the docs): the sizes above; that a re-strap turns the sensor round the
leg's long axis; MetaBase's streamed stamps (the real sample in ``../shared`` was logged, its
stamps regular).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bench.stranger import exercises, protocol, writers
from bench.stranger.exercises import (
    BREAK_TARGETS,
    into_standing_stretch,
    out_of_standing_stretch,
    scripted_breaks,
    sides,
)
from bench.stranger.person import Person, draw_person
from bench.stranger.rounds import canonical_set_jobs, n_breaks, run_round_seed, set_placements
from bench.stranger.script import Script

STYLES = ("glide", "slump", "towel", "interrupt", "restrap")
EXERCISE = {"slump": "seated", "towel": "supine"}


def round5_plan(seed: int, minutes: float | None) -> dict:
    """Round 5's session of ``seed``: the style (seed mod 5), the vendor files (``seed // 5``
    even: DOT, odd: MetaBase) and the style's draws."""
    rng = np.random.default_rng([seed, 5, 1])
    style = STYLES[seed % len(STYLES)]
    exercise = EXERCISE.get(style, "standing")
    drawn = float(rng.choice([120.0, 180.0]))  # drawn either way: the later draws stay
    duration = minutes * 60.0 if minutes else drawn
    if style == "restrap":
        duration = max(duration, 180.0)
    vendor = "movella_dot" if (seed // 5) % 2 == 0 else "metabase"
    plan = {
        "exercise": exercise,
        "style": style,
        "variants": [],
        "exact": False,
        "duration_s": duration,
        "breaks": [],
        "vendor": vendor,
        "family": "movella_dot"
        if vendor == "movella_dot"
        else str(rng.choice(["metamotion_r", "metamotion_s"])),
    }
    odd = bool(seed % 2)
    if style == "glide":
        movement = "ankle" if not odd or rng.random() < 0.7 else "neck"
        plan["glide"] = {"kind": "tensioner" if odd else "slider", "movement": movement}
        if odd:  # every repetition's top: the scripted breaks are the glides themselves
            first = "neck_flexion" if movement == "neck" else "ankle_dorsiflexion"
            plan["breaks"] = [first, "knee_flexion"]
    elif style == "slump":
        plan["breaks"] = ["lumbar_flexion", "neck_flexion"]  # the test itself (knee: if < 10°)
    elif style == "towel":
        plan["towel"] = {"ball_of_foot": odd}
        plan["breaks"] = ["ankle_dorsiflexion"] if odd else []  # each pull's ankle
    elif style == "interrupt":
        plan["interrupt"] = {"kind": "phone" if odd and rng.random() < 0.6 else "cough"}
        if odd:
            n = n_breaks(duration)
            plan["breaks"] = [str(k) for k in rng.choice(sorted(BREAK_TARGETS), size=n)]
    elif style == "restrap":
        plan["restrap"] = {
            "segment": str(rng.choice(["thigh", "shank"])),
            "deg": float(rng.choice([-1.0, 1.0]) * rng.uniform(30.0, 90.0)),
            "ramp_s": float(rng.uniform(2.0, 5.0)),
        }
        if odd:
            n = n_breaks(duration)
            plan["breaks"] = [str(k) for k in rng.choice(sorted(BREAK_TARGETS), size=n)]
    vend = np.random.default_rng([seed, 5, 9])
    plan["quirk"] = (
        {"wrap_at": float(vend.uniform(0.3, 0.7)), "loss": float(vend.choice([0.0, 0.01, 0.03]))}
        if vendor == "movella_dot"
        else {
            "per_packet": int(vend.integers(2, 5)),
            "latency_s": float(vend.uniform(0.008, 0.025)),
            "jitter_s": float(vend.uniform(0.0, 0.006)),
        }
    )
    return plan


def person_changes(plan: dict, p: Person) -> dict:
    """What the style changes about the drawn person."""
    if plan["style"] == "restrap":
        return {"n_stretches": max(p.n_stretches, 2)}
    if plan["style"] == "slump":
        return {"n_stretches": min(p.n_stretches, 2)}
    return {}


def _glide(sc: Script, p: Person, rng: np.random.Generator, glide: dict) -> None:
    """A set of 6–10 glides in place of the steady hold (module docstring)."""
    ex, _ = sides(p)
    knee0, ankle0, neck0 = sc.value(f"knee_{ex}"), sc.value(f"ankle_{ex}"), sc.value("neck")
    tensioner = glide["kind"] == "tensioner"
    rules = []
    if tensioner:
        rules = ["neck_flexion" if glide["movement"] == "neck" else "ankle_dorsiflexion"]
        rules.append("knee_flexion")
    sc.mark("glide_start", glide=glide["kind"], movement=glide["movement"])
    for _ in range(int(rng.integers(6, 11))):
        low = {f"ankle_{ex}": ankle0, f"knee_{ex}": knee0, "neck": neck0}
        if not tensioner:
            top = {
                f"ankle_{ex}": rng.uniform(-8.0, -3.0),
                f"knee_{ex}": knee0 + rng.uniform(10, 20),
            }
            low[f"ankle_{ex}"] = rng.uniform(-30.0, -18.0)  # pointed: the knee end loads
        elif glide["movement"] == "neck":
            top = {"neck": rng.uniform(22.0, 32.0), f"knee_{ex}": rng.uniform(2.0, 7.0)}
        else:
            top = {f"ankle_{ex}": rng.uniform(5.0, 12.0), f"knee_{ex}": rng.uniform(2.0, 7.0)}
        for rule in rules:
            sc.mark("break_start", rule=rule)
        sc.move(rng.uniform(0.8, 1.3) / p.speed, **top)
        sc.hold(rng.uniform(1.2, 2.0) if tensioner else rng.uniform(0.3, 0.8))
        sc.move(rng.uniform(0.8, 1.3) / p.speed, **low)
        for rule in rules:
            sc.mark("break_end", rule=rule)
        sc.hold(rng.uniform(0.6, 1.2))
    sc.move(rng.uniform(0.6, 1.0), **{f"ankle_{ex}": ankle0})
    sc.mark("glide_end")


def _cough(sc: Script, rng: np.random.Generator) -> None:
    """2–4 coughs: the trunk and pelvis jerk forward and back, each well under a second."""
    tilt, lumbar, neck = sc.value("tilt"), sc.value("lumbar"), sc.value("neck")
    sc.mark("cough_start")
    for _ in range(int(rng.integers(2, 5))):
        sc.move(
            rng.uniform(0.12, 0.2),
            tilt=tilt + rng.uniform(3.0, 6.0),
            lumbar=lumbar + rng.uniform(4.0, 8.0),
            neck=neck + rng.uniform(4.0, 8.0),
        )
        sc.move(rng.uniform(0.25, 0.4), tilt=tilt, lumbar=lumbar, neck=neck)
        sc.hold(rng.uniform(0.3, 0.7))
    sc.mark("cough_end")


def _phone(sc: Script, rng: np.random.Generator) -> None:
    """A look at the phone: head down 30–45° for 4–10 s, the pelvis easing back 2–6°."""
    tilt, lumbar, neck = sc.value("tilt"), sc.value("lumbar"), sc.value("neck")
    sc.mark("break_start", rule="neck_flexion")
    sc.move(
        rng.uniform(0.8, 1.2),
        neck=rng.uniform(30.0, 45.0),
        lumbar=lumbar + rng.uniform(2.0, 5.0),
        tilt=tilt - rng.uniform(2.0, 6.0),
    )
    sc.hold(rng.uniform(4.0, 10.0))
    sc.move(rng.uniform(0.8, 1.2), neck=neck, lumbar=lumbar, tilt=tilt)
    sc.mark("break_end", rule="neck_flexion")


def _standing_hold(sc: Script, p: Person, rng: np.random.Generator, breaks: list, plan: dict):
    """The hold of a standing stretch: glides, or breaks then an interruption, or plain."""
    hold_start = sc.t_s
    sc.mark("hold_start")
    if plan["style"] == "glide":
        _glide(sc, p, rng, plan["glide"])
        sc.hold(rng.uniform(1.0, 3.0))
    else:
        if breaks:
            scripted_breaks(sc, p, rng, breaks, BREAK_TARGETS, ramp_first=True)
        else:
            sc.hold(rng.uniform(5.0, 8.0))
        if plan["style"] == "interrupt":
            (_phone if plan["interrupt"]["kind"] == "phone" else _cough)(sc, rng)
        sc.hold(max(hold_start + p.hold_s * rng.uniform(0.9, 1.1) - sc.t_s, 5.0))
    sc.mark("hold_end")


def standing_stretch(
    sc: Script, p: Person, rng: np.random.Generator, breaks: list[str], plan: dict
) -> None:
    """Heel onto the support, lean in, the style's hold, come back down (hold marks)."""
    into_standing_stretch(sc, p, rng)
    _standing_hold(sc, p, rng, breaks, plan)
    out_of_standing_stretch(sc, p)


def towel_stretch(
    sc: Script, p: Person, rng: np.random.Generator, pose: dict, ball_of_foot: bool
) -> None:
    """The leg raised with a towel round the foot, pulled further and eased back every 8–12 s."""
    ex, _ = sides(p)
    hip = rng.uniform(55.0, 80.0)
    tilt = pose["tilt"] - p.slr_pelvis_per_deg * hip
    ankle = rng.uniform(-6.0, -2.0) if ball_of_foot else rng.uniform(-18.0, -6.0)
    incl = hip - tilt
    sc.move(
        rng.uniform(2.5, 4.0) / p.speed,
        tilt=tilt,
        neck=rng.uniform(5.0, 12.0),
        **{
            f"incl_{ex}": incl,
            f"knee_{ex}": p.stretch_knee_deg,
            f"ankle_{ex}": ankle,
            f"rot_{ex}": 0.0,
        },
    )
    hold_start, hold_s = sc.t_s, p.hold_s * rng.uniform(0.9, 1.1)
    sc.mark("hold_start")
    sc.hold(rng.uniform(4.0, 7.0))
    while sc.t_s < hold_start + hold_s - 8.0:
        pull = {f"incl_{ex}": incl + rng.uniform(8.0, 12.0)}
        if ball_of_foot:
            pull[f"ankle_{ex}"] = rng.uniform(4.0, 10.0)
            sc.mark("break_start", rule="ankle_dorsiflexion")
        sc.mark("pull_start")
        # ≥ 6.8 °/s at its peak, over 2.5 °/s for ≥ 1 s: a movement that splits the hold
        sc.move(rng.uniform(1.6, 2.2), **pull)
        sc.hold(rng.uniform(2.0, 4.0))
        sc.move(rng.uniform(1.6, 2.2), **{f"incl_{ex}": incl, f"ankle_{ex}": ankle})
        if ball_of_foot:
            sc.mark("break_end", rule="ankle_dorsiflexion")
        sc.hold(rng.uniform(4.0, 7.0))
    sc.hold(max(hold_start + hold_s - sc.t_s, 1.0))
    sc.mark("hold_end")
    back = {k: pose[k] for k in ("tilt", "neck", f"incl_{ex}", f"knee_{ex}", f"ankle_{ex}")}
    sc.move(rng.uniform(2.5, 4.0) / p.speed, **back)
    sc.hold(rng.uniform(4.0, 10.0))


def slump_test(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """One slump test sitting (module docstring); the breaks' ends in their starts' order."""
    ex, _ = sides(p)
    rest = {k: sc.value(k) for k in ("lumbar", "tilt", "neck", f"knee_{ex}", f"ankle_{ex}")}
    rules = ["lumbar_flexion"]
    sc.mark("break_start", rule="lumbar_flexion")
    sc.move(rng.uniform(2.0, 3.0) / p.speed, lumbar=rng.uniform(20, 32), tilt=rest["tilt"] - 7)
    sc.hold(rng.uniform(1.5, 3.0))
    rules.append("neck_flexion")
    sc.mark("break_start", rule="neck_flexion")
    sc.move(rng.uniform(1.2, 2.0) / p.speed, neck=rng.uniform(30.0, 45.0))
    sc.hold(rng.uniform(1.5, 3.0))
    sc.move(0.4, **{f"flat_{ex}": 0.0})
    knee = rng.uniform(0.0, 25.0)
    if knee < 10.0:
        rules.append("knee_flexion")
        sc.mark("break_start", rule="knee_flexion")
    sc.move(rng.uniform(2.0, 3.0) / p.speed, **{f"knee_{ex}": knee})
    sc.hold(rng.uniform(2.0, 4.0))
    sc.move(rng.uniform(1.0, 1.5), **{f"ankle_{ex}": rng.uniform(5.0, 15.0)})
    sc.hold(rng.uniform(2.0, 4.0))
    sc.move(rng.uniform(1.2, 2.0) / p.speed, neck=rng.uniform(-10.0, 0.0))
    sc.hold(rng.uniform(2.0, 4.0))
    sc.move(rng.uniform(1.0, 1.5), **{f"ankle_{ex}": rest[f"ankle_{ex}"]})
    sc.move(rng.uniform(2.0, 3.0) / p.speed, **{f"knee_{ex}": rest[f"knee_{ex}"]})
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.move(
        rng.uniform(2.0, 3.0) / p.speed, lumbar=rest["lumbar"], tilt=rest["tilt"], neck=rest["neck"]
    )
    for rule in rules:
        sc.mark("break_end", rule=rule)
    sc.hold(rng.uniform(5.0, 10.0))


def build_round5(plan: dict):
    """A ``session.generate`` script builder for the plan's style."""

    def build(p: Person, *, duration_s: float, breaks: list[str], seed: int, **_) -> Script:
        rng = np.random.default_rng([seed, 5, 3])
        sc = Script({"flat_r": 1.0, "flat_l": 1.0, "w_r": 0.5})
        protocol._protocol(sc, p, rng, ())
        pose = exercises.lie_down(sc, p, rng) if plan["style"] == "towel" else None
        if plan["style"] == "slump":
            exercises.sit_down(sc, p, rng)
        pending, done = list(breaks), 0
        while done < p.n_stretches or sc.t_s < duration_s - 50.0:
            per, pending = pending[:2], pending[2:]
            if plan["style"] == "towel":
                towel_stretch(sc, p, rng, pose, plan["towel"]["ball_of_foot"])
            elif plan["style"] == "slump":
                slump_test(sc, p, rng)
            else:
                standing_stretch(sc, p, rng, per, plan)
                rest = rng.uniform(15.0, 30.0) if plan["style"] == "restrap" and not done else 0
                if rest:
                    sc.hold(rng.uniform(3.0, 6.0))
                    sc.mark("restrap", **plan["restrap"])
                    sc.hold(rest)
                sc.hold(rng.uniform(4.0, 15.0))
            done += 1
        return sc

    return build


def _person(seed: int, plan: dict) -> Person:
    p = draw_person(seed, n_stretches=1 if plan["duration_s"] < 80 else None)
    return dataclasses.replace(p, **person_changes(plan, p))


def generate_session(seed: int, plan: dict, placements: tuple[str, ...]):
    """The plan's session with only ``placements``' sensors (each its own draws); a re-strap
    placed where the script marks it (the slip's event added to ``events``)."""
    from bench.stranger.session import generate

    p = _person(seed, plan)
    build = build_round5(plan)
    devices: dict = {}
    if plan["style"] == "restrap":
        sc = build(p, duration_s=plan["duration_s"], breaks=plan["breaks"], seed=seed)
        at = next(e for e in sc.events if e["kind"] == "restrap")
        seg = f"{p.side}_{plan['restrap']['segment']}"
        devices["slip"] = {
            seg: {"t0_s": at["t_s"], "ramp_s": plan["restrap"]["ramp_s"], "deg": at["deg"]}
        }
    s = generate(
        seed,
        duration_s=plan["duration_s"],
        breaks=plan["breaks"],
        exercise=plan["exercise"],
        placements=placements,
        person_changes=person_changes(plan, draw_person(seed)) or None,
        family=plan["family"],
        shared_clock=plan["vendor"] == "movella_dot",
        devices=devices,
        builder=build,
    )
    for seg, v in devices.get("slip", {}).items():
        s.events.append({"kind": "slip", "sensor": seg, "t_s": v["t0_s"], **v})
    return s


def streamed_stamps(t_s: np.ndarray, quirk: dict, rng: np.random.Generator) -> np.ndarray:
    """The phone's stamps of streamed samples: packets of ``per_packet`` samples received
    ``latency_s`` + jitter after the packet's last sample, each sample stamped back from its
    packet's receipt by the nominal period, in whole ms, never repeating or going back (a
    later packet's jitter pushes its stamps on by a millisecond at least)."""
    k = quirk["per_packet"]
    idx = np.arange(len(t_s))
    last = np.minimum((idx // k + 1) * k - 1, len(t_s) - 1)
    period = float(np.median(np.diff(t_s)))
    jitter = rng.uniform(0.0, quirk["jitter_s"], len(t_s) // k + 1)[idx // k]
    ms = np.round((t_s[last] + quirk["latency_s"] + jitter - (last - idx) * period) * 1000.0)
    ms = np.maximum.accumulate(ms - idx) + idx  # strictly increasing by ≥ 1 ms
    return ms / 1000.0


def vendor_job(s, seed: int, plan: dict, folder: Path, places: tuple[str, ...]) -> tuple:
    """The default set as the plan's vendor files, with its ``--sensor`` options and where the
    analysed ``t_s = 0`` lies on the generator's clock."""
    quirk = plan["quirk"]
    if plan["vendor"] == "movella_dot":
        span = float(s.sensors[places[0]].t_s[-1])
        tick0 = 2**32 - round(quirk["wrap_at"] * span * 1e6)
        mapping = writers.write_movella_dot(
            s, places, folder / "dot", start_epoch_s=1.76e9 + seed, loss=quirk["loss"], tick0=tick0
        )
        inputs, first_s = [folder / "dot"], float(s.sensors[places[0]].t_s[0])
    else:
        rng = np.random.default_rng([seed, 5, 11])
        stamped = {
            p: dataclasses.replace(s.sensors[p], t_s=streamed_stamps(s.sensors[p].t_s, quirk, rng))
            for p in places
        }
        s2 = dataclasses.replace(s, sensors={**s.sensors, **stamped})
        mapping = writers.write_metabase(
            s2, places, folder / "metabase", start_epoch_s=1.76e9 + seed
        )
        inputs = [folder / "metabase"]
        first_s = min(float(stamped[p].t_s[writers.ACC_SKIP]) for p in places)
    opts = [x for dev, place in mapping.items() for x in ("--sensor", f"{dev}={place}")]
    return (f"{plan['vendor']}_default", inputs, opts, first_s)


def run_seed(seed: int, minutes: float | None, work: Path, sets: tuple[str, ...]) -> dict:
    """One round-5 seed: generate, write the canonical sets and the vendor files, analyse each
    (``stretchguard analyse``, one at a time), judge."""
    from bench.stranger.session import sensor_set

    plan = round5_plan(seed, minutes)
    places = set_placements(draw_person(seed).side, sets)

    def jobs_of(s, folder: Path) -> list[tuple]:
        jobs = canonical_set_jobs(s, folder, sets)
        if "default" in sets:
            jobs.append(vendor_job(s, seed, plan, folder, sensor_set(s, "default")))
        return jobs

    return run_round_seed(
        seed, plan, work, lambda: generate_session(seed, plan, places), jobs_of, by_set=False
    )
