"""What a live session hands to its consumers: aligned sample batches, gaps and status.

Consumers (the recorder, the live display, later the causal angle pipeline) implement
:class:`SessionSink` and are called synchronously from the session's consumer tasks, in
per-sensor time order. They must be quick (no blocking I/O beyond buffered writes).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from analysis.recording.streams import Gap
from sensors.families.base import ImuSample

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class AlignedBatch:
    """Samples of one sensor completed by one notification, on the session clock.

    Attributes
    ----------
    placement
        The sensor's placement label.
    t_s
        ``(n,)`` session seconds, strictly increasing (also across batches of the sensor).
    acc_m_s2, gyr_rad_s
        ``(n, 3)`` specific force (m/s²) and angular rate (rad/s), sensor frame.
    mag_ut, quat
        ``(n, 3)`` µT and ``(n, 4)`` scalar-first sensor → earth, NaN rows where a sample
        has none; None when no sample of the batch has any.
    device_ticks
        Raw device stamp per sample as sent (None entries where absent), or None.
    """

    placement: str
    t_s: FloatArray
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_ut: FloatArray | None = None
    quat: FloatArray | None = None
    device_ticks: tuple[int | None, ...] | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def from_samples(
        cls, placement: str, t_s: FloatArray, samples: Sequence[ImuSample]
    ) -> AlignedBatch:
        """Stack decoded samples (each with acc and gyro) with their aligned times."""

        def stack(attr: str, width: int) -> FloatArray | None:
            values = [getattr(s, attr) for s in samples]
            if all(v is None for v in values):
                return None
            nan = (np.nan,) * width
            return np.array([v if v is not None else nan for v in values], dtype=np.float64)

        acc = stack("acc_m_s2", 3)
        gyr = stack("gyr_rad_s", 3)
        if acc is None or gyr is None:
            raise ValueError("every aligned sample needs acceleration and angular rate")
        ticks = tuple(s.device_ticks for s in samples)
        return cls(
            placement=placement,
            t_s=np.asarray(t_s, dtype=np.float64),
            acc_m_s2=acc,
            gyr_rad_s=gyr,
            mag_ut=stack("mag_ut", 3),
            quat=stack("quat_wxyz", 4),
            device_ticks=None if all(t is None for t in ticks) else ticks,
        )


@runtime_checkable
class SessionSink(Protocol):
    """A consumer of a live session's data."""

    def on_samples(self, batch: AlignedBatch) -> None:
        """New samples of one sensor (in time order per sensor)."""
        ...

    def on_gap(self, gap: Gap) -> None:
        """A closed interval without data of one sensor (dropout or disconnection)."""
        ...


class LinkState(enum.StrEnum):
    """Where one sensor's connection stands."""

    WAITING = "waiting"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class SensorStatus:
    """A snapshot of one sensor for displays (counts since the session started)."""

    placement: str
    family: str | None
    name: str | None
    address: str | None
    state: LinkState
    rate_hz: float | None
    measured_rate_hz: float
    samples: int
    last_t_s: float | None
    reconnects: int
    gaps: int
    counts: Mapping[str, int] = field(default_factory=dict)
    battery_pct: int | None = None
