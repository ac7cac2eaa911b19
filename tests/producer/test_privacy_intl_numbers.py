"""Section 10.1 for phones and cards in the notations outside North America that 3.9's patterns miss:
a +44 number with its trunk "(0)", a national number led by its trunk 0 ("020 7946 0958"), a long
last group ("+49 30 12345678", which left half of it), and a card number grouped by dots.  Prices,
years, times, model and version numbers beside them stay."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

INTL_FORMS = [
    ("UK office: +44 (0)20 7946 0958", "UK office: [REDACTED]"),
    ("UK office: +44 (0) 20 7946 0958 or +44 (0)161 496 0000", "UK office: [REDACTED] or [REDACTED]"),
    ("From the UK call 020 7946 0958 or (020) 7946 0958", "From the UK call [REDACTED] or [REDACTED]"),
    ("Manchester 0161 496 0000, freephone 0800 123 4567", "Manchester [REDACTED], freephone [REDACTED]"),
    ("Berlin: +49 30 12345678 or 030 12345678", "Berlin: [REDACTED] or [REDACTED]"),
    ("Card on file 4111.1111.1111.1111.", "Card on file [REDACTED]."),
    # not PII
    ("Price 1 000 000 or 1 050 000 000 EUR, 0% APR for 060 months, 0 Down, 007 edition",
     "Price 1 000 000 or 1 050 000 000 EUR, 0% APR for 060 months, 0 Down, 007 edition"),
    ("Version 2024.0101 build 0001.0002, model 0950, 2024-05-01 10:30:00, $45 995, +0.25% APR",
     "Version 2024.0101 build 0001.0002, model 0950, 2024-05-01 10:30:00, $45 995, +0.25% APR"),
    # part, serial and opening-hours numbers led by a 0 are no phone: a national one has 10 or 11 digits
    ("Part 0123-4567-890, serial 0987 654 321, hours 0800 1000 1800",
     "Part 0123-4567-890, serial 0987 654 321, hours 0800 1000 1800"),
]

CONTACT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Contact</title></head><body>
<section id="contact" style="padding: 40px">
  <p id="uk">UK office: +44 (0)20 7946 0958</p>
  <p id="national">From the UK call 020 7946 0958</p>
  <p id="berlin">Berlin: +49 30 12345678</p>
  <p id="card">Card on file 4111.1111.1111.1111</p>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_international_and_national_phones_and_dotted_cards_are_redacted(open_site):
    site = await open_site("/rv/contact-intl.html", html=CONTACT_PAGE)
    page = site.page
    await page.evaluate("(texts) => texts.forEach((t, i) => window.EITP.track('custom_intl', {i, text: t}))",
                        [text for text, _ in INTL_FORMS])
    for sel in ("#uk", "#national", "#berlin", "#card"):
        await page.click(sel)
    await site.flush()
    sent = {e["data"]["i"]: e["data"]["text"] for e in site.bridge.events("custom_intl")}
    assert [sent[i] for i in range(len(INTL_FORMS))] == [redacted for _, redacted in INTL_FORMS]
    clicks = [e["data"]["target"]["text"] for e in site.bridge.events("click")]
    assert clicks == ["UK office: [REDACTED]", "From the UK call [REDACTED]", "Berlin: [REDACTED]",
                      "Card on file [REDACTED]"]
    assert site.bridge.leaked(("7946 0958", "30 1234", "4111.1111")) == []
