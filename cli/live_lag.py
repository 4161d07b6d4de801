"""How far the live screen is behind the sensors (a slow or busy computer), in plain words.

Samples are never lost when the host falls behind: they queue and keep their own session
times. But the angles and cues on screen are then as old as the newest sample processed, and
a cue that comes seconds late misleads someone holding a stretch. :func:`lag_s` measures that
age on the session clock (``sensors.session.clock``: sample times are placed on the host's
clock, so ``now − t`` is how old the newest processed sample is); :class:`LagWatch` decides
when the screen says so (from :data:`SHOW_S`, until back under :data:`CLEAR_S`) and keeps the
episodes for the recording's sidecar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

SHOW_S = 3.0
"""Lag (s) from which the screen says it is behind. Normal operation stays near the
angle grid's wait for a late sensor (``analysis.angles.live.OUT_AFTER_S``, 1 s) plus one
notification, so this is only reached when the computer is truly behind."""

CLEAR_S = 1.5
"""Lag (s) under which the warning clears again (below :data:`SHOW_S`: no flicker)."""


def lag_s(now_s: float, newest_t_s: float | None) -> float | None:
    """Seconds the newest processed sample is behind now, both on the session clock.

    Parameters
    ----------
    now_s
        Session time now (s).
    newest_t_s
        Session time (s) of the newest sample whose result is on screen; None (or not
        finite) when none is.

    Returns
    -------
    float | None
        ``now_s − newest_t_s``, never negative (a sample placed a hair ahead of now is not
        ahead of anything); None when there is no sample.
    """
    if newest_t_s is None or not math.isfinite(newest_t_s):
        return None
    return max(0.0, now_s - newest_t_s)


def behind_words(lag: float) -> str:
    """The screen's line for a lag of ``lag`` seconds, in words a patient understands."""
    return f"Angles are {lag:.0f} s behind the sensors — this computer is busy, so cues come late."


@dataclass
class LagWatch:
    """Whether the screen is behind the sensors, with hysteresis, and when it was.

    Only a tick that processed new samples is judged: sensors that fall silent make the
    newest sample old too, but that is a sensor out (said elsewhere), not a busy computer.
    """

    show_s: float = SHOW_S
    clear_s: float = CLEAR_S
    lag_s: float | None = None
    """The lag at the last tick that processed new samples (s)."""
    behind: bool = False
    episodes: list[dict[str, float]] = field(default_factory=list)
    """Each time the screen was behind: ``from_t_s``, ``to_t_s`` (session s), ``max_lag_s``."""
    _newest_t_s: float | None = None

    def update(self, now_s: float, newest_t_s: float | None) -> None:
        """Judge one screen tick at session time ``now_s``; ``newest_t_s`` as :func:`lag_s`."""
        if newest_t_s is None or (self._newest_t_s is not None and newest_t_s <= self._newest_t_s):
            return
        self._newest_t_s = newest_t_s
        lag = lag_s(now_s, newest_t_s)
        if lag is None:
            return
        self.lag_s = lag
        if not self.behind and lag >= self.show_s:
            self.behind = True
            self.episodes.append({"from_t_s": now_s, "to_t_s": now_s, "max_lag_s": lag})
        elif self.behind:
            ep = self.episodes[-1]
            ep["to_t_s"] = now_s
            ep["max_lag_s"] = max(ep["max_lag_s"], lag)
            self.behind = lag >= self.clear_s

    def words(self) -> str | None:
        """The screen's line while behind, else None."""
        return behind_words(self.lag_s) if self.behind and self.lag_s is not None else None

    def sidecar(self) -> dict[str, Any] | None:
        """The sidecar's ``live_lag`` extra (None when the screen never fell behind)."""
        if not self.episodes:
            return None
        return {
            "show_s": self.show_s,
            "max_lag_s": round(max(e["max_lag_s"] for e in self.episodes), 2),
            "episodes": [{k: round(v, 2) for k, v in e.items()} for e in self.episodes],
        }
