"""Deterministic intervention templates: what a good salesperson would say (section 9.2).

Looked up by (emotion, page section, strategy) with fallbacks to (emotion, strategy),
(section, strategy) and (strategy). Slots are filled from the packet's page content, the
way a salesperson knows what is on the shelf: ``{product}``, ``{price}``, ``{topic}``.
Every template must pass :mod:`workbench.consumer.guard`; a test renders them all. No template
says what the visitor did (section 9.2: "language that implies understanding, not observation"):
no "before you go", no "still weighing it up?", no "if something isn't cooperating".
A page's price is shown only when it reads as an amount; otherwise the line says "the listed
price" (rendering never fails on page content, which comes from any dealer's markup): a field of
the wrong type reads as absent, and a "price" too long to be one (thousands of digits) as no price.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

# (emotion or "*", section or "*", strategy) -> candidate lines
TEMPLATES: dict[tuple[str, str, str], tuple[str, ...]] = {
    # Decision paralysis and its relatives: simplify the choice.
    ("decision_paralysis", "pricing", "clarify_options"): (
        "Choosing between these packages can feel tough. Want me to break down the key differences in plain terms?",
        "Most buyers end up deciding on two or three features. Tell me what matters most and I'll point you to the "
        "package that fits.",
    ),
    ("decision_paralysis", "*", "empathy"): (
        "It's a big decision, and there's no rush. Happy to answer anything about the {product}.",
    ),
    ("decision_paralysis", "*", "social_proof"): (
        "A lot of families in your spot pick the middle package for the extra comfort. Want to hear why?",
    ),
    ("ambivalence", "*", "clarify_options"): (
        "Both options are solid. If you tell me how you'll use the {product}, I can say which one suits you better.",
    ),
    ("analysis_paralysis", "*", "clarify_options"): (
        "There's a lot of detail on the {product}. Want a one-minute summary of what really sets it apart?",
    ),
    ("deliberation", "*", "offer_help"): (
        "Take your time. If a side-by-side of the packages would help, I can put one together.",
    ),
    ("cognitive_load", "*", "clarify_options"): (
        "Here's the short version of the {product}: what it is, what it costs, and what's included. Want it?",
    ),
    ("uncertainty", "*", "offer_help"): ("Hi! Any questions about the {product}? I'm happy to help.",),
    # Money.
    ("payment_anxiety", "financing", "offer_help"): (
        "Monthly payments depend a lot on the down payment and term. Want me to run a couple of scenarios for you?",
    ),
    ("payment_anxiety", "*", "empathy"): (
        "Budget matters. We have flexible terms on the {product}, and I can show what fits comfortably.",
    ),
    ("price_sensitivity", "*", "incentive"): (
        "Good news: there are current offers on the {product}. Want me to check which ones apply to you?",
    ),
    ("price_sensitivity", "*", "clarify_options"): (
        "The {price} price includes more than it looks at first glance. Want a quick rundown of what's in it?",
    ),
    ("comparison_shopping", "*", "social_proof"): (
        "If you're weighing options, owners often tell us the {product} wins on build quality. Want the highlights?",
    ),
    ("comparison_shopping", "*", "clarify_options"): (
        "Happy to help you compare. Which other models are on your list? I can line up the specs.",
    ),
    # Friction.
    ("frustration", "*", "empathy"): (
        "I can check availability on the {product} for you right here, if that's quicker.",
        "Tell me what you'd like to know about the {product} and I'll get it for you, no forms needed.",
    ),
    ("confusion", "*", "clarify_options"): (
        "Need a hand finding something? I can answer questions about the {product} directly.",
    ),
    ("overwhelm", "*", "clarify_options"): (
        "There's a lot here. Want me to point you to the three things most buyers care about?",
    ),
    ("anxiety", "*", "empathy"): (
        "No pressure at all. If you have a question about the {product}, just ask.",
    ),
    ("disengagement", "*", "incentive"): (
        "We can hold the {product} for you for 48 hours at no cost, if that would help. Interested?",
    ),
    ("disengagement", "*", "offer_help"): ("Anything I can answer about the {product} today?",),
    ("hesitation", "*", "empathy"): (
        "A purchase like this deserves a clear picture. Happy to answer anything that would make the decision easier.",
    ),
    ("hesitation", "*", "offer_help"): (
        "Would a walkthrough of the {product} help? We can schedule one whenever suits you.",
    ),
    # Positive states: help, don't push.
    ("purchase_intent", "*", "offer_help"): (
        "The {product} is a great choice. Want me to check availability and the best price now?",
    ),
    ("urgency", "*", "offer_help"): ("I can get you a quote on the {product} in a couple of minutes. Want one?",),
    ("curiosity", "*", "offer_help"): ("Want to see the full floor plan and features of the {product}?",),
    ("exploratory_engagement", "*", "offer_help"): ("Welcome! Ask me anything about the {product}.",),
    ("trust_building", "*", "social_proof"): (
        "We've served RVers for years, and owners rate our service highly. Happy to connect you with our team.",
    ),
    ("validation_seeking", "*", "social_proof"): (
        "The {product} is one of our most popular models for good reason. Want to hear what owners love about it?",
    ),
    ("satisfaction", "*", "offer_help"): ("Thanks for reaching out! Anything else I can help with?",),
    # Generic fallbacks per strategy.
    ("*", "*", "empathy"): ("Happy to help with anything about the {product}.",),
    ("*", "*", "clarify_options"): ("Want a quick summary of the options for the {product}?",),
    ("*", "*", "offer_help"): ("Questions about the {product}? I'm here to help.",),
    ("*", "*", "social_proof"): ("The {product} is a favourite with our customers. Want to know why?",),
    ("*", "*", "incentive"): ("There may be current offers on the {product}. Want me to check?",),
    ("*", "pricing", "clarify_options"): (
        "Want me to lay out what each package adds, so the prices are easy to compare?",
    ),
    ("*", "financing", "offer_help"): ("I can estimate a monthly payment for the {product} with your numbers.",),
}

_PRICE = re.compile(r"\$\d{1,3}(?:,\d{3})+|\$\d+")
# An amount: thousands grouped by "," "." or a space (3-digit groups), then at most 2 decimals;
# or plain digits. "59.995" is read as 59995: no price has three decimals.
_AMOUNT = re.compile(r"(?P<whole>\d{1,3}(?:(?P<sep>[,. ])\d{3})(?:(?P=sep)\d{3})*|\d+)(?:[.,]\d{1,2})?")
_SYMBOLS = {"$": "USD", "US$": "USD", "C$": "CAD", "CA$": "CAD", "€": "EUR", "£": "GBP"}
_SHOWN = {"USD": "${amount}", "CAD": "${amount} CAD", "EUR": "€{amount}", "GBP": "£{amount}"}
MAX_NAME_CHARS = 100  # a product name a salesperson would say; Seer's own messages stay within 300 characters
MAX_PRICE_CHARS = 40  # "US$ 1,234,567,890.00" and then some: anything longer is not a price anyone reads out
_PRICE_TEXT = re.compile(r"^(?P<pre>[A-Z]{3}|US\$|CA?\$|[$€£])?\s*(?P<amount>[\d., ]+?)\s*(?P<post>[A-Z]{3}|[$€£])?$")


def _text(value: object) -> str:
    """A page-content field as text: a string as it is, anything else (a number, an object) as nothing."""
    return value if isinstance(value, str) else ""


def _items(page: object) -> list[Any]:
    """The page's structured-data items (none when the page or the field is not what section 5.8 says)."""
    items = page.get("structuredData") if isinstance(page, dict) else None
    return items if isinstance(items, list) else []


