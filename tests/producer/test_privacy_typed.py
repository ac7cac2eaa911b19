"""Typed text and PII in the places a plain form does not cover (spec 3.9, 10.1, 10.2, 10.3).

A rich-text editor, a label around a field, a web component's field, masked text in a heading,
PII written the ways 3.9's patterns miss, keys of a custom event, and a URL encoded twice. Each
case is one a privacy review of the producer found leaking.
"""

from __future__ import annotations

import asyncio

import pytest
from producer_harness import walk_keys, walk_strings

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

def click_texts(site) -> dict[str, str]:
    """Each clicked element's text as the producer sent it, by its id (or its tag, when it has none)."""
    return {e["data"]["target"]["id"] or e["data"]["target"]["tag"]: e["data"]["target"]["text"]
            for e in site.bridge.events("click")}


EDITOR_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Contact us</title></head><body>
<section id="contact" style="padding: 40px">
  <h1>Send us a message</h1>
  <!-- laid out as Quill and ProseMirror lay out an editor: a contenteditable div of <p> lines -->
  <div id="editor" contenteditable="true"
       style="border: 1px solid #000; min-height: 80px; width: 600px"><p><br></p></div>
  <p><label id="notes-label">Delivery notes <textarea id="notes" name="notes">Gate code 4471, ring Zebediah</textarea>
  </label></p>
  <p><label id="msg-label">Message <textarea id="msg" name="msg"></textarea></label></p>
  <p id="plain">Our service desk answers within a day.</p>
  <x-field id="xf"></x-field>
</section>
<script>
  // what React does for a controlled <textarea value={state}>: the default value follows the value
  document.getElementById('msg').addEventListener('input', (e) => { e.target.defaultValue = e.target.value; });
  customElements.define('x-field', class extends HTMLElement {
    connectedCallback() { this.attachShadow({mode: 'open'}).innerHTML = '<input id="in" name="secret" type="text">'; }
  });
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>
"""

TYPED = {"editor": "Zebediah Quux, 42 Elm Street, my diagnosis is diabetes",
         "msg": "I am pregnant, call me on my cell", "shadow": "hunter2 MySecretPassphrase"}
NEVER = ["Zebediah", "Elm Street", "diabetes", "Gate code", "4471", "pregnant", "hunter2", "Passphrase"]


async def test_text_typed_into_an_editor_a_labelled_field_or_a_web_component_never_leaves(open_site):
    site = await open_site("/rv/editor-test.html", html=EDITOR_PAGE)
    page = site.page
    await page.click("#editor p")
    await page.keyboard.type(TYPED["editor"])
    await page.click("#editor p")  # a click on the typed text
    await page.keyboard.press("Control+A")  # and a selection of it
    await asyncio.sleep(0.1)
    await page.click("#msg")
    await page.keyboard.type(TYPED["msg"])
    await page.click("#msg-label", position={"x": 5, "y": 5})  # a click on the label around the field
    await page.click("#notes-label", position={"x": 5, "y": 5})
    await page.click("x-field >> #in")
    await page.keyboard.type(TYPED["shadow"])
    await page.keyboard.press("Control+A")  # selected inside the component's field
    await asyncio.sleep(0.1)
    await page.keyboard.press("Shift+ArrowLeft")
    await asyncio.sleep(0.1)
    await page.click("#plain", click_count=3)  # a selection of the page's own text still leaves
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 1", polling=20)
    await site.flush()

    assert site.bridge.leaked(NEVER) == []
    clicks = click_texts(site)
    assert clicks["p"] == "[MASKED]"  # the editor's line
    assert clicks["msg-label"].strip() == "Message" and clicks["notes-label"].strip() == "Delivery notes"
    assert [e["data"]["text"] for e in site.bridge.events("text_selection")] == [
        "Our service desk answers within a day."]
    content = site.bridge.payloads()[-1]["pageContent"]
    lines = content["visibleContent"].split("\n")
    assert lines == ["Delivery notes", "Message", "Our service desk answers within a day."]
    assert await page.evaluate("() => document.getElementById('msg').textContent") == TYPED["msg"]  # React's echo


MIRROR_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Custom inputs</title></head><body>
<section style="padding: 40px">
  <!-- a custom input that shows its value as text, as design-system inputs and Monaco do -->
  <div id="custom" role="textbox" tabindex="0"
       style="width: 400px; min-height: 30px; border: 1px solid #000"><p></p></div>
  <!-- a mentions box: a highlighter under the textarea mirrors what is typed -->
  <div id="mentions" style="padding: 10px; width: 400px"><div id="highlighter"></div>
    <textarea id="mention-field"></textarea></div>
  <p id="with-script">Hi <script>window.__USER__ = {name: "Scripty McUser"}</script>there</p>
</section>
<script>
  const custom = document.getElementById('custom');
  custom.addEventListener('keydown', (e) => {
    if (e.key.length === 1) { custom.querySelector('p').textContent += e.key; e.preventDefault(); }
  });
  const field = document.getElementById('mention-field');
  field.addEventListener('input', () => { document.getElementById('highlighter').textContent = field.value; });
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>
"""


