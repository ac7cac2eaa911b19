"""The section 8.2 bot reviewer through the real anthropic SDK against the local Messages API stand-in."""

import json
import time

import pytest

from tests.engine.test_ai_review import NEAR_REGULAR, clicker, evidence
from workbench.config import BotConfig
from workbench.engine import botfilter
from workbench.llm.botreview import REVIEW_SYSTEM, BotReviewer, parse_review
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings

BOT = json.dumps({"classification": "bot", "confidence": 0.9, "reasoning": "clicks on near-fixed waits"})
EVIDENCE = botfilter.review_evidence(evidence(clicker(NEAR_REGULAR)), BotConfig(), ("timing_regularity",))


def reviewer_for(responder, **settings):
    api = StandinMessagesAPI(responder)
    return api, BotReviewer(LLMSettings(api_key="test-key", base_url=api.start(), **settings))


async def test_one_triage_call_with_the_evidence_as_json():
    api, reviewer = reviewer_for(lambda r: Reply(text=BOT, input_tokens=300, output_tokens=25))
    try:
        verdict, why = await reviewer(EVIDENCE, 1000.0)
    finally:
        api.stop()
    assert why == "" and (verdict.classification, verdict.confidence) == ("bot", 0.9)
    assert verdict.reasoning == "clicks on near-fixed waits"
    (request,) = api.requests
    assert request["model"] == "claude-haiku-5-5" and request["max_tokens"] == 200
    assert request["system"] == REVIEW_SYSTEM and "temperature" not in request
    assert json.loads(request["messages"][0]["content"]) == EVIDENCE
    assert reviewer.counters["bot_review_calls"] == 1 and reviewer.counters["bot_review:bot"] == 1
    assert (reviewer.counters["input_tokens"], reviewer.counters["output_tokens"]) == (300, 25)


def test_parse_accepts_a_fenced_object_and_nothing_looser():
    assert parse_review("```json\n" + BOT + "\n```").classification == "bot"
    for bad in ("[]", "bot", BOT + " and more", json.dumps({"classification": "robot", "confidence": 0.9,
                                                             "reasoning": ""}),
                json.dumps({"classification": "bot", "confidence": 1.5, "reasoning": ""}),
                json.dumps({"classification": "bot", "confidence": True, "reasoning": ""}),
                json.dumps({"classification": "human", "confidence": 0.9})):
        with pytest.raises(ValueError):
            parse_review(bad)


@pytest.mark.parametrize("reply,reason", [
    (Reply(status=429, headers={"retry-after": "1"}), "rate_limited"),
    (Reply(status=529), "overloaded"),
    (Reply(status=500), "http_500"),
    (Reply(text="Looks like a person to me."), "malformed"),
    (Reply(raw_body=b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"), "malformed"),
    (Reply(raw_body=b'{"ok": true}'), "malformed"),
])
async def test_failures_are_fallback_reasons_not_exceptions(reply, reason):
    api, reviewer = reviewer_for(lambda r: reply)
    try:
        verdict, why = await reviewer(EVIDENCE, 1000.0)
    finally:
        api.stop()
    assert verdict is None and why == reason
    assert reviewer.counters[f"bot_review_fallback:{reason}"] == 1
    assert len(api.requests) == 1  # max_retries=0: one call, however it failed


async def test_a_hang_times_out_at_the_llm_timeout():
    api, reviewer = reviewer_for(lambda r: Reply(text=BOT, delay_s=3.0), timeout_ms=300)
    started = time.monotonic()
    try:
        verdict, why = await reviewer(EVIDENCE, 1000.0)
    finally:
        api.stop()
    assert verdict is None and why == "timeout" and time.monotonic() - started < 2.0


async def test_forged_clocks_a_minute_apart_get_no_more_reviews_than_the_budget():
    api, reviewer = reviewer_for(lambda r: Reply(text=BOT), review_per_minute=2)
    try:
        results = [await reviewer(EVIDENCE, t) for t in (0.0, 60_001.0, 120_002.0)]
    finally:
        api.stop()
    assert [why for _, why in results] == ["", "", "budget"] and len(api.requests) == 2


async def test_the_budget_counts_per_minute_of_event_time():
    api, reviewer = reviewer_for(lambda r: Reply(text=BOT), review_per_minute=2, wall_budgets=False)
    try:
        results = [await reviewer(EVIDENCE, t) for t in (0.0, 10_000.0, 20_000.0, 60_001.0)]
    finally:
        api.stop()
    assert [why for _, why in results] == ["", "", "budget", ""] and len(api.requests) == 3
