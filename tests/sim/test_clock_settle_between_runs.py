"""A virtual clock settles with the pipeline before each run (workbench.sim.clock): what the page sent counts
from where it was sent, including a batch that input *between* two runs made it send (a click's priority
flush, a full buffer). Before, the clock saw only what it read at the end of its last run, so such a batch
raced the next run: on a loaded machine Seer's answer to it reached the page seconds of page time later
(within a long run: a dwell, a tab away) than on an idle one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, async_playwright

from workbench.sim import browser as browsers
from workbench.sim.clock import VirtualClock

pytestmark = pytest.mark.browser

# a page that "sends a batch" on each click, as the producer's priority flush does in its click handler
PAGE = "<body><script>window.sent = 0; document.addEventListener('click', () => { window.sent += 1; });</script></body>"


@contextlib.asynccontextmanager
async def clocked(content: str, *, unbuffered: bool = False) -> AsyncIterator[tuple[Page, VirtualClock, list]]:
    """A page of ``content`` under a virtual clock whose settle records (what it was given, the page's time)."""
    settled: list[tuple[object, int]] = []
    async with async_playwright() as pw:
        browser = await browsers.launch(pw)
        try:
            page = await browser.new_page()

            async def settle(reported: object) -> None:
                settled.append((reported, int(await page.evaluate("Date.now()"))))

            clock = VirtualClock(settle=settle, report="window.sent", unbuffered=unbuffered)
            await clock.prepare(page)
            await page.set_content(content)
            await clock.ready(page)
            yield page, clock, settled
        finally:
            await browser.close()


@pytest.mark.parametrize("unbuffered", [False, True], ids=["in-page hook", "controller"])
async def test_what_input_between_runs_sent_is_settled_before_the_next_run(unbuffered):
    async with clocked(PAGE, unbuffered=unbuffered) as (page, clock, settled):
        await clock.advance(50)
        await page.mouse.click(10, 10)  # between runs: the page sends one
        before = await page.evaluate("Date.now()")
        await clock.advance(5000)  # one long run (a dwell)
        assert await page.evaluate("window.sent") == 1
    # the long run waited for the click's batch: settle was told of it at the page time the click was sent
    assert (1, before) in settled, settled
    assert all(t <= before for reported, t in settled if reported == 0 or reported is None)


# a page that "sends a batch" from a timer 1 s into its life, as the producer's interval flush does mid-dwell
TIMED = "<body><script>window.sent = 0; setTimeout(() => { window.sent += 1; }, 1000);</script></body>"


@pytest.mark.parametrize("unbuffered", [False, True], ids=["in-page hook", "controller"])
async def test_a_long_run_returns_right_after_the_chunk_in_which_the_page_sent_a_batch(unbuffered):
    # Seer's answer must reach the page at the same page time however long the pipeline takes in wall time:
    # the run stops just past the sampler tick of the batch, settles (the answer is taken in then), runs on.
    async with clocked(TIMED, unbuffered=unbuffered) as (page, clock, settled):
        start = clock.t
        await clock.advance(5000)  # one long run (a dwell) with a batch sent 1 s into it
        assert clock.t == start + 5000 == await page.evaluate("Date.now()")
        assert (clock.runs, clock.split) == (1, 1)
        await clock.advance(5000)  # nothing sent: one round trip
        assert (clock.runs, clock.split) == (2, 1)
    assert settled == [(None, start), (1, start + 1001), (1, start + 5000)]


async def test_settled_takes_in_what_input_sent_since_the_last_run_without_running_the_clock():
    # the actor settles before it takes Seer's messages from the page after a step: a click at the end of the
    # step (no run after it) may have sent the batch Seer answers
    async with clocked(PAGE) as (page, clock, settled):
        await clock.advance(50)
        await page.mouse.click(10, 10)
        before = await page.evaluate("Date.now()")
        await clock.settled()
        after = await page.evaluate("Date.now()")
    assert settled[-1] == (1, before) and after == before
