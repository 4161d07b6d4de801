"""Sensor-to-segment calibration with no assumption about how a sensor is strapped on.

From the session protocol (DESIGN §4):

* the **quiet stand** gives each segment's superior axis y (gravity seen by the sensor: every
  segment is upright in the neutral pose) and every angle's zero;
* the **slow sagittal movements** (knee bends, leg swings, a trunk bow) give each segment's
  flexion axis z: the dominant direction of its angular velocity after removing the part
  about the (instantaneous) vertical, made orthogonal to y.

The sign of z is not observable from one sensor alone (a sensor facing backwards sees the
same physics), so it is chosen by anatomy. The thigh and the trunk decide by themselves (the
thigh flexes more than it extends, the trunk leans forward more than back, in every
calibration movement). Every other segment is judged against a neighbour through a joint that
cannot go far the wrong way: the hips do not hyperextend 25° (pelvis), the knee not 15°
(shank); the ankle stays near neutral while the whole leg swings (foot). Where the movements
never came near such a limit, the pelvis is taken to tip the same way as the trunk
(lumbopelvic rhythm), and only then by its own dominant tilt; such choices are reported with
their confidence. x = y × z completes the right-handed ISB frame
(x anterior, z right).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from analysis import rotations as rot
from analysis.errors import CalibrationError
from analysis.recording import CalibrationWindows
from analysis.schema import GRAVITY_M_S2, split_placement
from analysis.timebase import UniformSession, UniformStream

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
                }
                for p, s in self.segments.items()
            },
            "notes": list(self.notes),
        }

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


# --- windows -----------------------------------------------------------------------------------


def _moving_mean(x: FloatArray, n: int) -> FloatArray:
    """Centred moving mean along axis 0 (edges use the available samples)."""
    n = max(1, int(n))
    c = np.cumsum(np.concatenate([np.zeros((1, *x.shape[1:])), x]), axis=0)
    k = np.arange(x.shape[0])
    lo = np.clip(k - n // 2, 0, x.shape[0])
    hi = np.clip(k - n // 2 + n, 0, x.shape[0])
    return (c[hi] - c[lo]) / (hi - lo).reshape(-1, *([1] * (x.ndim - 1)))


def stillness_mask(
    session: UniformSession,
    *,
    gyro_rms_max_rad_s: float = 0.08,
    acc_std_max_m_s2: float = 0.25,
    window_s: float = 0.5,
) -> BoolArray:
    """Grid points at which every sensor is still (moving RMS of rate, moving SD of acc)."""
    n = round(window_s * session.rate_hz)
    still = np.ones(session.t_s.shape[0], dtype=bool)
    for s in session.streams.values():
        g2 = _moving_mean(np.sum(s.gyr_rad_s**2, axis=1), n)
        a = s.acc_m_s2
        am = _moving_mean(a, n)
        a2 = _moving_mean(np.sum(a**2, axis=1), n)
        var = np.maximum(a2 - np.sum(am**2, axis=1), 0.0)
        still &= (np.sqrt(g2) < gyro_rms_max_rad_s) & (np.sqrt(var) < acc_std_max_m_s2) & s.valid
    return still


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


def detect_windows(
    session: UniformSession,
    *,
    min_stand_s: float = 3.0,
    search_s: float = 30.0,
    max_functional_s: float = 40.0,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Find the quiet stand and the functional movements that follow it.

    The stand is the first run of ≥ ``min_stand_s`` in which every sensor is still, within
    the first ``search_s``; 0.25 s are trimmed from each end. The functional window runs from
    the end of the stand to the first still period of ≥ 2.5 s after ≥ 5 s of movement, at
    most ``max_functional_s``.
    """
    # only the opening of the session can hold the protocol: look at that much and no more
    head = int((search_s + max_functional_s + 10.0) * session.rate_hz)
    session = head_of(session, head)
    still = stillness_mask(session)
    t = session.t_s
    rate = session.rate_hz
    limit = t[0] + search_s
    stand = None
    for i, j in _runs(still):
        if t[i] > limit:
            break
        if (j - i) / rate >= min_stand_s:
            stand = (i, j)
            break
    if stand is None:
        raise CalibrationError(
            f"no quiet stand of ≥ {min_stand_s:g} s (all sensors still) in the first "
            f"{search_s:g} s; start each session standing still, upright, knees straight, feet "
            "flat, or give the windows (sidecar 'calibration', or --stand/--movements)"
        )
    trim = round(0.25 * rate)
    i0, j0 = stand[0] + trim, stand[1] - trim
    static_s = (float(t[i0]), float(t[j0]))
    # functional window: movement after the stand
    start = stand[1]
    stop = min(t.shape[0], start + int(max_functional_s * rate))
    moved = 0
    end = stop
    for i, j in _runs(still[start:stop]):
        i, j = i + start, j + start
        moved = i - start - 0  # samples from stand end to this still run (upper bound)
        if moved / rate >= 5.0 and (j - i) / rate >= 2.5:
            end = i
            break
    if (end - start) / rate < 3.0:
        raise CalibrationError(
            f"after the quiet stand ending at {t[stand[1] - 1]:.1f} s there are no functional "
            "movements (slow knee bends and leg swings); the flexion axes cannot be found"
        )
    return static_s, (float(t[start]), float(t[min(end, t.shape[0] - 1)]))


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


