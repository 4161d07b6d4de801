"""Serve virtual sensors to the kernel's Bluetooth stack through ``/dev/vhci`` (Linux only).

``python -m sensors.virtual.vhci`` puts one virtual sensor of each family on a
:class:`~sensors.ble.air.VirtualAir` and gives the air one more controller whose host is the
Linux kernel: bumble's ``vhci`` transport makes it a new HCI adapter (``hci0``), which
``bluetoothd`` and bleak's stock BlueZ backend then use like a USB dongle. This is the
peripheral side of the BlueZ VM test (``.ci/bluez``, docs/ble.md §7).

The vhci-side controller has no public address: the kernel would connect with it while
bumble's link sends LE data from the controller's random address, so bluetoothd assigns a
static random address instead (``../shared/reference/ble-testing.md`` §3).

On SIGTERM or after ``--duration-s`` it writes ``--stats`` (JSON): per placement the family,
name, address, connections, drops, and the samples a lossless link would have delivered
(what the sensor sent, decoded per connection with ``--rate-hz``'s configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from analysis.simulation import list_scenarios
from sensors.ble.air import VirtualAir
from sensors.families import codec_for
from sensors.families.base import Family, StreamRequest
from sensors.virtual.rig import VirtualRig
from sensors.virtual.scenario import scenario_sources
from sensors.virtual.sensor import Faults

ADV_INTERVAL_MS: Final = 200.0
"""Advertising interval: every ADV becomes a kernel report, a D-Bus signal and a bleak
callback, which the emulated CPU of the VM feels at 20 ms × 6 sensors."""
DROP_OFFLINE_S: Final = 1.0
"""World seconds a dropped sensor stays silent before advertising again."""

SIX_FAMILIES: Final[Mapping[str, Family]] = {
    "pelvis": Family.POLAR_PMD,
    "right_thigh": Family.METAWEAR,
    "right_shank": Family.MOVESENSE,
    "right_foot": Family.MOVELLA_DOT,
    "left_thigh": Family.WITMOTION,
    "left_shank": Family.THINGY52,
}
"""One sensor of every family, each on its own placement."""


async def drop_when(rig: VirtualRig, placement: str, flag: Path, poll_s: float = 0.2) -> None:
    """Once ``flag`` exists, the sensor at ``placement`` ends its connection itself.

    It then stays silent for its ``offline_s`` and advertises again.
    """
    while not flag.exists():
        await asyncio.sleep(poll_s)
    await rig.sensors[placement].drop()


def served_stats(rig: VirtualRig, rate_hz: float | None) -> dict[str, dict[str, object]]:
    """Per placement: identity, connections, drops, and the samples its notifications carry.

    The samples are decoded per connection, as a lossless link would deliver them.
    """
    out: dict[str, dict[str, object]] = {}
    for placement, sensor in rig.sensors.items():
        config = sensor.codec.configure(StreamRequest(rate_hz))
        samples, counts = sensor.replay_sent(config)
        out[placement] = {
            "family": sensor.family,
            "name": sensor.name,
            "address": sensor.address,
            "connections": sensor.stats.connections,
            "drops": sensor.stats.drops,
            "notifications": sensor.stats.notifications,
            "samples_sent": len(samples),
            "decoder": counts,
        }
    return out


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM/SIGINT or ``args.duration_s``; then write the stats."""
    rates = dict.fromkeys(SIX_FAMILIES, args.rate_hz) if args.rate_hz else None
    sources = scenario_sources(args.scenario, SIX_FAMILIES, seed=args.seed, rates_hz=rates)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with VirtualAir() as air:
        rig = VirtualRig(
            air,
            sources.sources,
            SIX_FAMILIES,
            faults=dict.fromkeys(SIX_FAMILIES, Faults(offline_s=DROP_OFFLINE_S)),
            seed=args.seed,
            record=True,
            start_with_first_stream=True,
            adv_interval_ms=ADV_INTERVAL_MS,
        )
        await rig.start()
        await air.expose(args.transport)
        if args.ready:
            Path(args.ready).write_text(
                json.dumps({p: s.name for p, s in rig.sensors.items()}), encoding="utf-8"
            )
        dropper = None
        if args.drop:
            dropper = loop.create_task(drop_when(rig, args.drop, Path(args.drop_when)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.duration_s)
        if dropper is not None:
            dropper.cancel()
        if args.stats:
            stats = served_stats(rig, args.rate_hz)
            Path(args.stats).write_text(json.dumps(stats, indent=1), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m sensors.virtual.vhci [options]``."""
    parser = argparse.ArgumentParser(prog="python -m sensors.virtual.vhci", description=__doc__)
    parser.add_argument("--scenario", default="standing_correct", choices=list_scenarios())
    parser.add_argument("--transport", default="vhci", help="bumble HCI transport (vhci)")
    parser.add_argument("--rate-hz", type=float, help="the rate the client will configure")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--drop", choices=tuple(SIX_FAMILIES), help="this sensor ends its connection once ..."
    )
    parser.add_argument("--drop-when", metavar="FILE", help="... this file exists")
    parser.add_argument("--duration-s", type=float, help="serve this long (default: until TERM)")
    parser.add_argument("--ready", help="write the sensors' names here (JSON) once serving")
    parser.add_argument("--stats", help="write the served stats here (JSON) at the end")
    args = parser.parse_args(argv)
    if bool(args.drop) != bool(args.drop_when):
        parser.error("--drop and --drop-when go together")
    logging.getLogger("bumble").setLevel(logging.ERROR)
    for family in SIX_FAMILIES.values():
        codec_for(family)  # fail early on a broken registry
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
