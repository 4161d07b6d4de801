"""The live screen says what the report says of approximate readings and grazed limits.

Two marks the report gives offline (round 21): a knee held bent for much of the session is an
*approximate reading* (its soft tissue's ±; its rule verdicts stand), and a trusted reading
that stays just past a limit, within its measuring error of the point a break counts from,
makes the rule *uncertain* (``near_latch_runs``). The live path says both on the session so
far, in the report's words: the terminal screen's panel (``cli.live_angles.LiveAngles``), the
page's snapshot (``doubts``), and the end-of-session verdict.

The replays drive the terminal screen's own object: every second of session time the
recording's samples that arrived go to ``LiveAngles.on_samples`` and ``tick`` runs, with the
calibration windows the file's analysis found, as ``stretchguard live`` does.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.envelope.monitor import MonitorState, RuleNow
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import NEAR_LATCH_REDO, NearLatchRun
from analysis.recording.doubts import trace_bounded
from analysis.recording.streams import CalibrationWindows, Recording, streams_from_samples
from analysis.report.page import approximate_lines
from analysis.simulation import SimulationConfig, simulate
from cli.live_angles import LiveAngles, approximate_knees
from cli.live_feed import SessionTally, end_block, snapshot
from sensors.session.types import AlignedBatch
from stretchguard import analyse
from tests.analysis.builders import monitor_state, near_latch_run
from tests.cli.seated_scenarios import registered

KNEE = "right_knee_flexion_deg"


class _Accepting:
    """The guided protocol's calls the live angles make, with the file's windows."""

    def __init__(self, windows: CalibrationWindows) -> None:
        self.windows = windows
        self.attempts: list = []  # none judged yet: the guide still looks for a lying sensor

    def hold_until(self, start_s: float) -> None:
        """No sensor of these files lies apart; were one seen, the test would fail below."""
        raise AssertionError(f"the guide held its steps until {start_s} s")

    def to_check(self, now_s: float) -> CalibrationWindows | None:
        assert self.windows.functional_s is not None
        return self.windows if now_s >= self.windows.functional_s[1] + 0.5 else None

    def judge(self, now_s: float, shortfall: str | None) -> bool:
        return False  # accepted: no movements asked again


def _replay(rec: Recording, windows: CalibrationWindows, profile: str) -> tuple[LiveAngles, list]:
    """``rec`` through the terminal screen's ``LiveAngles``, one tick per session second.

    Returns the live angles after the last tick and each tick's ``(t_s, panel text)``.
    """
    live = LiveAngles(
        tuple(rec.streams),
        rate_hz=lambda: None,
        profile=load_builtin_profile(profile),
        side="right",
        protocol=_Accepting(windows),  # type: ignore[arg-type]
    )
    pos = dict.fromkeys(rec.streams, 0)
    end = max(float(s.t_s[-1]) for s in rec.streams.values())
    panels = []
    for now in np.arange(1.0, end + 2.0, 1.0):
        for p, s in rec.streams.items():
            j = int(np.searchsorted(s.t_s, now, side="right"))
            if j > pos[p]:
                sl = slice(pos[p], j)
                live.on_samples(AlignedBatch(p, s.t_s[sl], s.acc_m_s2[sl], s.gyr_rad_s[sl]))
                pos[p] = j
        if live.pipeline is not None and not hasattr(live.pipeline.step, "keywords"):
            # the re-decisions' rows at once, not when a background thread is done
            live.pipeline.step = functools.partial(live.pipeline.step, wait=True)
        live.tick(float(now))
        panels.append((float(now), _plain(live)))
    live.close()
    return live, panels


def _plain(live: LiveAngles) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(live.panel())
    return console.export_text()


def _session(name: str) -> tuple[Recording, Any]:
    """Scenario ``name`` (seed 0) as a recording, and the file analysis of it."""
    with registered():
        sim = simulate(name, config=SimulationConfig(seed=0))
    rec = Recording(streams=streams_from_samples(sim.samples), meta=sim.meta)
    res = analyse(rec, exercise=None, side=None, notice=lambda _m: None, workers=1)
    return rec, res


def _windows(res: Any) -> CalibrationWindows:
    cal = res.angles.calibration
    return CalibrationWindows(static_s=cal.static_s, functional_s=cal.functional_s)


@pytest.fixture(scope="module")
def deep() -> tuple[Any, LiveAngles, list]:
    rec, res = _session("seated_deep")
    live, panels = _replay(rec, _windows(res), "seated_slider")
    return res, live, panels


@pytest.fixture(scope="module")
def graze() -> tuple[Any, LiveAngles, list]:
    rec, res = _session("seated_graze")
    live, panels = _replay(rec, _windows(res), "seated_slider")
    return res, live, panels


def test_a_knee_held_bent_is_said_approximate_live_as_in_the_report(deep):
    res, live, panels = deep
    doc = json.loads(res.envelope.to_json())
    assert doc["angle_precision"][KNEE]["rules"] == "per_time"  # the report marks it
    (line,) = live.tally.approximate_lines()
    assert line.startswith(f"Approximate readings (rule verdicts on them stand): {KNEE} — ")
    assert "the right knee was bent about 8" in line  # the seated 85°
    (offline,) = approximate_lines(res.envelope)
    # the same sentence but for the numbers, taken on the session so far
    words = lambda s: "".join(c for c in s if not (c.isdigit() or c == "."))  # noqa: E731
    assert words(line) == words(offline)
    # on the screen from some tick on, to the end; never before the knee was bent
    shown = [t for t, text in panels if "Approximate readings" in text]
    assert shown
    assert shown[-1] == panels[-1][0]
    assert shown == [t for t, _ in panels if t >= shown[0]]
    # its rules are judged as read: the knee rule is never shown uncertain for it
    assert live.state is not None
    (knee,) = [r for r in live.state.rules if r.rule == "knee_flexion"]
    assert knee.status != "uncertain"
    assert not live.tally.near_latch_lines()


def test_a_reading_grazing_the_break_point_is_said_uncertain_live_as_in_the_report(graze):
    res, live, panels = graze
    (rule,) = [r for r in res.envelope.rules if r.rule == "knee_flexion"]
    assert rule.status == "uncertain"
    (run,) = rule.near_latch
    (line,) = live.tally.near_latch_lines()
    assert line.startswith("uncertain so far: knee flexion — the knee read ")
    assert "past the 10° limit and within its measuring error (2°) of 8.5°" in line
    assert line.endswith(f"; {NEAR_LATCH_REDO}.")
    (seen,) = live.tally.near_latch.values()
    assert abs(seen.start_s - run.start_s) < 1.0
    assert abs(seen.end_s - run.end_s) < 1.0
    # said once the run ended (the reading back inside the limit), never before it
    shown = [t for t, text in panels if "uncertain so far: knee flexion" in text]
    assert shown
    assert run.end_s <= shown[0] <= run.end_s + 3.0
    assert shown == [t for t, _ in panels if t >= shown[0]]
    assert not live.tally.cues  # no cue: the run is no break
    assert not live.tally.approximate_lines()  # a knee at 35° is trusted as read


def test_the_page_and_the_end_of_session_say_the_same_lines(graze, tmp_path: Path):
    _, live, _ = graze

    class _Session:
        def now_s(self) -> float:
            return 90.0

        def status(self) -> list:
            return []

    class _Protocol:
        start_s = 0.0

        def current(self, now_s: float) -> tuple[None, None]:
            return None, None

        steps: tuple = ()

    snap = snapshot(_Session(), _Protocol(), live, live.tally, seq=1, out=tmp_path / "x.csv")
    assert snap["doubts"] == live.tally.doubt_lines()
    assert len(snap["doubts"]) == 1
    end = end_block(live.tally, tmp_path / "x.csv")
    assert end["doubts"] == snap["doubts"]


# --- the pieces ------------------------------------------------------------------------------


def _state(runs: tuple[NearLatchRun, ...], cue_rule: str | None = None) -> MonitorState:
    rules = ()
    cues: tuple[str, ...] = ()
    if cue_rule is not None:
        rules = (RuleNow(rule=cue_rule, status="outside", angle_deg=5.0, advisory=False, cue="c"),)
        cues = ("c",)
    return monitor_state(t_s=100.0, rules=rules, new_cues=cues, near_latch=runs)


def test_the_tally_keeps_each_run_once_and_says_it_in_the_report_s_words():
    tally = SessionTally()
    tally.update(_state((near_latch_run(30.0, 42.0, closest_deg=8.8),)))
    # the window moved on: clipped
    tally.update(_state((near_latch_run(30.5, 42.0, closest_deg=8.8),)))
    tally.update(_state((near_latch_run(60.0, 63.0, closest_deg=9.1),)))
    (line,) = tally.near_latch_lines()
    assert line == (
        "uncertain so far: knee flexion — the knee read 8.8° for 12 s (0:30–0:42), past the 10° "
        "limit and within its measuring error (2°) of 8.5°, the point where a break counts: the "
        "sensors cannot tell whether the limit was broken there (and 1 more such runs). Not "
        f"counted as outside and not breaking a hold; {NEAR_LATCH_REDO}."
    )


def test_a_rule_that_broke_is_not_said_uncertain():
    tally = SessionTally()
    tally.update(_state((near_latch_run(30.0, 42.0, closest_deg=8.8),)))
    tally.update(_state((), cue_rule="knee_flexion"))
    assert tally.near_latch_lines() == []  # the report's rule is violated, not uncertain


def test_the_approximate_line_is_the_report_s_sentence():
    from analysis.envelope.checker import check_envelope
    from tests.analysis.test_envelope import standing_session

    entry = trace_bounded("bent far", "strap it", 2.5)
    res = check_envelope(
        standing_session(),
        load_builtin_profile("standing_hamstring"),
        side="right",
        uncertain={KNEE: entry},
    )
    tally = SessionTally(approximate={KNEE: entry})
    assert tally.approximate_lines() == approximate_lines(res)


def test_a_knee_doubted_for_another_reason_keeps_its_own_words():
    from analysis.angles.live_redecide_doubts import KneeTissueSoFar

    bent = KneeTissueSoFar()
    bent.add(np.full(3000, 88.0))
    straight = KneeTissueSoFar()
    straight.add(np.full(3000, 20.0))
    tissue = {KNEE: bent, "left_knee_flexion_deg": straight}
    (column,) = approximate_knees(tissue, doubted=())
    assert column == KNEE
    assert approximate_knees(tissue, doubted={KNEE}) == {}


def test_the_end_of_session_print_says_the_lines_after_the_verdict(graze, capsys):
    from types import SimpleNamespace

    from cli import cmd_live

    _, live, _ = graze
    cmd_live._print_verdict(SimpleNamespace(angles=live), Path("s1.csv"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("live verdict: ")
    assert lines[1] == f"live: {live.tally.doubt_lines()[0]}"
    assert lines[1].startswith("live: uncertain so far: knee flexion — the knee read ")
