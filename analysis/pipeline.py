"""From a recording to joint angles: time base → orientation → calibration → heading → angles.

``analyse_recording`` is the offline pipeline behind ``stretchguard analyse``; its output
``AngleResult.angles`` is the ``angles.csv`` contract: ``t_s`` then one column per available
angle (``analysis.schema.ANGLE_COLUMNS`` order, degrees) on a uniform grid at the session's
rate. Grid points where a needed sensor had no data are NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis import rotations as rot
from analysis.accbias import estimate_acc_bias, still_pose_means
from analysis.angles import joint_angles_deg
from analysis.calibration import (
    Q_G_E,
    CalibrationResult,
    calibrate,
    resolve_windows,
    stand_gyro_bias,
)
from analysis.errors import InsufficientDataError
from analysis.heading import (
    anchor_offsets,
    hinge_heading,
    hinge_links,
    stand_offsets,
    turn_about_vertical,
)
from analysis.orientation import estimate_orientation
from analysis.recording import Recording
from analysis.schema import ANGLE_COLUMNS, ORIENTATION_FROM_VENDOR, T_S
from analysis.timebase import (
    Gap,
    UniformSession,
    remove_acc_bias,
    remove_gyro_bias,
    to_uniform_grid,
)

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
    stand_anchors: bool = True
    """Re-anchor hip and lumbar heading whenever the subject stands upright again."""
    stand_gyro_bias: bool = True
    """Remove each gyroscope's mean rate during the quiet stand before fusion."""
    acc_bias_from_poses: bool = True
    """Estimate each accelerometer's bias from the session's still poses (analysis.accbias)."""
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
    anchors: bool = True,
) -> dict[str, FloatArray]:
    """Segment orientations ``q_E_B`` in one common earth frame (headings reconciled)."""
    t = session.t_s
    stand = (t >= calibration.static_s[0]) & (t < calibration.static_s[1])
    q_B = {p: rot.multiply(q_E_S[p], calibration.segments[p].q_S_B) for p in session.streams}
    reference = "pelvis" if "pelvis" in q_B else next(iter(q_B))
    offsets = stand_offsets(q_B, stand, reference=reference)
    q = {p: turn_about_vertical(v, offsets[p]) for p, v in q_B.items()}
    if hinge:
        for prox, dist, carried in hinge_links(q):
            valid = session.streams[prox].valid & session.streams[dist].valid
            delta = hinge_heading(
                q[prox], q[dist], rate_hz=session.rate_hz, window_s=hinge_window_s, valid=valid
            )
            for seg in carried:
                q[seg] = turn_about_vertical(q[seg], delta)
    if anchors:
        neutral = neutral_stand_mask(session, q)
        for prox, dist, chain in (
            ("pelvis", "left_thigh", ("left_thigh", "left_shank", "left_foot")),
            ("pelvis", "right_thigh", ("right_thigh", "right_shank", "right_foot")),
            ("pelvis", "trunk", ("trunk", "head")),
        ):
            if prox not in q or dist not in q:
                continue
            delta = anchor_offsets(q[prox], q[dist], neutral, t_s=t)
            for seg in chain:
                if seg in q:
                    q[seg] = turn_about_vertical(q[seg], delta)
    for p, s in session.streams.items():
        if not s.valid.all():
            q[p] = np.where(s.valid[:, None], q[p], np.nan)
    return q


def neutral_stand_mask(
    session: UniformSession,
    q_E_B: Mapping[str, FloatArray],
    *,
    max_tilt_deg: float = 6.0,
    still_rad_s: float = 0.1,
) -> NDArray[np.bool_]:
    """Grid points at which the subject stands upright and still, as in the quiet stand.

    Every worn pelvis and leg segment is within ``max_tilt_deg`` of vertical (its superior
    axis, the zero of the calibration) and every sensor turns slower than ``still_rad_s``.
    In this pose the hips are taken to be back in neutral rotation: the assumption behind the
    hip heading anchors (documented in docs/accuracy.md).
    """
    t_n = session.t_s.shape[0]
    mask = np.ones(t_n, dtype=bool)
    worn = [p for p in q_E_B if p == "pelvis" or p.split("_", 1)[-1] in ("thigh", "shank", "foot")]
    if not worn:
        return np.zeros(t_n, dtype=bool)
    cos_max = np.cos(np.deg2rad(max_tilt_deg))
    for p in worn:
        y_E = rot.rotate(q_E_B[p], [0.0, 1.0, 0.0])
        mask &= y_E[:, 2] > cos_max
    for s in session.streams.values():
        mask &= np.linalg.norm(s.gyr_rad_s, axis=1) < still_rad_s
    return mask


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
    windows = resolve_windows(session, recording.meta.calibration)
    if opts.stand_gyro_bias:
        session = remove_gyro_bias(session, stand_gyro_bias(session, windows.static_s))
    if opts.acc_bias_from_poses:
        acc_bias = {
            p: estimate_acc_bias(
                still_pose_means(s.acc_m_s2, s.gyr_rad_s, rate_hz=session.rate_hz)
            ).bias_m_s2
            for p, s in session.streams.items()
        }
        session = remove_acc_bias(session, acc_bias)
    q_E_S = {}
    n = len(session.streams)
    vendor = recording.meta.extra.get("orientation_source", {})
    for i, (label, s) in enumerate(session.streams.items()):
        report(f"orientation {label}", 0.1 + 0.6 * i / n)
        if vendor.get(label) == ORIENTATION_FROM_VENDOR and s.quat is not None:
            # acc/gyr of this sensor were derived from its own fusion output: use that
            q_E_S[label] = s.quat
            warnings.append(f"{label}: orientation from the vendor's sensor fusion")
            continue
        mag = s.mag_ut if (opts.use_magnetometer and s.mag_ut is not None) else None
        q_E_S[label] = estimate_orientation(
            s.gyr_rad_s,
            s.acc_m_s2,
            rate_hz=session.rate_hz,
            mag_ut=mag,
            offline=opts.offline_orientation,
        ).q_E_S
    report("calibration", 0.7)
    cal = calibrate(session, q_E_S, windows=windows)
    report("angles", 0.8)
    q_E_B = segment_orientations(
        session,
        q_E_S,
        cal,
        hinge_window_s=opts.hinge_window_s,
        hinge=opts.hinge_heading,
        anchors=opts.stand_anchors,
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
