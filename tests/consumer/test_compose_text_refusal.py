"""A refusal or a preamble the model writes as its text, with ``stop_reason`` ``end_turn``, is no chat message
(section 9.1): through the real anthropic SDK against the stand-in, it falls back to a template, counted and logged."""

import json

import pytest

from tests.consumer.test_compose import intervene
from workbench.consumer.compose import message_problem
from workbench.llm.standin import Reply

REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "I\u2019m sorry, I cannot write proactive sales messages.",
    "As an AI language model, I cannot write sales messages.",
    "I can't assist with writing that message.",
    "I apologize, but I'm unable to help with this.",
    # refusals that neither apologise nor say "can't"
    "I must decline to write this message.",
    "I'd rather not write a message like that.",
    "I don't feel comfortable writing this message.",
    "Sorry, I won't be able to help with this request.",
]
PREAMBLES = [
    "Here's a friendly opener: Want a side-by-side of the two floor plans?",
    "Here is the message: Want a side-by-side of the two floor plans?",
    "Message: Want a side-by-side of the two floor plans?",
    # after a word of assent, or naming the reply some other way
    "Sure! Here's a friendly opener: Want a side-by-side of the two floor plans?",
    "Here's my suggestion: Want a side-by-side of the two floor plans?",
    "Absolutely. Here's one: Want a side-by-side of the two floor plans?",
]


@pytest.mark.parametrize("text", REFUSALS)
async def test_a_refusal_written_as_text_falls_back_to_a_template(text, caplog):
    sent, _, _, composer = await intervene(Reply(text=text))
    (intervention,) = sent
    assert intervention.source == "template" and intervention.message != text
    assert composer.counters["compose_fallback:refusal"] == 1
    assert any("(refusal)" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.parametrize("text", PREAMBLES)
async def test_a_reply_that_introduces_its_message_falls_back_to_a_template(text):
    sent, _, _, composer = await intervene(Reply(text=text))
    assert sent[0].source == "template" and composer.counters["compose_fallback:preamble"] == 1


@pytest.mark.parametrize("text", [
    "Happy to help: the Arctic Wolf comes in two floor plans. Want both?",
    "I can help you compare the two floor plans. Want a side-by-side?",
    "Here's the short version of the Arctic Wolf: what it is, what it costs, and what's included. Want it?",
    "Here's the short version: the Arctic Wolf sleeps six and tows with a half-ton. Want the specs?",
    "Here's an idea: a test drive of the Arctic Wolf this weekend?",
    "Here's one thing most buyers ask about: towing. Want the numbers?",
    "Great news: there are current offers on the Arctic Wolf. Want me to check?",
    "Sure thing, the Arctic Wolf sleeps six. Want the floor plan?",
    "I'd rather you see the Arctic Wolf in person: want a walkthrough this weekend?",
])
def test_plain_messages_are_not_taken_for_refusals(text):
    assert message_problem(text) is None


# --- replies with no text to send: no blocks, only non-text blocks, only whitespace ------------------------

def blocks(*content):
    return Reply(raw_body=json.dumps({
        "id": "m", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": list(content),
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 900, "output_tokens": 20}}).encode())


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "floor plans"}}
THINKING = {"type": "thinking", "thinking": "A short opener.", "signature": "sig"}
MYSTERY = {"type": "some_future_block", "data": 1}


@pytest.mark.parametrize("reply", [blocks(), blocks(TOOL_USE), blocks(THINKING), blocks(MYSTERY),
                                   blocks({"type": "text", "text": " \n\t "}), Reply(text="")],
                         ids=["no_blocks", "tool_use", "thinking", "unknown_block", "whitespace", "empty"])
async def test_a_reply_without_text_falls_back_to_a_template_as_empty(reply):
    sent, _, _, composer = await intervene(reply)
    assert sent[0].source == "template" and composer.counters["compose_fallback:empty"] == 1


async def test_the_text_of_a_reply_is_used_whatever_other_blocks_come_with_it():
    text = "Want a side-by-side of the two floor plans?"
    sent, _, _, _ = await intervene(blocks(THINKING, {"type": "text", "text": text}, MYSTERY))
    assert sent[0].source == "llm" and sent[0].message == text
