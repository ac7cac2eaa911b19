"""Section 8.2 AI-assisted classification: "a lightweight LLM call on accumulated telemetry (after 3
batches / ~30 seconds) for ambiguous cases".

The engine decides when a session is ambiguous (the rules cleared it, but some came close:
:func:`workbench.engine.botfilter.near_misses`) and hands over a PII-free evidence summary; this
module makes the one call: the triage model (Haiku), through the real ``anthropic`` SDK, asked for
strict JSON ``{"classification": "human"|"bot"|"uncertain", "confidence": 0..1, "reasoning": text}``.
Like the emotion tier (:mod:`workbench.llm.tier`), anything that goes wrong (a timeout after
``timeout_ms``, an HTTP error, a malformed, unfinished (a refusal, a reply cut at ``max_tokens``) or
off-schema answer, one nested too deeply to decode, the per-minute budget
(:class:`~workbench.llm.tier.CallBudget`) spent) is a *fallback reason*, never an exception: the
caller keeps the rules' verdict.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import anthropic

from workbench.llm.tier import (
    CALL_FAILURES,
    CallBudget,
    LLMSettings,
    ask,
    failure_reason,
    json_object,
    new_client,
    unit,
)
from workbench.protocol.taxonomy import BOT_CLASSIFICATIONS as CLASSIFICATIONS

REVIEW_SYSTEM = (
    "You review website sessions for an EITP v1.1 inference engine's bot filter (section 8). The deterministic "
    "rules did not flag this session, but some came close (near_misses). You get a summary of what the rules "
    "measured: event counts by type (types outside the EITP event catalog counted together as other), the "
    "timing of deliberate actions (clicks, form focus, submits, text selections), batch rates, and the limits "
    "each rule fires at (rule_limits). Judge whether a script or a "
    "person produced it. People are irregular: their action timing varies widely and they rarely act within "
    "15 ms twice; scripts act on fixed waits. Say bot only when the evidence is clear; otherwise human or "
    'uncertain. Reply with one JSON object only: {"classification": "human" | "bot" | "uncertain", '
    '"confidence": 0..1, "reasoning": one short sentence}.'
)


@dataclass(frozen=True)
class ReviewVerdict:
    """The model's answer, strictly parsed."""

    classification: str  # "human" | "bot" | "uncertain"
    confidence: float
    reasoning: str


def parse_review(text: str) -> ReviewVerdict:
    """One JSON object (a fenced ```json block is accepted), a known classification, a confidence in
    [0, 1] and a text reasoning. Raises ValueError otherwise."""
    data = json_object(text)
    classification = data.get("classification")
    if classification not in CLASSIFICATIONS:
        raise ValueError(f"classification {classification!r} is not one of {', '.join(CLASSIFICATIONS)}")
    confidence = unit(data, "confidence")
    reasoning = data.get("reasoning")
    if not isinstance(reasoning, str):
        raise ValueError(f"reasoning must be text, got {type(reasoning).__name__}")
    return ReviewVerdict(str(classification), float(confidence), reasoning[:300])


class BotReviewer:
    """``await reviewer(evidence, now_ms)`` -> ``(verdict, "")`` or ``(None, fallback reason)``.

    ``now_ms`` is the event time of the review (the per-minute budget counts in it, so a replay
    makes the same calls, and on the wall clock too unless ``settings.wall_budgets`` is off).
    Counts calls, tokens and fallbacks in :attr:`counters`."""

    def __init__(self, settings: LLMSettings, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.settings = settings
        self.client = client or new_client(settings)
        self.budget = CallBudget.of(settings.review_per_minute, settings)
        self.counters: Counter[str] = Counter()

    async def __call__(self, evidence: dict[str, Any], now_ms: float) -> tuple[ReviewVerdict | None, str]:
        s = self.settings
        if not self.budget.take(now_ms):
            return self._fallback("budget")
        self.counters["bot_review_calls"] += 1
        try:
            text = await ask(self.client, s, self.counters, model=s.triage_model, max_tokens=s.review_max_tokens,
                             system=REVIEW_SYSTEM, user=json.dumps(evidence, sort_keys=True))
            verdict = parse_review(text)
        except CALL_FAILURES as exc:
            return self._fallback(failure_reason(exc, "bot review"))
        self.counters[f"bot_review:{verdict.classification}"] += 1
        return verdict, ""

    def _fallback(self, reason: str) -> tuple[None, str]:
        self.counters[f"bot_review_fallback:{reason}"] += 1
        return None, reason
