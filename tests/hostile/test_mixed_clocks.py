"""Several vendors' files of one session whose clocks do not agree.

A board whose clock (or file) is an hour off was imported without a word: the recording held
a sensor that overlaps no other one in time, and ``analyse`` then failed with "no quiet stand"
(or, with the windows given, left every angle that needs it empty) without saying why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import TimebaseError
from sensors.formats import canonical
from sensors.formats.merge import SensorMapping, read_vendor_session
from sensors.formats.phyphox import TimeEvent
from tests.vendor_writers import write_metabase_session, write_phyphox, write_phyphox_time_csv

T0 = 1_790_000_000.0
MAPPING = SensorMapping.from_options(
    ["*phone*=pelvis", "*BE2501*=right_thigh", "*BE2502*=right_shank"]
)


def _session(folder: Path, shift_s: dict[str, float]) -> Path:
    t = np.arange(3000) / 100.0
    acc = np.column_stack([0.3 * np.sin(t), 0.2 * np.cos(t), np.full(t.size, 9.81)])
    gyr = np.column_stack([0.3 * np.cos(t), -0.2 * np.sin(t), np.zeros(t.size)])
    phone = folder / "phone"
    phone.mkdir(parents=True)
    write_phyphox_time_csv(phone, [TimeEvent("START", 0.0, T0 + shift_s.get("pelvis", 0.0))])
    write_phyphox(phone / "Accelerometer.csv", t_s=t, values=acc, kind="acc")
    write_phyphox(phone / "Gyroscope.csv", t_s=t, values=gyr, kind="gyr")
    for place, mac in (("right_thigh", "C4:27:32:BE:25:01"), ("right_shank", "C4:27:32:BE:25:02")):
        tt = T0 + shift_s.get(place, 0.0) + t
        write_metabase_session(
            folder, t_unix_s=[tt, tt], acc_m_s2=acc, gyr_rad_s=gyr, rates_hz=(100.0, 100.0), mac=mac
        )
    return folder


@pytest.mark.parametrize(
    "shift_s",
    [{"right_shank": 3600.0}, {"pelvis": -40.0}, {"right_thigh": 31.0, "right_shank": 31.0}],
    ids=["shank_an_hour_late", "phone_40s_early", "two_boards_after_the_phone"],
)
def test_a_sensor_that_overlaps_no_other_is_an_error_naming_it(
    tmp_path: Path, shift_s: dict[str, float]
) -> None:
    folder = _session(tmp_path, shift_s)
    with pytest.raises(TimebaseError, match="overlap no other sensor") as err:
        read_vendor_session([folder, folder / "phone"], mapping=MAPPING)
    assert "\n" not in str(err.value)


def test_sensors_that_overlap_in_part_are_read(tmp_path: Path) -> None:
    folder = _session(tmp_path, {"right_shank": 20.0})
    rec = read_vendor_session([folder, folder / "phone"], mapping=MAPPING)
    assert float(rec.stream("right_shank").t_s[0]) == pytest.approx(20.0, abs=0.02)
    assert len(rec.stream("right_shank")) == 3000


def _warned_short(warnings: tuple[str, ...], label: str) -> list[str]:
    return [w for w in warnings if f"sensor '{label}' has samples only from" in w]


def test_a_sensor_whose_file_was_cut_short_is_said_on_import_and_on_reading_it_back(
    tmp_path: Path,
) -> None:
    # A MetaBase file cut at 9 s of a 30-s session was read without a word: the angles that
    # need the sensor were empty from there on, and analyse said only "no stretch found".
    folder = _session(tmp_path / "in", {})
    (gyro,) = folder.glob("*BE2501*Gyroscope*.csv")
    (acc,) = folder.glob("*BE2501*Accelerometer*.csv")
    for f in (gyro, acc):
        f.write_text("\n".join(f.read_text().splitlines()[:901]) + "\n")
    rec = read_vendor_session([folder, folder / "phone"], mapping=MAPPING)
    (said,) = _warned_short(rec.warnings, "right_thigh")
    assert "from 0.000 to 8.990 s of the session's 0.000–29.990 s" in said
    assert not _warned_short(rec.warnings, "right_shank")
    out = tmp_path / "rec.csv"
    canonical.write_streams(out, rec.streams, rec.meta)
    assert len(_warned_short(canonical.read_recording(out).warnings, "right_thigh")) == 1


def test_sensors_a_few_seconds_apart_are_not_warned(tmp_path: Path) -> None:
    folder = _session(tmp_path, {"right_shank": 3.0})
    rec = read_vendor_session([folder, folder / "phone"], mapping=MAPPING)
    assert not [w for w in rec.warnings if "has samples only from" in w]
