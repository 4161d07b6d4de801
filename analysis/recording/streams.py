"""The canonical recording in memory: per-sensor streams and the session sidecar.

A :class:`Recording` holds one :class:`SensorStream` per worn placement and its
:class:`SessionMeta`. The long-format sample table of DESIGN §4 (one row per sample of one
sensor) is what files hold: :func:`samples_from_streams` and :func:`streams_from_samples`
convert, :func:`validate_samples` checks a table against the contract and names the offending
line, and :func:`take_streams` hands a recording's arrays over to a consumer that frees them.
File reading and writing live in ``sensors.formats.canonical``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from analysis.errors import RecordingFormatError
from analysis.recording import inputs
from analysis.recording.config_files import found
from analysis.recording.schema import (
    ACC_COLUMNS,
    ALL_COLUMNS,
    DEVICE_TICKS,
    GYR_COLUMNS,
    MAG_COLUMNS,
    NUMERIC_COLUMNS,
    PLACEMENTS,
    QUAT_COLUMNS,
    REQUIRED_COLUMNS,
    SENSOR,
    SESSION_FORMAT,
    SIDES,
    T_S,
)

if TYPE_CHECKING:  # pandas is imported where it is used: reading needs none of it
    import pandas as pd

FloatArray = NDArray[np.float64]


# --- sidecar --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SensorInfo:
    """What the sidecar knows about one worn sensor."""

    family: str | None = None
    address: str | None = None
    name: str | None = None
    rate_hz: float | None = None


@dataclass(frozen=True, kw_only=True)
class Marker:
    """A symptom or event mark at ``t_s`` (seconds on the session clock)."""

    t_s: float
    label: str
    kind: str = "symptom"
    where: str | None = None
    """Optional body site (``analysis.envelope.symptoms.WHERE`` values); None when not said."""
    what: str | None = None
    """Optional sensation (``analysis.envelope.symptoms.WHAT`` values); None when not said."""
    answer: str | None = None
    """Optional answer of a structural-differentiation test (``more``/``less``/``same``)."""


@dataclass(frozen=True, kw_only=True)
class Gap:
    """An interval ``[start_s, end_s)`` in which ``sensor`` delivered no data, and why."""

    sensor: str
    start_s: float
    end_s: float
    reason: str = "dropout"


@dataclass(frozen=True, kw_only=True)
class CalibrationWindows:
    """Half-open windows ``[start, end)`` in seconds: quiet stand and functional movements."""

    static_s: tuple[float, float] | None = None
    functional_s: tuple[float, float] | None = None


@dataclass(frozen=True, kw_only=True)
class SessionMeta:
    """The optional sidecar ``NAME.json`` of a recording (DESIGN §4)."""

    format: str = SESSION_FORMAT
    started_at: str | None = None
    exercise: str | None = None
    side: str | None = None
    sensors: Mapping[str, SensorInfo] = field(default_factory=dict)
    calibration: CalibrationWindows | None = None
    markers: tuple[Marker, ...] = ()
    gaps: tuple[Gap, ...] = ()
    notes: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Keys this version does not interpret (kept so a rewrite loses nothing)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``None`` fields are left out."""
        out: dict[str, Any] = {"format": self.format}
        if self.started_at is not None:
            out["started_at"] = self.started_at
        if self.exercise is not None:
            out["exercise"] = self.exercise
        if self.side is not None:
            out["side"] = self.side
        if self.sensors:
            out["sensors"] = {
                label: {k: v for k, v in vars(info).items() if v is not None}
                for label, info in self.sensors.items()
            }
        if self.calibration is not None:
            cal: dict[str, list[float]] = {}
            if self.calibration.static_s is not None:
                cal["static_s"] = list(self.calibration.static_s)
            if self.calibration.functional_s is not None:
                cal["functional_s"] = list(self.calibration.functional_s)
            out["calibration"] = cal
        if self.markers:
            out["markers"] = [
                {k: v for k, v in vars(m).items() if v is not None} for m in self.markers
            ]
        if self.gaps:
            out["gaps"] = [vars(g).copy() for g in self.gaps]
        if self.notes is not None:
            out["notes"] = self.notes
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | Path | None = None) -> SessionMeta:
        """Parse a sidecar dict; every key is type- and range-checked (``inputs``).

        A wrong shape raises RecordingFormatError naming the file and the dotted key (e.g.
        ``markers[2].t_s``), what was expected and what was found.
        """
        if not isinstance(data, Mapping):
            raise RecordingFormatError(
                source, f"sidecar: expected a JSON object, found {found(data)}"
            )
        sc = _Sidecar(source)
        fmt = data.get("format", SESSION_FORMAT)
        if not isinstance(fmt, str) or not fmt.startswith("stretchguard-session/"):
            raise sc.fail("format", f"'{SESSION_FORMAT}'", fmt)
        side = sc.opt_str(data, "side")
        if side is not None and side not in SIDES:
            raise sc.fail("side", "'left' or 'right'", side)
        calibration = None
        if data.get("calibration") is not None:
            cal = data["calibration"]
            if not isinstance(cal, Mapping):
                raise sc.fail("calibration", "an object with static_s / functional_s", cal)
            calibration = CalibrationWindows(
                static_s=sc.window(cal.get("static_s"), "calibration.static_s"),
                functional_s=sc.window(cal.get("functional_s"), "calibration.functional_s"),
            )
        known = {"format", "started_at", "exercise", "side", "sensors", "calibration", "markers"}
        known |= {"gaps", "notes"}
        return cls(
            format=fmt,
            started_at=sc.opt_str(data, "started_at"),
            exercise=sc.opt_str(data, "exercise"),
            side=side,
            sensors=sc.sensors(data.get("sensors")),
            calibration=calibration,
            markers=tuple(sorted(sc.markers(data.get("markers")), key=lambda m: m.t_s)),
            gaps=tuple(sc.gaps(data.get("gaps"))),
            notes=sc.opt_str(data, "notes"),
            extra={k: v for k, v in data.items() if k not in known},
        )


