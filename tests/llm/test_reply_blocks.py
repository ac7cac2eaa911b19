""":func:`checked_reply` reads the text blocks of a reply by their type: a block of a kind the SDK does not
know yet (the API adds kinds) is skipped like any other non-text block, not taken for a text block without
text, which made the whole reply "malformed" and the tier fall back to the rules."""

import copy
import json

from tests.conftest import FIXTURES
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
VERDICT = json.dumps({"emotion": "decision_paralysis", "confidence": 0.8, "intensity": 0.6,
                      "needsSonnet": False, "reasoning": "tier comparison"})


def reply(*content):
    return Reply(raw_body=json.dumps({
        "id": "m", "type": "message", "role": "assistant", "model": "claude-haiku-5-5", "content": list(content),
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 30}}).encode())


async def enrich(answer):
    with StandinMessagesAPI(lambda r: answer) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
        return (*await tier.enrich(copy.deepcopy(PACKET)), tier)


async def test_a_block_of_an_unknown_kind_is_skipped():
    verdict, reason, _ = await enrich(reply({"type": "some_future_block", "data": {"x": 1}},
                                            {"type": "text", "text": VERDICT}))
    assert reason == "" and verdict is not None and verdict.emotion == "decision_paralysis"


async def test_a_text_block_without_text_is_still_malformed():
    verdict, reason, tier = await enrich(reply({"type": "text", "text": None}, {"type": "text", "text": VERDICT}))
    assert verdict is None and reason == "malformed" and tier.counters["fallback:malformed"] == 1


async def test_a_reply_with_only_non_text_blocks_falls_back_as_malformed():
    verdict, reason, _ = await enrich(reply({"type": "tool_use", "id": "t", "name": "n", "input": {}},
                                            {"type": "some_future_block"}))
    assert verdict is None and reason == "malformed"
