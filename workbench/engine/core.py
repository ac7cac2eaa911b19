"""The inference engine's pure core: telemetry batches in, EITP v1.1 packets and bot verdicts out.

Sections 2.4, 5, 7.2, 8 and 10. Time comes only from event timestamps: a session's events
are buffered into 10 s windows of *event time*; a window closes when an event of that session
at or past its end arrives, or when the session's connection closes. The same input therefore
always gives the same packets, at any replay speed.

Sessions (section 1.3) are their id, and end after the session timeout of inactivity measured on
*their own* clock, not with a connection. When a connection closes, the session's last window is
flushed and the bot filter judges what it has (as below), but the session is kept, closed, so
that a reconnect (section 4.4) or the visit's next page, which keeps the id, continues it: the
same duration, history, trajectory and bot verdict. Verdicts only move forward ("human" and "bot"
stand; a rule that fires still turns "human" into "bot"). One exception: a session judged a
connection-only probe and nothing else, that interacts on a later connection, starts afresh there.
Closed sessions are kept up to ``inference.closed_sessions_kept``, the least recently closed
forgotten first, without their page content (every batch brings it again). A batch whose first
event comes more than ``session_timeout_ms`` after the session's last one ends the old session
and starts a new one. One session's timestamps never expire
another (in virtual time each browser context has its own clock, and they drift apart).
:meth:`Engine.expire` is an explicit sweep for sessions that went silent, against a time the
caller names on their clock; :meth:`Engine.time_out` closes one the caller found silent by another
clock (the service's event-time watermark, :mod:`workbench.engine.watermark`), as a close would and
kept for its own clock to judge its next batch; :meth:`Engine.close_all` ends the input. A session that timed out
closed, in its own event time, ``session_timeout_ms`` after its last event; the bot filter judges
it closed then (a connection-only probe is one, section 8.1). Two exceptions: at the end of input
the close time is unknown; and a session whose own next batch shows interaction had someone at the
page all along (a tab left open before the first move: 55 of the 349 human sessions the corpora
test replays look so), so its quiet start is judged on its events alone, not as a probe.

Delivery is at least once: the producer re-sends a POST whose answer was lost, which the bridge may have
published already. An event equal to one of the session's latest (type, timestamp, section, data) is that
one again and is dropped before the bot filter and the windows read it (:mod:`workbench.engine.repeats`);
a batch of nothing else changes nothing, not even the bot wait's batch count.

Batches may arrive out of order: the bridge accepts one up to a minute older than the newest (a
page's unload flush can land after the next page's first batch). The session then begins at its
earliest event, a window's events are classified in time order, and a packet is never stamped
before the session's previous one, so the section 5.4 durations are never negative. Event times
the bridge refuses (``transport.max_clock_skew_ms``: an event that far from its batch's timestamp,
or a batch that much older than the session's newest event) are refused here too, as a whole
batch (:class:`ClockError`), for batches that reach the engine some other way.

Bot gate (section 8, Appendix C "Bot classification wait: 3 batches ~30s"): a closed window is
held, not classified, until the bot filter has a verdict. "human" releases the held windows in
order (classified then, so the packets are the same as without the hold); "bot" drops them, so
a bot never reaches classification, an LLM tier or a consumer. When the connection closes the
filter has all the evidence it will get: the held windows are released unless the session is a
bot. A human's first packet therefore comes after the wait, ~30 s of event time, when section
9.3 allows a consumer to act after 10 s at the earliest. A bot's verdict is final: its later batches
add no evidence (nothing would read it), so a bot that goes on sending costs no more per batch.

AI-assisted classification (section 8.2, ``Engine(ai_review=True)``; off by default, and then nothing
here changes): when the rules would clear a session but some came close to firing
(:func:`botfilter.near_misses`), its verdict becomes "review" instead of "human". It emits a
:class:`ReviewOut` with a PII-free evidence summary, keeps holding its windows (those that close
meanwhile too), and waits for :meth:`Engine.apply_review`: a confident "bot" drops them, anything
else (including a failed call) releases them as the rules' "human" would have. A rule that fires
meanwhile still wins at once. A session is reviewed once, at the verdict: near misses that appear
after it was cleared are not. A session that closes under review (or whose close is what completes
the wait) keeps its held windows, the last one included, until its review is applied, so the packets
are the same whether the close comes before or after the answer; one that ends for good first (timed
out, or forgotten for room) is *parked* until then.

Readings of section 5 worth knowing:

* ``behavioral.scrollDepth`` is "maximum scroll depth in current batch": the deepest point the
  viewport reached during the window, counting the depth it started the window at (the page
  does not move back to the top between windows). ``clickCount`` counts the window's clicks.
* ``spatial.visitCount`` counts entries into the current section over the session (of the
  :data:`SECTIONS_KEPT` sections it entered last: section names are the page's to choose);
  ``spatial.trigger`` is the window's most telling spatial event, or ``None`` when calm.
* ``temporal.timeSinceLastEmotion`` is the time since the previous classification (the
  session duration for the first one).
* ``emotion.trajectory`` compares the new classification with the last
  ``trajectory_history - 1`` ones (section 5.2: at least 3 classifications in all).
* ``globalIntelligence`` is ``None``: no cross-session aggregate is kept (section 5.9).
* ``spatial.trigger`` takes a ``{kind}_hover`` only for the section 3.5 element kinds: any other name
  is the client's string, kept out of packets as section names are (:func:`name_token`).
* The section 4.2 profile (:attr:`PacketOut.profile`) tells the rules' emotions; after enrichment,
  :meth:`Engine.published` gives the one of the packet as published (the LLM tier's emotions).

The bridge-injected ``ip`` is read only by the bot filter (section 10.3) and is never copied
into a packet, a profile or a detection log.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.config import EITPConfig, InferenceConfig
from workbench.engine import botfilter, ipreputation, repeats
from workbench.engine.classifier import Classification, Context, EmotionClassifier, RulesClassifier
from workbench.engine.features import INTENT_RANK, Features, FormField, extract
from workbench.errors import ValidationError
from workbench.protocol.inbound import behind_the_session, off_its_batch
from workbench.protocol.taxonomy import NEGATIVE, POSITIVE, Emotion, name_token
from workbench.recent import Recent

Batch = Mapping[str, Any]

#: distinct sections whose entries a session counts (``visitCount``, pricing visits, revisits, new sections);
#: past this, the least recently entered is forgotten. Section names are the page's own ``section[id]``s (1-64
#: characters, :func:`name_token`): a page that makes up a new one for every event grew a session by ~130 bytes
#: an event, 230 MiB an hour at the bridge's 500 events a second, and every window re-read them all. The demo
#: sites have 8 sections a page; 512 covers a visit through 64 such pages, and costs at most ~100 KiB a session,
#: about what botfilter.ACTIONS_KEPT's action times do.
SECTIONS_KEPT = 512


class ClockError(ValidationError):
    """A batch whose event times cannot be its session's (the bridge's "Timestamp Violation", 4.6)."""


@dataclass(frozen=True)
class PacketOut:
    """One EITP v1.1 packet (section 5) and the session's emotional profile after it (4.2)."""

    packet: dict[str, Any]
    profile: dict[str, Any] = field(default_factory=dict)
    #: the visit it came from, for :meth:`Engine.published` (the id may start a new visit, or be parked, meanwhile)
    session: SessionState | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class BotOut:
    tenant_id: str
    session_id: str
    timestamp: float
    verdict: botfilter.BotVerdict
    #: the section 8.2 answer this verdict applied (classification, None when the call failed; confidence;
    #: reasoning; the visit's start), so a replay of the telemetry can apply it again (:mod:`workbench.lab`)
    review: dict[str, Any] | None = None

    def log(self) -> dict[str, Any]:
        """The section 8.3 detection log record (plus ``review`` when an AI review decided it)."""
        v = self.verdict
        log = {"session_id": self.session_id, "tenant_id": self.tenant_id, "timestamp": self.timestamp,
               "classification": v.classification, "confidence": v.confidence, "reasoning": v.reasoning,
               "signals": list(v.signals), "event_count": v.event_count}
        if self.review is not None:
            log["review"] = self.review
        return log


