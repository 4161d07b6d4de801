"""The nerve-friendly envelope checker: per-rule verdicts, episodes with cues, holds.

:func:`check_envelope` judges a table of joint angles (``t_s`` + angle columns in degrees on
a uniform grid, as in ``angles.csv``) against an exercise :class:`~analysis.profiles.Profile`.
It is a pure, vectorised function; the steps, each documented in ``docs/envelope.md``:

1. **Engaged**: the user is in the stretch while the profile's engagement angle (e.g. hip
   flexion ≥ 45°) holds, with hysteresis and a minimum dwell. Only engaged time is judged, so
   the quiet stand and the calibration movements never produce an episode.
2. **Rules**: each rule's angle is compared with its edge (``max_deg`` or ``min_deg``). The
   state leaves the envelope when the angle crosses the edge and returns only once it is
   ``hysteresis_deg`` back inside; a change of state counts only after it has persisted
   ``dwell_s`` (debounce), and an episode then starts where that persisting run began. Rules
   whose angle is absent are ``not_measured``, never passed.
3. **Holds**: continuous engaged time inside the envelope (advisory rules do not interrupt
   it) while the engagement angle is held still; timed against the profile's target.
4. **Dynamics**: for sliders the oscillation amplitude and rate of the slider angle; for
   eccentric exercises the repetitions and the tempo of each lengthening phase.
5. **Marks**: the joint angles at each symptom/event mark and whether the envelope was broken.

Angles are degrees relative to the quiet stand with the signs of ``docs/conventions.md``;
times are seconds on the session clock; intervals are half-open ``[start_s, end_s)``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.clinical import (
    DifferentiationTest,
    SlrResult,
    differentiation_tests,
    slr_result,
)
from analysis.errors import DataError
from analysis.profiles import (
    EngagedCriterion,
    EngagedSpec,
    Profile,
    RepetitionSpec,
    RuleSpec,
    SliderSpec,
    angle_column_for,
    measured_column_for,
)
from analysis.recording import Marker
from analysis.schema import ANGLE_COLUMNS, SIDES, T_S
from analysis.unchecked import not_checked

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

Verdict = Literal["inside", "outside", "not_engaged"]
RuleStatus = Literal["ok", "violated", "not_measured", "uncertain"]

STATE_NOT_ENGAGED: Final = 0
STATE_INSIDE: Final = 1
STATE_OUTSIDE: Final = 2
STATE_NAMES: Final = ("not_engaged", "inside", "outside")
"""Per-sample verdict codes of :attr:`EnvelopeResult.state`."""


# --- results ----------------------------------------------------------------------------


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


@dataclass(frozen=True, kw_only=True)
class Hold:
    """Continuous engaged time inside the envelope, ``[start_s, end_s)``.

    ``rating`` is ``"target"`` (≥ the profile's target), ``"short"`` (< its short limit) or
    ``"under_target"`` in between.
    """

    start_s: float
    end_s: float
    rating: Literal["target", "under_target", "short"]

    @property
    def duration_s(self) -> float:
        """Length of the hold in seconds."""
        return self.end_s - self.start_s


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

    def to_dict(self) -> dict[str, Any]:
        """The ``envelope.json`` document (contract in ``docs/envelope.md``)."""
        return _to_dict(self)

    def to_json(self) -> str:
        """``envelope.json`` as text (UTF-8, indented, strict JSON: no NaN)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- vectorised building blocks -----------------------------------------------------------------


def _end_times(t_s: FloatArray) -> FloatArray:
    """``t_end[i]`` = time at which sample i's interval ends (next sample; last + median dt)."""
    dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.0
    return np.append(t_s[1:], t_s[-1] + dt)


def runs(mask: BoolArray) -> tuple[NDArray[np.intp], NDArray[np.intp], BoolArray]:
    """Runs of equal values: ``(starts, ends, values)`` with half-open sample ranges."""
    n = mask.size
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0, dtype=bool)
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.intp)
    ends = np.concatenate((change, [n])).astype(np.intp)
    return starts, ends, mask[starts]


