"""Section 9.2 read as the shopper reads it: a character nobody sees (a soft hyphen, a word joiner, the
combining grapheme joiner, any other format character) inside a word must not hide that word from the
guard, and the composer passes on no message that holds one."""

import copy
import json
import sys
import unicodedata

import pytest

from tests.conftest import FIXTURES, ev
from tests.consumer.test_compose import intervene
from workbench.consumer.compose import message_problem
from workbench.consumer.guard import as_read, violations
from workbench.consumer.seer import Seer
from workbench.llm.standin import Reply

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
HOVERING = "I noticed you hovering over the Adventure price. Want a breakdown?"
INVISIBLE = {
    "soft hyphen": "\u00ad",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "invisible separator": "\u2063",
    "byte order mark": "\ufeff",
    "left-to-right isolate": "\u2066",
    "Mongolian vowel separator": "\u180e",
    "Arabic letter mark": "\u061c",
    "tag letter A": "\U000e0041",
    "combining grapheme joiner": "\u034f",
    "variation selector 1": "\ufe00",
}


def hidden(char: str, message: str = HOVERING) -> str:
    """The message with ``char`` inside every word the guard looks for: "no?ticed", "ho?vering"."""
    return message.replace("noticed", f"no{char}ticed").replace("hovering", f"ho{char}ver{char}ing")


@pytest.mark.parametrize("name", sorted(INVISIBLE))
def test_an_invisible_character_inside_a_word_does_not_hide_it_from_the_guard(name):
    message = hidden(INVISIBLE[name])
    assert as_read(message) == HOVERING
    assert violations(message) == violations(HOVERING) != [], message


def test_every_format_character_is_read_as_nothing():
    format_chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(format_chars) > 150
    for char in format_chars:
        assert as_read(f"ho{char}vering") == "hovering", f"U+{ord(char):04X}"


@pytest.mark.parametrize("message, kind", [
    ("Write to jo.smith@example.c\u00adom for a quote.", "personal data: email address"),
    ("Call (509) 555\u00ad-0142 today.", "personal data: phone number"),
    ("Your IP 198.51.100\u2060.44 was flagged, so here's help.", "personal data: IP address"),
    ("Your price\u00ad_sensitivity is understandable!", "emotion labels"),
])
def test_personal_data_and_labels_are_found_through_invisible_characters(message, kind):
    assert kind in violations(message), message


def test_a_page_text_with_a_soft_hyphen_is_not_refused_for_it():
    # dealers' pages hyphenate with U+00AD; a template that carries one is read without it, not refused
    assert violations("Questions about the Arc\u00adtic Wolf 3650\u00adSUITE? I'm here to help.") == []


@pytest.mark.parametrize("name", sorted(INVISIBLE))
def test_the_composer_passes_on_no_message_with_an_invisible_character(name):
    assert message_problem(hidden(INVISIBLE[name])) == "invisible"
    assert message_problem(f"Want a side-by-side{INVISIBLE[name]} of the two floor plans?") == "invisible"


def test_the_composer_refuses_every_format_character():
    for c in range(sys.maxunicode + 1):
        if unicodedata.category(chr(c)) == "Cf":
            assert message_problem(f"Want a side-by-side of the two{chr(c)} floor plans?") == "invisible", \
                f"U+{c:04X}"


@pytest.mark.parametrize("text", [
    "Want a side-by-side of the two floor plans?",
    "Caf\u00e9 stops near our lot are easy. Want directions?",
    "Love the Arctic Wolf? \u2764\ufe0f Want the highlights?",  # an emoji's presentation selector
])
def test_the_composer_still_passes_on_a_plain_message(text):
    assert message_problem(text) is None


def test_seer_sends_no_composed_message_with_a_hidden_surveillance_phrase():
    for i, char in enumerate(["\u00ad", "\u2060", "\u034f"]):
        seer, sid = Seer(seed=1), f"sq_{i}"
        seer.on_events(sid, [ev("connection", 0), ev("mouse", 20_000)])
        packet = copy.deepcopy(PACKET)
        packet["sessionId"], packet["timestamp"] = sid, 20_000
        packet["temporal"]["sessionDuration"] = 20_000
        out = seer.on_packet(packet, llm_message=hidden(char))
        assert out is not None and out.source == "template_after_guard", out
        assert violations(out.message) == []


async def test_a_composed_reply_with_an_invisible_character_falls_back_with_its_reason(caplog):
    sent, _, _, composer = await intervene(Reply(text=hidden("\u00ad")))
    (intervention,) = sent
    assert intervention.source == "template" and composer.counters["compose_fallback:invisible"] == 1
    assert any("(invisible)" in r.getMessage() for r in caplog.records), caplog.text


def test_c1_controls_from_page_text_hide_no_phrase():
    # a template fills slots from the page's text, which may carry C1 controls; U+0085 is a line break
    assert "noticed" in violations("I no\x90ticed you ho\x81vering")
    assert "hovering" in violations("You were\x85hovering over the price")
