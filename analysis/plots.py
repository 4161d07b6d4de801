"""Figures of a judged session: each angle over time with its envelope, episodes, holds, marks.

Pure rendering: functions take the angle table and an
:class:`~analysis.envelope.EnvelopeResult` and return a matplotlib ``Figure`` or PNG bytes;
nothing here opens a file or touches pyplot's global state (the figure is drawn with the Agg
canvas directly). Long sessions are decimated for display with min/max per pixel column
(:func:`decimate_minmax`), so drawing cost depends on the image width, not the session
length; every peak stays visible. Text that comes from users or profiles (cues) is drawn
with mathtext off, so a ``$`` in it stays a dollar sign.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray

from analysis.envelope import EnvelopeResult, RuleResult
from analysis.schema import T_S

FloatArray = NDArray[np.float64]

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies)
ALLOWED = "#009E73"
BREACH = "#D55E00"
BORDERLINE = "#E69F00"
ADVISORY = "#CC79A7"
HOLD = "#0072B2"
LINE = "#222222"
IDLE = "#9a9a9a"

MAX_LABELS_PER_PANEL = 6
"""Episodes labelled with their cue per panel (the longest); every episode is in the table."""
LABEL_WIDTH_PX = 215
"""Approximate width of a wrapped cue label (38 characters at 7.5 pt)."""
MAX_HOLD_LABELS = 30
"""Holds labelled with their duration (the longest that are ≥ 70 px wide)."""
MAX_MARK_LABELS = 40
"""Marks are numbered in the plot only up to this many (all are in the table)."""


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
    m = math.ceil(n / k)
    pad = m * k - n
    yp = np.concatenate([y, np.full(pad, np.nan)]).reshape(m, k)
    tp = np.concatenate([t_s, np.full(pad, t_s[-1])]).reshape(m, k)
    finite = np.isfinite(yp)
    lo = np.where(finite, yp, np.inf).argmin(axis=1)
    hi = np.where(finite, yp, -np.inf).argmax(axis=1)
    rows = np.arange(m)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    t_out = np.stack([tp[rows, first], tp[rows, second]], axis=1).ravel()
    y_out = np.stack([yp[rows, first], yp[rows, second]], axis=1).ravel()
    y_out[np.repeat(~finite.any(axis=1), 2)] = np.nan
    return t_out, y_out


def _bin_any(t_s: FloatArray, mask: NDArray[np.bool_], *, n_bins: int):
    """A boolean mask reduced to ``n_bins`` bins (True where any sample is True)."""
    n = mask.size
    if n <= 2 * n_bins:
        return t_s, mask
    k = math.ceil(n / n_bins)
    m = math.ceil(n / k)
    pad = m * k - n
    mp = np.concatenate([mask, np.zeros(pad, bool)]).reshape(m, k).any(axis=1)
    tp = np.concatenate([t_s, np.full(pad, t_s[-1])]).reshape(m, k)
    # two points per bin (start, end) so a filled region spans the whole bin
    t_out = np.stack([tp[:, 0], tp[:, -1]], axis=1).ravel()
    return t_out, np.repeat(mp, 2)


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
        panels.append(
            _Panel(r.column, f"{_pretty(r.column)} — allowed {r.spec.describe()}{tag}", rule=r)
        )
    if not any(p.shows_holds for p in panels) and panels:
        first = panels[0]
        panels[0] = _Panel(first.column, first.title, rule=first.rule, shows_holds=True)
    return panels


def _time_formatter(duration_s: float) -> tuple[FuncFormatter | None, str]:
    if duration_s <= 300:
        return None, "time (s)"

    def fmt(x: float, _pos: int) -> str:
        sign = "-" if x < 0 else ""
        x = abs(x)
        h, rem = divmod(round(x), 3600)
        m, s = divmod(rem, 60)
        return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"

    return FuncFormatter(fmt), "time (min:s)" if duration_s < 3600 else "time (h:min:s)"


def session_figure(
    angles: pd.DataFrame, env: EnvelopeResult, *, width_px: int = 1320, dpi: int = 120
) -> Figure:
    """One stacked panel per judged angle, sharing the time axis.

    Each panel shows the angle (degrees, decimated to ``width_px`` columns), the allowed
    side of its rule shaded green with the edge dashed and the warn level dotted, episodes
    outside the envelope shaded (red clear, amber borderline, pink advisory) and labelled
    with their cue, time when the user was not in the stretch greyed, holds (on the first
    panel) in blue with their duration, and symptom/event marks as numbered vertical lines.
    """
    panels = _panels(angles, env)
    t = env.t_s
    n_bins = max(int(width_px), 100)
    height_in = 0.7 + 1.9 * max(len(panels), 1)
    fig = Figure(figsize=(width_px / dpi, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    # fixed margins in inches (constrained layout re-draws every tick to solve them: slow)
    width_in = width_px / dpi
    fig.subplots_adjust(
        left=0.62 / width_in,
        right=1 - 0.15 / width_in,
        top=1 - 0.3 / height_in,
        bottom=0.5 / height_in,
        hspace=0.42 / 1.5,
    )
    if not panels:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no judged angle to plot", ha="center", va="center")
        ax.set_axis_off()
        return fig
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    formatter, xlabel = _time_formatter(float(t[-1] - t[0]))
    t_idle, idle = _bin_any(t, ~env.engaged, n_bins=n_bins)
    seconds_per_px = float(t[-1] - t[0]) / n_bins
    mark_times = [m.t_s for m in env.marks if math.isfinite(m.t_s) and t[0] <= m.t_s <= t[-1]]
    wide = [h for h in env.holds if h.duration_s >= 70 * seconds_per_px]
    labelled_holds = sorted(wide, key=lambda h: h.duration_s, reverse=True)[:MAX_HOLD_LABELS]
    t_hold, hold = _bin_any(t, env.in_hold, n_bins=n_bins)
    for ax, panel in zip(axes, panels, strict=True):
        y = angles[panel.column].to_numpy(dtype=np.float64)
        td, yd = decimate_minmax(t, y, n_bins=n_bins)
        finite = yd[np.isfinite(yd)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-10.0, 10.0)
        refs = [lo, hi]
        rule = panel.rule
        if rule is not None:
            refs.append(rule.spec.limit_deg)
            if rule.spec.warn_deg is not None:
                refs.append(rule.spec.warn_deg)
        if panel.engaged_min_deg is not None:
            refs.append(panel.engaged_min_deg)
        y0, y1 = min(refs), max(refs)
        margin = max(0.12 * (y1 - y0), 3.0)
        y0, y1 = y0 - margin, y1 + margin * 2.2  # headroom for cue labels
        ax.fill_between(
            t_idle,
            0,
            1,
            where=idle,
            color=IDLE,
            alpha=0.14,
            lw=0,
            transform=ax.get_xaxis_transform(),
            step="post",
        )
        if rule is not None:
            lim = rule.spec.limit_deg
            if rule.spec.upper:
                ax.axhspan(y0 - 1e3, lim, color=ALLOWED, alpha=0.11, lw=0)
            else:
                ax.axhspan(lim, y1 + 1e3, color=ALLOWED, alpha=0.11, lw=0)
            ax.axhline(lim, color=ALLOWED, lw=1.1, ls="--")
            if rule.spec.warn_deg is not None:
                ax.axhline(rule.spec.warn_deg, color=BREACH, lw=0.9, ls=":")
            _draw_episodes(ax, rule, t, n_bins=n_bins)
        if panel.engaged_min_deg is not None:
            ax.axhline(panel.engaged_min_deg, color=HOLD, lw=0.9, ls="--")
        if panel.shows_holds:
            ax.fill_between(
                t_hold,
                0,
                0.06,
                where=hold,
                color=HOLD,
                alpha=0.75,
                lw=0,
                transform=ax.get_xaxis_transform(),
                step="post",
            )
            for h in labelled_holds:
                ax.text(
                    (h.start_s + h.end_s) / 2,
                    0.08,
                    f"hold {h.duration_s:.0f} s",
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=HOLD,
                    parse_math=False,
                    clip_on=True,
                )
        ax.plot(td, yd, color=LINE, lw=0.9)
        if mark_times:
            ax.vlines(
                mark_times,
                0,
                1,
                transform=ax.get_xaxis_transform(),
                colors="#000000",
                lw=0.9,
                linestyles=(0, (4, 2)),
            )
        if ax is axes[0] and len(mark_times) <= MAX_MARK_LABELS:
            # numbered once, on the top panel, clear of the cue labels
            for i, m in enumerate(env.marks, start=1):
                if math.isfinite(m.t_s) and t[0] <= m.t_s <= t[-1]:
                    ax.text(
                        m.t_s,
                        1.0,
                        f" M{i}",
                        transform=ax.get_xaxis_transform(),
                        ha="left",
                        va="top",
                        fontsize=8,
                        fontweight="bold",
                        clip_on=True,
                    )
        ax.set_ylim(y0, y1)
        ax.set_xlim(t[0], t[-1])
        ax.set_ylabel("deg")
        ax.set_title(panel.title, loc="left", fontsize=10, parse_math=False)
        ax.grid(True, axis="y", color="#dddddd", lw=0.6)
        ax.tick_params(labelsize=8)
        if formatter is not None:
            ax.xaxis.set_major_formatter(formatter)
    axes[-1].set_xlabel(xlabel)
    return fig


def _draw_episodes(ax, rule: RuleResult, t: FloatArray, *, n_bins: int) -> None:
    if not rule.episodes:
        return
    colour = {
        "clear": BREACH,
        "borderline": BORDERLINE,
    }
    # shade through one collection per severity (fast for thousands of episodes)
    for severity in ("clear", "borderline"):
        eps = [e for e in rule.episodes if e.severity == severity]
        if not eps:
            continue
        mask = np.zeros(t.size, dtype=bool)
        for e in eps:
            mask[np.searchsorted(t, e.start_s) : np.searchsorted(t, e.end_s)] = True
        tb, mb = _bin_any(t, mask, n_bins=n_bins)
        ax.fill_between(
            tb,
            0,
            1,
            where=mb,
            lw=0,
            alpha=0.28,
            step="post",
            color=ADVISORY if rule.spec.advisory else colour[severity],
            transform=ax.get_xaxis_transform(),
        )
    # label the longest episodes with their cue, on two rows, where the text has room
    t0, t1 = float(t[0]), float(t[-1])
    label_s = LABEL_WIDTH_PX * (t1 - t0) / n_bins
    free_from = [-math.inf, -math.inf]  # per row: where the previous label ends
    longest = sorted(rule.episodes, key=lambda e: e.duration_s, reverse=True)
    placed = 0
    for e in sorted(longest, key=lambda e: e.start_s):
        if placed >= MAX_LABELS_PER_PANEL:
            break
        if e not in longest[: MAX_LABELS_PER_PANEL * 4]:
            continue
        at_right = e.start_s + label_s > t1
        left_edge = e.end_s - label_s if at_right else e.start_s
        row = next((r for r in (0, 1) if left_edge >= free_from[r]), None)
        if row is None:
            continue
        free_from[row] = left_edge + label_s
        placed += 1
        ax.text(
            e.end_s if at_right else e.start_s,
            0.96 - 0.17 * row,
            "\n".join(textwrap.wrap(e.cue, 38)) or e.rule,
            transform=ax.get_xaxis_transform(),
            ha="right" if at_right else "left",
            va="top",
            fontsize=7.5,
            color="#5a1f00",
            parse_math=False,
            clip_on=True,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no metadata that depends on time or host)."""
    buf = io.BytesIO()
    # fast zlib level: the PNG is ~15 % larger, encoding about twice as fast
    fig.savefig(buf, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def session_png(
    angles: pd.DataFrame, env: EnvelopeResult, *, width_px: int = 1320, dpi: int = 120
) -> bytes:
    """:func:`session_figure` rendered to PNG bytes."""
    if T_S not in angles.columns:
        raise ValueError(f"angles need a {T_S!r} column")
    return figure_png(session_figure(angles, env, width_px=width_px, dpi=dpi))
