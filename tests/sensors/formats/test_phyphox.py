"""phyphox exports: dialects, folders with meta/time.csv, ZIP exports, bad input."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from analysis.errors import DataError, RecordingFormatError
from sensors.formats.merge import SensorMapping, read_vendor_session
from sensors.formats.phyphox import TimeEvent, experiment_to_unix, read_phyphox
from tests.vendor_writers import write_phyphox, write_phyphox_time_csv

PHONE = SensorMapping.from_options(["phyphox*=right_shank"])


@pytest.mark.parametrize(
    ("delimiter", "decimal_comma"),
    [(",", False), ("\t", False), (";", False), (";", True), ("\t", True)],
)
def test_dialects_round_trip(tmp_path, make_session, delimiter, decimal_comma):
    st = make_session(100.0).stream("right_shank")
    p = write_phyphox(
        tmp_path / "Raw Data.csv",
        t_s=st.t_s,
        values=st.acc_m_s2,
        kind="acc",
        delimiter=delimiter,
        decimal_comma=decimal_comma,
    )
    (s,) = read_phyphox(p)
    assert s.channels == ("acc",)
    np.testing.assert_allclose(s.t_s, st.t_s, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s.acc_m_s2, st.acc_m_s2, rtol=1e-9, atol=1e-12)
    assert s.clock.startswith("phyphox:")


def test_acc_and_gyro_files_of_one_export_merge_into_one_sensor(tmp_path, make_session):
    st = make_session(100.0).stream("right_shank")
    # the phone samples acc and gyro at different instants: gyro 3 ms later
    write_phyphox(tmp_path / "Accelerometer.csv", t_s=st.t_s, values=st.acc_m_s2, kind="acc")
    write_phyphox(tmp_path / "Gyroscope.csv", t_s=st.t_s + 0.003, values=st.gyr_rad_s, kind="gyr")
    rec = read_vendor_session([tmp_path], mapping=PHONE)
    s = rec.stream("right_shank")
    assert rec.meta.sensors["right_shank"].family == "phyphox"
    # equal rates: the base is the gyro file (gyr preferred); acc interpolated 3 ms later
    np.testing.assert_allclose(s.gyr_rad_s, st.gyr_rad_s[: len(s)], rtol=1e-9, atol=1e-12)
    for i in range(3):
        expected = np.interp(st.t_s[: len(s)] + 0.003, st.t_s, st.acc_m_s2[:, i])
        np.testing.assert_allclose(s.acc_m_s2[:, i], expected, atol=1e-9)


def test_time_csv_maps_to_unix_time_and_pauses_become_gaps(tmp_path, make_session):
    st = make_session(50.0).stream("right_shank")
    n = len(st)
    events = [
        TimeEvent("START", 0.0, 1_790_000_000.0),
        TimeEvent("PAUSE", 10.0, 1_790_000_010.0),
        TimeEvent("START", 10.0, 1_790_000_025.0),
    ]
    write_phyphox_time_csv(tmp_path, events)
    write_phyphox(tmp_path / "Accelerometer.csv", t_s=st.t_s, values=st.acc_m_s2, kind="acc")
    write_phyphox(tmp_path / "Gyroscope.csv", t_s=st.t_s, values=st.gyr_rad_s, kind="gyr")
    (s,) = read_phyphox(tmp_path / "Gyroscope.csv")
    assert s.clock == "unix"
    after = st.t_s >= 10.0
    np.testing.assert_allclose(s.t_s[~after], 1_790_000_000.0 + st.t_s[~after])
    np.testing.assert_allclose(s.t_s[after], 1_790_000_015.0 + st.t_s[after])
    assert len(s.gaps) == 1
    assert s.gaps[0].reason == "experiment paused"
    rec = read_vendor_session([tmp_path], mapping=PHONE)
    assert len(rec.stream("right_shank")) == n
    (gap,) = rec.meta.gaps
    assert (gap.sensor, gap.start_s, gap.end_s) == (
        "right_shank",
        pytest.approx(10.0),
        pytest.approx(25.0),
    )


def test_experiment_to_unix_with_two_runs():
    ev = [
        TimeEvent("START", 0.0, 100.0),
        TimeEvent("PAUSE", 2.0, 102.0),
        TimeEvent("START", 2.0, 110.0),
    ]
    np.testing.assert_allclose(
        experiment_to_unix(np.array([0.0, 1.5, 2.0, 3.0]), ev), [100.0, 101.5, 110.0, 111.0]
    )


def test_zip_export(tmp_path, make_session):
    st = make_session(100.0).stream("right_thigh")
    src = tmp_path / "src"
    src.mkdir()
    write_phyphox(src / "Accelerometer.csv", t_s=st.t_s, values=st.acc_m_s2, kind="acc")
    write_phyphox(src / "Gyroscope.csv", t_s=st.t_s, values=st.gyr_rad_s, kind="gyr")
    write_phyphox_time_csv(src, [TimeEvent("START", 0.0, 1_700_000_000.0)])
    z = tmp_path / "Gyroscope rotation rate 2026-01-01 10-00-00.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name in ("Accelerometer.csv", "Gyroscope.csv", "meta/time.csv"):
            zf.write(src / name, name)
        zf.writestr("meta/device.csv", '"property","value"\n"deviceModel","Pixel"\n')
    streams = read_phyphox(z)
    assert [s.channels for s in streams] == [("acc",), ("gyr",)]
    assert all(s.clock == "unix" for s in streams)
    rec = read_vendor_session([z], mapping=SensorMapping.from_options(["*.zip=right_thigh"]))
    np.testing.assert_allclose(
        rec.stream("right_thigh").gyr_rad_s, st.gyr_rad_s, rtol=1e-9, atol=1e-12
    )


def test_linear_acceleration_is_not_a_specific_force(tmp_path, make_session):
    st = make_session(100.0).stream("right_shank")
    p = write_phyphox(tmp_path / "Raw Data.csv", t_s=st.t_s, values=st.acc_m_s2, kind="acc")
    text = p.read_text()
    for axis in "xyz":
        text = text.replace(f"Acceleration {axis}", f"Linear Acceleration {axis}")
    p.write_text(text)
    write_phyphox(tmp_path / "Gyroscope.csv", t_s=st.t_s, values=st.gyr_rad_s, kind="gyr")
    with pytest.raises(DataError, match="no accelerometer data"):
        read_vendor_session([tmp_path], mapping=PHONE)


GYRO_HEADER = '"Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)"\n'


def test_bad_cells_and_headers(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text(GYRO_HEADER + "0,1,2,3\n0.01,1,NaN,3\n")
    with pytest.raises(
        RecordingFormatError,
        match=r"a.csv:3: column 'Gyroscope y \(rad/s\)': 'NaN' is not a finite number",
    ):
        read_phyphox(p)
    p.write_text('"Time (s)","Gyroscope x (rad/s)","Gyroscope z (rad/s)"\n0,1,3\n')
    with pytest.raises(RecordingFormatError, match=r"incomplete gyr columns \['x', 'z'\]"):
        read_phyphox(p)
    p.write_text(GYRO_HEADER + "0.02,1,2,3\n0.01,1,2,3\n")
    with pytest.raises(RecordingFormatError, match=r":3: column 'Time \(s\)': time goes backwards"):
        read_phyphox(p)