def true_intervals(mask: BoolArray) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Half-open sample ranges ``[start, end)`` where ``mask`` is True."""
    starts, ends, values = runs(mask)
    return starts[values], ends[values]


def debounce(mask: BoolArray, t_end: FloatArray, t_s: FloatArray, *, on_s: float, off_s: float):
    """Accept a change of state only once it has persisted (minimum dwell).

    A run of True counts when it lasts ≥ ``on_s``, a run of False when it lasts ≥ ``off_s``;
    shorter runs take the value of the last run that counted (initially False). So a brief
    excursion never starts an episode and a brief return never ends one, and an accepted
    episode starts where its persisting run began (durations in seconds on ``t_s``).
    """
    starts, ends, values = runs(mask)
    if starts.size == 0:
        return mask.copy()
    duration = t_end[ends - 1] - t_s[starts]
    decisive = np.where(values, duration >= on_s - 1e-9, duration >= off_s - 1e-9)
    idx = np.where(decisive, np.arange(starts.size), -1)
    idx = np.maximum.accumulate(idx)
    effective = np.where(idx >= 0, values[np.maximum(idx, 0)], False)
    return np.repeat(effective, ends - starts)


def latch(on: BoolArray, off: BoolArray, valid: BoolArray) -> BoolArray:
    """A set/reset latch: True from an ``on`` sample until an ``off`` sample.

    Samples that are neither keep the state. Each run of ``valid`` starts fresh (True only
    if its first sample is ``on``); invalid samples are False. ``on`` and ``off`` must not
    both hold at one sample.
    """
    on = on & valid
    off = off & valid
    first = valid & ~np.concatenate(([False], valid[:-1]))
    decisive = on | off | first | ~valid
    idx = np.where(decisive, np.arange(on.size), -1)
    idx = np.maximum.accumulate(idx)
    return np.where(idx >= 0, on[np.maximum(idx, 0)], False) & valid


def hysteresis(
    x: FloatArray, valid: BoolArray, *, limit: float, release: float, upper: bool
) -> BoolArray:
    """Outside-state of ``x`` against an edge with hysteresis, restarted in each valid run.

    ``upper``: outside once ``x > limit``, back inside once ``x < release`` (release ≤
    limit). Otherwise mirrored: outside once ``x < limit``, inside once ``x > release``. In
    between, the state is kept. Each run of ``valid`` starts fresh (outside only if already
    past the edge); invalid samples are never outside.
    """
    with np.errstate(invalid="ignore"):
        beyond = (x > limit) if upper else (x < limit)
        back = (x < release) if upper else (x > release)
    return latch(beyond, back, valid)


def running_mean(x: FloatArray, width: int) -> FloatArray:
    """Centred running mean over ``width`` samples, edges padded with the end values.

    The window of sample ``i`` is ``[i − width // 2, i − width // 2 + width)`` (the same
    alignment as ``scipy.ndimage.uniform_filter1d(mode="nearest")``, without importing it).
    """
    if width <= 1 or x.size == 0:
        return x.astype(np.float64, copy=True)
    left, right = width // 2, width - 1 - width // 2
    padded = np.concatenate([np.full(left, x[0]), x, np.full(right, x[-1])])
    c = np.concatenate([[0.0], np.cumsum(padded, dtype=np.float64)])
    return (c[width:] - c[:-width]) / width


def _reduce_peak(x: FloatArray, starts, ends, *, upper: bool) -> tuple[FloatArray, NDArray]:
    """Worst value and its index in each ``[start, end)`` (NaN ignored)."""
    fill = -np.inf if upper else np.inf
    y = np.where(np.isfinite(x), x, fill)
    peaks = np.empty(starts.size)
    where = np.empty(starts.size, dtype=np.intp)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        seg = y[a:b]
        j = int(np.argmax(seg) if upper else np.argmin(seg))
        peaks[k], where[k] = seg[j], a + j
    return peaks, where


# --- the checker ----------------------------------------------------------------------------------


def check_envelope(
    angles: pd.DataFrame,
    profile: Profile,
    *,
    side: str,
    markers: Sequence[Marker] = (),
    absent: Mapping[str, str] | None = None,
    uncertain: Mapping[str, Mapping[str, str]] | None = None,
) -> EnvelopeResult:
    """Judge joint angles against an exercise profile.

    Parameters
    ----------
    angles
        ``t_s`` (seconds, strictly increasing, uniform grid) and angle columns in degrees
        (``docs/conventions.md`` names and signs, relative to the quiet stand). Missing
        columns and NaN samples are *not measured*, never passed.
    profile
        The exercise profile (rules, engagement, hold, dynamics).
    side
        The exercised leg, ``"left"`` or ``"right"``: leg rules read that side's columns.
    markers
        Symptom/event marks (``t_s``, ``label``, ``kind``) to look up.
    absent
        Optional ``column → reason`` for angles the sensors cannot give (shown as the
        reason of a ``not_measured`` rule).
    uncertain
        Optional ``column → {"reason", "redo"}`` for angles whose calibration is not
        established (``CalibrationResult.uncertain_angles``): their rules are judged but
        reported ``uncertain``, never ``violated``; they neither set the verdict nor break
        a hold.

    Returns
    -------
    EnvelopeResult
        Per-rule status and episodes (each with its cue), holds, marks, the overall verdict
        and per-sample states; ``to_dict()`` is the ``envelope.json`` contract.
    """
    if side not in SIDES:
        raise DataError(f"side must be 'left' or 'right', got {side!r}")
    t_s, data = _validated(angles)
    t_end = _end_times(t_s)
    absent = dict(absent or {})

    engaged, engaged_by, engaged_reason = _engagement(profile, side, data, t_s, t_end, absent)
    rule_results: list[RuleResult] = []
    outside: dict[str, BoolArray] = {}
    gating = np.zeros(t_s.size, dtype=bool)
    known = np.ones(t_s.size, dtype=bool)
    gap_masks: dict[str, BoolArray] = {}
    for spec in profile.rules:
        column = measured_column_for(spec.name, side, data)
        x = data.get(column)
        if x is None or not np.isfinite(x).any():
            why = absent.get(column) or (
                "angle not in the data" if x is None else "no valid samples of this angle"
            )
            rule_results.append(
                RuleResult(
                    rule=spec.name, status="not_measured", spec=spec, column=column, reason=why
                )
            )
            continue
        finite = np.isfinite(x)
        valid = engaged & finite
        result, mask = _judge_rule(spec, column, x, valid, engaged, t_s, t_end)
        if uncertain and column in uncertain:
            rule_results.append(_as_uncertain(result, uncertain[column]))
            continue
        rule_results.append(result)
        outside[spec.name] = mask
        if not spec.advisory:
            gating |= mask
            known &= finite | ~engaged
        gap_masks[column] = engaged & ~finite

    state = np.full(t_s.size, STATE_NOT_ENGAGED, dtype=np.int8)
    state[engaged] = STATE_INSIDE
    state[engaged & gating] = STATE_OUTSIDE

    holds: tuple[Hold, ...] = ()
    in_hold = np.zeros(t_s.size, dtype=bool)
    if profile.kind == "hold":
        holds, in_hold = _holds(profile, data, engaged_by, engaged, gating, known, t_s, t_end)

    slider = None
    if profile.slider is not None:
        slider = _slider(profile.slider, side, data, engaged, t_s, t_end, absent)
    reps = None
    if profile.repetitions is not None:
        reps = _repetitions(profile.repetitions, side, data, engaged, t_s, t_end, absent)

    if not engaged.any():
        verdict: Verdict = "not_engaged"
    elif any(r.episodes and not r.spec.advisory for r in rule_results):
        verdict = "outside"
    else:
        verdict = "inside"

    e_starts, e_ends = true_intervals(engaged)
    ordered = sorted(markers, key=lambda m: float(m.t_s) if math.isfinite(m.t_s) else math.inf)
    marks = tuple(_mark(m, t_s, t_end, data, state, engaged, outside) for m in ordered)
    return EnvelopeResult(
        profile=profile,
        side=side,
        verdict=verdict,
        rules=tuple(rule_results),
        holds=holds,
        marks=marks,
        engaged_by=engaged_by,
        engaged_reason=engaged_reason,
        engaged_intervals=tuple(
            (float(t_s[a]), float(t_end[b - 1])) for a, b in zip(e_starts, e_ends, strict=True)
        ),
        gaps=_gaps(gap_masks, t_s, t_end),
        slider=slider,
        repetitions=reps,
        t_s=t_s,
        state=state,
        engaged=engaged,
        in_hold=in_hold,
        outside=outside,
        slr=slr_result(t_s, data, markers, side=side),
        differentiation=differentiation_tests(t_s, data, markers, side=side),
    )


def _validated(angles: pd.DataFrame) -> tuple[FloatArray, dict[str, FloatArray]]:
    if not isinstance(angles, pd.DataFrame):
        raise DataError(f"angles must be a DataFrame with {T_S!r} and *_deg columns")
    if T_S not in angles.columns:
        raise DataError(f"angle table has no {T_S!r} column; columns: {list(angles.columns)}")
    if len(angles) < 2:
        raise DataError(f"angle table has {len(angles)} row(s); need at least 2 samples")
    try:
        t_s = angles[T_S].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"angle table column {T_S!r} is not numeric ({exc})") from None
    if not np.isfinite(t_s).all():
        i = int(np.flatnonzero(~np.isfinite(t_s))[0])
        raise DataError(f"angle table row {i}: {T_S} is {t_s[i]!r}; expected a finite time")
    dt = np.diff(t_s)
    if (dt <= 0).any():
        i = int(np.flatnonzero(dt <= 0)[0]) + 1
        raise DataError(
            f"angle table row {i}: {T_S}={t_s[i]!r} after {t_s[i - 1]!r}; expected strictly "
            "increasing time"
        )
    data: dict[str, FloatArray] = {}
    for col in angles.columns:
        if not str(col).endswith("_deg"):
            continue
        try:
            data[str(col)] = angles[col].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"angle table column {col!r} is not numeric ({exc})") from None
    return t_s, data


def _condition(x: FloatArray, crit: EngagedCriterion) -> BoolArray:
    """Where ``x`` meets an engagement condition, with its hysteresis (NaN: not met)."""
    finite = np.isfinite(x)
    h = crit.hysteresis_deg
    with np.errstate(invalid="ignore"):
        if crit.min_deg is not None:
            on, off = x >= crit.min_deg, x < crit.min_deg - h
        else:
            on, off = x <= crit.bound_deg, x > crit.bound_deg + h
    return latch(on, off, finite)


def _engagement(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    t_s: FloatArray,
    t_end: FloatArray,
    absent: Mapping[str, str],
) -> tuple[BoolArray, str | None, str | None]:
    spec = profile.engaged
    tried = []
    for crit in spec.criteria:
        column = angle_column_for(crit.angle, side)
        x = data.get(column)
        if x is None or not np.isfinite(x).any():
            tried.append(f"{column} ({absent.get(column, 'not measured')})")
            continue
        main_met = _condition(x, crit)
        raw, used = _with_requirements(main_met, spec, side, data)
        engaged = debounce(raw, t_end, t_s, on_s=spec.dwell_s, off_s=spec.dwell_s)
        reason = None
        if not engaged.any():
            if used and main_met.any():
                need = " and ".join([crit.describe(), *used])
                reason = f"never {need} together for {spec.dwell_s:g} s"
            else:
                reason = f"{column} never stayed at {crit.describe()} for {spec.dwell_s:g} s"
            reason += f" (range {np.nanmin(x):.0f}° to {np.nanmax(x):.0f}°)"
        return engaged, column, reason
    reason = "cannot tell when the stretch is held: " + "; ".join(tried)
    return np.zeros(t_s.size, dtype=bool), None, reason


def _with_requirements(
    met: BoolArray, spec: EngagedSpec, side: str, data: Mapping[str, FloatArray]
) -> tuple[BoolArray, list[str]]:
    """``met`` and every requirement of ``spec`` whose angle is measured, and their texts."""
    raw = met.copy()
    used = []
    for req in spec.require:
        xr = data.get(angle_column_for(req.angle, side))
        if xr is None or not np.isfinite(xr).any():
            continue  # a requirement applies only where its angle is measured
        raw &= _condition(xr, req)
        used.append(req.describe())
    return raw, used


def engagement_condition(
    angles: Mapping[str, FloatArray], profile: Profile, *, side: str
) -> BoolArray | None:
    """Per sample, whether the profile's engagement criterion is met, *before* any dwell.

    The first criterion whose angle is measured decides (as in :func:`check_envelope`); None
    when none is. A live monitor needs this for the newest samples, where leaving the
    stretch is not yet confirmed by the dwell.
    """
    for crit in profile.engaged.criteria:
        x = angles.get(angle_column_for(crit.angle, side))
        if x is None or not np.isfinite(x).any():
            continue
        return _with_requirements(_condition(x, crit), profile.engaged, side, angles)[0]
    return None


def _judge_rule(
    spec: RuleSpec,
    column: str,
    x: FloatArray,
    valid: BoolArray,
    engaged: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
) -> tuple[RuleResult, BoolArray]:
    # the hysteresis band is centred on the edge: a breach is recognised once the angle is
    # half the band past the edge and ends once it is half the band back inside
    outward = 1.0 if spec.upper else -1.0
    half = spec.hysteresis_deg / 2.0
    raw = hysteresis(
        x,
        valid,
        limit=spec.limit_deg + outward * half,
        release=spec.limit_deg - outward * half,
        upper=spec.upper,
    )
    mask = debounce(raw, t_end, t_s, on_s=spec.dwell_s, off_s=spec.dwell_s) & engaged
    # a bridged gap may leave a sliver after the AND; re-apply the dwell to what remains
    mask = debounce(mask, t_end, t_s, on_s=spec.dwell_s, off_s=0.0)
    starts, ends = _widen_to_edge(mask, x, valid, limit=spec.limit_deg, upper=spec.upper)
    mask = _interval_mask(starts, ends, x.size)
    peaks, where = _reduce_peak(x, starts, ends, upper=spec.upper)
    episodes = []
    for a, b, peak, j in zip(starts, ends, peaks, where, strict=True):
        beyond_warn = spec.warn_deg is None or (
            peak >= spec.warn_deg if spec.upper else peak <= spec.warn_deg
        )
        episodes.append(
            Episode(
                rule=spec.name,
                start_s=float(t_s[a]),
                end_s=float(t_end[b - 1]),
                peak_deg=float(peak),
                peak_t_s=float(t_s[j]),
                cue=spec.format_cue(float(peak)),
                severity="clear" if beyond_warn else "borderline",
                advisory=spec.advisory,
            )
        )
    judged = float(np.sum((t_end - t_s)[valid]))
    result = RuleResult(
        rule=spec.name,
        status="violated" if episodes else "ok",
        spec=spec,
        column=column,
        time_outside_s=float(sum(e.duration_s for e in episodes)),
        judged_s=judged,
        episodes=tuple(episodes),
    )
    return result, mask


def _as_uncertain(result: RuleResult, why: Mapping[str, str]) -> RuleResult:
    """A judged rule whose angle cannot be trusted: its episodes become unconfirmed."""
    return RuleResult(
        rule=result.rule,
        status="uncertain",
        spec=result.spec,
        column=result.column,
        judged_s=result.judged_s,
        reason=why.get("reason"),
        redo=why.get("redo"),
        unconfirmed=result.episodes,
    )


def _widen_to_edge(
    mask: BoolArray, x: FloatArray, valid: BoolArray, *, limit: float, upper: bool
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Episode intervals of ``mask`` stretched to where ``x`` actually crossed ``limit``.

    The hysteresis and dwell decide *whether* there was a breach; its extent is the time the
    angle was past the edge itself: back to the last sample not past it before the breach,
    forward to the last sample past it before the release (never across invalid samples).
    """
    starts, ends = true_intervals(mask)
    if starts.size == 0:
        return starts, ends
    with np.errstate(invalid="ignore"):
        past = ((x > limit) if upper else (x < limit)) & valid
    index = np.arange(x.size)
    last_not_past = np.maximum.accumulate(np.where(~past, index, -1))
    last_past = np.maximum.accumulate(np.where(past, index, -1))
    new_starts = np.minimum(starts, last_not_past[starts] + 1)
    new_ends = np.maximum(last_past[ends - 1] + 1, new_starts + 1)
    keep = np.concatenate(([True], new_starts[1:] >= new_ends[:-1]))
    return new_starts[keep].astype(np.intp), new_ends[keep].astype(np.intp)