@dataclass(frozen=True)
class ReviewOut:
    """Section 8.2 AI-assisted classification asked for: the rules cleared the session, but some came
    close (:func:`~workbench.engine.botfilter.near_misses`). Its windows stay held until the caller
    answers with :meth:`Engine.apply_review`. ``evidence`` is the PII-free summary the model may see
    (:func:`~workbench.engine.botfilter.review_evidence`). ``visit_start``: the first event's time of
    the visit under review (an id may be reused after a timeout), stored with the answer."""

    tenant_id: str
    session_id: str
    timestamp: float
    evidence: dict[str, Any]
    visit_start: float | None = None


Output = PacketOut | BotOut | ReviewOut


@dataclass(frozen=True)
class HeldWindow:
    """A closed window waiting for the bot verdict, with what its packet needs from that moment."""

    events: list[Mapping[str, Any]]
    covered_ms: float | None  # event time it spans from its first event; None: up to its last event
    page_content: Any


@dataclass
class Shown:
    """The emotions a visit's packets said as published, in that order: after enrichment, where the LLM tier may
    have replaced the rules' (section 7.3). What its section 4.2 profile tells (:meth:`Engine.published`)."""

    classifications: int
    counts: Counter[str]
    history: deque[tuple[float, str, float]]


@dataclass
class SessionState:
    session_id: str
    tenant_id: str
    vertical: str = ""
    first_ts: float | None = None
    last_ts: float = 0.0
    window_start: float | None = None
    window: list[Mapping[str, Any]] = field(default_factory=list)
    section_visits: Counter[str] = field(default_factory=Counter)
    current_section: str | None = None  # none yet: the first section seen is an entry, "page" included
    scroll_depth: float = 0.0  # where the viewport is now (the last scroll event's depth)
    max_depth: float = 0.0  # deepest scroll of the session
    history: deque[tuple[float, str, float]] = field(default_factory=deque)
    emotion_counts: Counter[str] = field(default_factory=Counter)
    page_content: Any = None
    submitted: bool = False
    tab_switches: int = 0
    bot: botfilter.BotEvidence = field(default_factory=botfilter.BotEvidence)
    verdict: str = "uncertain"  # "uncertain" | "human" | "bot" | "review" (awaiting apply_review, 8.2)
    signals: tuple[str, ...] = ()  # the bot signals of that verdict
    reopened: bool = False  # a connection after the first: a reconnect, or the visit's next page
    near_misses: tuple[str, ...] = ()  # what made the session ambiguous (section 8.2 AI review)
    review_ts: float = 0.0  # when the review was asked for: the time of its verdict
    review_visit: float | None = None  # the visit it was asked for: its first event's time then
    held: list[HeldWindow] = field(default_factory=list)  # windows closed before the bot verdict
    # fingerprints of its latest events (:mod:`workbench.engine.repeats`): a batch delivered twice is read once
    recent_events: bytes = b""
    # what its packets published after enrichment, for its section 4.2 profile (:meth:`Engine.published`)
    shown: Shown | None = None
    # carried from window to window (features.extract): focused form fields, the last active event,
    # and the event rates (per full window) of the last few windows, the "decreasing events" baseline
    open_fields: tuple[FormField, ...] = ()
    last_active_ts: float | None = None
    recent_rates: deque[float] = field(default_factory=deque)


