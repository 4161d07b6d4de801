"""Synthesised sessions: configuration, on-demand and chunked generation, and the results.

:class:`SessionSimulator` turns a scenario and a :class:`SimulationConfig` into samples on
demand: true angles or segment orientations at any times, one sensor's samples for any time
range (the BLE virtual sensors stream these), or the whole session in chunks of bounded memory
(the CLI writes 10-hour sessions this way). :func:`simulate` runs it once and returns a
:class:`SimulatedSession` held in memory.

Time: the truth is on the uniform grid ``t_s = k / rate_hz``, ``k = 0 … N − 1``, with
``N = round(duration · rate_hz)``; each sensor samples on its own clock (start offset, crystal
error, jitter; see :mod:`analysis.simulation.imu`) and delivers the samples whose recorded
``t_s`` lies in ``[0, N / rate_hz)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from analysis.angles import rotations
from analysis.angles.isb import thigh_inclination_deg
from analysis.errors import ConfigError
from analysis.recording.inputs import MAX_SESSION_S
from analysis.recording.schema import (
    ACC_COLUMNS,
    ANGLE_COLUMNS,
    DEVICE_TICKS,
    GYR_COLUMNS,
    HEAD_FLEXION_REL_PELVIS,
    MAG_COLUMNS,
    PLACEMENTS,
    SENSOR,
    T_S,
    thigh_inclination_column,
)
from analysis.recording.streams import CalibrationWindows, Gap, Marker, SensorInfo, SessionMeta
from analysis.simulation.body import BodyModel
from analysis.simulation.chain import SEGMENTS, KinematicModel
from analysis.simulation.imu import (
    SENSITIVITY_FIELDS,
    ImuErrorModel,
    SensorParameters,
    SensorSamples,
    SensorSynthesizer,
    draw_sensor_parameters,
)
from analysis.simulation.scenarios import TruthEvent, build_plan

FloatArray = NDArray[np.float64]

__all__ = [
    "DEFAULT_SENSORS",
    "TRUTH_FORMAT",
    "SensorTruth",
    "SessionChunk",
    "SessionSimulator",
    "SimulatedSession",
    "SimulationConfig",
    "simulate",
]

DEFAULT_SENSORS: Final = ("pelvis", "right_thigh", "right_shank", "right_foot")
"""The minimal live set of DESIGN §1 for a right-leg stretch."""

TRUTH_FORMAT: Final = "stretchguard-truth/1"
"""Value of ``format`` in a ``NAME.truth.json`` ground-truth file."""

FAMILY: Final = "simulator"

# angle columns the chain defines, with the channel that drives each (None: derived)
_DRIVEN: Final = {
    **{
        f"{side}_{joint}_{motion}_deg": f"{side}_{joint}_{motion}"
        for side in ("right", "left")
        for joint, motion in (
            ("hip", "flexion"),
            ("hip", "adduction"),
            ("hip", "internal_rotation"),
            ("knee", "flexion"),
            ("ankle", "dorsiflexion"),
        )
    },
    "pelvis_anterior_tilt_deg": "pelvis_anterior_tilt",
    "lumbar_flexion_deg": "lumbar_flexion",
    "neck_flexion_deg": "neck_flexion",
}


@dataclass(frozen=True, kw_only=True)
class SimulationConfig:
    """Every option of a simulated session (all explicit, all seeded by ``seed``).

    Parameters
    ----------
    rate_hz
        Nominal sample rate of every sensor and the truth grid.
    sensors
        Placements (``analysis.recording.schema.PLACEMENTS``) that wear a sensor.
    seed
        Seeds sensor constants, noise, clocks, dropouts and postural sway (≥ 0).
    errors
        Sensor error model; ``ImuErrorModel.perfect()`` switches every error off.
    mounting
        ``"random"``: each sensor strapped at a uniformly random orientation (seeded);
        ``"aligned"``: sensor axes equal the segment's ISB axes.
    with_mag
        Add magnetometer columns (earth field ``mag_field_ut`` in ENU).
    duration_s
        None: the scenario's natural length; longer: the exercise block repeats (10 s standing
        rest between blocks) and quiet standing pads the end.
    body
        Anthropometry.
    facing_deg
        Compass azimuth the subject faces (0 = north).
    sway_scale
        Postural sway and micro-motion amplitude (1 = default, 0 = perfectly still).
    mag_field_ut
        Earth magnetic field in ENU (µT); the default is a mid-latitude field.
    started_at
        ISO 8601 start time written to the sidecar (fixed, so files are reproducible).
    """

    rate_hz: float = 100.0
    sensors: tuple[str, ...] = DEFAULT_SENSORS
    seed: int = 0
    errors: ImuErrorModel = field(default_factory=ImuErrorModel)
    mounting: Literal["random", "aligned"] = "random"
    with_mag: bool = False
    duration_s: float | None = None
    body: BodyModel = field(default_factory=BodyModel)
    facing_deg: float = 30.0
    sway_scale: float = 1.0
    mag_field_ut: tuple[float, float, float] = (0.0, 20.0, -44.0)
    started_at: str = "2026-01-05T09:00:00+00:00"

    def __post_init__(self) -> None:
        if not (isinstance(self.rate_hz, int | float) and math.isfinite(self.rate_hz)):
            raise ConfigError(f"rate_hz must be a finite number, got {self.rate_hz!r}")
        if not 5.0 <= self.rate_hz <= 2000.0:
            raise ConfigError(f"rate_hz must be within 5–2000 Hz, got {self.rate_hz}")
        sensors = tuple(self.sensors)
        object.__setattr__(self, "sensors", sensors)
        if not sensors:
            raise ConfigError("sensors must name at least one placement")
        bad = [s for s in sensors if s not in PLACEMENTS]
        if bad:
            raise ConfigError(
                f"unknown sensor placement(s) {', '.join(map(repr, bad))}; "
                f"expected some of {', '.join(PLACEMENTS)}"
            )
        if len(set(sensors)) != len(sensors):
            raise ConfigError(f"sensors lists a placement twice: {sensors}")
        if not (isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0):
            raise ConfigError(f"seed must be an integer ≥ 0, got {self.seed!r}")
        if self.mounting not in ("random", "aligned"):
            raise ConfigError(f"mounting must be 'random' or 'aligned', got {self.mounting!r}")
        if self.duration_s is not None and not (
            isinstance(self.duration_s, int | float) and math.isfinite(self.duration_s)
        ):
            raise ConfigError(
                f"duration_s must be a finite number or None, got {self.duration_s!r}"
            )
        if self.duration_s is not None and self.duration_s > MAX_SESSION_S:
            raise ConfigError(
                f"duration_s must be at most {MAX_SESSION_S:g} s (24 h, the longest recording "
                f"read back), got {self.duration_s!r}"
            )
        if not (math.isfinite(self.sway_scale) and 0.0 <= self.sway_scale <= 10.0):
            raise ConfigError(f"sway_scale must be within 0–10, got {self.sway_scale!r}")
        if not math.isfinite(self.facing_deg):
            raise ConfigError(f"facing_deg must be finite, got {self.facing_deg!r}")
        if len(self.mag_field_ut) != 3 or not all(map(math.isfinite, self.mag_field_ut)):
            raise ConfigError(f"mag_field_ut must be three finite numbers, got {self.mag_field_ut}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (provenance in sidecars and truth files).

        The sensitivity terms of ``errors`` are written only when switched on, so the files
        of a session without them are the same as before those terms existed.
        """
        out = dataclasses.asdict(self)
        if not self.errors.has_sensitivity_errors:
            for name in SENSITIVITY_FIELDS:
                del out["errors"][name]
        return json_ready(out)


