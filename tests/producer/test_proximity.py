"""Proximity engine (spec 3.5 + Appendix B) and page content / currentSection (3.10)."""

from __future__ import annotations

import pytest
from producer_harness import wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

TIERS = ["#tier-base", "#tier-adventure", "#tier-ultimate"]


async def show_pricing(site) -> None:
    await site.page.evaluate("""() => {
        window.__scrolls = 0;
        addEventListener('scroll', () => { window.__scrolls++; }, {once: true});
        document.getElementById('pricing').scrollIntoView();
    }""")
    await site.page.wait_for_function("() => window.__scrolls > 0", polling=10)
    await site.tick(150)


def line(a, b, step=20.0):
    (x0, y0), (x1, y1) = a, b
    n = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) // step))
    return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]


async def test_three_tier_cards_visible_and_pricing_comparison(open_site):
    site = await open_site(clock=True)
    await show_pricing(site)
    for sel in TIERS:
        b = await site.box(sel)
        assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= 1280 and b["y"] + b["height"] <= 800, sel
    # cooldown: a scroll within 5 s does not repeat it, one after 5 s does
    y = await site.page.evaluate("() => scrollY")
    await site.scroll_to(y + 10)
    await site.tick(150)
    await site.tick(5000)
    await site.scroll_to(y)
    await site.tick(150)
    await site.flush()
    comps = site.bridge.events("pricing_comparison")
    assert len(comps) == 2
    assert comps[0]["data"]["tier_count"] == 3
    assert comps[0]["data"]["tiers"] == ["Base Package", "Adventure Package", "Ultimate Package"]
    assert comps[0]["currentSection"] == "pricing"
    assert comps[1]["timestamp"] - comps[0]["timestamp"] >= 5000


async def test_tier_card_enter_hover_proximity_leave(open_site):
    site = await open_site(clock=True)
    await show_pricing(site)
    adv = await site.box("#tier-adventure")
    cx, cy = adv["x"] + adv["width"] / 2, adv["y"] + adv["height"] / 2
    start = (cx, adv["y"] - 190)  # 190 px above the card: outside every radius
    await site.move_ticks([start] + line(start, (cx, cy)))
    await site.tick(1100)
    await site.move_ticks([(cx + 15, cy + 10), (cx + 30, cy + 10)])
    n_before_leave = len(site.bridge.events())
    await site.move_ticks([start])  # one jump beyond enter + hysteresis: immediate leave
    await site.flush()

    enters = [e for e in site.bridge.events("tier_card_proximity_enter")]
    assert [e["data"]["elementId"] for e in enters] == ["tier-adventure"]
    d = enters[0]["data"]
    assert 120 <= d["distance"] <= 140 and d["over"] is False
    assert d["element_type"] == "tier_card" and d["intent"] == "medium"
    assert d["text"].startswith("Most popular") and len(d["text"]) <= 80
    assert d["signals"] == {"hasDiscount": True, "hasTrial": False, "hasUrgency": False}
    # the element's place on the viewport, in the cursor's coordinates (for the TUI minimap)
    assert abs(d["rect"]["x"] - adv["x"]) <= 1 and abs(d["rect"]["y"] - adv["y"]) <= 1
    assert abs(d["rect"]["width"] - adv["width"]) <= 1 and abs(d["rect"]["height"] - adv["height"]) <= 1

    hovers = site.bridge.events("tier_card_hover")
    assert len(hovers) == 1
    assert hovers[0]["data"]["over"] is True and hovers[0]["data"]["meta"]["elementId"] == "tier-adventure"

    prox = site.bridge.events("tier_card_proximity")  # within radius, not over, <= 1/s
    ts = [e["timestamp"] for e in prox]
    assert all(b - a >= 1000 for a, b in zip(ts, ts[1:], strict=False))

    leaves = site.bridge.events("tier_card_proximity_leave")
    assert len(leaves) == 1
    lv = leaves[0]
    assert lv["data"]["elementId"] == "tier-adventure" and lv["data"]["element_type"] == "tier_card"
    assert lv["timestamp"] - enters[0]["timestamp"] == lv["data"]["dwellMs"] > 1000
    assert site.bridge.events()[n_before_leave:]  # leave was emitted on the jump tick

    # the card's price element: value parsed, not a sale
    price = next(e["data"] for e in site.bridge.events("price_proximity_enter") if e["data"]["text"] == "$63,495")
    assert price["value"] == 63495 and price["currency"] == "USD"
    assert price["isSale"] is False and price["isOriginal"] is False
    # the card's button is a generic cta
    assert any(e["data"]["text"] == "Reserve Adventure" for e in site.bridge.events("cta_proximity_enter"))


