"""Live calibration decisions re-taken as the session shows more (the live pipeline's wrapper).

:class:`~analysis.angles.live.LiveAnglePipeline` calibrates once, from the quiet stand and the
few guided movements. Some decisions those cannot settle the rest of the session does: a
pelvis's flexion axis and sign from the lean into the stretch or from lying down, its sign
from the hip centre's witness over more movement, a foot's sign from where the ankle stays
over the session. The offline analysis takes them from the whole recording.
:class:`RedecidingPipeline` has the same interface as the live pipeline and, after the
calibration, re-takes the calibration in the background on the data so far — a fresh live
pipeline fed the session up to a re-decision time and calibrated there, exactly as if the
calibration had been made then (the same windows, the same criteria as offline). Where that
changes a decision (a segment's axis by more than :data:`SWITCH_DEG`, its sign, or whether
it is trusted), it switches to it: the angles from the switch row on are the fresh
pipeline's, and the switch is listed (:attr:`RedecidingPipeline.switches`, the live session
writes it to the sidecar) with what changed and the angles uncertain from then on.

Chunking-invariant: the re-decision times are fixed session times after the calibration
(:func:`redecision_times`), each uses the samples up to its time only, and the switch takes
effect at a fixed row after it (:func:`switch_delay_s`). Rows from that row on are held back
until the re-decision is known (not blocking: :meth:`RedecidingPipeline.step` returns the rows
before it; the angles are late for as long as the background work takes, which the live
view's lag line reports when it is seconds). So the angles are a function of the samples,
not of how they were delivered or how fast the computer is.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.accbias import AccCorrection
from analysis.angles.calibration import CalibrationResult, angle_dependencies, redo_advice
from analysis.angles.live import LiveAnglePipeline, LiveAngles, Outage
from analysis.angles.live_redecide_doubts import SessionDoubts
from analysis.angles.timebase import UniformSession
from analysis.recording.doubts import UncertainAngle
from analysis.recording.schema import SIDES, angle_column
from analysis.recording.streams import CalibrationWindows

FloatArray = NDArray[np.float64]

FIRST_AFTER_S = 15.0
"""The first re-decision, session seconds after the calibration; each next one twice as long
after it (:func:`redecision_times`)."""

LAST_AFTER_S = 3840.0
"""No re-decision later than this after the calibration (the last of a 1-h session is 1,920 s
after it): the history held for them (:class:`_CompactHistory`, about 0.04 MB per
sensor-minute) is dropped then. The calibration in force stays for the rest."""

SWITCH_AFTER_S = 2.0
"""A re-decision's switch takes effect at least this long (session time) after its data end:
the rows in between come from the calibration in force."""

SWITCH_AFTER_SHARE = 0.1
"""… and at least this share of the session time it was decided from since the calibration
(96 s for the last one): the background work replays the session so far (measured 3 ms of
CPU per second of session with four sensors, 6 ms with nine), so the switch row is normally
reached after it is done and no angles are held back for it."""


def switch_delay_s(data_to_s: float, calibrated_at_s: float) -> float:
    """How long after its data end (s) a re-decision's switch takes effect."""
    return max(SWITCH_AFTER_S, SWITCH_AFTER_SHARE * (data_to_s - calibrated_at_s))


SWITCH_DEG = 3.0
"""A segment whose re-decided sensor-to-segment rotation lies further than this from the one
in force has changed its decision (its flexion axis, or its sign at about 180°)."""


BOWS_ONLY_DEG = 40.0
"""A trusted pelvis flexion axis taken from the calibration movements (the bows) on less turn
than this (deg) is provisional live, until a re-decision takes it from the session or from as
much turn (:func:`provisional_pelvis`). Chosen on people 150–189's live replays (1 min, default
and full sets): the two pelvis axes that came from the bows on under 40° (29°, 23° off; 37°,
7.8° off) were the only ones off by more than 5.5° of 55 trusted; the next, on 42°, was 0.5°
off."""


