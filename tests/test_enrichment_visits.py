"""With the LLM tier on, the section 5.2 trajectory follows one visit's published emotions: a session id back
after the section 1.3 timeout is a new session, and its trajectory starts afresh, as the engine's does."""

import copy
import json

import orjson

from tests.conftest import FIXTURES, batch, ev, mouse_path
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.config import EITPConfig, InferenceConfig
from workbench.engine.service import EngineService
from workbench.enrichment import Enricher
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
T0 = 1_700_000_000_000
SID = "sq_1_twice"


def visit(t0):
    return [batch(mouse_path(t0 + s, 20) + [ev("mouse_pause", t0 + s + 2500, duration=1200, x=1, y=1)],
                  session=SID, tenant="org_workbench", userAgent=UA, ip="198.51.100.7")
            for s in range(0, 40_000, 3000)]


async def test_a_session_id_back_after_the_timeout_starts_a_new_trajectory():
    # the first visit's answers are calm (0.2), the second's intense (0.9): the second visit's first packets
    # must not read as "intensifying" against the first visit's emotions
    intensity = {"now": 0.2}

    def answer(_request):
        return Reply(text=json.dumps({"emotion": "frustration", "confidence": 0.8, "intensity": intensity["now"],
                                      "needsSonnet": False, "reasoning": "x"}))

    bus, packets = InProcessBus(), []

    async def keep(subject, payload):
        packets.append(orjson.loads(payload))

    with StandinMessagesAPI(answer) as api:
        enricher = Enricher(llm=LLMTier(LLMSettings(api_key="k", base_url=api.base_url, wall_budgets=False)))
        await bus.subscribe("seer.*.intervention.request.*", keep)
        service = EngineService(bus, EITPConfig(), enrich=enricher)
        await service.start()
        for t0 in (T0, T0 + 10 * 60_000):  # the same tab back after ten quiet minutes: a new session (1.3)
            for b in visit(t0):
                await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
            await bus.drain()
            await service.close_all()
            await bus.drain()
            intensity["now"] = 0.9
        await bus.close()
    second = [p for p in packets if p["timestamp"] >= T0 + 10 * 60_000]
    assert len(second) >= 2 and len(packets) > len(second)
    assert all(p["emotion"]["intensity"] == 0.9 for p in second)
    # every classification of the second visit is the same: nothing in it intensifies
    assert [p["emotion"]["trajectory"] for p in second] == ["stable"] * len(second)
    visit_two = enricher.published.get(SID)
    assert visit_two is not None and all(t >= T0 + 10 * 60_000 for t, _, _ in visit_two.history)


def packet_at(ts, session_ms, intensity):
    packet = copy.deepcopy(PACKET)
    packet.update(sessionId=SID, timestamp=ts)
    packet["temporal"]["sessionDuration"] = session_ms
    packet["emotion"].update(primary="frustration", intensity=intensity)
    packet["patterns"]["detected"] = []
    return packet


async def test_a_new_visit_is_told_by_its_start_not_by_the_time_between_packets():
    intensities = iter([0.2, 0.2, 0.9, 0.9])

    def answer(_request):
        return Reply(text=json.dumps({"emotion": "frustration", "confidence": 0.8, "intensity": next(intensities),
                                      "needsSonnet": False, "reasoning": "x"}))

    with StandinMessagesAPI(answer) as api:
        enricher = Enricher(llm=LLMTier(LLMSettings(api_key="k", base_url=api.base_url, wall_budgets=False)),
                            inference=InferenceConfig())
        published = [await enricher(packet_at(ts, session_ms, 0.5), {"vertical": "rv_dealer"}) for ts, session_ms in (
            (T0, 30_000), (T0 + 10_000, 40_000),
            # the session goes on: its next packet comes 5 min 8 s on (stamped at its window's newest event,
            # 8 s after one just inside the timeout), but it tells the same start
            (T0 + 318_000, 348_000),
            # the id back with a session that began after that packet: a new visit
            (T0 + 718_000, 60_000))]
    assert [p["emotion"]["intensity"] for p in published] == [0.2, 0.2, 0.9, 0.9]
    assert [p["emotion"]["trajectory"] for p in published] == ["stable", "stable", "intensifying", "stable"]
    assert [t for t, _, _ in enricher.published.get(SID).history] == [T0 + 718_000]


def test_a_packet_that_does_not_tell_its_start_is_a_new_visit_past_the_timeout_and_a_window():
    inference = InferenceConfig()
    enricher, gap = Enricher(inference=inference), inference.session_timeout_ms + inference.buffer_window_ms
    enricher.history_of(packet_at(T0, 30_000, 0.2)).append((T0, "frustration", 0.2))
    close = packet_at(T0 + gap, 0, 0.9)
    del close["temporal"]["sessionDuration"]
    assert len(enricher.history_of(close)) == 1  # the same visit: its history
    far = packet_at(T0 + 2 * gap + 1, 0, 0.9)
    far["temporal"] = None
    assert len(enricher.history_of(far)) == 0  # more than the timeout and a window after the last: a new one
