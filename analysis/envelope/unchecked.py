"""What the verdict did not cover: the rules no worn sensor measures, and which sensor would.

A verdict of *inside* only speaks for the rules that were measured. With the default set-up
(pelvis, thigh, shank, foot) "rounding the back" and "looking down" are never judged, and the
report, the terminal summary, the live screen and ``envelope.json`` must say so where they
say the verdict. This module turns rule results into that statement: for each rule whose
angle is absent, the plain words of the rule and the sensor(s) that would measure it, worked
out from the sensors known to be worn (given, or inferred from the angles that were measured).

Pure functions over plain values; nothing here reads files or imports the envelope checker
(it is used by it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

RULE_WORDS: Final[Mapping[str, str]] = {
    "ankle_dorsiflexion": "toes pulled up",
    "knee_flexion": "a locked-straight knee",
    "hip_adduction": "the leg drifting toward the midline",
    "hip_internal_rotation": "the thigh turning in",
    "lumbar_flexion": "rounding the back",
    "pelvis_anterior_tilt": "tucking the pelvis under",
    "neck_flexion": "looking down",
}
"""Each rule as a person would say what it watches for."""

SENSOR_WORDS: Final[Mapping[str, str]] = {
    "pelvis": "the pelvis (low back)",
    "trunk": "the upper back",
    "head": "the head",
    "thigh": "the thigh",
    "shank": "the shin",
    "foot": "the foot",
}
"""Where a sensor goes, in words (leg segments get the side in front)."""

# Per rule: alternative sets of segments that measure it, most direct first ("leg" segments
# are on the exercised side). Neck flexion: head vs trunk, or head vs pelvis (stand-in).
_NEEDS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    "ankle_dorsiflexion": (("shank", "foot"),),
    "knee_flexion": (("thigh", "shank"),),
    "hip_adduction": (("pelvis", "thigh"),),
    "hip_internal_rotation": (("pelvis", "thigh"),),
    "lumbar_flexion": (("pelvis", "trunk"),),
    "pelvis_anterior_tilt": (("pelvis",),),
    "neck_flexion": (("trunk", "head"), ("pelvis", "head")),
}

_LEG: Final = ("thigh", "shank", "foot")


@dataclass(frozen=True, kw_only=True)
class NotChecked:
    """One rule the session could not judge.

    ``needs`` are placements (``trunk``, ``right_foot``…) that would have to be worn as well;
    ``gating`` is False for advisory rules (they never set the verdict anyway).
    """

    rule: str
    words: str
    needs: tuple[str, ...]
    needs_text: str
    gating: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``envelope.json`` ``not_checked`` items)."""
        return {
            "rule": self.rule,
            "what": self.words,
            "needs": list(self.needs),
            "needs_text": self.needs_text,
            "advisory": not self.gating,
        }


def _placement(segment: str, side: str) -> str:
    return f"{side}_{segment}" if segment in _LEG else segment


def sensor_words(placement: str) -> str:
    """``"right_foot"`` → ``"the right foot"``; ``"trunk"`` → ``"the upper back"``."""
    side, _, seg = placement.rpartition("_")
    words = SENSOR_WORDS.get(seg, seg.replace("_", " "))
    return words.replace("the ", f"the {side} ", 1) if side else words


def worn_from_columns(columns: Iterable[str]) -> set[str]:
    """Placements that must be worn for these angle columns to have been measured."""
    worn: set[str] = set()
    for col in columns:
        name = col.removesuffix("_deg")
        side = next((s for s in ("left", "right") if name.startswith(f"{s}_")), None)
        if side is not None:
            joint = name[len(side) + 1 :].split("_", 1)[0]
            segs = {
                "hip": ("pelvis", "thigh"),
                "knee": ("thigh", "shank"),
                "ankle": ("shank", "foot"),
                "thigh": ("thigh",),
            }.get(joint, ())
            worn |= {_placement(s, side) for s in segs}
        elif name == "pelvis_anterior_tilt":
            worn.add("pelvis")
        elif name == "lumbar_flexion":
            worn |= {"pelvis", "trunk"}
        elif name == "neck_flexion":
            worn |= {"trunk", "head"}
        elif name == "head_flexion_rel_pelvis":
            worn |= {"pelvis", "head"}
    return worn


def missing_sensors(rule: str, side: str, worn: Iterable[str]) -> tuple[str, ...]:
    """The fewest placements to add so that ``rule`` is measured (first alternative on ties)."""
    have = set(worn)
    options = _NEEDS.get(rule, ())
    best: tuple[str, ...] | None = None
    for segs in options:
        need = tuple(p for p in (_placement(s, side) for s in segs) if p not in have)
        if best is None or len(need) < len(best):
            best = need
    return best or ()


