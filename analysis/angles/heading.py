"""Relative heading between sensors without a magnetometer.

Each 6-D orientation has its own earth frame whose heading (rotation about the vertical) is
arbitrary and drifts. Joint angles need all segments in one frame, so every segment
orientation is turned about the vertical by a heading offset ``δ``:
``q_E_B = Rz(δ) ⊗ q_Ei_B``.

* :func:`stand_offsets` — at the quiet stand every segment faces the same way, so the offsets
  that make all flexion axes (segment z) point the same horizontal direction are the zero of
  every transverse-plane angle.
* :func:`hinge_heading` — for approximate hinge joints (knee, ankle) the two segments share
  the flexion axis at all times, so the heading difference of their z axes, smoothed over a
  long window, tracks the drift continuously (after Laidig, Schauer & Seel 2017, who exploit
  the same kinematic constraint; this is a windowed, closed-form variant).
* Ball joints (hip, lumbar, neck) have no such constraint: their relative heading is anchored
  at the stand (and again at later quiet stands, :func:`anchor_offsets`) and otherwise relies on
  VQF's gyroscope bias estimation, whose residual drift is measured in docs/accuracy.md.
* Lying flat or sitting still (:func:`posture_anchor_mask`) the hip is taken to be neutral in
  rotation and adduction too. There the thigh's long axis is horizontal, so an error of its
  flexion axis about that long axis (hidden at the stand, where it is a heading) shows as hip
  rotation: :func:`hip_twist_rad` measures it and :func:`untwist` removes it; the same
  periods then serve as heading anchors. An assumption, like the stand's: a person lying
  with the legs turned out or sitting with the knees apart breaks it, so only a rotation
  within what the calibration can get wrong (:data:`MAX_TWIST_DEG`) is removed; a larger one
  is taken as the posture it is (docs/conventions.md).
* Lying flat and still (:func:`lying_flat_mask`) the lumbar and neck headings are anchored
  too, the spine taken to be straight sideways: lying, a heading is a sideways bend that
  gravity cannot see, and a head that never rests (so its filter never sees its gyroscope's
  bias about the vertical) otherwise drifts for as long as the subject lies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.chunks import CHUNK_ROWS, map_rows
from analysis.recording.doubts import TimedDoubt
from analysis.recording.runs import true_intervals, true_runs
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_Z = np.array([0.0, 0.0, 1.0])

_LEG_CHAINS = tuple(
    tuple(f"{side}_{seg}" for seg in ("thigh", "shank", "foot")) for side in ("left", "right")
)


def hinge_links(placements: Iterable[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Worn hinge joints as (proximal, distal, segments a heading correction carries to).

    Knee (thigh → shank) and ankle (shank → foot) of each leg, proximal first; correcting a
    segment's heading must also turn every segment distal to it.
    """
    worn = set(placements)
    links = []
    for chain in _LEG_CHAINS:
        for i in range(len(chain) - 1):
            prox, dist = chain[i], chain[i + 1]
            if prox in worn and dist in worn:
                links.append((prox, dist, tuple(p for p in chain[i + 1 :] if p in worn)))
    return links


def _azimuth_rows(q: FloatArray) -> FloatArray:
    z_E = rot.frame_axis(q, 2)
    return np.stack((np.arctan2(z_E[:, 1], z_E[:, 0]), np.hypot(z_E[:, 0], z_E[:, 1])), axis=1)


