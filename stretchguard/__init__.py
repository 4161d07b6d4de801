"""stretchguard as a library: load a session, analyse it, judge it, write the outputs.

The command line runs these same functions (``cli -> stretchguard -> sensors -> analysis``).
A notebook session (docs/library.md)::

    import stretchguard as sg

    recording = sg.load_recording("session.csv.gz")
    result = sg.analyse(recording)            # angles (degrees) + envelope verdict
    print(result.envelope.verdict, result.summary)
    sg.write_outputs(result, "out/session")   # angles.csv, envelope.json, report.html

Angles are in degrees with the signs of docs/conventions.md; times in seconds from the
recording's start. Names are imported on first use, so ``import stretchguard`` (and every
command that does not need batch, history or export) stays quick to start.
"""

from __future__ import annotations

from analysis._exports import lazy_exports

_WHERE = {
    "AnalysisOutput": "analysing",
    "SessionAnalysis": "analysing",
    "analyse": "analysing",
    "analyse_to_folder": "analysing",
    "calibration_quality": "analysing",
    "check_profile": "analysing",
    "load_profile": "analysing",
    "write_outputs": "analysing",
    "BatchOptions": "batch",
    "find_sessions": "batch",
    "run_batch": "batch",
    "SessionRecord": "history",
    "collect_sessions": "history",
    "history_html": "history",
    "write_history": "history",
    "SensorMapping": "inputs",
    "demo_recording_path": "inputs",
    "load_recording": "inputs",
    "load_sensor_map": "inputs",
    "take_streams": "inputs",
    "export_opensim": "opensim_export",
}

__all__ = [
    "AnalysisOutput",
    "BatchOptions",
    "SensorMapping",
    "SessionAnalysis",
    "SessionRecord",
    "analyse",
    "analyse_to_folder",
    "calibration_quality",
    "check_profile",
    "collect_sessions",
    "demo_recording_path",
    "export_opensim",
    "find_sessions",
    "history_html",
    "load_profile",
    "load_recording",
    "load_sensor_map",
    "run_batch",
    "take_streams",
    "write_history",
    "write_outputs",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
