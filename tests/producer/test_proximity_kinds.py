"""Proximity engine (spec 3.5, Appendix B): all eleven element kinds with their intent levels and the
four events of each, Playwright-style ``:has-text`` semantics, the first-matching-kind rule, the
hasDiscount / hasTrial / hasUrgency signals, price parsing (currency, value, isOriginal, isSale)
and the 160 px spatial grid."""

from __future__ import annotations

import math

import pytest
from producer_harness import make_config

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

INTENTS = {
    "price": "none", "purchase_button": "high", "checkout_button": "high", "subscribe_button": "high",
    "demo_cta": "medium-high", "signup_cta": "medium-high", "tier_card": "medium", "pricing_nav": "medium",
    "feature_nav": "low-medium", "learn_more": "low-medium", "cta": "low",
}

# One element per kind, 400 px apart vertically, 200 px wide, centred at x = 640.
# (kind, id, html, expected signals (discount, trial, urgency))
KIND_ROWS = [
    ("price", "k-price", '<p class="price" id="k-price">$45,995</p>', (False, False, False)),
    ("purchase_button", "k-purchase", '<button id="k-purchase">BUY NOW</button>', (False, False, False)),
    ("checkout_button", "k-checkout", '<button id="k-checkout">Proceed to <b>Checkout</b>: offer ends today</button>',
     (False, False, True)),
    ("subscribe_button", "k-subscribe", '<button id="k-subscribe">Subscribe to alerts</button>', (False, False, False)),
    ("demo_cta", "k-demo", '<a id="k-demo" href="#demo">Book a demo</a>', (False, True, False)),
    ("signup_cta", "k-signup", '<button id="k-signup">Get\n      started</button>', (False, False, False)),
    ("tier_card", "k-tier", '<div class="plan-card" id="k-tier"><h3>Gold plan</h3><p>Save 10% this week</p></div>',
     (True, False, False)),
    ("pricing_nav", "k-pricing-nav", '<nav><a id="k-pricing-nav" href="/catalog">Plans</a></nav>',
     (False, False, False)),
    ("feature_nav", "k-feature-nav", '<a id="k-feature-nav" href="#all-features">Overview</a>', (False, False, False)),
    ("learn_more", "k-learn", '<a id="k-learn" href="#more">Read more</a>', (False, False, False)),
    ("cta", "k-cta", '<button id="k-cta" class="btn-primary">Contact the dealer</button>', (False, False, False)),
]
ROW_GAP = 400
TOP0 = 600


def kinds_page() -> str:
    rows = "\n".join(
        f'<div class="row" style="top: {TOP0 + i * ROW_GAP}px">{html}</div>'
        for i, (_, _, html, _) in enumerate(KIND_ROWS))
    return f"""<!DOCTYPE html><html><head><title>kinds</title><style>
body {{ margin: 0; height: {TOP0 + 400 + len(KIND_ROWS) * ROW_GAP}px; font: 16px sans-serif }}
.row {{ position: absolute; left: 540px; width: 200px }}
.row > * {{ display: block; width: 200px; height: 40px; margin: 0; padding: 0; border: 0; box-sizing: border-box;
            overflow: hidden }}
nav {{ height: 40px }} nav a {{ display: block; height: 40px }}
</style></head><body><section id="kinds">{rows}</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


# Appendix B selector variants: id -> expected kind (None: must NOT be a proximity element).
VARIANTS_HTML = """<!DOCTYPE html><html><head><title>variants</title></head><body><section id="v">
<button id="v-cart"><span>Add</span>
   to <i>CART</i></button>
