"""Merge several vendor files into one recording: which file is which sensor, one clock.

Steps (``docs/vendor-formats.md``):

1. **Expand inputs**: files, folders (their ``.csv``, ``.csv.gz``, ``.txt`` and ``.zip`` files,
   not recursive) and glob patterns; each file's format is detected from its content.
2. **Group** the streams of all files into worn sensors by device (MetaBase MAC address, DOT
   tag, WitMotion device name, phyphox export folder).
3. **Place** each sensor: the user's mapping (``--sensor PATTERN=placement`` or a TOML
   ``[sensors]`` table; a pattern matches a file path/name glob or a device id) wins;
   otherwise the vendor's segment names are recognised (DOT "LFemur" → ``left_thigh``,
   "RTibia" → ``right_shank``, "Pelvis" → ``pelvis``, …).
4. **Merge** the files of one sensor onto one time base: the fastest stream's time stamps;
   the other channels are interpolated linearly (vectors) or by slerp (quaternions) at those
   times, only inside the time span all files cover and never across a gap.
5. **Align clocks** across sensors: one clock domain (Unix time for MetaBase / phyphox with
   ``meta/time.csv``, SampleTimeFine for synchronised DOTs with 2³² µs wrap handling, chip or
   PC time for WitMotion) is used as is; different domains are put on Unix time when every
   file states its wall-clock start, else TimebaseError. ``t_s = 0`` at the earliest sample.
   A sensor whose samples then overlap no other sensor's is a TimebaseError.
6. **Record** everything in the sidecar: source files, formats, rates, derived channels,
   interpolation, trimming and every gap (never interpolated over silently).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.angles.rotations import from_rotation, to_rotation
from analysis.errors import ConfigError, DataError, RecordingFormatError, TimebaseError
from analysis.recording import inputs
from analysis.recording.config_files import Table, read_text
from analysis.recording.schema import ORIENTATION_FROM_VENDOR, PLACEMENTS
from analysis.recording.streams import (
    Gap,
    Recording,
    SensorInfo,
    SensorStream,
    SessionMeta,
    check_streams,
    samples_from_streams,
    streams_from_samples,
    validate_samples,
)
from sensors.formats.canonical import release_spilled, spilled, stream_spans
from sensors.formats.detect import FORMATS, detect_format
from sensors.formats.metabase import read_metabase
from sensors.formats.movella_dot import read_movella_dot
from sensors.formats.phyphox import read_phyphox
from sensors.formats.vendor import FloatArray, IntArray, VendorStream
from sensors.formats.witmotion import read_witmotion

BoolArray = NDArray[np.bool_]

DATA_SUFFIXES = (".csv", ".csv.gz", ".txt", ".zip")
"""File endings taken from a folder (other files, e.g. README.md, are skipped)."""

FAMILIES = {
    "metabase": "mbientlab",
    "movella_dot": "movella_dot",
    "witmotion": "witmotion",
    "phyphox": "phyphox",
}
"""Sensor family written to the sidecar per vendor format."""

# --- inputs ----------------------------------------------------------------------------------


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Files named by ``inputs``: files as given, folders' data files, glob patterns.

    Raises RecordingFormatError for a path that does not exist and matches nothing, or a
    folder without data files.
    """
    return [p for p, _ in _expand(inputs)]


def _folder_files(folder: Path, skipped: list[str] | None) -> list[Path]:
    """The data files in ``folder``, by name.

    Entries named like one that are no regular file (a FIFO, a link to a device, a dangling
    link, a folder) are noted in ``skipped``, never opened.
    """
    named = sorted(
        f for f in folder.iterdir() if any(f.name.lower().endswith(s) for s in DATA_SUFFIXES)
    )
    files = []
    for f in named:
        problem = inputs.regular_file_problem(f)
        if problem is None:
            files.append(f)
        elif skipped is not None:
            skipped.append(f"{f.name}: not a regular file: skipped ({problem})")
    return files


def _expand(
    inputs: Sequence[str | Path], skipped: list[str] | None = None
) -> list[tuple[Path, bool]]:
    """(file, found in a folder) pairs, in order, without repeats."""
    out: list[tuple[Path, bool]] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = _folder_files(p, skipped)
            if not files:
                raise RecordingFormatError(
                    p, f"folder holds no data files ({', '.join(DATA_SUFFIXES)})"
                )
            out.extend((f, True) for f in files)
        elif p.exists():
            out.append((p, False))
        elif any(ch in str(item) for ch in "*?["):
            anchor = Path(p.anchor) if p.is_absolute() else Path()
            pattern = str(p.relative_to(anchor)) if p.is_absolute() else str(p)
            matches = sorted(m for m in anchor.glob(pattern) if m.is_file())
            if not matches:
                raise RecordingFormatError(p, "pattern matches no file")
            out.extend((m, False) for m in matches)
        else:
            raise RecordingFormatError(p, "file not found")
    seen: dict[Path, bool] = {}
    for f, in_folder in out:
        seen.setdefault(f, in_folder)
    return list(seen.items())


