"""Legacy advertising payloads (≤ 31 bytes each) for virtual sensors.

Linux drops a legacy ADV payload longer than 31 bytes ("Dropping invalid advertising data";
bumble's controller accepts it), so the payloads are built to fit
(``../shared/reference/ble-testing.md`` §3):

- the ADV carries the flags, the family's service UUID (16-bit form when it is on the
  Bluetooth base UUID, else 128-bit) and the local name, shortened to the room left;
- the scan response carries the complete local name.

A scanner then identifies the family by its service UUID from the ADV alone, and an active
scanner (BlueZ, and the bumble backend through ``sensors.ble.air.VirtualController``) also
gets the complete name.
"""

from __future__ import annotations

from bumble import data_types
from bumble.core import UUID, AdvertisingData

MAX_LEGACY_ADV_BYTES = 31
_FLAGS_LE_GENERAL_NO_BREDR = 0x06
_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"


def _uuid_list(service_uuids: tuple[str, ...]) -> list[bytes]:
    """Candidate AD structures, one per UUID, in the shortest form."""
    out = []
    for u in service_uuids:
        text = u.lower()
        if text.endswith(_BASE_SUFFIX) and text.startswith("0000"):
            ad: data_types.DataType = data_types.IncompleteListOf16BitServiceUUIDs(
                [UUID.from_16_bits(int(text[4:8], 16))]
            )
        else:
            ad = data_types.IncompleteListOf128BitServiceUUIDs([UUID(u)])
        out.append(bytes(AdvertisingData([ad])))
    return out


def _name_ad(name: str, room: int) -> bytes:
    """The complete name if it fits ``room`` bytes (AD header included), else shortened."""
    encoded = name.encode("utf-8")
    if len(encoded) + 2 <= room:
        return bytes(AdvertisingData([data_types.CompleteLocalName(name)]))
    short = encoded[: max(0, room - 2)].decode("utf-8", errors="ignore")
    if not short:
        return b""
    return bytes(AdvertisingData([data_types.ShortenedLocalName(short)]))


def advertising_payload(name: str, service_uuids: tuple[str, ...] = ()) -> bytes:
    """The ADV payload: flags, the first service UUID that fits, then the name.

    The name is complete if it fits, else shortened to the room left.
    """
    payload = bytes(AdvertisingData([data_types.Flags(_FLAGS_LE_GENERAL_NO_BREDR)]))
    for ad in _uuid_list(service_uuids):
        if len(payload) + len(ad) <= MAX_LEGACY_ADV_BYTES:
            payload += ad
            break
    return payload + _name_ad(name, MAX_LEGACY_ADV_BYTES - len(payload))


def scan_response_payload(name: str) -> bytes:
    """The scan response: the complete local name (shortened only beyond 29 bytes)."""
    return _name_ad(name, MAX_LEGACY_ADV_BYTES)
