"""Section 10.2 across a page view: a GET form (a site search, "check availability for <name>") carries
what was typed into it to the next page in its query string.  The producer never sends a URL's query,
and the text that page echoes from it ("Results for Jane Doe" in the title and h1) leaves masked, as
an echo of a field typed into on the page itself does.  The producer's own eitp_* and utm_* campaign
parameters, which no visitor typed, mask nothing."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

RESULTS_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Search</title></head><body>
<section id="results" style="padding: 40px">
  <h1 id="h"></h1>
  <p id="echo"></p>
  <p id="campaign">Hi newsletter readers: Spring Sale all week.</p>
  <p id="filters">Used Toyota Tacoma, sorted by price.</p>
  <p id="sesame">Open Sesame tours every Saturday.</p>
</section>
<script>
  const q = new URLSearchParams(location.search).get('q') || '';
  document.title = 'Search: ' + q + ' | Dealer';
  document.getElementById('h').textContent = 'Results for ' + q;
  document.getElementById('echo').textContent = 'No listings found for "' + q.toUpperCase() + '".';
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_values_a_get_form_carried_to_the_page_leave_masked_where_it_echoes_them(open_site):
    site = await open_site("/rv/results.html", html=RESULTS_PAGE)
    page, bridge = site.page, site.bridge
    # the next page view, from the search form: its values in the query string
    await page.route(re.compile(r".*/rv/results\.html\?.*"), lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=RESULTS_PAGE))
    connections = bridge.connections
    await page.goto(site.server.base_url
                    + "/rv/results.html?q=Zebediah+Quux&utm_source=newsletter&utm_campaign=Spring+Sale&page=2"
                    + "&make=Toyota&model=Tacoma&sort=price&name_password=Sesame")
    await page.wait_for_function("() => window.EITP && window.EITP.stats().open === true")
    assert bridge.connections == connections + 1
    del bridge.pubs[:]  # the first view's batches: only the second one's are looked at
    await page.click("#echo")
    await page.click("#campaign")
    await page.click("#filters")
    await page.click("#sesame")
    await site.flush()
    content = site.bridge.payloads()[-1]["pageContent"]
    assert content["pageTitle"] == "Search: [MASKED] | Dealer"
    assert content["h1"] == "Results for [MASKED]"
    clicks = {e["data"]["target"]["id"]: e["data"]["target"]["text"] for e in site.bridge.events("click")}
    assert clicks["echo"] == 'No listings found for "[MASKED]".'
    # campaign tags are the site's words, not the visitor's; a number is no name
    assert clicks["campaign"] == "Hi newsletter readers: Spring Sale all week."
    # a filter's values are the site's words too: the page's content still names them
    assert clicks["filters"] == "Used Toyota Tacoma, sorted by price."
    # a password parameter never masks: the page words it masked would give the password away
    assert clicks["sesame"] == "Open Sesame tours every Saturday."
    wire = "".join(p.text for p in site.bridge.pubs).lower()
    assert "zebediah" not in wire and "quux" not in wire
