"""Causal joint angles for live sessions: the offline pipeline's shared steps, in chunks.

Samples arrive per sensor with their own time stamps. :class:`LiveAnglePipeline` puts them on
the session grid as soon as every sensor has data past a grid point (linear interpolation, as
offline), runs the causal VQF per sensor, and — once the guided protocol has delivered the
quiet stand and the functional movements — calibrates from what it buffered and from then on
returns joint angles for every new grid point. Work is done in batches (call :meth:`step` a
few times per second), so the per-notification cost is an append.

Every step after the grid is a function of ``analysis.angles.chain`` that the offline
pipeline calls too, so the angles equal those of ``analyse_recording`` run causally with the
same calibration (``PipelineOptions``; tests/analysis/test_chain.py). What only the offline
pipeline does, and why, is listed in docs/architecture.md ("Offline and live").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles import chain
from analysis.angles.calibration import CalibrationResult, calibrate
from analysis.angles.calibration_windows import resolve_windows
from analysis.angles.orientation import CausalOrientation
from analysis.angles.timebase import (
    UniformSession,
    UniformStream,
    covered,
    find_gaps,
    interp_columns,
    outside_gaps,
)
from analysis.errors import CalibrationError
from analysis.recording.streams import CalibrationWindows

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MAX_GAP_S = 0.25
"""As offline (``PipelineOptions.max_gap_s``): a sensor silent for longer has no data at the
grid points in between; their angles are NaN, never drawn across the dropout."""


def _with_data(t_grid: FloatArray, t_raw: FloatArray, rate_hz: float) -> BoolArray:
    """Grid points not inside a dropout of the raw samples ``t_raw`` (as offline's grid)."""
    return outside_gaps(t_grid, find_gaps(t_raw, max_gap_s=MAX_GAP_S), rate_hz=rate_hz)


@dataclass(frozen=True)
class LiveAngles:
    """New grid points: ``t_s`` ``(n,)`` and angle columns (deg) present in the session."""

    t_s: FloatArray
    columns: dict[str, FloatArray]


class _SensorBuffer:
    """Raw samples of one sensor not yet consumed by the grid (grows by append)."""

    def __init__(self) -> None:
        self.t: list[FloatArray] = []
        self.acc: list[FloatArray] = []
        self.gyr: list[FloatArray] = []
        self.first_t = np.inf
        self.last_t = -np.inf

    def push(self, t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        keep = t_s > self.last_t  # drop duplicates / out-of-order samples
        if not keep.any():
            return
        self.t.append(t_s[keep])
        self.acc.append(acc[keep])
        self.gyr.append(gyr[keep])
        self.first_t = min(self.first_t, float(t_s[keep][0]))
        self.last_t = float(t_s[keep][-1])

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        if len(self.t) > 1:
            self.t = [np.concatenate(self.t)]
            self.acc = [np.concatenate(self.acc)]
            self.gyr = [np.concatenate(self.gyr)]
        return self.t[0], self.acc[0], self.gyr[0]

    def drop_before(self, t_s: float) -> None:
        """Forget samples older than the last one before ``t_s`` (kept for interpolation)."""
        t, acc, gyr = self.arrays()
        i = max(int(np.searchsorted(t, t_s)) - 1, 0)
        self.t, self.acc, self.gyr = [t[i:]], [acc[i:]], [gyr[i:]]


class LiveAnglePipeline:
    """Causal angles for a fixed set of placements at ``rate_hz``.

    Call :meth:`push` for each decoded batch of a sensor (``t_s`` on the session clock),
    :meth:`calibrate` when the protocol's stand and movement windows are known, and
    :meth:`step` periodically to get the angles of new grid points.
    """

    def __init__(
        self,
        placements: Iterable[str],
        *,
        rate_hz: float,
        t0_s: float = 0.0,
        hinge_tau_s: float = 10.0,
    ) -> None:
        self.placements = tuple(placements)
        self.rate_hz = float(rate_hz)
        self._t0 = float(t0_s)
        self._k = 0  # next grid index
        self._buf = {p: _SensorBuffer() for p in self.placements}
        self._ori: dict[str, CausalOrientation] = {}
        self._bias: dict[str, FloatArray] = {}
        self._hist: dict[str, list[FloatArray]] = {p: [] for p in self.placements}
        self._hist_ok: dict[str, list[BoolArray]] = {p: [] for p in self.placements}
        self._hist_t: list[FloatArray] = []
        self._cal: CalibrationResult | None = None
        self._offsets: dict[str, float] = {}
        self._hinges = chain.CausalHinges((), rate_hz=self.rate_hz, tau_s=hinge_tau_s)
        self._hinge_tau_s = hinge_tau_s

    # -- input ------------------------------------------------------------------------------

    def push(
        self, placement: str, t_s: FloatArray, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> None:
        """Append decoded samples of one sensor (``(n,)``, ``(n, 3)``, ``(n, 3)``)."""
        self._buf[placement].push(
            np.asarray(t_s, dtype=np.float64),
            np.asarray(acc_m_s2, dtype=np.float64).reshape(-1, 3),
            np.asarray(gyr_rad_s, dtype=np.float64).reshape(-1, 3),
        )

    @property
    def calibrated(self) -> bool:
        """True once :meth:`calibrate` succeeded."""
        return self._cal is not None

    @property
    def calibration(self) -> CalibrationResult | None:
        """The calibration in use (None before)."""
        return self._cal

    # -- processing ---------------------------------------------------------------------------

    def _grid_chunk(
        self,
    ) -> tuple[FloatArray, dict[str, tuple[FloatArray, FloatArray, BoolArray]]] | None:
        if any(not b.t for b in self._buf.values()):
            return None
        horizon = min(b.last_t for b in self._buf.values())
        k_end = int(np.floor((horizon - self._t0) * self.rate_hz + 1e-9)) + 1
        if k_end <= self._k:
            return None
        t_grid = self._t0 + np.arange(self._k, k_end) / self.rate_hz
        out = {}
        for p, b in self._buf.items():
            t, acc, gyr = b.arrays()
            ok = _with_data(t_grid, t, self.rate_hz)
            out[p] = (interp_columns(t_grid, t, acc), interp_columns(t_grid, t, gyr), ok)
            b.drop_before(float(t_grid[-1]))
        self._k = k_end
        return t_grid, out

    def step(self) -> LiveAngles | None:
        """Process everything that can be put on the grid; angles once calibrated."""
        chunk = self._grid_chunk()
        if chunk is None:
            return None
        t_grid, data = chunk
        if self._cal is None:
            # before calibration only buffer: orientation starts once the stand's gyroscope
            # bias is known (see analysis.angles.calibration.stand_gyro_bias)
            self._hist_t.append(t_grid)
            for p, (acc, gyr, ok) in data.items():
                self._hist[p].append(np.column_stack([acc, gyr]))
                self._hist_ok[p].append(ok)
            return LiveAngles(t_s=t_grid, columns={})
        q_E_S = {p: self._orientation(p, acc, gyr) for p, (acc, gyr, _ok) in data.items()}
        valid = {p: ok for p, (_acc, _gyr, ok) in data.items()}
        return LiveAngles(t_s=t_grid, columns=self._angles(q_E_S, valid))

    def _orientation(
        self, placement: str, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> FloatArray:
        """``q_E_S`` of new grid rows: causal VQF on the debiased rates, stored as offline."""
        gyr = chain.debiased_gyro(gyr_rad_s, self._bias[placement])
        return chain.stored_orientation(self._ori[placement].update(gyr, acc_m_s2))

    def calibrate(self, windows: CalibrationWindows) -> CalibrationResult:
        """Calibrate from the buffered stand and movements; raises CalibrationError."""
        if not self._hist_t:
            raise CalibrationError("no data buffered yet; calibrate after the movements")
        t = np.concatenate(self._hist_t)
        streams = {}
        for p in self.placements:
            h = np.vstack(self._hist[p])
            # as offline: no data before the sensor's first sample (its last is still to
            # come) nor inside its dropouts
            valid = covered(t, self._buf[p].first_t, np.inf, rate_hz=self.rate_hz)
            valid &= np.concatenate(self._hist_ok[p])
            streams[p] = UniformStream(
                placement=p, acc_m_s2=h[:, :3], gyr_rad_s=h[:, 3:6], valid=valid
            )
        session = UniformSession(t_s=t, rate_hz=self.rate_hz, streams=streams, gaps=())
        resolved = resolve_windows(session, windows)
        self._bias = chain.gyro_bias(session, resolved.static_s)
        self._ori = {p: CausalOrientation(rate_hz=self.rate_hz) for p in self.placements}
        q_E_S = {
            p: self._orientation(p, u.acc_m_s2, u.gyr_rad_s) for p, u in session.streams.items()
        }
        cal = calibrate(session, q_E_S, windows=resolved)
        self._offsets = chain.stand_turns(chain.sensor_to_segment(q_E_S, cal), t, cal)
        self._hinges = chain.CausalHinges(
            self.placements, rate_hz=self.rate_hz, tau_s=self._hinge_tau_s
        )
        self._cal = cal
        # run the hinge trackers over the buffered history too, so that their state at any
        # grid point depends only on the data up to it, not on when calibrate() was called
        self._angles(q_E_S, {p: u.valid for p, u in streams.items()})
        self._hist = {p: [] for p in self.placements}
        self._hist_ok = {p: [] for p in self.placements}
        self._hist_t = []
        return cal

    def _angles(
        self, q_E_S: dict[str, FloatArray], valid: dict[str, BoolArray]
    ) -> dict[str, FloatArray]:
        """Angle columns of new grid rows from their sensor orientations (the shared steps).

        NaN where a segment's sensor had no data (``valid`` False).
        """
        assert self._cal is not None
        q_B = chain.sensor_to_segment(q_E_S, self._cal)
        turns: chain.Turns = dict(self._offsets)
        chain.add_hinge_turns(q_B, turns, self._hinges.estimator(q_B))
        return chain.isb_angles(chain.apply_turns(q_B, turns, valid=valid)).columns
