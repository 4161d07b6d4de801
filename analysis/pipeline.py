"""From a recording to joint angles: time base → orientation → calibration → heading → angles.

``analyse_recording`` is the offline pipeline behind ``stretchguard analyse``; its output
``AngleResult.angles`` is the ``angles.csv`` contract: ``t_s`` then one column per available
angle (``analysis.schema.ANGLE_COLUMNS`` order, degrees) on a uniform grid at the session's
rate. Grid points where a needed sensor had no data are NaN.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis import rotations as rot
from analysis.angles import joint_angles_deg
from analysis.calibration import Q_G_E, CalibrationResult, calibrate
from analysis.errors import InsufficientDataError
from analysis.heading import hinge_heading, stand_offsets, turn_about_vertical
from analysis.orientation import estimate_orientation
from analysis.recording import Recording
from analysis.schema import ANGLE_COLUMNS, T_S
from analysis.timebase import Gap, UniformSession, to_uniform_grid

FloatArray = NDArray[np.float64]
Progress = Callable[[str, float], None]
"""Progress callback: (stage name, fraction of the whole pipeline done in [0, 1])."""


@dataclass(frozen=True, kw_only=True)
class PipelineOptions:
    """Choices of the offline pipeline (defaults are the documented, benchmarked ones)."""

    offline_orientation: bool = True
    """Acausal VQF (forward-backward) rather than the causal filter."""
    use_magnetometer: bool = False
    """9-D orientation where a sensor recorded a magnetometer (off: indoors it misleads)."""
    hinge_window_s: float = 20.0
    """Smoothing window of the knee/ankle hinge heading correction."""
    hinge_heading: bool = True
    """Track knee/ankle relative heading continuously (off: stand alignment only)."""
    max_gap_s: float = 0.25
    """Longer sensor dropouts leave NaN angles."""


@dataclass(frozen=True, kw_only=True)
class AngleResult:
    """Joint angles of a session and how they were obtained."""

    angles: pd.DataFrame
    rate_hz: float
    absent: Mapping[str, str]
    calibration: CalibrationResult
    gaps: tuple[Gap, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    segment_orientations: Mapping[str, FloatArray] = field(default_factory=dict, repr=False)
    """``q_E_B`` per placement on the grid, in the common earth frame (for diagnostics)."""


def _noop(_stage: str, _fraction: float) -> None:
    return None


def segment_orientations(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    calibration: CalibrationResult,
    *,
    hinge_window_s: float = 20.0,
    hinge: bool = True,
) -> dict[str, FloatArray]:
    """Segment orientations ``q_E_B`` in one common earth frame (headings reconciled)."""
    t = session.t_s
    stand = (t >= calibration.static_s[0]) & (t < calibration.static_s[1])
    q_B = {p: rot.multiply(q_E_S[p], calibration.segments[p].q_S_B) for p in session.streams}
    reference = "pelvis" if "pelvis" in q_B else next(iter(q_B))
    offsets = stand_offsets(q_B, stand, reference=reference)
    q = {p: turn_about_vertical(v, offsets[p]) for p, v in q_B.items()}
    if hinge:
        for side in ("left", "right"):
            chain = [f"{side}_{s}" for s in ("thigh", "shank", "foot")]
            for prox, dist in itertools.pairwise(chain):
                if prox not in q or dist not in q:
                    continue
                valid = session.streams[prox].valid & session.streams[dist].valid
                delta = hinge_heading(
                    q[prox],
                    q[dist],
                    rate_hz=session.rate_hz,
                    window_s=hinge_window_s,
                    valid=valid,
                )
                # the correction of a segment carries down the chain to its distal neighbours
                for seg in chain[chain.index(dist) :]:
                    if seg in q:
                        q[seg] = turn_about_vertical(q[seg], delta)
    for p, s in session.streams.items():
        if not s.valid.all():
            q[p] = np.where(s.valid[:, None], q[p], np.nan)
    return q


def analyse_recording(
    recording: Recording,
    *,
    options: PipelineOptions | None = None,
    progress: Progress | None = None,
) -> AngleResult:
    """Joint angles of a recording (see module docstring for the output contract)."""
    opts = options or PipelineOptions()
    report = progress or _noop
    report("resampling", 0.0)
    streams = recording.streams()
    if not streams:
        raise InsufficientDataError("the recording has no sensors")
    session = to_uniform_grid(streams, max_gap_s=opts.max_gap_s)
    warnings = list(recording.warnings)
    q_E_S = {}
    n = len(session.streams)
    for i, (label, s) in enumerate(session.streams.items()):
        report(f"orientation {label}", 0.1 + 0.6 * i / n)
        mag = s.mag_ut if (opts.use_magnetometer and s.mag_ut is not None) else None
        q_E_S[label] = estimate_orientation(
            s.gyr_rad_s,
            s.acc_m_s2,
            rate_hz=session.rate_hz,
            mag_ut=mag,
            offline=opts.offline_orientation,
        ).q_E_S
    report("calibration", 0.7)
    cal = calibrate(session, q_E_S, windows=recording.meta.calibration)
    report("angles", 0.8)
    q_E_B = segment_orientations(
        session, q_E_S, cal, hinge_window_s=opts.hinge_window_s, hinge=opts.hinge_heading
    )
    ja = joint_angles_deg(q_E_B, q_G_E=Q_G_E)
    data = {T_S: session.t_s}
    data.update({c: ja.columns[c] for c in ANGLE_COLUMNS if c in ja.columns})
    angles = pd.DataFrame(data)
    for g in session.gaps:
        warnings.append(
            f"{g.placement}: no data for {g.end_s - g.start_s:.2f} s from {g.start_s:.2f} s; "
            "angles that need it are left empty there"
        )
    report("done", 1.0)
    return AngleResult(
        angles=angles,
        rate_hz=session.rate_hz,
        absent=dict(ja.absent.items()),
        calibration=cal,
        gaps=session.gaps,
        warnings=tuple(warnings),
        segment_orientations=q_E_B,
    )
