"""One person's sessions over weeks: a self-contained HTML page of trends over calendar dates.

Inputs are analysed sessions (folders with ``envelope.json``, e.g. ``stretchguard batch``
output, whose ``session.json`` gives the date) or recordings (analysed in memory). Per
exercise the page plots the longest hold, the time outside each rule, the symptom marks and,
where recorded, the straight-leg-raise P1/P2 hip angles, each over calendar dates; it lists
the cues that came up and the sessions, and says in plain words what changed. Like the
session report it is one file: inline SVG and CSS, no script, nothing loaded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from analysis.errors import ConfigError, DataError
from analysis.recording.config_files import parse_json, read_text
from analysis.recording.inputs import MAX_JSON_DEPTH
from analysis.report.figures import escape
from analysis.report.page import CSS as REPORT_CSS
from sensors.formats.canonical import write_new_file
from stretchguard.analysing import SessionAnalysis, analyse
from stretchguard.batch import SESSION_FILE, find_sessions
from stretchguard.inputs import load_recording

__all__ = [
    "SessionRecord",
    "collect_sessions",
    "history_html",
    "record_from_analysis",
    "record_from_documents",
    "write_history",
]

PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Okabe–Ito colours (distinguishable with colour-vision deficiency), one per rule."""
PERSISTENT_DAYS = 7
"""Symptoms marked over more days than this → the page says so first (the seeds: pain
persisting more than one to two weeks should be assessed by a professional)."""
_DATE_IN_PATH = re.compile(r"(\d{4}-\d{2}-\d{2})")
EARLIEST_START: Final = datetime(1970, 1, 1)
LATEST_START: Final = datetime(2999, 12, 31, 23, 59, 59)
"""Session starts a page draws: older or later dates are a clock never set, not a session (the
calendar's margins around Python's first and last dates overflowed)."""


@dataclass(frozen=True)
class SessionRecord:
    """What the history needs of one session (times in s, angles in degrees)."""

    when: datetime
    source: str
    exercise: str
    title: str
    side: str
    verdict: str
    longest_hold_s: float
    hold_target_s: float | None
    outside_s: Mapping[str, float | None]
    """Time outside per rule (``None``: not measured in this session)."""
    advisory: frozenset[str]
    cues: Mapping[str, tuple[str, ...]]
    """Per rule, the cues (instructions) of its episodes."""
    marks: tuple[Mapping[str, Any], ...]
    """Symptom marks: ``label``, ``kind``, ``place`` (if recorded), ``inside``."""
    slr_p1_deg: float | None = None
    slr_p2_deg: float | None = None
    engaged_s: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)


# --- reading ---------------------------------------------------------------------------------


_MAX_NUMBER = 1e6
"""Largest magnitude read from a document (a session's seconds and degrees stay far below;
a 1e308 would overflow the charts' scale)."""


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) if abs(value) <= _MAX_NUMBER else None
    return None


def _cue_instruction(cue: str) -> str:
    """``"ankle dorsiflexed 12° — point your toes away"`` → ``"point your toes away"``."""
    return cue.split("—", 1)[1].strip() if "—" in cue else cue.strip()


def _slr(doc: Mapping[str, Any], side: str) -> tuple[float | None, float | None]:
    """Straight-leg-raise P1/P2 hip angles, read defensively from whatever the document has.

    That is an ``slr``/``straight_leg_raise`` block with ``p1``/``p2`` keys, or marks labelled
    P1/P2 (their hip flexion at the mark).
    """
    found: dict[str, float | None] = {"p1": None, "p2": None}
    for key in ("slr", "straight_leg_raise"):
        block = doc.get(key)
        if isinstance(block, Mapping):
            for k, v in block.items():
                for p in found:
                    if k.lower().startswith(p) and found[p] is None:
                        found[p] = _number(
                            v.get("hip_flexion_deg") if isinstance(v, Mapping) else v
                        )
    for m in doc.get("markers", []) or []:
        label = str(m.get("label", "")).strip().lower()
        angles = m.get("angles_deg") or {}
        if label in found and found[label] is None and isinstance(angles, Mapping):
            found[label] = _number(angles.get(f"{side}_hip_flexion_deg"))
    return found["p1"], found["p2"]


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:  # not a time, or 2026-99-99
        return None


