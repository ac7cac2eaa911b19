"""Helpers for tests against a live bridge: a real aiohttp server on loopback, real WebSocket clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection

from workbench.bridge import codec
from workbench.bridge.server import DEFAULT_TENANT, BridgeServer
from workbench.bus import InProcessBus
from workbench.config import EITPConfig

TENANT = DEFAULT_TENANT


class Recorder:
    """A bus handler that keeps ``(subject, decoded JSON)`` in arrival order."""

    def __init__(self) -> None:
        self.got: list[tuple[str, Any]] = []

    async def __call__(self, subject: str, payload: bytes) -> None:
        self.got.append((subject, orjson.loads(payload)))

    def sessions(self) -> list[str]:
        return [doc["sessionId"] for _, doc in self.got]


class LiveBridge:
    """A :class:`BridgeServer` on an in-process bus, with ``telemetry.raw`` recorded."""

    def __init__(self, **transport: Any) -> None:
        self.config = EITPConfig().with_overrides({f"transport.{k}": v for k, v in transport.items()})
        self.bus = InProcessBus()
        self.server = BridgeServer(self.bus, self.config)
        self.telemetry = Recorder()
        self.url = ""
        self.base = ""

    async def start(self) -> LiveBridge:
        await self.bus.subscribe("telemetry.raw", self.telemetry)
        self.base = await self.server.start()
        self.url = self.base.replace("http://", "ws://") + "/bridge"
        return self

    async def stop(self) -> None:
        await self.server.stop()
        await self.bus.close()


async def eventually(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


class Client:
    """A producer-like WebSocket client that parses what the bridge sends with the codec."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.parser = codec.NatsParser(max_payload=10**9)
        self.events: list[codec.Event] = []

    @classmethod
    async def open(cls, url: str, session: str | None = "sq_1_live", tenant: str = TENANT,
                   **kw: Any) -> Client:
        client = cls(await websockets.connect(url, compression=None, **kw))
        (info,) = await client.read(1)
        assert isinstance(info, codec.Info)
        if session is not None:
            await client.send(codec.encode_connect({"tenant_id": tenant, "session_id": session, "verbose": False})
                              + codec.PING)
            (pong,) = await client.read(1)
            assert isinstance(pong, codec.Pong), pong
        return client

    async def send(self, data: bytes) -> None:
        await self.ws.send(data)

    async def read(self, n: int, timeout: float = 5.0) -> list[codec.Event]:
        """The next ``n`` commands from the bridge (within ``timeout`` seconds)."""
        async with asyncio.timeout(timeout):
            while len(self.events) < n:
                frame = await self.ws.recv()
                assert isinstance(frame, bytes), "the bridge sends binary frames, like nats-server"
                self.parser.receive_data(frame)
                self.events += self.parser.events_received()
        out, self.events = self.events[:n], self.events[n:]
        return out

    async def ping(self, timeout: float = 5.0) -> list[codec.Event]:
        """Send PING; return everything received before its PONG (PONG excluded)."""
        await self.send(codec.PING)
        seen: list[codec.Event] = []
        while True:
            (event,) = await self.read(1, timeout)
            if isinstance(event, codec.Pong):
                return seen
            seen.append(event)

    async def close(self) -> None:
        await self.ws.close()
