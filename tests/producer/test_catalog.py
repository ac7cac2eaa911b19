"""Appendix A in one visit: a real-input session on the RV site provokes every event type of the
catalog, and every event carries the section 3 fields with the right types."""

from __future__ import annotations

import math

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

NUM = (int, float)
# type -> {field: python type(s)} (section 3 tables; Appendix A "key fields" are a subset)
CATALOG = {
    "mouse": {k: NUM for k in ("x", "y", "vx", "vy", "ax", "ay", "jx", "jy", "speed", "jerk")},
    "circular_motion": {"circularity": NUM, "radius": NUM, "duration": NUM},
    "direction_changes": {"count": int, "duration": NUM, "avgSpeed": NUM},
    "mouse_pause": {"duration": NUM, "x": NUM, "y": NUM, "viewport": dict},
    "mouse_exit": {"angle": NUM, "velocity": NUM, "edge": str, "x": NUM, "y": NUM},
    "iframe_exit": {"x": NUM, "y": NUM, "iframeSrc": str},
    "click": {"x": NUM, "y": NUM, "target": dict, "mouseVelocity": NUM, "mouseJerk": NUM},
    "rage_click": {"count": int, "area": NUM},
    "scroll": {"depth": NUM, "maxDepth": NUM, "velocity": NUM, "direction": str},
    "tier_card_proximity_enter": {"distance": NUM, "over": bool, "element_type": str, "text": str, "intent": str,
                                  "signals": dict},
    "tier_card_hover": {"over": bool, "element_type": str, "meta": dict},
    "tier_card_proximity": {"distance": NUM, "element_type": str},
    "tier_card_proximity_leave": {"element_type": str},
    "price_proximity_enter": {"distance": NUM, "over": bool, "element_type": str, "text": str, "intent": str,
                              "signals": dict, "currency": str, "value": NUM, "isOriginal": bool, "isSale": bool},
    "pricing_comparison": {"tier_count": int, "tiers": list},
    "viewport_resize": {"width": int, "height": int, "orientation": str},
    "viewport_boundary": {"boundary": str, "scrollDepth": NUM},
    "viewport_approach": {"edge": str, "distance": NUM, "velocity": NUM, "vector": dict},
    "tab_switch": {"action": str},
    "long_tab_return": {"awayDuration": NUM, "sessionTime": NUM},
    "form_focus": {"type": str, "name": str, "id": str},
    "form_blur": {"type": str, "name": str, "duration": NUM, "hasValue": bool},
    "form_submit": {"id": str, "action": str, "method": str},
    "text_selection": {"text": str, "length": int, "hasPrice": bool},
    "text_selection_with_price": {"text": str, "price": str, "length": int},
}


