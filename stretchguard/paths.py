"""Where outputs may go: checked before any work, so a refusal costs the user nothing."""

from __future__ import annotations

import os
from pathlib import Path

from analysis.errors import ConfigError, OutputExistsError

__all__ = ["check_new_output"]


def check_new_output(path: str | Path, *, folder: bool = False) -> Path:
    """Check before any work that ``path`` can be created as a new file (or folder).

    Refused with a one-line error: an existing file, anything at a symbolic link (even a
    dangling one: writing through it would land elsewhere), a non-empty folder (an empty one
    is accepted when ``folder``), a parent that is not a folder, a parent the user cannot
    write into. A missing parent is accepted for a folder (created with it) and refused for a
    file.
    """
    p = Path(path)
    if p.is_symlink():
        raise OutputExistsError(p, "is a symbolic link; give a new name")
    if p.exists():
        if not (folder and p.is_dir() and not any(p.iterdir())):
            raise OutputExistsError(p)
        return p
    parent = p.parent
    while folder and not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.exists():
        raise ConfigError(f"{p}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise ConfigError(f"{p}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{p}: cannot write into {parent} (permission denied)")
    return p
