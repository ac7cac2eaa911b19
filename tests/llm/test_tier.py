"""The LLM tier through the real anthropic SDK against a local stand-in of the Messages API."""

import copy
import json
import time

import pytest

from tests.conftest import FIXTURES
from workbench.llm.prompt import packet_context
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import CallBudget, LLMSettings, LLMTier, parse_verdict, select_knowledge

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
TRIAGE_OK = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6,
                        "needsSonnet": False, "reasoning": "tier comparison"})


def tier_for(responder, **settings):
    api = StandinMessagesAPI(responder)
    base = api.start()
    return api, LLMTier(LLMSettings(api_key="test-key", base_url=base, **settings))


async def test_triage_success_counts_calls_and_tokens():
    api, tier = tier_for(lambda r: Reply(text=TRIAGE_OK, input_tokens=100, output_tokens=30))
    try:
        verdict, reason = await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert reason == "" and verdict.emotion == "decision_paralysis" and verdict.tier == "triage"
    assert tier.counters["triage_calls"] == 1 and tier.counters["deep_calls"] == 0
    assert tier.counters["input_tokens"] == 100 and tier.counters["output_tokens"] == 30
    (request,) = api.requests
    assert request["max_tokens"] == 800 and "temperature" not in request
    assert request["model"] == "claude-haiku-5-5"


async def test_spec_temperatures_are_sent_when_asked():
    api, tier = tier_for(lambda r: Reply(text=TRIAGE_OK), send_temperature=True)
    try:
        await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert api.requests[0]["temperature"] == 0.3


async def test_deep_call_only_when_triage_asks():
    def responder(request):
        if request["model"] == "claude-haiku-5-5":
            return Reply(text=TRIAGE_OK.replace('"needsSonnet": false', '"needsSonnet": true'))
        return Reply(text=json.dumps({"emotion": "hesitation", "confidence": 0.7, "intensity": 0.5,
                                      "intervene": True, "reasoning": "r"}))
    api, tier = tier_for(responder)
    try:
        verdict, _ = await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert verdict.tier == "deep" and verdict.emotion == "hesitation" and verdict.intervene is True
    assert [r["model"] for r in api.requests] == ["claude-haiku-5-5", "claude-sonnet-5-5"]
    assert api.requests[1]["max_tokens"] == 800


@pytest.mark.parametrize("reply,reason", [
    (Reply(status=429, headers={"retry-after": "1"}), "rate_limited"),
    (Reply(status=529), "overloaded"),
    (Reply(status=500), "http_500"),
    (Reply(text="I think they are frustrated."), "malformed"),
    (Reply(text=json.dumps({"emotion": "unknown", "confidence": 0.5, "intensity": 0.5, "needsSonnet": False})),
     "malformed"),
    (Reply(text=json.dumps({"emotion": "frustration", "confidence": 7, "intensity": 0.5, "needsSonnet": False})),
     "malformed"),
    (Reply(raw_body=b"{not json at all"), "malformed"),
])
async def test_failures_fall_back_with_a_reason(reply, reason):
    api, tier = tier_for(lambda r: reply)
    try:
        verdict, why = await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert verdict is None and why == reason
    assert tier.counters[f"fallback:{reason}"] == 1


async def test_a_hang_times_out_at_the_enrichment_budget():
    api, tier = tier_for(lambda r: Reply(text=TRIAGE_OK, delay_s=3.0), timeout_ms=300)
    started = time.monotonic()
    try:
        verdict, why = await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert verdict is None and why == "timeout"
    assert time.monotonic() - started < 2.0


async def test_budget_per_minute_in_event_time():
    api, tier = tier_for(lambda r: Reply(text=TRIAGE_OK), triage_per_minute=2, wall_budgets=False)
    packets = [dict(copy.deepcopy(PACKET), timestamp=t) for t in (0, 10_000, 20_000, 60_001)]
    try:
        results = [await tier.enrich(p) for p in packets]
    finally:
        api.stop()
    assert [why for _, why in results] == ["", "", "triage_budget", ""]
    assert len(api.requests) == 3


