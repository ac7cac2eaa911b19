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
