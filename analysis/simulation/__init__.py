"""Biomechanical IMU simulator: scripted stretching sessions with exact ground truth.

A kinematic chain (pelvis, trunk, head, both legs; ISB frames) is driven by joint-angle
trajectories with analytic derivatives; IMU signals are synthesised at every worn sensor from
the chain's analytic angular velocity and point acceleration, then corrupted by a seeded,
explicit error model (noise, biases and drift, clocks, jitter, dropouts, soft-tissue wobble).
The truth (angles, orientations, events) is unaffected by mounting and sensor errors.

Public API::

    list_scenarios() -> tuple[str, ...]
    simulate(scenario, *, config=SimulationConfig()) -> SimulatedSession
    SessionSimulator(scenario, *, config=None)   # on demand: truth_angles, segment_orientations,
                                                 # sensor_samples, chunks, run
"""

from __future__ import annotations

from analysis.simulation.body import BodyModel
from analysis.simulation.chain import CHANNELS, SEGMENTS, KinematicModel
from analysis.simulation.imu import ImuErrorModel, SensorSamples, SoftTissueModel
from analysis.simulation.scenarios import (
    RULE_LIMITS_DEG,
    SCENARIOS,
    TruthEvent,
    list_scenarios,
    natural_duration_s,
)
from analysis.simulation.synthesis import (
    DEFAULT_SENSORS,
    TRUTH_FORMAT,
    SensorTruth,
    SessionChunk,
    SessionSimulator,
    SimulatedSession,
    SimulationConfig,
    simulate,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_SENSORS",
    "RULE_LIMITS_DEG",
    "SCENARIOS",
    "SEGMENTS",
    "TRUTH_FORMAT",
    "BodyModel",
    "ImuErrorModel",
    "KinematicModel",
    "SensorSamples",
    "SensorTruth",
    "SessionChunk",
    "SessionSimulator",
    "SimulatedSession",
    "SimulationConfig",
    "SoftTissueModel",
    "TruthEvent",
    "list_scenarios",
    "natural_duration_s",
    "scenario_summary",
    "simulate",
]


def scenario_summary(name: str) -> str:
    """One line describing a scenario (raises ConfigError for an unknown name)."""
    from analysis.simulation.scenarios import get_scenario

    return get_scenario(name).summary
