"""A sensor found turned on its strap, read again as it sits after the turn.

:mod:`analysis.angles.strap_slip` finds a thigh or a shank sensor turned about its segment's
long axis after the calibration (a strap taken off and put back round the leg), with the turn
``θ`` read from the knee's hinge in the windows after it (``Slip.turn_deg``, the hinge axis
seen from the sensor turned by ``θ`` about the long axis). A turn about the long axis changes
the mounting from ``q_S_B`` to ``q_S_B ⊗ R_y(θ)``, so the segment is again
``q_E_S ⊗ R(long_S, θ) ⊗ q_S_B`` (``long_S``: the long axis in sensor coordinates, which the
turn leaves in place): the sensor's orientations, turned back by ``θ`` about it from the turn
on, give the segment with the calibration's mounting.

When the turn happened is read from the gyroscopes: the turned sensor's rate about its long
axis less the other knee sensor's about its own (a knee straight or still, as in the standing
break a strap is put back in, gives them the same; its hinge is across both long axes) sums to
about ``−θ`` over the few seconds of the re-strap, and to about nothing elsewhere.

The re-anchoring is trusted only where it is well determined: the hinge windows wholly after
the turn, in at least two stretches of bending, give ``θ`` to within :data:`PRECISION_DEG`
(twice its standard error; the turn's error goes one to one into the hip's rotation in a
stand and into its adduction at 90° of flexion, whose targets are 4°), and the gyroscopes'
step, a second read of the same turn, agrees with ``θ`` within twice that
(:func:`twist_agrees`).

Where it is not, the turn may still be read well enough for the flexions, which a turn's error
moves only by about its square (:func:`analysis.angles.strap_slip.flexion_error_bound_deg`):
:func:`rough_turn` bounds the turn by how far its reads (the hinge windows wholly after it and
the gyroscopes' step) lie from it, and the sensor is then read again with that bound kept as
the turn it may still be off by (a thigh's hip adduction and rotation, which take it whole,
stay doubted; :attr:`analysis.angles.strap_slip.Slip.reread_within_deg`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.strap_slip import AxisTurn, apart_count

FloatArray = NDArray[np.float64]

PRECISION_DEG = 2.0
"""The turn read from the hinge windows after it must be known within this (°, twice its
standard error, :func:`settled_turn`): half the 4° target of the hip's adduction and rotation,
which an error of the turn moves one to one at worst (rotation in a stand, adduction at 90° of
flexion)."""
MIN_WINDOWS = 2
"""Hinge windows after the turn that do not overlap (two stretches of bending) that must read
it (:func:`settled_turn`), as :data:`analysis.angles.strap_slip.MIN_APART_WINDOWS`."""
TWIST_AGREE_DEG = 2.0 * PRECISION_DEG
"""The gyroscopes' step about the long axis (:func:`turn_span`) and the hinge's turn, the other
way round, are two reads of one turn: where they differ by more than this (°), one of them is
off by more than :data:`PRECISION_DEG`, and the turn is not read well enough. (The hinge's
windows may agree closely and still be off together: the stranger's 2164 on its DOT file read
52.6° from four windows within 0.3° of each other for a 49.7° turn, the gyroscopes 47.1°.)"""
FLEXION_TURN_DEG = float(np.rad2deg(2.0 * np.arctan(np.sqrt(np.sin(np.deg2rad(1.0))))))
"""The largest error of a turn (°) that moves a flexion read through it by at most 1° (half the
2° target of hip and knee flexion, as ``strap_slip.FLEXION_SHARE``): the inverse of
:func:`analysis.angles.strap_slip.flexion_error_bound_deg` at 1°, about 15.1°."""
SHARED_SHARE = 2.0
""":func:`rough_turn`'s bound is the reads' largest distance from the turn times this: as much
again for an error every read shares (the stranger's Movella DOT files read the hinge's turn
3–6° off with their windows and gyroscopes agreeing, round 18)."""
SPAN_S = 15.0
"""The longest time a re-strap is looked for in (s): taking a strap off and fastening it."""
SMOOTH_S = 0.5
"""The twist's rate is averaged over this (s) before its run is cut (:func:`turn_span`)."""
RUN_SHARE = 0.2
"""The re-strap is the run round the twist's fastest rate down to this share of it: the leg's
own slower turning in the steps round it is left out of the step."""


@dataclass(frozen=True, kw_only=True)
class TurnSpan:
    """When a sensor turned on its strap (s) and by how much its gyroscope saw it turn (°).

    ``twist_deg``: the sensor's turn about its segment's long axis over ``start_s``…``end_s``
    (right-handed about the long axis, the sensor against its segment: about ``−θ`` of the
    hinge's read).
    """

    start_s: float
    end_s: float
    twist_deg: float
    middle_s: float
    """When half the step was made (s): the time the patient is told."""


