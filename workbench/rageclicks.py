"""Rage clicks as EITP v1.1 defines them (section 3.3, Appendix C) and as the tools people compare it with do.

A QA engineer asks two things of a rage-click detector: does it fire for a frustrated visitor,
and does it stay quiet for a careful one? The answer depends on the definition, and every
analytics tool has its own. This module replays one session's clicks through each of them,
so a run (or a recorded human) can be judged by all of them side by side. It is a pure core:
clicks in, bursts out; :mod:`workbench.cli.cmd_rage` and ``bench/bench_rageclicks.py`` feed it.

Each definition keeps its tool's public defaults (read in the tools' source):

* **EITP v1.1** (spec 3.3 and Appendix C; ``signal.rage_clicks`` / ``signal.rage_window_ms``):
  at least 3 clicks within 500 ms, anywhere on the page. One burst lasts while consecutive
  clicks are at most the window apart. This is the producer's own rule, replayed.
* **PostHog** (posthog-js ``rageclick.ts``): 3 clicks, each less than 30 px (|dx| + |dy|) and
  less than 1000 ms from the previous one; reported once per run of such clicks.
* **Mixpanel** (mixpanel-js ``src/autocapture/rageclick.js``, current): 4 clicks, each less than
  30 px (straight-line) and less than 1000 ms from the previous one; counting starts over after
  each report. Older releases used 3 clicks.
* **Datadog RUM** (browser-sdk ``clickChain.ts`` and ``computeFrustration.ts``): a chain of clicks
  on the same element, each at most 100 px and 1 s from the previous one, is a rage click when
  3 of its clicks fall within 1 s, unless the visitor scrolled or selected text during the chain
  (a double or triple click that selects a word or a line is not rage).
* **OpenReplay** (backend ``clickRage.go``): at least 3 clicks in a row on elements with the same
  non-empty label, each less than 300 ms after the previous one.

Element identity: EITP's ``click`` event carries the target's tag, id, class and (clipped) text.
Datadog compares elements, so two clicks are on "the same element" when all four agree;
OpenReplay compares labels, for which the text stands in. Recorded corpora carry no targets, so
there those two definitions do not apply (:attr:`Definition.needs_target`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.config import EITPConfig


@dataclass(frozen=True)
class Click:
    t: float  # ms (event time)
    x: float  # viewport px
    y: float
    element: tuple[str, str, str, str] | None = None  # (tag, id, class, text); None: not known
    label: str = ""  # the element's text, OpenReplay's label


@dataclass(frozen=True)
class Burst:
    """One reported rage click: when its first click was, when it was reported, how many clicks it spans."""

    start: float
    at: float
    clicks: int


#: (clicks, times of the visitor's own page activity: scrolls and text selections) -> bursts
Detector = Callable[[Sequence[Click], Sequence[float]], list[Burst]]


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    rule: str  # one line, for tables and --help
    source: str
    detect: Detector
    needs_target: bool = False  # compares elements: not applicable without them


def _chains(clicks: Sequence[Click], follows: Callable[[Click, Click], bool]) -> Iterable[list[Click]]:
    """Split time-ordered clicks into maximal runs in which each click ``follows`` the previous one."""
    run: list[Click] = []
    for c in clicks:
        if run and not follows(run[-1], c):
            yield run
            run = []
        run.append(c)
    if run:
        yield run


def eitp(count: int = 3, window_ms: float = 500.0) -> Detector:
    """The producer's rule (``sites/producer/eitp-producer.js``, click tracker)."""
    def detect(clicks: Sequence[Click], activity: Sequence[float]) -> list[Burst]:
        bursts: list[Burst] = []
        for run in _chains(clicks, lambda a, b: b.t - a.t <= window_ms):
            for i, c in enumerate(run):
                recent = [r for r in run[:i + 1] if c.t - r.t <= window_ms]
                if len(recent) >= count:
                    bursts.append(Burst(recent[0].t, c.t, len(run)))
                    break
        return bursts
    return detect


def posthog(count: int = 3, threshold_px: float = 30.0, timeout_ms: float = 1000.0) -> Detector:
    def detect(clicks: Sequence[Click], activity: Sequence[float]) -> list[Burst]:
        near = lambda a, b: abs(b.x - a.x) + abs(b.y - a.y) < threshold_px and b.t - a.t < timeout_ms  # noqa: E731
        return [Burst(run[0].t, run[count - 1].t, len(run)) for run in _chains(clicks, near) if len(run) >= count]
    return detect


