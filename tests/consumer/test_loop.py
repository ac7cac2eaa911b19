"""The closed loop learns: cumulative regret grows sub-linearly."""

from synthetic.response import RV_DEFAULT
from workbench.consumer.loop import run_loop


def test_regret_is_sub_linear():
    result = run_loop(RV_DEFAULT, 4000, seed=11)
    r = result.regret_vs_oracle
    first_half, second_half = r[1999], r[-1] - r[1999]
    assert second_half < 0.5 * first_half, (first_half, second_half)  # linear regret would make them equal
    assert result.outcomes["chat_engaged"] + result.outcomes["lead_submitted"] > 0


def test_context_aware_bandit_beats_the_best_fixed_strategy():
    result = run_loop(RV_DEFAULT, 4000, seed=12)
    assert result.regret_vs_best_fixed[-1] < 0  # it learned per emotion what no single strategy can
