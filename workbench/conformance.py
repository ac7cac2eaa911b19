"""Bridge conformance suite: EITP v1.1 sections 2.3, 4.1, 4.2, 4.5, 4.6 and 10.4, from outside.

A black-box client checks any bridge over its WebSocket, in the manner of Autobahn|Testsuite and
h2spec: each case has an id (``<spec section>/<n>``), the spec's own words, and a verdict.

* **Pass**: the bridge did what the spec says.
* **Fail**: a MUST is broken.
* **Non-Strict**: a SHOULD is broken (a failure only with ``strict``, as h2spec's ``--strict``).
* **Info**: not judged: the case could not be observed (no tap on the bus behind the bridge), the
  spec leaves the behaviour open and the case records what the bridge did (MAY), or a limit the
  bridge holds across connections left the case nothing to judge (see below).

Cases that must see what the bridge forwards (server-side IP, nothing published after a refusal)
need a *tap*: a :class:`~workbench.bus.Bus` subscribed to ``telemetry.raw`` behind the bridge. The
embedded bridge has one; for another bridge, its NATS URL gives one. Each connection has a session
id of its own, so what the tap sees is attributed to one connection.

A refusal proves a rule only when it is the rule's: every refusal case first has the same
connection take a valid batch (a bridge that refuses everything fails), and a *twin* connection
sends a valid batch where the probe went, which must be accepted (a bridge that drops or refuses
every second PUB fails; a close counts as a refusal only then). Batches are stamped in order and
never in the future, so a bridge's clock checks cannot pass for a rate limit.

Limits are judged against the spec's reference values (4.6: 50,000 bytes, 500 events a second,
100 events of one type a second) both ways: what is within them must be taken, what is over them
refused, with a batch of slack (and, on the wall clock, a producer's 500-event buffer at once). A
flood sends each batch followed by a PING, all at once, so each PONG tells which batch drew an
-ERR. With a tap, a refused batch must not reach the bus. The floods run last, the one stamped
over the most seconds first; a flood case whose valid batch is refused, or that is refused too
early, after an earlier case's flood waits for the bridge's limit to refill and runs once more
(a bridge may limit per IP, section 12.3), and is Info if its valid batch is still refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import orjson
import websockets

from workbench.bridge import codec
from workbench.report import junit

MUST, SHOULD, MAY = "MUST", "SHOULD", "MAY"
PASS, FAIL, NON_STRICT, INFO = "Pass", "Fail", "Non-Strict", "Info"
MAX_MESSAGE_BYTES = 50_000  # section 4.6 reference default
MAX_EVENTS_PER_SECOND = 500
MAX_EVENTS_PER_TYPE_PER_SECOND = 100
PRODUCER_BUFFER = 500  # section 4.3's max buffer: what a reconnect's catch-up may send at once
BATCH_EVENTS = 50  # section 4.3's batch size, and the slack a limit is given either way
TYPE_FLOOD_BATCHES = MAX_EVENTS_PER_TYPE_PER_SECOND // BATCH_EVENTS + 1  # of 50 events of one type: 150
FLOOD_BATCHES = MAX_EVENTS_PER_SECOND // BATCH_EVENTS + 2  # of 50 events: 600, over the limit
BIG_PUB_EVENTS = 600  # one PUB over the 500 a second: a limit on PUBs alone takes it
WALL_FLOOD_BATCHES = 32  # 1,600 events: over a second's worth plus a producer's 500-event buffer, and then some
WALL_BATCHES_PER_SECOND = 9  # 450 events in each event second: under 500 however a bridge cuts its seconds
# the flood's events, in turn: 600 of them are 75 a type, under 4.6's 100 per type per second, so only the
# 500-per-producer limit can refuse them (a per-type limit alone must not pass case 4.6/2)
FLOOD_TYPES = ("mouse", "click", "scroll", "mouse_pause", "viewport_resize", "tab_switch", "form_focus",
               "text_selection")
FLOOD_ORDER = ("4.6/3", "4.6/2", "4.6/4")  # run last, in this order: the flood over most event seconds first
REFILL_WAIT_S = 2.0  # after a flood, how long a limit held across connections is given to refill
FOREIGN_IP = "203.0.113.66"  # TEST-NET-3: an address a client claims for itself
OTHER_TENANT = "org_conformance_other"  # a tenant a batch claims that the bridge does not serve (section 10.4)
CLOSED = "(the bridge closed the connection)"
CLOSE_POLL_S = 0.1  # how often a wait for the bridge's next frame looks for its close frame
PAGE_TEXT = "Experience the ultimate in fifth wheel living, with room for the whole family. "  # section 3.10 text
MOUSE_DATA = {"x": 400, "y": 300, "vx": 20, "vy": 0, "ax": 0, "ay": 0, "jx": 0, "jy": 0, "speed": 20, "jerk": 0}


@dataclass
class Outcome:
    """What a case saw. ``ok`` None: not judged (unobservable, or left open by the spec).

    ``held``: a flood case refused its valid batch ("control") or refused too early ("early"): after
    an earlier case's flood, that may be the bridge's limit still spent, so the case is run again."""

    ok: bool | None
    expected: str
    actual: str
    held: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    level: str  # MUST | SHOULD | MAY (MAY: recorded, never judged)
    requirement: str  # the spec's words
    check: Callable[[Probe], Awaitable[Outcome]]


@dataclass
class CaseResult:
    id: str
    level: str
    requirement: str
    verdict: str
    expected: str
    actual: str
    ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict(level: str, ok: bool | None) -> str:
    if ok is None or level == MAY:
        return INFO
    if ok:
        return PASS
    return FAIL if level == MUST else NON_STRICT


def failed(results: list[CaseResult], *, strict: bool = False) -> list[CaseResult]:
    """The results that make a run fail: every Fail, and with ``strict`` every Non-Strict."""
    return [r for r in results if r.verdict == FAIL or (strict and r.verdict == NON_STRICT)]


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
    post_url: str | None = None  # the section 4.4 HTTP POST fallback; None: derived from url (see post_fallback)
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

    async def control(self, types: tuple[str, ...] = ("mouse",)) -> list[str]:
        """Publish one valid batch (of events of ``types``) and sync: the -ERRs it drew.

        A refusal case is only judged after this: a bridge that refuses or drops everything (or
        every batch of this shape) would otherwise pass every "must refuse" case without enforcing anything."""
        return await self.publish(telemetry(self.session, self.tenant, len(types), types=types))


def pub(subject: str, body: bytes) -> bytes:
    """``PUB`` as a client may write it, wildcards in the subject too (the codec refuses to encode those)."""
    return b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(body), body)


def telemetry(session: str, tenant: str, n: int = 5, *, spacing_ms: float = 50.0,
              types: tuple[str, ...] = ("mouse",), start: float | None = None, page: str | None = None,
              compact: bool = False, **extra: Any) -> bytes:
    """A section 4.3 batch of ``n`` samples, their types taken from ``types`` in turn, stamped
    ``spacing_ms`` apart from ``start`` (epoch ms), or up to now: never in the future.

    ``page``: the visible text of its page content (section 3.10), else no page content. ``compact``:
    events with empty data stamped in whole milliseconds, so that 600 of them fit in one message."""
    t0 = time.time() * 1000.0 - (n - 1) * spacing_ms if start is None else start
    stamps = [t0 + i * spacing_ms for i in range(n)]
    if compact:
        events = [{"type": types[i % len(types)], "data": {}, "timestamp": int(ts)} for i, ts in enumerate(stamps)]
    else:
        events = [{"type": types[i % len(types)], "timestamp": ts, "currentSection": "pricing",
                   "data": MOUSE_DATA | {"x": 400 + i}} for i, ts in enumerate(stamps)]
    return orjson.dumps({"type": "telemetry_batch", "events": events, "sessionId": session, "tenantId": tenant,
                         "vertical": "rv_dealer",
                         "pageContent": None if page is None else {"visibleContent": page},
                         "timestamp": events[-1]["timestamp"], **extra})


def sized(session: str, tenant: str, size: int) -> bytes:
    """A valid batch of exactly ``size`` bytes: its page content's visible text (a field section 3.10
    defines) makes up the size, so it differs from a small valid batch in its size alone."""
    doc = orjson.loads(telemetry(session, tenant, page=""))
    need = size - len(orjson.dumps(doc))
    doc["pageContent"]["visibleContent"] = (PAGE_TEXT * (need // len(PAGE_TEXT) + 1))[:need]
    body = orjson.dumps(doc)
    if len(body) != size:
        raise ValueError(f"a batch of {size} bytes cannot be made (the smallest is {size - need})")
    return body


def oversize(session: str, tenant: str) -> bytes:
    """A valid batch one byte over the section 4.6 reference limit."""
    return sized(session, tenant, MAX_MESSAGE_BYTES + 1)


def second_ago(n: int = 1) -> float:
    """The start (epoch ms) of the calendar second ``n`` before this one: all of it is in the past, and a
    limit counted per calendar second sees a flood stamped within it in one second, not split across two."""
    return (time.time() // 1 - n) * 1000.0


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


# --- the cases -------------------------------------------------------------------------------

async def _accepts_websocket(probe: Probe) -> Outcome:
    conn = await probe.open(handshake=False)
    await conn.close()
    return Outcome(True, "a WebSocket connection", "connected")


INFO_KEYS = ("server_id", "version", "proto", "max_payload")  # section 4.1's INFO


async def _info_first(probe: Probe) -> Outcome:
    conn = await probe.open(handshake=False)
    try:
        first = await conn.next()
    finally:
        await conn.close()
    if not isinstance(first, codec.Info):
        return Outcome(False, f"INFO {{{', '.join(INFO_KEYS)}}} as the first command", show(first))
    missing = [k for k in INFO_KEYS if k not in first.options]
    return Outcome(not missing, f"INFO with {', '.join(INFO_KEYS)}",
                   f"INFO without {', '.join(missing)}" if missing else f"INFO {orjson.dumps(first.options).decode()}")


async def _connect_ok(probe: Probe) -> Outcome:
    conn = await probe.open(handshake=False)
    try:
        await conn.next()  # INFO
        await conn.send(codec.encode_connect({"tenant_id": probe.tenant, "session_id": probe.session()}))
        reply = await conn.next()
    finally:
        await conn.close()
    return Outcome(isinstance(reply, codec.Ok), "+OK after CONNECT", show(reply))


async def _ping_pong(probe: Probe) -> Outcome:
    conn = await probe.open()
    try:
        await conn.send(codec.PING)
        reply = await conn.answer()
    finally:
        await conn.close()
    return Outcome(isinstance(reply, codec.Pong), "PONG", show(reply))


def refused_control(errors: list[str], expected: str) -> Outcome:
    """The Fail for a bridge that refused the valid control batch: its refusals prove nothing."""
    return Outcome(False, expected, f"a valid batch was refused too: {said(errors)}", held="control")


Command = Callable[["Conn"], bytes]


@dataclass
class Attempt:
    """One connection of a refusal case: a valid batch, then ``command``."""

    session: str
    control: list[str]  # what the valid batch drew: [] when accepted
    errors: list[str]  # what the command drew ([] when the valid batch was refused: it was not sent)


def valid(conn: Conn) -> bytes:
    """A valid batch, as a command: what a twin sends where the probe went."""
    return pub("telemetry.raw", telemetry(conn.session, conn.tenant))


async def _attempt(probe: Probe, command: Command, control: Callable[[Conn], bytes] | None = None) -> Attempt:
    conn = await probe.open()
    try:
        first = await conn.publish(control(conn) if control else telemetry(conn.session, conn.tenant))
        errors = [] if first else (await conn.replies([command(conn)]))[0]
    finally:
        await conn.close()
    return Attempt(conn.session, first, errors)


async def _refused(probe: Probe, commands: dict[str, Command], expected: str) -> Outcome:
    """For each command, a connection that sends a valid batch (accepted), then the command; Pass
    when every command draws -ERR (or a close), the twin's valid batch in the same place is
    accepted, and, with a tap, only the valid batches are forwarded."""
    attempts = {what: await _attempt(probe, command) for what, command in commands.items()}
    for attempt in attempts.values():
        if attempt.control:
            return refused_control(attempt.control, expected)
    twin = None
    if any(a.errors for a in attempts.values()):
        twin = await _attempt(probe, valid)
        if twin.control:
            return refused_control(twin.control, expected)
    want = {a.session: 1 for a in attempts.values()} | ({twin.session: 1 if twin.errors else 2} if twin else {})
    seen = await probe.seen_all(want)
    taken = [what for what, a in attempts.items() if not a.errors]
    leaked = {what: len(seen[a.session]) - 1 for what, a in attempts.items() if seen and len(seen[a.session]) > 1}
    if taken:
        actual = "no -ERR" if len(commands) == 1 else f"no -ERR for {', '.join(taken)}"
    else:
        first = next(iter(attempts.values()))
        others = len(commands) - 1
        actual = said(first.errors) + (f" (and for each of the other {others})" if others else "")
    if leaked:
        actual += "; " + ", ".join(f"{n} batch(es) forwarded to the bus besides the valid one"
                                   + ("" if len(commands) == 1 else f" for {what}") for what, n in leaked.items())
    twin_ok = True
    if twin is not None and not taken:
        if twin.errors:
            twin_ok = False
            actual += (f"; but a valid batch in its place was refused too ({said(twin.errors)}): "
                       "the refusal is not the rule's")
        elif seen is not None and len(seen[twin.session]) < 2:
            twin_ok = False
            actual += (f"; but of two valid batches only {len(seen[twin.session])} was forwarded: "
                       "what is not forwarded proves nothing")
    return Outcome(not taken and not leaked and twin_ok, expected, actual)


def whitelist_probes(probe: Probe) -> dict[str, Command]:
    """Subjects outside ``telemetry.raw``: the spec's own (another session's interventions among them),
    one under ``telemetry.raw``, a wildcard and a reply inbox. A blacklist misses some of them."""
    other = probe.session()
    subjects = {"emotions": lambda c: f"emotions.{c.tenant}.detected.{c.session}",
                "seer": lambda c: f"seer.{c.tenant}.intervention.request.{other}",
                "bot": lambda c: f"bot.{c.tenant}.detection.{c.session}",
                "telemetry.raw.x": lambda c: "telemetry.raw.x",
                "telemetry.>": lambda c: "telemetry.>",
                "_INBOX.x": lambda c: "_INBOX.x"}

    def command(subject: Callable[[Conn], str]) -> Command:
        return lambda c: pub(subject(c), telemetry(c.session, c.tenant))

    return {what: command(subject) for what, subject in subjects.items()}


async def _whitelist(probe: Probe) -> Outcome:
    commands = whitelist_probes(probe)
    return await _refused(probe, commands, f"-ERR for PUB outside telemetry.raw ({len(commands)} subjects: "
                                           f"emotions, seer, bot, telemetry.raw.x, telemetry.>, _INBOX.x)")


async def _max_size(probe: Probe) -> Outcome:
    """50,000 bytes (the twin: accepted) and 50,001 (refused), each after a small valid batch of the same shape."""
    expected = (f"a {MAX_MESSAGE_BYTES:,}-byte batch accepted and a {MAX_MESSAGE_BYTES + 1:,}-byte one refused "
                "(-ERR), the same but for the length of its page text")

    def small(c: Conn) -> bytes:
        return telemetry(c.session, c.tenant, page=PAGE_TEXT)

    at = await _attempt(probe, lambda c: pub("telemetry.raw", sized(c.session, c.tenant, MAX_MESSAGE_BYTES)), small)
    if at.control:
        return refused_control(at.control, expected)
    over = await _attempt(probe, lambda c: pub("telemetry.raw", oversize(c.session, c.tenant)), small)
    if over.control:
        return refused_control(over.control, expected)
    seen = await probe.seen_all({at.session: 1 if at.errors else 2, over.session: 1 if over.errors else 2})
    if at.errors:
        return Outcome(False, expected, f"{MAX_MESSAGE_BYTES:,} bytes refused: {said(at.errors)}: the limit is "
                                        f"not the reference {MAX_MESSAGE_BYTES:,}, or the refusal is not the size's")
    actual = f"{MAX_MESSAGE_BYTES + 1:,} bytes: {said(over.errors) if over.errors else 'no -ERR'}"
    leaked = 0 if seen is None else len(seen[over.session]) - 1
    if leaked > 0:
        actual += f"; {leaked} batch(es) forwarded to the bus besides the valid one"
    if seen is not None and len(seen[at.session]) < 2:
        return Outcome(False, expected, actual + f"; of a valid batch and {MAX_MESSAGE_BYTES:,} bytes, "
                                                 f"{len(seen[at.session])} forwarded")
    return Outcome(bool(over.errors) and leaked <= 0, expected, actual + f"; {MAX_MESSAGE_BYTES:,} bytes accepted")


async def _tenant(probe: Probe) -> Outcome:
    return await _refused(probe, {"another tenant": lambda c: pub("telemetry.raw",
                                                                  telemetry(c.session, probe.other_tenant))},
                          "-ERR for a batch of another tenant")


@dataclass
class Flood:
    """One flood connection: a valid batch, then ``len(sizes)`` batches, each followed by a PING."""

    session: str
    control: list[str]  # what the valid batch drew: [] when accepted (else nothing more was sent)
    control_events: int
    sizes: list[int]  # events in each batch of the flood
    replies: list[list[str]]  # what each batch drew: [] accepted, -ERRs, or CLOSED
    elapsed_s: float = 0.0  # wall time from the first batch sent to the last PONG
    forwarded: int | None = None  # the session's batches the tap saw; None without a tap

    @property
    def first(self) -> int | None:
        """The index of the first batch refused (an -ERR, or the close), if any."""
        return next((i for i, r in enumerate(self.replies) if r), None)

    @property
    def accepted(self) -> int:
        """Events accepted, the valid batch's too."""
        return self.control_events + sum(n for n, r in zip(self.sizes, self.replies, strict=True) if not r)

    @property
    def answered(self) -> int:
        """Batches accepted, the valid one too, or whose answer the close cut off (and so may have been)."""
        return 1 + sum(1 for r in self.replies if not r or r == [CLOSED])


