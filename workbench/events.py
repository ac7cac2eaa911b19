"""The typed stream of what happens in a run.

The runner and the pipeline emit these; the CLI printer, the SQLite recorder and the TUI
are sinks of the same stream, so each sees exactly what the others see.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    kind: str
    site: str
    seed: int | None
    config_toml: str
    base_url: str


@dataclass(frozen=True)
class SessionStarted:
    session_id: str
    tenant_id: str
    persona: str | None
    site: str
    user_agent: str = ""


@dataclass(frozen=True)
class BatchReceived:
    """A batch accepted by the bridge, as published on telemetry.raw minus the IP."""

    session_id: str
    tenant_id: str
    batch: dict[str, Any]


@dataclass(frozen=True)
class PacketEmitted:
    packet: dict[str, Any]


@dataclass(frozen=True)
class BotVerdictEmitted:
    detection: dict[str, Any]  # section 8.3 fields


@dataclass(frozen=True)
class SessionEnded:
    session_id: str
    status: str  # ended | failed
    error: str | None = None
    #: the session against its persona's ground truth (``workbench.scoring``: pass, fail or error) as the runner
    #: scored it when it ended; None when nobody did (a stopped run's unfinished sessions, a visit of no persona)
    verdict: str | None = None


@dataclass(frozen=True)
class ConnectionClosed:
    """The bridge saw the producer's connection end (``telemetry.closed``, the workbench's own subject
    beside section 4.2's); ``at`` is the page time it stamped, on which the engine judged the session
    (e.g. a connection-only probe)."""

    session_id: str
    at: float | None


@dataclass(frozen=True)
class RunConfigured:
    """How a ``workbench run`` was set up, recorded beside :class:`RunStarted`."""

    run_id: str
    clock: str  # virtual | real
    concurrency: int
    personas: list[str]  # one entry per session, in session order
    browser_endpoint: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionTraced:
    """What the simulation knows about a session and the telemetry cannot tell: its persona's
    ground truth and seed, simulated versus wall time, position fidelity, the cursor trail on
    page coordinates and an end-of-session screenshot (WebP; PNG in older runs; possibly downscaled)."""

    session_id: str
    persona: str
    seed: int
    seed_index: int
    clock: str
    ground_truth: dict[str, Any]
    simulated_ms: float
    wall_ms: float
    fidelity: dict[str, Any]
    trail: dict[str, Any] = field(default_factory=dict)
    screenshot_png: bytes | None = None
    screenshot_scale: float = 1.0


@dataclass(frozen=True)
class RunScored:
    """Expected against detected, per session and for the run (``workbench.scoring``)."""

    run_id: str
    verdict: str  # pass | fail | error
    sessions: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass(frozen=True)
class InterventionSent:
    """Seer spoke to a session (section 9); ``message`` is exactly what the page showed."""

    session_id: str
    timestamp: float  # event time of the packet that prompted it
    emotion: str
    section: str
    strategy: str
    message: str
    source: str  # template | llm | template_after_guard
    experiment: dict[str, Any] | None = None  # section 5.10 context, logged beside the outcome


@dataclass(frozen=True)
class InterventionOutcome:
    """What came of an intervention: chat_engaged, lead_submitted, left or no_response."""

    session_id: str
    timestamp: float
    strategy: str
    outcome: str


@dataclass(frozen=True)
class OutcomeExpected:
    """The outcome Seer should observe for an intervention a simulated visitor answered.

    The simulation's own account (:func:`synthetic.response.expected_outcome`), keyed like
    :class:`InterventionOutcome` (session, the intervention's ``timestamp``), so the store keeps
    it beside what Seer observed: the two differ when Seer misreads what the visitor did.
    """

    session_id: str
    timestamp: float
    outcome: str


@dataclass(frozen=True)
class KnowledgeValidated:
    """A section 7.6 feedback-loop cycle at event time ``at`` and the patterns it validated (n >= 10).

    Each pattern is a group (tenant, vertical, emotion, section, geo) with its sample size, Wilson
    confidence (0-100) over intervention outcomes, spike, anomaly, z-score and trend: the knowledge
    store the LLM prompt draws on (section 7.4). Emitted only when the cycle validated any.
    """

    at: float
    patterns: list[dict[str, Any]]


@dataclass(frozen=True)
class RunEnded:
    run_id: str
    status: str
    summary: dict[str, Any] = field(default_factory=dict)


RunEvent = (RunStarted | SessionStarted | BatchReceived | PacketEmitted | BotVerdictEmitted | SessionEnded | RunEnded
            | RunConfigured | SessionTraced | RunScored | InterventionSent | InterventionOutcome | OutcomeExpected
            | KnowledgeValidated | ConnectionClosed)
Sink = Callable[[RunEvent], None]


class EventStream:
    """Fan-out of run events to sinks. A failing sink never stops the others. Its first failure is
    logged with the traceback (a sink that raises is a bug); later ones are counted in :attr:`failures`
    and logged as one line at the 2nd, 4th, 8th, ..., so a sink that fails on every event does not bury
    the run's output."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks: list[Sink] = list(sinks)
        self.failures: dict[int, int] = {}  # id(sink) -> how many events it failed on

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def emit(self, event: RunEvent) -> None:
        for sink in self.sinks:
            try:
                sink(event)
            except Exception as exc:
                failed = self.failures[id(sink)] = self.failures.get(id(sink), 0) + 1
                if failed == 1:
                    log.exception("run-event sink %r failed on %s", sink, type(event).__name__)
                elif failed & (failed - 1) == 0:  # the 2nd, 4th, 8th, ... failure
                    log.error("run-event sink %r failed again, on %s (%d failures): %s", sink,
                              type(event).__name__, failed, exc)


class OpenRun:
    """Sink: the run and the sessions a stopped (cancelled) run leaves open, which its caller then
    ends with its own reason: the CLI's "interrupted (SIGTERM)", the TUI's stop. The runner itself
    ends only what finished."""

    def __init__(self) -> None:
        self.run_id = ""
        self.started: list[str] = []
        self.ended: set[str] = set()
        self.summary: dict[str, Any] = {}
        self.planned = 0  # sessions the run was set up with (RunConfigured)

    @property
    def never_started(self) -> int:
        """Planned sessions the stop came before: they have no row of their own to say so."""
        return max(0, self.planned - len(self.started))

    def __call__(self, event: RunEvent) -> None:
        match event:
            case RunStarted():
                self.run_id = event.run_id
            case RunConfigured():
                self.planned = len(event.personas)
            case SessionStarted():
                self.started.append(event.session_id)
            case SessionEnded():
                self.ended.add(event.session_id)
            case RunEnded():
                self.summary = event.summary
            case _:
                pass

    def close(self, stream: EventStream, reason: str, *, status: str, note_key: str, mark_sessions: bool) -> int:
        """End each open session as failed with ``reason``, and the run with ``status``, its summary
        saying why under ``note_key`` (and, with ``mark_sessions``, listing those sessions as failed);
        how many sessions were open."""
        left = [sid for sid in self.started if sid not in self.ended]
        for sid in left:
            stream.emit(SessionEnded(sid, "failed", reason))
        if self.run_id:
            summary = {**self.summary, note_key: reason}
            if self.never_started:
                summary["never_started"] = self.never_started
            if mark_sessions:
                summary["sessions"] = [{**s, "status": "failed", "error": reason} if s.get("session_id") in left
                                       else s for s in self.summary.get("sessions", ())]
            stream.emit(RunEnded(self.run_id, status, summary))
        return len(left)