class Engine:
    """Feed batches with :meth:`ingest`; collect packets and bot verdicts it returns.

    ``classifier`` is the classification step (default: the section 6 rules); an LLM tier
    plugs in there. ``ai_review``: ambiguous sessions get the section 8.2 AI review (a
    :class:`ReviewOut` to answer with :meth:`apply_review`) instead of the rules' "human".
    """

    def __init__(self, config: EITPConfig | None = None, *, classifier: EmotionClassifier | None = None,
                 ai_review: bool = False) -> None:
        self.config = config or EITPConfig()
        self.classifier: EmotionClassifier = classifier or RulesClassifier(self.config.classifier)
        self.ai_review = ai_review
        ipreputation.load(self.config.bot.datacenter_ranges_file)  # a bad list fails here, not mid-stream
        self.sessions: dict[str, SessionState] = {}  # connected
        # closed, and continued by the id's next batch within the session timeout (section 1.3)
        self.closed: Recent[str, SessionState] = Recent(self.config.inference.closed_sessions_kept,
                                                        on_evict=lambda sid, state: self._end(state))
        # ended sessions whose review is not applied yet, oldest first per id (an id may be reused
        # after a timeout): their held windows wait for apply_review
        self.parked: dict[str, list[SessionState]] = {}

    # --- input -------------------------------------------------------------------------
    def ingest(self, batch: Batch) -> list[Output]:
        """Process one telemetry batch (already schema-checked by the caller).

        Raises :class:`ValidationError` when the batch claims another tenant than the session
        it continues (section 10.4), :class:`ClockError` when its event times are not the
        session's (section 4.6); nothing of it is used then.
        """
        sid, tenant = str(batch["sessionId"]), str(batch["tenantId"])
        state = self._known(sid)
        if state is not None and state.tenant_id != tenant:
            raise ValidationError(f"batch for session {sid} claims tenant {tenant!r}, "
                                  f"session belongs to {state.tenant_id!r}")
        events = sorted(batch.get("events", ()), key=lambda e: float(e["timestamp"]))
        self._check_clock(batch, events, state)
        # exact repeats (a batch delivered twice, :mod:`repeats`) go before the bot filter and the windows see them
        prints = repeats.fingerprints(events)
        new = repeats.fresh(state.recent_events if state is not None else b"", prints)
        if not new.all():
            if events and not new.any():
                return []  # all of it was taken before: nothing new, not even a batch for the bot wait
            events, prints = [e for e, n in zip(events, new, strict=True) if n], prints[new]
        out: list[Output] = []
        if sid not in self.sessions and state is not None:  # the visit is back: a reconnect or its next page
            self.closed.pop(sid)
            first = float(events[0]["timestamp"]) if events else float(batch.get("timestamp", state.last_ts))
            if self._expired(state, first):
                self._end(state)  # over: this batch starts a new session
                state = None
            else:
                self.sessions[sid] = state
                state.reopened = True
        if state is not None and state.reopened and _probe_then_person(state, events):
            del self.sessions[sid]  # someone was at the page all along: judged afresh from here
            self._end(state)
            state = None
        if state is not None and events and self._expired(state, float(events[0]["timestamp"])):
            # timed out on its own clock: this batch starts a new session
            out += self.close_session(sid, at=None if _interacts(events) else self._timed_out_at(state))
            self._end(self.closed.pop(sid))
            state = None
        if state is None:
            keep = max(self.config.inference.emotion_history, self.config.inference.trajectory_history)
            state = self.sessions[sid] = SessionState(
                sid, tenant, name_token(batch.get("vertical"), ""), history=deque(maxlen=keep),
                bot=botfilter.BotEvidence(self.config.bot),
                recent_rates=deque(maxlen=self.config.classifier.activity_baseline_windows))
        state.recent_events = repeats.remember(state.recent_events, prints,
                                               repeats.kept(self.config.transport.max_buffer))
        content = batch.get("pageContent")  # the content of the events after any window they close
        if state.verdict != "bot":  # a bot's verdict is final: its evidence is never read again
            state.bot.add_batch(events, batch.get("userAgent"), batch.get("ip"))
        out += self._check_bot(state, float(batch.get("timestamp", state.last_ts)))
        window_ms = self.config.inference.buffer_window_ms
        for event in events:
            ts = float(event["timestamp"])
            state.first_ts = ts if state.first_ts is None else min(state.first_ts, ts)
            if state.window_start is not None and ts >= state.window_start + window_ms:
                out += self._close_window(state, covered=window_ms)
            if content:
                state.page_content, content = content, None
            if state.window_start is None:
                state.window_start = ts
            state.window.append(event)
            state.last_ts = max(state.last_ts, ts)
        if content:
            state.page_content = content
        return out

    def _check_clock(self, batch: Batch, events: Sequence[Mapping[str, Any]], state: SessionState | None) -> None:
        """Raise :class:`ClockError`, before anything is used, for event times the bridge refuses
        (``transport.max_clock_skew_ms``, section 4.6): an event that far from its batch's timestamp,
        or older by that much than the session's newest. A batch put on the bus directly skips the
        bridge, and one such event would set the session's start or its clock (section 5.4 durations
        of years, a bot wait over at once)."""
        skew = self.config.transport.max_clock_skew_ms
        if problem := off_its_batch(batch, skew):
            raise ClockError(problem)
        if events and state is not None and state.first_ts is not None and (
                problem := behind_the_session(batch["sessionId"], float(events[0]["timestamp"]), state.last_ts, skew)):
            raise ClockError(problem)

    def close_session(self, session_id: str, at: float | None = None) -> list[Output]:
        """The producer's connection ended: judge the session on all its evidence, flush the last
        window, and keep the session, closed, for its next connection (section 1.3)."""
        state = self.sessions.pop(session_id, None)
        if state is None:
            return []
        if at is not None:
            state.bot.closed_at = at
        out = self._check_bot(state, at if at is not None else state.last_ts, closed=True)
        out += self._close_window(state, covered=None)
        if state.verdict not in ("review", "bot"):  # under review, the answer decides (apply_review)
            out += self._classify_held(state)  # no more evidence may come: not a bot is enough
        state.page_content = None  # every batch carries it: the next connection's first one brings it back
        self.closed.put(session_id, state)
        return out

    def _end(self, state: SessionState | None) -> None:
        """A closed session is over for good: forgotten, or parked until its review is applied."""
        if state is not None and state.verdict == "review":
            self.parked.setdefault(state.session_id, []).append(state)

    def _known(self, session_id: str) -> SessionState | None:
        """The session of this id, connected or closed."""
        return self.sessions.get(session_id) or self.closed.get(session_id)

    def awaiting_review(self, session_id: str) -> bool:
        """Whether a review of this id is still to be applied (its packets then still need their context)."""
        state = self._known(session_id)
        return session_id in self.parked or (state is not None and state.verdict == "review")

    def close_all(self) -> list[Output]:
        """End of input: flush every connected session (in session-id order, for determinism)."""
        return [o for sid in sorted(self.sessions) for o in self.close_session(sid)]

    def expire(self, now: float) -> list[Output]:
        """Explicit idle sweep: end the sessions whose last event is more than the session timeout
        before ``now``, connected or closed. ``now`` must be on the clock of the sessions it is compared
        with (the engine never reads a clock, and every session's clock may be its own)."""
        stale = {sid: self._timed_out_at(s) for sid, s in self.sessions.items() if self._expired(s, now)}
        out = [o for sid in sorted(stale) for o in self.close_session(sid, at=stale[sid])]
        for sid, state in self.closed.items():
            if self._expired(state, now):
                self._end(self.closed.pop(sid))
        return out

    def time_out(self, session_id: str) -> list[Output]:
        """Close a connected session that went silent and whose close never came (section 1.3), as a close
        would, stamped when it timed out on its own clock (``session_timeout_ms`` after its last event); it is
        kept, closed, like any closed session. For a caller that tells silence by another clock (an event-time
        watermark, :mod:`workbench.engine.watermark`): the session's own next batch still decides, on its own
        clock, whether it continues the visit or starts a new one."""
        state = self.sessions.get(session_id)
        return [] if state is None else self.close_session(session_id, at=self._timed_out_at(state))

    def _expired(self, state: SessionState, now: float) -> bool:
        return state.first_ts is not None and now - state.last_ts > self.config.inference.session_timeout_ms

    def _timed_out_at(self, state: SessionState) -> float:
        """When an expired session closed, on its own clock: the timeout after its last event."""
        return state.last_ts + self.config.inference.session_timeout_ms

    # --- bot gate ------------------------------------------------------------------------
    def _assess(self, state: SessionState, *, closed: bool) -> botfilter.BotVerdict:
        inference = self.config.inference
        return botfilter.assess(state.bot, self.config.bot, wait_batches=inference.bot_wait_batches,
                                wait_ms=inference.bot_wait_ms, closed=closed)

    def _check_bot(self, state: SessionState, ts: float, *, closed: bool = False) -> list[Output]:
        if state.verdict == "bot":
            return []  # final (section 8): nothing to assess
        verdict = self._assess(state, closed=closed)
        if verdict.classification == state.verdict:
            return []
        if state.verdict in ("human", "review") and verdict.classification != "bot":
            # verdicts only move forward: a session cleared at a close is not "uncertain" again when it
            # comes back, and one under review (or reviewed) is not reviewed again; a rule that fires wins
            return []
        if self.ai_review and verdict.classification == "human" and state.verdict == "uncertain":
            near = botfilter.near_misses(state.bot, self.config.bot)
            if near:  # section 8.2: an ambiguous case, reviewed before it is cleared
                state.verdict, state.near_misses, state.review_ts = "review", near, ts
                state.review_visit = state.first_ts
                return [ReviewOut(state.tenant_id, state.session_id, ts,
                                  botfilter.review_evidence(state.bot, self.config.bot, near), state.first_ts)]
        return self._settle(state, ts, verdict)

    def _settle(self, state: SessionState, ts: float, verdict: botfilter.BotVerdict,
                review: dict[str, Any] | None = None) -> list[Output]:
        """Record ``verdict`` as the session's: its section 8.3 log, then the held windows dropped (a
        bot) or released (a human)."""
        state.verdict, state.signals = verdict.classification, verdict.signals
        out: list[Output] = [BotOut(state.tenant_id, state.session_id, ts, verdict, review)]
        if state.verdict == "bot":
            state.held.clear()  # bots never reach inference (section 8)
        elif state.verdict == "human":
            out += self._classify_held(state)
        return out

    def apply_review(self, session_id: str, classification: str | None, confidence: float = 0.0,
                     reasoning: str = "") -> list[Output]:
        """The answer to a :class:`ReviewOut` (section 8.2): the session's verdict, as a :class:`BotOut`,
        and its held windows' packets when it is not a bot.

        "bot" only when the model says so with at least ``ai_review_min_confidence``: signal
        ``ai_classification``, held windows dropped. Anything else ("human", "uncertain", a less sure
        "bot", or ``classification=None`` when the call failed, ``reasoning`` then saying why) leaves the
        rules' verdict, "human", and releases the held windows. Reviews of a closed session (parked)
        are applied first, in the order they were asked for. A session not awaiting a review (unknown,
        already answered, or flagged by a rule meanwhile) gets nothing: ``[]``.
        """
        queue = self.parked.get(session_id)
        known = self._known(session_id)
        if queue:
            state = queue.pop(0)
            if not queue:
                del self.parked[session_id]
        elif known is not None and known.verdict == "review":
            state = known
        else:
            return []
        rules = self._assess(state, closed=True)  # the wait is over or the session closed: the rules' "human"
        near = ", ".join(state.near_misses)
        reasoning = " ".join(reasoning.split())[:300]
        answer = {"classification": classification, "confidence": confidence, "reasoning": reasoning,
                  "visit_start": state.review_visit}
        min_confidence = self.config.bot.ai_review_min_confidence
        if classification == "bot" and confidence >= min_confidence:
            verdict = botfilter.BotVerdict("bot", round(confidence, 2),
                                           f"AI review of near misses ({near}): bot, confidence {confidence:.2f}: "
                                           f"{reasoning}", ("ai_classification",), rules.event_count)
        else:
            if classification is None:
                why = f"AI review failed ({reasoning or 'no answer'}), the rules' verdict stands"
            elif classification == "human":
                why = f"cleared by AI review (human, confidence {confidence:.2f}): {reasoning}"
            elif classification == "bot":
                why = (f"AI review said bot at confidence {confidence:.2f} < {min_confidence:g}, the rules' "
                       f"verdict stands: {reasoning}")
            else:
                why = f"AI review {classification!r} ({confidence:.2f}), the rules' verdict stands: {reasoning}"
            verdict = botfilter.BotVerdict("human", rules.confidence, f"{rules.reasoning}; near misses ({near}) {why}",
                                           (), rules.event_count)
        return self._settle(state, state.review_ts, verdict, answer)

    # --- classification ----------------------------------------------------------------
    def _close_window(self, state: SessionState, *, covered: float | None) -> list[Output]:
        """Seal the open window; ``covered`` is the event time it spans from its first event (the
        buffer length when a later event closed it, ``None``: up to its last event)."""
        events, state.window, state.window_start = state.window, [], None
        if not events or state.verdict == "bot":
            return []  # bots never reach inference (section 8)
        events.sort(key=lambda e: float(e["timestamp"]))  # late batches were appended as they arrived
        state.held.append(HeldWindow(events, covered, state.page_content))
        return self._classify_held(state) if state.verdict == "human" else []

    def _classify_held(self, state: SessionState) -> list[Output]:
        held, state.held = state.held, []
        return [self._classify(state, window) for window in held]

    def _classify(self, state: SessionState, window: HeldWindow) -> PacketOut:
        events = window.events
        feats = extract(events, seen_sections=set(state.section_visits), config=self.config,
                        scroll_depth_before=state.scroll_depth, window_ms=window.covered_ms,
                        focused_before=state.open_fields, last_active_before=state.last_active_ts)
        for i, section in enumerate(feats.sections):
            if i > 0 or section != state.current_section:
                _entered(state.section_visits, section)
        state.current_section = feats.sections[-1] if feats.sections else state.current_section
        state.submitted = state.submitted or feats.form_submits > 0
        state.tab_switches += feats.tab_aways
        # the window's newest event, never before the previous packet: the session's clock only goes forward
        ts = max(float(events[-1]["timestamp"]), state.history[-1][0] if state.history else -math.inf)
        session_ms = ts - (state.first_ts if state.first_ts is not None else ts)
        full_window = float(self.config.inference.buffer_window_ms)
        ctx = Context(session_ms=session_ms, pricing_visits=state.section_visits["pricing"],
                      submitted_before=state.submitted, tab_switches_total=state.tab_switches,
                      max_depth_before=state.max_depth,
                      history=tuple(e for _, e, _ in state.history), full_window_ms=full_window,
                      recent_events_per_window=(sum(state.recent_rates) / len(state.recent_rates)
                                                if state.recent_rates else None))
        result = self.classifier.classify(feats, ctx)
        previous = state.history[-1] if state.history else None
        trajectory = self._trajectory(state, result.emotion, result.intensity)
        state.history.append((ts, result.emotion.value, result.intensity))
        state.emotion_counts[result.emotion.value] += 1
        rate = feats.events_per_window(full_window, self.config.classifier.rate_min_window_ms)
        if rate is not None:
            state.recent_rates.append(rate)
        state.open_fields, state.last_active_ts = feats.open_fields, feats.last_active_ts
        state.scroll_depth = feats.scroll_depth_last
        state.max_depth = max(state.max_depth, feats.scroll_depth_max)
        packet = {
            "sessionId": state.session_id,
            "tenantId": state.tenant_id,
            "timestamp": ts,
            "emotion": {"primary": result.emotion.value, "confidence": result.confidence,
                        "intensity": result.intensity, "trajectory": trajectory},
            "spatial": {"currentSection": state.current_section or "page",
                        "visitCount": max(1, state.section_visits[state.current_section or "page"]),
                        "trigger": _trigger(events)},
            "temporal": {"sessionDuration": session_ms,
                         "timeSinceLastEmotion": ts - previous[0] if previous else session_ms},
            "behavioral": {"scrollDepth": round(min(100.0, max(0.0, feats.scroll_depth_max)), 1),
                           "clickCount": feats.clicks},
            "patterns": {"detected": list(result.patterns)},
            "intent": _intent(feats),
            "pageContent": window.page_content,
            "globalIntelligence": None,
        }
        return PacketOut(packet, self._profile(state, packet, result), state)

    def _trajectory(self, state: SessionState, emotion: Emotion, intensity: float) -> str:
        return trajectory(list(state.history), emotion, intensity, self.config.inference)

    @staticmethod
    def _profile(state: SessionState, packet: dict[str, Any], result: Classification) -> dict[str, Any]:
        return emotional_profile(packet, state.emotion_counts, state.history, result.patterns)

    def published(self, out: PacketOut, packet: Mapping[str, Any]) -> dict[str, Any]:
        """The section 4.2 profile of ``out`` as published: ``packet`` is its packet after enrichment, whose
        emotion the LLM tier may have replaced. The current emotion, dominant one, counts and history are then
        those the visit's packets published, not the rules' answers they replaced (the tier recomputes the
        trajectory the same way, :mod:`workbench.enrichment`); the rest is the engine's. Call it for each
        packet, in the order they are published: without enrichment :attr:`PacketOut.profile` is the profile."""
        state, keep = out.session, max(self.config.inference.emotion_history, self.config.inference.trajectory_history)
        shown = _shown_after(state.shown if state is not None else None, out.profile, packet, keep)
        if state is not None:
            state.shown = shown
        return emotional_profile(packet, shown.counts, shown.history, out.profile.get("patterns", ()))


