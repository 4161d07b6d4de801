"""MetaBase exports: the real sample files, header variants, the writer, and bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from analysis.recording.schema import GRAVITY_M_S2
from sensors.formats.metabase import read_metabase, write_metabase
from sensors.formats.session import SensorMapping, read_vendor_session

ACC = "A-bench-heavy_MetaWear_2019-01-14T14.22.49.165_C42732BE255C_Accelerometer_12.500Hz_1.4.4.csv"
GYR = "A-bench-heavy_MetaWear_2019-01-14T14.22.49.165_C42732BE255C_Gyroscope_25.000Hz_1.4.4.csv"
MAC = "C4:27:32:BE:25:5C"


def _raw(path: Path) -> np.ndarray:
    """The file's numeric columns (epoch, elapsed, x, y, z) read with the csv module."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    return np.array([[float(r[0]), float(r[2]), *map(float, r[3:])] for r in rows])


@pytest.fixture
def mbient(shared_dir: Path) -> Path:
    return shared_dir / "vendor-samples" / "mbientlab"


@pytest.mark.shared
def test_real_accelerometer_file(mbient: Path):
    raw = _raw(mbient / ACC)
    s = read_metabase(mbient / ACC)
    assert s.channels == ("acc",)
    assert len(s) == 152 == raw.shape[0]
    assert s.rate_hz == 12.5
    assert s.device_id == MAC
    np.testing.assert_allclose(np.diff(s.t_s), 0.080, atol=1e-6)
    np.testing.assert_allclose(s.t_s, raw[:, 0] / 1000.0)
    np.testing.assert_allclose(s.acc_m_s2, raw[:, 2:5] * GRAVITY_M_S2)
    assert s.acc_m_s2[0, 0] == pytest.approx(-0.147 * 9.80665)
    assert s.started_at == "2019-01-14T14:22:49.751+01:00"
    assert s.lines[0] == 2
    assert s.gaps == ()
    assert s.warnings == ()


@pytest.mark.shared
def test_real_gyroscope_file(mbient: Path):
    raw = _raw(mbient / GYR)
    s = read_metabase(mbient / GYR)
    assert s.channels == ("gyr",)
    assert len(s) == 314 == raw.shape[0]
    assert s.rate_hz == 25.0
    np.testing.assert_allclose(np.diff(s.t_s), 0.040, atol=1e-6)
    np.testing.assert_allclose(s.gyr_rad_s, np.deg2rad(raw[:, 2:5]))
    assert s.gyr_rad_s[0, 2] == pytest.approx(-5.366 * np.pi / 180)


@pytest.mark.shared
def test_real_session_merges_acc_and_gyro_into_one_sensor(mbient: Path):
    acc, gyr = _raw(mbient / ACC), _raw(mbient / GYR)
    rec = read_vendor_session([mbient], mapping=SensorMapping.from_options([f"{MAC}=right_thigh"]))
    assert rec.placements == ("right_thigh",)
    s = rec.stream("right_thigh")
    # one time base: the gyro's (25 Hz) time stamps inside the span the acc file covers
    t_gyr = gyr[:, 0] / 1000.0
    inside = (t_gyr >= acc[0, 0] / 1000.0) & (t_gyr <= acc[-1, 0] / 1000.0)
    assert len(s) == int(inside.sum()) == 302
    np.testing.assert_allclose(s.t_s, t_gyr[inside] - t_gyr[inside][0], atol=1e-6)
    np.testing.assert_allclose(s.gyr_rad_s, np.deg2rad(gyr[inside, 2:5]))
    # acc linearly interpolated at the gyro times (independent np.interp on the raw rows)
    for i in range(3):
        expected = np.interp(t_gyr[inside], acc[:, 0] / 1000.0, acc[:, 2 + i]) * GRAVITY_M_S2
        np.testing.assert_allclose(s.acc_m_s2[:, i], expected, atol=1e-9)
    info = rec.meta.sensors["right_thigh"]
    assert (info.family, info.address, info.rate_hz) == ("mbientlab", MAC, 25.0)
    sources = rec.meta.extra["import"]["sources"]
    assert {(x["channels"][0], x["rows"], x["rate_hz"]) for x in sources} == {
        ("acc", 152, 12.5),
        ("gyr", 314, 25.0),
    }
    notes = " ".join(rec.meta.extra["import"]["notes"])
    assert "10 samples before and 2 after" in notes
    assert "linearly interpolated" in notes


