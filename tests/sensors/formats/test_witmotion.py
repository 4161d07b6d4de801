"""WitMotion PC-software exports (layout UNVERIFIED: written by the test writer and by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.errors import RecordingFormatError
from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats.witmotion import COLUMNS, read_witmotion, write_witmotion


def test_writer_round_trip(tmp_path, make_session):
    session = make_session(100.0)
    st = session.stream("right_thigh")
    q = session.q_E_S["right_thigh"]
    p = write_witmotion(
        tmp_path / "_WT901BLE68(e6-d7-aa)_0.csv",
        t_s=st.t_s,
        acc_m_s2=st.acc_m_s2,
        gyr_rad_s=st.gyr_rad_s,
        quat=q,
    )
    assert p.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert len(COLUMNS) == 28
    (s,) = read_witmotion(p)
    assert s.clock == "witmotion:chip"
    assert s.device_id == "WitMotion WT901BLE68"
    np.testing.assert_allclose(s.t_s - s.t_s[0], st.t_s, atol=1e-6)
    np.testing.assert_allclose(s.acc_m_s2, st.acc_m_s2, atol=0.00005 * GRAVITY_M_S2)
    np.testing.assert_allclose(s.gyr_rad_s, st.gyr_rad_s, atol=np.deg2rad(0.00005) + 1e-12)
    assert rot.angle_between(s.quat, q).max() < 2e-5
    assert s.mag_ut is None  # all-zero magnetometer columns: output not enabled
    assert s.gaps == ()


def _text(rows: list[list[str]], delim: str = ",") -> str:
    return "\n".join([delim.join(COLUMNS)] + [delim.join(r) for r in rows]) + "\n"


def _row(
    host: str, chip: str, device: str = "WT1", acc_z: str = "1.0000", mag: str = "0.000"
) -> list[str]:
    return [
        host,
        device,
        chip,
        "0.0000",
        "0.0000",
        acc_z,
        "0.1",
        "0.2",
        "0.3",
        *["0"] * 9,
        mag,
        mag,
        mag,
        "25",
        "1",
        "0",
        "0",
        "0",
        "400",
        "100",
    ]


def test_chip_time_with_colon_milliseconds_and_tabs(tmp_path):
    rows = [_row(f" 16:44:16.{k * 10:03d}", f"2024-3-19 16:44:16:{k * 10:03d}") for k in range(20)]
    p = tmp_path / "w.txt"
    p.write_text(_text(rows, "\t"), encoding="utf-8")
    (s,) = read_witmotion(p)
    assert s.clock == "witmotion:chip"
    np.testing.assert_allclose(np.diff(s.t_s), 0.010, atol=1e-6)
    np.testing.assert_allclose(s.acc_m_s2[:, 2], GRAVITY_M_S2)
    np.testing.assert_allclose(s.gyr_rad_s[0], np.deg2rad([0.1, 0.2, 0.3]))
    assert s.mag_ut is None


def test_unreadable_chip_time_falls_back_to_host_time_across_midnight(tmp_path):
    rows = [
        _row(f" 23:59:59.{900 + k * 20:03d}" if k < 5 else f" 00:00:00.{(k - 5) * 20:03d}", "n/a")
        for k in range(10)
    ]
    p = tmp_path / "w.csv"
    p.write_text(_text(rows), encoding="utf-8")
    (s,) = read_witmotion(p)
    assert s.clock == "witmotion:host"
    np.testing.assert_allclose(np.diff(s.t_s), 0.020, atol=1e-6)
    assert any("'Chip Time()' 'n/a' at line 2 unreadable" in w for w in s.warnings)


def test_two_devices_in_one_file_are_two_streams(tmp_path):
    rows = []
    for k in range(10):
        chip = f"2024-3-19 16:44:16.{k * 10:03d}"
        rows += [
            _row(" 16:44:16.000", chip, "WT-A"),
            _row(" 16:44:16.000", chip, "WT-B", acc_z="-1.0000"),
        ]
    p = tmp_path / "w.csv"
    p.write_text(_text(rows), encoding="utf-8")
    a, b = read_witmotion(p)
    assert (a.device_id, b.device_id) == ("WitMotion WT-A", "WitMotion WT-B")
    assert len(a) == len(b) == 10
    assert b.acc_m_s2[0, 2] == pytest.approx(-GRAVITY_M_S2)
    assert list(b.lines[:2]) == [3, 5]


def test_magnetometer_units(tmp_path):
    rows = [_row(" 16:44:16.000", f"2024-3-19 16:44:16.{k * 10:03d}", mag="500") for k in range(5)]
    text = _text(rows).replace("(ʯt)", "(mG)")
    p = tmp_path / "w.csv"
    p.write_text(text, encoding="utf-8")
    (s,) = read_witmotion(p)
    np.testing.assert_allclose(s.mag_ut, 50.0)  # 500 mG = 50 µT
    p2 = tmp_path / "w2.csv"
    p2.write_text(_text(rows).replace("(ʯt)", "(furlong)"), encoding="utf-8")
    (s2,) = read_witmotion(p2)
    assert s2.mag_ut is None
    assert any("unit 'furlong' not recognised" in w for w in s2.warnings)


def test_host_time_going_backwards_names_the_line(tmp_path):
    rows = [_row(f" 16:44:16.{k * 10:03d}", "bad") for k in range(6)]
    rows[4][0] = " 16:44:16.005"
    p = tmp_path / "w.csv"
    p.write_text(_text(rows), encoding="utf-8")
    with pytest.raises(
        RecordingFormatError, match=r"w.csv:6: column 'Time': time 16:44:16.005 does not increase"
    ):
        read_witmotion(p)


def test_not_a_quaternion(tmp_path):
    rows = [_row(" 16:44:16.000", f"2024-3-19 16:44:16.{k * 10:03d}") for k in range(5)]
    rows[2][22] = "3"
    p = tmp_path / "w.csv"
    p.write_text(_text(rows), encoding="utf-8")
    with pytest.raises(RecordingFormatError, match=r":4: quaternion norm 3.0000"):
        read_witmotion(p)
