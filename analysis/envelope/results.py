"""What :func:`~.checker.check_envelope` returns.

Episodes, rule results, holds, marks, slider and repetition results, and
:class:`EnvelopeResult` (whose ``to_dict`` is ``envelope.json``).

Times are seconds on the session clock, intervals half-open ``[start_s, end_s)``, angles degrees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from analysis.envelope.clinical import (
    DifferentiationTest,
    SlrResult,
)
from analysis.envelope.document import envelope_document
from analysis.envelope.masks import BoolArray, FloatArray
from analysis.envelope.posture import PostureCheck
from analysis.envelope.profiles import (
    Profile,
    RuleSpec,
)
from analysis.envelope.unchecked import RULE_WORDS
from analysis.recording.stand import LateStand

Verdict = Literal["inside", "outside", "not_engaged"]
RuleStatus = Literal["ok", "violated", "not_measured", "uncertain"]

STATE_NOT_ENGAGED: Final = 0
STATE_INSIDE: Final = 1
STATE_OUTSIDE: Final = 2
STATE_NAMES: Final = ("not_engaged", "inside", "outside")
"""Per-sample verdict codes of :attr:`EnvelopeResult.state`."""


@dataclass(frozen=True, kw_only=True)
class Episode:
    """One stretch of time ``[start_s, end_s)`` outside one rule's edge.

    ``peak_deg`` is the worst angle reached (highest for an upper limit, lowest for a lower
    limit) at ``peak_t_s``; ``severity`` is ``"clear"`` when the peak passed the rule's
    ``warn_deg`` (or the rule has none) and ``"borderline"`` otherwise.
    """

    rule: str
    start_s: float
    end_s: float
    peak_deg: float
    peak_t_s: float
    cue: str
    severity: Literal["clear", "borderline"]
    advisory: bool

    @property
    def duration_s(self) -> float:
        """Length of the episode in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, kw_only=True)
class RuleResult:
    """The verdict of one rule: status, time outside and its episodes."""

    rule: str
    status: RuleStatus
    spec: RuleSpec
    column: str | None
    time_outside_s: float = 0.0
    judged_s: float = 0.0
    """Engaged time with a valid angle, i.e. the time this rule was actually checked."""
    episodes: tuple[Episode, ...] = ()
    reason: str | None = None
    """Why the rule is not measured (absent angle) or uncertain — None otherwise."""
    redo: str | None = None
    """For an ``uncertain`` rule: what to redo so that its angle can be trusted."""
    unconfirmed: tuple[Episode, ...] = ()
    """For an ``uncertain`` rule: the episodes its angle shows, which are not trusted."""
    excused: tuple[Episode, ...] = ()
    """Episodes that were the movement of a "nerve or muscle?" test the person performed
    (``analysis.envelope.clinical``): not violations, but they interrupt a hold."""
    confirmed_by: str | None = None
    """For a ``violated`` rule on an uncertain angle: why its episodes hold whatever the doubt
    ("found whichever of the pelvis's two flexion axes … is right"); ``reason`` is then the
    angle's doubt and ``unconfirmed`` the episodes not every reading shows. None otherwise."""
    gate_readings: tuple[GateReading, ...] = ()
    """Episodes whose existence hangs on a gate run of about its dwell (the stretch position
    held about the 2 s it must last to count): each in ``unconfirmed``, with the run and the
    other reading (:class:`GateReading`). Empty otherwise."""
    near_latch: tuple[NearLatchRun, ...] = ()
    """Runs of at least the dwell where the angle was past the edge but not past the point
    where a breach counts, within its precision of that point (:class:`NearLatchRun`): the
    sensors cannot tell whether the rule was broken there. A rule with no episode and such a
    run is ``uncertain``; a violated rule keeps its status and lists them. Empty otherwise."""


@dataclass(frozen=True, kw_only=True)
class NearLatchRun:
    """A run ``[start_s, end_s)`` where a rule's angle grazed the point a breach counts from.

    The angle was past the rule's edge ``limit_deg`` but not past ``latch_deg`` (half the
    hysteresis band beyond the edge, held the dwell: where a breach is recognised), coming
    to ``closest_deg`` at most, within ``precision_deg`` (how far the angle may be off) of
    ``latch_deg``. Degrees in the angle's own convention; times on the session clock.
    """

    rule: str
    start_s: float
    end_s: float
    closest_deg: float
    limit_deg: float
    latch_deg: float
    precision_deg: float

    @property
    def duration_s(self) -> float:
        """Length of the run in seconds."""
        return self.end_s - self.start_s

    def text(self) -> str:
        """The run in plain words, e.g. "the knee read 8.7° for 12 s (1:59–2:11), …"."""
        return (
            f"the {_rule_part(self.rule)} read {_deg_text(round(self.closest_deg, 1))}° for "
            f"{self.duration_s:.0f} s ({clock_text(self.start_s)}–{clock_text(self.end_s)}), "
            f"past the {_deg_text(self.limit_deg)}° limit and within its measuring error "
            f"({self.precision_deg:g}°) of {_deg_text(self.latch_deg)}°, the point where a "
            "break counts: the sensors cannot tell whether the limit was broken there"
        )


def near_latch_reason(runs: Sequence[NearLatchRun]) -> str:
    """An uncertain rule's reason for its near-latch ``runs`` (non-empty), as the checker words it.

    The first run in words (:meth:`NearLatchRun.text`) and how many more there were.
    """
    more = f" (and {len(runs) - 1} more such runs)" if len(runs) > 1 else ""
    return runs[0].text() + more


NEAR_LATCH_REDO: Final = (
    "keep clearly inside the limit during the stretch, or repeat it: a reading within the "
    "sensors' measuring error of the point where a break counts cannot be decided"
)
"""What to redo for a rule made uncertain by a run near its latch point (:class:`NearLatchRun`)."""