def _entered(visits: Counter[str], section: str) -> None:
    """Count an entry into ``section``, now the most recently entered (a dict keeps insertion order); past
    :data:`SECTIONS_KEPT` sections, the least recently entered one is forgotten."""
    visits[section] = visits.pop(section, 0) + 1
    if len(visits) > SECTIONS_KEPT:
        del visits[next(iter(visits))]


def emotional_profile(packet: Mapping[str, Any], counts: Mapping[str, int],
                      history: Sequence[tuple[float, str, float]], patterns: Sequence[str]) -> dict[str, Any]:
    """The section 4.2 ``emotions.{tenantId}.{sessionId}`` emotional profile for chat context: where the
    session stands now (``packet``) and how it got there (the ``counts`` and last ``history`` of its
    classifications, this one included), without telemetry detail."""
    dominant = max(sorted(counts), key=lambda e: counts[e])
    return {
        "sessionId": packet["sessionId"],
        "tenantId": packet["tenantId"],
        "timestamp": packet["timestamp"],
        "current": dict(packet["emotion"]),
        "dominant": dominant,
        "counts": dict(sorted(counts.items())),
        "history": [{"timestamp": t, "emotion": e, "intensity": i} for t, e, i in history],
        "classifications": sum(counts.values()),
        "sessionDuration": packet["temporal"]["sessionDuration"],
        "currentSection": packet["spatial"]["currentSection"],
        "intent": dict(packet["intent"]),
        "patterns": list(patterns),
    }


