"""The frustrated buyer: wants to know if the unit is in stock, and the button does nothing."""

from __future__ import annotations

from synthetic.motion import AGITATED
from synthetic.personas.base import Actor, Persona


class FrustratedBuyer(Persona):
    name = "frustrated_buyer"
    aliases = ("frustrated",)
    description = ("Clicks 'Check Availability' (which has no behaviour), then rage-clicks it (3+ clicks within "
                   "500 ms) between bursts of erratic, high-jerk movement; looks for another way in the contact "
                   "section, comes back and tries the button again (about 40 s).")
    site = "rv"
    profile = AGITATED
    expected_emotions = frozenset({"frustration"})
    expected_signals = frozenset({"rage_click", "direction_changes", "click"})
    # still on the page when the section 8.2 bot wait (3 batches / ~30 s) releases its packets to Seer
    expects_intervention = True

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 1500)
        await actor.move_to("#price-main", dwell_ms=900)
        await actor.click("#btn-availability")  # nothing happens
        await actor.dwell(1300)
        await actor.click("#btn-availability")
        await actor.dwell(700)
        await actor.click_burst("#btn-availability", 4, gap_ms=(90, 150))
        await actor.erratic(1800, radius=130)
        await actor.click_burst("#btn-availability", 5, gap_ms=(70, 130))
        await actor.erratic(1500, radius=150)
        await actor.dwell(600)
        await actor.click_burst("#btn-availability", 3, gap_ms=(80, 140))
        await actor.erratic(1200, radius=110)
        await actor.scroll_to("#contact")  # another way to ask: the contact section says nothing of stock
        await actor.read("#contact .faq", 3500)
        await actor.erratic(1500, radius=120)
        await actor.read("#contact .two-col p", 2000)
        await actor.scroll_to("#hero", top_offset=0)
        await actor.click_burst("#btn-availability", 4, gap_ms=(80, 140))  # once more, in case
        await actor.erratic(1500, radius=130)
        await actor.move_to("#cta-schedule", dwell_ms=800)
        await actor.dwell(float(actor.rng.uniform(5000, 7000)))
