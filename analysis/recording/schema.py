"""Names that are contracts: placements, recording columns, angle columns, physical constants.

Every numeric column carries its unit in the name (``t_s``, ``acc_x_m_s2``, ``gyr_x_rad_s``,
``mag_x_ut``, ``*_deg``). Frames follow ISB (Wu et al. 2002): segment x anterior, y superior,
z to the right; earth frame ENU with z up. See ``docs/conventions.md``.
"""

from __future__ import annotations

from typing import Final, Literal

GRAVITY_M_S2: Final = 9.80665
"""Standard gravity; an accelerometer at rest reads +GRAVITY_M_S2 on an axis pointing up."""

# --- placements -------------------------------------------------------------------------------

Side = Literal["left", "right"]
SIDES: Final[tuple[Side, Side]] = ("left", "right")

PLACEMENTS: Final = (
    "pelvis",
    "trunk",
    "head",
    "left_thigh",
    "right_thigh",
    "left_shank",
    "right_shank",
    "left_foot",
    "right_foot",
)
"""Sensor labels of the canonical recording (``sensor`` column), proximal to distal."""

SEGMENTS: Final = ("pelvis", "trunk", "head", "thigh", "shank", "foot")


def placement(segment: str, side: str | None = None) -> str:
    """Return the placement label of ``segment`` (``side`` only for leg segments)."""
    if segment in ("thigh", "shank", "foot"):
        if side not in SIDES:
            raise ValueError(f"segment {segment!r} needs side 'left' or 'right', got {side!r}")
        return f"{side}_{segment}"
    if segment not in ("pelvis", "trunk", "head"):
        raise ValueError(f"unknown segment {segment!r}; expected one of {SEGMENTS}")
    return segment


def split_placement(label: str) -> tuple[str | None, str]:
    """Split a placement label into ``(side, segment)``; side is None for axial segments."""
    if label not in PLACEMENTS:
        raise ValueError(f"unknown placement {label!r}; expected one of {PLACEMENTS}")
    if "_" in label:
        side, segment = label.split("_", 1)
        return side, segment
    return None, label


# --- canonical recording columns (DESIGN §4) --------------------------------------------------

T_S: Final = "t_s"
SENSOR: Final = "sensor"
ACC_COLUMNS: Final = ("acc_x_m_s2", "acc_y_m_s2", "acc_z_m_s2")
GYR_COLUMNS: Final = ("gyr_x_rad_s", "gyr_y_rad_s", "gyr_z_rad_s")
MAG_COLUMNS: Final = ("mag_x_ut", "mag_y_ut", "mag_z_ut")
QUAT_COLUMNS: Final = ("q_w", "q_x", "q_y", "q_z")
DEVICE_TICKS: Final = "device_ticks"

REQUIRED_COLUMNS: Final = (T_S, SENSOR, *ACC_COLUMNS, *GYR_COLUMNS)
OPTIONAL_COLUMNS: Final = (*MAG_COLUMNS, *QUAT_COLUMNS, DEVICE_TICKS)
ALL_COLUMNS: Final = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
NUMERIC_COLUMNS: Final = tuple(c for c in ALL_COLUMNS if c != SENSOR)

SESSION_FORMAT: Final = "stretchguard-session/1"
"""Value of ``format`` in a recording's sidecar JSON."""

ORIENTATION_FROM_VENDOR: Final = "vendor_quaternion"
"""Sidecar ``orientation_source[placement]`` value: take that sensor's orientation from its
``q_*`` columns (its acc/gyr were derived from them, e.g. Movella DOT exports)."""

# --- joint angles (DESIGN §3) -----------------------------------------------------------------

HIP_MOTIONS: Final = ("flexion", "adduction", "internal_rotation")

AXIAL_ANGLES: Final = ("pelvis_anterior_tilt_deg", "lumbar_flexion_deg", "neck_flexion_deg")

HEAD_FLEXION_REL_PELVIS: Final = "head_flexion_rel_pelvis_deg"
"""Forward tilt of the head relative to the pelvis (sagittal, heading-free): neck flexion plus
any lumbar flexion. Judges "looking down" when no trunk sensor is worn (it then also reads a
rounding back)."""

FALLBACK_COLUMNS: Final = {"neck_flexion_deg": (HEAD_FLEXION_REL_PELVIS,)}
"""Stand-in columns of an angle whose own segments are not worn, in order of preference."""


def angle_column(side: str, joint: str, motion: str) -> str:
    """Return ``{side}_{joint}_{motion}_deg``, e.g. ``right_knee_flexion_deg``."""
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return f"{side}_{joint}_{motion}_deg"


def leg_angle_columns(side: str) -> tuple[str, ...]:
    """All angle columns of one leg, in the order they appear in ``angles.csv``."""
    return (
        *(angle_column(side, "hip", m) for m in HIP_MOTIONS),
        angle_column(side, "knee", "flexion"),
        angle_column(side, "ankle", "dorsiflexion"),
    )


def thigh_inclination_column(side: str) -> str:
    """Thigh flexion relative to gravity, reported when no pelvis sensor is worn."""
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return f"{side}_thigh_inclination_deg"


ANGLE_COLUMNS: Final = (
    *leg_angle_columns("right"),
    *leg_angle_columns("left"),
    *AXIAL_ANGLES,
    thigh_inclination_column("right"),
    thigh_inclination_column("left"),
    HEAD_FLEXION_REL_PELVIS,
)
"""Every angle column stretchguard can produce, in ``angles.csv`` order (after ``t_s``)."""

RULE_NAMES: Final = (
    "ankle_dorsiflexion",
    "knee_flexion",
    "hip_adduction",
    "hip_internal_rotation",
    "lumbar_flexion",
    "pelvis_anterior_tilt",
    "neck_flexion",
)
"""Envelope rule names: the angle names of DESIGN §3 without side and unit."""
