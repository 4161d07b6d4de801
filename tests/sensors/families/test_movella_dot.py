"""Movella DOT: control/rate writes (§4.2), payload modes parsed by mode (§4.3), µs wrap."""

from __future__ import annotations

import itertools
import math
import struct

import pytest

from analysis.errors import ConfigError
from sensors.families import movella_dot as dot
from sensors.families.base import DEG_TO_RAD, G0_M_S2, StreamRequest


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_uuids_on_the_dot_base():
    assert dot.CONTROL_UUID == "15172001-4947-11e9-8646-d663bd873d93"
    assert dot.LONG_PAYLOAD_UUID == "15172002-4947-11e9-8646-d663bd873d93"
    assert dot.MEDIUM_PAYLOAD_UUID == "15172003-4947-11e9-8646-d663bd873d93"
    assert dot.SHORT_PAYLOAD_UUID == "15172004-4947-11e9-8646-d663bd873d93"
    assert dot.DEVICE_CONTROL_UUID == "15171002-4947-11e9-8646-d663bd873d93"


@pytest.mark.parametrize(
    ("mode", "size", "size_class"),
    [
        (2, 36, "medium"),
        (3, 32, "medium"),
        (4, 16, "short"),
        (5, 20, "short"),
        (6, 16, "short"),
        (7, 32, "medium"),
        (16, 28, "medium"),
        (18, 38, "medium"),
        (19, 32, "medium"),
        (20, 34, "medium"),
        (21, 28, "medium"),
        (22, 40, "medium"),
        (23, 34, "medium"),
        (24, 32, "medium"),
        (26, 44, "long"),
    ],
)
def test_payload_mode_sizes_match_the_spec_table(mode, size, size_class):
    m = dot.PAYLOAD_MODES[mode]
    assert (m.size, m.size_class) == (size, size_class)
    assert m.size <= dot.PAYLOAD_CHARS[size_class][1]


def test_control_and_rate_commands():
    assert dot.control_command(26, start=True) == h("01 01 1A")
    assert dot.control_command(26, start=False) == h("01 00 1A")
    rate = dot.output_rate_command(60.0)
    assert len(rate) == 32
    assert rate[0] == 0x10
    assert rate[24:26] == h("3C 00")
    assert rate[1:24] == bytes(23)
    assert rate[26:] == bytes(6)
    assert dot.output_rate_command(1.0)[24:26] == h("01 00")
    with pytest.raises(ConfigError, match="SDK-only"):
        dot.control_command(25, start=True)
    with pytest.raises(ConfigError, match="unsupported"):
        dot.output_rate_command(100.0)


def test_configure_picks_the_mode_and_the_plan_follows_the_spec_order():
    assert dot.CODEC.configure().payload_mode == 21
    assert dot.CODEC.configure(StreamRequest(with_mag=True)).payload_mode == 20
    config = dot.CODEC.configure(StreamRequest(100.0, with_quat=True))
    assert (config.payload_mode, config.rate_hz) == (26, 60.0)
    plan = dot.CODEC.plan(config)
    assert plan.notify_uuids == (dot.LONG_PAYLOAD_UUID,)
    assert [(w.char_uuid, w.data) for w in plan.start] == [
        (dot.DEVICE_CONTROL_UUID, dot.output_rate_command(60.0)),
        (dot.CONTROL_UUID, h("01 01 1A")),
    ]
    assert [w.data for w in plan.stop] == [h("01 00 1A")]
    assert dot.CODEC.plan(dot.CODEC.configure(StreamRequest(12.0))).notify_uuids == (
        dot.MEDIUM_PAYLOAD_UUID,
    )


def _mode26(ts: int, q, acc, gyr_dps, pad: int = 63) -> bytes:
    raw = struct.pack("<I4f3f3f", ts, *q, *acc, *gyr_dps)
    return raw + bytes(pad - len(raw))


def test_mode_26_is_parsed_by_mode_not_by_length():
    d = dot.CODEC.decoder(dot.CODEC.configure(StreamRequest(with_quat=True)))
    payload = _mode26(123456, (0.5, 0.5, -0.5, 0.5), (0.0, 0.0, 9.81), (10.0, -20.0, 30.0))
    assert len(payload) == 63
    (s,) = d.feed(dot.LONG_PAYLOAD_UUID, payload, 7)
    assert s.quat_wxyz == (0.5, 0.5, -0.5, 0.5)
    assert s.acc_m_s2 == pytest.approx((0.0, 0.0, 9.81), rel=1e-7)
    assert s.gyr_rad_s == pytest.approx((10 * DEG_TO_RAD, -20 * DEG_TO_RAD, 30 * DEG_TO_RAD))
    assert s.device_time_s == pytest.approx(0.123456)
    assert s.device_ticks == 123456
    assert s.host_rx_ns == 7
    (s2,) = d.feed(dot.LONG_PAYLOAD_UUID, payload[:44], 8)  # unpadded: same sample
    assert s2.acc_m_s2 == s.acc_m_s2


