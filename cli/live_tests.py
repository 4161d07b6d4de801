"""Guided tests during a live session: "nerve or muscle?" and the straight-leg raise marks.

Keys: ``a`` starts an ankle test (toes up, then away again), ``l`` a neck test (look down,
then up again); while hip and knee stay put the sensors watch the movement, then the guide
asks whether the feeling changed: ``+`` more, ``-`` less, ``=`` same. The test is judged by
the same function as the report (``analysis.envelope.clinical.differentiation_tests``) on the angles
seen during it, and said at once ("your hip moved 8°, the test does not count; try again").
``f`` marks P1 (first symptom) and ``x`` P2 (the most tolerated) of a straight-leg raise.
Every test leaves ``diff_start``/``diff_end`` (or ``P1``/``P2``) marks in the sidecar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from analysis.envelope.clinical import MIN_REMOTE_CHANGE_DEG, differentiation_tests
from analysis.envelope.profiles import angle_column_for, measured_column_for
from analysis.recording.streams import Marker
from cli.live_marks import small_screen

ANSWERS = {"+": "more", "-": "less", "=": "same"}
MOVES = {
    "a": ("ankle", "point your toes up, then away again — keep hip and knee still"),
    "l": ("neck", "look down, then up again — keep hip and knee still"),
}
SLR_KEYS = {"f": ("P1", "first symptom"), "x": ("P2", "most tolerated")}
KEY_LINE = (
    "tests: a ankle (toes up/away)  l look down/up  then + more  - less  = same   "
    "raise: f P1 first symptom  x P2 most tolerated"
)


COMPACT_KEY_LINE = "tests: a ankle  l look down  + - = answer   raise: f P1  x P2"


class LiveTests:
    """Key handler, angle watcher and panel for the guided tests of one live session."""

    def __init__(
        self,
        markers: list[Marker],
        now_s: Callable[[], float],
        *,
        side: str,
        compact: Callable[[], bool] = small_screen,
        engaged: Callable[[], bool] = lambda: True,
    ) -> None:
        self.markers = markers
        self.now_s = now_s
        self.compact = compact
        self.engaged = engaged
        self.side = side
        self.active: tuple[str, Marker] | None = None
        self.prompt: str | None = None
        self.result: str | None = None
        self._t: list[float] = []
        self._cols: dict[str, list[float]] = {}

    @staticmethod
    def handles(key: str) -> bool:
        """True for a test key."""
        return key.lower() in MOVES or key in ANSWERS or key.lower() in SLR_KEYS

    def press(self, key: str) -> str:
        """Apply a key; return a one-line note for the screen."""
        now = self.now_s()
        if key.lower() in SLR_KEYS:
            kind, label = SLR_KEYS[key.lower()]
            self.markers.append(Marker(t_s=now, label=label, kind=kind))
            return f"{kind} ({label}) marked at {now:.1f} s"
        if key.lower() in MOVES:
            movement, how = MOVES[key.lower()]
            if not self.engaged():
                return f"get into the stretch until you feel it, then press {key.lower()}"
            start = Marker(t_s=now, label=f"{movement} test", kind="diff_start")
            self.markers.append(start)
            self.active = (movement, start)
            self._t, self._cols = [], {}
            self.prompt = f"{movement} test: {how}"
            self.result = None
            return f"{movement} test started at {now:.1f} s"
        if self.active is None:
            return "no test running: press a (ankle) or l (look down) first"
        answer = ANSWERS[key]
        end = Marker(t_s=now, label=f"answer: {answer}", kind="diff_end", answer=answer)
        self.markers.append(end)
        self.result = self._judge(self.active[1], end)
        self.active, self.prompt = None, None
        return self.result

    def tick(self, t_s: float, latest: Mapping[str, float]) -> None:
        """Record the newest angles while a test runs; ask for the answer once it moved."""
        if self.active is None:
            return
        if self._t and t_s <= self._t[-1]:
            return
        self._t.append(t_s)
        for col, value in latest.items():
            self._cols.setdefault(col, [np.nan] * (len(self._t) - 1)).append(value)
        for values in self._cols.values():
            if len(values) < len(self._t):
                values.append(np.nan)
        movement = self.active[0]
        seen = self._cols.get(self._remote_column(movement))
        if seen is not None:
            x = np.asarray(seen, dtype=np.float64)
            moved = np.nanmax(x) - np.nanmin(x) if np.isfinite(x).any() else 0.0
            back = np.isfinite(x[-1]) and abs(x[-1] - x[0]) < MIN_REMOTE_CHANGE_DEG / 2
            if moved >= MIN_REMOTE_CHANGE_DEG and back:
                self.prompt = "did the feeling change?  + more   - less   = same"

    def _remote_column(self, movement: str) -> str:
        if movement == "neck":
            return measured_column_for("neck_flexion", self.side, self._cols)
        return angle_column_for("ankle_dorsiflexion", self.side)

    def _judge(self, start: Marker, end: Marker) -> str:
        if len(self._t) < 2:
            return "too short to check: the test does not count; try again"
        t = np.asarray(self._t)
        data = {c: np.asarray(v, dtype=np.float64) for c, v in self._cols.items()}
        window = [
            Marker(t_s=float(t[0]), label=start.label, kind="diff_start"),
            Marker(t_s=float(t[-1]), label="answer", kind="diff_end", answer=end.answer),
        ]
        (test,) = differentiation_tests(t, data, window, side=self.side)
        if not test.valid:
            return test.why
        return f"{test.movement} test valid, answer {test.answer}: {test.reading}"

    def panel(self) -> RenderableType:
        """The key line, the running test's prompt and the last result."""
        compact = self.compact()
        parts: list[RenderableType] = [Text(COMPACT_KEY_LINE if compact else KEY_LINE, style="dim")]
        if self.prompt:
            parts.append(Text(self.prompt, style="bold"))
        if self.result:
            style = "bold red" if "does not count" in self.result else "green"
            parts.append(Text(f"last test: {self.result}", style=style))
        if compact:
            return Group(*parts)
        return Panel(Group(*parts), title="nerve or muscle? · straight-leg raise")
