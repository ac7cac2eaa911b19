"""The closed intervention loop without a browser: packets -> Seer -> a response model -> outcomes.

Used by ``make bench`` (cumulative regret) and the tests. Each simulated session is one
packet at 20 s of event time; its outcome comes from the scenario's hidden rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthetic.response import ResponseModel
from workbench.consumer.seer import Seer

TEMPLATE_PACKET: dict[str, Any] = {
    "tenantId": "org_workbench", "spatial": {"currentSection": "pricing", "visitCount": 2, "trigger": None},
    "temporal": {"sessionDuration": 20_000, "timeSinceLastEmotion": 10_000},
    "behavioral": {"scrollDepth": 60, "clickCount": 0}, "patterns": {"detected": []},
    "intent": {"level": "medium", "action": "comparison", "confidence": 0.6},
    "pageContent": {"h1": "2024 Cherokee Arctic Wolf 3650SUITE",
                    "structuredData": [{"type": "Vehicle", "name": "Arctic Wolf 3650SUITE", "price": "$59,995"}]},
    "globalIntelligence": None,
}


@dataclass(frozen=True)
class LoopResult:
    regret_vs_oracle: np.ndarray  # cumulative, per session
    regret_vs_best_fixed: np.ndarray
    best_fixed: str
    outcomes: dict[str, int]


def run_loop(model: ResponseModel, sessions: int, *, seed: int) -> LoopResult:
    rng = np.random.default_rng(seed)
    seer = Seer(seed=seed + 1)
    strategies = seer.bandit.strategies
    oracle = {e: max(model.rate(e, s) for s in strategies) for e in model.emotions}
    best_fixed = max(strategies, key=lambda s: sum(model.rate(e, s) for e in model.emotions))
    regret_o, regret_f = np.zeros(sessions), np.zeros(sessions)
    outcomes: dict[str, int] = {}
    for i in range(sessions):
        emotion = model.emotions[int(rng.integers(len(model.emotions)))]
        sid = f"sq_loop_{i}"
        packet = dict(TEMPLATE_PACKET, sessionId=sid, timestamp=20_000.0,
                      emotion={"primary": emotion, "confidence": 0.8, "intensity": 0.6, "trajectory": "stable"})
        seer.vertical_of[sid] = "rv_dealer"
        intervention = seer.on_packet(packet)
        assert intervention is not None
        outcome = model.respond(emotion, intervention.strategy, rng)
        if outcome in ("chat_engaged", "lead_submitted"):
            kind = "chat_message" if outcome == "chat_engaged" else "form_submit"
            seer.on_events(sid, [{"type": kind, "timestamp": 25_000.0, "data": {}}], vertical="rv_dealer")
        seer.on_session_end(sid, at=25_000.0 if outcome == "left" else 400_000.0)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        chosen = model.rate(emotion, intervention.strategy)
        regret_o[i] = oracle[emotion] - chosen
        regret_f[i] = model.rate(emotion, best_fixed) - chosen
    return LoopResult(np.cumsum(regret_o), np.cumsum(regret_f), best_fixed, outcomes)
