"""Page content extraction (spec 3.10): every field within its limits, JSON-LD of the five types,
and the 5 s per-section cache on both sides of its boundary."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


def content_page() -> str:
    h2s = "".join(f"<h2>Heading {i}</h2>" for i in range(10))
    rows = "".join(f"<tr><td>Row {i}</td><td>{i * 10}</td></tr>" for i in range(20))
    paras = "".join(f'<p id="para-{i}" style="height: 60px; margin: 0">Paragraph {i} text.</p>' for i in range(12))
    return f"""<!DOCTYPE html><html><head><title>Content   test
 page</title>
<meta name="description" content="A   page about content.">
<meta name="keywords" content="content, extraction">
<script type="application/ld+json">{{"@context": "https://schema.org", "@graph": [
  {{"@type": "Product", "name": "Hitch", "brand": {{"@type": "Brand", "name": "Acme"}}, "sku": "H-1",
    "offers": {{"@type": "AggregateOffer", "lowPrice": "199.5", "priceCurrency": "USD"}}}},
  {{"@type": ["Vehicle", "Car"], "name": "2024 Truck", "vehicleModelDate": "2024", "bodyType": "Pickup",
    "offers": [{{"@type": "Offer", "price": 45995, "priceCurrency": "USD",
                "availability": "https://schema.org/InStock"}}]}},
  {{"@type": "Organization", "name": "Not extracted"}}
]}}</script>
<script type="application/ld+json">[{{"@type": "Offer", "name": "Trade-in bonus", "price": "1000",
  "priceCurrency": "EUR"}},
  {{"@type": "ItemList", "itemListElement": [{{"@type": "ListItem", "name": "Base"}},
    {{"@type": "ListItem", "item": {{"@type": "Product", "name": "Plus"}}}}]}}]</script>
<script type="application/ld+json">{{"@type": "FAQPage", "mainEntity": {{"@type": "Question", "name": "Q1?",
  "acceptedAnswer": {{"@type": "Answer", "text": "A1."}}}}}}</script>
<script type="application/ld+json">{{ not json </script>
</head><body style="margin: 0">
<section id="top" style="height: 300px"><h1>First   heading</h1><h1>Second h1</h1>{h2s}</section>
<section id="tables">
<table id="t1"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table>
<table id="t2"><tr><th>A</th><th>B</th></tr><tr><td>a1</td><td>b1</td></tr></table>
<table id="t3"><tr><td>x</td><td>y</td></tr></table>
<table id="t4"><tr><td>ignored</td></tr></table>
</section>
<section id="text" style="height: 1600px">{paras}</section>
<div id="seer-chat"><p>Chat text never counts</p></div>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_extraction_fields_and_limits(open_site):
    site = await open_site("/rv/content.html", html=content_page())
    await site.page.evaluate("() => document.getElementById('para-6').scrollIntoView({block: 'center'})")
    pc = await site.page.evaluate("() => window.EITP.pageContent()")
    assert pc["pageTitle"] == "Content test page"
    assert pc["h1"] == "First heading"
    assert pc["headings"] == [f"Heading {i}" for i in range(8)]
    assert pc["meta"] == {"description": "A page about content.", "keywords": "content, extraction"}
    tables = pc["tables"]
    assert len(tables) == 3
    assert tables[0]["id"] == "t1" and tables[0]["headers"] == ["Name", "Value"]
    assert tables[0]["rows"] == [[f"Row {i}", str(i * 10)] for i in range(15)]
    assert tables[1]["headers"] == ["A", "B"] and tables[1]["rows"] == [["a1", "b1"]]
    assert tables[2]["headers"] == [] and tables[2]["rows"] == [["x", "y"]]
    paras = pc["visibleContent"].split("\n")
    assert paras == [f"Paragraph {i} text." for i in range(4, 9)]   # the 5 nearest the viewport centre
    sd = pc["structuredData"]
    assert [d["type"] for d in sd] == ["Product", "Vehicle", "Offer", "ItemList", "FAQPage"]
    product, vehicle, offer, item_list, faq = sd
    assert product == {"type": "Product", "name": "Hitch", "price": "$199.50", "priceValue": 199.5,
                       "priceCurrency": "USD", "brand": "Acme", "sku": "H-1"}
    assert vehicle["name"] == "2024 Truck" and vehicle["price"] == "$45,995" and vehicle["priceValue"] == 45995
    assert vehicle["availability"] == "InStock" and vehicle["vehicleModelDate"] == "2024"
    assert vehicle["bodyType"] == "Pickup"
    assert offer == {"type": "Offer", "name": "Trade-in bonus", "price": "1,000 EUR", "priceValue": 1000,
                     "priceCurrency": "EUR"}
    assert item_list == {"type": "ItemList", "name": None, "items": ["Base", "Plus"]}
    assert faq == {"type": "FAQPage", "name": None, "questions": [{"q": "Q1?", "a": "A1."}]}


async def test_content_cache_5_s_per_section(open_site):
    site = await open_site("/rv/content.html", html=content_page(), clock=True)
    page = site.page
    await site.flush()
    await page.evaluate("() => window.EITP.pageContent()")           # extracted (and cached) now, at t
    await page.evaluate("() => { document.querySelector('h1').textContent = 'Changed'; }")

    async def sent_h1(tag: str) -> str:
        await page.evaluate(f"() => window.EITP.track('{tag}', {{}})")
        await site.flush()
        return site.bridge.pubs[-1].payload["pageContent"]["h1"]

    await site.tick(4999)
    assert await sent_h1("probe_4999") == "First heading"            # t + 4999: cached
    await site.tick(1)
    assert await sent_h1("probe_5000") == "Changed"                  # t + 5000: extracted again
    # a new section is extracted at once, whatever the age of the cache
    await page.evaluate("() => { document.querySelector('h1').textContent = 'Changed again'; }")
    await site.tick(1000)
    assert await sent_h1("probe_same_section") == "Changed"
    await site.scroll_to("#text")
    assert await sent_h1("probe_new_section") == "Changed again"
    assert site.bridge.events("probe_new_section")[0]["currentSection"] == "text"
