"""What a live display shows, as plain data: the snapshot the web page draws, the session tally.

:func:`snapshot` turns a running session (its :class:`~sensors.session.live.LiveSession`,
:class:`~sensors.session.protocol.GuidedProtocol` and :class:`~cli.live_angles.LiveAngles`)
into one JSON-ready dict (schema ``stretchguard-live/1``, documented in docs/live.md). It reads
everything defensively (``getattr`` with defaults) so fields that other parts of the live
session add later — a rule state ``uncertain``, a ``not_checked`` list, marks with
``where``/``what``, a sensor's battery, a guided step done ``again`` — appear when present and
are simply absent otherwise.

:class:`SessionTally` follows the envelope states of one session (was the person ever in the
stretch, the longest hold, which rules broke) and words the end-of-session verdict shared by
the terminal and the page. It is the live view's summary, not the analysis: the report
(``stretchguard analyse``) is the authority.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.envelope.profiles import angle_column_for
from analysis.envelope.results import NEAR_LATCH_REDO, NearLatchRun, near_latch_reason
from analysis.envelope.symptoms import WHAT, WHERE
from analysis.recording.doubts import approximate_sentence

SCHEMA = "stretchguard-live/1"
MARK_WHERE = tuple(WHERE.values())
"""Body sites a mark may name (the live keys' vocabulary, ``analysis.envelope.symptoms``)."""
MARK_WHAT = tuple(WHAT.values())
"""Sensations a mark may name."""
_STATE_RANK = {
    "outside": 7,
    "sensor_out": 6,
    "uncertain": 5,
    "near": 4,
    "inside": 3,
    "not_engaged": 2,
    "not_measured": 1,
}
"""Worst first: the state a joint shows when several rules sit on it."""
STATE_WORDS = {
    "inside": "inside",
    "near": "near the edge",
    "outside": "OUTSIDE",
    "uncertain": "uncertain",
    "sensor_out": "sensor out",
    "not_measured": "not measured",
    "not_engaged": "not in the stretch",
}
"""A shown state in words (the page uses the same)."""


def mark_label(where: str | None, what: str | None) -> str:
    """A symptom mark's label in the sidecar.

    E.g. "tingling in the heel", "pain behind the knee", or "symptom" when neither is said
    (unknown words are dropped, never stored).
    """
    where = where if where in MARK_WHERE else None
    what = what if what in MARK_WHAT else None
    place = None
    if where:
        place = where if where.startswith("behind") else f"in the {where}"
    return " ".join(x for x in (what or "symptom", place) if x)


def joint_of(rule: str) -> str:
    """The figure's joint a rule is drawn on: ankle, knee, hip, pelvis, trunk or head."""
    for prefix, joint in (
        ("ankle", "ankle"),
        ("knee", "knee"),
        ("hip", "hip"),
        ("thigh", "hip"),
        ("pelvis", "pelvis"),
        ("lumbar", "trunk"),
        ("trunk", "trunk"),
        ("neck", "head"),
        ("head", "head"),
    ):
        if rule.startswith(prefix):
            return joint
    return "other"


def display_state(status: str, angle_deg: float | None, spec: Any) -> str:
    """A rule's shown state.

    One of ``inside``, ``near`` (inside, within the hysteresis of the edge), ``outside``,
    ``uncertain``, ``sensor_out`` (its angle has no data: a sensor it needs is out; not
    judged), ``not_measured`` or ``not_engaged`` (not in the stretch).
    """
    if status != "ok":
        return status if status in _STATE_RANK else "uncertain"
    if angle_deg is None or spec is None:
        return "inside"
    margin = float(getattr(spec, "hysteresis_deg", 0.0) or 0.0)
    room = spec.limit_deg - angle_deg if spec.upper else angle_deg - spec.limit_deg
    return "near" if room < margin else "inside"


def worst(states: list[str]) -> str:
    """The most pressing of several display states (outside first)."""
    return max(states, key=lambda s: _STATE_RANK.get(s, 0)) if states else "not_measured"


@dataclass
class SessionTally:
    """One session's envelope history: engagement, the longest hold, the rules that broke."""

    engaged_ever: bool = False
    engaged_now: bool = False
    last_hold_s: float = 0.0
    best_hold_s: float = 0.0
    hold_target_s: float | None = None
    cues: dict[str, int] = field(default_factory=dict)
    """Rule → how many times it broke (a cue was given), non-advisory and advisory alike."""
    advisory: set[str] = field(default_factory=set)
    best_hold: Any = None
    """The longest hold as the checker last timed it (``MonitorState.hold``, an
    ``analysis.envelope.results.Hold``), its other readings included; None: none yet. Only
    an ended hold counts (``MonitorState.hold_open``: the newest rows cannot decide one)."""
    open_hold: Any = None
    """The hold in progress at the newest state (None: none): said as in progress, not
    counted until it ends."""
    near_latch: dict[tuple[str, float], NearLatchRun] = field(default_factory=dict)
    """Every run so far where a trusted rule's angle grazed the point a break counts from
    (``MonitorState.near_latch``), by rule and end (s): the report calls such a rule, never
    broken, ``uncertain``."""
    approximate: dict[str, Any] = field(default_factory=dict)
    """Angle column → its trace-only entry on the rows so far (a knee held bent for much of
    the session: its reading approximate, its rule verdicts standing), set by the live angles."""

    def update(self, state: Any) -> None:
        """Take one :class:`~analysis.envelope.monitor.MonitorState`."""
        self.hold_target_s = state.hold_target_s
        self.engaged_now = bool(state.engaged)
        self.engaged_ever = self.engaged_ever or self.engaged_now
        if state.hold_s > 0:
            self.last_hold_s = float(state.hold_s)
        self.best_hold_s = max(self.best_hold_s, float(state.hold_s))
        hold = getattr(state, "hold", None)
        self.open_hold = hold if getattr(state, "hold_open", False) else None
        if self.open_hold is None:
            self._take_hold(hold)
        self._take_near_latch(getattr(state, "near_latch", ()))
        for rule in state.rules:
            if rule.cue and rule.cue in state.new_cues:
                self.cues[rule.rule] = self.cues.get(rule.rule, 0) + 1
                if rule.advisory:
                    self.advisory.add(rule.rule)

    def _take_hold(self, hold: Any) -> None:
        """Keep ``hold`` if it is the longest so far or a newer timing of the one kept."""
        best = self.best_hold
        if hold is None:
            return
        same = best is not None and hold.start_s < best.end_s and best.start_s < hold.end_s
        if best is None or same or hold.duration_s > best.duration_s:
            self.best_hold = hold

    def _take_near_latch(self, runs: Any) -> None:
        """Keep each ended run; a run seen again (the window moved) keeps its longest reading."""
        for n in runs:
            key = (n.rule, round(n.end_s, 2))
            kept = self.near_latch.get(key)
            if kept is None or n.duration_s > kept.duration_s:
                self.near_latch[key] = n

    def near_latch_lines(self) -> list[str]:
        """One sentence per rule with a near-latch run so far and no break (none: ``[]``).

        The report's words for such a rule (``uncertain``: its reason the first run and how
        many more, :func:`~analysis.envelope.results.near_latch_reason`), said so far.
        """
        runs: dict[str, list[NearLatchRun]] = {}
        for n in sorted(self.near_latch.values(), key=lambda n: n.start_s):
            if n.rule not in self.cues:
                runs.setdefault(n.rule, []).append(n)
        return [
            f"uncertain so far: {rule.replace('_', ' ')} — {near_latch_reason(rs)}. Not counted "
            f"as outside and not breaking a hold; {NEAR_LATCH_REDO}."
            for rule, rs in runs.items()
        ]

    def approximate_lines(self) -> list[str]:
        """The report's sentence for the approximate readings so far, one per reason."""
        groups: dict[tuple[str, str], list[str]] = {}
        for column, why in self.approximate.items():
            groups.setdefault((str(why["reason"]), str(why["redo"])), []).append(column)
        return [approximate_sentence(cols, reason, redo) for (reason, redo), cols in groups.items()]

    def doubt_lines(self) -> list[str]:
        """What the report will say about rules and readings it doubts, on the session so far.

        The rules whose reading grazed the point a break counts from (:meth:`near_latch_lines`),
        then the approximate readings (:meth:`approximate_lines`).
        """
        return self.near_latch_lines() + self.approximate_lines()

    def hold_timing(self) -> str | None:
        """The longest hold's timing in words when it has other readings (None otherwise)."""
        return None if self.best_hold is None else self.best_hold.timing_text()

    def hold_condition(self) -> str | None:
        """The longest hold's condition in words when an uncertain rule may have broken it.

        ``Hold.condition_text``, as the report's verdict box says it (None: it depends on no
        uncertain rule). Live there are no other calibration readings, so it names what the
        uncertain angle as read shows.
        """
        hold = self.best_hold
        if hold is None or not getattr(hold, "conditional", False):
            return None
        return hold.condition_text()

    @property
    def stretch_ended(self) -> bool:
        """The person was in the stretch and is not any more."""
        return self.engaged_ever and not self.engaged_now

    def verdict(self) -> str:
        """One sentence: what the live view saw (the report has the analysis)."""
        if not self.engaged_ever:
            return "no stretch seen live (the hip never reached the stretch position)"
        hold = f"longest hold {self.best_hold_s:.0f} s"
        if self.hold_target_s:
            met = "met" if self.best_hold_s >= self.hold_target_s else "short of"
            hold += f" ({met} the {self.hold_target_s:g}-s target)"
        timing = self.hold_timing()
        if timing is not None:
            hold += f" — {timing}"
        condition = self.hold_condition()
        if condition is not None:
            hold += f" — that hold is not sure: {condition}"
        broke = {r: n for r, n in self.cues.items() if r not in self.advisory}
        if broke:
            what = ", ".join(
                f"{r.replace('_', ' ')} {'once' if n == 1 else f'{n} times'}"
                for r, n in broke.items()
            )
            return f"outside the envelope: {what}; {hold}"
        extra = ""
        if self.cues:
            extra = " (advisory: " + ", ".join(r.replace("_", " ") for r in self.cues) + ")"
        return f"inside the envelope throughout{extra}; {hold}"


def next_command(out: Path) -> str:
    """The command that analyses the recording into a report."""
    folder = out.with_name(out.stem + "_report")
    return f"stretchguard analyse {shlex.quote(str(out))} --out {shlex.quote(str(folder))}"


def hold_in_progress(st: Any) -> bool:
    """The hold timer runs on a hold not ended yet (``MonitorState.hold_open``).

    Said as in progress on the screen and the page; counted once it ends.
    """
    return bool(st is not None and st.hold_s > 0 and getattr(st, "hold_open", False))


def _num(x: float | None, nd: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def _steps(protocol: Any, now_s: float) -> list[dict[str, Any]]:
    start = protocol.start_s
    rel = None if start is None else now_s - start
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for step in protocol.steps:
        if rel is None or rel < step.start_s:
            state, left = "next", None
        elif step.end_s is None or rel < step.end_s:
            state = "now"
            left = None if step.end_s is None else step.end_s - rel
        else:
            state, left = "done", 0.0
        dur = None if step.end_s is None else step.end_s - step.start_s
        again = bool(getattr(step, "again", False)) or step.key in seen
        seen.add(step.key)
        out.append(
            {
                "key": step.key,
                "prompt": step.prompt,
                "state": state,
                "left_s": _num(left),
                "duration_s": _num(dur),
                "again": again,
            }
        )
    return out


def _sensors(session: Any) -> list[dict[str, Any]]:
    out = []
    for s in session.status():
        c = dict(getattr(s, "counts", {}) or {})
        lost = sum(int(c.get(k, 0)) for k in ("lost", "dropped", "missing"))
        bad = sum(int(c.get(k, 0)) for k in ("corrupt", "truncated", "unknown"))
        battery = getattr(s, "battery_pct", None)
        if battery is None:
            battery = getattr(s, "battery", None)
        out.append(
            {
                "placement": s.placement,
                "family": s.family,
                "state": str(s.state),
                "rate_hz": _num(s.measured_rate_hz),
                "configured_hz": _num(s.rate_hz),
                "samples": int(s.samples),
                "lost": lost,
                "bad_packets": bad,
                "reconnects": int(s.reconnects),
                "gaps": int(s.gaps),
                "battery_pct": None if battery is None else int(battery),
            }
        )
    return out


def _marks(session: Any) -> list[dict[str, Any]]:
    """Marks on the session clock, as the sidecar, the summary and the report give them."""
    return [
        {
            "t_s": _num(m.t_s),
            "label": str(m.label),
            "kind": str(getattr(m, "kind", "symptom")),
            "where": getattr(m, "where", None),
            "what": getattr(m, "what", None),
        }
        for m in getattr(session, "markers", ())
    ]


def _outages(angles: Any, t0: float) -> list[dict[str, Any]]:
    """Sensors out: which, since when (``t_s`` as the snapshot's), lost or not, their angles.

    ``frozen``: the sensor still streams but repeats one sample (it stopped measuring), as the
    terminal screen says it (``cli.live_angles.outage_words``).
    """
    return [
        {
            "placement": o.placement,
            "since_t_s": _num(o.since_s - t0, 2),
            "lost": bool(o.lost),
            "angles": list(o.columns),
            "frozen": bool(getattr(o, "frozen", False)),
        }
        for o in (getattr(angles, "outages", ()) or ())
    ]


def _stand_in(angles: Any) -> str | None:
    """The terminal screen's line while the thigh's tilt stands in for the pelvis, else None.

    It says the thigh's tilt tells whether the person is in the stretch while the pelvis is
    out (``cli.live_angles.stand_in_words``).
    """
    line = getattr(angles, "stand_in_line", None)
    return None if line is None else line()


def _behind(angles: Any) -> dict[str, Any]:
    """The angles' lag behind the sensors, as the terminal screen judges it (``cli.live_lag``).

    ``lag_s``: how old the newest processed sample was at the last tick that processed any
    (s); ``behind``: the terminal screen's line while it says the angles are behind, else None.
    """
    watch = getattr(angles, "lag", None)
    if watch is None:
        return {"lag_s": None, "behind": None}
    return {"lag_s": _num(watch.lag_s, 1), "behind": watch.words()}


def _rules(angles: Any) -> list[dict[str, Any]]:
    state = angles.state
    now = {r.rule: r for r in (state.rules if state is not None else ())}
    out = []
    for spec in angles.profile.rules:
        r = now.get(spec.name)
        value = angles.latest.get(angle_column_for(spec.name, angles.side))
        status = r.status if r is not None else "not_engaged"
        if r is None and value is None and angles.calibrated:
            status = "not_measured"
        out.append(
            {
                "rule": spec.name,
                "label": spec.name.replace("_", " "),
                "joint": joint_of(spec.name),
                "state": display_state(status, value, spec),
                "angle_deg": _num(value),
                "limit_deg": spec.limit_deg,
                "upper": bool(spec.upper),
                "advisory": bool(spec.advisory),
                "cue": getattr(r, "cue", None) if r is not None else None,
                "why": getattr(r, "reason", None) if r is not None else None,
            }
        )
    return out


def snapshot(
    session: Any,
    protocol: Any,
    angles: Any,
    tally: SessionTally,
    *,
    seq: int,
    out: Path,
) -> dict[str, Any]:
    """The whole live state at ``session.now_s()`` as JSON-ready data (``stretchguard-live/1``).

    Times are session seconds since the protocol started (``t_s``); angles in degrees.
    """
    now = session.now_s()
    t0 = protocol.start_s if protocol.start_s is not None else now
    step, _ = protocol.current(now)
    calibrated = bool(angles is not None and angles.calibrated)
    if protocol.start_s is None:
        phase = "connecting"
    elif step is not None and step.key == "exercise" and calibrated:
        phase = "exercise"
    else:
        phase = "calibration"
    rules = _rules(angles) if angles is not None else []
    joints: dict[str, list[str]] = {}
    for r in rules:
        # an advisory rule colours its joint only when it breaks (or cannot be judged)
        quiet = r["advisory"] and r["state"] == "near"
        joints.setdefault(r["joint"], []).append("inside" if quiet else r["state"])
    st = angles.state if angles is not None else None
    cues = [r["cue"] for r in rules if r["state"] == "outside" and r["cue"]]
    return {
        "schema": SCHEMA,
        "seq": seq,
        "t_s": _num(now - t0, 2),
        "phase": phase,
        "title": angles.profile.title if angles is not None else "",
        "side": angles.side if angles is not None else None,
        "steps": _steps(protocol, now),
        "calibrated": calibrated,
        "problem": getattr(angles, "problem", None),
        "angles": {k: _num(v) for k, v in (angles.latest if angles is not None else {}).items()},
        "angles_t_s": _num(angles.angles_t_s - t0, 3)
        if angles is not None and angles.angles_t_s is not None
        else None,
        "engaged": bool(st is not None and st.engaged),
        "outside": bool(st is not None and st.outside),
        "stretch_ended": tally.stretch_ended,
        "rules": rules,
        "joints": {j: worst(s) for j, s in joints.items()},
        "cue": cues[0] if cues else None,
        "last_cue": getattr(angles, "last_cue", None),
        "not_checked": [str(x) for x in getattr(angles, "not_checked", ()) or ()],
        "outages": _outages(angles, t0),
        "stand_in": _stand_in(angles),
        "doubts": tally.doubt_lines(),
        **_behind(angles),
        "hold": {
            "s": _num(st.hold_s if st is not None else 0.0),
            "target_s": st.hold_target_s if st is not None else tally.hold_target_s,
            "best_s": _num(tally.best_hold_s),
            "last_s": _num(tally.last_hold_s),
            "timing": st.hold_timing if st is not None and st.hold_s > 0 else None,
            "in_progress": hold_in_progress(st),
            "best_timing": tally.hold_timing(),
        },
        "sensors": _sensors(session),
        "marks": _marks(session),
        "mark_where": list(MARK_WHERE),
        "mark_what": list(MARK_WHAT),
        "recording": out.name,
        "end": None,
    }


def end_block(tally: SessionTally, out: Path, summary: str | None = None) -> dict[str, Any]:
    """The ``end`` field once the session is over: verdict, files and the next command."""
    return {
        "verdict": tally.verdict(),
        "doubts": tally.doubt_lines(),
        "csv": str(out),
        "next_command": next_command(out),
        "summary": summary,
    }
