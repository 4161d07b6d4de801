"""Shared types of the sensor-family codecs: GATT facts, samples, commands, decoders, emulators.

A family codec is pure code (no BLE stack, no asyncio): it knows a sensor family's GATT
profile, builds the bytes a client writes to start and stop streaming, decodes notification
payloads into SI samples, and — for virtual peripherals — plays the device side (answers the
client's commands and encodes samples into the exact payloads a real device sends). Every
family module (``metawear``, ``movesense``, ``witmotion``, ``movella_dot``, ``thingy52``,
``polar_pmd``) exports one ``CODEC`` implementing :class:`FamilyCodec`; the package
``sensors.families`` maps :class:`Family` to it and identifies advertisements.

How a client uses a codec (one sensor)::

    codec = codec_for(Family.MOVESENSE)
    info = {uuid: read(uuid) for uuid in codec.spec.info_read_uuids}   # usually empty
    config = codec.configure(StreamRequest(104.0, device_info=info))  # nearest supported rate
    plan = codec.plan(config)
    for uuid in plan.notify_uuids: enable notifications (callback -> queue)
    decoder = codec.decoder(config)      # feed it every notification, replies included
    for w in plan.start: write w.data to w.char_uuid (w.with_response), sleep w.pause_after_s,
                         and if w.reply_on: wait (bounded) for the device's answer there
    ... decoder.feed(char_uuid, payload, host_rx_ns) -> list[ImuSample]
    for w in plan.stop: write; then disable the notifications

Conventions (docs/conventions.md): acceleration is specific force in m/s² in the sensor
frame (+9.81 on an axis pointing up at rest), angular rate rad/s, magnetic field µT,
quaternions scalar-first ``[w, x, y, z]`` sensor → earth. UUIDs are lower-case 128-bit
strings everywhere (:func:`normalize_uuid`).
"""

from __future__ import annotations

import enum
import math
import re
import struct
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, ClassVar, Final, Generic, Protocol, TypeVar, runtime_checkable

from analysis.errors import ConfigError
from analysis.recording.schema import GRAVITY_M_S2
from sensors.errors import PacketDecodeError

DEG_TO_RAD: Final = math.pi / 180.0
"""Degrees → radians (dps → rad/s)."""

G0_M_S2: Final = GRAVITY_M_S2
"""Standard gravity used by every family's g ↔ m/s² conversion (9.80665)."""

SIG_BASE_UUID: Final = "0000{:04x}-0000-1000-8000-00805f9b34fb"
"""Bluetooth SIG base; only for genuine 16-bit SIG UUIDs (WitMotion's ``…9a34fb`` is not)."""

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


# --- UUIDs ----------------------------------------------------------------------------------

_UUID128 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@lru_cache(maxsize=256)
def normalize_uuid(uuid: str) -> str:
    """Lower-case 128-bit UUID; a 4- or 8-hex-digit alias is expanded with the SIG base.

    Raises ValueError for anything else. Family UUIDs are always given in full (WitMotion's
    ``0000ffe4-0000-1000-8000-00805f9a34fb`` differs from the SIG base in one digit).
    """
    u = uuid.strip().lower()
    if _UUID128.match(u):
        return u
    if re.fullmatch(r"[0-9a-f]{4}", u):
        return SIG_BASE_UUID.format(int(u, 16))
    if re.fullmatch(r"[0-9a-f]{8}", u):
        return f"{u}-0000-1000-8000-00805f9b34fb"
    raise ValueError(f"not a Bluetooth UUID: {uuid!r}; expected 128-bit xxxxxxxx-xxxx-... form")


def uuid_on_base(base: str, short: int) -> str:
    """Insert a 16-bit ``short`` id into ``base`` at its ``xxxx`` placeholder (lower case)."""
    if "xxxx" not in base.lower():
        raise ValueError(f"base {base!r} has no 'xxxx' placeholder")
    return normalize_uuid(base.lower().replace("xxxx", f"{short:04x}", 1))


# --- GATT facts -----------------------------------------------------------------------------