def _when(text: Any, where: Path | str) -> datetime:
    """The session's local start: ``started_at`` (its UTC offset dropped), else a date in the path.

    Pages draw calendar days, so a start is kept as the wall time it was recorded in: an
    offset (a DOT export's ``+08:00``) is dropped, and starts with and without one sort
    together (comparing them raised TypeError).
    """
    found = [text] if isinstance(text, str) and text else []
    found += [m.group(1) for m in _DATE_IN_PATH.finditer(str(where))]
    when = next((w for w in map(_parsed, found) if w is not None), None)
    if when is None and found and found[0] is text:
        raise DataError(
            f"{where}: started_at {text[:40]!r} is not a date and its path holds no YYYY-MM-DD; "
            "expected an ISO 8601 time such as 2026-01-05T09:00:00+01:00"
        )
    if when is None:
        raise DataError(
            f"{where}: no date for this session (no session.json with started_at, no YYYY-MM-DD "
            "in its path); give the recording, or a folder written by stretchguard batch"
        )
    if not EARLIEST_START <= when <= LATEST_START:
        raise DataError(
            f"{where}: session start {when.date().isoformat()} (started_at or the date in its "
            f"path) is outside {EARLIEST_START.year}–{LATEST_START.year}; expected the date the "
            "session was recorded (a device clock that was never set?)"
        )
    return when


def record_from_documents(
    envelope: Mapping[str, Any], info: Mapping[str, Any], *, source: str, where: Path | str
) -> SessionRecord:
    """A record from an ``envelope.json`` document and its ``session.json`` (may be empty).

    Optional fields missing from older or newer documents are read as absent, never guessed.
    """
    side = str(envelope.get("side", ""))
    outside: dict[str, float | None] = {}
    cues: dict[str, tuple[str, ...]] = {}
    advisory = set()
    for rule in envelope.get("rules", []) or []:
        name = str(rule.get("rule", "?"))
        measured = rule.get("status") not in ("not_measured", "not measured", "not_checked")
        outside[name] = _number(rule.get("time_outside_s")) if measured else None
        cues[name] = tuple(
            _cue_instruction(str(e.get("cue", ""))) for e in rule.get("episodes", [])
        )
        if rule.get("advisory"):
            advisory.add(name)
    holds = [_number(h.get("duration_s")) or 0.0 for h in envelope.get("holds", []) or []]
    marks = tuple(
        {
            "label": str(m.get("label", "")),
            "kind": str(m.get("kind", "symptom")),
            "place": str(m.get("place", "") or ""),
            "inside": m.get("inside"),
        }
        for m in envelope.get("markers", []) or []
        if str(m.get("label", "")).strip().lower() not in ("p1", "p2")
    )
    p1, p2 = _slr(envelope, side)
    return SessionRecord(
        when=_when(info.get("started_at"), where),
        source=source,
        exercise=str(envelope.get("profile", "?")),
        title=str(envelope.get("title", envelope.get("profile", "?"))),
        side=side,
        verdict=str(envelope.get("verdict", "")),
        longest_hold_s=max(holds, default=0.0),
        hold_target_s=_number(envelope.get("hold_target_s")),
        outside_s=outside,
        advisory=frozenset(advisory),
        cues=cues,
        marks=marks,
        slr_p1_deg=p1,
        slr_p2_deg=p2,
        engaged_s=_number(envelope.get("engaged_s")) or 0.0,
    )


