"""Joint angles and envelope cues during a live session (the live view's last panel).

:class:`LiveAngles` is a session sink: every aligned batch goes into the causal angle
pipeline (``analysis.angles.live``); on each screen tick it puts the new grid points on the
angles, calibrates as soon as the guided protocol's stand and movements are done, and runs
the envelope monitor (``analysis.envelope.monitor``), whose cues appear the moment a rule breaks.
:meth:`panel` renders it for :class:`~cli.live_view.LiveView`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analysis.angles.live import HOLD_S, Outage
from analysis.angles.live_redecide import RedecidingPipeline, Switch
from analysis.angles.live_redecide_doubts import KneeTissueSoFar
from analysis.angles.off_body import lying_apart, lying_words, settled_since
from analysis.envelope.monitor import EnvelopeMonitor, MonitorState
from analysis.envelope.profiles import Profile, angle_column_for, measured_column_for
from analysis.envelope.unchecked import not_checked, not_checked_sentence
from analysis.errors import CalibrationError
from analysis.recording.streams import Gap, Marker
from cli.live_feed import STATE_WORDS, SessionTally, display_state, hold_in_progress, joint_of
from cli.live_lag import LagWatch
from sensors.session.protocol import GuidedProtocol
from sensors.session.types import AlignedBatch

APART_CHECK_S = 0.5
"""Session seconds between two looks, before the stand, for a sensor lying apart from the
body (``analysis.angles.off_body.lying_apart``)."""

APART_WAIT_MAX_S = 60.0
"""Session seconds the guide waits for a sensor lying apart that is not touched at all; then
it goes on without waiting (a foot planted very still beside swaying sensors reads so too)."""

MOVEMENTS_WAIT_S = HOLD_S
"""Session seconds of the other sensors' data past the movements' end after which a sensor
that has not reached it is taken as silent, and the movements are judged without it: the
pipeline's bound for a sensor out (``analysis.angles.live.HOLD_S``). On a loaded 2-core
machine one sensor's samples lagged the others' by up to 9 s at 2× (5 s was too short)."""

_STATUS_STYLE = {
    "ok": "green",
    "outside": "bold white on red",
    "not_engaged": "dim",
    "not_measured": "dim italic",
    "uncertain": "italic yellow",
}

_SHOWN_STYLE = {
    "inside": "green",
    "near": "bold yellow",
    "outside": "bold white on red",
    "uncertain": "bold magenta",
    "sensor_out": "bold magenta",
    "not_engaged": "dim",
    "not_measured": "dim italic",
}
"""Terminal style of a rule's shown state (``cli.live_feed.display_state``)."""


def outage_words(outage: Outage) -> str:
    """One sensor's outage for the screen, e.g. "right foot sensor out since 42.0 s".

    A frozen sensor (one sample repeated: it stopped measuring) says so: "right shank sensor
    frozen since 45.0 s (the same sample repeated)".
    """
    who = outage.placement.replace("_", " ")
    if outage.frozen:
        words = f"{who} sensor frozen since {outage.since_s:.1f} s (the same sample repeated)"
    else:
        words = f"{who} sensor out since {outage.since_s:.1f} s"
    if outage.lost:
        words += " (too long to resume: restart the session to calibrate again)"
    return words


def judge_outages(
    state: MonitorState, outages: Sequence[Outage], *, side: str, available: Collection[str]
) -> MonitorState:
    """``state`` with every rule whose angle a sensor out leaves without data not judged.

    Such a rule is ``sensor_out`` with the sensor and since when as its reason: never
    inside, never outside, no cue. The other rules stay as the monitor judged them (and go
    on cueing); ``outside`` is recomputed from them. ``available`` are the angle columns the
    session gives (which column judges a rule, as the monitor chose it).
    """
    gone = {c: o for o in outages for c in o.columns}
    if not gone:
        return state
    rules = []
    for r in state.rules:
        o = gone.get(measured_column_for(r.rule, side, dict.fromkeys(available)))
        if o is None or r.status == "not_measured":
            rules.append(r)
            continue
        rules.append(
            dataclasses.replace(
                r, status="sensor_out", angle_deg=None, cue=None, reason=outage_words(o)
            )
        )
    outside = state.engaged and any(r.status == "outside" for r in rules)
    cues = tuple(c for c in state.new_cues if any(r.cue == c for r in rules))
    return dataclasses.replace(state, rules=tuple(rules), outside=outside, new_cues=cues)


