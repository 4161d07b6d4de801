"""The nerve-friendly envelope checker: per-rule verdicts, episodes with cues, holds.

:func:`check_envelope` judges a table of joint angles (``t_s`` + angle columns in degrees on
a uniform grid, as in ``angles.csv``) against an exercise :class:`~.profiles.Profile`.
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

import dataclasses
import itertools
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Final, Literal, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.envelope.clinical import (
    DifferentiationTest,
    differentiation_tests,
    slr_result,
    test_movement_windows,
)
from analysis.envelope.dynamics import repetition_result, slider_result
from analysis.envelope.gates import (
    GateRun,
    angle_precision_deg,
    borderline_runs,
    near_latch_runs,
)
from analysis.envelope.hip_bend import (
    HIP_BEND_REDO,
    HIP_BEND_WORDS,
    UPRIGHT_CRITERION_MAX_DEG,
    held_still,
    hidden_bend,
    past_latch_runs,
    spans_s,
)
from analysis.envelope.masks import (
    BoolArray,
    FloatArray,
    carried_over_gaps,
    carried_to_end,
    debounce,
    end_times,
    hysteresis,
    latch,
    reduce_peak,
    running_mean,
)
from analysis.envelope.pauses import (
    EdgeMovement,
    Pause,
    borderline_movements,
    borderline_pauses,
    engagement_speed,
    flip_pauses,
    rate_scale_precision,
)
from analysis.envelope.profiles import (
    EngagedCriterion,
    EngagedSpec,
    HoldSpec,
    Profile,
    RuleSpec,
    angle_column_for,
    measured_column_for,
)
from analysis.envelope.results import (
    GATE_REDO,
    NEAR_LATCH_REDO,
    STATE_INSIDE,
    STATE_NOT_ENGAGED,
    STATE_OUTSIDE,
    BandAlternative,
    BorderlineAlternative,
    CombinedAlternative,
    EnvelopeResult,
    Episode,
    GateReading,
    Hold,
    HoldAlternative,
    MarkResult,
    NearLatchRun,
    PeakAlternative,
    PossibleStretch,
    RateAlternative,
    ReadingAlternative,
    ReadingEpisodes,
    RepetitionResult,
    RuleResult,
    SliderResult,
    TimingAlternative,
    UnmeasuredRun,
    Verdict,
    hip_bend_rule_text,
    parts_clear_of,
)
from analysis.errors import DataError
from analysis.recording.doubts import (
    DoubtKind,
    TimedDoubt,
    decided_doubts,
    doubt_kinds,
    precision_bound_deg,
    trace_precision_deg,
)
from analysis.recording.runs import true_intervals
from analysis.recording.schema import ANGLE_COLUMNS, SIDES, T_S
from analysis.recording.streams import Marker


# long: a 30-line docstring states the contract; the body runs the five documented steps in
# their order (engagement, rules, holds, dynamics, marks), each step one call
def check_envelope(
    angles: pd.DataFrame,
    profile: Profile,
    *,
    side: str,
    markers: Sequence[Marker] = (),
    absent: Mapping[str, str] | None = None,
    uncertain: Mapping[str, Mapping[str, str]] | None = None,
    other_readings: Mapping[str, OtherReadings] | None = None,
    rate_mixing: Mapping[str, FloatArray] | None = None,
    timed_doubts: Mapping[str, TimedDoubt] | None = None,
    exact: bool = False,
    open_gaps: Collection[str] = (),
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
        Symptom/event marks (``t_s``, ``label``, ``kind``) to look up. A performed "nerve or
        muscle?" test (``diff_start``/``diff_end``) turns its movement's episode into a test
        episode (``RuleResult.excused``): no violation, but the hold is interrupted.
    absent
        Optional ``column → reason`` for angles the sensors cannot give (shown as the
        reason of a ``not_measured`` rule).
    uncertain
        Optional ``column → {"reason", "redo"}`` for angles whose calibration is not
        established (``CalibrationResult.uncertain_angles``): their rules are judged but
        reported ``uncertain``, never ``violated``; they neither set the verdict nor break
        a hold, but a hold across one of their episodes lists it (``Hold.unconfirmed``:
        the hold is conditional on that reading being wrong). When the engagement angle
        itself is uncertain, its reason is kept as ``hold_timing_doubt``: holds are timed on
        that angle. An entry may be an :class:`~analysis.recording.doubts.UncertainAngle`,
        whose kinds of doubt say what the words cannot be matched for (a forward direction
        not established leaves the holds' timing unknown, :func:`_with_unknown_timing`), or
        whose whole doubt is a ± in degrees: its rules are then decided beyond that margin
        and uncertain only within it of their edge (:func:`_judged_by_margin`).
    other_readings
        Optional ``{segment: (words, readings)}`` (``AngleResult.other_readings``): where an
        uncertain angle's doubt is between discrete calibrations, each other reading's
        columns (``{column: degrees}`` on the grid of ``angles``). An uncertain rule's
        episode that every reading also shows, overlapping it in time, is confirmed: the
        rule is ``violated`` with it, ``confirmed_by`` the words; its other episodes stay
        unconfirmed (:func:`_found_in_every_reading`). A hold across such a gating rule lists
        each reading that breaks it otherwise than the angles' own (``Hold.reading_episodes``,
        :func:`_reading_episodes`).
    rate_mixing
        Optional ``{column: °/s per sample}`` (``AngleResult.rate_mixing``): how much the
        error of the axis an angle is measured about may add to its rate (the pelvis tipping
        sideways as it tilts). A hold timed on a trusted angle is also timed at its rate's
        precision, widened where that share of the rate is larger (:func:`_hold_scales`).
    timed_doubts
        Optional ``{column: TimedDoubt}`` (``AngleResult.timed_doubts``): how far, per sample,
        an angle may be off for part of the session (a hip heading drifting between anchors).
        Its rules are decided there only beyond that bound (:func:`_judged_within_timed`): an
        episode the bound may explain is unconfirmed, and a rule the bound may break is
        uncertain; an episode elsewhere still counts.
    exact
        The angles are exact (a simulation's truth): no engagement run at about its dwell is
        read again within the angles' precision (:func:`_gate_hung`), as measured angles are,
        and no run near a rule's latch point is said (:func:`_judged_near_latch`).
    open_gaps
        Live only: the angle columns whose sensor is out right now, so that their gap at the
        end of ``angles`` is still open (its far side not yet sent). An engagement
        requirement on such a column keeps the state of its last sample through that gap
        (:func:`~.masks.carried_to_end`) instead of reading it as not met; once the sensor
        is back the gap is closed and settled as any other (:func:`_requirement_met`).
        Empty (the default) for a finished recording.

    Returns
    -------
    EnvelopeResult
        Per-rule status and episodes (each with its cue), holds, marks, the overall verdict
        and per-sample states; ``to_dict()`` is the ``envelope.json`` contract.
    """
    if side not in SIDES:
        raise DataError(f"side must be 'left' or 'right', got {side!r}")
    t_s, data = _validated(angles)
    t_end = end_times(t_s)
    # a trace-only doubt is reported (shown), never read by a decision
    absent, shown, uncertain = dict(absent or {}), uncertain, decided_doubts(uncertain)

    engaged, engaged_by, engaged_reason, in_pose = _engagement(
        profile, side, data, t_s, t_end, absent, open_gaps=open_gaps
    )
    # rules are judged where the person is in the stretch pose, not in a brief dip out of it
    # that the engagement dwell bridges (see _engagement)
    judged = engaged & in_pose
    tests = differentiation_tests(t_s, data, markers, side=side)
    rule_results: list[RuleResult] = []
    outside: dict[str, BoolArray] = {}
    gating = np.zeros(t_s.size, dtype=bool)
    testing = np.zeros(t_s.size, dtype=bool)  # outside on purpose, in a test: breaks holds
    known = np.ones(t_s.size, dtype=bool)
    gap_masks = _GapMasks()
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
        result, mask, excused = _excuse_tests(
            *_judge_rule(spec, column, x, judged & finite, judged, t_s, t_end), tests, t_s
        )
        result, mask = _judged_doubted(
            result,
            (uncertain or {}).get(column),
            (timed_doubts or {}).get(column),
            _readings_of(column, other_readings),
            _JudgedUnder(profile, side, data, t_s, t_end, absent, exact=exact, open_gaps=open_gaps),
            (x, mask),
            valid=judged & finite,
        )
        gap_masks.note(spec, column, result, engaged & ~finite, holds_on=mask is not None)
        if mask is None:
            rule_results.append(result)
            continue
        if not spec.advisory:
            testing |= excused
        rule_results.append(result)
        outside[spec.name] = mask
        if not spec.advisory:
            gating |= mask
            known &= finite | ~engaged

    state = np.full(t_s.size, STATE_NOT_ENGAGED, dtype=np.int8)
    state[engaged] = STATE_INSIDE
    state[engaged & gating] = STATE_OUTSIDE

    holds, possible_holds = (), ()  # a profile without a hold has neither
    in_hold = np.zeros(t_s.size, dtype=bool)
    if profile.kind == "hold":
        breaks = gating | testing
        holds, in_hold, possible_holds = _holds(
            profile,
            side,
            data,
            engaged_by,
            engaged,
            breaks,
            known,
            t_s,
            t_end,
            doubt=(uncertain or {}).get(engaged_by) if engaged_by is not None else None,
            mixing=(rate_mixing or {}).get(engaged_by or ""),
            readings=_TimedUnder.of(
                _readings_of(engaged_by or "", other_readings) if uncertain else None,
                _JudgedUnder(profile, side, data, t_s, t_end, absent, open_gaps=open_gaps),
                breaks,
            ),
            band=_band_tails(rule_results, outside, testing, data, judged, t_end),
            borderline=_borderline_runs(rule_results, outside, testing, t_s, t_end),
        )
        holds = _with_unmeasured(
            _with_near_latch(_with_unconfirmed(holds, rule_results), rule_results),
            unmeasured_runs(gap_masks.unmeasured, t_s, t_end, min_s=_hold_dwell_s(profile)),
        )
        holds = _with_other_readings(
            holds,
            _reading_episodes(
                rule_results,
                (uncertain or {}, other_readings or {}),
                _JudgedUnder(profile, side, data, t_s, t_end, absent, open_gaps=open_gaps),
                tests,
            ),
        )

    slider, reps = _dynamics(profile, side, data, engaged, t_s, t_end, absent)
    verdict = _verdict(engaged, rule_results)
    e_starts, e_ends = true_intervals(engaged)
    ordered = sorted(markers, key=lambda m: float(m.t_s) if math.isfinite(m.t_s) else math.inf)
    # the marks, and the rules and possible stretches with a bend at the hips no sensor sees
    marks, said = (
        tuple(_mark(m, t_s, t_end, data, state, engaged, outside) for m in ordered),
        _said_hip_bend(profile, side, data, (t_s, t_end), engaged, rule_results, exact=exact),
    )
    return EnvelopeResult(
        profile=profile,
        side=side,
        verdict=verdict,
        rules=said[0],
        holds=holds,
        marks=marks,
        engaged_by=engaged_by,
        engaged_reason=engaged_reason,
        engaged_intervals=tuple(
            (float(t_s[a]), float(t_end[b - 1])) for a, b in zip(e_starts, e_ends, strict=True)
        ),
        gaps=_gaps(
            {**_engagement_gap(engaged_by, engaged, data), **gap_masks.by_column}, t_s, t_end
        ),
        slider=slider,
        repetitions=reps,
        t_s=t_s,
        state=state,
        engaged=engaged,
        in_hold=in_hold,
        outside=outside,
        slr=slr_result(t_s, data, markers, side=side),
        differentiation=tests,
        hold_timing_doubt=(uncertain or {}).get(engaged_by or "", {}).get("reason"),
        verdict_doubts=_verdict_doubts(verdict, rule_results),
        uncertain_angles=uncertain_in(shown, data),
        angle_precision_deg=_angle_precision_deg(shown, data),
        trace_precision_deg={c: b for c, b in trace_precision_deg(shown).items() if c in data},
        possible_holds=possible_holds,
        possible_stretches=_with_uncovered(
            _possible_stretches_timed(
                _possible_stretches(
                    profile,
                    side,
                    data,
                    (t_s, t_end),
                    engaged,
                    {
                        c: ((uncertain or {}).get(c), (timed_doubts or {}).get(c))
                        for c in {*(uncertain or {}), *(timed_doubts or {})}
                    },
                ),
                profile,
                side,
                lambda p, moved: (
                    check_envelope(
                        angles.assign(**moved) if moved else angles,
                        p,
                        side=side,
                        markers=markers,
                        absent=absent,
                        uncertain=shown,
                        other_readings=other_readings,
                        rate_mixing=rate_mixing,
                        timed_doubts={
                            c: d for c, d in (timed_doubts or {}).items() if c not in moved
                        },
                        exact=exact,
                        open_gaps=open_gaps,
                    ).holds
                ),
                _criterion_toward_met(profile, side, data, timed_doubts or {}),
            ),
            said[1],
        ),
    )


def _with_uncovered(
    stretches: tuple[PossibleStretch, ...], more: tuple[PossibleStretch, ...]
) -> tuple[PossibleStretch, ...]:
    """``stretches`` and each of ``more`` that no ``by_criterion`` one of them covers.

    A bend at the hips no sensor sees (``more``) lying within the time a doubted deciding
    angle may have met its criterion is said once, by the latter (which times its holds).
    """
    cover = [(p.start_s, p.end_s) for p in stretches if p.by_criterion]
    return stretches + tuple(
        m for m in more if not any(a <= m.start_s and m.end_s <= b for a, b in cover)
    )


def _said_hip_bend(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    grid: tuple[FloatArray, FloatArray],
    engaged: BoolArray,
    rules: Sequence[RuleResult],
    *,
    exact: bool,
) -> tuple[tuple[RuleResult, ...], tuple[PossibleStretch, ...]]:
    """The rules and the possible stretches a bend at the hips no worn sensor sees adds.

    Where :func:`_unseen_hip_bend` finds one, each ``ok`` rule past its break point there is
    uncertain (:func:`_unknown_in_bend`) and each of its runs is a possible stretch
    (``hip_bend``); nothing counted or broken: engagement, masks, episodes, holds and the
    verdict as judged. Not for exact angles (a simulation's truth).
    """
    bend = None if exact else _unseen_hip_bend(profile, side, data, grid, engaged)
    if bend is None:
        return tuple(rules), ()
    return (
        tuple(_unknown_in_bend(r, data, bend, grid) for r in rules),
        _hip_bend_stretches(side, bend, grid),
    )


