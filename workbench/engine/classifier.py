"""Rules classifier: window features -> one of the 22 canonical emotions (EITP v1.1 section 6).

Each rule scores its emotion in [0, 1] from the evidence the section 6 description names
(quoted in its docstring) and says which internal patterns it saw; those go to
``patterns.detected`` (section 6 "Extension Rules"). The highest score wins; confidence
grows with the winner's score and its margin over the runner-up, intensity with the strength
of the winner's evidence. When no rule has enough evidence the answer is ``uncertainty``
("insufficient signal to classify further"), never ``unknown``. Every threshold lives in
:class:`~workbench.config.ClassifierConfig`; the weights inside a rule say how its pieces of
evidence combine.

The engine reaches this module only through :class:`EmotionClassifier`, the seam where an
LLM tier (section 7.3) can take over or refine the rules' answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from workbench.config import ClassifierConfig
from workbench.engine.features import Features
from workbench.protocol.taxonomy import Emotion


@dataclass(frozen=True)
class Context:
    """Session facts beyond the window that some rules need."""

    session_ms: float = 0.0
    pricing_visits: int = 0
    submitted_before: bool = False
    tab_switches_total: int = 0
    max_depth_before: float = 0.0  # deepest scroll of the session before this window
    history: tuple[str, ...] = ()  # earlier classifications, oldest first
    full_window_ms: float = 10_000.0  # the section 7.2 buffer window (``inference.buffer_window_ms``)
    # the session's recent event rate: mean Features.events_per_window of its last
    # ``activity_baseline_windows`` windows that had one; None before any
    recent_events_per_window: float | None = None


@dataclass(frozen=True)
class Score:
    emotion: Emotion
    score: float
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    emotion: Emotion
    confidence: float
    intensity: float
    patterns: tuple[str, ...]
    scores: dict[str, float] = field(default_factory=dict)


class EmotionClassifier(Protocol):
    """The engine's classification step: evidence of one window in, one canonical emotion out.

    The rules below are the default. An LLM tier implements the same method (it may call the
    rules first and keep their answer for cheap cases, as the section 7.3 triage tier does).
    It must return a canonical :class:`Emotion`, never ``unknown``.
    """

    def classify(self, features: Features, context: Context) -> Classification: ...


def ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between."""
    return 0.0 if x <= lo else 1.0 if x >= hi else (x - lo) / (hi - lo)


Rule = Callable[[Features, Context, ClassifierConfig], Score]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def _moving(f: Features, k: ClassifierConfig) -> bool:
    return f.n_mouse >= k.min_mouse_samples


# --- Cognitive states -------------------------------------------------------------------

