"""Gate runs that last about their dwell, within the angles' precision.

A gate is a condition that must persist a dwell before it counts: the engagement (the stretch
position held ``dwell_s``, 2 s, before the rules are judged; and left as long before the
stretch ends). A run of the condition whose measured length is about the dwell is read one
way (it counts) while an angle a fraction of a degree off would read it the other way (held-out
person 66081: a calibration knee bend in the stretch position for 2.00 s, the truth 1.99 s).
Where an episode exists in one reading and not the other, it cannot be trusted
(``checker._gate_hung``).

The precision of a run's length comes from the angles that decide it: the condition read
with each angle moved by its precision toward "not met" gives the run's shortest length, and
toward "met" its longest (:func:`borderline_runs`). Only runs within half the dwell of it are
read again (a condition that hovers at its edge for long cannot place its crossings, as with
``pauses.pause_precision_s``). Times in seconds, angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from analysis.envelope.masks import BoolArray, FloatArray
from analysis.recording.runs import value_runs
from analysis.recording.targets import RMSE_TARGET_DEG

DEFAULT_PRECISION_DEG: Final = 2.0
"""The precision (deg) of an angle with no target of its own (thigh inclination: a sagittal
angle, as hip flexion)."""


def angle_precision_deg(motion: str) -> float:
    """How far (deg) a trusted angle ``motion`` (e.g. ``"hip_flexion"``) may be off.

    Its RMSE target (``analysis.recording.targets``), the accuracy every trusted angle is
    promised to; :data:`DEFAULT_PRECISION_DEG` for a motion without one.
    """
    return float(RMSE_TARGET_DEG.get(motion, DEFAULT_PRECISION_DEG))


@dataclass(frozen=True)
class GateRun:
    """A run ``[a, b)`` of a gate condition whose length is within its precision of the dwell.

    ``met``: a run where the condition holds (True) or where it does not (False);
    ``run_s`` its measured length (first sample's start to last sample's end, as the dwell is
    measured), ``shortest_s``/``longest_s`` its length with the angles read their precision
    off either way; ``counted`` whether the measured run lasts the dwell ``dwell_s`` (and so
    counts: the stretch starts, or ends).
    """

    a: int
    b: int
    start_s: float
    run_s: float
    shortest_s: float
    longest_s: float
    dwell_s: float
    met: bool
    counted: bool


def _length_s(t_s: FloatArray, t_end: FloatArray, a: int, b: int) -> float:
    return float(t_end[b - 1] - t_s[a])


def _run_in(
    mask: BoolArray, value: bool, a: int, b: int, t_s: FloatArray, t_end: FloatArray
) -> tuple[float, float]:
    """The longest run of ``value`` in ``mask[a:b]``, and the run of ``mask`` overlapping most.

    Both as lengths (s, 0 when none); the second is the whole run, beyond ``[a, b)``.
    """
    starts, ends, values = value_runs(mask)
    inside, whole = 0.0, 0.0
    for s, e, v in zip(starts, ends, values, strict=True):
        if bool(v) != value or e <= a or s >= b:
            continue
        inside = max(inside, _length_s(t_s, t_end, max(s, a), min(e, b)))
        whole = max(whole, _length_s(t_s, t_end, s, e))
    return inside, whole


def borderline_runs(
    raw: BoolArray,
    low: BoolArray,
    high: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    *,
    on_s: float,
    off_s: float,
) -> list[GateRun]:
    """Runs of ``raw`` whose count as lasting the dwell the angles' precision can change.

    ``raw``: the condition as measured; ``low``/``high``: the same condition with each angle
    read its precision toward not met / met (so a run where it holds is shortest in ``low``
    and longest in ``high``, and the other way round for a run where it does not). A run
    where it holds counts when it lasts ``on_s``, one where it does not when it lasts
    ``off_s`` (``masks.debounce``). Runs at the data's ends (not between two crossings), and
    runs more than half the dwell from it, are not read again.
    """
    out = []
    starts, ends, values = value_runs(raw)
    for a, b, v in zip(starts, ends, values, strict=True):
        a, b, met = int(a), int(b), bool(v)
        if a == 0 or b >= raw.size:
            continue
        dwell = on_s if met else off_s
        length = _length_s(t_s, t_end, a, b)
        if dwell <= 0.0 or abs(length - dwell) > dwell / 2:
            continue
        shrunk, grown = (low, high) if met else (high, low)
        shortest, _ = _run_in(shrunk, met, a, b, t_s, t_end)
        _, longest = _run_in(grown, met, a, b, t_s, t_end)
        longest = max(longest, length)
        counted = length >= dwell - 1e-9
        if (shortest < dwell - 1e-9) if counted else (longest >= dwell - 1e-9):
            shortest = min(shortest, length)
            out.append(GateRun(a, b, float(t_s[a]), length, shortest, longest, dwell, met, counted))
    return out


def near_latch_runs(
    x_deg: FloatArray,
    judged: BoolArray,
    outside: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    *,
    limit_deg: float,
    latch_deg: float,
    precision_deg: float,
    dwell_s: float,
) -> list[tuple[int, int]]:
    """Runs ``[a, b)`` where a rule's angle grazes its latch point: no breach, but no ``ok``.

    The angle ``x_deg`` (degrees) is past the edge ``limit_deg`` toward the latch point
    ``latch_deg`` (half the hysteresis band past the edge, where a breach is recognised), within
    ``precision_deg`` of that point, where the rule is ``judged`` and not already ``outside`` (an
    episode), for at least ``dwell_s`` (first sample's start to last sample's end, as the dwell
    is measured). The side of the edge the outside lies on is the side of ``latch_deg``. The
    truth there may have passed the latch point for the dwell or not: the reading cannot decide.
    """
    outward = 1.0 if latch_deg >= limit_deg else -1.0
    with np.errstate(invalid="ignore"):
        past_edge = outward * (x_deg - limit_deg) > 0.0
        near = outward * (x_deg - latch_deg) >= -precision_deg
    grazing = past_edge & near & judged & ~outside & np.isfinite(x_deg)
    starts, ends, values = value_runs(grazing)
    return [
        (int(a), int(b))
        for a, b, v in zip(starts, ends, values, strict=True)
        if v and _length_s(t_s, t_end, int(a), int(b)) >= dwell_s - 1e-9
    ]
