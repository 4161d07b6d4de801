"""Text from devices and files, made safe to print in a terminal.

A label, a device name or a file name may hold control characters: ``\\x1b]0;...\\x07``
retitles a terminal, ``\\x1b[2J`` clears it, a bidi override reorders what follows.
:func:`printable` shows each of them as a visible escape instead.
"""

from __future__ import annotations

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))

_ESCAPES: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))},
    **{c: f"\\u{c:04x}" for c in _BIDI},
}


def printable(s: str) -> str:
    """``s`` with C0/C1 control characters, DEL and bidi controls as ``\\xNN``/``\\uNNNN``.

    Everything else (letters of any script, emoji, ``°``) is kept as it is.
    """
    return s.translate(_ESCAPES)
