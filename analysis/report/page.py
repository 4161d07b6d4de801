"""The session report: one self-contained HTML page, and the short terminal summary.

:func:`build_report_html` returns the page as a string (the CLI writes it): the verdict, a
summary table per rule, the episodes with their cues, holds, the dynamic criteria of sliders
and eccentric exercises, the symptom/event marks with their angles, the plots (an SVG drawn
inline), the calibration quality, how sure the numbers are, and the caveats: what
is not measured and why, that stretchguard informs and does not diagnose, and the warning
signs that need a professional. No external resource, no script; a Content-Security-Policy
forbids both. Every string that comes from outside (file names, marker labels, notes,
profile names and cues, calibration notes) is HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from analysis.envelope.clinical import DIFFERENTIATION_ADVICE, HEALTHY_DF_EFFECT
from analysis.envelope.results import EnvelopeResult, MarkResult, RuleResult
from analysis.envelope.symptoms import RED_FLAG_ADVICE, SymptomLabel, mark_meaning, red_flag
from analysis.envelope.unchecked import (
    NotChecked,
    neck_frame_note,
    not_checked,
    not_checked_sentence,
    partial_verdict_title,
)
from analysis.recording.doubts import approximate_sentence
from analysis.recording.schema import thigh_inclination_column
from analysis.report.figures import NARROW, WIDE, escape, panel_svgs

RED_FLAGS: Final = (
    "numbness, tingling, pins and needles or weakness in the foot or leg — new, lasting, or "
    "spreading (significant nerve involvement)",
    "pain so severe that you cannot bear weight or walk more than a few steps",
    "sudden sharp pain, especially with a popping sound or feeling (possible tendon or "
    "muscle tear)",
    "pain that persists for more than one to two weeks despite rest and modified stretching",
    "fever or chills, or heat, warmth, swelling or redness behind the knee or around the heel",
)
"""Warning signs that need a physiotherapist or physician (../shared/seeds 000 and 002)."""

TYPICAL_ERROR: Final = (
    (
        "sagittal",
        "hip flexion, knee flexion, ankle dorsiflexion, pelvis tilt, thigh inclination",
        "±3–5°",
        "knee ≈ 3° (Seel 2014); hip flexion 3.7° (McGrath 2022); 3–6° median over joints "
        "(Al Borno 2022)",
    ),
    ("frontal", "hip adduction", "±4.5–6°", "hip adduction 4.6° (McGrath 2022)"),
    (
        "transverse",
        "hip internal rotation",
        "±6–9°",
        "hip rotation 6.3° (McGrath 2022), heading drift dominates",
    ),
    (
        "spine",
        "lumbar flexion",
        "±7–11°",
        "lumbar flexion 10.7° (6.7° after offset removal; Sensors 2024;24:6580)",
    ),
)
"""Typical IMU joint-angle error per plane vs optical capture (anchors.md §1)."""

VERDICT_TEXT: Final = {
    "inside": "Stayed inside the nerve-friendly envelope",
    "outside": "Left the nerve-friendly envelope",
    "not_engaged": "No stretch found to judge",
}


UNDECIDED_TITLE: Final = "Inside as measured, but not decided"
"""Headline of an *inside* verdict under which an uncertain rule shows what may have been a
break (``EnvelopeResult.verdict_doubts``): the next line says what and where."""

MAX_TABLE_ROWS: Final = 200
"""Rows shown per table; longer sessions list the rest in envelope.json."""


def _more(total: int) -> str:
    """A note under a table that was cut at :data:`MAX_TABLE_ROWS`."""
    if total <= MAX_TABLE_ROWS:
        return ""
    return (
        f"<p class='small'>… and {total - MAX_TABLE_ROWS} more (first {MAX_TABLE_ROWS} shown; "
        "all are in envelope.json).</p>"
    )


def _e(text: object) -> str:
    """HTML-escape any value's text (quotes included; controls and bidi shown as codes)."""
    return escape(text)


def _num(value: float | None, fmt: str = ".1f", unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:{fmt}}{unit}"


def _clock(t_s: float) -> str:
    """Seconds as ``m:ss.s`` (or ``h:mm:ss``) for tables."""
    if not math.isfinite(t_s):
        return "—"
    sign = "−" if t_s < 0 else ""
    t = round(abs(t_s), 1)  # rounded before splitting: 59.97 s is 1:00.0, not 0:60.0
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    if h >= 1:
        return f"{sign}{int(h)}:{int(m):02d}:{s:04.1f}"
    return f"{sign}{int(m)}:{s:04.1f}"


def _pretty(column: str) -> str:
    name = column.removesuffix("_deg")
    for s in ("left_", "right_"):
        if name.startswith(s):
            return f"{name[len(s) :].replace('_', ' ')} ({s[:-1]})"
    return name.replace("_", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "") -> str:
    """An HTML table; ``header`` and ``rows`` cells must already be escaped HTML."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    # the wrapper scrolls sideways inside its box on a narrow screen; the page never does
    return (
        f"<div class='tbl'><table{klass}><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


@dataclass(frozen=True, kw_only=True)
class ReportContext:
    """What the report says about the session besides the envelope.

    All strings are shown escaped. ``calibration_lines`` are the pipeline's calibration
    summary (windows, how they were found, quality figures); ``absent`` maps an angle column
    to why it is not measured; ``warnings`` are the pipeline's messages (gaps, dropouts).
    """

    source_name: str
    started_at: str | None = None
    exercise: str | None = None
    notes: str | None = None
    rate_hz: float | None = None
    sensors: tuple[str, ...] = ()
    calibration_lines: tuple[str, ...] = ()
    calibration: Mapping[str, Any] | None = None
    absent: Mapping[str, str] | None = None
    warnings: tuple[str, ...] = ()
    version: str = ""


CSS: Final = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1d1d1f;margin:0;background:#f5f5f3}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:
1px solid #ddd;padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}
.meta{color:#555;font-size:14px}.meta span{display:inline-block;margin-right:18px}
.verdict{border-radius:8px;padding:14px 18px;margin:18px 0;font-size:17px}
.verdict b{font-size:21px;display:block;margin-bottom:2px}
.v-inside{background:#e4f4ec;border-left:6px solid #009E73}
.v-outside{background:#fbe9df;border-left:6px solid #D55E00}
.v-not_engaged{background:#eeeeee;border-left:6px solid #888}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:14px}
th,td{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f1;font-weight:600}td.n{text-align:right;white-space:nowrap}
.st-ok{color:#00704f;font-weight:600}.st-violated{color:#b34700;font-weight:600}
.st-not_measured{color:#666;font-style:italic}.st-uncertain{color:#7a5c00;font-style:italic}
.adv{color:#8a4f73}.flag{color:#b00020}
.v-partial{background:#fff4dc;border-left:6px solid #e69f00}
.cue{font-weight:600}.small{font-size:13px;color:#555}
figure.plot{margin:0 0 10px}.plot svg{display:block;width:100%;height:auto}
.plot .narrow{display:none}
.tbl{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:6px 0 10px}.tbl table{margin:0}
td{overflow-wrap:break-word}
@media (max-width:640px){main{padding:14px 12px 40px}h1{font-size:22px}
.verdict{padding:10px 12px;font-size:16px}.verdict b{font-size:19px}
table{font-size:13px}th,td{padding:4px 5px}.meta span{display:block}
.plot .wide{display:none}.plot .narrow{display:block}}
.legend span{display:inline-block;margin-right:16px;font-size:13px}
.sw{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle}
.flags li{margin:3px 0}.box{background:#fff8e6;border:1px solid #f0d99a;border-radius:6px;
padding:10px 16px;margin:10px 0}ul{margin:6px 0 6px 20px;padding:0}
code{font-size:13px;background:#f3f3f1;padding:1px 4px;border-radius:3px}
"""


