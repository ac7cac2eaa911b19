"""The per-minute call budgets (section 7.3) with several page clocks: a minute is a minute of the caller's
clock, and no session's call removes another's from the count (virtual-time runs, wall_budgets=False)."""

import copy
import json

from tests.conftest import FIXTURES
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import CallBudget, LLMSettings, LLMTier

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
TRIAGE_OK = json.dumps({"emotion": "hesitation", "confidence": 0.7, "intensity": 0.5, "needsSonnet": False,
                        "reasoning": "r"})
T0 = 1_700_000_000_000


def interleaved(budget, starts, calls=10, step_ms=5_000):
    """Each clock in ``starts`` asks ``calls`` times, ``step_ms`` of its own time apart, the clocks taking
    turns: how many calls each was granted."""
    granted = [0] * len(starts)
    for i in range(calls):
        for k, t0 in enumerate(starts):
            granted[k] += budget.take(t0 + i * step_ms)
    return granted


def test_sessions_minutes_apart_each_get_their_own_limit_and_never_more():
    # the pages of a virtual-time run loaded 3 and 6 simulated minutes apart: each finds its own minute
    # (10 asks in 45 s of its clock: 5 granted), and none's calls purge another's
    assert interleaved(CallBudget(5), [T0, T0 + 180_000, T0 + 360_000]) == [5, 5, 5]
    # clocks within a minute of each other share one budget (all 20 asks within 38 s: 5 granted in all)
    assert sum(interleaved(CallBudget(5), [T0, T0 + 20_000], step_ms=2_000)) == 5


def test_a_clock_far_ahead_or_behind_does_not_empty_another_clocks_minute():
    budget = CallBudget(3)
    assert all(budget.take(T0 + t) for t in (0, 1000, 2000))
    assert budget.take(10**15) and budget.take(0)  # a forged clock a year ahead, another in 1970
    assert not budget.take(T0 + 3000) and not budget.take(T0 + 59_000)
    assert budget.take(T0 + 62_001)  # the caller's own minute moved on


def test_as_many_clocks_as_the_record_holds_each_get_their_limit_and_the_record_stays_bounded():
    budget = CallBudget(4)
    clocks = [T0 + m * 120_000 for m in range(CallBudget.CLOCKS)]  # every one two minutes from the next
    assert interleaved(budget, clocks, calls=6, step_ms=1_000) == [4] * CallBudget.CLOCKS
    # then ten times as many sessions, one after another, each on a clock of its own
    later = T0 + 10**10
    assert all(interleaved(budget, [later + m * 120_000], calls=6) == [4] for m in range(10 * CallBudget.CLOCKS))
    assert len(budget.calls) == 4 * CallBudget.CLOCKS  # forgotten oldest first, whatever their clock


async def test_two_interleaved_sessions_through_the_tier():
    with StandinMessagesAPI(lambda r: Reply(text=TRIAGE_OK)) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url, triage_per_minute=5, wall_budgets=False))
        for i in range(10):
            for t0 in (T0, T0 + 180_000):
                await tier.enrich(dict(copy.deepcopy(PACKET), timestamp=t0 + i * 5_000))
    assert len(api.requests) == 10 and tier.counters["fallback:triage_budget"] == 10