async def test_text_a_page_mirrors_from_a_custom_input_or_a_field_and_script_text_never_leave(open_site):
    site = await open_site("/rv/mirror-test.html", html=MIRROR_PAGE)
    page = site.page
    await page.click("#custom")
    await page.keyboard.type("Alpha Zebediah custom")
    await page.click("#custom p")
    await page.click("#mention-field")
    await page.keyboard.type("Bravo Quux mentions")
    await page.click("#mentions", position={"x": 2, "y": 2})
    await page.click("#with-script")
    await site.flush()
    assert site.bridge.leaked(("Zebediah", "Quux", "Scripty")) == []
    texts = click_texts(site)
    assert texts["p"] == "[MASKED]" and texts["with-script"] == "Hi there" and texts["mentions"].strip() == ""
    # as an editor's, a custom input's lines are typed text: left out of the page content, not even [MASKED]
    assert (await page.evaluate("() => window.EITP.pageContent().visibleContent")).split("\n") == ["Hi there"]
    assert await page.evaluate("() => document.getElementById('highlighter').textContent") == "Bravo Quux mentions"


MASKED_HEADINGS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Your quote</title></head><body>
<h1>Your monthly payment: <output id="pay">$812.40</output></h1>
<h2>Card on file <span data-eitp-mask>VISA ending 4242</span></h2>
<h2>Plain heading</h2>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_masked_text_in_a_heading_leaves_masked(open_site):
    site = await open_site("/rv/heading-test.html", html=MASKED_HEADINGS)
    await site.flush()
    await site.page.evaluate("() => window.EITP.track('nudge', {})")  # a batch after the first
    await site.flush()
    content = site.bridge.payloads()[-1]["pageContent"]
    assert content["h1"] == "Your monthly payment: [MASKED]"
    assert content["headings"] == ["Card on file [MASKED]", "Plain heading"]


