"""A pelvis that drops out during a standing stretch, replayed through the live path.

The standing stretch is engaged by hip flexion, which needs the pelvis; while a worn pelvis is
out the thigh's inclination to gravity stands in for it (the report's ``angles.csv`` has it
inside a pelvis dropout; live, ``LiveAngles.stand_in``). A simulated session whose ankle
dorsiflexes past its limit at 48–63 s has its pelvis's samples cut for 20 s around that
fault; replayed live (``bench/live_replay.py``: the re-deciding live pipeline, the monitor
told which sensors are out, the screen's ``judge_outages``), the ankle is cued while the
pelvis is out, as the file analysis of the same recording reports it. A correct session with
the same cut gets no cue.
"""

from __future__ import annotations

import math

import pytest

from analysis.angles.live import Outage
from analysis.envelope.monitor import MonitorState, RuleNow
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.streams import Recording, streams_from_samples
from analysis.simulation import SimulationConfig, simulate
from bench.live_replay import one
from cli.live_angles import stand_in_column, stand_in_words
from tests.analysis.builders import monitor_state

OUT_S = (46.0, 66.0)  # the pelvis's dropout


def _pelvis_cut(scenario: str, seed: int) -> Recording:
    sim = simulate(scenario, config=SimulationConfig(seed=seed))
    s = sim.samples
    t = s["t_s"].to_numpy()
    cut = (s["sensor"].to_numpy() == "pelvis") & (t > OUT_S[0]) & (t < OUT_S[1])
    return Recording(streams=streams_from_samples(s[~cut]), meta=sim.meta)


@pytest.fixture(scope="module")
def dorsiflexion_out() -> dict:
    """Standing dorsiflexion seed 0 with the pelvis cut, replayed live (``one``'s record)."""
    return one(_pelvis_cut("standing_dorsiflexion", 0), "pelvis out", 1.0, exercise=None, side=None)


def test_the_ankle_is_cued_while_the_pelvis_is_out(dorsiflexion_out):
    rec = dorsiflexion_out
    said = [(c["rule"], c["said_s"]) for c in rec["live"]["cues"]]
    assert [r for r, _ in said] == ["ankle_dorsiflexion"]  # no hip, pelvis or lumbar cue
    assert OUT_S[0] < said[0][1] < OUT_S[1]  # while the pelvis is out
    # the file's report has the same break, and nothing live disagrees with it
    assert [e["rule"] for e in rec["file"]["episodes"]] == ["ankle_dorsiflexion"]
    assert rec["cues_unconfirmed"] == []
    assert rec["status_disagree"] == {}


def test_the_screen_says_the_thigh_decides_inside_the_cut_only(dorsiflexion_out):
    """The stand-in line is on the screen at the steps the thigh's tilt decides: from the
    pelvis called out (1 s after its last sample) to its return, and at no other step."""
    (run,) = dorsiflexion_out["live"]["stand_in_s"]
    assert OUT_S[0] < run[0] <= OUT_S[0] + 2.5
    assert OUT_S[1] - 2.5 <= run[1] < OUT_S[1]


def test_a_correct_session_with_the_pelvis_out_gets_no_cue():
    rec = one(_pelvis_cut("standing_correct", 1), "pelvis out", 1.0, exercise=None, side=None)
    assert rec["live"]["cues"] == []
    assert rec["file"]["episodes"] == []
    assert rec["status_disagree"] == {}


# --- the screen says what decides the stretch while the pelvis is out -------------------------

HIP = "right_hip_flexion_deg"
THIGH = "right_thigh_inclination_deg"


def _pelvis_outage(*, lost: bool = False) -> Outage:
    cols = (HIP, "pelvis_anterior_tilt_deg", "lumbar_flexion_deg")
    return Outage(placement="pelvis", since_s=46.0, lost=lost, columns=cols)