def axis_azimuth(q_E_B: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Azimuth (rad, about earth z) and horizontal length of each segment's z axis."""
    q = np.asarray(q_E_B)
    if q.ndim == 1:
        out = _azimuth_rows(q[None, :])[0]
        return out[0], out[1]
    out = map_rows(_azimuth_rows, q, width=2, dtype=np.float64)
    return out[:, 0], out[:, 1]


def axis_azimuth_float32(q_E_B: FloatArray) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """:func:`axis_azimuth` of a row array stored as float32, a chunk of rows at a time.

    The same values as ``a.astype(np.float32)`` of each of its results, without their
    session-long float64 pair (a 10-h session's is 58 MB a segment).
    """
    q = np.asarray(q_E_B)
    az = np.empty(q.shape[0], dtype=np.float32)
    horiz = np.empty(q.shape[0], dtype=np.float32)
    for a in range(0, q.shape[0], CHUNK_ROWS):
        rows = _azimuth_rows(q[a : a + CHUNK_ROWS])
        az[a : a + CHUNK_ROWS], horiz[a : a + CHUNK_ROWS] = rows[:, 0], rows[:, 1]
    return az, horiz


def wrap_rad(x: FloatArray | float) -> FloatArray:
    """Wrap angles to (−π, π] (arithmetic: no complex temporaries on long series)."""
    return np.pi - np.mod(np.pi - np.asarray(x, dtype=np.float64), 2.0 * np.pi)


def turn_about_vertical(q_E_B: FloatArray, delta_rad: FloatArray | float) -> FloatArray:
    """``Rz(δ) ⊗ q``: the same orientations seen from an earth frame turned by −δ.

    Row arrays keep their dtype (float32 storage stays float32), evaluated in chunks.
    """
    q = np.asarray(q_E_B)
    delta = np.asarray(delta_rad, dtype=np.float64)
    if q.ndim == 1:
        return rot.turn_about_z(q, delta)
    d = np.broadcast_to(delta, q.shape[:1])
    dtype = q.dtype if q.dtype in (np.float32, np.float64) else np.float64
    return map_rows(rot.turn_about_z, q, d, width=4, dtype=dtype)


def stand_offsets(
    q_E_B: Mapping[str, FloatArray], stand: BoolArray, *, reference: str
) -> dict[str, float]:
    """Heading offsets (rad) that align every segment's z axis with ``reference``'s at the stand."""
    ref_az, _ = axis_azimuth(q_E_B[reference][stand])
    ref = float(np.angle(np.mean(np.exp(1j * ref_az))))
    out = {}
    for label, q in q_E_B.items():
        az, horiz = axis_azimuth(q[stand])
        mean = float(np.angle(np.sum(horiz * np.exp(1j * az))))
        out[label] = float(wrap_rad(ref - mean))
    return out


def _moving_sum(x: FloatArray, n: int) -> FloatArray:
    """Sum over the centred window ``[k − n//2, k − n//2 + n)`` of each sample ``k``.

    The window is clipped to the series; computed from one cumulative sum and slices (no
    index arrays).
    """
    size = x.shape[0]
    c = np.empty(size + 1)
    c[0] = 0.0
    np.cumsum(x, out=c[1:])
    h = n // 2
    out = np.empty(size)
    # upper end min(size, k − h + n), lower end max(0, k − h)
    split = max(0, min(size, size - n + h))
    out[:split] = c[n - h : n - h + split]
    out[split:] = c[size]
    low = min(h, size)
    out[:low] -= c[0]
    out[low:] -= c[: size - low]
    return out


def hinge_heading(
    q_E_proximal: FloatArray,
    q_E_distal: FloatArray,
    *,
    rate_hz: float,
    window_s: float = 20.0,
    valid: BoolArray | None = None,
) -> FloatArray:
    """Heading correction (rad, ``(K,)``) for the distal segment of a hinge joint.

    Per sample, the heading difference between the two segments' z axes is weighted by how
    horizontal both axes are (a vertical axis says nothing about heading) and averaged on the
    unit circle over a centred window of ``window_s``. Turning the distal segment by the result
    makes the flexion axes coincide, as a hinge requires. Acausal (for recordings).
    """
    az_p, h_p = axis_azimuth(q_E_proximal)
    az_d, h_d = axis_azimuth(q_E_distal)
    return hinge_heading_from_axes(
        az_p, h_p, az_d, h_d, rate_hz=rate_hz, window_s=window_s, valid=valid
    )


def hinge_heading_from_axes(
    az_proximal: FloatArray,
    h_proximal: FloatArray,
    az_distal: FloatArray,
    h_distal: FloatArray,
    *,
    rate_hz: float,
    window_s: float = 20.0,
    valid: BoolArray | None = None,
) -> FloatArray:
    """:func:`hinge_heading` from the z axes' azimuths (rad) and horizontal lengths.

    Turning a segment about the vertical adds to its azimuth and leaves the horizontal length
    alone, so successive corrections can be accumulated on azimuths and applied once.
    """
    w = h_proximal * h_distal
    if valid is not None:
        w = np.where(valid, w, 0.0)
    d = wrap_rad(az_proximal - az_distal)
    n = max(1, round(window_s * rate_hz))
    c = _moving_sum(w * np.cos(d), n)
    s = _moving_sum(w * np.sin(d), n)
    return np.arctan2(s, c)


class CausalHingeHeading:
    """Causal counterpart of :func:`hinge_heading` (exponential window, time constant ``tau_s``)."""

    def __init__(self, *, rate_hz: float, tau_s: float = 10.0, initial_rad: float = 0.0) -> None:
        self._alpha = 1.0 - np.exp(-1.0 / (tau_s * rate_hz))
        self._c = float(np.cos(initial_rad))
        self._s = float(np.sin(initial_rad))

    def update(self, q_E_proximal: FloatArray, q_E_distal: FloatArray) -> FloatArray:
        """Heading corrections for a chunk of ``(n, 4)`` orientations, in order."""
        az_p, h_p = axis_azimuth(q_E_proximal)
        az_d, h_d = axis_azimuth(q_E_distal)
        w = h_p * h_d
        d = wrap_rad(az_p - az_d)
        out = np.empty(d.shape[0])
        a = self._alpha
        c, s = self._c, self._s
        wc, ws = w * np.cos(d), w * np.sin(d)
        for k in range(d.shape[0]):  # first-order recursion: sequential by nature
            c += a * (wc[k] - c)
            s += a * (ws[k] - s)
            out[k] = np.arctan2(s, c)
        self._c, self._s = c, s
        return out


def anchor_offsets(
    q_E_proximal: FloatArray,
    q_E_distal: FloatArray,
    anchors: BoolArray,
    *,
    t_s: FloatArray,
    min_anchor_s: float = 2.0,
) -> FloatArray:
    """Piecewise-linear heading correction (rad) of a ball joint from neutral-pose anchors.

    ``anchors`` marks samples known to be in the neutral pose (e.g. later quiet stands). In
    each anchor run of ≥ ``min_anchor_s`` the heading difference of the two z axes is measured;
    between anchor runs the correction is interpolated linearly in time, before the first and
    after the last it is held. Returns zeros when there is no anchor.
    """
    az_p, h_p = axis_azimuth(q_E_proximal)
    az_d, h_d = axis_azimuth(q_E_distal)
    return anchor_offsets_from_axes(
        az_p, h_p, az_d, h_d, anchors, t_s=t_s, min_anchor_s=min_anchor_s
    )


def anchor_offsets_from_axes(
    az_proximal: FloatArray,
    h_proximal: FloatArray,
    az_distal: FloatArray,
    h_distal: FloatArray,
    anchors: BoolArray,
    *,
    t_s: FloatArray,
    min_anchor_s: float = 2.0,
) -> FloatArray:
    """:func:`anchor_offsets` from the z axes' azimuths (rad) and horizontal lengths."""
    runs = anchor_runs_from_axes(
        az_proximal, h_proximal, az_distal, h_distal, anchors, t_s=t_s, min_anchor_s=min_anchor_s
    )
    return runs.offsets(t_s)


@dataclass(frozen=True)
class AnchorRuns:
    """A ball joint's anchor runs: when each was, and the heading difference it measured.

    ``start_s``, ``end_s``: each run's first and last grid time; ``values_rad``: the heading
    difference measured over it (unwrapped, in run order). Empty: no anchor.
    """

    start_s: FloatArray
    end_s: FloatArray
    values_rad: FloatArray

    @property
    def mid_s(self) -> FloatArray:
        """The time each run's correction is placed at (its middle)."""
        return 0.5 * (self.start_s + self.end_s)

    def offsets(self, t_s: FloatArray, lost: BoolArray | None = None) -> FloatArray:
        """The correction at ``t_s`` (rad): :func:`anchor_offsets`.

        Interpolated between runs, held before the first and after the last; zeros without a
        run. ``lost`` (per sample: a sensor of the joint had no rows there) places the change
        between two runs inside the rows lost between them (:func:`stepped_offsets_rad`).
        """
        if self.values_rad.size == 0:
            return np.zeros(t_s.shape[0])
        if lost is None:
            return wrap_rad(np.interp(t_s, self.mid_s, self.values_rad))
        return wrap_rad(stepped_offsets_rad(t_s, self, lost))

    def drift_rate_rad_s(self) -> float:
        """How fast the joint's heading difference was seen to run (rad/s; 0 under two runs).

        The largest change between consecutive runs among the last :data:`DRIFT_RUNS`, per
        second apart (at least :data:`DRIFT_MIN_GAP_S`: a stand's own posture moves the reading
        by a degree or two, which over a few seconds is no rate).
        """
        v, t = self.values_rad[-DRIFT_RUNS:], self.mid_s[-DRIFT_RUNS:]
        if v.size < 2:
            return 0.0
        return float(np.max(np.abs(np.diff(v)) / np.maximum(np.diff(t), DRIFT_MIN_GAP_S)))

    def drift_bound_rad(self, t_s: FloatArray) -> FloatArray:
        """How far the heading difference may have run from what the runs measured (rad).

        :meth:`drift_rate_rad_s` times the time before the first run's start and after the last
        run's end; 0 at and between runs (the correction is interpolated there).
        """
        rate = self.drift_rate_rad_s()
        if rate == 0.0:
            return np.zeros(t_s.shape[0])
        since = np.maximum(0.0, t_s - self.end_s[-1]) + np.maximum(0.0, self.start_s[0] - t_s)
        return rate * since

    def gap_rate_rad_s(self) -> float:
        """How fast the heading difference was seen to run between any two runs (rad/s).

        The largest change between consecutive runs over the whole session, less
        :data:`DRIFT_POSTURE_DEG` (a stand's own posture), per second between the first's end
        and the second's start (at least :data:`DRIFT_MIN_GAP_S`); 0 under two runs. The
        filter drifts while the person moves, not while they stand, and a drift that turns
        back shows as a small net change: so every gap, not only the last ones.
        """
        if self.values_rad.size < 2:
            return 0.0
        change = np.abs(np.diff(self.values_rad)) - np.deg2rad(DRIFT_POSTURE_DEG)
        gap = np.maximum(self.start_s[1:] - self.end_s[:-1], DRIFT_MIN_GAP_S)
        return float(max(0.0, np.max(change / gap)))

    def gap_bound_rad(self, t_s: FloatArray) -> FloatArray:
        """How far the heading difference may have run between two runs (rad).

        :meth:`gap_rate_rad_s` times the time to the nearer of the two runs: the drift may
        have turned away from either and back (a straight line between the runs, what
        :meth:`offsets` interpolates, says nothing of that); 0 at the runs and outside them.
        """
        t = np.asarray(t_s, dtype=np.float64)
        rate = self.gap_rate_rad_s()
        out = np.zeros(t.shape[0])
        if rate == 0.0:
            return out
        k = np.searchsorted(self.start_s, t, side="left")  # the first run starting at or after t
        inside = (k >= 1) & (k < self.start_s.size)
        kk = np.clip(k, 1, max(1, self.start_s.size - 1))
        since = t - self.end_s[kk - 1]
        until = self.start_s[np.minimum(kk, self.start_s.size - 1)] - t
        gap = inside & (since > 0.0)
        out[gap] = rate * np.minimum(since[gap], until[gap])
        return out

    def timed_bound_rad(self, t_s: FloatArray) -> FloatArray:
        """Per sample, how far the heading difference may be off (rad).

        :meth:`drift_bound_rad` before the first run and after the last, :meth:`gap_bound_rad`
        between runs.
        """
        return np.maximum(self.drift_bound_rad(t_s), self.gap_bound_rad(t_s))


LOST_STEP_MIN_S = 1.0
"""Rows lost between two anchor runs for at least this long (s, in all) take the change the
runs measured (:func:`stepped_offsets_rad`): over a shorter loss a moving segment's unseen turn
is small beside a filter's drift."""


def stepped_offsets_rad(t_s: FloatArray, runs: AnchorRuns, lost: BoolArray) -> FloatArray:
    """The anchor runs' heading correction (rad, unwrapped), stepped across lost rows.

    Over rows a sensor did not send, its orientation filter runs on interpolated rates: a
    turn made then is never integrated, and the accelerometer corrects only the tilt, so the
    heading difference jumps there rather than running between the runs. Between two runs
    with at least :data:`LOST_STEP_MIN_S` of ``lost`` samples after the first's end and
    before the second's start, the change is spread over those samples only (held on either
    side of them); elsewhere it is interpolated in time between the runs' middles, as
    :meth:`AnchorRuns.offsets`.
    """
    t = np.asarray(t_s, dtype=np.float64)
    out = np.interp(t, runs.mid_s, runs.values_rad)
    lost = np.asarray(lost, dtype=bool)
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    for i in range(runs.values_rad.size - 1):
        span = (t >= runs.mid_s[i]) & (t <= runs.mid_s[i + 1])
        inside = lost & (t > runs.end_s[i]) & (t < runs.start_s[i + 1])
        if inside.sum() * dt < LOST_STEP_MIN_S:
            continue
        share = np.cumsum(inside[span]) / inside.sum()
        out[span] = runs.values_rad[i] + (runs.values_rad[i + 1] - runs.values_rad[i]) * share
    return out


DRIFT_RUNS = 3
"""The anchor runs whose changes give the drift rate (:meth:`AnchorRuns.drift_rate_rad_s`): the
last ones, as the rate of a filter's bias taken from a rotation changes through a session."""
DRIFT_MIN_GAP_S = 10.0
"""Shortest time a change between two anchor runs is divided by (s)."""
DRIFT_POSTURE_DEG = 2.0
"""How much a stand's own posture moves the heading difference two runs measure (degrees): what
a change between runs is taken less of before it counts as drift (:meth:`AnchorRuns.
gap_rate_rad_s`; our people's consecutive stands differ by 0.1–2.7°, a fidget's 4–22°)."""


def anchor_runs_from_axes(
    az_proximal: FloatArray,
    h_proximal: FloatArray,
    az_distal: FloatArray,
    h_distal: FloatArray,
    anchors: BoolArray,
    *,
    t_s: FloatArray,
    min_anchor_s: float = 2.0,
) -> AnchorRuns:
    """The anchor runs of ≥ ``min_anchor_s`` and the heading difference each measured."""
    d = wrap_rad(az_proximal - az_distal)
    w = h_proximal * h_distal
    start, end, values = [], [], []
    for i, j in zip(*true_intervals(anchors), strict=True):
        if t_s[j - 1] - t_s[i] < min_anchor_s:
            continue
        start.append(float(t_s[i]))
        end.append(float(t_s[j - 1]))
        values.append(float(np.angle(np.sum(w[i:j] * np.exp(1j * d[i:j])))))
    return AnchorRuns(np.asarray(start), np.asarray(end), np.unwrap(np.asarray(values)))


# --- posture anchors: the hip's zero re-taken lying flat or sitting --------------------------

LYING_MAX_UP_DEG = 30.0
"""Lying: pelvis and thigh superior axes within this of horizontal."""
LYING_MAX_HIP_DEG = 20.0
"""Lying flat: the thigh's inclination within this of the pelvis's (hip near extended), read
from the two inclinations alone, heading-free."""
LYING_MAX_HEADING_DEG = 90.0
"""Lying flat: the thigh's and pelvis's superior axes at most this far apart in all (their
headings in one frame, as reconciled at the stand; a heading drift since then up to this)."""
SITTING_MAX_PELVIS_DEG = 35.0
"""Sitting: the pelvis's superior axis within this of vertical ..."""
SITTING_MAX_THIGH_DEG = 25.0
"""... the thigh's within this of horizontal ..."""
SITTING_MAX_SHANK_DEG = 30.0
"""... and the shank's within this of vertical (a leg raised onto a support is not sitting)."""
MAX_TWIST_DEG = 5.0
"""What the calibration can get wrong about the thigh's long axis: a larger hip rotation at
the posture anchors is taken as a real posture (legs turned out lying, feet apart sitting),
not an error, and left alone (docs/accuracy.md, "Hip re-zero bounded by the calibration")."""
DOUBTED_MAX_TWIST_DEG = 12.0
"""The same bound for a thigh whose flexion axis the calibration itself doubts
(``SegmentCalibration.axis_doubt`` or ``tilt_doubt``): its error can be larger."""
MAX_TWIST_SPREAD_DEG = 3.0
"""Anchor periods whose rotations disagree by more than this are not trusted as neutral."""
UNDECIDED_MIN_TWIST_DEG = 4.0
"""Below this the hip rotation read at the posture anchors is decided, whichever it is: the
readings with and without it removed differ by less than hip rotation's 4° target."""
GYRO_GAIN_TOLERANCE = 0.015
"""What a commodity gyroscope's sensitivity and cross-axis errors make of a turn, per unit of
turn angle (datasheets: ±1–3 % sensitivity, ±1–2 % cross-axis; the MPU-6050 class's 1 σ is
1.5 %). The turn from the stand to lying or sitting (about 90° for a thigh, and for a pelvis
lying down) leaves the hip's rotation off by up to this share of it
(:func:`twist_gain_deg`): the rotation read at the posture anchors is the leg's posture, the
calibration's error and this together (docs/accuracy.md, "A lying twist read through the
gyroscope's gain", round 14)."""
UNDECIDED_MAX_TWIST_DEG = DOUBTED_MAX_TWIST_DEG
"""Up to this a rotation at the posture anchors may be the calibration's error about the
thigh's long axis (our own population's thighs, lying neutral, read up to 8.8°) as well as
a posture (a relaxed leg turns out 8–15°): :func:`twist_undecided`. Beyond it, a posture."""


def _held(candidate: BoolArray, *, rate_hz: float, min_run_s: float) -> BoolArray:
    """``candidate`` kept only in runs of at least ``min_run_s``."""
    out = np.zeros(candidate.shape[0], dtype=bool)
    for i, j in true_runs(candidate, max(1, round(min_run_s * rate_hz))):
        out[i:j] = True
    return out


def _lying_or_sitting(
    q_E_pelvis: FloatArray, q_E_thigh: FloatArray, q_E_shank: FloatArray | None = None
) -> BoolArray:
    """Per sample: lying flat, or sitting (only with a shank); see :func:`posture_anchor_mask`."""
    q_p = np.asarray(q_E_pelvis, dtype=np.float64)
    y_p = rot.frame_axis(q_p, 1)
    y_t = rot.frame_axis(np.asarray(q_E_thigh, dtype=np.float64), 1)
    up_max = np.sin(np.deg2rad(LYING_MAX_UP_DEG))
    lying = (np.abs(y_p[:, 2]) < up_max) & (np.abs(y_t[:, 2]) < up_max)
    # on the back or front (the pelvis's lateral axis near horizontal), the hip near extended
    # read from the two inclinations: their headings are what the anchor re-takes, so a
    # heading drift must not keep it from being found (the angle between the two superior
    # axes counted the drift as hip flexion, and once it passed 20° no anchor came again);
    # the headings only have to agree on the half-plane the legs point to (reconciled frames)
    lying &= np.abs(rot.frame_axis(q_p, 2)[:, 2]) < up_max
    elevation = np.arcsin(np.clip(y_t[:, 2], -1.0, 1.0)) - np.arcsin(np.clip(y_p[:, 2], -1.0, 1.0))
    lying &= np.abs(elevation) < np.deg2rad(LYING_MAX_HIP_DEG)
    lying &= np.sum(y_p * y_t, axis=1) > np.cos(np.deg2rad(LYING_MAX_HEADING_DEG))
    if q_E_shank is None:
        return lying
    up_s = rot.frame_axis(np.asarray(q_E_shank, dtype=np.float64), 1)[:, 2]
    sitting = y_p[:, 2] > np.cos(np.deg2rad(SITTING_MAX_PELVIS_DEG))
    sitting &= np.abs(y_t[:, 2]) < np.sin(np.deg2rad(SITTING_MAX_THIGH_DEG))
    sitting &= up_s > np.cos(np.deg2rad(SITTING_MAX_SHANK_DEG))
    return lying | sitting


def posture_anchor_mask(
    q_E_pelvis: FloatArray,
    q_E_thigh: FloatArray,
    still: BoolArray,
    *,
    rate_hz: float,
    q_E_shank: FloatArray | None = None,
    min_run_s: float = 2.0,
) -> BoolArray:
    """Samples at which the subject lies flat or sits, still, for ≥ ``min_run_s`` at a time.

    Orientations are ISB segment frames (y superior) in one earth frame (z up), headings
    already reconciled. *Lying flat*: on the back or front (pelvis superior and lateral axes
    near horizontal), the thigh's superior axis near horizontal, its inclination within
    :data:`LYING_MAX_HIP_DEG` of the pelvis's (hip near extended, read heading-free: a heading
    drift since the stand, which the anchor re-takes, must not hide it) and the two at most
    :data:`LYING_MAX_HEADING_DEG` apart. *Sitting* (only with a shank, which tells a chair from
    a leg raised onto a support in a standing stretch): pelvis upright, thigh near
    horizontal, shank near vertical. In both the hip is taken to be in neutral rotation and
    adduction, as at a quiet stand.
    """
    quats = [q_E_pelvis, q_E_thigh] + ([] if q_E_shank is None else [q_E_shank])
    # row chunks: a 10-h session's float64 axes would cost hundreds of MB at once
    candidate = map_rows(_lying_or_sitting, *quats, width=None, dtype=np.bool_) & still
    return _held(candidate, rate_hz=rate_hz, min_run_s=min_run_s)


def lying_flat_mask(
    q_E_proximal: FloatArray,
    q_E_distal: FloatArray,
    still: BoolArray,
    *,
    rate_hz: float,
    min_run_s: float = 2.0,
) -> BoolArray:
    """Samples at which two spine segments lie flat on the back or front, still, ≥ ``min_run_s``.

    Orientations are ISB segment frames (y superior, z right); their headings need not agree
    (only inclinations are used). *Lying flat*: each segment's superior and lateral axes
    within :data:`LYING_MAX_UP_DEG` of horizontal, so its anterior axis is near vertical.
    There a heading difference between the two is a rotation about their anterior axes, a
    sideways bend of the spine between them, which gravity cannot see; lying still, the spine
    is taken to be straight sideways (docs/conventions.md). On the side, or with the head
    turned far to one side, a lateral axis is near vertical and its heading undefined: no
    anchor.
    """
    up_max = np.sin(np.deg2rad(LYING_MAX_UP_DEG))

    def flat(q_p: FloatArray, q_d: FloatArray) -> BoolArray:
        out = np.ones(q_p.shape[0], dtype=bool)
        for q in (q_p, q_d):
            q64 = np.asarray(q, dtype=np.float64)
            for axis in (1, 2):
                out &= np.abs(rot.frame_axis(q64, axis)[:, 2]) < up_max
        return out

    candidate = map_rows(flat, q_E_proximal, q_E_distal, width=None, dtype=np.bool_) & still
    return _held(candidate, rate_hz=rate_hz, min_run_s=min_run_s)


def hip_twist_read(
    q_E_pelvis: FloatArray, q_E_thigh: FloatArray, anchors: BoolArray
) -> tuple[float, float]:
    """The hip rotation (rad) read at ``anchors`` and how far its runs disagree (rad).

    Hip internal rotation (ISB, unmirrored: about the thigh's y) is averaged on the unit
    circle over each anchor run and then over runs (weighted by length); the spread is the
    largest run's distance from that mean. ``(0, 0)`` without an anchor.
    """
    runs = true_runs(anchors, 1)
    if not runs:
        return 0.0, 0.0
    q_p, q_t = np.asarray(q_E_pelvis), np.asarray(q_E_thigh)
    per_run = [run_twist_rad(q_p[i:j], q_t[i:j]) for i, j in runs]
    return twist_of_runs(per_run, [j - i for i, j in runs])


def run_twist_rad(q_E_pelvis: FloatArray, q_E_thigh: FloatArray) -> float:
    """The hip rotation (rad) of one anchor run: averaged on the unit circle over its rows."""
    q_rel = rot.multiply(rot.conjugate(q_E_pelvis), q_E_thigh)
    return np.angle(np.mean(np.exp(1j * rot.euler_zxy(q_rel)[:, 2])))


def twist_of_runs(runs_rad: Sequence[float], rows: Sequence[int]) -> tuple[float, float]:
    """:func:`hip_twist_read` from its runs' rotations (rad) and lengths (rows), not empty."""
    per_run = np.asarray(runs_rad)
    weights = np.asarray(rows, dtype=np.float64)
    tau = float(np.angle(np.sum(weights * np.exp(1j * per_run))))
    return tau, float(np.max(np.abs(wrap_rad(per_run - tau))))


def twist_accepted(tau_rad: float, spread_rad: float, *, max_twist_deg: float) -> bool:
    """Whether a rotation read at the posture anchors is removed as the calibration's error.

    Not when it exceeds ``max_twist_deg`` (more than the calibration can get wrong: a rotated
    posture) or when the anchor runs disagree by more than :data:`MAX_TWIST_SPREAD_DEG`.
    """
    small = abs(tau_rad) <= np.deg2rad(max_twist_deg)
    return bool(small and spread_rad <= np.deg2rad(MAX_TWIST_SPREAD_DEG))


def twist_gain_deg(turns_deg: Iterable[float]) -> float:
    """What the gyroscopes' gains can add to a hip's rotation over the turns to its anchors.

    ``turns_deg``: how far each of the hip's two segments (pelvis, thigh) turned from the
    stand to the posture anchors; their errors (:data:`GYRO_GAIN_TOLERANCE` of each turn)
    are independent, so they add in quadrature.
    """
    return float(GYRO_GAIN_TOLERANCE * np.sqrt(sum(t * t for t in turns_deg)))


def turn_from_stand_deg(q_E_B: FloatArray, anchors: BoolArray) -> float:
    """How far a segment turned from the stand (superior axis up) to ``anchors`` (degrees).

    The angle of its mean superior axis over the anchors from the vertical: heading-free,
    as the stand's pose is (0 without an anchor).
    """
    if not anchors.any():
        return 0.0
    y = rot.frame_axis(np.asarray(q_E_B[anchors], dtype=np.float64), 1).mean(axis=0)
    return float(np.rad2deg(np.arctan2(np.hypot(y[0], y[1]), y[2])))


def twist_undecided(tau_rad: float, *, gain_deg: float = 0.0) -> bool:
    """Whether the data cannot tell the rotation read at the posture anchors from an error.

    Between :data:`UNDECIDED_MIN_TWIST_DEG` and :data:`UNDECIDED_MAX_TWIST_DEG` it may be
    what the calibration got wrong about the thigh's long axis or a leg turned in or out
    lying or sitting: whichever way it is decided, hip rotation may be off by all of it.
    ``gain_deg``: what the gyroscopes' gains can add over the turn to the anchors
    (:func:`twist_gain_deg`); a reading decided the wrong way is off by itself and that, so
    the lower edge comes down by it (a small reading is a small error only with nothing else
    in the hip's rotation).
    """
    low = max(0.0, UNDECIDED_MIN_TWIST_DEG - gain_deg)
    return bool(low < abs(np.rad2deg(tau_rad)) <= UNDECIDED_MAX_TWIST_DEG)


def twist_read_posture(tau_rad: float) -> bool:
    """Whether a rotation read at the posture anchors is taken as the leg's own posture.

    Past :data:`UNDECIDED_MAX_TWIST_DEG` the reading (rad) is more than the calibration can
    have got wrong about the thigh's long axis: it is kept in the hip's rotation as a leg
    turned in or out, and it says nothing of the calibration's own twist, which may still be
    up to :data:`MAX_TWIST_DEG` either way inside it
    (:func:`analysis.angles.unread_twist.unread_twist_doubt`).
    """
    return bool(abs(np.rad2deg(tau_rad)) > UNDECIDED_MAX_TWIST_DEG)


def undecided_twist_words(side: str, tau_deg: float, gain_deg: float = 0.0) -> dict[str, str]:
    """Why an undecided twist leaves a hip's angles uncertain, and what to redo.

    ``{"reason", "redo"}`` for the ``side`` hip whose rotation read ``tau_deg`` at the
    posture anchors (:func:`twist_undecided`), ``gain_deg`` with it only when it made the
    reading undecided (under :data:`UNDECIDED_MIN_TWIST_DEG`).
    """
    gain = (
        f", and up to {gain_deg:.0f}° more that the sensors' gyroscope gains can add over the "
        "turn to lying or sitting"
        if abs(tau_deg) <= UNDECIDED_MIN_TWIST_DEG
        else ""
    )
    return {
        "reason": (
            f"lying flat or sitting still, the {side} hip read {abs(tau_deg):.0f}° of rotation: "
            f"a leg turned that far or a {side} thigh sensor whose calibration is that far off "
            f"about the thigh's long axis, which the data cannot tell apart{gain}"
        ),
        "redo": (
            "lie on your back with the legs straight and the kneecaps pointing up, still, for "
            "3 s (sitting: the kneecaps pointing forward, the feet hip-width apart), then "
            "analyse again; if it still reads so, redo the calibration movements"
        ),
    }


def hip_twist_rad(
    q_E_pelvis: FloatArray,
    q_E_thigh: FloatArray,
    anchors: BoolArray,
    *,
    max_twist_deg: float = MAX_TWIST_DEG,
) -> float:
    """The thigh's twist (rad) about its long axis that zeroes hip rotation at ``anchors``.

    :func:`hip_twist_read`; 0 when there is no anchor or the rotation is not taken as an
    error (:func:`twist_accepted` with ``max_twist_deg``).
    """
    tau, spread = hip_twist_read(q_E_pelvis, q_E_thigh, anchors)
    return tau if twist_accepted(tau, spread, max_twist_deg=max_twist_deg) else 0.0


def untwist(q_E_B: FloatArray, twist_rad: float) -> FloatArray:
    """``q ⊗ Ry(−twist)``: the segment frame turned back about its own long (y) axis.

    Row arrays keep their dtype and are evaluated in chunks.
    """
    q = np.asarray(q_E_B)
    fix = rot.from_axis_angle([0.0, 1.0, 0.0], -float(twist_rad))
    if q.ndim == 1:
        return rot.multiply(q, fix)
    dtype = q.dtype if q.dtype in (np.float32, np.float64) else np.float64
    return map_rows(lambda rows: rot.multiply(rows, fix), q, width=4, dtype=dtype)


HIP_DRIFT_TARGET_DEG = RMSE_TARGET_DEG["hip_adduction"]  # = hip internal rotation's
"""Hip adduction's and rotation's accuracy target (RMSE over a session, degrees): a heading the
anchors no longer hold that may put them past it leaves them uncertain
(:func:`hip_drift_doubts`)."""


def filter_turn_rad(
    q_E_S: FloatArray, gyr_rad_s: FloatArray, rate_hz: float, bias_rad_s: FloatArray | None = None
) -> FloatArray:
    """Per row, how far (rad) a 6-D filter turned its sensor about the vertical beyond its rates.

    Cumulative from the first row. ``q_E_S``: the filter's orientation (``w, x, y, z``,
    sensor → its earth frame, z up);
    ``gyr_rad_s``: the rates it was given (sensor frame, the stand's bias removed). Without
    a magnetometer the filter's only turn about the vertical that the rates do not make is
    its gyroscope-bias estimate's (its tilt corrections turn about horizontal axes), so this
    is the heading that estimate put in: the earth-frame vertical rate of the rates less the
    filter's own, summed. Rows with no orientation add nothing. ``bias_rad_s``: the stand's
    bias when ``gyr_rad_s`` still has it (taken out a chunk at a time).
    """
    n = q_E_S.shape[0]
    out = np.zeros(n)
    for a in range(0, n - 1, CHUNK_ROWS):  # float64 a chunk at a time (a long session's q)
        b = min(n - 1, a + CHUNK_ROWS)
        q = np.asarray(q_E_S[a : b + 1], dtype=np.float64)
        g = np.asarray(gyr_rad_s[a:b], dtype=np.float64)
        g = g if bias_rad_s is None else g - np.asarray(bias_rad_s, dtype=np.float64)
        q0, q1 = q[:-1], q[1:]
        w, x, y, z = q0.T
        up_rate = 2.0 * (x * z - w * y) * g[:, 0] + 2.0 * (y * z + w * x) * g[:, 1]
        up_rate = up_rate + (1.0 - 2.0 * (x * x + y * y)) * g[:, 2]
        # q1 ⊗ q0⁻¹: the filter's step in the earth frame; its vector part's z, half-angle
        dw = np.sum(q1 * q0, axis=1)
        dz = w * q1[:, 3] - q1[:, 0] * z - (q1[:, 1] * y - q1[:, 2] * x)
        own_rate = 2.0 * np.sign(np.where(dw == 0.0, 1.0, dw)) * dz * rate_hz
        step = (up_rate - own_rate) / rate_hz
        out[a + 1 : b + 1] = np.where(np.isfinite(step), step, 0.0)
    return np.cumsum(out)


REST_BLOCK_S = 1.0
"""Block (s) in which a sensor's rates are judged still for :func:`rest_bias_rad_s`."""

REST_GYRO_SPREAD_RAD_S = 0.01
"""Largest spread (RMS about the block's mean, vector length, rad/s; about 0.6 °/s) of a
resting sensor's rates in a :data:`REST_BLOCK_S` block: its white noise (0.007 °/s/√Hz at
100 Hz, about 0.09 °/s) and a standing sway pass, a limb that moves does not."""

REST_ACC_SPREAD_M_S2 = 0.1
"""Largest spread (RMS about the block's mean, vector length, m/s²) of a resting sensor's
specific force in a :data:`REST_BLOCK_S` block (its tilt then changes by well under 1°)."""

MIN_REST_BLOCKS = 3
"""Consecutive still blocks a rest needs before its mean rate is read."""

REST_READ_SHARE = 0.25
"""A bias direction counts as read in a window when its rests see it across their verticals
by at least this share of their number (sin² 30°: as a posture change of 30° would, or as one
rest in four where it is horizontal). A direction read only through the small differences of
a standing limb's verticals is not read (a slow turn about the vertical would come through
magnified); a read one is at most 1/√share = 2 times the largest rest's reading."""


def _block_stats(
    acc_m_s2: FloatArray, gyr_rad_s: FloatArray, valid: BoolArray, n: int, k: int
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Per block of ``n`` rows (the first ``k``): still, mean specific force, mean rate.

    Still: every row valid, and the rates' and specific force's spread (RMS about the block's
    mean, vector length) under :data:`REST_GYRO_SPREAD_RAD_S` and :data:`REST_ACC_SPREAD_M_S2`.
    Worked out :data:`CHUNK_ROWS` rows at a time in float64 (a 10-h session's rows never
    whole), each block's figures as from the whole.
    """
    still = np.zeros(k, dtype=bool)
    mean_acc, mean_gyr = np.zeros((k, 3)), np.zeros((k, 3))
    step = max(1, CHUNK_ROWS // n)
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        rows = slice(lo * n, hi * n)
        g = np.asarray(gyr_rad_s[rows], dtype=np.float64).reshape(hi - lo, n, 3)
        a = np.asarray(acc_m_s2[rows], dtype=np.float64).reshape(hi - lo, n, 3)
        ok = np.asarray(valid[rows], dtype=bool).reshape(hi - lo, n).all(axis=1)
        with np.errstate(invalid="ignore"):
            g_sd = np.sqrt(g.var(axis=1).sum(axis=1))
            a_sd = np.sqrt(a.var(axis=1).sum(axis=1))
            still[lo:hi] = ok & (g_sd < REST_GYRO_SPREAD_RAD_S) & (a_sd < REST_ACC_SPREAD_M_S2)
        mean_acc[lo:hi], mean_gyr[lo:hi] = a.mean(axis=1), g.mean(axis=1)
    return still, mean_acc, mean_gyr


def _rests(
    acc_m_s2: FloatArray, gyr_rad_s: FloatArray, valid: BoolArray, n: int, block_s: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """A sensor's resting blocks: middle row, weight, mean rate (rad/s), unit up (sensor frame).

    Blocks of rests, where a rest is at least :data:`MIN_REST_BLOCKS` consecutive blocks of
    ``n`` valid rows whose rates and specific force barely spread (:data:`REST_GYRO_SPREAD_RAD_S`,
    :data:`REST_ACC_SPREAD_M_S2`; blocks of ``block_s`` seconds). The mean rate is less
    the turn across the vertical that the accelerometer saw within the rest (a slow tilt).
    """
    k = gyr_rad_s.shape[0] // n
    empty = np.empty((0,)), np.empty((0,)), np.empty((0, 3)), np.empty((0, 3))
    if k == 0:
        return empty
    still, mean_acc, mean_gyr = _block_stats(acc_m_s2, gyr_rad_s, valid, n, k)
    runs = [(lo, hi) for lo, hi in true_runs(still) if hi - lo >= MIN_REST_BLOCKS]
    if not runs:
        return empty
    blocks = np.concatenate([np.arange(lo, hi) for lo, hi in runs])
    norm = np.linalg.norm(mean_acc, axis=1, keepdims=True)
    up = np.divide(mean_acc, norm, out=np.zeros_like(mean_acc), where=norm > 0.0)
    # a slow tilt the spreads let through: the vertical turns in the sensor frame as
    # du/dt = u × ω, so the rate across it is du/dt × u (per block, within each rest)
    tilt_rate = np.concatenate(
        [np.cross(np.gradient(up[lo:hi], block_s, axis=0), up[lo:hi]) for lo, hi in runs]
    )
    rate = mean_gyr[blocks] - tilt_rate
    keep = norm[blocks, 0] > 0.0
    mid = (blocks + 0.5) * n
    return mid[keep], np.ones(int(keep.sum())), rate[keep], up[blocks][keep]


@dataclass(frozen=True)
class RestBias:
    """A gyroscope's bias per :data:`REST_BLOCK_S` block (:func:`rest_bias_blocks`).

    ``centre_rows``: each block's middle (grid rows); ``block_rad_s``: its bias ``(B, 3)``
    (rad/s, sensor frame); ``n_rows``: the series' length. Zeros throughout with no rest.
    """

    centre_rows: FloatArray
    block_rad_s: FloatArray
    n_rows: int

    def rows(self, a: int, b: int) -> FloatArray:
        """The bias of rows ``a``…``b − 1`` (linear between blocks), ``(b − a, 3)`` float64."""
        rows = np.arange(a, min(b, self.n_rows), dtype=np.float64)
        out = np.empty((rows.size, 3))
        for axis in range(3):
            out[:, axis] = np.interp(rows, self.centre_rows, self.block_rad_s[:, axis])
        return out


def rest_bias_blocks(
    acc_m_s2: FloatArray,
    gyr_rad_s: FloatArray,
    valid: BoolArray,
    rate_hz: float,
    bias_rad_s: FloatArray | None = None,
) -> RestBias:
    """A gyroscope's bias (sensor frame, rad/s) as its rests read it, per block.

    At rest (:func:`_rests`) a gyroscope's rates about the horizontal axes are its bias: a
    turn about them would tilt the accelerometer. About the vertical they are not (a limb may
    turn slowly about it while the accelerometer reads the same), so each rest reads only the
    bias's part across its own vertical. Per :data:`REST_BLOCK_S` block the bias is the least
    squares fit to the parts read by the resting blocks within :data:`SLOW_BIAS_S` around it,
    in the directions they read (:data:`REST_READ_SHARE`): rests in different postures read
    different axes; a direction none reads keeps its value from the block before. Rows take
    their block's value, linearly between blocks (:meth:`RestBias.rows`). ``bias_rad_s``:
    the stand's bias, taken out (the result is the change since the stand); zeros before any
    rest.
    """
    n_rows = np.shape(gyr_rad_s)[0]
    n = max(2, round(REST_BLOCK_S * rate_hz))
    mid, weight, rate, up = _rests(acc_m_s2, gyr_rad_s, valid, n, n / rate_hz)
    if mid.size == 0:
        return RestBias(np.zeros(1), np.zeros((1, 3)), n_rows)
    if bias_rad_s is not None:
        rate = rate - np.asarray(bias_rad_s, dtype=np.float64)
    across = np.eye(3)[None] - up[:, :, None] * up[:, None, :]  # (J, 3, 3) projectors
    a_cum = np.concatenate([np.zeros((1, 3, 3)), np.cumsum(weight[:, None, None] * across, 0)])
    r_j = np.einsum("jik,jk->ji", across, rate) * weight[:, None]
    r_cum = np.concatenate([np.zeros((1, 3)), np.cumsum(r_j, 0)])
    centre = (np.arange(n_rows // n + 1) + 0.5) * n
    half = 0.5 * SLOW_BIAS_S * rate_hz
    lo = np.searchsorted(mid, centre - half, side="left")
    hi = np.searchsorted(mid, centre + half, side="right")
    w_cum = np.concatenate([[0.0], np.cumsum(weight)])
    seen = w_cum[hi] - w_cum[lo]
    eig, vec = np.linalg.eigh(a_cum[hi] - a_cum[lo])  # (B, 3), (B, 3, 3) columns
    rhs = np.einsum("bki,bk->bi", vec, r_cum[hi] - r_cum[lo])  # in the eigenbasis
    read = eig >= REST_READ_SHARE * np.maximum(seen, 1e-12)[:, None]
    coef = np.divide(rhs, eig, out=np.zeros_like(rhs), where=read)
    block_bias = np.zeros((centre.size, 3))
    held = np.zeros(3)
    for i in range(centre.size):  # a direction no rest near reads keeps its last value
        kept = np.where(read[i], coef[i], vec[i].T @ held)
        held = vec[i] @ kept
        block_bias[i] = held
    return RestBias(centre, block_bias, n_rows)


def rest_bias_rad_s(
    acc_m_s2: FloatArray,
    gyr_rad_s: FloatArray,
    valid: BoolArray,
    rate_hz: float,
    bias_rad_s: FloatArray | None = None,
) -> FloatArray:
    """Per row, :func:`rest_bias_blocks`' bias (sensor frame, rad/s): ``(rows, 3)``."""
    blocks = rest_bias_blocks(acc_m_s2, gyr_rad_s, valid, rate_hz, bias_rad_s)
    return blocks.rows(0, blocks.n_rows)


def bias_turn_rad(
    q_E_S: FloatArray, bias_rad_s: FloatArray | RestBias, rate_hz: float
) -> FloatArray:
    """Per row, how far (rad) a bias ``bias_rad_s`` (sensor frame, per row) turns the heading.

    Cumulative from the first row, as :func:`filter_turn_rad`: a filter that takes out a bias
    it tracked rightly turns its sensor about the vertical by the bias's vertical component
    (the earth's up axis in the sensor frame, from ``q_E_S``, ``w, x, y, z``; ``bias_rad_s`` per
    row or as :class:`RestBias` blocks, filled a chunk at a time), so this is the
    part of that function's turn a right estimate makes. Rows with no orientation add nothing.
    """
    n = q_E_S.shape[0]
    out = np.zeros(n)
    for a in range(0, n - 1, CHUNK_ROWS):
        b = min(n - 1, a + CHUNK_ROWS)
        w, x, y, z = np.asarray(q_E_S[a:b], dtype=np.float64).T
        if isinstance(bias_rad_s, RestBias):
            bias = bias_rad_s.rows(a, b)
        else:
            bias = np.asarray(bias_rad_s[a:b], dtype=np.float64)
        up_rate = 2.0 * (x * z - w * y) * bias[:, 0] + 2.0 * (y * z + w * x) * bias[:, 1]
        up_rate = up_rate + (1.0 - 2.0 * (x * x + y * y)) * bias[:, 2]
        step = up_rate / rate_hz
        out[a + 1 : b + 1] = np.where(np.isfinite(step), step, 0.0)
    return np.cumsum(out)


SLOW_BIAS_S = 120.0
"""Window (s) over which a gyroscope's real bias may be taken as changing steadily: its drift
warming on the skin runs with a time constant of minutes (our datasheet model: up to 0.3 °/s
over 300 s, a change of at most 0.001 °/s per second, whose curvature a straight line over two
minutes misses by about 0.002 °/s), so what a filter's bias estimate does within it beyond a
straight line is the filter's reading of the motion, not the sensor (:func:`fast_turn_rad`)."""


def _moving_line(y: FloatArray, n: int) -> FloatArray:
    """Each sample's value on the least-squares line through its centred window of ``n``.

    The windows are :func:`_moving_sum`'s (clipped to the series).
    """
    k = np.arange(y.shape[0], dtype=np.float64)
    k -= k.mean()  # the sums of k² stay small against float64's precision
    s0 = _moving_sum(np.ones(y.shape[0]), n)
    s1, s2 = _moving_sum(k, n), _moving_sum(k * k, n)
    sy, sky = _moving_sum(y, n), _moving_sum(k * y, n)
    den = s0 * s2 - s1 * s1
    slope = np.divide(s0 * sky - s1 * sy, den, out=np.zeros_like(den), where=den > 0.0)
    return (sy + slope * (s0 * k - s1)) / s0


def fast_turn_rad(t_s: FloatArray, turn_rad: FloatArray) -> FloatArray:
    """The part of a filter's turn (:func:`filter_turn_rad`, rad) a steady bias cannot make.

    Its rate less that rate's straight line over :data:`SLOW_BIAS_S` around each sample,
    summed again: a bias the filter tracked as it warmed changes its rate steadily and leaves
    nothing; an estimate that went one way and back within a minute or two (2417: +0.25 °/s,
    then −0.23 °/s, over about 40 s) stays.
    """
    t = np.asarray(t_s, dtype=np.float64)
    turn = np.asarray(turn_rad, dtype=np.float64)
    if t.size < 3:
        return np.zeros(t.size)
    step = np.diff(turn, prepend=turn[0])
    n = max(3, round(SLOW_BIAS_S / float(np.median(np.diff(t)))))
    return np.cumsum(step - _moving_line(step, n))


def wander_bound_rad(t_s: FloatArray, runs: AnchorRuns, turn_rad: FloatArray) -> FloatArray:
    """Per sample, how far (rad) a joint's heading the filters turned may be off between runs.

    The filters' bias estimates may turn it away and back between two anchor runs.
    ``turn_rad``: the distal filter's :func:`filter_turn_rad` less the proximal one's, on
    ``t_s``; only its part a steady bias cannot make counts (:func:`fast_turn_rad`: a
    filter tracking a warming bias turns the heading rightly). The runs' correction is a
    straight line between what each run measured
    (:meth:`AnchorRuns.offsets`); a turn the filters' estimates made away from that line
    and back between the runs (the stranger's seed 2417: +4° over a held stretch with ideal
    sensors, gone by the next stand) is not in any run's value, nor in the change between
    them (:meth:`AnchorRuns.gap_bound_rad`). The estimates may have been right (a bias that
    changed) or wrong (a slow move taken for bias), and the data cannot say when: only the
    runs pin the heading. So every sample between two runs gets the turn's largest distance
    from the line through its values at the runs over that gap (2417's hip adduction was read
    3.8° off at 64 s, where the turn was about 1.2° from the line, and 6.7° at 80 s, where it
    was about 4.4°). 0 at and outside the runs, and with under two runs.
    """
    t = np.asarray(t_s, dtype=np.float64)
    out = np.zeros(t.shape[0])
    if runs.values_rad.size < 2:
        return out
    turn = fast_turn_rad(t, turn_rad)
    at_runs = np.array(
        [np.mean(turn[(t >= a) & (t <= b)]) for a, b in zip(runs.start_s, runs.end_s, strict=True)]
    )
    between = (t > runs.end_s[0]) & (t < runs.start_s[-1])
    k = np.searchsorted(runs.start_s, t, side="right")  # runs starting at or before t
    inside = (k >= 1) & (t <= runs.end_s[np.clip(k - 1, 0, runs.end_s.size - 1)])
    if not np.isfinite(at_runs).all():
        return out
    away = np.abs(turn - np.interp(t, runs.mid_s, at_runs))
    gap = between & ~inside
    for i in range(runs.values_rad.size - 1):
        rows = gap & (t > runs.end_s[i]) & (t < runs.start_s[i + 1])
        if rows.any():
            out[rows] = float(np.max(away[rows]))
    return out


STAND_TURN_WORDS = (
    "the sensors turned about the vertical together while you stood for the start, which "
    "cannot be told from their gyroscopes' offsets and shows once the thigh lies level"
)
"""Why a heading may run after the last stand by a turn the stand took for bias (the words
after "and" in :func:`hip_drift_doubts` and :func:`hip_drift_timed`)."""


def stand_turn_rate_rad_s(vertical_rates_rad_s: Sequence[float]) -> float:
    """The turn about the vertical (rad/s, signed) that every sensor's stand rate may share.

    ``vertical_rates_rad_s``: per sensor, its mean rate over the quiet stand along the
    vertical there (earth z, up). A person turning slowly while standing turns every
    sensor alike about the vertical, which no accelerometer sees and the stand's mean takes
    for each gyroscope's bias; a bias of its own differs between sensors. So what all of
    them share, the smallest in size when all turn the same way, may be such a turn; 0 when
    two turn opposite ways or with fewer than one rate.
    """
    v = np.asarray(vertical_rates_rad_s, dtype=np.float64)
    if v.size == 0 or not (np.all(v > 0.0) or np.all(v < 0.0)):
        return 0.0
    return float(np.sign(v[0]) * np.min(np.abs(v)))


def stand_axis_up(q_E_S: FloatArray, up_stand_S: FloatArray) -> FloatArray:
    """Per row, the vertical component (earth z) of the sensor axis that was up at the stand.

    ``q_E_S``: orientation rows (``w, x, y, z``, sensor → its earth frame, z up; float32 or
    float64, taken a chunk at a time); ``up_stand_S``: the vertical at the stand in sensor
    coordinates (any length). 1 while the sensor stands as it did, 0 with that axis level.
    """
    u = np.asarray(up_stand_S, dtype=np.float64)
    u = u / np.linalg.norm(u)

    def rows(q: FloatArray) -> FloatArray:
        return rot.rotate(np.asarray(q, dtype=np.float64), u)[:, 2]

    return map_rows(rows, np.asarray(q_E_S), width=None, dtype=np.float64)


def stand_turn_bound_rad(
    t_s: FloatArray,
    runs: AnchorRuns,
    rate_rad_s: float,
    up_distal: FloatArray,
    up_proximal: FloatArray,
) -> FloatArray:
    """Per sample, how far (rad) a turn shared at the stand may have run a heading since.

    ``rate_rad_s``: :func:`stand_turn_rate_rad_s`, removed from both sensors as bias about
    their axis vertical at the stand; ``up_*``: :func:`stand_axis_up` of the distal and the
    proximal sensor. Where both axes stand as they did the error is the same in both and
    the joint's heading keeps it (the anchor runs, taken standing, cannot see it); as one
    tips level and the other does not (a thigh lying level under an upright pelvis) it runs
    the heading at ``|rate| × |up_distal − up_proximal|``. Summed from the last run's end
    (the runs hold it before); 0 up to then and without a run. Rows without an orientation
    add nothing.
    """
    t = np.asarray(t_s, dtype=np.float64)
    out = np.zeros(t.shape[0])
    if runs.values_rad.size == 0 or rate_rad_s == 0.0 or t.size < 2:
        return out
    diff = np.abs(np.asarray(up_distal, dtype=np.float64) - np.asarray(up_proximal))
    speed = abs(rate_rad_s) * np.where(np.isfinite(diff), diff, 0.0)  # no orientation: no turn
    after = t > runs.end_s[-1]
    dt = np.diff(t, prepend=t[0])
    out[after] = np.cumsum(speed[after] * dt[after])
    return out


def hip_drift_doubts(
    t_s: FloatArray,
    thigh_up: FloatArray,
    runs: AnchorRuns,
    side: str,
    stand_turn_rad: FloatArray | None = None,
) -> dict[str, dict[str, str]]:
    """Hip angles a heading drift the anchors no longer hold may put past their target.

    Before the first and after the last of the hip's anchor runs (``runs``: pelvis → the
    ``side`` thigh), its relative heading may run by :meth:`AnchorRuns.drift_bound_rad`. A
    turn about the vertical is hip rotation as far as the thigh's long axis is vertical
    (``thigh_up``: per sample, the vertical component of its superior axis) and hip adduction
    as far as it is horizontal. Where that share of the bound, as an RMS over the session's
    samples (the target's measure), passes :data:`HIP_DRIFT_TARGET_DEG`, the angle is
    uncertain: ``{motion: {"reason", "redo"}}`` (``"adduction"``, ``"internal_rotation"``).
    ``stand_turn_rad`` (:func:`stand_turn_bound_rad`, per sample): a turn the stand took for
    bias, a second bound after the last run; the larger of the two is taken.
    """
    bound = np.rad2deg(runs.drift_bound_rad(t_s))
    seen = f"the stands saw it run {np.rad2deg(runs.drift_rate_rad_s()):.2f}°/s"
    if stand_turn_rad is not None and np.any(np.rad2deg(stand_turn_rad) > bound):
        bound = np.maximum(bound, np.rad2deg(np.asarray(stand_turn_rad, dtype=np.float64)))
        seen = STAND_TURN_WORDS
    if not np.any(bound > HIP_DRIFT_TARGET_DEG):
        return {}
    up = np.clip(np.abs(np.asarray(thigh_up, dtype=np.float64)), 0.0, 1.0)
    known = np.isfinite(up)
    out = {}
    for motion, share in (("adduction", np.sqrt(1.0 - up * up)), ("internal_rotation", up)):
        off = bound[known] * share[known]
        rms = float(np.sqrt(np.mean(off * off))) if off.size else 0.0
        if rms <= HIP_DRIFT_TARGET_DEG:
            continue
        late = np.flatnonzero(bound * np.where(known, share, 0.0) > HIP_DRIFT_TARGET_DEG)
        out[motion] = {
            "reason": (
                f"the {side} leg's heading against the pelvis is measured only where you stand "
                f"still and upright, and {seen}: before the first such stand or after the "
                "last, hip "
                f"{motion.replace('_', ' ')} may be off by {rms:.0f}° RMS over the session, "
                f"more than the {HIP_DRIFT_TARGET_DEG:.0f}° this tool trusts (by more than "
                f"that from {t_s[late[0]]:.0f} s)"
            ),
            "redo": (
                "stand still and upright for 3 s before and after each hold, and at least "
                "every half minute in a long one, then analyse again"
            ),
        }
    return out


def hip_drift_timed(
    t_s: FloatArray,
    thigh_up: FloatArray,
    runs: AnchorRuns,
    side: str,
    wander_rad: FloatArray | None = None,
    stand_turn_rad: FloatArray | None = None,
) -> dict[str, TimedDoubt]:
    """When a heading drift the anchors do not hold may put a hip angle past its target.

    :meth:`AnchorRuns.timed_bound_rad` per sample, shared between hip rotation and adduction
    as in :func:`hip_drift_doubts`; where a share passes :data:`HIP_DRIFT_TARGET_DEG`, that
    angle may be off by the share (elsewhere 0): ``{motion: TimedDoubt}`` for the motions with
    such a time (a rule on the angle is decided there only beyond the bound, an episode
    elsewhere still counts). Round 15's whole-session doubt (:func:`hip_drift_doubts`) is
    separate: a session-long RMS past the target leaves the angle itself uncertain.
    ``wander_rad`` (:func:`wander_bound_rad`, per sample): the filters' own turn between the
    runs, a second bound of the same heading; ``stand_turn_rad`` (:func:`stand_turn_bound_rad`)
    a third, after the last run; the largest is taken.
    """
    bound = np.rad2deg(runs.timed_bound_rad(t_s))
    wander = None if wander_rad is None else np.rad2deg(np.asarray(wander_rad, dtype=np.float64))
    if wander is not None:
        bound = np.maximum(bound, wander)
    stand = None if stand_turn_rad is None else np.rad2deg(np.asarray(stand_turn_rad))
    if stand is not None:
        bound = np.maximum(bound, stand)
    if not np.any(bound > HIP_DRIFT_TARGET_DEG):
        return {}
    up = np.clip(np.abs(np.asarray(thigh_up, dtype=np.float64)), 0.0, 1.0)
    up = np.where(np.isfinite(up), up, 0.0)
    rate = np.rad2deg(max(runs.gap_rate_rad_s(), runs.drift_rate_rad_s()))
    seen = f"the stands saw it turn up to {rate:.2f}°/s"
    if wander is not None and np.any(wander > HIP_DRIFT_TARGET_DEG):
        seen = (
            f"the sensors' filters turned it up to {float(np.max(wander)):.0f}° away from "
            "what the stands on either side measured and back"
        )
    if stand is not None and np.any(stand > HIP_DRIFT_TARGET_DEG):
        seen = STAND_TURN_WORDS
    out = {}
    for motion, share in (("adduction", np.sqrt(1.0 - up * up)), ("internal_rotation", up)):
        doubt = past_target_doubt(
            t_s,
            bound * share,
            HIP_DRIFT_TARGET_DEG,
            what=(
                f"the {side} leg's heading against the pelvis is measured only where you stand "
                f"still and upright, and {seen}: away from "
                f"them hip {motion.replace('_', ' ')}"
            ),
            redo=(
                "stand still and upright for 3 s before and after each hold, and at least "
                "every half minute in a long one, then analyse again"
            ),
        )
        if doubt is not None:
            out[motion] = doubt
    return out


def past_target_doubt(
    t_s: FloatArray, off_deg: FloatArray, target_deg: float, *, what: str, redo: str
) -> TimedDoubt | None:
    """The timed doubt where an angle may be off (``off_deg``, per sample) past ``target_deg``.

    The bound is ``off_deg`` where it passes the target and 0 elsewhere; ``what`` names the
    angle and why, the words before "may be off by up to …". None where it never passes.
    """
    off = np.asarray(off_deg)
    doubted = off > target_deg
    if not doubted.any():
        return None
    return TimedDoubt(
        bound_deg=np.where(doubted, off, 0.0).astype(np.float32),
        reason=(
            f"{what} may be off by up to {float(np.max(off)):.0f}°, more than the "
            f"{target_deg:.0f}° this tool trusts, at {spans_words(t_s, doubted)}; a rule on it "
            "is decided there only beyond that"
        ),
        redo=redo,
    )


def spans_words(t_s: FloatArray, mask: BoolArray, most: int = 4) -> str:
    """``"105–155 s, 170–200 s"``: the times ``mask`` is set (the first ``most``, then a count)."""
    starts, ends = true_intervals(mask)
    spans = [f"{t_s[a]:.0f}–{t_s[b - 1]:.0f} s" for a, b in zip(starts, ends, strict=True)]
    more = len(spans) - most
    return ", ".join(spans[:most]) + (f" and {more} more" if more > 0 else "")
