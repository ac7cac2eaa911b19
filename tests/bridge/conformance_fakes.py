"""Fake bridges for the conformance suite's own tests: :class:`FakeBridge` is a small *correct* NATS-over-
WebSocket bridge, and each subclass in ``test_conformance_vacuous.py`` breaks it in one way (or keeps it
correct in another way), to show that a case passes for the rule it names and for nothing else.

The fake: INFO, CONNECT (+OK when verbose), PING/PONG, PUB to ``telemetry.raw`` only, 50,000 bytes at most,
the tenant of the connection, the IP of the socket peer injected, and section 4.6's limits per session:
500 events and 100 of one type per event second, and a wall-clock bucket of 500 events a second holding
1,000. What it forwards goes to a :class:`workbench.conformance.Tap`."""

from __future__ import annotations

import asyncio
import math
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import websockets

from workbench import conformance as suite
from workbench.bridge import codec

INFO = b'INFO {"server_id":"fake","version":"0","proto":1,"max_payload":50000}\r\n'


class Bucket:
    """``rate`` a second, ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self, n: int) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if n > self.tokens:
            return False
        self.tokens -= n
        return True


class FakeBridge:
    tenant = "org_workbench"
    max_size: int | None = 50_000  # None: no size limit
    info = INFO

    def __init__(self) -> None:
        self.tap = suite.Tap()
        self.seconds: dict[Any, dict[int, dict[str, int]]] = defaultdict(dict)
        self.wall: dict[Any, Bucket] = {}
        self.url = ""

    # --- hooks: a subclass overrides one --------------------------------------------------------
    def client_ip(self, ws: Any) -> str:
        return str(ws.remote_address[0])

    def limit_key(self, ws: Any, conn: dict[str, Any]) -> Any:
        return (conn["tenant"], conn["session"])

    def whitelisted(self, subject: str) -> bool:
        return subject == "telemetry.raw"

    def check_schema(self, batch: dict[str, Any]) -> str | None:
        return None

    def check_clock(self, batch: dict[str, Any], conn: dict[str, Any]) -> str | None:
        return None

    def rate(self, ws: Any, conn: dict[str, Any], batch: dict[str, Any]) -> str | None:
        key = self.limit_key(ws, conn)
        seconds = self.seconds[key]
        add: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for event in batch["events"]:
            add[math.floor(event["timestamp"] / 1000)][event["type"]] += 1
        for second, types in add.items():
            have = seconds.get(second, {})
            if sum(types.values()) + sum(have.values()) > 500:
                return "Rate Limit Exceeded"
            if any(n + have.get(t, 0) > 100 for t, n in types.items()):
                return "Rate Limit Exceeded (type)"
        if not self.wall.setdefault(key, Bucket(500, 1000)).take(len(batch["events"])):
            return "Rate Limit Exceeded (wall)"
        for second, types in add.items():
            have = seconds.setdefault(second, {})
            for t, n in types.items():
                have[t] = have.get(t, 0) + n
        return None

    async def forward(self, batch: dict[str, Any]) -> None:
        await self.tap("telemetry.raw", orjson.dumps(batch))

    async def on_refusal(self, ws: Any, conn: dict[str, Any], message: str, batch: dict[str, Any] | None) -> None:
        await ws.send(f"-ERR '{message}'\r\n".encode())

    # --- the protocol ---------------------------------------------------------------------------
    async def handle(self, ws: Any) -> None:
        conn: dict[str, Any] = {"tenant": None, "session": None, "verbose": True, "newest": None, "pubs": 0}
        try:
            await ws.send(self.info)
            parser = codec.NatsParser(max_payload=10**9)
            async for frame in ws:
                parser.receive_data(frame)
                for event in parser.events_received():
                    await self.command(ws, conn, event)
        except websockets.ConnectionClosed:
            pass

    async def command(self, ws: Any, conn: dict[str, Any], event: Any) -> None:
        if isinstance(event, codec.Connect):
            if event.options.get("tenant_id") != self.tenant:
                await ws.send(b"-ERR 'Authorization Violation'\r\n")
                await ws.close()
                return
            conn["tenant"], conn["session"] = event.options["tenant_id"], event.options["session_id"]
            conn["verbose"] = bool(event.options.get("verbose", True))
            if conn["verbose"]:
                await ws.send(b"+OK\r\n")
        elif isinstance(event, codec.Ping):
            await ws.send(b"PONG\r\n")
        elif isinstance(event, codec.Pub):
            conn["pubs"] += 1
            await self.pub(ws, conn, event)
        elif isinstance(event, codec.ParseError):
            await ws.send(b"-ERR 'Unknown Protocol Operation'\r\n")

    async def pub(self, ws: Any, conn: dict[str, Any], event: codec.Pub) -> None:
        if not self.whitelisted(event.subject):
            return await self.on_refusal(ws, conn, f'Permissions Violation for Publish to "{event.subject}"', None)
        if self.max_size is not None and len(event.payload) > self.max_size:
            return await self.on_refusal(ws, conn, "Maximum Payload Violation", None)
        try:
            batch = orjson.loads(event.payload)
        except orjson.JSONDecodeError:
            return await self.on_refusal(ws, conn, "Invalid Batch", None)
        if not isinstance(batch, dict):
            return await self.on_refusal(ws, conn, "Invalid Batch", None)
        if (why := self.check_schema(batch)) is not None:
            return await self.on_refusal(ws, conn, why, batch)
        if batch.get("tenantId") != conn["tenant"]:
            return await self.on_refusal(ws, conn, "Tenant Violation", batch)
        if (why := self.check_clock(batch, conn)) is not None:
            return await self.on_refusal(ws, conn, why, batch)
        if (why := self.rate(ws, conn, batch)) is not None:
            return await self.on_refusal(ws, conn, why, batch)
        batch["ip"] = self.client_ip(ws)
        await self.forward(batch)
        if conn["verbose"]:
            await ws.send(b"+OK\r\n")

    @asynccontextmanager
    async def serving(self, rcvbuf: int | None = None) -> AsyncIterator[FakeBridge]:
        """Serve on a loopback port; ``rcvbuf``: a receive buffer that small (and one message queued at most),
        as a network's window would, so that a client's sends wait for the fake to read them."""
        listener = socket.socket()
        if rcvbuf is not None:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        listener.bind(("127.0.0.1", 0))
        # a fake that stops reading while it closes (CloseOnLimit) would hold the server's exit for its close timeout
        async with websockets.serve(self.handle, sock=listener, max_size=None, compression=None, close_timeout=1.0,
                                    max_queue=1 if rcvbuf is not None else 16):
            self.url = f"ws://127.0.0.1:{listener.getsockname()[1]}/bridge"
            yield self


async def run(bridge: FakeBridge, *ids: str, timeout_s: float = 3.0, trusted_proxy: bool = False,
              within_s: float = 120.0, rcvbuf: int | None = None) -> dict[str, suite.CaseResult]:
    """The cases ``ids`` (all without) against ``bridge``, with its tap; a case that hangs is a TimeoutError."""
    async with bridge.serving(rcvbuf):
        probe = suite.Probe(bridge.url, bridge.tenant, bridge.tap, timeout_s=timeout_s,
                            **({"trusted_proxy": True} if trusted_proxy else {}))
        cases = tuple(c for c in suite.CASES if not ids or c.id in ids)
        results = await asyncio.wait_for(suite.run_cases(probe, cases), within_s)
    return {r.id: r for r in results}
