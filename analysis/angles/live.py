"""Causal joint angles for live sessions: the offline pipeline's shared steps, in chunks.

Samples arrive per sensor with their own time stamps. :class:`LiveAnglePipeline` puts them on
the session grid (linear interpolation, as offline), runs the causal VQF per sensor, and —
once the guided protocol has delivered the quiet stand and the functional movements —
calibrates from what it buffered and from then on returns joint angles for every new grid
point. Work is done in batches (call :meth:`step` a few times per second), so the
per-notification cost is an append.

Every step after the grid is a function of ``analysis.angles.chain`` that the offline
pipeline calls too, so the angles equal those of ``analyse_recording`` run causally with the
same calibration (``PipelineOptions``; tests/analysis/test_chain.py). What only the offline
pipeline does, and why, is listed in docs/architecture.md ("Offline and live").

One sensor out (after calibration): each sensor goes onto the grid as far as its own samples
reach. A sensor whose newest sample is :data:`OUT_AFTER_S` behind the session's newest is
*out*: the grid goes on without it, and the angles that need it — directly, or through a
heading carried along the leg by the knee and ankle hinges — are NaN from its last sample
on. When it is back within :data:`HOLD_S` its filter and hinge trackers catch up over the
dropout exactly as offline (the dropout interpolated, its grid points without data), so the
angles resume equal to the offline pipeline's. Past :data:`HOLD_S` it is *lost*: what was
held for the catch-up is dropped (memory stays bounded) and its angles stay NaN until the
session is calibrated again. A sensor that repeats one sample (it stopped measuring) is out
the same way: its repeats are dropped as offline (``timebase.without_frozen``; held back for
up to :data:`~analysis.angles.timebase.FROZEN_MIN_S` until a run is known to be one), and
its :class:`Outage` says ``frozen``.

Stand anchors (``stand_anchors``, on by default): after calibration, every quiet upright stand
of at least 2 s re-takes the hip, lumbar and neck headings from then on
(:class:`~analysis.angles.anchors.CausalStandAnchors`); offline re-anchors at the same stands
but interpolates between them. Quiet as offline, a tremor apart, judged on the rows so far
(:class:`~analysis.angles.live_stillness.CausalStillness`).

Posture anchors (``posture_anchors``, on by default, with the stand anchors): lying flat or
sitting still the hips, and lying flat the lumbar spine and neck, are taken as neutral as at a
stand (the offline ``PipelineOptions.posture_anchors``; :func:`posture_rows`). Once such a
posture has lasted 2 s those headings are re-taken from then on, and each thigh's twist about
its long axis is re-taken from the posture runs so far
(:class:`~analysis.angles.anchors.CausalTwist`) and removed from then on.

Accelerometer fit (``acc_from_poses``, on by default): each accelerometer's bias and gain are
fitted, as offline (``PipelineOptions.acc_bias_from_poses``), from the still poses seen so far
(:class:`~analysis.angles.accbias.CausalAccCorrection`; refitted every 2 s of grid rows, from
then on), and the segment calibration turns with the stand's corrected gravity
(:func:`stand_turn`). Without it a consumer accelerometer's bias or scale error becomes a tilt
error of a degree or more whenever a segment is far from its calibration pose.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from analysis.angles import chain
from analysis.angles import rotations as rot
from analysis.angles.accbias import AccCorrection, CausalAccCorrection
from analysis.angles.anchors import CausalStandAnchors, CausalTwist
from analysis.angles.calibration import CalibrationResult, calibrate
from analysis.angles.calibration_windows import resolve_windows
from analysis.angles.heading import (
    hinge_links,
    lying_flat_mask,
    posture_anchor_mask,
    turn_about_vertical,
    undecided_twist_words,
    untwist,
)
from analysis.angles.live_stillness import CausalStillness
from analysis.angles.off_body import with_off_body_gaps
from analysis.angles.orientation import CausalOrientation
from analysis.angles.pipeline import (
    ACC_GAIN_PRIOR_SD,
    ACC_POSE_WINDOW_S,
    NEUTRAL_STILL_RAD_S,
    neutral_pose_mask,
)
from analysis.angles.rate_mixing import CausalRateMixing
from analysis.angles.timebase import (
    FrozenWatch,
    UniformSession,
    UniformStream,
    covered,
    find_gaps,
    interp_columns,
    outside_gaps,
)
from analysis.errors import CalibrationError
from analysis.recording.runs import value_runs
from analysis.recording.schema import angle_column
from analysis.recording.streams import CalibrationWindows

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MAX_GAP_S = 0.25
"""As offline (``PipelineOptions.max_gap_s``): a sensor silent for longer has no data at the
grid points in between; their angles are NaN, never drawn across the dropout."""

OUT_AFTER_S = 1.0
"""A sensor whose newest sample is this far behind the session's newest sample is out: the
grid stops waiting for it. Until then a late packet cannot be told from a dropout, so the
angles wait up to this long when a sensor falls silent."""

HOLD_S = 30.0
"""Longest outage the pipeline catches up over (holding the partner sensors' rows for the
knee and ankle trackers); a sensor out longer is lost until the next calibration."""


STANCE_SEGMENTS = ("pelvis", "left_thigh", "right_thigh")
"""Worn, these must have data for a stand to be seen: with the pelvis or a thigh out, a still
raised knee or a seat (shank vertical, foot flat) cannot be told from standing."""


def _leg_or_pelvis(placement: str) -> bool:
    return placement == "pelvis" or placement.split("_", 1)[-1] in ("thigh", "shank", "foot")


def stand_rows(
    q_B: dict[str, FloatArray], present: dict[str, BoolArray], still: dict[str, BoolArray]
) -> BoolArray:
    """Rows at which the subject is seen standing still and upright, from the sensors with data.

    As offline (``pipeline.segment_orientations``): every sensor turning slower than
    ``NEUTRAL_STILL_RAD_S``, a tremor apart (``still``: :class:`CausalStillness`) and the
    pelvis and legs upright
    (``neutral_pose_mask``) — but only the sensors that have data at a row (``present``) are
    asked, so a shank, foot, trunk or head that is out holds no joint but its own
    (:meth:`CausalStandAnchors.add_turns`). The worn pelvis and thighs must have data
    (:data:`STANCE_SEGMENTS`). ``q_B``: ``(n, 4)`` segment orientations, NaN without data.
    """
    n = next(iter(present.values())).shape[0]
    legs = [p for p in q_B if _leg_or_pelvis(p)]
    if not legs:
        return np.zeros(n, dtype=bool)
    out = _calm_rows(q_B, present, still)
    for p in q_B:
        if p in STANCE_SEGMENTS:
            out &= present[p]
    for p in legs:
        if out.any():
            out &= ~present[p] | neutral_pose_mask({p: np.nan_to_num(q_B[p])})
    return out


def _calm_rows(
    q_B: dict[str, FloatArray], present: dict[str, BoolArray], still: dict[str, BoolArray]
) -> BoolArray:
    """Rows at which every sensor of ``q_B`` with data there turns slowly (``still``)."""
    out = np.ones(next(iter(present.values())).shape[0], dtype=bool)
    for p in q_B:
        out &= ~present[p] | still[p]
    return out


SPINE_LINKS = (("pelvis", "trunk"), ("trunk", "head"))
"""Lumbar and neck: the joints anchored where both their segments lie flat and still."""


def posture_rows(
    q_B: dict[str, FloatArray],
    turns: chain.Turns,
    present: dict[str, BoolArray],
    still: dict[str, BoolArray],
) -> dict[str, BoolArray]:
    """Per distal segment, the rows at which its ball joint is taken as neutral by posture.

    The offline posture anchors (``pipeline._posture_untwist``, ``pipeline._lying_spine_anchors``)
    row by row, without their shortest run: each thigh where pelvis and thigh lie flat or the
    subject sits (:func:`~analysis.angles.heading.posture_anchor_mask`, with the shank when
    worn), trunk and head where they and the segment below lie flat
    (:func:`~analysis.angles.heading.lying_flat_mask`). Only rows at which every sensor with
    data turns slowly (``still``) and the joint's segments (and the shank) have data
    (``present``) count. The shortest run (2 s) is left to the caller, which can count it
    causally (:class:`~analysis.angles.anchors.CausalStandAnchors`). ``q_B``: ``(n, 4)``
    segment orientations, NaN without data; ``turns``: heading turns (rad) that put them in
    one frame (the hip's test compares the pelvis's and thigh's superior axes).
    """
    calm = _calm_rows(q_B, present, still)
    out: dict[str, BoolArray] = {}
    q = {p: np.nan_to_num(v) for p, v in q_B.items()}
    for side in ("left", "right") if "pelvis" in q else ():
        thigh, shank = f"{side}_thigh", f"{side}_shank"
        if thigh not in q:
            continue
        ok = calm & present["pelvis"] & present[thigh]
        if shank in q:
            ok &= present[shank]
        out[thigh] = posture_anchor_mask(
            turn_about_vertical(q["pelvis"], turns["pelvis"]),
            turn_about_vertical(q[thigh], turns[thigh]),
            ok,
            rate_hz=1.0,
            q_E_shank=q.get(shank),
            min_run_s=0.0,
        )
    for prox, dist in SPINE_LINKS:
        if prox in q and dist in q:
            ok = calm & present[prox] & present[dist]
            out[dist] = lying_flat_mask(q[prox], q[dist], ok, rate_hz=1.0, min_run_s=0.0)
    return out


def untwist_rows(q_E_B: FloatArray, twist_rad: FloatArray) -> FloatArray:
    """:func:`~analysis.angles.heading.untwist` with a twist (rad) per row, piecewise constant.

    ``q_E_B`` ``(n, 4)``; rows whose twist is 0 are returned as they are (a new array).
    """
    out = np.array(q_E_B, copy=True)
    starts, ends, _ = value_runs(twist_rad)
    for i, j in zip(starts, ends, strict=True):
        if j > i and twist_rad[i] != 0.0:
            out[i:j] = untwist(out[i:j], float(twist_rad[i]))
    return out


def stand_turn(raw_m_s2: FloatArray, fit: AccCorrection) -> FloatArray:
    """Rotation (quaternion, sensor frame) from the stand's raw gravity to it corrected by ``fit``.

    ``raw_m_s2``: the raw mean specific force at the quiet stand. The shortest turn from it to
    ``fit.apply(raw_m_s2)``; the identity when it is not finite.
    """
    a = np.asarray(raw_m_s2, dtype=np.float64)
    b = fit.apply(a)
    axis = np.cross(a, b)
    s, c = float(np.linalg.norm(axis)), float(a @ b)
    if not (np.isfinite(s) and np.isfinite(c)) or s < 1e-12:
        return np.array([1.0, 0.0, 0.0, 0.0])
    return rot.from_axis_angle(axis / s, np.arctan2(s, c))


def _with_data(t_grid: FloatArray, t_raw: FloatArray, rate_hz: float) -> BoolArray:
    """Grid points not inside a dropout of the raw samples ``t_raw`` (as offline's grid)."""
    return outside_gaps(t_grid, find_gaps(t_raw, max_gap_s=MAX_GAP_S), rate_hz=rate_hz)


def pelvis_out_rows(pelvis_valid: BoolArray, seen_before: bool, lost: bool) -> BoolArray:
    """The rows whose hip the thigh's inclination stands in for, live.

    ``pelvis_valid``: the worn pelvis's rows with an orientation; ``seen_before``: it had one
    on an earlier row of the session; ``lost``: it is out past :data:`HOLD_S` (it does not
    come back, as a pelvis that never returns gets no stand-in in the report). The rows
    without a pelvis orientation after its first one. Live cannot wait for the gap's far side
    (the report's condition), so a pelvis still out stands in until it is lost.
    """
    if lost:
        return np.zeros(pelvis_valid.shape, dtype=bool)
    seen = np.logical_or.accumulate(pelvis_valid) | seen_before
    return seen & ~pelvis_valid


def vertical_shares(q_E_B: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """Per pelvis and thigh, its superior axis's vertical share per row (float32).

    ``q_E_B``: ``(n, 4)`` w-first segment→earth quaternions per placement; the share is the
    earth-vertical component of the segment's unit superior (y) axis (1 upright).
    """
    out = {}
    for p, q in q_E_B.items():
        if p == "pelvis" or p.endswith("_thigh"):
            q = np.asarray(q, dtype=np.float64)
            out[p] = (2.0 * (q[:, 2] * q[:, 3] + q[:, 0] * q[:, 1])).astype(np.float32)
    return out


@dataclass(frozen=True)
class LiveAngles:
    """New grid points: ``t_s`` ``(n,)`` and angle columns (deg) present in the session.

    ``rate_mixing``: per angle column turned about the pelvis's axis, the rate (°/s) that
    axis's error may add to it, row by row (``analysis.angles.rate_mixing``,
    :class:`~analysis.angles.rate_mixing.CausalRateMixing`: each row's from the row before);
    for the envelope monitor's holds, as ``AngleResult.rate_mixing`` for the offline checker.
    """

    t_s: FloatArray
    columns: dict[str, FloatArray]
    rate_mixing: dict[str, FloatArray] = field(default_factory=dict)
    vertical_share: dict[str, FloatArray] = field(default_factory=dict)
    """Per worn pelvis and thigh, the earth-vertical component of the segment's superior (y)
    axis per row (1 upright as at the quiet stand, 0 lying flat; NaN: no data), as the
    offline pipeline's ``_vertical_share``: what the session's doubts read
    (``analysis.angles.live_redecide_doubts``)."""
    doubt_bounds: dict[str, FloatArray] = field(default_factory=dict)
    """Per angle column with a timed doubt, how far (deg) it may be off per row (0: trusted as
    read); set by ``RedecidingPipeline`` (``analysis.angles.live_redecide_doubts``)."""
    stand_in: dict[str, FloatArray] = field(default_factory=dict)
    """With a pelvis worn, per worn thigh (``<side>_thigh_inclination_deg``): its inclination
    (deg) on the rows where the pelvis is out (after its first orientation, not lost), NaN on
    the others: the engagement's stand-in for the hip there, as the report's ``angles.csv``
    has it inside a pelvis dropout (:func:`pelvis_out_rows`). Not an angle of the screen."""

    @property
    def judged(self) -> dict[str, FloatArray]:
        """The angle columns with the engagement's stand-ins: what the envelope monitor reads."""
        return {**self.columns, **self.stand_in}


@dataclass(frozen=True)
class Outage:
    """A sensor that stopped sending: since when (its last sample, session s) and what it costs.

    ``columns`` are the angle columns without data while it is out; ``lost`` is True once it
    was out longer than :data:`HOLD_S` (its angles come back only with a new calibration);
    ``frozen`` is True while it sends one sample over and over (it stopped measuring:
    :class:`~analysis.angles.timebase.FrozenWatch`; ``since_s`` is then that sample's time).
    """

    placement: str
    since_s: float
    lost: bool
    columns: tuple[str, ...]
    frozen: bool = False


GRID_CHUNK_ROWS = 6000
"""Before the calibration, grid rows put on the grid at a time (a minute at 100 Hz): a
re-decision's replay of half an hour is gridded in pieces, not in full-size temporaries (the
rows are the same: each grid point is interpolated from the samples around it)."""


class _SensorBuffer:
    """Raw samples of one sensor not yet consumed by the grid (grows by append)."""

    def __init__(self) -> None:
        self.t: list[FloatArray] = []
        self.acc: list[FloatArray] = []
        self.gyr: list[FloatArray] = []
        self.first_t = np.inf
        self.last_t = -np.inf

    def push(self, t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        keep = t_s > self.last_t  # drop duplicates / out-of-order samples
        if not keep.any():
            return
        self.t.append(t_s[keep])
        self.acc.append(acc[keep])
        self.gyr.append(gyr[keep])
        self.first_t = min(self.first_t, float(t_s[keep][0]))
        self.last_t = float(t_s[keep][-1])

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        if len(self.t) > 1:
            self.t = [np.concatenate(self.t)]
            self.acc = [np.concatenate(self.acc)]
            self.gyr = [np.concatenate(self.gyr)]
        return self.t[0], self.acc[0], self.gyr[0]

    def drop_before(self, t_s: float) -> None:
        """Forget samples older than the last one before ``t_s`` (kept for interpolation)."""
        t, acc, gyr = self.arrays()
        i = max(int(np.searchsorted(t, t_s)) - 1, 0)
        self.t, self.acc, self.gyr = [t[i:]], [acc[i:]], [gyr[i:]]


class GridRows:
    """Rows ``[start, end)`` of a grid-indexed series: appended at the end, trimmed at the front.

    What the live pipeline holds per sensor (segment orientations, validity) and per hinge
    (heading corrections) until every consumer has read it.
    """

    def __init__(self, start: int, tail: tuple[int, ...] = (), dtype: type = np.float64) -> None:
        self.start = start
        self.end = start
        self._parts: list[np.ndarray] = [np.empty((0, *tail), dtype=dtype)]

    def append(self, rows: np.ndarray) -> None:
        """Add the rows ``[end, end + len(rows))``."""
        self._parts.append(rows)
        self.end += rows.shape[0]

    def get(self, a: int, b: int, fill: float | bool) -> np.ndarray:
        """Rows ``[a, b)``; rows not held (before ``start`` or from ``end`` on) are ``fill``."""
        held = self._held()
        out = np.full((b - a, *held.shape[1:]), fill, dtype=held.dtype)
        lo, hi = max(a, self.start), min(b, self.end)
        if hi > lo:
            out[lo - a : hi - a] = held[lo - self.start : hi - self.start]
        return out

    def trim(self, k: int) -> None:
        """Forget the rows before ``k``."""
        k = min(k, self.end)
        if k > self.start:
            self._parts = [self._held()[k - self.start :]]
            self.start = k

    def _held(self) -> np.ndarray:
        if len(self._parts) > 1:
            self._parts = [np.concatenate(self._parts)]
        return self._parts[0]

    def __len__(self) -> int:
        return self.end - self.start


def history_knees_deg(
    q_B: Mapping[str, FloatArray],
    turns: Mapping[str, FloatArray | float],
    valid: Mapping[str, BoolArray],
) -> dict[str, FloatArray]:
    """Each worn knee's flexion (deg) over rows whose segment orientations are ``q_B``.

    ``q_B`` the thighs' and shanks' ``q_E_B`` before their heading turns (not consumed),
    ``turns`` those turns (rad, per row or one), ``valid`` the rows with data per sensor (NaN
    elsewhere). The knee's flexion as the angle rows give it (``chain.isb_angles``).
    """
    legs = [p for p in q_B if p.endswith(("_thigh", "_shank"))]
    q = {p: np.array(q_B[p], copy=True) for p in legs}
    q_E_B = chain.apply_turns(q, {p: turns.get(p, 0.0) for p in legs}, valid=valid)
    columns = chain.isb_angles(q_E_B).columns
    return {
        c: np.asarray(v, np.float64) for c, v in columns.items() if c.endswith("_knee_flexion_deg")
    }


class LiveAnglePipeline:
    """Causal angles for a fixed set of placements at ``rate_hz``.

    Call :meth:`push` for each decoded batch of a sensor (``t_s`` on the session clock),
    :meth:`calibrate` when the protocol's stand and movement windows are known, and
    :meth:`step` periodically to get the angles of new grid points; :meth:`outages` says
    which sensors are out and which angles they leave without data. ``stand_anchors``: re-take
    the hip, lumbar and neck headings at each later quiet upright stand (from then on);
    ``posture_anchors`` (only with them): also lying flat or sitting still, and each thigh's
    twist there; ``acc_from_poses``: correct each accelerometer from the still poses seen so
    far (module docstring); ``acc_fits``: a memo of those fits shared with pipelines fed the
    same session (``CausalAccCorrection``: the same fits, not made twice).
    """

    def __init__(
        self,
        placements: Iterable[str],
        *,
        rate_hz: float,
        t0_s: float = 0.0,
        hinge_tau_s: float = 10.0,
        stand_anchors: bool = True,
        posture_anchors: bool = True,
        acc_from_poses: bool = True,
        acc_fits: MutableMapping[bytes, AccCorrection] | None = None,
    ) -> None:
        self.placements = tuple(placements)
        self.rate_hz = float(rate_hz)
        self._t0 = float(t0_s)
        self._k = 0  # next grid index to return
        self._buf = {p: _SensorBuffer() for p in self.placements}
        self._frozen = {p: FrozenWatch() for p in self.placements}  # repeats: as offline
        self._ori: dict[str, CausalOrientation] = {}
        self._bias: dict[str, FloatArray] = {}
        self._hist: dict[str, list[FloatArray]] = {p: [] for p in self.placements}
        self._hist_ok: dict[str, list[BoolArray]] = {p: [] for p in self.placements}
        self._hist_t: list[FloatArray] = []
        self._cal: CalibrationResult | None = None
        self.history_knees: dict[str, FloatArray] = {}
        """Each worn knee's flexion (deg) over the rows the calibration buffered, before the
        first row :meth:`step` returns (:func:`history_knees_deg`; empty before calibration):
        the report reads those rows too (the knee's soft-tissue precision over the session)."""
        self._offsets: dict[str, float] = {}
        self._hinges = chain.CausalHinges((), rate_hz=self.rate_hz, tau_s=hinge_tau_s)
        self._hinge_tau_s = hinge_tau_s
        self._links = hinge_links(self.placements)
        self._link_index = {(prox, dist): i for i, (prox, dist, _c) in enumerate(self._links)}
        # after calibration, per sensor: next grid index on the grid, segment orientations
        # and validity of the rows still needed; per hinge: next row, heading corrections
        self._kp: dict[str, int] = {}
        self._q_B: dict[str, GridRows] = {}
        self._ok: dict[str, GridRows] = {}
        self._k_link: list[int] = []
        self._delta: list[GridRows] = []
        self._last_delta: list[float] = []  # each hinge's newest correction (rad)
        self._since: dict[str, float] = {}  # out or lost sensors: their last sample (s)
        self._lost: set[str] = set()
        self._columns: dict[str, tuple[str, ...]] = {}
        self._stand_anchors = stand_anchors
        self._posture_anchors = posture_anchors and stand_anchors
        self._anchors = CausalStandAnchors((), rate_hz=self.rate_hz)
        self._twists: dict[str, CausalTwist] = {}  # after calibration: per thigh, its twist
        self._still: dict[str, GridRows] = {}  # after calibration: rows turning slowly
        self._stillness: dict[str, CausalStillness] = {}  # … judged so, a tremor apart
        self._acc_from_poses = acc_from_poses
        self._acc_fits = acc_fits
        self._acc: dict[str, CausalAccCorrection] = {}  # per sensor: its pose fit so far
        self._stand_acc: dict[str, FloatArray] = {}  # per sensor: raw mean at the stand
        self._hist_changes: dict[str, list[tuple[int, AccCorrection]]] = {}  # fits, history
        self._seg_cal: CalibrationResult | None = None  # the calibration with q_S_B in force
        self._mixing = CausalRateMixing(self.rate_hz)  # the pelvis axis's rate error, per row
        self._pelvis_seen = False  # a row with a pelvis orientation emitted (pelvis_out_rows)

    # -- input ------------------------------------------------------------------------------

    def push(
        self, placement: str, t_s: FloatArray, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> None:
        """Append decoded samples of one sensor (``(n,)``, ``(n, 3)``, ``(n, 3)``)."""
        buf = self._buf[placement]
        # a sensor repeating one sample for a second or more has stopped measuring: its
        # repeats are dropped (held back until then), as offline (timebase.without_frozen)
        buf.push(
            *self._frozen[placement].feed(
                np.asarray(t_s, dtype=np.float64),
                np.asarray(acc_m_s2, dtype=np.float64).reshape(-1, 3),
                np.asarray(gyr_rad_s, dtype=np.float64).reshape(-1, 3),
            )
        )
        if placement in self._lost and buf.t:
            buf.drop_before(buf.last_t)  # a lost sensor's samples are not used: hold none

    @property
    def calibrated(self) -> bool:
        """True once :meth:`calibrate` succeeded."""
        return self._cal is not None

    @property
    def calibration(self) -> CalibrationResult | None:
        """The calibration in use (None before)."""
        return self._cal

    def buffered_to_s(self) -> float | None:
        """Session time (s) of the last grid point every sensor's data reached (None: none)."""
        if self._k == 0:
            return None
        return self._t0 + (self._k - 1) / self.rate_hz

    def newest_s(self) -> float:
        """Session time (s) of the newest sample of any sensor (-inf before any)."""
        return max((b.last_t for b in self._buf.values()), default=-np.inf)

    def outages(self) -> tuple[Outage, ...]:
        """The sensors out (or lost) at the last :meth:`step`, in placement order."""
        return tuple(
            Outage(
                placement=p,
                since_s=self._since[p],
                lost=p in self._lost,
                columns=self._gap_columns(p),
                frozen=self._frozen[p].since_s is not None,
            )
            for p in self.placements
            if p in self._since
        )

    def twist_doubts(self) -> dict[str, dict[str, str]]:
        """Hip rotation columns uncertain for a twist the posture anchors cannot decide.

        Per thigh whose rotation read lying flat or sitting still so far is undecided
        (:attr:`~analysis.angles.anchors.CausalTwist.undecided`, as offline
        ``pipeline._undecided_twists``): ``{column: {"reason", "redo"}}``. Only rotation: the
        live path has no second reading to tell whether adduction moves with it.
        """
        out = {}
        for thigh, twist in self._twists.items():
            if twist.undecided:
                side = thigh.split("_", 1)[0]
                column = angle_column(side, "hip", "internal_rotation")
                out[column] = undecided_twist_words(side, float(np.rad2deg(twist.read_rad)))
        return out

    def held_rows(self) -> int:
        """Raw samples and grid rows held (all sensors and hinges), bounded via :data:`HOLD_S`.

        Normally about one call's worth of samples; while a sensor is out, also the rows its
        knee/ankle partners need for the catch-up, until it is lost.
        """
        raw = sum(b.arrays()[0].shape[0] for b in self._buf.values() if b.t)
        return raw + sum(len(r) for r in (*self._q_B.values(), *self._delta))

    # -- outages ----------------------------------------------------------------------------

    def _dead_links(self) -> set[int]:
        """Hinges with a lost sensor: their trackers stop for good.

        Their last correction is held for the segments distal to them.
        """
        return {
            i
            for i, (prox, dist, _c) in enumerate(self._links)
            if prox in self._lost or dist in self._lost
        }

    def _gap_columns(self, placement: str) -> tuple[str, ...]:
        """Angle columns that have no data while ``placement`` is out: those of its segment."""
        if placement not in self._columns:
            q = {
                p: np.array([[np.nan if p == placement else 1.0, 0.0, 0.0, 0.0]])
                for p in self.placements
            }
            cols = chain.isb_angles(q).columns
            self._columns[placement] = tuple(c for c, v in cols.items() if np.isnan(v).all())
        return self._columns[placement]

    def _update_outages(self) -> None:
        """Out: silent :data:`OUT_AFTER_S` behind the newest sample; lost past :data:`HOLD_S`.

        Repeats held back (a run not yet ``FROZEN_MIN_S`` long) count as received: such a
        sensor is sending, frozen or not undecided, so it is not called out before it is
        called frozen (its data arriving a little later than the others' made the screen say
        "out since" for a moment, then "frozen since", at the same sample).
        """
        last = {}
        for p in self.placements:
            if p not in self._lost:
                held = self._frozen[p].held_to_s
                t = self._buf[p].last_t
                last[p] = t if held is None else max(t, held)
        newest = max(last.values(), default=-np.inf)
        for p, t in last.items():
            if not np.isfinite(t):
                continue
            if newest - t > OUT_AFTER_S:
                self._since.setdefault(p, t)
                if newest - t > HOLD_S and self._cal is not None:
                    self._lose(p)
            else:
                self._since.pop(p, None)

    def _lose(self, placement: str) -> None:
        """Stop waiting for ``placement``: drop what was held for its catch-up."""
        self._lost.add(placement)
        buf = self._buf[placement]
        if buf.t:
            buf.drop_before(buf.last_t)
        self._trim()

    # -- processing ---------------------------------------------------------------------------

    def _grid_chunk(
        self,
    ) -> tuple[FloatArray, dict[str, tuple[FloatArray, FloatArray, BoolArray]]] | None:
        """Before calibration: new grid points once every sensor has data past them."""
        if any(not b.t for b in self._buf.values()):
            return None
        horizon = min(b.last_t for b in self._buf.values())
        k_end = min(self._k_end(horizon), self._k + GRID_CHUNK_ROWS)
        if k_end <= self._k:
            return None
        t_grid = self._t0 + np.arange(self._k, k_end) / self.rate_hz
        out = {}
        for p, b in self._buf.items():
            t, acc, gyr = b.arrays()
            ok = _with_data(t_grid, t, self.rate_hz)
            out[p] = (interp_columns(t_grid, t, acc), interp_columns(t_grid, t, gyr), ok)
            b.drop_before(float(t_grid[-1]))
        self._k = k_end
        return t_grid, out

    def _k_end(self, last_t: float) -> int:
        """One past the last grid index at or before ``last_t``."""
        return int(np.floor((last_t - self._t0) * self.rate_hz + 1e-9)) + 1

    def step(self) -> LiveAngles | None:
        """Process everything that can be put on the grid; angles once calibrated."""
        self._update_outages()
        if self._cal is not None:
            return self._step_calibrated()
        grids = []
        while (chunk := self._grid_chunk()) is not None:
            t_grid, data = chunk
            # before calibration only buffer: orientation starts once the stand's gyroscope
            # bias is known (see analysis.angles.calibration.stand_gyro_bias)
            self._hist_t.append(t_grid)
            for p, (acc, gyr, ok) in data.items():
                self._hist[p].append(np.column_stack([acc, gyr]))
                self._hist_ok[p].append(ok)
            grids.append(t_grid)
        if not grids:
            return None
        return LiveAngles(t_s=np.concatenate(grids), columns={})

    def _step_calibrated(self) -> LiveAngles | None:
        """Each sensor as far as its data reach; angles up to the slowest sensor not out."""
        for p in self.placements:
            if p not in self._lost:
                self._advance_sensor(p)
        present = [p for p in self.placements if p not in self._since]
        if not present:
            return None
        self._advance_links()
        k_end = min(self._kp[p] for p in present)
        if k_end <= self._k:
            return None
        a, self._k = self._k, k_end
        columns, mixing, up, stand_in = self._emit(a, k_end)
        self._trim()
        t_s = self._t0 + np.arange(a, k_end) / self.rate_hz
        return LiveAngles(
            t_s=t_s, columns=columns, rate_mixing=mixing, vertical_share=up, stand_in=stand_in
        )

    def _advance_sensor(self, p: str) -> None:
        """Segment orientation of ``p`` at the grid points its samples now reach."""
        buf = self._buf[p]
        k, k_end = self._kp[p], self._k_end(buf.last_t)
        if not buf.t or k_end <= k:
            return
        t, acc, gyr = buf.arrays()
        late = find_gaps(t, max_gap_s=HOLD_S)
        if late:  # back after more than HOLD_S: too late to catch up
            self._since.setdefault(p, late[0][0])
            self._lose(p)
            return
        t_grid = self._t0 + np.arange(k, k_end) / self.rate_hz
        ok = _with_data(t_grid, t, self.rate_hz)
        gyr_grid = interp_columns(t_grid, t, gyr)
        self._q_B[p].append(self._segment_rows(p, interp_columns(t_grid, t, acc), gyr_grid))
        self._ok[p].append(ok)
        self._still[p].append(
            self._stillness[p].update(chain.debiased_gyro(gyr_grid, self._bias[p]))
        )
        buf.drop_before(float(t_grid[-1]))
        self._kp[p] = k_end

    def _advance_links(self) -> None:
        """Run each knee/ankle tracker over the rows its inputs have reached.

        Its two sensors and the hinges before it that carry a heading to its proximal
        segment; in the order of the offline chain (knee before ankle).
        """
        dead = self._dead_links()
        for i, (prox, dist, _carried) in enumerate(self._links):
            if i in dead:
                continue
            a = self._k_link[i]
            b = min(self._kp[prox], self._kp[dist], *self._upstream_ends(prox, i, dead))
            if b <= a:
                continue
            self._delta[i].append(self._track(self._hinges, i, a, b))
            self._last_delta[i] = float(self._delta[i].get(b - 1, b, np.nan)[0])
            self._k_link[i] = b

    def _track(self, hinges: chain.CausalHinges, i: int, a: int, b: int) -> FloatArray:
        """Hinge ``i``'s heading corrections over rows ``[a, b)`` from ``hinges``' tracker.

        The hinges before it give theirs as held (:meth:`_held`), so the turns it sees are
        the offline chain's (``chain.add_hinge_turns``) wherever those are known.
        """
        prox, dist, _c = self._links[i]
        tracker = hinges.estimator({s: self._q_B[s].get(a, b, np.nan) for s in (prox, dist)})
        out: list[FloatArray] = []

        def estimate(px: str, ds: str, turns: chain.Turns) -> FloatArray:
            j = self._link_index[(px, ds)]
            if j < i:
                return self._held(j, a, b)
            if j > i:
                return np.zeros(b - a)
            out.append(tracker(px, ds, turns))
            return out[0]

        chain.add_hinge_turns(self.placements, dict(self._offsets), estimate)
        return out[0]

    def _held(self, j: int, a: int, b: int) -> FloatArray:
        """Hinge ``j``'s corrections over ``[a, b)``; past what it has tracked, its last one."""
        return self._delta[j].get(a, b, self._last_delta[j])

    def _upstream_ends(self, prox: str, i: int, dead: set[int]) -> list[int]:
        """Next rows of the live hinges before link ``i`` that carry a heading to ``prox``.

        A dead hinge does not hold the others back: its last correction is held.
        """
        return [
            self._k_link[j]
            for j, (_p, _d, c) in enumerate(self._links[:i])
            if prox in c and j not in dead
        ]

    def _emit(self, a: int, b: int) -> tuple[dict[str, FloatArray], ...]:
        """Angle columns of grid rows ``[a, b)``: NaN where a segment or its heading has no data.

        With them, the rate the pelvis axis's error may add to those turned about it
        (:class:`~analysis.angles.rate_mixing.CausalRateMixing`), the pelvis's and thighs'
        vertical shares (:func:`vertical_shares`) and the thighs' inclinations while the
        pelvis is out (``LiveAngles.stand_in``).
        """
        q_B = {p: self._q_B[p].get(a, b, np.nan) for p in self.placements}
        valid = {p: self._ok[p].get(a, b, False) for p in self.placements}
        for p in self._lost:
            valid[p][:] = False

        def estimate(prox: str, dist: str, _turns: chain.Turns) -> FloatArray:
            return self._provisional(self._link_index[(prox, dist)], a, b)

        turns: chain.Turns = dict(self._offsets)
        chain.add_hinge_turns(self.placements, turns, estimate)
        if self._stand_anchors:
            still = {p: self._still[p].get(a, b, False) for p in self.placements}
            self._anchor(q_B, turns, valid, still)
        q_E_B = chain.apply_turns(q_B, turns, valid=valid)
        columns = chain.isb_angles(q_E_B).columns
        stand_in = {}
        if "pelvis" in valid:
            ok = valid["pelvis"]
            out = pelvis_out_rows(ok, self._pelvis_seen, "pelvis" in self._lost)
            self._pelvis_seen |= bool(ok.any())
            stand_in = chain.pelvis_out_inclinations(q_E_B, out)
        return columns, self._mixing.update(q_E_B, columns), vertical_shares(q_E_B), stand_in

    def _anchor(
        self,
        q_B: dict[str, FloatArray],
        turns: chain.Turns,
        valid: dict[str, BoolArray],
        still: dict[str, BoolArray],
    ) -> None:
        """Add the stand (and posture) anchors' corrections of the rows to ``turns`` (in place).

        With the posture anchors, each thigh in ``q_B`` is first turned back about its long
        axis by the twist in force (:class:`~analysis.angles.anchors.CausalTwist`), as offline
        before its headings are anchored (``pipeline.segment_orientations``).
        """
        extra = None
        if self._posture_anchors:
            held = self._anchors.in_force(turns)
            extra = posture_rows(q_B, held, valid, still)
            if self._twists:  # the pelvis in the frame in force, once for both thighs
                q_p = turn_about_vertical(q_B["pelvis"], held["pelvis"])
            for thigh, twists in self._twists.items():
                q_t = turn_about_vertical(q_B[thigh], held[thigh])
                q_B[thigh] = untwist_rows(q_B[thigh], twists.update(q_p, q_t, extra[thigh]))
        self._anchors.add_turns(q_B, turns, stand_rows(q_B, valid, still), valid, extra=extra)

    def _provisional(self, i: int, a: int, b: int) -> FloatArray:
        """Hinge ``i``'s corrections for returning rows ``[a, b)`` before it has tracked them.

        Where the tracker has been: its own. Beyond, when both its sensors have the rows and
        only a hinge before it (a knee whose thigh is out) holds it back: a copy of the
        tracker run on with that hinge's last correction held — the joint angle between two
        segments turned alike does not depend on it (up to the float32 of the turns), and the
        tracker itself catches up on the exact rows once that hinge can. Otherwise its last
        correction, held: then a segment of the hinge has no data and its angle is NaN.
        """
        k = self._k_link[i]
        out = self._held(i, a, b)
        prox, dist, _c = self._links[i]
        if k >= b or i in self._dead_links() or min(self._kp[prox], self._kp[dist]) < b:
            return out
        out[max(a, k) - a :] = self._track(copy.deepcopy(self._hinges), i, k, b)[max(a, k) - k :]
        return out

    def _trim(self) -> None:
        """Forget rows every consumer has read: returned, and passed by the live trackers."""
        dead = self._dead_links()
        need = dict.fromkeys(self.placements, self._k)
        need_delta = [self._k] * len(self._links)
        for i, (prox, dist, _c) in enumerate(self._links):
            if i in dead:
                continue
            for s in (prox, dist):
                need[s] = min(need[s], self._k_link[i])
            for j, (_p, _d, carried) in enumerate(self._links[:i]):
                if prox in carried:
                    need_delta[j] = min(need_delta[j], self._k_link[i])
        for p in self.placements:
            self._q_B[p].trim(self._q_B[p].end if p in self._lost else need[p])
            self._ok[p].trim(self._k)
            self._still[p].trim(self._k)
        for j, rows in enumerate(self._delta):
            rows.trim(need_delta[j])

    def _segment_rows(self, p: str, acc_m_s2: FloatArray, gyr_rad_s: FloatArray) -> FloatArray:
        """``q_E_B`` of ``p``'s next grid rows from their raw specific force and rates.

        With the accelerometer pose fit, the segment calibration in force changes where a refit
        changed the correction (:meth:`_refitted`), from the refit's row on (a refit at the
        last row changes it for the next call's rows).
        """
        assert self._seg_cal is not None
        q_E_S, _acc, changed = self._fuse(p, acc_m_s2, gyr_rad_s)
        out, i = [], 0
        for j, fit in changed:
            out.append(chain.sensor_to_segment({p: q_E_S[i:j]}, self._seg_cal)[p])
            self._refitted(p, fit)
            i = j
        out.append(chain.sensor_to_segment({p: q_E_S[i:]}, self._seg_cal)[p])
        return np.concatenate(out)

    def _refitted(self, p: str, fit: AccCorrection) -> None:
        """Turn ``p``'s segment calibration so the stand reads as calibrated under ``fit``.

        The calibration took the segment's vertical from the quiet stand's raw gravity; the fit
        moves that gravity in the sensor frame (:func:`stand_turn`). Turning ``q_S_B`` by the
        same rotation keeps the stand's segment orientation, as the offline calibration from
        corrected data does.
        """
        assert self._cal is not None
        assert self._seg_cal is not None
        self._seg_cal = self._turned(self._seg_cal, p, fit)

    def _turned(self, cal: CalibrationResult, p: str, fit: AccCorrection) -> CalibrationResult:
        """``cal`` with ``p``'s ``q_S_B`` the calibration's turned by :func:`stand_turn`."""
        assert self._cal is not None
        seg = self._cal.segments[p]
        turn = stand_turn(self._stand_acc[p], fit)
        return replace(
            cal, segments={**cal.segments, p: replace(seg, q_S_B=rot.multiply(turn, seg.q_S_B))}
        )

    def _fuse(
        self, p: str, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> tuple[FloatArray, FloatArray, list[tuple[int, AccCorrection]]]:
        """``q_E_S`` of ``p``'s next grid rows, the specific force fused, the rows a refit changed.

        Without the accelerometer pose fit: the raw rows. With it, the rows go through in pieces
        that end at the fit's refit rows (:class:`~analysis.angles.accbias.CausalAccCorrection`),
        each corrected by the fit in force; the changes are listed by the row (relative to these
        rows) from which the new fit holds, with the fit. A function of the grid rows alone,
        however chunked.
        """
        est = self._acc.get(p)
        if est is None:
            return self._orientation(p, acc_m_s2, gyr_rad_s), acc_m_s2, []
        q_parts, a_parts, changed = [], [], []
        i, n = 0, acc_m_s2.shape[0]
        while i < n:
            j = min(n, i + est.rows_to_refit())
            acc = est.correction.apply(acc_m_s2[i:j])
            q_parts.append(self._orientation(p, acc, gyr_rad_s[i:j]))
            a_parts.append(acc)
            if est.add(acc_m_s2[i:j], gyr_rad_s[i:j]):
                changed.append((j, est.correction))
            i = j
        if not q_parts:
            return np.empty((0, 4)), acc_m_s2, []
        return np.concatenate(q_parts), np.concatenate(a_parts), changed

    def _orientation(
        self, placement: str, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> FloatArray:
        """``q_E_S`` of new grid rows: causal VQF on the debiased rates, stored as offline."""
        gyr = chain.debiased_gyro(gyr_rad_s, self._bias[placement])
        return chain.stored_orientation(self._ori[placement].update(gyr, acc_m_s2))

    def calibrate(self, windows: CalibrationWindows) -> CalibrationResult:
        """Calibrate from the buffered stand and movements; raises CalibrationError."""
        session = self.history_session()
        if session is None:
            raise CalibrationError("no data buffered yet; calibrate after the movements")
        # as offline (pipeline._on_grid): a sensor that lay on a table at the start and was
        # strapped on later has no data before it settled on the body
        session = with_off_body_gaps(session)
        t = session.t_s
        resolved = resolve_windows(session, windows)
        self._bias = chain.gyro_bias(session, resolved.static_s)
        self._ori = {p: CausalOrientation(rate_hz=self.rate_hz) for p in self.placements}
        if self._acc_from_poses:  # the raw orientations first: let go before the fused ones
            cal = calibrate(session, self._raw_orientations(session), windows=resolved)
            q_E_S = self._fused_history(session, resolved.static_s)
        else:
            q_E_S = self._fused_history(session, resolved.static_s)
            cal = calibrate(session, q_E_S, windows=resolved)
        self._cal = self._seg_cal = cal
        q_B = {p: self._history_segment(p, q_E_S.pop(p)) for p in list(q_E_S)}
        self._offsets = chain.stand_turns(q_B, t, cal)
        self._hinges = chain.CausalHinges(
            self.placements, rate_hz=self.rate_hz, tau_s=self._hinge_tau_s
        )
        # run the hinge trackers over the buffered history too, so that their state at any
        # grid point depends only on the data up to it, not on when calibrate() was called
        tracker = self._hinges.estimator(q_B)
        last: dict[tuple[str, str], float] = {}

        def estimate(prox: str, dist: str, turns: chain.Turns) -> FloatArray:
            delta = tracker(prox, dist, turns)
            last[(prox, dist)] = float(delta[-1])
            return delta

        turns: chain.Turns = dict(self._offsets)
        chain.add_hinge_turns(self.placements, turns, estimate)
        valid = {p: u.valid for p, u in session.streams.items()}
        self.history_knees = history_knees_deg(q_B, turns, valid)
        self._start_rows()
        self._last_delta = [last[(prox, dist)] for prox, dist, _c in self._links]
        if self._stand_anchors:  # likewise the stand anchors (a stand may span the call)
            self._anchor(q_B, turns, *self._history_rows(session))
        return cal

    def history_session(self) -> UniformSession | None:
        """The buffered rows before calibration as a grid session (None: none buffered).

        As offline, a sensor has no data before its first sample nor inside its dropouts.
        """
        if not self._hist_t:
            return None
        t = np.concatenate(self._hist_t)
        self._hist_t = [t]
        streams = {}
        for p in self.placements:
            # joined once, its pieces let go (a late re-decision's history is ~9 MB per
            # sensor and half hour): the session below is made of it, not a copy beside it
            h = np.vstack(self._hist[p])
            ok = np.concatenate(self._hist_ok[p])
            self._hist[p], self._hist_ok[p] = [h], [ok]
            valid = covered(t, self._buf[p].first_t, np.inf, rate_hz=self.rate_hz) & ok
            streams[p] = UniformStream(
                placement=p, acc_m_s2=h[:, :3], gyr_rad_s=h[:, 3:6], valid=valid
            )
        return UniformSession(t_s=t, rate_hz=self.rate_hz, streams=streams, gaps=())

    def _fused_history(
        self, session: UniformSession, static_s: tuple[float, float]
    ) -> dict[str, FloatArray]:
        """``q_E_S`` per sensor of the buffered history as fused (:meth:`_fuse`).

        With the accelerometer pose fit, each sensor's causal fit starts here
        (:class:`~analysis.angles.accbias.CausalAccCorrection`), and the stand's raw mean
        specific force is kept for :meth:`_refitted`.
        """
        stand = (session.t_s >= static_s[0]) & (session.t_s < static_s[1])
        q_E_S = {}
        self._acc, self._hist_changes = {}, {}
        for p, u in session.streams.items():
            if self._acc_from_poses:
                self._acc[p] = CausalAccCorrection(
                    rate_hz=self.rate_hz,
                    gyr_bias_rad_s=self._bias[p],
                    window_s=ACC_POSE_WINDOW_S,
                    prior_gain_sd=ACC_GAIN_PRIOR_SD,
                    fits=self._acc_fits,
                )
            q_E_S[p], _acc, self._hist_changes[p] = self._fuse(p, u.acc_m_s2, u.gyr_rad_s)
            with np.errstate(invalid="ignore"):
                self._stand_acc[p] = np.nanmean(u.acc_m_s2[stand & u.valid], axis=0)
        return q_E_S

    def _history_segment(self, p: str, q_E_S: FloatArray) -> FloatArray:
        """``q_E_B`` of ``p``'s buffered history, as the rows after it will be made.

        Each stretch with the segment calibration turned by the fit it was fused with
        (:meth:`_turned`); the last one stays in force.
        """
        assert self._seg_cal is not None
        pieces = [(0, None), *self._hist_changes.get(p, [])]
        out = []
        for k, (i, fit) in enumerate(pieces):
            j = pieces[k + 1][0] if k + 1 < len(pieces) else q_E_S.shape[0]
            if fit is not None:
                self._seg_cal = self._turned(self._seg_cal, p, fit)
            out.append(chain.sensor_to_segment({p: q_E_S[i:j]}, self._seg_cal)[p])
        return np.concatenate(out)

    def _raw_orientations(self, session: UniformSession) -> dict[str, FloatArray]:
        """``q_E_S`` of the history from the raw specific force, for the calibration.

        With the accelerometer fit (without it the fused history is the raw one): a causal
        VQF of its own per sensor (the live filters go on from their fused state): the
        calibration's decisions (axes, signs) are those of the raw data, as without the fit,
        and the fit then only turns each segment's vertical (:meth:`_refitted`). Made before
        the fused history and let go after the calibration: a late re-decision holds one
        history of orientations at a time, not two.
        """
        return {
            p: chain.stored_orientation(
                CausalOrientation(rate_hz=self.rate_hz).update(
                    chain.debiased_gyro(u.gyr_rad_s, self._bias[p]), u.acc_m_s2
                )
            )
            for p, u in session.streams.items()
        }

    def _history_rows(
        self, session: UniformSession
    ) -> tuple[dict[str, BoolArray], dict[str, BoolArray]]:
        """The buffered rows with data, and those at which each sensor turns slowly.

        Slowly as the rows after them will be judged (:class:`CausalStillness`, whose state
        goes on from them): a tremor apart.
        """
        present = {p: u.valid for p, u in session.streams.items()}
        still = {
            p: self._stillness[p].update(chain.debiased_gyro(u.gyr_rad_s, self._bias[p]))
            for p, u in session.streams.items()
        }
        return present, still

    def _start_rows(self) -> None:
        """After calibration: the history is spent; every sensor and hinge goes on from here."""
        self._hist = {p: [] for p in self.placements}
        self._hist_ok = {p: [] for p in self.placements}
        self._hist_t = []
        self._kp = dict.fromkeys(self.placements, self._k)
        self._q_B = {p: GridRows(self._k, (4,)) for p in self.placements}
        self._ok = {p: GridRows(self._k, (), np.bool_) for p in self.placements}
        self._still = {p: GridRows(self._k, (), np.bool_) for p in self.placements}
        self._stillness = {
            p: CausalStillness(rate_hz=self.rate_hz, limit_rad_s=NEUTRAL_STILL_RAD_S)
            for p in self.placements
        }
        self._anchors = CausalStandAnchors(self.placements, rate_hz=self.rate_hz)
        self._twists = {
            p: CausalTwist(rate_hz=self.rate_hz)
            for p in self.placements
            if p.endswith("_thigh") and "pelvis" in self.placements
        }
        self._k_link = [self._k] * len(self._links)
        self._delta = [GridRows(self._k) for _ in self._links]
