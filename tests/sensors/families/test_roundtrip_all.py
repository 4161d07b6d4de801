"""Every family: encode → decode round trips within one LSB, and garbage never raises.

The device emulator encodes random samples within the wire format's range; the client
decoder (configured by the same codec) must return them in order, each component within
half a quantisation step (integer formats) or equal to the float32 value sent (float
formats), with device time where the family has it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensors.families import CODECS
from sensors.families.base import DEG_TO_RAD, G0_M_S2, LIMIT_MARGIN, Family, ImuSample

WRAP_S = {Family.MOVESENSE: 2**32 * 1e-3, Family.MOVELLA_DOT: 2**32 * 1e-6, Family.POLAR_PMD: 2**64}
G = G0_M_S2
DPS = DEG_TO_RAD


@dataclass(frozen=True)
class Case:
    """One family configuration and the resolution of its wire format (SI units)."""

    family: Family
    config: dict[str, Any] = field(default_factory=dict)
    emulator: dict[str, Any] = field(default_factory=dict)
    acc: tuple[float, float] | None = None  # (max |value|, LSB); LSB 0 = float32
    gyr: tuple[float, float] | None = None
    mag: tuple[float, float] | None = None
    time_tol_s: float | None = None  # None: no device time
    per_packet: int = 1

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in {**self.config, **self.emulator}.items())
        return f"{self.family.value}[{extra}]"


CASES = [
    Case(Family.METAWEAR, acc=(15.9 * G, G / 2048), gyr=(1990 * DPS, DPS / 16.4)),
    Case(
        Family.METAWEAR,
        {"packed": True},
        {"chip": "bmi270"},
        acc=(15.9 * G, G / 2048),
        gyr=(1990 * DPS, DPS / 16.4),
        per_packet=3,
    ),
    Case(
        Family.METAWEAR,
        {"rate_hz": 50, "acc_range_g": 4, "gyr_range_dps": 500},
        acc=(3.9 * G, G / 8192),
        gyr=(499 * DPS, DPS / 65.6),
    ),
    Case(Family.MOVESENSE, acc=(160.0, 0), gyr=(2000 * DPS, 0), time_tol_s=5e-4, per_packet=8),
    Case(
        Family.MOVESENSE,
        {"with_mag": True, "rate_hz": 52},
        acc=(160.0, 0),
        gyr=(2000 * DPS, 0),
        mag=(1000.0, 0),
        time_tol_s=5e-4,
        per_packet=4,
    ),
    Case(
        Family.WITMOTION,
        acc=(15.9 * G, 16 * G / 32768),
        gyr=(1990 * DPS, 2000 * DPS / 32768),
    ),
    Case(
        Family.WITMOTION,
        {},
        {"chunk_size": 7},
        acc=(15.9 * G, 16 * G / 32768),
        gyr=(1990 * DPS, 2000 * DPS / 32768),
        per_packet=20,  # 7-byte chunks: a frame completes within at most 4 notifications
    ),
    Case(Family.MOVELLA_DOT, acc=(160.0, 0), gyr=(2000 * DPS, 0), time_tol_s=5e-7),
    Case(
        Family.MOVELLA_DOT,
        {"with_quat": True, "rate_hz": 30},
        acc=(160.0, 0),
        gyr=(2000 * DPS, 0),
        time_tol_s=5e-7,
    ),
    Case(
        Family.MOVELLA_DOT,
        {"with_mag": True, "mag_au_to_ut": 50.0},
        {"mag_field_ut": 50.0},
        acc=(160.0, 0),
        gyr=(2000 * DPS, 0),
        mag=(300.0, 50.0 / 4096),
        time_tol_s=5e-7,
    ),
    Case(
        Family.THINGY52,
        acc=(31.9 * G, G / 1024),
        gyr=(1020 * DPS, DPS / 32),
        mag=(2040.0, 1 / 16),
    ),
    Case(
        Family.THINGY52,
        {"with_quat": True, "rate_hz": 50},
        acc=(31.9 * G, G / 1024),
        gyr=(1020 * DPS, DPS / 32),
        mag=(2040.0, 1 / 16),
    ),
    Case(
        Family.POLAR_PMD,
        acc=(7.99 * G, 8 * G / 32768),
        gyr=(1999 * DPS, 2000 * DPS / 32768),
        time_tol_s=2e-9,
        per_packet=13,
    ),
    Case(
        Family.POLAR_PMD,
        {"rate_hz": 104, "acc_range_g": 16, "gyr_range_dps": 250},
        {"acc_frame_type": 0x80, "gyr_frame_type": 0x81, "samples_per_frame": 9},
        acc=(15.99 * G, 16 * G / 32768),
        gyr=(249 * DPS, 0),
        time_tol_s=2e-9,
        per_packet=9,
    ),
    Case(
        Family.POLAR_PMD,
        {},
        {"acc_frame_type": 0x01, "samples_per_frame": 5},
        acc=(32.0 * G, G / 1000),  # raw i16 frames in whole mG
        gyr=(1999 * DPS, 2000 * DPS / 32768),
        time_tol_s=2e-9,
        per_packet=5,
    ),
]


def _vectors(limit: float, n: int) -> st.SearchStrategy[list[tuple[float, float, float]]]:
    comp = st.floats(-limit, limit, allow_nan=False, allow_infinity=False)
    return st.lists(st.tuples(comp, comp, comp), min_size=n, max_size=n)


def _unit_quats(n: int) -> st.SearchStrategy[list[tuple[float, float, float, float]]]:
    comp = st.floats(-1.0, 1.0, allow_nan=False)

    def norm(q: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        s = math.sqrt(sum(c * c for c in q))
        return (1.0, 0.0, 0.0, 0.0) if s < 1e-3 else (q[0] / s, q[1] / s, q[2] / s, q[3] / s)

    return st.lists(st.tuples(comp, comp, comp, comp).map(norm), min_size=n, max_size=n)


def _check(decoded: tuple[float, ...] | None, sent: tuple[float, ...], spec, what: str) -> None:
    assert decoded is not None, what
    _, lsb = spec
    for d, s in zip(decoded, sent, strict=True):
        if lsb == 0:  # float32 on the wire (gyro travels in dps)
            scale = DPS if what == "gyr" else 1.0
            expect = float(np.float32(s / scale)) * scale
            assert d == pytest.approx(expect, rel=1e-12, abs=1e-300), what
        else:
            assert abs(d - s) <= 0.5 * lsb * (1 + 1e-9) + 1e-12, (what, d, s, lsb)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_encode_decode_round_trip(case: Case, data, link_to):
    codec = CODECS[case.family]
    link = link_to(codec, options=case.config, **case.emulator)
    config = link.config
    rate = link.emulator.rate_hz
    assert rate == config.rate_hz
    n = 2 * case.per_packet
    # within what the wire carries and the sensor's full scale (the decoder drops the rest)
    lim = link.decoder.limits
    acc_max = min(case.acc[0], lim.acc_m_s2 / LIMIT_MARGIN) if case.acc else 0.0
    gyr_max = min(case.gyr[0], lim.gyr_rad_s / LIMIT_MARGIN) if case.gyr else 0.0
    mag_max = min(case.mag[0], lim.mag_ut / LIMIT_MARGIN) if case.mag else 0.0
    acc = data.draw(_vectors(acc_max, n)) if case.acc else [(0.0, 0.0, 0.0)] * n
    gyr = data.draw(_vectors(gyr_max, n)) if case.gyr else [(0.0, 0.0, 0.0)] * n
    mag = data.draw(_vectors(mag_max, n)) if case.mag else [(0.0, 0.0, 0.0)] * n
    quat = data.draw(_unit_quats(n))
    t0 = data.draw(st.floats(0.0, 1e5))
    sent = [
        ImuSample(
            device_time_s=t0 + i / rate,
            acc_m_s2=acc[i],
            gyr_rad_s=gyr[i],
            mag_ut=mag[i],
            quat_wxyz=quat[i],
        )
        for i in range(n)
    ]
    got = link.send(sent)
    got += link.stop()
    assert n - case.per_packet < len(got) <= n
    assert link.decoder.counts()["corrupt"] == 0
    assert link.decoder.counts()["unpaired"] == 0
    for s_in, s_out in zip(sent, got, strict=False):
        if case.acc:
            _check(s_out.acc_m_s2, s_in.acc_m_s2, case.acc, "acc")
        if case.gyr:
            _check(s_out.gyr_rad_s, s_in.gyr_rad_s, case.gyr, "gyr")
        if case.mag:
            _check(s_out.mag_ut, s_in.mag_ut, case.mag, "mag")
        if config.with_quat and s_out.quat_wxyz is not None:
            tol = 2**-30 if case.family is Family.THINGY52 else 1e-7
            assert all(
                abs(a - b) <= tol for a, b in zip(s_out.quat_wxyz, s_in.quat_wxyz, strict=True)
            )
        if case.time_tol_s is None:
            assert s_out.device_time_s is None
        else:
            # the clock arrives modulo its wrap (u32 µs on DOT: 4295 s); unwrapped after that
            wrap_s = WRAP_S[case.family]
            err = (s_out.device_time_s - s_in.device_time_s) % wrap_s
            # half a tick, plus float64's resolution at the times compared (a 0.08-ns excess
            # once failed a bare 0.5-ms bound)
            resolution_s = 4 * math.ulp(max(abs(s_in.device_time_s), abs(s_out.device_time_s)))
            assert min(err, wrap_s - err) <= case.time_tol_s + resolution_s
    times = [s.device_time_s for s in got]
    if case.time_tol_s is not None:
        assert all(b > a for a, b in itertools.pairwise(times))


@pytest.mark.parametrize("family", list(Family), ids=lambda f: f.value)
@settings(max_examples=150, deadline=None)
@given(
    packets=st.lists(
        st.tuples(st.integers(0, 3), st.binary(min_size=0, max_size=200)), min_size=1, max_size=12
    )
)
def test_garbage_is_counted_never_raised(family, packets):
    codec = CODECS[family]
    decoder = codec.decoder(codec.configure())
    uuids = [*codec.spec.notify_uuids, "00002a37-0000-1000-8000-00805f9b34fb"]
    out = []
    for which, payload in packets:
        out += decoder.feed(uuids[which % len(uuids)], payload, 1)
    out += decoder.flush()
    counts = decoder.counts()
    assert counts["packets"] == len(packets)
    assert counts["samples"] == len(out)
    for s in out:
        for vec in (s.acc_m_s2, s.gyr_rad_s, s.mag_ut, s.quat_wxyz):
            assert vec is None or all(math.isfinite(v) for v in vec)


@pytest.mark.parametrize("family", list(Family), ids=lambda f: f.value)
def test_truncated_notifications_are_counted(family, link_to, samples_at):
    """Cut every real data notification short: no exception, fewer samples, all accounted."""
    codec = CODECS[family]
    link = link_to(codec)
    config = link.config
    link.send(samples_at(60, link.emulator.rate_hz))
    data = [n for n in link.sent if n.char_uuid != codec.spec.control_uuids[0]]
    data = [n for n in data if len(n.payload) > 2]
    assert data
    decoder = codec.decoder(config)
    for n in data:
        decoder.feed(n.char_uuid, n.payload[: len(n.payload) // 2], 1)
    decoder.flush()
    c = decoder.counts()
    assert c["packets"] == len(data)
    assert c["samples"] < 60
    assert c["truncated"] + c["corrupt"] + c["unknown"] + c["unpaired"] > 0
