"""Section 3.9's card, SSN and phone patterns have no word boundaries, and the producer applies them so: a number
glued to a word ("SSN123-45-6789", "CC4111111111111111") is personal data to the Python side too, in every prompt
(10.1), in Seer's guard, and in the names shared knowledge shows other visitors (7.4)."""

import copy
import json
import random

import numpy as np
import pytest

from tests.conftest import FIXTURES
from workbench.consumer import templates
from workbench.consumer.guard import violations
from workbench.llm.prompt import knowledge_context, packet_context, plain_name
from workbench.privacy import personal_data, redacted

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())

GLUED = {
    "SSN123-45-6789": ("SSN[REDACTED]", ["SSN"]),
    "id_123-45-6789": ("id_[REDACTED]", ["SSN"]),
    "CC4111111111111111": ("CC[REDACTED]", ["card number"]),
    "card4111-1111-1111-1111": ("card[REDACTED]", ["card number"]),
    "Tel5095550142": ("Tel[REDACTED]", ["phone number"]),
    "mobile509-555-0142": ("mobile[REDACTED]", ["phone number"]),
    "x509.555.0142": ("x[REDACTED]", ["phone number"]),
    "fax(509)555-0143": ("fax([REDACTED]", ["phone number"]),  # PERSONAL_TEXT finds "509)555-0143" first
}


@pytest.mark.parametrize("text", GLUED)
def test_a_number_glued_to_a_word_is_redacted_and_named(text):
    shown, kinds = GLUED[text]
    assert redacted(text) == shown and personal_data(text) == kinds


@pytest.mark.parametrize("text", GLUED)
def test_the_guard_refuses_a_message_carrying_one(text):
    assert f"personal data: {GLUED[text][1][0]}" in violations(f"Your file {text} is ready. Want a quote?")


def test_no_prompt_carries_one():
    packet = copy.deepcopy(PACKET)
    packet["pageContent"]["h1"] = "Owner SSN123-45-6789, CC4111111111111111, Tel5095550142"
    context = packet_context(packet)
    assert "6789" not in context and "4111" not in context and "0142" not in context
    assert personal_data(context) == []


def test_a_section_name_with_a_long_run_of_digits_is_no_plain_name():
    for name in ("call5095550142", "tel_5095550142", "tel_509_555_0142", "ssn_123_45_6789", "c4111_1111_1111_1111"):
        assert plain_name(name) is None, name
        assert name not in knowledge_context([{"emotion": "curiosity", "section": name, "confidence": 90}])
    for name in ("floor-plan-2", "rv_dealer", "sku-2024-3650", "id_20240501", "pricing"):
        assert plain_name(name) == name  # 8 digits or fewer: a model number, a date, a short id


def test_prices_model_years_model_numbers_and_specs_are_left_alone():
    for text in ("$59,995", "2024 Cherokee Arctic Wolf 3650SUITE", "$1,299.00/mo at 5.49% APR for 144 months",
                 "Tows 7,500 lbs; GVWR 11,500 lbs; 39 ft 8 in", "$1,234,567", "Stock #A24-3650", "Call for price"):
        assert redacted(text) == text and personal_data(text) == [] and violations(text) == [], text


def test_every_template_filled_from_the_fixture_page_passes():
    # the guard now knows more numbers as personal data: no template message of the demo page is one
    for (emotion, section, strategy), lines in templates.TEMPLATES.items():
        for k in range(len(lines)):
            packet = copy.deepcopy(PACKET)
            packet["emotion"]["primary"] = emotion if emotion != "*" else "curiosity"
            packet["spatial"]["currentSection"] = section if section != "*" else "pricing"
            rng = np.random.default_rng(k)
            assert personal_data(templates.render(packet, strategy, rng)) == []


def test_redacted_and_personal_data_agree_on_digit_heavy_text():
    # what redacted() changes is exactly what personal_data() names, and nothing it leaves is still personal
    rng = random.Random(11)
    alphabet = "0123456789--.. ()_xS$,"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert bool(personal_data(text)) == (redacted(text) != text), text
        assert personal_data(redacted(text)) == [], text
