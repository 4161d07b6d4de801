"""Spoken cues for a person bent over a raised leg: the platform's voice, else a bell.

:class:`Speaker` says a text without waiting for it (a child process per utterance, started
with the text as an argument, never through a shell), so the live loop never stalls: a new
text while one is still being spoken waits as the single *pending* text (a newer one replaces
it) and is started by the next :meth:`Speaker.say` or :meth:`Speaker.poll`. Voices: espeak-ng
(Linux), ``say`` (macOS), PowerShell's System.Speech (Windows); with none of them, a terminal
bell. ``quiet`` switches everything off.

:class:`CueVoice` decides what is said in a live session: each cue the moment its rule breaks
and the hold milestones (every 10 s and the target).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import IO, Final

Which = Callable[[str], str | None]

_POWERSHELL_SAY: Final = (
    "Add-Type -AssemblyName System.Speech; "
    "(New-Object System.Speech.Synthesis.SpeechSynthesizer).Speak($env:STRETCHGUARD_SAY)"
)


def voice_command(text: str, *, platform: str | None = None, which: Which = shutil.which):
    """The argv that speaks ``text`` on this platform and any extra environment, or None.

    Returns ``(argv, env_extra)``. The text is one argument (or, for PowerShell, an
    environment variable), never parsed by a shell.
    """
    plat = platform or sys.platform
    if plat.startswith("linux"):
        exe = which("espeak-ng") or which("espeak")
        return ([exe, "--", text], {}) if exe else None
    if plat == "darwin":
        exe = which("say")
        return ([exe, "--", text], {}) if exe else None
    if plat.startswith("win"):
        exe = which("powershell") or which("pwsh")
        if exe:
            return ([exe, "-NoProfile", "-Command", _POWERSHELL_SAY], {"STRETCHGUARD_SAY": text})
    return None


def wav_command(text: str, path: str, *, which: Which = shutil.which) -> list[str] | None:
    """espeak-ng's argv that writes ``text`` spoken to the WAV file ``path`` (None: absent)."""
    exe = which("espeak-ng")
    return [exe, "-w", path, "--", text] if exe else None


class Speaker:
    """Says texts without blocking; falls back to a bell; ``quiet`` says nothing.

    ``command`` overrides the platform voice (argv prefix; the text is appended) — for tests
    and for a user's own voice program.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        command: Sequence[str] | None = None,
        bell_stream: IO[str] | None = None,
        platform: str | None = None,
        which: Which = shutil.which,
    ) -> None:
        self.quiet = quiet
        self._command = list(command) if command is not None else None
        self._platform = platform
        self._which = which
        self._bell = bell_stream if bell_stream is not None else sys.stderr
        self._proc: subprocess.Popen[bytes] | None = None
        self.pending: str | None = None
        self.spoken: list[str] = []
        """Every text handed to the voice (or rung as a bell), in order."""

    @property
    def has_voice(self) -> bool:
        """True when a voice program was found (else the bell is used)."""
        return self._argv("x") is not None

    def _argv(self, text: str) -> tuple[list[str], dict[str, str]] | None:
        if self._command is not None:
            return [*self._command, text], {}
        return voice_command(text, platform=self._platform, which=self._which)

    def busy(self) -> bool:
        """True while an utterance is still being spoken."""
        return self._proc is not None and self._proc.poll() is None

    def say(self, text: str) -> None:
        """Speak ``text`` now, or as soon as the current utterance ends (returns at once)."""
        if self.quiet or not text:
            return
        if self.busy():
            self.pending = text
            return
        self._start(text)

    def poll(self) -> None:
        """Start the pending text if the voice is free (call from the live loop's tick)."""
        if self.pending is not None and not self.busy():
            text, self.pending = self.pending, None
            self._start(text)

    def _start(self, text: str) -> None:
        found = self._argv(text)
        self.spoken.append(text)
        if found is None:
            self._ring()
            return
        argv, extra = found
        env = {**os.environ, **extra} if extra else None
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            self._proc = None
            self._ring()

    def _ring(self) -> None:
        try:
            self._bell.write("\a")
            self._bell.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        """Stop any utterance in progress (at the end of the session)."""
        self.pending = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


def hold_milestones(before_s: float, now_s: float, target_s: float | None) -> list[str]:
    """Words for the hold milestones passed between ``before_s`` and ``now_s`` (seconds).

    Every 10 s is counted ("10 seconds"); the target says "30 seconds — target reached".
    """
    out = []
    if now_s <= before_s:
        return out
    first = int(before_s // 10) + 1
    for k in range(first, int(now_s // 10) + 1):
        sec = 10 * k
        if target_s is not None and abs(sec - target_s) < 1e-9:
            out.append(f"{sec} seconds — target reached")
        else:
            out.append(f"{sec} seconds")
    if target_s is not None and target_s % 10 and before_s < target_s <= now_s:
        out.append(f"{target_s:g} seconds — target reached")
    return out


class CueVoice:
    """What a live session says: each new cue, and the hold milestones."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self._hold_s = 0.0

    def cue(self, text: str) -> None:
        """A rule just broke: say its cue (a newer cue replaces one still waiting)."""
        self.speaker.say(text)

    def hold(self, hold_s: float, target_s: float | None) -> None:
        """The running hold is ``hold_s`` long (0: no hold): say the milestones passed."""
        if hold_s < self._hold_s:  # the hold ended: count again from zero
            self._hold_s = 0.0
        for words in hold_milestones(self._hold_s, hold_s, target_s):
            self.speaker.say(words)
        self._hold_s = hold_s
        self.speaker.poll()
