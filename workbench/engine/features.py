"""Window features: the evidence the classifier reasons over (EITP v1.1 sections 3, 6 and 7.2).

A pure function of one 10 s window of producer events plus what the session already
knew (sections visited before, the scroll depth the window started at). Mouse kinematics
are summarised with numpy; discrete events are counted; durations come from event
timestamps, never from a clock. What each group of features reads:

* kinematics (3.1): speed median / p90 / CV over moving samples, acceleration and jerk p90,
  the moving fraction of samples;
* gestures (3.2): pauses (count, long ones, total and mean duration, 5 s inactivity), the mean
  dwell on one view (each pause cut where the page scrolled under the resting cursor), circular
  motion (count, best circularity), zigzags;
* clicks (3.3): clicks, rage bursts, clicks on non-interactive elements, CTA and
  learn-more click-throughs;
* exit intent (3.6): ``viewport_approach`` and top-edge ``mouse_exit``;
* tabs (3.7): absences, their total duration, long returns;
* forms (3.8): focuses, filled fields, abandonment (``hasValue`` false AND duration >
  ``field_abandonment_ms``), submits, and the time a field was focused (a focus still open when
  the window began counts from its start: keystrokes are never telemetry, section 10.2, so a
  focused field is the only trace of someone typing). A blur closes the open focus with its ``id``,
  or else with its ``name``: Appendix A lists ``form_blur`` without an id, and some producers send none;
  a focus on another field closes it too (a page has one focused element, so a lost blur ends there);
* proximity (3.5): price dwell, CTA dwell, hovers, approach-retreat cycles on CTAs,
  alternation between tier cards, pricing comparisons;
* scroll (3.4): count, reversals, mean |velocity|, depth reached and gained;
* sections: the visited sequence, revisits, new sections, time share on pricing and on
  trust pages (reviews, testimonials, about...);
* activity: the event time the window covers, and the longest stretch with neither an *active*
  event nor a focused field (``idle_ms``), counted from the session's last activity before the
  window. Every event is active except ``mouse`` samples below the micro-movement speed and the
  ``mouse_pause`` reports (3.2): both say the cursor rests, which a reader scrolling with the wheel
  or a buyer typing in a field also does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from workbench.config import EITPConfig
from workbench.protocol.taxonomy import name_token

Event = Mapping[str, Any]

# Element kinds of section 3.5 whose proximity means a step towards conversion.
HIGH_INTENT_KINDS = ("purchase_button", "checkout_button", "subscribe_button")
CTA_KINDS = (*HIGH_INTENT_KINDS, "demo_cta", "signup_cta", "cta")
INTENT_RANK = {
    "purchase_button": 5, "checkout_button": 5, "subscribe_button": 5,
    "demo_cta": 4, "signup_cta": 4, "tier_card": 3, "pricing_nav": 3,
    "feature_nav": 2, "learn_more": 2, "cta": 1, "price": 3,
}
INTERACTIVE_TAGS = frozenset({"a", "button", "input", "select", "textarea", "label", "summary", "option"})
CTA_CLASS_HINTS = ("cta", "btn-primary", "buy", "primary", "checkout", "purchase")
LEARN_MORE_HINTS = ("learn more", "read more", "details", "features")
PRICING_SECTIONS = frozenset({"pricing", "financing"})
TRUST_SECTIONS = frozenset({"reviews", "testimonials", "about", "credentials", "warranty", "awards", "trust"})


class FormField(NamedTuple):
    """A focused form field as its ``form_focus`` named it (Appendix A: type, name, id)."""

    id: str
    name: str
    type: str

    @property
    def key(self) -> str:
        return self.id or self.name or self.type

    @classmethod
    def of(cls, field: str | FormField) -> FormField:
        """A field from its key alone (id or name unknown): a blur naming it either way closes it."""
        return field if isinstance(field, FormField) else cls(field, field, field)


@dataclass(frozen=True)
class Features:
    """What one window showed. Counts are per window; ``*_ms`` are event-time durations."""

    duration_ms: float = 0.0
    n_events: int = 0
    n_mouse: int = 0
    # kinematics
    speed_median: float = 0.0
    speed_p90: float = 0.0
    speed_cv: float = 0.0
    accel_p90: float = 0.0
    jerk_p90: float = 0.0
    moving_fraction: float = 0.0
    # gestures
    pauses: int = 0
    long_pauses: int = 0
    pause_ms: float = 0.0
    pause_mean_ms: float = 0.0
    view_dwell_mean_ms: float = 0.0  # a pause cut at each scroll during it: how long one view held the cursor
    circles: int = 0
    circularity_max: float = 0.0
    zigzags: int = 0
    # clicks
    clicks: int = 0
    rage_clicks: int = 0
    noninteractive_clicks: int = 0
    rage_on_noninteractive: int = 0
    cta_clicks: int = 0
    learn_more_clicks: int = 0
    # exit intent and tabs
    exit_approaches: int = 0
    exit_signals: int = 0
    tab_aways: int = 0
    tab_away_ms: float = 0.0
    long_tab_returns: int = 0
    # forms
    form_focuses: int = 0
    form_filled: int = 0
    form_abandons: int = 0
    form_submits: int = 0
    # proximity
    price_dwell_ms: float = 0.0
    price_hovers: int = 0
    cta_enters: int = 0
    cta_hovers: int = 0
    cta_retreats: int = 0
    cta_dwell_ms: float = 0.0
    tier_alternations: int = 0
    distinct_tiers: int = 0
    pricing_comparisons: int = 0
    learn_more: int = 0
    selections: int = 0
    price_selections: int = 0
    # scroll
    scrolls: int = 0
    scroll_reversals: int = 0
    scroll_speed_mean: float = 0.0
    scroll_depth_max: float = 0.0
    scroll_depth_last: float = 0.0
    scroll_depth_gain: float = 0.0
    # sections
    sections: tuple[str, ...] = ()
    section_changes: int = 0
    new_sections: int = 0
    revisits: int = 0
    pricing_share: float = 0.0
    trust_share: float = 0.0
    top_intent_kind: str | None = None
    # activity
    window_ms: float = 0.0  # event time the window covers (section 7.2 buffer, or less for the last one)
    focused_ms: float = 0.0  # time within the window a form field was focused
    unfocused_events: int = 0  # events while no field was focused
    open_fields: tuple[FormField, ...] = ()  # fields still focused when the window ended, as their focus named them
    idle_ms: float = 0.0  # longest stretch without an active event or a focused field
    last_active_ts: float | None = None  # the window's last active event (carried into the next)

    @property
    def focused_fields(self) -> tuple[str, ...]:
        """The fields still focused when the window ended, by key (their id, else name)."""
        return tuple(f.key for f in self.open_fields)

    def events_per_window(self, full_window_ms: float, min_unfocused_ms: float) -> float | None:
        """Events per full buffer window (section 7.2) counted over the time no field was focused,
        so that a short last window and a window spent typing compare fairly with a full one.
        ``None`` when less than ``min_unfocused_ms`` of unfocused time is left to judge."""
        unfocused = self.window_ms - self.focused_ms
        if unfocused < max(min_unfocused_ms, 1.0):
            return None
        return self.unfocused_events * full_window_ms / unfocused


#: no pixel, speed, jerk or duration a producer measures comes near this; sums and squares of such
#: numbers stay finite, where 1e308 overflows to inf in a window's mean
MAX_MAGNITUDE = 1e12


def num(value: Any) -> float:
    """A telemetry number, or 0 for anything else (not a number, not finite, or past
    :data:`MAX_MAGNITUDE`): a malformed field never stops the engine or spoils a statistic."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) and abs(value) <= MAX_MAGNITUDE else 0.0


