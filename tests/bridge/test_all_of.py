"""``all_of``: ``asyncio.gather`` that leaves nothing running behind it. A run once closed its browser
under a session still ending, because gather raised as soon as the session waiting for its turn was
cancelled, with the others still running."""

from __future__ import annotations

import asyncio

import pytest

from workbench.bus import all_of


async def slow_to_end(started: asyncio.Event, ended: list[str]) -> None:
    """Runs until cancelled, then takes a moment to end (as a trace saved or a page closed does)."""
    started.set()
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        await asyncio.sleep(0.2)
        ended.append("slow_to_end")
        raise


async def test_it_gives_every_result_in_order():
    async def later(value: int, s: float) -> int:
        await asyncio.sleep(s)
        return value

    assert await all_of(later(1, 0.02), later(2, 0.0), later(3, 0.01)) == [1, 2, 3]
    assert await all_of() == []


async def test_one_failing_ends_the_others_before_it_raises():
    ended: list[str] = []

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("Target page, context or browser has been closed")

    async def runs_on() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            ended.append("runs_on")

    with pytest.raises(RuntimeError, match="browser has been closed"):
        await all_of(fails(), runs_on())
    assert ended == ["runs_on"]


async def test_stopped_it_waits_for_one_that_takes_a_moment_to_end():
    ended: list[str] = []
    started = asyncio.Event()

    async def waits_for_its_turn() -> None:
        await asyncio.sleep(60)

    task = asyncio.ensure_future(all_of(waits_for_its_turn(), slow_to_end(started, ended)))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended == ["slow_to_end"]


async def test_a_child_cancelled_on_its_own_ends_the_others_before_it_raises():
    ended: list[str] = []
    child_started = asyncio.Event()

    async def cancelled_alone() -> None:
        asyncio.current_task().cancel()  # type: ignore[union-attr]
        await asyncio.sleep(0)

    with pytest.raises(asyncio.CancelledError):
        await all_of(cancelled_alone(), slow_to_end(child_started, ended))
    assert child_started.is_set() and ended == ["slow_to_end"]
