"""PII the earlier privacy reviews left (spec 3.9, 3.10, 10.1, 10.2): contact details split over
elements, street addresses, text a page echoes from a form field, an editor made editable by CSS
alone, and typed text dragged into a web component. Dealer copy must still leave as it is.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from producer_harness import walk_strings

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


def click_texts(site) -> dict[str, str]:
    """Each clicked element's text as the producer sent it, by its id."""
    return {e["data"]["target"]["id"]: e["data"]["target"]["text"] for e in site.bridge.events("click")}


def wire(site) -> str:
    return "".join(p.text for p in site.bridge.pubs)


SPLIT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Your rep</title></head><body>
<section style="padding: 40px">
  <!-- a template prints each part of a contact in its own element, one a line -->
  <p id="mail">Write to <span id="user">jane.doe</span>
    <span>@</span>
    <span>example.com</span></p>
  <p id="call">Call <a id="tel" href="tel:5095550199"><span id="area">(509)</span> <span id="local">555-0199</span></a>
    or <span id="store">visit our store</span> today.</p>
  <p id="price">Now <span id="dollars">$45,</span><span>995</span> with 2 units left.</p>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_pii_split_across_elements_is_redacted_in_click_and_page_text(open_site):
    site = await open_site("/rv/split-test.html", html=SPLIT_PAGE)
    for target in ("#mail", "#user", "#local", "#area", "#store", "#dollars"):
        await site.page.click(target)
    await site.flush()
    assert site.bridge.leaked(("jane.doe", "example.com", "555-0199", "(509)")) == []
    texts = click_texts(site)
    assert texts["mail"] == "Write to [REDACTED]"
    # a part of a phone number or an email is not sent on its own either ...
    assert texts["user"] == texts["local"] == texts["area"] == "[REDACTED]"
    # ... while the words beside one, and a price split the same way, still leave
    assert texts["store"] == "visit our store" and texts["dollars"] == "$45,"
    lines = (await site.page.evaluate("() => window.EITP.pageContent().visibleContent")).split("\n")
    assert lines == ["Write to [REDACTED]", "Call [REDACTED] or visit our store today.",
                     "Now $45,995 with 2 units left."]


ADDRESSES = [
    ("Deliver to Jane at 42 Elm Street, Springfield", "Deliver to Jane at [REDACTED], Springfield"),
    ("Ship to 1600 Pennsylvania Ave NW, Washington", "Ship to [REDACTED], Washington"),
    ("Pick up at 221B Baker St. before noon", "Pick up at [REDACTED] before noon"),
    ("Home: 7 North Cherry Tree Lane", "Home: [REDACTED]"),
    # dealer copy with a number, capitalised words and a street-like word
    ("2024 Ford F-150 XLT SuperCrew 4x4 with 4 Wheel Drive, 2 Way Radio and a 4 Dr cab",
     "2024 Ford F-150 XLT SuperCrew 4x4 with 4 Wheel Drive, 2 Way Radio and a 4 Dr cab"),
    ("18 MPG City, 24 MPG Highway; 3 XLT SuperCrews left; Route 66 Edition; 21 on the highway",
     "18 MPG City, 24 MPG Highway; 3 XLT SuperCrews left; Route 66 Edition; 21 on the highway"),
    ("Book a 30 Minute Test Drive; 3 Year Road Hazard cover; 100 Mile Road Test; our 5 Star Way; 1 Owner Drive",
     "Book a 30 Minute Test Drive; 3 Year Road Hazard cover; 100 Mile Road Test; our 5 Star Way; 1 Owner Drive"),
    ("Sleeps 8 Bunk House Court; 12 Month Road Hazard; 0 Down Drive Away",
     "Sleeps 8 Bunk House Court; 12 Month Road Hazard; 0 Down Drive Away"),
]


async def test_street_addresses_are_redacted_and_dealer_copy_is_not(open_site):
    site = await open_site()
    await site.page.evaluate("(texts) => texts.forEach((t, i) => window.EITP.track('custom_address', {i, text: t}))",
                             [text for text, _ in ADDRESSES])
    await site.flush()
    sent = {e["data"]["i"]: e["data"]["text"] for e in site.bridge.events("custom_address")}
    assert [sent[i] for i in range(len(ADDRESSES))] == [redacted for _, redacted in ADDRESSES]


ECHO_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Build your quote</title></head><body>
<section style="padding: 40px">
  <h1>Quote for <span id="h1-echo">you</span></h1>
  <p><label>Name <input id="name" name="name" type="text"></label></p>
  <p><label>State <input id="state" name="state" type="text"></label></p>
  <p><label>Trade-in miles <input id="miles" name="miles" type="number"></label></p>
  <p id="preview">Hello, <span id="echo"></span>! Your quote is ready.</p>
  <p id="plain">New York store: 47,000 mile warranty.</p>
