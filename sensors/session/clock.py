"""Session time: the host clock, and per-sensor alignment of sample times onto it.

All sensors of a session share one clock, :class:`SessionClock`: ``t_s`` is seconds since the
session started, measured with ``time.monotonic_ns()`` (times ``scale``, which is 1 except
for virtual sensors running faster than real time). A notification is stamped with its
receipt time ``host_rx_ns`` the moment it arrives; :class:`ClockAligner` then gives every
decoded sample its ``t_s``:

* **device time** (Movesense, Movella DOT, Polar): the device clock ``d`` is mapped with
  ``t = a + b·d``. BLE delivers a sample some latency after it was measured, never before,
  so the receipt times lie *above* the line and the tightest line below them — the
  low-latency envelope — is the mapping. The drift ``b`` is the slope of the lower convex
  hull of ``host − d`` (per-bin minima of a sliding window) at the window's middle, cut to
  ``max_drift_ppm`` (needs ``min_span_s`` of data; until then ``b = 1``), and the offset
  ``a`` puts the line under every point. Latency — jitter, or a congested host — only ever
  adds, so neither lifts nor tilts the envelope.
* **host time only** (MetaWear, WitMotion, Thingy:52): the device clock is replaced by the
  sample count at the nominal rate, ``d_k = k / rate_hz``, and the same envelope fit gives
  evenly spaced, de-jittered times whose slope absorbs the sensor's real rate. A gap in the
  receipt times longer than ``jump_s`` (samples lost without a trace) advances the count by
  the missing samples.

A device clock that jumps (a reboot, a wrap the decoder did not unwrap) starts a new
segment: the fit restarts from the new points and the jump is reported. Output times are
strictly increasing per sensor (a later, tighter envelope never moves a sample before one
already emitted).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.recording.runs import value_runs

FloatArray = NDArray[np.float64]

MIN_STEP_S = 1e-5
"""Smallest step between two output times of one sensor (the recorder writes 1 µs)."""

CATCH_UP_SPACING = 0.8
"""Samples placed behind the clock line (it dropped after they were placed) follow at this
fraction of their measured spacing until they meet it again: a line 0.3 s lower is caught up
in 1.5 s of samples, each period shortened by a fifth, instead of squeezing 0.3 s of samples
into ``MIN_STEP_S`` steps."""


class SessionClock:
    """The session's time base: ``t_s = (host_ns − start_ns) · 1e-9 · scale``.

    ``scale`` > 1 only with virtual sensors paced faster than real time (their world runs
    ``scale`` times faster, so the session clock does too and rates stay right).
    """

    def __init__(
        self,
        *,
        start_ns: int | None = None,
        scale: float = 1.0,
        host_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        if not scale > 0:
            raise ValueError(f"clock scale must be positive, got {scale!r}")
        self.host_now_ns = host_ns
        """The host's monotonic time now (ns); receipt stamps come from it too (a virtual
        session in one process passes a paced one, ``sensors.virtual.source.PacedHostClock``)."""
        self.start_ns = host_ns() if start_ns is None else int(start_ns)
        self.scale = float(scale)

    def restart(self) -> None:
        """Make now the session's time zero (everyone holding this clock follows)."""
        self.start_ns = self.host_now_ns()

    def t_s(self, host_ns: int) -> float:
        """Session seconds at monotonic host time ``host_ns``."""
        return (host_ns - self.start_ns) * 1e-9 * self.scale

    def now_s(self) -> float:
        """Session seconds now."""
        return self.t_s(self.host_now_ns())

    def host_ns(self, t_s: float) -> int:
        """Monotonic host time of session time ``t_s`` (inverse of :meth:`t_s`)."""
        return self.start_ns + round(t_s / self.scale * 1e9)


