"""Round 6: hamstring stretches the analyser was not tuned to, by people drawn widely, with
sensors strapped on the side of the thigh and sampled at other rates.

From the public docs only (README, ``stretchguard analyse --help``, docs/envelope.md "The
exercises" and "How a session is judged", docs/conventions.md, docs/vendor-formats.md) and
the articles in ``../shared/seeds`` (the joint positions to avoid: ankle dorsiflexion, a
rounded back, looking down, the toes turned in; "a slight bend" in the knee):

* ``long_sit`` — sitting on the floor, both legs out straight in front with the knees soft
  (12–20°, a rolled towel under them), the feet relaxed and pointed, reaching for the toes by
  tilting the pelvis forward (0…+17°, the hips 90–107°), the back long (lumbar 2–7°). Between
  reaches the person sits tall. Judged as ``standing_hamstring`` (no floor-sitting profile;
  its engagement, hip ≥ 45° with the knee ≤ 60°, holds for the whole sit).
* ``high_heel`` — standing, the heel on a chair or a bench 40–90 cm high: the thigh's
  inclination follows from the heel's height, the person's leg lengths and the knee's bend
  (``heel_thigh_incl_deg``); the lean is what the person's flexibility leaves.
* ``fold`` — a standing forward fold with both legs: knees soft (12–20°), the hips pushed back
  over the heels (each thigh 2–6° further forward than its knee's bend, the feet flat: the
  ankles 2–6° pointed), the pelvis tipping forward to hips of 55–90°, the back flat.
* ``hinge`` — a split-stance hip hinge: the exercised foot a step forward (its thigh 8–14°
  further forward than its knee's 12–20° bend, the foot flat), all the weight on the back leg
  (its knee soft, 8–15°, its thigh 10–20° back), hinging at the hips to 55–90°.
* ``pnf`` — contract–relax lying on the back, a partner holding the raised leg (hip 45–75°):
  2–3 cycles of a 5–7-s push down into the partner's hand (the hip gives 1–3°, the knee bends
  2–4° more, the pelvis rolls back ~1°), 2–3 s of relaxing, then the partner takes the leg a
  further 4–9° over 2–4 s and holds it 8–15 s. On odd seeds 60 % of the pushes lift the head
  with the effort (neck 22–32° for the push: a scripted neck break).

Every style: odd seeds add 2–6 scripted breaks in the holds (the style's own kinds: no ankle
break with the foot flat on the floor), even seeds none. People: ordinary, tall (1.95–2.05 m)
or short (1.45–1.55 m), stiff or flexible (the reach), elderly (slow, fidgeting, a 4–7 Hz
tremor of 0.1–0.3° in the knees, the exercised ankle and the neck: not the hip, whose rate
times the holds) or quick and sloppy. The protocol followed literally (``literal``), sloppily
(one of ``no_bows``, ``one_bend``, ``fidget``, ``rush``, ``other_leg``) or plainly. Sensors:
strapped on the side (lateral) or the front (anterior) of the thigh, the shank too or at
random; sampled at 25, 52, 100 or 200 Hz (families that offer that rate); canonical files of
``default``, ``pair`` and ``full``. Lying, the partner stops before the pelvis rolls back
past −97° (the supine edge is −100°), so an even seed's pelvis stays inside it.

My assumptions (not in the docs): the sizes above; that the floor sit and the fold keep the
other leg as the exercised one; that the partner's push is slow enough (≤ 5 °/s at its peak
for the smaller pushes) that a hold may or may not be split there (the truth decides); the
tremor's size.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from bench.stranger import exercises, protocol
from bench.stranger.exercises import (
    BREAK_TARGETS,
    SUPINE_BREAKS,
    into_standing_stretch,
    out_of_standing_stretch,
    scripted_breaks,
    sides,
)
from bench.stranger.person import Person, draw_person
from bench.stranger.rounds import canonical_set_jobs, n_breaks, run_round_seed, set_placements
from bench.stranger.script import Script

STYLES = ("long_sit", "high_heel", "fold", "hinge", "pnf")
PEOPLE = ("ordinary", "tall", "short", "stiff", "flexible", "elderly", "quick")
#: each style's scripted break kinds (feet flat on the floor: no ankle break)
STYLE_BREAKS = {
    "long_sit": tuple(sorted(BREAK_TARGETS)),
    "high_heel": tuple(sorted(BREAK_TARGETS)),
    "fold": tuple(sorted(set(BREAK_TARGETS) - {"ankle_dorsiflexion"})),
    "hinge": tuple(sorted(set(BREAK_TARGETS) - {"ankle_dorsiflexion"})),
    "pnf": tuple(sorted(SUPINE_BREAKS)),
}
#: output rate (Hz) -> families that offer it (README's families; my reading of their specs)
RATE_FAMILIES = {
    25.0: ("metamotion_r", "metamotion_s"),
    52.0: ("polar_verity", "movesense"),
    100.0: ("metamotion_r", "metamotion_s", "witmotion", "thingy52"),
    200.0: ("metamotion_s", "movesense"),
}
#: lying, the partner stops before the pelvis rolls back past this (the supine edge is −100°)
PNF_PELVIS_FLOOR_DEG = -97.0
SLOPPY = ("no_bows", "one_bend", "fidget", "rush", "other_leg")


def _flex_range(kind: str, rng: np.random.Generator) -> float:
    """Flexibility 0 (stiff) … 1 (flexible): how far the person reaches."""
    lo, hi = {"stiff": (0.0, 0.3), "flexible": (0.7, 1.0), "elderly": (0.0, 0.5)}.get(
        kind, (0.3, 0.7)
    )
    return float(rng.uniform(lo, hi))


def round6_plan(seed: int, minutes: float | None) -> dict:
    """Round 6's session of ``seed``: the style (seed mod 5), the person's kind, the protocol,
    the strapping, the rate and the style's draws."""
    rng = np.random.default_rng([seed, 6, 1])
    style = STYLES[seed % len(STYLES)]
    drawn = float(rng.choice([120.0, 180.0]))
    kind = str(rng.choice(PEOPLE))
    protocol_style = str(rng.choice(["literal", "sloppy", "plain"], p=[0.35, 0.35, 0.3]))
    variants = {"literal": ["literal"], "plain": []}.get(protocol_style)
    if variants is None:
        variants = [str(rng.choice(SLOPPY))]
    rate = float(rng.choice(sorted(RATE_FAMILIES)))
    mount = {"thigh": str(rng.choice(["lateral", "anterior"]))}
    if rng.random() < 0.5:
        mount["shank"] = mount["thigh"]
    plan = {
        "exercise": "supine" if style == "pnf" else "standing",
        "style": style,
        "variants": variants,
        "protocol": protocol_style,
        "exact": False,
        "duration_s": minutes * 60.0 if minutes else drawn,
        "breaks": [],
        "vendor": None,
        "kind": kind,
        "flex": _flex_range(kind, rng),
        "rate_hz": rate,
        "family": str(rng.choice(RATE_FAMILIES[rate])),
        "mount": mount,
    }
    if seed % 2:
        n = n_breaks(plan["duration_s"])
        plan["breaks"] = [str(k) for k in rng.choice(STYLE_BREAKS[style], size=n)]
    if kind == "elderly":
        plan["tremor"] = {"hz": float(rng.uniform(4.0, 7.0)), "deg": float(rng.uniform(0.1, 0.3))}
    return plan


