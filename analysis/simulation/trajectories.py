"""Scalar trajectories (joint angles, blend weights) with analytic first and second derivatives.

Every trajectory maps times ``t_s`` (seconds, any shape) to a :class:`Motion`: the value, its
rate and its acceleration, all computed in closed form so that the simulator never needs finite
differences (the physics tests use finite differences as the independent check). Values are in
radians for joint angles (rate in rad/s, acceleration in rad/s²); dimensionless quantities such
as blend weights use the same containers.

Building blocks:

- :class:`Keyframes`: key poses joined by minimum-jerk transitions (Flash & Hogan 1985), at rest
  at every key, constant before the first and after the last key;
- :class:`SumOfSines`: postural sway and smooth tremor (a few sinusoids, seeded by the caller);
- :class:`Windowed`: any trajectory switched on and off with smooth minimum-jerk gates
  (e.g. a sinusoidal oscillation during one exercise only);
- :class:`Sum` and :class:`Combination`: sums and linear combinations (e.g. a stance ankle that
  keeps the foot flat is ``tilt − hip + knee``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "Combination",
    "Constant",
    "Keyframes",
    "Motion",
    "Sum",
    "SumOfSines",
    "Trajectory",
    "Windowed",
    "minimum_jerk",
    "oscillation",
]


@dataclass(frozen=True)
class Motion:
    """A scalar trajectory sampled at some times: value, rate and acceleration.

    For joint angles the units are rad, rad/s and rad/s²; the arrays share one shape.
    """

    angle_rad: FloatArray
    rate_rad_s: FloatArray
    accel_rad_s2: FloatArray

    def __add__(self, other: Motion) -> Motion:
        """The sum of two motions, component by component."""
        return Motion(
            self.angle_rad + other.angle_rad,
            self.rate_rad_s + other.rate_rad_s,
            self.accel_rad_s2 + other.accel_rad_s2,
        )

    def scaled(self, factor: float) -> Motion:
        """The motion multiplied by a constant ``factor``."""
        return Motion(factor * self.angle_rad, factor * self.rate_rad_s, factor * self.accel_rad_s2)

    @staticmethod
    def zeros(shape: tuple[int, ...]) -> Motion:
        """A motion that is zero everywhere."""
        return Motion(np.zeros(shape), np.zeros(shape), np.zeros(shape))


def minimum_jerk(s: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Minimum-jerk profile ``p(s) = 10 s³ − 15 s⁴ + 6 s⁵`` and its first two derivatives in ``s``.

    ``s`` is clipped to [0, 1], so the profile is 0 before and 1 after, with zero slope and
    curvature at both ends (the transition starts and ends at rest).
    """
    x = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
    x2 = x * x
    p = x2 * x * (10.0 + x * (-15.0 + 6.0 * x))
    dp = 30.0 * x2 * (1.0 - x) ** 2
    ddp = 60.0 * x * (1.0 - x) * (1.0 - 2.0 * x)
    return p, dp, ddp


class Trajectory(ABC):
    """A scalar function of time with analytic derivatives."""

    @property
    def support_s(self) -> tuple[float, float]:
        """Interval outside which the trajectory is exactly zero (default: everywhere)."""
        return (-math.inf, math.inf)

    @abstractmethod
    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""


@dataclass(frozen=True, eq=False)
class Constant(Trajectory):
    """A constant value (rad); rate and acceleration are zero."""

    angle_rad: float = 0.0

    @property
    def support_s(self) -> tuple[float, float]:
        """Interval outside which the trajectory is exactly zero."""
        return (-math.inf, math.inf) if self.angle_rad != 0.0 else (0.0, 0.0)

    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""
        t = np.asarray(t_s, dtype=np.float64)
        return Motion(np.full(t.shape, self.angle_rad), np.zeros(t.shape), np.zeros(t.shape))


