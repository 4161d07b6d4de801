"""Sensor-to-segment calibration with no assumption about how a sensor is strapped on.

From the session protocol (DESIGN §4):

* the **quiet stand** gives each segment's superior axis y (gravity seen by the sensor: every
  segment is upright in the neutral pose) and every angle's zero;
* the **slow sagittal movements** (knee bends, leg swings, a trunk bow) give each segment's
  flexion axis z: the dominant direction of its angular velocity after removing the part
  about the (instantaneous) vertical, made orthogonal to y.

The sign of z is not observable from one sensor alone (a sensor facing backwards sees the
same physics), so it is chosen by anatomy (:mod:`analysis.angles.calibration_signs`). The
thigh decides by itself (it flexes more than it extends in every calibration movement).
Every other segment is judged against a neighbour through a joint that cannot go far the
wrong way: the hips do not hyperextend 25° (pelvis), the knee not 15° (shank), the lumbar
spine not 40° (trunk against the pelvis), the neck not 45° (head against the trunk); the
ankle does not go 60° either way over the session, else stays near neutral while the whole
leg swings (foot); lying down or sitting later in the session decides what the calibration
left open. A foot kept flat through the calibration movements turns there only with the
leg's sway and roll, so its own axis is checked against the shank's through the ankle hinge
(:func:`hinge_axes`). Where the movements never came near such a limit, the pelvis is judged
by the hip centre it shares with the thigh (the centre's acceleration must agree seen from
both sensors: :mod:`analysis.angles.calibration_centre`, which also replaces a pelvis axis
lying far from the thighs', e.g. one found in walking), then by the protocol's bows, the
trunk by tipping with the pelvis (the lean into the stretch), and only then by its own
dominant tilt; such choices are reported with their confidence. x = y × z completes the
right-handed ISB frame (x anterior, z right).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.calibration_axes import (
    POORLY_DEFINED_ROTATION_DEG,
    SensorAxes,
    estimate_axes,
    gravity_is_plausible,
    with_hinge_axis,
    with_session_axis,
)
from analysis.angles.calibration_centre import (
    CentreEvidence,
    CentreTerms,
    axis_from_partner,
    best_heading,
    centre_evidence,
    centre_terms,
)
from analysis.angles.calibration_hinge import fit_hinge, hinge_axis_usable, knee_rotation_deg
from analysis.angles.calibration_signs import (
    Confidence,
    SignDecision,
    SignRule,
    Tilts,
    decide_sign,
    rules_for,
)
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.errors import CalibrationError
from analysis.recording.schema import (
    HIP_MOTIONS,
    SIDES,
    angle_column,
    split_placement,
    thigh_inclination_column,
)
from analysis.recording.streams import CalibrationWindows

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Level frame G (x forward, y up, z right) expressed in ENU earth axes: a fixed rotation.
_R_E_G = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
Q_G_E = rot.conjugate(rot.from_matrix(_R_E_G))
"""Rotation from the earth frame (ENU, z up) to a level frame G (y up); heading arbitrary."""

WindowSource = Literal["sidecar", "detected", "fallback"]


@dataclass(frozen=True, kw_only=True)
class SegmentCalibration:
    """How one sensor sits on its segment.

    ``q_S_B`` maps segment (ISB) coordinates into sensor coordinates, so the segment's
    orientation is ``q_E_B = q_E_S ⊗ q_S_B``. Quality figures: ``planarity_ratio`` (share of the
    functional angular-velocity energy about the flexion axis, 1 = perfectly planar),
    ``axis_elevation_deg`` (how far the dominant rotation axis was from horizontal at the
    stand, 0 = ideal), ``rotation_deg`` (how much the segment rotated in the functional
    window; little rotation = a poorly defined axis) and the sign decision.
    """

    placement: str
    q_S_B: FloatArray
    planarity_ratio: float
    axis_elevation_deg: float
    rotation_deg: float
    sign_rule: str
    sign_confidence: Literal["high", "low"]
    based_on: tuple[str, ...] = ()
    """Segments the sign decision relied on (their doubts are this segment's doubts)."""
    axis_source: str = "movements"
    """Where the flexion axis came from: the functional ``movements`` or the ``session``."""

    @property
    def trusted(self) -> bool:
        """True when both the flexion axis and its sign are established."""
        return self.sign_confidence == "high" and self.rotation_deg >= POORLY_DEFINED_ROTATION_DEG

    @property
    def uncertain(self) -> bool:
        """True when the angles that depend on this segment are reported as uncertain."""
        return not self.trusted

    @property
    def doubt(self) -> str | None:
        """Why this segment's angles are uncertain (None when trusted)."""
        if self.sign_confidence != "high":
            where = _segment_words(self.placement)
            return f"the {where} sensor's forward direction is not established"
        if self.rotation_deg < POORLY_DEFINED_ROTATION_DEG:
            return (
                f"the {_segment_words(self.placement)} turned only {self.rotation_deg:.0f}° "
                "during the calibration movements"
            )
        return None


@dataclass(frozen=True, kw_only=True)
class CalibrationResult:
    """Calibration of every worn sensor plus the windows it used and their quality."""

    static_s: tuple[float, float]
    functional_s: tuple[float, float]
    source: WindowSource
    stand_gyro_rms_deg_s: float
    stand_acc_std_m_s2: float
    segments: Mapping[str, SegmentCalibration]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for the report and ``angles.csv``'s provenance)."""
        return {
            "windows_source": self.source,
            "static_s": list(self.static_s),
            "functional_s": list(self.functional_s),
            "stand_gyro_rms_deg_s": round(self.stand_gyro_rms_deg_s, 3),
            "stand_acc_std_m_s2": round(self.stand_acc_std_m_s2, 4),
            "segments": {
                p: {
                    "planarity_ratio": round(s.planarity_ratio, 3),
                    "axis_elevation_deg": round(s.axis_elevation_deg, 2),
                    "rotation_deg": round(s.rotation_deg, 1),
                    "sign_rule": s.sign_rule,
                    "sign_confidence": s.sign_confidence,
                    "trusted": s.trusted,
                    "axis_source": s.axis_source,
                }
                for p, s in self.segments.items()
            },
            "notes": list(self.notes),
            "uncertain_angles": self.uncertain_angles(),
        }

    def doubts(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """``{placement: reason}`` of every segment whose angles cannot be trusted.

        A segment is doubted when it is not :attr:`SegmentCalibration.trusted`, when
        ``extra`` names it (e.g. ``analysis.angles.plausibility.doubted_segments``), or when its
        sign was decided against a doubted segment (carried along ``based_on``).
        """
        out = {p: str(s.doubt) for p, s in self.segments.items() if not s.trusted}
        for p, why in (extra or {}).items():
            if p in self.segments:
                out.setdefault(p, why)
        changed = True
        while changed:
            changed = False
            for p, s in self.segments.items():
                src = next((b for b in s.based_on if b in out), None)
                if p not in out and src is not None:
                    out[p] = f"its sign was decided against the {_segment_words(src)} ({out[src]})"
                    changed = True
        return out

    def uncertain_angles(self, extra: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
        """Angle columns that depend on a doubted segment: ``{column: {reason, redo}}``.

        Such an angle may be wrong by twice the segment's tilt (a reversed flexion axis) or
        by more; the envelope reports its rules as *uncertain*, never as violated. ``extra``
        adds doubts found after the calibration (see :meth:`doubts`).
        """
        doubts = self.doubts(extra)
        out: dict[str, dict[str, str]] = {}
        for column, needs in angle_dependencies().items():
            if not all(p in self.segments for p in needs):
                continue
            bad = [p for p in needs if p in doubts]
            if bad:
                out[column] = {
                    "reason": "; ".join(doubts[p] for p in bad),
                    "redo": " ".join(dict.fromkeys(redo_advice(p) for p in bad)),
                }
        return out

    def summary_lines(self) -> list[str]:
        """Short human-readable lines describing the calibration and its quality."""
        a, b = self.static_s
        c, d = self.functional_s
        how = {"sidecar": "from the sidecar", "detected": "detected", "fallback": "fallback"}
        lines = [
            f"quiet stand [{a:.1f}, {b:.1f}) s ({how[self.source]}): gyro RMS "
            f"{self.stand_gyro_rms_deg_s:.2f} °/s, acc SD {self.stand_acc_std_m_s2:.3f} m/s²",
            f"functional movements [{c:.1f}, {d:.1f}) s",
        ]
        for p, s in self.segments.items():
            lines.append(
                f"{p}: planarity {s.planarity_ratio:.2f}, axis {s.axis_elevation_deg:.1f}° off "
                f"horizontal, rotated {s.rotation_deg:.0f}°, sign {s.sign_confidence} "
                f"({s.sign_rule})"
            )
        lines.extend(self.notes)
        return lines


BOW_WORDS = "two slow bows forward from the hips, back straight (the pelvis must tip forward)"
"""The calibration step that defines the pelvis's flexion axis and its sign, in the words
README, ``--help``, docs and the live guide all use (tests/analysis/test_protocol_words.py).
Without it a pelvis kept still cannot tell its front from its back; its angles are then
reported as uncertain unless the rest of the session decides them."""

PELVIS_REDO = f"redo the calibration with {BOW_WORDS}"


def redo_advice(placement: str) -> str:
    """What to redo so that ``placement``'s flexion axis and sign become established."""
    _, segment = split_placement(placement)
    if segment in ("pelvis", "trunk", "head"):
        # the trunk and head are judged against the pelvis, tipping with it in the bows
        return PELVIS_REDO
    return "redo the calibration with slower, larger knee bends and leg swings"


def _segment_words(placement: str) -> str:
    side, segment = split_placement(placement)
    return f"{side} {segment}" if side else segment


def angle_dependencies() -> dict[str, tuple[str, ...]]:
    """Every angle column and the placements whose calibration it depends on."""
    deps: dict[str, tuple[str, ...]] = {}
    for side in SIDES:
        thigh, shank, foot = (f"{side}_{s}" for s in ("thigh", "shank", "foot"))
        for m in HIP_MOTIONS:
            deps[angle_column(side, "hip", m)] = ("pelvis", thigh)
        deps[angle_column(side, "knee", "flexion")] = (thigh, shank)
        deps[angle_column(side, "ankle", "dorsiflexion")] = (shank, foot)
        deps[thigh_inclination_column(side)] = (thigh,)
    deps["pelvis_anterior_tilt_deg"] = ("pelvis",)
    deps["lumbar_flexion_deg"] = ("pelvis", "trunk")
    deps["neck_flexion_deg"] = ("trunk", "head")
    return deps


# --- windows -----------------------------------------------------------------------------------


def _moving_mean(x: FloatArray, n: int) -> FloatArray:
    """Centred moving mean along axis 0 (edges use the available samples)."""
    n = max(1, int(n))
    c = np.cumsum(np.concatenate([np.zeros((1, *x.shape[1:])), x]), axis=0)
    k = np.arange(x.shape[0])
    lo = np.clip(k - n // 2, 0, x.shape[0])
    hi = np.clip(k - n // 2 + n, 0, x.shape[0])
    return (c[hi] - c[lo]) / (hi - lo).reshape(-1, *([1] * (x.ndim - 1)))


STILL_WINDOW_S = 0.5
"""Window of :func:`stillness_mask`; a still run of centres is this much shorter than the
stillness it marks (half a window lost at each end)."""


def stillness_mask(
    session: UniformSession,
    *,
    gyro_rms_max_rad_s: float = 0.08,
    acc_std_max_m_s2: float = 0.25,
    window_s: float = STILL_WINDOW_S,
) -> BoolArray:
    """Grid points at which every sensor is still.

    Per sensor and centred window of ``window_s``: the spread (RMS about the window's mean) of
    the angular rate and of the acceleration must be small, and the window's mean rate must lie
    within ``gyro_rms_max_rad_s`` of the sensor's resting rate (the median window mean over its
    quiet windows). A gyroscope's constant offset (consumer parts: up to several °/s) thus
    never reads as movement, while a steady turn still does. Marks the centres of still
    windows: a run is ``window_s`` shorter than the stillness itself.
    """
    n = max(1, round(window_s * session.rate_hz))
    still = np.ones(session.t_s.shape[0], dtype=bool)
    for s in session.streams.values():
        g_mean, g_sd = _moving_spread(np.asarray(s.gyr_rad_s, dtype=np.float64), n)
        _, a_sd = _moving_spread(np.asarray(s.acc_m_s2, dtype=np.float64), n)
        quiet = (g_sd < gyro_rms_max_rad_s) & (a_sd < acc_std_max_m_s2) & s.valid
        rest = np.median(g_mean[quiet], axis=0) if quiet.any() else np.zeros(3)
        still &= quiet & (np.linalg.norm(g_mean - rest, axis=1) < gyro_rms_max_rad_s)
    return still


def _moving_spread(x: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    """Centred moving mean ``(K, 3)`` and RMS distance from it ``(K,)`` of 3-vectors."""
    mean = _moving_mean(x, n)
    sq = _moving_mean(np.sum(x * x, axis=1), n)
    return mean, np.sqrt(np.maximum(sq - np.sum(mean * mean, axis=1), 0.0))


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """Half-open index runs ``[i, j)`` where ``mask`` is True."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def head_of(session: UniformSession, n: int) -> UniformSession:
    """The first ``n`` grid points of a session (views, no copies)."""
    if n >= session.t_s.shape[0]:
        return session
    streams = {
        p: UniformStream(
            placement=p,
            acc_m_s2=u.acc_m_s2[:n],
            gyr_rad_s=u.gyr_rad_s[:n],
            valid=u.valid[:n],
            mag_ut=None if u.mag_ut is None else u.mag_ut[:n],
            quat=None if u.quat is None else u.quat[:n],
        )
        for p, u in session.streams.items()
    }
    return UniformSession(t_s=session.t_s[:n], rate_hz=session.rate_hz, streams=streams, gaps=())


MIN_STAND_S = 3.0
"""The quiet stand the protocol asks for (s)."""

MIN_OPENING_STAND_S = 2.0
"""A stillness that opens the recording is taken for the quiet stand from this length on (s);
the protocol asks for ≥ 3 s, and a stillness later in the session must last that long."""

POSE_MATCH_DEG = 10.0
"""The body is back in the stand's pose when every sensor's gravity direction lies within
this angle (deg) of its direction during the stand."""

POSE_RETURN_S = 0.3
"""...and stays there at least this long (s): a swing passing through neutral is no return."""


def stand_pose_distance_deg(session: UniformSession, stand: tuple[int, int]) -> FloatArray:
    """Per grid point, how far (deg) the body is from the pose held over ``stand``.

    ``stand`` is a half-open index run of the grid. Per sensor: the angle between its
    gravity direction (centred ``STILL_WINDOW_S`` mean of the acceleration, sensor frame) and
    the mean acceleration's direction over ``stand``; the largest over the sensors. Invalid
    samples and sensors without data in ``stand`` are left out; NaN where no sensor counts.
    """
    n = max(1, round(STILL_WINDOW_S * session.rate_hz))
    worst = np.full(session.t_s.shape[0], np.nan)
    for s in session.streams.values():
        acc = np.asarray(s.acc_m_s2, dtype=np.float64)
        ok = s.valid[stand[0] : stand[1]]
        g = acc[stand[0] : stand[1]][ok].mean(axis=0) if ok.any() else np.zeros(3)
        if not np.linalg.norm(g) > 0.0:
            continue
        mean = _moving_mean(acc, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = (mean @ g) / (np.linalg.norm(mean, axis=1) * np.linalg.norm(g))
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        worst = np.fmax(worst, np.where(s.valid, angle, np.nan))
    return worst


def last_return_to_stand(
    distance_deg: FloatArray, start: int, stop: int, rate_hz: float
) -> int | None:
    """End index of the last return to the stand's pose in ``[start, stop)``, else None.

    A return counts once the body has left the pose (``distance_deg`` above
    :data:`POSE_MATCH_DEG`, see :func:`stand_pose_distance_deg`) and then holds it again
    within that angle for :data:`POSE_RETURN_S`.
    """
    away = np.flatnonzero(distance_deg[start:stop] > POSE_MATCH_DEG)
    if away.size == 0:
        return None
    first = start + int(away[0])
    need = max(1, round(POSE_RETURN_S * rate_hz))
    with np.errstate(invalid="ignore"):
        back = distance_deg[first:stop] < POSE_MATCH_DEG
    ends = [first + j for i, j in _runs(back) if j - i >= need]
    return ends[-1] if ends else None


def _stand_candidates(
    still: BoolArray, t: FloatArray, rate: float, min_stand_s: float, search_s: float
) -> list[tuple[int, int]]:
    """Still runs that may be the quiet stand, in order: long enough, early enough.

    A run of window centres is ``STILL_WINDOW_S`` shorter than the stillness it marks (half
    of that at the recording's start). The first run, when it opens the recording (within
    1 s of its start), may be as short as :data:`MIN_OPENING_STAND_S`.
    """
    out = []
    for k, (i, j) in enumerate(_runs(still)):
        if t[i] > t[0] + search_s:
            break
        # half a window is lost at each end, but not at the recording's start
        stillness_s = (j - i) / rate + STILL_WINDOW_S * (0.5 if i == 0 else 1.0)
        opening = k == 0 and t[i] - t[0] <= 1.0
        if stillness_s >= min_stand_s or (opening and stillness_s >= MIN_OPENING_STAND_S):
            out.append((i, j))
    return out


def _movements_after(
    session: UniformSession, still: BoolArray, stand: tuple[int, int], max_functional_s: float
) -> tuple[int, int] | str:
    """The functional window ``[start, end)`` (indices) after ``stand``, or why there is none.

    From the stand's end to the first still period of ≥ 2.5 s after ≥ 5 s of movement (at
    most ``max_functional_s``), then cut at the last return to the stand's pose
    (:func:`last_return_to_stand`; a still period closing the window may be that return).
    Movements that never come back to the stand's pose mean it was no stand (e.g. the
    stretch hold of a session whose own stand was too short); what follows the last return
    (lying or sitting down) is no calibration movement.
    """
    t, rate, n = session.t_s, session.rate_hz, session.t_s.shape[0]
    start = stand[1]
    stop = min(n, start + int(max_functional_s * rate))
    end = stop
    for i, j in _runs(still[start:stop]):
        if i / rate >= 5.0 and (j - i) / rate >= 2.5:
            end = start + i
            break
    if (end - start) / rate < 3.0:
        return (
            f"after the quiet stand ending at {t[stand[1] - 1]:.1f} s there are no functional "
            "movements (slow knee bends and leg swings); the flexion axes cannot be found"
        )
    distance = stand_pose_distance_deg(session, stand)
    back = last_return_to_stand(distance, start, min(n, end + round(2.5 * rate)), rate)
    if back is None or (min(end, back) - start) / rate < 3.0:
        return (
            f"no quiet stand found: the stillness at [{t[stand[0]]:.1f}, {t[stand[1] - 1]:.1f}]"
            " s is no quiet stand, the movements after it never return to its pose; start "
            "each session standing still, upright, or give the windows (sidecar "
            "'calibration', or --stand/--movements)"
        )
    return start, min(end, back)


def detect_windows(
    session: UniformSession,
    *,
    min_stand_s: float = MIN_STAND_S,
    search_s: float = 30.0,
    max_functional_s: float = 40.0,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Find the quiet stand and the functional movements that follow it.

    The stand is the first stillness (:func:`stillness_mask`, every sensor still) within the
    first ``search_s`` that lasts ≥ ``min_stand_s`` — or ≥ :data:`MIN_OPENING_STAND_S` when
    it opens the recording — and that the movements after it return to
    (:func:`_movements_after`); 0.25 s are trimmed from each end of its run of still window
    centres. The functional window runs from the end of the stand to the last return to the
    stand's pose before the first still period of ≥ 2.5 s after ≥ 5 s of movement, at most
    ``max_functional_s``. CalibrationError when no stillness qualifies.
    """
    # only the opening of the session can hold the protocol: look at that much and no more
    head = int((search_s + max_functional_s + 10.0) * session.rate_hz)
    session = head_of(session, head)
    still = stillness_mask(session)
    t, rate = session.t_s, session.rate_hz
    why = (
        f"no quiet stand of ≥ {min_stand_s:g} s (all sensors still) in the first "
        f"{search_s:g} s; start each session standing still, upright, knees straight, feet "
        "flat, or give the windows (sidecar 'calibration', or --stand/--movements)"
    )
    for k, stand in enumerate(_stand_candidates(still, t, rate, min_stand_s, search_s)):
        found = _movements_after(session, still, stand, max_functional_s)
        if isinstance(found, str):
            why = found if k == 0 else why
            continue
        trim = round(0.25 * rate)
        static_s = (float(t[stand[0] + trim]), float(t[stand[1] - trim]))
        return static_s, (float(t[found[0]]), float(t[min(found[1], t.shape[0] - 1)]))
    raise CalibrationError(why)


# --- axes ----------------------------------------------------------------------------------------


def _window_mask(t: FloatArray, window: tuple[float, float]) -> BoolArray:
    return (t >= window[0]) & (t < window[1])


def _tilt(q_E_S: FloatArray, q_S_B: FloatArray) -> FloatArray:
    """Sagittal tilt (rad) of the candidate segment frame relative to level, heading-free."""
    q_G_B = rot.multiply(Q_G_E, rot.multiply(q_E_S, q_S_B))
    return rot.segment_tilt_rad(q_G_B)


def _frame(y_S: FloatArray, z_S: FloatArray) -> FloatArray:
    """``q_S_B`` for segment axes y, z given in sensor coordinates (x = y × z)."""
    x_S = np.cross(y_S, z_S)
    return rot.from_matrix(np.column_stack([x_S, y_S, z_S]))


def _flip(q_S_B: FloatArray) -> FloatArray:
    """The same segment frame turned 180° about its y axis (z and x reversed)."""
    return rot.multiply(q_S_B, np.array([0.0, 0.0, 1.0, 0.0]))


@dataclass(frozen=True, kw_only=True)
class Windows:
    """The calibration windows in use, where they came from, and notes for the report."""

    static_s: tuple[float, float]
    functional_s: tuple[float, float]
    source: WindowSource
    notes: tuple[str, ...] = ()


def resolve_windows(session: UniformSession, windows: CalibrationWindows | None) -> Windows:
    """The sidecar's windows when complete, else windows detected in the data."""
    if windows is not None and windows.static_s and windows.functional_s:
        return Windows(
            static_s=windows.static_s, functional_s=windows.functional_s, source="sidecar"
        )
    static_s, functional_s = detect_windows(session)
    notes = [
        f"calibration windows detected: stand [{static_s[0]:.1f}, {static_s[1]:.1f}) s, "
        f"movements [{functional_s[0]:.1f}, {functional_s[1]:.1f}) s"
    ]
    # 0.25 s are trimmed at each end of the detected stand
    stood_s = static_s[1] - static_s[0] + 0.5
    if stood_s < MIN_STAND_S:
        notes.append(
            f"the quiet stand lasted only about {stood_s:.1f} s (the protocol asks for "
            f"≥ {MIN_STAND_S:g} s); it was taken because the movements return to its pose"
        )
    return Windows(
        static_s=static_s, functional_s=functional_s, source="detected", notes=tuple(notes)
    )


def stand_gyro_bias(
    session: UniformSession, static_s: tuple[float, float]
) -> dict[str, FloatArray]:
    """Per sensor, the mean angular rate (rad/s, sensor frame) during the quiet stand.

    Consumer gyroscopes carry offsets of 1–3 °/s; above VQF's rest threshold such a sensor is
    never seen at rest, so its vertical-axis bias is never estimated and its heading drifts
    tens of degrees in minutes. Removing the stand's mean rate first lets the filter's own
    bias tracking take over from a small residual.
    """
    m = _window_mask(session.t_s, static_s)
    out = {}
    for label, s in session.streams.items():
        sel = m & s.valid
        if sel.sum() < 5:
            raise CalibrationError(f"sensor {label!r} has no data during the quiet stand")
        out[label] = s.gyr_rad_s[sel].mean(axis=0, dtype=np.float64)
    return out


def _sensor_axes(
    session: UniformSession,
    label: str,
    q_E_S: FloatArray,
    masks: tuple[BoolArray, BoolArray],
    acc_bias_m_s2: FloatArray | None,
) -> SensorAxes:
    """One sensor's axes from its stand and functional-window samples."""
    s = session.streams[label]
    stand, move = masks[0] & s.valid, masks[1] & s.valid
    if stand.sum() < 5:
        raise CalibrationError(f"sensor {label!r} has no data during the quiet stand")
    if move.sum() < 10:
        raise CalibrationError(f"sensor {label!r} has no data during the functional window")
    # flexion axes are horizontal during sagittal movements in any posture; turning about
    # the vertical (walking, turning round to sit) is not flexion, so it is removed first
    up_S = rot.rotate(rot.conjugate(np.asarray(q_E_S[move], dtype=np.float64)), [0.0, 0.0, 1.0])
    try:
        axes = estimate_axes(
            stand_acc_m_s2=np.asarray(s.acc_m_s2[stand], dtype=np.float64),
            stand_gyr_rad_s=np.asarray(s.gyr_rad_s[stand], dtype=np.float64),
            move_gyr_rad_s=np.asarray(s.gyr_rad_s[move], dtype=np.float64),
            move_up_S=up_S,
            rate_hz=session.rate_hz,
            acc_bias_m_s2=acc_bias_m_s2,
        )
    except CalibrationError as exc:
        raise CalibrationError(f"sensor {label!r}: {exc}") from None
    # the pelvis tips least in the calibration movements and wanders most out of their
    # plane; its leans, sitting and lying down over the session are sagittal
    pelvis = split_placement(label)[1] == "pelvis"
    if axes.well_defined and not pelvis:
        return axes
    # barely turned in the functional window (or the pelvis): try the whole session
    step = max(1, round(session.rate_hz / SESSION_AXIS_RATE_HZ))
    ok = s.valid[::step] & np.all(np.isfinite(q_E_S[::step]), axis=1)
    q = np.asarray(q_E_S[::step][ok], dtype=np.float64)
    gyr = np.asarray(s.gyr_rad_s[::step][ok], dtype=np.float64)
    gyr = gyr - np.asarray(s.gyr_rad_s[stand], dtype=np.float64).mean(axis=0)
    up = rot.rotate(rot.conjugate(q), [0.0, 0.0, 1.0])
    return with_session_axis(
        axes, gyr, up, rate_hz=session.rate_hz / step, prefer_more_planar=pelvis
    )


def hinge_axes(
    session: UniformSession,
    axes: Mapping[str, SensorAxes],
    stand: BoolArray,
) -> dict[str, SensorAxes]:
    """Every worn foot's flexion axis checked against its shank's through the ankle hinge.

    The whole session's rates of both sensors (valid at the same instants, sampled at
    :data:`SESSION_AXIS_RATE_HZ`, quiet-stand mean removed) go to
    :func:`analysis.angles.calibration_axes.with_hinge_axis`; a shank whose own axis is poorly
    defined lends none.
    """
    out = dict(axes)
    step = max(1, round(session.rate_hz / SESSION_AXIS_RATE_HZ))
    for side in SIDES:
        foot, shank = f"{side}_foot", f"{side}_shank"
        if foot not in axes or shank not in axes or not axes[shank].well_defined:
            continue
        f, s = session.streams[foot], session.streams[shank]
        ok = (f.valid & s.valid)[::step]
        rates = []
        for u in (f, s):
            g = np.asarray(u.gyr_rad_s[::step][ok], dtype=np.float64)
            rates.append(
                g - np.asarray(u.gyr_rad_s[stand & u.valid], dtype=np.float64).mean(axis=0)
            )
        # still samples satisfy any hinge: keep the moving ones, at most HINGE_MAX_SAMPLES
        moving = np.flatnonzero(
            np.maximum(np.linalg.norm(rates[0], axis=1), np.linalg.norm(rates[1], axis=1))
            > HINGE_MIN_RATE_RAD_S
        )
        thin = max(1, -(-moving.size // HINGE_MAX_SAMPLES))
        keep = moving[::thin]
        out[foot] = with_hinge_axis(
            axes[foot],
            rates[0][keep],
            rates[1][keep],
            axes[shank].z_S,
            rate_hz=session.rate_hz / step / thin,
        )
    return out


HINGE_MIN_RATE_RAD_S = 0.1
"""Ankle hinge: samples at which neither foot nor shank turns faster carry mostly noise."""
HINGE_MAX_SAMPLES = 20_000
"""Ankle hinge: at most this many moving samples (evenly thinned), so a 10-h session costs
what a 15-min one does."""


def knee_hinge_axes(
    session: UniformSession,
    axes: Mapping[str, SensorAxes],
    masks: tuple[BoolArray, BoolArray],
    q_E_S: Mapping[str, FloatArray],
) -> dict[str, SensorAxes]:
    """Each thigh's and shank's flexion axis from their knee's hinge axis where it is defined.

    Over the functional window (``masks``: quiet stand, functional window) the knee's axis
    is fitted in both sensors' coordinates from their rates, stand bias removed
    (:func:`analysis.angles.calibration_hinge.fit_hinge`, started from each segment's own
    axis; ``q_E_S`` gives the vertical that pairs the axes' signs for the knee's rotation).
    Where the fit is usable (:func:`analysis.angles.calibration_hinge.hinge_axis_usable`)
    it replaces the segment's own axis (``axis_source = "knee hinge"``): leg swings and
    bends done with some abduction or rotation tilt each segment's own dominant axis, the
    knee's stays put.
    """
    out = dict(axes)
    stand, move = masks
    for side in SIDES:
        thigh, shank = f"{side}_thigh", f"{side}_shank"
        if thigh not in axes or shank not in axes:
            continue
        rates = []
        for p in (thigh, shank):
            s = session.streams[p]
            bias = np.asarray(s.gyr_rad_s[stand & s.valid], dtype=np.float64).mean(axis=0)
            rates.append(np.asarray(s.gyr_rad_s, dtype=np.float64) - bias)
        sel = move & session.streams[thigh].valid & session.streams[shank].valid
        for p in (thigh, shank):
            sel &= np.all(np.isfinite(q_E_S[p]), axis=1)
        if sel.sum() < 10:
            continue
        g_t, g_s = rates[0][sel], rates[1][sel]
        up = [
            rot.rotate(rot.conjugate(np.asarray(q_E_S[p][sel], dtype=np.float64)), [0.0, 0.0, 1.0])
            for p in (thigh, shank)
        ]
        fit = fit_hinge(g_t, g_s, axes[thigh].z_S, axes[shank].z_S)
        turned = knee_rotation_deg(
            g_t, g_s, fit, rate_hz=session.rate_hz, up_prox_S=up[0], up_dist_S=up[1]
        )
        for p, j in ((thigh, fit.j_prox_S), (shank, fit.j_dist_S)):
            z = hinge_axis_usable(j, axes[p].z_S, axes[p].y_S, fit=fit, knee_rotation_deg=turned)
            if z is not None:
                out[p] = dataclasses.replace(axes[p], z_S=z, axis_source="knee hinge")
    return out


SESSION_AXIS_RATE_HZ = 25.0
"""Rate at which the whole session's rates are sampled for a flexion axis left undefined."""

SESSION_TILT_RATE_HZ = 10.0
"""Rate at which the whole session's tilts are sampled for the sign decisions."""


def candidate_tilts(
    q_E_S: FloatArray, axes: SensorAxes, move: BoolArray, *, step: int
) -> tuple[tuple[FloatArray, FloatArray], tuple[Tilts, Tilts]]:
    """The two candidate frames (z as estimated, reversed) and their tilts.

    Tilts are taken in the functional window ``move`` and over the session every ``step``
    samples; there a sample counts as sagittal when the flexion axis is within 30° of
    horizontal (the same for both candidates) and the orientation is finite.
    """
    base = _frame(axes.y_S, axes.z_S)
    cands = (base, _flip(base))
    q_move = np.asarray(q_E_S[move], dtype=np.float64)
    q_sess = np.asarray(q_E_S[::step], dtype=np.float64)
    finite = np.all(np.isfinite(q_sess), axis=1)
    q_sess = np.where(finite[:, None], q_sess, np.array([1.0, 0.0, 0.0, 0.0]))
    z_up = rot.rotate(q_sess, axes.z_S)[:, 2]
    sagittal = finite & (np.abs(z_up) < 0.5)
    tilts = tuple(
        Tilts(move=_tilt(q_move, q), session=_tilt(q_sess, q), sagittal=sagittal) for q in cands
    )
    return cands, (tilts[0], tilts[1])


def joint_centre_terms(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    masks: tuple[BoolArray, BoolArray],
    acc_bias_m_s2: Mapping[str, FloatArray],
) -> dict[str, CentreTerms]:
    """Shared-centre terms of the segments the sign table's ``shared_centre`` rows name.

    The terms (:mod:`analysis.angles.calibration_centre`) are taken for every such worn
    segment over the functional window.

    Rates lose their quiet-stand mean, accelerations the given bias; samples at which one
    of those sensors is invalid or its orientation unknown are dropped from all of them.
    """
    stand, move = masks
    labels = {
        p
        for r in rules_for(tuple(session.streams))
        if r.shared_centre
        for p in (r.segment, *r.partners)
        if p in session.streams
    }
    idx = np.flatnonzero(move)
    if len(labels) < 2 or idx.size < 10:
        return {}
    window = slice(int(idx[0]), int(idx[-1]) + 1)
    ok = np.ones(window.stop - window.start, dtype=bool)
    terms = {}
    for p in sorted(labels):
        s = session.streams[p]
        gyr_bias = np.asarray(s.gyr_rad_s[stand & s.valid], dtype=np.float64).mean(axis=0)
        q = np.asarray(q_E_S[p][window], dtype=np.float64)
        ok &= s.valid[window] & np.all(np.isfinite(q), axis=1)
        terms[p] = centre_terms(
            np.asarray(s.acc_m_s2[window], dtype=np.float64) - acc_bias_m_s2.get(p, 0.0),
            np.asarray(s.gyr_rad_s[window], dtype=np.float64) - gyr_bias,
            np.where(np.isfinite(q), q, 0.0),
            rate_hz=session.rate_hz,
        )
    if ok.sum() < 10:
        return {}
    return {p: CentreTerms(t.acc_E[ok], t.lever_E[ok]) for p, t in terms.items()}


def _stand_quaternion(q_E_S: FloatArray, stand: BoolArray) -> FloatArray | None:
    """A sensor's mean orientation over the quiet stand (None when unknown there)."""
    q = np.asarray(q_E_S[stand], dtype=np.float64)
    q = q[np.all(np.isfinite(q), axis=1)]
    if not q.size:
        return None
    q = q * np.sign(q @ q[0])[:, None]
    return rot.normalize(q.mean(axis=0))


def _stand_axis_in_earth(q_E_S: FloatArray, stand: BoolArray, z_S: FloatArray) -> FloatArray:
    """A sensor-frame axis in the sensor's earth frame at the quiet stand (NaN: unknown)."""
    q = _stand_quaternion(q_E_S, stand)
    return np.full(3, np.nan) if q is None else rot.rotate(q, z_S)


CENTRE_AXIS_SHARPNESS = 1.5
"""The shared centre must define the heading this sharply (:func:`best_heading`)…"""
CENTRE_AXIS_CLASH_DEG = 45.0
"""…and the segment's own axis lie this far from the partners' for the partners' to win."""


def axis_from_centre(
    ax: SensorAxes,
    row: SignRule,
    decided: Mapping[str, FloatArray],
    q_E_S: Mapping[str, FloatArray],
    terms: Mapping[str, CentreTerms],
    stand: BoolArray,
) -> SensorAxes:
    """``row``'s segment's flexion axis from its partners' through the shared joint centre.

    Walking turns the pelvis about its long and its antero-posterior axes more than about
    its flexion axis, so the axis found from it can lie near 90° off. The hip centre's
    accelerations give the heading between the pelvis's and each thigh's earth frame
    (:func:`analysis.angles.calibration_centre.best_heading`); through it each decided thigh's
    flexion axis at the stand becomes a pelvis axis. When the centre defines the heading
    sharply (≥ :data:`CENTRE_AXIS_SHARPNESS`) and the segment's own axis lies
    ≥ :data:`CENTRE_AXIS_CLASH_DEG` from the thighs' mean, the thighs' replaces it
    (``axis_source = "hip centre"``); otherwise ``ax`` is returned unchanged.
    """
    q_own = _stand_quaternion(q_E_S[row.segment], stand)
    if not row.shared_centre or row.segment not in terms or q_own is None:
        return ax
    found = []
    for p in row.partners:
        if p not in decided or p not in terms:
            continue
        psi, sharpness = best_heading(terms[row.segment], terms[p])
        z_p = _stand_axis_in_earth(q_E_S[p], stand, rot.rotate(decided[p], [0.0, 0.0, 1.0]))
        if sharpness >= CENTRE_AXIS_SHARPNESS and np.all(np.isfinite(z_p)):
            found.append(axis_from_partner(psi, z_p, rot.to_matrix(q_own), ax.y_S))
    if not found:
        return ax
    z = np.mean(found, axis=0)
    z = z - (z @ ax.y_S) * ax.y_S
    if np.linalg.norm(z) < 0.5:  # the thighs disagree with each other: decide nothing
        return ax
    z = z / np.linalg.norm(z)
    off_deg = float(np.rad2deg(np.arccos(min(1.0, abs(float(z @ ax.z_S))))))
    if off_deg < CENTRE_AXIS_CLASH_DEG:
        return ax
    return dataclasses.replace(ax, z_S=z, axis_source="hip centre")


def _centre_for(
    row: SignRule,
    z_S: FloatArray,
    decided: Mapping[str, FloatArray],
    q_E_S: Mapping[str, FloatArray],
    terms: Mapping[str, CentreTerms],
    stand: BoolArray,
) -> CentreEvidence | None:
    """Shared-centre evidence of ``row``'s segment, summed over its decided partners.

    The segment's axis is ``z_S`` as estimated; ``decided`` maps each partner to its chosen
    ``q_S_B``.
    """
    if not row.shared_centre or row.segment not in terms:
        return None
    z_own = _stand_axis_in_earth(q_E_S[row.segment], stand, z_S)
    found = None
    for p in row.partners:
        if p not in decided or p not in terms:
            continue
        z_p = _stand_axis_in_earth(q_E_S[p], stand, rot.rotate(decided[p], [0.0, 0.0, 1.0]))
        if not (np.all(np.isfinite(z_own)) and np.all(np.isfinite(z_p))):
            continue
        e = centre_evidence(terms[row.segment], terms[p], z_own, z_p)
        found = e if found is None else found + e
    return found


def decide_signs(
    q_E_S: Mapping[str, FloatArray],
    axes: Mapping[str, SensorAxes],
    move: BoolArray,
    *,
    rate_hz: float,
    centre: Mapping[str, CentreTerms] | None = None,
    stand: BoolArray | None = None,
) -> dict[str, tuple[FloatArray, SignDecision, SensorAxes]]:
    """Per worn segment, ``q_S_B`` with the table's sign, the decision and its axes.

    The axes are those the sign decision was taken on.

    ``centre`` (:func:`joint_centre_terms`) and the quiet ``stand`` mask enable the
    shared-centre steps (:func:`axis_from_centre`, then the sign test); without them they
    are skipped and the axes are those given.
    """
    step = max(1, round(rate_hz / SESSION_TILT_RATE_HZ))
    decided: dict[str, Tilts] = {}
    trust: dict[str, Confidence] = {}
    out: dict[str, tuple[FloatArray, SignDecision, SensorAxes]] = {}
    for row in rules_for(tuple(axes)):
        label = row.segment
        ax, ev = axes[label], None
        if centre and stand is not None and row.shared_centre:
            sure = {p: o[0] for p, o in out.items() if trust.get(p) == "high"}
            ax = axis_from_centre(ax, row, sure, q_E_S, centre, stand)
            chosen = {p: o[0] for p, o in out.items()}
            ev = _centre_for(row, ax.z_S, chosen, q_E_S, centre, stand)
        cands, tilts = candidate_tilts(q_E_S[label], ax, move, step=step)
        pair = None
        if row.pair_with in axes:
            pair = candidate_tilts(q_E_S[row.pair_with], axes[row.pair_with], move, step=step)[1]
        d = decide_sign(
            row,
            tilts,
            decided,
            session_rate_hz=rate_hz / step,
            confidence=trust,
            centre=ev,
            pair=pair,
        )
        decided[label] = tilts[d.choice]
        # a partner whose axis is poorly defined is no better than one with an unsure sign
        trust[label] = d.confidence if ax.well_defined else "low"
        out[label] = (cands[d.choice], d, ax)
    return out


def _quality_notes(label: str, ax: SensorAxes, d: SignDecision) -> list[str]:
    """The report's notes on one segment's calibration (gravity, sign, axis)."""
    notes = []
    if not gravity_is_plausible(ax.stand_gravity_m_s2):
        notes.append(
            f"{label}: stand acceleration {ax.stand_gravity_m_s2:.2f} m/s² (expected ≈ 9.81)"
        )
    if d.confidence == "low":
        notes.append(f"{label}: axis sign decided with low confidence ({d.rule})")
    if not ax.well_defined:
        notes.append(
            f"{label}: only {ax.rotation_deg:.0f}° of rotation in the functional window; its "
            "flexion axis is poorly defined"
        )
    elif ax.axis_source == "session":
        notes.append(
            f"{label}: flexion axis taken from the whole session ({ax.rotation_deg:.0f}° "
            f"of rotation, planarity {ax.planarity_ratio:.2f}): the calibration movements "
            "left it undefined or less planar"
        )
    elif ax.axis_source == "shank hinge":
        notes.append(
            f"{label}: flexion axis taken from the shank's through the ankle hinge: its own "
            "movements turned it mostly about another axis (e.g. a foot kept flat)"
        )
    elif ax.axis_source == "hip centre":
        notes.append(
            f"{label}: flexion axis taken from the thighs' through the hip centre: its own "
            "movements turned it mostly about another axis (e.g. walking)"
        )
    return notes


def calibrate(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    *,
    windows: Windows,
    acc_bias_m_s2: Mapping[str, FloatArray] | None = None,
) -> CalibrationResult:
    """Calibrate every sensor of ``session`` to its segment.

    Parameters
    ----------
    session
        All sensors on one grid (gyroscope bias already removed or not: the stand's mean rate
        is subtracted again before the axis search).
    q_E_S
        Per placement, ``(K, 4)`` sensor orientation on the grid (own earth frame per sensor),
        over as much of the session as is known: the sign decisions use all of it.
    windows
        The quiet stand and functional windows (:func:`resolve_windows`).
    acc_bias_m_s2
        Per sensor, an accelerometer bias to remove from the stand's gravity direction
        (``analysis.angles.accbias``); none when omitted.
    """
    t = session.t_s
    m_static = _window_mask(t, windows.static_s)
    m_func = _window_mask(t, windows.functional_s)
    if m_static.sum() < max(5, 0.5 * session.rate_hz):
        raise CalibrationError(f"the quiet stand {windows.static_s} holds too few samples")
    if m_func.sum() < 2 * session.rate_hz:
        raise CalibrationError(
            f"the functional window {windows.functional_s} holds too few samples"
        )
    bias = acc_bias_m_s2 or {}
    axes = {
        label: _sensor_axes(session, label, q_E_S[label], (m_static, m_func), bias.get(label))
        for label in session.streams
    }
    axes = knee_hinge_axes(session, axes, (m_static, m_func), q_E_S)
    axes = hinge_axes(session, axes, m_static)
    terms = joint_centre_terms(session, q_E_S, (m_static, m_func), bias)
    signs = decide_signs(q_E_S, axes, m_func, rate_hz=session.rate_hz, centre=terms, stand=m_static)
    notes: list[str] = list(windows.notes)
    segments = {}
    for label in axes:
        q_S_B, d, ax = signs[label]
        notes.extend(_quality_notes(label, ax, d))
        segments[label] = SegmentCalibration(
            placement=label,
            q_S_B=q_S_B,
            planarity_ratio=ax.planarity_ratio,
            axis_elevation_deg=ax.axis_elevation_deg,
            rotation_deg=ax.rotation_deg,
            sign_rule=d.rule,
            sign_confidence=d.confidence,
            based_on=d.based_on,
            axis_source=ax.axis_source,
        )
    return CalibrationResult(
        static_s=windows.static_s,
        functional_s=windows.functional_s,
        source=windows.source,
        stand_gyro_rms_deg_s=float(
            np.rad2deg(np.mean([a.stand_gyro_rms_rad_s for a in axes.values()]))
        ),
        stand_acc_std_m_s2=float(np.mean([a.stand_acc_std_m_s2 for a in axes.values()])),
        segments=segments,
        notes=tuple(notes),
    )