PII_FORMS = [
    ("Signed in from 198.51.100.44, host 203.0.113.7/24 at /hosts/203.0.113.9/edit",
     "Signed in from [REDACTED], host [REDACTED]/24 at /hosts/[REDACTED]/edit"),
    ("Last seen from 2001:db8:85a3::8a2e:370:7334, fe80:0:0:0:1ff:fe23:4567:890a and ::ffff:203.0.113.7",
     "Last seen from [REDACTED], [REDACTED] and [REDACTED]:[REDACTED]"),
    ("Amex 3782 822463 10005 on file", "Amex [REDACTED] on file"),
    ("SSN 123 45 6789, 123.45.6789, 123 45-6789 or 123456789",
     "SSN [REDACTED], [REDACTED], [REDACTED] or [REDACTED]"),
    ("Call +44 20 7946 0958, +1 (509) 555-0199 or +442079460958", "Call [REDACTED], [REDACTED] or [REDACTED]"),
    ("Call 509 555 0199, 509 555-0199, (509)-555-0199 or 509/555-0199",
     "Call [REDACTED], [REDACTED], [REDACTED] or [REDACTED]"),
    ("Write to jörg.müller@exämple.de", "Write to [REDACTED]"),
    # not PII: what a dealer page is full of
    ("Open 9:00-17:30, $45,995 or $1,299.00/mo, 2024 Cherokee 3650SUITE, 1.5L V6, +10% off, std::vector",
     "Open 9:00-17:30, $45,995 or $1,299.00/mo, 2024 Cherokee 3650SUITE, 1.5L V6, +10% off, std::vector"),
    ("+500 lbs, +1500 trade-in bonus, +0.25% APR, $45 995, 2 units@45.99, 16:9:4:3, v2.1.0.15, 2024-05-01 10:30:00",
     "+500 lbs, +1500 trade-in bonus, +0.25% APR, $45 995, 2 units@45.99, 16:9:4:3, v2.1.0.15, 2024-05-01 10:30:00"),
    ("Specs at http://10.0.0.8/specs", "Specs at http://10.0.0.8/specs"),  # a server's address, not a person's
]


async def test_pii_written_the_ways_the_specs_patterns_miss_is_redacted_and_the_rest_is_not(open_site):
    site = await open_site()
    texts = [text for text, _ in PII_FORMS]
    await site.page.evaluate("(texts) => texts.forEach((t, i) => window.EITP.track('custom_pii', {i: i, text: t}))",
                             texts)
    await site.flush()
    sent = {e["data"]["i"]: e["data"]["text"] for e in site.bridge.events("custom_pii")}
    assert [sent[i] for i in range(len(PII_FORMS))] == [redacted for _, redacted in PII_FORMS]


async def test_the_keys_of_a_custom_event_are_sanitized_like_its_values(open_site):
    site = await open_site()
    await site.page.evaluate("""() => window.EITP.track('custom_keys', {
        'jane.doe@example.com': {opened: true}, note: {'509-555-0142': 'called'}, plain: 1})""")
    await site.flush()
    (event,) = site.bridge.events("custom_keys")
    keys = list(walk_keys(event["data"]))
    assert "jane.doe@example.com" not in keys and "509-555-0142" not in keys
    assert event["data"] == {"[REDACTED]": {"opened": True}, "note": {"[REDACTED]": "called"}, "plain": 1}


TWICE_ENCODED = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>inbox</title></head><body>
<form id="f" action="/inbox/jane.doe%2540example.com/reply" method="post">
  <button id="go" type="submit">Go</button></form>
<form id="bad" action="/inbox/100%25/%E0%A4%A" method="post"><button id="go-bad" type="submit">Go</button></form>
<form id="who" action="https://jane:hunter2@crm.example/inbox" method="post">
  <button id="go-who" type="submit">Go</button></form>
<script>
  document.querySelectorAll('form').forEach((f) => f.addEventListener('submit', (e) => e.preventDefault()));
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_a_url_encoded_twice_is_decoded_before_it_is_sanitized(open_site):
    site = await open_site("/rv/twice-test.html", html=TWICE_ENCODED)
    await site.page.click("#go")
    await site.page.click("#go-bad")
    await site.page.click("#go-who")
    await site.flush()
    actions = [e["data"]["action"] for e in site.bridge.events("form_submit")]
    # %2540 -> %40 -> @; a malformed escape stops the decoding where it is; a URL's user:password@ goes
    assert actions == ["/inbox/[REDACTED]/reply", "/inbox/100%25/%E0%A4%A", "https://crm.example/inbox"]
    assert all("jane" not in s and "hunter2" not in s for s in walk_strings(site.bridge.payloads()))


