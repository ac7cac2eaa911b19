"""Bridge conformance suite: EITP v1.1 sections 2.3, 4.1, 4.2, 4.5, 4.6 and 10.4, from outside.

A black-box client checks any bridge over its WebSocket, in the manner of Autobahn|Testsuite and
h2spec: each case has an id (``<spec section>/<n>``), the spec's own words, and a verdict.

* **Pass**: the bridge did what the spec says.
* **Fail**: a MUST is broken.
* **Non-Strict**: a SHOULD is broken (a failure only with ``strict``, as h2spec's ``--strict``).
* **Info**: not judged: the case could not be observed (no tap on the bus behind the bridge), or
  the spec leaves the behaviour open and the case records what the bridge did.

Cases that must see what the bridge forwards (server-side IP, nothing published after a refusal)
need a *tap*: a :class:`~workbench.bus.Bus` subscribed to ``telemetry.raw`` behind the bridge. The
embedded bridge has one; for another bridge, its NATS URL gives one. Each case opens its own
connection with a session id of its own, so what the tap sees is attributed to one case.
Limits are judged against the spec's reference values (4.6: 50,000 bytes, 500 events a second, 100
events of one type a second).
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
TYPE_FLOOD_BATCHES = MAX_EVENTS_PER_TYPE_PER_SECOND // 50 + 1  # of 50 events of one type: 150, over that limit
FLOOD_BATCHES = MAX_EVENTS_PER_SECOND // 50 + 2  # of 50 events: 600, over the limit
WALL_FLOOD_BATCHES = 32  # 1,600 events: over a second's worth plus a producer's 500-event buffer, and then some
# the flood's events, in turn: 600 of them are 75 a type, under 4.6's 100 per type per second, so only the
# 500-per-producer limit can refuse them (a per-type limit alone must not pass case 4.6/2)
FLOOD_TYPES = ("mouse", "click", "scroll", "mouse_pause", "viewport_resize", "tab_switch", "form_focus",
               "text_selection")
FOREIGN_IP = "203.0.113.66"  # TEST-NET-3: an address a client claims for itself
OTHER_TENANT = "org_conformance_other"  # a tenant a batch claims that the bridge does not serve (section 10.4)
CLOSED = "(the bridge closed the connection)"
CONTROL_REFUSED = "(a valid batch was refused too)"


@dataclass
class Outcome:
    """What a case saw. ``ok`` None: not judged (unobservable, or left open by the spec)."""

    ok: bool | None
    expected: str
    actual: str


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

    @property
    def other_tenant(self) -> str:
        """A tenant that is not the one the bridge serves, whatever ``--tenant`` names."""
        return OTHER_TENANT if self.tenant != OTHER_TENANT else f"{OTHER_TENANT}_2"

    def session(self) -> str:
        """A fresh session id, so what the tap sees is this case's alone."""
        return f"sq_{int(time.time() * 1000)}_conf{secrets.token_hex(4)}"

    async def open(self, *, handshake: bool = True) -> Conn:
        """A connection, with INFO and CONNECT done unless ``handshake`` is False.

        A handshake that fails closes the connection before raising: a case that cannot start must
        not leave a socket open on the bridge (and a task in this process)."""
        conn = Conn(await websockets.connect(self.url, compression=None, open_timeout=self.timeout_s,
                                             close_timeout=self.timeout_s, max_size=None), self.timeout_s)
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

    async def seen(self, session: str, *, expect: bool = False) -> list[dict[str, Any]] | None:
        """What the tap saw for ``session``; None without a tap.

        ``expect``: a batch should arrive, so wait for it up to ``timeout_s`` (a loaded machine may
        take longer than the settle to forward it), then settle for any more. Otherwise settle only:
        the case expects nothing, and waiting longer would only slow a passing run."""
        if self.tap is None:
            return None
        deadline = time.monotonic() + self.timeout_s
        while expect and not self.tap.batches.get(session) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(self.settle_s)
        return self.tap.batches.get(session, [])


class ConformanceError(Exception):
    """The bridge could not be exercised at all (unreachable, no handshake)."""