def build_report_html(
    angles: pd.DataFrame, envelope: EnvelopeResult, context: ReportContext
) -> str:
    """The complete report page as an HTML string (UTF-8 when written).

    ``angles`` is the angle table the envelope was computed on (``t_s`` + ``*_deg``
    columns, degrees). The page draws the angle panels as one inline SVG; it loads nothing else.
    """
    env = envelope
    plot = _figures(angles, env)
    prof = env.profile
    t = env.t_s
    duration_s = float(t[-1] - t[0]) if t.size else 0.0
    parts: list[str] = []
    parts.append(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>stretchguard report — {_e(context.source_name)}</title>"
        f"<style>{CSS}</style></head><body><main>"
    )
    parts.append(f"<h1>{_e(prof.title)}</h1>")
    meta = [
        f"<span>file <b>{_e(context.source_name)}</b></span>",
        f"<span>side <b>{_e(env.side)}</b></span>",
        f"<span>profile <b>{_e(prof.name)}</b></span>",
        f"<span>length <b>{_e(_clock(duration_s))}</b></span>",
    ]
    if context.started_at:
        meta.append(f"<span>recorded <b>{_e(context.started_at)}</b></span>")
    if context.rate_hz:
        meta.append(f"<span>grid <b>{context.rate_hz:g} Hz</b></span>")
    if context.sensors:
        meta.append(f"<span>sensors <b>{_e(', '.join(context.sensors))}</b></span>")
    parts.append(f"<p class='meta'>{''.join(meta)}</p>")
    parts.append(_verdict_box(env))
    parts.append(_red_flag_box(env))
    parts.append("<h2>Summary</h2>")
    parts.append(_rules_table(env))
    parts.append(_holds_section(env))
    parts.append(_dynamics_section(env))
    parts.append(_episodes_section(env))
    parts.append(_marks_section(env))
    parts.append(_slr_section(env))
    parts.append(_differentiation_section(env))
    parts.append("<h2>Angles over time</h2>")
    parts.append(_legend())
    parts.append(plot)
    if context.notes:
        parts.append(f"<h2>Notes</h2><p>{_e(context.notes)}</p>")
    parts.append(_calibration_section(context))
    parts.append(_accuracy_section(env, context))
    parts.append(_caveats_section(env, context, stand_in_gaps(env, angles)))
    parts.append(_profile_section(env))
    version = f" {_e(context.version)}" if context.version else ""
    parts.append(
        f"<p class='small'>Made by stretchguard{version}. Angles are relative to the quiet "
        "stand at the start of the session (every angle 0° there); signs and frames as in "
        "the project's conventions. The envelope result is also in envelope.json and the "
        "angles in angles.csv beside this page.</p>"
    )
    parts.append("</main></body></html>\n")
    return "".join(parts)


def _figures(angles: pd.DataFrame, env: EnvelopeResult) -> str:
    """Every panel drawn for a desktop column and for a phone; the CSS shows the one that fits.

    Each panel is its own figure with its own time axis, so a reader scrolling a phone
    always has the time under the curve.
    """
    wide = panel_svgs(angles, env, style=WIDE)
    narrow = panel_svgs(angles, env, style=NARROW)
    return "".join(
        f"<figure class='plot'>{w}{n}</figure>" for w, n in zip(wide, narrow, strict=True)
    )


def _verdict_box(env: EnvelopeResult) -> str:
    gating = [e for e in env.episodes if not e.advisory]
    lines = []
    if env.verdict == "outside":
        rules = sorted({e.rule.replace("_", " ") for e in gating})
        lines.append(
            f"{len(gating)} episode{'s' if len(gating) != 1 else ''} outside "
            f"({_e(', '.join(rules))}), {sum(e.duration_s for e in gating):.1f} s in total."
        )
    elif env.verdict == "inside":
        measured = [
            r
            for r in env.rules
            if r.status not in ("not_measured", "uncertain") and not r.spec.advisory
        ]
        if measured:
            lines.append(
                f"Every measured rule held while you were in the stretch "
                f"({len(measured)} gating rule{'s' if len(measured) != 1 else ''} measured)."
            )
        else:
            lines.append(
                "But no gating rule could be measured with these sensors — nothing was "
                "checked (see “Not measured” below)."
            )
        doubt = env.verdict_doubt_text()
        if doubt:
            lines.append(_e(doubt) + ".")
    else:
        lines.append(_e(env.engaged_reason or "the stretch position was never reached"))
    if env.profile.kind == "hold" and env.verdict != "not_engaged":
        lines.extend(_e(x) for x in longest_hold_lines(env))
    lines.extend(_e(line) for line in uncertain_lines(env))
    advisory = [e for e in env.episodes if e.advisory]
    if advisory:
        lines.append(
            f"{len(advisory)} advisory note{'s' if len(advisory) != 1 else ''} "
            "(hip rotation/adduction: the sensors are less sure in these planes)."
        )
    lines.extend(_e(x) for x in scope_lines(env))
    lines.extend(_mark_lines(env))
    lines[:0] = [_e(x) for x in posture_lines(env)]
    title, klass = _headline(env)
    return f"<div class='verdict v-{_e(klass)}'><b>{_e(title)}</b>" + "<br>".join(lines) + "</div>"


