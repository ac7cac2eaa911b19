"""The message bus seam (EITP v1.1 section 4.2 subjects) and its in-process implementation.

Everything downstream of the bridge talks through :class:`Bus`. The default
:class:`InProcessBus` keeps the workbench in one process with no services; a NATS
implementation (nats-py against a real nats-server) plugs in behind the same protocol.
Subjects and wildcards follow NATS: ``*`` matches one token, a trailing ``>`` the rest.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from workbench.bridge.codec import subject_matches

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Awaitable[None]]
#: ``key(subject, payload)``: the key a message is ordered by (a session id); see :class:`Lanes`
LaneKey = Callable[[str, bytes], str]

TELEMETRY_RAW = "telemetry.raw"
# bridge -> engine, Seer: a producer's connection ended. On the telemetry subject tree, so that one
# subscription to TELEMETRY has each close in order after the batches the bridge published before it.
SESSION_CLOSED = "telemetry.closed"
TELEMETRY = "telemetry.*"
#: seconds a NATS bus keeps reconnecting to a server that went away before it gives up (``serve --nats-reconnect-s``):
#: long enough for a broker restart or a network blip; here, so the CLI needs no nats-py to show it
DEFAULT_RECONNECT_WINDOW = 60.0


def emotions_detected(tenant: str, session: str) -> str:
    return f"emotions.{tenant}.detected.{session}"


def emotions_profile(tenant: str, session: str) -> str:
    return f"emotions.{tenant}.{session}"


def intervention_request(tenant: str, session: str) -> str:
    return f"seer.{tenant}.intervention.request.{session}"


def is_intervention(message: object) -> bool:
    """Seer's answer, not an EITP packet: both travel on ``seer.{t}.intervention.request.{s}``.

    Only these may reach a page (packets carry telemetry details, sections 2.5 and 9.2)."""
    return isinstance(message, dict) and message.get("type") == "intervention"


def bot_detection(tenant: str, session: str) -> str:
    return f"bot.{tenant}.detection.{session}"


class Subscription(Protocol):
    async def unsubscribe(self) -> None: ...


class Bus(Protocol):
    """Publish/subscribe by subject. Handlers receive ``(subject, payload)``."""

    async def publish(self, subject: str, payload: bytes) -> None: ...

    async def subscribe(self, pattern: str, handler: Handler, *, lanes: Lanes | None = None) -> Subscription:
        """Without ``lanes`` the handler takes one message at a time, in order. With them, messages of
        different keys are handled concurrently and each key's in order (:class:`Lanes`)."""
        ...

    async def drain(self) -> None:
        """Wait until every message published so far has been handled. In process that is every message; on NATS,
        every message this bus published, and others' only if the server had taken them first
        (:class:`~workbench.natsbus.NatsBus`); what it cannot vouch for raises :class:`~workbench.errors.BusError`."""
        ...

    async def settle(self, key: str) -> None:
        """Wait until no message about ``key`` (:func:`session_key`, a session id) is queued or being
        handled, including those its handlers publish meanwhile: a batch's packets, Seer's answer to
        them and the bridge's forwarding of that answer. A virtual-time runner calls it before it lets
        the page's clock run on, so the page sees an answer at the page time it would in real time
        (:mod:`workbench.sim.clock`)."""
        ...

    async def close(self) -> None: ...


def session_key(subject: str, payload: bytes) -> str:
    """The session a message is about: ``sessionId`` of a telemetry batch or close, else the subject's
    last token (``seer.{t}.intervention.request.{s}``, ``bot.{t}.detection.{s}``, ``emotions...{s}``)."""
    if subject.startswith("telemetry."):
        return str(orjson.loads(payload)["sessionId"])
    return subject.rsplit(".", 1)[-1]


def _key_or_blank(subject: str, payload: bytes, key: LaneKey = session_key) -> str:
    try:
        return key(subject, payload)
    except Exception:  # a message without a readable key: its handler says what is wrong with it
        return ""


class Lanes:
    """Handlers run concurrently across keys and in order within each key, for one subscription or several.

    A handler that awaits something slow (an LLM call for one session) then holds up only the messages
    of its own key, as in a Kafka partition, not every session's. Several
    subscriptions given the same lanes are ordered together per key, in the order the bus handed their
    messages over (Seer's packets, closes and bot verdicts of one session).

    Each message is a task that starts once its key's previous message is handled, so when no handler
    suspends, messages are handled in the order they were put, whatever their keys, and shared state
    (a seeded bandit, cross-session statistics) sees the same order as without lanes. ``done()`` is
    called once per message when its handler has returned, raised or been cancelled, so a bus counts it
    as handled only then, and a cancelled message never stops its key's next one.
    """

    def __init__(self, key: LaneKey) -> None:
        self.key = key
        self._last: dict[str, asyncio.Task[None]] = {}  # each busy key's latest message

    def busy(self, key: str) -> bool:
        """Has ``key`` a message being handled or waiting?"""
        return key in self._last

    def put(self, handler: Handler, subject: str, payload: bytes, done: Callable[[], None],
            key: str | None = None) -> None:
        """``key``: the message's key when the caller has it already (the in-process bus reads each
        message's :func:`session_key` once, as it publishes)."""
        if key is None:
            key = _key_or_blank(subject, payload, self.key)
        previous = self._last.get(key)
        self._last[key] = asyncio.get_running_loop().create_task(
            self._handle(key, previous, handler, subject, payload, done), name=f"bus:{subject}")

    async def _handle(self, key: str, previous: asyncio.Task[None] | None, handler: Handler, subject: str,
                      payload: bytes, done: Callable[[], None]) -> None:
        try:
            if previous is not None and not previous.done():  # a done one is not awaited: no extra loop step
                await asyncio.wait([previous])  # never raises, even when the previous one was cancelled
            await handler(subject, payload)
        except Exception:  # a faulty message must not stop its key, nor the others
            log.exception("bus handler failed on %s", subject)
        finally:
            if self._last.get(key) is asyncio.current_task():
                del self._last[key]  # the key's last message: the key is idle
            done()



