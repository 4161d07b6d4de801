"""MbientLab MetaMotion boards (MetaWear protocol): commands, decoder and device emulator.

Reference: sensor-protocols.md §1 (MetaWear C++ SDK sources and unit-test vectors). Every
command and notification starts with ``[module u8][register u8]``; all writes go to the
command characteristic, all answers and data come on the notify characteristic.

Streaming raw acc + gyro: the accelerometer and the gyro are separate modules whose samples
arrive in **separate notifications** (``03 04`` acc, ``13 05``/``13 04`` gyro; "packed"
registers carry 3 samples per notification) with **no device time**. The decoder pairs them
by arrival order (:class:`~sensors.families.base.StreamPairer` on host receipt times): the
oldest waiting acc sample is merged with the oldest waiting gyro sample when their receipt
times differ by at most ``MetaWearConfig.max_skew_s``; otherwise the older one is dropped
and counted in ``unpaired``. A lost notification can therefore shift the pairing by one
sample until the skew rule catches it — the protocol gives nothing better (the on-board
accounter counter is not implemented: its byte format is UNVERIFIED).

Chip: MetaMotion R/RL/C carry a BMI160, MetaMotion S a BMI270; registers and config bits
differ. The chip is taken from the Device Information model number (``"8"`` → BMI270,
anything else → BMI160), read at connect (``spec.info_read_uuids``).

Sensor fusion (quaternion) streams are supported as command builders
(:func:`fusion_plan`) and pure decoders (:func:`decode_fusion`), not by the IMU decoder.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

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
    Vec3,
    nearest_rate,
    normalize_uuid,
    quantize,
)

SERVICE_UUID: Final = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND_UUID: Final = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY_UUID: Final = "326a9006-85cb-9195-d9dd-464cfbbae75a"
DEVICE_INFO_UUID: Final = normalize_uuid("180a")
MODEL_NUMBER_UUID: Final = normalize_uuid("2a24")
FIRMWARE_REV_UUID: Final = normalize_uuid("2a26")
MANUFACTURER_UUID: Final = normalize_uuid("2a29")

# module ids (module.h)
ACC: Final = 0x03
GYRO: Final = 0x13
MAG: Final = 0x15
FUSION: Final = 0x19
SETTINGS: Final = 0x11

# registers shared by acc and gyro
POWER_MODE: Final = 0x01
DATA_INTERRUPT_ENABLE: Final = 0x02
DATA_CONFIG: Final = 0x03
READ: Final = 0x80

Chip = Literal["bmi160", "bmi270"]


@dataclass(frozen=True)
class ChipRegisters:
    """Data registers of one IMU chip (reference §1.4) and its discovery implementation ids."""

    acc_data: int
    acc_packed: int
    gyr_data: int
    gyr_packed: int
    acc_impl: int
    gyr_impl: int
    acc_range_codes: Mapping[int, int]
    """Accelerometer range in g → DATA_CONFIG byte 1."""


REGISTERS: Final[Mapping[Chip, ChipRegisters]] = {
    "bmi160": ChipRegisters(0x04, 0x1C, 0x05, 0x07, 1, 0, {2: 0x03, 4: 0x05, 8: 0x08, 16: 0x0C}),
    "bmi270": ChipRegisters(0x04, 0x05, 0x04, 0x05, 4, 1, {2: 0x00, 4: 0x01, 8: 0x02, 16: 0x03}),
}

ACC_ODRS_HZ: Final = (
    0.78125,
    1.5625,
    3.125,
    6.25,
    12.5,
    25.0,
    50.0,
    100.0,
    200.0,
    400.0,
    800.0,
    1600.0,
)
"""Accelerometer output rates; ODR code = index + 1."""
ACC_LSB_PER_G: Final = {2: 16384.0, 4: 8192.0, 8: 4096.0, 16: 2048.0}
GYR_ODRS_HZ: Final = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0)
"""Gyro output rates; ODR code = index + 6."""
GYR_RANGE_CODES: Final = {2000: 0, 1000: 1, 500: 2, 250: 3, 125: 4}
GYR_LSB_PER_DPS: Final = {2000: 16.4, 1000: 32.8, 500: 65.6, 250: 131.2, 125: 262.4}
MAG_LSB_PER_UT: Final = 16.0
MAG_ODR_CODES_HZ: Final = {10.0: 0, 2.0: 1, 6.0: 2, 8.0: 3, 15.0: 4, 20.0: 5, 25.0: 6, 30.0: 7}
MAG_PRESETS: Final = {
    # name: (xy repetitions, z repetitions, rate Hz)
    "low_power": (3, 3, 10.0),
    "regular": (9, 15, 10.0),
    "enhanced": (15, 27, 10.0),
    "high_accuracy": (47, 83, 20.0),
}

IMU_RATES_HZ: Final = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
"""Rates both chips' acc and gyro support (the acc+gyro stream rates)."""

