"""The input policy's building blocks (``analysis.recording.inputs``) and the typed sidecar."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from analysis.recording import inputs
from analysis.recording.streams import SessionMeta


def _fail(why: str) -> RecordingFormatError:
    return RecordingFormatError("f", why)


def test_only_regular_files_are_readable(tmp_path: Path) -> None:
    regular = tmp_path / "a.csv"
    regular.write_text("x")
    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    to_dev = tmp_path / "z.json"
    to_dev.symlink_to("/dev/zero")
    dangling = tmp_path / "d.json"
    dangling.symlink_to(tmp_path / "missing")
    assert inputs.regular_file_problem(regular) is None
    assert "named pipe" in inputs.regular_file_problem(fifo)
    assert "device" in inputs.regular_file_problem(to_dev)
    assert "folder" in inputs.regular_file_problem(tmp_path)
    assert inputs.regular_file_problem(dangling) == "dangling symlink"
    assert inputs.regular_file_problem(tmp_path / "nope") == "file not found"
    with pytest.raises(RecordingFormatError, match="named pipe"):
        inputs.read_regular_file(fifo, fail=_fail)  # refused before the (blocking) open


def test_size_cap_reads_at_most_cap_plus_one_bytes(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_bytes(b"x" * 100)
    assert inputs.read_regular_file(p, fail=_fail, cap_bytes=100) == b"x" * 100
    with pytest.raises(RecordingFormatError, match="too large"):
        inputs.read_regular_file(p, fail=_fail, cap_bytes=99)


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert inputs.json_depth_problem('{"a": "[[[[[[[["}', limit=2) is None
    assert inputs.json_depth_problem('{"a": [[1]]}', limit=3) is None
    assert inputs.json_depth_problem('{"a": [[[1]]]}', limit=3) == 8
    assert inputs.json_depth_problem("[" * 100_000) == inputs.MAX_JSON_DEPTH


def test_sample_limits_catch_what_float32_would_turn_into_inf() -> None:
    acc = np.array([9.81, np.nan, -150.0, 3.5e38])
    assert inputs.first_out_of_range("acc_x_m_s2", acc) == 3
    with np.errstate(over="ignore"):  # why the check runs on float64, before narrowing
        assert np.isinf(np.array([1e39]).astype(np.float32)).all()
    assert inputs.first_out_of_range("acc_x_m_s2", acc[:3]) is None
    assert inputs.first_out_of_range("gyr_z_rad_s", np.array([0.0, -44.0])) == 1
    assert inputs.first_out_of_range("mag_x_ut", np.array([50.0, np.inf])) == 1
    assert inputs.first_out_of_range("device_ticks", np.array([1e30])) is None
    quat = np.array([[1.0, 0, 0, 0], [np.nan] * 4, [0.9, 0, 0, 0]])
    assert inputs.quat_norm_bad(quat) == 2


def test_times_outside_the_session_and_absurd_rates() -> None:
    t = np.array([-0.5, 0.0, 86_400.0, 86_400.5])
    assert inputs.first_time_out_of_range(t) == 3
    assert inputs.first_time_out_of_range(np.array([-1.5])) == 0
    assert inputs.first_time_out_of_range(np.array([np.nan])) == 0
    assert inputs.rate_problem(np.arange(10) / 100.0) is None
    assert "Hz" in inputs.rate_problem(np.arange(10) / 1e5)
    assert inputs.is_plausible_rate(100.0)
    assert not any(inputs.is_plausible_rate(r) for r in (0.0, -1.0, 1e9, float("nan")))


def test_long_pauses_are_warned_with_their_length() -> None:
    t = np.concatenate([np.arange(100) / 100, 1000 + np.arange(100) / 100])
    (msg,) = inputs.pause_warnings("pelvis", t, lambda j: j + 2)
    assert msg.startswith("line 102: sensor 'pelvis' has no samples for 999.0 s")
    assert inputs.pause_warnings("pelvis", np.arange(100) / 100) == []


GOOD = {
    "format": "stretchguard-session/1",
    "sensors": {"pelvis": {"rate_hz": 100}},
    "calibration": {"static_s": [0, 4]},
    "markers": [{"t_s": 10, "label": "tingling"}],
    "gaps": [{"sensor": "pelvis", "start_s": 5, "end_s": 6}],
}


@pytest.mark.parametrize(
    ("change", "key", "found"),
    [
        ({"markers": 5}, "'markers'", "number 5"),
        ({"gaps": 5}, "'gaps'", "number 5"),
        ({"sensors": {"pelvis": {"rate_hz": "fast"}}}, "'sensors.pelvis.rate_hz'", "'fast'"),
        ({"sensors": {"pelvis": {"rate_hz": -100}}}, "'sensors.pelvis.rate_hz'", "-100"),
        ({"sensors": {"pelvis": {"rate_hz": True}}}, "'sensors.pelvis.rate_hz'", "boolean"),
        ({"sensors": {"pelvis": {"name": 7}}}, "'sensors.pelvis.name'", "number 7"),
        ({"markers": [{"t_s": 1e308}]}, "'markers[0].t_s'", "1e+308"),
        ({"markers": [{"t_s": 1, "label": ["x"]}]}, "'markers[0].label'", "list"),
        ({"markers": ["x"]}, "'markers[0]'", "string 'x'"),
        ({"gaps": [{"sensor": "pelvis", "start_s": 6, "end_s": 5}]}, "'gaps[0].end_s'", "5"),
        ({"gaps": [{"sensor": "tail", "start_s": 5, "end_s": 6}]}, "'gaps[0].sensor'", "tail"),
        ({"calibration": {"static_s": [0, 1e308]}}, "'calibration.static_s[1]'", "1e+308"),
        ({"calibration": {"static_s": [4, 0]}}, "'calibration.static_s'", "[4, 0]"),
        ({"calibration": [0, 4]}, "'calibration'", "list"),
        ({"exercise": 5}, "'exercise'", "number 5"),
        ({"side": "up"}, "'side'", "'up'"),
    ],
)
def test_sidecar_keys_are_type_checked(change: dict, key: str, found: str) -> None:
    with pytest.raises(RecordingFormatError) as info:
        SessionMeta.from_dict({**GOOD, **change}, source="rec.json")
    msg = str(info.value)
    assert msg.startswith(f"rec.json: sidecar key {key}: expected ")
    assert found in msg


def test_a_good_sidecar_reads_and_round_trips() -> None:
    meta = SessionMeta.from_dict(GOOD)
    assert meta.sensors["pelvis"].rate_hz == 100.0
    assert meta.markers[0].label == "tingling"
    assert SessionMeta.from_dict(meta.to_dict()) == meta
