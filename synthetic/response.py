"""How synthetic shoppers answer an intervention: the closed loop's hidden truth.

Each scenario sets a true engagement rate per (emotion, strategy); the bandit never sees
them, only outcomes drawn from them, so a run of many sessions shows whether it learns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.consumer.bandit import STRATEGIES

BASE_RATE = 0.06


def _rates(best: dict[str, tuple[str, float]], second: float = 0.14) -> dict[tuple[str, str], float]:
    table: dict[tuple[str, str], float] = {}
    for emotion, (winner, rate) in best.items():
        for i, strategy in enumerate(STRATEGIES):
            table[(emotion, strategy)] = rate if strategy == winner else (second if i % 2 == 0 else BASE_RATE)
    return table


@dataclass(frozen=True)
class ResponseModel:
    """``rates[(emotion, strategy)]`` is the chance the shopper engages; a share of those submit a lead."""

    rates: dict[tuple[str, str], float]
    lead_share: float = 0.25
    leave_share: float = 0.3
    emotions: tuple[str, ...] = field(default=())

    def rate(self, emotion: str, strategy: str) -> float:
        return self.rates.get((emotion, strategy), BASE_RATE)

    def respond(self, emotion: str, strategy: str, rng: np.random.Generator) -> str:
        if rng.random() < self.rate(emotion, strategy):
            return "lead_submitted" if rng.random() < self.lead_share else "chat_engaged"
        return "left" if rng.random() < self.leave_share else "no_response"


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
SCENARIOS = {"rv_default": RV_DEFAULT}
