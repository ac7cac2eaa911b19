"""What the pipeline reports to a run's printer, store and TUI comes off the bus, where with ``--nats`` anyone
may publish: each message is checked first, a bad one is counted and logged, and the rest still get through."""

from __future__ import annotations

import copy
import json
import logging

import orjson
import pytest

from tests.conftest import FIXTURES, batch, mouse_path
from workbench import bus as subjects
from workbench.events import BatchReceived, BotVerdictEmitted, ConnectionClosed, EventStream, PacketEmitted
from workbench.llm.tier import LLMSettings
from workbench.pipeline import Pipeline

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
DETECTION = {"session_id": "sq_9_ok", "tenant_id": "org_workbench", "timestamp": 1_740_700_803_000,
             "classification": "human", "confidence": 0.8, "reasoning": "no section 8.1 or 8.2 signal fired",
             "signals": [], "event_count": 40}


@pytest.fixture
async def pipeline():
    seen: list = []
    p = Pipeline(stream=EventStream(seen.append), consumer=False, intelligence=False, llm=LLMSettings())
    p.seen = seen  # type: ignore[attr-defined]
    await p.start()
    yield p
    await p.stop()


def _forged_detections() -> list[bytes]:
    without_reasoning = {k: v for k, v in DETECTION.items() if k != "reasoning"}
    return [b"not json", b"[1, 2]", orjson.dumps(without_reasoning),
            orjson.dumps(DETECTION | {"session_id": "[/]"}),  # markup, and no subject token
            orjson.dumps(DETECTION | {"classification": "\x1b[31mFORGED\x1b[0m"}),
            orjson.dumps(DETECTION | {"confidence": 7}), orjson.dumps(DETECTION | {"signals": [1]})]


async def test_forged_bot_verdicts_are_refused_and_a_good_one_still_reported(pipeline, caplog):
    subject = subjects.bot_detection("org_workbench", "sq_9_ok")
    with caplog.at_level(logging.WARNING, logger="workbench.pipeline"):
        for payload in [*_forged_detections(), orjson.dumps(DETECTION)]:
            await pipeline.bus.publish(subject, payload)
        await pipeline.bus.drain()
    verdicts = [e.detection for e in pipeline.seen if isinstance(e, BotVerdictEmitted)]
    assert verdicts == [DETECTION]
    assert pipeline.refused["detection"] == len(_forged_detections())
    assert sum("not reported" in r.getMessage() for r in caplog.records) == len(_forged_detections())


async def test_junk_packets_batches_and_closes_are_refused_and_good_ones_still_reported(pipeline):
    packet = copy.deepcopy(PACKET) | {"sessionId": "sq_9_pk", "tenantId": pipeline.tenant_id}
    on_packets = subjects.intervention_request(pipeline.tenant_id, "sq_9_pk")
    for payload in (b"{", orjson.dumps(packet | {"emotion": {"primary": "unknown"}}), orjson.dumps(packet),
                    orjson.dumps({"type": "intervention", "message": "Seer's own answer: not a packet"})):
        await pipeline.bus.publish(on_packets, payload)
    good = batch(mouse_path(1000, 3), session="sq_9_ok", tenant=pipeline.tenant_id)
    for payload in (b"junk", orjson.dumps({"events": "no"}), orjson.dumps(good)):
        await pipeline.bus.publish(subjects.TELEMETRY_RAW, payload)
    for payload in (b"junk", orjson.dumps({"sessionId": 5}), orjson.dumps({"sessionId": "sq_9_ok", "at": 2000})):
        await pipeline.bus.publish(subjects.SESSION_CLOSED, payload)
    await pipeline.bus.drain()
    # (the engine publishes the batch's session's own packets too, when it closes)
    assert [e.packet for e in pipeline.seen if isinstance(e, PacketEmitted) and e.packet["sessionId"] == "sq_9_pk"] \
        == [packet]
    assert [e.session_id for e in pipeline.seen if isinstance(e, BatchReceived)] == ["sq_9_ok"]
    assert [(e.session_id, e.at) for e in pipeline.seen if isinstance(e, ConnectionClosed)] == [("sq_9_ok", 2000)]
    assert pipeline.refused == {"packet": 2, "json": 1, "schema": 1, "close": 2}
    assert pipeline.batches_seen("sq_9_ok") == 1
