"""Figures of a judged session: each angle over time with its envelope, episodes, holds, marks.

Pure rendering: :func:`panel_svgs` takes the angle table and an
:class:`~analysis.envelope.results.EnvelopeResult` and returns one SVG document per judged angle,
each with its own time axis in min:s, for the report to embed inline (vector: sharp at any
zoom, text selectable, hover titles on episodes, holds and marks). Coordinates are CSS pixels
of the width the :class:`FigureStyle` is drawn for (a desktop column or a phone). Long sessions
are decimated for display with min/max per pixel column (:func:`decimate_minmax`) and
shaded intervals are merged per pixel (:func:`merge_spans_px`), so the drawing's size
depends on its width, not on the session's length; every peak stays visible.

Written by hand rather than with a plotting library: the figure is a few kinds of shapes,
and on a 1-h session writing it takes 0.05 s against 0.39 s to rasterise the same figure
with matplotlib, whose import (0.3 s) is spared too (``docs/report.md``). Every string that
reaches the SVG is XML-escaped.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.envelope.results import (
    EnvelopeResult,
    Episode,
    MarkResult,
    RuleResult,
    clock_text,
)
from analysis.recording.runs import true_intervals
from analysis.recording.schema import T_S

_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters a browser does not show as text: controls (an escape sequence, a bell) and the
bidirectional marks, embeddings, overrides and isolates that show the text after them
reversed or moved. Tab and newline are kept (HTML shows them as space)."""


def _code(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: object) -> str:
    r"""``text`` for HTML: escaped (quotes too), controls and bidi characters as codes.

    Every control or bidi character is written as its code (``\x1b``, ``\u202e``), as the
    terminal shows them: text from a file (a mark's label, the notes) is shown as text,
    never obeyed or reordered.
    """
    return html.escape(_NOT_TEXT.sub(_code, str(text)), quote=True)


FloatArray = NDArray[np.float64]

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies)
ALLOWED = "#009E73"
BREACH = "#D55E00"
BORDERLINE = "#E69F00"
ADVISORY = "#CC79A7"
HOLD = "#0072B2"
LINE = "#222222"
IDLE = "#9a9a9a"
CUE_TEXT = "#5a1f00"

FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif"
WIDTH_PX = 1124
"""Wide figure width: the report's content column, so one SVG unit is one CSS pixel."""
LEFT_PX, RIGHT_PX = 58, 12


@dataclass(frozen=True)
class FigureStyle:
    """Sizes of one panel's figure in SVG units (CSS pixels at the width it is drawn for).

    The report draws every panel twice, :data:`WIDE` for a desktop column and :data:`NARROW`
    for a phone (about 400 CSS pixels), and lets the page's CSS show the one that fits, so the
    text stays 10–14 px on both without a script.
    """

    width_px: int
    name: str = "wide"
    """CSS class of the figure (the page shows the one that fits its width)."""
    left_px: float = LEFT_PX
    right_px: float = RIGHT_PX
    title_px: float = 24
    """Room above the plotting area for the panel's title."""
    panel_px: float = 150
    bottom_px: float = 44
    """Room below it for the time labels and the axis title."""
    font_px: float = 10
    """Tick, cue, hold and mark labels."""
    title_font_px: float = 13
    title_wrap: int = 140
    """Characters per line of the panel title."""
    cue_wrap: int = 38
    """Characters per line of a cue label."""
    tick_every_px: float = 110
    """One time tick per about this many pixels."""

    @property
    def char_px(self) -> float:
        """Approximate advance of one label character (label placement)."""
        return 0.56 * self.font_px

    @property
    def plot_w(self) -> float:
        """Width of the plotting area (px): the figure less its margins, at least 100."""
        return max(self.width_px - self.left_px - self.right_px, 100.0)


WIDE = FigureStyle(width_px=WIDTH_PX)
NARROW = FigureStyle(
    width_px=400,
    name="narrow",
    left_px=42,
    right_px=10,
    title_px=42,
    panel_px=150,
    bottom_px=48,
    font_px=12,
    title_font_px=14,
    title_wrap=44,
    cue_wrap=24,
    tick_every_px=95,
)

