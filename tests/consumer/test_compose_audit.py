"""Audit fixes of the composer (section 9.1 injection, section 7.3 deep model), through the real anthropic SDK
against the stand-in: only a finished, short, plain chat message goes out; the Sonnet calls have a budget."""

import copy
import json

import orjson
import pytest

from tests.conftest import FIXTURES
from tests.consumer.test_compose import intervene
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.consumer.compose import SYSTEM, LLMComposer
from workbench.consumer.service import SeerService
from workbench.enrichment import Enricher
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
GOOD = "Want a side-by-side of the two floor plans?"


def is_compose(request):
    system = request["system"]
    return isinstance(system, list) and system[0]["text"] == SYSTEM


def message(text, stop_reason="end_turn"):
    return Reply(raw_body=json.dumps({
        "id": "m", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
        "content": [{"type": "text", "text": text}], "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": 900, "output_tokens": 800}}).encode())


# --- 1. only a finished, short, plain message ---------------------------------------------------------

REFUSED = {
    "refusal": message("I'm sorry, but I can't help with that request.", "refusal"),
    "max_tokens": message("Happy to help you compare the Arctic Wolf 3650SUITE with the", "max_tokens"),
    "unfinished": message(GOOD, "stop_sequence"),
    "too_long": Reply(text="The Arctic Wolf is a great choice. " * 600),
    "json": Reply(text='{"emotion": "decision_paralysis", "intervene": true}'),
    "markup": Reply(text="[[[[[[[[[[[[[[[["),
    "too_many_sentences": Reply(text="Great pick. Lots of room. Solid build. Want a tour?"),
}


@pytest.mark.parametrize("reason", sorted(REFUSED))
async def test_a_reply_that_is_no_finished_chat_message_falls_back_to_a_template_with_its_reason(reason, caplog):
    sent, _, _, composer = await intervene(REFUSED[reason])
    (intervention,) = sent
    assert intervention.source == "template"
    assert composer.counters[f"compose_fallback:{reason}"] == 1
    assert any(f"({reason})" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.parametrize("text", [
    "The Arctic Wolf 3650SUITE is $59,995. Want a payment estimate?",
    "Choosing between these two can feel tough — want me to break down the key differences?",  # section 9.2
])
async def test_a_short_plain_message_still_goes_out(text):
    sent, _, _, composer = await intervene(Reply(text=text))
    assert sent[0].source == "llm" and sent[0].message == text
    assert not any(k.startswith("compose_fallback") for k in composer.counters)


async def test_a_refused_reply_is_paid_for():
    _, _, _, composer = await intervene(REFUSED["refusal"])
    assert composer.counters["output_tokens"] == 800 and composer.counters["compose_calls"] == 1


# --- 2. a budget for the composer's Sonnet calls ------------------------------------------------------

async def compose_at(composer, stamps):
    return [await composer(dict(copy.deepcopy(PACKET), timestamp=t)) for t in stamps]


async def test_the_composer_has_a_per_minute_budget_in_event_time():
    with StandinMessagesAPI(lambda r: Reply(text=GOOD)) as api:
        composer = LLMComposer(LLMSettings(api_key="k", base_url=api.base_url, deep_per_minute=2,
                                           wall_budgets=False))
        results = await compose_at(composer, (0, 1_000, 2_000, 3_000, 60_001))
    assert results == [GOOD, GOOD, None, None, GOOD]
    assert len(api.requests) == 3 and composer.counters["compose_fallback:budget"] == 2


async def test_forged_timestamps_a_minute_apart_do_not_widen_the_composer_budget():
    with StandinMessagesAPI(lambda r: Reply(text=GOOD)) as api:
        composer = LLMComposer(LLMSettings(api_key="k", base_url=api.base_url, deep_per_minute=2))
        results = await compose_at(composer, (0, 60_001, 120_002, 180_003))  # all within a wall second
    assert results == [GOOD, GOOD, None, None] and len(api.requests) == 2


async def test_when_the_tier_budgets_are_spent_the_composer_does_not_pay_for_every_intervention():
    """The audit's flood: 100 sessions in 10 s of event time, triage and deep budgets of 5 a minute."""
    triage = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6, "needsSonnet": True})
    deep = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6, "intervene": True})

    def responder(request):
        if is_compose(request):
            return Reply(text=GOOD)
        return Reply(text=triage if "haiku" in request["model"] else deep)

    for share in (False, True):
        with StandinMessagesAPI(responder) as api:
            settings = LLMSettings(api_key="k", base_url=api.base_url, triage_per_minute=5, deep_per_minute=5)
            tier = LLMTier(settings)
            composer = LLMComposer(settings, **({"budget": tier.deep_budget} if share else {}))  # share, or its own
            enrich = Enricher(llm=tier)
            bus = InProcessBus()
            sent = []
            service = SeerService(bus, composer=composer, on_intervention=sent.append)
            await service.start()
            for n in range(100):
                p = dict(copy.deepcopy(PACKET), sessionId=f"s{n}", timestamp=PACKET["timestamp"] + n * 100)
                p = await enrich(p, {"vertical": "rv_dealer"})
                await bus.publish(subjects.intervention_request(p["tenantId"], p["sessionId"]), orjson.dumps(p))
            await bus.drain()
            await bus.close()
            sonnet = [r for r in api.requests if "sonnet" in r["model"]]
        assert len(sent) == 100  # every intervention still goes out, with a template past the budget
        assert len(sonnet) <= (5 if share else 10), (share, len(sonnet))
        assert composer.counters["compose_fallback:budget"] >= 95 - (0 if share else 5)
        assert sum(i.source == "llm" for i in sent) == sum(map(is_compose, sonnet))


# --- 3. a bounded system prompt -----------------------------------------------------------------------

async def test_the_composer_system_prompt_is_bounded():
    packet = copy.deepcopy(PACKET)
    packet["pageContent"]["visibleContent"] = "Lorem ipsum dolor sit amet. " * 1700  # 48 kB, one batch's worth
    packet["pageContent"]["headings"] = ["Floor plan " + "h" * 300] * 100
    with StandinMessagesAPI(lambda r: Reply(text=GOOD)) as api:
        await LLMComposer(LLMSettings(api_key="k", base_url=api.base_url))(packet)
    (request,) = api.requests
    context = request["system"][1]["text"]
    assert len(context) < 6_000 and "2024 Cherokee Arctic Wolf 3650SUITE" in context