async def test_every_appendix_a_event_type_with_its_fields(open_site):
    site = await open_site(clock=True)
    page = site.page

    # tier cards: pricing_comparison, and enter / hover / proximity / leave on one card (+ its price)
    await site.scroll_to("#pricing")
    await site.tick(150)
    card = await site.box("#tier-base")
    cx = card["x"] + card["width"] / 2
    await site.move_ticks([(cx, card["y"] - 300), (cx, card["y"] - 100), (cx, card["y"] - 80),
                           (cx, card["y"] + 60), (cx, card["y"] + 100), (cx, card["y"] - 300)])

    # gestures on a quiet part of the page: circle, zigzag, dwell, exit intent
    await site.scroll_to("#features")
    await site.tick(150)
    circle = [(640 + 60 * math.cos(math.radians(36 * k)), 420 + 60 * math.sin(math.radians(36 * k))) for k in range(11)]
    await site.move_ticks([(150, 650)] + circle)
    await site.move_ticks([(200, 500), (260, 500), (320, 500)] + [(380 if i % 2 == 0 else 320, 500) for i in range(8)])
    await site.tick(1000)
    await site.move_ticks([(640, 400), (640, 300), (640, 150), (640, 60)])

    # clicks and a rage click on the unresponsive button
    await site.scroll_to(0)
    await site.tick(150)
    b = await site.box("#btn-availability")
    for _ in range(3):
        await page.mouse.click(b["x"] + 10, b["y"] + 10)
        await site.tick(100)

    # scroll to the bottom and back (scroll, viewport_boundary), resize
    await site.scroll_to(100000)
    await site.tick(150)
    await site.scroll_to(0)
    await site.tick(150)
    await site.resize(1200, 800)
    await site.tick(300)

    # a long trip to another tab
    await site.set_visibility("hidden")
    await site.tick(31_000)
    await site.set_visibility("visible")

    # the lead form and a price selection
    await site.scroll_to("#contact")
    await site.tick(150)
    await page.click("#lead-name")
    await page.keyboard.type("Pat", delay=0)
    await site.tick(2500)
    await page.click("#lead-submit")
    await site.scroll_to("#financing")
    await site.tick(150)
    note = await site.box(".calc-note")
    await page.mouse.click(note["x"] + 20, note["y"] + 5, click_count=3)
    await site.tick(50)

    # the cursor enters an iframe, then leaves the window
    await page.evaluate("""() => {
        const f = document.createElement('iframe');
        f.src = '/common/site.css'; f.id = 'tour';
        f.style.cssText = 'position: fixed; left: 20px; top: 300px; width: 200px; height: 200px; border: 0';
        document.body.appendChild(f);
    }""")
    await page.wait_for_function("() => document.getElementById('tour').contentDocument?.readyState === 'complete'")
    await site.move_ticks([(400, 400), (300, 400), (120, 400)])
    await site.move_ticks([(400, 400), (600, 200), (600, 100), (600, -10)])
    await site.tick(100)
    await site.flush()

    events = site.bridge.events()
    by_type: dict[str, list[dict]] = {}
    for ev in events:
        by_type.setdefault(ev["type"], []).append(ev)
    missing = set(CATALOG) - set(by_type)
    assert not missing, (missing, sorted(by_type))
    for type_, fields in CATALOG.items():
        for ev in by_type[type_]:
            assert isinstance(ev["timestamp"], int) and isinstance(ev["currentSection"], str)
            for field, kind in fields.items():
                assert field in ev["data"], (type_, field, ev["data"])
                value = ev["data"][field]
                if field == "value" and ev["data"]["text"] == "[MASKED]":  # a masked amount (10.2) is none
                    assert value is None, ev["data"]
                    continue
                assert isinstance(value, kind) and not (kind is NUM and isinstance(value, bool)), (type_, field, value)
    # nested shapes of section 3
    assert set(by_type["click"][0]["data"]["target"]) == {"tag", "class", "id", "text"}
    assert set(by_type["mouse_pause"][0]["data"]["viewport"]) == {"relX", "relY"}
    assert set(by_type["viewport_approach"][0]["data"]["vector"]) == {"vx", "vy"}
    assert set(by_type["tier_card_proximity_enter"][0]["data"]["signals"]) == {"hasDiscount", "hasTrial", "hasUrgency"}
    away, back = by_type["tab_switch"][:2]
    assert away["data"]["action"] == "away" and isinstance(away["data"]["activeTime"], int)
    assert back["data"]["action"] == "return" and back["data"]["awayDuration"] == 31_000
    assert back["data"]["totalSwitches"] == 1
    assert by_type["mouse_exit"][0]["data"]["edge"] == "top"
    assert by_type["iframe_exit"][0]["data"]["iframeSrc"] == "/common/site.css"
    assert by_type["text_selection_with_price"][0]["data"]["price"] == "$59,995"
    assert by_type["form_submit"][0]["data"] == {"id": "lead-form", "action": "/lead", "method": "POST"}
    assert {b["data"]["boundary"] for b in by_type["viewport_boundary"]} == {"top", "bottom"}
    assert "Pat" not in "".join(p.text for p in site.bridge.pubs)
