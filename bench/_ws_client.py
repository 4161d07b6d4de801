"""A websocket client standing in for the live page (bench/live_web_latency.py): receive every
snapshot and stamp its arrival with ``time.monotonic_ns`` (one clock for all processes).

    python bench/_ws_client.py PORT OUT.json [--realtime]

Imports nothing but aiohttp, so starting it does not compete with the session it measures.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import aiohttp


async def _run(port: int, out: Path) -> None:
    got: list[tuple[int, int]] = []
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            f"http://127.0.0.1:{port}/ws", timeout=aiohttp.ClientWSTimeout(ws_close=60.0)
        )
        async for msg in ws:
            now = time.monotonic_ns()
            got.append((json.loads(msg.data)["seq"], now))
    out.write_text(json.dumps(got), encoding="utf-8")


def main() -> int:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    cpus = os.cpu_count() or 1
    os.sched_setaffinity(0, {1 % cpus})
    if "--realtime" in sys.argv[3:]:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    asyncio.run(_run(port, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
