"""Put every sensor on one uniform time grid — the only place resampling happens.

Sensors of a session need not share a clock grid (DESIGN §4): each has its own sample times,
jitter and dropped samples. :func:`to_uniform_grid` resamples every stream onto
``t_s = t0 + k / rate_hz`` by **linear interpolation** of acceleration and angular rate (and
magnetic field; quaternions by normalised linear interpolation, adequate at ≥ 25 Hz). Where a
sensor has no data for longer than ``max_gap_s`` the grid points are marked invalid: values are
still interpolated across the gap (so an orientation filter keeps running) but every angle
computed from them is dropped there, and the gap is reported.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray

from analysis.angles.chunks import map_threads
from analysis.errors import InsufficientDataError
from analysis.recording.streams import Gap, SensorStream

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class UniformStream:
    """One sensor on the session grid; arrays are ``(K, 3)`` / ``(K, 4)``, rows = grid points.

    ``valid[k]`` is False before the sensor's first sample, after its last one and inside
    gaps longer than the grid's ``max_gap_s``.
    """

    placement: str
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    valid: BoolArray
    mag_ut: FloatArray | None = None
    quat: FloatArray | None = None


@dataclass(frozen=True)
class UniformSession:
    """All sensors on one grid ``t_s`` (``(K,)``, step ``1 / rate_hz``)."""

    t_s: FloatArray
    rate_hz: float
    streams: Mapping[str, UniformStream]
    gaps: tuple[Gap, ...]


def stream_rate_hz(t_s: FloatArray) -> float:
    """A sensor's sample rate, robust to jitter and dropped samples.

    Each interval is counted as a whole number of nominal periods (interval / median
    interval, rounded), and the rate is periods / elapsed time.
    """
    dt = np.diff(t_s)
    if dt.size == 0:
        return float("nan")
    periods = np.maximum(np.rint(dt / np.median(dt)), 1.0)
    return float(periods.sum() / (t_s[-1] - t_s[0]))


def session_rate_hz(streams: Mapping[str, SensorStream]) -> float:
    """The session's rate: the highest sensor rate (:func:`stream_rate_hz`), to 0.01 Hz."""
    rates = [stream_rate_hz(s.t_s) for s in streams.values() if len(s) >= 2]
    if not rates:
        raise InsufficientDataError("every sensor has fewer than 2 samples; nothing to analyse")
    return round(max(rates), 2)


def interp_columns(
    t_grid: FloatArray, t: FloatArray, values: FloatArray, dtype: type[np.floating] = np.float64
) -> FloatArray:
    """Each column of ``values`` (rows at ``t``) linearly interpolated at ``t_grid``.

    Outside ``t`` the end values are held. Used by :func:`to_uniform_grid` and by the live
    pipeline for each new chunk of grid points (the same numbers either way).
    """
    out = np.empty((t_grid.shape[0], values.shape[1]), dtype=dtype)
    for i in range(values.shape[1]):
        out[:, i] = np.interp(t_grid, t, values[:, i])
    return out


def find_gaps(t_s: FloatArray, *, max_gap_s: float) -> list[tuple[float, float]]:
    """Intervals between consecutive samples longer than ``max_gap_s``."""
    dt = np.diff(t_s)
    idx = np.flatnonzero(dt > max_gap_s)
    return [(float(t_s[i]), float(t_s[i + 1])) for i in idx]


def covered(t_grid: FloatArray, first_s: float, last_s: float, *, rate_hz: float) -> BoolArray:
    """Grid points from a sensor's first sample to its last (within 1 % of a grid step).

    Outside, interpolation would only repeat the end sample: those points have no data. Used
    by :func:`to_uniform_grid` and by the live pipeline (whose last sample is still to come).
    """
    edge = 0.01 / rate_hz
    return (t_grid >= first_s - edge) & (t_grid <= last_s + edge)


