"""The host's Bluetooth adapter as a bumble device: on a :class:`VirtualAir` or an HCI transport.

A :class:`BumbleAdapter` wraps one bumble ``Device`` in the central role. The bleak backend
classes (``sensors.ble.scanner``, ``sensors.ble.client``) share it: scanning is reference
counted (on while at least one scanner listens) and connection attempts are serialised with
:attr:`BumbleAdapter.connect_lock`, because a controller accepts one pending LE connection at
a time (as real controllers do).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from bumble.device import Advertisement, Device, DeviceConfiguration
from bumble.hci import Address
from bumble.host import Host
from bumble.transport import open_transport
from bumble.transport.common import AsyncPipeSink

from sensors.ble.air import VirtualAir, VirtualController

log = logging.getLogger(__name__)

ScanListener = Callable[[Advertisement], None]

DEFAULT_HOST_ADDRESS = "F0:5E:00:00:00:01"
"""Static random address of the host adapter on a virtual air or a bumble TCP link."""


class BumbleAdapter:
    """A bumble host stack acting as this computer's Bluetooth adapter (central role).

    Create with :meth:`on_air` (in-process link) or :meth:`over_transport` (a bumble transport
    spec such as ``tcp-client:127.0.0.1:9001``); close with :meth:`close`. Bound to the event
    loop that created it.
    """

    def __init__(self, device: Device, *, label: str, closer: Callable[[], Any]) -> None:
        self.device = device
        self.label = label
        self.connect_lock = asyncio.Lock()
        self._closer = closer
        self._listeners: list[ScanListener] = []
        self._scan_lock = asyncio.Lock()
        self._closed = False
        device.on(device.EVENT_ADVERTISEMENT, self._dispatch)

    @classmethod
    async def on_air(cls, air: VirtualAir, *, address: str | None = None) -> BumbleAdapter:
        """An adapter on the in-process ``air`` (registered there, closed with it)."""
        controller = air.new_controller("host")
        device = Device(
            config=DeviceConfiguration(
                name="stretchguard", address=Address(address or air.next_address("F0:5E"))
            ),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        await device.power_on()

        async def close() -> None:
            await device.power_off()
            air.detach(controller)

        adapter = cls(device, label="virtual", closer=close)
        air.register(adapter)
        return adapter

    @classmethod
    async def over_transport(
        cls, spec: str, *, address: str = DEFAULT_HOST_ADDRESS
    ) -> BumbleAdapter:
        """An adapter on a bumble HCI transport, e.g. ``tcp-client:127.0.0.1:9001``."""
        transport = await open_transport(spec)
        device = Device.from_config_with_hci(
            DeviceConfiguration(name="stretchguard", address=Address(address)),
            transport.source,
            transport.sink,
        )
        try:
            await device.power_on()
        except BaseException:
            await transport.close()
            raise

        async def close() -> None:
            await device.power_off()
            await transport.close()

        return cls(device, label=spec, closer=close)

    # --- scanning (reference counted) ----------------------------------------------------

    async def add_scan_listener(self, listener: ScanListener) -> None:
        """Deliver every advertisement to ``listener``; starts scanning for the first one."""
        async with self._scan_lock:
            self._listeners.append(listener)
            if len(self._listeners) == 1:
                await self.device.start_scanning(active=True, filter_duplicates=False)

    async def remove_scan_listener(self, listener: ScanListener) -> None:
        """Stop delivering to ``listener``; stops scanning after the last one."""
        async with self._scan_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
                if not self._listeners and not self._closed and self.device.is_scanning:
                    await self.device.stop_scanning()

    def _dispatch(self, advertisement: Advertisement) -> None:
        for listener in tuple(self._listeners):
            listener(advertisement)

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    async def close(self) -> None:
        """Disconnect everything and switch the adapter off (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._listeners.clear()
        for connection in list(self.device.connections.values()):
            try:
                await asyncio.wait_for(connection.disconnect(), 1.0)
            except Exception as exc:  # best effort while shutting down (incl. TimeoutError)
                log.debug("adapter %s: disconnect on close failed: %s", self.label, exc)
        await self._closer()

    def __repr__(self) -> str:
        return f"BumbleAdapter({self.label})"


def controller_of(adapter: BumbleAdapter) -> VirtualController | None:
    """The virtual controller behind ``adapter`` (None over a transport); for tests."""
    sink = adapter.device.host.hci_sink
    target = getattr(sink, "sink", None)
    return target if isinstance(target, VirtualController) else None
