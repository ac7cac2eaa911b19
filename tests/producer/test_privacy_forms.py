"""PII sanitization (spec 3.9 / 10.1), form tracker without values (3.8 / 10.2), selection tracker."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

PII_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Account of jane.doe@example.com</title>
<meta name="description" content="Call 509-555-0142 or write to jane.doe@example.com, zip 99350">
<meta name="keywords" content="ssn 123-45-6789">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "Product", "name": "Trailer for jane.doe@example.com", "description": "Call 509-555-0142, SSN 123-45-6789",
   "sku": "4111-1111-1111-1111", "brand": {"@type": "Brand", "name": "Zip 99350"},
   "offers": {"@type": "Offer", "price": "1299.00", "priceCurrency": "USD"}},
  {"@type": "FAQPage", "mainEntity": [{"@type": "Question", "name": "Email jane.doe@example.com?",
   "acceptedAnswer": {"@type": "Answer", "text": "Call (509) 555-0177 or 509.555.0142"}}]},
  {"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "name": "Card 5500 0000 0000 0004"}]},
  {"@type": ["Vehicle", "Car"], "name": "Owner 123-45-6789", "model": "jane.doe@example.com",
   "offers": [{"@type": "Offer", "price": 45995, "priceCurrency": "USD"}]},
  {"@type": "Offer", "name": "Offer for zip 99350-1234", "price": 10, "priceCurrency": "USD"}
]}
</script>
</head>
<body>
<section id="pii" style="min-height: 1200px; padding: 40px; position: relative"><div style="width: 640px">
  <div id="pii-kinds" style="position: absolute; left: 760px; top: 40px; width: 480px">
    <button id="pii-buy" data-action="purchase" type="button" style="display: block; margin: 0 0 200px">
      Buy now: call 509-555-0142</button>
    <div class="tier-card" id="pii-tier-1" style="height: 120px"><h3>Plan for jane.doe@example.com</h3>
      <p class="price" id="pii-price">$1,299.00 zip 99350</p></div>
    <div class="tier-card" id="pii-tier-2" style="height: 120px; margin-top: 200px"><h3>Plan 123-45-6789</h3></div>
  </div>
  <h1>Owner 123-45-6789</h1>
  <h2>Card 4111 1111 1111 1111</h2>
  <p id="pii-text">Reach Jane at jane.doe@example.com or 509-555-0142 or (509) 555-0177. SSN 123-45-6789,
     card 4111-1111-1111-1111, zip 99350-1234. Quoted total $1,299.00 today.</p>
  <table><thead><tr><th>Name</th><th>Card</th></tr></thead>
    <tbody><tr><td>Jane</td><td>5500 0000 0000 0004</td></tr></tbody></table>
  <form id="pii-form" action="/lead?contact=jane.doe@example.com" method="post" style="width: 600px">
    <input id="f-email" name="email" type="email">
    <input id="f-phone" name="phone" type="tel">
    <input id="f-note" name="note" type="text">
    <input id="f-empty" name="empty" type="text">
    <textarea id="f-msg" name="msg"></textarea>
    <button id="f-submit" type="submit">Send jane.doe@example.com</button>
  </form>
</div></section>
<script>document.getElementById('pii-form').addEventListener('submit', (e) => e.preventDefault());</script>
<script src="/eitp/config.js"></script>
<script src="/eitp/producer.js"></script>
</body></html>
"""

TYPED = {
    "#f-email": "zed.quux@private-mail.org",
    "#f-phone": "206-555-0199",
    "#f-note": "Zebediah Quux secret plan",
    "#f-msg": "my SSN is 987-65-4321 and card 4000 1234 5678 9010",
}

FORBIDDEN = [
    "jane.doe", "example.com", "509-555-0142", "555-0142", "555-0177", "123-45-6789", "45-6789",
    "4111", "5500 0000", "99350", "1234 5678",
    "zed.quux", "private-mail", "206-555", "Zebediah", "Quux", "secret plan", "987-65", "4000 1234",
]