def person_changes(plan: dict, p: Person, seed: int) -> dict:
    """What the person's kind changes about the drawn person (lengths scale with height)."""
    rng = np.random.default_rng([seed, 6, 2])
    kind = plan["kind"]
    out: dict = {}
    if kind in ("tall", "short"):
        h = rng.uniform(1.95, 2.05) if kind == "tall" else rng.uniform(1.45, 1.55)
        r = h / p.height_m
        out = {"height_m": h}
        for k in ("thigh_m", "shank_m", "foot_m", "hip_width_m", "trunk_m"):
            out[k] = getattr(p, k) * r
    elif kind == "elderly":
        out = {"speed": rng.uniform(0.45, 0.6), "fidget": min(p.fidget * 1.5, 1.8)}
    elif kind == "quick":
        out = {"speed": rng.uniform(1.7, 2.2), "sloppiness": rng.uniform(0.85, 1.0)}
    if plan["style"] == "high_heel":
        out.update(high_heel_pose(plan, dataclasses.replace(p, **out), rng))
    return out


def heel_thigh_incl_deg(heel_m: float, thigh_m: float, shank_m: float, knee_deg: float) -> float:
    """The thigh's inclination (degrees from the vertical, knee forward +) with the heel on a
    support ``heel_m`` high, standing on the other leg: the hip ~7 cm above leg length, the
    hip-to-heel line's angle plus the thigh's angle to that line (knee bent ``knee_deg``)."""
    k = math.radians(knee_deg)
    reach = math.sqrt(thigh_m**2 + shank_m**2 + 2 * thigh_m * shank_m * math.cos(k))
    hip_m = thigh_m + shank_m + 0.07
    line = math.degrees(math.acos(float(np.clip((hip_m - heel_m) / reach, -0.6, 1.0))))
    return line + math.degrees(math.asin(shank_m * math.sin(k) / reach))