def _dominance(tilt: FloatArray) -> float:
    """Positive if the tilt goes further positive than negative (mean of each part)."""
    return float(np.mean(np.clip(tilt, 0, None)) - np.mean(np.clip(-tilt, 0, None)))


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
    note = (
        f"calibration windows detected: stand [{static_s[0]:.1f}, {static_s[1]:.1f}) s, "
        f"movements [{functional_s[0]:.1f}, {functional_s[1]:.1f}) s"
    )
    return Windows(static_s=static_s, functional_s=functional_s, source="detected", notes=(note,))


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
        Per placement, ``(K, 4)`` sensor orientation on the grid (own earth frame per sensor).
    windows
        The quiet stand and functional windows (:func:`resolve_windows`).
    acc_bias_m_s2
        Per sensor, an accelerometer bias to remove from the stand's gravity direction
        (``analysis.accbias``); none when omitted.
    """
    t = session.t_s
    notes: list[str] = list(windows.notes)
    static_s, functional_s, source = windows.static_s, windows.functional_s, windows.source
    m_static = _window_mask(t, static_s)
    m_func = _window_mask(t, functional_s)
    if m_static.sum() < max(5, 0.5 * session.rate_hz):
        raise CalibrationError(f"the quiet stand {static_s} holds too few samples")
    if m_func.sum() < 2 * session.rate_hz:
        raise CalibrationError(f"the functional window {functional_s} holds too few samples")

    gyro_rms, acc_std = [], []
    axes: dict[str, tuple[FloatArray, FloatArray, float, float, float]] = {}
    for label, s in session.streams.items():
        acc = s.acc_m_s2[m_static & s.valid]
        gyr = s.gyr_rad_s[m_static & s.valid]
        if acc.shape[0] < 5:
            raise CalibrationError(f"sensor {label!r} has no data during the quiet stand")
        mean_acc = acc.mean(axis=0, dtype=np.float64)
        if acc_bias_m_s2 is not None and label in acc_bias_m_s2:
            mean_acc = mean_acc - acc_bias_m_s2[label]
        g = float(np.linalg.norm(mean_acc))
        if abs(g - GRAVITY_M_S2) > 1.5:
            notes.append(f"{label}: stand acceleration {g:.2f} m/s² (expected ≈ 9.81)")
        y_S = mean_acc / g
        bias = gyr.mean(axis=0, dtype=np.float64)
        gyro_rms.append(float(np.sqrt(np.mean(np.sum((gyr - bias) ** 2, axis=1)))))
        acc_std.append(float(np.sqrt(np.mean(np.sum((acc - mean_acc) ** 2, axis=1)))))
        sel = m_func & s.valid
        w = s.gyr_rad_s[sel] - bias
        if w.shape[0] < 10:
            raise CalibrationError(f"sensor {label!r} has no data during the functional window")
        # Flexion axes are horizontal during sagittal movements in any posture; turning about
        # the vertical (walking, turning round to sit) is not flexion, so remove it first.
        up_S = rot.rotate(rot.conjugate(q_E_S[label][sel]), [0.0, 0.0, 1.0])
        w = w - np.sum(w * up_S, axis=1, keepdims=True) * up_S
        cov = w.T @ w
        evals, evecs = np.linalg.eigh(cov)
        a = evecs[:, -1]
        planarity = float(evals[-1] / max(evals.sum(), 1e-12))
        rotation_deg = float(np.rad2deg(np.abs(w @ a).sum() / session.rate_hz))
        z = a - (a @ y_S) * y_S
        nz = float(np.linalg.norm(z))
        if nz < 0.2:
            raise CalibrationError(
                f"sensor {label!r}: its dominant rotation during the functional movements is "
                "about the vertical, not a flexion axis; repeat slow knee bends and leg swings"
            )
        elevation = float(np.rad2deg(np.arcsin(min(1.0, abs(a @ y_S)))))
        axes[label] = (y_S, z / nz, planarity, elevation, rotation_deg)

    q_S_B: dict[str, FloatArray] = {}
    rules: dict[str, tuple[str, Literal["high", "low"]]] = {}
    tilt_cache: dict[str, FloatArray] = {}

    def tilt_of(label: str, q: FloatArray) -> FloatArray:
        return _tilt(q_E_S[label][m_func], q)

    def chosen_tilt(label: str) -> FloatArray:
        if label not in tilt_cache:
            tilt_cache[label] = tilt_of(label, q_S_B[label])
        return tilt_cache[label]

    def decide(
        label: str,
        *,
        relation: str | None,
        joint_angle: Callable[[FloatArray], list[FloatArray]] | None,
        limit_deg: float,
        fallback_sign: float,
        fallback_rule: str,
        partner: str | None = None,
    ) -> None:
        """Pick the sign of z: first by a joint that must not go below ``−limit_deg``
        (``joint_angle`` maps the candidate's tilt to that joint's angle series), then by
        tipping the same way as ``partner`` (correlated tilts), then by the direction the
        segment mostly tips (``fallback_sign``: +1 tilt mostly positive)."""
        y_S, z_S = axes[label][0], axes[label][1]
        cands = (_frame(y_S, z_S), _flip(_frame(y_S, z_S)))
        tilts = [tilt_of(label, q) for q in cands]
        if joint_angle is not None:
            beyond = [
                float(np.mean(np.concatenate(joint_angle(tl)) < -np.deg2rad(limit_deg)))
                for tl in tilts
            ]
            if abs(beyond[0] - beyond[1]) > 0.01:
                q_S_B[label] = cands[int(beyond[1] < beyond[0])]
                rules[label] = (f"{relation} does not go beyond −{limit_deg:g}°", "high")
                return
        if partner is not None:
            corr = float(np.corrcoef(tilts[0], chosen_tilt(partner))[0, 1])
            if np.isfinite(corr) and abs(corr) >= 0.3:
                q_S_B[label] = cands[int(corr < 0)]
                conf: Literal["high", "low"] = "high" if abs(corr) >= 0.6 else "low"
                rules[label] = (f"tips the same way as the {partner} (r = {abs(corr):.2f})", conf)
                return
        dom = [_dominance(tl) * fallback_sign for tl in tilts]
        q_S_B[label] = cands[int(dom[1] > dom[0])]
        strong = abs(dom[0] - dom[1]) > 2 * np.deg2rad(3)
        # an absolute rule is trusted where it is the segment's own rule (thigh, trunk);
        # as a fallback after a relational rule could not decide it is the weaker evidence
        own = joint_angle is None and partner is None
        rules[label] = (fallback_rule, "high" if strong and own else "low")

    # the thighs first: their own attitude decides (thighs flex more than they extend)
    for label in axes:
        if split_placement(label)[1] == "thigh":
            decide(
                label,
                relation=None,
                joint_angle=None,
                limit_deg=0.0,
                fallback_sign=+1.0,
                fallback_rule="thigh flexes more than it extends",
            )
    thighs = [t for t in ("left_thigh", "right_thigh") if t in q_S_B]
    if "trunk" in axes:
        # the trunk leans forward in knee bends, bows and sit-to-stand, rarely back
        decide(
            "trunk",
            relation=None,
            joint_angle=None,
            limit_deg=0.0,
            fallback_sign=-1.0,
            fallback_rule="trunk leans forward more than back",
        )
    if "pelvis" in axes:
        # hip flexion ≈ thigh tilt − pelvis tilt: the hips do not hyperextend 25°; failing
        # that, pelvis and trunk tip the same way (lumbopelvic rhythm)
        decide(
            "pelvis",
            relation="hip extension",
            joint_angle=((lambda tl: [chosen_tilt(t) - tl for t in thighs]) if thighs else None),
            limit_deg=25.0,
            partner="trunk" if "trunk" in q_S_B else None,
            fallback_sign=-1.0,
            fallback_rule="pelvis tips forward more than back",
        )
    if "head" in axes:
        decide(
            "head",
            relation="neck extension",
            joint_angle=((lambda tl: [chosen_tilt("trunk") - tl]) if "trunk" in q_S_B else None),
            limit_deg=45.0,
            fallback_sign=-1.0,
            fallback_rule="head nods forward more than back",
        )
    for side in ("left", "right"):
        thigh, shank, foot = f"{side}_thigh", f"{side}_shank", f"{side}_foot"
        if shank in axes:
            # knee flexion ≈ thigh tilt − shank tilt: the knee does not hyperextend 15°
            decide(
                shank,
                relation="knee extension",
                joint_angle=(
                    (lambda tl, th=thigh: [chosen_tilt(th) - tl]) if thigh in q_S_B else None
                ),
                limit_deg=15.0,
                fallback_sign=-1.0,
                fallback_rule="shank tips forward (knee over toes) in knee bends",
            )
        if foot in axes:
            y_S, z_S = axes[foot][0], axes[foot][1]
            cands = (_frame(y_S, z_S), _flip(_frame(y_S, z_S)))
            if shank in q_S_B:
                # ankle ≈ foot tilt − shank tilt stays near neutral while the whole leg swings
                spread = [
                    float(np.percentile(np.abs(tilt_of(foot, q) - chosen_tilt(shank)), 90))
                    for q in cands
                ]
                q_S_B[foot] = cands[int(spread[1] < spread[0])]
                conf = "high" if abs(spread[0] - spread[1]) > np.deg2rad(5) else "low"
                rules[foot] = ("ankle stays near neutral while the leg swings", conf)
            else:
                q_S_B[foot] = cands[0]
                rules[foot] = ("no shank sensor: sign not determinable", "low")

    segments = {}
    for label in session.streams:
        y_S, z_S, planarity, elevation, rotation_deg = axes[label]
        rule, conf = rules[label]
        if conf == "low":
            notes.append(f"{label}: axis sign decided with low confidence ({rule})")
        if rotation_deg < 20:
            notes.append(
                f"{label}: only {rotation_deg:.0f}° of rotation in the functional window; its "
                "flexion axis is poorly defined"
            )
        segments[label] = SegmentCalibration(
            placement=label,
            q_S_B=q_S_B[label],
            planarity_ratio=planarity,
            axis_elevation_deg=elevation,
            rotation_deg=rotation_deg,
            sign_rule=rule,
            sign_confidence=conf,
        )
    return CalibrationResult(
        static_s=static_s,
        functional_s=functional_s,
        source=source,
        stand_gyro_rms_deg_s=float(np.rad2deg(np.mean(gyro_rms))),
        stand_acc_std_m_s2=float(np.mean(acc_std)),
        segments=segments,
        notes=tuple(notes),
    )
