"""The live symptom keys write labelled marks into the session's list and flag red flags."""

from __future__ import annotations

import io

from rich.console import Console

from analysis.recording.streams import Marker
from cli.live_marks import LiveMarks


def _render(marks: LiveMarks) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(marks.panel())
    return console.export_text()


def test_keys_make_one_labelled_mark_and_raise_the_red_flag():
    clock = iter([10.0, 10.0, 11.5, 11.5, 30.0, 30.0])
    markers: list[Marker] = [Marker(t_s=1.0, label="symptom")]
    marks = LiveMarks(markers, lambda: next(clock), compact=lambda: False)
    assert not marks.handles("q")
    assert marks.press("2") == "marked felt in the sole at 10.0 s"
    assert marks.press("n") == "marked numbness in the sole at 10.0 s"
    assert markers[1:] == [
        Marker(t_s=10.0, label="numbness in the sole", where="sole", what="numbness")
    ]
    screen = _render(marks)
    assert "4 behind the knee" in screen
    assert "RED FLAG" in screen
    assert marks.press("s") == "marked stretch at 30.0 s"
    assert len(markers) == 3


def test_no_red_flag_for_a_hamstring_stretch():
    markers: list[Marker] = []
    marks = LiveMarks(markers, lambda: 5.0, compact=lambda: True)
    marks.press("5")
    marks.press("s")
    assert markers == [
        Marker(
            t_s=5.0,
            label="stretch in the back of the thigh",
            where="back of the thigh",
            what="stretch",
        )
    ]
    screen = _render(marks)
    assert "RED FLAG" not in screen
    assert "where 1 heel" in screen  # the one-line key map of a small terminal
