"""``stretchguard`` entry point: subcommands, logging, one-line errors and exit codes.

Exit codes (documented in ``--help`` and docs/cli.md):

==  ==========================================================
0   success
1   unexpected internal error (a bug: please report it)
2   usage error (bad arguments)
3   sensor / Bluetooth error
4   data error (a file or recording that cannot be used)
5   configuration error (profile, sensor mapping)
6   ``--fail-on-violation`` and the envelope was left
130 interrupted (Ctrl-C)
==  ==========================================================
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from analysis.errors import ConfigError, DataError, OutputExistsError, StretchguardError
from sensors.errors import SensorError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_SENSOR = 3
EXIT_DATA = 4
EXIT_CONFIG = 5
EXIT_VIOLATION = 6
EXIT_INTERRUPTED = 130

# Subcommands, registered explicitly (module cli.cmd_<name> with add_arguments/run).
COMMANDS: tuple[str, ...] = ("demo", "analyse", "info", "simulate", "import", "scan", "live")

DESCRIPTION = """\
stretchguard measures hamstring stretches with wearable motion sensors and checks that they
stay nerve-friendly: slight knee bend, toes pointed away, neutral spine, about 30 s hold.

The session protocol (what every recording should start with):
  1. stand still, upright, knees straight, feet flat, looking ahead, for 3 s or more
     (defines every angle's zero and each sensor's vertical);
  2. a few slow knee bends and leg swings (defines each segment's flexion axis);
  3. the exercise.

It informs; it does not diagnose. Burning, tingling, numbness or weakness in the leg or foot,
or pain that persists for weeks, are for a physiotherapist or physician to assess.
"""

EPILOG = """\
exit codes: 0 ok, 2 usage, 3 sensor, 4 data, 5 configuration, 6 envelope left
(--fail-on-violation), 130 interrupted.  Run `stretchguard COMMAND --help` for details.
"""

log = logging.getLogger("stretchguard")


def _command_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"cli.cmd_{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"cli.cmd_{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render docs/cli.md)."""
    parser = argparse.ArgumentParser(
        prog="stretchguard",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks for errors (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _command_module(name)
        if module is None:
            continue
        cmd = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (``sys.exit(main())`` is the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG
        if args.debug or args.verbose > 1
        else (logging.INFO if args.verbose else logging.WARNING),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("stretchguard: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StretchguardError as exc:
        if args.debug:
            raise
        print(f"stretchguard: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)


def exit_code_for(exc: StretchguardError) -> int:
    """The documented exit code of an error."""
    if isinstance(exc, SensorError):
        return EXIT_SENSOR
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, DataError | OutputExistsError):
        return EXIT_DATA
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
