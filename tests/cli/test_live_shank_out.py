"""A shank that drops out during a standing stretch, replayed through the live path.

The standing stretch is engaged with the knee no more than 60° bent; with the shank out the
knee has no data. A simulated session whose hip turns in and adducts for 8 s mid-hold has its
right shank's samples cut for 18 s around that fault; replayed live (``bench/live_replay.py``:
the re-deciding live pipeline, the monitor told which sensors are out, the screen's
``judge_outages``), the hip's two breaks are cued while the shank is out, as the file
analysis of the same recording reports them, and the screen says what it carries.
"""

from __future__ import annotations

import pytest

from analysis.angles.live import Outage
from analysis.envelope.monitor import MonitorState
from analysis.recording.streams import Recording, streams_from_samples
from analysis.simulation import SimulationConfig, simulate
from bench.live_replay import one
from cli.live_angles import carried_words, open_gaps
from tests.analysis.builders import monitor_state

OUT_S = (48.0, 66.0)  # the shank's dropout; the hip's fault is at 52.1–61.3 s


@pytest.fixture(scope="module")
def shank_out() -> Recording:
    sim = simulate("standing_hip_ir_adduction", config=SimulationConfig(seed=0))
    s = sim.samples
    t = s["t_s"].to_numpy()
    cut = (s["sensor"].to_numpy() == "right_shank") & (t > OUT_S[0]) & (t < OUT_S[1])
    return Recording(streams=streams_from_samples(s[~cut]), meta=sim.meta)


def test_the_hip_is_cued_while_the_shank_is_out(shank_out: Recording):
    rec = one(shank_out, "shank out", 1.0, exercise=None, side=None)
    said = {c["rule"]: c["said_s"] for c in rec["live"]["cues"]}
    assert set(said) == {"hip_adduction", "hip_internal_rotation"}
    assert all(OUT_S[0] < s < OUT_S[1] for s in said.values())  # while the shank is out
    carried = rec["live"]["carried_s"]
    assert carried is not None
    assert OUT_S[0] < carried[0] < carried[1] < OUT_S[1]
    # the file's report has the same two breaks, and nothing live disagrees with it
    assert {e["rule"] for e in rec["file"]["episodes"]} >= set(said)
    assert rec["cues_unconfirmed"] == []
    assert rec["status_disagree"] == {}


def test_only_a_sensor_that_may_come_back_is_carried():
    shank = ("right_knee_flexion_deg", "right_ankle_dorsiflexion_deg")
    out = Outage(placement="right_shank", since_s=48.0, lost=False, columns=shank)
    lost = Outage(placement="left_shank", since_s=9.0, lost=True, columns=("left_knee_deg",))
    assert open_gaps((out, lost)) == frozenset(shank)
    assert open_gaps(()) == frozenset()


def test_the_screen_says_what_it_carries():
    st = monitor_state(carried=("right_knee_flexion_deg",))
    words = carried_words(st)
    assert words is not None
    assert words.startswith("no right knee flexion now")
    assert "the other angles are judged" in words
    assert carried_words(MonitorState(**{**st.__dict__, "carried": ()})) is None


def _head(*, carried: tuple[str, ...], engaged: bool = True) -> str:
    from analysis.envelope.profiles import load_builtin_profile
    from cli.live_angles import LiveAngles

    live = LiveAngles(
        ("pelvis", "right_thigh", "right_shank", "right_foot"),
        rate_hz=lambda: 100.0,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=None,
    )
    live.outages = (
        Outage(
            placement="right_shank",
            since_s=48.0,
            lost=False,
            columns=("right_knee_flexion_deg", "right_ankle_dorsiflexion_deg"),
        ),
    )
    st = monitor_state(engaged=engaged, carried=carried)
    return live._head(st).plain


def test_the_head_of_the_screen_adds_the_carried_line_and_keeps_its_state():
    with_it = _head(carried=("right_knee_flexion_deg",))
    assert with_it.startswith("inside the envelope")
    assert "\nno right knee flexion now: read as still meeting" in with_it
    without = _head(carried=(), engaged=False)
    assert without.startswith("not in the stretch yet")
    assert "inside" not in without
    assert "read as still meeting" not in without
