"""The envelope during a live session: rule states, cues the moment a rule breaks, hold timer.

:class:`EnvelopeMonitor` keeps the last ``window_s`` seconds of angles and, at each update,
runs the very same :func:`analysis.envelope.checker.check_envelope` over them, reading the
state of the newest sample. The checker's dwell and hysteresis look only backwards from a
sample (a rule counts as broken once it has been past its edge for the dwell time), so the
newest sample's state is a causal decision and the live verdicts are, by construction, the ones
the report will show afterwards. One rule engine, two uses. The one difference: leaving the
stretch is only confirmed after the engagement dwell, so live the engagement criterion must
also hold at the newest sample (a knee straightening while the leg is lowered is not a "locked
knee"; the checker judges rules only there too). A requirement whose sensor is out right now
(:attr:`EnvelopeMonitor.open_gaps`) keeps its last sample's state through the gap at the
window's end, which the report, seeing both sides, settles later. A hold is live until the
movement out of it passes ``max_rate_deg_s``; the report places its end where that movement
began (where the rate rose through the release rate, a few tenths of a second earlier). So the
newest rows cannot decide a hold: one that runs to them is *open* (``MonitorState.hold_open``)
until the movement after it is seen, and a second of stillness at the newest rows may vanish
with the next rows: after the leg was lowered, the window's end is still engaged for the
engagement dwell, so the stillness reads as a hold until the next rows end the stretch
(measured: 18 such "holds" of 1.0–1.35 s over 25 live replays, none in the report). A hold
counts once it ended.

A hold's other readings (``Hold.timing_alternatives``: a pause at about the dwell, a lean at
about the release rate or the rate limit, an uncertain angle's rate, and — given the live
pipeline's ``rate_mixing`` — a trusted angle's rate at the share the pelvis axis's error may
add to it) are the checker's too: :attr:`MonitorState.hold` is the newest hold in the window
as the checker times it, readings included, so a live hold says what the report will.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.envelope.checker import STATE_OUTSIDE, check_envelope, engagement_condition
from analysis.envelope.profiles import Profile, angle_column_for
from analysis.envelope.results import EnvelopeResult, Hold, NearLatchRun
from analysis.recording.doubts import TimedDoubt
from analysis.recording.schema import T_S
from analysis.recording.streams import Marker

FloatArray = NDArray[np.float64]
LiveStatus = Literal["ok", "outside", "not_measured", "not_engaged", "uncertain", "sensor_out"]
"""``sensor_out`` is set by the live session, not by the monitor: a sensor the angle needs is
out (cli.live_angles.judge_outages)."""


@dataclass(frozen=True, kw_only=True)
class RuleNow:
    """One rule at the newest sample: status, current angle (deg) and the cue when outside."""

    rule: str
    status: LiveStatus
    angle_deg: float | None
    advisory: bool
    cue: str | None = None
    reason: str | None = None
    """For an ``uncertain`` rule: why its angle is not trusted and what to redo."""


@dataclass(frozen=True, kw_only=True)
class MonitorState:
    """The envelope at ``t_s``: engaged or not, every rule, the running hold, new cues."""

    t_s: float
    engaged: bool
    outside: bool
    rules: tuple[RuleNow, ...]
    hold_s: float
    """Duration of the hold in progress (0 when not holding)."""
    hold_target_s: float | None
    new_cues: tuple[str, ...]
    """Cues of rules that broke since the previous update (say them now)."""
    hold: Hold | None = None
    """The newest hold in the window (in progress or ended), as the checker times it: with its
    other readings (``Hold.timing_text``) when its timing hangs on one. None: no hold."""
    hold_open: bool = False
    """The newest hold runs to the newest sample: in progress, not decided. Its end is not
    known, nor, in its first second or so, whether it is a hold at all: the angle's rate at
    the newest rows is smoothed without the rows after them, and a movement seen next may
    turn out to have begun inside it (the stillness is then no hold). Count a hold once it
    has ended (:attr:`hold` with ``hold_open`` False); say an open one is in progress."""
    carried: tuple[str, ...] = ()
    """Engagement requirements' columns (e.g. the knee's) with no data at the newest sample
    because their sensor is out (:attr:`EnvelopeMonitor.open_gaps`), read as still meeting
    the requirement as their last sample did: the stretch is judged on the other angles.
    Settled when the sensor is back (met on both sides of the gap, as the report reads it)."""

    near_latch: tuple[NearLatchRun, ...] = ()
    """Runs in the window where a trusted rule's angle grazed the point a break counts from
    (``RuleResult.near_latch``: past the edge, within the angle's precision of that point, no
    episode), those that ended before the newest sample only: a run still going may yet
    become an episode. The report calls a rule with such a run and no break ``uncertain``;
    live the rule goes on being judged at each newest sample (its angle is trusted)."""

    @property
    def hold_timing(self) -> str | None:
        """The newest hold's timing in words when it has other readings (None otherwise)."""
        return None if self.hold is None else self.hold.timing_text()


