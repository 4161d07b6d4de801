"""Multi-file sessions: placements, mappings, clock alignment, merge errors, and every format
end to end: written from a known session, read back, the same joint angles (≤ 0.5°)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.angles.orientation import estimate_orientation
from analysis.errors import ConfigError, DataError, RecordingFormatError, TimebaseError
from analysis.recording.streams import Recording
from sensors.formats.metabase import write_metabase
from sensors.formats.movella_dot import free_acc_from_specific_force, write_movella_dot
from sensors.formats.phyphox import TimeEvent, write_phyphox, write_phyphox_time_csv
from sensors.formats.session import (
    SensorMapping,
    expand_inputs,
    read_vendor_session,
    suggest_placement,
)
from sensors.formats.witmotion import write_witmotion

UNIX0 = 1_760_000_000.0
MACS = {"right_thigh": "C4:27:32:BE:25:5C", "right_shank": "D1:00:00:00:00:02"}
TAGS = {"right_thigh": "RFemur", "right_shank": "RTibia"}


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        (("LFemur",), "left_thigh"),
        (("RFemur",), "right_thigh"),
        (("LTibia",), "left_shank"),
        (("RTibia",), "right_shank"),
        (("Pelvis",), "pelvis"),
        (("RightThigh",), "right_thigh"),
        (("left_shank",), "left_shank"),
        (("femur_l",), "left_thigh"),
        (("rthigh",), "right_thigh"),
        (("Right Upper Leg",), "right_thigh"),
        (("calcn_r",), "right_foot"),
        (("Sternum",), "trunk"),
        (("zdt", "LFemur"), "left_thigh"),
        (("Thigh",), None),
        (("A-bench-heavy_MetaWear",), None),
        (("zdt",), None),
    ],
)
def test_suggest_placement(hints, expected):
    assert suggest_placement(*hints) == expected


def test_mapping_options_and_toml(tmp_path):
    m = SensorMapping.from_options(["LFemur*.csv=left_thigh", "C4:27:32:BE:25:5C=right_shank"])
    assert m.rules == (("LFemur*.csv", "left_thigh"), ("C4:27:32:BE:25:5C", "right_shank"))
    with pytest.raises(ConfigError, match="unknown placement 'thigh'"):
        SensorMapping.from_options(["x.csv=thigh"])
    with pytest.raises(ConfigError, match="expected FILE_OR_GLOB_OR_DEVICE=placement"):
        SensorMapping.from_options(["x.csv"])
    toml = tmp_path / "m.toml"
    toml.write_text(
        '[sensors]\n"LFemur*.csv" = "left_thigh"\nright_shank = ["RTib*.csv", "yxt"]\n', "utf-8"
    )
    t = SensorMapping.from_toml(toml)
    assert t.defaults == (
        ("LFemur*.csv", "left_thigh"),
        ("RTib*.csv", "right_shank"),
        ("yxt", "right_shank"),
    )
    toml.write_text("[sensors\n", "utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        SensorMapping.from_toml(toml)
    toml.write_text("[other]\na = 1\n", "utf-8")
    with pytest.raises(ConfigError, match=r"expected a \[sensors\] table"):
        SensorMapping.from_toml(toml)


# --- writing a known session in every format --------------------------------------------------


def _metabase(session: Any, folder: Path) -> SensorMapping:
    for label in ("right_thigh", "right_shank"):
        st = session.stream(label)
        t = UNIX0 + st.t_s
        write_metabase(folder, "Accelerometer", t, st.acc_m_s2, rate_hz=100.0, mac=MACS[label])
        write_metabase(folder, "Gyroscope", t, st.gyr_rad_s, rate_hz=100.0, mac=MACS[label])
    return SensorMapping.from_options([f"{mac}={label}" for label, mac in MACS.items()])


def _movella_dot(session: Any, folder: Path) -> SensorMapping:
    for label, tag in TAGS.items():
        st = session.stream(label)
        # A DOT exports its own fusion output, and the pipeline uses it as is. To compare the
        # DOT path with the canonical one on the same information, the "device" fuses the very
        # samples the canonical recording holds (with VQF, as the pipeline would).
        q = estimate_orientation(st.gyr_rad_s, st.acc_m_s2, rate_hz=st.median_rate_hz).q_E_S
        write_movella_dot(
            folder / f"{tag}_20260101_000000_000.csv",
            t_s=st.t_s,
            quat=q,
            free_acc_m_s2=free_acc_from_specific_force(q, st.acc_m_s2),
            tag=tag.lower(),
        )
    return SensorMapping()  # placements from the file names


def _witmotion(session: Any, folder: Path) -> SensorMapping:
    for label in ("right_thigh", "right_shank"):
        st = session.stream(label)
        write_witmotion(
            folder / f"_{label}_0.csv",
            t_s=st.t_s,
            acc_m_s2=st.acc_m_s2,
            gyr_rad_s=st.gyr_rad_s,
            device=f"WT-{label}",
        )
    return SensorMapping.from_options([f"WT-{p}={p}" for p in ("right_thigh", "right_shank")])


def _phyphox(session: Any, folder: Path) -> SensorMapping:
    for label in ("right_thigh", "right_shank"):
        st = session.stream(label)
        phone = folder / label
        phone.mkdir()
        write_phyphox_time_csv(phone, [TimeEvent("START", 0.0, UNIX0)])
        write_phyphox(phone / "Accelerometer.csv", t_s=st.t_s, values=st.acc_m_s2, kind="acc")
        write_phyphox(phone / "Gyroscope.csv", t_s=st.t_s, values=st.gyr_rad_s, kind="gyr")
    return SensorMapping.from_options(
        [f"*{p}=right_{p.split('_')[1]}" for p in ("/right_thigh", "/right_shank")]
    )


WRITERS = {
    "metabase": (_metabase, 100.0),
    "movella_dot": (_movella_dot, 60.0),
    "witmotion": (_witmotion, 100.0),
    "phyphox": (_phyphox, 100.0),
}


def _import(fmt: str, session: Any, tmp_path: Path) -> Recording:
    writer, _ = WRITERS[fmt]
    folder = tmp_path / fmt
    folder.mkdir()
    mapping = writer(session, folder)
    inputs = [p for p in folder.iterdir() if p.is_dir()] or [folder]
    return read_vendor_session(inputs, mapping=mapping)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_reads_back_the_samples(tmp_path, make_session, fmt):
    session = make_session(WRITERS[fmt][1])
    rec = _import(fmt, session, tmp_path)
    assert rec.placements == ("right_thigh", "right_shank")
    tol_acc = {"metabase": 0.0005 * 9.80665, "witmotion": 0.00005 * 9.80665}.get(fmt, 3e-5)
    tol_gyr = {"metabase": np.deg2rad(0.0005), "witmotion": np.deg2rad(0.00005)}.get(fmt, 1e-6)
    for label in rec.placements:
        ref, got = session.stream(label), rec.stream(label)
        assert len(got) == len(ref)
        np.testing.assert_allclose(got.t_s, ref.t_s, atol=1.5e-6)
        np.testing.assert_allclose(got.acc_m_s2, ref.acc_m_s2, atol=tol_acc + 1e-12)
        if fmt == "movella_dot":  # differentiated from the 6-decimal quaternions
            assert np.median(np.abs(got.gyr_rad_s - ref.gyr_rad_s)) < 1e-3
        else:
            np.testing.assert_allclose(got.gyr_rad_s, ref.gyr_rad_s, atol=tol_gyr + 1e-12)
    assert rec.meta.gaps == ()


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_gives_the_same_joint_angles(
    tmp_path, make_session, angle_diff, replace_meta, fmt
):
    pytest.importorskip("analysis.angles.pipeline")
    session = make_session(WRITERS[fmt][1])
    rec = replace_meta(_import(fmt, session, tmp_path), calibration=session.calibration)
    diffs = angle_diff(session.recording(), rec)
    assert "right_knee_flexion_deg" in diffs
    assert max(diffs.values()) <= 0.5, diffs


# --- alignment and merge errors -------------------------------------------------------------


def test_metabase_and_phyphox_share_unix_time(tmp_path, make_session):
    session = make_session(100.0)
    st = session.stream("right_thigh")
    write_metabase(tmp_path, "Accelerometer", UNIX0 + 1.0 + st.t_s, st.acc_m_s2, rate_hz=100.0)
    write_metabase(tmp_path, "Gyroscope", UNIX0 + 1.0 + st.t_s, st.gyr_rad_s, rate_hz=100.0)
    phone = tmp_path / "phone"
    phone.mkdir()
    sh = session.stream("right_shank")
    write_phyphox_time_csv(phone, [TimeEvent("START", 0.0, UNIX0)])
    write_phyphox(phone / "Accelerometer.csv", t_s=sh.t_s, values=sh.acc_m_s2, kind="acc")
    write_phyphox(phone / "Gyroscope.csv", t_s=sh.t_s, values=sh.gyr_rad_s, kind="gyr")
    rec = read_vendor_session(
        [*tmp_path.glob("*.csv"), phone],
        mapping=SensorMapping.from_options(["C4:27*=right_thigh", "*phone*=right_shank"]),
    )
    assert rec.stream("right_shank").t_s[0] == 0.0
    assert rec.stream("right_thigh").t_s[0] == pytest.approx(1.0, abs=1e-6)
    assert rec.meta.extra["import"]["alignment"].startswith("one clock (unix)")


def test_files_that_do_not_overlap_are_refused(tmp_path, make_session):
    st = make_session(100.0).stream("right_thigh")
    write_metabase(tmp_path, "Accelerometer", UNIX0 + st.t_s, st.acc_m_s2, rate_hz=100.0)
    write_metabase(tmp_path, "Gyroscope", UNIX0 + 100 + st.t_s, st.gyr_rad_s, rate_hz=100.0)
    with pytest.raises(TimebaseError, match="do not overlap in time"):
        read_vendor_session([tmp_path], mapping=SensorMapping.from_options(["*=right_thigh"]))


def test_a_sensor_without_gyroscope_is_refused(tmp_path, make_session):
    st = make_session(100.0).stream("right_thigh")
    write_metabase(tmp_path, "Accelerometer", UNIX0 + st.t_s, st.acc_m_s2, rate_hz=100.0)
    with pytest.raises(DataError, match="no gyroscope data"):
        read_vendor_session([tmp_path], mapping=SensorMapping.from_options(["*=right_thigh"]))


def test_gap_in_the_slower_file_drops_interpolated_samples(tmp_path, make_session):
    st = make_session(100.0).stream("right_thigh")
    t = UNIX0 + st.t_s
    acc_idx = np.r_[0:500:2, 520 : len(st) : 2]  # 50 Hz, 10 samples (0.2 s) lost
    write_metabase(tmp_path, "Accelerometer", t[acc_idx], st.acc_m_s2[acc_idx], rate_hz=50.0)
    write_metabase(tmp_path, "Gyroscope", t, st.gyr_rad_s, rate_hz=100.0)
    rec = read_vendor_session([tmp_path], mapping=SensorMapping.from_options(["*=right_thigh"]))
    s = rec.stream("right_thigh")
    dropped = (st.t_s > st.t_s[498] + 1e-9) & (st.t_s < st.t_s[520] - 1e-9)
    assert int(dropped.sum()) == 21
    assert len(s) == len(st) - 1 - 21  # the last gyro sample lies after the last acc row
    assert not np.any((s.t_s > st.t_s[498] + 1e-6) & (s.t_s < st.t_s[520] - 1e-6))
    (gap,) = rec.meta.gaps
    assert gap.start_s == pytest.approx(st.t_s[500])
    assert gap.end_s == pytest.approx(st.t_s[520])
    assert "10 missing" in gap.reason
    assert "21" in gap.reason


def test_placement_errors(tmp_path, make_session):
    st = make_session(100.0).stream("right_thigh")
    for mac in ("AA:00:00:00:00:01", "AA:00:00:00:00:02"):
        write_metabase(
            tmp_path, "Accelerometer", UNIX0 + st.t_s, st.acc_m_s2, rate_hz=100.0, mac=mac
        )
        write_metabase(tmp_path, "Gyroscope", UNIX0 + st.t_s, st.gyr_rad_s, rate_hz=100.0, mac=mac)
    with pytest.raises(ConfigError, match=r"no placement for sensor\(s\) AA:00:00:00:00:01"):
        read_vendor_session([tmp_path])
    with pytest.raises(ConfigError, match="placement right_thigh given to 2 sensors"):
        read_vendor_session([tmp_path], mapping=SensorMapping.from_options(["*.csv=right_thigh"]))
    with pytest.raises(ConfigError, match=r"matched no file or device: nope\*=pelvis"):
        read_vendor_session(
            [tmp_path],
            mapping=SensorMapping.from_options(
                ["*01=right_thigh", "*02=right_shank", "nope*=pelvis"]
            ),
        )
    with pytest.raises(ConfigError, match="matches --sensor rules for"):
        read_vendor_session(
            [tmp_path],
            mapping=SensorMapping.from_options(["*01=right_thigh", "AA:*=right_shank"]),
        )
    toml = tmp_path / "m.toml"
    toml.write_text('[sensors]\n"*:01" = "left_thigh"\n"*:02" = "left_shank"\n"zz" = "pelvis"\n')
    rec = read_vendor_session(
        [*tmp_path.glob("*.csv")],
        mapping=SensorMapping.from_toml(toml) + SensorMapping.from_options(["*:02=right_shank"]),
    )
    assert rec.placements == ("left_thigh", "right_shank")  # --sensor wins over the file


def test_inputs_errors(tmp_path):
    with pytest.raises(RecordingFormatError, match="file not found"):
        expand_inputs([tmp_path / "missing.csv"])
    with pytest.raises(RecordingFormatError, match="pattern matches no file"):
        expand_inputs([str(tmp_path / "*.csv")])
    (tmp_path / "README.md").write_text("hi")
    with pytest.raises(RecordingFormatError, match="folder holds no data files"):
        expand_inputs([tmp_path])
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RecordingFormatError, match=r"notes.csv:1: unknown file format"):
        read_vendor_session([tmp_path])