def _write(
    tmp_path: Path,
    text: str,
    name: str = "MetaWear_2019-01-14T14.22.49.165_C42732BE255C_Accelerometer_100.000Hz_1.4.4.csv",
) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _rows(n: int, step_ms: int = 10, start: int = 1547472169751) -> str:
    return "".join(
        f"{start + k * step_ms},2019-01-14T14:22:49.751,{k * step_ms / 1000:.3f},"
        "0.001,0.002,1.000\n"
        for k in range(n)
    )


@pytest.mark.parametrize(
    "time_header", ["time (01:00)", "time (-13:00)", "time (+01:00)", "time (05:30)"]
)
def test_header_offset_variants(tmp_path, time_header):
    p = _write(
        tmp_path,
        f"epoch (ms),{time_header},elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n" + _rows(20),
    )
    s = read_metabase(p)
    assert len(s) == 20
    assert s.info["utc_offset"] == time_header[6:-1]
    np.testing.assert_allclose(s.acc_m_s2[:, 2], GRAVITY_M_S2)
    offset = time_header[6:-1].lstrip("+")
    assert s.started_at.endswith(offset if offset.startswith("-") else "+" + offset)


def test_quaternion_and_euler_headers_with_optional_space(tmp_path):
    name = "MetaWear_2019-01-14T14.22.49.165_C42732BE255C_Quaternion_100.000Hz_1.4.4.csv"
    for sep in (" ", ""):
        p = tmp_path / f"{len(sep)}{name}"
        rows = "".join(
            f"{1547472169751 + 10 * k},2019-01-14T14:22:49.751,0.000,1.000,0.000,0.000,0.000\n"
            for k in range(5)
        )
        p.write_text(
            "epoch (ms),time (01:00),elapsed (s),w (number),x (number),y (number),"
            f"{sep}z (number)\n" + rows
        )
        s = read_metabase(p)
        assert s.channels == ("quat",)
        np.testing.assert_allclose(s.quat, [[1.0, 0, 0, 0]] * 5)
    euler = tmp_path / name.replace("Quaternion", "Euler Angles")
    euler.write_text(
        "epoch (ms),time (01:00),elapsed (s),pitch (deg),roll (deg),yaw (deg), heading (deg)\n"
        + "1547472169751,2019-01-14T14:22:49.751,0.000,1,2,3,4\n"
    )
    s = read_metabase(euler)
    assert s.channels == ()
    assert "euler" in s.warnings[-1]


def test_writer_round_trip_with_different_rates_and_epochs(tmp_path, make_session):
    session = make_session(100.0)
    st = session.stream("right_thigh")
    t_unix = 1_700_000_000.0 + st.t_s
    # accelerometer at 50 Hz starting 0.2 s after the 100 Hz gyroscope (different epochs)
    acc_idx = np.arange(20, len(st), 2)
    write_metabase(
        tmp_path, "Accelerometer", t_unix[acc_idx], st.acc_m_s2[acc_idx], rate_hz=50.0, mac=MAC
    )
    write_metabase(tmp_path, "Gyroscope", t_unix, st.gyr_rad_s, rate_hz=100.0, mac=MAC)
    rec = read_vendor_session([tmp_path], mapping=SensorMapping.from_options(["*=right_thigh"]))
    s = rec.stream("right_thigh")
    kept = np.arange(20, acc_idx[-1] + 1)  # gyro samples inside the acc span
    assert len(s) == kept.size
    np.testing.assert_allclose(s.t_s, st.t_s[kept] - st.t_s[20], atol=1e-6)
    # gyro: deg/s with 3 decimals; acc: g with 3 decimals
    np.testing.assert_allclose(s.gyr_rad_s, st.gyr_rad_s[kept], atol=np.deg2rad(0.0005) + 1e-12)
    even = (kept - 20) % 2 == 0  # samples where an acc row exists: the value itself
    np.testing.assert_allclose(
        s.acc_m_s2[even], st.acc_m_s2[kept][even], atol=0.0005 * GRAVITY_M_S2
    )
    # odd samples: the mean of the neighbouring acc rows (linear interpolation at the midpoint)
    mid = 0.5 * (st.acc_m_s2[kept[~even] - 1] + st.acc_m_s2[kept[~even] + 1])
    np.testing.assert_allclose(s.acc_m_s2[~even], mid, atol=0.0005 * GRAVITY_M_S2)


