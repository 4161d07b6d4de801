"""Which way the shank faces, from how far the foot travels from the hip between still poses.

Knee bends with the foot flat tip the shank forward while the thigh flexes; the other sign
reads the leg straight and leaning back over the foot (sitting back on a straight front leg).
The tilts cannot tell them apart, and neither can anything vertical: the ankle lies
``L_t cos t + L_s cos s`` below the hip for either sign of the shank's tilt ``s``. What differs
is the horizontal reach of the ankle from the hip, ``L_t sin t + L_s sin s``: the two signs
of ``s`` put the foot in different places.

Between two still poses of the leg, the pelvis and the foot sensors' accelerations integrate
twice to their displacements: the velocity is zero at both ends, so a constant error of the
acceleration (bias, a tilt misread by a degree) is removed with it, and the vertical is free
of tilt leakage to first order. Each sensor has its own heading, so only the horizontal
distances are compared: the change of the ankle's horizontal reach from the hip lies between
the difference and the sum of the foot's and the pelvis's horizontal travel. The leg's
segment length ``L`` (thigh and shank taken equal) comes from the vertical, which both signs
predict alike; each sign then predicts the horizontal change, and the sign whose prediction
falls inside the measured bounds while the other's misses them by a margin wins.

Frames: each sensor's own earth frame (z up); tilts (rad) about the segment's flexion axis
from the vertical, + = the thigh's flexion (a shank tipped with its foot forward is +);
displacements in metres.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.recording.runs import true_runs
from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

STILL_RAD_S: Final = 0.15
"""A still pose: every sensor of the chain turns slower than this…"""
STILL_MIN_S: Final = 0.5
"""…for at least this long."""
MAX_MOVE_S: Final = 6.0
"""Movements between still poses longer than this are not integrated (drift grows as t²)."""
MARGIN_S: Final = 0.25
"""Each movement is integrated from this far inside the still pose before it to as far inside
the one after (both still: zero velocity)."""
VERTICAL_MIN: Final = 0.2
"""Movements whose predicted vertical change is at least this (in segment lengths) set ``L``."""
SEGMENT_M: Final = (0.3, 0.65)
"""Plausible thigh or shank length (m) of an adult; outside it the chain does not fit."""
FIT_M: Final = 0.12
"""The right sign's prediction may miss the measured bounds by this much: the pelvis sensor
sits ~0.1 m from the hip centres and the foot sensor from the ankle, so their tilting moves
them a few centimetres relative to the joints; thigh and shank differ in length."""
MISS_M: Final = 0.25
"""A movement counts against a sign whose prediction misses the bounds by at least this
while the other sign's fits within :data:`FIT_M`."""
MIN_VOTES: Final = 2
"""Movements needed to decide, none of them for the other sign."""


@dataclass(frozen=True)
class MovingSensor:
    """One sensor's stream for :func:`reach_moves`.

    Specific force (n, 3, sensor frame, m/s²), ``q_E_S`` (n, 4), validity (n,) and the
    accelerometer bias (3,) to remove.
    """

    acc_m_s2: NDArray[np.floating]
    q_E_S: FloatArray
    valid: BoolArray
    acc_bias_m_s2: FloatArray


@dataclass(frozen=True)
class ReachMove:
    """One movement between two still poses.

    ``before`` and ``after`` are the samples of the still poses next to it (the last and the
    first :data:`STILL_MIN_S`); ``foot_m`` and ``pelvis_m`` each sensor's displacement (3,) over
    the movement in its own earth frame (m).
    """

    before: slice
    after: slice
    foot_m: FloatArray
    pelvis_m: FloatArray


@dataclass(frozen=True)
class ReachEvidence:
    """How many movements put the foot where each sign says (votes) and the length fitted."""

    votes: tuple[int, int]
    segment_m: float

    @property
    def choice(self) -> int | None:
        """The sign the movements agree on with confidence (None: no clear decision)."""
        for c in (0, 1):
            if self.votes[c] >= MIN_VOTES and self.votes[1 - c] == 0:
                return c
        return None


