"""Every section 3 / Appendix C threshold, on BOTH sides of its boundary, with real input
(page.mouse / page.keyboard) on the fake clock (page.clock): the sampler ticks every 50 ms of fake
time, so what is measured is the producer's own arithmetic, not the machine's speed."""

from __future__ import annotations

import math

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

# One isolated purchase button at a known place (no margins, nothing else to be near).
PROX_PAGE = """<!DOCTYPE html><html><head><title>proximity</title>
<style>body { margin: 0; height: 2400px; font: 16px sans-serif }
#target { position: absolute; left: 600px; top: 400px; width: 120px; height: 40px; margin: 0; border: 0; padding: 0 }
</style></head><body>
<section id="zone" style="height: 2400px">
  <button id="target" data-action="purchase" type="button">Reserve</button></section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def prox_page(open_site):
    return await open_site("/rv/prox.html", html=PROX_PAGE, clock=True)


# ---------------------------------------------------------------------------------------------
# 3.3 rage click: >= 3 clicks within 500 ms
# ---------------------------------------------------------------------------------------------

async def test_rage_click_two_vs_three_clicks_and_500ms_window(open_site):
    site = await open_site(clock=True)
    b = await site.box("#btn-availability")
    x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2

    async def burst(gaps):
        for gap in gaps:
            await site.tick(gap)
            await site.page.mouse.click(x, y)
        await site.tick(1000)  # well apart from the next burst

    await burst([0, 100])          # 2 clicks in 100 ms: no rage click
    await burst([0, 250, 251])     # 3 clicks spanning 501 ms: no rage click
    await burst([0, 250, 250])     # 3 clicks spanning exactly 500 ms: rage click
    await site.flush()
    clicks = site.bridge.events("click")
    assert len(clicks) == 8
    rage = site.bridge.events("rage_click")
    assert [r["data"] for r in rage] == [{"count": 3, "area": 0}]
    assert rage[0]["timestamp"] == clicks[-1]["timestamp"]
    assert clicks[-1]["timestamp"] - clicks[-3]["timestamp"] == 500
    assert clicks[4]["timestamp"] - clicks[2]["timestamp"] == 501


# ---------------------------------------------------------------------------------------------
# 3.2 dwell: speed < 20 px/s for > 500 ms
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rest_ms", [499, 501])
async def test_dwell_499_vs_501_ms(open_site, rest_ms):
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(300, 400), (320, 400)])   # the cursor stops at (320, 400) at time t
    await site.tick(rest_ms - 50)                     # move_ticks already advanced 50 ms
    await site.move_ticks([(420, 400), (520, 400)])   # moves again at t + rest_ms
    await site.flush()
    pauses = site.bridge.events("mouse_pause")
    if rest_ms <= 500:
        assert pauses == []
    else:
        assert [p["data"] for p in pauses] == [{"duration": 501, "x": 320, "y": 400,
                                                "viewport": {"relX": round(320 / 1280, 2), "relY": 0.5}}]


async def test_micro_movement_below_20_px_s_is_still_a_dwell(open_site):
    """0.9 px per 50 ms tick is 18 px/s (< 20): the pause goes on; 1.1 px is 22 px/s: it ends."""
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(300, 400), (320, 400)])                       # stops moving fast at t + 50
    await site.move_ticks([(320 + 0.9 * i, 400) for i in range(1, 21)])   # 1 s of tremor at 18 px/s
    await site.tick(100)
    await site.move_ticks([(338 + 1.1 * i, 400) for i in range(1, 4)])    # 22 px/s ends it at t + 1150
    await site.flush()
    pauses = site.bridge.events("mouse_pause")
    assert len(pauses) == 1
    assert 1100 <= pauses[0]["data"]["duration"] < 1150  # from the last fast tick to the first fast move


# ---------------------------------------------------------------------------------------------
# 3.2 circular motion: circularity > 0.85 and radius > 20 px
# ---------------------------------------------------------------------------------------------

def ellipse(cx: float, cy: float, a: float, b: float) -> list[tuple[float, float]]:
    return [(cx + a * math.cos(math.radians(36 * k)), cy + b * math.sin(math.radians(36 * k))) for k in range(10)]


def circularity(points: list[tuple[float, float]]) -> tuple[float, float]:
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)
    radii = [math.hypot(x - cx, y - cy) for x, y in points]
    avg = sum(radii) / len(radii)
    var = sum((r - avg) ** 2 for r in radii) / len(radii)
    return max(0.0, 1 - var / avg ** 2), avg


@pytest.mark.parametrize(("shape", "fires"), [
    ("ellipse_0.87", True), ("ellipse_0.835", False), ("circle_r21", True), ("circle_r19", False),
])
async def test_circular_motion_circularity_and_radius_boundaries(open_site, shape, fires):
    pts = {
        "ellipse_0.87": ellipse(640, 420, 200, 52),    # circularity 0.871, radius 137
        "ellipse_0.835": ellipse(640, 420, 200, 32),   # circularity 0.835, radius 133
        "circle_r21": ellipse(640, 420, 21, 21),
        "circle_r19": ellipse(640, 420, 19, 19),
    }[shape]
    circ, radius = circularity(pts)
    assert (circ > 0.85 and radius > 20) is fires
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(150, 650)] + pts)
    await site.tick(200)
    await site.flush()
    ev = site.bridge.events("circular_motion")
    if not fires:
        assert ev == []
        return
    assert len(ev) == 1
    assert ev[0]["data"] == {"circularity": round(circ, 2), "radius": round(radius), "duration": 450}


# ---------------------------------------------------------------------------------------------
# 3.2 direction changes: > 6 changes in the last 10 samples
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [6, 7])
async def test_direction_changes_6_vs_7(open_site, changes):
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    y = 420
    approach = [(200, y), (260, y), (320, y)]               # moving right: no change yet
    zig = [(380 if i % 2 == 0 else 320, y) for i in range(changes + 1)]  # R, L, R, ... : `changes` reversals
    await site.move_ticks(approach + zig)
    await site.tick(500)
    await site.flush()
    ev = site.bridge.events("direction_changes")
    if changes <= 6:
        assert ev == []
    else:
        assert len(ev) == 1
        d = ev[0]["data"]
        assert d["count"] == 7 and d["duration"] == 450 and d["avgSpeed"] == 1200


# ---------------------------------------------------------------------------------------------
# 3.7 long tab return: absence > 30 s
# ---------------------------------------------------------------------------------------------

async def test_long_tab_return_29_9_vs_30_1_s(open_site):
    site = await open_site(clock=True)
    for away in (29_900, 30_000, 30_100):
        await site.set_visibility("hidden")
        await site.tick(away)
        await site.set_visibility("visible")
        await site.tick(1000)
    await site.flush()
    returns = [e["data"] for e in site.bridge.events("tab_switch") if e["data"]["action"] == "return"]
    assert [r["awayDuration"] for r in returns] == [29_900, 30_000, 30_100]
    assert [r["totalSwitches"] for r in returns] == [1, 2, 3]
    long = site.bridge.events("long_tab_return")
    assert [e["data"]["awayDuration"] for e in long] == [30_100]
    start = site.bridge.events("connection")[0]["timestamp"]
    assert long[0]["data"]["sessionTime"] == long[0]["timestamp"] - start


# ---------------------------------------------------------------------------------------------
# 3.8 field abandonment: hasValue false and focus > 2000 ms (inferred from form_blur downstream)
# ---------------------------------------------------------------------------------------------

async def test_field_abandonment_raw_blur_duration_and_has_value(open_site):
    site = await open_site(clock=True)
    page = site.page
    await site.scroll_to("#contact")
    await site.tick(150)
    for field, ms, text in (("#lead-phone", 1999, None), ("#lead-email", 2001, None), ("#lead-name", 2001, "Pat")):
        await page.click(field)
        if text:
            await page.keyboard.type(text, delay=0)
        await site.tick(ms)
        await page.click("#contact h2")  # blur
    await site.flush()
    blurs = [e["data"] for e in site.bridge.events("form_blur")]
    assert [(b["id"], b["duration"], b["hasValue"]) for b in blurs] == [
        ("lead-phone", 1999, False), ("lead-email", 2001, False), ("lead-name", 2001, True)]
    threshold = (await site.eitp("config"))["signal"]["fieldAbandonmentMs"]
    abandoned = [b["id"] for b in blurs if b["hasValue"] is False and b["duration"] > threshold]
    assert threshold == 2000 and abandoned == ["lead-email"]
    assert "Pat" not in "".join(p.text for p in site.bridge.pubs)


# ---------------------------------------------------------------------------------------------
# 3.6 exit intent: within 100 px of the top, moving up faster than 400 px/s
# ---------------------------------------------------------------------------------------------

async def test_exit_intent_velocity_399_vs_401_px_s(open_site):
    site = await open_site(clock=True)
    await site.scroll_to("#features")   # no header at the top of the viewport
    await site.tick(150)
    slow = [(640, 150), (640, 135), (640, 120), (640, 105), (640, 90), (640, 80)]  # 300 px/s upward
    await site.move_ticks(slow)
    await site.move_ticks([(640, 80 - 19.95)])           # 399 px/s at y = 60.05: no event
    await site.flush()
    assert site.bridge.events("viewport_approach") == []
    await site.move_ticks([(640, 80 - 19.95 - 20.05)])   # 401 px/s at y = 40: exit intent
    await site.flush()
    ev = site.bridge.events("viewport_approach")
    assert len(ev) == 1
    d = ev[0]["data"]
    assert d["edge"] == "top" and d["distance"] == 40 and d["velocity"] == 401
    assert d["vector"] == {"vx": 0, "vy": -401}
    samples = [e["data"] for e in site.bridge.events("mouse")]
    assert [s["vy"] for s in samples[-2:]] == [-399, -401]


async def test_exit_intent_distance_99_vs_101_px(open_site):
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(640, 300), (640, 151), (640, 101)])  # 1000 px/s, but y = 101: not within 100 px
    await site.tick(100)
    assert site.bridge.events("viewport_approach") == []
    await site.move_ticks([(640, 149)])
    await site.tick(100)
    await site.move_ticks([(640, 99)])                           # 1000 px/s at y = 99: exit intent
    await site.flush()
    ev = site.bridge.events("viewport_approach")
    assert [e["data"]["distance"] for e in ev] == [99]
    assert ev[0]["data"]["vector"]["vy"] == -1000


async def test_exit_intent_when_the_cursor_leaves_between_two_sampler_ticks(open_site):
    """A fast exit crosses the 100 px band and leaves the page within one 50 ms tick: no sample
    sees it in the band, so the producer judges it where the cursor leaves (raw pointer trail)."""
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(640, 400), (640, 380)])
    last = (await site.eitp("history()"))[-1]["t"]
    await site.tick(last + 50 + 1 - await site.now())  # just past a tick: 49 ms before the next
    await site.page.mouse.move(640, 60)
    await site.tick(10)
    await site.page.mouse.move(640, -5)   # out through the top, 10 ms later: 6500 px/s upward
    await site.tick(10)
    await site.tick(200)
    await site.flush()
    ev = site.bridge.events("viewport_approach")
    exits = site.bridge.events("mouse_exit")
    assert len(exits) == 1
    before = [e["data"]["y"] for e in site.bridge.events("mouse") if e["timestamp"] <= exits[0]["timestamp"]]
    assert min(before) >= 380  # no sample saw the cursor in the band before it left
    assert len(ev) == 1, site.bridge.types()
    d = ev[0]["data"]
    assert d["edge"] == "top" and d["distance"] == 0
    assert d["vector"] == {"vx": 0, "vy": -6500} and d["velocity"] == 6500
    assert site.bridge.types().index("viewport_approach") < site.bridge.types().index("mouse_exit")


async def test_a_slow_exit_through_the_top_is_no_exit_intent(open_site):
    site = await open_site(clock=True)
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(640, 400), (640, 380)])
    last = (await site.eitp("history()"))[-1]["t"]
    await site.tick(last + 50 + 1 - await site.now())
    await site.page.mouse.move(640, 2)
    await site.tick(40)
    await site.page.mouse.move(640, -2)  # 4 px in 40 ms: 100 px/s
    await site.tick(200)
    await site.flush()
    assert site.bridge.events("mouse_exit") and site.bridge.events("viewport_approach") == []


async def test_exit_intent_suppressed_over_header(open_site):
    site = await open_site(clock=True)   # page top: the header (with its nav) is under the cursor
    await site.move_ticks([(900, 300), (900, 200), (900, 60), (900, 20)])
    await site.flush()
    assert site.bridge.events("viewport_approach") == []


# ---------------------------------------------------------------------------------------------
# 3.5 proximity: enter within 140 px, leave beyond 152 px, or after 600 ms outside 140 px
# ---------------------------------------------------------------------------------------------

async def test_proximity_enter_radius_139_vs_141(open_site):
    site = await prox_page(open_site)
    await site.move_ticks([(660, 100), (660, 400 - 141)])
    await site.tick(200)
    await site.flush()
    assert site.bridge.events("purchase_button_proximity_enter") == []
    await site.move_ticks([(660, 400 - 139)])
    await site.flush()
    enter = site.bridge.events("purchase_button_proximity_enter")
    assert len(enter) == 1
    d = enter[0]["data"]
    assert d["distance"] == 139 and d["over"] is False and d["element_type"] == "purchase_button"
    assert d["intent"] == "high" and d["elementId"] == "target" and d["text"] == "Reserve"
    # the same from the side (x distance) and diagonally
    await site.move_ticks([(200, 100)])
    await site.move_ticks([(600 - 141, 420)])
    await site.move_ticks([(720 + 99, 440 + 99)])   # diagonal corner distance 140.007: outside
    await site.flush()
    assert len(site.bridge.events("purchase_button_proximity_enter")) == 1
    await site.move_ticks([(720 + 98, 440 + 98)])   # 138.6: inside
    await site.flush()
    assert [e["data"]["distance"] for e in site.bridge.events("purchase_button_proximity_enter")] == [139, 139]


async def test_proximity_leave_radius_151_vs_153(open_site):
    site = await prox_page(open_site)
    await site.move_ticks([(660, 100), (660, 300)])          # distance 100: entered
    await site.move_ticks([(660, 400 - 151)])                # 151: inside the leave radius
    await site.tick(300)                                     # (< 600 ms: no time-hysteresis leave yet)
    await site.flush()
    assert site.bridge.events("purchase_button_proximity_leave") == []
    await site.move_ticks([(660, 300)])                      # back within 140
    await site.move_ticks([(660, 400 - 153)])                # 153: beyond the leave radius
    await site.flush()
    leaves = site.bridge.events("purchase_button_proximity_leave")
    assert len(leaves) == 1
    last_mouse = site.bridge.events("mouse")[-1]
    assert last_mouse["data"]["y"] == 247 and leaves[0]["timestamp"] == last_mouse["timestamp"]
    assert leaves[0]["data"]["element_type"] == "purchase_button"
    assert len(site.bridge.events("purchase_button_proximity_enter")) == 1


async def test_proximity_time_hysteresis_600_ms(open_site):
    site = await prox_page(open_site)
    await site.move_ticks([(660, 100), (660, 300)])          # entered at distance 100
    await site.tick(200)
    await site.move_ticks([(660, 400 - 146)])                # 146: between 140 and 152
    await site.flush()
    ring_ts = site.bridge.events("mouse")[-1]["timestamp"]   # first tick outside 140 px
    last_within = ring_ts - 50                               # the tick before it was the last within
    await site.tick(500)                                     # 550 ms since the last tick within 140 px
    await site.flush()
    assert site.bridge.events("purchase_button_proximity_leave") == []
    await site.tick(50)                                      # 600 ms
    await site.flush()
    leaves = site.bridge.events("purchase_button_proximity_leave")
    assert len(leaves) == 1 and leaves[0]["timestamp"] - last_within == 600
    # and re-entering resets it
    await site.move_ticks([(660, 300)])
    await site.flush()
    assert len(site.bridge.events("purchase_button_proximity_enter")) == 2


# ---------------------------------------------------------------------------------------------
# 3.5 pricing_comparison: 2+ tier cards visible, 5000 ms cooldown
# ---------------------------------------------------------------------------------------------

async def test_pricing_comparison_cooldown_4999_vs_5000(open_site):
    site = await open_site(clock=True)
    await site.scroll_to("#pricing")
    await site.tick(150)
    await site.flush()
    first = site.bridge.events("pricing_comparison")
    assert len(first) == 1
    t0 = first[0]["timestamp"]
    # a scroll settles scrollDebounceMs (100 ms) after it: settle at t0 + 4999 -> still cooling down
    await site.tick(t0 + 4899 - await site.now())
    await site.scroll_to(await site.page.evaluate("() => scrollY + 5"))
    await site.tick(100)
    await site.flush()
    assert len(site.bridge.events("pricing_comparison")) == 1
    # the next scroll (at t0 + 4999) settles at t0 + 5099: past the cooldown
    await site.scroll_to(await site.page.evaluate("() => scrollY - 5"))
    await site.tick(100)
    await site.flush()
    comps = site.bridge.events("pricing_comparison")
    assert len(comps) == 2 and comps[1]["timestamp"] - t0 == 5099
    assert comps[1]["data"]["tier_count"] == 3


async def test_pricing_comparison_needs_two_visible_tier_cards(open_site):
    site = await open_site(clock=True)
    await site.page.evaluate("() => { document.querySelectorAll('.tier-card')[1].style.display = 'none'; "
                             "document.querySelectorAll('.tier-card')[2].style.display = 'none'; }")
    await site.scroll_to("#pricing")   # one tier card in view
    await site.tick(150)
    await site.tick(6000)
    await site.flush()
    assert site.bridge.events("pricing_comparison") == []
    await site.page.evaluate("() => { document.querySelectorAll('.tier-card')[1].style.display = ''; }")
    await site.scroll_to(await site.page.evaluate("() => scrollY + 3"))
    await site.tick(150)
    await site.flush()
    comps = site.bridge.events("pricing_comparison")
    assert [c["data"]["tier_count"] for c in comps] == [2]
    assert comps[0]["data"]["tiers"] == ["Base Package", "Adventure Package"]
    assert comps[0]["data"]["elementIds"] == ["tier-base", "tier-adventure"]


# ---------------------------------------------------------------------------------------------
# 3.4 / 3.6 debounces: scroll 100 ms, resize 250 ms
# ---------------------------------------------------------------------------------------------

async def test_scroll_and_resize_debounce(open_site):
    site = await open_site(clock=True)
    await site.scroll_to(400)
    await site.tick(99)
    await site.flush()
    assert site.bridge.events("scroll") == []
    await site.tick(1)
    await site.flush()
    assert len(site.bridge.events("scroll")) == 1
    await site.resize(1000, 800)
    await site.tick(249)
    await site.flush()
    assert site.bridge.events("viewport_resize") == []
    await site.tick(1)
    await site.flush()
    assert [e["data"] for e in site.bridge.events("viewport_resize")] == [
        {"width": 1000, "height": 800, "orientation": "landscape"}]
