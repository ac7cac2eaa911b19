"""Bot filtering, EITP v1.1 section 8.1 (normative minimum) read on the producer's own stream.

The section 8.1 rules were written for raw DOM events. Our producer samples the mouse
with a 20 Hz timer and batches, which changes what each rule can mean:

* ``mouse`` samples are timer-driven, 50 ms apart by construction. Their intervals say
  nothing about the hand, so the interval and regularity rules never look at them
  (on raw 60 Hz input "an interval < 15 ms" flags ~100% of real humans, see
  ``../shared/corpora/README.md``).
* "Consecutive event intervals < 15 ms" is read on *hand actions*: ``click``,
  ``form_focus``, ``form_submit`` and ``text_selection``, each one DOM input. Proximity and
  hover events are excluded: the producer computes them on the sampler tick, so several
  share one timestamp whenever the cursor nears a cluster of elements (measured: the
  paralysed-buyer demo was flagged until they were excluded). Companion events emitted
  together with an action (``rage_click``, ``text_selection_with_price``, ``form_blur``
  beside the next ``form_focus``) are excluded for the same reason. No human produces
  several hand actions within 15 ms of each other; scripted ``page.click`` loops do. It
  fires after ``min_fast_intervals`` such intervals, so one coincidence is not enough.
* "Timing coefficient of variation < 0.1" is read on the same discrete actions once at
  least ``min_cv_intervals`` intervals exist: robotic regularity of deliberate actions.
* Click and scroll counts are per batch, as written.
* Connection-only: a session whose events are only ``connection``, ``tab_switch``,
  ``viewport_resize`` or ``viewport_boundary`` for more than ``connection_only_ms`` of
  event time (or until its connection closed that late) is a probe.
* User agents are matched against crawler, headless and automation patterns.

Pure: :class:`BotEvidence` accumulates per session; :func:`assess` returns a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.config import BotConfig

CONNECTION_ONLY_TYPES = frozenset({"connection", "tab_switch", "viewport_resize", "viewport_boundary"})

# Crawlers, headless browsers and automation tools (maintained list; extend as new tools appear).
BOT_USER_AGENT = re.compile(
    r"bot\b|crawl|spider|slurp|bingpreview|facebookexternalhit|headlesschrome|phantomjs|"
    r"selenium|webdriver|puppeteer|playwright|cypress|scrapy|python-requests|python-urllib|aiohttp|"
    r"httpx|curl/|wget/|go-http-client|java/|okhttp|node-fetch|axios/|libwww-perl|lighthouse|"
    r"pingdom|uptimerobot|zgrab|masscan|nmap",
    re.IGNORECASE,
)


HAND_ACTIONS = frozenset({"click", "form_focus", "form_submit", "text_selection"})


def is_discrete_action(event_type: str) -> bool:
    return event_type in HAND_ACTIONS


@dataclass
class BotEvidence:
    """What a session has shown so far, accumulated batch by batch."""

    user_agent: str = ""
    batches: int = 0
    events: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    closed_at: float | None = None
    types: set[str] = field(default_factory=set)
    action_ts: list[float] = field(default_factory=list)
    max_clicks_in_batch: int = 0
    max_scrolls_in_batch: int = 0

    def add_batch(self, events: Sequence[Mapping[str, Any]], user_agent: str | None = None) -> None:
        if user_agent:
            self.user_agent = user_agent
        self.batches += 1
        self.events += len(events)
        clicks = scrolls = 0
        for e in events:
            kind, ts = str(e["type"]), float(e["timestamp"])
            self.types.add(kind)
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
            clicks += kind == "click"
            scrolls += kind == "scroll"
            if is_discrete_action(kind):
                self.action_ts.append(ts)
        self.max_clicks_in_batch = max(self.max_clicks_in_batch, clicks)
        self.max_scrolls_in_batch = max(self.max_scrolls_in_batch, scrolls)


@dataclass(frozen=True)
class BotVerdict:
    """Section 8.3 detection log fields."""

    classification: str  # "human" | "bot" | "uncertain"
    confidence: float
    reasoning: str
    signals: tuple[str, ...]
    event_count: int


def assess(ev: BotEvidence, config: BotConfig, *, wait_batches: int) -> BotVerdict:
    signals: list[str] = []
    reasons: list[str] = []
    if ev.user_agent and (m := BOT_USER_AGENT.search(ev.user_agent)):
        signals.append("user_agent")
        reasons.append(f"user agent matches automation pattern {m.group(0)!r}")
    end = max(x for x in (ev.last_ts, ev.closed_at, ev.first_ts) if x is not None) if ev.first_ts is not None else 0.0
    span = end - (ev.first_ts or 0.0)
    if ev.types and ev.types <= CONNECTION_ONLY_TYPES and span > config.connection_only_ms:
        signals.append("connection_only")
        reasons.append(f"only connection-level events for {span / 1000:.1f} s")
    if ev.max_clicks_in_batch > config.max_clicks_per_batch:
        signals.append("click_rate")
        reasons.append(f"{ev.max_clicks_in_batch} clicks in one batch")
    if ev.max_scrolls_in_batch > config.max_scrolls_per_batch:
        signals.append("scroll_rate")
        reasons.append(f"{ev.max_scrolls_in_batch} scroll events in one batch")
    intervals = np.diff(np.sort(np.asarray(ev.action_ts, dtype=float)))
    fast = int(np.count_nonzero(intervals < config.min_interval_ms))
    if fast >= config.min_fast_intervals:
        signals.append("sub_15ms_intervals")
        reasons.append(f"{fast} intervals between actions under {config.min_interval_ms:g} ms")
    if intervals.size >= config.min_cv_intervals and intervals.mean() > 0:
        cv = float(intervals.std() / intervals.mean())
        if cv < config.min_timing_cv:
            signals.append("timing_regularity")
            reasons.append(f"action timing CV {cv:.3f} < {config.min_timing_cv}")
    if signals:
        return BotVerdict("bot", round(min(0.99, 0.8 + 0.07 * len(signals)), 2), "; ".join(reasons), tuple(signals), ev.events)
    if ev.batches < wait_batches:
        return BotVerdict("uncertain", 0.5, f"{ev.batches} of {wait_batches} batches seen, no bot signal yet", (), ev.events)
    confidence = min(0.95, 0.6 + 0.05 * ev.batches)
    return BotVerdict("human", round(confidence, 2), "no section 8.1 signal fired", (), ev.events)