async def _flood(probe: Probe, control: Callable[[Conn], bytes], batches: Callable[[Conn], list[bytes]],
                 *, one_by_one: bool = False) -> Flood:
    """A connection's valid batch (``control``), then ``batches`` at once, each with its PING; or, with
    ``one_by_one``, each sent only once the last one's PONG came (slower, but a close then tells which batch
    it answered: a bridge that aborts the connection can lose the answers to the batches before it)."""
    conn = await probe.open()
    sizes: list[int] = []
    replies: list[list[str]] = []
    elapsed = 0.0
    try:
        body = control(conn)
        first = await conn.publish(body)
        events = len(orjson.loads(body)["events"])
        if not first:
            bodies = batches(conn)
            sizes = [len(orjson.loads(b)["events"]) for b in bodies]
            commands = [pub("telemetry.raw", b) for b in bodies]
            started = time.monotonic()
            try:
                if one_by_one:
                    for command in commands:
                        replies += [[CLOSED]] if conn.closed else await conn.replies([command])
                else:
                    replies = await conn.replies(commands)
            finally:
                probe.last_flood = time.monotonic()
            elapsed = probe.last_flood - started
    finally:
        await conn.close()
    return Flood(conn.session, first, events, sizes, replies, elapsed)


async def _watch(probe: Probe, *floods: Flood) -> None:
    """What the tap saw of each flood: its accepted batches, waited for, and any more."""
    seen = await probe.seen_all({f.session: 1 + sum(1 for r in f.replies if not r) for f in floods if not f.control})
    if seen is not None:
        for f in floods:
            if not f.control:
                f.forwarded = len(seen[f.session])


