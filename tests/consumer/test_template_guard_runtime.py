"""Section 9.2 on every message Seer sends, a template's too: its slots are filled from the page, and a page
whose product name or heading reads as surveillance ("Arctic Wolf - we noticed you hovering") must not reach
the visitor through a template. The template then names no product."""

import copy
import json

import pytest

from tests.conftest import FIXTURES
from workbench.consumer.guard import violations
from workbench.consumer.seer import Seer

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
CREEPY_NAMES = ["Arctic Wolf (we noticed you hovering over it)", "Your mouse is on the 3650SUITE",
                "3650SUITE you've been scrolling past for 3 minutes"]


def packet(t, sid, page):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["emotion"]["primary"] = "frustration"
    p["spatial"]["currentSection"] = "specifications"
    p["temporal"]["sessionDuration"] = t
    p["pageContent"] = page
    return p


@pytest.mark.parametrize("name", CREEPY_NAMES)
@pytest.mark.parametrize("where", ["structuredData", "h1"])
def test_a_template_never_carries_a_page_text_the_guard_refuses(name, where):
    page = {"structuredData": [{"type": "Vehicle", "name": name}]} if where == "structuredData" else {"h1": name}
    for seed in range(8):  # every strategy, whichever the bandit draws
        intervention = Seer(seed=seed).on_packet(packet(20_000, f"s{seed}", page))
        assert intervention is not None and intervention.source == "template"
        assert violations(intervention.message) == [] and name not in intervention.message, intervention.message


def test_a_plain_product_name_still_goes_in():
    page = {"structuredData": [{"type": "Vehicle", "name": "Arctic Wolf 3650SUITE"}]}
    messages = [Seer(seed=seed).on_packet(packet(20_000, f"s{seed}", page)).message for seed in range(8)]
    assert all("Arctic Wolf 3650SUITE" in m for m in messages), messages