@dataclass(frozen=True, kw_only=True)
class AlignerConfig:
    """Parameters of :class:`ClockAligner` (seconds of session time).

    Attributes
    ----------
    window_s
        History used for the fit.
    min_span_s
        Device time: data span needed before the drift is estimated (before: drift 0;
        crystals are within ~50 ppm, so a short fit would only add noise).
    min_span_count_s
        The same for host-time-only sensors, whose real rate can differ from the nominal
        one by percent.
    bins
        Bins of the window whose least-latency points define the envelope for the drift fit.
    max_drift_ppm
        Device time: largest drift believed (crystals are within ~50 ppm); a steeper
        envelope is a host falling behind, not a clock, and is cut to this.
    max_rate_error_ppm
        Host time only: the same for the real rate against the nominal one (5 %).
    offset_points
        Host time only: the offset is taken from this many recent points, as their
        ``offset_quantile``.
    offset_quantile
        Host time only: quantile of ``host − b·d`` (recent points) taken as the offset.
    refit_every
        Refit after this many new points.
    jump_s
        Device time: a point this far *below* the line (the device clock jumped forward)
        starts a new segment. Host time only: a notification this much later than
        expected advances the sample count by the samples that must have been lost.
    confirm_s
        Host time only: how long a lateness beyond ``jump_s`` must persist before it is
        taken as lost samples rather than a delay (a delayed link delivers its backlog in a
        burst right away). The samples received meanwhile keep their count times, so after
        a silent loss up to ``confirm_s`` of samples are placed too early.
    loss_spread_s
        Host time only: after lost samples every notification is late by the same amount
        (± jitter); a lateness that varies more than this within ``confirm_s`` is taken as
        a congested link or host, not as a loss.
    stall_s
        Device time: points this far *above* the line, steadily for ``confirm_s``, are a
        device clock that jumped back (reboot) and start a new segment; other late points
        are late deliveries (a stalled link or host) and leave the fit alone.
    settle_s, settle_drop_s
        While a start is held (:meth:`ClockAligner.hold`): the envelope is *settled* once
        no receipt has lowered it by more than ``settle_drop_s`` for ``settle_s`` of
        receipts (on-time notifications have arrived; later ones only add latency).
    """

    window_s: float = 60.0
    min_span_s: float = 30.0
    min_span_count_s: float = 10.0
    bins: int = 24
    max_drift_ppm: float = 300.0
    max_rate_error_ppm: float = 50_000.0
    offset_points: int = 500
    offset_quantile: float = 0.05
    refit_every: int = 25
    jump_s: float = 0.5
    confirm_s: float = 1.0
    loss_spread_s: float = 0.15
    stall_s: float = 5.0
    settle_s: float = 0.25
    settle_drop_s: float = 0.01

    def for_clock_scale(self, scale: float) -> AlignerConfig:
        """These parameters for a session clock running ``scale`` × real time.

        Virtual sensors may be paced faster than real time; the parameters that describe host
        and link stalls are stretched to match.

        A congested host stalls for real milliseconds; at 6× they are six times as many
        session seconds. ``confirm_s``, ``loss_spread_s``, ``stall_s``, ``settle_s`` and
        ``settle_drop_s`` are therefore multiplied by ``scale``; the fit window and the
        device-clock jump size are not.
        """
        if scale <= 1.0:
            return self
        return dataclasses.replace(
            self,
            confirm_s=self.confirm_s * scale,
            loss_spread_s=self.loss_spread_s * scale,
            stall_s=self.stall_s * scale,
            settle_s=self.settle_s * scale,
            settle_drop_s=self.settle_drop_s * scale,
        )


@dataclass(frozen=True)
class AlignerState:
    """A snapshot of one sensor's clock model: ``t = offset_s + slope · d``."""

    offset_s: float
    slope: float
    points: int
    segments: int
    inferred_lost: int

    @property
    def drift_ppm(self) -> float:
        """How much faster the device clock (or sample count) runs than the session clock, ppm."""
        return (1.0 / self.slope - 1.0) * 1e6


