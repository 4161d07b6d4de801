"""Text for the terminal (see :mod:`stretchguard.text`): re-exported for the commands."""

from __future__ import annotations

from stretchguard.text import echo, printable

__all__ = ["echo", "printable"]