@dataclass(frozen=True, kw_only=True)
class SettledTurn:
    """The hinge's turn (°) as the windows wholly after a re-strap read it, and its precision.

    ``turn_deg``: their median; ``precision_deg``: twice its standard error (the windows'
    standard deviation over the root of how many of them do not overlap); ``windows``: how
    many do not overlap.
    """

    turn_deg: float
    precision_deg: float
    windows: int


def settled_turn(steps: tuple[AxisTurn, ...], after_s: float) -> SettledTurn | None:
    """The turn read by the hinge windows (``Slip.steps``) that start at or after ``after_s``.

    A window that straddles the re-strap fits an axis between the two and is left out.
    Windows that overlap see the same bending, so only those that do not
    (:func:`analysis.angles.strap_slip.apart_count`) count as separate reads. None: fewer than
    :data:`MIN_WINDOWS` separate reads, or a precision worse than :data:`PRECISION_DEG`.
    """
    after = [w for w in steps if w.t0_s >= after_s]
    n = apart_count(after)
    if n < MIN_WINDOWS:
        return None
    x = np.array([w.turn_deg for w in after], dtype=np.float64)
    precision = 2.0 * float(np.std(x, ddof=1)) / np.sqrt(n)
    if precision > PRECISION_DEG:
        return None
    return SettledTurn(turn_deg=float(np.median(x)), precision_deg=precision, windows=n)


def rough_turn(steps: tuple[AxisTurn, ...], after_s: float, twist_deg: float) -> SettledTurn | None:
    """The hinge's turn after a re-strap, bounded by every read of it, for its flexions only.

    ``turn_deg``: the median of the hinge windows (``Slip.steps``) that start at or after
    ``after_s``, as :func:`settled_turn`; ``precision_deg``: :data:`SHARED_SHARE` times the
    largest distance from it of those windows and of the gyroscopes' step ``twist_deg`` (the
    other way round, :func:`twist_agrees`). None: fewer than :data:`MIN_WINDOWS` separate
    windows, or a bound past :data:`FLEXION_TURN_DEG` (a flexion read through the turn may
    then be off by more than 1°).
    """
    after = [w for w in steps if w.t0_s >= after_s]
    n = apart_count(after)
    if n < MIN_WINDOWS:
        return None
    x = np.array([w.turn_deg for w in after], dtype=np.float64)
    turn = float(np.median(x))
    reads = np.append(x, -float(twist_deg))
    bound = SHARED_SHARE * float(np.max(np.abs(reads - turn)))
    if bound > FLEXION_TURN_DEG:
        return None
    return SettledTurn(turn_deg=turn, precision_deg=bound, windows=n)


def span_end_s(steps: tuple[AxisTurn, ...], turn_deg: float, window_s: float) -> float:
    """The end (s) of the first hinge window (``Slip.steps``, ``window_s`` long) reading the turn.

    A window that reads the turn ``turn_deg`` within :data:`FLEXION_TURN_DEG` bent its knee
    mostly after it, so the re-strap ended before that window did; one that straddles it may
    read anything (the stranger's 2229, MetaBase file: 173° and 169° for an 82° turn), so the
    first window of the slip is not always it. Without such a window, the first window's end.
    """
    for w in steps:
        if abs(w.turn_deg - turn_deg) <= FLEXION_TURN_DEG:
            return w.t0_s + window_s
    return steps[0].t0_s + window_s if steps else -np.inf


def twist_agrees(twist_deg: float, turn_deg: float) -> bool:
    """Whether the gyroscopes' step ``twist_deg`` and the hinge's turn ``turn_deg`` agree (°).

    The sensor turning by ``β`` against its segment turns the hinge seen from it by ``−β``;
    they agree within :data:`TWIST_AGREE_DEG`.
    """
    return abs(twist_deg + turn_deg) <= TWIST_AGREE_DEG


def long_axis_twist_rad_s(
    gyr_turned_rad_s: FloatArray,
    gyr_other_rad_s: FloatArray,
    long_turned_S: FloatArray,
    long_other_S: FloatArray,
) -> FloatArray:
    """The turned sensor's rate about its long axis less the other's about its own (rad/s).

    ``gyr_*``: N×3 bias-free rates, each in its sensor's frame; ``long_*_S``: each segment's
    long axis in its sensor's coordinates (unit). NaN rows are read as 0 (nothing turned).
    """
    a = np.asarray(gyr_turned_rad_s, dtype=np.float64) @ np.asarray(long_turned_S, dtype=float)
    b = np.asarray(gyr_other_rad_s, dtype=np.float64) @ np.asarray(long_other_S, dtype=float)
    return np.nan_to_num(a - b, nan=0.0)


