"""bleak scanner backend on a bumble host stack (pass the class as ``backend=``)."""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Literal

from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.uuids import normalize_uuid_str
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement

from sensors.ble.adapter import BumbleAdapter

_T = AdvertisingData.Type
_UUID_LISTS = {
    _T.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    _T.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    _T.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    _T.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    _T.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
    _T.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
}
_SERVICE_DATA = {
    _T.SERVICE_DATA_16_BIT_UUID: 2,
    _T.SERVICE_DATA_32_BIT_UUID: 4,
    _T.SERVICE_DATA_128_BIT_UUID: 16,
}


def _uuid_str(raw: bytes) -> str:
    return normalize_uuid_str(UUID.from_bytes(raw).to_hex_str("-"))


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """Translate a bumble advertisement into bleak's :class:`AdvertisementData`.

    bumble's virtual controller repeats the ADV payload as the scan response, so AD
    structures can appear twice; the first occurrence wins and lists are de-duplicated.
    """
    names: dict[int, str] = {}
    uuids: list[str] = []
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    tx_power: int | None = None
    for ad_type, value in advertisement.data.ad_structures:
        if ad_type in (_T.COMPLETE_LOCAL_NAME, _T.SHORTENED_LOCAL_NAME):
            names.setdefault(int(ad_type), value.decode("utf-8", errors="replace"))
        elif ad_type in _UUID_LISTS:
            size = _UUID_LISTS[ad_type]
            for i in range(0, len(value) - size + 1, size):
                u = _uuid_str(value[i : i + size])
                if u not in uuids:
                    uuids.append(u)
        elif ad_type == _T.MANUFACTURER_SPECIFIC_DATA and len(value) >= 2:
            company = struct.unpack_from("<H", value)[0]
            manufacturer.setdefault(company, bytes(value[2:]))
        elif ad_type in _SERVICE_DATA and len(value) >= _SERVICE_DATA[ad_type]:
            size = _SERVICE_DATA[ad_type]
            service_data.setdefault(_uuid_str(value[:size]), bytes(value[size:]))
        elif ad_type == _T.TX_POWER_LEVEL and len(value) == 1 and tx_power is None:
            tx_power = struct.unpack("b", value)[0]
    return AdvertisementData(
        local_name=names.get(_T.COMPLETE_LOCAL_NAME, names.get(_T.SHORTENED_LOCAL_NAME)),
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=tx_power,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend listening on a :class:`BumbleAdapter`.

    Not used directly: :func:`sensors.ble.backend.bumble_backend` makes a subclass bound to
    one adapter, which is then passed as ``BleakScanner(..., backend=that_class)``. The
    adapter scans actively; ``scanning_mode="passive"`` is accepted and has no other effect.
    ``BLEDevice.details`` is the bumble ``Address`` (with its address type), which
    :class:`~sensors.ble.client.BumbleClient` uses to connect without another scan.
    """

    adapter: ClassVar[BumbleAdapter]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self.scanning_mode = scanning_mode

    async def start(self) -> None:
        """Start listening (the adapter's scan is shared and reference counted)."""
        self.seen_devices = {}
        await self.adapter.add_scan_listener(self._on_advertisement)

    async def stop(self) -> None:
        """Stop listening."""
        await self.adapter.remove_scan_listener(self._on_advertisement)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        data = advertisement_data(advertisement)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = advertisement.address.to_string(with_type_qualifier=False)
        device = self.create_or_update_device(
            address, address, data.local_name, advertisement.address, data
        )
        self.call_detection_callbacks(device, data)
