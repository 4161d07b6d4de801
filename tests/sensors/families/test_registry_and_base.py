"""Registry, advertisement identification, GATT specs and the shared helpers of base.py."""

from __future__ import annotations

import math
import struct
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.errors import ConfigError
from sensors.families import CODECS, codec_for, identify
from sensors.families.base import (
    Decoder,
    DecoderBase,
    DeviceEmulator,
    Family,
    FamilyCodec,
    ImuSample,
    RateGate,
    StreamPairer,
    StreamRequest,
    WrapUnwrapper,
    nearest_rate,
    normalize_uuid,
    quantize,
)


def test_every_family_has_a_codec_that_fits_the_protocols():
    assert set(CODECS) == set(Family)
    for family, codec in CODECS.items():
        assert isinstance(codec, FamilyCodec)
        assert codec.spec.family is family
        config = codec.configure()
        assert config.rate_hz in codec.spec.rates_hz or family is Family.THINGY52
        assert isinstance(codec.decoder(config), Decoder)
        emulator = codec.emulator()
        assert isinstance(emulator, DeviceEmulator)
        assert emulator.family is family


def test_codec_for_accepts_names_and_rejects_unknown_ones():
    assert codec_for("movesense") is CODECS[Family.MOVESENSE]
    assert codec_for(Family.POLAR_PMD) is CODECS[Family.POLAR_PMD]
    with pytest.raises(ConfigError, match=r"unknown sensor family 'fitbit'.*metawear"):
        codec_for("fitbit")


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("MetaWear", Family.METAWEAR),
        ("MetaMotion S", Family.METAWEAR),
        ("Movesense 174630000192", Family.MOVESENSE),
        ("WT901BLE68", Family.WITMOTION),
        ("WT9011DCL", Family.WITMOTION),
        ("BWT901BLECL5.0", Family.WITMOTION),
        ("Movella DOT", Family.MOVELLA_DOT),
        ("Xsens DOT", Family.MOVELLA_DOT),
        ("Thingy", Family.THINGY52),
        ("Polar Sense B5A3F32C", Family.POLAR_PMD),
        ("Polar OH1 1A2B3C4D", Family.POLAR_PMD),
        ("Polar H10 12345678", None),
        ("MovesenseX", None),
        ("iPhone", None),
        ("", None),
        (None, None),
    ],
)
def test_identify_by_name(name, family):
    assert identify(name) is family


def test_identify_by_service_uuid_wins_and_uses_full_128_bit_strings():
    for family, codec in CODECS.items():
        for uuid in codec.spec.advertised_service_uuids:
            assert identify(None, [uuid.upper()]) is family
            assert identify("renamed by the user", [uuid]) is family
    # WitMotion's base differs from the SIG base in one digit: the SIG form is not WitMotion
    assert identify(None, ["0000ffe5-0000-1000-8000-00805f9b34fb"]) is None
    assert identify(None, ["ffe5"]) is None
    assert identify(None, ["not-a-uuid"]) is None


def test_specs_are_consistent():
    for family, codec in CODECS.items():
        spec = codec.spec
        chars = spec.characteristics()
        for u in spec.notify_uuids:
            assert chars[u].properties & {"notify", "indicate"}, (family, u)
        for u in spec.control_uuids:
            assert chars[u].properties & {"write", "write-without-response"}, (family, u)
        for u in spec.info_read_uuids:
            assert "read" in chars[u].properties, (family, u)
        services = {s.uuid for s in spec.services}
        assert set(spec.advertised_service_uuids) <= services, family
        assert spec.matches_name(spec.example_name), family
        assert spec.default_rate_hz in spec.rates_hz, family
        assert spec.has_device_time == (spec.device_tick_hz is not None), family
        for c in chars.values():
            assert c.uuid == normalize_uuid(c.uuid)
        # the plan only touches characteristics the profile has
        plan = codec.plan(codec.configure())
        assert set(plan.notify_uuids) <= set(spec.notify_uuids), family
        for w in (*plan.start, *plan.stop):
            assert w.char_uuid in spec.control_uuids, family
        with pytest.raises(KeyError, match=family.value):
            spec.char("00000000-0000-1000-8000-00805f9b34fb")


