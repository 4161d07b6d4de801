"""MetaWear: reference vectors (§1.5–1.7), command sequences, acc/gyro pairing, emulator."""

from __future__ import annotations

import math

import pytest

from analysis.errors import ConfigError
from sensors.families import metawear as mw
from sensors.families.base import G0_M_S2, ImuSample, StreamRequest


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# --- commands: byte vectors of the reference -----------------------------------------------


@pytest.mark.parametrize(
    ("chip", "rate", "range_g", "expected"),
    [
        ("bmi160", 100.0, 16, "03 03 28 0C"),
        ("bmi270", 100.0, 16, "03 03 A8 03"),
        ("bmi270", 100.0, 8, "03 03 A8 02"),  # BMI270 default
        ("bmi160", 100.0, 2, "03 03 28 03"),  # BMI160 default
        ("bmi160", 6.25, 2, "03 03 84 03"),  # < 12.5 Hz: bwp 0, undersampling 1
        ("bmi270", 6.25, 2, "03 03 24 00"),  # < 12.5 Hz: filter_perf 0
        ("bmi160", 1600.0, 4, "03 03 2C 05"),
    ],
)
def test_acc_config_vectors(chip, rate, range_g, expected):
    assert mw.acc_config_command(chip, rate, range_g) == h(expected)


def test_gyro_config_and_connection_vectors():
    assert mw.gyro_config_command(100.0, 2000) == h("13 03 28 00")
    assert mw.gyro_config_command(25.0, 125) == h("13 03 26 04")
    assert mw.connection_params_command() == h("11 09 06 00 06 00 00 00 58 02")
    assert mw.acc_start_command("bmi270", 6.25) == h("03 01 02")
    assert mw.acc_start_command("bmi270", 100.0) == h("03 01 01")
    assert mw.acc_start_command("bmi160", 6.25) == h("03 01 01")


@pytest.mark.parametrize(
    ("preset", "reps", "rate"),
    [
        ("low_power", "15 04 01 02", "15 03 00"),
        ("regular", "15 04 04 0E", "15 03 00"),
        ("enhanced", "15 04 07 1A", "15 03 00"),
        ("high_accuracy", "15 04 17 52", "15 03 05"),
    ],
)
def test_mag_presets(preset, reps, rate):
    assert mw.mag_preset_commands(preset) == (h(reps), h(rate))


def test_bad_command_parameters_raise_config_errors():
    with pytest.raises(ConfigError, match="accelerometer cannot run at 99 Hz"):
        mw.acc_config_command("bmi160", 99.0, 16)
    with pytest.raises(ConfigError, match="range ±3 g"):
        mw.acc_config_command("bmi160", 100.0, 3)
    with pytest.raises(ConfigError, match=r"gyro cannot run at 12\.5 Hz"):
        mw.gyro_config_command(12.5, 2000)
    with pytest.raises(ConfigError, match="preset"):
        mw.mag_preset_commands("turbo")


def _hex(writes) -> list[str]:
    return [w.data.hex(" ").upper() for w in writes]


def test_imu_plan_bmi160_matches_the_documented_sequence():
    config = mw.CODEC.configure(StreamRequest(100.0))
    plan = mw.CODEC.plan(config)
    assert plan.notify_uuids == (mw.NOTIFY_UUID,)
    assert all(w.char_uuid == mw.COMMAND_UUID and not w.with_response for w in plan.start)
    assert _hex(plan.start) == [
        "11 09 06 00 06 00 00 00 58 02",
        "03 03 28 0C",
        "13 03 28 00",
        "03 04 01",
        "13 05 01",
        "03 02 01 00",
        "13 02 01 00",
        "03 01 01",
        "13 01 01",
    ]
    assert _hex(plan.stop) == [
        "03 01 00",
        "13 01 00",
        "03 02 00 01",
        "13 02 00 01",
        "03 04 00",
        "13 05 00",
    ]


def test_imu_plan_bmi270_and_packed_variants():
    bmi270 = mw.CODEC.configure(StreamRequest(100.0, device_info={mw.MODEL_NUMBER_UUID: b"8"}))
    assert bmi270.chip == "bmi270"
    start = _hex(mw.CODEC.plan(bmi270).start)
    assert start[1] == "03 03 A8 03"
    assert start[3:5] == ["03 04 01", "13 04 01"]
    assert _hex(mw.CODEC.plan(bmi270).stop)[-1] == "13 04 00"
    packed160 = mw.CODEC.configure(
        StreamRequest(100.0, options={"packed": True, "connection_interval_s": None})
    )
    assert _hex(mw.CODEC.plan(packed160).start)[2:4] == ["03 1C 01", "13 07 01"]
    packed270 = mw.CODEC.configure(
        StreamRequest(100.0, device_info={"2a24": b"8"}, options={"packed": True})
    )
    assert _hex(mw.CODEC.plan(packed270).start)[3:5] == ["03 05 01", "13 05 01"]
    assert mw.CODEC.configure(
        StreamRequest(400.0)
    ).packed  # above 100 Hz packed registers by default


