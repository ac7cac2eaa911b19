"""The message bus seam (EITP v1.1 section 4.2 subjects) and its in-process implementation.

Everything downstream of the bridge talks through :class:`Bus`. The default
:class:`InProcessBus` keeps the workbench in one process with no services; a NATS
implementation (nats-py against a real nats-server) plugs in behind the same protocol.
Subjects and wildcards follow NATS: ``*`` matches one token, a trailing ``>`` the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from workbench.bridge.codec import subject_matches

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Awaitable[None]]
#: ``lane(subject, payload)``: the key a message is ordered by (a session id); see :class:`Lanes`
LaneKey = Callable[[str, bytes], str]

TELEMETRY_RAW = "telemetry.raw"
# bridge -> engine, Seer: a producer's connection ended. On the telemetry subject tree, so that one
# subscription to TELEMETRY has each close in order after the batches the bridge published before it.
SESSION_CLOSED = "telemetry.closed"
TELEMETRY = "telemetry.*"


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

    async def subscribe(self, pattern: str, handler: Handler, *, lane: LaneKey | None = None) -> Subscription:
        """Without ``lane`` the handler takes one message at a time, in order. With it, messages of
        different keys are handled concurrently and each key's in order (:class:`Lanes`)."""
        ...

    async def drain(self) -> None:
        """Wait until every message published so far has been handled."""
        ...

    async def close(self) -> None: ...


def session_of_subject(subject: str, payload: bytes) -> str:
    """The lane of a per-session subject (``seer.{t}.intervention.request.{s}``, ...): its last token."""
    return subject.rsplit(".", 1)[-1]


class Lanes:
    """One subscription's handler, run concurrently across keys and in order within each key.

    A handler that awaits something slow (an LLM call for one session) then holds up only the messages
    of its own key, as a NATS queue group or a Kafka partition would, not every session's. ``done()``
    is called once per message after its handler returns, so a bus can count it as handled only then.
    A key's task ends when its lane is empty: idle sessions cost nothing.
    """

    def __init__(self, pattern: str, handler: Handler, key: LaneKey, done: Callable[[], None]) -> None:
        self.pattern, self.handler, self.key, self.done = pattern, handler, key, done
        self._lanes: dict[str, deque[tuple[str, bytes]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def put(self, subject: str, payload: bytes) -> None:
        try:
            key = self.key(subject, payload)
        except Exception:  # a message without a readable key: the handler says what is wrong with it
            key = ""
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = deque()
            task = asyncio.get_running_loop().create_task(self._run(key, lane), name=f"bus:{self.pattern}:{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append((subject, payload))

    async def _run(self, key: str, lane: deque[tuple[str, bytes]]) -> None:
        while lane:  # no await between this check and the del below: nothing put meanwhile is lost
            subject, payload = lane[0]
            try:
                await self.handler(subject, payload)
            except Exception:  # a faulty message must not stop its lane, nor the others
                log.exception("bus handler for %r failed on %s", self.pattern, subject)
            finally:
                lane.popleft()
                self.done()
        del self._lanes[key]

    async def join(self) -> None:
        """Wait until every message put so far has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))


@dataclass(eq=False)
class _LocalSubscription:
    bus: InProcessBus
    pattern: str
    handler: Handler
    lanes: Lanes | None = None
    queue: asyncio.Queue[tuple[str, bytes] | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while (item := await self.queue.get()) is not None:
            if self.lanes is not None:  # handled in its lane, which marks it done
                self.lanes.put(*item)
                continue
            try:
                await self.handler(*item)
            except Exception:  # a faulty subscriber must not stop delivery to the others
                log.exception("bus handler for %r failed on %s", self.pattern, item[0])
            finally:
                self.queue.task_done()
        self.queue.task_done()
        if self.lanes is not None:
            await self.lanes.join()

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

    async def publish(self, subject: str, payload: bytes) -> None:
        self.published += 1
        for sub in list(self._subs):
            if subject_matches(sub.pattern, subject):
                sub.queue.put_nowait((subject, payload))

    async def subscribe(self, pattern: str, handler: Handler, *, lane: LaneKey | None = None) -> Subscription:
        sub = _LocalSubscription(self, pattern, handler)
        if lane is not None:
            sub.lanes = Lanes(pattern, handler, lane, sub.queue.task_done)
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