class Family(enum.StrEnum):
    """The supported BLE sensor families (value = the name used in sidecars and configs)."""

    METAWEAR = "metawear"
    MOVESENSE = "movesense"
    WITMOTION = "witmotion"
    MOVELLA_DOT = "movella_dot"
    THINGY52 = "thingy52"
    POLAR_PMD = "polar_pmd"


PROPERTIES: Final = frozenset({"read", "write", "write-without-response", "notify", "indicate"})
"""GATT characteristic properties as spelled by bleak."""


@dataclass(frozen=True)
class CharSpec:
    """One characteristic of a family's GATT profile.

    ``initial_value`` is what a read returns on a fresh device (virtual peripherals serve it;
    emulators may change it after writes, see :meth:`DeviceEmulator.read`).
    """

    uuid: str
    properties: frozenset[str]
    description: str
    initial_value: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "uuid", normalize_uuid(self.uuid))
        bad = set(self.properties) - PROPERTIES
        if bad:
            raise ValueError(f"{self.uuid}: unknown GATT properties {sorted(bad)}")


@dataclass(frozen=True)
class ServiceSpec:
    """One primary service and its characteristics."""

    uuid: str
    description: str
    characteristics: tuple[CharSpec, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "uuid", normalize_uuid(self.uuid))


@dataclass(frozen=True, kw_only=True)
class FamilySpec:
    """GATT facts and capabilities of one family (reference: sensor-protocols.md).

    Attributes
    ----------
    name_patterns
        Regular expressions matched (``re.match``, case-sensitive) against the advertised
        local name.
    advertised_service_uuids
        Service UUIDs a scanner may see in advertisements; matched exactly (128-bit).
    notify_uuids, control_uuids
        Characteristics the device notifies/indicates on, and those the client writes to.
    has_device_time, device_tick_hz
        Whether streamed samples carry a device clock, and its ticks per second
        (``ImuSample.device_ticks`` unit); None when there is none.
    rates_hz, default_rate_hz
        Acc+gyro output rates the codec can configure.
    min_att_mtu
        ATT MTU the streams need (23 is the BLE default, payloads up to 20 bytes).
    info_read_uuids
        Characteristics to read after connecting; their values go to
        :meth:`FamilyCodec.configure` as ``device_info`` (e.g. MetaWear model number → chip).
    """

    family: Family
    title: str
    services: tuple[ServiceSpec, ...]
    advertised_service_uuids: tuple[str, ...]
    name_patterns: tuple[str, ...]
    example_name: str
    notify_uuids: tuple[str, ...]
    control_uuids: tuple[str, ...]
    has_device_time: bool
    device_tick_hz: float | None
    rates_hz: tuple[float, ...]
    default_rate_hz: float
    min_att_mtu: int = 23
    info_read_uuids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("advertised_service_uuids", "notify_uuids", "control_uuids"):
            object.__setattr__(self, name, tuple(normalize_uuid(u) for u in getattr(self, name)))
        object.__setattr__(
            self, "info_read_uuids", tuple(normalize_uuid(u) for u in self.info_read_uuids)
        )

    def matches_name(self, name: str | None) -> bool:
        """True when the advertised local ``name`` fits one of the family's patterns."""
        if not name:
            return False
        return any(re.match(p, name) for p in self.name_patterns)

    def characteristics(self) -> dict[str, CharSpec]:
        """All characteristics of all services, by UUID."""
        return {c.uuid: c for s in self.services for c in s.characteristics}

    def char(self, uuid: str) -> CharSpec:
        """The characteristic ``uuid``; KeyError naming the family when it has none."""
        u = normalize_uuid(uuid)
        chars = self.characteristics()
        if u not in chars:
            raise KeyError(f"{self.family}: no characteristic {u}")
        return chars[u]


