"""Helpers shared by subcommands: input loading, the embedded demo session, output folders."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from importlib.resources import as_file, files
from pathlib import Path

from analysis.errors import ConfigError, OutputExistsError, RecordingFormatError
from analysis.recording import Recording
from analysis.schema import PLACEMENTS
from sensors.formats.canonical import read_recording
from sensors.formats.session import SensorMapping, classify_inputs, read_vendor_session

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


def load_recording(
    inputs: str | Path | Sequence[str | Path],
    *,
    mapping: SensorMapping | None = None,
    device_ticks: bool = True,
) -> Recording:
    """Read the input of a command as one canonical recording.

    ``inputs`` is one canonical recording (``.csv``/``.csv.gz``, with its sidecar), or one or
    more vendor exports (files, folders, glob patterns; format detected from content) that
    are merged into one session (``sensors.formats.session.read_vendor_session``; ``mapping``
    gives their placements). A canonical recording cannot be mixed with other files.
    ``device_ticks=False`` skips that column of a canonical recording (the analysis does not
    use it; a long session is then lighter in memory).
    """
    items = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    if not items:
        raise ConfigError("no input files given")
    formats, _ = classify_inputs(items)
    files = list(formats)
    canonical = [f for f, fmt in formats.items() if fmt == "canonical"]
    if canonical:
        if len(files) > 1:
            others = ", ".join(f.name for f in files if f not in canonical)
            raise ConfigError(
                f"{canonical[0]} is a stretchguard recording: give it alone, not together with "
                f"{others or 'another recording'}"
            )
        return read_recording(canonical[0], device_ticks=device_ticks)
    return read_vendor_session(files, mapping=mapping)


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


def load_inputs(args: argparse.Namespace, *, device_ticks: bool = True) -> Recording:
    """The recording named by :func:`add_input_arguments`' arguments."""
    return load_recording(args.inputs, mapping=mapping_from_args(args), device_ticks=device_ticks)


def check_new_output(path: str | Path, *, folder: bool = False) -> Path:
    """Check before any work that ``path`` can be created as a new file (or folder).

    Refused with a one-line error: an existing file, anything at a symbolic link (even a
    dangling one: writing through it would land elsewhere), a non-empty folder (an empty one
    is accepted when ``folder``), a parent that is not a folder, a parent the user cannot
    write into. A missing parent is accepted for a folder (created with it) and refused for a
    file.
    """
    p = Path(path)
    if p.is_symlink():
        raise OutputExistsError(p, "is a symbolic link; give a new name")
    if p.exists():
        if not (folder and p.is_dir() and not any(p.iterdir())):
            raise OutputExistsError(p)
        return p
    parent = p.parent
    while folder and not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.exists():
        raise ConfigError(f"{p}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise ConfigError(f"{p}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{p}: cannot write into {parent} (permission denied)")
    return p
