"""A long `workbench serve` sees every visitor: what the bridge and the pipeline keep per session is bounded
by ``transport.limiter_max_sessions``, the least recently touched sessions forgotten first."""

from __future__ import annotations

import orjson

from tests.bridge.live import TENANT, Client, LiveBridge, eventually
from tests.conftest import batch, mouse_path
from workbench import bus as subjects
from workbench.config import EITPConfig
from workbench.llm.tier import LLMSettings
from workbench.pipeline import Pipeline

INTERVENTION = orjson.dumps({"type": "intervention", "message": "Happy to help compare"})


async def test_the_pipeline_forgets_the_least_recent_sessions_batch_counts_and_closes():
    config = EITPConfig().with_overrides({"transport.limiter_max_sessions": 3})
    pipeline = Pipeline(config, consumer=False, intelligence=False, llm=LLMSettings())
    await pipeline.start()
    try:
        for i in range(6):
            sid = f"sq_{i}_mem"
            doc = batch(mouse_path(1000, 3), session=sid, tenant=pipeline.tenant_id)
            await pipeline.bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(doc))
            await pipeline.bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"sessionId": sid, "at": 2000}))
        await pipeline.bus.drain()
        assert len(pipeline._batches) == 3 and len(pipeline._closed) == 3
        assert [pipeline.batches_seen(f"sq_{i}_mem") for i in range(6)] == [0, 0, 0, 1, 1, 1]
        assert await pipeline.wait_closed("sq_5_mem", timeout=1.0)  # a recent close is still known
    finally:
        await pipeline.stop()


async def test_the_bridge_counts_deliveries_for_the_most_recent_sessions_only():
    live = await LiveBridge(limiter_max_sessions=2).start()
    try:
        for i in range(4):
            sid = f"sq_{i}_deliv"
            client = await Client.open(live.url, sid)
            await client.send(b"SUB " + subjects.intervention_request(TENANT, sid).encode() + b" 1\r\n")
            assert await client.ping() == []
            await live.bus.publish(subjects.intervention_request(TENANT, sid), INTERVENTION)
            await eventually(lambda s=sid: live.server.delivered.get((TENANT, s), 0) == 1, what=f"{sid} delivered")
            await client.close()
        assert [key for key, _ in live.server.delivered.items()] == [(TENANT, "sq_2_deliv"), (TENANT, "sq_3_deliv")]
    finally:
        await live.stop()