# --- samples, writes, plans -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ImuSample:
    """One sample of one sensor in SI units (decoder output, and encoder input).

    Attributes
    ----------
    device_time_s
        Device clock of this sample in seconds (u32 wraps already unwrapped), None when the
        family sends no device time. Encoder input: the device clock the emulator stamps.
    host_rx_ns
        ``time.monotonic_ns()`` at receipt of the notification that completed the sample
        (all samples of one notification share it); 0 for encoder input.
    acc_m_s2
        Specific force, sensor frame, m/s² (+9.81 on the axis pointing up at rest).
    gyr_rad_s
        Angular rate, sensor frame, rad/s.
    mag_ut
        Magnetic field, sensor frame, µT.
    quat_wxyz
        The sensor's own fusion output, scalar-first, sensor → earth.
    device_ticks
        Raw device timestamp/counter of the packet that carried the sample, as sent (not
        unwrapped; for multi-sample packets it is the packet's stamp), None if none.
    """

    device_time_s: float | None = None
    host_rx_ns: int = 0
    acc_m_s2: Vec3 | None = None
    gyr_rad_s: Vec3 | None = None
    mag_ut: Vec3 | None = None
    quat_wxyz: Quat | None = None
    device_ticks: int | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A value the device sends on ``char_uuid`` (notification or indication)."""

    char_uuid: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class GattWrite:
    """One write by the client: ``data`` to ``char_uuid``, then wait ``pause_after_s``.

    ``reply_on`` names the characteristic on which the device answers this write (e.g.
    Polar's control point); a client should feed that answer to the decoder (it may carry
    settings such as Polar's FACTOR) and wait for it, with a timeout, before the next write.
    """

    char_uuid: str
    data: bytes
    with_response: bool = True
    pause_after_s: float = 0.0
    reply_on: str | None = None


@dataclass(frozen=True)
class StreamPlan:
    """What a client does to start and stop a stream.

    Enable ``notify_uuids`` (in order), write ``start``; to end, write ``stop`` and then
    disable the same notifications.
    """

    notify_uuids: tuple[str, ...]
    start: tuple[GattWrite, ...]
    stop: tuple[GattWrite, ...]


@dataclass(frozen=True, kw_only=True)
class StreamConfig:
    """Family-independent part of a stream configuration; families subclass it.

    ``rate_hz`` is the rate actually configured (a supported one), not the one requested.
    """

    rate_hz: float
    with_mag: bool = False
    with_quat: bool = False

    def describe(self) -> dict[str, Any]:
        """Plain dict of all fields (for sidecars and logs)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class StreamRequest:
    """What a client asks of one sensor's stream.

    The family answers with its :class:`StreamConfig` (the nearest it supports) or
    ConfigError.

    Attributes
    ----------
    rate_hz
        Requested sample rate in Hz (None: the family's default rate).
    with_mag, with_quat
        Ask for the magnetometer / the on-board orientation quaternion in the stream.
    device_info
        Values read from ``spec.info_read_uuids`` at connect (UUIDs in any spelling).
    options
        Family-specific overrides of the configuration's fields (``acc_range_g``,
        ``packed``, ``payload_mode``…; each family module documents its own).
    """

    rate_hz: float | None = None
    with_mag: bool = False
    with_quat: bool = False
    device_info: Mapping[str, bytes] = field(default_factory=dict, kw_only=True)
    options: Mapping[str, Any] = field(default_factory=dict, kw_only=True)

    def info(self) -> dict[str, bytes]:
        """``device_info`` keyed by normalised UUID (:func:`normalize_uuid`)."""
        return {normalize_uuid(k): v for k, v in self.device_info.items()}


DEFAULT_REQUEST: Final = StreamRequest()
"""The family's default stream: its default rate, no magnetometer, no quaternion."""


def nearest_rate(
    requested_hz: float | None, supported_hz: Sequence[float], *, default: float
) -> float:
    """The supported rate nearest to ``requested_hz`` (ties → the higher); default if None."""
    if requested_hz is None:
        return default
    if not (math.isfinite(requested_hz) and requested_hz > 0):
        raise ConfigError(f"sample rate must be a positive number of Hz, got {requested_hz!r}")
    return min(supported_hz, key=lambda r: (abs(r - requested_hz), -r))


# --- decoding -------------------------------------------------------------------------------


class TruncatedPacketError(PacketDecodeError):
    """A notification shorter than its layout (counted as ``truncated``)."""


class UnknownPacketError(PacketDecodeError):
    """A well-formed notification the decoder does not handle (counted as ``unknown``)."""


COUNTER_NAMES: Final = ("packets", "samples", "corrupt", "truncated", "unknown", "unpaired")


@runtime_checkable
class Decoder(Protocol):
    """Per-connected-device decoder: notification payloads → SI samples.

    ``feed`` never raises on bad input: a malformed notification is counted (``corrupt``,
    ``truncated`` or ``unknown``) with its reason in ``last_error`` and skipped. Counters:
    ``packets`` notifications fed, ``samples`` samples returned, ``unpaired`` samples of one
    stream dropped because their partner stream's sample never came (families whose acc and
    gyro arrive separately).
    """

    family: Family
    packets: int
    samples: int
    corrupt: int
    truncated: int
    unknown: int
    unpaired: int
    last_error: str | None

    def feed(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        """Decode one notification received at ``host_rx_ns`` (monotonic ns)."""
        ...

    def flush(self) -> list[ImuSample]:
        """End of stream: return what can still be completed, count the rest."""
        ...

    def counts(self) -> dict[str, int]:
        """The counters by name (``COUNTER_NAMES``)."""
        ...


LIMIT_MARGIN: Final = 1.2
"""Full scale × this is the largest accepted value (a sensor never reports beyond its range;
the margin covers scale factors and calibration)."""

MAG_LIMIT_UT: Final = 5000.0
"""Largest accepted magnetic field per axis, µT (magnetometers saturate near 1300–4900 µT)."""


@dataclass(frozen=True, kw_only=True)
class SampleLimits:
    """What a decoded sample may hold: the sensor's full scale with a margin, unit quaternions.

    Attributes
    ----------
    acc_m_s2, gyr_rad_s, mag_ut
        Largest accepted magnitude of any one axis (m/s², rad/s, µT).
    quat_norm_tol
        Largest accepted ``| |q| − 1 |`` of the sensor's orientation quaternion.
    """

    acc_m_s2: float
    gyr_rad_s: float
    mag_ut: float = MAG_LIMIT_UT
    quat_norm_tol: float = 0.01

    @classmethod
    def for_ranges(cls, acc_range_g: float = 16.0, gyr_range_dps: float = 2000.0) -> SampleLimits:
        """Limits of a sensor set to ±``acc_range_g`` g and ±``gyr_range_dps`` dps.

        Both widened by ``LIMIT_MARGIN``.
        """
        return cls(
            acc_m_s2=acc_range_g * G0_M_S2 * LIMIT_MARGIN,
            gyr_rad_s=gyr_range_dps * DEG_TO_RAD * LIMIT_MARGIN,
        )

    def why_not(self, s: ImuSample) -> str | None:
        """None if ``s`` is inside the limits, else what is not (for the error message)."""
        if s.device_time_s is not None and not math.isfinite(s.device_time_s):
            return "device time not finite"
        for name, vec, bound in (
            ("acc", s.acc_m_s2, self.acc_m_s2),
            ("gyr", s.gyr_rad_s, self.gyr_rad_s),
            ("mag", s.mag_ut, self.mag_ut),
        ):
            if vec is not None and not all(abs(v) <= bound for v in vec):  # NaN fails too
                return f"{name} {tuple(vec)} beyond ±{bound:.4g}"
        q = s.quat_wxyz
        if q is not None:
            norm = math.sqrt(sum(v * v for v in q))
            if not abs(norm - 1.0) <= self.quat_norm_tol:
                return f"quaternion norm {norm:.4g} is not 1"
        return None


def limits_for(config: object) -> SampleLimits:
    """The sample limits of a stream configuration.

    Its ``acc_range_g``/``gyr_range_dps`` if it has them, else the widest any supported
    sensor is set to (±16 g, ±2000 dps).
    """
    return SampleLimits.for_ranges(
        float(getattr(config, "acc_range_g", 16.0)), float(getattr(config, "gyr_range_dps", 2000.0))
    )


class DecoderBase:
    """Counting, never-raising ``feed`` around a family's ``_decode``.

    Subclasses implement ``_decode(char_uuid, payload, host_rx_ns)`` (``char_uuid`` already
    normalised) and raise :class:`TruncatedPacketError`, :class:`UnknownPacketError` or
    :class:`~sensors.errors.PacketDecodeError` (corrupt) for a bad notification; they may also
    call :meth:`_note` for problems that do not stop the notification (e.g. skipped bytes).
    """

    family: ClassVar[Family]
    limits: SampleLimits = SampleLimits.for_ranges()
    """Samples outside these are dropped and counted (the codec sets them from the config)."""

    def __init__(self) -> None:
        self.packets = 0
        self.samples = 0
        self.corrupt = 0
        self.truncated = 0
        self.unknown = 0
        self.unpaired = 0
        self.last_error: str | None = None

    def feed(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        """Decode one notification; bad input is counted and skipped, never raised."""
        self.packets += 1
        data = bytes(payload)
        try:
            out = self._decode(normalize_uuid(char_uuid), data, int(host_rx_ns))
        except TruncatedPacketError as exc:
            self._note("truncated", str(exc))
            return []
        except UnknownPacketError as exc:
            self._note("unknown", str(exc))
            return []
        except PacketDecodeError as exc:
            self._note("corrupt", str(exc))
            return []
        except (ValueError, IndexError, OverflowError, struct.error) as exc:  # never crash a stream
            self._note("corrupt", f"{self.family}: cannot decode packet {data.hex()}: {exc}")
            return []
        out = self._within_limits(out, data)
        self.samples += len(out)
        return out

    def flush(self) -> list[ImuSample]:
        """End of stream: complete what can be completed, count the rest."""
        out = self._within_limits(self._flush(), b"")
        self.samples += len(out)
        return out

    def _within_limits(self, out: list[ImuSample], data: bytes) -> list[ImuSample]:
        """``out`` without samples outside ``limits``.

        A notification with any counts once as corrupt (a flipped bit in a float's exponent,
        a damaged quaternion).
        """
        limits = self.limits
        good = [s for s in out if limits.why_not(s) is None]
        if len(good) < len(out):
            bad = next(s for s in out if limits.why_not(s) is not None)
            self._note(
                "corrupt",
                f"{self.family}: {len(out) - len(good)} sample(s) outside the sensor's limits "
                f"({limits.why_not(bad)}) in packet {data.hex()}",
            )
        return good

    def counts(self) -> dict[str, int]:
        """The counters by name."""
        return {name: getattr(self, name) for name in COUNTER_NAMES}

    # -- for subclasses --

    def _decode(self, char_uuid: str, payload: bytes, host_rx_ns: int) -> list[ImuSample]:
        raise NotImplementedError

    def _flush(self) -> list[ImuSample]:
        return []

    def _note(self, counter: str, reason: str, n: int = 1) -> None:
        setattr(self, counter, getattr(self, counter) + n)
        self.last_error = reason

    def _error(self, payload: bytes, reason: str) -> PacketDecodeError:
        return PacketDecodeError(str(self.family), payload, reason)

    def _truncated(self, payload: bytes, reason: str) -> TruncatedPacketError:
        return TruncatedPacketError(str(self.family), payload, reason)

    def _unknown(self, payload: bytes, reason: str) -> UnknownPacketError:
        return UnknownPacketError(str(self.family), payload, reason)

    def _check_finite(self, values: Iterable[float], what: str, payload: bytes) -> None:
        """Raise a corrupt-packet error when any decoded float is NaN or infinite."""
        if not all(math.isfinite(v) for v in values):
            raise self._error(payload, f"{what} has NaN/inf values")


class WrapUnwrapper:
    """Unwrap a wrapping unsigned counter (e.g. u32 ms) into a monotonic integer.

    A step back by more than half the modulus is a wrap forward; a value just before a wrap
    arriving after it (reordering) maps to the previous cycle without changing state.
    """

    def __init__(self, modulus: int) -> None:
        self.modulus = modulus
        self._last: int | None = None
        self._offset = 0

    def __call__(self, raw: int) -> int:
        """The unwrapped count of ``raw``, the counter's next reading."""
        half = self.modulus // 2
        if self._last is None:
            self._last = raw
            return raw
        if raw < self._last and self._last - raw > half:
            self._offset += self.modulus
        elif raw > self._last and raw - self._last > half:
            return raw + self._offset - self.modulus
        self._last = raw
        return raw + self._offset


class StreamPairer:
    """Pair the samples of two streams of one sensor (e.g. acc and gyro notifications).

    Samples of each stream queue in arrival order; while both queues hold a sample, the two
    heads are merged when their times (``time_of``) differ by at most ``tolerance``;
    otherwise the older head can have no partner any more (the other stream has already
    moved past it) and is dropped and counted in ``unpaired``. A queue longer than
    ``max_queue`` (the other stream has stopped) drops its oldest sample the same way.
    Merged samples take the non-None fields of both, ``device_time_s``/``device_ticks`` of
    the first stream, and the earlier ``host_rx_ns``.
    """

    def __init__(
        self,
        *,
        time_of: str,
        tolerance: float,
        max_queue: int = 256,
        streams: tuple[str, str] = ("acc", "gyr"),
    ) -> None:
        if time_of not in ("host", "device"):
            raise ValueError("time_of must be 'host' or 'device'")
        self.streams = streams
        self.time_of = time_of
        self.tolerance = tolerance
        self.max_queue = max_queue
        self.unpaired = 0
        self._queues: dict[str, deque[ImuSample]] = {s: deque() for s in streams}

    def _t(self, s: ImuSample) -> float:
        if self.time_of == "host":
            return s.host_rx_ns * 1e-9
        return s.device_time_s if s.device_time_s is not None else math.nan

    def push(self, stream: str, samples: Iterable[ImuSample]) -> list[ImuSample]:
        """Queue ``samples`` of ``stream`` and return every pair that is now complete."""
        q = self._queues[stream]
        q.extend(samples)
        while len(q) > self.max_queue:
            q.popleft()
            self.unpaired += 1
        out: list[ImuSample] = []
        qa, qb = (self._queues[s] for s in self.streams)
        while qa and qb:
            a, b = qa[0], qb[0]
            ta, tb = self._t(a), self._t(b)
            if abs(ta - tb) <= self.tolerance:
                qa.popleft()
                qb.popleft()
                out.append(merge_samples(a, b))
            elif ta < tb or math.isnan(ta):
                qa.popleft()
                self.unpaired += 1
            else:
                qb.popleft()
                self.unpaired += 1
        return out

    def drain(self) -> int:
        """Drop and count every queued sample (end of stream); return how many."""
        n = sum(len(q) for q in self._queues.values())
        for q in self._queues.values():
            q.clear()
        self.unpaired += n
        return n

    def pending(self) -> dict[str, int]:
        """Queued samples per stream."""
        return {s: len(q) for s, q in self._queues.items()}


def merge_samples(first: ImuSample, second: ImuSample) -> ImuSample:
    """Fields of ``first`` completed by the non-None fields of ``second``; earlier host time."""
    return ImuSample(
        device_time_s=first.device_time_s
        if first.device_time_s is not None
        else second.device_time_s,
        host_rx_ns=min(first.host_rx_ns, second.host_rx_ns),
        acc_m_s2=first.acc_m_s2 if first.acc_m_s2 is not None else second.acc_m_s2,
        gyr_rad_s=first.gyr_rad_s if first.gyr_rad_s is not None else second.gyr_rad_s,
        mag_ut=first.mag_ut if first.mag_ut is not None else second.mag_ut,
        quat_wxyz=first.quat_wxyz if first.quat_wxyz is not None else second.quat_wxyz,
        device_ticks=first.device_ticks if first.device_ticks is not None else second.device_ticks,
    )


# --- the device side ------------------------------------------------------------------------


@runtime_checkable
class DeviceEmulator(Protocol):
    """The device side of a family's protocol, for virtual peripherals (pure, no BLE).

    The peripheral forwards client actions: ``read`` for a GATT read, ``write`` for a write
    (returns what the device notifies/indicates in answer, e.g. a command result; like
    every payload, only on characteristics whose notifications the client enabled),
    ``set_notify`` for a CCCD change, ``disconnect`` when the link drops. While
    ``rate_hz`` is not None the device streams: the peripheral feeds it measured samples at
    (at least) that rate, with ``device_time_s`` set to the device clock, and sends what
    ``encode`` returns. Only characteristics whose notifications the client enabled get
    payloads. ``log`` lists commands the emulator ignored or rejected (for tests).
    """

    family: Family
    spec: FamilySpec
    log: list[str]

    @property
    def rate_hz(self) -> float | None:
        """Highest rate at which the device currently wants samples; None when idle."""
        ...

    def read(self, char_uuid: str) -> bytes:
        """Current value of a readable characteristic."""
        ...

    def write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Handle a client write; return the device's answers."""
        ...

    def set_notify(self, char_uuid: str, enabled: bool) -> list[Notification]:
        """Handle a CCCD write (notifications/indications on or off)."""
        ...

    def disconnect(self) -> None:
        """The link dropped: CCCDs off, streams stopped where the device does so."""
        ...

    def encode(self, samples: Iterable[ImuSample]) -> list[Notification]:
        """Turn measured samples into the payloads the device sends now (may buffer)."""
        ...


class RateGate:
    """Pass samples at ``rate_hz`` out of an equal or faster input, by device time.

    A sample passes when its time reaches the next due time (within a quarter period); an
    input slower than ``rate_hz`` passes every sample; a clock that goes back restarts it.
    """

    def __init__(self, rate_hz: float) -> None:
        self.period_s = 1.0 / rate_hz
        self._next_s: float | None = None

    def __call__(self, t_s: float) -> bool:
        """True when the sample at device time ``t_s`` (s) passes."""
        if self._next_s is not None and t_s < self._next_s - 1.5 * self.period_s:
            self._next_s = None  # the clock went back: start again
        if self._next_s is not None and t_s < self._next_s - 0.25 * self.period_s:
            return False
        base = t_s if self._next_s is None else self._next_s
        self._next_s = max(base + self.period_s, t_s + 0.5 * self.period_s)
        return True


class EmulatorBase:
    """CCCD bookkeeping, static reads and the ``log`` for family emulators."""

    family: ClassVar[Family]
    spec: FamilySpec

    def __init__(self, spec: FamilySpec) -> None:
        self.spec = spec
        self.log: list[str] = []
        self._values: dict[str, bytes] = {
            c.uuid: c.initial_value for c in spec.characteristics().values()
        }
        self._enabled: set[str] = set()

    @property
    def rate_hz(self) -> float | None:
        """The streaming rate in Hz (None: not streaming)."""
        raise NotImplementedError

    def read(self, char_uuid: str) -> bytes:
        """Current value of ``char_uuid`` (its ``initial_value`` until a write changes it)."""
        u = normalize_uuid(char_uuid)
        if u not in self._values:
            raise KeyError(f"{self.family}: no characteristic {u}")
        return self._values[u]

    def write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Handle the client's write of ``data`` to ``char_uuid``; the notifications it causes."""
        out = self._write(normalize_uuid(char_uuid), bytes(data))
        return [n for n in out if n.char_uuid in self._enabled]

    def set_notify(self, char_uuid: str, enabled: bool) -> list[Notification]:
        """Enable or disable notifications on ``char_uuid``; the notifications it causes."""
        u = normalize_uuid(char_uuid)
        if enabled:
            self._enabled.add(u)
        else:
            self._enabled.discard(u)
        return self._cccd_changed(u, enabled)

    def disconnect(self) -> None:
        """The client disconnected: every notification is off."""
        self._enabled.clear()
        self._disconnected()

    def notifying(self, char_uuid: str) -> bool:
        """Whether the client enabled notifications/indications on ``char_uuid``."""
        return normalize_uuid(char_uuid) in self._enabled

    def encode(self, samples: Iterable[ImuSample]) -> list[Notification]:
        """The notifications the device sends for ``samples`` (each needs ``device_time_s``)."""
        out: list[Notification] = []
        for s in samples:
            if s.device_time_s is None:
                raise ValueError(f"{self.family}: encoder input needs device_time_s")
            out.extend(self._encode_one(s))
        return [n for n in out if n.char_uuid in self._enabled]

    # -- for subclasses --

    def _write(self, char_uuid: str, data: bytes) -> list[Notification]:
        raise NotImplementedError

    def _cccd_changed(self, char_uuid: str, enabled: bool) -> list[Notification]:
        return []

    def _disconnected(self) -> None:
        return None

    def _encode_one(self, sample: ImuSample) -> list[Notification]:
        raise NotImplementedError

    def _reject(self, char_uuid: str, data: bytes, reason: str) -> list[Notification]:
        self.log.append(f"{char_uuid} <- {data.hex() or '<empty>'}: {reason}")
        return []


# --- codec ----------------------------------------------------------------------------------


@runtime_checkable
class FamilyCodec(Protocol):
    """Everything pure about one family; each family module exports one as ``CODEC``."""

    spec: FamilySpec

    def configure(self, request: StreamRequest = DEFAULT_REQUEST) -> StreamConfig:
        """A stream configuration at the supported rate nearest ``request.rate_hz``.

        The default rate if None. Raises ConfigError for something the family cannot stream
        (e.g. mag on a family without) or an unknown or invalid ``request.options`` field.
        """
        ...

    def plan(self, config: StreamConfig) -> StreamPlan:
        """Notifications to enable and the exact start/stop writes for ``config``."""
        ...

    def decoder(self, config: StreamConfig) -> Decoder:
        """A fresh decoder for one connected device streaming ``config``."""
        ...

    def emulator(self, **options: Any) -> DeviceEmulator:
        """A fresh device-side emulator (family options documented per module)."""
        ...


C = TypeVar("C", bound=StreamConfig)


class CodecBase(Generic[C]):
    """What every family codec does the same way.

    Check that a stream configuration is this family's, and build the plan, decoder and
    emulator from it.

    A family sets ``spec``, ``family_title`` (for messages), ``config_type``, ``plan_for``
    (a ``staticmethod`` turning its configuration into a :class:`StreamPlan`),
    ``decoder_type`` and ``emulator_type``, and writes its own ``configure``.
    """

    spec: FamilySpec
    family_title: str
    config_type: type[C]
    plan_for: Callable[[C], StreamPlan]
    decoder_type: Callable[[C], Decoder]
    emulator_type: Callable[..., DeviceEmulator]

    def _mine(self, config: StreamConfig) -> C:
        if not isinstance(config, self.config_type):
            raise ConfigError(
                f"expected a {self.family_title} stream configuration, got {type(config).__name__}"
            )
        return config

    def plan(self, config: StreamConfig) -> StreamPlan:
        """Notifications to enable and the exact start/stop writes for ``config``."""
        return type(self).plan_for(self._mine(config))

    def decoder(self, config: StreamConfig) -> Decoder:
        """A fresh decoder for one connected device streaming ``config``."""
        mine = self._mine(config)
        decoder = self.decoder_type(mine)
        if isinstance(decoder, DecoderBase):
            decoder.limits = limits_for(mine)
        return decoder

    def emulator(self, **options: Any) -> DeviceEmulator:
        """A fresh device-side emulator (family options documented per module)."""
        return self.emulator_type(**options)


def quantize(value: float, lsb: float, *, bits: int = 16, signed: bool = True) -> int:
    """Nearest integer count of ``value / lsb``, saturated to the integer range.

    Saturates as a sensor clips. NaN raises ValueError.
    """
    if math.isnan(value):
        raise ValueError("cannot encode NaN")
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if math.isinf(value):
        return hi if value > 0 else lo
    n = round(value / lsb)
    return max(lo, min(hi, n))
