"""Movesense (Suunto) over the GATT SensorData Protocol (GSP): commands, decoder, emulator.

Reference: sensor-protocols.md §2 (movesense-device-lib ``gatt_sensordata_app`` sources and
its official python client). The client writes ``[op][ref][…]`` to the command
characteristic; the sensor answers and streams on the data characteristic:
``01 ref …`` command result, ``02 ref data`` (first ≤ 150 bytes of the value) and
``03 ref rest`` (DATA_PART2, the remainder). Values are SBEM-serialised: ``u32 timestamp``
(ms, sensor clock, time of the **first** sample) then N × f32 x,y,z per block (IMU6: N acc
vectors then N gyro vectors; IMU9: + N magn vectors). N is derived from the length.

Per-sample device time: ``timestamp + i × 1000 / rate`` ms (official client rule), u32 wraps
unwrapped. Samples per notification other than IMU9@104 Hz (8, verified) are UNVERIFIED;
the emulator sends 8 per packet by default at ≥ 104 Hz and proportionally fewer below.
The command-result status bytes other than ``01 FB`` (507, no free subscription slot) are
UNVERIFIED: the emulator answers 200 (``00 C8``, big-endian) for success and 404 for an
unknown resource. DATA_PART3 (``04``) is accepted by the decoder (UNVERIFIED usage).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from analysis.errors import ConfigError
from sensors.families.base import (
    DEFAULT_REQUEST,
    DEG_TO_RAD,
    CharSpec,
    CodecBase,
    DecoderBase,
    EmulatorBase,
    Family,
    FamilySpec,
    GattWrite,
    ImuSample,
    Notification,
    RateGate,
    ServiceSpec,
    StreamConfig,
    StreamPlan,
    StreamRequest,
    Vec3,
    WrapUnwrapper,
    nearest_rate,
)

SERVICE_UUID: Final = "34802252-7185-4d5d-b431-630e7050e8f0"
COMMAND_UUID: Final = "34800001-7185-4d5d-b431-630e7050e8f0"
DATA_UUID: Final = "34800002-7185-4d5d-b431-630e7050e8f0"

# command op codes (client → sensor)
HELLO: Final = 0x00
SUBSCRIBE: Final = 0x01
UNSUBSCRIBE: Final = 0x02
FETCH_LOG: Final = 0x03
# notification types (sensor → client)
COMMAND_RESULT: Final = 0x01
DATA: Final = 0x02
DATA_PART2: Final = 0x03
DATA_PART3: Final = 0x04

PART_PAYLOAD_BYTES: Final = 150
"""A DATA part carries at most 150 value bytes; a part this long means more parts follow."""
MAX_SUBSCRIPTIONS: Final = 4
STATUS_OK: Final = 200
STATUS_NOT_FOUND: Final = 404
STATUS_NO_SLOT: Final = 507

RESOURCE_BLOCKS: Final = {
    "Acc": ("acc",),
    "Gyro": ("gyr",),
    "Magn": ("mag",),
    "IMU6": ("acc", "gyr"),
    "IMU6m": ("acc", "mag"),
    "IMU9": ("acc", "gyr", "mag"),
}
"""Measurement resources and their vector blocks, in wire order."""

IMU_RATES_HZ: Final = (13.0, 26.0, 52.0, 104.0, 208.0, 416.0)
"""Commonly used IMU rates (UNVERIFIED from the API yaml; not queryable over GSP)."""

TIMESTAMP_MODULUS: Final = 1 << 32
"""The u32 ms timestamp wraps after 2^32 ms (≈ 49.7 days)."""

SPEC: Final = FamilySpec(
    family=Family.MOVESENSE,
    title="Movesense (GATT SensorData Protocol)",
    services=(
        ServiceSpec(
            SERVICE_UUID,
            "GATT SensorData Protocol",
            (
                CharSpec(
                    COMMAND_UUID,
                    frozenset({"write", "write-without-response"}),
                    "commands [op][ref][resource path]",
                ),
                CharSpec(DATA_UUID, frozenset({"notify"}), "command results and data"),
            ),
        ),
    ),
    advertised_service_uuids=(SERVICE_UUID,),
    name_patterns=(r"Movesense( |$)",),
    example_name="Movesense 174630000192",
    notify_uuids=(DATA_UUID,),
    control_uuids=(COMMAND_UUID,),
    has_device_time=True,
    device_tick_hz=1000.0,
    rates_hz=IMU_RATES_HZ,
    default_rate_hz=104.0,
    min_att_mtu=155,
)


# --- commands -------------------------------------------------------------------------------


def resource_path(resource: str, rate_hz: float) -> str:
    """``/Meas/{resource}/{rate}``, e.g. ``/Meas/IMU6/104``."""
    if resource not in RESOURCE_BLOCKS:
        raise ConfigError(f"Movesense resource {resource!r} unknown; use {list(RESOURCE_BLOCKS)}")
    if rate_hz != int(rate_hz):
        raise ConfigError(f"Movesense rates are whole Hz, got {rate_hz!r}")
    return f"/Meas/{resource}/{int(rate_hz)}"


def _check_ref(ref: int) -> None:
    if not 1 <= ref <= 255:
        raise ConfigError(f"GSP client reference must be 1..255, got {ref}")


def subscribe_command(ref: int, path: str) -> bytes:
    """``01 ref <ASCII path>`` (no terminator, ≤ 160 bytes)."""
    _check_ref(ref)
    raw = path.encode("ascii")
    if len(raw) > 160:
        raise ConfigError(f"GSP resource path longer than 160 bytes: {path!r}")
    return bytes([SUBSCRIBE, ref]) + raw


def unsubscribe_command(ref: int) -> bytes:
    """``02 ref``."""
    _check_ref(ref)
    return bytes([UNSUBSCRIBE, ref])


def hello_command(ref: int) -> bytes:
    """``00 ref``; the sensor answers ``01 ref 'Hello'``."""
    _check_ref(ref)
    return bytes([HELLO, ref])


@dataclass(frozen=True, kw_only=True)
class MovesenseConfig(StreamConfig):
    """One GSP subscription: ``resource`` (IMU6, IMU9, …) at ``rate_hz`` with client ``ref``."""

    family: ClassVar[Family] = Family.MOVESENSE
    resource: str = "IMU6"
    ref: int = 99

    @property
    def path(self) -> str:
        """The subscribed Whiteboard path, e.g. ``/Meas/IMU6/104``."""
        return resource_path(self.resource, self.rate_hz)


def plan(config: MovesenseConfig) -> StreamPlan:
    """Enable notifications on the data characteristic, subscribe; unsubscribe to stop."""
    return StreamPlan(
        (DATA_UUID,),
        (GattWrite(COMMAND_UUID, subscribe_command(config.ref, config.path)),),
        (GattWrite(COMMAND_UUID, unsubscribe_command(config.ref)),),
    )


# --- payloads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasValue:
    """One reassembled measurement value: timestamp (ms, u32 as sent) and N vectors per block."""

    timestamp_ms: int
    blocks: dict[str, list[Vec3]]

    @property
    def n(self) -> int:
        """Samples in the value."""
        return len(next(iter(self.blocks.values()))) if self.blocks else 0


def parse_value(value: bytes, resource: str) -> MeasValue:
    """Parse a reassembled value (after ``[type][ref]``) of ``resource``.

    ValueError if its length does not fit ``4 + N × 12 × blocks`` with N ≥ 1.
    """
    blocks = RESOURCE_BLOCKS[resource]
    per = 12 * len(blocks)
    if len(value) < 4 + per or (len(value) - 4) % per:
        raise ValueError(
            f"{resource} value of {len(value)} bytes is not 4 + N × {per} (N ≥ 1 samples)"
        )
    n = (len(value) - 4) // per
    (ts,) = struct.unpack_from("<I", value, 0)
    floats = struct.unpack_from(f"<{3 * n * len(blocks)}f", value, 4)
    out: dict[str, list[Vec3]] = {}
    for b, name in enumerate(blocks):
        base = 3 * n * b
        out[name] = [
            (floats[base + 3 * i], floats[base + 3 * i + 1], floats[base + 3 * i + 2])
            for i in range(n)
        ]
    return MeasValue(ts, out)


def build_value(timestamp_ms: int, blocks: Mapping[str, list[Vec3]], resource: str) -> bytes:
    """Serialise a value of ``resource`` (inverse of :func:`parse_value`)."""
    names = RESOURCE_BLOCKS[resource]
    n = len(blocks[names[0]])
    if any(len(blocks[b]) != n for b in names):
        raise ValueError("every block needs the same number of vectors")
    flat = [c for b in names for v in blocks[b] for c in v]
    return struct.pack(f"<I{len(flat)}f", timestamp_ms % TIMESTAMP_MODULUS, *flat)


def split_value(ref: int, value: bytes) -> list[bytes]:
    """The notifications carrying ``value``.

    ``02 ref`` the first 150 bytes, ``03 ref`` the next 150, ``04 ref`` the rest (PART3,
    UNVERIFIED); values over 450 bytes raise ValueError.
    """
    if len(value) > 3 * PART_PAYLOAD_BYTES:
        raise ValueError(f"value of {len(value)} bytes needs more than 3 GSP parts")
    parts = [value[i : i + PART_PAYLOAD_BYTES] for i in range(0, len(value), PART_PAYLOAD_BYTES)]
    return [bytes([DATA + k, ref]) + p for k, p in enumerate(parts)]


# --- decoder --------------------------------------------------------------------------------


class MovesenseDecoder(DecoderBase):
    """GSP notifications → samples with device time (DATA/PART2 reassembly, u32 ms unwrap).

    A DATA part of exactly 150 value bytes waits for its PART2 (and a 150-byte PART2 for a
    PART3); a new DATA while a value is incomplete counts the incomplete one as truncated, a
    PART2 without its DATA is corrupt. Command results are kept in ``results`` (ref, bytes)
    and are not samples; data for another client reference is unknown.
    """

    family = Family.MOVESENSE

    def __init__(self, config: MovesenseConfig) -> None:
        super().__init__()
        self.config = config
        self._pending: bytearray | None = None
        self._next_part = DATA
        self._unwrap = WrapUnwrapper(TIMESTAMP_MODULUS)
        self.results: list[tuple[int, bytes]] = []

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        if char_uuid != DATA_UUID:
            raise self._unknown(payload, f"notification on {char_uuid}, expected {DATA_UUID}")
        if len(payload) < 2:
            raise self._truncated(payload, "shorter than the 2-byte [type][ref] header")
        kind, ref, body = payload[0], payload[1], payload[2:]
        if kind == COMMAND_RESULT:
            self.results.append((ref, body))
            return []
        if kind not in (DATA, DATA_PART2, DATA_PART3):
            raise self._unknown(payload, f"unknown GSP notification type {kind:#04x}")
        if ref != self.config.ref:
            raise self._unknown(payload, f"data for reference {ref}, subscribed {self.config.ref}")
        if kind == DATA:
            if self._pending is not None:
                self._note("truncated", f"movesense: value missing its part {self._next_part}")
            self._pending = bytearray(body)
        else:
            if self._pending is None or kind != self._next_part:
                self._pending = None
                raise self._error(payload, f"DATA_PART{kind - 1} without the parts before it")
            self._pending += body
        if len(body) == PART_PAYLOAD_BYTES and kind != DATA_PART3:
            self._next_part = kind + 1
            return []
        value = bytes(self._pending)
        self._pending = None
        return self._samples(value, payload, host_rx_ns)

    def _samples(self, value: bytes, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        try:
            meas = parse_value(value, self.config.resource)
        except ValueError as exc:
            if len(value) < 4 + 12 * len(RESOURCE_BLOCKS[self.config.resource]):
                raise self._truncated(payload, str(exc)) from None
            raise self._error(payload, str(exc)) from None
        for vecs in meas.blocks.values():
            for v in vecs:
                self._check_finite(v, "vector", payload)
        t0_ms = self._unwrap(meas.timestamp_ms)
        period_ms = 1000.0 / self.config.rate_hz
        acc = meas.blocks.get("acc")
        gyr = meas.blocks.get("gyr")
        mag = meas.blocks.get("mag")
        out = []
        for i in range(meas.n):
            out.append(
                ImuSample(
                    device_time_s=(t0_ms + i * period_ms) / 1000.0,
                    host_rx_ns=host_rx_ns,
                    acc_m_s2=acc[i] if acc else None,
                    gyr_rad_s=_dps_to_rad(gyr[i]) if gyr else None,
                    mag_ut=mag[i] if mag else None,
                    device_ticks=meas.timestamp_ms,
                )
            )
        return out

    def _flush(self) -> list[ImuSample]:
        if self._pending is not None:
            self._pending = None
            self._note("truncated", f"movesense: stream ended before part {self._next_part}")
        return []


def _dps_to_rad(v: Vec3) -> Vec3:
    return (v[0] * DEG_TO_RAD, v[1] * DEG_TO_RAD, v[2] * DEG_TO_RAD)


# --- emulator -------------------------------------------------------------------------------

_PATH = re.compile(r"^/Meas/(Acc|Gyro|Magn|IMU6|IMU6m|IMU9)/(\d+)$")


@dataclass
class _Subscription:
    resource: str
    rate_hz: float
    gate: RateGate
    n_per_packet: int
    buffer: list[ImuSample]


def default_samples_per_packet(rate_hz: float) -> int:
    """Samples per notification the emulator sends at ``rate_hz``.

    8 at ≥ 104 Hz (verified for IMU9@104), proportionally fewer below (UNVERIFIED).
    """
    return max(1, min(8, math.floor(rate_hz / 13.0 + 1e-9)))


class MovesenseEmulator(EmulatorBase):
    """Device side of GSP.

    HELLO, SUBSCRIBE ``/Meas/...`` (up to 4), UNSUBSCRIBE; streams each subscription in
    packets of ``samples_per_packet`` (None: :func:`default_samples_per_packet`) samples,
    split into DATA/PART2 notifications. Disconnect unsubscribes everything (as the sensor
    does). Rates outside ``IMU_RATES_HZ`` are accepted if they divide evenly in the path
    (the real rate list is UNVERIFIED).
    """

    family = Family.MOVESENSE

    def __init__(self, *, samples_per_packet: int | None = None) -> None:
        super().__init__(SPEC)
        self.samples_per_packet = samples_per_packet
        self.subscriptions: dict[int, _Subscription] = {}

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        return max((s.rate_hz for s in self.subscriptions.values()), default=None)

    def _result(self, ref: int, status: int) -> list[Notification]:
        return [Notification(DATA_UUID, bytes([COMMAND_RESULT, ref]) + status.to_bytes(2, "big"))]

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != COMMAND_UUID:
            return self._reject(char_uuid, data, "not the command characteristic")
        if len(data) < 2 or data[1] == 0:
            return self._reject(char_uuid, data, "needs [op][non-zero ref]")
        op, ref = data[0], data[1]
        if op == HELLO:
            return [Notification(DATA_UUID, bytes([COMMAND_RESULT, ref]) + b"Hello")]
        if op == UNSUBSCRIBE:
            self.subscriptions.pop(ref, None)
            return self._result(ref, STATUS_OK)
        if op != SUBSCRIBE:
            self._reject(char_uuid, data, "command not emulated")
            return self._result(ref, STATUS_NOT_FOUND)
        m = _PATH.match(data[2:].decode("ascii", errors="replace"))
        if not m or int(m.group(2)) == 0:
            self._reject(char_uuid, data, "unknown resource")
            return self._result(ref, STATUS_NOT_FOUND)
        if ref not in self.subscriptions and len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            return self._result(ref, STATUS_NO_SLOT)
        resource, rate = m.group(1), float(m.group(2))
        n = self.samples_per_packet or default_samples_per_packet(rate)
        self.subscriptions[ref] = _Subscription(resource, rate, RateGate(rate), n, [])
        return self._result(ref, STATUS_OK)

    def _disconnected(self) -> None:
        self.subscriptions.clear()

    def _encode_one(self, sample: ImuSample) -> list[Notification]:
        out: list[Notification] = []
        assert sample.device_time_s is not None
        for ref, sub in self.subscriptions.items():
            if not sub.gate(sample.device_time_s):
                continue
            sub.buffer.append(sample)
            if len(sub.buffer) < sub.n_per_packet:
                continue
            out += [Notification(DATA_UUID, p) for p in self._packet(ref, sub)]
            sub.buffer.clear()
        return out

    def _packet(self, ref: int, sub: _Subscription) -> list[bytes]:
        blocks = {
            name: [_wire_vector(s, name) for s in sub.buffer]
            for name in RESOURCE_BLOCKS[sub.resource]
        }
        first = sub.buffer[0].device_time_s
        assert first is not None
        ts = round(first * 1000.0) % TIMESTAMP_MODULUS
        return split_value(ref, build_value(ts, blocks, sub.resource))


def _wire_vector(sample: ImuSample, block: str) -> Vec3:
    """The vector of ``block`` in wire units (m/s², dps, µT); zeros when the sample lacks it."""
    if block == "acc" and sample.acc_m_s2 is not None:
        return sample.acc_m_s2
    if block == "gyr" and sample.gyr_rad_s is not None:
        x, y, z = sample.gyr_rad_s
        return (x / DEG_TO_RAD, y / DEG_TO_RAD, z / DEG_TO_RAD)
    if block == "mag" and sample.mag_ut is not None:
        return sample.mag_ut
    return (0.0, 0.0, 0.0)


# --- codec ----------------------------------------------------------------------------------


class MovesenseCodec(CodecBase[MovesenseConfig]):
    """The Movesense family codec (``CODEC``)."""

    spec = SPEC
    family_title = "Movesense"
    config_type = MovesenseConfig
    plan_for = staticmethod(plan)
    decoder_type = MovesenseDecoder
    emulator_type = MovesenseEmulator

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> MovesenseConfig:
        """IMU6 (IMU9 ``with_mag``) at the nearest of ``IMU_RATES_HZ``.

        ``request.options``: ``ref``, ``resource``. No on-board quaternion resource exists
        (ConfigError).
        """
        if request.with_quat:
            raise ConfigError("Movesense: no on-board orientation resource over GSP")
        fields: dict[str, Any] = {
            "rate_hz": nearest_rate(request.rate_hz, IMU_RATES_HZ, default=SPEC.default_rate_hz),
            "with_mag": request.with_mag,
            "resource": "IMU9" if request.with_mag else "IMU6",
        }
        fields.update(request.options)
        config = MovesenseConfig(**fields)
        subscribe_command(config.ref, config.path)  # validates
        return config


CODEC: Final = MovesenseCodec()
