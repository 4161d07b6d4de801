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


def _session(root: Path, name: str, started_at: str | None) -> None:
    folder = root / name
    folder.mkdir()
    (folder / "envelope.json").write_text(json.dumps(ENVELOPE))
    if started_at is not None:
        (folder / "session.json").write_text(json.dumps({"started_at": started_at}))


def test_start_times_with_and_without_a_utc_offset_are_put_on_one_calendar(
    tmp_path: Path,
) -> None:
    # A DOT import's start carries its offset (+08:00), an older sidecar's or a folder's date
    # does not: sorting them ended in an internal error (naive against aware datetimes).
    _session(tmp_path, "a", "2026-01-05T09:00:00+08:00")
    _session(tmp_path, "b", "2026-01-06T09:00:00")
    _session(tmp_path, "2026-01-07", None)
    records = collect_sessions([tmp_path])
    days = [r.when.date().isoformat() for r in records]
    assert days == ["2026-01-05", "2026-01-06", "2026-01-07"]
    assert "5 Jan" in history_html(records)


@pytest.mark.parametrize("started_at", ["0001-01-01", "9999-12-31T23:59:59", "1000-06-01"])
def test_a_start_date_no_session_can_have_is_a_clean_error_naming_the_file(
    tmp_path: Path, started_at: str
) -> None:
    # The calendar's margins around 0001-01-01 or 9999-12-31 overflowed Python's dates: an
    # internal error instead of a line naming the session.
    _session(tmp_path, "a", started_at)
    _session(tmp_path, "b", "2026-01-06T09:00:00")
    with pytest.raises(StretchguardError, match=r"a: session start .*started_at.*1970–2999"):
        history_html(collect_sessions([tmp_path]))


def test_an_impossible_date_in_a_folder_name_is_no_date_not_a_broken_envelope(
    tmp_path: Path,
) -> None:
    _session(tmp_path, "2026-99-99", None)
    with pytest.raises(StretchguardError, match="no date for this session"):
        collect_sessions([tmp_path])


def test_a_start_time_that_is_no_date_is_named_as_such(tmp_path: Path) -> None:
    # It was "no date for this session (no session.json with started_at …)": it had one.
    _session(tmp_path, "a", "x\x1b[31m<b>")
    with pytest.raises(StretchguardError, match=r"a: started_at 'x\\x1b\[31m<b>' is not a date"):
        collect_sessions([tmp_path])
