"""Round 3: walking, sitting down and standing up, 1-h sessions, the protocol done literally
and a calibration done sitting.

From the public docs only (README, ``stretchguard analyse --help``, docs/envelope.md,
docs/conventions.md): walking about is never judged (envelope.md "How a session is judged"
1); the stand must be upright, knees straight (README "protocol"); nothing says how long a
session may be. My assumptions (not in the docs): the gait below (a textbook shape, not
fitted to data), how people spend an hour with a few stretches, and what "literally and no
more" means for "a few" bends and swings.

**Gait.** One stride (two steps) per ``stride_s``; cycle fraction c = 0 at the exercised
leg's heel strike. Each thigh sweeps back at a constant rate through the stance (+A at heel
strike, −A at the other heel strike half a cycle later, −1.4 A at toe-off, c = 0.6), and
swings forward on a cubic Hermite curve whose end rates match the stance's (no stop at
either end, so the pelvis keeps moving: the inverted pendulum's rise and fall of
L (1 − cos A), ≈ 2 m/s² vertically, as measured pelvis accelerations are). Weight goes to the
leading foot within ±3 % of the cycle round heel strike (both legs at about ±A: about the
same height). Knee: 5–15° in early stance, 55–65° in swing; the foot flat from 5 to 45 %, pushed off
to −15° at 62 %, level again in mid swing. Pelvis: ±3° heading and ±2° obliquity per stride,
±1.5° tilt per step. A walking bout fades in and out over half a stride.
"""

from __future__ import annotations

import numpy as np

from bench.stranger.exercises import sides
from bench.stranger.person import Person
from bench.stranger.script import Script, min_jerk


def _hermite(u: np.ndarray, p0: float, p1: float, m0: float, m1: float) -> np.ndarray:
    """Cubic Hermite on ``u`` in [0, 1] with end values and end slopes (per unit of ``u``)."""
    h00 = 2 * u**3 - 3 * u**2 + 1
    h10 = u**3 - 2 * u**2 + u
    h01 = -2 * u**3 + 3 * u**2
    h11 = u**3 - u**2
    return h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1


def _bump(c: np.ndarray, a: float, b: float) -> np.ndarray:
    """A raised-cosine bump on the cycle fraction ``c`` in [a, b] (peak 1 in the middle)."""
    u = np.clip((c - a) / (b - a), 0.0, 1.0)
    return np.where((c > a) & (c < b), 0.5 - 0.5 * np.cos(2 * np.pi * u), 0.0)


def _smooth(c: np.ndarray, xs: list[float], ys: list[float]) -> np.ndarray:
    """Piecewise minimum-jerk through the knots (``xs`` rising over [0, 1]): no kinks, so the
    sensors' accelerations stay finite."""
    xs_a, ys_a = np.asarray(xs), np.asarray(ys)
    i = np.clip(np.searchsorted(xs_a, c, side="right") - 1, 0, len(xs_a) - 2)
    u = (c - xs_a[i]) / (xs_a[i + 1] - xs_a[i])
    return ys_a[i] + (ys_a[i + 1] - ys_a[i]) * min_jerk(u)


def thigh_wave(c: np.ndarray, amp: float) -> np.ndarray:
    """Thigh inclination (degrees) over the gait cycle fraction ``c`` (0 = heel strike)."""
    rate = 4.0 * amp  # degrees per cycle: +A at c = 0 to −A at c = 0.5
    stance = amp - rate * c
    u = np.clip((c - 0.6) / 0.4, 0.0, 1.0)
    swing = _hermite(u, amp - rate * 0.6, amp, -rate * 0.4, -rate * 0.4)
    return np.where(c < 0.6, stance, swing)


def leg_wave(c: np.ndarray, g: dict) -> dict[str, np.ndarray]:
    """One leg's channels over the cycle fraction ``c``: incl, knee, flat, free ankle."""
    flat = _smooth(c, [0.0, 0.05, 0.45, 0.58, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0])
    ankle = _smooth(c, [0.0, 0.45, 0.62, 0.8, 1.0], [0.0, 0.0, -15.0, 0.0, 0.0])
    # the swing's knee bend starts once the weight has left the leg (c = 0.53)
    knee = g["knee_st"] * _bump(c, 0.03, 0.4) + g["knee_sw"] * _bump(c, 0.53, 0.97)
    return {"incl": thigh_wave(c, g["amp"]), "knee": knee, "flat": flat, "ankle": ankle}


