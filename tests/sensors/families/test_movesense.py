"""Movesense GSP: command vectors (§2.2), DATA/PART2 reassembly, N from length, u32 wrap."""

from __future__ import annotations

import itertools
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import ConfigError
from sensors.families import movesense as ms
from sensors.families.base import DEG_TO_RAD, ImuSample, StreamRequest


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_subscribe_vector_and_plan():
    assert ms.subscribe_command(99, "/Meas/IMU6/104") == h(
        "01 63 2F 4D 65 61 73 2F 49 4D 55 36 2F 31 30 34"
    )
    assert ms.unsubscribe_command(99) == h("02 63")
    assert ms.hello_command(7) == h("00 07")
    config = ms.CODEC.configure(StreamRequest(100.0))
    assert (config.resource, config.rate_hz, config.path) == ("IMU6", 104.0, "/Meas/IMU6/104")
    plan = ms.CODEC.plan(config)
    assert plan.notify_uuids == (ms.DATA_UUID,)
    assert [w.data for w in plan.start] == [ms.subscribe_command(99, "/Meas/IMU6/104")]
    assert [w.data for w in plan.stop] == [h("02 63")]
    imu9 = ms.CODEC.configure(StreamRequest(52.0, with_mag=True, options={"ref": 5}))
    assert ms.CODEC.plan(imu9).start[0].data == b"\x01\x05/Meas/IMU9/52"
    with pytest.raises(ConfigError, match="reference"):
        ms.CODEC.configure(StreamRequest(104.0, options={"ref": 0}))
    with pytest.raises(ConfigError, match="resource"):
        ms.CODEC.configure(StreamRequest(104.0, options={"resource": "ECG"}))


def _value(ts_ms: int, n: int, blocks: int, base: float = 0.0) -> bytes:
    floats = [base + k for k in range(3 * n * blocks)]
    return struct.pack(f"<I{len(floats)}f", ts_ms, *floats)


def test_imu9_at_104_hz_arrives_as_152_plus_144_bytes_and_reassembles():
    value = _value(1000, 8, 3)
    assert len(value) == 292
    parts = ms.split_value(99, value)
    assert [len(p) for p in parts] == [152, 144]
    assert parts[0][:2] == h("02 63")
    assert parts[1][:2] == h("03 63")
    d = ms.CODEC.decoder(ms.CODEC.configure(StreamRequest(104.0, with_mag=True)))
    assert d.feed(ms.DATA_UUID, parts[0], 10) == []
    out = d.feed(ms.DATA_UUID, parts[1], 20)
    assert len(out) == 8
    # blocks are not interleaved: acc vectors first, then gyro, then magn
    assert out[0].acc_m_s2 == (0.0, 1.0, 2.0)
    assert out[1].acc_m_s2 == (3.0, 4.0, 5.0)
    assert out[0].gyr_rad_s == pytest.approx(tuple(v * DEG_TO_RAD for v in (24.0, 25.0, 26.0)))
    assert out[7].mag_ut == (69.0, 70.0, 71.0)
    assert [s.device_time_s for s in out] == pytest.approx([1.0 + i / 104 for i in range(8)])
    assert {s.host_rx_ns for s in out} == {20}
    assert {s.device_ticks for s in out} == {1000}
    assert d.counts()["packets"] == 2
    assert d.counts()["samples"] == 8


@pytest.mark.parametrize(("resource", "blocks"), [("Acc", 1), ("IMU6", 2), ("IMU9", 3)])
@pytest.mark.parametrize("n", [1, 2, 4, 8, 11])
def test_samples_per_packet_come_from_the_length(resource, blocks, n):
    config = ms.CODEC.configure(StreamRequest(52.0, options={"resource": resource}))
    d = ms.CODEC.decoder(config)
    out = []
    for part in ms.split_value(99, _value(500, n, blocks)):
        out += d.feed(ms.DATA_UUID, part, 1)
    assert len(out) == n
    assert d.counts()["corrupt"] == d.counts()["truncated"] == 0


def test_timestamp_wrap_is_unwrapped():
    d = ms.CODEC.decoder(ms.CODEC.configure(StreamRequest(104.0)))
    near_end = 2**32 - 30  # ms
    out = []
    for ts in (near_end, (near_end + 77) % 2**32, (near_end + 154) % 2**32):
        for part in ms.split_value(99, _value(ts, 8, 2)):
            out += d.feed(ms.DATA_UUID, part, 1)
    times = [s.device_time_s for s in out]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert times[8] - times[0] == pytest.approx(0.077)
    assert out[8].device_ticks == 47  # raw, as sent


def test_missing_and_orphan_parts_are_counted():
    d = ms.CODEC.decoder(ms.CODEC.configure(StreamRequest(104.0)))
    full = ms.split_value(99, _value(0, 8, 2))  # 152 + 48
    assert d.feed(ms.DATA_UUID, full[0], 1) == []
    assert d.feed(ms.DATA_UUID, full[0], 2) == []  # new DATA: the previous value lost PART2
    assert d.truncated == 1
    assert len(d.feed(ms.DATA_UUID, full[1], 3)) == 8
    assert d.feed(ms.DATA_UUID, full[1], 4) == []  # PART2 without DATA
    assert d.corrupt == 1
    d.feed(ms.DATA_UUID, full[0], 5)
    d.flush()  # stream ends inside a value
    assert d.truncated == 2