def to_uniform_grid(
    streams: Mapping[str, SensorStream],
    *,
    rate_hz: float | None = None,
    max_gap_s: float = 0.25,
    dtype: type[np.floating] = np.float64,
) -> UniformSession:
    """Resample all streams onto one grid spanning the union of their time ranges.

    ``streams`` is left as it is; :func:`move_to_uniform_grid` (same parameters) takes a
    dict over instead and frees each sensor's raw arrays once they are on the grid.

    Parameters
    ----------
    streams
        Per-placement samples (``t_s`` strictly increasing, seconds).
    rate_hz
        Grid rate; default :func:`session_rate_hz`.
    max_gap_s
        Longer intervals without samples are gaps: grid points inside are invalid.
    dtype
        Storage type of the resampled measurements (float32 halves the memory of long
        sessions; interpolation itself is done in float64).
    """
    return move_to_uniform_grid(dict(streams), rate_hz=rate_hz, max_gap_s=max_gap_s, dtype=dtype)


def outside_gaps(
    t_grid: FloatArray, gaps: Iterable[tuple[float, float]], *, rate_hz: float
) -> BoolArray:
    """Grid points not strictly inside any of ``gaps`` (``a < t < b``, to 1e-9 of a step).

    Used by :func:`move_to_uniform_grid` and by the live pipeline, so both leave the same
    points without data. The edges are exact, not rounded to the nearer sample: live, a grid
    point just after a sensor's last sample is shown without it before its next sample (and
    so whether there was a gap) is known, and offline must agree.
    """
    ok = np.ones(t_grid.shape[0], dtype=bool)
    tol = 1e-9 / rate_hz
    for a, b in gaps:
        ok &= ~((t_grid > a + tol) & (t_grid < b - tol))
    return ok


def move_to_uniform_grid(
    streams: dict[str, SensorStream],
    *,
    rate_hz: float | None = None,
    max_gap_s: float = 0.25,
    dtype: type[np.floating] = np.float64,
    threads: int = 1,
) -> UniformSession:
    """Run :func:`to_uniform_grid` on streams handed over, emptying ``streams`` as it goes.

    Each stream leaves the dict once it is on the grid (the dict is empty on return), so raw
    arrays held nowhere else are freed while the next sensor is resampled. ``threads`` > 1
    resamples that many sensors at once (the same result; their raw arrays are held until
    all are done).
    """
    if not streams:
        raise InsufficientDataError("the recording has no sensors")
    rate = session_rate_hz(streams) if rate_hz is None else float(rate_hz)
    t0 = min(float(s.t_s[0]) for s in streams.values())
    t1 = max(float(s.t_s[-1]) for s in streams.values())
    n = int(np.floor((t1 - t0) * rate + 1e-9)) + 1
    t_grid = t0 + np.arange(n) / rate
    one = partial(_stream_on_grid, t_grid=t_grid, rate_hz=rate, max_gap_s=max_gap_s, dtype=dtype)
    if threads > 1:
        items = [(label, streams.pop(label)) for label in list(streams)]
        done = map_threads(lambda item: one(*item), items, threads=threads)
        del items
    else:
        done = [one(label, streams.pop(label)) for label in list(streams)]
    out = {u.placement: u for u, _ in done}
    gaps = tuple(g for _, found in done for g in found)
    return UniformSession(t_s=t_grid, rate_hz=rate, streams=out, gaps=gaps)


FROZEN_MIN_S = 1.0
"""A sensor that repeats one sample exactly (every accelerometer and gyroscope axis) for at
least this long has stopped measuring: the repeats are a gap (reason ``"frozen"``)."""


