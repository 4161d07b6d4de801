"""Live angles and cues through the whole BLE path: virtual sensors → bleak/bumble → session
→ LiveAngles (causal pipeline + envelope monitor)."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.envelope.profiles import load_builtin_profile
from cli.live_angles import LiveAngles
from sensors.virtual.scenario import record_virtual_session


async def test_the_dorsiflexion_is_cued_during_the_session(tmp_path: Path):
    cues: list[tuple[float, str]] = []
    holder: dict[str, LiveAngles] = {}

    def observe(session, protocol):
        angles = LiveAngles(
            tuple(a.placement for a in session.config.sensors),
            rate_hz=lambda: max((s.rate_hz or 0.0) for s in session.status()) or None,
            profile=load_builtin_profile("standing_hamstring"),
            side="right",
            protocol=protocol,
            on_cue=lambda cue: cues.append((session.now_s(), cue)),
        )
        session.add_sink(angles)
        holder["angles"] = angles
        return lambda: angles.tick(session.now_s())

    result = await record_virtual_session(
        tmp_path / "live.csv", "standing_dorsiflexion", duration_s=62.0, speed=2.0, observe=observe
    )
    angles = holder["angles"]
    assert angles.pipeline is not None
    assert angles.pipeline.calibrated
    sim = result.scenario.simulated[100.0]
    start_s = next(e.start_s for e in sim.events if e.kind == "violation")
    onset = result.scenario_start_s + start_s
    assert len(cues) == 1
    heard, cue = cues[0]
    # the cue quotes the peak measured so far: within a degree of the true one (rounding and
    # the measurement's error), whichever way the measurement errs
    said = re.fullmatch(r"ankle dorsiflexed (\d+)° — point your toes away", cue)
    assert said is not None, cue
    upto = sim.truth.t_s.between(start_s, heard - result.scenario_start_s)
    true_peak = float(sim.truth.loc[upto, "right_ankle_dorsiflexion_deg"].max())
    assert abs(int(said[1]) - true_peak) <= 1.0, (cue, true_peak)
    # after the 1 s dwell, and within about a second of it (grid horizon + screen tick)
    assert onset + 1.0 - 0.05 <= heard <= onset + 2.5
    assert angles.state is not None
    assert angles.state.hold_target_s == 30.0