def high_heel_pose(plan: dict, p: Person, rng: np.random.Generator) -> dict:
    """The heel's support (40–90 cm), the thigh's inclination it gives and the lean the
    person's flexibility leaves (hip flexion at most 75 + 45 × flex degrees; a support too high
    for that is lowered to it)."""
    heel = rng.uniform(0.40, 0.90)
    incl = heel_thigh_incl_deg(heel, p.thigh_m, p.shank_m, p.stretch_knee_deg)
    max_hip = 75.0 + 45.0 * plan["flex"]
    incl = min(incl, max_hip - 6.0)
    lean = float(np.clip((max_hip - incl) * rng.uniform(0.5, 0.9), 2.0, 25.0))
    return {"support_incl_deg": incl, "lean_deg": lean, "heel_m": heel}


def tremor(hz: float, deg: float, chans: tuple[str, ...], rng: np.random.Generator):
    """A script overlay: a ``hz`` tremor on ``chans`` (own phases), its amplitude ``deg``
    waxing and waning by 5–20 % over 10 s; the frequency fixed (a frequency that varies in
    time must be integrated into the phase, or the tremor sweeps up as the session goes on)."""
    phases = {c: float(rng.uniform(0.0, 2 * np.pi)) for c in chans}
    wobble = rng.uniform(0.05, 0.2)

    def overlay(t_s: np.ndarray, ch: dict) -> None:
        for c in chans:
            amp_deg = deg * (1.0 + wobble * np.sin(2 * np.pi * 0.1 * t_s + phases[c]))
            ch[c] = ch[c] + amp_deg * np.sin(2 * np.pi * hz * t_s + phases[c])

    return overlay


def sit_on_floor(sc: Script, p: Person, rng: np.random.Generator, flex: float) -> dict:
    """Squat down and sit on the floor, legs out straight (knees soft), sitting tall; returns
    the sitting pose."""
    k = 95.0
    sc.move(2.5 / p.speed, knee_r=k, knee_l=k, incl_r=45.0, incl_l=45.0, tilt=8.0, lumbar=6.0)
    sc.ramp(sc.t_s, 0.01, anc_x=0.2, anc_y=0.11)
    sc.hold(0.02)
    knee = rng.uniform(12.0, 20.0)
    pose = {
        "tilt": rng.uniform(0.0, 4.0),
        "lumbar": rng.uniform(0.0, 4.0),
        "neck": rng.uniform(0.0, 8.0),
        "incl_r": 90.0 + rng.uniform(-3.0, 0.0),
        "incl_l": 90.0 + rng.uniform(-3.0, 0.0),
        "knee_r": knee,
        "knee_l": knee + rng.uniform(-2.0, 2.0),
        "ankle_r": -rng.uniform(8.0, 20.0),
        "ankle_l": -rng.uniform(8.0, 20.0),
        "rot_r": -rng.uniform(0.0, 8.0),
        "rot_l": -rng.uniform(0.0, 8.0),
    }
    sc.move(3.0 / p.speed, anc=1.0, flat_r=0.0, flat_l=0.0, **pose)
    sc.hold(rng.uniform(3.0, 6.0))
    pose["reach"] = 2.0 + 15.0 * flex
    return pose