def _column(events: Sequence[Event], key: str) -> np.ndarray:
    return np.fromiter((num(e["data"].get(key)) for e in events), dtype=float, count=len(events))


def _view_dwell_mean(pauses: Sequence[Event], scrolls: Sequence[Event], since: float) -> float:
    """The mean time the resting cursor held one view in this window: each ``mouse_pause`` (sent
    with its duration when the rest ends, or when it reaches 5 s and the rest goes on unreported,
    ``inactive``) from ``since`` (the window's first event: the scrolls before it are another
    window's) cut into equal parts at the scrolls within it, since a scroll brings other content
    under a cursor that did not move. A malformed duration below 0 counts as 0. 0 without pauses."""
    if not pauses:
        return 0.0
    scrolled = np.sort(np.fromiter((float(e["timestamp"]) for e in scrolls), dtype=float, count=len(scrolls)))
    ends = np.fromiter((float(e["timestamp"]) for e in pauses), dtype=float, count=len(pauses))
    starts = np.clip(ends - np.maximum(_column(pauses, "duration"), 0.0), since, ends)
    cuts = np.maximum(np.searchsorted(scrolled, ends, side="left") - np.searchsorted(scrolled, starts, side="right"), 0)
    return float((ends - starts).sum() / (len(pauses) + cuts.sum()))


