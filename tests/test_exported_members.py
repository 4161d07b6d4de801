"""Each room of ``analysis`` names its public API in ``__all__``; this pins it.

A name added to or dropped from a room's API is a decision: change the list here with it.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "analysis.recording": {
        "CalibrationWindows",
        "Gap",
        "Marker",
        "Recording",
        "SensorInfo",
        "SensorStream",
        "SessionMeta",
        "check_meta_against_data",
        "samples_from_streams",
        "streams_from_samples",
        "take_streams",
        "validate_samples",
    },
    "analysis.angles": {
        "BOW_WORDS",
        "AngleResult",
        "CalibrationResult",
        "JointAngles",
        "LiveAnglePipeline",
        "LiveAngles",
        "PipelineOptions",
        "SegmentCalibration",
        "analyse_recording",
        "joint_angles_deg",
    },
    "analysis.envelope": {
        "DifferentiationTest",
        "EnvelopeMonitor",
        "EnvelopeResult",
        "Episode",
        "Hold",
        "MarkResult",
        "MonitorState",
        "NotChecked",
        "Profile",
        "RuleResult",
        "SlrResult",
        "builtin_profile_names",
        "check_envelope",
        "differentiation_tests",
        "load_builtin_profile",
        "not_checked",
        "parse_profile",
        "profile_for_exercise",
        "read_profile_text",
    },
    "analysis.report": {
        "FigureStyle",
        "ReportContext",
        "build_report_html",
        "panel_svgs",
        "summary_text",
    },
    "analysis.simulation": {
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
    },
}


@pytest.mark.parametrize("room", sorted(PUBLIC))
def test_room_all_is_pinned(room):
    module = importlib.import_module(room)
    assert set(module.__all__) == PUBLIC[room]
    assert len(module.__all__) == len(set(module.__all__)), "a name is listed twice"


@pytest.mark.parametrize("room", sorted(PUBLIC))
def test_every_exported_name_is_defined_in_the_room(room):
    module = importlib.import_module(room)
    for name in module.__all__:
        member = getattr(module, name)
        home = getattr(member, "__module__", None)
        if home is not None and callable(member):
            assert home == room or home.startswith(room + "."), f"{room}.{name} comes from {home}"
