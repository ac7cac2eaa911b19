"""The engine on the bus: telemetry.raw in; packets, emotions and bot verdicts out (section 4.2).

A thin I/O adapter around the pure :class:`~workbench.engine.core.Engine`.
"""

from __future__ import annotations

import logging
from collections import Counter

import orjson

from workbench import bus as subjects
from workbench.bus import Bus
from workbench.config import EITPConfig
from workbench.engine.core import BotOut, Engine, Output, PacketOut
from workbench.errors import ValidationError
from workbench.protocol.schema import errors as schema_errors

log = logging.getLogger(__name__)


class EngineService:
    def __init__(self, bus: Bus, config: EITPConfig) -> None:
        self.bus = bus
        self.engine = Engine(config)
        self.rejected: Counter[str] = Counter()

    async def start(self) -> None:
        await self.bus.subscribe(subjects.TELEMETRY_RAW, self._on_batch)
        await self.bus.subscribe(subjects.SESSION_CLOSED, self._on_closed)

    async def _on_batch(self, subject: str, payload: bytes) -> None:
        try:
            batch = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            self.rejected["json"] += 1
            log.warning("engine rejected a batch that is not JSON: %s", exc)
            return
        problems = schema_errors(batch, "batch")
        if problems:
            self.rejected["schema"] += 1
            log.warning("engine rejected an invalid batch: %s", "; ".join(problems[:3]))
            return
        try:
            outputs = self.engine.ingest(batch)
        except ValidationError as exc:
            self.rejected["tenant"] += 1
            log.warning("engine rejected batch: %s", exc)
            return
        await self._publish(outputs)

    async def _on_closed(self, subject: str, payload: bytes) -> None:
        info = orjson.loads(payload)
        await self._publish(self.engine.close_session(info["sessionId"], info.get("at")))

    async def _publish(self, outputs: list[Output]) -> None:
        for out in outputs:
            if isinstance(out, PacketOut):
                p = out.packet
                t, s = p["tenantId"], p["sessionId"]
                body = orjson.dumps(p)
                await self.bus.publish(subjects.intervention_request(t, s), body)
                await self.bus.publish(subjects.emotions_detected(t, s), orjson.dumps(
                    {"sessionId": s, "timestamp": p["timestamp"], "emotion": p["emotion"],
                     "section": p["spatial"]["currentSection"], "patterns": p["patterns"]["detected"]}))
            elif isinstance(out, BotOut):
                await self.bus.publish(subjects.bot_detection(out.tenant_id, out.session_id), orjson.dumps(out.log()))