def test_other_modes_decode_their_fields():
    ts, q, facc = 1000, (1.0, 0.0, 0.0, 0.0), (0.1, 0.2, 0.3)
    p2 = struct.pack("<I4f3fHBB", ts, *q, *facc, 0x0200, 1, 2)
    assert dot.parse_payload(2, p2) == (
        ts,
        {
            "quat": q,
            "free_acc": pytest.approx(facc),
            "status": (0x0200,),
            "clip_acc": (1,),
            "clip_gyr": (2,),
        },
    )
    d = dot.CODEC.decoder(dot.CODEC.configure(StreamRequest(options={"payload_mode": 2})))
    (s,) = d.feed(dot.MEDIUM_PAYLOAD_UUID, p2 + bytes(4), 1)
    assert s.quat_wxyz == q
    assert s.acc_m_s2 is None
    assert s.gyr_rad_s is None
    p20 = struct.pack("<I3f3f3h", ts, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 4096, -2048, 1024)
    d = dot.CODEC.decoder(
        dot.CODEC.configure(StreamRequest(with_mag=True, options={"mag_au_to_ut": 48.0}))
    )
    (s,) = d.feed(dot.MEDIUM_PAYLOAD_UUID, p20, 1)
    assert s.acc_m_s2 == (1.0, 2.0, 3.0)
    assert s.mag_ut == pytest.approx((48.0, -24.0, 12.0))
    d = dot.CODEC.decoder(dot.CODEC.configure(StreamRequest(with_mag=True)))
    assert d.feed(dot.MEDIUM_PAYLOAD_UUID, p20, 1)[0].mag_ut is None  # a.u. without a scale


def test_bad_payloads_are_counted():
    d = dot.CODEC.decoder(dot.CODEC.configure())  # mode 21 on the medium characteristic
    good = struct.pack("<I6f", 1, 0, 0, 9.8, 0, 0, 0)
    d.feed(dot.MEDIUM_PAYLOAD_UUID, good[:27], 1)
    d.feed(dot.MEDIUM_PAYLOAD_UUID, good + bytes(13), 1)  # 41 > 40 bytes
    d.feed(dot.LONG_PAYLOAD_UUID, good, 1)  # another mode's characteristic
    d.feed(dot.MEDIUM_PAYLOAD_UUID, struct.pack("<I6f", 1, math.inf, 0, 0, 0, 0, 0), 1)
    assert (d.truncated, d.corrupt, d.unknown, d.samples) == (1, 2, 1, 0)
    assert len(d.feed(dot.MEDIUM_PAYLOAD_UUID, good, 1)) == 1


def test_microsecond_timestamp_wraps():
    d = dot.CODEC.decoder(dot.CODEC.configure())
    ticks = [2**32 - 20_000, 2**32 - 3_333, 13_334, 30_000]
    times = []
    for t in ticks:
        (s,) = d.feed(dot.MEDIUM_PAYLOAD_UUID, struct.pack("<I6f", t, 0, 0, 0, 0, 0, 0), 1)
        times.append(s.device_time_s)
    assert [round((b - a) * 1e6) for a, b in itertools.pairwise(times)] == [16667, 16667, 16666]


def test_emulator_device_control_and_measurement(samples_at):
    e = dot.CODEC.emulator()
    assert e.read(dot.DEVICE_CONTROL_UUID)[24:26] == h("3C 00")
    e.write(dot.DEVICE_CONTROL_UUID, dot.output_rate_command(30.0))
    assert e.read(dot.DEVICE_CONTROL_UUID)[24:26] == h("1E 00")
    assert e.read(dot.DEVICE_CONTROL_UUID)[8:11] == b"DOT"  # tag untouched
    assert e.rate_hz is None
    e.write(dot.CONTROL_UUID, dot.control_command(21, start=True))
    assert e.read(dot.CONTROL_UUID) == h("01 01 15")
    assert e.rate_hz == 30.0
    e.write(dot.DEVICE_CONTROL_UUID, dot.output_rate_command(60.0))
    assert e.rate_hz == 30.0
    assert "while measuring" in e.log[-1]
    assert e.encode(samples_at(3, 30.0)) == []  # payload notifications not enabled
    e.set_notify(dot.MEDIUM_PAYLOAD_UUID, True)
    out = e.encode(samples_at(3, 30.0, t0_s=1.0))
    assert [len(n.payload) for n in out] == [40, 40, 40]
    assert {n.char_uuid for n in out} == {dot.MEDIUM_PAYLOAD_UUID}
    e.write(dot.CONTROL_UUID, dot.control_command(21, start=False))
    assert e.rate_hz is None
    assert e.read(dot.CONTROL_UUID) == h("01 00 15")
    e.write(dot.CONTROL_UUID, h("01 01 19"))
    assert "not available" in e.log[-1]


def test_emulator_derives_free_acceleration_and_euler(samples_at):
    e = dot.DotEmulator(pad=False)
    e.set_notify(dot.MEDIUM_PAYLOAD_UUID, True)
    e.write(dot.CONTROL_UUID, dot.control_command(16, start=True))
    # sensor turned 90° about x (y axis points up) at rest: specific force +g on y
    q = (math.cos(math.pi / 4), math.sin(math.pi / 4), 0.0, 0.0)
    (n,) = e.encode(samples_at(1, 60.0, acc=lambda i: (0.0, G0_M_S2, 0.0), quat=lambda i: q))
    assert len(n.payload) == 28
    _, vals = dot.parse_payload(16, n.payload)
    assert vals["free_acc"] == pytest.approx((0.0, 0.0, 0.0), abs=1e-5)
    assert vals["euler"] == pytest.approx((90.0, 0.0, 0.0), abs=1e-4)
    e.disconnect()
    assert e.rate_hz is None


def test_orientation_reset_vectors():
    assert dot.orientation_reset_command() == h("01 00")
    assert dot.orientation_reset_command("revert") == h("07 00")
    assert dot.orientation_reset_command("default") == h("08 00")
