"""Section 8.2 AI review end to end: batches on an in-process bus, the EngineService, the real anthropic
SDK against the Messages API stand-in. A confident "bot" answer drops the session; any failure leaves
the rules' "human" and the packets flow as without a reviewer."""

import json

import orjson
import pytest

from tests.engine.telemetry import RESIDENTIAL_IP, UA
from tests.engine.test_ai_review import NEAR_REGULAR, PAGE, SID, clicker
from tests.engine.test_engine_service import started
from workbench import bus as subjects
from workbench.engine.core import Engine, ReviewOut
from workbench.llm.botreview import BotReviewer
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings

BATCHES = clicker(NEAR_REGULAR).batches()


def up_to_the_review():
    """The session's batches up to the one whose verdict asks for the review."""
    engine = Engine(ai_review=True)
    for i, b in enumerate(BATCHES):
        if any(isinstance(o, ReviewOut) for o in engine.ingest(b)):
            return BATCHES[:i + 1]
    raise AssertionError("no review")


async def serve(reviewer=None, *, batches=BATCHES, close_at_once=False):
    """Publish the ambiguous session and its close; what the service published, by subject kind."""
    contexts: list[dict] = []

    async def enrich(packet, context):  # records what each packet's enrichment knew of its session
        contexts.append(context)
        return packet

    bus, service, seen = await started(reviewer=reviewer, enrich=enrich)
    service.contexts = contexts
    for b in batches:
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
        if not close_at_once:
            await bus.drain()
    closed = {"tenantId": "org_test", "sessionId": SID, "at": batches[-1]["timestamp"] + 500}
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(closed))
    await bus.drain()
    await bus.close()
    packets = [body for subject, body in seen if subject.startswith("seer.")]
    verdicts = [body for subject, body in seen if subject.startswith("bot.")]
    return packets, verdicts, seen, service


async def reviewed(reply, *, batches=BATCHES, close_at_once=False, **settings):
    with StandinMessagesAPI(lambda r: reply) as api:
        reviewer = BotReviewer(LLMSettings(api_key="k", base_url=api.base_url, **settings))
        packets, verdicts, seen, service = await serve(reviewer, batches=batches, close_at_once=close_at_once)
    return packets, verdicts, seen, api.requests, reviewer, service


async def test_without_a_reviewer_the_session_is_human_as_before():
    packets, verdicts, _, service = await serve()
    assert [v["classification"] for v in verdicts] == ["human"] and len(packets) >= 4
    assert service.engine.ai_review is False


async def test_a_bot_answer_drops_every_packet_of_the_session():
    answer = json.dumps({"classification": "bot", "confidence": 0.93, "reasoning": "near-fixed waits"})
    packets, verdicts, seen, requests, reviewer, _ = await reviewed(Reply(text=answer))
    assert packets == [] and [s for s, _ in seen] == [f"bot.org_test.detection.{SID}"]
    (verdict,) = verdicts
    assert verdict["classification"] == "bot" and verdict["signals"] == ["ai_classification"]
    assert verdict["confidence"] == 0.93 and "near-fixed waits" in verdict["reasoning"]
    (request,) = requests
    sent = json.dumps(request)
    for secret in (RESIDENTIAL_IP, UA, "Mozilla", PAGE["pageTitle"], "Next option"):
        assert secret not in sent  # sections 8.2 and 10.3: counts and timings only
    assert reviewer.counters["bot_review_calls"] == 1


@pytest.mark.parametrize("reply,reason,settings", [
    (Reply(text="{}", delay_s=1.0), "timeout", {"timeout_ms": 300}),
    (Reply(status=529), "overloaded", {}),
    (Reply(raw_body=b"<html>Service Unavailable</html>", content_type="text/html"), "malformed", {}),
])
async def test_a_failed_review_leaves_the_rules_human_and_the_same_packets(reply, reason, settings):
    plain, _, _, _ = await serve()
    packets, verdicts, _, requests, reviewer, _ = await reviewed(reply, **settings)
    assert len(requests) == 1 and reviewer.counters[f"bot_review_fallback:{reason}"] == 1
    (verdict,) = verdicts
    assert verdict["classification"] == "human" and f"AI review failed ({reason})" in verdict["reasoning"]
    assert packets == plain


async def test_a_close_that_arrives_during_the_review_loses_no_packet():
    # the close is handled while the batch handler still awaits the answer: the session is parked
    # with its last window, and the answer releases everything, as if the close had come after it
    batches = up_to_the_review()
    plain, _, _, _ = await serve(batches=batches)
    human = json.dumps({"classification": "human", "confidence": 0.8, "reasoning": "varied"})
    packets, verdicts, _, requests, _, service = await reviewed(Reply(text=human, delay_s=0.3), batches=batches,
                                                                close_at_once=True)
    assert len(requests) == 1 and [v["classification"] for v in verdicts] == ["human"]
    assert packets == plain and len(packets) >= 3
    assert [c.get("vertical") for c in service.contexts] == ["rv_dealer"] * len(packets)  # kept for the release
    assert service.engine.parked == {} and service.engine.sessions == {} and service._context == {}


def test_the_pipeline_reviews_only_with_the_llm_tier_on():
    from workbench.pipeline import Pipeline

    off = Pipeline(llm=LLMSettings())
    assert off.reviewer is None and off.engine.engine.ai_review is False  # the default: unchanged
    on = Pipeline(llm=LLMSettings(api_key="k", base_url="http://127.0.0.1:9"))
    assert isinstance(on.reviewer, BotReviewer) and on.engine.engine.ai_review is True
