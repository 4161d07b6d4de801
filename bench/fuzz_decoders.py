"""Fuzz every family decoder with damaged notifications; count crashes and out-of-range samples.

    .venv/bin/python bench/fuzz_decoders.py [--packets 200000] [--seed 0] [--write-docs]

For each family the device emulator (``sensors.families``) encodes a moving, noisy sample
stream into its real notifications (with magnetometer and quaternion where the family
streams them). Each fuzzed notification is one of those, damaged one way, chosen at random
(seeded): 1–4 flipped bits, cut at a random length, random bytes of a random length, random
bytes appended, a run set to ``0xFF``, or sent on another of the family's characteristics.
Every third notification goes through undamaged, so the decoder's state (pairing, clock
unwrapping, delta frames) keeps moving. A fresh decoder every 5000 notifications.

Counted per family: notifications fuzzed; **crashes** (an exception out of ``feed`` or
``flush``); **out-of-range samples passed** (a sample outside the decoder's limits: full
scale with margin, finite, unit quaternion); samples passed; and the decoder's own counters
(corrupt, truncated, unknown). ``--write-docs`` puts the table into ``docs/ble.md`` between
the ``fuzz-table`` markers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import ConfigError
from sensors.families import codec_for
from sensors.families.base import (
    Decoder,
    DecoderBase,
    Family,
    ImuSample,
    Notification,
    StreamRequest,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ble.md"
BEGIN, END = "<!-- fuzz-table:begin -->", "<!-- fuzz-table:end -->"
RESET_EVERY = 5000


def configure(family: Family) -> tuple[Any, Any, Any]:
    """(codec, config, emulator) with as many channels as the family streams."""
    codec = codec_for(family)
    for opts in ({"with_mag": True, "with_quat": True}, {"with_quat": True}, {"with_mag": True}):
        emulator = codec.emulator()
        info = {u: emulator.read(u) for u in codec.spec.info_read_uuids}
        try:
            return codec, codec.configure(StreamRequest(device_info=info, **opts)), emulator
        except ConfigError:
            continue
    emulator = codec.emulator()
    info = {u: emulator.read(u) for u in codec.spec.info_read_uuids}
    return codec, codec.configure(StreamRequest(device_info=info)), emulator


def valid_notifications(
    family: Family, n_samples: int, seed: int
) -> tuple[Any, list[Notification], list[Notification]]:
    """The codec config, the device's replies to the start commands (a decoder needs them,
    e.g. Polar's scale factors) and the data notifications of ``n_samples`` moving samples."""
    codec, config, emulator = configure(family)
    plan = codec.plan(config)
    setup: list[Notification] = []
    for u in plan.notify_uuids:
        setup += emulator.set_notify(u, True)
    for w in plan.start:
        setup += emulator.write(w.char_uuid, w.data)
    rate = config.rate_hz
    rng = np.random.default_rng(seed)
    out: list[Notification] = []
    for i in range(n_samples):
        t = i / rate
        angle = 0.8 * math.sin(2 * math.pi * 0.3 * t)
        q = (math.cos(angle / 2), math.sin(angle / 2), 0.0, 0.0)
        swing = math.cos(2 * math.pi * 0.3 * t)
        acc = tuple(float(v) for v in rng.normal(0, 0.05, 3) + np.array([0, 2 * swing, 9.81]))
        gyr = tuple(float(v) for v in rng.normal(0, 0.02, 3) + np.array([1.5 * swing, 0, 0]))
        mag = tuple(float(v) for v in rng.normal(0, 0.5, 3) + np.array([20.0, 0.0, -40.0]))
        sample = ImuSample(
            device_time_s=50.0 + t, acc_m_s2=acc, gyr_rad_s=gyr, mag_ut=mag, quat_wxyz=q
        )
        out += emulator.encode([sample])
    return config, setup, out


