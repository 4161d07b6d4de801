"""The offline pipeline's first steps, called one by one as ``analyse_recording`` calls them.

``analysis.pipeline.analyse_recording`` has no public hook between its stages; the benchmarks
need the resampled, bias-corrected session that goes into the orientation filter (to time the
stages separately and to feed every orientation peer exactly the data VQF gets). These
helpers repeat its calls in its order, with its default options. If the pipeline changes,
``bench/speed.py`` shows it: the per-stage sum is printed next to one whole
``analyse_to_folder`` call.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from analysis.accbias import estimate_acc_bias, still_pose_means
from analysis.calibration import Windows, resolve_windows, stand_gyro_bias
from analysis.orientation import estimate_orientation
from analysis.pipeline import PipelineOptions
from analysis.recording import Recording, SensorStream
from analysis.timebase import UniformSession, remove_acc_bias, remove_gyro_bias, to_uniform_grid

FloatArray = NDArray[np.float64]


def resample(streams: Mapping[str, SensorStream], opts: PipelineOptions) -> UniformSession:
    """All sensors on the session grid (``to_uniform_grid``)."""
    return to_uniform_grid(streams, max_gap_s=opts.max_gap_s)


def remove_biases(
    session: UniformSession, recording: Recording, opts: PipelineOptions
) -> tuple[UniformSession, Windows]:
    """Calibration windows, stand gyroscope bias and accelerometer bias from still poses."""
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
    return session, windows


def prepared(
    recording: Recording, opts: PipelineOptions | None = None
) -> tuple[UniformSession, Windows]:
    """The session exactly as the orientation filter receives it, and the resolved windows."""
    o = opts or PipelineOptions()
    return remove_biases(resample(recording.streams(), o), recording, o)


def orientations(session: UniformSession, *, offline: bool = True) -> dict[str, FloatArray]:
    """``q_E_S`` per placement from VQF (offline or causal), 6-D as the pipeline's default."""
    return {
        p: estimate_orientation(
            s.gyr_rad_s, s.acc_m_s2, rate_hz=session.rate_hz, offline=offline
        ).q_E_S
        for p, s in session.streams.items()
    }
