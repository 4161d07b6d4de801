"""Every family decoder against damaged notifications (hypothesis; the large seeded run with
its numbers is ``bench/fuzz_decoders.py``, table in docs/ble.md).

Properties, per family: no exception escapes ``feed`` or ``flush``; no sample outside the
decoder's limits (full scale with margin, finite, unit quaternion) is returned; and a
notification whose decoded samples break the limits is counted as corrupt, with exactly its
in-limit samples returned.
"""

from __future__ import annotations

import copy
import math
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import ConfigError
from sensors.errors import PacketDecodeError
from sensors.families import codec_for
from sensors.families import movella_dot as dot
from sensors.families.base import DecoderBase, Family, ImuSample, Notification

FAMILIES = list(Family)


def _link(family: Family, connect: Callable[..., Any]) -> Any:
    """A decoder connected to the family's emulator, with every channel it streams."""
    codec = codec_for(family)
    for opts in ({"with_mag": True, "with_quat": True}, {"with_quat": True}, {"with_mag": True}):
        try:
            return connect(codec, options=opts)
        except ConfigError:
            continue
    return connect(codec)


def _valid(link: Any, n: int = 24) -> list[Notification]:
    rate = link.config.rate_hz
    out: list[Notification] = []
    for i in range(n):
        t = i / rate
        a = 0.5 * math.sin(t)
        out += link.emulator.encode(
            [
                ImuSample(
                    device_time_s=10.0 + t,
                    acc_m_s2=(0.1, 2.0 * a, 9.8),
                    gyr_rad_s=(a, 0.2, -0.1),
                    mag_ut=(20.0, 1.0, -40.0),
                    quat_wxyz=(math.cos(a / 2), math.sin(a / 2), 0.0, 0.0),
                )
            ]
        )
    return out


def _damage(payload: bytes, kind: int, data: st.DataObject) -> bytes:
    b = bytearray(payload)
    if kind == 0 and b:
        for bit in data.draw(st.lists(st.integers(0, len(b) * 8 - 1), min_size=1, max_size=4)):
            b[bit // 8] ^= 1 << (bit % 8)
        return bytes(b)
    if kind == 1:
        return bytes(b[: data.draw(st.integers(0, len(b)))])
    if kind == 2:
        return data.draw(st.binary(max_size=len(b) + 24))
    return bytes(b) + data.draw(st.binary(min_size=1, max_size=24))


def _raw_decode(
    decoder: DecoderBase, uuid: str, payload: bytes, t_ns: int
) -> tuple[list[ImuSample] | None, int]:
    """What the family's own parser returns before the limits (None if it rejects), and the
    corrupt count after it (parsers may count skipped bytes themselves)."""
    probe = copy.deepcopy(decoder)
    try:
        return probe._decode(uuid, payload, t_ns), probe.corrupt
    except (PacketDecodeError, ValueError, IndexError, OverflowError, struct.error):
        return None, probe.corrupt


@pytest.mark.parametrize("family", FAMILIES, ids=str)
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_damaged_notifications_never_crash_nor_pass_out_of_range_samples(family, data, link_to):
    link = _link(family, link_to)
    decoder = link.decoder
    assert isinstance(decoder, DecoderBase)
    limits = decoder.limits
    valid = _valid(link)
    uuids = sorted(link.codec.spec.characteristics())
    t_ns = 10**9
    for _ in range(data.draw(st.integers(1, 12))):
        n = data.draw(st.sampled_from(valid))
        kind = data.draw(st.integers(0, 4))  # 4: undamaged (keeps pairing/deltas moving)
        payload = n.payload if kind == 4 else _damage(n.payload, kind, data)
        uuid = data.draw(st.sampled_from([n.char_uuid, *uuids]))
        t_ns += 1_000_000
        raw, parsed_corrupt = _raw_decode(decoder, uuid, payload, t_ns)
        out = decoder.feed(uuid, payload, t_ns)  # never raises
        assert all(limits.why_not(s) is None for s in out)
        if raw is not None:
            inside = [s for s in raw if limits.why_not(s) is None]
            assert out == inside
            assert decoder.corrupt == parsed_corrupt + (len(inside) < len(raw))
    rest = decoder.flush()
    assert all(limits.why_not(s) is None for s in rest)
    counts = decoder.counts()
    assert counts["packets"] >= counts["corrupt"] + counts["truncated"] + counts["unknown"]


def test_a_dot_float_beyond_full_scale_is_corrupt(link_to):
    """The issue's case: a flipped exponent bit in a Movella DOT float (|acc| > 2000 m/s²)."""
    link = _link(Family.MOVELLA_DOT, link_to)
    (n,) = link.emulator.encode([ImuSample(device_time_s=1.0, acc_m_s2=(0.0, 0.0, 9.81))])[:1]
    good = link.decoder.feed(n.char_uuid, n.payload, 1)
    assert good
    assert good[0].acc_m_s2 is not None
    z = struct.pack("<f", 9.81)
    at = n.payload.find(z)
    assert at >= 0, "the acc z float is in the payload"
    flipped = bytearray(n.payload)
    flipped[at + 3] ^= 0x20  # 9.81 → 9.81 · 2^64
    assert link.decoder.feed(n.char_uuid, bytes(flipped), 2) == []
    assert link.decoder.corrupt == 1
    assert "beyond" in (link.decoder.last_error or "")
    assert dot.CODEC.spec.family is Family.MOVELLA_DOT
