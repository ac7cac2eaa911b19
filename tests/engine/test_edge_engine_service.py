"""The engine service does not trust the bus: a batch too deep to write out, or a close it cannot place, is
refused whole at the edge (counted, logged), and costs no other session (nor its own session) anything."""

import orjson
import pytest

from tests.engine.telemetry import Visit
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.config import EITPConfig
from workbench.engine.service import EngineService

SESSIONS = ["sq_1740700800000_aaa", "sq_1740700800000_bbb", "sq_1740700800000_ccc"]


async def started():
    bus = InProcessBus()
    service = EngineService(bus, EITPConfig())
    await service.start()
    packets: list[dict] = []

    async def record(subject, payload):
        packets.append(orjson.loads(payload))

    await bus.subscribe("seer.>", record)
    return bus, service, packets


def visit(session, seconds=8):  # shorter than the bot wait: its packets come at the close, or the end of input
    return Visit(section="pricing", session=session).move(600, 400, 500).drift(seconds * 1000, speed=50).batches()


def too_deep(batch, levels=300):
    """The batch as a client's JSON text may carry it, its page content nested deeper than orjson writes
    (it reads 1,024 levels, writes 254), so it cannot be built as a dict and dumped."""
    raw = orjson.dumps(dict(batch, pageContent={"pageTitle": "x", "meta": "@"}))
    return raw.replace(b'"@"', b'{"x":' * levels + b"1" + b"}" * levels)


async def test_a_page_content_too_deep_to_write_out_is_refused_and_the_other_sessions_keep_their_packets():
    bus, service, packets = await started()
    for sid in SESSIONS:
        for b in visit(sid):
            await bus.publish(subjects.TELEMETRY_RAW, too_deep(b) if sid == SESSIONS[0] else orjson.dumps(b))
    await bus.drain()
    assert service.rejected["depth"] == len(visit(SESSIONS[0])) and SESSIONS[0] not in service.engine.sessions
    await service.close_all()  # before: raised on the deep session's packet, and the others' were lost
    await bus.drain()
    assert {p["sessionId"] for p in packets} == set(SESSIONS[1:])
    await bus.close()


CLOSES = [
    b"{not json",
    b"[]",
    orjson.dumps({"tenantId": "org_test"}),
    orjson.dumps({"tenantId": "org_test", "sessionId": ""}),
    orjson.dumps({"tenantId": "org_test", "sessionId": 7}),
    orjson.dumps({"tenantId": 7, "sessionId": SESSIONS[0]}),
    orjson.dumps({"tenantId": "org_test", "sessionId": SESSIONS[0], "at": "1740700826000"}),
    orjson.dumps({"tenantId": "org_test", "sessionId": SESSIONS[0], "at": True}),
    orjson.dumps({"tenantId": "org_test", "sessionId": SESSIONS[0], "at": [1740700826000]}),
    orjson.dumps({"tenantId": "org_test", "sessionId": SESSIONS[0], "at": -1}),
    orjson.dumps({"tenantId": "org_test", "sessionId": SESSIONS[0], "at": 1e300}),
]


@pytest.mark.parametrize("close", CLOSES)
async def test_a_close_the_engine_cannot_place_is_refused_and_the_session_goes_on_whole(close):
    bus, service, packets = await started()
    sid = SESSIONS[0]
    batches = visit(sid, seconds=25)  # two windows and more, held for the bot verdict
    for b in batches:
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
    await bus.publish(subjects.SESSION_CLOSED, close)
    await bus.drain()
    assert dict(service.rejected) == {"close": 1}
    assert sid in service.engine.sessions and packets == []  # before: popped, then raised; its windows lost
    own = {"tenantId": "org_test", "sessionId": sid, "at": batches[-1]["timestamp"] + 10}
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps(own))
    await bus.drain()
    assert sid in service.engine.closed and len(packets) >= 2 and {p["sessionId"] for p in packets} == {sid}
    await bus.close()


async def test_a_packet_that_cannot_be_written_costs_only_itself_at_the_end_of_input():
    async def enrich(packet, context):  # an enrichment edge that returns something JSON cannot hold, for one session
        return dict(packet, extra={1, 2}) if packet["sessionId"] == SESSIONS[0] else packet

    bus = InProcessBus()
    service = EngineService(bus, EITPConfig(), enrich=enrich)
    await service.start()
    packets = []

    async def record(subject, payload):
        packets.append(orjson.loads(payload))

    await bus.subscribe("seer.>", record)
    for sid in SESSIONS:
        for b in visit(sid):
            await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
    await bus.drain()
    await service.close_all()  # before: raised at the first session's packet, and the others' were never published
    await bus.drain()
    assert {p["sessionId"] for p in packets} == set(SESSIONS[1:]) and service.unwritable == 1
    await bus.close()
