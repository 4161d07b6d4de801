"""stretchguard as a library: load a session, analyse it, judge it, write the outputs.

The command line runs these same functions (``cli -> stretchguard -> sensors -> analysis``).
A notebook session (docs/library.md)::

    import stretchguard as sg

    recording = sg.load_recording("session.csv.gz")
    result = sg.analyse(recording)            # angles (degrees) + envelope verdict
    print(result.envelope.verdict, result.summary)
    sg.write_outputs(result, "out/session")   # angles.csv, envelope.json, report.html

Angles are in degrees with the signs of docs/conventions.md; times in seconds from the
recording's start.
"""

from __future__ import annotations

from stretchguard.analysing import (
    AnalysisOutput,
    SessionAnalysis,
    analyse,
    analyse_to_folder,
    calibration_quality,
    check_profile,
    load_profile,
    write_outputs,
)
from stretchguard.batch import BatchOptions, find_sessions, run_batch
from stretchguard.inputs import SensorMapping, load_recording, load_sensor_map

__all__ = [
    "AnalysisOutput",
    "BatchOptions",
    "SensorMapping",
    "SessionAnalysis",
    "analyse",
    "analyse_to_folder",
    "calibration_quality",
    "check_profile",
    "find_sessions",
    "load_profile",
    "load_recording",
    "load_sensor_map",
    "run_batch",
    "write_outputs",
]
