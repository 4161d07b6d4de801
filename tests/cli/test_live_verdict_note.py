"""The live verdict says that the report checks the sensors' accelerometers and live does not.

The accelerometer-prior doubts (still norms, and since round 18 the gyroscope's turns between
still poses) need the whole session's pose fit: the live path has none of them, so the report
may call angles uncertain that the live view trusted. Said, not left silent.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from cli import cmd_live


def _screen(verdict: str) -> SimpleNamespace:
    return SimpleNamespace(angles=SimpleNamespace(tally=SimpleNamespace(verdict=lambda: verdict)))


def test_the_live_verdict_is_followed_by_what_only_the_report_checks(capsys):
    cmd_live._print_verdict(_screen("within the envelope"), Path("s1.csv"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "live verdict: within the envelope"
    assert lines[1].startswith("note: the live view does not check each sensor's accelerometer")
    assert "gyroscope's turns" in lines[1]
    assert lines[2].startswith("next: stretchguard analyse s1.csv")


def test_without_a_live_view_only_the_next_command_is_said(capsys):
    cmd_live._print_verdict(SimpleNamespace(), Path("s1.csv"))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("next: ")
