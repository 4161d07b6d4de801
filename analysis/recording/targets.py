"""The accuracy targets of each joint angle, in one place (issue #10, docs/accuracy.md).

An angle's target is the RMSE over a session (degrees, against the truth) that it must stay
within — at the 95th percentile and at worst — for every sensor set and session length the
issue names: 2° for the sagittal leg angles and the pelvis tilt, 4° for the hip's adduction
and internal rotation, the lumbar spine and the neck. The analysis reads them where it
decides that an angle cannot be trusted (a doubt that may put it past its target leaves it
*uncertain*), the benches where they mark a measured angle over its target, so the two never
disagree. Keys are motion names, the angle columns' names without side and unit
(``docs/conventions.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

RMSE_TARGET_DEG: Final[Mapping[str, float]] = MappingProxyType(
    {
        "hip_flexion": 2.0,
        "knee_flexion": 2.0,
        "ankle_dorsiflexion": 2.0,
        "pelvis_anterior_tilt": 2.0,
        "hip_adduction": 4.0,
        "hip_internal_rotation": 4.0,
        "lumbar_flexion": 4.0,
        "neck_flexion": 4.0,
    }
)
"""Per motion (e.g. ``"hip_adduction"``) the issue's RMSE target, degrees."""
