"""``stretchguard batch`` resuming into an output folder with planted files.

A session folder that holds ``envelope.json`` counts as done; its row is read from that and
``session.json`` beside it. Those were read with ``Path.read_text``: a FIFO named
``session.json`` hung the batch before it started (``already done … skipped``, then nothing),
a link to ``/dev/zero`` read until memory ran out.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from stretchguard.batch import FoundSession, finished_row

ENVELOPE = {"profile": "standing_hamstring", "side": "right", "verdict": "inside", "rules": []}


class _HungError(
    Exception
):  # not TimeoutError: that is an OSError, which the reader takes as "missing"
    pass


def _alarm(_sig: int, _frame: object) -> None:
    raise _HungError("hung reading a planted file")


@pytest.mark.parametrize("name", ["session.json", "envelope.json"])
@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_special_file_in_a_finished_folder_is_not_read(
    tmp_path: Path, name: str, kind: str
) -> None:
    folder = tmp_path / "out" / "rec"
    folder.mkdir(parents=True)
    for doc in ("envelope.json", "session.json"):
        if doc != name:
            (folder / doc).write_text(json.dumps(ENVELOPE), encoding="utf-8")
    if kind == "fifo":
        os.mkfifo(folder / name)
    else:
        (folder / name).symlink_to("/dev/zero")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        row = finished_row(FoundSession("rec", ("rec.csv",), "recording"), tmp_path / "out")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert row["status"] == "already done"
    assert row["verdict"] == ("" if name == "envelope.json" else "inside")