async def test_pii_never_leaves_the_page(open_site):
    site = await open_site("/rv/pii-test.html", html=PII_PAGE)
    page = site.page
    # type into every field (values must never be transmitted), leave one empty
    for sel, value in TYPED.items():
        await page.click(sel)
        await page.keyboard.type(value, delay=0)
    await page.click("#f-empty")
    await page.click("#pii-text")  # blur; click target text contains PII
    # hover the PII-labelled button, the tier card heading and the price (proximity texts)
    steps = [("#pii-buy", "purchase_button_proximity_enter", 1), ("#pii-tier-1 h3", "tier_card_proximity_enter", 1),
             ("#pii-price", "price_proximity_enter", 1), ("#pii-tier-2", "tier_card_proximity_enter", 2)]
    for sel, event, count in steps:
        b = await site.box(sel)
        await page.mouse.move(b["x"] + 5, b["y"] + 5)
        await page.wait_for_function("([t, n]) => (window.EITP.stats().events[t] || 0) >= n", arg=[event, count],
                                     polling=20)
    # select the PII paragraph (triple click = whole paragraph)
    box = await site.box("#pii-text")
    await page.mouse.click(box["x"] + 20, box["y"] + 5, click_count=3)
    await asyncio.sleep(0.1)
    await page.click("#f-submit")
    await asyncio.sleep(0.1)
    await site.flush()

    assert site.bridge.leaked(FORBIDDEN) == []

    sel = site.bridge.events("text_selection")
    assert sel, site.bridge.types()
    d = sel[-1]["data"]
    assert "[REDACTED]" in d["text"] and d["hasPrice"] is True and len(d["text"]) <= 100
    assert d["length"] > 100
    wp = site.bridge.events("text_selection_with_price")
    assert wp and wp[-1]["data"]["price"] == "$1,299.00"

    blurs = {e["data"]["id"]: e["data"] for e in site.bridge.events("form_blur")}
    assert blurs["f-note"]["hasValue"] is True and blurs["f-empty"]["hasValue"] is False
    assert set(blurs["f-email"]) == {"type", "name", "id", "duration", "hasValue"}
    sub = site.bridge.events("form_submit")[0]["data"]
    assert sub == {"id": "pii-form", "action": "/lead", "method": "POST"}  # a URL leaves without its query

    pc = site.bridge.payloads()[-1]["pageContent"]
    assert pc["pageTitle"] == "Account of [REDACTED]"
    assert pc["h1"] == "Owner [REDACTED]" and pc["headings"] == ["Card [REDACTED]"]
    assert pc["tables"][0]["rows"] == [["Jane", "[REDACTED]"]]
    assert "[REDACTED]" in pc["visibleContent"] and "$1,299.00" in pc["visibleContent"]
    assert pc["meta"]["description"] == "Call [REDACTED] or write to [REDACTED], zip [REDACTED]"
    click_texts = [e["data"]["target"]["text"] for e in site.bridge.events("click")]
    assert any("[REDACTED]" in t for t in click_texts)

    # JSON-LD (all five types, @graph, array @type) is summarised with the PII redacted
    sd = {d["type"]: d for d in pc["structuredData"]}
    assert set(sd) == {"Product", "FAQPage", "ItemList", "Vehicle", "Offer"}
    assert sd["Product"]["name"] == "Trailer for [REDACTED]" and sd["Product"]["brand"] == "Zip [REDACTED]"
    assert sd["Product"]["description"] == "Call [REDACTED], SSN [REDACTED]" and sd["Product"]["sku"] == "[REDACTED]"
    assert sd["Product"]["price"] == "$1,299" and sd["Product"]["priceValue"] == 1299
    assert sd["FAQPage"]["questions"] == [{"q": "Email [REDACTED]?", "a": "Call [REDACTED] or [REDACTED]"}]
    assert sd["ItemList"]["items"] == ["Card [REDACTED]"]
    assert sd["Vehicle"]["name"] == "Owner [REDACTED]" and sd["Vehicle"]["model"] == "[REDACTED]"
    assert sd["Vehicle"]["priceValue"] == 45995
    assert sd["Offer"]["name"] == "Offer for zip [REDACTED]"

    # button labels, tier headings and prices as the proximity engine reports them
    buy = site.bridge.events("purchase_button_proximity_enter")[0]["data"]
    assert buy["text"] == "Buy now: call [REDACTED]" and buy["elementId"] == "pii-buy"
    assert site.bridge.events("purchase_button_hover")[0]["data"]["meta"]["text"] == "Buy now: call [REDACTED]"
    tiers = {e["data"]["elementId"]: e["data"]["text"] for e in site.bridge.events("tier_card_proximity_enter")}
    assert tiers["pii-tier-1"] == "Plan for [REDACTED] $1,299.00 zip [REDACTED]"
    assert tiers["pii-tier-2"] == "Plan [REDACTED]"
    price = next(e["data"] for e in site.bridge.events("price_proximity_enter"))
    assert price["text"] == "$1,299.00 zip [REDACTED]" and price["value"] == 1299
    comp = site.bridge.events("pricing_comparison")[0]["data"]
    assert comp["tiers"] == ["Plan for [REDACTED]", "Plan [REDACTED]"]


