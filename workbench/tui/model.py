"""What the live screen shows, kept as plain data: one sink of the run-event stream.

The model never imports Textual. The runner calls the app's sink from its own thread, so
:meth:`LiveModel.apply` and every read take one lock; readers get copies, never live state.
Each change marks a part dirty (``sessions``, ``rate``, ``trail`` ...) so the screen redraws
only what moved, however many change notifications were merged on the way.

Time is event time: the rate is counted per second of the events' own timestamps, and a
session's timeline places each packet on the 10 s window it closed (section 7).
"""

from __future__ import annotations

import dataclasses
import threading
import tomllib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from workbench.cli.printer import printable
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    OutcomeExpected,
    PacketEmitted,
    RunConfigured,
    RunEnded,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
)
from workbench.protocol.taxonomy import CATEGORY_COLOURS as COLOURS
from workbench.protocol.taxonomy import TRAJECTORY_ARROWS as ARROWS  # noqa: F401 (re-exported for the widgets)
from workbench.protocol.taxonomy import category

RATE_SECONDS = 60  # seconds of event time in the sparkline
TRAIL_POINTS = 600  # mouse samples kept per session (30 s at 20 Hz)
TARGET_KEYS = (("x", "y"), ("left", "top"))


def colour_of(emotion: str | None) -> str:
    """The display colour of an emotion's section 6 category (dim when unknown)."""
    try:
        return COLOURS[category(emotion)] if emotion else "grey50"
    except ValueError:
        return "grey50"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def is_intervention(event: object) -> bool:
    """Any event type whose class name says it is about an intervention (the consumer adds them)."""
    return "Intervention" in type(event).__name__


@dataclass(frozen=True)
class Target:
    """A proximity target with a position on the viewport (only when the stream carries one)."""

    label: str
    x: float
    y: float


@dataclass
class InterventionEntry:
    """One intervention event, read generically: what Seer said and how the persona responded."""

    kind: str
    """The event's class name, e.g. ``InterventionSent``."""
    session_id: str
    persona: str
    said: str
    """The message Seer showed, when the event carries one."""
    response: str
    """The persona's response or the outcome, when the event carries one."""
    detail: dict[str, Any]
    """Every other scalar field, for display."""


@dataclass
class SessionView:
    """The latest state of one session."""

    session_id: str
    persona: str
    site: str = ""
    status: str = "running"
    error: str | None = None
    section: str = ""
    emotion: str | None = None
    confidence: float = 0.0
    intensity: float = 0.0
    trajectory: str = ""
    bot: str = "uncertain"
    bot_confidence: float | None = None
    bot_signals: tuple[str, ...] = ()
    bot_reasoning: str = ""
    interventions: int = 0
    packets: int = 0
    events: int = 0
    scroll_depth: float | None = None
    latest_packet: dict[str, Any] | None = None
    timeline: list[tuple[int, str]] = field(default_factory=list)
    """(window index, emotion) per packet."""
    last_duration: float | None = None
    trail: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=TRAIL_POINTS))
    targets: dict[str, Target] = field(default_factory=dict)
    approached: deque[str] = field(default_factory=lambda: deque(maxlen=6))
    _intervention_keys: set[Any] = field(default_factory=set)

    def copy(self, *, with_trail: bool = False) -> SessionView:
        return dataclasses.replace(
            self, timeline=list(self.timeline), targets=dict(self.targets), approached=deque(self.approached, 6),
            trail=deque(self.trail if with_trail else (), TRAIL_POINTS), _intervention_keys=set())


@dataclass
class RunView:
    run_id: str = ""
    kind: str = ""
    site: str = ""
    seed: int | None = None
    status: str = "idle"  # idle | running | ended | failed | stopped
    window_ms: float = 10_000.0
    clock: str = ""  # real | virtual, once the runner says
    concurrency: int | None = None
    verdict: str = ""  # the run's score verdict (pass | fail | error), once scored


@dataclass
class Snapshot:
    """A consistent copy of the model for one redraw."""

    run: RunView
    sessions: list[SessionView]
    rate: list[int]
    total_events: int
    interventions: list[InterventionEntry]


