"""The conformance suite's client (:mod:`workbench.conformance`; EITP v1.1 section 4.1): a bridge as a producer
reaches it, over its WebSocket in the NATS text protocol, and the bus behind it as a tap sees it.

:class:`Probe` says where the bridge is and opens :class:`Conn` connections to it, handshake done; a
:class:`Conn` sends commands and reads the bridge's answers, each command followed by a PING so that its
PONG tells which command drew an -ERR (:meth:`Conn.replies`). A bridge that closes the connection has
refused the command whose PONG is missing: its answer is ``CLOSED``. A bridge that says nothing is a
:class:`NoReply` within the probe's timeout, never a hang.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson
import websockets

from workbench.bridge import codec

OTHER_TENANT = "org_conformance_other"  # a tenant a batch claims that the bridge does not serve (section 10.4)
CLOSED = "(the bridge closed the connection)"
CLOSE_POLL_S = 0.1  # how often a wait for the bridge's next frame looks for its close frame


class Tap:
    """``telemetry.raw`` as the bus behind the bridge carries it, by session id."""

    def __init__(self) -> None:
        self.batches: dict[str, list[dict[str, Any]]] = {}

    async def __call__(self, subject: str, payload: bytes) -> None:
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if isinstance(doc, dict):
            self.batches.setdefault(str(doc.get("sessionId")), []).append(doc)


@dataclass
class Probe:
    """How cases reach the bridge: its URL, the tenant it serves, and the tap if there is one."""

    url: str
    tenant: str
    tap: Tap | None = None
    post_url: str | None = None  # the section 4.4 HTTP POST fallback; None: from url (conformance.post_fallback)
    timeout_s: float = 5.0
    settle_s: float = 0.3  # how long the tap is given to see a batch (or to not see it)
    # this client's address is one of the bridge's trusted proxies: the X-Forwarded-For it sends is then
    # believed by design, and case 4.5/1 does not hold that against the bridge
    trusted_proxy: bool = False
    last_flood: float | None = None  # time.monotonic() when a case last flooded the bridge

    @property
    def other_tenant(self) -> str:
        """A tenant that is not the one the bridge serves, whatever ``--tenant`` names."""
        return OTHER_TENANT if self.tenant != OTHER_TENANT else f"{OTHER_TENANT}_2"

    def session(self) -> str:
        """A fresh session id, so what the tap sees is this case's alone."""
        return f"sq_{int(time.time() * 1000)}_conf{secrets.token_hex(4)}"

    async def open(self, *, handshake: bool = True, headers: dict[str, str] | None = None) -> Conn:
        """A connection, with INFO and CONNECT done unless ``handshake`` is False.

        A handshake that fails closes the connection before raising: a case that cannot start must
        not leave a socket open on the bridge (and a task in this process)."""
        conn = Conn(await websockets.connect(self.url, compression=None, open_timeout=self.timeout_s,
                                             close_timeout=self.timeout_s, max_size=None,
                                             additional_headers=headers), self.timeout_s)
        if handshake:
            try:
                await self._handshake(conn)
            except BaseException:
                await conn.close()
                raise
        return conn

    async def _handshake(self, conn: Conn) -> None:
        conn.session, conn.tenant = self.session(), self.tenant
        first = await conn.next()
        if not isinstance(first, codec.Info):
            raise ConformanceError(f"expected INFO first, got {show(first)}")
        await conn.send(codec.encode_connect({"tenant_id": self.tenant, "session_id": conn.session,
                                              "verbose": False}))
        errors = await conn.sync()
        if errors:
            raise ConformanceError(f"the bridge refused CONNECT for tenant {self.tenant!r}: {errors[0]}")

    async def seen(self, session: str, *, expect: int = 0) -> list[dict[str, Any]] | None:
        """What the tap saw for ``session``; None without a tap (see :meth:`seen_all`)."""
        got = await self.seen_all({session: int(expect)})
        return None if got is None else got[session]

    async def seen_all(self, want: dict[str, int]) -> dict[str, list[dict[str, Any]]] | None:
        """What the tap saw for each session; None without a tap.

        ``want``: how many batches each session should have forwarded; wait for them up to
        ``timeout_s`` (a loaded machine may take longer than the settle to forward them), then settle
        once for any more. A session that should have none is only settled for: waiting longer would
        only slow a passing run."""
        if self.tap is None:
            return None
        batches = self.tap.batches
        deadline = time.monotonic() + self.timeout_s
        while any(len(batches.get(s, [])) < n for s, n in want.items()) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(self.settle_s)
        return {s: batches.get(s, []) for s in want}


class ConformanceError(Exception):
    """The bridge could not be exercised at all (unreachable, no handshake)."""


class NoReply(ConformanceError, TimeoutError):
    """The bridge said nothing within the timeout (a TimeoutError too, for callers that catch that)."""