def _hold(sc: Script, p: Person, rng: np.random.Generator, breaks: list[str], table: dict):
    """The hold between its marks: the scripted breaks, then still until ~``hold_s``."""
    hold_start = sc.t_s
    sc.mark("hold_start")
    if breaks:
        scripted_breaks(sc, p, rng, breaks, table, ramp_first=True)
    sc.hold(max(hold_start + p.hold_s * rng.uniform(0.9, 1.1) - sc.t_s, 5.0))
    sc.mark("hold_end")


def long_sit_reach(
    sc: Script, p: Person, rng: np.random.Generator, pose: dict, breaks: list[str]
) -> None:
    """Reach for the toes from the pelvis, hold, sit tall again."""
    sc.move(
        rng.uniform(2.5, 4.0) / p.speed,
        tilt=pose["tilt"] + pose["reach"] * rng.uniform(0.8, 1.0),
        lumbar=rng.uniform(2.0, 7.0),
        neck=rng.uniform(2.0, 10.0),
    )
    _hold(sc, p, rng, breaks, BREAK_TARGETS)
    sc.move(rng.uniform(2.5, 4.0) / p.speed, tilt=pose["tilt"], lumbar=pose["lumbar"], neck=0.0)
    sc.hold(rng.uniform(5.0, 12.0))


def fold(sc: Script, p: Person, rng: np.random.Generator, flex: float, breaks: list[str]):
    """Both knees soft, hips back over the heels, tip forward from the pelvis, hold, come up."""
    knee = rng.uniform(12.0, 20.0)
    incl = knee + rng.uniform(2.0, 6.0)
    hip = 55.0 + 35.0 * flex * rng.uniform(0.85, 1.0)
    sc.move(1.5 / p.speed, knee_r=knee, knee_l=knee, incl_r=incl, incl_l=incl)
    _tip_hold_up(sc, p, rng, breaks, tilt_deg=hip - incl, neck_min_deg=3.0)
    sc.move(1.5 / p.speed, knee_r=0.0, knee_l=0.0, incl_r=0.0, incl_l=0.0)
    sc.hold(rng.uniform(4.0, 12.0))


def _tip_hold_up(
    sc: Script,
    p: Person,
    rng: np.random.Generator,
    breaks: list[str],
    *,
    tilt_deg: float,
    neck_min_deg: float,
) -> None:
    """Tip forward from the pelvis by ``tilt_deg`` (the back rounding 2–7°, the head down
    ``neck_min_deg``–10°), hold the stretch, come back up (the fold's and the hinge's middle)."""
    sc.move(
        rng.uniform(3.0, 5.0) / p.speed,
        tilt=tilt_deg,
        lumbar=rng.uniform(2.0, 7.0),
        neck=rng.uniform(neck_min_deg, 10.0),
    )
    _hold(sc, p, rng, breaks, BREAK_TARGETS)
    sc.move(rng.uniform(3.0, 5.0) / p.speed, tilt=0.0, lumbar=0.0, neck=0.0)


