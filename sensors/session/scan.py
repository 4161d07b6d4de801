"""Find supported sensors nearby: a bleak scan plus the families' ``identify``."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from sensors.ble.backend import SYSTEM, BleBackend
from sensors.errors import SensorError
from sensors.families import identify
from sensors.families.base import Family
from sensors.session.battery import read_battery_pct


@dataclass(frozen=True, kw_only=True)
class FoundSensor:
    """A device seen while scanning (latest advertisement).

    ``family`` is None for devices of no supported family.
    """

    address: str
    name: str | None
    rssi: int
    family: Family | None
    service_uuids: tuple[str, ...]
    device: BLEDevice
    battery_pct: int | None = None


def _found(device: BLEDevice, adv: AdvertisementData) -> FoundSensor:
    name = adv.local_name or device.name
    uuids = tuple(adv.service_uuids)
    return FoundSensor(
        address=device.address,
        name=name,
        rssi=adv.rssi,
        family=identify(name, uuids),
        service_uuids=uuids,
        device=device,
    )


async def scan_sensors(
    backend: BleBackend = SYSTEM,
    *,
    timeout_s: float = 5.0,
    until: Callable[[Mapping[str, FoundSensor]], bool] | None = None,
    settle_s: float = 0.0,
    battery: bool = False,
) -> dict[str, FoundSensor]:
    """Scan for up to ``timeout_s`` and return every device seen, by address.

    With ``until``, stop early once ``until(found)`` is true, after ``settle_s`` more seconds
    (so that a second device with the same name has a chance to show up). With ``battery``,
    each supported sensor is then connected briefly to read its battery level.
    """
    found = await _listen(backend, timeout_s, until, settle_s)
    if battery:
        for address, f in list(found.items()):
            if f.family is not None:
                found[address] = dataclasses.replace(f, battery_pct=await _battery(backend, f))
    return found


async def _battery(backend: BleBackend, found: FoundSensor, timeout_s: float = 10.0) -> int | None:
    """Connect, read the battery level, disconnect (None when that fails)."""
    try:
        async with BleakClient(found.device, timeout=timeout_s, backend=backend.client) as client:
            return await read_battery_pct(client)
    except (BleakError, TimeoutError, OSError):
        return None


async def _listen(
    backend: BleBackend,
    timeout_s: float,
    until: Callable[[Mapping[str, FoundSensor]], bool] | None,
    settle_s: float,
) -> dict[str, FoundSensor]:
    found: dict[str, FoundSensor] = {}
    done = asyncio.Event()

    def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
        found[device.address] = _found(device, adv)
        if until is not None and not done.is_set() and until(found):
            done.set()

    try:
        async with BleakScanner(on_adv, backend=backend.scanner):
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            try:
                await asyncio.wait_for(done.wait(), timeout_s)
            except TimeoutError:
                return dict(found)
            await asyncio.sleep(max(0.0, min(settle_s, deadline - loop.time())))
    except (BleakError, OSError) as exc:
        raise SensorError(
            f"cannot scan: Bluetooth is not available ({type(exc).__name__}: "
            f"{exc or 'no detail'}); is there an adapter and is it switched on? "
            "(--virtual SCENARIO runs without one)"
        ) from None
    return dict(found)
