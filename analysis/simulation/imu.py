"""Synthesis of IMU samples from the kinematic chain: signals, sensor errors, clocks and dropouts.

A sensor strapped to segment B at site ``r_B`` with mounting ``q_S_B`` (segment → sensor
coordinates) measures, in its own frame S:

- angular rate ``ω_S = R_S_E ω`` (rad/s);
- specific force ``f_S = R_S_E (a_E + g ẑ)`` (m/s²), so a sensor at rest reads +9.80665 on the
  axis pointing up (``analysis.recording.schema.GRAVITY_M_S2``);
- optionally the magnetic field ``m_S = R_S_E m_E`` (µT) of a constant earth field in ENU.

Soft-tissue wobble rotates the sensor relative to the segment by small Z-X'-Y'' angles ``w``
about a pivot ``pivot_depth_m`` under the skin; each angle is a damped oscillator driven by the
segment's angular acceleration (in segment coordinates)::

    ẅ + 2 ζ ω_n ẇ + ω_n² w = −ω_n² d α_B          (d = static_deflection_s2)

solved exactly for piecewise-linear input on the sensor's own sample grid (first-order-hold
discretisation, ``scipy.signal``), so ``w``, ``ẇ`` and ``ẅ`` are consistent and gyro and
accelerometer see the same wobble.

Errors (all seeded, all off in :meth:`ImuErrorModel.perfect`): white noise, a constant bias drawn
per sensor plus a bias random walk (knots every second, linear in between), a magnetometer
offset, a crystal frequency error (ppm) and a start offset of each sensor's sample clock,
time-stamp jitter, and dropped samples (single and short bursts); optionally (off by default)
a per-sensor sensitivity matrix for each of gyroscope and accelerometer — scale-factor error on
the diagonal, cross-axis sensitivity (axis non-orthogonality) off it — drawn from a stream of
its own, so switching it on changes no other value. Random numbers come from
fixed blocks of 4096 samples seeded by ``(seed, placement, stream, block)``, so any chunking of
a session gives the same samples.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from analysis.angles import rotations
from analysis.errors import ConfigError
from analysis.recording.runs import true_intervals
from analysis.recording.schema import GRAVITY_M_S2, PLACEMENTS
from analysis.simulation.body import SEGMENT_OF_PLACEMENT, BodyModel
from analysis.simulation.chain import (
    ChainEvaluation,
    FrameMotion,
    KinematicModel,
    PointMotion,
    offset_point,
    rotate_frame,
)
from analysis.simulation.trajectories import Motion

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = [
    "SENSITIVITY_FIELDS",
    "ImuErrorModel",
    "SensorParameters",
    "SensorSamples",
    "SensorSynthesizer",
    "SoftTissueModel",
    "draw_sensitivity_matrices",
    "draw_sensor_parameters",
    "sensitivity_matrix",
]

BLOCK_SAMPLES: Final = 4096
"""Random numbers are drawn per block of this many samples (chunking-independent)."""

BIAS_KNOT_S: Final = 1.0
"""Spacing of the bias random-walk knots (seconds, rounded to whole samples)."""

ACC_BIAS_WALK_SPAN_S: Final = 3600.0
"""The accelerometer bias walks for this long from the start, then stays (s): a worn part's
offset drifts with its warming, which is bounded (a few kelvin at about 1 mg/K), not as a
√t without end; an hour of the nominal walk is 6 mg (docs/simulator.md). Sessions up to an
hour are drawn as before."""

_STREAM_CONSTANTS, _STREAM_ACC, _STREAM_GYR, _STREAM_MAG = 0, 1, 2, 3
_STREAM_JITTER, _STREAM_DROPS, _STREAM_BIAS_WALK = 4, 5, 6
_STREAM_SENSITIVITY = 7

SENSITIVITY_FIELDS: Final = (
    "gyr_scale_sigma",
    "acc_scale_sigma",
    "gyr_cross_axis_sigma",
    "acc_cross_axis_sigma",
)
"""The :class:`ImuErrorModel` fields of the sensitivity matrices (all 0: none applied)."""

WOBBLE_SEGMENT_FACTOR: Final = {
    "pelvis": 0.5,
    "trunk": 0.5,
    "head": 0.2,
    "thigh": 1.0,
    "shank": 0.7,
    "foot": 0.3,
}
"""Relative amount of soft tissue under each sensor site (thigh = 1; an estimate)."""


def _deg(x: float) -> float:
    return math.radians(x)


@dataclass(frozen=True, kw_only=True)
class SoftTissueModel:
    """Damped rotation of the sensor relative to its segment, excited by segment motion.

    Parameters
    ----------
    natural_frequency_hz
        Undamped natural frequency of the strap/tissue oscillator.
    damping_ratio
        ζ of the oscillator (0 < ζ).
    static_deflection_s2
        Steady wobble angle (rad) per rad/s² of segment angular acceleration, at the thigh
        (other segments scaled by ``WOBBLE_SEGMENT_FACTOR``). 0 disables the wobble.
    pivot_depth_m
        Depth under the skin of the point the sensor rocks about.
    """

    natural_frequency_hz: float = 12.0
    damping_ratio: float = 0.3
    static_deflection_s2: float = 3e-4
    pivot_depth_m: float = 0.02

    @property
    def enabled(self) -> bool:
        """Whether the wobble does anything."""
        return self.static_deflection_s2 != 0.0


@dataclass(frozen=True, kw_only=True)
class ImuErrorModel:
    """Every sensor error of the simulator, explicit and seeded (defaults: a consumer MEMS IMU).

    Noise densities follow the Bosch BMI160 datasheet (gyro 0.007 °/s/√Hz, accelerometer
    180 µg/√Hz); white-noise standard deviations are ``density · √(rate_hz / 2)``. Per-sensor
    constants are drawn once: biases ``N(0, sigma)`` per axis, clock error ``N(0, sigma_ppm)``,
    start offset ``U(0, start_offset_max_s)``. The sensitivity terms (``*_scale_sigma``: relative
    scale-factor error per axis; ``*_cross_axis_sigma``: cross-axis sensitivity per off-diagonal
    element, a fraction ≈ a small misalignment angle in rad) are 0 by default;
    :meth:`commodity` sets them and the offsets from commodity datasheets. See
    docs/simulator.md for every source.
    """

    gyr_noise_density_rad_s_sqrt_hz: float = _deg(0.007)
    acc_noise_density_m_s2_sqrt_hz: float = 180e-6 * GRAVITY_M_S2
    mag_noise_ut: float = 0.3
    gyr_bias_sigma_rad_s: float = _deg(1.0)
    gyr_bias_walk_rad_s_sqrt_s: float = _deg(0.005)
    acc_bias_sigma_m_s2: float = 0.013 * GRAVITY_M_S2
    acc_bias_walk_m_s2_sqrt_s: float = 1e-4 * GRAVITY_M_S2
    mag_bias_sigma_ut: float = 1.0
    clock_drift_sigma_ppm: float = 30.0
    start_offset_max_s: float = 0.05
    jitter_sigma_s: float = 3e-4
    drop_probability: float = 2e-4
    burst_rate_per_min: float = 0.5
    burst_max_samples: int = 8
    wobble: SoftTissueModel = field(default_factory=SoftTissueModel)
    gyr_scale_sigma: float = 0.0
    acc_scale_sigma: float = 0.0
    gyr_cross_axis_sigma: float = 0.0
    acc_cross_axis_sigma: float = 0.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if name == "wobble":
                continue
            if not (np.isfinite(value) and value >= 0):
                raise ConfigError(f"ImuErrorModel.{name} must be finite and ≥ 0, got {value!r}")
        if self.drop_probability >= 0.5:
            raise ConfigError(
                f"ImuErrorModel.drop_probability must be < 0.5, got {self.drop_probability}"
            )
        if self.burst_max_samples < 2 or self.burst_max_samples > BLOCK_SAMPLES // 2:
            raise ConfigError(
                f"ImuErrorModel.burst_max_samples must be 2…{BLOCK_SAMPLES // 2}, got "
                f"{self.burst_max_samples}"
            )
        w = self.wobble
        if not (w.natural_frequency_hz > 0 and w.damping_ratio > 0):
            raise ConfigError(
                "SoftTissueModel needs natural_frequency_hz > 0 and damping_ratio > 0"
            )
        if not (w.static_deflection_s2 >= 0 and w.pivot_depth_m >= 0):
            raise ConfigError(
                "SoftTissueModel needs static_deflection_s2 ≥ 0 and pivot_depth_m ≥ 0"
            )

    @property
    def has_sensitivity_errors(self) -> bool:
        """Whether any scale-factor or cross-axis term is switched on."""
        return any(getattr(self, name) > 0 for name in SENSITIVITY_FIELDS)

    @classmethod
    def commodity(cls) -> ImuErrorModel:
        """The defaults with the offsets and sensitivity errors of commodity MEMS datasheets.

        Per axis (1 σ; docs/simulator.md gives the datasheet lines): zero-rate offset 3 °/s,
        zero-g offset 40 mg, scale-factor error 1 % (gyroscope and accelerometer), cross-axis
        sensitivity 1 % per off-diagonal element (≈ 0.57° axis misalignment).
        """
        return with_preset(cls(), "commodity")

    @classmethod
    def perfect(cls) -> ImuErrorModel:
        """No noise, bias, clock error, jitter, dropout or wobble: the ideal sensor."""
        return cls(
            gyr_noise_density_rad_s_sqrt_hz=0.0,
            acc_noise_density_m_s2_sqrt_hz=0.0,
            mag_noise_ut=0.0,
            gyr_bias_sigma_rad_s=0.0,
            gyr_bias_walk_rad_s_sqrt_s=0.0,
            acc_bias_sigma_m_s2=0.0,
            acc_bias_walk_m_s2_sqrt_s=0.0,
            mag_bias_sigma_ut=0.0,
            clock_drift_sigma_ppm=0.0,
            start_offset_max_s=0.0,
            jitter_sigma_s=0.0,
            drop_probability=0.0,
            burst_rate_per_min=0.0,
            wobble=SoftTissueModel(static_deflection_s2=0.0),
        )


COMMODITY_ERRORS: Final = {
    "gyr_bias_sigma_rad_s": _deg(3.0),
    "acc_bias_sigma_m_s2": 0.040 * GRAVITY_M_S2,
    "gyr_scale_sigma": 0.01,
    "acc_scale_sigma": 0.01,
    "gyr_cross_axis_sigma": 0.01,
    "acc_cross_axis_sigma": 0.01,
}
"""The "commodity" preset: per-axis 1-σ values read from commodity IMU datasheets."""

ERROR_PRESETS: Final = ("commodity",)


def with_preset(errors: ImuErrorModel, name: str) -> ImuErrorModel:
    """``errors`` with a named preset (:data:`ERROR_PRESETS`) applied on top.

    The preset's offsets (bias σ) and sensitivity terms replace those of ``errors``; noise,
    bias walk, clocks, dropouts and wobble stay as they were.
    """
    if name not in ERROR_PRESETS:
        raise ConfigError(f"unknown IMU error preset {name!r}; expected one of {ERROR_PRESETS}")
    return dataclasses.replace(errors, **COMMODITY_ERRORS)


def sensitivity_matrix(scale: FloatArray, cross_axis: FloatArray) -> FloatArray:
    """``M = I + diag(scale) + C``: a sensor reads ``M @ true`` (before offset and noise).

    ``scale`` (3,) are relative scale-factor errors (0.02: axis reads 2 % high); ``cross_axis``
    (3, 3) are cross-axis sensitivities, ``C[i, j]`` the share of the true component ``j``
    that axis ``i`` picks up (a misalignment of axis ``i`` towards ``j`` by ≈ ``C[i, j]`` rad);
    its diagonal is ignored.
    """
    c = np.array(cross_axis, dtype=np.float64)
    np.fill_diagonal(c, 0.0)
    return np.eye(3) + np.diag(np.asarray(scale, dtype=np.float64)) + c


def draw_sensitivity_matrices(
    seed: int, placement: str, errors: ImuErrorModel
) -> tuple[FloatArray, FloatArray] | None:
    """The (accelerometer, gyroscope) sensitivity matrices of one sensor, or None if off.

    Drawn from a stream of their own (``N(0, sigma)`` per element), so they change no other
    random number of the session.
    """
    if not errors.has_sensitivity_errors:
        return None
    z = _rng(seed, placement, _STREAM_SENSITIVITY).standard_normal((2, 3, 3))
    acc = sensitivity_matrix(
        np.diag(z[0]) * errors.acc_scale_sigma, z[0] * errors.acc_cross_axis_sigma
    )
    gyr = sensitivity_matrix(
        np.diag(z[1]) * errors.gyr_scale_sigma, z[1] * errors.gyr_cross_axis_sigma
    )
    return acc, gyr


@dataclass(frozen=True)
class SensorParameters:
    """The constants of one simulated sensor (drawn once per seed and placement).

    ``q_S_B`` is the mounting (segment → sensor coordinates, scalar-first); ``site_m`` the
    sensor position and ``skin_normal`` the outward normal, both in the segment frame.
    """

    placement: str
    q_S_B: FloatArray
    site_m: FloatArray
    skin_normal: FloatArray
    gyr_bias_rad_s: FloatArray
    acc_bias_m_s2: FloatArray
    mag_bias_ut: FloatArray
    clock_drift_ppm: float
    start_offset_s: float


def _rng(seed: int, placement: str, stream: int, block: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, PLACEMENTS.index(placement), stream, block])


def draw_sensor_parameters(
    placement: str,
    *,
    seed: int,
    errors: ImuErrorModel,
    body: BodyModel,
    mounting: Literal["random", "aligned"],
    site_jitter_m: float = 0.01,
) -> SensorParameters:
    """Draw the mounting, site offset, biases and clock error of one sensor.

    The draws happen in a fixed order whatever the options, so switching ``mounting`` or an
    error term changes only that term. A random mounting is uniform over all rotations
    (normalised 4-D Gaussian); the site moves by ``N(0, site_jitter_m)`` per axis.
    """
    if placement not in PLACEMENTS:
        raise ConfigError(f"unknown placement {placement!r}; expected one of {PLACEMENTS}")
    rng = _rng(seed, placement, _STREAM_CONSTANTS)
    q_random = rotations.normalize(rng.standard_normal(4))
    site_offset = rng.standard_normal(3) * site_jitter_m
    gyr_b = rng.standard_normal(3)
    acc_b = rng.standard_normal(3)
    mag_b = rng.standard_normal(3)
    drift = float(rng.standard_normal())
    start = float(rng.random())
    if q_random[0] < 0:
        q_random = -q_random
    site, normal = body.sensor_site_m(placement)
    return SensorParameters(
        placement=placement,
        q_S_B=q_random if mounting == "random" else np.array([1.0, 0.0, 0.0, 0.0]),
        site_m=site + site_offset,
        skin_normal=normal,
        gyr_bias_rad_s=gyr_b * errors.gyr_bias_sigma_rad_s,
        acc_bias_m_s2=acc_b * errors.acc_bias_sigma_m_s2,
        mag_bias_ut=mag_b * errors.mag_bias_sigma_ut,
        clock_drift_ppm=drift * errors.clock_drift_sigma_ppm,
        start_offset_s=start * errors.start_offset_max_s,
    )


@dataclass(frozen=True)
class SensorSamples:
    """Samples of one sensor for a range of its sample counter, with their ground truth.

    ``index`` is the device sample counter (``device_ticks``) of every *delivered* sample;
    ``t_s`` the recorded time stamp (true instant + jitter), ``t_true_s`` the true sampling
    instant. Signals are in the sensor frame; ``q_E_S`` is the true sensor orientation
    (including wobble), ``q_E_B`` the true segment orientation, ``p_E_m`` the sensor position.
    """

    placement: str
    index: IntArray
    t_s: FloatArray
    t_true_s: FloatArray
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_ut: FloatArray | None
    q_E_S: FloatArray
    q_E_B: FloatArray
    p_E_m: FloatArray
    gyr_bias_rad_s: FloatArray
    acc_bias_m_s2: FloatArray


class SensorSynthesizer:
    """Generates one sensor's samples on demand, for any range of its sample counter.

    The soft-tissue filter state is carried between calls: consecutive ranges cost O(range);
    any other access order recomputes from the last state (or from the start), with identical
    results. Sample ``n`` is taken at ``t_true = start_offset + n · T`` with
    ``T = 1 / (rate_hz (1 + ppm · 1e-6))`` and stamped ``t_s = t_true + jitter``.
    """

    def __init__(
        self,
        params: SensorParameters,
        *,
        model: KinematicModel,
        errors: ImuErrorModel,
        rate_hz: float,
        seed: int,
        duration_s: float,
        with_mag: bool = False,
        mag_field_E_ut: tuple[float, float, float] = (0.0, 20.0, -44.0),
    ) -> None:
        self.params = params
        self.placement = params.placement
        self.segment = SEGMENT_OF_PLACEMENT[params.placement]
        self.model = model
        self.errors = errors
        self.rate_hz = float(rate_hz)
        self.seed = int(seed)
        self.duration_s = float(duration_s)
        self.with_mag = with_mag
        self.mag_field_E_ut = np.asarray(mag_field_E_ut, dtype=np.float64)
        self.period_s = 1.0 / (self.rate_hz * (1.0 + params.clock_drift_ppm * 1e-6))
        self.n_total = max(
            0, math.ceil((self.duration_s - params.start_offset_s) / self.period_s) + 2
        )
        self._jitter_clip_s = 0.4 * self.period_s
        self._knot_step = max(1, round(BIAS_KNOT_S * self.rate_hz))
        self._gyr_knots, self._acc_knots = self._bias_knots()
        name = self.segment.removeprefix("left_").removeprefix("right_")
        self._wobble_gain = errors.wobble.static_deflection_s2 * WOBBLE_SEGMENT_FACTOR[name]
        self._filters = self._design_wobble_filter() if self._wobble_gain > 0 else None
        self._state_n = 0
        self._zi: tuple[FloatArray, FloatArray] | None = None
        self.sensitivity = draw_sensitivity_matrices(self.seed, self.placement, errors)
        """(accelerometer, gyroscope) ``M`` of :func:`sensitivity_matrix`, None when off."""

    # --- randomness --------------------------------------------------------------------------

    def _block_normals(self, stream: int, n0: int, n1: int, dim: int) -> FloatArray:
        out = np.empty((max(0, n1 - n0), dim))
        b0, b1 = n0 // BLOCK_SAMPLES, (n1 - 1) // BLOCK_SAMPLES
        for b in range(b0, b1 + 1) if n1 > n0 else ():
            block = _rng(self.seed, self.placement, stream, b).standard_normal((BLOCK_SAMPLES, dim))
            lo, hi = max(n0, b * BLOCK_SAMPLES), min(n1, (b + 1) * BLOCK_SAMPLES)
            out[lo - n0 : hi - n0] = block[lo - b * BLOCK_SAMPLES : hi - b * BLOCK_SAMPLES]
        return out

    def _block_drops(self, b: int) -> tuple[NDArray[np.bool_], list[tuple[int, int]]]:
        """Single drops of block ``b`` and its bursts as (first index, length)."""
        rng = _rng(self.seed, self.placement, _STREAM_DROPS, b)
        singles = rng.random(BLOCK_SAMPLES) < self.errors.drop_probability
        per_sample = self.errors.burst_rate_per_min / 60.0 / self.rate_hz
        n_bursts = int(rng.poisson(per_sample * BLOCK_SAMPLES))
        starts = rng.integers(0, BLOCK_SAMPLES, size=n_bursts)
        lengths = rng.integers(2, self.errors.burst_max_samples + 1, size=n_bursts)
        bursts = [
            (int(b * BLOCK_SAMPLES + s), int(n)) for s, n in zip(starts, lengths, strict=True)
        ]
        return singles, bursts

    def dropped(self, n0: int, n1: int) -> NDArray[np.bool_]:
        """Which samples of ``[n0, n1)`` are lost on the way (True = dropped)."""
        mask = np.zeros(max(0, n1 - n0), dtype=bool)
        e = self.errors
        if n1 <= n0 or (e.drop_probability == 0 and e.burst_rate_per_min == 0):
            return mask
        b0, b1 = max(0, n0 // BLOCK_SAMPLES - 1), (n1 - 1) // BLOCK_SAMPLES
        for b in range(b0, b1 + 1):
            singles, bursts = self._block_drops(b)
            lo, hi = max(n0, b * BLOCK_SAMPLES), min(n1, (b + 1) * BLOCK_SAMPLES)
            if lo < hi:
                mask[lo - n0 : hi - n0] |= singles[lo - b * BLOCK_SAMPLES : hi - b * BLOCK_SAMPLES]
            for start, length in bursts:
                lo, hi = max(n0, start), min(n1, start + length)
                if lo < hi:
                    mask[lo - n0 : hi - n0] = True
        if n0 == 0 and mask.size:
            mask[0] = False  # the first sample always arrives: it marks the stream start
        return mask

    def _bias_knots(self) -> tuple[FloatArray, FloatArray]:
        """Bias random-walk values at knots every ``_knot_step`` samples (first = constant bias)."""
        n_knots = self.n_total // self._knot_step + 2
        rng = _rng(self.seed, self.placement, _STREAM_BIAS_WALK)
        steps = rng.standard_normal((n_knots - 1, 6))
        step_s = self._knot_step * self.period_s
        scale = np.sqrt(step_s) * np.repeat(
            [self.errors.gyr_bias_walk_rad_s_sqrt_s, self.errors.acc_bias_walk_m_s2_sqrt_s], 3
        )
        # step i moves knot i + 1; the accelerometer's stop one knot past its walk's span (a
        # fast clock's hour reaches that knot: an hour's session is drawn as before)
        last = int(np.ceil(ACC_BIAS_WALK_SPAN_S / step_s)) + 1
        scale = np.where((np.arange(6) >= 3) & (np.arange(1, n_knots)[:, None] > last), 0.0, scale)
        walk = np.vstack((np.zeros((1, 6)), np.cumsum(steps * scale, axis=0)))
        return self.params.gyr_bias_rad_s + walk[:, :3], self.params.acc_bias_m_s2 + walk[:, 3:]

    def _bias(self, knots: FloatArray, n: IntArray) -> FloatArray:
        j = np.minimum(n // self._knot_step, knots.shape[0] - 2)
        frac = ((n - j * self._knot_step) / self._knot_step)[:, None]
        return knots[j] + frac * (knots[j + 1] - knots[j])

    # --- time --------------------------------------------------------------------------------

    def true_times(self, n: IntArray) -> FloatArray:
        """True sampling instants (s) of sample counters ``n``."""
        return self.params.start_offset_s + n * self.period_s

    def recorded_times(self, n0: int, n1: int) -> FloatArray:
        """Recorded time stamps (s) of samples ``[n0, n1)``: true instant + clipped jitter."""
        n = np.arange(n0, n1, dtype=np.int64)
        t = self.true_times(n)
        if self.errors.jitter_sigma_s > 0 and n1 > n0:
            jit = self._block_normals(_STREAM_JITTER, n0, n1, 1)[:, 0] * self.errors.jitter_sigma_s
            t = t + np.clip(jit, -self._jitter_clip_s, self._jitter_clip_s)
        return t

    def index_range(self, start_s: float, end_s: float) -> tuple[int, int]:
        """Sample counters ``[n0, n1)`` whose recorded time lies in ``[start_s, end_s)``.

        The interval is clipped to the session ``[0, duration_s)``.
        """
        lo, hi = max(0.0, start_s), min(self.duration_s, end_s)
        if hi <= lo:
            n = max(
                0, min(self.n_total, math.ceil((lo - self.params.start_offset_s) / self.period_s))
            )
            return n, n
        a = max(0, math.floor((lo - self.params.start_offset_s) / self.period_s) - 1)
        b = min(self.n_total, math.ceil((hi - self.params.start_offset_s) / self.period_s) + 2)
        if b <= a:
            return a, a
        t = self.recorded_times(a, b)
        n0 = a + int(np.searchsorted(t, lo, side="left"))
        n1 = a + int(np.searchsorted(t, hi, side="left"))
        return n0, n1

    # --- soft tissue -------------------------------------------------------------------------

    def _design_wobble_filter(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        w = 2.0 * math.pi * self.errors.wobble.natural_frequency_hz
        z = self.errors.wobble.damping_ratio
        a = np.array([[0.0, 1.0], [-w * w, -2.0 * z * w]])
        b = np.array([[0.0], [1.0]])
        ad, bd, cd, dd, _ = scipy.signal.cont2discrete(
            (a, b, np.eye(2), np.zeros((2, 1))), self.period_s, method="foh"
        )
        num, den = scipy.signal.ss2tf(ad, bd, cd, dd)
        return np.asarray(num[0]), np.asarray(num[1]), np.asarray(den)

    def _wobble_input(self, ev: ChainEvaluation) -> FloatArray:
        """Oscillator input (rad/s²): −ω_n² d α_B, α_B in segment coordinates."""
        frame = ev.frame(self.segment)
        alpha_B = rotations.rotate(rotations.conjugate(frame.q_E_B), frame.alpha_E_rad_s2)
        w = 2.0 * math.pi * self.errors.wobble.natural_frequency_hz
        return -(w * w) * self._wobble_gain * alpha_B

    def _run_wobble(self, u: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Wobble angles (rad), rates and accelerations for input ``u`` from the current state."""
        assert self._filters is not None
        num_w, num_dw, den = self._filters
        if self._zi is None:
            zero = np.zeros((den.size - 1, 3))
            self._zi = (zero, zero.copy())
        w, zi_w = scipy.signal.lfilter(num_w, den, u, axis=0, zi=self._zi[0])
        dw, zi_dw = scipy.signal.lfilter(num_dw, den, u, axis=0, zi=self._zi[1])
        self._zi = (zi_w, zi_dw)
        wn = 2.0 * math.pi * self.errors.wobble.natural_frequency_hz
        zeta = self.errors.wobble.damping_ratio
        ddw = u - 2.0 * zeta * wn * dw - wn * wn * w
        return w, dw, ddw

    def _advance_to(self, n0: int) -> None:
        """Bring the wobble filter state to sample ``n0`` (recomputing from 0 if needed)."""
        if self._filters is None:
            return
        if n0 < self._state_n:
            self._state_n, self._zi = 0, None
        step = 65536
        while self._state_n < n0:
            a, b = self._state_n, min(n0, self._state_n + step)
            ev = self.model.evaluate(self.true_times(np.arange(a, b, dtype=np.int64)))
            self._run_wobble(self._wobble_input(ev))
            self._state_n = b

    # --- synthesis ---------------------------------------------------------------------------

    def synthesize(self, n0: int, n1: int) -> SensorSamples:
        """Samples ``[n0, n1)`` of this sensor (dropped ones left out), with ground truth."""
        n0, n1 = max(0, n0), max(max(0, n0), n1)
        self._advance_to(n0)
        n = np.arange(n0, n1, dtype=np.int64)
        t_true = self.true_times(n)
        ev = self.model.evaluate(t_true)
        frame = ev.frame(self.segment)
        p = self.params
        if self._filters is not None and n.size:
            w, dw, ddw = self._run_wobble(self._wobble_input(ev))
            self._state_n = n1
            wobble = frame
            for k, axis in ((2, "z"), (0, "x"), (1, "y")):
                wobble = rotate_frame(wobble, axis, Motion(w[:, k], dw[:, k], ddw[:, k]))
            depth = self.errors.wobble.pivot_depth_m
            pivot = ev.point(self.segment, p.site_m - depth * p.skin_normal)
            body_frame: FrameMotion = wobble
            point: PointMotion = offset_point(wobble, pivot, depth * p.skin_normal)
        else:
            self._state_n = n1
            body_frame = frame
            point = ev.point(self.segment, p.site_m)
        q_E_S = rotations.multiply(body_frame.q_E_B, rotations.conjugate(p.q_S_B))
        q_S_E = rotations.conjugate(q_E_S)
        f_E = point.a_E_m_s2 + np.array([0.0, 0.0, GRAVITY_M_S2])
        acc = rotations.rotate(q_S_E, f_E)
        gyr = rotations.rotate(q_S_E, body_frame.omega_E_rad_s)
        if self.sensitivity is not None:
            acc = acc @ self.sensitivity[0].T
            gyr = gyr @ self.sensitivity[1].T
        e = self.errors
        gyr_bias = self._bias(self._gyr_knots, n)
        acc_bias = self._bias(self._acc_knots, n)
        sq_bw = math.sqrt(self.rate_hz / 2.0)
        gyr = gyr + gyr_bias
        acc = acc + acc_bias
        if e.gyr_noise_density_rad_s_sqrt_hz > 0:
            gyr = gyr + self._block_normals(_STREAM_GYR, n0, n1, 3) * (
                e.gyr_noise_density_rad_s_sqrt_hz * sq_bw
            )
        if e.acc_noise_density_m_s2_sqrt_hz > 0:
            acc = acc + self._block_normals(_STREAM_ACC, n0, n1, 3) * (
                e.acc_noise_density_m_s2_sqrt_hz * sq_bw
            )
        mag = None
        if self.with_mag:
            mag = rotations.rotate(q_S_E, np.broadcast_to(self.mag_field_E_ut, acc.shape))
            mag = mag + p.mag_bias_ut
            if e.mag_noise_ut > 0:
                mag = mag + self._block_normals(_STREAM_MAG, n0, n1, 3) * e.mag_noise_ut
        keep = ~self.dropped(n0, n1)
        t_rec = self.recorded_times(n0, n1)
        return SensorSamples(
            placement=self.placement,
            index=n[keep],
            t_s=t_rec[keep],
            t_true_s=t_true[keep],
            acc_m_s2=acc[keep],
            gyr_rad_s=gyr[keep],
            mag_ut=None if mag is None else mag[keep],
            q_E_S=q_E_S[keep],
            q_E_B=frame.q_E_B[keep],
            p_E_m=point.p_E_m[keep],
            gyr_bias_rad_s=gyr_bias[keep],
            acc_bias_m_s2=acc_bias[keep],
        )

    def gaps(self) -> list[tuple[float, float, int]]:
        """Every run of dropped samples in the session: (start_s, end_s, samples).

        ``start_s`` is the time stamp the first lost sample would have had, ``end_s`` the time
        stamp of the next delivered sample (half-open ``[start, end)``).
        """
        n0, n1 = self.index_range(0.0, self.duration_s)
        mask = self.dropped(n0, n1)
        if not mask.any():
            return []
        t = self.recorded_times(n0, n1)
        out = []
        for s, e in zip(*true_intervals(mask), strict=True):
            end_s = float(t[e]) if e < t.size else self.duration_s
            out.append((float(t[s]), end_s, int(e - s)))
        return out