def hinge(sc: Script, p: Person, rng: np.random.Generator, flex: float, breaks: list[str]):
    """The exercised foot a step forward, the weight on the back leg, hinge, hold, step back."""
    ex, st = sides(p)
    knee = rng.uniform(12.0, 20.0)
    back_knee = rng.uniform(8.0, 15.0)
    sc.move(0.8, w_r=1.0 if st == "r" else 0.0)
    sc.move(0.4, **{f"flat_{ex}": 0.0})
    front = knee + rng.uniform(8.0, 14.0)
    sc.move(
        1.2 / p.speed,
        **{f"incl_{ex}": front, f"knee_{ex}": knee, f"ankle_{ex}": knee - front},
    )
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.move(1.2 / p.speed, **{f"incl_{st}": -rng.uniform(10.0, 20.0), f"knee_{st}": back_knee})
    hip = 55.0 + 35.0 * flex * rng.uniform(0.85, 1.0)
    _tip_hold_up(sc, p, rng, breaks, tilt_deg=hip - front, neck_min_deg=0.0)
    sc.move(1.2 / p.speed, **{f"incl_{st}": 0.0, f"knee_{st}": 0.0})
    sc.move(0.4, **{f"flat_{ex}": 0.0})
    sc.move(1.2 / p.speed, **{f"incl_{ex}": 0.0, f"knee_{ex}": 0.0, f"ankle_{ex}": 0.0})
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.move(0.8, w_r=0.5)
    sc.hold(rng.uniform(4.0, 12.0))


def _contract(sc: Script, p: Person, rng: np.random.Generator, head: bool) -> None:
    """One 5–7-s push down into the partner's hand and the relaxing after it."""
    ex, _ = sides(p)
    keep = {k: sc.value(k) for k in (f"incl_{ex}", f"knee_{ex}", "tilt", "neck")}
    push = {
        f"incl_{ex}": keep[f"incl_{ex}"] - rng.uniform(1.0, 3.0),
        f"knee_{ex}": keep[f"knee_{ex}"] + rng.uniform(2.0, 4.0),
        "tilt": max(keep["tilt"] - rng.uniform(0.5, 1.5), PNF_PELVIS_FLOOR_DEG),
    }
    if head:
        push["neck"] = rng.uniform(22.0, 32.0)
        sc.mark("break_start", rule="neck_flexion")
    sc.mark("contract_start")
    sc.move(rng.uniform(0.8, 1.2), **push)
    sc.hold(rng.uniform(4.0, 6.0))
    sc.move(rng.uniform(0.8, 1.2), **keep)
    if head:
        sc.mark("break_end", rule="neck_flexion")
    sc.mark("contract_end")
    sc.hold(rng.uniform(2.0, 3.0))


def raise_leg_lying(
    sc: Script,
    p: Person,
    rng: np.random.Generator,
    pose: dict,
    reach_deg: float,
    knee_deg: tuple[float, float],
    plantar_deg: tuple[float, float],
) -> float:
    """Lying, the exercised leg raised to 45° + up to ``reach_deg`` of hip flexion (the pelvis
    tucking with it, not past :data:`PNF_PELVIS_FLOOR_DEG`), the knee soft within ``knee_deg``,
    the foot pointed within ``plantar_deg``; marks and returns the hold's start (s)."""
    ex, _ = sides(p)
    hip = 45.0 + reach_deg * rng.uniform(0.85, 1.0)
    tilt = max(pose["tilt"] - p.slr_pelvis_per_deg * hip, PNF_PELVIS_FLOOR_DEG)
    sc.move(
        rng.uniform(2.5, 4.0) / p.speed,
        tilt=tilt,
        **{
            f"incl_{ex}": hip - tilt,
            f"knee_{ex}": rng.uniform(*knee_deg),
            f"ankle_{ex}": -rng.uniform(*plantar_deg),
            f"rot_{ex}": 0.0,
        },
    )
    sc.mark("hold_start")
    return sc.t_s


