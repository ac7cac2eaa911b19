"""Thompson sampling over intervention strategies (EITP v1.1 sections 5.10 and 7.5).

Arms are strategies; a context is (tenant, vertical, emotion, page_section). Each
(context, strategy) has a Beta posterior: Beta(1, 1) plus the exact context's own outcomes,
plus a prior pooled from coarser levels: the tenant's record in its other sections at full
weight and other tenants' record at half weight (the section 7.5 "hierarchical shrinkage
fallback (0.5x weight for global priors)"). The pooled prior matters when the exact context
is thin and fades as it fills: it counts as at most :data:`POOLED_PRIOR_MAX` observations, and
that weight halves once the exact context has :data:`EXACT_CONTEXT_HALF` of its own, so plentiful
exact evidence dominates. Pure apart from the seeded generator the caller passes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

STRATEGIES: tuple[str, ...] = ("empathy", "clarify_options", "offer_help", "social_proof", "incentive")
GLOBAL_PRIOR_WEIGHT = 0.5
# Shrinkage strengths (not in spec Appendix C, hence not in workbench.config): the pooled record
# counts as at most this many observations ...
POOLED_PRIOR_MAX = 20.0
# ... scaled by EXACT_CONTEXT_HALF / (EXACT_CONTEXT_HALF + n_exact): half weight at 10 observations of its own.
EXACT_CONTEXT_HALF = 10.0
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


_NONE = Tally()  # what an arm without any outcome reads as (never added to)


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

    def revise(self, ctx: Context, strategy: str, was: str, now: str) -> None:
        """An outcome recorded as ``was`` turned out to be ``now``: move that one observation."""
        for outcome in (was, now):
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        for outcome, weight in ((was, -1.0), (now, 1.0)):
            success = outcome in SUCCESS_OUTCOMES
            for tally in (self.exact[(ctx, strategy)], self.tenant[(ctx.tenant, ctx.vertical, ctx.emotion, strategy)],
                          self.global_[(ctx.vertical, ctx.emotion, strategy)]):
                tally.add(success, weight)

    def posterior(self, ctx: Context, strategy: str) -> tuple[float, float]:
        """Beta(alpha, beta): the exact context's evidence, plus the pooled prior (capped, fading as that grows).

        The tenant's record includes the exact context, and the global record the tenant's, so the
        pooled prior takes only what lies beyond each: the tenant's other sections, other tenants.
        """
        exact = self.exact.get((ctx, strategy), _NONE)  # read without inserting: only outcomes make entries
        tenant = self.tenant.get((ctx.tenant, ctx.vertical, ctx.emotion, strategy), _NONE)
        glob = self.global_.get((ctx.vertical, ctx.emotion, strategy), _NONE)
        pooled_s = (tenant.successes - exact.successes) + GLOBAL_PRIOR_WEIGHT * (glob.successes - tenant.successes)
        pooled_f = (tenant.failures - exact.failures) + GLOBAL_PRIOR_WEIGHT * (glob.failures - tenant.failures)
        pooled_n, exact_n = pooled_s + pooled_f, exact.successes + exact.failures
        weight = min(1.0, POOLED_PRIOR_MAX / pooled_n) if pooled_n > 0 else 0.0
        weight *= EXACT_CONTEXT_HALF / (EXACT_CONTEXT_HALF + exact_n)
        return 1.0 + exact.successes + weight * pooled_s, 1.0 + exact.failures + weight * pooled_f

    def choose(self, ctx: Context, rng: np.random.Generator) -> str:
        """Draw once from each arm's posterior and pick the best draw."""
        draws = [rng.beta(*self.posterior(ctx, arm)) for arm in self.strategies]
        return self.strategies[int(np.argmax(draws))]

    def mean(self, ctx: Context, strategy: str) -> float:
        alpha, beta = self.posterior(ctx, strategy)
        return alpha / (alpha + beta)