<a id="v-buy-link" href="#parts">Buy parts</a>
<div data-action="purchase" id="v-data-purchase">Reserve</div>
<button class="checkout-btn" id="v-checkout-class">Pay</button>
<button id="v-complete">Complete order</button>
<button id="v-upgrade">Upgrade</button>
<a class="subscribe-cta" id="v-sub-class" href="#s">Alerts</a>
<a id="v-trial" href="#t">Start your free TRIAL</a>
<button id="v-schedule">Schedule service</button>
<button id="v-demo-button">Demo</button>
<a id="v-signup" href="#s">Sign up</a>
<button id="v-register">Register</button>
<a id="v-get-started-link" href="#g">Get started</a>
<div class="pricing-card" id="v-pricing-card">Card</div>
<div class="tier-x" id="v-tier-x">Tier</div>
<a id="v-pricing-href" href="/pricing">Costs</a>
<a id="v-pricing-text" href="#c">See pricing</a>
<nav><a id="v-plans-nav" href="#p">Plans</a></nav>
<a id="v-plans-outside-nav" href="#p">Plans</a>
<a id="v-features-text" href="#f2">Features</a>
<a id="v-learn" href="#l">Learn More</a>
<span class="cta" id="v-cta-class">Call</span>
<div class="hero-cta-box" id="v-cta-sub">Box</div>
<button class="btn primary-action" id="v-primary">Go</button>
<div class="primary" id="v-primary-div">Not a button</div>
<span class="cost" id="v-cost">1</span><span class="amount" id="v-amount">2</span>
<span class="msrp" id="v-msrp">3</span>
<span class="sale-price" id="v-sale">4</span><span data-price="5" id="v-data-price">5</span>
<button class="cta" id="v-priority">Buy now</button>
<button class="price-btn" id="v-price-first">Buy</button>
<button id="v-hidden" hidden>Buy now</button>
<div id="seer-chat"><button id="v-chat">Buy now</button></div>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""

VARIANTS = {
    "v-cart": "purchase_button", "v-buy-link": None, "v-data-purchase": "purchase_button",
    "v-checkout-class": "checkout_button", "v-complete": "checkout_button", "v-upgrade": "subscribe_button",
    "v-sub-class": "subscribe_button", "v-trial": "demo_cta", "v-schedule": "demo_cta", "v-demo-button": None,
    "v-signup": "signup_cta", "v-register": "signup_cta", "v-get-started-link": None,
    "v-pricing-card": "tier_card", "v-tier-x": "tier_card", "v-pricing-href": "pricing_nav",
    "v-pricing-text": "pricing_nav", "v-plans-nav": "pricing_nav", "v-plans-outside-nav": None,
    "v-features-text": "feature_nav", "v-learn": "learn_more", "v-cta-class": "cta", "v-cta-sub": "cta",
    "v-primary": "cta", "v-primary-div": None, "v-cost": "price", "v-amount": "price", "v-msrp": "price",
    "v-sale": "price", "v-data-price": "price", "v-priority": "purchase_button", "v-price-first": "price",
    "v-hidden": None, "v-chat": None,
}


async def test_selector_variants_and_has_text_semantics(open_site):
    site = await open_site("/rv/variants.html", html=VARIANTS_HTML)
    index = {e["id"]: e for e in await site.page.evaluate("() => window.EITP.proximityIndex()")}
    got = {vid: (index[vid]["kind"] if vid in index else None) for vid in VARIANTS}
    assert got == VARIANTS
    for entry in index.values():
        assert entry["intent"] == INTENTS[entry["kind"]]


async def test_all_eleven_kinds_enter_hover_proximity_leave(open_site):
    site = await open_site("/rv/kinds.html", html=kinds_page(), clock=True)
    index = {e["id"]: e["kind"] for e in await site.page.evaluate("() => window.EITP.proximityIndex()")}
    assert index == {eid: kind for kind, eid, _, _ in KIND_ROWS}
    for i in range(len(KIND_ROWS)):
        top = TOP0 + i * ROW_GAP
        await site.scroll_to(top - 400)               # the element sits at viewport y 400..440
        await site.tick(150)
        await site.move_ticks([(640, 200), (640, 300), (640, 330), (640, 420), (640, 200)])
        await site.tick(100)
    await site.flush()
    for kind, eid, _, signals in KIND_ROWS:
        enter = site.bridge.events(f"{kind}_proximity_enter")
        assert len(enter) == 1, kind
        d = enter[0]["data"]
        assert d["distance"] == 100 and d["over"] is False and d["element_type"] == kind, kind
        assert d["intent"] == INTENTS[kind] and d["elementId"] == eid
        assert d["signals"] == dict(zip(("hasDiscount", "hasTrial", "hasUrgency"), signals, strict=True)), kind
        assert 0 < len(d["text"]) <= 80
        prox = site.bridge.events(f"{kind}_proximity")
        assert [p["data"] for p in prox] == [{"distance": 70, "element_type": kind, "elementId": eid}], kind
        hover = site.bridge.events(f"{kind}_hover")
        assert len(hover) == 1, kind
        h = hover[0]["data"]
        assert h["over"] is True and h["element_type"] == kind and h["meta"]["intent"] == INTENTS[kind]
        assert h["meta"]["signals"] == d["signals"] and h["meta"]["text"] == d["text"]
        leave = site.bridge.events(f"{kind}_proximity_leave")
        assert len(leave) == 1, kind
        assert leave[0]["data"]["element_type"] == kind
        assert leave[0]["data"]["dwellMs"] == leave[0]["timestamp"] - enter[0]["timestamp"] == 150
        assert all(e["currentSection"] == "kinds" for e in enter + prox + hover + leave)
    # the 44 templated strings, each seen exactly once
    templated = {t for t in site.bridge.types() if any(t.startswith(k + "_") for k in INTENTS)}
    assert len(templated) == 44
    price = site.bridge.events("price_proximity_enter")[0]["data"]
    assert (price["currency"], price["value"], price["isOriginal"], price["isSale"]) == ("USD", 45995, False, False)
    assert site.bridge.events("price_hover")[0]["data"]["meta"]["value"] == 45995
    assert "currency" not in site.bridge.events("purchase_button_proximity_enter")[0]["data"]


