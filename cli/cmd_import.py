"""``stretchguard import INPUT... --out FILE.csv``: vendor exports → one canonical recording."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from analysis.errors import ConfigError
from analysis.recording.schema import SIDES
from analysis.recording.streams import SessionMeta
from cli.cmd_info import summarise
from cli.common import add_input_arguments, load_inputs
from cli.text import printable
from sensors.formats.canonical import sidecar_path, write_streams
from sensors.formats.detect import supported_formats_text

DESCRIPTION = f"""\
Read vendor-app CSV exports - files, folders or glob patterns - and write them as one
stretchguard recording FILE.csv (or FILE.csv.gz) with its sidecar FILE.json. The format of
each file is detected from its content:

{supported_formats_text(multiline=True)}

Files of one device (MetaBase MAC address, DOT tag, WitMotion device name, phyphox export
folder) become one sensor; their channels are put on one time base (the fastest file's time
stamps, the others interpolated linearly, quaternions by slerp, never across a gap). Each
sensor needs a placement: vendor segment names are recognised (DOT 'LFemur' -> left_thigh,
'RTibia' -> right_shank, 'Pelvis' -> pelvis), others are given with --sensor or --sensor-map.

The sidecar records the source files, formats, rates, clock alignment, every gap found
(lost packets are recorded, never interpolated over) and channels that were derived rather
than measured (Movella DOT Extended (Quaternion) exports have no raw gyroscope or
accelerometer: they are derived from the vendor quaternion and free acceleration, and the
sidecar's orientation_source says to use the vendor quaternion). Nothing is overwritten.
A long session's samples wait in the temporary folder (TMPDIR; about 100 bytes a sample,
0.7 GB for four 7.6-h DOT files) until they are written, not in memory.
"""
EPILOG = """\
examples:
  stretchguard import DOT_export/ --out session.csv
  stretchguard import MetaWear_*_Accelerometer_*.csv MetaWear_*_Gyroscope_*.csv \\
      --sensor 'C4:27:32:BE:25:5C=right_thigh' --out thigh.csv.gz
  stretchguard import exports/ --sensor-map sensors.toml --out session.csv

sensors.toml:
  [sensors]
  "LFemur*.csv" = "left_thigh"
  "C4:27:32:BE:25:5C" = "right_shank"
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``import``."""
    add_input_arguments(parser)
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE.csv",
        help="the recording to write (.csv or .csv.gz; its sidecar .json beside it); "
        "never overwritten",
    )
    parser.add_argument("--exercise", help="exercise profile name to note in the sidecar")
    parser.add_argument("--side", choices=SIDES, help="the side being stretched")


def run(args: argparse.Namespace) -> int:
    """Convert and write; print what was imported."""
    out = Path(args.out)
    if not (out.name.endswith(".csv") or out.name.endswith(".csv.gz")):
        raise ConfigError(f"--out {out}: expected a file name ending in .csv or .csv.gz")
    rec = load_inputs(args, spill=True)  # a long session waits on disk until written
    meta: SessionMeta = rec.meta
    if args.exercise or args.side:
        meta = dataclasses.replace(
            meta, exercise=args.exercise or meta.exercise, side=args.side or meta.side
        )
    write_streams(out, rec.streams, meta)
    # the per-gap list lives in the sidecar; print one line per sensor instead
    shown = rec.replace(meta=dataclasses.replace(meta, gaps=()), path=out, warnings=())
    print(summarise(shown), file=sys.stdout)
    side_name = printable(sidecar_path(out).name, multiline=False)
    per_sensor: dict[str, list[float]] = {}
    for g in meta.gaps:
        per_sensor.setdefault(g.sensor, []).append(g.end_s - g.start_s)
    for label, lengths in per_sensor.items():
        print(
            f"  {label}: {len(lengths)} gap(s), {sum(lengths):.2f} s without data "
            f"(longest {max(lengths):.3f} s; listed in {side_name})",
            file=sys.stdout,
        )
    derived = meta.extra.get("derived_channels", {})
    for label, channels in derived.items():
        print(f"  {label}: derived, not measured: {', '.join(channels)}", file=sys.stdout)
    notes = meta.extra.get("import", {}).get("notes", [])
    if notes:
        print(f"  {len(notes)} import note(s) in {side_name}", file=sys.stdout)
    print(f"wrote {printable(out, multiline=False)} and {side_name}", file=sys.stdout)
    return 0