SPEC: Final = FamilySpec(
    family=Family.METAWEAR,
    title="MbientLab MetaMotion (MetaWear)",
    services=(
        ServiceSpec(
            SERVICE_UUID,
            "MetaWear",
            (
                CharSpec(
                    COMMAND_UUID,
                    frozenset({"write", "write-without-response"}),
                    "commands [module][register][payload]",
                ),
                CharSpec(NOTIFY_UUID, frozenset({"notify"}), "responses and sensor data"),
            ),
        ),
        ServiceSpec(
            DEVICE_INFO_UUID,
            "Device Information",
            (
                CharSpec(MANUFACTURER_UUID, frozenset({"read"}), "manufacturer", b"MbientLab Inc"),
                CharSpec(MODEL_NUMBER_UUID, frozenset({"read"}), "model number", b"5"),
                CharSpec(FIRMWARE_REV_UUID, frozenset({"read"}), "firmware revision", b"1.7.3"),
            ),
        ),
    ),
    advertised_service_uuids=(SERVICE_UUID,),
    name_patterns=(r"MetaWear\b", r"MetaMotion\b"),
    example_name="MetaWear",
    notify_uuids=(NOTIFY_UUID,),
    control_uuids=(COMMAND_UUID,),
    has_device_time=False,
    device_tick_hz=None,
    rates_hz=IMU_RATES_HZ,
    default_rate_hz=100.0,
    info_read_uuids=(MODEL_NUMBER_UUID,),
)


def chip_from_model_number(model: bytes | str | None) -> Chip:
    """IMU chip from the Device Information model number.

    ``"8"`` (MetaMotion S) → BMI270, anything else (``"5"`` R/RL, ``"6"`` C, older boards,
    unknown) → BMI160.
    """
    if isinstance(model, bytes):
        model = model.decode("ascii", errors="replace")
    return "bmi270" if (model or "").strip() == "8" else "bmi160"


# --- commands -------------------------------------------------------------------------------


def _code_of(rate_hz: float, table: Sequence[float], first_code: int, what: str) -> int:
    for i, r in enumerate(table):
        if abs(r - rate_hz) < 1e-6:
            return first_code + i
    raise ConfigError(f"MetaWear {what} cannot run at {rate_hz:g} Hz; supported: {list(table)}")


def acc_config_command(chip: Chip, rate_hz: float, range_g: int) -> bytes:
    """``03 03 b0 b1``: accelerometer ODR/bandwidth (b0) and range (b1), per §1.5.

    BMI160 sets bandwidth 2 at ≥ 12.5 Hz and the undersampling bit below; BMI270 always
    bandwidth 2 and the filter-performance bit at ≥ 12.5 Hz. 100 Hz ±16 g: BMI160
    ``03 03 28 0C``, BMI270 ``03 03 A8 03``.
    """
    code = _code_of(rate_hz, ACC_ODRS_HZ, 1, "accelerometer")
    ranges = REGISTERS[chip].acc_range_codes
    if range_g not in ranges:
        raise ConfigError(f"MetaWear accelerometer range ±{range_g} g unknown; use {list(ranges)}")
    fast = rate_hz >= 12.5
    if chip == "bmi160":
        b0 = code | ((2 if fast else 0) << 4) | ((0 if fast else 1) << 7)
    else:
        b0 = code | (2 << 4) | ((1 if fast else 0) << 7)
    return bytes([ACC, DATA_CONFIG, b0, ranges[range_g]])


