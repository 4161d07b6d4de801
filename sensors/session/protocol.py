"""The guided session protocol (DESIGN §4): what the user is asked to do, and when.

Stand still (defines every angle's zero and each sensor's vertical) → slow knee bends, leg
swings and two bows from the hips (each segment's flexion axis; the bows tip the pelvis) →
the exercise. :class:`GuidedProtocol` times the
prompts on the session clock; the windows the user actually completed become the sidecar's
calibration windows (half-open ``[start, end)``, session seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analysis.angles.calibration import BOW_WORDS
from analysis.recording.streams import CalibrationWindows


@dataclass(frozen=True)
class ProtocolStep:
    """One prompt: ``key`` ("static", "functional" or "exercise"), text, and its timing
    relative to the protocol start (``end_s`` None: until the session ends)."""

    key: str
    prompt: str
    start_s: float
    end_s: float | None


STAND_PROMPT = "Stand still: upright, knees straight, feet flat, looking ahead"
MOVE_PROMPT = (
    f"Slowly bend your knees 2–3 times, swing each leg forward and back, then make {BOW_WORDS}"
)
EXERCISE_PROMPT = "Start the exercise"


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
    """Prompts on the session clock, started with :meth:`start`."""

    def __init__(self, steps: Sequence[ProtocolStep] | None = None) -> None:
        self.steps = tuple(steps) if steps is not None else default_steps()
        self.start_s: float | None = None

    def start(self, t_s: float) -> None:
        """Begin the protocol at session time ``t_s``."""
        self.start_s = t_s

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
        """Calibration windows completed by session time ``end_t_s`` (None if none)."""
        if self.start_s is None:
            return None
        done: dict[str, tuple[float, float]] = {}
        for step in self.steps:
            if step.key in ("static", "functional") and step.end_s is not None:
                a, b = self.start_s + step.start_s, self.start_s + step.end_s
                if b <= end_t_s and b > a:
                    done[step.key] = (a, b)
        if not done:
            return None
        return CalibrationWindows(static_s=done.get("static"), functional_s=done.get("functional"))
