"""``stretchguard scan``: which supported BLE motion sensors are around (family, name, address)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping

from rich.console import Console
from rich.table import Table
from rich.text import Text

from analysis.errors import ConfigError
from analysis.simulation import list_scenarios
from cli.common import quiet_bumble
from cli.text import printable
from sensors.ble import SYSTEM, BleBackend, VirtualAir, bumble_backend
from sensors.families.base import Family
from sensors.session.battery import LOW_BATTERY_PCT, battery_warning
from sensors.session.scan import FoundSensor, scan_sensors
from sensors.virtual.rig import MIXED_FAMILIES, VirtualRig
from sensors.virtual.scenario import scenario_sources

DESCRIPTION = """\
Scan for Bluetooth LE advertisements and list the motion sensors stretchguard can stream
from: MbientLab MetaMotion (MetaWear), Movesense, WitMotion, Movella DOT, Nordic Thingy:52 and
Polar Verity Sense. Switch the sensors on (and keep phones' vendor apps disconnected: a sensor
connected elsewhere does not advertise). Use the names or addresses shown with
`stretchguard live --sensor NAME_OR_ADDRESS=placement` or in a session file.

--virtual SCENARIO scans virtual sensors instead (a thigh MetaWear, a shank Movesense, a foot
Movella DOT and a pelvis Polar streaming a simulated scenario), to try everything without
hardware. --hci TRANSPORT uses a bumble HCI transport as the adapter (e.g. virtual sensors
served by `stretchguard live --virtual SCENARIO --serve tcp-server:_:9001`).
"""
EPILOG = """\
examples:
  stretchguard scan
  stretchguard scan --timeout-s 10 --all
  stretchguard scan --virtual standing_correct
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``scan``."""
    parser.add_argument(
        "--timeout-s", type=float, default=5.0, help="how long to listen (default 5 s)"
    )
    parser.add_argument(
        "--all", action="store_true", help="also list devices of no supported family"
    )
    parser.add_argument(
        "--battery",
        action="store_true",
        help="then connect to each sensor briefly and read its battery level (warns below "
        f"{LOW_BATTERY_PCT} %%)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per device (family, name, address, rssi, service_uuids) per line",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--virtual",
        metavar="SCENARIO",
        help=f"scan virtual sensors streaming a simulated scenario ({', '.join(list_scenarios())})",
    )
    where.add_argument(
        "--hci", metavar="TRANSPORT", help="bumble HCI transport to use as the adapter"
    )


def found_table(found: Mapping[str, FoundSensor], *, show_all: bool) -> Table:
    """The scan result as a table, supported families first, strongest signal first."""
    table = Table(header_style="bold")
    cols = ["family", "name", "address", "RSSI dBm"]
    if any(f.battery_pct is not None for f in found.values()):
        cols.append("battery %")
    for col in cols:
        table.add_column(col, justify="left" if col in cols[:3] else "right")
    rows = [f for f in found.values() if show_all or f.family is not None]
    rows.sort(key=lambda f: (f.family is None, str(f.family or ""), -f.rssi))
    for f in rows:
        # a device chooses its own name: shown as plain text, never as markup or escapes
        name = Text(printable(f.name or "", multiline=False))
        cells = [str(f.family or "—"), name, Text(printable(f.address)), str(f.rssi)]
        if len(cols) > len(cells):
            cells.append("—" if f.battery_pct is None else str(f.battery_pct))
        table.add_row(*cells)
    return table


def found_record(f: FoundSensor) -> dict[str, object]:
    """One device as plain data (``--json``); text the device chose stays text."""
    return {
        "family": None if f.family is None else str(f.family),
        "name": f.name,
        "address": f.address,
        "rssi": f.rssi,
        "service_uuids": list(f.service_uuids),
        "battery_pct": f.battery_pct,
    }


async def _scan_virtual(scenario: str, timeout_s: float, battery: bool) -> dict[str, FoundSensor]:
    sources = scenario_sources(scenario, MIXED_FAMILIES)
    async with VirtualAir() as air:
        rig = VirtualRig(air, sources.sources, MIXED_FAMILIES)
        await rig.start()
        backend = await bumble_backend(air)
        wanted = {s.address for s in rig.sensors.values()}
        return await scan_sensors(
            backend, timeout_s=timeout_s, until=lambda f: wanted <= set(f), battery=battery
        )


async def _scan(backend: BleBackend, timeout_s: float, battery: bool) -> dict[str, FoundSensor]:
    try:
        return await scan_sensors(backend, timeout_s=timeout_s, battery=battery)
    finally:
        await backend.close()


async def _run(args: argparse.Namespace) -> dict[str, FoundSensor]:
    if args.virtual:
        return await _scan_virtual(args.virtual, args.timeout_s, args.battery)
    backend = await bumble_backend(args.hci) if args.hci else SYSTEM
    return await _scan(backend, args.timeout_s, args.battery)


def run(args: argparse.Namespace) -> int:
    """Scan and print the sensors found."""
    quiet_bumble(args)
    if not args.timeout_s > 0:
        raise ConfigError(f"--timeout-s must be positive, got {args.timeout_s}")
    if args.virtual and args.virtual not in list_scenarios():
        raise ConfigError(
            f"unknown scenario {args.virtual!r}; expected one of {', '.join(list_scenarios())}"
        )
    found = asyncio.run(_run(args))
    console = Console(file=sys.stdout)
    supported = [f for f in found.values() if f.family is not None]
    if args.json:
        for f in found.values():
            if args.all or f.family is not None:
                print(json.dumps(found_record(f), ensure_ascii=True))
        return 0
    if not supported and not (args.all and found):
        print(
            f"no supported sensors found in {args.timeout_s:g} s "
            f"({len(found)} other device(s); --all lists them). Supported families: "
            f"{', '.join(f.value for f in Family)}",
            file=sys.stderr,
        )
        return 0
    console.print(found_table(found, show_all=args.all))
    for f in supported:
        warning = battery_warning(printable(f.name or f.address, multiline=False), f.battery_pct)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    return 0
