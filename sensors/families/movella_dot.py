"""Movella (formerly Xsens) DOT: payload modes, commands, decoder and device emulator.

Reference: sensor-protocols.md §4 (Movella DOT BLE Service Specification Rev C, the archived
official DOT server). The client enables notifications on the payload characteristic that
matches the payload mode (short ≤ 20 B, medium ≤ 40 B, long ≤ 63 B), sets the output rate in
Device control, then writes ``01 01 mode`` to the measurement Control characteristic
(``01 00 mode`` stops). Every payload starts with a u32 µs timestamp (sensor clock, wraps at
2^32 µs ≈ 71.6 min) followed by the mode's fields; unused trailing bytes of the
characteristic are zero, so payloads are parsed **by mode**, never by length.

Units: quaternion w,x,y,z (sensor → local earth frame, ENU), Euler roll/pitch/yaw in degrees
(ZYX), free acceleration m/s² in the earth frame without gravity, acc m/s², gyro dps, delta
quantities dq/dv, magnetic field i16 in arbitrary units (÷ 2^12). The magnetometer has no µT
scale: ``ImuSample.mag_ut`` stays None unless ``DotConfig.mag_au_to_ut`` is set. The
output-rate write's byte offsets come from the spec's field table only (UNVERIFIED by an
example); High-Fidelity and Custom mode 4 (ids 1, 17, 25) are SDK-only and not decoded.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
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
    Quat,
    RateGate,
    ServiceSpec,
    StreamConfig,
    StreamPlan,
    StreamRequest,
    Vec3,
    WrapUnwrapper,
    nearest_rate,
    quantize,
    uuid_on_base,
)

BASE_UUID: Final = "1517xxxx-4947-11e9-8646-d663bd873d93"
CONFIG_SERVICE_UUID: Final = uuid_on_base(BASE_UUID, 0x1000)
DEVICE_INFO_UUID: Final = uuid_on_base(BASE_UUID, 0x1001)
DEVICE_CONTROL_UUID: Final = uuid_on_base(BASE_UUID, 0x1002)
DEVICE_REPORT_UUID: Final = uuid_on_base(BASE_UUID, 0x1004)
MEASUREMENT_SERVICE_UUID: Final = uuid_on_base(BASE_UUID, 0x2000)
CONTROL_UUID: Final = uuid_on_base(BASE_UUID, 0x2001)
LONG_PAYLOAD_UUID: Final = uuid_on_base(BASE_UUID, 0x2002)
MEDIUM_PAYLOAD_UUID: Final = uuid_on_base(BASE_UUID, 0x2003)
SHORT_PAYLOAD_UUID: Final = uuid_on_base(BASE_UUID, 0x2004)
ORIENTATION_RESET_UUID: Final = uuid_on_base(BASE_UUID, 0x2006)
ORIENTATION_STATUS_UUID: Final = uuid_on_base(BASE_UUID, 0x2007)
BATTERY_SERVICE_UUID: Final = uuid_on_base(BASE_UUID, 0x3000)
BATTERY_UUID: Final = uuid_on_base(BASE_UUID, 0x3001)

PAYLOAD_CHARS: Final = {
    "long": (LONG_PAYLOAD_UUID, 63),
    "medium": (MEDIUM_PAYLOAD_UUID, 40),
    "short": (SHORT_PAYLOAD_UUID, 20),
}
"""Payload characteristic and its length by size class."""

OUTPUT_RATES_HZ: Final = (1.0, 4.0, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)
"""Streaming output rates from the spec (a third-party list says 5 instead of 4: UNVERIFIED)."""
DEFAULT_RATE_HZ: Final = 60.0
TIMESTAMP_MODULUS: Final = 1 << 32
MAG_AU_LSB: Final = 1.0 / 4096.0
DEVICE_CONTROL_BYTES: Final = 32
RATE_VISIT_BIT: Final = 0x10
TAG_VISIT_BIT: Final = 0x08
FILTER_VISIT_BIT: Final = 0x20

# field kind → (struct format, number of values)
_FIELDS: Final = {
    "quat": ("<4f", 4),
    "euler": ("<3f", 3),
    "free_acc": ("<3f", 3),
    "acc": ("<3f", 3),
    "gyr": ("<3f", 3),
    "dq": ("<4f", 4),
    "dv": ("<3f", 3),
    "mag": ("<3h", 3),
    "status": ("<H", 1),
    "clip_acc": ("<B", 1),
    "clip_gyr": ("<B", 1),
}


@dataclass(frozen=True)
class PayloadMode:
    """One payload mode: id, name, characteristic size class and fields.

    The fields are those after the timestamp, in wire order.
    """

    mode_id: int
    name: str
    size_class: str
    fields: tuple[str, ...]

    @property
    def size(self) -> int:
        """Payload bytes including the 4-byte timestamp."""
        return 4 + sum(struct.calcsize(_FIELDS[f][0]) for f in self.fields)

    @property
    def char_uuid(self) -> str:
        """The payload characteristic the mode is notified on."""
        return PAYLOAD_CHARS[self.size_class][0]


_EXT = ("status", "clip_acc", "clip_gyr")
PAYLOAD_MODES: Final[Mapping[int, PayloadMode]] = {
    m.mode_id: m
    for m in (
        PayloadMode(2, "Extended (Quaternion)", "medium", ("quat", "free_acc", *_EXT)),
        PayloadMode(3, "Complete (Quaternion)", "medium", ("quat", "free_acc")),
        PayloadMode(4, "Orientation (Euler)", "short", ("euler",)),
        PayloadMode(5, "Orientation (Quaternion)", "short", ("quat",)),
        PayloadMode(6, "Free acceleration", "short", ("free_acc",)),
        PayloadMode(7, "Extended (Euler)", "medium", ("euler", "free_acc", *_EXT)),
        PayloadMode(16, "Complete (Euler)", "medium", ("euler", "free_acc")),
        PayloadMode(18, "Delta quantities (with mag)", "medium", ("dq", "dv", "mag")),
        PayloadMode(19, "Delta quantities", "medium", ("dq", "dv")),
        PayloadMode(20, "Rate quantities (with mag)", "medium", ("acc", "gyr", "mag")),
        PayloadMode(21, "Rate quantities", "medium", ("acc", "gyr")),
        PayloadMode(22, "Custom mode 1", "medium", ("euler", "free_acc", "gyr")),
        PayloadMode(23, "Custom mode 2", "medium", ("euler", "free_acc", "mag")),
        PayloadMode(24, "Custom mode 3", "medium", ("quat", "gyr")),
        PayloadMode(26, "Custom mode 5", "long", ("quat", "acc", "gyr")),
    )
}
"""Publicly documented payload modes (SDK-only 1, 17, 25 are absent)."""
SDK_ONLY_MODES: Final = frozenset({1, 17, 25})


def _device_info_value() -> bytes:
    mac = bytes.fromhex("d422cd000001")[::-1]
    build = struct.pack("<H5B", 2023, 7, 1, 12, 0, 0)
    return mac + bytes([2, 6, 0]) + build + bytes(4) + struct.pack("<Q", 1) + b"XS-T02"


def device_control_value(
    *, rate_hz: float = DEFAULT_RATE_HZ, tag: str = "DOT", filter_profile: int = 0
) -> bytes:
    """A 32-byte Device control value as read back (visit bitmask 0)."""
    raw_tag = tag.encode("utf-8")[:16]
    value = bytearray(DEVICE_CONTROL_BYTES)
    value[7] = len(raw_tag)
    value[8 : 8 + len(raw_tag)] = raw_tag
    struct.pack_into("<H", value, 24, int(rate_hz))
    value[26] = filter_profile
    return bytes(value)


SPEC: Final = FamilySpec(
    family=Family.MOVELLA_DOT,
    title="Movella (Xsens) DOT",
    services=(
        ServiceSpec(
            CONFIG_SERVICE_UUID,
            "Configuration",
            (
                CharSpec(
                    DEVICE_INFO_UUID, frozenset({"read"}), "device info", _device_info_value()
                ),
                CharSpec(
                    DEVICE_CONTROL_UUID,
                    frozenset({"read", "write"}),
                    "device control (output rate at 24-25)",
                    device_control_value(),
                ),
                CharSpec(DEVICE_REPORT_UUID, frozenset({"notify"}), "device report"),
            ),
        ),
        ServiceSpec(
            MEASUREMENT_SERVICE_UUID,
            "Measurement",
            (
                CharSpec(
                    CONTROL_UUID,
                    frozenset({"read", "write"}),
                    "01 start/stop mode",
                    b"\x01\x00\x02",
                ),
                CharSpec(LONG_PAYLOAD_UUID, frozenset({"notify"}), "long payload (63 B)"),
                CharSpec(MEDIUM_PAYLOAD_UUID, frozenset({"notify"}), "medium payload (40 B)"),
                CharSpec(SHORT_PAYLOAD_UUID, frozenset({"notify"}), "short payload (20 B)"),
                CharSpec(
                    ORIENTATION_RESET_UUID,
                    frozenset({"read", "write"}),
                    "heading reset",
                    b"\x00\x00",
                ),
                CharSpec(
                    ORIENTATION_STATUS_UUID, frozenset({"read"}), "heading reset status", b"\x00"
                ),
            ),
        ),
        ServiceSpec(
            BATTERY_SERVICE_UUID,
            "Battery",
            (
                CharSpec(
                    BATTERY_UUID, frozenset({"read", "notify"}), "level %, charging", b"\x64\x00"
                ),
            ),
        ),
    ),
    advertised_service_uuids=(CONFIG_SERVICE_UUID,),
    name_patterns=(r"Movella DOT\b", r"Xsens DOT\b"),
    example_name="Movella DOT",
    notify_uuids=(LONG_PAYLOAD_UUID, MEDIUM_PAYLOAD_UUID, SHORT_PAYLOAD_UUID),
    control_uuids=(CONTROL_UUID, DEVICE_CONTROL_UUID),
    has_device_time=True,
    device_tick_hz=1e6,
    rates_hz=OUTPUT_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    min_att_mtu=66,
)


# --- commands -------------------------------------------------------------------------------


def _mode(mode_id: int) -> PayloadMode:
    if mode_id not in PAYLOAD_MODES:
        why = "is SDK-only" if mode_id in SDK_ONLY_MODES else "is unknown"
        raise ConfigError(f"DOT payload mode {mode_id} {why}; use one of {sorted(PAYLOAD_MODES)}")
    return PAYLOAD_MODES[mode_id]


def control_command(mode_id: int, *, start: bool) -> bytes:
    """``01 01 mode`` (start) / ``01 00 mode`` (stop) for the Control characteristic."""
    _mode(mode_id)
    return bytes([0x01, 0x01 if start else 0x00, mode_id])


def output_rate_command(rate_hz: float) -> bytes:
    """32-byte Device control write that sets the output rate.

    Visit bitmask ``0x10`` (output rate) and the rate as u16 at bytes 24–25 (60 Hz →
    ``3C 00``); all other bytes zero.
    """
    if rate_hz not in OUTPUT_RATES_HZ:
        raise ConfigError(
            f"DOT output rate {rate_hz:g} Hz unsupported; use {list(OUTPUT_RATES_HZ)}"
        )
    value = bytearray(DEVICE_CONTROL_BYTES)
    value[0] = RATE_VISIT_BIT
    struct.pack_into("<H", value, 24, int(rate_hz))
    return bytes(value)


ORIENTATION_RESET_CODES: Final = {"heading_reset": 1, "revert": 7, "default": 8}


def orientation_reset_command(action: str = "heading_reset") -> bytes:
    """u16 for the Orientation reset control characteristic (0x2006).

    1 reset heading, 7 revert, 8 default; the result is read from 0x2007 (1 success).
    """
    if action not in ORIENTATION_RESET_CODES:
        raise ConfigError(f"DOT orientation reset {action!r}; use {list(ORIENTATION_RESET_CODES)}")
    return struct.pack("<H", ORIENTATION_RESET_CODES[action])


@dataclass(frozen=True, kw_only=True)
class DotConfig(StreamConfig):
    """One DOT measurement: ``payload_mode`` at ``rate_hz``.

    ``mag_au_to_ut`` (None: leave ``mag_ut`` empty) scales the arbitrary-unit magnetometer
    to µT (a local field estimate).
    """

    family: ClassVar[Family] = Family.MOVELLA_DOT
    payload_mode: int = 26
    mag_au_to_ut: float | None = None


def plan(config: DotConfig) -> StreamPlan:
    """Enable the mode's payload notifications, write the output rate, start.

    Stop with ``01 00 mode``.
    """
    mode = _mode(config.payload_mode)
    return StreamPlan(
        (mode.char_uuid,),
        (
            GattWrite(DEVICE_CONTROL_UUID, output_rate_command(config.rate_hz)),
            GattWrite(CONTROL_UUID, control_command(mode.mode_id, start=True)),
        ),
        (GattWrite(CONTROL_UUID, control_command(mode.mode_id, start=False)),),
    )


# --- payloads -------------------------------------------------------------------------------


def parse_payload(mode_id: int, payload: bytes) -> tuple[int, dict[str, tuple[float, ...]]]:
    """``(timestamp_us, {field: values})`` of one notification in wire units.

    Floats as sent, mag i16 counts, status/clip as ints. Trailing bytes are ignored;
    ValueError when the payload is shorter than the mode.
    """
    mode = _mode(mode_id)
    if len(payload) < mode.size:
        raise ValueError(f"mode {mode_id} needs {mode.size} bytes, got {len(payload)}")
    (ts,) = struct.unpack_from("<I", payload, 0)
    offset = 4
    out: dict[str, tuple[float, ...]] = {}
    for f in mode.fields:
        fmt, _ = _FIELDS[f]
        out[f] = struct.unpack_from(fmt, payload, offset)
        offset += struct.calcsize(fmt)
    return ts, out


def build_payload(
    mode_id: int, timestamp_us: int, values: Mapping[str, tuple[float, ...]], *, pad: bool = True
) -> bytes:
    """Inverse of :func:`parse_payload` (missing fields → zeros).

    ``pad`` fills the rest of the characteristic with zeros as the sensor does.
    """
    mode = _mode(mode_id)
    parts = [struct.pack("<I", timestamp_us % TIMESTAMP_MODULUS)]
    for f in mode.fields:
        fmt, n = _FIELDS[f]
        vals = values.get(f, (0,) * n)
        parts.append(struct.pack(fmt, *vals))
    raw = b"".join(parts)
    if pad:
        raw += bytes(PAYLOAD_CHARS[mode.size_class][1] - len(raw))
    return raw


# --- decoder --------------------------------------------------------------------------------


class DotDecoder(DecoderBase):
    """Payload notifications of the configured mode → samples with device time.

    Device time is µs, u32 unwrapped. Quaternion, acc and gyro go into the sample;
    Euler/free acc/delta quantities are available via :func:`parse_payload` only. A
    notification on another payload characteristic is unknown; shorter than the mode is
    truncated; longer than the characteristic or with NaN/inf floats is corrupt.
    """

    family = Family.MOVELLA_DOT

    def __init__(self, config: DotConfig) -> None:
        super().__init__()
        self.config = config
        self.mode = _mode(config.payload_mode)
        self._max_len = PAYLOAD_CHARS[self.mode.size_class][1]
        self._unwrap = WrapUnwrapper(TIMESTAMP_MODULUS)

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        if char_uuid != self.mode.char_uuid:
            raise self._unknown(
                payload,
                f"notification on {char_uuid}; mode {self.mode.mode_id} uses {self.mode.char_uuid}",
            )
        if len(payload) < self.mode.size:
            raise self._truncated(payload, f"mode {self.mode.mode_id} needs {self.mode.size} bytes")
        if len(payload) > self._max_len:
            raise self._error(payload, f"longer than the {self._max_len}-byte characteristic")
        ts, vals = parse_payload(self.mode.mode_id, payload)
        for f in ("quat", "euler", "free_acc", "acc", "gyr", "dq", "dv"):
            if f in vals:
                self._check_finite(vals[f], f, payload)
        quat = vals.get("quat")
        acc = vals.get("acc")
        gyr = vals.get("gyr")
        mag = vals.get("mag")
        k = self.config.mag_au_to_ut
        return [
            ImuSample(
                device_time_s=self._unwrap(ts) * 1e-6,
                host_rx_ns=host_rx_ns,
                acc_m_s2=(acc[0], acc[1], acc[2]) if acc else None,
                gyr_rad_s=(gyr[0] * DEG_TO_RAD, gyr[1] * DEG_TO_RAD, gyr[2] * DEG_TO_RAD)
                if gyr
                else None,
                mag_ut=(mag[0] * MAG_AU_LSB * k, mag[1] * MAG_AU_LSB * k, mag[2] * MAG_AU_LSB * k)
                if mag and k is not None
                else None,
                quat_wxyz=(quat[0], quat[1], quat[2], quat[3]) if quat else None,
                device_ticks=ts,
            )
        ]


# --- emulator -------------------------------------------------------------------------------


def _rotate(q: Quat, v: Vec3) -> Vec3:
    w, x, y, z = q
    # v' = v + 2w (u × v) + 2 u × (u × v)
    tx, ty, tz = 2 * (y * v[2] - z * v[1]), 2 * (z * v[0] - x * v[2]), 2 * (x * v[1] - y * v[0])
    return (
        v[0] + w * tx + (y * tz - z * ty),
        v[1] + w * ty + (z * tx - x * tz),
        v[2] + w * tz + (x * ty - y * tx),
    )


def _euler_deg(q: Quat) -> Vec3:
    w, x, y, z = q
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return (math.degrees(roll), math.degrees(pitch), math.degrees(yaw))


class DotEmulator(EmulatorBase):
    """Device side of a Movella DOT.

    Device control writes (output rate, tag, filter profile; rate refused while measuring),
    Control ``01 01 mode``/``01 00 mode`` (read back as ``01 on mode``); one notification
    per sample on the mode's payload characteristic, zero-padded to its length unless
    ``pad`` is False. Fields a sample lacks are derived where the physics is plain (free acc
    = R·acc − g·ẑ, Euler from the quaternion, dq/dv over one period) or sent as zeros;
    magnetic field in a.u. = µT / ``mag_field_ut``. Disconnect stops the measurement
    (UNVERIFIED device behaviour).
    """

    family = Family.MOVELLA_DOT

    def __init__(self, *, pad: bool = True, mag_field_ut: float = 50.0) -> None:
        super().__init__(SPEC)
        self.pad = pad
        self.mag_field_ut = mag_field_ut
        self.output_rate_hz = DEFAULT_RATE_HZ
        self.mode: PayloadMode | None = None
        self._gate: RateGate | None = None

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        return self.output_rate_hz if self.mode is not None else None

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid == DEVICE_CONTROL_UUID:
            return self._device_control(data)
        if char_uuid == CONTROL_UUID:
            if len(data) != 3 or data[0] != 0x01 or data[1] not in (0, 1):
                return self._reject(char_uuid, data, "expected 01 01|00 mode")
            if data[2] not in PAYLOAD_MODES:
                return self._reject(char_uuid, data, "payload mode not available")
            if data[1] == 1:
                self.mode = PAYLOAD_MODES[data[2]]
                self._gate = RateGate(self.output_rate_hz)
            else:
                self.mode = None
            self._values[CONTROL_UUID] = bytes(data)
            return []
        if char_uuid == ORIENTATION_RESET_UUID and len(data) == 2:
            self._values[ORIENTATION_RESET_UUID] = bytes(data)
            self._values[ORIENTATION_STATUS_UUID] = b"\x01"
            return []
        return self._reject(char_uuid, data, "not writable in the emulator")

    def _device_control(self, data: bytes) -> list[Notification]:
        if len(data) != DEVICE_CONTROL_BYTES:
            return self._reject(DEVICE_CONTROL_UUID, data, "device control needs 32 bytes")
        value = bytearray(self._values[DEVICE_CONTROL_UUID])
        visit = data[0]
        if visit & RATE_VISIT_BIT:
            (rate,) = struct.unpack_from("<H", data, 24)
            if self.mode is not None:
                return self._reject(DEVICE_CONTROL_UUID, data, "rate change while measuring")
            if float(rate) not in OUTPUT_RATES_HZ:
                return self._reject(DEVICE_CONTROL_UUID, data, f"rate {rate} Hz unsupported")
            self.output_rate_hz = float(rate)
            value[24:26] = data[24:26]
        if visit & TAG_VISIT_BIT:
            value[7:24] = data[7:24]
        if visit & FILTER_VISIT_BIT:
            value[26] = data[26]
        self._values[DEVICE_CONTROL_UUID] = bytes(value)
        return []

    def _disconnected(self) -> None:
        self.mode = None
        self._values[CONTROL_UUID] = b"\x01\x00" + self._values[CONTROL_UUID][2:3]

    def _encode_one(self, sample: ImuSample) -> list[Notification]:
        mode = self.mode
        if mode is None or self._gate is None:
            return []
        t = sample.device_time_s
        assert t is not None
        if not self._gate(t):
            return []
        q = sample.quat_wxyz or (1.0, 0.0, 0.0, 0.0)
        acc = sample.acc_m_s2 or (0.0, 0.0, 0.0)
        gyr_rad_s = sample.gyr_rad_s or (0.0, 0.0, 0.0)
        values: dict[str, tuple[float, ...]] = {"quat": q, "acc": acc}
        values["gyr"] = tuple(g / DEG_TO_RAD for g in gyr_rad_s)
        if "free_acc" in mode.fields:
            a_e = _rotate(q, acc)
            values["free_acc"] = (a_e[0], a_e[1], a_e[2] - G0_M_S2)
        if "euler" in mode.fields:
            values["euler"] = _euler_deg(q)
        if "dq" in mode.fields:
            dt = 1.0 / self.output_rate_hz
            angle = math.sqrt(sum(g * g for g in gyr_rad_s)) * dt
            s = math.sin(angle / 2) / (angle / dt) if angle > 0 else 0.0
            values["dq"] = (math.cos(angle / 2), *(g * s for g in gyr_rad_s))
            values["dv"] = tuple(a * dt for a in acc)
        if "mag" in mode.fields:
            m = sample.mag_ut or (0.0, 0.0, 0.0)
            values["mag"] = tuple(quantize(c / self.mag_field_ut, MAG_AU_LSB) for c in m)
        ticks = round(t * 1e6) % TIMESTAMP_MODULUS
        return [
            Notification(mode.char_uuid, build_payload(mode.mode_id, ticks, values, pad=self.pad))
        ]


# --- codec ----------------------------------------------------------------------------------


class DotCodec(CodecBase[DotConfig]):
    """The Movella DOT family codec (``CODEC``)."""

    spec = SPEC
    family_title = "Movella DOT"
    config_type = DotConfig
    plan_for = staticmethod(plan)
    decoder_type = DotDecoder
    emulator_type = DotEmulator

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> DotConfig:
        """The payload mode and output rate for ``request``.

        Payload mode 21 (acc+gyr), 20 ``with_mag``, 26 ``with_quat`` (quat+acc+gyr) at the
        nearest of ``OUTPUT_RATES_HZ``; ``request.options`` override ``payload_mode`` /
        ``mag_au_to_ut``. Quaternion and magnetometer together need SDK-only mode 25
        (ConfigError).
        """
        if request.with_mag and request.with_quat:
            raise ConfigError(
                "Movella DOT: no public payload mode has quaternion, acc, gyro and mag together"
            )
        mode = 20 if request.with_mag else 26 if request.with_quat else 21
        fields: dict[str, Any] = {
            "rate_hz": nearest_rate(request.rate_hz, OUTPUT_RATES_HZ, default=DEFAULT_RATE_HZ),
            "with_mag": request.with_mag,
            "with_quat": request.with_quat,
            "payload_mode": mode,
        }
        fields.update(request.options)
        config = DotConfig(**fields)
        _mode(config.payload_mode)
        output_rate_command(config.rate_hz)
        return config


CODEC: Final = DotCodec()
