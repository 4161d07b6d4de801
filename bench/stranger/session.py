"""One stranger's session: person → movement → segments → sensors → samples, with its truth."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from bench.stranger import body, daily, imu
from bench.stranger.person import Person, draw_person
from bench.stranger.protocol import build_session
from bench.stranger.script import CHANNELS

INTERNAL_HZ = 400.0
TRUTH_HZ = 100.0

SENSOR_SETS = {
    "default": ("pelvis", "{ex}_thigh", "{ex}_shank", "{ex}_foot"),
    "pair": ("{ex}_thigh", "{ex}_shank"),
    "full": body.SEGMENTS,
}

#: the joint whose flexion bulges the soft tissue under each segment's sensor
TISSUE_JOINT = {"thigh": "knee_flexion", "shank": "knee_flexion", "foot": "ankle_dorsiflexion"}


@dataclasses.dataclass
class SensorData:
    """One sensor's samples: times (s), acc (m/s²), gyro (rad/s), sensor frame; truth R_E_S."""

    t_s: np.ndarray
    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray
    r_e_s: Rotation
    rate_hz: float
    strap: imu.Strap
    errors: imu.ErrorModel


@dataclasses.dataclass
class Session:
    """Everything generated for one seed."""

    person: Person
    family: str
    heading_deg: float
    breaks: list[str]
    events: list[dict]
    truth_t_s: np.ndarray
    truth: dict[str, np.ndarray]
    sensors: dict[str, SensorData]


def _smooth_noise(
    n: int, fs: float, cutoff_hz: float, sd: float, rng: np.random.Generator
) -> np.ndarray:
    """Low-pass Gaussian noise of standard deviation ``sd`` on a grid of ``n`` samples at ``fs``.

    Filtered (4th-order Butterworth, zero phase) on a coarse 20-Hz grid with 30 s of margin on
    each side (no edge transients), then carried to ``fs`` by a cubic spline: smooth enough that
    its second derivative (the acceleration it causes) stays small.
    """
    from scipy.interpolate import CubicSpline
    from scipy.signal import butter, sosfiltfilt

    coarse_hz, pad = 20.0, 600
    m = int(n / fs * coarse_hz) + 2
    x = sosfiltfilt(butter(4, cutoff_hz, fs=coarse_hz, output="sos"), rng.normal(size=m + 2 * pad))[
        pad:-pad
    ]
    x = (x - x.mean()) / (x.std() + 1e-12) * sd
    return CubicSpline(np.arange(m) / coarse_hz, x)(np.arange(n) / fs)


