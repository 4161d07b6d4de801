"""``envelope.json``: the document built from an :class:`~.results.EnvelopeResult`.

The contract is in ``docs/envelope.md``; numbers are rounded, the JSON is strict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis.envelope.unchecked import not_checked

if TYPE_CHECKING:
    from analysis.envelope.results import (
        DynamicIssue,
        EnvelopeResult,
        Episode,
        GateReading,
        MarkResult,
        NearLatchRun,
        RuleResult,
        UnmeasuredRun,
    )


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


_PAUSE_KEYS = ("pause_start_s", "pause_s", "precision_s", "dwell_s", "pause_bridged")
_PEAK_KEYS = ("movement_start_s", "peak_rate_deg_s", "rate_precision_deg_s", "movement_taken")
_BAND_KEYS = (
    "band_rule",
    "band_return_s",
    "band_until_s",
    "band_limit_deg",
    "band_release_deg",
    "band_past_deg",
)


def _alternative(alt: Any) -> dict[str, Any]:
    """One ``timing_alternatives`` item of a hold (``results.TimingAlternative``).

    A reading at another rate of an uncertain engagement angle has ``rate_factor`` and no
    pause (its pause keys null); one under another calibration reading of that angle has
    ``reading`` (its words) and neither; a pause's reading has both null, and so has a
    movement's at the rate limit, which has the peak keys instead (null in the others), and an
    episode's end that hangs on the hysteresis band, which has the band keys (null in the
    others). A reading with borderline episodes taken as inside has ``borderline_episodes``
    (null in the others). ``parts``: each hold of a reading that splits the hold (else empty);
    ``combined``: for several pauses and movements decided the other way at once, each as an
    item of its own (its ``start_s``/``end_s`` null), else null.
    """
    factor = getattr(alt, "rate_factor", None)
    reading = getattr(alt, "reading", None)
    out: dict[str, Any] = dict.fromkeys(_PAUSE_KEYS)
    if hasattr(alt, "pause_s"):
        out |= {
            "pause_start_s": _r(alt.pause_start_s, 3),
            "pause_s": _r(alt.pause_s, 3),
            "precision_s": _r(alt.precision_s, 3),
            "dwell_s": alt.dwell_s,
            "pause_bridged": alt.bridged,
        }
    out |= {
        "start_s": None if alt.start_s is None else _r(alt.start_s, 3),
        "end_s": None if alt.end_s is None else _r(alt.end_s, 3),
        "duration_s": _r(alt.duration_s, 3),
        "parts": [[_r(a, 3), _r(b, 3)] for a, b in alt.parts],
        "combined": [_alternative(x) for x in getattr(alt, "of", ())] or None,
        "rate_factor": factor,
        "reading": reading,
        **dict.fromkeys(_PEAK_KEYS),
    }
    if hasattr(alt, "peak_deg_s"):
        out |= {
            "movement_start_s": _r(alt.movement_start_s, 3),
            "peak_rate_deg_s": _r(alt.peak_deg_s, 3),
            "rate_precision_deg_s": _r(alt.precision_deg_s, 3),
            "movement_taken": alt.moving,
        }
    out |= dict.fromkeys(_BAND_KEYS)
    if hasattr(alt, "return_s"):
        out |= {
            "band_rule": alt.rule,
            "band_return_s": _r(alt.return_s, 3),
            "band_until_s": _r(alt.until_s, 3),
            "band_limit_deg": _r(alt.limit_deg, 3),
            "band_release_deg": _r(alt.release_deg, 3),
            "band_past_deg": _r(alt.past_deg, 3),
        }
    out["borderline_episodes"] = _borderline_episodes(alt)
    return out


def _borderline_episodes(alt: Any) -> list[dict[str, Any]] | None:
    """A borderline reading's episodes taken as inside, with their rules' limits and warns.

    ``results.BorderlineAlternative``; None (null) for every other reading.
    """
    if not hasattr(alt, "warns_deg"):
        return None
    return [
        {"rule": e.rule, **_episode(e), "limit_deg": _r(limit, 3), "warn_deg": _r(warn, 3)}
        for e, limit, warn in zip(alt.episodes, alt.limits_deg, alt.warns_deg, strict=True)
    ]


def _other_readings(h: Any) -> list[dict[str, Any]]:
    """A hold's ``other_readings``: per other calibration reading that breaks it otherwise.

    ``results.Hold.reading_episodes``: the reading's words, its episodes clipped to the hold
    (``rule`` and the fields of ``episodes``), and the parts of the hold left under it
    (``[[start_s, end_s], …]``, seconds) with the longest one's length (``longest_s``).
    """
    return [
        {
            "reading": r.reading,
            "episodes": [{"rule": e.rule, **_episode(e)} for e in r.episodes],
            "parts": [[_r(a, 3), _r(b, 3)] for a, b in parts],
            "longest_s": _r(max((b - a for a, b in parts), default=0.0), 3),
        }
        for r, parts in zip(h.reading_episodes, h.reading_parts, strict=True)
    ]


# long: one dict literal in the key order of envelope.json (docs/envelope.md), so the code
# reads like the contract it writes; the per-rule and per-mark items are their own functions
def envelope_document(res: EnvelopeResult) -> dict[str, Any]:
    """The ``envelope.json`` document of ``res`` as plain JSON values (docs/envelope.md)."""
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
                "conditional": h.conditional,
                "sure_s": _r(h.sure_s, 3),
                "unconfirmed_episodes": [{"rule": e.rule, **_episode(e)} for e in h.unconfirmed],
                "condition": h.condition_text(),
                "other_readings": _other_readings(h),
                **(
                    {"near_latch_runs": [_near_latch(n) for n in h.near_latch]}
                    if h.near_latch
                    else {}
                ),
                **(
                    {"unmeasured_runs": [_unmeasured(u) for u in h.unmeasured]}
                    if h.unmeasured
                    else {}
                ),
                "timing_flagged": h.timing_flagged,
                "timing_alternatives": [_alternative(x) for x in h.timing_alternatives],
                "timing_condition": h.timing_text(),
                "timing_unknown": h.timing_unknown,
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
        "hold_timing_doubt": res.hold_timing_doubt,
        "possible_holds": [
            {
                "start_s": _r(p.start_s, 3),
                "end_s": _r(p.end_s, 3),
                "duration_s": _r(p.duration_s, 3),
                "borderline_episodes": _borderline_episodes(p),
                "text": p.hold_text(),
            }
            for p in res.possible_holds
        ],
        "possible_stretches": [
            {
                "start_s": _r(p.start_s, 3),
                "end_s": _r(p.end_s, 3),
                "duration_s": _r(p.duration_s, 3),
                "columns": list(p.columns),
                "needs": list(p.needs),
                "reason": p.reason,
                "by_criterion": p.by_criterion,
                "holds": [
                    {"start_s": _r(a, 3), "end_s": _r(b, 3), "duration_s": _r(b - a, 3)}
                    for a, b in p.holds
                ],
                **({"hip_bend": True} if p.hip_bend else {}),
                "text": p.text(),
            }
            for p in res.possible_stretches
        ],
    }
    if res.engaged_reason:
        out["engaged_reason"] = res.engaged_reason
    if res.verdict_doubts:
        out["verdict_doubt"] = {
            "text": res.verdict_doubt_text(),
            "may_have_broken": [_doubt_item(x) for x in res.verdict_doubts],
        }
    out["rules"].extend(_rule_item(r) for r in res.rules)
    out["uncertain"] = [
        {"rule": r.rule, "column": r.column, "reason": r.reason, "redo": r.redo}
        for r in res.rules
        if r.status == "uncertain"
    ]
    out["uncertain_angles"] = {c: dict(v) for c, v in res.uncertain_angles.items()}
    out["angle_precision"] = {
        c: {
            "precision_deg": _r(b, 2),
            "rules": "per_time" if c in res.trace_precision_deg else "beyond_margin",
        }
        for c, b in res.angle_precision_deg.items()
    }
    out["posture"] = None if res.posture is None else res.posture.to_dict()
    out["markers"].extend(_marker_item(m) for m in res.marks)
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
    if res.calibration_stand is not None:  # only then: every other document as before
        out["calibration_stand"] = res.calibration_stand.to_dict()
    out.update(_not_checked_fields(res))
    return out


def _rule_item(r: RuleResult) -> dict[str, Any]:
    """One entry of the document's ``rules`` list (docs/envelope.md)."""
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
    if r.status == "uncertain" or r.confirmed_by or r.gate_readings:
        item["redo"] = r.redo
        item["unconfirmed_episodes"] = [_episode(e) for e in r.unconfirmed]
    if r.confirmed_by:
        item["confirmed_by"] = r.confirmed_by
    if r.gate_readings:
        item["gate_readings"] = [_gate_reading(g) for g in r.gate_readings]
    if r.excused:
        item["test_episodes"] = [_episode(e) for e in r.excused]
    if r.near_latch:
        item["near_latch_runs"] = [_near_latch(n) for n in r.near_latch]
    return item


