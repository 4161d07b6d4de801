"""Shared builders of the analysis tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from analysis.angles.calibration import CalibrationResult, SegmentCalibration

CalibrationOf = Callable[..., CalibrationResult]


def _calibration_of(
    segments: Mapping[str, Mapping[str, Any]],
    *,
    planarity_ratio: float = 1.0,
    rotation_deg: float = 60.0,
    static_s: tuple[float, float] = (0.0, 3.0),
    functional_s: tuple[float, float] = (3.0, 9.0),
) -> CalibrationResult:
    segs = {
        p: SegmentCalibration(
            **{
                "placement": p,
                "q_S_B": np.array([1.0, 0.0, 0.0, 0.0]),
                "planarity_ratio": planarity_ratio,
                "axis_elevation_deg": 0.0,
                "rotation_deg": rotation_deg,
                "sign_rule": "test",
                "sign_confidence": "high",
                **fields,
            }
        )
        for p, fields in segments.items()
    }
    return CalibrationResult(
        static_s=static_s,
        functional_s=functional_s,
        source="sidecar",
        stand_gyro_rms_deg_s=0.0,
        stand_acc_std_m_s2=0.0,
        segments=segs,
    )


@pytest.fixture
def calibration_of() -> CalibrationOf:
    """A sidecar :class:`CalibrationResult` from per-segment fields (``{placement: {field:
    value}}``); unnamed fields: identity mount, a confident sign, the given planarity and
    rotation (defaults 1.0 and 60°), no doubt."""
    return _calibration_of
