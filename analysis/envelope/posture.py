"""Whether the session's posture matches the profile it is judged against.

A lying recording judged as the standing stretch reads the pelvis, flat on the floor, as
"tucked under" (about −90° from the quiet stand) and times its holds on an engagement made
for standing; an upright recording judged as a lying exercise is never "in the stretch".
The pelvis sensor tells the two apart: lying on the back tilts it back by about 90°, sitting
or standing keeps it within a few tens of degrees of the stand. The thigh alone cannot (a
leg raised on a step in the standing stretch is as horizontal as a thigh lying flat or
sitting), nor can the pelvis tell sitting from standing: the check says only *lying* or
*upright*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

Posture = Literal["lying", "upright"]

PELVIS_COLUMN: Final = "pelvis_anterior_tilt_deg"
LYING_MAX_DEG: Final = -60.0
"""Pelvis tilt at or below which a sample counts as lying on the back (flat ≈ −90°; the
lying profiles' own engagement requires ≤ −60°)."""
UPRIGHT_MIN_DEG: Final = -30.0
"""Pelvis tilt at or above which a sample counts as upright (sitting or standing)."""
LYING_SHARE: Final = 0.3
"""Share of the measured samples lying that makes a lying session. Lower than the upright
share because every recording starts upright (the calibration's quiet stand and leg
movements, often a minute of a short session), and no standing exercise is done lying for
a third of its recording."""
UPRIGHT_SHARE: Final = 0.6
"""Share of the measured samples upright that makes an upright session (with under
:data:`UPRIGHT_MAX_LYING` of them lying)."""
UPRIGHT_MAX_LYING: Final = 0.05
"""Largest share lying in an upright session."""
MIN_MEASURED_S: Final = 10.0
"""Below this much measured pelvis the check says nothing."""

PROFILE_POSTURES: Final[dict[str, Posture]] = {
    "standing_hamstring": "upright",
    "standing_l": "upright",
    "runners_active": "upright",
    "seated_slider": "upright",
    "supine_hamstring": "lying",
    "slr_test": "lying",
}
"""The built-in profiles' postures (a profile file that extends one keeps its name)."""

SUGGESTED: Final[dict[Posture, tuple[str, ...]]] = {
    "lying": ("supine_hamstring", "slr_test"),
    "upright": ("standing_hamstring", "seated_slider"),
}
"""Built-in exercises for each posture, the most likely first."""

POSTURE_WORDS: Final[dict[Posture, str]] = {
    "lying": "lying on the back",
    "upright": "upright (sitting or standing)",
}


@dataclass(frozen=True)
class PostureCheck:
    """The session's posture against the profile's (``envelope.json``'s ``posture``).

    Attributes
    ----------
    seen
        The posture of most of the session (pelvis sensor).
    share
        Share of the measured samples in ``seen`` (0–1).
    profile
        The profile the session is judged against (after any switch).
    profile_posture
        That profile's posture.
    suggest
        Built-in exercises matching ``seen``.
    switched_from
        The defaulted profile that was replaced by ``profile`` (None when the profile was
        chosen, or kept).
    """

    seen: Posture
    share: float
    profile: str
    profile_posture: Posture
    suggest: tuple[str, ...]
    switched_from: str | None = None

    @property
    def matches(self) -> bool:
        """Whether the profile's posture is the one seen."""
        return self.seen == self.profile_posture

    def text(self) -> str:
        """One sentence for the terminal and the report."""
        pct = f"{100 * self.share:.0f} %"
        seen = POSTURE_WORDS[self.seen]
        if self.switched_from is not None:
            return (
                f"The recording names no exercise and the pelvis sensor shows {seen} for "
                f"{pct} of it, so it is judged as {self.profile} instead of the default "
                f"{self.switched_from} (use --exercise NAME to choose)."
            )
        return (
            f"Posture does not match the exercise: the pelvis sensor shows {seen} for {pct} "
            f"of the recording, but {self.profile} is done "
            f"{POSTURE_WORDS[self.profile_posture]}; its rules and hold timing are not "
            f"trusted. Analyse again with --exercise "
            f"{' or --exercise '.join(self.suggest)}."
        )

    def to_dict(self) -> dict[str, object]:
        """The ``envelope.json`` item."""
        return {
            "seen": self.seen,
            "share": round(self.share, 3),
            "profile": self.profile,
            "profile_posture": self.profile_posture,
            "matches": self.matches,
            "suggest": list(self.suggest),
            "switched_from": self.switched_from,
            "text": None if self.matches and self.switched_from is None else self.text(),
        }


def session_posture(angles: pd.DataFrame) -> tuple[Posture, float] | None:
    """The posture of most of the session and its share, from the pelvis tilt.

    None without a pelvis column, with under :data:`MIN_MEASURED_S` of it measured, or when
    neither :data:`LYING_SHARE` of the measured samples lie nor :data:`UPRIGHT_SHARE` are
    upright (with under :data:`UPRIGHT_MAX_LYING` lying).
    """
    if PELVIS_COLUMN not in angles.columns or len(angles) < 2:
        return None
    tilt = angles[PELVIS_COLUMN].to_numpy(dtype=float)
    measured = np.isfinite(tilt)
    t = angles["t_s"].to_numpy(dtype=float)
    step = float(np.median(np.diff(t)))
    if not measured.any() or measured.sum() * step < MIN_MEASURED_S:
        return None
    lying = float(np.mean(tilt[measured] <= LYING_MAX_DEG))
    upright = float(np.mean(tilt[measured] >= UPRIGHT_MIN_DEG))
    if lying >= LYING_SHARE:
        return "lying", lying
    if upright >= UPRIGHT_SHARE and lying < UPRIGHT_MAX_LYING:
        return "upright", upright
    return None


def check_posture(angles: pd.DataFrame, profile_name: str) -> PostureCheck | None:
    """The session's posture against ``profile_name``'s (None when either is unknown)."""
    expected = PROFILE_POSTURES.get(profile_name)
    seen = session_posture(angles)
    if expected is None or seen is None:
        return None
    return PostureCheck(
        seen=seen[0],
        share=seen[1],
        profile=profile_name,
        profile_posture=expected,
        suggest=SUGGESTED[seen[0]],
    )


def posture_doubts(check: PostureCheck, rule_columns: dict[str, str]) -> dict[str, dict[str, str]]:
    """``column → {"reason", "redo"}`` for the rules a profile of the wrong posture misreads.

    ``rule_columns`` maps each rule of the profile to the column it reads. Every rule is
    misread: the pelvis rule's limit is set for the other posture, and the others are judged
    only while "in the stretch", which the wrong profile's engagement finds at the wrong
    times. Empty when the posture matches.
    """
    if check.matches:
        return {}
    reason = (
        f"the recording is {POSTURE_WORDS[check.seen]} for {100 * check.share:.0f} % of it but "
        f"{check.profile} is done {POSTURE_WORDS[check.profile_posture]}"
    )
    redo = f"analyse again with --exercise {' or --exercise '.join(check.suggest)}"
    return {col: {"reason": reason, "redo": redo} for col in rule_columns.values()}
