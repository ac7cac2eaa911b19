"""The message bus seam (EITP v1.1 section 4.2 subjects) and its in-process implementation.

Everything downstream of the bridge talks through :class:`Bus`. The default
:class:`InProcessBus` keeps the workbench in one process with no services; a NATS
implementation (nats-py against a real nats-server) plugs in behind the same protocol.
Subjects and wildcards follow NATS: ``*`` matches one token, a trailing ``>`` the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from workbench.bridge.codec import subject_matches

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Awaitable[None]]

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

    async def subscribe(self, pattern: str, handler: Handler) -> Subscription: ...

    async def drain(self) -> None:
        """Wait until every message published so far has been handled."""
        ...

    async def close(self) -> None: ...


@dataclass(eq=False)
class _LocalSubscription:
    bus: InProcessBus
    pattern: str
    handler: Handler
    queue: asyncio.Queue[tuple[str, bytes] | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while (item := await self.queue.get()) is not None:
            try:
                await self.handler(*item)
            except Exception:  # a faulty subscriber must not stop delivery to the others
                log.exception("bus handler for %r failed on %s", self.pattern, item[0])
            finally:
                self.queue.task_done()
        self.queue.task_done()

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

    async def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        sub = _LocalSubscription(self, pattern, handler)
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
