"""Thompson sampling: posterior updates, prior shrinkage, and learning on a simulated stream."""

import numpy as np
import pytest

from workbench.consumer.bandit import GLOBAL_PRIOR_WEIGHT, Context, ThompsonBandit

CTX = Context("org_a", "rv_dealer", "decision_paralysis", "pricing")


def test_posterior_starts_uniform_and_counts_outcomes():
    bandit = ThompsonBandit()
    assert bandit.posterior(CTX, "empathy") == (1.0, 1.0)
    bandit.record(CTX, "empathy", "chat_engaged")
    bandit.record(CTX, "empathy", "lead_submitted")
    bandit.record(CTX, "empathy", "left")
    assert bandit.posterior(CTX, "empathy") == (3.0, 2.0)
    assert bandit.posterior(CTX, "incentive") == (1.0, 1.0)


def test_tenant_pools_across_sections_and_other_tenants_count_half():
    bandit = ThompsonBandit()
    other_section = Context("org_a", "rv_dealer", "decision_paralysis", "financing")
    other_tenant = Context("org_b", "rv_dealer", "decision_paralysis", "pricing")
    bandit.record(other_section, "empathy", "chat_engaged")
    assert bandit.posterior(CTX, "empathy") == (2.0, 1.0)  # the tenant's own record, full weight
    bandit.record(other_tenant, "empathy", "chat_engaged")
    bandit.record(other_tenant, "empathy", "no_response")
    alpha, beta = bandit.posterior(CTX, "empathy")
    assert (alpha, beta) == (2.0 + GLOBAL_PRIOR_WEIGHT, 1.0 + GLOBAL_PRIOR_WEIGHT)


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown outcome"):
        ThompsonBandit().record(CTX, "empathy", "maybe")


def test_learns_the_best_arm_on_a_hidden_rate_stream():
    rates = {"empathy": 0.08, "clarify_options": 0.35, "offer_help": 0.15, "social_proof": 0.10, "incentive": 0.20}
    rng = np.random.default_rng(3)
    bandit = ThompsonBandit(tuple(rates))
    picks = []
    for _ in range(2000):
        arm = bandit.choose(CTX, rng)
        picks.append(arm)
        bandit.record(CTX, arm, "chat_engaged" if rng.random() < rates[arm] else "no_response")
    late = picks[-500:]
    assert late.count("clarify_options") / len(late) > 0.7
    assert max(rates, key=lambda a: bandit.mean(CTX, a)) == "clarify_options"
