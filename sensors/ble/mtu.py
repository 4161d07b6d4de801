"""The negotiated ATT MTU of a bleak connection, on every backend.

bleak's BlueZ backend does not know the MTU BlueZ negotiated: ``BleakClient.mtu_size``
returns 23 with a warning unless the private ``_acquire_mtu()`` was called. BlueZ ≥ 5.62
does publish it, as each characteristic's ``MTU`` property, which bleak exposes as
``max_write_without_response_size`` (MTU − 3). :func:`att_mtu` takes the larger of both.
"""

from __future__ import annotations

import warnings

from bleak import BleakClient

DEFAULT_ATT_MTU = 23
"""The minimum LE ATT MTU (Core spec): what a connection has before an exchange."""


def att_mtu(client: BleakClient) -> int:
    """The connection's ATT MTU (bytes), from the client or its characteristics."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bleak's BlueZ "Using default MTU value"
        reported = client.mtu_size
    sizes = [c.max_write_without_response_size for s in client.services for c in s.characteristics]
    from_chars = max(sizes) + 3 if sizes else DEFAULT_ATT_MTU
    return max(reported, from_chars)
