"""Personal data in page text never reaches the Messages API (sections 10.1, 10.3), whatever the producer
redacted: the triage, deep and composer prompts, through the real SDK against the stand-in."""

import copy
import json
import random
import time

from tests.conftest import FIXTURES
from workbench.consumer.compose import LLMComposer
from workbench.llm.prompt import packet_context
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier
from workbench.privacy import PERSONAL_TEXT, personal_data, redacted, without_ips

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
ASKS_DEEP = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6,
                        "needsSonnet": True, "reasoning": "r"})
DEEP_OK = json.dumps({"emotion": "hesitation", "confidence": 0.7, "intensity": 0.5, "intervene": True,
                      "reasoning": "r"})
EMAIL, PHONE, SSN, CARD, IP = "jane.doe@example.com", "(509) 555-0142", "123-45-6789", "4111 1111 1111 1111", \
    "203.0.113.9"


def leaky_packet():
    """The fixture packet with a person's details in every page content field a prompt shows."""
    packet = copy.deepcopy(PACKET)
    page = packet["pageContent"]
    page["pageTitle"] += f" | account of {EMAIL}"
    page["h1"] += f" for {PHONE}"
    page["headings"].append(f"SSN on file {SSN}")
    page["tables"] = [{"headers": ["Spec", f"Owner {EMAIL}"], "rows": [["Length", "39ft"], ["Card", CARD]]}]
    page["structuredData"][0]["seller"] = {"email": EMAIL, "telephone": PHONE, "faxNumber": 5095550143}
    page["visibleContent"] = (f"Welcome back, {EMAIL}. We will call you at {PHONE}.\n"
                              f"SSN on file {SSN}, card {CARD}, from {IP}.")
    page["meta"] = {"description": f"Call {PHONE}", "keywords": f"rv, {EMAIL}"}
    return packet


async def test_no_prompt_carries_the_personal_data_of_the_page_but_every_prompt_keeps_the_product():
    packet = leaky_packet()
    with StandinMessagesAPI(lambda r: Reply(text=DEEP_OK if "sonnet" in r["model"] else ASKS_DEEP)) as api:
        settings = LLMSettings(api_key="k", base_url=api.base_url)
        verdict, _ = await LLMTier(settings).enrich(copy.deepcopy(packet))
        with StandinMessagesAPI(lambda r: Reply(text="Happy to help with the Arctic Wolf.")) as composer_api:
            message = await LLMComposer(LLMSettings(api_key="k", base_url=composer_api.base_url))(packet,
                                                                                                "offer_help")
    assert verdict is not None and verdict.tier == "deep" and message is not None
    requests = [*api.requests, *composer_api.requests]
    assert [r["model"] for r in requests] == ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-sonnet-5-5"]
    for request in requests:
        sent = json.dumps(request, ensure_ascii=False)
        assert personal_data(sent) == [], (request["model"], personal_data(sent))
        for detail in (EMAIL, PHONE, SSN, CARD, IP, "jane.doe", "555-0142", "6789", "5095550143"):
            assert detail not in sent
        assert "[REDACTED]" in sent
        assert "Arctic Wolf 3650SUITE" in sent and "$59,995" in sent and "39ft" in sent


def test_an_address_the_cut_would_split_is_redacted_whole():
    # a heading is shown to 200 characters: an address straddling the cut must not leave its first half
    packet = copy.deepcopy(PACKET)
    packet["pageContent"]["headings"] = ["Contact " + "x" * 180 + " jane.doe.private@example.com"]
    packet["pageContent"]["h1"] = "y" * 184 + " call (509) 555-0142"
    context = packet_context(packet)
    assert "jane" not in context and "(509) 55" not in context
    assert "[REDAC" in context


def test_a_section_id_or_any_other_string_of_the_packet_is_redacted_too():
    # section ids are any 1-64 of [\w.:-] a client sends: room for a phone number
    packet = copy.deepcopy(PACKET)
    packet["spatial"]["currentSection"] = "509-555-0142"
    packet["patterns"]["detected"].append("ssn:123-45-6789")
    context = packet_context(packet)
    assert "555-0142" not in context and "6789" not in context and personal_data(context) == []
    assert '"currentSection": "[REDACTED]"' in context and "extended_dwelling_on_pricing" in context


def test_long_words_are_redacted_in_linear_time():
    # the email pattern, searched as it is, is quadratic in a word's length (~9 s for 50 kB): a page of
    # long words must cost the prompt no more than its size
    word = "a" * 49_999 + "@"
    start = time.perf_counter()
    assert redacted(word + " bob@example.com") == word + " [REDACTED]"
    assert redacted("x." * 25_000) == "x." * 25_000
    page = {"tables": [{"headers": [word] * 12, "rows": [[f"{EMAIL} {word}"] * 12] * 15}] * 3,
            "headings": [word] * 8, "visibleContent": "\n".join([word] * 5), "h1": f"{EMAIL} {word}"}
    context = packet_context(dict(copy.deepcopy(PACKET), pageContent=page))
    assert time.perf_counter() - start < 2.0
    assert "example.com" not in context


def test_redaction_finds_what_the_guards_patterns_find():
    # one set of patterns (workbench.privacy): redacted() replaces exactly the matches personal_data() reports
    rng = random.Random(7)
    alphabet = "ab1-@.x _(:)/+9\n[é"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        expected = without_ips(text)
        for pattern in PERSONAL_TEXT.values():
            expected = pattern.sub("[REDACTED]", expected)
        assert redacted(text) == expected, text
        assert personal_data(redacted(text)) == [], text  # nothing the guard would still call personal


def test_the_python_side_redacts_the_producers_international_phones_and_dotted_cards_and_keeps_the_rest():
    """The same cases the producer is held to (tests/producer/test_privacy_intl_numbers.py): what a prompt
    carries, and what Seer's guard refuses, follows the producer's patterns, on PII and on what is not."""
    from tests.producer.test_privacy_intl_numbers import INTL_FORMS

    assert [redacted(text) for text, _ in INTL_FORMS] == [expected for _, expected in INTL_FORMS]
    assert [bool(personal_data(text)) for text, _ in INTL_FORMS] == [text != expected for text, expected in INTL_FORMS]