def _unseen_hip_bend(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    grid: tuple[FloatArray, FloatArray],
    engaged: BoolArray,
) -> BoolArray | None:
    """Where a bend at the hips may be held that no worn sensor sees (None: not possible).

    Only for a hold profile recognised by the thigh's inclination to gravity standing in for
    hip flexion (the pelvis not measured) with a criterion of an upright body
    (:data:`~analysis.envelope.hip_bend.UPRIGHT_CRITERION_MAX_DEG`): the thigh held still
    (the hold's rate gate), tipped forward short of the criterion, the requirements met as
    read (the knee ≤ 60°: standing, not seated), not engaged (:func:`hidden_bend`).
    """
    spec = profile.engaged
    measured = _measured_criteria(spec, side, data)
    tilt = data.get(PELVIS_TILT_COLUMN)
    if profile.kind != "hold" or not measured or (tilt is not None and np.isfinite(tilt).any()):
        return None
    crit, thigh = measured[0]
    if crit.angle != "thigh_inclination" or crit.min_deg is None:
        return None
    if crit.min_deg > UPRIGHT_CRITERION_MAX_DEG:
        return None
    t_s, _ = grid
    standing, _ = _with_requirements(np.ones(t_s.size, dtype=bool), spec, side, data)
    still = held_still(thigh, t_s, profile.hold.max_rate_deg_s, profile.hold.rate_window_s)
    bend = hidden_bend(
        thigh, still, standing, engaged, criterion_deg=crit.min_deg, grid=grid, dwell_s=spec.dwell_s
    )
    return bend if bend.any() else None


def _unknown_in_bend(
    result: RuleResult,
    data: Mapping[str, FloatArray],
    bend: BoolArray,
    grid: tuple[FloatArray, FloatArray],
) -> RuleResult:
    """An ``ok`` rule past its break point where a bend at the hips may be held unseen.

    A run of at least the rule's dwell inside ``bend``
    (:func:`~analysis.envelope.hip_bend.past_latch_runs`) makes it ``uncertain``, its reason
    the longest such run; no episode. Else as it was.
    """
    x = data.get(result.column or "")
    if result.status != "ok" or x is None:
        return result
    spec = result.spec
    runs = past_latch_runs(
        x,
        bend,
        limit_deg=spec.limit_deg,
        hysteresis_deg=spec.hysteresis_deg,
        upper=spec.upper,
        grid=grid,
        dwell_s=spec.dwell_s,
    )
    if not runs:
        return result
    t_s, t_end = grid
    a, b = max(runs, key=lambda r: t_end[r[1] - 1] - t_s[r[0]])
    part = x[a:b]
    reading = float(np.nanmax(part) if spec.upper else np.nanmin(part))
    why = hip_bend_rule_text(
        spec.name, reading, (float(t_s[a]), float(t_end[b - 1])), spec.limit_deg, HIP_BEND_WORDS
    )
    more = f" (and {len(runs) - 1} more such runs)" if len(runs) > 1 else ""
    return dataclasses.replace(
        result, status="uncertain", reason=why + more, redo=result.redo or HIP_BEND_REDO
    )


def _hip_bend_stretches(
    side: str, bend: BoolArray, grid: tuple[FloatArray, FloatArray]
) -> tuple[PossibleStretch, ...]:
    """Each run of ``bend`` (:func:`_unseen_hip_bend`) as a possible stretch (``hip_bend``)."""
    column = angle_column_for("thigh_inclination", side)
    reason = f"{HIP_BEND_WORDS}; {HIP_BEND_REDO}"
    return tuple(
        PossibleStretch(
            start_s=a, end_s=b, columns=(column,), needs=(), reason=reason, hip_bend=True
        )
        for a, b in spans_s(bend, grid)
    )


def _possible_stretches_timed(
    stretches: tuple[PossibleStretch, ...],
    profile: Profile,
    side: str,
    holds_under: Callable[[Profile, Mapping[str, FloatArray]], tuple[Hold, ...]],
    toward_met: Mapping[str, FloatArray],
) -> tuple[PossibleStretch, ...]:
    """Each possible stretch with the holds it would have had, were it a stretch.

    For a hold profile, the session judged again (``holds_under``: :func:`check_envelope` on
    the same inputs, with the columns given replaced and their timed doubts left out), its
    rules judged there as anywhere else; the holds lying within a stretch (to within a
    sample) are its ``holds``. Nothing is counted: the stretch stays not counted.

    - Stretches a requirement left out (not ``by_criterion``): with those requirements left
      out of the engagement (:func:`without_requirements`; stranger round 5 seed 2284's DOT
      file: 2:26–3:04 possibly left out, read again held 150.55–181.33 s against a true hold
      of 150.5–181.3 s).
    - Stretches of the deciding angle's timed doubt (``by_criterion``, its column in
      ``toward_met``, :func:`_criterion_toward_met`): with that angle read toward met by its
      bound (round 5 seed 2679's pair file: a thigh turned 78° on its strap reads its
      inclination half the true one, read back by the turn).
    """
    if profile.kind != "hold":
        return stretches
    left_out = [p for p in stretches if not p.by_criterion]
    hidden = [p for p in stretches if p.by_criterion and p.columns[0] in toward_met]
    if not left_out and not hidden:
        return stretches
    timed: dict[int, tuple[tuple[float, float], ...]] = {}
    if left_out:
        columns = {c for p in left_out for c in p.columns}
        holds = holds_under(without_requirements(profile, side, columns), {})
        timed |= {id(p): holds_within(holds, p) for p in left_out}
    if hidden:
        holds = holds_under(profile, {c: toward_met[c] for p in hidden for c in p.columns})
        timed |= {id(p): holds_within(holds, p) for p in hidden}
    return tuple(
        dataclasses.replace(p, holds=timed[id(p)]) if id(p) in timed else p for p in stretches
    )


def _criterion_toward_met(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    timed_doubts: Mapping[str, TimedDoubt],
) -> dict[str, FloatArray]:
    """``{column: degrees}``: the deciding criterion's angle moved toward met by its timed doubt.

    The first measured criterion's (as :func:`_engagement`'s) angle plus (a lower bound) or
    minus (an upper one) its per-sample bound; empty when that angle has no timed doubt.
    """
    measured = _measured_criteria(profile.engaged, side, data)
    if not measured:
        return {}
    crit, x = measured[0]
    column = angle_column_for(crit.angle, side)
    doubt = timed_doubts.get(column)
    if doubt is None or column not in data:
        return {}
    bound = np.asarray(doubt.bound_deg, dtype=np.float64)
    if not np.any(bound > 0.0):
        return {}
    return {column: np.asarray(x, dtype=np.float64) + _toward_met(crit) * bound}


def without_requirements(profile: Profile, side: str, columns: Collection[str]) -> Profile:
    """``profile`` with the engagement's requirements on ``columns`` (this side's) left out."""
    spec = profile.engaged
    kept = tuple(r for r in spec.require if angle_column_for(r.angle, side) not in columns)
    return dataclasses.replace(profile, engaged=dataclasses.replace(spec, require=kept))


def holds_within(
    holds: Sequence[Hold], span: PossibleStretch, *, slack_s: float = 0.05
) -> tuple[tuple[float, float], ...]:
    """``(start_s, end_s)`` of each hold lying within ``span`` (``slack_s`` either side)."""
    return tuple(
        (h.start_s, h.end_s)
        for h in holds
        if h.start_s >= span.start_s - slack_s and h.end_s <= span.end_s + slack_s
    )


def _angle_precision_deg(
    uncertain: Mapping[str, Mapping[str, str]] | None, data: Mapping[str, FloatArray]
) -> dict[str, float]:
    """Per column of ``data``, the ± (degrees) of an uncertain angle whose whole doubt is one."""
    given = uncertain or {}
    out = {}
    for column in data:
        bound = precision_bound_deg(given[column]) if column in given else None
        if bound is not None:
            out[column] = bound
    return out


def uncertain_in(
    uncertain: Mapping[str, Mapping[str, str]] | None, data: Mapping[str, FloatArray]
) -> dict[str, dict[str, str]]:
    """The uncertain angles that are columns of the table, ``{column: {"reason", "redo"}}``.

    In column order of ``data``; each entry copied (the reason and what to redo, as given).
    """
    given = uncertain or {}
    return {c: dict(given[c]) for c in data if c in given}


def _dynamics(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    engaged: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    absent: Mapping[str, str],
) -> tuple[SliderResult | None, RepetitionResult | None]:
    """The slider and repetition results of ``profile`` (None where it has no such part)."""
    slider = None
    if profile.slider is not None:
        slider = slider_result(profile.slider, side, data, engaged, t_s, t_end, absent)
    reps = None
    if profile.repetitions is not None:
        reps = repetition_result(profile.repetitions, side, data, engaged, t_s, t_end, absent)
    return slider, reps


def _verdict(engaged: BoolArray, rule_results: Sequence[RuleResult]) -> Verdict:
    """The session's verdict from its engagement and rule results.

    ``"not_engaged"`` without engagement, ``"outside"`` with an episode of a gating
    (non-advisory) rule, else ``"inside"``.
    """
    if not engaged.any():
        return "not_engaged"
    if any(r.episodes and not r.spec.advisory for r in rule_results):
        return "outside"
    return "inside"


def _verdict_doubts(
    verdict: Verdict, rule_results: Sequence[RuleResult]
) -> tuple[Episode | NearLatchRun, ...]:
    """What may have been a break under an ``inside`` verdict, in time order (else empty).

    Every gating (not advisory) rule's unconfirmed episodes and runs near its latch point:
    its angle or its stretch shows a break that is not trusted, or a trusted reading within
    its error of the point where a break counts. Had any of them been a break, the session
    would be ``outside``. An ``outside`` verdict rests on a trusted episode already, and
    ``not_engaged`` judged nothing.
    """
    if verdict != "inside":
        return ()
    gating = [r for r in rule_results if not r.spec.advisory]
    items: list[Episode | NearLatchRun] = [e for r in gating for e in r.unconfirmed]
    items += [n for r in gating for n in r.near_latch]
    return tuple(sorted(items, key=lambda x: (x.start_s, x.rule)))


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
    *,
    open_gaps: Collection[str] = (),
) -> tuple[BoolArray, str | None, str | None, BoolArray]:
    """Engagement (dwell applied), its angle column, why there is none, the raw condition.

    The raw condition is the criterion and its requirements per sample, before the dwell.
    Where the rules are judged is engaged *and* the condition met right there: the dwell
    keeps a brief dip out of the condition from ending the stretch, but during such a dip
    the person is not in the stretch pose — the leg lowered to the floor between the
    stretch and sitting down straightens the knee for a second, which is no "locked knee".
    The live monitor requires the condition at the newest sample too
    (:func:`engagement_condition`, the same criterion and requirements). ``open_gaps``: as
    :func:`check_envelope`'s.
    """
    spec = profile.engaged
    tried = []
    for k, crit in enumerate(spec.criteria):
        column = angle_column_for(crit.angle, side)
        x = _criterion_angle(crit, side, data)
        if x is None or not np.isfinite(x).any():
            tried.append(f"{column} ({absent.get(column, 'not measured')})")
            continue
        main_met = _criterion_met(_measured_criteria(spec, side, data, k), _condition)
        raw, used = _with_requirements(main_met, spec, side, data, open_gaps)
        engaged = debounce(raw, t_end, t_s, on_s=spec.dwell_s, off_s=spec.dwell_s)
        reason = None
        if not engaged.any():
            alone = debounce(main_met, t_end, t_s, on_s=spec.dwell_s, off_s=spec.dwell_s)
            if used and alone.any():
                need = " and ".join([crit.describe(), *used])
                reason = f"never {need} together for {spec.dwell_s:g} s"
            else:
                reason = f"{column} never stayed at {crit.describe()} for {spec.dwell_s:g} s"
            reason += f" (range {np.nanmin(x):.0f}° to {np.nanmax(x):.0f}°)"
        return engaged, column, reason, raw
    reason = "cannot tell when the stretch is held: " + "; ".join(tried)
    none = np.zeros(t_s.size, dtype=bool)
    return none, None, reason, none


def _toward_met(crit: EngagedCriterion) -> float:
    """+1 when a larger angle meets ``crit`` (a lower bound), -1 when a smaller one does."""
    return 1.0 if crit.min_deg is not None else -1.0


def _measured_criteria(
    spec: EngagedSpec, side: str, data: Mapping[str, FloatArray], first: int = 0
) -> list[tuple[EngagedCriterion, FloatArray]]:
    """The criteria from ``spec.criteria[first]`` on whose angle has data, with their series."""
    out = []
    for crit in spec.criteria[first:]:
        x = _criterion_angle(crit, side, data)
        if x is not None and np.isfinite(x).any():
            out.append((crit, x))
    return out


def _criterion_met(
    measured: Sequence[tuple[EngagedCriterion, FloatArray]],
    condition: Callable[[FloatArray, EngagedCriterion], BoolArray],
) -> BoolArray:
    """The first criterion's ``condition``; where its angle has no data, the next one's.

    ``measured``: :func:`_measured_criteria` (non-empty). Where the deciding angle has no
    sample (hip flexion while the pelvis sensor is out) the next criterion whose angle has one
    there decides (the thigh's inclination, as when no pelvis is worn); where none has, not met.
    """
    (crit0, x0), *rest = measured
    met = np.array(condition(x0, crit0), dtype=bool)
    free = ~np.isfinite(x0)
    for crit, x in rest:
        here = free & np.isfinite(x)
        if here.any():
            met[here] = condition(x, crit)[here]
            free &= ~here
    return met


def _gate_bounds(
    crit: EngagedCriterion,
    x: FloatArray,
    spec: EngagedSpec,
    side: str,
    data: Mapping[str, FloatArray],
    open_gaps: Collection[str] = (),
    stand_ins: Sequence[tuple[EngagedCriterion, FloatArray]] = (),
) -> tuple[BoolArray, BoolArray, float]:
    """The engagement condition with every angle read its precision toward not met, and met.

    ``x`` is ``crit``'s series, ``stand_ins`` the later criteria that decide where it has no
    data (:func:`_criterion_met`); each angle's precision is
    :func:`~analysis.envelope.gates.angle_precision_deg`. Returns both conditions and the
    largest precision used (deg).
    """
    out = []
    precision = max(angle_precision_deg(c.angle) for c, _ in [(crit, x), *stand_ins])
    for way in (-1.0, 1.0):
        cond = _criterion_met(
            [(crit, x), *stand_ins],
            lambda xc, c, way=way: _condition(
                xc + way * _toward_met(c) * angle_precision_deg(c.angle), c
            ),
        )
        for req in spec.require:
            xr = data.get(angle_column_for(req.angle, side))
            if xr is None or not np.isfinite(xr).any():
                continue  # as in _with_requirements
            step = angle_precision_deg(req.angle)
            precision = max(precision, step)
            column = angle_column_for(req.angle, side)
            shifted = xr + way * _toward_met(req) * step
            cond &= _requirement_met(shifted, req, open_end=column in open_gaps)
        out.append(cond)
    return out[0], out[1], precision


_GateAlternative = tuple[GateRun, float, BoolArray]
"""A gate run at about its dwell, its angles' precision (deg), and where the rules are judged
with that run decided the other way."""