def _product(page: object) -> str:
    """The product a message may name: a structured-data item's name, else the h1 without a leading model year, of
    at most :data:`MAX_NAME_CHARS` (a page's whole text is no name), else "vehicle"."""
    for item in _items(page):
        if isinstance(item, dict) and 0 < len(_text(item.get("name"))) <= MAX_NAME_CHARS:
            return _text(item["name"])
    h1 = re.sub(r"^\d{4}\s+", "", _text(page.get("h1")) if isinstance(page, dict) else "").strip()
    return h1 if 0 < len(h1) <= MAX_NAME_CHARS else "vehicle"


def format_price(value: object, currency: object = None) -> str | None:
    """A structured-data price as a salesperson would say it ("$59,995", "$45,995 CAD", "€59,995"),
    or None when it is not an amount ("Call for price", an object, an unknown currency sign)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, int) and abs(value) >= 10**MAX_PRICE_CHARS:  # before str(): Python caps int digits
        return None
    text = str(value).strip()
    if len(text) > MAX_PRICE_CHARS:
        return None
    m = _PRICE_TEXT.match(text)
    if m is None or (m.group("pre") and m.group("post")):
        return None
    amount = _AMOUNT.fullmatch(m.group("amount"))
    if amount is None:
        return None
    whole = int(re.sub(r"[,. ]", "", amount.group("whole")))
    code = m.group("pre") or m.group("post") or (currency if isinstance(currency, str) and currency else "USD")
    template = _SHOWN.get(_SYMBOLS.get(code, code))
    return template.format(amount=f"{whole:,}") if template else None


def _price(page: object) -> str:
    for item in _items(page):
        if isinstance(item, dict) and item.get("price") is not None:
            shown = format_price(item["price"], item.get("priceCurrency"))
            if shown is not None:
                return shown
    match = _PRICE.search(_text(page.get("visibleContent")) if isinstance(page, dict) else "")
    return match.group(0) if match and len(match.group(0)) <= MAX_PRICE_CHARS else "listed"


def candidates(emotion: str, section: str, strategy: str) -> tuple[str, ...]:
    for key in ((emotion, section, strategy), (emotion, "*", strategy), ("*", section, strategy), ("*", "*", strategy)):
        if key in TEMPLATES:
            return TEMPLATES[key]
    raise KeyError(f"no template for strategy {strategy!r}")


def render(packet: dict[str, Any], strategy: str, rng: np.random.Generator) -> str:
    """A message for this packet and strategy, with page content filled in."""
    options = candidates(packet["emotion"]["primary"], packet["spatial"]["currentSection"], strategy)
    line = options[int(rng.integers(len(options)))]
    page = packet.get("pageContent")
    topic = packet["spatial"]["currentSection"].replace("_", " ")
    return line.format(product=_product(page), price=_price(page), topic=topic)
