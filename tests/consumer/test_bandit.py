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


def test_a_thin_context_borrows_the_tenants_other_sections_in_full_and_other_tenants_at_half():
    bandit = ThompsonBandit()
    other_section = Context("org_a", "rv_dealer", "decision_paralysis", "financing")
    other_tenant = Context("org_b", "rv_dealer", "decision_paralysis", "pricing")
    bandit.record(other_section, "empathy", "chat_engaged")
    assert bandit.posterior(CTX, "empathy") == (2.0, 1.0)  # the tenant's own record, full weight
    bandit.record(other_tenant, "empathy", "chat_engaged")
    bandit.record(other_tenant, "empathy", "no_response")
    alpha, beta = bandit.posterior(CTX, "empathy")
    assert (alpha, beta) == (2.0 + GLOBAL_PRIOR_WEIGHT, 1.0 + GLOBAL_PRIOR_WEIGHT)


def test_plentiful_exact_evidence_dominates_the_pooled_prior():
    # Previously the posterior reduced to 1 + tenant + 0.5 * (global - tenant): the section's own
    # tally cancelled out, so these two contexts got the same posterior.
    bandit = ThompsonBandit()
    financing = Context("org_a", "rv_dealer", "decision_paralysis", "financing")
    for _ in range(50):
        bandit.record(CTX, "empathy", "chat_engaged")
        bandit.record(financing, "empathy", "left")
    assert bandit.mean(CTX, "empathy") > 0.8
    assert bandit.mean(financing, "empathy") < 0.2
    alpha, beta = bandit.posterior(CTX, "empathy")
    assert alpha >= 51.0 and beta - 1.0 < 0.25 * 50  # all of its own evidence, a fraction of the other section's


def test_the_pooled_prior_fades_as_exact_evidence_grows():
    bandit = ThompsonBandit()
    for _ in range(200):  # a large record elsewhere for the tenant: empathy always fails there
        bandit.record(Context("org_a", "rv_dealer", "decision_paralysis", "financing"), "empathy", "left")
    thin = bandit.mean(CTX, "empathy")
    assert thin < 0.2  # with nothing of its own, the context leans on the tenant's record
    means = []
    for _ in range(3):
        for _ in range(10):
            bandit.record(CTX, "empathy", "chat_engaged")
        means.append(bandit.mean(CTX, "empathy"))
    assert means == sorted(means) and means[-1] > 0.7  # 30 successes of its own outweigh 200 failures elsewhere


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


def test_a_revised_outcome_moves_one_observation_at_every_level():
    bandit = ThompsonBandit()
    ctx = Context("org", "rv_dealer", "frustration", "pricing")
    bandit.record(ctx, "empathy", "left")
    bandit.revise(ctx, "empathy", "left", "chat_engaged")
    fresh = ThompsonBandit()
    fresh.record(ctx, "empathy", "chat_engaged")
    assert bandit.posterior(ctx, "empathy") == fresh.posterior(ctx, "empathy") == (2.0, 1.0)
    assert bandit.global_ == fresh.global_ and bandit.tenant == fresh.tenant
    with pytest.raises(ValueError, match="unknown outcome"):
        bandit.revise(ctx, "empathy", "chat_engaged", "clicked")
    assert bandit.posterior(ctx, "empathy") == (2.0, 1.0)  # refused whole: nothing moved