def _gate_alternatives(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    grid: tuple[FloatArray, FloatArray],
    in_pose: BoolArray,
    open_gaps: Collection[str] = (),
) -> list[_GateAlternative]:
    """Each engagement run at about the dwell the angles' precision may decide the other way.

    ``in_pose``: the engagement condition as measured (:func:`_engagement`'s raw condition,
    of the first criterion whose angle is measured); ``grid``: ``(t_s, t_end)``. For each
    run of it within its precision of the dwell (:func:`~analysis.envelope.gates.borderline_runs`),
    where the rules are judged with that run decided the other way (engaged and in the pose).
    """
    t_s, t_end = grid
    spec = profile.engaged
    measured = _measured_criteria(spec, side, data)
    if not measured:
        return []
    (crit, x), *stand_ins = measured
    low, high, precision = _gate_bounds(crit, x, spec, side, data, open_gaps, stand_ins)
    dwell = {"on_s": spec.dwell_s, "off_s": spec.dwell_s}
    out = []
    for g in borderline_runs(in_pose, low, high, t_s, t_end, **dwell):
        engaged = debounce(in_pose, t_end, t_s, **dwell, flip=(g.a,))
        out.append((g, precision, engaged & in_pose))
    return out


def _gate_hung(
    result: RuleResult,
    mask: BoolArray,
    x: FloatArray,
    gates: Sequence[_GateAlternative],
    grid: tuple[FloatArray, FloatArray],
) -> tuple[RuleResult, BoolArray]:
    """``result`` with each episode only one reading of a gate run has made unconfirmed.

    For each gate run at about its dwell (:func:`_gate_alternatives`), the rule is judged on
    ``x`` (its angle) where that reading judges; an episode of the measured reading that no
    episode of that one overlaps, and an episode of that one that no episode of the measured
    reading overlaps, hang on the run: each goes to ``unconfirmed``, with a
    :class:`~.results.GateReading` saying both readings. The rule stays ``violated`` with the
    episodes left, else it is ``uncertain`` (the reason says on what). Returns the result
    and its outside mask, as measured: such an episode sets no verdict, but the holds and the
    per-sample states are those of the measured reading (in the other reading of a stay in the
    stretch position at about the dwell there is no stretch, so no hold either).
    """
    t_s, t_end = grid
    spec, column = result.spec, str(result.column)
    seen = (*result.episodes, *result.unconfirmed, *result.excused)
    hung: list[GateReading] = []
    for run, precision, judged in gates:
        other, _ = _judge_rule(spec, column, x, judged & np.isfinite(x), judged, t_s, t_end)
        words = {"gate": "engagement", "precision_deg": precision}
        hung += [
            _gate_reading(run, e, measured=True, **words)
            for e in result.episodes
            if not any(_overlap(e, o) for o in other.episodes)
        ]
        hung += [
            _gate_reading(run, o, measured=False, **words)
            for o in other.episodes
            if not any(_overlap(e, o) for e in seen)
        ]
    if not hung:
        return result, mask
    gone = [h.episode for h in hung if h.measured]
    kept = tuple(e for e in result.episodes if e not in gone)
    doubted = {*result.unconfirmed, *(h.episode for h in hung)}
    out = dataclasses.replace(
        result,
        status="violated" if kept else "uncertain",
        episodes=kept,
        unconfirmed=tuple(sorted(doubted, key=lambda e: (e.start_s, e.end_s))),
        time_outside_s=float(sum(e.duration_s for e in kept)),
        gate_readings=tuple(hung),
    )
    if not kept:
        why = "whether the rule was broken hangs on how long a position was held: " + hung[0].text()
        out = dataclasses.replace(
            out,
            reason="; ".join(r for r in (result.reason, why) if r),
            redo=result.redo or GATE_REDO,
        )
    return out, mask


def _overlap(a: Episode, b: Episode) -> bool:
    """Whether two episodes overlap in time."""
    return a.start_s < b.end_s and b.start_s < a.end_s


def _gate_reading(
    run: GateRun, e: Episode, *, measured: bool, gate: str, precision_deg: float
) -> GateReading:
    """The :class:`~.results.GateReading` of episode ``e`` hanging on ``run``."""
    return GateReading(
        gate=gate,
        run_start_s=run.start_s,
        run_s=run.run_s,
        shortest_s=run.shortest_s,
        longest_s=run.longest_s,
        dwell_s=run.dwell_s,
        precision_deg=precision_deg,
        met=run.met,
        counted=run.counted,
        measured=measured,
        episode=e,
    )


def _criterion_angle(
    crit: EngagedCriterion, side: str, data: Mapping[str, FloatArray]
) -> FloatArray | None:
    """The series (deg) an engagement criterion judges; None when its angle is not measured.

    With ``crit.through_tuck`` a pelvis tipped back is added back to the hip's flexion
    (``hip flexion − min(pelvis tilt, 0)``, the thigh's elevation while tucked): the leg
    stays on its support when the pelvis tucks under, and that fault must not end the
    stretch it is a fault of. Where the pelvis tilt is not measured, hip flexion alone.
    """
    x = data.get(angle_column_for(crit.angle, side))
    if x is None or not crit.through_tuck:
        return x
    tilt = data.get(PELVIS_TILT_COLUMN)
    if tilt is None:
        return x
    with np.errstate(invalid="ignore"):
        tucked = np.where(np.isfinite(tilt), np.minimum(tilt, 0.0), 0.0)
    return np.asarray(x, dtype=np.float64) - tucked


PELVIS_TILT_COLUMN: Final = "pelvis_anterior_tilt_deg"
"""The pelvis's anterior tilt (deg, + forward), whose tuck ``through_tuck`` adds back."""


def _with_requirements(
    met: BoolArray,
    spec: EngagedSpec,
    side: str,
    data: Mapping[str, FloatArray],
    open_gaps: Collection[str] = (),
) -> tuple[BoolArray, list[str]]:
    """``met`` and every requirement of ``spec`` whose angle is measured, and their texts.

    A requirement on a column in ``open_gaps`` (its sensor out now, live) keeps its last
    sample's state through the gap at the end (:func:`_requirement_met` with ``open_end``).
    """
    raw = met.copy()
    used = []
    for req in spec.require:
        column = angle_column_for(req.angle, side)
        xr = data.get(column)
        if xr is None or not np.isfinite(xr).any():
            continue  # a requirement applies only where its angle is measured
        raw &= _requirement_met(xr, req, open_end=column in open_gaps)
        used.append(req.describe())
    return raw, used


def _requirement_met(x: FloatArray, req: EngagedCriterion, *, open_end: bool = False) -> BoolArray:
    """Where an engagement requirement (e.g. knee ≤ 60°) is met on its angle ``x`` (deg).

    A stretch where ``x`` has no data (its sensor sent nothing) between two samples that
    both meet the requirement is read as met (:func:`~.masks.carried_over_gaps`): the
    criterion itself (hip flexion) still has to hold there, and the rules whose angles are
    measured are judged. A gap at either end, or next to a sample that does not meet it,
    stays not met.

    ``open_end`` (live, the angle's sensor out right now): the gap at the end has no far
    side *yet*, so it keeps the state of the last sample before it (met stays met, not met
    stays not met) until the sensor is back and the gap is settled as above.
    """
    valid = np.isfinite(x)
    met = carried_over_gaps(_condition(x, req), valid)
    if open_end:
        met |= carried_to_end(_condition(x, req), valid)
    return met


def engagement_condition(
    angles: Mapping[str, FloatArray],
    profile: Profile,
    *,
    side: str,
    open_gaps: Collection[str] = (),
) -> BoolArray | None:
    """Per sample, whether the profile's engagement criterion is met, *before* any dwell.

    The first criterion whose angle is measured decides (as in :func:`check_envelope`); None
    when none is. A live monitor needs this for the newest samples, where leaving the
    stretch is not yet confirmed by the dwell. ``open_gaps``: as :func:`check_envelope`'s.
    """
    measured = _measured_criteria(profile.engaged, side, angles)
    if not measured:
        return None
    met = _criterion_met(measured, _condition)
    return _with_requirements(met, profile.engaged, side, angles, open_gaps)[0]


def _possibly_met(
    xr: FloatArray,
    req: EngagedCriterion,
    why: Mapping[str, str] | None,
    timed: TimedDoubt | None,
) -> BoolArray | None:
    """Where a requirement on a doubted angle may be met: its doubt read toward met.

    ``why``: the angle's ``uncertain`` entry; a ± (:func:`precision_bound_deg`) moves the
    reading (deg) that far toward met, any other doubt leaves the requirement possibly met
    wherever the angle is measured. ``timed``: a per-sample bound (deg) read the same way.
    None when the angle has neither doubt (the requirement is decided as read).
    """
    timed_deg = None if timed is None else np.asarray(timed.bound_deg, dtype=np.float64)
    if why is None and (timed_deg is None or not np.any(timed_deg > 0.0)):
        return None
    shift_deg = np.zeros(xr.size) if timed_deg is None else timed_deg
    if why is not None:
        bound_deg = precision_bound_deg(why)
        if bound_deg is None:
            return np.isfinite(xr)
        shift_deg = shift_deg + bound_deg
    return _condition(xr + _toward_met(req) * shift_deg, req)


def _possible_engagement(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    grid: tuple[FloatArray, FloatArray],
    doubts: Mapping[str, tuple[Mapping[str, str] | None, TimedDoubt | None]],
) -> tuple[BoolArray, tuple[EngagedCriterion, ...]] | None:
    """Engagement (dwell applied) with each requirement on a doubted angle read as may be met.

    The criterion that decides is :func:`_engagement`'s; ``doubts``: ``column → (uncertain
    entry, timed doubt)``. Returns the mask and the requirements read that way; None when
    no requirement's angle is doubted.
    """
    spec = profile.engaged
    t_s, t_end = grid
    measured = _measured_criteria(spec, side, data)
    if not measured:
        return None
    raw = _criterion_met(measured, _condition)
    doubted = []
    for req in spec.require:
        column = angle_column_for(req.angle, side)
        xr = data.get(column)
        if xr is None or not np.isfinite(xr).any():
            continue  # as in _with_requirements
        maybe = _possibly_met(xr, req, *doubts.get(column, (None, None)))
        if maybe is not None:
            doubted.append(req)
        raw &= _condition(xr, req) if maybe is None else (maybe | _condition(xr, req))
    if not doubted:
        return None
    return debounce(raw, t_end, t_s, on_s=spec.dwell_s, off_s=spec.dwell_s), tuple(doubted)


def possible_stretch_spans(
    possible: BoolArray, engaged: BoolArray, t_s: FloatArray, t_end: FloatArray, min_s: float
) -> list[tuple[float, float]]:
    """The runs ``(start_s, end_s)`` of ``possible`` and not ``engaged`` lasting ≥ ``min_s``."""
    return [(a, b) for a, b in _spans(possible & ~engaged, t_s, t_end) if b - a >= min_s]


def _possible_stretches(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    grid: tuple[FloatArray, FloatArray],
    engaged: BoolArray,
    doubts: Mapping[str, tuple[Mapping[str, str] | None, TimedDoubt | None]],
) -> tuple[PossibleStretch, ...]:
    """Time left out of the stretch only by a requirement its doubted angle cannot decide.

    At least the engagement dwell long (:func:`possible_stretch_spans`). Never counted as
    stretching: the checker does not know whether the person was in the stretch there
    (a seat bends the knee as a misread knee does).
    """
    unrecognised = _possible_criterion_stretches(profile, side, data, grid, doubts, engaged)
    if unrecognised and not engaged.any():
        return unrecognised
    found = _possible_engagement(profile, side, data, grid, doubts)
    if found is None:
        return unrecognised
    possible, reqs = found
    spans = possible_stretch_spans(possible, engaged, *grid, profile.engaged.dwell_s)
    if not spans:
        return unrecognised
    columns = tuple(angle_column_for(r.angle, side) for r in reqs)
    reasons = []
    for c in columns:
        why, timed = doubts.get(c, (None, None))
        reasons += [w for w in ((why or {}).get("reason"), timed and timed.reason) if w]
    reason = "; ".join(dict.fromkeys(reasons))
    needs = tuple(r.describe() for r in reqs)
    left_out = tuple(
        PossibleStretch(start_s=a, end_s=b, columns=columns, needs=needs, reason=reason)
        for a, b in spans
    )
    return tuple(sorted((*unrecognised, *left_out), key=lambda p: p.start_s))


def _possible_criterion_stretches(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    grid: tuple[FloatArray, FloatArray],
    doubts: Mapping[str, tuple[Mapping[str, str] | None, TimedDoubt | None]],
    engaged: BoolArray,
) -> tuple[PossibleStretch, ...]:
    """Where a stretch the deciding angle's doubt hides may have been, not counted.

    The first measured criterion's angle read toward met under its doubt
    (:func:`_possibly_met`), its requirements as read, the engagement dwell applied, outside
    ``engaged``; ``()`` when that angle is not doubted. In a session with no stretch, under
    its whole doubt (by its ± where it has one, else wherever it is measured: a thigh whose
    forward direction is not established reads its inclination the wrong way round, and "no
    stretch found" would be said of a held stretch). Where a stretch was found, only under the
    angle's timed doubt (the time it may be off, e.g. from a thigh's strap turn on, stranger
    round 5 seed 2679's pair file): a session-wide doubt with no ± would make every moment a
    possible stretch, the calibration's movements too.
    """
    measured = _measured_criteria(profile.engaged, side, data)
    if not measured:
        return ()
    crit, x = measured[0]
    column = angle_column_for(crit.angle, side)
    why, timed = doubts.get(column, (None, None))
    if engaged.any():
        why = None
    maybe = _possibly_met(x, crit, why, timed)
    if maybe is None:
        return ()
    t_s, t_end = grid
    spec = profile.engaged
    raw, _ = _with_requirements(maybe, spec, side, data)
    possible = debounce(raw, t_end, t_s, on_s=spec.dwell_s, off_s=spec.dwell_s)
    reason = "; ".join(
        dict.fromkeys(w for w in ((why or {}).get("reason"), timed and timed.reason) if w)
    )
    return tuple(
        PossibleStretch(
            start_s=a,
            end_s=b,
            columns=(column,),
            needs=(crit.describe(),),
            reason=reason,
            by_criterion=True,
        )
        for a, b in possible_stretch_spans(possible, engaged, t_s, t_end, spec.dwell_s)
    )


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
    peaks, where = reduce_peak(x, starts, ends, upper=spec.upper)
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


