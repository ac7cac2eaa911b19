"""The emotions.{t}.{s} profile (section 4.2, "Emotional profile for chat context") tells the emotions
the packets published: with the LLM tier on, the tier's answers, not the rules' ones they replaced."""

from __future__ import annotations

from collections import Counter
from itertools import cycle

import orjson

from workbench.bus import SESSION_CLOSED, TELEMETRY_RAW, InProcessBus
from workbench.config import EITPConfig
from workbench.engine.service import EngineService
from workbench.enrichment import Enricher
from workbench.intelligence import Intelligence
from workbench.llm.tier import LLMVerdict

T0 = 1_740_700_800_000
SID = "sq_1740700800000_prof"


class ScriptedTier:
    """An LLM tier that answers the given emotions in turn."""

    def __init__(self, emotions):
        self.answers = cycle(emotions)
        self.counters: Counter[str] = Counter()

    async def enrich(self, packet, knowledge):
        emotion, intensity = next(self.answers)
        return LLMVerdict(emotion, 0.9, intensity, "scripted", "triage", needs_deep=False), ""


def batch(t, n=40):
    evs = [{"type": "mouse", "timestamp": t + 50 * i, "currentSection": "pricing",
            "data": {"x": 100 + 3 * i, "y": 200 + (i % 7), "speed": 60 + (i % 5) * 10, "jerk": 1000}} for i in range(n)]
    return orjson.dumps({"type": "telemetry_batch", "sessionId": SID, "tenantId": "org_t",
                         "timestamp": evs[-1]["timestamp"], "events": evs, "ip": "198.51.100.7",
                         "userAgent": "Mozilla/5.0 Chrome/124"})


async def run(enrich, visits=((T0, 14),), close_between=True):
    """Each visit: (start, batches 3 s apart), then its close. Returns (packets, profiles) as published."""
    bus = InProcessBus()
    got: dict[str, list[dict]] = {}

    async def record(subject, payload):
        got.setdefault(subject.split(".")[1 if subject.startswith("seer.") else 2], []).append(orjson.loads(payload))

    await bus.subscribe("seer.*.intervention.request.*", record)
    await bus.subscribe("emotions.*.*", record)
    service = EngineService(bus, EITPConfig(), enrich=enrich)
    await service.start()
    for start, n in visits:
        for j in range(n):
            await bus.publish(TELEMETRY_RAW, batch(start + j * 3000))
        if close_between:
            await bus.publish(SESSION_CLOSED, orjson.dumps({"tenantId": "org_t", "sessionId": SID,
                                                            "at": start + n * 3000}))
    await bus.drain()
    await service.close_all()
    await bus.drain()
    return got["org_t"], got[SID]


async def test_the_profile_tells_the_emotions_the_tier_published():
    tier = ScriptedTier([("frustration", 0.8), ("frustration", 0.6), ("confusion", 0.5)])
    packets, profiles = await run(Enricher(llm=tier))
    assert len(packets) == len(profiles) >= 4
    published = []
    for packet, profile in zip(packets, profiles, strict=True):
        published.append((packet["timestamp"], packet["emotion"]["primary"], packet["emotion"]["intensity"]))
        assert profile["current"] == packet["emotion"]  # trajectory included: the tier's recomputed one
        counts = Counter(e for _, e, _ in published)
        assert profile["counts"] == dict(sorted(counts.items()))
        assert profile["dominant"] == max(sorted(counts), key=lambda e: counts[e])
        assert profile["classifications"] == len(published)
        assert [(h["timestamp"], h["emotion"], h["intensity"]) for h in profile["history"]] == published[-8:]
    assert profiles[-1]["dominant"] == "frustration"


async def test_a_reconnect_continues_the_published_record_and_a_new_visit_starts_one():
    tier = ScriptedTier([("frustration", 0.8), ("confusion", 0.5)])
    # a visit, its reconnect 10 s after its close, then the id again after the section 1.3 timeout
    visits = ((T0, 14), (T0 + 52_000, 8), (T0 + 52_000 + 24_000 + 400_000, 14))
    packets, profiles = await run(Enricher(llm=tier), visits)
    new_visit = next(i for i, p in enumerate(packets) if p["timestamp"] >= visits[2][0])
    for first, last in ((0, new_visit), (new_visit, len(packets))):
        shown = [p["emotion"]["primary"] for p in packets[first:last]]
        assert profiles[last - 1]["classifications"] == len(shown)
        assert profiles[last - 1]["counts"] == dict(sorted(Counter(shown).items()))
    assert profiles[new_visit]["classifications"] == 1


async def test_without_the_tier_the_profile_is_the_engines():
    plain = await run(None)
    with_intelligence = await run(Enricher(intelligence=Intelligence()))
    assert with_intelligence[1] == plain[1]
