"""Which bleak backend a session uses: the platform's (a real adapter) or bumble's.

The project's BLE code is plain bleak; it only passes ``backend=`` through::

    BleakScanner(callback, backend=ble.scanner)      # ble.scanner is None on real hardware
    BleakClient(device, on_drop, backend=ble.client)

:data:`SYSTEM` is the real adapter (bleak picks BlueZ, CoreBluetooth or WinRT).
:func:`bumble_backend` makes backend classes bound to one :class:`BumbleAdapter`, on a
:class:`~sensors.ble.air.VirtualAir` (in-process) or a bumble HCI transport spec (two
processes, e.g. ``tcp-client:127.0.0.1:9001``; see ``python -m sensors.ble.link_server``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from sensors.ble.adapter import BumbleAdapter
from sensors.ble.air import VirtualAir
from sensors.ble.client import BumbleClient
from sensors.ble.scanner import BumbleScanner


@dataclass(frozen=True)
class BleBackend:
    """The bleak backend classes a session passes as ``backend=`` (None: bleak's default)."""

    name: str
    scanner: type[BaseBleakScanner] | None = None
    client: type[BaseBleakClient] | None = None
    adapter: BumbleAdapter | None = None

    async def close(self) -> None:
        """Switch off the bumble adapter, if any."""
        if self.adapter is not None:
            await self.adapter.close()


SYSTEM = BleBackend("system")
"""The computer's own Bluetooth adapter through bleak's platform backend."""


async def bumble_backend(where: VirtualAir | str) -> BleBackend:
    """Bleak backend classes bound to a new bumble adapter.

    Parameters
    ----------
    where
        A :class:`VirtualAir` (in-process link shared with virtual sensors) or a bumble
        transport spec such as ``"tcp-client:127.0.0.1:9001"``.
    """
    if isinstance(where, VirtualAir):
        adapter = await BumbleAdapter.on_air(where)
    else:
        adapter = await BumbleAdapter.over_transport(where)
    scanner = type("BumbleScannerBound", (BumbleScanner,), {"adapter": adapter})
    client = type("BumbleClientBound", (BumbleClient,), {"adapter": adapter})
    return BleBackend(f"bumble:{adapter.label}", scanner=scanner, client=client, adapter=adapter)