def _judged_near_latch(
    result: RuleResult,
    mask: BoolArray,
    x: FloatArray,
    valid: BoolArray,
    grid: tuple[FloatArray, FloatArray],
) -> tuple[RuleResult, BoolArray]:
    """A judged rule with the runs where its angle grazed the latch point said.

    A run of at least the dwell where the angle ``x`` (deg) is past the edge but not past the
    point where a breach is recognised (half the band beyond the edge), within the angle's
    precision (:func:`~analysis.envelope.gates.angle_precision_deg`) of that point, where the
    rule is judged (``valid``) and outside every episode (``mask``, and the result's unconfirmed
    and test episodes), cannot be decided by the
    reading (:func:`~analysis.envelope.gates.near_latch_runs`). A rule with no episode and such
    a run is ``uncertain`` (its reason the first run in words, :class:`~.results.NearLatchRun`);
    a violated rule (or one a gate run left uncertain) keeps its status and episodes and lists
    the runs. Returns the result and its outside mask, always as measured (empty for a rule
    with no episode): the angle is trusted, so its gaps still stop a hold and are listed, and
    the run, no episode, breaks no hold; untouched without such a run.
    """
    t_s, t_end = grid
    spec = result.spec
    outward = 1.0 if spec.upper else -1.0
    latch_deg = spec.limit_deg + outward * spec.hysteresis_deg / 2.0
    precision_deg = angle_precision_deg(spec.name)
    # the time of every episode, kept or not (unconfirmed, a test's movement), is no run
    taken = mask | _episodes_mask((*result.unconfirmed, *result.excused), t_s)
    runs = near_latch_runs(
        x,
        valid,
        taken,
        t_s,
        t_end,
        limit_deg=spec.limit_deg,
        latch_deg=latch_deg,
        precision_deg=precision_deg,
        dwell_s=spec.dwell_s,
    )
    if not runs:
        return result, mask
    peaks, _ = reduce_peak(
        x, np.array([a for a, _ in runs]), np.array([b for _, b in runs]), upper=spec.upper
    )
    near = tuple(
        NearLatchRun(
            rule=spec.name,
            start_s=float(t_s[a]),
            end_s=float(t_end[b - 1]),
            closest_deg=float(peak),
            limit_deg=spec.limit_deg,
            latch_deg=latch_deg,
            precision_deg=precision_deg,
        )
        for (a, b), peak in zip(runs, peaks, strict=True)
    )
    if result.status != "ok":  # violated, or already uncertain on a gate run: said besides
        return dataclasses.replace(result, near_latch=near), mask
    why = near[0].text() + (f" (and {len(near) - 1} more such runs)" if len(near) > 1 else "")
    out = dataclasses.replace(
        result,
        status="uncertain",
        near_latch=near,
        reason="; ".join(r for r in (result.reason, why) if r),
        redo=result.redo or NEAR_LATCH_REDO,
    )
    return out, mask


def _excuse_tests(
    result: RuleResult, mask: BoolArray, tests: Sequence[DifferentiationTest], t_s: FloatArray
) -> tuple[RuleResult, BoolArray, BoolArray]:
    """Move the episodes of a performed "nerve or muscle?" test to ``excused``.

    Those episodes are no violation (no status, verdict or cue) but still interrupt a hold.

    Returns the result, the rule's outside mask without them, and their mask.
    """
    windows = test_movement_windows(tests, result.rule, result.spec.dwell_s)
    excused_mask = np.zeros(t_s.size, dtype=bool)
    if not windows or not result.episodes:
        return result, mask, excused_mask
    keep, excused = [], []
    for e in result.episodes:
        inside = any(e.start_s >= a and e.end_s <= b for a, b in windows)
        (excused if inside else keep).append(e)
        if inside:
            excused_mask |= (t_s >= e.start_s) & (t_s < e.end_s)
    if not excused:
        return result, mask, excused_mask
    result = dataclasses.replace(
        result,
        status="violated" if keep else "ok",
        episodes=tuple(keep),
        excused=tuple(excused),
        time_outside_s=float(sum(e.duration_s for e in keep)),
    )
    return result, mask & ~excused_mask, excused_mask & mask


OtherReadings = tuple[str, Sequence[Mapping[str, FloatArray]]]
"""A doubted segment's other readings (``AngleResult.other_readings``' values): the words of
a finding under all of them, and per reading its columns (degrees, on the table's grid)."""


def _readings_of(
    column: str, other_readings: Mapping[str, OtherReadings] | None
) -> OtherReadings | None:
    """The other readings that hold ``column`` (None: the column has none)."""
    for words, readings in (other_readings or {}).values():
        if readings and all(column in r for r in readings):
            return words, readings
    return None


class _JudgedUnder:
    """Where the rules are judged under another reading: its engagement and pose.

    The engagement angle may be one of the reading's columns (the hip flexion of a doubted
    pelvis): each reading is judged where it is itself engaged and in the pose
    (:func:`_engagement` on the table with the reading's columns in place).
    """

    def __init__(
        self,
        profile: Profile,
        side: str,
        data: Mapping[str, FloatArray],
        t_s: FloatArray,
        t_end: FloatArray,
        absent: Mapping[str, str],
        *,
        exact: bool = False,
        open_gaps: Collection[str] = (),
    ) -> None:
        self._args = (profile, side, data, t_s, t_end, absent)
        self.open_gaps = open_gaps
        """Live: the columns whose gap at the end is still open (:func:`check_envelope`)."""
        self.exact = exact
        """The angles are exact: no gate run is read again (:meth:`gates` is empty)."""
        self.t_s, self.t_end = t_s, t_end
        self._seen: dict[int, tuple[Mapping[str, FloatArray], BoolArray, BoolArray]] = {}
        self._gates: list[_GateAlternative] | None = None

    def _judge(self, reading: Mapping[str, FloatArray]) -> tuple[BoolArray, BoolArray]:
        key = id(reading)
        if key not in self._seen:  # one engagement per reading
            profile, side, data, t_s, t_end, absent = self._args
            table = {**data, **reading}
            engaged, _, _, in_pose = _engagement(
                profile, side, table, t_s, t_end, absent, open_gaps=self.open_gaps
            )
            self._seen[key] = (reading, engaged & in_pose, engaged)
        return self._seen[key][1], self._seen[key][2]

    def gates(self) -> list[_GateAlternative]:
        """The angles' own engagement runs at about the dwell (:func:`_gate_alternatives`)."""
        if self.exact:
            return []
        if self._gates is None:
            profile, side, data, t_s, t_end, absent = self._args
            gaps = self.open_gaps
            in_pose = _engagement(profile, side, data, t_s, t_end, absent, open_gaps=gaps)[3]
            self._gates = _gate_alternatives(profile, side, data, (t_s, t_end), in_pose, gaps)
        return self._gates

    def __call__(self, reading: Mapping[str, FloatArray]) -> BoolArray:
        """Where ``reading`` is engaged and in the pose (its rules are judged there)."""
        return self._judge(reading)[0]

    def engaged(self, reading: Mapping[str, FloatArray]) -> BoolArray:
        """Where ``reading`` is engaged (its holds may run there)."""
        return self._judge(reading)[1]


def _found_in_every_reading(
    spec: RuleSpec, result: RuleResult, group: OtherReadings, judged_under: _JudgedUnder
) -> RuleResult | None:
    """``result`` keeping the episodes every other reading shows too; None when none is.

    An episode is kept when each reading of ``group`` has an episode of the rule (judged as
    the angles' own, :func:`_judge_rule`, where that reading is engaged) overlapping it in
    time; the episode reported is the angles' own. The kept ones are the result's episodes
    (status ``violated``, ``confirmed_by`` the group's words), the rest ``unconfirmed``.
    """
    words, readings = group
    kept = list(result.episodes)
    t_s, t_end = judged_under.t_s, judged_under.t_end
    for reading in readings:
        if not kept:
            return None
        judged = judged_under(reading)
        x = np.asarray(reading[str(result.column)], dtype=np.float64)
        other, _ = _judge_rule(
            spec, str(result.column), x, judged & np.isfinite(x), judged, t_s, t_end
        )
        kept = [
            e
            for e in kept
            if any(o.start_s < e.end_s and o.end_s > e.start_s for o in other.episodes)
        ]
    if not kept:
        return None
    return dataclasses.replace(
        result,
        status="violated",
        episodes=tuple(kept),
        unconfirmed=tuple(e for e in result.episodes if e not in kept),
        time_outside_s=float(sum(e.duration_s for e in kept)),
        confirmed_by=words,
    )


def _judged_uncertain(
    result: RuleResult,
    why: Mapping[str, str],
    group: OtherReadings | None,
    judged_under: _JudgedUnder,
    reading: tuple[FloatArray, BoolArray],
) -> tuple[RuleResult, BoolArray | None]:
    """A rule on an uncertain angle: violated with the episodes every reading shows, or uncertain.

    Returns the result and, when some episode is confirmed (:func:`_found_in_every_reading`),
    its outside mask; else the uncertain result (:func:`_as_uncertain`) and None. An angle
    whose whole doubt is a ± (:func:`~analysis.recording.doubts.precision_bound_deg`) and that
    has no other readings is decided by that margin instead (:func:`_judged_by_margin`;
    ``reading``: the angle and the rule's outside mask).
    """
    bound = precision_bound_deg(why)
    if bound is not None and group is None:
        return _judged_by_margin(result, why, bound, judged_under, reading)
    found = None
    if group is not None and result.episodes:
        found = _found_in_every_reading(result.spec, result, group, judged_under)
    if found is None:
        return _as_uncertain(result, why), None
    found = dataclasses.replace(found, reason=why.get("reason"), redo=why.get("redo"))
    return found, _episodes_mask(found.episodes, judged_under.t_s)


def _judged_by_margin(
    result: RuleResult,
    why: Mapping[str, str],
    bound_deg: float,
    judged_under: _JudgedUnder,
    reading: tuple[FloatArray, BoolArray],
) -> tuple[RuleResult, BoolArray | None]:
    """A rule on an angle measured to ±``bound_deg``: decided where the margin decides it.

    An episode is kept (violated, ``confirmed_by`` says the margin) when the angle moved
    ``bound_deg`` back inside still shows one overlapping it (the rule judged on that reading
    as on another reading, :func:`_found_in_every_reading`); the rest stay unconfirmed. With no
    episode, the rule is ``ok`` when the angle moved ``bound_deg`` outward shows none either
    (judged wherever the angle or that reading is engaged); else, and when no episode is kept,
    the rule is uncertain as any other (:func:`_as_uncertain`). Returns the result and its
    outside mask (None: uncertain).
    """
    x, mask = reading
    spec, column = result.spec, str(result.column)
    outward = 1.0 if spec.upper else -1.0
    if result.episodes:
        words = f"found past its edge by more than the ±{bound_deg:.1f}° the angle is measured to"
        inside = (words, ({column: x - outward * bound_deg},))
        found = _found_in_every_reading(spec, result, inside, judged_under)
        if found is None:
            return _as_uncertain(result, why), None
        found = dataclasses.replace(found, reason=why.get("reason"), redo=why.get("redo"))
        return found, _episodes_mask(found.episodes, judged_under.t_s)
    worst = {column: x + outward * bound_deg}
    where = judged_under({}) | judged_under(worst)
    t_s, t_end = judged_under.t_s, judged_under.t_end
    near, _ = _judge_rule(spec, column, worst[column], where & np.isfinite(x), where, t_s, t_end)
    if near.episodes:
        return _as_uncertain(result, why), None
    return result, mask


def _judged_doubted(
    result: RuleResult,
    why: Mapping[str, str] | None,
    timed: TimedDoubt | None,
    group: OtherReadings | None,
    judged_under: _JudgedUnder,
    reading: tuple[FloatArray, BoolArray],
    *,
    valid: BoolArray | None = None,
) -> tuple[RuleResult, BoolArray | None]:
    """A judged rule under its angle's doubts, as :func:`check_envelope` reads them.

    ``why`` (its ``uncertain`` entry, :func:`_judged_uncertain`), then ``timed``
    (:func:`_judged_within_timed`), then an engagement run at about its dwell that the
    angles' precision may decide the other way (:func:`_gate_hung`), then, on an angle with
    no ``why`` and not exact, a run near the rule's latch point within the angle's precision
    (:func:`_judged_near_latch`, where the rule is judged and its angle ``valid``; None: not
    read). Returns the result and its outside mask (None: uncertain); untouched without doubts.
    """
    mask: BoolArray | None = reading[1]
    if why is not None:
        result, mask = _judged_uncertain(result, why, group, judged_under, reading)
    if timed is not None and mask is not None:
        result, mask = _judged_within_timed(result, timed, judged_under, (reading[0], mask))
    grid = (judged_under.t_s, judged_under.t_end)
    if mask is not None:
        result, mask = _gate_hung(result, mask, reading[0], judged_under.gates(), grid)
    # an angle with a doubt of its own was decided by it; exact angles (a simulation's
    # truth) have no precision to graze the latch point within
    if mask is not None and valid is not None and why is None and not judged_under.exact:
        result, mask = _judged_near_latch(result, mask, reading[0], valid, grid)
    return result, mask


def _judged_within_timed(
    result: RuleResult,
    doubt: TimedDoubt,
    judged_under: _JudgedUnder,
    reading: tuple[FloatArray, BoolArray],
) -> tuple[RuleResult, BoolArray | None]:
    """A judged rule whose angle may be off by ``doubt.bound_deg`` for part of the session.

    As :func:`_judged_by_margin` with a bound per sample: an episode is kept for the time the
    angle moved that far back inside still shows one (:func:`_beyond_bound`); the rest, and
    the part of a kept one the bound may explain, are unconfirmed (the rule stays violated
    with the kept ones, else it is uncertain). With no episode, the rule stays ``ok`` unless
    the angle moved that far outward shows one. A result untouched by the bound is returned
    as it is. Returns the result and its outside mask (None: uncertain).
    """
    x, mask = reading
    bound = np.asarray(doubt.bound_deg, dtype=np.float64)
    if not np.any(bound > 0.0):
        return result, mask
    spec, column = result.spec, str(result.column)
    outward = 1.0 if spec.upper else -1.0
    why = {
        "reason": "; ".join(r for r in (result.reason, doubt.reason) if r),
        "redo": doubt.redo,
    }
    t_s, t_end = judged_under.t_s, judged_under.t_end
    if result.episodes:
        kept, loose = _beyond_bound(result, x, x - outward * bound, judged_under)
        if not kept:
            every = sorted((*result.episodes, *result.unconfirmed), key=lambda e: e.start_s)
            return _as_uncertain(dataclasses.replace(result, episodes=tuple(every)), why), None
        if not loose:
            return result, mask
        found = dataclasses.replace(
            result,
            episodes=tuple(kept),
            unconfirmed=tuple(sorted((*result.unconfirmed, *loose), key=lambda e: e.start_s)),
            time_outside_s=float(sum(e.duration_s for e in kept)),
            reason=why["reason"],
            redo=why["redo"],
            confirmed_by="; ".join(c for c in (result.confirmed_by, TIMED_WORDS) if c),
        )
        return found, _episodes_mask(found.episodes, t_s)
    worst = {column: x + outward * bound}
    where = judged_under({}) | judged_under(worst)
    near, _ = _judge_rule(spec, column, worst[column], where & np.isfinite(x), where, t_s, t_end)
    if near.episodes:
        return _as_uncertain(result, why), None
    return result, mask


TIMED_WORDS: Final = "found past its edge by more than the angle may be off at that time"
"""``confirmed_by`` of a rule some of whose episodes a timed doubt leaves unconfirmed."""


