"""The engine on an in-process bus: section 4.2 subjects, tenant rejection (10.4), no IP anywhere (10.3)."""

import asyncio

import orjson

from tests.engine.telemetry import Visit
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.config import EITPConfig
from workbench.engine.service import EngineService
from workbench.protocol.schema import errors

IP = "198.51.100.77"


async def started(tenant_id=None, **service):
    """An engine service on a fresh in-process bus, and what it publishes as (subject, body)."""
    bus = InProcessBus()
    service = EngineService(bus, EITPConfig(), tenant_id=tenant_id, **service)
    await service.start()
    seen: list[tuple[str, dict]] = []

    async def record(subject, payload):
        seen.append((subject, orjson.loads(payload)))

    for pattern in ("seer.>", "emotions.>", "bot.>"):
        await bus.subscribe(pattern, record)
    return bus, service, seen


def visit(session="sq_1740700800000_svc", tenant="org_test"):
    v = Visit(section="pricing", session=session, tenant=tenant, ip=IP).move(600, 400, 500)
    v.near("purchase_button", "cta-buy", x=700, y=420, pause_ms=1200).drift(8000, speed=50)
    v.near("purchase_button", "cta-buy", x=700, y=420, pause_ms=1000).drift(3000, speed=50)
    return v.batches()


async def publish(bus, batches):
    for b in batches:
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
    await bus.drain()


async def test_each_packet_goes_to_the_consumer_persistence_and_profile_subjects():
    bus, service, seen = await started()
    await publish(bus, visit())
    await service.close_all()
    await bus.drain()
    t, s = "org_test", "sq_1740700800000_svc"
    by_subject: dict[str, list[dict]] = {}
    for subject, body in seen:
        by_subject.setdefault(subject, []).append(body)
    packets = by_subject[f"seer.{t}.intervention.request.{s}"]
    detected = by_subject[f"emotions.{t}.detected.{s}"]
    profiles = by_subject[f"emotions.{t}.{s}"]
    assert len(packets) == len(detected) == len(profiles) == 2
    assert all(errors(p, "packet") == [] for p in packets)
    assert [d["emotion"] for d in detected] == [p["emotion"] for p in packets]
    assert profiles[-1]["classifications"] == 2 and profiles[-1]["current"] == packets[-1]["emotion"]
    assert [h["emotion"] for h in profiles[-1]["history"]] == [p["emotion"]["primary"] for p in packets]
    (detection,) = by_subject[f"bot.{t}.detection.{s}"]
    assert detection["classification"] == "human"
    assert {"session_id", "classification", "confidence", "reasoning", "signals", "event_count"} <= set(detection)
    assert IP not in repr(seen)  # section 10.3: not in packets, profiles, emotion events or detection logs
    await bus.close()


async def test_a_batch_with_a_mismatched_tenant_is_rejected():
    bus, service, seen = await started()
    first, *rest = visit()
    await publish(bus, [first, *(dict(b, tenantId="org_intruder") for b in rest)])
    await service.close_all()
    await bus.drain()
    assert service.rejected["tenant"] == len(rest)
    assert all(".org_intruder." not in subject for subject, _ in seen)
    await bus.close()


async def test_a_service_for_one_tenant_rejects_every_other_tenant():
    bus, service, seen = await started(tenant_id="org_test")
    await publish(bus, visit(session="sq_other", tenant="org_other"))
    await service.close_all()
    await bus.drain()
    assert service.rejected["tenant"] == len(visit()) and seen == []
    await publish(bus, visit())
    await service.close_all()
    await bus.drain()
    assert any(subject.startswith("seer.org_test.") for subject, _ in seen)
    await bus.close()


async def test_a_batch_whose_ids_are_not_names_never_reaches_a_subject():
    # Straight onto the bus (a NATS client allowed to publish telemetry), a session id "s.detection.x" made the
    # engine publish on another session's subjects: emotions.t.detected.s is also emotions_profile(t, "detected.s")
    bus, service, seen = await started()
    for session, tenant in (("sq_a.detected.sq_b", "org_test"), ("sq_*", "org_test"), ("sq_ok", "org.test")):
        await publish(bus, visit(session=session, tenant=tenant))
    await service.close_all()
    await bus.drain()
    assert service.rejected["identity"] == 3 * len(visit()) and seen == []
    await bus.close()


async def test_invalid_payloads_are_counted_not_raised():
    bus, service, seen = await started()
    await bus.publish(subjects.TELEMETRY_RAW, b"{not json")
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps({"type": "telemetry_batch"}))
    await bus.drain()
    assert (service.rejected["json"], service.rejected["schema"]) == (1, 1) and seen == []
    await bus.close()


