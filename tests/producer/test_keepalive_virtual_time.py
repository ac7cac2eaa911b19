"""Keepalive (spec 4.2) under a virtual clock: one clock run past two keepalive ticks (a persona away
from the tab for 50 s in one VirtualClock.advance) leaves the PONG, a real round trip, no time to
arrive between them.  A PING a tick sent is timed out only when it is still unanswered at the next
tick but one; a PONG that comes late keeps the socket open."""

from __future__ import annotations

import asyncio

import pytest
from producer_harness import make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def test_one_clock_run_past_two_keepalive_ticks_keeps_a_healthy_socket(open_site):
    cfg = make_config(transport={"keepaliveMs": 1000, "reconnectBaseMs": 60_000})
    site = await open_site(config=cfg, clock=True)
    bridge = site.bridge
    start = bridge.events("connection")[0]["timestamp"]  # the keepalive interval started then
    await site.tick(start + 1000 - 100 - await site.now())
    await asyncio.sleep(0.1)
    # the bridge answers, but its PONG arrives only after the clock has run past the next two ticks
    bridge.reply_pong = False
    await site.tick(1500)  # the 1 s tick sends a PING; the 2 s tick finds it unanswered, an interval old
    await wait_until(lambda: bridge.pings == 2, message="the keepalive PING")
    await asyncio.sleep(0.2)
    stats = await site.stats()
    assert bridge.closes == [] and stats["lastError"] is None and stats["connection"] == "open"
    bridge.send(b"PONG\r\n")  # the late answer
    bridge.reply_pong = True
    await site.page.wait_for_function("() => window.EITP.stats().pongsReceived === 2", polling=10)
    for _ in range(3):  # and the keepalive goes on as before
        await site.pongs_received(bridge.pings)
        await site.tick(1000)
    await wait_until(lambda: bridge.pings == 5, message="the next keepalive PINGs")
    await site.page.wait_for_function("() => window.EITP.stats().pongsReceived === 5", polling=10)
    stats = await site.stats()
    assert bridge.closes == [] and bridge.connections == 1 and stats["reconnects"] == 0
