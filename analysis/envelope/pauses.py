"""Pauses of the engagement angle that last about the dwell, within the measurement's precision.

A hold's start or end can hinge on one such pause: the rate of the engagement angle falls
under the release rate after placing the leg, and rises over it again as the person leans
in. A pause shorter than the dwell joins the lean to the placement (one movement, the hold
starts after the lean); a longer one leaves a slow lean to the hold (it starts at the
placement), so the two readings differ by the lean's length (≈ 2 s). Where the measured pause
is closer to the dwell than the measurement can tell, the checker gives both readings
(``Hold.timing_alternatives``). Times in seconds, angles in degrees, rates in °/s.

The same goes for a slow movement whose peak rate is about ``max_rate_deg_s``: a stretch
faster than the release rate is a movement only when its rate passes the limit somewhere, so
a lean into the stretch that peaks a few hundredths of a degree per second either side of it
is getting in (the hold starts after it) or part of the hold (it starts before it). Where the
measured peak is closer to the limit than the rate's precision, the checker gives both
readings too (:func:`borderline_movements`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.envelope.masks import BoolArray, FloatArray, debounce, running_mean
from analysis.envelope.profiles import MIN_HYSTERESIS_DEG, HoldSpec, Profile, angle_column_for
from analysis.recording.runs import true_intervals

NOISE_SIGMAS = 2.0
"""How many standard deviations of the rate's noise a crossing may be off (≈ 95 %)."""


@dataclass(frozen=True)
class Pause:
    """A run ``[a, b)`` of samples under the release rate between two faster stretches.

    ``duration_s`` is measured as the dwell is (first sample's start to last sample's end);
    ``precision_s`` is how far that duration may be off (:func:`pause_precision_s`);
    ``bridged`` whether it is shorter than the dwell (the stretches around it are one).
    """

    a: int
    b: int
    start_s: float
    duration_s: float
    precision_s: float
    bridged: bool


@dataclass(frozen=True)
class EdgeMovement:
    """A run ``[a, b)`` faster than the release rate whose peak is about ``max_rate_deg_s``.

    The run is a stretch of the engagement angle's speed over the release rate (pauses
    shorter than the dwell joined, as :func:`borderline_pauses`' faster stretches);
    ``peak_deg_s`` its highest speed, within ``precision_deg_s``
    (:func:`peak_precision_deg_s`) of ``limit_deg_s``; ``moving`` whether the checker took it
    as a movement (its peak over the limit).
    """

    a: int
    b: int
    start_s: float
    end_s: float
    peak_deg_s: float
    precision_deg_s: float
    limit_deg_s: float
    moving: bool


def engagement_speed(x: FloatArray, t_s: FloatArray, spec: HoldSpec) -> FloatArray:
    """The engagement angle's speed (°/s, ≥ 0): ``x`` (deg) smoothed over ``rate_window_s``.

    NaN samples are interpolated first (the hold checker counts them as moving anyway).
    """
    filled = pd.Series(x).interpolate(limit_direction="both").to_numpy()
    dt = float(np.median(np.diff(t_s)))
    smooth = running_mean(filled, max(1, round(spec.rate_window_s / dt)))
    return np.abs(np.gradient(smooth, t_s))


MEASURED_RATE_SCALE = 0.10
"""How far (share) a trusted engagement angle's rate was measured off the truth's near the
release rate: the estimate's speed over the truth's, median per approach to or departure
from a hold (8 s before its start, 8 s after its end, true speed 1.5–4 °/s), simulated
people 0–31, default and full sets, 544 approaches on a trusted angle: 95 % within ±7 %,
99 % within ±9 %, the worst 11 % off (docs/accuracy.md "Rate precision and holds with no
timing", round 11). The 3°/45° model alone (7 %) is the 95th percentile, not a bound."""


def rate_scale_precision(profile: Profile, side: str, engaged_by: str | None) -> float:
    """The fraction by which the engagement angle's rate may be off (dimensionless).

    Angles are relative to the quiet stand, where the calibration makes the error nil; at
    the stretch, at least the engagement edge away (45° for the hip), the sagittal IMU error
    is up to ``MIN_HYSTERESIS_DEG["sagittal"]`` (3°, the rules' hysteresis). So the error may
    grow by that share of every degree moved, and a rate read from the angle may be off by
    the same share: 3° / 45° ≈ 7 %. Without a matching lower bound, 45° stands in. Never
    less than :data:`MEASURED_RATE_SCALE`, the share measured on the population.
    """
    edge = 45.0
    for c in profile.engaged.criteria:
        if c.min_deg is not None and angle_column_for(c.angle, side) == engaged_by:
            edge = abs(c.min_deg) or edge
    return max(MIN_HYSTERESIS_DEG["sagittal"] / edge, MEASURED_RATE_SCALE)


