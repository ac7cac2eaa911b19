"""Bot filtering, EITP v1.1 section 8: the 8.1 minimum and the 8.2 recommended rules, read on the
producer's own stream.

The section 8 rules were written for raw DOM events. Our producer samples the mouse with a
20 Hz timer and batches, which changes what each rule can mean:

Section 8.1 (normative)

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
  Two exceptions, for events that belong to the click before them: a worn mouse switch
  bounces, so a click on the same pixel (``bounce_px``) within 15 ms of the previous one is
  the same press (SapiMouse: 4 of 245 sessions were flagged before this, all by chattering
  buttons), but only while the chain of bounces stays within ``bounce_chain_ms`` of its first
  click: the longest real burst spans 95 ms, while a same-pixel auto-clicker chains for as long
  as it runs, and past that limit each of its clicks counts; and a ``form_focus``,
  ``form_submit`` or ``text_selection`` within 15 ms *after* a click is what that click caused
  (a label focusing its field, a submit button, a mouseup ending a selection).
* "Timing coefficient of variation < 0.1" is read on the same discrete actions once at
  least ``min_cv_intervals`` intervals exist: robotic regularity of deliberate actions.
* Click and scroll counts are per batch, as written.
* Connection-only: a session whose events are only ``connection``, ``tab_switch``,
  ``viewport_resize`` or ``viewport_boundary`` for more than ``connection_only_ms`` of
  event time (or until its connection closed that late) is a probe.
* User agents are matched against crawler, headless, automation and HTTP-client patterns, and a
  ``+http(s)://`` contact URL, which crawlers put in their user agent and browsers never do.

Section 8.2 (recommended)

* IP reputation: the bridge-injected ``ip`` is looked up in an offline list of datacenter and
  cloud ranges (:mod:`workbench.engine.ipreputation`). The address itself never leaves this
  module: the log names the provider, not the IP (section 10.3).
* Perfectly linear scrolling: the producer emits one ``scroll`` per settled burst (100 ms
  debounce), so a script calling ``scrollBy`` on a timer shows up as ``linear_scroll_events``
  consecutive same-direction scroll events whose intervals *and* velocities both have a CV
  below ``linear_scroll_max_cv``. A person's wheel notches are equal in size but never in time.
* Instant navigation (< 10 ms between arriving and acting), two readings:
  (1) a hand action less than ``instant_navigation_ms`` after the ``connection`` event, i.e.
  after the page arrived (never one from before it: a late batch of the previous page);
  (2) arriving at a click target: the sampler only knows where the cursor was on each 50 ms tick,
  so "arrived and clicked at once" shows as a click at least
  ``instant_jump_px`` away from the previous sample, with the next sample (within
  ``instant_next_sample_ms``) sitting on the click point: the cursor jumped there and clicked
  inside one tick, with no approach path. Fires after ``instant_min_clicks`` such clicks
  (measured on 245 SapiMouse sessions, 31,025 real clicks: no session has one). Clicks at
  (0, 0) are keyboard activations and are not judged.
* Hover bursts: 5+ ``{kind}_hover`` events within 50 ms. The producer emits hovers on its
  sampler tick, so the hovers of nested elements share one timestamp; ticks are 50 ms apart.
  A burst therefore also needs ``hover_burst_min_timestamps`` distinct timestamps inside the
  50 ms: impossible for the producer, typical of injected or forged events.
* Ghost form submissions: a ``form_submit`` with no ``form_focus`` and no ``click`` since the
  session began (or since the previous submit): nobody focused a field or pressed a button.
* These order-dependent readings (hover bursts, teleport-clicks, contact bounce, linear scroll
  runs, ghost submissions) are kept per page load (:class:`_Page`): a page's last batch may land
  after the next page's first, and is read beside its own page's events, not the newer page's.

* AI-assisted classification "for ambiguous cases": :func:`near_misses` names the rules that came
  close without firing, :func:`review_evidence` summarises what the rules read for a model, without
  IP, user agent or page content (the engine asks, :mod:`workbench.llm.botreview` calls the model).

Pure: :class:`BotEvidence` accumulates per session, event by event; :func:`assess` returns a
verdict with the section 8.3 log fields. Bounded: event type names outside the catalog count as one
``"other"``, and past :data:`ACTIONS_KEPT` hand actions the oldest intervals are kept as running
statistics, so a session's evidence costs the same per batch however long it runs.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from workbench.config import BotConfig
from workbench.engine import ipreputation
from workbench.engine.features import num

CONNECTION_ONLY_TYPES = frozenset({"connection", "tab_switch", "viewport_resize", "viewport_boundary"})

# Crawlers, headless browsers, automation tools and HTTP clients (maintained list; extend as new tools
# appear). "Cubot" is a phone brand ("CUBOT X30", "Cubot Note 20"), not a crawler. A "+http://" contact
# URL is the crawler convention ("compatible; +http://yandex.com/bots"); no browser puts one in its UA.
BOT_USER_AGENT = re.compile(
    r"(?<!cu)bot\b|crawl|spider|slurp|bingpreview|facebookexternalhit|\+https?://|"
    r"mediapartners-google|feedfetcher-google|google-inspectiontool|apis-google|googleother|"
    r"headlesschrome|phantomjs|selenium|webdriver|puppeteer|playwright|cypress|scrapy|"
    r"python-requests|python-urllib|aiohttp|httpx|curl/|wget/|go-http-client|java/|okhttp|node-fetch|"
    r"\bundici\b|axios/|postmanruntime|httpie|guzzlehttp|libwww-perl|lighthouse|"
    r"pingdom|uptimerobot|zgrab|masscan|nmap|\bwebsockets/|jsdom/",
    re.IGNORECASE,
)

HAND_ACTIONS = frozenset({"click", "form_focus", "form_submit", "text_selection"})


def is_discrete_action(event_type: str) -> bool:
    return event_type in HAND_ACTIONS


def _cv(values: Sequence[float] | np.ndarray) -> float:
    arr = np.asarray(values, dtype=float)
    mean = float(np.abs(arr).mean()) if arr.size else 0.0
    return float(arr.std() / mean) if mean > 0 else math.inf


#: page loads whose order-dependent state is kept apart; a late batch older than all of them joins the oldest
MAX_PAGES = 8
#: hand actions whose times are kept for the interval rules (8.1 "< 15 ms", timing CV). Past this, the oldest half's
#: intervals are folded into running statistics (:class:`_Folded`): a session that clicks for hours (or a bot that
#: goes on after its verdict would have) then costs the same memory and time per batch as one that just began. No
#: person reaches it: the real human corpora's busiest session has a few hundred hand actions.
ACTIONS_KEPT = 4096


@dataclass
class _Folded:
    """Running statistics of the intervals between the oldest hand actions, folded out of
    :attr:`BotEvidence.action_ts`: how many, how many under ``min_interval_ms``, their mean and sum of squared
    deviations (combined with the kept ones' as Chan et al. do, so the CV stays the two-pass one) and minimum."""

    actions: int = 0  # folded actions (their intervals are these), and late ones older than every kept one
    intervals: int = 0
    fast: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    anchor: float = -math.inf  # the newest folded action, still kept as the first of action_ts

    def fold(self, intervals: np.ndarray, min_interval_ms: float) -> None:
        n = intervals.size
        if not n:
            return
        mean = float(intervals.mean())
        m2 = float(((intervals - mean) ** 2).sum())
        total = self.intervals + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.intervals * n / total
        self.mean += delta * n / total
        self.intervals = total
        self.fast += int(np.count_nonzero(intervals < min_interval_ms))
        self.min = min(self.min, float(intervals.min()))


class _Timing(NamedTuple):
    """What the interval and regularity rules read of the hand actions (:func:`_action_timing`)."""

    actions: int
    intervals: int
    fast: int  # intervals under min_interval_ms
    cv: float  # infinite when the intervals have no mean
    min: float | None
    median: float | None  # of the kept actions' intervals once some were folded
    mean: float | None


@dataclass
class _Page:
    """The order-dependent section 8.2 state of one page load, from its ``connection`` event on.

    A page's batches arrive in order on its own socket, but its last one (the unload flush) may land
    after the next page's first (README "Late batches"). Read against the newer page's state, that
    beacon's hovers looked like one burst, its click like a jump from the other page's cursor, its
    submit like a ghost. Each event is therefore read with the page it belongs to in event time.
    """

    arrived: float  # its connection event; -inf for events before any
    last_sample: tuple[float, float, float] | None = None
    last_click: tuple[float, float, float] | None = None
    chain_start: float = 0.0  # first click of the current press and its bounces
    pending_clicks: list[tuple[float, float, float]] = field(default_factory=list)
    scrolls: deque[tuple[float, float, str]] = field(default_factory=deque)
    hovers: deque[float] = field(default_factory=deque)
    engaged_since_submit: bool = False


@dataclass
class BotEvidence:
    """What a session has shown so far, accumulated batch by batch (events in time order)."""

    config: BotConfig = field(default_factory=BotConfig)
    user_agent: str = ""
    ip_provider: str | None = None
    batches: int = 0
    events: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    closed_at: float | None = None
    # the event types seen, the catalog's by name and any other as "other" (see _type_counts): a client may
    # send any number of made-up names, and the rules only ask whether one was outside CONNECTION_ONLY_TYPES
    types: set[str] = field(default_factory=set)
    # the hand actions' times, the newest ACTIONS_KEPT or so; older ones' intervals are in _folded
    action_ts: list[float] = field(default_factory=list)
    max_clicks_in_batch: int = 0
    max_scrolls_in_batch: int = 0
    # section 8.2 state
    instant_actions: int = 0
    teleport_clicks: int = 0
    linear_scroll_runs: int = 0
    hover_bursts: int = 0
    ghost_submits: int = 0
    # for the section 8.2 AI review: how often each event type came, the most regular scroll run seen
    type_counts: Counter[str] = field(default_factory=Counter)
    scroll_run_cv: float = math.inf
    _pages: list[_Page] = field(default_factory=lambda: [_Page(-math.inf)])  # by arrival; see _Page
    _folded: _Folded = field(default_factory=_Folded)

    def add_batch(self, events: Sequence[Mapping[str, Any]], user_agent: str | None = None,
                  ip: str | None = None) -> None:
        if user_agent:
            self.user_agent = user_agent
        if ip:
            provider = ipreputation.load(self.config.datacenter_ranges_file).provider(ip)
            self.ip_provider = provider or self.ip_provider
        self.batches += 1
        self.events += len(events)
        clicks = scrolls = 0
        for e in events:
            kind, ts = str(e["type"]), float(e["timestamp"])
            name = kind if kind in CATALOG_EVENT_TYPES else "other"  # bounded: see _type_counts
            self.types.add(name)
            self.type_counts[name] += 1
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
            clicks += kind == "click"
            scrolls += kind == "scroll"
            data = e.get("data") or {}
            page = self._page_of(kind, ts)
            if is_discrete_action(kind) and not self._is_companion(page, kind, ts, data):
                self._action(ts)
            self._observe(page, kind, ts, data)
        self.max_clicks_in_batch = max(self.max_clicks_in_batch, clicks)
        self.max_scrolls_in_batch = max(self.max_scrolls_in_batch, scrolls)
        if len(self.action_ts) > ACTIONS_KEPT:
            self._fold()

    def _action(self, ts: float) -> None:
        if ts < self._folded.anchor:
            # a late action older than every kept one (only past ACTIONS_KEPT, and then within the bridge's
            # clock fence of the newest, so a session acting faster than any person): counted, its intervals not
            self._folded.actions += 1
        else:
            self.action_ts.append(ts)

    def _fold(self) -> None:
        """Keep the newest half of the hand actions; the older half's intervals go to running statistics. The
        newest folded one stays, first, so the interval from it to the next is still read exactly."""
        kept = np.sort(np.asarray(self.action_ts, dtype=float))
        cut = kept.size // 2
        self._folded.fold(np.diff(kept[:cut + 1]), self.config.min_interval_ms)
        self._folded.actions += cut
        self._folded.anchor = float(kept[cut])
        self.action_ts = kept[cut:].tolist()

    def _page_of(self, kind: str, ts: float) -> _Page:
        """The page load an event belongs to: the newest that arrived at or before it. A ``connection``
        event starts one, which takes over the session's engagement so far (see ghost submissions)."""
        pages = self._pages
        i = bisect.bisect_right(pages, ts, key=lambda p: p.arrived)  # pages[:i] arrived at or before ts
        if kind == "connection" and not (i and pages[i - 1].arrived == ts):
            if i == 0 and len(pages) >= MAX_PAGES:
                return pages[0]  # older than every page kept
            pages.insert(i, _Page(ts, engaged_since_submit=i > 0 and pages[i - 1].engaged_since_submit))
            if len(pages) > MAX_PAGES:
                del pages[0]
                i -= 1
            return pages[i]
        return pages[max(i - 1, 0)]

    def _is_companion(self, page: _Page, kind: str, ts: float, data: Mapping[str, Any]) -> bool:
        """Actions that are not a new hand action but part of the previous click:

        * contact bounce: a click on the same pixel within ``min_interval_ms`` of the previous one
          is the same physical press (measured in SapiMouse: one user's button chatters in runs
          of presses 10-13 ms apart, another doubles clicks 1-3 ms apart, always on one pixel),
          while the chain stays within ``bounce_chain_ms`` of its first click (the longest run
          measured spans 95 ms; an auto-clicker's chain goes on, and its clicks count from there);
        * what a click causes: the focus a ``<label>`` click moves to its field, the submit a
          submit button fires, the selection a mouseup ends; each follows its click within a few
          ms. (The reverse order, a focus on mousedown and a click 1 ms later, is a press with no
          hold, which no hand makes, and counts.)
        """
        k = self.config
        last = page.last_click
        recent = last is not None and 0 <= ts - last[0] < k.min_interval_ms
        if kind != "click":
            return recent
        x, y = num(data.get("x")), num(data.get("y"))
        page.last_click = (ts, x, y)
        if not (recent and last is not None and math.hypot(x - last[1], y - last[2]) <= k.bounce_px):
            page.chain_start = ts  # a new press
            return False
        return ts - page.chain_start < k.bounce_chain_ms

    # --- section 8.2 pattern analysis, one event at a time, on the state of its page -------
    def _observe(self, page: _Page, kind: str, ts: float, data: Mapping[str, Any]) -> None:
        k = self.config
        if is_discrete_action(kind) and 0 <= ts - page.arrived < k.instant_navigation_ms:
            self.instant_actions += 1
        if kind == "mouse":
            self._on_sample(page, ts, num(data.get("x")), num(data.get("y")))
        elif kind == "click":
            self._on_click(page, ts, num(data.get("x")), num(data.get("y")))
        elif kind == "scroll":
            self._on_scroll(page, ts, num(data.get("velocity")), str(data.get("direction", "")))
        elif kind.endswith("_hover"):
            self._on_hover(page, ts)
        if kind in ("form_focus", "click"):
            page.engaged_since_submit = True
        elif kind == "form_submit":
            if not page.engaged_since_submit:
                self.ghost_submits += 1
            page.engaged_since_submit = False

    def _on_sample(self, page: _Page, ts: float, x: float, y: float) -> None:
        k = self.config
        for cts, cx, cy in page.pending_clicks:
            if ts - cts <= k.instant_next_sample_ms and math.hypot(x - cx, y - cy) <= k.instant_arrival_px:
                self.teleport_clicks += 1
        page.pending_clicks.clear()
        page.last_sample = (ts, x, y)

    def _on_click(self, page: _Page, ts: float, x: float, y: float) -> None:
        if (x, y) == (0.0, 0.0) or page.last_sample is None:
            return  # keyboard activation, or no cursor seen yet: nothing to compare with
        _, px, py = page.last_sample
        if math.hypot(x - px, y - py) >= self.config.instant_jump_px:
            page.pending_clicks.append((ts, x, y))

    def _on_scroll(self, page: _Page, ts: float, velocity: float, direction: str) -> None:
        k = self.config
        run = page.scrolls
        if run and run[-1][2] != direction:
            run.clear()
        run.append((ts, abs(velocity), direction))
        while len(run) > k.linear_scroll_events:
            run.popleft()
        if len(run) == k.linear_scroll_events >= 3:
            intervals = np.diff([s[0] for s in run])
            run_cv = max(_cv(intervals), _cv([s[1] for s in run]))
            self.scroll_run_cv = min(self.scroll_run_cv, run_cv)
            if run_cv < k.linear_scroll_max_cv:
                self.linear_scroll_runs += 1
                run.clear()

    def _on_hover(self, page: _Page, ts: float) -> None:
        k = self.config
        hovers = page.hovers
        hovers.append(ts)
        while hovers and ts - hovers[0] >= k.hover_burst_ms:
            hovers.popleft()
        if len(hovers) >= k.hover_burst_count and len(set(hovers)) >= k.hover_burst_min_timestamps:
            self.hover_bursts += 1
            hovers.clear()


@dataclass(frozen=True)
class BotVerdict:
    """Section 8.3 detection log fields."""

    classification: str  # "human" | "bot" | "uncertain"
    confidence: float
    reasoning: str
    signals: tuple[str, ...]
    event_count: int


def assess(ev: BotEvidence, config: BotConfig, *, wait_batches: int, wait_ms: float = 0.0,
           closed: bool = False) -> BotVerdict:
    """The section 8.3 verdict on what ``ev`` holds so far.

    "bot" as soon as any rule fires. "human" only once no rule has fired after ``wait_batches``
    producer batches *and* ``wait_ms`` of the session's event time (Appendix C "Bot classification
    wait: 3 batches ~30s"; several rules need that much: three sub-15 ms intervals, eight intervals
    for the regularity CV, eight scroll events). A ``closed`` session has shown all it ever will, so
    the time wait no longer applies. Until then: "uncertain".
    """
    signals: list[str] = []
    reasons: list[str] = []

    def fire(signal: str, reason: str) -> None:
        signals.append(signal)
        reasons.append(reason)

    # --- 8.1 ---
    if ev.user_agent and (m := BOT_USER_AGENT.search(ev.user_agent)):
        fire("user_agent", f"user agent matches automation pattern {m.group(0)!r}")
    end = max(x for x in (ev.last_ts, ev.closed_at, ev.first_ts) if x is not None) if ev.first_ts is not None else 0.0
    span = end - (ev.first_ts or 0.0)
    if ev.types and ev.types <= CONNECTION_ONLY_TYPES and span > config.connection_only_ms:
        fire("connection_only", f"only connection-level events for {span / 1000:.1f} s")
    if ev.max_clicks_in_batch > config.max_clicks_per_batch:
        fire("click_rate", f"{ev.max_clicks_in_batch} clicks in one batch")
    if ev.max_scrolls_in_batch > config.max_scrolls_per_batch:
        fire("scroll_rate", f"{ev.max_scrolls_in_batch} scroll events in one batch")
    timing = _action_timing(ev, config)
    if timing.fast >= config.min_fast_intervals:
        fire("sub_15ms_intervals", f"{timing.fast} intervals between actions under {config.min_interval_ms:g} ms")
    if timing.intervals >= config.min_cv_intervals and timing.cv < config.min_timing_cv:
        fire("timing_regularity", f"action timing CV {timing.cv:.3f} < {config.min_timing_cv}")
    # --- 8.2 ---
    if ev.ip_provider:
        fire("datacenter_ip", f"connecting address is in a {ev.ip_provider} datacenter range")
    if ev.linear_scroll_runs:
        fire("linear_scrolling", f"{config.linear_scroll_events} scroll events with constant spacing and velocity "
                                 f"(CV < {config.linear_scroll_max_cv:g})")
    if ev.instant_actions:
        fire("instant_navigation", f"{ev.instant_actions} action(s) under {config.instant_navigation_ms:g} ms "
                                   "after the page arrived")
    elif ev.teleport_clicks >= config.instant_min_clicks:
        fire("instant_navigation", f"{ev.teleport_clicks} clicks where the cursor jumped >= "
                                   f"{config.instant_jump_px:g} px and clicked within one sampler tick")
    if ev.hover_bursts:
        fire("hover_burst", f"{config.hover_burst_count}+ hover events within {config.hover_burst_ms:g} ms, "
                            "off the sampler tick")
    if ev.ghost_submits:
        fire("ghost_form_submit", f"{ev.ghost_submits} form submission(s) without any field focus or click")

    if signals:
        confidence = round(min(0.99, 0.8 + 0.07 * len(signals)), 2)
        return BotVerdict("bot", confidence, "; ".join(reasons), tuple(signals), ev.events)
    if ev.batches < wait_batches:
        reason = f"{ev.batches} of {wait_batches} batches seen, no bot signal yet"
        return BotVerdict("uncertain", 0.5, reason, (), ev.events)
    if not closed and span < wait_ms:
        reason = f"watched {span / 1000:.1f} s of {wait_ms / 1000:g} s, no bot signal yet"
        return BotVerdict("uncertain", 0.5, reason, (), ev.events)
    confidence = min(0.95, 0.6 + 0.05 * ev.batches)
    return BotVerdict("human", round(confidence, 2), "no section 8.1 or 8.2 signal fired", (), ev.events)


# --- section 8.2 AI-assisted classification: the ambiguous cases ----------------------------------

def near_misses(ev: BotEvidence, config: BotConfig) -> tuple[str, ...]:
    """The rules that came close to firing on ``ev`` without firing (section 8.2 "ambiguous cases").

    Meant for a session :func:`assess` calls "human"; on one it calls "bot" the names mean nothing.
    Margins (``BotConfig.ai_review_*``): action timing CV under ``ai_review_cv``; one or more
    sub-15 ms action intervals but fewer than ``min_fast_intervals``; one or more teleport-clicks but
    fewer than ``instant_min_clicks``; clicks or scrolls in one batch above ``ai_review_rate_share``
    of their 8.1 maximum; a scroll run whose interval and velocity CVs are both under
    ``ai_review_scroll_cv``.
    """
    found: list[str] = []
    timing = _action_timing(ev, config)
    if timing.intervals >= config.min_cv_intervals and config.min_timing_cv <= timing.cv < config.ai_review_cv:
        found.append("timing_regularity")
    if 0 < timing.fast < config.min_fast_intervals:
        found.append("sub_15ms_intervals")
    if 0 < ev.teleport_clicks < config.instant_min_clicks and not ev.instant_actions:
        found.append("instant_navigation")
    share = config.ai_review_rate_share
    if share * config.max_clicks_per_batch < ev.max_clicks_in_batch <= config.max_clicks_per_batch:
        found.append("click_rate")
    if share * config.max_scrolls_per_batch < ev.max_scrolls_in_batch <= config.max_scrolls_per_batch:
        found.append("scroll_rate")
    if config.linear_scroll_max_cv <= ev.scroll_run_cv < config.ai_review_scroll_cv:
        found.append("linear_scrolling")
    return tuple(found)


def _action_timing(ev: BotEvidence, config: BotConfig) -> _Timing:
    """The intervals between hand actions: how many, how many are under ``min_interval_ms``, and their CV
    (infinite when they have no mean): what the interval and regularity rules read. Those of the kept actions
    (:attr:`BotEvidence.action_ts`, read in time order) and those folded out of it (:class:`_Folded`) together."""
    intervals = np.diff(np.sort(np.asarray(ev.action_ts, dtype=float)))
    fast = int(np.count_nonzero(intervals < config.min_interval_ms))
    some = bool(intervals.size)
    median = float(np.median(intervals)) if some else None
    folded = ev._folded
    if not folded.intervals:  # all kept: read as they are
        mean = float(intervals.mean()) if some else 0.0
        cv = float(intervals.std() / mean) if mean > 0 else math.inf
        return _Timing(len(ev.action_ts) + folded.actions, intervals.size, fast, cv,
                       float(intervals.min()) if some else None, median, mean if some else None)
    total = _Folded(**{k: getattr(folded, k) for k in ("intervals", "fast", "mean", "m2", "min")})
    total.fold(intervals, config.min_interval_ms)
    cv = math.sqrt(max(total.m2, 0.0) / total.intervals) / total.mean if total.mean > 0 else math.inf
    return _Timing(len(ev.action_ts) + folded.actions, total.intervals, total.fast, cv, total.min,
                   median if some else None, total.mean)


def _finite(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# The event types the review may name: the Appendix A catalog, its templated proximity events over the
# 11 element kinds of Appendix B (44 names), and the ``connection`` event of section 8.1.
_ELEMENT_KINDS = ("price", "purchase_button", "checkout_button", "subscribe_button", "demo_cta", "signup_cta",
                  "tier_card", "pricing_nav", "feature_nav", "learn_more", "cta")
CATALOG_EVENT_TYPES = frozenset({
    "mouse", "circular_motion", "direction_changes", "mouse_pause", "mouse_exit", "iframe_exit", "click",
    "rage_click", "scroll", "pricing_comparison", "viewport_resize", "viewport_boundary", "viewport_approach",
    "tab_switch", "long_tab_return", "form_focus", "form_blur", "form_submit", "text_selection",
    "text_selection_with_price", "connection",
    *(f"{kind}_{event}" for kind in _ELEMENT_KINDS for event in ("proximity_enter", "hover", "proximity",
                                                                  "proximity_leave")),
})


def _type_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Event type counts of the catalog's types (:data:`CATALOG_EVENT_TYPES`); any other name is the
    client's string (free text, a prompt, an e-mail address, thousands of made-up names), so all of
    them are counted together as ``"other"``, never shown: the summary stays a few dozen entries."""
    out: Counter[str] = Counter()
    for kind, n in counts.items():
        out[kind if kind in CATALOG_EVENT_TYPES else "other"] += n
    return dict(sorted(out.items()))


def review_evidence(ev: BotEvidence, config: BotConfig, misses: Sequence[str]) -> dict[str, Any]:
    """A compact summary of ``ev`` for the section 8.2 AI review: counts, timing statistics, the near
    misses and the limits they were near. No IP (not even its provider: no rule fired on it), no user
    agent string, no page text, no positions: only what the bot rules themselves read."""
    timing = _action_timing(ev, config)
    span = ((max(x for x in (ev.last_ts, ev.closed_at) if x is not None) - ev.first_ts)
            if ev.first_ts is not None else 0.0)
    return {
        "near_misses": list(misses),
        "batches": ev.batches,
        "events": ev.events,
        "span_ms": round(span),
        "connection_closed": ev.closed_at is not None,
        "user_agent_present": bool(ev.user_agent),
        "event_types": _type_counts(ev.type_counts),
        "actions": {"count": timing.actions, "intervals": timing.intervals,
                    "under_15ms": timing.fast, "timing_cv": _finite(timing.cv),
                    "min_interval_ms": _round(timing.min), "median_interval_ms": _round(timing.median),
                    "mean_interval_ms": _round(timing.mean)},
        "max_clicks_in_batch": ev.max_clicks_in_batch,
        "max_scrolls_in_batch": ev.max_scrolls_in_batch,
        "teleport_clicks": ev.teleport_clicks,
        "most_regular_scroll_run_cv": _finite(ev.scroll_run_cv),
        "rule_limits": {"timing_cv_below": config.min_timing_cv, "timing_cv_min_intervals": config.min_cv_intervals,
                        "interval_ms_below": config.min_interval_ms, "fast_intervals_at": config.min_fast_intervals,
                        "teleport_clicks_at": config.instant_min_clicks,
                        "clicks_per_batch_above": config.max_clicks_per_batch,
                        "scrolls_per_batch_above": config.max_scrolls_per_batch,
                        "scroll_run_cv_below": config.linear_scroll_max_cv},
    }
