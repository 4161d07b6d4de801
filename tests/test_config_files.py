"""The four readers of TOML/JSON files word their errors one way.

A profile, a live-session file, a sensor mapping and a recording's sidecar each get the same
kinds of bad input (broken syntax, a value of the wrong type, a table that is not a table,
bytes that are not UTF-8, a named pipe) and must name the file, the line where it is known,
the dotted key, what was expected and what was found, in the wording of
``analysis/recording/config_files.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analysis.envelope.profiles import parse_profile, read_profile_text
from analysis.errors import ConfigError, RecordingFormatError, StretchguardError
from analysis.recording.config_files import Table, found, line_of, toml_key_lines
from sensors.formats.canonical import read_sidecar
from sensors.formats.merge import SensorMapping
from sensors.session.config import load_session_config


def _profile(p: Path) -> Any:
    return parse_profile(read_profile_text(p), source=str(p))


def _sidecar(p: Path) -> Any:
    return read_sidecar(p.with_suffix(".csv"))


# name: (file name, reader, error type)
READERS: dict[str, tuple[str, Callable[[Path], Any], type[StretchguardError]]] = {
    "profile": ("my_profile.toml", _profile, ConfigError),
    "session": ("session.toml", load_session_config, ConfigError),
    "mapping": ("mapping.toml", SensorMapping.from_toml, ConfigError),
    "sidecar": ("rec.json", _sidecar, RecordingFormatError),
}

BROKEN = {
    "profile": 'extends = "standing_hamstring"\n[hold\n',
    "session": "[sensors]\npelvis = 'A'\nside = = 'left'\n",
    "mapping": '[sensors]\n"a.csv" = \n',
    "sidecar": '{"format": "stretchguard-session/1",\n "side": }',
}
"""Syntax errors, and the line each is on."""
BROKEN_LINE = {"profile": 2, "session": 3, "mapping": 2, "sidecar": 2}

WRONG_TYPE = {
    "profile": (
        'extends = "standing_hamstring"\n\n[hold]\ntarget_s = "long"\n',
        "hold.target_s",
        "string 'long'",
        4,
    ),
    "session": (
        "[sensors]\npelvis = { name = 'A', rate_hz = 'fast' }\n",
        "sensors.pelvis.rate_hz",
        "string 'fast'",
        2,
    ),
    "mapping": ('[sensors]\n\n"a.csv" = 5\n', "sensors.a.csv", "number 5", 3),
    "sidecar": ('{"format": "stretchguard-session/1", "side": 5}', "side", "number 5", None),
}
"""A value of the wrong type: (text, dotted key, what was found, line or None: not known)."""

NOT_A_TABLE = {
    "profile": ('extends = "standing_hamstring"\nhold = 3\n', "hold", "number 3", 2),
    "session": ("exercise = 'x'\nsensors = 'MetaWear'\n", "sensors", "string 'MetaWear'", 2),
    "mapping": ("[other]\na = 1\nsensors = [1]\n", "other.sensors", "", 3),
    "sidecar": ('{"sensors": [1]}', "sensors", "list [1]", None),
}
"""A table given as something else (the mapping's [sensors] is inside [other] here)."""

ONE_WORDING = re.compile(r"^(?P<file>.+?)(:(?P<line>\d+))?: key '(?P<key>[^']+)': (?P<rest>.+)$")


def _error(reader: str, tmp_path: Path, data: str | bytes) -> StretchguardError:
    name, read, error_type = READERS[reader]
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    with pytest.raises(error_type) as info:
        read(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    return info.value


@pytest.mark.parametrize("reader", READERS)
def test_a_syntax_error_names_file_line_and_column(tmp_path: Path, reader: str) -> None:
    message = str(_error(reader, tmp_path, BROKEN[reader]))
    kind = "JSON" if reader == "sidecar" else "TOML"
    m = re.match(rf"^.+:(\d+): invalid {kind} \(.+\) at column \d+$", message)
    assert m is not None, message
    assert int(m.group(1)) == BROKEN_LINE[reader]


@pytest.mark.parametrize("reader", READERS)
def test_a_wrong_type_names_the_dotted_key_expected_and_found(tmp_path: Path, reader: str) -> None:
    text, key, shown, line = WRONG_TYPE[reader]
    message = str(_error(reader, tmp_path, text))
    m = ONE_WORDING.match(message)
    assert m is not None, message
    assert m.group("key") == key
    assert re.match(r"expected .+, found " + re.escape(shown) + "$", m.group("rest")), message
    assert m.group("line") == (None if line is None else str(line))


@pytest.mark.parametrize("reader", READERS)
def test_a_table_that_is_not_a_table_is_named(tmp_path: Path, reader: str) -> None:
    text, key, shown, line = NOT_A_TABLE[reader]
    message = str(_error(reader, tmp_path, text))
    if reader == "mapping":  # no [sensors] table at the top: the key is missing
        assert re.search(
            r": key 'sensors': expected a \[sensors\] table.*, found nothing$", message
        )
        return
    m = ONE_WORDING.match(message)
    assert m is not None, message
    assert m.group("key") == key
    assert m.group("rest").startswith("expected ")
    assert m.group("rest").endswith(f", found {shown}"), message
    assert m.group("line") == (None if line is None else str(line))


@pytest.mark.parametrize("reader", READERS)
def test_bytes_that_are_not_utf8_are_refused_with_the_line(tmp_path: Path, reader: str) -> None:
    message = str(_error(reader, tmp_path, b"# ok\n# caf\xe9\n"))
    assert re.match(r"^.+:2: .+ is not a UTF-8 text file \(byte 0xe9 at offset 10\)$", message)


@pytest.mark.parametrize("reader", READERS)
def test_a_named_pipe_is_refused_before_it_is_opened(tmp_path: Path, reader: str) -> None:
    name, read, error_type = READERS[reader]
    os.mkfifo(tmp_path / name)
    with pytest.raises(error_type, match=r"^.+: .+ is a named pipe"):
        read(tmp_path / name)


def test_key_lines_follow_tables_arrays_and_inline_tables() -> None:
    text = (
        'name = "x"\n'
        "[rules.knee_flexion]  # a comment\n"
        "min_deg = 10\n"
        'cue = """\n'
        "looks = like a key\n"
        '"""\n'
        "[[engaged.when]]\n"
        "angle = 'a'\n"
        "[[engaged.when]]\n"
        "limits = { min_deg = 1 }\n"
    )
    lines = toml_key_lines(text)
    assert lines["rules.knee_flexion"] == 2
    assert lines["rules.knee_flexion.min_deg"] == 3
    assert "rules.knee_flexion.looks" not in lines  # inside a multi-line string
    assert line_of("engaged.when[1].limits.min_deg", lines) == 10
    assert line_of("engaged.when[0].angle", lines) == 8
    assert line_of("absent.key", lines) is None


def test_found_shows_kind_and_escaped_text() -> None:
    assert found("a\x1b[2Jb") == "string 'a\\x1b[2Jb'"
    assert found(True) == "boolean True"
    assert found(None) == "null"
    assert found({"a": 1}).startswith("table ")
    table = Table({"n": "x"}, source="f.toml", lines={"n": 7})
    assert (
        str(table.wrong("n", "a number"))
        == "f.toml:7: key 'n': expected a number, found string 'x'"
    )
