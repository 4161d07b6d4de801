"""bleak client backend on a bumble host stack (pass the class as ``backend=``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_str
from bumble import core
from bumble.att import ATT_Error
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt import Characteristic
from bumble.gatt_client import CharacteristicProxy, DescriptorProxy
from bumble.hci import Address, HCI_ErrorCode, HCI_LE_Create_Connection_Cancel_Command

from sensors.ble.adapter import BumbleAdapter

log = logging.getLogger(__name__)

REQUESTED_MTU = 247
"""ATT MTU asked for after connecting (Movesense needs ≥ 155; 247 is the usual maximum)."""

_PROPERTY_NAMES: tuple[tuple[Characteristic.Properties, CharacteristicPropertyName], ...] = (
    (Characteristic.Properties.BROADCAST, "broadcast"),
    (Characteristic.Properties.READ, "read"),
    (Characteristic.Properties.WRITE_WITHOUT_RESPONSE, "write-without-response"),
    (Characteristic.Properties.WRITE, "write"),
    (Characteristic.Properties.NOTIFY, "notify"),
    (Characteristic.Properties.INDICATE, "indicate"),
    (Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES, "authenticated-signed-writes"),
    (Characteristic.Properties.EXTENDED_PROPERTIES, "extended-properties"),
)


def _uuid(u: core.UUID) -> str:
    return normalize_uuid_str(u.to_hex_str("-"))


class BumbleClient(BaseBleakClient):
    """bleak client backend talking GATT through a :class:`BumbleAdapter`.

    Not used directly: :func:`sensors.ble.backend.bumble_backend` makes a subclass bound to
    one adapter (``BleakClient(device, backend=that_class)``). ``connect`` is bounded by the
    client's ``timeout``: an address that never advertises raises
    ``BleakDeviceNotFoundError`` after cancelling the pending connection, so the controller
    stays usable. ``disconnected_callback`` fires (scheduled on the loop) when the peer or the
    link ends the connection, not after :meth:`disconnect`.
    """

    adapter: ClassVar[BumbleAdapter]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        services: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._peer_address: Address | None = None
        self._name: str | None = None
        if isinstance(address_or_ble_device, BLEDevice):
            self._name = address_or_ble_device.name
            if isinstance(address_or_ble_device.details, Address):
                self._peer_address = address_or_ble_device.details
        self._service_filter = services
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._closing = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    # --- connection ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The advertised name if known, else the address with dashes (as bleak does)."""
        return self._name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        """The negotiated ATT MTU (23 when not connected)."""
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        """True while the ACL connection is up."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect, exchange the MTU and discover services, all within ``timeout`` seconds."""
        if self.adapter.closed:
            raise BleakError(f"{self.adapter!r} is closed")
        if pair:
            log.info("bumble backend: pairing is not supported; connecting without it")
        try:
            async with asyncio.timeout(self._timeout):
                address = self._peer_address or await self._find_address()
                self._peer_address = address
                async with self.adapter.connect_lock:
                    connection = await self._create_connection(address)
                self._attach(connection)
                await self._discover(connection)
        except TimeoutError:
            await self._abandon()
            raise BleakDeviceNotFoundError(
                self.address, f"{self.address} did not connect within {self._timeout:g} s"
            ) from None
        except BaseException:
            await self._abandon()
            raise

    async def _find_address(self) -> Address:
        """Scan until ``self.address`` advertises (bleak's built-in backends do the same)."""
        wanted = self.address.upper()
        found: asyncio.Future[Address] = asyncio.get_running_loop().create_future()

        def on_adv(adv: Advertisement) -> None:
            if not found.done() and adv.address.to_string(False).upper() == wanted:
                found.set_result(adv.address)

        await self.adapter.add_scan_listener(on_adv)
        try:
            return await found
        finally:
            await self.adapter.remove_scan_listener(on_adv)

    async def _create_connection(self, address: Address) -> Connection:
        """Create the LE connection; the caller's timeout bounds it (cancelled cleanly)."""
        device = self.adapter.device
        try:
            return await device.connect(address, timeout=None)
        except core.ConnectionError as exc:
            raise BleakError(f"{self.address}: connection failed ({exc})") from None
        except asyncio.CancelledError:
            await asyncio.shield(self._cancel_pending(address))
            raise

    async def _cancel_pending(self, address: Address) -> None:
        """Cancel a pending LE connection so the controller accepts the next one."""
        device = self.adapter.device
        try:
            await device.send_sync_command(HCI_LE_Create_Connection_Cancel_Command())
        except core.BaseBumbleError as exc:  # nothing pending any more
            log.debug("%s: create-connection cancel: %s", self.address, exc)
        late = device.find_connection_by_bd_addr(address)
        if late is not None:  # it connected just as we gave up
            await late.disconnect()

    def _attach(self, connection: Connection) -> None:
        self._connection = connection
        self._closing = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    async def _discover(self, connection: Connection) -> None:
        peer = Peer(connection)
        self._peer = peer
        await peer.request_mtu(REQUESTED_MTU)
        await peer.discover_services()
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            service_uuid = _uuid(service.uuid)
            if self._service_filter is not None and service_uuid not in self._service_filter:
                continue
            bleak_service = BleakGATTService(service, service.handle, service_uuid)
            collection.add_service(bleak_service)
            for char in await service.discover_characteristics():
                props = [name for flag, name in _PROPERTY_NAMES if char.properties & flag]
                bleak_char = BleakGATTCharacteristic(
                    char,
                    char.handle,
                    _uuid(char.uuid),
                    props,
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_char)
                for desc in await char.discover_descriptors():
                    collection.add_descriptor(
                        BleakGATTDescriptor(desc, desc.handle, _uuid(desc.type), bleak_char)
                    )
        self.services = collection

    def _on_disconnection(self, reason: int) -> None:
        was_requested = self._closing
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        log.debug(
            "%s disconnected (%s)", self.address, HCI_ErrorCode(reason).name if reason else "-"
        )
        if not was_requested and self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def _abandon(self) -> None:
        """Drop a half-made connection after a failed or cancelled connect."""
        connection = self._connection
        if connection is not None:
            self._closing = True
            try:
                await asyncio.wait_for(asyncio.shield(connection.disconnect()), 1.0)
            except (TimeoutError, core.BaseBumbleError) as exc:
                log.debug("%s: disconnect after failed connect: %s", self.address, exc)
        self._connection = None
        self._peer = None
        self.services = None

    async def disconnect(self) -> None:
        """Disconnect (no-op when not connected)."""
        connection = self._connection
        if connection is None:
            return
        self._closing = True
        try:
            # shielded: a timeout leaves bumble's HCI command to end on its own (cancelled,
            # its late answer raised InvalidStateError inside the stack, see _battery_loop)
            await asyncio.wait_for(asyncio.shield(connection.disconnect()), 5.0)
        except TimeoutError:
            log.warning("%s: disconnect not confirmed within 5 s", self.address)
        finally:
            self._connection = None
            self._peer = None
            self.services = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Not supported by this backend."""
        raise BleakError("pairing is not supported by the bumble backend")

    async def unpair(self) -> None:
        """Not supported by this backend."""
        raise BleakError("pairing is not supported by the bumble backend")

    # --- GATT I/O ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _gatt_errors(self) -> Iterator[None]:
        """Translate bumble's GATT errors to bleak's: an ATT error response, or no response in time.

        bumble gives up on a request after 30 s without a response (a peer that stopped
        answering, or a host too busy to read the answer) and raises its own ``TimeoutError``,
        which is not the built-in one; bleak's backends raise ``BleakError``.
        """
        try:
            yield
        except ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from None
        except core.TimeoutError as exc:
            raise BleakError(f"{self.address}: no answer to a GATT request ({exc})") from None

    def _require_connection(self) -> None:
        if self._connection is None:
            raise BleakError(f"{self.address}: not connected")

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic value."""
        self._require_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        with self._gatt_errors():
            return bytearray(await proxy.read_value())

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor value."""
        self._require_connection()
        proxy: DescriptorProxy = descriptor.obj
        with self._gatt_errors():
            return bytearray(await proxy.read_value())

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write a characteristic (ATT Write Request if ``response`` else Write Command)."""
        self._require_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        with self._gatt_errors():
            await proxy.write_value(bytes(data), with_response=response)

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor (with response)."""
        self._require_connection()
        proxy: DescriptorProxy = descriptor.obj
        with self._gatt_errors():
            await proxy.write_value(bytes(data), with_response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Enable notifications (indications if the characteristic only indicates)."""
        self._require_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj

        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        if characteristic.handle in self._subscribers:
            await self.stop_notify(characteristic)
        self._subscribers[characteristic.handle] = subscriber
        with self._gatt_errors():
            await proxy.subscribe(subscriber, prefer_notify=True)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications and drop the callback."""
        self._require_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        subscriber = self._subscribers.pop(characteristic.handle, None)
        with self._gatt_errors():
            await proxy.unsubscribe(subscriber)
