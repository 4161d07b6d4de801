"""The steps of the angle chain that the offline and the live pipeline share.

:func:`analysis.angles.pipeline.analyse_recording` runs them once over a whole recording,
:class:`analysis.angles.live.LiveAnglePipeline` over every new chunk of grid points. Both call
these functions for every step they have in common, so the live angles equal those of the
offline pipeline run causally on the same recording with the same calibration
(``tests/analysis/test_chain.py``). The steps only one of them has, and why, are listed in
``docs/architecture.md`` ("Offline and live: what differs and why").

Frames: ``q_E_S`` rotates sensor into the sensor's own earth frame (z up, heading arbitrary);
``q_S_B`` segment (ISB axes) into sensor; ``q_E_B`` segment into the common earth frame once
the headings are reconciled. Quaternions are scalar-first; heading turns are in radians about
earth z.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.axis_bias import untilt
from analysis.angles.calibration import Q_G_E, CalibrationResult, stand_gyro_bias
from analysis.angles.chunks import map_rows, map_threads
from analysis.angles.heading import (
    CausalHingeHeading,
    hinge_links,
    stand_offsets,
    turn_about_vertical,
)
from analysis.angles.isb import (
    JointAngles,
    joint_angles_deg,
    pelvis_gap_inclinations_deg,
    thigh_inclinations_on_deg,
)
from analysis.angles.timebase import UniformSession
from analysis.recording.schema import ANGLE_COLUMNS

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

Turns = dict[str, FloatArray | float]
"""Heading turn (rad, about earth z) per placement: a constant or one value per grid point."""

HingeEstimate = Callable[[str, str, Turns], FloatArray]
"""``(proximal, distal, turns so far) -> heading correction (rad) of the distal segment``."""


def gyro_bias(
    session: UniformSession, static_s: tuple[float, float], *, enabled: bool = True
) -> dict[str, FloatArray]:
    """Per sensor, the gyroscope bias (rad/s, sensor frame) removed before fusion.

    The mean rate during the quiet stand (:func:`analysis.angles.calibration.stand_gyro_bias`),
    or zeros when ``enabled`` is False.
    """
    if not enabled:
        return dict.fromkeys(session.streams, np.zeros(3))
    return stand_gyro_bias(session, static_s)


def debiased_gyro(gyr_rad_s: FloatArray, bias_rad_s: FloatArray) -> FloatArray:
    """The rates VQF is given: float64, C-contiguous, ``bias_rad_s`` removed (sensor frame)."""
    return np.ascontiguousarray(gyr_rad_s, dtype=np.float64) - bias_rad_s


def stored_orientation(q_E_S: FloatArray) -> FloatArray:
    """``q_E_S`` rounded to float32 and back, as the offline orientation blocks are kept.

    The offline pipeline stores every block's orientation as float32
    (:func:`analysis.angles.orientation.run_orientation`); the live one rounds the same way so
    that both feed identical orientations to the calibration and the angles (the rounding
    moves an angle by about 1e-5°).
    """
    return np.asarray(q_E_S, dtype=np.float32).astype(np.float64)


def sensor_to_segment(
    q_E_S: dict[str, FloatArray],
    calibration: CalibrationResult,
    *,
    consume: bool = False,
    threads: int = 1,
) -> dict[str, FloatArray]:
    """Segment orientations ``q_E_S ⊗ q_S_B`` per placement, each in its sensor's earth frame.

    Keeps the storage type of each series and works in row chunks. ``consume=True`` removes
    each series from ``q_E_S`` once its segment's is made (frees memory on long sessions).
    ``threads`` > 1 turns that many sensors at once (``chunks.map_threads``; same result).
    """

    def one(p: str, v: FloatArray) -> FloatArray:
        seg = calibration.segments[p]
        return map_rows(
            partial(_to_segment, q_S_B=seg.q_S_B, bias_g=seg.acc_axis_bias_g),
            v,
            width=4,
            dtype=v.dtype,
        )

    if threads > 1:
        items = [(p, q_E_S.pop(p) if consume else q_E_S[p]) for p in list(q_E_S)]
        done = map_threads(lambda item: one(*item), items, threads=threads)
        return {p: q for (p, _), q in zip(items, done, strict=True)}
    q_B = {}
    for p in list(q_E_S):
        v = q_E_S.pop(p) if consume else q_E_S[p]
        q_B[p] = one(p, v)
        del v
    return q_B


def _to_segment(q_E_S: FloatArray, *, q_S_B: FloatArray, bias_g: FloatArray | None) -> FloatArray:
    """``q_E_S ⊗ q_S_B``, the fused tilt of a known accelerometer bias removed first."""
    if bias_g is not None:
        q_E_S = untilt(q_E_S, bias_g)
    return rot.multiply(q_E_S, q_S_B)


def stand_turns(
    q_B: Mapping[str, FloatArray], t_s: FloatArray, calibration: CalibrationResult
) -> dict[str, float]:
    """Heading turns that make every segment face the pelvis's way at the quiet stand.

    The reference is the pelvis when worn, else the first placement
    (:func:`analysis.angles.heading.stand_offsets`). ``t_s`` are the grid times of ``q_B``'s
    rows; only the rows inside ``calibration.static_s`` are used.
    """
    stand = (t_s >= calibration.static_s[0]) & (t_s < calibration.static_s[1])
    reference = "pelvis" if "pelvis" in q_B else next(iter(q_B))
    return stand_offsets(q_B, stand, reference=reference)


def add_hinge_turns(placements: Iterable[str], turns: Turns, estimate: HingeEstimate) -> None:
    """Add each hinge joint's heading correction to the segments distal to it (in place).

    Knee then ankle of each leg (:func:`analysis.angles.heading.hinge_links`); ``estimate``
    sees the turns found so far, so the ankle's is measured with the knee's applied. The
    sums are kept as float32 (heading to 1e-7 rad).
    """
    for prox, dist, carried in hinge_links(placements):
        delta = estimate(prox, dist, turns)
        for seg in carried:
            turns[seg] = (turns[seg] + delta).astype(np.float32)


class CausalHinges:
    """The causal hinge heading step: one exponential tracker per worn knee and ankle.

    The live pipeline keeps one across chunks; the offline pipeline, asked for causal hinges,
    feeds it the whole recording at once. The trackers are sequential, so both give the same
    result (:class:`analysis.angles.heading.CausalHingeHeading`, time constant ``tau_s``).
    """

    def __init__(self, placements: Iterable[str], *, rate_hz: float, tau_s: float) -> None:
        self._trackers = {
            (prox, dist): CausalHingeHeading(rate_hz=rate_hz, tau_s=tau_s)
            for prox, dist, _ in hinge_links(placements)
        }

    def estimator(self, q_B: Mapping[str, FloatArray]) -> HingeEstimate:
        """The :data:`HingeEstimate` for the next rows ``q_B`` (segments in sensor earth)."""

        def estimate(prox: str, dist: str, turns: Turns) -> FloatArray:
            return self._trackers[(prox, dist)].update(
                turn_about_vertical(q_B[prox], turns[prox]),
                turn_about_vertical(q_B[dist], turns[dist]),
            )

        return estimate


def apply_turns(
    q_B: dict[str, FloatArray],
    turns: Mapping[str, FloatArray | float],
    *,
    valid: Mapping[str, BoolArray] | None = None,
    threads: int = 1,
) -> dict[str, FloatArray]:
    """Segment orientations ``q_E_B`` in the common earth frame: each ``q_B`` turned once.

    ``q_B`` is consumed (each series leaves the dict once turned). Where ``valid`` marks a
    grid point without data for a sensor its segment's orientation is NaN. ``threads`` > 1
    turns that many segments at once (same result).
    """
    q = {}
    if threads > 1:
        items = [(p, q_B.pop(p)) for p in list(q_B)]
        done = map_threads(
            lambda item: turn_about_vertical(item[1], turns[item[0]]), items, threads=threads
        )
        q = {p: v for (p, _), v in zip(items, done, strict=True)}
        del items
    for p in list(q_B):
        q[p] = turn_about_vertical(q_B.pop(p), turns[p])
    for p, ok in (valid or {}).items():
        if p in q and not ok.all():
            q[p][~ok] = np.nan
    return q


def pelvis_gap_inclinations(q_E_B: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """Each thigh's inclination (deg) inside the pelvis's dropouts, NaN elsewhere.

    :func:`analysis.angles.isb.pelvis_gap_inclinations_deg` with the level frame ``Q_G_E``:
    the engagement's stand-in for the hip while a worn pelvis sensor is out.
    """
    return pelvis_gap_inclinations_deg(q_E_B, q_G_E=Q_G_E)


def pelvis_out_inclinations(
    q_E_B: Mapping[str, FloatArray], pelvis_out: BoolArray
) -> dict[str, FloatArray]:
    """Each worn thigh's inclination (deg) on the rows ``pelvis_out`` marks, NaN elsewhere.

    The live pipeline's stand-in for the hip while the pelvis is out (it cannot wait for the
    gap's far side: :meth:`analysis.angles.live.LiveAnglePipeline.step`);
    :func:`analysis.angles.isb.thigh_inclinations_on_deg` with the level frame ``Q_G_E``.
    """
    return thigh_inclinations_on_deg(q_E_B, pelvis_out, q_G_E=Q_G_E)


def isb_angles(q_E_B: Mapping[str, FloatArray], *, threads: int = 1) -> JointAngles:
    """ISB joint angles (deg) of segments in one earth frame, in ``ANGLE_COLUMNS`` order.

    :func:`analysis.angles.isb.joint_angles_deg` with the level frame ``Q_G_E``; an angle
    whose segments are not both worn is absent, with the reason. ``threads``: a leg's
    joints computed this many at a time (the same numbers).
    """
    ja = joint_angles_deg(q_E_B, q_G_E=Q_G_E, threads=threads)
    columns = {c: ja.columns[c] for c in ANGLE_COLUMNS if c in ja.columns}
    return JointAngles(columns=columns, absent=dict(ja.absent.items()))
