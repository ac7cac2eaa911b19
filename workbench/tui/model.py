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

from workbench.consumer.seer import UNDELIVERED
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
from workbench.tui.untrusted import line, number, part

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
    confidence: float | None = None
    """None until a packet gives a number (the engine's NaN arrives as null)."""
    intensity: float | None = None
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
    """(window index, emotion) per packet; an empty emotion when the packet had none."""
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
    error: str = ""  # why the run failed, when it says (a run that never started has no other trace on screen)


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
            case PacketEmitted() if isinstance(event.packet, dict):
                self._on_packet(event.packet)
            case BotVerdictEmitted() if isinstance(event.detection, dict):
                self._on_verdict(event.detection)
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
                self.run.error = line(part(event.summary, "error"))
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
            if not isinstance(e, dict):
                continue
            kind, found = str(e.get("type", "")), e.get("data")
            data: dict[str, Any] = found if isinstance(found, dict) else {}
            stamp = number(e.get("timestamp"))
            if stamp is not None:
                second = int(stamp // 1000)
                self.rate[second] = self.rate.get(second, 0) + 1
            if e.get("currentSection"):
                s.section = line(e["currentSection"])
            x, y, depth = number(data.get("x")), number(data.get("y")), number(data.get("depth"))
            if kind == "mouse" and x is not None and y is not None:
                s.trail.append((x, y))
            elif kind == "scroll" and depth is not None:
                s.scroll_depth = depth
            elif kind.endswith("_proximity_enter"):
                label = line(data.get("elementId") or data.get("text") or kind.removesuffix("_proximity_enter"))
                s.approached.append(label)
                position = _position(data)
                if position is not None:
                    s.targets[label] = Target(label, *position)
        if self.rate:
            newest = max(self.rate)
            for old in [sec for sec in self.rate if sec <= newest - 2 * RATE_SECONDS]:
                del self.rate[old]
        self._dirty |= {"sessions", "rate", "trail"}

    def _on_verdict(self, d: dict[str, Any]) -> None:
        """A section 8.3 verdict. Read field by field: a confidence the engine could not give arrives as null
        (orjson writes NaN so), and one bad field must not lose the verdict."""
        if d.get("session_id") is None:
            return
        s = self._session(str(d["session_id"]))
        signals = d.get("signals")
        s.bot, s.bot_confidence = line(d.get("classification")) or "uncertain", number(d.get("confidence"))
        s.bot_signals = tuple(line(x) for x in signals) if isinstance(signals, list | tuple) else ()
        s.bot_reasoning = line(d.get("reasoning"))
        self._dirty |= {"sessions", "bot"}

    def _on_packet(self, p: dict[str, Any]) -> None:
        """A packet, read field by field: a null confidence (the engine's NaN) or a missing dimension leaves
        that figure unknown, and the packet is still counted and placed."""
        s = self._session(str(p.get("sessionId", "")))
        primary = part(p, "emotion", "primary")
        s.emotion = None if primary is None else line(primary)
        s.confidence, s.intensity = number(part(p, "emotion", "confidence")), number(part(p, "emotion", "intensity"))
        s.trajectory = line(part(p, "emotion", "trajectory"))
        s.section = line(part(p, "spatial", "currentSection")) or s.section
        s.packets += 1
        s.latest_packet = p
        self._place(s, number(part(p, "temporal", "sessionDuration")))
        self._dirty |= {"sessions", "packet", "timeline"}

    def _place(self, s: SessionView, duration: float | None) -> None:
        """The packet's window on the timeline, by event time: its session duration (section 5.4). Windows
        start at the first event after the last one closed, so gaps are counted, not clock. A packet without
        a duration takes the window after the last one."""
        window = self.run.window_ms
        if duration is None:
            index = s.timeline[-1][0] + 1 if s.timeline else 0
        elif not s.timeline:
            index = max(0, round(duration / window) - 1)
        else:
            index = s.timeline[-1][0] + max(1, round((duration - (s.last_duration or 0.0)) / window))
        s.timeline.append((index, s.emotion or ""))
        if duration is not None:
            s.last_duration = duration

    def _intervention(self, session_id: str, timestamp: object) -> InterventionEntry | None:
        """The entry already shown for the session's intervention at ``timestamp`` (its key), if any."""
        return next((e for e in self.interventions
                     if e.session_id == session_id and e.detail.get("timestamp") == timestamp), None)

    def _on_intervention(self, event: object) -> None:
        fields = _flatten(event)
        sid = str(fields.get("session_id") or fields.get("sessionId") or "")
        s = self._session(sid) if sid else None
        said = line(fields.get("message") or fields.get("said") or fields.get("text") or "")
        response = line(fields.get("response") or fields.get("outcome") or fields.get("reply") or "")
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
        if s is not None:  # one decided after the page was gone reached nobody: not counted (workbench.scoring)
            if response == UNDELIVERED:
                s._intervention_keys.discard(key)
            else:
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
    """The run's buffer window; the default where the run's TOML has no positive one (a divisor)."""
    try:
        window = number(tomllib.loads(config_toml)["inference"]["buffer_window_ms"])
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        window = None
    return window if window is not None and window > 0 else 10_000.0


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
