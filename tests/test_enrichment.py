"""Enrichment on the bus: the LLM refines or falls back; global intelligence fills packets; no IP leaks."""

import json

import orjson
import pytest

from tests.conftest import FIXTURES, batch, ev, mouse_path
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.config import EITPConfig
from workbench.engine.service import EngineService
from workbench.enrichment import Enricher, geo_of
from workbench.intelligence import Intelligence
from workbench.llm.standin import Reply, StandinMessagesAPI
from workbench.llm.tier import LLMSettings, LLMTier
from workbench.protocol.schema import errors

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


def session(t0=1_700_000_000_000, sid="sq_1_e"):
    out = []
    for start in range(0, 25_000, 3000):
        events = mouse_path(t0 + start, 20) + [ev("mouse_pause", t0 + start + 2500, duration=1200, x=1, y=1)]
        out.append(batch(events, session=sid, tenant="org_workbench", userAgent=UA, ip="198.51.100.7"))
    return out


async def run_through(enricher):
    bus = InProcessBus()
    packets = []

    async def keep(subject, payload):
        packets.append(orjson.loads(payload))

    await bus.subscribe("seer.*.intervention.request.*", keep)
    service = EngineService(bus, EITPConfig(), enrich=enricher)
    await service.start()
    for b in session():
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
    await bus.drain()
    await service.close_all()
    await bus.drain()
    await bus.close()
    return packets


async def test_the_trajectory_follows_the_emotions_the_llm_published():
    # section 5.2: the direction over the classifications the consumer saw, not the rules' replaced ones
    intensities = iter([0.5, 0.9, 0.2] + [0.2] * 10)

    def answer(_request):
        return Reply(text=json.dumps({"emotion": "frustration", "confidence": 0.8, "intensity": next(intensities),
                                      "needsSonnet": False, "reasoning": "x"}))

    with StandinMessagesAPI(answer) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
        packets = await run_through(Enricher(llm=tier))
    assert len(packets) >= 3 and all(p["emotion"]["primary"] == "frustration" for p in packets)
    # the first has no history; then 0.9 against 0.5, and 0.2 against the mean of 0.5 and 0.9
    assert [p["emotion"]["trajectory"] for p in packets[:3]] == ["stable", "intensifying", "cooling"]
    assert all(errors(p, "packet") == [] for p in packets)


async def test_llm_answer_replaces_the_rules_emotion():
    answer = json.dumps({"emotion": "deliberation", "confidence": 0.9, "intensity": 0.4, "needsSonnet": False,
                         "reasoning": "steady"})
    with StandinMessagesAPI(lambda r: Reply(text=answer)) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
        packets = await run_through(Enricher(llm=tier))
    assert packets and all(p["emotion"]["primary"] == "deliberation" for p in packets)
    assert all("llm_triage" in p["patterns"]["detected"] for p in packets)
    assert all("llm_gate:hold" in p["patterns"]["detected"] for p in packets)  # needsSonnet false (7.3)
    assert all(errors(p, "packet") == [] for p in packets)


async def test_llm_outage_keeps_the_rules_and_says_why():
    with StandinMessagesAPI(lambda r: Reply(status=529)) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
        packets = await run_through(Enricher(llm=tier))
    rules = await run_through(None)
    assert [p["emotion"]["primary"] for p in packets] == [p["emotion"]["primary"] for p in rules]
    assert all("llm_fallback:overloaded" in p["patterns"]["detected"] for p in packets)


async def test_a_malformed_200_reply_loses_no_packet():
    html = Reply(raw_body=b"<html><body>Bad gateway</body></html>", content_type="text/html")
    for reply in (html, Reply(raw_body=b'{"ok":true}')):
        with StandinMessagesAPI(lambda r, reply=reply: reply) as api:
            tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
            packets = await run_through(Enricher(llm=tier))
        rules = await run_through(None)
        assert len(packets) == len(rules) > 1  # every window of every batch still reaches the consumer
        assert all("llm_fallback:malformed" in p["patterns"]["detected"] for p in packets)