async def test_forged_timestamps_a_minute_apart_do_not_widen_the_budget_on_the_wall_clock():
    api, tier = tier_for(lambda r: Reply(text=TRIAGE_OK), triage_per_minute=2)
    packets = [dict(copy.deepcopy(PACKET), timestamp=t) for t in (0, 60_001, 120_002, 180_003)]
    try:
        results = [await tier.enrich(p) for p in packets]  # all within a wall second
    finally:
        api.stop()
    assert [why for _, why in results] == ["", "", "triage_budget", "triage_budget"]
    assert len(api.requests) == 2


def test_the_wall_window_slides_and_a_virtual_time_run_has_none():
    wall = [1000.0]
    budget = CallBudget(2, lambda: wall[0])
    assert budget.take(0) and budget.take(60_001) and not budget.take(120_002)
    wall[0] += 60.0
    assert budget.take(180_003)
    assert CallBudget.of(2, LLMSettings(wall_budgets=False)).wall is None


def test_a_call_stamped_far_ahead_does_not_hold_a_place_in_every_later_minute():
    budget = CallBudget(2)
    assert budget.take(10**15) and budget.take(10**15 + 1)  # a forged clock, a year ahead
    assert budget.take(0) and budget.take(1000) and not budget.take(2000)


def test_parse_accepts_a_fenced_object_and_nothing_looser():
    assert parse_verdict("```json\n" + TRIAGE_OK + "\n```", "triage").emotion == "decision_paralysis"
    for bad in ("[]", '{"emotion": "frustration"}', "frustration", TRIAGE_OK + " extra"):
        with pytest.raises(ValueError):
            parse_verdict(bad, "triage")


def test_knowledge_injection_filters():
    patterns = [
        {"tenant": "t", "vertical": "rv_dealer", "confidence": 70, "sample_size": 5, "id": "keep"},
        {"tenant": "t", "vertical": "rv_dealer", "confidence": 69.9, "sample_size": 50, "id": "low_conf"},
        {"tenant": "t", "vertical": "rv_dealer", "confidence": 90, "sample_size": 4, "id": "small"},
        {"tenant": "u", "vertical": "rv_dealer", "confidence": 90, "sample_size": 50, "id": "other_tenant"},
        {"tenant": "t", "vertical": "auto_dealer", "confidence": 90, "sample_size": 50, "id": "other_vertical"},
    ]
    assert [p["id"] for p in select_knowledge(patterns, tenant="t", vertical="rv_dealer")] == ["keep"]


def test_context_follows_section_9_1_priority_order():
    lines = [line.split(":")[0] for line in packet_context(PACKET).splitlines()]
    assert lines == ["spatial", "temporal", "emotion", "behavioral", "patterns", "intent", "pageContent",
                     "globalIntelligence"]


def test_standin_accepts_both_auth_styles():
    import urllib.request

    with StandinMessagesAPI(lambda r: Reply(text="{}")) as api:
        for header in ({"x-api-key": "k"}, {"Authorization": "Bearer k"}):
            req = urllib.request.Request(api.base_url + "/v1/messages", data=b'{"model": "m"}',
                                         headers={**header, "anthropic-version": "2023-06-01"})
            assert urllib.request.urlopen(req).status == 200