def gait_overlay(t0: float, t1: float, g: dict, ex: str):
    """The overlay (``Script.overlays``) of a walking bout from ``t0`` to ``t1``."""
    fade = 0.5 * g["stride_s"]

    def overlay(t_s: np.ndarray, ch: dict[str, np.ndarray]) -> None:
        inside = (t_s > t0) & (t_s < t1)
        if not inside.any():
            return
        t = t_s[inside]
        env = min_jerk((t - t0) / fade) * min_jerk((t1 - t) / fade)
        c_ex = ((t - t0) / g["stride_s"]) % 1.0
        for leg, c in ((ex, c_ex), ("l" if ex == "r" else "r", (c_ex + 0.5) % 1.0)):
            w = leg_wave(c, g)
            ch[f"incl_{leg}"][inside] += env * w["incl"]
            ch[f"knee_{leg}"][inside] += env * w["knee"]
            ch[f"ankle_{leg}"][inside] += env * w["ankle"]
            ch[f"flat_{leg}"][inside] += env * (w["flat"] - 1.0)
        # weight on the exercised leg: taken over within ±0.03 of the cycle round each heel
        # strike (both feet on the floor, the legs at about ±A)
        w_ex = np.clip(
            _smooth(c_ex, [0.0, 0.03, 0.47, 0.53, 0.97, 1.0], [0.5, 1, 1, 0, 0, 0.5]), 0, 1
        )
        w_r = w_ex if ex == "r" else 1.0 - w_ex
        # the weight switches feet fully through the bout (so each landing foot's footprint is
        # where it lands) except in its first and last 0.2 s, where the legs barely move
        shift = min_jerk((t - t0) / 0.2) * min_jerk((t1 - t) / 0.2)
        ch["w_r"][inside] += shift * (w_r - 0.5)
        ph = 2 * np.pi * c_ex
        # heading and obliquity turn about axes the sagittal plane reverses: a left-legged
        # walk is the mirror image of a right-legged one
        mirror = 1.0 if ex == "r" else -1.0
        ch["yaw"][inside] += mirror * env * 3.0 * np.sin(ph)
        ch["obliq"][inside] += mirror * env * 2.0 * np.sin(ph)
        ch["tilt"][inside] += env * 1.5 * np.cos(2 * ph)

    return overlay


def walk(
    sc: Script, p: Person, rng: np.random.Generator, n_strides: int, turn_deg: float = 0.0
) -> None:
    """A walking bout of ``n_strides`` strides, turning by ``turn_deg`` on the way."""
    ex, _ = sides(p)
    g = {
        "stride_s": rng.uniform(1.0, 1.25) / min(max(p.speed, 0.85), 1.15),
        "amp": rng.uniform(12.0, 17.0),
        "knee_st": rng.uniform(5.0, 15.0),
        "knee_sw": rng.uniform(55.0, 65.0),
    }
    dur = n_strides * g["stride_s"]
    t0 = sc.t_s
    sc.mark("walk_start", strides=n_strides)
    sc.move(0.05, step=1.0)
    sc.overlays.append(gait_overlay(t0 + 0.05, t0 + 0.05 + dur, g, ex))
    sc.move(dur, yaw=sc.value("yaw") + turn_deg)
    sc.move(0.05, step=0.0)
    sc.mark("walk_end")
    sc.hold(rng.uniform(0.5, 1.5))


def sit_on_chair(sc: Script, p: Person, rng: np.random.Generator, sit_s: float) -> None:
    """Turn round, sit down on a chair behind (thighs about level, knees about 90°), stay
    ``sit_s`` fidgeting a little, stand up again."""
    sc.move(rng.uniform(1.5, 3.0), yaw=sc.value("yaw") + rng.choice([-1.0, 1.0]) * 180.0)
    psi = np.radians(sc.value("yaw"))
    back = 0.12
    sc.ramp(
        sc.t_s,
        0.01,
        anc_x=-back * np.cos(psi),
        anc_z=back * np.sin(psi),
        anc_y=p.shank_m + 0.12,
    )
    sc.hold(0.02)
    incl = 90.0 + rng.uniform(-8.0, 4.0)
    seat = {
        "tilt": rng.uniform(-12.0, 4.0),
        "incl_r": incl,
        "incl_l": incl,
        "knee_r": incl + rng.uniform(-10.0, 10.0),
        "knee_l": incl + rng.uniform(-10.0, 10.0),
        "lumbar": rng.uniform(0.0, 8.0),
        "neck": rng.uniform(0.0, 10.0),
    }
    sc.mark("sit_start")
    sc.move(3.0 / p.speed, anc=1.0, **seat)
    t_end = sc.t_s + sit_s
    while sc.t_s < t_end - 20.0:  # shift on the seat now and then
        sc.hold(rng.uniform(10.0, 60.0))
        sc.move(
            rng.uniform(1.0, 2.5),
            tilt=seat["tilt"] + rng.uniform(-4.0, 4.0),
            lumbar=max(seat["lumbar"] + rng.uniform(-4.0, 8.0), 0.0),
            neck=rng.uniform(0.0, 15.0),
        )
    sc.hold(max(t_end - sc.t_s, 1.0))
    sc.mark("stand_up")
    # leaning forward to stand up, then upright
    stand_up(sc, p)
    sc.mark("sit_end")
    sc.hold(rng.uniform(1.0, 3.0))


def stand_up(sc: Script, p: Person) -> None:
    """From a chair to upright: lean forward to rise (1.2 s), then straighten (2 s), both
    at the person's speed."""
    sc.move(1.2 / p.speed, tilt=25.0, lumbar=5.0)
    sc.move(
        2.0 / p.speed,
        anc=0.0,
        tilt=0.0,
        lumbar=0.0,
        neck=0.0,
        incl_r=0.0,
        incl_l=0.0,
        knee_r=0.0,
        knee_l=0.0,
    )


