"""The paralysed buyer: likes the Arctic Wolf, cannot choose a package, keeps coming back."""

from __future__ import annotations

from synthetic.motion import HESITANT
from synthetic.personas.base import Actor, Persona


class ParalysedBuyer(Persona):
    name = "paralysed_buyer"
    aliases = ("paralysed", "paralyzed")
    description = "Oscillates between tier cards, dwells on prices, checks financing, revisits pricing."
    site = "rv"
    profile = HESITANT
    # not "deliberation": section 6 defines it as weighing options while *not* stuck
    expected_emotions = frozenset({"decision_paralysis", "hesitation", "analysis_paralysis", "ambivalence",
                                   "payment_anxiety", "price_sensitivity"})
    expected_signals = frozenset({"pricing_comparison", "tier_card_hover", "price_hover"})
    expects_intervention = True

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 2500)
        await actor.move_to("#price-main", dwell_ms=1800)
        await actor.scroll_to("#specifications")
        await actor.read("#specs-table", 3000)
        await actor.scroll_to("#pricing")
        await actor.move_to("#tier-base .price", dwell_ms=1400)
        await actor.oscillate("#tier-base", "#tier-adventure", 4, dwell_ms=(900, 2200))
        await actor.move_to("#tier-ultimate", dwell_ms=900)
        await actor.move_to("#tier-adventure .price", dwell_ms=2400)
        await actor.move_to("#tier-adventure button", dwell_ms=1200)
        await actor.move_to("#tier-adventure h3", dwell_ms=800)
        await actor.scroll_to("#financing")
        await actor.move_to("#monthly-payment", dwell_ms=2500)
        await actor.scroll_to("#pricing")
        await actor.oscillate("#tier-adventure", "#tier-base", 4, dwell_ms=(900, 2000))
        await actor.move_to("#tier-adventure .price", dwell_ms=2000)
        await actor.scroll_to("#specifications")
        await actor.read("#specs-table", 2500)
        await actor.scroll_to("#pricing")
        await actor.oscillate("#tier-base", "#tier-adventure", 3, dwell_ms=(1000, 2200))
        await actor.dwell(1500)
