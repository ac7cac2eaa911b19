"""HTTP POST fallback (spec 4.4) against an endpoint that hangs: one POST at a time, the batches behind
it wait in the buffer, so the 500-event Max buffer (4.3) holds (the oldest dropped and counted),
stats() counts as sent only what a started POST carried, and a POST unanswered for a keepalive
interval is aborted and its events sent again once the endpoint answers."""

from __future__ import annotations

import asyncio
import json

import pytest
from producer_harness import MockBridge, make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def test_a_hung_post_endpoint_keeps_the_buffer_bounded_and_the_counts_true(open_site):
    cfg = make_config(transport={"reconnectMaxAttempts": 0, "keepaliveMs": 10_000})
    site = await open_site(config=cfg, clock=True, bridge=MockBridge(refuse=True), wait_connected=False)
    page = site.page
    held: list = []
    delivered: list[dict] = []
    answer = asyncio.Event()

    async def endpoint(route):
        if not answer.is_set():
            held.append(route)  # accepts the connection and never answers
            return
        delivered.append(json.loads(route.request.post_data))
        await route.fulfill(status=204, body="")

    await page.route("**/bridge/batch", endpoint)
    await page.wait_for_function("() => window.EITP.stats().transport === 'http'", polling=10)
    # (the connection event went out before the route was set: the test counts from here)
    await page.wait_for_function("() => window.EITP.stats().buffered === 0", polling=10)
    base = await site.stats()
    for i in range(6):  # 1,800 events over 6 s: 3 flush intervals
        await page.evaluate("(i) => { for (let k = 0; k < 300; k++) window.EITP.track('custom_load', {i, k}); }", i)
        await site.tick(1000)
    await wait_until(lambda: held, message="the first POST")
    stats = await site.stats()
    assert len(held) == 1 and stats["httpBatches"] == base["httpBatches"] + 1  # one POST at a time
    in_flight = len(json.loads(held[0].request.post_data)["events"])
    assert stats["eventsSent"] - base["eventsSent"] == in_flight == 50  # what the POST carried, no more
    assert stats["buffered"] == 500  # the 500-event cap holds ...
    assert stats["drops"] == 1800 - 500 - in_flight  # ... the oldest dropped and counted

    # 10 s (transport.keepaliveMs) without an answer: the POST is aborted, its events go back to the buffer
    answer.set()
    await site.tick(5000)
    await wait_until(lambda: delivered, message="the POST sent again")
    for _ in range(20):  # the endpoint answers: the buffer drains, one POST after another
        if (await site.stats())["buffered"] == 0:
            break
        await site.tick(3000)
    stats = await site.stats()
    assert stats["buffered"] == 0 and stats["httpErrors"] >= 1 and stats["lastError"] == "http timeout"
    events = [e for body in delivered for e in body["events"]]
    # the aborted POST's 50 went back to the front of a full buffer: dropped as the oldest
    assert stats["eventsSent"] - base["eventsSent"] == len(events) == 500
    assert stats["drops"] == 1800 - 500
    loads = [(e["data"]["i"], e["data"]["k"]) for e in events if e["type"] == "custom_load"]
    assert loads == sorted(loads) and loads[-1] == (5, 299)  # in order, the newest kept