def mixpanel(count: int = 4, threshold_px: float = 30.0, timeout_ms: float = 1000.0) -> Detector:
    def detect(clicks: Sequence[Click], activity: Sequence[float]) -> list[Burst]:
        bursts: list[Burst] = []
        near = lambda a, b: math.hypot(b.x - a.x, b.y - a.y) < threshold_px and b.t - a.t < timeout_ms  # noqa: E731
        for run in _chains(clicks, near):
            for k in range(count, len(run) + 1, count):  # the tracker starts over after each report
                bursts.append(Burst(run[k - count].t, run[k - 1].t, count))
        return bursts
    return detect


def datadog(per_second: int = 3, max_gap_ms: float = 1000.0, max_distance_px: float = 100.0,
            scroll_grace_ms: float = 100.0) -> Detector:
    """``scroll_grace_ms``: EITP stamps a ``scroll`` event when the scroll settles (its debounce)."""
    def detect(clicks: Sequence[Click], activity: Sequence[float]) -> list[Burst]:
        def same(a: Click, b: Click) -> bool:
            return (a.element is not None and a.element == b.element and b.t - a.t <= max_gap_ms
                    and math.hypot(b.x - a.x, b.y - a.y) <= max_distance_px)
        bursts: list[Burst] = []
        for run in _chains(clicks, same):
            if any(run[0].t <= a <= run[-1].t + scroll_grace_ms for a in activity):
                continue  # the visitor scrolled or selected text: Datadog does not call that rage
            for i in range(len(run) - per_second + 1):
                if run[i + per_second - 1].t - run[i].t <= 1000.0:
                    bursts.append(Burst(run[0].t, run[-1].t, len(run)))  # reported when the chain ends
                    break
        return bursts
    return detect


def openreplay(count: int = 3, max_gap_ms: float = 300.0) -> Detector:
    def detect(clicks: Sequence[Click], activity: Sequence[float]) -> list[Burst]:
        same = lambda a, b: bool(a.label) and a.label == b.label and b.t - a.t < max_gap_ms  # noqa: E731
        return [Burst(run[0].t, run[-1].t, len(run)) for run in _chains(clicks, same)
                if len(run) >= count and run[0].label]
    return detect


def definitions(config: EITPConfig | None = None) -> list[Definition]:
    """Every definition, EITP's with this configuration's thresholds."""
    sig = (config or EITPConfig()).signal
    return [
        Definition("eitp", "EITP v1.1", f">= {sig.rage_clicks} clicks within {sig.rage_window_ms} ms, anywhere",
                   "spec 3.3, Appendix C", eitp(sig.rage_clicks, sig.rage_window_ms)),
        Definition("posthog", "PostHog", "3 clicks, each < 30 px (|dx|+|dy|) and < 1 s from the last",
                   "posthog-js rageclick.ts", posthog()),
        Definition("mixpanel", "Mixpanel", "4 clicks, each < 30 px and < 1 s from the last",
                   "mixpanel-js autocapture/rageclick.js", mixpanel()),
        Definition("datadog", "Datadog", "3 clicks in 1 s on one element, each <= 100 px, no scroll or selection",
                   "browser-sdk clickChain.ts, computeFrustration.ts",
                   datadog(scroll_grace_ms=float(sig.scroll_debounce_ms)), needs_target=True),
        Definition("openreplay", "OpenReplay", ">= 3 clicks on one label, each < 300 ms after the last",
                   "openreplay backend clickRage.go", openreplay(), needs_target=True),
    ]


#: the event types :func:`judge` reads: clicks, the visitor's own activity, and the producer's own rage clicks
EVENT_TYPES = frozenset({"click", "scroll", "text_selection", "rage_click"})


