"""Section 4.3 batching and 4.1 keepalive at the spec defaults, each on both sides of its boundary:
batch size 50, priority threshold 40, flush interval 3000 ms, buffer cap 500 (oldest dropped),
keepalive PING every 30 s, flush on beforeunload; and the 4.6 send-rate limits the producer honours."""

from __future__ import annotations

import asyncio

import pytest
from producer_harness import MockBridge, make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def track(site, n: int, start: int = 0, type_: str = "custom_test") -> None:
    await site.page.evaluate(
        "([n, s, t]) => { for (let i = s; i < s + n; i++) window.EITP.track(t, {i}); }", [n, start, type_])


async def quiet(site) -> int:
    """Flush whatever is buffered and return the number of PUBs so far."""
    await site.flush()
    await asyncio.sleep(0.05)
    assert (await site.stats())["buffered"] == 0
    return len(site.bridge.pubs)


async def test_batch_size_49_vs_50(open_site):
    site = await open_site(clock=True)
    n = await quiet(site)
    await track(site, 49)
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n and (await site.stats())["buffered"] == 49
    await track(site, 1, start=49)
    await wait_until(lambda: len(site.bridge.pubs) == n + 1, message="flush at 50 events")
    assert [e["data"]["i"] for e in site.bridge.pubs[n].payload["events"]] == list(range(50))
    assert (await site.stats())["lastFlushReason"] == "batch_size"


async def test_priority_threshold_39_vs_40(open_site):
    site = await open_site(clock=True)
    n = await quiet(site)
    await track(site, 45)                               # 45 ordinary events: no early flush
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n
    n = await quiet(site)
    await track(site, 38)
    await site.page.mouse.click(640, 780)               # a priority event: 39 buffered
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n and (await site.stats())["buffered"] == 39
    await track(site, 1, start=38)                      # 40 buffered, one of them a priority event
    await wait_until(lambda: len(site.bridge.pubs) == n + 1, message="priority flush at 40")
    events = site.bridge.pubs[n].payload["events"]
    assert len(events) == 40 and events[38]["type"] == "click"
    assert (await site.stats())["lastFlushReason"] == "priority"


# Section 4.3: "click, rage_click, form_submit, text_selection_with_price, viewport_approach,
# mouse_pause, and all proximity events" (the proximity engine's, Appendix A: pricing_comparison too)
PRIORITY = ["click", "rage_click", "form_submit", "text_selection_with_price", "viewport_approach", "mouse_pause",
            "price_proximity", "price_proximity_enter", "demo_cta_proximity_leave", "purchase_button_hover",
            "pricing_comparison"]
ORDINARY = ["mouse", "scroll", "text_selection", "tab_switch", "form_focus", "mouse_exit"]


@pytest.mark.parametrize("type_", PRIORITY + ORDINARY)
async def test_which_events_flush_early(open_site, type_):
    site = await open_site(clock=True)
    n = await quiet(site)
    await track(site, 39)
    await track(site, 1, start=39, type_=type_)         # 40 buffered, the last one of this type
    if type_ in PRIORITY:
        await wait_until(lambda: len(site.bridge.pubs) > n, message=f"a flush for {type_}")
    else:
        await asyncio.sleep(0.1)
        assert len(site.bridge.pubs) == n, (type_, (await site.stats())["buffered"])


async def test_flush_interval_2999_vs_3000(open_site):
    site = await open_site(clock=True)
    start = site.bridge.events("connection")[0]["timestamp"]   # the producer's timers start with it
    n = await quiet(site)
    now = await site.now()
    due = start + 3000 * ((now - start) // 3000 + 1)
    await track(site, 1)
    await site.tick(due - now - 1)
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n
    await site.tick(1)
    await wait_until(lambda: len(site.bridge.pubs) == n + 1, message="interval flush")
    assert site.bridge.pubs[n].payload["timestamp"] == due
    assert (await site.stats())["lastFlushReason"] == "interval"


async def test_buffer_cap_500_drops_oldest(open_site):
    bridge = MockBridge(reply_ok=False, reply_pong=False)   # the handshake never completes
    site = await open_site(clock=True, bridge=bridge, wait_connected=False)
    await wait_until(lambda: bridge.connects, message="CONNECT")
    await track(site, 600)
    await site.tick(3500)
    stats = await site.stats()
    assert stats["buffered"] == 500 and stats["drops"] == 101   # the connection event + customs 0..99
    assert bridge.pubs == []
    bridge.send(b"+OK\r\n")
    await wait_until(lambda: len(bridge.events("custom_test")) == 500, message="buffer flushed")
    assert [e["data"]["i"] for e in bridge.events("custom_test")] == list(range(100, 600))
    assert all(len(p.payload["events"]) <= 50 for p in bridge.pubs)


async def test_keepalive_ping_every_30_s(open_site):
    site = await open_site(clock=True)
    start = site.bridge.events("connection")[0]["timestamp"]
    assert site.bridge.pings == 1                                # the PING after CONNECT
    await site.tick(start + 30_000 - await site.now() - 1)
    await asyncio.sleep(0.1)
    assert site.bridge.pings == 1
    await site.tick(1)
    await wait_until(lambda: site.bridge.pings == 2, message="keepalive PING at 30 s")
    await site.pongs_received(2)
    await site.tick(30_000)
    await wait_until(lambda: site.bridge.pings == 3, message="keepalive PING at 60 s")
    assert (await site.stats())["connection"] == "open"


async def test_flush_on_beforeunload(open_site, static_server):
    site = await open_site()
    await site.flush()
    await site.page.evaluate("() => window.EITP.track('unload_probe', {n: 1})")
    await site.page.goto(static_server.base_url + "/common/site.css")  # leaving the page
    await wait_until(lambda: site.bridge.events("unload_probe"), message="final batch on beforeunload")


async def test_send_rate_limits(open_site):
    cfg = make_config(transport={"maxEventsPerSecond": 100, "maxPubsPerSecond": 0})
    site = await open_site(config=cfg, clock=True)
    await site.tick(1000)                                        # out of the connect flush's second
    n = await quiet(site)
    await site.tick(1000)
    await track(site, 250)
    await wait_until(lambda: len(site.bridge.events("custom_test")) == 100, message="first 100")
    await site.tick(999)
    await asyncio.sleep(0.1)
    assert len(site.bridge.events("custom_test")) == 100
    await site.tick(1)
    await wait_until(lambda: len(site.bridge.events("custom_test")) == 200, message="next 100 a second later")
    await site.tick(1000)
    await wait_until(lambda: len(site.bridge.events("custom_test")) == 250, message="the rest")
    assert [e["data"]["i"] for e in site.bridge.events("custom_test")] == list(range(250))
    assert len(site.bridge.pubs) - n == 5 and (await site.stats())["drops"] == 0


async def test_pub_rate_limit(open_site):
    cfg = make_config(transport={"maxEventsPerSecond": 0, "maxPubsPerSecond": 2, "batchSize": 10})
    site = await open_site(config=cfg, clock=True)
    await site.tick(1000)
    n = await quiet(site)
    await site.tick(1000)
    await track(site, 45)
    await wait_until(lambda: len(site.bridge.pubs) == n + 2, message="two PUBs")
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n + 2
    await site.tick(1000)
    await wait_until(lambda: len(site.bridge.pubs) == n + 4, message="two more a second later")
    await site.tick(1000)
    await wait_until(lambda: len(site.bridge.events("custom_test")) == 45, message="the rest")
    assert [e["data"]["i"] for e in site.bridge.events("custom_test")] == list(range(45))
