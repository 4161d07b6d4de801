"""Nordic Thingy:52 motion service (TMS): config write, decoder and device emulator.

Reference: sensor-protocols.md §5 (Nordic-Thingy52-FW ``ble_tms``/``m_motion``). Writing the
9-byte configuration sets the motion processing frequency (5–200 Hz); notifications start
when the client enables a characteristic's CCCD and stop when it disables it — there is no
start command and **no timestamp** in the raw or quaternion packets.

Raw data (18 bytes): acc i16 Q6.10 (÷ 1024 → g), gyro i16 Q11.5 (÷ 32 → dps), compass i16
Q12.4 (÷ 16 → µT). The firmware has already remapped the compass axes to the board frame
(x ← chip y, y ← −chip x; :func:`compass_from_chip_axes`), so the decoder applies no remap.
With ``with_quat`` the quaternion characteristic (i32 Q2.30 w,x,y,z; MPU-9250 DMP output,
frame convention UNVERIFIED) is paired with the raw stream by arrival order like MetaWear's
acc/gyro. The advertised service UUID is UNVERIFIED (the motion service is listed).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
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
    Vec3,
    quantize,
    uuid_on_base,
)

BASE_UUID: Final = "EF68xxxx-9B35-4933-9B10-52FFA9740042"
MOTION_SERVICE_UUID: Final = uuid_on_base(BASE_UUID, 0x0400)
CONFIG_UUID: Final = uuid_on_base(BASE_UUID, 0x0401)
TAP_UUID: Final = uuid_on_base(BASE_UUID, 0x0402)
ORIENTATION_UUID: Final = uuid_on_base(BASE_UUID, 0x0403)
QUATERNION_UUID: Final = uuid_on_base(BASE_UUID, 0x0404)
STEP_UUID: Final = uuid_on_base(BASE_UUID, 0x0405)
RAW_UUID: Final = uuid_on_base(BASE_UUID, 0x0406)
EULER_UUID: Final = uuid_on_base(BASE_UUID, 0x0407)
ROTATION_MATRIX_UUID: Final = uuid_on_base(BASE_UUID, 0x0408)
HEADING_UUID: Final = uuid_on_base(BASE_UUID, 0x0409)
GRAVITY_UUID: Final = uuid_on_base(BASE_UUID, 0x040A)

ACC_LSB_G: Final = 1.0 / 1024.0  # Q6.10
GYR_LSB_DPS: Final = 1.0 / 32.0  # Q11.5
MAG_LSB_UT: Final = 1.0 / 16.0  # Q12.4
QUAT_LSB: Final = 1.0 / (1 << 30)  # Q2.30
RAW_BYTES: Final = 18
QUAT_BYTES: Final = 16

MIN_RATE_HZ: Final = 5
MAX_RATE_HZ: Final = 200
RATES_HZ: Final = (5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0)
"""Listed rates; any whole number of Hz in 5–200 is accepted by the firmware."""


@dataclass(frozen=True)
class MotionConfig:
    """The 9-byte TMS configuration value."""

    pedometer_interval_ms: int = 1000
    temperature_compensation_interval_ms: int = 500
    compass_interval_ms: int = 500
    motion_frequency_hz: int = 10
    wake_on_motion: bool = True

    def encode(self) -> bytes:
        """``<HHHHB``; default ``E8 03 F4 01 F4 01 0A 00 01``."""
        return struct.pack(
            "<HHHHB",
            self.pedometer_interval_ms,
            self.temperature_compensation_interval_ms,
            self.compass_interval_ms,
            self.motion_frequency_hz,
            int(self.wake_on_motion),
        )

    @classmethod
    def decode(cls, value: bytes) -> MotionConfig:
        """Parse a 9-byte config value; ValueError for another length."""
        if len(value) != 9:
            raise ValueError(f"Thingy motion config is 9 bytes, got {len(value)}")
        ped, temp, comp, freq, wom = struct.unpack("<HHHHB", value)
        return cls(ped, temp, comp, freq, bool(wom))

    def problems(self) -> list[str]:
        """Fields outside the firmware's accepted ranges."""
        out = []
        for name, lo, hi in (
            ("pedometer_interval_ms", 100, 5000),
            ("temperature_compensation_interval_ms", 100, 5000),
            ("compass_interval_ms", 100, 1000),
            ("motion_frequency_hz", MIN_RATE_HZ, MAX_RATE_HZ),
        ):
            v = getattr(self, name)
            if not lo <= v <= hi:
                out.append(f"{name}={v} outside {lo}–{hi}")
        return out


