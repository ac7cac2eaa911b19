"""The composition root: one in-process workbench (bus, bridge and sites, engine, event stream).

Like Locust's ``Environment``: everything a run needs is wired here once, and the CLI,
the runner and the TUI only talk to this object.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import orjson

from workbench import bus as subjects
from workbench.bridge.server import DEFAULT_TENANT, BridgeServer
from workbench.bus import Bus, InProcessBus
from workbench.config import EITPConfig
from workbench.consumer.bandit import OUTCOMES, SUCCESS_OUTCOMES
from workbench.consumer.compose import LLMComposer
from workbench.consumer.seer import Intervention
from workbench.consumer.service import SeerService
from workbench.engine.service import EngineService
from workbench.enrichment import Enricher
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    ConnectionClosed,
    EventStream,
    InterventionOutcome,
    InterventionSent,
    KnowledgeValidated,
    PacketEmitted,
)
from workbench.intelligence import Intelligence
from workbench.llm.botreview import BotReviewer
from workbench.llm.tier import LLMSettings, LLMTier
from workbench.protocol.inbound import Refused, read_batch, read_close, read_detection, read_packet
from workbench.recent import Recent

log = logging.getLogger(__name__)


class Pipeline:
    def __init__(self, config: EITPConfig | None = None, *, stream: EventStream | None = None,
                 bus: Bus | None = None, tenant_id: str = DEFAULT_TENANT, consumer: bool = True,
                 intelligence: bool = True, llm: LLMSettings | None = None, seed: int = 0) -> None:
        """``consumer``: run Seer (interventions back to the page). ``intelligence``: fill
        ``globalIntelligence``. ``llm``: the optional Claude tier (default: on only when
        ``ANTHROPIC_API_KEY`` or ``WORKBENCH_LLM_BASE_URL`` is set)."""
        self.config = config or EITPConfig()
        self.stream = stream or EventStream()
        self.bus: Bus = bus or InProcessBus()
        self.tenant_id = tenant_id
        # Appendix C's "EITP enrichment timeout" is the tier's one deadline for triage and deep together
        llm = llm if llm is not None else LLMSettings.from_env(timeout_ms=self.config.inference.enrichment_timeout_ms)
        self.llm = LLMTier(llm) if llm.enabled else None
        self.intelligence = Intelligence(on_knowledge=self._knowledge) if intelligence else None
        enrich = (Enricher(intelligence=self.intelligence, llm=self.llm, inference=self.config.inference)
                  if (self.intelligence or self.llm) else None)
        # section 8.2 AI-assisted classification of ambiguous sessions: with the tier, never without it
        self.reviewer = BotReviewer(llm) if llm.enabled else None
        self.engine = EngineService(self.bus, self.config, enrich=enrich, reviewer=self.reviewer)
        # the composer is the deep model too (7.3): its calls and the tier's deep calls share one budget
        self.composer = LLMComposer(llm, budget=self.llm.deep_budget) if self.llm else None
        self.seer = SeerService(self.bus, self.config.intervention, seed=seed, composer=self.composer,
                                on_intervention=self._sent, on_outcome=self._outcome,
                                max_clock_skew_ms=self.config.transport.max_clock_skew_ms,
                                session_timeout_ms=self.config.inference.session_timeout_ms) if consumer else None
        self.server = BridgeServer(self.bus, self.config, tenant_id=tenant_id)
        self.base_url = ""
        # what a run's visits wait on, per session; a long `workbench serve` sees every visitor, so
        # the sessions touched least recently are forgotten, as the bridge's limiters are
        kept = self.config.transport.limiter_max_sessions
        self._batches: Recent[str, int] = Recent(kept)
        self._batch_seen = asyncio.Event()
        self._closed: Recent[str, asyncio.Event] = Recent(kept)
        # messages on the bus this run's reports were not given: with --nats anyone may publish there
        self.refused: Counter[str] = Counter()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        await self.engine.start()
        await self.bus.subscribe(subjects.TELEMETRY_RAW, self._on_batch)
        await self.bus.subscribe("seer.*.intervention.request.*", self._on_packet)
        await self.bus.subscribe("bot.*.detection.*", self._on_bot)
        await self.bus.subscribe(subjects.SESSION_CLOSED, self._on_closed)
        if self.seer is not None:  # after our own listeners, so a packet is reported before its answer
            await self.seer.start()
        self.base_url = await self.server.start(host, port)
        return self.base_url

    async def stop(self) -> None:
        """Stop the bridge, handle what is in flight, close the bus: closed even when the drain raises (a NATS
        bus reports messages it lost there)."""
        try:
            await self.server.stop()
            await self.bus.drain()
        finally:
            await self.bus.close()

    def batches_seen(self, session_id: str) -> int:
        return self._batches.get(session_id, 0)

    async def wait_for_batches(self, session_id: str, count: int, timeout: float) -> bool:
        """Wait (wall time, I/O edge only) until ``count`` batches of a session have arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.batches_seen(session_id) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._batch_seen.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._batch_seen.wait()
            except TimeoutError:
                return False
        return True

    def interventions_delivered(self, session_id: str) -> int:
        """How many interventions the bridge has queued for the session's page (``MSG`` frames)."""
        return self.server.delivered.get((self.tenant_id, session_id), 0)

    def llm_counters(self) -> dict[str, int]:
        """LLM calls, tokens and fallbacks of this run (empty when the tier is off)."""
        total: dict[str, int] = {}
        for counters in (self.llm.counters if self.llm else {}, self.composer.counters if self.composer else {},
                         self.reviewer.counters if self.reviewer else {}):
            for key, value in counters.items():
                total[key] = total.get(key, 0) + value
        return total

    def _sent(self, i: Intervention) -> None:
        self.stream.emit(InterventionSent(i.session_id, i.timestamp, i.emotion, i.section, i.strategy, i.message,
                                          i.source, i.experiment))

    def _outcome(self, i: Intervention) -> None:
        self.stream.emit(InterventionOutcome(i.session_id, i.timestamp, i.strategy, str(i.outcome)))
        if self.intelligence is None or i.outcome not in OUTCOMES:
            return
        if i.revised_from in OUTCOMES:  # the same intervention's outcome, revised: counted once (7.6)
            self.intelligence.revise_outcome(i.tenant_id, i.session_id, i.emotion, i.section,
                                             i.revised_from in SUCCESS_OUTCOMES, i.outcome in SUCCESS_OUTCOMES)
        else:  # 7.6: a pattern's Wilson confidence
            self.intelligence.add_outcome(i.tenant_id, i.session_id, i.emotion, i.section,
                                          i.outcome in SUCCESS_OUTCOMES)

    def _knowledge(self, at: float, patterns: list[dict[str, Any]]) -> None:
        self.stream.emit(KnowledgeValidated(at, patterns))

    def _closed_event(self, session_id: str) -> asyncio.Event:
        return self._closed.get(session_id) or self._closed.put(session_id, asyncio.Event())

    async def wait_closed(self, session_id: str, timeout: float) -> bool:
        """Wait until the bridge reported the session's connection closed."""
        try:
            async with asyncio.timeout(timeout):
                await self._closed_event(session_id).wait()
        except TimeoutError:
            return False
        return True

    def _refuse(self, refused: Refused) -> None:
        self.refused[refused.reason] += 1
        log.warning("pipeline: not reported: %s", refused.message)

    async def _on_closed(self, subject: str, payload: bytes) -> None:
        info = read_close(payload)
        if isinstance(info, Refused):
            return self._refuse(info)
        at = info.get("at")
        self.stream.emit(ConnectionClosed(info["sessionId"], float(at) if at is not None else None))
        self._closed_event(info["sessionId"]).set()

    async def _on_batch(self, subject: str, payload: bytes) -> None:
        batch = read_batch(payload, max_clock_skew_ms=self.config.transport.max_clock_skew_ms)  # as the engine
        if isinstance(batch, Refused):
            return self._refuse(batch)
        batch.pop("ip", None)  # section 10.3: the IP stops at the engine's bot and geo logic
        sid = batch["sessionId"]
        self._batches.put(sid, self._batches.get(sid, 0) + 1)
        self._batch_seen.set()
        self.stream.emit(BatchReceived(sid, batch["tenantId"], batch))

    async def _on_packet(self, subject: str, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            return self._refuse(Refused("packet", f"a packet that is not JSON: {exc}"))
        if subjects.is_intervention(message):
            return  # Seer's answer shares the subject (section 4.2); it is reported as InterventionSent
        packet = read_packet(message)
        if isinstance(packet, Refused):
            return self._refuse(packet)
        self.stream.emit(PacketEmitted(packet))

    async def _on_bot(self, subject: str, payload: bytes) -> None:
        detection = read_detection(payload)
        if isinstance(detection, Refused):
            return self._refuse(detection)
        self.stream.emit(BotVerdictEmitted(detection))