def mutate(n: Notification, uuids: list[str], rng: np.random.Generator) -> tuple[str, bytes]:
    """One damaged copy of ``n``: (characteristic, payload)."""
    data = bytearray(n.payload)
    kind = int(rng.integers(6))
    if kind == 0 and data:  # flipped bits
        for _ in range(int(rng.integers(1, 5))):
            bit = int(rng.integers(len(data) * 8))
            data[bit // 8] ^= 1 << (bit % 8)
    elif kind == 1:  # cut short
        data = data[: int(rng.integers(len(data) + 1))]
    elif kind == 2:  # random bytes
        data = bytearray(rng.bytes(int(rng.integers(0, len(data) + 24))))
    elif kind == 3:  # random bytes appended
        data += rng.bytes(int(rng.integers(1, 24)))
    elif kind == 4 and data:  # a run of 0xFF
        a = int(rng.integers(len(data)))
        b = int(rng.integers(a, len(data) + 1))
        data[a:b] = b"\xff" * (b - a)
    else:  # on another characteristic of the family
        return uuids[int(rng.integers(len(uuids)))], bytes(data)
    return n.char_uuid, bytes(data)


def fuzz_family(family: Family, packets: int, seed: int) -> dict[str, Any]:
    """Fuzz one family's decoder with ``packets`` notifications; the counts (see above)."""
    config, setup, valid = valid_notifications(family, 600, seed)
    codec = codec_for(family)
    uuids = sorted({c.uuid for s in codec.spec.services for c in s.characteristics})
    rng = np.random.default_rng(seed + 1)
    crashes = passed = out_of_range = 0
    totals = {"corrupt": 0, "truncated": 0, "unknown": 0}
    clock_ns = 0
    first_crash: str | None = None

    def fresh() -> Decoder:
        nonlocal clock_ns
        d = codec.decoder(config)
        for n in setup:
            clock_ns += 1_000_000
            d.feed(n.char_uuid, n.payload, clock_ns)
        return d

    decoder = fresh()

    def check(samples: list[ImuSample]) -> None:
        nonlocal passed, out_of_range
        limits = decoder.limits if isinstance(decoder, DecoderBase) else None
        passed += len(samples)
        if limits is not None:
            out_of_range += sum(limits.why_not(s) is not None for s in samples)

    def retire() -> None:
        nonlocal crashes, first_crash
        try:
            check(decoder.flush())
        except Exception as exc:  # a crash is what is counted
            crashes += 1
            first_crash = first_crash or repr(exc)
        for k in totals:
            totals[k] += decoder.counts()[k]

    t0 = time.perf_counter()
    for i in range(packets):
        if i and i % RESET_EVERY == 0:
            retire()
            decoder = fresh()
        n = valid[i % len(valid)]
        uuid, payload = (n.char_uuid, n.payload) if i % 3 == 0 else mutate(n, uuids, rng)
        clock_ns += 1_000_000
        try:
            check(decoder.feed(uuid, payload, clock_ns))
        except Exception as exc:  # a crash is what is counted
            crashes += 1
            first_crash = first_crash or repr(exc)
    retire()
    return {
        "family": str(family),
        "packets": packets,
        "crashes": crashes,
        "out_of_range_passed": out_of_range,
        "samples_passed": passed,
        **totals,
        "seconds": round(time.perf_counter() - t0, 1),
        "first_crash": first_crash,
    }


def table(rows: list[dict[str, Any]], packets: int, seed: int) -> str:
    """The Markdown table of ``rows``."""
    head = (
        f"`bench/fuzz_decoders.py --packets {packets} --seed {seed}`: notifications fuzzed per "
        "family (two in three damaged), crashes, samples outside the limits that got through.\n\n"
        "| family | notifications | crashes | out-of-range samples passed | samples passed "
        "| corrupt | truncated | unknown |\n|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['family']} | {r['packets']:,} | {r['crashes']} | {r['out_of_range_passed']} "
        f"| {r['samples_passed']:,} | {r['corrupt']:,} | {r['truncated']:,} | {r['unknown']:,} |\n"
        for r in rows
    )
    return head + body


def write_docs(text: str, path: Path = DOCS) -> None:
    """Replace the text between the fuzz-table markers of ``path``."""
    doc = path.read_text(encoding="utf-8")
    a, b = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    path.write_text(doc[:a] + "\n" + text + doc[b:], encoding="utf-8")


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Fuzz every family, print the table (and write it into docs/ble.md)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=200_000, help="per family")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for family in Family:
        row = fuzz_family(family, args.packets, args.seed)
        out(str(row))
        rows.append(row)
    text = table(rows, args.packets, args.seed)
    out(text)
    if args.write_docs:
        write_docs(text)
    bad = sum(r["crashes"] + r["out_of_range_passed"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
