"""BLE transport: bleak with the platform adapter, or bleak on a bumble host stack.

``sensors.ble.backend`` chooses the backend (:data:`~sensors.ble.backend.SYSTEM` or
:func:`~sensors.ble.backend.bumble_backend`); ``sensors.ble.air`` is the in-process virtual
radio that virtual sensors (``sensors.virtual``) and the bumble adapter share.
"""

from sensors.ble.air import VirtualAir
from sensors.ble.backend import SYSTEM, BleBackend, bumble_backend

__all__ = ["SYSTEM", "BleBackend", "VirtualAir", "bumble_backend"]