OPEN_TEST_MAX_S: Final = 30.0
"""A "nerve or muscle?" test started and not answered yet counts as in progress this long."""


def with_open_test(markers: Sequence[Marker], now_s: float) -> list[Marker]:
    """``markers`` plus a provisional end at ``now_s`` for a test still in progress.

    A ``diff_start`` with no ``diff_end`` after it, started at most :data:`OPEN_TEST_MAX_S`
    ago, is being done right now: its movement must not be cued as a violation.
    """
    out = sorted(markers, key=lambda m: m.t_s)
    starts = [m for m in out if m.kind == "diff_start"]
    if not starts:
        return out
    last = starts[-1]
    ended = any(m.kind == "diff_end" and m.t_s >= last.t_s for m in out)
    if ended or not 0.0 <= now_s - last.t_s <= OPEN_TEST_MAX_S:
        return out
    return [*out, Marker(t_s=now_s, label="test in progress", kind="diff_end")]


def ended_near_latch(res: EnvelopeResult, now_s: float) -> tuple[NearLatchRun, ...]:
    """Every rule's near-latch runs in ``res`` that ended by ``now_s`` (the newest sample, s).

    A run ends at its last sample's end: one that takes in the newest sample ends after it.
    """
    return tuple(n for r in res.rules for n in r.near_latch if n.end_s <= now_s + 1e-9)


