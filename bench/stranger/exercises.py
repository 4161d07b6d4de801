"""The supine and the seated stretch, done after a standing calibration (round 2).

From the public docs only (README, ``stretchguard analyse --help``, docs/envelope.md,
docs/conventions.md): the supine hamstring stretch is done lying on the back with the
exercised leg raised (hip flexion ≥ 40°, a slight knee bend, toes pointed away, held about
30 s), the other leg resting on the floor; lying, the pelvis reads about −90° of tilt and may
rotate back a little as the leg rises. The seated nerve slider is done sitting, the knee
bent, the foot pointed and flexed (the ankle swings 10–70° peak to peak at 0.2–1 Hz, ≥ 5
cycles) with the back long.

Channels: ``incl`` is the thigh's own angle to the vertical in the sagittal plane (90° =
horizontal, lying or sitting), hip flexion = ``incl`` + ``tilt``; ``tilt`` −90° = lying on the
back. My assumptions (not in the docs): a relaxed leg lying on the floor turns out by 0–15°;
the foot of a resting leg falls to 10–30° of plantar flexion; the pelvis rotates back by
0–0.12° per degree of hip flexion as the leg rises.
"""

from __future__ import annotations

import numpy as np

from bench.stranger.person import Person
from bench.stranger.script import Script

#: scripted break targets standing (degrees; channel, low, high): how far past the documented
#: edge a person goes
BREAK_TARGETS = {
    "ankle_dorsiflexion": ("ankle", 6.0, 15.0),
    "knee_flexion": ("knee", 0.0, 4.0),
    "lumbar_flexion": ("lumbar", 18.0, 28.0),
    "neck_flexion": ("neck", 28.0, 40.0),
    "hip_adduction": ("add", 12.0, 18.0),
    "hip_internal_rotation": ("rot", 18.0, 26.0),
}
#: lying: the same (lumbar = lifting the shoulders off the floor, neck = lifting the head to
#: look at the leg), and the pelvis tucking further back (relative to where it lies)
SUPINE_BREAKS = {**BREAK_TARGETS, "pelvis_anterior_tilt": ("tilt", -14.0, -9.0)}
SEATED_BREAKS = {
    "knee_flexion": ("knee", 0.0, 4.0),  # the knee straightened fully while sliding
    "lumbar_flexion": ("lumbar", 18.0, 28.0),  # the slump
    "ankle_dorsiflexion": ("ankle", 25.0, 32.0),  # past the slider's +20° (advisory)
    "neck_flexion": ("neck", 27.0, 36.0),  # looking down at the foot (advisory)
}


#: a relaxed leg lying on the floor turns out by 0–15° (hip internal rotation −15…0°)
LYING_TURNOUT_DEG = (0.0, 15.0)
#: sitting, each hip's rotation (feet placed where they fall), degrees internal
SITTING_ROT_DEG = (-6.0, 4.0)


def sides(p: Person) -> tuple[str, str]:
    """The exercised and the other leg's channel suffixes ("r"/"l")."""
    ex = "r" if p.side == "right" else "l"
    return ex, ("l" if ex == "r" else "r")


