"""The bumble backend for bleak, end to end with a minimal GATT peripheral of the test's own.

The project code is plain bleak; only ``backend=`` differs from a real adapter. The peripheral
is a bare bumble device on the same virtual air: real HCI, L2CAP, ATT and GATT on both sides.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError
from bumble import hci
from bumble.att import Attribute, AttributeValue
from bumble.core import AdvertisingData
from bumble.device import Device, DeviceConfiguration
from bumble.gatt import Characteristic, Service
from bumble.hci import Address, HCI_LE_Create_Connection_Cancel_Command
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink

from sensors.ble import BleBackend, VirtualAir, bumble_backend
from sensors.ble.adapter import controller_of
from sensors.ble.air import VirtualController
from sensors.virtual.advertising import (
    MAX_LEGACY_ADV_BYTES,
    advertising_payload,
    scan_response_payload,
)

SERVICE = "5c0a0000-1111-4222-8333-0000000000a1"
DATA = "5c0a0001-1111-4222-8333-0000000000a1"
CONTROL = "5c0a0002-1111-4222-8333-0000000000a1"


class TinyPeripheral:
    """One service: a READ|NOTIFY data characteristic and a WRITE control characteristic."""

    def __init__(self, air: VirtualAir, name: str = "TinyIMU") -> None:
        self.air = air
        self.name = name
        self.address = air.next_address("C1:7E")
        self.written: list[tuple[bytes, float]] = []
        self.controller = air.new_controller(name)
        self.device = Device(
            config=DeviceConfiguration(name=name, address=Address(self.address)),
            host=Host(self.controller, AsyncPipeSink(self.controller)),
        )
        self.data = Characteristic(
            DATA, Characteristic.NOTIFY | Characteristic.READ, Attribute.READABLE, b"hello"
        )
        control = Characteristic(
            CONTROL,
            Characteristic.WRITE | Characteristic.WRITE_WITHOUT_RESPONSE,
            Attribute.WRITEABLE,
            AttributeValue(write=lambda _c, v: self.written.append((bytes(v), time.monotonic()))),
        )
        self.device.add_service(Service(SERVICE, [self.data, control]))

    async def start(self) -> None:
        await self.device.power_on()
        await self.device.start_advertising(
            advertising_data=advertising_payload(self.name, (SERVICE,)),
            auto_restart=True,
            advertising_interval_min=20,
            advertising_interval_max=20,
        )

    async def close(self) -> None:
        await self.device.power_off()
        self.air.detach(self.controller)

    def connection(self):
        return next(iter(self.device.connections.values()))


@pytest.fixture
async def tiny(air: VirtualAir) -> TinyPeripheral:
    peripheral = TinyPeripheral(air)
    await peripheral.start()
    air.register(peripheral)
    return peripheral


async def test_scan_reports_name_address_and_service(ble: BleBackend, tiny: TinyPeripheral):
    seen = await BleakScanner.discover(0.3, return_adv=True, backend=ble.scanner)
    assert tiny.address in seen
    device, adv = seen[tiny.address]
    assert device.name == adv.local_name == "TinyIMU"
    assert adv.service_uuids == [SERVICE]  # once, although bumble repeats the ADV as SCAN_RSP
    assert isinstance(device.details, Address)
    found = await BleakScanner.find_device_by_name("TinyIMU", timeout=2.0, backend=ble.scanner)
    assert found is not None
    assert found.address == tiny.address


async def test_scan_filters_on_service_uuid(ble: BleBackend, tiny: TinyPeripheral):
    other = await BleakScanner.discover(
        0.2, service_uuids=["00001234-0000-1000-8000-00805f9b34fb"], backend=ble.scanner
    )
    assert other == []
    mine = await BleakScanner.discover(0.2, service_uuids=[SERVICE], backend=ble.scanner)
    assert [d.address for d in mine] == [tiny.address]


async def test_connect_discover_read_write_notify(ble: BleBackend, tiny: TinyPeripheral):
    device = await BleakScanner.find_device_by_address(tiny.address, 2.0, backend=ble.scanner)
    assert device is not None
    received: list[bytes] = []
    async with BleakClient(device, backend=ble.client, timeout=2.0) as client:
        assert client.is_connected
        assert client.mtu_size == 247
        chars = {c.uuid: c for s in client.services for c in s.characteristics}
        assert chars[DATA].properties == ["read", "notify"]
        assert sorted(chars[CONTROL].properties) == ["write", "write-without-response"]
        assert [d.uuid for d in chars[DATA].descriptors] == ["00002902-0000-1000-8000-00805f9b34fb"]
        assert await client.read_gatt_char(DATA) == bytearray(b"hello")
        await client.write_gatt_char(CONTROL, b"\x01\x02", response=True)
        await client.write_gatt_char(CONTROL, b"\x03", response=False)
        await client.start_notify(DATA, lambda _c, d: received.append(bytes(d)))
        payloads = [i.to_bytes(2, "little") * 10 for i in range(300)]
        for p in payloads:
            await tiny.device.notify_subscribers(tiny.data, p)
        for _ in range(100):
            if len(received) == len(payloads):
                break
            await asyncio.sleep(0.01)
        await client.stop_notify(DATA)
        await tiny.device.notify_subscribers(tiny.data, b"late")
        await asyncio.sleep(0.05)
    assert received == payloads  # every notification, in order, none after stop_notify
    assert [w for w, _ in tiny.written] == [b"\x01\x02", b"\x03"]
    assert not client.is_connected


async def test_peripheral_disconnect_fires_callback_and_reconnect_works(
    ble: BleBackend, tiny: TinyPeripheral
):
    device = await BleakScanner.find_device_by_address(tiny.address, 2.0, backend=ble.scanner)
    dropped = asyncio.Event()
    client = BleakClient(device, lambda _c: dropped.set(), backend=ble.client, timeout=2.0)
    await client.connect()
    await tiny.connection().disconnect()
    await asyncio.wait_for(dropped.wait(), 2.0)
    assert not client.is_connected
    await client.connect()  # the peripheral advertises again (auto restart)
    assert client.is_connected
    dropped.clear()
    await client.disconnect()
    await asyncio.sleep(0.05)
    assert not dropped.is_set()  # our own disconnect is not reported as a drop


async def test_connect_by_address_string_scans_first(ble: BleBackend, tiny: TinyPeripheral):
    async with BleakClient(tiny.address, backend=ble.client, timeout=2.0) as client:
        assert client.is_connected
        assert await client.read_gatt_char(DATA) == bytearray(b"hello")


@pytest.mark.parametrize("by", ["address", "device"])
async def test_absent_device_fails_within_the_timeout_and_frees_the_controller(
    ble: BleBackend, tiny: TinyPeripheral, by: str
):
    absent = "C1:7E:00:00:0F:FF"
    target: str | BLEDevice = (
        absent if by == "address" else BLEDevice(absent, None, Address(absent))
    )
    t0 = time.monotonic()
    with pytest.raises(BleakDeviceNotFoundError):
        await BleakClient(target, backend=ble.client, timeout=0.4).connect()
    elapsed = time.monotonic() - t0
    assert 0.35 < elapsed < 1.0
    controller = controller_of(ble.adapter)
    assert controller is not None
    assert controller.pending_le_connection is None
    async with BleakClient(tiny.address, backend=ble.client, timeout=2.0) as client:
        assert client.is_connected  # the next connect is not blocked


async def test_controller_cancel_reports_the_pending_connection_as_failed(air: VirtualAir):
    ble = await bumble_backend(air)
    device = ble.adapter.device
    failures: list[object] = []
    device.on(device.EVENT_CONNECTION_FAILURE, failures.append)
    task = asyncio.create_task(device.connect(Address("C1:7E:00:00:0E:EE"), timeout=None))
    await asyncio.sleep(0.05)
    await device.send_sync_command(HCI_LE_Create_Connection_Cancel_Command())
    with pytest.raises(Exception, match="UNKNOWN_CONNECTION_IDENTIFIER"):
        await asyncio.wait_for(task, 1.0)
    assert failures


async def test_two_air_adapters_see_the_same_peripheral(air: VirtualAir, tiny: TinyPeripheral):
    a, b = await bumble_backend(air), await bumble_backend(air)
    assert a.adapter is not b.adapter
    for backend in (a, b):
        found = await BleakScanner.find_device_by_name("TinyIMU", 2.0, backend=backend.scanner)
        assert found is not None


def test_advertising_payload_fits_legacy_adv():
    long_uuid = "326a9000-85cb-9195-d9dd-464cfbbae75a"
    short = AdvertisingData.from_bytes(advertising_payload("MetaWear", (long_uuid,)))
    assert len(bytes(short)) <= MAX_LEGACY_ADV_BYTES
    assert short.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) == "MetaWear"
    assert short.get(AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
    # a long name next to a 128-bit UUID is shortened in the ADV; the scan response has it all
    payload = advertising_payload("Movesense 174630000192", (long_uuid,))
    long_name = AdvertisingData.from_bytes(payload)
    assert len(payload) == MAX_LEGACY_ADV_BYTES
    assert long_name.get(AdvertisingData.Type.SHORTENED_LOCAL_NAME) == "Movesens"
    assert long_name.get(AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
    rsp = AdvertisingData.from_bytes(scan_response_payload("Movesense 174630000192"))
    assert rsp.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) == "Movesense 174630000192"
    # a UUID on the Bluetooth base goes in its 16-bit form
    sig = advertising_payload("Sensor", ("0000180f-0000-1000-8000-00805f9b34fb",))
    assert len(sig) == 3 + 4 + 8
    # a name beyond 31 bytes is shortened, never overflowing
    huge = advertising_payload("X" * 40)
    assert len(huge) == MAX_LEGACY_ADV_BYTES
    assert AdvertisingData.from_bytes(huge).get(AdvertisingData.Type.SHORTENED_LOCAL_NAME)
    assert len(scan_response_payload("X" * 40)) == MAX_LEGACY_ADV_BYTES


class _HostSink:
    """Collects what a controller sends to its host."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def on_packet(self, packet: bytes) -> None:
        self.packets.append(packet)