def _channels(
    person: Person, script, t_s: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Scripted channels plus postural sway and fidgeting (degrees).

    During the quiet stand the sway is a fifth of its size (standing still, as asked), so
    the stand's pose, which defines every angle's zero, is the neutral pose within ~0.1°.
    """
    ch = script.sample(t_s)
    stand_end = next(e["t_s"] for e in script.events if e["kind"] == "stand_end")
    calm = 0.2 + 0.8 * np.clip((t_s - stand_end) / 1.0, 0.0, 1.0)
    for name in CHANNELS:
        if name.startswith(("flat", "w_r", "anc", "step")):
            continue
        sd = 0.25 * person.fidget * (2.0 if name in ("yaw", "neck_rot", "neck_lat") else 1.0)
        ch[name] = ch[name] + calm * _smooth_noise(len(t_s), INTERNAL_HZ, 0.4, sd, rng)
    return ch


def _tissue(
    rots: dict[str, Rotation],
    truth: dict[str, np.ndarray],
    seg: str,
    strap: imu.Strap,
    gain: float,
    slip: Rotation | None = None,
) -> Rotation:
    """The sensor's orientation in G, soft tissue turning it by ``gain`` × its joint's flexion
    (``slip``: the strap turned round the segment, round 4's ``strap_slip``)."""
    kind = seg.split("_")[-1]
    joint = TISSUE_JOINT.get(kind)
    seg_rot = rots[seg] if slip is None else rots[seg] * slip
    if joint is None:
        return seg_rot * strap.r_seg_s
    side = seg.split("_")[0]
    ang = np.radians(truth[f"{side}_{joint}_deg"] * gain)
    return seg_rot * Rotation.from_rotvec(ang[:, None] * strap.tissue_axis) * strap.r_seg_s


def strap_slip(t_s: np.ndarray, slip: dict | None) -> Rotation | None:
    """How far a strap has turned round its segment's long axis (y) at each time (round 4):
    ``slip`` = ``{"t0_s", "ramp_s", "deg"}``, the turn ramped with a minimum-jerk profile (a
    knock: 0.2–0.4 s; a strap creeping round: tens of seconds); ``None`` without a slip."""
    from bench.stranger.script import min_jerk

    if not slip:
        return None
    ang = np.radians(slip["deg"]) * min_jerk((t_s - slip["t0_s"]) / slip["ramp_s"])
    return Rotation.from_rotvec(ang[:, None] * np.array([0.0, 1.0, 0.0]))


def on_table_first(
    t_s: np.ndarray, r_e_s: Rotation, p_e_m: np.ndarray, table: dict
) -> tuple[Rotation, np.ndarray]:
    """A sensor lying still on a table until ``table["until_s"]``, then carried to its strap
    over ``table["pickup_s"]`` (minimum jerk, orientation along the rotation vector between
    the two, position straight), strapped from then on (round 7).

    ``table`` = ``{"until_s", "pickup_s", "yaw_deg", "face_down", "offset_m"}``: the sensor's
    heading on the table (earth frame, degrees about the vertical), lying on its back or its
    face, and where it lies relative to its strapped place at ``until_s`` (metres, earth).
    """
    from bench.stranger.script import min_jerk

    k_on = int(np.searchsorted(t_s, table["until_s"]))
    flip = Rotation.from_rotvec([np.pi, 0.0, 0.0] if table["face_down"] else [0.0, 0.0, 0.0])
    r_table = Rotation.from_euler("z", table["yaw_deg"], degrees=True) * flip
    p_table = p_e_m[min(k_on, len(t_s) - 1)] + np.asarray(table["offset_m"], float)
    u = min_jerk((t_s - table["until_s"]) / table["pickup_s"])
    r_on = r_e_s[min(k_on, len(t_s) - 1)]
    carry = (r_table.inv() * r_on).as_rotvec()  # one fixed turn: no rotation-vector flips
    sway = (r_on.inv() * r_e_s).as_rotvec()  # the body's small moves about its pose then
    r_out = (
        r_table
        * Rotation.from_rotvec(carry[None, :] * u[:, None])
        * Rotation.from_rotvec(sway * u[:, None])
    )
    p_out = (1.0 - u)[:, None] * p_table + u[:, None] * p_e_m
    return r_out, p_out


def _device_times(duration_s: float, rate_hz: float, rng: np.random.Generator) -> np.ndarray:
    """True sample times of a device clock (start offset, ±50 ppm rate error)."""
    step = 1.0 / (rate_hz * (1.0 + rng.normal(0.0, 25e-6)))
    t0 = rng.uniform(0.0, 0.02)
    return t0 + step * np.arange(int((duration_s - 0.05 - t0) / step))


def _interp_rows(t_new: np.ndarray, t: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(t_new, t, v[:, i]) for i in range(v.shape[1])])


def _seg_length(p: Person, seg: str) -> float:
    return {"thigh": p.thigh_m, "shank": p.shank_m, "foot": p.foot_m}.get(seg.split("_")[-1], 0.3)


def make_sensor(seg: str, ctx: dict, rng: np.random.Generator) -> SensorData:
    """Strap one sensor on ``seg``, take its ideal signals, sample and corrupt them."""
    person, rots, origins, truth, t_s, r_e_g = (
        ctx[k] for k in ("person", "rots", "origins", "truth", "t", "r_e_g")
    )
    fam = ctx.get("family_of", {}).get(seg, ctx["family"])
    chip_name, rate = imu.FAMILIES.get(fam) or imu.OTHER_DEVICES[fam]
    rate = ctx.get("rate_hz") or rate
    mount = (ctx.get("mount") or {}).get(seg.split("_")[-1])
    strap = imu.draw_strap(seg, _seg_length(person, seg), rng, mount=mount)
    slip = strap_slip(t_s, (ctx.get("slip") or {}).get(seg))
    r_g_s = _tissue(rots, truth, seg, strap, person.tissue_gain, slip)
    r_e_s = r_e_g * r_g_s
    site = strap.site_m if slip is None else slip.apply(strap.site_m)
    p_e = r_e_g.apply(origins[seg] + rots[seg].apply(site))
    table = (ctx.get("table") or {}).get(seg)
    if table:  # round 7: the sensor lies on a table, then is picked up and strapped on
        r_e_s, p_e = on_table_first(t_s, r_e_s, p_e, table)
    gyr, acc = imu.ideal_signals(t_s, r_e_s, p_e)
    t_dev = _device_times(float(t_s[-1]), rate, rng)
    if ctx.get("shared_clock"):  # synchronised sensors (Movella DOT): one sample grid
        t_dev = ctx.setdefault("t_shared", t_dev)
    gyr_d, acc_d = _interp_rows(t_dev, t_s, gyr), _interp_rows(t_dev, t_s, acc)
    errors = imu.draw_errors(imu.CHIPS[chip_name], rate, rng)
    gyr_m, acc_m = (
        (gyr_d, acc_d) if ctx.get("ideal") else imu.apply_errors(t_dev, gyr_d, acc_d, errors, rng)
    )
    r_dev = Slerp(t_s, r_e_s)(np.clip(t_dev, t_s[0], t_s[-1]))
    return SensorData(t_dev, acc_m, gyr_m, r_dev, rate, strap, errors)


#: sloppy variants that change the person rather than the script (protocol._protocol has the rest)
VARIANT_CHANGES = {
    "one_bend": lambda p: {"n_bends": 1},
    "fidget": lambda p: {"fidget": p.fidget * 3.0},
    "rush": lambda p: {"speed": min(p.speed * 2.0, 2.8), "n_swings": 2},
    "literal": lambda p: daily.literal_person(p, np.random.default_rng([p.seed, 4])),
}


def generate(
    seed: int,
    *,
    duration_s: float = 90.0,
    breaks: list[str] | None = None,
    family: str | None = None,
    ideal: bool = False,
    placements: tuple[str, ...] = body.SEGMENTS,
    person_changes: dict | None = None,
    exercise: str = "standing",
    variants: tuple[str, ...] = (),
    exact: bool = False,
    shared_clock: bool = False,
    day: dict | None = None,
    devices: dict | None = None,
    builder=None,
) -> Session:
    """The session of ``seed``: ``breaks`` are scripted rule breaks (rule names) in its holds.

    ``ideal`` leaves the sensors' errors out (for self-consistency tests); ``placements``
    limits which sensors are made (default all nine); ``person_changes`` replaces drawn
    properties of the person (to find which one an error comes from). ``exercise``:
    standing, supine or seated; ``variants``: sloppy protocol (protocol._protocol,
    ``VARIANT_CHANGES``); ``exact``: the recording stops at ``duration_s`` whatever the person
    is doing; ``shared_clock``: every sensor samples on one grid (synchronised DOTs).

    Round 3: ``day`` = ``{"hour": bool}`` builds the session with walking (daily.build_day;
    variants ``literal`` and ``sit_cal`` too); ``devices`` = ``{"family_of": {placement:
    family}, "rate_hz": float, "mount": {segment kind: mount}}`` (mixed vendors, another
    output rate, a strapping by habit instead of at random: imu.draw_strap).

    Round 4: ``builder(person, duration_s=, breaks=, seed=)`` returns the script instead
    (round4.session_with_tests); ``devices["slip"]`` = ``{placement: {"t0_s", "ramp_s",
    "deg"}}`` turns that sensor's strap round its segment (``strap_slip``). Round 7:
    ``devices["table"]`` = ``{placement: {...}}`` leaves that sensor on a table at first
    (``on_table_first``).
    """
    rng = np.random.default_rng(seed)
    person = draw_person(seed, n_stretches=1 if duration_s < 80 else None)
    for v in variants:
        if v in VARIANT_CHANGES:
            person = dataclasses.replace(person, **VARIANT_CHANGES[v](person))
    if person_changes:  # diagnosis: the same session with one property changed
        person = dataclasses.replace(person, **person_changes)
    breaks = list(breaks or [])
    if builder is not None:  # round 4: a style's own script
        script = builder(person, duration_s=duration_s, breaks=breaks, seed=seed)
    elif day is not None:
        script = daily.build_day(
            person,
            duration_s=duration_s,
            breaks=breaks,
            seed=seed,
            variants=tuple(variants),
            hour=bool(day.get("hour")),
        )
    else:
        script = build_session(
            person,
            duration_s=duration_s,
            breaks=breaks,
            seed=seed,
            exercise=exercise,
            variants=tuple(variants),
        )
    t_end = duration_s + 0.05 if exact else script.t_s + 1.0
    t_s = np.arange(0.0, t_end, 1.0 / INTERNAL_HZ)
    ch = _channels(person, script, t_s, rng)
    rots = body.segment_rotations(ch, person)
    truth = body.truth_angles(rots)
    fam = family or str(rng.choice(sorted(imu.FAMILIES)))
    heading = float(rng.uniform(0.0, 360.0))
    ctx = {
        "person": person,
        "rots": rots,
        "origins": body.segment_origins(rots, ch, person),
        "truth": truth,
        "t": t_s,
        "r_e_g": imu.heading_rotation(heading),
        "family": fam,
        "ideal": ideal,
        "shared_clock": shared_clock,
        **(devices or {}),
    }
    if devices is None:
        sensors = {seg: make_sensor(seg, ctx, rng) for seg in body.SEGMENTS if seg in placements}
    else:  # round 3: each sensor its own draws, the same whichever others are made
        sensors = {
            seg: make_sensor(seg, ctx, np.random.default_rng([seed, 50, i]))
            for i, seg in enumerate(body.SEGMENTS)
            if seg in placements
        }
    step = int(INTERNAL_HZ / TRUTH_HZ)
    keep = t_s[::step] <= (duration_s if exact else t_s[-1])
    truth_ds = {k: v[::step][keep] for k, v in truth.items()}
    events = [e for e in script.events if e["t_s"] < t_s[::step][keep][-1]]
    return Session(person, fam, heading, breaks, events, t_s[::step][keep], truth_ds, sensors)


def sensor_set(session: Session, name: str) -> tuple[str, ...]:
    """Placements of a named sensor set for this session's exercised leg."""
    return tuple(s.format(ex=session.person.side) for s in SENSOR_SETS[name])
