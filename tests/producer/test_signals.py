"""Signal capture: mouse kinematics and gestures, clicks / rage clicks, scroll, viewport, tabs
and the priority flush (spec 3.1 - 3.4, 3.6, 3.7, 4.3)."""

from __future__ import annotations

import asyncio
import math
import statistics
import time

import pytest
from producer_harness import make_config, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

MOUSE_FIELDS = {"x", "y", "vx", "vy", "ax", "ay", "jx", "jy", "speed", "jerk"}


async def scroll_to(site, js_target: str) -> None:
    """Scroll (instantly) and wait until the browser has dispatched the scroll event."""
    await site.page.evaluate("""(target) => {
        window.__scrolls = 0;
        addEventListener('scroll', () => { window.__scrolls++; }, {once: true});
        const y = typeof target === 'number'
            ? target : document.querySelector(target).getBoundingClientRect().top + scrollY;
        scrollTo(0, y);
    }""", js_target)
    await site.page.wait_for_function("() => window.__scrolls > 0", polling=10)


async def test_mouse_sampling_rate_real_time(open_site):
    site = await open_site()
    page = site.page
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < 2.0:
        await page.mouse.move(200 + (i * 7) % 800, 250 + (i * 3) % 300)
        i += 1
    await asyncio.sleep(0.3)  # let the cursor stop: one final speed-0 sample
    await site.flush()
    mouse = site.bridge.events("mouse")
    assert all(set(e["data"]) == MOUSE_FIELDS for e in mouse)
    assert not any(e["data"]["x"] == 0 and e["data"]["y"] == 0 for e in mouse)  # spurious (0,0) ignored
    ts = [e["timestamp"] for e in mouse if e["type"] == "mouse"]
    rate = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000)
    assert 15 <= rate <= 21, rate  # ~20 Hz (timer drift on a loaded machine lowers it slightly)
    assert 40 <= statistics.median(b - a for a, b in zip(ts, ts[1:], strict=False)) <= 60
    assert mouse[-1]["data"]["speed"] == 0 and mouse[-2]["data"]["speed"] > 0

    # idle cursor: no more samples
    count = len(mouse)
    await asyncio.sleep(0.5)
    await site.flush()
    assert len(site.bridge.events("mouse")) == count
    hist = await site.page.evaluate("() => window.EITP.history().length")
    assert 0 < hist <= 100


async def test_mouse_kinematics_with_fake_clock(open_site):
    site = await open_site(clock=True)
    await site.page.mouse.move(0, 0)  # like the spurious load move: ignored
    await site.tick(100)
    await site.move_ticks([(100 + 10 * i, 300) for i in range(10)])
    await site.move_ticks([(190, 300 + 20 * i) for i in range(1, 4)])
    await site.tick(500)
    await site.flush()
    mouse = [e["data"] for e in site.bridge.events("mouse")]
    ts = [e["timestamp"] for e in site.bridge.events("mouse")]
    assert mouse[0]["x"] == 100 and mouse[0]["speed"] == 0  # first sample: no derivative yet
    assert all(b - a == 50 for a, b in zip(ts, ts[1:], strict=False))
    steady = mouse[3:10]
    assert all(m["vx"] == 200 and m["vy"] == 0 and m["speed"] == 200 and m["ax"] == 0 for m in steady)
    turn = mouse[10]  # (190,300) -> (190,320): vx 200 -> 0, vy 0 -> 400
    assert turn["vx"] == 0 and turn["vy"] == 400 and turn["ax"] == -4000 and turn["ay"] == 8000
    assert turn["jerk"] == round(math.hypot(-4000 / 0.05, 8000 / 0.05))
    assert mouse[-1]["speed"] == 0 and mouse[-1]["y"] == 360  # single stop sample
    assert len(mouse) == 14


async def test_click_and_rage_click(open_site):
    site = await open_site(clock=True)
    box = await site.box("#btn-availability")
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    url = site.page.url
    for _ in range(4):  # 4 clicks, 100 ms apart: ONE rage_click
        await site.page.mouse.click(x, y)
        await site.tick(100)
    await site.tick(1000)
    for _ in range(3):  # 3 clicks spread over 1.2 s: no rage_click
        await site.page.mouse.click(x + 3, y)
        await site.tick(600)
    await site.flush()
    clicks = site.bridge.events("click")
    assert len(clicks) == 7
    c = clicks[0]["data"]
    assert c["target"] == {"tag": "button", "class": "btn btn-primary btn-small", "id": "btn-availability",
                           "text": "Check Availability"}
    assert abs(c["x"] - x) < 1 and abs(c["y"] - y) < 1
    assert isinstance(c["mouseVelocity"], int) and isinstance(c["mouseJerk"], int)
    rage = site.bridge.events("rage_click")
    assert len(rage) == 1
    assert rage[0]["data"] == {"count": 3, "area": 0}
    assert rage[0]["timestamp"] == clicks[2]["timestamp"]
    assert site.page.url == url  # the button really does nothing


