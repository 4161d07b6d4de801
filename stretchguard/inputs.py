"""Reading a session: one canonical recording, or vendor exports merged into one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analysis.errors import ConfigError
from analysis.recording.streams import Recording, take_streams
from sensors.formats.canonical import read_recording
from sensors.formats.merge import SensorMapping, classify_inputs, read_vendor_session
from stretchguard.memory import give_back_memory

__all__ = [
    "SensorMapping",
    "demo_recording_path",
    "load_recording",
    "load_sensor_map",
    "take_streams",
]


def load_recording(
    inputs: str | Path | Sequence[str | Path],
    *,
    mapping: SensorMapping | None = None,
    device_ticks: bool = True,
    spill: bool = False,
) -> Recording:
    """Read the input of a command as one canonical recording.

    Parameters
    ----------
    inputs
        One canonical recording (``.csv``/``.csv.gz``, with its sidecar), or one or more
        vendor exports (files, folders, glob patterns; format detected from content) that are
        merged into one session (``sensors.formats.merge.read_vendor_session``). A canonical
        recording cannot be mixed with other files.
    mapping
        Placements of vendor files or devices (see :func:`load_sensor_map`).
    device_ticks
        ``False`` is the analysis' read: it skips that column of a canonical recording (the
        analysis does not use it; a long session is then lighter in memory), and keeps vendor
        exports' measurements as float32, as a canonical file's are read
        (``read_vendor_session(for_analysis=True)``).
    spill
        Vendor exports' samples wait in temporary files until written (``import``:
        ``read_vendor_session(spill=True)``); the arrays are then read-only.

    Returns
    -------
    Recording
        Samples in sensor frames (``t_s`` in seconds from the start, SI units) and the
        session metadata.

    Raises
    ------
    analysis.errors.StretchguardError
        A one-line error for a file that cannot be used (``RecordingFormatError``) or a
        contradictory set of inputs (``ConfigError``).
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
    return read_vendor_session(
        items,  # as given: the files passed over in a folder are noted again (and kept in notes)
        mapping=mapping,
        after_file=give_back_memory,
        for_analysis=not device_ticks,
        spill=spill and device_ticks,
    )


def load_sensor_map(path: str | Path | None = None, options: Sequence[str] = ()) -> SensorMapping:
    """The placements of vendor exports.

    They come from a ``--sensor-map`` TOML file plus ``PATTERN=PLACEMENT`` options (options win).

    Parameters
    ----------
    path
        A TOML file with a ``[sensors]`` table, e.g. ``"RTibia*.csv" = "right_shank"``.
    options
        Strings like ``"LFemur*.csv=left_thigh"`` or ``"C4:27:32:BE:25:5C=right_thigh"``.
    """
    mapping = SensorMapping.from_toml(path) if path else SensorMapping()
    return mapping + SensorMapping.from_options(list(options))


def demo_recording_path() -> Path:
    """The simulated demo session shipped with stretchguard.

    A canonical recording with its sidecar: a standing hamstring stretch with 8 s of the ankle
    pulled up and a heel mark.
    """
    from importlib.resources import as_file, files

    resource = files("stretchguard_fixtures").joinpath("demo_standing_stretch.csv.gz")
    with as_file(resource) as p:
        return Path(p)
