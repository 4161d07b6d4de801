"""Reading TOML and JSON files with one wording for every mistake.

Every problem with a key reads::

    FILE:LINE: key 'DOTTED.KEY': expected WHAT, found KIND VALUE

``:LINE`` is there when the line is known: always for a syntax error, and for a TOML key
whose line (or the line of the table holding it) can be found in the text. A domain check
(an unknown placement, a bad family name) keeps its own words after the same
``FILE:LINE: key 'DOTTED.KEY': `` prefix (:meth:`Table.fail`). A whole-file problem reads
``FILE: WHAT ...`` (not found, too large, not UTF-8). Errors keep their types: ConfigError
for configuration (profiles, session files, sensor mappings), RecordingFormatError for a
recording's sidecar.

Only the shape is checked here (types, ranges, known keys); what a value means is checked by
the reader that owns it.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from analysis.errors import ConfigError, RecordingFormatError, StretchguardError
from analysis.recording import inputs

ErrorType = type[StretchguardError]

MISSING: Final = object()
"""Stands for a key that is not there (shown as ``found nothing``)."""

_KINDS: Final = (
    (bool, "boolean"),
    (int, "number"),
    (float, "number"),
    (str, "string"),
    (datetime, "date-time"),
    (date, "date"),
    (time, "time"),
    (list, "list"),
    (tuple, "list"),
    (Mapping, "table"),
)


def found(value: Any) -> str:
    """``value`` shown briefly with its kind, e.g. ``string 'abc'``, ``integer 3``."""
    if value is MISSING:
        return "nothing"
    if value is None:
        return "null"
    kind = next((name for t, name in _KINDS if isinstance(value, t)), type(value).__name__)
    return f"{kind} {inputs.shorten(value)}"


def error_at(
    error: ErrorType, source: str | Path | None, message: str, *, line: int | None = None
) -> StretchguardError:
    """``error`` reading ``SOURCE:LINE: message`` (``SOURCE: message`` without a line)."""
    if issubclass(error, RecordingFormatError):
        return error(source, message, line=line)
    if source is None:
        return error(message)
    return error(f"{source}{'' if line is None else f':{line}'}: {message}")


# --- files -----------------------------------------------------------------------------------


def read_text(
    path: str | Path, *, what: str, cap_bytes: int, error: ErrorType = ConfigError
) -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``cap_bytes`` bytes).

    ``what`` names the file in messages (``profile``, ``session file``, ``sidecar``…). A FIFO
    or device is refused before it is opened (``analysis.inputs.read_regular_file``).
    """
    raw = inputs.read_regular_file(
        path, fail=lambda why: error_at(error, path, f"{what} {why}"), cap_bytes=cap_bytes
    )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error_at(
            error,
            path,
            f"{what} is not a UTF-8 text file (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from None


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def parse_toml(text: str, source: str | Path | None, *, error: ErrorType = ConfigError) -> dict:
    """The TOML document ``text``; a syntax error names the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_AT.search(msg)
        if m is None:
            raise error_at(error, source, f"invalid TOML ({msg})") from None
        reason = msg[: m.start()]
        raise error_at(
            error, source, f"invalid TOML ({reason}) at column {m.group(2)}", line=int(m.group(1))
        ) from None
    except RecursionError:
        raise error_at(error, source, "invalid TOML (nested too deeply)") from None


def parse_json(
    text: str,
    source: str | Path | None,
    *,
    error: ErrorType = RecordingFormatError,
    max_depth: int | None = None,
) -> Any:
    """The JSON document ``text``, nested at most ``max_depth``.

    A syntax error names the line and column.
    """
    if max_depth is not None:
        deep = inputs.json_depth_problem(text, max_depth)
        if deep is not None:
            raise error_at(
                error,
                source,
                f"invalid JSON (nests deeper than {max_depth} levels at offset {deep})",
            )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error_at(
            error, source, f"invalid JSON ({exc.msg}) at column {exc.colno}", line=exc.lineno
        ) from None
    except (ValueError, RecursionError):
        raise error_at(
            error, source, "invalid JSON (a number too long to read, or nesting too deep)"
        ) from None


# --- where a key is written ------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _dotted(key: str) -> str:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return ".".join(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def toml_key_lines(text: str) -> dict[str, int]:
    """Dotted key → 1-based line where it is written.

    Tables map to their header line; the n-th ``[[array]]`` table is keyed ``array[n]``.
    Lines inside multi-line strings are skipped.
    """
    out: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    in_string: str | None = None
    for no, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        m = _HEADER.match(line)
        if m is not None:
            name = _dotted(m.group(2))
            if m.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                name = f"{name}[{counts[name]}]"
            table = name
            out.setdefault(table, no)
            continue
        m = _ASSIGN.match(line)
        if m is None:
            continue
        key = _dotted(m.group(1))
        out.setdefault(f"{table}.{key}" if table else key, no)
        rest = line[m.end() :]
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2 == 1:
                in_string = quote
                break
    return out


def line_of(key: str, lines: Mapping[str, int]) -> int | None:
    """The line of ``key``, else of the nearest table or array holding it (None: not found)."""
    probe = key
    while probe:
        if probe in lines:
            return lines[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return None


# --- typed access ----------------------------------------------------------------------------


class Table:
    """Typed access to one table of a parsed file.

    Every error names the file, the line where known and the dotted key, in the wording of
    this module.

    Parameters
    ----------
    data
        The table (a mapping of the parsed document).
    source
        The file (or a name for text that is not a file) shown in messages; None: no prefix.
    error
        The exception type raised.
    lines
        Dotted key → line (:func:`toml_key_lines`); empty when lines are not known.
    prefix
        Dotted key of this table in the document (``""`` for the top).
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        source: str | Path | None,
        error: ErrorType = ConfigError,
        lines: Mapping[str, int] | None = None,
        prefix: str = "",
    ) -> None:
        self.data = data
        self.source = source
        self.error = error
        self.lines: Mapping[str, int] = lines or {}
        self.prefix = prefix

    @classmethod
    def from_toml(
        cls, text: str, *, source: str | Path | None, error: ErrorType = ConfigError
    ) -> Table:
        """The top table of the TOML ``text``, with the lines of its keys."""
        return cls(
            parse_toml(text, source, error=error),
            source=source,
            error=error,
            lines=toml_key_lines(text),
        )

    def key(self, name: str) -> str:
        """The dotted key of ``name`` in the document (``name`` may be ``[i]``-indexed)."""
        if not self.prefix:
            return name
        return f"{self.prefix}{name}" if name.startswith("[") else f"{self.prefix}.{name}"

    def fail(self, name: str, message: str) -> StretchguardError:
        r"""The error ``FILE:LINE: key 'DOTTED': message`` (a domain check's own words).

        A key from the file is shown escaped (``\x1b``), never as raw control characters.
        """
        key = self.key(name)
        shown = repr(key)[1:-1]
        return error_at(
            self.error, self.source, f"key '{shown}': {message}", line=line_of(key, self.lines)
        )

    def wrong(self, name: str, expected: str, value: Any = MISSING) -> StretchguardError:
        """The error ``FILE:LINE: key 'DOTTED': expected WHAT, found KIND VALUE``."""
        if value is MISSING:
            value = self.data.get(name, MISSING) if isinstance(self.data, Mapping) else MISSING
        return self.fail(name, f"expected {expected}, found {found(value)}")

    def check_keys(self, allowed: Iterable[str]) -> None:
        """Raise for the first key (sorted) not in ``allowed``."""
        known = set(allowed)
        unknown = sorted(str(k) for k in self.data if k not in known)
        if unknown:
            raise self.fail(unknown[0], f"unknown key; expected one of {', '.join(sorted(known))}")

    def sub(self, name: str, *, required: bool = False) -> Table:
        """The table under ``name`` (empty when absent and not ``required``)."""
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.wrong(name, "a table")
            value = {}
        if not isinstance(value, Mapping):
            raise self.wrong(name, "a table", value)
        return type(self)(
            value, source=self.source, error=self.error, lines=self.lines, prefix=self.key(name)
        )

    def string(self, name: str, *, default: Any = MISSING) -> str:
        """A string (``default`` when absent; absent without default raises)."""
        value = self.data.get(name, default)
        if value is MISSING or value is None:
            raise self.wrong(name, "a string")
        if not isinstance(value, str):
            raise self.wrong(name, "a string", value)
        return value

    def number(
        self,
        name: str,
        *,
        default: float | None = None,
        required: bool = True,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float | None:
        """A finite number within ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``).

        Booleans are not numbers. ``default`` when absent; None when absent with no default
        and not required.
        """
        value = self.data.get(name, default)
        if value is None:
            if required:
                raise self.wrong(name, "a number")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.wrong(name, "a number", value)
        out = float(value)
        if not math.isfinite(out):
            raise self.wrong(name, "a finite number", value)
        if lo is not None and (out <= lo if lo_open else out < lo):
            raise self.wrong(name, f"a number {'>' if lo_open else '≥'} {lo:g}", value)
        if hi is not None and out > hi:
            raise self.wrong(name, f"a number ≤ {hi:g}", value)
        return out

    def req_number(self, name: str, **kwargs: Any) -> float:
        """:meth:`number` that is never None."""
        out = self.number(name, required=True, **kwargs)
        assert out is not None
        return out

    def positive(self, name: str) -> float:
        """A finite number > 0 (a rate, a timeout)."""
        return self.req_number(name, lo=0.0, lo_open=True)

    def integer(self, name: str, *, default: int, lo: int = 0) -> int:
        """An integer ≥ ``lo`` (``default`` when absent)."""
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.wrong(name, "an integer", value)
        if value < lo:
            raise self.wrong(name, f"an integer ≥ {lo}", value)
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        """``true`` or ``false`` (``default`` when absent)."""
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.wrong(name, "true or false", value)
        return value

    def strings(self, name: str) -> list[str]:
        """A list of strings (empty when absent)."""
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.wrong(name, "a list of strings", value)
        return value