def still_runs(rates_rad_s: Iterable[NDArray[np.floating]], rate_hz: float) -> list[slice]:
    """Sample runs at which every sensor turns slower than :data:`STILL_RAD_S` (≥ 0.5 s).

    ``rates_rad_s``: each sensor's rate of turn (n,), bias removed; NaN counts as moving.
    Taken one at a time (a generator keeps one session-long series in memory).
    """
    still: BoolArray | None = None
    for rate in rates_rad_s:
        slow = np.asarray(rate) < STILL_RAD_S  # NaN compares False: moving
        still = slow if still is None else still & slow
    if still is None:
        return []
    least = max(2, round(STILL_MIN_S * rate_hz))
    return [slice(i, j) for i, j in true_runs(still, least)]


def displacement_m(acc_m_s2: FloatArray, q_E_S: FloatArray, rate_hz: float) -> FloatArray:
    """A sensor's displacement (m, its earth frame) between two still samples.

    ``acc_m_s2``: specific force (n, 3) in the sensor frame; ``q_E_S`` (n, 4). The earth-frame
    acceleration loses its mean (the velocity is zero at both ends) and the velocity its
    linear trend (the rest of the drift) before the second integration.
    """
    acc_E = rot.rotate(np.asarray(q_E_S, dtype=np.float64), np.asarray(acc_m_s2, np.float64))
    return _displacement_from_earth_m(acc_E, rate_hz)


def _displacement_from_earth_m(acc_E: FloatArray, rate_hz: float) -> FloatArray:
    """:func:`displacement_m` from the specific force already in the earth frame (n, 3)."""
    acc_E = acc_E - np.array([0.0, 0.0, GRAVITY_M_S2])
    acc_E -= acc_E.mean(axis=0)
    vel = np.cumsum(acc_E, axis=0) / rate_hz
    vel -= np.linspace(0.0, 1.0, vel.shape[0])[:, None] * vel[-1]
    return np.sum(vel, axis=0) / rate_hz


BATCH_ROWS: Final = 1 << 15
"""Samples gathered at once when many short spans are evaluated together: one whole-array
pass instead of a Python call per span, with temporaries of a few MB on any session length."""


def span_batches(spans: list[slice], max_rows: int | None = None) -> Iterator[list[slice]]:
    """``spans`` in order, in consecutive groups of at most ``max_rows`` samples in all.

    ``max_rows`` defaults to :data:`BATCH_ROWS`; a span longer than it forms a group of its own.
    """
    max_rows = BATCH_ROWS if max_rows is None else max_rows
    group: list[slice] = []
    rows = 0
    for span in spans:
        size = span.stop - span.start
        if group and rows + size > max_rows:
            yield group
            group, rows = [], 0
        group.append(span)
        rows += size
    if group:
        yield group


_NO_ROWS: Final = np.zeros(0, dtype=np.intp)


def gathered(spans: list[slice]) -> tuple[IntArray, list[slice]]:
    """The rows of ``spans`` (ascending steps of 1) concatenated, and where each one lies in it."""
    sizes = [s.stop - s.start for s in spans]
    ends = list(itertools.accumulate(sizes))
    rows = np.concatenate([np.arange(s.start, s.stop) for s in spans]) if spans else _NO_ROWS
    return rows, [slice(e - n, e) for e, n in zip(ends, sizes, strict=True)]