def record_from_analysis(analysis: SessionAnalysis) -> SessionRecord:
    """A record from a session analysed in memory (:func:`stretchguard.analyse`)."""
    meta = analysis.recording_meta
    return record_from_documents(
        analysis.envelope.to_dict(),
        {"started_at": meta.started_at},
        source=analysis.source_name,
        where=analysis.source_name,
    )


def _read_json(path: Path) -> Any:
    """The JSON document ``path`` (a regular file of at most 64 MiB, nested at most 32 deep)."""
    text = read_text(path, what="document", cap_bytes=64 << 20, error=DataError)
    return parse_json(text, path, error=DataError, max_depth=MAX_JSON_DEPTH)


def _read_folder(folder: Path) -> SessionRecord:
    path = folder / "envelope.json"
    envelope = _read_json(path)
    info: dict[str, Any] = {}
    side_file = folder / SESSION_FILE
    if side_file.is_file():
        try:
            info = _read_json(side_file)
        except DataError:
            info = {}
    if not isinstance(envelope, dict):
        raise DataError(f"{path}: not an envelope document")
    try:
        return record_from_documents(
            envelope, info if isinstance(info, dict) else {}, source=folder.name, where=folder
        )
    except (AttributeError, TypeError, ValueError) as exc:  # a field of the wrong shape
        raise DataError(f"{path}: not an envelope document ({exc})") from None


def _analysed_folders(root: Path) -> list[Path]:
    return sorted(
        p.parent for p in root.rglob("envelope.json") if not p.parent.name.startswith(".")
    )


def collect_sessions(
    inputs: Sequence[str | Path], *, notice: Callable[[str], None] | None = None
) -> list[SessionRecord]:
    """Every session under ``inputs``, oldest first.

    A folder with ``envelope.json`` (or the file itself) is read; other recordings found
    (canonical, with sidecars) are analysed in memory. The same session reached twice (its
    recording and its folder) counts once.
    """
    say = notice or (lambda _m: None)
    records: list[SessionRecord] = []
    for item in inputs:
        p = Path(item)
        if p.is_file() and p.name == "envelope.json":
            records.append(_read_folder(p.parent))
            continue
        folders = _analysed_folders(p) if p.is_dir() else []
        records.extend(_read_folder(f) for f in folders)
        recordings = [s for s in find_sessions([p]) if s.kind == "recording"]
        for s in recordings:
            analysis = analyse(load_recording(s.inputs[0]), notice=say, progress=False)
            records.append(record_from_analysis(analysis))
    if not records:
        raise ConfigError("no analysed sessions or recordings found in the inputs")
    unique = {(r.when, r.exercise, r.side): r for r in reversed(records)}
    return sorted(unique.values(), key=lambda r: (r.when, r.source))


# --- drawing ---------------------------------------------------------------------------------

W, H = 480, 236
LEFT, RIGHT, TOP, BOTTOM = 44, 26, 28, 34


def _e(text: object) -> str:
    return escape(text)  # controls and bidi characters shown as codes, as in the report


def _nice(top: float) -> float:
    if top <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(top))
    for m in (1, 2, 2.5, 5, 10):
        if top <= m * mag:
            return m * mag
    return 10 * mag


@dataclass(frozen=True)
class Series:
    """One line over dates (``None`` = not measured that day: a gap, no point)."""

    label: str
    values: tuple[float | None, ...]
    color: str
    dashed: bool = False


