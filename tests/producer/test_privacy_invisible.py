"""Section 10.1 for personal data a reader sees whole but a pattern does not: a number or an address split by a
character nobody sees (a zero-width space, a soft hyphen, a word joiner, a bidi control, a BOM), written in
fullwidth or other digits (JavaScript's \\d is ASCII-only), with a fullwidth @ or dot, or with a non-breaking
hyphen or an en dash.  The producer reads text as a person does before its patterns run; dealer copy with such
characters and no personal data leaves as it is.  The Python side is held to the same cases
(tests/llm/test_invisible_pii.py)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

#: (text, as it leaves the page, the kind the Python side names): the producer and workbench.privacy agree on
#: each (no bare 5-digit zip here: only the producer's 3.9 pattern redacts one)
SPLIT_FORMS = [
    ("Call 555\u200b-867-5309 today", "Call [REDACTED] today", "phone number"),
    ("Call (509) 555\u200b-0142", "Call [REDACTED]", "phone number"),
    ("Call 509\u2060555\u20600142", "Call [REDACTED]", "phone number"),
    ("Call 509\u2011555\u20110142 or 509\u2013555\u20130143", "Call [REDACTED] or [REDACTED]", "phone number"),
    ("Tel \uff15\uff10\uff19-\uff15\uff15\uff15-\uff10\uff11\uff14\uff12", "Tel [REDACTED]", "phone number"),
    ("Tel \u0665\u0660\u0669-\u0665\u0665\u0665-\u0660\u0661\u0664\u0662", "Tel [REDACTED]", "phone number"),
    ("Card 4111\u00ad1111 1111 1111 on file", "Card [REDACTED] on file", "card number"),
    ("Card 4111 1111\u200c 1111 1111", "Card [REDACTED]", "card number"),
    ("Card \uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",
     "Card [REDACTED]", "card number"),
    ("SSN 123-45\u202e-6789", "SSN [REDACTED]", "SSN"),
    ("SSN 123\u2066-45-6789\u2069", "SSN [REDACTED]", "SSN"),
    ("SSN \uff11\uff12\uff13-\uff14\uff15-\uff16\uff17\uff18\uff19", "SSN [REDACTED]", "SSN"),
    # read whole before any pattern runs: the 3.9 zip pattern would bite "12345" as written and leave "6789"
    ("SSN 123456\u200b789", "SSN [REDACTED]", "SSN"),
    # what is found as written reads the same: the rest of the text stays as written
    ("Open Mon\u2013Sat 8\u20136 \u00b7 Call (509) 555-0199", "Open Mon\u2013Sat 8\u20136 \u00b7 Call [REDACTED]",
     "phone number"),
    ("Mail jo\u200bhn@example.com", "Mail [REDACTED]", "email address"),
    ("Mail john\uff20example.com or jane@example\uff0ecom", "Mail [REDACTED] or [REDACTED]", "email address"),
    ("Signed in from 203\u200b.0.113.9", "Signed in from [REDACTED]", "IP address"),
    ("Signed in from \uff12\uff10\uff13.\uff10.\uff11\uff11\uff13.\uff19", "Signed in from [REDACTED]", "IP address"),
    ("Ship to 1234 Elm\u200b Street today", "Ship to [REDACTED] today", "street address"),
    ("ZIP+4 97201-\u200b1234", "ZIP+4 [REDACTED]", "zip code"),
]

#: dealer copy with invisible and typographic characters and no personal data: it leaves exactly as written
DEALER_COPY = [
    "2024 Cherokee Arctic Wolf 3650\u00adSUITE \u2013 $59,995",
    "Model years 2019\u20132024, $45,995\u2013$50,995, Mon\u2013Sat 9\u20136",
    "Tows 7,500\u00a0lbs \u00b7 GVWR 11,500 lbs \u00b7 39\u2032 8\u2033 \u2014 Stock #A24\u20113650",
    "Family of four \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 approved \u2764\ufe0f",
    "\u200f\u05de\u05d7\u05d9\u05e8 \u20aa 229,900\u200f and caf\u00e9 \u00bd price",
    # a model year and a name that ends in a street type are no street address
    "The 2024 Subaru Outback All Wheel Drive is still on the lot",
    "Compare the 2023 Ford Explorer Four Wheel Drive trims",
    "Book 1 Free Test Drive this weekend, Save 500 On Every Test Drive",
]

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Your rep</title></head><body>
<section style="padding: 40px">
  <p id="zw">Call 555&#8203;-867-5309 today</p>
  <p id="shy">Card 4111&shy;1111 1111 1111 on file</p>
  <p id="wide">Call <span id="area">(\uff15\uff10\uff19)</span>
    <span id="local">\uff15\uff15\uff15-\uff10\uff11\uff14\uff12</span></p>
  <p id="model">2024 Cherokee Arctic Wolf 3650&shy;SUITE &ndash; $59,995</p>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_split_and_wide_personal_data_is_redacted_and_dealer_copy_is_not(open_site):
    site = await open_site()
    texts = [text for text, _, _ in SPLIT_FORMS] + DEALER_COPY
    await site.page.evaluate("(texts) => texts.forEach((t, i) => window.EITP.track('custom_split', {i, text: t}))",
                             texts)
    await site.flush()
    sent = {e["data"]["i"]: e["data"]["text"] for e in site.bridge.events("custom_split")}
    assert [sent[i] for i in range(len(texts))] == [shown for _, shown, _ in SPLIT_FORMS] + DEALER_COPY


async def test_split_personal_data_is_redacted_in_click_and_page_text(open_site):
    site = await open_site("/rv/invisible-test.html", html=PAGE)
    for target in ("#zw", "#shy", "#area", "#local", "#wide", "#model"):
        await site.page.click(target)
    await site.flush()
    texts = {e["data"]["target"]["id"]: e["data"]["target"]["text"] for e in site.bridge.events("click")}
    assert texts == {"zw": "Call [REDACTED] today", "shy": "Card [REDACTED] on file", "area": "[REDACTED]",
                     "local": "[REDACTED]", "wide": "Call [REDACTED]",
                     "model": "2024 Cherokee Arctic Wolf 3650\u00adSUITE \u2013 $59,995"}
    lines = (await site.page.evaluate("() => window.EITP.pageContent().visibleContent")).split("\n")
    assert lines == ["Call [REDACTED] today", "Card [REDACTED] on file", "Call [REDACTED]",
                     "2024 Cherokee Arctic Wolf 3650\u00adSUITE \u2013 $59,995"]
    assert site.bridge.leaked(("867-5309", "5309", "\uff10\uff11\uff14\uff12", "1111 1111")) == []  # (decoded)