def _shown_after(shown: Shown | None, profile: Mapping[str, Any], packet: Mapping[str, Any], keep: int) -> Shown:
    """The visit's published emotions with ``packet``'s added. ``profile`` (the engine's, built with the packet)
    says which classification of the visit it is; when the record does not end at the one before (the visit's
    first packet, or a record lost), it starts from the rules' answers before this one."""
    n = int(profile["classifications"])
    if shown is None or shown.classifications != n - 1:
        before = Counter(profile["counts"])
        before[profile["current"]["primary"]] -= 1
        shown = Shown(n - 1, +before, deque(((float(h["timestamp"]), str(h["emotion"]), float(h["intensity"]))
                                             for h in profile["history"][:-1]), maxlen=keep))
    emotion = packet["emotion"]
    shown.counts[str(emotion["primary"])] += 1
    shown.history.append((packet["timestamp"], str(emotion["primary"]), emotion["intensity"]))
    shown.classifications = n
    return shown


def trajectory(history: Sequence[tuple[float, str, float]], emotion: Emotion | str, intensity: float,
               inference: InferenceConfig) -> str:
    """Section 5.2: the direction over the last classifications (at least 3 with this one).

    ``history`` holds the session's earlier (timestamp, emotion, intensity), oldest first. Pure, so
    the LLM tier can recompute it for the emotions it publishes (:mod:`workbench.enrichment`)."""
    emotion = Emotion(emotion)
    delta_min = inference.trajectory_delta
    recent = list(history)[-(inference.trajectory_history - 1):]
    if not recent:
        return "stable"
    intensities = [i for _, e, i in recent if e == emotion.value]
    if len(intensities) == len(recent):
        delta = intensity - sum(intensities) / len(intensities)
        return "intensifying" if delta > delta_min else "cooling" if delta < -delta_min else "stable"
    before = Emotion(recent[-1][1])
    if emotion in NEGATIVE and before not in NEGATIVE:
        return "intensifying"
    if emotion in POSITIVE and before not in POSITIVE:
        return "cooling"
    return "intensifying" if intensity > recent[-1][2] + delta_min else "stable"


