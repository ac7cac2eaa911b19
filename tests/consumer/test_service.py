"""Seer on the in-process bus: packet in, intervention out on the same subject; outcomes reported."""

import asyncio
import copy
import json

import orjson

from tests.conftest import FIXTURES, batch, ev, verdict
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.consumer.service import SeerService

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
T, S = PACKET["tenantId"], PACKET["sessionId"]


async def test_packet_in_intervention_out_and_outcome_back():
    bus = InProcessBus()
    seen, sent, outcomes = [], [], []

    async def watch(subject, payload):
        seen.append(orjson.loads(payload))

    await bus.subscribe(subjects.intervention_request(T, S), watch)
    service = SeerService(bus, on_intervention=sent.append, on_outcome=outcomes.append)
    await service.start()

    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(PACKET))
    await bus.drain()
    interventions = [m for m in seen if m.get("type") == "intervention"]
    assert len(interventions) == 1 and interventions[0]["message"] and len(sent) == 1
    assert "emotion" not in interventions[0]  # no telemetry detail goes to the page

    reply = batch([ev("chat_message", PACKET["timestamp"] + 5_000, length=42)], session=S, tenant=T)
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(reply))
    await bus.drain()
    assert [o.outcome for o in outcomes] == ["chat_engaged"]
    await bus.close()


async def test_bot_sessions_get_nothing():
    bus = InProcessBus()
    service = SeerService(bus)
    await service.start()
    await bus.publish(subjects.bot_detection(T, S), orjson.dumps(verdict(S, "bot", tenant=T)))
    await bus.drain()
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(copy.deepcopy(PACKET)))
    await bus.drain()
    assert service.sent == 0
    await bus.close()


async def test_a_failing_composer_falls_back_to_a_template():
    bus = InProcessBus()

    async def broken(packet, strategy):
        raise TimeoutError("llm hung")

    sent = []
    service = SeerService(bus, composer=broken, on_intervention=sent.append)
    await service.start()
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(PACKET))
    await bus.drain()
    assert sent and sent[0].source == "template"
    await bus.close()


async def test_a_close_from_another_tenants_connection_is_not_this_sessions_end():
    # section 10.4: a connection of another tenant that used this session id closes; the visit goes on
    bus = InProcessBus()
    outcomes = []
    service = SeerService(bus, on_outcome=outcomes.append)
    await service.start()
    # the visitor's first event 30 s before the packet, past section 9.3's minimum session
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev("mouse", PACKET["timestamp"] - 30_000)],
                                                                  session=S, tenant=T)))
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(PACKET))
    await bus.drain()
    assert service.sent == 1
    stranger = {"tenantId": "org_stranger", "sessionId": S, "at": PACKET["timestamp"] + 1_000}
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(stranger))
    await bus.drain()
    assert outcomes == [] and service.ignored_closes == 1  # not settled as "left"
    own = {"tenantId": T, "sessionId": S, "at": PACKET["timestamp"] + 2_000}
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(own))
    await bus.drain()
    assert [o.outcome for o in outcomes] == ["left"]
    await bus.close()


async def test_a_composer_call_for_one_session_holds_up_no_other_session():
    # The deep model takes seconds; each session's packets now wait behind their own composition only.
    gate = asyncio.Event()
    other = dict(copy.deepcopy(PACKET), sessionId="sq_1740700800000_other")

    async def composer(packet, strategy):
        if packet["sessionId"] == S:
            await gate.wait()
        return None  # the template then

    sent = []
    service = SeerService(bus := InProcessBus(), composer=composer, on_intervention=sent.append)
    await service.start()
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(PACKET))
    await bus.publish(subjects.intervention_request(T, other["sessionId"]), orjson.dumps(other))
    async with asyncio.timeout(5):
        while not sent:
            await asyncio.sleep(0.005)
    assert [i.session_id for i in sent] == [other["sessionId"]]
    gate.set()
    await bus.drain()
    assert [i.session_id for i in sent] == [other["sessionId"], S]
    await bus.close()


async def test_a_close_published_after_a_packet_is_handled_after_it():
    # Seer takes packets, closes, verdicts and batches on four subscriptions; they share its lanes, so a
    # session's close cannot overtake its packet while the packet waits for its turn in the lane.
    outcomes = []
    service = SeerService(bus := InProcessBus(), on_outcome=outcomes.append)
    await service.start()
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev("mouse", PACKET["timestamp"] - 30_000)],
                                                                  session=S, tenant=T)))
    await bus.drain()
    await bus.publish(subjects.intervention_request(T, S), orjson.dumps(PACKET))
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"tenantId": T, "sessionId": S,
                                                             "at": PACKET["timestamp"] + 2_000}))
    await bus.drain()
    assert service.sent == 1 and [o.outcome for o in outcomes] == ["left"]  # not "undelivered"
    await bus.close()
