"""Anthropometry of the simulated body: segment lengths, joint centres and sensor sites.

All vectors are in the ISB frame of the segment they belong to (x anterior, y superior,
z to the right; docs/conventions.md), in metres, measured from the segment's origin, which is
its proximal joint centre (the pelvis origin is the midpoint between the hip joint centres).

Lengths scale with standing height ``H`` using the segment-length fractions of Winter,
*Biomechanics and Motor Control of Human Movement* (4th ed., 2009, Fig. 4.1, after Drillis &
Contini 1966): thigh (hip–knee) 0.245 H, shank (knee–ankle) 0.246 H, foot length 0.152 H,
ankle height 0.039 H, greater trochanter at 0.530 H and shoulder at 0.818 H. Hip joint centres
sit ±0.09 m lateral of the pelvis origin (adult mean of roughly ±0.085–0.095 m across
regression studies such as Bell et al. 1990). The remaining offsets (lumbar joint, neck, sensor
sites, skin normals) are round estimates for an adult of average build, not measured values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.errors import ConfigError

FloatArray = NDArray[np.float64]

__all__ = ["SEGMENT_OF_PLACEMENT", "BodyModel"]

SEGMENT_OF_PLACEMENT: Final = {
    "pelvis": "pelvis",
    "trunk": "trunk",
    "head": "head",
    "left_thigh": "left_thigh",
    "right_thigh": "right_thigh",
    "left_shank": "left_shank",
    "right_shank": "right_shank",
    "left_foot": "left_foot",
    "right_foot": "right_foot",
}
"""Each placement is strapped to the body segment of the same name."""


@dataclass(frozen=True, kw_only=True)
class BodyModel:
    """Segment geometry of one adult; every length in metres, derived from ``height_m``.

    Parameters
    ----------
    height_m
        Standing height ``H``.
    hip_half_width_m
        Lateral distance of each hip joint centre from the pelvis origin.
    thigh_fraction, shank_fraction, foot_length_fraction, ankle_height_fraction
        Segment lengths as fractions of ``H`` (Winter 2009).
    trunk_fraction
        Greater trochanter to shoulder height (0.818 H − 0.530 H), Winter 2009.
    """

    height_m: float = 1.75
    hip_half_width_m: float = 0.09
    thigh_fraction: float = 0.245
    shank_fraction: float = 0.246
    foot_length_fraction: float = 0.152
    ankle_height_fraction: float = 0.039
    trunk_fraction: float = 0.288

    def __post_init__(self) -> None:
        for name in (
            "height_m",
            "hip_half_width_m",
            "thigh_fraction",
            "shank_fraction",
            "foot_length_fraction",
            "ankle_height_fraction",
            "trunk_fraction",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                raise ConfigError(f"BodyModel.{name} must be a positive number, got {value!r}")
        if not 1.0 <= self.height_m <= 2.3:
            raise ConfigError(f"BodyModel.height_m must be within 1.0–2.3 m, got {self.height_m}")

    # --- lengths -------------------------------------------------------------------------------

    @property
    def thigh_length_m(self) -> float:
        """Hip joint centre to knee joint centre."""
        return self.thigh_fraction * self.height_m

    @property
    def shank_length_m(self) -> float:
        """Knee joint centre to ankle joint centre."""
        return self.shank_fraction * self.height_m

    @property
    def ankle_height_m(self) -> float:
        """Ankle joint centre above the sole."""
        return self.ankle_height_fraction * self.height_m

    @property
    def foot_length_m(self) -> float:
        """Heel to toe tip."""
        return self.foot_length_fraction * self.height_m

    @property
    def lumbar_offset_m(self) -> FloatArray:
        """Lumbosacral joint (L5/S1) in the pelvis frame: 5 cm posterior, 10 cm superior."""
        return np.array([-0.05, 0.10, 0.0])

    @property
    def neck_offset_m(self) -> FloatArray:
        """Cervicothoracic joint (C7/T1) in the trunk frame, at shoulder height."""
        return np.array([-0.02, self.trunk_fraction * self.height_m - 0.10, 0.0])

    # --- joints and landmarks ------------------------------------------------------------------

    def joint_offset_m(self, segment: str) -> FloatArray:
        """Origin of ``segment`` (its proximal joint centre) in its parent's frame."""
        side = -1.0 if segment.startswith("left_") else 1.0
        name = segment.removeprefix("left_").removeprefix("right_")
        if name == "pelvis":
            return np.zeros(3)
        if name == "trunk":
            return self.lumbar_offset_m
        if name == "head":
            return self.neck_offset_m
        if name == "thigh":
            return np.array([0.0, 0.0, side * self.hip_half_width_m])
        if name == "shank":
            return np.array([0.0, -self.thigh_length_m, 0.0])
        if name == "foot":
            return np.array([0.0, -self.shank_length_m, 0.0])
        raise ConfigError(f"unknown segment {segment!r}")

    def sole_point_m(self) -> FloatArray:
        """Point of the sole below the ankle joint centre, in the foot frame (standing anchor)."""
        return np.array([0.0, -self.ankle_height_m, 0.0])

    def heel_point_m(self) -> FloatArray:
        """Back of the heel on the sole, in the foot frame (anchor of a heel resting on the floor).

        The heel lies about a quarter of the foot length behind the ankle joint centre.
        """
        return np.array([-0.25 * self.foot_length_m, -self.ankle_height_m, 0.0])

    def sensor_site_m(self, placement: str) -> tuple[FloatArray, FloatArray]:
        """Nominal sensor position and outward skin normal (unit) in the segment frame.

        Sites: sacrum (pelvis), between the shoulder blades (trunk), right temple on a headband
        (head), lateral mid-thigh, lateral shank above the malleolus, dorsum of the foot.
        """
        side = -1.0 if placement.startswith("left_") else 1.0
        name = placement.removeprefix("left_").removeprefix("right_")
        if name == "pelvis":
            return np.array([-0.12, 0.04, 0.0]), np.array([-1.0, 0.0, 0.0])
        if name == "trunk":
            return np.array([-0.08, 0.25, 0.0]), np.array([-1.0, 0.0, 0.0])
        if name == "head":
            return np.array([0.04, 0.15, 0.075]), np.array([0.0, 0.0, 1.0])
        if name == "thigh":
            site = np.array([0.0, -0.45 * self.thigh_length_m, side * 0.075])
            return site, np.array([0.0, 0.0, side])
        if name == "shank":
            site = np.array([0.01, -0.75 * self.shank_length_m, side * 0.045])
            return site, np.array([0.0, 0.0, side])
        if name == "foot":
            return np.array([0.07, -0.02, 0.0]), np.array([0.0, 1.0, 0.0])
        raise ConfigError(f"unknown placement {placement!r}")
