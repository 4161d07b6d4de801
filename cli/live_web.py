"""``stretchguard live … --web``: the live session as a local web page (aiohttp + a websocket).

:class:`WebScreen` wraps the terminal screen (``cli.cmd_live._Screen``): it attaches the
same session, protocol and :class:`~cli.live_angles.LiveAngles`, and serves

* ``GET /`` — the page (``cli/web/live.html``; script and style from ``/live.js`` and
  ``/live.css``), under a strict Content-Security-Policy: nothing but this server, no inline
  script or style, no frames, no forms;
* ``GET /ws`` — a websocket that pushes the whole live state (:func:`cli.live_feed.snapshot`)
  ``push_hz`` times a second and takes the page's commands: ``{"type": "mark", "where",
  "what"}`` (a symptom mark in the recording's sidecar) and ``{"type": "stop"}``.

It binds 127.0.0.1 by default. Any other ``--host`` needs a random access token in the URL
(``?token=…``, printed once); the websocket also refuses a browser page from another origin,
so a web site open in the same browser cannot drive the session. Nothing is fetched from the
internet. When the recording ends the page gets the verdict and the next command, then the
server closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from analysis.errors import ConfigError
from cli.live_feed import (
    MARK_WHAT,
    MARK_WHERE,
    SessionTally,
    end_block,
    mark_label,
    snapshot,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
LOCALHOST = "127.0.0.1"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self' {ws}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_ASSETS = {
    "/": ("live.html", "text/html"),
    "/live.js": ("live.js", "text/javascript"),
    "/live.css": ("live.css", "text/css"),
}


def add_web_arguments(parser: argparse.ArgumentParser) -> None:
    """``--web``, ``--port``, ``--host`` of ``stretchguard live``."""
    web_group = parser.add_argument_group("web page")
    web_group.add_argument(
        "--web", action="store_true", help="also show the session as a local web page"
    )
    web_group.add_argument("--port", type=int, default=0, help="its port (default: a free one)")
    web_group.add_argument(
        "--host",
        default=LOCALHOST,
        help="address to serve on (default 127.0.0.1; any other needs the printed token)",
    )


def _is_loopback(host: str) -> bool:
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return host == "localhost"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one); clear error if taken."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be 0–65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host!r}: {exc.strerror}") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(16)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def asset(name: str) -> str:
    """A file of the page (``cli/web/``) as text."""
    return resources.files("cli").joinpath("web", name).read_text(encoding="utf-8")


async def _no_content(_request: web.Request) -> web.Response:
    return web.Response(status=204)


class WebScreen:
    """The web page around a terminal screen: same session, same keys, same recording.

    ``inner`` is a ``cli.cmd_live._Screen`` (anything with ``attach(session, protocol)``,
    ``angles``, ``view``, ``stop`` and ``close()``).
    """

    def __init__(
        self,
        inner: Any,
        out: Path,
        *,
        host: str = LOCALHOST,
        port: int = 0,
        push_hz: float = 20.0,
        token: str | None = None,
    ) -> None:
        self.inner = inner
        self.stop: asyncio.Event = inner.stop
        self.out = out
        self.push_hz = float(push_hz)
        if token is None and not _is_loopback(host):
            token = secrets.token_urlsafe(18)
        self.token = token
        self.sock = bind_socket(host, port)
        self.port = int(self.sock.getsockname()[1])
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/" + (f"?token={token}" if token else "")
        self.session: Any = None
        self.protocol: Any = None
        self.seq = 0
        self.clients: set[web.WebSocketResponse] = set()
        self._sending: dict[web.WebSocketResponse, asyncio.Task[None]] = {}
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._tally = SessionTally()
        self.on_push: Callable[[dict[str, Any]], None] | None = None
        """Called with every snapshot sent (benchmarks)."""

    # --- the screen interface ------------------------------------------------------------

    def attach(self, session: Any, protocol: Any) -> Callable[[], None]:
        """Attach the terminal screen, then start serving the page."""
        tick = self.inner.attach(session, protocol)
        self.session, self.protocol = session, protocol
        loop = asyncio.get_running_loop()
        self._pusher = loop.create_task(self._serve())
        return tick

    @property
    def angles(self) -> Any:
        """The wrapped screen's angle state (the web page shows the same)."""
        return self.inner.angles

    @property
    def extra(self) -> dict[str, object]:
        """Sidecar extras decided while recording (shared with the terminal screen)."""
        return self.inner.extra

    def close(self) -> None:
        """Close the wrapped screen, stop pushing to the page and close the socket."""
        self.inner.close()
        if self._pusher is not None and not self._pusher.done():
            self._pusher.cancel()
        self.sock.close()

    async def serve_during(self, work: Awaitable[T]) -> T:
        """Run the recording ``work``; then send the page the end and stop serving."""
        summary: str | None = None
        try:
            result = await work
            summary = f"recorded {getattr(result, 'duration_s', 0.0):.1f} s"
            return result
        except Exception as exc:
            summary = f"the recording stopped: {exc}"
            raise
        finally:
            await self._finish(summary)

    # --- serving -----------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        for path in _ASSETS:
            app.router.add_get(path, self._asset)
        app.router.add_get("/ws", self._ws)
        app.router.add_get("/favicon.ico", _no_content)
        return app

    def _token_ok(self, request: web.Request) -> bool:
        if self.token is None:
            # loopback without a token: only our own names, so a web site whose name is
            # re-pointed at 127.0.0.1 (DNS rebinding) cannot load the page or its feed
            names = ("127.0.0.1", "localhost", "[::1]")
            return request.host in {f"{n}:{self.port}" for n in names}
        given = request.query.get("token", "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name, kind = _ASSETS[request.path]
        if not self._token_ok(request) and (request.path == "/" or self.token is None):
            return web.Response(status=403, text="access token missing or wrong\n")
        headers = {
            "Content-Security-Policy": CSP.format(ws=f"ws://{request.host}"),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }
        return web.Response(text=asset(name), content_type=kind, charset="utf-8", headers=headers)

    def _origin_ok(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        return origin is None or origin == f"http://{request.host}"

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if not self._token_ok(request) or not self._origin_ok(request):
            return web.Response(status=403, text="forbidden\n")
        ws = web.WebSocketResponse(heartbeat=10.0, max_msg_size=4096)
        await ws.prepare(request)
        self.clients.add(ws)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.command(msg.data)
        finally:
            self.clients.discard(ws)
        return ws

    def command(self, text: str) -> str | None:
        """Act on one command from the page; returns what was done (None: ignored)."""
        try:
            cmd = json.loads(text)
        except ValueError:
            return None
        if not isinstance(cmd, dict) or self.session is None:
            return None
        if cmd.get("type") == "mark":
            where = cmd.get("where") if cmd.get("where") in MARK_WHERE else None
            what = cmd.get("what") if cmd.get("what") in MARK_WHAT else None
            label = mark_label(where, what)
            marker = self.session.add_marker(label, where=where, what=what)
            done = f"marked at {marker.t_s:.1f} s: {label}"  # session clock, as the sidecar
            view = getattr(self.inner, "view", None)
            if view is not None:
                view.note(done)
            return done
        if cmd.get("type") == "stop":
            self.stop.set()
            return "stopping"
        return None

    async def _serve(self) -> None:
        self._runner = web.AppRunner(
            self._app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()
        loop = asyncio.get_running_loop()
        period = 1.0 / self.push_hz
        failed = False
        while True:
            due = loop.time() + period
            if self.clients:
                try:
                    self.push()
                except Exception as exc:  # the page must never stop the recording
                    if not failed:
                        log.error(
                            "live page: could not send the state (%s: %s)", type(exc).__name__, exc
                        )
                    failed = True
            await asyncio.sleep(max(0.0, due - loop.time()))

    def state(self) -> dict[str, Any]:
        """The snapshot the page gets now (angles brought up to date first)."""
        angles = self.inner.angles
        if angles is not None:
            angles.tick(self.session.now_s())
        self.seq += 1
        tally = angles.tally if angles is not None else self._tally
        snap = snapshot(self.session, self.protocol, angles, tally, seq=self.seq, out=self.out)
        snap["server_mono_s"] = time.monotonic()
        return snap

    def push(self, snap: dict[str, Any] | None = None) -> None:
        """Send a snapshot to every page; a page still receiving the last one skips this."""
        snap = snap if snap is not None else self.state()
        text = json.dumps(snap, separators=(",", ":"), allow_nan=False)
        for ws in list(self.clients):
            busy = self._sending.get(ws)
            if busy is not None and not busy.done():
                continue
            self._sending[ws] = asyncio.ensure_future(self._send(ws, text))
        if self.on_push is not None:
            self.on_push(snap)

    async def _send(self, ws: web.WebSocketResponse, text: str) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(text)

    async def _finish(self, summary: str | None) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            try:
                await self._pusher
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # e.g. the server could not start: say so, keep the result
                log.error("live page: the server failed (%s: %s)", type(exc).__name__, exc)
        if self.session is not None and self.clients:
            await self._send_end(summary)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _send_end(self, summary: str | None) -> None:
        """The last snapshot, with the verdict and the next command; then close the pages."""
        try:
            snap = self.state()
            angles = self.inner.angles
            snap["phase"] = "ended"
            snap["end"] = end_block(angles.tally if angles else self._tally, self.out, summary)
            text = json.dumps(snap, separators=(",", ":"), allow_nan=False)
        except Exception as exc:
            log.error("live page: could not send the end (%s: %s)", type(exc).__name__, exc)
            text = None
        for ws in list(self.clients):
            if text is not None:
                with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
                    await asyncio.wait_for(ws.send_str(text), 2.0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)
