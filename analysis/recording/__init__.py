"""What a recording is: sample streams, column schema and input policy.

Per-sensor sample streams with their metadata, the column schema, and the input policy
every file and packet is checked against.

``streams`` holds :class:`Recording` and its parts, ``schema`` the column names and units
every stage shares, ``inputs`` the limits on files and values (docs/input-policy.md),
``config_files`` the reading of TOML/JSON files and the one wording of their errors,
``runs`` the runs of True (or of equal values) in per-sample masks.
Every other room of :mod:`analysis` may import this one; it imports none of them.
"""

from __future__ import annotations

from analysis._exports import lazy_exports

_WHERE = {
    "CalibrationWindows": "streams",
    "Gap": "streams",
    "Marker": "streams",
    "Recording": "streams",
    "SensorInfo": "streams",
    "SensorStream": "streams",
    "SessionMeta": "streams",
    "check_meta_against_data": "streams",
    "samples_from_streams": "streams",
    "streams_from_samples": "streams",
    "take_streams": "streams",
    "validate_samples": "streams",
}

__all__ = [
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
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