SIGNALS_HTML = """<!DOCTYPE html><html><head><title>signals</title><style>
body { margin: 0 } .s { position: absolute; width: 180px; height: 40px; margin: 0 }
</style></head><body><section id="signals">
<div class="s tier-a" id="s-none" style="left: 40px; top: 100px">Standard package</div>
<div class="s tier-a" id="s-discount-text" style="left: 380px; top: 100px">Was $900, now $800</div>
<div class="s tier-a discount-badge" id="s-discount-class" style="left: 720px; top: 100px">Gold</div>
<div class="s tier-a" id="s-trial-text" style="left: 1060px; top: 100px">Free test drive</div>
<div class="s tier-a trial-offer" id="s-trial-class" style="left: 40px; top: 450px">Silver</div>
<div class="s tier-a" id="s-urgency-text" style="left: 380px; top: 450px">Only 2 left!</div>
<div class="s tier-a urgent-limited" id="s-urgency-class" style="left: 720px; top: 450px">Bronze</div>
<div class="s tier-a" id="s-all" style="left: 1060px; top: 450px">Limited: save 20%, try it free</div>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""

SIGNALS = {
    "s-none": (False, False, False), "s-discount-text": (True, False, False), "s-discount-class": (True, False, False),
    "s-trial-text": (False, True, False), "s-trial-class": (False, True, False),
    "s-urgency-text": (False, False, True), "s-urgency-class": (False, False, True), "s-all": (True, True, True),
}


async def hover_each(site, ids: list[str]) -> None:
    """Jump straight onto the centre of each element, one sampler tick each (entered with over=true)."""
    for eid in ids:
        b = await site.box(f"#{eid}")
        await site.move_ticks([(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)])
    await site.flush()


async def test_signals_discount_trial_urgency_from_text_and_class(open_site):
    site = await open_site("/rv/signals.html", html=SIGNALS_HTML, clock=True)
    await hover_each(site, list(SIGNALS))
    got = {e["data"]["elementId"]: e["data"] for e in site.bridge.events("tier_card_proximity_enter")}
    for eid, (disc, trial, urg) in SIGNALS.items():
        assert got[eid]["over"] is True and got[eid]["distance"] == 0
        assert got[eid]["signals"] == {"hasDiscount": disc, "hasTrial": trial, "hasUrgency": urg}, eid


PRICES_HTML = """<!DOCTYPE html><html><head><title>prices</title><style>
body { margin: 0 } .p { position: absolute; width: 150px; height: 40px; margin: 0 }
</style></head><body><section id="prices">
<span class="p price" id="p-plain" style="left: 40px; top: 100px">$45,995</span>
<s class="p msrp" id="p-msrp" style="left: 360px; top: 100px">$52,490</s>
<span class="p sale-price" id="p-sale" style="left: 680px; top: 100px">$45,995</span>
<span class="p price" id="p-eur" style="left: 1000px; top: 100px">&euro;1.299,50</span>
<span class="p price" id="p-gbp" style="left: 40px; top: 400px">&pound;899</span>
<span class="p amount" id="p-usd-code" style="left: 360px; top: 400px">USD 1,234.56</span>
<span class="p price" id="p-data" data-price="399" style="left: 680px; top: 400px">Call us</span>
<span class="p price" id="p-was-text" style="left: 1000px; top: 400px">Was $64,995</span>
<span class="p price" id="p-none" style="left: 40px; top: 700px">Ask for details</span>
<span class="p price" id="p-cents" style="left: 360px; top: 700px">$398.25/mo</span>
<div class="p" style="left: 680px; top: 700px"><s>$30,000</s>
  <span class="price" id="p-next-to-strike">$27,500</span></div>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""

