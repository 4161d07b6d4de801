"""Polar PMD: command vectors (§6.2), delta frames (§6.3 vector and random), FACTOR from
the start reply, SDK per-sample timestamps, ACC+GYRO pairing, emulator control point."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import ConfigError
from sensors.families import polar_pmd as pmd
from sensors.families.base import DEG_TO_RAD, G0_M_S2, StreamRequest

DOC_FRAME = "05 FF FF FF FF FF FF FF 7F 80 EA FF 08 00 0D 00 03 01 DF 00"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_start_and_stop_vectors():
    assert pmd.start_command(pmd.ACC, sample_rate_hz=52, range_value=8) == h(
        "02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"
    )
    assert pmd.start_command(pmd.GYRO, sample_rate_hz=52, range_value=2000) == h(
        "02 05 00 01 34 00 01 01 10 00 02 01 D0 07 04 01 03"
    )
    assert pmd.start_command(pmd.MAG, sample_rate_hz=50, range_value=50) == h(
        "02 06 00 01 32 00 01 01 10 00 02 01 32 00 04 01 03"
    )
    assert pmd.stop_command(pmd.ACC) == h("03 02")


def test_plans():
    config = pmd.CODEC.configure()
    assert (config.rate_hz, config.sdk_mode, config.streams) == (52.0, False, ("acc", "gyr"))
    plan = pmd.CODEC.plan(config)
    assert plan.notify_uuids == (pmd.CONTROL_POINT_UUID, pmd.DATA_UUID)
    assert [w.data.hex(" ") for w in plan.start] == [
        "02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03",
        "02 05 00 01 34 00 01 01 10 00 02 01 d0 07 04 01 03",
    ]
    assert all(w.reply_on == pmd.CONTROL_POINT_UUID for w in plan.start + plan.stop)
    assert [w.data for w in plan.stop] == [h("03 05"), h("03 02")]
    fast = pmd.CODEC.plan(pmd.CODEC.configure(StreamRequest(200.0, with_mag=True)))
    assert [w.data[:2] for w in fast.start] == [h("02 09"), h("02 02"), h("02 05"), h("02 06")]
    assert fast.start[1].data[4:6] == h("D0 00")  # 208 Hz
    assert [w.data for w in fast.stop] == [h("03 06"), h("03 05"), h("03 02"), h("03 09")]
    with pytest.raises(ConfigError, match="ranges"):
        pmd.CODEC.configure(StreamRequest(options={"acc_range_g": 3}))
    with pytest.raises(ConfigError, match="MAG rate"):
        pmd.CODEC.configure(StreamRequest(with_mag=True, options={"mag_rate_hz": 52.0}))


def test_settings_tlv_round_trip():
    raw = pmd.encode_settings({pmd.SAMPLE_RATE: [26, 52, 104], pmd.FACTOR: 0.5, pmd.CHANNELS: 3})
    assert raw == h("00 03 1A 00 34 00 68 00 04 01 03 05 01 00 00 00 3F")
    assert pmd.decode_settings(raw) == {
        pmd.SAMPLE_RATE: [26, 52, 104],
        pmd.CHANNELS: [3],
        pmd.FACTOR: [0.5],
    }
    with pytest.raises(ValueError, match="unknown PMD setting"):
        pmd.decode_settings(h("07 01 00"))
    with pytest.raises(ValueError, match="needs 2 bytes"):
        pmd.decode_settings(h("00 01 34"))


# --- delta frames -------------------------------------------------------------------------


def test_doc_delta_vector():
    frame = h(DOC_FRAME)
    header = pmd.parse_header(frame)
    assert (header.measurement_type, header.compressed, header.type_number) == (5, True, 0)
    assert header.timestamp_ns == 0x7FFFFFFFFFFFFFFF
    assert pmd.decode_delta_frame(frame[10:], channels=3, resolution_bits=16) == [
        [-22, 8, 13],
        [-23, 11, 16],
    ]
    # and re-encoding those samples gives the same bytes (one 3-bit block)
    assert pmd.encode_delta_frame([[-22, 8, 13], [-23, 11, 16]], resolution_bits=16) == frame[10:]


def test_doc_vector_through_the_decoder():
    d = pmd.CODEC.decoder(pmd.CODEC.configure(StreamRequest(options={"streams": ("gyr",)})))
    out = d.feed(pmd.DATA_UUID, h(DOC_FRAME), 1)
    assert [tuple(round(v / DEG_TO_RAD, 9) for v in s.gyr_rad_s) for s in out] == [
        (-22.0, 8.0, 13.0),
        (-23.0, 11.0, 16.0),
    ]
    ts = 0x7FFFFFFFFFFFFFFF
    assert out[1].device_time_s == pytest.approx(ts * 1e-9)
    assert out[1].device_time_s - out[0].device_time_s == pytest.approx(1 / 52, abs=1e-6)
    assert {s.device_ticks for s in out} == {ts}


sample_rows = st.lists(
    st.lists(st.integers(-32768, 32767), min_size=3, max_size=3), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(rows=sample_rows, block=st.integers(1, 255))
def test_random_delta_frames_round_trip(rows, block):
    body = pmd.encode_delta_frame(rows, resolution_bits=16, block_samples=block)
    assert pmd.decode_delta_frame(body, channels=3, resolution_bits=16) == rows


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.floats(-2000, 2000, width=32), min_size=3, max_size=3), min_size=1, max_size=30
    )
)
def test_float_delta_frames_round_trip(rows):
    bits = [[int.from_bytes(struct.pack("<f", v), "little") for v in r] for r in rows]
    body = pmd.encode_delta_frame(bits, resolution_bits=32, signed=False)
    back = pmd.decode_delta_frame(body, channels=3, resolution_bits=32, signed=False)
    assert back == bits


@settings(max_examples=100, deadline=None)
@given(
    width=st.integers(1, 16),
    deltas=st.lists(st.integers(-(2**15), 2**15 - 1), min_size=3, max_size=45),
)
def test_bit_packing_is_lsb_first_twos_complement(width, deltas):
    """Pack deltas by hand (bit by bit) and check the decoder reads them back."""
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    deltas = [max(lo, min(hi, d)) for d in deltas][: len(deltas) // 3 * 3]
    bits = []
    for d in deltas:
        u = d & ((1 << width) - 1)
        bits += [(u >> k) & 1 for k in range(width)]
    packed = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        packed[i // 8] |= b << (i % 8)
    body = bytes(6) + bytes([width, len(deltas) // 3]) + bytes(packed)
    rows = pmd.decode_delta_frame(body, channels=3, resolution_bits=16)
    acc = [0, 0, 0]
    expect = [[0, 0, 0]]
    for k in range(0, len(deltas), 3):
        acc = [acc[c] + deltas[k + c] for c in range(3)]
        expect.append(acc)
    assert rows == expect


def test_malformed_delta_frames():
    with pytest.raises(ValueError, match="reference"):
        pmd.decode_delta_frame(bytes(5), channels=3, resolution_bits=16)
    with pytest.raises(ValueError, match="block header"):
        pmd.decode_delta_frame(bytes(6) + b"\x03", channels=3, resolution_bits=16)
    with pytest.raises(ValueError, match="needs 2 bytes"):
        pmd.decode_delta_frame(bytes(6) + h("03 01 DF"), channels=3, resolution_bits=16)
    with pytest.raises(ValueError, match="width 40"):
        pmd.decode_delta_frame(bytes(6) + h("28 01") + bytes(15), channels=3, resolution_bits=16)


# --- timestamps ---------------------------------------------------------------------------


def test_sdk_timestamp_rule():
    first = pmd.sample_times_ns(1_000_000_000, 4, previous_ts_ns=None, rate_hz=50.0)
    assert first == [940_000_000, 960_000_000, 980_000_000, 1_000_000_000]
    nxt = pmd.sample_times_ns(1_080_000_000, 4, previous_ts_ns=1_000_000_000, rate_hz=52.0)
    assert nxt == [1_020_000_000, 1_040_000_000, 1_060_000_000, 1_080_000_000]
    # a lost frame: the SDK spreads 4 samples over 160 ms, the fallback keeps 20 ms steps
    gap_sdk = pmd.sample_times_ns(
        1_160_000_000, 4, previous_ts_ns=1_000_000_000, rate_hz=50.0, gap_tolerance=None
    )
    assert gap_sdk[0] == 1_040_000_000
    gap = pmd.sample_times_ns(
        1_160_000_000, 4, previous_ts_ns=1_000_000_000, rate_hz=50.0, gap_tolerance=0.5
    )
    assert gap == [1_100_000_000, 1_120_000_000, 1_140_000_000, 1_160_000_000]


def _frame(kind: int, ts: int, ftype: int, body: bytes) -> bytes:
    return bytes([kind]) + struct.pack("<Q", ts) + bytes([ftype]) + body


def _reply(kind: int, factor: float) -> bytes:
    return bytes([0xF0, 0x02, kind, 0x00, 0x00]) + pmd.encode_settings({pmd.FACTOR: factor})


def test_factor_from_start_reply_and_pairing_by_device_time():
    d = pmd.CODEC.decoder(pmd.CODEC.configure())
    d.feed(pmd.CONTROL_POINT_UUID, _reply(pmd.ACC, 0.25), 1)
    d.feed(pmd.CONTROL_POINT_UUID, _reply(pmd.GYRO, 0.5), 1)
    assert d.factors == {pmd.ACC: 0.25, pmd.GYRO: 0.5}
    rows = [[4000, 0, -4000], [4001, 1, -3999], [4002, 2, -3998]]
    ts = 10**12
    acc = _frame(pmd.ACC, ts, 0x81, pmd.encode_delta_frame(rows, resolution_bits=16))
    gyr = _frame(pmd.GYRO, ts, 0x80, pmd.encode_delta_frame(rows, resolution_bits=16))
    assert d.feed(pmd.DATA_UUID, acc, 100) == []
    out = d.feed(pmd.DATA_UUID, gyr, 200)
    assert len(out) == 3
    assert out[0].acc_m_s2[0] == pytest.approx(4000 * 0.25 * G0_M_S2 / 1000)  # mG
    assert out[0].gyr_rad_s[0] == pytest.approx(4000 * 0.5 * DEG_TO_RAD)  # dps
    assert out[2].device_time_s == pytest.approx(ts * 1e-9)
    assert out[0].host_rx_ns == 100
    # a lost GYRO frame: the next ACC frame's samples have no partner and are dropped
    nxt = [ts + k * 57_692_308 for k in (1, 2)]
    d.feed(pmd.DATA_UUID, _frame(pmd.ACC, nxt[0], 0x81, acc[10:]), 300)
    d.feed(pmd.DATA_UUID, _frame(pmd.ACC, nxt[1], 0x81, acc[10:]), 400)
    out = d.feed(pmd.DATA_UUID, _frame(pmd.GYRO, nxt[1], 0x80, gyr[10:]), 500)
    assert len(out) == 3
    assert d.unpaired == 3


def test_acc_compressed_type_0_factor_is_in_g():
    d = pmd.CODEC.decoder(pmd.CODEC.configure(StreamRequest(options={"streams": ("acc",)})))
    d.feed(pmd.CONTROL_POINT_UUID, _reply(pmd.ACC, 0.001), 1)
    (s,) = d.feed(pmd.DATA_UUID, _frame(pmd.ACC, 10**9, 0x80, struct.pack("<3h", 1000, 0, 0)), 1)
    assert s.acc_m_s2[0] == pytest.approx(G0_M_S2)  # 1000 × 0.001 g


def test_raw_acc_frames_in_mg():
    d = pmd.CODEC.decoder(pmd.CODEC.configure(StreamRequest(options={"streams": ("acc",)})))
    for ftype, body in (
        (0x00, struct.pack("<3b", -100, 0, 100)),
        (0x01, struct.pack("<3h", -1000, 0, 1000)),
        (
            0x02,
            (-1000).to_bytes(3, "little", signed=True) + bytes(3) + (1000).to_bytes(3, "little"),
        ),
    ):
        (s,) = d.feed(pmd.DATA_UUID, _frame(pmd.ACC, 10**9 * (ftype + 1), ftype, body), 1)
        assert s.acc_m_s2[2] == pytest.approx(-s.acc_m_s2[0])
        assert abs(s.acc_m_s2[2]) in (pytest.approx(0.1 * G0_M_S2), pytest.approx(G0_M_S2))
    d.feed(pmd.DATA_UUID, _frame(pmd.ACC, 10**10, 0x01, bytes(7)), 1)  # not N × 6
    assert d.corrupt == 1


def test_mag_samples_are_separate_and_in_microtesla():
    d = pmd.CODEC.decoder(pmd.CODEC.configure(StreamRequest(with_mag=True)))
    d.feed(pmd.CONTROL_POINT_UUID, _reply(pmd.MAG, 0.01), 1)
    body = pmd.encode_delta_frame([[50, -50, 0], [51, -49, 1]], resolution_bits=16)
    out = d.feed(pmd.DATA_UUID, _frame(pmd.MAG, 10**9, 0x80, body), 1)
    assert [s.mag_ut for s in out] == [
        pytest.approx((50.0, -50.0, 0.0)),
        pytest.approx((51.0, -49.0, 1.0)),
    ]
    assert all(s.acc_m_s2 is None and s.gyr_rad_s is None for s in out)
    body1 = pmd.encode_delta_frame([[500, 0, 0, 3]], resolution_bits=16)
    (s,) = d.feed(pmd.DATA_UUID, _frame(pmd.MAG, 2 * 10**9, 0x81, body1), 1)
    assert s.mag_ut[0] == pytest.approx(500 * 0.01 / 1000 * 100)


def test_control_point_replies_errors_and_device_stop():
    d = pmd.CODEC.decoder(pmd.CODEC.configure())
    d.feed(pmd.CONTROL_POINT_UUID, h("F0 02 02 08"), 1)  # invalid sample rate
    assert d.replies[-1].status_name == "invalid sample rate"
    assert not d.replies[-1].ok
    assert d.factors == {}
    # a reply split with the "more" flag
    full = pmd.encode_settings({pmd.SAMPLE_RATE: [26, 52], pmd.RESOLUTION: 16})
    d.feed(pmd.CONTROL_POINT_UUID, h("F0 01 02 00 01") + full[:4], 1)
    d.feed(pmd.CONTROL_POINT_UUID, h("F0 01 02 00 00") + full[4:], 1)
    assert pmd.decode_settings(d.replies[-1].parameters) == {0: [26, 52], 1: [16]}
    d.feed(pmd.CONTROL_POINT_UUID, h("01 02 05"), 1)
    assert d.stopped_by_device == {2, 5}
    d.feed(pmd.CONTROL_POINT_UUID, h("F0 02"), 1)
    d.feed(pmd.CONTROL_POINT_UUID, h("77 00"), 1)
    assert (d.truncated, d.unknown, d.samples) == (1, 1, 0)


def test_bad_frames_are_counted():
    d = pmd.CODEC.decoder(pmd.CODEC.configure())
    d.feed(pmd.DATA_UUID, h("02 00 00"), 1)  # shorter than the header
    d.feed(pmd.DATA_UUID, _frame(pmd.ECG, 10**9, 0x00, bytes(3)), 1)  # not streamed
    d.feed(pmd.DATA_UUID, _frame(pmd.GYRO, 10**9, 0x01, bytes(6)), 1)  # raw gyro: SDK rejects
    d.feed(pmd.DATA_UUID, _frame(pmd.GYRO, 2 * 10**9, 0x80, bytes(5)), 1)  # cut reference
    d.feed(pmd.DATA_UUID, _frame(pmd.GYRO, 10**9, 0x80, bytes(6)), 1)  # time went back
    assert (d.truncated, d.unknown, d.corrupt) == (1, 2, 2)


# --- emulator -----------------------------------------------------------------------------


def test_emulator_control_point():
    e = pmd.CODEC.emulator()
    assert e.read(pmd.CONTROL_POINT_UUID)[1] & 0x64 == 0x64  # ACC, GYRO, MAG features
    e.set_notify(pmd.CONTROL_POINT_UUID, True)
    (r,) = e.write(pmd.CONTROL_POINT_UUID, h("01 02"))
    assert r.payload[:5] == h("F0 01 02 00 00")
    assert pmd.decode_settings(r.payload[5:])[pmd.SAMPLE_RATE] == [52]
    start = pmd.start_command(pmd.ACC, sample_rate_hz=52, range_value=8)
    (r,) = e.write(pmd.CONTROL_POINT_UUID, start)
    assert r.payload[:7] == h("F0 02 02 00 00 05 01")
    assert struct.unpack("<f", r.payload[7:11])[0] == pytest.approx(8000 / 32768)
    assert e.write(pmd.CONTROL_POINT_UUID, start)[0].payload == h("F0 02 02 06")  # already on
    bad_rate = pmd.start_command(pmd.GYRO, sample_rate_hz=104, range_value=2000)
    assert e.write(pmd.CONTROL_POINT_UUID, bad_rate)[0].payload == h("F0 02 05 08")
    bad_range = pmd.start_command(pmd.GYRO, sample_rate_hz=52, range_value=245)
    assert e.write(pmd.CONTROL_POINT_UUID, bad_range)[0].payload == h("F0 02 05 09")
    assert e.write(pmd.CONTROL_POINT_UUID, h("02 01"))[0].payload == h("F0 02 01 02")  # PPG
    assert e.write(pmd.CONTROL_POINT_UUID, h("07 02"))[0].payload == h("F0 07 02 01")
    assert e.rate_hz == 52.0
    assert e.write(pmd.CONTROL_POINT_UUID, h("03 02"))[0].payload == h("F0 03 02 00 00")
    assert e.rate_hz is None
    assert e.write(pmd.CONTROL_POINT_UUID, h("02 09"))[0].payload == h("F0 02 09 00 00")
    ok = pmd.start_command(pmd.GYRO, sample_rate_hz=416, range_value=250)
    assert e.write(pmd.CONTROL_POINT_UUID, ok)[0].payload[:4] == h("F0 02 05 00")
    assert e.rate_hz == 416.0
    e.disconnect()
    assert e.rate_hz is None
    assert not e.sdk_mode


def test_emulator_frames_decode_and_timestamps_continue(link_to, samples_at):
    link = link_to(pmd.CODEC, samples_per_frame=10)
    sent = samples_at(
        40,
        52.0,
        t0_s=800e6,  # ~25 years after 2000: a realistic device clock
        acc=lambda i: (0.1 * i, -9.8, 1.0),
        gyr=lambda i: (0.01 * i, 0.0, -0.5),
    )
    got = link.send(sent)
    assert len(got) == 40
    assert link.decoder.factors.keys() == {pmd.ACC, pmd.GYRO}
    for a, b in zip(sent, got, strict=True):
        assert b.device_time_s == pytest.approx(a.device_time_s, abs=2e-7)
        assert b.acc_m_s2 == pytest.approx(a.acc_m_s2, abs=0.5 * 8 * G0_M_S2 / 32768 + 1e-9)
    frames = [n for n in link.sent if n.char_uuid == pmd.DATA_UUID]
    assert len(frames) == 8
    assert {f.payload[9] for f in frames} == {0x80, 0x81}
    assert all(math.isfinite(s.gyr_rad_s[0]) for s in got)