def gyro_config_command(rate_hz: float, range_dps: int) -> bytes:
    """``13 03 b0 b1``: gyro ODR code | bandwidth 2 << 4, range code (both chips).

    100 Hz ±2000 dps = ``13 03 28 00``.
    """
    code = _code_of(rate_hz, GYR_ODRS_HZ, 6, "gyro")
    if range_dps not in GYR_RANGE_CODES:
        raise ConfigError(
            f"MetaWear gyro range ±{range_dps} dps unknown; use {list(GYR_RANGE_CODES)}"
        )
    return bytes([GYRO, DATA_CONFIG, code | (2 << 4), GYR_RANGE_CODES[range_dps]])


def connection_params_command(
    *,
    min_interval_s: float = 0.0075,
    max_interval_s: float = 0.0075,
    latency: int = 0,
    timeout_s: float = 6.0,
) -> bytes:
    """Connection parameters command: ``11 09`` + 4 × u16.

    Intervals in 1.25 ms units, latency, supervision timeout in 10 ms units. Default
    (7.5 ms, 6 s) = ``11 09 06 00 06 00 00 00 58 02``.
    """
    fields = (round(min_interval_s / 1.25e-3), round(max_interval_s / 1.25e-3), latency)
    return bytes([SETTINGS, 0x09]) + struct.pack("<4H", *fields, round(timeout_s / 10e-3))


def acc_start_command(chip: Chip, rate_hz: float) -> bytes:
    """``03 01 01``; BMI270 below 12.5 Hz (filter-performance bit 0) starts with ``03 01 02``."""
    return bytes([ACC, POWER_MODE, 0x02 if chip == "bmi270" and rate_hz < 12.5 else 0x01])