def _beyond_bound(
    result: RuleResult, x: FloatArray, inner: FloatArray, judged_under: _JudgedUnder
) -> tuple[list[Episode], list[Episode]]:
    """``result``'s episodes cut to the time the ``inner`` reading also shows one, and the rest.

    ``inner``: the angle moved back inside by its bound. An episode no inner one overlaps is
    all in the rest; one it overlaps is kept from the first overlapping inner episode's start
    to the last one's end (within its own), its lead-in and tail going to the rest.
    """
    spec, column = result.spec, str(result.column)
    t_s, t_end = judged_under.t_s, judged_under.t_end
    judged = judged_under({column: inner})
    other, _ = _judge_rule(spec, column, inner, judged & np.isfinite(inner), judged, t_s, t_end)
    kept: list[Episode] = []
    loose: list[Episode] = []
    for e in result.episodes:
        over = [o for o in other.episodes if o.start_s < e.end_s and o.end_s > e.start_s]
        if not over:
            loose.append(e)
            continue
        a = max(e.start_s, min(o.start_s for o in over))
        b = min(e.end_s, max(o.end_s for o in over))
        kept.append(_part(e, a, b, x, t_s, spec))
        loose += [_part(e, u, v, x, t_s, spec) for u, v in ((e.start_s, a), (b, e.end_s)) if v > u]
    return kept, loose


def _part(
    e: Episode, start_s: float, end_s: float, x: FloatArray, t_s: FloatArray, spec: RuleSpec
) -> Episode:
    """The part ``[start_s, end_s)`` of episode ``e``, with its own peak and cue."""
    if start_s == e.start_s and end_s == e.end_s:
        return e
    a = int(np.searchsorted(t_s, start_s, side="left"))
    b = max(a + 1, int(np.searchsorted(t_s, end_s, side="left")))
    peaks, where = reduce_peak(x, np.array([a]), np.array([b]), upper=spec.upper)
    peak = float(peaks[0])
    beyond_warn = spec.warn_deg is None or (
        peak >= spec.warn_deg if spec.upper else peak <= spec.warn_deg
    )
    return dataclasses.replace(
        e,
        start_s=float(start_s),
        end_s=float(end_s),
        peak_deg=peak,
        peak_t_s=float(t_s[int(where[0])]),
        cue=spec.format_cue(peak),
        severity="clear" if beyond_warn else "borderline",
    )


def _episodes_mask(episodes: Sequence[Episode], t_s: FloatArray) -> BoolArray:
    """True on the grid points inside any of ``episodes`` (half-open intervals)."""
    mask = np.zeros(t_s.size, dtype=bool)
    for e in episodes:
        mask |= (t_s >= e.start_s) & (t_s < e.end_s)
    return mask


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
        excused=result.excused,
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


@dataclasses.dataclass(frozen=True)
class _BandTail:
    """The end of one gating episode that hangs on the hysteresis band: samples ``[a, b)``.

    The angle came back inside the edge at ``a`` and stayed short of the release until the
    episode's end ``b``, going past the edge again by ``past_deg`` at most (never half the band
    past it, where a breach is recognised). ``others``: whether another gating rule or a test
    movement breaks the holds on ``[a, b)``.
    """

    spec: RuleSpec
    a: int
    b: int
    past_deg: float
    others: BoolArray


def _band_tails(
    rules: Sequence[RuleResult],
    outside: Mapping[str, BoolArray],
    testing: BoolArray,
    data: Mapping[str, FloatArray],
    judged: BoolArray,
    t_end: FloatArray,
) -> list[_BandTail]:
    """The ends of gating episodes kept open by the hysteresis band, not by the angle.

    A breach is recognised half the band past the edge and ends half the band back inside
    (:func:`_judge_rule`); its extent is the time past the edge (:func:`_widen_to_edge`). An
    angle that comes back inside the edge and hovers between it and the release, dipping past
    the edge by less than half the band, never releases, so the episode runs on to its last
    dip. Each episode whose last run past the edge reaching half the band past it ends at
    least the dwell before the episode does gives a tail: from that return to the episode's
    end. ``outside`` and ``testing``: each rule's outside mask and the test movements'.
    """
    gating = {r.rule: r for r in rules if r.rule in outside and not r.spec.advisory}
    tails = []
    for name, r in gating.items():
        spec, x = r.spec, data[str(r.column)]
        outward = 1.0 if spec.upper else -1.0
        with np.errstate(invalid="ignore"):
            beyond = outward * (x - spec.limit_deg)
        valid = judged & np.isfinite(x)
        past = (beyond > 0.0) & valid
        deep = (beyond > spec.hysteresis_deg / 2.0) & valid
        for s, e in zip(*true_intervals(outside[name]), strict=True):
            runs = zip(*true_intervals(past[s:e]), strict=True)
            last = max((s + b for a, b in runs if deep[s + a : s + b].any()), default=None)
            if last is None or t_end[e - 1] - t_end[last - 1] < spec.dwell_s:
                continue
            others = _breaking_besides(name, testing, outside, gating, slice(last, e))
            tail = beyond[last:e][valid[last:e]]
            worst = max(float(tail.max()), 0.0) if tail.size else 0.0
            tails.append(_BandTail(spec, last, e, worst, others))
    return tails


def _breaking_besides(
    name: str,
    testing: BoolArray,
    outside: Mapping[str, BoolArray],
    gating: Collection[str],
    rows: slice,
) -> BoolArray:
    """Where, over ``rows``, something other than rule ``name`` breaks a hold.

    That is a test movement (``testing``) or another gating rule outside its edge
    (``outside``, of the rules in ``gating``).
    """
    others = testing[rows].copy()
    for other, mask in outside.items():
        if other != name and other in gating:
            others |= mask[rows]
    return others


def _holds_with_breaks(
    steady: BoolArray,
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    engaged_breaks: tuple[BoolArray, BoolArray],
    replaced: Sequence[tuple[int, int, BoolArray]],
) -> list[tuple[float, float]]:
    """The holds (start, end in s) timed again with the breaks on rows ``[a, b)`` replaced.

    ``engaged_breaks``: where the person is engaged and what breaks a hold; each of
    ``replaced`` puts its own breaks on its rows (what else breaks a hold there, the episode
    being read as inside). ``steady`` and ``rest``: as :func:`_hold_mask`'s arguments.
    """
    _, known, t_s, t_end, dwell = rest
    engaged, breaks = engaged_breaks
    other = breaks.copy()
    for a, b, mask in replaced:
        other[a:b] = mask
    return _spans(_hold_mask(steady, engaged & ~other, known, t_s, t_end, dwell), t_s, t_end)


def _band_alternatives(
    spans: Sequence[tuple[float, float]],
    alternatives: Sequence[list[TimingAlternative]],
    band: Sequence[_BandTail],
    steady: BoolArray,
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    engaged_breaks: tuple[BoolArray, BoolArray],
) -> None:
    """Add to each hold's ``alternatives`` its reading with a band tail's episode ended early.

    For each tail of ``band`` (:func:`_band_tails`) that a hold starts within the dwell of,
    the holds are timed again with that episode ending where the angle came back inside the
    edge (``engaged_breaks``: where the person is engaged, and the holds' breaks, which are
    replaced on the tail by the other rules' and test movements'); a reading that moves the
    hold's start or end by :data:`ALTERNATIVE_MIN_S` or more is kept as a
    :class:`BandAlternative`. ``steady`` and ``rest``: as :func:`_hold_mask`'s arguments.
    """
    t_s, t_end, dwell = rest[2:]
    for tail in band:
        t0, t1 = float(t_s[tail.a]), float(t_end[tail.b - 1])
        near = [k for k, (a, _) in enumerate(spans) if t0 <= a <= t1 + dwell]
        if not near:
            continue
        read = _holds_with_breaks(steady, rest, engaged_breaks, [(tail.a, tail.b, tail.others)])
        spec = tail.spec
        outward = 1.0 if spec.upper else -1.0
        for k in near:
            best = _overlapping_most(spans[k], read)
            if best is None or _same_reading(spans[k], best):
                continue
            alternatives[k].append(
                BandAlternative(
                    rule=spec.name,
                    return_s=t0,
                    until_s=t1,
                    limit_deg=spec.limit_deg,
                    release_deg=spec.limit_deg - outward * spec.hysteresis_deg / 2.0,
                    past_deg=tail.past_deg,
                    start_s=best[0],
                    end_s=best[1],
                )
            )


@dataclasses.dataclass(frozen=True)
class _Borderline:
    """A gating rule's outside run ``[a, b)`` whose episodes are all borderline.

    ``episode``: the rule's episode there (severity ``"borderline"``); ``others``: what
    else breaks a hold on ``[a, b)`` (the other gating rules' outside masks and the tests).
    """

    spec: RuleSpec
    episode: Episode
    a: int
    b: int
    others: BoolArray


def _borderline_runs(
    rules: Sequence[RuleResult],
    outside: Mapping[str, BoolArray],
    testing: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
) -> list[_Borderline]:
    """The runs of gating rules' outside masks that are one borderline episode each.

    A borderline episode's peak passed the edge by less than the rule's warn margin: the
    checker itself says the angle may have stayed inside. Only rules whose episodes break
    holds (``"violated"``, not advisory) are read; ``outside`` and ``testing``: each rule's
    outside mask and the test movements'.
    """
    gating = {r.rule: r for r in rules if r.rule in outside and not r.spec.advisory}
    found = []
    for name, r in gating.items():
        if r.status != "violated":
            continue
        for a, b in zip(*true_intervals(outside[name]), strict=True):
            t0, t1 = float(t_s[a]), float(t_end[b - 1])
            mine = [e for e in r.episodes if e.start_s < t1 and e.end_s > t0]
            if len(mine) != 1 or mine[0].severity != "borderline":
                continue
            others = _breaking_besides(name, testing, outside, gating, slice(a, b))
            found.append(_Borderline(r.spec, mine[0], a, b, others))
    return found


def _bounding(
    borderline: Sequence[_Borderline], span: tuple[float, float], dwell_s: float
) -> list[_Borderline]:
    """The borderline runs that bound hold ``span`` (start, end in s).

    Those whose episode starts within ``dwell_s`` of the hold's end or ends within
    ``dwell_s`` of its start: they end, split or start it.
    """
    start, end = span
    return [
        m
        for m in borderline
        if abs(m.episode.start_s - end) <= dwell_s or abs(m.episode.end_s - start) <= dwell_s
    ]


def _chained_reading(
    span: tuple[float, float],
    borderline: Sequence[_Borderline],
    read: Callable[[Sequence[_Borderline]], list[tuple[float, float]]],
    dwell_s: float,
) -> tuple[list[_Borderline], tuple[float, float] | None]:
    """Hold ``span`` (s) re-read with borderline episodes taken inside until none is added.

    Starts from the runs that bound the hold (:func:`_bounding`); ``read`` times the holds
    with the given runs taken inside. While the re-read hold (the one overlapping ``span``
    most) is bounded by runs not yet taken, those are taken too and the holds read again.
    Each run is taken at most once, so this stops. Returns the runs taken (in the order of
    ``borderline``) and the last re-read hold (None: none overlaps ``span``).
    """
    taken = {id(m) for m in _bounding(borderline, span, dwell_s)}
    best = None
    while taken:
        best = _overlapping_most(span, read([m for m in borderline if id(m) in taken]))
        if best is None:
            break
        more = {id(m) for m in _bounding(borderline, best, dwell_s)} - taken
        if not more:
            break
        taken |= more
    return [m for m in borderline if id(m) in taken], best


def _borderline_alternatives(
    spans: Sequence[tuple[float, float]],
    alternatives: Sequence[list[TimingAlternative]],
    borderline: Sequence[_Borderline],
    steady: BoolArray,
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    engaged_breaks: tuple[BoolArray, BoolArray],
) -> None:
    """Add to each hold's ``alternatives`` its readings with its borderline episodes inside.

    A hold's borderline episodes (:func:`_borderline_runs`) are those that start within the
    dwell of its end or end within the dwell of its start (they end, split or start it). The
    holds are timed again with all of them taken as inside (``engaged_breaks``: where the
    person is engaged, and the holds' breaks, replaced on each episode by the other rules'
    and tests'); a reading that moves the hold's start or end by :data:`ALTERNATIVE_MIN_S` or
    more is kept as a :class:`BorderlineAlternative`. If the hold so read is itself ended or
    started by further borderline episodes, those are taken inside too, until none is added
    (:func:`_chained_reading`), and that reading is kept as well when it differs. ``steady``
    and ``rest``: as :func:`_hold_mask`'s arguments.
    """
    dwell = rest[4]

    def read(runs: Sequence[_Borderline]) -> list[tuple[float, float]]:
        replaced = [(m.a, m.b, m.others) for m in runs]
        return _holds_with_breaks(steady, rest, engaged_breaks, replaced)

    for k, span in enumerate(spans):
        mine = _bounding(borderline, span, dwell)
        if not mine:
            continue
        readings = [(mine, _overlapping_most(span, read(mine)))]
        chain, last = _chained_reading(span, borderline, read, dwell)
        if len(chain) > len(mine):
            readings.append((chain, last))
        kept: list[tuple[float, float]] = []
        for runs, best in readings:
            if best is None or _same_reading(span, best):
                continue
            if any(_same_reading(best, other) for other in kept):
                continue
            kept.append(best)
            alternatives[k].append(
                BorderlineAlternative(
                    episodes=tuple(m.episode for m in runs),
                    limits_deg=tuple(m.spec.limit_deg for m in runs),
                    warns_deg=tuple(float(m.spec.warn_deg or m.spec.limit_deg) for m in runs),
                    start_s=best[0],
                    end_s=best[1],
                )
            )


def _borderline_holds(
    spans: Sequence[tuple[float, float]],
    borderline: Sequence[_Borderline],
    steady: BoolArray,
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    engaged_breaks: tuple[BoolArray, BoolArray],
) -> tuple[BorderlineAlternative, ...]:
    """Holds that only a reading with borderline episodes inside has.

    The holds are timed again with every borderline run (:func:`_borderline_runs`) taken as
    inside (``engaged_breaks``: where the person is engaged, and the holds' breaks, replaced
    on each run by the other rules' and tests'); each of those holds that overlaps no hold of
    ``spans`` (start, end in s, the holds as read) is kept with the borderline episodes it
    overlaps. Such a hold was lost whole under an episode the sensors cannot tell from inside
    (it covers the hold's whole stretch, so no hold is there to carry the reading).
    ``steady`` and ``rest``: as :func:`_hold_mask`'s arguments.
    """
    if not borderline:
        return ()
    replaced = [(m.a, m.b, m.others) for m in borderline]
    out = []
    for a, b in _holds_with_breaks(steady, rest, engaged_breaks, replaced):
        if any(min(b, e) > max(a, s) for s, e in spans):
            continue
        mine = [m for m in borderline if m.episode.start_s < b and m.episode.end_s > a]
        if not mine:
            continue
        out.append(
            BorderlineAlternative(
                episodes=tuple(m.episode for m in mine),
                limits_deg=tuple(m.spec.limit_deg for m in mine),
                warns_deg=tuple(float(m.spec.warn_deg or m.spec.limit_deg) for m in mine),
                start_s=a,
                end_s=b,
            )
        )
    return tuple(out)


def _interval_mask(starts: NDArray[np.intp], ends: NDArray[np.intp], n: int) -> BoolArray:
    """A boolean mask that is True on every ``[start, end)``."""
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends, -1)
    return np.cumsum(marks[:-1]) > 0


