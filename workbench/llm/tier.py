"""The optional two-tier Claude path (EITP v1.1 sections 7.3, 7.4 and 9.1). Off by default.

A triage call (Haiku, 800 tokens, temperature 0.3) classifies the packet and says whether
a deep call is needed; a deep call (Sonnet, 800 tokens, 0.5) follows only then. Both go
through the real ``anthropic`` SDK, which can point at any ``base_url``. Whatever goes
wrong (timeout after the 1.5 s enrichment budget, 429, 529, a malformed or off-taxonomy
answer, an exhausted per-minute call budget) becomes a *fallback reason*: the caller
keeps the rules' answer, and the reason is counted and logged. "Malformed" includes an HTTP
200 that is not a Messages API message at all (an HTML or plain-text page from a proxy, JSON
of another shape, a message whose content or usage is missing): the SDK hands such bodies
back unchecked, so :func:`checked_reply` checks them. Budgets count in event
time, so a replay makes the same calls, and on the wall clock too unless the run is in virtual time
(a client's forged timestamps cannot widen them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic
from anthropic.types import TextBlockParam

from workbench.errors import WorkbenchError
from workbench.protocol.taxonomy import CANONICAL

log = logging.getLogger(__name__)

TRIAGE_SYSTEM = (
    "You are the triage tier of an EITP v1.1 inference engine. From a shopper's behavioural context, classify "
    "their emotional state as exactly one of these labels: " + ", ".join(CANONICAL) + ". Reply with one JSON object "
    'only: {"emotion": label, "confidence": 0..1, "intensity": 0..1, "needsSonnet": true|false, "reasoning": short '
    "text}. Set needsSonnet true only when a proactive intervention might help this shopper now."
)
DEEP_SYSTEM = (
    "You are the deep tier of an EITP v1.1 inference engine. Confirm or correct the shopper's emotional state, using "
    "exactly one of: " + ", ".join(CANONICAL) + ". Reply with one JSON object only: "
    '{"emotion": label, "confidence": 0..1, "intensity": 0..1, "intervene": true|false, "reasoning": short text}.'
)
_FENCE = re.compile(r"^```(?:json)?\s*(\{.*\})\s*```$", re.DOTALL)


@dataclass(frozen=True)
class LLMSettings:
    api_key: str | None = None
    base_url: str | None = None
    triage_model: str = "claude-haiku-5-5"
    deep_model: str = "claude-sonnet-5-5"
    triage_max_tokens: int = 800
    triage_temperature: float = 0.3
    deep_max_tokens: int = 800
    deep_temperature: float = 0.5
    timeout_ms: int = 1500
    # The spec's temperatures (7.3) predate this SDK generation: anthropic 2.x no longer has a
    # ``temperature`` parameter. They are sent through ``extra_body`` only when asked, because
    # an API that dropped the field may refuse it and every call would fall back to the rules.
    send_temperature: bool = False
    triage_per_minute: int = 200
    deep_per_minute: int = 50
    # Section 8.2 AI-assisted bot review (workbench.llm.botreview): one triage-model call per ambiguous
    # session, answered in a short JSON object. 60 a minute of event time: at most one per session, and
    # a flood of ambiguous sessions is itself what the budget must not pay for; past it the rules decide.
    review_max_tokens: int = 200
    review_per_minute: int = 60
    # The budgets count in event time, so a replay makes the same calls; but a client stamps its own
    # events, and sessions stamped a minute apart would each find a fresh minute. So they also count on
    # the wall clock, except in a virtual-time run, whose minutes pass in seconds (the runner turns it off).
    wall_budgets: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.api_key or self.base_url)

    @classmethod
    def from_env(cls, **overrides: Any) -> LLMSettings:
        """On with ``ANTHROPIC_API_KEY`` or ``WORKBENCH_LLM_BASE_URL`` (a stand-in needs no real key)."""
        base_url = os.environ.get("WORKBENCH_LLM_BASE_URL")
        key = os.environ.get("ANTHROPIC_API_KEY") or ("standin" if base_url else None)
        for field_name, env in (("triage_model", "WORKBENCH_LLM_TRIAGE_MODEL"),
                                ("deep_model", "WORKBENCH_LLM_DEEP_MODEL")):
            if os.environ.get(env):
                overrides.setdefault(field_name, os.environ[env])
        return cls(api_key=key, base_url=base_url, **overrides)


@dataclass(frozen=True)
class LLMVerdict:
    emotion: str
    confidence: float
    intensity: float
    reasoning: str
    tier: str  # triage | deep
    needs_deep: bool = False
    intervene: bool | None = None


class CallBudget:
    """At most ``limit`` calls in any 60 s of event time and, with a ``wall`` clock (seconds), in any
    60 s of it as well (:attr:`LLMSettings.wall_budgets`)."""

    def __init__(self, limit: int, wall: Callable[[], float] | None = None) -> None:
        self.limit = limit
        self.wall = wall
        self.calls: list[float] = []  # event time, ms
        self.wall_calls: deque[float] = deque()  # wall time, s

    def take(self, now_ms: float) -> bool:
        # a minute either side: clocks differ between sessions, and one stamped far ahead must not
        # hold a place in every later minute
        self.calls = [t for t in self.calls if abs(now_ms - t) < 60_000]
        wall_now = self.wall() if self.wall is not None else None
        while wall_now is not None and self.wall_calls and wall_now - self.wall_calls[0] >= 60.0:
            self.wall_calls.popleft()
        if len(self.calls) >= self.limit or len(self.wall_calls) >= self.limit:
            return False
        self.calls.append(now_ms)
        if wall_now is not None:
            self.wall_calls.append(wall_now)
        return True

    @classmethod
    def of(cls, limit: int, settings: LLMSettings) -> CallBudget:
        return cls(limit, time.monotonic if settings.wall_budgets else None)


def json_object(text: str) -> dict[str, Any]:
    """A reply that must be one JSON object (a fenced ```json block is accepted). Raises ValueError."""
    text = text.strip()
    if m := _FENCE.match(text):
        text = m.group(1)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("answer is not a JSON object")
    return data


def unit(data: dict[str, Any], key: str) -> float:
    """``data[key]`` as a number in [0, 1] (not a bool). Raises ValueError otherwise."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{key} must be a number in [0, 1], got {value!r}")
    return float(value)


def parse_verdict(text: str, tier: str) -> LLMVerdict:
    """Strict: one JSON object, a canonical emotion, numbers in [0, 1]. Raises ValueError otherwise."""
    data = json_object(text)
    emotion = data.get("emotion")
    if emotion not in CANONICAL:
        raise ValueError(f"emotion {emotion!r} is not one of the 22 canonical emotions")
    numbers = {key: unit(data, key) for key in ("confidence", "intensity")}
    flag = data.get("needsSonnet" if tier == "triage" else "intervene")
    if not isinstance(flag, bool):
        raise ValueError(f"{'needsSonnet' if tier == 'triage' else 'intervene'} must be true or false")
    return LLMVerdict(emotion, numbers["confidence"], numbers["intensity"], str(data.get("reasoning", ""))[:500],
                      tier, needs_deep=flag if tier == "triage" else False,
                      intervene=flag if tier == "deep" else None)


def select_knowledge(patterns: list[dict[str, Any]], *, tenant: str, vertical: str) -> list[dict[str, Any]]:
    """Section 7.4: proven patterns of this tenant and vertical, confidence >= 70, sample size >= 5."""
    return [p for p in patterns if p.get("tenant") == tenant and p.get("vertical") == vertical
            and float(p.get("confidence", 0)) >= 70 and int(p.get("sample_size", 0)) >= 5]


class MalformedReply(WorkbenchError, ValueError):
    """An HTTP 200 reply that is not a usable Messages API message."""


def checked_reply(response: object) -> tuple[str, int, int]:
    """``(text, input_tokens, output_tokens)`` of a reply, or :class:`MalformedReply` saying what is wrong.

    The text is the reply's text blocks joined (any other block kind is skipped).
    The SDK returns a 200's body as a ``str`` when it is not JSON, and builds a ``Message``
    without validating it when it is, so any field may be missing or null."""
    if not isinstance(response, anthropic.types.Message):
        shown = repr(response[:80]) if isinstance(response, str) else type(response).__name__
        raise MalformedReply(f"reply is not a Messages API message: {shown}")
    content = getattr(response, "content", None)
    if not isinstance(content, list):
        raise MalformedReply(f"reply is not a Messages API message: content is {type(content).__name__}, not a list")
    texts = [getattr(block, "text", None) for block in content if isinstance(block, anthropic.types.TextBlock)]
    text = [t for t in texts if isinstance(t, str)]
    if len(text) != len(texts):
        raise MalformedReply("reply is not a Messages API message: a text block has no text")
    usage = getattr(response, "usage", None)
    tokens = [n for n in (getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None))
              if isinstance(n, int) and not isinstance(n, bool)]
    if len(tokens) != 2:
        raise MalformedReply("reply is not a Messages API message: usage has no token counts")
    return "".join(text), tokens[0], tokens[1]


def new_client(settings: LLMSettings) -> anthropic.AsyncAnthropic:
    """The SDK client of every call here: no retries, which would blow the caller's time budget."""
    return anthropic.AsyncAnthropic(api_key=settings.api_key or "none", base_url=settings.base_url,
                                    timeout=settings.timeout_ms / 1000, max_retries=0)


async def ask(client: anthropic.AsyncAnthropic, settings: LLMSettings, counters: Counter[str], *, model: str,
              max_tokens: int, system: str | list[TextBlockParam], user: str,
              extra_body: dict[str, Any] | None = None) -> str:
    """One Messages API call within ``settings.timeout_ms``: the reply's text, its tokens counted in
    ``counters``. Raises what :data:`CALL_FAILURES` lists."""
    response = await asyncio.wait_for(client.messages.create(
        model=model, max_tokens=max_tokens, system=system, extra_body=extra_body,
        messages=[{"role": "user", "content": user}]), timeout=settings.timeout_ms / 1000)
    text, input_tokens, output_tokens = checked_reply(response)
    counters["input_tokens"] += input_tokens
    counters["output_tokens"] += output_tokens
    return text


#: what a call may raise: the time budget, the API, a reply or an answer that is malformed
CALL_FAILURES = (TimeoutError, anthropic.APIError, ValueError)


def failure_reason(exc: BaseException, what: str) -> str:
    """The fallback reason a caller counts for one of :data:`CALL_FAILURES`; the two that are no
    plain outage (a response the SDK refused, a malformed answer) are logged, naming ``what`` failed."""
    reason = _reason(exc)
    if reason in ("api_error", "malformed"):
        log.warning("%s failed, the rules decide: %s: %s", what, type(exc).__name__, exc)
    return reason


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | anthropic.APITimeoutError):
        return "timeout"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limited"
    if isinstance(exc, anthropic.APIStatusError):
        return "overloaded" if exc.status_code == 529 else f"http_{exc.status_code}"
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection"
    if isinstance(exc, anthropic.APIError):
        return "api_error"  # e.g. a response the SDK itself refused to read
    return "malformed"  # MalformedReply, bad JSON, or an answer the parser refused


def packet_context(packet: dict[str, Any]) -> str:
    """The packet's dimensions in the section 9.1 priority order (spatial first, global last)."""
    order = ("spatial", "temporal", "emotion", "behavioral", "patterns", "intent", "pageContent", "globalIntelligence")
    return "\n".join(f"{dim}: {json.dumps(packet.get(dim), sort_keys=True)}" for dim in order)


class LLMTier:
    def __init__(self, settings: LLMSettings, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.settings = settings
        self.client = client or new_client(settings)
        self.triage_budget = CallBudget.of(settings.triage_per_minute, settings)
        self.deep_budget = CallBudget.of(settings.deep_per_minute, settings)
        self.counters: Counter[str] = Counter()

    async def _call(self, tier: str, system: str, user: str) -> LLMVerdict:
        s = self.settings
        model, max_tokens, temperature = (
            (s.triage_model, s.triage_max_tokens, s.triage_temperature) if tier == "triage"
            else (s.deep_model, s.deep_max_tokens, s.deep_temperature))
        self.counters[f"{tier}_calls"] += 1
        extra = {"temperature": temperature} if s.send_temperature else None
        text = await ask(self.client, s, self.counters, model=model, max_tokens=max_tokens, system=system, user=user,
                         extra_body=extra)
        return parse_verdict(text, tier)

    async def enrich(self, packet: dict[str, Any], *,
                     knowledge: Sequence[dict[str, Any]] = ()) -> tuple[LLMVerdict | None, str]:
        """Triage (and maybe deep) for one packet. Returns (verdict, "") or (None, fallback reason)."""
        now = float(packet["timestamp"])
        if not self.triage_budget.take(now):
            return self._fallback("triage_budget")
        user = packet_context(packet)
        if knowledge:
            user += "\nproven patterns: " + json.dumps(list(knowledge), sort_keys=True)
        try:
            verdict = await self._call("triage", TRIAGE_SYSTEM, user)
            if verdict.needs_deep:
                if not self.deep_budget.take(now):
                    self.counters["fallback:deep_budget"] += 1
                    return verdict, ""
                verdict = await self._call("deep", DEEP_SYSTEM, user + f"\ntriage said: {verdict.emotion}")
        except CALL_FAILURES as exc:
            return self._fallback(failure_reason(exc, "LLM call"))
        return verdict, ""

    def _fallback(self, reason: str) -> tuple[None, str]:
        self.counters[f"fallback:{reason}"] += 1
        return None, reason
