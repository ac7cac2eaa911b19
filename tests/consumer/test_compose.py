"""Composition through the anthropic SDK against the stand-in: priority order, guard, fallbacks."""

import copy
import json

import orjson

from tests.conftest import FIXTURES
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.consumer.compose import ASK, STRATEGY_BRIEFS, SYSTEM, LLMComposer
from workbench.consumer.guard import violations
from workbench.consumer.service import SeerService
from workbench.enrichment import Enricher
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def is_compose(request):
    """The composer's request, told apart from the enrichment tier's (which share the stand-in)."""
    system = request["system"]
    return isinstance(system, list) and system[0]["text"] == SYSTEM


async def intervene(reply, **settings):
    """One intervention through Seer with the composer: what went out, the requests, the service, the composer."""
    with StandinMessagesAPI(lambda r: reply) as api:
        composer = LLMComposer(LLMSettings(api_key="k", base_url=api.base_url, **{"timeout_ms": 500, **settings}))
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
    assert request["model"].startswith("claude-sonnet") and is_compose(request)
    rules, approach, context = (block["text"] for block in request["system"])  # 9.1: the packet goes in the system
    assert rules == SYSTEM and request["messages"] == [{"role": "user", "content": ASK}]
    # 7.5: the message is written in the strategy the bandit chose, the one its outcome is credited to
    assert approach == f"Your approach for this message: {STRATEGY_BRIEFS[intervention.strategy]}."
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


async def test_a_malformed_200_reply_falls_back_to_a_template():
    for reply in (Reply(raw_body=b"<html>Service Unavailable</html>", content_type="text/html"),
                  Reply(raw_body=b'{"ok": true}')):
        sent, _, _, composer = await intervene(reply)
        assert sent[0].source == "template"
        assert composer.counters["compose_fallback:MalformedReply"] == 1


async def seer_after_enrichment(needs_sonnet):
    """Five windows of one visit, 10 s apart, through the real triage tier and then Seer with the composer,
    both against the one stand-in: what the Sonnet composer is asked for and what goes out."""
    triage = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6,
                         "needsSonnet": needs_sonnet})
    deep = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6, "intervene": True})

    def responder(request):
        if is_compose(request):
            return Reply(text="Want a side-by-side of the two packages?")
        return Reply(text=triage if "haiku" in request["model"] else deep)

    with StandinMessagesAPI(responder) as api:
        settings = LLMSettings(api_key="k", base_url=api.base_url)
        enrich = Enricher(llm=LLMTier(settings))
        bus = InProcessBus()
        sent = []
        service = SeerService(bus, composer=LLMComposer(settings), on_intervention=sent.append)
        await service.start()
        for t in (20_000, 30_000, 40_000, 50_000, 60_000):
            packet = dict(copy.deepcopy(PACKET), timestamp=PACKET["timestamp"] - 234_000 + t)
            packet["temporal"]["sessionDuration"] = t
            packet = await enrich(packet, {"vertical": "rv_dealer"})
            await bus.publish(subjects.intervention_request(PACKET["tenantId"], PACKET["sessionId"]),
                              orjson.dumps(packet))
            await bus.drain()
        await bus.close()
        composed = [r for r in api.requests if is_compose(r)]
    return sent, composed


async def test_no_sonnet_call_when_triage_says_no_intervention_is_needed():
    sent, composed = await seer_after_enrichment(needs_sonnet=False)
    assert sent == [] and composed == []  # section 7.3: recorded for dashboards, no intervention, no Sonnet


async def test_the_composer_is_called_only_for_the_intervention_that_goes_out():
    sent, composed = await seer_after_enrichment(needs_sonnet=True)
    assert len(sent) == 1 and sent[0].source == "llm"  # the other four fall inside the cooldown
    assert len(composed) == 1


def test_system_prompt_states_the_rules():
    for word in ("mouse", "scrolling", "hovering", "I noticed", "emotion"):
        assert word in SYSTEM


async def test_each_strategy_the_bandit_picks_is_the_one_the_composer_was_asked_for():
    asked = []

    async def composer(packet, strategy):
        asked.append(strategy)
        return None  # a template, in the same strategy

    bus = InProcessBus()
    sent = []
    service = SeerService(bus, composer=composer, on_intervention=sent.append, seed=3)
    await service.start()
    for n in range(20):  # twenty visitors, so that the bandit's draws pick several strategies
        p = dict(copy.deepcopy(PACKET), sessionId=f"s{n}")
        await bus.publish(subjects.intervention_request(p["tenantId"], p["sessionId"]), orjson.dumps(p))
    await bus.drain()
    await bus.close()
    assert len(sent) == 20 and [i.strategy for i in sent] == asked
    assert len(set(asked)) > 1
