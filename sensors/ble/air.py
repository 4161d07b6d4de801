"""The virtual "air": an in-process bumble link that virtual sensors and the host share.

A :class:`VirtualAir` owns one ``bumble.link.LocalLink`` and hands out bumble controllers on it
(one per device: the host's adapter and each virtual sensor). Everything on it belongs to the
event loop that created it, so create a fresh air per test or per ``asyncio.run``.

:class:`VirtualController` fixes one gap of bumble's virtual controller (0.0.236): *LE Create
Connection Cancel* never ended the pending connection, so a connect to an absent address hung
forever and blocked every later connect (``COMMAND_DISALLOWED``). Here the cancel clears the
pending connection and reports *LE Connection Complete* with status *Unknown Connection
Identifier*, which is what a real controller sends (Core spec Vol 4, Part E, 7.8.13).

When the host has enabled *LE Enhanced Connection Complete* in its LE event mask, a
connection is reported with that event only (Core spec Vol 4, Part E, 7.7.65.10), as real
controllers do. bumble sent the legacy event; the Linux kernel then waited for the enhanced
one, timed out after a few seconds, sent *LE Create Connection Cancel* on an established
connection and failed the next connection attempt with EIO.

It fixes another one for scanners: bumble's controller reports the ADV payload again as the
scan response and never delivers the advertiser's own scan response data, so a device's full
name (which real sensors send in the scan response) never arrived. Here the *SCAN_RSP* report
carries the advertiser's scan response data (empty when it has none), as over the air with an
active scan.

:class:`VirtualLink` routes LE data by connection. bumble's ``LocalLink`` sends a
controller's ACL data from its *current* random address; a host that changes its random
address while connected (the Linux kernel sets a new one before each scan and connect) then
sends data the peer matches to no connection. Here data leave from the address the connection
was made with, and a link-layer control PDU to a peer that is already gone is dropped instead
of raising inside the sender's HCI command.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from types import TracebackType
from typing import Protocol

from bumble import core, hci, ll
from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport import open_transport


class Closeable(Protocol):
    """Anything the air closes on exit."""

    async def close(self) -> None:
        """Release what it holds; called once, when the air closes."""


_Report = (
    hci.HCI_LE_Advertising_Report_Event.Report | hci.HCI_LE_Extended_Advertising_Report_Event.Report
)


def _legacy_scan_rsp(report: hci.HCI_LE_Advertising_Report_Event.Report) -> bool:
    return bool(report.event_type == hci.HCI_LE_Advertising_Report_Event.EventType.SCAN_RSP)


def _extended_scan_rsp(report: hci.HCI_LE_Extended_Advertising_Report_Event.Report) -> bool:
    flag = hci.HCI_LE_Extended_Advertising_Report_Event.EventType.SCAN_RESPONSE
    return bool(report.event_type & flag)


def _scan_response_data(advertiser: Controller | None) -> bytes:
    """The scan response data the advertising controller was given (empty if none)."""
    if advertiser is None:
        return b""
    if advertiser.le_legacy_advertiser.enabled:
        return bytes(advertiser.le_legacy_advertiser.scan_response_data)
    for adv_set in advertiser.advertising_sets.values():
        if adv_set.enabled:
            return bytes(adv_set.scan_response_data)
    return b""


_LE_ENHANCED_CONNECTION_COMPLETE_BIT = 1 << (hci.HCI_LE_ENHANCED_CONNECTION_COMPLETE_EVENT - 1)


def _enhanced(
    event: hci.HCI_LE_Connection_Complete_Event,
) -> hci.HCI_LE_Enhanced_Connection_Complete_Event:
    """The same connection as *LE Enhanced Connection Complete* (no resolvable addresses)."""
    return hci.HCI_LE_Enhanced_Connection_Complete_Event(
        status=event.status,
        connection_handle=event.connection_handle,
        role=event.role,
        peer_address_type=event.peer_address_type,
        peer_address=event.peer_address,
        local_resolvable_private_address=hci.Address.ANY,
        peer_resolvable_private_address=hci.Address.ANY,
        connection_interval=event.connection_interval,
        peripheral_latency=event.peripheral_latency,
        supervision_timeout=event.supervision_timeout,
        central_clock_accuracy=event.central_clock_accuracy,
    )


class VirtualController(Controller):
    """Bumble's virtual controller, with the parts a real host relies on.

    A working *LE Create Connection Cancel* and real legacy scan responses.
    """

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        """Send ``packet`` to the host, with scan responses and connections as a chip sends them.

        Scan response reports carry the advertiser's own data; connections are reported as
        *LE Enhanced Connection Complete* when the host asked so.
        """
        if isinstance(packet, hci.HCI_LE_Connection_Complete_Event) and (
            self.le_event_mask & _LE_ENHANCED_CONNECTION_COMPLETE_BIT
        ):
            packet = _enhanced(packet)
        elif isinstance(packet, hci.HCI_LE_Advertising_Report_Event):
            packet = hci.HCI_LE_Advertising_Report_Event(
                [self._scan_response(r, _legacy_scan_rsp(r)) for r in packet.reports]
            )
        elif isinstance(packet, hci.HCI_LE_Extended_Advertising_Report_Event):
            packet = hci.HCI_LE_Extended_Advertising_Report_Event(
                [self._scan_response(r, _extended_scan_rsp(r)) for r in packet.reports]
            )
        super().send_hci_packet(packet)

    def _scan_response(self, report: _Report, is_scan_response: bool) -> _Report:
        if not is_scan_response or self.link is None:
            return report
        advertiser = self.link.find_le_controller(report.address)
        return dataclasses.replace(report, data=_scan_response_data(advertiser))

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        """Cancel the pending LE connection; the host is told it completed as cancelled."""
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        peer = pending.peer_address

        def report_cancelled() -> None:
            self.send_hci_packet(
                hci.HCI_LE_Connection_Complete_Event(
                    status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
                    connection_handle=0,
                    role=hci.Role.CENTRAL,
                    peer_address_type=peer.address_type,
                    peer_address=peer,
                    connection_interval=0,
                    peripheral_latency=0,
                    supervision_timeout=0,
                    central_clock_accuracy=0,
                )
            )

        # The event must follow the command's own Command Complete.
        asyncio.get_running_loop().call_soon(report_cancelled)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)


class VirtualLink(LocalLink):
    """bumble's ``LocalLink`` with LE data sent from the connection's own address."""

    def send_acl_data(
        self,
        sender_controller: Controller,
        destination_address: hci.Address,
        transport: core.PhysicalTransport,
        data: bytes,
    ) -> None:
        """Deliver ACL data; on LE, from the address the connection was made with."""
        connection = None
        if transport == core.PhysicalTransport.LE:
            connection = sender_controller.le_connections.get(destination_address)
        if connection is None:
            super().send_acl_data(sender_controller, destination_address, transport, data)
            return
        destination = self.find_le_controller(destination_address)
        if destination is not None:
            source = connection.self_address
            asyncio.get_running_loop().call_soon(
                destination.on_link_acl_data, source, transport, data
            )

    def send_ll_control_pdu(
        self, sender_address: hci.Address, receiver_address: hci.Address, packet: ll.ControlPdu
    ) -> None:
        """Deliver a control PDU; one to a peer that has left the air is dropped."""
        if self.find_le_controller(receiver_address) is None:
            return
        super().send_ll_control_pdu(sender_address, receiver_address, packet)


class VirtualAir:
    """One in-process radio medium: a bumble ``LocalLink`` plus address allocation.

    Use as ``async with VirtualAir() as air:``; on exit every device created on it
    (adapters and virtual sensors registered with :meth:`register`) is closed.
    """

    def __init__(self) -> None:
        self.link = VirtualLink()
        self._serial = itertools.count(1)
        self._closers: list[Closeable] = []
        self.loop = asyncio.get_running_loop()

    def new_controller(self, name: str) -> VirtualController:
        """A controller attached to this air (its host is attached by the caller)."""
        return VirtualController(name, link=self.link)

    def next_address(self, prefix: str = "C0:5E") -> str:
        """A fresh static random address ``PREFIX:…`` (top two bits of the first byte 11)."""
        first = int(prefix.split(":")[0], 16)
        if first & 0xC0 != 0xC0:
            raise ValueError(f"address prefix {prefix!r}: a static random address starts 0xC0..")
        n = next(self._serial)
        tail = n.to_bytes(6, "big")[-(6 - len(prefix.split(":"))) :]
        return ":".join([prefix.upper(), *(f"{b:02X}" for b in tail)])

    async def expose(self, spec: str) -> VirtualController:
        """A controller on this air whose host is in another process.

        The host reaches it through the bumble HCI transport ``spec`` (e.g.
        ``tcp-server:_:9001``; the other process then uses ``tcp-client:127.0.0.1:9001``).
        Closed with the air.
        """
        transport = await open_transport(spec)
        controller = VirtualController(
            f"hci:{spec}",
            host_source=transport.source,
            host_sink=transport.sink,
            link=self.link,
        )
        air = self

        class _Exposed:
            async def close(self) -> None:
                air.detach(controller)
                await transport.close()

        self.register(_Exposed())
        return controller

    def register(self, closeable: Closeable) -> None:
        """Close ``closeable`` (anything with an async ``close()``) when the air closes."""
        self._closers.append(closeable)

    def detach(self, controller: Controller) -> None:
        """Take a controller off the air (a device switched off)."""
        if controller in self.link.controllers:
            self.link.remove_controller(controller)

    async def close(self) -> None:
        """Close every registered device, newest first."""
        while self._closers:
            obj = self._closers.pop()
            await obj.close()

    async def __aenter__(self) -> VirtualAir:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
