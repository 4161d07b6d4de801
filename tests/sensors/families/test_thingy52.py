"""Thingy:52: config vectors (§5), Q-format raw data, compass remap, quaternion pairing."""

from __future__ import annotations

import math
import struct

import pytest

from analysis.errors import ConfigError
from sensors.families import thingy52 as th
from sensors.families.base import DEG_TO_RAD, G0_M_S2, StreamRequest


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_uuids_and_config_vectors():
    assert th.RAW_UUID == "ef680406-9b35-4933-9b10-52ffa9740042"
    assert th.MotionConfig().encode() == h("E8 03 F4 01 F4 01 0A 00 01")
    assert th.MotionConfig(motion_frequency_hz=100).encode() == h("E8 03 F4 01 F4 01 64 00 01")
    assert th.MotionConfig.decode(h("E8 03 F4 01 F4 01 64 00 01")).motion_frequency_hz == 100
    assert th.MotionConfig(motion_frequency_hz=300).problems() == [
        "motion_frequency_hz=300 outside 5–200"
    ]


def test_configure_keeps_the_device_config_and_rounds_the_rate():
    config = th.CODEC.configure(StreamRequest(100.0))
    plan = th.CODEC.plan(config)
    assert [w.data for w in plan.start] == [h("E8 03 F4 01 F4 01 64 00 01")]
    assert plan.notify_uuids == (th.RAW_UUID,)
    assert plan.stop == ()
    mine = th.MotionConfig(2000, 1000, 200, 10, False).encode()
    config = th.CODEC.configure(StreamRequest(1000.0, device_info={th.CONFIG_UUID: mine}))
    assert config.rate_hz == 200.0
    assert config.motion == th.MotionConfig(2000, 1000, 200, 200, False)
    assert th.CODEC.configure(StreamRequest(2.0)).rate_hz == 5.0
    assert th.CODEC.configure(StreamRequest(33.4)).rate_hz == 33.0
    quat = th.CODEC.plan(th.CODEC.configure(StreamRequest(with_quat=True)))
    assert quat.notify_uuids == (th.RAW_UUID, th.QUATERNION_UUID)
    with pytest.raises(ConfigError, match="invalid"):
        th.CODEC.configure(StreamRequest(device_info={th.CONFIG_UUID: b"\x00"}))
    with pytest.raises(ConfigError, match="positive"):
        th.CODEC.configure(StreamRequest(math.inf))


def test_raw_q_formats():
    raw = struct.pack("<9h", 1024, -512, 32767, 32, -320, 0, 16, -160, 32767)
    acc, gyr, mag = th.decode_raw(raw)
    assert [a / G0_M_S2 for a in acc] == pytest.approx([1.0, -0.5, 32767 / 1024])
    assert [g / DEG_TO_RAD for g in gyr] == pytest.approx([1.0, -10.0, 0.0])
    assert mag == (1.0, -10.0, 32767 / 16)
    assert th.encode_raw(acc, gyr, mag) == raw
    # out-of-range values saturate at the Q-format limits
    big = th.encode_raw((1e4, -1e4, 0.0), (1e4, 0.0, 0.0), (1e4, 0.0, 0.0))
    assert struct.unpack("<9h", big)[:4] == (32767, -32768, 0, 32767)


def test_compass_remap():
    assert th.compass_from_chip_axes((1.0, 2.0, 3.0)) == (2.0, -1.0, 3.0)


def test_decoder_raw_only_and_bad_payloads():
    d = th.CODEC.decoder(th.CODEC.configure())
    (s,) = d.feed(th.RAW_UUID, struct.pack("<9h", 0, 0, 1024, 0, 0, 0, 0, 0, 0), 9)
    assert s.acc_m_s2 == pytest.approx((0, 0, G0_M_S2))
    assert s.device_time_s is None
    assert s.host_rx_ns == 9
    d.feed(th.RAW_UUID, bytes(17), 1)
    d.feed(th.RAW_UUID, bytes(19), 1)
    d.feed(th.QUATERNION_UUID, bytes(16), 1)  # not subscribed in this configuration
    d.feed(th.EULER_UUID, bytes(12), 1)
    assert (d.truncated, d.corrupt, d.unknown) == (1, 1, 2)


def test_decoder_pairs_raw_and_quaternion():
    d = th.CODEC.decoder(th.CODEC.configure(StreamRequest(with_quat=True)))
    q = struct.pack("<4i", 1 << 29, 1 << 29, 1 << 29, -(1 << 29))
    raw = struct.pack("<9h", 0, 0, 1024, 0, 0, 0, 0, 0, 0)
    assert d.feed(th.RAW_UUID, raw, 1_000) == []
    (s,) = d.feed(th.QUATERNION_UUID, q, 2_000)
    assert s.quat_wxyz == (0.5, 0.5, 0.5, -0.5)
    assert s.acc_m_s2 is not None
    assert s.host_rx_ns == 1_000
    d.feed(th.QUATERNION_UUID, q[:10], 3_000)
    assert d.truncated == 1
    d.feed(th.RAW_UUID, raw, 4_000)
    d.flush()
    assert d.unpaired == 1


def test_a_quaternion_off_unit_norm_is_corrupt():
    d = th.CODEC.decoder(th.CODEC.configure(StreamRequest(with_quat=True)))
    raw = struct.pack("<9h", 0, 0, 1024, 0, 0, 0, 0, 0, 0)
    d.feed(th.RAW_UUID, raw, 1_000)
    # |q| = 1.118: (1, 0, 0, -0.5)
    assert d.feed(th.QUATERNION_UUID, struct.pack("<4i", 1 << 30, 0, 0, -(1 << 29)), 2_000) == []
    assert d.corrupt == 1
    assert "quaternion norm" in (d.last_error or "")


def test_emulator(samples_at):
    e = th.CODEC.emulator()
    assert e.rate_hz is None
    e.write(th.CONFIG_UUID, th.MotionConfig(motion_frequency_hz=50).encode())
    assert e.read(th.CONFIG_UUID)[6:8] == h("32 00")
    e.write(th.CONFIG_UUID, th.MotionConfig(motion_frequency_hz=500).encode())
    assert "outside" in e.log[-1]
    assert e.read(th.CONFIG_UUID)[6:8] == h("32 00")
    e.set_notify(th.RAW_UUID, True)
    assert e.rate_hz == 50.0
    out = e.encode(samples_at(100, 100.0))
    assert len(out) == 50
    assert {n.char_uuid for n in out} == {th.RAW_UUID}
    e.set_notify(th.QUATERNION_UUID, True)
    out = e.encode(samples_at(2, 50.0, t0_s=200.0))
    assert [n.char_uuid for n in out] == [th.RAW_UUID, th.QUATERNION_UUID] * 2
    e.disconnect()
    assert e.rate_hz is None