TILT_MIXED_MOTIONS = ("adduction", "internal_rotation")
"""The hip motions a provisional pelvis axis's error turns the pelvis's tilt into (``sin θ`` of
it, for an axis ``θ`` off about the vertical): person 151's confident live rows more than 4°
off were all hip adduction and rotation. The angles read about the axis (hip flexion, pelvis
tilt, lumbar) take ``1 − cos θ`` of the tilt, under 1° for a 10° lean at 23°, and their holds'
timing already allows for the obliquity mixed in (``analysis.angles.rate_mixing``)."""


def provisional_pelvis(
    cal: CalibrationResult | None, placements: Iterable[str]
) -> dict[str, UncertainAngle]:
    """The hip adduction and rotation a provisional pelvis axis leaves unsure, with why.

    ``{}`` when the pelvis axis is not provisional (:data:`TILT_MIXED_MOTIONS`).

    Provisional: trusted, its flexion axis from the movements (``axis_source``) and turned
    less than :data:`BOWS_ONLY_DEG` in them. The offline analysis (the whole session) and
    the calibration trust such an axis; live it is a guess until the exercise's lean shows
    the pelvis turning more (a re-decision), and an axis 23° off turns part of the tilt into
    hip rotation and adduction while the pelvis tips (round 12, person 151).
    """
    seg = None if cal is None else cal.segments.get("pelvis")
    if seg is None or not seg.trusted:
        return {}
    if seg.axis_source != "movements" or seg.rotation_deg >= BOWS_ONLY_DEG:
        return {}
    worn = set(placements)
    turned_into = [angle_column(side, "hip", m) for side in SIDES for m in TILT_MIXED_MOTIONS]
    entry = UncertainAngle(
        reason=(
            f"the pelvis's flexion axis rests on the bows alone ({seg.rotation_deg:.0f}° of "
            "turn) until the session confirms it"
        ),
        redo=redo_advice("pelvis"),
    )
    deps = angle_dependencies()
    return {c: entry for c in turned_into if set(deps[c]) <= worn}


def redecision_times(calibrated_at_s: float, last_after_s: float = LAST_AFTER_S) -> list[float]:
    """Session times (s) at which the calibration is re-taken: 15, 30, 60, … s after it.

    Up to ``last_after_s`` after it.
    """
    out, after = [], FIRST_AFTER_S
    while after <= last_after_s:
        out.append(calibrated_at_s + after)
        after *= 2.0
    return out


def changed_segments(old: CalibrationResult, new: CalibrationResult) -> dict[str, str]:
    """``{placement: what changed}`` between two calibrations of the same sensors.

    A segment changed when its sensor-to-segment rotation moved by more than
    :data:`SWITCH_DEG` (an axis or a sign decided otherwise) or when it became trusted or
    doubted.
    """
    out: dict[str, str] = {}
    for p, s in old.segments.items():
        n = new.segments.get(p)
        if n is None:
            continue
        words = []
        turn = rot.angle_between(s.q_S_B[None, :], n.q_S_B[None, :])
        deg = float(np.degrees(turn[0]))
        if deg > SWITCH_DEG:
            what = "sign" if deg > 90.0 else "flexion axis"
            words.append(f"{what} re-decided ({deg:.0f}° turn; {n.sign_rule})")
        if s.trusted != n.trusted:
            words.append("now trusted" if n.trusted else f"now uncertain ({n.doubt})")
        if words:
            out[p] = "; ".join(words)
    return out


@dataclass(frozen=True)
class Switch:
    """A re-decided calibration taken into use.

    ``at_s``: session time of its first row; ``data_to_s``: its data end; ``changed``:
    ``{placement: what changed}``; ``uncertain``: the angle columns uncertain from then on
    (``CalibrationResult.uncertain_angles``).
    """

    at_s: float
    data_to_s: float
    changed: dict[str, str]
    uncertain: dict[str, Mapping[str, str]]

    def to_dict(self) -> dict[str, object]:
        """For the sidecar."""
        return {
            "at_s": round(self.at_s, 3),
            "data_to_s": round(self.data_to_s, 3),
            "changed": dict(self.changed),
            "uncertain_angles": sorted(self.uncertain),
        }


