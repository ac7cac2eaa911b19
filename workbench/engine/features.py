"""Window features: the evidence the classifier reasons over (EITP v1.1 sections 3 and 7.2).

A pure function of one 10 s window of producer events plus what the session already
knew (sections visited before). Kinematics are summarised with numpy; discrete events
are counted. Nothing here reads a clock: every duration comes from event timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.config import EITPConfig

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
PRICING_SECTIONS = frozenset({"pricing", "financing"})
TRUST_SECTIONS = frozenset({"reviews", "testimonials", "about", "credentials", "warranty"})


@dataclass(frozen=True)
class Features:
    """What one window showed. Counts are per window; ``*_ms`` are event-time durations."""

    duration_ms: float = 0.0
    n_events: int = 0
    n_mouse: int = 0
    speed_median: float = 0.0
    speed_p90: float = 0.0
    speed_cv: float = 0.0
    jerk_p90: float = 0.0
    moving_fraction: float = 0.0
    pauses: int = 0
    long_pauses: int = 0
    pause_ms: float = 0.0
    circles: int = 0
    zigzags: int = 0
    clicks: int = 0
    rage_clicks: int = 0
    noninteractive_clicks: int = 0
    rage_on_noninteractive: int = 0
    cta_clicks: int = 0
    exit_signals: int = 0
    tab_aways: int = 0
    long_tab_returns: int = 0
    form_focuses: int = 0
    form_filled: int = 0
    form_abandons: int = 0
    form_submits: int = 0
    price_dwell_ms: float = 0.0
    price_hovers: int = 0
    cta_enters: int = 0
    cta_hovers: int = 0
    cta_retreats: int = 0
    tier_alternations: int = 0
    distinct_tiers: int = 0
    pricing_comparisons: int = 0
    learn_more: int = 0
    selections: int = 0
    price_selections: int = 0
    scrolls: int = 0
    scroll_reversals: int = 0
    scroll_speed_mean: float = 0.0
    scroll_depth_max: float = 0.0
    scroll_depth_gain: float = 0.0
    sections: tuple[str, ...] = ()
    section_changes: int = 0
    new_sections: int = 0
    revisits: int = 0
    pricing_share: float = 0.0
    trust_share: float = 0.0
    top_intent_kind: str | None = None
    detected: tuple[str, ...] = field(default=())


def _speeds(mouse: Sequence[Event]) -> tuple[np.ndarray, np.ndarray]:
    speed = np.fromiter((float(e["data"].get("speed", 0.0)) for e in mouse), dtype=float, count=len(mouse))
    jerk = np.fromiter((float(e["data"].get("jerk", 0.0)) for e in mouse), dtype=float, count=len(mouse))
    return speed, jerk


def _collapse(seq: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in seq:
        if not out or out[-1] != item:
            out.append(item)
    return out


def _approach_retreats(events: Sequence[Event], clicks: Sequence[Event]) -> int:
    """CTAs the cursor reached (a ``{kind}_hover``) and then left without a click in between.

    Merely passing within the 140 px proximity radius is not an approach: on a dealer page
    the cursor is near some CTA most of the time.
    """
    click_ts = [float(c["timestamp"]) for c in clicks]
    reached: dict[str, float] = {}
    retreats = 0
    for e in events:
        kind = str(e["type"])
        for cta in CTA_KINDS:
            if kind.startswith(cta + "_"):
                key = str(e["data"].get("elementId") or cta)
                if kind == f"{cta}_hover":
                    reached.setdefault(key, float(e["timestamp"]))
                elif kind == f"{cta}_proximity_leave" and key in reached:
                    since = reached.pop(key)
                    if not any(since <= t <= float(e["timestamp"]) for t in click_ts):
                        retreats += 1
                break
    return retreats


def extract(events: Sequence[Event], *, seen_sections: Iterable[str], config: EITPConfig) -> Features:
    """Summarise ``events`` (time-ordered) given the sections the session saw before this window."""
    if not events:
        return Features()
    cfg, sig = config.classifier, config.signal
    ts = [float(e["timestamp"]) for e in events]
    by_type: dict[str, list[Event]] = {}
    for e in events:
        by_type.setdefault(str(e["type"]), []).append(e)
    get = lambda t: by_type.get(t, [])  # noqa: E731

    mouse = get("mouse")
    speed, jerk = _speeds(mouse)
    moving = speed[speed >= sig.micro_movement_px_s]
    speed_cv = float(moving.std() / moving.mean()) if moving.size > 2 and moving.mean() > 0 else 0.0

    pauses = get("mouse_pause")
    pause_durations = [float(p["data"].get("duration", 0)) for p in pauses]

    clicks = get("click")
    def tag(e: Event) -> str:
        return str((e["data"].get("target") or {}).get("tag", "")).lower()
    noninteractive = [c for c in clicks if tag(c) not in INTERACTIVE_TAGS]
    rages = get("rage_click")
    # A rage burst is "on non-interactive" when the clicks just before it hit plain text.
    rage_noninteractive = sum(
        1 for r in rages
        if (prior := [c for c in clicks if c["timestamp"] <= r["timestamp"]]) and tag(prior[-1]) not in INTERACTIVE_TAGS
    )
    cta_clicks = sum(
        1 for c in clicks
        if tag(c) in ("button", "a") and any(k in str((c["data"].get("target") or {}).get("class", "")).lower()
                                             for k in ("cta", "btn-primary", "buy", "primary"))
    )

    # Proximity (section 3.5): enter/hover/leave per kind.
    cta_enters = sum(len(get(f"{k}_proximity_enter")) for k in CTA_KINDS)
    cta_hovers = sum(len(get(f"{k}_hover")) for k in CTA_KINDS)
    cta_retreats = _approach_retreats(events, clicks)
    price_leaves = get("price_proximity_leave")
    price_dwell = sum(float(e["data"].get("dwellMs", 0)) for e in price_leaves)
    tier_seq = _collapse(str(e["data"].get("elementId", "")) for e in get("tier_card_hover"))
    top_kind = max(
        (k for k in INTENT_RANK if get(f"{k}_proximity_enter") or get(f"{k}_hover")),
        key=lambda k: INTENT_RANK[k], default=None,
    )

    blurs = get("form_blur")
    abandons = [
        b for b in blurs
        if b["data"].get("hasValue") is False and float(b["data"].get("duration", 0)) > sig.field_abandonment_ms
    ]

    scrolls = get("scroll")
    depths = np.array([float(s["data"].get("depth", 0)) for s in scrolls]) if scrolls else np.zeros(0)
    directions = _collapse(str(s["data"].get("direction", "")) for s in scrolls)
    scroll_speed = float(np.mean([abs(float(s["data"].get("velocity", 0))) for s in scrolls])) if scrolls else 0.0

    section_seq = _collapse(str(e.get("currentSection") or "page") for e in events)
    seen = set(seen_sections)
    new_sections = {s for s in section_seq if s not in seen}
    revisits = sum(1 for i, s in enumerate(section_seq) if s in seen or s in section_seq[:i])
    n = len(events)
    pricing_share = sum(1 for e in events if e.get("currentSection") in PRICING_SECTIONS) / n
    trust_share = sum(1 for e in events if e.get("currentSection") in TRUST_SECTIONS) / n

    return Features(
        duration_ms=ts[-1] - ts[0],
        n_events=n,
        n_mouse=len(mouse),
        speed_median=float(np.median(moving)) if moving.size else 0.0,
        speed_p90=float(np.percentile(moving, 90)) if moving.size else 0.0,
        speed_cv=speed_cv,
        jerk_p90=float(np.percentile(jerk, 90)) if jerk.size else 0.0,
        moving_fraction=float(moving.size / speed.size) if speed.size else 0.0,
        pauses=len(pauses),
        long_pauses=sum(1 for d in pause_durations if d >= cfg.pause_long_ms),
        pause_ms=sum(pause_durations),
        circles=len(get("circular_motion")),
        zigzags=len(get("direction_changes")),
        clicks=len(clicks),
        rage_clicks=len(rages),
        noninteractive_clicks=len(noninteractive),
        rage_on_noninteractive=rage_noninteractive,
        cta_clicks=cta_clicks,
        exit_signals=len(get("viewport_approach")) + len(get("mouse_exit")),
        tab_aways=sum(1 for e in get("tab_switch") if e["data"].get("action") == "away"),
        long_tab_returns=len(get("long_tab_return")),
        form_focuses=len(get("form_focus")),
        form_filled=sum(1 for b in blurs if b["data"].get("hasValue") is True),
        form_abandons=len(abandons),
        form_submits=len(get("form_submit")),
        price_dwell_ms=price_dwell,
        price_hovers=len(get("price_hover")),
        cta_enters=cta_enters,
        cta_hovers=cta_hovers,
        cta_retreats=cta_retreats,
        tier_alternations=max(0, len(tier_seq) - 1),
        distinct_tiers=len(set(tier_seq)),
        pricing_comparisons=len(get("pricing_comparison")),
        learn_more=len(get("learn_more_hover")) + len(get("feature_nav_hover")),
        selections=len(get("text_selection")),
        price_selections=len(get("text_selection_with_price")),
        scrolls=len(scrolls),
        scroll_reversals=max(0, len(directions) - 1),
        scroll_speed_mean=scroll_speed,
        scroll_depth_max=float(depths.max()) if depths.size else 0.0,
        scroll_depth_gain=float(depths.max() - depths[0]) if depths.size else 0.0,
        sections=tuple(section_seq),
        section_changes=max(0, len(section_seq) - 1),
        new_sections=len(new_sections),
        revisits=revisits,
        pricing_share=pricing_share,
        trust_share=trust_share,
        top_intent_kind=top_kind,
    )
