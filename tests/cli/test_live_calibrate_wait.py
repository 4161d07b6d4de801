"""The live guide calibrates on the whole movement window, not on what a slow host delivered.

On a loaded machine the samples reach the angle pipeline later than the prompt clock says the
movements ended. Judged at once, the movements would be cut short (a bow not yet arrived reads
as a pelvis that never tipped) and asked again. The samples here come from the simulator
straight into :class:`~cli.live_angles.LiveAngles`, one sensor held back.
"""

from __future__ import annotations

import numpy as np

from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.streams import streams_from_samples
from analysis.simulation import SimulationConfig, simulate
from cli.live_angles import MOVEMENTS_WAIT_S, LiveAngles
from sensors.session.protocol import GuidedProtocol, steps_from_windows
from sensors.session.types import AlignedBatch

SENSORS = ("pelvis", "right_thigh", "right_shank", "right_foot")
RATE_HZ = 100.0


def _batch(streams, placement: str, until_s: float, after_s: float = -np.inf) -> AlignedBatch:
    s = streams[placement]
    keep = (s.t_s > after_s) & (s.t_s <= until_s)
    return AlignedBatch(
        placement=placement, t_s=s.t_s[keep], acc_m_s2=s.acc_m_s2[keep], gyr_rad_s=s.gyr_rad_s[keep]
    )


def _guided_session() -> tuple[GuidedProtocol, LiveAngles, dict, float]:
    """A simulated standing session's streams, a started guide and live angles listening to
    it, and the end (s) of the calibration movements."""
    sim = simulate("standing_correct", config=SimulationConfig(seed=3, sensors=SENSORS))
    cal = sim.meta.calibration
    protocol = GuidedProtocol(steps_from_windows(cal.static_s, cal.functional_s))
    protocol.start(0.0)
    angles = LiveAngles(
        SENSORS,
        rate_hz=lambda: RATE_HZ,
        profile=load_builtin_profile("standing_hamstring"),
        side="right",
        protocol=protocol,
    )
    return protocol, angles, streams_from_samples(sim.samples), cal.functional_s[1]


def test_the_movements_are_judged_once_every_sensor_reached_their_end():
    protocol, angles, streams, end_s = _guided_session()
    late_s = end_s - 3.0  # the foot's last 3 s of the movements are still on their way
    for p in SENSORS:
        angles.on_samples(_batch(streams, p, late_s if p == "right_foot" else end_s + 1.0))
    angles.tick(end_s + 1.0)
    assert not angles.calibrated
    assert protocol.attempts == []  # not judged on the part that arrived
    angles.on_samples(_batch(streams, "right_foot", end_s + 1.0, after_s=late_s))
    angles.tick(end_s + 1.1)
    assert angles.calibrated
    assert [a.outcome for a in protocol.attempts] == ["accepted"]


def test_a_sensor_silent_past_the_movements_is_not_waited_for_beyond_hold_s():
    protocol, angles, streams, end_s = _guided_session()
    silent_s = end_s - 3.0  # the foot falls silent before the movements end
    before = -np.inf
    for now in (end_s + MOVEMENTS_WAIT_S - 1.0, end_s + MOVEMENTS_WAIT_S + 0.5):
        for p in SENSORS:
            until = min(now, silent_s) if p == "right_foot" else now
            angles.on_samples(_batch(streams, p, until, after_s=before))
        before = now
        angles.tick(now)
        if now < end_s + MOVEMENTS_WAIT_S:
            assert protocol.attempts == []  # still waiting for it
    assert len(protocol.attempts) == 1  # judged without it