def _mark_lines(env: EnvelopeResult) -> list[str]:
    """One escaped line per symptom mark (the first 5): when, what was felt, what it suggests.

    Marks keep their number of the marks table and the figures (M1, M2 …).
    """
    symptoms = [(i, m) for i, m in enumerate(env.marks, start=1) if m.kind == "symptom"]
    lines = []
    for i, m in symptoms[:5]:
        felt = m.label or SymptomLabel(m.where, m.what).text()
        lines.append(
            f"M{i} at {_e(_clock(m.t_s))}: {_e(felt)} — {_e(mark_meaning(m.where, m.what))}."
        )
    if len(symptoms) > 5:
        lines.append(f"… and {len(symptoms) - 5} more symptom marks in the table below.")
    return lines


def _headline(env: EnvelopeResult) -> tuple[str, str]:
    """The verdict's headline and CSS class.

    *Inside* is partial when a gating rule was not checked (no sensor) or is uncertain (its
    angle is not trusted), and says so outright when the profile has gating rules and not one
    of them was judged.
    """
    gating = [r for r in env.rules if not r.spec.advisory]
    unsure = any(r.status == "uncertain" for r in gating)
    judged = sum(r.status not in ("not_measured", "uncertain") for r in gating) if gating else None
    partial = partial_verdict_title(env.verdict, _unchecked(env), gating_judged=judged)
    if partial is None and unsure and env.verdict == "inside":
        partial = "Stayed inside for what was measured"
    if env.verdict == "inside" and env.verdict_doubts:
        partial = UNDECIDED_TITLE  # an uncertain rule shows what may have been a break
    return (partial, "partial") if partial else (VERDICT_TEXT[env.verdict], env.verdict)


def _unchecked(env: EnvelopeResult) -> tuple[NotChecked, ...]:
    return not_checked(env.rules, side=env.side, measured=(env.engaged_by or "",))


def posture_lines(env: EnvelopeResult) -> list[str]:
    """The sentence on a posture that contradicts the profile, or on a profile chosen by it.

    Empty when the posture matches a chosen profile or was not checked.
    """
    check = env.posture
    if check is None or (check.matches and check.switched_from is None):
        return []
    return [check.text()]


def scope_lines(env: EnvelopeResult) -> list[str]:
    """Plain-text lines saying what the verdict did not cover (empty when it covers all).

    The "Not checked: …" sentence (rules no worn sensor measures and the sensor that would)
    and, when looking down was judged against the pelvis, how. Shown wherever the verdict is.
    """
    out = []
    sentence = not_checked_sentence(_unchecked(env))
    if sentence:
        out.append(sentence)
    rule = env.rule("neck_flexion")
    note = neck_frame_note(rule.column if rule is not None else None)
    if note and rule is not None and rule.status != "not_measured":
        out.append(note[0].upper() + note[1:] + ".")
    return out


def _rules_table(env: EnvelopeResult) -> str:
    rows = []
    for r in env.rules:
        worst = _worst(r)
        status = {
            "ok": "ok",
            "violated": "outside",
            "not_measured": "not measured",
            "uncertain": "uncertain",
        }[r.status]
        name = _e(r.rule.replace("_", " "))
        if r.spec.advisory:
            name += " <span class='adv'>(advisory)</span>"
        detail = (
            _e(r.reason)
            if r.status in ("not_measured", "uncertain")
            else _e(_pretty(r.column or ""))
        )
        rows.append(
            [
                name,
                _e(r.spec.describe()),
                (
                    "<span class='adv'>outside (advisory)</span>"
                    if r.spec.advisory and r.status == "violated"
                    else f"<span class='st-{r.status}'>{status}</span>"
                ),
                f"{len(r.episodes)}",
                _num(r.time_outside_s, ".1f", " s") if r.status != "not_measured" else "—",
                worst,
                _num(r.judged_s, ".0f", " s") if r.status != "not_measured" else "—",
                f"<span class='small'>{detail}</span>",
            ]
        )
    header = [
        "rule",
        "allowed",
        "status",
        "episodes",
        "time outside",
        "worst",
        "judged for",
        "angle",
    ]
    return _table(header, rows)


def _worst(r: RuleResult) -> str:
    if not r.episodes:
        return "—"
    key = max if r.spec.upper else min
    return _num(key(e.peak_deg for e in r.episodes), ".0f", "°")


def _holds_section(env: EnvelopeResult) -> str:
    prof = env.profile
    if prof.kind != "hold":
        return ""
    out = [f"<h3>Holds (target {prof.hold.target_s:g} s, short below {prof.hold.short_s:g} s)</h3>"]
    if not env.holds:
        out.append("<p>No hold: never engaged and inside the envelope with the leg still.</p>")
        out.append(_possible_list(env))
        return "".join(out)
    rating = {"target": "target reached", "under_target": "under target", "short": "short"}
    rows = [
        [
            str(i),
            _e(_clock(h.start_s)),
            _e(_clock(h.end_s)),
            _num(h.duration_s, ".1f", " s"),
            _e(rating[h.rating]),
        ]
        for i, h in enumerate(env.holds[:MAX_TABLE_ROWS], start=1)
    ]
    out.append(_table(["#", "from", "to", "duration", "rating"], rows))
    out.append(_more(len(env.holds)))
    cond = conditional_hold_lines(env, limit=MAX_TABLE_ROWS)
    if cond:
        out.append("<p>Holds that count only if an uncertain reading was wrong:</p>")
        out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in cond) + "</ul>")
    timing = hold_timing_line(env)
    if timing:
        out.append(f"<p>{_e(timing)}</p>")
    out.append(_possible_list(env))
    pauses = pause_hold_lines(env, limit=MAX_TABLE_ROWS)
    if pauses:
        out.append(
            "<p>Holds whose start or end depends on a pause about as long as a stop must last "
            "to count, or on how fast the angle that times them moved:</p>"
        )
        out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in pauses) + "</ul>")
    return "".join(out)


def longest_hold_lines(env: EnvelopeResult) -> list[str]:
    """The longest hold against the target, and whether it depends on an uncertain reading.

    When it does, a second sentence says so (``Hold.condition_text``) and gives the longest
    hold that depends on none. When its start or end hangs on a pause about as long as the
    dwell, another sentence gives both readings (``Hold.timing_text``).
    """
    target = env.profile.hold.target_s
    best = env.longest_hold_s
    verdict = "reached" if best >= target else "not reached"
    out = [f"Longest hold {best:.0f} s — the {target:g}-s target was {verdict}."]
    longest = max(env.holds, key=lambda h: h.duration_s, default=None)
    if longest is not None and longest.conditional:
        sure = max(h.sure_s for h in env.holds)
        out.append(
            f"That hold is not sure: {longest.condition_text()}. The longest hold that does "
            f"not depend on an uncertain reading: {sure:.0f} s."
        )
    if longest is not None and longest.timing_flagged:
        out.append(
            f"Its length depends on a pause about as long as a stop must last to count, or on "
            f"how fast the angle that times it moved: "
            f"{longest.timing_text()}."
        )
    return out