class _Sidecar:
    """Type checks of sidecar values; errors name the file and the dotted key."""

    def __init__(self, source: str | Path | None) -> None:
        self.source = source

    def fail(self, key: str, expected: str, value: Any) -> RecordingFormatError:
        return RecordingFormatError(
            self.source, f"key '{key}': expected {expected}, found {found(value)}"
        )

    def opt_str(self, table: Mapping[str, Any], key: str, where: str = "") -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(where + key, "a string", value)
        return value

    def number(self, value: Any, key: str, lo: float, hi: float) -> float:
        if not _is_number(value) or not lo <= value <= hi:
            raise self.fail(key, f"a number in [{lo:g}, {hi:g}]", value)
        return float(value)

    def time(self, value: Any, key: str) -> float:
        return self.number(value, key, inputs.MIN_T_S, inputs.MAX_SESSION_S)

    def window(self, value: Any, key: str) -> tuple[float, float] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise self.fail(key, "[start_s, end_s]", value)
        start = self.time(value[0], f"{key}[0]")
        end = self.time(value[1], f"{key}[1]")
        if not start < end:
            raise self.fail(key, "[start_s, end_s] with start < end", value)
        return start, end

    def items(self, value: Any, key: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "a list", value)
        return value

    def sensors(self, raw: Any) -> dict[str, SensorInfo]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.fail("sensors", "an object keyed by placement", raw)
        out = {}
        for label, info in raw.items():
            key = f"sensors.{inputs.shorten(str(label))[1:-1]}"  # escaped: text from a file
            if label not in PLACEMENTS:
                raise RecordingFormatError(
                    self.source,
                    f"key '{key}': expected a placement of {', '.join(PLACEMENTS)}, found "
                    f"{found(label)}",
                )
            if not isinstance(info, Mapping):
                raise self.fail(key, "an object", info)
            rate = info.get("rate_hz")
            if rate is not None and not (_is_number(rate) and inputs.is_plausible_rate(rate)):
                raise self.fail(f"{key}.rate_hz", f"a rate in (0, {inputs.MAX_RATE_HZ:g}] Hz", rate)
            out[label] = SensorInfo(
                family=self.opt_str(info, "family", f"{key}."),
                address=self.opt_str(info, "address", f"{key}."),
                name=self.opt_str(info, "name", f"{key}."),
                rate_hz=None if rate is None else float(rate),
            )
        return out

    def markers(self, raw: Any) -> list[Marker]:
        out = []
        for i, m in enumerate(self.items(raw, "markers")):
            key = f"markers[{i}]"
            if not isinstance(m, Mapping):
                raise self.fail(key, "an object {'t_s': number, 'label': string}", m)
            out.append(
                Marker(
                    t_s=self.time(m.get("t_s"), f"{key}.t_s"),
                    label=self.opt_str(m, "label", f"{key}.") or "",
                    kind=self.opt_str(m, "kind", f"{key}.") or "symptom",
                    # optional labels of a symptom mark (where, what) or a test's answer
                    **{
                        k: v
                        for k in ("where", "what", "answer")
                        if (v := self.opt_str(m, k, f"{key}.")) is not None
                    },
                )
            )
        return out

    def gaps(self, raw: Any) -> list[Gap]:
        out = []
        for i, g in enumerate(self.items(raw, "gaps")):
            key = f"gaps[{i}]"
            if not isinstance(g, Mapping):
                raise self.fail(key, "an object {'sensor', 'start_s', 'end_s', 'reason'}", g)
            sensor = g.get("sensor")
            if sensor not in PLACEMENTS:
                raise self.fail(f"{key}.sensor", f"one of {', '.join(PLACEMENTS)}", sensor)
            start = self.time(g.get("start_s"), f"{key}.start_s")
            end = self.time(g.get("end_s"), f"{key}.end_s")
            if not start <= end:
                raise self.fail(f"{key}.end_s", f"a time ≥ start_s ({start!r})", end)
            reason = self.opt_str(g, "reason", f"{key}.")
            out.append(Gap(sensor=sensor, start_s=start, end_s=end, reason=reason or "dropout"))
        return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- samples ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensorStream:
    """All samples of one sensor as arrays, one row per sample, time increasing.

    ``acc_m_s2`` is specific force and ``gyr_rad_s`` angular rate, both in the sensor frame;
    ``quat`` (scalar-first, sensor → earth) and ``mag_ut`` are None when not recorded.
    """

    placement: str
    t_s: FloatArray
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_ut: FloatArray | None = None
    quat: FloatArray | None = None
    device_ticks: NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def median_rate_hz(self) -> float:
        """Sample rate from the median sample interval (robust to drops and jitter)."""
        if len(self) < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.t_s)))


