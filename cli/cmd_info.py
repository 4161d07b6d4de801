"""``stretchguard info FILE``: what a recording holds, without analysing it."""

from __future__ import annotations

import argparse

import numpy as np

from analysis.recording.streams import Recording
from cli.common import load_recording
from cli.text import echo, printable

DESCRIPTION = """\
Read a canonical recording (NAME.csv with its optional NAME.json sidecar), check it against
the format contract and print what it holds: each sensor's sample count, rate, time span and
gaps, the calibration windows and the symptom/event marks. A file that breaks the contract is
reported with its line and column and the command exits with code 4.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``info``."""
    parser.add_argument("file", help="canonical recording (.csv or .csv.gz)")


def summarise(rec: Recording) -> str:
    """A human-readable multi-line summary of a recording; text from the files is escaped."""

    def t(value: object) -> str:
        return printable(value, multiline=False)

    lines = []
    name = t(rec.path.name) if rec.path else "<recording>"
    lines.append(f"{name}: {rec.n_samples} samples, {rec.duration_s:.1f} s")
    meta = rec.meta
    if meta.exercise or meta.side:
        lines.append(f"  exercise: {t(meta.exercise or '?')}  side: {t(meta.side or '?')}")
    for label, s in rec.streams.items():
        dt = np.diff(s.t_s)
        gaps = int(np.sum(dt > 1.5 * np.median(dt))) if dt.size else 0
        extra = []
        if s.mag_ut is not None:
            extra.append("mag")
        if s.quat is not None:
            extra.append("quat")
        rate = s.median_rate_hz  # a single sample has none: "nan Hz" before round 16
        lines.append(
            f"  {t(label):<12} {len(s):>8} samples  "
            + (f"{rate:7.2f} Hz  " if np.isfinite(rate) else "no rate     ")
            + f"{s.t_s[0]:8.3f}–{s.t_s[-1]:8.3f} s  gaps: {gaps}"
            + (f"  (+{', '.join(extra)})" if extra else "")
        )
    cal = meta.calibration
    if cal is not None:
        if cal.static_s:
            lines.append(f"  quiet stand: [{cal.static_s[0]:.2f}, {cal.static_s[1]:.2f}) s")
        if cal.functional_s:
            a, b = cal.functional_s
            lines.append(f"  functional movements: [{a:.2f}, {b:.2f}) s")
    else:
        lines.append("  calibration windows: not in a sidecar (detected during analysis)")
    for m in meta.markers:
        lines.append(f"  mark at {m.t_s:.2f} s: {t(m.label)} ({t(m.kind)})")
    for g in meta.gaps:
        lines.append(f"  gap {t(g.sensor)}: [{g.start_s:.2f}, {g.end_s:.2f}) s ({t(g.reason)})")
    for w in rec.warnings:
        lines.append(f"  warning: {t(w)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the summary of one recording."""
    echo(summarise(load_recording(args.file)))
    return 0