def conditional_hold_lines(env: EnvelopeResult, *, limit: int) -> list[str]:
    """One sentence per hold that depends on an uncertain rule, the longest first.

    At most ``limit`` sentences: which hold, and what the uncertain reading showed during
    it. An uncertain rule never breaks a hold, so such a hold is only as sure as that
    reading is wrong; the sentence says what is left if it was right
    (``Hold.condition_text``).
    """
    numbered = [(i, h) for i, h in enumerate(env.holds, start=1) if h.conditional]
    numbered.sort(key=lambda ih: -ih[1].duration_s)
    out = [
        f"Hold {i} ({_clock(h.start_s)}–{_clock(h.end_s)}) is not sure: {h.condition_text()}."
        for i, h in numbered[:limit]
    ]
    if len(numbered) > limit:
        out.append(f"… and {len(numbered) - limit} more such hold(s).")
    return out


def pause_hold_lines(env: EnvelopeResult, *, limit: int) -> list[str]:
    """One sentence per hold whose start or end hangs on a pause at the dwell, in time order.

    The pause measured within its precision of the dwell, so either decision may be the
    right one: the sentence gives both readings (``Hold.timing_text``). At most ``limit``.
    """
    numbered = [(i, h) for i, h in enumerate(env.holds, start=1) if h.timing_flagged]
    out = [f"Hold {i}: {h.timing_text()}." for i, h in numbered[:limit]]
    if len(numbered) > limit:
        out.append(f"… and {len(numbered) - limit} more such hold(s).")
    return out


def _possible_list(env: EnvelopeResult) -> str:
    """The report's lists of holds and time that may have been, not counted ("" if none).

    :func:`possible_hold_lines`, then :func:`possible_stretch_lines`.
    """
    out = []
    holds = possible_hold_lines(env, limit=MAX_TABLE_ROWS)
    if holds:
        items = "".join(f"<li>{_e(x)}</li>" for x in holds)
        out.append(f"<p>Holds that may have been but are not counted:</p><ul>{items}</ul>")
    possible = possible_stretch_lines(env, limit=MAX_TABLE_ROWS)
    if possible:
        items = "".join(f"<li>{_e(x)}</li>" for x in possible)
        out.append(f"<p>Time that may have been a stretch but is not counted:</p><ul>{items}</ul>")
    return "".join(out)


def possible_hold_lines(env: EnvelopeResult, *, limit: int) -> list[str]:
    """Sentences for holds that only a reading with borderline episodes inside has."""
    out = [f"{p.hold_text()}." for p in env.possible_holds[:limit]]
    if len(env.possible_holds) > limit:
        out.append(f"… and {len(env.possible_holds) - limit} more such hold(s).")
    return out


def possible_stretch_lines(env: EnvelopeResult, *, limit: int) -> list[str]:
    """Sentences for time that may have been a stretch an uncertain reading left out."""
    out = [f"{p.text()}." for p in env.possible_stretches[:limit]]
    if len(env.possible_stretches) > limit:
        out.append(f"… and {len(env.possible_stretches) - limit} more such time(s).")
    return out


def hold_timing_line(env: EnvelopeResult) -> str | None:
    """A sentence when the angle that times the holds is uncertain (None otherwise)."""
    if not env.hold_timing_doubt or not env.holds:
        return None
    angle = _pretty(env.engaged_by) if env.engaged_by else "engagement angle"
    return (
        f"Hold times are read from the {angle} reading, which is uncertain "
        f"({env.hold_timing_doubt}): a hold may start or end a second or two earlier or "
        "later than shown."
    )


def _dynamics_section(env: EnvelopeResult) -> str:
    out = []
    if env.slider is not None:
        s = env.slider
        spec = env.profile.slider
        assert spec is not None
        out.append("<h3>Slider</h3>")
        if s.reason:
            out.append(f"<p>{_e(s.reason)}</p>")
        rng = f"{spec.min_amplitude_deg:g}°"
        if spec.max_amplitude_deg is not None:
            rng += f"–{spec.max_amplitude_deg:g}°"
        rows = [
            ["cycles", str(s.cycles), f"≥ {spec.min_cycles}"],
            ["amplitude (peak to peak, median)", _num(s.amplitude_deg, ".0f", "°"), rng],
            [
                "rate (median)",
                _num(s.rate_hz, ".2f", " Hz"),
                f"{spec.min_rate_hz:g}–{spec.max_rate_hz:g} Hz",
            ],
            ["overall", "ok" if s.ok else "not yet", ""],
        ]
        out.append(_table(["criterion", "this session", "aim"], rows))
        out.append(_issues(s.issues))
    if env.repetitions is not None:
        p = env.repetitions
        spec_r = env.profile.repetitions
        assert spec_r is not None
        out.append("<h3>Repetitions</h3>")
        if p.reason:
            out.append(f"<p>{_e(p.reason)}</p>")
        rows = [
            [
                str(i),
                _e(_clock(r.start_s)),
                _num(r.range_deg, ".0f", "°"),
                _num(r.lengthening_s, ".1f", " s"),
                "ok"
                if r.ok
                else "too fast"
                if r.lengthening_s < spec_r.min_lengthening_s
                else "too slow",
            ]
            for i, r in enumerate(p.reps[:MAX_TABLE_ROWS], start=1)
        ]
        out.append(
            f"<p>{p.count} of {p.target_count} repetitions; median lengthening "
            f"{_num(p.median_lengthening_s, '.1f', ' s')} (aim ≥ "
            f"{spec_r.min_lengthening_s:g} s from 10 % to 90 % of each movement).</p>"
        )
        if rows:
            out.append(_table(["#", "at", "range", "lengthening", "tempo"], rows))
            out.append(_more(len(p.reps)))
        out.append(_issues(p.issues))
    return "".join(out)


def _issues(issues: Sequence[Any]) -> str:
    if not issues:
        return ""
    rows = [
        [_e(_clock(i.start_s)), _e(_clock(i.end_s)), f"<span class='cue'>{_e(i.cue)}</span>"]
        for i in issues[:MAX_TABLE_ROWS]
    ]
    return _table(["from", "to", "cue"], rows) + _more(len(issues))


