"""From a recording to joint angles: time base → orientation → calibration → heading → angles.

``analyse_recording`` is the offline pipeline behind ``stretchguard analyse``; its output
``AngleResult.angles`` is the ``angles.csv`` contract: ``t_s`` then one column per available
angle (``recording.schema.ANGLE_COLUMNS`` order, degrees) on a uniform grid at the session's
rate. Grid points where a needed sensor had no data are NaN.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.angles import chain
from analysis.angles import rotations as rot
from analysis.angles.accbias import AccCorrection, estimate_acc_correction, still_pose_means
from analysis.angles.anchors import ANCHOR_LINKS
from analysis.angles.axis_bias import untilt
from analysis.angles.belt_turn import belt_words, find_belt_turns, without_belt_turns
from analysis.angles.calibration import (
    CalibrationResult,
    SegmentCalibration,
    angle_dependencies,
    calibrate,
)
from analysis.angles.calibration_windows import (
    Windows,
    head_of,
    resolve_windows,
    turning_slower_than,
)
from analysis.angles.chunks import map_rows, map_threads
from analysis.angles.heading import (
    DOUBTED_MAX_TWIST_DEG,
    MAX_TWIST_DEG,
    AnchorRuns,
    RestBias,
    anchor_runs_from_axes,
    axis_azimuth_float32,
    bias_turn_rad,
    filter_turn_rad,
    hinge_heading_from_axes,
    hip_drift_doubts,
    hip_drift_timed,
    hip_twist_read,
    lying_flat_mask,
    past_target_doubt,
    posture_anchor_mask,
    rest_bias_blocks,
    stand_axis_up,
    stand_turn_bound_rad,
    stand_turn_rate_rad_s,
    turn_about_vertical,
    turn_from_stand_deg,
    twist_accepted,
    twist_gain_deg,
    twist_read_posture,
    twist_undecided,
    undecided_twist_words,
    untwist,
    wander_bound_rad,
)
from analysis.angles.held_twist import held_twist_slips
from analysis.angles.hinge_lean import hip_lean_doubts, lean_deg
from analysis.angles.lean_axis import lean_axis_doubts, tilt_from_stand_deg
from analysis.angles.off_body import off_body_words, with_off_body_gaps
from analysis.angles.orientation import (
    OrientationTask,
    block_bounds,
    run_orientation,
    stitch_blocks,
)
from analysis.angles.plausibility import (
    FLAT_FOOT_DOUBT_DEG,
    doubted_segments,
    flat_foot_doubt_deg,
    flat_foot_mask,
    implausible_joints,
)
from analysis.angles.rate_mixing import rate_mixing_columns
from analysis.angles.re_anchor import (
    SettledTurn,
    TurnSpan,
    long_axis_twist_rad_s,
    rough_turn,
    settled_turn,
    span_end_s,
    turn_span,
    turned_back,
    turned_back_deg,
    twist_agrees,
)
from analysis.angles.strap_slip import (
    WINDOW_S,
    BiasFreeRates,
    Slip,
    clock_words,
    find_slips,
    long_axis_in_sensor,
    slip_criterion_timed,
    slip_reason,
    slip_uncertain,
)
from analysis.angles.tilt_precision import (
    GAIN_PRIOR_REDO,
    GAIN_PRIOR_TARGET_DEG,
    THIGH_INCLINATION,
    PoseEvidence,
    SegmentPrecision,
    block_rows,
    floating_axes,
    gain_prior_doubts,
    gain_prior_rmse_deg,
    gain_prior_rows_deg,
    hip_tilt_doubts,
    misfit_doubts,
    other_side,
    pose_evidence,
    precision_doubts,
    precision_notes,
    precision_of,
    predicted_rmse_deg,
    unstated_product,
)
from analysis.angles.timebase import UniformSession, UniformStream, move_to_uniform_grid
from analysis.angles.timed_marks import timed_marks
from analysis.angles.tissue import (
    knee_tissue_precision,
    knee_tissue_timed,
    tissue_rmse_deg,
    with_tissue_deg,
)
from analysis.angles.unread_twist import session_axis_reads_posture, unread_twist_doubt
from analysis.angles.vendor_heading import anchored_mask, hip_heading_doubts, hip_heading_timed
from analysis.angles.vendor_tilt import (
    follows_raw_accelerometer,
    vendor_heading_note,
    vendor_orientation,
)
from analysis.errors import InsufficientDataError
from analysis.recording.doubts import TimedDoubt, UncertainAngle, trace_precision_deg
from analysis.recording.schema import (
    ANGLE_COLUMNS,
    ORIENTATION_FROM_VENDOR,
    SIDES,
    T_S,
    angle_column,
    split_placement,
)
from analysis.recording.streams import Gap, Recording, SensorStream

FloatArray = NDArray[np.float64]
LONG_SESSION_SAMPLES = 1_000_000
"""Above this many samples per sensor (≈ 2.8 h at 100 Hz) measurements, orientations and
angles are stored as float32 (plenty for angles: 1e-5°), halving the memory."""

PARALLEL_MIN_SAMPLES = 400_000
"""Total samples (all sensors) from which the orientation blocks run in two processes."""

ACC_POSE_WINDOW_S = 0.5
"""Still windows for the accelerometer correction: half a second already averages the noise to
about a milligravity, and catches the brief pauses (the bottom of a knee bend, sitting on the
floor before lying back) whose tilts observe the gain terms that two or three long poses do not."""

ACC_GAIN_PRIOR_SD = 0.005
"""Prior standard deviation of each accelerometer gain term (scale, cross-axis): consumer
MEMS datasheets give about ±1 % for both (e.g. Bosch BMI160), taken as ±2σ."""

NEUTRAL_STILL_RAD_S = 0.1
"""Every sensor turning slower than this (bias removed) counts as still for the anchors."""

Progress = Callable[[str, float], None]

_T = TypeVar("_T")
"""Progress callback: (stage name, fraction of the whole pipeline done in [0, 1])."""


@dataclass(frozen=True, kw_only=True)
class PipelineOptions:
    """Choices of the offline pipeline (defaults are the documented, benchmarked ones).

    The live pipeline runs the same chain causally (``analysis.angles.chain``). Switching off
    the offline-only steps (``offline_orientation``, ``acc_bias_from_poses``,
    ``stand_anchors``), choosing the causal hinge tracker (``hinge_tau_s``) and calibrating
    from the data up to the moment a live session would (``calibration_until_s``) gives the
    live pipeline's angles (docs/architecture.md, "Offline and live").
    """

    offline_orientation: bool = True
    """Acausal VQF (forward-backward) rather than the causal filter."""
    hinge_window_s: float = 20.0
    """Smoothing window of the knee/ankle hinge heading correction."""
    hinge_heading: bool = True
    """Track knee/ankle relative heading continuously (off: stand alignment only)."""
    hinge_tau_s: float | None = None
    """None: the hinge heading is averaged over a centred window of ``hinge_window_s``
    (acausal); a time constant (s): the causal exponential tracker of the live pipeline."""
    stand_anchors: bool = True
    """Re-anchor hip and lumbar heading whenever the subject stands upright again."""
    posture_anchors: bool = True
    """Re-take each hip's zero (thigh twist and heading) while lying flat or sitting still, and
    the lumbar and neck heading while lying flat and still."""
    stand_gyro_bias: bool = True
    """Remove each gyroscope's mean rate during the quiet stand before fusion."""
    bias_from_rests: bool = False
    """With ``offline_orientation``: remove each gyroscope's drift since the stand as its own
    still rests read it (:func:`~analysis.angles.heading.rest_bias_blocks`, across each rest's
    vertical only) before fusion, and let VQF learn a bias at what it takes for rest only
    slowly (:data:`BIAS_FROM_RESTS_VQF`). Off (the default), or with the causal filter: VQF's
    own rest estimate at its own pace. Off by default since round 25's merge: on, it kept a
    quiet stand's sway as bias in a fidgeting long sit and trusted a hip adduction 20° off
    (docs/accuracy.md, round 25)."""
    acc_bias_from_poses: bool = True
    """Estimate each accelerometer's bias from the session's still poses (``accbias``)."""
    acc_gain_from_poses: bool = True
    """With ``acc_bias_from_poses``: estimate each accelerometer's scale and cross-axis
    sensitivity (symmetric gain) from the same poses too."""
    calibration_until_s: float | None = None
    """None: calibrate from the whole recording (the sign decisions and the flexion-axis
    fallbacks see every posture). A time (s, on the grid): calibrate from the grid points up
    to it only, as a live session does when it calibrates after the movements."""
    block_s: float = 1800.0
    """Orientation is estimated in blocks of this length (stitched; bounds memory)."""
    block_overlap_s: float = 60.0
    """Overlap on each side of a block, to carry the filter's state and stitch headings."""
    exercised_side: str | None = None
    """The exercised leg (None: the sidecar's). The other leg's knee and ankle — judged by no
    rule, shown as measurements — are reported uncertain, with their predicted precision, when
    the still poses cannot pin them to their target (``analysis.angles.tilt_precision``)."""
    workers: int | None = None
    """Processes for the orientation blocks (None: 2 on long sessions, else 1)."""
    threads: int | None = None
    """Threads for the per-sensor steps (resampling, accelerometer correction, segment
    orientations); None: 2 where two cores exist, except on long sessions (float32), where
    one keeps the memory budget. The results do not depend on it."""
    keep_orientations: bool = True
    """Return the segment orientations in the result (diagnostics; off to save memory)."""
    max_gap_s: float = 0.25
    """Longer sensor dropouts leave NaN angles."""

    def heading_steps(self) -> dict[str, Any]:
        """The keyword arguments of :func:`segment_orientations` these options choose."""
        return {
            "hinge_window_s": self.hinge_window_s,
            "hinge": self.hinge_heading,
            "anchors": self.stand_anchors,
            "posture": self.posture_anchors,
            "hinge_tau_s": self.hinge_tau_s,
        }


OtherReadings = tuple[str, Sequence[Mapping[str, FloatArray]]]
"""A doubted segment's other readings: the words of a finding under all of them, and per
reading its angle columns (``{column: degrees}``, the grid of ``AngleResult.angles``)."""