def _interacts(events: list[Mapping[str, Any]]) -> bool:
    return any(str(e["type"]) not in botfilter.CONNECTION_ONLY_TYPES for e in events)


def _probe_then_person(state: SessionState, events: list[Mapping[str, Any]]) -> bool:
    """A session judged a connection-only probe, and nothing else, that interacts on a later connection
    (the first batch back carries only its ``connection`` event, so any batch of the reopened session
    counts): someone was at the page all along (a tab opened before its first move, then reloaded or
    reconnected), so the visit is judged afresh from there, as the timeout path judges such a start."""
    return state.verdict == "bot" and state.signals == ("connection_only",) and _interacts(events)


SPATIAL_TRIGGERS = ("rage_click", "viewport_approach", "long_tab_return", "pricing_comparison", "form_submit",
                    "text_selection_with_price", "mouse_exit")


def _trigger(events: list[Mapping[str, Any]]) -> str | None:
    """The most telling spatial event of the window, by a fixed precedence; None when calm."""
    kinds = {str(e["type"]) for e in events}
    for kind in SPATIAL_TRIGGERS:
        if kind in kinds:
            return kind
    # only the section 3.5 kinds' {kind}_hover: any other name is the client's string (free text, an e-mail
    # address ...), which must not reach a consumer (section 10) as section names do not (name_token)
    hovers = [k for k in kinds if k.endswith("_hover") and k.removesuffix("_hover") in INTENT_RANK]
    return max(sorted(hovers), key=lambda k: INTENT_RANK[k.removesuffix("_hover")]) if hovers else None


def _intent(f: Features) -> dict[str, Any]:
    """Section 5.7: how close to acting, and which action."""
    rank = INTENT_RANK.get(f.top_intent_kind or "", 0)
    if f.form_submits or f.cta_clicks:
        rank = max(rank, 5)
    level = "high" if rank >= 5 else "medium" if rank >= 3 else "low"
    if f.form_submits or f.cta_clicks or f.form_filled:
        action = "purchase"
    elif f.exit_signals:
        action = "exit"
    elif f.tier_alternations or f.pricing_comparisons or f.long_tab_returns:
        action = "comparison"
    else:
        action = "research"
    evidence = (f.cta_hovers + f.cta_clicks + f.form_focuses + f.tier_alternations + f.pricing_comparisons
                + f.exit_signals + f.price_hovers)
    return {"level": level, "action": action, "confidence": round(min(0.95, 0.3 + 0.1 * evidence), 2)}
