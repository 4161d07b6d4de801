"""Virtual BLE sensors, for tests and demos without hardware.

Bumble peripherals that speak each family's real GATT profile and wire format, measuring a
simulated (or synthetic) movement.

``source`` (what a sensor measures, the shared world clock), ``sensor`` (one peripheral,
fault injection), ``rig`` (several sensors on one air), ``scenario`` (a rig driven by the
simulator's scenarios).
"""

from sensors.virtual.rig import MIXED_FAMILIES, VirtualRig
from sensors.virtual.sensor import Faults, VirtualSensor
from sensors.virtual.source import SampleSource, WorldClock

__all__ = ["MIXED_FAMILIES", "Faults", "SampleSource", "VirtualRig", "VirtualSensor", "WorldClock"]