@rule
def decision_paralysis(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Hovering over multiple options without committing. Repeated section revisits, dwell on
    comparison elements." Alternation between tier cards, long dwells there or on prices,
    repeated returns to pricing, no CTA click."""
    alt = ramp(f.tier_alternations, k.tier_alternations - 1, k.tier_alternations + 2)
    dwell = max(ramp(f.long_pauses, 0, k.dwell_pauses), ramp(f.price_dwell_ms, 0, 2 * k.price_dwell_ms))
    revisit = ramp(c.pricing_visits, 1, k.section_revisits + 1)
    s = alt * (0.55 + 0.3 * dwell + 0.15 * revisit) if f.cta_clicks == 0 else 0.0
    pats = []
    if alt:
        pats.append("price_comparison_between_tiers")
    if f.long_pauses and f.pricing_share > k.pricing_dwell_share:
        pats.append("extended_dwelling_on_pricing")
    if revisit:
        pats.append("repeated_section_revisit")
    return Score(Emotion.DECISION_PARALYSIS, s, tuple(pats))


@rule
def ambivalence(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Equal pull toward multiple options. Alternating between items without deepening on
    either." Tier alternation with no long dwell and no price dwell."""
    alt = ramp(f.tier_alternations, k.tier_alternations - 1, k.tier_alternations + 2)
    shallow = 1.0 - ramp(f.long_pauses + f.price_dwell_ms / k.price_dwell_ms, 0, k.dwell_pauses)
    s = 0.7 * alt * shallow
    return Score(Emotion.AMBIVALENCE, s, ("alternating_without_deepening",) if s else ())


@rule
def analysis_paralysis(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Over-researching, unable to synthesize. Deep scrolling, tab switching, extended
    sessions." A long session that has scrolled deep, left for other tabs and keeps circling back."""
    long_session = ramp(c.session_ms, k.long_session_ms, k.very_long_session_ms)
    s = long_session * (0.4 * ramp(f.scroll_depth_max, k.deep_scroll_pct, k.deepest_scroll_pct)
                        + 0.3 * ramp(c.tab_switches_total, 0, k.many_tab_switches)
                        + 0.3 * ramp(f.revisits, 0, k.many_revisits))
    return Score(Emotion.ANALYSIS_PARALYSIS, s, ("extended_research_loop",) if s else ())


@rule
def cognitive_load(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Processing too much information simultaneously. Slowed mouse, erratic scroll, section
    bouncing." A slow cursor while the scroll reverses and the sections keep changing."""
    slow = 1.0 - ramp(f.speed_median, k.slow_speed_px_s, k.normal_speed_px_s) if _moving(f, k) else 0.0
    s = slow * (0.5 * ramp(f.scroll_reversals, k.calm_scroll_reversals, k.erratic_scroll_reversals)
                + 0.5 * ramp(f.section_changes, k.calm_section_changes, k.section_bounces))
    return Score(Emotion.COGNITIVE_LOAD, s, ("section_bouncing",) if s else ())


@rule
def confusion(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Misunderstanding interface or content. Circular mouse motion, rage clicks on
    non-interactive elements." Circling gestures, clicks on things that are not controls."""
    # One circling gesture in 10 s happens to anyone swinging between two targets: alone it stays weak.
    circling = 0.7 * ramp(f.circles, 0, k.confused_circles)
    clicks = max(ramp(f.noninteractive_clicks, k.stray_clicks, k.confused_clicks),
                 0.9 * ramp(f.rage_on_noninteractive, 0, 1))
    s = min(1.0, max(circling, clicks) + 0.3 * min(circling, clicks))
    pats = [p for p, n in (("circular_mouse_motion", f.circles), ("clicks_on_non_interactive", f.noninteractive_clicks),
                           ("rage_clicks_on_non_interactive", f.rage_on_noninteractive)) if n]
    return Score(Emotion.CONFUSION, 0.85 * s, tuple(pats))


@rule
def deliberation(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Active weighing of options — not stuck. Methodical section visits, steady pace." Steady
    cursor speed, reading pauses or a look at the options, few reversals or alternations."""
    steady = 1.0 - ramp(f.speed_cv, k.steady_speed_cv, 2 * k.steady_speed_cv) if _moving(f, k) else 0.0
    paced = 0.5 + 0.5 * ramp(f.pauses, 0, k.reading_pauses)  # reading pauses between steady movements
    methodical = ramp(len(set(f.sections)), 1, k.broad_sections) * (1.0 - ramp(f.revisits, 0, k.section_revisits))
    weighing = max(ramp(f.pricing_comparisons, 0, 1), ramp(f.distinct_tiers, 1, 2), methodical)
    calm = 1.0 - ramp(f.tier_alternations + f.scroll_reversals + f.rage_clicks, 1, k.restless_changes)
    s = steady * paced * weighing * calm
    return Score(Emotion.DELIBERATION, 0.55 * s, ("methodical_review",) if s else ())


# --- Negative states --------------------------------------------------------------------

@rule
def frustration(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Repeated failed interactions. Rage clicks, high jerk, erratic velocity patterns." Rage
    bursts on controls; high jerk and zigzags add to them or stand on their own."""
    rage = ramp(f.rage_clicks - f.rage_on_noninteractive, 0, 1)
    erratic = ramp(f.zigzags, 0, k.erratic_zigzags)
    # 20 Hz finite-difference jerk is large for every movement: it only strengthens other evidence.
    jerky = ramp(f.jerk_p90, k.high_jerk_px_s3 / 2, k.high_jerk_px_s3)
    s = max(0.75 * rage + 0.15 * erratic + 0.1 * jerky, 0.6 * erratic * (0.75 + 0.25 * jerky))
    pats = [p for p, n in (("rage_clicks", rage), ("erratic_direction_changes", erratic > 0.5),
                           ("high_jerk", jerky > 0.5 and (rage or erratic))) if n]
    return Score(Emotion.FRUSTRATION, s, tuple(pats))


@rule
def overwhelm(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Volume of choices or information exceeds processing capacity. Rapid shallow scrolling,
    short dwell times." Many fast scrolls through several sections, each view held only briefly:
    a dwell lasts until the cursor moves or the page scrolls under it, since a wheel-flicker's
    cursor rests for seconds while what lies under it changes every fraction of one."""
    fast = ramp(f.scroll_speed_mean, k.fast_scroll_px_s / 2, k.fast_scroll_px_s)
    many = ramp(f.scrolls, k.rapid_scrolls / 3, k.rapid_scrolls)
    short = 1.0 - ramp(f.view_dwell_mean_ms, 0, k.shallow_dwell_ms * 2)
    s = fast * many * (0.6 + 0.4 * short) * (0.7 + 0.3 * ramp(f.section_changes, 1, k.skimmed_sections))
    return Score(Emotion.OVERWHELM, s, ("rapid_shallow_scrolling",) if s else ())


@rule
def anxiety(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"General tension in interaction pattern. Hesitant mouse, frequent pauses, incomplete
    actions." Many pauses of a cursor that moves slowly, and form fields left empty
    (section 3.8 abandonment)."""
    hesitant = 1.0 - ramp(f.speed_median, k.slow_speed_px_s, k.normal_speed_px_s) if _moving(f, k) else 0.5
    pauses = ramp(f.pauses, k.reading_pauses, k.frequent_pauses) * (0.6 + 0.4 * hesitant)
    incomplete = ramp(f.form_abandons, 0, 1)
    s = (0.8 if incomplete else 0.6) * (0.5 * pauses + 0.5 * incomplete) + 0.2 * pauses * incomplete
    pats = [p for p, n in (("incomplete_form_fields", incomplete), ("frequent_hesitant_pauses", pauses > 0.5)) if n]
    return Score(Emotion.ANXIETY, s, tuple(pats))


@rule
def payment_anxiety(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Specific tension around pricing or checkout. Dwelling on price elements, approaching and
    retreating from purchase CTAs." Price dwell and CTA retreats, strongest on financing."""
    price = ramp(f.price_dwell_ms, k.price_dwell_ms / 2, 2 * k.price_dwell_ms)
    retreat = ramp(f.cta_retreats, 0, k.cta_retreats)
    financing = 1.0 if "financing" in f.sections else 0.6
    s = financing * (0.5 * price + 0.5 * retreat) * (1.0 if f.pricing_share > k.pricing_focus_share else 0.5)
    pats = [p for p, n in (("approach_retreat_purchase_cta", retreat), ("dwelling_on_price", price > 0.5)) if n]
    return Score(Emotion.PAYMENT_ANXIETY, 0.9 * s, tuple(pats))


@rule
def disengagement(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Declining interaction, imminent abandonment. Decreasing events, exit intent signals, long
    inactivity." Exit-intent approaches, a window far quieter than the session's recent ones, idle
    stretches from the section 3.1 inactivity threshold (``signal.inactivity_ms``, 5 s) on, in full at twice that.

    Quiet is judged on the time the window covers with no form field focused: event counts are
    rates per full section 7.2 window (the session's last window is usually shorter), and typing
    into a focused field, which sends no telemetry (section 10.2), is interaction, not inactivity.
    "Decreasing" compares the rate with the session's recent rate, not with the previous window
    alone: a reader alternates windows of moving (20 Hz samples) and of reading (few), a steady
    rhythm, not a decline. Inactivity is the longest stretch without an active event
    (:attr:`Features.idle_ms`): a cursor resting while the visitor scrolls is reading, not leaving.
    """
    exits = ramp(f.exit_signals, 0, k.exit_signals)
    old_enough = c.session_ms > k.idle_after_ms
    rate = f.events_per_window(c.full_window_ms, k.rate_min_window_ms)
    idle = 1.0 - ramp(rate, 2, k.idle_events) if old_enough and rate is not None else 0.0
    declining = 0.0
    if c.recent_events_per_window and rate is not None and old_enough:
        declining = 1.0 - ramp(rate / c.recent_events_per_window, k.decreasing_events_ratio,
                               2 * k.decreasing_events_ratio)
    inactive = ramp(f.idle_ms, k.long_inactivity_ms, 2 * k.long_inactivity_ms) if old_enough else 0.0
    quiet = max(idle, 0.5 * declining + 0.5 * inactive)
    s = max(0.85 * exits + 0.15 * quiet, 0.6 * quiet)
    pats = [p for p, n in (("exit_intent", exits), ("declining_activity", declining > 0.5),
                           ("long_inactivity", inactive > 0.5)) if n]
    return Score(Emotion.DISENGAGEMENT, s, tuple(pats))


# --- Positive states --------------------------------------------------------------------

@rule
def curiosity(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Active exploration, increasing engagement. Accelerating scroll depth, section discovery,
    click-throughs." Scrolling into depth not reached before, new sections, learn-more clicks."""
    deeper = ramp(f.scroll_depth_max - c.max_depth_before, k.scroll_gain_min_pct, k.scroll_gain_pct)
    s = (0.45 * deeper + 0.35 * ramp(f.new_sections, 0, k.new_sections)
         + 0.2 * max(ramp(f.learn_more, 0, 1), ramp(f.learn_more_clicks, 0, 1)))
    pats = [p for p, n in (("section_discovery", f.new_sections), ("click_through", f.learn_more_clicks)) if n]
    return Score(Emotion.CURIOSITY, 0.8 * s, tuple(pats))


@rule
def exploratory_engagement(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Broad browsing without a specific target. Wide section coverage, moderate pace, no repeated
    revisits." Several distinct sections, no revisits, no fast scrolling, no fixation."""
    broad = ramp(len(set(f.sections)), 1, k.broad_sections)
    moderate = 1.0 - ramp(f.scroll_speed_mean, k.fast_scroll_px_s / 2, k.fast_scroll_px_s)
    s = broad * (1.0 - ramp(f.revisits, 0, k.section_revisits)) * moderate
    return Score(Emotion.EXPLORATORY_ENGAGEMENT, 0.6 * s, ("broad_browsing",) if s else ())


@rule
def purchase_intent(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Behavioral signals of imminent conversion. CTA proximity, form interaction, pricing
    focus." CTA hovers and clicks, filling the lead form, submitting."""
    s = max(ramp(f.cta_clicks, 0, 1) * 0.7 + 0.3 * ramp(f.cta_hovers, 0, 1),
            0.6 * ramp(f.form_filled, 0, k.filled_fields) + 0.4 * ramp(f.form_submits, 0, 1))
    return Score(Emotion.PURCHASE_INTENT, 0.9 * s, ("conversion_path",) if s else ())


@rule
def urgency(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Time-pressured decision making. High velocity, direct navigation, minimal browsing." Fast
    cursor straight to a CTA or a form field, in few sections."""
    fast = ramp(f.speed_median, k.fast_speed_px_s, k.very_fast_speed_px_s)
    direct = ramp(f.cta_clicks + f.form_focuses, 0, 1) * (1.0 - ramp(f.section_changes, k.calm_section_changes,
                                                                      k.skimmed_sections))
    return Score(Emotion.URGENCY, 0.85 * fast * direct, ("direct_navigation",) if fast * direct else ())


@rule
def trust_building(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Seeking validation signals. Focus on reviews, credentials, testimonials, about pages."
    Time share of the window spent in such sections."""
    s = ramp(f.trust_share, k.trust_share_min, k.trust_share_full)
    return Score(Emotion.TRUST_BUILDING, 0.75 * s, ("reading_reviews",) if s else ())


@rule
def validation_seeking(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Confirming a tentatively made decision. Returning to a previously viewed item, checking
    details again." Back to sections seen before, re-reading (pauses, selections), not
    alternating between options."""
    back = ramp(f.revisits, 0, k.section_revisits) * (1.0 if "specifications" in f.sections else 0.6)
    rereading = ramp(f.selections + f.pauses, 0, k.reading_pauses)
    s = back * (0.6 + 0.4 * rereading) * (1.0 - ramp(f.tier_alternations, k.tier_alternations - 1,
                                                     k.tier_alternations + 1))
    return Score(Emotion.VALIDATION_SEEKING, 0.6 * s, ("rechecking_details",) if s else ())


@rule
def satisfaction(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Positive outcome signal. Smooth navigation post-action, decreased urgency metrics." After a
    submitted form: no rage, zigzag or exit intent, and a cursor no longer racing."""
    after = 1.0 if (c.submitted_before or f.form_submits) else 0.0
    calm = 1.0 - ramp(f.rage_clicks + f.zigzags + f.exit_signals, 0, k.negative_signs)
    unhurried = 1.0 - ramp(f.speed_median, k.fast_speed_px_s, k.very_fast_speed_px_s)
    s = after * calm * unhurried
    return Score(Emotion.SATISFACTION, 0.8 * s, ("post_conversion_calm",) if s else ())


# --- Mixed states -----------------------------------------------------------------------

@rule
def hesitation(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Interest combined with reluctance. Approaching then retreating from CTAs, dwell near
    conversion points." CTA reached and left without a click, with pauses or dwell there."""
    near = max(ramp(f.pauses, 0, k.reading_pauses), ramp(f.cta_dwell_ms, 0, k.cta_dwell_ms))
    s = ramp(f.cta_retreats, 0, k.cta_retreats) * (0.6 + 0.4 * near) * (1.0 - ramp(f.cta_clicks, 0, 1))
    return Score(Emotion.HESITATION, 0.8 * s, ("cta_approach_retreat",) if s else ())


@rule
def price_sensitivity(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Focused attention on pricing elements. Price text selection, pricing tier comparison,
    payment calculator interaction." Selecting a price, using the financing calculator, many
    price hovers on the pricing section."""
    calculator = 1.0 if f.form_focuses and "financing" in f.sections else 0.0
    s = max(ramp(f.price_selections, 0, 1), 0.7 * calculator,
            0.6 * ramp(f.price_hovers, 1, k.price_hovers)
            * ramp(f.pricing_share, k.pricing_focus_share, k.pricing_dwell_share + k.pricing_focus_share))
    pats = [p for p, n in (("price_text_selection", f.price_selections), ("payment_calculator", calculator),
                           ("price_focus", s)) if n]
    return Score(Emotion.PRICE_SENSITIVITY, 0.85 * s, tuple(pats))


@rule
def comparison_shopping(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """"Active comparison behavior. Tab switching (especially long returns), multi-item viewing,
    pricing comparison events." Long absences in other tabs, repeated switches; several tiers
    in view strengthen it."""
    s = max(ramp(f.long_tab_returns, 0, 1), 0.6 * ramp(f.tab_aways, 0, k.tab_switches))
    s = s * (0.85 + 0.15 * max(ramp(f.pricing_comparisons, 0, 1), ramp(f.distinct_tiers, 1, 2)))
    return Score(Emotion.COMPARISON_SHOPPING, 0.9 * s, ("comparison_shopping_tab_pattern",) if s else ())


def classify(f: Features, ctx: Context, config: ClassifierConfig) -> Classification:
    """Score every rule and pick the strongest; fall back to ``uncertainty``."""
    scores = sorted((r(f, ctx, config) for r in RULES), key=lambda s: s.score, reverse=True)
    best, second = scores[0], scores[1]
    patterns = tuple(dict.fromkeys(p for s in scores if s.score >= config.min_confidence for p in s.patterns))
    table = {s.emotion.value: round(s.score, 3) for s in scores}
    if best.score < config.min_confidence or best.score <= 0:
        # Too little evidence for anything specific (none at all, even with min_confidence 0): say so,
        # with confidence that shrinks as the strongest rival grows.
        return Classification(Emotion.UNCERTAINTY, round(0.6 - 0.5 * best.score, 2), round(0.2 + 0.3 * best.score, 2),
                              patterns, table)
    margin = (best.score - second.score) / best.score
    confidence = min(0.98, 0.35 + 0.4 * best.score + 0.25 * margin)
    intensity = min(1.0, 0.15 + 0.85 * best.score)
    return Classification(best.emotion, round(confidence, 2), round(intensity, 2), patterns, table)


@dataclass(frozen=True)
class RulesClassifier:
    """The default :class:`EmotionClassifier`: the section 6 rules above."""

    config: ClassifierConfig = field(default_factory=ClassifierConfig)

    def classify(self, features: Features, context: Context) -> Classification:
        return classify(features, context, self.config)