def _episodes_section(env: EnvelopeResult) -> str:
    eps = env.episodes
    if not eps:
        return ""
    rows = []
    for e in eps[:MAX_TABLE_ROWS]:
        sev = "advisory" if e.advisory else e.severity
        rows.append(
            [
                _e(_clock(e.start_s)),
                _num(e.duration_s, ".1f", " s"),
                _e(e.rule.replace("_", " ")),
                _num(e.peak_deg, ".0f", "°"),
                f"<span class='cue'>{_e(e.cue)}</span>",
                _e(sev),
            ]
        )
    return (
        "<h3>Episodes outside the envelope</h3>"
        + _table(["from", "for", "rule", "worst", "cue", "kind"], rows)
        + _more(len(eps))
        + "<p class='small'>clear: past the warn level; borderline: past the edge by less "
        "than the typical sensor error; advisory: reported, not counted in the verdict.</p>"
    )


def _marks_section(env: EnvelopeResult) -> str:
    if not env.marks:
        return ""
    rows = []
    for i, m in enumerate(env.marks[:MAX_TABLE_ROWS], start=1):
        if m.note:
            state = _e(m.note)
        elif not m.engaged:
            state = "not in the stretch"
        elif m.inside:
            state = "inside"
        else:
            state = "<b>outside</b>: " + _e(", ".join(r.replace("_", " ") for r in m.rules_outside))
        angles = "; ".join(f"{_pretty(k)} {v:.0f}°" for k, v in m.angles_deg.items())
        rows.append(
            [
                f"M{i}",
                _e(_clock(m.t_s)),
                _mark_label_html(m),
                _e(m.kind),
                state,
                f"<span class='small'>{_e(angles) or '—'}</span>",
            ]
        )
    return (
        "<h3>Symptom and event marks</h3>"
        + _table(["", "at", "label", "kind", "envelope", "angles at that moment"], rows)
        + _more(len(env.marks))
    )


def _mark_label_html(m: MarkResult) -> str:
    """The mark's label, with where/what in words and a red-flag tag when it is one."""
    said = SymptomLabel(where=m.where, what=m.what)
    text = _e(m.label)
    if m.where or m.what:
        words = said.text()
        text = _e(words) if m.label in ("", "symptom", words) else f"{_e(words)} — {text}"
    if red_flag(m.where, m.what):
        text += " <b class='flag'>red flag</b>"
    if m.answer:
        text += f" <span class='small'>(answer: {_e(m.answer)})</span>"
    return text


def red_flag_marks(env: EnvelopeResult) -> list[MarkResult]:
    """The marks that are one of the seeds' red flags (foot numbness/tingling/weakness, pop)."""
    return [m for m in env.marks if red_flag(m.where, m.what)]


def _red_flag_box(env: EnvelopeResult) -> str:
    flagged = red_flag_marks(env)
    if not flagged:
        return ""
    items = ", ".join(
        f"{SymptomLabel(where=m.where, what=m.what).text()} at {_clock(m.t_s)}" for m in flagged
    )
    return (
        f"<div class='verdict v-outside'><b>Red flag marked: {_e(items)}</b>"
        f"{_e(RED_FLAG_ADVICE)}</div>"
    )


def _slr_section(env: EnvelopeResult) -> str:
    """Hip flexion at P1/P2, with and without dorsiflexion, and the difference."""
    slr = env.slr
    if slr is None:
        return ""
    rows = [
        [
            _e(r.point),
            _e(_clock(r.t_s)),
            _num(r.hip_flexion_deg, ".1f", "°"),
            _num(r.ankle_dorsiflexion_deg, ".0f", "°"),
            _e(r.condition.replace("_", " ")),
        ]
        for r in slr.readings
    ]
    summary = []
    for p in ("P1", "P2"):
        by = slr.mean_deg[p]
        diff = slr.difference_deg[p]
        summary.append(
            [
                p,
                _num(by["without_dorsiflexion"], ".1f", "°"),
                _num(by["with_dorsiflexion"], ".1f", "°"),
                _num(diff, "+.1f", "°"),
            ]
        )
    note = f"<p class='small'>{_e(slr.reason)}</p>" if slr.reason else ""
    return (
        "<h3>Straight-leg raise: hip flexion at P1 (first symptom) and P2 (most tolerated)</h3>"
        + note
        + _table(["mark", "at", "hip flexion", "ankle", "condition"], rows)
        + _table(
            ["", "toes relaxed / pointed", "toes pulled up", "difference (dorsiflexion effect)"],
            summary,
        )
        + f"<p class='small'>{_e(HEALTHY_DF_EFFECT)}; between people the spread is wide "
        "(± 7–10°), so compare your own sessions done the same way. The hip angle is the thigh "
        "relative to the pelvis; it informs and does not diagnose.</p>"
    )


def _differentiation_section(env: EnvelopeResult) -> str:
    """Each "nerve or muscle?" test: angles before/after, valid or not, answer, reading."""
    tests = env.differentiation
    if not tests:
        return ""
    rows = []
    for d in tests:
        angles = "; ".join(
            f"{_pretty(k)} {d.angles_before[k]:.0f}° → {d.angles_after[k]:.0f}°"
            for k in d.angles_before
        )
        rows.append(
            [
                _e(d.movement),
                _e(_clock(d.start_s)),
                _num(d.remote_change_deg, ".0f", "°"),
                _num(d.hip_shift_deg, ".1f", "°"),
                _num(d.knee_shift_deg, ".1f", "°"),
                ("valid" if d.valid else "<b>not valid</b>") + f"<br><span class='small'>"
                f"{_e(d.why)}</span>",
                _e(d.answer or "—"),
                _e(d.reading),
                f"<span class='small'>{_e(angles) or '—'}</span>",
            ]
        )
    header = [
        "movement",
        "at",
        "moved",
        "hip moved",
        "knee moved",
        "test",
        "answer",
        "reading",
        "angles before → after",
    ]
    return (
        "<h3>Nerve or muscle? (structural differentiation)</h3>"
        + _table(header, rows)
        + f"<p>{_e(DIFFERENTIATION_ADVICE)}</p>"
    )


def _legend() -> str:
    items = [
        ("#009E7333", "allowed side of the rule (edge dashed, warn level dotted)"),
        ("#D55E0055", "outside: clear"),
        ("#E69F0055", "outside: borderline"),
        ("#CC79A755", "advisory"),
        ("#9a9a9a33", "not in the stretch (not judged)"),
        ("#0072B2", "hold"),
    ]
    spans = "".join(
        f"<span><i class='sw' style='background:{c}'></i>{_e(text)}</span>" for c, text in items
    )
    return f"<p class='legend'>{spans}<span>M1, M2…: marks</span></p>"