def _interval_mask(starts: NDArray[np.intp], ends: NDArray[np.intp], n: int) -> BoolArray:
    """A boolean mask that is True on every ``[start, end)``."""
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends, -1)
    return np.cumsum(marks[:-1]) > 0


def _holds(
    profile: Profile,
    data: Mapping[str, FloatArray],
    engaged_by: str | None,
    engaged: BoolArray,
    gating: BoolArray,
    known: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
) -> tuple[tuple[Hold, ...], BoolArray]:
    spec = profile.hold
    dwell = min((r.dwell_s for r in profile.rules), default=1.0)
    steady = np.ones(t_s.size, dtype=bool)
    if spec.max_rate_deg_s is not None and engaged_by is not None:
        x = data[engaged_by]
        dt = float(np.median(np.diff(t_s)))
        width = max(1, round(spec.rate_window_s / dt))
        # fill gaps for the running mean only (a NaN would poison every later value of the
        # filter); samples that had no data are never "steady"
        filled = pd.Series(x).interpolate(limit_direction="both").to_numpy()
        smooth = running_mean(filled, width)
        rate = np.gradient(smooth, t_s)
        steady = (np.abs(rate) <= spec.max_rate_deg_s) & np.isfinite(x)
    quiet = debounce(steady & known, t_end, t_s, on_s=dwell, off_s=dwell)
    mask = engaged & ~gating & quiet
    mask = debounce(mask, t_end, t_s, on_s=dwell, off_s=0.0)
    starts, ends = true_intervals(mask)
    holds = []
    for a, b in zip(starts, ends, strict=True):
        d = float(t_end[b - 1] - t_s[a])
        rating: Literal["target", "under_target", "short"] = (
            "target" if d >= spec.target_s else ("short" if d < spec.short_s else "under_target")
        )
        holds.append(Hold(start_s=float(t_s[a]), end_s=float(t_end[b - 1]), rating=rating))
    return tuple(holds), mask


