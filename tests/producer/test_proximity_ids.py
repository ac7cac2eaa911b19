"""Proximity state (spec 3.5) is kept per element, not per id attribute: an id is the page's text,
it may be an Object.prototype member ("__proto__", "constructor") or shared by two elements
(templated cards), and neither may corrupt the engine, the page, or flood enter/leave events."""

from __future__ import annotations

from collections import Counter

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>ids</title>
<style>body { margin: 0 } .price { position: absolute; left: 300px; width: 120px; height: 30px }</style></head><body>
<section id="s" style="height: 2400px">"""
TAIL = """</section><script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""

# ids a plain-object key would find on (or write to) Object.prototype; 700 px apart, beyond any radius
PROTO_IDS = ["__proto__", "constructor", "toString"]
PROTO_PAGE = HEAD + "".join(
    f'<span id="{pid}" class="price" style="top: {100 + i * 700}px">$45,995</span>' for i, pid in enumerate(PROTO_IDS)
) + TAIL

# two product cards from one template: the same id twice, 300 px apart (one leave radius is 152 px)
DUP_PAGE = HEAD + """
<span id="price" class="price" style="top: 100px">$45,995</span>
<span id="price" class="price" style="top: 400px">$39,995</span>""" + TAIL


async def test_an_id_named_like_an_object_prototype_member_is_tracked_and_pollutes_nothing(open_site):
    site = await open_site("/rv/proto-ids.html", html=PROTO_PAGE, clock=True)
    page = site.page
    for pid in PROTO_IDS:
        box = await page.evaluate("(id) => { const r = document.getElementById(id).getBoundingClientRect();"
                                  " return {x: r.left, y: r.top}; }", pid)
        # from afar, onto the price, over it, then far away again
        await site.move_ticks([(box["x"] - 100, box["y"] + 5), (box["x"] - 60, box["y"] + 5),
                               (box["x"] + 10, box["y"] + 10), (box["x"] + 12, box["y"] + 12),
                               (box["x"] + 700, box["y"] + 400), (box["x"] + 720, box["y"] + 400)])
        await site.tick(100)
        await page.evaluate("() => window.scrollBy(0, 700)")
        await site.tick(200)
    await page.evaluate("() => window.EITP.track('__proto__', {n: 1})")
    await site.flush()
    for pid in PROTO_IDS:
        got = Counter(e["type"] for e in site.bridge.events(lambda t: t.startswith("price"))
                      if e["data"]["elementId"] == pid)
        assert got["price_proximity_enter"] == 1 and got["price_hover"] == 1, (pid, got)
        assert got["price_proximity_leave"] == 1, (pid, got)
    # nothing was written onto Object.prototype, and a "__proto__" event type is counted like any other
    assert await page.evaluate("() => Object.keys(Object.prototype)") == []
    assert await page.evaluate("() => ({}).entry === undefined && Object.entry === undefined")
    assert await page.evaluate("() => window.EITP.stats().events['__proto__']") == 1
    assert site.bridge.events("__proto__")[0]["data"] == {"n": 1}


async def test_two_elements_sharing_an_id_do_not_enter_and_leave_each_other(open_site):
    site = await open_site("/rv/dup-ids.html", html=DUP_PAGE, clock=True)
    box = await site.box(".price >> nth=0")
    await site.move_ticks([(box["x"] + 10, box["y"] + 5), (box["x"] + 12, box["y"] + 6)])
    await site.tick(1000)  # the cursor rests over the first price for a second: 20 sampler ticks
    await site.flush()
    got = Counter(e["type"] for e in site.bridge.events(lambda t: t.startswith("price")))
    assert got == {"price_proximity_enter": 1, "price_hover": 1}, got
    assert all(e["data"]["elementId"] == "price" for e in site.bridge.events(lambda t: t.startswith("price")))
    # then to the second card: the first one is left, the second entered, each once
    second = await site.box(".price >> nth=1")
    await site.move_ticks([(second["x"] + 10, second["y"] + 5), (second["x"] + 12, second["y"] + 6)])
    await site.tick(1000)
    await site.flush()
    got = Counter(e["type"] for e in site.bridge.events(lambda t: t.startswith("price")))
    assert got == {"price_proximity_enter": 2, "price_hover": 2, "price_proximity_leave": 1}, got
