"""Hostile-input harness: a seeded corpus of malformed files, run through every reader.

Builds, in a scratch folder, a clean simulated recording (4 sensors, 100 Hz, seed 3), a clean
Movella DOT export, a clean MetaBase accelerometer export and a clean profile, then one
mutated copy per hostile case (files that are not files, broken encodings and line ends, huge
fields, values beyond the sensor limits, absurd times, malformed sidecars, broken vendor
headers, hostile profiles). Every case is read with a time limit (``signal.alarm``) and
classified:

* ``error``: a clean project error (``StretchguardError``), one line;
* ``warned``: accepted with at least one warning (a documented acceptance);
* ``same``: accepted without a warning, with exactly the clean file's angles / samples;
* ``traceback``: any other exception; ``hang``: the time limit ran out;
* ``misread``: accepted without a warning but angles (or samples) differ from the clean file.

Run ``python bench/hostile_inputs.py`` to print the table of ``docs/input-policy.md``;
``tests/hostile/test_corpus.py`` runs the same corpus and requires 0 tracebacks, hangs and
misreads.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from analysis.angles.pipeline import analyse_recording  # noqa: E402
from analysis.envelope.profiles import (  # noqa: E402
    load_builtin_profile,
    parse_profile,
    read_profile_text,
)
from analysis.errors import StretchguardError  # noqa: E402
from sensors.formats.canonical import read_recording, sidecar_path  # noqa: E402
from sensors.formats.metabase import write_metabase  # noqa: E402
from sensors.formats.movella_dot import write_movella_dot  # noqa: E402
from sensors.formats.phyphox import write_phyphox  # noqa: E402
from sensors.formats.session import read_streams  # noqa: E402
from sensors.formats.witmotion import write_witmotion  # noqa: E402

TIME_LIMIT_S = 20
"""Seconds one case may take before it counts as a hang."""

ANGLE_TOLERANCE_DEG = 0.01
"""An accepted file without warnings must give the clean file's angles within this."""

MAX_MESSAGE_CHARS = 600
"""A clean error is one line of at most this many characters (paths included)."""

RESULTS = ("error", "warned", "same", "traceback", "hang", "misread")


@dataclass(frozen=True)
class Case:
    """One hostile input: what it is, which reader, and the file(s) to read."""

    name: str
    klass: str
    kind: str  # "canonical" | "vendor" | "profile"
    path: Path
    clean: str = ""  # name of the clean case to compare with (vendor: "dot" / "metabase")


@dataclass(frozen=True)
class Outcome:
    """How a case ended."""

    case: Case
    result: str
    detail: str
    seconds: float


# --- corpus ----------------------------------------------------------------------------------