class NoReply(ConformanceError, TimeoutError):
    """The bridge said nothing within the timeout (a TimeoutError too, for callers that catch that)."""


class Conn:
    """One client connection: bytes out, parsed NATS commands in."""

    def __init__(self, ws: Any, timeout_s: float) -> None:
        self.ws = ws
        self.timeout_s = timeout_s
        self.parser = codec.NatsParser(max_payload=10**9)
        self.pending: list[codec.Event] = []
        self.session = ""
        self.tenant = ""

    async def send(self, data: bytes) -> None:
        await self.ws.send(data)

    async def next(self) -> codec.Event:
        """The next command; a silent bridge is a ``NoReply`` that says so, not a bare TimeoutError."""
        try:
            async with asyncio.timeout(self.timeout_s):
                while not self.pending:
                    frame = await self.ws.recv()
                    self.parser.receive_data(frame)
                    self.pending += self.parser.events_received()
        except TimeoutError:
            raise NoReply(f"no reply from the bridge within {self.timeout_s:g} s") from None
        return self.pending.pop(0)

    async def answer(self) -> codec.Event:
        """The next command that answers ours: a PING of the bridge's own (answered, as a NATS client
        must) or an INFO update may come first, and is not a reply to anything we sent."""
        while True:
            event = await self.next()
            if isinstance(event, codec.Ping):
                await self.send(codec.PONG)
            elif not isinstance(event, codec.Info):
                return event

    async def sync(self) -> list[str]:
        """PING, then everything up to its PONG: the -ERR messages the commands before it drew.

        A bridge that closes the connection instead (as nats-server does on some errors) has
        refused too: what it said before the close is returned, and ``CLOSED`` last. The PONG has
        ``timeout_s`` in all: a bridge that keeps talking without ever sending it cannot hold a case."""
        errors: list[str] = []
        try:
            await self.send(codec.PING)
            async with asyncio.timeout(self.timeout_s):
                while True:
                    event = await self.next()
                    if isinstance(event, codec.Pong):
                        return errors
                    if isinstance(event, codec.Err):
                        errors.append(event.message)
        except TimeoutError:
            raise NoReply(f"no PONG from the bridge within {self.timeout_s:g} s") from None
        except websockets.ConnectionClosed:
            errors += [e.message for e in self.pending if isinstance(e, codec.Err)]
            return [*errors, CLOSED]

    async def close(self) -> None:
        await self.ws.close()

    async def control(self, types: tuple[str, ...] = ("mouse",)) -> list[str]:
        """Publish one valid batch (of events of ``types``) and sync: the -ERRs it drew (none from a working bridge).

        A refusal case is only judged after this: a bridge that refuses or drops everything (or
        every batch of this shape) would otherwise pass every "must refuse" case without enforcing anything."""
        await self.send(codec.encode_pub("telemetry.raw", telemetry(self.session, self.tenant, len(types),
                                                                    types=types)))
        return await self.sync()


def telemetry(session: str, tenant: str, n: int = 5, *, spacing_ms: float = 50.0,
              types: tuple[str, ...] = ("mouse",), **extra: Any) -> bytes:
    """A section 4.3 batch of ``n`` samples, stamped now, their types taken from ``types`` in turn."""
    t0 = time.time() * 1000.0
    events = [{"type": types[i % len(types)], "timestamp": t0 + i * spacing_ms, "currentSection": "pricing",
               "data": {"x": 400 + i, "y": 300, "vx": 20, "vy": 0, "ax": 0, "ay": 0, "jx": 0, "jy": 0,
                        "speed": 20, "jerk": 0}} for i in range(n)]
    return orjson.dumps({"type": "telemetry_batch", "events": events, "sessionId": session, "tenantId": tenant,
                         "vertical": "rv_dealer", "pageContent": None, "timestamp": events[-1]["timestamp"],
                         **extra})


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


