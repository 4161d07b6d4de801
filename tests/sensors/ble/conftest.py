"""Fixtures for the BLE tests: a fresh virtual air and bumble-backed bleak classes per test.

bumble objects belong to the event loop that made them, so every test gets its own air
(pytest-asyncio gives each test function its own loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sensors.ble import BleBackend, VirtualAir, bumble_backend


@pytest.fixture
async def air() -> AsyncIterator[VirtualAir]:
    """A fresh in-process radio; everything on it is switched off after the test."""
    async with VirtualAir() as medium:
        yield medium


@pytest.fixture
async def ble(air: VirtualAir) -> BleBackend:
    """bleak backend classes bound to a bumble adapter on ``air``."""
    return await bumble_backend(air)