def test_fusion_plan_matches_the_sdk_test_sequence():
    plan = mw.fusion_plan("ndof")
    assert _hex(plan.start) == [
        "19 02 01 13",
        "03 03 28 0C",
        "13 03 28 00",
        "15 04 04 0E",
        "15 03 06",
        "19 07 01",
        "03 02 01 00",
        "13 02 01 00",
        "15 02 01 00",
        "03 01 01",
        "13 01 01",
        "15 01 01",
        "19 03 08 00",
        "19 01 01",
    ]
    assert _hex(plan.stop)[:8] == [
        "19 01 00",
        "19 03 00 7F",
        "03 01 00",
        "13 01 00",
        "15 01 00",
        "03 02 00 01",
        "13 02 00 01",
        "15 02 00 01",
    ]
    assert _hex(plan.stop)[8:] == ["19 07 00"]  # unsubscribe (the datasignal rule)
    imu_plus = mw.fusion_plan("imu_plus", outputs=("quaternion", "corrected_acc"))
    assert not any(x.startswith("15") for x in _hex(imu_plus.start) + _hex(imu_plus.stop))
    assert "19 03 09 00" in _hex(imu_plus.start)  # mask bits 0 and 3
    with pytest.raises(ConfigError, match="fusion outputs"):
        mw.fusion_plan(outputs=("heading",))


def test_fusion_heading_reset_and_calibration_read():
    assert mw.fusion_reset_orientation_command() == h("19 0F 01")
    assert mw.fusion_calibration_state_read() == h("19 8B")


def test_chip_from_model_number():
    assert mw.chip_from_model_number(b"8") == "bmi270"
    assert mw.chip_from_model_number("5") == "bmi160"
    assert mw.chip_from_model_number(b"6") == "bmi160"
    assert mw.chip_from_model_number(None) == "bmi160"


# --- notification vectors -------------------------------------------------------------------


def test_reference_decode_vectors():
    (acc,) = mw.decode_acc(h("03 04 16 C4 94 A2 2A D0"), 4)
    assert [round(a / G0_M_S2, 4) for a in acc] == [-1.8723, -2.9194, -1.4949]
    (gyr,) = mw.decode_gyro(h("13 05 3E 43 FF 7F 00 80"), 500)
    assert [round(math.degrees(g), 3) for g in gyr] == [262.409, 499.497, -499.512]
    assert mw.decode_mag(h("15 05 4E F0 53 0A 75 04")) == [(-251.125, 165.1875, 71.3125)]


def test_reference_fusion_vectors():
    q = mw.decode_fusion(h("19 07 1B 9B 70 3F 8C 5E 4D BD 07 7F 1D BE 78 02 9A BE"))
    assert q.kind == "quaternion"
    assert [round(c, 4) for c in q.values] == [0.9399, -0.0501, -0.1538, -0.3008]
    assert math.sqrt(sum(c * c for c in q.values)) == pytest.approx(1.0, abs=5e-5)
    acc = mw.decode_fusion(h("19 04 20 3E 53 C5 0C FE 79 46 0C FE 79 C6 00"))
    assert [round(a / G0_M_S2, 4) for a in acc.values] == [-3.3799, 15.9995, -15.9995]
    assert acc.accuracy == 0
    grav = mw.decode_fusion(h("19 09 EE 20 D3 3E B2 93 01 41 04 59 B0 C0"))
    assert [round(a / G0_M_S2, 3) for a in grav.values] == [0.042, 0.826, -0.562]
    with pytest.raises(ValueError, match="needs 18 bytes"):
        mw.decode_fusion(h("19 07 00 00"))


# --- decoder: pairing ----------------------------------------------------------------------


def test_decoder_pairs_acc_and_gyro_by_arrival_order():
    d = mw.CODEC.decoder(
        mw.CODEC.configure(StreamRequest(100.0, options={"acc_range_g": 4, "gyr_range_dps": 500}))
    )
    assert d.feed(mw.NOTIFY_UUID, h("03 04 16 C4 94 A2 2A D0"), 1_000) == []
    (s,) = d.feed(mw.NOTIFY_UUID, h("13 05 3E 43 FF 7F 00 80"), 3_000)
    assert s.acc_m_s2 is not None
    assert s.gyr_rad_s is not None
    assert s.acc_m_s2[0] / G0_M_S2 == pytest.approx(-1.8723, abs=5e-5)
    assert math.degrees(s.gyr_rad_s[1]) == pytest.approx(499.497, abs=5e-4)
    assert s.host_rx_ns == 1_000  # the earlier receipt
    assert s.device_time_s is None
    assert s.device_ticks is None
    assert d.counts() == {
        "packets": 2,
        "samples": 1,
        "corrupt": 0,
        "truncated": 0,
        "unknown": 0,
        "unpaired": 0,
    }


