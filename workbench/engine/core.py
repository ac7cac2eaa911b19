"""The inference engine's pure core: telemetry batches in, EITP v1.1 packets and bot verdicts out.

Sections 2.4, 5, 7.2 and 8. Time comes only from event timestamps: a session's events
are buffered into 10 s windows of *event time*; a window closes when an event at or
past its end arrives, when the session's connection closes, or when the engine's
watermark (the latest event time seen on any session) passes the 5-minute session
timeout. The same input therefore always gives the same packets, at any replay speed.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.config import EITPConfig
from workbench.engine import botfilter, classifier
from workbench.engine.features import INTENT_RANK, Features, extract
from workbench.errors import ValidationError
from workbench.protocol.taxonomy import NEGATIVE, POSITIVE, Emotion

Batch = Mapping[str, Any]


@dataclass(frozen=True)
class PacketOut:
    packet: dict[str, Any]


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
    scroll_depth: float = 0.0
    history: deque[tuple[float, str, float]] = field(default_factory=lambda: deque(maxlen=8))
    page_content: Any = None
    submitted: bool = False
    tab_switches: int = 0
    bot: botfilter.BotEvidence = field(default_factory=botfilter.BotEvidence)
    verdict: str = "uncertain"


class Engine:
    """Feed batches with :meth:`ingest`; collect packets and bot verdicts it returns."""

    def __init__(self, config: EITPConfig | None = None) -> None:
        self.config = config or EITPConfig()
        self.sessions: dict[str, SessionState] = {}
        self.watermark = 0.0

    # --- input -------------------------------------------------------------------------
    def ingest(self, batch: Batch) -> list[Output]:
        """Process one telemetry batch (already schema-checked by the caller)."""
        sid, tenant = str(batch["sessionId"]), str(batch["tenantId"])
        state = self.sessions.get(sid)
        if state is not None and state.tenant_id != tenant:
            # Section 10.4: a session never changes tenant.
            raise ValidationError(f"batch for session {sid} claims tenant {tenant!r}, session belongs to {state.tenant_id!r}")
        if state is None:
            state = self.sessions[sid] = SessionState(sid, tenant, str(batch.get("vertical", "")))
        if batch.get("pageContent"):
            state.page_content = batch["pageContent"]
        events = sorted(batch.get("events", ()), key=lambda e: float(e["timestamp"]))
        state.bot.add_batch(events, batch.get("userAgent"))
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
        seen = set(state.section_visits)
        feats = extract(events, seen_sections=seen, config=self.config)
        for i, section in enumerate(feats.sections):
            if i > 0 or section != state.current_section:
                state.section_visits[section] += 1
        state.current_section = feats.sections[-1] if feats.sections else state.current_section
        state.submitted = state.submitted or feats.form_submits > 0
        state.tab_switches += feats.tab_aways
        ts = float(events[-1]["timestamp"])
        session_ms = ts - (state.first_ts or ts)
        ctx = classifier.Context(session_ms=session_ms, pricing_visits=state.section_visits["pricing"],
                                 submitted_before=state.submitted, tab_switches_total=state.tab_switches)
        result = classifier.classify(feats, ctx, self.config.classifier)
        previous = state.history[-1] if state.history else None
        trajectory = self._trajectory(state, result.emotion, result.intensity)
        state.history.append((ts, result.emotion.value, result.intensity))
        if feats.scrolls:
            state.scroll_depth = feats.scroll_depth_max
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
            "behavioral": {"scrollDepth": round(state.scroll_depth, 1), "clickCount": feats.clicks},
            "patterns": {"detected": list(result.patterns)},
            "intent": _intent(feats),
            "pageContent": state.page_content,
            "globalIntelligence": None,
        }
        return [PacketOut(packet)]

    def _trajectory(self, state: SessionState, emotion: Emotion, intensity: float) -> str:
        """Section 5.2: direction over the last classifications (at least 3 kept)."""
        recent = list(state.history)[-(self.config.inference.trajectory_history - 1):]
        if not recent:
            return "stable"
        intensities = [i for _, e, i in recent if e == emotion.value]
        if len(intensities) == len(recent):
            delta = intensity - sum(intensities) / len(intensities)
            return "intensifying" if delta > 0.05 else "cooling" if delta < -0.05 else "stable"
        before = Emotion(recent[-1][1])
        if emotion in NEGATIVE and before not in NEGATIVE:
            return "intensifying"
        if emotion in POSITIVE and before not in POSITIVE:
            return "cooling"
        return "intensifying" if intensity > recent[-1][2] + 0.05 else "stable"


SPATIAL_TRIGGERS = ("rage_click", "viewport_approach", "long_tab_return", "pricing_comparison", "form_submit",
                    "text_selection_with_price", "mouse_exit")


def _trigger(events: list[Mapping[str, Any]]) -> str | None:
    """The most telling spatial event of the window, by a fixed precedence; None when calm."""
    kinds = {str(e["type"]) for e in events}
    for kind in SPATIAL_TRIGGERS:
        if kind in kinds:
            return kind
    hovers = [k for k in kinds if k.endswith("_hover")]
    return max(hovers, key=lambda k: INTENT_RANK.get(k.removesuffix("_hover"), 0)) if hovers else None


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
