"""The live recorder: rows sorted across sensors, flushed every second, never overwriting."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest

from analysis.errors import OutputExistsError
from analysis.recording.schema import DEVICE_TICKS, QUAT_COLUMNS, REQUIRED_COLUMNS
from analysis.recording.streams import Gap, Marker, SensorInfo, SessionMeta
from sensors.formats.canonical import read_recording, sidecar_path
from sensors.session.clock import SessionClock
from sensors.session.recorder import Recorder
from sensors.session.types import AlignedBatch


def _batch(
    placement: str, t: np.ndarray, *, quat: bool = False, ticks: bool = True
) -> AlignedBatch:
    n = len(t)
    q = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)) if quat else None
    return AlignedBatch(
        placement=placement,
        t_s=np.asarray(t, dtype=float),
        acc_m_s2=np.column_stack([t, -t, np.full(n, 9.81)]),
        gyr_rad_s=np.column_stack([0.1 * t, np.zeros(n), np.ones(n)]),
        quat=q,
        device_ticks=tuple(round(x * 1000) for x in t) if ticks else None,
    )


def test_existing_csv_or_sidecar_is_never_overwritten(tmp_path):
    csv = tmp_path / "rec.csv"
    csv.write_text("precious\n")
    with pytest.raises(OutputExistsError, match="refusing to overwrite"):
        Recorder(csv, clock=SessionClock())
    assert csv.read_text() == "precious\n"
    other = tmp_path / "other.csv"
    sidecar_path(other).write_text("{}")
    with pytest.raises(OutputExistsError):
        Recorder(other, clock=SessionClock())
    assert not other.exists()


def test_rows_leave_sorted_across_sensors_and_late_ones_are_counted(tmp_path):
    clock = SessionClock(start_ns=time.monotonic_ns() - 100 * 10**9)  # now = 100 s
    rec = Recorder(tmp_path / "r.csv", clock=clock, hold_s=0.5)
    rec.open((*REQUIRED_COLUMNS, *QUAT_COLUMNS, DEVICE_TICKS))
    # two sensors delivering interleaved, out of order between them
    rec.on_samples(_batch("right_shank", np.arange(0.0, 50.0, 0.01), quat=True))
    rec.on_samples(_batch("right_thigh", np.arange(0.005, 50.0, 0.01)))
    rec.pump()
    rec.on_samples(_batch("pelvis", np.array([10.0, 10.02])))  # 90 s late: written, counted
    rec.on_samples(_batch("pelvis", np.array([99.0])))  # inside the hold window: waits
    rec.pump()
    assert rec.late_rows == 2
    meta = SessionMeta(
        sensors={"right_shank": SensorInfo(family="movesense", rate_hz=104.0)},
        markers=(Marker(t_s=3.0, label="tingling"),),
        gaps=(Gap(sensor="right_thigh", start_s=1.0, end_s=2.0, reason="disconnected"),),
        extra={"packets": {"right_shank": {"corrupt": 1}}},
    )
    side = rec.finish(meta)
    assert rec.finish(meta) is None  # idempotent
    recording = read_recording(tmp_path / "r.csv")
    # input policy: pelvis is silent 10.02 → 99 s, a gap; and every sensor's span starts or
    # ends more than 5 s inside the session's 0–99 s (pelvis from 10 s, the legs to 50 s)
    pauses = [w for w in recording.warnings if "has no samples for" in w]
    spans = [w for w in recording.warnings if "has samples only from" in w]
    assert len(pauses) == 1
    assert len(spans) == 3
    assert len(recording.warnings) == 4
    assert pauses[0].startswith("sensor 'pelvis' has no samples for 89.0 s")
    assert sorted(w.split("'")[1] for w in spans) == ["pelvis", "right_shank", "right_thigh"]
    streams = recording.streams
    assert len(streams["right_shank"]) == 5000
    assert len(streams["right_thigh"]) == 5000
    assert len(streams["pelvis"]) == 3
    assert streams["right_shank"].quat is not None
    assert streams["right_thigh"].quat is None
    assert streams["right_shank"].device_ticks[:3].tolist() == [0, 10, 20]
    raw = np.loadtxt(tmp_path / "r.csv", delimiter=",", skiprows=1, usecols=0)
    assert np.count_nonzero(np.diff(raw) < 0) == 1  # only where the late rows went in
    data = json.loads(side.read_text())
    assert data["recorder"] == {"rows": 10003, "late_rows": 2}
    assert data["packets"] == {"right_shank": {"corrupt": 1}}
    assert recording.meta.markers[0].label == "tingling"
    assert recording.meta.gaps[0].reason == "disconnected"


async def test_the_file_on_disk_is_never_more_than_a_second_behind(tmp_path):
    path = tmp_path / "live.csv"
    clock = SessionClock()
    rec = Recorder(path, clock=clock)  # defaults: hold 0.5 s, flush every 0.25 s
    rec.open()
    pump = asyncio.create_task(rec.run())
    lags = []
    fed = 0
    t_end = time.monotonic() + 2.6
    while time.monotonic() < t_end:
        now = clock.now_s()
        t = np.arange(fed, int(now * 100)) / 100.0
        if t.size:
            rec.on_samples(_batch("right_foot", t))
            fed += t.size
        await asyncio.sleep(0.02)
        text = path.read_text()
        read_at = clock.now_s()
        rows = [ln for ln in text.splitlines()[1:] if ln]
        if read_at > 1.2:
            last = float(rows[-1].split(",")[0]) if rows else 0.0
            lags.append(read_at - last)
    pump.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pump
    assert lags
    assert max(lags) < 1.0
    assert min(lags) >= 0.49  # the hold keeps half a second for slower sensors
    # killed here (no finish): what is on disk is still a valid recording
    recording = read_recording(path)
    assert recording.n_samples > 150
    rec.finish()
    assert read_recording(path).n_samples == fed


def test_finish_without_samples_writes_header_and_sidecar(tmp_path):
    rec = Recorder(tmp_path / "empty.csv", clock=SessionClock())
    side = rec.finish(SessionMeta(notes="nothing came"))
    assert (tmp_path / "empty.csv").read_text().startswith("t_s,sensor,")
    assert json.loads(side.read_text())["notes"] == "nothing came"


def test_gz_is_refused_for_live_writing(tmp_path):
    with pytest.raises(ValueError, match=r"plain \.csv"):
        Recorder(tmp_path / "x.csv.gz", clock=SessionClock())
