r"""Text for the terminal: what came from a file or a device is shown as text, never obeyed.

Labels, exercise names, profile titles, cue texts, file names and error messages can all hold
bytes a user did not type (a marker label ``"\x1b]0;pwned\x07"`` would retitle the terminal,
``"\x1b[2J"`` would clear it). :func:`printable` escapes every control character, the C1
range and the Unicode bidirectional overrides, so a terminal shows them as ``\x1b`` and
``\u202e`` instead of acting on them. Newlines and tabs are kept where a caller prints
several lines.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

__all__ = ["echo", "printable"]

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate
# characters that reorder what a terminal (or a reader) sees.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, multiline: bool = True) -> str:
    """``str(text)`` with every character a terminal would act on written as an escape.

    ``multiline=False`` escapes newlines and tabs too (for a value inside one line).
    """
    pattern = _UNSAFE_MULTILINE if multiline else _UNSAFE_ONE_LINE
    return pattern.sub(_escape, str(text))


def echo(text: object, *, err: bool = False, file: TextIO | None = None) -> None:
    """Print ``text`` made :func:`printable` to stdout (``err=True``: stderr, or ``file``)."""
    stream = file if file is not None else (sys.stderr if err else sys.stdout)
    print(printable(text), file=stream)
