"""Bridge conformance suite: EITP v1.1 sections 2.3, 4.1, 4.2, 4.5, 4.6 and 10.4, from outside.

A black-box client checks any bridge over its WebSocket, in the manner of Autobahn|Testsuite and
h2spec: each case has an id (``<spec section>/<n>``), the spec's own words, and a verdict. The client the
cases reach the bridge with (:class:`Probe`, :class:`Conn`, :class:`Tap`) is :mod:`workbench.conformance_client`.

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
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import orjson
import websockets

from workbench.bridge import codec

# the client's names are this module's too, as they were before it had a module of its own
from workbench.conformance_client import CLOSE_POLL_S as CLOSE_POLL_S
from workbench.conformance_client import CLOSED, ConformanceError, Conn, NoReply, Probe, pub, said, show
from workbench.conformance_client import OTHER_TENANT as OTHER_TENANT
from workbench.conformance_client import Tap as Tap
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


async def _attempt(probe: Probe, command: Command, control: Command | None = None) -> Attempt:
    """A connection that sends a valid batch (``control``; by default a small one), then ``command``."""
    conn = await probe.open()
    try:
        first = await conn.publish(control(conn) if control else telemetry(conn.session, conn.tenant))
        errors = [] if first else (await conn.replies([command(conn)]))[0]
    finally:
        await conn.close()
    return Attempt(conn.session, first, errors)


async def _refused(probe: Probe, commands: dict[str, Command], expected: str, *, control: Command | None = None,
                   twin: Attempt | None = None, twin_is: str = "a valid batch",
                   twin_refused: str = "the refusal is not the rule's") -> Outcome:
    """For each command, a connection that sends a valid batch (``control``: accepted), then the command;
    Pass when every command draws -ERR (or a close), the twin's valid batch in the same place is
    accepted, and, with a tap, only the valid batches are forwarded.

    ``twin``: the case's own (``twin_is``, a refusal of it meaning ``twin_refused``), already sent; by
    default a small valid batch, sent after the commands and only once one of them was refused."""
    attempts = {what: await _attempt(probe, command, control) for what, command in commands.items()}
    for attempt in attempts.values():
        if attempt.control:
            return refused_control(attempt.control, expected)
    if twin is None and any(a.errors for a in attempts.values()):
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
            actual += f"; but {twin_is} in its place was refused too ({said(twin.errors)}): {twin_refused}"
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
    """50,000 bytes (the twin, sent first: accepted) and 50,001 (refused), each after a small valid batch of
    the same shape."""
    expected = (f"a {MAX_MESSAGE_BYTES:,}-byte batch accepted and a {MAX_MESSAGE_BYTES + 1:,}-byte one refused "
                "(-ERR), the same but for the length of its page text")

    def small(c: Conn) -> bytes:
        return telemetry(c.session, c.tenant, page=PAGE_TEXT)

    at = await _attempt(probe, lambda c: pub("telemetry.raw", sized(c.session, c.tenant, MAX_MESSAGE_BYTES)), small)
    if at.control:
        return refused_control(at.control, expected)
    return await _refused(probe, {f"{MAX_MESSAGE_BYTES + 1:,} bytes": lambda c: pub("telemetry.raw",
                                                                                  oversize(c.session, c.tenant))},
                          expected, control=small, twin=at, twin_is=f"{MAX_MESSAGE_BYTES:,} bytes",
                          twin_refused=f"the limit is not the reference {MAX_MESSAGE_BYTES:,}, "
                                       "or the refusal is not the size's")


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


async def _flood(probe: Probe, types: tuple[str, ...], t0: float, offsets: list[int], *, events: int = BATCH_EVENTS,
                 compact: bool = False, one_by_one: bool = False) -> Flood:
    """A connection's valid batch, one event of each of ``types`` stamped from ``t0`` (epoch ms), then a
    batch of ``events`` events of ``types`` at each of ``offsets`` ms after it, all 1 ms apart and sent at
    once, each with its PING; or, with ``one_by_one``, each sent only once the last one's PONG came (slower,
    but a close then tells which batch it answered: a bridge that aborts the connection can lose the answers
    to the batches before it). Then what the tap saw: the accepted batches, waited for, and any more."""
    conn = await probe.open()
    sizes: list[int] = []
    replies: list[list[str]] = []
    elapsed = 0.0
    try:
        first = await conn.publish(telemetry(conn.session, conn.tenant, len(types), spacing_ms=1.0, types=types,
                                             start=t0, compact=compact))
        if not first:
            sizes = [events] * len(offsets)
            commands = [pub("telemetry.raw", telemetry(conn.session, conn.tenant, events, spacing_ms=1.0, types=types,
                                                       start=t0 + ms, compact=compact)) for ms in offsets]
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
    seen = await probe.seen_all({} if first else {conn.session: 1 + sum(1 for r in replies if not r)})
    forwarded = len(seen[conn.session]) if seen is not None and not first else None
    return Flood(conn.session, first, len(types), sizes, replies, elapsed, forwarded)


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


def back_to_back(batches: int) -> list[int]:
    """Offsets for :func:`_flood`: ``batches`` batches of BATCH_EVENTS, one straight after another, from 10 ms
    after the valid batch."""
    return [10 + i * BATCH_EVENTS for i in range(batches)]


async def _rate_flood(probe: Probe, expected: str, *, types: tuple[str, ...], offsets: list[int], limit: int,
                      burst: int, seconds: int = 1) -> Outcome:
    """A :func:`_flood_case` of a :func:`_flood` from the start of the calendar second ``seconds`` ago (each
    run stamped afresh), judged by :func:`judge_flood`."""

    async def run(one_by_one: bool) -> Outcome:
        flood = await _flood(probe, types, second_ago(seconds), offsets, one_by_one=one_by_one)
        return judge_flood(flood, expected, limit=limit, burst=burst)

    return await _flood_case(probe, run)


async def _rate_limit(probe: Probe) -> Outcome:
    """600 events within 0.6 s of event time in 12 batches, and 600 in one PUB (a limit on PUBs alone takes
    that); 75 of each type, so only the producer's 500 can refuse them. Each flood on its own, so that a
    bridge that holds a flooding client off for a while is judged on each."""
    expected = (f"of {FLOOD_BATCHES} batches of {BATCH_EVENTS} events in 0.6 s, those within "
                f"{MAX_EVENTS_PER_SECOND} accepted and the rest refused; one PUB of {BIG_PUB_EVENTS} events refused")

    async def run_one(one_by_one: bool) -> Outcome:
        big = await _flood(probe, FLOOD_TYPES, second_ago(), [10], events=BIG_PUB_EVENTS, compact=True)
        if big.control:
            return refused_control(big.control, expected)
        if not big.replies[0]:
            return Outcome(False, expected, "accepted")
        if big.forwarded is not None and big.forwarded > 1:
            return Outcome(False, expected, f"{said(big.replies[0])}, but forwarded to the bus all the same")
        return Outcome(True, expected, said(big.replies[0]))

    one = await _flood_case(probe, run_one)
    many = await _rate_flood(probe, expected, types=FLOOD_TYPES, offsets=back_to_back(FLOOD_BATCHES),
                             limit=MAX_EVENTS_PER_SECOND, burst=MAX_EVENTS_PER_SECOND)
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

    offsets = [(i // WALL_BATCHES_PER_SECOND) * 1000 + 10 + (i % WALL_BATCHES_PER_SECOND) * 100
               for i in range(WALL_FLOOD_BATCHES)]
    return await _rate_flood(probe, expected, types=FLOOD_TYPES, offsets=offsets, seconds=seconds,
                             limit=MAX_EVENTS_PER_SECOND, burst=MAX_EVENTS_PER_SECOND + PRODUCER_BUFFER)


async def _rate_limit_type(probe: Probe) -> Outcome:
    """150 mouse events within 0.15 s: under the 500 a producer may send, over the 100 of one type."""
    expected = (f"of {TYPE_FLOOD_BATCHES * BATCH_EVENTS} events of one type in {TYPE_FLOOD_BATCHES * 50 / 1000:g} s, "
                f"those within {MAX_EVENTS_PER_TYPE_PER_SECOND} accepted and the rest refused")

    return await _rate_flood(probe, expected, types=("mouse",), offsets=back_to_back(TYPE_FLOOD_BATCHES),
                             limit=MAX_EVENTS_PER_TYPE_PER_SECOND, burst=MAX_EVENTS_PER_TYPE_PER_SECOND)


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
