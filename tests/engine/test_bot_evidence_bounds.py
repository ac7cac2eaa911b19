"""The bot filter's per-session evidence stays bounded (workbench/engine/botfilter.py).

A session that goes on sending (a bot after its verdict, or a long busy visit) must cost the same
memory and time per batch as one that just began: no list of every hand action re-sorted on every
batch, no set of every event type name a client ever made up.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.engine.telemetry import T0
from workbench.config import BotConfig
from workbench.engine import botfilter
from workbench.engine.botfilter import CATALOG_EVENT_TYPES, BotEvidence, assess
from workbench.engine.core import BotOut, Engine

CFG = BotConfig()


def clicks(t: float, n: int, gap: float, *, name: str = "click") -> list[dict]:
    return [{"type": name, "timestamp": t + i * gap, "currentSection": "hero", "data": {"x": 5 * i + 1, "y": 9}}
            for i in range(n)]


def test_a_bot_adds_no_evidence_after_its_verdict():
    engine, t = Engine(), T0
    verdicts = []
    for i in range(400):
        events = clicks(t, 50, 20)  # 50 clicks a batch, 20 ms apart: judged at once
        events += [{"type": f"made_up_{i}_{j}", "timestamp": t + j, "data": {}} for j in range(10)]
        t += 1000
        out = engine.ingest({"type": "telemetry_batch", "sessionId": "sq_bot", "tenantId": "org", "timestamp": t,
                             "events": events})
        verdicts += [o.verdict.classification for o in out if isinstance(o, BotOut)]
        if i == 0:
            frozen = engine.sessions["sq_bot"].bot
            size = (frozen.events, len(frozen.action_ts), len(frozen.types), len(frozen.type_counts))
    assert verdicts == ["bot"]
    ev = engine.sessions["sq_bot"].bot
    assert (ev.events, len(ev.action_ts), len(ev.types), len(ev.type_counts)) == size


def test_made_up_type_names_are_counted_as_one_other():
    ev = BotEvidence(CFG)
    ev.add_batch([{"type": f"jane.doe@example.com {i}", "timestamp": T0 + i, "data": {}} for i in range(5000)])
    assert ev.types == {"other"} and ev.type_counts == {"other": 5000}
    # a session of nothing but such names is still no connection-only probe, as before
    assert "connection_only" not in assess(ev, CFG, wait_batches=1, closed=True).signals
    ev.add_batch([{"type": "connection", "timestamp": T0 + 20_000, "data": {}}])
    assert ev.types == {"other", "connection"} and set(ev.types) <= CATALOG_EVENT_TYPES | {"other"}


def exact_timing(times: list[float]) -> tuple[int, int, float]:
    """What the rules read, from every action time: interval count, intervals under 15 ms, the CV."""
    intervals = np.diff(np.sort(np.asarray(times)))
    mean = intervals.mean()
    return intervals.size, int(np.count_nonzero(intervals < CFG.min_interval_ms)), float(intervals.std() / mean)


def test_a_long_busy_session_keeps_a_bounded_tail_and_reads_every_interval():
    rng = random.Random(7)
    ev, t, every = BotEvidence(CFG), T0, []
    for _ in range(300):  # 300 batches of 40 hand actions: 12,000, three times what is kept
        batch = []
        for _ in range(40):
            t += rng.choice([5, 400, 900, 1500, 2600])  # a few under 15 ms: counted, never a "fast" run lost
            batch.append({"type": "form_focus", "timestamp": t, "data": {"id": "f"}})
        every += [e["timestamp"] for e in batch]
        late = batch[:3]  # a late batch (up to the bridge's fence back) lands after the next one
        ev.add_batch(batch[3:])
        ev.add_batch(late)
        assert len(ev.action_ts) <= 5000  # of 12,000: what is kept stays bounded
    count, fast, cv = exact_timing(every)
    timing = botfilter._action_timing(ev, CFG)
    assert (timing.actions, timing.intervals, timing.fast) == (len(every), count, fast)
    assert timing.cv == pytest.approx(cv, rel=1e-9)
    assert timing.min == 5.0 and timing.mean == pytest.approx(float(np.diff(every).mean()), rel=1e-9)
    summary = botfilter.review_evidence(ev, CFG, ())
    assert summary["actions"]["count"] == len(every) and summary["actions"]["under_15ms"] == fast


def test_the_folded_cv_is_the_two_pass_one_and_gives_the_same_verdict():
    # alternating 1100 / 900 ms: a CV of 0.1, the regularity rule's limit (it fires below it)
    t, every = T0, [T0]
    for i in range(3 * botfilter.ACTIONS_KEPT):
        t += 900 if i % 2 else 1100
        every.append(t)
    folded, whole = BotEvidence(CFG), BotEvidence(CFG)
    for k in range(0, len(every), 50):
        folded.add_batch([{"type": "form_focus", "timestamp": x, "data": {}} for x in every[k:k + 50]])
    whole.action_ts = list(every)  # every action kept: the reading before any fold
    assert folded._folded.intervals and len(folded.action_ts) <= botfilter.ACTIONS_KEPT
    cv = botfilter._action_timing(whole, CFG).cv
    assert botfilter._action_timing(folded, CFG).cv == pytest.approx(cv, rel=1e-12)
    assert cv == pytest.approx(0.1, rel=1e-12)
    for config in (CFG, BotConfig(min_timing_cv=0.1001), BotConfig(min_timing_cv=0.0999)):
        judged = [assess(ev, config, wait_batches=0).signals for ev in (folded, whole)]
        assert judged[0] == judged[1]
