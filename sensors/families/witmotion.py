"""WitMotion BWT901BLECL / WT901BLE(CL) / WT9011DCL: commands, decoder, emulator.

The BLE 5.0 protocol.

Reference: sensor-protocols.md §3 (WitMotion SDKs for Python/iOS/Android and a Web
Bluetooth driver). The sensor streams 20-byte frames on the notify characteristic as soon as
notifications are enabled; there is no start/stop command and **no device time**. Frames
are not aligned with notifications, so the decoder buffers bytes and resynchronises on
``55 61`` (acc/gyro/angle) or ``55 71`` (register-read reply). Commands are 5-byte
``FF AA reg lo hi`` writes; changing the output rate takes unlock, rate, save with ~100 ms
pauses.

Note the service base ``…-00805f9a34fb`` (``9a``, not the SIG ``9b``): UUIDs are always
matched in full. Magnetometer and quaternion are only available by polling registers
(``FF AA 27 r 00``), are not sample-synchronous and their scales are UNVERIFIED, so the IMU
stream carries acc and gyro only; replies are kept in ``WitMotionDecoder.registers``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import ClassVar, Final

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
    Quat,
    RateGate,
    ServiceSpec,
    StreamConfig,
    StreamPlan,
    StreamRequest,
    Vec3,
    nearest_rate,
    quantize,
)

SERVICE_UUID: Final = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID: Final = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID: Final = "0000ffe9-0000-1000-8000-00805f9a34fb"

FRAME_BYTES: Final = 20
HEADER: Final = 0x55
IMU_FRAME: Final = 0x61
REGISTER_FRAME: Final = 0x71

ACC_LSB_G: Final = 16.0 / 32768.0
GYR_LSB_DPS: Final = 2000.0 / 32768.0
ANGLE_LSB_DEG: Final = 180.0 / 32768.0
QUAT_LSB: Final = 1.0 / 32768.0

RATE_CODES: Final = {
    0.2: 0x01,
    0.5: 0x02,
    1.0: 0x03,
    2.0: 0x04,
    5.0: 0x05,
    10.0: 0x06,
    20.0: 0x07,
    50.0: 0x08,
    100.0: 0x09,
    200.0: 0x0B,
}
"""Output rate (register 0x03) codes; 0x0A is unused in both sources."""

REG_SAVE: Final = 0x00
REG_CALSW: Final = 0x01
REG_RATE: Final = 0x03
REG_BANDWIDTH: Final = 0x1F
REG_READ: Final = 0x27
REG_MAG: Final = 0x3A
REG_TEMPERATURE: Final = 0x40
REG_QUATERNION: Final = 0x51
REG_UNLOCK: Final = 0x69
UNLOCK_VALUE: Final = (0x88, 0xB5)
DEFAULT_RATE_CODE: Final = 0x06
"""10 Hz (the factory output rate; UNVERIFIED per model)."""

COMMAND_PAUSE_S: Final = 0.1
"""Pause the SDKs make after unlock and after a register write."""

SPEC: Final = FamilySpec(
    family=Family.WITMOTION,
    title="WitMotion BWT901BLECL / WT901BLE / WT9011DCL",
    services=(
        ServiceSpec(
            SERVICE_UUID,
            "WitMotion serial-over-BLE",
            (
                CharSpec(NOTIFY_UUID, frozenset({"notify"}), "20-byte frames 55 61 / 55 71"),
                CharSpec(
                    WRITE_UUID,
                    frozenset({"write", "write-without-response"}),
                    "commands FF AA reg lo hi",
                ),
            ),
        ),
    ),
    advertised_service_uuids=(SERVICE_UUID,),
    name_patterns=(r"B?WT9\d",),
    example_name="WT901BLE68",
    notify_uuids=(NOTIFY_UUID,),
    control_uuids=(WRITE_UUID,),
    has_device_time=False,
    device_tick_hz=None,
    rates_hz=tuple(RATE_CODES),
    default_rate_hz=100.0,
)


# --- commands -------------------------------------------------------------------------------


def register_write(register: int, value: int) -> bytes:
    """``FF AA reg lo hi`` (value as u16 little-endian)."""
    if not (0 <= register <= 0xFF and 0 <= value <= 0xFFFF):
        raise ConfigError(f"WitMotion register write out of range: reg {register}, value {value}")
    return bytes([0xFF, 0xAA, register, value & 0xFF, value >> 8])


def unlock_command() -> bytes:
    """``FF AA 69 88 B5``: allow register writes."""
    return bytes([0xFF, 0xAA, REG_UNLOCK, *UNLOCK_VALUE])


def save_command() -> bytes:
    """``FF AA 00 00 00``: store the configuration."""
    return register_write(REG_SAVE, 0)


def rate_command(rate_hz: float) -> bytes:
    """``FF AA 03 code 00`` for one of ``RATE_CODES``."""
    if rate_hz not in RATE_CODES:
        raise ConfigError(f"WitMotion cannot stream at {rate_hz:g} Hz; use {list(RATE_CODES)}")
    return register_write(REG_RATE, RATE_CODES[rate_hz])


CALIBRATION_CODES: Final = {
    "accelerometer": 0x01,
    "magnetometer_start": 0x07,
    "magnetometer_end": 0x00,
    "angle_reference": 0x08,
}
"""Register 0x01 values: accelerometer calibration, start/end magnetometer calibration, set
the angle reference (zero)."""
BANDWIDTH_CODES: Final = {188: 2, 98: 3, 42: 4, 20: 5, 10: 6, 5: 7}
"""Register 0x1F: filter bandwidth in Hz → code."""


def calibration_command(kind: str) -> bytes:
    """``FF AA 01 code 00`` (see ``CALIBRATION_CODES``; unlock first, as for every write)."""
    if kind not in CALIBRATION_CODES:
        raise ConfigError(f"WitMotion calibration {kind!r} unknown; use {list(CALIBRATION_CODES)}")
    return register_write(REG_CALSW, CALIBRATION_CODES[kind])


def bandwidth_command(bandwidth_hz: int) -> bytes:
    """``FF AA 1F code 00`` for one of ``BANDWIDTH_CODES``."""
    if bandwidth_hz not in BANDWIDTH_CODES:
        raise ConfigError(f"WitMotion bandwidth {bandwidth_hz} Hz; use {list(BANDWIDTH_CODES)}")
    return register_write(REG_BANDWIDTH, BANDWIDTH_CODES[bandwidth_hz])


def restore_defaults_command() -> bytes:
    """``FF AA 00 01 00``, the Android SDK's "ReSet" (restore defaults: UNVERIFIED)."""
    return register_write(REG_SAVE, 1)


