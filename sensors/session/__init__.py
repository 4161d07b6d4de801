"""Live multi-sensor sessions over BLE (plain bleak; the backend is chosen by the caller).

``config`` (which sensor sits where; TOML and ``--sensor`` flags), ``scan`` (find supported
sensors), ``clock`` (session clock and per-sensor clock alignment), ``link`` (one sensor's
connection, decoding and reconnects), ``live`` (:class:`LiveSession`), ``protocol`` (the
guided stand-still / calibration-movement prompts), ``types`` (what sinks receive),
``recorder`` (the canonical CSV and sidecar written as data arrive), ``recording`` (a
recording run of a live session).
"""

from sensors.session.config import (
    SensorAssignment,
    SessionConfig,
    config_from_flags,
    load_session_config,
    parse_sensor_flag,
)
from sensors.session.live import LiveSession
from sensors.session.scan import FoundSensor, scan_sensors
from sensors.session.types import AlignedBatch, LinkState, SensorStatus, SessionSink

__all__ = [
    "AlignedBatch",
    "FoundSensor",
    "LinkState",
    "LiveSession",
    "SensorAssignment",
    "SensorStatus",
    "SessionConfig",
    "SessionSink",
    "config_from_flags",
    "load_session_config",
    "parse_sensor_flag",
    "scan_sensors",
]
