"""A thigh or shank strap that turned while the knee was held still, seen as the knee's twist.

The hinge check (:mod:`analysis.angles.strap_slip`) sees a strap's turn only in stretches of
knee bending after it. A strap that creeps round the thigh during a still hold, with no bending
after it (the stranger's round-4 2043: +12.6° over 42.5 s inside the only stretch), leaves it
nothing to see, and the hip's flexion is then read as adduction and rotation.

The knee's relative orientation shows it. Shank in thigh (both segment frames, ISB: x
anterior, y along the segment, z the flexion axis), a hinge knee is a rotation about z only;
what is left once the turn about z is taken out (the "swing" of a swing-twist split) is the
knee's rotation off its hinge. A real hip rotation or adduction with the knee held turns the
thigh and the shank together and leaves it as it was; soft tissue and the tibia's turn with
the knee's bend move it only as the bend moves. A strap turning round its segment turns one
segment's frame against the other and moves it by the turn. So where the knee's flexion holds
and its off-hinge swing moves past :data:`SWING_STEP_DEG` and stays, a strap turned; the sensor
that turned about its own long axis over that time (its orientation alone, no hinge needed) is
the one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.strap_slip import Slip

FloatArray = NDArray[np.float64]

HELD_RATE_DEG_S = 2.0
"""The knee counts as held where its flexion, averaged over :data:`SMOOTH_S`, moves slower
than this."""
SMOOTH_S = 1.0
"""Averaging span (s) of the knee's flexion and of the swing."""
MIN_HELD_S = 10.0
"""A held run shorter than this is not read (a pause between bends)."""
LAST_S = 5.0
"""A change of the swing counts as far as it lasted this long (s) within the held run."""
LONG_B = np.array([0.0, 1.0, 0.0])
"""A segment's long axis in its own frame (ISB)."""
SWING_STEP_DEG = 5.0
"""The off-hinge swing's lasting change over a held run that calls a strap turned (the hinge
check's one-stretch step, :data:`analysis.angles.strap_slip.SLIP_DEG`)."""
MIN_RELATIVE_TURN_DEG = SWING_STEP_DEG / 2
"""A strap turned round its segment turns that segment's frame about its own long axis against
the other's; a swing step whose two segments turned about their long axes by less than this
apart is not a strap (held-out person 88098's resting shank: a 6.8° swing step with the thigh
and shank turned 0.01° and −0.03°; the stranger's 2043 thigh strap: 7.76° against 0.05°)."""


@dataclass(frozen=True, kw_only=True)
class HeldStep:
    """A lasting change of the knee's off-hinge swing while the knee was held.

    ``since_s``: the held run's start (the turn came after it); ``until_s``: the end of the
    span over which the change lasted at its largest; ``at_s``: when the change first passed
    half its size; ``swing_deg``: its size (°).
    """

    since_s: float
    until_s: float
    at_s: float
    swing_deg: float


def off_hinge_swing_deg(q_E_thigh: FloatArray, q_E_shank: FloatArray) -> FloatArray:
    """N×2: the knee's rotation off its hinge, as a rotation vector's x and y in the thigh (°).

    ``q_E_*``: N×4 segment orientations (w, x, y, z) in one earth frame. The shank in the thigh,
    ``q = q_thigh⁻¹ ⊗ q_shank``, is split as ``swing ⊗ twist`` with the twist about z (the
    flexion axis); the swing's rotation vector lies across z and is returned. A pure hinge: 0.
    """
    q = rot.normalize(rot.multiply(rot.conjugate(q_E_thigh), q_E_shank))
    w, z = q[..., 0], q[..., 3]
    n = np.maximum(np.hypot(w, z), 1e-12)
    twist = np.stack((w / n, np.zeros_like(w), np.zeros_like(w), z / n), axis=-1)
    swing = rot.multiply(q, rot.conjugate(twist))
    swing = swing * np.where(swing[..., :1] < 0.0, -1.0, 1.0)
    vec = swing[..., 1:]
    s = np.linalg.norm(vec, axis=-1)
    angle = 2.0 * np.arctan2(s, swing[..., 0])
    out = vec * (angle / np.maximum(s, 1e-12))[..., None]
    return np.rad2deg(out[..., :2])


