"""Thompson sampling over intervention strategies (EITP v1.1 sections 5.10 and 7.5).

Arms are strategies; a context is (tenant, vertical, emotion, page_section). Each
(context, strategy) has a Beta posterior built from recorded outcomes. The prior is the
tenant's own record for the same (vertical, emotion, section, strategy) pooled over
sections when the exact context is thin, plus the global record (all tenants) at half
weight: the section 7.5 "hierarchical shrinkage fallback (0.5x weight for global priors)".
Pure apart from the seeded generator the caller passes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

STRATEGIES: tuple[str, ...] = ("empathy", "clarify_options", "offer_help", "social_proof", "incentive")
GLOBAL_PRIOR_WEIGHT = 0.5
SUCCESS_OUTCOMES = frozenset({"chat_engaged", "lead_submitted"})
OUTCOMES = ("chat_engaged", "lead_submitted", "left", "no_response")


@dataclass(frozen=True)
class Context:
    tenant: str
    vertical: str
    emotion: str
    section: str


@dataclass
class Tally:
    successes: float = 0.0
    failures: float = 0.0

    def add(self, success: bool, weight: float = 1.0) -> None:
        if success:
            self.successes += weight
        else:
            self.failures += weight


class ThompsonBandit:
    def __init__(self, strategies: tuple[str, ...] = STRATEGIES) -> None:
        self.strategies = strategies
        self.exact: dict[tuple[Context, str], Tally] = defaultdict(Tally)
        self.tenant: dict[tuple[str, str, str, str], Tally] = defaultdict(Tally)  # (tenant, vertical, emotion, arm)
        self.global_: dict[tuple[str, str, str], Tally] = defaultdict(Tally)  # (vertical, emotion, arm)

    def record(self, ctx: Context, strategy: str, outcome: str) -> None:
        """Fold one intervention's outcome into the posteriors."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        success = outcome in SUCCESS_OUTCOMES
        self.exact[(ctx, strategy)].add(success)
        self.tenant[(ctx.tenant, ctx.vertical, ctx.emotion, strategy)].add(success)
        self.global_[(ctx.vertical, ctx.emotion, strategy)].add(success)

    def posterior(self, ctx: Context, strategy: str) -> tuple[float, float]:
        """Beta(alpha, beta): exact evidence + the tenant's pooled record + half the global record.

        The tenant's pooled record already includes the exact context, so only the part
        beyond it is added; likewise the global record beyond the tenant's.
        """
        exact = self.exact[(ctx, strategy)]
        tenant = self.tenant[(ctx.tenant, ctx.vertical, ctx.emotion, strategy)]
        glob = self.global_[(ctx.vertical, ctx.emotion, strategy)]
        alpha = 1.0 + exact.successes + (tenant.successes - exact.successes) \
            + GLOBAL_PRIOR_WEIGHT * (glob.successes - tenant.successes)
        beta = 1.0 + exact.failures + (tenant.failures - exact.failures) \
            + GLOBAL_PRIOR_WEIGHT * (glob.failures - tenant.failures)
        return alpha, beta

    def choose(self, ctx: Context, rng: np.random.Generator) -> str:
        """Draw once from each arm's posterior and pick the best draw."""
        draws = [rng.beta(*self.posterior(ctx, arm)) for arm in self.strategies]
        return self.strategies[int(np.argmax(draws))]

    def mean(self, ctx: Context, strategy: str) -> float:
        alpha, beta = self.posterior(ctx, strategy)
        return alpha / (alpha + beta)
