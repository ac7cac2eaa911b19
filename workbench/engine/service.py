"""The engine on the bus: telemetry.raw in; packets, emotions and bot verdicts out (EITP v1.1 section 4.2).

A thin I/O adapter around the pure :class:`~workbench.engine.core.Engine`. For each packet it
publishes, in this order:

* ``seer.{t}.intervention.request.{s}``: the full section 5 packet, for the consumer;
* ``emotions.{t}.detected.{s}``: the emotion event, for persistence;
* ``emotions.{t}.{s}``: the session's emotional profile (current emotion, history, counts), for
  chat context.

Bot verdicts go to ``bot.{t}.detection.{s}`` as the section 8.3 log. A session judged a bot gets
no further packets, so no LLM call and no intervention follow. Section 10.4: a batch whose
``tenantId`` is not the tenant this service serves (when it serves one), or not the tenant its
session began with, is rejected and counted in :attr:`EngineService.rejected`. No payload ever
carries the bridge-injected IP (section 10.3).
"""

from __future__ import annotations

import logging
from collections import Counter

import orjson

from workbench import bus as subjects
from workbench.bus import Bus
from workbench.config import EITPConfig
from workbench.engine.classifier import EmotionClassifier
from workbench.engine.core import BotOut, Engine, Output, PacketOut
from workbench.errors import ValidationError
from workbench.protocol.schema import errors as schema_errors

log = logging.getLogger(__name__)


class EngineService:
    def __init__(self, bus: Bus, config: EITPConfig, *, tenant_id: str | None = None,
                 classifier: EmotionClassifier | None = None) -> None:
        self.bus = bus
        self.tenant_id = tenant_id
        self.engine = Engine(config, classifier=classifier)
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
        if self.tenant_id is not None and batch["tenantId"] != self.tenant_id:
            self.rejected["tenant"] += 1
            log.warning("engine rejected batch of session %s: tenant %r is not %r (section 10.4)",
                        batch["sessionId"], batch["tenantId"], self.tenant_id)
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

    async def close_all(self) -> None:
        """End of input: flush every open session's last window."""
        await self._publish(self.engine.close_all())

    async def _publish(self, outputs: list[Output]) -> None:
        for out in outputs:
            if isinstance(out, PacketOut):
                p = out.packet
                t, s = p["tenantId"], p["sessionId"]
                await self.bus.publish(subjects.intervention_request(t, s), orjson.dumps(p))
                await self.bus.publish(subjects.emotions_detected(t, s), orjson.dumps(
                    {"sessionId": s, "tenantId": t, "timestamp": p["timestamp"], "emotion": p["emotion"],
                     "section": p["spatial"]["currentSection"], "patterns": p["patterns"]["detected"]}))
                await self.bus.publish(subjects.emotions_profile(t, s), orjson.dumps(out.profile))
            elif isinstance(out, BotOut):
                await self.bus.publish(subjects.bot_detection(out.tenant_id, out.session_id), orjson.dumps(out.log()))