def judge_flood(f: Flood, expected: str, *, limit: int, burst: int) -> Outcome:
    """Pass: the batches within ``limit`` (less one batch of slack) accepted, one refused where it is
    crossed, no more than ``burst`` (and a batch, and what ``limit`` a second refills while the flood
    was sent) accepted in all, and, with a tap, no refused batch forwarded."""
    if f.control:
        return refused_control(f.control, expected)
    first = f.first
    forwarded = "" if f.forwarded is None else f"; {f.forwarded} of {1 + len(f.sizes)} batches forwarded"
    if first is None:
        return Outcome(False, expected, "every batch accepted")
    before = f.control_events + sum(f.sizes[:first])
    at = f"batch {first + 1} of {len(f.sizes)} refused at {before + f.sizes[first]:,} events: {said(f.replies[first])}"
    if before < limit - BATCH_EVENTS:
        # a close alone may have cut off the answers to batches before the one it was for: "closed"
        return Outcome(False, expected, f"{at}: under the reference {limit:,}, so the refusal is not this limit "
                                        "(or the limit is stricter than the reference)",
                       held="closed" if f.replies[first] == [CLOSED] else "early")
    cap = burst + BATCH_EVENTS + limit * f.elapsed_s
    if f.accepted > cap:
        return Outcome(False, expected, f"{at}, but {f.accepted:,} events accepted in {f.elapsed_s:.2f} s in all"
                                        + forwarded)
    if f.forwarded is not None and (f.forwarded > f.answered or f.forwarded > len(f.sizes)):
        return Outcome(False, expected, f"{at}, but the refused batches reached the bus all the same" + forwarded)
    return Outcome(True, expected, at)


