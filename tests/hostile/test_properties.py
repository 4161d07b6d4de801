"""Property tests: whatever the bytes, the readers end in a project error or in clean data.

Hypothesis mutates small valid files (canonical recording, sidecar, Movella DOT and MetaBase
exports): inserted, deleted and replaced bytes, cells replaced by arbitrary text or extreme
numbers. A reader may refuse the input (``StretchguardError``) or accept it; what it accepts
must satisfy the input policy (``analysis.recording.inputs``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import StretchguardError
from analysis.recording import inputs
from analysis.recording.streams import SessionMeta
from sensors.formats.canonical import read_recording, read_sidecar
from sensors.formats.merge import read_streams
from tests.vendor_writers import write_metabase, write_movella_dot

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

HEADER = "t_s,sensor,acc_x_m_s2,acc_y_m_s2,acc_z_m_s2,gyr_x_rad_s,gyr_y_rad_s,gyr_z_rad_s"


def _clean_canonical() -> bytes:
    rows = [HEADER]
    for k in range(40):
        for j, label in enumerate(("pelvis", "right_thigh")):
            t = k / 50 + j * 0.003
            rows.append(f"{t:.6f},{label},0.1,9.81,{0.01 * k:.2f},0.01,-0.02,{0.001 * k:.3f}")
    return ("\n".join(rows) + "\n").encode()


CLEAN = _clean_canonical()

EXTREME = st.sampled_from(
    ["1e308", "1e39", "3.5e38", "-3.5e38", "1e400", "inf", "nan", "-0", "1e-320", "", " ", '"']
)
CELL = st.one_of(EXTREME, st.text(max_size=12), st.floats().map(repr))


@st.composite
def mutated(draw: st.DrawFn, clean: bytes) -> bytes:
    """``clean`` with a few byte- or cell-level edits."""
    data = bytearray(clean)
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(["insert", "delete", "replace", "cell", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if what == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif what == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif what == "replace" and data:
            data[at] = draw(st.integers(0, 255))
        elif what == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            cells = lines[i].split(b",")
            j = draw(st.integers(0, max(0, len(cells) - 1)))
            cells[j] = draw(CELL).encode("utf-8", "surrogatepass")
            lines[i] = b",".join(cells)
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _attempt(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """(result, None) or (None, the one-line message of the project error it raised)."""
    try:
        return fn(*args), None
    except StretchguardError as exc:
        return None, str(exc)


def _assert_within_policy(t: np.ndarray, arrays: list[np.ndarray | None]) -> None:
    assert np.all((t >= inputs.MIN_T_S) & (t <= inputs.MAX_SESSION_S))
    assert np.all(np.diff(t) > 0)
    for arr in arrays:
        if arr is not None:
            finite = np.asarray(arr, dtype=np.float64)
            assert np.isfinite(finite).all()
            assert np.all(np.abs(finite) <= inputs.ACC_LIMIT_M_S2)


@SETTINGS
@given(data=mutated(CLEAN))
def test_canonical_reader_refuses_or_reads_within_policy(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    rec, error = _attempt(read_recording, path)
    if error is not None:
        assert "\n" not in error
        return
    for s in rec.streams.values():
        _assert_within_policy(s.t_s, [s.acc_m_s2])
        assert np.all(np.abs(s.gyr_rad_s) <= inputs.GYR_LIMIT_RAD_S)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["format", "side", "exercise", "sensors", "calibration", "markers", "gaps", "notes"]
)
VALID = {
    "sensors": {"pelvis": {"rate_hz": 100.0}},
    "calibration": {"static_s": [0.0, 4.0]},
    "markers": [{"t_s": 1.0, "label": "tingling"}],
    "gaps": [{"sensor": "pelvis", "start_s": 2.0, "end_s": 3.0}],
}


@SETTINGS
@given(changes=st.dictionaries(KEYS, JSON, max_size=3))
def test_sidecar_fields_are_typed_or_refused(changes: dict) -> None:
    doc = {**VALID, **changes}
    meta, error = _attempt(lambda: SessionMeta.from_dict(doc, source="s.json"))
    if error is not None:
        # the one wording of every configuration file (analysis/recording/config_files.py)
        assert re.match(r"s\.json: (key '.+': expected .+, found .+|sidecar: expected )", error)
        assert "\n" not in error
        return
    for m in meta.markers:
        assert isinstance(m.label, str)
        assert inputs.MIN_T_S <= m.t_s <= inputs.MAX_SESSION_S
    for g in meta.gaps:
        assert g.start_s <= g.end_s <= inputs.MAX_SESSION_S
    for info in meta.sensors.values():
        assert info.rate_hz is None or inputs.is_plausible_rate(info.rate_hz)
    if meta.calibration is not None and meta.calibration.static_s is not None:
        a, b = meta.calibration.static_s
        assert inputs.MIN_T_S <= a < b <= inputs.MAX_SESSION_S


@SETTINGS
@given(data=mutated(json.dumps(VALID).encode()))
def test_sidecar_bytes_refused_in_one_line(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "r.json").write_bytes(data)
    _, error = _attempt(read_sidecar, tmp_path / "r.csv")
    assert error is None or "\n" not in error


def _dot_bytes(folder: Path) -> bytes:
    t = np.arange(120) / 60.0
    quat = np.column_stack([np.cos(0.1 * t), np.sin(0.1 * t), 0 * t, 0 * t])
    acc = np.column_stack([0 * t, 0 * t, 9.81 + 0 * t])
    p = write_movella_dot(folder / "dot.csv", t_s=t, quat=quat, acc_m_s2=acc, gyr_rad_s=acc / 50)
    return p.read_bytes()


def _metabase(folder: Path) -> Path:
    t = 1.7e9 + np.arange(100) / 100.0
    return write_metabase(folder, "Gyroscope", t, np.ones((100, 3)) * 0.1, rate_hz=100.0)


def _check_vendor(path: Path) -> None:
    streams, error = _attempt(read_streams, path)
    if error is not None:
        assert "\n" not in error
        return
    for s in streams:
        assert np.all(np.diff(s.t_s) > 0)
        for arr, lim in (
            (s.acc_m_s2, inputs.ACC_LIMIT_M_S2),
            (s.gyr_rad_s, inputs.GYR_LIMIT_RAD_S),
        ):
            assert arr is None or np.all(np.abs(arr) <= lim)
        if s.quat is not None:
            assert inputs.quat_norm_bad(s.quat) is None


@SETTINGS
@given(seed=st.data())
def test_dot_reader_refuses_or_reads_within_policy(tmp_path: Path, seed: st.DataObject) -> None:
    (tmp_path / "clean").mkdir(exist_ok=True)
    src = tmp_path / "clean" / "dot.csv"
    data = src.read_bytes() if src.exists() else _dot_bytes(tmp_path / "clean")
    path = tmp_path / "x.csv"
    path.unlink(missing_ok=True)
    path.write_bytes(seed.draw(mutated(data)))
    _check_vendor(path)


@SETTINGS
@given(seed=st.data())
def test_metabase_reader_refuses_or_reads_within_policy(
    tmp_path: Path, seed: st.DataObject
) -> None:
    folder = tmp_path / "clean"
    folder.mkdir(exist_ok=True)
    src = next(folder.iterdir(), None) or _metabase(folder)
    bad = tmp_path / "bad"
    bad.mkdir(exist_ok=True)
    path = bad / src.name
    path.unlink(missing_ok=True)
    path.write_bytes(seed.draw(mutated(src.read_bytes())))
    _check_vendor(path)