class LiveModel:
    """Folds run events into per-session views. Thread-safe; call it with any event type."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.run = RunView()
        self.sessions: dict[str, SessionView] = {}
        self.rate: dict[int, int] = {}
        self.total_events = 0
        self.interventions: list[InterventionEntry] = []
        self._dirty: set[str] = set()

    # --- writing -----------------------------------------------------------------------
    def __call__(self, event: object) -> None:
        self.apply(event)

    def apply(self, event: object) -> None:
        with self.lock:
            self._apply(event)

    def _apply(self, event: object) -> None:
        match event:
            case RunStarted():
                self._reset()  # a new run starts from an empty board
                self.run = RunView(event.run_id, event.kind, event.site, event.seed, "running",
                                   _window_ms(event.config_toml))
                self._dirty |= {"run", "sessions", "rate", "trail", "packet", "timeline", "bot", "interventions"}
            case SessionStarted():
                s = self._session(event.session_id)
                s.persona, s.site = event.persona or "visitor", event.site
                self._dirty |= {"sessions", "timeline", "bot"}
            case BatchReceived():
                self._on_batch(self._session(event.session_id), event.batch)
            case PacketEmitted():
                self._on_packet(event.packet)
            case BotVerdictEmitted():
                d = event.detection
                s = self._session(str(d["session_id"]))
                s.bot, s.bot_confidence = str(d["classification"]), float(d["confidence"])
                s.bot_signals, s.bot_reasoning = tuple(d.get("signals") or ()), str(d.get("reasoning", ""))
                self._dirty |= {"sessions", "bot"}
            case SessionEnded():
                s = self._session(event.session_id)
                s.status, s.error = event.status, event.error
                self._dirty |= {"sessions", "bot"}
            case RunConfigured():
                self.run.clock, self.run.concurrency = event.clock, event.concurrency
                self._dirty.add("run")
            case RunScored():
                self.run.verdict = event.verdict
                self._dirty.add("run")
            case RunEnded():
                self.run.status = event.status
                self._dirty.add("run")
            case OutcomeExpected():  # a persona answered: what Seer should observe, beside what it did
                entry = self._intervention(event.session_id, event.timestamp)
                if entry is not None:
                    entry.detail["expected"] = event.outcome
                    self._dirty.add("interventions")
            case _ if is_intervention(event):
                self._on_intervention(event)

    def _session(self, session_id: str) -> SessionView:
        if session_id not in self.sessions:
            self.sessions[session_id] = SessionView(session_id, "visitor")
        return self.sessions[session_id]

    def _on_batch(self, s: SessionView, batch: dict[str, Any]) -> None:
        events = batch.get("events") or []
        s.events += len(events)
        self.total_events += len(events)
        for e in events:
            kind, data = str(e.get("type", "")), e.get("data") or {}
            if "timestamp" in e:
                second = int(float(e["timestamp"]) // 1000)
                self.rate[second] = self.rate.get(second, 0) + 1
            if e.get("currentSection"):
                s.section = printable(e["currentSection"])
            if kind == "mouse" and "x" in data and "y" in data:
                s.trail.append((float(data["x"]), float(data["y"])))
            elif kind == "scroll" and "depth" in data:
                s.scroll_depth = float(data["depth"])
            elif kind.endswith("_proximity_enter"):
                label = printable(data.get("elementId") or data.get("text") or kind.removesuffix("_proximity_enter"))
                s.approached.append(label)
                position = _position(data)
                if position is not None:
                    s.targets[label] = Target(label, *position)
        if self.rate:
            newest = max(self.rate)
            for old in [sec for sec in self.rate if sec <= newest - 2 * RATE_SECONDS]:
                del self.rate[old]
        self._dirty |= {"sessions", "rate", "trail"}

    def _on_packet(self, p: dict[str, Any]) -> None:
        s = self._session(str(p["sessionId"]))
        e = p["emotion"]
        s.emotion, s.confidence = str(e["primary"]), float(e["confidence"])
        s.intensity, s.trajectory = float(e["intensity"]), str(e["trajectory"])
        s.section = printable(p.get("spatial", {}).get("currentSection") or s.section)
        s.packets += 1
        s.latest_packet = p
        duration = float(p.get("temporal", {}).get("sessionDuration", 0.0))
        window = self.run.window_ms
        if not s.timeline:
            index = max(0, round(duration / window) - 1)
        else:  # windows start at the first event after the last one closed: count gaps, not clock
            index = s.timeline[-1][0] + max(1, round((duration - (s.last_duration or 0.0)) / window))
        s.timeline.append((index, s.emotion))
        s.last_duration = duration
        self._dirty |= {"sessions", "packet", "timeline"}

    def _intervention(self, session_id: str, timestamp: object) -> InterventionEntry | None:
        """The entry already shown for the session's intervention at ``timestamp`` (its key), if any."""
        return next((e for e in self.interventions
                     if e.session_id == session_id and e.detail.get("timestamp") == timestamp), None)

    def _on_intervention(self, event: object) -> None:
        fields = _flatten(event)
        sid = str(fields.get("session_id") or fields.get("sessionId") or "")
        s = self._session(sid) if sid else None
        said = printable(fields.get("message") or fields.get("said") or fields.get("text") or "")
        response = str(fields.get("response") or fields.get("outcome") or fields.get("reply") or "")
        skip = {"session_id", "sessionId", "message", "said", "text", "response", "outcome", "reply"}
        detail = {k: v for k, v in fields.items() if k not in skip and isinstance(v, str | int | float | bool)}
        key = (sid, fields.get("timestamp", len(self.interventions)))
        same = self._intervention(*key)
        if same is not None:  # one intervention reported twice (sent, then its outcome): one chat entry
            same.kind, same.said = type(event).__name__, said or same.said
            same.response, same.detail = response or same.response, {**same.detail, **detail}
        else:
            self.interventions.append(InterventionEntry(type(event).__name__, sid, s.persona if s else "",
                                                        said, response, detail))
        if s is not None:
            s._intervention_keys.add(key)
            s.interventions = len(s._intervention_keys)
        self._dirty |= {"sessions", "interventions"}

    # --- reading -----------------------------------------------------------------------
    def is_dirty(self) -> bool:
        with self.lock:
            return bool(self._dirty)

    def take_dirty(self) -> set[str]:
        with self.lock:
            dirty, self._dirty = self._dirty, set()
            return dirty

    def snapshot(self, *, trail_for: str | None = None) -> Snapshot:
        with self.lock:
            newest = max(self.rate) if self.rate else 0
            rate = [self.rate.get(sec, 0) for sec in range(newest - RATE_SECONDS + 1, newest + 1)] if self.rate else []
            return Snapshot(
                dataclasses.replace(self.run),
                [s.copy(with_trail=s.session_id == trail_for) for s in self.sessions.values()],
                rate, self.total_events, list(self.interventions))


