"""The command line's edges: one-line errors, text from files shown as text, output paths."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import OutputExistsError, RecordingFormatError
from cli.common import DEMO_SESSION, check_new_output, fixture_path
from cli.main import (
    EXIT_CONFIG,
    EXIT_DATA,
    EXIT_INTERNAL,
    EXIT_PIPE_CLOSED,
    describe_error,
    main,
)
from cli.text import printable

HOSTILE = "\x1b]0;pwned\x07 \x1b[2J \x9b31m \u202egnp.exe"


def test_printable_escapes_what_a_terminal_would_obey():
    shown = printable(HOSTILE)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\u202e" not in shown
    assert shown == "\\x1b]0;pwned\\x07 \\x1b[2J \\x9b31m \\u202egnp.exe"


def test_printable_keeps_lines_unless_asked_for_one():
    assert printable("a\n\tb") == "a\n\tb"
    assert printable("a\n\tb", multiline=False) == "a\\x0a\\x09b"
    assert printable("naïve – 30 s ✓") == "naïve – 30 s ✓"


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory) -> Path:
    """The embedded demo recording and its sidecar, copied so tests may edit the sidecar."""
    folder = tmp_path_factory.mktemp("demo")
    src = fixture_path(DEMO_SESSION)
    dst = folder / DEMO_SESSION
    shutil.copyfile(src, dst)
    shutil.copyfile(src.with_name(src.name.replace(".csv.gz", ".json")), folder / "x.json")
    return dst


def _with_sidecar(demo: Path, folder: Path, edit) -> Path:
    """A copy of the demo recording whose sidecar was changed by ``edit(dict)``."""
    folder.mkdir()
    csv_path = folder / "s.csv.gz"
    shutil.copyfile(demo, csv_path)
    meta = json.loads((demo.parent / "x.json").read_text(encoding="utf-8"))
    edit(meta)
    (folder / "s.json").write_text(json.dumps(meta), encoding="utf-8")
    return csv_path


def test_info_shows_hostile_labels_as_text(demo_copy, tmp_path, capsys):
    def edit(meta):
        meta["markers"] = [{"t_s": 5.0, "label": HOSTILE, "kind": "symptom\x1b[31m"}]
        meta["exercise"] = "standing_hamstring\x1b[2J"

    rec = _with_sidecar(demo_copy, tmp_path / "h", edit)
    assert main(["info", str(rec)]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in out
    assert "\\x1b]0;pwned\\x07" in out
    assert "\\x1b[2J" in out


def test_error_lines_escape_the_text_they_quote(tmp_path, capsys):
    bad = tmp_path / "bad\x1b[2J.csv"
    bad.write_text("t_s,sensor\n", encoding="utf-8")
    code = main(["info", str(bad)])
    err = capsys.readouterr().err
    assert code == EXIT_DATA
    assert "\x1b" not in err
    assert err.count("\n") == 1
    assert err.startswith("stretchguard: error: ")


def test_output_at_a_dangling_symlink_is_refused(tmp_path):
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputExistsError, match="symbolic link"):
        check_new_output(link, folder=True)
    with pytest.raises(OutputExistsError, match="symbolic link"):
        check_new_output(link)
    assert not (tmp_path / "nowhere").exists()


def test_output_under_a_file_or_a_missing_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("keep", encoding="utf-8")
    with pytest.raises(Exception, match="is not a folder"):
        check_new_output(tmp_path / "file" / "out", folder=True)
    with pytest.raises(Exception, match="does not exist"):
        check_new_output(tmp_path / "missing" / "x.csv")
    assert check_new_output(tmp_path / "missing" / "deeper", folder=True).name == "deeper"
    (tmp_path / "empty").mkdir()
    assert check_new_output(tmp_path / "empty", folder=True).is_dir()
    with pytest.raises(OutputExistsError):
        check_new_output(tmp_path / "file")
    assert (tmp_path / "file").read_text(encoding="utf-8") == "keep"


def test_analyse_refuses_bad_output_paths_before_analysing(demo_copy, tmp_path, capsys):
    (tmp_path / "file").write_text("keep", encoding="utf-8")
    assert main(["analyse", str(demo_copy), "--out", str(tmp_path / "file" / "r")]) == EXIT_CONFIG
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    assert main(["analyse", str(demo_copy), "--out", str(link)]) == EXIT_DATA
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not (tmp_path / "elsewhere").exists()
    assert (tmp_path / "file").read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (FileNotFoundError(2, "No such file or directory", "/x/y"), EXIT_DATA, "/x/y: No such"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), EXIT_DATA, "unread"),
        (csv.Error("field larger than field limit (131072)"), EXIT_DATA, "field larger"),
        (RecursionError("maximum recursion depth exceeded"), EXIT_DATA, "unreadable"),
        (RecordingFormatError("f.csv", "bad"), EXIT_DATA, "f.csv"),
        (ZeroDivisionError("division by zero"), EXIT_INTERNAL, "--debug"),
    ],
)
def test_every_error_is_described_in_one_line(exc, code, words):
    message, got = describe_error(exc)
    assert got == code
    assert words in message
    assert "\n" not in message


def test_a_closed_output_pipe_ends_quietly_with_141(tmp_path):
    """`stretchguard info F | head` must not print a BrokenPipeError traceback."""
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone away before anything is written
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cli.main", "simulate", "--list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == EXIT_PIPE_CLOSED
    assert "Traceback" not in err
