"""Between persona steps: pausing a run (the TUI's F6) and answering Seer's chat.

The runner wraps each persona's actor in :class:`StepDriver`. Before every step the persona
takes it waits on the gate, so a pause never cuts a movement in half; after it, the actor
answers what the chat showed meanwhile. The gate is thread-safe because the TUI drives the
runner on another thread's loop. Event time simply shows a gap, as if
the shopper looked away. Time spent paused counts neither against the session's time limit
nor against the persona's own session length (:attr:`StepDriver.elapsed_ms`).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any

POLL_S = 0.05
"""How often a paused persona looks at the gate (wall time: a pause is a person at the keyboard)."""


class PauseGate:
    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def toggle(self) -> bool:
        """Pause if running, resume if paused; returns whether it is now paused."""
        self.resume() if self.paused else self.pause()
        return self.paused

    async def wait(self, on_tick: Callable[[float], None] | None = None) -> None:
        """Return once the gate is open; ``on_tick(seconds)`` after each poll spent waiting."""
        loop = asyncio.get_running_loop()
        while not self._running.is_set():
            before = loop.time()
            await asyncio.sleep(POLL_S)
            if on_tick is not None:
                on_tick(loop.time() - before)


class StepDriver:
    """Delegates to an actor; around every coroutine method the persona calls (one step):
    the ``gate`` first, then ``after`` (e.g. :meth:`PlaywrightActor.answer_chat`). Calls the
    actor makes on itself inside a step pass neither.

    ``limit``: the session's ``asyncio.timeout``; it is pushed back by each pause's length.
    ``elapsed_ms`` is the actor's, less the time that passed on its clock while paused (all of
    a pause on the wall clock, none on a virtual clock, which stands still meanwhile), so a
    task-driven persona's ``session_ms`` is the visit's length without its pauses.
    """

    def __init__(self, actor: Any, gate: PauseGate | None = None, limit: asyncio.Timeout | None = None,
                 after: Callable[[], Awaitable[None]] | None = None) -> None:
        self._actor = actor
        self._gate = gate
        self._limit = limit
        self._after = after
        self.paused_ms = 0.0
        """Time that passed on the actor's clock while its persona waited at the gate."""

    @property
    def elapsed_ms(self) -> float:
        """The actor's ``elapsed_ms`` without the time spent paused."""
        return float(self._actor.elapsed_ms) - self.paused_ms

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._actor, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def step(*args: Any, **kwargs: Any) -> Any:
            await self._wait()
            result = await attr(*args, **kwargs)
            if self._after is not None:
                await self._after()
            return result

        return step

    async def _wait(self) -> None:
        """Wait at the gate; time the pause on the actor's own clock (if it has one)."""
        if self._gate is None:
            return
        before = getattr(self._actor, "elapsed_ms", None)  # a test double may have no clock
        waited = False

        def tick(seconds: float) -> None:
            nonlocal waited
            waited = True
            self._extend(seconds)

        await self._gate.wait(tick)
        if waited and before is not None:
            self.paused_ms += max(0.0, float(self._actor.elapsed_ms) - float(before))

    def _extend(self, seconds: float) -> None:
        """Push the session's limit back while paused, so the limit cannot strike mid-pause."""
        if self._limit is not None and (when := self._limit.when()) is not None:
            self._limit.reschedule(when + seconds)
