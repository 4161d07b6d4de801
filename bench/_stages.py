"""What the orientation filter receives inside the offline pipeline, rebuilt for the peers.

``analysis.angles.pipeline.analyse_recording`` has no public hook that hands out the resampled,
bias-corrected sensor data it feeds VQF. ``bench/peers.py`` needs exactly that data, to give
every orientation filter the same input, so :func:`prepared` repeats those steps with the
pipeline's defaults: the uniform grid (``to_uniform_grid``), the quiet stand's gyroscope bias
(``stand_gyro_bias``) subtracted and the accelerometer corrected from still poses
(``estimate_acc_correction``: bias, and scale and cross-axis gain unless ``acc_gain_from_poses``
is off). It follows the pipeline as of the commit named in docs/benchmarks.md; if the
pipeline changes its bias steps, this file must follow.
"""

from __future__ import annotations

import inspect
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from analysis.angles.accbias import estimate_acc_correction, still_pose_means
from analysis.angles.calibration import stand_gyro_bias
from analysis.angles.calibration_windows import Windows, resolve_windows
from analysis.angles.orientation import estimate_orientation
from analysis.angles.pipeline import ACC_GAIN_PRIOR_SD, ACC_POSE_WINDOW_S, PipelineOptions
from analysis.angles.timebase import UniformSession, to_uniform_grid
from analysis.recording.streams import Recording

FloatArray = NDArray[np.float64]

_POSE_MEANS_TAKE_GYR_BIAS = "gyr_bias_rad_s" in inspect.signature(still_pose_means).parameters


def prepared(
    recording: Recording, opts: PipelineOptions | None = None
) -> tuple[UniformSession, Windows]:
    """The session on its grid with the biases removed and the accelerometer corrected
    (float64), and the resolved windows."""
    o = opts or PipelineOptions()
    session = to_uniform_grid(recording.streams, max_gap_s=o.max_gap_s)
    windows = resolve_windows(session, recording.meta.calibration)
    zero = np.zeros(3)
    gyr_bias = (
        stand_gyro_bias(session, windows.static_s)
        if o.stand_gyro_bias
        else dict.fromkeys(session.streams, zero)
    )
    streams = {}
    for p, s in session.streams.items():
        acc = np.asarray(s.acc_m_s2, dtype=np.float64)
        gyr = np.asarray(s.gyr_rad_s, dtype=np.float64)
        if o.acc_bias_from_poses:
            extra = {"gyr_bias_rad_s": gyr_bias[p]} if _POSE_MEANS_TAKE_GYR_BIAS else {}
            means = still_pose_means(
                acc, gyr, rate_hz=session.rate_hz, window_s=ACC_POSE_WINDOW_S, **extra
            )
            gain_sd = ACC_GAIN_PRIOR_SD if o.acc_gain_from_poses else None
            acc = estimate_acc_correction(means, prior_gain_sd=gain_sd).apply(acc)
        streams[p] = replace(s, acc_m_s2=acc, gyr_rad_s=gyr - gyr_bias[p])
    return replace(session, streams=streams), windows


def orientations(session: UniformSession, *, offline: bool = True) -> dict[str, FloatArray]:
    """``q_E_S`` per placement from VQF (offline or causal), 6-D as the pipeline's default."""
    return {
        p: estimate_orientation(
            s.gyr_rad_s, s.acc_m_s2, rate_hz=session.rate_hz, offline=offline
        ).q_E_S
        for p, s in session.streams.items()
    }
