"""A sensor not yet on the body when the recording starts: its opening rows are a gap.

A sensor left lying on a table while the person stands by reads a table's stillness: its
rate is sensor noise alone, which a 1 s mean all but removes, while the sensors strapped to a
standing person read the body's sway (tenths of a degree per second at 1 s). Only a sensor
still while *every* other sensor sways is taken: a leg that barely sways (the population's
legs read like a table while only the pelvis sways) is not. When such a
sensor is then picked up and strapped on, it turns on its own (the others stay put) by tens
of degrees and settles. Its rows before it settles belong to the table, not the body: they
are made a gap (reason ``"off_body"``), so no angle is read and no rule judged from them, and
the calibration's quiet stand (which needs every sensor valid) comes after.

Grid arrays: ``gyr_rad_s`` ``(K, 3)`` in the sensor frame (rad/s), times ``t_s`` in seconds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from analysis.angles.timebase import UniformSession
from analysis.recording.streams import Gap

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MOVE_RAD_S = float(np.radians(10.0))
"""A 0.25 s mean rate above this (bias taken out) is a movement, not stillness or sway."""
LEAD_S = 1.5
"""The stillness is read up to this long before the first movement (a hand's slow start)."""
MIN_TABLE_S = 3.0
"""The least opening stillness taken for a table (shorter: nothing is cut)."""
TABLE_LP_MAX_RAD_S = float(np.radians(0.03))
"""A table's stillness: the RMS of the 1 s mean rate (its own mean out) stays below this."""
BODY_LP_MIN_RAD_S = float(np.radians(0.05))
"""Every other sensor over the same stretch shows at least this much sway (1 s mean) ..."""
SWAY_RATIO = 4.0
"""... and at least this many times the table sensor's."""
MIN_JUMP_DEG = 20.0
"""The pickup turns the sensor at least this far (net, start to settle) ..."""
ALONE_RATIO = 2.0
"""... and at least this many times farther than any other sensor turns meanwhile."""
MAX_PICKUP_S = 20.0
"""A first movement that takes longer to settle is no pickup (nothing is cut)."""
SEARCH_S = 120.0
"""Only the recording's first this many seconds are searched for a table's stillness."""
SETTLE_S = 0.5
"""Settled: the 0.25 s mean rate stays below :data:`MOVE_RAD_S` this long."""


def moving_mean(x: FloatArray, n: int) -> FloatArray:
    """Centred moving mean of ``x`` (rows) over ``n`` samples (edges: the window shrinks)."""
    n = max(int(n), 1)
    c = np.cumsum(np.vstack([np.zeros((1, *x.shape[1:])), x]), axis=0)
    k = np.arange(x.shape[0])
    lo = np.clip(k - n // 2, 0, x.shape[0])
    hi = np.clip(k - n // 2 + n, 0, x.shape[0])
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1).reshape((-1,) + (1,) * (x.ndim - 1))


def slow_sway_rad_s(gyr_rad_s: FloatArray, rate_hz: float) -> float:
    """RMS norm of the 1 s mean rate, the stretch's own mean (a bias) taken out (rad/s).

    A still sensor's white noise averages away (≈ noise / √rate); a body's sway does not.
    """
    if gyr_rad_s.shape[0] < 2:
        return float("nan")
    lp = moving_mean(gyr_rad_s - gyr_rad_s.mean(axis=0), round(rate_hz))
    return float(np.sqrt(np.mean(np.sum(lp**2, axis=1))))


def net_turn_deg(gyr_rad_s: FloatArray, rate_hz: float) -> float:
    """Net rotation angle (deg) of the rate ``gyr_rad_s`` integrated (body frame) over its rows."""
    if gyr_rad_s.shape[0] == 0:
        return 0.0
    steps = Rotation.from_rotvec(gyr_rad_s / rate_hz)
    r = Rotation.identity()
    for s in steps:
        r = r * s
    return float(np.degrees(r.magnitude()))


def first_move(gyr_rad_s: FloatArray, rate_hz: float, start: int) -> int | None:
    """Index of the first row from ``start`` moving faster than :data:`MOVE_RAD_S`.

    The 0.25 s mean rate, less the bias of the first second from ``start``; None if none.
    """
    bias = np.median(gyr_rad_s[start : start + max(round(rate_hz), 1)], axis=0)
    speed = np.linalg.norm(moving_mean(gyr_rad_s[start:] - bias, round(0.25 * rate_hz)), axis=1)
    over = np.flatnonzero(speed > MOVE_RAD_S)
    return None if over.size == 0 else start + int(over[0])


def settled_after(gyr_rad_s: FloatArray, rate_hz: float, bias: FloatArray, k: int) -> int | None:
    """First row from ``k`` after which the sensor stays settled for :data:`SETTLE_S`.

    Settled: the 0.25 s mean rate, less ``bias`` (rad/s), under :data:`MOVE_RAD_S`; None if
    it never settles.
    """
    speed = np.linalg.norm(moving_mean(gyr_rad_s[k:] - bias, round(0.25 * rate_hz)), axis=1)
    calm = speed < MOVE_RAD_S
    need = max(round(SETTLE_S * rate_hz), 1)
    run = np.convolve(calm.astype(np.int32), np.ones(need, dtype=np.int32), mode="valid")
    hits = np.flatnonzero(run == need)
    return None if hits.size == 0 else k + int(hits[0])


def table_still(session: UniformSession, p: str, a: int, b: int, min_others: int = 0) -> bool:
    """Rows ``[a, b)`` of sensor ``p`` read a table's stillness while every other sensor sways.

    ``p``'s slow sway (:func:`slow_sway_rad_s`) under :data:`TABLE_LP_MAX_RAD_S`; every other
    sensor valid over the rows at least :data:`BODY_LP_MIN_RAD_S` and :data:`SWAY_RATIO` times
    ``p``'s, and at least ``min_others`` of them.
    """
    rate = session.rate_hz
    mine = slow_sway_rad_s(np.asarray(session.streams[p].gyr_rad_s[a:b], dtype=np.float64), rate)
    others = [
        slow_sway_rad_s(np.asarray(o.gyr_rad_s[a:b], dtype=np.float64), rate)
        for q, o in session.streams.items()
        if q != p and o.valid[a:b].all()
    ]
    if len(others) < min_others:
        return False
    body = min(others, default=0.0)  # every other sensor sways: they are on the body
    return bool(mine < TABLE_LP_MAX_RAD_S and body >= max(BODY_LP_MIN_RAD_S, SWAY_RATIO * mine))


def off_body_until(session: UniformSession) -> dict[str, float]:
    """Per sensor that lay apart from the body at the start, the time (s) it settled on it.

    All must hold: the sensor is valid from within 1 s of the start; still for at least
    :data:`MIN_TABLE_S` before its first movement with a table's stillness (slow sway under
    :data:`TABLE_LP_MAX_RAD_S`) while every other sensor sways (:data:`BODY_LP_MIN_RAD_S` and
    :data:`SWAY_RATIO` times more); its first movement, to where it settles, turns it at least
    :data:`MIN_JUMP_DEG` and :data:`ALONE_RATIO` times any other sensor's turn meanwhile.
    """
    t, rate = session.t_s, session.rate_hz
    out: dict[str, float] = {}
    margin = max(round(0.5 * rate), 1)
    n = int(np.searchsorted(t, t[0] + SEARCH_S))
    for p, s in session.streams.items():
        ok = np.flatnonzero(s.valid)
        if ok.size == 0 or t[ok[0]] - t[0] > 1.0:
            continue
        i0 = int(ok[0])
        gyr = np.asarray(s.gyr_rad_s[:n], dtype=np.float64)
        k = first_move(gyr, rate, i0)
        if k is None:
            continue
        a, b = i0 + margin, k - round(LEAD_S * rate)
        if (b - a) / rate < MIN_TABLE_S or not s.valid[a:b].all():
            continue
        if not table_still(session, p, a, b):
            continue
        j = settled_after(gyr, rate, gyr[a:b].mean(axis=0), k)
        if j is None or (j - k) / rate > MAX_PICKUP_S:
            continue
        jump = net_turn_deg(gyr[k:j] - gyr[a:b].mean(axis=0), rate)
        turns = [
            net_turn_deg(np.asarray(o.gyr_rad_s[k:j], dtype=np.float64), rate)
            for q, o in session.streams.items()
            if q != p
        ]
        if jump >= MIN_JUMP_DEG and jump >= ALONE_RATIO * max(turns, default=0.0):
            out[p] = float(t[min(j + round(SETTLE_S * rate), t.shape[0] - 1)])
    return out


def with_off_body_gaps(session: UniformSession) -> UniformSession:
    """``session`` with the rows of each :func:`off_body_until` sensor invalid until it settled.

    Each such sensor gets a gap (reason ``"off_body"``) from the grid's start to then.
    """
    found = off_body_until(session)
    if not found:
        return session
    t = session.t_s
    streams = dict(session.streams)
    gaps = list(session.gaps)
    for p, until_s in found.items():
        s = streams[p]
        valid = s.valid & (t >= until_s)
        streams[p] = dataclasses.replace(s, valid=valid)
        gaps.append(Gap(sensor=p, start_s=float(t[0]), end_s=until_s, reason="off_body"))
    return dataclasses.replace(session, streams=streams, gaps=tuple(gaps))


LIVE_MIN_OTHERS = 2
"""Live, a sensor is taken as lying apart only while at least this many others sway: before
the pickup nothing confirms it, and a still leg beside a swaying pelvis alone (two sensors)
is a body's leg far more often than a table."""


def lying_apart(session: UniformSession) -> list[str]:
    """The sensors that lie apart from the body now, as far as the rows so far tell (live).

    A sensor valid from within 1 s of the start that has not moved yet (no 0.25 s mean rate
    over :data:`MOVE_RAD_S`) and whose stillness from 0.5 s after its first sample is a
    table's while every other sensor, at least :data:`LIVE_MIN_OTHERS` of them, sways
    (:func:`table_still`): read to :data:`LEAD_S` before the newest row or before any
    sensor's first movement, whichever is first (a movement's slow start is no sway), over at
    least :data:`MIN_TABLE_S`.
    Only the first :data:`SEARCH_S` of the session are searched: later, nothing lies apart.
    A foot sensor is never taken (live, with no pickup yet to confirm it, a foot planted still
    on the floor beside swaying sensors reads the same: the virtual wearer's did).
    """
    t, rate = session.t_s, session.rate_hz
    if t.size == 0 or t[-1] - t[0] > SEARCH_S:
        return []
    margin = max(round(0.5 * rate), 1)
    moves = _first_moves(session)
    lead = round(LEAD_S * rate)  # a movement's slow start is no sway, nor a table's stillness
    b = min((k for k in moves.values() if k is not None), default=t.size) - lead
    out = []
    for p, s in session.streams.items():
        ok = np.flatnonzero(s.valid)
        if ok.size == 0 or t[ok[0]] - t[0] > 1.0 or moves[p] is not None:
            continue
        if p.endswith("_foot"):  # a foot planted on the floor reads a table's stillness too
            continue
        a = int(ok[0]) + margin
        long_enough = (b - a) / rate >= MIN_TABLE_S and bool(s.valid[a:b].all())
        if long_enough and table_still(session, p, a, b, LIVE_MIN_OTHERS):
            out.append(p)
    return out


def _first_moves(session: UniformSession) -> dict[str, int | None]:
    """Per sensor, the row of its first movement from its first valid row (None: none)."""
    out: dict[str, int | None] = {}
    for p, s in session.streams.items():
        ok = np.flatnonzero(s.valid)
        gyr = np.asarray(s.gyr_rad_s, dtype=np.float64)
        out[p] = None if ok.size == 0 else first_move(gyr, session.rate_hz, int(ok[0]))
    return out


def settled_since(session: UniformSession, p: str) -> float | None:
    """When sensor ``p`` (s), after its first movement, settled (still for :data:`SETTLE_S`).

    The time :func:`off_body_until` would cut it to: the settle's start plus
    :data:`SETTLE_S`. None while it has not moved, or not settled yet in the rows so far.
    """
    t, rate = session.t_s, session.rate_hz
    s = session.streams[p]
    ok = np.flatnonzero(s.valid)
    if ok.size == 0:
        return None
    gyr = np.asarray(s.gyr_rad_s, dtype=np.float64)
    k = first_move(gyr, rate, int(ok[0]))
    if k is None:
        return None
    bias = np.median(gyr[int(ok[0]) : int(ok[0]) + max(round(rate), 1)], axis=0)
    j = settled_after(gyr, rate, bias, k)
    end = None if j is None else j + round(SETTLE_S * rate)
    return None if end is None or end >= t.shape[0] else float(t[end])


def lying_words(placement: str) -> str:
    """The live screen's words for a sensor lying apart from the body (the stand waits)."""
    part = placement.replace("_", " ")
    return (
        f"the {part} sensor is not on the body yet (it lies still without the body's sway): "
        "strap it on; the quiet stand waits for it"
    )


def clock_text(t_s: float) -> str:
    """``m:ss`` of ``t_s`` seconds (rounded up to the whole second)."""
    whole = int(np.ceil(t_s - 1e-9))
    return f"{whole // 60}:{whole % 60:02d}"


def off_body_words(g: Gap) -> str:
    """The report's words for an ``"off_body"`` gap."""
    part = g.sensor.replace("_", " ")
    return (
        f"the {part} sensor was not on the body until {clock_text(g.end_s)} (it lay still "
        "without the body's sway, then was picked up and strapped on); nothing that needs it "
        "is read or judged before then"
    )