@pytest.mark.parametrize(("mask", "enhanced"), [(1 << 9, True), (0x1F, False)])
async def test_connection_complete_follows_the_hosts_le_event_mask(mask: int, enhanced: bool):
    # Linux enables LE Enhanced Connection Complete and waits for it; a controller must then
    # send only that event (the legacy one made the kernel cancel every connection)
    controller = VirtualController("c")
    sink = _HostSink()
    controller.host = sink
    controller.le_event_mask = mask
    peer = hci.Address("C0:5E:00:00:00:01")
    controller.send_hci_packet(
        hci.HCI_LE_Connection_Complete_Event(
            status=0,
            connection_handle=1,
            role=hci.Role.CENTRAL,
            peer_address_type=peer.address_type,
            peer_address=peer,
            connection_interval=24,
            peripheral_latency=0,
            supervision_timeout=42,
            central_clock_accuracy=0,
        )
    )
    await asyncio.sleep(0)
    (raw,) = sink.packets
    event = hci.HCI_Packet.from_bytes(raw)
    expected = (
        hci.HCI_LE_Enhanced_Connection_Complete_Event
        if enhanced
        else hci.HCI_LE_Connection_Complete_Event
    )
    assert type(event) is expected
    assert event.peer_address == peer
    assert event.connection_handle == 1