class _RawHistory:
    """Every raw sample pushed, per sensor, until the last re-decision (then dropped)."""

    def __init__(self, placements: Iterable[str]) -> None:
        self.parts: dict[str, list[tuple[FloatArray, FloatArray, FloatArray]]] = {
            p: [] for p in placements
        }

    def add(self, p: str, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        self.parts[p].append((np.array(t, dtype=np.float64), np.array(acc), np.array(gyr)))

    exact_to_s = np.inf
    """Every sample replayed is as it came."""

    def calibrated(self, at_s: float) -> None:
        """The calibration's last row (nothing changes: every sample is kept)."""

    def pin(self, t_s: float) -> None:
        """Keep every sample after ``t_s`` exact (they all are)."""

    def snapshot(self) -> dict[str, list[tuple[FloatArray, FloatArray, FloatArray]]]:
        """What :meth:`replay` of a copy taken now replays (for the background thread)."""
        return {p: list(v) for p, v in self.parts.items()}

    def replay(self, live: LiveAnglePipeline, after_s: float, until_s: float) -> None:
        """Push every sample with ``after_s < t <= until_s`` into ``live``, sensor by sensor."""
        _replay(self.parts, live, after_s, until_s)

    def drop(self) -> None:
        self.parts = {p: [] for p in self.parts}

    def nbytes(self) -> int:
        return _nbytes(self.parts)


def _replay(
    parts: Mapping[str, Iterable[tuple[FloatArray, FloatArray, FloatArray]]],
    live: LiveAnglePipeline,
    after_s: float,
    until_s: float,
) -> None:
    """Push each sensor's samples of ``parts`` with ``after_s < t <= until_s`` into ``live``."""
    for p, chunks in parts.items():
        for t, acc, gyr in chunks:
            keep = (t > after_s) & (t <= until_s)
            if keep.any():
                live.push(p, t[keep], acc[keep], gyr[keep])


def _nbytes(parts: Mapping[str, Iterable[tuple[FloatArray, ...]]]) -> int:
    return sum(a.nbytes for chunks in parts.values() for part in chunks for a in part)


EXACT_AFTER_S = 120.0
"""The compact history keeps the samples up to this long after the calibration as they came:
the re-decisions up to then (15, 30, 60, 120 s after it) replay the session exactly."""

RECENT_S = 60.0
"""… and the newest samples over this long (and every sample after a pending re-decision's
data end): a later re-decision's replay ends on a minute of exact samples, so the filters and
hinge trackers its switch goes on from have come back to the exact session's."""

COARSE_S = 0.05
"""In between, each sensor's samples are kept as their means over bins of this long (float32
values): 20 a second, 32 bytes each, instead of 100 samples of 56 bytes."""

_MERGE_CHUNKS = 256
"""Coarse chunks merged into one array once this many have been added (bounded overhead)."""


class _SensorCompact:
    """One sensor's compact history (:class:`_CompactHistory`)."""

    def __init__(self) -> None:
        self.head: list[tuple[FloatArray, FloatArray, FloatArray]] = []
        self.recent: list[tuple[FloatArray, FloatArray, FloatArray]] = []
        self.coarse: list[tuple[FloatArray, FloatArray, FloatArray]] = []
        self.fresh: list[tuple[FloatArray, FloatArray, FloatArray]] = []  # coarse, unmerged
        self.open: tuple[FloatArray, FloatArray, FloatArray] | None = None  # an unfinished bin
        self.last_t = -np.inf

    def add(self, t: FloatArray, acc: FloatArray, gyr: FloatArray, exact_to: float) -> None:
        keep = t > self.last_t  # as the live pipeline's buffer: duplicates and late ones dropped
        if not keep.any():
            return
        t, acc, gyr = t[keep], acc[keep], gyr[keep]
        self.last_t = float(t[-1])
        cut = int(np.searchsorted(t, exact_to, side="right"))
        if cut:
            self.head.append((t[:cut], acc[:cut], gyr[:cut]))
        if cut < t.size:
            rest = (t[cut:], acc[cut:], gyr[cut:])
            self.recent.append(rest)
            self._bin(*rest)

    def _bin(self, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        """Add samples to the coarse bins; a bin is written once a sample past it came."""
        if self.open is not None:
            t = np.concatenate([self.open[0], t])
            acc = np.concatenate([self.open[1], acc])
            gyr = np.concatenate([self.open[2], gyr])
        b = np.floor(t / COARSE_S).astype(np.int64)
        done = int(np.searchsorted(b, b[-1]))
        self.open = (t[done:], acc[done:], gyr[done:])
        if done == 0:
            return
        starts = np.flatnonzero(np.diff(b[:done], prepend=b[0] - 1))
        n = np.diff(np.append(starts, done)).astype(np.float64)
        self.fresh.append(
            (
                np.add.reduceat(t[:done], starts) / n,
                (np.add.reduceat(acc[:done], starts, axis=0) / n[:, None]).astype(np.float32),
                (np.add.reduceat(gyr[:done], starts, axis=0) / n[:, None]).astype(np.float32),
            )
        )
        if len(self.fresh) >= _MERGE_CHUNKS:
            self.coarse.append(_joined(self.fresh))
            self.fresh = []

    def trim(self, keep_from_s: float) -> None:
        """Forget exact recent chunks that end before ``keep_from_s``."""
        while len(self.recent) > 1 and self.recent[0][0][-1] < keep_from_s:
            self.recent.pop(0)

    def chunks(self) -> list[tuple[FloatArray, FloatArray, FloatArray]]:
        """The samples to replay, in time order: head, coarse bins before the recent, recent."""
        first = self.recent[0][0][0] if self.recent else np.inf
        out = list(self.head)
        for t, acc, gyr in (*self.coarse, *self.fresh):
            # a bin reaching into the recent samples is left out (a gap under MAX_GAP_S)
            k = int(np.searchsorted(t, first - COARSE_S, side="left"))
            if k:
                out.append((t[:k], acc[:k], gyr[:k]))
        return out + list(self.recent)

    def parts(self) -> list[tuple[FloatArray, ...]]:
        opened = [] if self.open is None else [self.open]
        return [*self.head, *self.recent, *self.coarse, *self.fresh, *opened]


def _joined(chunks: list[tuple[FloatArray, FloatArray, FloatArray]]):
    return tuple(np.concatenate([c[i] for c in chunks]) for i in range(3))


class _CompactHistory:
    """What the re-decisions replay, in bounded memory (the default history).

    Per sensor: the samples up to :data:`EXACT_AFTER_S` after the calibration as they came,
    the newest :data:`RECENT_S` as they came, and every sample after those first ones also
    as means over :data:`COARSE_S` bins; a re-decision replays the exact head, the bins up to
    the exact recent samples, and those. So the re-decisions up to 120 s after the
    calibration are those of every raw sample held (:class:`_RawHistory`), and a later one
    decides from the movement at 20 samples a second — what the calibration's decisions (axes
    from the turning, signs from where segments go) are made of — then catches up on exact
    samples. With four sensors about 2.3 MB per 10 minutes instead of 13.
    """

    def __init__(self, placements: Iterable[str]) -> None:
        self._placements = tuple(placements)
        self.drop()

    def add(self, p: str, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        self._s[p].add(np.array(t, dtype=np.float64), np.array(acc), np.array(gyr), self._exact_to)
        newest = max(s.last_t for s in self._s.values())
        self._s[p].trim(min(newest - RECENT_S, self._pin))

    @property
    def exact_to_s(self) -> float:
        """The samples up to this session time are replayed as they came."""
        return self._exact_to

    def calibrated(self, at_s: float) -> None:
        """The calibration's last row: samples up to :data:`EXACT_AFTER_S` later stay exact."""
        self._exact_to = at_s + EXACT_AFTER_S

    def pin(self, t_s: float) -> None:
        """Keep the recent samples after ``t_s`` exact (a pending re-decision's data end)."""
        self._pin = t_s

    def snapshot(self) -> dict[str, list[tuple[FloatArray, FloatArray, FloatArray]]]:
        """The chunks to replay as they are now (for the background thread)."""
        return {p: s.chunks() for p, s in self._s.items()}

    def replay(self, live: LiveAnglePipeline, after_s: float, until_s: float) -> None:
        """Push the held samples with ``after_s < t <= until_s`` into ``live``."""
        _replay(self.snapshot(), live, after_s, until_s)

    def drop(self) -> None:
        self._s = {p: _SensorCompact() for p in self._placements}
        self._exact_to = np.inf
        self._pin = np.inf

    def nbytes(self) -> int:
        return _nbytes({p: s.parts() for p, s in self._s.items()})


class _FitMemo(dict[bytes, AccCorrection]):
    """Accelerometer fits by their still windows (``CausalAccCorrection``'s ``fits``).

    Kept only while a re-decision may still replay them: closed, it is empty and stays empty;
    frozen, it keeps its fits and takes no more (a compact history replays the rows after
    its exact head as other samples, whose windows and fits are not those of the session).
    """

    closed = False
    frozen = False

    def __setitem__(self, key: bytes, value: AccCorrection) -> None:
        if not (self.closed or self.frozen):
            super().__setitem__(key, value)

    def freeze(self) -> None:
        self.frozen = True

    def close(self) -> None:
        self.closed = True
        self.clear()


class RedecidingPipeline:
    """:class:`~analysis.angles.live.LiveAnglePipeline` whose calibration is re-taken later.

    Same calls (:meth:`push`, :meth:`calibrate`, :meth:`step`, :meth:`outages`, …); options as
    the live pipeline's (``**options``). ``redecide=False``: the plain live pipeline;
    ``last_after_s``: the last re-decision's latest time after the calibration;
    ``exact_history``: keep every raw sample for the re-decisions (:class:`_RawHistory`, for
    benches) instead of the compact history (:class:`_CompactHistory`). ``wait``
    (:meth:`step`): block until a pending re-decision is known (benches, tests), instead of
    holding its rows back.
    """

    def __init__(
        self,
        placements: Iterable[str],
        *,
        rate_hz: float,
        t0_s: float = 0.0,
        redecide: bool = True,
        last_after_s: float = LAST_AFTER_S,
        exact_history: bool = False,
        **options: object,
    ) -> None:
        self.placements = tuple(placements)
        self.rate_hz = float(rate_hz)
        self._t0 = float(t0_s)
        self._options = options
        self._fits = _FitMemo()
        """The accelerometer fits made so far, shared by every pipeline of the session (a
        re-decision replays the session: its fits up to the present are these)."""
        self._redecide = redecide
        self.live = self._fresh()
        self._last_after_s = float(last_after_s)
        self._raw = (_RawHistory if exact_history else _CompactHistory)(self.placements)
        self._windows: CalibrationWindows | None = None
        self._times: list[float] = []
        self._pending: tuple[float, Future[LiveAnglePipeline | None]] | None = None
        self._held: list[LiveAngles] = []
        self._next_t = -np.inf  # session time of the next row to return
        self.calibrated_at_s = np.inf
        """Session time of the calibration's last row (inf before)."""
        self.switches: list[Switch] = []
        """Every re-decision taken into use, in order."""
        self.initial_uncertain: dict[str, Mapping[str, str]] = {}
        """The angles the first calibration left uncertain."""
        self.history_knees: dict[str, FloatArray] = {}
        """Each worn knee's flexion (deg) over the rows before the first one :meth:`step`
        returns, from the first calibration (``LiveAnglePipeline.history_knees``)."""
        self.provisional: dict[str, UncertainAngle] = {}
        """The hip angles a provisional pelvis axis leaves unsure now (:func:`provisional_pelvis`):
        shown uncertain from the calibration until a re-decision confirms the axis."""
        self.provisional_log: list[tuple[float, dict[str, UncertainAngle]]] = []
        """``(from_s, provisional)`` each time it changed: from the calibration, then from
        the switch row of the re-decision that changed it (for benches)."""
        self._doubts = SessionDoubts(self.placements, rate_hz=self.rate_hz)
        self.session_doubts: dict[str, UncertainAngle] = {}
        """The hip angles the rows returned so far leave uncertain under the calibration in
        force, as the offline analysis doubts them over the whole session (a thigh's hinge
        lean, a pelvis axis from the leans: ``analysis.angles.live_redecide_doubts``)."""
        self.session_doubts_log: list[tuple[float, dict[str, UncertainAngle]]] = []
        """``(from_s, session_doubts)`` each time they changed: from the row after the rows
        they were taken on (for benches)."""

    def _fresh(self) -> LiveAnglePipeline:
        fits = {"acc_fits": self._fits} if self._redecide else {}
        return LiveAnglePipeline(
            self.placements,
            rate_hz=self.rate_hz,
            t0_s=self._t0,
            **fits,
            **self._options,  # type: ignore[arg-type]
        )

    # -- the live pipeline's interface ------------------------------------------------------

    def push(
        self, placement: str, t_s: FloatArray, acc_m_s2: FloatArray, gyr_rad_s: FloatArray
    ) -> None:
        """As :meth:`LiveAnglePipeline.push`; the samples are also kept for the re-decisions."""
        if self._redecide and (not self.live.calibrated or self._times or self._pending):
            self._raw.add(placement, t_s, acc_m_s2, gyr_rad_s)
        self.live.push(placement, t_s, acc_m_s2, gyr_rad_s)

    @property
    def calibrated(self) -> bool:
        """True once the (first) calibration succeeded."""
        return self.live.calibrated

    @property
    def calibration(self) -> CalibrationResult | None:
        """The calibration in force (the latest re-decision taken)."""
        return self.live.calibration

    @property
    def timed_words(self) -> dict[str, UncertainAngle]:
        """``{column: {"reason", "redo"}}`` of the rows' per-row bounds.

        The bounds are ``LiveAngles.doubt_bounds``: a rule on the angle is decided there only
        beyond them.
        """
        return dict(self._doubts.timed_words)

    def uncertain_angles(self) -> dict[str, Mapping[str, str]]:
        """The angles uncertain under the calibration in force (``{}`` before calibration)."""
        cal = self.live.calibration
        return {} if cal is None else cal.uncertain_angles()

    def buffered_to_s(self) -> float | None:
        """As :meth:`LiveAnglePipeline.buffered_to_s` (the pipeline in force)."""
        return self.live.buffered_to_s()

    def history_session(self) -> UniformSession | None:
        """As :meth:`LiveAnglePipeline.history_session` (the rows before calibration)."""
        return self.live.history_session()

    def newest_s(self) -> float:
        """Session time (s) of the newest sample of any sensor."""
        return self.live.newest_s()

    def outages(self) -> tuple[Outage, ...]:
        """The sensors out at the last step (the pipeline in force)."""
        return self.live.outages()

    def twist_doubts(self) -> dict[str, dict[str, str]]:
        """As :meth:`LiveAnglePipeline.twist_doubts` (the pipeline in force)."""
        return self.live.twist_doubts()

    def held_rows(self) -> int:
        """Rows held by the pipeline in force (the raw history not counted)."""
        return self.live.held_rows()

    def history_bytes(self) -> int:
        """Bytes of raw samples kept for the re-decisions (0 once the last one is settled)."""
        return self._raw.nbytes()

    def calibrate(self, windows: CalibrationWindows) -> CalibrationResult:
        """As :meth:`LiveAnglePipeline.calibrate`; schedules the re-decisions."""
        cal = self.live.calibrate(windows)
        self.initial_uncertain = cal.uncertain_angles()
        self.history_knees = dict(self.live.history_knees)
        self._provisional(cal, -np.inf)
        self._windows = windows
        at = self.live.buffered_to_s()
        if self._redecide and at is not None:
            self._times = redecision_times(at, self._last_after_s)
            self.calibrated_at_s = at
            self._raw.calibrated(at)
        else:
            self._drop_history()
        return cal

    def _drop_history(self) -> None:
        """No re-decision to come: forget the raw samples and stop sharing fits."""
        self._raw.drop()
        self._fits.close()

    def close(self) -> None:
        """Abandon a pending re-decision (its daemon thread never delays the exit)."""
        self._pending = None

    # -- stepping ---------------------------------------------------------------------------

    def step(self, *, wait: bool = False) -> LiveAngles | None:
        """As :meth:`LiveAnglePipeline.step`, with the re-decisions started and switched in."""
        out = self.live.step()
        if not self.live.calibrated or out is None or not out.columns:
            return self._released(out, wait)
        self._held.append(out)
        if self.live.buffered_to_s() > self._raw.exact_to_s:  # type: ignore[operator]
            self._fits.freeze()
        self._start_due()
        return self._released(None, wait)

    def _start_due(self) -> None:
        """Start the next re-decision once every sensor's rows reach its time (none pending)."""
        if self._pending is not None or not self._times:
            return
        reached = self.live.buffered_to_s()
        if reached is None or reached < self._times[0] or self.live.outages():
            return
        at = self._times.pop(0)
        self._raw.pin(at)
        snapshot = self._raw.snapshot()
        self._pending = (at, _in_background(lambda: self._redecided(snapshot, at)))

    def _redecided(self, parts: dict, at: float) -> LiveAnglePipeline | None:
        """A fresh pipeline calibrated on the samples up to ``at`` (background thread)."""
        fresh = self._fresh()
        _replay(parts, fresh, -np.inf, at)
        fresh.step()
        assert self._windows is not None
        try:
            fresh.calibrate(self._windows)
        except Exception:  # a failed re-decision keeps the calibration in force
            return None
        _replay(parts, fresh, at, np.inf)
        return fresh

    def _released(self, out: LiveAngles | None, wait: bool) -> LiveAngles | None:
        """The rows that can go out now: before the pending switch row, or all once decided.

        A pending re-decision is settled once the calibration in force has reached its
        switch row (so which rows come from which calibration does not depend on how fast
        the background work was) and the work is done (``wait``: waited for).
        """
        if self._pending is not None:
            at, future = self._pending
            switch_s = at + switch_delay_s(at, self.calibrated_at_s)
            reached = self.live.buffered_to_s()
            if reached is None or reached < switch_s or not (future.done() or wait):
                return self._out(self._take_before(switch_s)) or out
            self._pending = None
            fresh = future.result()
            if fresh is not None:
                self._maybe_switch(fresh, at, switch_s)
                self._provisional(fresh.calibration, switch_s)
            self._raw.pin(np.inf)
            if not self._times:
                self._drop_history()
        return self._out(self._take_before(np.inf)) or out

    def _provisional(self, cal: CalibrationResult | None, from_s: float) -> None:
        """Take ``cal``'s provisional pelvis angles as in force from ``from_s`` on."""
        new = provisional_pelvis(cal, self.placements)
        if new != self.provisional or not self.provisional_log:
            self.provisional = new
            self.provisional_log.append((from_s, new))

    def _take_before(self, t_s: float) -> list[LiveAngles]:
        """The held rows before ``t_s`` (taken out of the hold)."""
        out, keep = [], []
        for a in self._held:
            cut = int(np.searchsorted(a.t_s, t_s - 0.5 / self.rate_hz))
            if cut > 0:
                out.append(_rows(a, 0, cut))
            if cut < a.t_s.size:
                keep.append(_rows(a, cut, a.t_s.size))
        self._held = keep
        return out

    def _out(self, parts: list[LiveAngles]) -> LiveAngles | None:
        """``parts`` joined, without rows before the next one to return (None: no rows)."""
        parts = [
            _rows(a, int(np.searchsorted(a.t_s, self._next_t - 0.5 / self.rate_hz)), a.t_s.size)
            for a in parts
        ]
        parts = [a for a in parts if a.t_s.size]
        if not parts:
            return None
        self._next_t = float(parts[-1].t_s[-1]) + 1.0 / self.rate_hz
        return self._doubted(
            LiveAngles(
                t_s=np.concatenate([a.t_s for a in parts]),
                columns={
                    c: np.concatenate([a.columns[c] for a in parts]) for c in parts[0].columns
                },
                rate_mixing=_joined_mixing(parts),
                vertical_share=_joined_mixing(parts, "vertical_share"),
                stand_in=_joined_mixing(parts, "stand_in"),
            )
        )

    def _doubted(self, a: LiveAngles) -> LiveAngles:
        """``a`` with its rows' timed bounds; :attr:`session_doubts` taken on its rows too."""
        bounds = self._doubts.update(self.live.calibration, a.vertical_share, a.columns)
        now = dict(self._doubts.uncertain)
        if now != self.session_doubts or (now and not self.session_doubts_log):
            self.session_doubts = now
            self.session_doubts_log.append((float(a.t_s[-1]) + 0.5 / self.rate_hz, now))
        return dataclasses.replace(a, doubt_bounds=bounds) if bounds else a

    def _maybe_switch(self, fresh: LiveAnglePipeline, at: float, switch_s: float) -> None:
        """Take ``fresh`` into use from ``switch_s`` on when it changed a decision.

        The held rows before ``switch_s`` stay (the calibration in force); from it on, the
        fresh pipeline's, once it has caught up with the samples that arrived meanwhile (a
        sample it already has is dropped by its buffer).
        """
        old, new = self.live.calibration, fresh.calibration
        assert old is not None
        assert new is not None
        changed = changed_segments(old, new)
        if not changed:
            return
        before = self._take_before(switch_s)
        self._raw.replay(fresh, at, np.inf)
        rest = fresh.step()
        after = [] if rest is None else self._from(rest, switch_s)
        self._held = [*before, *after]
        self.live = fresh
        self.switches.append(
            Switch(at_s=switch_s, data_to_s=at, changed=changed, uncertain=new.uncertain_angles())
        )

    def _from(self, a: LiveAngles, t_s: float) -> list[LiveAngles]:
        """``a``'s rows from ``t_s`` on (a list of none or one)."""
        cut = int(np.searchsorted(a.t_s, t_s - 0.5 / self.rate_hz))
        return [_rows(a, cut, a.t_s.size)] if cut < a.t_s.size else []


def _in_background(work: Callable[[], LiveAnglePipeline | None]) -> Future:
    """``work()`` on a daemon thread; its result or exception in the future returned.

    A re-decision still running when the session ends (Ctrl-C, ``q``) is abandoned, not
    waited for: a pool's worker held the exit for as long as the replay of the session took
    (7 s for a 10-min session on a loaded machine).
    """
    future: Future[LiveAnglePipeline | None] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the step that takes the result
            future.set_exception(exc)

    threading.Thread(target=run, name="redecide", daemon=True).start()
    return future


def _rows(a: LiveAngles, i: int, j: int) -> LiveAngles:
    """Rows ``[i, j)`` of ``a``."""
    return LiveAngles(
        t_s=a.t_s[i:j],
        columns={c: v[i:j] for c, v in a.columns.items()},
        rate_mixing={c: v[i:j] for c, v in a.rate_mixing.items()},
        vertical_share={c: v[i:j] for c, v in a.vertical_share.items()},
        stand_in={c: v[i:j] for c, v in a.stand_in.items()},
    )


def _joined_mixing(parts: list[LiveAngles], name: str = "rate_mixing") -> dict[str, FloatArray]:
    """The parts' ``rate_mixing`` (or per-row field ``name``) joined, on the keys all have."""
    fields = [getattr(a, name) for a in parts]
    common = set.intersection(*(set(f) for f in fields))
    return {c: np.concatenate([f[c] for f in fields]) for c in fields[0] if c in common}
