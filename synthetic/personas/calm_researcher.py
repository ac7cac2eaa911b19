"""The calm researcher: reads the whole page at an even pace. Must trigger nothing negative."""

from __future__ import annotations

from synthetic.motion import CALM
from synthetic.personas.base import Actor, Persona

NEGATIVE = frozenset({"frustration", "overwhelm", "anxiety", "payment_anxiety", "disengagement"})


class CalmResearcher(Persona):
    name = "calm_researcher"
    aliases = ("calm", "researcher")
    description = ("Reads the hero, the specifications, floor plan, features, reviews and FAQ in order, "
                   "scrolling steadily; no oscillation, no rushing, no exit (about 80 s).")
    site = "rv"
    profile = CALM
    expected_emotions = frozenset({"exploratory_engagement", "curiosity", "deliberation", "trust_building"})
    forbidden_emotions = NEGATIVE
    expected_signals = frozenset({"scroll", "mouse_pause"})

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero .lede", 5000)
        await actor.scroll_to("#specifications")
        await actor.read("#specifications .section-intro", 3500)
        await actor.read("#specs-table", 6000)
        await actor.read(".spec-notes", 5000)
        await actor.scroll_to("#floorplan")
        await actor.read("#floorplan .section-intro", 3000)
        await actor.read("#floorplan .three-col", 6000)
        await actor.scroll_to("#features")
        await actor.read("#features .two-col", 8000)
        await actor.scroll_to("#reviews")
        await actor.read("#reviews .three-col", 8000)
        await actor.scroll_to("#contact")
        await actor.read("#contact .faq", 4000)
        await actor.dwell(1500)
