"""A quiet stand taken from later in the session, as the report, summary and JSON say it.

The calibration (``analysis.angles.calibration_windows``) takes a later, short stand when the
recording opened still in another pose (a calibration done sitting); the envelope writes it
(``envelope.json``'s ``calibration_stand``, docs/envelope.md). It lives here, beside
:mod:`analysis.recording.doubts`, because both rooms read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class LateStand:
    """The quiet stand taken after an opening stillness in another pose.

    ``opening_s``: where that opening stillness started (s); ``stand_s``: the stand taken,
    ``[start, end)`` in s; ``protocol_s``: the stand the protocol asks for (s); ``text``: the
    words the report's calibration notes and the summary use.
    """

    opening_s: float
    stand_s: tuple[float, float]
    protocol_s: float
    text: str

    @property
    def stood_s(self) -> float:
        """How long the stand taken lasted (s)."""
        return self.stand_s[1] - self.stand_s[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``envelope.json``'s ``calibration_stand``)."""
        return {
            "taken": "after_opening_in_another_pose",
            "opening_start_s": round(self.opening_s, 3),
            "start_s": round(self.stand_s[0], 3),
            "end_s": round(self.stand_s[1], 3),
            "duration_s": round(self.stood_s, 3),
            "protocol_s": round(self.protocol_s, 3),
            "text": self.text,
        }