def json_ready(value: Any) -> Any:
    """Tuples to lists, numpy scalars/arrays to Python numbers/lists (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.floating | np.integer):
        return value.item()
    return value


@dataclass(frozen=True)
class SensorTruth:
    """Ground truth of one simulated sensor, per delivered sample and constant.

    ``t_s`` are the recorded stamps (as in ``samples``), ``t_true_s`` the true sampling
    instants, ``device_ticks`` the sample counter. ``q_E_S`` is the true sensor orientation
    (wobble included), ``q_E_B`` the true segment orientation, ``p_E_m`` the sensor position
    (m, ENU); ``q_S_B`` the mounting (segment → sensor), ``site_m`` the sensor position in the
    segment frame. Biases are the values added to each delivered sample.
    """

    placement: str
    t_s: FloatArray
    t_true_s: FloatArray
    device_ticks: NDArray[np.int64]
    q_E_S: FloatArray
    q_E_B: FloatArray
    p_E_m: FloatArray
    gyr_bias_rad_s: FloatArray
    acc_bias_m_s2: FloatArray
    q_S_B: FloatArray
    site_m: FloatArray
    clock_drift_ppm: float
    start_offset_s: float
    dropped_samples: int


@dataclass(frozen=True)
class SimulatedSession:
    """A whole simulated session in memory.

    ``samples``: the canonical long table (``recording.schema`` columns, sorted by ``t_s``);
    ``meta``: the sidecar; ``truth``: ``t_s`` on the uniform grid plus every angle column of
    ``ANGLE_COLUMNS`` in degrees; ``events``: phases, holds, violations, markers, repetitions;
    ``sensor_truth``: per placement, see :class:`SensorTruth`.
    """

    samples: pd.DataFrame
    meta: SessionMeta
    truth: pd.DataFrame
    events: tuple[TruthEvent, ...]
    sensor_truth: Mapping[str, SensorTruth]
    scenario: str = field(default="", kw_only=True)
    config: SimulationConfig = field(default_factory=SimulationConfig, kw_only=True)
    truth_document: Mapping[str, Any] = field(default_factory=dict, kw_only=True)
    """The content of ``NAME.truth.json`` (events, sensor constants, provenance)."""


@dataclass(frozen=True)
class SessionChunk:
    """One slice ``[start_s, end_s)`` of a session: samples, truth rows and raw sensor output."""

    start_s: float
    end_s: float
    samples: pd.DataFrame
    truth: pd.DataFrame
    sensors: Mapping[str, SensorSamples]


def samples_frame(blocks: Sequence[SensorSamples], *, with_mag: bool) -> pd.DataFrame:
    """The canonical long table of some sensors' samples, sorted by ``t_s`` (stable)."""
    n = sum(b.t_s.size for b in blocks)
    t = np.concatenate([b.t_s for b in blocks]) if blocks else np.empty(0)
    codes = (
        np.concatenate(
            [np.full(b.t_s.size, PLACEMENTS.index(b.placement), dtype=np.int8) for b in blocks]
        )
        if blocks
        else np.empty(0, dtype=np.int8)
    )
    order = np.argsort(t, kind="stable")
    data: dict[str, Any] = {
        T_S: t[order],
        SENSOR: pd.Categorical.from_codes(codes[order], categories=list(PLACEMENTS)),
    }

    def stack(get: str, cols: tuple[str, ...]) -> None:
        arr = np.concatenate([getattr(b, get) for b in blocks]) if blocks else np.empty((0, 3))
        arr = arr[order]
        for i, c in enumerate(cols):
            data[c] = arr[:, i]

    stack("acc_m_s2", ACC_COLUMNS)
    stack("gyr_rad_s", GYR_COLUMNS)
    if with_mag:
        stack("mag_ut", MAG_COLUMNS)
    ticks = np.concatenate([b.index for b in blocks]) if blocks else np.empty(0, dtype=np.int64)
    data[DEVICE_TICKS] = pd.array(ticks[order], dtype="Int64")
    df = pd.DataFrame(data)
    assert len(df) == n
    return df


