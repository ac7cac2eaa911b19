"""Page content (spec 3.10): a JSON-LD offer price written with a thousands separator ("59,995", as dealer
feeds write it) or a currency sign gives the same priceValue as the price text beside it shows, not
parseFloat's prefix (59). A range gives its low end as priceValue and is shown as the page wrote it, not as
its digits run together (2,999,534,995)."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

OFFERS = [("59,995", "$59,995", 59995), ("$61,250.00", "$61,250", 61250), (45995, "$45,995", 45995),
          ("1299.99", "$1,299.99", 1299.99), ("29,995 - 34,995", "29,995 - 34,995", 29995),
          ("$18,500.50 to $21,000", "$18,500.50 to $21,000", 18500.5)]


def ld_page() -> str:
    items = [{"@context": "https://schema.org", "@type": "Vehicle", "name": f"RV {i}",
              "offers": {"@type": "Offer", "price": price, "priceCurrency": "USD"}}
             for i, (price, _, _) in enumerate(OFFERS)]
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>RVs</title>
<script type="application/ld+json">{json.dumps(items)}</script></head><body>
<section id="s" style="padding: 40px"><h1>RVs</h1></section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_a_json_ld_price_with_thousands_separators_gives_its_whole_value(open_site):
    site = await open_site("/rv/ld-price.html", html=ld_page())
    await site.flush()
    sd = site.bridge.payloads()[-1]["pageContent"]["structuredData"]
    assert [(d["price"], d["priceValue"]) for d in sd] == [(text, value) for _, text, value in OFFERS]