def test_bad_lengths_other_references_and_results():
    d = ms.CODEC.decoder(ms.CODEC.configure(StreamRequest(104.0)))
    d.feed(ms.DATA_UUID, h("02 63") + _value(0, 2, 2)[:-4], 1)  # not 4 + N × 24
    assert d.corrupt == 1
    d.feed(ms.DATA_UUID, h("02 63 00 00"), 1)
    assert d.truncated == 1
    d.feed(ms.DATA_UUID, h("02 07") + _value(0, 2, 2), 1)  # another client's subscription
    d.feed(ms.DATA_UUID, h("09 63"), 1)
    assert d.unknown == 2
    assert d.feed(ms.DATA_UUID, h("01 63 00 C8"), 1) == []
    assert d.results == [(99, h("00 C8"))]
    nan = struct.pack("<I6f", 0, math.nan, 0, 0, 0, 0, 0)
    d.feed(ms.DATA_UUID, h("02 63") + nan, 1)
    assert d.corrupt == 2
    assert "NaN" in (d.last_error or "")
    assert d.samples == 0


def test_emulator_command_protocol():
    e = ms.CODEC.emulator()
    assert e.write(ms.COMMAND_UUID, ms.hello_command(1)) == []  # notifications off
    e.set_notify(ms.DATA_UUID, True)
    assert e.write(ms.COMMAND_UUID, ms.hello_command(1))[0].payload == b"\x01\x01Hello"
    for ref in (1, 2, 3, 4):
        (r,) = e.write(ms.COMMAND_UUID, ms.subscribe_command(ref, "/Meas/Acc/13"))
        assert r.payload == bytes([1, ref]) + (200).to_bytes(2, "big")
    (r,) = e.write(ms.COMMAND_UUID, ms.subscribe_command(5, "/Meas/IMU6/104"))
    assert r.payload == h("01 05 01 FB")  # 507: no free slot
    (r,) = e.write(ms.COMMAND_UUID, ms.subscribe_command(6, "/Meas/Nope/104"))
    assert r.payload == h("01 06 01 94")  # 404
    e.write(ms.COMMAND_UUID, ms.unsubscribe_command(4))
    (r,) = e.write(ms.COMMAND_UUID, ms.subscribe_command(5, "/Meas/IMU6/104"))
    assert r.payload == h("01 05 00 C8")
    assert e.rate_hz == 104.0
    e.disconnect()  # the sensor unsubscribes everything itself
    assert e.rate_hz is None
    assert e.subscriptions == {}


def test_emulator_serves_several_subscriptions_at_their_rates(samples_at):
    e = ms.MovesenseEmulator(samples_per_packet=2)
    e.set_notify(ms.DATA_UUID, True)
    e.write(ms.COMMAND_UUID, ms.subscribe_command(1, "/Meas/IMU6/104"))
    e.write(ms.COMMAND_UUID, ms.subscribe_command(2, "/Meas/Acc/52"))
    out = e.encode(samples_at(104, 104.0))
    assert sum(n.payload[1] == 1 for n in out) == 52  # 52 packets of 2 samples
    assert sum(n.payload[1] == 2 for n in out) == 26
    assert {len(n.payload) for n in out if n.payload[1] == 2} == {2 + 4 + 24}


def test_default_samples_per_packet():
    assert [ms.default_samples_per_packet(r) for r in ms.IMU_RATES_HZ] == [1, 2, 4, 8, 8, 8]


@settings(max_examples=40, deadline=None)
@given(
    t0_ms=st.integers(0, 2**32 - 1),
    packets=st.integers(1, 6),
    rate=st.sampled_from(ms.IMU_RATES_HZ),
)
def test_device_time_round_trip_over_the_wrap(t0_ms, packets, rate, link_to, samples_at):
    link = link_to(ms.CODEC, options={"rate_hz": rate})
    n = packets * ms.default_samples_per_packet(rate)
    sent = samples_at(n, rate, t0_s=t0_ms / 1000.0)
    got = link.send(sent)
    assert len(got) == n
    wrap = 2**32 / 1000.0
    for a, b in zip(sent, got, strict=True):
        err = (b.device_time_s - a.device_time_s) % wrap
        assert min(err, wrap - err) <= 0.5e-3 + 1e-9
    times = [s.device_time_s for s in got]
    assert all(b > a for a, b in itertools.pairwise(times))


def test_sample_without_gyro_sends_zeros(link_to):
    link = link_to(ms.CODEC, options={"rate_hz": 13.0})
    (s,) = link.send([ImuSample(device_time_s=1.0, acc_m_s2=(1.0, 2.0, 3.0))])
    assert s.gyr_rad_s == (0.0, 0.0, 0.0)
