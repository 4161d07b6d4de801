"""Battery level of a connected sensor: the standard Battery Service, or the family's own.

Most sensors serve the Bluetooth SIG *Battery Service* (0x180F) with its *Battery Level*
characteristic (0x2A19, one byte, 0–100 %). The Movella DOT has no standard service and
reports its level in its own battery characteristic (first byte %, second byte charging).
:func:`read_battery_pct` reads whichever the connected device has; sessions read it on
connect and every :data:`BATTERY_PERIOD_S` and warn below :data:`LOW_BATTERY_PCT`.
"""

from __future__ import annotations

import logging
from typing import Final

from bleak import BleakClient
from bleak.exc import BleakError

from sensors.families import movella_dot
from sensors.families.base import normalize_uuid

log = logging.getLogger(__name__)

BATTERY_SERVICE_UUID: Final = normalize_uuid("180f")
BATTERY_LEVEL_UUID: Final = normalize_uuid("2a19")
FAMILY_BATTERY_UUIDS: Final = (movella_dot.BATTERY_UUID,)
"""Vendor battery characteristics whose first byte is the level in %."""
BATTERY_PERIOD_S: Final = 60.0
"""Seconds between two battery reads during a session."""
LOW_BATTERY_PCT: Final = 15
"""Below this level the session warns (a sensor may switch off mid-session)."""


def battery_pct_from_bytes(value: bytes) -> int | None:
    """The level in % from a Battery Level value (first byte; None if empty or > 100)."""
    if not value or value[0] > 100:
        return None
    return int(value[0])


def battery_uuid(client: BleakClient) -> str | None:
    """The characteristic to read the level from on this connection, if any."""
    uuids = {normalize_uuid(c.uuid) for s in client.services for c in s.characteristics}
    for uuid in (BATTERY_LEVEL_UUID, *FAMILY_BATTERY_UUIDS):
        if uuid in uuids:
            return uuid
    return None


async def read_battery_pct(client: BleakClient) -> int | None:
    """The battery level in %, or None when the device has no (readable) battery level."""
    uuid = battery_uuid(client)
    if uuid is None:
        return None
    try:
        return battery_pct_from_bytes(bytes(await client.read_gatt_char(uuid)))
    except (BleakError, TimeoutError, OSError) as exc:
        log.info("battery level not readable: %s", exc)
        return None


def battery_warning(who: str, pct: int | None) -> str | None:
    """The warning for a low battery, or None."""
    if pct is None or pct >= LOW_BATTERY_PCT:
        return None
    return f"{who}: battery {pct} % (below {LOW_BATTERY_PCT} %): charge it before a long session"