def open_gaps(outages: Sequence[Outage]) -> frozenset[str]:
    """The angle columns whose sensor is out now and may come back (not lost).

    Their gap at the end of the angles is still open: an engagement requirement on one keeps
    its last state through it (``EnvelopeMonitor.open_gaps``). A lost sensor's angles come
    back only with a new calibration, so nothing is carried for it.
    """
    return frozenset(c for o in outages if not o.lost for c in o.columns)


def carried_words(state: MonitorState) -> str | None:
    """What the stretch is judged on while a requirement's angle has no data (None: nothing).

    E.g. "no left knee flexion now: read as still meeting the stretch's requirement as when
    last measured; the other angles are judged".
    """
    if not state.carried:
        return None
    names = " and ".join(c.removesuffix("_deg").replace("_", " ") for c in state.carried)
    return (
        f"no {names} now: read as still meeting the stretch's requirement as when last "
        "measured; the other angles are judged"
    )


def stand_in_column(
    profile: Profile, side: str, outages: Sequence[Outage], newest: Mapping[str, float]
) -> str | None:
    """The thigh-inclination column deciding the stretch's engagement now (None: none does).

    It decides while the pelvis is out and may come back (not lost), every engagement angle
    before it in ``profile`` (hip flexion) has no value at the newest row and it has one
    (``newest``: each column's value there, deg; the live stand-in is NaN elsewhere, as
    ``analysis.angles.live.LiveAngles.stand_in``).
    """
    if not any(o.placement == "pelvis" and not o.lost for o in outages):
        return None
    for crit in profile.engaged.criteria:
        column = angle_column_for(crit.angle, side)
        value = newest.get(column)
        has_value = value is not None and math.isfinite(value)
        if crit.angle == "thigh_inclination":
            return column if has_value else None
        if has_value:
            return None
    return None


_BODY_WORDS = {"trunk": "back", "head": "neck"}
"""Plain words for a rule's joint (``cli.live_feed.joint_of``) where they differ."""

_BODY_ORDER = ("hip", "pelvis", "back", "neck", "knee", "ankle")
"""The order the words name the body parts in (the pelvis's first, then the leg's)."""


def _joints_words(rules: Sequence[str]) -> str:
    """The body parts of ``rules`` in plain words, once each, e.g. "hip, pelvis and back"."""
    named = {_BODY_WORDS.get(joint_of(r), joint_of(r)) for r in rules}
    parts = sorted(named, key=lambda w: (_BODY_ORDER.index(w) if w in _BODY_ORDER else 99, w))
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def stand_in_words(column: str | None, state: MonitorState | None) -> str | None:
    """What tells whether the person is in the stretch while the pelvis is out (None: nothing).

    ``column``: :func:`stand_in_column`'s. E.g. "pelvis sensor out: your right thigh's tilt
    now tells whether you are in the stretch; knee and ankle still checked, hip, pelvis and
    back not until the pelvis sensor is back". The rules named are ``state``'s: judged
    (checked; an ``uncertain`` one is not named) and without data (``sensor_out``).
    """
    if column is None:
        return None
    thigh = column.removesuffix("_inclination_deg").replace("_", " ")
    words = f"pelvis sensor out: your {thigh}'s tilt now tells whether you are in the stretch"
    rules = () if state is None else state.rules
    checked = [r.rule for r in rules if r.status not in ("sensor_out", "not_measured", "uncertain")]
    out = [r.rule for r in rules if r.status == "sensor_out"]
    if checked:
        words += f"; {_joints_words(checked)} still checked"
    if out:
        until = "not until the pelvis sensor is back"
        words += f"{',' if checked else ';'} {_joints_words(out)} {until}"
    return words


KNEE_SUFFIX = "_knee_flexion_deg"
"""How a knee's flexion column ends (``<side>_knee_flexion_deg``)."""


def approximate_knees(
    tissue: Mapping[str, KneeTissueSoFar], doubted: Collection[str]
) -> dict[str, Mapping[str, str]]:
    """Per knee column, its soft-tissue entry on the rows so far (the report's, live).

    ``tissue``: each knee column's rows so far; ``doubted``: the columns uncertain for
    another reason, which keep their own words (as the report's ``_tissue_knees``). A knee
    whose tissue alone stays within its target has none.
    """
    out: dict[str, Mapping[str, str]] = {}
    for column, rows in tissue.items():
        entry = None if column in doubted else rows.entry(column.removesuffix(KNEE_SUFFIX))
        if entry is not None:
            out[column] = entry
    return out


