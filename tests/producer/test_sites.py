"""The three dealer sites (rv, auto, powersports): every proximity kind, the shared ids personas
drive, tier cards side by side, JSON-LD, the unresponsive button, the chat shell, and each site
served by the real workbench server with its vertical and a run's configuration."""

from __future__ import annotations

import asyncio
import math
import re

import orjson
import pytest
from producer_harness import SITE_VERTICALS, wait_until

from workbench.bridge.server import BridgeServer
from workbench.bus import InProcessBus
from workbench.config import EITPConfig

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

SITES = ["rv", "auto", "powersports"]
KINDS = {"price", "purchase_button", "checkout_button", "subscribe_button", "demo_cta", "signup_cta", "tier_card",
         "pricing_nav", "feature_nav", "learn_more", "cta"}
# the same id plays the same role on every site (personas run on any of them)
ROLE_IDS = {
    "price-main": "price", "monthly-payment": "price", "cta-buy": "purchase_button", "cta-checkout": "checkout_button",
    "cta-subscribe": "subscribe_button", "cta-schedule": "demo_cta", "cta-signup": "signup_cta",
    "tier-base": "tier_card", "tier-adventure": "tier_card", "tier-ultimate": "tier_card",
    "cta-learn": "learn_more", "btn-availability": "cta",
}
OTHER_IDS = ["lead-form", "lead-name", "lead-email", "lead-phone", "lead-message", "lead-submit", "lead-thanks",
             "specs-table", "payment-calculator", "calc-down", "calc-term", "calc-apr", "seer-chat", "seer-chat-log",
             "seer-chat-close", "hero"]
SECTIONS = ["hero", "specifications", "floorplan", "features", "pricing", "financing", "reviews", "contact"]
VEHICLE = {
    "rv": ("2024 Cherokee Arctic Wolf 3650SUITE", 59995),
    "auto": ("2024 Ford F-150 XLT SuperCrew 4x4", 45995),
    "powersports": ("2024 Polaris RZR XP 1000 Premium", 24999),
}


@pytest.mark.parametrize("name", SITES)
async def test_site_structure_kinds_and_json_ld(open_site, name):
    external: list[str] = []
    site = await open_site(f"/{name}/")
    page = site.page
    page.on("request", lambda r: external.append(r.url) if "127.0.0.1" not in r.url else None)
    index = await page.evaluate("() => window.EITP.proximityIndex()")
    assert {e["kind"] for e in index} == KINDS
    by_id = {e["id"]: e["kind"] for e in index}
    assert {i: by_id.get(i) for i in ROLE_IDS} == ROLE_IDS
    info = await page.evaluate("""(ids) => ({
        missing: ids.filter(id => !document.getElementById(id)),
        sections: [...document.querySelectorAll('section[id]')].map(s => [s.id, s.getBoundingClientRect().height]),
        navHrefs: [...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href')),
        pricingNav: [...document.querySelectorAll('a[href="#pricing"]')].length,
        featureNav: [...document.querySelectorAll('a[href="#features"]')].length,
        h1: document.querySelectorAll('h1').length,
        rows: document.querySelectorAll('#specs-table tbody tr').length,
        ld: [...document.querySelectorAll('script[type="application/ld+json"]')].map(s => JSON.parse(s.textContent)),
        scripts: [...document.querySelectorAll('body > script[src]')].map(s => s.getAttribute('src')),
        ext: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href'))
            .filter(u => /^(https?:)?\\/\\//.test(u)),
        chatHidden: document.getElementById('seer-chat').hidden,
        form: [document.getElementById('lead-form').getAttribute('action'),
               document.getElementById('lead-form').getAttribute('method')],
        calcPrice: document.getElementById('payment-calculator').dataset.vehiclePrice,
        priceMain: document.getElementById('price-main').textContent.trim(),
    })""", OTHER_IDS)
    assert info["missing"] == []
    sections = [s for s, _ in info["sections"]]
    assert sections == SECTIONS
    assert all(h >= 700 for _, h in info["sections"])
    assert {"#pricing", "#features", "#specifications", "#financing", "#reviews", "#contact"} <= set(info["navHrefs"])
    assert info["pricingNav"] >= 1 and info["featureNav"] >= 1 and info["h1"] == 1 and info["rows"] >= 8
    assert info["scripts"] == ["/eitp/config.js", "/eitp/producer.js", "/common/site.js"]
    assert info["ext"] == [] and external == []
    assert info["chatHidden"] is True and info["form"] == ["/lead", "post"]
    title, price = VEHICLE[name]
    assert int(info["calcPrice"]) == price and info["priceMain"] == f"${price:,}"
    types = [d["@type"] for d in info["ld"]]
    assert "Vehicle" in types and "FAQPage" in types
    vehicle = next(d for d in info["ld"] if d["@type"] == "Vehicle")
    assert vehicle["name"] == title and vehicle["offers"]["@type"] == "Offer" and vehicle["offers"]["price"] == price

    # what the producer extracted and sent (3.10), on the site's vertical (chosen from the Referer)
    batch = site.bridge.pubs[0].payload
    assert batch["vertical"] == SITE_VERTICALS[name]
    pc = batch["pageContent"]
    assert pc["h1"] == title and pc["tables"][0]["headers"] == ["Spec", "Value"] and len(pc["tables"][0]["rows"]) >= 8
    sd = {s["type"]: s for s in pc["structuredData"]}
    assert sd["Vehicle"]["name"] == title and sd["Vehicle"]["priceValue"] == price
    assert sd["Vehicle"]["price"] == f"${price:,}" and sd["Vehicle"]["priceCurrency"] == "USD"
    assert len(sd["FAQPage"]["questions"]) >= 3
    assert pc["meta"]["description"] and pc["meta"]["keywords"]
    assert "Pricing & Packages" in pc["headings"] and len(pc["headings"]) <= 8


