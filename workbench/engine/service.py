"""The engine on the bus: telemetry.raw in; packets, emotions and bot verdicts out (EITP v1.1 section 4.2).

A thin I/O adapter around the pure :class:`~workbench.engine.core.Engine`. For each packet it
publishes, in this order:

* ``seer.{t}.intervention.request.{s}``: the full section 5 packet, for the consumer;
* ``emotions.{t}.detected.{s}``: the emotion event, for persistence;
* ``emotions.{t}.{s}``: the session's emotional profile (current emotion, history, counts), for
  chat context. With enrichment, its emotions are those the packets published, the tier's where it
  replaced the rules' (:meth:`~workbench.engine.core.Engine.published`), so chat context never
  contradicts the packet.

Bot verdicts go to ``bot.{t}.detection.{s}`` as the section 8.3 log. Nothing is published for a
session before its verdict (the core holds its windows for the Appendix C bot classification
wait), and a session judged a bot gets no further packets, so no LLM call and no intervention
follow. Section 10.4: a batch whose ``tenantId`` is not the tenant this service serves (when it
serves one), or not the tenant its session began with, is rejected and counted in
:attr:`EngineService.rejected`. So is a batch whose event times the bridge would have refused
(section 4.6, :class:`~workbench.engine.core.ClockError`), counted as ``clock``. No payload ever
carries the bridge-injected IP (section 10.3).

Any publisher may put messages on the bus, so each batch and close is checked whole before the engine
sees it (:mod:`workbench.protocol.inbound`, the same check Seer's service makes): a batch that is not JSON,
fails the schema, names no subject-safe ids, is nested too deeply to write out, or has an event another
clock's distance from its timestamp; a close without a session id, or whose ``at`` is no epoch ms. Each is
logged and counted by reason, and nothing of the session changes.

Section 8.2 AI-assisted classification: with a ``reviewer`` the engine asks for a review of the
ambiguous sessions (:class:`~workbench.engine.core.ReviewOut`); the service awaits it, applies the
answer and publishes what follows (the verdict, then any released packets) before it handles the
session's next message, so given the same replies a run is the same. Without one, the engine never
asks and nothing changes.

Sessions whose close never came (core NATS is at most once) are timed out in event time (section 1.3):
once the tenant's event-time watermark has gone ``inference.session_timeout_ms`` past where it stood at a
session's last batch (:mod:`workbench.engine.watermark`: the newest event time of the tenant's batches,
moved at most ``transport.flush_interval_ms`` per batch), the session is closed as a close would close it,
its last window classified and published, and its context (the IP included, section 10.3) forgotten. Only
the watermark's advance counts, so page clocks minutes apart (virtual time) never time out a session that
keeps sending. No wall clock is read.

Telemetry is taken in one lane per session (:class:`~workbench.bus.Lanes`): a session's batches and
its close in the order the bridge published them, different sessions' concurrently. So a session
waiting on an LLM call (the tier's enrichment, a review) holds up its own messages only; every
call the pure engine takes is whole between two awaits, and it never answers one session's batch
with another session's output. Without a slow call, batches are handled in the order they came.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson

from workbench import bus as subjects
from workbench.bus import Bus, Lanes
from workbench.config import EITPConfig
from workbench.engine.classifier import EmotionClassifier
from workbench.engine.core import BotOut, ClockError, Engine, Output, PacketOut, ReviewOut
from workbench.engine.watermark import Watermark
from workbench.errors import ValidationError
from workbench.protocol.inbound import Refused, read_batch, read_close
from workbench.protocol.taxonomy import name_token

log = logging.getLogger(__name__)


class Review(Protocol):
    """A section 8.2 review answer (:class:`workbench.llm.botreview.ReviewVerdict`)."""

    @property
    def classification(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def reasoning(self) -> str: ...


#: ``await reviewer(evidence, now_ms)`` -> (answer, "") or (None, why it failed); never raises
Reviewer = Callable[[dict[str, Any], float], Awaitable[tuple[Review | None, str]]]


class EngineService:
    def __init__(self, bus: Bus, config: EITPConfig, *, tenant_id: str | None = None,
                 classifier: EmotionClassifier | None = None,
                 enrich: Callable[[dict[str, Any], dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
                 reviewer: Reviewer | None = None) -> None:
        """``enrich(packet, batch_context)`` may refine a rules packet before it is published (the
        LLM tier, global intelligence: :mod:`workbench.enrichment`); the pure engine stays untouched.
        ``reviewer``: the section 8.2 AI review of ambiguous sessions (:mod:`workbench.llm.botreview`)."""
        self.bus = bus
        self.enrich = enrich
        self.reviewer = reviewer
        self._context: dict[str, dict[str, Any]] = {}
        self.tenant_id = tenant_id
        self.engine = Engine(config, classifier=classifier, ai_review=reviewer is not None)
        # a step of the watermark: how far an active page's clock moves from one batch to its next (section 4.3)
        self.watermark = Watermark(timeout_ms=config.inference.session_timeout_ms,
                                   step_ms=config.transport.flush_interval_ms)
        self.timed_out = 0  # sessions closed for silence past the watermark (their close never came)
        self.lanes = Lanes(subjects.session_key)  # one per session: its batches and close in order
        #: batches and closes refused, by reason: json, schema, identity, depth, clock
        #: (:mod:`workbench.protocol.inbound`, and the engine's own clock fence), tenant (10.4), close (malformed)
        self.rejected: Counter[str] = Counter()
        self.unwritable = 0  # packets dropped as not writable as JSON (read_batch keeps the too deep out)

    async def start(self) -> None:
        # one subscription for batches and closes: a close is handled after every batch published before
        # it, even while a batch waits on an LLM call (two subscriptions each keep their own order only)
        await self.bus.subscribe(subjects.TELEMETRY, self._on_telemetry, lanes=self.lanes)

    async def _on_telemetry(self, subject: str, payload: bytes) -> None:
        if subject == subjects.TELEMETRY_RAW:
            await self._on_batch(subject, payload)
        elif subject == subjects.SESSION_CLOSED:
            await self._on_closed(subject, payload)

    async def _on_batch(self, subject: str, payload: bytes) -> None:
        batch = read_batch(payload, max_clock_skew_ms=self.engine.config.transport.max_clock_skew_ms)
        if isinstance(batch, Refused):  # not JSON, not the schema, ids that are no names, too deep, another clock
            self.rejected[batch.reason] += 1
            log.warning("engine rejected %s", batch.message)
            return
        if self.tenant_id is not None and batch["tenantId"] != self.tenant_id:
            self.rejected["tenant"] += 1
            log.warning("engine rejected batch of session %s: tenant %r is not %r (section 10.4)",
                        batch["sessionId"], batch["tenantId"], self.tenant_id)
            return
        try:
            outputs = self.engine.ingest(batch)
        except ValidationError as exc:
            self.rejected["clock" if isinstance(exc, ClockError) else "tenant"] += 1
            log.warning("engine rejected batch: %s", exc)
            return
        # What enrichment may know of a session beyond its packets: its vertical and (for geo
        # only) the bridge-injected IP, which never leaves this process in a packet and is
        # forgotten with the session (section 10.3). Only an accepted batch may set it (10.4).
        sid = str(batch["sessionId"])
        self._context[sid] = {"vertical": name_token(batch.get("vertical"), ""), "ip": batch.get("ip")}
        newest = max((float(e["timestamp"]) for e in batch["events"]), default=None)
        silent = self.watermark.batch(str(batch["tenantId"]), sid, newest)
        await self._publish(outputs)
        for other in silent:
            # a session with a message of its own waiting (its lane held up by an LLM call) is not silent: its
            # next batch watches it again
            if not self.lanes.busy(other):
                await self._time_out(other)

    async def _time_out(self, sid: str) -> None:
        """A session silent past the tenant's watermark (section 1.3): closed as its lost close would have,
        its context forgotten (section 10.3) unless a review still to apply needs it."""
        if sid in self.engine.sessions:
            self.timed_out += 1
            log.info("engine timed out session %s: silent past its tenant's event-time watermark", sid)
        await self._closed(sid, self.engine.time_out(sid))

    async def _on_closed(self, subject: str, payload: bytes) -> None:
        info = read_close(payload)
        if isinstance(info, Refused):  # checked before the engine ends (and forgets) anything of the session
            self.rejected[info.reason] += 1
            log.warning("engine ignored %s", info.message)
            return
        sid = info["sessionId"]
        state = self.engine.sessions.get(sid)
        if state is not None and info.get("tenantId") is not None and info["tenantId"] != state.tenant_id:
            self.rejected["tenant"] += 1  # a connection of another tenant that used this session id (10.4)
            log.warning("engine ignored the close of session %s: tenant %r is not the session's", sid,
                        info["tenantId"])
            return
        self.watermark.forget(sid)
        await self._closed(sid, self.engine.close_session(sid, info.get("at")))

    async def _closed(self, sid: str, outputs: list[Output]) -> None:
        """Publish what a session's close released, then forget its context (section 10.3), unless a review
        still to apply releases packets that need it."""
        await self._publish(outputs)
        if not self.engine.awaiting_review(sid):
            self._context.pop(sid, None)

    async def close_all(self) -> None:
        """End of input: flush every open session's last window."""
        for sid in self.engine.sessions:
            self.watermark.forget(sid)
        await self._publish(self.engine.close_all())

    async def _publish(self, outputs: list[Output]) -> None:
        for out in outputs:
            if isinstance(out, PacketOut):
                p, profile = out.packet, out.profile
                t, s = p["tenantId"], p["sessionId"]
                if self.enrich is not None:
                    p = await self.enrich(p, self._context.get(s, {}))
                    profile = self.engine.published(out, p)  # the profile of the packet as it goes out (4.2)
                try:  # read_batch refuses what could not be written; should a packet still fail, only it is lost
                    messages = [(subjects.intervention_request(t, s), orjson.dumps(p)),
                                (subjects.emotions_detected(t, s), orjson.dumps(
                                    {"sessionId": s, "tenantId": t, "timestamp": p["timestamp"],
                                     "emotion": p["emotion"], "section": p["spatial"]["currentSection"],
                                     "patterns": p["patterns"]["detected"]})),
                                (subjects.emotions_profile(t, s), orjson.dumps(profile))]
                except orjson.JSONEncodeError as exc:
                    self.unwritable += 1
                    log.error("engine dropped a packet of session %s it cannot write: %s", s, exc)
                    continue
                for subject, data in messages:
                    await self.bus.publish(subject, data)
            elif isinstance(out, BotOut):
                await self.bus.publish(subjects.bot_detection(out.tenant_id, out.session_id), orjson.dumps(out.log()))
            elif isinstance(out, ReviewOut):
                await self._publish(await self._review(out))
                sid = out.session_id
                if sid not in self.engine.sessions and not self.engine.awaiting_review(sid):
                    self._context.pop(sid, None)  # a closed session's last packets are out (section 10.3)

    async def _review(self, out: ReviewOut) -> list[Output]:
        """Section 8.2: ask the reviewer, apply its answer (or the reason it has none) to the engine."""
        sid = out.session_id
        answer: Review | None = None
        why = "no reviewer"
        if self.reviewer is not None:
            try:
                answer, why = await self.reviewer(out.evidence, out.timestamp)
            except Exception:  # a reviewer bug must not hold the session's packets for ever
                log.exception("bot review of session %s failed; the rules decide", sid)
                answer, why = None, "reviewer_error"
        if answer is None:
            return self.engine.apply_review(sid, None, reasoning=why)
        return self.engine.apply_review(sid, answer.classification, answer.confidence, answer.reasoning)
