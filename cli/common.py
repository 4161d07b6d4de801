"""Helpers shared by subcommands: input loading, the embedded demo session, output folders."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from analysis.errors import OutputExistsError, RecordingFormatError
from analysis.recording import Recording
from sensors.formats.canonical import read_recording

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


def load_recording(path: str | Path) -> Recording:
    """Read one input file as a canonical recording."""
    return read_recording(Path(path))


def new_output_dir(path: str | Path) -> Path:
    """Create an output folder; an existing non-empty one is refused (nothing is overwritten)."""
    p = Path(path)
    if p.exists() and (not p.is_dir() or any(p.iterdir())):
        raise OutputExistsError(p)
    p.mkdir(parents=True, exist_ok=True)
    return p