def _smoothed(x: FloatArray, k: int) -> FloatArray:
    """Moving mean over ``k`` samples, over the samples there are at the ends (columns apart).

    A series shorter than ``k`` is averaged over its own length (same length out).
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.ones(max(1, min(k, x.shape[0])))
    count = np.convolve(np.ones(x.shape[0]), kernel, mode="same")
    if x.ndim == 1:
        return np.convolve(x, kernel, mode="same") / count
    return np.stack([np.convolve(c, kernel, mode="same") / count for c in x.T], axis=-1)


def held_runs(t_s: FloatArray, knee_deg: FloatArray, rate_hz: float) -> list[tuple[int, int]]:
    """Index ranges ``[i0, i1)`` where the knee's flexion (°) was held for :data:`MIN_HELD_S`.

    Held: the flexion's rate, averaged over :data:`SMOOTH_S`, under :data:`HELD_RATE_DEG_S`
    (NaN: not held).
    """
    if np.shape(t_s)[0] < 2:
        return []
    k = max(round(SMOOTH_S * rate_hz), 1)
    rate = np.abs(np.gradient(_smoothed(knee_deg, k), np.asarray(t_s, dtype=np.float64)))
    held = np.isfinite(rate) & (rate < HELD_RATE_DEG_S)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], held.astype(np.int8), [0]))))
    runs = zip(edges[::2], edges[1::2], strict=True)
    return [(int(a), int(b)) for a, b in runs if t_s[b - 1] - t_s[a] >= MIN_HELD_S]


def held_swing_step(
    t_s: FloatArray, swing_xy_deg: FloatArray, knee_deg: FloatArray, rate_hz: float
) -> HeldStep | None:
    """The first held run whose off-hinge swing moved past :data:`SWING_STEP_DEG` and stayed.

    The smoothed swing's distance from the run's first :data:`SMOOTH_S` (mean) is taken at
    its least over every :data:`LAST_S` span, and the largest of those is the step: a change
    that lasted that long, whatever the run's last seconds do (a leg coming down out of the
    stretch moves the headings the swing is read through). ``at_s``: when the distance first
    passed half the step. None: no such run.
    """
    t = np.asarray(t_s, dtype=np.float64)
    for i0, i1 in held_runs(t, knee_deg, rate_hz):
        step = _step_in_run(t[i0:i1], swing_xy_deg[i0:i1], rate_hz)
        if step is not None:
            return step
    return None


def _step_in_run(t_s: FloatArray, swing_xy_deg: FloatArray, rate_hz: float) -> HeldStep | None:
    """:func:`held_swing_step`'s step within one held run (its rows only), or None."""
    k = max(round(SMOOTH_S * rate_hz), 1)
    m = max(round(LAST_S * rate_hz), 1)
    sw = np.asarray(swing_xy_deg, dtype=np.float64)
    start = np.nanmean(sw[:k], axis=0)
    moved = np.nan_to_num(np.linalg.norm(_smoothed(sw, k) - start, axis=-1))
    if moved.size <= m:
        return None
    lasting = np.lib.stride_tricks.sliding_window_view(moved, m).min(axis=-1)
    best = int(np.argmax(lasting))
    size = float(lasting[best])
    if size <= SWING_STEP_DEG:
        return None
    j = int(np.argmax(moved >= size / 2))
    return HeldStep(
        since_s=float(t_s[0]),
        until_s=float(t_s[best + m - 1]),
        at_s=float(t_s[j]),
        swing_deg=size,
    )


