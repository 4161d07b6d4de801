"""Heading anchors at later upright stands, causally: the live form of the offline step.

Offline (:func:`analysis.angles.pipeline.segment_orientations`), the hip, lumbar and neck
headings are re-taken at every quiet upright stand of the session and the correction is
interpolated between stands, which needs the stands still to come. Live, a stand can only
correct what follows it: :class:`CausalStandAnchors` watches the grid rows as they are
returned; once the subject has stood still and upright for ``min_anchor_s`` (the offline
anchor's shortest run), each ball joint's heading correction becomes the weighted circular
mean of the heading difference over that run so far, and it holds until the next stand.
Rows already returned are never changed. Between stands the correction is a step, not a
ramp: the drift accumulated since the last stand is removed at once, while the subject
stands still.

The assumption is the offline one (docs/accuracy.md): standing upright and still, the hips
are back in neutral rotation and the head looks ahead over the trunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.chain import Turns
from analysis.angles.heading import (
    MAX_TWIST_DEG,
    axis_azimuth,
    run_twist_rad,
    twist_accepted,
    twist_of_runs,
    twist_undecided,
    wrap_rad,
)
from analysis.recording.runs import true_runs

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

ANCHOR_LINKS: Final = (
    ("pelvis", "left_thigh", ("left_thigh", "left_shank", "left_foot")),
    ("pelvis", "right_thigh", ("right_thigh", "right_shank", "right_foot")),
    ("pelvis", "trunk", ("trunk", "head")),
    ("trunk", "head", ("head",)),
)
"""The ball joints whose distal heading is anchored at stands, proximal first (the head after
the trunk, so against the trunk's corrected heading), and the segments each one turns."""

MIN_ANCHOR_S = 2.0
"""Shortest quiet upright stand taken as an anchor (as offline)."""


class CausalStandAnchors:
    """Per ball joint, the heading correction re-taken at each quiet upright stand, from then on.

    Parameters
    ----------
    placements
        The worn segments; a joint is anchored when both its segments are worn.
    rate_hz
        Grid rate.
    min_anchor_s
        Shortest stand (s) that sets a correction.
    """

    def __init__(
        self, placements: Iterable[str], *, rate_hz: float, min_anchor_s: float = MIN_ANCHOR_S
    ) -> None:
        worn = set(placements)
        self.links = [
            (prox, dist, tuple(c for c in carried if c in worn))
            for prox, dist, carried in ANCHOR_LINKS
            if prox in worn and dist in worn
        ]
        # offline: the run's first and last grid times at least min_anchor_s apart
        self.min_rows = int(np.ceil(min_anchor_s * rate_hz - 1e-9)) + 1
        self.stands = 0
        """Stands (and posture runs, the ``extra`` rows) that set corrections so far (rows at
        which a joint's run reached ``min_rows``)."""
        self.corrections_rad = np.zeros(len(self.links))
        """Each joint's correction in force (rad, added to the distal segments' turns)."""
        self._run = np.zeros(len(self.links), dtype=np.int64)
        self._sums = np.zeros(len(self.links), dtype=np.complex128)

    def add_turns(
        self,
        q_B: Mapping[str, FloatArray],
        turns: Turns,
        neutral: BoolArray,
        present: Mapping[str, BoolArray] | None = None,
        extra: Mapping[str, BoolArray] | None = None,
    ) -> None:
        """Add each joint's correction for the next grid rows to ``turns`` (in place).

        ``q_B``: the rows' segment orientations (before any turn); ``turns``: per segment,
        the heading turns found so far (rad, ``(n,)`` or scalar), replaced by new arrays;
        ``neutral``: ``(n,)`` rows at which the subject stands still and upright;
        ``present``: per segment, ``(n,)`` rows at which it has data (default: every row);
        ``extra``: per distal segment, ``(n,)`` more rows at which its joint is neutral (the
        posture anchors: lying flat or sitting still, row by row; as offline's
        ``extra`` of ``pipeline._add_anchor_turns``). A joint's anchor is the ``neutral`` (or
        ``extra``) rows at which both its segments have data, so a sensor that is out holds
        only the joints it belongs to; it counts once its run has lasted ``min_anchor_s``.
        The state moves on by these rows: call once per row, in order.
        """
        n = neutral.shape[0]
        if not self.links or n == 0:
            return
        fresh = np.zeros(n, dtype=bool)
        for i, (prox, dist, segs) in enumerate(self.links):
            stand = neutral if extra is None or dist not in extra else neutral | extra[dist]
            if present is not None:
                stand = stand & present[prox] & present[dist]
            out, started = self._joint_turns(i, q_B, turns, stand)
            fresh |= started
            for seg in segs:
                turns[seg] = turns[seg] + out
        self.stands += int(np.count_nonzero(fresh))

    def in_force(self, turns: Turns) -> Turns:
        """``turns`` with each joint's correction in force added (a new dict; for masks).

        What the segments' headings are before the next rows' anchors are seen.
        """
        out = dict(turns)
        for i, (_prox, _dist, segs) in enumerate(self.links):
            for seg in segs:
                out[seg] = out[seg] + self.corrections_rad[i]
        return out

    def _joint_turns(
        self, i: int, q_B: Mapping[str, FloatArray], turns: Turns, stand: BoolArray
    ) -> tuple[FloatArray, BoolArray]:
        """Joint ``i``'s correction over the rows, and the rows at which a stand set it first."""
        prox, dist, _segs = self.links[i]
        idx = np.arange(stand.shape[0])
        last_break = np.maximum.accumulate(np.where(stand, -1, idx))
        carried = last_break < 0  # rows continuing the run of the previous call
        run = np.where(stand, idx - last_break, 0) + np.where(carried, self._run[i], 0)
        ready = stand & (run >= self.min_rows)
        az_p, h_p = axis_azimuth(q_B[prox])
        az_d, h_d = axis_azimuth(q_B[dist])
        d = wrap_rad(az_p + turns[prox] - az_d - turns[dist])
        z = np.where(stand, h_p * h_d * np.exp(1j * d), 0.0)
        total = np.cumsum(z)
        before = np.where(last_break >= 0, total[np.maximum(last_break, 0)], 0.0)
        sums = total - before + np.where(carried, self._sums[i], 0.0)
        values = np.where(ready, np.angle(sums), np.nan)
        # hold each correction until the next one (the first rows: the one in force)
        filled = np.maximum.accumulate(np.where(ready, idx, -1))
        out = np.where(filled >= 0, values[np.maximum(filled, 0)], self.corrections_rad[i])
        self.corrections_rad[i] = float(out[-1])
        self._sums[i] = sums[-1] if stand[-1] else 0.0
        self._run[i] = int(run[-1])
        return out, stand & (run == self.min_rows)


class CausalTwist:
    """One thigh's twist about its long axis, re-taken at each posture anchor, from then on.

    The live form of the offline posture step (``pipeline._posture_untwist``): lying flat or
    sitting still the hip is taken to be in neutral rotation, so the hip rotation read there
    is an error of the thigh's flexion axis about its long axis
    (:func:`~analysis.angles.heading.hip_twist_rad`, with its limits). Offline it is averaged
    over every posture anchor of the session and removed everywhere; live, once a posture run
    has lasted ``min_anchor_s``, its first ``min_anchor_s`` join those of the earlier runs,
    the twist is re-taken from all of them by the same function and applies from that row on
    (rows already returned are never changed). Memory: ``min_anchor_s`` of two orientations
    for the run under way, and each counted run's rotation (:func:`~analysis.angles.heading.
    run_twist_rad`, one float: the read depends on the runs only through it and their length).
    """

    def __init__(self, *, rate_hz: float, min_anchor_s: float = MIN_ANCHOR_S) -> None:
        self.min_rows = int(np.ceil(min_anchor_s * rate_hz - 1e-9)) + 1
        self.twist_rad = 0.0
        """The twist in force (rad; :func:`~analysis.angles.heading.untwist` removes it)."""
        self.read_rad = 0.0
        """The hip rotation read at the posture anchors so far (rad), taken or not."""
        self._run: list[tuple[FloatArray, FloatArray]] = []  # rows of the current run so far
        self._run_rows = 0
        self._kept: list[float] = []  # each counted run's rotation read (rad)

    def update(
        self, q_E_pelvis: FloatArray, q_E_thigh: FloatArray, anchor: BoolArray
    ) -> FloatArray:
        """The twist (rad) in force at each of the next rows, given their posture anchors.

        ``q_E_pelvis``, ``q_E_thigh``: ``(n, 4)`` segment orientations in one frame (headings
        reconciled, the thigh not untwisted); ``anchor``: ``(n,)`` rows lying flat or sitting
        still (:func:`~analysis.angles.live.posture_rows`). Call once per row, in order.
        """
        n = anchor.shape[0]
        out = np.full(n, self.twist_rad)
        if n == 0:
            return out
        for i, j in true_runs(anchor, 1):
            if i > 0:  # a new run: the one carried over from the last call ended
                self._run, self._run_rows = [], 0
            need = self.min_rows - self._run_rows
            if need > 0:
                take = min(need, j - i)
                self._run.append((q_E_pelvis[i : i + take], q_E_thigh[i : i + take]))
                if take == need:
                    self._count_run()
                    out[i + take - 1 :] = self.twist_rad
            self._run_rows += j - i
        if not anchor[-1]:
            self._run, self._run_rows = [], 0
        return out

    def _count_run(self) -> None:
        """The current run has lasted long enough: keep its rows, re-take the twist."""
        pelvis = np.concatenate([p for p, _t in self._run])
        self._kept.append(run_twist_rad(pelvis, np.concatenate([t for _p, t in self._run])))
        self._run = []
        # every counted run has min_rows rows: heading.hip_twist_read of them all
        tau, spread = twist_of_runs(self._kept, [self.min_rows] * len(self._kept))
        self.read_rad = tau
        self.twist_rad = tau if twist_accepted(tau, spread, max_twist_deg=MAX_TWIST_DEG) else 0.0

    @property
    def undecided(self) -> bool:
        """Whether the rotation read so far is one the data cannot decide.

        :func:`~analysis.angles.heading.twist_undecided`: hip rotation is then uncertain.
        """
        return twist_undecided(self.read_rad)
