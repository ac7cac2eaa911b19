"""A stop must reach a persona even when a DevTools reply lands in the same loop step (cdp.reply_within)."""

from __future__ import annotations

import asyncio

import pytest

from workbench.sim.cdp import reply_within


async def test_a_cancel_that_lands_with_the_reply_is_not_lost():
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    after: list[str] = []

    async def caller() -> None:
        await reply_within(future, 5.0)
        after.append("kept going")  # what a swallowed cancel looks like: the persona plays on
        await asyncio.sleep(0)

    task = asyncio.create_task(caller())
    await asyncio.sleep(0)  # the caller is now waiting for the reply

    def reply_and_stop() -> None:  # the reply and the TUI's stop in one loop step
        future.set_result("ok")
        task.cancel()

    loop.call_soon(reply_and_stop)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert after == []


async def test_a_reply_in_time_is_returned_and_a_late_one_times_out():
    loop = asyncio.get_running_loop()
    quick: asyncio.Future[int] = loop.create_future()
    loop.call_later(0.01, quick.set_result, 7)
    assert await reply_within(quick, 1.0) == 7
    with pytest.raises(TimeoutError):
        await reply_within(loop.create_future(), 0.05)