async def _flood_case(probe: Probe, run: Callable[[bool], Awaitable[Outcome]]) -> Outcome:
    """``run(one_by_one=False)``, and once more when what it saw may not be the bridge's doing:

    * its valid batch was refused, or the flood too early, after an earlier case's flood: a bridge
      may count per IP (section 12.3) or hold a flooding client off for a while;
    * the bridge closed the connection too early, with no -ERR: the close may have cut off the
      answers to batches before the one it was for, so it runs again one batch at a time.

    The second run waits until REFILL_WAIT_S after the last flood, so that a limit held beyond one
    connection has refilled. Its valid batch still refused: Info, not judged."""
    earlier = probe.last_flood
    outcome = await run(False)
    if not (outcome.held == "closed" or (outcome.held and earlier is not None)):
        return outcome
    last = probe.last_flood or earlier or time.monotonic()
    await asyncio.sleep(max(0.0, last + REFILL_WAIT_S - time.monotonic()))
    one_by_one = outcome.held == "closed"
    again = await run(one_by_one)
    note = (f" (run again {REFILL_WAIT_S:g} s after the last flood, for the bridge's limit to refill"
            + (", one batch at a time)" if one_by_one else ")"))
    if again.held == "control":
        return Outcome(None, again.expected, again.actual + note + ": the bridge holds a limit beyond one "
                                                                   "connection, so this case cannot be judged here")
    if again.held:
        again.actual += note
    return again