class SessionSimulator:
    """A scenario under a configuration, evaluated on demand.

    Parameters
    ----------
    scenario
        A name from :func:`analysis.simulation.list_scenarios`.
    config
        The options; see :class:`SimulationConfig`.
    """

    def __init__(self, scenario: str, *, config: SimulationConfig | None = None) -> None:
        cfg = SimulationConfig() if config is None else config
        self.config = cfg
        self.scenario = scenario
        self.plan = build_plan(
            scenario,
            duration_s=cfg.duration_s,
            body=cfg.body,
            seed=cfg.seed,
            sway_scale=cfg.sway_scale,
        )
        self.n_truth = max(1, round(self.plan.duration_s * cfg.rate_hz))
        self.duration_s = self.n_truth / cfg.rate_hz
        self.model = KinematicModel(
            body=cfg.body,
            trajectories=self.plan.trajectories,
            anchors=self.plan.anchors,
            facing_deg=cfg.facing_deg,
        )
        self.parameters: dict[str, SensorParameters] = {
            p: draw_sensor_parameters(
                p, seed=cfg.seed, errors=cfg.errors, body=cfg.body, mounting=cfg.mounting
            )
            for p in cfg.sensors
        }
        self._synth = {
            p: SensorSynthesizer(
                params,
                model=self.model,
                errors=cfg.errors,
                rate_hz=cfg.rate_hz,
                seed=cfg.seed,
                duration_s=self.duration_s,
                with_mag=cfg.with_mag,
                mag_field_E_ut=cfg.mag_field_ut,
            )
            for p, params in self.parameters.items()
        }

    # --- truth at arbitrary times ------------------------------------------------------------

    @property
    def events(self) -> tuple[TruthEvent, ...]:
        """Phases, movements, holds, violations, markers and repetitions, by start time."""
        return self.plan.events

    def truth_angles(self, t_s: ArrayLike) -> pd.DataFrame:
        """True angles (deg) at times ``t_s``: ``t_s`` plus every column of ``ANGLE_COLUMNS``."""
        t = np.asarray(t_s, dtype=np.float64).ravel()
        ev = self.model.evaluate(t)
        data: dict[str, FloatArray] = {T_S: t}
        q_G_E = rotations.conjugate(self.model.q_E_G)
        for col in ANGLE_COLUMNS:
            channel = _DRIVEN.get(col)
            if channel is not None:
                data[col] = np.degrees(ev.channel(channel).angle_rad)
            elif col == HEAD_FLEXION_REL_PELVIS:
                tilt = {
                    seg: rotations.segment_tilt_rad(rotations.multiply(q_G_E, ev.frame(seg).q_E_B))
                    for seg in ("pelvis", "head")
                }
                data[col] = np.degrees(tilt["pelvis"] - tilt["head"])
            else:
                side = "right" if col.startswith("right_") else "left"
                assert col == thigh_inclination_column(side)
                q_G_thigh = rotations.multiply(q_G_E, ev.frame(f"{side}_thigh").q_E_B)
                data[col] = thigh_inclination_deg(rotations.segment_tilt_rad(q_G_thigh))
        return pd.DataFrame(data)

    def segment_orientations(
        self, t_s: ArrayLike, segments: Sequence[str] | None = None
    ) -> dict[str, FloatArray]:
        """True ``q_E_B`` ``(N, 4)`` of each segment (default: all) at times ``t_s``."""
        ev = self.model.evaluate(t_s)
        names = SEGMENTS if segments is None else tuple(segments)
        unknown = [s for s in names if s not in SEGMENTS]
        if unknown:
            raise ConfigError(f"unknown segment(s) {unknown}; expected some of {SEGMENTS}")
        return {s: ev.frame(s).q_E_B for s in names}

    # --- samples -----------------------------------------------------------------------------

    def sensor_samples(self, placement: str, start_s: float, end_s: float) -> SensorSamples:
        """The samples of one sensor whose recorded ``t_s`` lies in ``[start_s, end_s)``.

        Consecutive, increasing ranges are cheapest (the soft-tissue state is carried over);
        any other order gives the same values at a higher cost.
        """
        if placement not in self._synth:
            raise ConfigError(
                f"no simulated sensor on {placement!r}; this session has {self.config.sensors}"
            )
        synth = self._synth[placement]
        n0, n1 = synth.index_range(start_s, end_s)
        return synth.synthesize(n0, n1)

    def chunks(self, *, chunk_s: float = 60.0) -> Iterator[SessionChunk]:
        """The whole session in consecutive slices of about ``chunk_s`` seconds."""
        rate = self.config.rate_hz
        step = max(1, round(chunk_s * rate))
        for k0 in range(0, self.n_truth, step):
            k1 = min(self.n_truth, k0 + step)
            c0, c1 = k0 / rate, k1 / rate
            blocks = {p: self.sensor_samples(p, c0, c1) for p in self.config.sensors}
            truth = self.truth_angles(np.arange(k0, k1, dtype=np.int64) / rate)
            samples = samples_frame(list(blocks.values()), with_mag=self.config.with_mag)
            yield SessionChunk(start_s=c0, end_s=c1, samples=samples, truth=truth, sensors=blocks)

    @cached_property
    def gaps(self) -> tuple[Gap, ...]:
        """Every run of dropped samples, per sensor, as sidecar gaps."""
        out = []
        for p, synth in self._synth.items():
            for start, end, _ in synth.gaps():
                out.append(Gap(sensor=p, start_s=start, end_s=end, reason="dropout"))
        return tuple(sorted(out, key=lambda g: (g.start_s, g.sensor)))

    @cached_property
    def meta(self) -> SessionMeta:
        """The sidecar: exercise, side, sensors, calibration windows, markers and gaps."""
        cfg, plan = self.config, self.plan
        markers = tuple(
            Marker(
                t_s=e.start_s,
                label=e.label or "",
                kind=e.name,
                where=e.where,
                what=e.what,
                answer=e.answer,
            )
            for e in plan.events
            if e.kind == "marker"
        )
        return SessionMeta(
            started_at=cfg.started_at,
            exercise=plan.info.exercise,
            side=plan.info.side,
            sensors={
                p: SensorInfo(family=FAMILY, name=f"sim-{p}", rate_hz=float(cfg.rate_hz))
                for p in cfg.sensors
            },
            calibration=CalibrationWindows(static_s=plan.static_s, functional_s=plan.functional_s),
            markers=markers,
            gaps=self.gaps,
            notes=f"simulated by stretchguard: scenario {self.scenario}, seed {cfg.seed}",
            extra={"simulation": self.provenance()},
        )

    def provenance(self) -> dict[str, Any]:
        """Scenario, options and seed: enough to make the same session again."""
        return {
            "scenario": self.scenario,
            "duration_s": self.duration_s,
            "blocks": self.plan.blocks,
            "config": self.config.to_dict(),
        }

    def truth_document(self) -> dict[str, Any]:
        """The ``NAME.truth.json`` content: provenance, calibration windows, events, sensors."""
        plan = self.plan
        sensors = {}
        for p, params in self.parameters.items():
            synth = self._synth[p]
            sensors[p] = {
                "q_S_B": params.q_S_B,
                "site_m": params.site_m,
                "gyr_bias_rad_s": params.gyr_bias_rad_s,
                "acc_bias_m_s2": params.acc_bias_m_s2,
                "mag_bias_ut": params.mag_bias_ut,
                "clock_drift_ppm": params.clock_drift_ppm,
                "start_offset_s": params.start_offset_s,
                "sample_period_s": synth.period_s,
                "dropped_samples": sum(n for *_, n in synth.gaps()),
            }
        return json_ready(
            {
                "format": TRUTH_FORMAT,
                "scenario": self.scenario,
                "exercise": plan.info.exercise,
                "side": plan.info.side,
                "rate_hz": self.config.rate_hz,
                "duration_s": self.duration_s,
                "natural_duration_s": plan.natural_duration_s,
                "blocks": plan.blocks,
                "calibration": {"static_s": plan.static_s, "functional_s": plan.functional_s},
                "angle_columns": list(ANGLE_COLUMNS),
                "events": [e.to_dict() for e in plan.events],
                "sensors": sensors,
                "sway_deg": dict(plan.sway),
                "config": self.config.to_dict(),
            }
        )

    def run(self, *, chunk_s: float = 60.0) -> SimulatedSession:
        """The whole session in memory (identical to concatenating :meth:`chunks`)."""
        samples, truth = [], []
        per_sensor: dict[str, list[SensorSamples]] = {p: [] for p in self.config.sensors}
        for chunk in self.chunks(chunk_s=chunk_s):
            samples.append(chunk.samples)
            truth.append(chunk.truth)
            for p, block in chunk.sensors.items():
                per_sensor[p].append(block)
        sensor_truth = {}
        for p, blocks in per_sensor.items():
            params = self.parameters[p]

            def cat(name: str, blocks: list[SensorSamples] = blocks) -> Any:
                return np.concatenate([getattr(b, name) for b in blocks])

            sensor_truth[p] = SensorTruth(
                placement=p,
                t_s=cat("t_s"),
                t_true_s=cat("t_true_s"),
                device_ticks=cat("index"),
                q_E_S=cat("q_E_S"),
                q_E_B=cat("q_E_B"),
                p_E_m=cat("p_E_m"),
                gyr_bias_rad_s=cat("gyr_bias_rad_s"),
                acc_bias_m_s2=cat("acc_bias_m_s2"),
                q_S_B=params.q_S_B,
                site_m=params.site_m,
                clock_drift_ppm=params.clock_drift_ppm,
                start_offset_s=params.start_offset_s,
                dropped_samples=sum(n for *_, n in self._synth[p].gaps()),
            )
        return SimulatedSession(
            pd.concat(samples, ignore_index=True),
            self.meta,
            pd.concat(truth, ignore_index=True),
            self.events,
            sensor_truth,
            scenario=self.scenario,
            config=self.config,
            truth_document=self.truth_document(),
        )


def simulate(scenario: str, *, config: SimulationConfig = SimulationConfig()) -> SimulatedSession:
    """Simulate ``scenario`` under ``config`` and return the whole session in memory.

    Raises ConfigError for an unknown scenario, placement or an invalid option.
    """
    return SessionSimulator(scenario, config=config).run()