class _Builder:
    """Writes mutated copies of the clean files into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cases: list[Case] = []
        self.rng = np.random.default_rng(11)
        self.mb_name = ""

    def add(self, name: str, klass: str, kind: str, clean: str = "") -> Path:
        sub = self.folder / name
        sub.mkdir()
        suffix = {"canonical": "rec.csv", "vendor": "export.csv", "profile": "p.toml"}[kind]
        path = sub / suffix
        self.cases.append(Case(name, klass, kind, path, clean))
        return path


def _clean_recording(folder: Path) -> tuple[bytes, bytes]:
    out = folder / "clean" / "rec.csv"
    out.parent.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "simulate",
            "standing_correct",
            "--out",
            str(out),
            "--seed",
            "3",
            "--sensors",
            "pelvis,right_thigh,right_shank,right_foot",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return out.read_bytes(), sidecar_path(out).read_bytes()


def _clean_dot(folder: Path) -> bytes:
    t = np.arange(600) / 60.0
    half = 0.3 * np.sin(0.5 * t)
    quat = np.column_stack([np.cos(half), np.sin(half), 0 * t, 0 * t])
    acc = np.column_stack([0 * t, 0.1 * np.sin(t), 9.81 + 0 * t])
    gyr = np.column_stack([0.15 * np.cos(0.5 * t), 0 * t, 0 * t])
    p = folder / "clean_dot.csv"
    write_movella_dot(p, t_s=t, quat=quat, acc_m_s2=acc, gyr_rad_s=gyr, tag="pelvis")
    return p.read_bytes()


def _clean_metabase(folder: Path) -> bytes:
    sub = folder / "clean_mb"
    sub.mkdir()
    t = 1_700_000_000.0 + np.arange(500) / 100.0
    values = np.column_stack([0.01 * np.sin(t), 0 * t, 1.0 + 0 * t])
    p = write_metabase(sub, "Accelerometer", t, values * 9.80665, rate_hz=100.0)
    return p.read_bytes()


def _clean_witmotion(folder: Path) -> bytes:
    t = np.arange(400) / 50.0
    acc = np.column_stack([0.2 * np.sin(t), 0 * t, 9.81 + 0 * t])
    gyr = np.column_stack([0 * t, 0.3 * np.cos(t), 0 * t])
    return write_witmotion(
        folder / "clean_wit.csv", t_s=t, acc_m_s2=acc, gyr_rad_s=gyr
    ).read_bytes()


def _clean_phyphox(folder: Path) -> bytes:
    t = np.arange(400) / 100.0
    values = np.column_stack([0.1 * np.sin(t), 0 * t, 9.81 + 0 * t])
    return write_phyphox(folder / "clean_phy.csv", t_s=t, values=values, kind="acc").read_bytes()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _set_cell(data: bytes, row: int, col: int, value: bytes) -> bytes:
    lines = _lines(data)
    cells = lines[row].split(b",")
    cells[col] = value
    lines[row] = b",".join(cells)
    return b"\n".join(lines)


def _map_time(data: bytes, fn: Callable[[int, float, bytes], float | None]) -> bytes:
    """Rewrite column 0 (time) of every data row with ``fn(row, t, line)`` (None: unchanged)."""
    lines = _lines(data)
    for i in range(1, len(lines)):
        if not lines[i]:
            continue
        cells = lines[i].split(b",", 1)
        new = fn(i, float(cells[0]), lines[i])
        if new is not None:
            lines[i] = repr(round(new, 6)).encode() + b"," + cells[1]
    return b"\n".join(lines)


def _canonical_cases(b: _Builder, csv: bytes, side: bytes) -> None:
    n_rows = csv.count(b"\n") - 1
    mid = n_rows // 2

    def put(name: str, klass: str, data: bytes, sidecar: bytes | None = side) -> Path:
        p = b.add(name, klass, "canonical")
        p.write_bytes(data)
        if sidecar is not None:
            sidecar_path(p).write_bytes(sidecar)
        return p

    # files that are not regular files
    p = b.add("csv_fifo", "not a regular file", "canonical")
    os.mkfifo(p)
    p = b.add("csv_folder", "not a regular file", "canonical")
    p.mkdir()
    p = b.add("csv_symlink_dev_zero", "not a regular file", "canonical")
    p.symlink_to("/dev/zero")
    p = b.add("csv_dangling_symlink", "not a regular file", "canonical")
    p.symlink_to(p.parent / "missing.csv")
    p = put("sidecar_fifo", "not a regular file", csv, sidecar=None)
    os.mkfifo(sidecar_path(p))
    p = put("sidecar_folder", "not a regular file", csv, sidecar=None)
    sidecar_path(p).mkdir()
    p = put("sidecar_symlink_dev_zero", "not a regular file", csv, sidecar=None)
    sidecar_path(p).symlink_to("/dev/zero")
    put("empty_csv", "not a regular file", b"")

    # encodings, line ends, fields
    enc = "encoding, line ends, fields"
    put("bad_utf8_numeric_cell", enc, _set_cell(csv, mid, 3, b"9.8\xff1"))
    put("bad_utf8_sensor_label", enc, _set_cell(csv, mid, 1, b"pelv\xe9s"))
    put("cr_only_line_ends", enc, csv.replace(b"\n", b"\r"))
    put("crlf_line_ends", enc, csv.replace(b"\n", b"\r\n"))
    put("byte_order_mark", enc, b"\xef\xbb\xbf" + csv)
    put("nul_byte_in_cell", enc, _set_cell(csv, mid, 4, b"0\x001"))
    put("field_200k_chars_numeric", enc, _set_cell(csv, mid, 3, b"1" * 200_000))
    put("field_200k_chars_text", enc, _set_cell(csv, mid, 1, b"x" * 200_000))
    put("quoted_newline_in_cell", enc, _set_cell(csv, mid, 1, b'"pel\nvis"'))
    put("torn_last_line", enc, csv[: csv.rstrip(b"\n").rfind(b"\n") + 20])
    put("complete_last_row_no_newline", enc, csv.rstrip(b"\n"))
    put("binary_garbage_appended", enc, csv + b.rng.bytes(2000))
    header, rest = csv.split(b"\n", 1)
    put("header_200k_chars_column", enc, header + b"," + b"y" * 200_000 + b"\n" + rest)
    put("header_only", enc, header + b"\n")

    # values beyond the sensor limits
    val = "values beyond sensor limits"
    for col_name, col in (("acc", 3), ("gyr", 7)):
        for text in (b"1e308", b"1e39", b"3.5e38", b"1e400", b"inf", b"-inf", b"nan", b"250"):
            label = text.decode().replace("-", "minus_").replace(".", "p")
            if col_name == "gyr" and text == b"250":
                text = b"50"
            put(f"{col_name}_{label}", val, _set_cell(csv, mid, col, text))

    # times
    tim = "absurd times"
    put("t_1e9_one_row", tim, _set_cell(csv, mid, 0, b"1000000000.0"))
    put("t_jump_plus_1e6", tim, _map_time(csv, lambda i, t, _: t + 1e6 if i >= mid else None))
    put("t_jump_plus_1000", tim, _map_time(csv, lambda i, t, _: t + 1000 if i >= mid else None))
    put("t_shift_minus_50", tim, _map_time(csv, lambda i, t, _: t - 50))
    put(
        "t_shift_one_sensor_minus_50",
        tim,
        _map_time(csv, lambda i, t, ln: t - 50 if b",pelvis," in ln else None),
    )
    put("t_in_milliseconds", tim, _map_time(csv, lambda i, t, _: t * 1000))
    put("t_in_kiloseconds", tim, _map_time(csv, lambda i, t, _: t / 1000))
    lines = _lines(csv)
    put("duplicate_row", tim, b"\n".join([*lines[: mid + 1], lines[mid], *lines[mid + 1 :]]))
    swapped = [*lines]
    same = next(
        j for j in range(mid + 1, mid + 50) if lines[j].split(b",")[1] == lines[mid].split(b",")[1]
    )
    swapped[mid], swapped[same] = swapped[same], swapped[mid]
    put("backward_step", tim, b"\n".join(swapped))

    # sidecars
    sc = "sidecar fields"
    good = side.decode()
    sidecars = {
        "sidecar_bad_utf8": side.replace(b'"right"', b'"ri\xffght"'),
        "sidecar_nested_100k": b'{"notes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "sidecar_invalid_json": side[:-20],
        "sidecar_top_level_list": b"[1, 2]",
        "sidecar_2mb": side.rstrip()[:-1] + b', "pad": "' + b"x" * (2 << 20) + b'"}',
        "sidecar_huge_integer": side.rstrip()[:-1] + b', "pad": ' + b"9" * 5000 + b"}",
        "sidecar_rate_fast": good.replace('"rate_hz": 100.0', '"rate_hz": "fast"', 1).encode(),
        "sidecar_rate_negative": good.replace('"rate_hz": 100.0', '"rate_hz": -100', 1).encode(),
        "sidecar_markers_5": _sidecar_set(good, "markers", 5),
        "sidecar_gaps_5": _sidecar_set(good, "gaps", 5),
        "sidecar_marker_1e308": _sidecar_set(good, "markers", [{"t_s": 1e308, "label": "x"}]),
        "sidecar_marker_past_end": _sidecar_set(good, "markers", [{"t_s": 5000, "label": "x"}]),
        "sidecar_marker_label_number": _sidecar_set(good, "markers", [{"t_s": 50, "label": 5}]),
        "sidecar_gap_backward": _sidecar_set(
            good, "gaps", [{"sensor": "pelvis", "start_s": 50, "end_s": 40}]
        ),
        "sidecar_gap_unknown_sensor": _sidecar_set(
            good, "gaps", [{"sensor": "tail", "start_s": 40, "end_s": 50}]
        ),
        "sidecar_gap_sensor_not_worn": _sidecar_set(
            good, "gaps", [{"sensor": "head", "start_s": 40, "end_s": 50}]
        ),
        "sidecar_static_0_1e308": _sidecar_set(good, "calibration", {"static_s": [0, 1e308]}),
        "sidecar_static_outside_data": _sidecar_set(good, "calibration", {"static_s": [500, 505]}),
        "sidecar_static_string": _sidecar_set(good, "calibration", {"static_s": "0-4"}),
        "sidecar_side_up": _sidecar_set(good, "side", "up"),
        "sidecar_exercise_number": _sidecar_set(good, "exercise", 5),
        "sidecar_sensors_list": _sidecar_set(good, "sensors", [1]),
    }
    for name, data in sidecars.items():
        put(name, sc, csv, sidecar=data)


def _sidecar_set(text: str, key: str, value: object) -> bytes:
    import json

    data = json.loads(text)
    data[key] = value
    return json.dumps(data).encode()


def _vendor_cases(b: _Builder, dot: bytes, mb: bytes) -> None:
    def put(name: str, klass: str, data: bytes, clean: str) -> Path:
        p = b.add(name, klass, "vendor", clean)
        if clean == "metabase":  # the MetaBase name carries the rate and sensor
            p = p.with_name(b.mb_name)
            b.cases[-1] = Case(name, klass, "vendor", p, clean)
        p.write_bytes(data)
        return p

    ven = "vendor exports"
    put("dot_clean", ven, dot, "dot")
    put("dot_output_rate_0hz", ven, _replace_line(dot, b"OutputRate:", b"OutputRate:,0Hz"), "dot")
    put(
        "dot_output_rate_fast", ven, _replace_line(dot, b"OutputRate:", b"OutputRate:,1e9Hz"), "dot"
    )
    put("dot_quat_w_renamed", ven, dot.replace(b"Quat_W", b"Quat_Q", 1), "dot")
    put("dot_acc_x_renamed", ven, dot.replace(b"Acc_X", b"AccX", 1), "dot")
    put("dot_cr_only", ven, dot.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), "dot")
    lines = _lines(dot)
    hdr = next(i for i, ln in enumerate(lines) if ln.startswith(b"PacketCounter"))
    cols = lines[hdr].decode().strip().split(",")
    row = hdr + 300
    put("dot_acc_1e308", ven, _set_cell(dot, row, cols.index("Acc_X"), b"1e308"), "dot")
    put("dot_gyr_1e39", ven, _set_cell(dot, row, cols.index("Gyr_Z"), b"1e39"), "dot")
    put("dot_quat_not_unit", ven, _set_cell(dot, row, cols.index("Quat_W"), b"3"), "dot")
    put("dot_bad_utf8", ven, _set_cell(dot, row, cols.index("Acc_Y"), b"0.\xff"), "dot")
    put("dot_field_200k", ven, _set_cell(dot, row, cols.index("Acc_Y"), b"2" * 200_000), "dot")
    put("dot_torn_last_line", ven, dot[: dot.rstrip().rfind(b"\n") + 12], "dot")
    put(
        "dot_time_repeats",
        ven,
        b"\n".join([*lines[: row + 1], lines[row], *lines[row + 1 :]]),
        "dot",
    )
    put("mb_clean", ven, mb, "metabase")
    put("mb_cr_only", ven, mb.replace(b"\n", b"\r"), "metabase")
    put("mb_field_200k", ven, _set_cell(mb, 100, 3, b"3" * 200_000), "metabase")
    put("mb_field_200k_time_text", ven, _set_cell(mb, 100, 1, b"t" * 200_000), "metabase")
    put("mb_acc_1e39", ven, _set_cell(mb, 100, 4, b"1e39"), "metabase")
    put("mb_bad_utf8", ven, _set_cell(mb, 100, 4, b"0.\xfe"), "metabase")
    put("mb_time_jump_1e6", ven, _shift_epoch(mb, 250, 1e9), "metabase")
    p = b.add("vendor_fifo", ven, "vendor", "dot")
    os.mkfifo(p)


def _more_vendor_cases(b: _Builder, wit: bytes, phy: bytes) -> None:
    def put(name: str, data: bytes, clean: str) -> None:
        b.add(name, "vendor exports", "vendor", clean).write_bytes(data)

    put("wit_clean", wit, "witmotion")
    head = _lines(wit)[0].decode().split(",")
    acc_y = head.index(next(c for c in head if c.startswith("Acceleration Y")))
    put("wit_acc_1e39", _set_cell(wit, 200, acc_y, b"1e39"), "witmotion")
    put("wit_cr_only", wit.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), "witmotion")
    put("wit_acc_y_renamed", wit.replace(b"Acceleration Y", b"Accel Y", 1), "witmotion")
    put("wit_field_200k", _set_cell(wit, 200, acc_y, b"4" * 200_000), "witmotion")
    put("wit_bad_utf8", _set_cell(wit, 200, acc_y, b"0.\xff"), "witmotion")
    put("phy_clean", phy, "phyphox")
    put("phy_acc_3p5e38", _set_cell(phy, 200, 2, b"3.5E+38"), "phyphox")
    put("phy_cr_only", phy.replace(b"\n", b"\r"), "phyphox")
    put("phy_time_1e9", _set_cell(phy, 200, 0, b"1E+9"), "phyphox")
    put("phy_header_200k", b'"' + b"T" * 200_000 + b'",' + phy, "phyphox")


def _replace_line(data: bytes, start: bytes, new: bytes) -> bytes:
    lines = _lines(data)
    return b"\n".join(
        new + b"\r" * ln.endswith(b"\r") if ln.startswith(start) else ln for ln in lines
    )


def _shift_epoch(data: bytes, from_row: int, ms: float) -> bytes:
    lines = _lines(data)
    for i in range(from_row, len(lines)):
        if lines[i]:
            cells = lines[i].split(b",")
            cells[0] = str(int(float(cells[0]) + ms)).encode()
            lines[i] = b",".join(cells)
    return b"\n".join(lines)


def _profile_cases(b: _Builder) -> None:
    pro = "profiles"
    ok = 'extends = "standing_hamstring"\n[rules.knee_flexion]\nmin_deg = 15\n'
    cases = {
        "profile_clean": ok,
        "profile_cue_width_99999999": ok + 'cue = "x {peak:>99999999}"\n',
        "profile_cue_nested_spec": ok + 'cue = "x {peak:>{limit}}"\n',
        "profile_cue_10k_chars": ok + 'cue = "' + "y" * 10_000 + '"\n',
        "profile_300kb": ok + "# " + "z" * 300_000 + "\n",
        "profile_deep_nesting": "a = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "profile_bad_utf8": None,
    }
    for name, text in cases.items():
        p = b.add(name, pro, "profile")
        if text is None:
            p.write_bytes(ok.encode() + b"# \xff\xfe\n")
        else:
            p.write_text(text, encoding="utf-8")
    p = b.add("profile_fifo", pro, "profile")
    os.mkfifo(p)
    p = b.add("profile_symlink_dev_zero", pro, "profile")
    p.symlink_to("/dev/zero")


def build_corpus(folder: Path) -> list[Case]:
    """Write the clean files and every hostile case under ``folder``; return the cases."""
    b = _Builder(folder)
    csv, side = _clean_recording(folder)
    _canonical_cases(b, csv, side)
    mb = _clean_metabase(folder)
    b.mb_name = next((folder / "clean_mb").iterdir()).name
    _vendor_cases(b, _clean_dot(folder), mb)
    _more_vendor_cases(b, _clean_witmotion(folder), _clean_phyphox(folder))
    _profile_cases(b)
    return b.cases


# --- running ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def expire(_sig: int, _frame: object) -> None:
        raise TimeoutError(f"no result within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class Reference:
    """What the clean files give: angles of the recording, samples of the vendor exports."""

    def __init__(self, folder: Path) -> None:
        rec = read_recording(folder / "clean" / "rec.csv")
        self.angles = analyse_recording(rec).angles
        self.streams = {
            "dot": read_streams(folder / "clean_dot.csv"),
            "metabase": read_streams(next((folder / "clean_mb").iterdir())),
            "witmotion": read_streams(folder / "clean_wit.csv"),
            "phyphox": read_streams(folder / "clean_phy.csv"),
        }


def _same_angles(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns):
        return False
    n = min(len(a), len(b))
    if abs(len(a) - len(b)) > 2 or n == 0:
        return False
    x = a.iloc[:n].to_numpy(dtype=np.float64)
    y = b.iloc[:n].to_numpy(dtype=np.float64)
    both = np.isfinite(x) & np.isfinite(y)
    if not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return False
    return bool(np.all(np.abs(x[both] - y[both]) <= ANGLE_TOLERANCE_DEG))


def _same_streams(got: tuple, want: tuple) -> bool:
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if g.channels != w.channels or abs(len(g) - len(w)) > 1:
            return False
        n = min(len(g), len(w))
        for a, b in ((g.t_s, w.t_s), (g.acc_m_s2, w.acc_m_s2), (g.gyr_rad_s, w.gyr_rad_s)):
            if (a is None) != (b is None):
                return False
            if a is not None and not np.allclose(a[:n], b[:n], rtol=0, atol=1e-9):
                return False
        if g.quat is not None and not np.allclose(g.quat[:n], w.quat[:n], atol=1e-9):
            return False
    return True


def _run(case: Case, ref: Reference) -> tuple[str, str]:
    if case.kind == "canonical":
        rec = read_recording(case.path)
        res = analyse_recording(rec)
        if res.warnings or rec.warnings:
            return "warned", (res.warnings or rec.warnings)[0]
        return ("same", "") if _same_angles(res.angles, ref.angles) else ("misread", "angles")
    if case.kind == "vendor":
        streams = read_streams(case.path)
        notes = [w for s in streams for w in s.warnings]
        clean_notes = [w for s in ref.streams[case.clean] for w in s.warnings]
        if _same_streams(streams, ref.streams[case.clean]) and notes == clean_notes:
            return "same", ""
        if len(notes) > len(clean_notes):
            return "warned", next(n for n in notes if n not in clean_notes)
        return "misread", "samples differ"
    profile = parse_profile(read_profile_text(case.path), source=str(case.path))
    for rule in profile.rules:
        if len(rule.format_cue(1e308)) > 2000:
            return "misread", "cue longer than 2000 characters"
    base = load_builtin_profile("standing_hamstring")
    return ("same", "") if profile.name == base.name else ("warned", profile.name)


def run_case(case: Case, ref: Reference, *, limit_s: int = TIME_LIMIT_S) -> Outcome:
    """Read one case with a time limit and classify the result (see module docstring)."""
    start = time.perf_counter()
    try:
        with _time_limit(limit_s):
            result, detail = _run(case, ref)
    except StretchguardError as exc:
        result, detail = "error", str(exc)
        if "\n" in detail or len(detail) > MAX_MESSAGE_CHARS:
            result, detail = "traceback", f"not one short line ({len(detail)} chars): {detail!r}"
    except TimeoutError as exc:
        result, detail = "hang", str(exc)
    except Exception as exc:  # the harness counts what escapes
        result, detail = "traceback", f"{type(exc).__name__}: {exc}"[:300]
    return Outcome(case, result, detail, time.perf_counter() - start)


def cli_commands(case: Case) -> tuple[str, ...]:
    """The CLI commands a case is run through."""
    return {"canonical": ("info", "analyse"), "vendor": ("info", "import")}.get(
        case.kind, ("analyse",)
    )


def run_cli(
    case: Case, command: str, out_dir: Path, *, timeout_s: float = 60, clean: Path | None = None
) -> str:
    """``stretchguard COMMAND`` on a case as a subprocess: traceback, hang, error or accepted.

    A profile case runs ``analyse CLEAN --profile CASE`` (``clean``: the clean recording).
    """
    args = [sys.executable, "-m", "cli.main", command, str(case.path)]
    if case.kind == "profile":
        args[-1:] = [str(clean), "--profile", str(case.path)]
    if command == "analyse":
        args += ["--out", str(out_dir / f"{case.name}-analyse")]
    elif command == "import":
        args += ["--out", str(out_dir / f"{case.name}-import.csv")]
    try:
        proc = subprocess.run(
            args, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, errors="replace"
        )
    except subprocess.TimeoutExpired:
        return "hang"
    if "Traceback" in proc.stderr:
        return "traceback"
    if proc.returncode != 0:
        return "error"
    return "warned" if proc.stderr.strip() or "warning" in proc.stdout.lower() else "accepted"


def table(outcomes: list[Outcome]) -> str:
    """The markdown table of ``docs/input-policy.md``: one row per class and a total."""
    classes = list(dict.fromkeys(o.case.klass for o in outcomes))
    head = "| class | inputs | clean errors | warned acceptances | accepted unchanged | "
    head += "tracebacks | hangs | silent misreads |\n|---|---|---|---|---|---|---|---|\n"
    rows = []
    for k in [*classes, "total"]:
        mine = [o for o in outcomes if k in ("total", o.case.klass)]
        c = Counter(o.result for o in mine)
        name = f"**{k}**" if k == "total" else k
        rows.append(
            f"| {name} | {len(mine)} | {c['error']} | {c['warned']} | {c['same']} | "
            f"{c['traceback']} | {c['hang']} | {c['misread']} |"
        )
    return head + "\n".join(rows) + "\n"


def cli_table(results: list[tuple[Case, str, str]]) -> str:
    """Markdown table of the CLI runs: per command, how they ended."""
    head = "| command | runs | exit ≠ 0, no traceback | exit 0 | tracebacks | hangs |\n"
    head += "|---|---|---|---|---|---|\n"
    rows = []
    for cmd in ("info", "analyse", "import"):
        c = Counter(r for _, k, r in results if k == cmd)
        n = sum(c.values())
        ok = c["accepted"] + c["warned"]
        rows.append(f"| {cmd} | {n} | {c['error']} | {ok} | {c['traceback']} | {c['hang']} |")
    return head + "\n".join(rows) + "\n"


def main() -> int:
    """Build the corpus in a temporary folder, run it (``--cli``: also the CLI), print tables."""
    cli_results: list[tuple[Case, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        cases = build_corpus(folder)
        ref = Reference(folder)
        outcomes = [run_case(c, ref) for c in cases]
        elapsed = time.perf_counter() - t0
        if "--cli" in sys.argv:
            out = folder / "cli-out"
            out.mkdir()
            clean = folder / "clean" / "rec.csv"
            for c in cases:
                for cmd in cli_commands(c):
                    r = run_cli(c, cmd, out, timeout_s=30, clean=clean)
                    cli_results.append((c, cmd, r))
    print(table(outcomes))
    print(f"{len(cases)} inputs in {elapsed:.1f} s (corpus built and read)")
    if cli_results:
        print()
        print(cli_table(cli_results))
        for c, cmd, r in cli_results:
            if r in ("traceback", "hang"):
                print(f"CLI {r:9s} {cmd} {c.name}")
    for o in outcomes:
        if o.result in ("traceback", "hang", "misread") or "-v" in sys.argv:
            print(f"{o.result:9s} {o.case.name}: {o.detail[:160]}")
    return 0 if all(o.result not in ("traceback", "hang", "misread") for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