@pytest.mark.parametrize("name", SITES)
async def test_site_tier_cards_side_by_side(open_site, name):
    site = await open_site(f"/{name}/", clock=True)
    await site.scroll_to("#pricing")
    await site.tick(150)
    visible = await site.page.evaluate("""() => [...document.querySelectorAll('.tier-card')].filter(c => {
        const r = c.getBoundingClientRect();
        return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
    }).map(c => c.id)""")
    assert len(visible) >= 2
    await site.flush()
    comp = site.bridge.events("pricing_comparison")
    assert len(comp) == 1 and comp[0]["data"]["tier_count"] >= 2 and comp[0]["currentSection"] == "pricing"
    assert comp[0]["data"]["elementIds"][:2] == ["tier-base", "tier-adventure"]


@pytest.mark.parametrize("name", SITES)
async def test_site_behaviour_unresponsive_button_forms_chat(open_site, name):
    site = await open_site(f"/{name}/", clock=True)
    page = site.page
    url = page.url
    body = await page.evaluate("() => document.body.innerHTML")
    b = await site.box("#btn-availability")
    for _ in range(3):  # the frustrated visitor: nothing happens, three clicks in 200 ms
        await page.mouse.click(b["x"] + 20, b["y"] + 10)
        await site.tick(100)
    assert page.url == url and await page.evaluate("() => document.body.innerHTML") == body
    await site.flush()
    assert site.bridge.events("rage_click")[0]["data"]["count"] == 3
    assert {c["data"]["target"]["id"] for c in site.bridge.events("click")} == {"btn-availability"}

    # calculator finances this site's price
    price = VEHICLE[name][1]
    await page.fill("#calc-down", "1000")
    months = int(await page.input_value("#calc-term"))
    apr = float(await page.input_value("#calc-apr"))
    r = apr / 100 / 12
    expected = (price - 1000) * r / (1 - (1 + r) ** -months)
    assert await page.inner_text("#monthly-payment") == f"${math.floor(expected + 0.5):,}"

    # online desk buttons answer; lead form stays on the page
    await page.click("#cta-checkout")
    assert await page.locator("#desk-note").is_visible()
    await page.click("#cta-subscribe")
    assert await page.locator("#alerts-note").is_visible()
    await page.fill("#lead-name", "Pat")
    await page.click("#lead-submit")
    assert page.url == url and await page.locator("#lead-thanks").is_visible()

    await page.evaluate("""() => document.dispatchEvent(new CustomEvent('eitp:intervention',
        {detail: {message: 'Want the numbers side by side?'}}))""")
    assert await page.locator("#seer-chat").is_visible()
    assert await page.inner_text("#seer-chat-log") == "Want the numbers side by side?"
    await page.click("#seer-chat-close")
    assert await page.locator("#seer-chat").is_hidden()


async def test_sites_through_the_real_server_with_a_run_config(eitp_browser):
    """workbench/bridge/server.py serves all three sites, picks the vertical from the Referer and hands the
    page a run's overridden thresholds; the producer's batches reach the bus."""
    config = EITPConfig().with_overrides({"signal.rage_window_ms": 300, "transport.flush_interval_ms": 1000})
    bus = InProcessBus()
    batches: list[dict] = []

    async def on_batch(subject: str, payload: bytes) -> None:
        batches.append(orjson.loads(payload))

    await bus.subscribe("telemetry.raw", on_batch)
    server = BridgeServer(bus, config)
    base = await server.start()
    ctx = await eitp_browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        for name in SITES:
            page = await ctx.new_page()
            await page.goto(f"{base}/{name}/")
            await page.wait_for_function("() => !!(window.EITP && window.EITP.stats().connection === 'open')")
            cfg = await page.evaluate("() => window.EITP.config")
            assert cfg["vertical"] == SITE_VERTICALS[name]
            assert cfg["signal"]["rageWindowMs"] == 300 and cfg["transport"]["flushIntervalMs"] == 1000
            sid = await page.evaluate("() => window.EITP.sessionId")
            await page.mouse.move(300, 300)
            await page.mouse.move(340, 320)
            await wait_until(lambda s=sid: any(b["sessionId"] == s for b in batches), timeout=10,
                             message=f"{name} batch on the bus")
            mine = [b for b in batches if b["sessionId"] == sid]
            assert {b["vertical"] for b in mine} == {SITE_VERTICALS[name]}
            assert mine[0]["pageContent"]["h1"] == VEHICLE[name][0]
            assert re.fullmatch(r"sq_\d{13}_[0-9a-z]{9}", sid)
            await page.close()
    finally:
        await ctx.close()
        await server.stop()
        await bus.close()
        await asyncio.sleep(0)
