"""WitMotion: commands (§3.3), 0x61/0x71 frames, byte-stream resync, register replies."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import ConfigError
from sensors.families import witmotion as wm
from sensors.families.base import G0_M_S2, StreamRequest


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def frame(*counts: int) -> bytes:
    return h("55 61") + struct.pack("<9h", *counts)


def test_command_vectors_and_plan():
    assert wm.unlock_command() == h("FF AA 69 88 B5")
    assert wm.save_command() == h("FF AA 00 00 00")
    assert wm.rate_command(100.0) == h("FF AA 03 09 00")
    assert wm.rate_command(200.0) == h("FF AA 03 0B 00")
    assert wm.rate_command(0.2) == h("FF AA 03 01 00")
    assert wm.read_register_command(0x3A) == h("FF AA 27 3A 00")
    with pytest.raises(ConfigError, match="cannot stream at 150 Hz"):
        wm.rate_command(150.0)
    config = wm.CODEC.configure(StreamRequest(90.0))
    assert config.rate_hz == 100.0
    plan = wm.CODEC.plan(config)
    assert plan.notify_uuids == (wm.NOTIFY_UUID,)
    assert [w.data.hex(" ") for w in plan.start] == [
        "ff aa 69 88 b5",
        "ff aa 03 09 00",
        "ff aa 00 00 00",
    ]
    assert [w.pause_after_s for w in plan.start] == [0.1, 0.1, 0.0]
    assert plan.stop == ()
    assert (
        wm.CODEC.plan(wm.CODEC.configure(StreamRequest(50.0, options={"set_rate": False}))).start
        == ()
    )


def test_uuids_use_the_non_standard_base():
    assert wm.NOTIFY_UUID == "0000ffe4-0000-1000-8000-00805f9a34fb"
    assert wm.WRITE_UUID.endswith("9a34fb")
    assert wm.SERVICE_UUID.endswith("9a34fb")


def test_frame_scales():
    f = wm.decode_frame(frame(2048, -2048, 32767, 16384, -16384, 0, 16384, -8192, 32767))
    assert isinstance(f, wm.ImuFrame)
    assert [a / G0_M_S2 for a in f.acc_m_s2] == pytest.approx([1.0, -1.0, 32767 * 16 / 32768])
    assert [math.degrees(g) for g in f.gyr_rad_s] == pytest.approx([1000.0, -1000.0, 0.0])
    assert [math.degrees(a) for a in f.angle_rad] == pytest.approx(
        [90.0, -45.0, 179.9945], abs=1e-3
    )
    reg = wm.decode_frame(h("55 71 3A 00") + struct.pack("<8h", 1, -2, 3, 4, 5, 6, 7, 8))
    assert reg == wm.RegisterFrame(0x3A, (1, -2, 3, 4, 5, 6, 7, 8))
    with pytest.raises(ValueError, match="20-byte"):
        wm.decode_frame(frame(0, 0, 0, 0, 0, 0, 0, 0, 0)[:19])


def _decoder() -> wm.WitMotionDecoder:
    return wm.CODEC.decoder(wm.CODEC.configure())


def test_resync_across_split_frames_and_junk():
    stream = (
        h("00 13 55 37")  # junk, including a lone 0x55 not followed by 61/71
        + frame(2048, 0, 0, 0, 0, 0, 0, 0, 0)
        + h("AA BB")  # junk between frames
        + frame(0, 2048, 0, 0, 0, 0, 0, 0, 0)
        + frame(0, 0, 2048, 0, 0, 0, 0, 0, 0)
    )
    # cut so that one notification ends between the 0x55 and the 0x61 of a header
    k = stream.index(h("55 61"), 10) + 1
    d = _decoder()
    out = d.feed(wm.NOTIFY_UUID, stream[:k], 1)
    out += d.feed(wm.NOTIFY_UUID, stream[k : k + 9], 2)
    out += d.feed(wm.NOTIFY_UUID, stream[k + 9 :], 3)
    out += d.flush()
    assert [round(max(s.acc_m_s2) / G0_M_S2, 6) for s in out] == [1.0, 1.0, 1.0]
    assert [s.acc_m_s2.index(max(s.acc_m_s2)) for s in out] == [0, 1, 2]
    assert [s.host_rx_ns for s in out] == [1, 3, 3]
    assert d.junk_bytes == 6
    assert d.corrupt == 2  # two junk runs
    assert d.truncated == 0
    assert d.samples == 3
    assert all(s.device_time_s is None for s in out)


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 60), min_size=1, max_size=30),
    junk=st.binary(max_size=15).filter(lambda b: b"\x55" not in b),
    values=st.lists(st.integers(-32768, 32767), min_size=9, max_size=9).filter(
        lambda v: b"\x55" not in struct.pack("<9h", *v)
    ),
)
def test_any_split_of_the_byte_stream_decodes_the_same(cuts, junk, values):
    """Frames whose data holds no 0x55 (see the next test for those that do)."""
    frames = [frame(*values)] * 5
    stream = junk + b"".join(frames)
    d = _decoder()
    out, i = [], 0
    for c in cuts:
        out += d.feed(wm.NOTIFY_UUID, stream[i : i + c], 1)
        i += c
    out += d.feed(wm.NOTIFY_UUID, stream[i:], 1)
    assert len(out) == 5
    expected = wm.decode_frame(frames[0])
    assert all(s.acc_m_s2 == expected.acc_m_s2 for s in out)
    assert d.junk_bytes == len(junk)


def test_header_bytes_inside_frame_data():
    f = frame(0x6155, 0x7155, 3, 4, 5, 6, 7, 8, 9)  # data bytes 55 61 / 55 71
    d = _decoder()
    assert len(d.feed(wm.NOTIFY_UUID, f + f, 1)) == 2  # aligned: data is never scanned
    assert len(d.feed(wm.NOTIFY_UUID, f[:9], 2) + d.feed(wm.NOTIFY_UUID, f[9:], 3)) == 1
    # the documented limit: a split exactly before header-like data bytes loses that frame
    assert d.feed(wm.NOTIFY_UUID, f[:2], 4) + d.feed(wm.NOTIFY_UUID, f[2:], 5) == []
    assert d.truncated == 1


def test_a_notification_starting_a_new_frame_cuts_the_incomplete_one():
    d = _decoder()
    f1, f2 = frame(1, 2, 3, 4, 5, 6, 7, 8, 9), frame(9, 8, 7, 6, 5, 4, 3, 2, 1)
    d.feed(wm.NOTIFY_UUID, f1[:12], 1)  # the rest of f1 is lost
    (s,) = d.feed(wm.NOTIFY_UUID, f2, 2)
    assert s.acc_m_s2 == wm.decode_frame(f2).acc_m_s2
    assert d.truncated == 1
    d.feed(wm.NOTIFY_UUID, f1[:5], 3)
    d.flush()
    assert d.truncated == 2


def test_register_replies_update_registers_not_samples():
    d = _decoder()
    q = (16384, 0, 0, -16384)
    reply = h("55 71 51 00") + struct.pack("<8h", *q, 0, 0, 0, 0)
    assert d.quaternion() is None
    assert d.feed(wm.NOTIFY_UUID, reply, 1) == []
    assert d.quaternion() == (0.5, 0.0, 0.0, -0.5)
    assert d.registers[0x51] == 16384
    d.feed(wm.WRITE_UUID, reply, 1)
    assert d.unknown == 1


def test_emulator_lock_rate_and_register_read(samples_at):
    e = wm.CODEC.emulator()
    assert e.rate_hz is None  # streams only while notifications are on
    e.set_notify(wm.NOTIFY_UUID, True)
    assert e.rate_hz == 10.0
    e.write(wm.WRITE_UUID, wm.rate_command(100.0))
    assert e.rate_hz == 10.0
    assert "locked" in e.log[-1]
    e.write(wm.WRITE_UUID, wm.unlock_command())
    e.write(wm.WRITE_UUID, wm.rate_command(100.0))
    e.write(wm.WRITE_UUID, wm.save_command())
    assert e.rate_hz == 100.0
    assert e.saved == 1
    assert not e.unlocked
    (r,) = e.write(wm.WRITE_UUID, wm.read_register_command(0x03))
    assert r.payload[:6] == h("55 71 03 00 09 00")
    out = e.encode(samples_at(10, 100.0, quat=lambda i: (math.cos(0.5), 0.0, 0.0, math.sin(0.5))))
    assert len(out) == 10
    f = wm.decode_frame(out[0].payload)
    assert f.angle_rad[2] == pytest.approx(1.0, abs=math.radians(180 / 32768))  # yaw 1 rad
    (r,) = e.write(wm.WRITE_UUID, wm.read_register_command(0x51))
    d = _decoder()
    d.feed(wm.NOTIFY_UUID, r.payload, 1)
    assert d.quaternion() == pytest.approx((math.cos(0.5), 0, 0, math.sin(0.5)), abs=1 / 32768)
    e.set_notify(wm.NOTIFY_UUID, False)
    assert e.encode(samples_at(3, 100.0, t0_s=200.0)) == []


def test_emulator_splits_frames_into_chunks(samples_at):
    e = wm.WitMotionEmulator(chunk_size=28)
    e.set_notify(wm.NOTIFY_UUID, True)
    out = e.encode(samples_at(7, 10.0))
    assert [len(n.payload) for n in out] == [28] * 5  # 140 bytes = 7 frames
    d = _decoder()
    assert sum(len(d.feed(n.char_uuid, n.payload, 1)) for n in out) == 7


def test_calibration_bandwidth_and_reset_vectors():
    assert wm.calibration_command("accelerometer") == h("FF AA 01 01 00")
    assert wm.calibration_command("magnetometer_start") == h("FF AA 01 07 00")
    assert wm.calibration_command("magnetometer_end") == h("FF AA 01 00 00")
    assert wm.calibration_command("angle_reference") == h("FF AA 01 08 00")
    assert wm.restore_defaults_command() == h("FF AA 00 01 00")
    assert wm.bandwidth_command(20) == h("FF AA 1F 05 00")
    with pytest.raises(ConfigError, match="bandwidth"):
        wm.bandwidth_command(50)
