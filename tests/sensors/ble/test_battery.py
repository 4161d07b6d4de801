"""Battery level: virtual sensors serve it, the client reads it, sessions record it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bleak import BleakClient, BleakScanner

from sensors.ble import BleBackend, VirtualAir
from sensors.families import codec_for
from sensors.families.base import Family
from sensors.families.movella_dot import BATTERY_UUID as DOT_BATTERY_UUID
from sensors.session.battery import (
    BATTERY_LEVEL_UUID,
    LOW_BATTERY_PCT,
    battery_pct_from_bytes,
    battery_uuid,
    battery_warning,
    read_battery_pct,
)
from sensors.session.scan import scan_sensors
from sensors.virtual import VirtualSensor, WorldClock
from sensors.virtual.scenario import record_virtual_session
from sensors.virtual.source import synthetic_source


def test_battery_bytes_and_warning():
    assert battery_pct_from_bytes(b"\x4b") == 75
    assert battery_pct_from_bytes(b"\x64\x01") == 100
    assert battery_pct_from_bytes(b"") is None
    assert battery_pct_from_bytes(b"\xff") is None  # not a level
    assert battery_warning("MetaWear (right_thigh)", LOW_BATTERY_PCT) is None
    warning = battery_warning("MetaWear (right_thigh)", LOW_BATTERY_PCT - 1)
    assert warning is not None
    assert "14 %" in warning
    assert battery_warning("x", None) is None


@pytest.mark.parametrize(
    ("family", "uuid"),
    [(Family.METAWEAR, BATTERY_LEVEL_UUID), (Family.MOVELLA_DOT, DOT_BATTERY_UUID)],
)
async def test_virtual_sensor_serves_a_draining_battery(
    air: VirtualAir, ble: BleBackend, family: Family, uuid: str
):
    world = WorldClock(speed=600.0)  # ten world minutes per real second
    sensor = VirtualSensor(
        air,
        codec_for(family),
        synthetic_source(50.0, 1.0),
        world=world,
        battery_start_pct=20.0,
        battery_drain_pct_per_min=1.0,
    )
    await sensor.start()
    device = await BleakScanner.find_device_by_address(sensor.address, 2.0, backend=ble.scanner)
    assert device is not None
    async with BleakClient(device, backend=ble.client, timeout=3.0) as client:
        assert battery_uuid(client) == uuid
        first = await read_battery_pct(client)
        assert first is not None
        assert first == pytest.approx(sensor.battery_pct(), abs=1)
        assert first <= 20
        # ten world minutes later it has dropped by about 10 %: below the warning level
        await __import__("asyncio").sleep(1.0)
        later = await read_battery_pct(client)
        assert later is not None
        assert first - later >= 8
        assert battery_warning("s", later) is not None


async def test_scan_with_battery_reads_each_sensor(air: VirtualAir, ble: BleBackend):
    world = WorldClock(speed=1.0)
    sensors = []
    for family in (Family.POLAR_PMD, Family.MOVELLA_DOT):
        s = VirtualSensor(air, codec_for(family), synthetic_source(52.0, 1.0), world=world)
        await s.start()
        sensors.append(s)
    found = await scan_sensors(
        ble,
        timeout_s=2.0,
        until=lambda f: all(s.address in f for s in sensors),
        battery=True,
    )
    for s in sensors:
        assert found[s.address].battery_pct == s.battery_pct()


async def test_session_sidecar_records_battery(tmp_path: Path):
    out = tmp_path / "s.csv"
    await record_virtual_session(out, "standing_correct", duration_s=4.0, speed=4.0)
    meta = json.loads(out.with_suffix(".json").read_text())
    battery = meta["battery_pct"]
    assert set(battery) == {"pelvis", "right_thigh", "right_shank", "right_foot"}
    assert all(isinstance(v, int) and 0 < v <= 100 for v in battery.values())