async def test_time_hysteresis_leave(open_site):
    site = await open_site(clock=True)
    await show_pricing(site)
    ult = await site.box("#tier-ultimate")
    cx = ult["x"] + ult["width"] / 2
    inside = (cx, ult["y"] + 40)
    ring = (cx, ult["y"] - 146)  # between enter radius (140) and leave radius (152)
    await site.move_ticks([inside, (cx + 5, ult["y"] + 40)])
    last_inside_ts = await site.page.evaluate("() => Date.now()")  # time of the last in-radius sample
    await site.move_ticks([ring])
    await site.tick(1000)
    await site.flush()
    enter = next(e for e in site.bridge.events("tier_card_proximity_enter")
                 if e["data"]["elementId"] == "tier-ultimate")
    assert enter["data"]["over"] is True
    assert enter["data"]["signals"]["hasUrgency"] is True  # "Limited time offer"
    leave = next(e for e in site.bridge.events("tier_card_proximity_leave")
                 if e["data"]["elementId"] == "tier-ultimate")
    # not left on the first out-of-radius sample (still inside the 152 px leave radius) ...
    assert leave["timestamp"] - last_inside_ts >= 600
    # ... but on the first sample once 600 ms have passed without being within 140 px
    assert leave["timestamp"] - last_inside_ts < 650


async def test_hero_prices_buttons_and_kinds(open_site):
    site = await open_site(clock=True)
    index = {e["id"]: e["kind"] for e in await site.page.evaluate("() => window.EITP.proximityIndex()")}
    assert index["price-main"] == "price" and index["monthly-payment"] == "price"
    assert index["cta-buy"] == "purchase_button" and index["cta-schedule"] == "demo_cta"
    assert index["cta-learn"] == "learn_more" and index["btn-availability"] == "cta"
    assert [index[t[1:]] for t in TIERS] == ["tier_card"] * 3
    assert "pricing_nav" in index.values()

    main = await site.box("#price-main")
    msrp = await site.box(".msrp")
    buy = await site.box("#cta-buy")
    pts = line((main["x"] + 10, main["y"] - 150), (main["x"] + 10, main["y"] + 10))
    pts += line(pts[-1], (msrp["x"] + 5, msrp["y"] + 5))
    pts += line(pts[-1], (buy["x"] + 10, buy["y"] + 10))
    await site.move_ticks(pts)
    await site.flush()
    prices = {e["data"]["elementId"]: e["data"] for e in site.bridge.events("price_proximity_enter")}
    assert prices["price-main"]["value"] == 59995 and prices["price-main"]["isSale"] is True
    orig = next(d for d in prices.values() if d["value"] == 64995)
    assert orig["isOriginal"] is True and orig["isSale"] is False
    sale = next(d for k, d in prices.items() if k != "price-main" and d["value"] == 59995)
    assert sale["isSale"] is True
    buy_enter = next(e["data"] for e in site.bridge.events("purchase_button_proximity_enter"))
    assert buy_enter["elementId"] == "cta-buy" and buy_enter["intent"] == "high" and buy_enter["text"] == "Buy Now"
    hov = site.bridge.events("purchase_button_hover")
    assert hov and hov[0]["data"]["element_type"] == "purchase_button"
    assert all(e["currentSection"] == "hero" for e in site.bridge.events(lambda t: "_proximity" in t))


async def test_current_section_and_content_cache(open_site):
    site = await open_site(clock=True)
    await site.page.evaluate("() => document.getElementById('financing').scrollIntoView()")
    await site.page.wait_for_function("() => scrollY > 0", polling=10)
    await site.page.evaluate("() => window.EITP.track('probe', {})")
    await site.tick(200)
    await site.flush()
    probe = site.bridge.events("probe")[0]
    assert probe["currentSection"] == "financing"
    pc = site.bridge.pubs[-1].payload["pageContent"]
    assert "Most of our buyers finance their RV" in pc["visibleContent"]
    assert len([p for p in pc["visibleContent"].split("\n") if p]) <= 5

    # same section within contentCacheMs: cached object reused; new section: re-extracted
    await site.page.evaluate("() => document.getElementById('reviews').scrollIntoView()")
    await site.page.wait_for_function(
        "() => document.getElementById('reviews').getBoundingClientRect().top < 5", polling=10)
    await site.page.evaluate("() => window.EITP.track('probe2', {})")
    await site.flush()
    await wait_until(lambda: site.bridge.events("probe2"), message="probe2")
    pc2 = site.bridge.pubs[-1].payload["pageContent"]
    assert site.bridge.events("probe2")[0]["currentSection"] == "reviews"
    assert "Prosser's was the only one" in pc2["visibleContent"]