def _x_scale(days: Sequence[date]) -> tuple[Callable[[date], float], list[date]]:
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    pad = max(1, round(span * 0.04))
    lo, hi = first - timedelta(days=pad), last + timedelta(days=pad)
    total = (hi - lo).days

    def x(d: date) -> float:
        return LEFT + (W - LEFT - RIGHT) * (d - lo).days / total

    step = 7 if total > 10 else 1
    start = lo + timedelta(days=(7 - lo.weekday()) % 7) if step == 7 else lo
    ticks = [start + timedelta(days=step * i) for i in range(total // step + 1)]
    return x, [t for t in ticks if lo <= t <= hi]


def date_chart_svg(
    days: Sequence[date],
    series: Sequence[Series],
    *,
    unit: str,
    target: float | None = None,
    target_label: str = "",
    bars: bool = False,
) -> str:
    """An SVG chart of ``series`` over calendar ``days``.

    x: dates, weekly ticks on Mondays; y: from 0, in ``unit``; ``target`` draws a dashed
    reference line.
    """
    x, ticks = _x_scale(days)
    values = [v for s in series for v in s.values if v is not None]
    top = _nice(max([*values, target or 0.0, 0.0]) * 1.08)
    if bars:  # counts: whole-number ticks
        top = float(max(4, 4 * math.ceil(max([*values, 1.0]) / 4)))

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - v / top)

    out = [
        f"<svg viewBox='0 0 {W} {H}' xmlns='http://www.w3.org/2000/svg' role='img' "
        f"font-family='system-ui,sans-serif' font-size='14'>"
    ]
    for i in range(5):
        v = top * i / 4
        out.append(
            f"<line x1='{LEFT}' x2='{W - RIGHT}' y1='{y(v):.1f}' y2='{y(v):.1f}' stroke='#e5e5e5'/>"
            f"<text x='{LEFT - 6}' y='{y(v) + 4:.1f}' text-anchor='end' fill='#555'>{v:g}</text>"
        )
    out.append(f"<text x='2' y='14' fill='#555'>{_e(unit)}</text>")
    for t in ticks:
        anchor = "end" if x(t) > W - 22 else "middle"
        out.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{H - BOTTOM}' y2='{H - BOTTOM + 5}' "
            f"stroke='#888'/><text x='{x(t):.1f}' y='{H - BOTTOM + 19}' text-anchor='{anchor}' "
            f"fill='#555'>{t.day} {t.strftime('%b')}</text>"
        )
    out.append(
        f"<line x1='{LEFT}' x2='{W - RIGHT}' y1='{H - BOTTOM}' y2='{H - BOTTOM}' stroke='#888'/>"
    )
    if target is not None:
        out.append(
            f"<line x1='{LEFT}' x2='{W - RIGHT}' y1='{y(target):.1f}' y2='{y(target):.1f}' "
            f"stroke='#009E73' stroke-dasharray='6 4' stroke-width='1.5'/>"
            f"<text x='{W - RIGHT - 4}' y='{y(target) - 5:.1f}' text-anchor='end' "
            f"fill='#00704f' font-size='12'>{_e(target_label)}</text>"
        )
    for k, s in enumerate(series):
        out.extend(_bars(days, s, x, y, k, len(series)) if bars else _line(days, s, x, y))
    out.append("</svg>")
    return "".join(out)


def _line(
    days: Sequence[date], s: Series, x: Callable[[date], float], y: Callable[[float], float]
) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    dash = " stroke-dasharray='5 3'" if s.dashed else ""
    for d, v in [*zip(days, s.values, strict=True), (None, None)]:
        if v is None or d is None:
            if len(run) > 1:
                out.append(
                    f"<polyline points='{' '.join(run)}' fill='none' stroke='{s.color}' "
                    f"stroke-width='2'{dash}/>"
                )
            run = []
            continue
        run.append(f"{x(d):.1f},{y(v):.1f}")
        out.append(
            f"<circle cx='{x(d):.1f}' cy='{y(v):.1f}' r='3.5' fill='{s.color}'>"
            f"<title>{_e(s.label)} {d.isoformat()}: {v:.4g}</title></circle>"
        )
    return out


def _bars(
    days: Sequence[date],
    s: Series,
    x: Callable[[date], float],
    y: Callable[[float], float],
    k: int,
    n: int,
) -> list[str]:
    width = 10.0
    out = []
    for d, v in zip(days, s.values, strict=True):
        if not v:
            continue
        left = x(d) - width * n / 2 + k * width
        out.append(
            f"<rect x='{left:.1f}' y='{y(v):.1f}' width='{width - 1:.1f}' "
            f"height='{y(0) - y(v):.1f}' fill='{s.color}'><title>{_e(s.label)} "
            f"{d.isoformat()}: {v:g}</title></rect>"
        )
    return out