@dataclass(frozen=True, kw_only=True)
class GateReading:
    """An episode that one reading of a gate run at about its dwell has and the other not.

    The gate is the engagement: the stretch position (``met``: a run in it; else a run out of
    it) held ``run_s`` from ``run_start_s``, ``shortest_s``–``longest_s`` with its angles read
    ``precision_deg`` off (``analysis.envelope.gates.borderline_runs``), against the
    ``dwell_s`` it must last to count (to start the stretch, or to end it). ``counted``: the
    measured run lasted the dwell. ``episode``: the rule's episode in the reading that has
    it; ``measured``: whether that is the measured reading (else the other one: an episode
    the measured reading does not show).
    """

    gate: str
    run_start_s: float
    run_s: float
    shortest_s: float
    longest_s: float
    dwell_s: float
    precision_deg: float
    met: bool
    counted: bool
    measured: bool
    episode: Episode

    def text(self) -> str:
        """Both readings in plain words, e.g. "the ankle episode at 0:26–0:28 (peak 12°) …"."""
        e = self.episode
        part = _rule_part(e.rule)
        stay = "stay in the stretch position" if self.met else "step out of the stretch position"
        count = "count" if self.met else "end the stretch"
        run = (
            f"a {self.run_s:.2f}-s {stay} at {clock_text(self.run_start_s)}, about the "
            f"{self.dwell_s:g} s it must last to {count} ({self.shortest_s:.2f}–"
            f"{self.longest_s:.2f} s with the angles read {self.precision_deg:g}° off either way)"
        )
        # whether the stretch is there when the run counts (a stay) or when it does not (a step)
        other = "shorter" if self.counted else f"{self.dwell_s:g} s or longer"
        stretch = self.met != self.counted  # the other reading has the stretch there
        then = "that was the stretch" if stretch else "that was no stretch"
        if not self.met:
            then = "the stretch went on" if stretch else "the stretch ended there"
        where = (
            f"{clock_text(e.start_s)}–{clock_text(e.end_s)} (peak {_deg_text(round(e.peak_deg))}°)"
        )
        if self.measured:
            return f"the {part} episode at {where} lies in {run}: had it been {other}, {then} " + (
                "and no episode"
            )
        taken = "counted" if self.counted else "not counted"
        return (
            f"{run} was {taken}: had it been {other}, {then} and the {part} was past its limit "
            f"at {where}"
        )


GATE_REDO: Final = (
    "hold the stretch clearly longer than it takes to count, and keep other movements (the "
    "calibration's bends and swings) out of the stretch position"
)
"""What to redo for a rule whose every episode hangs on a gate run at about its dwell."""


@dataclass(frozen=True, kw_only=True)
class _OtherTiming:
    """What every other reading of a hold's timing has: the hold as that reading has it.

    ``start_s``/``end_s``: the hold of that reading overlapping the nominal one most, both
    None when that reading has no hold there. ``parts``: when that reading splits the hold
    (several of its holds overlap the nominal one), each of them ``(start_s, end_s)`` in time
    order, that one among them; empty otherwise.
    """

    start_s: float | None
    end_s: float | None
    parts: tuple[tuple[float, float], ...] = ()

    @property
    def duration_s(self) -> float:
        """Length of the hold in that reading, in seconds (0 when there is none)."""
        return _span_s(self.start_s, self.end_s)


@dataclass(frozen=True, kw_only=True)
class HoldAlternative(_OtherTiming):
    """The hold as it would be read if one pause at about the dwell were decided the other way.

    The pause ``[pause_start_s, pause_start_s + pause_s)`` (the engagement angle's rate under
    the release rate between two faster stretches) measured ``pause_s``, which is within
    ``precision_s`` (``analysis.envelope.pauses.pause_precision_s``) of the dwell ``dwell_s``.
    ``bridged``: the checker took it as shorter than the dwell (part of one movement). With
    the other decision the hold would run ``[start_s, end_s)``; both None when there would be
    no hold.
    """

    pause_start_s: float
    pause_s: float
    precision_s: float
    dwell_s: float
    bridged: bool


@dataclass(frozen=True, kw_only=True)
class RateAlternative(_OtherTiming):
    """The hold as read with its engagement angle ``rate_factor`` times as fast.

    ``rate_factor`` is ``analysis.envelope.checker.RATE_DOUBT_FACTOR`` or its inverse for an
    uncertain angle; ``1 ± analysis.envelope.pauses.rate_scale_precision`` for a trusted one
    (a lean peaking at about the release rate). Holds
    are timed on the engagement angle's rate (a slow lean under the release rate is part of
    the hold, a faster one next to a movement part of that movement); when the angle is
    uncertain (``EnvelopeResult.hold_timing_doubt``) its rate's scale is not established.
    ``start_s``/``end_s``: the hold of that reading overlapping this one most (None: none).
    """

    rate_factor: float


@dataclass(frozen=True, kw_only=True)
class ReadingAlternative(_OtherTiming):
    """The hold as timed under another reading of its uncertain engagement angle's calibration.

    Where that angle's doubt is between discrete calibrations (``check_envelope``'s
    ``other_readings``: a pelvis axis and its rival, a sign), the hold is timed under each
    other reading as under the angles' own; a reading whose hold starts or ends more than
    ``analysis.envelope.checker.READINGS_AGREE_S`` away is kept. ``reading``: the words of
    the readings ("found whichever of the pelvis's two flexion axes … is right");
    ``start_s``/``end_s``: that reading's hold overlapping this one most (None: none).
    """

    reading: str


@dataclass(frozen=True, kw_only=True)
class PeakAlternative(_OtherTiming):
    """The hold as it would be read if one movement at about the rate limit went the other way.

    A stretch of the engagement angle's rate over the release rate,
    ``[movement_start_s, movement_end_s)``, is a movement when its rate passes
    ``limit_deg_s`` (``max_rate_deg_s``) somewhere; its measured peak ``peak_deg_s`` is
    within ``precision_deg_s`` (``analysis.envelope.pauses.rate_precision_deg_s``) of it.
    ``moving``: the checker took it as a movement (getting in or out, not held). With the
    other decision the hold would run ``[start_s, end_s)``; both None when there would be no
    hold.
    """

    movement_start_s: float
    movement_end_s: float
    peak_deg_s: float
    precision_deg_s: float
    limit_deg_s: float
    moving: bool


