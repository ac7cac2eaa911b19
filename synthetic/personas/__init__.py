"""The persona catalogue: one file per persona, collected here by name.

:func:`resolve` accepts a persona's name, one of its aliases (``paralysed`` ->
``paralysed_buyer``) or an unambiguous prefix of a name.
"""

from __future__ import annotations

from synthetic.personas.base import DESKTOP_CHROME_UA, Actor, Persona, between, constant, task
from synthetic.personas.bezier_bot import BezierBot
from synthetic.personas.calm_researcher import CalmResearcher
from synthetic.personas.comparison_shopper import ComparisonShopper
from synthetic.personas.confident_purchaser import ConfidentPurchaser
from synthetic.personas.confused_visitor import ConfusedVisitor
from synthetic.personas.connection_probe import ConnectionProbe
from synthetic.personas.exit_intent_visitor import ExitIntentVisitor
from synthetic.personas.frustrated_buyer import FrustratedBuyer
from synthetic.personas.headless_crawler import HeadlessCrawler
from synthetic.personas.linear_bot import LinearStepsBot
from synthetic.personas.long_visit_buyer import LongVisitBuyer
from synthetic.personas.naive_bot import NaiveBot
from synthetic.personas.overwhelmed_visitor import OverwhelmedVisitor
from synthetic.personas.paralysed_buyer import ParalysedBuyer

HUMANS: tuple[type[Persona], ...] = (ParalysedBuyer, FrustratedBuyer, ConfusedVisitor, ComparisonShopper,
                                     OverwhelmedVisitor, ExitIntentVisitor, ConfidentPurchaser, CalmResearcher)
BOTS: tuple[type[Persona], ...] = (NaiveBot, LinearStepsBot, BezierBot, ConnectionProbe, HeadlessCrawler)
#: people whose visit lasts as long as production measured (section 6), not a minute: what virtual time is for
LONG: tuple[type[Persona], ...] = (LongVisitBuyer,)
PERSONAS: dict[str, type[Persona]] = {p.name: p for p in (*HUMANS, *BOTS, *LONG)}
GROUPS: dict[str, tuple[type[Persona], ...]] = {"all": (*HUMANS, *BOTS, *LONG), "humans": HUMANS, "bots": BOTS,
                                                "long": LONG}


class UnknownPersona(ValueError):
    """A persona name that matches nothing, or more than one persona."""


def resolve(name: str) -> type[Persona]:
    """The persona called ``name``: its name, an alias, or an unambiguous name prefix."""
    key = name.strip().lower().replace("-", "_")
    if key in PERSONAS:
        return PERSONAS[key]
    by_alias = [p for p in PERSONAS.values() if key in p.aliases]
    if len(by_alias) == 1:
        return by_alias[0]
    by_prefix = [p for p in PERSONAS.values() if p.name.startswith(key)]
    if len(by_prefix) == 1:
        return by_prefix[0]
    known = ", ".join(f"{p.name} ({', '.join(p.aliases)})" if p.aliases else p.name for p in PERSONAS.values())
    what = "is ambiguous" if by_alias or by_prefix else "is not a persona"
    raise UnknownPersona(f"{name!r} {what}; known: {known}")


def resolve_many(names: str) -> list[type[Persona]]:
    """``"paralysed,frustrated"`` -> persona classes (``all``, ``humans``, ``bots`` and ``long`` are
    :data:`GROUPS`; ``humans`` are the minute-long people, ``long`` the production-length visits)."""
    out: list[type[Persona]] = []
    for part in (p for p in names.split(",") if p.strip()):
        key = part.strip().lower()
        out += list(GROUPS.get(key, ())) or [resolve(part)]
    return out


__all__ = ["PERSONAS", "HUMANS", "BOTS", "LONG", "GROUPS", "Actor", "Persona", "task", "between", "constant", "resolve",
           "resolve_many", "UnknownPersona", "DESKTOP_CHROME_UA", "ParalysedBuyer", "FrustratedBuyer",
           "ConfusedVisitor", "ComparisonShopper", "OverwhelmedVisitor", "ExitIntentVisitor", "ConfidentPurchaser",
           "CalmResearcher", "NaiveBot", "LinearStepsBot", "BezierBot", "ConnectionProbe", "HeadlessCrawler",
           "LongVisitBuyer"]
