"""Movella DOT exports: the five real files, derived channels, clock wrap, the writer, bad input."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles import rotations as rot
from analysis.errors import RecordingFormatError, TimebaseError
from analysis.recording.schema import GRAVITY_M_S2
from analysis.recording.streams import CalibrationWindows
from sensors.formats.merge import read_vendor_session
from sensors.formats.movella_dot import (
    CLOCK_WRAP_S,
    angular_rate_from_quaternions,
    free_acc_from_specific_force,
    read_movella_dot,
)
from tests.vendor_writers import write_movella_dot

FILES = {
    "Pelvis_20210820_202113_836.csv": ("pelvis", 382, 352 + 30, 0, 0),
    "LFemur_20210820_202113_831.csv": ("left_thigh", 195, 352, 138, 157),
    "RFemur_20210820_202113_840.csv": ("right_thigh", 381, 381, 0, 0),
    "LTibia_20210820_202113_811.csv": ("left_shank", 381, 381, 0, 0),
    "RTibia_20210820_202113_825.csv": ("right_shank", 382, 382, 0, 0),
}
"""file → (placement, data rows, last PacketCounter, gaps, missing packets) per the README."""


def _raw(path: Path) -> np.ndarray:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[12:]
    return np.array([[float(x) for x in r] for r in rows])


@pytest.fixture
def movella(shared_dir: Path) -> Path:
    return shared_dir / "vendor-samples" / "movella"


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(FILES))
def test_real_file_rows_clock_and_packet_loss(movella: Path, name: str):
    _, rows, last_counter, n_gaps, n_missing = FILES[name]
    raw = _raw(movella / name)
    s = read_movella_dot(movella / name)
    assert len(s) == rows == raw.shape[0]
    assert raw[-1, 0] == last_counter
    assert s.rate_hz == 60.0
    assert s.clock == "movella_dot:synced"
    np.testing.assert_allclose(s.t_s, raw[:, 1] * 1e-6)
    np.testing.assert_array_equal(s.device_ticks, raw[:, 1].astype(np.int64))
    np.testing.assert_allclose(s.quat, raw[:, 2:6] / np.linalg.norm(raw[:, 2:6], axis=1)[:, None])
    assert len(s.gaps) == n_gaps
    assert sum(g.missing for g in s.gaps) == n_missing == int(raw[-1, 0] - raw[0, 0] + 1 - rows)
    assert set(s.derived) == {"acc", "gyr"}
    assert s.started_at.startswith("2021-08-20T20:21:13.")
    assert s.started_at.endswith("+08:00")


@pytest.mark.shared
def test_real_packet_loss_gap_positions(movella: Path):
    raw = _raw(movella / "LFemur_20210820_202113_831.csv")
    s = read_movella_dot(movella / "LFemur_20210820_202113_831.csv")
    skips = np.flatnonzero(np.diff(raw[:, 0]) > 1)
    assert [g.line for g in s.gaps] == [int(13 + j + 1) for j in skips]
    first = s.gaps[0]
    assert "PacketCounter 28 → 30" in first.reason
    # [time the lost packet was due, time of the next packet present)
    assert first.start_s == pytest.approx(raw[skips[0], 1] * 1e-6 + 1 / 60, abs=1e-6)
    assert first.end_s == pytest.approx(raw[skips[0] + 1, 1] * 1e-6)


@pytest.mark.shared
def test_real_derived_specific_force(movella: Path):
    raw = _raw(movella / "RFemur_20210820_202113_840.csv")
    s = read_movella_dot(movella / "RFemur_20210820_202113_840.csv")
    r = Rotation.from_quat(raw[:, [3, 4, 5, 2]])  # independent: scipy, scalar last
    expected = r.inv().apply(raw[:, 6:9] + [0.0, 0.0, GRAVITY_M_S2])
    np.testing.assert_allclose(s.acc_m_s2, expected, atol=1e-9)
    still = s.t_s - s.t_s[0] < 1.0  # the recording starts at rest
    np.testing.assert_allclose(np.linalg.norm(s.acc_m_s2[still], axis=1), GRAVITY_M_S2, atol=0.3)


@pytest.mark.shared
def test_real_session_placements_and_shared_clock(movella: Path):
    rec = read_vendor_session([movella])
    assert set(rec.placements) == {
        "pelvis",
        "left_thigh",
        "right_thigh",
        "left_shank",
        "right_shank",
    }
    assert rec.meta.extra["orientation_source"] == dict.fromkeys(
        rec.placements, "vendor_quaternion"
    )
    assert set(rec.meta.extra["derived_channels"]["left_thigh"]) == {"acc", "gyr"}
    gaps = [g for g in rec.meta.gaps if g.sensor == "left_thigh"]
    assert len(gaps) == 138
    assert {g.sensor for g in rec.meta.gaps} == {"left_thigh"}
    # same SampleTimeFine → same t_s in every sensor (RTibia starts first: t_s = 0)
    ticks = {p: rec.stream(p).device_ticks for p in rec.placements}
    t = {p: rec.stream(p).t_s for p in rec.placements}
    assert t["right_shank"][0] == 0.0
    for p in rec.placements:
        np.testing.assert_allclose(t[p], (ticks[p] - ticks["right_shank"][0]) * 1e-6, atol=1e-6)
    assert any("LICENSE" in n for n in rec.meta.extra["import"]["notes"])


@pytest.mark.shared
def test_real_session_knee_angles_through_the_pipeline(movella: Path):
    pipeline = pytest.importorskip("analysis.angles.pipeline")
    rec = read_vendor_session([movella])
    # the 6 s sample has ~1.5 s of quiet stand, then squats: windows given as a sidecar would
    rec = rec.replace(
        meta=dataclasses.replace(
            rec.meta, calibration=CalibrationWindows(static_s=(0.1, 1.5), functional_s=(1.5, 5.8))
        ),
    )
    angles = pipeline.analyse_recording(rec).angles
    t = angles["t_s"].to_numpy()
    for side in ("left", "right"):
        knee = angles[f"{side}_knee_flexion_deg"].to_numpy()
        thigh, shank = rec.stream(f"{side}_thigh"), rec.stream(f"{side}_shank")
        # independent reference: rotation of the shank relative to the thigh since the stand,
        # straight from the vendor quaternions (≥ |flexion|; equal for a pure hinge)
        i = np.clip(np.searchsorted(thigh.t_s, t), 0, len(thigh) - 1)
        j = np.clip(np.searchsorted(shank.t_s, t), 0, len(shank) - 1)
        ok = (np.abs(thigh.t_s[i] - t) < 0.009) & (np.abs(shank.t_s[j] - t) < 0.009)
        rel = rot.multiply(rot.conjugate(thigh.quat[i]), shank.quat[j])
        stand = np.flatnonzero(ok & (t >= 0.1) & (t < 1.5))
        total = np.rad2deg(rot.angle_between(rel, rel[stand[len(stand) // 2]]))
        m = ok & np.isfinite(knee)
        assert m.sum() > 150
        assert np.nanmax(knee) > 40.0  # the squats are seen
        rms = np.sqrt(np.mean((np.abs(knee[m]) - total[m]) ** 2))
        assert rms < 3.0, f"{side} knee differs from the vendor relative rotation by {rms:.2f}°"


def test_angular_rate_from_quaternions_is_exact_for_a_constant_rate():
    w = np.array([0.3, -1.2, 0.7])
    t = np.cumsum(np.r_[0.0, np.full(99, 1 / 60)])
    t[50:] += 2 / 60  # a gap: unequal spacing
    q0 = rot.normalize([0.2, 0.5, -0.1, 0.8])
    q = rot.multiply(q0, rot.from_rotation(Rotation.from_rotvec(np.outer(t, w))))
    np.testing.assert_allclose(angular_rate_from_quaternions(t, q), np.tile(w, (100, 1)), atol=1e-9)


def test_writer_round_trip_extended_quaternion(tmp_path, make_session):
    session = make_session(60.0)
    st = session.stream("right_shank")
    q = session.q_E_S["right_shank"]
    free = free_acc_from_specific_force(q, st.acc_m_s2)
    p = write_movella_dot(
        tmp_path / "RTibia_20260101_000000_000.csv", t_s=st.t_s, quat=q, free_acc_m_s2=free
    )
    assert not p.read_bytes().endswith(b"\n")  # like the app
    s = read_movella_dot(p)
    np.testing.assert_allclose(s.t_s - s.t_s[0], st.t_s, atol=1e-6)
    assert rot.angle_between(s.quat, q).max() < 3e-6
    np.testing.assert_allclose(s.acc_m_s2, st.acc_m_s2, atol=3e-5)
    # derived rate vs the exact rate: central differences at 60 Hz of a smooth motion
    err = np.abs(s.gyr_rad_s - st.gyr_rad_s)
    assert np.median(err) < 1e-3
    assert err.max() < 0.02


def test_writer_round_trip_with_acc_and_gyro_columns(tmp_path, make_session):
    session = make_session(60.0)
    st = session.stream("right_thigh")
    q = session.q_E_S["right_thigh"]
    p = write_movella_dot(
        tmp_path / "x.csv", t_s=st.t_s, quat=q, acc_m_s2=st.acc_m_s2, gyr_rad_s=st.gyr_rad_s
    )
    s = read_movella_dot(p)
    assert s.derived == {}
    np.testing.assert_allclose(s.acc_m_s2, st.acc_m_s2, atol=5e-7)
    np.testing.assert_allclose(s.gyr_rad_s, st.gyr_rad_s, atol=np.deg2rad(5e-7))


def test_sample_time_fine_wrap_within_and_across_files(tmp_path, make_session):
    session = make_session(60.0)
    start = 2**32 - 3_000_000  # wraps 3 s into the recording
    for label, tag, offset in (("right_thigh", "RFemur", 0), ("right_shank", "RTibia", 16667)):
        st = session.stream(label)
        q = session.q_E_S[label]
        write_movella_dot(
            tmp_path / f"{tag}_20260101_000000_000.csv",
            t_s=st.t_s,
            quat=q,
            free_acc_m_s2=free_acc_from_specific_force(q, st.acc_m_s2),
            tag=tag.lower(),
            sample_time_fine_start=(start + offset) % 2**32,
        )
    raw_last = int(_raw(tmp_path / "RFemur_20260101_000000_000.csv")[-1, 1])
    assert raw_last < start  # the counter did wrap in the file
    rec = read_vendor_session([tmp_path])
    thigh, shank = rec.stream("right_thigh"), rec.stream("right_shank")
    np.testing.assert_allclose(np.diff(thigh.t_s), 1 / 60, atol=2e-6)
    assert shank.t_s[0] - thigh.t_s[0] == pytest.approx(0.016667, abs=1e-6)
    assert abs(CLOCK_WRAP_S - 4294.967296) < 1e-9


HEAD = (
    "sep=,\nDeviceTag:,abc\nSyncStatus:,Synced\nOutputRate:,60Hz\n"
    "StartTime: ,2021-08-20_20:21:13_829 GMT+8\n© Xsens Technologies B. V. 2005-2021\n\n"
    "PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,FreeAcc_X,FreeAcc_Y,FreeAcc_Z,Status\n"
)


def _rows(n: int) -> list[str]:
    return [f"{k + 1},{1000 + 16667 * k},1,0,0,0,0,0,0,0" for k in range(n)]


def test_sample_time_going_backwards_names_the_line(tmp_path):
    rows = _rows(10)
    rows[5] = "6,1000,1,0,0,0,0,0,0,0"
    p = tmp_path / "d.csv"
    p.write_text(HEAD + "\n".join(rows))
    with pytest.raises(
        RecordingFormatError,
        match=r"d.csv:14: column 'SampleTimeFine': SampleTimeFine goes backwards",
    ):
        read_movella_dot(p)


def test_repeated_packet_counter_names_the_line(tmp_path):
    rows = _rows(10)
    rows[3] = rows[3].replace("4,", "3,", 1)
    p = tmp_path / "d.csv"
    p.write_text(HEAD + "\n".join(rows))
    with pytest.raises(
        RecordingFormatError, match=r":12: column 'PacketCounter': PacketCounter repeats"
    ):
        read_movella_dot(p)


def test_last_row_cut_mid_row_is_dropped(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(HEAD + "\n".join(_rows(10)) + "\n11,167670,0.99")
    s = read_movella_dot(p)
    assert len(s) == 10
    assert any("incomplete last row" in w for w in s.warnings)


def test_unsynced_sensors_are_aligned_by_start_time(tmp_path, make_session):
    session = make_session(60.0)
    for label, tag, start_unix in (
        ("right_thigh", "RFemur", 1.7e9),
        ("right_shank", "RTibia", 1.7e9 + 0.5),
    ):
        st = session.stream(label)
        q = session.q_E_S[label]
        write_movella_dot(
            tmp_path / f"{tag}_x.csv",
            t_s=st.t_s,
            quat=q,
            free_acc_m_s2=free_acc_from_specific_force(q, st.acc_m_s2),
            tag=tag,
            synced=False,
            start_unix_s=start_unix,
            sample_time_fine_start=123_456_789 if tag == "RFemur" else 987_654_321,
        )
    rec = read_vendor_session([tmp_path])
    assert rec.stream("right_shank").t_s[0] == pytest.approx(0.5, abs=1e-3)
    assert "wall-clock start" in rec.meta.extra["import"]["alignment"]
    assert any("not 'Synced'" in w for w in rec.warnings)


def test_unsynced_without_start_time_cannot_be_aligned(tmp_path):
    for tag in ("RFemur", "RTibia"):
        head = HEAD.replace("Synced", "Unsynced").replace("abc", tag).replace("StartTime: ,", "X:,")
        (tmp_path / f"{tag}.csv").write_text(head + "\n".join(_rows(30)))
    with pytest.raises(TimebaseError, match="different clocks"):
        read_vendor_session([tmp_path])


def test_no_column_header(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("sep=,\nDeviceTag:,abc\n\n1,2,3\n")
    with pytest.raises(RecordingFormatError, match="no DOT column header"):
        read_movella_dot(p)


def test_measured_acc_and_gyro_columns_are_fused_by_the_pipeline_not_the_vendor(
    tmp_path, make_session
):
    # a DOT export that carries the raw channels (Acc_*, Gyr_*: no real sample has them; the
    # real Extended (Quaternion) files have only Quat_* and FreeAcc_*) is not marked
    # vendor-fused, so the analysis computes the orientation itself (VQF) from them
    session = make_session(60.0)
    st = session.stream("right_thigh")
    write_movella_dot(
        tmp_path / "RFemur_20260101_000000_000.csv",
        t_s=st.t_s,
        quat=session.q_E_S["right_thigh"],
        acc_m_s2=st.acc_m_s2,
        gyr_rad_s=st.gyr_rad_s,
    )
    rec = read_vendor_session([tmp_path])
    assert "orientation_source" not in rec.meta.extra
    assert "derived_channels" not in rec.meta.extra