@dataclass(frozen=True, kw_only=True)
class BandAlternative(_OtherTiming):
    """The hold as it would be read if a rule's episode ended when its angle came back inside.

    A breach ends only once the angle is half the hysteresis band back inside the edge
    (``release_deg``); an angle that comes back inside the edge ``limit_deg`` at ``return_s``
    and then stays between the edge and the release, going past the edge again by no more
    than ``past_deg`` (never far enough to start a breach on its own), keeps the episode of
    ``rule`` open until ``until_s`` (its last sample past the edge before the release). With
    the episode ending at ``return_s`` instead the hold would run ``[start_s, end_s)``.
    """

    rule: str
    return_s: float
    until_s: float
    limit_deg: float
    release_deg: float
    past_deg: float

    def text(self) -> str:
        """The condition in plain words, e.g. "the pelvis episode ended at 2:13, when …"."""
        part = _rule_part(self.rule)
        return (
            f"the {part} episode ended at {clock_text(self.return_s)}, when the angle came back "
            f"inside its limit of {_deg_text(self.limit_deg)}° (it then stayed short of the "
            f"{_deg_text(self.release_deg)}° an episode ends at, going back past the limit by "
            f"{self.past_deg:.2f}° at most, until {clock_text(self.until_s)})"
        )


@dataclass(frozen=True, kw_only=True)
class BorderlineAlternative(_OtherTiming):
    """The hold as it would be read if borderline episodes had been inside the envelope.

    ``episodes``: each gating episode (severity ``"borderline"``: its peak passed the edge by less
    than the rule's warn margin, so the angle may in truth have stayed inside) that ends,
    splits or starts the hold; with all of them taken as inside, the hold would run
    ``[start_s, end_s)`` (its other breaks, other rules' episodes and tests, kept).
    ``limits_deg``: each episode's rule's edge; ``warns_deg``: its warn angle, same order.
    """

    episodes: tuple[Episode, ...]
    limits_deg: tuple[float, ...]
    warns_deg: tuple[float, ...]

    def text(self) -> str:
        """The condition in plain words, e.g. "the pelvis went past its limit … was inside".

        Episodes of one rule with the same limit and warn angle are named together ("the
        pelvis at 1:16, 1:26 and 1:32 (peaks …) were really inside, for all that time or part
        of it").
        """
        groups: list[tuple[str, float, float, list[Episode]]] = []
        for e, limit, warn in zip(self.episodes, self.limits_deg, self.warns_deg, strict=True):
            if groups and groups[-1][:3] == (e.rule, limit, warn):
                groups[-1][3].append(e)
            else:
                groups.append((e.rule, limit, warn, [e]))
        each = []
        for rule, limit, warn, eps in groups:
            part = _rule_part(rule)
            at = _and_list([clock_text(e.start_s) for e in eps])
            peaks = _and_list([f"{_deg_text(round(e.peak_deg, 1))}°" for e in eps])
            each.append(
                f"the {part} at {at} (peak{'s' if len(eps) > 1 else ''} {peaks}, "
                f"past its limit of {_deg_text(limit)}° but short of {_deg_text(warn)}°, "
                "within what the sensors can tell apart)"
            )
        verb = "was" if len(self.episodes) == 1 else "were"
        return f"{_and_list(each)} {verb} really inside, for all that time or part of it"

    def hold_text(self) -> str:
        """One sentence for a hold that exists only in this reading (``possible_holds``).

        E.g. "2:19–2:34 (15 s) may have been a hold that is not counted: it was one if the
        pelvis at 2:04 (…) was really inside, for all that time or part of it (then a part of
        it was held)".
        """
        assert self.start_s is not None
        assert self.end_s is not None
        return (
            f"{clock_text(self.start_s)}–{clock_text(self.end_s)} "
            f"({self.end_s - self.start_s:.0f} s) may have been a hold that is not counted: it "
            f"was one if {self.text()} (then a part of it was held)"
        )


def _and_list(items: Sequence[str]) -> str:
    """``items`` joined as in plain writing: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True, kw_only=True)
class CombinedAlternative(_OtherTiming):
    """The hold as it would be read if several pauses or movements went the other way at once.

    ``of``: each pause at about the dwell (:class:`HoldAlternative`) or movement at about the
    rate limit (:class:`PeakAlternative`) decided the other way, each within its own
    precision (their ``start_s``/``end_s``/``parts``: the hold with that one alone decided
    the other way). Listed when deciding them together reads the hold otherwise than the
    nominal reading and every single one (e.g. its start hangs on one and its end on
    another).
    """

    of: tuple[HoldAlternative | PeakAlternative, ...]


def _deg_text(deg: float) -> str:
    """An angle in degrees as text, − before a negative one (e.g. "−98.5")."""
    return f"{deg:g}".replace("-", "\u2212")


TimingAlternative = (
    HoldAlternative
    | RateAlternative
    | ReadingAlternative
    | PeakAlternative
    | BandAlternative
    | BorderlineAlternative
    | CombinedAlternative
)
"""One other reading of a hold's timing (``Hold.timing_alternatives``)."""


def _span_s(start_s: float | None, end_s: float | None) -> float:
    """``end_s - start_s``, or 0 when either end is unknown (no hold in that reading)."""
    if start_s is None or end_s is None:
        return 0.0
    return end_s - start_s


