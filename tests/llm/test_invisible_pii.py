"""Personal data a reader sees whole but a pattern would not (sections 10.1, 10.3): split by a character nobody
sees (U+200B-U+200D, U+2060, U+FEFF, the soft hyphen, bidi controls), written in fullwidth or other decimal
digits, with a fullwidth @ or dot, or a non-breaking hyphen or en dash, is redacted from every prompt and refused
by Seer's guard; as is a ZIP+4 and a street address, which the producer redacts too. Prices, model numbers,
years, stock numbers and a bare 5-digit number stay, and text with no personal data is sent as it is written."""

import copy
import json
import random
import re
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.producer.test_privacy_invisible import DEALER_COPY, SPLIT_FORMS
from workbench import privacy
from workbench.consumer.guard import violations
from workbench.llm.prompt import packet_context
from workbench.privacy import PERSONAL_TEXT, personal_data, redacted

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())

#: the three splits the known gap named
NAMED = [("555\u200b-867-5309", "phone number"), ("jo\u200bhn@example.com", "email address"),
         ("4111\u00ad1111 1111 1111", "card number")]


@pytest.mark.parametrize("text, shown, kind", SPLIT_FORMS)
def test_split_and_wide_personal_data_is_redacted_and_named_as_the_producer_redacts_it(text, shown, kind):
    assert redacted(text) == shown
    assert personal_data(text) == [kind]


@pytest.mark.parametrize("text, kind", NAMED)
def test_the_named_splits_are_redacted_and_refused(text, kind):
    assert redacted(f"Reach me: {text}.") == "Reach me: [REDACTED]."
    assert f"personal data: {kind}" in violations(f"Sure! Reach the owner at {text} for a quote.")


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202a", "\u202b",
                                  "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u034f"])
@pytest.mark.parametrize("number, kind", [("509-555-0142", "phone number"), ("123-45-6789", "SSN"),
                                          ("4111 1111 1111 1111", "card number"), ("198.51.100.44", "IP address")])
def test_no_invisible_character_hides_a_number(char, number, kind):
    for i in range(1, len(number)):
        split = number[:i] + char + number[i:]
        assert redacted(f"on file: {split}.") == "on file: [REDACTED].", repr(split)
        assert personal_data(split) == [kind], repr(split)


@pytest.mark.parametrize("message, kind", [
    ("Email the owner at john\uff20example.com for a walkthrough.", "email address"),
    ("Call the owner at \uff15\uff10\uff19-\uff15\uff15\uff15-\uff10\uff11\uff14\uff12 today.", "phone number"),
    ("Call the owner at 509\u2011555\u20110142 today.", "phone number"),
    ("Call the owner at 555\u200b-867-5309 today.", "phone number"),
    ("It ships to 97201-1234 by Friday.", "zip code"),
    ("It ships to 1234 Elm Street, Portland, OR 97201 by Friday.", "street address"),
])
def test_the_guard_refuses_a_message_carrying_one(message, kind):
    assert f"personal data: {kind}" in violations(message), violations(message)


def test_no_prompt_carries_one():
    packet = copy.deepcopy(PACKET)
    page = packet["pageContent"]
    page["h1"] += " | owner 555\u200b-867-5309"
    page["headings"].append("Card 4111\u00ad1111 1111 1111, SSN 123\u2066-45-6789\u2069")
    page["visibleContent"] = ("Ship to 1234 Elm Street, Portland, OR 97201-1234.\n"
                              "Mail john\uff20example.com or "
                              "\uff15\uff10\uff19-\uff15\uff15\uff15-\uff10\uff11\uff14\uff12")
    packet["spatial"]["currentSection"] = "tel-509\u2060555\u20600142"
    context = packet_context(packet)
    assert personal_data(context) == [], personal_data(context)
    for detail in ("5309", "4111", "6789", "Elm Street", "1234", "john", "\uff10\uff11\uff14\uff12", "0142"):
        assert detail not in context, detail
    assert "Arctic Wolf 3650SUITE" in context and "$59,995" in context


@pytest.mark.parametrize("text", DEALER_COPY + [
    "2024 Arctic Wolf\u00b9 at $59,995\u00b2 \u2013 45995\u00b3 miles; \u00bd off \u2460 option",
    "Stock #24\u20113650, VIN tail 45995, 29995 OBO, ZIP 97201, Portland, OR 97201",
    "Part 12345-67890, build 2024-0101, 11,500-lb GVWR, 12345-6789X",
    "Model years 2019\u20132024; \uff13\uff16\uff15\uff10SUITE",
])
def test_dealer_copy_is_left_as_it_is_written(text):
    assert redacted(text) == text and personal_data(text) == [] and violations(text) == [], redacted(text)


