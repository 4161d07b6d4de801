"""A thigh's calibration twist that no posture anchor read: its bound on hip rotation.

The calibration can get the thigh's flexion axis wrong about the thigh's long axis by up to
:data:`~analysis.angles.heading.MAX_TWIST_DEG` (a twist ``τ``). Standing, the long axis is
vertical, so the twist is a heading, which the quiet stands re-take: it leaves no error there.
Once the thigh leaves the vertical, the heading the stands took out no longer cancels the
twist, and hip internal rotation is off by ``τ · (1 − u)``, with ``u`` the vertical component
of the thigh's superior axis (1 standing, 0 lying flat or the thigh level, −1 with the thigh
pointing up from the floor: twice the twist). Lying flat or sitting still, the posture
anchors read the twist (:func:`~analysis.angles.heading.hip_twist_read`) and it is removed or
the hip doubted; a hip with no such anchor has only the calibration's bound
(docs/accuracy.md, round 18 "two lying hips that are not drift" and round 19, stranger 1611:
lying with the leg raised and a fidget that left no still moment lying flat). Neither has a
hip whose anchors read more rotation than the calibration can get wrong
(:func:`~analysis.angles.heading.twist_read_posture`): that reading is kept as the leg's own
turn, and the calibration's twist inside it is not read (round 21, stranger round 2 seed
2400: a DOT file's left hip read 12.1° lying flat, about 6° of it the thigh's calibration
about its long axis, and its rotation 4.8° RMSE was trusted).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.heading import HIP_DRIFT_TARGET_DEG, MAX_TWIST_DEG

FloatArray = NDArray[np.float64]

UNREAD_TWIST_REDO: Final = (
    "lie on your back with the legs straight and the kneecaps pointing up, still, for 3 s "
    "before you raise the leg (or sit still on a chair for 3 s), then analyse again"
)
"""What to redo: a still moment lying flat (or sitting) reads the twist."""

SESSION_AXIS_REDO: Final = (
    "do the calibration's knee bends and leg swings with this leg too, so that its flexion "
    "axis comes from them rather than from the move into sitting or lying, then analyse again"
)
"""What to redo when the thigh's axis came from the session (:func:`session_axis_reads_posture`):
a still moment does not help; its own calibration movements do."""


def unread_twist_rms_deg(thigh_up: FloatArray, *, twist_deg: float = MAX_TWIST_DEG) -> float:
    """RMS (deg) over the session of ``twist_deg · (1 − u)``: the hip rotation a twist can cause.

    ``thigh_up``: per sample, the vertical component ``u`` of the thigh's superior axis in
    the earth frame (z up; 1 standing). Samples without it (NaN) are left out; 0 if none.
    """
    u = np.asarray(thigh_up, dtype=np.float64)
    u = np.clip(u[np.isfinite(u)], -1.0, 1.0)
    if u.size == 0:
        return 0.0
    off = twist_deg * (1.0 - u)
    return float(np.sqrt(np.mean(off * off)))


def _size_words(rms_deg: float) -> str:
    """``rms_deg`` in whole degrees, or to a tenth where whole ones would read as the target."""
    whole = f"{rms_deg:.0f}"
    return whole if float(whole) > HIP_DRIFT_TARGET_DEG else f"{rms_deg:.1f}"


def session_axis_reads_posture(axis_source: str) -> bool:
    """Whether a thigh's flexion axis came from the same movements its posture anchors end.

    ``axis_source``: :attr:`SegmentCalibration.axis_source`. ``"session"``: fitted to the
    whole session's turns because the calibration movements left it undefined (a resting leg
    the knee bends and swings hardly moved). The session's largest turn of such a thigh is
    the move into sitting or lying, and a hip rotation made with it (a leg turning out as it
    comes to rest, stranger round 2 seed 3154: −6° sitting) twists the fitted axis about the
    long axis with it: the anchors then read the posture less that twist (there 1°), which
    says nothing of either (the axis 4.7° off). Other sources come from movements of their
    own (the calibration's, the knee's hinge) and are checked by the anchors as before.
    """
    return axis_source == "session"


def unread_twist_doubt(
    thigh_up: FloatArray,
    side: str,
    *,
    twist_deg: float = MAX_TWIST_DEG,
    posture_deg: float | None = None,
    session_axis: bool = False,
) -> dict[str, str] | None:
    """The hip rotation doubt of a thigh whose twist no posture anchor read, or None.

    ``{"reason", "redo"}`` where :func:`unread_twist_rms_deg` passes hip rotation's target
    (:data:`~analysis.angles.heading.HIP_DRIFT_TARGET_DEG`); the caller decides that no
    posture anchor read the ``side`` thigh's twist. ``posture_deg``: the rotation the anchors
    did read where it was kept as the leg's own posture
    (:func:`~analysis.angles.heading.twist_read_posture`), said instead of "no still moment".
    ``session_axis``: the thigh's flexion axis was fitted to the session's own movements
    (:func:`session_axis_reads_posture`), so the anchors' reading does not check it.
    """
    rms = unread_twist_rms_deg(thigh_up, twist_deg=twist_deg)
    if rms <= HIP_DRIFT_TARGET_DEG:
        return None
    unread = "no still moment lying flat or sitting read it"
    if posture_deg is not None:
        unread = (
            f"lying flat or sitting still the {side} hip read {abs(posture_deg):.0f}° of "
            "rotation, more than the calibration can be off, taken as the leg's own turn, "
            "which does not show how far the sensor is off"
        )
    elif session_axis:
        unread = (
            "its flexion axis was found from the session's own movements, the move into "
            "sitting or lying among them, so a leg turned in or out there is partly taken "
            "into the axis and the still moments lying flat or sitting cannot check it"
        )
    return {
        "reason": (
            f"the {side} thigh sensor's calibration may be up to {twist_deg:.0f}° off about "
            "the thigh's long axis; standing this does not show, but with the thigh level or "
            f"raised from lying it turns the hip's rotation, and {unread}: hip internal "
            f"rotation may be off by {_size_words(rms)}° RMS over the session, more than the "
            f"{HIP_DRIFT_TARGET_DEG:.0f}° this tool trusts"
        ),
        "redo": SESSION_AXIS_REDO if session_axis and posture_deg is None else UNREAD_TWIST_REDO,
    }
