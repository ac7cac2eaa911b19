"""The bridge's network edge and the sample sites, on one HTTP port (EITP v1.1 sections 2.3, 4).

* ``GET /rv/`` (and the other sites), ``/common/...``: the dealer sites.
* ``GET /eitp/producer.js``, ``/eitp/config.js``: the producer and its run configuration.
* ``GET /bridge``: WebSocket, NATS text protocol (text or binary frames), handled by
  :class:`~workbench.bridge.connection.BridgeConnection`.
* ``POST /bridge/batch``: the section 4.4 HTTP fallback; the same checks as WebSocket.

aiohttp serves all of it because the WebSocket bridge, static files and a POST endpoint
must share one port; the ``websockets`` server only speaks GET upgrades.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from workbench.bridge.connection import BridgeConnection, Publish, Violation, check_batch
from workbench.bus import SESSION_CLOSED, Bus
from workbench.config import EITPConfig

log = logging.getLogger(__name__)

SITES = {"rv": "rv_dealer", "auto": "auto_dealer", "powersports": "powersports_dealer"}
DEFAULT_TENANT = "org_workbench"


def sites_root() -> Path:
    """``$WORKBENCH_SITES`` or the ``sites/`` folder beside the package."""
    return Path(os.environ.get("WORKBENCH_SITES", Path(__file__).resolve().parents[2] / "sites"))


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
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        root = sites_root()
        app = web.Application(client_max_size=config.transport.max_message_bytes + 1024)
        app.router.add_get("/", self._index)
        app.router.add_get("/eitp/config.js", self._config_js)
        app.router.add_get("/eitp/producer.js", self._producer_js)
        app.router.add_get("/bridge", self._websocket)
        app.router.add_post("/bridge/batch", self._post_batch)
        for site in SITES:
            if (root / site).is_dir():
                app.router.add_get(f"/{site}", self._redirect_slash)
                app.router.add_get(f"/{site}/", self._site_index(root / site / "index.html"))
                app.router.add_static(f"/{site}/", root / site, show_index=False)
        app.router.add_static("/common/", root / "common")
        self._producer_path = root / "producer" / "eitp-producer.js"
        self.app = app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        bound = sock.getsockname()[1]
        self.base_url = f"http://{host}:{bound}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- sites --------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.Response:
        links = "".join(f'<li><a href="/{s}/">{s}</a> ({v})</li>' for s, v in SITES.items()
                        if (sites_root() / s).is_dir())
        return web.Response(text=f"<h1>EITP Workbench sample sites</h1><ul>{links}</ul>", content_type="text/html")

    @staticmethod
    def _site_index(path: Path) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.FileResponse:
            return web.FileResponse(path, headers={"Cache-Control": "no-store"})
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
    def _peer_ip(self, request: web.Request) -> str:
        return request.remote or "0.0.0.0"

    def _violation(self, v: Violation, peer: str) -> None:
        self.violations[v.kind] += 1
        log.warning("bridge refused %s from %s (session %s): %s", v.kind, peer, v.session_id, v.message)
        if self.on_violation:
            self.on_violation(v)

    async def _publish(self, items: list[Publish]) -> None:
        for item in items:
            await self.bus.publish(item.subject, orjson.dumps(item.batch))

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=self.config.transport.max_message_bytes * 4)
        await ws.prepare(request)
        peer = self._peer_ip(request)
        conn = BridgeConnection(peer_ip=peer, user_agent=request.headers.get("User-Agent", ""),
                                config=self.config.transport)
        self.connections += 1
        await ws.send_str(conn.greeting().decode())
        last_ts: float | None = None
        last_wall = time.monotonic()
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                result = conn.receive(msg.data)
                for v in result.violations:
                    self._violation(v, peer)
                for out in result.send:
                    await ws.send_str(out.decode())
                if result.publish:
                    last_ts, last_wall = float(result.publish[-1].batch["timestamp"]), time.monotonic()
                await self._publish(result.publish)
        finally:
            self.connections -= 1
            if conn.session_id is not None:
                # Map the connection's end onto the page's clock: the last batch time plus the
                # time the socket stayed open after it (the bridge is the only place that knows).
                at = None if last_ts is None else last_ts + (time.monotonic() - last_wall) * 1000
                await self.bus.publish(SESSION_CLOSED, orjson.dumps(
                    {"tenantId": conn.tenant_id, "sessionId": conn.session_id, "at": at}))
        return ws

    async def _post_batch(self, request: web.Request) -> web.Response:
        peer = self._peer_ip(request)
        body = await request.read()
        if len(body) > self.config.transport.max_message_bytes:
            v = Violation("payload_size", f"Maximum Payload Violation ({len(body)} > "
                          f"{self.config.transport.max_message_bytes} bytes)", None)
            self._violation(v, peer)
            return _error(413, v.message)
        batch, violation = check_batch(body, tenant=self.tenant_id, session=None, peer_ip=peer,
                                       user_agent=request.headers.get("User-Agent", ""))
        if violation is not None:
            self._violation(violation, peer)
            return _error(400, violation.message)
        assert batch is not None
        await self._publish([Publish("telemetry.raw", batch)])
        return web.json_response({"ok": True})


def _error(status: int, message: str) -> web.Response:
    payload: dict[str, Any] = {"ok": False, "error": message}
    return web.json_response(payload, status=status)