async def test_scroll_events_and_boundaries(open_site):
    site = await open_site(clock=True)
    await scroll_to(site, "#pricing")
    await site.tick(150)
    await scroll_to(site, 600)
    await site.tick(150)
    await scroll_to(site, 100000)
    await site.tick(150)
    await scroll_to(site, 0)
    await site.tick(150)
    await site.flush()
    scrolls = site.bridge.events("scroll")
    assert [s["data"]["direction"] for s in scrolls] == ["down", "up", "down", "up"]
    first = scrolls[0]
    max_scroll = await site.page.evaluate("() => document.documentElement.scrollHeight - innerHeight")
    pricing_top = await site.page.evaluate(
        "() => document.getElementById('pricing').getBoundingClientRect().top + scrollY")
    assert first["data"]["depth"] == round(pricing_top / max_scroll * 100)
    assert abs(first["data"]["velocity"] - pricing_top / 0.1) <= 10  # dy over the 100 ms debounce window
    assert first["currentSection"] == "pricing"
    assert scrolls[1]["data"]["velocity"] < 0 and scrolls[1]["data"]["maxDepth"] == first["data"]["depth"]
    assert scrolls[2]["data"]["depth"] == 100 and scrolls[2]["data"]["maxDepth"] == 100
    assert scrolls[3]["data"]["depth"] == 0 and scrolls[3]["currentSection"] == "hero"
    bounds = [e["data"] for e in site.bridge.events("viewport_boundary")]
    assert bounds == [{"boundary": "bottom", "scrollDepth": 100}, {"boundary": "top", "scrollDepth": 0}]


async def test_gestures_circle_zigzag_pause(open_site):
    site = await open_site(clock=True)
    await scroll_to(site, "#features")  # plain text area: few proximity events
    await site.tick(150)
    cx, cy, r = 640, 420, 60
    circle = [(cx + r * math.cos(math.radians(30 * k)), cy + r * math.sin(math.radians(30 * k))) for k in range(13)]
    await site.move_ticks(circle)
    # fast horizontal shake with a slow downward drift: direction changes, not a circle
    zig = [(600 + (40 if k % 2 else -40), 300 + 5 * k) for k in range(12)]
    await site.move_ticks(zig)
    # rest for 1 s, then move on
    await site.move_ticks([(300, 400), (310, 400)])
    await site.tick(1000)
    await site.move_ticks([(400, 420), (500, 440)])
    await site.flush()
    circ = site.bridge.events("circular_motion")
    assert len(circ) == 1
    assert circ[0]["data"]["circularity"] > 0.85 and 50 <= circ[0]["data"]["radius"] <= 65
    assert circ[0]["data"]["duration"] == 450
    zz = site.bridge.events("direction_changes")
    assert zz and zz[0]["data"]["count"] > 6 and zz[0]["data"]["avgSpeed"] > 1000
    # debounce: at most one per zigzagDebounceMs
    zts = [e["timestamp"] for e in zz]
    assert all(b - a >= 300 for a, b in zip(zts, zts[1:], strict=False))
    pauses = site.bridge.events("mouse_pause")
    assert len(pauses) == 1
    p = pauses[0]["data"]
    assert 1000 <= p["duration"] <= 1100 and (p["x"], p["y"]) == (310, 400)
    assert p["viewport"] == {"relX": round(310 / 1280, 2), "relY": 0.5}


async def test_pause_reported_at_inactivity_threshold(open_site):
    site = await open_site(clock=True)
    await site.move_ticks([(700, 500), (720, 500)])
    await site.tick(6000)
    await site.move_ticks([(800, 520), (900, 540)])
    await site.flush()
    pauses = site.bridge.events("mouse_pause")
    assert len(pauses) == 1
    assert pauses[0]["data"]["inactive"] is True and pauses[0]["data"]["duration"] == 5000


