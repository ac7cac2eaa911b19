"""Section 4.4 through a dropped connection, on the fake clock: the backoff delays
min(base * 2^attempt, max) + random(0, 1000) with a stubbed Math.random, the maximum attempts, the
HTTP POST fallback with the same envelope, and no event lost that fit the buffer."""

from __future__ import annotations

import asyncio
import json

import pytest
from producer_harness import STUB_RANDOM, MockBridge, make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

ENVELOPE_KEYS = {"type", "events", "sessionId", "tenantId", "vertical", "pageContent", "timestamp"}


def posted(static_server, sid: str) -> list[dict]:
    with static_server.lock:
        bodies = [json.loads(p["body"]) for p in static_server.posts]
    return [b for b in bodies if b.get("sessionId") == sid]


async def attempts(site) -> int:
    return (await site.stats())["reconnectAttempt"]


async def step_backoff(site, bridge: MockBridge, k: int, expected_delay: int) -> None:
    """Attempt k was scheduled: no new socket 1 ms before the delay, a new socket at the delay."""
    connections = bridge.connections
    await site.tick(expected_delay - 1)
    await asyncio.sleep(0.05)
    assert bridge.connections == connections, f"attempt {k} reconnected before {expected_delay} ms"
    await site.tick(1)
    await wait_until(lambda: bridge.connections == connections + 1, message=f"reconnect attempt {k}")


async def test_backoff_delays_then_post_fallback_loses_nothing(open_site, static_server):
    bridge = MockBridge()
    sid = "sq_backoff_default"
    site = await open_site(config=make_config(sessionId=sid), clock=True, bridge=bridge, init_script=STUB_RANDOM)
    page = site.page
    await site.move_ticks([(300, 300), (340, 320)])
    await site.flush()
    sent_before = (await site.stats())["eventsSent"]
    assert sent_before == len(bridge.events())

    jitter_r = [0.1, 0.3, 0.5, 0.7, 0.9]                 # Math.random() for attempts 0..4
    jitters = [int(r * 1001) for r in jitter_r]          # floor(random * 1001): 100, 300, 500, 700, 900
    await page.evaluate("(q) => { window.__randQueue = q; }", jitter_r)
    bridge.refuse = True
    pubs = len(bridge.pubs)
    await bridge.ws.close()                              # the drop

    n = 0
    for k, jitter in enumerate(jitters):
        await site.page.wait_for_function(f"() => window.EITP.stats().reconnectAttempt === {k + 1}", polling=10)
        stats = await site.stats()
        delay = min(1000 * 2 ** k, 30000) + jitter
        assert stats["reconnectDelayMs"] == delay and stats["connection"] == "reconnecting"
        # the page keeps producing telemetry while the bridge is down
        await page.evaluate("([a, b]) => { for (let i = a; i < b; i++) window.EITP.track('custom_test', {i}); }",
                            [n, n + 30])
        n += 30
        await site.move_ticks([(400 + 20 * k, 300), (420 + 20 * k, 330)])
        await page.mouse.click(420 + 20 * k, 330)        # priority event: flush attempted, must stay queued
        await step_backoff(site, bridge, k, delay - 100)  # move_ticks consumed 100 ms of the delay

    # the fifth reconnect failed as well: HTTP POST fallback with everything that was buffered
    await site.page.wait_for_function("() => window.EITP.stats().transport === 'http'", polling=10)
    # POSTs go one at a time, each batch leaving the buffer as the one before it is answered
    expected = (await site.stats())["totalEvents"] - sent_before
    await wait_until(lambda: sum(len(b["events"]) for b in posted(static_server, sid)) == expected,
                     message="POST fallback")
    stats = await site.stats()
    assert stats["eventsSent"] - sent_before == expected
    assert stats["transport"] == "http" and stats["connection"] == "http" and stats["reconnectAttempt"] == 5
    assert len(bridge.pubs) == pubs                       # nothing went out while down
    assert bridge.connections == 1 + 5
    batches = posted(static_server, sid)
    for b in batches:
        assert set(b) == ENVELOPE_KEYS and b["type"] == "telemetry_batch" and len(b["events"]) <= 50
    post_events = [e for b in batches for e in b["events"]]
    assert [e["data"]["i"] for e in post_events if e["type"] == "custom_test"] == list(range(n))
    assert sum(1 for e in post_events if e["type"] == "click") == 5
    assert stats["drops"] == 0 and stats["buffered"] == 0
    assert sent_before + len(post_events) == stats["totalEvents"]  # every event tracked was delivered once
    ts = [e["timestamp"] for e in post_events]
    assert ts == sorted(ts)                                          # in order

    # later telemetry keeps going over HTTP
    await page.evaluate("() => { window.EITP.track('after_fallback', {}); window.EITP.flush('t'); }")
    await wait_until(lambda: any(e["type"] == "after_fallback" for b in posted(static_server, sid)
                                 for e in b["events"]), message="later POST")