def read_register_command(register: int) -> bytes:
    """``FF AA 27 r 00``; the sensor answers a ``55 71 r 00 …`` frame with 8 registers."""
    return register_write(REG_READ, register)


@dataclass(frozen=True, kw_only=True)
class WitMotionConfig(StreamConfig):
    """Frame stream of one WitMotion sensor; ``set_rate`` False leaves the stored rate."""

    family: ClassVar[Family] = Family.WITMOTION
    set_rate: bool = True


def plan(config: WitMotionConfig) -> StreamPlan:
    """Enable notifications; unlock, set the rate, save (SDK order, 100 ms apart).

    No stop command exists: the client disables notifications.
    """
    start: tuple[GattWrite, ...] = ()
    if config.set_rate:
        start = (
            GattWrite(WRITE_UUID, unlock_command(), pause_after_s=COMMAND_PAUSE_S),
            GattWrite(WRITE_UUID, rate_command(config.rate_hz), pause_after_s=COMMAND_PAUSE_S),
            GattWrite(WRITE_UUID, save_command()),
        )
    return StreamPlan((NOTIFY_UUID,), start, ())


# --- frames ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImuFrame:
    """A ``55 61`` frame in SI: acc m/s², gyro rad/s, angles (X roll, Y pitch, Z yaw) rad."""

    acc_m_s2: Vec3
    gyr_rad_s: Vec3
    angle_rad: Vec3