def _calibration_section(ctx: ReportContext) -> str:
    out = ["<h2>Calibration</h2>"]
    if not ctx.calibration_lines:
        out.append("<p>No calibration information (angles were given, not estimated).</p>")
        return "".join(out)
    weak = _weak_segments(ctx.calibration)
    gyro = (ctx.calibration or {}).get("stand_gyro_rms_deg_s")
    still = not isinstance(gyro, int | float) or gyro < 1.0
    rough = _approximate_columns(ctx.calibration)
    unsure = [c for c in _uncertain_columns(ctx.calibration) if c not in rough]
    if ctx.calibration is not None:
        overall = "good" if not weak and still and not unsure else "check the notes below"
        out.append(f"<p>Calibration quality: <b>{overall}</b>.</p>")
    out.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in ctx.calibration_lines))
    out.append("</ul>")
    if weak:
        out.append(
            "<p class='box'>Less certain: " + _e("; ".join(weak)) + ". Angles of these "
            "segments may carry a constant offset; repeat the calibration movements slowly "
            "and in the sagittal plane next time.</p>"
        )
    if unsure:
        out.append(
            "<p class='box'>Uncertain angles (never judged as outside; why and what to redo "
            "are in the verdict above): " + _e(", ".join(unsure)) + ".</p>"
        )
    if rough:
        out.append(
            "<p class='box'>Approximate readings (their traces are measured only to about the "
            "± given in the verdict above, but their rules were judged and those verdicts "
            "stand): " + _e(", ".join(rough)) + ".</p>"
        )
    if ctx.warnings:
        out.append("<h3>Data warnings</h3><ul>")
        out.append("".join(f"<li>{_e(w)}</li>" for w in ctx.warnings) + "</ul>")
    return "".join(out)


def _uncertain_columns(cal: Mapping[str, Any] | None) -> list[str]:
    """The angle columns the calibration document lists as uncertain (strings only)."""
    listed = (cal or {}).get("uncertain_angles")
    if not isinstance(listed, Mapping):
        return []
    return [str(c) for c in listed]


def _approximate_columns(cal: Mapping[str, Any] | None) -> list[str]:
    """The uncertain angle columns the calibration document lists as approximate only."""
    listed = (cal or {}).get("approximate_angles")
    if not isinstance(listed, Mapping):
        return []
    return [str(c) for c in listed]


def _weak_segments(cal: Mapping[str, Any] | None) -> list[str]:
    if not cal:
        return []
    weak = []
    for name, seg in (cal.get("segments") or {}).items():
        if not isinstance(seg, Mapping):
            continue
        reasons = []
        if seg.get("sign_confidence") == "low":
            reasons.append("flexion sign uncertain")
        planarity = seg.get("planarity_ratio")
        if isinstance(planarity, int | float) and planarity < 0.7:
            reasons.append(f"functional movement not planar ({planarity:.2f})")
        if reasons:
            weak.append(f"{name}: {', '.join(reasons)}")
    return weak


def _accuracy_section(env: EnvelopeResult, ctx: ReportContext) -> str:
    rows = [
        [_e(p), _e(a), _e(err), f"<span class='small'>{_e(src)}</span>"]
        for p, a, err, src in TYPICAL_ERROR
    ]
    out = [
        "<h2>How sure are these numbers?</h2>",
        "<p>Typical error of wearable-sensor joint angles against optical motion capture "
        "(published validation studies, mostly walking — no study has validated them during "
        "a hamstring stretch):</p>",
        _table(["plane", "angles", "typical error", "source"], rows),
        "<p>Static accuracy is dominated by the calibration: a pose that was off by some "
        "degrees at the quiet stand shifts that angle by the same amount for the whole "
        "session. An episode marked <i>borderline</i> went past the edge by less than the "
        "warn margin and may be measurement error; hip rotation and adduction rules are "
        "advisory for the same reason. Each rule's gate has a hysteresis of at least the "
        "plane's error (3° sagittal, 5° frontal/transverse) and a minimum dwell, so noise "
        "does not flicker the verdict.</p>",
    ]
    if ctx.calibration:
        gyro = ctx.calibration.get("stand_gyro_rms_deg_s")
        if isinstance(gyro, int | float):
            still = "steady" if gyro < 1.0 else "not quite still"
            out.append(
                f"<p>This session's quiet stand: gyroscope RMS {gyro:.2f} °/s ({still}).</p>"
            )
    return "".join(out)


def stand_in_gaps(env: EnvelopeResult, angles: pd.DataFrame) -> list[tuple[float, float]]:
    """The gaps (start, end; session s) in which the thigh's tilt decided the stretch.

    Those of ``env.gaps`` where the engagement angle (hip flexion, which needs the pelvis)
    had no data while engaged and the thigh's inclination to gravity, its stand-in
    (``angles``' ``<side>_thigh_inclination_deg`` inside a pelvis dropout), had some.
    None when the thigh's inclination is the engagement angle itself (no pelvis worn).
    """
    thigh = thigh_inclination_column(env.side)
    by = env.engaged_by
    if by is None or by == thigh or thigh not in angles.columns:
        return []
    t = angles["t_s"].to_numpy()
    x = angles[thigh].to_numpy(dtype=float)
    return [
        (a, b)
        for a, b, cols in env.gaps
        if by in cols and bool(np.isfinite(x[(t >= a) & (t <= b)]).any())
    ]


def _stand_in_note(gaps: Sequence[tuple[float, float]]) -> str:
    """One plain sentence on the gaps :func:`stand_in_gaps` found ("" when none)."""
    if not gaps:
        return ""
    when = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in gaps)
    return (
        f"<p>While the pelvis sensor was out ({when}), the tilt of your thigh told whether "
        "you were in the stretch, in place of the bend at your hip.</p>"
    )