async def test_backoff_caps_at_max_delay_and_buffer_keeps_newest(open_site, static_server):
    sid = "sq_backoff_cap"
    # 92 s of backoff: a bridge whose clock fence (maxClockSkewMs) covers it, else the producer drops
    # the buffered events as too old for the bridge (test_transport_review.py)
    cfg = make_config(sessionId=sid, transport={"reconnectMaxAttempts": 7, "maxClockSkewMs": 120_000})
    bridge = MockBridge()
    site = await open_site(config=cfg, clock=True, bridge=bridge, init_script=STUB_RANDOM)
    await site.flush()
    await site.page.evaluate("() => { window.__randQueue = [0, 0, 0, 0, 0, 0, 0.9999]; }")
    bridge.refuse = True
    await bridge.ws.close()
    # 600 events while down: the 500-event buffer keeps the newest 500
    await site.page.wait_for_function("() => window.EITP.stats().reconnectAttempt === 1", polling=10)
    await site.page.evaluate("() => { for (let i = 0; i < 600; i++) window.EITP.track('custom_test', {i}); }")
    expected = [1000, 2000, 4000, 8000, 16000, 30000, 30000 + 1000]  # 2^5 and 2^6 s capped at 30 s
    for k, delay in enumerate(expected):
        await site.page.wait_for_function(f"() => window.EITP.stats().reconnectAttempt === {k + 1}", polling=10)
        assert (await site.stats())["reconnectDelayMs"] == delay
        await step_backoff(site, bridge, k, delay)
    await wait_until(lambda: sum(len(b["events"]) for b in posted(static_server, sid)) >= 500, message="POST fallback")
    events = [e for b in posted(static_server, sid) for e in b["events"]]
    assert [e["data"]["i"] for e in events] == list(range(100, 600))
    stats = await site.stats()
    assert stats["drops"] == 100 and stats["reconnectAttempt"] == 7


async def test_reconnect_resets_attempts_and_delivers_queue(open_site):
    """A bridge that comes back: the queued events go out on the new connection, attempts reset."""
    bridge = MockBridge()
    site = await open_site(config=make_config(), clock=True, bridge=bridge, init_script=STUB_RANDOM)
    await site.flush()
    await site.page.evaluate("() => { window.__randQueue = [0.25, 0.25]; }")
    bridge.refuse = True
    await bridge.ws.close()
    await site.page.wait_for_function("() => window.EITP.stats().reconnectAttempt === 1", polling=10)
    await site.page.evaluate("() => { for (let i = 0; i < 10; i++) window.EITP.track('while_down', {i}); }")
    await step_backoff(site, bridge, 0, 1000 + 250)
    await site.page.wait_for_function("() => window.EITP.stats().reconnectAttempt === 2", polling=10)
    bridge.refuse = False                                  # the bridge is back for attempt 1
    await step_backoff(site, bridge, 1, 2000 + 250)
    await wait_until(lambda: len(bridge.events("while_down")) == 10, message="queued events after reconnect")
    stats = await site.stats()
    assert stats["reconnectAttempt"] == 0 and stats["connection"] == "open" and stats["drops"] == 0
    assert [e["data"]["i"] for e in bridge.events("while_down")] == list(range(10))