def _gaps(
    gap_masks: Mapping[str, BoolArray], t_s: FloatArray, t_end: FloatArray
) -> tuple[tuple[float, float, tuple[str, ...]], ...]:
    """Engaged stretches where a judged angle had no data, merged across columns."""
    if not gap_masks:
        return ()
    any_gap = np.logical_or.reduce(list(gap_masks.values()))
    out = []
    for a, b in zip(*true_intervals(any_gap), strict=True):
        cols = tuple(c for c, m in gap_masks.items() if m[a:b].any())
        out.append((float(t_s[a]), float(t_end[b - 1]), cols))
    return tuple(out)


def _mark(
    marker: Marker,
    t_s: FloatArray,
    t_end: FloatArray,
    data: Mapping[str, FloatArray],
    state: NDArray[np.int8],
    engaged: BoolArray,
    outside: Mapping[str, BoolArray],
) -> MarkResult:
    t = float(marker.t_s)
    label, kind = str(marker.label), str(getattr(marker, "kind", "symptom"))
    labels = {k: getattr(marker, k, None) for k in ("where", "what", "answer")}
    dt = float(t_end[-1] - t_s[-1])
    if not math.isfinite(t) or t < t_s[0] - dt or t > t_s[-1] + dt:
        return MarkResult(
            t_s=t,
            label=label,
            kind=kind,
            angles_deg={},
            inside=True,
            engaged=False,
            rules_outside=(),
            note="outside the recorded time span: no angles",
            **labels,
        )
    i = int(np.clip(np.searchsorted(t_s, t, side="right") - 1, 0, t_s.size - 1))
    angles: dict[str, float] = {}
    order = [c for c in ANGLE_COLUMNS if c in data] + [c for c in data if c not in ANGLE_COLUMNS]
    j0, j1 = max(i - 1, 0), min(i + 2, t_s.size)
    for col in order:
        near = data[col][j0:j1]
        if not np.isfinite(near).all():
            continue  # no interpolation across missing data
        angles[col] = float(np.interp(t, t_s[j0:j1], near))
    broken = tuple(name for name, m in outside.items() if m[i])
    return MarkResult(
        t_s=t,
        label=label,
        kind=kind,
        angles_deg=angles,
        inside=bool(state[i] != STATE_OUTSIDE),
        engaged=bool(engaged[i]),
        rules_outside=broken,
        **labels,
    )