def into_standing_stretch(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """Weight onto the standing leg, the heel onto the support, lean in (a neutral neck).

    The later rounds' stretch without the protocol's sideways hitch and glance down.
    """
    ex, st = sides(p)
    sc.move(1.0, w_r=1.0 if st == "r" else 0.0)
    sc.move(0.5, **{f"flat_{ex}": 0.0})
    sc.move(
        0.8 / p.speed, **{f"knee_{ex}": p.stretch_knee_deg + 10, f"ankle_{ex}": p.stretch_ankle_deg}
    )
    sc.move(2.2 / p.speed, **{f"incl_{ex}": p.support_incl_deg, f"knee_{ex}": p.stretch_knee_deg})
    sc.hold(rng.uniform(0.8, 2.0))
    sc.move(rng.uniform(2.0, 4.0) / p.speed, tilt=p.lean_deg, lumbar=rng.uniform(0, 4), neck=0.0)


def out_of_standing_stretch(sc: Script, p: Person) -> None:
    """Straighten up, the leg down off the support, weight back on both feet."""
    ex, _ = sides(p)
    sc.move(2.0 / p.speed, tilt=0, lumbar=0, neck=0)
    sc.move(2.0 / p.speed, **{f"incl_{ex}": 0})
    sc.move(0.8 / p.speed, **{f"knee_{ex}": 0, f"ankle_{ex}": 0})
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.move(0.8, w_r=0.5)


def _turn(sc: Script, rng: np.random.Generator) -> None:
    """Turn on the spot to face the mat or the chair (0–90° either way)."""
    sc.move(rng.uniform(1.5, 3.0), yaw=sc.value("yaw") + rng.uniform(-90.0, 90.0))
    sc.hold(rng.uniform(0.3, 1.0))


def lie_down(sc: Script, p: Person, rng: np.random.Generator) -> dict[str, float]:
    """Squat, sit on the floor, roll onto the back; returns the lying pose."""
    _turn(sc, rng)
    k = 95.0
    h = 45.0
    sc.move(2.5 / p.speed, knee_r=k, knee_l=k, incl_r=h, incl_l=h, tilt=10.0, lumbar=15.0)
    sc.ramp(sc.t_s, 0.01, anc_x=0.15, anc_y=0.12)
    sc.hold(0.02)
    sc.move(
        2.0 / p.speed,
        anc=1.0,
        tilt=-25.0,
        incl_r=80.0,
        incl_l=80.0,
        knee_r=60.0,
        knee_l=60.0,
        flat_r=0.0,
        flat_l=0.0,
        ankle_r=-15.0,
        ankle_l=-15.0,
    )
    sc.hold(rng.uniform(0.5, 1.5))
    tilt = -90.0 + rng.uniform(-5.0, 5.0)
    pose = {
        "tilt": tilt,
        "lumbar": rng.uniform(-3.0, 4.0),
        "neck": rng.uniform(-2.0, 10.0),  # a pillow or none
        "incl_r": 90.0 + rng.uniform(-3.0, 3.0),
        "incl_l": 90.0 + rng.uniform(-3.0, 3.0),
        "knee_r": rng.uniform(0.0, 6.0),
        "knee_l": rng.uniform(0.0, 6.0),
        "ankle_r": -rng.uniform(10.0, 30.0),
        "ankle_l": -rng.uniform(10.0, 30.0),
        "rot_r": -rng.uniform(*LYING_TURNOUT_DEG),
        "rot_l": -rng.uniform(*LYING_TURNOUT_DEG),
    }
    sc.move(2.5 / p.speed, **pose)
    sc.hold(rng.uniform(2.5, 5.0))
    return pose


def supine_stretch(
    sc: Script, p: Person, rng: np.random.Generator, pose: dict[str, float], breaks: list[str]
) -> None:
    """Raise the exercised leg (held with the hands or a strap), hold, lower it, rest."""
    ex, _ = sides(p)
    hip = rng.uniform(55.0, 85.0)
    tilt = pose["tilt"] - p.slr_pelvis_per_deg * hip
    sc.move(
        rng.uniform(2.5, 4.0) / p.speed,
        tilt=tilt,
        **{
            f"incl_{ex}": hip - tilt,
            f"knee_{ex}": p.stretch_knee_deg,
            f"ankle_{ex}": p.stretch_ankle_deg,
            f"rot_{ex}": 0.0,
        },
    )
    hold_start = sc.t_s
    hold_s = p.hold_s * rng.uniform(0.9, 1.1)
    sc.mark("hold_start")
    if breaks:
        scripted_breaks(sc, p, rng, breaks, SUPINE_BREAKS)
    sc.hold(max(hold_start + hold_s - sc.t_s, 1.0))
    sc.mark("hold_end")
    back = {k: pose[k] for k in ("tilt", f"incl_{ex}", f"knee_{ex}", f"ankle_{ex}", f"rot_{ex}")}
    sc.move(rng.uniform(2.5, 4.0) / p.speed, **back)
    sc.hold(rng.uniform(4.0, 10.0))


def sit_down(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """Sit on a chair: thighs about horizontal, knees about 90°, feet flat, back long."""
    _turn(sc, rng)
    sc.ramp(sc.t_s, 0.01, anc_x=-0.12, anc_y=p.shank_m + 0.12)
    sc.hold(0.02)
    incl = 90.0 + rng.uniform(-8.0, 4.0)
    sc.move(
        3.0 / p.speed,
        anc=1.0,
        tilt=rng.uniform(-12.0, 4.0),
        incl_r=incl,
        incl_l=incl,
        knee_r=incl,
        knee_l=incl,
        lumbar=rng.uniform(0.0, 5.0),
        neck=rng.uniform(0.0, 8.0),
        rot_r=rng.uniform(*SITTING_ROT_DEG),
        rot_l=rng.uniform(*SITTING_ROT_DEG),
    )
    sc.hold(rng.uniform(2.5, 5.0))


def slider_set(sc: Script, p: Person, rng: np.random.Generator, breaks: list[str]) -> int:
    """Knee out to a bend, ankle pointed and flexed n times, knee back; returns the cycles."""
    ex, _ = sides(p)
    knee0 = sc.value(f"knee_{ex}")
    sc.move(0.4, **{f"flat_{ex}": 0.0})
    sc.move(1.5 / p.speed, **{f"knee_{ex}": p.slider_knee_deg, f"ankle_{ex}": p.slider_lo_deg})
    sc.mark("slider_start")
    half = 0.5 / p.slider_hz
    n = int(rng.integers(8, 16))
    t_set = sc.t_s
    for _ in range(n):
        sc.move(half * rng.uniform(0.9, 1.1), **{f"ankle_{ex}": p.slider_hi_deg})
        sc.move(half * rng.uniform(0.9, 1.1), **{f"ankle_{ex}": p.slider_lo_deg})
    sc.mark("slider_end")
    _overlay_breaks(sc, p, rng, breaks, t_set)
    sc.move(1.5 / p.speed, **{f"knee_{ex}": knee0, f"ankle_{ex}": 0.0})
    sc.move(0.4, **{f"flat_{ex}": 1.0})
    sc.hold(rng.uniform(4.0, 10.0))
    return n


def _overlay_breaks(
    sc: Script, p: Person, rng: np.random.Generator, breaks: list[str], t0_s: float
) -> None:
    """Knee, back and neck breaks while the ankle keeps sliding (events put in time order)."""
    ex, _ = sides(p)
    t = t0_s + rng.uniform(3.0, 5.0)
    marks = []
    for kind in breaks:
        base, lo, hi = SEATED_BREAKS[kind]
        if base == "ankle":
            continue  # an ankle past the slider's range is done between sets (below)
        chan = base if base in ("lumbar", "neck") else f"{base}_{ex}"
        before = sc.keys[chan][-1][1]
        ramp, stay = rng.uniform(0.8, 1.5), rng.uniform(3.0, 6.0)
        if t + 2 * ramp + stay > sc.t_s - 0.5:
            break
        sc.ramp(t, ramp, **{chan: rng.uniform(lo, hi)})
        sc.ramp(t + ramp + stay, ramp, **{chan: before})
        marks.append((t, t + 2 * ramp + stay, kind))
        t += 2 * ramp + stay + rng.uniform(2.0, 4.0)
    if "ankle_dorsiflexion" in breaks:
        _, lo, hi = SEATED_BREAKS["ankle_dorsiflexion"]
        start = sc.t_s
        sc.move(rng.uniform(0.8, 1.5), **{f"ankle_{ex}": rng.uniform(lo, hi)})
        sc.hold(rng.uniform(3.0, 6.0))
        sc.move(rng.uniform(0.8, 1.5), **{f"ankle_{ex}": p.slider_lo_deg})
        marks.append((start, sc.t_s, "ankle_dorsiflexion"))
    for a, b, kind in sorted(marks):
        sc.events.append({"kind": "break_start", "t_s": a, "rule": kind})
        sc.events.append({"kind": "break_end", "t_s": b, "rule": kind})


def scripted_breaks(
    sc: Script,
    p: Person,
    rng: np.random.Generator,
    breaks: list[str],
    table: dict,
    *,
    ramp_first: bool = False,
) -> None:
    """Each break inside a hold: past the edge in ~1 s, stay 3–6 s, come back; 5–9 s apart.

    ``ramp_first``: draw the ramp's duration before the target (the standing stretch's order
    since round 1; lying, the target comes first) so every earlier session stays the same.
    """
    ex, _ = sides(p)
    sc.hold(rng.uniform(5.0, 8.0))
    for kind in breaks:
        base, lo, hi = table[kind]
        chan = base if base in ("lumbar", "neck", "tilt") else f"{base}_{ex}"
        before = sc.value(chan)
        ramp_s = rng.uniform(0.8, 1.5) if ramp_first else None
        target = before + rng.uniform(lo, hi) if base == "tilt" else rng.uniform(lo, hi)
        sc.mark("break_start", rule=kind)
        sc.move(ramp_s if ramp_first else rng.uniform(0.8, 1.5), **{chan: target})
        sc.hold(rng.uniform(3.0, 6.0))
        sc.move(rng.uniform(0.8, 1.5), **{chan: before})
        sc.mark("break_end", rule=kind)
        sc.hold(rng.uniform(5.0, 9.0))
