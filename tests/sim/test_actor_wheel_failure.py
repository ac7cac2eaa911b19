"""A wheel notch sends the wheel event and a page function that waits for the scroll together. When one of
them fails (the page closed under it), the other is not left running behind the failed session.

No browser: a page whose scroll waiter never resolves, and a pointer whose wheel fails as Playwright's does."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from synthetic.motion import CALM
from workbench.sim import actor as A


class Page:
    viewport_size = {"width": 1280, "height": 800}

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.waiter_ended = False

    async def evaluate(self, function: str, arg: Any = None) -> Any:
        if function == A._GEOMETRY:
            return {"top": 0.0, "y": 0.0, "max": 4000.0}
        assert function == A._SCROLLED, function
        self.waiting.set()
        try:
            await asyncio.sleep(60)  # the page never scrolls
        finally:
            self.waiter_ended = True


class Pointer:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def wheel(self, dy: float) -> None:
        await self.page.waiting.wait()
        raise RuntimeError("Target page, context or browser has been closed")


class Clock:
    def now(self) -> float:
        return 0.0


async def test_a_failed_wheel_event_leaves_no_scroll_waiter_running():
    page = Page()
    actor = A.PlaywrightActor(page, np.random.default_rng(1), CALM,  # type: ignore[arg-type]
                              clock=Clock(), pointer=Pointer(page))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="browser has been closed"):
        await actor._wheel(120.0)
    assert page.waiter_ended
