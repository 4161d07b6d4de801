"""Sensor and BLE errors, on the base tree of ``analysis.errors`` (drawn there)."""

from __future__ import annotations

from analysis.errors import StretchguardError


class SensorError(StretchguardError):
    """A BLE device or packet problem."""


class DeviceNotFoundError(SensorError):
    """No device answered for ``identifier`` (address or name) within ``timeout_s``."""

    def __init__(self, identifier: str, timeout_s: float | None = None) -> None:
        self.identifier = identifier
        self.timeout_s = timeout_s
        within = f" within {timeout_s:g} s" if timeout_s is not None else ""
        super().__init__(f"sensor {identifier!r} not found{within}; is it on and advertising?")


class ConnectionLostError(SensorError):
    """A connected sensor went away and could not be reconnected."""


class PacketDecodeError(SensorError):
    """A notification that does not match its family's wire format."""

    def __init__(self, family: str, payload: bytes, reason: str) -> None:
        self.family = family
        self.payload_hex = payload.hex()
        self.reason = reason
        super().__init__(
            f"{family}: cannot decode packet {self.payload_hex or '<empty>'}: {reason}"
        )
