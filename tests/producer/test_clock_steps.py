"""The system clock stepping back (an NTP correction, a user setting the time, a VM resumed) must not
freeze what runs on intervals: the 20 Hz mouse sampler (3.1), rage-click bursts (3.3), the send pacer
(4.6 limits), the keepalive (4.2).  Event timestamps stay on the page's Date clock; events stamped
before a step back larger than the bridge's clock fence are dropped rather than sent with fresh ones
(the bridge would refuse the whole batch)."""

from __future__ import annotations

import asyncio

import pytest
from producer_harness import make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

HOUR_MS = 3_600_000


async def step_back(site, ms: int) -> None:
    """Set the page's Date clock back by ``ms`` (the timers' clock runs on)."""
    t = await site.now()
    await site.page.clock.set_system_time((t - ms) / 1000)
    assert t - await site.now() == ms


def within_fence(site, skew_ms: int = 60_000) -> bool:
    return all(abs(e["timestamp"] - p["timestamp"]) <= skew_ms for p in site.bridge.payloads() for e in p["events"])


async def test_sampler_rage_clicks_and_pacer_keep_going_after_the_clock_steps_back(open_site):
    site = await open_site(clock=True)
    page = site.page
    await site.tick(3100)  # the connection event has left; the pacer's second is clear
    await site.move_ticks([(300 + 9 * i, 300 + (i % 3) * 7) for i in range(10)])
    for _ in range(3):
        await page.mouse.click(500, 400)
        await site.tick(50)
    await site.flush()
    await site.tick(1100)
    # 500 events leave at once: the pacer's rolling second is full when the clock steps back
    await page.evaluate("() => { for (let i = 0; i < 500; i++) window.EITP.track('custom_before', {i}); }")
    await wait_until(lambda: len(site.bridge.events("custom_before")) == 500, message="500 events sent")
    before = site.bridge.events("mouse")[-1]["timestamp"]
    await step_back(site, HOUR_MS)

    await page.evaluate("() => { for (let i = 0; i < 10; i++) window.EITP.track('custom_after', {i}); }")
    await site.move_ticks([(600 + 9 * i, 400 + (i % 3) * 7) for i in range(20)])  # one second of movement
    for _ in range(3):
        await page.mouse.click(700, 450)
        await site.tick(50)
    await site.tick(3100)
    await site.flush()
    after = [e for e in site.bridge.events("mouse") if e["timestamp"] < before]
    assert len(after) >= 19  # a sample a tick, on the page's (stepped back) Date clock
    assert len(site.bridge.events("rage_click")) == 2
    assert [e["data"]["i"] for e in site.bridge.events("custom_after")] == list(range(10))
    stats = await site.stats()
    assert stats["staleDrops"] == 0 and stats["buffered"] == 0
    assert within_fence(site)


async def test_events_stamped_before_a_long_step_back_are_dropped_not_sent_with_fresh_ones(open_site):
    site = await open_site(config=make_config(transport={"flushIntervalMs": 60_000}), clock=True)
    page = site.page
    await site.flush()
    await page.evaluate("() => { for (let i = 0; i < 5; i++) window.EITP.track('before_step', {i}); }")
    await step_back(site, HOUR_MS)
    await page.evaluate("() => window.EITP.track('after_step', {})")
    await site.flush()
    assert site.bridge.events("after_step") and not site.bridge.events("before_step")
    assert within_fence(site)
    stats = await site.stats()
    assert stats["staleDrops"] == 5 and stats["buffered"] == 0


async def test_a_dead_link_is_still_found_after_the_clock_steps_back(open_site):
    cfg = make_config(transport={"keepaliveMs": 1000, "reconnectBaseMs": 60_000})
    site = await open_site(config=cfg, clock=True)
    bridge = site.bridge
    bridge.reply_pong = False
    start = bridge.events("connection")[0]["timestamp"]  # the keepalive interval started then
    await site.tick(start + 1000 + 10 - await site.now())  # the tick's PING, never answered
    await wait_until(lambda: bridge.pings == 2, message="the keepalive PING")
    await step_back(site, HOUR_MS)
    await site.tick(2000)
    await asyncio.sleep(0.2)
    await wait_until(lambda: bridge.closes, message="the dead link closed")
    assert (await site.stats())["lastError"] == "keepalive timeout"