def test_enabled_from_env_with_configurable_models(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("WORKBENCH_LLM_BASE_URL", raising=False)
    assert not LLMSettings.from_env().enabled  # off by default
    monkeypatch.setenv("WORKBENCH_LLM_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("WORKBENCH_LLM_DEEP_MODEL", "claude-opus-5-5")
    settings = LLMSettings.from_env()
    assert settings.enabled and settings.deep_model == "claude-opus-5-5" and settings.triage_model == "claude-haiku-5-5"


def test_the_pipelines_tier_takes_its_deadline_from_appendix_c(monkeypatch):
    from workbench.config import EITPConfig
    from workbench.pipeline import Pipeline

    monkeypatch.setenv("WORKBENCH_LLM_BASE_URL", "http://127.0.0.1:9")
    config = EITPConfig().with_overrides({"inference.enrichment_timeout_ms": 700})
    pipeline = Pipeline(config, consumer=False)
    assert pipeline.llm is not None and pipeline.llm.settings.timeout_ms == 700


async def test_knowledge_is_injected_into_the_prompt():
    api, tier = tier_for(lambda r: Reply(text=TRIAGE_OK))
    pattern = {"tenant": "t", "vertical": "rv_dealer", "emotion": "decision_paralysis", "confidence": 82,
               "sample_size": 14, "id": "pricing_paralysis_clarify"}
    try:
        await tier.enrich(copy.deepcopy(PACKET), knowledge=[pattern])
    finally:
        api.stop()
    content = api.requests[0]["messages"][0]["content"]
    assert "proven patterns" in content and "pricing_paralysis_clarify" in content


async def test_deep_budget_keeps_the_triage_answer():
    asks_deep = TRIAGE_OK.replace('"needsSonnet": false', '"needsSonnet": true')
    deep = json.dumps({"emotion": "hesitation", "confidence": 0.7, "intensity": 0.5, "intervene": True})
    api, tier = tier_for(lambda r: Reply(text=deep if "sonnet" in r["model"] else asks_deep), deep_per_minute=1)
    try:
        first, _ = await tier.enrich(dict(copy.deepcopy(PACKET), timestamp=0))
        second, _ = await tier.enrich(dict(copy.deepcopy(PACKET), timestamp=1000))
    finally:
        api.stop()
    assert first.tier == "deep" and first.emotion == "hesitation"
    assert tier.counters["deep_calls"] == 1 and tier.counters["fallback:deep_budget"] == 1
    assert second is not None and second.tier == "triage"


def message_json(**overrides):
    body = {"id": "msg_x", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn",
            "stop_sequence": None, "content": [{"type": "text", "text": TRIAGE_OK}],
            "usage": {"input_tokens": 1, "output_tokens": 1}}
    return json.dumps({**body, **overrides}).encode()


# HTTP 200 replies that are not a Messages API message: a proxy's or captive portal's page, JSON of
# another shape, a message with its content or usage missing. Each must be a fallback, not a crash.
MALFORMED_200 = {
    "html page": Reply(raw_body=b"<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"),
    "plain text": Reply(raw_body=b"upstream connect error", content_type="text/plain"),
    "other json": Reply(raw_body=b'{"ok":true}'),
    "json list": Reply(raw_body=b"[1, 2]"),
    "content null": Reply(raw_body=message_json(content=None)),
    "content a string": Reply(raw_body=message_json(content=TRIAGE_OK)),
    "text null": Reply(raw_body=message_json(content=[{"type": "text", "text": None}])),
    "usage null": Reply(raw_body=message_json(usage=None)),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_200))
async def test_a_malformed_200_reply_falls_back_with_a_logged_reason(name, caplog):
    api, tier = tier_for(lambda r: MALFORMED_200[name])
    try:
        verdict, why = await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert verdict is None and why == "malformed"
    assert tier.counters["fallback:malformed"] == 1
    assert any("not a Messages API message" in r.getMessage() for r in caplog.records), caplog.text


async def test_a_malformed_deep_reply_falls_back_too():
    # to the triage answer it followed (paid for), counted as a deep fallback
    asks_deep = TRIAGE_OK.replace('"needsSonnet": false', '"needsSonnet": true')
    api, tier = tier_for(lambda r: MALFORMED_200["html page"] if "sonnet" in r["model"] else Reply(text=asks_deep))
    try:
        verdict, why = await tier.enrich(copy.deepcopy(PACKET))
    finally:
        api.stop()
    assert verdict is not None and verdict.tier == "triage" and why == "" and tier.counters["deep_calls"] == 1
    assert tier.counters["fallback:deep_malformed"] == 1 and tier.counters["fallback:malformed"] == 0
