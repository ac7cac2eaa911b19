"""The RV dealer page: the structure other components drive (ids, sections, JSON-LD, CTAs) and the
iframe exit tracker, which needs a page of its own."""

from __future__ import annotations

import asyncio
import json

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

SECTIONS = ["hero", "specifications", "floorplan", "features", "pricing", "financing", "reviews", "contact"]


async def test_dealer_page_structure(open_site):
    external: list[str] = []
    site = await open_site()
    page = site.page
    page.on("request", lambda r: external.append(r.url) if "127.0.0.1" not in r.url else None)
    info = await page.evaluate("""() => ({
        title: document.title,
        desc: document.querySelector('meta[name=description]')?.content,
        kw: document.querySelector('meta[name=keywords]')?.content,
        h1: document.querySelectorAll('h1').length,
        h2: document.querySelectorAll('h2').length,
        nav: [...document.querySelectorAll('header nav a')].map(a => [a.textContent.trim(), a.getAttribute('href')]),
        sections: [...document.querySelectorAll('section[id]')].map(s => [s.id, s.getBoundingClientRect().height]),
        rows: document.querySelectorAll('#specs-table tbody tr').length,
        heads: [...document.querySelectorAll('#specs-table thead th')].map(t => t.textContent.trim()),
        ld: [...document.querySelectorAll('script[type="application/ld+json"]')].map(s => s.textContent),
        texts: Object.fromEntries(['price-main', 'cta-buy', 'cta-schedule', 'cta-learn', 'btn-availability',
            'lead-submit'].map(id => [id, document.getElementById(id).textContent.trim()])),
        buyAction: document.getElementById('cta-buy').dataset.action,
        learnTag: document.getElementById('cta-learn').tagName,
        form: [document.getElementById('lead-form').getAttribute('action'),
               document.getElementById('lead-form').getAttribute('method'),
               document.getElementById('lead-email').type],
        chatHidden: document.getElementById('seer-chat').hidden,
        genericCta: document.querySelectorAll('.cta').length,
        scripts: [...document.querySelectorAll('body > script[src]')].map(s => s.getAttribute('src')),
        ext: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href'))
            .filter(u => /^(https?:)?\\/\\//.test(u)),
    })""")
    assert info["title"] == "2024 Arctic Wolf 3650SUITE | Prosser's Premium RV"
    assert info["desc"] and info["kw"] and info["h1"] == 1 and info["h2"] >= 5
    assert ["Pricing", "#pricing"] in info["nav"]
    assert {h for _, h in info["nav"]} >= {"#specifications", "#pricing", "#financing", "#reviews", "#contact"}
    assert [s for s, _ in info["sections"]] == SECTIONS
    assert all(h >= 700 for _, h in info["sections"])
    assert info["rows"] >= 8 and info["heads"] == ["Spec", "Value"]
    vehicle = json.loads(info["ld"][0])
    assert vehicle["@type"] == "Vehicle" and vehicle["vehicleModelDate"] == "2024"
    assert vehicle["offers"]["price"] == 59995 and vehicle["offers"]["priceCurrency"] == "USD"
    assert json.loads(info["ld"][1])["@type"] == "FAQPage"
    assert info["texts"] == {"price-main": "$59,995", "cta-buy": "Buy Now", "cta-schedule": "Schedule a Walkthrough",
                             "cta-learn": "Learn more", "btn-availability": "Check Availability",
                             "lead-submit": "Request a Quote"}
    assert info["buyAction"] == "purchase" and info["learnTag"] == "A"
    assert info["form"] == ["/lead", "post", "email"]
    assert info["chatHidden"] is True and info["genericCta"] >= 1
    assert info["scripts"] == ["/eitp/config.js", "/eitp/producer.js", "/common/site.js"]
    assert info["ext"] == [] and external == []
    assert await page.locator(".msrp").inner_text() == "$64,995"
    assert await page.locator(".sale-price").inner_text() == "$59,995"
    assert await page.locator("#tier-ultimate").inner_text() != ""
    assert "Limited time" in await page.locator("#tier-ultimate").inner_text()
    assert "Save $2,000" in await page.locator("#tier-adventure").inner_text()

    # a dispatched intervention opens the chat shell (site.js)
    await page.evaluate("""() => document.dispatchEvent(new CustomEvent('eitp:intervention',
        {detail: {message: 'Happy to help with the packages.'}}))""")
    assert await page.locator("#seer-chat").is_visible()
    assert await page.locator("#seer-chat-log").inner_text() == "Happy to help with the packages."


IFRAME_PAGE = """<!DOCTYPE html><html><head><title>iframe</title></head><body style="margin:0">
<section id="embed" style="height: 900px"><p>Video tour below.</p>
<iframe id="tour" src="/common/site.css?email=jane@example.com"
        style="position:absolute; left:400px; top:200px; width:400px; height:300px; border:0"></iframe>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_iframe_exit(open_site):
    site = await open_site("/rv/iframe-test.html", html=IFRAME_PAGE)
    page = site.page
    for x, y in [(100, 100), (300, 300), (390, 300), (420, 300), (600, 350)]:
        await page.mouse.move(x, y)
    await asyncio.sleep(0.15)
    await site.flush()
    ev = site.bridge.events("iframe_exit")
    assert [e["data"] for e in ev] == [{"x": 420, "y": 300, "iframeSrc": "/common/site.css"}]  # no query: 10.2
    assert ev[0]["currentSection"] == "embed"