</section>
<script>
  const show = () => {
    const v = document.getElementById('name').value;
    document.getElementById('echo').textContent = v.toUpperCase();  // a live preview, restyled
    document.getElementById('h1-echo').textContent = v;
  };
  document.getElementById('name').addEventListener('input', show);
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_text_the_page_echoes_from_a_form_field_leaves_masked(open_site):
    site = await open_site("/rv/echo-test.html", html=ECHO_PAGE)
    page = site.page
    for sel, value in (("#name", "Zebediah  Quux"), ("#state", "NY"), ("#miles", "47000")):
        await page.click(sel)
        await page.keyboard.type(value)
    await page.click("#preview")
    await page.click("#plain")
    await site.flush()
    assert "zebediah" not in wire(site).lower() and "quux" not in wire(site).lower()
    texts = click_texts(site)
    assert texts["preview"] == "Hello, [MASKED]! Your quote is ready."
    # a short value, or a number, is no name: the page's own text with it still leaves
    assert texts["plain"] == "New York store: 47,000 mile warranty."
    content = await page.evaluate("() => window.EITP.pageContent()")
    assert content["h1"] == "Quote for [MASKED]"
    assert "Hello, [MASKED]! Your quote is ready." in content["visibleContent"].split("\n")


CSS_EDITOR_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Notes</title></head><body>
<section style="padding: 40px">
  <!-- editable by CSS alone: no contenteditable attribute, so isContentEditable is false -->
  <div id="editor" style="-webkit-user-modify: read-write; border: 1px solid; min-height: 60px; width: 500px"
       ><p id="line">Type here</p></div>
  <p id="inline">Notes: <span id="note" style="-webkit-user-modify: read-write-plaintext-only;
     display: inline-block; min-width: 200px">-</span></p>
  <p id="plain">We reply within a day.</p>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_an_editor_made_editable_by_css_never_leaves_its_typed_text(open_site):
    site = await open_site("/rv/css-editor-test.html", html=CSS_EDITOR_PAGE)
    page = site.page
    assert await page.evaluate("() => document.getElementById('editor').isContentEditable") is False
    await page.click("#line")
    await page.keyboard.type(" Zebediah Quux, 42 Elm")
    await page.click("#note")
    await page.keyboard.type("my diagnosis is diabetes")
    await page.keyboard.press("Control+A")  # a selection of the typed text
    await page.click("#inline", position={"x": 2, "y": 2})
    await page.click("#line")
    await page.click("#plain")
    await asyncio.sleep(0.1)
    await site.flush()
    assert site.bridge.leaked(("Zebediah", "Quux", "diagnosis", "diabetes")) == []
    texts = click_texts(site)
    assert texts["inline"] == "Notes: [MASKED]" and texts["line"] == "[MASKED]"
    assert texts["plain"] == "We reply within a day."
    lines = (await page.evaluate("() => window.EITP.pageContent().visibleContent")).split("\n")
    assert lines == ["Notes: [MASKED]", "We reply within a day."]


DRAG_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Notes</title></head><body>
<section style="padding: 40px">
  <p><input id="field" type="text" style="width: 300px"></p>
  <note-box id="box"></note-box>
  <p id="plain">We reply within a day.</p>
</section>
<script>
  customElements.define('note-box', class extends HTMLElement {
    connectedCallback() {
      this.attachShadow({mode: 'open'}).innerHTML =
        '<div id="pad" style="-webkit-user-modify: read-write; width: 300px; min-height: 40px; border: 1px solid">' +
        '.</div>';
    }
  });
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_typed_text_dragged_into_a_web_component_never_leaves(open_site):
    site = await open_site("/rv/drag-test.html", html=DRAG_PAGE)
    page = site.page
    await page.click("#field")
    await page.keyboard.type("Zebediah Quux")
    await page.keyboard.press("Control+A")
    f, pad = await site.box("#field"), await site.box("note-box >> #pad")
    await page.mouse.move(f["x"] + 10, f["y"] + 5)
    await page.mouse.down()
    await page.mouse.move(pad["x"] + 20, pad["y"] + 10, steps=5)
    await page.mouse.up()
    await page.wait_for_function(
        "() => document.querySelector('note-box').shadowRoot.getElementById('pad').textContent.includes('Quux')")
    await page.keyboard.press("Shift")  # a keyup: the selection (the dropped text) is looked at
    await asyncio.sleep(0.1)
    await page.click("#plain", click_count=3)
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 1", polling=20)
    await asyncio.sleep(0.1)
    await site.flush()
    assert site.bridge.leaked(("Zebediah", "Quux")) == []
    assert site.bridge.events("text_selection")[-1]["data"]["text"] == "We reply within a day."


@pytest.mark.parametrize("name", ["rv", "auto", "powersports"])
async def test_dealer_copy_leaves_unmasked_after_a_visitor_fills_the_forms(open_site, name):
    site = await open_site(f"/{name}/")
    page = site.page
    for sel, value in (("#lead-name", "Zebediah Quux"), ("#lead-email", "zq@example.org"),
                       ("#lead-phone", "509-555-0199"), ("#lead-message", "Is the XLT still available?"),
                       ("#calc-down", "5000"), ("#calc-apr", "6.9")):
        await page.fill(sel, "")
        await page.click(sel)
        await page.keyboard.type(value)
    seen = set()
    height = await page.evaluate("() => document.documentElement.scrollHeight")
    for y in range(0, height, 500):
        await page.evaluate("(y) => scrollTo(0, y)", y)
        for text in walk_strings(await page.evaluate("() => window.EITP.pageContent()")):
            seen.update(re.findall(r"[^\n]{0,30}\[(?:REDACTED|MASKED)\]", text))
    texts = " ".join(e["text"] for e in await page.evaluate("() => window.EITP.proximityIndex()"))
    # only the payment calculator's result (an <output>) is hidden; every other line is the dealer's own
    assert seen == {"Estimated monthly payment [MASKED]"}
    assert texts.count("[MASKED]") == 1 and "[REDACTED]" not in texts
