"""Labelled symptom marks during a live session: keys, the key map panel, red-flag advice.

:class:`LiveMarks` turns key presses (``analysis.envelope.symptoms.SymptomKeys``: a digit for where,
a letter for what) into marks in the session's marker list — the list the sidecar is written
from — and renders a small panel with the key map, the last mark and, after a red flag
(numbness/tingling/weakness in the foot, a pop), the advice to stop and get it seen.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from analysis.envelope.symptoms import (
    RED_FLAG_ADVICE,
    SymptomKeys,
    SymptomLabel,
    key_map_lines,
    red_flag,
)
from analysis.recording.streams import Marker

COMPACT_KEYS = (
    "where 1 heel 2 sole 3 calf 4 knee 5 thigh 6 buttock 7 low back\n"
    "what  s stretch p pain t tingling b burning n numb e electric w weak o pop"
)


def small_screen() -> bool:
    """True on a terminal under 40 lines: key maps shrink to one line."""
    return shutil.get_terminal_size((80, 24)).lines < 40


class LiveMarks:
    """Key handler and panel for labelled symptom marks.

    ``markers`` is the live session's marker list (appended to and, to label the newest
    mark, replaced in place); ``now_s`` gives session seconds.
    """

    def __init__(
        self,
        markers: list[Marker],
        now_s: Callable[[], float],
        *,
        compact: Callable[[], bool] = small_screen,
    ) -> None:
        self.markers = markers
        self.now_s = now_s
        self.compact = compact
        self.keys = SymptomKeys()
        self.last: Marker | None = None
        self.flagged: list[Marker] = []

    def handles(self, key: str) -> bool:
        """True for a symptom key."""
        return SymptomKeys.handles(key)

    def press(self, key: str) -> str | None:
        """Apply a key; return a one-line note for the screen (None: not a symptom key)."""
        action = self.keys.press(key, self.now_s())
        if action is None:
            return None
        kind, label = action
        fields = {"where": label.where, "what": label.what, "label": label.text()}
        if kind == "update" and self.last is not None and self.last in self.markers:
            i = len(self.markers) - 1 - self.markers[::-1].index(self.last)
            self.markers[i] = dataclasses.replace(self.last, **fields)
            mark = self.markers[i]
        else:
            mark = Marker(t_s=self.now_s(), kind="symptom", **fields)
            self.markers.append(mark)
        self.last = mark
        if red_flag(mark.where, mark.what) and mark.t_s not in {m.t_s for m in self.flagged}:
            self.flagged.append(mark)
        return f"marked {mark.label} at {mark.t_s:.1f} s"

    def panel(self) -> RenderableType:
        """Key map, the last mark and (after a red flag) the advice."""
        if self.compact():
            parts: list[RenderableType] = [Text(COMPACT_KEYS, style="dim")]
        else:
            where, what = key_map_lines()
            parts = [Text(where, style="dim"), Text(what, style="dim")]
        if self.last is not None:
            said = SymptomLabel(where=self.last.where, what=self.last.what).text()
            parts.append(Text(f"last mark: {said} at {self.last.t_s:.1f} s"))
        if self.flagged:
            parts.append(Text(f"RED FLAG — {RED_FLAG_ADVICE}", style="bold white on red"))
        if self.compact():
            return Group(*parts)  # no frame: every line counts on a small terminal
        return Panel(Group(*parts), title="symptom keys: a digit (where) + a letter (what)")