def _number(value: Any) -> float | None:
    """``value`` as a finite number, or None: a page may send anything in an event's data."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def from_events(events: Iterable[dict[str, Any]]) -> tuple[list[Click], list[float]]:
    """A session's EITP events (section 3) -> its clicks, and the times of its ``scroll`` and
    ``text_selection`` events (the visitor's own activity), in time order.

    The batch schema only asks that an event's ``data`` be an object, and ``workbench serve`` stores
    what any page sends: a click whose time or position is not a finite number (``"412px"``, ``null``,
    missing) cannot be placed and is left out; a ``target`` that is not an object counts as unknown."""
    clicks: list[Click] = []
    activity: list[float] = []
    for e in events:
        data = e.get("data")
        data = data if isinstance(data, dict) else {}
        t = _number(e.get("timestamp"))
        if t is None:
            continue
        if e.get("type") == "click":
            x, y = _number(data.get("x")), _number(data.get("y"))
            if x is None or y is None:
                continue
            target = data.get("target")
            target = target if isinstance(target, dict) else {}
            text = str(target.get("text", ""))
            element = (str(target.get("tag", "")), str(target.get("id", "")), str(target.get("class", "")), text)
            clicks.append(Click(t, x, y, element, text.strip()))
        elif e.get("type") in ("scroll", "text_selection"):
            activity.append(t)
    clicks.sort(key=lambda c: c.t)
    return clicks, sorted(activity)


def bare_clicks(t: Iterable[float], x: Iterable[float], y: Iterable[float]) -> list[Click]:
    """Clicks known only by time and place (a recorded corpus), in time order."""
    return sorted((Click(float(a), float(b), float(c)) for a, b, c in zip(t, x, y, strict=True)), key=lambda c: c.t)


@dataclass(frozen=True)
class Verdicts:
    """One session judged by every definition: bursts per definition key (None: not applicable)."""

    clicks: int
    bursts: dict[str, int | None]
    sent: int  # rage_click events the producer itself sent (EITP, live)


def judge(events: Sequence[dict[str, Any]], defs: Sequence[Definition]) -> Verdicts:
    clicks, activity = from_events(events)
    sent = sum(1 for e in events if e.get("type") == "rage_click")
    return Verdicts(len(clicks), {d.key: len(d.detect(clicks, activity)) for d in defs}, sent)


def judge_clicks(clicks: Sequence[Click], defs: Sequence[Definition]) -> dict[str, int | None]:
    """Clicks without elements (a recorded corpus): definitions that compare elements do not apply.
    Without any click nothing says whether elements would have been known: those read None too."""
    known = bool(clicks) and all(c.element is not None for c in clicks)
    return {d.key: None if d.needs_target and not known else len(d.detect(clicks, ())) for d in defs}


@dataclass(frozen=True)
class SessionRage:
    session_id: str
    persona: str
    #: "rage" (the persona's ground truth lists rage_click), "none", "bot" (a script: a rage click
    #: says nothing of anyone's mood, so bots are not counted) or "unknown" (no ground truth stored)
    expects: str
    verdicts: Verdicts

    @property
    def expects_rage(self) -> bool | None:
        return {"rage": True, "none": False}.get(self.expects)


def expectation(ground_truth: dict[str, Any] | None) -> str:
    """A persona's ground truth (``Persona.ground_truth``) -> :attr:`SessionRage.expects`."""
    if ground_truth is None:
        return "unknown"
    if ground_truth.get("bot"):
        return "bot"
    return "rage" if "rage_click" in ground_truth.get("signals", ()) else "none"


def summarise(sessions: Sequence[SessionRage], defs: Sequence[Definition]) -> list[dict[str, Any]]:
    """Per definition: in how many human sessions it fired, among those whose persona is built to
    rage-click (``caught`` of ``expected``) and among those that are not (``false_alarms`` of ``unexpected``)."""
    rows = []
    for d in defs:
        judged = [s for s in sessions if s.verdicts.bursts.get(d.key) is not None and s.expects_rage is not None]
        fired = [s for s in judged if s.verdicts.bursts[d.key]]
        rows.append({
            "definition": d.key, "name": d.name, "rule": d.rule, "source": d.source,
            "expected": sum(1 for s in judged if s.expects_rage), "caught": sum(1 for s in fired if s.expects_rage),
            "unexpected": sum(1 for s in judged if not s.expects_rage),
            "false_alarms": sum(1 for s in fired if not s.expects_rage),
            "bursts": sum(int(s.verdicts.bursts[d.key] or 0) for s in sessions if s.verdicts.bursts.get(d.key)),
        })
    return rows


def judge_run(sessions: Iterable[dict[str, Any]], events: dict[str, list[dict[str, Any]]],
              defs: Sequence[Definition]) -> dict[str, Any]:
    """A stored run's sessions (``repo.run_report``'s, with their ground truth) judged by every
    definition: ``{"definitions": [...summarise...], "sessions": [...]}``, plain data for reports."""
    judged = [SessionRage(s["session_id"], s["persona"], expectation(s.get("ground_truth")),
                          judge(events.get(s["session_id"], []), defs)) for s in sessions]
    return {"definitions": summarise(judged, defs), "sessions": [
        {"session_id": s.session_id, "persona": s.persona, "expects": s.expects,
         "clicks": s.verdicts.clicks, "sent": s.verdicts.sent, "bursts": s.verdicts.bursts} for s in judged]}
