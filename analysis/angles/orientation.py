"""Sensor orientation with VQF (Laidig & Seel 2023): offline for files, causal for live.

Output quaternions are ``q_E_S`` (sensor → earth, scalar-first) in each sensor's *own* earth
frame: z up (from gravity), heading arbitrary and drifting slowly without a magnetometer. The
heading between sensors is reconciled later (``angles.heading``). The magnetometer is off by
default: indoors, steel and electronics bend the field and mislead the heading.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from vqf import VQF, offlineVQF

from analysis.angles import rotations as rot

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class OrientationResult:
    """Orientation of one sensor on the grid, with what the filter says about it.

    ``q_E_S`` is ``(K, 4)``; the bias estimate is ``(K, 3)`` in rad/s (sensor frame) and the rest
    flags ``(K,)``, where the filter gives them.
    """

    q_E_S: FloatArray
    bias_rad_s: FloatArray | None = None
    rest: NDArray[np.bool_] | None = None


def _c(a: FloatArray) -> FloatArray:
    return np.ascontiguousarray(a, dtype=np.float64)


VQF_PARAMS: dict[str, Any] = {"biasClip": 5.0}
"""VQF settings of both the offline and the causal filter (caller's ``params`` override them).

``biasClip`` (largest gyroscope bias the filter estimates, and largest steady rate it still
takes for rest) is raised from VQF's 2 °/s to 5 °/s. The quiet stand's mean rate is removed
before fusion, so what VQF tracks is the drift since the stand; a consumer MEMS gyroscope
warming on the skin can drift past 2 °/s within an hour, and beyond the clip the filter
stopped seeing rest and let the heading run (0.3 °/s on a lying thigh in a simulated 1-h
session: 88° of hip adduction by its end). The offline pipeline can take the drift across
each rest's vertical from the sensor's own rests and slow VQF's rest estimate
(``PipelineOptions.bias_from_rests``, off by default).
"""


def estimate_orientation(
    gyr_rad_s: FloatArray,
    acc_m_s2: FloatArray,
    *,
    rate_hz: float,
    mag_ut: FloatArray | None = None,
    offline: bool = True,
    params: Mapping[str, Any] | None = None,
) -> OrientationResult:
    """Orientation of one sensor from uniformly sampled gyro and accelerometer data.

    Parameters
    ----------
    gyr_rad_s, acc_m_s2
        ``(K, 3)`` angular rate and specific force in the sensor frame.
    rate_hz
        Sample rate of the uniform grid.
    mag_ut
        ``(K, 3)`` magnetic field; when given, the 9-D (magnetometer) solution is returned.
    offline
        True: acausal forward-backward VQF (best for recordings). False: the causal filter,
        identical to what :class:`CausalOrientation` gives when fed the same data in chunks.
    params
        VQF parameters (e.g. ``tauAcc``), passed through.
    """
    gyr, acc = _c(gyr_rad_s), _c(acc_m_s2)
    params = {**VQF_PARAMS, **dict(params or {})}
    mag = None if mag_ut is None else _c(mag_ut)
    ts = 1.0 / rate_hz
    key = "quat6D" if mag is None else "quat9D"
    if offline:
        out = offlineVQF(gyr, acc, mag, ts, dict(params) if params else None)
    else:
        f = VQF(ts, **dict(params or {}))
        out = f.updateBatch(gyr, acc, mag) if mag is not None else f.updateBatch(gyr, acc)
    return OrientationResult(
        q_E_S=np.asarray(out[key], dtype=np.float64),
        bias_rad_s=np.asarray(out["bias"], dtype=np.float64) if "bias" in out else None,
        rest=np.asarray(out["restDetected"], dtype=bool) if "restDetected" in out else None,
    )


@dataclass(frozen=True)
class OrientationTask:
    """One block of one sensor: rows ``[start, stop)`` of its grid (data from the source)."""

    placement: str
    start: int
    stop: int
    rate_hz: float
    offline: bool
    params: Mapping[str, Any] | None = None
    """VQF settings over :data:`VQF_PARAMS` (None: those alone)."""


BlockSource = Callable[[OrientationTask], tuple[FloatArray, FloatArray]]
"""Gives a task's bias-corrected, C-contiguous float64 ``(gyr_rad_s, acc_m_s2)`` block."""

_FORK_SOURCE: list[BlockSource] = []
"""The source of the running :func:`run_orientation`, inherited by forked workers."""


def _run_task(task: OrientationTask) -> NDArray[np.float32]:
    gyr, acc = _FORK_SOURCE[-1](task)
    q = estimate_orientation(
        gyr, acc, rate_hz=task.rate_hz, offline=task.offline, params=task.params
    ).q_E_S
    return q.astype(np.float32)


def block_bounds(n: int, *, block: int, overlap: int) -> list[tuple[int, int]]:
    """Rows ``[start, stop)`` of blocks of about ``block`` rows overlapping by ``2·overlap``."""
    if n <= block + 2 * overlap:
        return [(0, n)]
    k = int(np.ceil(n / block))
    edges = np.linspace(0, n, k + 1).round().astype(int)
    return [
        (max(0, int(a) - overlap), min(n, int(b) + overlap)) for a, b in itertools.pairwise(edges)
    ]


def stitch_blocks(
    n: int, bounds: list[tuple[int, int]], blocks: list[FloatArray]
) -> NDArray[np.float32]:
    """Join per-block orientations into one ``(n, 4)`` float32 series.

    Each block's earth frame has its own arbitrary heading; a block is turned about the
    vertical by the circular mean of its heading difference to the previous block over their
    overlap, then contributes the rows from the middle of that overlap on.
    """
    out = np.empty((n, 4), dtype=np.float32)
    prev: FloatArray | None = None
    prev_bounds = (0, 0)
    for (a, b), q in zip(bounds, blocks, strict=True):
        if prev is not None:
            lo, hi = a, prev_bounds[1]
            e = rot.multiply(
                prev[lo - prev_bounds[0] : hi - prev_bounds[0]], rot.conjugate(q[: hi - a])
            )
            yaw = 2.0 * np.arctan2(e[:, 3], e[:, 0])
            delta = float(np.angle(np.mean(np.exp(1j * yaw))))
            turn = np.array([np.cos(delta / 2), 0.0, 0.0, np.sin(delta / 2)])
            q = rot.multiply(turn, q)
            cut = (lo + hi) // 2
        else:
            cut = a
        out[cut:b] = q[cut - a :]
        prev, prev_bounds = q, (a, b)
    return out


def run_orientation(
    tasks: Iterable[OrientationTask], source: BlockSource, *, workers: int = 1
) -> Iterator[tuple[OrientationTask, NDArray[np.float32]]]:
    """Each task with its ``q_E_S`` (float32), in task order, using ``workers`` processes.

    VQF holds the interpreter while it runs, so parallel blocks need processes. They are
    forked after ``source`` is published, so each worker reads its block from the memory it
    inherited (nothing large is pickled) and sends back only the quaternions; at most
    ``2 · workers`` tasks are in flight.
    """
    _FORK_SOURCE.append(source)
    try:
        if workers <= 1:
            for task in tasks:
                yield task, _run_task(task)
            return
        import multiprocessing
        from concurrent.futures import Future, ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork")
        pending: deque[tuple[OrientationTask, Future[NDArray[np.float32]]]] = deque()
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for task in tasks:
                pending.append((task, pool.submit(_run_task, task)))
                if len(pending) >= 2 * workers:
                    done, fut = pending.popleft()
                    yield done, fut.result()
            while pending:
                done, fut = pending.popleft()
                yield done, fut.result()
    finally:
        _FORK_SOURCE.pop()


class CausalOrientation:
    """Causal VQF for live use: feed chunks of any size, get the same result as one batch.

    ``state`` can be read and restored (e.g. to resume after a reconnect).
    """

    def __init__(self, *, rate_hz: float, params: Mapping[str, Any] | None = None) -> None:
        self.rate_hz = float(rate_hz)
        self._vqf = VQF(1.0 / self.rate_hz, **{**VQF_PARAMS, **dict(params or {})})

    def update(self, gyr_rad_s: FloatArray, acc_m_s2: FloatArray) -> FloatArray:
        """Process ``(n, 3)`` samples; return their ``q_E_S`` ``(n, 4)``."""
        gyr, acc = _c(np.atleast_2d(gyr_rad_s)), _c(np.atleast_2d(acc_m_s2))
        if gyr.shape[0] == 0:
            return np.empty((0, 4))
        return np.asarray(self._vqf.updateBatch(gyr, acc)["quat6D"], dtype=np.float64)

    @property
    def state(self) -> dict[str, Any]:
        """The filter's full internal state (a copy)."""
        return dict(self._vqf.state)

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        self._vqf.state = dict(value)

    @property
    def bias_rad_s(self) -> FloatArray:
        """Current gyroscope bias estimate (sensor frame)."""
        bias, _sigma = self._vqf.getBiasEstimate()
        return np.asarray(bias, dtype=np.float64)