class EnvelopeMonitor:
    """Live envelope state for ``profile`` on ``side``; feed angles with :meth:`update`."""

    def __init__(
        self,
        profile: Profile,
        *,
        side: str,
        window_s: float = 90.0,
        uncertain: Mapping[str, Mapping[str, str]] | None = None,
        markers: Sequence[Marker] = (),
    ) -> None:
        self.profile = profile
        self.side = side
        self.uncertain = dict(uncertain or {})
        """``column → {"reason", "redo"}`` of angles the calibration could not establish."""
        self.markers = markers
        """The session's marks, read at every update (a live list may grow): a "nerve or
        muscle?" test's movement is not cued."""
        self.window_s = float(window_s)
        self._t: list[FloatArray] = []
        self._cols: dict[str, list[FloatArray]] = {}
        self._mix: dict[str, list[FloatArray]] = {}
        """Per column, the rate (°/s) its axis's error may add (the live pipeline's
        ``rate_mixing``: each row's from the row before it)."""
        self.timed: dict[str, Mapping[str, str]] = {}
        """``column → {"reason", "redo"}`` of the per-row bounds given to :meth:`update`
        (``doubt_bounds``): a rule on the angle is decided only beyond them, as offline."""
        self._bounds: dict[str, list[FloatArray]] = {}
        """Per column, how far (deg) each row may be off (0: trusted as read)."""
        self.open_gaps: frozenset[str] = frozenset()
        """Angle columns whose sensor is out right now (set by the live session before
        :meth:`update`): an engagement requirement on one keeps its last sample's state
        through the gap at the window's end (``check_envelope``'s ``open_gaps``)."""
        self._announced: set[tuple[str, float]] = set()
        self._hold_start: float | None = None

    def _append(
        self,
        t_s: FloatArray,
        columns: Mapping[str, FloatArray],
        mixing: Mapping[str, FloatArray],
        bounds: Mapping[str, FloatArray],
    ) -> None:
        held = sum(v.size for v in self._t)
        self._t.append(np.asarray(t_s, dtype=np.float64))
        for c, v in columns.items():
            self._cols.setdefault(c, []).append(np.asarray(v, dtype=np.float64))
        for rows, new in ((self._mix, mixing), (self._bounds, bounds)):
            for c in {*rows, *new}:
                if c not in rows:  # a column that had none so far: none before
                    rows[c] = [np.zeros(held)]
                m = new.get(c)
                rows[c].append(np.zeros(len(t_s)) if m is None else np.asarray(m, np.float64))
        t = np.concatenate(self._t)
        keep = t >= t[-1] - self.window_s
        self._t = [t[keep]]
        self._cols = {c: [np.concatenate(v)[keep]] for c, v in self._cols.items()}
        self._mix = {c: [np.concatenate(v)[keep]] for c, v in self._mix.items()}
        self._bounds = {c: [np.concatenate(v)[keep]] for c, v in self._bounds.items()}

    def _timed_doubts(self) -> dict[str, TimedDoubt]:
        """The window's timed doubts: the worded columns bounded above 0 on some row."""
        return {
            c: TimedDoubt(
                bound_deg=v[0], reason=self.timed[c]["reason"], redo=self.timed[c]["redo"]
            )
            for c, v in self._bounds.items()
            if c in self.timed and bool(np.any(v[0] > 0.0))
        }

    def _mixing(self) -> dict[str, FloatArray] | None:
        """The window's ``rate_mixing`` as the checker takes it (None: none given).

        A live row's value is that of the turn from the row before it; the checker's, of the
        turn to the row after (offline's): shifted back one row, the newest row keeping its own.
        """
        if not self._mix:
            return None
        return {c: np.concatenate([v[0][1:], v[0][-1:]]) for c, v in self._mix.items()}

    def update(
        self,
        t_s: FloatArray,
        columns: Mapping[str, FloatArray],
        rate_mixing: Mapping[str, FloatArray] | None = None,
        doubt_bounds: Mapping[str, FloatArray] | None = None,
    ) -> MonitorState | None:
        """Add new angle samples (``t_s`` ``(n,)``, angle columns in degrees) and judge.

        ``rate_mixing``: the live pipeline's (``analysis.angles.live.LiveAngles``) for the
        same rows; the holds are then timed at it as the report times them. ``doubt_bounds``:
        per column, how far (deg) each of the rows may be off (``LiveAngles.doubt_bounds``);
        the columns :attr:`timed` words are decided only beyond them, as the report's
        ``timed_doubts``.
        """
        if len(t_s) == 0 or not columns:
            return None
        self._append(t_s, columns, rate_mixing or {}, doubt_bounds or {})
        t = self._t[0]
        if t.size < 2:
            return None
        frame = pd.DataFrame({T_S: t, **{c: v[0] for c, v in self._cols.items()}})
        data = {c: v[0] for c, v in self._cols.items()}
        now = float(t[-1])
        marks = with_open_test(self.markers, now)
        res = check_envelope(
            frame,
            self.profile,
            side=self.side,
            uncertain=self.uncertain,
            markers=marks,
            rate_mixing=self._mixing(),
            timed_doubts=self._timed_doubts() or None,
            open_gaps=self.open_gaps,
        )
        met = engagement_condition(data, self.profile, side=self.side, open_gaps=self.open_gaps)
        engaged = bool(res.engaged[-1]) and (met is None or bool(met[-1]))
        rules, new_cues = self._rules_now(res, engaged, now)
        hold_s = 0.0
        if engaged and bool(res.in_hold[-1]):
            k = res.in_hold.size - 1
            while k > 0 and res.in_hold[k - 1]:
                k -= 1
            start = float(t[k])
            if k > 0 or self._hold_start is None:
                self._hold_start = start
            hold_s = now - self._hold_start
        else:
            self._hold_start = None
        target = self.profile.hold.target_s if self.profile.kind == "hold" else None
        return MonitorState(
            t_s=now,
            engaged=engaged,
            outside=engaged and bool(res.state[-1] == STATE_OUTSIDE),
            rules=tuple(rules),
            hold_s=hold_s,
            hold_target_s=target,
            new_cues=tuple(new_cues),
            hold=res.holds[-1] if res.holds else None,
            hold_open=bool(res.holds) and bool(res.in_hold[-1]),
            carried=self._carried(data) if engaged else (),
            near_latch=ended_near_latch(res, now),
        )

    def _carried(self, data: Mapping[str, FloatArray]) -> tuple[str, ...]:
        """The requirements' columns read through an open gap at the newest sample."""
        columns = (angle_column_for(req.angle, self.side) for req in self.profile.engaged.require)
        return tuple(
            c
            for c in columns
            if c in self.open_gaps
            and c in data
            and not np.isfinite(data[c][-1])
            and np.isfinite(data[c]).any()
        )

    def _rules_now(
        self, res: EnvelopeResult, engaged: bool, now: float
    ) -> tuple[list[RuleNow], list[str]]:
        """Every rule at the newest sample of ``res``, and the cues of those newly broken."""
        rules = []
        new_cues = []
        for r in res.rules:
            column = r.column or angle_column_for(r.rule, self.side)
            x = self._cols.get(column)
            angle = float(x[0][-1]) if x is not None and np.isfinite(x[0][-1]) else None
            if r.status == "not_measured":
                rules.append(
                    RuleNow(
                        rule=r.rule, status="not_measured", angle_deg=None, advisory=r.spec.advisory
                    )
                )
                continue
            # a rule uncertain only for an episode that hangs on an engagement run at about
            # its dwell (``RuleResult.gate_readings``), or for a run near its latch point
            # (``RuleResult.near_latch``), keeps its outside mask: its angle is trusted, and
            # the newest sample is judged as any other
            if r.status == "uncertain" and r.rule not in res.outside:
                why = f"{r.reason} — {r.redo}" if r.redo else r.reason
                rules.append(
                    RuleNow(
                        rule=r.rule,
                        status="uncertain",
                        angle_deg=angle,
                        advisory=r.spec.advisory,
                        reason=why,
                    )
                )
                continue
            out_now = engaged and bool(res.outside[r.rule][-1])
            current = next((e for e in reversed(r.episodes) if e.end_s >= now - 1e-9), None)
            cue = current.cue if (out_now and current is not None) else None
            if cue is not None and current is not None:
                key = (r.rule, round(current.start_s, 2))
                if key not in self._announced:
                    self._announced.add(key)
                    new_cues.append(cue)
            status: LiveStatus = "outside" if out_now else ("ok" if engaged else "not_engaged")
            rules.append(
                RuleNow(
                    rule=r.rule, status=status, angle_deg=angle, advisory=r.spec.advisory, cue=cue
                )
            )
        return rules, new_cues