def _batches(conn: Conn, starts: list[float], types: tuple[str, ...]) -> list[bytes]:
    return [telemetry(conn.session, conn.tenant, BATCH_EVENTS, spacing_ms=1.0, types=types, start=s) for s in starts]


async def _rate_limit(probe: Probe) -> Outcome:
    """600 events within 0.6 s of event time in 12 batches, and 600 in one PUB (a limit on PUBs alone takes
    that); 75 of each type, so only the producer's 500 can refuse them. Each flood on its own, so that a
    bridge that holds a flooding client off for a while is judged on each."""
    expected = (f"of {FLOOD_BATCHES} batches of {BATCH_EVENTS} events in 0.6 s, those within "
                f"{MAX_EVENTS_PER_SECOND} accepted and the rest refused; one PUB of {BIG_PUB_EVENTS} events refused")

    async def run_one(one_by_one: bool) -> Outcome:
        t0 = second_ago()
        big = await _flood(probe, lambda c: telemetry(c.session, c.tenant, len(FLOOD_TYPES), spacing_ms=1.0,
                                                      types=FLOOD_TYPES, start=t0, compact=True),
                           lambda c: [telemetry(c.session, c.tenant, BIG_PUB_EVENTS, spacing_ms=1.0,
                                                types=FLOOD_TYPES, start=t0 + 10, compact=True)])
        await _watch(probe, big)
        if big.control:
            return refused_control(big.control, expected)
        if not big.replies[0]:
            return Outcome(False, expected, "accepted")
        if big.forwarded is not None and big.forwarded > 1:
            return Outcome(False, expected, f"{said(big.replies[0])}, but forwarded to the bus all the same")
        return Outcome(True, expected, said(big.replies[0]))

    async def run_many(one_by_one: bool) -> Outcome:
        t0 = second_ago()
        flood = await _flood(probe, lambda c: telemetry(c.session, c.tenant, len(FLOOD_TYPES), spacing_ms=1.0,
                                                        types=FLOOD_TYPES, start=t0),
                             lambda c: _batches(c, [t0 + 10 + i * BATCH_EVENTS for i in range(FLOOD_BATCHES)],
                                                FLOOD_TYPES), one_by_one=one_by_one)
        await _watch(probe, flood)
        return judge_flood(flood, expected, limit=MAX_EVENTS_PER_SECOND, burst=MAX_EVENTS_PER_SECOND)

    one = await _flood_case(probe, run_one)
    many = await _flood_case(probe, run_many)
    if many.actual == "every batch accepted" and one.actual == "accepted":
        return Outcome(False, expected, "every batch accepted")
    judged = [many.ok, one.ok]
    ok = False if False in judged else None if None in judged else True
    return Outcome(ok, expected, f"{many.actual}; one PUB of {BIG_PUB_EVENTS} events: {one.actual}")


