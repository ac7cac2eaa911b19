"""The inference engine's pure core: telemetry batches in, EITP v1.1 packets and bot verdicts out.

Sections 2.4, 5, 7.2, 8 and 10. Time comes only from event timestamps: a session's events
are buffered into 10 s windows of *event time*; a window closes when an event at or
past its end arrives, when the session's connection closes, or when the engine's
watermark (the latest event time seen on any session) passes the 5-minute session
timeout. The same input therefore always gives the same packets, at any replay speed.

Readings of section 5 worth knowing:

* ``behavioral.scrollDepth`` is "maximum scroll depth in current batch": the deepest point the
  viewport reached during the window, counting the depth it started the window at (the page
  does not move back to the top between windows). ``clickCount`` counts the window's clicks.
* ``spatial.visitCount`` counts entries into the current section over the session;
  ``spatial.trigger`` is the window's most telling spatial event, or ``None`` when calm.
* ``temporal.timeSinceLastEmotion`` is the time since the previous classification (the
  session duration for the first one).
* ``emotion.trajectory`` compares the new classification with the last
  ``trajectory_history - 1`` ones (section 5.2: at least 3 classifications in all).
* ``globalIntelligence`` is ``None``: no cross-session aggregate is kept (section 5.9).

The bridge-injected ``ip`` is read only by the bot filter (section 10.3) and is never copied
into a packet, a profile or a detection log.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.config import EITPConfig
from workbench.engine import botfilter, ipreputation
from workbench.engine.classifier import Classification, Context, EmotionClassifier, RulesClassifier
from workbench.engine.features import INTENT_RANK, Features, extract
from workbench.errors import ValidationError
from workbench.protocol.taxonomy import NEGATIVE, POSITIVE, Emotion

Batch = Mapping[str, Any]


@dataclass(frozen=True)
class PacketOut:
    """One EITP v1.1 packet (section 5) and the session's emotional profile after it (4.2)."""

    packet: dict[str, Any]
    profile: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BotOut:
    tenant_id: str
    session_id: str
    timestamp: float
    verdict: botfilter.BotVerdict

    def log(self) -> dict[str, Any]:
        """The section 8.3 detection log record."""
        v = self.verdict
        return {"session_id": self.session_id, "tenant_id": self.tenant_id, "timestamp": self.timestamp,
                "classification": v.classification, "confidence": v.confidence, "reasoning": v.reasoning,
                "signals": list(v.signals), "event_count": v.event_count}


Output = PacketOut | BotOut


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
    current_section: str = "page"
    scroll_depth: float = 0.0  # where the viewport is now (the last scroll event's depth)
    max_depth: float = 0.0  # deepest scroll of the session
    history: deque[tuple[float, str, float]] = field(default_factory=deque)
    emotion_counts: Counter[str] = field(default_factory=Counter)
    last_window_events: int | None = None
    page_content: Any = None
    submitted: bool = False
    tab_switches: int = 0
    bot: botfilter.BotEvidence = field(default_factory=botfilter.BotEvidence)
    verdict: str = "uncertain"