def _caveats_section(
    env: EnvelopeResult, ctx: ReportContext, stand_ins: Sequence[tuple[float, float]] = ()
) -> str:
    out = ["<h2>What this report cannot tell you</h2>"]
    absent = dict(ctx.absent or {})
    for r in env.rules:
        if r.status == "not_measured" and r.column and r.column not in absent:
            absent[r.column] = r.reason or "not measured"
    if absent:
        out.append("<h3>Not measured</h3><ul>")
        out.append(
            "".join(f"<li><b>{_e(_pretty(c))}</b>: {_e(why)}</li>" for c, why in absent.items())
        )
        out.append(
            "</ul><p class='small'>A rule whose angle is not measured is reported as such — "
            "it is never counted as passed.</p>"
        )
    if env.gaps:
        total = sum(b - a for a, b, _ in env.gaps)
        out.append(
            f"<p>Sensor data was missing for {total:.1f} s while you were in the stretch "
            f"({len(env.gaps)} gap{'s' if len(env.gaps) != 1 else ''}); there the rules on "
            "the missing angles are not judged, the others are.</p>"
        )
        out.append(_stand_in_note(stand_ins))
    out.append(
        "<div class='box'><p><b>stretchguard informs; it does not diagnose.</b> It measures "
        "joint angles with motion sensors and compares them with a nerve-friendly envelope "
        "drawn from the literature. A burning, tingling or electric feeling, or a stretch "
        "felt in the foot or heel rather than the back of the thigh, suggests the sciatic "
        "nerve is being tensioned: ease off (bend the knee, point the toes, lengthen the "
        "spine).</p><p><b>See a physiotherapist or physician</b> if you have:</p>"
        "<ul class='flags'>" + "".join(f"<li>{_e(f)}</li>" for f in RED_FLAGS) + "</ul></div>"
    )
    return "".join(out)


def _profile_section(env: EnvelopeResult) -> str:
    prof = env.profile
    rows = []
    for r in prof.rules:
        rows.append(
            [
                _e(r.name.replace("_", " ")),
                _e(r.describe()),
                _num(r.warn_deg, "g", "°"),
                _num(r.hysteresis_deg, "g", "°"),
                _num(r.dwell_s, "g", " s"),
                "yes" if r.advisory else "no",
                f"<span class='small'>{_e(r.basis)}</span>",
            ]
        )
    crit = "; ".join(c.describe() for c in prof.engaged.criteria)
    if prof.engaged.require:
        crit += " — and, where measured, " + " and ".join(
            c.describe() for c in prof.engaged.require
        )
    out = [
        "<h2>The envelope used</h2>",
        f"<p>Profile <b>{_e(prof.name)}</b> ({_e(prof.source)}). {_e(prof.description)}</p>",
        f"<p>In the stretch when (first measured of): {_e(crit)}, for at least "
        f"{prof.engaged.dwell_s:g} s. Judged by: "
        f"<code>{_e(env.engaged_by or 'nothing — no engagement angle')}</code>.</p>",
        _table(["rule", "allowed", "warn", "hysteresis", "dwell", "advisory", "basis"], rows),
    ]
    if prof.warnings:
        out.append("<ul>" + "".join(f"<li>{_e(w)}</li>" for w in prof.warnings) + "</ul>")
    return "".join(out)


def uncertain_lines(env: EnvelopeResult) -> list[str]:
    """Plain sentences for the uncertain angles: which, why, what to redo.

    First the rules judged ``uncertain``, then the uncertain angles no rule reads
    (:func:`unread_uncertain_lines`), then the angles whose reading is only approximate while
    their rules are judged (:func:`approximate_lines`), so every angle of
    ``env.uncertain_angles`` is named.
    """
    return (
        confirmed_lines(env)
        + gate_lines(env)
        + _uncertain_rule_lines(env)
        + unread_uncertain_lines(env)
        + approximate_lines(env)
    )


def approximate_lines(env: EnvelopeResult) -> list[str]:
    """One sentence per reason for the angles whose trace is approximate but whose rules stand.

    Such an angle (``env.trace_precision_deg``: a knee held bent for much of the session,
    whose soft tissue the sensors cannot see) is measured only to a ± over the session, so
    its reading is not trusted to the target; its rules are still judged where the reading
    clears what the doubt could do at that time, and those verdicts stand.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for column in env.trace_precision_deg:
        why = env.uncertain_angles.get(column)
        if why is not None:
            key = (str(why.get("reason", "")), str(why.get("redo", "")))
            groups.setdefault(key, []).append(column)
    return [approximate_sentence(cols, reason, redo) for (reason, redo), cols in groups.items()]


def gate_lines(env: EnvelopeResult) -> list[str]:
    """One sentence per episode of a judged rule that hangs on a gate run at about its dwell.

    Such an episode (``RuleResult.gate_readings``) is unconfirmed: the sentence gives both
    readings. A rule left with no other episode is ``uncertain`` and its reason says it.
    """
    return [
        f"{r.rule.replace('_', ' ').capitalize()}: not counted, {g.text()}."
        for r in env.rules
        if r.status != "uncertain"
        for g in r.gate_readings
    ]


def confirmed_lines(env: EnvelopeResult) -> list[str]:
    """One sentence per rule on an uncertain angle whose episodes every reading shows.

    Such a rule is violated (``RuleResult.confirmed_by``): the sentence says how it was found
    whatever the doubt, that the angle itself stays uncertain and why, and how many of its
    episodes stay unconfirmed.
    """
    out = []
    for r in env.rules:
        if not r.confirmed_by:
            continue
        n = len(r.episodes)
        rest = f"; {len(r.unconfirmed)} more unconfirmed" if r.unconfirmed else ""
        out.append(
            f"{r.rule.replace('_', ' ').capitalize()}: {n} episode{'s' if n != 1 else ''} "
            f"{r.confirmed_by}, though the angle itself is uncertain ({r.reason}){rest}."
        )
    return out


def _uncertain_rule_lines(env: EnvelopeResult) -> list[str]:
    unsure = [r for r in env.rules if r.status == "uncertain"]
    if not unsure:
        return []
    names = ", ".join(r.rule.replace("_", " ") for r in unsure)
    lines = [
        f"Uncertain, not judged: {names} — {unsure[0].reason}. "
        f"Not counted as outside and not breaking a hold; {unsure[0].redo}."
    ]
    seen = {(unsure[0].reason, unsure[0].redo)}
    for r in unsure[1:]:
        if (r.reason, r.redo) not in seen:
            seen.add((r.reason, r.redo))
            lines.append(f"Also uncertain: {r.rule.replace('_', ' ')} — {r.reason}; {r.redo}.")
    return lines


def unread_uncertain_lines(env: EnvelopeResult) -> list[str]:
    """One sentence per reason for the uncertain angles that no uncertain rule reads.

    Such an angle (the resting leg's knee, the head relative to the pelvis, an angle the
    profile does not judge) sets no verdict, but its reading in the table and the plots is
    not to be trusted either; angles of the same reason and advice share a sentence.
    """
    read = {r.column for r in env.rules if r.status == "uncertain" or r.confirmed_by}
    read |= set(env.trace_precision_deg)  # said by approximate_lines
    groups: dict[tuple[str, str], list[str]] = {}
    for column, why in env.uncertain_angles.items():
        if column not in read:
            key = (str(why.get("reason", "")), str(why.get("redo", "")))
            groups.setdefault(key, []).append(column)
    return [
        f"Uncertain readings (no rule judged on them): {', '.join(cols)} — {reason}; {redo}."
        for (reason, redo), cols in groups.items()
    ]


BORDERLINE_WORDS = (
    "every episode went past its limit by less than the warn margin (the sensors' error) "
    "and may have been inside"
)
"""The terminal's words for a verdict set only by borderline episodes (docs/envelope.md 5)."""