class _Points:
    """(device, host) time pairs in two NumPy arrays: append right, drop from either end.

    The aligner refits its clock model every few notifications from a window of thousands
    of pairs; keeping them as arrays (compacted when the end is reached) makes each refit a
    slice instead of a conversion of Python tuples.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._d = np.empty(capacity)
        self._h = np.empty(capacity)
        self._lo = 0
        self._hi = 0

    def __len__(self) -> int:
        return self._hi - self._lo

    def __bool__(self) -> bool:
        return self._hi > self._lo

    def clear(self) -> None:
        self._lo = self._hi = 0

    def append(self, d: float, h: float) -> None:
        if self._hi == self._d.shape[0]:
            n = len(self)
            if n > self._d.shape[0] // 2:  # mostly full: grow
                self._d = np.concatenate([self._d[self._lo : self._hi], np.empty(n)])
                self._h = np.concatenate([self._h[self._lo : self._hi], np.empty(n)])
            else:  # compact to the front
                self._d[:n] = self._d[self._lo : self._hi]
                self._h[:n] = self._h[self._lo : self._hi]
            self._lo, self._hi = 0, n
        self._d[self._hi] = d
        self._h[self._hi] = h
        self._hi += 1

    def first_d(self) -> float:
        return float(self._d[self._lo])

    def last_d(self) -> float:
        return float(self._d[self._hi - 1])

    def last_h(self) -> float:
        return float(self._h[self._hi - 1])

    def popleft(self) -> None:
        self._lo += 1

    def pop(self) -> None:
        self._hi -= 1

    def arrays(self) -> tuple[FloatArray, FloatArray]:
        """Views of the device and host times, oldest first."""
        return self._d[self._lo : self._hi], self._h[self._lo : self._hi]


class ClockAligner:
    """Online per-sensor mapping of sample times onto the session clock.

    Parameters
    ----------
    nominal_rate_hz
        The configured sample rate (host-time-only sensors count samples at it).
    uses_device_time
        True when decoded samples carry ``device_time_s``.
    config
        Fit parameters.
    """

    def __init__(
        self,
        *,
        nominal_rate_hz: float,
        uses_device_time: bool,
        config: AlignerConfig | None = None,
    ) -> None:
        if not nominal_rate_hz > 0:
            raise ValueError(f"nominal rate must be positive, got {nominal_rate_hz!r}")
        self.rate_hz = float(nominal_rate_hz)
        self.uses_device_time = uses_device_time
        self.config = config or AlignerConfig()
        self.segments = 0
        self.inferred_lost = 0
        self._points = _Points()
        self._since_fit = 0
        self._offset_s = 0.0
        self._slope = 1.0
        self._count = 0
        self._suspect: tuple[float, float, float] | None = None
        self._jump: tuple[float, float, float] | None = None
        self._last_out = -np.inf
        self._last_d = np.nan
        self._last_segment = -1
        self._fresh = True
        # a held start (see hold()): the last point seen, the least latency seen and the
        # receipt time that last lowered it, and the fits of segments that ended meanwhile
        self._holding = False
        self._prev: tuple[float, float] | None = None
        self._least_lat = np.inf
        self._lowered_at = -np.inf
        self._last_rx = -np.inf
        self._fits: dict[int, tuple[float, float]] = {}
        self.last_sample_clock_s: FloatArray = np.empty(0)
        """Sample-clock times of the last :meth:`align` call: device seconds, or the sample
        count over the nominal rate (where lost samples show as steps)."""

    # --- public --------------------------------------------------------------------------

    def restart(self) -> None:
        """Start a new connection.

        Host-time-only sensors restart their sample count (new segment, drift kept); a
        device clock runs on, so device-time sensors keep their fit.
        """
        if not self.uses_device_time:
            self._fresh = True
            self._count = 0
            self._suspect = None

    def hold(self) -> None:
        """Hold the start: :meth:`observe` fits, but no offset is final until :meth:`commit`.

        At a session's start the first sensors' notifications can reach the host late while
        the later sensors connect (a busy host runs no callbacks). A fit from those first
        points alone puts the line as late as they came. While held, a device-time point
        far below the line lowers it (the earlier points were late) unless the device clock
        itself stepped ahead of the host clock by ``jump_s`` (a real jump), and
        :meth:`settled` says when on-time points have arrived.
        """
        self._holding = True

    @property
    def holding(self) -> bool:
        """True between :meth:`hold` and :meth:`commit`."""
        return self._holding

    def settled(self) -> bool:
        """True when no receipt has lowered the envelope for ``settle_s`` of receipts.

        Latency only adds: once on-time notifications arrived, later ones no longer lower
        the line. A sensor that received nothing is not settled.
        """
        return self._last_rx - self._lowered_at >= self.config.settle_s

    def commit(self) -> None:
        """End the hold: fit the line under every point seen so far (idempotent)."""
        if not self._holding:
            return
        self._holding = False
        if self._points:
            self._fit()

    def align(self, host_s: float, n: int, device_time_s: FloatArray | None = None) -> FloatArray:
        """Session times of ``n`` samples completed by one notification received at ``host_s``.

        ``device_time_s`` (``(n,)``, seconds, increasing) is required when the sensor
        uses device time and ignored otherwise. Returns ``(n,)`` strictly increasing times,
        all later than every time returned before. The same as :meth:`observe` then
        :meth:`place`.
        """
        return self.place(self.observe(host_s, n, device_time_s))

    def observe(self, host_s: float, n: int, device_time_s: FloatArray | None = None) -> FloatArray:
        """Take in one notification's receipt; return its samples' sample-clock times.

        Arguments as :meth:`align`. The result (device seconds, or the sample count over the
        nominal rate) goes to :meth:`place`, now or, during a held start, after :meth:`commit`.
        """
        if n <= 0:
            return np.empty(0)
        if self.uses_device_time:
            if device_time_s is None or len(device_time_s) != n:
                raise ValueError("device_time_s must give one time per sample")
            d = np.asarray(device_time_s, dtype=np.float64)
        else:
            d = self._count_times(host_s, n)
        self.last_sample_clock_s = d
        self._observe(float(d[-1]), host_s)
        return d

    def place(self, sample_clock_s: FloatArray, segment: int | None = None) -> FloatArray:
        """Session times of samples at sample-clock times ``sample_clock_s`` (:meth:`observe`).

        ``segment``: the segment they were observed in (default: the current one); a segment
        that ended during a held start keeps its own line. Never before a time already placed:
        where the line dropped below what was placed within a segment, the samples catch up
        with it at ``CATCH_UP_SPACING`` of their spacing; after a clock jump (a new segment)
        they step to it in ``MIN_STEP_S`` steps. On the line, they are placed on it.
        """
        d = np.asarray(sample_clock_s, dtype=np.float64)
        n = d.shape[0]
        if n == 0:
            return np.empty(0)
        offset, slope = self._offset_s, self._slope
        if segment is not None and segment != self.segments:
            offset, slope = self._fits.get(segment, (offset, slope))
        seg = self.segments if segment is None else segment
        line = offset + slope * d
        # a line that dropped within a segment is a better estimate of the latency: catch
        # up with it; a new segment is a clock that jumped: step to it
        same = seg == self._last_segment
        first = slope * (d[0] - self._last_d)
        if same and np.isnan(first):  # after samples far above their line: the nominal period
            first = 1.0 / self.rate_hz
        t = catch_up(line, self._last_out, first, CATCH_UP_SPACING if same else 0.0)
        self._last_out = float(t[-1])
        # samples held over jump_s above their line (a device time far behind it: one bad
        # packet, a clock jumped back and not confirmed yet) give no spacing for the next
        # ones: measured from their time, the next sample would be placed an hour later
        far = t[-1] - line[-1] > self.config.jump_s
        self._last_d = np.nan if far else float(d[-1])
        self._last_segment = seg
        return t

    @property
    def state(self) -> AlignerState:
        """The current clock model."""
        return AlignerState(
            offset_s=self._offset_s,
            slope=self._slope,
            points=len(self._points),
            segments=self.segments,
            inferred_lost=self.inferred_lost,
        )

    # --- internals -----------------------------------------------------------------------

    def _count_times(self, host_s: float, n: int) -> FloatArray:
        """Sample-count clock ``k / rate`` for host-time-only sensors, advanced over losses.

        A notification more than ``jump_s`` late is either delayed (a stalled link or
        host: the samples after it catch up, arriving faster than the rate) or follows lost
        samples (they keep arriving late by the same amount). Only a lateness that came
        with a silence about as long (nothing arrived while the samples were lost) is
        suspect; a host falling behind grows its lateness while notifications keep coming.
        The count is advanced only when the lateness then persists, steady within
        ``loss_spread_s``, for ``confirm_s``.
        """
        cfg = self.config
        if not self._fresh and self._points:
            expected = self._offset_s + self._slope * (self._count + n - 1) / self.rate_hz
            late = host_s - expected
            if self._suspect is None:
                # lost samples leave a silence as long as they were; a host falling behind
                # grows its lateness while notifications keep arriving
                silent_s = host_s - self._points.last_h()
                if late > cfg.jump_s and silent_s >= late - 0.5 * cfg.jump_s:
                    self._suspect = (host_s, late, late)
            else:
                since_s = self._suspect[0]
                least, most = min(self._suspect[1], late), max(self._suspect[2], late)
                if least <= 0.5 * cfg.jump_s:
                    self._suspect = None  # it caught up: delayed, nothing lost
                elif most - least > cfg.loss_spread_s:
                    # a lateness that moves is a congested link or host, not lost samples
                    self._suspect = None
                elif host_s - since_s >= cfg.confirm_s:
                    missing = round(least * self.rate_hz)
                    self._count += missing
                    self.inferred_lost += missing
                    self._suspect = None
                    # points of the window were counted before the advance: drop them
                    while self._points and self._points.last_h() >= since_s:
                        self._points.pop()
                else:
                    self._suspect = (since_s, least, most)
        k = self._count + np.arange(n)
        self._count += n
        return k / self.rate_hz

    def _observe(self, d: float, host_s: float) -> None:
        cfg = self.config
        stepped = self._stepped_ahead(d, host_s)
        if self._holding:
            self._note_latency(d, host_s)
        if self._fresh:
            self._start_segment(d, host_s)
            return
        residual = host_s - (self._offset_s + self._slope * d)
        if self.uses_device_time:
            # held: a point far below the line is on time after late ones, unless the
            # device clock itself stepped ahead
            ahead = stepped if self._holding else residual < -cfg.jump_s
            if ahead or self._jumped_back(residual, host_s):
                self._start_segment(d, host_s)  # the device clock jumped (reboot, bad wrap)
                return
            if residual > cfg.jump_s:
                return  # delivered late by a stalled link or host: not an envelope point
        self._points.append(d, host_s)
        while self._points and self._points.last_d() - self._points.first_d() > cfg.window_s:
            self._points.popleft()
        self._since_fit += 1
        n = len(self._points)
        # held device time: a point below the line is on time after late ones; lower it now
        lowered = self._holding and self.uses_device_time and residual < -cfg.settle_drop_s
        if (
            lowered
            or self._since_fit >= cfg.refit_every
            or (n < cfg.refit_every and n & (n - 1) == 0)
        ):
            self._fit()  # every refit_every points, and at 2, 4, 8, 16 while a segment is young

    def _jumped_back(self, residual: float, host_s: float) -> bool:
        """True when a device-time point ``stall_s`` above the line is a clock that jumped back.

        A host or link that stalled delivers its backlog in a burst, so the lateness
        shrinks quickly; a clock that jumped back stays late by the same amount. Only a
        lateness beyond ``stall_s`` that holds steady (within ``loss_spread_s``) for
        ``confirm_s`` is a jump.
        """
        cfg = self.config
        if residual <= cfg.stall_s:
            self._jump = None
            return False
        if self._jump is None:
            self._jump = (host_s, residual, residual)
            return False
        since_s, least, most = self._jump
        least, most = min(least, residual), max(most, residual)
        if most - least > cfg.loss_spread_s:
            self._jump = (host_s, residual, residual)  # a draining backlog: watch afresh
            return False
        if host_s - since_s >= cfg.confirm_s:
            self._jump = None
            return True
        self._jump = (since_s, least, most)
        return False

    def _stepped_ahead(self, d: float, host_s: float) -> bool:
        """True when the sample clock moved ``jump_s`` further than the host clock.

        Since the previous notification; this one becomes the previous.
        """
        prev, self._prev = self._prev, (d, host_s)
        return prev is not None and (d - prev[0]) - (host_s - prev[1]) > self.config.jump_s

    def _note_latency(self, d: float, host_s: float) -> None:
        """Held start: when did a receipt last lower the least latency seen (see settled())."""
        lat = host_s - self._slope * d
        if lat < self._least_lat - self.config.settle_drop_s or self._fresh:
            self._lowered_at = host_s
        self._least_lat = min(self._least_lat, lat) if not self._fresh else lat
        self._last_rx = host_s

    def _start_segment(self, d: float, host_s: float) -> None:
        if self._holding and self.segments > 0:
            self._fits[self.segments] = (self._offset_s, self._slope)
        self.segments += 1
        self._fresh = False
        self._points.clear()
        self._points.append(d, host_s)
        if self.segments == 1:
            self._slope = 1.0  # the drift estimate survives later segments
        self._offset_s = host_s - self._slope * d
        self._since_fit = 0

    def _fit(self) -> None:
        cfg = self.config
        self._since_fit = 0
        d, h = self._points.arrays()
        lat = h - d
        span = d[-1] - d[0]
        min_span = cfg.min_span_s if self.uses_device_time else cfg.min_span_count_s
        slope = self._slope
        fitted = span >= min_span and len(d) >= 2 * cfg.bins
        if fitted:
            bd, bl = _bin_minima(d, lat, cfg.bins)
            if len(bd) >= 3:
                ppm = cfg.max_drift_ppm if self.uses_device_time else cfg.max_rate_error_ppm
                limit = ppm * 1e-6
                rise = envelope_slope(bd, bl)
                slope = 1.0 + min(max(rise, -limit), limit)
        self._slope = slope
        if self.uses_device_time:
            # the line under the points of the whole window (latency only adds): their least
            # residual. Before the slope is fitted b = 1, off by the crystal's drift only
            # (≤ 50 ppm: 3 ms over the 60 s window), so old points are as good as new ones
            # and a host that falls behind cannot drag the line along.
            self._offset_s = float(np.min(h - slope * d))
            return
        # host time only: a steady lateness may be lost samples or a congested host, which
        # no line can tell apart; a low quantile of the recent points follows both
        recent = slice(max(0, len(d) - cfg.offset_points), len(d))
        offsets = h[recent] - slope * d[recent]
        q = cfg.offset_quantile if offsets.size >= 20 else 0.0
        self._offset_s = float(np.quantile(offsets, q))


def catch_up(
    line_s: FloatArray, last_out_s: float, first_step_s: float, spacing: float
) -> FloatArray:
    """Output times of samples whose clock line is ``line_s`` (s, increasing).

    ``t[i] = max(line[i], t[i-1] + step[i])`` with ``t[-1] = last_out_s``; ``step[i]`` is
    ``spacing`` times the line's own step (``first_step_s`` for the first; NaN: none), and
    at least ``MIN_STEP_S``. On or above the line the samples are placed on it; behind it
    they keep that share of their spacing until they reach it again.
    """
    line_step = np.concatenate(([first_step_s], np.diff(line_s)))
    step = np.maximum(np.nan_to_num(spacing * line_step, nan=MIN_STEP_S), MIN_STEP_S)
    c = np.cumsum(step)
    # t[i] − c[i] = max(line[i] − c[i], t[i−1] − c[i−1]): a running maximum
    on_line = line_s - c
    u = on_line.copy()
    u[0] = max(u[0], last_out_s + step[0] - c[0])
    m = np.maximum.accumulate(u)
    return np.where(m == on_line, line_s, c + m)


def _bin_minima(d: FloatArray, lat: FloatArray, bins: int) -> tuple[FloatArray, FloatArray]:
    """The least-latency point of each of ``bins`` equal spans of ``d`` (``d`` increasing)."""
    edges = np.linspace(d[0], d[-1], bins + 1)
    idx = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, bins - 1)
    starts, ends, _ = value_runs(idx)
    pick = [a + int(np.argmin(lat[a:b])) for a, b in zip(starts, ends, strict=True)]
    return d[pick], lat[pick]


def envelope_slope(x: FloatArray, y: FloatArray) -> float:
    """Slope of the tightest line under the points ``(x, y)`` (``x`` increasing).

    Among the lines below every point, the one with the least summed height under them is
    the edge of the lower convex hull above the mean ``x``: it rests on the lowest points
    on both sides of the middle, so points lifted by a congested host (latency only adds)
    neither tilt nor lift it, unlike a regression through per-bin minima.
    """
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b if it lies on or above the segment a → i
            if (y[b] - y[a]) * (x[i] - x[a]) >= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    if len(hull) < 2:
        return 0.0
    mid = float(np.mean(x))
    for a, b in itertools.pairwise(hull):
        if x[b] >= mid:
            return float((y[b] - y[a]) / (x[b] - x[a]))
    a, b = hull[-2], hull[-1]
    return float((y[b] - y[a]) / (x[b] - x[a]))
