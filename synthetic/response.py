"""How synthetic shoppers answer an intervention: the closed loop's hidden truth (EITP v1.1 sections 5.10, 7.5).

Each scenario sets a true engagement rate per (emotion, strategy); the bandit never sees
them, only outcomes drawn from them, so a run of many sessions shows whether it learns.
One model drives both loops: :func:`workbench.consumer.loop.run_loop` (no browser) reports
the drawn outcome straight to Seer; browser personas (:mod:`workbench.sim.actor`) act it out
in the page with the :class:`Reaction` from :func:`react`, and Seer observes the result in the
telemetry like any other visitor's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.consumer.bandit import OUTCOMES, STRATEGIES
from workbench.consumer.seer import ATTRIBUTION_WINDOW_MS

BASE_RATE = 0.06
#: what a persona types into the chat when it engages (it stays in the page: section 10.2)
CHAT_REPLIES: tuple[str, ...] = (
    "Yes please, that would help.",
    "What would the monthly payment be?",
    "Is this one still available?",
    "Can you tell me more about the packages?",
    "Sure, what do you recommend?",
)
#: invented contact details a persona types into the lead form (RFC 2606 / 555 numbers)
LEAD_NAMES: tuple[str, ...] = ("Sam Carter", "Alex Moreno", "Jordan Lee", "Riley Brooks")


def _rates(best: dict[str, tuple[str, float]], second: float = 0.14) -> dict[tuple[str, str], float]:
    table: dict[tuple[str, str], float] = {}
    for emotion, (winner, rate) in best.items():
        for i, strategy in enumerate(STRATEGIES):
            table[(emotion, strategy)] = rate if strategy == winner else (second if i % 2 == 0 else BASE_RATE)
    return table


@dataclass(frozen=True)
class ResponseModel:
    """``rates[(emotion, strategy)]`` is the chance the shopper engages; a share of those submit a lead.

    Pairs not in ``rates`` engage with ``default_rate``: ``ResponseModel({}, default_rate=1.0,
    lead_share=0.0)`` always chats, ``ResponseModel({}, default_rate=0.0, leave_share=0.0)``
    always ignores.
    """

    rates: dict[tuple[str, str], float]
    lead_share: float = 0.25
    leave_share: float = 0.3
    emotions: tuple[str, ...] = field(default=())
    default_rate: float = BASE_RATE

    def rate(self, emotion: str, strategy: str) -> float:
        return self.rates.get((emotion, strategy), self.default_rate)

    def respond(self, emotion: str, strategy: str, rng: np.random.Generator) -> str:
        if rng.random() < self.rate(emotion, strategy):
            return "lead_submitted" if rng.random() < self.lead_share else "chat_engaged"
        return "left" if rng.random() < self.leave_share else "no_response"


@dataclass(frozen=True)
class Reaction:
    """What a browser persona does about one message in the chat widget."""

    outcome: str  # the intended outcome, one of bandit.OUTCOMES; Seer must observe it on its own
    read_ms: float  # time spent reading the message before acting (0 when ignoring it)
    reply: str = ""  # chat_engaged: the text typed into the widget
    name: str = ""  # lead_submitted: what goes into the lead form
    email: str = ""


def react(model: ResponseModel, emotion: str, strategy: str, rng: np.random.Generator) -> Reaction:
    """Draw the outcome exactly as the headless loop does, then the details of acting it out."""
    outcome = model.respond(emotion, strategy, rng)
    assert outcome in OUTCOMES
    if outcome == "no_response":
        return Reaction(outcome, 0.0)
    read_ms = float(rng.uniform(1200, 3500))
    if outcome == "chat_engaged":
        return Reaction(outcome, read_ms, reply=CHAT_REPLIES[int(rng.integers(len(CHAT_REPLIES)))])
    if outcome == "lead_submitted":
        name = LEAD_NAMES[int(rng.integers(len(LEAD_NAMES)))]
        return Reaction(outcome, read_ms, name=name, email=name.split()[0].lower() + "@example.com")
    return Reaction(outcome, read_ms)


def expected_outcome(outcome: str, sent_at: float, acted_at: float | None, closed_at: float) -> str:
    """What Seer should observe, by the simulation's own account, for a message sent at ``sent_at``
    that the visitor answered with ``outcome``, acting at ``acted_at`` (the reply sent, the lead
    submitted) in a visit whose page closed at ``closed_at`` (page clock, ms).

    A reply or a lead counts only inside the attribution window; a visit that closes inside it
    with neither left, whether leaving was the answer or the visit simply ended; otherwise the
    message went unanswered.
    """
    if outcome in ("chat_engaged", "lead_submitted") and acted_at is not None:
        return outcome if acted_at - sent_at <= ATTRIBUTION_WINDOW_MS else "no_response"
    return "left" if closed_at - sent_at <= ATTRIBUTION_WINDOW_MS else "no_response"


RV_DEFAULT = ResponseModel(
    rates=_rates({
        "decision_paralysis": ("clarify_options", 0.38),
        "hesitation": ("empathy", 0.30),
        "payment_anxiety": ("offer_help", 0.33),
        "frustration": ("empathy", 0.27),
        "price_sensitivity": ("incentive", 0.42),
        "comparison_shopping": ("social_proof", 0.31),
    }),
    emotions=("decision_paralysis", "hesitation", "payment_anxiety", "frustration", "price_sensitivity",
              "comparison_shopping"),
)
#: scenarios by name (``workbench run --responses NAME``); the always/never ones make tests exact
ALWAYS_CHAT = ResponseModel({}, default_rate=1.0, lead_share=0.0)
NEVER_ENGAGE = ResponseModel({}, default_rate=0.0, leave_share=0.0)
SCENARIOS = {"rv_default": RV_DEFAULT, "always_chat": ALWAYS_CHAT, "never_engage": NEVER_ENGAGE}
