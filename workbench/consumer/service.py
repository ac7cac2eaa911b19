"""Seer on the bus (section 4.2): packets, bot verdicts and chat telemetry in; interventions out.

Interventions are published as ``{"type": "intervention", ...}`` on the session's
``seer.{t}.intervention.request.{s}`` subject, which the bridge forwards to that page's
subscription (and only messages of that type: packets on the same subject never reach
the browser). An optional composer (:class:`~workbench.consumer.compose.LLMComposer`) writes the
message, asked only once Seer has decided to intervene; the guard and the templates stand behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from workbench import bus as subjects
from workbench.bus import Bus, Lanes
from workbench.config import InterventionConfig
from workbench.consumer.seer import Intervention, Seer
from workbench.recent import Recent

log = logging.getLogger(__name__)

TENANTS_REMEMBERED = 10_000  # session ids whose tenant is kept (oldest forgotten first)

Composer = Callable[[dict[str, Any]], Awaitable[str | None]]
Listener = Callable[[Intervention], None]


class SeerService:
    def __init__(self, bus: Bus, config: InterventionConfig | None = None, *, seed: int = 0,
                 composer: Composer | None = None, on_intervention: Listener | None = None,
                 on_outcome: Listener | None = None) -> None:
        self.bus = bus
        self.seer = Seer(config, seed=seed)
        self.composer = composer
        self.on_intervention = on_intervention
        self.on_outcome = on_outcome
        self.sent = 0
        self.ignored_closes = 0
        # the tenant whose accepted telemetry each session id carried (the bridge checked it): a close
        # from another tenant's connection that used the same id must not end this one (section 10.4)
        self._tenant_of: Recent[str, str] = Recent(TENANTS_REMEMBERED)

    async def start(self) -> None:
        # one lane per session for all four: a packet waiting on the composer holds up its own session's
        # messages only, and a close or a verdict still comes after the packet handed over before it
        lanes = Lanes(subjects.session_key)
        await self.bus.subscribe("seer.*.intervention.request.*", self._on_packet, lanes=lanes)
        await self.bus.subscribe("bot.*.detection.*", self._on_bot, lanes=lanes)
        await self.bus.subscribe(subjects.TELEMETRY_RAW, self._on_batch, lanes=lanes)
        await self.bus.subscribe(subjects.SESSION_CLOSED, self._on_closed, lanes=lanes)

    async def _on_packet(self, subject: str, payload: bytes) -> None:
        packet = orjson.loads(payload)
        if subjects.is_intervention(packet):
            return  # our own output on the shared subject
        message = None
        # Decide first: the composer is the deep model (section 7.3), paid for only when an
        # intervention will go out: not for quiet emotions, in a cooldown, or when triage said no.
        if self.composer is not None and self.seer.decide(packet).allowed:
            try:
                message = await self.composer(packet)
            except Exception:  # the composer is an edge (LLM): a failure means "use a template"
                log.exception("composer failed; falling back to a template")
        intervention = self.seer.on_packet(packet, llm_message=message)
        if intervention is not None:
            self.sent += 1
            await self.bus.publish(subject, orjson.dumps(intervention.payload()))
            if self.on_intervention:
                self.on_intervention(intervention)
        self._report(self.seer.take_settled())  # after the announcement: one may be this very intervention

    async def _on_bot(self, subject: str, payload: bytes) -> None:
        detection = orjson.loads(payload)
        self.seer.on_bot(detection["session_id"], detection["classification"])

    async def _on_batch(self, subject: str, payload: bytes) -> None:
        batch = orjson.loads(payload)
        sid = str(batch["sessionId"])
        self._tenant_of.put(sid, str(batch["tenantId"]))
        settled = self.seer.on_events(sid, batch.get("events", []), str(batch.get("vertical", "")))
        self._report(settled)

    async def _on_closed(self, subject: str, payload: bytes) -> None:
        info = orjson.loads(payload)
        owner = self._tenant_of.get(str(info["sessionId"]))
        if owner is not None and info.get("tenantId") is not None and info["tenantId"] != owner:
            self.ignored_closes += 1
            log.warning("Seer ignored the close of session %s: tenant %r is not the session's", info["sessionId"],
                        info["tenantId"])
            return
        self._report(self.seer.on_session_end(str(info["sessionId"]), info.get("at")))

    def _report(self, settled: list[Intervention]) -> None:
        if self.on_outcome:
            for intervention in settled:
                self.on_outcome(intervention)