def _collapse(seq: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in seq:
        if not out or out[-1] != item:
            out.append(item)
    return out


def _target(e: Event) -> Mapping[str, Any]:
    t = e["data"].get("target")
    return t if isinstance(t, Mapping) else {}


def _tag(e: Event) -> str:
    return str(_target(e).get("tag", "")).lower()


def _approach_retreats(events: Sequence[Event], clicks: Sequence[Event]) -> tuple[int, float]:
    """CTAs the cursor reached (a ``{kind}_hover``) and then left without a click in between,
    and the total proximity dwell on CTAs (``dwellMs`` of their ``_proximity_leave``).

    Merely passing within the 140 px proximity radius is not an approach: on a dealer page
    the cursor is near some CTA most of the time.
    """
    click_ts = [float(c["timestamp"]) for c in clicks]
    reached: dict[str, float] = {}
    retreats = 0
    dwell = 0.0
    for e in events:
        kind = str(e["type"])
        for cta in CTA_KINDS:
            if kind.startswith(cta + "_"):
                key = str(e["data"].get("elementId") or cta)
                if kind == f"{cta}_hover":
                    reached.setdefault(key, float(e["timestamp"]))
                elif kind == f"{cta}_proximity_leave":
                    dwell += num(e["data"].get("dwellMs"))
                    if key in reached:
                        since = reached.pop(key)
                        if not any(since <= t <= float(e["timestamp"]) for t in click_ts):
                            retreats += 1
                break
    return retreats, dwell


def _form_field(e: Event) -> FormField:
    d = e["data"]
    return FormField(*(str(d.get(k) or "") for k in ("id", "name", "type")))


def _blurred(open_fields: Iterable[FormField], blur: FormField) -> FormField | None:
    """The open field a blur closes: the one with its id, else the one with its name, else (a blur
    naming neither) one keyed by the same field type."""
    fields = list(open_fields)
    for attr in ("id", "name"):
        if want := getattr(blur, attr):
            for f in fields:
                if getattr(f, attr) == want:
                    return f
    return next((f for f in fields if f.key == blur.key), None)


def _focus_spans(events: Sequence[Event], start: float, end: float, focused_before: Iterable[str | FormField]
                 ) -> tuple[list[tuple[float, float]], tuple[FormField, ...]]:
    """Merged ``(from, to)`` spans of ``[start, end]`` in which a form field was focused (3.8),
    and the fields still focused at ``end``. A field focused before the window counts from
    ``start``; a blur whose focus was not seen counts back its ``duration``, from ``start`` at most."""
    open_since = dict.fromkeys(map(FormField.of, focused_before), start)
    spans: list[tuple[float, float]] = []
    for e in events:
        kind, t = str(e["type"]), float(e["timestamp"])
        if kind == "form_focus":
            field = _form_field(e)
            if not any(f.key == field.key for f in open_since):
                # a page has one focused element: a focus elsewhere ends a field whose blur was lost
                spans += [(since, t) for since in open_since.values()]
                open_since = {field: t}
        elif kind == "form_blur":
            closed = _blurred(open_since, _form_field(e))
            since = open_since.pop(closed) if closed is not None else None
            spans.append((since if since is not None else max(start, t - num(e["data"].get("duration"))), t))
    spans += [(since, end) for since in open_since.values()]
    merged: list[tuple[float, float]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged, tuple(sorted(open_since, key=lambda f: f.key))


def _longest_unfocused(a: float, b: float, spans: Sequence[tuple[float, float]]) -> float:
    """The longest part of ``[a, b]`` outside the focused ``spans`` (merged, sorted)."""
    best, cursor = 0.0, a
    for fa, fb in spans:
        if fb <= cursor or fa >= b:
            continue
        best = max(best, fa - cursor)
        cursor = max(cursor, fb)
    return max(best, b - cursor)


def is_active(e: Event, micro_movement_px_s: float) -> bool:
    """Does the event show the visitor doing something? Not a cursor at rest (3.1, 3.2)."""
    kind = str(e["type"])
    if kind == "mouse":
        return num(e["data"].get("speed")) >= micro_movement_px_s
    return kind != "mouse_pause"


def extract(events: Sequence[Event], *, seen_sections: Iterable[str], config: EITPConfig,
            scroll_depth_before: float = 0.0, window_ms: float | None = None,
            focused_before: Iterable[str | FormField] = (), last_active_before: float | None = None) -> Features:
    """Summarise ``events`` (time-ordered) given the sections the session saw before this window
    and the scroll depth the viewport was at when the window opened.

    ``window_ms``: the event time the window covers from its first event (default: up to its last
    event). ``focused_before``: form fields still focused when the previous window ended (its
    ``open_fields``; a bare key is a field whose blur may name it by id or by name).
    ``last_active_before``: the session's last active event before this window.
    """
    if not events:
        carried = tuple(sorted(map(FormField.of, focused_before), key=lambda f: f.key))
        return Features(scroll_depth_max=scroll_depth_before, scroll_depth_last=scroll_depth_before,
                        open_fields=carried,
                        last_active_ts=last_active_before)
    cfg, sig = config.classifier, config.signal
    ts = np.fromiter((float(e["timestamp"]) for e in events), dtype=float, count=len(events))
    by_type: dict[str, list[Event]] = {}
    for e in events:
        by_type.setdefault(str(e["type"]), []).append(e)

    def get(kind: str) -> list[Event]:
        return by_type.get(kind, [])

    # 3.1 kinematics
    mouse = get("mouse")
    speed, jerk = _column(mouse, "speed"), _column(mouse, "jerk")
    accel = np.hypot(_column(mouse, "ax"), _column(mouse, "ay"))
    is_moving = speed >= sig.micro_movement_px_s
    moving = speed[is_moving]
    speed_cv = float(moving.std() / moving.mean()) if moving.size > 2 and moving.mean() > 0 else 0.0

    # 3.2 gestures
    pauses = get("mouse_pause")
    pause_durations = _column(pauses, "duration")
    circles = get("circular_motion")

    # 3.3 clicks
    clicks = get("click")
    noninteractive = [c for c in clicks if _tag(c) not in INTERACTIVE_TAGS]
    rages = get("rage_click")
    # A rage burst is "on non-interactive" when the click just before it hit plain text.
    rage_noninteractive = 0
    for r in rages:
        prior = [c for c in clicks if c["timestamp"] <= r["timestamp"]]
        rage_noninteractive += bool(prior) and _tag(prior[-1]) not in INTERACTIVE_TAGS

    def is_cta(c: Event) -> bool:
        cls = str(_target(c).get("class", "")).lower()
        return _tag(c) in ("button", "a") and any(h in cls for h in CTA_CLASS_HINTS)

    def is_learn_more(c: Event) -> bool:
        text = (str(_target(c).get("text", "")) + " " + str(_target(c).get("class", ""))).lower()
        return _tag(c) == "a" and any(h in text for h in LEARN_MORE_HINTS)

    # 3.6 / 3.7 exit intent and tabs
    approaches = get("viewport_approach")
    top_exits = [e for e in get("mouse_exit") if e["data"].get("edge") == "top"]
    returns = [e for e in get("tab_switch") if e["data"].get("action") == "return"]

    # 3.8 forms
    blurs = get("form_blur")
    abandons = [b for b in blurs if b["data"].get("hasValue") is False
                and num(b["data"].get("duration")) > sig.field_abandonment_ms]

    # 3.5 proximity
    cta_retreats, cta_dwell = _approach_retreats(events, clicks)
    price_dwell = float(_column(get("price_proximity_leave"), "dwellMs").sum())
    tier_seq = _collapse(str(e["data"].get("elementId", "")) for e in get("tier_card_hover"))
    top_kind = max((k for k in INTENT_RANK if get(f"{k}_proximity_enter") or get(f"{k}_hover")),
                   key=lambda k: INTENT_RANK[k], default=None)

    # 3.4 scroll
    scrolls = get("scroll")
    depths = _column(scrolls, "depth")
    velocity = np.abs(_column(scrolls, "velocity"))
    directions = _collapse(str(s["data"].get("direction", "")) for s in scrolls)
    depth_max = max(scroll_depth_before, float(depths.max())) if depths.size else scroll_depth_before

    # sections
    section_of = [name_token(e.get("currentSection"), "page") for e in events]
    section_seq = _collapse(section_of)
    seen = set(seen_sections)
    revisits = sum(1 for i, s in enumerate(section_seq) if s in seen or s in section_seq[:i])
    # time share per section: each gap between events is credited to the earlier event's section
    gaps = np.diff(ts)
    span = float(ts[-1] - ts[0])
    in_pricing = np.fromiter((s in PRICING_SECTIONS for s in section_of), dtype=bool, count=len(events))
    in_trust = np.fromiter((s in TRUST_SECTIONS for s in section_of), dtype=bool, count=len(events))
    if span > 0:
        pricing_share = float(gaps[in_pricing[:-1]].sum() / span)
        trust_share = float(gaps[in_trust[:-1]].sum() / span)
    else:
        pricing_share, trust_share = float(in_pricing.mean()), float(in_trust.mean())

    # activity: focused spans over the window's coverage; idle stretches between active events
    covered = max(span, float(window_ms)) if window_ms is not None else span
    first = float(ts[0])
    idle_from = min(first, last_active_before) if last_active_before is not None else first
    focus, still_focused = _focus_spans(events, idle_from, first + covered, focused_before)
    active = [float(e["timestamp"]) for e in events if is_active(e, sig.micro_movement_px_s)]
    marks = [idle_from, *active, float(ts[-1])]
    idle = max(_longest_unfocused(a, b, focus) for a, b in zip(marks, marks[1:], strict=False))
    focused = sum(min(b, first + covered) - max(a, first) for a, b in focus if b > first and a < first + covered)
    unfocused_events = sum(1 for t in ts if not any(a < t < b for a, b in focus))

    return Features(
        duration_ms=span,
        n_events=len(events),
        n_mouse=len(mouse),
        speed_median=float(np.median(moving)) if moving.size else 0.0,
        speed_p90=float(np.percentile(moving, 90)) if moving.size else 0.0,
        speed_cv=speed_cv,
        accel_p90=float(np.percentile(accel[is_moving], 90)) if moving.size else 0.0,
        jerk_p90=float(np.percentile(jerk, 90)) if jerk.size else 0.0,
        moving_fraction=float(moving.size / speed.size) if speed.size else 0.0,
        pauses=len(pauses),
        long_pauses=int(np.count_nonzero(pause_durations >= cfg.pause_long_ms)),
        pause_ms=float(pause_durations.sum()),
        pause_mean_ms=float(pause_durations.mean()) if pause_durations.size else 0.0,
        view_dwell_mean_ms=_view_dwell_mean(pauses, scrolls, float(ts[0])),
        circles=len(circles),
        circularity_max=float(_column(circles, "circularity").max()) if circles else 0.0,
        zigzags=len(get("direction_changes")),
        clicks=len(clicks),
        rage_clicks=len(rages),
        noninteractive_clicks=len(noninteractive),
        rage_on_noninteractive=rage_noninteractive,
        cta_clicks=sum(1 for c in clicks if is_cta(c)),
        learn_more_clicks=sum(1 for c in clicks if is_learn_more(c)),
        exit_approaches=len(approaches),
        exit_signals=len(approaches) + len(top_exits),
        tab_aways=sum(1 for e in get("tab_switch") if e["data"].get("action") == "away"),
        tab_away_ms=float(_column(returns, "awayDuration").sum()),
        long_tab_returns=len(get("long_tab_return")),
        form_focuses=len(get("form_focus")),
        form_filled=sum(1 for b in blurs if b["data"].get("hasValue") is True),
        form_abandons=len(abandons),
        form_submits=len(get("form_submit")),
        price_dwell_ms=price_dwell,
        price_hovers=len(get("price_hover")),
        cta_enters=sum(len(get(f"{k}_proximity_enter")) for k in CTA_KINDS),
        cta_hovers=sum(len(get(f"{k}_hover")) for k in CTA_KINDS),
        cta_retreats=cta_retreats,
        cta_dwell_ms=cta_dwell,
        tier_alternations=max(0, len(tier_seq) - 1),
        distinct_tiers=len(set(tier_seq)),
        pricing_comparisons=len(get("pricing_comparison")),
        learn_more=len(get("learn_more_hover")) + len(get("feature_nav_hover")),
        selections=len(get("text_selection")),
        price_selections=len(get("text_selection_with_price")),
        scrolls=len(scrolls),
        scroll_reversals=max(0, len(directions) - 1),
        scroll_speed_mean=float(velocity.mean()) if velocity.size else 0.0,
        scroll_depth_max=depth_max,
        scroll_depth_last=float(depths[-1]) if depths.size else scroll_depth_before,
        scroll_depth_gain=max(0.0, depth_max - scroll_depth_before),
        sections=tuple(section_seq),
        section_changes=max(0, len(section_seq) - 1),
        new_sections=len({s for s in section_seq if s not in seen}),
        revisits=revisits,
        pricing_share=pricing_share,
        trust_share=trust_share,
        top_intent_kind=top_kind,
        window_ms=covered,
        focused_ms=focused,
        unfocused_events=unfocused_events,
        open_fields=still_focused,
        idle_ms=idle,
        last_active_ts=active[-1] if active else last_active_before,
    )