def needs_text(needs: Sequence[str]) -> str:
    """``("trunk",)`` → ``"needs a sensor on the upper back"``."""
    if not needs:
        return "its sensors were worn but gave no valid angle"
    return "needs a sensor on " + " and one on ".join(sensor_words(p) for p in needs)


def not_checked(
    rules: Iterable[Any],
    *,
    side: str,
    worn: Iterable[str] | None = None,
    measured: Iterable[str] = (),
) -> tuple[NotChecked, ...]:
    """The rules among ``rules`` that were not measured, with the sensor(s) that would.

    ``rules`` are rule results with ``rule``, ``status``, ``column`` and ``spec.advisory``
    (``analysis.envelope.results.RuleResult`` or the live monitor's ``RuleNow`` with ``advisory``).
    ``worn`` are the worn placements; None infers them from the measured rules' columns and
    the other ``measured`` angle columns (e.g. the engagement angle: a lone thigh sensor
    measures its inclination and no rule, and is still worn).
    """
    items = list(rules)
    if worn is None:
        worn = worn_from_columns(
            [str(r.column) for r in items if r.status != "not_measured" and r.column]
            + [str(c) for c in measured if c]
        )
    worn = set(worn)
    out = []
    for r in items:
        if r.status != "not_measured":
            continue
        advisory = bool(r.spec.advisory) if hasattr(r, "spec") else bool(r.advisory)
        needs = missing_sensors(r.rule, side, worn)
        out.append(
            NotChecked(
                rule=r.rule,
                words=RULE_WORDS.get(r.rule, r.rule.replace("_", " ")),
                needs=needs,
                needs_text=needs_text(needs),
                gating=not advisory,
            )
        )
    return tuple(out)


def unworn_leg_reasons(placements: Iterable[str], side: str) -> dict[str, str]:
    """Why the exercised leg's angles are missing when not one sensor is on that leg.

    Sensors on the other leg only (the default set strapped to the resting leg) give that
    leg's angles, which no rule reads; without this the exercised leg's rules would say no
    more than "angle not in the data". Returns column → reason for the exercised ``side``'s
    hip, knee, ankle and thigh-inclination columns, or ``{}`` when any of its thigh, shank or
    foot is worn.
    """
    worn = set(placements)
    if any(f"{side}_{seg}" in worn for seg in _LEG):
        return {}
    other = "left" if side == "right" else "right"
    on_other = [p for p in (f"{other}_{seg}" for seg in _LEG) if p in worn]
    why = f"no sensor on the exercised {side} leg"
    if on_other:
        why += f"; the leg sensors are on the {other} leg, which is not judged"
    hip = [f"{side}_hip_{m}_deg" for m in ("flexion", "adduction", "internal_rotation")]
    cols = [*hip, f"{side}_knee_flexion_deg", f"{side}_ankle_dorsiflexion_deg"]
    return dict.fromkeys([*cols, f"{side}_thigh_inclination_deg"], why)


def not_checked_sentence(items: Sequence[NotChecked]) -> str:
    """``"Not checked: rounding the back (needs a sensor on the upper back), …."`` or ``""``."""
    if not items:
        return ""
    parts = [f"{i.words} ({i.needs_text})" for i in items]
    return "Not checked: " + ", ".join(parts) + "."


NOTHING_JUDGED_TITLE: Final = "Stretch found, but no limit could be checked"
"""Headline of an *inside* verdict when not one gating rule was judged (e.g. a lone thigh
sensor: it sees the stretch, and no limit)."""


def partial_verdict_title(
    verdict: str, items: Sequence[NotChecked], *, gating_judged: int | None = None
) -> str | None:
    """The headline of an *inside* verdict that left gating rules unchecked, else None.

    ``gating_judged``: how many gating rules were judged (measured and trusted); 0 gives
    :data:`NOTHING_JUDGED_TITLE`, for "inside" then says nothing about any limit.
    """
    if verdict != "inside":
        return None
    if gating_judged == 0:
        return NOTHING_JUDGED_TITLE
    if any(i.gating for i in items):
        return "Stayed inside for what was measured"
    return None


def neck_frame_note(column: str | None) -> str | None:
    """How "looking down" was judged when it read the stand-in column (else None)."""
    if column == "head_flexion_rel_pelvis_deg":
        return (
            "looking down judged from the head relative to the pelvis (no sensor on the upper "
            "back): a rounding back adds to this angle"
        )
    return None