def classify_inputs(inputs: Sequence[str | Path]) -> tuple[dict[Path, str], list[str]]:
    """Expand ``inputs`` and detect each file's format.

    Returns ``{file: format}`` and notes on skipped files: a ``.txt`` file found in a folder
    that is not a supported export (e.g. a licence) is skipped with a note; any other file in
    an unknown format raises RecordingFormatError.
    """
    formats: dict[Path, str] = {}
    ignored: list[str] = []
    for f, in_folder in _expand(inputs, ignored):
        try:
            formats[f] = detect_format(f)
        except RecordingFormatError:
            if in_folder and f.suffix.lower() == ".txt":
                ignored.append(f"{f.name}: not a supported export (a .txt file in the folder)")
                continue
            raise
    if not formats:
        raise RecordingFormatError(
            Path(str(inputs[0])) if inputs else None, "no supported export among the inputs"
        )
    return formats, ignored


def read_streams(path: str | Path, *, fmt: str | None = None) -> tuple[VendorStream, ...]:
    """Every stream of one vendor file (format detected from content unless ``fmt``)."""
    p = Path(path)
    fmt = fmt or detect_format(p)
    readers = {
        "metabase": lambda: (read_metabase(p),),
        "movella_dot": lambda: (read_movella_dot(p),),
        "witmotion": lambda: read_witmotion(p),
        "phyphox": lambda: read_phyphox(p),
    }
    if fmt in readers:
        streams = readers[fmt]()
        for s in streams:
            check_stream_limits(s)
        return streams
    if fmt == "canonical":
        raise RecordingFormatError(
            p,
            "is a stretchguard recording, not a vendor export: read it on its own (it cannot "
            "be merged with vendor files)",
        )
    raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(FORMATS)}")


def check_stream_limits(stream: VendorStream) -> None:
    """Refuse the first sample outside the input policy (``analysis.recording.inputs``), in float64.

    Checks every channel against the sensor limits, quaternion norms, the span of the file's
    clock (at most ``MAX_SESSION_S``) and the rate its sample times imply; the error names the
    file line of the sample.
    """
    t = stream.t_s
    if len(t) and float(t[-1] - t[0]) > inputs.MAX_SESSION_S:
        j = int(np.argmax(t - t[0] > inputs.MAX_SESSION_S))
        raise RecordingFormatError(
            stream.path,
            f"time jumps to {float(t[j] - t[0]):.6g} s after the first sample; expected a session "
            f"of at most {inputs.MAX_SESSION_S:g} s (a clock jump?)",
            line=int(stream.lines[j]),
        )
    problem = inputs.rate_problem(t)
    if problem is not None:
        raise RecordingFormatError(stream.path, problem, line=int(stream.lines[0]))
    for kind, arr in (("acc", stream.acc_m_s2), ("gyr", stream.gyr_rad_s), ("mag", stream.mag_ut)):
        limit = inputs.vector_limit(kind)
        if arr is None or limit is None:
            continue
        i = _first_beyond(arr, limit)
        if i is not None:
            col = {"acc": "acc_x_m_s2", "gyr": "gyr_x_rad_s", "mag": "mag_x_ut"}[kind]
            worst = float(arr[i][np.argmax(~(np.abs(arr[i]) <= limit))])
            raise RecordingFormatError(
                stream.path,
                f"{kind} sample: " + inputs.out_of_range_message(col, worst),
                line=int(stream.lines[i]),
            )
    if stream.quat is not None:
        i = inputs.quat_norm_bad(stream.quat)
        if i is not None or not np.isfinite(stream.quat).all():
            i = i if i is not None else int(np.argmax(~np.isfinite(stream.quat).all(axis=1)))
            raise RecordingFormatError(
                stream.path,
                "quaternion is not a unit quaternion; expected norm within "
                f"{inputs.QUAT_NORM_TOLERANCE:.0%} of 1",
                line=int(stream.lines[i]),
            )


def _first_beyond(arr: FloatArray, limit: float) -> int | None:
    """The first row with a value beyond ``limit`` (or NaN), a block of rows at a time."""
    for a in range(0, arr.shape[0], _CHECK_ROWS):
        bad = ~(np.abs(arr[a : a + _CHECK_ROWS]) <= limit).all(axis=1)
        if bad.any():
            return a + int(np.argmax(bad))
    return None