def _window_ms(config_toml: str) -> float:
    try:
        return float(tomllib.loads(config_toml)["inference"]["buffer_window_ms"])
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        return 10_000.0


def _position(data: dict[str, Any]) -> tuple[float, float] | None:
    """A target's centre, if the producer sent one (``x``/``y``, or a ``rect``)."""
    rect: dict[str, Any] = data["rect"] if isinstance(data.get("rect"), dict) else data
    for kx, ky in TARGET_KEYS:
        if isinstance(rect.get(kx), int | float) and isinstance(rect.get(ky), int | float):
            x, y = float(rect[kx]), float(rect[ky])
            if isinstance(rect.get("width"), int | float) and isinstance(rect.get("height"), int | float):
                x, y = x + rect["width"] / 2, y + rect["height"] / 2
            elif isinstance(rect.get("right"), int | float) and isinstance(rect.get("bottom"), int | float):
                x, y = (x + rect["right"]) / 2, (y + rect["bottom"]) / 2
            return x, y
    return None


def _flatten(event: object) -> dict[str, Any]:
    """The fields of an event and of any object or mapping nested one level down."""
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        top = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    elif isinstance(event, dict):
        top = dict(event)
    else:
        top = dict(getattr(event, "__dict__", {}))
    flat: dict[str, Any] = {}
    for key, value in top.items():
        nested = _flatten(value) if (dataclasses.is_dataclass(value) or isinstance(value, dict)) else None
        if nested is not None:
            for k, v in nested.items():
                flat.setdefault(k, v)
        else:
            flat[key] = value
    return flat
