"""A deep call that fails keeps the triage answer it followed (section 7.3): triage was paid for, and its
answer stands as when the deep call is skipped, counted as ``fallback:deep_<reason>``."""

import copy
import json

import pytest

from tests.conftest import FIXTURES
from workbench.enrichment import Enricher
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
ASKS_DEEP = json.dumps({"emotion": "frustration", "confidence": 0.9, "intensity": 0.8, "needsSonnet": True,
                        "reasoning": "r"})
DEEP_OK = json.dumps({"emotion": "hesitation", "confidence": 0.7, "intensity": 0.5, "intervene": True,
                      "reasoning": "r"})


@pytest.mark.parametrize("deep_reply,reason", [
    (Reply(text=DEEP_OK, delay_s=3.0), "timeout"),  # past the one 1 s enrichment deadline
    (Reply(status=529), "overloaded"),
    (Reply(status=429, headers={"retry-after": "1"}), "rate_limited"),
    (Reply(text=json.dumps({"emotion": "rage", "confidence": 0.5, "intensity": 0.5, "intervene": True})), "malformed"),
])
async def test_a_failed_deep_call_keeps_the_triage_verdict(deep_reply, reason):
    with StandinMessagesAPI(lambda r: deep_reply if "sonnet" in r["model"] else Reply(text=ASKS_DEEP,
                                                                                      delay_s=0.1)) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url, timeout_ms=1000))
        verdict, why = await tier.enrich(copy.deepcopy(PACKET))
    assert [r["model"] for r in api.requests] == ["claude-haiku-5-5", "claude-sonnet-5-5"]
    assert why == "" and verdict is not None
    assert (verdict.tier, verdict.emotion, verdict.confidence, verdict.needs_deep) == ("triage", "frustration", 0.9,
                                                                                       True)
    assert tier.counters[f"fallback:deep_{reason}"] == 1 and tier.counters[f"fallback:{reason}"] == 0
    assert tier.counters["triage_calls"] == 1 and tier.counters["deep_calls"] == 1


async def test_the_published_packet_carries_triages_answer_after_a_deep_timeout():
    def responder(request):
        return Reply(text=DEEP_OK, delay_s=3.0) if "sonnet" in request["model"] else Reply(text=ASKS_DEEP)

    with StandinMessagesAPI(responder) as api:
        enricher = Enricher(llm=LLMTier(LLMSettings(api_key="k", base_url=api.base_url, timeout_ms=800)))
        packet = await enricher(copy.deepcopy(PACKET), {"vertical": "rv_dealer"})
    assert packet["emotion"]["primary"] == "frustration" and packet["emotion"]["confidence"] == 0.9
    detected = packet["patterns"]["detected"]
    assert "llm_triage" in detected and "llm_gate:intervene" in detected  # triage's needsSonnet is the gate
    assert not any(d.startswith("llm_fallback") for d in detected)