def _holds(
    profile: Profile,
    side: str,
    data: Mapping[str, FloatArray],
    engaged_by: str | None,
    engaged: BoolArray,
    gating: BoolArray,
    known: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    *,
    doubt: Mapping[str, str] | None = None,
    mixing: FloatArray | None = None,
    readings: _TimedUnder | None = None,
    band: Sequence[_BandTail] = (),
    borderline: Sequence[_Borderline] = (),
) -> tuple[tuple[Hold, ...], BoolArray, tuple[BorderlineAlternative, ...]]:
    """Holds: engaged, no gating rule outside, every gating angle known, and held still.

    "Held still" is the complement of :func:`moving` on the engagement angle; stillness
    and the whole hold must each last the dwell (the shortest rule dwell). Returns the
    holds (seconds, rated against the profile's target) and their per-sample mask. A hold
    whose start or end changes when a pause within its precision of the dwell
    (``analysis.envelope.pauses``) is decided the other way lists that reading
    (``Hold.timing_alternatives``); so does one that changes with the engagement angle's
    rate, as :func:`_rate_doubts` reads it from ``doubt`` (that angle's entry of
    ``check_envelope``'s ``uncertain``; None: trusted), ``mixing`` (that angle's entry of
    ``check_envelope``'s ``rate_mixing``; None: none) and ``readings`` (the other readings
    of a doubt between discrete calibrations). An uncertain angle's rate with no scale and
    no other reading leaves the holds' timing unknown (:func:`_with_unknown_timing`). A hold
    that starts where an episode's end hangs on the hysteresis band (``band``,
    :func:`_band_tails`) lists the reading with that episode ending at the angle's return
    inside the edge (:func:`_band_alternatives`). A hold that a borderline episode ends,
    splits or starts (``borderline``, :func:`_borderline_runs`) lists the reading with its
    borderline episodes inside (:func:`_borderline_alternatives`); a hold that only that
    reading has is returned third (:func:`_borderline_holds`), not counted.
    """
    spec = profile.hold
    dwell = _hold_dwell_s(profile)
    steady = np.ones(t_s.size, dtype=bool)
    edges: list[Pause | EdgeMovement] = []
    speed = x = None
    if spec.max_rate_deg_s is not None and engaged_by is not None:
        x = data[engaged_by]
        speed = engagement_speed(x, t_s, spec)
        steady = ~_moving_from_speed(speed, x, t_s, t_end, spec, dwell_s=dwell)
        scale = rate_scale_precision(profile, side, engaged_by)
        edges = _edges_near(speed, x, t_s, t_end, spec, scale=scale, dwell_s=dwell, engaged=engaged)
    rest = (engaged & ~gating, known, t_s, t_end, dwell)
    mask = _hold_mask(steady, *rest)
    spans = _spans(mask, t_s, t_end)
    alternatives: list[list[TimingAlternative]] = [[] for _ in spans]
    if edges:
        assert speed is not None
        assert x is not None
        timing = _FlipTiming(spans, mask, speed, x, engaged, rest, spec)
        for k, alt in _decided_otherwise(edges, timing):
            alternatives[k].append(alt)
    _band_alternatives(spans, alternatives, band, steady, rest, (engaged, gating))
    _borderline_alternatives(spans, alternatives, borderline, steady, rest, (engaged, gating))
    possible = _borderline_holds(spans, borderline, steady, rest, (engaged, gating))
    if speed is not None and x is not None:
        rate = (engaged_by, speed, x, scale)
        _rate_doubts(
            spans, alternatives, rate, rest, spec, doubt=doubt, readings=readings, mixing=mixing
        )
    holds = []
    for (start, end), alts in zip(spans, alternatives, strict=True):
        d = end - start
        rating: Literal["target", "under_target", "short"] = (
            "target" if d >= spec.target_s else ("short" if d < spec.short_s else "under_target")
        )
        holds.append(Hold(start_s=start, end_s=end, rating=rating, timing_alternatives=tuple(alts)))
    if doubt is not None and readings is None:
        return _with_unknown_timing(tuple(holds), doubt), mask, possible
    return tuple(holds), mask, possible


def _decided_otherwise(
    edges: Sequence[Pause | EdgeMovement], timing: _FlipTiming
) -> list[tuple[int, TimingAlternative]]:
    """``(index into timing.spans, reading)`` for each hold one of ``edges`` moves, decided again.

    An edge is a pause at about the dwell or a movement whose peak rate is about the limit
    (``analysis.envelope.pauses``), decided the other way than measured. Then, for each hold
    with several edges near it, those edges decided the other way together
    (:func:`_combined_readings`): a reading that neither the nominal one nor any single edge
    gives is kept as a :class:`CombinedAlternative`.
    """
    out: list[tuple[int, TimingAlternative]] = []
    for p in edges:
        for k, other in timing.holds_with((p,)):
            alt = _alternative(timing.spans[k], other, p, timing.rest[4])
            if alt is not None:
                out.append((k, alt))
    out += _combined_readings(edges, timing, out)
    return out


class _FlipTiming:
    """Holds timed again with some pauses and movements decided the other way.

    Each set of edges is decided again within a window around their engaged stretches
    (:func:`_pause_window`), or over the whole session when that window does not reproduce
    the holds ``mask``; ``rest`` is the rest of :func:`_hold_mask`'s arguments.
    """

    def __init__(
        self,
        spans: Sequence[tuple[float, float]],
        mask: BoolArray,
        speed: FloatArray,
        x: FloatArray,
        engaged: BoolArray,
        rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
        spec: HoldSpec,
    ):
        self.spans, self.mask, self.speed, self.x = spans, mask, speed, x
        self.rest, self.spec = rest, spec
        self.runs = true_intervals(engaged)

    def holds_with(
        self, flips: Sequence[Pause | EdgeMovement]
    ) -> list[tuple[int, list[tuple[float, float]]]]:
        """``(index into spans, the holds so read)`` for each hold within the window."""
        rest, spec, t_s, t_end = self.rest, self.spec, self.rest[2], self.rest[3]
        dwell = rest[4]
        windows = [_pause_window(self.runs, t_s, p, dwell) for p in flips]
        lo, hi = min(w[0] for w in windows), max(w[1] for w in windows)
        near = (self.speed[lo:hi], self.x[lo:hi], t_s[lo:hi], t_end[lo:hi])
        rest_w = (rest[0][lo:hi], rest[1][lo:hi], t_s[lo:hi], t_end[lo:hi], dwell)
        steady_w = ~_moving_from_speed(*near, spec, dwell_s=dwell)
        if not np.array_equal(_hold_mask(steady_w, *rest_w), self.mask[lo:hi]):
            lo, hi = 0, t_s.size  # the window does not reproduce the holds: use all of it
            near = (self.speed, self.x, t_s, t_end)
            rest_w = rest
        moved = [dataclasses.replace(p, a=p.a - lo, b=p.b - lo) for p in flips]
        pauses = tuple(p for p in moved if isinstance(p, Pause))
        moves = tuple(p for p in moved if isinstance(p, EdgeMovement))
        flipped = ~_moving_from_speed(*near, spec, dwell_s=dwell, flip=pauses, flip_moves=moves)
        other = _spans(_hold_mask(flipped, *rest_w), t_s[lo:hi], t_end[lo:hi])
        return [
            (k, other)
            for k, span in enumerate(self.spans)
            if span[0] >= t_s[lo] and span[1] <= t_end[hi - 1]
        ]


COMBINED_EDGES_MAX = 3
"""At most this many pauses and movements near one hold are decided the other way together
(every set of two or more of them: at most four more timings per hold); beyond it, those
that move the hold alone and then the nearest to its ends are taken."""


def _combined_readings(
    edges: Sequence[Pause | EdgeMovement],
    timing: _FlipTiming,
    singles: Sequence[tuple[int, TimingAlternative]],
) -> list[tuple[int, CombinedAlternative]]:
    """``(index into spans, reading)`` for each hold read otherwise with its edges together.

    A hold's edges are those within the dwell of it and those that move it alone
    (``singles``); at most :data:`COMBINED_EDGES_MAX` of them. Every set of two or more is
    decided the other way at once; a reading is kept when it differs from the nominal hold
    and from every reading kept before (:func:`_new_reading`) by :data:`ALTERNATIVE_MIN_S`.
    """
    dwell = timing.rest[4]
    out: list[tuple[int, CombinedAlternative]] = []
    for k, span in enumerate(timing.spans):
        mine = _edges_of_hold(edges, span, [alt for j, alt in singles if j == k], dwell)
        if len(mine) < 2:
            continue
        seen = [(alt.start_s, alt.end_s, alt.parts) for j, alt in singles if j == k]
        for n in range(2, len(mine) + 1):
            for subset in itertools.combinations(mine, n):
                other = dict(timing.holds_with(subset)).get(k)
                if other is None:
                    continue
                reading = _reading_of(span, other)
                if reading is None or not _new_reading(reading, seen):
                    continue
                seen.append(reading)
                of = tuple(_edge_words(p, dwell) for p in subset)
                start, end, parts = reading
                out.append((k, CombinedAlternative(start_s=start, end_s=end, parts=parts, of=of)))
    return out


def _edges_of_hold(
    edges: Sequence[Pause | EdgeMovement],
    span: tuple[float, float],
    singles: Sequence[TimingAlternative],
    dwell: float,
) -> list[Pause | EdgeMovement]:
    """The edges that may move the hold ``span``: those that do alone, then those near it.

    Near: within ``dwell`` of it. At most :data:`COMBINED_EDGES_MAX`, the nearest to its ends
    first after those that move it alone; returned in time order.
    """
    alone = {(_edge_start(a), type(a).__name__) for a in singles}

    def distance(p: Pause | EdgeMovement) -> float:
        return min(abs(p.start_s - span[0]), abs(p.start_s - span[1]))

    def moves(p: Pause | EdgeMovement) -> bool:
        kind = "HoldAlternative" if isinstance(p, Pause) else "PeakAlternative"
        return (p.start_s, kind) in alone

    near = [p for p in edges if moves(p) or span[0] - dwell <= p.start_s <= span[1] + dwell]
    near.sort(key=lambda p: (not moves(p), distance(p)))
    return sorted(near[:COMBINED_EDGES_MAX], key=lambda p: p.start_s)


def _edge_start(alt: TimingAlternative) -> float | None:
    """Where the pause or movement a single reading hangs on starts (s; None: neither)."""
    if isinstance(alt, HoldAlternative):
        return alt.pause_start_s
    if isinstance(alt, PeakAlternative):
        return alt.movement_start_s
    return None


def _edge_words(p: Pause | EdgeMovement, dwell: float) -> HoldAlternative | PeakAlternative:
    """The pause or movement ``p`` as a reading's condition (its own hold timing left None)."""
    alt = _alternative((0.0, 0.0), [], p, dwell)  # no hold read: never the same as ``span``
    assert alt is not None
    return alt


def _reading_of(
    span: tuple[float, float], other: Sequence[tuple[float, float]]
) -> tuple[float | None, float | None, tuple[tuple[float, float], ...]] | None:
    """The hold ``span`` as ``other`` reads it: ``(start_s, end_s, parts)``; None when the same.

    ``start_s``/``end_s``: the hold of ``other`` overlapping ``span`` most (None: none);
    ``parts``: every hold of ``other`` overlapping ``span`` when there are several (a split).
    """
    best = _overlapping_most(span, other)
    parts = tuple(o for o in other if o[0] < span[1] and o[1] > span[0])
    parts = parts if len(parts) > 1 else ()
    if not parts and _same_reading(span, best):
        return None
    start, end = (None, None) if best is None else best
    return start, end, parts


def _new_reading(
    reading: tuple[float | None, float | None, tuple[tuple[float, float], ...]],
    seen: Sequence[tuple[float | None, float | None, tuple[tuple[float, float], ...]]],
) -> bool:
    """Whether ``reading`` differs from each of ``seen`` by :data:`ALTERNATIVE_MIN_S` or more.

    Two readings are the same when they have the same number of holds (a split's parts, else
    the one) and each starts and ends within that of its counterpart (or both have none).
    """

    def holds(r: tuple[float | None, float | None, tuple[tuple[float, float], ...]]) -> list:
        if r[2]:
            return list(r[2])
        return [] if r[0] is None or r[1] is None else [(r[0], r[1])]

    mine = holds(reading)
    for other in seen:
        theirs = holds(other)
        if len(theirs) == len(mine) and all(
            _same_reading(a, b) for a, b in zip(mine, theirs, strict=True)
        ):
            return False
    return True


def _engaged_near(
    engaged: BoolArray, t_s: FloatArray, pause: Pause | EdgeMovement, dwell: float
) -> bool:
    """Whether the person is engaged within ``dwell`` (s) of ``pause``.

    Only such a pause can start or end a hold: the others (calibration movements, walking
    to the support) are not timed again.
    """
    lo = int(np.searchsorted(t_s, t_s[pause.a] - dwell))
    hi = int(np.searchsorted(t_s, t_s[min(pause.b, t_s.size - 1)] + dwell, side="right"))
    return bool(engaged[lo:hi].any())


PAUSE_WINDOW_DWELLS = 10.0
"""Margin, in dwells, kept around the engaged stretch of a pause when it is decided again."""


def _pause_window(
    runs: tuple[NDArray[np.intp], NDArray[np.intp]],
    t_s: FloatArray,
    pause: Pause | EdgeMovement,
    dwell: float,
) -> tuple[int, int]:
    """Sample range ``[lo, hi)``: the engaged stretches (``runs``) near ``pause``, with a margin.

    Holds lie within engaged stretches, so deciding the pause the other way can change only
    the holds of the stretches within ``dwell`` of it; the margin of
    :data:`PAUSE_WINDOW_DWELLS` lets the dwell filters settle before them (the caller checks
    that the window reproduces the holds, else it uses the whole session).
    """
    starts, ends = runs
    t0, t1 = t_s[pause.a] - dwell, t_s[min(pause.b, t_s.size - 1)] + dwell
    near = [(a, b) for a, b in zip(starts, ends, strict=True) if t_s[a] <= t1 and t_s[b - 1] >= t0]
    a = min((a for a, _ in near), default=pause.a)
    b = max((b for _, b in near), default=pause.b)
    margin = PAUSE_WINDOW_DWELLS * dwell
    lo = int(np.searchsorted(t_s, t_s[a] - margin))
    hi = int(np.searchsorted(t_s, t_s[b - 1] + margin, side="right"))
    return lo, max(hi, lo + 1)


def _hold_dwell_s(profile: Profile) -> float:
    """The dwell (s) the holds debounce with: the shortest of the profile's rules' dwells."""
    return min((r.dwell_s for r in profile.rules), default=1.0)


def _hold_mask(
    steady: BoolArray,
    free: BoolArray,
    known: BoolArray,
    t_s: FloatArray,
    t_end: FloatArray,
    dwell: float,
) -> BoolArray:
    """Hold samples: ``free`` (engaged, no gating rule outside) and still.

    ``steady`` and ``known`` must each last the dwell, and so must the whole hold.
    """
    quiet = debounce(steady & known, t_end, t_s, on_s=dwell, off_s=dwell)
    return debounce(free & quiet, t_end, t_s, on_s=dwell, off_s=0.0)