MAX_LABELS_PER_PANEL = 6
"""Episodes labelled with their cue per panel (the longest); every episode is in the table."""
MAX_HOLD_LABELS = 30
"""Holds labelled with their duration (the longest that are at least 70 px wide)."""
MAX_MARK_LABELS = 40
"""Marks are numbered in the plot only up to this many (all are in the table)."""
TIME_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800)
"""Tick spacings (s) of time axes: whole seconds, minutes and hours."""


def decimate_minmax(
    t_s: FloatArray, y: FloatArray, *, n_bins: int
) -> tuple[FloatArray, FloatArray]:
    """Reduce a series to its minimum and maximum per bin, in time order.

    Splits the samples into ``n_bins`` consecutive bins (≈ one per pixel column) and keeps
    each bin's lowest and highest finite sample at their own times, so a line through the
    result covers exactly the vertical extent the full series would. A bin without finite
    samples yields NaN (a visible gap). Series shorter than ``2 * n_bins`` are returned as is.
    """
    n = y.size
    if n <= 2 * n_bins:
        return t_s, y
    k = math.ceil(n / n_bins)
    full = (n // k) * k  # the whole bins are a view; a short last bin is taken on its own
    lo, hi, empty = _bin_extremes(y[:full].reshape(-1, k))
    if full < n:
        tail = _bin_extremes(y[full:].reshape(1, -1))
        lo, hi, empty = (np.concatenate(pair) for pair in zip((lo, hi, empty), tail, strict=True))
    starts = np.arange(lo.size) * k
    # every bin holds a sample, so the picks (a bin's first sample when none is finite) are
    # real rows: no padding is ever chosen
    picks = np.stack([starts + np.minimum(lo, hi), starts + np.maximum(lo, hi)], axis=1).ravel()
    t_out = t_s[picks]
    y_out = y[picks].astype(np.float64, copy=False)
    y_out[np.repeat(empty, 2)] = np.nan
    return t_out, y_out


def _bin_extremes(
    bins: FloatArray,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.bool_]]:
    """Per row of ``bins``: the first lowest and first highest finite sample, and no-finite rows.

    A row without a finite sample gives 0 for both. Rows already all finite (the usual case)
    are searched in place, without the masked copies.
    """
    finite = np.isfinite(bins)
    if finite.all():
        return bins.argmin(axis=1), bins.argmax(axis=1), np.zeros(bins.shape[0], dtype=bool)
    lo = np.where(finite, bins, np.inf).argmin(axis=1)
    hi = np.where(finite, bins, -np.inf).argmax(axis=1)
    return lo, hi, ~finite.any(axis=1)


