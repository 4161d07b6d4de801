"""Helpers for the family-codec tests: a client decoder wired to a device emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from sensors.families.base import (
    Decoder,
    DeviceEmulator,
    FamilyCodec,
    ImuSample,
    Notification,
    StreamConfig,
    StreamPlan,
    StreamRequest,
)


@dataclass
class Link:
    """A decoder and an emulator connected the way a client and a device are."""

    codec: FamilyCodec
    config: StreamConfig
    plan: StreamPlan
    emulator: DeviceEmulator
    decoder: Decoder
    sent: list[Notification] = field(default_factory=list)
    clock_ns: int = 0

    def deliver(self, notifications: Iterable[Notification]) -> list[ImuSample]:
        """Feed device notifications to the decoder, 1 ms apart in host time."""
        out: list[ImuSample] = []
        for n in notifications:
            self.sent.append(n)
            self.clock_ns += 1_000_000
            out += self.decoder.feed(n.char_uuid, n.payload, self.clock_ns)
        return out

    def send(self, samples: Iterable[ImuSample]) -> list[ImuSample]:
        """Let the device encode ``samples`` and the client decode what arrives."""
        out: list[ImuSample] = []
        for s in samples:
            out += self.deliver(self.emulator.encode([s]))
        return out

    def stop(self) -> list[ImuSample]:
        """Write the stop commands, disable notifications, flush the decoder."""
        out: list[ImuSample] = []
        for w in self.plan.stop:
            out += self.deliver(self.emulator.write(w.char_uuid, w.data))
        for u in self.plan.notify_uuids:
            self.emulator.set_notify(u, False)
        return out + self.decoder.flush()


def connect(
    codec: FamilyCodec,
    config: StreamConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    **emulator_options: Any,
) -> Link:
    """Connect a client to a fresh emulator: read ``spec.info_read_uuids`` from the device
    and configure with ``options`` (``rate_hz``, ``with_mag``, ``with_quat``, family
    fields) unless a ``config`` is given, enable the plan's
    notifications and write its start commands (replies go to the decoder)."""
    emulator = codec.emulator(**emulator_options)
    if config is None:
        info = {u: emulator.read(u) for u in codec.spec.info_read_uuids}
        opts = dict(options or {})
        request = StreamRequest(
            opts.pop("rate_hz", None),
            with_mag=opts.pop("with_mag", False),
            with_quat=opts.pop("with_quat", False),
            device_info=info,
            options=opts,
        )
        config = codec.configure(request)
    link = Link(codec, config, codec.plan(config), emulator, codec.decoder(config))
    for u in link.plan.notify_uuids:
        link.deliver(emulator.set_notify(u, True))
    for w in link.plan.start:
        link.deliver(emulator.write(w.char_uuid, w.data))
    return link


def regular_samples(
    n: int,
    rate_hz: float,
    *,
    t0_s: float = 100.0,
    acc: Callable[[int], tuple[float, float, float]] = lambda i: (0.0, 0.0, 9.80665),
    gyr: Callable[[int], tuple[float, float, float]] = lambda i: (0.0, 0.0, 0.0),
    mag: Callable[[int], tuple[float, float, float]] | None = None,
    quat: Callable[[int], tuple[float, float, float, float]] | None = None,
) -> list[ImuSample]:
    """``n`` encoder-input samples at ``rate_hz`` from device time ``t0_s``."""
    return [
        ImuSample(
            device_time_s=t0_s + i / rate_hz,
            acc_m_s2=acc(i),
            gyr_rad_s=gyr(i),
            mag_ut=mag(i) if mag else None,
            quat_wxyz=quat(i) if quat else None,
        )
        for i in range(n)
    ]


@pytest.fixture(scope="session")
def link_to() -> Callable[..., Link]:
    """``link_to(codec, [config], options=..., **emulator_options)`` → a connected Link."""
    return connect


@pytest.fixture(scope="session")
def samples_at() -> Callable[..., list[ImuSample]]:
    """``samples_at(n, rate_hz, ...)`` → encoder-input samples (see ``regular_samples``)."""
    return regular_samples
