"""A person drawn at random: proportions, style of movement, which leg, which sensors.

Proportions follow Winter's segment-length fractions of body height (thigh 0.245 H, shank
0.246 H, foot 0.152 H, hip width 0.191 H), each scaled by its own ±5 % so nobody is a
textbook body.
"""

from __future__ import annotations

import dataclasses

import numpy as np

BREAK_KINDS = (
    "ankle_dorsiflexion",
    "knee_flexion",
    "lumbar_flexion",
    "neck_flexion",
    "hip_adduction",
    "hip_internal_rotation",
)


@dataclasses.dataclass(frozen=True)
class Person:
    """Everything random about one session's subject (lengths in metres, angles in degrees)."""

    seed: int
    height_m: float
    thigh_m: float
    shank_m: float
    foot_m: float
    hip_width_m: float
    trunk_m: float
    side: str  # exercised leg: "right" | "left"
    speed: float  # 1 = average; >1 quicker movements
    sloppiness: float  # 0 = clean sagittal moves, 1 = much out-of-plane wobble
    fidget: float  # sway / fidgeting amplitude scale
    bend_style: str  # "squat" (both knees, feet flat) | "heel_kick" (one knee, thigh still)
    swing_both: bool  # leg swings with both legs or only the exercised one
    n_bends: int
    n_swings: int
    bend_knee_deg: float
    swing_fwd_deg: float
    swing_back_deg: float
    bow_deg: float
    bow_lumbar_share: float  # part of the bow done by rounding the back (not the hips)
    support_incl_deg: float  # thigh inclination with the heel on the support
    stretch_knee_deg: float
    stretch_ankle_deg: float
    lean_deg: float  # extra pelvis tilt when leaning into the stretch
    tibial_rot_per_deg: float  # tibia internal rotation per degree of knee flexion
    tissue_gain: float  # soft-tissue tilt of a sensor per degree of its joint's flexion
    n_stretches: int
    hold_s: float
    # round 2: the supine and the seated stretch
    slr_pelvis_per_deg: float = 0.06  # pelvis rotating back per degree of the raised leg
    slider_knee_deg: float = 30.0  # the knee's bend while the ankle slides
    slider_lo_deg: float = -25.0  # ankle pointed
    slider_hi_deg: float = 5.0  # ankle flexed
    slider_hz: float = 0.5


def draw_person(seed: int, *, n_stretches: int | None = None) -> Person:
    """One person from ``seed`` (deterministic)."""
    rng = np.random.default_rng(seed)
    height = rng.uniform(1.52, 1.95)

    def seg(frac: float) -> float:
        return float(frac * height * rng.uniform(0.95, 1.05))

    return Person(
        seed=seed,
        height_m=float(height),
        thigh_m=seg(0.245),
        shank_m=seg(0.246),
        foot_m=seg(0.152),
        hip_width_m=seg(0.191) * 0.9,
        trunk_m=seg(0.288),
        side=str(rng.choice(["right", "left"])),
        speed=float(rng.uniform(0.7, 1.4)),
        sloppiness=float(rng.uniform(0.0, 1.0)),
        fidget=float(rng.uniform(0.3, 1.5)),
        bend_style=str(rng.choice(["squat", "heel_kick"], p=[0.6, 0.4])),
        swing_both=bool(rng.random() < 0.4),
        n_bends=int(rng.integers(2, 5)),
        n_swings=int(rng.integers(2, 6)),
        bend_knee_deg=float(rng.uniform(30.0, 75.0)),
        swing_fwd_deg=float(rng.uniform(20.0, 50.0)),
        swing_back_deg=float(rng.uniform(5.0, 20.0)),
        bow_deg=float(rng.uniform(15.0, 45.0)),
        bow_lumbar_share=float(rng.uniform(0.0, 0.3)),
        support_incl_deg=float(rng.uniform(55.0, 80.0)),
        stretch_knee_deg=float(rng.uniform(15.0, 28.0)),
        stretch_ankle_deg=float(rng.uniform(-25.0, -8.0)),
        lean_deg=float(rng.uniform(5.0, 25.0)),
        tibial_rot_per_deg=float(rng.uniform(0.0, 0.12)),
        tissue_gain=float(rng.uniform(0.0, 0.03)),
        n_stretches=int(n_stretches if n_stretches is not None else rng.integers(1, 4)),
        hold_s=float(rng.uniform(26.0, 36.0)),
        slr_pelvis_per_deg=float(rng.uniform(0.0, 0.12)),
        slider_knee_deg=float(rng.uniform(20.0, 45.0)),
        slider_lo_deg=float(rng.uniform(-35.0, -15.0)),
        slider_hi_deg=float(rng.uniform(-2.0, 12.0)),
        slider_hz=float(rng.uniform(0.3, 0.8)),
    )