def _noise_deg(x: FloatArray, a: int, b: int) -> float:
    """The angle's white noise (deg, 1 σ) from second differences of ``x[a:b]``."""
    d2 = np.diff(x[max(a, 0) : b], 2)
    d2 = d2[np.isfinite(d2)]
    if d2.size < 3:
        return 0.0
    mad = float(np.median(np.abs(d2 - np.median(d2))))
    return 1.4826 * mad / np.sqrt(6.0)  # a second difference of white noise has variance 6σ²


def pause_precision_s(
    speed: FloatArray,
    x: FloatArray,
    t_s: FloatArray,
    a: int,
    b: int,
    spec: HoldSpec,
    *,
    scale: float,
    dwell_s: float,
) -> float:
    """How far the measured length of the pause ``[a, b)`` may be from the true one (s).

    Each end is where the speed crosses the release rate ``v_r``; with a rate error ``δv``
    the true crossing may lie anywhere the measured speed stays within ``v_r ± δv`` of it
    (:func:`band_extent_s`; ``δv / |dv/dt|`` where the speed runs straight through, longer
    where it levels off near ``v_r``, as in a slow lean). ``δv`` is the rate's scale error
    ``scale · v_r`` (:func:`rate_scale_precision`) plus ``NOISE_SIGMAS`` times the rate noise
    ``σ_x / rate_window_s`` (``σ_x`` the angle's white noise over the pause and a rate window
    on each side: a running mean over N samples, then a central difference). The pause may
    be longer by the band before its start and after its end, shorter by the band after its
    start and before its end; the precision is the side toward ``dwell_s`` (the one that
    can change the decision), plus the sample interval (each end is known to a sample). At
    most half the dwell: a speed that hovers at the release rate cannot place its crossing.
    """
    dt = float(np.median(np.diff(t_s[max(a - 1, 0) : b + 2])))  # the grid's step around it
    v_r = float(spec.still_rate_deg_s or 0.0)
    margin = max(1, round(spec.rate_window_s / dt))
    dv = rate_precision_deg_s(x, a, b, spec, v_r, scale=scale, margin=margin)
    length = float(t_s[b] - t_s[a])
    before_a, after_a = (band_extent_s(speed, t_s, a, v_r, dv, s, limit_s=dwell_s) for s in (-1, 1))
    before_b, after_b = (band_extent_s(speed, t_s, b, v_r, dv, s, limit_s=dwell_s) for s in (-1, 1))
    longer, shorter = before_a + after_b, min(after_a + before_b, length)
    off = longer if length < dwell_s else shorter
    return float(min(dt + off, dwell_s / 2))


def band_extent_s(
    speed: FloatArray,
    t_s: FloatArray,
    i: int,
    level: float,
    band: float,
    direction: int,
    *,
    limit_s: float,
) -> float:
    """How long (s) ``speed`` stays within ``level ± band`` from its crossing of ``level``.

    The crossing lies between samples ``i - 1`` and ``i`` (one at most ``level``, the other
    over it) and is interpolated linearly, as is the exit from the band; ``direction`` +1
    looks forward from it, -1 backward. ``limit_s`` when the speed has not left the band
    within that time (or before the data ends). A speed changing at a steady ``dv/dt``
    leaves it after ``band / |dv/dt|``.
    """
    s0, s1 = float(speed[i - 1]), float(speed[i])
    frac = (level - s0) / (s1 - s0) if s1 != s0 else 0.5
    t_c = float(t_s[i - 1] + frac * (t_s[i] - t_s[i - 1]))
    if direction > 0:
        hi = int(np.searchsorted(t_s, t_c + limit_s, side="right"))
        idx = np.arange(i, min(hi, speed.size))
    else:
        lo = int(np.searchsorted(t_s, t_c - limit_s, side="left"))
        idx = np.arange(i - 1, max(lo, 0) - 1, -1)
    with np.errstate(invalid="ignore"):
        out = np.abs(speed[idx] - level) > band
    if idx.size == 0 or not out.any():
        return limit_s
    j = int(idx[np.argmax(out)])
    k = j - direction  # the last sample inside the band (or the crossing's other sample)
    edge = level + band * np.sign(speed[j] - level)
    f = (edge - speed[k]) / (speed[j] - speed[k])
    t_exit = float(t_s[k] + f * (t_s[j] - t_s[k]))
    return float(min(abs(t_exit - t_c), limit_s))


