"""Labelled symptom marks: where and what was felt, the keys to say it, and the red flags.

A symptom mark (``analysis.recording.streams.Marker``) may carry ``where`` (a body site) and
``what`` (a sensation) from the fixed vocabularies below. The seeds (seeds/000–002) single out
what needs a professional rather than a change of stretch: numbness, tingling or weakness in
the foot, and a sudden sharp pain with a pop. :func:`red_flag` says whether a mark is one.

Keys (live): a digit says *where*, counted from the foot up (1 heel … 7 low back), and a
letter says *what* (the sensation's initial); a mark is made at the first of the two presses.
Pure data and functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

WHERE: Final[Mapping[str, str]] = {
    "1": "heel",
    "2": "sole",
    "3": "calf",
    "4": "behind the knee",
    "5": "back of the thigh",
    "6": "buttock",
    "7": "low back",
}
"""Body sites by key, from the foot up."""

WHAT: Final[Mapping[str, str]] = {
    "s": "stretch",
    "p": "pain",
    "t": "tingling",
    "b": "burning",
    "n": "numbness",
    "e": "electric",
    "w": "weakness",
    "o": "sharp pain with a pop",
}
"""Sensations by key (initials; ``o`` for a pop)."""

FOOT_SITES: Final = frozenset({"heel", "sole"})
FOOT_RED_FLAGS: Final = frozenset({"numbness", "tingling", "weakness"})

RED_FLAG_ADVICE: Final = (
    "Stop the stretch. Numbness, tingling or weakness in the foot, or a sudden sharp pain with "
    "a pop, are signs the seeds say need a professional's assessment, promptly — not a "
    "different stretch."
)

NERVE_WORDS: Final = frozenset({"tingling", "burning", "numbness", "electric"})
"""Sensations the seeds describe as typical of an irritated nerve rather than a muscle."""


@dataclass(frozen=True)
class SymptomLabel:
    """Where and what (either may be None: not said)."""

    where: str | None = None
    what: str | None = None

    def text(self) -> str:
        """``"tingling in the heel"``, ``"tingling"``, ``"felt in the calf"`` or ``"symptom"``."""
        if self.what and self.where:
            prep = "" if self.where == "behind the knee" else "in the "
            return f"{self.what} {prep}{self.where}"
        if self.what:
            return self.what
        if self.where:
            prep = "" if self.where == "behind the knee" else "in the "
            return f"felt {prep}{self.where}"
        return "symptom"


def red_flag(where: str | None, what: str | None) -> bool:
    """True for the seeds' red flags: numbness/tingling/weakness in the foot, a pop."""
    if what == "sharp pain with a pop":
        return True
    return what in FOOT_RED_FLAGS and where in FOOT_SITES


def valid_where(value: object) -> str | None:
    """``value`` when it is one of the body sites, else None."""
    return value if isinstance(value, str) and value in WHERE.values() else None


def valid_what(value: object) -> str | None:
    """``value`` when it is one of the sensations, else None."""
    return value if isinstance(value, str) and value in WHAT.values() else None


def key_map_lines() -> tuple[str, str]:
    """The two lines of the key map shown on the live screen."""
    where = "  ".join(f"{k} {v}" for k, v in WHERE.items())
    what = "  ".join(f"{k} {v}" for k, v in WHAT.items())
    return f"where: {where}", f"what:  {what}"


class SymptomKeys:
    """Turns key presses into labelled marks: a digit (where) and a letter (what), any order.

    The first key of a pair makes the mark (its time is that press); the other key, within
    ``pair_s`` seconds, labels it. Feed keys with :meth:`press`; it returns the action to take:
    ``("new", label)`` or ``("update", label)`` — or None when the key is not a symptom key.
    """

    def __init__(self, *, pair_s: float = 6.0) -> None:
        self.pair_s = pair_s
        self._open: tuple[float, SymptomLabel] | None = None

    @staticmethod
    def handles(key: str) -> bool:
        """True for a symptom key (digit 1–7 or a sensation letter, either case)."""
        return key in WHERE or key.lower() in WHAT

    def press(self, key: str, now_s: float) -> tuple[str, SymptomLabel] | None:
        """Apply one key pressed at ``now_s`` (session seconds)."""
        where = WHERE.get(key)
        what = WHAT.get(key.lower())
        if where is None and what is None:
            return None
        if self._open is not None and now_s - self._open[0] <= self.pair_s:
            _t0, label = self._open
            fits = (where is not None and label.where is None) or (
                what is not None and label.what is None
            )
            if fits:
                new = SymptomLabel(where=label.where or where, what=label.what or what)
                self._open = None  # a pair is complete
                return "update", new
        label = SymptomLabel(where=where, what=what)
        self._open = (now_s, label)
        return "new", label


NERVE_SITES: Final = frozenset({"heel", "sole", "calf", "behind the knee"})
"""Where the seeds place a nerve-type feeling during a hamstring stretch (not the muscle belly)."""


def mark_meaning(where: str | None, what: str | None) -> str:
    """What a symptom mark suggests, in plain words, from the seeds (informs, never diagnoses).

    A red flag (:func:`red_flag`) is for a professional; tingling, burning, numbness or an
    electric feeling, or a feeling in the heel, sole, calf or behind the knee, is how the seeds
    describe a tensioned nerve; a stretch felt in the back of the thigh is the muscle.
    """
    if red_flag(where, what):
        return "a warning sign: stop and have it assessed"
    if what in NERVE_WORDS or (where in NERVE_SITES and what != "stretch"):
        return (
            "a nerve-type feeling: ease the stretch — bend the knee a little and point the toes "
            "away"
        )
    if what == "stretch" and where in (None, "back of the thigh"):
        return "the hamstring muscle stretching, as intended"
    if what == "stretch" and where in NERVE_SITES:
        return "a pull away from the muscle, which may be the nerve: ease the stretch"
    return "noted; the report cannot say more from this label"