def mag_preset_commands(preset: str) -> tuple[bytes, bytes]:
    """BMM150 repetitions ``15 04 (xy−1)/2 (z−1)`` and rate ``15 03 code`` of a preset."""
    if preset not in MAG_PRESETS:
        raise ConfigError(
            f"unknown MetaWear magnetometer preset {preset!r}; use {list(MAG_PRESETS)}"
        )
    xy, z, rate = MAG_PRESETS[preset]
    return bytes([MAG, 0x04, (xy - 1) // 2, z - 1]), bytes([MAG, 0x03, MAG_ODR_CODES_HZ[rate]])


def _w(data: bytes) -> GattWrite:
    # The SDK writes without response (with response only for the macro module 0x0F).
    return GattWrite(COMMAND_UUID, data, with_response=False)


def imu_plan(config: MetaWearConfig) -> StreamPlan:
    """Start/stop writes for raw acc + gyro streaming (§1.6), packed registers if asked."""
    regs = REGISTERS[config.chip]
    acc_reg = regs.acc_packed if config.packed else regs.acc_data
    gyr_reg = regs.gyr_packed if config.packed else regs.gyr_data
    start: list[bytes] = []
    if config.connection_interval_s is not None:
        start.append(
            connection_params_command(
                min_interval_s=config.connection_interval_s,
                max_interval_s=config.connection_interval_s,
            )
        )
    start += [
        acc_config_command(config.chip, config.rate_hz, config.acc_range_g),
        gyro_config_command(config.rate_hz, config.gyr_range_dps),
        bytes([ACC, acc_reg, 0x01]),
        bytes([GYRO, gyr_reg, 0x01]),
        bytes([ACC, DATA_INTERRUPT_ENABLE, 0x01, 0x00]),
        bytes([GYRO, DATA_INTERRUPT_ENABLE, 0x01, 0x00]),
        acc_start_command(config.chip, config.rate_hz),
        bytes([GYRO, POWER_MODE, 0x01]),
    ]
    stop = [
        bytes([ACC, POWER_MODE, 0x00]),
        bytes([GYRO, POWER_MODE, 0x00]),
        bytes([ACC, DATA_INTERRUPT_ENABLE, 0x00, 0x01]),
        bytes([GYRO, DATA_INTERRUPT_ENABLE, 0x00, 0x01]),
        bytes([ACC, acc_reg, 0x00]),
        bytes([GYRO, gyr_reg, 0x00]),
    ]
    return StreamPlan((NOTIFY_UUID,), tuple(map(_w, start)), tuple(map(_w, stop)))


FUSION_MODES: Final = {"sleep": 0, "ndof": 1, "imu_plus": 2, "compass": 3, "m4g": 4}
FUSION_ACC_RANGES_G: Final = {2: 0, 4: 1, 8: 2, 16: 3}
FUSION_GYR_RANGES_DPS: Final = {2000: 0, 1000: 1, 500: 2, 250: 3}
FUSION_OUTPUTS: Final = (
    "corrected_acc",
    "corrected_gyro",
    "corrected_mag",
    "quaternion",
    "euler",
    "gravity",
    "linear_acc",
)
"""Fusion outputs in bit order of the OUTPUT_ENABLE mask; data register = 0x04 + index."""


def fusion_plan(
    mode: str = "ndof",
    *,
    acc_range_g: int = 16,
    gyr_range_dps: int = 2000,
    outputs: Sequence[str] = ("quaternion",),
) -> StreamPlan:
    """Sensor-fusion start/stop writes (§1.6, sequence of the SDK's ``test_sensor_fusion``).

    Configuration ``19 02 mode ranges`` plus the acc/gyro(/mag) configs the SDK writes with
    it (NDoF/IMUPlus: acc and gyro 100 Hz, mag regular preset at 25 Hz), one subscribe per
    output, then enable/start of the sensors, the output mask and ``19 01 01``. The acc
    config shown is the BMI160 one (``03 03 28 0C`` at ±16 g); IMUPlus omits every
    magnetometer command. Compass/M4G acc rates (25/50 Hz) follow the reference table.
    """
    if mode not in FUSION_MODES or mode == "sleep":
        raise ConfigError(
            f"MetaWear fusion mode {mode!r} unknown; use ndof, imu_plus, compass, m4g"
        )
    if acc_range_g not in FUSION_ACC_RANGES_G or gyr_range_dps not in FUSION_GYR_RANGES_DPS:
        raise ConfigError("MetaWear fusion ranges: acc 2/4/8/16 g, gyro 2000/1000/500/250 dps")
    bad = [o for o in outputs if o not in FUSION_OUTPUTS]
    if bad or not outputs:
        raise ConfigError(f"MetaWear fusion outputs {bad or '[]'} unknown; use {FUSION_OUTPUTS}")
    ranges = FUSION_ACC_RANGES_G[acc_range_g] | ((FUSION_GYR_RANGES_DPS[gyr_range_dps] + 1) << 4)
    uses_gyro = mode in ("ndof", "imu_plus")
    uses_mag = mode != "imu_plus"
    acc_rate = {"ndof": 100.0, "imu_plus": 100.0, "compass": 25.0, "m4g": 50.0}[mode]
    config = [
        bytes([FUSION, 0x02, FUSION_MODES[mode], ranges]),
        acc_config_command("bmi160", acc_rate, acc_range_g),
    ]
    if uses_gyro:
        config.append(gyro_config_command(100.0, gyr_range_dps))
    if uses_mag:
        config += [bytes([MAG, 0x04, 0x04, 0x0E]), bytes([MAG, 0x03, 0x06])]
    idx = [FUSION_OUTPUTS.index(o) for o in outputs]
    subscribe = [bytes([FUSION, 0x04 + i, 0x01]) for i in idx]
    mask = sum(1 << i for i in idx)
    modules = [ACC] + ([GYRO] if uses_gyro else []) + ([MAG] if uses_mag else [])
    start = [bytes([m, DATA_INTERRUPT_ENABLE, 0x01, 0x00]) for m in modules]
    start += [bytes([m, POWER_MODE, 0x01]) for m in modules]
    start += [bytes([FUSION, 0x03, mask, 0x00]), bytes([FUSION, 0x01, 0x01])]
    stop = [bytes([FUSION, 0x01, 0x00]), bytes([FUSION, 0x03, 0x00, 0x7F])]
    stop += [bytes([m, POWER_MODE, 0x00]) for m in modules]
    stop += [bytes([m, DATA_INTERRUPT_ENABLE, 0x00, 0x01]) for m in modules]
    stop += [bytes([FUSION, 0x04 + i, 0x00]) for i in idx]
    return StreamPlan(
        (NOTIFY_UUID,), tuple(map(_w, config + subscribe + start)), tuple(map(_w, stop))
    )


def fusion_reset_orientation_command() -> bytes:
    """``19 0F 01``: reset the fusion heading (module revision ≥ 3)."""
    return bytes([FUSION, 0x0F, 0x01])


def fusion_calibration_state_read() -> bytes:
    """``19 8B``: read the calibration state; reply ``19 8B acc gyro mag`` (0–3 each)."""
    return bytes([FUSION, 0x0B | READ])


# --- pure decoding --------------------------------------------------------------------------


def decode_vectors(payload: bytes, lsb_per_unit: float) -> list[Vec3]:
    """The i16 x,y,z triples after the 2-byte header (1 or 3 per notification) ÷ LSB.

    Raises ValueError when the length is not 8 or 20 bytes.
    """
    if len(payload) not in (8, 20):
        raise ValueError(f"expected 8 or 20 bytes, got {len(payload)}")
    n = (len(payload) - 2) // 6
    vals = struct.unpack_from(f"<{3 * n}h", payload, 2)
    return [
        (vals[3 * i] / lsb_per_unit, vals[3 * i + 1] / lsb_per_unit, vals[3 * i + 2] / lsb_per_unit)
        for i in range(n)
    ]


def decode_acc(payload: bytes, range_g: int) -> list[Vec3]:
    """Acceleration notification(s) ``03 04``/packed → specific force in m/s²."""
    return [
        (x * G0_M_S2, y * G0_M_S2, z * G0_M_S2)
        for x, y, z in decode_vectors(payload, ACC_LSB_PER_G[range_g])
    ]


def decode_gyro(payload: bytes, range_dps: int) -> list[Vec3]:
    """Gyro notification(s) → rad/s."""
    return [
        (x * DEG_TO_RAD, y * DEG_TO_RAD, z * DEG_TO_RAD)
        for x, y, z in decode_vectors(payload, GYR_LSB_PER_DPS[range_dps])
    ]


def decode_mag(payload: bytes) -> list[Vec3]:
    """Magnetometer notification(s) ``15 05``/``15 09`` → µT (÷ 16)."""
    return decode_vectors(payload, MAG_LSB_PER_UT)


@dataclass(frozen=True)
class FusionReading:
    """One decoded sensor-fusion notification in SI.

    ``kind`` is the output name (``FUSION_OUTPUTS``); ``values`` are m/s² (corrected acc,
    gravity, linear acc), rad/s (corrected gyro), µT (corrected mag), the quaternion
    ``(w, x, y, z)`` as sent (not renormalised), or Euler heading/pitch/roll/yaw in rad.
    ``accuracy`` (0 unreliable … 3 high) only for the corrected outputs.
    """

    kind: str
    values: tuple[float, ...]
    accuracy: int | None = None


_FUSION_LAYOUT: Final = {
    # register: (kind, length, scale to SI)
    0x04: ("corrected_acc", 15, G0_M_S2 / 1000.0),  # milli-g
    0x05: ("corrected_gyro", 15, DEG_TO_RAD),
    0x06: ("corrected_mag", 15, 1.0),
    0x07: ("quaternion", 18, 1.0),
    0x08: ("euler", 18, DEG_TO_RAD),
    0x09: ("gravity", 14, 1.0),
    0x0A: ("linear_acc", 14, 1.0),
}


def decode_fusion(payload: bytes) -> FusionReading:
    """Decode a ``19 04``…``19 0A`` sensor-fusion notification (§1.7). ValueError if bad."""
    if len(payload) < 2 or payload[0] != FUSION or payload[1] not in _FUSION_LAYOUT:
        raise ValueError(f"not a MetaWear fusion data notification: {payload.hex()}")
    kind, length, scale = _FUSION_LAYOUT[payload[1]]
    if len(payload) != length:
        raise ValueError(f"fusion {kind} needs {length} bytes, got {len(payload)}")
    n = (length - 2) // 4
    vals = tuple(v * scale for v in struct.unpack_from(f"<{n}f", payload, 2))
    accuracy = payload[14] if length == 15 else None
    return FusionReading(kind, vals, accuracy)


# --- streaming decoder ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MetaWearConfig(StreamConfig):
    """Raw acc + gyro streaming of one MetaMotion board.

    ``packed`` uses the 3-samples-per-notification registers; ``connection_interval_s``
    (None: leave it) is requested first with ``11 09``; ``max_skew_s`` is the largest
    receipt-time difference at which an acc and a gyro sample are still paired.
    """

    family: ClassVar[Family] = Family.METAWEAR
    chip: Chip = "bmi160"
    acc_range_g: int = 16
    gyr_range_dps: int = 2000
    packed: bool = False
    connection_interval_s: float | None = 0.0075
    max_skew_s: float = 0.1


class MetaWearDecoder(DecoderBase):
    """Acc and gyro notifications (single or packed) → paired IMU samples (host time only)."""

    family = Family.METAWEAR

    def __init__(self, config: MetaWearConfig) -> None:
        super().__init__()
        self.config = config
        regs = REGISTERS[config.chip]
        self._acc_regs = {regs.acc_data, regs.acc_packed}
        self._gyr_regs = {regs.gyr_data, regs.gyr_packed}
        self._acc_lsb_m_s2 = G0_M_S2 / ACC_LSB_PER_G[config.acc_range_g]
        self._gyr_lsb_rad_s = DEG_TO_RAD / GYR_LSB_PER_DPS[config.gyr_range_dps]
        self._pairer = StreamPairer(time_of="host", tolerance=config.max_skew_s)

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        if char_uuid != NOTIFY_UUID:
            raise self._unknown(payload, f"notification on {char_uuid}, expected {NOTIFY_UUID}")
        if len(payload) < 2:
            raise self._truncated(payload, "shorter than the 2-byte [module][register] header")
        module, register = payload[0], payload[1]
        if register & READ:
            return []  # a read reply (module discovery etc.): not data
        if module == ACC and register in self._acc_regs:
            stream, lsb = "acc", self._acc_lsb_m_s2
        elif module == GYRO and register in self._gyr_regs:
            stream, lsb = "gyr", self._gyr_lsb_rad_s
        else:
            raise self._unknown(payload, f"unhandled register {module:02x} {register:02x}")
        regs = REGISTERS[self.config.chip]
        single = register == (regs.acc_data if module == ACC else regs.gyr_data)
        want = 8 if single else 20
        if len(payload) < want:
            raise self._truncated(payload, f"{stream} notification needs {want} bytes")
        if len(payload) > want:
            raise self._error(
                payload, f"{stream} notification has {len(payload)} bytes, expected {want}"
            )
        n = (want - 2) // 6
        v = struct.unpack_from(f"<{3 * n}h", payload, 2)
        samples = []
        for i in range(n):
            vec = (v[3 * i] * lsb, v[3 * i + 1] * lsb, v[3 * i + 2] * lsb)
            if stream == "acc":
                samples.append(ImuSample(host_rx_ns=host_rx_ns, acc_m_s2=vec))
            else:
                samples.append(ImuSample(host_rx_ns=host_rx_ns, gyr_rad_s=vec))
        before = self._pairer.unpaired
        out = self._pairer.push(stream, samples)
        self.unpaired += self._pairer.unpaired - before
        return out

    def _flush(self) -> list[ImuSample]:
        self.unpaired += self._pairer.drain()
        return []


# --- device emulator ------------------------------------------------------------------------


@dataclass
class _SensorState:
    rate_hz: float | None = None
    range_code: int | None = None
    subscribed: int | None = None  # the data register subscribed to
    interrupt: bool = False
    powered: bool = False

    def active(self) -> bool:
        return bool(
            self.rate_hz and self.subscribed is not None and self.interrupt and self.powered
        )


class MetaWearEmulator(EmulatorBase):
    """Device side of a MetaMotion board for raw acc + gyro streaming.

    Understands connection parameters, acc/gyro DATA_CONFIG, subscribe/unsubscribe of the
    data and packed registers, interrupt enable/disable, power on/off and module discovery
    reads (``03 80``/``13 80`` → ``[module 80 implementation revision]``). A sensor streams
    once configured, subscribed, interrupt-enabled and powered; packed registers send every
    third sample's notification with three samples. Other commands (fusion, mag, logging)
    are logged as unhandled and ignored. Options: ``chip`` ("bmi160"/"bmi270"), which also
    sets the model number served in Device Information ("5"/"8").
    """

    family = Family.METAWEAR

    def __init__(self, *, chip: Chip = "bmi160") -> None:
        super().__init__(SPEC)
        self.chip: Chip = chip
        self.regs = REGISTERS[chip]
        self._values[MODEL_NUMBER_UUID] = b"8" if chip == "bmi270" else b"5"
        self.connection_params: bytes | None = None
        self._acc = _SensorState()
        self._gyr = _SensorState()
        self._gates: dict[str, RateGate] = {}
        self._packs: dict[str, list[tuple[int, int, int]]] = {"acc": [], "gyr": []}

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        rates = [s.rate_hz for s in (self._acc, self._gyr) if s.active() and s.rate_hz]
        return max(rates) if rates else None

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != COMMAND_UUID:
            return self._reject(char_uuid, data, "not the command characteristic")
        if len(data) < 2:
            return self._reject(char_uuid, data, "shorter than [module][register]")
        module, reg, rest = data[0], data[1], data[2:]
        if reg == READ and not rest:
            impl = {ACC: (self.regs.acc_impl, 1), GYRO: (self.regs.gyr_impl, 1)}.get(module)
            reply = bytes([module, READ]) + (bytes(impl) if impl else b"")
            return [Notification(NOTIFY_UUID, reply)]
        if module == SETTINGS and reg == 0x09 and len(rest) == 8:
            self.connection_params = bytes(rest)
            return []
        if module in (ACC, GYRO):
            return self._sensor_command(module, reg, rest, data)
        return self._reject(char_uuid, data, "command not emulated")

    def _sensor_command(
        self, module: int, reg: int, rest: bytes, data: bytes
    ) -> list[Notification]:
        st = self._acc if module == ACC else self._gyr
        name = "acc" if module == ACC else "gyr"
        data_regs = (
            (self.regs.acc_data, self.regs.acc_packed)
            if module == ACC
            else (self.regs.gyr_data, self.regs.gyr_packed)
        )
        if reg == DATA_CONFIG and len(rest) == 2:
            code = rest[0] & 0x0F
            table, first = (ACC_ODRS_HZ, 1) if module == ACC else (GYR_ODRS_HZ, 6)
            if not 0 <= code - first < len(table):
                return self._reject(COMMAND_UUID, data, "ODR code out of range")
            st.rate_hz = table[code - first]
            st.range_code = rest[1]
            self._gates.pop(name, None)
            return []
        if reg in data_regs and rest in (b"\x01", b"\x00"):
            st.subscribed = reg if rest == b"\x01" else None
            self._packs[name].clear()
            return []
        if reg == DATA_INTERRUPT_ENABLE and rest in (b"\x01\x00", b"\x00\x01"):
            st.interrupt = rest == b"\x01\x00"
            return []
        if reg == POWER_MODE and len(rest) == 1 and rest[0] in (0, 1, 2):
            st.powered = rest[0] != 0
            return []
        return self._reject(COMMAND_UUID, data, "sensor command not emulated")

    def _disconnected(self) -> None:
        for p in self._packs.values():
            p.clear()

    def _lsb(self, name: str, st: _SensorState) -> float:
        if name == "acc":
            by_code = {c: g for g, c in self.regs.acc_range_codes.items()}
            return G0_M_S2 / ACC_LSB_PER_G[by_code.get(st.range_code or 0, 16)]
        by_code = {c: d for d, c in GYR_RANGE_CODES.items()}
        return DEG_TO_RAD / GYR_LSB_PER_DPS[by_code.get(st.range_code or 0, 2000)]

    def _encode_one(self, sample: ImuSample) -> list[Notification]:
        out: list[Notification] = []
        t = sample.device_time_s
        assert t is not None
        for name, module, st, vec in (
            ("acc", ACC, self._acc, sample.acc_m_s2),
            ("gyr", GYRO, self._gyr, sample.gyr_rad_s),
        ):
            if not st.active() or vec is None or st.rate_hz is None or st.subscribed is None:
                continue
            gate = self._gates.setdefault(name, RateGate(st.rate_hz))
            if not gate(t):
                continue
            lsb = self._lsb(name, st)
            counts = (quantize(vec[0], lsb), quantize(vec[1], lsb), quantize(vec[2], lsb))
            packed = st.subscribed != (self.regs.acc_data if module == ACC else self.regs.gyr_data)
            if not packed:
                head = bytes([module, st.subscribed])
                out.append(Notification(NOTIFY_UUID, head + struct.pack("<3h", *counts)))
                continue
            pack = self._packs[name]
            pack.append(counts)
            if len(pack) == 3:
                body = b"".join(struct.pack("<3h", *c) for c in pack)
                out.append(Notification(NOTIFY_UUID, bytes([module, st.subscribed]) + body))
                pack.clear()
        return out


# --- codec ----------------------------------------------------------------------------------


class MetaWearCodec(CodecBase[MetaWearConfig]):
    """The MetaWear family codec (``CODEC``)."""

    spec = SPEC
    family_title = "MetaWear"
    config_type = MetaWearConfig
    plan_for = staticmethod(imu_plan)
    decoder_type = MetaWearDecoder
    emulator_type = MetaWearEmulator

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> MetaWearConfig:
        """Raw acc + gyro at the nearest of ``IMU_RATES_HZ`` (packed registers above 100 Hz).

        ``request.options`` override :class:`MetaWearConfig` fields (``acc_range_g``, ``packed``…).
        Magnetometer and fusion quaternion are not part of the IMU stream (ConfigError).
        """
        if request.with_mag or request.with_quat:
            raise ConfigError(
                "MetaWear: the acc+gyro stream carries no magnetometer or quaternion; fusion "
                "streams are built with sensors.families.metawear.fusion_plan"
            )
        info = request.info()
        rate = nearest_rate(request.rate_hz, IMU_RATES_HZ, default=SPEC.default_rate_hz)
        fields: dict[str, Any] = {
            "rate_hz": rate,
            "chip": chip_from_model_number(info.get(MODEL_NUMBER_UUID)),
            "packed": rate > 100.0,
        }
        fields.update(request.options)
        config = MetaWearConfig(**fields)
        if config.chip not in REGISTERS:
            raise ConfigError(f"MetaWear chip {config.chip!r} unknown; use bmi160 or bmi270")
        acc_config_command(config.chip, config.rate_hz, config.acc_range_g)  # validates
        gyro_config_command(config.rate_hz, config.gyr_range_dps)
        return config


CODEC: Final = MetaWearCodec()