class Recording:
    """A canonical recording: a :class:`SensorStream` per placement, sidecar and warnings.

    ``streams`` is a read-only mapping keyed by placement, in the canonical order of
    ``PLACEMENTS`` (it may be empty). A Recording never changes after construction: nothing
    empties it, and every property reads the streams. Streams read from files may hold
    float32 measurements (times stay float64).

    The long table of DESIGN §4 is not held: :func:`samples_from_streams` makes it where a
    long table is needed (writers, tests) and :func:`streams_from_samples` turns one into
    streams (the strict CSV parser, the simulator).

    **Hand-over of the arrays.** The sample arrays live as long as anything holds them.
    :func:`take_streams` gives the caller the streams in a dict of its own and this recording
    without them; the offline pipeline
    (``analysis.angles.pipeline.analyse_recording(rest, streams=owned)``) empties such a dict
    sensor by sensor as it resamples, so a long session's raw arrays are freed as it goes.

    Raises
    ------
    TypeError
        ``streams`` is not a mapping of :class:`SensorStream`, or ``meta`` not a
        :class:`SessionMeta`.
    ValueError
        A key that is not a placement, a stream filed under another placement, or arrays
        whose shapes do not match (``t_s`` (n,), ``acc_m_s2``/``gyr_rad_s``/``mag_ut`` (n, 3),
        ``quat`` (n, 4), ``device_ticks`` (n,)).
    """

    __slots__ = ("meta", "path", "streams", "warnings")

    streams: Mapping[str, SensorStream]
    meta: SessionMeta
    path: Path | None
    warnings: tuple[str, ...]

    def __init__(
        self,
        *,
        streams: Mapping[str, SensorStream],
        meta: SessionMeta | None = None,
        path: str | Path | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        meta = SessionMeta() if meta is None else meta
        if not isinstance(meta, SessionMeta):
            raise TypeError(f"Recording meta must be a SessionMeta, not {type(meta).__name__}")
        set_ = object.__setattr__
        set_(self, "streams", MappingProxyType(_checked_streams(streams)))
        set_(self, "meta", meta)
        set_(self, "path", None if path is None else Path(path))
        set_(self, "warnings", tuple(warnings))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Recording does not change; use replace() to set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Recording does not change; {name!r} cannot be deleted")

    def __repr__(self) -> str:
        return (
            f"Recording(placements={self.placements}, n_samples={self.n_samples}, "
            f"path={self.path!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_recording, (dict(self.streams), self.meta, self.path, self.warnings))

    def replace(self, **changes: Any) -> Recording:
        """A copy with ``streams``, ``meta``, ``path`` or ``warnings`` replaced (arrays shared)."""
        bad = set(changes) - set(self.__slots__)
        if bad:
            raise TypeError(f"Recording.replace() cannot change {sorted(bad)}")
        fields = {name: getattr(self, name) for name in self.__slots__}
        return Recording(**{**fields, **changes})

    @property
    def placements(self) -> tuple[str, ...]:
        """Worn placements, in the canonical order of ``PLACEMENTS``."""
        return tuple(self.streams)

    def stream(self, placement: str) -> SensorStream:
        """The samples of one sensor; KeyError naming the worn placements if not worn."""
        if placement not in self.streams:
            raise KeyError(f"no sensor {placement!r} in this recording; has {self.placements}")
        return self.streams[placement]

    @property
    def n_samples(self) -> int:
        """Samples of all sensors."""
        return sum(len(s) for s in self.streams.values())

    @property
    def duration_s(self) -> float:
        """Time from the first to the last sample of any sensor (0.0 without samples)."""
        spans = _spans(self)
        if not spans:
            return 0.0
        return max(b for _, b in spans.values()) - min(a for a, _ in spans.values())


def _rebuild_recording(
    streams: dict[str, SensorStream],
    meta: SessionMeta,
    path: Path | None,
    warnings: tuple[str, ...],
) -> Recording:
    """Unpickling (a Recording's fields are set once, in ``__init__``)."""
    return Recording(streams=streams, meta=meta, path=path, warnings=warnings)


def _checked_streams(streams: Mapping[str, SensorStream]) -> dict[str, SensorStream]:
    """``streams`` in ``PLACEMENTS`` order, each checked for its key and array shapes."""
    if not isinstance(streams, Mapping):
        raise TypeError(f"Recording streams must be a mapping, not {type(streams).__name__}")
    unknown = [k for k in streams if k not in PLACEMENTS]
    if unknown:
        raise ValueError(
            f"unknown placement {unknown[0]!r} in Recording streams; "
            f"expected one of {', '.join(PLACEMENTS)}"
        )
    for label, s in streams.items():
        if not isinstance(s, SensorStream):
            raise TypeError(f"stream {label!r} must be a SensorStream, not {type(s).__name__}")
        if s.placement != label:
            raise ValueError(f"stream of {s.placement!r} filed under {label!r}")
        _check_shapes(s)
    return {p: streams[p] for p in PLACEMENTS if p in streams}


def _check_shapes(s: SensorStream) -> None:
    """ValueError when one of ``s``'s arrays does not have the shape its ``t_s`` implies."""
    n = np.shape(s.t_s)[0] if np.ndim(s.t_s) == 1 else -1
    if n < 0:
        raise ValueError(f"stream {s.placement!r}: t_s must be 1-D, has shape {np.shape(s.t_s)}")
    want: dict[str, tuple[int, ...]] = {"acc_m_s2": (n, 3), "gyr_rad_s": (n, 3)}
    want |= {"mag_ut": (n, 3), "quat": (n, 4), "device_ticks": (n,)}
    for name, shape in want.items():
        arr = getattr(s, name)
        if arr is not None and np.shape(arr) != shape:
            raise ValueError(
                f"stream {s.placement!r}: {name} has shape {np.shape(arr)}; expected {shape} "
                f"({n} samples in t_s)"
            )


def take_streams(recording: Recording) -> tuple[dict[str, SensorStream], Recording]:
    """Hand a recording's sample arrays over to the caller.

    Returns the streams in a new dict the caller owns, and ``recording`` without them (same
    sidecar, path and warnings; no streams). Rebind the name you held,
    ``streams, recording = take_streams(recording)``: the arrays then live only in
    ``streams``, and whoever empties that dict frees them (the offline pipeline does, one
    sensor at a time). ``recording`` itself is not changed: anyone still holding it keeps
    the arrays alive.
    """
    return dict(recording.streams), recording.replace(streams={})


def samples_from_streams(streams: Mapping[str, SensorStream]) -> pd.DataFrame:
    """The long sample table of DESIGN §4 (sorted by ``t_s``, stable) from per-sensor streams.

    Sensors are concatenated in the order of ``streams`` (a Recording's is ``PLACEMENTS``
    order) before the sort, so rows of equal ``t_s`` keep that order. Columns of a channel
    that only some sensors have are NaN for the others.
    """
    import pandas as pd

    frames = []
    for label, s in streams.items():
        data: dict[str, Any] = {T_S: s.t_s, SENSOR: label}
        for cols, arr in ((ACC_COLUMNS, s.acc_m_s2), (GYR_COLUMNS, s.gyr_rad_s)):
            data.update({c: arr[:, i] for i, c in enumerate(cols)})
        if s.mag_ut is not None:
            data.update({c: s.mag_ut[:, i] for i, c in enumerate(MAG_COLUMNS)})
        if s.quat is not None:
            data.update({c: s.quat[:, i] for i, c in enumerate(QUAT_COLUMNS)})
        if s.device_ticks is not None:
            data[DEVICE_TICKS] = s.device_ticks
        frames.append(pd.DataFrame(data))
    if not frames:
        return pd.DataFrame(columns=list(REQUIRED_COLUMNS))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(T_S, kind="stable", ignore_index=True)
    return df[[c for c in ALL_COLUMNS if c in df.columns]]


def streams_from_samples(samples: pd.DataFrame) -> dict[str, SensorStream]:
    """Per-sensor streams (``PLACEMENTS`` order) from a long sample table (DESIGN §4 layout).

    Each sensor's rows keep their order; measurements become float64. A sensor whose
    magnetometer or quaternion cells are all empty gets None for that channel, and
    ``device_ticks`` is kept only when none of its cells is empty. The table is not
    validated here (:func:`validate_samples` does that); a missing required column raises
    KeyError and a label that is not a placement ValueError.
    """
    import pandas as pd

    labels = samples[SENSOR]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        codes = labels.cat.codes.to_numpy()
        names = [str(c) for c in labels.cat.categories]
    else:
        codes, uniques = pd.factorize(labels)
        names = [str(u) for u in uniques]
    present = [names[k] for k in np.unique(codes) if k >= 0]
    unknown = [n for n in present if n not in PLACEMENTS]
    if unknown:
        raise ValueError(
            f"unknown sensor label {unknown[0]!r} in the sample table; "
            f"expected one of {', '.join(PLACEMENTS)}"
        )
    rows = {p: np.flatnonzero(codes == names.index(p)) for p in PLACEMENTS if p in present}
    t_s = samples[T_S].to_numpy(dtype=np.float64)
    acc = samples[list(ACC_COLUMNS)].to_numpy(dtype=np.float64)
    gyr = samples[list(GYR_COLUMNS)].to_numpy(dtype=np.float64)
    mag = _optional_block(samples, MAG_COLUMNS)
    quat = _optional_block(samples, QUAT_COLUMNS)
    ticks = samples[DEVICE_TICKS].to_numpy() if DEVICE_TICKS in samples.columns else None
    out = {}
    for p, idx in rows.items():
        own_ticks = None if ticks is None else ticks[idx]
        out[p] = SensorStream(
            placement=p,
            t_s=t_s[idx],
            acc_m_s2=acc[idx],
            gyr_rad_s=gyr[idx],
            mag_ut=_unless_all_nan(mag, idx),
            quat=_unless_all_nan(quat, idx),
            device_ticks=(
                None
                if own_ticks is None or pd.isna(own_ticks).any()
                else own_ticks.astype(np.int64)
            ),
        )
    return out


def _optional_block(samples: pd.DataFrame, cols: tuple[str, ...]) -> FloatArray | None:
    """The float64 block of ``cols`` when the table has them all, else None."""
    if not all(c in samples.columns for c in cols):
        return None
    return samples[list(cols)].to_numpy(dtype=np.float64)


def _unless_all_nan(block: FloatArray | None, idx: NDArray[np.intp]) -> FloatArray | None:
    """Rows ``idx`` of ``block``, or None when there is no block or they are all NaN."""
    if block is None:
        return None
    rows = block[idx]
    return None if np.isnan(rows).all() else rows


def check_streams(streams: Mapping[str, SensorStream]) -> dict[str, SensorStream]:
    """The checks of :func:`validate_samples`, sensor by sensor on the arrays (no long table).

    Returns the streams with float64 measurements and int64 ticks (arrays already so are not
    copied), as ``streams_from_samples(validate_samples(samples_from_streams(streams)))``
    would. Raises RecordingFormatError at the first failing sample (its ``line`` counts that
    sensor's own samples from 2); the long table's validation names its own row instead.
    """
    out = {}
    for label, s in streams.items():
        mag = None if s.mag_ut is None else np.asarray(s.mag_ut, dtype=np.float64)
        quat = None if s.quat is None else np.asarray(s.quat, dtype=np.float64)
        ticks = None if s.device_ticks is None else np.asarray(s.device_ticks, dtype=np.int64)
        out[label] = SensorStream(
            placement=label,
            t_s=np.asarray(s.t_s, dtype=np.float64),
            acc_m_s2=np.asarray(s.acc_m_s2, dtype=np.float64),
            gyr_rad_s=np.asarray(s.gyr_rad_s, dtype=np.float64),
            mag_ut=None if mag is None or np.isnan(mag).all() else mag,
            quat=None if quat is None or np.isnan(quat).all() else quat,
            device_ticks=ticks,
        )
        _check_stream(out[label])
    return out


def _check_stream(s: SensorStream) -> None:
    """:func:`validate_samples`'s checks of one sensor's samples."""
    columns: dict[str, FloatArray] = {T_S: s.t_s}
    blocks = ((ACC_COLUMNS, s.acc_m_s2), (GYR_COLUMNS, s.gyr_rad_s))
    blocks += ((MAG_COLUMNS, s.mag_ut), (QUAT_COLUMNS, s.quat))
    for cols, block in blocks:
        if block is not None:
            columns.update({c: block[:, i] for i, c in enumerate(cols)})
    if s.device_ticks is not None:
        columns[DEVICE_TICKS] = s.device_ticks.astype(np.float64)
    for col in REQUIRED_COLUMNS:
        if col != SENSOR and not np.isfinite(columns[col]).all():
            raise RecordingFormatError(
                None, "empty, NaN or infinite value in a required column", column=col
            )
    _check_limits(columns, source=None, line=lambda i: i + 2)
    codes = np.full(len(s), PLACEMENTS.index(s.placement), dtype=np.intp)
    _check_times(s.t_s, codes, source=None, line=lambda i: i + 2, warnings=None)


def validate_samples(
    df: pd.DataFrame,
    *,
    source: str | Path | None = None,
    line_of_row: Callable[[int], int] | None = None,
    warnings: list[str] | None = None,
) -> pd.DataFrame:
    """Check a sample table against the canonical contract and return it cleaned.

    Returns the table with numeric columns as float64 (``device_ticks`` as Int64), rows in
    stable ``t_s`` order and only the canonical columns. Raises RecordingFormatError naming
    ``source``, the file line (``line_of_row(i)``, default ``i + 2``: header is line 1) and the
    column for: a missing required column, a non-numeric cell, NaN in a required column, a
    value outside the sensor limits or a ``t_s`` outside the session (``inputs``), an
    unknown sensor label, time not strictly increasing within a sensor, or an implausible
    sample rate. Pauses longer than ``inputs.WARN_GAP_S`` are appended to ``warnings``.
    """
    import pandas as pd

    def line(i: int) -> int:
        return i + 2 if line_of_row is None else line_of_row(i)

    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise RecordingFormatError(
            source,
            f"missing required column(s) {', '.join(missing)}; expected a header with "
            f"{','.join(REQUIRED_COLUMNS)}",
            line=1,
        )
    if len(df) == 0:
        raise RecordingFormatError(source, "no samples after the header row", line=2)
    out = _numeric_columns(df, source=source, line=line)
    _check_limits(out, source=source, line=line)
    codes = _placement_codes(df[SENSOR], source=source, line=line)
    t = out[T_S]
    _check_times(t, codes, source=source, line=line, warnings=warnings)
    clean = pd.DataFrame(
        {T_S: t, SENSOR: pd.Categorical.from_codes(codes, categories=list(PLACEMENTS))}
    )
    for col in NUMERIC_COLUMNS:
        if col in out and col != T_S:
            clean[col] = out[col]
    if DEVICE_TICKS in clean.columns:
        clean[DEVICE_TICKS] = pd.array(np.round(clean[DEVICE_TICKS].to_numpy()), dtype="Int64")
    clean = clean[[c for c in ALL_COLUMNS if c in clean.columns]]
    if np.any(np.diff(t) < 0):
        clean = clean.sort_values(T_S, kind="stable", ignore_index=True)
    return clean


def _numeric_columns(
    df: pd.DataFrame, *, source: str | Path | None, line: Callable[[int], int]
) -> dict[str, FloatArray]:
    """Every numeric column as float64; a non-numeric cell or a non-finite required value fails."""
    import pandas as pd

    out = {}
    for col in (c for c in NUMERIC_COLUMNS if c in df.columns):
        raw = df[col]
        num = pd.to_numeric(raw, errors="coerce") if raw.dtype.kind not in "fiu" else raw
        num = num.astype(np.float64)
        bad = num.isna().to_numpy() & raw.notna().to_numpy()
        if raw.dtype.kind not in "fiu":
            # empty strings count as missing, not as text
            txt = raw.astype("string")
            bad &= txt.str.strip().fillna("").to_numpy(dtype=str) != ""
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise RecordingFormatError(
                source,
                f"{inputs.shorten(df[col].iloc[i])} is not a number; expected a decimal number",
                line=line(i),
                column=col,
            )
        out[col] = num.to_numpy()
    for col in REQUIRED_COLUMNS:
        if col == SENSOR:
            continue
        nan = ~np.isfinite(out[col])
        if nan.any():
            i = int(np.flatnonzero(nan)[0])
            raise RecordingFormatError(
                source,
                "empty, NaN or infinite value in a required column",
                line=line(i),
                column=col,
            )
    return out


def _placement_codes(
    sensors: pd.Series, *, source: str | Path | None, line: Callable[[int], int]
) -> NDArray[np.intp]:
    """Each row's index into ``PLACEMENTS``; an unknown or missing label fails."""
    import pandas as pd

    if not isinstance(sensors.dtype, pd.CategoricalDtype):
        sensors = sensors.astype("category")  # factorise once; checks below work on codes
    names = [str(c).strip() for c in sensors.cat.categories]
    lut = np.array([PLACEMENTS.index(n) if n in PLACEMENTS else -1 for n in names] + [-1])
    codes = lut[sensors.cat.codes.to_numpy()]  # missing label (code −1) → −1 via the last entry
    unknown = np.flatnonzero(codes < 0)
    if unknown.size:
        i = int(unknown[0])
        shown = "" if pd.isna(sensors.iloc[i]) else str(sensors.iloc[i]).strip()
        raise RecordingFormatError(
            source,
            f"unknown sensor label {inputs.shorten(shown)}; "
            f"expected one of {', '.join(PLACEMENTS)}",
            line=line(i),
            column=SENSOR,
        )
    return codes


def _check_times(
    t: FloatArray,
    codes: NDArray[np.intp],
    *,
    source: str | Path | None,
    line: Callable[[int], int],
    warnings: list[str] | None,
) -> None:
    """Per sensor: time strictly increasing and a plausible rate; long pauses to ``warnings``."""
    for k in np.unique(codes):  # at most nine placements: one pass each
        idx = np.flatnonzero(codes == k)
        bad_t = np.flatnonzero(np.diff(t[idx]) <= 0)
        if bad_t.size:
            j = int(bad_t[0])
            i_prev, i_this = int(idx[j]), int(idx[j + 1])
            label = PLACEMENTS[codes[i_this]]
            raise RecordingFormatError(
                source,
                f"time of sensor '{label}' does not increase: {float(t[i_this])!r} s after "
                f"{float(t[i_prev])!r} s at line {line(i_prev)}; expected strictly increasing t_s "
                "within each sensor",
                line=line(i_this),
                column=T_S,
            )
        label = PLACEMENTS[k]
        problem = inputs.rate_problem(t[idx])
        if problem is not None:
            raise RecordingFormatError(
                source, f"sensor '{label}': {problem}", line=line(int(idx[1])), column=T_S
            )
        if warnings is not None:
            warnings += inputs.pause_warnings(label, t[idx], lambda j, idx=idx: line(int(idx[j])))


def _check_limits(
    columns: Mapping[str, FloatArray],
    *,
    source: str | Path | None,
    line: Callable[[int], int],
) -> None:
    """Refuse the first value outside the policy limits (float64, before any narrowing)."""
    i = inputs.first_time_out_of_range(columns[T_S])
    if i is not None:
        raise RecordingFormatError(
            source, inputs.time_range_message(float(columns[T_S][i])), line=line(i), column=T_S
        )
    for col, values in columns.items():
        i = inputs.first_out_of_range(col, values)
        if i is not None:
            raise RecordingFormatError(
                source, inputs.out_of_range_message(col, float(values[i])), line=line(i), column=col
            )
    i = inputs.first_bad_tick(columns[DEVICE_TICKS]) if DEVICE_TICKS in columns else None
    if i is not None:
        raise RecordingFormatError(
            source,
            f"{float(columns[DEVICE_TICKS][i])!r} is not a sample counter; expected a count "
            "within ±2^53 (corrupt value?)",
            line=line(i),
            column=DEVICE_TICKS,
        )
    if all(c in columns for c in QUAT_COLUMNS):
        quat = np.column_stack([columns[c] for c in QUAT_COLUMNS])
        i = inputs.quat_norm_bad(quat)
        if i is not None:
            norm = float(np.linalg.norm(quat[i]))
            raise RecordingFormatError(
                source,
                f"quaternion norm {norm:.4f}; expected a unit quaternion (within "
                f"{inputs.QUAT_NORM_TOLERANCE:.0%})",
                line=line(i),
                column=QUAT_COLUMNS[0],
            )


_META_TOLERANCE_S = 2.0
"""How far outside the data a sidecar time may lie and still count as inside."""


def _spans(rec: Recording) -> dict[str, tuple[float, float]]:
    """First and last ``t_s`` of every sensor with samples."""
    return {p: (float(s.t_s[0]), float(s.t_s[-1])) for p, s in rec.streams.items() if len(s)}


def check_meta_against_data(
    rec: Recording, *, source: str | Path | None = None
) -> tuple[SessionMeta, list[str]]:
    """The sidecar checked against the samples it describes, and warnings.

    Calibration windows change every angle, so one outside the data (by more than 2 s) is
    refused with RecordingFormatError. Markers and gaps outside the data, and gaps of a sensor
    the file does not hold, are dropped with a warning each (they change no angle).
    """
    meta = rec.meta
    spans = _spans(rec)
    if not spans:
        return meta, []
    first = min(a for a, _ in spans.values()) - _META_TOLERANCE_S
    last = max(b for _, b in spans.values()) + _META_TOLERANCE_S
    shown = f"{first + _META_TOLERANCE_S:.3f}–{last - _META_TOLERANCE_S:.3f} s"
    cal = meta.calibration
    windows = {} if cal is None else {"static_s": cal.static_s, "functional_s": cal.functional_s}
    for name, win in windows.items():
        if win and (win[0] < first or win[1] > last):
            raise RecordingFormatError(
                source,
                f"sidecar key 'calibration.{name}': expected a window inside the data "
                f"({shown}), found [{win[0]!r}, {win[1]!r}]",
            )
    notes: list[str] = []
    markers = tuple(m for m in meta.markers if first <= m.t_s <= last)
    if len(markers) < len(meta.markers):
        n = len(meta.markers) - len(markers)
        notes.append(f"sidecar: {n} marker(s) outside the data ({shown}) ignored")
    gaps = tuple(
        g for g in meta.gaps if g.sensor in spans and g.start_s <= last and g.end_s >= first
    )
    if len(gaps) < len(meta.gaps):
        n = len(meta.gaps) - len(gaps)
        notes.append(f"sidecar: {n} gap(s) of sensors not in the file or outside the data ignored")
    if not notes:
        return meta, []
    return dataclasses.replace(meta, markers=markers, gaps=gaps), notes
