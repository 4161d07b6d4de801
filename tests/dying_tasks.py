"""A batch task whose worker process dies at a chosen point (for tests/cli/test_batch.py).

It stands in for :func:`stretchguard.batch.run_task` in the pool (the test patches the name
the pool submits) and runs the real task, but first or afterwards kills its own worker with
SIGKILL (as the kernel's out-of-memory killer would) when a cue file asks for it:

- ``<out>/../cues/before-<session>``: die before the task starts (nothing written), once;
- ``<out>/../cues/after-<session>``: die after the task wrote its whole folder, before its
  row is returned, once;
- ``<out>/../cues/always-<session>``: die before the task starts, every time.

A one-time cue is consumed by deleting it (atomic: exactly one attempt dies). Every attempt
appends the session's name to ``<out>/../cues/attempts.log``.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from stretchguard.batch import BatchTask, run_task


def cue_folder(out_dir: str | Path) -> Path:
    """Where the cues of a batch writing into ``out_dir`` live."""
    return Path(out_dir).parent / "cues"


def _claim(cue: Path) -> bool:
    try:
        cue.unlink()
    except FileNotFoundError:
        return False
    return True


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def run_task_dying_on_cue(task: BatchTask) -> dict:
    """:func:`run_task`, with this worker killed where a cue file says."""
    cues = cue_folder(task.out_dir)
    name = task.session.name
    with (cues / "attempts.log").open("a", encoding="utf-8") as log:
        log.write(name + "\n")
    if (cues / f"always-{name}").exists() or _claim(cues / f"before-{name}"):
        _die()
    row = run_task(task)
    if _claim(cues / f"after-{name}"):
        _die()
    return row