def _spans(mask: BoolArray, t_s: FloatArray, t_end: FloatArray) -> list[tuple[float, float]]:
    """The True runs of ``mask`` as ``(start_s, end_s)``."""
    starts, ends = true_intervals(mask)
    return [(float(t_s[a]), float(t_end[b - 1])) for a, b in zip(starts, ends, strict=True)]


ALTERNATIVE_MIN_S = 0.5
"""A reading that moves a hold's start or end by less (s) is not listed: the report gives
hold times and lengths in whole seconds."""


def _alternative(
    span: tuple[float, float],
    other: Sequence[tuple[float, float]],
    edge: Pause | EdgeMovement,
    dwell: float,
) -> HoldAlternative | PeakAlternative | None:
    """The hold ``span`` as read with ``edge`` decided the other way (``other`` holds).

    The other reading is the hold of ``other`` that overlaps ``span`` most (none: no hold),
    and each of them that overlaps ``span`` when several do (``parts``: a split); None when
    it is the same hold, starting and ending within :data:`ALTERNATIVE_MIN_S` of ``span``'s.
    """
    reading = _reading_of(span, other)
    if reading is None:
        return None
    start, end, parts = reading
    if isinstance(edge, EdgeMovement):
        return PeakAlternative(
            movement_start_s=edge.start_s,
            movement_end_s=edge.end_s,
            peak_deg_s=edge.peak_deg_s,
            precision_deg_s=edge.precision_deg_s,
            limit_deg_s=edge.limit_deg_s,
            moving=edge.moving,
            start_s=start,
            end_s=end,
            parts=parts,
        )
    return HoldAlternative(
        pause_start_s=edge.start_s,
        pause_s=edge.duration_s,
        precision_s=edge.precision_s,
        dwell_s=dwell,
        bridged=edge.bridged,
        start_s=start,
        end_s=end,
        parts=parts,
    )


RATE_DOUBT_FACTOR = 2.0
"""How many times slower or faster an uncertain engagement angle may move than it reads.

An angle is uncertain when a segment's calibration is not established (e.g. the pelvis
turned too little in the calibration movements to find its axis): a rotation about the
segment's axis then reads as a share of itself, ``cos θ`` for an axis ``θ`` off, and the
hold's timing rests on whether a slow lean of that segment passes the release rate. A factor
of two stands for "scale not established": it is ``cos 60°``, and no pelvis whose axis is
not established can be assumed better (measured on two held-out standing stretches, the
lean read at 0.57 and 0.58 of its true rate, pelvis axes 48° and 84° off)."""


def _rate_alternatives(
    spans: Sequence[tuple[float, float]],
    speed: FloatArray,
    x: FloatArray,
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    spec: HoldSpec,
    factors: Sequence[float] = (1.0 / RATE_DOUBT_FACTOR, RATE_DOUBT_FACTOR),
) -> list[tuple[int, RateAlternative]]:
    """``(index into spans, reading)`` for each hold that moves with the rate's scale.

    The holds are timed again with the engagement angle's ``speed`` (°/s) multiplied by
    each of ``factors`` (by default divided and multiplied by :data:`RATE_DOUBT_FACTOR`);
    ``rest`` is the rest of :func:`_hold_mask`'s arguments. A reading is kept when it moves
    the hold's start or end by :data:`ALTERNATIVE_MIN_S` or more (or leaves no hold).
    """
    t_s, t_end, dwell = rest[2], rest[3], rest[4]
    out = []
    for factor in factors:
        steady = ~_moving_from_speed(speed * factor, x, t_s, t_end, spec, dwell_s=dwell)
        other = _spans(_hold_mask(steady, *rest), t_s, t_end)
        for k, span in enumerate(spans):
            reading = _reading_of(span, other)
            if reading is None:
                continue
            start, end, parts = reading
            alt = RateAlternative(rate_factor=factor, start_s=start, end_s=end, parts=parts)
            out.append((k, alt))
    return out


def _with_unknown_timing(holds: tuple[Hold, ...], doubt: Mapping[str, str]) -> tuple[Hold, ...]:
    """``holds`` marked ``timing_unknown`` when the engagement angle's ``doubt`` leaves no scale.

    ``doubt`` is the engagement angle's entry of ``check_envelope``'s ``uncertain``; its
    rate has no scale when a segment's forward direction is not established
    (``DoubtKind.FORWARD_UNKNOWN`` among its kinds, :func:`~analysis.recording.doubts.doubt_kinds`):
    the segment's flexion axis may lie anywhere, up to square to the true one, and a
    rotation about it reads as any share of itself (``cos θ``: 0.03 for an axis 88° off).
    The ×½/×2 readings (:data:`RATE_DOUBT_FACTOR`) do not bound that; the holds say their
    timing is not known, with the doubt's reason. The caller gives only holds with no
    discrete other reading of that angle (those are timed under each).
    """
    if DoubtKind.FORWARD_UNKNOWN not in doubt_kinds(doubt):
        return holds
    reason = str(doubt.get("reason", ""))
    return tuple(dataclasses.replace(h, timing_unknown=reason) for h in holds)


def _rate_doubts(
    spans: Sequence[tuple[float, float]],
    alternatives: Sequence[list[TimingAlternative]],
    rate: tuple[str | None, FloatArray, FloatArray, float],
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    spec: HoldSpec,
    *,
    doubt: Mapping[str, str] | None,
    readings: _TimedUnder | None,
    mixing: FloatArray | None = None,
) -> None:
    """Add to each hold's ``alternatives`` (one list per span) what its angle's rate leaves open.

    ``rate``: the engagement column, its smoothed speed (°/s), the angle itself (deg) and
    the rate's scale precision (:func:`~analysis.envelope.pauses.rate_scale_precision`);
    ``rest``: the rest of :func:`_hold_mask`'s arguments. A trusted angle (``doubt`` None):
    a slow lean whose rate peaks within that share of the release rate (under it or over
    it) decides whether the lean is part of getting in, like a pause at the dwell, but no
    pause shows it; the holds are timed again with the speed multiplied by ``1 - scale``
    and ``1 + scale``, and a reading that moves a hold's start or end by
    :data:`ALTERNATIVE_MIN_S` or more (or leaves none), and that no reading of the hold
    already gives, is added as a :class:`RateAlternative`; with ``mixing`` (the rate the
    angle's axis error may add, °/s per sample) a hold whose leans show more than ``scale``
    of it is timed at its own share instead (:func:`_hold_scales`). An uncertain angle: its readings
    at :data:`RATE_DOUBT_FACTOR` times slower and faster (:func:`_rate_alternatives`), or,
    where its doubt is between discrete calibrations, the holds under each other reading
    (``readings``, :class:`_TimedUnder`).
    """
    column, speed, x, scale = rate
    if doubt is not None:
        found = (
            _rate_alternatives(spans, speed, x, rest, spec)
            if readings is None
            else readings(spans, column, rest, spec, scale)
        )
        for k, alt in found:
            alternatives[k].append(alt)
        return
    if not spans:
        return
    shares = _hold_scales(spans, speed, mixing, (rest[2], spec, scale, rest[4]))
    for k, alt in _scaled_readings(spans, speed, x, rest, spec, (scale, shares)):
        given = [spans[k]] + [
            (a.start_s, a.end_s)
            for a in alternatives[k]
            if a.start_s is not None and a.end_s is not None
        ]
        best = None if alt.start_s is None or alt.end_s is None else (alt.start_s, alt.end_s)
        if not any(_same_reading(g, best) for g in given):
            alternatives[k].append(alt)


MAX_MIXED_SCALE = 0.4
"""The widest share a trusted angle's rate is read at (chosen): short of the uncertain angle's
half (:data:`RATE_DOUBT_FACTOR`), so the two kinds of reading stay apart (a reading at × 0.5
or × 2 is an uncertain angle's)."""


def _hold_windows(
    spans: Sequence[tuple[float, float]], t_s: FloatArray, dwell: float
) -> list[tuple[int, int]]:
    """Per hold, the samples ``[lo, hi)`` of its leans: the hold, a margin either side.

    The margin is :data:`PAUSE_WINDOW_DWELLS` dwells, as a pause is decided again within.
    """
    margin = PAUSE_WINDOW_DWELLS * dwell
    return [
        (int(np.searchsorted(t_s, a - margin)), int(np.searchsorted(t_s, b + margin, "right")))
        for a, b in spans
    ]


def _hold_scales(
    spans: Sequence[tuple[float, float]],
    speed: FloatArray,
    mixing: FloatArray | None,
    grid: tuple[FloatArray, HoldSpec, float, float],
) -> list[float]:
    """Per hold, the share by which its engagement angle's rate may be off near it.

    ``grid``: the time grid, the hold spec, the angle's measured ``scale``
    (:func:`~analysis.envelope.pauses.rate_scale_precision`) and the dwell. Without
    ``mixing`` every hold's share is ``scale``. With it (°/s per sample, smoothed over the
    rate window like the speed), the median of ``mixing / speed`` over the samples of the
    hold's window (:func:`_hold_windows`) whose speed lies between half the release rate and
    the limit — a lean whose classification a rate error can change — when larger, at most
    :data:`MAX_MIXED_SCALE`.
    """
    t_s, spec, scale, dwell = grid
    if mixing is None or spec.still_rate_deg_s is None or spec.max_rate_deg_s is None:
        return [scale] * len(spans)
    dt = float(np.median(np.diff(t_s)))
    filled = np.nan_to_num(np.asarray(mixing, dtype=np.float64))
    mixed = running_mean(filled, max(1, round(spec.rate_window_s / dt)))
    low, high = 0.5 * spec.still_rate_deg_s, spec.max_rate_deg_s
    out = []
    for lo, hi in _hold_windows(spans, t_s, dwell):
        v = speed[lo:hi]
        band = (v >= low) & (v <= high)
        share = float(np.median(mixed[lo:hi][band] / v[band])) if band.any() else 0.0
        out.append(min(max(scale, share), MAX_MIXED_SCALE))
    return out


def _scaled_readings(
    spans: Sequence[tuple[float, float]],
    speed: FloatArray,
    x: FloatArray,
    rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
    spec: HoldSpec,
    shares: tuple[float, Sequence[float]],
) -> list[tuple[int, RateAlternative]]:
    """:func:`_rate_alternatives` at ``1 ± share`` of each hold's rate.

    ``shares``: the angle's ``scale`` and each hold's share (:func:`_hold_scales`). When
    every hold's share is ``scale`` the speed is scaled as one; otherwise each hold's window
    (:func:`_hold_windows`, the largest share where they overlap) is scaled by its share and
    the rest by ``scale``, and each reading gives its hold's window's factor.
    """
    scale, per_hold = shares
    if all(s == scale for s in per_hold):
        return _rate_alternatives(spans, speed, x, rest, spec, (1.0 - scale, 1.0 + scale))
    share = np.full(speed.size, scale)
    windows = _hold_windows(spans, rest[2], rest[4])
    for (lo, hi), s in zip(windows, per_hold, strict=True):
        share[lo:hi] = np.maximum(share[lo:hi], s)
    told = [float(share[lo:hi].max()) for lo, hi in windows]
    out = []
    for sign in (-1.0, 1.0):
        for k, alt in _rate_alternatives(
            spans, speed * (1.0 + sign * share), x, rest, spec, (1.0,)
        ):
            out.append((k, dataclasses.replace(alt, rate_factor=1.0 + sign * told[k])))
    return out


READINGS_AGREE_S = 1.0
"""A hold timed under every other calibration reading of its engagement angle whose start and
end stay this close (s) to the angles' own is reported as it is: the readings agree within the
1 s a hold is promised to (docs/conventions.md "Hold"); otherwise it is flagged with them."""


class _TimedUnder:
    """Holds timed under each other reading of the uncertain engagement angle.

    Each reading is engaged where its own columns engage (:class:`_JudgedUnder`) and held
    still where its own engagement angle is (:func:`_moving_from_speed` on its rate); the
    gating rules and known samples are the angles' own.
    """

    def __init__(self, group: OtherReadings, judged_under: _JudgedUnder, breaks: BoolArray):
        self.words, self.readings = group
        self.judged_under = judged_under
        self.breaks = breaks

    @classmethod
    def of(
        cls, group: OtherReadings | None, judged_under: _JudgedUnder, breaks: BoolArray
    ) -> _TimedUnder | None:
        """The timing under ``group``'s readings; None without readings (the rate's ×½/×2)."""
        return None if group is None else cls(group, judged_under, breaks)

    def __call__(
        self,
        spans: Sequence[tuple[float, float]],
        column: str | None,
        rest: tuple[BoolArray, BoolArray, FloatArray, FloatArray, float],
        spec: HoldSpec,
        scale: float,
    ) -> list[tuple[int, ReadingAlternative]]:
        """``(index into spans, reading)`` for each hold a reading moves (or leaves none).

        Kept when its start or end moves by more than :data:`READINGS_AGREE_S`; ``rest`` is
        the rest of :func:`_hold_mask`'s arguments (its first, the angles' own engagement
        less the breaks, is replaced by the reading's). Each reading is as precise as a
        trusted angle (``scale``: :func:`~analysis.envelope.pauses.rate_scale_precision`):
        a pause at about the dwell or a movement at about the rate limit in its own rate is
        decided both ways (:func:`_edges_near`, :func:`_decided_otherwise`), and each way is
        a timing under that reading.
        """
        _, known, t_s, t_end, dwell = rest
        out: list[tuple[int, ReadingAlternative]] = []
        given: list[list[tuple[float, float] | None]] = [[] for _ in spans]
        for reading in self.readings if spans else ():
            x = np.asarray(reading[str(column)], dtype=np.float64)
            speed = engagement_speed(x, t_s, spec)
            steady = ~_moving_from_speed(speed, x, t_s, t_end, spec, dwell_s=dwell)
            engaged = self.judged_under.engaged(reading)
            rest_r = (engaged & ~self.breaks, known, t_s, t_end, dwell)
            mask = _hold_mask(steady, *rest_r)
            other = _spans(mask, t_s, t_end)
            edges = _edges_near(
                speed, x, t_s, t_end, spec, scale=scale, dwell_s=dwell, engaged=engaged
            )
            timing = _FlipTiming(other, mask, speed, x, engaged, rest_r, spec)
            flips = _decided_otherwise(edges, timing)
            for k, span in enumerate(spans):
                best = _overlapping_most(span, other)
                ways = [best] + [
                    None if a.start_s is None or a.end_s is None else (a.start_s, a.end_s)
                    for j, a in flips
                    if best is not None and other[j] == best
                ]
                for way in ways:
                    if _agrees(span, way) or any(_same_way(w, way) for w in given[k]):
                        continue
                    given[k].append(way)
                    start, end = (None, None) if way is None else way
                    out.append(
                        (k, ReadingAlternative(reading=self.words, start_s=start, end_s=end))
                    )
        return out


