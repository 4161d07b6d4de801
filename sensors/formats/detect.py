"""Which format a file is in, from its content (not its name).

Signatures, checked on the first lines of the (gunzipped) file:

- ``canonical``: a header with ``t_s`` and ``sensor`` columns (DESIGN §4);
- ``metabase``: ``epoch (ms),time (±HH:MM),elapsed (s),…``;
- ``movella_dot``: ``sep=,`` with ``DeviceTag:`` lines, or a ``PacketCounter,SampleTimeFine``
  header;
- ``witmotion``: a header with ``Device name`` and ``Acceleration X(…)`` columns;
- ``phyphox``: a header starting ``Time (s)`` with phyphox column names, or a ZIP export.

Anything else raises RecordingFormatError naming the file, showing its first line and listing
the supported formats.
"""

from __future__ import annotations

import csv
import gzip
import os
import zlib
from pathlib import Path
from typing import Final

from analysis.errors import RecordingFormatError
from analysis.recording.inputs import hole_problem, regular_file_problem
from sensors.formats.metabase import is_metabase_header
from sensors.formats.movella_dot import is_dot_preamble
from sensors.formats.phyphox import EMPTY_ZIP_MAGIC, ZIP_MAGIC, is_phyphox_header
from sensors.formats.witmotion import is_witmotion_header

HEAD_BYTES: Final = 16384

FORMATS: Final[dict[str, str]] = {
    "canonical": "stretchguard recording (header t_s,sensor,acc_x_m_s2,…)",
    "metabase": "MbientLab MetaBase export (header epoch (ms),time (…),elapsed (s),…)",
    "movella_dot": "Movella DOT app export (sep=, / DeviceTag: preamble, PacketCounter,"
    "SampleTimeFine,…)",
    "witmotion": "WitMotion PC software export (Time,Device name,Chip Time(),Acceleration X(g),…)",
    "phyphox": 'phyphox export CSV or ZIP ("Time (s)","Acceleration x (m/s^2)",…)',
}
"""Supported input formats and how to recognise them (for messages and docs)."""


def supported_formats_text(*, multiline: bool = False) -> str:
    """The supported formats: one line for error messages, or one line each for ``--help``."""
    if multiline:
        return "\n".join(f"  {name}: {what}" for name, what in FORMATS.items())
    return "; ".join(FORMATS.values())


def read_head(path: Path, n_bytes: int = HEAD_BYTES) -> bytes:
    """The first ``n_bytes`` of a file (decompressed if it ends in ``.gz``).

    Only a regular file is opened (``recording.inputs``): a FIFO, device, folder or socket is
    refused before the open, which for a FIFO would block.
    """
    problem = regular_file_problem(path)
    if problem is not None:
        raise RecordingFormatError(path, problem)
    try:
        with path.open("rb") as fh:
            hole = hole_problem(fh.fileno(), os.fstat(fh.fileno()).st_size)
            if hole is not None:  # a sparse file's zeros are no format: say what they are
                raise RecordingFormatError(path, hole)
            raw = fh.read(n_bytes)
            if path.name.endswith(".gz"):
                fh.seek(0)
                with gzip.open(fh) as gz:
                    raw = gz.read(n_bytes)
    except FileNotFoundError:
        raise RecordingFormatError(path, "file not found") from None
    except IsADirectoryError:
        raise RecordingFormatError(path, "is a folder, expected a file") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise RecordingFormatError(path, f"cannot read the file ({exc})") from None
    return raw


def _is_canonical(first_line: str) -> bool:
    try:
        cells = [c.strip() for c in next(csv.reader([first_line]), [])]
    except csv.Error:
        return False
    return "t_s" in cells and "sensor" in cells


def _looks_utf16(head: bytes) -> bool:
    """A UTF-16 byte-order mark, or ASCII text with a NUL byte beside every character."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    pairs = head[:200]
    even, odd = pairs[0::2], pairs[1::2]
    return len(pairs) >= 8 and (odd.count(0) == len(odd) or even.count(0) == len(even))


def detect_format(path: str | Path) -> str:
    """The format name (a key of :data:`FORMATS`) of ``path``, decided from its content."""
    p = Path(path)
    head = read_head(p)
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "phyphox"
    if _looks_utf16(head):
        raise RecordingFormatError(
            p,
            "UTF-16 text (a spreadsheet's 'Unicode text' export?); expected UTF-8: save it "
            "as 'CSV UTF-8' or export it again from the app",
            line=1,
        )
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.rstrip("\r") for ln in text.split("\n")[:40]]
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise RecordingFormatError(p, "file is empty; expected a CSV export", line=1)
    if _is_canonical(first):
        return "canonical"
    if is_metabase_header(first):
        return "metabase"
    if is_dot_preamble(lines):
        return "movella_dot"
    if is_witmotion_header(first):
        return "witmotion"
    if is_phyphox_header(first):
        return "phyphox"
    shown = first if len(first) <= 100 else first[:97] + "..."
    if "\x00" in text or sum(ch == "\ufffd" for ch in text[:200]) > 5:
        shown = "<binary data>"
    raise RecordingFormatError(
        p,
        f"unknown file format (first line: {shown!r}); supported: {supported_formats_text()}",
        line=1,
    )
