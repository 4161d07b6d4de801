"""The live screen of ``stretchguard live``: prompts, per-sensor status, and key presses.

Display only: it reads a :class:`~sensors.session.live.LiveSession`'s status and a
:class:`~sensors.session.protocol.GuidedProtocol`, never drives them. :class:`LiveView` is a
stack of panels (``panels``): the guided prompt, the sensors (one line while every sensor
streams without trouble, a compact row each otherwise, so the rules and the cue keep their
place at 80×24) and the joint-angle and cue panel (any callable returning a rich renderable).
:class:`KeyReader` turns single key presses on a terminal into callbacks (``m``/space: mark a
symptom, ``q``: stop) without echo or Enter.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import IO

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cli.text import printable
from sensors.session.battery import LOW_BATTERY_PCT
from sensors.session.live import LiveSession
from sensors.session.protocol import GuidedProtocol
from sensors.session.types import LinkState, SensorStatus

Panelfn = Callable[[], RenderableType]

_STATE_STYLE = {
    LinkState.STREAMING: "green",
    LinkState.CONNECTING: "yellow",
    LinkState.RECONNECTING: "bold yellow",
    LinkState.WAITING: "dim",
    LinkState.STOPPED: "dim",
    LinkState.FAILED: "bold red",
}


class LiveView:
    """Renders the live session; ``panels`` are drawn top to bottom."""

    def __init__(
        self,
        session: LiveSession,
        protocol: GuidedProtocol,
        *,
        out_name: str,
        keys_hint: bool = True,
    ) -> None:
        self.session = session
        self.protocol = protocol
        self.out_name = out_name
        self.keys_hint = keys_hint
        self.messages: list[str] = []
        self.panels: list[Panelfn] = [self.prompt_panel, self.sensor_table]

    def note(self, message: str) -> None:
        """Show a short message under the table (latest three)."""
        self.messages = [*self.messages[-2:], message]

    def render(self) -> RenderableType:
        """The whole screen."""
        parts = [panel() for panel in self.panels]
        footer = Text()
        if self.keys_hint:
            footer.append("m/space", style="bold")
            footer.append(": mark a symptom   ")
            footer.append("q", style="bold")
            footer.append(": stop   ")
        footer.append(f"recording to {printable(self.out_name, multiline=False)}", style="dim")
        for m in self.messages:
            footer.append(f"\n{printable(m, multiline=False)}", style="cyan")
        return Group(*parts, footer)

    def prompt_panel(self) -> RenderableType:
        """The guided protocol's current prompt and countdown."""
        now = self.session.now_s()
        step, left = self.protocol.current(now)
        if self.protocol.start_s is None:
            body = Text("connecting to the sensors ...", style="yellow")
        elif step is None:
            wait = f" in {left:.0f} s" if left is not None else ""
            body = Text(f"get ready{wait}", style="yellow")
        else:
            body = Text(printable(step.prompt), style="bold")
            if left is not None:
                body.append(f"   {left:4.1f} s", style="cyan")
        elapsed = 0.0 if self.protocol.start_s is None else now - self.protocol.start_s
        return Panel(body, title=f"session {elapsed:6.1f} s", border_style="blue")

    def sensor_table(self) -> RenderableType:
        """One line when every sensor streams without trouble; else one row per sensor."""
        status = self.session.status()
        rows = [(s, _issues(s)) for s in status]
        if status and all(s.state == LinkState.STREAMING and not i for s, i in rows):
            line = Text(f"sensors: all {len(status)} streaming  ", style="green", no_wrap=True)
            line.append(
                "  ".join(
                    f"{s.placement} {s.measured_rate_hz:.0f} Hz{_battery(s)}" for s in status
                ),
                style="dim",
            )
            line.overflow = "ellipsis"
            return line
        table = Table(expand=True, header_style="bold", box=None, padding=(0, 1))
        for col in ("sensor", "state", "rate Hz", "samples", "issues"):
            table.add_column(
                col,
                justify="right" if col in ("rate Hz", "samples") else "left",
                no_wrap=col != "issues",
                overflow="ellipsis",
            )
        for s, issues in rows:
            rate = f"{s.measured_rate_hz:.0f}" + (f"/{s.rate_hz:g}" if s.rate_hz else "")
            table.add_row(
                s.placement,
                Text(str(s.state), style=_STATE_STYLE.get(s.state, "")),
                rate,
                str(s.samples),
                ", ".join(issues),
            )
        return table


def _issues(s: SensorStatus) -> list[str]:
    """A sensor's problems in words (empty: none)."""
    c = s.counts
    issues = []
    bad = c.get("corrupt", 0) + c.get("truncated", 0) + c.get("unknown", 0)
    if bad:
        issues.append(f"{bad} bad packets")
    if s.reconnects:
        issues.append(f"{s.reconnects} reconnects")
    if s.gaps:
        issues.append(f"{s.gaps} gaps")
    if s.battery_pct is not None and s.battery_pct < LOW_BATTERY_PCT:
        issues.append(f"battery {s.battery_pct} % LOW")
    return issues


def _battery(s: SensorStatus) -> str:
    """`` 87 %`` where the sensor reports its battery level, else empty."""
    return "" if s.battery_pct is None else f" {s.battery_pct} %"


class KeyReader:
    """Single key presses from a terminal on stdin, delivered to ``on_key`` in the loop.

    Does nothing when stdin is not a terminal (tests, pipes). Restores the terminal on exit.
    """

    def __init__(self, on_key: Callable[[str], None], *, stream: IO[str] | None = None) -> None:
        self.on_key = on_key
        self.stream = stream or sys.stdin
        self._saved: list[object] | None = None
        self._fd: int | None = None

    def __enter__(self) -> KeyReader:
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            return self
        if not os.isatty(fd):
            return self
        import termios
        import tty

        self._fd = fd
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        asyncio.get_running_loop().add_reader(fd, self._read)
        return self

    def _read(self) -> None:
        assert self._fd is not None
        data = os.read(self._fd, 32).decode("utf-8", errors="ignore")
        for ch in data:
            self.on_key(ch)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is None:
            return
        import termios

        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self._fd)
        if self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None
