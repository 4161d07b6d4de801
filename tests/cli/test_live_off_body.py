"""A sensor lying on the table when a live session starts: the guide waits for it.

Stranger round 7's ``table`` recording of seed 3035 (the right shank lies still on a table for
the first 10 s, then is picked up and strapped on while the person stands by), written as the
canonical file and fed through :class:`~cli.live_angles.LiveAngles` at its own clock, as
``stretchguard live`` does. The guide is timed like the file's own stand and movements
(counted from the strap-on) but started at 0: without waiting, its quiet stand would be taken
with the shank on the table. The screen must say the sensor is not on the body, the stand
must come after it settled, and the live angles must then match the truth.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.envelope.profiles import load_builtin_profile
from cli.live_angles import LiveAngles
from sensors.session.protocol import (
    EXERCISE_PROMPT,
    MOVE_PROMPT,
    STAND_PROMPT,
    GuidedProtocol,
    ProtocolStep,
)
from sensors.session.types import AlignedBatch
from stretchguard import load_recording

SEED = 3035
TICK_S = 0.1


@functools.cache
def _live(folder: Path) -> dict:
    """The file replayed live: the words shown, the guide's windows, the live angle rows."""
    round7 = pytest.importorskip("bench.stranger.round7")
    compare = pytest.importorskip("bench.stranger.compare")
    plan = round7.round7_plan(SEED, 1.0)
    side = round7.draw_person(SEED).side
    places = tuple(x.format(ex=side) for x in ("pelvis", "{ex}_thigh", "{ex}_shank", "{ex}_foot"))
    s = round7.generate_session(SEED, plan, places)
    rec = load_recording(round7.write_set(s, plan, "default", folder))
    ev = {e["kind"]: e["t_s"] for e in s.events}
    a, b, c = 0.0, ev["stand_end"] - ev["strapped"], ev["movements_end"] - ev["strapped"]
    protocol = GuidedProtocol(
        (
            ProtocolStep("static", STAND_PROMPT, a, b),
            ProtocolStep("functional", MOVE_PROMPT, b, c),
            ProtocolStep("exercise", EXERCISE_PROMPT, c, None),
        )
    )
    protocol.start(0.0)
    rate = max(1.0 / float(np.median(np.diff(x.t_s))) for x in rec.streams.values())
    live = LiveAngles(
        places,
        rate_hz=lambda: rate,
        profile=load_builtin_profile(compare.PROFILE_NAME[plan["exercise"]]),
        side=side,
        protocol=protocol,
    )
    end = max(float(x.t_s[-1]) for x in rec.streams.values())
    pos = dict.fromkeys(places, 0)
    said: dict[str, float] = {}
    rows = []
    for now in np.arange(TICK_S, end, TICK_S):
        for p, x in rec.streams.items():
            j = int(np.searchsorted(x.t_s, now, side="right"))
            batch = AlignedBatch(
                placement=p,
                t_s=x.t_s[pos[p] : j],
                acc_m_s2=x.acc_m_s2[pos[p] : j],
                gyr_rad_s=x.gyr_rad_s[pos[p] : j],
            )
            live.on_samples(batch)
            pos[p] = j
        if live.pipeline is not None and not hasattr(live.pipeline.step, "keywords"):
            # the re-decisions' rows at once, not when a background thread is done: as many
            # rows however busy the machine is
            live.pipeline.step = functools.partial(live.pipeline.step, wait=True)
        live.tick(now)
        if live.problem:
            said.setdefault(live.problem, float(now))
        if live.calibrated and live.angles_t_s is not None:
            rows.append({"t_s": live.angles_t_s, **live.latest})
    live.close()
    return {
        "said": said,
        "windows": protocol.calibration(end),
        "table": plan["table"],
        "side": side,
        "rows": pd.DataFrame(rows).drop_duplicates("t_s"),
        "truth": pd.DataFrame({"t_s": s.truth_t_s, **s.truth}),
    }


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _live(tmp_path_factory.mktemp("table3035"))


def test_the_screen_says_the_sensor_is_not_on_the_body_before_the_pickup(replayed) -> None:
    lying = {w: t for w, t in replayed["said"].items() if "not on the body yet" in w}
    assert lying, replayed["said"]
    ((words, at_s),) = lying.items()
    assert words.startswith(f"the {replayed['side']} shank sensor is not on the body yet")
    assert "the quiet stand waits for it" in words
    assert at_s < replayed["table"]["until_s"]  # said while it still lies there


def test_the_quiet_stand_comes_after_the_sensor_settled(replayed) -> None:
    windows = replayed["windows"]
    table = replayed["table"]
    assert windows is not None
    assert windows.static_s is not None
    picked_up_s = table["until_s"] + table["pickup_s"]
    assert picked_up_s - 0.5 <= windows.static_s[0] <= picked_up_s + 1.5


def test_the_live_ankle_and_knee_match_the_truth(replayed) -> None:
    rows, truth, side = replayed["rows"], replayed["truth"], replayed["side"]
    for joint in ("ankle_dorsiflexion", "knee_flexion"):
        col = f"{side}_{joint}_deg"
        est = rows[col].to_numpy()
        err = est - np.interp(rows["t_s"], truth["t_s"], truth[col])
        err = err[np.isfinite(err)]
        assert err.size > 200  # a row per 0.1-s tick after the calibration
        assert float(np.sqrt(np.mean(err**2))) < 2.0, (col, float(np.sqrt(np.mean(err**2))))