def mask_runs(t_s: FloatArray, mask: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Start and end times (s) of each run of True in ``mask``.

    The end is the time of the first sample after the run (so the drawn span covers the
    run's last interval), or of the last sample for a run that reaches the end.
    """
    if mask.size == 0:
        return np.empty(0), np.empty(0)
    starts, ends = true_intervals(mask)
    return t_s[starts], t_s[np.minimum(ends, mask.size - 1)]


def merge_spans_px(
    x0_px: FloatArray, x1_px: FloatArray, *, min_width_px: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """Merge intervals (pixels, in any order) that touch or overlap within half a pixel.

    Each interval is widened to ``min_width_px`` first so a short episode stays visible. The
    result has at most one interval per pixel of the axis, whatever the number of inputs.
    """
    if x0_px.size == 0:
        return x0_px, x1_px
    order = np.argsort(x0_px, kind="stable")
    a = x0_px[order]
    b = np.maximum(x1_px[order], a + min_width_px)
    reach = np.maximum.accumulate(b)
    new = np.ones(a.size, dtype=bool)
    new[1:] = a[1:] > reach[:-1] + 0.5
    first = np.flatnonzero(new)
    return a[first], np.maximum.reduceat(b, first)


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw * (1 - 1e-9))


def _ticks(lo: float, hi: float, step: float) -> FloatArray:
    first = math.ceil(lo / step - 1e-9) * step
    return np.arange(first, hi + step * 1e-6, step)


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")


def time_ticks(t0_s: float, t1_s: float, *, target: int = 10) -> tuple[FloatArray, list[str], str]:
    """Tick positions (s), their labels and the axis title for a time axis ``[t0, t1]``.

    Labels are clock times like the report's tables: min:s (h:min:s from one hour), with
    ticks on whole seconds, minutes or hours. Only an axis shorter than a few seconds, whose
    ticks fall between whole seconds, is labelled in seconds.
    """
    span = max(t1_s - t0_s, 1e-9)
    raw = span / max(target, 1)
    if raw < 1.0:
        step = _nice_step(span, target)
        ticks = _ticks(t0_s, t1_s, step)
        return ticks, [_minus(f"{v:g}") for v in np.round(ticks, 6)], "time (s)"
    # the finest whole-second step that keeps the labels to about ``target`` (+1)
    step = next((s for s in TIME_STEPS_S if span / s <= target + 1), 3600 * math.ceil(raw / 3600))
    ticks = _ticks(t0_s, t1_s, float(step))
    title = "time (min:s)" if t1_s < 3600 else "time (h:min:s)"
    return ticks, [clock_text(v) for v in ticks], title


@dataclass(frozen=True)
class _Panel:
    column: str
    title: str
    rule: RuleResult | None = None
    engaged_min_deg: float | None = None
    shows_holds: bool = False


def _pretty(column: str) -> str:
    name = column.removesuffix("_deg")
    side = ""
    for s in ("left_", "right_"):
        if name.startswith(s):
            side, name = s[:-1], name[len(s) :]
    words = name.replace("_", " ")
    return f"{words[:1].upper()}{words[1:]}" + (f" ({side})" if side else "")


def _panels(angles: pd.DataFrame, env: EnvelopeResult) -> list[_Panel]:
    panels: list[_Panel] = []
    if env.engaged_by is not None and env.engaged_by in angles.columns:
        crit = next(
            (c for c in env.profile.engaged.criteria if env.engaged_by.endswith(f"{c.angle}_deg")),
            None,
        )
        thr = None if crit is None else crit.bound_deg
        title = _pretty(env.engaged_by) + (
            f" — in the stretch at {'≥' if crit.min_deg is not None else '≤'} {thr:g}°"
            if crit is not None and thr is not None
            else ""
        )
        panels.append(_Panel(env.engaged_by, title, engaged_min_deg=thr, shows_holds=True))
    for r in env.rules:
        if r.status == "not_measured" or r.column is None or r.column not in angles.columns:
            continue
        tag = " (advisory)" if r.spec.advisory else ""
        if r.status == "uncertain":
            tag += " (uncertain: not judged)"
        panels.append(
            _Panel(r.column, f"{_pretty(r.column)} — allowed {r.spec.describe()}{tag}", rule=r)
        )
    if not any(p.shows_holds for p in panels) and panels:
        first = panels[0]
        panels[0] = _Panel(first.column, first.title, rule=first.rule, shows_holds=True)
    return panels


def _f(v: float) -> str:
    """A coordinate with 0.1-px resolution."""
    return f"{v:.1f}"


class _Axes:
    """Data (s, degrees) to figure pixels for one panel; SVG fragments for its content."""

    def __init__(self, t0: float, t1: float, y0: float, y1: float, box: tuple[float, ...]):
        self.t0, self.t1, self.y0, self.y1 = t0, t1, y0, y1
        self.left, self.top, self.width, self.height = box
        self.sx = self.width / max(t1 - t0, 1e-12)
        self.sy = self.height / max(y1 - y0, 1e-12)

    def x(self, t_s: FloatArray | float) -> FloatArray:
        return self.left + (np.asarray(t_s, dtype=np.float64) - self.t0) * self.sx

    def y(self, v_deg: FloatArray | float) -> FloatArray:
        return self.top + (self.y1 - np.asarray(v_deg, dtype=np.float64)) * self.sy

    def hline(self, v_deg: float, colour: str, width: float, dash: str) -> str:
        yy = _f(float(self.y(v_deg)))
        return (
            f"<line x1='{_f(self.left)}' x2='{_f(self.left + self.width)}' y1='{yy}' y2='{yy}' "
            f"stroke='{colour}' stroke-width='{width}' stroke-dasharray='{dash}'/>"
        )

    def band(self, lo_deg: float, hi_deg: float, colour: str, opacity: float) -> str:
        top = float(np.clip(self.y(hi_deg), self.top, self.top + self.height))
        bottom = float(np.clip(self.y(lo_deg), self.top, self.top + self.height))
        return (
            f"<rect x='{_f(self.left)}' y='{_f(top)}' width='{_f(self.width)}' "
            f"height='{_f(bottom - top)}' fill='{colour}' fill-opacity='{opacity}'/>"
        )

    def spans(
        self,
        t_start: FloatArray,
        t_end: FloatArray,
        colour: str,
        opacity: float,
        *,
        frac: tuple[float, float] = (0.0, 1.0),
    ) -> str:
        """Vertical strips over time intervals, merged per pixel, as one path.

        ``frac`` is the strip's vertical extent as fractions of the panel from the bottom.
        """
        a, b = merge_spans_px(self.x(t_start), self.x(t_end))
        if a.size == 0:
            return ""
        lo = self.left
        a, b = np.clip(a, lo, lo + self.width), np.clip(b, lo, lo + self.width)
        y_top = self.top + self.height * (1 - frac[1])
        h = self.height * (frac[1] - frac[0])
        d = "".join(
            f"M{_f(p)} {_f(y_top)}h{_f(q - p)}v{_f(h)}h{_f(p - q)}z"
            for p, q in zip(a.tolist(), b.tolist(), strict=True)
        )
        return f"<path d='{d}' fill='{colour}' fill-opacity='{opacity}'/>"

    def polyline(self, t_s: FloatArray, v_deg: FloatArray) -> str:
        """The series as one path, broken where it is NaN (a gap stays visible)."""
        xs, ys = self.x(t_s), self.y(v_deg)
        ok = np.isfinite(ys)
        if not ok.any():
            return ""
        starts = ok & ~np.concatenate([[False], ok[:-1]])
        verbs = np.where(starts[ok], "M", "L").tolist()
        d = "".join(
            [
                f"{v}{xi:.1f} {yi:.1f}"
                for v, xi, yi in zip(verbs, xs[ok].tolist(), ys[ok].tolist(), strict=True)
            ]
        )
        return (
            f"<path d='{d}' fill='none' stroke='{LINE}' stroke-width='1.1' "
            "stroke-linejoin='round'/>"
        )


def _text(
    x: float,
    y: float,
    lines: Sequence[str],
    *,
    size: float,
    colour: str = "#222",
    anchor: str = "start",
    weight: str = "normal",
    halo: bool = False,
    title: str | None = None,
) -> str:
    """SVG text, one ``tspan`` per line; ``halo`` draws a white outline under the glyphs."""
    extra = (
        " paint-order='stroke' stroke='#ffffff' stroke-width='3' stroke-linejoin='round'"
        if halo
        else ""
    )
    body = "".join(
        f"<tspan x='{_f(x)}' dy='{0 if i == 0 else size * 1.2:.1f}'>{escape(line)}</tspan>"
        for i, line in enumerate(lines)
    )
    tip = f"<title>{escape(title)}</title>" if title else ""
    return (
        f"<text x='{_f(x)}' y='{_f(y)}' font-size='{size:g}' fill='{colour}' "
        f"text-anchor='{anchor}' font-weight='{weight}'{extra}>{tip}{body}</text>"
    )


def _episode_title(e: Episode) -> str:
    kind = "advisory" if e.advisory else e.severity
    peak = _minus(f"{e.peak_deg:.1f}")
    return f"{e.rule} {kind}: {e.start_s:.1f}–{e.end_s:.1f} s, peak {peak}° — {e.cue}"


def _y_range(y: FloatArray, panel: _Panel) -> tuple[float, float]:
    finite = y[np.isfinite(y)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-10.0, 10.0)
    refs = [lo, hi]
    if panel.rule is not None:
        refs.append(panel.rule.spec.limit_deg)
        if panel.rule.spec.warn_deg is not None:
            refs.append(panel.rule.spec.warn_deg)
    if panel.engaged_min_deg is not None:
        refs.append(panel.engaged_min_deg)
    y0, y1 = min(refs), max(refs)
    margin = max(0.12 * (y1 - y0), 3.0)
    return y0 - margin, y1 + margin * 2.2  # headroom for cue labels


def _episode_shading(ax: _Axes, rule: RuleResult) -> list[str]:
    out = []
    for severity, colour in (("clear", BREACH), ("borderline", BORDERLINE)):
        eps = [e for e in rule.episodes if e.severity == severity]
        if eps:
            starts = np.array([e.start_s for e in eps])
            ends = np.array([e.end_s for e in eps])
            out.append(ax.spans(starts, ends, ADVISORY if rule.spec.advisory else colour, 0.28))
    return out


def _cue_labels(ax: _Axes, rule: RuleResult, style: FigureStyle) -> list[str]:
    """The longest episodes' cues, on two rows, where the text has room; hover for details."""
    longest = sorted(rule.episodes, key=lambda e: e.duration_s, reverse=True)
    candidates = set(map(id, longest[: MAX_LABELS_PER_PANEL * 4]))
    free_from = [-math.inf, -math.inf]  # per row: where the previous label ends (px)
    right_edge = ax.left + ax.width
    out: list[str] = []
    for e in sorted(longest, key=lambda e: e.start_s):
        if len(out) >= MAX_LABELS_PER_PANEL:
            break
        if id(e) not in candidates:
            continue
        lines = textwrap.wrap(e.cue, style.cue_wrap) or [e.rule]
        width = style.char_px * max(len(line) for line in lines) + 6
        x_start, x_end = float(ax.x(e.start_s)), float(ax.x(e.end_s))
        at_right = x_start + width > right_edge
        left_edge = x_end - width if at_right else x_start
        row = next((r for r in (0, 1) if left_edge >= free_from[r]), None)
        if row is None:
            continue
        free_from[row] = left_edge + width
        out.append(
            _text(
                (x_end - 2) if at_right else (x_start + 2),
                ax.top + 1.2 * style.font_px + 2.6 * style.font_px * row,
                lines,
                size=style.font_px,
                colour=CUE_TEXT,
                anchor="end" if at_right else "start",
                halo=True,
                title=_episode_title(e),
            )
        )
    return out


def _hold_layer(
    ax: _Axes, env: EnvelopeResult, labelled: Iterable, style: FigureStyle
) -> list[str]:
    starts, ends = mask_runs(env.t_s, env.in_hold)
    out = [ax.spans(starts, ends, HOLD, 0.75, frac=(0.0, 0.06))]
    for h in labelled:
        out.append(
            _text(
                float(ax.x((h.start_s + h.end_s) / 2)),
                ax.top + ax.height * 0.92 - 2,
                [f"hold {h.duration_s:.0f} s"],
                size=style.font_px,
                colour=HOLD,
                anchor="middle",
                halo=True,
                title=f"hold {h.start_s:.1f}–{h.end_s:.1f} s ({h.duration_s:.1f} s, {h.rating})",
            )
        )
    return out


def _grid(ax: _Axes, y_ticks: FloatArray, x_ticks: FloatArray) -> str:
    """Light grid lines at the ticks, drawn under the data."""
    bottom = ax.top + ax.height
    d = "".join(f"M{_f(ax.left)} {_f(float(ax.y(v)))}h{_f(ax.width)}" for v in y_ticks) + "".join(
        f"M{_f(float(ax.x(v)))} {_f(ax.top)}V{_f(bottom)}" for v in x_ticks
    )
    return f"<path d='{d}' stroke='#e2e2e2' stroke-width='0.8' fill='none'/>"


def _frame(
    ax: _Axes,
    y_ticks: FloatArray,
    x_ticks: FloatArray,
    x_labels: list[str],
    style: FigureStyle,
) -> list[str]:
    """The panel's border, tick marks and tick labels, drawn over the data."""
    bottom = ax.top + ax.height
    size = style.font_px
    out = [
        f"<rect x='{_f(ax.left)}' y='{_f(ax.top)}' width='{_f(ax.width)}' "
        f"height='{_f(ax.height)}' fill='none' stroke='#888888' stroke-width='0.8'/>"
    ]
    ticks = "".join(f"M{_f(float(ax.x(v)))} {_f(bottom)}v4" for v in x_ticks)
    out.append(f"<path d='{ticks}' stroke='#444444' stroke-width='0.8'/>")
    for v in y_ticks:
        out.append(
            _text(
                ax.left - 5,
                float(ax.y(v)) + 0.35 * size,
                [_minus(f"{v:g}")],
                size=size,
                anchor="end",
            )
        )
    for v, label in zip(x_ticks, x_labels, strict=True):
        out.append(_text(float(ax.x(v)), bottom + 1.6 * size, [label], size=size, anchor="middle"))
    mid = ax.top + ax.height / 2
    out.append(
        f"<text x='{_f(size * 1.3)}' y='{_f(mid)}' font-size='{size:g}' fill='#222' "
        f"text-anchor='middle' transform='rotate(-90 {_f(size * 1.3)} {_f(mid)})'>deg</text>"
    )
    return out


@dataclass(frozen=True)
class _Session:
    """What every panel of one session's figure shares."""

    t0: float
    t1: float
    idle: tuple[FloatArray, FloatArray]
    marks: list[tuple[int, MarkResult]]


def _session(env: EnvelopeResult) -> _Session:
    t = env.t_s
    t0, t1 = float(t[0]), float(t[-1])
    marks = [
        (i, m)
        for i, m in enumerate(env.marks, start=1)
        if math.isfinite(m.t_s) and t0 <= m.t_s <= t1
    ]
    return _Session(t0, t1, mask_runs(t, ~env.engaged), marks)


def _svg_head(style: FigureStyle, height: float, title: str, column: str = "") -> str:
    data = f" data-column='{escape(column)}'" if column else ""
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {style.width_px} {height:g}' "
        f"width='{style.width_px}' height='{height:g}' role='img' font-family=\"{FONT}\" "
        f"class='angles-plot {style.name}'{data}><title>{escape(title)}</title>"
        "<rect width='100%' height='100%' fill='#ffffff'/>"
    )


def panel_svgs(
    angles: pd.DataFrame, env: EnvelopeResult, *, style: FigureStyle = WIDE
) -> list[str]:
    """One SVG document per judged angle, each with its own time axis (min:s).

    Each panel shows the angle (degrees, decimated to one min/max pair per pixel column),
    the allowed side of its rule shaded green with the edge dashed and the warn level dotted,
    episodes outside the envelope shaded (red clear, amber borderline, pink advisory) and
    labelled with their cue, time when the user was not in the stretch greyed, holds (on the
    first panel) in blue with their duration, and symptom/event marks as numbered dashed
    vertical lines. ``angles`` needs ``t_s`` and the columns the envelope judged. With no
    judged angle, one SVG says so.
    """
    if T_S not in angles.columns:
        raise ValueError(f"angles need a {T_S!r} column")
    panels = _panels(angles, env)
    if not panels or env.t_s.size < 2:
        height = style.title_px + style.panel_px + style.bottom_px
        return [
            f"{_svg_head(style, height, 'No judged angle to plot')}"
            f"<text x='{style.width_px / 2:.0f}' y='{height / 2:.0f}' font-size='14' "
            "text-anchor='middle' fill='#555'>no judged angle to plot</text></svg>"
        ]
    shared = _session(env)
    return [_panel_svg(angles, env, panel, shared, style) for panel in panels]


def _panel_svg(
    angles: pd.DataFrame, env: EnvelopeResult, panel: _Panel, shared: _Session, style: FigureStyle
) -> str:
    """One panel's SVG document (see :func:`panel_svgs`)."""
    t, t0, t1 = env.t_s, shared.t0, shared.t1
    plot_w, top = style.plot_w, style.title_px
    title_lines = textwrap.wrap(panel.title, style.title_wrap) or [panel.title]
    title_lines = title_lines[:2]
    height = style.title_px + style.panel_px + style.bottom_px
    x_ticks, x_labels, x_title = time_ticks(
        t0, t1, target=max(3, int(plot_w // style.tick_every_px))
    )
    y = angles[panel.column].to_numpy(dtype=np.float64)
    # min/max per pixel column keeps the series' extremes: the range is the same
    td, yd = decimate_minmax(t, y, n_bins=int(plot_w))
    y0, y1 = _y_range(yd, panel)
    ax = _Axes(t0, t1, y0, y1, (style.left_px, top, plot_w, style.panel_px))
    clip = f"sg-clip-{escape(panel.column)}-{style.width_px}"
    parts = [
        _svg_head(style, height, f"{panel.title}, over time", panel.column),
        f"<g class='panel' data-column='{escape(panel.column)}'>"
        f"<clipPath id='{clip}'><rect x='{_f(style.left_px)}' y='{_f(top)}' "
        f"width='{_f(plot_w)}' height='{_f(style.panel_px)}'/></clipPath>",
        _text(
            style.left_px,
            top - 8 - (len(title_lines) - 1) * style.title_font_px * 1.2,
            title_lines,
            size=style.title_font_px,
            weight="600",
        ),
        f"<g clip-path='url(#{clip})'>",
        ax.spans(*shared.idle, IDLE, 0.14),
    ]
    rule = panel.rule
    if rule is not None:
        lim = rule.spec.limit_deg
        parts.append(
            ax.band(y0, lim, ALLOWED, 0.11) if rule.spec.upper else ax.band(lim, y1, ALLOWED, 0.11)
        )
        parts.append(ax.hline(lim, ALLOWED, 1.2, "6 4"))
        if rule.spec.warn_deg is not None:
            parts.append(ax.hline(rule.spec.warn_deg, BREACH, 1.0, "2 3"))
        parts += _episode_shading(ax, rule)
    if panel.engaged_min_deg is not None:
        parts.append(ax.hline(panel.engaged_min_deg, HOLD, 1.0, "6 4"))
    y_ticks = _ticks(y0, y1, _nice_step(y1 - y0, 5))
    parts.append(_grid(ax, y_ticks, x_ticks))
    parts.append(ax.polyline(td, yd))
    if panel.shows_holds:
        seconds_per_px = (t1 - t0) / plot_w
        wide = [h for h in env.holds if h.duration_s >= 7 * style.font_px * seconds_per_px]
        labelled = sorted(wide, key=lambda h: h.duration_s, reverse=True)[:MAX_HOLD_LABELS]
        parts += _hold_layer(ax, env, labelled, style)
    parts += _mark_layer(ax, shared.marks, style, below_cues=rule is not None)
    if rule is not None:
        parts += _cue_labels(ax, rule, style)
    parts.append("</g>")
    parts += _frame(ax, y_ticks, x_ticks, x_labels, style)
    parts.append("</g>")
    parts.append(
        _text(
            style.left_px + plot_w / 2,
            height - 0.8 * style.font_px,
            [x_title],
            size=style.font_px + 1,
            anchor="middle",
            colour="#333",
        )
    )
    parts.append("</svg>")
    return "".join(parts)


def _mark_layer(
    ax: _Axes, marks: list[tuple[int, MarkResult]], style: FigureStyle, *, below_cues: bool
) -> list[str]:
    """Marks as dashed vertical lines, numbered (M1, M2 …) while there are few enough."""
    if not marks:
        return []
    d = "".join(f"M{_f(float(ax.x(m.t_s)))} {_f(ax.top)}v{_f(ax.height)}" for _, m in marks)
    out = [f"<path d='{d}' stroke='#000000' stroke-width='1' stroke-dasharray='4 2'/>"]
    if len(marks) <= MAX_MARK_LABELS:
        # clear of the two rows of cue labels
        y = ax.top + (6.4 if below_cues else 1.2) * style.font_px
        for i, m in marks:
            out.append(
                _text(
                    float(ax.x(m.t_s)) + 3,
                    y,
                    [f"M{i}"],
                    size=style.font_px,
                    weight="bold",
                    halo=True,
                    title=f"M{i} at {clock_text(m.t_s)}: {m.label}",
                )
            )
    return out