def _legend(series: Iterable[Series]) -> str:
    items = "".join(
        f"<span><i class='sw' style='background:{s.color}'></i>{_e(s.label)}"
        f"{' (advisory)' if s.dashed else ''}</span>"
        for s in series
    )
    return f"<p class='legend'>{items}</p>"


# --- the page --------------------------------------------------------------------------------

CSS = (
    REPORT_CSS
    + """
.charts{display:flex;flex-wrap:wrap;gap:14px 28px}.chart{flex:1 1 420px;max-width:560px}
.chart h3{margin:10px 0 2px}.chart svg{display:block;width:100%;height:auto}
.changes li{margin:4px 0}.wide{overflow-x:auto}td.d{white-space:nowrap}
td.src{word-break:break-all}
@media (max-width:600px){main{padding:14px 12px 40px}body{font-size:14px}
h1{font-size:22px}th,td{padding:4px 5px}}
"""
)


def _pretty(rule: str) -> str:
    return rule.replace("_", " ")


def _fmt_day(d: datetime | date) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


def _day(d: date) -> str:
    """A short calendar date for tables: ``5 Jan``, with the year when not this page's."""
    return f"{d.day} {d.strftime('%b')}"


def _rule_names(records: Sequence[SessionRecord]) -> list[str]:
    names: list[str] = []
    for r in records:
        names.extend(k for k in r.outside_s if k not in names)
    return names


def _change_lines(records: Sequence[SessionRecord]) -> list[str]:
    """Plain sentences comparing the first and the last sessions of one exercise."""
    first, last = records[0], records[-1]
    span = (last.when.date() - first.when.date()).days
    lines = [
        f"{len(records)} sessions over {span} days, from {_fmt_day(first.when)} to "
        f"{_fmt_day(last.when)}."
    ]
    if len(records) < 2:
        return [*lines, "One session: nothing to compare yet."]
    target = last.hold_target_s
    goal = f" (target {target:g} s)" if target else ""
    lines.append(
        f"Longest hold: {first.longest_hold_s:.0f} s in the first session, "
        f"{last.longest_hold_s:.0f} s in the last{goal}."
    )
    lines.extend(_rule_change(records, rule) for rule in _rule_names(records))
    half = len(records) // 2
    early = sum(len(r.marks) for r in records[:half])
    late = sum(len(r.marks) for r in records[-half:])
    if early or late:
        lines.append(
            f"Symptom marks: {early} in the first {half} sessions, {late} in the last {half}."
        )
    else:
        lines.append("No symptom was marked in any session.")
    return lines


def _rule_change(records: Sequence[SessionRecord], rule: str) -> str:
    """One sentence on a rule's time outside: first → last, and its worst session between."""
    a, b = records[0].outside_s.get(rule), records[-1].outside_s.get(rule)
    measured = [(r.outside_s[rule], r) for r in records if r.outside_s.get(rule) is not None]
    worst_s, worst = max(measured, key=lambda m: m[0], default=(0.0, None))
    if worst is None or worst_s < 0.5:
        return ""
    name = f"Time outside the {_pretty(rule)} limit"
    peak = f"{worst_s:.0f} s on {_fmt_day(worst.when)}"
    if a is None or b is None:
        return f"{name}: at most {peak}; not measured in every session."
    if a < 0.5 and b < 0.5:
        return f"{name}: 0 s in the first and the last session; {peak}."
    trend = "less" if b < a else "more" if b > a else "the same"
    return f"{name}: {a:.0f} s → {b:.0f} s ({trend}); at most {peak}."


