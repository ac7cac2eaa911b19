"""Composition through the anthropic SDK against the stand-in: priority order, guard, fallbacks."""

import copy
import json

import orjson

from tests.conftest import FIXTURES
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.consumer.compose import SYSTEM, LLMComposer
from workbench.consumer.guard import violations
from workbench.consumer.service import SeerService
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


async def intervene(reply):
    with StandinMessagesAPI(lambda r: reply) as api:
        composer = LLMComposer(LLMSettings(api_key="k", base_url=api.base_url, timeout_ms=500))
        bus = InProcessBus()
        sent = []
        service = SeerService(bus, composer=composer, on_intervention=sent.append)
        await service.start()
        await bus.publish(subjects.intervention_request(PACKET["tenantId"], PACKET["sessionId"]),
                          orjson.dumps(copy.deepcopy(PACKET)))
        await bus.drain()
        await bus.close()
        return sent, api.requests, service, composer


async def test_sonnet_writes_the_message_with_context_in_priority_order():
    sent, requests, _, composer = await intervene(Reply(text="Want a side-by-side of the two packages?"))
    (intervention,) = sent
    assert intervention.source == "llm" and intervention.message == "Want a side-by-side of the two packages?"
    (request,) = requests
    assert request["model"].startswith("claude-sonnet") and request["system"] == SYSTEM
    context = request["messages"][0]["content"]
    assert context.index("spatial:") < context.index("temporal:") < context.index("emotion:") \
        < context.index("behavioral:") < context.index("pageContent:") < context.index("globalIntelligence:")
    assert composer.counters["input_tokens"] > 0


async def test_creepy_output_is_rejected_logged_and_replaced():
    sent, _, service, _ = await intervene(Reply(text="I noticed you hovering over the Adventure price for a while!"))
    (intervention,) = sent
    assert intervention.source == "template_after_guard" and violations(intervention.message) == []
    assert service.seer.guard_rejections


async def test_outage_and_hang_fall_back_to_templates():
    for reply in (Reply(status=529), Reply(text="too late", delay_s=2.0)):
        sent, _, _, composer = await intervene(reply)
        assert sent[0].source == "template"
        assert any(k.startswith("compose_fallback") for k in composer.counters)


def test_system_prompt_states_the_rules():
    for word in ("mouse", "scrolling", "hovering", "I noticed", "emotion"):
        assert word in SYSTEM