class Conn:
    """One client connection: bytes out, parsed NATS commands in.

    A send to a connection the bridge has closed is not an error: ``closed`` is set, and the reads
    that follow return what the bridge said before it closed, then ``CLOSED``."""

    def __init__(self, ws: Any, timeout_s: float) -> None:
        self.ws = ws
        self.timeout_s = timeout_s
        self.parser = codec.NatsParser(max_payload=10**9)
        self.pending: list[codec.Event] = []
        self.session = ""
        self.tenant = ""
        self.closed = False

    async def send(self, data: bytes) -> bool:
        """Send ``data``; False when the bridge has closed the connection. A bridge that takes
        nothing for ``timeout_s`` (its read loop stalled, the socket full) is a NoReply, not a hang."""
        if self.closed:
            return False
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.ws.send(data)
        except websockets.ConnectionClosed:
            self.closed = True
            return False
        except TimeoutError:
            self.closed = True  # half a frame may be out: the connection is done for (close() aborts it)
            raise NoReply(f"the bridge took nothing we sent within {self.timeout_s:g} s") from None
        return True

    async def _frame(self) -> Any:
        """The next frame. The bridge's close frame ends them at once: the library would wait for the
        TCP close, which a bridge that stopped reading us to close may hold off for its whole close timeout."""
        while True:
            try:
                async with asyncio.timeout(CLOSE_POLL_S):
                    return await self.ws.recv()  # cancelling recv() loses nothing
            except TimeoutError:
                rcvd = getattr(self.ws.protocol, "close_rcvd", None)
                if rcvd is not None:
                    self.closed = True
                    raise websockets.ConnectionClosed(rcvd, None) from None

    async def _event(self) -> codec.Event:
        while not self.pending:
            self.parser.receive_data(await self._frame())
            self.pending += self.parser.events_received()
        return self.pending.pop(0)

    async def next(self) -> codec.Event:
        """The next command; a silent bridge is a ``NoReply`` that says so, not a bare TimeoutError."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._event()
        except TimeoutError:
            raise NoReply(f"no reply from the bridge within {self.timeout_s:g} s") from None

    async def answer(self) -> codec.Event:
        """The next command that answers ours: a PING of the bridge's own (answered, as a NATS client
        must) or an INFO update may come first, and is not a reply to anything we sent. ``timeout_s``
        in all: a bridge that keeps sending PINGs and never answers cannot hold a case."""
        try:
            async with asyncio.timeout(self.timeout_s):
                while True:
                    event = await self._event()
                    if isinstance(event, codec.Ping):
                        await self.send(codec.PONG)
                    elif not isinstance(event, codec.Info):
                        return event
        except NoReply:
            raise
        except TimeoutError:
            raise NoReply(f"no reply from the bridge within {self.timeout_s:g} s") from None

    async def replies(self, commands: list[bytes]) -> list[list[str]]:
        """Each command (b"": none) followed by a PING, all sent before anything is read; for each,
        the -ERR messages it drew: those that came before its PONG.

        A bridge that closes the connection instead has refused the command its PONG was missing
        for: that one, and every one after, ends in ``CLOSED`` (whether the close was the command's
        doing is for the case to prove). The PONGs have ``timeout_s`` in all: a bridge that keeps
        talking without ever sending them cannot hold a case."""
        for command in commands:
            if (command and not await self.send(command)) or not await self.send(codec.PING):
                break
        out: list[list[str]] = [[] for _ in commands]
        done = 0
        try:
            async with asyncio.timeout(self.timeout_s):
                while done < len(commands):
                    event = await self._event()
                    if isinstance(event, codec.Pong):
                        done += 1
                    elif isinstance(event, codec.Err):
                        out[done].append(event.message)
                    elif isinstance(event, codec.Ping):
                        await self.send(codec.PONG)
        except NoReply:
            raise
        except TimeoutError:
            raise NoReply(f"no PONG from the bridge within {self.timeout_s:g} s") from None
        except websockets.ConnectionClosed:
            self.closed = True
            for errors in out[done:]:
                errors.append(CLOSED)
        return out

    async def sync(self) -> list[str]:
        """PING, then everything up to its PONG: the -ERR messages the commands before it drew
        (``CLOSED`` last when the bridge closed the connection instead)."""
        return (await self.replies([b""]))[0]

    async def publish(self, body: bytes, subject: str = "telemetry.raw") -> list[str]:
        """PUB ``body`` and sync: the -ERRs it drew (none from a working bridge for a valid batch)."""
        return (await self.replies([pub(subject, body)]))[0]

    async def close(self) -> None:
        if self.closed and getattr(self.ws, "transport", None) is not None:
            self.ws.transport.abort()  # the bridge closed it: do not wait for a bridge that stopped reading
        await self.ws.close()


def pub(subject: str, body: bytes) -> bytes:
    """``PUB`` as a client may write it, wildcards in the subject too (the codec refuses to encode those)."""
    return b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(body), body)


def show(event: codec.Event) -> str:
    """A command as it looks on the wire, without its payload."""
    if isinstance(event, codec.Ok):
        return "+OK"
    if isinstance(event, codec.Pong | codec.Ping):
        return type(event).__name__.upper()
    if isinstance(event, codec.Err):
        return f"-ERR '{event.message}'"
    return type(event).__name__.upper()


def said(errors: list[str]) -> str:
    """What a bridge answered, as on the wire."""
    return "; ".join(e if e == CLOSED else f"-ERR '{e}'" for e in errors)