def test_decoder_drops_a_sample_whose_partner_is_far_away():
    d = mw.CODEC.decoder(mw.CODEC.configure(StreamRequest(100.0, options={"max_skew_s": 0.05})))
    d.feed(mw.NOTIFY_UUID, h("03 04 00 00 00 00 00 08"), 0)  # acc at t = 0
    out = d.feed(mw.NOTIFY_UUID, h("03 04 00 00 00 00 00 08"), 200_000_000)  # acc at 0.2 s
    out += d.feed(mw.NOTIFY_UUID, h("13 05 00 00 00 00 00 00"), 201_000_000)  # gyro at 0.201 s
    assert len(out) == 1
    assert out[0].host_rx_ns == 200_000_000
    assert d.unpaired == 1
    d.feed(mw.NOTIFY_UUID, h("13 05 00 00 00 00 00 00"), 300_000_000)
    d.flush()
    assert d.unpaired == 2


def test_decoder_handles_packed_notifications():
    d = mw.CODEC.decoder(mw.CODEC.configure(StreamRequest(100.0, options={"packed": True})))
    acc = h("03 1C") + bytes(range(18))
    gyr = h("13 07") + bytes(18)
    assert d.feed(mw.NOTIFY_UUID, acc, 5) == []
    out = d.feed(mw.NOTIFY_UUID, gyr, 6)
    assert len(out) == 3
    assert out[1].acc_m_s2[0] == pytest.approx(
        int.from_bytes(bytes([6, 7]), "little") * G0_M_S2 / 2048
    )


def test_decoder_counts_bad_notifications():
    d = mw.CODEC.decoder(mw.CODEC.configure(StreamRequest(100.0)))
    d.feed(mw.NOTIFY_UUID, h("03"), 0)  # truncated header
    d.feed(mw.NOTIFY_UUID, h("03 04 00 00"), 0)  # truncated acc
    d.feed(mw.NOTIFY_UUID, h("03 04") + bytes(8), 0)  # too long
    d.feed(mw.NOTIFY_UUID, h("04 01 02"), 0)  # temperature: not streamed
    d.feed(mw.COMMAND_UUID, h("03 04") + bytes(6), 0)  # wrong characteristic
    assert d.feed(mw.NOTIFY_UUID, h("03 80 01 01"), 0) == []  # a read reply: not data
    assert (d.truncated, d.corrupt, d.unknown, d.samples) == (2, 1, 2, 0)
    assert mw.COMMAND_UUID in (d.last_error or "")


# --- emulator ------------------------------------------------------------------------------


def test_emulator_streams_only_when_configured_subscribed_enabled_and_powered(samples_at):
    e = mw.CODEC.emulator()
    e.set_notify(mw.NOTIFY_UUID, True)
    plan = mw.CODEC.plan(mw.CODEC.configure(StreamRequest(50.0)))
    t = 10.0
    heads = []
    for w in plan.start:
        e.write(w.char_uuid, w.data)
        heads.append([n.payload[:2].hex() for n in e.encode(samples_at(1, 50.0, t0_s=t))])
        t += 0.02
    # only after "03 01 01" (acc power) does acc flow, gyro after "13 01 01"
    assert heads == [[]] * 7 + [["0304"], ["0304", "1305"]]
    assert e.rate_hz == 50.0
    for w in plan.stop:
        e.write(w.char_uuid, w.data)
    assert e.rate_hz is None
    assert e.encode(samples_at(3, 50.0, t0_s=t)) == []
    assert e.log == []


def test_rate_gate_restarts_when_the_device_clock_goes_back(samples_at, link_to):
    link = link_to(mw.CODEC, options={"rate_hz": 50.0})
    assert len(link.send(samples_at(5, 50.0, t0_s=100.0))) == 5
    assert len(link.send(samples_at(5, 50.0, t0_s=1.0))) == 5


def test_emulator_answers_module_discovery_and_logs_unknown_commands():
    e = mw.MetaWearEmulator(chip="bmi270")
    assert e.read(mw.MODEL_NUMBER_UUID) == b"8"
    assert e.write(mw.COMMAND_UUID, h("03 80")) == []  # notifications not enabled yet
    e.set_notify(mw.NOTIFY_UUID, True)
    (reply,) = e.write(mw.COMMAND_UUID, h("03 80"))
    assert reply.payload == h("03 80 04 01")
    (reply,) = e.write(mw.COMMAND_UUID, h("13 80"))
    assert reply.payload == h("13 80 01 01")
    (reply,) = e.write(mw.COMMAND_UUID, h("12 80"))
    assert reply.payload == h("12 80")  # module absent
    assert e.write(mw.COMMAND_UUID, h("19 01 01")) == []
    assert e.log
    assert "19" in e.log[-1]


def test_emulator_decimates_to_the_configured_rate(link_to, samples_at):
    link = link_to(mw.CODEC, options={"rate_hz": 25.0})
    out = link.send(samples_at(100, 100.0))
    assert len(out) == 25
    assert [s.acc_m_s2 for s in out][:2] == [
        pytest.approx((0.0, 0.0, 9.80665), abs=G0_M_S2 / 2048)
    ] * 2


def test_sample_with_nan_cannot_be_encoded(link_to):
    link = link_to(mw.CODEC)
    bad = ImuSample(device_time_s=1.0, acc_m_s2=(math.nan, 0.0, 0.0), gyr_rad_s=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="NaN"):
        link.emulator.encode([bad])
