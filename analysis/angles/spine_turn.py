"""How far a filter's bias estimate may have turned the trunk or head against the segment below.

Without a magnetometer, a sensor's heading is held only by its gyroscope. The orientation
filter (VQF) also estimates the gyroscope's bias, at rest and in motion; a slow sway or fidget
below its rest thresholds is taken for bias too, and the estimate then turns the sensor's
heading about the vertical for as long as it is held (stranger round 7, seed 3010: with ideal
sensors, a seated person fidgeting, the trunk's heading ran 1.4 °/s away from the pelvis's, so
a 17° forward lean of the trunk read as 17° *back* and lumbar flexion 30° low).

A heading error ψ of a distal segment against its proximal one rotates the distal segment's
lean (its superior axis's tilt from vertical, λ) about the vertical: the lean then points
2·|sin(ψ/2)|·λ away from where it is, so a joint angle read from the two (lumbar flexion:
pelvis → trunk; neck flexion: trunk → head) may be off by up to that much. Upright (λ = 0)
the heading does not matter; that is why such a session reads right at its stands and wrong
only in its leans.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analysis.angles.heading import past_target_doubt
from analysis.recording.doubts import TimedDoubt, UncertainAngle, trace_bounded
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]

#: the spine's joints read from a heading difference: (proximal, distal, motion)
SPINE_LINKS: tuple[tuple[str, str, str], ...] = (
    ("pelvis", "trunk", "lumbar_flexion"),
    ("trunk", "head", "neck_flexion"),
)

SPINE_TURN_REDO = (
    "keep the trunk and head still for the quiet stand and stand up straight and still for a "
    "few seconds between stretches (each stand re-takes the spine's heading)"
)


def lean_from_vertical_deg(superior_z: FloatArray) -> FloatArray:
    """A segment's lean (deg, 0 upright, 90 lying) from its superior axis's earth-z component.

    ``superior_z``: per sample, the vertical (earth z, up) component of the segment's unit
    superior axis; NaN stays NaN.
    """
    return np.degrees(np.arccos(np.clip(np.asarray(superior_z, dtype=np.float64), -1.0, 1.0)))


def turn_since_rad(turn_rad: FloatArray, t_s: FloatArray, since_s: float) -> FloatArray:
    """A cumulative heading turn (rad) measured from the last sample at or before ``since_s``.

    The stand's offsets define the headings' zero, so only the turn after it counts; samples
    before ``since_s`` get 0. ``turn_rad`` and ``t_s`` per sample.
    """
    turn = np.asarray(turn_rad, dtype=np.float64)
    t = np.asarray(t_s, dtype=np.float64)
    k = max(int(np.searchsorted(t, since_s, side="right")) - 1, 0)
    return np.where(t >= since_s, turn - turn[k], 0.0)


def lean_turn_bound_deg(lean_deg: FloatArray, turn_rad: FloatArray) -> FloatArray:
    """Per sample, how far (deg) a heading error ``turn_rad`` moves a lean of ``lean_deg``.

    ``2·|sin(ψ/2)|·λ``: the distance the lean's direction moves when turned by ψ about the
    vertical, an upper bound on the joint angle's error (flexion and sideways bend alike).
    NaN leans give 0 (no reading there).
    """
    lean = np.nan_to_num(np.asarray(lean_deg, dtype=np.float64), nan=0.0)
    psi = np.nan_to_num(np.asarray(turn_rad, dtype=np.float64), nan=0.0)
    return 2.0 * np.abs(np.sin(psi / 2.0)) * lean


def spine_turn_doubts(
    t_s: FloatArray, bound_deg: FloatArray, motion: str, distal: str, proximal: str
) -> tuple[TimedDoubt | None, UncertainAngle | None]:
    """The timed doubt and the session's approximate mark of one spine joint (``motion``).

    ``bound_deg``: :func:`lean_turn_bound_deg` per sample. The timed doubt covers the samples
    where the bound passes the motion's target (None if none do); the mark is given when the
    bound's RMS over the session does (trace-only: its rules are decided per time, beyond
    the bound), else None.
    """
    bound = np.asarray(bound_deg, dtype=np.float64)
    target = RMSE_TARGET_DEG[motion]
    what = (
        f"the {distal} sensor's filter took slow movement for gyroscope drift and turned its "
        f"heading against the {proximal}'s; where the {distal} leans, "
        f"{motion.replace('_', ' ')}"
    )
    timed = past_target_doubt(t_s, bound, target, what=what, redo=SPINE_TURN_REDO)
    session_deg = float(np.sqrt(np.mean(bound**2))) if bound.size else 0.0
    if session_deg <= target:
        return timed, None
    reason = (
        f"the {distal} sensor's filter took slow movement (a sway, a fidget) for gyroscope "
        f"drift and turned its heading against the {proximal}'s by up to "
        f"{float(np.max(bound)):.0f}° of lean; {motion.replace('_', ' ')} is measured to "
        f"about ±{session_deg:.0f}° over the session, more than the {target:.0f}° this tool "
        "trusts, so it is approximate; its rules are decided where the reading clears that"
    )
    return timed, trace_bounded(reason, SPINE_TURN_REDO, session_deg)