def rate_precision_deg_s(
    x: FloatArray, a: int, b: int, spec: HoldSpec, rate: float, *, scale: float, margin: int
) -> float:
    """How far a speed of ``rate`` (°/s) read on ``x[a:b]`` may be from the true one (°/s).

    The rate's scale error ``scale · rate`` (:func:`rate_scale_precision`) plus
    ``NOISE_SIGMAS`` times the rate noise ``σ_x / rate_window_s`` (``σ_x`` the angle's white
    noise over the run and ``margin`` samples on each side).
    """
    sigma_v = _noise_deg(x, a - margin, b + margin) / spec.rate_window_s
    return float(scale * rate + NOISE_SIGMAS * sigma_v)


def borderline_movements(
    speed: FloatArray,
    x: FloatArray,
    t_s: FloatArray,
    t_end: FloatArray,
    spec: HoldSpec,
    *,
    scale: float,
    dwell_s: float,
) -> list[EdgeMovement]:
    """Faster stretches whose peak speed is within its precision of ``max_rate_deg_s``.

    A stretch over the release rate (pauses shorter than ``dwell_s`` joined) is a movement
    when its speed passes the limit somewhere; its peak decides that. The precision is the
    rate's, at the limit (:func:`rate_precision_deg_s`, the noise over the stretch and a
    rate window on each side).
    """
    limit, release = spec.max_rate_deg_s, spec.still_rate_deg_s
    if limit is None or release is None or speed.size < 3:
        return []
    with np.errstate(invalid="ignore"):
        above = speed > release
    active = debounce(above, t_end, t_s, on_s=0.0, off_s=dwell_s)
    starts, ends = true_intervals(active)
    dt = float(np.median(np.diff(t_s)))
    margin = max(1, round(spec.rate_window_s / dt))
    out = []
    for a, b in zip(starts, ends, strict=True):
        part = speed[a:b]
        if not np.isfinite(part).any():
            continue
        peak = float(np.nanmax(part))
        prec = rate_precision_deg_s(x, int(a), int(b), spec, limit, scale=scale, margin=margin)
        if abs(peak - limit) <= prec:
            moving = peak > limit
            out.append(
                EdgeMovement(
                    int(a), int(b), float(t_s[a]), float(t_end[b - 1]), peak, prec, limit, moving
                )
            )
    return out


def borderline_pauses(
    speed: FloatArray,
    x: FloatArray,
    t_s: FloatArray,
    t_end: FloatArray,
    spec: HoldSpec,
    *,
    scale: float,
    dwell_s: float,
) -> list[Pause]:
    """Pauses whose measured length is within its precision of ``dwell_s``.

    A pause is a run under the release rate with a faster stretch on each side; its length
    decides whether the two are one movement (shorter than the dwell) or two.
    """
    release = spec.still_rate_deg_s
    if release is None or speed.size < 3:
        return []
    with np.errstate(invalid="ignore"):
        above = speed > release
    starts, ends = true_intervals(~above)
    out = []
    for a, b in zip(starts, ends, strict=True):
        if a == 0 or b >= speed.size:
            continue  # not between two faster stretches
        length = float(t_end[b - 1] - t_s[a])
        if abs(length - dwell_s) > dwell_s / 2:
            continue  # precision_s is at most half the dwell
        prec = pause_precision_s(speed, x, t_s, int(a), int(b), spec, scale=scale, dwell_s=dwell_s)
        if abs(length - dwell_s) <= prec:
            bridged = length < dwell_s - 1e-9
            out.append(Pause(int(a), int(b), float(t_s[a]), length, prec, bridged))
    return out


def flip_pauses(active: BoolArray, pauses: list[Pause]) -> BoolArray:
    """``active`` (faster stretches, short pauses bridged) with each pause's decision reversed."""
    out = active.copy()
    for p in pauses:
        out[p.a : p.b] = not p.bridged
    return out