class Keyframes(Trajectory):
    """Key values joined by minimum-jerk transitions, at rest at every key.

    Parameters
    ----------
    times_s
        Strictly increasing key times (seconds).
    angles_rad
        The value at each key (rad for joint angles). Between keys ``i`` and ``i + 1`` the value
        follows ``v_i + (v_{i+1} − v_i) p((t − t_i) / (t_{i+1} − t_i))`` with the minimum-jerk
        profile ``p``; before the first key and after the last it is constant.
    """

    def __init__(self, times_s: ArrayLike, angles_rad: ArrayLike) -> None:
        t = np.asarray(times_s, dtype=np.float64).ravel()
        v = np.asarray(angles_rad, dtype=np.float64).ravel()
        if t.shape != v.shape or t.size == 0:
            raise ValueError(f"need as many key times as values (≥ 1), got {t.size} and {v.size}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
            raise ValueError("key times and values must be finite")
        if np.any(np.diff(t) <= 0):
            raise ValueError("key times must be strictly increasing")
        self.times_s = t
        self.angles_rad = v

    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""
        t = np.asarray(t_s, dtype=np.float64)
        keys, vals = self.times_s, self.angles_rad
        if keys.size == 1:
            return Constant(float(vals[0])).evaluate(t)
        i = np.clip(np.searchsorted(keys, t, side="right") - 1, 0, keys.size - 2)
        t0, t1 = keys[i], keys[i + 1]
        v0, dv = vals[i], vals[i + 1] - vals[i]
        span = t1 - t0
        p, dp, ddp = minimum_jerk((t - t0) / span)
        return Motion(v0 + dv * p, dv * dp / span, dv * ddp / (span * span))


class SumOfSines(Trajectory):
    """``Σ a_k sin(2π f_k t + φ_k)``: smooth sway or tremor with analytic derivatives."""

    def __init__(
        self,
        amplitudes_rad: ArrayLike,
        *,
        frequencies_hz: ArrayLike,
        phases_rad: ArrayLike,
    ) -> None:
        a = np.asarray(amplitudes_rad, dtype=np.float64).ravel()
        f = np.asarray(frequencies_hz, dtype=np.float64).ravel()
        ph = np.asarray(phases_rad, dtype=np.float64).ravel()
        if not (a.shape == f.shape == ph.shape):
            raise ValueError("amplitudes, frequencies and phases need the same length")
        self.amplitudes_rad = a
        self.frequencies_hz = f
        self.phases_rad = ph

    @property
    def support_s(self) -> tuple[float, float]:
        """Interval outside which the trajectory is exactly zero."""
        return (-math.inf, math.inf) if np.any(self.amplitudes_rad != 0) else (0.0, 0.0)

    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""
        t = np.asarray(t_s, dtype=np.float64)
        out = Motion.zeros(t.shape)
        for a, f, ph in zip(self.amplitudes_rad, self.frequencies_hz, self.phases_rad, strict=True):
            if a == 0.0:
                continue
            w = 2.0 * math.pi * f
            arg = w * t + ph
            s, c = np.sin(arg), np.cos(arg)
            out = out + Motion(a * s, a * w * c, -a * w * w * s)
        return out


class Windowed(Trajectory):
    """A trajectory multiplied by a smooth gate that is 1 inside ``windows`` and 0 outside.

    Each window ``(start_s, end_s)`` rises over ``[start_s, start_s + ramp_s]`` and falls over
    ``[end_s − ramp_s, end_s]`` with minimum-jerk ramps, so the product keeps continuous first
    and second derivatives. Windows must be sorted, non-overlapping and at least ``2 ramp_s``
    long.
    """

    def __init__(
        self, part: Trajectory, windows: Sequence[tuple[float, float]], *, ramp_s: float
    ) -> None:
        if not ramp_s > 0:
            raise ValueError(f"ramp_s must be > 0, got {ramp_s}")
        w = np.asarray(windows, dtype=np.float64).reshape(-1, 2)
        if np.any(w[:, 1] - w[:, 0] < 2.0 * ramp_s - 1e-12):
            raise ValueError("every window must be at least 2 * ramp_s long")
        if w.shape[0] > 1 and np.any(w[1:, 0] < w[:-1, 1]):
            raise ValueError("windows must be sorted and must not overlap")
        self.part = part
        self.windows_s = w
        self.ramp_s = float(ramp_s)

    @property
    def support_s(self) -> tuple[float, float]:
        """Interval outside which the trajectory is exactly zero."""
        if self.windows_s.shape[0] == 0:
            return (0.0, 0.0)
        return (float(self.windows_s[0, 0]), float(self.windows_s[-1, 1]))

    def gate(self, t_s: ArrayLike) -> Motion:
        """The gate alone (dimensionless value, 1/s, 1/s²)."""
        t = np.asarray(t_s, dtype=np.float64)
        out = Motion.zeros(t.shape)
        if t.size == 0 or self.windows_s.shape[0] == 0:
            return out
        lo, hi = float(np.min(t)), float(np.max(t))
        first = int(np.searchsorted(self.windows_s[:, 1], lo, side="left"))
        last = int(np.searchsorted(self.windows_s[:, 0], hi, side="right"))
        r = self.ramp_s
        for start, end in self.windows_s[first:last]:
            up, dup, ddup = minimum_jerk((t - start) / r)
            down, ddown, dddown = minimum_jerk((end - t) / r)
            out = out + Motion(
                up * down,
                (dup * down - up * ddown) / r,
                (ddup * down - 2.0 * dup * ddown + up * dddown) / (r * r),
            )
        return out

    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""
        t = np.asarray(t_s, dtype=np.float64)
        g = self.gate(t)
        if not np.any(g.angle_rad) and not np.any(g.rate_rad_s) and not np.any(g.accel_rad_s2):
            return Motion.zeros(t.shape)
        p = self.part.evaluate(t)
        return Motion(
            g.angle_rad * p.angle_rad,
            g.rate_rad_s * p.angle_rad + g.angle_rad * p.rate_rad_s,
            g.accel_rad_s2 * p.angle_rad
            + 2.0 * g.rate_rad_s * p.rate_rad_s
            + g.angle_rad * p.accel_rad_s2,
        )


def oscillation(
    *,
    amplitude_rad: float,
    frequency_hz: float,
    start_s: float,
    end_s: float,
    ramp_s: float,
    phase_rad: float = 0.0,
) -> Windowed:
    """A sinusoid ``amplitude · sin(2π f (t − start) + phase)`` active in ``[start_s, end_s]``."""
    phase = phase_rad - 2.0 * math.pi * frequency_hz * start_s
    sine = SumOfSines([amplitude_rad], frequencies_hz=[frequency_hz], phases_rad=[phase])
    return Windowed(sine, [(start_s, end_s)], ramp_s=ramp_s)


class Sum(Trajectory):
    """The sum of several trajectories (parts whose support misses the times are skipped)."""

    def __init__(self, parts: Sequence[Trajectory]) -> None:
        self.parts = tuple(parts)

    @property
    def support_s(self) -> tuple[float, float]:
        """Interval outside which the trajectory is exactly zero."""
        spans = [p.support_s for p in self.parts if p.support_s[0] < p.support_s[1]]
        if not spans:
            return (0.0, 0.0)
        return (min(s[0] for s in spans), max(s[1] for s in spans))

    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""
        t = np.asarray(t_s, dtype=np.float64)
        out = Motion.zeros(t.shape)
        if t.size == 0:
            return out
        lo, hi = float(np.min(t)), float(np.max(t))
        for part in self.parts:
            a, b = part.support_s
            if b <= lo or a > hi or a >= b:
                continue
            out = out + part.evaluate(t)
        return out


class Combination(Trajectory):
    """``constant + Σ factor_i · trajectory_i`` (exact: derivatives combine linearly)."""

    def __init__(
        self, terms: Sequence[tuple[float, Trajectory]], *, constant_rad: float = 0.0
    ) -> None:
        self.terms = tuple((float(f), tr) for f, tr in terms)
        self.constant_rad = float(constant_rad)

    def evaluate(self, t_s: ArrayLike) -> Motion:
        """Value, rate and acceleration at times ``t_s`` (seconds)."""
        t = np.asarray(t_s, dtype=np.float64)
        out = Constant(self.constant_rad).evaluate(t)
        for factor, tr in self.terms:
            if factor != 0.0:
                out = out + tr.evaluate(t).scaled(factor)
        return out