PRICES = {  # id: (currency, value, isOriginal, isSale)
    "p-plain": ("USD", 45995, False, False), "p-msrp": ("USD", 52490, True, False),
    "p-sale": ("USD", 45995, False, True), "p-eur": ("EUR", 1299.5, False, False),
    "p-gbp": ("GBP", 899, False, False), "p-usd-code": ("USD", 1234.56, False, False),
    "p-data": ("USD", 399, False, False), "p-was-text": ("USD", 64995, True, False),
    "p-none": (None, None, False, False), "p-cents": ("USD", 398.25, False, False),
    "p-next-to-strike": ("USD", 27500, False, True),
}


async def test_price_parsing_currency_value_original_sale(open_site):
    site = await open_site("/rv/prices.html", html=PRICES_HTML, clock=True)
    await hover_each(site, list(PRICES))
    got = {e["data"]["elementId"]: e["data"] for e in site.bridge.events("price_proximity_enter")}
    for eid, expected in PRICES.items():
        d = got[eid]
        assert (d["currency"], d["value"], d["isOriginal"], d["isSale"]) == expected, eid
        assert d["element_type"] == "price" and d["intent"] == "none"
    hovers = {e["data"]["elementId"]: e["data"]["meta"] for e in site.bridge.events("price_hover")}
    assert (hovers["p-eur"]["currency"], hovers["p-eur"]["value"]) == ("EUR", 1299.5)


async def test_dollar_currency_follows_the_page_offer(open_site):
    html = PRICES_HTML.replace("</head>", """<script type="application/ld+json">
{"@type": "Product", "name": "Camper", "offers": {"@type": "Offer", "price": 45995, "priceCurrency": "CAD"}}
</script></head>""")
    site = await open_site("/rv/prices-cad.html", html=html, clock=True)
    await hover_each(site, ["p-plain", "p-eur"])
    got = {e["data"]["elementId"]: e["data"]["currency"] for e in site.bridge.events("price_proximity_enter")}
    assert got == {"p-plain": "CAD", "p-eur": "EUR"}


@pytest.mark.parametrize("cell", [160, 100])
async def test_spatial_grid_cells(open_site, cell):
    cfg = make_config(signal={"gridCellPx": cell}) if cell != 160 else None
    site = await open_site("/rv/kinds.html", html=kinds_page(), config=cfg, clock=True)
    assert (await site.eitp("config"))["signal"]["gridCellPx"] == cell
    pad = 140 + 12
    for entry in await site.page.evaluate("() => window.EITP.proximityIndex()"):
        r = entry["rect"]
        cols = range(math.floor((r["left"] - pad) / cell), math.floor((r["right"] + pad) / cell) + 1)
        rows = range(math.floor((r["top"] - pad) / cell), math.floor((r["bottom"] + pad) / cell) + 1)
        assert entry["cells"] == [f"{c},{w}" for c in cols for w in rows], entry["id"]
    # the grid is only an index: the 140 px radius holds across cell borders whatever the cell size
    await site.move_ticks([(640, TOP0 - 170), (640, TOP0 - 139)])
    await site.flush()
    enters = site.bridge.events("price_proximity_enter")
    assert [e["data"]["distance"] for e in enters] == [139]
    await site.move_ticks([(640, TOP0 - 190), (540 - 139, TOP0 + 20)])   # left, then back in from the side
    await site.flush()
    assert [e["data"]["distance"] for e in site.bridge.events("price_proximity_enter")] == [139, 139]