def test_a_bare_five_digit_zip_is_no_personal_data_but_zip_plus_4_and_a_street_address_are():
    # a 5-digit zip names a town and looks like a price ("$29995"), a mileage or a stock number: the producer's
    # 3.9 pattern redacts it in the page; a ZIP+4 narrows an address to a building, a street address is a home
    assert redacted("Prosser, WA 99350") == "Prosser, WA 99350"
    assert redacted("Prosser, WA 99350-1234") == "Prosser, WA [REDACTED]"
    assert redacted("Deliver to 42 Elm Street, Prosser, WA 99350") == "Deliver to [REDACTED], Prosser, WA 99350"
    assert personal_data("Deliver to 42 Elm Street, Prosser, WA 99350-1234") == ["zip code", "street address"]


def test_text_without_personal_data_keeps_its_invisible_characters_and_text_with_some_is_sent_as_read():
    text = "Arc\u00adtic Wolf \U0001f468\u200d\U0001f469\u200d\U0001f467 3650\u00adSUITE"
    assert redacted(text) == text
    # personal data found as written: the rest stays as written, since it reads the same
    assert redacted(text + " call (509) 555-0142") == text + " call [REDACTED]"
    # found only as read: the text is sent as read
    assert redacted(text + " call 555\u200b-867-5309") == privacy.readable(text) + " call [REDACTED]"
    assert privacy.readable(text) == "Arctic Wolf \U0001f468\U0001f469\U0001f467 3650SUITE"


def test_readable_text():
    assert privacy.readable("plain ASCII 555-0142") == "plain ASCII 555-0142"
    assert privacy.readable("\uff14\uff11\u0665\u0966\U0001d7ce\u2011\u2013\u2212\u00a0\uff20\uff0e\x85\x90\u200b") \
        == "41500--- @. "
    assert privacy.readable("2024\u00b9 \u00bd \u2460 caf\u00e9") == "2024\u00b9 \u00bd \u2460 caf\u00e9"


def test_long_non_ascii_text_is_redacted_in_linear_time():
    start = time.perf_counter()
    for text in ("\u00e9" * 50_000, "\u200b" * 50_000, "1\u200b" * 25_000, "\uff11" * 50_000,
                 "a" * 49_999 + "\uff20", "1 A" + "a" * 50_000, "1 Aa Bb Cc Dd " * 4_000, "12345-" * 9_000):
        redacted(text)
        personal_data(text)
    assert time.perf_counter() - start < 3.0


def test_redacted_and_personal_data_agree_on_text_with_invisible_and_wide_characters():
    rng = random.Random(13)
    alphabet = "0123456789--.. ()@x$,\u200b\u00ad\u2060\uff15\uff20\u2011\u00b9"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert bool(personal_data(text)) == (redacted(text) != text), repr(text)
        assert personal_data(redacted(text)) == [], repr(text)


@pytest.mark.parametrize("address", ["45 Lone Star Drive", "800 Harbor Point Drive", "21 Three Mile Road",
                                     "77 Bay Door Street", "123 Test Kitchen Road", "42 Elm Street",
                                     "221B Baker Street"])
def test_a_street_with_a_counted_word_inside_its_name_is_still_an_address(address):
    # the exclusions that keep "4 Wheel Drive" and "2024 Subaru Outback All Wheel Drive" apply first and last only
    assert redacted(f"Ship to {address}, Prosser") == "Ship to [REDACTED], Prosser"


def test_the_producer_finds_street_addresses_with_the_same_pattern():
    # keep in step: the producer's regex literal is this module's pattern, character for character
    source = (Path(__file__).parents[2] / "sites" / "producer" / "eitp-producer.js").read_text()
    literals = re.findall(r"\[/(.+?)/g, DIGIT\]", source)
    assert PERSONAL_TEXT["street address"].pattern in literals


def test_the_guard_finds_what_the_prompt_redaction_finds_where_an_invisible_character_was_the_boundary():
    # the guard read personal data in the message without its invisible characters only, so a number whose
    # boundary was one ("97201-1234\u200bA") passed it though personal_data of the message finds it
    for message in ("Your zip 97201-1234\u200bA is on file", "Reach us at 2001:db8:0:0:0:0:2:1\u200bz"):
        assert personal_data(message) and any(v.startswith("personal data") for v in violations(message))