def _summed_deg(t_s: FloatArray, rate_rad_s: FloatArray) -> FloatArray:
    """The running integral (°) of ``rate_rad_s`` on ``t_s`` (0 at the first sample)."""
    dt = np.diff(np.asarray(t_s, dtype=np.float64), prepend=t_s[0])
    return np.rad2deg(np.cumsum(np.asarray(rate_rad_s, dtype=np.float64) * dt))


def turn_span(
    t_s: FloatArray,
    twist_rad_s: FloatArray,
    *,
    start_s: float,
    end_s: float,
    turn_deg: float,
) -> TurnSpan | None:
    """Where in ``start_s``…``end_s`` the twist (:func:`long_axis_twist_rad_s`) stepped most.

    In the :data:`SPAN_S` over which its integral moved farthest the way of ``−turn_deg`` (the
    hinge's turn, :class:`TurnSpan`), the run round its fastest rate that way (averaged over
    :data:`SMOOTH_S`) down to :data:`RUN_SHARE` of it, and the step over that run. None: fewer
    than two samples there, or no step that way.
    """
    t = np.asarray(t_s, dtype=np.float64)
    i0, i1 = np.searchsorted(t, (start_s, end_s))
    if i1 - i0 < 2:
        return None
    c = _summed_deg(t[i0:i1], np.asarray(twist_rad_s)[i0:i1])
    rate_hz = (i1 - i0 - 1) / max(t[i1 - 1] - t[i0], 1e-9)
    n = int(min(max(round(SPAN_S * rate_hz), 1), i1 - i0 - 1))
    way = -1.0 if turn_deg > 0 else 1.0
    step = c[n:] - c[:-n]
    i = int(np.argmax(way * step))
    if way * step[i] <= 0.0:
        return None
    rate = way * np.gradient(c[i : i + n + 1])
    k = max(round(SMOOTH_S * rate_hz), 1)
    rate = np.convolve(rate, np.ones(k) / k, mode="same")
    peak = int(np.argmax(rate))
    low = rate < RUN_SHARE * rate[peak]
    lo = peak - int(np.argmax(low[peak::-1])) if low[: peak + 1].any() else 0
    hi = peak + int(np.argmax(low[peak:])) if low[peak:].any() else n
    moved = c[i + hi] - c[i + lo]
    half = int(np.argmax(way * (c[i + lo : i + hi + 1] - c[i + lo]) >= 0.5 * way * moved))
    return TurnSpan(
        start_s=float(t[i0 + i + lo]),
        end_s=float(t[i0 + i + hi]),
        twist_deg=float(moved),
        middle_s=float(t[i0 + i + lo + half]),
    )


def turned_back_deg(
    t_s: FloatArray, twist_rad_s: FloatArray, span: TurnSpan, turn_deg: float
) -> FloatArray:
    """Per sample, how far (°) the sensor is turned back about its long axis: ``turn_deg``.

    0 before ``span``, ``turn_deg`` after it, and in between the share of the gyroscopes' step
    made so far (clipped to 0…1), so that the re-strap's own seconds follow the sensor.
    """
    t = np.asarray(t_s, dtype=np.float64)
    out = np.where(t > span.end_s, turn_deg, 0.0)
    inside = (t >= span.start_s) & (t <= span.end_s)
    if np.any(inside) and span.twist_deg != 0.0:
        c = _summed_deg(t[inside], np.asarray(twist_rad_s)[inside])
        out[inside] = turn_deg * np.clip(c / span.twist_deg, 0.0, 1.0)
    return out


def turned_back(q_E_S: NDArray[np.floating], long_S: FloatArray, back_deg: FloatArray):
    """Sensor orientations ``q_E_S ⊗ R(long_S, back_deg)`` (rows; storage type kept).

    The segment then reads ``… ⊗ q_S_B`` with the calibration's mounting, for a sensor that
    turned on its strap so that the hinge seen from it turned by ``back_deg`` about
    ``long_S`` (its segment's long axis, sensor coordinates). Rows with 0 are left as they are.
    """
    q = np.asarray(q_E_S)
    back = np.asarray(back_deg, dtype=np.float64)
    moved = back != 0.0
    if not np.any(moved):
        return q
    out = np.array(q, copy=True)
    turn = rot.from_axis_angle(np.asarray(long_S, dtype=np.float64), np.deg2rad(back[moved]))
    out[moved] = rot.multiply(np.asarray(q[moved], dtype=np.float64), turn).astype(q.dtype)
    return out
