"""``stretchguard export FILE --opensim --out DIR``: the session in another tool's formats."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.errors import ConfigError
from cli.common import add_input_arguments, load_inputs
from cli.main import EXIT_OK
from cli.text import echo, printable
from stretchguard.opensim_export import export_opensim

DESCRIPTION = """\
Export a session for OpenSim (--opensim): analyse it and write, into a new folder,
  NAME_orientations.sto  every sensor's orientation as an OpenSense orientations table
                         (quaternions in OpenSim's ground frame, y up; columns pelvis_imu,
                         femur_r_imu, tibia_r_imu, calcn_r_imu, ...),
  NAME_calibration.sto   the quiet stand's mean orientations (for OpenSense's IMUPlacer:
                         every model coordinate is 0 in that pose),
  NAME_ik.mot            stretchguard's joint angles with OpenSim's coordinate names and
                         signs (hip_flexion_r, knee_angle_r, ankle_angle_r, pelvis_tilt, ...),
                         in degrees, relative to the quiet stand.
The frames and signs are in docs/opensim.md.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``export``."""
    add_input_arguments(parser)
    parser.add_argument(
        "--opensim", action="store_true", required=True, help="OpenSense .sto and OpenSim .mot"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (new files)")
    parser.add_argument(
        "--knee-convention",
        choices=("gait2392", "rajagopal"),
        default="gait2392",
        help="knee_angle sign: gait2392 −flexion (default), rajagopal +flexion",
    )


def run(args: argparse.Namespace) -> int:
    """Analyse the session and write the OpenSim files."""
    recording = load_inputs(args, device_ticks=False)
    inputs = [Path(i) for i in args.inputs]
    stem = recording.path.name if recording.path else inputs[0].name
    for suffix in (".csv.gz", ".csv"):
        stem = stem.removesuffix(suffix)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder")
    files = export_opensim(recording, out, stem=stem or "session", knee=args.knee_convention)
    for path in (files.orientations, files.calibration, files.coordinates):
        echo(f"stretchguard: wrote {printable(path, multiline=False)}", err=True)
    return EXIT_OK
