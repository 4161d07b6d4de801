"""Polar Verity Sense / OH1 over Polar Measurement Data (PMD): commands, decoder, emulator.

Reference: sensor-protocols.md §6 (polar-ble-sdk Android sources and unit tests). The client
enables notifications on the control point and the data characteristic, writes
``02 type settings-TLVs`` per stream (ACC 2, GYRO 5, MAG 6) and gets an indication
``F0 02 type status more params`` whose parameters carry the stream's FACTOR (f32). Data
frames: ``[type][u64 ns since 2000-01-01 of the LAST sample][frame type][samples]``; frame
type bit 7 marks a delta-compressed frame (reference sample, then blocks
``[bit width][count][deltas packed LSB-first]``).

Units after decoding: ACC mG → m/s², GYRO dps → rad/s, MAG Gauss → µT (× 100). Per-sample
times follow the SDK: with a previous frame of the same stream, ``delta = (ts − prev) / N``
and sample i = ``prev + (i + 1)·delta``; for the first frame ``delta = 1/rate`` and the last
sample = ``ts``. One deliberate deviation: when the spacing implied by the previous frame
differs from the nominal period by more than ``PolarConfig.gap_tolerance`` (a lost frame or
a clock jump), the first-frame rule is used instead of spreading samples over the gap
(None restores the pure SDK rule). ACC and GYRO frames are paired into IMU samples by
device time (tolerance half a period); MAG runs at its own rate and is returned as separate
mag-only samples. Which frame type a real Verity Sense sends is UNVERIFIED: the decoder
reads byte 9 and handles raw ACC types 0–2 and compressed types 0–1 of all three streams.
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from analysis.errors import ConfigError
from sensors.families.base import (
    DEFAULT_REQUEST,
    DEG_TO_RAD,
    G0_M_S2,
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
    StreamPairer,
    StreamPlan,
    StreamRequest,
    nearest_rate,
    quantize,
)

SERVICE_UUID: Final = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_POINT_UUID: Final = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID: Final = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

# control point op codes
GET_SETTINGS: Final = 0x01
START: Final = 0x02
STOP: Final = 0x03
GET_SDK_MODE_SETTINGS: Final = 0x04
RESPONSE: Final = 0xF0
DEVICE_STOPPED: Final = 0x01
"""A control-point notification starting ``01`` (not ``F0``): the device stopped streams."""

# measurement types
ECG: Final = 0
PPG: Final = 1
ACC: Final = 2
PPI: Final = 3
GYRO: Final = 5
MAG: Final = 6
SDK_MODE: Final = 9
STREAM_TYPES: Final = {"acc": ACC, "gyr": GYRO, "mag": MAG}

# setting types: (id, field size in bytes)
SAMPLE_RATE: Final = 0
RESOLUTION: Final = 1
RANGE: Final = 2
RANGE_MILLIUNIT: Final = 3
CHANNELS: Final = 4
FACTOR: Final = 5
SECURITY: Final = 6
SETTING_SIZES: Final = {
    SAMPLE_RATE: 2,
    RESOLUTION: 2,
    RANGE: 2,
    RANGE_MILLIUNIT: 4,
    CHANNELS: 1,
    FACTOR: 4,
    SECURITY: 16,
}

STATUS_NAMES: Final = (
    "success",
    "invalid op code",
    "invalid measurement type",
    "not supported",
    "invalid length",
    "invalid parameter",
    "already in state",
    "invalid resolution",
    "invalid sample rate",
    "invalid range",
    "invalid MTU",
    "invalid number of channels",
    "invalid state",
    "device in charger",
    "disk full",
)

COMPRESSED: Final = 0x80
HEADER_BYTES: Final = 10
POLAR_EPOCH_UNIX_NS: Final = 946_684_800_000_000_000
"""Unix ns of 2000-01-01T00:00:00: Unix ns = Polar ns + this."""

DEFAULT_RATES_HZ: Final = (52.0,)
SDK_MODE_RATES_HZ: Final = (26.0, 52.0, 104.0, 208.0, 416.0)
MAG_RATES_HZ: Final = (10.0, 20.0, 50.0, 100.0)
ACC_RANGES_G: Final = (2, 4, 8, 16)
GYR_RANGES_DPS: Final = (250, 500, 1000, 2000)
MAG_RANGE_GAUSS: Final = 50

SPEC: Final = FamilySpec(
    family=Family.POLAR_PMD,
    title="Polar Verity Sense / OH1 (PMD)",
    services=(
        ServiceSpec(
            SERVICE_UUID,
            "Polar Measurement Data",
            (
                CharSpec(
                    CONTROL_POINT_UUID,
                    frozenset({"read", "write", "indicate"}),
                    "control point (feature read, commands, F0 responses)",
                    bytes([0x0F, 0x6E, 0x02]),
                ),
                CharSpec(DATA_UUID, frozenset({"notify"}), "measurement data frames"),
            ),
        ),
    ),
    advertised_service_uuids=(SERVICE_UUID,),
    name_patterns=(r"Polar Sense\b", r"Polar OH1\b", r"Polar Verity Sense\b"),
    example_name="Polar Sense B5A3F32C",
    notify_uuids=(CONTROL_POINT_UUID, DATA_UUID),
    control_uuids=(CONTROL_POINT_UUID,),
    has_device_time=True,
    device_tick_hz=1e9,
    rates_hz=SDK_MODE_RATES_HZ,
    default_rate_hz=52.0,
    min_att_mtu=232,
)


# --- settings and commands ------------------------------------------------------------------


def encode_settings(settings: Mapping[int, int | float | Sequence[int]]) -> bytes:
    """Settings TLVs ``[type][count][values LE]`` in setting-type order.

    A sequence value gives count > 1 (device → client lists); FACTOR is an f32.
    """
    out = bytearray()
    for kind in sorted(settings):
        value = settings[kind]
        values = list(value) if isinstance(value, Sequence) else [value]
        out += bytes([kind, len(values)])
        for v in values:
            if kind == FACTOR:
                out += struct.pack("<f", float(v))
            else:
                out += int(v).to_bytes(SETTING_SIZES[kind], "little")
    return bytes(out)


def decode_settings(data: bytes) -> dict[int, list[int | float]]:
    """Parse settings TLVs; ValueError on an unknown type or a cut-off value."""
    out: dict[int, list[int | float]] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError(f"settings TLV cut off at byte {i}")
        kind, count = data[i], data[i + 1]
        i += 2
        if kind not in SETTING_SIZES:
            raise ValueError(f"unknown PMD setting type {kind}")
        size = SETTING_SIZES[kind]
        if i + size * count > len(data):
            raise ValueError(f"setting {kind} needs {size * count} bytes at {i}")
        vals: list[int | float] = []
        for _ in range(count):
            raw = data[i : i + size]
            vals.append(
                struct.unpack("<f", raw)[0] if kind == FACTOR else int.from_bytes(raw, "little")
            )
            i += size
        out[kind] = vals
    return out


def start_command(
    measurement_type: int,
    *,
    sample_rate_hz: float,
    range_value: int,
    resolution_bits: int = 16,
    channels: int = 3,
) -> bytes:
    """``02 type`` + sample rate, resolution, range, channels TLVs.

    ACC 52 Hz, 16 bit, ±8 g, 3 channels =
    ``02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03``.
    """
    settings = {
        SAMPLE_RATE: int(sample_rate_hz),
        RESOLUTION: resolution_bits,
        RANGE: range_value,
        CHANNELS: channels,
    }
    return bytes([START, measurement_type]) + encode_settings(settings)


def stop_command(measurement_type: int) -> bytes:
    """``03 type``."""
    return bytes([STOP, measurement_type])


@dataclass(frozen=True, kw_only=True)
class PolarConfig(StreamConfig):
    """ACC (+ GYRO, + MAG ``with_mag``) streams of one Verity Sense.

    Rates other than 52 Hz need SDK mode (``sdk_mode``; started first with ``02 09``).
    ``gap_tolerance``: see the module docstring.
    """

    family: ClassVar[Family] = Family.POLAR_PMD
    streams: tuple[str, ...] = ("acc", "gyr")
    acc_range_g: int = 8
    gyr_range_dps: int = 2000
    mag_rate_hz: float = 50.0
    mag_range_gauss: int = MAG_RANGE_GAUSS
    sdk_mode: bool = False
    gap_tolerance: float | None = 0.5

    def stream_rate_hz(self, stream: str) -> float:
        """Sample rate of ``stream`` (acc/gyr: ``rate_hz``, mag: ``mag_rate_hz``)."""
        return self.mag_rate_hz if stream == "mag" else self.rate_hz


def plan(config: PolarConfig) -> StreamPlan:
    """Enable control point and data notifications, then start each stream.

    (SDK mode first.) Each start waits for its control-point reply; stop in reverse order.
    """

    def cp(data: bytes) -> GattWrite:
        return GattWrite(CONTROL_POINT_UUID, data, reply_on=CONTROL_POINT_UUID)

    ranges = {"acc": config.acc_range_g, "gyr": config.gyr_range_dps, "mag": config.mag_range_gauss}
    start = [cp(bytes([START, SDK_MODE]))] if config.sdk_mode else []
    for s in config.streams:
        start.append(
            cp(
                start_command(
                    STREAM_TYPES[s],
                    sample_rate_hz=config.stream_rate_hz(s),
                    range_value=ranges[s],
                )
            )
        )
    stop = [cp(stop_command(STREAM_TYPES[s])) for s in reversed(config.streams)]
    if config.sdk_mode:
        stop.append(cp(stop_command(SDK_MODE)))
    return StreamPlan((CONTROL_POINT_UUID, DATA_UUID), tuple(start), tuple(stop))


# --- frames ---------------------------------------------------------------------------------


def _sign_extend(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def decode_delta_frame(
    content: bytes, *, channels: int, resolution_bits: int, signed: bool = True
) -> list[list[int]]:
    """Samples of a delta-compressed frame body (after the 10-byte header).

    The reference sample is ``channels`` values of ``ceil(resolution/8)`` bytes (LE,
    sign-extended unless ``signed`` is False — the SDK reads IEEE-float bit patterns
    unsigned); each block ``[width][count]`` holds ``count × channels`` deltas of ``width``
    bits, LSB-first, two's complement, padded to a whole byte. Unsigned channels accumulate
    modulo 2^resolution. ValueError when the body is cut off or a width is 0 with samples.
    """
    ref_bytes = math.ceil(resolution_bits / 8)
    if len(content) < channels * ref_bytes:
        raise ValueError(f"delta frame shorter than its {channels * ref_bytes}-byte reference")
    ref = []
    for c in range(channels):
        v = int.from_bytes(content[c * ref_bytes : (c + 1) * ref_bytes], "little")
        ref.append(_sign_extend(v, resolution_bits) if signed else v)
    samples = [ref]
    i = channels * ref_bytes
    modulus = 1 << resolution_bits
    while i < len(content):
        if i + 2 > len(content):
            raise ValueError(f"delta block header cut off at byte {i}")
        width, count = content[i], content[i + 1]
        i += 2
        n_bits = width * count * channels
        n_bytes = (n_bits + 7) // 8
        if i + n_bytes > len(content):
            raise ValueError(f"delta block needs {n_bytes} bytes at {i}, has {len(content) - i}")
        if count and not 1 <= width <= 32:
            raise ValueError(f"delta bit width {width} out of range")
        bits = int.from_bytes(content[i : i + n_bytes], "little")
        i += n_bytes
        mask = (1 << width) - 1 if width else 0
        pos = 0
        for _ in range(count):
            prev = samples[-1]
            nxt = []
            for c in range(channels):
                d = _sign_extend((bits >> pos) & mask, width)
                pos += width
                v = prev[c] + d
                nxt.append(v if signed else v % modulus)
            samples.append(nxt)
    return samples


def _bits_for(v: int) -> int:
    """Two's-complement bits needed for ``v`` (at least 2: the SDK mis-reads 1-bit deltas)."""
    n = (v.bit_length() if v >= 0 else (-v - 1).bit_length()) + 1
    return max(2, n)


