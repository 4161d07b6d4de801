"""The guided session protocol (DESIGN §4): what the user is asked to do, and when.

Stand still (defines every angle's zero and each sensor's vertical) → slow knee bends, leg
swings and two bows from the hips (each segment's flexion axis; the bows tip the pelvis) →
the exercise. :class:`GuidedProtocol` times the
prompts on the session clock; the windows the user actually completed become the sidecar's
calibration windows (half-open ``[start, end)``, session seconds).

When the movements end, the caller checks them (the live guide calibrates and looks at what
could not be established) and reports with :meth:`GuidedProtocol.judge`: a shortfall asks the
movements again, with the reason, at most ``max_redos`` times; every attempt and its outcome
goes into the sidecar (``protocol_attempts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Final, Literal

from analysis.angles.calibration import BOW_WORDS
from analysis.recording.streams import CalibrationWindows


@dataclass(frozen=True)
class ProtocolStep:
    """One prompt of the protocol: its key, text and timing.

    ``key`` is "static", "functional" or "exercise"; times are relative to the protocol
    start (``end_s`` None: until the session ends).
    """

    key: str
    prompt: str
    start_s: float
    end_s: float | None
    again: bool = False
    """A step asked again because the previous attempt was not good enough."""


@dataclass(frozen=True)
class StepAttempt:
    """One attempt at the movements, ``[start_s, end_s)`` on the session clock, as judged.

    The check made it ``"accepted"``, ``"again"`` (asked again, ``reason`` says why) or
    ``"kept"`` (not good enough, but no retry left: its angles stay uncertain).
    """

    key: str
    start_s: float
    end_s: float
    outcome: Literal["accepted", "again", "kept"]
    reason: str | None = None


STAND_PROMPT = "Stand still: upright, knees straight, feet flat, looking ahead"
MOVE_PROMPT = (
    f"Slowly bend your knees 2–3 times, swing each leg forward and back, then make {BOW_WORDS}"
)
EXERCISE_PROMPT = "Start the exercise"
MAX_REDOS: Final = 2
"""How many times the movements are asked again before the session goes on regardless."""


def again_prompt(reason: str) -> str:
    """The prompt of a movement step asked again: what fell short, then the same words."""
    return f"Once more — {reason.rstrip('.')}. {MOVE_PROMPT}"


def default_steps(*, stand_s: float = 5.0, move_s: float = 15.0) -> tuple[ProtocolStep, ...]:
    """Stand ``stand_s``, move ``move_s``, then the exercise."""
    return (
        ProtocolStep("static", STAND_PROMPT, 0.0, stand_s),
        ProtocolStep("functional", MOVE_PROMPT, stand_s, stand_s + move_s),
        ProtocolStep("exercise", EXERCISE_PROMPT, stand_s + move_s, None),
    )


def steps_from_windows(
    static_s: tuple[float, float], functional_s: tuple[float, float]
) -> tuple[ProtocolStep, ...]:
    """Prompts timed like known calibration windows (e.g. a simulated scenario's script)."""
    return (
        ProtocolStep("static", STAND_PROMPT, static_s[0], static_s[1]),
        ProtocolStep("functional", MOVE_PROMPT, functional_s[0], functional_s[1]),
        ProtocolStep("exercise", EXERCISE_PROMPT, functional_s[1], None),
    )


class GuidedProtocol:
    """Prompts on the session clock, started with :meth:`start`.

    ``max_redos`` bounds how often the movements are asked again (:meth:`judge`).
    """

    def __init__(
        self, steps: Sequence[ProtocolStep] | None = None, *, max_redos: int = MAX_REDOS
    ) -> None:
        self.steps = tuple(steps) if steps is not None else default_steps()
        self.start_s: float | None = None
        self.max_redos = int(max_redos)
        self.attempts: list[StepAttempt] = []
        """Every judged attempt at the movements, in order (the sidecar's record)."""

    def start(self, t_s: float) -> None:
        """Begin the protocol at session time ``t_s``."""
        self.start_s = t_s

    def hold_until(self, t_s: float) -> None:
        """Shift every step so that the first begins at session time ``t_s`` (started only).

        The guide waits (e.g. for a sensor still lying apart from the body): nothing is asked
        before ``t_s``. Only before any movements were judged; the session clock
        (:attr:`start_s`) stays.
        """
        if self.start_s is None or self.attempts:
            return
        shift = (t_s - self.start_s) - self.steps[0].start_s
        self.steps = tuple(
            replace(
                s, start_s=s.start_s + shift, end_s=None if s.end_s is None else s.end_s + shift
            )
            for s in self.steps
        )

    def current(self, t_s: float) -> tuple[ProtocolStep | None, float | None]:
        """The step at session time ``t_s`` and its remaining seconds (None: open-ended)."""
        if self.start_s is None:
            return None, None
        rel = t_s - self.start_s
        for step in self.steps:
            if rel < step.start_s:
                return None, step.start_s - rel
            if step.end_s is None or rel < step.end_s:
                return step, None if step.end_s is None else step.end_s - rel
        return None, None

    def calibration(self, end_t_s: float) -> CalibrationWindows | None:
        """Calibration windows completed by session time ``end_t_s`` (None if none).

        Movements asked again extend the movement window: it runs from the first attempt's
        start to the end of the latest completed one, so that what was done well the first
        time still counts.
        """
        if self.start_s is None:
            return None
        done: dict[str, tuple[float, float]] = {}
        for step in self.steps:
            if step.key in ("static", "functional") and step.end_s is not None:
                a, b = self.start_s + step.start_s, self.start_s + step.end_s
                if b <= end_t_s and b > a:
                    done[step.key] = (done.get(step.key, (a, b))[0], b)
        if not done:
            return None
        return CalibrationWindows(static_s=done.get("static"), functional_s=done.get("functional"))

    def _latest_movements(self) -> tuple[float, float] | None:
        """``[start, end)`` (session seconds) of the last movement step, None if open/none."""
        if self.start_s is None:
            return None
        steps = [s for s in self.steps if s.key == "functional" and s.end_s is not None]
        if not steps:
            return None
        last = steps[-1]
        assert last.end_s is not None
        return self.start_s + last.start_s, self.start_s + last.end_s

    def to_check(self, t_s: float) -> CalibrationWindows | None:
        """The windows to check at ``t_s``, or None.

        There are windows when the latest movements have ended and were not judged yet.
        """
        span = self._latest_movements()
        if span is None or t_s < span[1]:
            return None
        if self.attempts and self.attempts[-1].start_s == span[0]:
            return None
        windows = self.calibration(t_s)
        if windows is None or windows.functional_s is None or windows.functional_s[1] != span[1]:
            return None
        return windows

    @property
    def redos_left(self) -> int:
        """How many more times the movements may be asked again."""
        return max(0, self.max_redos - sum(a.outcome == "again" for a in self.attempts))

    def judge(self, t_s: float, shortfall: str | None) -> bool:
        """Record the check of the latest movements at session time ``t_s``.

        ``shortfall`` None accepts them. Otherwise, while retries are left, the movements
        are asked again from ``t_s`` for as long as the first time (prompt
        :func:`again_prompt`), the exercise after them, and True is returned; with no retry
        left they are kept as they are (their angles stay uncertain) and False is returned.
        """
        span = self._latest_movements()
        if span is None or self.start_s is None:
            raise ValueError("no movement step has been done yet")
        if shortfall is None:
            self.attempts.append(StepAttempt("functional", *span, outcome="accepted"))
            return False
        if self.redos_left == 0:
            self.attempts.append(StepAttempt("functional", *span, "kept", shortfall))
            return False
        self.attempts.append(StepAttempt("functional", *span, "again", shortfall))
        rel = max(t_s - self.start_s, span[1] - self.start_s)
        first = next(s for s in self.steps if s.key == "functional")
        assert first.end_s is not None
        length = first.end_s - first.start_s
        kept = tuple(s for s in self.steps if s.key != "exercise")
        self.steps = (
            *kept,
            ProtocolStep("functional", again_prompt(shortfall), rel, rel + length, again=True),
            ProtocolStep("exercise", EXERCISE_PROMPT, rel + length, None),
        )
        return True

    def sidecar_extra(self) -> dict[str, Any]:
        """The attempts for the sidecar (``protocol_attempts``; empty when none was judged)."""
        if not self.attempts:
            return {}
        return {
            "protocol_attempts": [
                {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(a).items()}
                for a in self.attempts
            ]
        }
