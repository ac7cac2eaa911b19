"""Privacy defects a review of the producer demonstrated (spec 3.9, 10.1, 10.2): echo masking made
a password field an oracle, a selection read a user-select:none chat log, emails with digits were
only partly redacted, and echo masking forgot what a field held once the page cleared it.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


ORACLE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Prosser's Premium RV</title></head><body>
<section id="hero" style="padding: 40px"><h1>2024 Cherokee Arctic Wolf 3650SUITE</h1>
<p id="copy">The Cherokee Arctic Wolf sleeps six and tows with a half-ton truck.</p>
<p id="tagline">Luxury suite living on the open road.</p></section>
<section id="account" style="padding: 40px"><h2>Create your account</h2>
<label>Name <input id="name" type="text"></label>
<label>Password <input id="pw" type="password" autocomplete="new-password"></label>
<label>Confirm <input id="pw2" type="password"></label>
<label>PIN <input id="pin" type="text" autocomplete="current-password"></label>
<button id="show" type="button" onclick="document.getElementById('pw2').type = 'text'">Show</button></section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_a_password_typed_never_masks_the_pages_copy(open_site):
    # Masking the words a password shares with the page's copy tells the password: never an echo.
    site = await open_site("/rv/oracle-test.html", html=ORACLE_PAGE)
    page = site.page
    await page.click("#pw")
    await page.keyboard.type("Cherokee")
    await page.click("#pw2")
    await page.keyboard.type("Arctic")
    await page.click("#show")  # "show password": the confirmation field is type=text from now on
    await page.click("#pw2")
    await page.keyboard.type(" Wolf")
    await page.click("#pin")  # a text field the page marks as a password
    await page.keyboard.type("Luxury")
    await page.click("#name")
    await page.keyboard.type("suite")  # an ordinary field still masks its echoes
    content = await page.evaluate("() => window.EITP.pageContent()")
    assert content["h1"] == "2024 Cherokee Arctic Wolf 3650SUITE"
    assert content["visibleContent"].split("\n") == [
        "The Cherokee Arctic Wolf sleeps six and tows with a half-ton truck.",
        "Luxury [MASKED] living on the open road.",
    ]
    await page.click("#copy")
    await site.flush()
    assert site.bridge.events("click")[-1]["data"]["target"]["text"] == (
        "The Cherokee Arctic Wolf sleeps six and tows with a half-ton truck."[:50])


async def test_a_selection_leaves_out_what_the_browser_did_not_select(open_site):
    # The chat log is user-select:none; a selection from the chat's title down past its reply box
    # holds a field, so the producer reads the range itself: the log must not come with it.
    site = await open_site("/rv/")
    page = site.page
    await page.evaluate("() => DealerSite.showMessage('Want the numbers side by side?')")
    for line in ("Zebediah here, recently divorced, need low payments", "Thanks"):
        await page.click("#seer-chat-input")
        await page.keyboard.type(line)
        await page.keyboard.press("Enter")
    head = await site.box("#seer-chat .chat-head span")
    reply = await site.box("#seer-chat-input")
    await page.mouse.move(head["x"] + 1, head["y"] + head["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(reply["x"] + reply["width"] / 2, reply["y"] + reply["height"] + 6, steps=8)
    await page.mouse.up()
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 1", polling=20)
    selected = await page.evaluate("() => getSelection().toString()")
    assert "Assistant" in selected and "side by side" not in selected  # what the browser selected
    await site.flush()
    sent = site.bridge.events("text_selection")[-1]["data"]["text"]
    assert sent == " ".join(selected.split())[:100]
    assert site.bridge.leaked(("side by side", "Zebediah", "divorced", "Thanks")) == []


SELECT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Notes</title></head><body>
<section style="padding: 40px">
  <p id="a">Our service desk answers within a day.</p>
  <div style="user-select: none">Private note for the agent <span>only</span>
    <em style="user-select: text">but this is selectable</em></div>
  <div style="display: none">Hidden account number note</div>
  <p id="b">Ask for <output>$512</output> a month <input id="f" type="text"> today.</p>
</section>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_a_selection_over_unselectable_and_masked_text_reads_as_the_browser_selects(open_site):
    site = await open_site("/rv/select-test.html", html=SELECT_PAGE)
    page = site.page
    selected = await page.evaluate("""() => {
        const r = document.createRange();
        r.setStart(document.getElementById('a').firstChild, 4);
        r.setEnd(document.getElementById('b').lastChild, 6);
        getSelection().removeAllRanges(); getSelection().addRange(r);
        return getSelection().toString();
    }""")
    await page.wait_for_function("() => (window.EITP.stats().events.text_selection || 0) >= 1", polling=20)
    await site.flush()
    sent = site.bridge.events("text_selection")[-1]["data"]["text"]
    assert "Private" not in selected and "Hidden" not in selected and "selectable" in selected
    assert sent == ("service desk answers within a day. but this is selectable "
                    "Ask for [MASKED] a month today")


@pytest.mark.parametrize("text, redacted", [
    ("Contact: jane.doe+20240115@gmail.com", "Contact: [REDACTED]"),
    ("Contact: jdoe-5095550199@example.com today", "Contact: [REDACTED] today"),
    ("Contact: jane+123456789@gmail.com", "Contact: [REDACTED]"),
    ("Write 192.168.1.20@example.org or 10.0.0.1", "Write [REDACTED] or [REDACTED]"),
])
async def test_an_email_with_digits_is_redacted_whole(open_site, text, redacted):
    site = await open_site()
    await site.page.evaluate("(t) => window.EITP.track('custom_email', {text: t})", text)
    await site.flush()
    assert site.bridge.events("custom_email")[-1]["data"]["text"] == redacted


CLEARED_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Quote</title></head><body>
<section id="quote" style="padding: 40px"><form id="f"><textarea id="msg" name="message"></textarea>
<button id="send" type="submit">Request a Quote</button></form>
<p id="summary"></p>
<p><input id="chat" type="text"></p>
<p id="log"></p>
<p><label>Down payment <input id="down" type="number"></label></p>
<p><input id="many" type="text"></p>
<p id="echoes"></p></section>
<script>
document.getElementById('f').addEventListener('submit', function (e) {
  e.preventDefault();
  document.getElementById('summary').textContent = 'Your message: ' + document.getElementById('msg').value;
  e.target.reset();
});
document.getElementById('chat').addEventListener('keydown', function (e) {  // a chat box emptied on send
  if (e.key !== 'Enter') return;
  document.getElementById('log').textContent += ' You: ' + e.target.value + '.';
  e.target.value = '';
});
</script>
<script src="/eitp/config.js"></script><script src="/eitp/producer.js"></script></body></html>"""


