"""A live recording ends at ``--duration-s`` at any speed, and a stopped sensor's battery read
is not cut off mid-request.

At a virtual ``--speed 50`` the recording of ``--duration-s 10`` ran to 247 s of session time:
stopping four sensors takes seconds of real time (stop commands and disconnections behind the
notifications still queued in the stack), which the session clock runs through at 50×, and
everything that arrived meanwhile was written. Now nothing later than the end is written.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from bleak.backends.device import BLEDevice

from sensors.ble import SYSTEM
from sensors.families import codec_for
from sensors.families.base import Family
from sensors.formats.canonical import read_recording
from sensors.session import link as link_module
from sensors.session.clock import SessionClock
from sensors.session.config import SensorAssignment
from sensors.session.link import SensorLink
from sensors.virtual.scenario import record_virtual_session

REACHES_S = 0.25
"""Every device-timed sensor's last recorded sample is this close to the end (a few of its
packet intervals: 4–40 samples per notification at 52–104 Hz)."""


@pytest.mark.parametrize(("speed", "duration_s"), [(1.0, 3.0), (50.0, 10.0)])
async def test_the_recording_ends_at_the_duration_at_any_speed(
    tmp_path: Path, speed: float, duration_s: float
):
    out = tmp_path / "rec.csv"
    result = await record_virtual_session(
        out, "standing_dorsiflexion", duration_s=duration_s, speed=speed
    )
    end_s = result.scenario_start_s + duration_s  # the protocol starts with the scenario
    assert result.recording.ended_by == "duration"
    assert result.recording.duration_s == pytest.approx(duration_s)
    rec = read_recording(out)
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["recorder"]["end_s"] == pytest.approx(end_s, abs=1e-6)
    clocks = side["clock_alignment"]
    for placement in rec.placements:
        t = rec.stream(placement).t_s
        assert t[-1] <= end_s + 1e-6, (placement, t[-1] - end_s)  # nothing after the end
        if clocks[placement]["source"] == "device":
            assert t[-1] > end_s - REACHES_S, (placement, t[-1] - end_s)  # and up to it
    assert all(g.end_s <= end_s + 1e-6 for g in rec.meta.gaps)


async def test_stopping_a_link_leaves_a_battery_read_under_way_to_end(monkeypatch):
    """Cancelled mid-request, bumble's GATT client later set the answer on the cancelled
    request's future: ``InvalidStateError`` inside the stack (``--speed 50``)."""
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    reads: list[asyncio.Task[object]] = []

    async def read_battery_pct(_client: object) -> int:
        reads.append(asyncio.current_task())  # type: ignore[arg-type]
        return await answer

    monkeypatch.setattr(link_module, "read_battery_pct", read_battery_pct)
    link = SensorLink(
        SensorAssignment(placement="right_thigh", address="C0:5E:00:00:00:01"),
        device=BLEDevice("C0:5E:00:00:00:01", "MetaWear", None),
        codec=codec_for(Family.METAWEAR),
        rate_hz=None,
        backend=SYSTEM,
        clock=SessionClock(),
        connect_lock=asyncio.Lock(),
        deliver=lambda _batch: None,
        on_gap=lambda _gap: None,
    )
    link._watch_battery(SimpleNamespace(is_connected=True))  # type: ignore[arg-type]
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(reads) == 1
    await link.stop()  # cancels the battery task, as a reconnect does too
    (read,) = reads
    assert not read.done()  # the read goes on: its request was not given up
    answer.set_result(80)
    await asyncio.sleep(0)
    assert read.done()
    assert not read.cancelled()
    assert read.result() == 80
