"""The long-visit buyer: the paralysed buyer at the length production measured, about 39 minutes.

Section 6's production evidence: converting decision_paralysis sessions averaged 38.9 minutes, with
25.1 emotional events; the other personas pack their behaviour into a minute. This one spends the
visit as such a buyer would: short bouts at the packages and prices between long reads of the
page and trips to other tabs (other dealers, reviews), every quiet stretch under the section 1.3
session timeout of 5 minutes. Virtual time exists for visits like this one: the reads and the
absences cost little, the bouts cost what the short personas do (``make bench`` prints both).
"""

from __future__ import annotations

from synthetic.motion import HESITANT
from synthetic.personas.base import Actor, Persona

#: where a bout's long read goes: (section to scroll to, block to read)
READS = (("#specifications", "#specs-table"), ("#floorplan", "#floorplan .three-col"),
         ("#financing", "#monthly-payment"), ("#reviews", "#reviews .three-col"),
         ("#features", "#features .two-col"), ("#contact", "#contact .faq"))


class LongVisitBuyer(Persona):
    name = "long_visit_buyer"
    aliases = ("long", "long_visit")
    description = ("The paralysed buyer over a production-length visit (section 6: 38.9 min, converting "
                   "decision_paralysis sessions' average): "
                   "bouts between the tier cards and prices, each followed by a 45-120 s read of another "
                   "section and, two bouts in three, 1.5-3.5 min in another tab; about 39 min.")
    site = "rv"
    profile = HESITANT
    expected_emotions = frozenset({"decision_paralysis", "hesitation", "analysis_paralysis", "ambivalence",
                                   "payment_anxiety", "price_sensitivity", "comparison_shopping"})
    expected_signals = frozenset({"pricing_comparison", "tier_card_hover", "price_hover", "tab_switch",
                                  "long_tab_return"})
    expects_intervention = True
    session_ms = 38.9 * 60_000

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 3000)
        await actor.move_to("#price-main", dwell_ms=2000)
        bout = 0
        while actor.elapsed_ms < self.session_ms:
            await actor.scroll_to("#pricing")
            await actor.oscillate("#tier-base", "#tier-adventure", int(actor.rng.integers(2, 5)), dwell_ms=(900, 2200))
            await actor.move_to("#tier-adventure .price", dwell_ms=float(actor.rng.uniform(1500, 3000)))
            section, block = READS[bout % len(READS)]
            await actor.scroll_to(section)
            await actor.read(block, float(actor.rng.uniform(45_000, 120_000)))
            if bout % 3 != 2:
                await actor.leave_tab(float(actor.rng.uniform(90_000, 210_000)))
                await actor.dwell(800)
            bout += 1
        await actor.scroll_to("#pricing")
        await actor.move_to("#tier-adventure .price", dwell_ms=2500)
