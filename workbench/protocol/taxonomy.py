"""The closed 22-emotion taxonomy of EITP v1.1 section 6.

``unknown`` is explicitly prohibited; internal labels belong in ``patterns.detected``.
"""

from __future__ import annotations

import re
from enum import StrEnum

_NAME = re.compile(r"[\w.:-]{1,64}")
#: what a tenant or session id must be (``fullmatch``): it becomes one token of a section 4.2 subject, so no
#: dot, wildcard or space may be in it; the producer's ids (``sq_<ms>_<random>``) and tenants (``org_x``) are
IDENTITY = re.compile(r"[A-Za-z0-9_-]{1,128}")


def name_token(value: object, default: str) -> str:
    """A section or a vertical as a name: section 4's "DOM section ID" (``pricing``) and
    ``rv_dealer``, 1-64 letters, digits and _ . : -. Anything else is free text a page or a
    client wrote, and becomes ``default``: it would otherwise be grouped in the knowledge store
    (7.4, 7.6) and pasted into other visitors' LLM prompts."""
    return value if isinstance(value, str) and _NAME.fullmatch(value) else default


class Emotion(StrEnum):
    # Cognitive states
    UNCERTAINTY = "uncertainty"
    DECISION_PARALYSIS = "decision_paralysis"
    ANALYSIS_PARALYSIS = "analysis_paralysis"
    COGNITIVE_LOAD = "cognitive_load"
    CONFUSION = "confusion"
    DELIBERATION = "deliberation"
    AMBIVALENCE = "ambivalence"
    # Negative states
    FRUSTRATION = "frustration"
    OVERWHELM = "overwhelm"
    ANXIETY = "anxiety"
    PAYMENT_ANXIETY = "payment_anxiety"
    DISENGAGEMENT = "disengagement"
    # Positive states
    CURIOSITY = "curiosity"
    EXPLORATORY_ENGAGEMENT = "exploratory_engagement"
    PURCHASE_INTENT = "purchase_intent"
    URGENCY = "urgency"
    TRUST_BUILDING = "trust_building"
    VALIDATION_SEEKING = "validation_seeking"
    SATISFACTION = "satisfaction"
    # Mixed states
    HESITATION = "hesitation"
    PRICE_SENSITIVITY = "price_sensitivity"
    COMPARISON_SHOPPING = "comparison_shopping"


COGNITIVE = frozenset(
    {
        Emotion.UNCERTAINTY,
        Emotion.DECISION_PARALYSIS,
        Emotion.ANALYSIS_PARALYSIS,
        Emotion.COGNITIVE_LOAD,
        Emotion.CONFUSION,
        Emotion.DELIBERATION,
        Emotion.AMBIVALENCE,
    }
)
NEGATIVE = frozenset(
    {Emotion.FRUSTRATION, Emotion.OVERWHELM, Emotion.ANXIETY, Emotion.PAYMENT_ANXIETY, Emotion.DISENGAGEMENT}
)
POSITIVE = frozenset(
    {
        Emotion.CURIOSITY,
        Emotion.EXPLORATORY_ENGAGEMENT,
        Emotion.PURCHASE_INTENT,
        Emotion.URGENCY,
        Emotion.TRUST_BUILDING,
        Emotion.VALIDATION_SEEKING,
        Emotion.SATISFACTION,
    }
)
MIXED = frozenset({Emotion.HESITATION, Emotion.PRICE_SENSITIVITY, Emotion.COMPARISON_SHOPPING})

CANONICAL: tuple[str, ...] = tuple(e.value for e in Emotion)
TRAJECTORIES: tuple[str, ...] = ("intensifying", "stable", "cooling")


def category(emotion: str) -> str:
    """The section 6 group of a canonical emotion: cognitive, negative, positive or mixed."""
    e = Emotion(emotion)
    for name, group in (("cognitive", COGNITIVE), ("negative", NEGATIVE), ("positive", POSITIVE)):
        if e in group:
            return name
    return "mixed"


#: section 8.3's bot classifications (the engine's verdicts, the AI review's answers)
BOT_CLASSIFICATIONS = ("human", "bot", "uncertain")

# How the CLI printer and the TUI show a category and a trajectory (one definition for both).
CATEGORY_COLOURS = {"cognitive": "cyan", "negative": "red", "positive": "green", "mixed": "yellow"}
TRAJECTORY_ARROWS = {"intensifying": "↑", "stable": "→", "cooling": "↓"}