def _agrees(span: tuple[float, float], other: tuple[float, float] | None) -> bool:
    """``other`` starts and ends within :data:`READINGS_AGREE_S` of ``span``."""
    return other is not None and max(abs(other[0] - span[0]), abs(other[1] - span[1])) <= (
        READINGS_AGREE_S
    )


def _same_way(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    """Two readings of a hold that are the same: both none, or :func:`_same_reading`."""
    return (a is None and b is None) or (a is not None and _same_reading(a, b))


def _edges_near(
    speed: FloatArray,
    x: FloatArray,
    t_s: FloatArray,
    t_end: FloatArray,
    spec: HoldSpec,
    *,
    scale: float,
    dwell_s: float,
    engaged: BoolArray,
) -> list[Pause | EdgeMovement]:
    """Pauses at about the dwell and movements at about the rate limit near engagement.

    ``speed`` (°/s) and ``x`` (deg) are the engagement angle's; ``scale`` its rate's precision
    (:func:`~analysis.envelope.pauses.rate_scale_precision`). Only an edge within the dwell
    ``dwell_s`` of an engaged sample can start or end a hold (:func:`_engaged_near`).
    """
    found = (
        *borderline_pauses(speed, x, t_s, t_end, spec, scale=scale, dwell_s=dwell_s),
        *borderline_movements(speed, x, t_s, t_end, spec, scale=scale, dwell_s=dwell_s),
    )
    return [p for p in found if _engaged_near(engaged, t_s, p, dwell_s)]


def _same_reading(span: tuple[float, float], other: tuple[float, float] | None) -> bool:
    """``other`` starts and ends within :data:`ALTERNATIVE_MIN_S` of ``span`` (no new reading)."""
    return other is not None and max(abs(other[0] - span[0]), abs(other[1] - span[1])) < (
        ALTERNATIVE_MIN_S
    )


def _overlapping_most(
    span: tuple[float, float], other: Sequence[tuple[float, float]]
) -> tuple[float, float] | None:
    """The span of ``other`` that overlaps ``span`` most (None when none overlaps it)."""
    a, b = span
    best, share = None, 0.0
    for c, d in other:
        common = min(b, d) - max(a, c)
        if common > share:
            best, share = (c, d), common
    return best


def _with_unconfirmed(holds: Sequence[Hold], rules: Sequence[RuleResult]) -> tuple[Hold, ...]:
    """Each hold with the episodes of uncertain gating rules during it, clipped to the hold.

    An uncertain rule never breaks a hold (its angle is not trusted), so such a hold holds
    only on condition that the angle's reading is wrong there; the report says so.
    """
    doubted = [e for r in rules if r.unconfirmed and not r.spec.advisory for e in r.unconfirmed]
    out = []
    for h in holds:
        inside = _clipped(doubted, h)
        out.append(dataclasses.replace(h, unconfirmed=inside) if inside else h)
    return tuple(out)


def _with_near_latch(holds: Sequence[Hold], rules: Sequence[RuleResult]) -> tuple[Hold, ...]:
    """Each hold with the runs near a gating rule's latch point during it, clipped to the hold.

    Such a run (``RuleResult.near_latch``) breaks no hold: the reading stayed short of the
    point where a break counts. But it is within the angle's error of that point, so the
    truth may have passed it and the hold may have ended there: the hold is conditional on
    it (``Hold.near_latch``). Advisory rules never break a hold and are left out.
    """
    runs = [n for r in rules if not r.spec.advisory for n in r.near_latch]
    out = []
    for h in holds:
        inside = _clipped(runs, h)
        out.append(dataclasses.replace(h, near_latch=inside) if inside else h)
    return tuple(out)


@dataclasses.dataclass
class _GapMasks:
    """Where each rule's angle had no data while engaged, gathered rule by rule.

    ``by_column``: every measured rule's column, whatever its status (``envelope.json``
    ``gaps``). ``unmeasured``: ``(rule, column)`` of the uncertain gating rules only, whose
    gaps break no hold but leave it conditional (:func:`_with_unmeasured`).
    """

    by_column: dict[str, BoolArray] = dataclasses.field(default_factory=dict)
    unmeasured: dict[tuple[str, str], BoolArray] = dataclasses.field(default_factory=dict)

    def note(
        self,
        spec: RuleSpec,
        column: str,
        result: RuleResult,
        missing: BoolArray,
        *,
        holds_on: bool,
    ) -> None:
        """Record rule ``spec``'s ``missing`` samples (engaged, no data) once it is judged.

        ``holds_on``: whether the rule's outside mask (and so its gaps) takes part in the holds;
        a rule left out of them for its uncertain angle is one of ``unmeasured``.
        """
        self.by_column[column] = missing
        if not holds_on and result.status == "uncertain" and not spec.advisory:
            self.unmeasured[(spec.name, column)] = missing


def unmeasured_runs(
    masks: Mapping[tuple[str, str], BoolArray],
    t_s: FloatArray,
    t_end: FloatArray,
    *,
    min_s: float = 0.0,
) -> tuple[UnmeasuredRun, ...]:
    """The runs of each ``(rule, column)``'s mask as :class:`UnmeasuredRun`, by time then rule.

    ``masks``: engaged samples where an uncertain gating rule's angle had no data; ``t_s``
    and ``t_end`` each sample's start and end (session seconds). Runs shorter than ``min_s``
    (s) are left out: a trusted angle's gap that short breaks no hold either (the holds'
    ``known`` must be off for the dwell, :func:`_hold_mask`).
    """
    runs = [
        UnmeasuredRun(rule=rule, column=column, start_s=float(t_s[a]), end_s=float(t_end[b - 1]))
        for (rule, column), mask in masks.items()
        for a, b in zip(*true_intervals(mask), strict=True)
        if float(t_end[b - 1]) - float(t_s[a]) >= min_s
    ]
    return tuple(sorted(runs, key=lambda r: (r.start_s, r.rule)))


def _with_unmeasured(holds: Sequence[Hold], runs: Sequence[UnmeasuredRun]) -> tuple[Hold, ...]:
    """Each hold with the ``runs`` (an uncertain gating rule's angle without data) during it.

    Such a rule never breaks a hold, so the hold runs through its gap; a trusted rule's gap
    would have broken it (every gating angle measured), so the hold is conditional on what
    the angle did there, which the data cannot tell (``Hold.unmeasured``).
    """
    out = []
    for h in holds:
        inside = _clipped(runs, h)
        out.append(dataclasses.replace(h, unmeasured=inside) if inside else h)
    return tuple(out)


_Spanned = TypeVar("_Spanned", Episode, NearLatchRun, UnmeasuredRun)


def _clipped(episodes: Sequence[_Spanned], hold: Hold) -> tuple[_Spanned, ...]:
    """Episodes or near-latch runs that overlap ``hold``, clipped to it, by time then rule."""
    return tuple(
        sorted(
            (
                dataclasses.replace(
                    e, start_s=max(e.start_s, hold.start_s), end_s=min(e.end_s, hold.end_s)
                )
                for e in episodes
                if e.start_s < hold.end_s and e.end_s > hold.start_s
            ),
            key=lambda e: (e.start_s, e.rule),
        )
    )


def _reading_episodes(
    rules: Sequence[RuleResult],
    doubts: tuple[Mapping[str, Mapping[str, str]], Mapping[str, OtherReadings]],
    judged_under: _JudgedUnder,
    tests: Sequence[DifferentiationTest],
) -> list[tuple[str, tuple[Episode, ...]]]:
    """Each other calibration reading of the doubted gating rules' angles, with its episodes.

    ``doubts``: ``check_envelope``'s ``uncertain`` and ``other_readings``. A gating (not
    advisory) rule whose angle is uncertain and whose doubt is between discrete readings
    (:func:`_readings_of`) is judged under each reading of that doubt as the angles' own
    (:func:`_judge_rule` where that reading is engaged and in the pose, a performed test's
    movement excused). One item per reading that shows any episode: the doubt's words and
    the episodes of every such rule under that reading, in time order.
    """
    uncertain, other_readings = doubts
    groups: dict[str, tuple[OtherReadings, list[RuleResult]]] = {}
    for r in rules:
        if r.spec.advisory or r.column is None or r.column not in uncertain:
            continue
        if r.status == "not_measured":
            continue
        group = _readings_of(r.column, other_readings)
        if group is not None:
            groups.setdefault(group[0], (group, []))[1].append(r)
    t_s, t_end = judged_under.t_s, judged_under.t_end
    out = []
    for (words, readings), doubted in groups.values():
        for reading in readings:
            judged = judged_under(reading)
            found: list[Episode] = []
            for r in doubted:
                x = np.asarray(reading[str(r.column)], dtype=np.float64)
                ok = judged & np.isfinite(x)
                res, _, _ = _excuse_tests(
                    *_judge_rule(r.spec, str(r.column), x, ok, judged, t_s, t_end), tests, t_s
                )
                found.extend(res.episodes)
            if found:
                out.append((words, tuple(sorted(found, key=lambda e: (e.start_s, e.rule)))))
    return out


def _with_other_readings(
    holds: Sequence[Hold], found: Sequence[tuple[str, tuple[Episode, ...]]]
) -> tuple[Hold, ...]:
    """Each hold with what the other readings of its doubted rules show during it.

    ``found``: :func:`_reading_episodes`. A reading is kept for a hold
    (``Hold.reading_episodes``) when it shows an episode during the hold and leaves other
    parts of it than the angles' own reading does (``Hold.parts_as_read``) and than each
    reading kept before it, by :data:`ALTERNATIVE_MIN_S` or more at some edge.
    """
    out = []
    for h in holds:
        kept: list[ReadingEpisodes] = []
        seen = [h.parts_as_read]
        for words, episodes in found:
            inside = _clipped(episodes, h)
            if not inside:
                continue
            parts = parts_clear_of(h.start_s, h.end_s, inside)
            if any(_same_parts(parts, other) for other in seen):
                continue
            seen.append(parts)
            kept.append(ReadingEpisodes(reading=words, episodes=inside))
        out.append(dataclasses.replace(h, reading_episodes=tuple(kept)) if kept else h)
    return tuple(out)


def _same_parts(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> bool:
    """Whether two sets of hold parts (seconds) read the hold alike.

    The same count of parts, each edge within :data:`ALTERNATIVE_MIN_S` of the other's.
    """
    return len(a) == len(b) and all(
        abs(p - r) < ALTERNATIVE_MIN_S and abs(q - w) < ALTERNATIVE_MIN_S
        for (p, q), (r, w) in zip(a, b, strict=True)
    )


def moving(
    x: FloatArray, t_s: FloatArray, t_end: FloatArray, spec: HoldSpec, *, dwell_s: float
) -> BoolArray:
    """Where the engagement angle ``x`` (deg on ``t_s``, s) is moving, not held.

    The angle's rate is smoothed over ``spec.rate_window_s``. Stretches where it is faster
    than ``spec.still_rate_deg_s`` (default half of ``spec.max_rate_deg_s``), with pauses
    shorter than ``dwell_s`` bridged, are movements when the rate passes
    ``spec.max_rate_deg_s`` somewhere in them; a movement spans the whole stretch. Samples
    without data are moving (never "held").

    Why: the clinician's question is how long the person held the stretch position still,
    so a hold ends where the movement out of it *begins*. With one threshold and a dwell, a
    slow movement (getting out of a lean over ≈ 2 s) whose rate hovers near the threshold
    for about the dwell is ill-conditioned: whether it ends the hold — or the hold runs on
    to the next movement, seconds later — turns on a few hundredths of a degree per second,
    less than any estimate's error. Here the limit decides *whether* the angle moved and
    the release rate *where*: both ends of a movement lie where the rate rises or falls
    through half the limit, steeply, so an angle error of a fraction of a degree moves them
    by hundredths of a second (as a rule's episode is widened to where the angle crossed
    its edge). A slow part joined to a fast one (leaving the lean, then lifting the leg off
    the support) is one movement, so an estimate that sees the slow part 10 % faster or
    slower than the truth, across the limit, still ends the hold at the same place. A slow
    lean deeper that never reaches the limit stays part of the hold.
    """
    speed = engagement_speed(x, t_s, spec)
    return _moving_from_speed(speed, x, t_s, t_end, spec, dwell_s=dwell_s)


def _moving_from_speed(
    speed: FloatArray,
    x: FloatArray,
    t_s: FloatArray,
    t_end: FloatArray,
    spec: HoldSpec,
    *,
    dwell_s: float,
    flip: Sequence[Pause] = (),
    flip_moves: Sequence[EdgeMovement] = (),
) -> BoolArray:
    """:func:`moving` from the angle's smoothed ``speed`` (°/s).

    Each pause of ``flip`` (``analysis.envelope.pauses``) is decided the other way than its
    length says, and so is each stretch of ``flip_moves`` (a movement or not) than its peak
    rate says: its peak is taken over the limit, or its whole stretch under it. A stretch
    joined to a faster one by a pause decided shorter than the dwell is still a movement
    when that one passes the limit.
    """
    limit = spec.max_rate_deg_s if spec.max_rate_deg_s is not None else np.inf
    release = spec.still_rate_deg_s if spec.still_rate_deg_s is not None else np.inf
    with np.errstate(invalid="ignore"):
        above = speed > release
        fast = speed > limit
    # stretches faster than the release rate, pauses shorter than the dwell bridged; those
    # that pass the limit somewhere are movements, from their first to their last sample
    active = debounce(above, t_end, t_s, on_s=0.0, off_s=dwell_s)
    if flip:
        active = flip_pauses(active, list(flip))
    for m in flip_moves:  # its peak taken over the limit, or its whole stretch under it
        fast[m.a : m.b] = False
        if not m.moving:
            fast[m.a + int(np.nanargmax(speed[m.a : m.b]))] = True
    starts, ends = true_intervals(active)
    n_fast = np.concatenate(([0], np.cumsum(fast, dtype=np.int64)))
    keep = n_fast[ends] > n_fast[starts]
    out = _interval_mask(starts[keep], ends[keep], x.size) | ~np.isfinite(x)
    # a gap in the data next to a movement is part of it
    return debounce(out, t_end, t_s, on_s=0.0, off_s=dwell_s)


def _engagement_gap(
    engaged_by: str | None, engaged: BoolArray, data: Mapping[str, FloatArray]
) -> dict[str, BoolArray]:
    """``{engaged_by: where it has no data while engaged}``, else ``{}``.

    A later criterion stood in there (:func:`_criterion_met`); ``{}`` also when no engagement
    angle is a column of ``data``.
    """
    if engaged_by is None or engaged_by not in data:
        return {}
    return {engaged_by: engaged & ~np.isfinite(data[engaged_by])}


def _gaps(
    gap_masks: Mapping[str, BoolArray], t_s: FloatArray, t_end: FloatArray
) -> tuple[tuple[float, float, tuple[str, ...]], ...]:
    """Engaged stretches where an angle a rule reads had no data, merged across columns.

    Whatever the rule's status (an uncertain rule's gap is listed too): the columns each
    stretch names are those without data somewhere in it.
    """
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