def own_long_turn_deg(q_E_B: FloatArray, i0: int, i1: int, long_B: FloatArray = LONG_B) -> float:
    """How far (°) a segment's frame turned about its own long axis from row ``i0`` to ``i1``.

    ``q_E_B``: the segment's orientations; ``long_B``: its long axis in its own frame (ISB: y).
    The rotation between the two rows, in the segment's frame, as a rotation vector,
    projected on the long axis (signed, right-handed about ``long_B``).
    """
    dq = rot.normalize(rot.multiply(rot.conjugate(q_E_B[i0]), q_E_B[i1]))
    dq = dq * (-1.0 if dq[0] < 0.0 else 1.0)
    s = float(np.linalg.norm(dq[1:]))
    if s < 1e-12:
        return 0.0
    vec = dq[1:] * (2.0 * np.arctan2(s, dq[0]) / s)
    u = np.asarray(long_B, dtype=np.float64)
    return float(np.rad2deg(vec @ (u / np.linalg.norm(u))))


def _held_step(
    t_s: FloatArray,
    q_E_pair: tuple[FloatArray, FloatArray],
    knee_deg: FloatArray,
    i_from: int,
    rate_hz: float,
) -> HeldStep | None:
    """:func:`held_swing_step` on the rows from ``i_from``, the swing read run by run.

    The same step as the swing of the whole series would give (the swing is per row), with
    only one held run's rows of it in memory at a time: a 10-h session's whole swing and its
    temporaries had cost ~330 MB of peak memory.
    """
    t = t_s[i_from:]
    q_t, q_s = (np.asarray(q)[i_from:] for q in q_E_pair)
    for i0, i1 in held_runs(t, knee_deg[i_from:], rate_hz):
        step = _step_in_run(t[i0:i1], off_hinge_swing_deg(q_t[i0:i1], q_s[i0:i1]), rate_hz)
        if step is not None:
            return step
    return None


def held_twist_slips(
    t_s: FloatArray,
    q_E_B: Mapping[str, FloatArray],
    knee_deg: Mapping[str, FloatArray],
    *,
    from_s: float,
    rate_hz: float,
    found: Collection[str] = (),
) -> list[Slip]:
    """Each knee's strap turned while it was held (:func:`held_swing_step`), as a ``Slip``.

    ``q_E_B``: segment orientations; ``knee_deg``: each side's knee flexion (by side), both
    on ``t_s``. Only rows from ``from_s`` (the calibration movements' end) are read; a
    knee one of whose sensors is in ``found`` (the hinge check's slips) is left alone. The
    turned sensor is the one whose segment frame turned more about its own long axis over the
    held run (:func:`own_long_turn_deg`: a knee held still, so the leg's own turns move both
    alike); the slip's size is that turn. A step whose two segments did not turn apart about
    their long axes by :data:`MIN_RELATIVE_TURN_DEG` is no strap and is left. Listed with
    ``held`` set: never read again as it sits, its angles not trusted
    (``strap_slip.slip_uncertain``).
    """
    t = np.asarray(t_s, dtype=np.float64)
    i_from = int(np.searchsorted(t, from_s))
    out: list[Slip] = []
    if t.size - i_from < 2:
        return out
    for side, knee in knee_deg.items():
        thigh, shank = f"{side}_thigh", f"{side}_shank"
        parts = (thigh, shank)
        if any(p in found or p not in q_E_B for p in parts):
            continue
        step = _held_step(t, (q_E_B[thigh], q_E_B[shank]), np.asarray(knee), i_from, rate_hz)
        if step is None:
            continue
        i0, i1 = (int(i) for i in np.searchsorted(t, (step.since_s, step.until_s)))
        i1 = min(i1, t.size - 1)
        turns = {p: own_long_turn_deg(np.asarray(q_E_B[p]), i0, i1) for p in parts}
        if abs(turns[thigh] - turns[shank]) < MIN_RELATIVE_TURN_DEG:
            continue
        p = max(parts, key=lambda x: abs(turns[x]))
        out.append(
            Slip(placement=p, at_s=step.at_s, turn_deg=turns[p], since_s=step.since_s, held=True)
        )
    return out