def _persistence_box(records: Sequence[SessionRecord]) -> str:
    marked = [r.when.date() for r in records if r.marks]
    general = (
        "stretchguard informs; it does not diagnose. Pain that persists for more than one to "
        "two weeks despite modified stretching and rest should be assessed by a "
        "physiotherapist or physician; numbness, tingling or weakness in the leg or foot, "
        "pain that stops you bearing weight, or a sudden sharp pain need prompt attention."
    )
    days = (max(marked) - min(marked)).days if marked else 0
    if days <= PERSISTENT_DAYS:
        return f"<div class='box'>{_e(general)}</div>"
    last_session = max(r.when.date() for r in records)
    since = (last_session - max(marked)).days
    later = sum(1 for r in records if r.when.date() > max(marked))
    tail = (
        f" None in the {later} session(s) since ({since} days)."
        if later
        else " Marked in the latest session too."
    )
    return (
        f"<div class='box'><b>Symptoms were marked over {days} days</b>, from "
        f"{_fmt_day(min(marked))} to {_fmt_day(max(marked))}.{_e(tail)} {_e(general)}</div>"
    )


def _chart(title: str, svg: str, legend: str = "") -> str:
    return f"<div class='chart'><h3>{_e(title)}</h3>{legend}{svg}</div>"


def _exercise_charts(records: Sequence[SessionRecord]) -> str:
    days = [r.when.date() for r in records]
    target = records[-1].hold_target_s
    charts = [
        _chart(
            "Longest hold",
            date_chart_svg(
                days,
                [Series("longest hold", tuple(r.longest_hold_s for r in records), "#0072B2")],
                unit="s",
                target=target,
                target_label=f"target {target:g} s" if target else "",
            ),
        )
    ]
    rules = _rule_names(records)
    series = [
        Series(
            _pretty(rule),
            tuple(r.outside_s.get(rule) for r in records),
            PALETTE[i % len(PALETTE)],
            dashed=any(rule in r.advisory for r in records),
        )
        for i, rule in enumerate(rules)
    ]
    charts.append(
        _chart(
            "Time outside each limit",
            date_chart_svg(days, series, unit="s"),
            _legend(series),
        )
    )
    marks = Series("symptom marks", tuple(float(len(r.marks)) for r in records), "#D55E00")
    charts.append(
        _chart("Symptom marks per session", date_chart_svg(days, [marks], unit="marks", bars=True))
    )
    if any(r.slr_p1_deg is not None or r.slr_p2_deg is not None for r in records):
        slr = [
            Series("P1 (first symptom)", tuple(r.slr_p1_deg for r in records), "#E69F00"),
            Series("P2 (limit)", tuple(r.slr_p2_deg for r in records), "#CC79A7"),
        ]
        charts.append(
            _chart(
                "Straight-leg raise: hip angle", date_chart_svg(days, slr, unit="°"), _legend(slr)
            )
        )
    return f"<div class='charts'>{''.join(charts)}</div>"


def _span_cells(days: Sequence[date]) -> str:
    return f"<td class='d'>{_day(min(days))}</td><td class='d'>{_day(max(days))}</td>"


def _cues_table(records: Sequence[SessionRecord]) -> str:
    seen: dict[tuple[str, str], list[date]] = {}
    for r in records:
        for rule, cues in r.cues.items():
            for cue in set(cues):
                seen.setdefault((rule, cue), []).append(r.when.date())
    if not seen:
        return "<p>No cue came up: every judged limit was kept in every session.</p>"
    rows = sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    body = "".join(
        f"<tr><td>{_e(_pretty(rule))}</td><td class='cue'>{_e(cue)}</td>"
        f"<td class='n'>{len(ds)}</td>{_span_cells(ds)}</tr>"
        for (rule, cue), ds in rows
    )
    return (
        "<div class='wide'><table><tr><th>limit</th><th>cue</th><th>sessions</th>"
        f"<th>first</th><th>last</th></tr>{body}</table></div>"
    )