def _earth_acc(sensor: MovingSensor, rows: IntArray) -> tuple[FloatArray, BoolArray]:
    """Bias-free specific force (m/s², the sensor's earth frame) at ``rows`` (n, 3), usable rows.

    A row is usable when valid with a finite force and orientation; the others' values are
    meaningless (and computed quietly).
    """
    a = np.asarray(sensor.acc_m_s2[rows], np.float64) - sensor.acc_bias_m_s2
    q = np.asarray(sensor.q_E_S[rows], np.float64)
    ok = sensor.valid[rows] & np.isfinite(a).all(axis=1) & np.isfinite(q).all(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        return rot.rotate(q, a), ok


def _displacements(
    sensor: MovingSensor, spans: list[slice], rate_hz: float
) -> list[FloatArray | None]:
    """:func:`displacement_m` over each span of ``sensor`` (None where a sample is unusable).

    Rotated a batch of spans at a time (the rotation is row by row, so each span's values are
    those of a call on it alone); integrated span by span.
    """
    out: list[FloatArray | None] = []
    for group in span_batches(spans):
        rows, where = gathered(group)
        acc_E, ok = _earth_acc(sensor, rows)
        out.extend(
            _displacement_from_earth_m(acc_E[w], rate_hz) if ok[w].all() else None for w in where
        )
    return out


def reach_moves(
    runs: list[slice], foot: MovingSensor, pelvis: MovingSensor, rate_hz: float
) -> list[ReachMove]:
    """The movements between consecutive still ``runs`` with the two sensors' displacements.

    Movements longer than :data:`MAX_MOVE_S`, or with an invalid sample or an unknown
    orientation, are left out.
    """
    margin, pose = round(MARGIN_S * rate_hz), max(2, round(STILL_MIN_S * rate_hz))
    pairs = [
        (before, after)
        for before, after in itertools.pairwise(runs)
        if (after.start - before.stop) / rate_hz <= MAX_MOVE_S
    ]
    spans = [slice(before.stop - margin, after.start + margin) for before, after in pairs]
    feet, pelvises = (_displacements(s, spans, rate_hz) for s in (foot, pelvis))
    return [
        ReachMove(
            slice(before.stop - pose, before.stop), slice(after.start, after.start + pose), f, p
        )
        for (before, after), f, p in zip(pairs, feet, pelvises, strict=True)
        if f is not None and p is not None
    ]


def pose_tilts(tilt_of: Callable[[IntArray], FloatArray], moves: list[ReachMove]) -> FloatArray:
    """Mean tilt (rad) in the still pose before and after each movement, (m, 2).

    ``tilt_of`` gives a segment's tilts at the given sample rows, row by row; NaN where none
    is known. Evaluated a batch of poses at a time, each pose's mean taken on its own rows.
    """
    poses = [where for m in moves for where in (m.before, m.after)]
    out = np.full(len(poses), np.nan)
    k = 0
    for group in span_batches(poses):
        rows, where = gathered(group)
        tilts = np.asarray(tilt_of(rows), dtype=np.float64)
        for w in where:
            x = tilts[w]
            x = x[np.isfinite(x)]
            if x.size:
                out[k] = float(x.mean())
            k += 1
    return out.reshape(len(moves), 2)


def reach_evidence(
    moves: list[ReachMove], thigh: FloatArray, shank: tuple[FloatArray, FloatArray]
) -> ReachEvidence | None:
    """Which shank sign puts the foot where the sensors found it (None: no evidence).

    ``thigh``: the decided thigh's tilts (rad) in the poses around each movement
    (:func:`pose_tilts`); ``shank``: the two candidates' tilts there. ``L`` is fitted to the
    vertical changes (both signs predict them alike) and must be a plausible segment length;
    then each movement votes for the sign whose predicted horizontal change fits the measured
    bounds within :data:`FIT_M` when the other's misses them by ≥ :data:`MISS_M`.
    """
    if not moves:
        return None
    t, s = thigh, shank
    vertical = np.diff(np.cos(t) + np.cos(s[0]), axis=1)[:, 0]
    rise = np.array([m.foot_m[2] - m.pelvis_m[2] for m in moves])  # ankle's rise = −L·Δ(cos)
    use = np.isfinite(vertical) & np.isfinite(rise) & (np.abs(vertical) >= VERTICAL_MIN)
    if not use.any():
        return None
    seg_m = float(-(vertical[use] @ rise[use]) / (vertical[use] @ vertical[use]))
    if not SEGMENT_M[0] <= seg_m <= SEGMENT_M[1]:
        return None
    reach = [seg_m * np.abs(np.diff(np.sin(t) + np.sin(c), axis=1)[:, 0]) for c in s]
    foot_h = np.array([np.hypot(*m.foot_m[:2]) for m in moves])
    pelvis_h = np.array([np.hypot(*m.pelvis_m[:2]) for m in moves])
    lo, hi = np.abs(foot_h - pelvis_h), foot_h + pelvis_h
    miss = [np.maximum(np.maximum(lo - r, r - hi), 0.0) for r in reach]
    votes = [int(np.sum((miss[c] <= FIT_M) & (miss[1 - c] >= MISS_M))) for c in (0, 1)]
    return ReachEvidence(votes=(votes[0], votes[1]), segment_m=seg_m)