async def _info_first(probe: Probe) -> Outcome:
    conn = await probe.open(handshake=False)
    try:
        first = await conn.next()
    finally:
        await conn.close()
    if not isinstance(first, codec.Info):
        return Outcome(False, "INFO {...} as the first command", show(first))
    missing = [k for k in ("server_id", "proto", "max_payload") if k not in first.options]
    return Outcome(not missing, "INFO with server_id, proto, max_payload",
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
    return Outcome(False, expected, f"a valid batch was refused too: {said(errors)}")


async def _refused(probe: Probe, payload: Callable[[Conn], bytes], expected: str) -> Outcome:
    """A valid batch (accepted), then the command; Pass when it draws -ERR and, with a tap, only the
    valid batch of the session is forwarded."""
    conn = await probe.open()
    try:
        control = await conn.control()
        if control:
            return refused_control(control, expected)
        await conn.send(payload(conn))
        errors = await conn.sync()
    finally:
        await conn.close()
    forwarded = await probe.seen(conn.session, expect=True)
    actual = said(errors) if errors else "no -ERR"
    extra = 0 if not forwarded else len(forwarded) - 1
    if extra:
        actual += f"; {extra} batch(es) forwarded to the bus besides the valid one"
    return Outcome(bool(errors) and not extra, expected, actual)


async def _whitelist(probe: Probe) -> Outcome:
    return await _refused(probe, lambda c: codec.encode_pub(f"emotions.{probe.tenant}.detected.{c.session}",
                                                           telemetry(c.session, probe.tenant)),
                          "-ERR for PUB outside telemetry.raw")


def oversize(session: str, tenant: str) -> bytes:
    """A valid batch padded to one byte over the section 4.6 reference limit."""
    body = telemetry(session, tenant)
    return body[:-1] + b',"pad":"' + b"x" * (MAX_MESSAGE_BYTES - len(body) - 8) + b'"}'


async def _max_size(probe: Probe) -> Outcome:
    return await _refused(probe, lambda c: codec.encode_pub("telemetry.raw", oversize(c.session, probe.tenant)),
                          f"-ERR for a {MAX_MESSAGE_BYTES + 1:,}-byte message")


async def _flood(probe: Probe, batch_step_ms: float, batches: int = FLOOD_BATCHES,
                 types: tuple[str, ...] = FLOOD_TYPES) -> list[str]:
    """``batches`` batches of 50 events (of ``types`` in turn) 1 ms apart, sent at once, each batch stamped
    ``batch_step_ms`` after the last; the -ERRs that came back."""
    conn = await probe.open()
    try:
        control = await conn.control(types)
        if control:
            return [CONTROL_REFUSED, *control]
        t0 = time.time() // 1 * 1000.0  # the start of this second: a limit counted per calendar second
        # sees the whole event-time flood in one second, not split across two (300 + 300, each under 500)
        for i in range(batches):
            body = orjson.loads(telemetry(conn.session, probe.tenant, 50, spacing_ms=1.0, types=types))
            for j, event in enumerate(body["events"]):
                event["timestamp"] = t0 + i * batch_step_ms + j
            body["timestamp"] = body["events"][-1]["timestamp"]
            await conn.send(codec.encode_pub("telemetry.raw", orjson.dumps(body)))
        return await conn.sync()
    finally:
        await conn.close()


def flooded(errors: list[str], expected: str) -> Outcome:
    """The verdict on a flood: refused, but not a bridge that refused the valid batch before it."""
    if errors[:1] == [CONTROL_REFUSED]:
        return refused_control(errors[1:], expected)
    return Outcome(bool(errors), expected, said(errors[:1]) if errors else "every batch accepted")


async def _rate_limit(probe: Probe) -> Outcome:
    errors = await _flood(probe, 50)  # 600 events within 0.6 s of event time
    return flooded(errors, f"-ERR for {FLOOD_BATCHES * 50} events in {FLOOD_BATCHES * 50 / 1000:g} s")


async def _rate_limit_wall(probe: Probe) -> Outcome:
    """1,600 events, each batch of 50 stamped a second after the last: within the event-time limit in
    every event second, yet all sent at once. A producer's clock is the client's to forge. (Over three
    seconds' worth, so a bridge may take a producer's whole 500-event buffer at once on top of a
    second's worth, as a reconnect's catch-up sends it.)"""
    errors = await _flood(probe, 1000, WALL_FLOOD_BATCHES)
    return flooded(errors, f"-ERR for {WALL_FLOOD_BATCHES * 50} events sent at once, stamped over "
                           f"{WALL_FLOOD_BATCHES} s")


async def _rate_limit_type(probe: Probe) -> Outcome:
    """150 mouse events within 0.15 s: under the 500 a producer may send, over the 100 of one type."""
    errors = await _flood(probe, 50, TYPE_FLOOD_BATCHES, ("mouse",))
    return flooded(errors, f"-ERR for {TYPE_FLOOD_BATCHES * 50} events of one type in "
                           f"{TYPE_FLOOD_BATCHES * 50 / 1000:g} s")


async def _tenant(probe: Probe) -> Outcome:
    return await _refused(probe, lambda c: codec.encode_pub("telemetry.raw",
                                                           telemetry(c.session, probe.other_tenant)),
                          "-ERR for a batch of another tenant")


async def _ip_injected(probe: Probe) -> Outcome:
    conn = await probe.open()
    try:
        await conn.send(codec.encode_pub("telemetry.raw", telemetry(conn.session, probe.tenant, ip=FOREIGN_IP)))
        errors = await conn.sync()
    finally:
        await conn.close()
    seen = await probe.seen(conn.session, expect=True)
    expected = f"the bridge's own view of the client's IP, not the {FOREIGN_IP} the client claimed"
    if seen is None:
        return Outcome(None, expected, "not observable: no tap on the bus behind the bridge (--nats URL)")
    if not seen:
        return Outcome(False, expected, f"nothing forwarded ({said(errors) if errors else 'no -ERR either'})")
    ips = {str(b.get("ip")) for b in seen}
    return Outcome(all(injected(b.get("ip")) for b in seen), expected, f"forwarded with ip {', '.join(sorted(ips))}")


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
        await conn.send(codec.encode_pub("not.allowed", b"{}"))
        first = await conn.sync()
        await conn.send(codec.encode_pub("telemetry.raw", telemetry(conn.session, probe.tenant)))
        second = await conn.sync()
    finally:
        await conn.close()
    seen = await probe.seen(conn.session, expect=True)
    ok = bool(first) and not second and (seen is None or len(seen) == 1)
    return Outcome(ok, "after one refused PUB, the next valid batch is accepted",
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
    seen = await probe.seen(sid, expect=True)
    codes = list(status.values())
    refused = all(isinstance(c, int) and 400 <= c < 500 for c in codes[:2])
    accepted = isinstance(codes[2], int) and 200 <= codes[2] < 300
    forwarded = seen is None or (len(seen) == 1 and injected(seen[0].get("ip")))
    actual = f"POST {url}: " + ", ".join(f"{what} {code}" for what, code in status.items())
    if seen is not None:
        actual += f"; forwarded: {len(seen)} batch(es)" + (f" with ip {seen[0].get('ip')}" if seen else "")
    return Outcome(refused and accepted and forwarded,
                   "the same rules at the POST fallback: another tenant and an oversize body refused (4xx), "
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
    Case("4.2/2", SHOULD, "A refused PUB costs that command only: the connection goes on", _survives),
    Case("4.4/1", SHOULD, "Producers fall back to HTTP POST with the same batch envelope: the same rules apply there",
         _post),
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


async def run_cases(probe: Probe, cases: tuple[Case, ...] = CASES,
                    progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Every case, in order; a case that raises is a Fail (MUST) or Non-Strict (SHOULD) with the reason."""
    results = []
    for case in cases:
        started = time.perf_counter()
        try:
            outcome = await case.check(probe)
        except (OSError, TimeoutError, websockets.WebSocketException, ConformanceError) as exc:
            outcome = Outcome(False, "the case to complete", f"{type(exc).__name__}: {exc}" if str(exc)
                              else type(exc).__name__)
        result = CaseResult(case.id, case.level, case.requirement, verdict(case.level, outcome.ok),
                            outcome.expected, outcome.actual, round((time.perf_counter() - started) * 1000, 1))
        results.append(result)
        if progress is not None:
            progress(result)
    return results


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
