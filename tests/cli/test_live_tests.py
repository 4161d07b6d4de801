"""The live "nerve or muscle?" guide and the straight-leg raise keys."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from analysis.recording.streams import Marker
from cli.live_tests import LiveTests


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _run(hip_drop_deg: float, answer_key: str) -> tuple[LiveTests, list[Marker], str]:
    clock = Clock()
    markers: list[Marker] = []
    guide = LiveTests(markers, clock, side="right")
    clock.t = 10.0
    guide.press("a")
    assert guide.prompt is not None
    assert guide.prompt.startswith("ankle test: point your toes up")
    for t in np.arange(10.0, 15.0, 0.1):
        bump = max(0.0, 1.0 - abs(t - 12.5) / 1.5)  # toes up and back over 3 s
        latest = {
            "right_hip_flexion_deg": 80.0 - hip_drop_deg * bump,
            "right_knee_flexion_deg": 18.0,
            "right_ankle_dorsiflexion_deg": -15.0 + 27.0 * bump,
        }
        guide.tick(float(t), latest)
    assert guide.prompt == "did the feeling change?  + more   - less   = same"
    clock.t = 15.0
    note = guide.press(answer_key)
    return guide, markers, note


def test_a_still_hip_gives_a_valid_test_and_the_answer():
    guide, markers, note = _run(0.0, "+")
    assert note.startswith("ankle test valid, answer more")
    assert [(m.kind, m.label, m.answer) for m in markers] == [
        ("diff_start", "ankle test", None),
        ("diff_end", "answer: more", "more"),
    ]
    assert guide.prompt is None


def test_a_hip_moving_8_deg_does_not_count():
    guide, _, note = _run(8.0, "=")
    assert note == "your hip moved 8°, the test does not count; try again"
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(guide.panel())
    assert "does not count" in console.export_text()


def test_answer_without_a_test_and_slr_marks():
    clock = Clock()
    markers: list[Marker] = []
    engaged = [False]
    guide = LiveTests(markers, clock, side="left", engaged=lambda: engaged[0])
    assert guide.press("a") == "get into the stretch until you feel it, then press a"
    assert guide.press("=").startswith("no test running")
    engaged[0] = True
    clock.t = 3.0
    assert guide.press("f") == "P1 (first symptom) marked at 3.0 s"
    clock.t = 6.0
    guide.press("x")
    assert [(m.t_s, m.kind) for m in markers] == [(3.0, "P1"), (6.0, "P2")]
    assert not LiveTests.handles("m")
    assert not LiveTests.handles("q")


def test_test_keys_and_symptom_keys_do_not_overlap():
    from analysis.envelope.symptoms import WHAT, WHERE
    from cli.live_tests import ANSWERS, MOVES, SLR_KEYS

    ours = set(MOVES) | set(ANSWERS) | set(SLR_KEYS)
    assert not ours & (set(WHAT) | set(WHERE) | {"m", "q", " "})
