"""att_mtu: the negotiated ATT MTU from the client or its characteristics."""

from __future__ import annotations

from bleak import BleakClient, BleakScanner

from sensors.ble import BleBackend, VirtualAir
from sensors.ble.mtu import att_mtu
from sensors.families import codec_for
from sensors.families.base import Family
from sensors.virtual import VirtualSensor, WorldClock
from sensors.virtual.source import synthetic_source


async def test_att_mtu_is_the_negotiated_one(air: VirtualAir, ble: BleBackend):
    sensor = VirtualSensor(
        air, codec_for(Family.POLAR_PMD), synthetic_source(52.0, 1.0), world=WorldClock()
    )
    await sensor.start()
    device = await BleakScanner.find_device_by_address(sensor.address, 2.0, backend=ble.scanner)
    assert device is not None
    async with BleakClient(device, backend=ble.client, timeout=3.0) as client:
        assert client.mtu_size > 23
        assert att_mtu(client) == client.mtu_size
        assert att_mtu(client) >= sensor.spec.min_att_mtu
