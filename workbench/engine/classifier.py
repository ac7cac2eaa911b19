"""Rules classifier: window features -> one of the 22 canonical emotions (EITP v1.1 section 6).

Each rule scores its emotion in [0, 1] from the evidence the section 6 description
names, and says which internal patterns it saw (they go to ``patterns.detected``). The
highest score wins; confidence grows with the winner's score and its margin over the
runner-up, intensity with the strength of the winner's evidence. When no rule has
enough evidence the answer is ``uncertainty`` ("insufficient signal to classify
further"), never ``unknown``. Every threshold lives in :class:`ClassifierConfig`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    scores: dict[str, float]


def ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between."""
    return 0.0 if x <= lo else 1.0 if x >= hi else (x - lo) / (hi - lo)


Rule = Callable[[Features, Context, ClassifierConfig], Score]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


# --- Cognitive states -------------------------------------------------------------------

@rule
def decision_paralysis(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Hovering over several options without committing: alternation between tier cards,
    long dwells there, and repeated returns to pricing."""
    alt = ramp(f.tier_alternations, k.tier_alternations - 1, k.tier_alternations + 2)
    dwell = max(ramp(f.long_pauses, 0, 2), ramp(f.price_dwell_ms, 0, 2 * k.price_dwell_ms))
    revisit = ramp(c.pricing_visits, 1, k.section_revisits + 1)
    s = alt * (0.55 + 0.3 * dwell + 0.15 * revisit) if f.clicks == 0 or f.cta_clicks == 0 else 0.0
    pats = []
    if alt:
        pats.append("price_comparison_between_tiers")
    if f.long_pauses and f.pricing_share > 0.5:
        pats.append("extended_dwelling_on_pricing")
    if revisit:
        pats.append("repeated_section_revisit")
    return Score(Emotion.DECISION_PARALYSIS, s, tuple(pats))


@rule
def ambivalence(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Equal pull both ways: alternates between options without dwelling on either."""
    alt = ramp(f.tier_alternations, k.tier_alternations - 1, k.tier_alternations + 2)
    shallow = 1.0 - ramp(f.long_pauses + f.price_dwell_ms / k.price_dwell_ms, 0, 2)
    return Score(Emotion.AMBIVALENCE, 0.7 * alt * shallow, ("alternating_without_deepening",) if alt * shallow else ())


@rule
def analysis_paralysis(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Over-researching: deep scroll, tab switching and a long session that keeps circling back."""
    long_session = ramp(c.session_ms, 120_000, 300_000)
    s = long_session * (0.4 * ramp(f.scroll_depth_max, 60, 90) + 0.3 * ramp(c.tab_switches_total, 0, 3)
                        + 0.3 * ramp(f.revisits, 0, 3))
    return Score(Emotion.ANALYSIS_PARALYSIS, s, ("extended_research_loop",) if s > 0.3 else ())


@rule
def cognitive_load(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Processing too much: slowed mouse, erratic scrolling back and forth, bouncing sections."""
    slow = 1.0 - ramp(f.speed_median, 60, 250) if f.n_mouse > 10 else 0.0
    s = slow * (0.5 * ramp(f.scroll_reversals, 1, 4) + 0.5 * ramp(f.section_changes, 2, 5))
    return Score(Emotion.COGNITIVE_LOAD, s, ("section_bouncing",) if s > 0.3 else ())


@rule
def confusion(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Misunderstanding the interface: circling gestures, clicks on things that are not controls."""
    s = max(ramp(f.circles, 0, 2), ramp(f.noninteractive_clicks, 1, 4), 0.9 * ramp(f.rage_on_noninteractive, 0, 1))
    pats = [p for p, n in (("circular_mouse_motion", f.circles), ("clicks_on_non_interactive", f.noninteractive_clicks)) if n]
    return Score(Emotion.CONFUSION, 0.85 * s, tuple(pats))


@rule
def deliberation(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Weighing options, not stuck: steady pace, methodical visits, some comparison, few reversals."""
    steady = 1.0 - ramp(f.speed_cv, k.steady_speed_cv, 2 * k.steady_speed_cv) if f.n_mouse > 10 else 0.0
    weighing = max(ramp(f.pricing_comparisons, 0, 1), ramp(f.distinct_tiers, 1, 2), ramp(f.pauses, 0, 2))
    calm = 1.0 - ramp(f.tier_alternations + f.scroll_reversals + f.rage_clicks, 1, 4)
    return Score(Emotion.DELIBERATION, 0.55 * steady * weighing * calm, ("methodical_review",) if steady * weighing * calm > 0.5 else ())


# --- Negative states --------------------------------------------------------------------

@rule
def frustration(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Repeated failed interactions: rage clicks on controls, high jerk, erratic velocity."""
    rage = ramp(f.rage_clicks - f.rage_on_noninteractive, 0, 1)
    erratic = 0.5 * ramp(f.jerk_p90, k.high_jerk_px_s3 / 2, k.high_jerk_px_s3) + 0.5 * ramp(f.zigzags, 0, 2)
    s = max(0.75 * rage + 0.25 * erratic, 0.6 * erratic)
    pats = [p for p, n in (("rage_clicks", rage), ("erratic_high_jerk_movement", erratic > 0.5)) if n]
    return Score(Emotion.FRUSTRATION, s, tuple(pats))


@rule
def overwhelm(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Too much to take in: rapid shallow scrolling, many sections, short dwells."""
    fast = ramp(f.scroll_speed_mean, k.fast_scroll_px_s / 2, k.fast_scroll_px_s)
    many = ramp(f.scrolls, 4, 12)
    short = 1.0 - ramp(f.pause_ms, 0, k.shallow_dwell_ms * 2)
    s = fast * many * (0.6 + 0.4 * short) * (0.7 + 0.3 * ramp(f.section_changes, 1, 4))
    return Score(Emotion.OVERWHELM, s, ("rapid_shallow_scrolling",) if s > 0.3 else ())


@rule
def anxiety(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """General tension: hesitant mouse, frequent pauses, incomplete actions."""
    s = 0.5 * ramp(f.pauses, 2, 6) + 0.5 * ramp(f.form_abandons, 0, 1)
    s *= 0.8 if f.form_abandons else 0.6
    return Score(Emotion.ANXIETY, s, ("incomplete_form_fields",) if f.form_abandons else ())


@rule
def payment_anxiety(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Tension around price: dwelling on prices, approaching and retreating from purchase CTAs."""
    price = ramp(f.price_dwell_ms, k.price_dwell_ms / 2, 2 * k.price_dwell_ms)
    retreat = ramp(f.cta_retreats, 0, 2)
    financing = 1.0 if "financing" in f.sections else 0.6
    s = financing * (0.5 * price + 0.5 * retreat) * (1.0 if f.pricing_share > 0.3 else 0.5)
    return Score(Emotion.PAYMENT_ANXIETY, 0.9 * s, ("approach_retreat_purchase_cta",) if retreat else ())


@rule
def disengagement(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Leaving: exit-intent signals, or almost nothing happening."""
    exits = ramp(f.exit_signals, 0, 2)
    idle = 1.0 - ramp(f.n_events, 2, 12) if c.session_ms > 20_000 else 0.0
    return Score(Emotion.DISENGAGEMENT, max(0.85 * exits, 0.6 * idle), ("exit_intent",) if exits else ())


# --- Positive states --------------------------------------------------------------------

@rule
def curiosity(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Exploring deeper: scroll depth grows, new sections, learn-more click-throughs."""
    s = 0.45 * ramp(f.scroll_depth_gain, 5, 30) + 0.35 * ramp(f.new_sections, 0, 2) + 0.2 * ramp(f.learn_more, 0, 1)
    return Score(Emotion.CURIOSITY, 0.8 * s, ("section_discovery",) if f.new_sections else ())


@rule
def exploratory_engagement(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Broad browsing, moderate pace, no revisits."""
    broad = ramp(len(set(f.sections)), 1, 3)
    s = broad * (1.0 - ramp(f.revisits, 0, 2)) * (1.0 - ramp(f.scroll_speed_mean, k.fast_scroll_px_s / 2, k.fast_scroll_px_s))
    return Score(Emotion.EXPLORATORY_ENGAGEMENT, 0.6 * s, ("broad_browsing",) if s > 0.5 else ())


@rule
def purchase_intent(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """About to convert: CTA hovers and clicks, filling the lead form, submitting."""
    s = max(ramp(f.cta_clicks, 0, 1) * 0.7 + 0.3 * ramp(f.cta_hovers, 0, 1),
            0.6 * ramp(f.form_filled, 0, 2) + 0.4 * ramp(f.form_submits, 0, 1))
    return Score(Emotion.PURCHASE_INTENT, 0.9 * s, ("conversion_path",) if s > 0.3 else ())


@rule
def urgency(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Time pressure: fast direct movement, straight to a conversion point, little browsing."""
    fast = ramp(f.speed_median, 400, 900)
    direct = ramp(f.cta_clicks + f.form_focuses, 0, 1) * (1.0 - ramp(f.section_changes, 2, 4))
    return Score(Emotion.URGENCY, 0.85 * fast * direct, ("direct_navigation",) if fast * direct > 0.3 else ())


@rule
def trust_building(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Seeking validation from others: time in reviews and testimonials."""
    s = ramp(f.trust_share, 0.3, 0.8)
    return Score(Emotion.TRUST_BUILDING, 0.75 * s, ("reading_reviews",) if s else ())


@rule
def validation_seeking(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Confirming a tentative choice: back to a section seen before, re-checking the details."""
    back = ramp(f.revisits, 0, 2) * (1.0 if "specifications" in f.sections else 0.6)
    s = back * (0.6 + 0.4 * ramp(f.selections + f.pauses, 0, 2)) * (1.0 - ramp(f.tier_alternations, 1, 3))
    return Score(Emotion.VALIDATION_SEEKING, 0.6 * s, ("rechecking_details",) if s > 0.3 else ())


@rule
def satisfaction(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """After the goal: smooth navigation once the form went in, nothing negative."""
    after = 1.0 if (c.submitted_before or f.form_submits) else 0.0
    calm = 1.0 - ramp(f.rage_clicks + f.zigzags + f.exit_signals, 0, 2)
    return Score(Emotion.SATISFACTION, 0.8 * after * calm, ("post_conversion_calm",) if after * calm else ())


# --- Mixed states -----------------------------------------------------------------------

@rule
def hesitation(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Interested but reluctant: approaches a CTA, pauses there, retreats without clicking."""
    s = ramp(f.cta_retreats, 0, 2) * (0.6 + 0.4 * ramp(f.pauses, 0, 2)) * (1.0 - ramp(f.cta_clicks, 0, 1))
    return Score(Emotion.HESITATION, 0.8 * s, ("cta_approach_retreat",) if s else ())


@rule
def price_sensitivity(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Attention on the numbers: price selections, tier comparison, the payment calculator."""
    calculator = 1.0 if f.form_focuses and "financing" in f.sections else 0.0
    s = max(ramp(f.price_selections, 0, 1), 0.7 * calculator,
            0.6 * ramp(f.price_hovers, 1, 4) * ramp(f.pricing_share, 0.3, 0.8))
    return Score(Emotion.PRICE_SENSITIVITY, 0.85 * s, ("price_focus",) if s else ())


@rule
def comparison_shopping(f: Features, c: Context, k: ClassifierConfig) -> Score:
    """Comparing elsewhere: long tab absences, repeated tab switches, pricing comparison."""
    s = max(ramp(f.long_tab_returns, 0, 1), 0.6 * ramp(f.tab_aways, 0, 2))
    s = s * (0.85 + 0.15 * ramp(f.pricing_comparisons, 0, 1))
    return Score(Emotion.COMPARISON_SHOPPING, 0.9 * s, ("comparison_shopping_tab_pattern",) if s else ())


def classify(f: Features, ctx: Context, config: ClassifierConfig) -> Classification:
    """Score every rule and pick the strongest; fall back to ``uncertainty``."""
    scores = sorted((r(f, ctx, config) for r in RULES), key=lambda s: s.score, reverse=True)
    best, second = scores[0], scores[1]
    patterns = tuple(dict.fromkeys(p for s in scores if s.score >= config.min_confidence for p in s.patterns))
    table = {s.emotion.value: round(s.score, 3) for s in scores}
    if best.score < config.min_confidence:
        # Too little evidence for anything specific: say so, with confidence that shrinks as
        # the strongest rival grows.
        return Classification(Emotion.UNCERTAINTY, round(0.6 - 0.5 * best.score, 2), round(0.2 + 0.3 * best.score, 2),
                              patterns, table)
    margin = (best.score - second.score) / best.score
    confidence = min(0.98, 0.35 + 0.4 * best.score + 0.25 * margin)
    intensity = min(1.0, 0.15 + 0.85 * best.score)
    return Classification(best.emotion, round(confidence, 2), round(intensity, 2), patterns, table)
