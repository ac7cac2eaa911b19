"""Every template reads like a salesperson: it passes the guard and uses page content."""

import copy
import json

import numpy as np
import pytest

from tests.conftest import FIXTURES
from workbench.consumer.bandit import STRATEGIES
from workbench.consumer.guard import violations
from workbench.consumer.templates import TEMPLATES, candidates, render
from workbench.protocol.taxonomy import CANONICAL

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_passes_the_guard(key):
    for line in TEMPLATES[key]:
        rendered = line.format(product="Arctic Wolf 3650SUITE", price="$59,995", topic="pricing")
        assert violations(rendered) == [], (key, rendered)


@pytest.mark.parametrize("emotion", CANONICAL)
def test_every_emotion_and_strategy_has_a_line(emotion):
    for strategy in STRATEGIES:
        assert candidates(emotion, "pricing", strategy)


def test_render_uses_page_content_naturally():
    packet = copy.deepcopy(PACKET)
    message = render(packet, "clarify_options", np.random.default_rng(0))
    assert "{" not in message
    packet["emotion"]["primary"] = "price_sensitivity"
    assert "Arctic Wolf 3650SUITE" in render(packet, "incentive", np.random.default_rng(0))


def test_render_without_page_content():
    packet = dict(copy.deepcopy(PACKET), pageContent=None)
    assert "vehicle" in render(packet, "offer_help", np.random.default_rng(0))


@pytest.mark.parametrize("where", ["h1", "structuredData"])
def test_a_page_text_too_long_for_a_name_is_not_named(where):
    # a whole page's text in the h1 (or an item's name) made a 30,000-character "product" in Seer's message
    packet = copy.deepcopy(PACKET)
    long = "Arctic Wolf " * 2_500
    if where == "h1":
        packet["pageContent"] = {"h1": long}
    else:
        packet["pageContent"]["structuredData"][0]["name"] = long
        packet["pageContent"]["h1"] = ""
    message = render(packet, "offer_help", np.random.default_rng(0))
    assert "vehicle" in message and len(message) <= 300, len(message)


@pytest.mark.parametrize(("price", "shown"), [
    ("$59,995", "$59,995"), ("59,995", "$59,995"), (59995, "$59,995"), ("59995.00", "$59,995"),
    ("45,995 CAD", "$45,995 CAD"), ("CAD 45,995", "$45,995 CAD"), ("€59.995", "€59,995"), ("59.995 EUR", "€59,995"),
    ("£41,250.50", "£41,250"), ("Call for price", "listed"), ("", "listed"), (None, "listed"), (True, "listed"),
    ({"amount": 1}, "listed"), ("$", "listed"), ("1,2,3", "listed"),
])
def test_a_price_is_shown_when_it_can_be_read_and_left_out_when_not(price, shown):
    packet = copy.deepcopy(PACKET)
    packet["emotion"]["primary"] = "price_sensitivity"
    packet["pageContent"]["structuredData"][0]["price"] = price
    packet["pageContent"]["visibleContent"] = "Experience the ultimate in fifth wheel living..."
    message = render(packet, "clarify_options", np.random.default_rng(0))
    assert message == (f"The {shown} price includes more than it looks at first glance. "
                       "Want a quick rundown of what's in it?")


def test_a_structured_price_that_cannot_be_read_falls_back_to_the_visible_one():
    packet = copy.deepcopy(PACKET)
    packet["emotion"]["primary"] = "price_sensitivity"
    packet["pageContent"]["structuredData"][0]["price"] = "Call for price"
    packet["pageContent"]["visibleContent"] = "Now only $57,495 with the spring offer"
    assert render(packet, "clarify_options", np.random.default_rng(0)).startswith("The $57,495 price")


def test_no_template_says_what_the_visitor_did():
    for line in (line for lines in TEMPLATES.values() for line in lines):
        for tell in ("before you go", "still weighing", "isn't cooperating", "make this easier"):
            assert tell not in line.lower(), line
