"""The bridge's network edge and the sample sites, on one HTTP port (EITP v1.1 sections 2.3, 4).

* ``GET /rv/`` (and the other sites), ``/common/...``: the dealer sites; a site's ``index.html``
  is served with its includes expanded (:mod:`workbench.sitepages`).
* ``GET /eitp/producer.js``, ``/eitp/config.js``: the producer and its run configuration.
* ``GET /bridge``: WebSocket, NATS text protocol (text or binary frames in, binary frames out,
  like nats-server), handled by :class:`~workbench.bridge.connection.BridgeConnection`.
* ``POST /bridge/batch``: the section 4.4 HTTP fallback; the same checks, the same limits
  (keyed by the batch's session) and the same IP handling as WebSocket. A session that only
  POSTs is closed (``telemetry.closed``, as a WebSocket close would) once it has been
  silent for ``inference.session_timeout_ms``.

aiohttp serves all of it because the WebSocket bridge, static files and a POST endpoint
must share one port; the ``websockets`` server only speaks GET upgrades.

Interventions reach the browser through one bus subscription to
``seer.*.intervention.request.*`` and a table from ``(tenant, session)`` to the connections
that subscribed: one interest however many clients, and O(1) routing, where a bus
subscription per client would cost the in-process bus a pattern match per client on every
publish. Only :func:`~workbench.bridge.connection.is_intervention` payloads are forwarded.

Each connection's replies go through a bounded :class:`~workbench.bridge.outbox.Outbox`;
``receive -> bus publish`` latency is kept in :attr:`BridgeServer.latency`. A violation is
refused, counted per kind in :attr:`BridgeServer.violations` and logged with its session (at
most ``LOG_LINES_PER_SECOND`` lines a second, the rest counted as suppressed).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from workbench import sitepages
from workbench.bridge.clientip import client_ip, for_log, parse_networks
from workbench.bridge.connection import (
    SERVICE_UNAVAILABLE,
    SKIP_FACTOR,
    BridgeConnection,
    Publish,
    Violation,
    check_batch,
    check_limits,
    encode_batch,
    encode_err,
    is_intervention,
)
from workbench.bridge.limits import LimiterRegistry
from workbench.bridge.metrics import LatencyHistogram
from workbench.bridge.outbox import Outbox
from workbench.bus import SESSION_CLOSED, Bus, Subscription
from workbench.config import EITPConfig
from workbench.errors import BusError, SitePageError
from workbench.recent import Recent

log = logging.getLogger(__name__)

SITES = {"rv": "rv_dealer", "auto": "auto_dealer", "powersports": "powersports_dealer"}
DEFAULT_TENANT = "org_workbench"
INTERVENTIONS = "seer.*.intervention.request.*"
LOG_LINES_PER_SECOND = 20
LOG_MESSAGE_CHARS = 500  # of a refusal's message on the log: it quotes what it refused, up to a whole batch


def sites_root() -> Path:
    """``$WORKBENCH_SITES`` or the ``sites/`` folder beside the package."""
    return Path(os.environ.get("WORKBENCH_SITES", Path(__file__).resolve().parents[2] / "sites"))


@functools.lru_cache(maxsize=16)
def _rendered(page: Path, stamp: tuple[int, ...]) -> str:
    """A site page with its includes expanded, kept until the page or a partial changes (``stamp``)."""
    return sitepages.render(page)




class _Socket(web.WebSocketResponse):
    """Some bad input is refused by aiohttp itself, which closes and says nothing else: a WebSocket
    message over ``max_msg_size`` (1009, message too big) and a text frame that is not UTF-8 (1007,
    RFC 6455 section 8.1). Like any other refusal on the bridge, it is first named in an ``-ERR``
    (:attr:`refused`: the violation's kind and message), so the client learns why its connection ended."""

    refused: tuple[str, str] | None = None

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True) -> bool:
        if code in (WSCloseCode.MESSAGE_TOO_BIG, WSCloseCode.INVALID_TEXT) and not self.closed and not self.refused:
            if code == WSCloseCode.MESSAGE_TOO_BIG:
                too_big = f"Maximum Payload Violation (a WebSocket message over {self.limit} bytes)"
                self.refused = ("payload_size", too_big)
            else:
                self.refused = ("parse", "Invalid UTF-8 (a WebSocket text frame)")
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.send_bytes(encode_err(self.refused[1]))
        return await super().close(code=code, message=message, drain=drain)

    @property
    def limit(self) -> int:
        return int(self._max_msg_size)