SPEC: Final = FamilySpec(
    family=Family.THINGY52,
    title="Nordic Thingy:52 (motion service)",
    services=(
        ServiceSpec(
            MOTION_SERVICE_UUID,
            "Thingy Motion Service",
            (
                CharSpec(
                    CONFIG_UUID, frozenset({"read", "write"}), "config", MotionConfig().encode()
                ),
                CharSpec(TAP_UUID, frozenset({"notify"}), "tap"),
                CharSpec(ORIENTATION_UUID, frozenset({"notify"}), "orientation"),
                CharSpec(QUATERNION_UUID, frozenset({"notify"}), "quaternion Q2.30"),
                CharSpec(STEP_UUID, frozenset({"notify"}), "step counter"),
                CharSpec(RAW_UUID, frozenset({"notify"}), "raw acc/gyro/compass"),
                CharSpec(EULER_UUID, frozenset({"notify"}), "Euler Q16.16"),
                CharSpec(ROTATION_MATRIX_UUID, frozenset({"notify"}), "rotation matrix Q2.14"),
                CharSpec(HEADING_UUID, frozenset({"notify"}), "heading Q16.16"),
                CharSpec(GRAVITY_UUID, frozenset({"notify"}), "gravity vector f32"),
            ),
        ),
    ),
    advertised_service_uuids=(MOTION_SERVICE_UUID,),
    name_patterns=(r"Thingy",),
    example_name="Thingy",
    notify_uuids=(RAW_UUID, QUATERNION_UUID),
    control_uuids=(CONFIG_UUID,),
    has_device_time=False,
    device_tick_hz=None,
    rates_hz=RATES_HZ,
    default_rate_hz=100.0,
    info_read_uuids=(CONFIG_UUID,),
)


def compass_from_chip_axes(chip_xyz: Vec3) -> Vec3:
    """The firmware's compass remap: board x = chip y, board y = −chip x, z unchanged."""
    return (chip_xyz[1], -chip_xyz[0], chip_xyz[2])


def decode_raw(payload: bytes) -> tuple[Vec3, Vec3, Vec3]:
    """Raw-data value → (acc m/s², gyro rad/s, compass µT); ValueError unless 18 bytes."""
    if len(payload) != RAW_BYTES:
        raise ValueError(f"Thingy raw data is {RAW_BYTES} bytes, got {len(payload)}")
    v = struct.unpack("<9h", payload)
    ka, kg = ACC_LSB_G * G0_M_S2, GYR_LSB_DPS * DEG_TO_RAD
    return (
        (v[0] * ka, v[1] * ka, v[2] * ka),
        (v[3] * kg, v[4] * kg, v[5] * kg),
        (v[6] * MAG_LSB_UT, v[7] * MAG_LSB_UT, v[8] * MAG_LSB_UT),
    )


def encode_raw(acc_m_s2: Vec3, gyr_rad_s: Vec3, mag_ut: Vec3) -> bytes:
    """Inverse of :func:`decode_raw` (saturating at the Q-format ranges)."""
    ka, kg = ACC_LSB_G * G0_M_S2, GYR_LSB_DPS * DEG_TO_RAD
    counts = [quantize(a, ka) for a in acc_m_s2] + [quantize(g, kg) for g in gyr_rad_s]
    counts += [quantize(m, MAG_LSB_UT) for m in mag_ut]
    return struct.pack("<9h", *counts)


@dataclass(frozen=True, kw_only=True)
class ThingyConfig(StreamConfig):
    """Thingy:52 motion streaming.

    ``motion`` is the config value written (its frequency = rate); ``max_skew_s`` pairs raw
    and quaternion packets by receipt time (``with_quat``).
    """

    family: ClassVar[Family] = Family.THINGY52
    motion: MotionConfig = MotionConfig(motion_frequency_hz=100)
    max_skew_s: float = 0.1


def plan(config: ThingyConfig) -> StreamPlan:
    """Write the config, enable the raw (and quaternion) CCCDs; stop = disable them."""
    notify = (RAW_UUID, QUATERNION_UUID) if config.with_quat else (RAW_UUID,)
    return StreamPlan(notify, (GattWrite(CONFIG_UUID, config.motion.encode()),), ())