async def test_a_batch_with_an_event_from_another_clock_is_counted_as_such_and_nothing_else_is_lost():
    # straight onto the bus, past the bridge's timestamp fence (section 4.6): a click stamped 1970
    bus, service, seen = await started()
    mine, other = visit(), visit(session="sq_1740700800000_other")
    stale = {"type": "click", "timestamp": 0, "currentSection": "pricing", "data": {"x": 1, "y": 1}}
    bad = dict(mine[1], events=[*mine[1]["events"], stale], ip="203.0.113.99")
    await publish(bus, [mine[0], other[0], bad, *mine[1:], *other[1:]])
    await service.close_all()
    await bus.drain()
    assert dict(service.rejected) == {"clock": 1}
    assert service._context["sq_1740700800000_svc"]["ip"] == IP  # a refused batch sets nothing (10.3, 10.4)
    packets = [body for subject, body in seen if subject.startswith("seer.")]
    assert {p["sessionId"] for p in packets} == {"sq_1740700800000_svc", "sq_1740700800000_other"}
    assert all(errors(p, "packet") == [] and p["temporal"]["sessionDuration"] < 60_000 for p in packets)
    await bus.close()


async def test_a_bot_gets_a_detection_log_and_no_packet():
    bus, service, seen = await started()
    await publish(bus, [dict(b, userAgent="Mozilla/5.0 HeadlessChrome/124.0") for b in visit()])
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"sessionId": "sq_1740700800000_svc"}))
    await bus.drain()
    assert [s for s, _ in seen] == ["bot.org_test.detection.sq_1740700800000_svc"]
    assert seen[0][1]["classification"] == "bot" and seen[0][1]["signals"] == ["user_agent"]
    await bus.close()


async def test_a_rejected_batch_of_another_tenant_leaves_the_sessions_context_alone():
    # section 10.4: the intruder's batch is rejected, and its IP must not become the session's (geo, patterns)
    bus, service, _ = await started()
    first, *rest = visit()
    await publish(bus, [first, dict(rest[0], tenantId="org_intruder", ip="203.0.113.99")])
    assert service.rejected["tenant"] == 1
    assert service._context["sq_1740700800000_svc"]["ip"] == IP
    await bus.close()


async def test_a_close_from_another_tenant_does_not_end_the_session_and_a_close_forgets_its_ip():
    bus, service, seen = await started()
    sid = "sq_1740700800000_svc"
    first, *rest = visit()
    await publish(bus, [first])
    intruder = {"tenantId": "org_intruder", "sessionId": sid, "at": first["timestamp"] + 10}
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(intruder))
    await bus.drain()
    assert sid in service.engine.sessions and service.rejected["tenant"] == 1
    assert not any(subject.startswith("seer.") for subject, _ in seen)  # nothing flushed by the stranger's close
    await publish(bus, rest)
    own = {"tenantId": "org_test", "sessionId": sid, "at": rest[-1]["timestamp"] + 10}
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(own))
    await bus.drain()
    assert sid not in service.engine.sessions and any(subject.startswith("seer.org_test.") for subject, _ in seen)
    assert sid not in service._context  # section 10.3: the IP is not kept beyond the session
    await bus.close()


async def test_a_close_never_overtakes_the_batches_published_before_it():
    # A slow enrichment (the LLM tier) makes the batch handler wait; the close, published after the last
    # batch, must still be handled after it, or the session's last windows split around an early close.
    v = Visit(section="pricing", session="sq_1740700800000_svc", ip=IP).move(600, 400, 500)
    batches = v.near("purchase_button", "cta-buy", x=700, y=420, pause_ms=1200).drift(45_000, speed=50).batches()

    async def run(slow: bool) -> list[dict]:
        async def enrich(packet, context):
            if slow:
                await asyncio.sleep(0.01)
            return packet

        bus, _, seen = await started(enrich=enrich)
        for b in batches:
            await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
        closed = {"tenantId": "org_test", "sessionId": "sq_1740700800000_svc", "at": batches[-1]["timestamp"] + 500}
        await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(closed))
        await bus.drain()
        await bus.close()
        return [body for subject, body in seen if subject.startswith("seer.")]

    quick = await run(slow=False)
    assert len(quick) >= 3 and await run(slow=True) == quick


async def test_a_session_waiting_on_its_enrichment_holds_up_no_other_session():
    # The LLM tier awaits a call per packet (up to its timeout); with one lane for all sessions every
    # visitor's packets waited behind the slowest call. Each session now waits behind its own only.
    slow, quick = "sq_1740700800000_slow", "sq_1740700800000_quick"
    gate = asyncio.Event()

    async def enrich(packet, context):
        if packet["sessionId"] == slow:
            await gate.wait()
        return packet

    bus, service, seen = await started(enrich=enrich)
    for b in [b for pair in zip(visit(slow), visit(quick), strict=True) for b in pair]:
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
    for sid in (slow, quick):
        await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"tenantId": "org_test", "sessionId": sid}))

    def packets_of(sid):
        return [body for subject, body in seen if subject == f"seer.org_test.intervention.request.{sid}"]

    async with asyncio.timeout(5):
        while len(packets_of(quick)) < 2:
            await asyncio.sleep(0.005)
    assert packets_of(slow) == []
    gate.set()
    await bus.drain()
    assert len(packets_of(slow)) == 2
    assert [p["timestamp"] for p in packets_of(slow)] == sorted(p["timestamp"] for p in packets_of(slow))
    await bus.close()
