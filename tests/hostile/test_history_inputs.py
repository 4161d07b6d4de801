"""``stretchguard history`` on hostile session folders.

It reads every ``envelope.json`` under the folders it is given (and ``session.json`` beside
it). A FIFO or a link to ``/dev/zero`` under that name hung the command; a document of the
wrong shape (``"rules": "abc"``, a hold of 1e308 s, 100 000 nested lists) ended in an
internal error ("a bug: please report it") instead of a line naming the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import StretchguardError
from stretchguard.history import collect_sessions, history_html

ROOT = Path(__file__).resolve().parents[2]

ENVELOPE = {
    "profile": "standing_hamstring",
    "title": "Standing hamstring stretch",
    "side": "right",
    "verdict": "inside",
    "hold_target_s": 30.0,
    "engaged_s": 40.0,
    "rules": [{"rule": "knee_flexion", "status": "ok", "time_outside_s": 0.0, "episodes": []}],
    "holds": [{"duration_s": 31.0}],
    "markers": [],
}


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_special_file_named_envelope_json_is_one_line_not_a_hang(
    tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "s_2026-01-05"
    folder.mkdir()
    if kind == "fifo":
        os.mkfifo(folder / "envelope.json")
    else:
        (folder / "envelope.json").symlink_to("/dev/zero")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "history",
            str(folder),
            "--out",
            str(tmp_path / "h.html"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 4, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "envelope.json" in lines[0]
    assert "internal error" not in lines[0]
    assert not (tmp_path / "h.html").exists()


WRONG = {
    "rules_a_string": {"rules": "abc"},
    "rules_numbers": {"rules": [1, 2]},
    "episodes_a_string": {"rules": [{"rule": "knee_flexion", "episodes": "xy"}]},
    "holds_a_number": {"holds": 5},
    "holds_strings": {"holds": ["a"]},
    "markers_numbers": {"markers": [1]},
}


@pytest.mark.parametrize("change", list(WRONG), ids=list(WRONG))
def test_an_envelope_of_the_wrong_shape_is_a_clean_error_naming_it(
    tmp_path: Path, change: str
) -> None:
    folder = tmp_path / "s_2026-01-05"
    folder.mkdir()
    (folder / "envelope.json").write_text(json.dumps({**ENVELOPE, **WRONG[change]}))
    with pytest.raises(StretchguardError, match=r"envelope\.json"):
        history_html(collect_sessions([folder]))


def test_an_envelope_nested_100000_deep_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "s_2026-01-05"
    folder.mkdir()
    (folder / "envelope.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StretchguardError, match=r"envelope\.json"):
        collect_sessions([folder])


@pytest.mark.parametrize("field", ["hold", "time_outside"])
def test_absurd_numbers_are_not_drawn(tmp_path: Path, field: str) -> None:
    folder = tmp_path / "s_2026-01-05"
    folder.mkdir()
    doc = dict(ENVELOPE)
    if field == "hold":
        doc["holds"] = [{"duration_s": 1e308}]
    else:
        doc["rules"] = [{"rule": "knee_flexion", "status": "ok", "time_outside_s": 1e308}]
    (folder / "envelope.json").write_text(json.dumps(doc))
    page = history_html(collect_sessions([folder]))
    assert "1e+308" not in page
