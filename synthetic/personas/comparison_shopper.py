"""The comparison shopper: compares the packages, leaves for another dealer's tab, comes back."""

from __future__ import annotations

from synthetic.motion import CALM
from synthetic.personas.base import Actor, Persona


class ComparisonShopper(Persona):
    name = "comparison_shopper"
    aliases = ("comparison", "comparing")
    description = ("Compares the tier cards, switches to another tab for 38-55 s (a long tab return) and back, "
                   "compares again, then a shorter second look elsewhere and a last look at the Adventure package.")
    site = "rv"
    profile = CALM
    expected_emotions = frozenset({"comparison_shopping"})
    expected_signals = frozenset({"tab_switch", "long_tab_return", "pricing_comparison"})
    expects_intervention = True

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 2000)
        await actor.move_to("#price-main", dwell_ms=1500)
        await actor.scroll_to("#pricing")
        await actor.move_to("#tier-base .price", dwell_ms=1500)
        await actor.move_to("#tier-adventure .price", dwell_ms=1800)
        await actor.leave_tab(float(actor.rng.uniform(38_000, 55_000)))  # the other dealer's page
        await actor.dwell(800)
        await actor.move_to("#tier-adventure .price", dwell_ms=1400)
        await actor.move_to("#tier-base .price", dwell_ms=1200)
        await actor.leave_tab(float(actor.rng.uniform(6_000, 12_000)))
        await actor.move_to("#tier-adventure h3", dwell_ms=1500)
        # a last look at the package it keeps coming back to: Seer answers the long absence only once the
        # visitor is back (the window holding the return closes with the next events), so it must be there
        await actor.dwell(float(actor.rng.uniform(5000, 7000)))
