"""Transport defects a review of the producer demonstrated (spec 4.1, 4.3, 4.4, 4.6, 10.5): half an
emoji cut by a length limit, a keepalive that closed a healthy socket, a stop() that left timers
and listeners running, events older than the bridge's clock fence, and page content so large that
batches went out one event a frame.
"""

from __future__ import annotations

import asyncio
import json
import time

import orjson
import pytest
from producer_harness import MockBridge, make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def eventually(check, timeout: float = 5.0, message: str = "condition"):
    """wait_until for an async check (a fake clock's page cannot poll by itself)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        await asyncio.sleep(0.02)


SURROGATE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Deals</title></head><body>
<section id="hero" style="padding: 40px">
  <button id="deal">{label}</button>
  <table><thead><tr><th>Spec</th><th>Value</th></tr></thead>
  <tbody><tr><td>Delivery</td><td>{cell}</td></tr></tbody></table>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_a_length_limit_never_cuts_an_emoji_in_half(open_site):
    # a click's text is cut at 50 UTF-16 units, a table cell at 120: each emoji here straddles the cut
    label = "x" * 49 + "\U0001F525 Hot deal"
    cell = "Includes " + "x" * 110 + "\U0001F690 delivery"
    site = await open_site("/rv/surrogate-test.html", html=SURROGATE_PAGE.format(label=label, cell=cell))
    await site.page.click("#deal")
    await site.flush()
    for pub in site.bridge.pubs:
        orjson.loads(pub.raw)  # as the bridge parses it: a lone surrogate is not JSON it takes
    assert site.bridge.events("click")[-1]["data"]["target"]["text"] == "x" * 49
    rows = site.bridge.payloads()[-1]["pageContent"]["tables"][0]["rows"]
    assert rows == [["Delivery", "Includes " + "x" * 110]]


async def test_a_health_ping_just_before_the_keepalive_tick_does_not_close_the_socket(open_site):
    site = await open_site(clock=True)
    bridge, page = site.bridge, site.page
    start = bridge.events("connection")[0]["timestamp"]  # the keepalive interval started then
    await site.tick(start + 30_000 - 30 - await site.now())
    await asyncio.sleep(0.1)
    assert bridge.pings == 1
    # the tab comes back 5 ms before the tick (section 4.4's health PING); its PONG is held until after the
    # tick (were it let through, it could land first in the same clock advance, and nothing would be tested)
    bridge.reply_pong = False
    await page.evaluate("""() => setTimeout(() => {
        for (const state of ['hidden', 'visible']) {
            Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
            document.dispatchEvent(new Event('visibilitychange'));
        }
    }, 25)""")
    await site.tick(100)
    await wait_until(lambda: bridge.pings == 2, message="the health PING")
    await asyncio.sleep(0.3)
    stats = await site.stats()
    assert bridge.closes == [] and stats["connection"] == "open" and stats["lastError"] is None
    assert bridge.pings == 2  # the tick sent none: one PING, 5 ms old, awaits its PONG
    bridge.reply_pong = True
    bridge.send(b"PONG\r\n")  # the health PING's answer, late but well within an interval
    await eventually(lambda: page.evaluate("() => window.EITP.stats().pongsReceived === 2"), message="its PONG")
    await site.tick(30_000)  # the next tick pings as usual
    await wait_until(lambda: bridge.pings == 3, message="the next keepalive PING")
    assert bridge.connections == 1


async def test_a_health_ping_left_unanswered_a_whole_interval_still_closes_the_socket(open_site):
    cfg = make_config(transport={"keepaliveMs": 1000, "reconnectBaseMs": 60_000})
    site = await open_site(config=cfg, clock=True)
    bridge = site.bridge
    start = bridge.events("connection")[0]["timestamp"]
    await site.tick(start + 1000 - 20 - await site.now())
    await asyncio.sleep(0.1)
    bridge.reply_pong = False
    await site.set_visibility("hidden")
    await site.set_visibility("visible")  # a health PING 20 ms before the tick, never answered
    await wait_until(lambda: bridge.pings == 2, message="the health PING")
    await site.tick(20)
    await asyncio.sleep(0.2)
    assert bridge.closes == []  # 20 ms old: its PONG may still come
    await site.tick(1000)
    await wait_until(lambda: bridge.closes, message="the dead link closed")
    assert (await site.stats())["lastError"] == "keepalive timeout"


STOP_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Consent</title></head><body>
<section id="s" style="padding: 40px"><p>Our service desk answers within a day.</p></section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""

# Counts what the producer's code attached (by the call's stack; Playwright's injected script
# attaches its own): live intervals, listeners on the window and the document's nodes, and
# observing MutationObservers.
STOP_PROBE = """(() => {
  const mine = () => /producer\\.js/.test(new Error().stack);
  const intervals = new Set(), listeners = [];
  let observing = 0;
  const si = window.setInterval, ci = window.clearInterval;
  window.setInterval = function () {
    const id = si.apply(window, arguments); if (mine()) intervals.add(id); return id;
  };
  window.clearInterval = function (id) { intervals.delete(id); return ci.call(window, id); };
  const capture = (o) => typeof o === 'object' && o !== null ? !!o.capture : !!o;
  const find = (t, type, fn, o) =>
    listeners.findIndex((l) => l[0] === t && l[1] === type && l[2] === fn && l[3] === capture(o));
  const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (type, fn, o) {
    const page = this === window || this instanceof Node; // not a (mock) WebSocket's own
    if (page && mine() && find(this, type, fn, o) === -1) listeners.push([this, type, fn, capture(o)]);
    return add.apply(this, arguments);
  };
  EventTarget.prototype.removeEventListener = function (type, fn, o) {
    const i = find(this, type, fn, o);
    if (i !== -1) listeners.splice(i, 1);
    return remove.apply(this, arguments);
  };
  const MO = window.MutationObserver;
  window.MutationObserver = class extends MO {
    observe(...a) { if (!this.__on && mine()) { this.__on = true; observing++; } return super.observe(...a); }
    disconnect() { if (this.__on) { this.__on = false; observing--; } return super.disconnect(); }
  };
  window.__snapshot = () => ({intervals: intervals.size, listeners: listeners.length, observing});
})();"""


async def test_stop_takes_down_every_timer_listener_and_observer(open_site):
    site = await open_site("/rv/stop-test.html", html=STOP_PAGE, init_script=STOP_PROBE)
    page = site.page
    running = await page.evaluate("() => window.__snapshot()")
    assert running["intervals"] == 3 and running["listeners"] >= 15 and running["observing"] == 1
    assert await page.evaluate("() => window.EITP.stop()") is True
    assert await page.evaluate("() => window.__snapshot()") == {"intervals": 0, "listeners": 0, "observing": 0}


BIG_TABLE_CELL = ("Standard on this trim: heated mirrors, LED lighting, power awning, solar prep, 12V fridge, "
                  "outdoor kitchen and more")
BIG_TABLE = ("<table><thead><tr>" + "".join(f"<th>Trim {i}</th>" for i in range(10)) + "</tr></thead><tbody>"
             + ("<tr>" + "".join(f"<td>{BIG_TABLE_CELL}</td>" for _ in range(10)) + "</tr>") * 15
             + "</tbody></table>")
BIG_PAGE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Compare trims</title></head><body>
<section id="compare"><h1>Compare every trim</h1>{BIG_TABLE}{BIG_TABLE}{BIG_TABLE}</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_page_content_over_the_message_limit_does_not_split_batches_into_single_events(open_site):
    site = await open_site("/rv/big-test.html", html=BIG_PAGE)
    page = site.page
    content = await page.evaluate("() => window.EITP.pageContent()")
    assert len(json.dumps(content, ensure_ascii=False).encode()) <= 25_000  # half of maxMessageBytes
    assert content["pageTitle"] == "Compare trims" and content["h1"] == "Compare every trim"
    assert content["tables"] and content["tables"][0]["rows"][0][0] == BIG_TABLE_CELL
    await site.flush()
    n = len(site.bridge.pubs)
    await page.evaluate("() => { for (let i = 0; i < 60; i++) window.EITP.track('custom_test', {i}); }")
    await site.flush()
    await wait_until(lambda: len(site.bridge.events("custom_test")) == 60, message="60 events")
    assert len(site.bridge.pubs) - n == 2  # a batch of 50 and one of 10
    for pub in site.bridge.pubs:
        assert len(f"PUB telemetry.raw {pub.size}\r\n".encode()) + pub.size + 2 <= 50_000
    stats = await site.stats()
    assert stats["errors"] == 0 and stats["drops"] == 0


async def test_batches_split_for_size_wait_for_the_pub_rate(open_site):
    # 8 events of 22 KB go 2 a frame: 4 frames, of which the bridge takes 2 a second
    cfg = make_config(transport={"maxEventsPerSecond": 0, "maxPubsPerSecond": 2})
    site = await open_site(config=cfg, clock=True)
    await site.tick(1000)
    await site.flush()
    await asyncio.sleep(0.05)
    n = len(site.bridge.pubs)
    await site.tick(1000)
    await site.page.evaluate(
        "() => { for (let i = 0; i < 8; i++) window.EITP.track('custom_big', {i, blob: 'x'.repeat(22000)}); }")
    assert await site.page.evaluate("() => window.EITP.flush('test')") == 4
    await wait_until(lambda: len(site.bridge.pubs) == n + 2, message="two PUBs")
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n + 2
    await site.tick(1000)
    await wait_until(lambda: len(site.bridge.events("custom_big")) == 8, message="the rest a second later")
    assert len(site.bridge.pubs) == n + 4
    assert [e["data"]["i"] for e in site.bridge.events("custom_big")] == list(range(8))


async def test_events_older_than_the_bridges_clock_fence_are_dropped_before_sending(open_site, static_server):
    # 70 s without a network: what was buffered before is older than transport.maxClockSkewMs
    # (60 s), and the bridge would refuse a batch holding it, fresh events and all.
    bridge = MockBridge()
    cfg = make_config(transport={"reconnectMaxAttempts": 0})
    site = await open_site(config=cfg, clock=True, bridge=bridge)
    page = site.page
    sid = await site.eitp("sessionId")
    await page.route("**/bridge/batch", lambda route: route.abort())  # the network is down
    bridge.refuse = True
    await bridge.ws.close()
    await eventually(lambda: page.evaluate("() => window.EITP.stats().transport === 'http'"), message="HTTP")
    await page.evaluate("() => { window.EITP.track('before_outage', {}); window.EITP.flush('test'); }")
    await eventually(lambda: page.evaluate("() => window.EITP.stats().httpErrors >= 1"
                                           " && window.EITP.stats().buffered >= 1"),
                     message="the failed POST's events back in the buffer")
    await site.tick(70_000)
    await asyncio.sleep(0.3)
    await page.unroute("**/bridge/batch")  # the network is back
    await page.evaluate("() => { window.EITP.track('after_outage', {}); window.EITP.flush('test'); }")

    def bodies():
        with static_server.lock:
            found = [json.loads(p["body"]) for p in static_server.posts]
        return [b for b in found if b.get("sessionId") == sid]

    await wait_until(lambda: any(e["type"] == "after_outage" for b in bodies() for e in b["events"]),
                     message="the catch-up POST")
    sent = [e["type"] for b in bodies() for e in b["events"]]
    assert "after_outage" in sent and "before_outage" not in sent
    for body in bodies():
        assert all(abs(e["timestamp"] - body["timestamp"]) <= 60_000 for e in body["events"])
    stats = await site.stats()
    assert stats["staleDrops"] >= 1 and stats["buffered"] == 0