def being_cancelled() -> bool:
    """Whether someone cancelled the running task, as opposed to a handler that let a CancelledError out
    (it awaited a task cancelled elsewhere): only the first may end a subscription's delivery."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def all_of(*aws: Awaitable[Any]) -> list[Any]:
    """``asyncio.gather`` that leaves nothing running behind it: stopped, or one of them failing, it cancels the
    others and waits until they have ended before it raises. ``gather`` raises at the first failure (a child
    cancelled counts, as a session waiting for its turn is at once on a stop) and leaves the rest running: a run
    once closed its browser under a session still ending."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            if not task.cancelling():  # one that is already ending is not cut short
                task.cancel()
        pending = [task for task in tasks if not task.done()]
        if pending:  # each one's tear-down is its own to bound; a second stop cuts this wait short
            await asyncio.wait(pending)


@dataclass(eq=False)
class _LocalSubscription:
    bus: InProcessBus
    pattern: str
    handler: Handler
    lanes: Lanes | None = None
    queue: asyncio.Queue[tuple[str, bytes, str] | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while (item := await self.queue.get()) is not None:
            subject, payload, key = item
            done = functools.partial(self._done, key)
            if self.lanes is not None:  # handled in its lane, which marks it done
                known = key if self.lanes.key is session_key else None  # parsed once, at publish
                self.lanes.put(self.handler, subject, payload, done, known)
                continue
            try:
                await self.handler(subject, payload)
            except Exception:  # a faulty subscriber must not stop delivery to the others
                log.exception("bus handler for %r failed on %s", self.pattern, subject)
            except asyncio.CancelledError:  # one it was not sent would end this delivery, and drain() hang
                if being_cancelled():
                    raise
                log.error("bus handler for %r on %s let out a CancelledError it was not sent", self.pattern, subject)
            finally:
                done()
        self.queue.task_done()
        await self.queue.join()  # messages still in their lanes

    def _done(self, key: str) -> None:
        self.queue.task_done()
        self.bus._handled(key)

    async def unsubscribe(self) -> None:
        if self in self.bus._subs:
            self.bus._subs.remove(self)
            await self.queue.put(None)
            if self.task:
                await self.task


class InProcessBus:
    """Asyncio bus: each subscription has its own queue and task, so order is kept per
    subscriber and a slow subscriber never blocks a publisher."""

    def __init__(self) -> None:
        self._subs: list[_LocalSubscription] = []
        self.published = 0
        self._pending: dict[str, int] = {}  # key -> its messages queued or being handled, over all subscribers
        self._quiet: dict[str, asyncio.Event] = {}  # key -> set when its last pending message is handled

    async def publish(self, subject: str, payload: bytes) -> None:
        self.published += 1
        key: str | None = None
        for sub in list(self._subs):
            if subject_matches(sub.pattern, subject):
                if key is None:
                    key = _key_or_blank(subject, payload)
                self._pending[key] = self._pending.get(key, 0) + 1
                sub.queue.put_nowait((subject, payload, key))

    def _handled(self, key: str) -> None:
        left = self._pending[key] - 1
        if left:
            self._pending[key] = left
            return
        del self._pending[key]
        if (quiet := self._quiet.pop(key, None)) is not None:
            quiet.set()

    async def settle(self, key: str) -> None:
        while self._pending.get(key):
            await self._quiet.setdefault(key, asyncio.Event()).wait()

    async def subscribe(self, pattern: str, handler: Handler, *, lanes: Lanes | None = None) -> Subscription:
        sub = _LocalSubscription(self, pattern, handler, lanes)
        sub.task = asyncio.create_task(sub.run(), name=f"bus:{pattern}")
        self._subs.append(sub)
        return sub

    async def drain(self) -> None:
        # Handlers may publish further messages: loop until every queue is quiet.
        while any(s.queue._unfinished_tasks for s in self._subs):  # type: ignore[attr-defined]
            for sub in list(self._subs):
                await sub.queue.join()

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.unsubscribe()