@dataclass(frozen=True, kw_only=True)
class AngleResult:
    """Joint angles of a session and how they were obtained."""

    angles: pd.DataFrame
    rate_hz: float
    absent: Mapping[str, str]
    calibration: CalibrationResult
    gaps: tuple[Gap, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    segment_orientations: Mapping[str, FloatArray] = field(default_factory=dict, repr=False)
    """``q_E_B`` per placement on the grid, in the common earth frame (for diagnostics)."""
    uncertain: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Angle columns whose calibration is not established: ``{column: {reason, redo}}``
    (``CalibrationResult.uncertain_angles``); pass to ``check_envelope(uncertain=...)``. A
    knee held bent for much of the session has a trace-only entry (its soft tissue's ±; its
    rules decided on :attr:`timed_doubts`, :func:`analysis.angles.tissue.knee_tissue_precision`)."""
    doubted: Mapping[str, str] = field(default_factory=dict)
    """Placements whose calibration is not trusted, with the reason (the source of
    ``uncertain``: the calibration's own doubts and joints read beyond any range)."""
    predicted_rmse_deg: Mapping[str, float] = field(default_factory=dict)
    """Knee and ankle flexion: the RMSE over the session that the accelerometer pose fit's own
    posterior predicts (``analysis.angles.tilt_precision``; offline only, empty without the
    pose fit). The not-exercised leg's columns whose 3σ bound exceeds the target are also in
    ``uncertain``."""
    precision_notes: tuple[str, ...] = ()
    """Plain sentences on those columns' precision, for the report and the summary; first, a
    not-exercised ankle trusted over a flat foot of doubted axis (``_ankle_over_flat_foot``)."""
    other_readings: Mapping[str, OtherReadings] = field(default_factory=dict, repr=False)
    """Per doubted segment whose doubt is between discrete readings (``SegmentCalibration.
    other_frames``), the words and the uncertain columns under each other reading
    (:func:`covered_readings`); pass to ``check_envelope(other_readings=...)``."""
    rate_mixing: Mapping[str, NDArray[np.float32]] = field(default_factory=dict, repr=False)
    """Per angle column measured about the pelvis's flexion axis, the rate (°/s per sample)
    that axis's error may add to it (:mod:`analysis.angles.rate_mixing`: the pelvis tipping
    sideways as it tilts); pass to ``check_envelope(rate_mixing=...)``."""
    timed_doubts: Mapping[str, TimedDoubt] = field(default_factory=dict, repr=False)
    """Hip adduction and rotation where a heading drift between (or after) the hip's anchors
    may put them past their target: per column, how far per sample (:func:`_timed_hips`);
    pass to ``check_envelope(timed_doubts=...)``."""

    def calibration_dict(self) -> dict[str, Any]:
        """The calibration as JSON values, listing every angle reported as uncertain.

        :meth:`CalibrationResult.to_dict` knows only the calibration's own doubts; its
        ``uncertain_angles`` is replaced here by :attr:`uncertain` (also the doubts found
        later: joints read beyond any range, the resting leg's imprecise tilt), and
        ``doubted_segments`` (:attr:`doubted`) is added, so the calibration section reads the
        same list as ``envelope.json`` and the verdict; ``approximate_angles`` (column → ±
        degrees) names those of them whose entry is trace-only (their rules are decided).
        """
        return {
            **self.calibration.to_dict(),
            "uncertain_angles": {c: dict(v) for c, v in self.uncertain.items()},
            "doubted_segments": dict(self.doubted),
            "approximate_angles": {
                c: round(b, 2) for c, b in trace_precision_deg(self.uncertain).items()
            },
        }


def _noop(_stage: str, _fraction: float) -> None:
    return None


def segment_orientations(
    t_s: FloatArray,
    q_E_S: dict[str, FloatArray],
    calibration: CalibrationResult,
    *,
    rate_hz: float,
    valid: Mapping[str, NDArray[np.bool_]],
    still: NDArray[np.bool_] | None = None,
    legs_still: NDArray[np.bool_] | None = None,
    hinge_window_s: float = 20.0,
    hinge: bool = True,
    anchors: bool = True,
    posture: bool = True,
    hinge_tau_s: float | None = None,
    threads: int = 1,
    keep: Collection[str] | None = None,
    twists: dict[str, float] | None = None,
    flip_twist: Collection[str] = (),
    twist_turns: dict[str, float] | None = None,
    drift: dict[str, AnchorRuns] | None = None,
) -> dict[str, FloatArray]:
    """Segment orientations ``q_E_B`` in one common earth frame (headings reconciled).

    ``valid`` marks, per sensor, the grid points with data (others become NaN); ``still``
    marks the points at which every sensor was still (for the stand anchors); ``legs_still``
    those at which the pelvis and leg sensors were (None: ``still``): the hips' anchors, at
    stands and lying or sitting, need only those still, so a head or trunk that fidgets
    while the legs stand still takes no anchor from the hips. Results keep
    the storage type of ``q_E_S`` (float32 for long sessions) and are computed in chunks.
    ``q_E_S`` is consumed: each sensor's series leaves the dict once its segment's is made.
    ``posture`` re-takes each hip's zero where the subject lies flat or sits still
    (:func:`_posture_untwist`) and anchors the lumbar and neck headings where the spine lies
    flat and still (:func:`_lying_spine_anchors`); it needs ``anchors`` and ``still``.
    The steps are those of ``analysis.angles.chain``; the centred hinge window (unless
    ``hinge_tau_s`` asks for the causal tracker), the anchors and the posture step exist
    only offline. ``threads`` > 1 works on that many segments at once (the same result).
    ``keep``: only these segments' orientations are made, the others' (of ``q_E_S``) serve
    the neutral pose mask alone (:func:`reading_chain` says which a column needs).
    ``twists``, if given, receives per thigh with posture anchors the hip rotation read there
    (rad); ``flip_twist``: thighs whose twist is decided the other way (the other reading of
    an undecided one, :func:`_undecided_twists`); ``twist_turns`` receives per such thigh
    what the gyroscopes' gains can add to that reading (:func:`heading.twist_gain_deg`, °).
    ``drift``, if given, receives per thigh its hip's anchor runs (:class:`AnchorRuns`).
    """
    q_B = chain.sensor_to_segment(q_E_S, calibration, consume=True, threads=threads)
    # heading-free: q_B will do
    upright = neutral_pose_mask(q_B, threads=threads) if anchors and still is not None else None
    neutral = None if upright is None else still & upright
    hips_still = still if legs_still is None else legs_still
    neutral_hips = None if upright is None else hips_still & upright
    if keep is not None:
        q_B = {p: q for p, q in q_B.items() if p in keep}
    turns = partial(
        _heading_turns,
        q_B,
        t_s,
        calibration,
        rate_hz=rate_hz,
        valid=valid,
        hinge_window_s=hinge_window_s if hinge else None,
        hinge_tau_s=hinge_tau_s,
        neutral=neutral,
        neutral_hips=neutral_hips,
        drift=drift,
    )
    if not posture or neutral is None or still is None:
        return chain.apply_turns(q_B, turns(), valid=valid, threads=threads)
    untwist = partial(
        _posture_untwist,
        bound_deg=_twist_bounds(calibration),
        read=twists,
        flip=flip_twist,
        gain=twist_turns,
    )
    turn = _posture_turns(q_B, turns, untwist, still, hips_still, rate_hz=rate_hz, valid=valid)
    return chain.apply_turns(q_B, turn, valid=valid, threads=threads)


def _posture_turns(
    q_B: Mapping[str, FloatArray],
    turns: Callable[..., chain.Turns],
    untwist: Callable[..., dict[str, NDArray[np.bool_]]],
    still: NDArray[np.bool_],
    hips_still: NDArray[np.bool_],
    *,
    rate_hz: float,
    valid: Mapping[str, NDArray[np.bool_]],
) -> chain.Turns:
    """The heading turns with the posture step (:func:`segment_orientations`'s ``posture``).

    ``turns``: :func:`_heading_turns` with its options bound (``extra`` left free);
    ``untwist``: :func:`_posture_untwist` with its options bound. The spine's lying anchors
    first; then, where the hips' posture anchors turn a thigh, every heading again with them.
    """
    spine = _lying_spine_anchors(q_B, still, rate_hz=rate_hz, valid=valid)
    turn = turns(extra=spine or None)
    extra = untwist(q_B, turn, hips_still, rate_hz=rate_hz, valid=valid)
    if extra:  # the thighs may have turned: every heading again, with the new anchors
        turn = turns(extra={**spine, **extra})
    return turn


def _heading_turns(
    q_B: Mapping[str, FloatArray],
    t_s: FloatArray,
    calibration: CalibrationResult,
    *,
    rate_hz: float,
    valid: Mapping[str, NDArray[np.bool_]],
    hinge_window_s: float | None,
    hinge_tau_s: float | None,
    neutral: NDArray[np.bool_] | None,
    extra: Mapping[str, NDArray[np.bool_]] | None = None,
    neutral_hips: NDArray[np.bool_] | None = None,
    drift: dict[str, AnchorRuns] | None = None,
) -> chain.Turns:
    """Per segment, the heading turn (rad) about the vertical that reconciles it.

    The stand's offsets, then the knee/ankle hinges (none when ``hinge_window_s`` is None),
    then the ball joints anchored where the pose is ``neutral`` (the hips where it is
    ``neutral_hips``, default ``neutral``; plus, per distal segment, its ``extra`` anchors).
    Every correction turns a segment about the vertical: they accumulate on the z axes'
    azimuths and each segment is turned once, by the caller. ``drift`` receives the hips'
    anchor runs (per thigh).
    """
    turn: chain.Turns = dict(chain.stand_turns(q_B, t_s, calibration))
    axes = {p: axis_azimuth_float32(v) for p, v in q_B.items()}
    if hinge_window_s is not None:
        if hinge_tau_s is None:
            estimate = _centred_hinge(axes, valid, rate_hz=rate_hz, window_s=hinge_window_s)
        else:
            estimate = chain.CausalHinges(q_B, rate_hz=rate_hz, tau_s=hinge_tau_s).estimator(q_B)
        chain.add_hinge_turns(q_B, turn, estimate)
    if neutral is not None:
        _add_anchor_turns(
            q_B,
            axes,
            turn,
            neutral,
            t_s=t_s,
            extra=extra,
            hips=neutral_hips,
            drift=drift,
            valid=valid,
        )
    return turn


def _centred_hinge(
    axes: Mapping[str, tuple[FloatArray, FloatArray]],
    valid: Mapping[str, NDArray[np.bool_]],
    *,
    rate_hz: float,
    window_s: float,
) -> chain.HingeEstimate:
    """The offline hinge step: the heading difference averaged over a centred window."""

    def estimate(prox: str, dist: str, turn: chain.Turns) -> FloatArray:
        return hinge_heading_from_axes(
            _turned(axes, turn, prox),
            axes[prox][1],
            _turned(axes, turn, dist),
            axes[dist][1],
            rate_hz=rate_hz,
            window_s=window_s,
            valid=valid[prox] & valid[dist],
        )

    return estimate


def _add_anchor_turns(
    q_B: Mapping[str, FloatArray],
    axes: Mapping[str, tuple[FloatArray, FloatArray]],
    turn: chain.Turns,
    neutral: NDArray[np.bool_],
    *,
    t_s: FloatArray,
    extra: Mapping[str, NDArray[np.bool_]] | None = None,
    hips: NDArray[np.bool_] | None = None,
    drift: dict[str, AnchorRuns] | None = None,
    valid: Mapping[str, NDArray[np.bool_]] | None = None,
) -> None:
    """Offline only: re-anchor hip, lumbar and neck heading at every later upright stand (in place).

    Between anchors the correction is interpolated, so it needs the stands still to come.
    ``neutral`` marks the grid points at which the subject stands still and upright;
    ``hips``, if given, replaces it for the hips (the stands at which the pelvis and legs are
    still); ``extra`` adds, per distal segment, more anchors (the posture step's lying or
    sitting, the spine's lying flat); ``drift``, if given, receives each hip's anchor runs
    (per thigh: :func:`_drifted_hips` bounds the heading they no longer hold); ``valid``, if
    given, steps a link's correction across the rows either of its sensors lost
    (:func:`stepped_offsets_rad`).
    The head is anchored to the trunk after the trunk to the pelvis (so against the trunk's
    corrected heading): a head whose heading drifted ψ from the trunk's reads about
    lean·(1 − cos ψ) less neck flexion once both lean forward together (10° at a 15° lean
    and ψ = 70°, which ten minutes of a 0.12 °/s heading drift make).
    """
    for prox, dist, carried in ANCHOR_LINKS:
        if prox not in q_B or dist not in q_B:
            continue
        stands = hips if hips is not None and dist.endswith("_thigh") else neutral
        where = stands if extra is None or dist not in extra else stands | extra[dist]
        runs = anchor_runs_from_axes(
            _turned(axes, turn, prox),
            axes[prox][1],
            _turned(axes, turn, dist),
            axes[dist][1],
            where,
            t_s=t_s,
        )
        lost = None if valid is None else ~(valid[prox] & valid[dist])
        delta = runs.offsets(t_s, lost)
        if drift is not None and dist.endswith("_thigh"):
            drift[dist] = runs
        for seg in carried:
            if seg in q_B:
                turn[seg] = (turn[seg] + delta).astype(np.float32)


def _twist_bounds(calibration: CalibrationResult) -> dict[str, float]:
    """Per thigh, the largest twist (deg) its calibration can have got wrong about its axis.

    :data:`MAX_TWIST_DEG`, or :data:`DOUBTED_MAX_TWIST_DEG` where the calibration doubts the
    thigh's flexion axis (about its long axis it is then less sure).
    """
    return {
        p: DOUBTED_MAX_TWIST_DEG if (s.axis_doubt or s.tilt_doubt) else MAX_TWIST_DEG
        for p, s in calibration.segments.items()
        if p.endswith("_thigh")
    }


def _posture_untwist(
    q_B: dict[str, FloatArray],
    turn: Mapping[str, FloatArray | float],
    still: NDArray[np.bool_],
    *,
    rate_hz: float,
    valid: Mapping[str, NDArray[np.bool_]],
    bound_deg: Mapping[str, float] | None = None,
    read: dict[str, float] | None = None,
    flip: Collection[str] = (),
    gain: dict[str, float] | None = None,
) -> dict[str, NDArray[np.bool_]]:
    """Offline only: re-take each hip's zero where the subject lies flat or sits still.

    Turns each thigh in ``q_B`` (in place) about its long axis by the hip rotation read at
    those periods (:func:`hip_twist_read`), unless that is more than its calibration can have
    got wrong (``bound_deg`` per thigh, default :data:`MAX_TWIST_DEG`: a real posture;
    :func:`twist_accepted`), and returns them per thigh, as heading anchors. ``read``
    receives each rotation read (rad), ``gain`` what the gyroscopes' gains can add to it over
    the pelvis's and thigh's turns from the stand (:func:`twist_gain_deg`, °); the thighs in
    ``flip`` are decided the other way.
    """
    out: dict[str, NDArray[np.bool_]] = {}
    if "pelvis" not in q_B:
        return out
    q_pelvis = turn_about_vertical(q_B["pelvis"], turn["pelvis"])
    for side in ("left", "right"):
        thigh = f"{side}_thigh"
        if thigh not in q_B:
            continue
        q_thigh = turn_about_vertical(q_B[thigh], turn[thigh])
        shank = q_B.get(f"{side}_shank")  # only its inclination is used: no heading needed
        ok = still & valid["pelvis"] & valid[thigh]
        if shank is not None:
            ok = ok & valid[f"{side}_shank"]
        anchors = posture_anchor_mask(q_pelvis, q_thigh, ok, rate_hz=rate_hz, q_E_shank=shank)
        if not anchors.any():
            continue
        out[thigh] = anchors
        bound = (bound_deg or {}).get(thigh, MAX_TWIST_DEG)
        tau, spread = hip_twist_read(q_pelvis, q_thigh, anchors)
        if read is not None:
            read[thigh] = tau
        if gain is not None:
            turns = (turn_from_stand_deg(q, anchors) for q in (q_pelvis, q_thigh))
            gain[thigh] = twist_gain_deg(turns)
        if twist_accepted(tau, spread, max_twist_deg=bound) != (thigh in flip) and tau != 0.0:
            q_B[thigh] = untwist(q_B[thigh], tau)
    return out


def _lying_spine_anchors(
    q_B: Mapping[str, FloatArray],
    still: NDArray[np.bool_],
    *,
    rate_hz: float,
    valid: Mapping[str, NDArray[np.bool_]],
) -> dict[str, NDArray[np.bool_]]:
    """Offline only: per trunk and head, where it and the segment below lie flat and still.

    Extra heading anchors of the lumbar (pelvis → trunk) and neck (trunk → head) joints
    (:func:`lying_flat_mask`): lying, the spine is taken to be straight sideways, as it is
    taken to look ahead at the stand.
    """
    out: dict[str, NDArray[np.bool_]] = {}
    for prox, dist in (("pelvis", "trunk"), ("trunk", "head")):
        if prox not in q_B or dist not in q_B:
            continue
        ok = still & valid[prox] & valid[dist]
        mask = lying_flat_mask(q_B[prox], q_B[dist], ok, rate_hz=rate_hz)
        if mask.any():
            out[dist] = mask
    return out


def _turned(
    axes: Mapping[str, tuple[FloatArray, FloatArray]],
    turn: Mapping[str, FloatArray | float],
    p: str,
) -> FloatArray:
    """A segment's z-axis azimuth after the heading turns found so far."""
    return axes[p][0] + turn[p]


def neutral_pose_mask(
    q_E_B: Mapping[str, FloatArray], *, max_tilt_deg: float = 6.0, threads: int = 1
) -> NDArray[np.bool_]:
    """Grid points at which every worn pelvis and leg segment is upright as in the quiet stand.

    Upright: the segment's superior axis within ``max_tilt_deg`` of vertical. Combined with
    stillness this marks the subject standing again, when the hips are taken to be back in
    neutral rotation: the assumption behind the hip heading anchors (docs/accuracy.md).
    """
    n = next(iter(q_E_B.values())).shape[0]
    worn = [p for p in q_E_B if p == "pelvis" or p.split("_", 1)[-1] in ("thigh", "shank", "foot")]
    if not worn:
        return np.zeros(n, dtype=bool)
    cos_max = np.cos(np.deg2rad(max_tilt_deg))
    mask = np.ones(n, dtype=bool)
    ups = map_threads(
        lambda p: map_rows(lambda q: rot.frame_axis(q, 1)[:, 2], q_E_B[p], width=None) > cos_max,
        worn,
        threads=threads,
    )
    for up in ups:
        mask &= up
    return mask


BIAS_FROM_RESTS_VQF: dict[str, float] = {"biasSigmaRest": 0.1}
"""VQF settings where :attr:`PipelineOptions.bias_from_rests` removes the rests' bias first.

VQF takes for rest any rate whose low-pass stays under ``biasClip`` and barely deviates from
it, and takes all of it, the part about the vertical included, for bias: a slow sway or turn
(a held stretch, a fidget) then turns the heading by what it took (docs/accuracy.md, round 25).
With the drift across the vertical already taken out, VQF's rest estimate is kept for the
part about the vertical (a gyroscope's walk there, which no rest across it reads) but made
slower: ``biasSigmaRest`` 0.1 °/s instead of 0.03 °/s (a level sensor turning 0.5 °/s about
the vertical for a minute after a still half-minute keeps 11° of the 30° turn acausally, 17°
causally, against 2° and 5° at VQF's default). Off entirely, the gate's hips ran (round 25)."""


@dataclass(frozen=True)
class _GridBlocks:
    """Orientation blocks cut from the grid, biases removed, as float64 (a BlockSource).

    ``rest``: per placement, the drift since the stand that its rests read (rad/s, sensor
    frame), taken out row by row after ``gyr_bias``; a placement without one keeps the stand's.
    """

    grid: Mapping[str, UniformStream]
    gyr_bias: Mapping[str, FloatArray]
    rest: Mapping[str, RestBias] = field(default_factory=dict)

    def __call__(self, task: OrientationTask) -> tuple[FloatArray, FloatArray]:
        s = self.grid[task.placement]
        a, b = task.start, task.stop
        gyr = chain.debiased_gyro(s.gyr_rad_s[a:b], self.gyr_bias[task.placement])
        if task.placement in self.rest:
            gyr = np.ascontiguousarray(gyr - self.rest[task.placement].rows(a, b))
        return gyr, np.ascontiguousarray(s.acc_m_s2[a:b], dtype=np.float64)


def _rest_biases(
    session: UniformSession, gyr_bias: Mapping[str, FloatArray], labels: Collection[str]
) -> dict[str, RestBias]:
    """Per placement in ``labels``, its gyroscope's drift since the stand as its rests read it."""
    return {
        p: rest_bias_blocks(
            session.streams[p].acc_m_s2,
            session.streams[p].gyr_rad_s,
            session.streams[p].valid,
            session.rate_hz,
            gyr_bias[p],
        )
        for p in labels
    }


def _orientation_tasks(
    n: int,
    labels: list[str],
    *,
    rate_hz: float,
    offline: bool,
    block_rows: int,
    overlap_rows: int,
    params: Mapping[str, Any] | None = None,
) -> list[OrientationTask]:
    return [
        OrientationTask(
            placement=label, start=a, stop=b, rate_hz=rate_hz, offline=offline, params=params
        )
        for label in labels
        for a, b in block_bounds(n, block=block_rows, overlap=overlap_rows)
    ]


def _on_grid(
    recording: Recording,
    streams: dict[str, SensorStream] | None,
    *,
    max_gap_s: float,
    threads: int | None,
) -> tuple[UniformSession, bool, int]:
    """The recording's (or the handed-over) streams on one grid, whether it is long, threads.

    Long sessions (any sensor over ``LONG_SESSION_SAMPLES``) are kept in float32 and by
    default worked on one sensor at a time (``PipelineOptions.threads``).
    """
    if streams is not None and recording.streams:
        raise ValueError(
            "streams= are handed over with the recording that take_streams() returned, "
            "which holds none"
        )
    owned = dict(recording.streams) if streams is None else streams
    if not owned:
        raise InsufficientDataError("the recording has no sensors")
    _refuse_dead_accelerometers(owned)
    long_session = max(len(s) for s in owned.values()) > LONG_SESSION_SAMPLES
    if threads is None:
        threads = 1 if long_session else min(2, os.cpu_count() or 1)
    session = move_to_uniform_grid(
        owned,
        max_gap_s=max_gap_s,
        dtype=np.float32 if long_session else np.float64,
        threads=threads,
    )
    # a sensor still lying on the table at first: its rows until it is strapped on are a gap
    return with_off_body_gaps(session), long_session, threads


def _refuse_dead_accelerometers(streams: Mapping[str, SensorStream]) -> None:
    """InsufficientDataError naming the first sensor whose accelerometer reads 0 in every sample.

    No sensor at rest or in motion reads no specific force at all (gravity); one that does is
    switched off, unconnected or zeroed by its exporter, and no calibration can be taken from it.
    """
    for p, s in streams.items():
        if len(s) and not np.any(s.acc_m_s2):
            raise InsufficientDataError(
                f"sensor {p!r}: its accelerometer reads 0 on every axis in every sample "
                "(no gravity: a sensor switched off, unconnected or zeroed); "
                "record again with it working, or leave it out of the recording"
            )


def angle_table(
    t_s: FloatArray, columns: Mapping[str, FloatArray], q_E_B: Mapping[str, FloatArray]
) -> pd.DataFrame:
    """``t_s`` and the angle columns (deg) in ``ANGLE_COLUMNS`` order, as in ``angles.csv``.

    With them, each thigh's inclination inside the worn pelvis's dropouts (rows without its
    orientation between two with one: :func:`~analysis.angles.chain.pelvis_gap_inclinations`),
    the engagement's stand-in for the hip there; such a column is NaN everywhere else.
    """
    every = {**columns, **chain.pelvis_gap_inclinations(q_E_B)}
    return pd.DataFrame(
        {T_S: t_s, **{c: every[c] for c in ANGLE_COLUMNS if c in every}}, copy=False
    )


# long: the pipeline's stages in order, one or two lines each; split, it would only hand its
# intermediate results (orientations, calibration, readings) from one part to the next
def analyse_recording(
    recording: Recording,
    *,
    options: PipelineOptions | None = None,
    progress: Progress | None = None,
    streams: dict[str, SensorStream] | None = None,
) -> AngleResult:
    """Joint angles of a recording (see module docstring for the output contract).

    The recording's streams are read and left in place. To let a long session stay within
    its memory budget, hand the arrays over instead: ``owned, rest =
    analysis.recording.take_streams(recording)`` and ``analyse_recording(rest,
    streams=owned)``. The pipeline then removes each sensor's stream from ``owned`` once it
    is on the grid (``timebase.move_to_uniform_grid``), freeing arrays held nowhere else;
    ``owned`` is empty afterwards. ValueError if ``recording`` still has streams of its own
    beside ``streams``.
    """
    opts, report = options or PipelineOptions(), progress or _noop
    report("resampling", 0.0)
    meta = recording.meta
    warnings = list(recording.warnings)
    session, long_session, threads = _on_grid(
        recording, streams, max_gap_s=opts.max_gap_s, threads=opts.threads
    )
    windows = resolve_windows(_calibration_data(session, opts), meta.calibration)
    gyr_bias = chain.gyro_bias(session, windows.static_s, enabled=opts.stand_gyro_bias)
    acc_corr = _acc_corrections(session, gyr_bias, opts, threads=threads)
    session = _corrected_acc(session, acc_corr, threads=threads)
    q_E_S = _orientations(
        session,
        gyr_bias,
        vendor=meta.extra.get("orientation_source", {}),
        acc_corr=acc_corr,
        opts=opts,
        report=report,
        warnings=warnings,
        long_session=long_session,
    )
    report("calibration", 0.7)
    fused = _vendor_fused(session, meta.extra.get("orientation_source", {}))
    cal, evidence, still = _calibrate_beside(
        session,
        q_E_S,
        windows,
        gyr_bias,
        acc_corr,
        opts,
        threads=threads,
        families={p: info.family for p, info in meta.sensors.items()},  # a part's prior
        vendor_fused=fused,
    )
    precision, filter_turns, stand_turns = (
        {
            p: precision_of(e, cal.segments[p].q_S_B)
            for p, e in evidence.items()
            if p in cal.segments
        },
        _hip_filter_turns(session, q_E_S, gyr_bias, fused),  # before the re-anchoring
        _hip_stand_turns(session, q_E_S, gyr_bias, fused, windows.static_s),
    )
    valid = {p: u.valid for p, u in session.streams.items()}
    # ``worn``: the calibration the re-anchored sensors' orientations are read with (an axis
    # bias taken out already); ``cal`` keeps the one found, for its doubts (a hinge's lean)
    q_E_S, worn, anchored, slips = _re_anchored(
        session, gyr_bias, cal, _strap_slips(session, gyr_bias, cal), q_E_S
    )
    warnings.extend(re_anchor_words(s, span) for s, span in anchored)
    turned_since_s = {s.placement: s.since_s for s in slips}
    t_s, rate_hz, gaps = session.t_s, session.rate_hz, session.gaps
    del session  # the measurements are no longer needed: free them
    report("angles", 0.8)
    steps = {"rate_hz": rate_hz, "valid": valid, **still, **opts.heading_steps()}
    # taken when a rule needs them (an uncertain rule's episode to confirm): LazyReadings
    others = lazy_readings(t_s, q_E_S, worn, threads=threads, **steps)
    twist = TwistSource.of(t_s, q_E_S, worn, steps, threads=threads, keep=not long_session)
    drift: dict[str, AnchorRuns] = {}
    q_E_B = segment_orientations(
        t_s,
        q_E_S,
        worn,
        threads=threads,
        twists=twist.read,
        twist_turns=twist.gain_deg,
        drift=drift,
        **steps,
    )
    belts = find_belt_turns(t_s, q_E_B, drift, rate_hz=rate_hz)
    q_E_B, drift = without_belt_turns(t_s, q_E_B, drift, belts)
    ja = chain.isb_angles(q_E_B, threads=threads)
    angles = angle_table(t_s, ja.columns, q_E_B)
    feet_flat, foot_doubt = _feet_flat(q_E_B)
    mixing = rate_mixing_columns(q_E_B, rate_hz, ja.columns)
    hitched = _lean_axis_doubts(cal, q_E_B, rate_hz, ja.columns)
    tilted = _hip_tilt_doubts(precision, q_E_B, rate_hz)
    drift = {t: (runs, _vertical_share(q_E_B[t])) for t, runs in drift.items() if t in q_E_B}
    # a strap turned while its knee was held: seen as the knee's twist off its hinge
    leans, slips = (
        _thigh_leans(cal, q_E_B),
        [*slips, *_held_twists(t_s, q_E_B, cal, ja.columns, rate_hz, slips)],
    )
    q_E_B = q_E_B if opts.keep_orientations else {}
    warnings.extend(_gap_warnings(gaps))
    exercised = opts.exercised_side or meta.side
    doubts, uncertain, readings = _doubted(
        cal,
        angles,
        rate_hz,
        others,
        feet_flat,
        twist,
        exercised=exercised,
        drift=drift,
        turned_since_s=turned_since_s,
        stand_turns=(turned := _stand_turn_bounds(t_s, drift, stand_turns)),
    )
    uncertain, readings, leaned = _leaned_hips(
        angles, leans, uncertain, readings, twist.adduction_moved_deg
    )
    uncertain, flat_notes = _ankle_over_flat_foot(cal, doubts, uncertain, foot_doubt, exercised)
    predicted, uncertain, imprecise = _session_doubts(
        uncertain, slips, precision, exercised, angles.columns, angles
    )
    imprecise = _with_hip_bounds(imprecise, uncertain, hitched, tilted)
    notes = (*flat_notes, *_resting_notes(predicted, imprecise, exercised))
    # after the notes: their ± is the poses'
    predicted, tissue, tissue_timed = _tissue_knees(angles, predicted, {**uncertain, **imprecise})
    readings = _slips_unread(readings, _slipped(slips, list(angles.columns), angles))
    warnings.extend([*(slip_reason(s) for s in slips), *(belt_words(b) for b in belts)])
    report("done", 1.0)
    return AngleResult(
        angles=angles,
        rate_hz=rate_hz,
        absent=ja.absent,
        calibration=cal,
        gaps=gaps,
        warnings=tuple(warnings),
        segment_orientations=q_E_B,
        doubted=doubts,
        predicted_rmse_deg=predicted,
        precision_notes=notes,
        other_readings=readings,
        rate_mixing=mixing,
        timed_doubts=(
            timed := _merged_timed(
                _timed_hips(angles, drift, filter_turns, turned),
                leaned,
                tissue_timed,
                _vendor_heading_hips(angles, drift, fused),
                _gain_prior_timed(precision, angles, rate_hz),
                _slip_criterion_timed(slips, angles),
            )
        ),
        # after the timed doubts: one whose session RMS passes the target marks its angle
        uncertain=_with_timed_marks(
            angles,
            timed,
            {
                **uncertain,
                **imprecise,
                **tissue,
                # after the tissue: a knee it marks keeps its words
                **_gain_prior_flexions(
                    precision, {**uncertain, **imprecise, **tissue}, angles.columns
                ),
                **_vendor_heading_marks(angles, drift, fused, {**uncertain, **imprecise, **tissue}),
            },
        ),
    )


def _with_timed_marks(
    angles: pd.DataFrame,
    timed: Mapping[str, TimedDoubt],
    marked: Mapping[str, Mapping[str, str]],
) -> dict[str, Mapping[str, str]]:
    """``marked`` with each other angle a per-time doubt leaves approximate over the session.

    :func:`analysis.angles.timed_marks.timed_marks` on ``timed`` (every per-time doubt of a
    column, their bounds added) for the columns ``marked`` has not (they keep their words).
    """
    return {**marked, **timed_marks(angles, timed, marked)}


def _hip_tilt_doubts(
    precision: Mapping[str, SegmentPrecision], q_E_B: Mapping[str, FloatArray], rate_hz: float
) -> dict[str, UncertainAngle]:
    """The hip adductions a low-cost part's accelerometer may tilt past their target.

    :func:`tilt_precision.hip_tilt_doubts` with each hip's floating axis in the pelvis's and
    the thigh's axes at the middle of each precision block (:func:`floating_axes`).
    """
    if "pelvis" not in q_E_B:
        return {}
    axes = {}
    for side in SIDES:
        thigh = f"{side}_thigh"
        if thigh not in q_E_B or thigh not in precision or "pelvis" not in precision:
            continue
        rows = block_rows(min(len(q_E_B["pelvis"]), len(q_E_B[thigh])), rate_hz)
        q_p = np.asarray(q_E_B["pelvis"][rows], dtype=np.float64)
        q_t = np.asarray(q_E_B[thigh][rows], dtype=np.float64)
        axes[side] = floating_axes(q_p, q_t)
    return hip_tilt_doubts(precision, axes)


def _lean_axis_doubts(
    cal: CalibrationResult,
    q_E_B: Mapping[str, FloatArray],
    rate_hz: float,
    columns: Mapping[str, FloatArray],
) -> dict[str, UncertainAngle]:
    """The hip angles a trusted pelvis axis from standing leans cannot pin.

    :func:`analysis.angles.lean_axis.lean_axis_doubts` on the pelvis's tilt from its stand
    (its segment orientation's superior axis against the vertical), each hip's flexion
    (``columns``: the angle columns) and the hip centre's witness of the pelvis's axis;
    none without a trusted pelvis.
    """
    seg = cal.segments.get("pelvis")
    if seg is None or not seg.trusted or "pelvis" not in q_E_B:
        return {}
    tilt_deg = tilt_from_stand_deg(_vertical_share(q_E_B["pelvis"]))
    flexion = {
        side: np.asarray(columns[c], dtype=np.float64)
        for side in SIDES
        if (c := angle_column(side, "hip", "flexion")) in columns
    }
    witness = (seg.witness_apart_deg, seg.witness_spread_deg)
    return lean_axis_doubts(seg.axis_source, tilt_deg, rate_hz, flexion, witness)


def _strap_slips(
    session: UniformSession, gyr_bias: Mapping[str, FloatArray], cal: CalibrationResult
) -> list[Slip]:
    """The thighs and shanks found turned on their straps after the calibration movements.

    :func:`analysis.angles.strap_slip.find_slips` on the rates freed of the stand's bias (NaN
    where a sensor is missing).
    """
    gyr = {
        p: BiasFreeRates(u.gyr_rad_s, np.asarray(gyr_bias.get(p, np.zeros(3))), u.valid)
        for p, u in session.streams.items()
        if p.endswith(("_thigh", "_shank"))
    }
    return find_slips(
        session.t_s,
        gyr,
        {p: s.q_S_B for p, s in cal.segments.items()},
        from_s=cal.functional_s[1],
        rate_hz=session.rate_hz,
    )


def _held_twists(
    t_s: FloatArray,
    q_E_B: Mapping[str, FloatArray],
    cal: CalibrationResult,
    columns: Mapping[str, FloatArray],
    rate_hz: float,
    slips: list[Slip],
) -> list[Slip]:
    """The thighs and shanks whose strap turned while the knee was held still.

    :func:`analysis.angles.held_twist.held_twist_slips` on the knees the hinge check found no
    slip at, from the calibration movements' end.
    """
    knee = {
        side: np.asarray(columns[c], dtype=np.float64)
        for side in SIDES
        if (c := angle_column(side, "knee", "flexion")) in columns
    }
    return held_twist_slips(
        t_s,
        q_E_B,
        knee,
        from_s=cal.functional_s[1],
        rate_hz=rate_hz,
        found={s.placement for s in slips},
    )


def _re_anchored(
    session: UniformSession,
    gyr_bias: Mapping[str, FloatArray],
    cal: CalibrationResult,
    slips: list[Slip],
    q_E_S: dict[str, FloatArray],
) -> tuple[dict[str, FloatArray], CalibrationResult, list[tuple[Slip, TurnSpan]], list[Slip]]:
    """The sensors found turned on their straps, turned back where the turn is well read.

    A slip is re-anchored (:mod:`analysis.angles.re_anchor`) where its hinge windows after the
    turn give it within ``re_anchor.PRECISION_DEG`` and the gyroscopes' step about the long
    axis, looked for from the last unturned window (``Slip.since_s``) to the end of the first
    turned one, agrees with it (``re_anchor.twist_agrees``). Its sensor's orientations are
    then turned back from that step on (a known accelerometer axis bias taken out first, in
    the sensor's own frame, and dropped from its calibration). A thigh whose turn is not read
    so closely but well enough for its flexions (:func:`_rough_thigh_turn`) is turned back
    too, and left to be doubted as far as its turn may be off (``Slip.reread_within_deg``).
    The step is looked for up to the end of the first hinge window that reads the turn
    (``re_anchor.span_end_s``). Returns the orientations, the
    calibration, the re-anchored slips with their spans, and the slips left to be doubted
    (each with why it was not re-anchored, ``Slip.unread``; one seen in one stretch of bending
    only, ``Slip.one_stretch``, or a small one, ``Slip.small``, is not tried).
    """
    out: list[tuple[Slip, TurnSpan]] = []
    left: list[Slip] = []
    t_s = session.t_s
    for slip in slips:
        p = slip.placement
        if slip.one_stretch or slip.small:  # too little to say how the sensor sits now
            left.append(slip)
            continue
        other = (
            p.replace("_thigh", "_shank") if p.endswith("_thigh") else p.replace("_shank", "_thigh")
        )
        if not all(x in session.streams and x in cal.segments and x in q_E_S for x in (p, other)):
            left.append(slip)
            continue
        end_s = max(span_end_s(slip.steps, slip.turn_deg, WINDOW_S), slip.at_s + WINDOW_S)
        twist = _twist_between_rad_s(session, gyr_bias, cal, (p, other), (slip.since_s, end_s))
        span = turn_span(t_s, twist, start_s=slip.since_s, end_s=end_s, turn_deg=slip.turn_deg)
        settled = None if span is None else settled_turn(slip.steps, span.end_s)
        rough = None
        if span is None or settled is None or not twist_agrees(span.twist_deg, settled.turn_deg):
            rough = None if span is None else _rough_thigh_turn(slip, span)
            if span is None or rough is None:
                why = (
                    UNREAD_TIME if span is None else UNREAD_TURN if settled is None else UNREAD_SIZE
                )
                left.append(replace(slip, unread=why))
                continue
            settled = rough
        seg = cal.segments[p]
        q = q_E_S[p] if seg.acc_axis_bias_g is None else untilt(q_E_S[p], seg.acc_axis_bias_g)
        back = turned_back_deg(t_s, twist, span, settled.turn_deg)
        q_E_S = {**q_E_S, p: turned_back(q, long_axis_in_sensor(seg.q_S_B), back)}
        freed = replace(
            seg, acc_axis_bias_g=None, other_frames=tuple((f, None) for f, _ in seg.other_frames)
        )
        cal = replace(cal, segments={**cal.segments, p: freed})
        if rough is not None:  # read again, its turn doubted as far as it may be off
            left.append(
                replace(
                    slip,
                    turn_deg=rough.turn_deg,
                    at_s=span.middle_s,
                    reread_within_deg=rough.precision_deg,
                )
            )
            continue
        out.append((replace(slip, turn_deg=settled.turn_deg), span))
    return q_E_S, cal, out, left


def _twist_between_rad_s(
    session: UniformSession,
    gyr_bias: Mapping[str, FloatArray],
    cal: CalibrationResult,
    pair: tuple[str, str],
    between_s: tuple[float, float],
) -> FloatArray:
    """The first sensor's turn about its long axis relative to the second's (rad/s), per row.

    Bias-free gyroscope rates read between ``between_s`` (s); zero elsewhere.
    """
    p, other = pair
    i0, i1 = (int(i) for i in np.searchsorted(session.t_s, between_s))
    rates = {
        x: BiasFreeRates(
            session.streams[x].gyr_rad_s,
            np.asarray(gyr_bias.get(x, np.zeros(3))),
            session.streams[x].valid,
        )[i0:i1]
        for x in pair
    }
    twist = np.zeros(session.t_s.size)
    twist[i0:i1] = long_axis_twist_rad_s(
        rates[p],
        rates[other],
        long_axis_in_sensor(cal.segments[p].q_S_B),
        long_axis_in_sensor(cal.segments[other].q_S_B),
    )
    return twist


def _rough_thigh_turn(slip: Slip, span: TurnSpan) -> SettledTurn | None:
    """A thigh's turn too loosely read to trust all its angles, but well enough for its flexions.

    :func:`analysis.angles.re_anchor.rough_turn` on the slip's hinge windows after the span and
    the gyroscopes' step; None for a shank (every angle it measures is doubted by a slip, so a
    rough reading would gain nothing) and for a turn that is not read so.
    """
    if not slip.placement.endswith("_thigh"):
        return None
    return rough_turn(slip.steps, span.end_s, span.twist_deg)


UNREAD_TURN = (
    "the knee's bending after the turn does not tell how the sensor sits now closely enough "
    "to read it again"
)
"""Why a slip is not re-anchored: too few or too scattered hinge windows after it."""
UNREAD_TIME = (
    "when it turned is not clear from the sensors' own turning, so it is not read again "
    "as it sits now"
)
"""Why a slip is not re-anchored: no gyroscope step about the long axis its way."""
UNREAD_SIZE = (
    "the knee's bending and the sensor's own turning do not agree closely enough on how far "
    "it turned to read it again"
)
"""Why a slip is not re-anchored: the gyroscopes' step and the hinge's turn differ."""


def re_anchor_words(slip: Slip, span: TurnSpan) -> str:
    """What the patient reads about a sensor re-anchored after it turned on its strap."""
    side, _, segment = slip.placement.partition("_")
    return (
        f"the {side} {segment} sensor seems to have turned on its strap at about "
        f"{clock_words(span.middle_s)} (by about {abs(slip.turn_deg):.0f}°); the angles it "
        "measures are read from then on as it sits now, found from the knee's bending"
    )


TWIST_ADDUCTION_RMS_DEG = 2.0
"""Hip adduction is uncertain with an undecided twist when its two readings differ by more
than this RMS (half its 4° target)."""


@dataclass(frozen=True)
class TwistSource:
    """What the hip's other reading of an undecided twist is computed from (no sensors: none).

    ``read``: per thigh, the hip rotation read at its posture anchors (rad), filled by
    :func:`segment_orientations` (``twists=``).
    """

    t_s: FloatArray
    q_E_S: Mapping[str, FloatArray]
    calibration: CalibrationResult
    steps: Mapping[str, Any]
    threads: int = 1
    read: dict[str, float] = field(default_factory=dict)
    gain_deg: dict[str, float] = field(default_factory=dict)
    """Per thigh with posture anchors, what the gyroscopes' gains can add to ``read`` (°)."""
    adduction_moved_deg: dict[str, FloatArray] = field(default_factory=dict)
    """Per thigh whose undecided twist left hip adduction trusted, per sample how far the twist
    decided the other way moves it (°, absolute; :func:`_undecided_twists`)."""

    @classmethod
    def of(
        cls,
        t_s: FloatArray,
        q_E_S: Mapping[str, FloatArray],
        calibration: CalibrationResult,
        steps: Mapping[str, Any],
        *,
        threads: int = 1,
        keep: bool = True,
    ) -> TwistSource:
        """Taken before the angles, which consume ``q_E_S``: the sensors the hips need.

        Kept only if ``keep`` (a long session's are not: its undecided hips get no other
        reading).
        """
        kept = {p: q_E_S[p] for p in _twist_inputs(list(q_E_S))} if keep else {}
        return cls(t_s, kept, calibration, dict(steps), threads)


def _twist_inputs(placements: Sequence[str]) -> set[str]:
    """The sensors the hips' orientations and their posture anchors need."""
    hips = [c for c in angle_dependencies() if "_hip_" in c]
    worn = [c for c in hips if all(q in placements for q in angle_dependencies()[c])]
    return reading_chain(placements, worn) | _neutral_inputs(placements) if worn else set()


def _undecided_twists(
    columns: Mapping[str, FloatArray],
    twists: Mapping[str, float],
    uncertain: Mapping[str, Mapping[str, str]],
    source: TwistSource,
) -> tuple[dict[str, dict[str, str]], dict[str, OtherReadings]]:
    """Hip angles that hang on a rotation at the posture anchors the data cannot decide.

    Per thigh whose rotation read lying flat or sitting still is undecided
    (:func:`twist_undecided`, its lower edge lowered by what the gyroscopes' gains can add
    over the turn to the anchors, ``source.gain_deg``): its hip rotation, and its hip
    adduction where the reading with the twist decided the other way moves it by more than
    :data:`TWIST_ADDUCTION_RMS_DEG` RMS, are uncertain (``{column: {reason, redo}}``); the
    columns not uncertain already get that other reading (``{"<thigh> twist": (words,
    (reading,))}``, for ``check_envelope(other_readings=...)``). Without the sensors (a long
    session's are not kept) both angles are uncertain, without another reading.
    """
    gains = source.gain_deg
    undecided = {
        t: tau for t, tau in twists.items() if twist_undecided(tau, gain_deg=gains.get(t, 0.0))
    }
    out: dict[str, dict[str, str]] = {}
    readings: dict[str, OtherReadings] = {}
    for thigh, tau in undecided.items():
        side = thigh.split("_", 1)[0]
        hip = {m: angle_column(side, "hip", m) for m in ("internal_rotation", "adduction")}
        if hip["internal_rotation"] not in columns:
            continue
        other = _flipped_hip(source, thigh, list(hip.values()))
        moved = [hip["internal_rotation"]]
        if other is None or _rms_deg(columns[hip["adduction"]], other[hip["adduction"]]) > (
            TWIST_ADDUCTION_RMS_DEG
        ):
            moved.append(hip["adduction"])
        else:  # within half the target alone; a hinge lean's bound may add to it
            source.adduction_moved_deg[thigh] = np.abs(
                np.asarray(columns[hip["adduction"]], dtype=np.float64)
                - np.asarray(other[hip["adduction"]], dtype=np.float64)
            )
        why = undecided_twist_words(side, float(np.rad2deg(tau)), gains.get(thigh, 0.0))
        fresh = [c for c in moved if c not in uncertain]
        out.update({c: dict(why) for c in fresh})
        if other is not None and fresh:
            words = (
                f"found whether the {side} hip's rotation lying or sitting was the leg's own "
                "or the sensor's"
            )
            readings[f"{thigh} twist"] = (words, ({c: other[c] for c in fresh},))
    return out, readings


def _flipped_hip(
    source: TwistSource, thigh: str, columns: Sequence[str]
) -> dict[str, FloatArray] | None:
    """``columns`` with ``thigh``'s twist decided the other way (None: no sensors kept)."""
    if not source.q_E_S:
        return None
    placements = list(source.q_E_S)
    q_B = segment_orientations(
        source.t_s,
        dict(source.q_E_S),
        source.calibration,
        keep=reading_chain(placements, columns),
        flip_twist=(thigh,),
        threads=source.threads,
        **source.steps,
    )
    ja = chain.isb_angles(q_B)
    return {c: ja.columns[c] for c in columns}


def _rms_deg(a: FloatArray, b: FloatArray) -> float:
    """RMS of ``a − b`` over the samples where both are known (0 without any)."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    d = d[np.isfinite(d)]
    return float(np.sqrt(np.mean(d**2))) if d.size else 0.0


def _gap_warnings(gaps: tuple[Gap, ...]) -> list[str]:
    """One warning per sensor dropout longer than the grid's ``max_gap_s``, or frozen run."""
    return [
        off_body_words(g)
        if g.reason == "off_body"
        else f"{g.sensor}: "
        + (
            f"the same sample repeated for {g.end_s - g.start_s:.2f} s from {g.start_s:.2f} s "
            "(the sensor stopped measuring)"
            if g.reason == "frozen"
            else f"no data for {g.end_s - g.start_s:.2f} s from {g.start_s:.2f} s"
        )
        + "; angles that need it are left empty there"
        for g in gaps
    ]


def _calibration_data(session: UniformSession, opts: PipelineOptions) -> UniformSession:
    """The grid the calibration sees: all of it, or up to ``opts.calibration_until_s``."""
    if opts.calibration_until_s is None:
        return session
    half_step = 0.5 / session.rate_hz
    n = int(np.searchsorted(session.t_s, opts.calibration_until_s + half_step, side="right"))
    return head_of(session, n)


def _calibrate(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    windows: Windows,
    opts: PipelineOptions,
    vendor_fused: frozenset[str] = frozenset(),
) -> CalibrationResult:
    """Calibrate from the whole grid, or from its head as a live session would.

    ``vendor_fused``: the sensors whose orientation is their vendor's fusion output.
    """
    head = _calibration_data(session, opts)
    n = head.t_s.shape[0]
    if n < session.t_s.shape[0]:
        q_E_S = {p: q[:n] for p, q in q_E_S.items()}
    return calibrate(head, q_E_S, windows=windows, vendor_fused=vendor_fused)


def _corrected_acc(
    session: UniformSession, acc: Mapping[str, AccCorrection], *, threads: int = 1
) -> UniformSession:
    """The session with every accelerometer corrected (storage type kept).

    One sensor at a time, or ``threads`` at once (the same result).
    """
    streams = dict(session.streams)

    def one(p: str) -> UniformStream:
        u = streams[p]
        fixed = map_rows(acc[p].apply, u.acc_m_s2, width=3, dtype=u.acc_m_s2.dtype.type)
        return replace(u, acc_m_s2=fixed)

    if threads > 1:
        streams.update(zip(acc, map_threads(one, list(acc), threads=threads), strict=True))
    else:
        for p in acc:
            streams[p] = one(p)
    return replace(session, streams=streams)


def _acc_corrections(
    session: UniformSession,
    gyr_bias: Mapping[str, FloatArray],
    opts: PipelineOptions,
    *,
    threads: int = 1,
) -> dict[str, AccCorrection]:
    """Offline only: each accelerometer's bias and gain (sensor frame) from the still poses.

    The poses come from the whole recording (``analysis.angles.accbias``); the gain only with
    ``opts.acc_gain_from_poses``; no correction when ``opts.acc_bias_from_poses`` is off.
    ``threads`` sensors at once (the same result).
    """

    def one(p: str) -> AccCorrection:
        if not opts.acc_bias_from_poses:
            return AccCorrection(np.zeros(3), np.eye(3), 0, 0.0)
        u = session.streams[p]
        means = still_pose_means(
            u.acc_m_s2,
            u.gyr_rad_s,
            rate_hz=session.rate_hz,
            gyr_bias_rad_s=gyr_bias[p],
            window_s=ACC_POSE_WINDOW_S,
            tremor=True,
        )
        gain_sd = ACC_GAIN_PRIOR_SD if opts.acc_gain_from_poses else None
        return estimate_acc_correction(means, prior_gain_sd=gain_sd)

    labels = list(session.streams)
    return dict(zip(labels, map_threads(one, labels, threads=threads), strict=True))


def _orientations(
    session: UniformSession,
    gyr_bias: Mapping[str, FloatArray],
    *,
    vendor: Mapping[str, str],
    acc_corr: Mapping[str, AccCorrection],
    opts: PipelineOptions,
    report: Progress,
    warnings: list[str],
    long_session: bool,
) -> dict[str, FloatArray]:
    """``q_E_S`` per sensor on the grid, from the vendor's fusion or VQF.

    The vendor's fusion is used where the data came from it (its tilt turned to the
    accelerometer as ``acc_corr`` corrects it, ``analysis.angles.vendor_tilt``), else VQF in
    stitched blocks (float32 when the session is long, else float64).

    Offline only: the vendor's fusion (live sensors send raw rates), the acausal filter
    (``opts.offline_orientation``) and the blocks. The causal filter over one block equals
    the live pipeline's (VQF is chunk-invariant; both store float32, as
    ``chain.stored_orientation``). The rates are debiased by ``chain.debiased_gyro`` and, with
    ``opts.bias_from_rests`` and the acausal filter, by the drift their rests read
    (:func:`_rest_biases`; VQF then runs with :data:`BIAS_FROM_RESTS_VQF`).
    """
    report("orientation", 0.1)
    labels = list(session.streams)
    q_E_S: dict[str, FloatArray] = {}
    fused = []
    for label in labels:
        quat = session.streams[label].quat
        if vendor.get(label) == ORIENTATION_FROM_VENDOR and quat is not None:
            # acc/gyr of this sensor were derived from its own fusion output: use that (its
            # tilt turned to the corrected accelerometer, analysis.angles.vendor_tilt)
            q_E_S[label], note = _vendor_orientation(session, label, quat, gyr_bias, acc_corr)
            warnings.append(note)
        else:
            fused.append(label)
        del quat
    heading = vendor_heading_note([p for p in labels if p not in fused])
    warnings.extend([heading] if heading else [])
    n = session.t_s.shape[0]
    block = max(1, round(opts.block_s * session.rate_hz))
    overlap = max(1, round(opts.block_overlap_s * session.rate_hz))
    from_rests = opts.offline_orientation and opts.bias_from_rests
    tasks = _orientation_tasks(
        n,
        fused,
        rate_hz=session.rate_hz,
        offline=opts.offline_orientation,
        block_rows=block,
        overlap_rows=overlap,
        params=BIAS_FROM_RESTS_VQF if from_rests else None,
    )
    rest = _rest_biases(session, gyr_bias, fused) if from_rests else {}
    source = _GridBlocks(session.streams, gyr_bias, rest)
    workers = opts.workers if opts.workers is not None else _auto_workers(n * len(fused))
    per_sensor: dict[str, list[tuple[tuple[int, int], FloatArray]]] = {p: [] for p in fused}
    total = max(1, len(tasks))
    for k, (task, q) in enumerate(run_orientation(tasks, source, workers=workers)):
        per_sensor[task.placement].append(((task.start, task.stop), q))
        report("orientation", 0.1 + 0.6 * (k + 1) / total)
        if len(per_sensor[task.placement]) == len(block_bounds(n, block=block, overlap=overlap)):
            parts = per_sensor.pop(task.placement)
            q_E_S[task.placement] = stitch_blocks(n, [b for b, _ in parts], [q for _, q in parts])
            if not long_session:
                q_E_S[task.placement] = q_E_S[task.placement].astype(np.float64)
    return {p: q_E_S[p] for p in labels}


def _vendor_orientation(
    session: UniformSession,
    label: str,
    quat: FloatArray,
    gyr_bias: Mapping[str, FloatArray],
    acc_corr: Mapping[str, AccCorrection],
) -> tuple[FloatArray, str]:
    """A vendor sensor's orientation and the note saying what was done to it.

    Its tilt is turned to the corrected accelerometer when its fusion followed the raw one
    (``analysis.angles.vendor_tilt``).
    """
    u = session.streams[label]
    raw = follows_raw_accelerometer(
        quat,
        u.acc_m_s2,
        chain.debiased_gyro(u.gyr_rad_s, gyr_bias[label]),
        acc_corr[label],
        rate_hz=session.rate_hz,
        label=label,
        start_s=float(session.t_s[0]),
    )
    return vendor_orientation(label, quat, acc_corr[label], follows_raw=raw)


def _vendor_fused(session: UniformSession, vendor: Mapping[str, str]) -> frozenset[str]:
    """The sensors whose orientation :func:`_orientations` takes from their vendor's fusion."""
    return frozenset(
        p
        for p, u in session.streams.items()
        if vendor.get(p) == ORIENTATION_FROM_VENDOR and u.quat is not None
    )


def _calibrate_beside(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    windows: Windows,
    gyr_bias: Mapping[str, FloatArray],
    acc_corr: Mapping[str, AccCorrection],
    opts: PipelineOptions,
    *,
    threads: int,
    families: Mapping[str, str | None],
    vendor_fused: frozenset[str] = frozenset(),
) -> tuple[CalibrationResult, dict[str, PoseEvidence], dict[str, NDArray[np.bool_]]]:
    """The calibration, the segments' pose evidence and the stillness (:func:`_all_still`).

    ``families``: each sensor's family as the recording names it (:func:`_pose_evidence`).
    ``vendor_fused``: the sensors whose orientation is their vendor's fusion output.

    The stillness comes as :func:`segment_orientations`'s ``still`` and ``legs_still``.
    The last two need no calibration: with ``threads`` > 1 they are taken on a second
    thread while the calibration runs (mostly whole-array NumPy passes, outside the
    interpreter lock, beside the calibration's many small steps); the same results.
    """

    def beside() -> tuple[dict[str, PoseEvidence], dict[str, NDArray[np.bool_]]]:
        still = dict(zip(("still", "legs_still"), _all_still(session, gyr_bias), strict=True))
        return _pose_evidence(session, gyr_bias, windows, acc_corr, families, opts), still

    if threads <= 1:
        cal = _calibrate(session, q_E_S, windows, opts, vendor_fused)
        return cal, *beside()
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(beside)
        cal = _calibrate(session, q_E_S, windows, opts, vendor_fused)
        evidence, still = other.result()
    return cal, evidence, still


def _pose_evidence(
    session: UniformSession,
    gyr_bias: Mapping[str, FloatArray],
    windows: Windows,
    acc_corr: Mapping[str, AccCorrection],
    families: Mapping[str, str | None],
    opts: PipelineOptions,
) -> dict[str, PoseEvidence]:
    """The pelvis's and each leg segment's tilt evidence (none without the pose fit).

    With the segment's calibration it gives its predicted tilt error (``precision_of``);
    ``families``: each sensor's family as the recording names it, whose part may call for a
    wider prior; a part not named may be inferred from the still norms
    (``tilt_precision.inferred_part``).
    """
    if not (opts.acc_bias_from_poses and opts.acc_gain_from_poses):
        return {}
    out = {}
    for p, u in session.streams.items():
        if not (p == "pelvis" or p.endswith(("_thigh", "_shank", "_foot"))):
            continue
        corr = acc_corr[p]
        out[p] = pose_evidence(
            u.acc_m_s2,
            u.gyr_rad_s,
            rate_hz=session.rate_hz,
            gyr_bias_rad_s=gyr_bias[p],
            static_s=windows.static_s,
            t_s=session.t_s,
            fitted=bool(np.any(corr.bias_m_s2 != 0.0) or np.any(corr.gain != np.eye(3))),
            prior_gain_sd=ACC_GAIN_PRIOR_SD,
            correction=corr,
            family=families.get(p),
        )
    return out


def _with_hip_bounds(
    imprecise: Mapping[str, UncertainAngle],
    uncertain: Mapping[str, UncertainAngle],
    hitched: Mapping[str, UncertainAngle],
    tilted: Mapping[str, UncertainAngle],
) -> dict[str, UncertainAngle]:
    """``imprecise`` with the hips' bounded doubts added where no stronger doubt stands.

    ``hitched`` (a pelvis axis from hitched leans, :mod:`analysis.angles.lean_axis`) replaces
    an entry; ``tilted`` (a low-cost part's tilt about the adduction axis) only fills a gap.
    Neither touches an ``uncertain`` column.
    """
    out = dict(imprecise)
    out.update({c: v for c, v in hitched.items() if c not in uncertain})
    out.update({c: v for c, v in tilted.items() if c not in uncertain and c not in out})
    return out


def _session_doubts(
    uncertain: Mapping[str, UncertainAngle],
    slips: list[Slip],
    precision: Mapping[str, SegmentPrecision],
    exercised: str | None,
    columns: Collection[str],
    angles: pd.DataFrame | None = None,
) -> tuple[dict[str, float], dict[str, UncertainAngle], dict[str, UncertainAngle]]:
    """Predicted RMSE, the unbounded doubts with the strap slips', and the bounded ones.

    The slips join before the precision doubts are taken (:func:`_imprecise` lists only angles
    not already doubted), so a ± the envelope decides beyond never stands in for a slip. With
    ``angles`` (the table of ``columns``) a thigh's slip is judged on the hip's and knee's
    flexions as read (``slip_uncertain``), else by its worst case.
    """
    slipped = _slipped(slips, list(columns), angles)
    uncertain = _with_slips(uncertain, slipped)
    predicted, imprecise = _imprecise(precision, uncertain, exercised, columns)
    return predicted, uncertain, imprecise


def _slipped(
    slips: list[Slip], names: list[str], angles: pd.DataFrame | None
) -> dict[str, UncertainAngle]:
    """``slip_uncertain`` of ``slips`` on the columns ``names`` (empty without slips).

    A thigh's turn is judged on the hip's and knee's flexions as read in ``angles``, else by
    its worst case.
    """
    if not slips:
        return {}
    if angles is None:
        return slip_uncertain(slips, names)
    return slip_uncertain(slips, names, angles[T_S].to_numpy(), _flexions(angles, names))


def _flexions(angles: pd.DataFrame, names: Collection[str]) -> dict[str, FloatArray]:
    """The flexion and thigh-inclination columns of ``names`` in ``angles`` (degrees)."""
    return {
        c: angles[c].to_numpy()
        for c in names
        if c.endswith(("_flexion_deg", "_thigh_inclination_deg"))
    }


def _slip_criterion_timed(slips: list[Slip], angles: pd.DataFrame) -> dict[str, TimedDoubt]:
    """:func:`slip_criterion_timed` of ``slips`` on the table's flexions and inclinations."""
    if not slips:
        return {}
    return slip_criterion_timed(
        slips, angles[T_S].to_numpy(), _flexions(angles, list(angles.columns))
    )


def _with_slips(
    uncertain: Mapping[str, Mapping[str, str]], slipped: Mapping[str, UncertainAngle]
) -> dict[str, Mapping[str, str]]:
    """``uncertain`` with the strap slips' doubts.

    An angle doubted already keeps its reason and redo with the slip's added
    (:func:`_joined_doubt`), so that neither doubt hides the other.
    """
    out: dict[str, Mapping[str, str]] = {**slipped, **uncertain}
    for column, slip in slipped.items():
        was = uncertain.get(column)
        if was is not None and slip["reason"] not in was["reason"]:
            out[column] = _joined_doubt(was, slip)
    return out


def _joined_doubt(was: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """One angle's two doubts (``{reason, redo}``) as one: each text kept once, in order."""
    out = {**was, **new}
    for key in ("reason", "redo"):
        parts = [d[key] for d in (was, new) if d.get(key)]
        out[key] = "; ".join(dict.fromkeys(parts))
    return out


def _slips_unread(
    readings: Mapping[str, OtherReadings], slipped: Collection[str]
) -> dict[str, OtherReadings]:
    """``readings`` without the columns a strap slip falsifies.

    Every other reading turns only a calibration axis or a twist and shares the turned
    sensor, so none of them can confirm an episode on those angles (stranger 2199: a thigh's
    40° re-strap read as hip adduction "found whichever of the pelvis's two axes is right").
    """
    if not slipped:
        return dict(readings)
    return {k: (w, _without(group, slipped)) for k, (w, group) in readings.items()}


def _imprecise(
    precision: Mapping[str, SegmentPrecision],
    uncertain: Mapping[str, object],
    exercised: str | None,
    columns: Collection[str],
) -> tuple[dict[str, float], dict[str, UncertainAngle]]:
    """Predicted leg flexion RMSE, and the angles the poses cannot pin.

    The not-exercised leg's past their target (``precision_doubts``); on every leg, those past
    it on a sensor whose two still poses rejected the fit's prior (``misfit_doubts``: its errors
    are larger than the fit assumes). Angles already in ``uncertain`` keep their reason (an
    entry here carries its ± as its whole doubt, which the envelope's rules decide beyond);
    only the ``columns`` the session reports are listed.
    """
    predicted = predicted_rmse_deg(precision)
    rest = other_side(exercised)
    doubts = misfit_doubts(predicted, precision)
    if rest is not None:
        doubts.update(precision_doubts(predicted, precision, sides=(rest,)))
    return predicted, {c: v for c, v in doubts.items() if c not in uncertain and c in columns}


def _resting_notes(
    predicted: Mapping[str, float], imprecise: Mapping[str, object], exercised: str | None
) -> tuple[str, ...]:
    """``precision_notes`` of the not-exercised leg (the exercised leg's doubts say enough)."""
    rest = other_side(exercised)
    return precision_notes(predicted, imprecise, sides=(rest,)) if rest else ()


def _ankle_over_flat_foot(
    cal: CalibrationResult,
    doubts: Mapping[str, str],
    uncertain: Mapping[str, Mapping[str, str]],
    foot_doubt_deg: Mapping[str, float],
    exercised: str | None,
) -> tuple[dict[str, Mapping[str, str]], tuple[str, ...]]:
    """The not-exercised leg's ankle taken out of ``uncertain`` where its flat foot decides it.

    Only where that ankle is uncertain for its foot's own calibration alone (sign or axis; the
    shank trusted, no joint read beyond range) and the foot stayed so flat that no reading of
    its axis moves the ankle by more than :data:`FLAT_FOOT_DOUBT_DEG` RMS
    (:func:`flat_foot_doubt_deg`: the leg standing on its foot while the other is exercised).
    The exercised leg's ankle, which its rules judge, is left as it is. Returns the uncertain
    columns and a note per ankle taken out.
    """
    rest = other_side(exercised)
    column = angle_column(rest, "ankle", "dorsiflexion") if rest else ""
    foot = cal.segments.get(f"{rest}_foot")
    bound = foot_doubt_deg.get(f"{rest}_foot", float("nan"))
    if (
        column not in uncertain
        or foot is None
        or f"{rest}_shank" in doubts
        or doubts.get(foot.placement) != foot.doubt
        or uncertain[column].get("reason") != foot.doubt
        or not bound <= FLAT_FOOT_DOUBT_DEG
    ):
        return dict(uncertain), ()
    note = (
        f"The {rest} ankle (not the exercised leg) is trusted although {foot.doubt}: that foot "
        f"stayed flat, so whichever way it faces the ankle reads within {bound:.1f}° RMS."
    )
    return {c: v for c, v in uncertain.items() if c != column}, (note,)


def _feet_flat(
    q_E_B: Mapping[str, FloatArray],
) -> tuple[dict[str, NDArray[np.bool_]], dict[str, float]]:
    """Per foot: where it lies flat as in the stand, and how far its doubt can move the ankle."""
    feet = {p: q for p, q in q_E_B.items() if p.endswith("_foot")}
    return (
        {p: flat_foot_mask(q) for p, q in feet.items()},
        {p: flat_foot_doubt_deg(q) for p, q in feet.items()},
    )


def _doubted(
    cal: CalibrationResult,
    angles: pd.DataFrame,
    rate_hz: float,
    others: Mapping[str, Sequence[Mapping[str, FloatArray]]],
    feet_flat: Mapping[str, NDArray[np.bool_]] | None = None,
    twist: TwistSource | None = None,
    *,
    exercised: str | None = None,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]] | None = None,
    turned_since_s: Mapping[str, float] | None = None,
    stand_turns: Mapping[str, FloatArray] | None = None,
) -> tuple[dict[str, str], dict[str, Mapping[str, str]], dict[str, OtherReadings]]:
    """The doubted segments, the uncertain columns and the other readings covering them.

    ``others``: :func:`lazy_readings`; see :func:`covered_readings`. An ankle's samples
    with its foot flat as in the stand (``feet_flat``) are not counted as beyond range; the
    not-``exercised`` leg's joints doubt their own segments only (:func:`doubted_segments`).
    With ``twist``, the hip angles an undecided twist lying or sitting leaves uncertain, and
    their other reading, are added (:func:`_undecided_twists`; a column already uncertain
    keeps its reason). With ``drift``, the hip angles a heading the anchors no longer hold
    may put past their target (:func:`_drifted_hips`). ``turned_since_s``: the sensors found
    turned on their straps and since when; their joints' readings from then on are not held
    against the calibration (:func:`implausible_joints`). ``stand_turns``:
    :func:`_stand_turn_bounds`, for :func:`_drifted_hips`.
    """
    extra = _implausible(cal, angles, rate_hz, feet_flat, exercised, turned_since_s)
    doubts = cal.doubts(extra)
    # the doubts found here as ``extra``, not ``doubts``: a sign decided against a doubted
    # segment then carries that segment's kinds of doubt (the words are the same)
    uncertain = {c: v for c, v in cal.uncertain_angles(extra).items() if c in angles}
    readings = covered_readings(others, cal, extra, uncertain)
    if twist is not None:
        columns = {c: angles[c].to_numpy() for c in angles if "_hip_" in c}
        twisted, more = _undecided_twists(columns, twist.read, uncertain, twist)
        uncertain, readings = {**twisted, **uncertain}, {**readings, **more}
        session = {p for p, s in cal.segments.items() if session_axis_reads_posture(s.axis_source)}
        uncertain, readings = _unread_twists(
            angles, drift or {}, twist.read, uncertain, readings, session
        )
    return (doubts, *_drifted_hips(angles, drift or {}, uncertain, readings, stand_turns))


def _unread_twists(
    angles: pd.DataFrame,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    read: Mapping[str, float],
    uncertain: Mapping[str, Mapping[str, str]],
    readings: Mapping[str, OtherReadings],
    session_axes: Collection[str] = (),
) -> tuple[dict[str, Mapping[str, str]], dict[str, OtherReadings]]:
    """``uncertain`` and ``readings`` with the hip rotations a twist no anchor read may spoil.

    Per thigh with a long axis's vertical share (``drift``) and no posture anchor (not in
    ``read``, :class:`TwistSource`), one whose reading was kept as the leg's own posture
    (:func:`twist_read_posture`: it does not read the calibration's twist) or one whose
    flexion axis the session's own movements gave (``session_axes``,
    :func:`session_axis_reads_posture`: the reading is not independent of the twist),
    :func:`unread_twist_doubt`; one uncertain already keeps its reason with this one added.
    Every other reading carries the same calibration's twist, so it confirms no episode of
    such a column: it is taken out of them.
    """
    out = dict(uncertain)
    doubted: set[str] = set()
    for thigh, (_, up) in drift.items():
        side = thigh.split("_", 1)[0]
        if thigh not in read:
            why = unread_twist_doubt(up, side)
        elif twist_read_posture(read[thigh]):
            why = unread_twist_doubt(up, side, posture_deg=float(np.rad2deg(read[thigh])))
        elif thigh in session_axes:
            why = unread_twist_doubt(up, side, session_axis=True)
        else:
            why = None
        if why is not None:
            doubted |= _join_hip_doubts(out, side, {"internal_rotation": why}, angles)
    if not doubted:
        return out, dict(readings)
    return out, {k: (w, _without(group, doubted)) for k, (w, group) in readings.items()}


def _join_hip_doubts(
    doubts: dict[str, Mapping[str, str]],
    side: str,
    whys: Mapping[str, Mapping[str, str]],
    angles: pd.DataFrame,
) -> set[str]:
    """Put each of ``whys`` (``{hip motion: doubt}``) on ``side``'s hip column in ``doubts``.

    Only columns ``angles`` has; a column doubted already keeps its reason and redo with the
    new ones added (:func:`_joined_doubt`). Returns the columns doubted.
    """
    joined = set()
    for motion, why in whys.items():
        column = angle_column(side, "hip", motion)
        if column not in angles:
            continue
        joined.add(column)
        was = doubts.get(column)
        doubts[column] = why if was is None else _joined_doubt(was, why)
    return joined


def _drifted_hips(
    angles: pd.DataFrame,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    uncertain: Mapping[str, Mapping[str, str]],
    readings: Mapping[str, OtherReadings],
    stand_turns: Mapping[str, FloatArray] | None = None,
) -> tuple[dict[str, Mapping[str, str]], dict[str, OtherReadings]]:
    """``uncertain`` and ``readings`` with the hips' heading drift after (or before) the anchors.

    Per thigh with anchor runs (``drift``: with its long axis's vertical share,
    :func:`_vertical_share`), the hip angles :func:`hip_drift_doubts` finds past
    their target are uncertain; one uncertain already keeps its reason with this one added.
    Every other reading shares the drift (it turns only a calibration or a twist), so it can
    confirm no episode of such a column: it is taken out of them. ``stand_turns``
    (:func:`_stand_turn_bounds`): per thigh, a second bound after the last anchor run.
    """
    t_s = angles[T_S].to_numpy()
    out = dict(uncertain)
    drifted: set[str] = set()
    for thigh, (runs, up) in drift.items():
        side = thigh.split("_", 1)[0]
        found = hip_drift_doubts(t_s, up, runs, side, (stand_turns or {}).get(thigh))
        drifted |= _join_hip_doubts(out, side, found, angles)
    if not drifted:
        return out, dict(readings)
    return out, {k: (w, _without(group, drifted)) for k, (w, group) in readings.items()}


def _gain_prior_flexions(
    precision: Mapping[str, SegmentPrecision],
    doubted: Collection[str],
    columns: Collection[str],
) -> dict[str, UncertainAngle]:
    """The leg flexions and thigh inclinations an unnamed part's gain may overshoot.

    :func:`tilt_precision.gain_prior_doubts` (trace-only entries) for the ``columns`` not
    already in ``doubted``, whose entries keep their own words.
    """
    found = gain_prior_doubts(gain_prior_rmse_deg(precision), precision)
    return {c: v for c, v in found.items() if c not in doubted and c in columns}


def _gain_prior_timed(
    precision: Mapping[str, SegmentPrecision], angles: pd.DataFrame, rate_hz: float
) -> dict[str, TimedDoubt]:
    """When and how far an unnamed part's gain may put a leg angle past its target.

    The angles: hip, knee and ankle flexions and thigh inclinations (:data:`GAIN_PRIOR_TARGET_DEG`).

    Per column of ``angles`` (:func:`tilt_precision.gain_prior_rows_deg`): a rule on it is
    decided there only beyond that bound, as on a knee's soft tissue (:func:`_tissue_knees`).
    """
    t_s = angles[T_S].to_numpy()
    out = {}
    for column, (name, bound) in gain_prior_rows_deg(precision, t_s.size, rate_hz).items():
        if column not in angles:
            continue
        doubt = past_target_doubt(
            t_s,
            bound,
            GAIN_PRIOR_TARGET_DEG[name],
            what=_gain_prior_what(column, name, unstated_product(precision, column)),
            redo=GAIN_PRIOR_REDO,
        )
        if doubt is not None:
            out[column] = doubt
    return out


def _gain_prior_what(column: str, name: str, product: str | None) -> str:
    """What :func:`_gain_prior_timed` says may be off: the part unsaid, the gain, the angle.

    The angle in words: ``"the left knee's bend"``, ``"the left thigh's inclination"``.

    ``name``: one of :data:`tilt_precision.GAIN_PRIOR_ANGLES`; ``product``: the product the
    file names without its part (:func:`tilt_precision.unstated_product`), or None.
    """
    side = column.split("_")[0]
    one = name == THIGH_INCLINATION
    these = "this sensor" if one else "these sensors"
    unsaid = (
        f"the file does not say which part {these} {'is' if one else 'are'}"
        if product is None
        else f"the file names {these} as {product}s but not "
        f"{'its' if one else 'their'} accelerometer part"
    )
    angle = f"the {side} thigh's inclination" if one else f"the {side} {name.split('_')[0]}'s bend"
    return (
        f"{unsaid}, and a low-cost part's accelerometer gain can tilt a leg held far from "
        f"every still position: {angle}"
    )


def _tissue_knees(
    angles: pd.DataFrame, predicted: Mapping[str, float], doubted: Collection[str]
) -> tuple[dict[str, float], dict[str, UncertainAngle], dict[str, TimedDoubt]]:
    """Each knee's predicted RMSE and trace precision with its soft tissue, and when it is off.

    :func:`analysis.angles.tissue.tissue_rmse_deg` added to each knee ``predicted`` has;
    :func:`analysis.angles.tissue.knee_tissue_precision` (trace-only: its rules are decided
    on the per-time bound) for each knee not already in ``doubted`` (whose entries keep their
    own words); :func:`analysis.angles.tissue.knee_tissue_timed` per knee column of ``angles``.
    """
    t_s = angles[T_S].to_numpy()
    out = dict(predicted)
    whole: dict[str, UncertainAngle] = {}
    timed: dict[str, TimedDoubt] = {}
    for side in SIDES:
        column = angle_column(side, "knee", "flexion")
        if column not in angles:
            continue
        knee = angles[column].to_numpy(dtype=np.float64)
        if column in out:
            out[column] = with_tissue_deg(out[column], tissue_rmse_deg(knee))
        entry = knee_tissue_precision(knee, predicted.get(column), side)
        if entry is not None and column not in doubted:
            whole[column] = entry
        doubt = knee_tissue_timed(t_s, knee, side)
        if doubt is not None:
            timed[column] = doubt
    return out, whole, timed


def _hip_filter_turns(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    gyr_bias: Mapping[str, FloatArray],
    fused: Collection[str],
) -> dict[str, FloatArray]:
    """Per VQF-fused pelvis and thigh, the heading its bias estimate put in past its rests' (rad).

    Per grid row: :func:`~analysis.angles.heading.filter_turn_rad` less
    :func:`~analysis.angles.heading.bias_turn_rad` of
    :func:`~analysis.angles.heading.rest_bias_blocks` (a drift the filter took out rightly is
    no wander); a vendor's fusion is left out (its heading has other inputs).
    """
    out = {}
    for p, q in q_E_S.items():
        if p in fused or not (p == "pelvis" or p.endswith("_thigh")):
            continue
        s = session.streams[p]
        turn = filter_turn_rad(q, s.gyr_rad_s, session.rate_hz, gyr_bias[p])
        rest = rest_bias_blocks(s.acc_m_s2, s.gyr_rad_s, s.valid, session.rate_hz, gyr_bias[p])
        out[p] = turn - bias_turn_rad(q, rest, session.rate_hz)
    return out


def _hip_stand_turns(
    session: UniformSession,
    q_E_S: Mapping[str, FloatArray],
    gyr_bias: Mapping[str, FloatArray],
    fused: Collection[str],
    static_s: tuple[float, float],
) -> dict[str, tuple[float, FloatArray, FloatArray]]:
    """Per VQF-fused thigh beside a VQF-fused pelvis, what a turn at the stand may do later.

    ``(rate, thigh's, pelvis's)``: the turn about the vertical both sensors' stand rates
    share (rad/s, :func:`~analysis.angles.heading.stand_turn_rate_rad_s`; the stand's mean
    rate, ``gyr_bias``, along each one's vertical there) and, per grid row, how upright each
    one's stand-vertical axis is (:func:`~analysis.angles.heading.stand_axis_up`). A vendor's
    fusion is left out (the stand's rate is not removed from it).
    """
    stand = (session.t_s >= static_s[0]) & (session.t_s < static_s[1])
    ups: dict[str, FloatArray] = {}
    for p, q in q_E_S.items():
        if p in fused or not (p == "pelvis" or p.endswith("_thigh")):
            continue
        rows = np.asarray(q[stand], dtype=np.float64)
        rows = rows[np.all(np.isfinite(rows), axis=1)]
        if rows.shape[0] == 0:
            continue
        ups[p] = np.mean(rot.rotate(rot.conjugate(rows), [0.0, 0.0, 1.0]), axis=0)
    if "pelvis" not in ups:
        return {}
    up_pelvis = stand_axis_up(q_E_S["pelvis"], ups["pelvis"])
    out = {}
    for p, up in ups.items():
        if p == "pelvis":
            continue
        vertical = [
            float(np.dot(gyr_bias[k], ups[k]) / np.linalg.norm(ups[k])) for k in ("pelvis", p)
        ]
        rate = stand_turn_rate_rad_s(vertical)
        if rate != 0.0:
            out[p] = (rate, stand_axis_up(q_E_S[p], up), up_pelvis)
    return out


def _stand_turn_bounds(
    t_s: FloatArray,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    stand_turns: Mapping[str, tuple[float, FloatArray, FloatArray]],
) -> dict[str, FloatArray]:
    """Per thigh with anchor runs, :func:`~analysis.angles.heading.stand_turn_bound_rad` (rad).

    ``stand_turns``: :func:`_hip_stand_turns`.
    """
    return {
        thigh: stand_turn_bound_rad(t_s, runs, *stand_turns[thigh])
        for thigh, (runs, _) in drift.items()
        if thigh in stand_turns
    }


def _timed_hips(
    angles: pd.DataFrame,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    filter_turns: Mapping[str, FloatArray] | None = None,
    stand_turns: Mapping[str, FloatArray] | None = None,
) -> dict[str, TimedDoubt]:
    """Per hip angle column, when a heading drift may put it past its target.

    :func:`hip_drift_timed` on each thigh's anchor runs and its long axis's vertical share,
    with the filters' turn between the runs (:func:`wander_bound_rad`) where both the pelvis's
    and the thigh's are in ``filter_turns`` (:func:`_hip_filter_turns`), and a turn the
    stand took for bias after the last run (``stand_turns``, :func:`_stand_turn_bounds`).
    """
    t_s = angles[T_S].to_numpy()
    turns = filter_turns or {}
    out = {}
    for thigh, (runs, up) in drift.items():
        side = thigh.split("_", 1)[0]
        wander = None
        if thigh in turns and "pelvis" in turns:
            wander = wander_bound_rad(t_s, runs, turns[thigh] - turns["pelvis"])
        stand = (stand_turns or {}).get(thigh)
        for motion, doubt in hip_drift_timed(t_s, up, runs, side, wander, stand).items():
            column = angle_column(side, "hip", motion)
            if column in angles:
                out[column] = doubt
    return out


def _per_fused_hip(
    angles: pd.DataFrame,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    fused: Collection[str],
    read: Callable[[FloatArray, list[str], str, NDArray[np.bool_]], Mapping[str, _T]],
) -> dict[str, _T]:
    """Per hip angle column of ``angles``, what ``read`` finds of a vendor fusion's heading.

    Per thigh (``drift``: its anchor runs and its long axis's vertical share), ``read(up,
    hip_fused, side, anchored)`` with which of the pelvis and that thigh are vendor-fused
    (``fused``) and the samples its anchor runs measure; ``{motion: …}`` becomes
    ``{column: …}``.
    """
    t_s = angles[T_S].to_numpy()
    out = {}
    for thigh, (runs, up) in drift.items():
        side = split_placement(thigh)[0]
        hip_fused = [p for p in ("pelvis", thigh) if p in fused]
        for motion, found in read(up, hip_fused, side, anchored_mask(t_s, runs)).items():
            column = angle_column(side, "hip", motion)
            if column in angles:
                out[column] = found
    return out


def _vendor_heading_hips(
    angles: pd.DataFrame,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    fused: Collection[str],
) -> dict[str, TimedDoubt]:
    """Per hip angle column, when a vendor fusion's heading may put it past its target.

    :func:`hip_heading_timed` per thigh (:func:`_per_fused_hip`).
    """
    t_s = angles[T_S].to_numpy()
    return _per_fused_hip(
        angles,
        drift,
        fused,
        lambda up, f, side, anchored: hip_heading_timed(t_s, up, f, side, anchored),
    )


def _vendor_heading_marks(
    angles: pd.DataFrame,
    drift: Mapping[str, tuple[AnchorRuns, FloatArray]],
    fused: Collection[str],
    doubted: Collection[str],
) -> dict[str, UncertainAngle]:
    """Per hip angle column not already ``doubted``, a vendor fusion's heading's approximate mark.

    :func:`hip_heading_doubts` over the session, per thigh (:func:`_per_fused_hip`).
    """
    found = _per_fused_hip(angles, drift, fused, hip_heading_doubts)
    return {c: v for c, v in found.items() if c not in doubted}


def _thigh_leans(
    cal: CalibrationResult, q_E_B: Mapping[str, FloatArray]
) -> dict[str, tuple[float, FloatArray]]:
    """Per thigh whose knee hinge's lean was taken for its accelerometer's bias: lean and share.

    The lean in degrees (:func:`hinge_lean.lean_deg`) and the thigh's superior axis's vertical
    share per row (:func:`_vertical_share`), as :mod:`analysis.angles.hinge_lean` reads them.
    """
    out = {}
    for thigh, seg in cal.segments.items():
        if split_placement(thigh)[1] != "thigh" or thigh not in q_E_B:
            continue
        if not seg.axis_source.startswith("knee hinge"):
            continue
        lean = lean_deg(seg.acc_axis_bias_g)
        if lean > 0.0:
            out[thigh] = (lean, _vertical_share(q_E_B[thigh]))
    return out


def _leaned_hips(
    angles: pd.DataFrame,
    leans: Mapping[str, tuple[float, FloatArray]],
    uncertain: Mapping[str, Mapping[str, str]],
    readings: Mapping[str, OtherReadings],
    twisted: Mapping[str, FloatArray] | None = None,
) -> tuple[dict[str, Mapping[str, str]], dict[str, OtherReadings], dict[str, TimedDoubt]]:
    """``uncertain`` and ``readings`` with the hips a thigh's hinge lean may put off, and when.

    Per thigh of ``leans`` (:func:`_thigh_leans`), :func:`hinge_lean.hip_lean_doubts` (with
    ``twisted[thigh]``, how far an undecided twist moves its hip adduction per sample, added
    to the lean's bound there: ``TwistSource.adduction_moved_deg``): the
    hip angles past their target over the session are uncertain (one uncertain already keeps
    its reason with this one added), and every other reading, which shares the lean (it turns
    only a calibration or a twist), is taken out of them; the per-time bounds are returned
    per column.
    """
    t_s = angles[T_S].to_numpy()
    out = dict(uncertain)
    timed: dict[str, TimedDoubt] = {}
    leaned = set()
    for thigh, (lean, up) in leans.items():
        side = split_placement(thigh)[0]
        whole, per_time = hip_lean_doubts(t_s, up, lean, side, (twisted or {}).get(thigh))
        for motion, doubt in per_time.items():
            column = angle_column(side, "hip", motion)
            if column in angles:
                timed[column] = doubt
        leaned |= _join_hip_doubts(out, side, whole, angles)
    if not leaned:
        return out, dict(readings), timed
    kept = {k: (w, _without(group, leaned)) for k, (w, group) in readings.items()}
    return out, kept, timed


def _merged_timed(*groups: Mapping[str, TimedDoubt]) -> dict[str, TimedDoubt]:
    """Per column, its timed doubts together: the bounds added, the reasons and redos joined."""
    out: dict[str, TimedDoubt] = {}
    for group in groups:
        for column, doubt in group.items():
            was = out.get(column)
            out[column] = (
                doubt
                if was is None
                else TimedDoubt(
                    bound_deg=(
                        np.asarray(was.bound_deg, dtype=np.float32)
                        + np.asarray(doubt.bound_deg, dtype=np.float32)
                    ),
                    reason=f"{was.reason}; {doubt.reason}",
                    redo=f"{was.redo}; {doubt.redo}",
                )
            )
    return out


def _vertical_share(q_E_B: FloatArray) -> FloatArray:
    """Per row, the vertical component of the segment's superior (y) axis (float32)."""
    q = np.asarray(q_E_B)
    return (2.0 * (q[:, 2] * q[:, 3] + q[:, 0] * q[:, 1])).astype(np.float32)  # R[2, 1]


def _without(
    group: Sequence[Mapping[str, FloatArray]], columns: Collection[str]
) -> tuple[Mapping[str, FloatArray], ...]:
    """Each reading of ``group`` without ``columns``."""
    return tuple(
        r.subset([c for c in r if c not in columns])
        if isinstance(r, LazyReading)
        else {c: r[c] for c in r if c not in columns}
        for r in group
    )


def _implausible(
    cal: CalibrationResult,
    angles: pd.DataFrame,
    rate_hz: float,
    feet_flat: Mapping[str, NDArray[np.bool_]] | None = None,
    exercised: str | None = None,
    turned_since_s: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """Segments doubted beyond the calibration's own doubts: joints read beyond any range.

    The segments whose flexion axis or sign the calibration left undecided are passed on as
    such: a resting joint beyond range on one of them doubts it alone. A sensor found turned
    on its strap (``turned_since_s``) explains its joints' readings after the turn.
    """
    undecided = [
        p for p, s in cal.segments.items() if isinstance(s, SegmentCalibration) and not s.trusted
    ]
    return doubted_segments(
        implausible_joints(
            angles, rate_hz=rate_hz, foot_flat=feet_flat, turned_since_s=turned_since_s
        ),
        worn=tuple(cal.segments),
        windows_detected=cal.source != "sidecar",
        resting_side=other_side(exercised),
        undecided=undecided,
    )


def _swapped(calibration: CalibrationResult, p: str, k: int) -> CalibrationResult:
    """The calibration under ``p``'s ``k``-th other reading (its dependents' frames with it)."""
    seg = calibration.segments[p]
    q_S_B, bias_g = seg.other_frames[k]
    segments = {**calibration.segments}
    segments[p] = replace(seg, q_S_B=q_S_B, acc_axis_bias_g=bias_g, other_frames=())
    for dep, frames in seg.dependent_frames.items():
        q_dep, bias_dep = frames[k]
        segments[dep] = replace(segments[dep], q_S_B=q_dep, acc_axis_bias_g=bias_dep)
    return replace(calibration, segments=segments)


def reading_columns(calibration: CalibrationResult, p: str) -> list[str]:
    """The angle columns an other reading of ``p`` changes: those of ``p`` and its dependents."""
    moved = {p, *calibration.segments[p].dependent_frames}
    worn = calibration.segments
    return [
        c
        for c, needs in angle_dependencies().items()
        if all(q in worn for q in needs) and moved.intersection(needs)
    ]


_PROXIMAL = {"shank": "thigh", "foot": "shank", "head": "trunk", "trunk": "pelvis"}
"""Each segment's proximal neighbour, whose heading its own is reconciled against."""


def reading_chain(placements: Sequence[str], columns: Collection[str]) -> set[str]:
    """The placements whose orientations ``columns`` need under another reading.

    The columns' segments, each one's proximal segments up to the pelvis (the stand's and the
    anchors' reference; without a pelvis, the first placement, which ``stand_turns`` takes),
    and each thigh's shank (the posture step reads its inclination). The neutral pose mask
    needs the pelvis and legs too; :class:`_ReadingsOf` passes them for that alone.
    """
    deps = angle_dependencies()
    keep = {q for c in columns for q in deps[c]}
    keep.add("pelvis" if "pelvis" in placements else placements[0])
    grown = True
    while grown:
        n = len(keep)
        for p in list(keep):
            side, segment = split_placement(p)
            near = [_PROXIMAL.get(segment), "shank" if segment == "thigh" else None]
            keep.update(f"{side}_{q}" if side else q for q in near if q is not None)
        keep &= set(placements)
        grown = len(keep) > n
    return keep


def _neutral_inputs(placements: Sequence[str]) -> set[str]:
    """The placements :func:`neutral_pose_mask` reads: the pelvis and the leg segments."""
    return {
        p for p in placements if p == "pelvis" or p.split("_", 1)[-1] in ("thigh", "shank", "foot")
    }


class _ReadingsOf:
    """One segment's other readings, computed once, when first read, for the columns asked.

    :meth:`ask` adds columns before the first read; the readings are then computed on the
    chain those columns need (:func:`reading_chain`) and the sensors released.
    """

    def __init__(
        self,
        t_s: FloatArray,
        q_E_S: Mapping[str, FloatArray],
        calibration: CalibrationResult,
        p: str,
        steps: Mapping[str, Any],
    ) -> None:
        self._args: tuple[Any, ...] | None = (t_s, dict(q_E_S), calibration, p, dict(steps))
        self._wanted: set[str] = set()
        self._found: list[dict[str, FloatArray]] = []

    def ask(self, columns: Collection[str]) -> None:
        """Columns the readings must hold (before any is read)."""
        if self._args is None:
            raise RuntimeError("the readings were already computed")
        self._wanted.update(columns)

    def reading(self, k: int) -> dict[str, FloatArray]:
        """The ``k``-th other reading's asked columns (computed with all the others)."""
        if self._args is not None:
            t_s, q_E_S, cal, p, steps = self._args
            self._args = None  # releases the orientations
            placements = list(q_E_S)
            keep = reading_chain(placements, self._wanted)
            sensors = keep | _neutral_inputs(placements)
            for k_ in range(len(cal.segments[p].other_frames)):
                q_B = segment_orientations(
                    t_s,
                    {q: v for q, v in q_E_S.items() if q in sensors},
                    _swapped(cal, p, k_),
                    keep=keep,
                    **steps,
                )
                ja = chain.isb_angles(q_B)
                self._found.append({c: ja.columns[c] for c in self._wanted if c in ja.columns})
        return self._found[k]


class LazyReading(Mapping[str, FloatArray]):
    """One other reading of a segment: its columns known at once, their angles when read.

    ``column in reading`` and iteration need nothing computed; the first angle read computes
    every reading of the segment (:class:`_ReadingsOf`).
    """

    def __init__(self, source: _ReadingsOf, k: int, columns: Collection[str]) -> None:
        self._source, self._k, self._columns = source, k, tuple(columns)

    def subset(self, columns: Collection[str]) -> LazyReading:
        """The same reading holding only ``columns`` (asked of the source)."""
        self._source.ask(columns)
        return LazyReading(self._source, self._k, [c for c in self._columns if c in columns])

    def __getitem__(self, column: str) -> FloatArray:
        if column not in self._columns:
            raise KeyError(column)
        return self._source.reading(self._k)[column]

    def __contains__(self, column: object) -> bool:
        return column in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def lazy_readings(
    t_s: FloatArray,
    q_E_S: Mapping[str, FloatArray],
    calibration: CalibrationResult,
    **steps: Any,
) -> dict[str, tuple[LazyReading, ...]]:
    """Per segment with other discrete readings, the angles that depend on it under each.

    Each reading is the calibration with that segment's ``q_S_B`` exchanged for one of its
    ``other_frames`` (``SegmentCalibration``) and its dependents' for their frames under it
    (``dependent_frames``), every other step as for the angles themselves
    (:func:`segment_orientations` with ``steps``); only the columns :func:`reading_columns`
    names. Each is computed only when one of its angles is read, on the chain those need
    (``bench/readings_identity.py`` checks the outputs against computing every reading at
    once over every sensor). Keeps a reference to ``q_E_S``'s series (a copy of the mapping)
    until then, only in sessions with a segment that has other readings.
    """
    out: dict[str, tuple[LazyReading, ...]] = {}
    for p, seg in calibration.segments.items():
        if seg.other_frames:
            source = _ReadingsOf(t_s, q_E_S, calibration, p, steps)
            columns = reading_columns(calibration, p)
            out[p] = tuple(LazyReading(source, k, columns) for k in range(len(seg.other_frames)))
    return out


def _subset(
    reading: Mapping[str, FloatArray], columns: Collection[str]
) -> Mapping[str, FloatArray]:
    """``reading`` holding only ``columns``; a lazy reading stays lazy."""
    if isinstance(reading, LazyReading):
        return reading.subset(columns)
    return {c: reading[c] for c in columns}


def covered_readings(
    others: Mapping[str, Sequence[Mapping[str, FloatArray]]],
    calibration: CalibrationResult,
    extra: Mapping[str, str],
    uncertain: Mapping[str, Mapping[str, str]],
) -> dict[str, OtherReadings]:
    """The other readings of the uncertain columns whose whole doubt they cover.

    A column is covered by a segment's readings when every doubted segment it depends on is
    that segment, doubted for its own calibration alone (not for a joint read beyond any
    range, ``extra``, nor through another segment its sign was decided against), or one of
    its dependents (``SegmentCalibration.dependent_frames``: a sign decided against it, and
    decided again under each reading), and the column's reason is those doubts alone (no
    tilt doubt added): its readings are then all the calibration allows. Returns
    ``{key: (words, readings)}`` with only covered columns: the key is the segment, or
    ``"<segment>+<dependents>"`` for the columns that need a dependent's sign decided again
    (their words say so); groups without any column are left out. Lazy readings
    (:class:`LazyReading`) stay lazy.
    """
    doubts = calibration.doubts(extra)
    deps = angle_dependencies()
    out: dict[str, OtherReadings] = {}
    for p, readings in others.items():
        seg = calibration.segments[p]
        if p in extra or seg.other_frames_words is None or doubts.get(p) != seg.doubt:
            continue
        plain, through = [], []
        for c, why in uncertain.items():
            bad = [q for q in deps[c] if q in doubts]
            if c not in readings[0] or not bad or not all(_within(q, p, seg, extra) for q in bad):
                continue
            if why.get("reason") != "; ".join(doubts[q] for q in bad):
                continue  # a tilt doubt besides
            (through if set(bad) - {p} else plain).append(c)
        if plain:
            out[p] = (seg.other_frames_words, tuple(_subset(r, plain) for r in readings))
        if through:
            needed = {q for c in through for q in deps[c]}
            names = [d for d in seg.dependent_frames if d in needed]
            words = f"{seg.other_frames_words}, {_decided_again_words(names)}"
            key = "+".join([p, *names])
            out[key] = (words, tuple(_subset(r, through) for r in readings))
    return out


def _within(q: str, p: str, seg: SegmentCalibration, extra: Mapping[str, str]) -> bool:
    """True when a doubt of ``q`` is one ``p``'s readings cover: ``p`` itself, or a dependent.

    A dependent in ``seg.dependent_frames`` (``p``'s) was decided again, with confidence,
    under every reading: whatever its doubt (its sign low for ``p``'s sake, or carried from
    ``p``), it is ``p``'s, unless a joint was read beyond any range (``extra``).
    """
    return q == p or (q in seg.dependent_frames and q not in extra)


def _decided_again_words(placements: Sequence[str]) -> str:
    """The words for dependents decided again: "the trunk's sign decided again under each"."""
    names = [p.replace("_", " ") for p in placements]
    what = " and ".join(f"the {n}'s" for n in names)
    return f"{what} sign{'s' if len(names) > 1 else ''} decided again under each"


def _all_still(
    session: UniformSession, gyr_bias: Mapping[str, FloatArray], *, threads: int = 1
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Grid points at which every sensor turns slower than ``NEUTRAL_STILL_RAD_S``, and more.

    A tremor's shaking apart (:func:`turning_slower_than`): an elderly person's trembling knee
    stands as still as the pose it shakes about.

    The second mask: the points at which the pelvis and leg sensors do
    (:func:`_neutral_inputs`; the hips' anchors need only those still).
    """

    def one(p: str) -> NDArray[np.bool_]:
        gyr = session.streams[p].gyr_rad_s
        return turning_slower_than(gyr, gyr_bias[p], session.rate_hz, NEUTRAL_STILL_RAD_S)

    placements = list(session.streams)
    legs = _neutral_inputs(placements)
    still = np.ones(session.t_s.shape[0], dtype=bool)
    legs_still = still.copy()
    for p, mask in zip(placements, map_threads(one, placements, threads=threads), strict=True):
        still &= mask
        if p in legs:
            legs_still &= mask
    return still, legs_still


def _auto_workers(samples: int) -> int:
    """Two processes for sessions big enough to repay the start-up, where two cores exist."""
    cores = os.cpu_count() or 1
    return 2 if cores >= 2 and samples >= PARALLEL_MIN_SAMPLES else 1
