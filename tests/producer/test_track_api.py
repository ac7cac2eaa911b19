"""EITP.track(type, data) and the session / tenant ids against the batch schema (spec 4.3) the bridge
holds every batch to: one event whose data is not an object or whose type is over 64 characters, or
an id that is not a name (1-128 of A-Z a-z 0-9 _ -), had the whole batch refused, every other event
in it lost."""

from __future__ import annotations

import pytest

from workbench.protocol.inbound import Refused, read_batch

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


def accepted(site) -> None:
    for pub in site.bridge.pubs:
        result = read_batch(pub.raw, max_clock_skew_ms=60_000)
        assert not isinstance(result, Refused), result


async def test_data_that_is_not_a_plain_object_is_sent_as_a_value_and_a_long_type_is_refused(open_site):
    site = await open_site(clock=True)
    page = site.page
    results = await page.evaluate("""() => {
        class Quote { constructor() { this.total = 45995; } }
        return [
          window.EITP.track('cart_items', ['rv-1', 'rv-2']),
          window.EITP.track('delivery_date', new Date(Date.UTC(2026, 0, 1))),
          window.EITP.track('filters', new Map([['make', 'ford'], ['year', 2024]])),
          window.EITP.track('picked', new Set(['gold', 'silver'])),
          window.EITP.track('quote', new Quote()),
          window.EITP.track('count', 3),
          window.EITP.track('plain', JSON.parse('{"a": 1, "__proto__": {"b": 2}}')),
          window.EITP.track('x'.repeat(64), {}),
          window.EITP.track('y'.repeat(65), {}),
        ];
    }""")
    assert results == [True] * 8 + [False]
    await site.flush()
    accepted(site)
    data = {e["type"]: e["data"] for e in site.bridge.events()}
    assert data["cart_items"] == {"value": ["rv-1", "rv-2"]}
    assert data["delivery_date"] == {"value": 1767225600000}
    assert data["filters"] == {"value": [["make", "ford"], ["year", 2024]]}
    assert data["picked"] == {"value": ["gold", "silver"]}
    assert data["quote"] == {"value": "[object Object]"}  # a class instance is not read
    assert data["count"] == {"value": 3}
    assert data["plain"] == {"a": 1, "__proto__": {"b": 2}}  # an own "__proto__" key is data
    assert "x" * 64 in data and not any(t.startswith("y") for t in data)


@pytest.mark.parametrize("query", [
    "?eitp_session=visit.2026-01-01&eitp_tenant=org_workbench",
    "?eitp_session=" + "s" * 129,
    "?eitp_session=sq_ok&eitp_tenant=org%20evil.tenant",
])
async def test_a_session_or_tenant_id_that_is_not_a_name_is_not_used(open_site, query):
    site = await open_site("/rv/" + query)
    ids = await site.page.evaluate("() => [window.EITP.sessionId, window.EITP.tenantId]")
    assert ids[1] == "org_workbench"
    if "sq_ok" in query:
        assert ids[0] == "sq_ok"
    else:
        assert ids[0].startswith("sq_") and len(ids[0]) < 40  # a generated one
    await site.flush()
    accepted(site)
    assert site.bridge.subs[0][0] == f"seer.org_workbench.intervention.request.{ids[0]}"
