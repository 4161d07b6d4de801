"""Session configuration: which sensor sits where, at what rate, and how patient to be.

A session maps placements (``analysis.recording.schema.PLACEMENTS``) to sensors identified by their
Bluetooth address or advertised name. It comes from a TOML file (``docs/ble.md``)::

    exercise = "standing_hamstring"
    side = "right"
    rate_hz = 100                      # default for every sensor (nearest supported rate)

    [sensors]
    right_thigh = "MetaWear"           # advertised name ...
    right_shank = "D4:22:CD:00:11:22"  # ... or address
    right_foot = { name = "Movesense 174630000192", rate_hz = 104 }
    pelvis = { address = "A0:9E:1A:00:00:01", family = "polar_pmd" }

or from command-line flags ``--sensor NAME_OR_ADDRESS=placement``. Every mistake raises
:class:`~analysis.errors.ConfigError` naming the file and key.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analysis.errors import ConfigError
from analysis.recording.schema import PLACEMENTS, SIDES
from sensors.families.base import Family

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_CB_UUID = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
)


def looks_like_address(text: str) -> bool:
    """True for a Bluetooth address ``AA:BB:CC:DD:EE:FF`` (or a macOS device UUID)."""
    return bool(_MAC.match(text) or _CB_UUID.match(text))


@dataclass(frozen=True, kw_only=True)
class SensorAssignment:
    """One worn sensor: where it sits and how to recognise it.

    Exactly one of ``address`` / ``name`` is set. ``family`` (optional) overrides the family
    the scanner identifies; ``rate_hz`` (optional) overrides the session's rate.
    """

    placement: str
    address: str | None = None
    name: str | None = None
    family: Family | None = None
    rate_hz: float | None = None

    @property
    def identifier(self) -> str:
        """The address or name, as written in the configuration."""
        return self.address or self.name or "?"

    def matches(self, address: str, name: str | None) -> bool:
        """Whether a device seen with ``address`` / advertised ``name`` is this sensor."""
        if self.address is not None:
            return address.upper() == self.address.upper()
        return name is not None and name == self.name


@dataclass(frozen=True, kw_only=True)
class SessionConfig:
    """A live session's sensors and options.

    Attributes
    ----------
    sensors
        The worn sensors (unique placements and devices).
    exercise, side
        Written to the sidecar.
    rate_hz
        Default sample rate (each family configures its nearest supported rate).
    scan_timeout_s
        How long to look for the sensors before :class:`~sensors.errors.DeviceNotFoundError`.
    connect_timeout_s
        Bound of one connection attempt.
    reconnect
        Reconnect automatically after a drop (the gap is recorded).
    reconnect_give_up_s
        Stop trying after this long without success (None: until the session ends).
    """

    sensors: tuple[SensorAssignment, ...]
    exercise: str | None = None
    side: str | None = None
    rate_hz: float | None = None
    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    reconnect: bool = True
    reconnect_give_up_s: float | None = None

    def __post_init__(self) -> None:
        _check_sensors(self.sensors, source=None)
        if self.side is not None and self.side not in SIDES:
            raise ConfigError(f"side must be 'left' or 'right', got {self.side!r}")
        for key in ("scan_timeout_s", "connect_timeout_s"):
            _positive(getattr(self, key), key, None)
        if self.rate_hz is not None:
            _positive(self.rate_hz, "rate_hz", None)

    def rate_for(self, sensor: SensorAssignment) -> float | None:
        """The requested rate of ``sensor`` (its own, else the session's, else None)."""
        return sensor.rate_hz if sensor.rate_hz is not None else self.rate_hz

    def with_options(self, **changes: Any) -> SessionConfig:
        """A copy with some fields replaced (e.g. timeouts from the command line)."""
        return replace(self, **changes)


def _positive(value: Any, key: str, source: str | Path | None) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if not ok or not math.isfinite(value):
        raise ConfigError(f"{_where(source)}key '{key}': expected a positive number, got {value!r}")
    return float(value)


def _where(source: str | Path | None) -> str:
    return f"{source}: " if source is not None else ""


def _check_sensors(sensors: tuple[SensorAssignment, ...], *, source: str | Path | None) -> None:
    if not sensors:
        raise ConfigError(f"{_where(source)}no sensors configured; map at least one placement")
    seen: dict[str, str] = {}
    devices: dict[str, str] = {}
    for s in sensors:
        _check_placement(s.placement, source)
        if s.placement in seen:
            raise ConfigError(f"{_where(source)}placement {s.placement!r} is mapped twice")
        seen[s.placement] = s.identifier
        if (s.address is None) == (s.name is None):
            raise ConfigError(
                f"{_where(source)}sensor {s.placement!r}: give exactly one of address or name"
            )
        key = (s.address or "").upper() or f"name:{s.name}"
        if key in devices:
            raise ConfigError(
                f"{_where(source)}sensor {s.identifier!r} is mapped to both "
                f"{devices[key]!r} and {s.placement!r}"
            )
        devices[key] = s.placement


def _check_placement(placement: str, source: str | Path | None) -> None:
    if placement not in PLACEMENTS:
        raise ConfigError(
            f"{_where(source)}unknown placement {placement!r}; expected one of "
            f"{', '.join(PLACEMENTS)}"
        )


def assignment(identifier: str, placement: str, **options: Any) -> SensorAssignment:
    """A :class:`SensorAssignment` from an address-or-name string."""
    _check_placement(placement, None)
    text = identifier.strip()
    if not text:
        raise ConfigError(f"sensor for {placement!r}: empty address/name")
    if looks_like_address(text):
        return SensorAssignment(placement=placement, address=text.upper(), **options)
    return SensorAssignment(placement=placement, name=text, **options)


def parse_sensor_flag(flag: str) -> SensorAssignment:
    """Parse ``NAME_OR_ADDRESS=placement`` (the ``--sensor`` option)."""
    ident, sep, placement = flag.rpartition("=")
    if not sep or not ident.strip() or not placement.strip():
        raise ConfigError(
            f"--sensor {flag!r}: expected NAME_OR_ADDRESS=placement, e.g. "
            "'MetaWear=right_thigh' or 'D4:22:CD:00:11:22=right_shank'"
        )
    return assignment(ident, placement.strip())


def config_from_flags(flags: Iterable[str], **options: Any) -> SessionConfig:
    """A session from ``--sensor`` flags plus keyword options."""
    return SessionConfig(sensors=tuple(parse_sensor_flag(f) for f in flags), **options)


_TOP_KEYS = {
    "exercise",
    "side",
    "rate_hz",
    "scan_timeout_s",
    "connect_timeout_s",
    "reconnect",
    "reconnect_give_up_s",
    "sensors",
}
_SENSOR_KEYS = {"address", "name", "family", "rate_hz"}


def parse_session_config(
    data: Mapping[str, Any], *, source: str | Path | None = None
) -> SessionConfig:
    """A session from parsed TOML (``source`` names the file in errors)."""
    where = _where(source)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}unknown key(s) {', '.join(unknown)}; expected {sorted(_TOP_KEYS)}"
        )
    raw = data.get("sensors")
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(
            f"{where}missing [sensors] table mapping placements to sensors, e.g. "
            'right_thigh = "MetaWear"'
        )
    sensors = []
    for placement, entry in raw.items():
        key = f"sensors.{placement}"
        _check_placement(placement, source)
        if isinstance(entry, str):
            sensors.append(assignment(entry, placement))
            continue
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}key '{key}': expected a name/address string or a table")
        bad = sorted(set(entry) - _SENSOR_KEYS)
        if bad:
            raise ConfigError(f"{where}key '{key}': unknown field(s) {', '.join(bad)}")
        if ("address" in entry) == ("name" in entry):
            raise ConfigError(f"{where}key '{key}': give exactly one of address or name")
        family = None
        if "family" in entry:
            try:
                family = Family(str(entry["family"]))
            except ValueError:
                raise ConfigError(
                    f"{where}key '{key}.family': unknown family {entry['family']!r}; expected "
                    f"one of {', '.join(f.value for f in Family)}"
                ) from None
        rate = _positive(entry["rate_hz"], f"{key}.rate_hz", source) if "rate_hz" in entry else None
        if "address" in entry:
            addr = str(entry["address"])
            if not looks_like_address(addr):
                raise ConfigError(f"{where}key '{key}.address': {addr!r} is not AA:BB:CC:DD:EE:FF")
            sensors.append(
                SensorAssignment(
                    placement=placement, address=addr.upper(), family=family, rate_hz=rate
                )
            )
        else:
            sensors.append(
                SensorAssignment(
                    placement=placement, name=str(entry["name"]), family=family, rate_hz=rate
                )
            )
    _check_sensors(tuple(sensors), source=source)
    options: dict[str, Any] = {}
    for key in ("scan_timeout_s", "connect_timeout_s", "rate_hz", "reconnect_give_up_s"):
        if key in data:
            options[key] = _positive(data[key], key, source)
    for key in ("exercise", "side"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(f"{where}key '{key}': expected a string")
            options[key] = data[key]
    if "side" in options and options["side"] not in SIDES:
        raise ConfigError(f"{where}key 'side': expected 'left' or 'right', got {options['side']!r}")
    if "reconnect" in data:
        if not isinstance(data["reconnect"], bool):
            raise ConfigError(f"{where}key 'reconnect': expected true or false")
        options["reconnect"] = data["reconnect"]
    return SessionConfig(sensors=tuple(sensors), **options)


def load_session_config(path: str | Path) -> SessionConfig:
    """Read a session TOML file."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: session file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    return parse_session_config(data, source=p)
