"""A late packet while the visit's next page is live is delivered, not "undelivered"; nobody pays the composer for
one that is; and a new session under the same id (section 1.3: after the 5-minute inactivity timeout) gets its
own section 9.3 grace period."""

import copy
import json

import orjson

from tests.conftest import FIXTURES, batch, ev
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.config import InferenceConfig
from workbench.consumer.seer import UNDELIVERED, Seer
from workbench.consumer.service import SeerService

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
T, S = BASE["tenantId"], BASE["sessionId"]
TIMEOUT = InferenceConfig().session_timeout_ms


def packet(t, sid="sq_1", *, session_ms=None):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["temporal"]["sessionDuration"] = t if session_ms is None else session_ms
    return p


def successes(seer):
    return sum(v.successes for v in seer.bandit.exact.values())


# --- an intervention on page 1's last window, published while page 2 is live ---------------------------------
def test_a_late_packet_while_the_next_page_is_live_waits_for_an_answer_and_is_credited():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 24_000)])
    seer.on_session_end("sq_1", at=25_000)  # page 1 closes ...
    seer.on_events("sq_1", [ev("connection", 26_000)])  # ... page 2 of the visit is connected
    late = seer.on_packet(packet(24_000))  # page 1's last window, released by the engine after all that
    assert late is not None and late.outcome is None and seer.take_settled() == []  # pending, like any other
    (answered,) = seer.on_events("sq_1", [ev("chat_message", 30_000, length=20)])
    assert answered is late and late.outcome == "chat_engaged" and successes(seer) == 1


def test_a_late_packet_after_the_next_page_closed_too_is_still_undelivered():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 24_000)])
    seer.on_session_end("sq_1", at=25_000)
    seer.on_events("sq_1", [ev("connection", 26_000)])
    seer.on_session_end("sq_1", at=27_000)  # page 2 gone as well: no page of the visit is live
    late = seer.on_packet(packet(24_000))
    assert late is not None and late.outcome == UNDELIVERED


async def test_the_visitors_answer_on_the_next_page_is_reported_and_learnt_through_the_service():
    # the reviewer's repro: the engine releases page 1's last window after page 2 connected
    bus, outcomes, on_subject = InProcessBus(), [], []
    t = BASE["timestamp"]

    async def page(subject, payload):
        if (m := orjson.loads(payload)).get("type") == "intervention":
            on_subject.append(m["message"])

    await bus.subscribe(subjects.intervention_request(T, S), page)
    service = SeerService(bus, on_outcome=outcomes.append)
    await service.start()

    async def send(events):
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch(events, session=S, tenant=T)))
        await bus.drain()

    await send([ev("connection", t - 30_000), ev("mouse", t)])
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"sessionId": S, "tenantId": T, "at": t + 500}))
    await bus.drain()
    await send([ev("connection", t + 900)])
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(copy.deepcopy(BASE)))
    await bus.drain()
    assert len(on_subject) == 1 and outcomes == []  # published where page 2 listens, and not settled
    await send([ev("chat_open", t + 5_000), ev("chat_message", t + 8_000, length=20)])
    assert [o.outcome for o in outcomes] == ["chat_engaged"] and successes(service.seer) == 1
    await bus.close()


# --- the composer is not paid for a message nobody will read --------------------------------------------------
def test_plan_chooses_nothing_for_a_packet_of_a_page_already_gone():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 24_000)])
    seer.on_session_end("sq_1", at=25_000)
    assert seer.plan(packet(24_000)) is None
    late = seer.on_packet(packet(24_000))  # still recorded, with a template
    assert late is not None and late.source == "template" and late.outcome == UNDELIVERED


async def test_the_service_does_not_ask_the_composer_for_an_undelivered_intervention():
    calls = []

    async def composer(p, strategy):
        calls.append(p["timestamp"])
        return "Want a side-by-side of the two packages?"

    bus, sent, outcomes = InProcessBus(), [], []
    service = SeerService(bus, composer=composer, on_intervention=sent.append, on_outcome=outcomes.append)
    await service.start()
    t = BASE["timestamp"]
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev("mouse", t - 30_000), ev("mouse", t)],
                                                                  session=S, tenant=T)))
    await bus.drain()
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"sessionId": S, "tenantId": T, "at": t + 1000}))
    await bus.drain()
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(copy.deepcopy(BASE)))
    await bus.drain()
    assert calls == []
    assert [(i.source, i.outcome) for i in sent] == [("template", UNDELIVERED)]
    assert [o.outcome for o in outcomes] == [UNDELIVERED]
    # the visit's next page connects: its next packet is composed as usual
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev("connection", t + 70_000)], session=S, tenant=T)))
    await bus.drain()
    later = dict(copy.deepcopy(BASE), timestamp=t + 70_000)
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(later))
    await bus.drain()
    assert len(calls) == 1 and sent[-1].source == "llm" and sent[-1].outcome is None
    await bus.close()


# --- section 1.3: a new session under the same id after the inactivity timeout -------------------------------
def test_telemetry_resuming_after_the_timeout_starts_a_new_grace_period():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 45_000)])
    assert seer.decide(packet(20_000)).allowed  # the old session, 20 s in
    t2 = 45_000 + TIMEOUT + 1  # silent for longer than the timeout: the engine starts a new session here
    seer.on_events("sq_1", [ev("mouse", t2), ev("mouse", t2 + 2_000)])
    new = packet(t2 + 2_000, session_ms=2_000)  # 2 s since the new session's start
    assert seer.decide(new).reason.startswith("grace period") and seer.on_packet(new) is None
    assert seer.on_packet(packet(t2 + 10_000, session_ms=10_000)) is not None  # its 10 s are over


def test_telemetry_back_within_the_timeout_continues_the_session():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 45_000)])
    seer.on_session_end("sq_1", at=46_000)
    back = 45_000 + TIMEOUT  # exactly the timeout: not more than it, the same session (as the engine)
    seer.on_events("sq_1", [ev("connection", back), ev("mouse", back + 2_000)])
    assert seer.on_packet(packet(back + 2_000, session_ms=back + 2_000)) is not None  # no new grace period


def test_a_packet_whose_session_began_after_all_seer_saw_of_the_id_starts_a_new_grace_period():
    # Seer has not (yet) seen the new session's telemetry: the packet itself says its session is new
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 45_000)])
    t2 = 45_000 + TIMEOUT + 60_000
    assert seer.decide(packet(t2 + 3_000, session_ms=3_000)).reason.startswith("grace period")
    assert seer.decide(packet(t2 + 12_000, session_ms=12_000)).allowed


def test_a_timeout_is_read_on_the_configured_session_timeout():
    seer = Seer(seed=1, session_timeout_ms=600_000)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 45_000)])
    t2 = 45_000 + 400_000  # past the default 5 minutes, within the 10 configured
    seer.on_events("sq_1", [ev("mouse", t2), ev("mouse", t2 + 2_000)])
    assert seer.decide(packet(t2 + 2_000, session_ms=t2 + 2_000)).allowed
