"""Legacy advertising payloads (≤ 31 bytes) for virtual sensors.

bumble's virtual controller never delivers a scan response (it repeats the ADV payload
instead) and Linux drops a legacy ADV payload longer than 31 bytes, so everything a scanner
needs must fit in the ADV itself: flags, the local name and, when there is room, the
family's service UUID (``../shared/reference/ble-testing.md`` §3).
"""

from __future__ import annotations

from bumble import data_types
from bumble.core import UUID, AdvertisingData

MAX_LEGACY_ADV_BYTES = 31
_FLAGS_LE_GENERAL_NO_BREDR = 0x06


def advertising_payload(name: str, service_uuids: tuple[str, ...] = ()) -> bytes:
    """The ADV payload: flags, the complete local name, then service UUIDs while they fit.

    A name too long for the 31 bytes is sent as a *shortened* local name. Service UUIDs that
    do not fit next to the name are left out (scanners identify the family by name then).
    """
    flags = bytes(AdvertisingData([data_types.Flags(_FLAGS_LE_GENERAL_NO_BREDR)]))
    room = MAX_LEGACY_ADV_BYTES - len(flags) - 2
    encoded = name.encode("utf-8")
    if len(encoded) <= room:
        name_ad: list[data_types.DataType] = [data_types.CompleteLocalName(name)]
    else:
        short = encoded[:room].decode("utf-8", errors="ignore")
        name_ad = [data_types.ShortenedLocalName(short)]
    payload = flags + bytes(AdvertisingData(name_ad))
    uuids: list[UUID] = []
    for u in service_uuids:
        candidate = [*uuids, UUID(u)]
        extra = bytes(AdvertisingData([data_types.IncompleteListOf128BitServiceUUIDs(candidate)]))
        if len(payload) + len(extra) > MAX_LEGACY_ADV_BYTES:
            break
        uuids = candidate
    if uuids:
        payload += bytes(AdvertisingData([data_types.IncompleteListOf128BitServiceUUIDs(uuids)]))
    return payload