async def test_a_value_the_page_echoed_stays_masked_after_the_field_is_cleared(open_site):
    site = await open_site("/rv/cleared-test.html", html=CLEARED_PAGE)
    page = site.page

    async def lines():
        return (await page.evaluate("() => window.EITP.pageContent().visibleContent")).split("\n")

    await page.click("#msg")
    await page.keyboard.type("Recently divorced, need low payments")
    await page.click("#send")  # the page echoes it, then form.reset()
    for line in ("Zebediah here", "Zebra stripes please"):  # the second starts as the first did
        await page.click("#chat")
        await page.keyboard.type(line)
        await page.keyboard.press("Enter")
    await page.click("#down")
    await page.keyboard.type("5000")  # typing elsewhere rebuilds the echo set
    assert await page.evaluate("() => document.getElementById('msg').value") == ""
    assert "Your message: [MASKED]" in await lines()
    assert "You: [MASKED]. You: [MASKED]." in await lines()
    await page.click("#summary")
    await page.click("#log")
    await site.flush()
    assert site.bridge.leaked(("divorced", "Zebediah", "Zebra")) == []


async def test_the_values_a_field_held_are_kept_within_bounds(open_site):
    # the last 8 values of a field are kept (and 64 in all), not every value it ever held
    site = await open_site("/rv/cleared-test.html", html=CLEARED_PAGE)
    page = site.page
    names = [f"Name{chr(ord('a') + i)}" for i in range(10)]
    await page.evaluate("(names) => { document.getElementById('echoes').textContent = names.join(' '); }", names)
    for name in names:
        await page.fill("#many", name)  # each value replaces the one before
    await page.fill("#many", "")
    await page.click("#down")
    await page.keyboard.type("1")
    text = (await page.evaluate("() => window.EITP.pageContent().visibleContent")).split("\n")
    assert "Namea Nameb " + " ".join(["[MASKED]"] * 8) in text
    assert re.search(r"Name[c-j]", " ".join(text)) is None
