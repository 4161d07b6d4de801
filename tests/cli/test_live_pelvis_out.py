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

from analysis.recording.streams import Recording, streams_from_samples
from analysis.simulation import SimulationConfig, simulate
from bench.live_replay import one

OUT_S = (46.0, 66.0)  # the pelvis's dropout


def _pelvis_cut(scenario: str, seed: int) -> Recording:
    sim = simulate(scenario, config=SimulationConfig(seed=seed))
    s = sim.samples
    t = s["t_s"].to_numpy()
    cut = (s["sensor"].to_numpy() == "pelvis") & (t > OUT_S[0]) & (t < OUT_S[1])
    return Recording(streams=streams_from_samples(s[~cut]), meta=sim.meta)


def test_the_ankle_is_cued_while_the_pelvis_is_out():
    rec = one(_pelvis_cut("standing_dorsiflexion", 0), "pelvis out", 1.0, exercise=None, side=None)
    said = [(c["rule"], c["said_s"]) for c in rec["live"]["cues"]]
    assert [r for r, _ in said] == ["ankle_dorsiflexion"]  # no hip, pelvis or lumbar cue
    assert OUT_S[0] < said[0][1] < OUT_S[1]  # while the pelvis is out
    # the file's report has the same break, and nothing live disagrees with it
    assert [e["rule"] for e in rec["file"]["episodes"]] == ["ankle_dorsiflexion"]
    assert rec["cues_unconfirmed"] == []
    assert rec["status_disagree"] == {}


def test_a_correct_session_with_the_pelvis_out_gets_no_cue():
    rec = one(_pelvis_cut("standing_correct", 1), "pelvis out", 1.0, exercise=None, side=None)
    assert rec["live"]["cues"] == []
    assert rec["file"]["episodes"] == []
    assert rec["status_disagree"] == {}
