"""Why an angle is uncertain: its words and the kinds of doubt behind them.

The calibration (``analysis.angles``) says why an angle cannot be trusted, and the envelope
(``analysis.envelope``) reads it; the record lives here, on the floor both rooms stand on.
Read as a mapping, an :class:`UncertainAngle` is ``{"reason", "redo"}``, the entry of the
``uncertain`` mapping every caller passes and of ``envelope.json``'s ``uncertain_angles``;
its :attr:`~UncertainAngle.kinds` carry what the words say, so that no reader has to match
them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field


class DoubtKind(enum.Enum):
    """A kind of calibration doubt that a reader of an uncertain angle acts on."""

    FORWARD_UNKNOWN = "forward_unknown"
    """The sign rule could not tell a segment's forward direction (its sign confidence is not
    high): its flexion axis may lie anywhere, up to square to the true one, so a rotation
    about it reads as any share of itself and the angle's rate has no scale. Carried to the
    segments whose sign was decided against it."""


NO_KINDS: frozenset[DoubtKind] = frozenset()
"""The kinds of a doubt no reader acts on (its words are all there is)."""


@dataclass(frozen=True, eq=False)
class UncertainAngle(Mapping[str, str]):
    """An uncertain angle's entry: why (``reason``), what to redo (``redo``), and ``kinds``.

    As a mapping it holds exactly ``"reason"`` and ``"redo"`` (in that order), and it equals
    any mapping with the same two texts: the ``kinds`` are derived from the same doubts as
    the words and are not part of what is written.
    """

    reason: str
    redo: str
    kinds: frozenset[DoubtKind] = field(default=NO_KINDS)
    precision_deg: float | None = None
    """The ± in degrees the angle is measured to, when that bound is the whole doubt (a
    predicted precision past the target, e.g. a sensor's unmeasured accelerometer gain); None
    for any other doubt (an undecided axis, sign, heading or forward direction: unbounded).
    Read it through :func:`precision_bound_deg`, which drops it once the reason has changed."""
    precision_reason: str | None = None
    """The reason :attr:`precision_deg` was given for (another doubt added to the words, e.g. by
    :func:`dataclasses.replace`, leaves the bound no longer the whole doubt)."""
    trace_only: bool = False
    """True when the entry states only how precise the angle's trace is over the session (its
    ± in :attr:`precision_deg`), while its rules are decided on a per-time bound given with
    the angle's ``timed_doubts``: the envelope checker reports such an entry and decides
    nothing on it (:func:`decided_doubts`). The knee's soft tissue (round 21)."""

    def __getitem__(self, key: str) -> str:
        if key == "reason":
            return self.reason
        if key == "redo":
            return self.redo
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("reason", "redo"))

    def __len__(self) -> int:
        return 2


def bounded(reason: str, redo: str, precision_deg: float) -> UncertainAngle:
    """An entry whose whole doubt is that the angle is measured to about ±``precision_deg``."""
    return UncertainAngle(
        reason=reason, redo=redo, precision_deg=float(precision_deg), precision_reason=reason
    )


def trace_bounded(reason: str, redo: str, precision_deg: float) -> UncertainAngle:
    """An entry whose angle's trace is measured to about ±``precision_deg`` over the session.

    Its rules are decided per time instead (:attr:`UncertainAngle.trace_only`).
    """
    return UncertainAngle(
        reason=reason,
        redo=redo,
        precision_deg=float(precision_deg),
        precision_reason=reason,
        trace_only=True,
    )


def is_trace_only(why: Mapping[str, str] | None) -> bool:
    """Whether ``why`` states only its angle's trace precision (:attr:`UncertainAngle.trace_only`).

    False for None, a plain ``{"reason", "redo"}`` and any entry whose words changed since.
    """
    return (
        isinstance(why, UncertainAngle)
        and why.trace_only
        and why.reason == why.precision_reason
        and not why.kinds
    )


def decided_doubts(
    uncertain: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, Mapping[str, str]]:
    """The entries of ``uncertain`` a rule is decided on: all but the trace-only ones."""
    return {c: v for c, v in (uncertain or {}).items() if not is_trace_only(v)}


def trace_precision_deg(uncertain: Mapping[str, Mapping[str, str]] | None) -> dict[str, float]:
    """Per column, the ± (degrees) of each trace-only entry of ``uncertain``."""
    return {
        c: float(v.precision_deg)
        for c, v in (uncertain or {}).items()
        if is_trace_only(v) and isinstance(v, UncertainAngle) and v.precision_deg is not None
    }


def approximate_sentence(columns: Sequence[str], reason: str, redo: str) -> str:
    """The report's sentence for angles whose trace is approximate while their rules stand.

    E.g. "Approximate readings (rule verdicts on them stand): right_knee_flexion_deg — the
    right knee was bent …; strap the thigh …." (the report, the terminal summary and the live
    screen say it alike).
    """
    return (
        f"Approximate readings (rule verdicts on them stand): {', '.join(columns)} — {reason}; "
        f"{redo}."
    )


def precision_bound_deg(why: Mapping[str, str]) -> float | None:
    """The ± (degrees) an uncertain angle is measured to, when that is its whole doubt.

    None for a plain ``{"reason", "redo"}``, for an entry of any unbounded doubt, and for an
    entry whose reason is no longer the one its bound was given for (a doubt was added).
    """
    if not isinstance(why, UncertainAngle) or why.precision_deg is None:
        return None
    if why.reason != why.precision_reason or why.kinds:
        return None
    bound = float(why.precision_deg)
    return bound if bound >= 0.0 and bound < float("inf") else None


def doubt_kinds(why: Mapping[str, str]) -> frozenset[DoubtKind]:
    """The kinds of doubt behind an ``uncertain`` entry (a plain ``{"reason", "redo"}``: none)."""
    return why.kinds if isinstance(why, UncertainAngle) else NO_KINDS


@dataclass(frozen=True)
class TimedDoubt:
    """A trusted angle that may be off by more than its target for part of the session.

    ``bound_deg``: per sample of the angle table, how far the angle may be off (degrees; 0
    where it is trusted as read); ``reason`` and ``redo`` as an uncertain angle's. The envelope
    checker decides a rule on such an angle only where it is decided beyond that bound
    (``check_envelope(timed_doubts=...)``): an episode elsewhere still counts.
    """

    bound_deg: Sequence[float]
    reason: str
    redo: str
