"""Text from files is shown as text in the HTML report and the history page.

A marker label, the notes or a sensor name can hold characters a reader never typed: HTML
(escaped since round 9), terminal escapes, and the bidirectional controls (U+202E RIGHT-TO-
LEFT OVERRIDE, U+2066 … isolates) that make a browser show the text after them reversed or
moved. The terminal shows them as ``\\x1b`` / ``\\u202e`` (``stretchguard.text``); the pages
now do too.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stretchguard import analysing
from stretchguard.history import history_html, record_from_analysis
from stretchguard.inputs import load_recording
from tests.vendor_writers import write_movella_dot

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"
HOSTILE = "<script>alert(1)</script>\x1b[2J\u202eevil\u2066x\u200f\x07"
ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> analysing.SessionAnalysis:
    folder = tmp_path_factory.mktemp("text")
    rec = folder / "rec.csv"
    rec.write_bytes(gzip.decompress(DEMO.read_bytes()))
    side = json.loads(DEMO.with_name("demo_standing_stretch.json").read_text("utf-8"))
    side["markers"].append({"t_s": 50.0, "label": HOSTILE, "kind": "symptom"})
    side["notes"] = HOSTILE
    for sensor in side["sensors"].values():
        sensor["name"] = HOSTILE
    (folder / "rec.json").write_text(json.dumps(side), encoding="utf-8")
    return analysing.analyse(load_recording(rec), progress=False, notice=lambda _m: None)


def _check(page: str) -> None:
    assert "<script>alert" not in page
    assert ACTING.findall(page) == []  # no control or bidi character reaches the browser
    assert "\\u202eevil\\u2066x\\u200f\\x07" in page  # … shown, as the terminal shows it
    assert "\\x1b[2J" in page


def test_the_report_shows_control_and_bidi_characters_as_text(analysis) -> None:
    _check(analysing._report_html(analysis))


def test_the_history_page_shows_control_and_bidi_characters_as_text(analysis) -> None:
    _check(history_html([record_from_analysis(analysis)]))


def test_output_names_are_shown_on_one_line_with_their_controls_as_codes(tmp_path: Path) -> None:
    # import printed "wrote NAME" with print(): an ESC in the name reached the terminal raw, and
    # a newline let the name write a line of its own ("wrote …" lines of analyse, export and
    # history kept newlines too).
    t = np.arange(600) / 60.0
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (600, 1))
    src = write_movella_dot(
        tmp_path / "Pelvis_1.csv", t_s=t, quat=quat, free_acc_m_s2=0 * quat[:, 1:]
    )
    out = tmp_path / "a\nstretchguard: all good\x1b[2J.csv"
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "import", str(src), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert ACTING.findall(run.stdout + run.stderr) == []
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("wrote ")
    assert "a\\x0astretchguard: all good\\x1b[2J.csv and" in last
    assert not any(ln.startswith("stretchguard: all good") for ln in run.stdout.splitlines())
