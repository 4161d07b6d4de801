"""The session a person records: the README/--help protocol done literally, then the stretch.

Protocol (README "Every session starts with the protocol"): stand still ≥ 3 s; a few slow
knee bends and leg swings, forward and back; two slow bows forward from the hips, back
straight; then the exercise (standing hamstring stretch, heel on a raised support, held about
30 s). Rule breaks are scripted inside holds by the limits of docs/envelope.md.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from bench.stranger import exercises
from bench.stranger.exercises import BREAK_TARGETS, scripted_breaks, sides
from bench.stranger.person import Person
from bench.stranger.script import Script


def squat_thigh_incl_deg(knee_deg: float, thigh_m: float, shank_m: float) -> float:
    """Thigh inclination that keeps the hip over a flat foot for a knee bend of ``knee_deg``.

    The hip stays above the ankle: ``thigh · sin h = shank · sin(k − h)``.
    """
    k = math.radians(knee_deg)
    h = math.atan2(shank_m * math.sin(k), thigh_m + shank_m * math.cos(k))
    return math.degrees(h)


def _weight_on(sc: Script, leg: str, dur_s: float) -> None:
    sc.move(dur_s, w_r=1.0 if leg == "r" else 0.0)


def knee_bends(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """A few slow knee bends: squats with both feet flat, or one heel kicked back."""
    ex, st = sides(p)
    legs = [ex, st] if p.swing_both else [ex]
    if p.bend_style == "squat":
        for _ in range(p.n_bends):
            k = p.bend_knee_deg * rng.uniform(0.85, 1.1)
            h = squat_thigh_incl_deg(k, p.thigh_m, p.shank_m)
            wob = p.sloppiness * rng.normal(0.0, 4.0)
            sc.move(2.5 / p.speed, knee_r=k, knee_l=k, incl_r=h, incl_l=h, add_r=wob, add_l=wob)
            sc.hold(rng.uniform(0.2, 0.8))
            sc.move(2.5 / p.speed, knee_r=0, knee_l=0, incl_r=0, incl_l=0, add_r=0, add_l=0)
            sc.hold(rng.uniform(0.3, 1.0))
        return
    for leg in legs:
        _weight_on(sc, "l" if leg == "r" else "r", 0.8)
        sc.move(0.4, **{f"flat_{leg}": 0.0})
        for _ in range(p.n_bends):
            k = min(p.bend_knee_deg * 1.4, 110.0) * rng.uniform(0.85, 1.1)
            sc.move(
                2.0 / p.speed,
                **{
                    f"knee_{leg}": k,
                    f"incl_{leg}": p.sloppiness * rng.normal(0.0, 8.0),
                    f"ankle_{leg}": -10.0,
                    f"rot_{leg}": p.sloppiness * rng.normal(0.0, 4.0),
                },
            )
            sc.hold(rng.uniform(0.2, 0.6))
            sc.move(
                2.0 / p.speed,
                **{f"knee_{leg}": 0, f"incl_{leg}": 0, f"ankle_{leg}": 0, f"rot_{leg}": 0},
            )
            sc.hold(rng.uniform(0.2, 0.6))
        sc.move(0.4, **{f"flat_{leg}": 1.0})
        sc.move(0.8, w_r=0.5)


def leg_swings(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """A few slow leg swings forward and back, standing on the other leg."""
    ex, st = sides(p)
    for leg in [ex, st] if p.swing_both else [ex]:
        _weight_on(sc, "l" if leg == "r" else "r", 0.8)
        sc.move(0.4, **{f"flat_{leg}": 0.0})
        half = 1.3 / p.speed
        for _ in range(p.n_swings):
            fwd = p.swing_fwd_deg * rng.uniform(0.8, 1.15)
            back = -p.swing_back_deg * rng.uniform(0.8, 1.15)
            for target, knee in ((fwd, rng.uniform(3, 15)), (back, rng.uniform(5, 25))):
                sc.move(
                    half,
                    **{
                        f"incl_{leg}": target,
                        f"knee_{leg}": knee,
                        f"add_{leg}": p.sloppiness * rng.normal(0.0, 4.0),
                        f"rot_{leg}": p.sloppiness * rng.normal(0.0, 4.0),
                        "obliq": p.sloppiness * rng.normal(0.0, 1.5),
                    },
                )
        sc.move(
            half,
            **{f"incl_{leg}": 0, f"knee_{leg}": 0, f"add_{leg}": 0, f"rot_{leg}": 0, "obliq": 0},
        )
        sc.move(0.4, **{f"flat_{leg}": 1.0})
        sc.move(0.8, w_r=0.5)
        sc.hold(rng.uniform(0.3, 1.0))


def bows(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """Two slow bows forward from the hips (thighs stay vertical), back mostly straight."""
    for _ in range(2):
        depth = p.bow_deg * rng.uniform(0.85, 1.1)
        sc.move(
            2.5 / p.speed, tilt=depth * (1 - p.bow_lumbar_share), lumbar=depth * p.bow_lumbar_share
        )
        sc.hold(rng.uniform(0.3, 1.0))
        sc.move(2.5 / p.speed, tilt=0, lumbar=0)
        sc.hold(rng.uniform(0.5, 1.2))


def one_stretch(sc: Script, p: Person, rng: np.random.Generator, breaks: list[str]) -> None:
    """Heel onto the support, lean in, hold (with the scripted breaks), come back down."""
    ex, st = sides(p)
    _weight_on(sc, st, 1.0)
    sc.move(0.5, **{f"flat_{ex}": 0.0})
    sc.move(
        0.8 / p.speed, **{f"knee_{ex}": p.stretch_knee_deg + 10, f"ankle_{ex}": p.stretch_ankle_deg}
    )
    sc.move(
        2.2 / p.speed,
        **{
            f"incl_{ex}": p.support_incl_deg,
            f"knee_{ex}": p.stretch_knee_deg,
            "obliq": p.sloppiness * rng.normal(0, 2),
        },
    )
    sc.hold(rng.uniform(0.8, 2.0))
    sc.move(
        rng.uniform(2.0, 4.0) / p.speed,
        tilt=p.lean_deg,
        lumbar=rng.uniform(0, 4),
        neck=rng.uniform(0, 6),
    )
    hold_start = sc.t_s
    hold_s = p.hold_s * rng.uniform(0.9, 1.1)
    if breaks:
        scripted_breaks(sc, p, rng, breaks, BREAK_TARGETS, ramp_first=True)
    sc.hold(max(hold_start + hold_s - sc.t_s, 1.0))
    sc.move(2.0 / p.speed, tilt=0, lumbar=0, neck=0)
    sc.move(2.0 / p.speed, **{f"incl_{ex}": 0, "obliq": 0})
    sc.move(0.8 / p.speed, **{f"knee_{ex}": 0, f"ankle_{ex}": 0})
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.move(0.8, w_r=0.5)


def _protocol(sc: Script, p: Person, rng: np.random.Generator, variants: tuple[str, ...]) -> None:
    """Stand, knee bends, leg swings, bows: as the README says, or a sloppy variant of it.

    ``variants``: ``no_bows`` (skips the bows), ``rush`` (stands only 3–3.4 s), ``other_leg``
    (swings only the other leg, standing on the exercised one); ``one_bend`` and ``fidget``
    change the person (session.generate).
    """
    sc.hold(rng.uniform(3.0, 3.4) if "rush" in variants else rng.uniform(3.5, 6.0))
    sc.mark("stand_end")
    knee_bends(sc, p, rng)
    if "other_leg" in variants:
        ex, _ = sides(p)
        leg_swings(
            sc, dataclasses.replace(p, side="left" if ex == "r" else "right", swing_both=False), rng
        )
    else:
        leg_swings(sc, p, rng)
    if "no_bows" not in variants:
        bows(sc, p, rng)
    sc.mark("movements_end")
    sc.hold(rng.uniform(1.0, 3.0))


def build_session(
    p: Person,
    *,
    duration_s: float,
    breaks: list[str],
    seed: int,
    exercise: str = "standing",
    variants: tuple[str, ...] = (),
) -> Script:
    """The whole session: protocol, then stretches until ``duration_s`` is reached.

    ``exercise``: ``standing`` (heel on a support), ``supine`` (lying, leg raised) or
    ``seated`` (the seated nerve slider).
    """
    rng = np.random.default_rng(seed + 7919)
    sc = Script({"flat_r": 1.0, "flat_l": 1.0, "w_r": 0.5})
    _protocol(sc, p, rng, variants)
    pose = {}
    if exercise == "supine":
        pose = exercises.lie_down(sc, p, rng)
    elif exercise == "seated":
        exercises.sit_down(sc, p, rng)
    n_done = 0
    pending = list(breaks)
    while n_done < p.n_stretches or sc.t_s < duration_s - 50.0:
        per = pending[:2]
        pending = pending[2:]
        if exercise == "supine":
            exercises.supine_stretch(sc, p, rng, pose, per)
        elif exercise == "seated":
            n = exercises.slider_set(sc, p, rng, per)
            sc.events.append({"kind": "slider_cycles", "t_s": sc.t_s, "n": n})
        else:
            one_stretch(sc, p, rng, per)
            sc.hold(rng.uniform(4.0, 15.0))
        n_done += 1
    return sc
