"""A stretch made by bending forward at the hips, which a set with no pelvis sensor cannot see.

Without a pelvis sensor the standing profile recognises its stretch by the thigh's
inclination to gravity, standing in for the hip's flexion. That holds only while the pelvis
stays upright: hip flexion is the thigh's inclination plus the pelvis's forward tilt
(sagittal plane), so a standing forward fold or a split-stance hip hinge flexes the hip
55–90° by tipping the pelvis while the thigh stays at 0–35°. Nothing on the thigh or the
shank tells that from standing upright. Where the thigh is held still and tipped forward
(a standing person who tips the trunk forward must move the hips back over the heels to keep
the body's weight over the feet, which tips the thighs forward: a few degrees with straight
knees, more with soft ones), the time is said as a stretch that may have been, and a rule
whose reading would break it there is not ``ok`` but uncertain. Nothing is counted or broken.

Pure functions over arrays: angles in degrees, times in seconds, rates in °/s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from analysis.envelope.masks import BoolArray, FloatArray, debounce, running_mean
from analysis.recording.runs import true_intervals

HIP_BEND_WORDS: Final = (
    "without a pelvis sensor, bending forward at the hips with the thighs upright can't be seen"
)
"""Why such time may have been a stretch (the report's and ``envelope.json``'s words)."""

HIP_BEND_REDO: Final = "wear the pelvis sensor for folds and hinges"
"""What to do about it."""

LEAN_MIN_DEG: Final = 5.0
"""The thigh's forward inclination (deg, from the quiet stand) from which a bend at the hips is
possible unseen. Balance (an estimate from textbook segment masses): tipping head, arms and
trunk (about two thirds of the body's mass, centre ~0.34 m above the hips) forward 40° moves the
body's centre ~0.15 m forward, ~0.05 m more than the feet allow, so the hips go back and the legs
tip forward about 4° with the knees straight (more with them bent). At the quiet stand the
thigh reads 0° by definition."""

UPRIGHT_CRITERION_MAX_DEG: Final = 90.0
"""A thigh-inclination criterion at or below this recognises a stretch of an upright body
(standing: 45°); above it (lying: 130°) the pelvis cannot tip a standing person into it."""


def held_still(
    x_deg: FloatArray, t_s: FloatArray, max_rate_deg_s: float, window_s: float
) -> BoolArray:
    """Where ``x_deg`` is finite and its speed, smoothed over ``window_s``, is ≤ ``max_rate_deg_s``.

    The hold's own gate (a hold is a held position), applied to the thigh: a bend at the hips
    held as a stretch keeps the thigh held too.
    """
    x = np.asarray(x_deg, dtype=np.float64)
    finite = np.isfinite(x)
    if x.size < 2 or not finite.any():
        return np.zeros(x.size, dtype=bool)
    filled = np.interp(np.arange(x.size), np.flatnonzero(finite), x[finite])
    dt = float(np.median(np.diff(t_s)))
    smooth = running_mean(filled, max(1, round(window_s / dt)))
    return finite & (np.abs(np.gradient(smooth, t_s)) <= max_rate_deg_s)


def hidden_bend(
    thigh_deg: FloatArray,
    still: BoolArray,
    standing: BoolArray,
    engaged: BoolArray,
    *,
    criterion_deg: float,
    grid: tuple[FloatArray, FloatArray],
    dwell_s: float,
) -> BoolArray:
    """Where a bend at the hips may be held unseen (dwell applied).

    The thigh (deg, + forward of the quiet stand) at least :data:`LEAN_MIN_DEG` forward and
    short of ``criterion_deg`` (the stand-in criterion), held ``still``, ``standing`` (the
    profile's requirements as read, e.g. the knee ≤ 60°), not ``engaged``; runs shorter than
    ``dwell_s`` are dropped (and gaps shorter than it bridged).
    """
    t_s, t_end = grid
    x = np.asarray(thigh_deg, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        leaning = np.isfinite(x) & (x >= LEAN_MIN_DEG) & (x < criterion_deg)
    raw = leaning & still & standing & ~engaged
    return debounce(raw, t_end, t_s, on_s=dwell_s, off_s=dwell_s) & ~engaged


def past_latch_runs(
    x_deg: FloatArray,
    where: BoolArray,
    *,
    limit_deg: float,
    hysteresis_deg: float,
    upper: bool,
    grid: tuple[FloatArray, FloatArray],
    dwell_s: float,
) -> list[tuple[int, int]]:
    """Sample runs ``[a, b)`` inside ``where``, ≥ ``dwell_s`` long, past a rule's break point.

    The break point is half the band ``hysteresis_deg`` beyond ``limit_deg``: above it for an
    ``upper`` limit, below it otherwise (``x_deg`` in degrees).
    """
    t_s, t_end = grid
    x = np.asarray(x_deg, dtype=np.float64)
    half = hysteresis_deg / 2.0
    with np.errstate(invalid="ignore"):
        past = x > limit_deg + half if upper else x < limit_deg - half
    starts, ends = true_intervals(np.isfinite(x) & past & where)
    runs = zip(starts.tolist(), ends.tolist(), strict=True)
    return [(a, b) for a, b in runs if t_end[b - 1] - t_s[a] >= dwell_s - 1e-9]


def spans_s(mask: BoolArray, grid: tuple[FloatArray, FloatArray]) -> Sequence[tuple[float, float]]:
    """The runs of ``mask`` as ``(start_s, end_s)``."""
    t_s, t_end = grid
    starts, ends = true_intervals(mask)
    return [(float(t_s[a]), float(t_end[b - 1])) for a, b in zip(starts, ends, strict=True)]