def sit_for_calibration(sc: Script, p: Person, rng: np.random.Generator) -> None:
    """A calibration done sitting: the person stays on the chair for the still part (the
    script starts seated, session.SEATED_START), then stands up for the movements."""
    sc.hold(rng.uniform(3.5, 6.0))
    sc.mark("stand_end")
    stand_up(sc, p)
    sc.hold(rng.uniform(1.0, 2.0))


#: where a calibration done sitting starts: on a chair, feet flat under the knees
SEATED_START = {
    "anc": 1.0,
    "anc_x": -0.12,
    "incl_r": 88.0,
    "incl_l": 88.0,
    "knee_r": 90.0,
    "knee_l": 90.0,
    "tilt": -6.0,
}


def literal_person(p: Person, rng: np.random.Generator) -> dict:
    """ "Literally and no more": two bends, two swings of the exercised leg, two shallow bows,
    the least that still reads as each movement."""
    return {
        "n_bends": 2,
        "n_swings": 2,
        "swing_both": False,
        "bend_knee_deg": float(rng.uniform(30.0, 40.0)),
        "swing_fwd_deg": float(rng.uniform(20.0, 25.0)),
        "swing_back_deg": float(rng.uniform(5.0, 8.0)),
        "bow_deg": float(rng.uniform(12.0, 18.0)),
        "bow_lumbar_share": 0.0,
    }


def _protocol(sc: Script, p: Person, rng: np.random.Generator, variants: tuple[str, ...]) -> None:
    """The README's protocol: literally (``literal``: a still stand of 3.0–3.2 s, the least of
    each movement), sloppily (round 2's variants) or after a calibration done sitting
    (``sit_cal``)."""
    from bench.stranger import protocol

    if "sit_cal" in variants:
        sit_for_calibration(sc, p, rng)
    else:
        sc.hold(rng.uniform(3.0, 3.2) if "literal" in variants else rng.uniform(3.5, 6.0))
        sc.mark("stand_end")
    protocol.knee_bends(sc, p, rng)
    protocol.leg_swings(sc, p, rng)
    if "no_bows" not in variants:
        protocol.bows(sc, p, rng)
    sc.mark("movements_end")
    sc.hold(rng.uniform(1.0, 3.0))


def _rest_standing(sc: Script, rng: np.random.Generator, rest_s: float) -> None:
    """Stand about for ``rest_s``: weight from one foot to the other now and then."""
    t_end = sc.t_s + rest_s
    while sc.t_s < t_end - 12.0:
        sc.hold(rng.uniform(4.0, 20.0))
        sc.move(rng.uniform(0.8, 1.5), w_r=rng.uniform(0.25, 0.75))
    sc.move(1.0, w_r=0.5)
    sc.hold(max(t_end - sc.t_s, 0.5))


def _walk_about(sc: Script, p: Person, rng: np.random.Generator, walk_s: float) -> None:
    """Walk for about ``walk_s`` in legs of 5–25 strides, turning between them."""
    t_end = sc.t_s + walk_s
    while sc.t_s < t_end - 4.0:
        walk(sc, p, rng, int(rng.integers(5, 26)), turn_deg=float(rng.uniform(-180.0, 180.0)))


def build_day(
    p: Person,
    *,
    duration_s: float,
    breaks: list[str],
    seed: int,
    variants: tuple[str, ...] = (),
    hour: bool = False,
) -> Script:
    """A standing-stretch session with walking: the protocol, then each stretch after a walk
    to the support (3–8 strides, turning up to 180°). ``hour``: 3–5 stretches spread over the
    session, between them walking about, sitting on a chair for minutes, standing about."""
    from bench.stranger import protocol

    rng = np.random.default_rng([seed, 3])
    start = {"flat_r": 1.0, "flat_l": 1.0, "w_r": 0.5}
    if "sit_cal" in variants:
        start.update(SEATED_START)
    sc = Script(start)
    _protocol(sc, p, rng, variants)
    n = int(rng.integers(3, 6)) if hour else p.n_stretches
    pending = list(breaks)
    done = 0
    while done < n or (not hour and sc.t_s < duration_s - 60.0):
        if hour:
            gap = max((duration_s - sc.t_s) / max(n - done, 1) - 70.0, 30.0)
            sit = gap * rng.uniform(0.3, 0.7) if rng.random() < 0.7 else 0.0
            walk_s = (gap - sit) * rng.uniform(0.1, 0.3)
            _walk_about(sc, p, rng, walk_s)
            if sit:
                sit_on_chair(sc, p, rng, sit)
            _rest_standing(sc, rng, max(gap - sit - walk_s - 10.0, 5.0))
        walk(sc, p, rng, int(rng.integers(3, 9)), turn_deg=float(rng.uniform(-180.0, 180.0)))
        per, pending = pending[:2], pending[2:]
        protocol.one_stretch(sc, p, rng, per)
        sc.hold(rng.uniform(4.0, 15.0))
        done += 1
        if hour and done >= n:
            _rest_standing(sc, rng, max(duration_s - sc.t_s - 1.0, 1.0))
    return sc
