"""Closed-loop learning: cumulative regret of Seer's Thompson sampling (issue 7).

Sessions flow packet -> Seer -> hidden-rate response model -> outcome -> bandit. Regret is
measured against the per-emotion oracle (must grow sub-linearly) and against the best
fixed strategy (negative means the context-aware bandit beats any single strategy).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from synthetic.response import RV_DEFAULT  # noqa: E402
from workbench.consumer.loop import run_loop  # noqa: E402

SESSIONS = 8000


def main() -> None:
    result = run_loop(RV_DEFAULT, SESSIONS, seed=2026)
    r = result.regret_vs_oracle
    half = SESSIONS // 2
    checkpoints = [500, 1000, 2000, 4000, 8000]
    print("  cumulative regret vs the per-emotion oracle:")
    peak = r[-1]
    for n in checkpoints:
        bar = "#" * int(40 * r[n - 1] / peak)
        print(f"    {n:>5} sessions  {r[n - 1]:7.1f}  {bar}")
    report("bandit", {
        "sessions": SESSIONS,
        "regret_vs_oracle": round(float(r[-1]), 1),
        "second_half_over_first_half": round(float((r[-1] - r[half - 1]) / r[half - 1]), 3),
        "linear_would_be": 1.0,
        "regret_vs_best_fixed": round(float(result.regret_vs_best_fixed[-1]), 1),
        "best_fixed_strategy": result.best_fixed,
        "engaged_or_lead_rate": round((result.outcomes.get("chat_engaged", 0)
                                       + result.outcomes.get("lead_submitted", 0)) / SESSIONS, 3),
    })


if __name__ == "__main__":
    main()