# --- dynamics ----------------------------------------------------------------------------


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


def _segments(engaged: BoolArray) -> list[tuple[int, int]]:
    """Engaged runs ``[a, b)`` of at least three samples."""
    starts, ends = true_intervals(engaged)
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b - a >= 3]


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


def _slider(
    spec: SliderSpec,
    side: str,
    data: Mapping[str, FloatArray],
    engaged: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    absent: Mapping[str, str],
) -> SliderResult:
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
    for a, b in _segments(engaged):
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


def _repetitions(
    spec: RepetitionSpec,
    side: str,
    data: Mapping[str, FloatArray],
    engaged: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    absent: Mapping[str, str],
) -> RepetitionResult:
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
    for a, b in _segments(engaged):
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


# --- envelope.json ----------------------------------------------------------------------------


def _r(value: float, nd: int) -> float:
    return round(float(value), nd)


def _episode(e: Episode) -> dict[str, Any]:
    return {
        "start_s": _r(e.start_s, 3),
        "end_s": _r(e.end_s, 3),
        "peak_deg": _r(e.peak_deg, 2),
        "cue": e.cue,
        "peak_t_s": _r(e.peak_t_s, 3),
        "severity": e.severity,
    }


def _to_dict(res: EnvelopeResult) -> dict[str, Any]:
    prof = res.profile
    out: dict[str, Any] = {
        "profile": prof.name,
        "verdict": res.verdict,
        "rules": [],
        "holds": [
            {
                "start_s": _r(h.start_s, 3),
                "end_s": _r(h.end_s, 3),
                "duration_s": _r(h.duration_s, 3),
                "rating": h.rating,
            }
            for h in res.holds
        ],
        "markers": [],
        # --- extra keys (beyond the contract) -----------------------------------------------
        "side": res.side,
        "kind": prof.kind,
        "title": prof.title,
        "engaged_by": res.engaged_by,
        "engaged_s": _r(res.engaged_s, 3),
        "engaged_intervals": [[_r(a, 3), _r(b, 3)] for a, b in res.engaged_intervals],
        "gating_rules_measured": sum(
            1 for r in res.rules if r.status != "not_measured" and not r.spec.advisory
        ),
        "gating_rules_uncertain": sum(
            1 for r in res.rules if r.status == "uncertain" and not r.spec.advisory
        ),
        "hold_target_s": prof.hold.target_s,
        "hold_short_s": prof.hold.short_s,
    }
    if res.engaged_reason:
        out["engaged_reason"] = res.engaged_reason
    for r in res.rules:
        item: dict[str, Any] = {
            "rule": r.rule,
            "status": r.status,
            "time_outside_s": _r(r.time_outside_s, 3),
            "episodes": [_episode(e) for e in r.episodes],
            "column": r.column,
            "limit": r.spec.describe(),
            "advisory": r.spec.advisory,
            "judged_s": _r(r.judged_s, 3),
        }
        if r.reason:
            item["reason"] = r.reason
        if r.status == "uncertain":
            item["redo"] = r.redo
            item["unconfirmed_episodes"] = [_episode(e) for e in r.unconfirmed]
        out["rules"].append(item)
    out["uncertain"] = [
        {"rule": r.rule, "column": r.column, "reason": r.reason, "redo": r.redo}
        for r in res.rules
        if r.status == "uncertain"
    ]
    for m in res.marks:
        mk: dict[str, Any] = {
            "t_s": _r(m.t_s, 3),
            "label": m.label,
            "angles_deg": {k: _r(v, 2) for k, v in m.angles_deg.items()},
            "inside": m.inside,
            "kind": m.kind,
            "engaged": m.engaged,
            "rules_outside": list(m.rules_outside),
        }
        if m.note:
            mk["note"] = m.note
        mk.update({k: v for k, v in (("where", m.where), ("what", m.what)) if v is not None})
        if m.answer is not None:
            mk["answer"] = m.answer
        out["markers"].append(mk)
    if res.gaps:
        out["gaps"] = [
            {"start_s": _r(a, 3), "end_s": _r(b, 3), "columns": list(cols)}
            for a, b, cols in res.gaps
        ]
    if res.slider is not None:
        s = res.slider
        out["slider"] = {
            "column": s.column,
            "cycles": s.cycles,
            "amplitude_deg": None if s.amplitude_deg is None else _r(s.amplitude_deg, 2),
            "rate_hz": None if s.rate_hz is None else _r(s.rate_hz, 3),
            "ok": s.ok,
            "issues": [_issue(i) for i in s.issues],
        }
        if s.reason:
            out["slider"]["reason"] = s.reason
    if res.repetitions is not None:
        p = res.repetitions
        out["repetitions"] = {
            "column": p.column,
            "count": p.count,
            "target_count": p.target_count,
            "median_lengthening_s": None
            if p.median_lengthening_s is None
            else _r(p.median_lengthening_s, 2),
            "ok": p.ok,
            "reps": [
                {
                    "start_s": _r(x.start_s, 3),
                    "end_s": _r(x.end_s, 3),
                    "range_deg": _r(x.range_deg, 2),
                    "lengthening_s": _r(x.lengthening_s, 2),
                    "ok": x.ok,
                }
                for x in p.reps
            ],
            "issues": [_issue(i) for i in p.issues],
        }
        if p.reason:
            out["repetitions"]["reason"] = p.reason
    if prof.warnings:
        out["profile_warnings"] = list(prof.warnings)
    out.update(_not_checked_fields(res))
    return out


def _not_checked_fields(res: EnvelopeResult) -> dict[str, Any]:
    """``not_checked`` (rules no worn sensor measured), ``verdict_complete`` and, when the
    marks hold them, ``slr`` and ``differentiation`` (docs/envelope.md)."""
    items = not_checked(res.rules, side=res.side)
    out: dict[str, Any] = {
        "not_checked": [i.to_dict() for i in items],
        "verdict_complete": not any(i.gating for i in items),
    }
    if res.slr is not None:
        out["slr"] = res.slr.to_dict()
    if res.differentiation:
        out["differentiation"] = [d.to_dict() for d in res.differentiation]
    return out


def _issue(i: DynamicIssue) -> dict[str, Any]:
    return {"kind": i.kind, "start_s": _r(i.start_s, 3), "end_s": _r(i.end_s, 3), "cue": i.cue}