class ThingyDecoder(DecoderBase):
    """Raw motion (and optionally quaternion) notifications → samples without device time."""

    family = Family.THINGY52

    def __init__(self, config: ThingyConfig) -> None:
        super().__init__()
        self.config = config
        self._pairer = (
            StreamPairer(time_of="host", tolerance=config.max_skew_s, streams=("raw", "quat"))
            if config.with_quat
            else None
        )

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        if char_uuid == RAW_UUID:
            if len(payload) < RAW_BYTES:
                raise self._truncated(payload, f"raw data needs {RAW_BYTES} bytes")
            if len(payload) > RAW_BYTES:
                raise self._error(
                    payload, f"raw data has {len(payload)} bytes, expected {RAW_BYTES}"
                )
            acc, gyr, mag = decode_raw(payload)
            sample = ImuSample(host_rx_ns=host_rx_ns, acc_m_s2=acc, gyr_rad_s=gyr, mag_ut=mag)
            return self._pair("raw", sample)
        if char_uuid == QUATERNION_UUID and self._pairer is not None:
            if len(payload) < QUAT_BYTES:
                raise self._truncated(payload, f"quaternion needs {QUAT_BYTES} bytes")
            if len(payload) > QUAT_BYTES:
                raise self._error(payload, f"quaternion has {len(payload)} bytes")
            w, x, y, z = (c * QUAT_LSB for c in struct.unpack("<4i", payload))
            return self._pair("quat", ImuSample(host_rx_ns=host_rx_ns, quat_wxyz=(w, x, y, z)))
        raise self._unknown(payload, f"notification on {char_uuid} not streamed")

    def _pair(self, stream: str, sample: ImuSample) -> list[ImuSample]:
        if self._pairer is None:
            return [sample]
        before = self._pairer.unpaired
        out = self._pairer.push(stream, [sample])
        self.unpaired += self._pairer.unpaired - before
        return out

    def _flush(self) -> list[ImuSample]:
        if self._pairer is not None:
            self.unpaired += self._pairer.drain()
        return []


class ThingyEmulator(EmulatorBase):
    """Device side of a Thingy:52.

    Config writes (out-of-range values rejected, value kept as read-back), raw data and
    quaternion notifications at the motion frequency for the enabled CCCDs.
    """

    family = Family.THINGY52

    def __init__(self) -> None:
        super().__init__(SPEC)
        self.config = MotionConfig()
        self._gate: RateGate | None = None

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        if self.notifying(RAW_UUID) or self.notifying(QUATERNION_UUID):
            return float(self.config.motion_frequency_hz)
        return None

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != CONFIG_UUID:
            return self._reject(char_uuid, data, "not writable in the emulator")
        try:
            cfg = MotionConfig.decode(data)
        except ValueError as exc:
            return self._reject(char_uuid, data, str(exc))
        if cfg.problems():
            return self._reject(char_uuid, data, "; ".join(cfg.problems()))
        self.config = cfg
        self._values[CONFIG_UUID] = cfg.encode()
        self._gate = None
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
        zero = (0.0, 0.0, 0.0)
        out = [
            Notification(
                RAW_UUID,
                encode_raw(
                    sample.acc_m_s2 or zero, sample.gyr_rad_s or zero, sample.mag_ut or zero
                ),
            )
        ]
        q = sample.quat_wxyz or (1.0, 0.0, 0.0, 0.0)
        out.append(
            Notification(
                QUATERNION_UUID, struct.pack("<4i", *(quantize(c, QUAT_LSB, bits=32) for c in q))
            )
        )
        return out


class ThingyCodec(CodecBase[ThingyConfig]):
    """The Thingy:52 family codec (``CODEC``)."""

    spec = SPEC
    family_title = "Thingy:52"
    config_type = ThingyConfig
    plan_for = staticmethod(plan)
    decoder_type = ThingyDecoder
    emulator_type = ThingyEmulator

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> ThingyConfig:
        """Raw acc/gyro/compass at ``rate_hz`` rounded to a whole Hz in 5–200.

        The compass is always included (``request.with_mag`` changes nothing); the other
        config fields are kept from the config value read at connect (``device_info``), else
        the firmware defaults.
        """
        info = request.info()
        base = MotionConfig()
        if CONFIG_UUID in info:
            try:
                base = MotionConfig.decode(info[CONFIG_UUID])
            except ValueError as exc:
                raise ConfigError(f"Thingy config read back is invalid: {exc}") from None
        rate_hz = request.rate_hz
        if rate_hz is None:
            rate = int(SPEC.default_rate_hz)
        elif not (math.isfinite(rate_hz) and rate_hz > 0):
            raise ConfigError(f"sample rate must be a positive number of Hz, got {rate_hz!r}")
        else:
            rate = max(MIN_RATE_HZ, min(MAX_RATE_HZ, round(rate_hz)))
        motion = MotionConfig(
            base.pedometer_interval_ms,
            base.temperature_compensation_interval_ms,
            base.compass_interval_ms,
            rate,
            base.wake_on_motion,
        )
        fields: dict[str, Any] = {
            "rate_hz": float(rate),
            "with_mag": request.with_mag,
            "with_quat": request.with_quat,
            "motion": motion,
        }
        fields.update(request.options)
        return ThingyConfig(**fields)


CODEC: Final = ThingyCodec()