def test_the_thigh_decides_only_while_the_pelvis_is_out_and_may_come_back():
    profile = load_builtin_profile("standing_hamstring")
    gap = {HIP: math.nan, THIGH: 50.0, "right_knee_flexion_deg": 5.0}
    assert stand_in_column(profile, "right", (_pelvis_outage(),), gap) == THIGH
    # lost: no stand-in column values (the pipeline gives none), and not told either way
    assert stand_in_column(profile, "right", (_pelvis_outage(lost=True),), gap) is None
    # the pelvis back: hip flexion decides
    back = {**gap, HIP: 48.0}
    assert stand_in_column(profile, "right", (), back) is None
    assert stand_in_column(profile, "right", (_pelvis_outage(),), back) is None
    # the thigh has no value at the newest row (its sensor out too): nothing decides
    assert stand_in_column(profile, "right", (_pelvis_outage(),), {**gap, THIGH: math.nan}) is None
    assert stand_in_column(profile, "right", (_pelvis_outage(),), {HIP: math.nan}) is None
    # another sensor out does not make the thigh decide
    shank = Outage(placement="right_shank", since_s=46.0, lost=False, columns=("x",))
    assert stand_in_column(profile, "right", (shank,), gap) is None


def _rule(rule: str, status: str) -> RuleNow:
    return RuleNow(rule=rule, status=status, angle_deg=None, advisory=False)


def _state(*rules: RuleNow) -> MonitorState:
    return monitor_state(rules=rules)


def test_the_words_say_the_thigh_decides_and_what_is_still_checked():
    st = _state(
        _rule("hip_flexion", "sensor_out"),
        _rule("knee_flexion", "ok"),
        _rule("ankle_dorsiflexion", "outside"),
        _rule("pelvis_anterior_tilt", "sensor_out"),
        _rule("lumbar_flexion", "sensor_out"),
        _rule("neck_flexion", "not_measured"),
        _rule("hip_adduction", "sensor_out"),
    )
    assert stand_in_words(THIGH, st) == (
        "pelvis sensor out: your right thigh's tilt now tells whether you are in the stretch; "
        "knee and ankle still checked, hip, pelvis and back not until the pelvis sensor is back"
    )
    assert stand_in_words(None, st) is None
    assert stand_in_words(THIGH, None) == (
        "pelvis sensor out: your right thigh's tilt now tells whether you are in the stretch"
    )
    # the body parts in one order whatever the profile's order of rules
    leg = _state(_rule("ankle_dorsiflexion", "ok"), _rule("knee_flexion", "ok"))
    assert (stand_in_words(THIGH, leg) or "").endswith("; knee and ankle still checked")
    # an uncertain rule is neither said checked nor said out
    only = _state(_rule("knee_flexion", "uncertain"), _rule("hip_flexion", "sensor_out"))
    assert stand_in_words("left_thigh_inclination_deg", only) == (
        "pelvis sensor out: your left thigh's tilt now tells whether you are in the stretch; "
        "hip not until the pelvis sensor is back"
    )


def test_the_head_of_the_screen_and_the_page_feed_carry_the_line_only_while_it_decides():
    from cli.live_angles import LiveAngles
    from cli.live_feed import _stand_in

    live = LiveAngles(
        ("pelvis", "right_thigh", "right_shank", "right_foot"),
        rate_hz=lambda: 100.0,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=None,
    )
    st = _state(_rule("knee_flexion", "ok"), _rule("hip_flexion", "sensor_out"))
    live.state = st
    live.outages = (_pelvis_outage(),)
    live._newest = {HIP: math.nan, THIGH: 50.0}
    line = "\npelvis sensor out: your right thigh's tilt now tells whether you are in the stretch"
    assert line in live._head(st).plain
    assert _stand_in(live) == stand_in_words(THIGH, st)
    live._newest = {HIP: 47.0, THIGH: 50.0}  # the pelvis back
    live.outages = ()
    assert "thigh's tilt" not in live._head(st).plain
    assert _stand_in(live) is None
