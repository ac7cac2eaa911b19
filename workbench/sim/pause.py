"""Pausing a run between persona steps (the TUI's F6).

The gate is thread-safe because the TUI drives the runner on another thread's loop. The
runner wraps each persona's actor in :class:`PausableActor`, which waits on the gate before
every step, so a pause never cuts a movement in half. Event time simply shows a gap, as if
the shopper looked away. Time spent paused does not count against the session's time limit.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
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

class PausableActor:
    """Delegates to an actor; every coroutine method first waits for the gate to open.

    ``limit``: the session's ``asyncio.timeout``; it is pushed back by each pause's length.
    """

    def __init__(self, actor: Any, gate: PauseGate, limit: asyncio.Timeout | None = None) -> None:
        self._actor = actor
        self._gate = gate
        self._limit = limit

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._actor, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def gated(*args: Any, **kwargs: Any) -> Any:
            await self._gate.wait(self._extend)
            return await attr(*args, **kwargs)

        return gated

    def _extend(self, seconds: float) -> None:
        """Push the session's limit back while paused, so the limit cannot strike mid-pause."""
        if self._limit is not None and (when := self._limit.when()) is not None:
            self._limit.reschedule(when + seconds)