@dataclass(frozen=True)
class RegisterFrame:
    """A ``55 71`` frame: ``start`` register and the 8 signed 16-bit values from it."""

    start: int
    values: tuple[int, ...]


def decode_frame(frame: bytes) -> ImuFrame | RegisterFrame:
    """Decode one 20-byte frame; ValueError for a wrong length or header."""
    if len(frame) != FRAME_BYTES or frame[0] != HEADER:
        raise ValueError(f"not a 20-byte WitMotion frame: {frame.hex()}")
    if frame[1] == IMU_FRAME:
        v = struct.unpack_from("<9h", frame, 2)
        acc = (v[0] * ACC_LSB_G * G0_M_S2, v[1] * ACC_LSB_G * G0_M_S2, v[2] * ACC_LSB_G * G0_M_S2)
        k = GYR_LSB_DPS * DEG_TO_RAD
        a = ANGLE_LSB_DEG * DEG_TO_RAD
        return ImuFrame(acc, (v[3] * k, v[4] * k, v[5] * k), (v[6] * a, v[7] * a, v[8] * a))
    if frame[1] == REGISTER_FRAME:
        (start,) = struct.unpack_from("<H", frame, 2)
        return RegisterFrame(start, struct.unpack_from("<8h", frame, 4))
    raise ValueError(f"unknown WitMotion frame type {frame[1]:#04x}")


def euler_zyx_from_quat(q: Quat) -> Vec3:
    """(roll about x, pitch about y, yaw about z) in rad of a scalar-first quaternion.

    Angles of ``R = Rz(yaw) Ry(pitch) Rx(roll)``, the order WitMotion's angle frame is
    assumed to use (UNVERIFIED).
    """
    w, x, y, z = q
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return roll, pitch, yaw


def encode_imu_frame(acc_m_s2: Vec3, gyr_rad_s: Vec3, angle_rad: Vec3 = (0.0, 0.0, 0.0)) -> bytes:
    """A ``55 61`` frame (values saturate at ±16 g, ±2000 dps, ±180°)."""
    counts = [quantize(a, ACC_LSB_G * G0_M_S2) for a in acc_m_s2]
    counts += [quantize(g, GYR_LSB_DPS * DEG_TO_RAD) for g in gyr_rad_s]
    counts += [quantize(e, ANGLE_LSB_DEG * DEG_TO_RAD) for e in angle_rad]
    return bytes([HEADER, IMU_FRAME]) + struct.pack("<9h", *counts)


def encode_register_frame(start: int, values: tuple[int, ...]) -> bytes:
    """A ``55 71`` frame with 8 register values from ``start``."""
    return bytes([HEADER, REGISTER_FRAME]) + struct.pack("<H8h", start, *values)


# --- decoder --------------------------------------------------------------------------------