def _marks_table(records: Sequence[SessionRecord]) -> str:
    seen: dict[tuple[str, str, str], list[date]] = {}
    for r in records:
        for m in r.marks:
            key = (str(m.get("place") or "—"), str(m.get("kind") or "symptom"), str(m["label"]))
            seen.setdefault(key, []).append(r.when.date())
    if not seen:
        return "<p>No symptom marks.</p>"
    body = "".join(
        f"<tr><td>{_e(place)}</td><td>{_e(kind)}</td><td>{_e(label)}</td>"
        f"<td class='n'>{len(ds)}</td>{_span_cells(ds)}</tr>"
        for (place, kind, label), ds in sorted(seen.items(), key=lambda kv: min(kv[1]))
    )
    return (
        "<div class='wide'><table><tr><th>place</th><th>kind</th><th>mark</th><th>times</th>"
        f"<th>first</th><th>last</th></tr>{body}</table></div>"
    )


def _sessions_table(records: Sequence[SessionRecord]) -> str:
    body = "".join(
        f"<tr><td class='d'>{_day(r.when.date())}</td><td class='src'>{_e(r.source)}</td>"
        f"<td class='st-{'ok' if r.verdict == 'inside' else 'violated'}'>{_e(r.verdict)}</td>"
        f"<td class='n'>{r.longest_hold_s:.0f} s</td><td class='n'>{len(r.marks)}</td></tr>"
        for r in records
    )
    return (
        "<div class='wide'><table><tr><th>date</th><th>session</th><th>verdict</th>"
        f"<th>longest hold</th><th>marks</th></tr>{body}</table></div>"
    )


def _exercise_section(records: Sequence[SessionRecord]) -> str:
    first = records[0]
    changes = "".join(f"<li>{_e(line)}</li>" for line in _change_lines(records) if line)
    return (
        f"<h2>{_e(first.title)} <span class='small'>({_e(first.exercise)}, "
        f"{_e(first.side)} side)</span></h2>"
        f"<h3>What changed</h3><ul class='changes'>{changes}</ul>"
        f"{_exercise_charts(records)}"
        f"<h3>Cues that came up</h3>{_cues_table(records)}"
        f"<h3>Symptom marks by place and kind</h3>{_marks_table(records)}"
        f"<h3>Sessions</h3>{_sessions_table(records)}"
    )


def history_html(records: Sequence[SessionRecord], *, title: str = "Stretch history") -> str:
    """The history page for ``records`` (one section per exercise and side)."""
    groups: dict[tuple[str, str], list[SessionRecord]] = {}
    for r in sorted(records, key=lambda r: r.when):
        groups.setdefault((r.exercise, r.side), []).append(r)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='meta'><span>{len(records)} sessions</span><span>"
        f"{_fmt_day(min(r.when for r in records))} – {_fmt_day(max(r.when for r in records))}"
        "</span></p>",
        _persistence_box(records),
    ]
    parts.extend(_exercise_section(g) for g in groups.values())
    parts.append(
        "<h2>How to read this</h2><p class='small'>Each point is one session, placed on the "
        "day it was recorded. The envelope's limits and the typical measurement error are "
        "those of the session reports (docs/envelope.md, docs/accuracy.md): a change of a few "
        "seconds or degrees between two sessions can be measurement noise; a steady trend over "
        "several sessions is more telling. Rules drawn dashed are advisory.</p>"
        "</main></body></html>\n"
    )
    return "".join(parts)


def write_history(
    inputs: Sequence[str | Path],
    out_file: str | Path,
    *,
    notice: Callable[[str], None] | None = None,
) -> tuple[Path, list[SessionRecord]]:
    """Collect the sessions under ``inputs`` and write the page to a new ``out_file``."""
    records = collect_sessions(inputs, notice=notice)
    path = write_new_file(Path(out_file), history_html(records).encode("utf-8"))
    return path, records
