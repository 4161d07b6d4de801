"""Helpers shared by subcommands: input loading, the embedded demo session, output folders."""

from __future__ import annotations

import argparse
import logging
from importlib.resources import as_file, files
from pathlib import Path

from analysis.errors import RecordingFormatError
from analysis.recording.schema import PLACEMENTS
from analysis.recording.streams import Recording
from sensors.formats.merge import SensorMapping
from stretchguard.inputs import load_recording
from stretchguard.paths import check_new_output

__all__ = [
    "DEMO_SESSION",
    "add_input_arguments",
    "check_new_output",
    "fixture_path",
    "load_inputs",
    "load_recording",
    "mapping_from_args",
]

DEMO_SESSION = "demo_standing_stretch.csv.gz"
"""The embedded fixture session `stretchguard demo` analyses (made by the simulator)."""


def fixture_path(name: str) -> Path:
    """Path of a file shipped in ``fixtures/`` (package ``stretchguard_fixtures``)."""
    resource = files("stretchguard_fixtures").joinpath(name)
    with as_file(resource) as p:
        path = Path(p)
    if not path.exists():
        raise RecordingFormatError(path, "embedded fixture missing from this install")
    return path


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Positional INPUT... plus ``--sensor`` / ``--sensor-map`` (vendor placements)."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="a stretchguard recording (.csv/.csv.gz), or vendor exports: files, folders or "
        "glob patterns (MetaBase, Movella DOT, WitMotion, phyphox; detected from content)",
    )
    parser.add_argument(
        "--sensor",
        action="append",
        default=[],
        metavar="FILE_OR_GLOB=PLACEMENT",
        help="placement of a vendor file or device (repeatable), e.g. 'LFemur*.csv=left_thigh' "
        "or 'C4:27:32:BE:25:5C=right_thigh'; placements: " + ", ".join(PLACEMENTS),
    )
    parser.add_argument(
        "--sensor-map",
        metavar="TOML",
        help='a TOML file with a [sensors] table, e.g. "RTibia*.csv" = "right_shank"',
    )


def mapping_from_args(args: argparse.Namespace) -> SensorMapping:
    """The sensor mapping given by ``--sensor-map`` and ``--sensor`` (options win)."""
    mapping = SensorMapping()
    if getattr(args, "sensor_map", None):
        mapping = SensorMapping.from_toml(args.sensor_map)
    return mapping + SensorMapping.from_options(getattr(args, "sensor", []) or [])


def load_inputs(
    args: argparse.Namespace, *, device_ticks: bool = True, spill: bool = False
) -> Recording:
    """The recording named by :func:`add_input_arguments`' arguments (``load_recording``)."""
    return load_recording(
        args.inputs, mapping=mapping_from_args(args), device_ticks=device_ticks, spill=spill
    )


def quiet_bumble(args: argparse.Namespace) -> None:
    """Quieten ``bumble``: it logs link-level chatter at WARNING; show it only with -vv/--debug."""
    if getattr(args, "verbose", 0) < 2 and not getattr(args, "debug", False):
        logging.getLogger("bumble").setLevel(logging.ERROR)