def summary_text(envelope: EnvelopeResult, *, source_name: str) -> str:
    """A few plain-text lines for the terminal: verdict, rules, episodes with cues, holds."""
    env = envelope
    lines = [f"{source_name}: {env.profile.title} ({env.side} side)"]
    title, _ = _headline(env)
    unsure = sum(r.status == "uncertain" and not r.spec.advisory for r in env.rules)
    partial = f" — partial: {unsure} gating rule(s) uncertain" if unsure else ""
    gating = [e for e in env.episodes if not e.advisory]
    if env.verdict == "outside" and gating and all(e.severity == "borderline" for e in gating):
        partial += f" — borderline: {BORDERLINE_WORDS}"
    lines.append(f"  verdict: {title.lower()} [{env.verdict}]{partial}")
    doubt = env.verdict_doubt_text()
    if doubt:
        lines.append(f"  {doubt}.")
    if env.calibration_stand is not None:
        lines.append(f"  calibration: {env.calibration_stand.text}")
    lines.extend(f"  {x}" for x in posture_lines(env))
    lines.extend(f"  {x}" for x in scope_lines(env))
    if env.verdict == "not_engaged" and env.engaged_reason:
        lines.append(f"  {env.engaged_reason}")
    lines.extend(_rule_summary_lines(env))
    lines.extend(f"  {line}" for line in uncertain_lines(env))
    for e in env.episodes[:20]:
        near = " (borderline)" if e.severity == "borderline" and not e.advisory else ""
        lines.append(f"    {_clock(e.start_s):>8}  {e.duration_s:5.1f} s  {e.cue}{near}")
    if len(env.episodes) > 20:
        lines.append(f"    … {len(env.episodes) - 20} more in the report")
    lines.extend(_exercise_summary_lines(env))
    lines.extend(_mark_summary_lines(env))
    if red_flag_marks(env):
        lines.append(f"  {RED_FLAG_ADVICE}")
    lines.extend(_clinical_lines(env))
    if len(env.marks) > 20:
        lines.append(f"  … {len(env.marks) - 20} more marks in the report")
    return "\n".join(lines)


def _rule_summary_lines(env: EnvelopeResult) -> list[str]:
    """Terminal lines, one per rule: its status, allowed range and time outside (s)."""
    out = []
    for r in env.rules:
        if r.status == "not_measured":
            out.append(f"  {r.rule:<22} not measured ({r.reason})")
            continue
        if r.status == "uncertain":
            out.append(
                f"  {r.rule:<22} uncertain {len(r.unconfirmed)} unconfirmed episode(s), not judged"
            )
            continue
        tag = " (advisory)" if r.spec.advisory else ""
        out.append(
            f"  {r.rule:<22} {r.status:<8} allowed {r.spec.describe():<7} "
            f"outside {r.time_outside_s:5.1f} s in {len(r.episodes)} episode(s){tag}"
        )
    return out


def _exercise_summary_lines(env: EnvelopeResult) -> list[str]:
    """Terminal lines for what the exercise asks: holds, slider cycles, repetitions."""
    out = []
    if env.profile.kind == "hold" and env.verdict != "not_engaged":
        target = env.profile.hold.target_s
        if len(env.holds) > 8:
            reached = sum(h.duration_s >= target for h in env.holds)
            holds = f"{len(env.holds)}, {reached} reaching the target"
        else:
            holds = ", ".join(f"{h.duration_s:.0f} s" for h in env.holds) or "none"
        out.append(
            f"  holds: {holds} (target {env.profile.hold.target_s:g} s, longest "
            f"{env.longest_hold_s:.0f} s)"
        )
        out.extend(f"    {x}" for x in conditional_hold_lines(env, limit=5))
        out.extend(f"    {x}" for x in pause_hold_lines(env, limit=5))
        timing = hold_timing_line(env)
        if timing:
            out.append(f"    {timing}")
    if env.profile.kind == "hold":
        out.extend(f"    {x}" for x in possible_hold_lines(env, limit=5))
        out.extend(f"    {x}" for x in possible_stretch_lines(env, limit=5))
    if env.slider is not None:
        s = env.slider
        out.append(
            f"  slider: {s.cycles} cycles, amplitude {_num(s.amplitude_deg, '.0f', '°')}, "
            f"rate {_num(s.rate_hz, '.2f', ' Hz')} — {'ok' if s.ok else 'not yet'}"
        )
    if env.repetitions is not None:
        p = env.repetitions
        out.append(
            f"  repetitions: {p.count}/{p.target_count}, median lengthening "
            f"{_num(p.median_lengthening_s, '.1f', ' s')} — {'ok' if p.ok else 'not yet'}"
        )
    return out


def _mark_summary_lines(env: EnvelopeResult) -> list[str]:
    """Terminal lines for the first 20 symptom marks: inside or which rules were outside."""
    out = []
    for i, m in enumerate(env.marks[:20], start=1):
        state = "inside" if m.inside else "OUTSIDE: " + ", ".join(m.rules_outside)
        words = SymptomLabel(where=m.where, what=m.what).text()
        said = f" [{words}]" if (m.where or m.what) and words != m.label else ""
        flag = " RED FLAG" if red_flag(m.where, m.what) else ""
        out.append(f"  mark M{i} at {_clock(m.t_s)} {m.label!r}{said}: {state}{flag}")
    return out


def _clinical_lines(env: EnvelopeResult) -> list[str]:
    """Terminal lines for the straight-leg raise and the differentiation tests."""
    out = []
    if env.slr is not None:
        for p in ("P1", "P2"):
            by = env.slr.mean_deg[p]
            out.append(
                f"  SLR {p}: hip {_num(by['without_dorsiflexion'], '.1f', '°')} toes relaxed, "
                f"{_num(by['with_dorsiflexion'], '.1f', '°')} toes up, difference "
                f"{_num(env.slr.difference_deg[p], '+.1f', '°')}"
            )
    for d in env.differentiation:
        state = "valid" if d.valid else f"NOT VALID ({d.why})"
        out.append(
            f"  nerve or muscle? {d.movement} at {_clock(d.start_s)}: {state}; "
            f"answer {d.answer or '—'}: {d.reading}"
        )
    return out
