"""When Seer may speak: the section 9.3 timing contract, in event time.

Pure: the caller passes event times (never the wall clock) and what it knows of the
session; :func:`decide` says yes or no and why. Bots never get an
intervention (section 8). The floors are enforced by :class:`InterventionConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.config import InterventionConfig


@dataclass
class SessionTiming:
    """What the consumer remembers per session (all times are event-time ms).

    ``started_at`` is None until the session's first event or packet fixes it: a bot verdict can be
    the first Seer hears of a session, and it says nothing of when the visit began."""

    started_at: float | None = None
    last_intervention_at: float | None = None
    chat_opened_at: float | None = None  # the chat window is open since then (None: closed)
    chat_closed_at: float | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def decide(now: float, timing: SessionTiming, config: InterventionConfig, *,
           evidence_at: float | None = None) -> Decision:
    """May a proactive intervention go out at event time ``now``?

    ``evidence_at`` is when what the intervention answers happened (the packet's own stamp; default
    ``now``). The grace period is read on it: nothing a visitor did in their first seconds sets off
    an intervention, even when the engine releases that window later (it holds windows for its bot
    verdict). Cooldown and chat suppression are read on ``now``, the visitor's clock."""
    if timing.is_bot:
        return Decision(False, "session classified as a bot")
    if timing.started_at is None:  # no event time to measure the grace period from: not yet
        return Decision(False, "grace period: the session's start is not known yet")
    elapsed = (now if evidence_at is None else evidence_at) - timing.started_at
    if elapsed < config.min_session_ms:
        return Decision(False, f"grace period: {elapsed / 1000:.1f} s of {config.min_session_ms / 1000:.0f} s")
    if timing.last_intervention_at is not None:
        since = now - timing.last_intervention_at
        if since < config.cooldown_ms:
            return Decision(False, f"cooldown: {since / 1000:.1f} s since the last intervention "
                                   f"(needs {config.cooldown_ms / 1000:.0f} s)")
    if timing.chat_opened_at is not None:
        return Decision(False, "chat window is open: the user is already talking")
    if timing.chat_closed_at is not None and now - timing.chat_closed_at < config.window_suppression_ms:
        since = now - timing.chat_closed_at
        return Decision(False, f"window suppression: chat was open {since / 1000:.1f} s ago "
                               f"(needs {config.window_suppression_ms / 1000:.0f} s)")
    return Decision(True, "allowed")