class BridgeServer:
    """Owns the aiohttp application; publishes accepted batches on the bus."""

    def __init__(self, bus: Bus, config: EITPConfig, *, tenant_id: str = DEFAULT_TENANT,
                 on_violation: Callable[[Violation], None] | None = None) -> None:
        self.bus = bus
        self.config = config
        self.tenant_id = tenant_id
        self.violations: Counter[str] = Counter()
        self.on_violation = on_violation
        self.connections = 0
        self.accepted = 0
        self.unavailable = 0  # messages the bus refused (BusError)
        self.latency = LatencyHistogram()
        self.limiters = LimiterRegistry(config.transport)
        self.proxies = parse_networks(config.transport.trusted_proxies)
        self.routes: dict[tuple[str, str], set[_Peer]] = {}
        self.peak_pending = 0  # the most bytes ever queued for one connection
        # (tenant, session) -> MSG frames queued for it, for the sessions that got one most recently
        self.delivered: Recent[tuple[str, str], int] = Recent(config.transport.limiter_max_sessions)
        self._peers: set[_Peer] = set()
        self._closing: Counter[str] = Counter()  # sessions whose connection ended, with the close not yet published
        # (tenant, session) of HTTP POST batches -> (the last batch's time, monotonic when it came)
        self._posted: dict[tuple[str, str], tuple[float, float]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None
        self._log_second, self._log_lines, self._log_suppressed = 0, 0, 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        root = sites_root()
        app = web.Application(client_max_size=config.transport.max_message_bytes)
        app.router.add_get("/", self._index)
        app.router.add_get("/eitp/config.js", self._config_js)
        app.router.add_get("/eitp/producer.js", self._producer_js)
        app.router.add_get("/bridge", self._websocket)
        app.router.add_post("/bridge/batch", self._post_batch)
        for site in SITES:
            if (root / site).is_dir():
                app.router.add_get(f"/{site}", self._redirect_slash)
                for page in (f"/{site}/", f"/{site}/index.html"):
                    app.router.add_get(page, self._site_index(root / site / "index.html"))
                app.router.add_static(f"/{site}/", root / site, show_index=False)
        app.router.add_static("/common/", root / "common")
        self._producer_path = root / "producer" / "eitp-producer.js"
        self.app = app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._subscription = await self.bus.subscribe(INTERVENTIONS, self._on_intervention)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        bound = sock.getsockname()[1]
        self.base_url = f"http://{host}:{bound}"
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_posted())
        return self.base_url

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        await asyncio.gather(*(peer.outbox.close("Server Shutdown") for peer in list(self._peers)))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    # --- sites --------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.Response:
        links = "".join(f'<li><a href="/{s}/">{s}</a> ({v})</li>' for s, v in SITES.items()
                        if (sites_root() / s).is_dir())
        return web.Response(text=f"<h1>EITP Workbench sample sites</h1><ul>{links}</ul>", content_type="text/html")

    @staticmethod
    def _site_index(path: Path) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            try:
                text = _rendered(path, sitepages.stamp(path))
            except FileNotFoundError as exc:
                raise web.HTTPNotFound(text=f"no such page: {exc.filename}") from exc
            except SitePageError as exc:  # a broken include: say which, instead of serving half a page
                raise web.HTTPInternalServerError(text=str(exc)) from exc
            return web.Response(text=text, content_type="text/html", headers={"Cache-Control": "no-store"})
        return handler

    async def _redirect_slash(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.path + "/" + (f"?{request.query_string}" if request.query_string else ""))

    async def _config_js(self, request: web.Request) -> web.Response:
        referer = request.headers.get("Referer", "")
        site = next((s for s in SITES if f"/{s}/" in referer), "rv")
        cfg = self.config.producer_config(tenant_id=self.tenant_id, vertical=SITES[site])
        body = "window.EITP_CONFIG = " + orjson.dumps(cfg).decode() + ";\n"
        return web.Response(text=body, content_type="application/javascript",
                            headers={"Cache-Control": "no-store"})

    async def _producer_js(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(self._producer_path, headers={"Cache-Control": "no-store"})

    # --- bridge -------------------------------------------------------------------------
    def _client_ip(self, request: web.Request) -> str:
        """Section 4.5: the socket peer, or X-Forwarded-For when the peer is a trusted proxy."""
        return client_ip(request.remote or "0.0.0.0", request.headers.getall("X-Forwarded-For", []), self.proxies)

    def _violation(self, v: Violation, peer: str) -> None:
        self.violations[v.kind] += 1
        second = int(time.monotonic())
        if second != self._log_second:
            if self._log_suppressed:
                log.warning("bridge: %d more refusals not logged (over %d lines/s)",
                            self._log_suppressed, LOG_LINES_PER_SECOND)
            self._log_second, self._log_lines, self._log_suppressed = second, 0, 0
        if self._log_lines < LOG_LINES_PER_SECOND:
            self._log_lines += 1
            message = v.message if len(v.message) <= LOG_MESSAGE_CHARS else v.message[:LOG_MESSAGE_CHARS] + "..."
            log.warning("bridge refused %s from %s (session %s): %s", v.kind, for_log(peer), v.session_id, message)
        else:
            self._log_suppressed += 1
        if self.on_violation:
            self.on_violation(v)

    async def _publish(self, items: list[Publish], received: float) -> frozenset[int]:
        """Hand accepted batches to the bus, each tried on its own; which it could not take (a NATS server
        gone for good, a payload over its limit): that is the service's failure, not the client's, said once in
        a while on the log (:attr:`unavailable` counts them) and to the client as ``Service Unavailable``."""
        refused: set[int] = set()
        for i, item in enumerate(items):
            try:
                await self.bus.publish(item.subject, item.payload)
            except BusError as exc:
                self._refused_by_bus(exc)
                refused.add(i)
                continue
            self.latency.record(time.perf_counter() - received)
            self.accepted += 1
        return frozenset(refused)

    async def _publish_close(self, tenant: str | None, session: str, at: float | None) -> None:
        """Tell the engine and Seer a connection ended; a bus that cannot take it is counted as for a batch."""
        try:
            await self.bus.publish(SESSION_CLOSED, orjson.dumps({"tenantId": tenant, "sessionId": session, "at": at}))
        except BusError as exc:
            self._refused_by_bus(exc)

    def _refused_by_bus(self, exc: BusError) -> None:
        self.unavailable += 1
        if self.unavailable & (self.unavailable - 1) == 0:  # the 1st, 2nd, 4th, ...
            log.error("bridge: the bus refused a message (%d so far): %s", self.unavailable, exc)

    def _route(self, peer: _Peer) -> None:
        """Keep ``routes`` in step with whether the connection has subscriptions."""
        conn = peer.conn
        if conn.tenant_id is None or conn.session_id is None:
            return
        key = (conn.tenant_id, conn.session_id)
        if conn.subscriptions and not peer.closing:
            self.routes.setdefault(key, set()).add(peer)
        elif key in self.routes:
            self.routes[key].discard(peer)
            if not self.routes[key]:
                del self.routes[key]

    async def _on_intervention(self, subject: str, payload: bytes) -> None:
        tokens = subject.split(".")
        peers = self.routes.get((tokens[1], tokens[4])) if len(tokens) == 5 else None
        if not peers or not is_intervention(payload):
            return  # EITP packets (telemetry details) never reach the browser (sections 2.5, 9.2)
        key = (tokens[1], tokens[4])
        for peer in list(peers):
            for frame in peer.conn.deliver(subject, payload):
                if peer.outbox.send(frame):
                    self.delivered.put(key, self.delivered.get(key, 0) + 1)
            self._route(peer)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        transport = self.config.transport
        ws = _Socket(heartbeat=None, compress=False, max_msg_size=transport.max_message_bytes * SKIP_FACTOR)
        ip = self._client_ip(request)
        if self.connections >= transport.max_connections:  # refused before the upgrade, while descriptors last
            v = Violation("connections", f"Too Many Connections: {self.connections} open "
                                         f"(max {transport.max_connections})", None)
            self._violation(v, ip)
            return web.Response(status=503, text=v.message, headers={"Retry-After": "5"})
        try:
            await ws.prepare(request)
        except ConnectionError as exc:  # the client went away during the upgrade: nothing to serve
            log.info("bridge: a client from %s left during the WebSocket upgrade (%s)", for_log(ip), exc)
            return web.Response(status=400, text="the client left during the WebSocket upgrade")  # unsendable
        conn = BridgeConnection(peer_ip=ip, user_agent=request.headers.get("User-Agent", ""), config=transport,
                                limiters=self.limiters, tenants={self.tenant_id})

        def slow(size: int) -> None:
            self._violation(Violation("slow_consumer", f"Slow Consumer: {size} bytes unsent "
                                                       f"(max {transport.send_queue_bytes})", conn.session_id), ip)

        peer = _Peer(conn, Outbox(ws, request.transport, limit=transport.send_queue_bytes, on_slow=slow))
        self._peers.add(peer)
        self.connections += 1
        peer.outbox.send(conn.greeting())
        loop = asyncio.get_running_loop()
        handshake_deadline = loop.time() + transport.handshake_timeout_ms / 1000
        reason: str | None = None
        last_ts: float | None = None
        last_wall = time.monotonic()
        try:
            while not peer.outbox.slow:
                if conn.session_id is None:
                    deadline: float | None = handshake_deadline
                else:
                    deadline = loop.time() + transport.idle_timeout_ms / 1000 if transport.idle_timeout_ms > 0 else None
                try:
                    # Our own deadline, not receive(timeout=): aiohttp restarts that on every WebSocket
                    # ping it answers, so a client pinging the socket would never time out, and it reads
                    # a timeout of 0 (a deadline already past) as none at all.
                    async with asyncio.timeout_at(deadline):
                        msg = await ws.receive()
                except TimeoutError:  # nats-server's words for a client that never connected, or went quiet
                    quiet = conn.session_id is not None
                    kind, reason = ("idle", "Stale Connection") if quiet else ("handshake", "Authentication Timeout")
                    self._violation(Violation(kind, reason, conn.session_id), ip)
                    peer.outbox.send(encode_err(reason))
                    break
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    if ws.refused is not None:
                        self._violation(Violation(*ws.refused, conn.session_id), ip)
                    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                        break
                    continue
                received = time.perf_counter()
                try:
                    result = conn.receive(msg.data)
                except Exception:  # a bridge bug, never the client's doing: end this connection only
                    log.exception("bridge: connection from %s (session %s) failed", for_log(ip), conn.session_id)
                    reason = "Internal Error"
                    break
                for v in result.violations:
                    self._violation(v, ip)
                refused = await self._publish(result.publish, received) if result.publish else frozenset()
                if result.publish:
                    last_ts, last_wall = float(result.publish[-1].batch["timestamp"]), time.monotonic()
                for out in result.answered(refused):  # each PUB's +OK or -ERR in its place, once the bus had it
                    peer.outbox.send(out)
                self._route(peer)
                if result.close is not None:
                    reason = result.close
                    break
        finally:
            peer.closing = True
            self._route(peer)
            session = conn.session_id
            if session is not None:
                self._closing[session] += 1
            self._peers.discard(peer)
            self.connections -= 1
            self.peak_pending = max(self.peak_pending, peer.outbox.peak)
            try:
                await peer.outbox.close(reason)
                if session is not None:
                    if conn.tenant_id is not None:
                        self._posted.pop((conn.tenant_id, session), None)  # this close ends it
                    # Map the connection's end onto the page's clock: the last batch time plus the
                    # time the socket stayed open after it (the bridge is the only place that knows).
                    at = None if last_ts is None else last_ts + (time.monotonic() - last_wall) * 1000
                    await self._publish_close(conn.tenant_id, session, at)
            finally:
                if session is not None:
                    self._closing[session] -= 1
                    if not self._closing[session]:
                        del self._closing[session]
        return ws

    def close_to_come(self, session_id: str) -> bool:
        """Whether a WebSocket close of ``session_id`` may still be published: one of its connections is open or
        closing, or a connection has not said which session it is yet (it may be this one)."""
        return self._closing[session_id] > 0 or any(
            peer.conn.session_id in (session_id, None) for peer in self._peers)

    async def _post_batch(self, request: web.Request) -> web.Response:
        """Section 4.4 fallback: the WebSocket's checks and limits, keyed by the batch's session."""
        received = time.perf_counter()
        ip = self._client_ip(request)
        limit = self.config.transport.max_message_bytes
        try:
            if request.content_length is not None and request.content_length > limit:
                raise web.HTTPRequestEntityTooLarge(limit, request.content_length)
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            v = Violation("payload_size", f"Maximum Payload Violation (more than {limit} bytes)", None)
            self._violation(v, ip)
            return _error(413, v.message)
        batch, violation = check_batch(body, tenant=self.tenant_id, session=None, peer_ip=ip,
                                       user_agent=request.headers.get("User-Agent", ""))
        if violation is not None:
            self._violation(violation, ip)
            return _error(400, violation.message)
        assert batch is not None
        forwarded, violation = encode_batch(batch)
        if violation is not None:
            self._violation(violation, ip)
            return _error(400, violation.message)
        assert forwarded is not None
        limiter = self.limiters.get(batch["tenantId"], batch["sessionId"])
        now = time.monotonic()
        refusal = limiter.post_frames.allow(now)
        if refusal is not None:
            violation = Violation(refusal.kind, refusal.message, batch["sessionId"])
        else:
            violation = check_limits(self.limiters, batch, now)
        if violation is not None:
            self._violation(violation, ip)
            return _error(400 if violation.kind == "clock" else 429, violation.message)
        if await self._publish([Publish("telemetry.raw", batch, forwarded)], received):
            return web.json_response({"ok": False, "error": SERVICE_UNAVAILABLE}, status=503,
                                     headers={"Retry-After": "5"})
        self._posted[(batch["tenantId"], batch["sessionId"])] = (float(batch["timestamp"]), time.monotonic())
        return web.json_response({"ok": True})

    async def _sweep_posted(self) -> None:
        """End the sessions that only POST (section 4.4) once they fall silent.

        A WebSocket's close tells the engine a visit ended; a POST-only visit has no close, so a
        session silent for ``inference.session_timeout_ms`` is closed here, on the page's clock
        (its last batch time plus the silence), as a WebSocket close is. Nothing else would ever
        end it: the engine judges a session only on its own events."""
        timeout_s = self.config.inference.session_timeout_ms / 1000
        while True:
            await asyncio.sleep(min(30.0, max(0.05, timeout_s / 4)))
            now = time.monotonic()
            for key, (last_ts, last_wall) in list(self._posted.items()):
                if now - last_wall > timeout_s:
                    del self._posted[key]
                    await self._publish_close(key[0], key[1], last_ts + (now - last_wall) * 1000)


class _Peer:
    """A live WebSocket connection: its protocol state and its send queue."""

    __slots__ = ("conn", "outbox", "closing")

    def __init__(self, conn: BridgeConnection, outbox: Outbox) -> None:
        self.conn, self.outbox, self.closing = conn, outbox, False

def _error(status: int, message: str) -> web.Response:
    payload: dict[str, Any] = {"ok": False, "error": message}
    return web.json_response(payload, status=status)