def frozen_runs(s: SensorStream, *, min_s: float = FROZEN_MIN_S) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``: rows ``i + 1 .. j - 1`` repeat row ``i`` exactly, for ``min_s`` s.

    ``j`` is the first row after the repeats (the last row if they run to the end). A real
    sensor's noise never repeats all six axes for long; a row whose gyroscope reads exactly 0
    on every axis is not counted (an ideal simulated sensor at rest repeats such rows, and a
    frozen sensor's rate read 0 on all three axes at once is missed).
    """
    n = len(s)
    if n < 3:
        return []
    same = np.any(s.gyr_rad_s[1:] != 0.0, axis=1)
    for arr in (s.acc_m_s2, s.gyr_rad_s):
        for c in range(arr.shape[1]):
            same &= arr[1:, c] == arr[:-1, c]
    edges = np.flatnonzero(np.diff(np.r_[0, same.view(np.int8), 0]))
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        # same[a:b] True: rows a+1 .. b repeat row a
        if s.t_s[b] - s.t_s[a] >= min_s:
            out.append((int(a), int(min(b + 1, n - 1))))
    return out


def without_frozen(s: SensorStream) -> tuple[SensorStream, list[tuple[float, float]]]:
    """``s`` without the repeats of :func:`frozen_runs`, and their intervals (seconds).

    Dropped like samples that never came, so the grid bridges them as it bridges a dropout
    (an orientation filter does not integrate a frozen rate) and marks them invalid.
    """
    runs = frozen_runs(s)
    if not runs:
        return s, []
    keep = np.ones(len(s), dtype=bool)
    for i, j in runs:
        keep[i + 1 : j] = False
    fields = ("t_s", "acc_m_s2", "gyr_rad_s", "mag_ut", "quat", "device_ticks")
    kept = {f: None if getattr(s, f) is None else getattr(s, f)[keep] for f in fields}
    spans = [(float(s.t_s[i]), float(s.t_s[j])) for i, j in runs]
    return dataclasses.replace(s, **kept), spans


class FrozenWatch:
    """:func:`frozen_runs` for one sensor's samples as they arrive (the live path).

    :meth:`feed` returns the samples to use now, without the repeats of a frozen run, as
    :func:`without_frozen` drops them. A repeat cannot be told from a frozen run before the
    run has lasted ``min_s``, so repeats are held back until then: passed on (late) if the
    run ends sooner, dropped once it reaches ``min_s`` (the sensor then looks silent, as in a
    dropout). :attr:`since_s` is the time of the sample repeated while a frozen run lasts
    (else None); :attr:`spans` are the ended frozen runs, ``(t_s[i], t_s[j])`` as
    :func:`without_frozen` gives them (the repeated sample, the first sample after).
    """

    def __init__(self, *, min_s: float = FROZEN_MIN_S) -> None:
        self.min_s = min_s
        self.since_s: float | None = None
        self.spans: list[tuple[float, float]] = []
        self._last: FloatArray | None = None  # the newest row, acc + gyr, (1, 6)
        self._last_t = -np.inf
        self._run_t: float | None = None  # an open run: the time of the row it repeats
        self._held: list[tuple[FloatArray, FloatArray]] = []  # its repeats, (t, rows)

    def feed(
        self, t_s: FloatArray, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The samples of this batch (and repeats held before) to use now, in order."""
        n = t_s.shape[0]
        if n == 0:
            return t_s, acc_m_s2, gyr_rad_s
        rows = np.concatenate((acc_m_s2, gyr_rad_s), axis=1, dtype=np.float64)
        last = rows[:1] if self._last is None else self._last
        same = (np.vstack((last, rows[:-1])) == rows).all(axis=1)
        same[0] &= self._last is not None
        same &= gyr_rad_s.any(axis=1)  # an all-zero gyroscope row never repeats
        if self._run_t is None and not same.any():  # the usual batch: nothing held, no repeat
            self._last, self._last_t = rows[-1:], float(t_s[-1])
            return t_s, acc_m_s2, gyr_rad_s
        out_t: list[FloatArray] = []
        out_rows: list[FloatArray] = []
        edges = np.flatnonzero(np.diff(np.r_[-1, same.view(np.int8), -1]))
        for a, b in itertools.pairwise(edges):
            if same[a]:
                self._repeat(t_s, rows, int(a), int(b))
            else:
                self._differs(float(t_s[a]), out_t, out_rows)
                out_t.append(t_s[a:b])
                out_rows.append(rows[a:b])
            self._last_t = float(t_s[b - 1])
        self._last = rows[-1:].copy()
        if not out_t:
            empty = np.empty((0, 3))
            return np.empty(0), empty, empty.copy()
        kept = np.concatenate(out_rows)
        return np.concatenate(out_t), kept[:, :3], kept[:, 3:]

    @property
    def held_to_s(self) -> float | None:
        """Time of the newest repeat held back (a run not yet ``min_s`` long), else None.

        The sensor is sending then: frozen or not is undecided, but it is not silent.
        """
        return float(self._held[-1][0][-1]) if self._held else None

    def _repeat(self, t_s: FloatArray, rows: FloatArray, a: int, b: int) -> None:
        """Rows ``a .. b - 1`` repeat the row before them: held, or dropped once frozen."""
        if self._run_t is None:
            self._run_t = float(t_s[a - 1]) if a > 0 else self._last_t
        if self.since_s is None:
            self._held.append((t_s[a:b], rows[a:b]))
            if float(t_s[b - 1]) - self._run_t >= self.min_s:
                self.since_s, self._held = self._run_t, []

    def _differs(self, t_s: float, out_t: list[FloatArray], out_rows: list[FloatArray]) -> None:
        """A row unlike the one before at ``t_s``: an open run ends (its repeats passed on)."""
        if self._run_t is None:
            return
        if self.since_s is not None:
            self.spans.append((self.since_s, t_s))
        for t, r in self._held:
            out_t.append(t)
            out_rows.append(r)
        self._run_t, self.since_s, self._held = None, None, []

    def finish(self) -> tuple[float, float] | None:
        """At the end of the stream: a frozen run still open, ended at the last sample."""
        if self.since_s is None:
            return None
        span = (self.since_s, self._last_t)
        self.spans.append(span)
        self._run_t, self.since_s, self._held = None, None, []
        return span


def _stream_on_grid(
    label: str,
    s: SensorStream,
    *,
    t_grid: FloatArray,
    rate_hz: float,
    max_gap_s: float,
    dtype: type[np.floating],
) -> tuple[UniformStream, list[Gap]]:
    """One sensor's samples on the grid, and its gaps (see :func:`to_uniform_grid`)."""
    if len(s) < 2:
        raise InsufficientDataError(f"sensor {label!r} has fewer than 2 samples")
    s, frozen = without_frozen(s)
    found = find_gaps(s.t_s, max_gap_s=max_gap_s)
    valid = covered(t_grid, float(s.t_s[0]), float(s.t_s[-1]), rate_hz=rate_hz)
    valid &= outside_gaps(t_grid, found, rate_hz=rate_hz)
    quat = None
    if s.quat is not None:
        q = s.quat.astype(np.float64, copy=True)
        # make consecutive quaternions share a hemisphere before interpolating
        flip = np.cumsum(np.r_[False, np.sum(q[1:] * q[:-1], axis=1) < 0]) % 2 == 1
        q[flip] *= -1.0
        quat = interp_columns(t_grid, s.t_s, q, dtype)
        quat /= np.linalg.norm(quat, axis=1, keepdims=True)
    u = UniformStream(
        placement=label,
        acc_m_s2=interp_columns(t_grid, s.t_s, s.acc_m_s2, dtype),
        gyr_rad_s=interp_columns(t_grid, s.t_s, s.gyr_rad_s, dtype),
        valid=valid,
        mag_ut=None if s.mag_ut is None else interp_columns(t_grid, s.t_s, s.mag_ut, dtype),
        quat=quat,
    )
    return u, [
        Gap(sensor=label, start_s=a, end_s=b, reason="frozen" if (a, b) in frozen else "dropout")
        for a, b in found
    ]