_CHECK_ROWS = 1 << 16
"""Rows checked at a time (a long file's temporaries stay small)."""


# --- placements ------------------------------------------------------------------------------

_SEGMENT_WORDS: Mapping[str, str] = {
    "pelvis": "pelvis",
    "sacrum": "pelvis",
    "waist": "pelvis",
    "trunk": "trunk",
    "torso": "trunk",
    "thorax": "trunk",
    "sternum": "trunk",
    "chest": "trunk",
    "head": "head",
    "femur": "thigh",
    "thigh": "thigh",
    "upperleg": "thigh",
    "tibia": "shank",
    "shank": "shank",
    "shin": "shank",
    "lowerleg": "shank",
    "calf": "shank",
    "ankle": "shank",
    "foot": "foot",
    "calcn": "foot",
}
"""Segment words of vendor apps and OpenSim/Xsens models → stretchguard segment."""

_SIDE_WORDS: Mapping[str, str] = {
    "l": "left",
    "left": "left",
    "lt": "left",
    "r": "right",
    "right": "right",
    "rt": "right",
}


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z])([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w]


def suggest_placement(*hints: str) -> str | None:
    """The placement a vendor name suggests (``LFemur`` → ``left_thigh``), or None.

    Recognises segment words (femur/thigh/upper leg, tibia/shank/shin/lower leg/ankle,
    foot/calcn, pelvis/sacrum, trunk/torso/sternum/chest, head) with a side word or letter
    before or after (``L``/``Left``/``R``/``Right``, ``femur_l``, ``RightThigh``, ``rthigh``);
    leg segments without a side give None. The first hint that gives a placement wins.
    """
    for hint in hints:
        words = _words(hint)
        words += [a + b for a, b in itertools.pairwise(words)]  # "upper leg"
        segment = side = None
        for w in words:
            if w in _SEGMENT_WORDS:
                segment = segment or _SEGMENT_WORDS[w]
            elif w in _SIDE_WORDS:
                side = side or _SIDE_WORDS[w]
            else:
                m = re.fullmatch(r"(l|r|left|right)(\w+)|(\w+?)(l|r|left|right)", w)
                if m:
                    s_word, seg_word = (
                        (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                    )
                    if seg_word in _SEGMENT_WORDS:
                        segment = segment or _SEGMENT_WORDS[seg_word]
                        side = side or _SIDE_WORDS[s_word]
        if segment in ("pelvis", "trunk", "head"):
            return segment
        if segment is not None and side is not None:
            return f"{side}_{segment}"
    return None


@dataclass(frozen=True)
class SensorMapping:
    """User rules ``pattern → placement``; a pattern matches a file or a device.

    ``--sensor`` rules (``rules``) are tried first, then the mapping file's (``defaults``);
    a sensor matched by two rules of one kind with different placements is an error.

    A pattern is a glob (case-insensitive) tried against the file path as given, the file
    name, and the device id (e.g. ``C4:27:32:BE:25:5C``, ``DOT zdt`` or just ``zdt``).
    """

    rules: tuple[tuple[str, str], ...] = ()
    """``--sensor`` rules: each must match something; they win over ``defaults``."""
    defaults: tuple[tuple[str, str], ...] = ()
    """Rules from a mapping file: may name devices absent from this session."""

    @classmethod
    def from_options(cls, options: Iterable[str]) -> SensorMapping:
        """Parse ``--sensor PATTERN=placement`` values (ConfigError on a bad one)."""
        rules = []
        for opt in options:
            pattern, sep, label = opt.rpartition("=")
            if not sep or not pattern.strip():
                raise ConfigError(
                    f"--sensor {opt!r}: expected FILE_OR_GLOB_OR_DEVICE=placement, e.g. "
                    "'LFemur*.csv=left_thigh'"
                )
            rules.append((pattern.strip(), _check_placement(label.strip(), f"--sensor {opt!r}")))
        return cls(tuple(rules))

    @classmethod
    def from_toml(cls, path: str | Path) -> SensorMapping:
        """Read the ``[sensors]`` table of a TOML file.

        Either ``"PATTERN" = "placement"`` or ``placement = "PATTERN"`` (or a list of
        patterns) per line.
        """
        p = Path(path)
        text = read_text(p, what="sensor mapping", cap_bytes=inputs.PROFILE_MAX_BYTES)
        top = Table.from_toml(text, source=p)
        raw = top.data.get("sensors")
        if not isinstance(raw, Mapping) or not raw:
            raise top.wrong(
                "sensors",
                'a [sensors] table mapping files or devices to placements, e.g. "LFemur*.csv" = '
                '"left_thigh"',
            )
        table = top.sub("sensors")
        rules = []
        for key, value in raw.items():
            if key in PLACEMENTS and not (isinstance(value, str) and value in PLACEMENTS):
                patterns = [value] if isinstance(value, str) else value
                if not isinstance(patterns, list) or not all(isinstance(x, str) for x in patterns):
                    raise table.wrong(key, "a pattern or a list of patterns", value)
                rules += [(pat, key) for pat in patterns]
            elif isinstance(value, str):
                if value not in PLACEMENTS:
                    raise table.fail(
                        key, f"unknown placement {value!r}; expected one of {PLACEMENTS}"
                    )
                rules.append((key, value))
            else:
                raise table.wrong(key, "a placement string", value)
        return cls(defaults=tuple(rules))

    def __add__(self, other: SensorMapping) -> SensorMapping:
        return SensorMapping(self.rules + other.rules, self.defaults + other.defaults)

    def matches(self, pattern: str, stream: VendorStream, given: str) -> bool:
        """True if ``pattern`` names the stream's file or device."""
        pat = pattern.lower()
        device = stream.device_id.lower()
        names = {
            given.lower(),
            str(stream.path).lower(),
            stream.path.name.lower(),
            device,
            device.split(" ", 1)[-1],
        }
        return any(fnmatch.fnmatchcase(n, pat) for n in names)


def _check_placement(label: str, where: str) -> str:
    if label not in PLACEMENTS:
        raise ConfigError(f"{where}: unknown placement {label!r}; expected one of {PLACEMENTS}")
    return label


# --- merging the files of one sensor ---------------------------------------------------------


@dataclass
class _Sensor:
    """One worn sensor's merged samples on its clock (internal)."""

    device_id: str
    streams: list[VendorStream]
    given: list[str]
    placement: str | None = None
    t_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    acc: FloatArray | None = None
    gyr: FloatArray | None = None
    mag: FloatArray | None = None
    quat: FloatArray | None = None
    ticks: IntArray | None = None
    clock: str = ""
    unix_offset_s: float | None = None
    wrap_s: float | None = None
    rate_hz: float = float("nan")
    gaps: list[tuple[float, float, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    derived: dict[str, str] = field(default_factory=dict)

    @property
    def files(self) -> str:
        return ", ".join(s.path.name for s in self.streams)


def _slerp(t_src: FloatArray, q_src: FloatArray, t_new: FloatArray) -> FloatArray:
    if t_src.size == 1:
        return np.repeat(q_src, t_new.size, axis=0)
    from scipy.spatial.transform import Slerp  # 0.15 s to import: only vendor quaternions

    return from_rotation(Slerp(t_src, to_rotation(q_src))(t_new))


def _merge(sensor: _Sensor) -> None:
    """Fill the merged arrays of ``sensor`` from its streams (see module doc, step 4)."""
    providers = _providers(sensor)
    used = list({id(s): s for s in providers.values()}.values())
    clocks = {s.clock for s in used}
    if len(clocks) > 1:
        raise TimebaseError(
            f"sensor {sensor.device_id}: its files are on different clocks "
            f"({', '.join(sorted(clocks))}); cannot merge {sensor.files}"
        )
    base = max(used, key=lambda s: (s.rate_hz, "gyr" in s.channels))
    keep = _common_span(sensor, used, base)
    gaps = _merged_gaps(used, base, keep)
    whole = bool(keep.all())  # the base's arrays as they are (no copy of a long file)
    t = base.t_s if whole else base.t_s[keep]
    if t.size < 2:
        raise TimebaseError(
            f"sensor {sensor.device_id}: fewer than two samples where all of {sensor.files} "
            "have data"
        )

    def take(ch: str) -> FloatArray | None:
        src = providers.get(ch)
        if src is None:
            return None
        values = {"acc": src.acc_m_s2, "gyr": src.gyr_rad_s, "mag": src.mag_ut, "quat": src.quat}[
            ch
        ]
        assert values is not None
        if src is base:
            return values if whole else values[keep]
        if ch == "quat":
            out = _slerp(src.t_s, values, t)
        else:
            out = np.column_stack([np.interp(t, src.t_s, values[:, i]) for i in range(3)])
        sensor.notes.append(
            f"{ch} from {src.path.name} ({src.rate_hz:g} Hz) "
            f"{'slerp' if ch == 'quat' else 'linearly'} interpolated onto the time stamps of "
            f"{base.path.name} ({base.rate_hz:g} Hz)"
        )
        return out

    sensor.acc, sensor.gyr = take("acc"), take("gyr")
    sensor.mag, sensor.quat = take("mag"), take("quat")
    sensor.t_s = t
    ticks = base.device_ticks
    sensor.ticks = None if ticks is None else ticks if whole else ticks[keep]
    sensor.clock = base.clock
    sensor.unix_offset_s = base.unix_offset_s
    sensor.wrap_s = base.clock_wrap_s
    sensor.rate_hz = base.rate_hz
    sensor.gaps = gaps
    for s in used:
        sensor.derived.update(s.derived)


def _providers(sensor: _Sensor) -> dict[str, VendorStream]:
    """The one stream that provides each channel of ``sensor`` (acc and gyr required).

    The streams' warnings are collected into the sensor's notes.
    """
    providers: dict[str, VendorStream] = {}
    for s in sensor.streams:
        for ch in s.channels:
            if ch in providers:
                raise DataError(
                    f"sensor {sensor.device_id}: {ch} comes from two files "
                    f"({providers[ch].path.name}, {s.path.name}); expected one file per "
                    "channel (import the sessions separately)"
                )
            providers[ch] = s
        sensor.notes += [f"{s.path.name}: {w}" for w in s.warnings]
    missing = [ch for ch in ("acc", "gyr") if ch not in providers]
    if missing:
        have = ", ".join(providers) or "no usable channel"
        raise DataError(
            f"sensor {sensor.device_id} ({sensor.files}): no "
            f"{' and no '.join({'acc': 'accelerometer', 'gyr': 'gyroscope'}[m] for m in missing)} "
            f"data (has {have}); a recording needs both: add the missing export"
        )
    return providers


def _common_span(sensor: _Sensor, used: list[VendorStream], base: VendorStream) -> BoolArray:
    """Mask of ``base`` samples inside the time span every used file covers (noted)."""
    lo = max(float(s.t_s[0]) for s in used)
    hi = min(float(s.t_s[-1]) for s in used)
    if lo > hi:
        raise TimebaseError(
            f"sensor {sensor.device_id}: files {sensor.files} do not overlap in time; "
            "expected the exports of one recording"
        )
    keep = (base.t_s >= lo) & (base.t_s <= hi)
    n_before = int(np.sum(base.t_s < lo))
    n_after = int(np.sum(base.t_s > hi))
    if n_before or n_after:
        sensor.notes.append(
            f"{base.path.name}: {n_before} samples before and {n_after} after the span all "
            f"files cover ({lo - base.t_s[0]:.3f} s at the start, {base.t_s[-1] - hi:.3f} s at "
            "the end) dropped: the other channels cannot be interpolated there"
        )
    return keep


def _merged_gaps(
    used: list[VendorStream], base: VendorStream, keep: BoolArray
) -> list[tuple[float, float, str]]:
    """Every file's gaps as ``(start_s, end_s, why)``.

    ``base`` samples inside another file's gap are cleared from ``keep`` (in place: nothing
    is interpolated across a gap).
    """
    gaps = [(g.start_s, g.end_s, f"{g.reason} [{base.path.name} line {g.line}]") for g in base.gaps]
    for s in used:
        if s is base:
            continue
        for g in s.gaps:
            j = int(np.searchsorted(s.t_s, g.end_s) - 1)
            inside = (base.t_s > s.t_s[j]) & (base.t_s < g.end_s)
            keep &= ~inside
            overlaps = any(a < g.end_s and g.start_s < b for a, b, _ in gaps)
            if not inside.any() and overlaps:
                continue  # the same interval is already a gap of the base file
            gaps.append(
                (
                    g.start_s,
                    g.end_s,
                    f"{g.reason} [{s.path.name} line {g.line}]; {int(inside.sum())} "
                    f"{base.path.name} samples inside dropped",
                )
            )
    return gaps


# --- the session -----------------------------------------------------------------------------


def read_vendor_session(
    inputs: Sequence[str | Path],
    *,
    mapping: SensorMapping | None = None,
    after_file: Callable[[], object] | None = None,
    for_analysis: bool = False,
    spill: bool = False,
) -> Recording:
    """Read vendor exports (files, folders, globs) into one canonical ``Recording``.

    Parameters
    ----------
    inputs
        Files, folders or glob patterns (see :func:`expand_inputs`).
    mapping
        User placement rules; sensors without a rule get the placement their vendor names
        suggest (:func:`suggest_placement`).
    after_file
        Called after each file is read (e.g. to hand the memory its parse freed back to the
        system before the next: a long export's text and blocks).
    for_analysis
        Keep what the analysis reads, as the canonical reader does: float32 measurements once
        checked in float64 (times float64), no device ticks. Else float64 as in the files.
    spill
        (``import``) Each file's checked samples wait, read-only, in temporary files
        (``canonical.spilled``) until a writer takes them a window at a time.

    Returns
    -------
    Recording
        Long-format samples (``t_s`` from 0 at the earliest sample of any sensor) and a sidecar
        whose ``gaps`` hold every gap found, ``sensors`` each sensor's family, address/name and
        rate, and ``extra`` the keys ``import`` (sources, alignment, interpolation, notes),
        ``derived_channels`` (placement → channel → how it was derived) and
        ``orientation_source`` (placement → ``"vendor_quaternion"`` when acc/gyr are derived
        from the vendor quaternion, so the pipeline should use the ``q_*`` columns).

    Raises
    ------
    RecordingFormatError
        A file in an unknown format or breaking its format (file, line, column).
    ConfigError
        Placements missing, unknown, duplicated, or a mapping rule that matches nothing.
    DataError / TimebaseError
        A sensor without accelerometer or gyroscope, files that do not overlap, clocks that
        cannot be aligned.
    """
    mapping = mapping or SensorMapping()
    formats, ignored = classify_inputs(inputs)
    files = list(formats)
    given = {f: str(f) for f in files}
    sensors: dict[str, _Sensor] = {}
    for f, fmt in formats.items():
        if fmt == "canonical":
            raise RecordingFormatError(
                f,
                "is a stretchguard recording: give it alone (it cannot be merged with vendor "
                "exports)",
            )
        read = list(read_streams(f, fmt=fmt))
        for i in range(len(read)):
            s = read[i] = _kept(read[i], for_analysis, spill)  # the file's own arrays let go
            if not s.channels:
                ignored.append(f"{f.name}: {'; '.join(s.warnings) or 'no usable channel'}")
                continue
            sensor = sensors.setdefault(s.device_id, _Sensor(s.device_id, [], []))
            sensor.streams.append(s)
            sensor.given.append(given[f])
        if after_file is not None:
            after_file()
    if not sensors:
        raise DataError(
            "no sensor data in "
            + ", ".join(str(f) for f in files)
            + (f" ({'; '.join(ignored)})" if ignored else "")
        )
    _place(list(sensors.values()), mapping)
    for sensor in sensors.values():
        _merge(sensor)
    return _assemble(list(sensors.values()), formats, ignored, float32=for_analysis, spill=spill)


_NO_LINES = np.zeros(0, dtype=np.int64)


def _float32(x: Any) -> Any:
    """``x`` as float32 (itself when it is; None stays None)."""
    return None if x is None else np.asarray(x, dtype=np.float32)


def _kept(s: VendorStream, for_analysis: bool, spill: bool) -> VendorStream:
    """What is kept of a checked stream while the next files are read.

    Never its file lines (only the checks of :func:`read_streams` name them); for the
    analysis (:func:`read_vendor_session`), float32 measurements and no device ticks.
    """
    if not for_analysis and not spill:
        return dataclasses.replace(s, lines=_NO_LINES)
    if not for_analysis:  # import: kept whole, but in a temporary file until written
        return dataclasses.replace(
            s,
            lines=_NO_LINES,
            t_s=spilled(s.t_s),
            acc_m_s2=spilled(s.acc_m_s2),
            gyr_rad_s=spilled(s.gyr_rad_s),
            mag_ut=spilled(s.mag_ut),
            quat=spilled(s.quat),
            device_ticks=spilled(s.device_ticks),
        )

    return dataclasses.replace(
        s,
        lines=_NO_LINES,
        acc_m_s2=_float32(s.acc_m_s2),
        gyr_rad_s=_float32(s.gyr_rad_s),
        mag_ut=_float32(s.mag_ut),
        quat=_float32(s.quat),
        device_ticks=None,
    )


def _place(sensors: list[_Sensor], mapping: SensorMapping) -> None:
    used_rules: set[int] = set()
    for sensor in sensors:
        for kind, rules in (("--sensor", mapping.rules), ("mapping file", mapping.defaults)):
            chosen: dict[str, str] = {}
            for i, (pattern, label) in enumerate(rules):
                for s, g in zip(sensor.streams, sensor.given, strict=True):
                    if mapping.matches(pattern, s, g):
                        chosen[label] = pattern
                        if kind == "--sensor":
                            used_rules.add(i)
            if len(chosen) > 1:
                raise ConfigError(
                    f"sensor {sensor.device_id} ({sensor.files}) matches {kind} rules for "
                    f"{', '.join(f'{v}={k}' for k, v in chosen.items())}; give it one placement"
                )
            if chosen:
                sensor.placement = next(iter(chosen))
                sensor.notes.append(
                    f"placement {sensor.placement} from {kind} {chosen[sensor.placement]!r}"
                )
                break
        if sensor.placement is not None:
            continue
        hints = [h for s in sensor.streams for h in s.name_hints]
        by = next((h for h in hints if suggest_placement(h) is not None), None)
        if by is not None:
            sensor.placement = suggest_placement(by)
            sensor.notes.append(f"placement {sensor.placement} suggested by the name {by!r}")
    _check_placements(sensors, mapping, used_rules)


def _check_placements(sensors: list[_Sensor], mapping: SensorMapping, used_rules: set[int]) -> None:
    """Refuse unused ``--sensor`` rules, unplaced sensors and placements given twice."""
    unused = [mapping.rules[i] for i in range(len(mapping.rules)) if i not in used_rules]
    if unused:
        raise ConfigError(
            "--sensor rule(s) matched no file or device: "
            + ", ".join(f"{p}={lab}" for p, lab in unused)
            + f"; devices: {', '.join(s.device_id for s in sensors)}"
        )
    unplaced = [s for s in sensors if s.placement is None]
    if unplaced:
        lines = "; ".join(f"{s.device_id} ({s.files})" for s in unplaced)
        example = unplaced[0].device_id.split(" ", 1)[-1]
        raise ConfigError(
            f"no placement for sensor(s) {lines}: name them with --sensor, e.g. "
            f"--sensor '{example}=right_thigh', or a [sensors] table in a TOML file"
        )
    by_label: dict[str, list[_Sensor]] = {}
    for s in sensors:
        by_label.setdefault(s.placement or "", []).append(s)
    dupes = {k: v for k, v in by_label.items() if len(v) > 1}
    if dupes:
        label, group = next(iter(dupes.items()))
        raise ConfigError(
            f"placement {label} given to {len(group)} sensors: "
            + "; ".join(f"{s.device_id} ({s.files})" for s in group)
            + "; map each sensor to its own placement with --sensor"
        )


def _align(sensors: list[_Sensor]) -> tuple[dict[str, float], str]:
    """Shift (s) to add to each sensor's clock time for a common clock, and how it was done."""
    shifts: dict[str, float] = {}
    by_clock: dict[str, list[_Sensor]] = {}
    for s in sensors:
        by_clock.setdefault(s.clock, []).append(s)
    # inside a clock domain: unwrap wrapping counters relative to the domain's first sensor
    group_offsets: dict[str, float | None] = {}
    for clock, group in by_clock.items():
        ref = float(group[0].t_s[0])
        offsets = []
        for s in group:
            k = 0.0 if s.wrap_s is None else round((ref - float(s.t_s[0])) / s.wrap_s)
            shifts[s.device_id] = k * (s.wrap_s or 0.0)
            if s.unix_offset_s is not None:
                offsets.append(s.unix_offset_s - shifts[s.device_id])
        group_offsets[clock] = float(np.median(offsets)) if len(offsets) == len(group) else None
    if len(by_clock) == 1:
        clock = next(iter(by_clock))
        return shifts, f"one clock ({clock})"
    missing = [c for c, off in group_offsets.items() if off is None]
    if missing:
        names = {c: ", ".join(s.device_id for s in by_clock[c]) for c in by_clock}
        raise TimebaseError(
            "sensors are on different clocks ("
            + "; ".join(f"{c}: {names[c]}" for c in by_clock)
            + f") and {', '.join(missing)} has no wall-clock start to align by; import them "
            "separately"
        )
    for clock, group in by_clock.items():
        for s in group:
            shifts[s.device_id] += group_offsets[clock] or 0.0
    return shifts, (
        "different clocks aligned by their wall-clock start ("
        + ", ".join(sorted(by_clock))
        + "): expect offsets of tens of milliseconds between clock domains"
    )


def _source_entry(x: VendorStream, label: str) -> dict[str, Any]:
    """What the sidecar records of one source file (``extra.import.sources``)."""
    return {
        "file": x.path.name,
        "path": str(x.path),
        "format": x.format,
        "sensor": label,
        "device": x.device_id,
        "channels": list(x.channels),
        "rows": len(x),
        "rate_hz": round(x.rate_hz, 6),
        "clock": x.clock,
        "gaps": len(x.gaps),
        "missing_samples": int(sum(g.missing for g in x.gaps)),
        **({"derived": dict(x.derived)} if x.derived else {}),
    }


def _check_overlap(streams: Mapping[str, SensorStream]) -> None:
    """Refuse a sensor whose samples overlap no other sensor's in time (TimebaseError).

    No angle can pair it with another sensor: a clock off by an hour, or files of another
    session. (One sensor alone, or sensors that overlap in part, pass.)
    """
    spans = stream_spans(streams)
    for label, (a, b) in spans.items():
        others = [(c, d) for k, (c, d) in spans.items() if k != label]
        if others and not any(c <= b and a <= d for c, d in others):
            lo, hi = min(c for c, _ in others), max(d for _, d in others)
            raise TimebaseError(
                f"{label}: its samples ({a:.3f}–{b:.3f} s) overlap no other sensor's "
                f"({lo:.3f}–{hi:.3f} s); expected files of one session on one clock (a clock "
                "off by that much?): import them separately"
            )


def _assemble(
    sensors: list[_Sensor],
    formats: Mapping[Path, str],
    ignored: list[str],
    *,
    float32: bool,
    spill: bool = False,
) -> Recording:
    """One Recording of the placed, merged sensors on one clock, with the import record."""
    shifts, how = _align(sensors)
    t0 = min(float(s.t_s[0]) + shifts[s.device_id] for s in sensors)
    streams: dict[str, SensorStream] = {}
    gaps: list[Gap] = []
    infos: dict[str, SensorInfo] = {}
    derived: dict[str, dict[str, str]] = {}
    orientation: dict[str, str] = {}
    sources: list[dict[str, Any]] = []
    notes: list[str] = []
    started = None
    ordered = sorted(sensors, key=lambda s: PLACEMENTS.index(s.placement or "pelvis"))
    for s in ordered:
        label = s.placement or ""
        shift = shifts[s.device_id] - t0
        assert s.acc is not None
        assert s.gyr is not None
        streams[label] = SensorStream(
            placement=label,
            # the canonical resolution (1 µs) also removes float noise of Unix-second clocks
            t_s=spilled(np.round(s.t_s + shift, 6)) if spill else np.round(s.t_s + shift, 6),
            acc_m_s2=s.acc,
            gyr_rad_s=s.gyr,
            mag_ut=s.mag,
            quat=s.quat,
            device_ticks=s.ticks,
        )
        release_spilled(s.t_s)
        gaps += [
            Gap(sensor=label, start_s=round(a + shift, 6), end_s=round(b + shift, 6), reason=why)
            for a, b, why in s.gaps
        ]
        first = s.streams[0]
        infos[label] = SensorInfo(
            family=FAMILIES[first.format],
            address=first.device_id.split(" ", 1)[-1] if first.format == "metabase" else None,
            name=first.device_id,
            rate_hz=round(s.rate_hz, 6),
        )
        if s.derived:
            derived[label] = dict(s.derived)
            if "gyr" in s.derived and s.quat is not None:
                orientation[label] = ORIENTATION_FROM_VENDOR
        if started is None and abs(float(s.t_s[0]) + shift) < 1e-9:
            started = next((x.started_at for x in s.streams if x.started_at), None)
        sources += [_source_entry(x, label) for x in s.streams]
        notes += [f"{label}: {n}" for n in s.notes]
    notes += [f"ignored {i}" for i in ignored]
    _check_overlap(streams)
    notes += inputs.coverage_warnings(stream_spans(streams))
    streams = _validated(streams, float32=float32)
    gaps.sort(key=lambda g: (g.start_s, g.sensor))
    extra: dict[str, Any] = {
        "import": {
            "sources": sources,
            "alignment": how + f"; t_s = 0 at the earliest sample ({t0:.6f} s on that clock)",
            "notes": notes,
        }
    }
    if derived:
        extra["derived_channels"] = derived
    if orientation:
        extra["orientation_source"] = orientation
    meta = SessionMeta(
        started_at=started,
        sensors=infos,
        gaps=tuple(gaps),
        notes=f"imported from {len(sources)} vendor file(s) "
        f"({', '.join(sorted(set(formats.values())))})",
        extra=extra,
    )
    return Recording(streams=streams, meta=meta, path=None, warnings=tuple(notes))


def _validated(
    streams: dict[str, SensorStream], *, float32: bool = False
) -> dict[str, SensorStream]:
    """``streams`` as the canonical contract takes them (``validate_samples``).

    Checked sensor by sensor on the arrays (``check_streams``: no long table of a long
    session); a stream that fails goes through the long table, whose validation raises the
    error it always did. ``float32``: the streams' float32 measurements are checked one
    sensor at a time (in float64) and kept as they are.
    """
    try:
        if not float32:
            checked = {}
            for label, s in streams.items():  # a spilled sensor's pages handed back after
                checked |= check_streams({label: s})
                release_spilled(s.t_s, s.acc_m_s2, s.gyr_rad_s, s.mag_ut, s.quat, s.device_ticks)
            return checked
        out = {}
        for label, s in streams.items():
            checked = check_streams({label: s})[label]
            out[label] = dataclasses.replace(
                checked,
                acc_m_s2=_float32(s.acc_m_s2),
                gyr_rad_s=_float32(s.gyr_rad_s),
                mag_ut=None if checked.mag_ut is None else _float32(s.mag_ut),
                quat=None if checked.quat is None else _float32(s.quat),
            )
            del checked
        return out
    except RecordingFormatError:
        return streams_from_samples(validate_samples(samples_from_streams(streams)))
