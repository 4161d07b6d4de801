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
141 the output pipe was closed early (``stretchguard info F | head``)
==  ==========================================================

Every error ends in one line on stderr, ``stretchguard: error: …``, with the text from files
escaped (:mod:`cli.text`); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from analysis.errors import ConfigError, DataError, OutputExistsError, StretchguardError
from cli.text import printable
from sensors.errors import SensorError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_SENSOR = 3
EXIT_DATA = 4
EXIT_CONFIG = 5
EXIT_VIOLATION = 6
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141

# Subcommands, registered explicitly: name → one-line help. Each lives in cli.cmd_<name>
# (DESCRIPTION, optional EPILOG, add_arguments, run), imported only when that command runs or
# its own --help is asked for, so `stretchguard analyse` does not pay for bleak and bumble.
COMMANDS: dict[str, str] = {
    "demo": "analyse the built-in demo session and write a report folder",
    "analyse": "analyse a session: joint angles, the nerve-friendly envelope verdict and a report",
    "info": "summarise a recording: sensors, rates, duration, calibration windows, marks",
    "simulate": "make a simulated session (recording + ground truth) from a named scenario",
    "import": "convert vendor-app exports (MetaBase, Movella DOT, WitMotion, phyphox) to a "
    "recording",
    "scan": "find supported BLE motion sensors nearby (family, name, address, signal strength)",
    "live": "record a live session from BLE sensors (or virtual ones) with guided calibration",
    "batch": "analyse every session under folders, in parallel; one summary table",
    "history": "one person's sessions over weeks: trends over calendar dates in one page",
    "export": "export a session for OpenSim: OpenSense orientations (.sto) and angles (.mot)",
}

DESCRIPTION = """\
stretchguard measures hamstring stretches with wearable motion sensors and checks that they
stay nerve-friendly: slight knee bend, toes pointed away, neutral spine, about 30 s hold.

The session protocol (what every recording should start with):
  1. stand still, upright, knees straight, feet flat, looking ahead, for 3 s or more
     (defines every angle's zero and each sensor's vertical);
  2. a few slow knee bends and leg swings, forward and back, then two slow bows forward
     from the hips, back straight (the pelvis must tip forward) (defines each segment's
     flexion axis);
  3. the exercise.

It informs; it does not diagnose. Burning, tingling, numbness or weakness in the leg or foot,
or pain that persists for weeks, are for a physiotherapist or physician to assess.
"""

EPILOG = """\
exit codes: 0 ok, 1 internal error (a bug), 2 usage, 3 sensor, 4 data, 5 configuration,
6 envelope left (--fail-on-violation), 130 interrupted, 141 output pipe closed.
Run `stretchguard COMMAND --help` for details.
"""

log = logging.getLogger("stretchguard")


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"cli.cmd_{name}")


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first argument that is one), if any."""
    return next((a for a in argv if a in COMMANDS), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported (all when None)."""
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
    for name, help_text in COMMANDS.items():
        if command is not None and name != command:
            sub.add_parser(name, help=help_text)  # listed in --help, not loaded
            continue
        module = _command_module(name)
        cmd = sub.add_parser(
            name,
            help=help_text,
            description=getattr(module, "DESCRIPTION", help_text),
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _start_reading(arguments: Sequence[str]) -> None:
    """Have Arrow parse the one canonical CSV that ``analyse`` names while its modules import.

    The import of the analysis takes about 0.3 s and Arrow parses on its own threads without
    the interpreter lock, so the two overlap (``canonical.start_early_read``; the read takes
    the table only if it is the same file with the same columns). A guess from the words
    alone: with help asked, or not exactly one ``.csv`` word, nothing is started.
    """
    after = list(arguments)[list(arguments).index("analyse") + 1 :]
    if "-h" in after or "--help" in after:
        return
    files = [a for a in after if not a.startswith("-") and a.endswith(".csv")]
    if len(files) != 1:
        return
    from sensors.formats.canonical import start_early_read
    from stretchguard.memory import arrow_on_c_heap

    arrow_on_c_heap()  # before Arrow's first allocation, as the command itself asks
    start_early_read(files[0], device_ticks=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (``sys.exit(main())`` is the console script)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:  # the command's modules import here (about 1 s): Ctrl-C is one line here too
        chosen = _chosen_command(arguments)
        if chosen == "analyse":
            _start_reading(arguments)
        parser = build_parser(chosen if chosen is not None else "")
        args = parser.parse_args(arguments)
    except KeyboardInterrupt:
        _error_line("interrupted")
        return EXIT_INTERRUPTED
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
        code = int(args._run(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _pipe_closed()
    except KeyboardInterrupt:
        _error_line("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        message, code = describe_error(exc)
        _error_line(message)
        return code


def describe_error(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code for an error that reached the command line."""
    if isinstance(exc, StretchguardError):
        return f"error: {exc}", exit_code_for(exc)
    if isinstance(exc, UnicodeError | csv.Error | RecursionError):
        return f"error: unreadable input ({type(exc).__name__}: {exc})", EXIT_DATA
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename is not None else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"error: {where}{reason}", EXIT_DATA
    if isinstance(exc, MemoryError):
        return "error: out of memory (is the input absurdly long?)", EXIT_DATA
    return (
        f"internal error: {type(exc).__name__}: {exc} (a bug: please report it with the output "
        "of the same command with --debug)",
        EXIT_INTERNAL,
    )


def _error_line(message: str) -> None:
    # when stderr is gone too, the exit code still says what happened
    with contextlib.suppress(BrokenPipeError, ValueError):
        print(f"stretchguard: {printable(message, multiline=False)}", file=sys.stderr)


def _pipe_closed() -> int:
    """The reader of stdout went away: stop quietly, as ``cat`` does, with code 141."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not raise
    return EXIT_PIPE_CLOSED


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