class WitMotionDecoder(DecoderBase):
    """Byte-stream decoder: frames may span notifications or share one; junk is skipped.

    Bytes before a ``55 61``/``55 71`` header are dropped (``junk_bytes``; each run counts
    once as ``corrupt``); a frame still incomplete when a notification starts with a new
    header, or at :meth:`flush`, is ``truncated``. Frames carry no checksum, so a header
    pattern inside junk bytes can still yield one wrong sample. A
    sample's ``host_rx_ns`` is that of the notification that completed its frame. Register
    replies update ``registers`` (register → latest signed value) and are not samples.
    """

    family = Family.WITMOTION

    def __init__(self, config: WitMotionConfig) -> None:
        super().__init__()
        self.config = config
        self._buf = bytearray()
        self.junk_bytes = 0
        self.registers: dict[int, int] = {}

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        if char_uuid != NOTIFY_UUID:
            raise self._unknown(payload, f"notification on {char_uuid}, expected {NOTIFY_UUID}")
        if self._buf and _find_header(bytearray(payload[:2])) == 0:
            # A notification that starts with a header while a frame is still incomplete:
            # trust the boundary (the rest of that frame was lost) rather than glue two
            # frames' halves together. Data bytes equal to a header exactly at a boundary
            # (p ≈ 3e-5) would drop one good frame instead.
            if len(self._buf) >= 2:
                self._note("truncated", f"witmotion: frame cut after {len(self._buf)} bytes")
            else:
                self._skip(len(self._buf))
            self._buf.clear()
        self._buf += payload
        out: list[ImuSample] = []
        buf = self._buf
        while buf:
            k = _find_header(buf)
            if k < 0:
                # keep a trailing 0x55: it may start a header split across notifications
                keep = 1 if buf[-1] == HEADER else 0
                self._skip(len(buf) - keep)
                del buf[: len(buf) - keep]
                break
            if k:
                self._skip(k)
                del buf[:k]
            if len(buf) < FRAME_BYTES:
                break
            frame = bytes(buf[:FRAME_BYTES])
            del buf[:FRAME_BYTES]
            decoded = decode_frame(frame)
            if isinstance(decoded, RegisterFrame):
                for i, v in enumerate(decoded.values):
                    self.registers[decoded.start + i] = v
            else:
                out.append(
                    ImuSample(
                        host_rx_ns=host_rx_ns,
                        acc_m_s2=decoded.acc_m_s2,
                        gyr_rad_s=decoded.gyr_rad_s,
                    )
                )
        return out

    def _skip(self, n: int) -> None:
        if n:
            self.junk_bytes += n
            self._note("corrupt", f"witmotion: skipped {n} bytes without a frame header")

    def _flush(self) -> list[ImuSample]:
        if self._buf:
            self._note("truncated", f"witmotion: stream ended inside a frame ({len(self._buf)} B)")
            self._buf.clear()
        return []

    def quaternion(self) -> Quat | None:
        """Latest polled quaternion, None if not read yet.

        Registers 0x51–0x54 ÷ 32768, Q0 assumed scalar (UNVERIFIED).
        """
        if any(REG_QUATERNION + i not in self.registers for i in range(4)):
            return None
        w, x, y, z = (self.registers[REG_QUATERNION + i] * QUAT_LSB for i in range(4))
        return (w, x, y, z)


def _find_header(buf: bytearray) -> int:
    """Index of the first ``55 61``/``55 71`` in ``buf``, −1 if none."""
    start = 0
    while True:
        k = buf.find(HEADER, start)
        if k < 0 or k + 1 >= len(buf):
            return -1
        if buf[k + 1] in (IMU_FRAME, REGISTER_FRAME):
            return k
        start = k + 1


# --- emulator -------------------------------------------------------------------------------


