"""How much a trusted pelvis axis's error may add to the rate of the angles turned about it.

A segment's flexion axis off by ``θ`` about the vertical reads a rotation about the true axis
as ``cos θ`` of itself and mixes in ``sin θ`` of the rotation about the antero-posterior axis
(the pelvis's obliquity). The thigh, shank and foot turn about a hinge that fixes their axes
to about 1°; the pelvis has none, and a trusted pelvis axis was measured up to
:data:`PELVIS_AXIS_PRECISION_DEG` off. Where the pelvis tips sideways while it tilts (a hip
hitched with the lean into a standing stretch), the lean's rate as read may then be off by
far more than the share measured over the population: a hold timed on that rate says so
(``analysis.envelope.checker``, ``check_envelope(rate_mixing=...)``). Live, the same series is
made row by row as the angles are (:class:`CausalRateMixing`) and given to the envelope monitor
with them (``analysis.envelope.monitor``), so a live hold says what the report will.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.calibration import angle_dependencies

PELVIS_AXIS_PRECISION_DEG: Final = 11.0
"""How far (deg) a trusted pelvis flexion axis may be off: the 99th percentile of the error of
the pelvis axes the calibration trusted in round 11's in-sample run (people 0–149 and four at
1 h, every set: 287 axes, median 0.86°, 95th percentile 4.6°, 99th 11.0°, worst 13.1°;
held-out 20000–20099: 181 axes, 99th percentile 12.0°, worst 21.1°)."""

CHUNK_SAMPLES: Final = 1 << 16
"""Samples per step of :func:`pelvis_rate_mixing` (bounds its scratch memory on long sessions)."""


def pelvis_rate_mixing(q_E_B: NDArray[np.floating], rate_hz: float) -> NDArray[np.float32]:
    """``sin(PELVIS_AXIS_PRECISION_DEG)`` × the pelvis's obliquity rate (°/s, ≥ 0) per sample.

    ``q_E_B``: the pelvis's orientation (segment → earth, scalar first, ISB axes: x forward,
    y up, z to the right) on the grid at ``rate_hz``. The rate is the body-frame angular
    velocity about x from consecutive orientations; samples without an orientation read 0.
    """
    n = len(q_E_B)
    out = np.zeros(n, dtype=np.float32)
    if n < 2:
        return out
    gain = np.degrees(2.0 * rate_hz) * np.sin(np.radians(PELVIS_AXIS_PRECISION_DEG))
    for a in range(0, n - 1, CHUNK_SAMPLES):
        b = min(a + CHUNK_SAMPLES, n - 1)
        q0 = np.asarray(q_E_B[a:b], dtype=np.float64)
        q1 = np.asarray(q_E_B[a + 1 : b + 1], dtype=np.float64)
        dq = rot.multiply(rot.conjugate(q0), q1)
        # the shorter of the two equal turns: the sign of the scalar part
        w_x = np.abs(dq[:, 1]) * gain
        out[a:b] = np.where(np.isfinite(w_x), w_x, 0.0)
    out[-1] = out[-2]
    return out


def _pelvis_turned(columns: Collection[str]) -> list[str]:
    """The columns of ``columns`` whose first segment is the pelvis (turned about its axis)."""
    turned = [c for c, deps in angle_dependencies().items() if deps[0] == "pelvis"]
    return [c for c in turned if c in columns]


def rate_mixing_columns(
    q_E_B: dict[str, NDArray[np.floating]], rate_hz: float, columns: Collection[str]
) -> dict[str, NDArray[np.float32]]:
    """The rate (°/s) the pelvis axis's error may add, per angle column turned about it.

    Every column of ``columns`` whose first segment is the pelvis (hip angles, pelvis tilt,
    lumbar, head against the pelvis) gets :func:`pelvis_rate_mixing` (one array shared by
    all); none without a pelvis orientation in ``q_E_B``.
    """
    q = q_E_B.get("pelvis")
    if q is None:
        return {}
    wanted = _pelvis_turned(columns)
    if not wanted:
        return {}
    series = pelvis_rate_mixing(q, rate_hz)
    return dict.fromkeys(wanted, series)


class CausalRateMixing:
    """:func:`rate_mixing_columns` row by row, as a live pipeline gives its angles.

    Each row's value is that of the turn from the row before it to it (offline's is the turn
    from it to the row after, which a live row does not have yet): the series of rows
    ``[a, b)`` is offline's of ``[a − 1, b − 1)``; the very first row reads 0. The envelope
    monitor shifts it back by one row (``analysis.envelope.monitor``), so over the same
    orientations it judges with offline's numbers up to the newest row.
    """

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = float(rate_hz)
        self._last: NDArray[np.float64] | None = None
        """The pelvis's orientation at the newest row so far (None before the first)."""

    def update(
        self, q_E_B: dict[str, NDArray[np.floating]], columns: Collection[str]
    ) -> dict[str, NDArray[np.float32]]:
        """The series of the new rows (``q_E_B`` as for :func:`rate_mixing_columns`)."""
        q = q_E_B.get("pelvis")
        if q is None or len(q) == 0:
            return {}
        rows = np.asarray(q, dtype=np.float64)
        prev = rows[:1] if self._last is None else self._last
        self._last = rows[-1:].copy()
        wanted = _pelvis_turned(columns)
        if not wanted:
            return {}
        series = pelvis_rate_mixing(np.concatenate([prev, rows]), self.rate_hz)[:-1]
        return dict.fromkeys(wanted, series)
