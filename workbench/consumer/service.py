"""Seer on the bus (section 4.2): packets, bot verdicts and chat telemetry in; interventions out.

Interventions are published as ``{"type": "intervention", ...}`` on the session's
``seer.{t}.intervention.request.{s}`` subject, which the bridge forwards to that page's
subscription (and only messages of that type: packets on the same subject never reach
the browser). An optional composer (:class:`~workbench.consumer.compose.LLMComposer`) writes the
message, asked only once Seer has decided to intervene and someone will read it (not for a packet whose
page is gone with no page of the visit live); the guard and the templates stand behind it.

Section 10.4: a session id belongs to the tenant Seer first saw it with (its first batch or packet).
A batch, packet, bot verdict or close of another tenant that uses the same id is dropped, logged and counted
(:attr:`SeerService.rejected`), as the engine drops such batches: it must not answer, suppress or end
the owner's visit. A packet Seer refuses as malformed (:func:`~workbench.consumer.seer.packet_problem`)
is dropped the same way.

Any publisher may put messages on the bus, so telemetry is checked whole before Seer uses any of it, by the
check the engine's service makes (:mod:`workbench.protocol.inbound`): a batch the engine would refuse as not
JSON, not the schema, ids that are no names, too deep or from another clock is refused here too, and so is one
more than ``max_clock_skew_ms`` older than the newest event time Seer has of its session (as the engine and the
bridge fence a session's clock); a close without a session id, or whose ``at`` is no epoch ms, ends nothing;
a bot verdict without the section 8.3 fields the pipeline reports (:func:`~workbench.protocol.inbound.read_detection`)
marks no session.
Each is logged and counted in :attr:`SeerService.rejected` by reason, and no session's state changes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from workbench import bus as subjects
from workbench.bus import Bus, Lanes
from workbench.config import InferenceConfig, InterventionConfig, TransportConfig
from workbench.consumer.seer import Intervention, Seer, packet_problem
from workbench.protocol.inbound import Refused, behind_the_session, read_batch, read_close, read_detection
from workbench.protocol.taxonomy import name_token
from workbench.recent import Recent

log = logging.getLogger(__name__)

TENANTS_REMEMBERED = 10_000  # session ids whose tenant is kept (oldest forgotten first)

Composer = Callable[[dict[str, Any], str], Awaitable[str | None]]  # (packet, strategy) -> message
Listener = Callable[[Intervention], None]


class SeerService:
    def __init__(self, bus: Bus, config: InterventionConfig | None = None, *, seed: int = 0,
                 composer: Composer | None = None, on_intervention: Listener | None = None,
                 on_outcome: Listener | None = None,
                 max_clock_skew_ms: float = TransportConfig().max_clock_skew_ms,
                 session_timeout_ms: float = InferenceConfig().session_timeout_ms) -> None:
        """``max_clock_skew_ms``: the bridge's and the engine's clock fence (``transport.max_clock_skew_ms``);
        ``session_timeout_ms``: the engine's ``inference.session_timeout_ms`` (section 1.3), after which the
        same id is a new session with its own grace period."""
        self.bus = bus
        self.max_clock_skew_ms = max_clock_skew_ms
        self.seer = Seer(config, seed=seed, session_timeout_ms=session_timeout_ms)
        self.composer = composer
        self.on_intervention = on_intervention
        self.on_outcome = on_outcome
        self.sent = 0
        self.ignored_closes = 0
        #: messages dropped, by reason: "tenant" (another tenant's batch, packet or verdict for a session id), "packet"
        #: (a packet Seer refused as malformed), "bot" (a malformed verdict), "close" (a malformed close), and for a
        #: batch "json", "schema", "identity", "depth" or "clock" (:func:`~workbench.protocol.inbound.read_batch`);
        #: closes of another tenant are counted in ``ignored_closes``
        self.rejected: Counter[str] = Counter()
        # the tenant each session id was first seen with (the bridge checked its telemetry): another tenant's
        # connection that uses the same id must not answer, suppress or end this one (section 10.4)
        self._tenant_of: Recent[str, str] = Recent(TENANTS_REMEMBERED)

    async def start(self) -> None:
        # one lane per session for all four: a packet waiting on the composer holds up its own session's
        # messages only, and a close or a verdict still comes after the packet handed over before it
        lanes = Lanes(subjects.session_key)
        await self.bus.subscribe("seer.*.intervention.request.*", self._on_packet, lanes=lanes)
        await self.bus.subscribe("bot.*.detection.*", self._on_bot, lanes=lanes)
        await self.bus.subscribe(subjects.TELEMETRY_RAW, self._on_batch, lanes=lanes)
        await self.bus.subscribe(subjects.SESSION_CLOSED, self._on_closed, lanes=lanes)

    def _owned(self, session_id: str, tenant: str, what: str) -> bool:
        """Is ``tenant`` the session's owner (section 10.4)? The first tenant seen with the id owns it; a
        message of another is logged and counted, for the caller to drop. Seeing the owner keeps it remembered."""
        owner = self._tenant_of.get(session_id)
        if owner is not None and owner != tenant:
            self.rejected["tenant"] += 1
            log.warning("Seer dropped a %s of session %s: tenant %r is not the session's (section 10.4)", what,
                        session_id, tenant)
            return False
        self._tenant_of.put(session_id, tenant)
        return True

    async def _on_packet(self, subject: str, payload: bytes) -> None:
        try:
            packet = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            self.rejected["packet"] += 1
            log.warning("Seer dropped a packet that is not JSON: %s", exc)
            return
        if subjects.is_intervention(packet):
            return  # our own output on the shared subject
        problem = packet_problem(packet)
        if problem is not None:
            self.rejected["packet"] += 1
            log.warning("Seer dropped a packet it cannot act on: %s", problem)
            return
        if not self._owned(packet["sessionId"], packet["tenantId"], "packet"):
            return
        message = None
        # Decide first: the composer is the deep model (section 7.3), paid for only when an
        # intervention will go out: not for quiet emotions, in a cooldown, or when triage said no.
        # It writes in the strategy the bandit chose, which is the one credited with the outcome.
        if self.composer is not None and (strategy := self.seer.plan(packet)) is not None:
            try:
                message = await self.composer(packet, strategy)
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
        detection = read_detection(payload)  # as the pipeline checks it: one message, one verdict
        if isinstance(detection, Refused):
            self.rejected["bot"] += 1
            log.warning("Seer dropped %s", detection.message)
            return
        tenant = subject.split(".")[1]  # bot.{t}.detection.{s}: the verdict's payload (section 8.3) names no tenant
        if not self._owned(detection["session_id"], tenant, "bot verdict"):
            return
        self.seer.on_bot(detection["session_id"], detection["classification"])

    async def _on_batch(self, subject: str, payload: bytes) -> None:
        batch = read_batch(payload, max_clock_skew_ms=self.max_clock_skew_ms)  # as the engine checks it
        if isinstance(batch, Refused):
            self.rejected[batch.reason] += 1
            log.warning("Seer dropped %s", batch.message)
            return
        sid = batch["sessionId"]
        if not self._owned(sid, batch["tenantId"], "batch"):
            return
        events = batch["events"]
        if events and (problem := behind_the_session(sid, min(float(e["timestamp"]) for e in events),
                                                     self.seer.latest_of(sid), self.max_clock_skew_ms)):
            self.rejected["clock"] += 1  # the engine refuses it too (and the bridge): the session's clock went past it
            log.warning("Seer dropped a batch behind its session's clock: %s", problem)
            return
        settled = self.seer.on_events(sid, events, name_token(batch.get("vertical"), ""))
        self._report(settled)

    async def _on_closed(self, subject: str, payload: bytes) -> None:
        info = read_close(payload)
        if isinstance(info, Refused):  # checked before Seer ends anything: a close it cannot place ends nothing
            self.rejected[info.reason] += 1
            log.warning("Seer ignored %s", info.message)
            return
        owner = self._tenant_of.get(info["sessionId"])
        if owner is not None and info.get("tenantId") is not None and info["tenantId"] != owner:
            self.ignored_closes += 1
            log.warning("Seer ignored the close of session %s: tenant %r is not the session's", info["sessionId"],
                        info["tenantId"])
            return
        self._report(self.seer.on_session_end(info["sessionId"], info.get("at")))

    def _report(self, settled: list[Intervention]) -> None:
        if self.on_outcome:
            for intervention in settled:
                self.on_outcome(intervention)