class WitMotionEmulator(EmulatorBase):
    """Device side of a WitMotion sensor.

    Streams ``55 61`` frames at the register-0x03 rate while notifications are on; handles
    unlock, register writes (only after unlock; save locks again), and register reads
    (``55 71`` reply). ``chunk_size`` (None: one frame per notification) concatenates the
    frames into a byte stream and cuts it into notifications of that many bytes, as variants
    that split frames do. Angles are computed from the sample's quaternion when it has one
    (ZYX, UNVERIFIED), else sent as zeros.
    """

    family = Family.WITMOTION

    def __init__(self, *, chunk_size: int | None = None) -> None:
        super().__init__(SPEC)
        if chunk_size is not None and chunk_size < 1:
            raise ValueError("chunk_size must be ≥ 1")
        self.chunk_size = chunk_size
        self.registers: dict[int, int] = {REG_RATE: DEFAULT_RATE_CODE, REG_TEMPERATURE: 2500}
        self.unlocked = False
        self.saved = 0
        self._pending = bytearray()
        self._gate: RateGate | None = None

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        if not self.notifying(NOTIFY_UUID):
            return None
        by_code = {c: r for r, c in RATE_CODES.items()}
        return by_code.get(self.registers.get(REG_RATE, DEFAULT_RATE_CODE), 10.0)

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != WRITE_UUID:
            return self._reject(char_uuid, data, "not the write characteristic")
        if len(data) != 5 or data[:2] != b"\xff\xaa":
            return self._reject(char_uuid, data, "not an FF AA reg lo hi command")
        reg, value = data[2], data[3] | (data[4] << 8)
        if reg == REG_UNLOCK:
            self.unlocked = (data[3], data[4]) == UNLOCK_VALUE
            return []
        if reg == REG_READ:
            vals = tuple(_s16(self.registers.get(value + i, 0)) for i in range(8))
            return self._stream([encode_register_frame(value, vals)])
        if not self.unlocked:
            return self._reject(char_uuid, data, "register write while locked (unlock first)")
        if reg == REG_SAVE and value == 0:
            self.saved += 1
            self.unlocked = False
            return []
        if reg == REG_RATE and value not in RATE_CODES.values():
            return self._reject(char_uuid, data, "unknown rate code")
        self.registers[reg] = value
        if reg == REG_RATE:
            self._gate = None
        return []

    def _cccd_changed(self, char_uuid: str, enabled: bool) -> list[Notification]:
        if not enabled:
            self._pending.clear()
        return []

    def _encode_one(self, sample: ImuSample) -> list[Notification]:
        rate = self.rate_hz
        if rate is None:
            return []
        if self._gate is None:
            self._gate = RateGate(rate)
        assert sample.device_time_s is not None
        if not self._gate(sample.device_time_s):
            return []
        if sample.quat_wxyz is not None:
            for i, c in enumerate(sample.quat_wxyz):
                self.registers[REG_QUATERNION + i] = quantize(c, QUAT_LSB) & 0xFFFF
        angles = euler_zyx_from_quat(sample.quat_wxyz) if sample.quat_wxyz else (0.0, 0.0, 0.0)
        frame = encode_imu_frame(
            sample.acc_m_s2 or (0.0, 0.0, 0.0), sample.gyr_rad_s or (0.0, 0.0, 0.0), angles
        )
        return self._stream([frame])

    def _stream(self, frames: list[bytes]) -> list[Notification]:
        if self.chunk_size is None:
            return [Notification(NOTIFY_UUID, f) for f in frames]
        for f in frames:
            self._pending += f
        out = []
        while len(self._pending) >= self.chunk_size:
            out.append(Notification(NOTIFY_UUID, bytes(self._pending[: self.chunk_size])))
            del self._pending[: self.chunk_size]
        return out


def _s16(v: int) -> int:
    v &= 0xFFFF
    return v - 0x10000 if v >= 0x8000 else v


# --- codec ----------------------------------------------------------------------------------


class WitMotionCodec(CodecBase[WitMotionConfig]):
    """The WitMotion family codec (``CODEC``)."""

    spec = SPEC
    family_title = "WitMotion"
    config_type = WitMotionConfig
    plan_for = staticmethod(plan)
    decoder_type = WitMotionDecoder
    emulator_type = WitMotionEmulator

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> WitMotionConfig:
        """Acc + gyro frames at the nearest of ``RATE_CODES``.

        ``request.options``: ``set_rate``. Mag and quaternion are polled registers, not part
        of the stream (ConfigError).
        """
        if request.with_mag or request.with_quat:
            raise ConfigError(
                "WitMotion: magnetometer and quaternion are polled registers, not streamed"
            )
        rate = nearest_rate(request.rate_hz, tuple(RATE_CODES), default=SPEC.default_rate_hz)
        return WitMotionConfig(rate_hz=rate, **request.options)


CODEC: Final = WitMotionCodec()
