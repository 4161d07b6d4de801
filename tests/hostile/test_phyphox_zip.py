"""Hostile phyphox exports: ZIP bombs, several ``meta/time.csv``, clocks that do not add up.

``read_phyphox`` unpacked every ``.csv`` member whole before it looked at its header: a
1.4 MB ZIP holding the two data files and one 1 GiB member of zeros took 38 s and 2.2 GB of
memory to read (each more such member adds as much), although that member is no phyphox
data. ``meta/time.csv`` was taken on trust: a system time of ``1e300`` ended in a
``ZeroDivisionError``, START events out of order or a phone clock set back between two runs
mapped the samples to wrong or backward Unix times silently (or to a misleading "files do not
overlap").
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from analysis.recording.inputs import rate_problem
from sensors.formats import phyphox
from sensors.formats.merge import SensorMapping, read_vendor_session
from sensors.formats.phyphox import TimeEvent, read_phyphox
from tests.vendor_writers import write_phyphox, write_phyphox_time_csv

T0 = 1_790_000_000.0
THIGH = SensorMapping.from_options(["*.zip=right_thigh"])
TIME_HEAD = b'"event","experiment time","system time","system time text"\n'


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The members of a clean 20-s export at 100 Hz: accelerometer, gyroscope, time.csv."""
    folder = tmp_path_factory.mktemp("phy")
    t = np.arange(2000) / 100.0
    acc = np.column_stack([0.3 * np.sin(t), 0.2 * np.cos(t), np.full(t.size, 9.81)])
    gyr = np.column_stack([0.3 * np.cos(t), -0.2 * np.sin(t), np.zeros(t.size)])
    write_phyphox(folder / "Accelerometer.csv", t_s=t, values=acc, kind="acc")
    write_phyphox(folder / "Gyroscope.csv", t_s=t, values=gyr, kind="gyr")
    write_phyphox_time_csv(folder, [TimeEvent("START", 0.0, T0)])
    return {
        "Accelerometer.csv": (folder / "Accelerometer.csv").read_bytes(),
        "Gyroscope.csv": (folder / "Gyroscope.csv").read_bytes(),
        "meta/time.csv": (folder / "meta" / "time.csv").read_bytes(),
    }


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_member_that_is_no_data_is_never_unpacked_whole(
    tmp_path: Path, export: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bomb among the members: only its first bytes are looked at, then it is skipped."""
    z = _zip(tmp_path / "bomb.zip", {**export, "zeros.csv": bytes(32 << 20)})
    unpacked: list[int] = []
    real = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int | None = -1) -> bytes:
        data = real(self, n)
        unpacked.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    streams = read_phyphox(z)
    assert [s.channels for s in streams] == [("acc",), ("gyr",)]
    assert sum(unpacked) < sum(len(v) for v in export.values()) + (1 << 20)


def test_data_members_beyond_the_total_cap_are_refused_before_unpacking(
    tmp_path: Path, export: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    members = dict(export)
    for k in range(6):  # six more exports' worth of accelerometer files
        members[f"run{k}/Accelerometer.csv"] = export["Accelerometer.csv"]
    z = _zip(tmp_path / "many.zip", members)
    monkeypatch.setattr(phyphox, "ZIP_TOTAL_MAX_BYTES", 4 * len(export["Accelerometer.csv"]))
    with pytest.raises(RecordingFormatError, match="data members unpack to") as err:
        read_phyphox(z)
    assert "\n" not in str(err.value)


def test_an_undecodable_member_is_named_in_the_error(
    tmp_path: Path, export: dict[str, bytes]
) -> None:
    z = _zip(tmp_path / "latin.zip", {**export, "Gyroscope.csv": export["Gyroscope.csv"] + b"\xe9"})
    with pytest.raises(RecordingFormatError, match=r"latin\.zip!Gyroscope\.csv:2002: not UTF-8"):
        read_phyphox(z)


def test_two_time_csv_members_are_an_error(tmp_path: Path, export: dict[str, bytes]) -> None:
    other = export["meta/time.csv"].replace(b"1790000000.000", b"1790003600.000")
    z = _zip(tmp_path / "two.zip", {**export, "old/meta/time.csv": other})
    with pytest.raises(RecordingFormatError, match=r"2 meta/time\.csv"):
        read_phyphox(z)


@pytest.mark.parametrize("value", [b"1e300", b"nan", b"inf", b"-5", b"1e17"])
def test_an_absurd_system_time_is_a_clean_error_at_its_line(
    tmp_path: Path, export: dict[str, bytes], value: bytes
) -> None:
    time_csv = TIME_HEAD + b'"START",0.0,' + value + b',"x"\n'
    z = _zip(tmp_path / "t.zip", {**export, "meta/time.csv": time_csv})
    with pytest.raises(RecordingFormatError, match=r"t\.zip!meta/time\.csv:2: ") as err:
        read_vendor_session([z], mapping=THIGH)
    assert "system time" in str(err.value)


@pytest.mark.parametrize(
    "events",
    [
        # START events out of order: the later run listed first
        [("START", 10.0, T0 + 100.0), ("PAUSE", 5.0, T0 + 5.0), ("START", 0.0, T0)],
        # the phone's clock set back 1000 s between two runs
        [("START", 0.0, T0), ("PAUSE", 10.0, T0 + 10.0), ("START", 10.0, T0 - 1000.0)],
    ],
    ids=["starts_out_of_order", "clock_set_back"],
)
def test_time_events_that_do_not_add_up_fall_back_to_experiment_time_with_a_warning(
    tmp_path: Path, export: dict[str, bytes], events: list[tuple[str, float, float]]
) -> None:
    rows = b"".join(f'"{e}",{x!r},{s!r},"x"\n'.encode() for e, x, s in events)
    z = _zip(tmp_path / "t.zip", {**export, "meta/time.csv": TIME_HEAD + rows})
    streams = read_phyphox(z)
    for s in streams:
        assert s.clock.startswith("phyphox:")
        np.testing.assert_allclose(s.t_s, np.arange(2000) / 100.0, atol=1e-9)
        assert any("meta/time.csv" in w and "experiment time" in w for w in s.warnings)
    rec = read_vendor_session([z], mapping=THIGH)
    assert len(rec.stream("right_thigh")) == 2000


def test_a_clock_whose_times_stand_still_is_a_message_not_a_division_by_zero() -> None:
    problem = rate_problem(np.full(10, 1e300))
    assert problem is not None
    assert "do not increase" in problem


def test_an_empty_zip_is_named_as_a_zip_without_data(tmp_path: Path) -> None:
    z = _zip(tmp_path / "empty.zip", {})
    with pytest.raises(RecordingFormatError, match="ZIP holds no phyphox data CSV"):
        read_vendor_session([z], mapping=THIGH)
