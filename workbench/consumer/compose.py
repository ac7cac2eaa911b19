"""Composing an intervention with Claude (section 9.1), guarded by the section 9.2 rules twice.

The system prompt carries the anti-creepiness rules and, as section 9.1 asks, the packet: a
second system block lists its dimensions in the 9.1 priority order (spatial, temporal,
emotional, behavioural + intent, page content, global). The user turn only asks for the
message. Whatever comes back still passes :mod:`workbench.consumer.guard` in
:class:`~workbench.consumer.seer.Seer`; a failure or a timeout returns None and Seer uses a
template.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import anthropic
from anthropic.types import TextBlockParam

from workbench.llm.tier import CALL_FAILURES, LLMSettings, ask, new_client, packet_context

log = logging.getLogger(__name__)

SYSTEM = """You are a friendly, expert salesperson in a dealership's website chat, writing the first,
proactive message to a shopper. Write ONE or two short sentences that offer concrete help with what
they are considering.
Rules you must never break:
- Never mention mouse movements, the cursor, scrolling, clicks, taps, hovering, dwell time, time on the
  page, tabs, or leaving the page.
- Never say "I noticed", "I see you", "you were looking at" or anything that implies you watched them.
- Never name an emotion or state of mind (frustrated, confused, hesitant, anxious, overwhelmed...).
- Imply understanding, not observation. You may mention the products and prices on the page naturally,
  as a salesperson knows what is on the shelf.
Reply with the message text only."""
ASK = "Write your first message to this shopper."


def system_blocks(packet: dict[str, Any]) -> list[TextBlockParam]:
    """The system prompt: the rules, then the packet's dimensions in the section 9.1 priority order."""
    return [{"type": "text", "text": SYSTEM},
            {"type": "text", "text": "What you know about this shopper (EITP packet, most important first):\n"
                                     + packet_context(packet)}]


class LLMComposer:
    """``await composer(packet) -> str | None`` for :class:`~workbench.consumer.service.SeerService`."""

    def __init__(self, settings: LLMSettings, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.settings = settings
        self.client = client or new_client(settings)
        self.counters: Counter[str] = Counter()

    async def __call__(self, packet: dict[str, Any]) -> str | None:
        s = self.settings
        self.counters["compose_calls"] += 1
        try:
            text = await ask(self.client, s, self.counters, model=s.deep_model, max_tokens=s.deep_max_tokens,
                             system=system_blocks(packet), user=ASK,
                             extra_body={"temperature": s.deep_temperature} if s.send_temperature else None)
        except CALL_FAILURES as exc:
            self.counters[f"compose_fallback:{type(exc).__name__}"] += 1
            log.warning("composer fell back to a template: %s: %s", type(exc).__name__, exc)
            return None
        return text.strip() or None