def _doubt_item(x: Episode | NearLatchRun) -> dict[str, Any]:
    """One ``verdict_doubt.may_have_broken`` item: the rule, its time and what kind of doubt."""
    kind = "near_latch" if hasattr(x, "latch_deg") else "unconfirmed_episode"
    return {"rule": x.rule, "start_s": _r(x.start_s, 3), "end_s": _r(x.end_s, 3), "kind": kind}


def _unmeasured(u: UnmeasuredRun) -> dict[str, Any]:
    """One ``unmeasured_runs`` item of a hold (docs/envelope.md "Holds")."""
    return {
        "rule": u.rule,
        "column": u.column,
        "start_s": _r(u.start_s, 3),
        "end_s": _r(u.end_s, 3),
    }


def _near_latch(n: NearLatchRun) -> dict[str, Any]:
    """One ``near_latch_runs`` item of a rule (docs/envelope.md "Runs near the latch point")."""
    return {
        "start_s": _r(n.start_s, 3),
        "end_s": _r(n.end_s, 3),
        "closest_deg": _r(n.closest_deg, 2),
        "limit_deg": n.limit_deg,
        "latch_deg": n.latch_deg,
        "precision_deg": n.precision_deg,
        "text": n.text(),
    }


def _gate_reading(g: GateReading) -> dict[str, Any]:
    """One ``gate_readings`` item of a rule (docs/envelope.md "Gate runs at the dwell")."""
    return {
        "gate": g.gate,
        "run_start_s": _r(g.run_start_s, 3),
        "run_s": _r(g.run_s, 3),
        "shortest_s": _r(g.shortest_s, 3),
        "longest_s": _r(g.longest_s, 3),
        "dwell_s": g.dwell_s,
        "precision_deg": g.precision_deg,
        "in_position": g.met,
        "counted": g.counted,
        "measured": g.measured,
        "episode": _episode(g.episode),
        "text": g.text(),
    }


def _marker_item(m: MarkResult) -> dict[str, Any]:
    """One entry of the document's ``markers`` list (docs/envelope.md)."""
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
    return mk


def _not_checked_fields(res: EnvelopeResult) -> dict[str, Any]:
    """The document's completeness fields (docs/envelope.md).

    ``not_checked`` (rules no worn sensor measured), ``verdict_complete`` and, when the
    marks hold them, ``slr`` and ``differentiation``.
    """
    items = not_checked(res.rules, side=res.side, measured=(res.engaged_by or "",))
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