def test_the_codecs_import_no_ble_stack():
    code = (
        "import sys, sensors.families\n"
        "print(','.join(m for m in ('bleak', 'bumble', 'asyncio') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_normalize_uuid():
    assert normalize_uuid("2A24") == "00002a24-0000-1000-8000-00805f9b34fb"
    assert normalize_uuid("0000FFE4-0000-1000-8000-00805F9A34FB") == (
        "0000ffe4-0000-1000-8000-00805f9a34fb"
    )
    with pytest.raises(ValueError, match="not a Bluetooth UUID"):
        normalize_uuid("xyz")


def test_nearest_rate():
    rates = (13.0, 26.0, 52.0, 104.0)
    assert nearest_rate(100, rates, default=52.0) == 104.0
    assert nearest_rate(None, rates, default=52.0) == 52.0
    assert nearest_rate(39.0, rates, default=52.0) == 52.0  # tie → the higher
    for bad in (0.0, -5.0, math.nan, math.inf):
        with pytest.raises(ConfigError, match="positive"):
            nearest_rate(bad, rates, default=52.0)


def test_configure_rejects_what_a_family_cannot_stream():
    with pytest.raises(ConfigError, match="MetaWear"):
        CODECS[Family.METAWEAR].configure(StreamRequest(with_mag=True))
    with pytest.raises(ConfigError, match="Movesense"):
        CODECS[Family.MOVESENSE].configure(StreamRequest(with_quat=True))
    with pytest.raises(ConfigError, match="WitMotion"):
        CODECS[Family.WITMOTION].configure(StreamRequest(with_quat=True))
    with pytest.raises(ConfigError, match="DOT"):
        CODECS[Family.MOVELLA_DOT].configure(StreamRequest(with_quat=True, with_mag=True))
    with pytest.raises(ConfigError, match="Polar"):
        CODECS[Family.POLAR_PMD].configure(StreamRequest(with_quat=True))
    with pytest.raises(ConfigError, match="expected a Movesense"):
        CODECS[Family.MOVESENSE].decoder(CODECS[Family.POLAR_PMD].configure())


@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=50))
def test_wrap_unwrapper_is_monotonic_over_forward_steps(steps):
    unwrap = WrapUnwrapper(2**32)
    raw = 2**32 - 1000
    prev = unwrap(raw)
    for step in steps:
        step = step % 2**31  # forward steps shorter than half the modulus
        raw = (raw + step) % 2**32
        value = unwrap(raw)
        assert value - prev == step
        prev = value


def test_wrap_unwrapper_maps_a_late_packet_to_the_previous_cycle():
    unwrap = WrapUnwrapper(2**32)
    assert unwrap(2**32 - 10) == 2**32 - 10
    assert unwrap(5) == 2**32 + 5
    assert unwrap(2**32 - 3) == 2**32 - 3  # reordered, from before the wrap
    assert unwrap(20) == 2**32 + 20


def _s(t: float, stream: str) -> ImuSample:
    vec = (t, 0.0, 0.0)
    if stream == "acc":
        return ImuSample(device_time_s=t, host_rx_ns=int(t * 1e9), acc_m_s2=vec)
    return ImuSample(device_time_s=t, host_rx_ns=int(t * 1e9), gyr_rad_s=vec)


def test_stream_pairer_merges_equal_times_and_drops_orphans():
    p = StreamPairer(time_of="device", tolerance=0.004)
    assert p.push("acc", [_s(0.00, "acc"), _s(0.01, "acc"), _s(0.02, "acc")]) == []
    # gyro sample 0.01 was lost
    out = p.push("gyr", [_s(0.00, "gyr"), _s(0.02, "gyr")])
    assert [s.device_time_s for s in out] == [0.00, 0.02]
    assert all(s.acc_m_s2 and s.gyr_rad_s for s in out)
    assert p.unpaired == 1
    assert p.pending() == {"acc": 0, "gyr": 0}
    p.push("acc", [_s(0.03, "acc")])
    assert p.drain() == 1
    assert p.unpaired == 2


def test_stream_pairer_bounds_its_queues():
    p = StreamPairer(time_of="host", tolerance=0.1, max_queue=8)
    p.push("acc", [_s(i / 100, "acc") for i in range(20)])
    assert p.pending()["acc"] == 8
    assert p.unpaired == 12


def test_rate_gate_decimates_by_device_time():
    gate = RateGate(50.0)
    passed = [i for i in range(100) if gate(i / 100.0)]
    assert passed == list(range(0, 100, 2))
    gate = RateGate(52.0)
    assert sum(gate(i / 104.0) for i in range(1040)) == 520
    slow = RateGate(100.0)
    assert all(slow(i / 10.0) for i in range(10))  # slower input: every sample passes


def test_quantize_rounds_and_saturates():
    assert quantize(1.26, 0.5) == 3
    assert quantize(1e9, 1.0) == 32767
    assert quantize(-1e9, 1.0) == -32768
    assert quantize(math.inf, 1.0, bits=8) == 127
    assert quantize(300.0, 1.0, bits=8, signed=False) == 255
    with pytest.raises(ValueError, match="NaN"):
        quantize(math.nan, 1.0)


def test_decoder_base_counts_low_level_parse_errors_instead_of_raising():
    class Strict(DecoderBase):
        family = Family.METAWEAR

        def _decode(self, char_uuid, payload, host_rx_ns):
            struct.unpack("<I", payload)
            return []

    d = Strict()
    assert d.feed("2a24", b"\x00", 1) == []
    assert d.counts()["corrupt"] == 1
    assert "unpack requires" in (d.last_error or "")
