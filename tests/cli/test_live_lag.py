"""The live screen says when it is behind the sensors (a busy computer), and clears the line
when it has caught up; the sidecar keeps when it was behind.

Lateness is made deterministic here: a slow consumer is simulated on the session clock
(batches handed to the angles a fixed number of session seconds late), never by loading
the machine, so nothing depends on how busy the test host is.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from rich.console import Console

from analysis.envelope.profiles import load_builtin_profile
from cli.cmd_live import _Screen, slowed_words
from cli.live_angles import LiveAngles
from cli.live_lag import CLEAR_S, SHOW_S, LagWatch, behind_words, lag_s
from sensors.session.protocol import GuidedProtocol
from sensors.session.types import AlignedBatch
from sensors.virtual.scenario import record_virtual_session
from tests.cli.late_delivery import SlowConsumer

PLACEMENTS = ("pelvis", "right_thigh", "right_shank", "right_foot")


# --- the pure measure ------------------------------------------------------------------------


def test_lag_is_now_minus_the_newest_sample():
    assert lag_s(12.5, 6.0) == 6.5
    assert lag_s(6.0, 6.0) == 0.0


def test_a_sample_a_hair_ahead_of_now_is_no_lag():
    assert lag_s(10.0, 10.004) == 0.0


def test_no_sample_no_lag():
    assert lag_s(3.0, None) is None
    assert lag_s(3.0, float("-inf")) is None
    assert lag_s(3.0, float("nan")) is None


def test_the_words_say_how_late_and_why():
    words = behind_words(6.2)
    assert words.startswith("Angles are 6 s behind the sensors")
    assert "busy" in words
    assert "cues come late" in words


# --- when the screen says it ---------------------------------------------------------------


def test_shown_from_the_threshold_and_cleared_only_when_caught_up():
    watch = LagWatch()
    watch.update(10.0, 9.8)  # normal: a fraction of a second
    assert not watch.behind
    assert watch.words() is None
    watch.update(20.0, 20.0 - SHOW_S - 0.5)
    assert watch.behind
    assert watch.words() == behind_words(SHOW_S + 0.5)
    watch.update(21.0, 21.0 - (CLEAR_S + SHOW_S) / 2)  # catching up, not yet under CLEAR_S
    assert watch.behind
    watch.update(22.0, 22.0 - CLEAR_S / 2)
    assert not watch.behind
    assert watch.words() is None
    assert watch.episodes == [{"from_t_s": 20.0, "to_t_s": 22.0, "max_lag_s": SHOW_S + 0.5}]


def test_silent_sensors_are_not_a_busy_computer():
    """No new sample since the last tick: the sensors stopped (said elsewhere), not the host."""
    watch = LagWatch()
    watch.update(10.0, 9.9)
    for now in (12.0, 20.0, 40.0):
        watch.update(now, 9.9)
    assert not watch.behind
    assert watch.sidecar() is None


def test_the_sidecar_lists_every_episode():
    watch = LagWatch()
    for now, newest in ((10.0, 4.0), (11.0, 10.8), (30.0, 25.0), (31.0, 30.9)):
        watch.update(now, newest)
    side = watch.sidecar()
    assert side == {
        "show_s": SHOW_S,
        "max_lag_s": 6.0,
        "episodes": [
            {"from_t_s": 10.0, "to_t_s": 11.0, "max_lag_s": 6.0},
            {"from_t_s": 30.0, "to_t_s": 31.0, "max_lag_s": 5.0},
        ],
    }


# --- the screen line -------------------------------------------------------------------------


def _batch(placement: str, t0_s: float, n: int = 10, rate_hz: float = 100.0) -> AlignedBatch:
    t = t0_s + np.arange(n) / rate_hz
    acc = np.tile([0.0, 0.0, 9.81], (n, 1))
    return AlignedBatch(placement, t, acc, np.zeros((n, 3)))


def _screen_text(angles: LiveAngles) -> str:
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(angles.panel())
    return console.export_text()


def test_the_panel_says_it_is_behind_then_clears():
    angles = LiveAngles(
        PLACEMENTS,
        rate_hz=lambda: 100.0,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=GuidedProtocol(),
    )
    for p in PLACEMENTS:
        angles.on_samples(_batch(p, 0.0))
    angles.tick(6.1)  # the newest sample (0.09 s) is 6 s old: processed late
    text = _screen_text(angles)
    assert "Angles are 6 s behind the sensors" in text
    assert "calibrating" in text  # the panel's own content stays
    for p in PLACEMENTS:
        angles.on_samples(_batch(p, 6.0))
    angles.tick(6.2)  # caught up
    assert "behind the sensors" not in _screen_text(angles)


# --- through a whole virtual session -------------------------------------------------------

LATE_FROM_S, LATE_TO_S, LATE_S = 4.0, 9.0, 6.0
"""Batches whose last sample falls in [LATE_FROM_S, LATE_TO_S) session s reach the angles
LATE_S session seconds late (a consumer that cannot keep up); the others at once."""


async def test_a_virtual_session_processed_late_says_so_and_records_it(tmp_path: Path):
    out = tmp_path / "live.csv"
    screen = _Screen(out, display=False, exercise="standing_hamstring", side="right")
    seen: list[tuple[float, bool, str | None]] = []

    def observe(session, protocol):
        tick = screen.attach(session, protocol)
        angles = screen.angles
        assert angles is not None
        slow = SlowConsumer(
            angles.on_samples,
            session.now_s,
            late_from_s=LATE_FROM_S,
            late_to_s=LATE_TO_S,
            late_s=LATE_S,
        )
        angles.on_samples = slow.on_samples  # the session delivers through the slow consumer

        def late_tick() -> None:
            slow.release()
            tick()
            seen.append((session.now_s(), angles.lag.behind, angles.lag.words()))

        return late_tick

    try:
        result = await record_virtual_session(
            out,
            "standing_knee_locked",
            duration_s=LATE_TO_S + LATE_S + 6.0,
            speed=4.0,
            observe=observe,
            extra=screen.extra,
        )
    finally:
        screen.close()
    behind = [(now, words) for now, shown, words in seen if shown]
    assert behind, "the screen never said it was behind"
    assert all(LATE_FROM_S + SHOW_S <= now <= LATE_TO_S + LATE_S + 2.0 for now, _ in behind)
    assert all(w is not None and "behind the sensors" in w for _, w in behind)
    assert not seen[-1][1]  # caught up by the end: the line is gone
    side = json.loads(result.recording.sidecar_path.read_text())
    lag = side["live_lag"]
    assert lag["max_lag_s"] >= LATE_S
    assert len(lag["episodes"]) == 1
    assert LATE_FROM_S + SHOW_S <= lag["episodes"][0]["from_t_s"] < LATE_TO_S + LATE_S


class _AskedError(Exception):
    """Raised by the stand-in recorder once it has seen its arguments."""


def _pacing(monkeypatch, tmp_path: Path, speed: str) -> bool:
    """Whether ``stretchguard live --virtual … --speed SPEED`` paces the virtual world."""
    import cli.cmd_live as cmd_live
    from cli.main import main

    seen: dict[str, object] = {}

    async def record(*_args, **kwargs):
        seen.update(kwargs)
        raise _AskedError

    monkeypatch.setattr(cmd_live, "record_virtual_session", record)
    out = tmp_path / f"s{speed}.csv"
    args = ["live", "--virtual", "standing_correct", "--out", str(out), "--no-display"]
    main([*args, "--quiet", "--speed", speed])  # ends at the stand-in's error
    return bool(seen["paced"])


def test_a_virtual_world_faster_than_real_time_waits_for_a_busy_computer(monkeypatch, tmp_path):
    # unpaced, --speed 50 on a loaded machine fell ever further behind: 3.8 GB after 20 min
    # and nothing recorded; real time stays unpaced, as real sensors are
    assert _pacing(monkeypatch, tmp_path, "50") is True
    assert _pacing(monkeypatch, tmp_path, "1") is False


def test_a_world_that_waited_is_said_at_the_end():
    assert slowed_words(0.4, 50.0) is None
    words = slowed_words(37.2, 50.0)
    assert words is not None
    assert "waited 37 s" in words
    assert "--speed 50" in words


def test_a_sensor_whose_samples_did_not_all_arrive_is_said():
    from cli.cmd_live import _arrived_words

    # --speed 50 on a busy machine: 1,599 of the pelvis's 52-Hz samples over 248.6 s
    assert _arrived_words(1599, 52.0, 248.6) == "  only 12 % of the 12927 samples due arrived"
    assert _arrived_words(12900, 52.0, 248.6) == ""
    assert _arrived_words(10, None, 248.6) == ""