CUT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>cuts</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "Product", "name": "Trailer", "description": "<d190> 123-45-6789"},
  {"@type": "FAQPage", "mainEntity": [{"@type": "Question", "name": "Q?",
   "acceptedAnswer": {"@type": "Answer", "text": "<a195> 99350-1234"}}]}]}
</script></head>
<body style="margin: 0"><section id="cuts" style="padding: 20px">
  <p id="cut-p" style="width: 600px"><p290> jane.doe@example.com</p>
  <table><tbody><tr><td><c110> 509-555-0142</td></tr></tbody></table>
  <div class="tier-card" id="cut-tier-1" style="height: 80px"><h3><t55> 4111 1111 1111 1111</h3></div>
  <div class="tier-card" id="cut-tier-2" style="height: 80px"><h3>Basic</h3></div>
  <iframe id="cut-frame" src="/common/site.css?owner=jane.doe%40example.com#card=4111+1111+1111+1111"
          style="position: absolute; left: 700px; top: 20px; width: 300px; height: 200px; border: 0"></iframe>
  <form id="cut-form" action="/search?q=Jane+Doe&email=jane.doe%40example.com" method="get">
    <button id="cut-go" type="submit">Go</button></form>
</section>
<script>document.getElementById('cut-form').addEventListener('submit', (e) => e.preventDefault());</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>
"""
FILLERS = {"d190": "d" * 190, "a195": "a" * 195, "p290": "p" * 290, "c110": "c" * 110, "t55": "t" * 55}
for _name, _text in FILLERS.items():  # text just short of a limit, PII across it
    CUT_PAGE = CUT_PAGE.replace(f"<{_name}>", _text)


async def test_pii_cut_by_a_length_limit_or_hidden_in_a_url_never_leaves(open_site):
    """Every length limit cuts after sanitizing, so no fragment of PII survives the cut; and a URL
    (referrer, form action, iframe src) leaves without its query and fragment, where a GET form's
    values sit percent-encoded beyond the reach of the PII patterns."""
    site = await open_site("/rv/cut-test.html", html=CUT_PAGE)
    page = site.page
    url = page.url
    referrer = url.split("?")[0] + "?name=Jane+Doe&email=jane.doe%40example.com&card=4111+1111+1111+1111"
    await page.goto(url, referer=referrer)  # the next page view of this session, arriving from a GET form
    await page.wait_for_function("() => window.EITP && window.EITP.stats().open === true")
    frame = await site.box("#cut-frame")
    for x, y in [(300, 300), (650, 100), (710, 100)]:  # into the iframe: iframe_exit
        await page.mouse.move(x, y)
    await page.click("#cut-go")
    await page.mouse.wheel(0, 40)  # a scroll end re-checks the tier cards in view: pricing_comparison
    await page.wait_for_function("() => (window.EITP.stats().events.pricing_comparison || 0) >= 1", polling=20)
    await site.flush()

    connections = [e["data"] for e in site.bridge.events("connection")]
    # the page itself, without the query (its port may be redacted: five digits look like a zip code)
    assert connections[-1]["referrer"].startswith("http://127.0.0.1:")
    assert connections[-1]["referrer"].endswith("/rv/cut-test.html")
    assert [e["data"]["iframeSrc"] for e in site.bridge.events("iframe_exit")] == ["/common/site.css"]
    assert frame["width"] == 300
    assert site.bridge.events("form_submit")[-1]["data"]["action"] == "/search"
    pc = site.bridge.payloads()[-1]["pageContent"]
    sd = {d["type"]: d for d in pc["structuredData"]}
    def cut(text: str, limit: int) -> str:  # the PII redacted first, then the limit applied
        return (text + " [REDACTED]")[:limit]

    assert sd["Product"]["description"] == cut("d" * 190, 200)
    assert sd["FAQPage"]["questions"][0]["a"] == cut("a" * 195, 200)
    assert cut("p" * 290, 300) in pc["visibleContent"].split("\n")
    assert pc["tables"][0]["rows"] == [[cut("c" * 110, 120)]]
    tiers = site.bridge.events("pricing_comparison")[-1]["data"]["tiers"]
    assert tiers[0] == cut("t" * 55, 60)
    assert site.bridge.leaked(("jane", "Jane", "example", "%40", "4111", "123-45", "9935", "509-555", "owner=",
                               "q=")) == []


async def test_track_api_sanitizes_custom_events(open_site):
    site = await open_site()
    await site.page.evaluate("""() => window.EITP.track('custom_test', {
        note: 'mail me at a.b@c.io, 4111 1111 1111 1111 / 123-45-6789 / 509.555.0142 / 99350',
        nested: [{deep: 'ssn 123-45-6789'}], n: 12345})""")
    await site.flush()
    d = site.bridge.events("custom_test")[0]["data"]
    assert d["note"] == "mail me at [REDACTED], [REDACTED] / [REDACTED] / [REDACTED] / [REDACTED]"
    assert d["nested"] == [{"deep": "ssn [REDACTED]"}]
    assert d["n"] == 12345  # numbers are not strings: untouched


async def test_lead_form_focus_blur_submit_without_navigation(open_site):
    site = await open_site(clock=True)
    page = site.page
    url = page.url
    await page.evaluate("() => document.getElementById('contact').scrollIntoView()")
    await page.click("#lead-name")
    await site.tick(2500)
    await page.keyboard.type("Pat Example", delay=0)
    await page.click("#lead-phone")  # focus phone, leave it empty
    await site.tick(2100)
    await page.click("#lead-message")
    await page.keyboard.type("Is the 3650SUITE still available?", delay=0)
    await page.click("#lead-submit")
    await asyncio.sleep(0.1)
    await site.flush()
    assert page.url == url
    assert await page.locator("#lead-thanks").is_visible()

    focus = [e["data"] for e in site.bridge.events("form_focus")]
    assert focus[0] == {"type": "text", "name": "name", "id": "lead-name"}
    assert {"type": "tel", "name": "phone", "id": "lead-phone"} in focus
    assert {"type": "textarea", "name": "message", "id": "lead-message"} in focus
    blurs = {e["data"]["id"]: e["data"] for e in site.bridge.events("form_blur")}
    assert blurs["lead-name"] == {"type": "text", "name": "name", "id": "lead-name", "duration": 2500, "hasValue": True}
    # field abandonment = hasValue false and duration > fieldAbandonmentMs (inferred downstream)
    assert blurs["lead-phone"]["hasValue"] is False and blurs["lead-phone"]["duration"] == 2100
    assert blurs["lead-message"]["hasValue"] is True
    sub = site.bridge.events("form_submit")
    assert [e["data"] for e in sub] == [{"id": "lead-form", "action": "/lead", "method": "POST"}]
    assert site.bridge.leaked(("Pat Example", "still available")) == []


async def test_calculator_inputs_tracked_without_values(open_site):
    site = await open_site()
    page = site.page
    await page.fill("#calc-down", "12000")
    await page.focus("#calc-term")
    await page.select_option("#calc-term", "240")
    await page.click("#calc-apr")
    await site.flush()
    assert await page.locator("#monthly-payment").inner_text() == "$398"
    blurs = {e["data"]["id"]: e["data"] for e in site.bridge.events("form_blur")}
    assert blurs["calc-down"]["type"] == "number" and blurs["calc-down"]["hasValue"] is True
    assert blurs["calc-term"]["type"] == "select"
    assert site.bridge.leaked(("12000",)) == []


async def test_what_the_page_computes_from_typed_values_leaves_masked(open_site):
    """The calculator's monthly payment, with the price and term on the page, gives the typed down
    payment away: as an <output> it is a form value (10.2), in every text that leaves the page."""
    site = await open_site()
    page = site.page
    await page.fill("#calc-down", "12000")
    await page.select_option("#calc-term", "240")
    await page.click("#calc-apr")
    payment = await page.locator("#monthly-payment").inner_text()
    assert payment == "$398"
    await page.evaluate("() => document.getElementById('monthly-payment').scrollIntoView({block: 'center'})")
    box = await site.box("#monthly-payment")
    await page.mouse.move(box["x"] + 60, box["y"] - 60)
    await page.mouse.move(box["x"] + 5, box["y"] + 5)  # over it: price proximity and hover
    await page.mouse.click(box["x"] + 5, box["y"] + 5, click_count=3)  # click, and select it
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 1", polling=20)
    await page.evaluate("""() => {  // then the whole sentence around it
        const range = document.createRange();
        range.selectNodeContents(document.querySelector('.calc-result'));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
    }""")
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 2", polling=20)
    await site.flush()
    near = [e["data"] for e in site.bridge.events("price_proximity_enter")
            if e["data"]["elementId"] == "monthly-payment"]
    assert near and near[0]["text"] == "[MASKED]" and near[0]["value"] is None and near[0]["currency"] == "USD"
    assert site.bridge.events("click")[-1]["data"]["target"]["text"] == "[MASKED]"
    assert [e["data"]["text"] for e in site.bridge.events("text_selection")] == [
        "[MASKED]", "Estimated monthly payment [MASKED]"]
    assert "Estimated monthly payment [MASKED]" in site.bridge.payloads()[-1]["pageContent"]["visibleContent"]
    assert payment not in "".join(p.text for p in site.bridge.pubs)


SELECT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>prices</title></head><body>
<p id="ungrouped" style="margin: 40px">Cash price $4599 today</p>
<p id="cents" style="margin: 40px">Deposit $1299.99 to hold it</p>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


@pytest.mark.parametrize("selector, price", [("#ungrouped", "$4599"), ("#cents", "$1299.99")])
async def test_a_selected_price_is_the_whole_amount_grouped_or_not(open_site, selector, price):
    site = await open_site("/rv/select-test.html", html=SELECT_PAGE)
    box = await site.box(selector)
    await site.page.mouse.click(box["x"] + 10, box["y"] + 5, click_count=3)
    await site.page.wait_for_function("() => (window.EITP.stats().events.text_selection_with_price || 0) >= 1",
                                      polling=20)
    await site.flush()
    assert [e["data"]["price"] for e in site.bridge.events("text_selection_with_price")] == [price]