def clock_text(t_s: float) -> str:
    """A time in seconds as ``m:ss`` (``h:mm:ss`` from an hour on), whole seconds, − before."""
    sign = "\u2212" if t_s < 0 else ""
    h, rest = divmod(round(abs(t_s)), 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


@dataclass(frozen=True, kw_only=True)
class ReadingEpisodes:
    """What another calibration reading of an uncertain gating rule's angle shows in a hold.

    Where the angle's doubt is between discrete calibrations (``check_envelope``'s
    ``other_readings``: the pelvis sensor facing one way or the other, one flexion axis or
    its rival), each other reading is judged as the angles' own. ``reading``: the words of
    that doubt's readings ("found whichever way the pelvis sensor faces (forward, back or to
    either side)"); ``episodes``: the
    episodes of the doubted gating rules under that reading, clipped to the hold (``peak_deg``
    and ``peak_t_s`` stay those of the whole episode), in time order. Had that reading been
    the right one, each of them would have broken the hold.
    """

    reading: str
    episodes: tuple[Episode, ...]


def parts_clear_of(
    start_s: float, end_s: float, episodes: Sequence[Episode | NearLatchRun | UnmeasuredRun]
) -> tuple[tuple[float, float], ...]:
    """The parts ``(start_s, end_s)`` of ``[start_s, end_s)`` clear of every one of ``episodes``.

    Seconds; in time order; the whole span when no episode overlaps it, none when they
    cover it.
    """
    parts, t = [], start_s
    for a, b in sorted((e.start_s, e.end_s) for e in episodes):
        if a > t:
            parts.append((t, min(a, end_s)))
        t = max(t, b)
    if end_s > t:
        parts.append((t, end_s))
    return tuple((a, b) for a, b in parts if b > a)


@dataclass(frozen=True, kw_only=True)
class PossibleStretch:
    """Time that may have been in the stretch, ``[start_s, end_s)``, but is not counted.

    The engagement criterion was met there and every requirement of it may have been, but
    one or more requirements on an uncertain angle (``columns``) read as not met: the angle
    cannot decide it, so the time is neither counted as stretching (no hold, no rule judged
    there) nor said to be out of the stretch. ``reason``: why those angles are uncertain.
    With ``by_criterion``, the angle that recognises a stretch (the criterion's, ``columns``)
    is the doubted one: the time it may have been met, in a session with no stretch at all, or
    outside the stretches found where that angle's doubt is timed (a thigh's strap turn).
    With ``hip_bend``, no pelvis sensor was worn and the thigh (``columns``) was held still,
    tipped forward short of the criterion: a bend at the hips no sensor sees may have been
    held there (:mod:`analysis.envelope.hip_bend`); ``reason`` says so, ``needs`` is empty.
    """

    start_s: float
    end_s: float
    columns: tuple[str, ...]
    needs: tuple[str, ...]
    """The requirements the uncertain angles could not decide (``EngagedCriterion.describe``)."""
    reason: str
    by_criterion: bool = False
    holds: tuple[tuple[float, float], ...] = ()
    """``(start_s, end_s)`` of the holds it would have had were it a stretch (its rules judged
    there as anywhere else); never counted."""
    hip_bend: bool = False

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s

    def text(self) -> str:
        """One plain sentence for the report and the terminal summary."""
        if self.hip_bend:
            return (
                f"{clock_text(self.start_s)}–{clock_text(self.end_s)} "
                f"({self.duration_s:.0f} s) may have been a stretch that is not counted: the "
                f"thigh was held still and tipped forward, and {self.reason}"
            )
        needs = " and ".join(self.needs)
        what = (
            f"the stretch is recognised by {needs}"
            if self.by_criterion
            else f"the engagement also needs {needs}"
        )
        held = " and ".join(
            f"{b - a:.0f} s ({clock_text(a)}–{clock_text(b)})" for a, b in self.holds
        )
        return (
            f"{clock_text(self.start_s)}–{clock_text(self.end_s)} "
            f"({self.duration_s:.0f} s) may have been a stretch that is not counted: {what}, "
            f"and that reading is uncertain ({self.reason})"
            + (f"; if it was one, it was held {held}" if held else "")
        )


@dataclass(frozen=True)
class UnmeasuredRun:
    """A run ``[start_s, end_s)`` (session seconds) where an uncertain gating rule had no data.

    Its sensor sent nothing. An uncertain rule never breaks a hold, so the hold runs through;
    a trusted one would have broken it there, as a hold needs every gating angle measured.
    ``column`` is the angle's ``angles.csv`` column.
    """

    rule: str
    column: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """Length of the run in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, kw_only=True)
class Hold:
    """Continuous engaged time inside the envelope, ``[start_s, end_s)``.

    ``rating`` is ``"target"`` (≥ the profile's target), ``"short"`` (< its short limit) or
    ``"under_target"`` in between.
    """

    start_s: float
    end_s: float
    rating: Literal["target", "under_target", "short"]
    unconfirmed: tuple[Episode, ...] = ()
    """Episodes of *uncertain* gating rules during this hold, clipped to it (``peak_deg``
    and ``peak_t_s`` stay those of the whole episode). Such a rule never breaks a hold, so
    the hold counts only if its angle's reading is wrong there; had the angle been trusted,
    each of these would have broken the hold."""
    timing_alternatives: tuple[TimingAlternative, ...] = ()
    """The hold as read with one pause at about the dwell, or one movement whose peak rate is
    about the limit, decided the other way, one per such pause or movement that moves its
    start or end by half a second or more, then with several of them near this hold decided the
    other way together (:class:`CombinedAlternative`, a reading no single one gives), then
    (engagement angle uncertain) as read with that angle's rate at half and at twice its
    measured value, each that moves it as much (``Hold.timing_text``). A reading that splits
    the hold gives each of its holds (``parts``)."""
    near_latch: tuple[NearLatchRun, ...] = ()
    """Runs near a trusted gating rule's latch point during this hold, clipped to it
    (:class:`NearLatchRun`, ``closest_deg`` that of the whole run): the sensors cannot tell
    whether the rule was broken there, so the hold may have ended at such a run."""
    reading_episodes: tuple[ReadingEpisodes, ...] = ()
    """Per other calibration reading of an uncertain gating rule's angle that reads the hold
    otherwise than the angles' own (:attr:`reading_parts` differ from :attr:`parts_as_read`),
    the episodes it shows during the hold (:class:`ReadingEpisodes`). Had that reading been
    right, the hold was broken at them: the hold's length hangs on which reading is right."""
    unmeasured: tuple[UnmeasuredRun, ...] = ()
    """Runs during this hold, clipped to it, where an uncertain gating rule's angle had no
    data (:class:`UnmeasuredRun`): the data cannot say whether the hold went on there, so it
    holds only on condition that the rule was kept through them."""
    timing_unknown: str | None = None
    """Why the hold's start and end are not known to within a second (None when they are):
    it is timed on an uncertain engagement angle whose segment's forward direction is not
    established and no discrete other reading stands in, so the angle's rate may read at any
    share of the truth — a lean into or out of the stretch may not show at all, and no
    reading at another rate bounds it (``analysis.recording.doubts.DoubtKind.FORWARD_UNKNOWN``)."""

    @property
    def duration_s(self) -> float:
        """Length of the hold in seconds."""
        return self.end_s - self.start_s

    @property
    def conditional(self) -> bool:
        """Whether the hold depends on an uncertain rule.

        It has ``unconfirmed`` episodes (the angles' own reading of an uncertain rule breaks
        it), ``reading_episodes`` (another calibration reading of such a rule's angle
        does), ``near_latch`` runs (a reading within its error of a break) or ``unmeasured``
        runs (such a rule's angle had no data).
        """
        return bool(self.unconfirmed or self.reading_episodes or self.near_latch or self.unmeasured)

    @property
    def parts_as_read(self) -> tuple[tuple[float, float], ...]:
        """The parts ``(start_s, end_s)`` of the hold clear of every ``unconfirmed`` episode.

        What would be left of the hold if each uncertain rule really was broken where its
        angle, as read, says (the whole hold when there is no such episode).
        """
        return parts_clear_of(self.start_s, self.end_s, self.unconfirmed)

    @property
    def reading_parts(self) -> tuple[tuple[tuple[float, float], ...], ...]:
        """Per item of ``reading_episodes``, the parts of the hold clear of its episodes.

        What would be left of the hold if that other calibration reading was the right one.
        """
        return tuple(
            parts_clear_of(self.start_s, self.end_s, r.episodes) for r in self.reading_episodes
        )

    @property
    def near_latch_parts(self) -> tuple[tuple[float, float], ...]:
        """The parts ``(start_s, end_s)`` of the hold clear of every ``near_latch`` run.

        What would be left of the hold if each run near a latch point was a break (the
        whole hold when there is none).
        """
        return parts_clear_of(self.start_s, self.end_s, self.near_latch)

    @property
    def sure_parts(self) -> tuple[tuple[float, float], ...]:
        """The parts ``(start_s, end_s)`` of the hold that no uncertain reading breaks.

        Clear of every ``unconfirmed`` episode, of every episode of ``reading_episodes``, of
        every ``near_latch`` run and of every ``unmeasured`` run: what is left whichever
        reading of an uncertain rule is right, whichever side of its latch point a grazing
        reading was and whatever an uncertain rule's angle did where it had no data (the
        whole hold when there is no such episode or run).
        """
        every = [
            *self.unconfirmed,
            *(e for r in self.reading_episodes for e in r.episodes),
            *self.near_latch,
            *self.unmeasured,
        ]
        return parts_clear_of(self.start_s, self.end_s, every)

    @property
    def sure_s(self) -> float:
        """The longest of :attr:`sure_parts` in seconds (0 when none is left)."""
        return max((b - a for a, b in self.sure_parts), default=0.0)

    @property
    def timing_flagged(self) -> bool:
        """Whether the hold's start or end depends on a pause, a peak or an uncertain angle's rate.

        A pause within its precision of the dwell, a movement whose peak rate is within its
        precision of the limit, the rate of an uncertain engagement
        angle, or another calibration reading of it that moves the hold by more than 1 s
        (the hold has ``timing_alternatives``), or an angle whose rate's scale is not
        established at all (``timing_unknown``).
        """
        return bool(self.timing_alternatives) or self.timing_unknown is not None

    def timing_text(self) -> str | None:
        """Both readings of a hold whose timing hangs on a pause at the dwell (None otherwise).

        E.g. "held 30 s (5:15–5:44), or 32 s (5:13–5:44) if the 1.0-s pause at 5:13
        (measured 1.03 ± 0.08 s; a pause of 1 s or more counts as a stop) was part of the
        movement"; a :class:`RateAlternative` reads "or 33 s (0:33–1:06) if the uncertain
        angle that times it moved twice as fast as read"; a hold with ``timing_unknown`` adds
        "its start and end are not known to within a second: they are read from an uncertain
        angle (…) that may not show a lean into or out of the stretch at all".
        """
        if not self.timing_flagged:
            return None
        parts = [
            f"or {_reading_text(alt)} under another calibration of the angle that times it"
            if isinstance(alt, ReadingAlternative)
            else f"or {_reading_text(alt)} if {_condition_text(alt)}"
            for alt in self.timing_alternatives
        ]
        if self.timing_unknown is not None:
            parts.append(
                "its start and end are not known to within a second: they are read from an "
                f"uncertain angle ({self.timing_unknown}) that may not show a lean into or out "
                "of the stretch at all"
            )
        return (
            f"held {self.duration_s:.0f} s ({clock_text(self.start_s)}–{clock_text(self.end_s)}), "
            + "; ".join(parts)
        )

    def condition_text(self) -> str | None:
        """The hold's condition in plain words (None when it depends on no uncertain rule).

        E.g. "held 42 s; the knee reading is uncertain and points to a locked-straight knee
        12 s into the hold, for 4 s — if that was real, the hold was broken there and its
        longest sure part is 26 s". Each other calibration reading that breaks it
        (``reading_episodes``) adds a clause with what is left under it, e.g. "; under
        another calibration the data allow, the pelvis reading points to tucking the pelvis
        under 0 s into the hold, for 10 s — if that was right, the hold was broken there and
        its longest part is 4 s (1:07–1:11)".
        """
        if not self.conditional:
            return None
        clauses = []
        if self.unconfirmed:
            rules = list(dict.fromkeys(e.rule for e in self.unconfirmed))
            each = [self._rule_condition(rule, first=k == 0) for k, rule in enumerate(rules)]
            said = each[0] if len(each) == 1 else ", ".join(each[:-1]) + ", and " + each[-1]
            which = "that was" if len(self.unconfirmed) == 1 else "any of that was"
            clauses.append(
                f"{said} — if {which} real, the hold was broken there and its longest sure "
                f"part is {_longest_s(self.parts_as_read):.0f} s"
            )
        elif self.reading_episodes:
            e = self.reading_episodes[0].episodes[0]
            clauses.append(
                f"the {_rule_part(e.rule)} reading is uncertain and, as read, does not break it"
            )
        if self.near_latch:
            clauses.append(self._near_latch_condition())
        if self.unmeasured:
            clauses.append(self._unmeasured_condition())
        for r, parts in zip(self.reading_episodes, self.reading_parts, strict=True):
            clauses.append(
                f"under another calibration the data allow, the "
                f"{_rule_part(r.episodes[0].rule)} reading points to "
                f"{self._episodes_text(r.episodes)} — if that was right, the hold was broken "
                f"there and {_longest_part_text(parts)}"
            )
        return f"held {self.duration_s:.0f} s; " + "; ".join(clauses)

    def _near_latch_condition(self) -> str:
        """The clause on the hold's ``near_latch`` runs: the first one, how many more, what is left.

        E.g. "the knee read 8.7° 20 s into the hold, for 12 s, within its measuring error (2°)
        of 8.5°, the point where a break counts — if the limit was broken there, the hold
        ended there and its longest sure part is 20 s".
        """
        n = self.near_latch[0]
        more = len(self.near_latch) - 1
        also = f" (and {more} more time{'s' if more > 1 else ''})" if more else ""
        return (
            f"the {_rule_part(n.rule)} read {_deg_text(round(n.closest_deg, 1))}° "
            f"{n.start_s - self.start_s:.0f} s into the hold, for {n.duration_s:.0f} s{also}, "
            f"within its measuring error ({n.precision_deg:g}°) of {_deg_text(n.latch_deg)}°, "
            "the point where a break counts — if the limit was broken there, the hold ended "
            f"there and its longest sure part is {_longest_s(self.near_latch_parts):.0f} s"
        )

    def _unmeasured_condition(self) -> str:
        """The clause on the hold's ``unmeasured`` runs: the first one, how many more, what is left.

        E.g. "the neck angle had no data 2 s into the hold, for 6 s (its sensor sent
        nothing) and its reading is uncertain, so the hold could not be checked on it there —
        counting only the time checked on every angle, its longest sure part is 37 s".
        """
        n = self.unmeasured[0]
        more = len(self.unmeasured) - 1
        also = f" (and {more} more time{'s' if more > 1 else ''})" if more else ""
        left = parts_clear_of(self.start_s, self.end_s, self.unmeasured)
        return (
            f"the {_rule_part(n.rule)} angle had no data {n.start_s - self.start_s:.0f} s into "
            f"the hold, for {n.duration_s:.0f} s{also} (its sensor sent nothing) and its "
            "reading is uncertain, so the hold could not be checked on it there — counting "
            "only the time checked on every angle, its longest sure part is "
            f"{_longest_s(left):.0f} s"
        )

    def _episodes_text(self, episodes: Sequence[Episode]) -> str:
        """The first of ``episodes`` as said in a condition, and how many more there are."""
        e = episodes[0]
        words = RULE_WORDS.get(e.rule, f"{e.rule.replace('_', ' ')} past its limit")
        more = len(episodes) - 1
        also = f" (and {more} more time{'s' if more > 1 else ''})" if more else ""
        return (
            f"{words} {e.start_s - self.start_s:.0f} s into the hold, "
            f"for {e.duration_s:.0f} s{also}"
        )

    def _rule_condition(self, rule: str, *, first: bool) -> str:
        """One rule's unconfirmed episodes in this hold: its first one, and how many more.

        E.g. "the knee reading is uncertain and points to a locked-straight knee 12 s into
        the hold, for 4 s (and 1 more time)"; after the first rule, "the ankle reading to
        toes pulled up 19 s into the hold, for 5 s".
        """
        eps = [e for e in self.unconfirmed if e.rule == rule]
        lead = "is uncertain and points to" if first else "to"
        return f"the {_rule_part(rule)} reading {lead} {self._episodes_text(eps)}"


def _rule_part(rule: str) -> str:
    """The body part ``rule``'s angle is read at, as a patient would name it."""
    return _RULE_PART.get(rule, rule.replace("_", " "))


def hip_bend_rule_text(
    rule: str, reading_deg: float, span_s: tuple[float, float], limit_deg: float, words: str
) -> str:
    """Why a rule is not ``ok`` where a bend at the hips may have been held unseen.

    E.g. "the knee read 2° for 34 s (1:20–1:54), past the 10° limit, while the thigh was held
    still and tipped forward: without a pelvis sensor, …, so whether that was in a stretch
    is not known" (``words``: :data:`analysis.envelope.hip_bend.HIP_BEND_WORDS`).
    """
    a, b = span_s
    return (
        f"the {_rule_part(rule)} read {_deg_text(round(reading_deg))}° for {b - a:.0f} s "
        f"({clock_text(a)}–{clock_text(b)}), past the {_deg_text(limit_deg)}° limit, while the "
        f"thigh was held still and tipped forward: {words}, so whether that was in a stretch "
        "is not known"
    )


def _longest_s(parts: Sequence[tuple[float, float]]) -> float:
    """The longest of ``parts`` ``(start_s, end_s)`` in seconds (0 when there is none)."""
    return max((b - a for a, b in parts), default=0.0)


def _longest_part_text(parts: Sequence[tuple[float, float]]) -> str:
    """The longest of ``parts`` in words: "its longest part is 4 s (1:07–1:11)"."""
    if not parts:
        return "nothing of it is left"
    a, b = max(parts, key=lambda p: p[1] - p[0])
    return f"its longest part is {b - a:.0f} s ({clock_text(a)}–{clock_text(b)})"


def _reading_text(alt: TimingAlternative) -> str:
    """A reading's hold(s) as text: "30 s (5:15–5:45)", "no hold", or each part of a split."""
    if alt.parts:
        each = [f"{b - a:.0f} s ({clock_text(a)}–{clock_text(b)})" for a, b in alt.parts]
        return "holds of " + ", ".join(each[:-1]) + f" and {each[-1]}"
    if alt.start_s is None or alt.end_s is None:
        return "no hold"
    return f"{alt.duration_s:.0f} s ({clock_text(alt.start_s)}–{clock_text(alt.end_s)})"


def _condition_text(alt: TimingAlternative) -> str:
    """The condition under which a hold reads as ``alt`` says, in plain words (after "if")."""
    if isinstance(alt, CombinedAlternative):
        return " and ".join(_condition_text(x) for x in alt.of)
    if isinstance(alt, ReadingAlternative):
        return "another calibration of the angle that times it is right"  # said otherwise
    if isinstance(alt, BorderlineAlternative):
        # inside for part of the episode: the hold's edge lies anywhere between the readings
        return f"{alt.text()} (so it may have started or ended anywhere between these readings)"
    if isinstance(alt, BandAlternative):
        return alt.text()
    if isinstance(alt, RateAlternative) and not 0.5 < alt.rate_factor < 2.0:
        how = "twice" if alt.rate_factor > 1 else "half"
        return f"the uncertain angle that times it moved {how} as fast as read"
    if isinstance(alt, PeakAlternative):
        counts = "was part of the hold" if alt.moving else "was a movement"
        return (
            f"the slow movement at {clock_text(alt.movement_start_s)} "
            f"(peak {alt.peak_deg_s:.2f} ± {alt.precision_deg_s:.2f} °/s; "
            f"{alt.limit_deg_s:g} °/s or more counts as moving) {counts}"
        )
    if isinstance(alt, RateAlternative):
        pct = abs(alt.rate_factor - 1.0) * 100.0
        how = "faster" if alt.rate_factor > 1 else "slower"
        return (
            f"the angle that times it moved {pct:.0f} % {how} than read "
            "(its rate is known to that share; a lean at about the release rate decides "
            "whether it is part of getting in)"
        )
    counts = "was a stop" if alt.bridged else "was part of the movement"
    return (
        f"the {alt.pause_s:.1f}-s pause at {clock_text(alt.pause_start_s)} "
        f"(measured {alt.pause_s:.2f} ± {alt.precision_s:.2f} s; a pause of "
        f"{alt.dwell_s:g} s or more counts as a stop) {counts}"
    )


def _doubt_words(item: Episode | NearLatchRun) -> str:
    """One possible break of a verdict's doubt (``EnvelopeResult.verdict_doubts``) in words."""
    part, at = _rule_part(item.rule), clock_text(item.start_s)
    if isinstance(item, NearLatchRun):
        return (
            f"the {part} read {_deg_text(round(item.closest_deg, 1))}° at {at}, for "
            f"{item.duration_s:.0f} s, within its measuring error ({item.precision_deg:g}°) of "
            f"{_deg_text(item.latch_deg)}°, the point where a break counts"
        )
    words = RULE_WORDS.get(item.rule, f"{item.rule.replace('_', ' ')} past its limit")
    return f"the {part} reading points to {words} at {at}, for {item.duration_s:.0f} s"


_RULE_PART: Final[Mapping[str, str]] = {
    "ankle_dorsiflexion": "ankle",
    "knee_flexion": "knee",
    "hip_adduction": "hip",
    "hip_internal_rotation": "hip",
    "lumbar_flexion": "lower-back",
    "pelvis_anterior_tilt": "pelvis",
    "neck_flexion": "neck",
}
"""The body part a rule's angle is read at, as a patient would name it."""


@dataclass(frozen=True, kw_only=True)
class MarkResult:
    """A symptom/event mark: the angles at that moment and whether the envelope held."""

    t_s: float
    label: str
    kind: str
    angles_deg: Mapping[str, float]
    inside: bool
    engaged: bool
    rules_outside: tuple[str, ...]
    note: str | None = None
    where: str | None = None
    what: str | None = None
    answer: str | None = None


@dataclass(frozen=True, kw_only=True)
class DynamicIssue:
    """A run of slider cycles or repetitions ``[start_s, end_s)`` that missed a criterion."""

    kind: str
    start_s: float
    end_s: float
    cue: str


@dataclass(frozen=True, kw_only=True)
class SliderResult:
    """Oscillation of the slider angle during engaged time.

    ``amplitude_deg`` is the median peak-to-peak excursion of successive reversals and
    ``rate_hz`` the median cycle rate (1 / the time between successive same-direction
    reversals); ``ok`` means both medians are inside the profile's ranges and at least
    ``min_cycles`` cycles were made.
    """

    column: str | None
    cycles: int
    amplitude_deg: float | None
    rate_hz: float | None
    ok: bool
    issues: tuple[DynamicIssue, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Repetition:
    """One lengthening phase, ``[start_s, end_s)`` from 10 % to 90 % of its excursion."""

    start_s: float
    end_s: float
    range_deg: float
    lengthening_s: float
    """Time from 10 % to 90 % of the excursion."""
    ok: bool


@dataclass(frozen=True, kw_only=True)
class RepetitionResult:
    """Eccentric repetitions of the repetition angle during engaged time."""

    column: str | None
    count: int
    target_count: int
    reps: tuple[Repetition, ...] = ()
    median_lengthening_s: float | None = None
    ok: bool = False
    issues: tuple[DynamicIssue, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class EnvelopeResult:
    """Everything :func:`check_envelope` found; :meth:`to_dict` is ``envelope.json``.

    The per-sample arrays share the grid ``t_s``: ``state`` holds :data:`STATE_NAMES` codes
    (not engaged / inside / outside, advisory rules excluded), ``engaged`` and ``in_hold`` are
    masks, ``outside`` maps each measured rule to its debounced outside mask.
    """

    profile: Profile
    side: str
    verdict: Verdict
    rules: tuple[RuleResult, ...]
    holds: tuple[Hold, ...]
    marks: tuple[MarkResult, ...]
    engaged_by: str | None
    engaged_reason: str | None
    engaged_intervals: tuple[tuple[float, float], ...]
    gaps: tuple[tuple[float, float, tuple[str, ...]], ...]
    slider: SliderResult | None
    repetitions: RepetitionResult | None
    t_s: FloatArray = field(repr=False)
    state: NDArray[np.int8] = field(repr=False)
    engaged: BoolArray = field(repr=False)
    in_hold: BoolArray = field(repr=False)
    outside: Mapping[str, BoolArray] = field(repr=False)
    slr: SlrResult | None = None
    """Hip flexion at the straight-leg-raise marks P1/P2 (None without such marks)."""
    differentiation: tuple[DifferentiationTest, ...] = ()
    """"Nerve or muscle?" tests from ``diff_start``/``diff_end`` marks."""
    hold_timing_doubt: str | None = None
    """Why the engagement angle, on which holds start and end, is uncertain (None when it
    is trusted): a hold's start or end may then be off by a movement's length."""
    possible_stretches: tuple[PossibleStretch, ...] = ()
    """Time the engagement's requirements on uncertain angles leave undecided
    (:class:`PossibleStretch`): not counted as stretching, said to be possibly left out."""
    possible_holds: tuple[BorderlineAlternative, ...] = ()
    """Holds that exist only if borderline episodes were inside (:class:`BorderlineAlternative`,
    each ``[start_s, end_s)`` with the episodes it takes inside): time counted as stretching
    where no hold is read, because a gating episode the sensors cannot tell from inside covers
    it. Not counted as holds; said as holds that may have been."""
    verdict_doubts: tuple[Episode | NearLatchRun, ...] = ()
    """For an ``inside`` verdict, what the uncertain gating rules show that may have been a
    break: their unconfirmed episodes (an untrusted angle's, one hanging on a gate run at
    its dwell, one within a doubt's margin) and their runs near the latch point, in time
    order. Had any been a break, the verdict would be ``outside``: the verdict is not decided
    (:meth:`verdict_doubt_text`). Empty otherwise (``outside`` is decided by a trusted
    episode; ``not_engaged`` has no rule judged)."""
    uncertain_angles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Every angle of the table reported as uncertain, ``{column: {"reason", "redo"}}``,
    whether a rule reads it or not (``envelope.json``'s ``uncertain_angles``)."""
    angle_precision_deg: Mapping[str, float] = field(default_factory=dict)
    """The angles of :attr:`uncertain_angles` whose whole doubt is a ± in degrees, that ±: a
    rule on one is decided beyond it (or, for :attr:`trace_precision_deg`'s, per time)."""
    trace_precision_deg: Mapping[str, float] = field(default_factory=dict)
    """The angles of :attr:`uncertain_angles` whose entry states only how precise their trace
    is over the session (the ± in degrees), while their rules are decided per time on a bound
    no entry changes (:attr:`~analysis.recording.doubts.UncertainAngle.trace_only`): their
    readings are approximate, their rule verdicts stand (``envelope.json``'s
    ``angle_precision``)."""
    posture: PostureCheck | None = None
    """The session's posture against the profile's (:mod:`analysis.envelope.posture`; None
    when not checked: no pelvis sensor, a profile of unknown posture, or the envelope was
    judged outside ``stretchguard.analyse``)."""
    calibration_stand: LateStand | None = None
    """The quiet stand every angle's zero rests on, when it was taken after an opening
    stillness in another pose (a calibration done sitting; ``envelope.json``'s
    ``calibration_stand``); None for a stand taken as the protocol asks, or when the envelope
    was judged outside ``stretchguard.analyse``."""

    @property
    def engaged_s(self) -> float:
        """Total engaged time in seconds."""
        return float(sum(b - a for a, b in self.engaged_intervals))

    @property
    def longest_hold_s(self) -> float:
        """The longest hold in seconds (0 when there was none)."""
        return max((h.duration_s for h in self.holds), default=0.0)

    def rule(self, name: str) -> RuleResult | None:
        """The result of rule ``name`` (None when the profile does not judge it)."""
        return next((r for r in self.rules if r.rule == name), None)

    @property
    def episodes(self) -> tuple[Episode, ...]:
        """Every episode of every rule, by start time."""
        eps = [e for r in self.rules for e in r.episodes]
        return tuple(sorted(eps, key=lambda e: (e.start_s, e.rule)))

    def verdict_doubt_text(self) -> str | None:
        """Why an ``inside`` verdict is not decided, in plain words (None when it is).

        E.g. "Not decided: the ankle reading points to toes pulled up at 0:05, for 2 s, and its
        rule is uncertain (below) — if that was a break, the stretch left the envelope there".
        """
        if not self.verdict_doubts:
            return None
        first = self.verdict_doubts[0]
        more = len(self.verdict_doubts) - 1
        also = f" (and {more} more time{'s' if more > 1 else ''})" if more else ""
        which = "that was" if not more else "any of that was"
        return (
            f"Not decided: {_doubt_words(first)}{also}, and its rule is uncertain (below) — "
            f"if {which} a break, the stretch left the envelope there"
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``envelope.json`` document (contract in ``docs/envelope.md``)."""
        return envelope_document(self)

    def to_json(self) -> str:
        """``envelope.json`` as text (UTF-8, indented, strict JSON: no NaN)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
