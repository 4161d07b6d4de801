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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analysis.errors import ConfigError
from analysis.recording import inputs
from analysis.recording.config_files import (
    Table,
    error_at,
    found,
    parse_toml,
    read_text,
    toml_key_lines,
)
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
            raise ConfigError(f"key 'side': expected 'left' or 'right', found {found(self.side)}")
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
        raise error_at(
            ConfigError, source, f"key '{key}': expected a number > 0, found {found(value)}"
        )
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
    data: Mapping[str, Any], *, source: str | Path | None = None, text: str | None = None
) -> SessionConfig:
    """A session from parsed TOML.

    ``source`` names the file in errors; ``text``, the file's text, lets them name the line
    too.
    """
    top = Table(data, source=source, lines=None if text is None else toml_key_lines(text))
    top.check_keys(_TOP_KEYS)
    raw = data.get("sensors")
    if not isinstance(raw, Mapping) or not raw:
        raise top.wrong(
            "sensors",
            'a [sensors] table mapping placements to sensors, e.g. right_thigh = "MetaWear"',
        )
    table = top.sub("sensors")
    sensors = tuple(_sensor_entry(table, placement) for placement in raw)
    _check_sensors(sensors, source=source)
    options: dict[str, Any] = {}
    for key in ("scan_timeout_s", "connect_timeout_s", "rate_hz", "reconnect_give_up_s"):
        if key in data:
            options[key] = top.positive(key)
    for key in ("exercise", "side"):
        if key in data:
            options[key] = top.string(key)
    if "side" in options and options["side"] not in SIDES:
        raise top.wrong("side", "'left' or 'right'")
    if "reconnect" in data:
        options["reconnect"] = top.boolean("reconnect", default=True)
    return SessionConfig(sensors=sensors, **options)


def _sensor_entry(table: Table, placement: str) -> SensorAssignment:
    """One ``[sensors]`` entry: a name/address string or a table of ``_SENSOR_KEYS``."""
    if placement not in PLACEMENTS:
        raise table.fail(
            placement, f"unknown placement {placement!r}; expected one of {', '.join(PLACEMENTS)}"
        )
    entry = table.data[placement]
    if isinstance(entry, str):
        return assignment(entry, placement)
    if not isinstance(entry, Mapping):
        raise table.wrong(placement, "a name/address string or a table", entry)
    row = table.sub(placement)
    row.check_keys(_SENSOR_KEYS)
    if ("address" in entry) == ("name" in entry):
        raise table.fail(placement, "give exactly one of address or name")
    family = None
    if "family" in entry:
        try:
            family = Family(str(entry["family"]))
        except ValueError:
            raise row.fail(
                "family",
                f"unknown family {inputs.shorten(entry['family'])}; expected one of "
                f"{', '.join(f.value for f in Family)}",
            ) from None
    rate = row.positive("rate_hz") if "rate_hz" in entry else None
    if "address" in entry:
        addr = row.string("address")
        if not looks_like_address(addr):
            raise row.wrong("address", "an address AA:BB:CC:DD:EE:FF", addr)
        return SensorAssignment(
            placement=placement, address=addr.upper(), family=family, rate_hz=rate
        )
    name = row.string("name")
    return SensorAssignment(placement=placement, name=name, family=family, rate_hz=rate)


def load_session_config(path: str | Path) -> SessionConfig:
    """Read a session TOML file.

    It must be a regular UTF-8 file of at most ``analysis.inputs.PROFILE_MAX_BYTES``.
    """
    text = read_text(path, what="session", cap_bytes=inputs.PROFILE_MAX_BYTES)
    return parse_session_config(parse_toml(text, path), source=path, text=text)
