"""A WebSocket connection's bounded send queue (the asyncio edge of the bridge).

Everything the bridge sends to a client (INFO, +OK, PONG, -ERR, MSG) goes through an
:class:`Outbox`: :meth:`Outbox.send` never waits, and one writer task per connection moves
the queue to the socket, joining queued lines into binary frames of up to ``MAX_FRAME`` bytes
(binary, like nats-server: nats-py's WebSocket transport reads text frames as end of stream).
A client that stops reading makes the socket wait, the queue grow, and at ``limit`` unsent
bytes the connection is aborted as a slow consumer, so a client that never reads costs at
most ``limit`` bytes plus the socket buffers and never slows anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from aiohttp import WSCloseCode, web

MAX_FRAME = 65_536
CLOSE_TIMEOUT = 1.0  # seconds to flush and close politely before the socket is aborted


class Outbox:
    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, *, limit: int,
                 on_slow: Callable[[int], None] | None = None) -> None:
        self.ws, self.transport, self.limit, self.on_slow = ws, transport, limit, on_slow
        self.pending = 0  # bytes queued, not yet handed to the socket
        self.peak = 0
        self.slow = False
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.create_task(self._run(), name="bridge-outbox")

    def send(self, data: bytes) -> bool:
        """Queue ``data``; False (and the connection aborted) when that would pass the limit."""
        if self.slow:
            return False
        if self.pending + len(data) > self.limit:
            self.slow = True
            if self.on_slow:
                self.on_slow(self.pending + len(data))
            self.abort()
            return False
        self._queue.append(data)
        self.pending += len(data)
        self.peak = max(self.peak, self.pending)
        self._idle.clear()
        self._wake.set()
        return True

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                parts: list[bytes] = []
                size = 0
                while self._queue and (not parts or size + len(self._queue[0]) <= MAX_FRAME):
                    part = self._queue.popleft()
                    parts.append(part)
                    size += len(part)
                try:
                    await self.ws.send_bytes(b"".join(parts))
                except (ConnectionError, RuntimeError):  # closed under us: nothing more can go out
                    self._queue.clear()
                finally:
                    self.pending -= size
            if not self._queue:
                self._idle.set()

    def abort(self) -> None:
        """Drop the connection now, without a close handshake (the peer is not reading)."""
        self._task.cancel()
        if self.transport is not None:
            self.transport.abort()

    async def close(self, reason: str | None) -> None:
        """Flush what is queued, then close (code 1008 and ``reason`` when given); abort if that stalls."""
        try:
            if not self.slow:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), CLOSE_TIMEOUT)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            if not self.slow and not self.ws.closed:
                code = WSCloseCode.POLICY_VIOLATION if reason else WSCloseCode.OK
                message = (reason or "").encode()[:120]
                try:
                    await asyncio.wait_for(self.ws.close(code=code, message=message), CLOSE_TIMEOUT)
                except (TimeoutError, ConnectionError):
                    self.abort()
        finally:
            if self.slow:
                self.abort()