def test_signed_offset_variant_written_and_read(tmp_path, make_session):
    st = make_session(50.0).stream("right_shank")
    p = write_metabase(
        tmp_path, "Gyroscope", 1.6e9 + st.t_s, st.gyr_rad_s, rate_hz=50.0, signed_offset=True
    )
    assert "time (+01:00)" in p.read_text().splitlines()[0]
    assert "T" in p.read_text().splitlines()[1].split(",")[1]
    s = read_metabase(p)
    np.testing.assert_allclose(s.gyr_rad_s, st.gyr_rad_s, atol=np.deg2rad(0.0005) + 1e-12)


def test_writer_never_overwrites(tmp_path):
    write_metabase(
        tmp_path, "Accelerometer", [1.6e9, 1.6e9 + 0.01], np.zeros((2, 3)), rate_hz=100.0
    )
    with pytest.raises(FileExistsError):
        write_metabase(
            tmp_path, "Accelerometer", [1.6e9, 1.6e9 + 0.01], np.ones((2, 3)), rate_hz=100.0
        )


HEADER = "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n"


def test_file_cut_mid_row_drops_the_last_row_with_a_warning(tmp_path):
    text = HEADER + _rows(10)
    p = _write(tmp_path, text + "1547472169851,2019-01-14T14:22:49.851,0.100,0.00")
    s = read_metabase(p)
    assert len(s) == 10
    assert any("line 12" in w and "incomplete" in w for w in s.warnings)


def test_mangled_header_names_the_columns(tmp_path):
    p = _write(
        tmp_path,
        "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g)\n" + "1,2019,0.0,0.1,0.2\n",
    )
    with pytest.raises(
        RecordingFormatError, match=r":1: unknown MetaBase data columns x-axis \(g\),y-axis \(g\)"
    ):
        read_metabase(p)


def test_clock_going_backwards_names_the_line(tmp_path):
    rows = _rows(6).splitlines()
    rows[4] = rows[4].replace("1547472169791", "1547472169771")
    p = _write(tmp_path, HEADER + "\n".join(rows) + "\n")
    with pytest.raises(
        RecordingFormatError, match=r":6: column 'epoch \(ms\)': time goes backwards"
    ):
        read_metabase(p)


def test_not_a_number_names_line_and_column(tmp_path):
    rows = _rows(6).splitlines()
    rows[2] = rows[2].replace(",1.000", ",1.0x0")
    p = _write(tmp_path, HEADER + "\n".join(rows) + "\n")
    with pytest.raises(
        RecordingFormatError, match=r":4: column 'z-axis \(g\)': '1.0x0' is not a finite number"
    ):
        read_metabase(p)


def test_short_row_in_the_middle_names_the_line(tmp_path):
    rows = _rows(6).splitlines()
    rows[1] = ",".join(rows[1].split(",")[:4])
    p = _write(tmp_path, HEADER + "\n".join(rows) + "\n")
    with pytest.raises(RecordingFormatError, match=r":3: row has 4 fields; expected 6"):
        read_metabase(p)


def test_mixed_rates_in_one_file_are_refused(tmp_path):
    first = _rows(20, step_ms=10)
    second = _rows(20, step_ms=40, start=1547472169751 + 200)
    p = _write(tmp_path, HEADER + first + second)
    with pytest.raises(RecordingFormatError, match=r":23: .*mixed sample rates"):
        read_metabase(p)


def test_lost_samples_are_gaps(tmp_path):
    rows = _rows(30).splitlines()
    del rows[10:13]  # three samples lost
    p = _write(tmp_path, HEADER + "\n".join(rows) + "\n")
    s = read_metabase(p)
    assert len(s.gaps) == 1
    g = s.gaps[0]
    assert g.missing == 3
    assert g.line == 12
    assert g.start_s == pytest.approx(1547472169.751 + 0.100)
    assert g.end_s == pytest.approx(1547472169.751 + 0.130)