def pnf_stretch(
    sc: Script,
    p: Person,
    rng: np.random.Generator,
    pose: dict,
    flex: float,
    breaks: list[str],
    heads: bool,
) -> None:
    """The partner raises the leg; 2–3 contract–relax cycles, each taking it further; the
    scripted breaks; the leg lowered (hold marks round all of it)."""
    ex, _ = sides(p)
    hold_start = raise_leg_lying(sc, p, rng, pose, 30.0 * flex, (12.0, 20.0), (8.0, 20.0))
    sc.hold(rng.uniform(4.0, 8.0))
    for _ in range(int(rng.integers(2, 4))):
        _contract(sc, p, rng, heads and rng.random() < 0.6)
        further = rng.uniform(4.0, 9.0)
        sc.mark("partner_push")
        sc.move(
            rng.uniform(2.0, 4.0),
            tilt=max(sc.value("tilt") - p.slr_pelvis_per_deg * further, PNF_PELVIS_FLOOR_DEG),
            **{f"incl_{ex}": sc.value(f"incl_{ex}") + further * (1 + p.slr_pelvis_per_deg)},
        )
        sc.hold(rng.uniform(8.0, 15.0))
    if breaks:
        scripted_breaks(sc, p, rng, breaks, SUPINE_BREAKS)
    sc.hold(max(hold_start + p.hold_s * rng.uniform(0.9, 1.1) - sc.t_s, 3.0))
    sc.mark("hold_end")
    # the leg lowered with its knee soft, straightened on the floor (below the engaged hip)
    sc.move(rng.uniform(2.5, 4.0) / p.speed, **{k: pose[k] for k in ("tilt", f"incl_{ex}")})
    sc.move(1.0, **{k: pose[k] for k in (f"knee_{ex}", f"ankle_{ex}", f"rot_{ex}")})
    sc.hold(rng.uniform(4.0, 10.0))


def build_round6(plan: dict):
    """A ``session.generate`` script builder for the plan's style."""
    style, flex = plan["style"], plan["flex"]

    def build(p: Person, *, duration_s: float, breaks: list[str], seed: int, **_) -> Script:
        rng = np.random.default_rng([seed, 6, 3])
        sc = Script({"flat_r": 1.0, "flat_l": 1.0, "w_r": 0.5})
        if plan.get("tremor"):
            ex, st = sides(p)
            chans = (f"knee_{ex}", f"ankle_{ex}", f"knee_{st}", "neck")
            sc.overlays.append(tremor(**plan["tremor"], chans=chans, rng=rng))
        protocol._protocol(sc, p, rng, tuple(plan["variants"]))
        pose = None
        if style == "pnf":
            pose = exercises.lie_down(sc, p, rng)
        elif style == "long_sit":
            pose = sit_on_floor(sc, p, rng, flex)
        pending, done = list(breaks), 0
        while done < p.n_stretches or sc.t_s < duration_s - 50.0:
            per, pending = pending[:2], pending[2:]
            if style == "pnf":
                pnf_stretch(sc, p, rng, pose, flex, per, bool(breaks))
            elif style == "long_sit":
                long_sit_reach(sc, p, rng, pose, per)
            elif style == "fold":
                fold(sc, p, rng, flex, per)
            elif style == "hinge":
                hinge(sc, p, rng, flex, per)
            else:
                into_standing_stretch(sc, p, rng)
                _hold(sc, p, rng, per, BREAK_TARGETS)
                out_of_standing_stretch(sc, p)
                sc.hold(rng.uniform(4.0, 15.0))
            done += 1
        return sc

    return build


def generate_session(seed: int, plan: dict, placements: tuple[str, ...]):
    """The plan's session with only ``placements``' sensors (each its own draws), at the
    plan's rate and strapping."""
    from bench.stranger.session import generate

    changes = person_changes(plan, draw_person(seed), seed)
    if "heel_m" in changes:
        plan["heel_m"] = changes.pop("heel_m")  # recorded with the plan
    return generate(
        seed,
        duration_s=plan["duration_s"],
        breaks=plan["breaks"],
        exercise=plan["exercise"],
        variants=tuple(plan["variants"]),
        placements=placements,
        person_changes=changes or None,
        family=plan["family"],
        devices={"rate_hz": plan["rate_hz"], "mount": plan["mount"]},
        builder=build_round6(plan),
    )


def run_seed(seed: int, minutes: float | None, work: Path, sets: tuple[str, ...]) -> dict:
    """One round-6 seed: generate, write the canonical sets, analyse each (``stretchguard
    analyse``, one at a time), judge."""
    plan = round6_plan(seed, minutes)
    places = set_placements(draw_person(seed).side, sets)
    return run_round_seed(
        seed,
        plan,
        work,
        lambda: generate_session(seed, plan, places),
        lambda s, folder: canonical_set_jobs(s, folder, sets),
        by_set=True,
    )