def _rate_from(pending: dict[str, list[AlignedBatch]]) -> float:
    """The fastest sensor's rate from its first samples (fallback when none is configured)."""
    rates = []
    for batches in pending.values():
        t = np.concatenate([b.t_s for b in batches])
        if t.size >= 2:
            rates.append(1.0 / float(np.median(np.diff(t))))
    return round(max(rates), 2) if rates else 100.0


def uncertain_words(uncertain: Mapping[str, Mapping[str, str]]) -> str | None:
    """Why the calibration leaves angles uncertain and what to do next time (None: nothing)."""
    if not uncertain:
        return None
    first = next(iter(uncertain.values()))
    return (
        f"uncertain for this session: {first['reason']}. Next time: {first['redo']} "
        "(restart the session to calibrate again)"
    )


def provisional_words(provisional: Mapping[str, Mapping[str, str]]) -> str | None:
    """Why angles are uncertain until a re-decision confirms the pelvis axis (None: none)."""
    if not provisional:
        return None
    first = next(iter(provisional.values()))
    return (
        f"uncertain for now: {first['reason']} — it is taken again as the session goes on "
        "(the lean into the stretch shows more of it)"
    )


class LiveAngles:
    """Sink + panel: causal angles, the envelope state and cues for one live session."""

    def __init__(
        self,
        placements: tuple[str, ...],
        *,
        rate_hz: Callable[[], float | None],
        profile: Profile,
        side: str,
        protocol: GuidedProtocol,
        on_cue: Callable[[str], None] | None = None,
        markers: Sequence[Marker] = (),
    ) -> None:
        self.placements = placements
        self._rate_hz = rate_hz
        self.profile = profile
        self.side = side
        self.protocol = protocol
        self.on_cue = on_cue
        self.markers = markers
        """The session's marks (a live list): a test's movement is not cued."""
        self.monitor = EnvelopeMonitor(profile, side=side, markers=markers)
        self.pipeline: RedecidingPipeline | None = None
        self.state: MonitorState | None = None
        self.latest: dict[str, float] = {}
        self.problem: str | None = None
        self.last_cue: str | None = None
        self.tally = SessionTally()
        self.outages: tuple[Outage, ...] = ()
        """Sensors out at the last tick: their angles are a gap, their rules not judged."""
        self.angles_t_s: float | None = None
        """Session time of the newest angle sample (None before calibration)."""
        self._newest: dict[str, float] = {}
        """Each column the monitor judges (the angles and the stand-ins) at the newest row."""
        self.lag = LagWatch()
        """How far the screen is behind the sensors (a busy computer), judged every tick."""
        self.again: str | None = None
        """After a calibration that left angles uncertain: why, and what to do next time."""
        self._pending: dict[str, list[AlignedBatch]] = {p: [] for p in placements}
        self._retry_at = -math.inf
        self._grid = (0.0, 0.0)
        """Rate (Hz) and start (session s) of the angle grid, once it started."""
        self._history: list[AlignedBatch] = []
        """Every batch until the movements are accepted: asking them again restarts the
        angle pipeline on the whole session so far (the stand stays the same)."""
        self._provisional: dict[str, Mapping[str, str]] = {}
        """The provisional pelvis angles the monitor was told (``_take_provisional``)."""
        self._session_doubts: dict[str, Mapping[str, str]] = {}
        """The session's doubts the monitor was told (``_take_session_doubts``)."""
        self.redecided: list[Switch] = []
        """The calibration's re-decisions taken into use (``analysis.angles.live_redecide``):
        each changed an axis, a sign or what is uncertain; the sidecar lists them."""
        self.apart: dict[str, float] = {}
        """Sensors seen lying apart from the body before the stand, and since when (session
        s); the guide waits for them (:meth:`_wait_for_the_body`)."""
        self._apart_checked_s = -math.inf
        self._apart_given_up: set[str] = set()
        self._apart_words: str | None = None
        self.tissue: dict[str, KneeTissueSoFar] = {}
        """Per knee column, its rows so far for the soft tissue's precision (the report's
        approximate knee, :func:`approximate_knees`; the tally holds the entries)."""

    @property
    def calibrated(self) -> bool:
        """Angles are flowing (the pipeline is calibrated)."""
        return self.pipeline is not None and self.pipeline.calibrated

    # --- sink ------------------------------------------------------------------------------

    def on_samples(self, batch: AlignedBatch) -> None:
        """Queue a sensor's samples for the angle pipeline."""
        if batch.placement not in self._pending or batch.t_s.size == 0:
            return
        if self.pipeline is None:
            self._pending[batch.placement].append(batch)
            if all(self._pending.values()):  # every sensor has spoken: the grid can start
                t0 = max(b[0].t_s[0] for b in self._pending.values())
                rate = self._rate_hz() or _rate_from(self._pending)
                self.pipeline = RedecidingPipeline(self.placements, rate_hz=rate, t0_s=t0)
                self._grid = (rate, t0)
                for batches in self._pending.values():
                    for b in batches:
                        self.pipeline.push(b.placement, b.t_s, b.acc_m_s2, b.gyr_rad_s)
                        self._history.append(b)
                self._pending = {p: [] for p in self.placements}
            return
        self.pipeline.push(batch.placement, batch.t_s, batch.acc_m_s2, batch.gyr_rad_s)
        if not self.calibrated:
            self._history.append(batch)

    def on_gap(self, gap: Gap) -> None:
        """Nothing to do: the angle pipeline finds gaps in the samples' own times.

        A sensor silent for ``analysis.angles.live.OUT_AFTER_S`` is out: the other angles go
        on, the ones that need it are NaN (a gap, as offline) and their rules not judged.
        """

    # --- tick --------------------------------------------------------------------------------

    def tick(self, now_s: float) -> None:
        """Process what arrived, then judge how far behind the sensors the screen is."""
        self._process(now_s)
        self.lag.update(now_s, self._shown_t_s())

    def _shown_t_s(self) -> float | None:
        """Session time of the newest sample behind what the screen shows (None: none yet).

        The newest angle once calibrated; before, the newest sample of any sensor.
        """
        if self.angles_t_s is not None:
            return self.angles_t_s
        return None if self.pipeline is None else self.pipeline.newest_s()

    def _process(self, now_s: float) -> None:
        """Process what arrived: calibrate when possible, then angles and the envelope."""
        if self.pipeline is None:
            return
        out = self.pipeline.step()
        self.outages = self.pipeline.outages()
        if not self.pipeline.calibrated:
            if self._wait_for_the_body(now_s):
                return
            windows = self.protocol.to_check(now_s)
            if (
                windows is not None
                and windows.functional_s is not None
                and now_s >= self._retry_at
                and self._movements_arrived(windows.functional_s[1])
            ):
                try:
                    cal = self.pipeline.calibrate(windows)
                    self.problem = None
                except CalibrationError as exc:
                    self.problem = f"calibration failed: {exc}"
                    self._retry_at = now_s + 5.0
                    return
                self._judge_movements(now_s, cal.uncertain_angles())
            return
        self._take_redecisions()
        self._take_twist_doubts()
        self._take_provisional()
        self._take_session_doubts()
        if out is None or not out.columns:
            return
        self.latest = {c: float(v[-1]) for c, v in out.columns.items() if np.isfinite(v[-1])}
        self._newest = {c: float(v[-1]) for c, v in out.judged.items()}
        self.angles_t_s = float(out.t_s[-1])
        self._take_knees(out.columns)
        self.monitor.timed = self.pipeline.timed_words
        self.monitor.open_gaps = open_gaps(self.outages)
        state = self.monitor.update(out.t_s, out.judged, out.rate_mixing, out.doubt_bounds)
        if state is None:
            return
        state = judge_outages(state, self.outages, side=self.side, available=out.columns)
        self.state = state
        self.tally.update(state)
        for cue in state.new_cues:
            self.last_cue = cue
            if self.on_cue is not None:
                self.on_cue(cue)

    def _wait_for_the_body(self, now_s: float) -> bool:
        """Hold the guide while a sensor lies apart from the body; True while it waits.

        Every :data:`APART_CHECK_S` of session time before the movements are judged, the rows
        so far are read for a sensor lying still without the body's sway
        (``analysis.angles.off_body.lying_apart``). While one does, the steps start afresh
        at each check and the screen says so (:attr:`problem`); once it moved and settled,
        the steps start from then (``settled_since``): the quiet stand is on the body. A
        sensor not even moved within :data:`APART_WAIT_MAX_S` is no longer waited for.
        """
        if self.protocol.attempts or now_s < self._apart_checked_s + APART_CHECK_S:
            return bool(self.apart)
        self._apart_checked_s = now_s
        assert self.pipeline is not None
        session = self.pipeline.history_session()
        if session is None:
            return bool(self.apart)
        for p in lying_apart(session):
            if p not in self._apart_given_up:
                self.apart.setdefault(p, now_s)
        for p, since in list(self.apart.items()):
            if now_s - since > APART_WAIT_MAX_S and not settled_since(session, p):
                self._apart_given_up.add(p)  # still untouched: maybe a very still foot after all
                del self.apart[p]
        settled = {p: settled_since(session, p) for p in self.apart}
        done = [t for t in settled.values() if t is not None]
        if len(done) == len(settled):
            if done:
                self.protocol.hold_until(max(done))
            self.apart = {}
            self._say_apart(None)
            return False
        self.protocol.hold_until(now_s)
        self._say_apart("; ".join(lying_words(p) for p, t in settled.items() if t is None))
        return True

    def _say_apart(self, words: str | None) -> None:
        """Show ``words`` as the problem line, or take the lying sensor's words away (None)."""
        if words is not None:
            self.problem = self._apart_words = words
        elif self._apart_words is not None and self.problem == self._apart_words:
            self.problem = self._apart_words = None

    def _take_knees(self, columns: Mapping[str, np.ndarray]) -> None:
        """Add the new rows of each knee; the tally's approximate readings follow them."""
        for column, rows in columns.items():
            if column.endswith(KNEE_SUFFIX):
                self.tissue.setdefault(column, KneeTissueSoFar()).add(rows)
        self.tally.approximate = approximate_knees(self.tissue, self.monitor.uncertain)

    def _take_redecisions(self) -> None:
        """Judge the rules by the uncertain angles of every new re-decided calibration.

        The angles from its row on are already the re-decided ones (the pipeline switched);
        the monitor's uncertain angles and the words under the rules follow it.
        """
        assert self.pipeline is not None
        new = self.pipeline.switches[len(self.redecided) :]
        for switch in new:
            self.redecided.append(switch)
            self.monitor.uncertain = dict(switch.uncertain)
            self.again = uncertain_words(switch.uncertain)
            self._provisional = {}  # the provisional angles are told again (_take_provisional)
            self._session_doubts = {}  # and the session's doubts (_take_session_doubts)

    def _take_twist_doubts(self) -> None:
        """Judge hip rotation as uncertain once the thigh's twist lying or sitting is undecided.

        The monitor's uncertain angles gain the pipeline's twist doubts (an angle already
        uncertain keeps its reason), and the words under the rules say why if nothing else
        does (``LiveAnglePipeline.twist_doubts``).
        """
        assert self.pipeline is not None
        doubts = self.pipeline.twist_doubts()
        new = {c: v for c, v in doubts.items() if c not in self.monitor.uncertain}
        if new:
            self.monitor.uncertain.update(new)
            if self.again is None:
                self.again = uncertain_words(new)

    def _take_provisional(self) -> None:
        """Judge the angles about a pelvis axis from the bows alone as uncertain until confirmed.

        The pipeline's provisional angles (``RedecidingPipeline.provisional``) join the
        monitor's uncertain ones (an angle already uncertain keeps its reason) and leave them
        once a re-decision confirms the axis; the words under the rules say why meanwhile.
        """
        assert self.pipeline is not None
        now = self.pipeline.provisional
        if now == self._provisional:
            return
        for c, v in self._provisional.items():
            if self.monitor.uncertain.get(c) is v:
                del self.monitor.uncertain[c]
        if self.again is not None and self.again == provisional_words(self._provisional):
            self.again = None
        self._provisional = dict(now)
        new = {c: v for c, v in now.items() if c not in self.monitor.uncertain}
        self.monitor.uncertain.update(new)
        if new and self.again is None:
            self.again = provisional_words(new)

    def _take_session_doubts(self) -> None:
        """Judge the angles the session so far leaves uncertain as the report will.

        The pipeline's session doubts (``RedecidingPipeline.session_doubts``: a thigh's
        hinge lean, a pelvis axis from the leans) replace the ones told before in the
        monitor's uncertain angles (an angle already uncertain for another reason keeps it);
        the words under the rules say why if nothing else does.
        """
        assert self.pipeline is not None
        now = self.pipeline.session_doubts
        if now == self._session_doubts:
            return
        for c, v in self._session_doubts.items():
            if self.monitor.uncertain.get(c) is v:
                del self.monitor.uncertain[c]
        self._session_doubts = dict(now)
        new = {c: v for c, v in now.items() if c not in self.monitor.uncertain}
        self.monitor.uncertain.update(new)
        if new and self.again is None:
            self.again = uncertain_words(new)

    @property
    def stand_in(self) -> str | None:
        """The thigh-inclination column deciding the engagement now (:func:`stand_in_column`)."""
        return stand_in_column(self.profile, self.side, self.outages, self._newest)

    def stand_in_line(self) -> str | None:
        """The screen's line while a stand-in decides the engagement (:func:`stand_in_words`)."""
        return stand_in_words(self.stand_in, self.state)

    def sidecar(self) -> list[dict[str, object]] | None:
        """The re-decisions for the sidecar (``calibration_redecided``); None: none."""
        return [s.to_dict() for s in self.redecided] or None

    def close(self) -> None:
        """Stop the background re-decisions."""
        if self.pipeline is not None:
            self.pipeline.close()

    def _movements_arrived(self, end_s: float) -> bool:
        """Every sensor's samples reach the movements' end ``end_s``, or one never will.

        The calibration judges the whole movement window, not the part a slow host has
        delivered so far (samples arrive later than the prompt clock on a loaded machine).
        A sensor still short of it when the others' data are :data:`MOVEMENTS_WAIT_S` past
        it is taken as silent: the movements are judged without waiting for it.
        """
        assert self.pipeline is not None
        reached = self.pipeline.buffered_to_s()
        covered = reached is not None and reached + 1.0 / self.pipeline.rate_hz > end_s
        return covered or self.pipeline.newest_s() >= end_s + MOVEMENTS_WAIT_S

    def _judge_movements(self, now_s: float, uncertain: Mapping[str, Mapping[str, str]]) -> None:
        """Accept the calibration, or ask the movements again (the protocol bounds how often).

        Asked again: the angle pipeline restarts on the whole session so far and calibrates
        once the new movements end; the screen shows why (:attr:`again`).
        """
        shortfall = next(iter(uncertain.values()))["reason"] if uncertain else None
        if self.protocol.judge(now_s, shortfall):
            rate, t0 = self._grid
            self.pipeline.close()
            fresh = RedecidingPipeline(self.placements, rate_hz=rate, t0_s=t0)
            for b in self._history:
                fresh.push(b.placement, b.t_s, b.acc_m_s2, b.gyr_rad_s)
            self.pipeline = fresh
            self.again = f"not good enough: {shortfall}. Do the movements once more."
            return
        self._history = []
        self._check_calibration(uncertain)

    def _check_calibration(self, uncertain: Mapping[str, Mapping[str, str]]) -> None:
        """Judge the angles the calibration could not establish as uncertain.

        Also say which step to do better (e.g. the bows, when the pelvis barely tipped).
        """
        self.monitor = EnvelopeMonitor(
            self.profile, side=self.side, uncertain=uncertain, markers=self.markers
        )
        self.again = uncertain_words(uncertain)
        self.tissue = {}  # the knees' rows from the session's start (the report reads them)
        self._take_knees(getattr(self.pipeline, "history_knees", {}))
        self._provisional = {}  # told to this monitor at the next tick
        self._session_doubts = {}

    # --- display -----------------------------------------------------------------------------

    def scope_text(self, st: MonitorState) -> Text:
        """The rules no worn sensor measures, said under the verdict (empty when none)."""
        items = not_checked(st.rules, side=self.side, worn=self.placements)
        sentence = not_checked_sentence(items)
        out = Text()
        if sentence:
            if st.engaged and not st.outside and any(i.gating for i in items):
                sentence = f"inside for what is measured. {sentence}"
            out.append(f"\n{sentence}", style="yellow")
        return out

    def panel(self) -> RenderableType:
        """Angles, each rule's state and cue, and the hold timer; first, if late, by how much."""
        title = f"{self.profile.title} — {self.side} side"
        behind = self.lag.words()
        if behind is None:
            return Panel(self._body(), title=title, border_style="magenta")
        late = Text(behind, style="bold yellow")
        return Panel(Group(late, self._body()), title=title, border_style="magenta")

    def _body(self) -> RenderableType:
        """The panel's content: calibration progress, or angles, rules, cues and hold."""
        if self.pipeline is None or not self.pipeline.calibrated:
            text = Text(
                self.problem
                or self.again
                or "calibrating: angles appear after the knee bends and leg swings",
                style="yellow" if self.problem is None else "bold red",
            )
            for o in self.outages:
                text.append(f"\n{outage_words(o)}: calibration waits for it", style="bold red")
            return text
        st = self.state
        head = self._head(st)
        table = self._rules_table(st)
        parts: list[RenderableType] = [head, table]
        if self.again:
            parts.append(Text(self.again, style="yellow"))
        for line in self.tally.doubt_lines():
            parts.append(Text(line, style="yellow"))
        if self.last_cue and not (st is not None and st.outside):
            parts.append(Text(f"last cue: {self.last_cue}", style="bold red"))
        return Group(*parts)

    def _head(self, st: MonitorState | None) -> Text:
        """In or out of the stretch, the cue, the hold bar, what is not checked, sensors out."""
        head = Text()
        if (st is None or not st.engaged) and self.tally.stretch_ended:
            head.append(f"stretch ended — hold {self.tally.best_hold_s:.0f} s", style="bold")
            timing = self.tally.hold_timing()
            if timing is not None:
                head.append(f"\n{timing}", style="yellow")
        elif st is None or not st.engaged:
            head.append("not in the stretch yet", style="dim")
        elif st.outside:
            cue = next((r.cue for r in st.rules if r.cue), None)
            head.append(
                f"OUTSIDE: {cue}" if cue else "OUTSIDE the envelope", style="bold white on red"
            )
        elif any(r.status == "sensor_out" for r in st.rules):
            head.append("inside for what is measured (a sensor is out)", style="bold green")
        else:
            head.append("inside the envelope", style="bold green")
        if st is not None and st.hold_target_s is not None and st.engaged and not st.outside:
            done = min(st.hold_s / st.hold_target_s, 1.0) if st.hold_target_s else 0.0
            bar = "█" * round(20 * done) + "░" * (20 - round(20 * done))
            head.append(f"   hold {st.hold_s:5.1f} s / {st.hold_target_s:g} s ", style="bold")
            head.append(bar, style="blue")
            if hold_in_progress(st):
                head.append(" in progress", style="dim")
            if st.hold_s > 0 and st.hold_timing is not None:
                head.append(f"\n{st.hold_timing}", style="yellow")
        if st is not None:
            head.append_text(self.scope_text(st))
        for line in self._judged_on(st):
            head.append(f"\n{line}", style="magenta")
        for o in self.outages:
            gap = ", ".join(c.removesuffix("_deg").replace("_", " ") for c in o.columns)
            head.append(f"\n{outage_words(o)}: no {gap}", style="bold magenta")
        return head

    def _judged_on(self, st: MonitorState | None) -> list[str]:
        """The lines on what the stretch is judged on while a sensor is out.

        A carried requirement (:func:`carried_words`), a stand-in for the pelvis
        (:meth:`stand_in_line`).
        """
        lines = (None if st is None else carried_words(st), self.stand_in_line())
        return [line for line in lines if line is not None]

    def _rules_table(self, st: MonitorState | None) -> Table:
        """One row per rule: its angle now (or the gap), the limit, its shown state."""
        table = Table(expand=True, header_style="bold", box=None)
        for col in ("rule", "now", "allowed", "state"):
            table.add_column(col, justify="right" if col == "now" else "left")
        rules = {r.rule: r for r in (st.rules if st is not None else ())}
        for spec in self.profile.rules:
            now = rules.get(spec.name)
            column = measured_column_for(spec.name, self.side, self.latest)
            value = self.latest.get(column)
            shown = "—" if value is None else f"{value:+.0f}°"
            if now is not None and now.status == "sensor_out":
                shown = "gap"
            allowed = f"{'≤' if spec.upper else '≥'} {spec.limit_deg:g}°"
            if spec.advisory:
                allowed += " (advisory)"
            status = now.status if now is not None else "not_engaged"
            shown_state = display_state(status, value, spec)
            label = STATE_WORDS.get(shown_state, shown_state.replace("_", " "))
            table.add_row(
                spec.name.replace("_", " "),
                shown,
                allowed,
                Text(label, style=_SHOWN_STYLE.get(shown_state, "")),
            )
        return table