@pytest.mark.parametrize(("triage", "deep", "gate"), [
    (False, None, "llm_gate:hold"), (True, True, "llm_gate:intervene"), (True, False, "llm_gate:hold")])
async def test_the_section_7_3_gate_travels_in_the_packet(triage, deep, gate):
    def responder(request):
        if "haiku" in request["model"]:
            return Reply(text=json.dumps({"emotion": "hesitation", "confidence": 0.8, "intensity": 0.6,
                                          "needsSonnet": triage}))
        return Reply(text=json.dumps({"emotion": "hesitation", "confidence": 0.8, "intensity": 0.6,
                                      "intervene": deep}))
    with StandinMessagesAPI(responder) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
        packet = await Enricher(llm=tier)(PACKET, {"vertical": "rv_dealer"})
    assert gate in packet["patterns"]["detected"] and errors(packet, "packet") == []
    assert len(api.requests) == (2 if triage else 1)


async def test_global_intelligence_fills_packets_without_the_ip():
    packets = await run_through(Enricher(intelligence=Intelligence(cycle_ms=5_000)))
    filled = [p for p in packets if p["globalIntelligence"] is not None]
    assert filled and 0 <= filled[-1]["globalIntelligence"]["evi"] <= 1
    assert all("198.51.100.7" not in json.dumps(p) for p in packets)
    assert all(errors(p, "packet") == [] for p in packets)


def test_geo_table():
    assert geo_of("198.51.100.7") == "us-west" and geo_of("127.0.0.1") == "local"
    assert geo_of("8.8.8.8") == "other" and geo_of(None) == "unknown" and geo_of("junk") == "unknown"


async def test_a_slow_llm_call_for_one_visitor_holds_up_no_other_visitor():
    # The real SDK against the stand-in: one visitor's calls take 0.5 s (under the 1.5 s timeout), the
    # other's answer at once. The engine takes each session in a lane of its own, so the quick visitor's
    # packets all go out while the slow one's first call is still out.
    answer = json.dumps({"emotion": "frustration", "confidence": 0.8, "intensity": 0.6, "needsSonnet": False,
                         "reasoning": "x"})

    def responder(request):
        return Reply(text=answer, delay_s=0.5 if "Slow Motors" in json.dumps(request) else 0.0)

    def visit(sid, title):
        out = []
        for start in range(0, 45_000, 3000):
            events = mouse_path(1_700_000_000_000 + start, 20)
            out.append(batch(events, session=sid, tenant="org_workbench", userAgent=UA, ip="198.51.100.7",
                             pageContent={"pageTitle": title}))
        return out

    bus, order = InProcessBus(), []

    async def keep(subject, payload):
        order.append(orjson.loads(payload)["sessionId"])

    await bus.subscribe("seer.*.intervention.request.*", keep)
    with StandinMessagesAPI(responder) as api:
        tier = LLMTier(LLMSettings(api_key="k", base_url=api.base_url))
        service = EngineService(bus, EITPConfig(), enrich=Enricher(llm=tier))
        await service.start()
        for slow, quick in zip(visit("sq_1_slow", "Slow Motors"), visit("sq_1_quick", "Quick Cars"), strict=True):
            await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(slow))
            await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(quick))
        for sid in ("sq_1_slow", "sq_1_quick"):
            await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"tenantId": "org_workbench", "sessionId": sid}))
        await bus.drain()
    await bus.close()
    assert order.count("sq_1_slow") >= 3 and order.count("sq_1_quick") == order.count("sq_1_slow")
    assert tier.counters["triage_calls"] == len(order) and not any(k.startswith("fallback") for k in tier.counters)
    first_slow = order.index("sq_1_slow")
    assert set(order[:first_slow]) == {"sq_1_quick"} and "sq_1_quick" not in order[first_slow:]