def encode_delta_frame(
    samples: Sequence[Sequence[int]],
    *,
    resolution_bits: int,
    signed: bool = True,
    block_samples: int = 255,
) -> bytes:
    """Inverse of :func:`decode_delta_frame`.

    A reference sample, then blocks of at most ``block_samples`` deltas, each block with the
    smallest bit width that holds its deltas.
    """
    if not samples:
        raise ValueError("a delta frame needs at least one sample")
    if not 1 <= block_samples <= 255:
        raise ValueError("block_samples must be 1..255")
    ref_bytes = math.ceil(resolution_bits / 8)
    modulus = 1 << resolution_bits
    out = bytearray()
    for v in samples[0]:
        out += (int(v) % modulus).to_bytes(ref_bytes, "little")
    deltas = []
    for prev, cur in itertools.pairwise(samples):
        row = []
        for a, b in zip(prev, cur, strict=True):
            d = int(b) - int(a)
            if not signed:
                d = _sign_extend(d % modulus, resolution_bits)
            row.append(d)
        deltas.append(row)
    for start in range(0, len(deltas), block_samples):
        block = deltas[start : start + block_samples]
        width = max(_bits_for(d) for row in block for d in row)
        bits = 0
        pos = 0
        for row in block:
            for d in row:
                bits |= (d & ((1 << width) - 1)) << pos
                pos += width
        out += bytes([width, len(block)]) + bits.to_bytes((pos + 7) // 8, "little")
    return bytes(out)


@dataclass(frozen=True)
class FrameHeader:
    """The 10-byte PMD data frame header."""

    measurement_type: int
    timestamp_ns: int
    frame_type: int

    @property
    def compressed(self) -> bool:
        """Bit 7 of the frame-type byte."""
        return bool(self.frame_type & COMPRESSED)

    @property
    def type_number(self) -> int:
        """Bits 0–6 of the frame-type byte."""
        return self.frame_type & 0x7F


def parse_header(frame: bytes) -> FrameHeader:
    """Header of a data frame; ValueError if shorter than 10 bytes."""
    if len(frame) < HEADER_BYTES:
        raise ValueError(f"PMD data frame shorter than the {HEADER_BYTES}-byte header")
    (ts,) = struct.unpack_from("<Q", frame, 1)
    return FrameHeader(frame[0] & 0x3F, ts, frame[9])


_RAW_ACC_BYTES: Final = {0: 1, 1: 2, 2: 3}


class UnsupportedFrameError(ValueError):
    """A well-formed frame of a type the SDK does not parse (raw GYRO/MAG, unknown types)."""


def frame_values(header: FrameHeader, content: bytes, factor: float) -> list[tuple[float, ...]]:
    """Samples of one frame in SI (acc m/s², gyro rad/s, mag µT), one tuple per sample.

    MAG type 1 adds the calibration status as a 4th value. ValueError for a frame type the
    SDK does not parse (raw GYRO/MAG) or a malformed body.
    """
    kind, n, compressed = header.measurement_type, header.type_number, header.compressed
    mg = G0_M_S2 / 1000.0
    if kind == ACC and not compressed:
        if n not in _RAW_ACC_BYTES:
            raise UnsupportedFrameError(f"raw ACC frame type {n} unknown")
        size = _RAW_ACC_BYTES[n]
        if not content or len(content) % (3 * size):
            raise ValueError(f"raw ACC body of {len(content)} bytes is not N × {3 * size}")
        ints = [
            _sign_extend(int.from_bytes(content[i : i + size], "little"), 8 * size)
            for i in range(0, len(content), size)
        ]
        return [(ints[i] * mg, ints[i + 1] * mg, ints[i + 2] * mg) for i in range(0, len(ints), 3)]
    if not compressed:
        raise UnsupportedFrameError(f"raw frame type {n} of measurement {kind} is not supported")
    if kind == ACC and n in (0, 1):
        k = factor * 1000.0 * mg if n == 0 else factor * mg  # type 0: factor in g
        return [
            (a * k, b * k, c * k)
            for a, b, c in decode_delta_frame(content, channels=3, resolution_bits=16)
        ]
    if kind == GYRO and n == 0:
        k = factor * DEG_TO_RAD
        return [
            (a * k, b * k, c * k)
            for a, b, c in decode_delta_frame(content, channels=3, resolution_bits=16)
        ]
    if kind == GYRO and n == 1:
        rows = decode_delta_frame(content, channels=3, resolution_bits=32, signed=False)
        k = factor * DEG_TO_RAD
        return [tuple(_bits_to_f32(v) * k for v in row) for row in rows]
    if kind == MAG and n == 0:
        k = factor * 100.0  # Gauss → µT
        return [
            (a * k, b * k, c * k)
            for a, b, c in decode_delta_frame(content, channels=3, resolution_bits=16)
        ]
    if kind == MAG and n == 1:
        k = factor / 1000.0 * 100.0  # mG → G → µT
        rows = decode_delta_frame(content, channels=4, resolution_bits=16)
        return [(a * k, b * k, c * k, float(s)) for a, b, c, s in rows]
    raise UnsupportedFrameError(f"compressed frame type {n} of measurement {kind} not supported")


def _bits_to_f32(v: int) -> float:
    return struct.unpack("<f", (v & 0xFFFFFFFF).to_bytes(4, "little"))[0]


def _f32_to_bits(x: float) -> int:
    return int.from_bytes(struct.pack("<f", x), "little")


def sample_times_ns(
    frame_ts_ns: int,
    n: int,
    *,
    previous_ts_ns: int | None,
    rate_hz: float,
    gap_tolerance: float | None = None,
) -> list[float]:
    """Per-sample times (ns, float) of a frame of ``n`` samples.

    The last sample is at ``frame_ts_ns``; the SDK rule (module docstring), with the
    optional gap fallback.
    """
    nominal = 1e9 / rate_hz
    delta = nominal
    if previous_ts_ns is not None and frame_ts_ns > previous_ts_ns:
        implied = (frame_ts_ns - previous_ts_ns) / n
        if gap_tolerance is None or abs(implied - nominal) <= gap_tolerance * nominal:
            delta = implied
            first = previous_ts_ns + delta
            return [first + delta * i for i in range(n - 1)] + [float(frame_ts_ns)]
    first = frame_ts_ns - delta * (n - 1)
    return [first + delta * i for i in range(n - 1)] + [float(frame_ts_ns)]


# --- decoder --------------------------------------------------------------------------------


@dataclass
class ControlReply:
    """A decoded control-point response ``F0 op type status more params``."""

    op: int
    measurement_type: int
    status: int
    parameters: bytes

    @property
    def ok(self) -> bool:
        """Status 0 (success)."""
        return self.status == 0

    @property
    def status_name(self) -> str:
        """Human-readable status."""
        return (
            STATUS_NAMES[self.status]
            if self.status < len(STATUS_NAMES)
            else f"status {self.status}"
        )


class PolarDecoder(DecoderBase):
    """Control-point replies (FACTOR per stream) and data frames → IMU samples.

    Feed it both characteristics. ``replies`` holds every control-point response,
    ``factors`` the FACTOR per measurement type (1.0 until a start reply brings one, as in
    the SDK), ``stopped_by_device`` the types the device stopped itself. A frame whose
    timestamp does not increase is corrupt (its time becomes the stream's reference, as in
    the SDK).
    """

    family = Family.POLAR_PMD

    def __init__(self, config: PolarConfig) -> None:
        super().__init__()
        self.config = config
        self.replies: list[ControlReply] = []
        self.factors: dict[int, float] = {}
        self.stopped_by_device: set[int] = set()
        self._previous: dict[tuple[int, int], int] = {}
        self._more: ControlReply | None = None
        self._types = {STREAM_TYPES[s]: s for s in config.streams}
        imu = [s for s in ("acc", "gyr") if s in config.streams]
        self._pairer = (
            StreamPairer(time_of="device", tolerance=0.5 / config.rate_hz)
            if len(imu) == 2
            else None
        )

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        if char_uuid == CONTROL_POINT_UUID:
            self._control(payload)
            return []
        if char_uuid != DATA_UUID:
            raise self._unknown(payload, f"notification on {char_uuid}")
        if len(payload) < HEADER_BYTES:
            raise self._truncated(payload, f"shorter than the {HEADER_BYTES}-byte frame header")
        header = parse_header(payload)
        stream = self._types.get(header.measurement_type)
        if stream is None:
            raise self._unknown(payload, f"measurement type {header.measurement_type} not streamed")
        key = (header.measurement_type, header.frame_type & 0x7F)
        previous = self._previous.get(key)
        self._previous[key] = header.timestamp_ns
        if previous is not None and header.timestamp_ns <= previous:
            raise self._error(payload, "frame timestamp does not increase")
        try:
            values = frame_values(
                header, payload[HEADER_BYTES:], self.factors.get(header.measurement_type, 1.0)
            )
        except UnsupportedFrameError as exc:
            raise self._unknown(payload, str(exc)) from None
        except ValueError as exc:
            raise self._error(payload, str(exc)) from None
        for v in values:
            self._check_finite(v, stream, payload)
        times = sample_times_ns(
            header.timestamp_ns,
            len(values),
            previous_ts_ns=previous,
            rate_hz=self.config.stream_rate_hz(stream),
            gap_tolerance=self.config.gap_tolerance,
        )
        samples = []
        for t, v in zip(times, values, strict=True):
            vec = (v[0], v[1], v[2])
            samples.append(
                ImuSample(
                    device_time_s=t * 1e-9,
                    host_rx_ns=host_rx_ns,
                    acc_m_s2=vec if stream == "acc" else None,
                    gyr_rad_s=vec if stream == "gyr" else None,
                    mag_ut=vec if stream == "mag" else None,
                    device_ticks=header.timestamp_ns,
                )
            )
        if self._pairer is None or stream == "mag":
            return samples
        before = self._pairer.unpaired
        out = self._pairer.push(stream, samples)
        self.unpaired += self._pairer.unpaired - before
        return out

    def _control(self, payload: bytes) -> None:
        if not payload:
            raise self._truncated(payload, "empty control-point notification")
        if payload[0] == DEVICE_STOPPED:
            self.stopped_by_device.update(b & 0x3F for b in payload[1:])
            return
        if payload[0] != RESPONSE:
            raise self._unknown(payload, "control-point notification neither F0 nor 01")
        if len(payload) < 4:
            raise self._truncated(payload, "control-point response shorter than 4 bytes")
        op, kind, status = payload[1], payload[2] & 0x3F, payload[3]
        more = status == 0 and len(payload) > 4 and payload[4] != 0
        params = payload[5:] if status == 0 else b""
        if self._more is not None and self._more.op == op:
            self._more.parameters += params
            reply = self._more
        else:
            reply = ControlReply(op, kind, status, params)
        self._more = reply if more else None
        if more:
            return
        self.replies.append(reply)
        if reply.op == START and reply.ok and reply.parameters:
            try:
                settings = decode_settings(reply.parameters)
            except ValueError as exc:
                raise self._error(payload, f"start reply parameters: {exc}") from None
            if FACTOR in settings:
                self.factors[reply.measurement_type] = float(settings[FACTOR][0])
        if reply.op == STOP and reply.ok:
            self._previous = {
                k: v for k, v in self._previous.items() if k[0] != reply.measurement_type
            }

    def _flush(self) -> list[ImuSample]:
        if self._pairer is not None:
            self.unpaired += self._pairer.drain()
        return []


# --- emulator -------------------------------------------------------------------------------


@dataclass
class _Stream:
    name: str
    rate_hz: float
    range_value: int
    frame_type: int
    factor: float
    gate: RateGate
    buffer: list[ImuSample] = field(default_factory=list)


class PolarEmulator(EmulatorBase):
    """Device side of PMD for ACC, GYRO and MAG (and SDK-mode on/off).

    Answers ``01 type`` with the available settings, ``02 type TLVs`` with
    ``F0 02 type 00 00 05 01 <factor>`` (or an error status: invalid type, sample rate,
    range, resolution, channels; already started), ``03 type`` with ``F0 03 type 00 00``.
    Streams send a frame every ``samples_per_frame`` samples (None: a quarter second, at
    most 36) with the frame types chosen by ``acc_frame_type`` (default compressed 1, ×
    factor → mG; raw 0x00–0x02 also possible), ``gyr_frame_type`` (compressed 0, or 0x81
    float) and ``mag_frame_type`` (compressed 0, or 0x81 with calibration status 3).
    Disconnect stops every stream and leaves SDK mode.
    """

    family = Family.POLAR_PMD

    def __init__(
        self,
        *,
        acc_frame_type: int = 0x81,
        gyr_frame_type: int = 0x80,
        mag_frame_type: int = 0x80,
        samples_per_frame: int | None = None,
    ) -> None:
        super().__init__(SPEC)
        if acc_frame_type not in (0x00, 0x01, 0x02, 0x80, 0x81):
            raise ValueError(f"ACC frame type {acc_frame_type:#04x} not emulated")
        if gyr_frame_type not in (0x80, 0x81) or mag_frame_type not in (0x80, 0x81):
            raise ValueError("GYRO/MAG frame types must be 0x80 or 0x81 (compressed)")
        self.frame_types = {"acc": acc_frame_type, "gyr": gyr_frame_type, "mag": mag_frame_type}
        self.samples_per_frame = samples_per_frame
        self.sdk_mode = False
        self.streams: dict[str, _Stream] = {}

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        return max((s.rate_hz for s in self.streams.values()), default=None)

    def available_settings(self, stream: str) -> dict[int, list[int]]:
        """Settings the device offers for ``stream`` in the current mode."""
        if stream == "mag":
            return {
                SAMPLE_RATE: [int(r) for r in MAG_RATES_HZ],
                RESOLUTION: [16],
                RANGE: [MAG_RANGE_GAUSS],
                CHANNELS: [3],
            }
        rates = SDK_MODE_RATES_HZ if self.sdk_mode else DEFAULT_RATES_HZ
        ranges = (
            (ACC_RANGES_G if self.sdk_mode else (8,))
            if stream == "acc"
            else (GYR_RANGES_DPS if self.sdk_mode else (2000,))
        )
        return {
            SAMPLE_RATE: [int(r) for r in rates],
            RESOLUTION: [16],
            RANGE: list(ranges),
            CHANNELS: [3],
        }

    def _reply(self, op: int, kind: int, status: int, params: bytes = b"") -> list[Notification]:
        body = bytes([RESPONSE, op, kind, status]) + (bytes([0]) + params if status == 0 else b"")
        return [Notification(CONTROL_POINT_UUID, body)]

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != CONTROL_POINT_UUID:
            return self._reject(char_uuid, data, "not the control point")
        if not data:
            return self._reject(char_uuid, data, "empty write")
        op = data[0]
        if len(data) < 2:
            return self._reply(op, 0, 4)
        kind = data[1] & 0x3F
        names = {v: k for k, v in STREAM_TYPES.items()}
        if op == START and kind == SDK_MODE:
            status = 6 if self.sdk_mode or self.streams else 0
            self.sdk_mode = True
            return self._reply(op, kind, status)
        if op == STOP and kind == SDK_MODE:
            status = 0 if self.sdk_mode else 6
            self.sdk_mode = False
            self.streams.clear()
            return self._reply(op, kind, status)
        if op not in (GET_SETTINGS, START, STOP):
            self._reject(char_uuid, data, "op code not emulated")
            return self._reply(op, kind, 1)
        if kind not in names:
            self._reject(char_uuid, data, "measurement type not emulated")
            return self._reply(op, kind, 2)
        stream = names[kind]
        if op == GET_SETTINGS:
            return self._reply(op, kind, 0, encode_settings(self.available_settings(stream)))
        if op == STOP:
            status = 0 if self.streams.pop(stream, None) else 6
            return self._reply(op, kind, status)
        return self._start(stream, kind, data[2:])

    def _start(self, stream: str, kind: int, tlv: bytes) -> list[Notification]:
        if stream in self.streams:
            return self._reply(START, kind, 6)
        try:
            asked = decode_settings(tlv)
        except ValueError as exc:
            self._reject(CONTROL_POINT_UUID, bytes([START, kind]) + tlv, str(exc))
            return self._reply(START, kind, 5)
        avail = self.available_settings(stream)
        checks = ((SAMPLE_RATE, 8), (RESOLUTION, 7), (RANGE, 9), (CHANNELS, 11))
        for setting, status in checks:
            if setting in asked and (
                len(asked[setting]) != 1 or asked[setting][0] not in avail[setting]
            ):
                return self._reply(START, kind, status)
        rate = float(asked.get(SAMPLE_RATE, [avail[SAMPLE_RATE][0]])[0])
        rng = int(asked.get(RANGE, [avail[RANGE][0]])[0])
        ftype = self.frame_types[stream]
        factor = _factor(stream, ftype, rng)
        self.streams[stream] = _Stream(stream, rate, rng, ftype, factor, RateGate(rate))
        return self._reply(START, kind, 0, encode_settings({FACTOR: factor}))

    def _disconnected(self) -> None:
        self.streams.clear()
        self.sdk_mode = False

    def _encode_one(self, sample: ImuSample) -> list[Notification]:
        out = []
        t = sample.device_time_s
        assert t is not None
        for st in self.streams.values():
            if not st.gate(t):
                continue
            st.buffer.append(sample)
            n = self.samples_per_frame or min(36, max(1, round(st.rate_hz / 4)))
            if len(st.buffer) >= n:
                out.append(Notification(DATA_UUID, self._frame(st)))
                st.buffer.clear()
        return out

    def _frame(self, st: _Stream) -> bytes:
        last = st.buffer[-1].device_time_s
        assert last is not None
        ts = round(last * 1e9)
        kind = STREAM_TYPES[st.name]
        header = bytes([kind]) + struct.pack("<Q", ts) + bytes([st.frame_type])
        rows = [_wire_values(s, st) for s in st.buffer]
        if not st.frame_type & COMPRESSED:
            size = _RAW_ACC_BYTES[st.frame_type]
            body = b"".join(
                (v % (1 << (8 * size))).to_bytes(size, "little") for row in rows for v in row
            )
            return header + body
        if st.name == "gyr" and st.frame_type == 0x81:
            return header + encode_delta_frame(rows, resolution_bits=32, signed=False)
        return header + encode_delta_frame(rows, resolution_bits=16)


def _factor(stream: str, frame_type: int, range_value: int) -> float:
    """FACTOR the emulator announces: full 16-bit scale over the range.

    In the unit the frame type multiplies into (ACC c0: g, c1: mG; GYRO c0: dps, c1 floats:
    1; MAG c0: Gauss, c1: mG). Raw ACC frames ignore it (1.0).
    """
    if not frame_type & COMPRESSED:
        return 1.0
    n = frame_type & 0x7F
    if stream == "acc":
        return range_value / 32768.0 * (1.0 if n == 0 else 1000.0)
    if stream == "gyr":
        return range_value / 32768.0 if n == 0 else 1.0
    return range_value / 32768.0 * (1.0 if n == 0 else 1000.0)


def _wire_values(sample: ImuSample, st: _Stream) -> list[int]:
    """Integer (or float-bit) channel values of one sample for stream ``st``."""
    zero = (0.0, 0.0, 0.0)
    n = st.frame_type & 0x7F
    if st.name == "acc":
        mg = [a / G0_M_S2 * 1000.0 for a in (sample.acc_m_s2 or zero)]
        if not st.frame_type & COMPRESSED:
            bits = 8 * _RAW_ACC_BYTES[st.frame_type]
            return [quantize(v, 1.0, bits=bits) for v in mg]
        lsb = st.factor * 1000.0 if n == 0 else st.factor
        return [quantize(v, lsb) for v in mg]
    if st.name == "gyr":
        dps = [g / DEG_TO_RAD for g in (sample.gyr_rad_s or zero)]
        if n == 1:
            return [_f32_to_bits(v / st.factor) for v in dps]
        return [quantize(v, st.factor) for v in dps]
    gauss = [m / 100.0 for m in (sample.mag_ut or zero)]
    if n == 1:
        return [quantize(v * 1000.0, st.factor) for v in gauss] + [3]
    return [quantize(v, st.factor) for v in gauss]


# --- codec ----------------------------------------------------------------------------------


class PolarCodec(CodecBase[PolarConfig]):
    """The Polar PMD family codec (``CODEC``)."""

    spec = SPEC
    family_title = "Polar PMD"
    config_type = PolarConfig
    plan_for = staticmethod(plan)
    decoder_type = PolarDecoder
    emulator_type = PolarEmulator

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> PolarConfig:
        """ACC + GYRO at the nearest of ``SDK_MODE_RATES_HZ``, MAG at 50 Hz ``with_mag``.

        SDK mode unless 52 Hz; ``request.options`` override :class:`PolarConfig` fields. No
        on-board quaternion (ConfigError).
        """
        if request.with_quat:
            raise ConfigError("Polar PMD: the sensor streams no orientation")
        rate = nearest_rate(request.rate_hz, SDK_MODE_RATES_HZ, default=SPEC.default_rate_hz)
        fields: dict[str, Any] = {
            "rate_hz": rate,
            "with_mag": request.with_mag,
            "streams": ("acc", "gyr", "mag") if request.with_mag else ("acc", "gyr"),
            "sdk_mode": rate not in DEFAULT_RATES_HZ,
        }
        fields.update(request.options)
        config = PolarConfig(**fields)
        bad = [s for s in config.streams if s not in STREAM_TYPES]
        if bad or not config.streams:
            raise ConfigError(f"Polar streams {bad or '[]'} unknown; use acc, gyr, mag")
        if config.acc_range_g not in ACC_RANGES_G or config.gyr_range_dps not in GYR_RANGES_DPS:
            raise ConfigError(f"Polar ranges: acc {ACC_RANGES_G} g, gyro {GYR_RANGES_DPS} dps")
        if "mag" in config.streams and config.mag_rate_hz not in MAG_RATES_HZ:
            raise ConfigError(f"Polar MAG rate {config.mag_rate_hz:g} Hz; use {MAG_RATES_HZ}")
        return config


CODEC: Final = PolarCodec()