async def _rate_limit_wall(probe: Probe) -> Outcome:
    """1,600 events, 450 stamped in each of 4 past seconds: within the event-time limits in every event
    second (one way of cutting seconds or another), yet all sent at once. Over three seconds' worth, so a
    bridge may take a producer's whole 500-event buffer at once on top of a second's worth, as a reconnect's
    catch-up sends it."""
    seconds = -(-WALL_FLOOD_BATCHES // WALL_BATCHES_PER_SECOND)
    expected = (f"of {WALL_FLOOD_BATCHES * BATCH_EVENTS:,} events sent at once, stamped over {seconds} s, "
                f"{MAX_EVENTS_PER_SECOND} accepted (and up to a producer's {PRODUCER_BUFFER}-event buffer more), "
                "the rest refused")

    async def run(one_by_one: bool) -> Outcome:
        t0 = second_ago(seconds)
        starts = [t0 + (i // WALL_BATCHES_PER_SECOND) * 1000 + 10 + (i % WALL_BATCHES_PER_SECOND) * 100
                  for i in range(WALL_FLOOD_BATCHES)]
        flood = await _flood(probe, lambda c: telemetry(c.session, c.tenant, len(FLOOD_TYPES), spacing_ms=1.0,
                                                        types=FLOOD_TYPES, start=t0),
                             lambda c: _batches(c, starts, FLOOD_TYPES), one_by_one=one_by_one)
        await _watch(probe, flood)
        return judge_flood(flood, expected, limit=MAX_EVENTS_PER_SECOND,
                           burst=MAX_EVENTS_PER_SECOND + PRODUCER_BUFFER)

    return await _flood_case(probe, run)


async def _rate_limit_type(probe: Probe) -> Outcome:
    """150 mouse events within 0.15 s: under the 500 a producer may send, over the 100 of one type."""
    expected = (f"of {TYPE_FLOOD_BATCHES * BATCH_EVENTS} events of one type in {TYPE_FLOOD_BATCHES * 50 / 1000:g} s, "
                f"those within {MAX_EVENTS_PER_TYPE_PER_SECOND} accepted and the rest refused")

    async def run(one_by_one: bool) -> Outcome:
        t0 = second_ago()
        flood = await _flood(probe, lambda c: telemetry(c.session, c.tenant, 1, types=("mouse",), start=t0),
                             lambda c: _batches(c, [t0 + 10 + i * BATCH_EVENTS for i in range(TYPE_FLOOD_BATCHES)],
                                                ("mouse",)), one_by_one=one_by_one)
        await _watch(probe, flood)
        return judge_flood(flood, expected, limit=MAX_EVENTS_PER_TYPE_PER_SECOND,
                           burst=MAX_EVENTS_PER_TYPE_PER_SECOND)

    return await _flood_case(probe, run)


async def _one_batch(probe: Probe, body: Callable[[Conn], bytes],
                     headers: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """A connection that sends one batch: its session, and what the batch drew. A bridge that refuses
    the connection itself (at the upgrade or the CONNECT) has refused the batch."""
    try:
        conn = await probe.open(headers=headers)
    except (websockets.InvalidHandshake, ConformanceError) as exc:
        return "", [f"(the connection was refused: {exc})"]
    try:
        return conn.session, await conn.publish(body(conn))
    finally:
        await conn.close()


def _ip(batch: dict[str, Any]) -> str:
    ip = batch.get("ip")
    return "none" if ip is None else str(ip)


async def _ip_injected(probe: Probe) -> Outcome:
    """A clean batch (its IP must be the bridge's view of the client), one that claims an IP (refused, or
    forwarded with that overwritten: both keep the client from self-reporting), and a clean one over a
    connection that claims the IP in X-Forwarded-For (which only a trusted proxy's is believed from)."""
    expected = (f"the bridge's own view of the client's IP in what it forwards: not the {FOREIGN_IP} a client "
                "claims in its batch (refusing that batch is as good) or in X-Forwarded-For")
    clean, clean_errors = await _one_batch(probe, lambda c: telemetry(c.session, c.tenant))
    forged, forged_errors = await _one_batch(probe, lambda c: telemetry(c.session, c.tenant, ip=FOREIGN_IP))
    xff, xff_errors = await _one_batch(probe, lambda c: telemetry(c.session, c.tenant),
                                       headers={"X-Forwarded-For": FOREIGN_IP})
    if probe.tap is None:
        return Outcome(None, expected, "not observable: no tap on the bus behind the bridge (--nats URL)")
    if clean_errors:
        return Outcome(False, expected, f"a clean batch was refused: {said(clean_errors)}")
    seen = await probe.seen_all({clean: 1, forged: 0 if forged_errors else 1, xff: 0 if xff_errors else 1})
    assert seen is not None
    if not seen[clean]:
        return Outcome(False, expected, "nothing forwarded (no -ERR either)")
    believed = any(b.get("ip") == FOREIGN_IP for b in seen.get(xff, []))
    judged = seen[clean] + seen.get(forged, []) + ([] if probe.trusted_proxy and believed else seen.get(xff, []))
    actual = f"forwarded with ip {', '.join(sorted({_ip(b) for b in judged}))}"
    if forged_errors:
        actual += f"; the batch that claimed {FOREIGN_IP}: {said(forged_errors)}"
    if believed:
        actual += f"; X-Forwarded-For: {FOREIGN_IP} believed" + (
            ", as from a trusted proxy (--trusted-proxy)" if probe.trusted_proxy
            else ": any client can choose its IP (only a trusted proxy's should be; if this client is one, "
                 "--trusted-proxy)")
    return Outcome(all(injected(b.get("ip")) for b in judged), expected, actual)


def injected(ip: object) -> bool:
    """Whether ``ip`` can be the bridge's view of the client: an IP address, and not the one the client
    claimed. An empty string or a placeholder is not an injected IP, however unlike the claim it is."""
    if ip == FOREIGN_IP or not isinstance(ip, str):
        return False
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return True


async def _survives(probe: Probe) -> Outcome:
    conn = await probe.open()
    try:
        first = await conn.publish(b"{}", "not.allowed")
        second = await conn.publish(telemetry(conn.session, probe.tenant))
    finally:
        await conn.close()
    seen = await probe.seen(conn.session, expect=0 if second else 1)
    ok = bool(first) and not second and (seen is None or len(seen) == 1)
    return Outcome(ok, "recorded: after one refused PUB, the next valid batch is accepted",
                   f"refused: {said(first) or 'nothing'}; then: {said(second) or 'accepted'}"
                   + ("" if seen is None else f"; {len(seen)} batch(es) forwarded"))


def post_fallback(url: str) -> str:
    """Where a bridge's POST fallback is by the workbench's convention: ``ws://h/bridge`` -> ``http://h/bridge/batch``."""
    return url.replace("wss://", "https://", 1).replace("ws://", "http://", 1).rstrip("/") + "/batch"


async def _post(probe: Probe) -> Outcome:
    url = probe.post_url or post_fallback(probe.url)
    sid = probe.session()
    sent = {"another tenant's batch": telemetry(sid, probe.other_tenant),
            f"{MAX_MESSAGE_BYTES + 1:,} bytes": oversize(sid, probe.tenant),
            "a valid batch": telemetry(sid, probe.tenant, ip=FOREIGN_IP)}
    status: dict[str, int | str] = {}
    timeout = aiohttp.ClientTimeout(total=probe.timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for what, body in sent.items():
            try:
                async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as reply:
                    status[what] = reply.status
            except aiohttp.ClientError as exc:
                status[what] = type(exc).__name__
    codes = list(status.values())
    refused = all(isinstance(c, int) and 400 <= c < 500 for c in codes[:2])
    accepted = isinstance(codes[2], int) and 200 <= codes[2] < 300
    seen = await probe.seen(sid, expect=int(accepted))
    forwarded = seen is None or (len(seen) == 1 and injected(seen[0].get("ip")))
    actual = f"POST {url}: " + ", ".join(f"{what} {code}" for what, code in status.items())
    if seen is not None:
        actual += f"; forwarded: {len(seen)} batch(es)" + (f" with ip {seen[0].get('ip')}" if seen else "")
    return Outcome(refused and accepted and forwarded,
                   "recorded: at a POST fallback, another tenant and an oversize body refused (4xx), "
                   "a valid batch accepted and forwarded with the bridge's view of the IP", actual)


async def _unknown_command(probe: Probe) -> Outcome:
    conn = await probe.open()
    try:
        await conn.send(b"FROB telemetry.raw\r\n")
        errors = await conn.sync()
    finally:
        await conn.close()
    return Outcome(True, "recorded: NATS answers -ERR 'Unknown Protocol Operation'",
                   said(errors) if errors else "no -ERR; the connection went on")


CASES: tuple[Case, ...] = (
    Case("2.3/1", MUST, "Must accept WebSocket connections from producers", _accepts_websocket),
    Case("4.1/1", SHOULD, "Server sends on connection: INFO {server_id, version, proto, max_payload}", _info_first),
    Case("4.1/2", SHOULD, "Client responds CONNECT {tenant_id, session_id}; server acknowledges +OK", _connect_ok),
    Case("4.1/3", MUST, "Bridges must respond [to PING] with PONG", _ping_pong),
    Case("4.1/4", MAY, "A command outside the protocol (not defined by EITP)", _unknown_command),
    Case("4.2/1", MUST, "Bridges must enforce a whitelist on client PUB subjects", _whitelist),
    Case("4.2/2", MAY, "Not in the spec: whether a refused PUB costs that command only (the connection goes on, "
                       "as in nats-server)", _survives),
    Case("4.4/1", MAY, "Not a bridge rule: producers should fall back to HTTP POST (4.4), but 2.3 and 12.3 give a "
                       "bridge no POST endpoint; if it has one, what it does there", _post),
    Case("4.5/1", MUST, "Bridges must inject the client's IP address; clients must not self-report it", _ip_injected),
    Case("4.6/1", MUST, "Must enforce a maximum message size (reference: 50,000 bytes)", _max_size),
    Case("4.6/2", MUST, "Must enforce rate limiting (reference: 500 events per second per producer)", _rate_limit),
    Case("4.6/3", MUST, "The rate limit holds on the wall clock: timestamps a client forges do not dodge it",
         _rate_limit_wall),
    Case("4.6/4", MUST, "Must enforce the per-type rate limit (reference: 100 events per type per second)",
         _rate_limit_type),
    Case("10.4/1", MUST, "A Bridge must not allow cross-tenant telemetry", _tenant),
)


async def reach(probe: Probe) -> None:
    """Raise ConformanceError, saying why in one line, unless ``probe.url`` is a WebSocket that speaks
    first (as a NATS-framed bridge does with INFO).

    Without this, a server that refuses, is not a WebSocket, or upgrades and then says nothing
    (an echo server, a hung bridge) would be reported as a bridge failing every case, one timeout
    at a time, instead of as a target that cannot be checked at all."""
    try:
        conn = await probe.open(handshake=False)
    except (OSError, TimeoutError, websockets.WebSocketException) as exc:
        raise ConformanceError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
    try:
        first = await conn.next()
    except NoReply as exc:
        raise ConformanceError(f"the WebSocket upgrade worked, then {exc}: not a NATS-framed bridge") from None
    except websockets.ConnectionClosed as exc:
        raise ConformanceError(f"the WebSocket upgrade worked, then the server closed it ({exc})") from None
    finally:
        await conn.close()
    if isinstance(first, codec.ParseError):
        raise ConformanceError(f"the server's first words are not NATS protocol ({first.message}): not a bridge")


def run_order(cases: tuple[Case, ...]) -> list[int]:
    """The indices of ``cases`` in the order they run: the floods (FLOOD_ORDER) last, so the limits they
    spend cannot refuse another case's valid batch at a bridge that counts per IP; the rest as given."""
    rank = {case_id: i for i, case_id in enumerate(FLOOD_ORDER)}
    return sorted(range(len(cases)), key=lambda i: (cases[i].id in rank, rank.get(cases[i].id, 0)))


async def run_cases(probe: Probe, cases: tuple[Case, ...] = CASES,
                    progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Every case, in :func:`run_order`, its results in the order given; a case that raises is a Fail
    (MUST) or Non-Strict (SHOULD) with the reason. ``progress`` hears of each result as its case ends."""
    results: dict[int, CaseResult] = {}
    for i in run_order(cases):
        case = cases[i]
        started = time.perf_counter()
        try:
            outcome = await case.check(probe)
        except (OSError, TimeoutError, websockets.WebSocketException, ConformanceError) as exc:
            outcome = Outcome(False, "the case to complete", f"{type(exc).__name__}: {exc}" if str(exc)
                              else type(exc).__name__)
        results[i] = CaseResult(case.id, case.level, case.requirement, verdict(case.level, outcome.ok),
                                outcome.expected, outcome.actual, round((time.perf_counter() - started) * 1000, 1))
        if progress is not None:
            progress(results[i])
    return [results[i] for i in range(len(cases))]


def summary(results: list[CaseResult]) -> dict[str, int]:
    counts = {PASS: 0, FAIL: 0, NON_STRICT: 0, INFO: 0}
    for r in results:
        counts[r.verdict] += 1
    return counts


def xml_text(text: str) -> str:
    """``text`` with what XML 1.0 cannot carry shown as ``\\xNN``: a bridge's -ERR may hold any byte,
    and one control character would make the whole JUnit file unreadable to CI."""
    return junit.xml_text(text, codes=True)


def to_junit(results: list[CaseResult], *, target: str, strict: bool = False) -> str:
    """One test case per conformance case. A Fail is a failure; a Non-Strict one only with ``strict``."""
    suite = ET.Element("testsuite", name="eitp-bridge-conformance", tests=str(len(results)),
                       failures=str(len(failed(results, strict=strict))), errors="0",
                       time=f"{sum(r.ms for r in results) / 1000:.3f}")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="target", value=xml_text(target))
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"conformance.section_{r.id.split('/')[0]}",
                             name=f"{r.id} {r.requirement}", time=f"{r.ms / 1000:.3f}")
        detail = xml_text(f"{r.level} {r.id}: {r.requirement}\nexpected: {r.expected}\nactual: {r.actual}")
        if r in failed(results, strict=strict):
            ET.SubElement(case, "failure", message=xml_text(f"{r.verdict}: {r.actual}"), type=r.level).text = detail
        else:
            ET.SubElement(case, "system-out").text = f"{r.verdict}\n{detail}"
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