async def test_viewport_approach_exit_intent(open_site):
    site = await open_site(clock=True)
    # At the top of the page the cursor rushes up over the header: suppressed.
    await site.move_ticks([(640, 400), (640, 300), (640, 40), (640, 30)])
    await scroll_to(site, "#features")
    await site.tick(150)
    await site.move_ticks([(640, 400), (640, 300), (640, 60), (640, 40), (640, 20)])
    await site.flush()
    ev = site.bridge.events("viewport_approach")
    assert len(ev) == 1  # once per approach
    d = ev[0]["data"]
    assert d["edge"] == "top" and d["distance"] == 60
    assert d["vector"] == {"vx": 0, "vy": -4800} and d["velocity"] == 4800


async def test_mouse_exit(open_site):
    site = await open_site()
    await site.page.mouse.move(600, 300)
    await site.page.mouse.move(600, 100)
    await site.page.mouse.move(600, -10)
    await asyncio.sleep(0.1)
    await site.flush()
    ex = site.bridge.events("mouse_exit")
    assert len(ex) == 1
    d = ex[0]["data"]
    assert d["edge"] == "top" and (d["x"], d["y"]) == (600, -10)
    assert d["angle"] == round(math.degrees(math.atan2(410, -40)))
    assert d["velocity"] > 0


async def test_resize_and_tab_switch(open_site):
    site = await open_site(clock=True)
    await site.resize(900, 1000)
    await site.tick(300)
    set_vis = """(state) => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
        document.dispatchEvent(new Event('visibilitychange'));
    }"""
    await site.tick(2000)
    n = len(site.bridge.pubs)
    await site.page.evaluate(set_vis, "hidden")
    await wait_until(lambda: len(site.bridge.pubs) > n, message="flush on hidden")
    assert site.bridge.pubs[-1].payload["events"][-1]["type"] == "tab_switch"
    await site.tick(31000)
    pings = site.bridge.pings
    await site.page.evaluate(set_vis, "visible")
    await wait_until(lambda: site.bridge.pings > pings, message="immediate PING on return")
    await site.flush()
    resize = site.bridge.events("viewport_resize")
    assert [e["data"] for e in resize] == [{"width": 900, "height": 1000, "orientation": "portrait"}]
    tabs = [e["data"] for e in site.bridge.events("tab_switch")]
    assert tabs[0]["action"] == "away" and tabs[0]["activeTime"] == 2300
    assert tabs[1] == {"action": "return", "awayDuration": 31000, "totalSwitches": 1}
    ltr = site.bridge.events("long_tab_return")
    assert [e["data"] for e in ltr] == [{"awayDuration": 31000, "sessionTime": 33300}]


async def test_priority_event_flushes_before_interval(open_site):
    site = await open_site(clock=True)
    await scroll_to(site, "#features")  # no proximity targets here: only mouse events
    await site.tick(150)
    await site.flush()
    n = len(site.bridge.pubs)
    await site.move_ticks([(300 + 10 * i, 420) for i in range(40)])  # 40 non-priority events, t < 3 s
    await asyncio.sleep(0.1)
    assert len(site.bridge.pubs) == n
    stats = await site.stats()
    assert stats["buffered"] == 40
    await site.page.mouse.click(690, 420)  # priority event with >= priorityFlush buffered
    await wait_until(lambda: len(site.bridge.pubs) > n, message="priority flush")
    batch = site.bridge.pubs[n].payload
    assert batch["events"][-1]["type"] == "click" and len(batch["events"]) == 41
    assert (await site.stats())["lastFlushReason"] == "priority"


async def test_priority_flush_threshold_from_config(open_site):
    site = await open_site(config=make_config(transport={"priorityFlush": 5}), clock=True)
    await scroll_to(site, "#features")
    await site.tick(150)
    await site.flush()
    n = len(site.bridge.pubs)
    await site.move_ticks([(300 + 10 * i, 420) for i in range(6)])
    assert len(site.bridge.pubs) == n
    await site.page.mouse.click(360, 420)
    await wait_until(lambda: len(site.bridge.pubs) > n, message="priority flush at 5")
    assert site.bridge.pubs[n].payload["events"][-1]["type"] == "click"


async def test_interval_flush(open_site):
    site = await open_site(clock=True)
    n = len(site.bridge.pubs)
    await site.page.evaluate("() => window.EITP.track('custom_test', {})")
    await site.tick(2900)
    await asyncio.sleep(0.05)
    assert len(site.bridge.pubs) == n
    await site.tick(200)
    await wait_until(lambda: len(site.bridge.pubs) > n, message="3 s interval flush")
    assert (await site.stats())["lastFlushReason"] == "interval"
