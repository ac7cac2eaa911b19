"""Section 8.2 AI-assisted classification: "a lightweight LLM call on accumulated telemetry (after 3
batches / ~30 seconds) for ambiguous cases".

The engine decides when a session is ambiguous (the rules cleared it, but some came close:
:func:`workbench.engine.botfilter.near_misses`) and hands over a PII-free evidence summary; this
module makes the one call: the triage model (Haiku), through the real ``anthropic`` SDK, asked for
strict JSON ``{"classification": "human"|"bot"|"uncertain", "confidence": 0..1, "reasoning": text}``.
Like the emotion tier (:mod:`workbench.llm.tier`), anything that goes wrong (a timeout after
``timeout_ms``, an HTTP error, a malformed or off-schema answer, the per-minute budget counted in
event time) is a *fallback reason*, never an exception: the caller keeps the rules' verdict.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import anthropic

from workbench.llm.tier import CallBudget, LLMSettings, checked_reply

log = logging.getLogger(__name__)

CLASSIFICATIONS = ("human", "bot", "uncertain")
REVIEW_SYSTEM = (
    "You review website sessions for an EITP v1.1 inference engine's bot filter (section 8). The deterministic "
    "rules did not flag this session, but some came close (near_misses). You get a summary of what the rules "
    "measured: event counts by type, the timing of deliberate actions (clicks, form focus, submits, text "
    "selections), batch rates, and the limits each rule fires at (rule_limits). Judge whether a script or a "
    "person produced it. People are irregular: their action timing varies widely and they rarely act within "
    "15 ms twice; scripts act on fixed waits. Say bot only when the evidence is clear; otherwise human or "
    'uncertain. Reply with one JSON object only: {"classification": "human" | "bot" | "uncertain", '
    '"confidence": 0..1, "reasoning": one short sentence}.'
)
_FENCE = re.compile(r"^```(?:json)?\s*(\{.*\})\s*```$", re.DOTALL)


@dataclass(frozen=True)
class ReviewVerdict:
    """The model's answer, strictly parsed."""

    classification: str  # "human" | "bot" | "uncertain"
    confidence: float
    reasoning: str


def parse_review(text: str) -> ReviewVerdict:
    """One JSON object (a fenced ```json block is accepted), a known classification, a confidence in
    [0, 1] and a text reasoning. Raises ValueError otherwise."""
    text = text.strip()
    if m := _FENCE.match(text):
        text = m.group(1)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("answer is not a JSON object")
    classification = data.get("classification")
    if classification not in CLASSIFICATIONS:
        raise ValueError(f"classification {classification!r} is not one of {', '.join(CLASSIFICATIONS)}")
    confidence = data.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise ValueError(f"confidence must be a number in [0, 1], got {confidence!r}")
    reasoning = data.get("reasoning")
    if not isinstance(reasoning, str):
        raise ValueError(f"reasoning must be text, got {type(reasoning).__name__}")
    return ReviewVerdict(str(classification), float(confidence), reasoning[:300])


class BotReviewer:
    """``await reviewer(evidence, now_ms)`` -> ``(verdict, "")`` or ``(None, fallback reason)``.

    ``now_ms`` is the event time of the review (the per-minute budget counts in it, so a replay
    makes the same calls). Counts calls, tokens and fallbacks in :attr:`counters`."""

    def __init__(self, settings: LLMSettings, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.settings = settings
        self.client = client or anthropic.AsyncAnthropic(
            api_key=settings.api_key or "none", base_url=settings.base_url,
            timeout=settings.timeout_ms / 1000, max_retries=0)  # a retry would hold the session's packets longer
        self.budget = CallBudget(settings.review_per_minute)
        self.counters: Counter[str] = Counter()

    async def __call__(self, evidence: dict[str, Any], now_ms: float) -> tuple[ReviewVerdict | None, str]:
        s = self.settings
        if not self.budget.take(now_ms):
            return self._fallback("budget")
        self.counters["bot_review_calls"] += 1
        try:
            response = await asyncio.wait_for(self.client.messages.create(
                model=s.triage_model, max_tokens=s.review_max_tokens, system=REVIEW_SYSTEM,
                messages=[{"role": "user", "content": json.dumps(evidence, sort_keys=True)}]),
                timeout=s.timeout_ms / 1000)
            text, input_tokens, output_tokens = checked_reply(response)
            self.counters["input_tokens"] += input_tokens
            self.counters["output_tokens"] += output_tokens
            verdict = parse_review(text)
        except (TimeoutError, anthropic.APITimeoutError):
            return self._fallback("timeout")
        except anthropic.RateLimitError:
            return self._fallback("rate_limited")
        except anthropic.APIStatusError as exc:
            return self._fallback("overloaded" if exc.status_code == 529 else f"http_{exc.status_code}")
        except anthropic.APIConnectionError:
            return self._fallback("connection")
        except anthropic.APIError as exc:
            log.warning("bot review call failed, the rules decide: %s: %s", type(exc).__name__, exc)
            return self._fallback("api_error")
        except ValueError as exc:  # MalformedReply, bad JSON, or an answer parse_review refused
            log.warning("bot review answer rejected, the rules decide: %s", exc)
            return self._fallback("malformed")
        self.counters[f"bot_review:{verdict.classification}"] += 1
        return verdict, ""

    def _fallback(self, reason: str) -> tuple[None, str]:
        self.counters[f"bot_review_fallback:{reason}"] += 1
        return None, reason
