"""Live: looking down is cued from the head relative to the pelvis when no trunk is worn."""

from __future__ import annotations

from analysis.envelope.checker import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.schema import HEAD_FLEXION_REL_PELVIS
from analysis.simulation import ImuErrorModel, SimulationConfig, simulate


def test_looking_down_is_cued_once_from_the_pelvis_frame():
    sim = simulate(
        "standing_looking_down",
        config=SimulationConfig(errors=ImuErrorModel.perfect(), sensors=("pelvis", "head")),
    )
    truth = sim.truth.drop(columns=["neck_flexion_deg", "lumbar_flexion_deg"])
    profile = load_builtin_profile("standing_hamstring")
    offline = check_envelope(truth, profile, side="right")
    (episode,) = offline.episodes
    assert episode.rule == "neck_flexion"
    monitor = EnvelopeMonitor(profile, side="right")
    cues, angles = [], []
    for i in range(0, len(truth), 20):
        part = truth.iloc[i : i + 20]
        state = monitor.update(
            part.t_s.to_numpy(), {c: part[c].to_numpy() for c in truth.columns[1:]}
        )
        if state is None:
            continue
        cues.extend((state.t_s, c) for c in state.new_cues)
        neck = next(r for r in state.rules if r.rule == "neck_flexion")
        if neck.status == "outside":
            angles.append(neck.angle_deg)
    # one cue, said at the dwell with the peak so far (the offline peak may be a degree later)
    assert len(cues) == 1
    assert cues[0][1].startswith("looking down (")
    assert cues[0][1].endswith("— keep your chin level, eyes ahead")
    assert episode.start_s + 1.0 - 0.05 <= cues[0][0] <= episode.start_s + 1.0 + 0.5
    assert angles
    assert max(a for a in angles if a is not None) > 25.0  # read from the stand-in column
    assert offline.rule("neck_flexion").column == HEAD_FLEXION_REL_PELVIS  # type: ignore[union-attr]