async def test_numbers_in_a_custom_event_that_hold_an_ssn_a_phone_or_a_card_are_redacted(open_site):
    # a page passes numbers as numbers: they are not text for 3.9's patterns, so their digit counts decide
    site = await open_site()
    await site.page.evaluate("""() => {
        window.EITP.track('custom_numbers', {
            ssn: 123456789, phone: 5095550142, phone1: 15095550142, intl: 447946095800, amex: 378282246310005,
            visa: 4111111111111111, negative: -5095550142, listed: [5095550142, 7],
            price: 45995, cents: 4599500, year: 2024, rate: 5.49, count: 12,
            seconds: 1795400000, ms: 1795400000000, us: 1795400000000000, big: 1e21, tiny: 0.5});
        window.EITP.track('custom_bigint', {id: 5095550142n, small: 12n});
        window.EITP.track('custom_after', {ok: true});
    }""")
    await site.flush()
    (event,) = site.bridge.events("custom_numbers")
    r = "[REDACTED]"
    assert event["data"] == {
        "ssn": r, "phone": r, "phone1": r, "intl": r, "amex": r, "visa": r, "negative": r, "listed": [r, 7],
        "price": 45995, "cents": 4599500, "year": 2024, "rate": 5.49, "count": 12,
        "seconds": 1795400000, "ms": 1795400000000, "us": 1795400000000000, "big": 1e21, "tiny": 0.5}
    # a BigInt cannot be written as JSON: it leaves as its digits, redacted like a number's, and the
    # batch around it is not lost
    (big,) = site.bridge.events("custom_bigint")
    assert big["data"] == {"id": r, "small": "12"}
    assert site.bridge.events("custom_after")


CALCULATOR_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Finance</title></head><body>
<section style="padding: 40px">
  <p id="before">Estimate your payment below.</p>
  <!-- a payment calculator shipped as a web component: its result is an <output> in its shadow root -->
  <pay-calc id="calc"></pay-calc>
  <p id="after">Rates from 5.49% APR.</p>
  <info-box></info-box>
  <closed-box style="display: block; width: 400px"></closed-box>
</section>
<script>
  customElements.define('pay-calc', class extends HTMLElement {
    connectedCallback() {
      this.attachShadow({mode: 'open'}).innerHTML =
        '<p>Your payment: <output id="out">$1,387/mo over 84 months</output></p>';
    }
  });
  customElements.define('info-box', class extends HTMLElement {
    connectedCallback() {
      this.attachShadow({mode: 'open'}).innerHTML = '<p id="free">Free delivery within 50 miles.</p>';
    }
  });
  customElements.define('closed-box', class extends HTMLElement {
    connectedCallback() { this.attachShadow({mode: 'closed'}).innerHTML = '<p>Trade-in value: 18,250 USD</p>'; }
  });
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>
"""


async def test_a_selection_of_a_web_components_output_leaves_masked(open_site):
    site = await open_site("/rv/calc-test.html", html=CALCULATOR_PAGE)
    page = site.page
    await page.click("pay-calc >> #out", click_count=3)  # the result, selected inside the component
    # the document's selection is the component's text, though the page's own query for <output>
    # elements does not look into shadow roots
    assert "1,387" in await page.evaluate("() => getSelection().toString()")
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 1", polling=20)
    selected = ["Your payment: [MASKED]"]  # the component's own text around the result still leaves
    for target, text in (("#after", "Rates from 5.49% APR."),  # the page's own text still leaves ...
                         ("info-box >> #free", "Free delivery within 50 miles."),  # ... and a component's
                         ("closed-box", "[MASKED]")):  # a tree that cannot be read might hold a result
        await page.click(target, click_count=3)
        selected.append(text)
        await page.wait_for_function("(n) => (window.EITP.stats().events.text_selection || 0) >= n",
                                     arg=len(selected), polling=20)
    await site.flush()
    assert site.bridge.leaked(("1,387", "84 months", "18,250")) == []
    assert [e["data"]["text"] for e in site.bridge.events("text_selection")] == selected