class Engine:
    """Feed batches with :meth:`ingest`; collect packets and bot verdicts it returns.

    ``classifier`` is the classification step (default: the section 6 rules); an LLM tier
    plugs in there.
    """

    def __init__(self, config: EITPConfig | None = None, *, classifier: EmotionClassifier | None = None) -> None:
        self.config = config or EITPConfig()
        self.classifier: EmotionClassifier = classifier or RulesClassifier(self.config.classifier)
        ipreputation.load(self.config.bot.datacenter_ranges_file)  # a bad list fails here, not mid-stream
        self.sessions: dict[str, SessionState] = {}
        self.watermark = 0.0

    # --- input -------------------------------------------------------------------------
    def ingest(self, batch: Batch) -> list[Output]:
        """Process one telemetry batch (already schema-checked by the caller).

        Raises :class:`ValidationError` when the batch claims another tenant than the session
        it continues (section 10.4); nothing of it is used then.
        """
        sid, tenant = str(batch["sessionId"]), str(batch["tenantId"])
        state = self.sessions.get(sid)
        if state is not None and state.tenant_id != tenant:
            raise ValidationError(f"batch for session {sid} claims tenant {tenant!r}, "
                                  f"session belongs to {state.tenant_id!r}")
        if state is None:
            keep = max(self.config.inference.emotion_history, self.config.inference.trajectory_history)
            state = self.sessions[sid] = SessionState(sid, tenant, str(batch.get("vertical", "")),
                                                      history=deque(maxlen=keep),
                                                      bot=botfilter.BotEvidence(self.config.bot))
        if batch.get("pageContent"):
            state.page_content = batch["pageContent"]
        events = sorted(batch.get("events", ()), key=lambda e: float(e["timestamp"]))
        state.bot.add_batch(events, batch.get("userAgent"), batch.get("ip"))
        out: list[Output] = []
        out += self._check_bot(state, float(batch.get("timestamp", state.last_ts)))
        for event in events:
            ts = float(event["timestamp"])
            if state.first_ts is None:
                state.first_ts = ts
            if state.window_start is not None and ts >= state.window_start + self.config.inference.buffer_window_ms:
                out += self._close_window(state)
            if state.window_start is None:
                state.window_start = ts
            state.window.append(event)
            state.last_ts = max(state.last_ts, ts)
        self.watermark = max(self.watermark, state.last_ts)
        out += self.expire()
        return out

    def close_session(self, session_id: str, at: float | None = None) -> list[Output]:
        """The producer's connection ended: flush the last window and forget the session."""
        state = self.sessions.pop(session_id, None)
        if state is None:
            return []
        if at is not None:
            state.bot.closed_at = at
        out = self._check_bot(state, at or state.last_ts)
        return out + self._close_window(state)

    def close_all(self) -> list[Output]:
        """End of input: flush every open session (in session-id order, for determinism)."""
        return [o for sid in sorted(self.sessions) for o in self.close_session(sid)]

    def expire(self) -> list[Output]:
        """Close sessions idle for longer than the session timeout, in event time."""
        timeout = self.config.inference.session_timeout_ms
        stale = [sid for sid, s in self.sessions.items() if self.watermark - s.last_ts > timeout]
        return [o for sid in stale for o in self.close_session(sid)]

    # --- bot gate ------------------------------------------------------------------------
    def _check_bot(self, state: SessionState, ts: float) -> list[Output]:
        verdict = botfilter.assess(state.bot, self.config.bot, wait_batches=self.config.inference.bot_wait_batches)
        if verdict.classification == state.verdict or state.verdict == "bot":
            return []
        state.verdict = verdict.classification
        return [BotOut(state.tenant_id, state.session_id, ts, verdict)]

    # --- classification ----------------------------------------------------------------
    def _close_window(self, state: SessionState) -> list[Output]:
        events, state.window, state.window_start = state.window, [], None
        if not events or state.verdict == "bot":
            return []  # bots never reach inference (section 8)
        feats = extract(events, seen_sections=set(state.section_visits), config=self.config,
                        scroll_depth_before=state.scroll_depth)
        for i, section in enumerate(feats.sections):
            if i > 0 or section != state.current_section:
                state.section_visits[section] += 1
        state.current_section = feats.sections[-1] if feats.sections else state.current_section
        state.submitted = state.submitted or feats.form_submits > 0
        state.tab_switches += feats.tab_aways
        ts = float(events[-1]["timestamp"])
        session_ms = ts - (state.first_ts or ts)
        ctx = Context(session_ms=session_ms, pricing_visits=state.section_visits["pricing"],
                      submitted_before=state.submitted, tab_switches_total=state.tab_switches,
                      prev_events=state.last_window_events, max_depth_before=state.max_depth,
                      history=tuple(e for _, e, _ in state.history))
        result = self.classifier.classify(feats, ctx)
        previous = state.history[-1] if state.history else None
        trajectory = self._trajectory(state, result.emotion, result.intensity)
        state.history.append((ts, result.emotion.value, result.intensity))
        state.emotion_counts[result.emotion.value] += 1
        state.last_window_events = feats.n_events
        state.scroll_depth = feats.scroll_depth_last
        state.max_depth = max(state.max_depth, feats.scroll_depth_max)
        packet = {
            "sessionId": state.session_id,
            "tenantId": state.tenant_id,
            "timestamp": ts,
            "emotion": {"primary": result.emotion.value, "confidence": result.confidence,
                        "intensity": result.intensity, "trajectory": trajectory},
            "spatial": {"currentSection": state.current_section,
                        "visitCount": max(1, state.section_visits[state.current_section]),
                        "trigger": _trigger(events)},
            "temporal": {"sessionDuration": session_ms,
                         "timeSinceLastEmotion": ts - previous[0] if previous else session_ms},
            "behavioral": {"scrollDepth": round(min(100.0, max(0.0, feats.scroll_depth_max)), 1),
                           "clickCount": feats.clicks},
            "patterns": {"detected": list(result.patterns)},
            "intent": _intent(feats),
            "pageContent": state.page_content,
            "globalIntelligence": None,
        }
        return [PacketOut(packet, self._profile(state, packet, result))]

    def _trajectory(self, state: SessionState, emotion: Emotion, intensity: float) -> str:
        """Section 5.2: direction over the last classifications (at least 3 with this one)."""
        delta_min = self.config.inference.trajectory_delta
        recent = list(state.history)[-(self.config.inference.trajectory_history - 1):]
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

    @staticmethod
    def _profile(state: SessionState, packet: dict[str, Any], result: Classification) -> dict[str, Any]:
        """The section 4.2 ``emotions.{tenantId}.{sessionId}`` emotional profile for chat context:
        where the session stands now and how it got there, without telemetry detail."""
        dominant = max(sorted(state.emotion_counts), key=lambda e: state.emotion_counts[e])
        return {
            "sessionId": state.session_id,
            "tenantId": state.tenant_id,
            "timestamp": packet["timestamp"],
            "current": dict(packet["emotion"]),
            "dominant": dominant,
            "counts": dict(sorted(state.emotion_counts.items())),
            "history": [{"timestamp": t, "emotion": e, "intensity": i} for t, e, i in state.history],
            "classifications": sum(state.emotion_counts.values()),
            "sessionDuration": packet["temporal"]["sessionDuration"],
            "currentSection": packet["spatial"]["currentSection"],
            "intent": dict(packet["intent"]),
            "patterns": list(result.patterns),
        }


SPATIAL_TRIGGERS = ("rage_click", "viewport_approach", "long_tab_return", "pricing_comparison", "form_submit",
                    "text_selection_with_price", "mouse_exit")


def _trigger(events: list[Mapping[str, Any]]) -> str | None:
    """The most telling spatial event of the window, by a fixed precedence; None when calm."""
    kinds = {str(e["type"]) for e in events}
    for kind in SPATIAL_TRIGGERS:
        if kind in kinds:
            return kind
    hovers = [k for k in kinds if k.endswith("_hover")]
    return max(sorted(hovers), key=lambda k: INTENT_RANK.get(k.removesuffix("_hover"), 0)) if hovers else None


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
