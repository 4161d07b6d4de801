"""Joint angles from IMU samples: the first stage of an analysis.

Time base and gaps (``timebase``), accelerometer bias (``accbias``), orientation fusion
(``orientation``), heading between segments (``heading``), the calibration of each segment's
frame from the quiet stand and the movements (``calibration``, ``calibration_axes``,
``calibration_signs``, ``plausibility``), ISB joint angles (``isb``), and the two ways of
running them: over a whole recording (``pipeline``) and sample by sample (``live``), which
call the same step functions (``chain``) for every step they share.
Quaternion maths lives in ``rotations``.

Nothing here knows about exercises or rules: that is :mod:`analysis.envelope`.
"""

from __future__ import annotations

from analysis._exports import lazy_exports

_WHERE = {
    "BOW_WORDS": "calibration",
    "CalibrationResult": "calibration",
    "SegmentCalibration": "calibration",
    "JointAngles": "isb",
    "joint_angles_deg": "isb",
    "LiveAnglePipeline": "live",
    "LiveAngles": "live",
    "AngleResult": "pipeline",
    "PipelineOptions": "pipeline",
    "analyse_recording": "pipeline",
}

__all__ = [
    "BOW_WORDS",
    "AngleResult",
    "CalibrationResult",
    "JointAngles",
    "LiveAnglePipeline",
    "LiveAngles",
    "PipelineOptions",
    "SegmentCalibration",
    "analyse_recording",
    "joint_angles_deg",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
