"""Dynamic exercises: the slider's oscillation and eccentric repetitions.

The slider is judged by amplitude, rate and issues; the repetitions of eccentric exercises
by their lengthening tempo. Angles in degrees, times in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.envelope.masks import BoolArray, FloatArray
from analysis.envelope.profiles import (
    RepetitionSpec,
    SliderSpec,
    angle_column_for,
)
from analysis.envelope.results import DynamicIssue, Repetition, RepetitionResult, SliderResult
from analysis.recording.runs import true_runs

MIN_SEGMENT_SAMPLES: Final = 3
"""An engaged run shorter than this (samples) is not looked at."""


def _turning_points(
    x: FloatArray, min_step_deg: float, *, ends: bool = False
) -> tuple[NDArray[np.intp], BoolArray]:
    """Alternating maxima/minima whose prominence is ≥ ``min_step_deg``.

    Returns indices and a mask that is True for maxima. Successive turning points of the same
    kind keep only the more extreme one, so the sequence alternates. With ``ends`` the first
    and last samples count as turning points when the signal moved at least ``min_step_deg``
    from the nearest inner one (a movement that ends as engagement ends is still a movement).
    """
    from scipy.signal import find_peaks  # 0.45 s to import: only slider/repetition profiles

    hi, _ = find_peaks(x, prominence=min_step_deg)
    lo, _ = find_peaks(-x, prominence=min_step_deg)
    idx = np.concatenate((hi, lo))
    is_max = np.concatenate((np.ones(hi.size, bool), np.zeros(lo.size, bool)))
    order = np.argsort(idx, kind="stable")
    idx, is_max = idx[order], is_max[order]
    keep_idx: list[int] = []
    keep_max: list[bool] = []
    for j, m in zip(idx, is_max, strict=True):
        if keep_max and keep_max[-1] == m:
            better = x[j] > x[keep_idx[-1]] if m else x[j] < x[keep_idx[-1]]
            if better:
                keep_idx[-1] = int(j)
            continue
        keep_idx.append(int(j))
        keep_max.append(bool(m))
    if ends and keep_idx:
        first, last = keep_idx[0], keep_idx[-1]
        if (x[0] - x[first]) * (1 if keep_max[0] else -1) <= -min_step_deg and first > 0:
            keep_idx.insert(0, 0)
            keep_max.insert(0, not keep_max[0])
        end = x.size - 1
        if (x[end] - x[last]) * (1 if keep_max[-1] else -1) <= -min_step_deg and last < end:
            keep_idx.append(end)
            keep_max.append(not keep_max[-1])
    return np.asarray(keep_idx, dtype=np.intp), np.asarray(keep_max, dtype=bool)


def _issue_runs(
    flags: Sequence[str | None], starts_s: Sequence[float], ends_s: Sequence[float], cues: dict
) -> tuple[DynamicIssue, ...]:
    """Group consecutive items (cycles, repetitions) flagged with the same kind."""
    out: list[DynamicIssue] = []
    previous: str | None = None
    for kind, a, b in zip(flags, starts_s, ends_s, strict=True):
        if kind is not None and kind == previous:
            out[-1] = DynamicIssue(kind=kind, start_s=out[-1].start_s, end_s=b, cue=cues[kind])
        elif kind is not None:
            out.append(DynamicIssue(kind=kind, start_s=a, end_s=b, cue=cues[kind]))
        previous = kind
    return tuple(out)


SLIDER_CUES: Final = {
    "small": "bigger movement — point and flex the foot further",
    "large": "smaller movement — stay short of the end of the range",
    "slow": "a little quicker — keep the glide flowing",
    "fast": "slow down — an easy, unhurried rhythm",
}


def slider_result(
    spec: SliderSpec,
    side: str,
    data: Mapping[str, FloatArray],
    engaged: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    absent: Mapping[str, str],
) -> SliderResult:
    """The slider's oscillation of ``spec.angle`` on ``side`` while ``engaged``.

    Cycles, median amplitude (deg) and rate (Hz) over the engaged samples (times ``t_s``,
    s), with runs of small, large, slow or fast cycles as issues; ``absent`` gives the
    reason when the angle was not measured.
    """
    column = angle_column_for(spec.angle, side)
    x = data.get(column)
    if x is None or not np.isfinite(x).any():
        return SliderResult(
            column=column,
            cycles=0,
            amplitude_deg=None,
            rate_hz=None,
            ok=False,
            reason=absent.get(column, "angle not measured"),
        )
    amps: list[float] = []
    periods: list[float] = []
    flags: list[str | None] = []
    a_s: list[float] = []
    b_s: list[float] = []
    for a, b in true_runs(engaged, MIN_SEGMENT_SAMPLES):
        seg = pd.Series(x[a:b]).interpolate(limit_direction="both").to_numpy()
        idx, _ = _turning_points(seg, spec.detect_deg)
        if idx.size < 2:
            continue
        t = t_s[a:b][idx]
        step = np.abs(np.diff(seg[idx]))
        # a full cycle spans three turning points: period = time between same-kind points
        period = t[2:] - t[:-2] if idx.size >= 3 else np.zeros(0)
        for k in range(step.size):
            p = period[k] if k < period.size else (period[-1] if period.size else np.nan)
            amps.append(float(step[k]))
            if k < period.size:
                periods.append(float(period[k]))
            rate = 1.0 / p if p and np.isfinite(p) else np.nan
            flag = None
            if step[k] < spec.min_amplitude_deg:
                flag = "small"
            elif spec.max_amplitude_deg is not None and step[k] > spec.max_amplitude_deg:
                flag = "large"
            elif np.isfinite(rate) and rate < spec.min_rate_hz:
                flag = "slow"
            elif np.isfinite(rate) and rate > spec.max_rate_hz:
                flag = "fast"
            flags.append(flag)
            a_s.append(float(t[k]))
            b_s.append(float(t[k + 1]))
    cycles = len(amps) // 2  # two reversals make one cycle
    amp = float(np.median(amps)) if amps else None
    rate_hz = float(1.0 / np.median(periods)) if periods else None
    ok = (
        amp is not None
        and rate_hz is not None
        and cycles >= spec.min_cycles
        and amp >= spec.min_amplitude_deg
        and (spec.max_amplitude_deg is None or amp <= spec.max_amplitude_deg)
        and spec.min_rate_hz <= rate_hz <= spec.max_rate_hz
    )
    reason = None if amps else "no oscillation found while engaged"
    return SliderResult(
        column=column,
        cycles=cycles,
        amplitude_deg=amp,
        rate_hz=rate_hz,
        ok=bool(ok),
        issues=_issue_runs(flags, a_s, b_s, SLIDER_CUES),
        reason=reason,
    )


def repetition_result(
    spec: RepetitionSpec,
    side: str,
    data: Mapping[str, FloatArray],
    engaged: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    absent: Mapping[str, str],
) -> RepetitionResult:
    """Eccentric repetitions of ``spec.angle`` while ``engaged``: range (deg), lengthening (s)."""
    column = angle_column_for(spec.angle, side)
    x = data.get(column)
    if x is None or not np.isfinite(x).any():
        return RepetitionResult(
            column=column,
            count=0,
            target_count=spec.target_count,
            reason=absent.get(column, "angle not measured"),
        )
    sign = -1.0 if spec.lengthening == "decreasing" else 1.0
    cues = {
        "fast": f"slower — take at least {spec.min_lengthening_s:g} s to lengthen",
        "slow": (
            f"a little quicker — about {spec.max_lengthening_s:g} s per lengthening"
            if spec.max_lengthening_s is not None
            else ""
        ),
    }
    reps: list[Repetition] = []
    flags: list[str | None] = []
    for a, b in true_runs(engaged, MIN_SEGMENT_SAMPLES):
        seg = pd.Series(x[a:b]).interpolate(limit_direction="both").to_numpy()
        t = t_s[a:b]
        # work on the lengthening coordinate y: it rises during every lengthening phase
        y = sign * seg
        idx, is_max = _turning_points(y, spec.min_range_deg / 2, ends=True)
        for k in range(idx.size - 1):
            if is_max[k]:
                continue  # a lengthening phase goes from a minimum of y to the next maximum
            i0, i1 = int(idx[k]), int(idx[k + 1])
            rng = float(y[i1] - y[i0])
            if rng < spec.min_range_deg:
                continue
            part = y[i0 : i1 + 1]
            j10 = int(np.argmax(part >= y[i0] + 0.1 * rng))
            j90 = int(np.argmax(part >= y[i0] + 0.9 * rng))
            lengthening = float(t[i0 + j90] - t[i0 + j10])
            flag = None
            if lengthening < spec.min_lengthening_s:
                flag = "fast"
            elif spec.max_lengthening_s is not None and lengthening > spec.max_lengthening_s:
                flag = "slow"
            flags.append(flag)
            reps.append(
                Repetition(
                    start_s=float(t[i0 + j10]),
                    end_s=float(t[i0 + j90]),
                    range_deg=rng,
                    lengthening_s=lengthening,
                    ok=flag is None,
                )
            )
    med = float(np.median([r.lengthening_s for r in reps])) if reps else None
    ok = (
        len(reps) >= spec.target_count
        and med is not None
        and med >= spec.min_lengthening_s
        and (spec.max_lengthening_s is None or med <= spec.max_lengthening_s)
    )
    return RepetitionResult(
        column=column,
        count=len(reps),
        target_count=spec.target_count,
        reps=tuple(reps),
        median_lengthening_s=med,
        ok=bool(ok),
        issues=_issue_runs(flags, [r.start_s for r in reps], [r.end_s for r in reps], cues),
        reason=None if reps else "no repetition found while engaged",
    )
