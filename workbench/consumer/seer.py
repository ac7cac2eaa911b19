"""Seer, the consumer (EITP v1.1 sections 2.5, 5.10, 7.5, 9): packets in, interventions out.

Pure and in event time. For each packet Seer checks the section 9.3 timing contract (and the
LLM tier's section 7.3 gate, when the packet carries one), lets the bandit pick a strategy for
(tenant, vertical, emotion, section), composes a message (an LLM's, when one is wired in by the
service, else a template), runs the anti-creepiness guard, and returns the intervention. It
also attributes outcomes: the first chat message or lead submission after an intervention
counts for it; a session that ends without either counts as "left" (inside the attribution
window) or "no_response". Outcomes are observed, never reported: ``chat_message`` (the site's
chat widget, through the producer's ``track``), ``form_submit`` (the producer's form tracker)
and the end of the connection are all Seer sees. A session whose connection closes inside the
window is "left" at once; if the same visit comes back (a reconnect, its next page) and answers
within the window after all, the outcome is revised and the bandit's observation moves with it.
Once the session's telemetry has moved past the attribution window with neither, the
intervention is settled as "no_response" there and then (event time), so a visitor who stays
but ignores the message does not wait for the session's end; should an answer stamped inside the window
arrive after all (the bridge accepts a batch up to a minute older than its session's newest), it is revised
as a "left" is. So is a "no_response" settled by a close past the window or by a close the bridge could not
place (``at`` None: a connection that ended before any batch of its own was published, such as a reconnect
attempt or a duplicated tab closed at once, while the visit's page goes on), and one settled because Seer
intervened again before any answer (the section 9.3 cooldown is shorter than the window). An answer counts
for the last intervention shown before it (by event time): one stamped after a newer intervention is that
one's, never a revision of an older one.
A packet can arrive after its page is gone (the engine holds windows until its bot verdict and
flushes the last one on close): Seer still decides, but an intervention it makes then, unless the
visit's next page (the same session id) is connected by then, is settled at once as "undelivered",
recorded and never learned from (nobody saw it); no composer is asked to write it (:meth:`Seer.plan`).
When the next page is connected, the intervention reaches it (the session's subject) and waits for
an answer like any other.

Event time per session is the latest one Seer has seen of it, in telemetry or in a packet: the
engine holds windows until its bot verdict and releases them late, so a packet's own stamp can
be well behind what the visitor's clock reads when the message reaches them. Chat suppression,
cooldown and the intervention's own time are all measured on that latest time; the grace period
on the packet's stamp, so what a visitor did in their first seconds never sets one off, however
late the engine releases it (:func:`~workbench.consumer.cooldown.decide`).

A session is one visit: the producer keeps its id across page loads and reconnects, and the
bridge reports every connection's end (``SESSION_CLOSED``, possibly with an unknown time).
None of that resets the section 9.3 state (grace, cooldown, chat window, bot flag): it lives as
long as Seer remembers the session. Only a new session under the same id (section 1.3: after
``session_timeout_ms`` of inactivity, in event time, as the engine judges it; or a packet whose
session began after everything Seer saw of the id) starts a new grace period. The chat window
goes away with its *page*, which Seer sees as the next page's ``connection`` event, not with a
socket close (a dropped WebSocket
reconnects, or falls back to HTTP POST, on the same page with the chat still open). The chat
window's state is its latest event's by event time, not by arrival: the bridge accepts batches up
to 60 s out of order, and an older ``chat_close`` arriving late must not close a chat reopened since,
nor a ``chat_open`` stamped before the latest page load reopen a chat that went with its page.
Only the visit's own telemetry makes a session whose connection ended live again; the engine's
verdict or last packet released after a close updates it where it is kept, among the ended ones.
That memory is bounded (``ENDED_REMEMBERED``) and holds only sessions Seer has state for: the close
of a connection it never heard from is remembered apart, so no number of them pushes a visitor out
between two pages; and when room must be made, a session whose cooldown, chat suppression or
attribution window still runs at the newest event time seen is kept over one whose windows are over.

Seer's random draws (the bandit's Thompson samples, a template's wording) are each session's own: every
intervention draws from a stream derived from Seer's seed, the visit's id and the intervention's number in
the session (:func:`_stream`), never from one generator all sessions share, so what a session is told does
not depend on how its packets interleaved with other sessions' (the wall-time order of concurrent pages).
The stream is derived afresh each time, so it adds no state: a session forgotten for room and met again
draws as a new one.

A packet is checked before Seer acts on it (:func:`packet_problem`): one whose fields Seer reads
are missing or of the wrong kind, or whose emotion is not one of the 22 canonical ones (section 6
prohibits "unknown"), is refused whole with a :class:`~workbench.errors.ValidationError`, before
any state changes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from workbench.config import InferenceConfig, InterventionConfig
from workbench.consumer import guard, templates
from workbench.consumer.bandit import Context, ThompsonBandit
from workbench.consumer.cooldown import Decision, SessionTiming, decide
from workbench.errors import ValidationError
from workbench.llm.gate import llm_gate
from workbench.protocol.inbound import MAX_EPOCH_MS
from workbench.protocol.inbound import is_time as _time
from workbench.protocol.inbound import shown as _shown
from workbench.protocol.taxonomy import CANONICAL, POSITIVE
from workbench.recent import Recent

log = logging.getLogger(__name__)

ATTRIBUTION_WINDOW_MS = 120_000
ENDED_REMEMBERED = 10_000  # ended sessions whose state is kept for the visit's next page, and late packets
ENDED_EVICTION_SCAN = 1_000  # the oldest ended sessions looked at for one whose windows are over (_evictable)
GUARD_REJECTIONS_KEPT = 1_000  # the latest composed messages the guard turned down, for inspection
#: the outcome of an intervention decided after its page was gone: stored, not one of bandit.OUTCOMES
UNDELIVERED = "undelivered"
#: a producer's session id (section 11.1's ``sq_1740700800000_k8f2m9x1q``): the visit's start in ms, its random part
PRODUCER_ID = re.compile(r"sq_\d+_(.+)", re.DOTALL)
# what each stream of a session's intervention is for (the last word of its spawn key)
CHOOSE, WORDING = 0, 1
# Section 1.1: "a paralyzed buyer (who needs guidance) from a confident one (who needs space)".
# Positive states, active weighing and plain uncertainty get space; distress gets help.
QUIET_EMOTIONS = frozenset({e.value for e in POSITIVE} | {"deliberation", "uncertainty"})


def _field(packet: dict[str, Any], *path: str) -> object:
    """The value at ``path`` in the packet; None when it or an object on the way is missing."""
    value: object = packet
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def packet_problem(packet: object) -> str | None:
    """Why Seer must refuse this packet, or None (sections 5 and 6): the fields it reads, checked
    before it touches any state, so a bad packet is refused whole rather than half applied."""
    if not isinstance(packet, dict):
        return "the packet is not an object"
    for key in ("sessionId", "tenantId"):
        if not isinstance(packet.get(key), str) or not packet[key]:
            return f"{key} {_shown(packet.get(key))} is not a non-empty string"
    for path, most in ((("timestamp",), MAX_EPOCH_MS), (("temporal", "sessionDuration"), math.inf)):
        if not _time(_field(packet, *path), most):
            return (f"{'.'.join(path)} {_shown(_field(packet, *path))} is not a finite number of ms from 0"
                    + (" to the end of year 9999" if most < math.inf else ""))
    primary = _field(packet, "emotion", "primary")
    if not isinstance(primary, str) or primary not in CANONICAL:
        return f"emotion.primary {_shown(primary)} is not one of the 22 canonical emotions (section 6)"
    if not isinstance(_field(packet, "spatial", "currentSection"), str):
        return f"spatial.currentSection {_shown(_field(packet, 'spatial', 'currentSection'))} is not a string"
    for key in ("patterns", "pageContent", "experimentContext"):
        if packet.get(key) is not None and not isinstance(packet[key], dict):
            return f"{key} is a {type(packet[key]).__name__}, not an object"
    detected = _field(packet, "patterns", "detected")
    if detected is not None and not (isinstance(detected, list) and all(isinstance(d, str) for d in detected)):
        return "patterns.detected is not a list of strings"
    return None


def _stream(seed: int, session_id: str, nth: int, purpose: int) -> np.random.Generator:
    """The random stream of the session's ``nth`` intervention, for ``purpose`` (:data:`CHOOSE`, :data:`WORDING`).

    Derived from the seed and the visit, so it is the same in every process (a digest, not Python's salted
    ``hash``) and in whatever order sessions come. A producer's id names the visit by its random part: its
    start in ms differs each time a seeded run is repeated, the visit it names does not. Any other id counts
    whole."""
    visit = PRODUCER_ID.fullmatch(session_id)
    digest = hashlib.blake2b((visit.group(1) if visit else session_id).encode(), digest_size=16).digest()
    words = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, len(digest), 4))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*words, nth, purpose)))


def _in_window(intervention: Intervention, ts: float) -> bool:
    """Is an answer at event time ``ts`` one to this intervention? After it (an event stamped
    before it, in a batch that arrived late, cannot answer it) and inside the attribution window."""
    return 0 <= ts - intervention.timestamp <= ATTRIBUTION_WINDOW_MS


def _shown_since(s: _Session, done: Intervention, ts: float) -> bool:
    """Was an intervention of the session newer than ``done`` shown by event time ``ts``? An answer then is the
    newer one's (the last one shown before it), not ``done``'s; one nobody saw (:data:`UNDELIVERED`) does not count."""
    for i in reversed(s.history):
        if i is done:
            return False
        if i.outcome != UNDELIVERED and i.timestamp <= ts:
            return True
    return False


def _chat_event_is_newer(timing: SessionTiming, ts: float) -> bool:
    """Section 9.3 window state follows the chat's latest event by event time, not by arrival: a
    ``chat_open`` or ``chat_close`` older than the change already applied is stale (ties: the later one)."""
    last = timing.chat_opened_at if timing.chat_opened_at is not None else timing.chat_closed_at
    return last is None or ts >= last


def _fix_start(timing: SessionTiming, latest: float, start: float, gap_ms: float) -> None:
    """The session's start: the first event time Seer learns of it (a verdict carries none), and again the
    start of a new session under the same id (section 1.3: a session expires after its timeout of inactivity,
    and the producer keeps the id), so a new session gets its own section 9.3 grace period.

    ``start`` is a new session's when it comes more than ``gap_ms`` after ``latest``, the latest event time
    Seer has of the id: telemetry that resumes after the timeout (as the engine judges it,
    :meth:`~workbench.engine.core.Engine.ingest`), or a packet whose session began (its stamp less its section
    5.4 ``sessionDuration``) after all Seer saw of the old one (gap 0: the engine says so itself). The start
    itself counts as seen (a session Seer knows only from :meth:`Seer.decide` has no latest time yet)."""
    if timing.started_at is None or start - max(latest, timing.started_at) > gap_ms:
        timing.started_at = start


@dataclass
class Intervention:
    session_id: str
    tenant_id: str
    timestamp: float
    emotion: str
    section: str
    strategy: str
    message: str
    source: str  # template | llm | template_after_guard
    vertical: str = ""
    experiment: dict[str, Any] | None = None
    outcome: str | None = None
    #: the outcome this one replaced, when an answer came after it was settled (:meth:`Seer._revise_left`):
    #: a listener that counted that one moves its count rather than adding a second
    revised_from: str | None = None

    def payload(self) -> dict[str, Any]:
        """What goes to the page: the message and nothing about the telemetry behind it."""
        return {"type": "intervention", "message": self.message, "sessionId": self.session_id,
                "tenantId": self.tenant_id, "timestamp": self.timestamp}


@dataclass
class _Session:
    timing: SessionTiming
    vertical: str = ""
    pending: Intervention | None = None
    history: list[Intervention] = field(default_factory=list)
    latest: float = float("-inf")  # the latest event time seen of the session (telemetry or packets)
    closed_at: float | None = None  # when the page's connection last closed (None: connected, or unknown)
    loaded_at: float | None = None  # the latest page load (a ``connection`` event): older chat events are gone
    # the latest settled "left" or "no_response" (a close, telemetry past its window, a newer intervention):
    # still open to revision by an answer inside its window and before a newer one was shown (_shown_since)
    left: Intervention | None = None
    planned: tuple[float, str] | None = None  # (packet timestamp, strategy) chosen by Seer.plan for its composer


class _Ended(Recent[str, tuple[float, _Session]]):
    """Ended sessions: their latest known end and their state, least recent first."""

    def oldest(self, n: int) -> list[tuple[str, tuple[float, _Session]]]:
        """The ``n`` least recent entries, without copying the rest (``items`` copies them all)."""
        return list(islice(self._items.items(), n))


class Seer:
    def __init__(self, config: InterventionConfig | None = None, *, seed: int = 0,
                 bandit: ThompsonBandit | None = None, vertical_of: dict[str, str] | None = None,
                 session_timeout_ms: float = InferenceConfig().session_timeout_ms) -> None:
        """``session_timeout_ms``: the engine's ``inference.session_timeout_ms`` (section 1.3), after which
        telemetry under the same id is a new session, with a new grace period."""
        self.config = config or InterventionConfig()
        self.session_timeout_ms = session_timeout_ms
        self.bandit = bandit or ThompsonBandit()
        self.seed = seed  # each session's draws derive from it (:func:`_stream`)
        self.sessions: dict[str, _Session] = {}
        self.guard_rejections: deque[tuple[str, list[str]]] = deque(maxlen=GUARD_REJECTIONS_KEPT)
        self.vertical_of = vertical_of or {}
        # Sessions whose connection ended: the latest known end (event time) and the session's state.
        # A packet stamped no later is one the engine released when the page went away, so nothing
        # Seer says about it can be shown; later ones belong to a reconnect or the next page of the
        # same visit (the producer keeps its session id across page loads), and the state carries on.
        # Bounded: when full, a session whose section 9.3 and attribution windows are over goes first.
        self.ended = _Ended(ENDED_REMEMBERED)
        # The ends of connections of sessions Seer has no state for (one that never sent a batch, a reconnect
        # attempt, a session Seer came up too late for), kept apart: however many there are, they never push a
        # visitor's state out of ``ended``. A late packet of such a session still knows its page is gone.
        self.ended_unseen: Recent[str, float] = Recent(ENDED_REMEMBERED)
        #: the newest event time Seer has seen (telemetry or packets, any session): ``ended`` judges windows by it
        self.newest = float("-inf")
        #: interventions :meth:`on_packet` settled on its own (one replaced before any answer:
        #: "no_response"; one for a page already gone: "undelivered"); see :meth:`take_settled`
        self.settled: list[Intervention] = []

    def _known(self, session_id: str) -> _Session | None:
        """The session of this id, connected or ended (kept for a reconnect or the next page)."""
        entry = self.ended.get(session_id)
        return self.sessions.get(session_id) or (None if entry is None else entry[1])

    def latest_of(self, session_id: str) -> float:
        """The latest event time Seer has seen of the session, in telemetry or packets (-inf: none)."""
        s = self._known(session_id)
        return float("-inf") if s is None else s.latest

    def _end_of(self, session_id: str) -> float:
        """The latest known end of the session's connections (-inf: none known)."""
        entry = self.ended.get(session_id)
        return self.ended_unseen.get(session_id, float("-inf")) if entry is None else entry[0]

    def _keep_ended(self, session_id: str, end: float, s: _Session) -> None:
        """Keep an ended session's state and its latest known end, as the most recent of the ended ones."""
        if session_id not in self.ended and len(self.ended) >= self.ended.capacity:
            self.ended.pop(self._evictable())
        self.ended.put(session_id, (end, s))

    def _evictable(self) -> str:
        """The ended session to forget for room: the least recent of the oldest ``ENDED_EVICTION_SCAN`` whose
        cooldown, chat suppression and attribution windows are all over at the newest event time seen (so
        its visit coming back finds nothing lost that still mattered); should every one of them still run
        one (a flood of sessions with an open chat), the least recent, so the memory stays bounded."""
        oldest = self.ended.oldest(ENDED_EVICTION_SCAN)
        for sid, (_, s) in oldest:
            if not self._windows_running(s):
                return sid
        return oldest[0][0]

    def _windows_running(self, s: _Session) -> bool:
        """Does a section 9.3 window (cooldown, chat open or its suppression) or an attribution window of the
        session still run at the newest event time seen?"""
        now, t = self.newest, s.timing
        return ((t.last_intervention_at is not None and now - t.last_intervention_at < self.config.cooldown_ms)
                or t.chat_opened_at is not None
                or (t.chat_closed_at is not None and now - t.chat_closed_at < self.config.window_suppression_ms)
                or any(i is not None and now - i.timestamp <= ATTRIBUTION_WINDOW_MS for i in (s.pending, s.left)))

    def _session(self, session_id: str, *, live: bool) -> _Session:
        """The session's state, wherever it is kept; a new one (its start not yet known) if Seer has none.

        ``live``: this is the visit's own telemetry, so a session whose connection ended is connected
        again (a reconnect, the next page). A bot verdict or a packet is not: the engine releases both
        after a close, and a session that ended stays among the ended ones (bounded), updated there."""
        s = self.sessions.get(session_id)
        if s is not None:
            return s
        entry = self.ended.get(session_id)
        if entry is not None:
            s = entry[1]
        else:
            s = _Session(SessionTiming())
            end = self.ended_unseen.pop(session_id)
            if end is not None:  # its end was known, its state not: keep the two together
                self._keep_ended(session_id, end, s)
        if live or (entry is None and session_id not in self.ended):
            self.sessions[session_id] = s
        return s

    # --- inputs ---------------------------------------------------------------------------
    def on_bot(self, session_id: str, classification: str) -> None:
        if classification == "bot":
            self._session(session_id, live=False).timing.is_bot = True
        elif classification == "human":  # after "bot" only when the engine judged the visit afresh
            s = self._known(session_id)
            if s is not None:  # (a quiet first page judged a probe, then a person on the next)
                s.timing.is_bot = False

    def on_events(self, session_id: str, events: list[dict[str, Any]], vertical: str = "") -> list[Intervention]:
        """Chat-window state and outcome evidence from raw telemetry. Returns interventions whose
        outcome was decided by these events. Events without a type or a time raise
        :class:`~workbench.errors.ValidationError` before anything is applied (the service checks the
        batch against the schema first, :func:`~workbench.protocol.inbound.read_batch`)."""
        for e in events:
            if not (isinstance(e, dict) and isinstance(e.get("type"), str) and _time(e.get("timestamp"))):
                raise ValidationError(f"Seer refused the events of session {_shown(session_id)}: {_shown(e)} has "
                                      "no type or no finite timestamp >= 0")
        if not events:
            return []
        s = self._session(session_id, live=True)
        _fix_start(s.timing, s.latest, min(float(e["timestamp"]) for e in events), self.session_timeout_ms)
        s.vertical = s.vertical or vertical
        decided = []
        for e in events:
            kind, ts = e["type"], float(e["timestamp"])
            s.latest = max(s.latest, ts)
            self.newest = max(self.newest, ts)
            if s.pending and ts - s.pending.timestamp > ATTRIBUTION_WINDOW_MS:
                # the window passed in event time; an answer inside it may still come in a late batch
                s.left = self._settle(s, "no_response")
                decided.append(s.left)
            if kind == "connection":  # a page load: the previous page, and its chat window, are gone
                if s.timing.chat_opened_at is not None and ts >= s.timing.chat_opened_at:  # (not one opened since)
                    went = s.closed_at if s.closed_at is not None and s.closed_at >= s.timing.chat_opened_at else ts
                    s.timing.chat_opened_at, s.timing.chat_closed_at = None, went
                s.closed_at = None
                s.loaded_at = ts if s.loaded_at is None else max(s.loaded_at, ts)
            elif kind == "chat_open" and _chat_event_is_newer(s.timing, ts) and (s.loaded_at is None or
                                                                               ts >= s.loaded_at):
                s.timing.chat_opened_at, s.timing.chat_closed_at = ts, None
            elif kind == "chat_close" and _chat_event_is_newer(s.timing, ts):
                s.timing.chat_opened_at, s.timing.chat_closed_at = None, ts
            outcome = {"chat_message": "chat_engaged", "form_submit": "lead_submitted"}.get(kind)
            if outcome and s.pending and _in_window(s.pending, ts):
                decided.append(self._settle(s, outcome))
            elif outcome and s.left and _in_window(s.left, ts) and not _shown_since(s, s.left, ts):
                decided.append(self._revise_left(s, outcome))
        return decided

    def on_session_end(self, session_id: str, at: float | None) -> list[Intervention]:
        """A connection of the session ended at event time ``at`` (None: the bridge could not place it).

        Called once per connection: a reconnect, or a reconnect attempt that drops before its first
        batch, ends again with the same id. The session's state is kept either way. An ``at`` that is no
        time raises :class:`~workbench.errors.ValidationError` and changes nothing."""
        if at is not None and not _time(at):
            raise ValidationError(f"Seer refused the close of session {_shown(session_id)}: at {_shown(at)} "
                                  "is not a finite number of ms >= 0")
        s = self._known(session_id)
        end = max(self._end_of(session_id), float("-inf") if at is None else float(at))
        if s is None:  # no state to keep: only its end, apart from the visitors' state (see ended_unseen)
            self.ended_unseen.put(session_id, end)
            return []
        s.closed_at = at
        self._keep_ended(session_id, end, s)
        self.sessions.pop(session_id, None)  # only now: its state is kept among the ended ones
        if s.pending is None:
            return []
        left_early = at is not None and at - s.pending.timestamp <= ATTRIBUTION_WINDOW_MS
        # open to revision either way: an answer stamped inside the window may still come (the visit goes on
        # on another connection: a close with no time is one that never carried a batch, not the page's)
        s.left = self._settle(s, "left" if left_early else "no_response")
        return [s.left]

    def _revise_left(self, s: _Session, outcome: str) -> Intervention:
        """An answer inside the attribution window came after all: the connection closed but the visit went
        on (a reconnect, the next page), or the answer's batch arrived after telemetry stamped past the
        window (the bridge accepts batches up to ``max_clock_skew_ms`` late). The bandit's observation moves."""
        done, s.left = s.left, None
        assert done is not None and done.outcome in ("left", "no_response")
        self.bandit.revise(Context(done.tenant_id, done.vertical, done.emotion, done.section), done.strategy,
                           done.outcome, outcome)
        done.revised_from, done.outcome = done.outcome, outcome
        return done

    def take_settled(self) -> list[Intervention]:
        """The interventions :meth:`on_packet` settled since the last call, for the caller to report."""
        taken, self.settled = self.settled, []
        return taken

    def _settle(self, s: _Session, outcome: str) -> Intervention:
        done = s.pending
        assert done is not None
        done.outcome = outcome
        s.pending = None
        if outcome != UNDELIVERED:  # the context the strategy was chosen in, so it lands on the same posterior
            self.bandit.record(Context(done.tenant_id, done.vertical, done.emotion, done.section), done.strategy,
                               outcome)
        return done

    # --- decisions ------------------------------------------------------------------------
    def _packet_session(self, packet: dict[str, Any]) -> tuple[_Session, float]:
        """The packet's session and the decision time: the latest event time seen of the session.

        Raises :class:`~workbench.errors.ValidationError` for a packet Seer must not act on, before
        anything is recorded (:func:`packet_problem`)."""
        problem = packet_problem(packet)
        if problem is not None:
            sid = packet.get("sessionId") if isinstance(packet, dict) else None
            raise ValidationError(f"Seer refused a packet of session {_shown(sid)}: {problem}")
        stamp = float(packet["timestamp"])
        s = self._session(packet["sessionId"], live=False)
        _fix_start(s.timing, s.latest, stamp - float(packet["temporal"]["sessionDuration"]), 0)
        return s, max(s.latest, stamp)

    def decide(self, packet: dict[str, Any]) -> Decision:
        """Would :meth:`on_packet` intervene for this packet now, and why (or why not)? Records nothing
        but the session itself and chooses no strategy (:meth:`plan` does, for a composer). Refuses a
        bad packet as :meth:`on_packet` does."""
        return self._decide(packet, *self._packet_session(packet))

    def _decide(self, packet: dict[str, Any], s: _Session, now: float) -> Decision:
        if packet["emotion"]["primary"] in QUIET_EMOTIONS:
            return Decision(False, "quiet emotion: a confident or browsing visitor needs space, not a pop-up")
        if llm_gate(packet) is False:
            return Decision(False, "the LLM tier judged no intervention needed (section 7.3)")
        return decide(now, s.timing, self.config, evidence_at=float(packet["timestamp"]))

    def plan(self, packet: dict[str, Any]) -> str | None:
        """The strategy :meth:`on_packet` will intervene with for this packet, chosen now so that a composer
        can write the message in it (the bandit learns from what the shopper read, section 7.5); None when
        it will not intervene, or when nobody would read it (its page gone and no page of the visit live: on_packet
        then settles it "undelivered", with a template). The service asks before it pays for a composed message;
        it then hands the same packet to :meth:`on_packet`, which keeps this choice. Refuses a bad packet as
        on_packet does."""
        s, now = self._packet_session(packet)
        if not self._decide(packet, s, now).allowed:
            return None
        if self._undeliverable(packet):  # nobody will read it: on_packet records it with a template, and
            return None  # the composer (the deep model, its budget shared) is not paid for it
        strategy = self._choose(packet, s)
        s.planned = (float(packet["timestamp"]), strategy)
        return strategy

    def _choose(self, packet: dict[str, Any], s: _Session) -> str:
        """The bandit's strategy for an intervention on this packet, once it has learnt from the last one."""
        if s.pending is not None:  # the previous one got no answer before this chance came: the bandit learns
            s.left = self._settle(s, "no_response")  # it before it chooses again (an answer stamped before the
            self.settled.append(s.left)  # next one is shown, arriving late, still revises it)
        vertical = s.vertical or self.vertical_of.get(packet["sessionId"], "")
        rng = _stream(self.seed, packet["sessionId"], len(s.history), CHOOSE)
        return self.bandit.choose(Context(packet["tenantId"], vertical, packet["emotion"]["primary"],
                                          packet["spatial"]["currentSection"]), rng)

    def on_packet(self, packet: dict[str, Any], *, llm_message: str | None = None) -> Intervention | None:
        """Intervene for this packet, or not (None), in the strategy :meth:`plan` chose for it if it did.
        A bad packet raises :class:`~workbench.errors.ValidationError` and changes nothing
        (:func:`packet_problem` checks every field used here before anything is recorded)."""
        s, now = self._packet_session(packet)
        planned, s.planned = s.planned, None
        sid, tenant = packet["sessionId"], packet["tenantId"]
        decision = self._decide(packet, s, now)
        s.latest = now
        self.newest = max(self.newest, now)
        if not decision.allowed:
            return None
        emotion, section = packet["emotion"]["primary"], packet["spatial"]["currentSection"]
        if planned is not None and planned[0] == float(packet["timestamp"]):
            strategy = planned[1]  # the composer wrote in it
        else:
            strategy = self._choose(packet, s)
        vertical = s.vertical or self.vertical_of.get(sid, "")
        message, source, rejected = self._message(packet, strategy, llm_message, len(s.history))
        if rejected:
            self.guard_rejections.append((llm_message or "", rejected))
            log.warning("guard rejected a composed message (%s); using a template", rejected)
        intervention = Intervention(sid, tenant, now, emotion, section, strategy, message, source, vertical,
                                    experiment=packet.get("experimentContext"))
        s.timing.last_intervention_at = now
        s.pending = intervention
        s.history.append(intervention)
        # released after the page went away and before the visit came back: nobody saw it (and an earlier one
        # still open to revision stays open to answers stamped before the next one shown: _shown_since)
        if self._undeliverable(packet):
            self.settled.append(self._settle(s, UNDELIVERED))
        return intervention

    def _undeliverable(self, packet: dict[str, Any]) -> bool:
        """Will nobody see an intervention on this packet? Its page is gone (the packet is stamped no later
        than the session's latest known end: which page it is about) and no page of the visit is live. When
        the visit's next page (the same id, section 1.3) is connected, the intervention is published on the
        session's subject, which that page subscribes to: it is delivered, and its answer is credited to it."""
        sid = packet["sessionId"]
        return float(packet["timestamp"]) <= self._end_of(sid) and sid not in self.sessions

    def _message(self, packet: dict[str, Any], strategy: str, llm_message: str | None,
                 nth: int) -> tuple[str, str, list[str]]:
        """The message of the session's ``nth`` intervention, its source, and the guard's objections to the
        composed one (section 9.2)."""
        if llm_message is None:
            return self._template(packet, strategy, nth), "template", []
        rejected = guard.violations(llm_message)
        if rejected:
            return self._template(packet, strategy, nth), "template_after_guard", rejected
        return llm_message, "llm", []

    def _template(self, packet: dict[str, Any], strategy: str, nth: int) -> str:
        """The template message of the session's ``nth`` intervention, worded from its own stream. Its product
        name and price come from the page; should the page's text carry personal data (10.1, 10.3: an address
        or an email a producer and the bridge let through) or anything else the section 9.2 guard refuses ("we
        noticed you hovering" in a product name), the message names neither. (The templates themselves all
        pass the guard: a test renders them.)"""
        rng = _stream(self.seed, packet["sessionId"], nth, WORDING)
        message = templates.render(packet, strategy, rng)
        if rejected := guard.violations(message):  # personal data included
            log.warning("a template filled from the page broke section 9.2 (%s); it names no product", rejected)
            message = templates.render({**packet, "pageContent": None}, strategy, rng)
        return message
